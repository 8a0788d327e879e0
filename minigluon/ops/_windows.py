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
- max pooling keeps a running maximum; its backward sends ``g`` where the input equals
  the maximum (the first such offset only), without searching windows again;
- average and sum pooling add the K slices; backward adds the share of ``g`` to each;
- batch normalization takes the sums of x and of x*x in one pass over x.

The choices were measured on one BLAS thread against the alternatives (see the comments
at each); the benchmark suite's W5-W7 rows time them inside the book's networks.
"""

from __future__ import annotations

import math
import threading
from typing import Any

import numpy as np

Shape = tuple[int, ...]


class _Scratch(threading.local):
    """Per-thread scratch buffers, one per role, reused by every call of a kernel.

    A new array of tens of megabytes (ResNet-18's im2col buffers reach 40 MB) comes from
    ``mmap`` and pays a page fault per 4 KiB page at its first write, as the kernel
    zeroes the page: that measured half of a lone im2col's time (19 against 10 ms for
    ResNet-18's widest layer); inside a whole ResNet-18 training step the gain measured
    1-3%, at the noise level of a quiet shared machine (page faults of all the other new
    arrays, which leave the kernels, cost 7-18% of the step when glibc is told to keep
    freed memory). A buffer that never leaves the kernel (the im2col columns, the
    matrix product before its copy into NCHW, the transposed output gradient) is
    therefore taken from here: it grows to the largest size asked and stays, so the
    process's peak memory is what it was (the largest buffer existed anyway).
    """

    def __init__(self) -> None:
        self.bufs: dict[str, np.ndarray] = {}


_SCRATCH = _Scratch()


def scratch(role: str, shape: Shape, dtype: Any) -> np.ndarray:
    """An uninitialized C-contiguous array of ``shape``, the thread's buffer for ``role``:
    valid until the next call with the same role, so it must never escape the kernel."""
    dtype = np.dtype(dtype)
    n = math.prod(shape) * dtype.itemsize
    buf = _SCRATCH.bufs.get(role)
    if buf is None or buf.nbytes < n:
        buf = _SCRATCH.bufs[role] = np.empty(0, np.uint8)  # free the old one first
        buf = _SCRATCH.bufs[role] = np.empty(n, np.uint8)
    return buf[:n].view(dtype).reshape(shape)


def release_scratch() -> None:
    """Free this thread's scratch buffers (they are otherwise kept for the next step)."""
    _SCRATCH.bufs.clear()


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


def im2col(xp: np.ndarray, kernel: Shape, stride: Shape, dilate: Shape, out: Shape,
           role: str | None = None) -> np.ndarray:
    """The one im2col buffer of the padded input ``xp``, laid out (C, *kernel, N, *out):
    row (c, k) holds what offset k of channel c reads at every output pixel of every
    sample. Filled by K strided copies (each (C, N, *out) at once, its innermost run
    contiguous when the stride is 1); copying a 6-D ``sliding_window_view`` in one
    reshape measured up to twice slower on the early, wide layers. With ``role``, the
    buffer is the thread's scratch buffer of that name (see :class:`_Scratch`)."""
    n, c = xp.shape[:2]
    shape = (c,) + tuple(kernel) + (n,) + tuple(out)
    cols = np.empty(shape, dtype=xp.dtype) if role is None else \
        scratch(role, shape, xp.dtype)
    xt = xp.transpose((1, 0) + tuple(range(2, xp.ndim)))  # (C, N, *spatial), a view
    for k in offsets(kernel):
        cols[(slice(None),) + k] = tap(xt, k, stride, dilate, out)
    return cols


def conv_forward(xp: np.ndarray, w: np.ndarray, b: np.ndarray | None, groups: int,
                 stride: Shape, dilate: Shape, out: Shape) -> np.ndarray:
    """y[n, f, o] = sum over c, k of w[f, c, k] xp[n, c, o * stride + k * dilate] + b[f],
    for the padded input ``xp``; with ``groups``, filter block g sees channel block g.

    ONE matrix product per layer (per group): w (F, CK) times the im2col buffer (CK, N*P),
    then one copy from (F, N, P) to NCHW that also adds the bias. Measured against N
    per-sample products (N, CK, P) whose result is NCHW already: equal on LeNet's
    layers, and up to 25% faster on ResNet's late layers, where P is small and the
    per-sample products are too thin for BLAS. A 1x1 kernel skips im2col altogether
    (30% faster on GoogLeNet's and NiN's 1x1 layers).
    """
    n, f = xp.shape[0], w.shape[0]
    if groups == 1 and all(k == 1 for k in w.shape[2:]):
        # a 1x1 kernel needs no im2col: w (F, C) times each sample's (C, P) lands in NCHW
        # directly (the samples' products are wide enough for BLAS here)
        xs = tap(xp, (0,) * (xp.ndim - 2), stride, dilate, out).reshape(n, xp.shape[1], -1)
        y = w.reshape(f, -1) @ xs
        if b is not None:
            y += b.reshape(f, 1).astype(y.dtype, copy=False)
        return y.reshape((n, f) + tuple(out))
    # the columns and the product live in scratch buffers (no page faults, see _Scratch)
    cols = im2col(xp, tuple(w.shape[2:]), stride, dilate, out, role="cols")
    cols2 = cols.reshape(groups, -1, n * math.prod(out))  # (G, C/G * K, N*P)
    w3 = w.reshape(groups, f // groups, -1)
    y = np.matmul(w3, cols2, out=scratch("gemm", (groups, f // groups, cols2.shape[2]),
                                          np.result_type(w3, cols2)))  # (G, F/G, N*P)
    yt = y.reshape(f, n, -1).transpose(1, 0, 2)  # (N, F, P), a view
    res = np.empty(yt.shape, dtype=y.dtype)
    if b is None:
        np.copyto(res, yt)
    else:
        np.add(yt, b.reshape(f, 1).astype(y.dtype, copy=False), out=res)
    return res.reshape((n, f) + tuple(out))


def conv_backward(xp: np.ndarray, w: np.ndarray, g: np.ndarray, groups: int, stride: Shape,
                  dilate: Shape, need_dx: bool) -> tuple[np.ndarray | None, np.ndarray]:
    """(gradient of the padded input or None, gradient of the weight) of
    :func:`conv_forward` for the output gradient ``g`` (N, F, *out).

    The im2col buffer is rebuilt (keeping the forward's would hold K times the input
    until backward, as MXNet does not either). The weight's gradient is ONE product
    ``g (F, N*P) x cols^T`` that sums over the batch inside BLAS (per-sample products
    would each need an (F, CK) temporary and an addition); the columns' gradient
    ``w^T g`` is one product written into the same buffer, dead by then. col2im then
    adds each offset's rows onto a strided slice of the result: K vectorized additions,
    no scatter.
    """
    n, c = xp.shape[:2]
    f, kernel = w.shape[0], tuple(w.shape[2:])
    out = tuple(g.shape[2:])
    fg = f // groups
    cols = im2col(xp.astype(np.result_type(xp, g), copy=False), kernel, stride, dilate, out,
                  role="cols")
    cols2 = cols.reshape(groups, -1, n * math.prod(out))  # (G, C/G * K, N*P)
    # g as (G, F/G, N*P): one transposing copy of the (small) output gradient
    gt = scratch("gemm", (groups, fg, cols2.shape[2]), g.dtype)
    np.copyto(gt.reshape(f, n, -1), g.reshape(n, f, -1).transpose(1, 0, 2))
    dw = (gt @ cols2.transpose(0, 2, 1)).reshape(w.shape).astype(w.dtype, copy=False)
    if not need_dx:
        return None, dw
    dcols = np.matmul(w.reshape(groups, fg, -1).transpose(0, 2, 1), gt, out=cols2)
    dcols = dcols.reshape(cols.shape)  # (C, *kernel, N, *out)
    dxp = np.zeros(xp.shape, dtype=dcols.dtype)
    dxt = dxp.transpose((1, 0) + tuple(range(2, xp.ndim)))
    for k in offsets(kernel):
        tap(dxt, k, stride, dilate, out)[...] += dcols[(slice(None),) + k]
    return dxp, dw


# ---- pooling ----------------------------------------------------------------------------


def max_pool(xp: np.ndarray, kernel: Shape, stride: Shape, out: Shape) -> np.ndarray:
    """The maximum of each window: a running ``np.maximum`` over the K strided slices.

    Reducing a ``sliding_window_view`` over its small strided window axes, or copying
    the windows and taking ``argmax``, measured six times slower on LeNet's pooling;
    also tracking the argmax here (for backward) measured four times slower than the
    maximum alone, more than the equality test that backward does instead.
    """
    ks = offsets(kernel)
    one = (1,) * len(kernel)
    y = tap(xp, ks[0], stride, one, out).copy()
    for k in ks[1:]:
        np.maximum(y, tap(xp, k, stride, one, out), out=y)
    return y


def max_pool_backward(xp: np.ndarray, y: np.ndarray, g: np.ndarray, kernel: Shape,
                      stride: Shape) -> np.ndarray:
    """The gradient of the padded input ``xp``: each window's ``g`` goes to the first
    element (row-major, as MXNet) that equals the window's maximum ``y``.

    The equality mask is recomputed here, with a "taken" mask so that a tie sends ``g``
    once; this measured faster than keeping an argmax from the forward (see
    :func:`max_pool`), and keeps nothing new alive: ``xp`` is usually the previous
    layer's output, held anyway.
    """
    out = tuple(g.shape[2:])
    one = (1,) * len(kernel)
    dxp = np.zeros(xp.shape, dtype=g.dtype)
    overlap = any(k > s for k, s in zip(kernel, stride))
    tmp = np.empty_like(g) if overlap else None
    hit = np.empty(g.shape, dtype=bool)
    taken = np.zeros(g.shape, dtype=bool)
    for k in offsets(kernel):
        np.equal(tap(xp, k, stride, one, out), y, out=hit)
        np.greater(hit, taken, out=hit)  # equal, and no earlier offset took this window
        taken |= hit
        dst = tap(dxp, k, stride, one, out)
        if overlap:  # windows share pixels: add
            np.multiply(g, hit, out=tmp)
            dst += tmp
        else:  # each pixel belongs to at most one window: write straight in
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
