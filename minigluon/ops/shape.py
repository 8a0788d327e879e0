"""Operators that change an array's shape but not its elements: reshape (with MXNet's
shape codes), transpose, swapaxes, expand_dims, squeeze, flatten."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..base import MinigluonError
from ._kinds import param_samples
from ._mxnet_numerics import as_1d, as_shape
from ._op import Op, frozen_op, normalize_axis, register_op


class ReshapeError(MinigluonError, ValueError):
    """A shape the array cannot take. MXNet's reshape operator raises ``MXNetError``;
    ``NDArray.reshape`` outside ``record()`` raises a plain ``ValueError`` when the new
    shape has fewer elements (``smaller``), see there."""

    def __init__(self, message: str, smaller: bool = False) -> None:
        super().__init__(message)
        self.smaller = smaller


def infer_reshape(src: tuple[int, ...], shape: tuple[int, ...], reverse: bool = False
                  ) -> tuple[int, ...]:
    """Resolve MXNet's reshape codes: 0 copies a dimension, -1 infers one, -2 copies the
    rest, -3 merges two dimensions, -4 splits one into the next two values."""
    if reverse:
        return tuple(reversed(infer_reshape(tuple(reversed(src)), tuple(reversed(shape)))))
    if not shape or min(shape) > 0:  # no codes: NumPy checks the size itself
        return shape
    try:
        out = _apply_codes(src, shape)
    except IndexError:  # a code that reads past the end of src or of shape
        raise ReshapeError(f"reshape: the shape codes {shape} do not fit the input shape "
                             f"{src}") from None
    size = math.prod(src)
    if out.count(-1) == 1:
        known = math.prod(d for d in out if d != -1)
        if known == 0 or size % known:  # MXNet infers size // known: fewer elements
            raise ReshapeError(f"Cannot reshape array of size {size} into shape {shape}",
                               smaller=known != 0)
        out[out.index(-1)] = size // known
    if math.prod(out) != size or out.count(-1) > 1:
        raise ReshapeError(f"Cannot reshape array of size {size} into shape {shape}",
                           smaller=out.count(-1) == 0 and math.prod(out) < size)
    return tuple(out)


def _apply_codes(src: tuple[int, ...], shape: tuple[int, ...]) -> list[int]:
    """The output shape with the codes other than -1 resolved (IndexError if they read
    past the end of src or of shape)."""
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
    return out


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
        shape = infer_reshape(x.shape, as_shape(self.shape), self.reverse)
        try:
            return x.reshape(shape), (x.shape,)
        except ValueError:
            raise ReshapeError(f"Cannot reshape array of size {x.size} into shape "
                               f"{tuple(self.shape)}", smaller=math.prod(shape) < x.size
                               ) from None

    def vjp(self, res, g):
        return (g.reshape(res[0]),)

    @classmethod
    def samples(cls, rng):
        return param_samples(cls, rng, ((2, 6), ((3, -1),)), ((2, 3, 4), ((0, -1),)),
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
        return param_samples(cls, rng, ((2, 3), ()), ((2, 3, 4), ((1, 2, 0),)))


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
        return param_samples(cls, rng, ((2, 3, 4), (0, 2)))


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
        return param_samples(cls, rng, ((2, 3), (1,)), ((3,), (-1,)))


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
        return as_1d(y), (x.shape,)

    def vjp(self, res, g):
        return (g.reshape(res[0]),)

    @classmethod
    def samples(cls, rng):
        return param_samples(cls, rng, ((2, 1, 3), ()), ((1, 3, 1), (0,)))


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
        return param_samples(cls, rng, ((2, 3, 4), ()), ((3,), ()))
