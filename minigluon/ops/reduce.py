"""Reductions. As in MXNet 1.x, reducing every axis gives shape (1,), never a 0-d array."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._mxnet_numerics import as_1d
from ._op import Op, frozen_op, normalize_axis, register_op

#: _axes's answers: a loss reduces the same axes of the same rank at every step, and
#: working them out costs about as much as a small reduction
_AXES: dict[tuple, tuple[int, ...] | None] = {}


def _axes(axis: Any, ndim: int, exclude: bool) -> tuple[int, ...] | None:
    """The axes to reduce (``None``: all) for the ``axis``/``exclude`` parameters."""
    key = (axis.__class__, axis, ndim, exclude)  # the class: 1.0 == 1 but is no axis
    try:
        ax = _AXES.get(key, False)
    except TypeError:  # a list: not hashable
        return _find_axes(axis, ndim, exclude)
    if ax is False:
        if len(_AXES) >= 256:
            _AXES.clear()
        ax = _AXES[key] = _find_axes(axis, ndim, exclude)  # errors are not cached
    return ax


def _find_axes(axis: Any, ndim: int, exclude: bool) -> tuple[int, ...] | None:
    # MXNet reads an empty axis tuple as "all axes" (NumPy would reduce none)
    ax = normalize_axis(None if isinstance(axis, (tuple, list)) and not axis else axis, ndim)
    if exclude:
        ax = tuple(i for i in range(ndim) if i not in (ax or ()))
    return ax


def _expand(g: Any, shape: tuple[int, ...], axes: tuple[int, ...] | None) -> Any:
    """Reshape a reduced gradient so it broadcasts against the input shape."""
    kept = tuple(1 if axes is None or i in axes else s for i, s in enumerate(shape))
    return g.reshape(kept)


def _broadcast_back(g: Any, shape: tuple[int, ...]) -> Any:
    # a read-only broadcast view for NumPy; an operator for NDArrays (higher order)
    if isinstance(g, np.ndarray):
        return np.broadcast_to(g, shape)
    return g.broadcast_to(shape)


def _reduce_samples(cls, rng, low=-2.0, high=2.0):
    x = rng.uniform(low, high, (3, 4))
    return [(cls(), [x]), (cls(axis=0), [x]), (cls(axis=1, keepdims=True), [x]),
            (cls(axis=(0, 2)), [rng.uniform(low, high, (2, 3, 2))]),
            (cls(axis=-1), [rng.uniform(low, high, (5,))])]


@frozen_op
class _Reduce(Op):
    axis: Any = None
    keepdims: bool = False
    exclude: bool = False

    def _out(self, x, fn):
        # fn is an ndarray method (x.sum ...): NumPy's function forms add a dispatch layer
        axes = _axes(self.axis, x.ndim, self.exclude)
        return as_1d(fn(x, axis=axes, keepdims=self.keepdims)), axes


@register_op
@frozen_op
class Sum(_Reduce):
    """y = sum of x over axis.   VJP: dx = g broadcast back to x's shape"""

    name = "sum"
    method = "sum"
    saves = ("c", "c")

    def forward(self, x):
        y, axes = self._out(x, np.ndarray.sum)
        return y.astype(x.dtype, copy=False), (x.shape, axes)  # int32 sums stay int32

    def vjp(self, res, g):
        shape, axes = res
        return (_broadcast_back(_expand(g, shape, axes), shape),)

    @classmethod
    def samples(cls, rng):
        return _reduce_samples(cls, rng)


@register_op
@frozen_op
class SumOfSquares(Op):
    """y = sum(x**2) over every element, shape (1,).   VJP: dx = 2 g x

    What an L2 penalty needs, fused: ``(x ** 2).sum()`` writes the squares to a new
    array and reads them back, while a dot product of ``x`` with itself is one BLAS
    pass (6 against 39 us on a 784x256 float32 weight), and the gradient is one
    product instead of the square's two.
    """

    name = "_sum_of_squares"
    expose = False
    saves = ("x0",)

    def forward(self, x):
        flat = x.reshape(-1)
        if x.dtype.kind != "f":  # BLAS is for floats; keep the dtype of x * x
            return as_1d((flat * flat).sum()).astype(x.dtype, copy=False), (x,)
        return as_1d(np.dot(flat, flat)).astype(x.dtype, copy=False), (x,)

    def vjp(self, res, g):
        (x,) = res
        if isinstance(x, np.ndarray) and isinstance(g, np.ndarray):
            return (x * (2 * g).astype(x.dtype, copy=False),)  # g has shape (1,)
        return (_broadcast_back(_expand(g, x.shape, None), x.shape) * x * 2,)

    @classmethod
    def samples(cls, rng):
        return [(cls(), [rng.uniform(-2, 2, (3, 4))]), (cls(), [rng.uniform(-2, 2, (5,))]),
                (cls(), [rng.uniform(-2, 2, (2, 3, 2))])]


#: the largest count a float dtype holds exactly (Mean's fast path divides by it)
_EXACT_COUNT = {np.dtype(np.float32): 2**24, np.dtype(np.float64): 2**53}


@register_op
@frozen_op
class Mean(_Reduce):
    """y = mean of x over axis.   VJP: dx = g / n broadcast back (n reduced elements)"""

    name = "mean"
    method = "mean"
    saves = ("c", "c")

    def forward(self, x):
        axes = _axes(self.axis, x.ndim, self.exclude)
        n = math.prod(x.shape[i] for i in (range(x.ndim) if axes is None else axes))
        if 0 < n <= _EXACT_COUNT.get(x.dtype, 0):
            # np.mean's own steps (numpy/_core/_methods.py, _mean) without its Python layer,
            # which costs more than the arithmetic on small arrays: the same sum, then the
            # division by the count. np.mean divides by an intp, i.e. in float64, then
            # rounds to float32; dividing in float32 by the (exactly representable) count
            # gives the same bits, because a quotient rounded to 53 bits and then to 24 is
            # the quotient rounded to 24 bits (53 >= 2*24 + 2). Other dtypes, empty or huge
            # reductions take np.mean itself. (The count as a scalar of x's dtype: NumPy 1.x
            # would promote a float32 0-d sum divided by a Python int to float64.)
            y = np.add.reduce(x, axis=axes, keepdims=self.keepdims) / x.dtype.type(n)
            return as_1d(y), (x.shape, axes)
        y = as_1d(np.ndarray.mean(x, axis=axes, keepdims=self.keepdims))
        return y.astype(x.dtype, copy=False), (x.shape, axes)

    def vjp(self, res, g):
        shape, axes = res
        n = math.prod(shape[i] for i in (axes if axes is not None else range(len(shape))))
        return (_broadcast_back(_expand(g, shape, axes) / max(n, 1), shape),)

    @classmethod
    def samples(cls, rng):
        return _reduce_samples(cls, rng)


@register_op
@frozen_op
class Prod(_Reduce):
    """y = product of x over axis.   VJP: dx = g * y / x"""

    name = "prod"
    method = "prod"

    def forward(self, x):
        y, axes = self._out(x, np.ndarray.prod)
        y = y.astype(x.dtype, copy=False)
        return y, (x, y, axes)

    def vjp(self, res, g):
        x, y, axes = res
        return (_expand(g * y, x.shape, axes) / x,)

    @classmethod
    def samples(cls, rng):
        return _reduce_samples(cls, rng, 0.5, 2)


@frozen_op
class _Extreme(_Reduce):
    fn = staticmethod(np.ndarray.max)

    def forward(self, x):
        y, axes = self._out(x, type(self).fn)
        return y, (x, y, axes)

    def vjp(self, res, g):
        x, y, axes = res
        # as in MXNet, every element equal to the extreme gets the whole gradient
        return (_expand(g, x.shape, axes) * (x == _expand(y, x.shape, axes)),)

    @classmethod
    def samples(cls, rng):
        return _reduce_samples(cls, rng)


@register_op
@frozen_op
class Max(_Extreme):
    """y = max of x over axis.   VJP: dx = g where x equals the max (shared on ties)"""

    name = "max"
    method = "max"
    fn = staticmethod(np.ndarray.max)


@register_op
@frozen_op
class Min(_Extreme):
    """y = min of x over axis.   VJP: dx = g where x equals the min (shared on ties)"""

    name = "min"
    method = "min"
    fn = staticmethod(np.ndarray.min)


def _int_nrm2(x: np.ndarray, axes: tuple[int, ...] | None) -> np.ndarray:
    """The L2 norm of an integer array as MXNet computes it: its scaled nrm2 reducer run
    in the integer dtype itself, so the ratios are C integer divisions (norm([3, 4]) is
    4, not 5), then scale * sqrt(sum) in float32, truncated."""
    red = tuple(range(x.ndim)) if axes is None else axes
    kept = [i for i in range(x.ndim) if i not in red]
    flat = np.abs(np.transpose(x, kept + list(red)).astype(np.int64))
    flat = flat.reshape([x.shape[i] for i in kept] + [-1])
    ssq = np.zeros(flat.shape[:-1], dtype=np.int64)
    scale = np.zeros_like(ssq)
    for j in range(flat.shape[-1]):  # in MXNet's order: the reduced elements one by one
        a = flat[..., j]
        up = (a != 0) & (scale < a)
        r = scale // np.where(a == 0, 1, a)
        q = a // np.where(scale == 0, 1, scale)
        ssq = np.where(up, 1 + ssq * r * r, np.where(a != 0, ssq + q * q, ssq))
        scale = np.where(up, a, scale)
    y = scale.astype(np.float32) * np.sqrt(ssq.astype(np.float32))
    return y.astype(x.dtype)


@register_op
@frozen_op
class Norm(Op):
    """y = sqrt(sum(x**2)) over axis (ord=2) or sum|x| (ord=1).   VJP: dx = g x / y, g sign(x)"""

    name = "norm"
    method = "norm"
    ord: int = 2
    axis: Any = None
    keepdims: bool = False

    def forward(self, x):
        axes = normalize_axis(self.axis, x.ndim)
        if self.ord == 1:
            y = np.abs(x).sum(axis=axes, keepdims=self.keepdims)
        elif self.ord == 2 and x.dtype.kind in "iu":
            y = _int_nrm2(x, axes)
            if self.keepdims:
                y = y.reshape(tuple(1 if axes is None or i in axes else d
                                    for i, d in enumerate(x.shape)))
        elif self.ord == 2:
            # scaled by the largest |x| (as BLAS nrm2 does): no overflow, and MXNet's digits
            m = np.abs(x).max(axis=axes, keepdims=True) if x.size else np.ones((1,) * x.ndim)
            m = np.where(m == 0, 1, m).astype(x.dtype, copy=False)
            y = np.sqrt(((x / m) ** 2).sum(axis=axes, keepdims=True)) * m
            if not self.keepdims:
                y = y.reshape(()) if axes is None else np.squeeze(y, axis=axes)
        else:
            raise ValueError(f"norm supports ord=1 or ord=2, got ord={self.ord}")
        y = as_1d(y).astype(x.dtype, copy=False)
        return y, (x, y, axes)

    def vjp(self, res, g):
        x, y, axes = res
        if self.ord == 1:
            return (_expand(g, x.shape, axes) * np.sign(x),)
        ye = _expand(y, x.shape, axes)
        safe = np.where(ye == 0, 1, ye)
        return (_expand(g, x.shape, axes) * x / safe,)

    @classmethod
    def samples(cls, rng):
        x = rng.uniform(-2, 2, (3, 4))
        return [(cls(), [x]), (cls(axis=1), [x]), (cls(ord=1, axis=0, keepdims=True), [x])]


@frozen_op
class _ArgExtreme(Op):
    axis: Any = None
    keepdims: bool = False
    saves = ()

    def forward(self, x):
        fn = np.argmax if self.name == "argmax" else np.argmin
        if self.axis is None:
            y = np.asarray(fn(x)).reshape((1,) * x.ndim if self.keepdims else (1,))
        else:
            y = fn(x, axis=int(self.axis), keepdims=self.keepdims)
        # MXNet returns the indices in the input's dtype (float32 for a float32 input)
        return as_1d(y).astype(x.dtype), ()

    def vjp(self, res, g):
        return (None,)

    @classmethod
    def samples(cls, rng):
        return [(cls(axis=1), [rng.normal(size=(3, 4))])]


@register_op
@frozen_op
class Argmax(_ArgExtreme):
    """y = index of the max along axis (in x's dtype).   VJP: none"""

    name = "argmax"
    method = "argmax"


@register_op
@frozen_op
class Argmin(_ArgExtreme):
    """y = index of the min along axis (in x's dtype).   VJP: none"""

    name = "argmin"
    method = "argmin"


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
    exclude: bool = False

    def forward(self, x):
        axes = _axes(self.axis, x.ndim, self.exclude)
        y = np.asarray(np.nansum(x, axis=axes, keepdims=self.keepdims)).astype(x.dtype)
        return (y.reshape(1) if y.ndim == 0 else y), (x, axes)

    def vjp(self, res, g):
        x, axes = res
        return (np.broadcast_to(_keep(g, x.shape, axes), x.shape) * ~np.isnan(x),)

    @classmethod
    def samples(cls, rng):
        x = rng.normal(size=(3, 4))
        return [(cls(), [x]), (cls(axis=1), [x]), (cls(axis=1, exclude=True), [x])]


@register_op
@frozen_op
class NanProd(Op):
    """y = product of x over axis, NaN counted as 1.   VJP: dx = g y / x where x is not NaN"""

    name = "nanprod"
    axis: Any = None
    keepdims: bool = False
    exclude: bool = False

    def forward(self, x):
        axes = _axes(self.axis, x.ndim, self.exclude)
        y = np.asarray(np.nanprod(x, axis=axes, keepdims=self.keepdims)).astype(x.dtype)
        return (y.reshape(1) if y.ndim == 0 else y), (x, y, axes)

    def vjp(self, res, g):
        x, y, axes = res
        return (np.where(np.isnan(x), 0, _keep(g * y, x.shape, axes) / x),)

    @classmethod
    def samples(cls, rng):
        x = rng.uniform(0.5, 2, size=(3, 4))
        return [(cls(), [x]), (cls(axis=0), [x]), (cls(axis=0, exclude=True), [x])]


@register_op
@frozen_op
class CumSum(Op):
    """y = running sums of x along axis (of the flattened x when axis is None).
    VJP: dx = running sums of g taken from the end"""

    name = "cumsum"
    axis: Any = None
    dtype: Any = None

    def forward(self, x):
        dt = x.dtype if self.dtype is None else np.dtype(self.dtype)
        ax = 0 if self.axis is None else self.axis
        y = np.cumsum(x.reshape(-1) if self.axis is None else x, axis=ax).astype(dt)
        return y, (x.shape, x.dtype, ax)

    def vjp(self, res, g):
        shape, dt, ax = res
        gx = np.flip(np.cumsum(np.flip(g, ax), axis=ax), ax)
        return (gx.reshape(shape).astype(dt, copy=False),)

    @classmethod
    def samples(cls, rng):
        x = rng.normal(size=(3, 4))
        return [(cls(), [x]), (cls(axis=1), [x]), (cls(axis=-2), [x])]
