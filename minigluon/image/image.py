"""MXNet 1.9.1's ``mx.image``: images as uint8 NDArrays (height, width, channels), RGB.

Decoding and resizing go through OpenCV as in MXNet, and give MXNet's pixels (see the
README for the measurement). The interpolation codes are OpenCV's: 0 nearest, 1
bilinear, 2 bicubic, 3 area, 4 Lanczos. ``resize_short``, the crops and the augmenters
also take 9 (bicubic when enlarging, area when shrinking, else bilinear) and 10 (a
random one of 0-4); ``imresize`` itself takes only 0-4.

Randomness is MXNet's: the crops, flips and colour jitters draw from Python's `random`
module and `LightingAug` from NumPy's global generator, so ``random.seed`` /
``np.random.seed`` (not ``mx.random.seed``) make them repeat, with the same draws as
MXNet's.
"""

from __future__ import annotations

import json
import logging
import numbers
import os
import random
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import io, ndarray as nd, recordio
from ..base import MinigluonError
from ..ndarray.ndarray import NDArray, _wrap
from . import _cv
from ._resize import _bicubic_u8, _resize_bilinear, _resize_nearest

__all__ = ["imread", "imdecode", "imresize", "resize_short", "fixed_crop", "random_crop",
           "center_crop", "random_size_crop", "color_normalize", "scale_down",
           "copyMakeBorder"]

_INTERP_NAMES = "0 nearest, 1 bilinear, 2 bicubic, 3 area, 4 Lanczos"


def _np(x: Any) -> np.ndarray:
    return x._data if isinstance(x, NDArray) else np.asarray(x)


def _decode(buf: np.ndarray, flag: int, to_rgb: bool, what: str) -> NDArray:
    cv2 = _cv.cv2
    img = cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE if flag == 0 else cv2.IMREAD_COLOR)
    if img is None or img.size == 0:
        raise MinigluonError(f"Decoding failed. Invalid image file{what}: OpenCV does not "
                             "recognise it as an image (JPEG, PNG, BMP, ...) or it is damaged")
    if flag == 0:
        img = img[:, :, None]
    elif to_rgb:
        img = img[:, :, ::-1]
    return _wrap(np.ascontiguousarray(img), None)


def imread(filename: str | os.PathLike[str], flag: int = 1, to_rgb: bool = True,
           out: NDArray | None = None) -> NDArray:
    """Read and decode an image file into a uint8 NDArray (H, W, 3), or (H, W, 1) with
    ``flag=0`` (grayscale). ``to_rgb=False`` keeps OpenCV's BGR order.

    Examples
    --------
    >>> import os, tempfile
    >>> from minigluon import image, nd
    >>> from minigluon.image import _cv
    >>> path = os.path.join(tempfile.mkdtemp(), 'red.png')
    >>> img = nd.zeros((2, 3, 3), dtype='uint8'); img[:, :, 0] = 255
    >>> _ = _cv.cv2.imwrite(path, img.asnumpy()[:, :, ::-1])
    >>> x = image.imread(path)
    >>> x.shape, x.dtype.__name__, x[0, 0].asnumpy()
    ((2, 3, 3), 'uint8', array([255,   0,   0], dtype=uint8))
    """
    name = os.fspath(filename)
    with open(name, "rb") as f:  # FileNotFoundError names the file
        buf = np.frombuffer(f.read(), dtype=np.uint8)
    res = _decode(buf, flag, to_rgb, f" {name!r}")
    return _into(res, out)


def imdecode(buf: Any, flag: int = 1, to_rgb: bool = True, out: NDArray | None = None
             ) -> NDArray:
    """Decode an encoded image (bytes, bytearray, or a uint8 NumPy array/NDArray of the
    file's bytes) into a uint8 NDArray (H, W, C). See `imread` for ``flag``/``to_rgb``."""
    if isinstance(buf, NDArray):
        raw = buf._data.astype(np.uint8, copy=False).reshape(-1)
    elif isinstance(buf, (bytes, bytearray, np.ndarray)):
        raw = np.frombuffer(buf, dtype=np.uint8) if not isinstance(buf, np.ndarray) else \
            np.frombuffer(buf.tobytes(), dtype=np.uint8)
    else:
        raise ValueError("buf must be of type bytes, bytearray or numpy.ndarray,"
                         "if you would like to input type str, please convert to bytes")
    return _into(_decode(raw, flag, to_rgb, ""), out)


def _into(res: NDArray, out: NDArray | None) -> NDArray:
    if out is None:
        return res
    if out.shape != res.shape:
        raise MinigluonError(f"out has shape {out.shape}, the image {res.shape}")
    out[:] = res
    return out


def scale_down(src_size: tuple[int, int], size: tuple[int, int]) -> tuple[int, int]:
    """Shrink ``size`` (w, h), keeping its aspect ratio, until it fits in ``src_size``.

    >>> from minigluon import image
    >>> image.scale_down((640, 480), (720, 120))
    (640, 106)
    """
    w, h = size
    sw, sh = src_size
    if sh < h:
        w, h = float(w * sh) / h, sh
    if sw < w:
        w, h = sw, float(h * sw) / w
    return int(w), int(h)


def copyMakeBorder(src: NDArray, top: int, bot: int, left: int, right: int, type: int = 0,
                   value: float = 0.0, values: Sequence[float] = ()) -> NDArray:
    """Pad an image (OpenCV's ``copyMakeBorder``; ``type`` 0 constant, 1 replicate,
    2 reflect, 3 wrap, 4 reflect-101; ``value``/``values`` fill the constant border)."""
    cv2 = _cv.cv2
    img = _np(src)
    fill = list(values) if len(values) else [value] * 4
    res = cv2.copyMakeBorder(img, top, bot, left, right, type, value=fill)
    if res.ndim == 2:
        res = res[:, :, None]
    return _wrap(res, None)


def _get_interp_method(interp: int, sizes: tuple[int, ...] = ()) -> int:
    """MXNet's codes 9 (by sizes (old h, old w, new h, new w)) and 10 (random) resolved."""
    if interp == 9:
        if sizes:
            oh, ow, nh, nw = sizes
            if nh > oh and nw > ow:
                return 2
            if nh < oh and nw < ow:
                return 3
            return 1
        return 2
    if interp == 10:
        return random.randint(0, 4)
    if interp not in (0, 1, 2, 3, 4):
        raise ValueError(f"Unknown interp method {interp}: MXNet's codes are {_INTERP_NAMES}, "
                         "9 (by size) and 10 (random)")
    return interp


def imresize(src: NDArray, w: int, h: int, interp: int = 1, out: NDArray | None = None
             ) -> NDArray:
    """Resize an image (H, W, C) or a batch (N, H, W, C) to width ``w`` and height ``h``
    with OpenCV's interpolation ``interp`` (0 nearest, 1 bilinear, 2 bicubic, 3 area,
    4 Lanczos). The dtype is kept.

    >>> from minigluon import image, nd
    >>> image.imresize(nd.zeros((4, 6, 3), dtype='uint8'), 3, 2).shape
    (2, 3, 3)
    """
    if interp not in (0, 1, 2, 3, 4) or isinstance(interp, bool):
        raise MinigluonError(f"imresize: Unknown interpolation method interp={interp!r}; "
                             f"the codes are {_INTERP_NAMES} (9 and 10 are for resize_short, "
                             "the crops and the augmenters)")
    if int(w) <= 0 or int(h) <= 0:
        raise MinigluonError(f"imresize: the size must be positive, got w={w}, h={h}")
    img = _np(src)
    if img.ndim == 4:
        res = np.stack([_resize(x, int(w), int(h), interp) for x in img])
    elif img.ndim == 3:
        res = _resize(img, int(w), int(h), interp)
    else:
        raise MinigluonError(f"imresize: the image must be (H, W, C) or (N, H, W, C), got "
                             f"shape {img.shape}")
    return _into(_wrap(res, None), out)


def _resize(img: np.ndarray, w: int, h: int, interp: int) -> np.ndarray:
    if img.dtype not in (np.uint8, np.float32, np.float64, np.uint16, np.int16):
        raise TypeError(f"imresize: OpenCV resizes uint8, int16, uint16, float32 and "
                        f"float64 images, not {img.dtype}")
    if interp == 0:
        return _resize_nearest(img, h, w)
    if interp == 1 and img.dtype in (np.uint8, np.float32, np.float64):
        return _resize_bilinear(img, h, w)
    if interp == 2 and img.dtype == np.uint8:
        return _bicubic_u8(img, w, h)
    res = _cv.cv2.resize(np.ascontiguousarray(img), (w, h), interpolation=interp)
    return res[:, :, None] if res.ndim == 2 else res


def resize_short(src: NDArray, size: int, interp: int = 2) -> NDArray:
    """Resize so that the shorter side is ``size`` (the other one scaled, rounded down).

    >>> from minigluon import image, nd
    >>> image.resize_short(nd.zeros((40, 60, 3), dtype='uint8'), 20).shape
    (20, 30, 3)
    """
    h, w, _ = src.shape
    if h > w:
        new_h, new_w = size * h // w, size
    else:
        new_h, new_w = size, size * w // h
    return imresize(src, new_w, new_h, interp=_get_interp_method(interp, (h, w, new_h, new_w)))


def fixed_crop(src: NDArray, x0: int, y0: int, w: int, h: int,
               size: tuple[int, int] | None = None, interp: int = 2) -> NDArray:
    """The ``w`` x ``h`` region at (x0, y0), resized to ``size`` (w, h) if given."""
    out = _wrap(np.ascontiguousarray(_np(src)[y0:y0 + h, x0:x0 + w]), None)
    if size is not None and (w, h) != tuple(size):
        sizes = (h, w, size[1], size[0])
        out = imresize(out, *size, interp=_get_interp_method(interp, sizes))
    return out


def random_crop(src: NDArray, size: tuple[int, int], interp: int = 2
                ) -> tuple[NDArray, tuple[int, int, int, int]]:
    """A random crop of ``size`` (w, h) (scaled down to fit, then resized to ``size``),
    and its (x0, y0, w, h)."""
    h, w, _ = src.shape
    new_w, new_h = scale_down((w, h), size)
    x0 = random.randint(0, w - new_w)
    y0 = random.randint(0, h - new_h)
    return fixed_crop(src, x0, y0, new_w, new_h, size, interp), (x0, y0, new_w, new_h)


def center_crop(src: NDArray, size: tuple[int, int], interp: int = 2
                ) -> tuple[NDArray, tuple[int, int, int, int]]:
    """The centred crop of ``size`` (w, h), as `random_crop` does it.

    >>> from minigluon import image, nd
    >>> out, rect = image.center_crop(nd.zeros((40, 60, 3), dtype='uint8'), (20, 10))
    >>> out.shape, rect
    ((10, 20, 3), (20, 15, 20, 10))
    """
    h, w, _ = src.shape
    new_w, new_h = scale_down((w, h), size)
    x0 = int((w - new_w) / 2)
    y0 = int((h - new_h) / 2)
    return fixed_crop(src, x0, y0, new_w, new_h, size, interp), (x0, y0, new_w, new_h)


def color_normalize(src: NDArray, mean: Any, std: Any = None) -> NDArray:
    """``(src - mean) / std``, in place as in MXNet."""
    if mean is not None:
        src -= mean
    if std is not None:
        src /= std
    return src


def random_size_crop(src: NDArray, size: tuple[int, int], area: Any,
                     ratio: tuple[float, float], interp: int = 2, **kwargs: Any
                     ) -> tuple[NDArray, tuple[int, int, int, int]]:
    """A random crop covering a random fraction ``area`` (min, max, or min with max 1)
    of the image with an aspect ratio drawn log-uniformly from ``ratio``, resized to
    ``size``; after 10 failed tries, the centre crop."""
    h, w, _ = src.shape
    src_area = h * w
    if "min_area" in kwargs:
        warnings.warn("`min_area` is deprecated. Please use `area` instead.",
                      DeprecationWarning, stacklevel=2)
        area = kwargs.pop("min_area")
    if kwargs:
        raise TypeError(f"unexpected keyword arguments for `random_size_crop`: {sorted(kwargs)}")
    if isinstance(area, numbers.Number):
        area = (area, 1.0)
    for _ in range(10):
        target_area = random.uniform(area[0], area[1]) * src_area
        log_ratio = (np.log(ratio[0]), np.log(ratio[1]))
        new_ratio = np.exp(random.uniform(*log_ratio))
        new_w = int(round(np.sqrt(target_area * new_ratio)))
        new_h = int(round(np.sqrt(target_area / new_ratio)))
        if new_w <= w and new_h <= h:
            x0 = random.randint(0, w - new_w)
            y0 = random.randint(0, h - new_h)
            return fixed_crop(src, x0, y0, new_w, new_h, size, interp), (x0, y0, new_w, new_h)
    return center_crop(src, size, interp)


# ---------------------------------------------------------------------------------------
# augmenters
# ---------------------------------------------------------------------------------------


class Augmenter:
    """Base class: an augmenter is called on an image and returns the new image;
    ``dumps()`` gives its name and arguments as JSON."""

    def __init__(self, **kwargs: Any) -> None:
        self._kwargs = kwargs
        for k, v in self._kwargs.items():
            if isinstance(v, NDArray):
                v = v.asnumpy()
            if isinstance(v, np.ndarray):
                self._kwargs[k] = v.tolist()

    def dumps(self) -> Any:
        """``[name, arguments]`` as a JSON string."""
        return json.dumps([type(self).__name__.lower(), self._kwargs])

    def __call__(self, src: NDArray) -> NDArray:
        raise NotImplementedError("Must override implementation.")


class SequentialAug(Augmenter):
    """Apply the augmenters ``ts`` in order."""

    def __init__(self, ts: list[Augmenter]) -> None:
        super().__init__()
        self.ts = ts

    def dumps(self) -> Any:
        return [type(self).__name__.lower(), [x.dumps() for x in self.ts]]

    def __call__(self, src: NDArray) -> NDArray:
        for aug in self.ts:
            src = aug(src)
        return src


class ResizeAug(Augmenter):
    """`resize_short` to ``size``."""

    def __init__(self, size: int, interp: int = 2) -> None:
        super().__init__(size=size, interp=interp)
        self.size = size
        self.interp = interp

    def __call__(self, src: NDArray) -> NDArray:
        return resize_short(src, self.size, self.interp)


class ForceResizeAug(Augmenter):
    """Resize to ``size`` (w, h), whatever the aspect ratio."""

    def __init__(self, size: tuple[int, int], interp: int = 2) -> None:
        super().__init__(size=size, interp=interp)
        self.size = size
        self.interp = interp

    def __call__(self, src: NDArray) -> NDArray:
        sizes = (src.shape[0], src.shape[1], self.size[1], self.size[0])
        return imresize(src, *self.size, interp=_get_interp_method(self.interp, sizes))


class RandomCropAug(Augmenter):
    """`random_crop` to ``size`` (w, h)."""

    def __init__(self, size: tuple[int, int], interp: int = 2) -> None:
        super().__init__(size=size, interp=interp)
        self.size = size
        self.interp = interp

    def __call__(self, src: NDArray) -> NDArray:
        return random_crop(src, self.size, self.interp)[0]


class RandomSizedCropAug(Augmenter):
    """`random_size_crop` to ``size`` (w, h)."""

    def __init__(self, size: tuple[int, int], area: Any, ratio: tuple[float, float],
                 interp: int = 2, **kwargs: Any) -> None:
        super().__init__(size=size, area=area, ratio=ratio, interp=interp)
        self.size = size
        if "min_area" in kwargs:
            warnings.warn("`min_area` is deprecated. Please use `area` instead.",
                          DeprecationWarning, stacklevel=2)
            self.area = kwargs.pop("min_area")
        else:
            self.area = area
        self.ratio = ratio
        self.interp = interp
        if kwargs:
            raise TypeError(
                f"unexpected keyword arguments for `RandomSizedCropAug`: {sorted(kwargs)}")

    def __call__(self, src: NDArray) -> NDArray:
        return random_size_crop(src, self.size, self.area, self.ratio, self.interp)[0]


class CenterCropAug(Augmenter):
    """`center_crop` to ``size`` (w, h)."""

    def __init__(self, size: tuple[int, int], interp: int = 2) -> None:
        super().__init__(size=size, interp=interp)
        self.size = size
        self.interp = interp

    def __call__(self, src: NDArray) -> NDArray:
        return center_crop(src, self.size, self.interp)[0]


class RandomOrderAug(Augmenter):
    """Apply the augmenters ``ts`` in a random order (shuffled in place each call)."""

    def __init__(self, ts: list[Augmenter]) -> None:
        super().__init__()
        self.ts = ts

    def dumps(self) -> Any:
        return [type(self).__name__.lower(), [x.dumps() for x in self.ts]]

    def __call__(self, src: NDArray) -> NDArray:
        random.shuffle(self.ts)
        for t in self.ts:
            src = t(src)
        return src


class BrightnessJitterAug(Augmenter):
    """Multiply by ``1 + U(-brightness, brightness)`` (a float image, after CastAug)."""

    def __init__(self, brightness: float) -> None:
        super().__init__(brightness=brightness)
        self.brightness = brightness

    def __call__(self, src: NDArray) -> NDArray:
        alpha = 1.0 + random.uniform(-self.brightness, self.brightness)
        src *= alpha
        return src


_GRAY_COEF = [[[0.299, 0.587, 0.114]]]


class ContrastJitterAug(Augmenter):
    """Blend with the image's mean gray level: ``alpha * src + (1 - alpha) * mean``,
    ``alpha = 1 + U(-contrast, contrast)``."""

    def __init__(self, contrast: float) -> None:
        super().__init__(contrast=contrast)
        self.contrast = contrast
        self.coef = nd.array(_GRAY_COEF)

    def __call__(self, src: NDArray) -> NDArray:
        alpha = 1.0 + random.uniform(-self.contrast, self.contrast)
        gray = src * self.coef
        gray = (3.0 * (1.0 - alpha) / gray.size) * nd.sum(gray)
        src *= alpha
        src += gray
        return src


class SaturationJitterAug(Augmenter):
    """Blend each pixel with its gray value: ``alpha = 1 + U(-saturation, saturation)``."""

    def __init__(self, saturation: float) -> None:
        super().__init__(saturation=saturation)
        self.saturation = saturation
        self.coef = nd.array(_GRAY_COEF)

    def __call__(self, src: NDArray) -> NDArray:
        alpha = 1.0 + random.uniform(-self.saturation, self.saturation)
        gray = src * self.coef
        gray = nd.sum(gray, axis=2, keepdims=True)
        gray *= 1.0 - alpha
        src *= alpha
        src += gray
        return src


class HueJitterAug(Augmenter):
    """Rotate the hue by ``U(-hue, hue) * 180`` degrees in YIQ space."""

    def __init__(self, hue: float) -> None:
        super().__init__(hue=hue)
        self.hue = hue
        self.tyiq = np.array([[0.299, 0.587, 0.114],
                              [0.596, -0.274, -0.321],
                              [0.211, -0.523, 0.311]])
        self.ityiq = np.array([[1.0, 0.956, 0.621],
                               [1.0, -0.272, -0.647],
                               [1.0, -1.107, 1.705]])

    def __call__(self, src: NDArray) -> NDArray:
        alpha = random.uniform(-self.hue, self.hue)
        u = np.cos(alpha * np.pi)
        w = np.sin(alpha * np.pi)
        bt = np.array([[1.0, 0.0, 0.0], [0.0, u, -w], [0.0, w, u]])
        t = np.dot(np.dot(self.ityiq, bt), self.tyiq).T
        return nd.dot(src, nd.array(t))


class ColorJitterAug(RandomOrderAug):
    """Brightness, contrast and saturation jitter (those > 0) in a random order."""

    def __init__(self, brightness: float, contrast: float, saturation: float) -> None:
        ts: list[Augmenter] = []
        if brightness > 0:
            ts.append(BrightnessJitterAug(brightness))
        if contrast > 0:
            ts.append(ContrastJitterAug(contrast))
        if saturation > 0:
            ts.append(SaturationJitterAug(saturation))
        super().__init__(ts)


class LightingAug(Augmenter):
    """AlexNet's PCA lighting noise: add ``eigvec @ (alpha * eigval)`` with
    ``alpha ~ N(0, alphastd)`` per component (drawn from NumPy's global generator)."""

    def __init__(self, alphastd: float, eigval: Any, eigvec: Any) -> None:
        super().__init__(alphastd=alphastd, eigval=eigval, eigvec=eigvec)
        self.alphastd = alphastd
        self.eigval = eigval
        self.eigvec = eigvec

    def __call__(self, src: NDArray) -> NDArray:
        alpha = np.random.normal(0, self.alphastd, size=(3,))
        rgb = np.dot(self.eigvec * alpha, self.eigval)
        src += nd.array(rgb)
        return src


class ColorNormalizeAug(Augmenter):
    """`color_normalize` with ``mean`` and ``std`` (per channel)."""

    def __init__(self, mean: Any, std: Any) -> None:
        super().__init__(mean=mean, std=std)
        self.mean = mean if mean is None or isinstance(mean, NDArray) else nd.array(mean)
        self.std = std if std is None or isinstance(std, NDArray) else nd.array(std)

    def __call__(self, src: NDArray) -> NDArray:
        return color_normalize(src, self.mean, self.std)


class RandomGrayAug(Augmenter):
    """With probability ``p``, replace each channel by the gray level."""

    def __init__(self, p: float) -> None:
        super().__init__(p=p)
        self.p = p
        self.mat = nd.array([[0.21, 0.21, 0.21], [0.72, 0.72, 0.72], [0.07, 0.07, 0.07]])

    def __call__(self, src: NDArray) -> NDArray:
        if random.random() < self.p:
            src = nd.dot(src, self.mat)
        return src


class HorizontalFlipAug(Augmenter):
    """With probability ``p``, mirror left-right."""

    def __init__(self, p: float) -> None:
        super().__init__(p=p)
        self.p = p

    def __call__(self, src: NDArray) -> NDArray:
        if random.random() < self.p:
            src = _wrap(np.ascontiguousarray(_np(src)[:, ::-1]), None)
        return src


class CastAug(Augmenter):
    """Convert to ``typ`` (float32 by default)."""

    def __init__(self, typ: str = "float32") -> None:
        super().__init__(type=typ)
        self.typ = typ

    def __call__(self, src: NDArray) -> NDArray:
        return src.astype(self.typ)


def CreateAugmenter(data_shape: tuple[int, int, int], resize: int = 0,
                    rand_crop: bool = False, rand_resize: bool = False,
                    rand_mirror: bool = False, mean: Any = None, std: Any = None,
                    brightness: float = 0, contrast: float = 0, saturation: float = 0,
                    hue: float = 0, pca_noise: float = 0, rand_gray: float = 0,
                    inter_method: int = 2) -> list[Augmenter]:
    """MXNet's standard list of augmenters for ``data_shape`` (C, H, W).

    ``mean=True``/``std=True`` use ImageNet's RGB mean (123.68, 116.28, 103.53) and
    standard deviation (58.395, 57.12, 57.375).

    >>> from minigluon import image
    >>> [type(a).__name__ for a in image.CreateAugmenter((3, 8, 8), rand_mirror=True)]
    ['CenterCropAug', 'HorizontalFlipAug', 'CastAug']
    """
    auglist: list[Augmenter] = []
    if resize > 0:
        auglist.append(ResizeAug(resize, inter_method))
    crop_size = (data_shape[2], data_shape[1])
    if rand_resize:
        if not rand_crop:
            raise AssertionError("rand_resize needs rand_crop=True")
        auglist.append(RandomSizedCropAug(crop_size, 0.08, (3.0 / 4.0, 4.0 / 3.0), inter_method))
    elif rand_crop:
        auglist.append(RandomCropAug(crop_size, inter_method))
    else:
        auglist.append(CenterCropAug(crop_size, inter_method))
    if rand_mirror:
        auglist.append(HorizontalFlipAug(0.5))
    auglist.append(CastAug())
    if brightness or contrast or saturation:
        auglist.append(ColorJitterAug(brightness, contrast, saturation))
    if hue:
        auglist.append(HueJitterAug(hue))
    if pca_noise > 0:
        eigval = np.array([55.46, 4.794, 1.148])
        eigvec = np.array([[-0.5675, 0.7192, 0.4009],
                           [-0.5808, -0.0045, -0.8140],
                           [-0.5836, -0.6948, 0.4203]])
        auglist.append(LightingAug(pca_noise, eigval, eigvec))
    if rand_gray > 0:
        auglist.append(RandomGrayAug(rand_gray))
    if mean is True:
        mean = nd.array([123.68, 116.28, 103.53])
    elif mean is not None and not (isinstance(mean, (np.ndarray, NDArray))
                                   and mean.shape[0] in (1, 3)):
        raise AssertionError("mean must be True or an array of 1 or 3 values")
    if std is True:
        std = nd.array([58.395, 57.12, 57.375])
    elif std is not None and not (isinstance(std, (np.ndarray, NDArray))
                                  and std.shape[0] in (1, 3)):
        raise AssertionError("std must be True or an array of 1 or 3 values")
    if mean is not None or std is not None:
        auglist.append(ColorNormalizeAug(mean, std))
    return auglist


# ---------------------------------------------------------------------------------------
# ImageIter
# ---------------------------------------------------------------------------------------


class ImageIter(io.DataIter):
    """Batches of images (N, C, H, W) float32 and labels, read from a ``.rec`` file
    (``path_imgrec``, with ``path_imgidx`` for shuffling and parts), or from an image
    list (``path_imglist`` file: ``index<TAB>label(s)<TAB>path`` lines, or ``imglist``:
    ``[label(s)..., path]`` entries) with images under ``path_root``.

    Each image goes through ``aug_list`` (default: ``CreateAugmenter(data_shape,
    **kwargs)``). ``last_batch_handle``: ``'pad'`` (fill the last batch from the start,
    ``batch.pad`` says how many), ``'discard'`` or ``'roll_over'`` (carry the rest into
    the next epoch).
    """

    def __init__(self, batch_size: int, data_shape: tuple[int, int, int],
                 label_width: int = 1, path_imgrec: str | None = None,
                 path_imglist: str | None = None, path_root: str | None = None,
                 path_imgidx: str | None = None, shuffle: bool = False, part_index: int = 0,
                 num_parts: int = 1, aug_list: list[Augmenter] | None = None,
                 imglist: list[Any] | None = None, data_name: str = "data",
                 label_name: str = "softmax_label", dtype: str = "float32",
                 last_batch_handle: str = "pad", **kwargs: Any) -> None:
        super().__init__()
        if not (path_imgrec or path_imglist or isinstance(imglist, list)):
            raise AssertionError("ImageIter needs path_imgrec, path_imglist or imglist")
        if dtype not in ("int32", "float32", "int64", "float64"):
            raise AssertionError(dtype + " label not supported")
        if last_batch_handle not in ("pad", "discard", "roll_over"):
            raise ValueError(f"last_batch_handle must be 'pad', 'discard' or 'roll_over', "
                             f"got {last_batch_handle!r}")
        class_name = type(self).__name__
        imgkeys: list[Any] = []
        if path_imgrec:
            logging.info("%s: loading recordio %s...", class_name, path_imgrec)
            if path_imgidx:
                self.imgrec = recordio.MXIndexedRecordIO(path_imgidx, path_imgrec, "r")
                self.imgidx = list(self.imgrec.keys)
            else:
                self.imgrec = recordio.MXRecordIO(path_imgrec, "r")
                self.imgidx = None
        else:
            self.imgrec = None
        if path_imglist:
            logging.info("%s: loading image list %s...", class_name, path_imglist)
            table: dict[Any, Any] = {}
            with open(path_imglist) as fin:
                for lineno, raw in enumerate(fin, 1):
                    line = raw.strip().split("\t")
                    if len(line) < 3:
                        raise MinigluonError(
                            f"{path_imglist!r} line {lineno}: expected "
                            f"'index<TAB>label(s)<TAB>path', got {raw.rstrip()!r}")
                    key = int(line[0])
                    table[key] = (nd.array([float(v) for v in line[1:-1]], dtype=dtype),
                                  line[-1])
                    imgkeys.append(key)
            self.imglist = table
        elif isinstance(imglist, list):
            table = {}
            for index, img in enumerate(imglist, 1):
                key = str(index)
                if len(img) > 2:
                    label = nd.array(img[:-1], dtype=dtype)
                elif isinstance(img[0], numbers.Number):
                    label = nd.array([img[0]], dtype=dtype)
                else:
                    label = nd.array(img[0], dtype=dtype)
                table[key] = (label, img[-1])
                imgkeys.append(key)
            self.imglist = table
        else:
            self.imglist = None
        self.path_root = path_root
        self.check_data_shape(data_shape)
        self.provide_data = [(data_name, (batch_size,) + tuple(data_shape))]
        if label_width > 1:
            self.provide_label = [(label_name, (batch_size, label_width))]
        else:
            self.provide_label = [(label_name, (batch_size,))]
        self.batch_size = batch_size
        self.data_shape = data_shape
        self.label_width = label_width
        self.shuffle = shuffle
        if self.imgrec is None:
            self.seq = imgkeys
        elif shuffle or num_parts > 1 or path_imgidx:
            if self.imgidx is None:
                raise AssertionError("shuffle and num_parts > 1 need path_imgidx")
            self.seq = self.imgidx
        else:
            self.seq = None
        if num_parts > 1:
            if part_index >= num_parts:
                raise AssertionError(f"part_index {part_index} >= num_parts {num_parts}")
            c = len(self.seq) // num_parts
            self.seq = self.seq[part_index * c:(part_index + 1) * c]
        self.auglist = CreateAugmenter(data_shape, **kwargs) if aug_list is None else aug_list
        self.cur = 0
        self._allow_read = True
        self.last_batch_handle = last_batch_handle
        self.num_image = len(self.seq) if self.seq is not None else None
        self._cache_data: Any = None
        self._cache_label: Any = None
        self._cache_idx: Any = None
        self.reset()

    def reset(self) -> None:
        """Back to the beginning (reshuffled if ``shuffle``)."""
        if self.seq is not None and self.shuffle:
            random.shuffle(self.seq)
        if self.last_batch_handle != "roll_over" or self._cache_data is None:
            if self.imgrec is not None:
                self.imgrec.reset()
            self.cur = 0
            self._allow_read = True

    def hard_reset(self) -> None:
        """Back to the beginning, dropping rolled-over data."""
        if self.seq is not None and self.shuffle:
            random.shuffle(self.seq)
        if self.imgrec is not None:
            self.imgrec.reset()
        self.cur = 0
        self._allow_read = True
        self._cache_data = None
        self._cache_label = None
        self._cache_idx = None

    def next_sample(self) -> tuple[Any, Any]:
        """The next (label, encoded image)."""
        if self._allow_read is False:
            raise StopIteration
        if self.seq is not None:
            if self.cur < self.num_image:
                idx = self.seq[self.cur]
            else:
                if self.last_batch_handle != "discard":
                    self.cur = 0
                raise StopIteration
            self.cur += 1
            if self.imgrec is not None:
                header, img = recordio.unpack(self.imgrec.read_idx(idx))
                if self.imglist is None:
                    return header.label, img
                return self.imglist[idx][0], img
            label, fname = self.imglist[idx]
            return label, self.read_image(fname)
        s = self.imgrec.read()
        if s is None:
            if self.last_batch_handle != "discard":
                self.imgrec.reset()
            raise StopIteration
        header, img = recordio.unpack(s)
        return header.label, img

    def _batchify(self, batch_data: Any, batch_label: Any, start: int = 0) -> int:
        i = start
        try:
            while i < self.batch_size:
                label, s = self.next_sample()
                data = self.imdecode(s)
                try:
                    self.check_valid_image(data)
                except RuntimeError as e:
                    logging.debug("Invalid image, skipping:  %s", str(e))
                    continue
                data = self.augmentation_transform(data)
                batch_data[i] = self.postprocess_data(data)
                batch_label[i] = label
                i += 1
        except StopIteration:
            if not i:
                raise
        return i

    def next(self) -> io.DataBatch:
        """The next batch."""
        c, h, w = self.data_shape
        if self._cache_data is not None:
            batch_data, batch_label, i = self._cache_data, self._cache_label, self._cache_idx
        else:
            batch_data = nd.zeros((self.batch_size, c, h, w))
            batch_label = nd.zeros(self.provide_label[0][1])
            i = self._batchify(batch_data, batch_label)
        pad = self.batch_size - i
        if pad != 0:
            if self.last_batch_handle == "discard":
                raise StopIteration
            if self.last_batch_handle == "roll_over" and self._cache_data is None:
                self._cache_data, self._cache_label, self._cache_idx = batch_data, batch_label, i
                raise StopIteration
            self._batchify(batch_data, batch_label, i)
            if self.last_batch_handle == "pad":
                self._allow_read = False
            else:
                self._cache_data = self._cache_label = self._cache_idx = None
        return io.DataBatch([batch_data], [batch_label], pad=pad)

    def check_data_shape(self, data_shape: tuple[int, ...]) -> None:
        """``data_shape`` must be (3, H, W)."""
        if not len(data_shape) == 3:
            raise ValueError("data_shape should have length 3, with dimensions CxHxW")
        if not data_shape[0] == 3:
            raise ValueError("This iterator expects inputs to have 3 channels.")

    def check_valid_image(self, data: Any) -> None:
        """Raise RuntimeError for an empty image."""
        if len(data[0].shape) == 0:
            raise RuntimeError("Data shape is wrong")

    def imdecode(self, s: bytes) -> NDArray:
        """Decode ``s``; a broken image names its file or record index."""
        try:
            return imdecode(s)
        except Exception as e:
            if self.seq is not None:
                idx = self.seq[(self.cur % self.num_image) - 1]
            else:
                idx = "(sequential record)"
            if self.imglist is not None:
                where = f"filename: {self.imglist[idx][1]}"
            else:
                where = f"index: {idx}"
            raise RuntimeError(f"Broken image {where}, {e}") from e

    def read_image(self, fname: str) -> bytes:
        """The bytes of the image file ``fname`` under ``path_root``."""
        with open(os.path.join(self.path_root or "", fname), "rb") as fin:
            return fin.read()

    def augmentation_transform(self, data: NDArray) -> NDArray:
        """Apply the augmenters."""
        for aug in self.auglist:
            data = aug(data)
        return data

    def postprocess_data(self, datum: NDArray) -> NDArray:
        """(H, W, C) to (C, H, W)."""
        return nd.transpose(datum, axes=(2, 0, 1))
