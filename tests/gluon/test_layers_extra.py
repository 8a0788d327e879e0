"""PReLU, ELU, SELU, GELU, Swish, LayerNorm and InstanceNorm against MXNet's values and
gradients (tests/golden/make_layers_extra_golden.py)."""

import math
import os
import sys

import numpy as np
import pytest

import minigluon as mx
from minigluon import autograd, nd
from minigluon.base import MXNetError
from minigluon.gluon import nn

GOLDEN_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "golden")
sys.path.insert(0, GOLDEN_DIR)
import make_layers_extra_golden as golden  # noqa: E402

GOLD = np.load(os.path.join(GOLDEN_DIR, "layers_extra.npz"))
RTOL = {"float64": 1e-8, "float32": 1e-5}
# MXNet computes GELU in float32 arithmetic even for float64 data, and PReLU rounds to
# float32 on the way; minigluon does neither (see test_gelu_float64_is_exact)
RTOL_LOOSE = {("gelu", "float64"): 1e-6, ("prelu", "float64"): 3e-7,
              ("prelu_channels", "float64"): 3e-7}

CASE_DTYPES = [(c, d) for c in golden.CASES for d in golden.dtypes(c)]


@pytest.mark.parametrize(("case", "dtype"), CASE_DTYPES)
def test_values_and_gradients_match_mxnet(case, dtype):
    ours = golden.run(mx, case, dtype)
    prefix = f"{case}/{dtype}/"
    keys = {k[len(prefix):] for k in GOLD.files if k.startswith(prefix)}
    assert set(ours) == keys
    rtol = RTOL_LOOSE.get((case, dtype), RTOL[dtype])
    for key in sorted(keys):
        want = GOLD[prefix + key]
        assert ours[key].dtype == want.dtype, key
        if case == "selu" and key == "dx":
            continue  # MXNet's is wrong: test_selu_gradient
        # float32: the normalization gradients cancel, so small entries are judged
        # relative to the largest
        atol = rtol * (np.abs(want).max() if dtype == "float32" else 1e-2)
        np.testing.assert_allclose(ours[key], want, rtol=rtol, atol=atol,
                                   err_msg=f"{case} {dtype} {key}")


@pytest.mark.parametrize("dtype", golden.DTYPES)
def test_selu_gradient(dtype):
    """minigluon's dx is lambda * alpha * exp(x) for x < 0. MXNet 1.9.1 computes
    lambda * (y + alpha) there, applying lambda twice (y already includes it)."""
    ours = golden.run(mx, "selu", dtype)
    g = {k: GOLD[f"selu/{dtype}/{k}"] for k in ("x", "y", "dx")}
    x, ograd = g["x"].astype("float64"), golden.pattern(g["x"].shape, 0.4)
    lam, alpha = nn.activations._SELU_LAMBDA, nn.activations._SELU_ALPHA
    right = np.where(x > 0, lam, lam * alpha * np.exp(x)) * ograd
    mxnet = np.where(x > 0, lam, lam * (g["y"].astype("float64") + alpha)) * ograd
    np.testing.assert_allclose(ours["dx"], right, rtol=RTOL[dtype], atol=RTOL[dtype] * 1e-2)
    np.testing.assert_allclose(g["dx"], mxnet, rtol=RTOL[dtype], atol=RTOL[dtype] * 1e-2)
    assert not np.allclose(ours["dx"], g["dx"], rtol=1e-2)


@pytest.mark.parametrize("case", list(golden.CASES))
def test_repr_and_parameter_names_match_mxnet(case):
    ours = golden.reprs(mx)
    for kind in ("repr_new", "repr", "names"):
        key = f"{case}/{kind}"
        assert np.array_equal(ours[key], GOLD[key]), (key, ours[key], GOLD[key])


def test_gelu_float64_is_exact():
    x = golden.pattern((3, 7))
    a = nd.array(x, dtype="float64")
    a.attach_grad()
    with autograd.record():
        y = nn.GELU()(a)
    y.backward()
    erf = np.vectorize(math.erf)
    np.testing.assert_allclose(y.asnumpy(), 0.5 * x * (1 + erf(x / math.sqrt(2))),
                               rtol=1e-13)
    dens = np.exp(-x * x / 2) / math.sqrt(2 * math.pi)
    np.testing.assert_allclose(a.grad.asnumpy(), 0.5 * (1 + erf(x / math.sqrt(2))) + x * dens,
                               rtol=1e-13)


@pytest.mark.parametrize("layer", [nn.ELU(), nn.SELU()])
def test_elu_large_input_has_finite_gradient(layer):
    a = nd.array([800.0, -800.0], dtype="float64")
    a.attach_grad()
    with autograd.record():
        y = layer(a)
    y.backward()
    assert np.isfinite(y.asnumpy()).all() and np.isfinite(a.grad.asnumpy()).all()
    assert a.grad.asnumpy()[1] == 0


def test_layernorm_deferred_shape_and_channel_mismatch():
    layer = nn.LayerNorm(axis=1)
    layer.initialize()
    assert layer(nd.ones((2, 4, 3))).shape == (2, 4, 3)
    assert layer.gamma.shape == (4,) and layer.beta.shape == (4,)
    with pytest.raises(MXNetError, match="built for 4 channels on axis 1"):
        layer(nd.ones((2, 5, 3)))


def test_layernorm_fixed_parameters_are_not_trained():
    layer = nn.LayerNorm(center=False, scale=False)
    assert layer.gamma.grad_req == "null" and layer.beta.grad_req == "null"


def test_prelu_channel_mismatch_is_refused():
    layer = nn.PReLU(in_channels=3)
    layer.initialize()
    with pytest.raises(MXNetError, match="3 slopes"):
        layer(nd.ones((2, 4)))


def test_dtype_mismatch_is_refused():
    layer = nn.PReLU()
    layer.initialize()
    with pytest.raises(MXNetError, match="Convert the input"):
        layer(nd.ones((2, 3), dtype="float64"))


def test_instancenorm_float64():
    x = golden.pattern((2, 3, 4))
    layer = nn.InstanceNorm()
    layer.initialize()
    layer.cast("float64")
    y = layer(nd.array(x, dtype="float64")).asnumpy()
    m, v = x.mean(axis=2, keepdims=True), x.var(axis=2, keepdims=True)
    np.testing.assert_allclose(y, (x - m) / np.sqrt(v + 1e-5), rtol=1e-12)


def test_instancenorm_needs_three_axes():
    layer = nn.InstanceNorm()
    layer.initialize()
    with pytest.raises(MXNetError, match="at least one more axis"):
        layer(nd.ones((2, 3)))
