"""MXNet's ``mx.contrib``: operators and tools outside the core API (``contrib.nd``), and
``contrib.text`` (vocabularies and token embeddings)."""

from __future__ import annotations

import importlib
import sys
from typing import Any

from . import (
    ndarray,  # noqa: F401
    ndarray as nd,  # noqa: F401
    text,  # noqa: F401
)


def __getattr__(name: str) -> Any:
    # under minigluon.compat, the parts of mxnet.contrib that minigluon lacks import as
    # placeholders (`from mxnet.contrib import quantization` in a helper module still loads)
    compat = sys.modules.get("minigluon.compat")
    if compat is not None and compat.is_installed() and \
            f"contrib.{name}" in compat._MXNET_MODULES:
        return importlib.import_module(f"mxnet.contrib.{name}")
    raise AttributeError(f"module 'minigluon.contrib' has no attribute {name!r}")


def __dir__() -> list[str]:
    names = set(globals())
    compat = sys.modules.get("minigluon.compat")
    if compat is not None and compat.is_installed():
        names |= {m.split(".")[1] for m in compat._MXNET_MODULES
                  if m.startswith("contrib.") and m.count(".") == 1}
    return sorted(names)
