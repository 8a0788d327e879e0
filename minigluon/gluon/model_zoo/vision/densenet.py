"""DenseNet 121, 161, 169 and 201 ("Densely Connected Convolutional Networks", Huang et
al. 2016), as MXNet's model zoo builds them."""

from __future__ import annotations

from typing import Any

from ... import nn
from ...block import HybridBlock
from ._blocks import HybridConcurrent, Identity

__all__ = ["DenseNet", "densenet121", "densenet161", "densenet169", "densenet201"]


def _dense_layer(growth_rate: int, bn_size: int, dropout: float) -> HybridConcurrent:
    new = nn.HybridSequential(prefix="")
    new.add(nn.BatchNorm(), nn.Activation("relu"),
            nn.Conv2D(bn_size * growth_rate, kernel_size=1, use_bias=False),
            nn.BatchNorm(), nn.Activation("relu"),
            nn.Conv2D(growth_rate, kernel_size=3, padding=1, use_bias=False))
    if dropout:
        new.add(nn.Dropout(dropout))
    out = HybridConcurrent(axis=1, prefix="")
    out.add(Identity(), new)  # the input and the new features, side by side
    return out


def _dense_block(num_layers: int, bn_size: int, growth_rate: int, dropout: float,
                 stage: int) -> nn.HybridSequential:
    out = nn.HybridSequential(prefix=f"stage{stage}_")
    with out.name_scope():
        for _ in range(num_layers):
            out.add(_dense_layer(growth_rate, bn_size, dropout))
    return out


def _transition(channels: int) -> nn.HybridSequential:
    out = nn.HybridSequential(prefix="")
    out.add(nn.BatchNorm(), nn.Activation("relu"),
            nn.Conv2D(channels, kernel_size=1, use_bias=False),
            nn.AvgPool2D(pool_size=2, strides=2))
    return out


class DenseNet(HybridBlock):
    """A 7x7 convolution and max pooling, dense blocks (each layer's output concatenated
    to its input) separated by transitions that halve the channels and the size, batch
    norm, ReLU, 7x7 average pooling and the output layer."""

    def __init__(self, num_init_features: int, growth_rate: int, block_config: list[int],
                 bn_size: int = 4, dropout: float = 0, classes: int = 1000,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        with self.name_scope():
            self.features = nn.HybridSequential(prefix="")
            self.features.add(nn.Conv2D(num_init_features, kernel_size=7, strides=2,
                                        padding=3, use_bias=False),
                              nn.BatchNorm(), nn.Activation("relu"),
                              nn.MaxPool2D(pool_size=3, strides=2, padding=1))
            features = num_init_features
            for i, num_layers in enumerate(block_config):
                self.features.add(_dense_block(num_layers, bn_size, growth_rate, dropout,
                                               i + 1))
                features += num_layers * growth_rate
                if i != len(block_config) - 1:
                    self.features.add(_transition(features // 2))
                    features //= 2
            self.features.add(nn.BatchNorm(), nn.Activation("relu"),
                              nn.AvgPool2D(pool_size=7), nn.Flatten())
            self.output = nn.Dense(classes)

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return self.output(self.features(x))


densenet_spec = {121: (64, 32, [6, 12, 24, 16]),
                 161: (96, 48, [6, 12, 36, 24]),
                 169: (64, 32, [6, 12, 32, 32]),
                 201: (64, 32, [6, 12, 48, 32])}


def get_densenet(num_layers: int, pretrained: bool = False, ctx: Any = None,
                 root: str | None = None, **kwargs: Any) -> DenseNet:
    """DenseNet of ``num_layers`` (121, 161, 169, 201); ``pretrained`` loads MXNet's
    published weights from ``root``."""
    init, growth, config = densenet_spec[num_layers]
    net = DenseNet(init, growth, config, **kwargs)
    if pretrained:
        from ..model_store import get_model_file

        net.load_parameters(get_model_file(f"densenet{num_layers}", root=root), ctx=ctx)
    return net


def _factory(layers: int) -> Any:
    def make(**kwargs: Any) -> DenseNet:
        return get_densenet(layers, **kwargs)

    make.__name__ = make.__qualname__ = f"densenet{layers}"
    make.__doc__ = f"DenseNet-{layers} (see :func:`get_densenet` for the arguments)."
    return make


densenet121, densenet161, densenet169, densenet201 = (
    _factory(n) for n in (121, 161, 169, 201))
