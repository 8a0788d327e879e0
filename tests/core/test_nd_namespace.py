"""The top level, context and RNG (reference sections 2.1) and the nd functions (2.2).

One test (or parametrized case) per row of the MXNet 1.9.1 behaviour reference
(/work/shared/mxnet-semantics.md); test names start with the row id. Rows marked
"improve" test minigluon's better behaviour instead. Tests never import mxnet.
"""

from __future__ import annotations

import math
import os

import numpy as np
import pytest
from _nd_helpers import MXNetError, check, vals

import minigluon as mx
from minigluon import nd

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
