"""Element-wise operators: arithmetic with broadcasting, scalar forms, math functions,
comparisons. Every VJP undoes broadcasting with ``unbroadcast`` and nothing else."""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from ..base import MinigluonError
from . import Op, frozen_op, register_op, unbroadcast

# shapes on which every binary operator is checked, broadcasting included
_PAIR_SHAPES = [((3, 4), (3, 4)), ((3, 1), (1, 4)), ((2, 3), (3,)), ((4,), (2, 3, 4))]


def _pair_samples(op: Op, rng: np.random.Generator, low: float = -2, high: float = 2,
                  low_b: float | None = None, high_b: float | None = None):
    lb = low if low_b is None else low_b
    hb = high if high_b is None else high_b
    return [(op, [rng.uniform(low, high, sa), rng.uniform(lb, hb, sb)])
            for sa, sb in _PAIR_SHAPES]


def _unary_samples(op: Op, rng: np.random.Generator, low: float = -2, high: float = 2):
    return [(op, [rng.uniform(low, high, s)]) for s in [(5,), (2, 3), (2, 1, 3)]]


def _sc(s: float, x: np.ndarray) -> Any:
    # MXNet casts the scalar to an integer array's dtype before computing (int32 * 0.5 = 0),
    # as C does: 300 becomes 44 for uint8, without an error
    return s if x.dtype.kind == "f" else np.asarray(s).astype(x.dtype)[()]


def _with_scalar(f: Any, x: np.ndarray, s: float) -> np.ndarray:
    """``f(x, s)`` in x's dtype, as MXNet computes array-scalar arithmetic."""
    if x.dtype.kind == "f":
        return f(x, s)  # a Python number keeps a float array's dtype (NumPy's NEP 50)
    try:
        y = f(x, _sc(s, x))
    except ValueError:  # an integer to a negative power: 1/x, truncated as MXNet does
        y = np.trunc(f(x.astype(np.float64), float(_sc(s, x))))
    return y if y.dtype == x.dtype else y.astype(x.dtype)


def _broadcast_error(a: np.ndarray, b: np.ndarray) -> None:
    raise MinigluonError(f"operands could not be broadcast together with shapes "
                         f"{list(a.shape)} {list(b.shape)}") from None


def _rsub(x, s):
    return s - x


def _rdiv(x, s):
    return s / x


def _rpow(x, s):
    return s ** x


def _mod(a, b):
    # MXNet's modulo by zero gives 0 (NumPy: nan)
    return np.where(b == 0, 0, np.mod(a, b)).astype(np.result_type(a, b), copy=False)


def _rmod(x, s):
    return _mod(s, x)


_BOTH = (True, True)


# ---- binary arithmetic with broadcasting -------------------------------------------

@register_op
@frozen_op
class Add(Op):
    """y = a + b.   VJP: da = g, db = g (each summed over broadcast axes)"""

    name = "broadcast_add"
    inputs = ("lhs", "rhs")
    saves = ("c", "c")

    def forward(self, a, b):
        try:
            return a + b, (a.shape, b.shape)
        except ValueError:
            _broadcast_error(a, b)

    def vjp(self, res, g):
        return self.vjp_some(res, g, _BOTH)

    def vjp_some(self, res, g, needs):
        sa, sb = res
        return (unbroadcast(g, sa) if needs[0] else None,
                unbroadcast(g, sb) if needs[1] else None)

    @classmethod
    def samples(cls, rng):
        return _pair_samples(cls(), rng)


@register_op
@frozen_op
class Sub(Op):
    """y = a - b.   VJP: da = g, db = -g"""

    name = "broadcast_sub"
    inputs = ("lhs", "rhs")
    saves = ("c", "c")

    def forward(self, a, b):
        try:
            return a - b, (a.shape, b.shape)
        except ValueError:
            _broadcast_error(a, b)

    def vjp(self, res, g):
        return self.vjp_some(res, g, _BOTH)

    def vjp_some(self, res, g, needs):
        sa, sb = res
        return (unbroadcast(g, sa) if needs[0] else None,
                unbroadcast(-g, sb) if needs[1] else None)

    @classmethod
    def samples(cls, rng):
        return _pair_samples(cls(), rng)


@register_op
@frozen_op
class Mul(Op):
    """y = a * b.   VJP: da = g * b, db = g * a"""

    name = "broadcast_mul"
    inputs = ("lhs", "rhs")
    saves = ("x0", "x1")

    def forward(self, a, b):
        try:
            return a * b, (a, b)
        except ValueError:
            _broadcast_error(a, b)

    def vjp(self, res, g):
        return self.vjp_some(res, g, _BOTH)

    def vjp_some(self, res, g, needs):
        a, b = res
        return (unbroadcast(g * b, a.shape) if needs[0] else None,
                unbroadcast(g * a, b.shape) if needs[1] else None)

    @classmethod
    def samples(cls, rng):
        return _pair_samples(cls(), rng)


@register_op
@frozen_op
class Div(Op):
    """y = a / b.   VJP: da = g / b, db = -g * a / b**2"""

    name = "broadcast_div"
    inputs = ("lhs", "rhs")
    saves = ("x0", "x1")

    def forward(self, a, b):
        try:
            y = a / b
        except ValueError:
            _broadcast_error(a, b)
        if a.dtype.kind in "iu" and b.dtype.kind in "iu":
            # integer arrays divide as in C (MXNet): truncated, in the integer dtype
            y = np.trunc(y).astype(np.result_type(a, b))
        return y, (a, b)

    def vjp(self, res, g):
        return self.vjp_some(res, g, _BOTH)

    def vjp_some(self, res, g, needs):
        a, b = res
        return (unbroadcast(g / b, a.shape) if needs[0] else None,
                unbroadcast(-g * a / (b * b), b.shape) if needs[1] else None)

    @classmethod
    def samples(cls, rng):
        return _pair_samples(cls(), rng, low_b=0.5, high_b=2)


@register_op
@frozen_op
class Pow(Op):
    """y = a ** b.   VJP: da = g * b * a**(b-1), db = g * y * log(a)"""

    name = "broadcast_power"
    inputs = ("lhs", "rhs")
    saves = ("x0", "x1", "y")

    def forward(self, a, b):
        try:
            y = a ** b
        except ValueError:
            _broadcast_error(a, b)
        return y, (a, b, y)

    def vjp(self, res, g):
        a, b, y = res
        return (unbroadcast(g * b * a ** (b - 1), a.shape),
                unbroadcast(g * y * np.log(a), b.shape))

    @classmethod
    def samples(cls, rng):
        return _pair_samples(cls(), rng, low=0.5, high=2)


@register_op
@frozen_op
class Maximum(Op):
    """y = max(a, b).   VJP: da = g * [a >= b], db = g * [a < b] (a tie goes to a)"""

    name = "broadcast_maximum"
    inputs = ("lhs", "rhs")
    saves = ("x0", "x1")

    def forward(self, a, b):
        try:
            return np.maximum(a, b), (a, b)
        except ValueError:
            _broadcast_error(a, b)

    def vjp(self, res, g):
        a, b = res
        return unbroadcast(g * (a >= b), a.shape), unbroadcast(g * (a < b), b.shape)

    @classmethod
    def samples(cls, rng):
        return _pair_samples(cls(), rng)


@register_op
@frozen_op
class Minimum(Op):
    """y = min(a, b).   VJP: da = g * [a <= b], db = g * [a > b] (a tie goes to a)"""

    name = "broadcast_minimum"
    inputs = ("lhs", "rhs")
    saves = ("x0", "x1")

    def forward(self, a, b):
        try:
            return np.minimum(a, b), (a, b)
        except ValueError:
            _broadcast_error(a, b)

    def vjp(self, res, g):
        a, b = res
        return unbroadcast(g * (a <= b), a.shape), unbroadcast(g * (a > b), b.shape)

    @classmethod
    def samples(cls, rng):
        return _pair_samples(cls(), rng)


@register_op
@frozen_op
class Mod(Op):
    """y = a mod b (floored, as in Python).   VJP: da = g, db = -g * floor(a / b)"""

    name = "broadcast_mod"
    inputs = ("lhs", "rhs")

    def forward(self, a, b):
        try:
            return _mod(a, b), (a, b)
        except ValueError:
            _broadcast_error(a, b)

    def vjp(self, res, g):
        a, b = res
        return unbroadcast(g, a.shape), unbroadcast(-g * np.floor(a / b), b.shape)

    @classmethod
    def samples(cls, rng):
        return _pair_samples(cls(), rng, low=0.1, high=0.9, low_b=1.1, high_b=2)


# ---- comparisons: 0/1 in the operands' dtype, no gradient ----------------------------

def _comparison(opname: str, ufunc: Any, doc: str) -> None:
    @frozen_op
    class Compare(Op):
        inputs = ("lhs", "rhs")
        saves = ()

        def forward(self, a, b):
            try:
                out = ufunc(a, b)
            except ValueError:
                _broadcast_error(a, b)
            return out.astype(np.result_type(a, b)), ()

        def vjp(self, res, g):
            return None, None

        @classmethod
        def samples(cls, rng):
            return _pair_samples(cls(), rng)

    @frozen_op
    class CompareScalar(Op):
        scalar: float = 0.0
        expose = False
        saves = ()

        def forward(self, a):
            return ufunc(a, _sc(self.scalar, a)).astype(a.dtype), ()

        def vjp(self, res, g):
            return (None,)

        @classmethod
        def samples(cls, rng):
            return _unary_samples(cls(0.5), rng)

    for klass, n, d in ((Compare, f"broadcast_{opname}", doc),
                        (CompareScalar, f"_{opname}_scalar", doc + " (b a scalar)")):
        klass.__name__ = klass.__qualname__ = "".join(p.title() for p in n.split("_"))
        klass.__doc__ = d
        klass.name = n
        register_op(klass)


for _n, _u, _s in (("equal", np.equal, "=="), ("not_equal", np.not_equal, "!="),
                   ("greater", np.greater, ">"), ("greater_equal", np.greater_equal, ">="),
                   ("lesser", np.less, "<"), ("lesser_equal", np.less_equal, "<=")):
    _comparison(_n, _u, f"y = [a {_s} b] as 0/1 in the input dtype.   VJP: none")


# ---- array-scalar arithmetic (the scalar is a static parameter) -----------------------

@frozen_op
class _ScalarOp(Op):
    scalar: float = 1.0
    expose = False

    @classmethod
    def samples(cls, rng):
        return _unary_samples(cls(1.7), rng, 0.5, 2) + _unary_samples(cls(-0.6), rng, 0.5, 2)


@register_op
@frozen_op
class AddScalar(_ScalarOp):
    """y = x + s.   VJP: dx = g"""

    name = "_plus_scalar"
    saves = ()

    def forward(self, x):
        return _with_scalar(np.add, x, self.scalar), ()

    def vjp(self, res, g):
        return (g,)


@register_op
@frozen_op
class SubScalar(_ScalarOp):
    """y = x - s.   VJP: dx = g"""

    name = "_minus_scalar"
    saves = ()

    def forward(self, x):
        return _with_scalar(np.subtract, x, self.scalar), ()

    def vjp(self, res, g):
        return (g,)


@register_op
@frozen_op
class RSubScalar(_ScalarOp):
    """y = s - x.   VJP: dx = -g"""

    name = "_rminus_scalar"
    saves = ()

    def forward(self, x):
        return _with_scalar(_rsub, x, self.scalar), ()

    def vjp(self, res, g):
        return (-g,)


@register_op
@frozen_op
class MulScalar(_ScalarOp):
    """y = x * s.   VJP: dx = g * s"""

    name = "_mul_scalar"
    saves = ()

    def forward(self, x):
        return _with_scalar(np.multiply, x, self.scalar), ()

    def vjp(self, res, g):
        return (g * self.scalar,)


@register_op
@frozen_op
class DivScalar(_ScalarOp):
    """y = x / s.   VJP: dx = g / s"""

    name = "_div_scalar"
    saves = ()

    def forward(self, x):
        return _with_scalar(np.divide, x, self.scalar), ()

    def vjp(self, res, g):
        return (g / self.scalar,)


@register_op
@frozen_op
class RDivScalar(_ScalarOp):
    """y = s / x.   VJP: dx = -g * y / x"""

    name = "_rdiv_scalar"
    saves = ("x0", "y")

    def forward(self, x):
        y = _with_scalar(_rdiv, x, self.scalar)
        return y, (x, y)

    def vjp(self, res, g):
        x, y = res
        return (-g * y / x,)


@register_op
@frozen_op
class PowScalar(_ScalarOp):
    """y = x ** s.   VJP: dx = g * s * x**(s-1)"""

    name = "_power_scalar"
    saves = ("x0",)

    def forward(self, x):
        # x ** s, not np.power: NumPy computes x ** 2 as a square, several times faster
        return _with_scalar(operator.pow, x, self.scalar), (x,)

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
class RPowScalar(_ScalarOp):
    """y = s ** x.   VJP: dx = g * y * log(s)"""

    name = "_rpower_scalar"
    saves = ("y",)

    def forward(self, x):
        y = _with_scalar(_rpow, x, self.scalar)
        return y, (y,)

    def vjp(self, res, g):
        (y,) = res
        return (g * y * np.log(self.scalar),)

    @classmethod
    def samples(cls, rng):
        return _unary_samples(cls(1.7), rng) + _unary_samples(cls(0.5), rng)


@register_op
@frozen_op
class MaximumScalar(_ScalarOp):
    """y = max(x, s).   VJP: dx = g * [x >= s]"""

    name = "_maximum_scalar"
    saves = ("x0",)

    def forward(self, x):
        return _with_scalar(np.maximum, x, self.scalar), (x,)

    def vjp(self, res, g):
        return (g * (res[0] >= self.scalar),)

    @classmethod
    def samples(cls, rng):
        return _unary_samples(cls(0.3), rng)


@register_op
@frozen_op
class MinimumScalar(_ScalarOp):
    """y = min(x, s).   VJP: dx = g * [x <= s]"""

    name = "_minimum_scalar"
    saves = ("x0",)

    def forward(self, x):
        return _with_scalar(np.minimum, x, self.scalar), (x,)

    def vjp(self, res, g):
        return (g * (res[0] <= self.scalar),)

    @classmethod
    def samples(cls, rng):
        return _unary_samples(cls(0.3), rng)


@register_op
@frozen_op
class ModScalar(_ScalarOp):
    """y = x mod s.   VJP: dx = g"""

    name = "_mod_scalar"

    def forward(self, x):
        return _with_scalar(_mod, x, self.scalar), ()

    def vjp(self, res, g):
        return (g,)

    @classmethod
    def samples(cls, rng):
        return _unary_samples(cls(1.7), rng, 0.1, 1.5)


@register_op
@frozen_op
class RModScalar(_ScalarOp):
    """y = s mod x.   VJP: dx = -g * floor(s / x)"""

    name = "_rmod_scalar"

    def forward(self, x):
        return _with_scalar(_rmod, x, self.scalar), (x,)

    def vjp(self, res, g):
        return (-g * np.floor(self.scalar / res[0]),)

    @classmethod
    def samples(cls, rng):
        return _unary_samples(cls(1.7), rng, 0.6, 0.8)


# ---- unary math -----------------------------------------------------------------------

def _unary(name: str, doc: str, fwd, back, saves: tuple[str, ...] | None,
           low: float = -2, high: float = 2, keep_res: str = "x") -> type[Op]:
    """Define a unary operator from its forward and its derivative formula.

    ``back(g, x, y)`` returns dx; ``keep_res`` says which of x and y the VJP reads, so that
    only that array is kept for backward.
    """

    @frozen_op
    class Unary(Op):
        method = name

        # forward keeps only what the derivative formula reads: x, y, both or nothing
        if keep_res == "x":
            def forward(self, x):
                y = fwd(x)
                return (y if y.dtype == x.dtype else y.astype(x.dtype)), (x,)

            def vjp(self, res, g):
                return (back(g, res[0], None),)
        elif keep_res == "y":
            def forward(self, x):
                y = fwd(x)
                y = y if y.dtype == x.dtype else y.astype(x.dtype)
                return y, (y,)

            def vjp(self, res, g):
                return (back(g, None, res[0]),)
        else:
            def forward(self, x):
                y = fwd(x)
                return (y if y.dtype == x.dtype else y.astype(x.dtype)), ()

            def vjp(self, res, g):
                return (back(g, None, None),)

        @classmethod
        def samples(cls, rng):
            return _unary_samples(cls(), rng, low, high)

    cls_name = "".join(p.title() for p in name.split("_"))
    Unary.__name__ = Unary.__qualname__ = cls_name
    Unary.__doc__ = doc
    Unary.name = name
    Unary.saves = saves
    register_op(Unary)
    return Unary


_unary("negative", "y = -x.   VJP: dx = -g", lambda x: -x, lambda g, x, y: -g, (), keep_res="")
_unary("exp", "y = exp(x).   VJP: dx = g * y", np.exp, lambda g, x, y: g * y, ("y",),
       keep_res="y")
_unary("expm1", "y = exp(x) - 1.   VJP: dx = g * (y + 1)", np.expm1,
       lambda g, x, y: g * (y + 1), ("y",), keep_res="y")
_unary("log", "y = ln(x).   VJP: dx = g / x", np.log, lambda g, x, y: g / x, ("x0",), 0.2, 3)
_unary("log2", "y = log2(x).   VJP: dx = g / (x ln 2)", np.log2,
       lambda g, x, y: g / (x * np.log(2.0)), ("x0",), 0.2, 3)
_unary("log10", "y = log10(x).   VJP: dx = g / (x ln 10)", np.log10,
       lambda g, x, y: g / (x * np.log(10.0)), ("x0",), 0.2, 3)
_unary("log1p", "y = ln(1 + x).   VJP: dx = g / (1 + x)", np.log1p,
       lambda g, x, y: g / (x + 1), ("x0",), -0.5, 3)
_unary("sqrt", "y = sqrt(x).   VJP: dx = g / (2 y)", np.sqrt, lambda g, x, y: g / (y * 2),
       ("y",), 0.2, 3, keep_res="y")
_unary("rsqrt", "y = 1 / sqrt(x).   VJP: dx = -g y**3 / 2", lambda x: 1 / np.sqrt(x),
       lambda g, x, y: -0.5 * g * y * y * y, ("y",), 0.2, 3, keep_res="y")
_unary("cbrt", "y = x**(1/3).   VJP: dx = g / (3 y**2)", np.cbrt,
       lambda g, x, y: g / (y * y * 3), ("y",), 0.2, 3, keep_res="y")
_unary("square", "y = x**2.   VJP: dx = 2 x g", np.square, lambda g, x, y: g * x * 2, ("x0",))
_unary("reciprocal", "y = 1 / x.   VJP: dx = -g y**2", np.reciprocal,
       lambda g, x, y: -g * y * y, ("y",), 0.5, 2, keep_res="y")
_unary("abs", "y = |x|.   VJP: dx = g * sign(x) (0 at x = 0)", np.abs,
       lambda g, x, y: g * np.sign(x), ("c",))
_unary("sign", "y = sign(x).   VJP: dx = 0", np.sign, lambda g, x, y: g * 0, (), keep_res="")
_unary("sin", "y = sin(x).   VJP: dx = g cos(x)", np.sin, lambda g, x, y: g * np.cos(x),
       ("x0",))
_unary("cos", "y = cos(x).   VJP: dx = -g sin(x)", np.cos, lambda g, x, y: -g * np.sin(x),
       ("x0",))
_unary("tan", "y = tan(x).   VJP: dx = g (1 + y**2)", np.tan,
       lambda g, x, y: g * (y * y + 1), ("y",), -1, 1, keep_res="y")
_unary("arcsin", "y = arcsin(x).   VJP: dx = g / sqrt(1 - x**2)", np.arcsin,
       lambda g, x, y: g / np.sqrt(1 - x * x), ("x0",), -0.8, 0.8)
_unary("arccos", "y = arccos(x).   VJP: dx = -g / sqrt(1 - x**2)", np.arccos,
       lambda g, x, y: -g / np.sqrt(1 - x * x), ("x0",), -0.8, 0.8)
_unary("arctan", "y = arctan(x).   VJP: dx = g / (1 + x**2)", np.arctan,
       lambda g, x, y: g / (x * x + 1), ("x0",))
_unary("sinh", "y = sinh(x).   VJP: dx = g cosh(x)", np.sinh, lambda g, x, y: g * np.cosh(x),
       ("x0",))
_unary("cosh", "y = cosh(x).   VJP: dx = g sinh(x)", np.cosh, lambda g, x, y: g * np.sinh(x),
       ("x0",))
_unary("tanh", "y = tanh(x).   VJP: dx = g (1 - y**2)", np.tanh,
       lambda g, x, y: g * (1 - y * y), ("y",), keep_res="y")
_unary("arcsinh", "y = arcsinh(x).   VJP: dx = g / sqrt(x**2 + 1)", np.arcsinh,
       lambda g, x, y: g / np.sqrt(x * x + 1), ("x0",))
_unary("arccosh", "y = arccosh(x).   VJP: dx = g / sqrt(x**2 - 1)", np.arccosh,
       lambda g, x, y: g / np.sqrt(x * x - 1), ("x0",), 1.2, 3)
_unary("arctanh", "y = arctanh(x).   VJP: dx = g / (1 - x**2)", np.arctanh,
       lambda g, x, y: g / (1 - x * x), ("x0",), -0.8, 0.8)
# MXNet multiplies by a float32 constant made from float32 pi, also for float64 data
_PI32 = float(np.float32(np.pi))
_DEG, _RAD = float(np.float32(180 / _PI32)), float(np.float32(_PI32 / 180))
_unary("degrees", "y = x * 180 / pi.   VJP: dx = g * 180 / pi", lambda x: x * _DEG,
       lambda g, x, y: g * _DEG, (), keep_res="")
_unary("radians", "y = x * pi / 180.   VJP: dx = g * pi / 180", lambda x: x * _RAD,
       lambda g, x, y: g * _RAD, (), keep_res="")
def _round_half_away(x):
    return np.sign(x) * np.floor(np.abs(x) + 0.5)


def _rint_half_down(x):
    # MXNet's rint sends exact halves toward -inf (2.5 -> 2, -2.5 -> -3)
    return np.ceil(x - 0.5)


# fix rounds toward zero, which is trunc (np.fix is deprecated from NumPy 2.5)
for _name, _f in (("floor", np.floor), ("ceil", np.ceil), ("round", _round_half_away),
                  ("rint", _rint_half_down), ("fix", np.trunc), ("trunc", np.trunc)):
    _unary(_name, f"y = {_name}(x).   VJP: dx = 0 (piecewise constant)", _f,
           lambda g, x, y: g * 0, (), keep_res="")
