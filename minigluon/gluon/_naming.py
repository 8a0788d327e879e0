"""Automatic block names: the per-hint counters and ``with block.name_scope():``.

MXNet 1.x keeps this in ``mxnet/name.py``; it gives every block a prefix such as
``dense0_`` (see :mod:`minigluon.gluon.block` for the rules).
"""

from __future__ import annotations

import threading
from typing import Any

from .parameter import ParameterDict

__all__ = ["reset_name_counters"]

# hint -> how many blocks of that hint were created outside any name_scope
_COUNTERS: dict[str, int] = {}


def reset_name_counters() -> None:
    """Restart the automatic block names from 0 (``dense0``, ``sequential0`` ...).

    MXNet numbers blocks with process-global counters, so running the same notebook cells
    twice names the layers ``dense2``, ``dense3`` ...; code that indexes parameters by name
    then fails with KeyError. Call this at the top of a notebook or in a test fixture.
    Blocks that already exist keep their names.
    """
    _COUNTERS.clear()


class _BlockScope:
    """What ``with block.name_scope():`` enters: children created inside are named relative
    to the block, with counters of their own."""

    _current = threading.local()

    def __init__(self, block: Any) -> None:
        self._block = block
        self._counter: dict[str, int] = {}
        self._old_scope: _BlockScope | None = None

    @staticmethod
    def create(prefix: str | None, params: ParameterDict | None, hint: str
               ) -> tuple[str, ParameterDict]:
        """The prefix and parameter dict of a new block."""
        current = getattr(_BlockScope._current, "value", None)
        if current is None:
            if prefix is None:
                count = _COUNTERS.get(hint, 0)
                _COUNTERS[hint] = count + 1
                prefix = f"{hint}{count}_"
            params = ParameterDict(prefix) if params is None else \
                ParameterDict(params.prefix, params)
            return prefix, params
        if prefix is None:
            count = current._counter.get(hint, 0)
            current._counter[hint] = count + 1
            prefix = f"{hint}{count}_"
        if params is None:
            parent = current._block.params
            params = ParameterDict(parent.prefix + prefix, parent._shared)
        else:
            params = ParameterDict(params.prefix, params)
        return current._block.prefix + prefix, params

    def __enter__(self) -> _BlockScope:
        if self._block._empty_prefix:
            return self
        self._old_scope = getattr(_BlockScope._current, "value", None)
        _BlockScope._current.value = self
        return self

    def __exit__(self, *exc: object) -> None:
        if self._block._empty_prefix:
            return
        _BlockScope._current.value = self._old_scope
