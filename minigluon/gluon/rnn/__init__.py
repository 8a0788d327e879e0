"""Recurrent layers and cells (``gluon.rnn``)."""

from .rnn_layer import GRU, LSTM, RNN  # noqa: F401

__all__ = ["RNN", "LSTM", "GRU"]
