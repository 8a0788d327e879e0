"""Element-wise functions of one array: math functions from one table (formula and
derivative side by side), rounding, copies, casts and clipping."""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

from . import _kinds
from ._kinds import param_samples
from ._mxnet_numerics import DEG, RAD, rint_half_down, round_half_away
from ._op import Op, frozen_op, register_op

#: ``unary(name, doc, f, df, saves, low, high, keeps)`` declares ``nd.<name>``: y = f(x),
#: dx = df(g, x, y), keeping for backward only what ``keeps`` names (x, y or nothing)
unary = functools.partial(_kinds.unary, module=__name__)

# Python floats, not np.float64: a NumPy float64 scalar would promote a float32 gradient
_LN2, _LN10 = math.log(2.0), math.log(10.0)


# ---- math functions: y = f(x) with its derivative -----------------------------------

unary("negative", "y = -x.   VJP: dx = -g", lambda x: -x, lambda g, x, y: -g, (), keeps="")
unary("exp", "y = exp(x).   VJP: dx = g * y", np.exp, lambda g, x, y: g * y, ("y",),
       keeps="y")
unary("expm1", "y = exp(x) - 1.   VJP: dx = g * (y + 1)", np.expm1,
       lambda g, x, y: g * (y + 1), ("y",), keeps="y")
unary("log", "y = ln(x).   VJP: dx = g / x", np.log, lambda g, x, y: g / x, ("x0",), 0.2, 3)
unary("log2", "y = log2(x).   VJP: dx = g / (x ln 2)", np.log2,
       lambda g, x, y: g / (x * _LN2), ("x0",), 0.2, 3)
unary("log10", "y = log10(x).   VJP: dx = g / (x ln 10)", np.log10,
       lambda g, x, y: g / (x * _LN10), ("x0",), 0.2, 3)
unary("log1p", "y = ln(1 + x).   VJP: dx = g / (1 + x)", np.log1p,
       lambda g, x, y: g / (x + 1), ("x0",), -0.5, 3)
unary("sqrt", "y = sqrt(x).   VJP: dx = g / (2 y)", np.sqrt, lambda g, x, y: g / (y * 2),
       ("y",), 0.2, 3, keeps="y")
unary("rsqrt", "y = 1 / sqrt(x).   VJP: dx = -g y**3 / 2", lambda x: 1 / np.sqrt(x),
       lambda g, x, y: -0.5 * g * y * y * y, ("y",), 0.2, 3, keeps="y")
unary("cbrt", "y = x**(1/3).   VJP: dx = g / (3 y**2)", np.cbrt,
       lambda g, x, y: g / (y * y * 3), ("y",), 0.2, 3, keeps="y")
unary("rcbrt", "y = x**(-1/3).   VJP: dx = -g y / (3 x)", lambda x: 1 / np.cbrt(x),
      lambda g, x, y: -g / (np.cbrt(x) * x * 3), ("x0",), 0.2, 3)
unary("square", "y = x**2.   VJP: dx = 2 x g", np.square, lambda g, x, y: g * x * 2, ("x0",))
unary("reciprocal", "y = 1 / x.   VJP: dx = -g y**2", np.reciprocal,
       lambda g, x, y: -g * y * y, ("y",), 0.5, 2, keeps="y")
unary("abs", "y = |x|.   VJP: dx = g * sign(x) (0 at x = 0)", np.abs,
       lambda g, x, y: g * np.sign(x), ("c",))
unary("sign", "y = sign(x).   VJP: dx = 0", np.sign, lambda g, x, y: g * 0, (), keeps="")
unary("sin", "y = sin(x).   VJP: dx = g cos(x)", np.sin, lambda g, x, y: g * np.cos(x),
       ("x0",))
unary("cos", "y = cos(x).   VJP: dx = -g sin(x)", np.cos, lambda g, x, y: -g * np.sin(x),
       ("x0",))
unary("tan", "y = tan(x).   VJP: dx = g (1 + y**2)", np.tan,
       lambda g, x, y: g * (y * y + 1), ("y",), -1, 1, keeps="y")
unary("arcsin", "y = arcsin(x).   VJP: dx = g / sqrt(1 - x**2)", np.arcsin,
       lambda g, x, y: g / np.sqrt(1 - x * x), ("x0",), -0.8, 0.8)
unary("arccos", "y = arccos(x).   VJP: dx = -g / sqrt(1 - x**2)", np.arccos,
       lambda g, x, y: -g / np.sqrt(1 - x * x), ("x0",), -0.8, 0.8)
unary("arctan", "y = arctan(x).   VJP: dx = g / (1 + x**2)", np.arctan,
       lambda g, x, y: g / (x * x + 1), ("x0",))
unary("sinh", "y = sinh(x).   VJP: dx = g cosh(x)", np.sinh, lambda g, x, y: g * np.cosh(x),
       ("x0",))
unary("cosh", "y = cosh(x).   VJP: dx = g sinh(x)", np.cosh, lambda g, x, y: g * np.sinh(x),
       ("x0",))
unary("tanh", "y = tanh(x).   VJP: dx = g (1 - y**2)", np.tanh,
       lambda g, x, y: g * (1 - y * y), ("y",), keeps="y")
unary("arcsinh", "y = arcsinh(x).   VJP: dx = g / sqrt(x**2 + 1)", np.arcsinh,
       lambda g, x, y: g / np.sqrt(x * x + 1), ("x0",))
unary("arccosh", "y = arccosh(x).   VJP: dx = g / sqrt(x**2 - 1)", np.arccosh,
       lambda g, x, y: g / np.sqrt(x * x - 1), ("x0",), 1.2, 3)
unary("arctanh", "y = arctanh(x).   VJP: dx = g / (1 - x**2)", np.arctanh,
       lambda g, x, y: g / (1 - x * x), ("x0",), -0.8, 0.8)
unary("degrees", "y = x * 180 / pi.   VJP: dx = g * 180 / pi", lambda x: x * DEG,
       lambda g, x, y: g * DEG, (), keeps="")
unary("radians", "y = x * pi / 180.   VJP: dx = g * pi / 180", lambda x: x * RAD,
       lambda g, x, y: g * RAD, (), keeps="")

# ---- rounding: piecewise constant ----------------------------------------------------
# (fix rounds toward zero, which is trunc: np.fix is deprecated from NumPy 2.5)

for _name, _f in (("floor", np.floor), ("ceil", np.ceil), ("round", round_half_away),
                  ("rint", rint_half_down), ("fix", np.trunc), ("trunc", np.trunc)):
    unary(_name, f"y = {_name}(x).   VJP: dx = 0 (piecewise constant)", _f,
           lambda g, x, y: g * 0, (), keeps="")


# ---- copies, casts and clipping -------------------------------------------------------

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
        return param_samples(cls, rng, ((3, 4), (-0.5, 0.7)))


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
        return param_samples(cls, rng, ((3,), ("float64",)))


@register_op
@frozen_op
class FillLike(Op):
    """y = an array of ``value`` shaped like x.   VJP: dx = 0

    Recorded, as MXNet records ``zeros_like``/``ones_like``: a head computed from one
    still reaches x, whose gradient is then zero (not an error)."""

    name = "_fill_like"
    expose = False
    saves = ()
    value: float = 0.0

    def forward(self, x):
        return np.full_like(x, self.value), ()

    def vjp(self, res, g):
        return (np.zeros_like(g),)

    @classmethod
    def samples(cls, rng):
        return param_samples(cls, rng, ((2, 3), ()), ((3,), (1.0,)))


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
        return param_samples(cls, rng, ((2, 3), ()))
