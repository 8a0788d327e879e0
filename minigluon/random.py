"""``mx.random``: ``seed``, and the same sampling functions as ``mx.nd.random``.

A face: the generator lives in :mod:`minigluon._rng`, the samplers (``mx.random.normal``
...) in :mod:`minigluon.ndarray.random`, where they are documented.
"""

from __future__ import annotations

from ._rng import generator, seed
from .ndarray.random import *  # noqa: F403

__all__ = ["seed", "generator"]
