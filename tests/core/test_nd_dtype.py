"""Creation, dtype and printing (table N); dtype promotion and arithmetic (N').

One test (or parametrized case) per row of the MXNet 1.9.1 behaviour reference
(/work/shared/mxnet-semantics.md); test names start with the row id. Rows marked
"improve" test minigluon's better behaviour instead. Tests never import mxnet.
"""

from __future__ import annotations

import io
import math
import re
import subprocess
import sys
import warnings
from contextlib import redirect_stdout

import numpy as np
import pytest
from _nd_helpers import X34, check, vals

import minigluon as mx
from minigluon import nd

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


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16, np.int32])
def test_mean_fast_path_gives_np_mean_bits(dtype):
    # Mean.forward divides in the input's dtype where np.mean divides by an intp (float64
    # for float32 input): the bits must be the same (see the comment in ops/reduce.py)
    from minigluon.ops.reduce import Mean, _axes

    rng = np.random.default_rng(0)
    for shape in [(5,), (10, 1), (3, 4), (256, 10), (2, 3, 5), (0, 3)]:
        x = (rng.normal(size=shape) * 10.0 ** rng.integers(-30, 30, size=shape)).astype(dtype)
        for axis, keepdims, exclude in [(None, False, False), (0, False, True),
                                        (-1, True, False), ((), False, False), (0, True, False)]:
            axes = _axes(axis, x.ndim, exclude)
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore", RuntimeWarning)  # means of empty slices
                y, _ = Mean(axis=axis, keepdims=keepdims, exclude=exclude).forward(x)
                want = np.asarray(x.mean(axis=axes, keepdims=keepdims)).astype(dtype, copy=False)
            want = want.reshape(1) if want.ndim == 0 else want
            assert y.dtype == want.dtype and y.shape == want.shape
            assert y.tobytes() == want.tobytes(), (shape, axis, keepdims, exclude)
