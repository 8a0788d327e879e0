"""Operators outside the book's chapters that MXNet code often uses: sorting, logic,
a few special functions, gathers, NaN-ignoring sums, and gradient blocking."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import Op, frozen_op, normalize_axis, register_op, unbroadcast
from .elementwise import _broadcast_error, _pair_samples, _unary_samples

_erf = np.vectorize(math.erf, otypes=[np.float64])


# ---- gradient blocking -------------------------------------------------------------------

@register_op
@frozen_op
class BlockGrad(Op):
    """y = x.   VJP: none (the gradient stops here)"""

    name = "BlockGrad"
    saves = ()

    def forward(self, x):
        return x.copy(), ()

    def vjp(self, res, g):
        return (None,)

    @classmethod
    def samples(cls, rng):
        return [(cls(), [rng.normal(size=(3,))])]


@register_op
@frozen_op
class Identity(Op):
    """y = x (a copy).   VJP: dx = g"""

    name = "identity"
    saves = ()

    def forward(self, x):
        return x.copy(), ()

    def vjp(self, res, g):
        return (g,)

    @classmethod
    def samples(cls, rng):
        return [(cls(), [rng.normal(size=(2, 3))])]


# ---- logic: 0/1 in the input dtype, no gradient ------------------------------------------

def _logical(name: str, fn: Any, doc: str) -> None:
    @frozen_op
    class Logical(Op):
        inputs = ("lhs", "rhs")
        saves = ()

        def forward(self, a, b):
            try:
                return fn(a != 0, b != 0).astype(np.result_type(a, b)), ()
            except ValueError:
                _broadcast_error(a, b)

        def vjp(self, res, g):
            return None, None

        @classmethod
        def samples(cls, rng):
            return _pair_samples(cls(), rng)

    Logical.__name__ = Logical.__qualname__ = "".join(p.title() for p in name.split("_"))
    Logical.__doc__ = doc
    Logical.name = name
    register_op(Logical)


for _n, _f, _s in (("logical_and", np.logical_and, "and"), ("logical_or", np.logical_or, "or"),
                   ("logical_xor", np.logical_xor, "xor")):
    _logical(f"broadcast_{_n}", _f, f"y = [a {_s} b] (nonzero is true) as 0/1.   VJP: none")


@register_op
@frozen_op
class LogicalNot(Op):
    """y = [x == 0] as 0/1 in x's dtype.   VJP: none"""

    name = "logical_not"
    saves = ()

    def forward(self, x):
        return (x == 0).astype(x.dtype), ()

    def vjp(self, res, g):
        return (None,)

    @classmethod
    def samples(cls, rng):
        return [(cls(), [np.array([0.0, 1.5, -2.0])])]


# ---- special functions -----------------------------------------------------------------

@register_op
@frozen_op
class Erf(Op):
    """y = erf(x).   VJP: dx = g * 2/sqrt(pi) * exp(-x**2)"""

    name = "erf"
    method = "erf"

    def forward(self, x):
        return _erf(x).astype(x.dtype, copy=False).reshape(x.shape), (x,)

    def vjp(self, res, g):
        (x,) = res
        return (g * (2 / math.sqrt(math.pi)) * np.exp(-x * x),)

    @classmethod
    def samples(cls, rng):
        return _unary_samples(cls(), rng)


@register_op
@frozen_op
class Hypot(Op):
    """y = sqrt(a**2 + b**2).   VJP: da = g a / y, db = g b / y"""

    name = "broadcast_hypot"
    inputs = ("lhs", "rhs")

    def forward(self, a, b):
        try:
            y = np.hypot(a, b)
        except ValueError:
            _broadcast_error(a, b)
        return y, (a, b, y)

    def vjp(self, res, g):
        a, b, y = res
        return unbroadcast(g * a / y, a.shape), unbroadcast(g * b / y, b.shape)

    @classmethod
    def samples(cls, rng):
        return _pair_samples(cls(), rng, low=0.5, high=2)


@register_op
@frozen_op
class SmoothL1(Op):
    """y = (s x)**2 / 2 if |x| < 1/s**2 else |x| - 1/(2 s**2).   VJP: dx = g s**2 x, or g sign(x)"""

    name = "smooth_l1"
    scalar: float = 1.0

    def forward(self, x):
        s2 = self.scalar ** 2
        inner = np.abs(x) < 1 / s2
        y = np.where(inner, 0.5 * s2 * x * x, np.abs(x) - 0.5 / s2).astype(x.dtype, copy=False)
        return y, (x, inner)

    def vjp(self, res, g):
        x, inner = res
        return (g * np.where(inner, self.scalar ** 2 * x, np.sign(x)).astype(x.dtype),)

    @classmethod
    def samples(cls, rng):
        return [(cls(), [np.array([-2.0, -0.5, 0.3, 1.5])]),
                (cls(2.0), [np.array([-0.6, -0.1, 0.2, 0.9])])]


@register_op
@frozen_op
class HardSigmoid(Op):
    """y = clip(alpha x + beta, 0, 1).   VJP: dx = g alpha where 0 < y < 1"""

    name = "hard_sigmoid"
    alpha: float = 0.2
    beta: float = 0.5

    def forward(self, x):
        y = np.clip(self.alpha * x + self.beta, 0, 1).astype(x.dtype, copy=False)
        return y, (y,)

    def vjp(self, res, g):
        (y,) = res
        return (g * self.alpha * ((y > 0) & (y < 1)),)

    @classmethod
    def samples(cls, rng):
        return [(cls(), [np.array([-3.1, -1.0, 0.4, 2.0, 3.3])])]


# ---- NaN-ignoring reductions ------------------------------------------------------------

def _keep(g: Any, shape: tuple[int, ...], axes: tuple[int, ...] | None) -> Any:
    return g.reshape(tuple(1 if axes is None or i in axes else s for i, s in enumerate(shape)))


@register_op
@frozen_op
class NanSum(Op):
    """y = sum of x over axis, NaN counted as 0.   VJP: dx = g where x is not NaN, else 0"""

    name = "nansum"
    axis: Any = None
    keepdims: bool = False

    def forward(self, x):
        axes = normalize_axis(self.axis, x.ndim)
        y = np.asarray(np.nansum(x, axis=axes, keepdims=self.keepdims)).astype(x.dtype)
        return (y.reshape(1) if y.ndim == 0 else y), (x, axes)

    def vjp(self, res, g):
        x, axes = res
        return (np.broadcast_to(_keep(g, x.shape, axes), x.shape) * ~np.isnan(x),)

    @classmethod
    def samples(cls, rng):
        x = rng.normal(size=(3, 4))
        return [(cls(), [x]), (cls(axis=1), [x])]


@register_op
@frozen_op
class NanProd(Op):
    """y = product of x over axis, NaN counted as 1.   VJP: dx = g y / x where x is not NaN"""

    name = "nanprod"
    axis: Any = None
    keepdims: bool = False

    def forward(self, x):
        axes = normalize_axis(self.axis, x.ndim)
        y = np.asarray(np.nanprod(x, axis=axes, keepdims=self.keepdims)).astype(x.dtype)
        return (y.reshape(1) if y.ndim == 0 else y), (x, y, axes)

    def vjp(self, res, g):
        x, y, axes = res
        return (np.where(np.isnan(x), 0, _keep(g * y, x.shape, axes) / x),)

    @classmethod
    def samples(cls, rng):
        x = rng.uniform(0.5, 2, size=(3, 4))
        return [(cls(), [x]), (cls(axis=0), [x])]


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
    """y = the k-th diagonal of a matrix, or a matrix with x on it.   VJP: the reverse"""

    name = "diag"
    k: int = 0

    def forward(self, x):
        return np.diag(x, self.k).copy(), (x.shape,)

    def vjp(self, res, g):
        (shape,) = res
        if len(shape) == 1:
            return (np.diag(g, self.k).copy(),)
        gx = np.zeros(shape, dtype=g.dtype)
        i = np.arange(len(g))
        gx[i + max(-self.k, 0), i + max(self.k, 0)] = g
        return (gx,)

    @classmethod
    def samples(cls, rng):
        return [(cls(), [rng.normal(size=(3, 3))]), (cls(1), [rng.normal(size=(2, 3))]),
                (cls(), [rng.normal(size=(3,))])]


# ---- sorting ------------------------------------------------------------------------------

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
        if self.axis is None:
            x = x.reshape(-1)
        ax = -1 if self.axis is None else self.axis
        idx = _sorted_index(x, ax, self.is_ascend)
        return np.take_along_axis(x, idx, axis=ax), (x.shape, idx, ax)

    def vjp(self, res, g):
        shape, idx, ax = res
        gx = np.zeros(shape, dtype=g.dtype)
        np.put_along_axis(gx, idx, g, axis=ax)
        return (gx,)

    @classmethod
    def samples(cls, rng):
        x = rng.normal(size=(3, 4))
        return [(cls(), [x]), (cls(axis=0, is_ascend=False), [x])]


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
