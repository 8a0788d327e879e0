"""MXNet's numeric conventions that NumPy does not share, each under a name, so that the
operators' bodies read like their formulas.

Every function here reproduces a behaviour observed in MXNet 1.9.1 (the golden tests pin
them): integer arrays compute array-scalar arithmetic in their own dtype, C style; modulo
by zero gives 0; a result never has 0 dimensions; rounding modes; float32 constants.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["cast_scalar", "with_scalar", "mod", "rsub", "rdiv", "rpow", "rmod", "as_1d",
           "as_shape", "round_half_away", "rint_half_down", "DEG", "RAD"]


def cast_scalar(s: float, x: np.ndarray) -> Any:
    """The scalar ``s`` as MXNet hands it to an operator on ``x``.

    MXNet casts the scalar to an integer array's dtype before computing (int32 * 0.5 = 0),
    as C does: 300 becomes 44 for uint8, without an error.
    """
    return s if x.dtype.kind == "f" else np.asarray(s).astype(x.dtype)[()]


def with_scalar(f: Any, x: np.ndarray, s: float) -> np.ndarray:
    """``f(x, s)`` in x's dtype, as MXNet computes array-scalar arithmetic."""
    if x.dtype.kind == "f":
        return f(x, s)  # a Python number keeps a float array's dtype (NumPy's NEP 50)
    try:
        y = f(x, cast_scalar(s, x))
    except ValueError:  # an integer to a negative power: 1/x, truncated as MXNet does
        y = np.trunc(f(x.astype(np.float64), float(cast_scalar(s, x))))
    return y if y.dtype == x.dtype else y.astype(x.dtype)


def mod(a: Any, b: Any) -> np.ndarray:
    """a mod b, floored as in Python; MXNet's modulo by zero gives 0 (NumPy: nan)."""
    return np.where(b == 0, 0, np.mod(a, b)).astype(np.result_type(a, b), copy=False)


def rsub(x: Any, s: Any) -> Any:
    """s - x (the scalar on the left)."""
    return s - x


def rdiv(x: Any, s: Any) -> Any:
    """s / x (the scalar on the left)."""
    return s / x


def rpow(x: Any, s: Any) -> Any:
    """s ** x (the scalar on the left)."""
    return s ** x


def rmod(x: Any, s: Any) -> np.ndarray:
    """s mod x (the scalar on the left)."""
    return mod(s, x)


def as_1d(y: Any) -> np.ndarray:
    """MXNet 1.x has no 0-d arrays: a scalar result has shape (1,)."""
    y = np.asarray(y)
    return y.reshape(1) if y.ndim == 0 else y


def as_shape(shape: Any) -> tuple[int, ...]:
    """A shape parameter as MXNet reads it: an int or a sequence of ints."""
    return (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(map(int, shape))


def round_half_away(x: np.ndarray) -> np.ndarray:
    """MXNet's round: halves go away from zero (2.5 -> 3, -2.5 -> -3)."""
    return np.sign(x) * np.floor(np.abs(x) + 0.5)


def rint_half_down(x: np.ndarray) -> np.ndarray:
    """MXNet's rint sends exact halves toward -inf (2.5 -> 2, -2.5 -> -3)."""
    return np.ceil(x - 0.5)


# MXNet multiplies by a float32 constant made from float32 pi, also for float64 data
_PI32 = float(np.float32(np.pi))
#: degrees per radian and radians per degree, as MXNet's float32 constants
DEG, RAD = float(np.float32(180 / _PI32)), float(np.float32(_PI32 / 180))
