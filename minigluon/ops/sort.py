"""Sorting: sort, argsort and top-k along an axis (stable, as MXNet's)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._op import Op, frozen_op, register_op


def _sorted_index(x: np.ndarray, axis: int, ascend: bool) -> np.ndarray:
    # a stable sort; descending keeps equal elements in their original order too
    return np.argsort(x if ascend else -x, axis=axis, kind="stable")


@register_op
@frozen_op
class Sort(Op):
    """y = x sorted along axis.   VJP: dx = g put back where each element came from"""

    name = "sort"
    method = "sort"
    axis: int | None = -1
    is_ascend: bool = True

    def forward(self, x):
        shape = x.shape
        if self.axis is None:
            x = x.reshape(-1)
        ax = -1 if self.axis is None else self.axis
        idx = _sorted_index(x, ax, self.is_ascend)
        return np.take_along_axis(x, idx, axis=ax), (shape, idx, ax)

    def vjp(self, res, g):
        shape, idx, ax = res
        gx = np.zeros(idx.shape, dtype=g.dtype)
        np.put_along_axis(gx, idx, g, axis=ax)
        return (gx.reshape(shape),)  # axis=None sorted the flattened array

    @classmethod
    def samples(cls, rng):
        x = rng.normal(size=(3, 4))
        return [(cls(), [x]), (cls(axis=0, is_ascend=False), [x]), (cls(axis=None), [x])]


@register_op
@frozen_op
class Argsort(Op):
    """y = the indices that sort x along axis (as floats by default).   VJP: none"""

    name = "argsort"
    method = "argsort"
    saves = ()
    axis: int | None = -1
    is_ascend: bool = True
    dtype: Any = "float32"

    def forward(self, x):
        if self.axis is None:
            x = x.reshape(-1)
        idx = _sorted_index(x, -1 if self.axis is None else self.axis, self.is_ascend)
        return idx.astype(np.dtype(self.dtype)), ()

    def vjp(self, res, g):
        return (None,)

    @classmethod
    def samples(cls, rng):
        return [(cls(), [rng.normal(size=(3, 4))])]


@register_op
@frozen_op
class TopK(Op):
    """y = the k largest (or smallest) along axis: indices, values or a mask.
    VJP: dx = g put back at the chosen elements (values only)"""

    name = "_topk"
    expose = False
    axis: int | None = -1
    k: int = 1
    ret_typ: str = "indices"
    is_ascend: bool = False
    dtype: Any = "float32"

    def forward(self, x):
        flat = self.axis is None
        xs = x.reshape(-1) if flat else x
        ax = -1 if flat else self.axis
        idx = np.take(_sorted_index(xs, ax, self.is_ascend), range(self.k), axis=ax)
        if self.ret_typ == "value":
            return np.take_along_axis(xs, idx, axis=ax), (xs.shape, x.shape, idx, ax)
        if self.ret_typ == "mask":
            mask = np.zeros(xs.shape, dtype=x.dtype)
            np.put_along_axis(mask, idx, 1, axis=ax)
            return mask.reshape(x.shape), ()
        return idx.astype(np.dtype(self.dtype)), ()

    def vjp(self, res, g):
        if self.ret_typ != "value":
            return (None,)
        shape, xshape, idx, ax = res
        gx = np.zeros(shape, dtype=g.dtype)
        np.put_along_axis(gx, idx, g, axis=ax)
        return (gx.reshape(xshape),)

    @classmethod
    def samples(cls, rng):
        x = rng.normal(size=(3, 4))
        return [(cls(k=2, ret_typ="value"), [x]), (cls(axis=0, k=2, ret_typ="value"), [x]),
                (cls(k=2), [x])]
