"""Convolution, pooling and batch normalization: the operators behind the book's CNN
chapters (LeNet to DenseNet), for 1-, 2- and 3-D inputs laid out as (N, C, *spatial).

Both convolution and pooling look at the input through *windows*: for each kernel
offset, a strided NumPy view of shape (N, C, *out), taken without copying. Convolution
then is one matrix product per layer (the "im2col" method); pooling is a running max or
a sum over the offsets. Backward sends each window's gradient back to the pixels it came
from, one kernel offset at a time: a loop over the few kernel positions, never over
pixels. The numerical kernels live in :mod:`minigluon.ops._windows`.

``nd.Convolution``, ``nd.Pooling`` and ``nd.BatchNorm`` are written by hand at the end of
this file (optional bias, MXNet's parameter spellings, the moving statistics).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import attrs
import numpy as np

from .._tape import STATE
from ..base import MinigluonError, NotAvailableError
from . import Op, _windows as kern, frozen_op, register_op

Shape = tuple[int, ...]

# ---- padding ----------------------------------------------------------------------------


def _pad(x: np.ndarray, lo: Shape, hi: Shape, value: float = 0) -> np.ndarray:
    """Pad the spatial axes of (N, C, *spatial) by ``lo`` before and ``hi`` after."""
    if not any(lo) and not any(hi):
        return x
    return np.pad(x, [(0, 0), (0, 0)] + list(zip(lo, hi)), constant_values=value)


def _crop(xp: np.ndarray, lo: Shape, size: Shape) -> np.ndarray:
    """Undo :func:`_pad`: the ``size`` pixels starting at ``lo`` on each spatial axis."""
    return xp[(slice(None), slice(None)) + tuple(slice(p, p + n) for p, n in zip(lo, size))]


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
        y = kern.conv_forward(_pad(x, self.pad, self.pad), w, b, self.num_group,
                              self.stride, self.dilate, out)
        return y, (x, w, b is not None)

    def vjp(self, res, g):
        return self.vjp_some(res, g, (True, True, True))

    def vjp_some(self, res, g, needs):
        x, w, has_bias = res
        # the padded input again: keeping the forward's K-times-larger im2col buffer
        # until backward would cost more memory than the copy costs time
        dxp, dw = kern.conv_backward(_pad(x, self.pad, self.pad), w, g, self.num_group,
                                     self.stride, self.dilate, need_dx=needs[0])
        dx = None if dxp is None else _crop(dxp, self.pad, x.shape[2:])
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

    def _padded(self, x, kernel, stride, pad, out):
        # 'full' windows may hang past the padding: extend the far side with filler too
        extra = tuple(max(0, (o - 1) * s + k - (n + 2 * p))
                      for o, s, k, n, p in zip(out, stride, kernel, x.shape[2:], pad))
        hi = tuple(p + e for p, e in zip(pad, extra))
        if self.pool_type == "max":
            # MXNet starts each max from the lowest finite value and skips the padding, so
            # a window of padding only gives that value; padding with it does the same
            low = np.finfo(x.dtype).min if x.dtype.kind == "f" else np.iinfo(x.dtype).min
            return _pad(x, pad, hi, low)
        return _pad(x, pad, hi, 0)

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
        xp = self._padded(x, kernel, stride, pad, out)
        geo = (x.shape, xp.shape, kernel, stride, pad, out)
        if self.pool_type == "max":
            y = kern.max_pool(xp, kernel, stride, out)
            # flat residuals: the tape counts the arrays among them
            return y, (geo, xp, y)
        y = kern.sum_pool(xp, kernel, stride, out)
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
        (shape, padded, kernel, stride, pad, _), extra = res[0], res[-1]
        if self.pool_type == "max":
            dxp = kern.max_pool_backward(res[1], res[2], g, kernel, stride)
        else:
            share = g if extra is None else \
                np.divide(g, extra, out=np.zeros_like(g), where=extra > 0)
            dxp = kern.sum_pool_backward(shape[:2] + padded[2:], share, kernel, stride)
        return (_crop(dxp, pad, shape[2:]),)

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


# ---- batch normalization ----------------------------------------------------------------


@register_op
@frozen_op
class BatchNorm(Op):
    """y = gamma xhat + beta.   VJP: dx = gamma/std (g - mean g - xhat mean(g xhat)); dbeta = sum g

    ``xhat = (x - mean) / std`` per channel, ``std = sqrt(var + eps)``, with the batch's
    statistics (``batch_stats``) or the moving ones; dgamma = sum(g xhat). With the moving
    statistics, dx = gamma g / std.
    """

    name = "BatchNorm"
    inputs = ("data", "gamma", "beta", "moving_mean", "moving_var")
    expose = False  # nd.BatchNorm is written by hand: it reads the autograd mode
    eps: float = 1e-3
    momentum: float = 0.9
    fix_gamma: bool = True
    batch_stats: bool = True  # False: normalize with moving_mean / moving_var (inputs 4, 5)
    axis: int = 1
    #: (moving_mean, moving_var) NDArrays that backward updates, as MXNet does
    running: Any = attrs.field(default=None, eq=False, repr=False)

    def params(self) -> dict[str, Any]:
        return {k: v for k, v in super().params().items() if k != "running"}

    def forward(self, x, gamma, beta, moving_mean=None, moving_var=None):
        axis = self.axis % x.ndim
        for nm, v in (("gamma", gamma), ("beta", beta), ("moving_mean", moving_mean),
                      ("moving_var", moving_var)):
            if v is not None and v.shape != (x.shape[axis],):
                raise MinigluonError(f"BatchNorm: {nm} has shape {v.shape}, expected "
                                     f"({x.shape[axis]},) for {x.shape[axis]} channels on "
                                     f"axis {self.axis} of input {x.shape}")
        gam = np.ones_like(gamma) if self.fix_gamma else gamma
        x3 = kern.as_ncp(x, axis)
        if self.batch_stats:
            # biased variance (divides by m), also for the moving average, as MXNet
            mean, var = kern.channel_stats(x3)
        else:
            if moving_mean is None or moving_var is None:
                raise MinigluonError("BatchNorm without batch statistics needs moving_mean "
                                     "and moving_var")
            mean, var = moving_mean.astype(x.dtype), moving_var.astype(x.dtype)
        invstd = 1 / np.sqrt(var + self.eps)
        # y = gamma (x - mean) invstd + beta = x a + (beta - mean a): two passes over x,
        # and x itself (not xhat) kept for backward, which needs no new array
        a = gam * invstd
        y = kern.affine(x3, a, beta - mean * a, x.dtype).reshape(x.shape)
        return y, (x, invstd, gam, mean, var)

    def vjp(self, res, g):
        x, invstd, gam, mean, var = res
        axis = self.axis % g.ndim
        x3, g3 = kern.as_ncp(x, axis), kern.as_ncp(g, axis)
        dbeta = np.einsum("ncp->c", g3)
        # dgamma = sum g xhat = invstd (sum g x - mean sum g): no xhat array
        dgamma = invstd * (kern.channel_dot(g3, x3) - mean * dbeta)
        scale = gam * invstd
        if self.batch_stats:
            m = g3.shape[0] * g3.shape[2]
            # dx = scale (g - dbeta/m - xhat dgamma/m), expanded per channel into
            # g A + x B + C, so that the whole backward is four passes over x-sized arrays
            bx = -scale * invstd * dgamma / m
            c0 = scale * (invstd * dgamma * mean - dbeta) / m
            dx = kern.affine(g3, scale, c0, g.dtype)
            dx += np.multiply(x3, bx[:, None], dtype=g.dtype)
            dx = dx.reshape(g.shape)
            if self.running is not None and STATE.training:
                self._update_running(mean, var)
        else:
            dx = kern.affine(g3, scale, np.zeros_like(scale), g.dtype).reshape(g.shape)
        if self.fix_gamma:
            dgamma = np.zeros_like(dgamma)
        grads = [dx, dgamma, dbeta]
        return grads if self.batch_stats else grads + [None, None]

    def _update_running(self, mean, var):
        # MXNet 1.x updates the moving statistics in the backward pass, not the forward:
        # a forward without backward leaves them alone; each backward updates them once
        mu = float(np.float32(self.momentum))  # MXNet stores momentum as a float32
        for arr, batch in zip(self.running, (mean, var)):
            np.copyto(arr._data, arr._data * mu + batch * (1 - mu), casting="unsafe")
            arr._vc[0] += 1  # a version bump, as an in-place write through x[:] = v does

    @classmethod
    def samples(cls, rng):
        n = rng.normal
        c3 = [n(size=3), n(size=3)]
        stats = [n(size=3), rng.uniform(0.5, 2, size=3)]
        return [
            (cls(fix_gamma=False), [n(size=(4, 3, 2, 2))] + c3),
            (cls(fix_gamma=True, eps=1e-5), [n(size=(4, 3))] + c3),
            (cls(fix_gamma=False, axis=-1), [n(size=(2, 2, 3))] + c3),
            (cls(fix_gamma=False, batch_stats=False), [n(size=(2, 3, 2))] + c3 + stats),
        ]


# ---- nd functions -----------------------------------------------------------------------


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


def _api():
    # nd is importing this module: its NDArray helpers are looked up at call time
    from ..ndarray import ndarray as _ndarray

    return _ndarray


def convolution(data: Any, weight: Any = None, bias: Any = None, kernel: Any = None,
                stride: Any = None, dilate: Any = None, pad: Any = None,
                num_filter: int | None = None, num_group: int = 1, workspace: int = 1024,
                no_bias: bool = False, cudnn_tune: Any = None, cudnn_off: bool = False,
                layout: str | None = None, out: Any = None, name: str | None = None,
                **kw: Any) -> Any:
    """Convolution of ``data`` (N, C, *spatial) with ``weight`` (num_filter,
    C/num_group, *kernel), plus ``bias`` unless ``no_bias``.

    ``kernel`` and ``num_filter`` are checked against ``weight`` (and read from it when
    omitted). ``stride``, ``dilate`` and ``pad`` are tuples, one value per spatial axis.

    Examples
    --------
    >>> from minigluon import nd
    >>> x = nd.arange(16).reshape((1, 1, 4, 4))
    >>> nd.Convolution(x, nd.ones((1, 1, 2, 2)), kernel=(2, 2), num_filter=1, no_bias=True,
    ...                stride=(2, 2))
    <BLANKLINE>
    [[[[10. 18.]
       [42. 50.]]]]
    <NDArray 1x1x2x2 @cpu(0)>
    """
    nda = _api()
    if weight is None:
        raise MinigluonError("Convolution needs a weight array")
    kernel = tuple(weight.shape[2:]) if kernel is None else \
        _tuple("kernel", kernel, weight.ndim - 2, 1)
    nsp = len(kernel)
    if kernel != tuple(weight.shape[2:]) or (num_filter is not None and
                                              num_filter != weight.shape[0]):
        raise MinigluonError(f"Convolution: weight has shape {weight.shape}, which does not "
                             f"match kernel={kernel}, num_filter={num_filter}")
    _check_layout("Convolution", layout, nsp)
    op = Convolution(kernel=kernel, stride=_tuple("stride", stride, nsp, 1),
                     dilate=_tuple("dilate", dilate, nsp, 1), pad=_tuple("pad", pad, nsp, 0),
                     num_group=int(num_group))
    args = [data, weight] if no_bias or bias is None else [data, weight, bias]
    res = nda.invoke(op, [nda.as_ndarray(a, data) for a in args])
    return _write_out(out, res)


def pooling(data: Any, kernel: Any = None, pool_type: str = "max", global_pool: bool = False,
            cudnn_off: bool = False, pooling_convention: str = "valid", stride: Any = None,
            pad: Any = None, p_value: Any = None, count_include_pad: bool | None = None,
            layout: str | None = None, out: Any = None, name: str | None = None,
            **kw: Any) -> Any:
    """Max, average or sum pooling of ``data`` (N, C, *spatial) over windows of size
    ``kernel``; ``global_pool`` pools over all of each channel (``kernel`` is then ignored).

    ``stride`` defaults to 1 and ``pad`` to 0 (the Gluon layers default the stride to the
    pool size). ``pooling_convention='full'`` rounds the output size up instead of down.
    ``count_include_pad`` (average only, default True) counts padding in the divisor.

    Examples
    --------
    >>> from minigluon import nd
    >>> x = nd.arange(16).reshape((1, 1, 4, 4))
    >>> nd.Pooling(x, kernel=(2, 2), stride=(2, 2), pool_type='max')
    <BLANKLINE>
    [[[[ 5.  7.]
       [13. 15.]]]]
    <NDArray 1x1x2x2 @cpu(0)>
    """
    nda = _api()
    nsp = data.ndim - 2
    if not global_pool and (kernel is None or kernel == ()):
        raise MinigluonError("Pooling needs kernel= unless global_pool=True")
    if nsp not in _LAYOUTS:
        raise MinigluonError(f"Pooling: the input has shape {data.shape}; it must be 3-, 4- "
                             "or 5-D (batch, channel, 1 to 3 spatial axes)")
    kern = _tuple("kernel", kernel, nsp, 1) if not global_pool else (1,) * nsp
    if pooling_convention not in ("valid", "full"):
        raise NotAvailableError(f"Pooling pooling_convention={pooling_convention!r} is not "
                                "available in minigluon (use 'valid' or 'full')")
    if pool_type not in ("max", "avg", "sum"):
        raise NotAvailableError(f"Pooling pool_type={pool_type!r} is not available in "
                                "minigluon (use 'max', 'avg' or 'sum')")
    _check_layout("Pooling", layout, nsp)
    op = Pooling(kernel=kern, pool_type=pool_type, stride=_tuple("stride", stride, nsp, 1),
                 pad=_tuple("pad", pad, nsp, 0), global_pool=bool(global_pool),
                 pooling_convention=pooling_convention,
                 count_include_pad=True if count_include_pad is None else
                 bool(count_include_pad))
    return _write_out(out, nda.invoke(op, [data]))


_EPS = float(np.float32(1e-3))  # MXNet's default: 1e-3 rounded to float32, kept as a double


def batch_norm(data: Any, gamma: Any = None, beta: Any = None, moving_mean: Any = None,
               moving_var: Any = None, eps: float = _EPS, momentum: float = 0.9,
               fix_gamma: bool = True, use_global_stats: bool = False,
               output_mean_var: bool = False, axis: int = 1, cudnn_off: bool = False,
               out: Any = None, name: str | None = None, **kw: Any) -> Any:
    """Batch normalization over every axis but ``axis`` (the channels).

    In training mode (``autograd.is_training()``) the batch's mean and (biased) variance
    are used, and the backward pass updates ``moving_mean`` and ``moving_var`` in place:
    ``moving = moving * momentum + batch * (1 - momentum)``. Otherwise, or with
    ``use_global_stats``, the moving statistics are used. ``fix_gamma`` takes gamma as 1
    (and its gradient as 0). The default ``eps`` is 1e-3, MXNet's (Gluon passes 1e-5).

    Examples
    --------
    >>> from minigluon import nd, autograd
    >>> x = nd.array([[1.0], [3.0]])
    >>> mean, var = nd.zeros(1), nd.ones(1)
    >>> with autograd.train_mode():
    ...     nd.BatchNorm(x, nd.ones(1), nd.zeros(1), mean, var, eps=0)
    <BLANKLINE>
    [[-1.]
     [ 1.]]
    <NDArray 2x1 @cpu(0)>
    """
    nda = _api()
    if output_mean_var:
        raise NotAvailableError("BatchNorm output_mean_var=True is not available in "
                                "minigluon")
    missing = [n for n, v in (("gamma", gamma), ("beta", beta), ("moving_mean", moving_mean),
                              ("moving_var", moving_var)) if v is None]
    if missing:
        raise MinigluonError(f"BatchNorm needs {', '.join(missing)}")
    if not -data.ndim <= axis < data.ndim:
        raise MinigluonError(f"BatchNorm: axis {axis} is out of range for input of shape "
                             f"{data.shape}")
    batch_stats = STATE.training and not use_global_stats
    op = BatchNorm(eps=float(eps), momentum=float(momentum), fix_gamma=bool(fix_gamma),
                   batch_stats=batch_stats, axis=int(axis),
                   running=(moving_mean, moving_var) if batch_stats else None)
    args = [data, gamma, beta] + ([] if batch_stats else [moving_mean, moving_var])
    return _write_out(out, nda.invoke(op, args))


def _write_out(out: Any, res: Any) -> Any:
    if out is None:
        return res
    from ..ndarray import _write_out as write

    return write(out, res)


def _attach(functions: Sequence[tuple[str, Callable[..., Any]]]) -> None:
    import sys

    nd = sys.modules["minigluon.ndarray"]  # still being imported: it imports the ops
    for name, fn in functions:
        fn.__name__ = fn.__qualname__ = name
        setattr(nd, name, fn)


_attach([("Convolution", convolution), ("Pooling", pooling), ("BatchNorm", batch_norm)])
