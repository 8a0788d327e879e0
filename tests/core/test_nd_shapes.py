"""Broadcasting, reductions and shapes (table N''); asscalar / asnumpy (N''').

One test (or parametrized case) per row of the MXNet 1.9.1 behaviour reference
(/work/shared/mxnet-semantics.md); test names start with the row id. Rows marked
"improve" test minigluon's better behaviour instead. Tests never import mxnet.
"""

from __future__ import annotations

import math
import re
from functools import reduce

import numpy as np
import pytest
from _nd_helpers import X34, MXNetError, check, vals
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

from minigluon import nd

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
