"""VGG 11, 13, 16 and 19 ("Very Deep Convolutional Networks for Large-Scale Image
Recognition", Simonyan and Zisserman 2014), with or without batch normalization."""

from __future__ import annotations

from typing import Any

from ....initializer import Xavier
from ... import nn
from ...block import HybridBlock

__all__ = ["VGG", "vgg11", "vgg13", "vgg16", "vgg19", "vgg11_bn", "vgg13_bn", "vgg16_bn",
           "vgg19_bn", "get_vgg"]


class VGG(HybridBlock):
    """Blocks of 3x3 convolutions (``layers[i]`` of ``filters[i]`` channels, each followed
    by ReLU, and batch norm before it with ``batch_norm``) each ending in 2x2 max pooling;
    then two dense layers of 4096 with dropout, and the output layer."""

    def __init__(self, layers: list[int], filters: list[int], classes: int = 1000,
                 batch_norm: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if len(layers) != len(filters):
            raise AssertionError("one filter count per layer count expected")
        with self.name_scope():
            self.features = self._make_features(layers, filters, batch_norm)
            for _ in range(2):
                self.features.add(nn.Dense(4096, activation="relu", weight_initializer="normal",
                                           bias_initializer="zeros"),
                                  nn.Dropout(rate=0.5))
            self.output = nn.Dense(classes, weight_initializer="normal",
                                   bias_initializer="zeros")

    def _make_features(self, layers: list[int], filters: list[int], batch_norm: bool
                       ) -> nn.HybridSequential:
        features = nn.HybridSequential(prefix="")
        for i, num in enumerate(layers):
            for _ in range(num):
                features.add(nn.Conv2D(filters[i], kernel_size=3, padding=1,
                                       weight_initializer=Xavier(rnd_type="gaussian",
                                                                 factor_type="out",
                                                                 magnitude=2),
                                       bias_initializer="zeros"))
                if batch_norm:
                    features.add(nn.BatchNorm())
                features.add(nn.Activation("relu"))
            features.add(nn.MaxPool2D(strides=2))
        return features

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return self.output(self.features(x))


vgg_spec = {11: ([1, 1, 2, 2, 2], [64, 128, 256, 512, 512]),
            13: ([2, 2, 2, 2, 2], [64, 128, 256, 512, 512]),
            16: ([2, 2, 3, 3, 3], [64, 128, 256, 512, 512]),
            19: ([2, 2, 4, 4, 4], [64, 128, 256, 512, 512])}


def get_vgg(num_layers: int, pretrained: bool = False, ctx: Any = None,
            root: str | None = None, **kwargs: Any) -> VGG:
    """VGG of ``num_layers`` (11, 13, 16, 19); ``batch_norm=True`` for the ``_bn``
    variants; ``pretrained`` loads MXNet's published weights from ``root``."""
    layers, filters = vgg_spec[num_layers]
    net = VGG(layers, filters, **kwargs)
    if pretrained:
        from ..model_store import get_model_file

        suffix = "_bn" if kwargs.get("batch_norm") else ""
        net.load_parameters(get_model_file(f"vgg{num_layers}{suffix}", root=root), ctx=ctx)
    return net


def _factory(layers: int, bn: bool) -> Any:
    def make(**kwargs: Any) -> VGG:
        if bn:
            kwargs["batch_norm"] = True
        return get_vgg(layers, **kwargs)

    make.__name__ = make.__qualname__ = f"vgg{layers}{'_bn' if bn else ''}"
    make.__doc__ = (f"VGG-{layers}{' with batch normalization' if bn else ''} (see "
                    ":func:`get_vgg` for the arguments).")
    return make


vgg11, vgg13, vgg16, vgg19 = (_factory(n, False) for n in (11, 13, 16, 19))
vgg11_bn, vgg13_bn, vgg16_bn, vgg19_bn = (_factory(n, True) for n in (11, 13, 16, 19))
