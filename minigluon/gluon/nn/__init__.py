"""Neural network layers."""

from ..block import Block, HybridBlock
from .basic_layers import *  # noqa: F401,F403
from .basic_layers import __all__ as _basic_all
from .conv_layers import *  # noqa: F401,F403
from .conv_layers import __all__ as _conv_all

__all__ = ["Block", "HybridBlock", *_basic_all, *_conv_all]
