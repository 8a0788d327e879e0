"""Operators that select elements: slices, NumPy-style indexing and its assignment, pick,
take, one_hot, where, gather_nd and diag."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..base import MinigluonError
from ._kinds import param_samples
from ._mxnet_numerics import as_1d
from ._op import Op, apply, frozen_op, register_op, unbroadcast
from .layout import Concat


@register_op
@frozen_op
class SliceAxis(Op):
    """y = x[begin:end] along axis.   VJP: dx = g placed in zeros at that slice"""

    name = "slice_axis"
    method = "slice_axis"
    view = True
    saves = ("c",)
    axis: int = 0
    begin: int = 0
    end: int | None = None

    def _key(self, ndim):
        key = [slice(None)] * ndim
        key[self.axis] = slice(self.begin, self.end)
        return tuple(key)

    def forward(self, x):
        return x[self._key(x.ndim)], (x.shape,)

    def vjp(self, res, g):
        (shape,) = res
        if isinstance(g, np.ndarray):
            gx = np.zeros(shape, dtype=g.dtype)
            gx[self._key(len(shape))] = g
            return (gx,)
        ax = self.axis % len(shape)
        begin, end, _ = slice(self.begin, self.end).indices(shape[ax])
        lo, hi = list(shape), list(shape)
        lo[ax], hi[ax] = begin, shape[ax] - end
        # g is an NDArray (create_graph=True): the gradient is built by recorded operators
        zlo, zhi = np.zeros(tuple(lo), dtype=g.dtype), np.zeros(tuple(hi), dtype=g.dtype)
        return (apply(Concat(dim=ax), zlo, g, zhi),)

    @classmethod
    def samples(cls, rng):
        return param_samples(cls, rng, ((4, 3), (0, 1, 3)), ((2, 5), (1, -3, None)))


@register_op
@frozen_op
class SliceOp(Op):
    """y = x[begin:end:step] per axis.   VJP: dx = g placed in zeros at that slice"""

    name = "slice"
    method = "slice"
    begin: tuple = ()
    end: tuple = ()
    step: tuple = ()

    def _key(self):
        step = tuple(self.step) or (None,) * len(self.begin)
        return tuple(slice(b, e, s) for b, e, s in zip(self.begin, self.end, step))

    def forward(self, x):
        return x[self._key()].copy(), (x.shape,)

    def vjp(self, res, g):
        gx = np.zeros(res[0], dtype=g.dtype)
        gx[self._key()] = g
        return (gx,)

    @classmethod
    def samples(cls, rng):
        return param_samples(cls, rng, ((4, 3), ((1, 0), (3, 2))), ((5,), ((0,), (5,), (2,))))


def _is_basic(key: tuple) -> bool:
    return all(k is None or k is Ellipsis or isinstance(k, (int, np.integer, slice)) for k in key)


@register_op
@frozen_op
class GetItem(Op):
    """y = x[key] (basic or advanced indexing).   VJP: dx = g scattered back to key"""

    name = "_getitem"
    expose = False
    key: Any = ()

    def forward(self, x):
        y = x[self.key]
        ishape = np.shape(y)  # NumPy's result shape, before MXNet's (1,) rule
        if not isinstance(y, np.ndarray) or y.ndim == 0:
            # MXNet 1.x never returns a 0-d array from indexing: x[1] of a vector is a
            # (1,) view
            y = x[self.key + (None,)]
        elif y.base is not None and not y.flags.c_contiguous:
            y = y.copy()  # MXNet: only contiguous basic slices are views
        return y, (x.shape, x.dtype, ishape)

    def vjp(self, res, g):
        shape, dtype, yshape = res
        gx = np.zeros(shape, dtype=g.dtype)
        g = g.reshape(yshape)
        if _is_basic(self.key):
            gx[self.key] += g
        else:
            np.add.at(gx, self.key, g)  # repeated indices accumulate
        return (gx,)

    @classmethod
    def samples(cls, rng):
        x = rng.normal(size=(4, 3))
        return [(cls((1,)), [x]), (cls((slice(1, 3), 2)), [x]), (cls((np.array([0, 2, 0]),)), [x]),
                (cls((np.array([0, 1]), np.array([2, 0]))), [x]), (cls((1, 2)), [x])]


@register_op
@frozen_op
class SliceAssign(Op):
    """target[key] = v, recorded when v comes from the graph.   VJP: dv = g[key] (unbroadcast)"""

    name = "_slice_assign"
    expose = False
    key: Any = ()
    target_shape: tuple = ()

    def forward(self, v):
        out = np.zeros(self.target_shape, dtype=v.dtype)
        out[self.key] = v
        return out, (v.shape,)

    def vjp(self, res, g):
        part = g[self.key]
        (vshape,) = res
        if part.shape != vshape and part.size == int(np.prod(vshape)):
            return (part.reshape(vshape),)
        return (unbroadcast(part, vshape),)

    @classmethod
    def samples(cls, rng):
        return [(cls((slice(1, 3),), (4, 3)), [rng.normal(size=(2, 3))]),
                (cls((slice(None),), (4, 3)), [rng.normal(size=(3,))])]


@register_op
@frozen_op
class Pick(Op):
    """y[i] = x[i, index[i]] along axis.   VJP: dx = g placed at the picked entries"""

    name = "pick"
    method = "pick"
    inputs = ("data", "index")
    axis: int = -1
    keepdims: bool = False
    mode: str = "clip"

    def _idx(self, x, index):
        ax = self.axis % x.ndim
        n = x.shape[ax]
        idx = index.astype(np.int64)
        idx = np.mod(idx, n) if self.mode == "wrap" else np.clip(idx, 0, n - 1)
        shape = x.shape[:ax] + (1,) + x.shape[ax + 1:]
        return ax, idx.reshape(shape)

    def forward(self, x, index):
        ax, idx = self._idx(x, index)
        y = np.take_along_axis(x, idx, axis=ax)
        return (y if self.keepdims else as_1d(np.squeeze(y, ax))), (x.shape, ax, idx)

    def vjp(self, res, g):
        shape, ax, idx = res
        gx = np.zeros(shape, dtype=g.dtype)
        np.put_along_axis(gx, idx, g.reshape(idx.shape), axis=ax)
        return gx, None

    @classmethod
    def samples(cls, rng):
        x = rng.normal(size=(3, 4))
        return [(cls(), [x, np.array([0.0, 3, 1])]), (cls(axis=0, keepdims=True), [x,
                np.array([2.0, 0, 1, 1])])]


@register_op
@frozen_op
class Take(Op):
    """y = x gathered at indices along axis.   VJP: dx = g added back at the indices"""

    name = "take"
    method = "take"
    inputs = ("a", "indices")
    axis: int = 0
    mode: str = "clip"

    def forward(self, x, indices):
        n = x.shape[self.axis]
        idx = indices.astype(np.int64)
        idx = np.mod(idx, n) if self.mode == "wrap" else np.clip(idx, 0, n - 1)
        return np.take(x, idx, axis=self.axis), (x.shape, idx)

    def vjp(self, res, g):
        shape, idx = res
        gx = np.zeros(shape, dtype=g.dtype)
        ax = self.axis % len(shape)
        moved = np.moveaxis(gx, ax, 0)
        gm = np.moveaxis(g, list(range(ax, ax + idx.ndim)), list(range(idx.ndim)))
        np.add.at(moved, idx, gm)  # a repeated index collects every contribution
        return gx, None

    @classmethod
    def samples(cls, rng):
        x = rng.normal(size=(4, 3))
        return [(cls(), [x, np.array([0.0, 2, 0])]), (cls(axis=1), [x, np.array([[2.0, 1]])])]


@register_op
@frozen_op
class OneHot(Op):
    """y[i, k] = on if indices[i] == k else off.   VJP: none"""

    name = "one_hot"
    method = "one_hot"
    inputs = ("indices",)
    saves = ()
    depth: int = 1
    on_value: float = 1.0
    off_value: float = 0.0
    dtype: Any = "float32"

    def forward(self, idx):
        i = idx.astype(np.int64)
        hot = (i[..., None] == np.arange(self.depth))
        y = np.where(hot, self.on_value, self.off_value).astype(np.dtype(self.dtype))
        return y, ()

    def vjp(self, res, g):
        return (None,)

    @classmethod
    def samples(cls, rng):
        return [(cls(3), [np.array([0.0, 2, 1])])]


@register_op
@frozen_op
class Where(Op):
    """y = x where condition else y.   VJP: dx = g * [cond], dy = g * [not cond]"""

    name = "where"
    inputs = ("condition", "x", "y")
    saves = ("c",)

    def forward(self, cond, x, y):
        c = cond != 0
        if c.shape != x.shape and c.ndim == 1 and c.shape[0] == x.shape[0]:
            c = c.reshape((-1,) + (1,) * (x.ndim - 1))  # MXNet: a 1-D condition picks rows
        return np.where(c, x, y).astype(np.result_type(x, y), copy=False), (c,)

    def vjp(self, res, g):
        (c,) = res
        return None, g * c, g * (c == 0)

    @classmethod
    def samples(cls, rng):
        c = (rng.uniform(size=(3, 4)) > 0.5) * 1.0
        return [(cls(), [c, rng.normal(size=(3, 4)), rng.normal(size=(3, 4))]),
                (cls(), [np.array([1.0, 0, 1]), rng.normal(size=(3, 2)),
                         rng.normal(size=(3, 2))])]


# ---- gathers and diagonals --------------------------------------------------------------

@register_op
@frozen_op
class GatherND(Op):
    """y = x[indices[0], indices[1], ...].   VJP: dx = g added back at those positions"""

    name = "gather_nd"
    inputs = ("data", "indices")

    def forward(self, x, indices):
        key = tuple(indices.astype(np.int64))
        return x[key], (x.shape, key)

    def vjp(self, res, g):
        shape, key = res
        gx = np.zeros(shape, dtype=g.dtype)
        np.add.at(gx, key, g)
        return gx, None

    @classmethod
    def samples(cls, rng):
        return [(cls(), [rng.normal(size=(2, 3)), np.array([[0.0, 1, 1], [2, 0, 2]])])]


@register_op
@frozen_op
class Diag(Op):
    """y = the k-th diagonal of a matrix (of the axis1, axis2 planes of an N-d array, as
    the last axis), or a matrix with a vector x on it.   VJP: the reverse"""

    name = "diag"
    k: int = 0
    axis1: int = 0
    axis2: int = 1

    def forward(self, x):
        if x.ndim == 1:
            return np.diag(x, self.k), (x.shape,)
        h, w = x.shape[self.axis1], x.shape[self.axis2]
        if self.k > w or -self.k > h:  # MXNet's bound (|k| equal to the size gives empty)
            raise MinigluonError(f"diag: diagonal {self.k} does not exist in shape {x.shape}")
        return np.diagonal(x, self.k, self.axis1, self.axis2).copy(), (x.shape,)

    def vjp(self, res, g):
        (shape,) = res
        if len(shape) == 1:
            return (np.diag(g, self.k).copy(),)
        gx = np.zeros(shape, dtype=g.dtype)
        planes = np.moveaxis(gx, (self.axis1, self.axis2), (-2, -1))  # a view of gx
        i = np.arange(g.shape[-1])
        planes[..., i + max(-self.k, 0), i + max(self.k, 0)] = g
        return (gx,)

    @classmethod
    def samples(cls, rng):
        return [(cls(), [rng.normal(size=(3, 3))]), (cls(1), [rng.normal(size=(2, 3))]),
                (cls(-1, axis1=2, axis2=0), [rng.normal(size=(3, 2, 4))]),
                (cls(), [rng.normal(size=(3,))])]
