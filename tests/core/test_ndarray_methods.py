"""NDArray attributes, methods and operators (reference section 2.3).

One test (or parametrized case) per row of the MXNet 1.9.1 behaviour reference
(/work/shared/mxnet-semantics.md); test names start with the row id. Rows marked
"improve" test minigluon's better behaviour instead. Tests never import mxnet.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from _nd_helpers import X34, check, vals

import minigluon as mx
from minigluon import nd

# =========================================================================================
# 2.3 NDArray attributes, methods and operators
# =========================================================================================

def test_2_3_shape_is_tuple_of_int():
    s = X34().shape
    assert type(s) is tuple and s == (3, 4) and all(type(d) is int for d in s)


def test_2_3_size_is_int():
    assert type(X34().size) is int and X34().size == 12


def test_2_3_dtype_is_numpy_type_class():
    assert nd.ones(2).dtype is np.float32
    assert repr(nd.array([[1, 2]], dtype="uint8").dtype) == "<class 'numpy.uint8'>"


def test_2_3_context_and_ctx():
    x = nd.ones(2)
    assert x.context == mx.cpu() and x.ctx == mx.cpu() and str(x.ctx) == "cpu(0)"


def test_2_3_T_is_copy_and_1d_unchanged():
    a = nd.arange(6).reshape((2, 3))
    t = a.T
    check(t, (3, 2), np.float32, np.arange(6).reshape(2, 3).T)
    t[0, 0] = 99
    assert vals(a)[0][0] == 0
    check(nd.arange(3).T, (3,), np.float32, [0, 1, 2])


def test_2_3_reshape_forms_and_view():
    x = X34()
    assert x.reshape(2, 6).shape == (2, 6)
    assert x.reshape((6, 2)).shape == (6, 2)
    assert x.reshape(shape=(4, 3)).shape == (4, 3)
    assert x.reshape((-1, 6)).shape == (2, 6)
    v = x.reshape((12,))
    v[0] = 42
    assert vals(x)[0][0] == 42


def test_2_3_asnumpy_same_dtype_and_shape():
    x = nd.array([[1, 2]], dtype="int32")
    a = x.asnumpy()
    assert isinstance(a, np.ndarray) and a.dtype == np.int32 and a.shape == (1, 2)


def test_2_3_asscalar_numpy_scalar():
    s = nd.array([2.5]).asscalar()
    assert type(s) is np.float32 and s == 2.5


@pytest.mark.parametrize("method, inp, expect", [
    ("exp", [0, 1], [1, math.e]),
    ("log", [1, 4], [0, math.log(4)]),
    ("abs", [-1, 4], [1, 4]),
    ("relu", [-1, 4], [0, 4]),
    ("sigmoid", [0, 100], [0.5, 1]),
    ("tanh", [0, 100], [0, 1]),
])
def test_2_3_elementwise_methods(method, inp, expect):
    for dt in ("float32", "float64"):
        r = getattr(nd.array(inp, dtype=dt), method)()
        assert r.dtype is np.dtype(dt).type and r.shape == (2,)
        np.testing.assert_allclose(vals(r), expect, rtol=1e-6)


def test_2_3_reductions():
    x = nd.array([[1, 2, 3], [4, 5, 6]])
    check(x.sum(), (1,), np.float32, [21])
    check(x.sum(axis=1), (2,), np.float32, [6, 15])
    check(x.sum(axis=0, keepdims=True), (1, 3), np.float32, [[5, 7, 9]])
    check(x.mean(), (1,), np.float32, [3.5])
    check(nd.array([[3, 4]]).norm(), (1,), np.float32, [5])


def test_2_3_argmax_in_input_dtype():
    check(X34().argmax(1), (3,), np.float32, [3, 3, 3])


def test_2_3_astype_copy_semantics():
    x = nd.ones(2)
    y = x.astype("float32")
    assert y is not x
    y[0] = 5
    assert vals(x) == [1, 1]
    assert x.astype("float32", copy=False) is x
    z = x.astype("int32", copy=False)
    assert z is not x and z.dtype is np.int32


def test_2_3_take_rows_float_indices():
    check(nd.arange(5).take(nd.array([1.7, 3.2])), (2,), np.float32, [1, 3])
    check(X34().take(nd.array([2, 0])), (2, 4), np.float32,
          [[8, 9, 10, 11], [0, 1, 2, 3]])


def test_2_3_zeros_like_ones_like_methods():
    x = nd.array([[1, 2]], dtype="int32")
    check(x.zeros_like(), (1, 2), np.int32, [[0, 0]])
    check(x.ones_like(), (1, 2), np.int32, [[1, 1]])


def test_2_3_copyto():
    a, b = nd.ones(3), nd.zeros(3)
    r = a.copyto(b)
    assert r is b and vals(b) == [1, 1, 1]
    c = a.copyto(mx.cpu())
    assert c is not a and vals(c) == [1, 1, 1]
    c[0] = 7
    assert vals(a) == [1, 1, 1]


def test_2_3_wait_to_read_returns_none():
    assert nd.ones(2).wait_to_read() is None


def test_2_3_attach_grad_and_grad():
    x = nd.array([1, 2])
    assert x.grad is None
    assert x.attach_grad() is None
    check(x.grad, (2,), np.float32, [0, 0])


def test_2_3_backward():
    x = nd.array([1, 2, 3])
    x.attach_grad()
    with mx.autograd.record():
        y = (x * x).sum()
    assert y.backward() is None
    check(x.grad, (3,), np.float32, [2, 4, 6])


@pytest.mark.parametrize("expr, expect", [
    (lambda a: a + 1, [2, 3]), (lambda a: 1 + a, [2, 3]),
    (lambda a: a - 1, [0, 1]), (lambda a: 1 - a, [0, -1]),
    (lambda a: a * 2, [2, 4]), (lambda a: 2 * a, [2, 4]),
    (lambda a: a / 2, [0.5, 1]), (lambda a: 2 / a, [2, 1]),
    (lambda a: a ** 2, [1, 4]), (lambda a: 2 ** a, [2, 4]),
    (lambda a: -a, [-1, -2]),
    (lambda a: a + nd.array([10, 20]), [11, 22]),
    (lambda a: a * nd.array([[1], [2]]), [[1, 2], [2, 4]]),
], ids=["add", "radd", "sub", "rsub", "mul", "rmul", "div", "rdiv", "pow", "rpow", "neg",
        "add_nd", "mul_bcast"])
def test_2_3_arithmetic_keeps_dtype(expr, expect):
    r = expr(nd.array([1, 2]))
    assert r.dtype is np.float32
    np.testing.assert_allclose(vals(r), expect)


@pytest.mark.parametrize("expr, expect", [
    (lambda a, b: a == b, [1, 0, 1]), (lambda a, b: a < 2, [1, 0, 0]),
    (lambda a, b: a > b, [0, 1, 0]), (lambda a, b: a >= 2, [0, 1, 1]),
    (lambda a, b: a <= 2, [1, 1, 0]), (lambda a, b: a != 2, [1, 0, 1]),
], ids=["eq", "lt", "gt", "ge", "le", "ne"])
def test_2_3_comparisons_give_operand_dtype(expr, expect):
    r = expr(nd.array([1, 2, 3]), nd.array([1, 0, 3]))
    check(r, (3,), np.float32, expect)


def test_2_3_inplace_operators_keep_identity():
    x = nd.ones((2, 3))
    i = id(x)
    x += nd.array([1, 2, 3])
    x -= 1
    x *= 2
    x /= 4
    assert id(x) == i
    check(x, (2, 3), np.float32, [[0.5, 1, 1.5]] * 2)


def test_2_3_len_and_iteration():
    assert len(X34()) == 3
    assert [a.shape for a in X34()] == [(4,)] * 3
    rows = list(nd.arange(3))
    assert [r.shape for r in rows] == [(1,)] * 3 and [vals(r) for r in rows] == [[0], [1], [2]]


def test_2_3_repr_format():
    assert repr(nd.ones((2, 3))) == "\n" + str(np.ones((2, 3), np.float32)) + \
        "\n<NDArray 2x3 @cpu(0)>"
