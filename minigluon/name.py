"""``mx.name``: automatic names (``fc0``, ``fc1`` ...) as MXNet 1.9.1 gives them.

A :class:`NameManager` counts, per hint, the names it has handed out; ``with`` makes one
the current manager for the thread. :class:`Prefix` puts a prefix before every name.

Examples
--------
>>> from minigluon import name
>>> with name.Prefix("mynet_") as nm:
...     nm.get(None, "fc"), nm.get(None, "fc"), nm.get("out", "fc")
('mynet_fc0', 'mynet_fc1', 'mynet_out')
"""

from __future__ import annotations

import threading
import warnings
from typing import Any

__all__ = ["NameManager", "Prefix"]


class _CurrentProperty(type):
    """Lets ``NameManager.current`` be read and set on the class, as in MXNet."""

    @property
    def current(cls) -> NameManager:
        warnings.warn("NameManager.current has been deprecated. It is advised to use the "
                      "`with` statement with NameManager.", DeprecationWarning, stacklevel=2)
        return NameManager._active()

    @current.setter
    def current(cls, value: NameManager) -> None:
        NameManager._local.value = value


class NameManager(metaclass=_CurrentProperty):
    """Gives ``hint0``, ``hint1``... for unnamed things; keeps a name given by the user."""

    _local = threading.local()

    def __init__(self) -> None:
        self._counter: dict[str, int] = {}
        self._old_manager: NameManager | None = None

    @classmethod
    def _active(cls) -> NameManager:
        if not hasattr(NameManager._local, "value"):
            NameManager._local.value = NameManager()
        return NameManager._local.value

    def get(self, name: str | None, hint: str) -> str:
        """``name`` if given, else ``hint`` followed by how often this hint was used."""
        if name:
            return name
        n = self._counter.get(hint, 0)
        self._counter[hint] = n + 1
        return f"{hint}{n}"

    def __enter__(self) -> NameManager:
        self._old_manager = NameManager._active()
        NameManager._local.value = self
        return self

    def __exit__(self, *exc: Any) -> None:
        assert self._old_manager
        NameManager._local.value = self._old_manager


class Prefix(NameManager):
    """A name manager that puts ``prefix`` before every name it gives."""

    def __init__(self, prefix: str) -> None:
        super().__init__()
        self._prefix = prefix

    def get(self, name: str | None, hint: str) -> str:
        return self._prefix + super().get(name, hint)
