"""Winograd's minimal filtering F(2x2, 3x3) for stride-1 3x3 convolutions (Lavin and
Gray, "Fast Algorithms for Convolutional Neural Networks", 2016).

A 2x2 block of outputs of a 3x3 filter over a 4x4 tile ``d`` of the input is

    Y = A^T [ (G w G^T) * (B^T d B) ] A        (``*`` elementwise, over 4x4 positions)

so each of the 16 positions of the transformed tile is ONE product over channels: for
all tiles at once, ``M[xi] = U[xi] V[xi]`` with U (F, C) the transformed filters and V
(C, tiles) the transformed input. That is 16 multiply-adds per 2x2 outputs per (f, c)
where im2col does 36: 2.25 times fewer, in 16 matrix products as wide as im2col's.
The transforms ``B^T d B`` and ``A^T M A`` only add and subtract (the entries of B and
A are 0 and +-1), so the result keeps float32's accuracy (``G`` has halves, exact too).

The backward pass stays in the transformed domain: with ``dM = A dY A^T`` the
transformed output gradient, ``dU[xi] = dM[xi] V[xi]^T`` gives the filters' gradient
(``dw = G^T dU G``) and ``dV[xi] = U[xi]^T dM[xi]`` the input's (``dd = B dV B^T``,
added back onto the overlapping tiles), so each of the three products costs the same.

Arrays are laid out (C, rows, columns, N): every transform is a handful of additions
of strided slices whose innermost runs hold all N samples (see
:func:`minigluon.ops._windows._batch_last_pays` for why that layout).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import _layout
from ._layout import scratch

Shape = tuple[int, ...]

BT = np.array([[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]])
G = np.array([[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]])
AT = np.array([[1, 1, 1, 0], [0, 1, -1, -1]])
#: the filter transform G w G^T of all 16 positions as one (16, 9) matrix: row a*4 + b
#: holds G[a, i] G[b, j] at column i*3 + j
GG = np.kron(G, G)


def _combine(row: np.ndarray, parts: Sequence[np.ndarray], out: np.ndarray) -> None:
    """``out = sum of row[i] * parts[i]`` for coefficients 0 and +-1, by additions and
    subtractions only; the first two terms in one call (a pass less than a copy first)."""
    terms = [(i, row[i] > 0) for i in np.flatnonzero(row)]
    (i, plus_i), rest = terms[0], terms[1:]
    if rest and (plus_i or rest[0][1]):
        j, plus_j = rest.pop(0)
        if plus_i and plus_j:
            np.add(parts[i], parts[j], out=out)
        elif plus_i:
            np.subtract(parts[i], parts[j], out=out)
        else:
            np.subtract(parts[j], parts[i], out=out)
    elif plus_i:
        np.copyto(out, parts[i])
    else:
        np.negative(parts[i], out=out)
    for j, plus_j in rest:
        (np.add if plus_j else np.subtract)(out, parts[j], out=out)


def _taps(a: np.ndarray, axis: int, width: int, count: int) -> list[np.ndarray]:
    """The ``width`` strided views of ``a`` along ``axis``: view i holds positions
    i, i + 2, ..., i + 2 (count - 1) (tile t's element i, tiles 2 apart)."""
    lead = (slice(None),) * axis
    return [a[lead + (slice(i, i + 2 * count - 1, 2),)] for i in range(width)]


class Winograd:
    """F(2x2, 3x3) for an input of shape ``x_shape`` (N, C, H, W), ``f`` filters and
    padding ``pad``: forward and backward of ``y = conv(x, w)`` at stride 1."""

    def __init__(self, x_shape: Shape, f: int, pad: Shape) -> None:
        self.n, self.c, h, w = x_shape
        self.f, self.pad, self.spatial = f, pad, (h, w)
        self.out = (h + 2 * pad[0] - 2, w + 2 * pad[1] - 2)
        self.tiles = tuple(-(-o // 2) for o in self.out)  # 2x2 outputs each, rounded up
        self.grid = tuple(2 * t + 2 for t in self.tiles)  # the padded input they read

    @property
    def columns(self) -> int:
        """Tiles times samples: the width of each of the 16 products."""
        return math.prod(self.tiles) * self.n

    def pays(self, dtype: Any) -> bool:
        """Whether this beats im2col (or the grid), by rules measured on one BLAS thread
        over the 3x3 layers of the book's networks (forward plus backward):

        - float32 only: float64 keeps the direct method's rounding;
        - ``F*C / (F+C) >= 50``: the products' multiply-adds per element the transforms
          move. ResNet-18's 128- and 256-channel layers, AlexNet's 3x3 layers and
          VGG's 128-channel layers ran in 0.73-0.88 of the time, GoogLeNet's 96 -> 128
          channels in 0.91; from 48 down (64 channels, all of DenseNet's) the
          transforms cost more than the products save (1.0-1.9 times the time);
        - tiles at most 1.3 times the output: a 3x3 output computes 4x4 (512 channels
          at 3x3: 1.6 times the time).
        """
        return (np.dtype(dtype) == np.float32
                and self.f * self.c >= 50 * (self.f + self.c)
                and 4 * math.prod(self.tiles) <= 1.3 * math.prod(self.out))

    def input_tiles(self, x: np.ndarray) -> np.ndarray:
        """V = B^T d B of every tile, (16, C, tiles): the input, padded and transposed to
        (C, rows, columns, N) in one copy, then transformed along rows and columns. The
        arrays of the kernels are the thread's scratch buffers (as im2col's), so V is
        valid until the next convolution."""
        th, tw = self.tiles
        rows = _taps(_layout.batch_last(x, self.pad, self.grid, role="wino-x"), 1, 4, th)
        v = scratch("cols", (4, 4, self.c, th, tw, self.n), x.dtype)
        half = scratch("wino-half", (self.c, th, self.grid[1], self.n), x.dtype)
        for a in range(4):
            _combine(BT[a], rows, half)
            cols = _taps(half, 2, 4, tw)
            for b in range(4):
                _combine(BT[b], cols, v[a, b])
        return v.reshape(16, self.c, -1)

    def filters(self, w: np.ndarray) -> np.ndarray:
        """U = G w G^T, (16, F, C)."""
        u = GG.astype(w.dtype) @ w.reshape(-1, 9).T  # (16, F*C)
        return u.reshape(16, self.f, self.c)

    def forward(self, x: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> np.ndarray:
        u, v = self.filters(w), self.input_tiles(x)
        m = np.matmul(u, v, out=scratch("gemm", (16, self.f, self.columns),
                                         np.result_type(u, v)))
        m = m.reshape((4, 4, self.f) + self.tiles + (self.n,))
        th, tw = self.tiles
        # Y = A^T M A: along the rows' positions a, then the columns' b, each 2x2 block
        # written where it lies in (F, rows, columns, N)
        y = scratch("wino-x", (self.f, th, 2, tw, 2, self.n), m.dtype)
        half = scratch("wino-half", (4, self.f, th, tw, self.n), m.dtype)
        for r in range(2):
            _combine(AT[r], m, half)
            for s in range(2):
                _combine(AT[s], half, y[:, :, r, :, s])
        y = y.reshape(self.f, 2 * th, 2 * tw, self.n)[:, :self.out[0], :self.out[1]]
        return _layout.batch_first(y, b)

    def output_gradient(self, g: np.ndarray) -> np.ndarray:
        """dM = A dY A^T of every tile, (16, F, tiles)."""
        th, tw = self.tiles
        rows = _taps(_layout.batch_last(g, (0, 0), (2 * th, 2 * tw), role="wino-x"), 1, 2,
                     th)
        dm = scratch("wino-dm", (4, 4, self.f, th, tw, self.n), g.dtype)
        half = scratch("wino-half", (self.f, th, 2 * tw, self.n), g.dtype)
        for a in range(4):
            _combine(AT[:, a], rows, half)
            cols = _taps(half, 2, 2, tw)
            for b in range(4):
                _combine(AT[:, b], cols, dm[a, b])
        return dm.reshape(16, self.f, -1)

    def backward(self, x: np.ndarray, w: np.ndarray, g: np.ndarray, need_dx: bool
                 ) -> tuple[np.ndarray | None, np.ndarray]:
        dm = self.output_gradient(g)
        du = np.matmul(dm, self.input_tiles(x.astype(g.dtype, copy=False)
                                            ).transpose(0, 2, 1))  # (16, F, C)
        dw = (GG.T.astype(du.dtype) @ du.reshape(16, -1)).reshape(3, 3, self.f, self.c)
        dw = dw.transpose(2, 3, 0, 1).astype(w.dtype)
        if not need_dx:
            return None, dw
        ut = self.filters(w.astype(g.dtype, copy=False)).transpose(0, 2, 1)
        dv = np.matmul(ut, dm, out=scratch("gemm", (16, self.c, self.columns), g.dtype))
        return self._input_gradient(dv.reshape((4, 4, self.c) + self.tiles + (self.n,))), dw

    def _input_gradient(self, dv: np.ndarray) -> np.ndarray:
        """dx from dV (4, 4, C, th, tw, N): each tile's ``B dV B^T`` added back onto the
        4x4 input pixels it read (tiles overlap by two rows and two columns)."""
        th, tw = self.tiles
        dxt = scratch("wino-x", (self.c,) + self.grid + (self.n,), dv.dtype)
        dxt.fill(0)
        half = scratch("wino-half", (self.c, th, self.grid[1], self.n), dv.dtype)
        part = scratch("wino-part", (self.c, th, tw, self.n), dv.dtype)
        rows = _taps(dxt, 1, 4, th)
        cols = _taps(half, 2, 4, tw)
        for a in range(4):
            half.fill(0)
            for j in range(4):  # half's column j of each tile gets sum over b of B[j, b] dV
                _combine(BT[:, j], dv[a], part)
                cols[j] += part
            for i in np.flatnonzero(BT[a]):  # row i of each tile gets B[i, a] times that
                if BT[a, i] > 0:
                    rows[i] += half
                else:
                    rows[i] -= half
        (ph, pw), (h, w) = self.pad, self.spatial
        return _layout.batch_first(dxt[:, ph:ph + h, pw:pw + w])


def applies(w_shape: Shape, groups: int, stride: Shape, dilate: Shape) -> bool:
    """Whether F(2x2, 3x3) computes this convolution: 2-D, 3x3, stride 1, no dilation,
    no groups."""
    return (len(w_shape) == 4 and tuple(w_shape[2:]) == (3, 3) and groups == 1
            and tuple(stride) == (1, 1) and tuple(dilate) == (1, 1))
