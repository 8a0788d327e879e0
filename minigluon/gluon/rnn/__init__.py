"""``gluon.rnn``: recurrent layers (a whole sequence in one fused operator) and cells (one
step per call, ``unroll`` for a sequence)."""

from .rnn_cell import *  # noqa: F403
from .rnn_cell import __all__ as _cell_all
from .rnn_layer import GRU, LSTM, RNN

__all__ = ["RNN", "LSTM", "GRU", *_cell_all]
