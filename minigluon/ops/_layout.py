"""Memory for the convolution kernels: per-thread scratch buffers, and moving the batch
axis between first (NCHW, the layout of every array a user sees) and last ((C,
*spatial, N), the layout in which the kernels' strided copies run along all N samples at
once: see :func:`minigluon.ops._windows._batch_last_pays`)."""

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


#: rows of the (channels x pixels, N) matrix moved per copy by :func:`batch_first`
_BLOCK_ROWS = 256


def batch_last(x: np.ndarray, lo: Shape, grid: Shape, role: str | None = None
               ) -> np.ndarray:
    """A (C, *grid, N) array of zeros holding ``x`` (N, C, *spatial) at offset ``lo`` of
    each spatial axis (the padding before it; ``grid`` holds the rest): a new array, or
    the thread's scratch buffer ``role``."""
    n, c = x.shape[:2]
    shape = (c,) + tuple(grid) + (n,)
    if role is None:
        xt = np.zeros(shape, dtype=x.dtype)
    else:
        xt = scratch(role, shape, x.dtype)
        xt.fill(0)
    xt[(slice(None),) + tuple(slice(a, a + m) for a, m in zip(lo, x.shape[2:]))] = \
        x.transpose(tuple(range(1, x.ndim)) + (0,))
    return xt


def batch_first(src: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
    """A new (N, F, *spatial) array from a (F, *spatial, N) one, plus the bias ``b`` per
    filter.

    Copied a few hundred (filter, pixel) rows at a time: one transposing copy of the
    whole array measured about twice slower (0.73 against 0.39 ms for 64 x 24 x 24 x 32
    floats), as its reads and writes stride across more than the cache holds."""
    f, n = src.shape[0], src.shape[-1]
    spatial = src.shape[1:-1]
    res = np.empty((n, f) + spatial, dtype=src.dtype)
    if src.flags.c_contiguous:
        s2, d2 = src.reshape(-1, n), res.reshape(n, -1)
        for i in range(0, s2.shape[0], _BLOCK_ROWS):
            np.copyto(d2[:, i:i + _BLOCK_ROWS], s2[i:i + _BLOCK_ROWS].T)
    else:  # a crop: blocks of whole filters
        step = max(1, _BLOCK_ROWS // max(1, math.prod(spatial)))
        order = (src.ndim - 1,) + tuple(range(src.ndim - 1))
        for i in range(0, f, step):
            np.copyto(res[:, i:i + step], src[i:i + step].transpose(order))
    if b is not None:
        res += b.reshape((-1,) + (1,) * len(spatial)).astype(res.dtype, copy=False)
    return res
