"""``mx.util``: the NumPy-semantics switches of MXNet 1.9.1, with their 1.x answers.

minigluon implements MXNet 1.x's ``nd`` arrays only: NumPy-compatible shapes and arrays
(``mx.np``/``mx.npx``) are never active, so :func:`is_np_array` and :func:`is_np_shape`
say ``False``, turning them off is accepted, and turning them on (``use_np``, ``set_np``,
``np_shape(True)``) raises :class:`~minigluon.base.NotAvailableError` instead of running
code that expects semantics minigluon does not have.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

from .base import NotAvailableError, py_str

__all__ = ["is_np_array", "is_np_shape", "use_np", "use_np_array", "use_np_shape", "set_np",
           "reset_np", "set_np_shape", "np_array", "np_shape", "getenv", "setenv",
           "get_gpu_count", "py_str"]


def _refuse(what: str) -> NotAvailableError:
    return NotAvailableError(
        f"{what}: minigluon implements MXNet 1.x's nd arrays only; NumPy-compatible "
        "arrays and shapes (mx.np, mx.npx) are not available")


def is_np_array() -> bool:
    """Whether NumPy-compatible arrays are active: never in minigluon (``False``)."""
    return False


def is_np_shape() -> bool:
    """Whether NumPy shape semantics are active: never in minigluon (``False``)."""
    return False


def set_np_shape(active: bool) -> bool:
    """Turn NumPy shape semantics off (``False``, the only state minigluon has); returns
    the previous state."""
    if active:
        raise _refuse("set_np_shape(True)")
    return False


def set_np(shape: bool = True, array: bool = True, dtype: bool = False) -> None:
    """Turn NumPy semantics on: not available (``set_np(False, False)`` is accepted)."""
    if shape or array or dtype:
        raise _refuse("set_np")


def reset_np() -> None:
    """Turn NumPy semantics off: nothing to do, they are never on."""


@contextlib.contextmanager
def np_shape(active: bool = True) -> Iterator[None]:
    """A scope with NumPy shape semantics on or off; only ``active=False`` is available."""
    if active:
        raise _refuse("np_shape(True)")
    yield


@contextlib.contextmanager
def np_array(active: bool = True) -> Iterator[None]:
    """A scope with NumPy arrays on or off; only ``active=False`` is available."""
    if active:
        raise _refuse("np_array(True)")
    yield


def use_np(func: Any) -> Any:
    """Decorator making a function or Block use ``mx.np`` semantics: not available."""
    raise _refuse(f"use_np({getattr(func, '__name__', func)!r})")


use_np_array = use_np
use_np_shape = use_np


def getenv(name: str) -> str | None:
    """The value of the environment variable ``name`` (``None`` if unset)."""
    return os.environ.get(name)


def setenv(name: str, value: str | None) -> None:
    """Set (or, with ``None``, remove) an environment variable."""
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value


def get_gpu_count() -> int:
    """Always 0: minigluon computes on the CPU."""
    return 0
