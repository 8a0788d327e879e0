"""The updater the Trainer uses: an optimizer applied to indexed weights."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from typing import Any

from .optimizer import Optimizer, State

__all__ = ["Updater", "get_updater"]


class Updater:
    """Applies an optimizer to indexed weights, creating each index's state on first use.

    ``updater(index, grad, weight)`` (note the argument order, as in MXNet) accepts one
    index or lists of indices, grads and weights.
    """

    def __init__(self, optimizer: Optimizer) -> None:
        self.optimizer = optimizer
        self.states: dict[Any, State] = {}

    def __call__(self, index: Any, grad: Any, weight: Any) -> None:
        if not isinstance(index, (list, tuple)):
            index, grad, weight = [index], [grad], [weight]
        for i, g, w in zip(index, grad, weight):
            if i not in self.states:
                self.states[i] = self.optimizer.create_state_multi_precision(i, w)
            self.optimizer.update_multi_precision(i, w, g, self.states[i])

    def get_states(self, dump_optimizer: bool = False) -> bytes:
        """The states (and optionally the optimizer) as pickled bytes."""
        return pickle.dumps((self.states, self.optimizer) if dump_optimizer else self.states)

    def set_states(self, states: bytes) -> None:
        """Restore what :meth:`get_states` returned. Only load bytes you trust: this is
        pickle."""
        loaded = pickle.loads(states)
        if isinstance(loaded, tuple) and len(loaded) == 2:
            self.states, self.optimizer = loaded
        else:
            self.states = loaded


def get_updater(optimizer: Optimizer) -> Callable[[Any, Any, Any], None]:
    """An :class:`Updater` for ``optimizer``."""
    return Updater(optimizer)
