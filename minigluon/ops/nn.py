"""Activation and probability operators: relu, sigmoid, softmax and friends."""

from __future__ import annotations

import attrs
import numpy as np

from ._kinds import in_own_dtype, unary_samples as _unary_samples
from ._op import Op, frozen_op, register_op


def _same_float_arrays(y, g) -> bool:
    """Whether an in-place VJP may run: NumPy floats of one dtype (not the NDArrays a
    ``create_graph`` backward passes, nor integers that must promote)."""
    return type(y) is np.ndarray and type(g) is np.ndarray and y.dtype == g.dtype \
        and g.dtype.kind == "f"


@register_op
@frozen_op
class Relu(Op):
    """y = max(x, 0).   VJP: dx = g * [y > 0] (0 at x = 0)"""

    name = "relu"
    method = "relu"
    saves = ("y",)

    def forward(self, x):
        y = np.maximum(x, 0)
        return y, (y,)  # the output is kept: it is also what the next layer saves

    def vjp(self, res, g):
        (y,) = res
        if _same_float_arrays(y, g):
            # the mask made straight in g's dtype, then scaled in place: one new array
            # instead of a boolean mask and a product (measured 25% faster)
            dx = np.greater(y, 0, out=np.empty_like(g))
            dx *= g
            return (dx,)
        return (g * (y > 0),)

    @classmethod
    def samples(cls, rng):
        return _unary_samples(cls(), rng)


@register_op
@frozen_op
class Sigmoid(Op):
    """y = 1 / (1 + exp(-x)).   VJP: dx = g * y * (1 - y)"""

    name = "sigmoid"
    method = "sigmoid"
    saves = ("y",)

    def forward(self, x):
        # MXNet's formula, in place in one buffer: four passes instead of eight. For
        # x < -88 (float32) exp overflows to inf and y is 1/inf = 0, MXNet's value too
        y = np.negative(x, dtype=x.dtype if x.dtype.kind == "f" else np.float64)
        np.exp(y, out=y)
        y += 1
        np.reciprocal(y, out=y)
        y = y.astype(x.dtype, copy=False)  # integers: as before, the float result cast
        return y, (y,)

    def vjp(self, res, g):
        (y,) = res
        if _same_float_arrays(y, g):
            # MXNet's order, g * (y (1 - y)), in one new array instead of three
            dx = np.subtract(1, y, dtype=y.dtype)
            dx *= y
            dx *= g
            return (dx,)
        return (g * (y * (1 - y)),)

    @classmethod
    def samples(cls, rng):
        return _unary_samples(cls(), rng, -4, 4)


@register_op
@frozen_op
class SoftRelu(Op):
    """y = log(1 + exp(x)).   VJP: dx = g * sigmoid(x)"""

    name = "softrelu"
    saves = None

    def forward(self, x):
        y = (np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))).astype(x.dtype, copy=False)
        return y, (x,)

    def vjp(self, res, g):
        (x,) = res
        return (g / (1 + np.exp(-x)),)

    @classmethod
    def samples(cls, rng):
        return _unary_samples(cls(), rng, -4, 4)


@register_op
@frozen_op
class SoftSign(Op):
    """y = x / (1 + |x|).   VJP: dx = g / (1 + |x|)**2"""

    name = "softsign"
    saves = None

    def forward(self, x):
        return in_own_dtype(lambda v: v / (1 + np.abs(v)), x), (x,)

    def vjp(self, res, g):
        (x,) = res
        return (g / (1 + np.abs(x)) ** 2,)

    @classmethod
    def samples(cls, rng):
        return _unary_samples(cls(), rng)


@register_op
@frozen_op
class LeakyRelu(Op):
    """y = x if x > 0 else slope * x.   VJP: dx = g * (1 if x > 0 else slope)"""

    name = "_leaky_relu"
    expose = False
    slope: float = 0.25

    def forward(self, x):
        return np.where(x > 0, x, x * self.slope).astype(x.dtype, copy=False), (x,)

    def vjp(self, res, g):
        (x,) = res
        return (g * np.where(res[0] > 0, 1.0, self.slope).astype(x.dtype, copy=False),)

    @classmethod
    def samples(cls, rng):
        return _unary_samples(cls(0.1), rng)


def _softmax_samples(cls, rng):
    return [(cls(axis=-1), [rng.normal(size=(3, 4))]), (cls(axis=0), [rng.normal(size=(3, 4))]),
            (cls(axis=1), [rng.normal(size=(2, 3, 2))])]


@register_op
@frozen_op
class Softmax(Op):
    """y = exp(x) / sum(exp(x)) along axis.   VJP: dx = y * (g - sum(g * y, axis))"""

    name = "softmax"
    method = "softmax"
    axis: int = -1
    temperature: float | None = None

    def forward(self, x):
        t = self.temperature or 1.0
        z = (x - x.max(axis=self.axis, keepdims=True)) / t
        e = np.exp(z)
        y = e / e.sum(axis=self.axis, keepdims=True)
        return y, (y,)

    def vjp(self, res, g):
        (y,) = res
        t = self.temperature or 1.0
        return (y * (g - (g * y).sum(axis=self.axis, keepdims=True)) / t,)

    @classmethod
    def samples(cls, rng):
        return _softmax_samples(cls, rng)


@register_op
@frozen_op
class LogSoftmax(Op):
    """y = x - log(sum(exp(x))) along axis.   VJP: dx = g - exp(y) * sum(g, axis)"""

    name = "log_softmax"
    method = "log_softmax"
    axis: int = -1
    temperature: float | None = None

    def forward(self, x):
        t = self.temperature or 1.0
        z = (x - x.max(axis=self.axis, keepdims=True)) / t
        y = z - np.log(np.exp(z).sum(axis=self.axis, keepdims=True))
        return y, (y,)

    def vjp(self, res, g):
        (y,) = res
        t = self.temperature or 1.0
        return ((g - np.exp(y) * g.sum(axis=self.axis, keepdims=True)) / t,)

    @classmethod
    def samples(cls, rng):
        return _softmax_samples(cls, rng)


@register_op
@frozen_op
class DropoutMask(Op):
    """y = x * m, m a fixed 0 or 1/(1-p) mask.   VJP: dx = g * m"""

    name = "_dropout"
    expose = False
    mask: np.ndarray = attrs.field(repr=False, default=None)
    saves = ("c",)

    def forward(self, x):
        return x * self.mask, ()

    def vjp(self, res, g):
        return (g * self.mask,)

    @classmethod
    def samples(cls, rng):
        mask = (rng.uniform(size=(3, 4)) > 0.5) * 2.0
        return [(cls(mask), [rng.normal(size=(3, 4))])]


@register_op
@frozen_op
class SoftmaxCrossEntropy(Op):
    """l = -log softmax(x)[label] per row.   VJP: dx = g * (softmax(x) - onehot(label))"""

    name = "_softmax_cross_entropy"
    expose = False
    axis: int = -1

    def forward(self, x, label):
        # one row per example: the classes along the last axis of a 2-D view
        last = self.axis in (-1, x.ndim - 1)  # then no moveaxis (a Python-level cost)
        rows = (x if last else np.moveaxis(x, self.axis, -1)).reshape(-1, x.shape[self.axis])
        z = rows - rows.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        idx = _clip_labels(label, x.shape[self.axis]).reshape(-1)
        loss = -logp[np.arange(len(idx)), idx]
        return loss.reshape(label.shape), (logp, idx, x.shape)

    def vjp(self, res, g):
        logp, idx, shape = res
        dx = np.exp(logp)
        dx[np.arange(len(idx)), idx] -= 1
        dx *= g.reshape(-1, 1)
        if self.axis in (-1, len(shape) - 1):
            return dx.reshape(shape), None
        moved = shape[:self.axis % len(shape)] + shape[self.axis % len(shape) + 1:]
        return np.moveaxis(dx.reshape(moved + (shape[self.axis],)), -1, self.axis), None

    @classmethod
    def samples(cls, rng):
        return [(cls(), [rng.normal(size=(4, 3)), np.array([0.0, 2, 1, 2])]),
                (cls(axis=1), [rng.normal(size=(2, 3, 2)), np.array([[0.0, 2], [1, 1]])])]


def _clip_labels(label: np.ndarray, n: int) -> np.ndarray:
    # MXNet clips out-of-range labels (and truncates float ones) instead of failing; in
    # place on the fresh integer copy (np.clip's Python layer costs 20 us a call)
    idx = label.astype(np.int64)
    np.maximum(idx, 0, out=idx)
    return np.minimum(idx, n - 1, out=idx)
