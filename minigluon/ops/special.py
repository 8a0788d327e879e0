"""Special functions MXNet code uses beyond the book: erf, erfinv, gamma, gammaln, hypot,
smooth L1, hard sigmoid."""

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


_gamma = np.vectorize(math.gamma, otypes=[np.float64])
_lgamma = np.vectorize(math.lgamma, otypes=[np.float64])


def _float_in(x: np.ndarray) -> np.ndarray:
    # an integer input is computed in float32 and truncated back, as MXNet does
    return x.astype(np.float32) if x.dtype.kind in "iub" else x


def _digamma(x: np.ndarray) -> np.ndarray:
    """psi(x) = d ln(Gamma(x)) / dx: reflected below 1/2, shifted up to 6 or more, then the
    asymptotic series (NumPy has no special functions; error below 1e-12)."""
    x = np.asarray(x, dtype=np.float64)
    neg = x < 0.5
    z = np.where(neg, 1 - x, x)
    acc = np.zeros_like(z)
    for _ in range(6):
        small = z < 6
        acc -= np.where(small, 1 / z, 0)
        z = np.where(small, z + 1, z)
    inv2 = 1 / (z * z)
    psi = np.log(z) - 0.5 / z - inv2 * (1 / 12 - inv2 * (1 / 120 - inv2 * (
        1 / 252 - inv2 * (1 / 240 - inv2 / 132))))
    psi = psi + acc
    with np.errstate(all="ignore"):
        return np.where(neg, psi - np.pi / np.tan(np.pi * x), psi)


def _erfinv(y: np.ndarray) -> np.ndarray:
    """The inverse of erf on [-1, 1]: Giles's single-precision formula, then two Newton
    steps on math.erf (±1 give ±inf, outside [-1, 1] NaN)."""
    y = np.asarray(y, dtype=np.float64)
    with np.errstate(all="ignore"):
        w = -np.log((1 - y) * (1 + y))
        wc = w - 2.5
        p = np.polyval([2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06,
                        0.00021858087, -0.00125372503, -0.00417768164, 0.246640727,
                        1.50140941], wc)
        wt = np.sqrt(w) - 3
        q = np.polyval([-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844,
                        0.00573950773, -0.0076224613, 0.00943887047, 1.00167406,
                        2.83297682], wt)
        x = np.where(w < 5, p, q) * y
        for _ in range(2):
            step = (_erf(x) - y) / (2 / math.sqrt(math.pi) * np.exp(-x * x))
            x = np.where(np.isfinite(x) & (np.abs(y) < 1), x - step, x)
        return np.where(np.abs(y) == 1, np.copysign(np.inf, y), x)


@register_op
@frozen_op
class Erfinv(Op):
    """y = erfinv(x).   VJP: dx = g * sqrt(pi)/2 * exp(y**2)"""

    name = "erfinv"
    saves = ("y",)

    def forward(self, x):
        y = _erfinv(_float_in(x)).astype(x.dtype).reshape(x.shape)
        return y, (y,)

    def vjp(self, res, g):
        (y,) = res
        return (g * (math.sqrt(math.pi) / 2) * np.exp(y * y),)

    @classmethod
    def samples(cls, rng):
        return unary_samples(cls(), rng, -0.9, 0.9)


@register_op
@frozen_op
class Gamma(Op):
    """y = Gamma(x).   VJP: dx = g * y * digamma(x)"""

    name = "gamma"

    def forward(self, x):
        y = _gamma(_float_in(x)).astype(x.dtype).reshape(x.shape)
        return y, (x, y)

    def vjp(self, res, g):
        x, y = res
        return ((g * y * _digamma(x)).astype(g.dtype, copy=False),)

    @classmethod
    def samples(cls, rng):
        return unary_samples(cls(), rng, 0.3, 4) + unary_samples(cls(), rng, -0.9, -0.1)


@register_op
@frozen_op
class Gammaln(Op):
    """y = ln |Gamma(x)|.   VJP: dx = g * digamma(x)"""

    name = "gammaln"

    def forward(self, x):
        return _lgamma(_float_in(x)).astype(x.dtype).reshape(x.shape), (x,)

    def vjp(self, res, g):
        (x,) = res
        return ((g * _digamma(x)).astype(g.dtype, copy=False),)

    @classmethod
    def samples(cls, rng):
        return unary_samples(cls(), rng, 0.3, 4)


@register_op
@frozen_op
class Hypot(Binary):
    """y = sqrt(a**2 + b**2).   VJP: da = g a / y, db = g b / y"""

    name = "broadcast_hypot"
    domain = {"low": 0.5, "high": 2}

    def forward(self, a, b):
        y = np.hypot(_float_in(a), _float_in(b))
        return y.astype(np.result_type(a, b), copy=False), (a, b, y)

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
