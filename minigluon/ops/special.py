"""Special functions MXNet code uses beyond the book: erf, hypot, smooth L1, hard sigmoid."""

from __future__ import annotations

import math

import numpy as np

from ._kinds import Binary, unary_samples
from ._op import Op, frozen_op, register_op, unbroadcast

_erf = np.vectorize(math.erf, otypes=[np.float64])


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
        return unary_samples(cls(), rng)


@register_op
@frozen_op
class Hypot(Binary):
    """y = sqrt(a**2 + b**2).   VJP: da = g a / y, db = g b / y"""

    name = "broadcast_hypot"
    domain = {"low": 0.5, "high": 2}

    def forward(self, a, b):
        y = np.hypot(a, b)
        return y, (a, b, y)

    def vjp(self, res, g):
        a, b, y = res
        return unbroadcast(g * a / y, a.shape), unbroadcast(g * b / y, b.shape)


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
