"""minigluon: Apache MXNet's autograd and Gluon API on NumPy, written to be read.

``import minigluon as mx`` stands in for ``import mxnet as mx``.
"""

from __future__ import annotations

from . import autograd, base, context, ndarray, ops, random
from .base import MinigluonError, MXNetError
from .context import Context, cpu, cpu_pinned, current_context, gpu, num_gpus

nd = ndarray

__version__ = "0.1.0"

__all__ = ["nd", "ndarray", "autograd", "random", "context", "base", "ops", "Context", "cpu",
           "gpu", "cpu_pinned", "num_gpus", "current_context", "MinigluonError", "MXNetError"]
