"""Image transforms: ToTensor, Normalize, Resize, Cast, Compose, the crops and the random
flips, colour jitters and lighting noise.

Images are NDArrays in MXNet's layout: (height, width, channels) before ToTensor, and
(channels, height, width) after it; each transform also takes a batch with a leading N.

As in MXNet the transforms are HybridBlocks (``hybrid_forward(F, x)`` with ``F = nd``)
and print as such (``ToTensor(\\n\\n)``); Compose is a plain container that prints like
MXNet's Sequential. As in MXNet, autograd differentiates through Normalize (and Cast), not
through ToTensor or Resize.

Randomness is MXNet's: the flips, colour jitters and lighting draw from the generator
that ``mx.random.seed`` resets (MXNet's C++ operators do; the streams differ from
MXNet's, the distributions are the same), while ``RandomResizedCrop`` uses Python's
``random`` module, as MXNet's ``mx.image.random_size_crop`` does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .... import _rng
from ....base import MinigluonError
from ....image._resize import _resize_bilinear, _resize_nearest
from ....ndarray.ndarray import NDArray, _wrap
from ...block import Block, HybridBlock
from ...utils import _indent

__all__ = ["Compose", "Cast", "ToTensor", "Normalize", "Resize", "CenterCrop",
           "RandomResizedCrop", "RandomFlipLeftRight", "RandomFlipTopBottom",
           "RandomBrightness", "RandomContrast", "RandomSaturation", "RandomHue",
           "RandomColorJitter", "RandomLighting"]


class _Transform(HybridBlock):
    """What the transforms share: one NDArray in, one out."""

    def __call__(self, x: NDArray) -> NDArray:
        if not isinstance(x, NDArray):
            raise ValueError(
                f"{type(self).__name__} takes an NDArray, not {type(x).__name__} (in "
                "HybridBlock, there must be one NDArray or one Symbol in the input); "
                "convert it with mx.nd.array(x, dtype=x.dtype)")
        return super().__call__(x)

    def hybrid_forward(self, F: Any, x: NDArray) -> NDArray:
        raise NotImplementedError


class Cast(_Transform):
    """Convert to ``dtype`` (default ``'float32'``).

    Examples
    --------
    >>> from minigluon import nd
    >>> from minigluon.gluon.data.vision import transforms
    >>> transforms.Cast('int32')(nd.array([1.7, -2.5])).asnumpy()
    array([ 1, -2], dtype=int32)
    """

    def __init__(self, dtype: Any = "float32") -> None:
        super().__init__()
        self._dtype = dtype

    def hybrid_forward(self, F: Any, x: NDArray) -> NDArray:
        return x.astype(self._dtype)


class ToTensor(_Transform):
    """An image (H, W, C) or batch (N, H, W, C) → float32 (C, H, W) or (N, C, H, W),
    divided by 255.

    Any input dtype is divided by 255, floats too (as MXNet does); a float image is
    divided in its own precision and then rounded to float32.

    Examples
    --------
    >>> from minigluon import nd
    >>> from minigluon.gluon.data.vision import transforms
    >>> img = nd.array([[[0], [51]], [[102], [255]]], dtype='uint8')   # 2x2, 1 channel
    >>> transforms.ToTensor()(img)
    <BLANKLINE>
    [[[0.  0.2]
      [0.4 1. ]]]
    <NDArray 1x2x2 @cpu(0)>
    """

    def hybrid_forward(self, F: Any, x: NDArray) -> NDArray:
        data = x._data
        if data.ndim not in (3, 4):
            raise MinigluonError(
                "Input image must have shape (height, width, channels), or "
                f"(N, height, width, channels) but got {_shape_str(data.shape)}")
        data = np.moveaxis(data, -1, -3)
        if data.dtype.kind == "f":
            out = (data / data.dtype.type(255)).astype(np.float32)
        else:
            out = data.astype(np.float32) / np.float32(255)
        return _wrap(np.ascontiguousarray(out), None)


class Normalize(_Transform):
    """``(x - mean) / std`` per channel, for a (C, H, W) or (N, C, H, W) tensor.

    ``mean`` and ``std`` are numbers (the same for every channel) or sequences with one
    value per channel; C must be 1 or 3, as in MXNet. The result keeps the input's dtype.
    On a float input it is recorded by autograd (the gradient is ``1 / std``).

    Examples
    --------
    >>> from minigluon import nd
    >>> from minigluon.gluon.data.vision import transforms
    >>> x = nd.ones((3, 1, 2))
    >>> transforms.Normalize(mean=(0, 0.5, 1), std=(1, 2, 4))(x)[:, 0, 0]
    <BLANKLINE>
    [1.   0.25 0.  ]
    <NDArray 3 @cpu(0)>
    """

    def __init__(self, mean: float | Sequence[float] = 0.0,
                 std: float | Sequence[float] = 1.0) -> None:
        super().__init__()
        self._mean = mean
        self._std = std

    def hybrid_forward(self, F: Any, x: NDArray) -> NDArray:
        data = x._data
        if data.ndim not in (3, 4):
            raise MinigluonError(
                "Input tensor must have shape (channels, height, width), or "
                f"(N, channels, height, width), but got {_shape_str(data.shape)}")
        c = data.shape[-3]
        if c not in (1, 3):
            raise MinigluonError(
                "The first dimension of input tensor must be the channel dimension with "
                f"either 1 or 3 elements, but got input with shape {_shape_str(data.shape)}")
        mean = _per_channel(self._mean, "mean", c, data.shape)
        std = _per_channel(self._std, "std", c, data.shape)
        if data.dtype.kind == "f":  # recorded, so that gradients flow through it
            return (x - _wrap(mean.astype(data.dtype), None)) / _wrap(
                std.astype(data.dtype), None)
        out = (data.astype(np.float32) - mean) / std
        return _wrap(out.astype(data.dtype), None)


class Resize(_Transform):
    """Resize an image (H, W, C) or a batch (N, H, W, C), before ToTensor.

    The output keeps the input's dtype (uint8, float32 or float64). Values are exactly
    those of MXNet, which calls OpenCV 3.4: bilinear on uint8 uses OpenCV's 11-bit
    fixed-point weights and its rounding (written out here in NumPy); the other
    interpolations go through `mx.image.imresize` (OpenCV).

    Parameters
    ----------
    size : int or tuple
        An int gives a square image, or, with ``keep_ratio=True``, sets the shorter
        side (the longer one is scaled and rounded down). A pair is (width, height).
    keep_ratio : bool, default False
        See ``size``; ignored when ``size`` is a pair.
    interpolation : int, default 1
        OpenCV's codes: 0 nearest neighbour, 1 bilinear, 2 bicubic, 3 area, 4 Lanczos.

    Examples
    --------
    >>> from minigluon import nd
    >>> from minigluon.gluon.data.vision import transforms
    >>> transforms.Resize(14)(nd.zeros((28, 28, 1), dtype='uint8')).shape
    (14, 14, 1)
    >>> transforms.Resize((6, 4))(nd.zeros((8, 8, 3))).shape    # (width, height)
    (4, 6, 3)
    """

    def __init__(self, size: int | Sequence[int], keep_ratio: bool = False,
                 interpolation: int = 1) -> None:
        super().__init__()
        self._size = size
        self._keep = keep_ratio
        self._interpolation = interpolation

    def _out_size(self, h: int, w: int) -> tuple[int, int]:
        size = [self._size] if isinstance(self._size, (int, np.integer)) else list(self._size)
        if len(size) not in (1, 2):
            raise MinigluonError(
                f"Input size dimension must be 1 or 2, but got {len(size)}")
        for s in size:
            if s <= 0:
                raise MinigluonError(f"Input size should be greater than 0, but got {s}")
        if len(size) == 2:
            return int(size[1]), int(size[0])
        s = int(size[0])
        if not self._keep:
            return s, s
        # the shorter side becomes s; integer arithmetic, as MXNet's C++ does
        return (h * s // w, s) if h > w else (s, w * s // h)

    def hybrid_forward(self, F: Any, x: NDArray) -> NDArray:
        data = x._data
        if data.ndim not in (3, 4):
            raise MinigluonError(
                f"Input image dimension should be 3 or 4 but got {data.ndim}")
        if data.dtype not in (np.uint8, np.float32, np.float64):
            raise TypeError(f"Resize supports uint8, float32 and float64 images, not "
                            f"{data.dtype} (MXNet's OpenCV backend has no other)")
        if self._interpolation not in (0, 1, 2, 3, 4):
            raise MinigluonError(
                f"Resize: Unknown interpolation method interpolation={self._interpolation!r}"
                "; the codes are 0 nearest, 1 bilinear, 2 bicubic, 3 area, 4 Lanczos")
        h, w = self._out_size(data.shape[-3], data.shape[-2])
        if self._interpolation > 1:
            from ....image import imresize

            return imresize(x, w, h, interp=self._interpolation)
        fn = _resize_nearest if self._interpolation == 0 else _resize_bilinear
        if data.ndim == 3:
            return _wrap(fn(data, h, w), None)
        return _wrap(np.stack([fn(img, h, w) for img in data]), None)


class CenterCrop(Block):
    """Crop the centre ``size`` (w, h), or (size, size), of an image (H, W, C); an image
    smaller than that is cropped at its aspect ratio and resized up (`mx.image.center_crop`).

    Examples
    --------
    >>> from minigluon import nd
    >>> from minigluon.gluon.data.vision import transforms
    >>> transforms.CenterCrop((4, 2))(nd.zeros((10, 10, 3), dtype='uint8')).shape
    (2, 4, 3)
    """

    def __init__(self, size: int | Sequence[int], interpolation: int = 1) -> None:
        super().__init__()
        if isinstance(size, (int, np.integer)):
            size = (size, size)
        self._args = (tuple(size), interpolation)

    def forward(self, x: NDArray) -> NDArray:
        from ....image import center_crop

        return center_crop(x, *self._args)[0]


class RandomResizedCrop(Block):
    """A random crop covering ``scale`` (min, max) of the area with an aspect ratio in
    ``ratio`` (drawn log-uniformly), resized to ``size`` (w, h) or (size, size);
    `mx.image.random_size_crop`, drawing from Python's ``random`` as in MXNet."""

    def __init__(self, size: int | Sequence[int], scale: tuple[float, float] = (0.08, 1.0),
                 ratio: tuple[float, float] = (3.0 / 4.0, 4.0 / 3.0),
                 interpolation: int = 1) -> None:
        super().__init__()
        if isinstance(size, (int, np.integer)):
            size = (size, size)
        self._args = (tuple(size), scale, ratio, interpolation)

    def forward(self, x: NDArray) -> NDArray:
        from ....image import random_size_crop

        return random_size_crop(x, *self._args)[0]


class _RandomImage(_Transform):
    """A random transform of one image (H, W, C) with C 1 or 3, as MXNet's image ops."""

    def hybrid_forward(self, F: Any, x: NDArray) -> NDArray:
        data = x._data
        if data.ndim != 3:
            raise MinigluonError("Input image must have shape (height, width, channels), "
                                 f"but got {_shape_str(data.shape)}")
        if data.shape[2] not in (1, 3):
            raise MinigluonError(
                "The last dimension of input image must be the channel dimension with "
                f"either 1 or 3 elements, but got input with shape {_shape_str(data.shape)}")
        return _wrap(self._apply(data, _rng.generator()), None)

    def _apply(self, data: np.ndarray, gen: np.random.Generator) -> np.ndarray:
        raise NotImplementedError


class RandomFlipLeftRight(_RandomImage):
    """Mirror the image left-right with probability 1/2."""

    def _apply(self, data: np.ndarray, gen: np.random.Generator) -> np.ndarray:
        return data.copy() if gen.random() < 0.5 else data[:, ::-1].copy()


class RandomFlipTopBottom(_RandomImage):
    """Flip the image upside down with probability 1/2."""

    def _apply(self, data: np.ndarray, gen: np.random.Generator) -> np.ndarray:
        return data.copy() if gen.random() < 0.5 else data[::-1].copy()


def _uniform(gen: np.random.Generator, low: float, high: float) -> np.float32:
    # std::uniform_real_distribution<float>
    return np.float32(np.float32(low) + np.float32(high - low) * np.float32(gen.random()))


class _RandomFactor(_RandomImage):
    def __init__(self, amount: float) -> None:
        super().__init__()
        self._args = (max(0.0, 1.0 - amount), 1.0 + amount)

    def _apply(self, data: np.ndarray, gen: np.random.Generator) -> np.ndarray:
        return self._adjust(data, _uniform(gen, *self._args))

    _adjust: Any


class RandomBrightness(_RandomFactor):
    """Multiply by a factor drawn from U(max(0, 1 - brightness), 1 + brightness)."""

    _adjust = staticmethod(lambda d, a: adjust_brightness(d, a))


class RandomContrast(_RandomFactor):
    """Blend with the mean gray level: ``a * x + (1 - a) * mean``, with ``a`` drawn
    from U(max(0, 1 - contrast), 1 + contrast)."""

    _adjust = staticmethod(lambda d, a: adjust_contrast(d, a))


class RandomSaturation(_RandomFactor):
    """Blend each pixel with a gray level: ``a * x + (1 - a) * gray``, ``a`` drawn from
    U(max(0, 1 - saturation), 1 + saturation). As in MXNet 1.9.1, ``gray`` is
    ``0.114 * blue`` only (its loop overwrites instead of summing the weighted channels)."""

    _adjust = staticmethod(lambda d, a: adjust_saturation(d, a))


class RandomHue(_RandomFactor):
    """Rotate the hue (in HLS) by ``a * 360`` degrees, ``a`` drawn from
    U(max(0, 1 - hue), 1 + hue) as MXNet 1.9.1 does (so by ``(a - 1) * 360`` modulo a
    full turn)."""

    _adjust = staticmethod(lambda d, a: adjust_hue(d, a))


class RandomColorJitter(_RandomImage):
    """Brightness, contrast, saturation and hue jitter (those > 0), in a random order;
    factors ``1 + U(-v, v)`` (hue: a turn of ``U(-hue, hue)``)."""

    def __init__(self, brightness: float = 0, contrast: float = 0, saturation: float = 0,
                 hue: float = 0) -> None:
        super().__init__()
        self._args = (brightness, contrast, saturation, hue)

    def _apply(self, data: np.ndarray, gen: np.random.Generator) -> np.ndarray:
        steps = (adjust_brightness, adjust_contrast, adjust_saturation, adjust_hue)
        out = data.copy()
        for k in gen.permutation(4):
            amount = self._args[k]
            if amount > 0:
                alpha = _uniform(gen, -amount, amount)
                out = steps[k](out, alpha if k == 3 else np.float32(1.0 + float(alpha)))
        return out


class RandomLighting(_RandomImage):
    """AlexNet's PCA lighting noise with ImageNet's eigenvectors: add
    ``eigvec @ (eigval * a)``, ``a ~ N(0, alpha)`` per component."""

    def __init__(self, alpha: float) -> None:
        super().__init__()
        self._alpha = alpha

    def _apply(self, data: np.ndarray, gen: np.random.Generator) -> np.ndarray:
        alphas = gen.normal(0, self._alpha, size=3).astype(np.float32)
        return adjust_lighting(data, alphas)


# The kernels of MXNet's image operators, in float32 as its C++ computes them; each
# returns a new array of the input's dtype (uint8: clamped to [0, 255], then truncated).

def _saturate(val: np.ndarray, dtype: np.dtype) -> np.ndarray:
    if dtype == np.uint8:
        return np.clip(val, 0, 255).astype(np.uint8)
    return val.astype(dtype)


_COEF = np.array([0.299, 0.587, 0.114], dtype=np.float32)


def adjust_brightness(data: np.ndarray, alpha: float) -> np.ndarray:
    """``x * alpha``."""
    return _saturate(data.astype(np.float32) * np.float32(alpha), data.dtype)


def adjust_contrast(data: np.ndarray, alpha: float) -> np.ndarray:
    """``x * alpha + (1 - alpha) * mean gray``; the mean is summed in float32 one pixel
    after the other, as MXNet does."""
    x = data.astype(np.float32)
    n = x.shape[0] * x.shape[1]
    terms = (x * _COEF).reshape(-1) if x.shape[2] > 1 else x.reshape(-1)
    total = np.cumsum(terms, dtype=np.float32)[-1] if terms.size else np.float32(0)
    beta = (np.float32(1) - np.float32(alpha)) * (total / np.float32(n))
    return _saturate(x * np.float32(alpha) + beta, data.dtype)


def adjust_saturation(data: np.ndarray, alpha: float) -> np.ndarray:
    """MXNet 1.9.1's saturation blend (see `RandomSaturation`)."""
    if data.shape[2] == 1:
        return data.copy()
    x = data.astype(np.float32)
    gray = x[:, :, 2:3] * _COEF[2] * (np.float32(1) - np.float32(alpha))
    return _saturate(gray + x * np.float32(alpha), data.dtype)


def adjust_hue(data: np.ndarray, alpha: float) -> np.ndarray:
    """Rotate the hue by ``alpha * 360`` degrees through OpenCV-style HLS, in float32."""
    if data.shape[2] == 1:
        return data.copy()
    f32 = np.float32
    x = data.astype(f32)
    r, g, b = x[..., 0] / f32(255), x[..., 1] / f32(255), x[..., 2] / f32(255)
    vmax = np.fmax(np.fmax(r, g), b)
    vmin = np.fmin(np.fmin(r, g), b)
    diff = vmax - vmin
    lum = (vmax + vmin) * f32(0.5)
    chroma = diff > np.finfo(f32).eps
    with np.errstate(divide="ignore", invalid="ignore"):
        sat = np.where(lum < f32(0.5), diff / (vmax + vmin), diff / (f32(2) - vmax - vmin))
        k = f32(60) / diff
        hue = np.where(vmax == r, (g - b) * k,
                       np.where(vmax == g, (b - r) * k + f32(120), (r - g) * k + f32(240)))
    hue = np.where(hue < 0, hue + f32(360), hue)
    sat = np.where(chroma, sat, f32(0)).astype(f32)
    hue = np.where(chroma, hue, f32(0)).astype(f32)
    hue = (hue + f32(alpha) * f32(360)).astype(f32)
    # back to RGB
    p2 = np.where(lum <= f32(0.5), lum * (f32(1) + sat), lum + sat - lum * sat).astype(f32)
    p1 = f32(2) * lum - p2
    h6 = hue * f32(1.0 / 60.0)
    h6 = np.where(h6 < 0, h6 + f32(6) * np.ceil(-h6 / f32(6)), h6).astype(f32)
    h6 = np.where(h6 >= 6, h6 - f32(6) * np.floor(h6 / f32(6)), h6).astype(f32)
    sector = np.minimum(h6.astype(np.int64), 5)
    frac = h6 - sector.astype(f32)
    tab = np.stack([p2, p1, p1 + (p2 - p1) * (f32(1) - frac), p1 + (p2 - p1) * frac])
    table = np.array([[1, 3, 0], [1, 0, 2], [3, 0, 1], [0, 2, 1], [0, 1, 3], [2, 1, 0]])
    pick = table[sector]  # (H, W, 3): which tab entry gives b, g, r
    bgr = np.take_along_axis(tab, np.moveaxis(pick, -1, 0), axis=0)
    gray = sat == 0
    out = np.stack([np.where(gray, lum, bgr[2]), np.where(gray, lum, bgr[1]),
                    np.where(gray, lum, bgr[0])], -1) * f32(255)
    return _saturate(out.astype(f32), data.dtype)


# ImageNet's PCA: eigenvalues times eigenvectors, rounded to float32 as MXNet stores them
_EIG = np.array([[55.46 * -0.5675, 4.794 * 0.7192, 1.148 * 0.4009],
                 [55.46 * -0.5808, 4.794 * -0.0045, 1.148 * -0.8140],
                 [55.46 * -0.5836, 4.794 * -0.6948, 1.148 * 0.4203]]).astype(np.float32)


def adjust_lighting(data: np.ndarray, alpha: Sequence[float]) -> np.ndarray:
    """Add ``eig @ alpha`` (per RGB channel) to every pixel."""
    if data.shape[2] == 1:
        return data.copy()
    a = np.asarray(alpha, dtype=np.float32)
    pca = (_EIG[:, 0] * a[0] + _EIG[:, 1] * a[1]) + _EIG[:, 2] * a[2]
    return _saturate(data.astype(np.float32) + pca.astype(np.float32), data.dtype)


class Compose:
    """Apply ``transforms`` one after the other.

    MXNet's Compose is a Sequential that groups runs of consecutive hybrid transforms
    into a HybridSequential; its repr shows that grouping, and so does this one.

    Examples
    --------
    >>> from minigluon.gluon.data.vision import transforms
    >>> t = transforms.Compose([transforms.Resize(14), transforms.ToTensor()])
    >>> print(t)
    Compose(
      (0): HybridSequential(
        (0): Resize(
    <BLANKLINE>
        )
        (1): ToTensor(
    <BLANKLINE>
        )
      )
    )
    """

    def __init__(self, transforms: Sequence[Callable[[Any], Any]]) -> None:
        self._children: list[Any] = []
        run: list[Any] = []
        for t in [*transforms, None]:
            if isinstance(t, _Transform):
                run.append(t)
                continue
            if len(run) == 1:
                self._children.append(run[0])
            elif run:
                self._children.append(_HybridSequential(run))
            run = []
            if t is not None:
                self._children.append(t)

    def __call__(self, x: Any) -> Any:
        for t in self._children:
            x = t(x)
        return x

    def __len__(self) -> int:
        return len(self._children)

    def __getitem__(self, i: int) -> Any:
        return self._children[i]

    def hybridize(self, active: bool = True, **kwargs: Any) -> None:
        """Nothing to compile."""

    def __repr__(self) -> str:
        return _block_repr(type(self).__name__, self._children)


class _HybridSequential(Compose):
    """A run of hybrid transforms inside a Compose (MXNet's HybridSequential)."""

    def __init__(self, transforms: Sequence[Any]) -> None:
        self._children = list(transforms)

    def __repr__(self) -> str:
        return _block_repr("HybridSequential", self._children)


def _block_repr(name: str, children: Sequence[Any]) -> str:
    lines = "\n".join(f"  ({i}): {_indent(repr(c), 2)}" for i, c in enumerate(children))
    return f"{name}(\n{lines}\n)"


def _shape_str(shape: tuple[int, ...]) -> str:
    return "[" + ",".join(str(s) for s in shape) + "]"


def _per_channel(value: Any, what: str, c: int, shape: tuple[int, ...]) -> np.ndarray:
    """``value`` (a number or one per channel) shaped to broadcast over (C, H, W)."""
    v = np.atleast_1d(np.asarray(value, dtype=np.float64)).reshape(-1)
    if v.size not in (1, c):
        got = ",".join(f"{e:g}" for e in v)
        raise MinigluonError(f"Invalid {what} for input with shape {_shape_str(shape)}. "
                             f"{what} must have either 1 or {c} elements, but got [{got}]")
    return np.broadcast_to(v.astype(np.float32), (c,)).reshape(c, 1, 1)
