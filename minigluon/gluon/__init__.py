"""Gluon: parameters, blocks and layers, losses, the trainer, data."""

from . import data, loss, nn, rnn, utils  # noqa: F401
from .block import Block, HybridBlock, reset_name_counters
from .parameter import Constant, DeferredInitializationError, Parameter, ParameterDict
from .symbol_block import SymbolBlock
from .trainer import Trainer

__all__ = ["Block", "HybridBlock", "Parameter", "ParameterDict", "Constant",
           "DeferredInitializationError", "Trainer", "reset_name_counters", "nn", "loss",
           "data", "utils", "rnn", "SymbolBlock"]


def __getattr__(name: str) -> object:
    # the model zoo is imported on first use (`gluon.model_zoo.vision`), as import is slow
    if name == "model_zoo":
        import importlib

        module = importlib.import_module(".model_zoo", __name__)
        globals()[name] = module
        return module
    raise AttributeError(f"module 'minigluon.gluon' has no attribute {name!r}")
