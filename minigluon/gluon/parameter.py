"""Parameters: the named, trainable arrays of a Block, and the dictionaries that hold them.

A :class:`Parameter` owns one NDArray (minigluon has a single device, the CPU) on which
``attach_grad`` was called, so every operator that reads it while recording is on the
tape and ``backward`` writes its gradient. Its shape may contain 0 for "not known yet":
such a parameter is initialized lazily, on the first forward pass that reveals the shape
(*deferred initialization*).

Which initializer fills a parameter (the first one that is set wins):

1. ``init`` passed to :meth:`Parameter.initialize`;
2. ``Parameter.init``, fixed when the parameter was created (``Dense(bias_initializer=
   'zeros')``, ``params.get(..., init=...)``, a :class:`Constant`'s value);
3. ``init`` passed to ``Block.initialize`` / :meth:`ParameterDict.initialize`;
4. ``init.Uniform()`` (U(-0.07, 0.07)).

The chosen initializer's ``_init_weight(name, array)`` runs for every parameter it fills,
whatever the name ends with, and always under ``autograd.pause()``.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import ItemsView, Iterator, KeysView, ValuesView
from typing import Any

import numpy as np

from ..context import Context, cpu
from ..ndarray.ndarray import NDArray
from . import _checkpoint
from ._parameter import (
    Constant,
    DeferredInitializationError,
    Parameter,
    _default_init,
)
from .utils import _indent

__all__ = ["DeferredInitializationError", "Parameter", "Constant", "ParameterDict"]


class ParameterDict:
    """An ordered mapping from full names to Parameters, with a name prefix.

    Supports ``pd[name]``, ``name in pd``, iteration over names, ``keys()``, ``values()``
    and ``items()``; like MXNet's, it has no ``len()``.

    Parameters
    ----------
    prefix : str
        Prepended to the names of the parameters :meth:`get` creates.
    shared : ParameterDict, optional
        Looked up first by :meth:`get`: how blocks share parameters
        (``nn.Dense(8, params=other.params)``).
    """

    def __init__(self, prefix: str = "", shared: ParameterDict | None = None) -> None:
        self._prefix = prefix
        self._params: OrderedDict[str, Parameter] = OrderedDict()
        self._shared = shared

    def __repr__(self) -> str:
        name = self._prefix + " " if self._prefix else ""
        content = "\n".join(_indent(f"  {v}", 2) for v in self.values())
        return f"{name}(\n{content}\n)"

    def __getitem__(self, key: str) -> Parameter:
        return self._params[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._params)

    def __contains__(self, key: object) -> bool:
        return key in self._params

    def items(self) -> ItemsView[str, Parameter]:
        return self._params.items()

    def keys(self) -> KeysView[str]:
        return self._params.keys()

    def values(self) -> ValuesView[Parameter]:
        return self._params.values()

    @property
    def prefix(self) -> str:
        """Prepended to the names of parameters created by :meth:`get`."""
        return self._prefix

    def _get_impl(self, name: str) -> Parameter | None:
        if name in self._params:
            return self._params[name]
        if self._shared is not None and name in self._shared._params:
            self._params[name] = self._shared._params[name]
            return self._params[name]
        return None

    def get(self, name: str, **kwargs: Any) -> Parameter:
        """The parameter ``prefix + name``, created with ``kwargs`` if it does not exist.

        For an existing parameter, each given attribute must agree with the stored one
        (an unknown dimension 0 agrees with anything and is filled in).
        """
        name = self._prefix + name
        param = self._get_impl(name)
        if param is None:
            param = Parameter(name, **kwargs)
            self._params[name] = param
            return param
        for k, v in kwargs.items():
            existing = getattr(param, k, None)
            if existing is None:
                setattr(param, k, v)
                continue
            if k == "shape" and v is not None:
                v = (v,) if isinstance(v, (int, np.integer)) else tuple(v)
                merged = _merge_shapes(v, existing)
                if merged is not None:
                    param._shape = merged
                    continue
            elif k == "dtype" and np.dtype(v) == np.dtype(existing):
                continue
            if v is not None and v != existing:
                raise AssertionError(  # an assert in MXNet 1.9.1: same type
                    f"Cannot retrieve Parameter '{name}' because desired attribute does not "
                    f"match with stored for attribute '{k}': desired '{v}' vs stored "
                    f"'{getattr(param, k)}'.")
        return param

    def get_constant(self, name: str, value: Any = None) -> Constant:
        """The :class:`Constant` ``prefix + name``, created from ``value`` if needed."""
        name = self._prefix + name
        param = self._get_impl(name)
        if param is None:
            if value is None:
                raise KeyError(f"No constant named '{name}'. Please specify value if you "
                               "want to create a new constant.")
            param = Constant(name, value)
            self._params[name] = param
        elif value is not None:
            if not isinstance(param, Constant):
                raise AssertionError(  # an assert in MXNet 1.9.1: same type
                    f"Parameter '{name}' already exists but it is not a constant.")
            value = value.asnumpy() if isinstance(value, NDArray) else np.asarray(value)
            if param.shape != value.shape or not (param.value.asnumpy() == value).all():
                raise AssertionError(  # an assert in MXNet 1.9.1: same type
                    f"Constant '{name}' already exists but it's value doesn't match new value")
        return param  # type: ignore[return-value]

    def update(self, other: Any) -> None:
        """Add the parameters of ``other`` (a name clash with a different object fails)."""
        for k, v in other.items():
            if k in self._params:
                if self._params[k] is not v:
                    raise AssertionError(  # an assert in MXNet 1.9.1: same type
                        "Cannot update self with other because they have different Parameters "
                        f"with the same name '{k}'")
        for k, v in other.items():
            self._params[k] = v

    def select(self, pattern: str) -> ParameterDict:
        """The parameters whose full names match ``pattern`` (``re.match``: anchored at
        the start, so ``'.*weight'`` selects weights and ``'weight'`` selects nothing)."""
        regex = re.compile(pattern)
        out = ParameterDict(self._prefix)
        out.update({k: v for k, v in self._params.items() if regex.match(k)})
        return out

    def initialize(self, init: Any = None, ctx: Any = None, verbose: bool = False,
                   force_reinit: bool = False) -> None:
        """Initialize every parameter; ``init`` (``init.Uniform()`` if None) is only the
        default: a parameter's own ``init`` takes precedence."""
        if init is None:
            init = _default_init()
        if verbose and hasattr(init, "set_verbosity"):
            init.set_verbosity(verbose=verbose)
        for v in self.values():
            v.initialize(None, ctx, init, force_reinit=force_reinit)

    def zero_grad(self) -> None:
        """Set every gradient to 0."""
        for p in self.values():
            p.zero_grad()

    def reset_ctx(self, ctx: Any) -> None:
        for p in self.values():
            p.reset_ctx(ctx)

    def list_ctx(self) -> list[Context]:
        return [cpu()] if any(True for _ in self.values()) else []

    def setattr(self, name: str, value: Any) -> None:
        """Set attribute ``name`` of every parameter (``setattr('grad_req', 'add')``)."""
        for p in self.values():
            setattr(p, name, value)

    def save(self, filename: str, strip_prefix: str = "") -> None:
        """Write the values under their full names (minus ``strip_prefix``), atomically."""
        _checkpoint.save_params(self, filename, strip_prefix)

    def load(self, filename: str, ctx: Any = None, allow_missing: bool = False,
             ignore_extra: bool = False, restore_prefix: str = "", cast_dtype: bool = False,
             dtype_source: str = "current") -> None:
        """Read values saved by :meth:`save` (names are prefixed by ``restore_prefix``).

        The file is read and checked completely before any parameter changes.
        """
        _checkpoint.load_params(self, filename, ctx, allow_missing, ignore_extra,
                                restore_prefix, cast_dtype, dtype_source)

    def load_dict(self, param_dict: dict[str, NDArray], ctx: Any = None,
                  allow_missing: bool = False, ignore_extra: bool = False,
                  restore_prefix: str = "", filename: str | None = None,
                  cast_dtype: bool = False, dtype_source: str = "current") -> None:
        """Load values from a dict name -> NDArray (``arg:``/``aux:`` prefixes dropped)."""
        _checkpoint.load_params_dict(self, param_dict, ctx, allow_missing, ignore_extra,
                                     restore_prefix, filename, cast_dtype, dtype_source)



def _merge_shapes(v: tuple, existing: tuple) -> tuple | None:
    """Combine two shapes where 0 / -1 means unknown; None if they conflict."""
    if len(v) != len(existing):
        return None
    out = []
    for a, b in zip(v, existing):
        if a != b and a > 0 and b > 0:
            return None
        out.append(a if a == b or a > 0 else b)
    return tuple(out)
