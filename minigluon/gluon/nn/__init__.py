"""Neural network layers."""

from ..block import Block, HybridBlock
from ..symbol_block import SymbolBlock  # MXNet's nn does ``from ..block import *``
from .activations import *  # noqa: F401,F403
from .activations import __all__ as _act_all
from .basic_layers import *  # noqa: F401,F403
from .basic_layers import __all__ as _basic_all
from .conv_layers import *  # noqa: F401,F403
from .conv_layers import __all__ as _conv_all
from .norm_layers import *  # noqa: F401,F403
from .norm_layers import __all__ as _norm_all
from .padding import *  # noqa: F401,F403
from .padding import __all__ as _pad_all

__all__ = ["Block", "HybridBlock", "SymbolBlock", *_basic_all,
           *_conv_all, *_act_all, *_norm_all, *_pad_all]
