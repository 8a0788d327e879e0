"""Operators that move, select or combine elements: reshape, transpose, indexing, concat,
pick, take, where, clip, casts."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..base import MinigluonError
from . import Op, apply, frozen_op, normalize_axis, register_op, unbroadcast


def _mx_shape(shape: Any) -> tuple[int, ...]:
    return (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(s) for s in shape)


def _as_mx(y: np.ndarray) -> np.ndarray:
    return y.reshape(1) if y.ndim == 0 else y


def infer_reshape(src: tuple[int, ...], shape: tuple[int, ...], reverse: bool = False
                  ) -> tuple[int, ...]:
    """Resolve MXNet's reshape codes: 0 copies a dimension, -1 infers one, -2 copies the
    rest, -3 merges two dimensions, -4 splits one into the next two values."""
    if reverse:
        return tuple(reversed(infer_reshape(tuple(reversed(src)), tuple(reversed(shape)))))
    if all(s > 0 for s in shape):  # no codes: NumPy checks the size itself
        return shape
    out: list[int] = []
    i = j = 0
    while j < len(shape):
        s = shape[j]
        if s == 0:
            out.append(src[i])
            i += 1
        elif s == -1:
            out.append(-1)
            i += 1
        elif s == -2:
            out.extend(src[i:])
            i = len(src)
        elif s == -3:
            out.append(src[i] * src[i + 1])
            i += 2
        elif s == -4:
            a, b = shape[j + 1], shape[j + 2]
            if a == -1:
                a = src[i] // b
            if b == -1:
                b = src[i] // a
            out.extend([a, b])
            i += 1
            j += 2
        else:
            out.append(s)
            i += 1
        j += 1
    size = math.prod(src)
    if out.count(-1) == 1:
        known = math.prod(d for d in out if d != -1)
        if known == 0 or size % known:
            raise ValueError(f"Cannot reshape array of size {size} into shape {shape}")
        out[out.index(-1)] = size // known
    if math.prod(out) != size or out.count(-1) > 1:
        raise ValueError(f"Cannot reshape array of size {size} into shape {shape}")
    return tuple(out)


def _shape_samples(cls, rng, *params):
    return [(cls(*p), [rng.normal(size=s)]) for s, p in params]


@register_op
@frozen_op
class Reshape(Op):
    """y = x with a new shape (MXNet codes 0, -1, -2, -3, -4).   VJP: dx = g reshaped back"""

    name = "reshape"
    view = True
    saves = ("c",)
    shape: tuple = ()
    reverse: bool = False

    def forward(self, x):
        shape = infer_reshape(x.shape, _mx_shape(self.shape), self.reverse)
        try:
            return x.reshape(shape), (x.shape,)
        except ValueError:
            raise ValueError(f"Cannot reshape array of size {x.size} into shape "
                             f"{tuple(self.shape)}") from None

    def vjp(self, res, g):
        return (g.reshape(res[0]),)

    @classmethod
    def samples(cls, rng):
        return _shape_samples(cls, rng, ((2, 6), ((3, -1),)), ((2, 3, 4), ((0, -1),)),
                              ((2, 3, 4), ((-3, 4),)))


@register_op
@frozen_op
class Transpose(Op):
    """y = x with axes permuted (reversed by default).   VJP: dx = g with the inverse perm"""

    name = "transpose"
    method = "transpose"
    saves = ("c",)
    axes: Any = None

    def forward(self, x):
        axes = tuple(range(x.ndim))[::-1] if not self.axes else tuple(self.axes)
        # a copy, as in MXNet: writing into x.T must not change x
        return np.ascontiguousarray(np.transpose(x, axes)), (axes,)

    def vjp(self, res, g):
        return (g.transpose(tuple(np.argsort(res[0]))),)

    @classmethod
    def samples(cls, rng):
        return _shape_samples(cls, rng, ((2, 3), ()), ((2, 3, 4), ((1, 2, 0),)))


@register_op
@frozen_op
class SwapAxes(Op):
    """y = x with two axes exchanged.   VJP: dx = g with the same axes exchanged"""

    name = "swapaxes"
    method = "swapaxes"
    saves = ()
    dim1: int = 0
    dim2: int = 0

    def forward(self, x):
        return np.swapaxes(x, self.dim1, self.dim2), ()

    def vjp(self, res, g):
        return (g.swapaxes(self.dim1, self.dim2),)

    @classmethod
    def samples(cls, rng):
        return _shape_samples(cls, rng, ((2, 3, 4), (0, 2)))


@register_op
@frozen_op
class ExpandDims(Op):
    """y = x with a new axis of length 1.   VJP: dx = g without that axis"""

    name = "expand_dims"
    method = "expand_dims"
    view = True
    saves = ("c",)
    axis: int = 0

    def forward(self, x):
        return np.expand_dims(x, self.axis), (x.shape,)

    def vjp(self, res, g):
        return (g.reshape(res[0]),)

    @classmethod
    def samples(cls, rng):
        return _shape_samples(cls, rng, ((2, 3), (1,)), ((3,), (-1,)))


@register_op
@frozen_op
class Squeeze(Op):
    """y = x without axes of length 1.   VJP: dx = g reshaped back"""

    name = "squeeze"
    method = "squeeze"
    view = True
    saves = ("c",)
    axis: Any = None

    def forward(self, x):
        y = np.squeeze(x, axis=normalize_axis(self.axis, x.ndim))
        return _as_mx(y), (x.shape,)

    def vjp(self, res, g):
        return (g.reshape(res[0]),)

    @classmethod
    def samples(cls, rng):
        return _shape_samples(cls, rng, ((2, 1, 3), ()), ((1, 3, 1), (0,)))


@register_op
@frozen_op
class Flatten(Op):
    """y = x reshaped to (x.shape[0], -1).   VJP: dx = g reshaped back"""

    name = "flatten"
    method = "flatten"
    view = True
    saves = ("c",)

    def forward(self, x):
        if x.ndim == 0:
            raise MinigluonError("flatten needs an array with at least one dimension")
        return x.reshape(x.shape[0], -1), (x.shape,)

    def vjp(self, res, g):
        return (g.reshape(res[0]),)

    @classmethod
    def samples(cls, rng):
        return _shape_samples(cls, rng, ((2, 3, 4), ()), ((3,), ()))


@register_op
@frozen_op
class BroadcastTo(Op):
    """y = x repeated along axes of length 1 to a shape (0 keeps).   VJP: dx = unbroadcast(g)"""

    name = "broadcast_to"
    method = "broadcast_to"
    saves = ("c",)
    shape: tuple = ()

    def forward(self, x):
        target = _mx_shape(self.shape)
        target = tuple(x.shape[i - (len(target) - x.ndim)] if s == 0 else s
                       for i, s in enumerate(target))
        try:
            return np.broadcast_to(x, target).copy(), (x.shape,)
        except ValueError:
            raise MinigluonError(f"cannot broadcast shape {x.shape} to {target}") from None

    def vjp(self, res, g):
        return (unbroadcast(g, res[0]),)

    @classmethod
    def samples(cls, rng):
        return _shape_samples(cls, rng, ((3, 1), ((3, 4),)), ((4,), ((2, 4),)))


@register_op
@frozen_op
class BroadcastAxis(Op):
    """y = x repeated along given axes of length 1.   VJP: dx = g summed over those axes"""

    name = "broadcast_axis"
    method = "broadcast_axis"
    saves = ("c",)
    axis: Any = ()
    size: Any = ()

    def forward(self, x):
        axes = normalize_axis(self.axis, x.ndim) or ()
        sizes = (self.size,) if isinstance(self.size, int) else tuple(self.size)
        target = list(x.shape)
        for a, s in zip(axes, sizes):
            target[a] = s
        return np.broadcast_to(x, target).copy(), (x.shape,)

    def vjp(self, res, g):
        return (unbroadcast(g, res[0]),)

    @classmethod
    def samples(cls, rng):
        return _shape_samples(cls, rng, ((3, 1), (1, 4)), ((1, 2, 1), ((0, 2), (2, 3))))


@register_op
@frozen_op
class Tile(Op):
    """y = x tiled reps times.   VJP: dx = g summed over the tiles"""

    name = "tile"
    method = "tile"
    reps: tuple = ()

    def forward(self, x):
        y = np.tile(x, self.reps)
        return y, (x.shape,)

    def vjp(self, res, g):
        (shape,) = res
        reps = (1,) * (g.ndim - len(self.reps)) + tuple(self.reps)
        xs = (1,) * (g.ndim - len(shape)) + tuple(shape)
        split = []
        for r, s in zip(reps, xs):
            split += [r, s]
        gx = g.reshape(split).sum(axis=tuple(range(0, 2 * g.ndim, 2)))
        return (gx.reshape(shape),)

    @classmethod
    def samples(cls, rng):
        return _shape_samples(cls, rng, ((2, 3), ((2, 1),)), ((3,), ((2, 2),)))


@register_op
@frozen_op
class Repeat(Op):
    """y = each element of x repeated along axis.   VJP: dx = g summed over the repeats"""

    name = "repeat"
    method = "repeat"
    repeats: int = 1
    axis: int | None = None

    def forward(self, x):
        return np.repeat(x, self.repeats, axis=self.axis), (x.shape,)

    def vjp(self, res, g):
        (shape,) = res
        if self.axis is None:
            return (g.reshape(-1, self.repeats).sum(axis=1).reshape(shape),)
        ax = self.axis % len(shape)
        split = shape[:ax] + (shape[ax], self.repeats) + shape[ax + 1:]
        return (g.reshape(split).sum(axis=ax + 1),)

    @classmethod
    def samples(cls, rng):
        return _shape_samples(cls, rng, ((2, 3), (2, 1)), ((2, 3), (3, None)))


@register_op
@frozen_op
class Flip(Op):
    """y = x reversed along axis.   VJP: dx = g reversed along axis"""

    name = "flip"
    method = "flip"
    saves = ()
    axis: Any = 0

    def forward(self, x):
        return np.flip(x, axis=self.axis).copy(), ()

    def vjp(self, res, g):
        return (g.flip(axis=self.axis) if not isinstance(g, np.ndarray)
                else np.flip(g, axis=self.axis),)

    @classmethod
    def samples(cls, rng):
        return _shape_samples(cls, rng, ((2, 3), (1,)), ((2, 3), (0,)))


@register_op
@frozen_op
class Concat(Op):
    """y = inputs joined along dim.   VJP: each input gets its slice of g"""

    name = "concat"
    inputs = ("*data",)
    saves = ("c",)
    dim: int = 1

    def forward(self, *xs):
        nd0 = xs[0].ndim
        if not -nd0 <= self.dim < nd0:
            raise MinigluonError(f"concat: axis {self.dim} exceeds the input dimension of {nd0}")
        try:
            y = np.concatenate(xs, axis=self.dim)
        except ValueError:
            raise MinigluonError("concat: the inputs' shapes "
                                 f"{', '.join(str(x.shape) for x in xs)} differ outside axis "
                                 f"{self.dim}") from None
        return y, (np.cumsum([x.shape[self.dim] for x in xs])[:-1],)

    def vjp(self, res, g):
        if isinstance(g, np.ndarray):
            return np.split(g, res[0], axis=self.dim)
        bounds = [0, *res[0].tolist(), g.shape[self.dim]]
        return [g.slice_axis(axis=self.dim, begin=b, end=e) for b, e in zip(bounds, bounds[1:])]

    @classmethod
    def samples(cls, rng):
        n = rng.normal
        return [(cls(), [n(size=(2, 3)), n(size=(2, 1))]),
                (cls(dim=0), [n(size=(2,)), n(size=(3,)), n(size=(1,))])]


@register_op
@frozen_op
class Stack(Op):
    """y = inputs stacked along a new axis.   VJP: input i gets g[..., i, ...]"""

    name = "stack"
    inputs = ("*data",)
    axis: int = 0

    def forward(self, *xs):
        try:
            return np.stack(xs, axis=self.axis), ()
        except ValueError:
            raise MinigluonError("stack: all inputs need the same shape, got "
                                 f"{', '.join(str(x.shape) for x in xs)}") from None

    def vjp(self, res, g):
        return [np.take(g, i, axis=self.axis) for i in range(g.shape[self.axis])]

    @classmethod
    def samples(cls, rng):
        n = rng.normal
        return [(cls(), [n(size=(2, 3)), n(size=(2, 3))]), (cls(axis=1), [n(size=(3,))] * 2)]


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
        return _shape_samples(cls, rng, ((4, 3), (0, 1, 3)), ((2, 5), (1, -3, None)))


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
        return _shape_samples(cls, rng, ((4, 3), ((1, 0), (3, 2))), ((5,), ((0,), (5,), (2,))))


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
        return (y if self.keepdims else _as_mx(np.squeeze(y, ax))), (x.shape, ax, idx)

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


@register_op
@frozen_op
class Clip(Op):
    """y = min(max(x, a_min), a_max).   VJP: dx = g * [a_min <= x <= a_max]"""

    name = "clip"
    method = "clip"
    a_min: float = 0.0
    a_max: float = 1.0
    saves = ("c",)

    def forward(self, x):
        # MXNet passes the bounds as C floats: float64 data is clipped at float32(a_min)
        lo, hi = float(np.float32(self.a_min)), float(np.float32(self.a_max))
        y = np.clip(x, lo, hi).astype(x.dtype, copy=False)
        return y, ((x >= lo) & (x <= hi),)

    def vjp(self, res, g):
        return (g * res[0],)

    @classmethod
    def samples(cls, rng):
        return _shape_samples(cls, rng, ((3, 4), (-0.5, 0.7)))


@register_op
@frozen_op
class Cast(Op):
    """y = x converted to dtype.   VJP: dx = g converted back to x's dtype"""

    name = "cast"
    saves = ("c",)
    dtype: Any = "float32"

    def forward(self, x):
        return x.astype(np.dtype(self.dtype)), (x.dtype,)

    def vjp(self, res, g):
        return (g.astype(res[0]),)

    @classmethod
    def samples(cls, rng):
        return _shape_samples(cls, rng, ((3,), ("float64",)))


@register_op
@frozen_op
class Copy(Op):
    """y = a copy of x.   VJP: dx = g"""

    name = "_copy"
    expose = False
    saves = ()

    def forward(self, x):
        return x.copy(), ()

    def vjp(self, res, g):
        return (g,)

    @classmethod
    def samples(cls, rng):
        return _shape_samples(cls, rng, ((2, 3), ()))
