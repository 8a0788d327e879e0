"""Image transforms: ToTensor, Normalize, Resize, Cast and Compose.

Images are NDArrays in MXNet's layout: (height, width, channels) before ToTensor, and
(channels, height, width) after it; each transform also takes a batch with a leading N.

As in MXNet the transforms are HybridBlocks (``hybrid_forward(F, x)`` with ``F = nd``)
and print as such (``ToTensor(\\n\\n)``); Compose is a plain container that prints like
MXNet's Sequential. As in MXNet, autograd differentiates through Normalize (and Cast), not
through ToTensor or Resize.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ....base import MinigluonError, NotAvailableError
from ....ndarray.ndarray import NDArray, _wrap
from ...block import HybridBlock
from ...utils import _indent

__all__ = ["Compose", "Cast", "ToTensor", "Normalize", "Resize"]


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
    fixed-point weights and its rounding.

    Parameters
    ----------
    size : int or tuple
        An int gives a square image, or, with ``keep_ratio=True``, sets the shorter
        side (the longer one is scaled and rounded down). A pair is (width, height).
    keep_ratio : bool, default False
        See ``size``; ignored when ``size`` is a pair.
    interpolation : int, default 1
        1: bilinear; 0: nearest neighbour (OpenCV's codes). The others OpenCV offers
        (2 area, 3 bicubic, 4 Lanczos) are not available.

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
        if self._interpolation not in (0, 1):
            raise NotAvailableError(
                f"Resize: interpolation={self._interpolation} is not available in "
                "minigluon; use 1 (bilinear, the default) or 0 (nearest neighbour)")
        h, w = self._out_size(data.shape[-3], data.shape[-2])
        fn = _resize_nearest if self._interpolation == 0 else _resize_bilinear
        if data.ndim == 3:
            return _wrap(fn(data, h, w), None)
        return _wrap(np.stack([fn(img, h, w) for img in data]), None)


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


def _linear_weights(n_in: int, n_out: int, clamp: bool
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Source indices i0, i1 and the float32 weight of i1, for OpenCV's bilinear resize.

    Output pixel d samples the input at (d + 0.5) * n_in / n_out - 0.5 (pixel centres
    aligned). OpenCV clamps that position into the image along x, but along y it only
    clamps the row indices and keeps the unclamped weights; both matter for the last
    bit of uint8 results.
    """
    scale = 1.0 / (n_out / n_in)
    pos = ((np.arange(n_out) + 0.5) * scale - 0.5).astype(np.float32)
    i0 = np.floor(pos).astype(np.intp)
    frac = pos - i0.astype(np.float32)
    if clamp:
        frac[(i0 < 0) | (i0 >= n_in - 1)] = 0
    i1 = np.clip(i0 + 1, 0, n_in - 1)
    return np.clip(i0, 0, n_in - 1), i1, frac


def _resize_bilinear(img: np.ndarray, h: int, w: int) -> np.ndarray:
    if img.shape[0] == 2 * h and img.shape[1] == 2 * w:
        return _halve(img)
    x0, x1, fx = _linear_weights(img.shape[1], w, clamp=True)
    y0, y1, fy = _linear_weights(img.shape[0], h, clamp=False)
    if img.dtype == np.uint8:
        # OpenCV's fixed point: weights scaled by 2048 and rounded; the horizontal pass
        # is exact in integers, the vertical one (SIMD) drops 4, then 16, then 2 bits
        # (rounding only the last step)
        ax1 = np.rint(fx * 2048).astype(np.int32)
        ax0 = np.rint((np.float32(1) - fx) * 2048).astype(np.int32)
        by1 = np.rint(fy * 2048).astype(np.int32)[:, None, None]
        by0 = np.rint((np.float32(1) - fy) * 2048).astype(np.int32)[:, None, None]
        src = img.astype(np.int32)
        rows = src[:, x0] * ax0[:, None] + src[:, x1] * ax1[:, None]
        top = ((rows[y0] >> 4) * by0) >> 16
        bottom = ((rows[y1] >> 4) * by1) >> 16
        return np.clip((top + bottom + 2) >> 2, 0, 255).astype(np.uint8)
    t = img.dtype.type
    ax1, ax0 = fx.astype(t)[:, None], (np.float32(1) - fx).astype(t)[:, None]
    by1 = fy.astype(t)[:, None, None]
    by0 = (np.float32(1) - fy).astype(t)[:, None, None]
    rows = img[:, x0] * ax0 + img[:, x1] * ax1
    return rows[y0] * by0 + rows[y1] * by1


def _halve(img: np.ndarray) -> np.ndarray:
    """Exactly half the size: OpenCV then averages 2x2 blocks instead (its "area" path,
    the same values as bilinear up to rounding, reproduced here to the last bit)."""
    a, b = img[0::2, 0::2], img[0::2, 1::2]
    c, d = img[1::2, 0::2], img[1::2, 1::2]
    if img.dtype == np.uint8:
        total = a.astype(np.int32) + b + c + d
        return ((total + 2) >> 2).astype(np.uint8)
    quarter = img.dtype.type(0.25)
    out = (((a + b) + c) + d) * quarter
    if img.dtype == np.float32 and img.shape[2] == 1:
        # OpenCV's SIMD loop adds pairs, in groups of four output pixels per row
        n = out.shape[1] // 4 * 4
        out[:, :n] = ((a[:, :n] + b[:, :n]) + (c[:, :n] + d[:, :n])) * quarter
    return out


def _resize_nearest(img: np.ndarray, h: int, w: int) -> np.ndarray:
    def index(n_in: int, n_out: int) -> np.ndarray:
        scale = 1.0 / (n_out / n_in)  # OpenCV's arithmetic, for the same floor
        return np.minimum(np.floor(np.arange(n_out) * scale).astype(np.intp), n_in - 1)

    return img[index(img.shape[0], h)][:, index(img.shape[1], w)]
