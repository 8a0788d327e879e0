"""MXNet's output (loss-layer) operators against the oracle (tests/golden/output_ops.npz
from tests/golden/make_output_ops_golden.py): forward outputs and the data's gradients,
whose backward ignores the head gradient; the symbols' auto-created label variables and
their JSON. Their VJPs are also checked against their implied losses by
test_ops_registry.py."""

import json
import os
import sys

import numpy as np
import pytest

import minigluon as mx

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(HERE, "..", "golden")
sys.path.insert(0, GOLDEN)
import make_output_ops_golden as gen  # noqa: E402

REF = np.load(os.path.join(GOLDEN, "output_ops.npz"))


@pytest.mark.parametrize("case", gen.CASES)
def test_output_op_matches_mxnet(case):
    got = gen.run(mx, case)
    for key in ("out", "grad"):
        want = REF[f"{case}/{key}"]
        assert got[key].dtype == want.dtype == np.float32
        np.testing.assert_allclose(got[key], want, rtol=1e-5, atol=1e-6, err_msg=key)


def test_softmax_is_the_softmax_output_alias():
    assert mx.nd.Softmax is mx.nd.SoftmaxOutput
    s = mx.sym.Softmax(mx.sym.var("data"), name="sm")
    assert s.list_arguments() == ["data", "sm_label"]
    assert json.loads(s.tojson())["nodes"][-1]["op"] == "SoftmaxOutput"


@pytest.mark.parametrize("name", ["SoftmaxOutput", "LinearRegressionOutput",
                                  "LogisticRegressionOutput", "MAERegressionOutput"])
def test_symbol_creates_the_label_variable(name):
    s = getattr(mx.sym, name)(data=mx.sym.var("data"), name="out")
    assert s.list_arguments() == ["data", "out_label"]
    assert s.list_outputs() == ["out_output"]


def test_make_loss_symbol_has_no_label():
    assert mx.sym.MakeLoss(mx.sym.var("data"), name="ml").list_arguments() == ["data"]


def test_softmax_output_json_as_mxnet():
    fc = mx.sym.FullyConnected(mx.sym.var("data"), num_hidden=3, name="fc")
    s = mx.sym.SoftmaxOutput(data=fc, name="softmax", grad_scale=2, normalization="batch",
                             use_ignore=True)
    assert s.list_arguments() == ["data", "fc_weight", "fc_bias", "softmax_label"]
    with open(os.path.join(GOLDEN, "files", "softmax_output_symbol.json")) as f:
        want = json.load(f)
    assert json.loads(s.tojson()) == want
    back = mx.sym.load_json(s.tojson())
    assert back.list_arguments() == s.list_arguments()
    assert json.loads(back.tojson()) == want
