"""The numerical kernels behind convolution, pooling and batch normalization, for inputs
laid out as (N, C, *spatial), written for NumPy's strengths.

A kernel *offset* ``k`` (one position inside the kernel, ``K = prod(kernel)`` of them) sees
the input through one strided slice of shape (N, C, *out): :func:`tap`. Everything here is
a short loop over those K offsets (never over pixels or samples), each step one NumPy
call on a whole block:

- convolution's forward copies the K slices into one im2col buffer and does one matrix
  product per layer; its backward does one product for the weight's gradient, and the
  input's gradient as col2im (the columns' gradient added back onto each offset's
  strided slice) or, at stride 1, as a convolution with the flipped kernel. A stride-1
  layer with fewer filters than channels instead runs on the padded input's grid with
  no im2col (:class:`_ConvGrid`), where a cost model says that pays, and a wide
  stride-1 3x3 layer by Winograd's F(2x2, 3x3) (:mod:`minigluon.ops._winograd`).
  Small images put the batch axis last in im2col (:func:`_batch_last_pays`), large
  ones go a few samples at a time (:func:`_samples_per_chunk`), and each sample's
  product lands in NCHW where it is wide enough (:func:`_product_to_nchw`);
- max pooling keeps a running maximum; its backward sends ``g`` where the input equals
  the maximum (the first such offset only), without searching windows again; average
  and sum pooling add the K slices. Overlapping windows run on a flat array of the
  input's stride phases (:class:`_Grid`), and every pooling kernel and BatchNorm's
  elementwise passes work a few planes at a time, in the cache (:data:`POOL_BLOCK_BYTES`);
- batch normalization takes the sums of x and of x*x in one pass over x.

The choices were measured on one BLAS thread against the alternatives (see the comments
at each); the benchmark suite's W5-W7 rows time them inside the book's networks.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import _layout, _winograd
from ._layout import scratch

Shape = tuple[int, ...]


def tap(xp: np.ndarray, k: Shape, stride: Shape, dilate: Shape, out: Shape, lead: int = 2
        ) -> np.ndarray:
    """The (N, C, *out) strided view of ``xp`` that kernel offset ``k`` reads: element
    ``[n, c, o]`` is ``xp[n, c, o * stride + k * dilate]``. The spatial axes start at
    axis ``lead`` (1 for a (C, *spatial, N) array: then the view is (C, *out, N))."""
    return xp[(slice(None),) * lead + tuple(
        slice(ki * d, ki * d + (o - 1) * s + 1, s)
        for ki, d, s, o in zip(k, dilate, stride, out))]


def offsets(kernel: Shape) -> list[tuple[int, ...]]:
    """Every kernel offset, in row-major order (the order of MXNet's window scans)."""
    return list(np.ndindex(*kernel))


# ---- convolution ------------------------------------------------------------------------


def _span(n: int, o: int, s: int, k: int, d: int, p: int) -> tuple[int, int]:
    """The output positions [lo, hi) whose input index ``o * s + k * d - p`` falls inside
    the unpadded input of size ``n`` (the rest read padding)."""
    off = k * d - p
    lo = min(o, max(0, -(off // s)))  # ceil(-off / s), clipped to [0, o]
    hi = min(o, (n - 1 - off) // s + 1) if n - 1 - off >= 0 else 0
    return lo, max(lo, hi)


def _batch_last_pays(out: Shape, kernel: Shape, padded: Shape) -> bool:
    """Whether im2col should put the batch axis last, for a layer of output size ``out``
    and padded input size ``padded``: where the output rows are shorter than 16 floats,
    the copies of the default layout run along rows that short, and moving the batch
    inside each run (one transposing copy of the padded input first) measured 1.3-7
    times faster for the im2col of ResNet-18's 12x12 to 3x3 layers and LeNet's second
    layer, and equal at 24x24. Where the columns are not several times the input (1x1
    kernels, strides of 2) the transposing copy costs more than it saves."""
    return out[-1] < 16 and math.prod(kernel) * math.prod(out) >= 3 * math.prod(padded)


#: the layout choice of im2col's callers (a module attribute so tests can force either way)
BATCH_LAST = _batch_last_pays


def _padded_size(spatial: Shape, pad: Shape) -> Shape:
    return tuple(m + 2 * p for m, p in zip(spatial, pad))


def im2col(x: np.ndarray, kernel: Shape, stride: Shape, dilate: Shape, out: Shape,
           pad: Shape | None = None, role: str | None = None, last: bool = False
           ) -> np.ndarray:
    """The one im2col buffer of the input ``x`` padded with zeros by ``pad``, laid out
    (C, *kernel, N, *out): row (c, k) holds what offset k of channel c reads at every
    output pixel of every sample. Filled by K strided copies (each (C, N, *out) at once,
    its innermost run contiguous when the stride is 1); copying a 6-D
    ``sliding_window_view`` in one reshape measured up to twice slower on the early, wide
    layers. The padding is never built: each offset copies the box of outputs that reads
    the input and zeroes the strips that read padding (``np.pad`` first measured 5-30%
    slower on ResNet-18's layers, and its padded copy is one more array). With ``role``,
    the buffer is the thread's scratch buffer of that name (see
    :class:`minigluon.ops._layout._Scratch`).

    With ``last`` (see :func:`_batch_last_pays`), the layout is (C, *kernel, *out, N): the
    input is first copied, padded, as (C, *padded, N), so that every offset's copy runs
    along N samples at once."""
    n, c = x.shape[:2]
    shape = (c,) + tuple(kernel) + ((tuple(out) + (n,)) if last else ((n,) + tuple(out)))
    cols = np.empty(shape, dtype=x.dtype) if role is None else \
        scratch(role, shape, x.dtype)
    if last:
        pad = pad or (0,) * len(out)
        xt = _layout.batch_last(x, pad, _padded_size(x.shape[2:], pad))
        for k in offsets(kernel):
            cols[(slice(None),) + k] = tap(xt, k, stride, dilate, out, lead=1)
        return cols
    xt = x.transpose((1, 0) + tuple(range(2, x.ndim)))  # (C, N, *spatial), a view
    if pad is None or not any(pad):
        for k in offsets(kernel):
            cols[(slice(None),) + k] = tap(xt, k, stride, dilate, out)
        return cols
    both = (slice(None), slice(None))
    for k in offsets(kernel):
        dst = cols[(slice(None),) + k]  # (C, N, *out)
        spans = [_span(*a) for a in zip(x.shape[2:], out, stride, k, dilate, pad)]
        inner = tuple(slice(lo, hi) for lo, hi in spans)
        if any(lo == hi for lo, hi in spans):  # this offset reads padding only
            dst[...] = 0
            continue
        dst[both + inner] = xt[both + tuple(
            slice(lo * s + ki * d - p, (hi - 1) * s + ki * d - p + 1, s)
            for (lo, hi), s, ki, d, p in zip(spans, stride, k, dilate, pad))]
        # the strips reading padding: outside [lo, hi) on one axis, inside on the axes
        # before it (so that no element is zeroed twice)
        for ax, (lo, hi) in enumerate(spans):
            if lo > 0:
                dst[both + inner[:ax] + (slice(0, lo),)] = 0
            if hi < out[ax]:
                dst[both + inner[:ax] + (slice(hi, None),)] = 0
    return cols


def _channels_first_copy(src: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
    """A new (N, F, *spatial) array from a (F, N, *spatial) view, plus the bias ``b`` per
    filter (added in the same pass)."""
    res = np.empty((src.shape[1], src.shape[0]) + src.shape[2:], dtype=src.dtype)
    view = src.transpose((1, 0) + tuple(range(2, src.ndim)))
    if b is None:
        np.copyto(res, view)
    else:
        np.add(view, b.reshape((-1,) + (1,) * (src.ndim - 2)).astype(res.dtype, copy=False),
               out=res)
    return res


def _to_nchw(y: np.ndarray, n: int, spatial: Shape, b: np.ndarray | None = None,
             last: bool = False) -> np.ndarray:
    """A new (N, F, *spatial) array from a matrix product's (G, F/G, N*P) result (its
    columns in (P, N) order with ``last``), plus the bias ``b`` per filter."""
    f = y.shape[0] * y.shape[1]
    if last:
        return _layout.batch_first(y.reshape((f,) + tuple(spatial) + (n,)), b)
    return _channels_first_copy(y.reshape(f, n, -1), b).reshape((n, f) + tuple(spatial))


#: single-thread SGEMM speed (flop/s) of NumPy's OpenBLAS by the smaller of the
#: product's two short sides (rows of A, its columns), measured with 16384 columns: thin
#: products run far below the peak
_GEMM_RATE = ((16, 60e9), (32, 90e9), (64, 140e9), (128, 170e9), (256, 200e9))


def _gemm_seconds(m: int, k: int, n: int) -> float:
    """Estimated time of an (m, k) x (k, n) float32 product on one thread."""
    side = min(m, k)
    rate = _GEMM_RATE[0][1]
    for edge, r in _GEMM_RATE:
        if side >= edge:
            rate = r
    return 2 * m * k * n / rate


class _ConvGrid:
    """A stride-1 convolution on the padded input's grid, without im2col ("kn2row").

    The padded input is laid out (C, N * prod(padded)) = ``xg``, and kernel offset k
    reads it shifted by ``start[k]`` flat positions (``k * dilate`` in each axis of the
    padded grid). So ONE product of all the offsets' filters stacked, ``(K*F, C) xg``,
    gives each offset's contribution at every grid position, and the output is the sum
    of its K blocks, each shifted by its offset. Backward is two products with the K
    shifted copies of the output gradient (``(K*F, grid)``): ``dW = G xg^T`` and
    ``dx = W^T G``. Grid positions past the output (the last ``(k - 1) * dilate`` rows
    and columns of each sample) are computed and dropped.

    This moves ``K*F`` rows of the grid's length instead of im2col's ``K*C`` rows of the
    output's length (N * P), but multiplies over the grid, not the output, so it pays
    where the filters are fewer than the channels and the padding adds little: DenseNet's
    3x3 layers (growth 32 on 64-256 channels) run 2-2.5 times faster; see :func:`pays`.
    """

    def __init__(self, x_shape: Shape, w_shape: Shape, dilate: Shape, pad: Shape) -> None:
        self.n, self.c = x_shape[:2]
        self.f, self.kernel = w_shape[0], tuple(w_shape[2:])
        self.spatial, self.pad = tuple(x_shape[2:]), pad
        self.padded = _padded_size(self.spatial, pad)
        self.out = tuple(m - (k - 1) * d for m, k, d in zip(self.padded, self.kernel, dilate))
        self.size = self.n * math.prod(self.padded)
        row = [math.prod(self.padded[i + 1:]) for i in range(len(self.padded))]
        self.starts = [sum(ki * d * r for ki, d, r in zip(k, dilate, row))
                       for k in offsets(self.kernel)]
        self.m = self.size - self.starts[-1]  # the positions every offset can shift by

    #: measured on one BLAS thread: seconds per element of im2col's columns and of the
    #: grid's shifted blocks (each written, read and added once or twice)
    PER_COLUMN, PER_BLOCK = 0.7e-9, 0.42e-9

    def pays(self) -> bool:
        """Whether the grid beats im2col by a cost model fitted on the book's layers
        (within 10% of the measured time on DenseNet's, ResNet's and GoogLeNet's).

        Not where the grid is over 1.6 times the output (3x3 kernels on 6x6 outputs and
        smaller): there im2col runs with the batch last (:func:`_batch_last_pays`), which
        measured 1.3-1.9 times faster than the grid on every such DenseNet layer."""
        k, f, c = len(self.starts), self.f, self.c
        out = self.n * math.prod(self.out)
        if self.size > 1.6 * out:
            return False
        grid = _gemm_seconds(k * f, c, self.size) + k * f * self.size * self.PER_BLOCK
        cols = _gemm_seconds(f, k * c, out) + k * c * out * self.PER_COLUMN
        return grid < cols

    def _box(self, lo: Shape, size: Shape) -> tuple[slice, ...]:
        return (slice(None), slice(None)) + tuple(slice(a, a + m) for a, m in zip(lo, size))

    def input_grid(self, x: np.ndarray) -> np.ndarray:
        """x as (C, grid): transposed to (C, N) and padded with zeros, one copy."""
        xg = np.zeros((self.c, self.n) + self.padded, dtype=x.dtype)
        xg[self._box(self.pad, self.spatial)] = x.transpose(
            (1, 0) + tuple(range(2, x.ndim)))
        return xg.reshape(self.c, self.size)

    def stacked(self, w: np.ndarray) -> np.ndarray:
        """The filters as (K*F, C), offset-major (a copy of the small weight)."""
        w3 = w.reshape(self.f, self.c, -1)
        return w3.transpose(2, 0, 1).reshape(-1, self.c)

    def to_nchw(self, on_grid: np.ndarray, lo: Shape, size: Shape,
                b: np.ndarray | None = None) -> np.ndarray:
        """The (rows, grid) array's box ``lo`` + ``size`` as a new (N, rows, *size)."""
        rows = on_grid.shape[0]
        box = on_grid.reshape((rows, self.n) + self.padded)[self._box(lo, size)]
        return _channels_first_copy(box, b)

    def forward(self, x: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> np.ndarray:
        f, m = self.f, self.m
        z = np.matmul(self.stacked(w), self.input_grid(x),
                      out=scratch("gemm", (len(self.starts) * f, self.size),
                                  np.result_type(w, x)))
        y = np.empty((f, self.size), dtype=z.dtype)
        y[:, :m] = z[:f, :m]
        for i, start in enumerate(self.starts[1:], 1):
            y[:, :m] += z[i * f:(i + 1) * f, start:start + m]
        return self.to_nchw(y, (0,) * len(self.out), self.out, b)

    def backward(self, x: np.ndarray, w: np.ndarray, g: np.ndarray, need_dx: bool
                 ) -> tuple[np.ndarray | None, np.ndarray]:
        f, k = self.f, len(self.starts)
        # G[k, :, j] = g at grid position j - start[k] (0 where that is no output)
        gg = np.zeros((f, self.n) + self.padded, dtype=g.dtype)
        gg[self._box((0,) * len(self.out), self.out)] = g.transpose(
            (1, 0) + tuple(range(2, g.ndim)))
        gg = gg.reshape(f, self.size)
        G = scratch("cols", (k, f, self.size), g.dtype)
        for i, start in enumerate(self.starts):
            G[i, :, :start] = 0
            G[i, :, start:] = gg[:, :self.size - start]
        G = G.reshape(k * f, self.size)
        xg = self.input_grid(x.astype(g.dtype, copy=False))
        dws = G @ xg.T  # (K*F, C): BLAS sums over the grid
        dw = dws.reshape(k, f, self.c).transpose(1, 2, 0).reshape(w.shape)
        dw = dw.astype(w.dtype, copy=False)
        if not need_dx:
            return None, dw
        dxg = np.matmul(self.stacked(w).T, G, out=scratch(
            "gemm", (self.c, self.size), np.result_type(w, g)))
        return self.to_nchw(dxg, self.pad, self.spatial), dw


def _winograd_for(x: np.ndarray, w: np.ndarray, groups: int, stride: Shape, dilate: Shape,
                  pad: Shape, *more: np.ndarray) -> _winograd.Winograd | None:
    """Winograd's F(2x2, 3x3) for a convolution where it applies and pays, else None
    (arrays of mixed dtypes keep the direct method)."""
    dtypes = {a.dtype for a in (x, w) + more}
    if len(dtypes) > 1 or not _winograd.applies(w.shape, groups, stride, dilate):
        return None
    wg = _winograd.Winograd(x.shape, w.shape[0], pad)
    return wg if WINOGRAD(wg, x.dtype) else None


#: the choice of :func:`_winograd_for` (a module attribute so tests can force either way)
WINOGRAD = _winograd.Winograd.pays


def _conv_grid(x_shape: Shape, w_shape: Shape, groups: int, stride: Shape, dilate: Shape,
               pad: Shape) -> _ConvGrid | None:
    """The grid for a convolution where it applies and pays, else None."""
    if groups != 1 or any(s != 1 for s in stride) or math.prod(w_shape[2:]) == 1:
        return None
    grid = _ConvGrid(x_shape, w_shape, dilate, pad)
    return grid if CONV_GRID(grid) else None


#: the choice of :func:`_conv_grid` (a module attribute so tests can force either way)
CONV_GRID = _ConvGrid.pays

#: the bytes of im2col columns (or of the grid's shifted blocks) that one pass of the
#: kernels works on: a larger batch runs a few samples at a time
CHUNK_BYTES = 5 << 20


def _samples_per_chunk(x: np.ndarray, w: np.ndarray, groups: int, stride: Shape,
                       dilate: Shape, pad: Shape, out: Shape) -> int:
    """How many samples one pass of im2col or the grid should take.

    The columns of a large image are large (VGG's 112x112 layer: 7 MB per sample, 230
    MB for a batch of 32), and every pass over them (the copy, the product, the col2im
    or the flipped convolution's copies) then runs at memory speed. A few samples at
    a time, so that the columns stay near 5 MB, measured 1.2-1.6 times faster on VGG's
    and ResNet-18's 24x24 to 112x112 layers and LeNet's first. Batches of columns up to
    15 MB stay whole (on ResNet-18's first layer, 14 MB, chunks cost up to 50% more:
    each chunk's output is a new array, copied into the whole), and each offset's copy
    still moves 64K elements or more (AlexNet's 11x11 first layer one sample at a time
    paid more in its 121 copies per sample than it saved). Not with the batch last,
    whose copies run along the samples."""
    kernel = tuple(w.shape[2:])
    if BATCH_LAST(out, kernel, _padded_size(x.shape[2:], pad)):
        return x.shape[0]
    grid = _conv_grid(x.shape, w.shape, groups, stride, dilate, pad)
    if grid is not None:
        per_offset = grid.f * math.prod(grid.padded)  # one sample's block per offset
    else:
        per_offset = x.shape[1] * math.prod(out)  # one sample's columns per offset
    per_sample = per_offset * math.prod(kernel) * x.dtype.itemsize
    if x.shape[0] * per_sample <= 3 * CHUNK_BYTES:
        return x.shape[0]  # small enough: the chunks' own copies would cost more
    return max(1, CHUNK_BYTES // per_sample, MIN_CHUNK_COPY // per_offset)


#: the fewest elements one offset's copy of a chunk moves (see :func:`_samples_per_chunk`)
MIN_CHUNK_COPY = 1 << 16


def conv_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, groups: int,
                 stride: Shape, dilate: Shape, pad: Shape, out: Shape) -> np.ndarray:
    """y[n, f, o] = sum over c, k of w[f, c, k] xp[n, c, o * stride + k * dilate] + b[f],
    where ``xp`` is ``x`` padded with zeros by ``pad``; with ``groups``, filter block g
    sees channel block g.

    w (F, CK) times the im2col buffer (CK, N*P): see :func:`_product_to_nchw`. A 1x1
    kernel without padding on images of 49 pixels or more skips im2col altogether (30%
    faster on GoogLeNet's and NiN's 1x1 layers).
    """
    n, f = x.shape[0], w.shape[0]
    if groups == 1 and not any(pad) and all(k == 1 for k in w.shape[2:]) \
            and math.prod(out) >= POINTWISE_PER_SAMPLE_PIXELS:
        # a 1x1 kernel needs no im2col: w (F, C) times each sample's (C, P) lands in NCHW
        # directly (the samples' products are wide enough for BLAS here)
        xs = tap(x, (0,) * (x.ndim - 2), stride, dilate, out).reshape(n, x.shape[1], -1)
        y = w.reshape(f, -1) @ xs
        if b is not None:
            y += b.reshape(f, 1).astype(y.dtype, copy=False)
        return y.reshape((n, f) + tuple(out))
    wg = _winograd_for(x, w, groups, stride, dilate, pad)
    if wg is not None:
        return wg.forward(x, w, b)
    chunk = _samples_per_chunk(x, w, groups, stride, dilate, pad, out)
    if chunk < n:
        first = conv_forward(x[:chunk], w, b, groups, stride, dilate, pad, out)
        y = np.empty((n,) + first.shape[1:], dtype=first.dtype)
        y[:chunk] = first
        for a in range(chunk, n, chunk):
            y[a:a + chunk] = conv_forward(x[a:a + chunk], w, b, groups, stride, dilate, pad,
                                          out)
        return y
    grid = _conv_grid(x.shape, w.shape, groups, stride, dilate, pad)
    if grid is not None:
        return grid.forward(x, w, b)
    # the columns and the product live in scratch buffers (no page faults: _layout._Scratch)
    last = BATCH_LAST(out, tuple(w.shape[2:]), _padded_size(x.shape[2:], pad))
    cols = im2col(x, tuple(w.shape[2:]), stride, dilate, out, pad, role="cols", last=last)
    return _product_to_nchw(w.reshape(groups, f // groups, -1), cols, n, out, b, last)


#: the output pixels from which each sample's own product is wide enough for BLAS
PER_SAMPLE_PIXELS = 512
#: the same for a 1x1 kernel, whose per-sample products need no im2col: below it (GoogLeNet's
#: 3x3 and 6x6 stages) one product over all N*P columns is faster despite its copies (832 to
#: 384 channels at 3x3: twice as fast; equal at 6x6; 1.1-1.9 times slower from 7x7 up)
POINTWISE_PER_SAMPLE_PIXELS = 49


def _product_to_nchw(w3: np.ndarray, cols: np.ndarray, n: int, out: Shape,
                     b: np.ndarray | None, last: bool) -> np.ndarray:
    """The new (N, F, *out) array ``w3`` (G, F/G, CK/G) times the columns (CK, N*P) in
    the layout of :func:`im2col`, plus the bias ``b``.

    Where each sample has 512 output pixels or more (and no groups), N products, one
    per sample, land in NCHW directly: 1.4-2.5 times faster than the one product and
    its copy from (F, N, P) on the early layers of ResNet-18, VGG and LeNet (the
    product's large output leaves the cache before it is copied), and equal from 576
    pixels down. Otherwise ONE product (per group) over all N*P columns, then that
    copy, which also adds the bias: on the late layers (P of 144 and less) the
    per-sample products are too thin for BLAS (up to 25% slower)."""
    groups, fg = w3.shape[:2]
    p = math.prod(out)
    if groups == 1 and not last and p >= PER_SAMPLE_PIXELS:
        y = np.matmul(w3[0], cols.reshape(-1, n, p).transpose(1, 0, 2))
        if b is not None:
            y += b.reshape(-1, 1).astype(y.dtype, copy=False)
        return y.reshape((n, fg) + tuple(out))
    cols2 = cols.reshape(groups, -1, n * p)  # (G, C/G * K, N*P)
    y = np.matmul(w3, cols2, out=scratch("gemm", (groups, fg, n * p),
                                          np.result_type(w3, cols2)))  # (G, F/G, N*P)
    return _to_nchw(y, n, out, b, last)


def _flipped_pad(kernel: Shape, dilate: Shape, pad: Shape) -> Shape:
    """The padding of the output gradient in :func:`_dx_as_convolution`."""
    return tuple((k - 1) * d - p for k, d, p in zip(kernel, dilate, pad))


def _dx_as_convolution(w: np.ndarray, g: np.ndarray, groups: int, dilate: Shape,
                       pad: Shape, spatial: Shape, last: bool = False) -> np.ndarray:
    """The input's gradient of a stride-1 convolution, as a convolution of ``g`` (padded
    by ``(k - 1) * dilate - pad``) with the flipped kernel, filters and channels swapped:
    ``dx[n, c, i] = sum over f, k of w[f, c, K-1-k] gp[n, f, i + k * dilate]``."""
    n, f = g.shape[:2]
    kernel = tuple(w.shape[2:])
    fg, cg, nsp = f // groups, w.shape[1], len(kernel)
    gpad = _flipped_pad(kernel, dilate, pad)
    gcols = im2col(g, kernel, (1,) * nsp, dilate, spatial, gpad, role="cols", last=last)
    flip = (Ellipsis,) + (slice(None, None, -1),) * nsp
    wf = w.reshape((groups, fg, cg) + kernel)[flip]  # a view
    wf = wf.transpose((0, 2, 1) + tuple(range(3, 3 + nsp))).reshape(groups, cg, -1)
    return _product_to_nchw(wf, gcols, n, spatial, None, last)


def _dx_as_convolution_pays(g_cols: int, x_cols: int) -> bool:
    """Whether a stride-1 input gradient is cheaper as a flipped convolution, from the
    rows-times-columns per kernel offset of its im2col (``g_cols``) and of col2im's
    (``x_cols``): measured 7-20% faster on ResNet-18's 3x3 layers (equal sizes), twice
    slower on LeNet's second layer (the padded output gradient five times larger)."""
    return g_cols <= 1.25 * x_cols


#: the choice :func:`conv_backward` makes (a module attribute so tests can force either way)
DX_AS_CONVOLUTION = _dx_as_convolution_pays


def conv_backward(x: np.ndarray, w: np.ndarray, g: np.ndarray, groups: int, stride: Shape,
                  dilate: Shape, pad: Shape, need_dx: bool
                  ) -> tuple[np.ndarray | None, np.ndarray]:
    """(gradient of the input or None, gradient of the weight) of :func:`conv_forward`
    for the output gradient ``g`` (N, F, *out).

    The im2col buffer is rebuilt (keeping the forward's would hold K times the input
    until backward, as MXNet does not either). The weight's gradient is ONE product that
    sums over the batch inside BLAS, taken as ``(cols g^T)^T`` (a view): BLAS reads both
    operands along their long N*P axis, which measured 10-35% faster than ``g cols^T``
    on the book's layers.

    The input's gradient: for a stride-1 convolution whose output gradient is not much
    larger than the input (most of ResNet's, VGG's and NiN's layers), a convolution of
    ``g`` with the flipped kernel (:func:`_dx_as_convolution`): one im2col copy and one
    product. Otherwise the columns' gradient ``w^T g`` (one product written into the
    im2col buffer, dead by then) is added back onto each offset's strided slice of a
    zero input gradient (col2im: K read-modify-write passes, each slower than a copy).
    """
    wg = _winograd_for(x, w, groups, stride, dilate, pad, g)
    if wg is not None:
        return wg.backward(x, w, g, need_dx)
    chunk = _samples_per_chunk(x, w, groups, stride, dilate, pad, tuple(g.shape[2:]))
    if chunk < x.shape[0]:
        first, dw = conv_backward(x[:chunk], w, g[:chunk], groups, stride, dilate, pad,
                                  need_dx)
        dx = None
        if first is not None:
            dx = np.empty(x.shape, dtype=first.dtype)
            dx[:chunk] = first
        for a in range(chunk, x.shape[0], chunk):
            dxa, dwa = conv_backward(x[a:a + chunk], w, g[a:a + chunk], groups, stride,
                                     dilate, pad, need_dx)
            dw += dwa
            if dx is not None:
                dx[a:a + chunk] = dxa
        return dx, dw
    grid = _conv_grid(x.shape, w.shape, groups, stride, dilate, pad)
    if grid is not None:
        return grid.backward(x, w, g, need_dx)
    n, c = x.shape[:2]
    f, kernel = w.shape[0], tuple(w.shape[2:])
    out = tuple(g.shape[2:])
    fg = f // groups
    pointwise = groups == 1 and math.prod(kernel) == 1 and all(s == 1 for s in stride) \
        and not any(pad)
    last = BATCH_LAST(out, kernel, _padded_size(x.shape[2:], pad))
    cols = im2col(x.astype(np.result_type(x, g), copy=False), kernel, stride, dilate, out,
                  pad, role="cols", last=last)
    pixels = math.prod(out)
    cols2 = cols.reshape(groups, -1, n * pixels)  # (G, C/G * K, N*P)

    def g_columns() -> np.ndarray:
        """g as (G, F/G, N*P): one transposing copy of the (small) output gradient."""
        gt = scratch("gemm", (groups, fg, cols2.shape[2]), g.dtype)
        if last:
            np.copyto(gt.reshape(f, -1, n), g.reshape(n, f, -1).transpose(1, 2, 0))
        else:
            np.copyto(gt.reshape(f, n, -1), g.reshape(n, f, -1).transpose(1, 0, 2))
        return gt

    gt = None
    if groups == 1 and not last and pixels >= PER_SAMPLE_PIXELS and cols2.shape[1] <= 128:
        # few rows of columns (a first layer): one product per sample, summed, needs no
        # copy of g (1.2-2.4 times faster on the first layers of ResNet-18, VGG, LeNet)
        dw = np.matmul(g.reshape(n, f, pixels),
                       cols2[0].reshape(-1, n, pixels).transpose(1, 2, 0))
        dw = dw.sum(axis=0)
    else:
        gt = g_columns()
        dw = np.matmul(cols2, gt.transpose(0, 2, 1)).transpose(0, 2, 1)  # (G, F/G, C/G*K)
    dw = dw.reshape(w.shape).astype(w.dtype, copy=False)
    if not need_dx:
        return None, dw
    spatial = x.shape[2:]
    if pointwise:
        # a 1x1 kernel: dx = w^T g needs no col2im, and for large images each sample's
        # product lands in NCHW directly (10-20% faster on NiN's and GoogLeNet's 1x1
        # layers of 144 pixels or more; on smaller ones the one product over N*P is)
        w2 = w.reshape(f, c)
        if pixels >= 144:
            return np.matmul(w2.T, g.reshape(n, f, -1)).reshape(x.shape), dw
        gt = g_columns() if gt is None else gt
        return _to_nchw((w2.T @ gt[0])[None], n, spatial, last=last), dw
    if all(s == 1 for s in stride) and \
            all(p <= (k - 1) * d for p, k, d in zip(pad, kernel, dilate)) and \
            DX_AS_CONVOLUTION(f * math.prod(spatial), c * math.prod(out)):
        return _dx_as_convolution(w, g, groups, dilate, pad, spatial,
                                  BATCH_LAST(spatial, kernel, _padded_size(
                                      out, _flipped_pad(kernel, dilate, pad)))), dw
    gt = g_columns() if gt is None else gt
    dcols = np.matmul(w.reshape(groups, fg, -1).transpose(0, 2, 1), gt, out=cols2)
    dcols = dcols.reshape(cols.shape)  # (C, *kernel, N, *out) or (C, *kernel, *out, N)
    padded = _padded_size(spatial, pad)
    inside = tuple(slice(p, p + s) for p, s in zip(pad, spatial))
    if last:
        dxt = np.zeros((c,) + padded + (n,), dtype=dcols.dtype)
        for k in offsets(kernel):
            tap(dxt, k, stride, dilate, out, lead=1)[...] += dcols[(slice(None),) + k]
        return _layout.batch_first(dxt[(slice(None),) + inside]), dw
    dxp = np.zeros((n, c) + padded, dtype=dcols.dtype)
    dxt = dxp.transpose((1, 0) + tuple(range(2, x.ndim)))
    for k in offsets(kernel):
        tap(dxt, k, stride, dilate, out)[...] += dcols[(slice(None),) + k]
    return dxp[(slice(None), slice(None)) + inside], dw


# ---- pooling ----------------------------------------------------------------------------


class _Grid:
    """Overlapping pooling windows as shifts of ONE flat array.

    A strided slice of an (N, C, H, W) array runs NumPy's loops one row at a time (rows
    of a few dozen pixels, read with a stride when the pooling's stride is 2), which
    measured 2-3 times slower than the same work on long contiguous runs. So the padded
    input is split once into its stride *phases* (the pixels at ``a + stride * i``,
    one (N, C, *Q) block per phase ``a``, ``Q = ceil(padded / stride)``), stored one
    after the other in a flat array. Kernel offset k then reads phase ``k % stride``
    shifted by ``k // stride``: one contiguous 1-D slice of the flat array for all
    samples and channels at once. The results are computed on the whole (N, C, *Q)
    grid, and the positions past ``out`` on each axis (which mix neighbouring rows) are
    dropped. A stride of 1 needs no split: the padded input is its own one phase.
    """

    def __init__(self, padded: Shape, kernel: Shape, stride: Shape, out: Shape) -> None:
        self.padded, self.stride, self.out = tuple(padded), stride, out
        self.phases = list(np.ndindex(*(min(s, k) for s, k in zip(stride, kernel))))
        self.q = tuple(-(-p // s) for p, s in zip(padded[2:], stride))
        self.size = math.prod(padded[:2]) * math.prod(self.q)  # one phase's block
        row = [math.prod(self.q[i + 1:]) for i in range(len(self.q))]
        phase = {a: i for i, a in enumerate(self.phases)}
        self.starts, shifts = [], []
        for k in offsets(kernel):
            shift = sum(ki // s * r for ki, s, r in zip(k, stride, row))
            ai = phase[tuple(ki % s for ki, s in zip(k, stride))]
            self.starts.append(ai * self.size + shift)
            shifts.append(shift)
        # every grid position that some valid output has (later ones would read past
        # the end of their phase)
        self.n = self.size - max(shifts)
        self.split_needed = any(s > 1 for s in stride)

    def _phase(self, a: Shape, arr: np.ndarray) -> np.ndarray:
        return arr[(slice(None), slice(None)) + tuple(
            slice(ai, None, s) for ai, s in zip(a, self.stride))]

    def _block(self, i: int, flat: np.ndarray, spatial: Shape) -> np.ndarray:
        """Phase i's (N, C, *spatial) corner inside the flat array."""
        b = flat[i * self.size:(i + 1) * self.size].reshape(self.padded[:2] + self.q)
        return b[(slice(None), slice(None)) + tuple(slice(0, m) for m in spatial)]

    def split(self, xp: np.ndarray) -> np.ndarray:
        """The flat array of phases of the padded input (one copy; none at stride 1)."""
        if not self.split_needed:
            return np.ascontiguousarray(xp).reshape(-1)
        flat = np.empty(len(self.phases) * self.size, dtype=xp.dtype)
        for i, a in enumerate(self.phases):
            v = self._phase(a, xp)
            self._block(i, flat, v.shape[2:])[...] = v
        return flat

    def merge(self, flat: np.ndarray) -> np.ndarray:
        """The padded array whose phases ``flat`` holds (pixels of no phase are 0)."""
        if not self.split_needed:
            return flat.reshape(self.padded)
        whole = len(self.phases) == math.prod(self.stride)
        out = (np.empty if whole else np.zeros)(self.padded, dtype=flat.dtype)
        for i, a in enumerate(self.phases):
            v = self._phase(a, out)
            v[...] = self._block(i, flat, v.shape[2:])
        return out

    def taps(self, flat: np.ndarray) -> list[np.ndarray]:
        """What each kernel offset reads at every grid position: 1-D contiguous slices."""
        return [flat[s:s + self.n] for s in self.starts]

    def embed(self, y: np.ndarray) -> np.ndarray:
        """(N, C, *out) on the grid (zeros elsewhere), cut to the grid's ``n`` positions."""
        return _embed(y, self.padded[:2] + self.q, self.n)

    def valid(self, on_grid: np.ndarray) -> np.ndarray:
        """The (N, C, *out) outputs out of values at the grid's ``n`` positions."""
        return _valid(on_grid, self.padded[:2] + self.q, self.out)


def _embed(y: np.ndarray, grid: Shape, size: int) -> np.ndarray:
    """``y`` (N, C, *out) in the corner of a zero array of shape ``grid``, flat, cut to
    its first ``size`` positions (the ones a flat grid computes)."""
    full = np.zeros(grid, dtype=y.dtype)
    full[(slice(None), slice(None)) + tuple(slice(0, o) for o in y.shape[2:])] = y
    return full.reshape(-1)[:size]


def _valid(flat: np.ndarray, grid: Shape, out: Shape) -> np.ndarray:
    """The new (N, C, *out) corner of the array of shape ``grid`` whose first positions
    ``flat`` holds (the inverse of :func:`_embed`)."""
    full = np.empty(math.prod(grid), dtype=flat.dtype)
    full[:flat.size] = flat
    return full.reshape(grid)[(slice(None), slice(None)) + tuple(
        slice(0, o) for o in out)].copy()


class _Shifts:
    """Stride-1 max pooling as one 1-D maximum per axis, each over flat shifts.

    A window's maximum is the maximum over its rows of each row's maximum, so a 3x3
    window costs 2 + 2 ``np.maximum`` calls instead of 8, and backward routes ``g``
    twice through 3 offsets instead of once through 9. At stride 1 every offset along
    an axis is a shift of the flat padded block by a multiple of that axis's row length
    (``unit``): a 1-D contiguous slice, as on :class:`_Grid`; positions whose shifts
    cross a row or a plane are computed and never read. The forward reduces the last
    axis first and the backward routes along the first axis first, so a tie sends ``g``
    to the first maximum in row-major order, as the K offsets do. Measured on
    GoogLeNet's 3x3 stride-1 pooling against the grid of K offsets: forward up to 1.4
    and backward up to 1.45 times faster (12x12 and 6x6 planes; equal on 3x3 ones).
    With a stride of 2 each axis would need its phases split first, and the grid's
    single pass over them measured faster.
    """

    def __init__(self, padded: Shape, kernel: Shape, out: Shape) -> None:
        self.padded, self.kernel, self.out = tuple(padded), kernel, out
        spatial = self.padded[2:]
        self.units = [math.prod(spatial[ax + 1:]) for ax in range(len(spatial))]

    def reduce(self, flat: np.ndarray, ax: int) -> np.ndarray:
        """The maximum over axis ``ax``'s window at every position that has one."""
        k, u = self.kernel[ax], self.units[ax]
        n = flat.size - (k - 1) * u
        m = flat[:n].copy()
        for ki in range(1, k):
            np.maximum(m, flat[ki * u:ki * u + n], out=m)
        return m

    def stages(self, xp: np.ndarray) -> list[np.ndarray]:
        """The flat block, then its maxima over the last axis, the last two, ... all."""
        found = [np.ascontiguousarray(xp).reshape(-1)]
        for ax in reversed(range(len(self.kernel))):
            found.append(self.reduce(found[-1], ax))
        return found

    def forward(self, xp: np.ndarray) -> np.ndarray:
        return _valid(self.stages(xp)[-1], self.padded, self.out)

    def backward(self, xp: np.ndarray, g: np.ndarray) -> np.ndarray:
        found = self.stages(xp)
        grad = _embed(g, self.padded, found[-1].size)
        for ax in range(len(self.kernel)):  # the first axis first (see the class)
            z, m = found[-2 - ax], found[-1 - ax]
            k, u, n = self.kernel[ax], self.units[ax], m.size
            dz = np.zeros(z.size, dtype=g.dtype)
            hit = np.empty(n, dtype=bool)
            sent = np.empty(n, dtype=g.dtype)
            for ki in range(k):
                np.equal(z[ki * u:ki * u + n], m, out=hit)
                np.multiply(grad, hit, out=sent)
                dz[ki * u:ki * u + n] += sent
                if ki < k - 1:
                    grad -= sent  # what is left for the later offsets
            grad = dz
        return grad.reshape(self.padded)


def _overlap(kernel: Shape, stride: Shape) -> bool:
    """Whether windows share pixels (else each offset reads its own pixels: strided
    slices are as fast as the grid there, which would only add its copies)."""
    return any(k > s for k, s in zip(kernel, stride))


def _max_pool_block(xp: np.ndarray, kernel: Shape, stride: Shape, out: Shape) -> np.ndarray:
    """The maximum of each window: a running ``np.maximum`` over the K offsets' slices
    (overlapping windows), or over one axis at a time (windows apart).

    Reducing a ``sliding_window_view`` over its small strided window axes, or copying
    the windows and taking ``argmax``, measured six times slower on LeNet's pooling;
    also tracking the argmax here (for backward) measured four times slower than the
    maximum alone, more than the equality test that backward does instead. Overlapping
    windows (ResNet's and AlexNet's 3x3, stride 2) run on the :class:`_Grid`: 2-3 times
    faster there.
    """
    if _overlap(kernel, stride) and all(st == 1 for st in stride):
        return _Shifts(xp.shape, kernel, out).forward(xp)
    if _overlap(kernel, stride):
        grid = _Grid(xp.shape, kernel, stride, out)
        first, *rest = grid.taps(grid.split(xp))
        y = first.copy()
        for t in rest:
            np.maximum(y, t, out=y)
        return grid.valid(y)
    # windows apart: a maximum is separable, so reduce one axis at a time, the last
    # (contiguous) one last: the earlier axes' slices keep whole contiguous rows, and the
    # strided last axis is read on an already reduced array (25-50% faster on VGG's and
    # LeNet's 2x2 pooling than the K offsets' strided slices)
    y = xp
    for ax, (k, s, o) in enumerate(zip(kernel, stride, out)):
        head = (slice(None),) * (2 + ax)
        m = y[head + (slice(0, (o - 1) * s + 1, s),)].copy()
        for ki in range(1, k):
            np.maximum(m, y[head + (slice(ki, ki + (o - 1) * s + 1, s),)], out=m)
        y = m
    return y


def _max_pool_backward_block(xp: np.ndarray, y: np.ndarray, g: np.ndarray, kernel: Shape,
                             stride: Shape, into: np.ndarray | None = None) -> np.ndarray:
    """The gradient of the padded input ``xp``: each window's ``g`` goes to the first
    element (row-major, as MXNet) that equals the window's maximum ``y``.

    The equality mask is recomputed here, offset after offset, and a window's gradient
    leaves with the first offset that matches, so that a tie (frequent after ReLU)
    sends ``g`` once; this measured faster than keeping an argmax from the forward
    (see :func:`max_pool`), and keeps nothing new alive: ``xp`` is usually the previous
    layer's output, held anyway. Windows apart write into ``into`` when it is given.
    """
    out = tuple(g.shape[2:])
    if _overlap(kernel, stride) and all(st == 1 for st in stride):
        return _Shifts(xp.shape, kernel, out).backward(xp, g)
    if _overlap(kernel, stride):
        grid = _Grid(xp.shape, kernel, stride, out)
        y_at, left = grid.embed(y), grid.embed(g)  # left: the gradient not yet sent
        hit = np.empty(grid.n, dtype=bool)
        sent = np.empty(grid.n, dtype=g.dtype)
        dflat = np.zeros(len(grid.phases) * grid.size, dtype=g.dtype)
        for start, t in zip(grid.starts, grid.taps(grid.split(xp))):
            np.equal(t, y_at, out=hit)
            np.multiply(left, hit, out=sent)
            dflat[start:start + grid.n] += sent
            left -= sent
        return grid.merge(dflat)
    # no overlap: each pixel belongs to at most one window, so write straight in (the
    # windows tile the input when they are as wide as their stride: then nothing needs
    # zeros first; 8-12% faster on LeNet's and VGG's 2x2 pooling, with the copy saved)
    one = (1,) * len(kernel)
    tiled = all(k == s and o * s == m for k, s, o, m in zip(kernel, stride, out, xp.shape[2:]))
    if into is None:
        into = np.empty(xp.shape, dtype=g.dtype) if tiled else np.zeros(xp.shape, g.dtype)
    elif not tiled:
        into[...] = 0
    first, *rest = offsets(kernel)
    taken = np.equal(tap(xp, first, stride, one, out), y)
    np.multiply(g, taken, out=tap(into, first, stride, one, out))
    hit = np.empty(g.shape, dtype=bool)
    for i, k in enumerate(rest, 1):
        np.equal(tap(xp, k, stride, one, out), y, out=hit)
        np.greater(hit, taken, out=hit)  # equal, and no earlier offset took this window
        if i < len(rest):
            taken |= hit
        np.multiply(g, hit, out=tap(into, k, stride, one, out))
    return into


def _sum_pool_block(xp: np.ndarray, kernel: Shape, stride: Shape, out: Shape) -> np.ndarray:
    """The sum of each window: the K offsets' slices added up (faster than a reduction
    over a window view's small strided axes); on the :class:`_Grid` if windows overlap."""
    if _overlap(kernel, stride):
        grid = _Grid(xp.shape, kernel, stride, out)
        first, *rest = grid.taps(grid.split(xp))
        y = first.copy()
        for t in rest:
            y += t
        return grid.valid(y)
    ks = offsets(kernel)
    one = (1,) * len(kernel)
    y = tap(xp, ks[0], stride, one, out).copy()
    for k in ks[1:]:
        y += tap(xp, k, stride, one, out)
    return y


def _sum_pool_backward_block(padded: Shape, share: np.ndarray, kernel: Shape, stride: Shape
                      ) -> np.ndarray:
    """The adjoint of :func:`sum_pool`: ``share`` added onto every offset's slice."""
    out = tuple(share.shape[2:])
    if _overlap(kernel, stride):
        grid = _Grid(padded, kernel, stride, out)
        on_grid = grid.embed(share)
        dflat = np.zeros(len(grid.phases) * grid.size, dtype=share.dtype)
        for start in grid.starts:
            dflat[start:start + grid.n] += on_grid
        return grid.merge(dflat)
    one = (1,) * len(kernel)
    dxp = np.zeros(padded, dtype=share.dtype)
    for k in offsets(kernel):
        tap(dxp, k, stride, one, out)[...] = share
    return dxp


#: bytes of input planes the pooling kernels work on at a time: their dozens of passes
#: then hit the cache instead of memory (measured 1, 4 and 16 MB on this machine's 1 MB
#: L2 and 32 MB L3: 4 MB made AlexNet's and ResNet's 3x3 pooling about twice faster,
#: VGG's 2x2 1.7 times; LeNet's small layers are one block either way)
POOL_BLOCK_BYTES = 4 << 20


def _blocks(plane_bytes: int, planes: int) -> range:
    """The first plane of each block; the range's step is the block's size."""
    return range(0, planes, max(1, POOL_BLOCK_BYTES // max(1, plane_bytes)))


def _as_planes(a: np.ndarray) -> np.ndarray:
    """(N, C, *spatial) as (N*C, 1, *spatial): every plane pools on its own."""
    return a.reshape((-1, 1) + a.shape[2:])


def _padded(xb: np.ndarray, lo: Shape, hi: Shape, fill: Any) -> np.ndarray:
    """A block of planes padded by ``lo`` before and ``hi`` after with ``fill``."""
    if not any(lo) and not any(hi):
        return xb
    shape = xb.shape[:2] + tuple(n + a + b for n, a, b in zip(xb.shape[2:], lo, hi))
    xp = np.full(shape, fill, dtype=xb.dtype)
    xp[(slice(None), slice(None)) + tuple(slice(a, a + n) for a, n in
                                          zip(lo, xb.shape[2:]))] = xb
    return xp


def _crop(dxp: np.ndarray, lo: Shape, spatial: Shape) -> np.ndarray:
    return dxp[(slice(None), slice(None)) + tuple(slice(a, a + n) for a, n in
                                                  zip(lo, spatial))]


def max_pool(x: np.ndarray, kernel: Shape, stride: Shape, out: Shape, lo: Shape, hi: Shape,
             fill: Any) -> np.ndarray:
    """The maximum of each window of ``x`` (N, C, *spatial) padded by ``lo`` and ``hi``
    with ``fill``, a few planes at a time (:data:`POOL_BLOCK_BYTES`): each block is
    padded on its own, so no padded copy of the whole input is made or kept."""
    x2 = _as_planes(x)
    y = np.empty((x2.shape[0], 1) + tuple(out), dtype=x.dtype)
    step = _blocks(4 * x2[0].nbytes, x2.shape[0])
    for a in step:
        b = slice(a, a + step.step)
        y[b] = _max_pool_block(_padded(x2[b], lo, hi, fill), kernel, stride, out)
    return y.reshape(x.shape[:2] + tuple(out))


def max_pool_backward(x: np.ndarray, y: np.ndarray, g: np.ndarray, kernel: Shape,
                      stride: Shape, lo: Shape, hi: Shape, fill: Any) -> np.ndarray:
    """The gradient of ``x`` (padded as in :func:`max_pool`): each window's ``g`` to
    its first maximum, a few planes at a time."""
    x2, y2, g2 = _as_planes(x), _as_planes(y), _as_planes(g)
    dx = np.empty(x2.shape, dtype=g.dtype)
    step = _blocks(4 * x2[0].nbytes + 6 * y2[0].nbytes, x2.shape[0])
    direct = not any(lo) and not any(hi) and not _overlap(kernel, stride)
    for a in step:
        b = slice(a, a + step.step)
        if direct:  # no padding to crop: the block writes its part of dx itself
            _max_pool_backward_block(x2[b], y2[b], g2[b], kernel, stride, into=dx[b])
            continue
        dxp = _max_pool_backward_block(_padded(x2[b], lo, hi, fill), y2[b], g2[b], kernel,
                                       stride)
        dx[b] = _crop(dxp, lo, x.shape[2:])
    return dx.reshape(x.shape)


def sum_pool(x: np.ndarray, kernel: Shape, stride: Shape, out: Shape, lo: Shape, hi: Shape
             ) -> np.ndarray:
    """The sum of each window of ``x`` padded with zeros, a few planes at a time."""
    x2 = _as_planes(x)
    y = np.empty((x2.shape[0], 1) + tuple(out), dtype=x.dtype)
    step = _blocks(4 * x2[0].nbytes, x2.shape[0])
    for a in step:
        b = slice(a, a + step.step)
        y[b] = _sum_pool_block(_padded(x2[b], lo, hi, 0), kernel, stride, out)
    return y.reshape(x.shape[:2] + tuple(out))


def sum_pool_backward(x_shape: Shape, share: np.ndarray, kernel: Shape, stride: Shape,
                      lo: Shape, hi: Shape) -> np.ndarray:
    """The adjoint of :func:`sum_pool`: ``share`` onto every window, the padding's
    part dropped, a few planes at a time."""
    s2 = _as_planes(share)
    padded = tuple(n + a + b for n, a, b in zip(x_shape[2:], lo, hi))
    dx = np.empty((s2.shape[0], 1) + tuple(x_shape[2:]), dtype=share.dtype)
    step = _blocks(4 * 4 * math.prod(padded), s2.shape[0])
    for a in step:
        b = slice(a, a + step.step)
        dxp = _sum_pool_backward_block((s2[b].shape[0], 1) + padded, s2[b], kernel, stride)
        dx[b] = _crop(dxp, lo, x_shape[2:])
    return dx.reshape(x_shape)


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


def affine(x3: np.ndarray, scale: np.ndarray, shift: np.ndarray, dtype: Any,
           x3b: np.ndarray | None = None, scale_b: np.ndarray | None = None) -> np.ndarray:
    """x * scale + shift (+ xb * scale_b) per channel of (before, C, after) arrays, as a
    new array of ``dtype``. Done a few rows of ``before`` at a time (the pooling
    kernels' :data:`POOL_BLOCK_BYTES`), so that the second and third passes read what
    the first left in the cache: measured 30-40% faster on ResNet's and DenseNet's
    batch norms than whole-array passes."""
    y = np.empty(x3.shape, dtype=dtype)
    shift = shift[:, None].astype(dtype, copy=False)
    rows = _blocks((3 if x3b is None else 5) * y[0].nbytes, x3.shape[0])
    tmp = None if x3b is None else np.empty((rows.step,) + x3.shape[1:], dtype=dtype)
    for a in rows:
        b = slice(a, a + rows.step)
        np.multiply(x3[b], scale[:, None], out=y[b], dtype=dtype)
        y[b] += shift
        if x3b is not None:
            t = tmp[:y[b].shape[0]]
            np.multiply(x3b[b], scale_b[:, None], out=t, dtype=dtype)
            y[b] += t
    return y
