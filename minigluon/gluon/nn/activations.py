"""More activation layers: PReLU, ELU, SELU, GELU and Swish.

Each is composed of differentiable ``nd`` operators, so autograd needs no rule of its own.

Examples
--------
>>> from minigluon import nd
>>> from minigluon.gluon import nn
>>> nn.ELU()(nd.array([-1, 0, 2]))
<BLANKLINE>
[-0.63212055  0.          2.        ]
<NDArray 3 @cpu(0)>
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ... import initializer
from ...base import MXNetError
from ...ndarray.ndarray import NDArray
from ...symbol.symbol import traced_shape
from ..block import HybridBlock
from .basic_layers import Activation, LeakyReLU  # noqa: F401  (MXNet's module has them)
from .conv_layers import _check_dtype

__all__ = ["PReLU", "ELU", "SELU", "GELU", "Swish"]

# MXNet keeps these scalars as C floats, so its results (also in float64) use the
# float32-rounded values; rounding them the same way reproduces its numbers exactly
_SELU_ALPHA = float(np.float32(1.6732632423543772848170429916717))
_SELU_LAMBDA = float(np.float32(1.0507009873554804934193349852946))


def _as_float32(value: float) -> float:
    return float(np.float32(value))


def _elu(F: Any, x: NDArray, alpha: float) -> NDArray:
    # exp only of the non-positive part: exp of a large x would overflow, and its inf
    # times the zero gradient of the unused branch would give NaN
    return F.where(x > 0, x, alpha * F.expm1(F.minimum(x, 0)))


class PReLU(HybridBlock):
    """Leaky ReLU with a learned slope: ``y = x`` for x > 0, ``alpha * x`` otherwise.

    Parameters
    ----------
    alpha_initializer : Initializer or str
        Initial slope (0.25).
    in_channels : int
        1 (the default) learns one slope for all elements; n learns one per channel,
        for inputs whose axis 1 has size n.
    """

    def __init__(self, alpha_initializer: Any = initializer.Constant(0.25),
                 in_channels: int = 1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        with self.name_scope():
            self.alpha = self.params.get("alpha", shape=(in_channels,),
                                         init=alpha_initializer)

    def hybrid_forward(self, F: Any, x: NDArray, alpha: NDArray) -> NDArray:
        _check_dtype(self, x, alpha)
        n = self.alpha.shape[0]
        if n != 1:
            # a symbol's shape is known only while hybridize traces it
            shape = x.shape if isinstance(x, NDArray) else traced_shape(x)
            if len(shape) < 2 or shape[1] != n:
                raise MXNetError(f"{self.name}: {n} slopes (in_channels={n}) need an input "
                                 f"whose axis 1 has size {n}, got shape {shape}")
            alpha = F.reshape(alpha, (1, n) + (1,) * (len(shape) - 2))
        return F.where(x > 0, x, F.broadcast_mul(x, alpha))


class ELU(HybridBlock):
    """Exponential linear unit: ``y = x`` for x > 0, ``alpha * (exp(x) - 1)`` otherwise."""

    def __init__(self, alpha: float = 1.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._alpha = alpha

    def hybrid_forward(self, F: Any, x: NDArray) -> NDArray:
        return _elu(F, x, _as_float32(self._alpha))


class SELU(HybridBlock):
    """Scaled ELU: ``y = lambda * elu(x, alpha)`` with the self-normalizing constants
    alpha ≈ 1.6733 and lambda ≈ 1.0507 (Klambauer et al., 2017)."""

    def hybrid_forward(self, F: Any, x: NDArray) -> NDArray:
        return _SELU_LAMBDA * _elu(F, x, _SELU_ALPHA)


class GELU(HybridBlock):
    """Gaussian error linear unit, exact (erf) form: ``y = x/2 * (1 + erf(x/√2))``.

    MXNet evaluates it in float32 arithmetic even for float64 inputs; minigluon computes
    in the input's dtype, so float64 results differ from MXNet's by about 1e-7 relative.
    """

    def hybrid_forward(self, F: Any, x: NDArray) -> NDArray:
        return 0.5 * x * (1 + F.erf(x * (1 / math.sqrt(2))))


class Swish(HybridBlock):
    """``y = x * sigmoid(beta * x)``."""

    def __init__(self, beta: float = 1.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._beta = beta

    def hybrid_forward(self, F: Any, x: NDArray) -> NDArray:
        return x * F.sigmoid(self._beta * x)
