"""The numerical kernels behind convolution, pooling and batch normalization, for inputs
laid out as (N, C, *spatial), written for NumPy's strengths.

A kernel *offset* ``k`` (one position inside the kernel, ``K = prod(kernel)`` of them) sees
the input through one strided slice of shape (N, C, *out): :func:`tap`. Everything here is
a short loop over those K offsets (never over pixels or samples), each step one NumPy
call on a whole (N, C, *out) block:

- convolution's forward copies the K slices into one im2col buffer and does one matrix
  product per layer; its backward does one product for the weight's gradient, one for
  the columns' gradient (written into the same buffer), and adds each offset's columns
  back onto its strided slice of the input's gradient (col2im);
- max pooling keeps a running maximum and the offset it came from (the argmax, one byte
  per output), so its backward adds ``g`` where ``arg == k`` without searching again;
- average and sum pooling add the K slices; backward adds the share of ``g`` to each;
- batch normalization takes the sums of x and of x*x in one pass over x.

The choices were measured on one BLAS thread against the alternatives (see the comments
at each); the benchmark suite's W5-W7 rows time them inside the book's networks.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

Shape = tuple[int, ...]


def tap(xp: np.ndarray, k: Shape, stride: Shape, dilate: Shape, out: Shape) -> np.ndarray:
    """The (N, C, *out) strided view of ``xp`` that kernel offset ``k`` reads: element
    ``[n, c, o]`` is ``xp[n, c, o * stride + k * dilate]``."""
    return xp[(slice(None), slice(None)) + tuple(
        slice(ki * d, ki * d + (o - 1) * s + 1, s)
        for ki, d, s, o in zip(k, dilate, stride, out))]


def offsets(kernel: Shape) -> list[tuple[int, ...]]:
    """Every kernel offset, in row-major order (the order of MXNet's window scans)."""
    return list(np.ndindex(*kernel))


# ---- convolution ------------------------------------------------------------------------


def conv_forward(xp: np.ndarray, w: np.ndarray, groups: int, stride: Shape, dilate: Shape,
                 out: Shape) -> np.ndarray:
    """y[n, f, o] = sum over c, k of w[f, c, k] xp[n, c, o * stride + k * dilate], for
    the padded input ``xp``; with ``groups``, filter block g sees channel block g.

    The im2col buffer is laid out (N, G, C/G * K, P) so that ``w`` (G, F/G, C/G * K) times
    it is a batch of N*G products whose results are already (N, F, P), i.e. NCHW: no
    transpose of the output. Measured against one big (F, CK) x (CK, N*P) product
    followed by the (F, N, P) -> (N, F, P) transpose, and against (N*P, CK) x (CK, F):
    this was as fast or faster on every layer of LeNet and ResNet-18 tried, because the
    output copy costs as much as the smaller products lose.
    """
    n, c = xp.shape[:2]
    f, kernel = w.shape[0], w.shape[2:]
    p = math.prod(out)
    cols = np.empty((n, c) + tuple(kernel) + tuple(out), dtype=np.result_type(xp, w))
    for k in offsets(kernel):  # K copies of a strided slice: the one im2col buffer
        cols[(slice(None), slice(None)) + k] = tap(xp, k, stride, dilate, out)
    cols = cols.reshape(n, groups, -1, p)
    y = w.reshape(groups, f // groups, -1) @ cols  # (N, G, F/G, P)
    return y.reshape((n, f) + tuple(out))


def conv_backward(xp: np.ndarray, w: np.ndarray, g: np.ndarray, groups: int, stride: Shape,
                  dilate: Shape, need_dx: bool) -> tuple[np.ndarray | None, np.ndarray]:
    """(gradient of the padded input or None, gradient of the weight) of
    :func:`conv_forward` for the output gradient ``g`` (N, F, *out).

    Here the im2col buffer is rebuilt (keeping the forward's would hold K times the
    input until backward) in the layout (G, C/G * K, N*P), so that the weight's gradient
    is ONE product ``g (F, N*P) x cols^T`` summing over the batch inside BLAS (per-sample
    products would each need an (F, CK) temporary and an addition), and the columns'
    gradient ``w^T g`` is one product written into the same buffer, which is dead by
    then. col2im then adds each offset's rows onto a strided slice of the result: K
    vectorized additions, no scatter.
    """
    n, c = xp.shape[:2]
    f, kernel = w.shape[0], tuple(w.shape[2:])
    out = tuple(g.shape[2:])
    fg = f // groups
    cols = np.empty((c,) + kernel + (n,) + out, dtype=np.result_type(xp, w, g))
    xt = xp.transpose((1, 0) + tuple(range(2, xp.ndim)))  # (C, N, *spatial), a view
    lead = (slice(None),)
    for k in offsets(kernel):
        cols[lead + k] = tap(xt, k, stride, dilate, out)
    cols2 = cols.reshape(groups, -1, n * math.prod(out))  # (G, C/G * K, N*P)
    # g as (G, F/G, N*P): one transposing copy of the (small) output gradient
    gt = g.reshape(n, f, -1).transpose(1, 0, 2).reshape(groups, fg, -1)
    dw = (gt @ cols2.transpose(0, 2, 1)).reshape(w.shape)
    if not need_dx:
        return None, dw
    dcols = np.matmul(w.reshape(groups, fg, -1).transpose(0, 2, 1), gt, out=cols2)
    dcols = dcols.reshape(cols.shape)  # (C, *kernel, N, *out)
    dxp = np.zeros(xp.shape, dtype=dcols.dtype)
    dxt = dxp.transpose((1, 0) + tuple(range(2, xp.ndim)))
    for k in offsets(kernel):
        tap(dxt, k, stride, dilate, out)[...] += dcols[lead + k]
    return dxp, dw


# ---- pooling ----------------------------------------------------------------------------


def max_pool(xp: np.ndarray, kernel: Shape, stride: Shape, out: Shape
             ) -> tuple[np.ndarray, np.ndarray]:
    """(maximum of each window, the offset of its first maximum in row-major order).

    A running maximum over the K strided slices: K cheap elementwise passes. Reducing a
    ``sliding_window_view`` over its window axes instead runs NumPy's reduction over tiny
    strided axes and measured several times slower; the argmax (int8 for up to 127
    offsets) is what backward needs, so it is kept rather than searched for again.
    Strictly greater replaces, so ties keep the first maximum, as MXNet.
    """
    ks = offsets(kernel)
    one = (1,) * len(kernel)
    y = tap(xp, ks[0], stride, one, out).copy()
    arg = np.zeros(y.shape, dtype=np.min_scalar_type(len(ks) - 1))
    better = np.empty(y.shape, dtype=bool)
    for i, k in enumerate(ks[1:], 1):
        v = tap(xp, k, stride, one, out)
        np.greater(v, y, out=better)
        np.copyto(y, v, where=better)
        np.copyto(arg, i, where=better)
    return y, arg


def max_pool_backward(padded: Shape, g: np.ndarray, arg: np.ndarray, kernel: Shape,
                      stride: Shape) -> np.ndarray:
    """The gradient of the padded input: each window's ``g`` goes to its argmax.

    An equality mask against the saved output (x == y) instead of the argmax measured
    slower in backward (it needs the input kept, a comparison per offset, and a
    running "already taken" mask so that ties still send g to the first maximum only).
    """
    out = tuple(g.shape[2:])
    one = (1,) * len(kernel)
    dxp = np.zeros(padded, dtype=g.dtype)
    tmp = np.empty_like(g)
    hit = np.empty(g.shape, dtype=bool)
    overlap = any(k > s for k, s in zip(kernel, stride))
    for i, k in enumerate(offsets(kernel)):
        np.equal(arg, i, out=hit)
        dst = tap(dxp, k, stride, one, out)
        if overlap:  # windows share pixels: add
            np.multiply(g, hit, out=tmp)
            dst += tmp
        else:  # each pixel belongs to one window: write straight in
            np.multiply(g, hit, out=dst)
    return dxp


def sum_pool(xp: np.ndarray, kernel: Shape, stride: Shape, out: Shape) -> np.ndarray:
    """The sum of each window: the K strided slices added up (faster than a reduction
    over a window view's small strided axes)."""
    ks = offsets(kernel)
    one = (1,) * len(kernel)
    y = tap(xp, ks[0], stride, one, out).copy()
    for k in ks[1:]:
        y += tap(xp, k, stride, one, out)
    return y


def sum_pool_backward(padded: Shape, share: np.ndarray, kernel: Shape, stride: Shape
                      ) -> np.ndarray:
    """The adjoint of :func:`sum_pool`: ``share`` added onto every offset's slice."""
    out = tuple(share.shape[2:])
    one = (1,) * len(kernel)
    dxp = np.zeros(padded, dtype=share.dtype)
    for k in offsets(kernel):
        tap(dxp, k, stride, one, out)[...] += share
    return dxp


# ---- batch normalization ----------------------------------------------------------------


def as_ncp(x: np.ndarray, axis: int) -> np.ndarray:
    """``x`` viewed as (before, channels, after) around ``axis`` (a copy only if ``x`` is
    not contiguous)."""
    return x.reshape(math.prod(x.shape[:axis]), x.shape[axis], -1)


def channel_stats(x3: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and biased variance of (before, C, after), in one pass.

    Sum and sum of squares by einsum (no temporary the size of x): about five times
    faster than ``mean`` then ``var`` (which makes x - mean, squares it, sums it). The one
    pass loses digits when the mean is large against the spread (var = E[x^2] - mean^2);
    where that happens the variance is recomputed in two passes.
    """
    m = x3.shape[0] * x3.shape[2]
    mean = np.einsum("ncp->c", x3) / m
    var = np.einsum("ncp,ncp->c", x3, x3) / m - mean * mean
    if np.any(mean * mean > 64 * var):  # more than about 2 of float32's 7 digits lost
        var = x3.var(axis=(0, 2))
    return mean, np.maximum(var, 0, out=var)


def channel_dot(a3: np.ndarray, b3: np.ndarray) -> np.ndarray:
    """Per-channel sum of a * b for two (before, C, after) arrays, without their product."""
    return np.einsum("ncp,ncp->c", a3, b3)


def affine(x3: np.ndarray, scale: np.ndarray, shift: np.ndarray, dtype: Any) -> np.ndarray:
    """x * scale + shift per channel, as a new array of ``dtype``: two passes."""
    y = np.multiply(x3, scale[:, None], dtype=dtype)
    y += shift[:, None].astype(dtype, copy=False)
    return y
