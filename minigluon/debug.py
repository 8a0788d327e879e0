"""``mx.debug``: the training-loop linter, under the name MXNet users look for.

The linter lives in :mod:`minigluon.instruments.lint`. This face answers every attribute
read from that module, so there is one switch (``ON``) and one set of checks;
``mx.debug.enable()``, ``with mx.debug():`` and ``mx.debug(False)`` behave as they always
have. (Its documentation below is the linter's own.)
"""

from __future__ import annotations

import sys
import types
from typing import Any

from .instruments import lint as _lint

__all__ = list(_lint.__all__)

# documented here for the reference page; the values are read from the linter module
#: whether the linter is on (its checks are subscribed to the core's events)
ON: bool
#: the documentation pages the warnings point to (paths in the documentation site)
PAGES: dict[str, str]


class _Face(types.ModuleType):
    """Attribute reads go to the linter module; calling it opens a scope."""

    def __call__(self, on: bool = True) -> Any:
        return _lint.scope(on)

    def __getattr__(self, name: str) -> Any:
        return getattr(_lint, name)

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(dir(_lint)))


sys.modules[__name__].__class__ = _Face
__doc__ = _lint.__doc__  # noqa: A001 (the reference page shows the linter's documentation)
