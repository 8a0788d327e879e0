"""``gluon.rnn``: recurrent cells (one step per call, ``unroll`` for a sequence)."""

from .rnn_cell import *  # noqa: F403
from .rnn_cell import __all__ as _cell_all

__all__ = list(_cell_all)
