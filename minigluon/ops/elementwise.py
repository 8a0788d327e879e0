"""Element-wise arithmetic: the binary operators with broadcasting, and their array-scalar
forms. Every VJP undoes broadcasting with ``unbroadcast`` and nothing else; MXNet's integer
rules live in :mod:`._mxnet_numerics`."""

from __future__ import annotations

import math
import operator

import numpy as np

from ._kinds import Binary, ScalarOp, unary_samples
from ._mxnet_numerics import mod, rdiv, rmod, rpow, rsub, with_scalar
from ._op import frozen_op, register_op, unbroadcast

# ---- binary arithmetic with broadcasting -------------------------------------------


@register_op
@frozen_op
class Add(Binary):
    """y = a + b.   VJP: da = g, db = g (each summed over broadcast axes)"""

    name = "broadcast_add"
    saves = ("c", "c")

    def forward(self, a, b):
        return a + b, (a.shape, b.shape)

    def vjp_some(self, res, g, needs):
        sa, sb = res
        return (unbroadcast(g, sa) if needs[0] else None,
                unbroadcast(g, sb) if needs[1] else None)


@register_op
@frozen_op
class Sub(Binary):
    """y = a - b.   VJP: da = g, db = -g"""

    name = "broadcast_sub"
    saves = ("c", "c")

    def forward(self, a, b):
        return a - b, (a.shape, b.shape)

    def vjp_some(self, res, g, needs):
        sa, sb = res
        return (unbroadcast(g, sa) if needs[0] else None,
                unbroadcast(-g, sb) if needs[1] else None)


@register_op
@frozen_op
class Mul(Binary):
    """y = a * b.   VJP: da = g * b, db = g * a"""

    name = "broadcast_mul"
    saves = ("x0", "x1")

    def forward(self, a, b):
        return a * b, (a, b)

    def vjp_some(self, res, g, needs):
        a, b = res
        return (unbroadcast(g * b, a.shape) if needs[0] else None,
                unbroadcast(g * a, b.shape) if needs[1] else None)


@register_op
@frozen_op
class Div(Binary):
    """y = a / b.   VJP: da = g / b, db = -g * a / b**2"""

    name = "broadcast_div"
    saves = ("x0", "x1")
    domain = {"low_b": 0.5, "high_b": 2}

    def forward(self, a, b):
        y = a / b
        if a.dtype.kind in "iu" and b.dtype.kind in "iu":
            # integer arrays divide as in C (MXNet): truncated, in the integer dtype
            y = np.trunc(y).astype(np.result_type(a, b))
        return y, (a, b)

    def vjp_some(self, res, g, needs):
        a, b = res
        return (unbroadcast(g / b, a.shape) if needs[0] else None,
                unbroadcast(-g * a / (b * b), b.shape) if needs[1] else None)


@register_op
@frozen_op
class Pow(Binary):
    """y = a ** b.   VJP: da = g * b * a**(b-1), db = g * y * log(a)"""

    name = "broadcast_power"
    saves = ("x0", "x1", "y")
    domain = {"low": 0.5, "high": 2}

    def forward(self, a, b):
        if a.dtype.kind in "iu" and b.dtype.kind in "iu" and (b < 0).any():
            # NumPy refuses integers to negative powers; MXNet computes in floats and
            # truncates (2 ** -1 = 0; 0 ** -1 = inf becomes the smallest integer)
            with np.errstate(all="ignore"):
                y = np.trunc(np.power(a.astype(np.float64), b)).astype(
                    np.result_type(a, b))
        else:
            y = a ** b
        return y, (a, b, y)

    def vjp(self, res, g):
        a, b, y = res
        return (unbroadcast(g * b * a ** (b - 1), a.shape),
                unbroadcast(g * y * np.log(a), b.shape))


@register_op
@frozen_op
class Maximum(Binary):
    """y = max(a, b).   VJP: da = g * [a >= b], db = g * [a < b] (a tie goes to a)"""

    name = "broadcast_maximum"
    saves = ("x0", "x1")

    def forward(self, a, b):
        return np.maximum(a, b), (a, b)

    def vjp(self, res, g):
        a, b = res
        return unbroadcast(g * (a >= b), a.shape), unbroadcast(g * (a < b), b.shape)


@register_op
@frozen_op
class Minimum(Binary):
    """y = min(a, b).   VJP: da = g * [a <= b], db = g * [a > b] (a tie goes to a)"""

    name = "broadcast_minimum"
    saves = ("x0", "x1")

    def forward(self, a, b):
        return np.minimum(a, b), (a, b)

    def vjp(self, res, g):
        a, b = res
        return unbroadcast(g * (a <= b), a.shape), unbroadcast(g * (a > b), b.shape)


@register_op
@frozen_op
class Mod(Binary):
    """y = a mod b (floored, as in Python).   VJP: da = g, db = -g * floor(a / b)"""

    name = "broadcast_mod"
    domain = {"low": 0.1, "high": 0.9, "low_b": 1.1, "high_b": 2}

    def forward(self, a, b):
        return mod(a, b), (a, b)

    def vjp(self, res, g):
        a, b = res
        return unbroadcast(g, a.shape), unbroadcast(-g * np.floor(a / b), b.shape)


# ---- array-scalar arithmetic (the scalar is a static parameter) -----------------------

@register_op
@frozen_op
class AddScalar(ScalarOp):
    """y = x + s.   VJP: dx = g"""

    name = "_plus_scalar"
    saves = ()

    def forward(self, x):
        if x.dtype.kind == "f":  # with_scalar's first case, faster (see scalar_like)
            return x + self.scalar_like(x), ()
        return with_scalar(np.add, x, self.scalar), ()

    def vjp(self, res, g):
        return (g,)


@register_op
@frozen_op
class SubScalar(ScalarOp):
    """y = x - s.   VJP: dx = g"""

    name = "_minus_scalar"
    saves = ()

    def forward(self, x):
        if x.dtype.kind == "f":  # with_scalar's first case, faster (see scalar_like)
            return x - self.scalar_like(x), ()
        return with_scalar(np.subtract, x, self.scalar), ()

    def vjp(self, res, g):
        return (g,)


@register_op
@frozen_op
class RSubScalar(ScalarOp):
    """y = s - x.   VJP: dx = -g"""

    name = "_rminus_scalar"
    saves = ()

    def forward(self, x):
        return with_scalar(rsub, x, self.scalar), ()

    def vjp(self, res, g):
        return (-g,)


@register_op
@frozen_op
class MulScalar(ScalarOp):
    """y = x * s.   VJP: dx = g * s"""

    name = "_mul_scalar"
    saves = ()

    def forward(self, x):
        if x.dtype.kind == "f":  # with_scalar's first case, faster (see scalar_like)
            return x * self.scalar_like(x), ()
        return with_scalar(np.multiply, x, self.scalar), ()

    def vjp(self, res, g):
        return (g * self.scalar_like(g),)


@register_op
@frozen_op
class DivScalar(ScalarOp):
    """y = x / s.   VJP: dx = g / s"""

    name = "_div_scalar"
    saves = ()

    def forward(self, x):
        if x.dtype.kind == "f":  # with_scalar's first case, faster (see scalar_like)
            return x / self.scalar_like(x), ()
        return with_scalar(np.divide, x, self.scalar), ()

    def vjp(self, res, g):
        return (g / self.scalar_like(g),)


@register_op
@frozen_op
class RDivScalar(ScalarOp):
    """y = s / x.   VJP: dx = -g * y / x"""

    name = "_rdiv_scalar"
    saves = ("x0", "y")

    def forward(self, x):
        y = with_scalar(rdiv, x, self.scalar)
        return y, (x, y)

    def vjp(self, res, g):
        x, y = res
        return (-g * y / x,)


@register_op
@frozen_op
class PowScalar(ScalarOp):
    """y = x ** s.   VJP: dx = g * s * x**(s-1)"""

    name = "_power_scalar"
    saves = ("x0",)

    def forward(self, x):
        # x ** s, not np.power: NumPy computes x ** 2 as a square, several times faster
        return with_scalar(operator.pow, x, self.scalar), (x,)

    def vjp(self, res, g):
        (x,) = res
        if self.scalar == 2:  # the common square (an L2 penalty): no pow call
            if isinstance(x, np.ndarray) and x.dtype == g.dtype:
                dx = x * 2  # one temporary: g is often a broadcast view of one number
                dx *= g
                return (dx,)
            return (g * 2 * x,)
        return (g * self.scalar * x ** (self.scalar - 1),)


@register_op
@frozen_op
class RPowScalar(ScalarOp):
    """y = s ** x.   VJP: dx = g * y * log(s)"""

    name = "_rpower_scalar"
    saves = ("y",)

    def forward(self, x):
        y = with_scalar(rpow, x, self.scalar)
        return y, (y,)

    def vjp(self, res, g):
        (y,) = res
        return (g * y * math.log(self.scalar),)  # a float: keeps g's dtype

    @classmethod
    def samples(cls, rng):
        return unary_samples(cls(1.7), rng) + unary_samples(cls(0.5), rng)


@register_op
@frozen_op
class MaximumScalar(ScalarOp):
    """y = max(x, s).   VJP: dx = g * [x >= s]"""

    name = "_maximum_scalar"
    saves = ("x0",)

    def forward(self, x):
        return with_scalar(np.maximum, x, self.scalar), (x,)

    def vjp(self, res, g):
        return (g * (res[0] >= self.scalar),)

    @classmethod
    def samples(cls, rng):
        return unary_samples(cls(0.3), rng)


@register_op
@frozen_op
class MinimumScalar(ScalarOp):
    """y = min(x, s).   VJP: dx = g * [x <= s]"""

    name = "_minimum_scalar"
    saves = ("x0",)

    def forward(self, x):
        return with_scalar(np.minimum, x, self.scalar), (x,)

    def vjp(self, res, g):
        return (g * (res[0] <= self.scalar),)

    @classmethod
    def samples(cls, rng):
        return unary_samples(cls(0.3), rng)


@register_op
@frozen_op
class ModScalar(ScalarOp):
    """y = x mod s.   VJP: dx = g"""

    name = "_mod_scalar"

    def forward(self, x):
        return with_scalar(mod, x, self.scalar), ()

    def vjp(self, res, g):
        return (g,)

    @classmethod
    def samples(cls, rng):
        return unary_samples(cls(1.7), rng, 0.1, 1.5)


@register_op
@frozen_op
class RModScalar(ScalarOp):
    """y = s mod x.   VJP: dx = -g * floor(s / x)"""

    name = "_rmod_scalar"

    def forward(self, x):
        return with_scalar(rmod, x, self.scalar), (x,)

    def vjp(self, res, g):
        return (-g * np.floor(self.scalar / res[0]),)

    @classmethod
    def samples(cls, rng):
        return unary_samples(cls(1.7), rng, 0.6, 0.8)
