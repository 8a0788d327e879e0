"""Convolution and pooling: the operators behind the book's CNN
chapters (LeNet to DenseNet), for 1-, 2- and 3-D inputs laid out as (N, C, *spatial).

Both convolution and pooling look at the input through *windows*: for each kernel
offset, a strided NumPy view of shape (N, C, *out), taken without copying. Convolution
then is one matrix product per layer (the "im2col" method; wide 3x3 layers use
Winograd's F(2x2, 3x3): the same sums with fewer multiplications); pooling is a running
max or a sum over the offsets. Backward sends each window's gradient back to the pixels it came
from, one kernel offset at a time: a loop over the few kernel positions, never over
pixels. The numerical kernels live in :mod:`minigluon.ops._windows`.

``nd.Convolution`` and ``nd.Pooling`` are written by hand in :mod:`minigluon.ndarray.nn`
(optional bias, MXNet's parameter spellings); batch normalization is in :mod:`.norm`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..base import MinigluonError, NotAvailableError
from . import _windows as kern
from ._op import Op, frozen_op, register_op

Shape = tuple[int, ...]

def _check_spatial(name: str, x: np.ndarray, nsp: int) -> None:
    if x.ndim != nsp + 2:
        raise MinigluonError(
            f"{name}: the input has shape {x.shape}, but a {nsp}-D kernel needs "
            f"{nsp + 2}-D input (batch, channel, {', '.join('HWD'[:nsp][::-1].lower())})")


# ---- convolution ------------------------------------------------------------------------


@register_op
@frozen_op
class Convolution(Op):
    """y = im2col(x) W^T + b.   VJP: dx = col2im(g W), dW = g^T im2col(x), db = sum of g

    ``y[n, f, o] = sum over c, k of w[f, c, k] * x[n, c, o * stride + k * dilate] + b[f]``
    (x padded by ``pad``); with groups, each group of filters sees its share of channels.
    """

    name = "Convolution"
    inputs = ("data", "weight", "bias")
    expose = False  # nd.Convolution is written by hand: bias is optional
    kernel: Shape = (3, 3)
    stride: Shape = (1, 1)
    dilate: Shape = (1, 1)
    pad: Shape = (0, 0)
    num_group: int = 1

    def out_shape(self, spatial: Shape) -> Shape:
        """The output's spatial size for an input of spatial size ``spatial``."""
        return tuple((n + 2 * p - (k - 1) * d - 1) // s + 1 for n, p, k, d, s in
                     zip(spatial, self.pad, self.kernel, self.dilate, self.stride))

    def forward(self, x, w, b=None):
        self._check(x, w, b)
        out = self.out_shape(x.shape[2:])
        y = kern.conv_forward(x, w, b, self.num_group, self.stride, self.dilate, self.pad,
                              out)
        return y, (x, w, b is not None)

    def vjp(self, res, g):
        return self.vjp_some(res, g, (True, True, True))

    def vjp_some(self, res, g, needs):
        x, w, has_bias = res
        dx, dw = kern.conv_backward(x, w, g, self.num_group, self.stride, self.dilate,
                                    self.pad, need_dx=needs[0])
        db = g.sum(axis=(0,) + tuple(range(2, g.ndim))) if has_bias else None
        return (dx, dw, db) if has_bias else (dx, dw)

    def _check(self, x, w, b):
        nsp = len(self.kernel)
        _check_spatial("Convolution", x, nsp)
        c, f, g = x.shape[1], w.shape[0], self.num_group
        if c % g or f % g:
            raise MinigluonError(f"Convolution: num_group={g} must divide both the input "
                                 f"channels ({c}) and num_filter ({f})")
        want = (f, c // g) + self.kernel
        if w.shape != want:
            raise MinigluonError(f"Convolution: weight has shape {w.shape}, expected {want} "
                                 f"(num_filter, channels/num_group, *kernel) for input "
                                 f"{x.shape}")
        if b is not None and b.shape != (f,):
            raise MinigluonError(f"Convolution: bias has shape {b.shape}, expected ({f},)")
        if any(o < 1 for o in self.out_shape(x.shape[2:])):
            raise MinigluonError(
                f"Convolution: kernel {self.kernel} with dilate {self.dilate} does not fit "
                f"in the input {x.shape[2:]} padded by {self.pad}")

    @classmethod
    def samples(cls, rng):
        n = rng.normal
        return [
            (cls(kernel=(3, 3)), [n(size=(2, 2, 5, 5)), n(size=(3, 2, 3, 3)), n(size=(3,))]),
            (cls(kernel=(2, 3), stride=(2, 1), pad=(1, 2), dilate=(1, 2)),
             [n(size=(1, 2, 5, 4)), n(size=(2, 2, 2, 3)), n(size=(2,))]),
            (cls(kernel=(3, 3), pad=(1, 1), num_group=2),
             [n(size=(1, 4, 4, 4)), n(size=(2, 2, 3, 3))]),
            (cls(kernel=(3,), stride=(2,), dilate=(1,), pad=(1,)),
             [n(size=(2, 2, 7)), n(size=(3, 2, 3)), n(size=(3,))]),
        ]


# ---- pooling ----------------------------------------------------------------------------


@register_op
@frozen_op
class Pooling(Op):
    """y = max (avg, sum) of x per window.   VJP: max: g to the first maximum; avg: g / count

    ``pooling_convention='full'`` rounds the output size up; ``count_include_pad`` decides
    whether padding counts in the average's divisor ("count").
    """

    name = "Pooling"
    expose = False  # nd.Pooling is written by hand (global_pool, MXNet's defaults)
    kernel: Shape = (2, 2)
    pool_type: str = "max"
    stride: Shape = (1, 1)
    pad: Shape = (0, 0)
    global_pool: bool = False
    pooling_convention: str = "valid"
    count_include_pad: bool = True

    def geometry(self, spatial: Shape) -> tuple[Shape, Shape, Shape, Shape]:
        """(kernel, stride, pad, out) for an input of spatial size ``spatial``."""
        if self.global_pool:
            one = (1,) * len(spatial)
            return tuple(spatial), one, (0,) * len(spatial), one
        room = [n + 2 * p - k for n, p, k in zip(spatial, self.pad, self.kernel)]
        if any(r < 0 for r in room):
            raise MinigluonError(f"Pooling: kernel {self.kernel} is larger than the input "
                                 f"{tuple(spatial)} padded by {self.pad}")
        div = (lambda r, s: -(-r // s)) if self.pooling_convention == "full" else \
            (lambda r, s: r // s)
        out = tuple(div(r, s) + 1 for r, s in zip(room, self.stride))
        return self.kernel, self.stride, self.pad, out

    def _padding(self, x, kernel, stride, pad, out):
        """(before, after, filler) of the padding each spatial axis gets."""
        # 'full' windows may hang past the padding: extend the far side with filler too
        extra = tuple(max(0, (o - 1) * s + k - (n + 2 * p))
                      for o, s, k, n, p in zip(out, stride, kernel, x.shape[2:], pad))
        hi = tuple(p + e for p, e in zip(pad, extra))
        if self.pool_type == "max":
            # MXNet starts each max from the lowest finite value and skips the padding, so
            # a window of padding only gives that value; padding with it does the same
            low = np.finfo(x.dtype).min if x.dtype.kind == "f" else np.iinfo(x.dtype).min
            return tuple(pad), hi, low
        return tuple(pad), hi, 0

    def _divisor(self, spatial, kernel, stride, pad, out, dtype):
        """How many elements each window averages over: those inside the padded input
        (count_include_pad) or inside the input only; 0 for a window of filler only."""
        counts = []
        for i, (n, k, s, p, o) in enumerate(zip(spatial, kernel, stride, pad, out)):
            start = np.arange(o) * s  # in padded coordinates
            lo, hi = (0, n + 2 * p) if self.count_include_pad else (p, p + n)
            c = np.clip(np.minimum(start + k, hi) - np.maximum(start, lo), 0, None)
            counts.append(c.reshape((o,) + (1,) * (len(spatial) - 1 - i)))
        return math.prod(counts).astype(dtype)

    def forward(self, x):
        _check_spatial("Pooling", x, len(self.kernel) if not self.global_pool else x.ndim - 2)
        kernel, stride, pad, out = self.geometry(x.shape[2:])
        if self.pool_type not in ("max", "avg", "sum"):
            raise NotAvailableError(f"Pooling pool_type={self.pool_type!r} is not available "
                                    "in minigluon (use 'max', 'avg' or 'sum')")
        if self.global_pool:
            # one window over each whole channel: a plain reduction over contiguous memory
            axes = tuple(range(2, x.ndim))
            if self.pool_type == "max":
                flat = x.reshape(x.shape[:2] + (-1,))
                arg = flat.argmax(axis=-1)  # the first maximum, as MXNet
                y = np.take_along_axis(flat, arg[..., None], axis=-1)
                return y.reshape(x.shape[:2] + out), (x.shape, arg)
            y = x.sum(axis=axes, keepdims=True)
            if self.pool_type == "avg":
                y = (y / math.prod(x.shape[2:])).astype(x.dtype, copy=False)
            return y, (x.shape, None)
        lo, hi, fill = self._padding(x, kernel, stride, pad, out)
        geo = (x.shape, lo, hi, fill, kernel, stride, out)
        if self.pool_type == "max":
            y = kern.max_pool(x, kernel, stride, out, lo, hi, fill)
            # flat residuals: the tape counts the arrays among them
            return y, (geo, x, y)
        y = kern.sum_pool(x, kernel, stride, out, lo, hi)
        if self.pool_type == "avg":
            div = self._divisor(x.shape[2:], kernel, stride, pad, out, x.dtype)
            # an all-filler window has no elements: MXNet outputs 0 there
            y = np.divide(y, div, out=np.zeros_like(y), where=div > 0)
            return y, (geo, div)
        return y, (geo, None)

    def vjp(self, res, g):
        if self.global_pool:
            shape, arg = res
            if self.pool_type == "max":
                dx = np.zeros((shape[0], shape[1], math.prod(shape[2:])), dtype=g.dtype)
                np.put_along_axis(dx, arg[..., None], g.reshape(shape[:2] + (1,)), axis=-1)
                return (dx.reshape(shape),)
            share = g / math.prod(shape[2:]) if self.pool_type == "avg" else g
            return (np.broadcast_to(share, shape).astype(g.dtype),)
        (shape, lo, hi, fill, kernel, stride, _), extra = res[0], res[-1]
        if self.pool_type == "max":
            return (kern.max_pool_backward(res[1], res[2], g, kernel, stride, lo, hi, fill),)
        share = g if extra is None else \
            np.divide(g, extra, out=np.zeros_like(g), where=extra > 0)
        return (kern.sum_pool_backward(shape, share, kernel, stride, lo, hi),)

    @classmethod
    def samples(cls, rng):
        x = rng.permutation(50).reshape(1, 2, 5, 5) / 10.0  # distinct values: no ties
        x3 = rng.permutation(36).reshape(2, 2, 9) / 10.0
        return [
            (cls(kernel=(2, 2), stride=(2, 2)), [x]),
            (cls(kernel=(3, 3), stride=(2, 2), pad=(1, 1), pooling_convention="full"), [x]),
            (cls(kernel=(2, 2), stride=(2, 2), pad=(1, 1), pool_type="avg",
                 pooling_convention="full"), [x]),
            (cls(kernel=(3, 2), stride=(2, 1), pad=(1, 1), pool_type="avg",
                 count_include_pad=False), [x]),
            (cls(kernel=(3, 3), pool_type="sum"), [x]),
            (cls(pool_type="max", global_pool=True), [x]),
            (cls(pool_type="avg", global_pool=True), [x]),
            (cls(kernel=(3,), stride=(2,), pad=(1,)), [x3]),
        ]


# ---- parameter spellings shared with the nd functions (minigluon.ndarray.nn) ----------


def _tuple(name: str, v: Any, n: int, default: int) -> Shape:
    """MXNet's shape parameters: a tuple of n ints, () or None for the default, an int for
    the same value on every axis."""
    if v is None or v == ():
        return (default,) * n
    if isinstance(v, (int, np.integer)):
        return (int(v),) * n
    v = tuple(int(i) for i in v)
    if len(v) != n:
        raise MinigluonError(f"{name}={v} has {len(v)} values, but the kernel has {n} "
                             "spatial dimensions")
    return v


_LAYOUTS = {1: "NCW", 2: "NCHW", 3: "NCDHW"}


def _check_layout(fn: str, layout: str | None, nsp: int) -> None:
    if layout is not None and layout != _LAYOUTS.get(nsp):
        raise NotAvailableError(f"{fn} layout={layout!r} is not available in minigluon: "
                                f"only channel-first {_LAYOUTS.get(nsp, 'NC...')} is")
