"""SqueezeNet 1.0 and 1.1 ("SqueezeNet: AlexNet-level accuracy with 50x fewer parameters
and <0.5MB model size", Iandola et al. 2016), as MXNet's model zoo builds them."""

from __future__ import annotations

from typing import Any

from ... import nn
from ...block import HybridBlock
from ._blocks import HybridConcurrent

__all__ = ["SqueezeNet", "squeezenet1_0", "squeezenet1_1", "get_squeezenet"]


def _fire_conv(channels: int, kernel_size: int, padding: int = 0) -> nn.HybridSequential:
    out = nn.HybridSequential(prefix="")
    out.add(nn.Conv2D(channels, kernel_size, padding=padding), nn.Activation("relu"))
    return out


def _fire(squeeze: int, expand1x1: int, expand3x3: int) -> nn.HybridSequential:
    out = nn.HybridSequential(prefix="")
    out.add(_fire_conv(squeeze, 1))
    paths = HybridConcurrent(axis=1, prefix="")
    paths.add(_fire_conv(expand1x1, 1), _fire_conv(expand3x3, 3, 1))
    out.add(paths)
    return out


class SqueezeNet(HybridBlock):
    """Fire modules (a 1x1 squeeze convolution feeding 1x1 and 3x3 expand convolutions,
    concatenated) between max poolings; the output is a 1x1 convolution to ``classes``,
    ReLU and 13x13 average pooling (224x224 inputs)."""

    def __init__(self, version: str, classes: int = 1000, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if version not in ("1.0", "1.1"):
            raise AssertionError(f"Unsupported SqueezeNet version {version}:"
                                 "1.0 or 1.1 expected")
        with self.name_scope():
            self.features = nn.HybridSequential(prefix="")

            def pool() -> nn.MaxPool2D:
                return nn.MaxPool2D(pool_size=3, strides=2, ceil_mode=True)

            if version == "1.0":
                self.features.add(nn.Conv2D(96, kernel_size=7, strides=2),
                                  nn.Activation("relu"), pool(),
                                  _fire(16, 64, 64), _fire(16, 64, 64), _fire(32, 128, 128),
                                  pool(),
                                  _fire(32, 128, 128), _fire(48, 192, 192),
                                  _fire(48, 192, 192), _fire(64, 256, 256),
                                  pool(), _fire(64, 256, 256))
            else:
                self.features.add(nn.Conv2D(64, kernel_size=3, strides=2),
                                  nn.Activation("relu"), pool(),
                                  _fire(16, 64, 64), _fire(16, 64, 64), pool(),
                                  _fire(32, 128, 128), _fire(32, 128, 128), pool(),
                                  _fire(48, 192, 192), _fire(48, 192, 192),
                                  _fire(64, 256, 256), _fire(64, 256, 256))
            self.features.add(nn.Dropout(0.5))
            self.output = nn.HybridSequential(prefix="")
            self.output.add(nn.Conv2D(classes, kernel_size=1), nn.Activation("relu"),
                            nn.AvgPool2D(13), nn.Flatten())

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return self.output(self.features(x))


def get_squeezenet(version: str, pretrained: bool = False, ctx: Any = None,
                   root: str | None = None, **kwargs: Any) -> SqueezeNet:
    """SqueezeNet ``version`` '1.0' or '1.1'; ``pretrained`` loads MXNet's published
    weights from ``root``."""
    net = SqueezeNet(version, **kwargs)
    if pretrained:
        from ..model_store import get_model_file

        net.load_parameters(get_model_file(f"squeezenet{version}", root=root), ctx=ctx)
    return net


def squeezenet1_0(**kwargs: Any) -> SqueezeNet:
    """SqueezeNet 1.0 (see :func:`get_squeezenet` for the arguments)."""
    return get_squeezenet("1.0", **kwargs)


def squeezenet1_1(**kwargs: Any) -> SqueezeNet:
    """SqueezeNet 1.1 (see :func:`get_squeezenet` for the arguments)."""
    return get_squeezenet("1.1", **kwargs)
