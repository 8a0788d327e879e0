"""The random state behind ``nd.random`` and dropout; ``mx.random.seed`` resets it.

As in MXNet, seeding does not touch NumPy's global generator (which DataLoader shuffling
uses). The stream differs from MXNet's: the same seed gives different numbers.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["seed", "generator"]

_gen = np.random.default_rng()


def seed(seed_state: int, ctx: Any = "all") -> None:
    """Reset the generator so that later draws repeat.

    Examples
    --------
    >>> import minigluon as mx
    >>> mx.random.seed(42); a = mx.nd.random.uniform(shape=3).asnumpy()
    >>> mx.random.seed(42); b = mx.nd.random.uniform(shape=3).asnumpy()
    >>> bool((a == b).all())
    True
    """
    global _gen
    _gen = np.random.default_rng(int(seed_state))


def generator() -> np.random.Generator:
    """The current NumPy generator."""
    return _gen


# users call them as mx.random.seed / mx.random.generator, where the API pages show them
seed.__module__ = generator.__module__ = "minigluon.random"
