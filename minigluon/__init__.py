"""minigluon: Apache MXNet's autograd and Gluon API on NumPy, written to be read.

``import minigluon as mx`` stands in for ``import mxnet as mx``.
"""

from __future__ import annotations

import importlib
from typing import Any

from . import autograd, base, context, debug, ndarray, ops, random
from .base import MinigluonError, MXNetError
from .context import Context, cpu, cpu_pinned, current_context, gpu, num_gpus

nd = ndarray

__version__ = "0.1.0"

# loaded on first use, so that `import minigluon` stays fast
_LAZY = {"gluon": "gluon", "init": "initializer", "initializer": "initializer",
         "optimizer": "optimizer", "viz": "viz", "testing": "testing", "compat": "compat",
         "explain": "explain", "lr_scheduler": "lr_scheduler",
         "image": "image", "img": "image", "recordio": "recordio", "io": "io",
         "test_utils": "test_utils", "util": "util", "name": "name", "runtime": "runtime",
         "contrib": "contrib", "sym": "symbol", "symbol": "symbol",
         "kv": "kvstore", "kvstore": "kvstore", "metric": "metric"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module = importlib.import_module(f".{_LAZY[name]}", __name__)
        globals()[name] = module
        return module
    raise AttributeError(f"module 'minigluon' has no attribute {name!r}")


__all__ = ["nd", "ndarray", "autograd", "random", "context", "base", "ops", "Context", "cpu",
           "gpu", "cpu_pinned", "num_gpus", "current_context", "MinigluonError", "MXNetError",
           "gluon", "init", "initializer", "optimizer", "viz", "testing", "explain", "debug",
           "lr_scheduler", "image", "img", "recordio", "io",
           "test_utils", "util", "name", "runtime", "contrib", "sym", "symbol", "kv",
           "kvstore", "metric"]
