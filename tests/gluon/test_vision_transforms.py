"""gluon.data.vision.transforms for images: the deterministic ones and the kernels of the
random ones against MXNet 1.9.1 (tests/golden/image.npz), the random ones for their
distributions and for repeating under mx.random.seed."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

import minigluon as mx
from minigluon import nd
from minigluon.gluon.data.vision import transforms as T

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
_NPZ = np.load(GOLDEN / "image.npz")
G = {k: _NPZ[k] for k in _NPZ.files
     if k.startswith(("adjust|", "T.", "imread|")) and "|1|0" not in k}


def _img(f: str, flag: int = 1) -> np.ndarray:
    return G[f"imread|{f}|{flag}|1"]


def _same(got, want, key) -> None:
    got = got.asnumpy() if hasattr(got, "asnumpy") else got
    assert got.shape == want.shape and got.dtype == want.dtype, key
    np.testing.assert_array_equal(got, want, err_msg=key)


def test_colour_kernels_match_mxnet():
    kernels = {"brightness": T.adjust_brightness, "contrast": T.adjust_contrast,
               "saturation": T.adjust_saturation, "hue": T.adjust_hue}
    lighting = [(0.1, -0.2, 0.05), (2.0, 1.0, -3.0)]
    checked = 0
    for k in (k for k in G if k.startswith("adjust|")):
        _, op, f, dt, arg = k.split("|")
        gray = f == "pil_3.png"
        if gray and op in ("hue", "lighting"):
            continue  # MXNet leaves its output uninitialised for one channel (we copy)
        src = _img(f, 0 if gray else 1).astype(dt)
        if op == "lighting":
            got = T.adjust_lighting(src, lighting[int(arg)])
        else:
            got = kernels[op](src, np.float32(float(arg)))
        _same(got, G[k], k)
        checked += 1
    assert checked == 104


def test_resize_and_center_crop_match_mxnet():
    keys = [k for k in G if k.startswith("T.") and not k.startswith("T.RandomResizedCrop")]
    assert len(keys) == 16 * 15
    for k in keys:
        name, f, interp = k.split("|")
        x = nd.array(_img(f), dtype="uint8")
        t = {"T.Resize": lambda i: T.Resize(17, interpolation=i),
             "T.Resize_keep": lambda i: T.Resize(17, keep_ratio=True, interpolation=i),
             "T.CenterCrop": lambda i: T.CenterCrop((10, 12), interpolation=i)}[name](int(interp))
        _same(t(x), G[k], k)


def test_random_resized_crop_follows_pythons_random_as_mxnet():
    x = nd.array(_img("pil_1.jpg"), dtype="uint8")
    for seed in range(4):
        random.seed(seed)
        _same(T.RandomResizedCrop((14, 10))(x), G[f"T.RandomResizedCrop|{seed}"], seed)


def _draws(t, x, n=400):
    return np.stack([t(x).asnumpy() for _ in range(n)])


def test_random_transforms_repeat_under_mx_random_seed():
    x = nd.array(_img("pil_0.jpg"), dtype="uint8")
    for t in (T.RandomFlipLeftRight(), T.RandomFlipTopBottom(), T.RandomBrightness(0.4),
              T.RandomContrast(0.4), T.RandomSaturation(0.4), T.RandomHue(0.2),
              T.RandomColorJitter(0.3, 0.3, 0.3, 0.1), T.RandomLighting(0.5)):
        mx.random.seed(7)
        a = _draws(t, x, 5)
        mx.random.seed(7)
        b = _draws(t, x, 5)
        np.testing.assert_array_equal(a, b)
        assert len({d.tobytes() for d in a}) > 1, t  # it is random


def test_random_distributions():
    mx.random.seed(1)
    x = nd.array(np.arange(2 * 3 * 3).reshape(2, 3, 3) * 9, dtype="float32")
    flips = _draws(T.RandomFlipLeftRight(), x, 2000)
    flipped = (flips[:, 0, 0] == x.asnumpy()[0, 2]).all(axis=1).mean()
    assert abs(flipped - 0.5) < 0.04  # Bernoulli(1/2): sd 0.011
    ones = nd.ones((1, 1, 3))
    factors = _draws(T.RandomBrightness(0.3), ones, 4000)[:, 0, 0, 0]
    assert factors.min() >= 0.7 and factors.max() <= 1.3
    assert abs(factors.mean() - 1.0) < 0.01 and abs(factors.var() - 0.6 ** 2 / 12) < 0.003
    assert (_draws(T.RandomBrightness(1.5), ones, 500) >= 0).all()  # U(max(0, 1 - b), ...)
    light = _draws(T.RandomLighting(0.1), nd.zeros((1, 1, 3)), 4000)[:, 0, 0]
    # a ~ N(0, 0.1) per component: the shift's covariance is eig diag(0.01) eig^T
    eig = np.array([[55.46 * -0.5675, 4.794 * 0.7192, 1.148 * 0.4009],
                    [55.46 * -0.5808, 4.794 * -0.0045, 1.148 * -0.8140],
                    [55.46 * -0.5836, 4.794 * -0.6948, 1.148 * 0.4203]])
    np.testing.assert_allclose(np.cov(light.T), 0.01 * eig @ eig.T, rtol=0.1, atol=0.05)
    assert np.abs(light.mean(0)).max() < 0.2


def test_random_transforms_refuse_other_shapes():
    with pytest.raises(mx.base.MXNetError, match=r"must have shape \(height, width, channels\)"):
        T.RandomBrightness(0.1)(nd.zeros((2, 3, 4, 3)))
    with pytest.raises(mx.base.MXNetError, match="either 1 or 3 elements"):
        T.RandomHue(0.1)(nd.zeros((3, 4, 2)))
    with pytest.raises(mx.base.MXNetError, match="Unknown interpolation method interpolation=7"):
        T.Resize(4, interpolation=7)(nd.zeros((3, 4, 3)))


def test_gray_images_keep_their_values():
    gray = nd.array(_img("pil_3.png", 0), dtype="uint8")
    for t in (T.RandomHue(0.4), T.RandomLighting(2.0), T.RandomColorJitter(hue=0.4)):
        np.testing.assert_array_equal(t(gray).asnumpy(), gray.asnumpy())
