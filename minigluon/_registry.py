"""One registry class for every plugin kind: operators, initializers, optimizers.

A registry maps lower-cased names to objects. Names can also be filled lazily from an
entry-point group, so installed third-party packages are found without minigluon importing
them at start-up.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class Registry(Generic[T]):
    """Name -> object mapping with MXNet's register/alias/create verbs.

    Parameters
    ----------
    kind : str
        What the registry holds ("operator", "initializer", ...), used in messages.
    group : str, optional
        Entry-point group scanned once, on the first lookup miss or listing.
    """

    def __init__(self, kind: str, group: str | None = None) -> None:
        self.kind = kind
        self.group = group
        self._items: dict[str, T] = {}
        self._owners: dict[str, str] = {}
        self._plugins_loaded = group is None
        self._listeners: list[Callable[[str, T], None]] = []
        self._unlisteners: list[Callable[[str, T], None]] = []

    def register(self, obj: T, name: str | None = None, *, override: bool = False,
                 owner: str | None = None) -> T:
        """Add ``obj`` under ``name`` (default: its ``name`` attribute or class name).

        Raises
        ------
        ValueError
            If the name is taken and ``override`` is false; the message names both owners.
        """
        key = (name or getattr(obj, "name", None) or obj.__name__).lower()  # type: ignore[attr-defined]
        new_owner = owner or getattr(obj, "__module__", "?")
        if key in self._items and not override:
            raise ValueError(
                f"{self.kind} {key!r} is already registered (by {self._owners[key]}); "
                f"{new_owner} tried to register it again. Pass override=True to replace it.")
        self._items[key] = obj
        self._owners[key] = new_owner
        for listener in self._listeners:
            listener(key, obj)
        return obj

    def replace(self, obj: T, name: str, stacklevel: int = 2) -> T:
        """Register ``obj`` under ``name``, replacing another object already there with
        MXNet's warning (its ``register`` verbs let a re-run notebook cell redefine a
        class). ``stacklevel`` is the warning's, counted from the caller."""
        key = name.lower()
        if key in self:
            old = self.get(key)
            if old is not obj:
                warnings.warn(
                    f"New {self.kind} {obj.__module__}.{obj.__name__} registered with "  # type: ignore[attr-defined]
                    f"name {key} is overriding existing {self.kind} "
                    f"{old.__module__}.{old.__name__}", UserWarning,  # type: ignore[attr-defined]
                    stacklevel=stacklevel + 1)
        return self.register(obj, key, override=True)

    def unregister(self, name: str) -> T:
        """Remove ``name`` (and whatever was built from it, such as ``nd.<name>``);
        returns the object it held."""
        key = name.lower()
        obj = self._items.pop(key)
        self._owners.pop(key, None)
        for listener in self._unlisteners:
            listener(key, obj)
        return obj

    def on_unregister(self, listener: Callable[[str, T], None]) -> None:
        """Call ``listener(name, obj)`` whenever an entry is removed."""
        self._unlisteners.append(listener)

    def alias(self, *names: str) -> Callable[[T], T]:
        """Decorator registering an object under extra names."""
        def deco(obj: T) -> T:
            for n in names:
                self.register(obj, n)
            return obj
        return deco

    def get(self, name: str) -> T:
        """Look ``name`` up (case-insensitive), loading plugins on a miss."""
        key = name.lower()
        if key not in self._items:
            self.load_plugins()
        try:
            return self._items[key]
        except KeyError:
            raise KeyError(f"no {self.kind} named {name!r}; known: "
                           f"{', '.join(sorted(self._items))}") from None

    def __contains__(self, name: object) -> bool:
        if isinstance(name, str) and name.lower() in self._items:
            return True
        self.load_plugins()
        return isinstance(name, str) and name.lower() in self._items

    def __iter__(self) -> Iterator[str]:
        self.load_plugins()
        return iter(list(self._items))

    def items(self) -> list[tuple[str, T]]:
        self.load_plugins()
        return list(self._items.items())

    def owner(self, name: str) -> str:
        """The module (or distribution) that registered ``name``."""
        return self._owners[name.lower()]

    def on_register(self, listener: Callable[[str, T], None]) -> None:
        """Call ``listener(name, obj)`` for every present and future entry."""
        self._listeners.append(listener)
        for key, obj in list(self._items.items()):
            listener(key, obj)

    def load_plugins(self) -> None:
        """Import the entry points of ``group`` once (skipped if MINIGLUON_NO_PLUGINS=1).

        A plugin whose name clashes with an existing entry is skipped with a warning, so a
        package cannot silently replace a built-in.
        """
        if self._plugins_loaded:
            return
        self._plugins_loaded = True
        if os.environ.get("MINIGLUON_NO_PLUGINS") == "1":
            return
        from importlib.metadata import entry_points

        for ep in entry_points(group=self.group or ""):
            if ep.name.lower() in self._items:
                warnings.warn(f"{self.kind} plugin {ep.name!r} from {ep.value} is skipped: "
                              f"the name is taken by {self._owners[ep.name.lower()]}",
                              stacklevel=2)
                continue
            try:
                obj: Any = ep.load()
            except Exception as exc:  # a broken plugin must not break minigluon
                warnings.warn(f"could not load {self.kind} plugin {ep.name!r} "
                              f"({ep.value}): {exc!r}", stacklevel=2)
                continue
            if ep.name.lower() not in self._items:
                self.register(obj, ep.name, owner=f"plugin {ep.value}")

    def create(self, spec: Any, *args: Any, **kwargs: Any) -> Any:
        """Instantiate by name (``create('sgd', learning_rate=.1)``); instances pass through."""
        if isinstance(spec, str):
            return self.get(spec)(*args, **kwargs)  # type: ignore[operator]
        return spec
