"""NDArray semantics against the MXNet 1.9.1 behaviour reference.

One test (or parametrized case) per row of /work/shared/mxnet-semantics.md sections 2.1-2.3
and tables N, N', N'', N''', I, N4 and J2. The test names start with the row id. Expected
values were observed on MXNet 1.9.1; rows marked "improve" test minigluon's better
behaviour instead. Tests never import mxnet.
"""

from __future__ import annotations

import io
import math
import os
import re
import subprocess
import sys
from contextlib import redirect_stdout
from functools import reduce

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import minigluon as mx
from minigluon import nd

MXNetError = mx.base.MXNetError


def vals(x):
    """The values of an NDArray as nested lists (checks it is an NDArray first)."""
    assert isinstance(x, nd.NDArray), type(x)
    return x.asnumpy().tolist()


def check(x, shape, dtype, values=None):
    assert isinstance(x, nd.NDArray), type(x)
    assert x.shape == shape
    assert x.dtype is np.dtype(dtype).type
    if values is not None:
        np.testing.assert_array_equal(x.asnumpy(), np.asarray(values, dtype=dtype))


def X34():
    return nd.arange(12).reshape((3, 4))


# =========================================================================================
# 2.1 top level, context, RNG
# =========================================================================================

def test_2_1_cpu_context():
    c = mx.cpu()
    assert repr(c) == "cpu(0)" and str(c) == "cpu(0)"
    assert nd.ones(1).context == c and mx.cpu(0) == c
    assert isinstance(c, mx.Context)


def test_2_1_context_class_isinstance():
    assert isinstance(nd.ones(2).context, mx.Context)
    assert not isinstance("cpu(0)", mx.Context)


@pytest.mark.parametrize("make", [lambda: nd.array([1], ctx=mx.gpu(0)),
                                  lambda: nd.zeros(2, ctx=mx.gpu())],
                         ids=["array", "zeros"])
def test_2_1_gpu_array_raises(make):
    with pytest.raises(MXNetError, match="USE_CUDA=1"):
        make()


def test_2_1_mxneterror_is_runtimeerror():
    assert issubclass(mx.base.MXNetError, RuntimeError)


def test_2_1_random_seed_seeds_nd_random_only():
    mx.random.seed(7)
    a = nd.random.normal(shape=(5,)).asnumpy()
    mx.random.seed(7)
    b = nd.random.normal(shape=(5,)).asnumpy()
    np.testing.assert_array_equal(a, b)
    np.random.seed(1)
    u = np.random.rand()
    np.random.seed(1)
    mx.random.seed(0)  # must not touch NumPy's global RNG
    assert np.random.rand() == u


# =========================================================================================
# 2.2 nd functions
# =========================================================================================

def test_2_2_array_copies_and_defaults_to_float32():
    src = np.array([1.0, 2.0])
    a = nd.array(src)
    src[0] = 100
    check(a, (2,), np.float32, [1, 2])
    b = nd.array(a)
    assert b is not a
    b[0] = 5
    assert vals(a) == [1, 2]
    check(nd.array([[1, 2]], dtype="int32"), (1, 2), np.int32, [[1, 2]])


def test_2_2_arange():
    check(nd.arange(12), (12,), np.float32, np.arange(12))
    x = nd.arange(-8.0, 8.0, 0.1)
    assert x.shape == (160,) and x.dtype is np.float32
    check(nd.arange(2, 8, 2), (3,), np.float32, [2, 4, 6])


@pytest.mark.parametrize("shape, expect", [(3, (3,)), ((2, 3), (2, 3)), ([2, 1], (2, 1))])
def test_2_2_zeros_ones_shape_forms(shape, expect):
    check(nd.zeros(shape), expect, np.float32, np.zeros(expect))
    check(nd.ones(shape=shape), expect, np.float32, np.ones(expect))
    check(nd.zeros(shape, ctx=mx.cpu(), dtype="int32"), expect, np.int32, np.zeros(expect))


def test_2_2_ones_like():
    x = nd.array([[1, 2]], dtype="int32")
    check(nd.ones_like(x), (1, 2), np.int32, [[1, 1]])
    assert nd.ones_like.__doc__.strip().splitlines()[0].startswith(
        "Return an array of ones with the same shape and type")


def test_2_2_random_normal():
    assert nd.random.normal(0, 1).shape == (1,)
    assert nd.random.normal(0, 1, shape=1).shape == (1,)
    x = nd.random.normal(0, 1, shape=(3, 4))
    assert x.shape == (3, 4) and x.dtype is np.float32
    y = nd.random.normal(scale=0.01, shape=(2, 3))
    assert y.shape == (2, 3) and y.dtype is np.float32
    big = nd.random.normal(5, 2, shape=(20000,)).asnumpy()
    assert abs(big.mean() - 5) < 0.1 and abs(big.std() - 2) < 0.1


def test_2_2_random_uniform():
    X = nd.ones((2, 3))
    u = nd.random.uniform(0, 1, X.shape)
    assert u.shape == (2, 3) and u.dtype is np.float32
    big = nd.random.uniform(low=-3, high=-1, shape=(10000,)).asnumpy()
    assert big.min() >= -3 and big.max() < -1 and abs(big.mean() + 2) < 0.05


def test_2_2_nd_random_module_lists_samplers():
    names = dir(nd.random)
    base = ["exponential", "gamma", "generalized_negative_binomial", "multinomial",
            "negative_binomial", "normal", "poisson", "randint", "randn", "shuffle",
            "uniform"]
    like = ["exponential_like", "gamma_like", "generalized_negative_binomial_like",
            "negative_binomial_like", "normal_like", "poisson_like", "uniform_like"]
    assert [n for n in base + like if n not in names] == []


def test_2_2_dot():
    check(nd.dot(nd.array([1, 2]), nd.array([3, 4])), (1,), np.float32, [11])
    check(nd.dot(nd.ones((2, 3)), nd.ones(3)), (2,), np.float32, [3, 3])
    assert nd.dot(nd.ones((2, 3, 4)), nd.ones((4, 5))).shape == (2, 3, 5)
    with pytest.raises(MXNetError, match="dot shape error"):
        nd.dot(nd.ones((2, 3)), nd.ones((2, 3)))


def test_2_2_concat_varargs():
    check(nd.concat(nd.ones((2, 1)), nd.zeros((2, 2))), (2, 3), np.float32,
          [[1, 0, 0], [1, 0, 0]])
    check(nd.concat(nd.ones((1, 2)), nd.zeros((2, 2)), dim=0), (3, 2), np.float32,
          [[1, 1], [0, 0], [0, 0]])
    with pytest.raises(MXNetError, match="axis 1 exceeds the input dimension of 1"):
        nd.concat(nd.ones(2), nd.ones(2))


def test_2_2_concat_list_argument_raises():
    # MXNet: a list is not accepted (AssertionError), even for 2-D inputs
    with pytest.raises(AssertionError, match="Positional arguments must have NDArray type"):
        nd.concat([nd.ones((2, 1)), nd.ones((2, 1))])


def test_2_2_elemwise_add():
    X, Y, Z = nd.ones(3), nd.ones(3) * 2, nd.zeros(3)
    r = nd.elemwise_add(X, Y, out=Z)
    assert r is Z and vals(Z) == [3, 3, 3]
    with pytest.raises(MXNetError):
        nd.elemwise_add(nd.ones(2), nd.ones(3))
    with pytest.raises(MXNetError):
        nd.elemwise_add(nd.ones((2, 3)), nd.ones(3))  # no broadcasting


def test_2_2_exp_sum_norm_functions():
    x = nd.array([[3, 4]])
    np.testing.assert_allclose(vals(nd.exp(x)), vals(x.exp()))
    check(nd.sum(x), (1,), np.float32, [7])
    check(nd.norm(x), (1,), np.float32, [5])


def test_2_2_pick_truncates_and_clips():
    d = nd.array([[1, 2, 3], [4, 5, 6]])
    check(nd.pick(d, nd.array([0.7, 2.9])), (2,), np.float32, [1, 6])
    check(nd.pick(d, nd.array([9, -4])), (2,), np.float32, [3, 4])


def test_2_2_maximum():
    check(nd.maximum(nd.array([-1, 2]), 0), (2,), np.float32, [0, 2])
    check(nd.maximum(nd.array([-1, 2]), nd.array([1, 1])), (2,), np.float32, [1, 2])


def test_2_2_relu():
    check(nd.relu(nd.array([-1, 0, 2])), (3,), np.float32, [0, 0, 2])


def test_2_2_power():
    check(nd.power(nd.array([2, 3]), 2), (2,), np.float32, [4, 9])
    check(nd.power(nd.array([2, 3]), nd.array([3, 2])), (2,), np.float32, [8, 9])


def test_2_2_clip_with_inf():
    check(nd.clip(nd.array([-1, 5, 10]), 0, float("inf")), (3,), np.float32, [0, 5, 10])
    check(nd.clip(nd.array([-1, 5, 10]), 1, 6), (3,), np.float32, [1, 5, 6])


def test_2_2_sqrt_negative_is_nan():
    r = nd.sqrt(nd.array([4, -1]))
    assert r.dtype is np.float32
    assert vals(r)[0] == 2 and math.isnan(vals(r)[1])


def test_2_2_save_load(tmp_path):
    f = str(tmp_path / "x")
    nd.save(f, nd.ones(2))
    assert os.listdir(tmp_path) == ["x"]  # no extension added
    r = nd.load(f)
    assert isinstance(r, list) and len(r) == 1 and vals(r[0]) == [1, 1]
    nd.save(f, [nd.ones(2), nd.zeros(3, dtype="int32")])
    r = nd.load(f)
    assert isinstance(r, list) and len(r) == 2
    check(r[1], (3,), np.int32, [0, 0, 0])
    nd.save(f, {"a": nd.ones(2)})
    r = nd.load(f)
    assert isinstance(r, dict) and list(r) == ["a"] and vals(r["a"]) == [1, 1]


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


# =========================================================================================
# N. creation, dtype, printing
# =========================================================================================

def test_N1_arange_defaults():
    x = nd.arange(12)
    assert x.dtype is np.float32 and x.shape == (12,) and x.size == 12
    assert type(x.size) is int and x.context == mx.cpu()


@pytest.mark.parametrize("src", [[1, 2, 3], np.arange(3), np.ones(2), np.ones(2, np.float16),
                                 np.array([True, False])],
                         ids=["list", "int64", "float64", "float16", "bool"])
def test_N2_list_and_numpy_sources_become_float32(src):
    assert nd.array(src).dtype is np.float32


def test_N3_int_array_prints_without_decimal_point():
    assert repr(nd.array([0, 2], dtype="int32")) == "\n[0 2]\n<NDArray 2 @cpu(0)>"


def test_N4_ndarray_source_keeps_dtype():
    src = nd.array([1, 2], dtype="int32")
    a = nd.array(src)
    assert a.dtype is np.int32 and a is not src


def test_N5_object_numpy_array():
    a = nd.array(np.array([[1.0, True], [2.0, False]], dtype=object))
    check(a, (2, 2), np.float32, [[1, 1], [2, 0]])


def test_N6_repr_and_str():
    x = nd.ones((2, 3))
    assert repr(x) == "\n[[1. 1. 1.]\n [1. 1. 1.]]\n<NDArray 2x3 @cpu(0)>"
    assert str(x) == repr(x)
    assert repr(nd.arange(12).reshape((2, 3, 2))) == (
        "\n[[[ 0.  1.]\n  [ 2.  3.]\n  [ 4.  5.]]\n\n [[ 6.  7.]\n  [ 8.  9.]\n  [10. 11.]]]"
        "\n<NDArray 2x3x2 @cpu(0)>")
    assert repr(nd.array([[1.5, -2], [3, 4]])) == \
        "\n[[ 1.5 -2. ]\n [ 3.   4. ]]\n<NDArray 2x2 @cpu(0)>"


def test_N7_one_element_repr():
    assert repr(nd.ones((1,))) == "\n[1.]\n<NDArray 1 @cpu(0)>"
    assert repr(X34().sum()) == "\n[66.]\n<NDArray 1 @cpu(0)>"


def test_N8_zero_dim_array():
    a = nd.array(5)
    assert a.shape == ()
    assert repr(a) == "\n5.0\n<NDArray  @cpu(0)>"


def test_N9_empty_arrays_improve():
    z = nd.zeros((0, 3))
    check(z, (0, 3), np.float32)
    assert repr(z) == "\n[]\n<NDArray 0x3 @cpu(0)>"
    assert repr(nd.array(np.zeros((0, 3)))) == "\n[]\n<NDArray 0x3 @cpu(0)>"


def test_N10_numpy_summarization():
    assert repr(nd.arange(2000).reshape((2, 1000))) == (
        "\n[[0.000e+00 1.000e+00 2.000e+00 ... 9.970e+02 9.980e+02 9.990e+02]\n"
        " [1.000e+03 1.001e+03 1.002e+03 ... 1.997e+03 1.998e+03 1.999e+03]]\n"
        "<NDArray 2x1000 @cpu(0)>")


def test_N11_print_two_arrays():
    X = nd.arange(20).reshape((10, 2))
    y = nd.arange(10)
    buf = io.StringIO()
    with redirect_stdout(buf):
        print(X, y)
    assert buf.getvalue() == (
        "\n[[ 0.  1.]\n [ 2.  3.]\n [ 4.  5.]\n [ 6.  7.]\n [ 8.  9.]\n [10. 11.]\n"
        " [12. 13.]\n [14. 15.]\n [16. 17.]\n [18. 19.]]\n<NDArray 10x2 @cpu(0)> "
        "\n[0. 1. 2. 3. 4. 5. 6. 7. 8. 9.]\n<NDArray 10 @cpu(0)>\n")


def test_N12_container_display_uses_repr():
    assert repr((nd.array([0.1, 0.3, 0.6]), 4.2)) == \
        "(\n[0.1 0.3 0.6]\n<NDArray 3 @cpu(0)>, 4.2)"


def test_N13_seeded_normal_is_reproducible():
    # MXNet's stream is not matched (on purpose); only shape, dtype and repeatability
    mx.random.seed(0)
    a = nd.random.normal(0, 1, shape=(3, 4))
    mx.random.seed(0)
    b = nd.random.normal(0, 1, shape=(3, 4))
    assert a.shape == (3, 4) and a.dtype is np.float32
    np.testing.assert_array_equal(a.asnumpy(), b.asnumpy())


def test_N14_dtype_comparisons():
    x = nd.ones(1)
    assert (x.dtype == np.float32) is True
    assert (x.dtype == "float32") is False
    assert x.dtype is np.float32


# =========================================================================================
# N'. dtype promotion and arithmetic
# =========================================================================================

def test_P1_int32_plus_float32_promotes_like_numpy_improve():
    i = nd.array([1, 2], dtype="int32")
    f = nd.array([0.5, 0.5])
    r = i + f
    assert r.dtype is np.result_type(np.int32, np.float32).type
    assert vals(r) == [1.5, 2.5]
    r = nd.array([1, 2], dtype="float64") + f
    assert r.dtype is np.float64
    r = nd.array([1, 2], dtype="float16") + f
    assert r.dtype is np.float32
    assert vals(i == nd.array([1, 0.5])) == [1, 0]


@pytest.mark.parametrize("expr, expect", [
    # the three examples of the row
    (lambda x: nd.array([1], dtype="int32") + 1.5, [2]),
    (lambda x: nd.array([1], dtype="int32") * 0.5, [0]),
    (lambda x: nd.array([3], dtype="int32") / 2, [1]),
    # MXNet casts the scalar to the array dtype first (0.5 -> 0, 1.5 -> 1), x = [3, -3]
    (lambda x: x * 0.5, [0, 0]),
    (lambda x: x + 1.5, [4, -2]),
    (lambda x: 1.5 + x, [4, -2]),
    (lambda x: x - 1.5, [2, -4]),
    (lambda x: x + np.float64(1.5), [4, -2]),
    (lambda x: x / 2.5, [1, -1]),
    (lambda x: 7 / x, [2, -2]),
    (lambda x: x ** 0.5, [1, 1]),
    (lambda x: x < 1.5, [0, 1]),
    (lambda x: x >= 3.5, [1, 0]),
    (lambda x: x == 3.2, [1, 0]),
], ids=["row_add", "row_mul", "row_div", "mul_half", "add", "radd", "sub", "add_np64",
        "div", "rdiv", "pow_half", "lt", "ge", "eq"])
def test_P2_scalar_ops_keep_int_dtype_and_cast_scalar(expr, expect):
    r = expr(nd.array([3, -3], dtype="int32"))
    assert r.dtype is np.int32
    assert vals(r) == expect


def test_P3_comparisons_are_float_01_and_usable_as_mask():
    X = nd.array([[1, 2, 3, 4]])
    Y = nd.array([[2, 2, 1, 4]])
    check(X == Y, (1, 4), np.float32, [[0, 1, 0, 1]])
    check(X < Y, (1, 4), np.float32, [[1, 0, 0, 0]])
    check(X > Y, (1, 4), np.float32, [[0, 0, 1, 0]])
    check(X >= 3, (1, 4), np.float32, [[0, 0, 1, 1]])
    check((X >= 3) * X, (1, 4), np.float32, [[0, 0, 3, 4]])


def test_P4_argmax():
    a = nd.array([[1, 3, 2], [4, 0, 1]])
    check(a.argmax(axis=1), (2,), np.float32, [1, 0])
    check(nd.array([[1, 3, 2], [4, 0, 1]], dtype="int32").argmax(axis=1), (2,), np.int32,
          [1, 0])
    check(a.argmax(), (1,), np.float32, [3])


def test_P5_accuracy():
    y_hat = nd.array([[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]])
    y = nd.array([2, 0], dtype="int32")
    acc = (y_hat.argmax(axis=1) == y.astype("float32")).mean().asscalar()
    assert type(acc) is np.float32 and acc == 0.5


def test_P6_ieee_results_without_warnings():
    code = (
        "import math, minigluon as mx\n"
        "nd = mx.nd\n"
        "assert (nd.ones(2) / 0).asnumpy().tolist() == [math.inf, math.inf]\n"
        "r = nd.array([1, 0, -1]).log().asnumpy().tolist()\n"
        "assert r[:2] == [0, -math.inf] and math.isnan(r[2])\n"
        "assert math.isnan(float(nd.sqrt(-1)))\n"
        "assert math.isnan(nd.sqrt(nd.array([-1])).asscalar())\n"
    )
    p = subprocess.run([sys.executable, "-W", "error", "-c", code], capture_output=True,
                       text=True)
    assert p.returncode == 0, p.stderr
    assert p.stderr == ""


def test_P7_reflected_scalar_ops():
    check(10 + nd.ones(3), (3,), np.float32, [11] * 3)
    check(2 ** nd.arange(3), (3,), np.float32, [1, 2, 4])
    r = np.float32(2) * nd.ones(2)
    check(r, (2,), np.float32, [2, 2])
    check(10 - nd.ones(2), (2,), np.float32, [9, 9])
    check(1 / nd.array([2, 4]), (2,), np.float32, [0.5, 0.25])


def test_P8_array_likes_accepted_improve():
    check(nd.ones(2) + np.ones(2), (2,), np.float32, [2, 2])
    check(np.ones(2) + nd.ones(2), (2,), np.float32, [2, 2])
    check([1, 2] + nd.ones(2), (2,), np.float32, [2, 3])
    check(nd.ones(2) * [1, 2], (2,), np.float32, [1, 2])
    assert (nd.ones(2) == None) is False  # noqa: E711
    assert (nd.ones(2) != None) is True  # noqa: E711


def test_P8_array_like_operand_matches_ndarray_operand():
    # an array-like must not be silently truncated to the NDArray's dtype: it should give
    # what the same values as an NDArray give (P1: int32 + float32 promotes)
    x = nd.array([1, 2], dtype="int32")
    expect = vals(x + nd.array([0.5, 0.5]))
    assert expect == [1.5, 2.5]
    assert vals(x + np.array([0.5, 0.5])) == expect
    assert vals(x + [0.5, 0.5]) == expect


def test_P9_numpy_conversion_improve():
    assert np.array(nd.ones((2, 2))).shape == (2, 2)
    assert np.asarray(nd.ones(2)).dtype == np.float32


def test_P9_np_array_is_a_copy():
    x = nd.ones(3)
    a = np.array(x)  # np.array copies by default
    a[0] = 5
    assert vals(x) == [1, 1, 1]


def test_P10_float_int_of_size1_improve():
    assert float(nd.array([3.5])) == 3.5
    assert int(nd.array([3.5])) == 3
    assert int(nd.array([[3]], dtype="int32")) == 3
    assert float(nd.array(2.5)) == 2.5
    with pytest.raises((TypeError, ValueError)):
        float(nd.ones(2))


def test_P11_truth_value():
    assert bool(nd.array([3.5])) is True
    assert bool(nd.array([0])) is False
    msg = "The truth value of an NDArray with multiple elements is ambiguous."
    with pytest.raises(ValueError, match=re.escape(msg)):
        bool(nd.ones(2))
    with pytest.raises(ValueError, match=re.escape(msg)):
        nd.ones(2) in [nd.zeros(2)]  # noqa: B015


def test_P12_identity_hash():
    a, b = nd.ones(2), nd.ones(2)
    assert hash(a) == hash(a)
    assert len({a, b}) == 2 and a in {a: 1}


@pytest.mark.parametrize("fn, expect", [
    (lambda x: x.mean(), [1]),
    (lambda x: x.sum(), [3]),
    (lambda x: x.sum(axis=0), [3]),
    (lambda x: nd.sum(x), [3]),
    (lambda x: x.max(), [2]),
    (lambda x: x.prod(), [2]),
    (lambda x: x.norm(), [2]),
], ids=["mean", "sum", "sum_axis0", "nd_sum", "max", "prod", "norm"])
def test_P13_int_reductions_keep_int32(fn, expect):
    check(fn(nd.array([1, 2], dtype="int32")), (1,), np.int32, expect)


def test_P13_int_exp():
    r = nd.array([0, 1], dtype="int32").exp()
    if r.dtype is np.int32:  # MXNet
        assert vals(r) == [1, 2]
    else:  # the optional improvement: a float result
        assert r.dtype in (np.float32, np.float64)
        np.testing.assert_allclose(vals(r), [1, math.e], rtol=1e-6)


# =========================================================================================
# N''. Broadcasting, reductions, shapes
# =========================================================================================

def test_B1_broadcast_column_and_row():
    r = nd.arange(3).reshape((3, 1)) + nd.arange(2).reshape((1, 2))
    check(r, (3, 2), np.float32, [[0, 1], [1, 2], [2, 3]])


def test_B2_incompatible_shapes_raise_mxneterror():
    with pytest.raises(MXNetError, match="operands could not be broadcast together"):
        nd.ones((2, 3)) + nd.ones(2)


@pytest.mark.parametrize("a, b, shape", [((3,), (2, 3), (2, 3)), ((4, 1), (3,), (4, 3)),
                                         ((10, 1), (10,), (10, 10))])
def test_B3_numpy_broadcast_rules(a, b, shape):
    assert (nd.ones(a) + nd.ones(b)).shape == shape
    assert (nd.ones(a) - nd.ones(b)).shape == shape


@pytest.mark.parametrize("fn, value", [
    (lambda x: x.sum(), 66), (lambda x: x.mean(), 5.5), (lambda x: x.max(), 11),
    (lambda x: x.norm(), math.sqrt(506)),
    (lambda x: nd.ones(3).sum(axis=0), 3),
    (lambda x: nd.ones((2, 3)).mean(axis=(0, 1)), 1),
], ids=["sum", "mean", "max", "norm", "sum_axis0_1d", "mean_all_axes"])
def test_B4_full_reduction_shape_1(fn, value):
    r = fn(X34())
    assert r.shape == (1,) and r.dtype is np.float32
    np.testing.assert_allclose(vals(r), [value], rtol=1e-6)


def test_B4_mean_over_two_axes_of_3d():
    check(nd.ones((2, 3, 4)).mean(axis=(0, 1)), (4,), np.float32, [1] * 4)


def test_B5_keepdims_without_axis():
    check(nd.ones((2, 3)).sum(keepdims=True), (1, 1), np.float32, [[6]])


def test_B6_sum_axis_keepdims():
    X = nd.array([[1, 2, 3], [4, 5, 6]])
    check(X.sum(axis=0, keepdims=True), (1, 3), np.float32, [[5, 7, 9]])
    check(X.sum(axis=1, keepdims=True), (2, 1), np.float32, [[6], [15]])


def test_B7_norm():
    check(nd.norm(nd.array([[3, 4]])), (1,), np.float32, [5])
    check(nd.array([[3, 4], [6, 8]]).norm(axis=1), (2,), np.float32, [5, 10])


def test_B8_bad_reshape():
    with pytest.raises(ValueError,
                       match=re.escape("Cannot reshape array of size 12 into shape (5, -1)")):
        nd.ones(12).reshape((5, -1))


def test_B9_reshape_zero_code():
    assert nd.ones((2, 3, 4)).reshape((0, -1)).shape == (2, 12)
    assert nd.ones((2, 3, 4)).reshape((-1, 0)).shape == (8, 3)
    assert nd.ones((2, 3, 4)).reshape((4, 0, -1)).shape == (4, 3, 2)


_BINOPS = {
    "add": (lambda a, b: a + b), "sub": (lambda a, b: a - b), "mul": (lambda a, b: a * b),
    "div": (lambda a, b: a / b), "pow": (lambda a, b: a ** b),
    "eq": (lambda a, b: a == b), "lt": (lambda a, b: a < b), "ge": (lambda a, b: a >= b),
}


@settings(max_examples=150, deadline=None)
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4,
                                                 min_side=1, max_side=4),
       op=st.sampled_from(sorted(_BINOPS)), seed=st.integers(0, 2**32 - 1))
def test_B1_B3_property_binary_broadcasting_matches_numpy(shapes, op, seed):
    sa, sb = shapes.input_shapes
    sa, sb = sa or (1,), sb or (1,)  # MXNet arrays are at least 1-D
    rng = np.random.default_rng(seed)
    a = rng.integers(1, 4, sa).astype(np.float32)
    b = rng.integers(1, 4, sb).astype(np.float32)
    expect = _BINOPS[op](a, b).astype(np.float32)
    got = _BINOPS[op](nd.array(a), nd.array(b))
    assert got.shape == expect.shape and got.dtype is np.float32
    np.testing.assert_allclose(got.asnumpy(), expect, rtol=1e-6)


@st.composite
def _reshape_case(draw):
    src = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=4)))
    size = reduce(lambda p, q: p * q, src, 1)
    factors = [f for d in src for f in _prime_factors(d)]
    factors = draw(st.permutations(factors))
    m = draw(st.integers(1, 4))
    cuts = sorted(draw(st.lists(st.integers(0, len(factors)), min_size=m - 1,
                                max_size=m - 1)))
    bounds = [0, *cuts, len(factors)]
    tgt = [reduce(lambda p, q: p * q, factors[bounds[k]:bounds[k + 1]], 1) for k in range(m)]
    assert reduce(lambda p, q: p * q, tgt, 1) == size
    spec = list(tgt)
    for j in range(m):  # 0 copies the input dimension at the same position
        if j < len(src) and src[j] == tgt[j] and draw(st.booleans()):
            spec[j] = 0
    free = [j for j in range(m) if spec[j] != 0]
    if free and draw(st.booleans()):
        spec[draw(st.sampled_from(free))] = -1
    return src, tuple(spec), tuple(tgt)


def _prime_factors(n):
    out, p = [], 2
    while n > 1:
        while n % p == 0:
            out.append(p)
            n //= p
        p += 1
    return out


@settings(max_examples=200, deadline=None)
@given(case=_reshape_case())
def test_B9_property_reshape_codes(case):
    src, spec, tgt = case
    x = nd.arange(int(np.prod(src))).reshape(src)
    y = x.reshape(spec)
    assert y.shape == tgt
    np.testing.assert_array_equal(y.asnumpy().ravel(), np.arange(int(np.prod(src))))
    y[(0,) * len(tgt)] = -5  # a view: the write reaches x
    assert x.asnumpy().ravel()[0] == -5


# =========================================================================================
# N'''. asscalar / asnumpy
# =========================================================================================

def test_S1_norm_asscalar():
    s = X34().norm().asscalar()
    assert type(s) is np.float32
    assert s == np.float32(22.494442)  # the value the nd chapter prints


def test_S2_asscalar_of_many_elements():
    with pytest.raises(ValueError, match="The current array is not a scalar"):
        nd.ones(2).asscalar()


def test_S3_asscalar_any_size1_improve():
    s = nd.ones((1, 1)).asscalar()
    assert type(s) is np.float32 and s == 1
    assert type(nd.array(2.5).asscalar()) is np.float32


def test_S4_int_asscalar():
    s = nd.array([3], dtype="int32").asscalar()
    assert type(s) is np.int32 and s == 3


def test_S5_asnumpy_fresh_copy():
    x = nd.array([[1, 2]], dtype="int32")
    a = x.asnumpy()
    assert type(a) is np.ndarray and a.dtype == np.int32 and a.shape == (1, 2)
    a[0, 0] = 9
    assert vals(x) == [[1, 2]]
    assert x.asnumpy() is not x.asnumpy()
    one = nd.ones(1)
    b = one.asnumpy()
    assert isinstance(b, np.ndarray) and b.shape == (1,) and b.dtype == np.float32
    b[0] = 3
    assert vals(one) == [1]


def test_S5_asnumpy_size1_displays_as_plain_array():
    a = nd.ones(1).asnumpy()
    assert repr(a) == "array([1.], dtype=float32)"
    assert str(a) == "[1.]"
    assert repr(a * 2) == "array([2.], dtype=float32)"


def test_S6_python_float_plus_asscalar():
    r = 0.0 + nd.ones(1).asscalar()
    assert r == 1.0
    assert isinstance(r, np.floating)
    # NEP 50 on NumPy 2; NumPy 1.x (as under MXNet) promotes to float64
    assert type(r) is (np.float32 if np.lib.NumpyVersion(np.__version__) >= "2.0.0"
                       else np.float64)


def test_S7_item_tolist_improve():
    i = nd.array([2.5]).item()
    assert type(i) is float and i == 2.5
    assert nd.array([[1, 2]]).tolist() == [[1.0, 2.0]]


# =========================================================================================
# I. Indexing and assignment
# =========================================================================================

def test_I1_int_index_of_vector_is_shape_1():
    check(nd.arange(6)[1], (1,), np.float32, [1])
    features, labels = nd.ones((1000, 2)), nd.ones(1000)
    assert features[0].shape == (2,) and labels[0].shape == (1,)


def test_I2_full_int_index():
    check(X34()[1, 2], (1,), np.float32, [6])


def test_I3_int_index_drops_axis():
    check(nd.arange(6).reshape((2, 3))[1], (3,), np.float32, [3, 4, 5])


@pytest.mark.parametrize("key", [
    slice(1, 3), (slice(None), 0), slice(None, 2), (slice(0, 2), slice(None)),
    slice(None, None, 2), slice(None, None, -1), slice(2, 100), -1, (slice(None), -1),
], ids=["1:3", ":,0", ":2", "slice_obj", "::2", "::-1", "2:100", "-1", ":,-1"])
def test_I4_slices_like_numpy(key):
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    check(nd.array(a)[key], a[key].shape, np.float32, a[key])


def test_I4_1d_slices():
    x = nd.arange(6)
    check(x[::2], (3,), np.float32, [0, 2, 4])
    check(x[::-1], (6,), np.float32, [5, 4, 3, 2, 1, 0])
    check(x[4:100], (2,), np.float32, [4, 5])


def test_I5_out_of_bounds():
    with pytest.raises(IndexError, match="index 10 is out of bounds for axis 0 with size 6"):
        nd.arange(6)[10]


@pytest.mark.parametrize("idx", [nd.array([2, 0]), [2, 0], np.array([2, 0])],
                         ids=["ndarray", "list", "numpy"])
def test_I6_advanced_row_gather_is_copy(idx):
    X = nd.arange(6).reshape((3, 2))
    r = X[idx]
    check(r, (2, 2), np.float32, [[4, 5], [0, 1]])
    r[0, 0] = 99
    assert vals(X)[2][0] == 4


def test_I7_pairwise_gather():
    X = nd.arange(6).reshape((3, 2))
    check(X[[0, 2], [1, 0]], (2,), np.float32, [1, 4])
    check(X[nd.array([0, 2]), nd.array([1, 0])], (2,), np.float32, [1, 4])


def test_I8_ndarray_mask_is_indices_numpy_bool_mask_selects():
    check(nd.arange(4)[nd.array([1, 0, 1, 0])], (4,), np.float32, [1, 0, 1, 0])
    # improve: a boolean NumPy mask selects like NumPy
    check(nd.arange(4)[np.array([True, False, True, False])], (2,), np.float32, [0, 2])


def test_I9_newaxis_and_ellipsis():
    check(nd.arange(4)[None, :], (1, 4), np.float32, [[0, 1, 2, 3]])
    assert nd.ones((2, 3, 4))[..., 1].shape == (2, 3)


def test_I10_basic_indexing_views_write_through():
    a = nd.arange(12)
    a.reshape((3, 4))[1, 1] = 100
    assert vals(a)[5] == 100
    a = nd.arange(6)
    a[1:3][:] = 7
    assert vals(a) == [0, 7, 7, 3, 4, 5]
    a = nd.arange(6).reshape((2, 3))
    a[1][:] = 9
    assert vals(a) == [[0, 1, 2], [9, 9, 9]]
    a = nd.arange(6).reshape((2, 3))
    a[1:2, :] = 12
    assert vals(a) == [[0, 1, 2], [12, 12, 12]]


@pytest.mark.parametrize("derive", [lambda a: a.T, lambda a: a[[0, 1]], lambda a: a.copy(),
                                    lambda a: a.astype("float32")],
                         ids=["T", "fancy", "copy", "astype"])
def test_I11_copies_do_not_write_through(derive):
    a = nd.arange(6).reshape((2, 3))
    c = derive(a)
    c[0, 0] = 99
    assert vals(a) == [[0, 1, 2], [3, 4, 5]]


def test_I12_setitem_sources_broadcast_and_cast():
    x = nd.zeros(3)
    i = id(x)
    x[:] = 5
    assert vals(x) == [5, 5, 5]
    x[:] = nd.array([7])
    assert vals(x) == [7, 7, 7]
    x[:] = np.array([1, 2, 3])
    assert vals(x) == [1, 2, 3]
    x[:] = [4, 5, 6]
    assert vals(x) == [4, 5, 6]
    x[:] = np.float64(2.5)
    assert vals(x) == [2.5] * 3 and x.dtype is np.float32 and id(x) == i
    X = nd.ones((2, 3))
    Z = nd.zeros((2, 3))
    i = id(Z)
    Z[:] = X + X
    assert id(Z) == i and vals(Z) == [[2] * 3] * 2


def test_I13_setitem_bad_shape():
    x = nd.ones(3)
    with pytest.raises(ValueError, match="broadcast"):
        x[:] = nd.ones((2, 3))


def test_I14_setitem_forms():
    x = nd.arange(6)
    x[1:3] = 12
    assert vals(x) == [0, 12, 12, 3, 4, 5]
    X = nd.arange(6).reshape((2, 3))
    X[1, 2] = 9
    assert vals(X) == [[0, 1, 2], [3, 4, 9]]
    X = nd.arange(6).reshape((2, 3))
    X[1:2, :] = 12
    assert vals(X) == [[0, 1, 2], [12, 12, 12]]
    X = nd.zeros((3, 2))
    X[:, 1] = nd.array([1, 2, 3])
    assert vals(X) == [[0, 1], [0, 2], [0, 3]]
    X = nd.zeros((3, 4))
    X[1] = nd.array([[1, 2, 3, 4]])
    assert vals(X) == [[0] * 4, [1, 2, 3, 4], [0] * 4]


def test_I15_setitem_scalar_position_from_shape1():
    a, b, c = nd.arange(3), nd.ones(3), nd.zeros(3)
    for i in range(3):
        c[i] = a[i] + b[i]
    assert vals(c) == [1, 2, 3]


def test_I16_setitem_with_index_arrays():
    x = nd.zeros((3, 2))
    x[nd.array([0, 2])] = 7
    assert vals(x) == [[7, 7], [0, 0], [7, 7]]
    x = nd.zeros(4)
    x[[0, 2]] = 7
    assert vals(x) == [7, 0, 7, 0]


def test_I17_setitem_casts_by_truncation():
    x = nd.zeros(3, dtype="int32")
    x[1] = 3.7
    assert vals(x) == [0, 3, 0]
    x = nd.zeros(2, dtype="int32")
    x[:] = nd.array([1.5, 2.5])
    assert vals(x) == [1, 2] and x.dtype is np.int32
    x[:] = nd.array([-1.5, 2.5])
    assert vals(x) == [-1, 2]


def test_I18_take_truncates_and_clips():
    x = nd.arange(10)
    check(x.take(nd.array([1.7, -1, 12])), (3,), np.float32, [1, 0, 9])
    check(x.take(nd.array([1.7, -1, 12]), mode="wrap"), (3,), np.float32, [1, 9, 2])


_YHAT = [[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]]


def test_I19_pick():
    r = nd.pick(nd.array(_YHAT), nd.array([0, 2], dtype="int32"))
    assert r.shape == (2,) and r.dtype is np.float32
    np.testing.assert_allclose(vals(r), [0.1, 0.5], rtol=1e-6)


def test_I20_pick_clips_out_of_range():
    r = nd.pick(nd.array(_YHAT), nd.array([5, -1]))
    np.testing.assert_allclose(vals(r), [0.6, 0.3], rtol=1e-6)


def test_I21_pick_keepdims_axis_and_2d_index():
    y = nd.array(_YHAT)
    r = nd.pick(y, nd.array([0, 2]), keepdims=True)
    assert r.shape == (2, 1)
    np.testing.assert_allclose(vals(r), [[0.1], [0.5]], rtol=1e-6)
    r = nd.pick(y, nd.array([0, 2, 1]), axis=0)
    assert r.shape == (3,)
    np.testing.assert_allclose(vals(r), [0.1, 0.2, 0.5], rtol=1e-6)
    r = nd.pick(y, nd.array([[0], [2]]))
    assert r.shape == (2,)
    np.testing.assert_allclose(vals(r), [0.1, 0.5], rtol=1e-6)


def test_I22_one_hot():
    check(nd.one_hot(nd.array([0, 2]), 3), (2, 3), np.float32, [[1, 0, 0], [0, 0, 1]])


# =========================================================================================
# N4. In-place operations, out= and identity
# =========================================================================================

def test_O1_rebinding_creates_new_object():
    X, Y = nd.ones(3), nd.ones(3)
    before = id(Y)
    Y = Y + X
    assert id(Y) != before


def test_O2_identity_preserved():
    X, Y = nd.ones(3), nd.ones(3) * 2
    Z = nd.zeros(3)
    before = id(Z)
    Z[:] = X + Y
    assert id(Z) == before
    assert nd.elemwise_add(X, Y, out=Z) is Z and id(Z) == before
    before = id(X)
    X += Y
    assert id(X) == before and vals(X) == [3, 3, 3]


def test_O3_alias_sees_inplace_change():
    x = nd.ones(3)
    y = x
    x += 1
    assert y is x and vals(y) == [2, 2, 2]


def test_O4_out_on_operator_functions():
    z = nd.zeros((2, 3))
    assert nd.broadcast_add(nd.ones((2, 1)), nd.ones(3), out=z) is z
    assert vals(z) == [[2] * 3] * 2
    z = nd.zeros(3)
    assert nd.exp(nd.zeros(3), out=z) is z and vals(z) == [1, 1, 1]


def test_O4_nd_add_has_no_out():
    with pytest.raises(TypeError, match="unexpected keyword argument 'out'"):
        nd.add(nd.ones(2), nd.ones(2), out=nd.zeros(2))


def test_O5_out_wrong_shape_or_dtype():
    with pytest.raises(MXNetError, match="Incompatible attr"):
        nd.exp(nd.ones(3), out=nd.zeros(2))
    with pytest.raises(MXNetError, match="Incompatible attr"):
        nd.exp(nd.ones(3), out=nd.zeros(3, dtype="int32"))


def test_O6_inplace_broadcasts_right_side():
    x = nd.zeros((2, 3))
    before = id(x)
    x += nd.ones(3)
    assert id(x) == before and vals(x) == [[1] * 3] * 2


def test_O7_inplace_cannot_grow_left_side():
    x = nd.ones(3)
    with pytest.raises(MXNetError, match="Shape inconsistent"):
        x += nd.ones((2, 3))
    assert vals(x) == [1, 1, 1]


def test_O8_int_inplace_truncates():
    x = nd.ones(3, dtype="int32")
    x += 1.7
    check(x, (3,), np.int32, [2, 2, 2])


def test_O9_multiply_by_mask_inplace():
    x = nd.array([0.5, 1, 2, -3])
    x *= x >= 1
    assert vals(x) == [0, 1, 2, 0]
    data = nd.array([-6, 3, 7, -2])
    data *= data.abs() >= 5
    assert vals(data) == [-6, 0, 7, 0]


# =========================================================================================
# J2. '%f' % loss.mean().asnumpy() on NumPy >= 2.4
# =========================================================================================

def test_J2_percent_format_of_shape1_asnumpy():
    train_l = nd.ones(3)
    m = train_l.mean().asnumpy()
    assert m.shape == (1,)
    assert "%f" % nd.ones(3).mean().asnumpy() == "1.000000"
    assert "epoch %d, loss %f" % (0 + 1, train_l.mean().asnumpy()) == "epoch 1, loss 1.000000"
    assert "%.2f" % nd.array([[2.5]]).asnumpy() == "2.50"
