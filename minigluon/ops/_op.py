"""The operator contract (``Op``), its registry and the helpers every operator file uses;
``minigluon.ops`` re-exports all of it. Kept apart from the package's ``__init__`` so that
the operator files import it without importing the package that loads them."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import attrs
import numpy as np

from .._registry import Registry
from ..base import MinigluonError

__all__ = ["Op", "frozen_op", "register_op", "get_op", "OPS", "unbroadcast", "normalize_axis",
           "apply", "set_invoker"]

# MXNet computes inf and nan silently (log(0), 1/0); NumPy would warn from inside our ops
warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"minigluon\.ops\.")

#: every operator class, by name (lower case); plugins arrive through ``minigluon.ops``
OPS: Registry[type[Op]] = Registry("operator", group="minigluon.ops")


class Op:
    """Base class of operators. Subclasses are ``attrs`` classes whose fields are the
    operator's static parameters.

    Class attributes
    ----------------
    name : str
        Registry name, and the ``nd`` function name unless ``expose`` is false.
    inputs : tuple of str
        Names of the array inputs; ``("*data",)`` for a variable number.
    method : str or None
        If set, NDArray gets a method of that name calling the operator.
    expose : bool
        Whether ``nd.<name>`` is generated from the class.
    saves : tuple of str or None
        What each residual is, for higher-order gradients: ``"x0"``, ``"x1"``... an input,
        ``"y"`` the output, ``"c"`` a constant (shapes, masks whose derivative is zero).
        ``None`` means the VJP cannot itself be differentiated (``create_graph=True``).
        A VJP that supports it is written with NumPy ufuncs and :func:`apply` (another
        operator) only, so that it runs on NDArrays too.
    view : bool
        The output is a view of the first input (shares memory, and so its version).
    nout : int
        Number of outputs (1 for every operator of the registry; a user ``Function`` may
        have more, each picked by a node of its own).
    """

    name: ClassVar[str] = ""
    inputs: ClassVar[tuple[str, ...]] = ("data",)
    method: ClassVar[str | None] = None
    expose: ClassVar[bool] = True
    saves: ClassVar[tuple[str, ...] | None] = None
    view: ClassVar[bool] = False
    nout: ClassVar[int] = 1

    def forward(self, *xs: np.ndarray) -> tuple[np.ndarray, tuple[Any, ...]]:
        """Compute the output from NumPy inputs; return it with the residuals."""
        raise NotImplementedError

    def vjp(self, res: tuple[Any, ...], g: Any) -> Sequence[Any]:
        """Given the residuals and the output gradient ``g``, one gradient per input."""
        raise NotImplementedError

    def vjp_some(self, res: tuple[Any, ...], g: Any, needs: tuple[bool, ...]
                 ) -> Sequence[Any]:
        """Like :meth:`vjp`, when only the inputs flagged in ``needs`` want a gradient (the
        others are data). Override it where skipping a gradient saves real work."""
        return self.vjp(res, g)

    def implied_loss(self, *xs: np.ndarray) -> Any:
        """For a loss layer (MXNet's output operators), whose backward ignores the head
        gradient: the scalar loss whose gradient the VJP returns, which the test suite
        checks the VJP against instead of the forward. ``None`` for other operators."""
        return None

    @classmethod
    def samples(cls, rng: np.random.Generator) -> list[tuple[Op, list[np.ndarray]]]:
        """Operator instances and float64 inputs on which the VJP is checked."""
        return []

    def slot_names(self, res: tuple[Any, ...]) -> list[str]:
        """A name for each residual in ``res`` (``saves``' entries, else ``res<i>``), for
        tables of what the tape keeps."""
        saves = self.saves or ()
        return [saves[i] if i < len(saves) else f"res{i}" for i in range(len(res or ()))]

    @property
    def rule(self) -> str:
        """The forward and backward formulas (the docstring's first line)."""
        doc = type(self).__doc__ or ""
        return doc.strip().splitlines()[0] if doc.strip() else self.name

    def params(self) -> dict[str, Any]:
        """The static parameters, as a dict (for printing and graph labels)."""
        return attrs.asdict(self, recurse=False) if attrs.has(type(self)) else {}

    def __str__(self) -> str:
        p = ", ".join(f"{k}={v!r}" for k, v in self.params().items())
        return f"{self.name}({p})" if p else self.name

    def __repr__(self) -> str:
        return f"<operator {self}>"


#: the class decorator of the built-in operators: attrs' frozen classes without the
#: generated ``__eq__``/``__repr__`` (operators compare by identity and print through
#: :meth:`Op.__str__`), which makes them three times cheaper to create at import.
#: A plugin may use it, or plain ``@attrs.frozen``.
frozen_op = attrs.frozen(eq=False, repr=False)


def register_op(cls: type[Op] | None = None, *, name: str | None = None,
                override: bool = False) -> Any:
    """Class decorator adding an operator to the registry.

    Registering a name twice raises ``ValueError`` unless ``override=True``.

    Examples
    --------
    >>> import attrs, numpy as np
    >>> from minigluon import nd
    >>> from minigluon.ops import OPS, Op, register_op
    >>> @register_op
    ... @attrs.frozen
    ... class Cube(Op):
    ...     '''y = x**3.   VJP: dx = 3 x**2 g'''
    ...     name = "doc_cube"
    ...     def forward(self, x):
    ...         return x ** 3, (x,)
    ...     def vjp(self, res, g):
    ...         return (3 * res[0] ** 2 * g,)
    ...     @classmethod
    ...     def samples(cls, rng):  # inputs on which the test suite checks the VJP
    ...         return [(cls(), [rng.normal(size=(2, 3))])]
    >>> nd.doc_cube(nd.array([2.0]))
    <BLANKLINE>
    [8.]
    <NDArray 1 @cpu(0)>
    >>> _ = OPS.unregister("doc_cube")  # and gone again: nd.doc_cube no longer exists
    """
    def deco(c: type[Op]) -> type[Op]:
        if name is not None:
            c.name = name
        if not c.name:
            raise ValueError(f"operator class {c.__qualname__} needs a `name`")
        OPS.register(c, c.name, override=override, owner=c.__module__)
        return c
    return deco(cls) if cls is not None else deco


def get_op(name: str) -> type[Op]:
    """The operator class registered as ``name``."""
    return OPS.get(name)


def unbroadcast(g: Any, shape: tuple[int, ...]) -> Any:
    """Sum ``g`` over the axes that broadcasting added or stretched, back to ``shape``."""
    gshape = g.shape
    if gshape == shape:
        return g
    lead = len(gshape) - len(shape)
    if gshape[lead:] == shape:  # only leading axes were added (a bias): no reshape
        return g.sum(axis=tuple(range(lead)))
    axes = tuple(range(lead)) + tuple(
        lead + i for i, s in enumerate(shape) if s == 1 and gshape[lead + i] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g.reshape(shape)


def normalize_axis(axis: Any, ndim: int) -> tuple[int, ...] | None:
    """``None`` or a tuple of non-negative axes."""
    if axis is None:
        return None
    if isinstance(axis, (int, np.integer)):
        axis = (axis,)
    out = []
    for a in axis:
        a = int(a)
        if not -ndim <= a < max(ndim, 1):
            raise MinigluonError(f"axis {a} is out of range for an array of {ndim} dimensions")
        out.append(a % max(ndim, 1))
    return tuple(out)


#: runs an operator on inputs that are not all NumPy arrays; ``minigluon.ndarray`` installs
#: it at import (dependency inversion: ops never import the array layer)
_INVOKE: Callable[[Op, Sequence[Any]], Any] | None = None


def set_invoker(fn: Callable[[Op, Sequence[Any]], Any]) -> None:
    """Install how :func:`apply` runs an operator on arrays that are not NumPy arrays."""
    global _INVOKE
    _INVOKE = fn


def apply(op: Op, *xs: Any) -> Any:
    """``op`` applied to ``xs``: its forward output on NumPy arrays; the recorded result
    when some input is an NDArray, as in a VJP run by ``autograd.grad(create_graph=True)``.
    VJPs that build their gradient from other operators call this."""
    if all(x.__class__ is np.ndarray for x in xs):
        return op.forward(*xs)[0]
    if _INVOKE is None:
        raise MinigluonError("ops.apply on arrays that are not NumPy arrays needs an invoker: "
                           "import minigluon.ndarray first")
    return _INVOKE(op, xs)
