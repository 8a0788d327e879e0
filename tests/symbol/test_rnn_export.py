"""gluon.rnn layers hybridized: traced into one ``RNN`` graph node, exported and imported
both ways with MXNet 1.9.1 (tests/golden/make_rnn_symbol_golden.py)."""

import json
import os
import sys

import numpy as np
import pytest

import minigluon as mx
from minigluon import autograd, gluon, nd

GOLDEN_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "golden")
sys.path.insert(0, GOLDEN_DIR)
import make_rnn_symbol_golden as golden  # noqa: E402

GOLD = np.load(os.path.join(GOLDEN_DIR, "rnn_symbol.npz"))


def _close(ours, key):
    want = GOLD[key]
    assert ours.dtype == want.dtype and ours.shape == want.shape, key
    np.testing.assert_allclose(ours, want, rtol=2e-5, atol=2e-5, err_msg=key)


@pytest.mark.parametrize("case", golden.CASES)
def test_hybridized_layer_matches_mxnet(case):
    res, layer = golden.run_layer(mx, case)
    assert set(res) == {k.split("/", 1)[1] for k in GOLD.files if k.startswith(case + "/")}
    for k, v in res.items():
        _close(v, f"{case}/{k}")
    assert isinstance(layer._cached, tuple) and len(layer._cached) > 2  # traced


@pytest.mark.parametrize("case", golden.CASES)
def test_imports_the_layer_mxnet_exported(case):
    # fed the data and the given states (data0, data1 ...), the graph of layer(x) computes
    # what layer(x, states) does
    res = golden.run_imported(mx, case, os.path.join(golden.FILES, case))
    _close(res["out"], f"{case}/out_s")


@pytest.mark.parametrize("case", golden.CASES)
def test_mxnet_imports_the_layer_minigluon_exported(case, tmp_path):
    # what MXNet computed from minigluon's files is what minigluon computes
    _close(golden.run_layer(mx, case)[0]["out_s"], f"from_minigluon/{case}/out")
    # and minigluon exports today the graph MXNet exports (same nodes, attributes, edges)
    _, layer = golden.run_layer(mx, case)
    layer(golden.inputs(mx, case, layer)[0])
    layer.export(str(tmp_path / case))
    ours = json.loads((tmp_path / f"{case}-symbol.json").read_text())
    with open(os.path.join(golden.FILES, case + "-symbol.json")) as f:
        theirs = json.load(f)

    def strip(g):
        return [(n["op"], n["name"], {k: v for k, v in n.get("attrs", {}).items()
                                      if not k.startswith("__")} if n["op"] != "null" else {},
                 n["inputs"]) for n in g["nodes"]], g["heads"], g["node_row_ptr"]

    assert strip(ours) == strip(theirs)
    assert sorted(nd.load(str(tmp_path / f"{case}-0000.params"))) == \
        sorted(nd.load(os.path.join(golden.FILES, case + "-0000.params")))


def test_hybridized_gradients_equal_imperative():
    x = nd.array(golden.pattern((4, 2, 3), 0.1))
    grads = []
    for hybrid in (False, True):
        layer = gluon.rnn.GRU(3, num_layers=2, input_size=3, prefix="g_")
        layer.initialize(mx.init.Constant(0.1))
        if hybrid:
            layer.hybridize()
        for _ in range(2):  # the second call runs the cached graph
            with autograd.record():
                out, (h,) = layer(x, layer.begin_state(2))
                loss = (out * out).sum() + h.sum()
            loss.backward()
        grads.append({k: p.grad().asnumpy() for k, p in layer.collect_params().items()})
    for k in grads[0]:
        np.testing.assert_allclose(grads[1][k], grads[0][k], rtol=1e-6, err_msg=k)


def test_output_structure_follows_each_call():
    layer = gluon.rnn.LSTM(2, input_size=3)
    layer.initialize()
    layer.hybridize()
    x = nd.ones((2, 1, 3))
    assert isinstance(layer(x), nd.NDArray)
    out, states = layer(x, layer.begin_state(1))
    assert out.shape == (2, 1, 2) and [s.shape for s in states] == [(1, 1, 2)] * 2
    assert isinstance(layer(x), nd.NDArray)
