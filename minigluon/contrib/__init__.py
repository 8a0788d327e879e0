"""MXNet's ``mx.contrib``: operators and tools outside the core API."""

from __future__ import annotations

import importlib
import sys
from typing import Any

from . import ndarray  # noqa: F401
from . import ndarray as nd  # noqa: F401


def __getattr__(name: str) -> Any:
    # under minigluon.compat, the parts of mxnet.contrib that minigluon lacks import as
    # placeholders (`from mxnet.contrib import quantization` in a helper module still loads)
    compat = sys.modules.get("minigluon.compat")
    if compat is not None and compat.is_installed() and \
            f"contrib.{name}" in compat._MXNET_MODULES:
        return importlib.import_module(f"mxnet.contrib.{name}")
    raise AttributeError(f"module 'minigluon.contrib' has no attribute {name!r}")
