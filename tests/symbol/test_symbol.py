"""mx.sym against real MXNet 1.9.1: graph JSON, names, inferred shapes and the values of
graphs run on fixed inputs (tests/golden/symbol.json, made by make_symbol_golden.py)."""

from __future__ import annotations

import importlib.util
import json
import os

import numpy as np
import pytest

import minigluon as mx
from minigluon import autograd, nd
from minigluon.base import MinigluonError
from minigluon.ops import OPS, Op, frozen_op, register_op
from minigluon.symbol import symbol as _symbol

GOLDEN = os.path.join(os.path.dirname(__file__), "..", "golden")
_spec = importlib.util.spec_from_file_location(
    "make_symbol_golden", os.path.join(GOLDEN, "make_symbol_golden.py"))
graphs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(graphs)
with open(os.path.join(GOLDEN, "symbol.json"), encoding="utf-8") as f:
    EXPECTED = json.load(f)


def _build(name):
    _symbol._COUNTERS.clear()  # MXNet's golden graphs were built in a fresh name scope
    return graphs.GRAPHS[name](mx)


@pytest.mark.parametrize("name", sorted(graphs.GRAPHS))
def test_graph_json_names_and_shapes_equal_mxnet(name):
    sym, shapes = _build(name)
    exp = EXPECTED[name]
    assert json.loads(sym.tojson()) == exp["json"]
    assert sym.list_arguments() == exp["arguments"]
    assert sym.list_outputs() == exp["outputs"]
    assert sym.list_auxiliary_states() == exp["aux"]
    assert sym.get_internals().list_outputs() == exp["internals"]
    arg, out, aux = sym.infer_shape(**shapes)
    assert [list(s) for s in arg] == exp["arg_shapes"]
    assert [list(s) for s in out] == exp["out_shapes"]
    assert [list(s) for s in aux] == exp["aux_shapes"]


@pytest.mark.parametrize("name", sorted(graphs.GRAPHS))
def test_graph_values_equal_mxnet(name):
    sym, shapes = _build(name)
    exp = EXPECTED[name]
    vals = graphs.inputs_for(exp["arguments"], [tuple(s) for s in exp["arg_shapes"]],
                             exp["aux"], [tuple(s) for s in exp["aux_shapes"]])
    arrays = {k: nd.array(v, dtype="float64") for k, v in vals.items()}
    outs = sym.eval(**arrays)
    assert len(outs) == len(exp["values"])
    for o, e in zip(outs, exp["values"]):
        np.testing.assert_allclose(o.asnumpy(), np.array(e), rtol=1e-10, atol=1e-12)
    # the JSON MXNet wrote loads and runs to the same values
    loaded = mx.sym.load_json(json.dumps(exp["json"]))
    for o, e in zip(loaded.eval(**arrays), exp["values"]):
        np.testing.assert_allclose(o.asnumpy(), np.array(e), rtol=1e-10, atol=1e-12)


def test_var_attributes_as_mxnet_writes_them():
    v = mx.sym.var("w", shape=(2, 3), dtype="float16", init=mx.init.One(), lr_mult=2.0,
                   wd_mult=0, attr={"foo": "bar"})
    node = json.loads(v.tojson())["nodes"][0]
    assert node["attrs"] == {"__dtype__": "2", "__init__": '["one", {}]',
                             "__lr_mult__": "2.0", "__shape__": "(2, 3)",
                             "__wd_mult__": "0", "foo": "bar"}
    assert v.attr("__shape__") == "(2, 3)" and v.attr("nope") is None and v.name == "w"
    assert v.infer_shape()[0] == [(2, 3)]
    assert v.infer_type()[0] == [np.float16]
    with pytest.raises(ValueError, match="double underscores"):
        mx.sym.var("x", bad=1)


def test_infer_shape_partial_and_incomplete():
    x = mx.sym.var("x")
    y = mx.sym.FullyConnected(x, num_hidden=4, name="fc") + mx.sym.var("z")
    assert y.infer_shape() == (None, None, None)
    arg, out, aux = y.infer_shape_partial(x=(2, 3))
    assert arg == [(2, 3), (4, 3), (4,), ()] and out == [()] and aux == []
    with pytest.raises(MinigluonError, match="not an input"):
        y.infer_shape(q=(1,))


def test_infer_type():
    x = mx.sym.var("x")
    assert (x * 2).infer_type(x="float64") == ([np.float64], [np.float64], [])
    assert mx.sym.cast(x, dtype="int32").infer_type(x="float32")[1] == [np.int32]


def test_indexing_and_group():
    x = mx.sym.var("x")
    parts = mx.sym.split(x, num_outputs=2, name="sp")
    assert len(parts) == 2 and parts.name is None
    assert parts[1].list_outputs() == ["sp_output1"]
    assert parts["sp_output0"].list_outputs() == ["sp_output0"]
    assert repr(parts[0]) == "<Symbol sp>"
    with pytest.raises(IndexError):
        parts[2]
    with pytest.raises(ValueError, match="no outputs named"):
        parts["nope"]
    with pytest.raises(MinigluonError, match="group of 2 outputs"):
        mx.sym.exp(parts)


def test_symbol_refuses_values_with_a_clear_error():
    x = mx.sym.var("x")
    for call in (lambda: bool(x), lambda: float(x), lambda: x.asnumpy(),
                 lambda: x.asscalar()):
        with pytest.raises(MinigluonError, match="Symbol x has none"):
            call()


def test_eval_records_for_autograd():
    x = mx.sym.var("x")
    y = mx.sym.sum(mx.sym.tanh(x) * x)
    a = nd.array([0.5, -1.0, 2.0])
    a.attach_grad()
    with autograd.record():
        (out,) = y.eval(x=a)
    out.backward()
    t = np.tanh(a.asnumpy())
    np.testing.assert_allclose(a.grad.asnumpy(), t + a.asnumpy() * (1 - t * t), rtol=1e-6)


def test_bind_and_simple_bind_forward_backward():
    x = mx.sym.var("x")
    y = mx.sym.FullyConnected(x, num_hidden=2, name="fc")
    ex = y.simple_bind(mx.cpu(), x=(3, 4))
    assert sorted(ex.arg_dict) == ["fc_bias", "fc_weight", "x"]
    ex.arg_dict["x"][:] = nd.array(np.arange(12).reshape(3, 4))
    ex.arg_dict["fc_weight"][:] = nd.ones((2, 4))
    (out,) = ex.forward(is_train=True)
    np.testing.assert_allclose(out.asnumpy(), np.arange(12).reshape(3, 4).sum(1)[:, None]
                               * np.ones((1, 2)))
    ex.backward(nd.ones((3, 2)))
    np.testing.assert_allclose(ex.grad_dict["fc_weight"].asnumpy(),
                               np.tile(np.arange(12).reshape(3, 4).sum(0), (2, 1)))
    np.testing.assert_allclose(ex.grad_dict["fc_bias"].asnumpy(), [3, 3])
    args = {"x": nd.ones((3, 4)), "fc_weight": nd.ones((2, 4)), "fc_bias": nd.zeros(2)}
    ex2 = y.bind(mx.cpu(), args)
    np.testing.assert_allclose(ex2.forward()[0].asnumpy(), np.full((3, 2), 4.0))
    with pytest.raises(MinigluonError, match="no array for the arguments"):
        y.bind(mx.cpu(), {"x": nd.ones((3, 4))})


def test_batchnorm_names_and_moving_stats():
    x = mx.sym.var("x")
    b = mx.sym.BatchNorm(x, name="bn")
    assert b.list_arguments() == ["x", "bn_gamma", "bn_beta"]
    assert b.list_auxiliary_states() == ["bn_moving_mean", "bn_moving_var"]
    ex = b.simple_bind(mx.cpu(), x=(4, 2))
    ex.arg_dict["x"][:] = nd.array([[1, 2], [3, 4], [5, 6], [7, 8]])
    ex.arg_dict["bn_gamma"][:] = 1
    ex.aux_dict["bn_moving_var"][:] = 1
    ex.forward(is_train=True)
    ex.backward(nd.ones((4, 2)))
    np.testing.assert_allclose(ex.aux_dict["bn_moving_mean"].asnumpy(), [0.4, 0.5],
                               rtol=1e-6)


def test_sym_functions_come_from_the_registry_plugins_included():
    @register_op
    @frozen_op
    class SymCube(Op):
        """y = x**3.   VJP: dx = 3 x**2 g"""
        name = "sym_test_cube"
        method = "sym_test_cube"

        def forward(self, x):
            return x ** 3, (x,)

        def vjp(self, res, g):
            return (3 * res[0] ** 2 * g,)

    try:
        x = mx.sym.var("x")
        y = mx.sym.sym_test_cube(x)
        assert y.name.startswith("sym_test_cube")
        assert json.loads(y.tojson())["nodes"][1]["op"] == "sym_test_cube"
        np.testing.assert_allclose(x.sym_test_cube().eval(x=nd.array([2.0]))[0].asnumpy(),
                                   [8.0])
        np.testing.assert_allclose(
            mx.sym.load_json(y.tojson()).eval(x=nd.array([3.0]))[0].asnumpy(), [27.0])
    finally:
        OPS.unregister("sym_test_cube")
    assert not hasattr(mx.sym, "sym_test_cube")
    assert "sym_test_cube" not in _symbol.SPECS


def test_every_exposed_operator_has_a_sym_function():
    for name in OPS:
        cls = OPS.get(name)
        if cls.expose:
            assert callable(getattr(mx.sym, cls.name)), cls.name


def test_save_load_round_trip(tmp_path):
    _symbol._COUNTERS.clear()
    sym, shapes = graphs.lenet(mx)
    path = str(tmp_path / "net-symbol.json")
    sym.save(path)
    back = mx.sym.load(path)
    assert json.loads(back.tojson()) == json.loads(sym.tojson())
    assert back.infer_shape(**shapes) == sym.infer_shape(**shapes)


@pytest.mark.parametrize("text, match", [
    ("not json", "not a JSON graph"),
    ('{"a": 1}', "not an MXNet symbol file"),
    ('{"nodes": [{"op": "null"}], "heads": []}', "node 0 is not an object"),
    ('{"nodes": [{"op": "null", "name": "x", "inputs": []}, {"op": "FancyOp", '
     '"name": "f0", "inputs": [[0, 0, 0]]}], "heads": [[1, 0, 0]]}',
     r"node 1 \(f0\) uses the operator 'FancyOp'"),
    ('{"nodes": [{"op": "exp", "name": "e", "inputs": [[3, 0, 0]]}], "heads": [[0, 0, 0]]}',
     r"node 0 \(e\) has the input \[3, 0, 0\]"),
    ('{"nodes": [{"op": "null", "name": "x", "inputs": []}], "heads": [[5, 0, 0]]}',
     "head"),
])
def test_malformed_json_is_refused_naming_the_file_and_node(tmp_path, text, match):
    path = tmp_path / "bad-symbol.json"
    path.write_text(text)
    with pytest.raises(MinigluonError, match=match) as e:
        mx.sym.load(str(path))
    assert "bad-symbol.json" in str(e.value)
