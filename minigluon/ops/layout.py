"""Operators that lay elements out anew: broadcast_to/axis, tile, repeat, flip, and the
joins concat and stack."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..base import MinigluonError
from ._kinds import param_samples
from ._mxnet_numerics import as_shape
from ._op import Op, frozen_op, normalize_axis, register_op, unbroadcast


@register_op
@frozen_op
class BroadcastTo(Op):
    """y = x repeated along axes of length 1 to a shape (0 keeps).   VJP: dx = unbroadcast(g)"""

    name = "broadcast_to"
    method = "broadcast_to"
    saves = ("c",)
    shape: tuple = ()

    def forward(self, x):
        target = as_shape(self.shape)
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
        return param_samples(cls, rng, ((3, 1), ((3, 4),)), ((4,), ((2, 4),)))


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
        return param_samples(cls, rng, ((3, 1), (1, 4)), ((1, 2, 1), ((0, 2), (2, 3))))


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
        return param_samples(cls, rng, ((2, 3), ((2, 1),)), ((3,), ((2, 2),)))


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
        return param_samples(cls, rng, ((2, 3), (2, 1)), ((2, 3), (3, None)))


@register_op
@frozen_op
class Flip(Op):
    """y = x reversed along axis.   VJP: dx = g reversed along axis"""

    name = "flip"
    method = "flip"
    saves = ()
    axis: Any = 0

    def forward(self, x):
        for a in (self.axis if isinstance(self.axis, (tuple, list)) else (self.axis,)):
            if not 0 <= a < x.ndim:  # MXNet's flip takes no negative axes
                raise MinigluonError(f"flip: axis {a} must be in range [0, {x.ndim})")
        return np.flip(x, axis=self.axis).copy(), ()

    def vjp(self, res, g):
        return (g.flip(axis=self.axis) if not isinstance(g, np.ndarray)
                else np.flip(g, axis=self.axis),)

    @classmethod
    def samples(cls, rng):
        return param_samples(cls, rng, ((2, 3), (1,)), ((2, 3), (0,)))


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
