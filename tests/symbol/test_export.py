"""export / SymbolBlock.imports against real MXNet 1.9.1, both ways (files and outputs made
by tests/golden/make_symbol_from_minigluon.py and make_symbol_golden.py)."""

from __future__ import annotations

import ast
import json
import os
import sys

import numpy as np
import pytest

import minigluon as mx
from minigluon import autograd, nd
from minigluon.base import MinigluonError
from minigluon.gluon import SymbolBlock, nn

GOLDEN = os.path.join(os.path.dirname(__file__), "..", "golden")
FILES = os.path.join(GOLDEN, "files", "symbol")
sys.path.insert(0, GOLDEN)
import symbol_models  # noqa: E402

IO = np.load(os.path.join(GOLDEN, "symbol_io.npz"))


def _files(prefix):
    return (os.path.join(FILES, f"{prefix}-symbol.json"),
            os.path.join(FILES, f"{prefix}-0000.params"))


@pytest.mark.parametrize("name", sorted(symbol_models.MODELS))
def test_model_exported_by_mxnet_runs_the_same_here(name):
    sym_file, param_file = _files(f"mx_{name}")
    net = SymbolBlock.imports(sym_file, ["data"], param_file)
    out = net(nd.array(IO[f"{name}/x"]))
    np.testing.assert_allclose(out.asnumpy(), IO[f"{name}/mx_out"], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", sorted(symbol_models.MODELS))
def test_model_exported_here_runs_the_same_in_mxnet(name):
    net, x = symbol_models.build(mx, name)
    np.testing.assert_allclose(net(x).asnumpy(), IO[f"{name}/mx_out"], rtol=1e-5,
                               atol=1e-6)
    sym_file, param_file = _files(f"mg_{name}")
    back = SymbolBlock.imports(sym_file, "data", param_file)
    np.testing.assert_allclose(back(x).asnumpy(), IO[f"{name}/mg_in_mx_out"], rtol=1e-5,
                               atol=1e-6)


def test_export_writes_what_was_committed(tmp_path):
    """The files written now equal the ones MXNet imported (graph and parameter names)."""
    net, x = symbol_models.build(mx, "resblock")
    net.hybridize()
    net(x)
    net.export(str(tmp_path / "r"), epoch=3)
    ours = json.loads((tmp_path / "r-symbol.json").read_text())
    with open(_files("mg_resblock")[0]) as f:
        committed = json.load(f)
    assert [n["op"] for n in ours["nodes"]] == [n["op"] for n in committed["nodes"]]
    params = nd.load(str(tmp_path / "r-0003.params"))
    assert sorted(params) == sorted(nd.load(_files("mg_resblock")[1]))
    assert sum(k.startswith("aux:") for k in params) == 4  # two BatchNorms' moving stats


@pytest.mark.parametrize("name", sorted(symbol_models.MODELS))
def test_exported_graph_is_mxnets(name):
    """Node for node, minigluon's export is MXNet's, except: parameters traced after their
    shapes were found write them whole (MXNet writes the 0 of the deferred dimension),
    the Pooling layers do not write their default layout, and the version numbers of the
    auxiliary states differ."""
    with open(_files(f"mg_{name}")[0]) as f:
        ours = json.load(f)
    with open(_files(f"mx_{name}")[0]) as f:
        theirs = json.load(f)
    for k in ("arg_nodes", "node_row_ptr", "heads", "attrs"):
        assert ours[k] == theirs[k]
    assert len(ours["nodes"]) == len(theirs["nodes"])
    for a, b in zip(ours["nodes"], theirs["nodes"]):
        sa, sb = a.get("attrs", {}).pop("__shape__", None), b.get("attrs", {}).pop(
            "__shape__", None)
        if sb is not None:
            assert all(d in (0, e) for d, e in zip(ast.literal_eval(sb), ast.literal_eval(sa)))
        if b["op"] == "Pooling":
            assert b["attrs"].pop("layout") == "NCHW"
        # the third entry is the version of a variable an operator writes (aux states):
        # MXNet counts each composition of the graph, minigluon composes once (1)
        assert [e[2] > 0 for e in a["inputs"]] == [e[2] > 0 for e in b["inputs"]]
        a["inputs"] = [e[:2] for e in a["inputs"]]
        b["inputs"] = [e[:2] for e in b["inputs"]]
        assert a == b


def test_export_needs_a_hybridized_run(tmp_path):
    net = nn.Dense(2)
    net.initialize()
    with pytest.raises(RuntimeError, match="first call block.hybridize"):
        net.export(str(tmp_path / "d"))


def test_symbolblock_from_symbols_trains():
    x = mx.sym.var("data")
    y = mx.sym.FullyConnected(x, num_hidden=2, name="fc")
    net = SymbolBlock(y, x)
    assert sorted(net.collect_params()) == ["fc_bias", "fc_weight"]
    net.initialize(mx.init.One())
    a = nd.array([[1.0, 2.0, 3.0]])
    with autograd.record():
        out = net(a)
    out.backward()
    np.testing.assert_allclose(out.asnumpy(), [[6.0, 6.0]])
    np.testing.assert_allclose(net.collect_params()["fc_weight"].grad().asnumpy(),
                               [[1, 2, 3], [1, 2, 3]])


def test_bad_files_are_refused_naming_the_file_and_parameter(tmp_path):
    sym_file, param_file = _files("mx_mlp")
    with pytest.raises(MinigluonError, match="has no input"):
        SymbolBlock.imports(sym_file, ["x"], param_file)
    # a parameter file of another graph
    with pytest.raises(AssertionError, match=r"is missing in file: .*mx_lenet-0000.params"):
        SymbolBlock.imports(sym_file, ["data"], _files("mx_lenet")[1])
    # an operator minigluon lacks
    with open(sym_file, encoding="utf-8") as f:
        g = json.load(f)
    g["nodes"][-1]["op"] = "FancyConv"
    bad = tmp_path / "bad-symbol.json"
    bad.write_text(json.dumps(g))
    with pytest.raises(MinigluonError, match=r"bad-symbol.json: node \d+ \(.*\) uses the "
                       "operator 'FancyConv'"):
        SymbolBlock.imports(str(bad), ["data"])
    # a parameter of the wrong shape
    params = nd.load(param_file)
    key = next(k for k in params if k.endswith("weight"))
    params[key] = nd.zeros((1, 1))
    wrong = tmp_path / "wrong-0000.params"
    nd.save(str(wrong), params)
    with pytest.raises(MinigluonError, match=rf"wrong-0000.params: parameter {key[4:]} "
                       r"has shape \(1, 1\), but the graph declares"):
        SymbolBlock.imports(sym_file, ["data"], str(wrong))
    # a graph without declared shapes: the operator that fails is named when it runs
    x = mx.sym.var("data")
    net = SymbolBlock(mx.sym.FullyConnected(x, num_hidden=2, name="fc"), x)
    net.collect_params().load_dict({"fc_weight": nd.ones((2, 7)), "fc_bias": nd.ones(2)})
    with pytest.raises(MinigluonError, match=r"Error in operator fc \(FullyConnected\)"):
        net(nd.ones((1, 3)))
