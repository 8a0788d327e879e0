"""Backward refuses an array changed in place after it was recorded exactly when the VJP
reads it (a residual shares its buffer), and otherwise gives the gradient it would have
given without the change: checked on every registered operator's samples, each input and
the output changed in turn."""

from __future__ import annotations

import numpy as np
import pytest

from minigluon import autograd, nd
from minigluon.base import MinigluonError
from minigluon.ndarray.ndarray import invoke
from minigluon.ops import OPS

ALL_OPS = sorted(OPS)


def _arrays_in(res):
    for r in res or ():
        if isinstance(r, np.ndarray):
            yield r
        elif isinstance(r, (tuple, list)):
            yield from _arrays_in(r)
        elif isinstance(r, dict):
            yield from _arrays_in(r.values())


def _changed(a: np.ndarray) -> np.ndarray:
    """Other values of the same shape and dtype (a permutation, moved a little)."""
    b = np.flip(a.reshape(-1)).reshape(a.shape)
    if a.dtype.kind == "f":
        b = b * 0.75 + 0.125
    return b.astype(a.dtype)


def _scenarios():
    rng = np.random.default_rng(0)
    for name in ALL_OPS:
        for k, (_op, xs) in enumerate(OPS.get(name).samples(rng)[:2]):
            for target in [*range(len(xs)), -1]:
                yield pytest.param(name, k, target, id=f"{name}-{k}-{target}")


@pytest.mark.parametrize("name,k,target", list(_scenarios()))
def test_backward_refuses_exactly_the_changed_arrays_the_vjp_reads(name, k, target):
    op, xs = OPS.get(name).samples(np.random.default_rng(0))[k]
    args = [nd.array(x, dtype=x.dtype) for x in xs]
    for a in args:
        a.attach_grad()
    with autograd.record():
        y = invoke(op, args)
    node = y._node
    g = np.random.default_rng(1).normal(size=y.shape).astype(y.dtype)
    want = [None if w is None else np.array(w, copy=True)
            for w in op.vjp(node.res, g.copy())]
    changed = y if target < 0 else args[target]
    buf = changed._data
    reads = any(np.shares_memory(r, buf) for r in _arrays_in(node.res))
    changed[:] = _changed(buf)
    try:
        y.backward(nd.array(g, dtype=g.dtype))
    except MinigluonError as e:
        assert "changed in place after it was recorded" in str(e)
        assert f"'{op.name}'" in str(e)
        assert reads, f"{name}: backward refused a change to an array its VJP does not read"
        return
    assert not reads, f"{name}: the VJP reads the changed array, backward did not refuse it"
    for a, w in zip(args, want):
        expect = np.zeros(a.shape) if w is None else np.broadcast_to(w, a.shape)
        np.testing.assert_allclose(a.grad.asnumpy(), expect, rtol=1e-6, atol=1e-12)


def test_changed_input_that_add_does_not_read_is_allowed():
    x = nd.array([1.0, 2.0])
    d = nd.array([3.0, 4.0])
    x.attach_grad()
    with autograd.record():
        z = x + d
    d[:] = 0
    z.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), [1.0, 1.0])


def test_changed_input_after_reshape_and_sum_is_allowed():
    x = nd.array([[1.0, 2.0], [3.0, 4.0]])
    x.attach_grad()
    with autograd.record():
        y = x.reshape((4,)).sum()
    x[:] = 0
    y.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), np.ones((2, 2)))


def test_changed_saved_output_blames_the_op_that_saved_it():
    x = nd.array([0.5, 1.0])
    x.attach_grad()
    with autograd.record():
        y = nd.exp(x)
        z = y * 2  # _mul_scalar saves nothing: it is not to blame
    y[:] = 0
    with pytest.raises(MinigluonError,
                       match=r"operator 'exp' needs was changed in place after it was "
                             r"recorded: its output \(of shape \(2,\)\)"):
        z.backward()


def test_changed_input_is_named_by_position():
    x = nd.array([1.0, 2.0])
    w = nd.array([3.0, 4.0])
    x.attach_grad()
    with autograd.record():
        y = (x * w).sum()
    w[:] = 0
    with pytest.raises(MinigluonError, match=r"'broadcast_mul' .*: its input 1 \(of shape "
                                             r"\(2,\)\)"):
        y.backward()


def test_change_through_a_view_of_a_saved_input_is_refused():
    x = nd.arange(6).reshape((2, 3))
    x.attach_grad()
    with autograd.record():
        y = (x * x).sum()
    x[1][:] = 7  # a basic index is a view: it shares x's version
    with pytest.raises(MinigluonError, match="'broadcast_mul'"):
        y.backward()


# ---- writing through NumPy -------------------------------------------------------------
# MXNet's np.asarray(x) is a copy (through asnumpy), and a NumPy ufunc cannot write into an
# NDArray (TypeError "return arrays must be of ArrayType"): checked with MXNet 1.9.1.

def _saved_square():
    x = nd.array([1.0, 2.0, 3.0])
    x.attach_grad()
    with autograd.record():
        y = (x * x).sum()
    return x, y


@pytest.mark.parametrize("write", [lambda a: a.__setitem__(slice(None), 5),
                                   lambda a: np.copyto(a, 7)])
def test_writing_into_np_asarray_leaves_the_array_and_its_gradient_alone(write):
    x, y = _saved_square()
    a = np.asarray(x)
    write(a)
    np.testing.assert_array_equal(x.asnumpy(), [1.0, 2.0, 3.0])
    y.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), [2.0, 4.0, 6.0])


def _asarray_no_copy(x, dtype=None):
    # NumPy 2 passes copy= on to __array__; NumPy 1 has no such argument, so call it as 2 does
    if np.lib.NumpyVersion(np.__version__) >= "2.0.0":
        return np.asarray(x, dtype=dtype, copy=False)
    return x.__array__(dtype, copy=False)


def test_np_asarray_without_copy_is_a_read_only_view():
    x, y = _saved_square()
    a = _asarray_no_copy(x)
    assert np.shares_memory(a, x._data)
    with pytest.raises(ValueError, match="read-only"):
        a[:] = 5
    with pytest.raises(ValueError, match="without a copy"):
        _asarray_no_copy(x, np.float64)
    assert np.asarray(x, dtype=np.float64).dtype == np.float64
    y.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), [2.0, 4.0, 6.0])


@pytest.mark.parametrize("call", [lambda x: np.add(x, 1, out=x),
                                  lambda x: np.exp(x, out=x),
                                  lambda x: np.add(x, 1, out=(x,)),
                                  lambda x: np.multiply(np.ones(3, np.float32), 2, out=x)])
def test_numpy_ufunc_refuses_an_ndarray_out_as_mxnet_does(call):
    x, y = _saved_square()
    with pytest.raises(TypeError, match=r"return arrays must be of ArrayType: np\.\w+\(\.\.\., "
                                        r"out=x\) cannot write into an NDArray"):
        call(x)
    np.testing.assert_array_equal(x.asnumpy(), [1.0, 2.0, 3.0])
    y.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), [2.0, 4.0, 6.0])


def test_numpy_ufunc_at_refuses_to_change_an_ndarray():
    x = nd.array([1.0, 2.0])
    with pytest.raises(TypeError, match=r"first operand must be array: np\.add\.at"):
        np.add.at(x, [0], 1)
    np.testing.assert_array_equal(x.asnumpy(), [1.0, 2.0])


def test_numpy_ufunc_with_a_numpy_out_writes_there():
    x = nd.array([1.0, 2.0])
    buf = np.zeros(2, np.float32)
    r = np.add(x, 1, out=buf)
    assert r is buf
    np.testing.assert_array_equal(buf, [2.0, 3.0])
    np.testing.assert_array_equal(x.asnumpy(), [1.0, 2.0])
