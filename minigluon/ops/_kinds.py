"""How the built-in operators are declared: the kinds of operator, and tables.

A binary operator with broadcasting subclasses :class:`Binary`: it writes ``forward`` and
``vjp_some`` (or ``vjp``) only, because the base turns NumPy's broadcasting error into
MXNet's message, runs ``vjp`` as ``vjp_some`` with both gradients wanted, and checks the
VJP on the shapes of :data:`PAIR_SHAPES` (within ``domain``)::

    @register_op
    @frozen_op
    class Mul(Binary):
        '''y = a * b.   VJP: da = g * b, db = g * a'''
        name = "broadcast_mul"
        saves = ("x0", "x1")

        def forward(self, a, b):
            return a * b, (a, b)

        def vjp_some(self, res, g, needs):
            a, b = res
            return (unbroadcast(g * b, a.shape) if needs[0] else None,
                    unbroadcast(g * a, b.shape) if needs[1] else None)

Families of operators that differ only in a formula (the unary math functions, the
comparisons, the logical operators) are rows of a table: :func:`declare` makes and
registers one class per row, named and documented when it is created.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np

from ..base import MinigluonError
from ._op import Op, frozen_op, register_op

__all__ = ["PAIR_SHAPES", "BOTH", "pair_samples", "unary_samples", "param_samples",
           "broadcast_error", "Binary", "ScalarOp", "Unary", "declare", "unary",
           "in_own_dtype"]

#: shapes on which every binary operator is checked, broadcasting included
PAIR_SHAPES = [((3, 4), (3, 4)), ((3, 1), (1, 4)), ((2, 3), (3,)), ((4,), (2, 3, 4))]

#: ``needs`` when both inputs of a binary operator want a gradient
BOTH = (True, True)


def pair_samples(op: Op, rng: np.random.Generator, low: float = -2, high: float = 2,
                 low_b: float | None = None, high_b: float | None = None
                 ) -> list[tuple[Op, list[np.ndarray]]]:
    """Inputs of a binary operator on :data:`PAIR_SHAPES`: ``a`` drawn from [low, high),
    ``b`` from [low_b, high_b) (the same range unless given)."""
    lb = low if low_b is None else low_b
    hb = high if high_b is None else high_b
    return [(op, [rng.uniform(low, high, sa), rng.uniform(lb, hb, sb)])
            for sa, sb in PAIR_SHAPES]


def unary_samples(op: Op, rng: np.random.Generator, low: float = -2, high: float = 2
                  ) -> list[tuple[Op, list[np.ndarray]]]:
    """Inputs of a one-input operator, drawn from [low, high), in three shapes."""
    return [(op, [rng.uniform(low, high, s)]) for s in [(5,), (2, 3), (2, 1, 3)]]


def param_samples(cls: type[Op], rng: np.random.Generator, *cases: Any
                  ) -> list[tuple[Op, list[np.ndarray]]]:
    """One operator ``cls(*params)`` on a normal input of ``shape`` per ``(shape, params)``
    case."""
    return [(cls(*p), [rng.normal(size=s)]) for s, p in cases]


def broadcast_error(a: np.ndarray, b: np.ndarray) -> None:
    """Raise MXNet's error for shapes that do not broadcast."""
    raise MinigluonError(f"operands could not be broadcast together with shapes "
                         f"{list(a.shape)} {list(b.shape)}") from None


class Binary(Op):
    """Base of the operators ``y = f(a, b)`` with broadcasting."""

    inputs: ClassVar[tuple[str, ...]] = ("lhs", "rhs")
    #: keyword arguments of :func:`pair_samples`: the inputs' ranges for the VJP check
    domain: ClassVar[dict[str, float]] = {}

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        fwd = cls.__dict__.get("forward")
        if fwd is None or getattr(fwd, "_broadcast_checked", False):
            return

        def forward(self: Binary, a: np.ndarray, b: np.ndarray) -> Any:
            try:
                return fwd(self, a, b)
            except ValueError:  # NumPy's broadcasting error, in MXNet's words
                broadcast_error(a, b)

        forward._broadcast_checked = True  # type: ignore[attr-defined]
        forward.__name__, forward.__qualname__ = fwd.__name__, fwd.__qualname__
        forward.__doc__ = fwd.__doc__
        forward.__wrapped__ = fwd  # type: ignore[attr-defined]
        cls.forward = forward  # type: ignore[method-assign]

    def vjp(self, res: tuple[Any, ...], g: Any) -> Any:
        return self.vjp_some(res, g, BOTH)

    @classmethod
    def samples(cls, rng: np.random.Generator) -> list[tuple[Op, list[np.ndarray]]]:
        return pair_samples(cls(), rng, **cls.domain)


@frozen_op
class ScalarOp(Op):
    """Base of the array-scalar operators: the scalar is a static parameter."""

    scalar: float = 1.0
    expose = False

    def scalar_like(self, x: Any) -> Any:
        """``self.scalar`` for arithmetic with ``x``: for a float NumPy array and a Python
        number, a 0-d array of x's dtype, made once per operator and dtype.

        NumPy casts a Python number to a float array's dtype before the arithmetic anyway
        (NEP 50), so the 0-d array gives the same bits (tests/ops/test_scalar_like.py
        checks edge values), and NumPy takes half the time with it on a small array."""
        try:
            return self._like[x.dtype]  # type: ignore[attr-defined]
        except (AttributeError, KeyError):
            return self._make_like(x)

    def _make_like(self, x: Any) -> Any:
        like = self.__dict__.setdefault("_like", {})  # the class is frozen; this cache is not
        s = self.scalar
        dt = x.dtype
        if x.__class__ is np.ndarray and dt.kind == "f" and (
                s.__class__ is float or s.__class__ is int and abs(s) <= 2**53):
            value = np.array(s, dtype=dt)
            value.flags.writeable = False
        else:  # NumPy scalars keep their own dtype (NEP 50): the number as it is
            value = s
        if len(like) < 16:
            like[dt] = value
        return value

    @classmethod
    def samples(cls, rng: np.random.Generator) -> list[tuple[Op, list[np.ndarray]]]:
        return unary_samples(cls(1.7), rng, 0.5, 2) + unary_samples(cls(-0.6), rng, 0.5, 2)


def declare(base: type, name: str, doc: str, module: str, **namespace: Any) -> type[Op]:
    """Make, register and return the operator class of one table row.

    The class is named from ``name`` (``broadcast_equal`` -> ``BroadcastEqual``) and gets
    ``doc`` as its docstring (whose first line is the rule ``explain`` prints); the other
    keyword arguments become class attributes.
    """
    cls_name = "".join(p.title() for p in name.split("_"))
    ns = {"__doc__": doc, "__module__": module, "__qualname__": cls_name, "name": name,
          **namespace}
    return register_op(frozen_op(type(cls_name, (base,), ns)))


# ---- one-input functions from a formula and its derivative ------------------------------

class Unary(Op):
    """Base of ``y = f(x)`` with ``dx = df(g, x, y)``; ``keeps`` says which of x and y the
    derivative reads, so that only that array is kept for backward."""

    f: ClassVar[Callable[[np.ndarray], np.ndarray]]
    df: ClassVar[Callable[[Any, Any, Any], Any]]
    #: the VJP check's input range
    low: ClassVar[float] = -2
    high: ClassVar[float] = 2

    @classmethod
    def samples(cls, rng: np.random.Generator) -> list[tuple[Op, list[np.ndarray]]]:
        return unary_samples(cls(), rng, cls.low, cls.high)


def in_own_dtype(f: Callable[[np.ndarray], np.ndarray], x: np.ndarray,
                 y: np.ndarray | None = None) -> np.ndarray:
    """f(x) in x's dtype (``y``: f(x), when already computed). Where NumPy would compute
    an integer input in floats, MXNet computes in float32 (float16 for NumPy's (u)int8,
    which rounds e.g. tanh(8) up to 1) and truncates the result back to the integer type."""
    if y is None:
        y = f(x)
    if y.dtype == x.dtype:
        return y
    if x.dtype.kind in "iub":
        y = f(x.astype(np.float32))
    return y.astype(x.dtype)


class _KeepX(Unary):
    def forward(self, x):
        y = self.f(x)  # in_own_dtype's common case without the call, in all three
        return (y if y.dtype == x.dtype else in_own_dtype(self.f, x, y)), (x,)

    def vjp(self, res, g):
        return (self.df(g, res[0], None),)


class _KeepY(Unary):
    def forward(self, x):
        y = self.f(x)
        if y.dtype != x.dtype:
            y = in_own_dtype(self.f, x, y)
        return y, (y,)

    def vjp(self, res, g):
        return (self.df(g, None, res[0]),)


class _KeepNothing(Unary):
    def forward(self, x):
        y = self.f(x)
        return (y if y.dtype == x.dtype else in_own_dtype(self.f, x, y)), ()

    def vjp(self, res, g):
        return (self.df(g, None, None),)


_KEEP = {"x": _KeepX, "y": _KeepY, "": _KeepNothing}


def unary(name: str, doc: str, f: Callable[[np.ndarray], np.ndarray],
          df: Callable[[Any, Any, Any], Any], saves: tuple[str, ...] | None,
          low: float = -2, high: float = 2, keeps: str = "x", module: str = __name__
          ) -> type[Op]:
    """Declare the one-input operator ``nd.<name>`` (and the NDArray method) from its
    forward ``f(x)`` and its VJP ``df(g, x, y)``, which reads only what ``keeps`` names
    (``"x"``, ``"y"`` or ``""``)."""
    return declare(_KEEP[keeps], name, doc, module, method=name, saves=saves,
                   f=staticmethod(f), df=staticmethod(df), low=low, high=high)
