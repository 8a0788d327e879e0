"""Parameter, Constant and ParameterDict (semantics table C, H2/H3/H12)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from gluon_golden import GOLDEN, G, programs

import minigluon as mx
from minigluon import autograd, gluon, nd
from minigluon.gluon import nn
from minigluon.gluon.parameter import DeferredInitializationError


@pytest.mark.parametrize("prog", programs("param_"),
                         ids=lambda p: p.__name__)
def test_matches_mxnet(prog):
    problems = G.compare(prog, mx, GOLDEN)
    assert not problems, "\n".join(problems)


# ---- the data array is a leaf of the tape ------------------------------------------------------

def test_data_is_an_attached_leaf_and_backward_fills_grad():
    p = gluon.Parameter("w", shape=(3,))
    p.initialize(init=mx.init.Constant(2.0))
    x = nd.array([1.0, 2.0, 3.0])
    assert p.data()._node is not None and p.data()._node.is_leaf
    assert not p._fresh_grad
    with autograd.record():
        y = (p.data() * p.data() * x).sum()
    y.backward()
    np.testing.assert_allclose(p.grad().asnumpy(), 2 * 2.0 * x.asnumpy())
    assert p._fresh_grad  # the Trainer's stale-gradient check reads this
    assert p.data()._node.fresh


def test_data_shares_storage_and_set_data_writes_in_place():
    p = gluon.Parameter("w", shape=(2, 2))
    p.initialize(init="zeros")
    handle = p.data()
    p.set_data(np.ones((2, 2)))
    assert handle is p.data()
    np.testing.assert_array_equal(handle.asnumpy(), np.ones((2, 2)))
    handle[:] = 5  # writes through the handle reach the parameter
    assert p.data().asnumpy().sum() == 20


def test_grad_req_add_accumulates_and_zero_grad_clears():
    p = gluon.Parameter("w", shape=(2,), grad_req="add")
    p.initialize(init="ones")
    for _ in range(3):
        with autograd.record():
            (p.data() * nd.array([1.0, 2.0])).sum().backward()
    np.testing.assert_array_equal(p.grad().asnumpy(), [3.0, 6.0])
    p.zero_grad()
    np.testing.assert_array_equal(p.grad().asnumpy(), [0.0, 0.0])


def test_setting_grad_req_reattaches_a_new_zero_buffer():
    p = gluon.Parameter("w", shape=(2,))
    p.initialize(init="ones")
    with autograd.record():
        (p.data() * 3).sum().backward()
    p.grad_req = "add"
    assert p.grad_req == "add"
    np.testing.assert_array_equal(p.grad().asnumpy(), [0.0, 0.0])
    p.grad_req = "null"
    assert p.data()._node is None  # no longer a variable of the graph
    with pytest.raises(RuntimeError, match="because grad_req='null'"):
        p.grad()
    p.grad_req = "write"
    with autograd.record():
        (p.data() * 3).sum().backward()
    np.testing.assert_array_equal(p.grad().asnumpy(), [3.0, 3.0])


def test_not_differentiable_forces_null():
    p = gluon.Parameter("w", shape=(2,), differentiable=False)
    assert p.grad_req == "null"
    p.grad_req = "write"
    assert p.grad_req == "null"


def test_deferred_error_is_an_mxneterror_with_the_mxnet_message():
    p = gluon.Parameter("dense0_weight", shape=(256, 0), allow_deferred_init=True)
    p.initialize()
    with pytest.raises(DeferredInitializationError) as e:
        p.data()
    assert isinstance(e.value, mx.base.MXNetError)
    assert str(e.value) == (
        "Parameter 'dense0_weight' has not been initialized yet because initialization was "
        "deferred. Actual initialization happens during the first forward pass. Please pass "
        "one batch of data through the network before accessing Parameters. You can also "
        "avoid deferred initialization by specifying in_units, num_features, etc., for "
        "network layers.")
    assert gluon.DeferredInitializationError is DeferredInitializationError


def test_uninitialized_message_c17():
    p = gluon.Parameter("dense0_weight", shape=(2, 3))
    with pytest.raises(RuntimeError) as e:
        p.data()
    # MXNet's text word for word, then (issue 18) what it means and the fix
    assert str(e.value).startswith(
        "Parameter 'dense0_weight' has not been initialized. Note that you should initialize "
        "parameters and create Trainer with Block.collect_params() instead of Block.params "
        "because the later does not include Parameters of nested child Blocks\n(minigluon) ")
    assert "net.initialize() was never called" in str(e.value)
    assert "docs/mistakes.rst#not-initialized" in str(e.value)


def test_initialize_twice_warns_c22_and_force_reinit_makes_new_arrays():
    p = gluon.Parameter("w", shape=(2,))
    p.initialize(init="ones")
    old = p.data()
    with pytest.warns(UserWarning) as rec:
        p.initialize(init="zeros")
    assert str(rec[0].message) == ("Parameter 'w' is already initialized, ignoring. Set "
                                   "force_reinit=True to re-initialize.")
    assert p.data().asnumpy().tolist() == [1.0, 1.0]
    p.initialize(init="zeros", force_reinit=True)
    assert p.data() is not old and p.data().asnumpy().tolist() == [0.0, 0.0]


def test_set_data_wrong_shape_c25():
    p = gluon.Parameter("w", shape=(256, 20))
    p.initialize()
    with pytest.raises(AssertionError) as e:
        p.set_data(nd.ones((3, 3)))
    assert str(e.value) == "Expected shape (3, 3) is incompatible with given shape (256, 20)."


def test_set_data_before_initialize_fails_clearly():
    p = gluon.Parameter("w", shape=(2,))
    with pytest.raises(AssertionError, match="Parameter 'w' has not been initialized"):
        p.set_data(nd.ones(2))


def test_set_data_on_deferred_param_is_used_by_the_deferred_init():
    p = gluon.Parameter("w", shape=(2, 0), allow_deferred_init=True)
    p.initialize(init="zeros")
    p.set_data(nd.array([[1, 2, 3], [4, 5, 6]]))
    p._finish_deferred_init()
    np.testing.assert_array_equal(p.data().asnumpy(), [[1, 2, 3], [4, 5, 6]])


def test_cast_converts_data_and_grad():
    p = gluon.Parameter("w", shape=(2,))
    p.initialize(init="ones")
    p.cast("float64")
    assert p.data().dtype == np.float64 and p.grad().dtype == np.float64
    assert p.dtype == "float64"
    with autograd.record():
        (p.data() * 2).sum().backward()
    np.testing.assert_array_equal(p.grad().asnumpy(), [2.0, 2.0])


def test_gpu_context_is_refused_clearly():
    p = gluon.Parameter("w", shape=(2,))
    with pytest.raises(mx.base.MXNetError, match="not implemented for GPU.*MINIGLUON_GPUS"):
        p.initialize(ctx=mx.gpu(0))
    p.initialize(ctx=[mx.cpu()])
    assert p.list_ctx() == [mx.cpu()]
    with pytest.raises(RuntimeError, match="was not initialized on context gpu"):
        p.data(mx.gpu(0))


def test_initializer_runs_under_pause_h12():
    """A deferred initialization inside record() puts nothing on the tape."""
    net = nn.Dense(3)
    net.initialize(mx.init.Normal(1.0))
    x = nd.ones((2, 4))
    with autograd.record() as tape:
        y = net(x)
    assert [n.opname for n in tape.nodes] == ["FullyConnected"]
    y.backward()
    np.testing.assert_allclose(net.weight.grad().asnumpy(), np.full((3, 4), 2.0))


def test_sparse_storage_is_refused():
    with pytest.raises(mx.base.NotAvailableError, match="sparse storage"):
        gluon.Parameter("w", shape=(2,), stype="row_sparse")


# ---- Constant ---------------------------------------------------------------------------------

def test_constant_c10():
    c = gluon.Constant("c", [[1, 2], [3, 4]])
    assert repr(c) == "Constant c (shape=(2, 2), dtype=<class 'numpy.float32'>)"
    assert c.grad_req == "null"
    c.initialize(default_init=mx.init.Zero())  # its value beats a block-level init (H2)
    np.testing.assert_array_equal(c.data().asnumpy(), [[1, 2], [3, 4]])
    with pytest.warns(UserWarning, match='does not support grad_req other than "null"'):
        c.grad_req = "write"
    assert c.grad_req == "null"
    c.set_data(nd.zeros((2, 2)))
    assert c.data().asnumpy().sum() == 0


def test_get_constant_value_mismatch_message_improved():
    pd = gluon.ParameterDict("blk_")
    pd.get_constant("c", [[1, 2], [3, 4]])
    assert pd.get_constant("c", [[1, 2], [3, 4]]) is pd["blk_c"]  # the same value is fine
    with pytest.raises(AssertionError) as e:
        pd.get_constant("c", [[1, 2], [3, 5]])  # MXNet: AttributeError on a list
    assert str(e.value) == G.IMPROVED["param_basics/get_constant_mismatch"].split(": ", 1)[1]


# ---- ParameterDict ----------------------------------------------------------------------------

def test_parameterdict_mapping_protocol_without_len():
    pd = gluon.ParameterDict("p_")
    a = pd.get("a", shape=(1,))
    b = pd.get("b", shape=(2,))
    assert list(pd) == ["p_a", "p_b"] and list(pd.keys()) == ["p_a", "p_b"]
    assert list(pd.values()) == [a, b] and list(pd.items()) == [("p_a", a), ("p_b", b)]
    assert "p_a" in pd and "a" not in pd
    with pytest.raises(TypeError, match="has no len"):
        len(pd)
    assert not hasattr(pd, "grad")  # C32: the book's prose is loose


def test_get_fills_unknown_dims_and_checks_others():
    pd = gluon.ParameterDict()
    p = pd.get("w", shape=(3, 0))
    assert pd.get("w", shape=(3, 5)) is p and p.shape == (3, 5)
    with pytest.raises(AssertionError, match="attribute 'shape': desired '\\(4, 5\\)'"):
        pd.get("w", shape=(4, 5))


def test_shared_dict_lookup():
    base = gluon.ParameterDict("d_")
    w = base.get("weight", shape=(2,))
    other = gluon.ParameterDict("d_", shared=base)
    assert other.get("weight") is w
    assert list(other.keys()) == ["d_weight"]


def test_update_refuses_a_different_parameter_with_the_same_name():
    a, b = gluon.ParameterDict(), gluon.ParameterDict()
    a.get("w", shape=(1,))
    b.get("w", shape=(1,))
    with pytest.raises(AssertionError, match="same name 'w'"):
        a.update(b)
    a.update(a)  # the same objects are fine


def test_select_uses_re_match_c12():
    pd = gluon.ParameterDict()
    for n in ("dense0_weight", "dense0_bias", "dense1_weight"):
        pd.get(n, shape=(1,))
    assert list(pd.select(".*weight").keys()) == ["dense0_weight", "dense1_weight"]
    assert list(pd.select("dense0").keys()) == ["dense0_weight", "dense0_bias"]
    assert list(pd.select("weight").keys()) == []


def test_dict_initialize_zero_grad_setattr():
    pd = gluon.ParameterDict()
    w = pd.get("w", shape=(2,))
    b = pd.get("b", shape=(2,), init="zeros")
    pd.initialize(mx.init.One())
    assert w.data().asnumpy().tolist() == [1, 1] and b.data().asnumpy().tolist() == [0, 0]
    pd.setattr("lr_mult", 0.5)
    assert w.lr_mult == b.lr_mult == 0.5
    with autograd.record():
        (w.data() + b.data()).sum().backward()
    pd.zero_grad()
    assert w.grad().asnumpy().sum() == 0 and b.grad().asnumpy().sum() == 0


def test_dict_repr_nests_like_mxnet():
    pd = gluon.ParameterDict("net_")
    pd.get("w", shape=(2,), dtype="float32")
    assert repr(pd) == "net_ (\n  Parameter net_w (shape=(2,), dtype=float32)\n)"
    assert repr(gluon.ParameterDict()) == "(\n\n)"


def test_verbose_initialize_accepts_the_flag():
    pd = gluon.ParameterDict()
    pd.get("w", shape=(2,))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pd.initialize(mx.init.One(), verbose=True)
    assert pd["w"].data().asnumpy().tolist() == [1, 1]
