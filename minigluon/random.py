"""``mx.random``: ``seed``, and the same sampling functions as ``mx.nd.random``.

A face: the generator lives in :mod:`minigluon._rng`, the samplers in
:mod:`minigluon.ndarray.random`.
"""

from __future__ import annotations

from ._rng import generator, seed
from .ndarray.random import *  # noqa: F403
from .ndarray.random import __all__ as _SAMPLERS

__all__ = ["seed", "generator", *_SAMPLERS]
