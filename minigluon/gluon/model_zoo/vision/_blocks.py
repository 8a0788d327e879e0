"""Small blocks the model zoo builds with (MXNet keeps them in ``gluon.contrib.nn``)."""

from __future__ import annotations

from typing import Any

from ...block import HybridBlock
from ...nn.basic_layers import HybridSequential

__all__ = ["HybridConcurrent", "Identity", "RELU6"]


class HybridConcurrent(HybridSequential):
    """Runs every child on the same input and concatenates the outputs on ``axis``."""

    def __init__(self, axis: int = -1, prefix: str | None = None, params: Any = None) -> None:
        super().__init__(prefix=prefix, params=params)
        self.axis = axis

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return F.concat(*[block(x) for block in self._children.values()], dim=self.axis)


class Identity(HybridBlock):
    """Returns its input."""

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return x


class RELU6(HybridBlock):
    """min(max(x, 0), 6), the activation of MobileNet V2."""

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return F.clip(x, 0, 6)
