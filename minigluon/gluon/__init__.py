"""Gluon: parameters, blocks and layers, losses, the trainer, data."""

from . import data, loss, nn, rnn, utils  # noqa: F401
from .block import Block, HybridBlock, reset_name_counters
from .parameter import Constant, DeferredInitializationError, Parameter, ParameterDict
from .symbol_block import SymbolBlock
from .trainer import Trainer

__all__ = ["Block", "HybridBlock", "Parameter", "ParameterDict", "Constant",
           "DeferredInitializationError", "Trainer", "reset_name_counters", "nn", "loss",
           "data", "utils", "rnn", "SymbolBlock"]
