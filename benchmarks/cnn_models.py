"""The book's chapter 5 networks (d2l-zh v1, MXNet edition), written once for any module
that looks like ``mxnet`` (real MXNet 1.9.1, or minigluon), and again in PyTorch.

Each builder takes the framework module ``mx`` and returns a Gluon block; the layer
choices follow the book's sections (5.5 LeNet, 5.6 AlexNet, 5.7 VGG-11 narrowed by 4,
5.8 NiN, 5.9 GoogLeNet, 5.11 ResNet-18, 5.12 DenseNet), all for one input channel
(Fashion-MNIST) and 10 classes. ``TORCH`` holds the same networks in PyTorch (default
initialization: only the time is compared there).
"""

from __future__ import annotations

from typing import Any

#: (book section, input size the book trains at)
MODELS = {
    "lenet": ("5.5", 28),
    "alexnet": ("5.6", 224),
    "vgg": ("5.7", 224),
    "nin": ("5.8", 224),
    "googlenet": ("5.9", 96),
    "resnet": ("5.11", 96),
    "densenet": ("5.12", 96),
}


def lenet(mx: Any) -> Any:
    nn = mx.gluon.nn
    net = nn.Sequential()
    net.add(nn.Conv2D(channels=6, kernel_size=5, activation="sigmoid"),
            nn.MaxPool2D(pool_size=2, strides=2),
            nn.Conv2D(channels=16, kernel_size=5, activation="sigmoid"),
            nn.MaxPool2D(pool_size=2, strides=2),
            nn.Dense(120, activation="sigmoid"),
            nn.Dense(84, activation="sigmoid"),
            nn.Dense(10))
    return net


def alexnet(mx: Any) -> Any:
    nn = mx.gluon.nn
    net = nn.Sequential()
    net.add(nn.Conv2D(96, kernel_size=11, strides=4, activation="relu"),
            nn.MaxPool2D(pool_size=3, strides=2),
            nn.Conv2D(256, kernel_size=5, padding=2, activation="relu"),
            nn.MaxPool2D(pool_size=3, strides=2),
            nn.Conv2D(384, kernel_size=3, padding=1, activation="relu"),
            nn.Conv2D(384, kernel_size=3, padding=1, activation="relu"),
            nn.Conv2D(256, kernel_size=3, padding=1, activation="relu"),
            nn.MaxPool2D(pool_size=3, strides=2),
            nn.Dense(4096, activation="relu"), nn.Dropout(0.5),
            nn.Dense(4096, activation="relu"), nn.Dropout(0.5),
            nn.Dense(10))
    return net


def vgg(mx: Any, ratio: int = 4) -> Any:
    nn = mx.gluon.nn
    conv_arch = ((1, 64), (1, 128), (2, 256), (2, 512), (2, 512))
    net = nn.Sequential()
    for num_convs, channels in conv_arch:
        blk = nn.Sequential()
        for _ in range(num_convs):
            blk.add(nn.Conv2D(channels // ratio, kernel_size=3, padding=1, activation="relu"))
        blk.add(nn.MaxPool2D(pool_size=2, strides=2))
        net.add(blk)
    net.add(nn.Dense(4096, activation="relu"), nn.Dropout(0.5),
            nn.Dense(4096, activation="relu"), nn.Dropout(0.5),
            nn.Dense(10))
    return net


def nin(mx: Any) -> Any:
    nn = mx.gluon.nn

    def block(channels, kernel_size, strides, padding):
        blk = nn.Sequential()
        blk.add(nn.Conv2D(channels, kernel_size, strides, padding, activation="relu"),
                nn.Conv2D(channels, kernel_size=1, activation="relu"),
                nn.Conv2D(channels, kernel_size=1, activation="relu"))
        return blk

    net = nn.Sequential()
    net.add(block(96, kernel_size=11, strides=4, padding=0),
            nn.MaxPool2D(pool_size=3, strides=2),
            block(256, kernel_size=5, strides=1, padding=2),
            nn.MaxPool2D(pool_size=3, strides=2),
            block(384, kernel_size=3, strides=1, padding=1),
            nn.MaxPool2D(pool_size=3, strides=2), nn.Dropout(0.5),
            block(10, kernel_size=3, strides=1, padding=1),
            nn.GlobalAvgPool2D(), nn.Flatten())
    return net


def googlenet(mx: Any) -> Any:
    nn, nd = mx.gluon.nn, mx.nd

    class Inception(nn.Block):
        def __init__(self, c1, c2, c3, c4, **kwargs):
            super().__init__(**kwargs)
            self.p1_1 = nn.Conv2D(c1, kernel_size=1, activation="relu")
            self.p2_1 = nn.Conv2D(c2[0], kernel_size=1, activation="relu")
            self.p2_2 = nn.Conv2D(c2[1], kernel_size=3, padding=1, activation="relu")
            self.p3_1 = nn.Conv2D(c3[0], kernel_size=1, activation="relu")
            self.p3_2 = nn.Conv2D(c3[1], kernel_size=5, padding=2, activation="relu")
            self.p4_1 = nn.MaxPool2D(pool_size=3, strides=1, padding=1)
            self.p4_2 = nn.Conv2D(c4, kernel_size=1, activation="relu")

        def forward(self, x):
            p1 = self.p1_1(x)
            p2 = self.p2_2(self.p2_1(x))
            p3 = self.p3_2(self.p3_1(x))
            p4 = self.p4_2(self.p4_1(x))
            return nd.concat(p1, p2, p3, p4, dim=1)

    b1 = nn.Sequential()
    b1.add(nn.Conv2D(64, kernel_size=7, strides=2, padding=3, activation="relu"),
           nn.MaxPool2D(pool_size=3, strides=2, padding=1))
    b2 = nn.Sequential()
    b2.add(nn.Conv2D(64, kernel_size=1, activation="relu"),
           nn.Conv2D(192, kernel_size=3, padding=1, activation="relu"),
           nn.MaxPool2D(pool_size=3, strides=2, padding=1))
    b3 = nn.Sequential()
    b3.add(Inception(64, (96, 128), (16, 32), 32),
           Inception(128, (128, 192), (32, 96), 64),
           nn.MaxPool2D(pool_size=3, strides=2, padding=1))
    b4 = nn.Sequential()
    b4.add(Inception(192, (96, 208), (16, 48), 64),
           Inception(160, (112, 224), (24, 64), 64),
           Inception(128, (128, 256), (24, 64), 64),
           Inception(112, (144, 288), (32, 64), 64),
           Inception(256, (160, 320), (32, 128), 128),
           nn.MaxPool2D(pool_size=3, strides=2, padding=1))
    b5 = nn.Sequential()
    b5.add(Inception(256, (160, 320), (32, 128), 128),
           Inception(384, (192, 384), (48, 128), 128),
           nn.GlobalAvgPool2D())
    net = nn.Sequential()
    net.add(b1, b2, b3, b4, b5, nn.Dense(10))
    return net


def resnet(mx: Any) -> Any:
    nn, nd = mx.gluon.nn, mx.nd

    class Residual(nn.Block):
        def __init__(self, num_channels, use_1x1conv=False, strides=1, **kwargs):
            super().__init__(**kwargs)
            self.conv1 = nn.Conv2D(num_channels, kernel_size=3, padding=1, strides=strides)
            self.conv2 = nn.Conv2D(num_channels, kernel_size=3, padding=1)
            self.conv3 = nn.Conv2D(num_channels, kernel_size=1, strides=strides) \
                if use_1x1conv else None
            self.bn1 = nn.BatchNorm()
            self.bn2 = nn.BatchNorm()

        def forward(self, X):
            Y = nd.relu(self.bn1(self.conv1(X)))
            Y = self.bn2(self.conv2(Y))
            if self.conv3:
                X = self.conv3(X)
            return nd.relu(Y + X)

    def resnet_block(num_channels, num_residuals, first_block=False):
        blk = nn.Sequential()
        for i in range(num_residuals):
            if i == 0 and not first_block:
                blk.add(Residual(num_channels, use_1x1conv=True, strides=2))
            else:
                blk.add(Residual(num_channels))
        return blk

    net = nn.Sequential()
    net.add(nn.Conv2D(64, kernel_size=7, strides=2, padding=3),
            nn.BatchNorm(), nn.Activation("relu"),
            nn.MaxPool2D(pool_size=3, strides=2, padding=1))
    net.add(resnet_block(64, 2, first_block=True), resnet_block(128, 2),
            resnet_block(256, 2), resnet_block(512, 2))
    net.add(nn.GlobalAvgPool2D(), nn.Dense(10))
    return net


def densenet(mx: Any) -> Any:
    nn, nd = mx.gluon.nn, mx.nd

    def conv_block(num_channels):
        blk = nn.Sequential()
        blk.add(nn.BatchNorm(), nn.Activation("relu"),
                nn.Conv2D(num_channels, kernel_size=3, padding=1))
        return blk

    class DenseBlock(nn.Block):
        def __init__(self, num_convs, num_channels, **kwargs):
            super().__init__(**kwargs)
            self.net = nn.Sequential()
            for _ in range(num_convs):
                self.net.add(conv_block(num_channels))

        def forward(self, X):
            for blk in self.net:
                Y = blk(X)
                X = nd.concat(X, Y, dim=1)
            return X

    def transition_block(num_channels):
        blk = nn.Sequential()
        blk.add(nn.BatchNorm(), nn.Activation("relu"),
                nn.Conv2D(num_channels, kernel_size=1),
                nn.AvgPool2D(pool_size=2, strides=2))
        return blk

    net = nn.Sequential()
    net.add(nn.Conv2D(64, kernel_size=7, strides=2, padding=3),
            nn.BatchNorm(), nn.Activation("relu"),
            nn.MaxPool2D(pool_size=3, strides=2, padding=1))
    num_channels, growth_rate = 64, 32
    num_convs_in_dense_blocks = [4, 4, 4, 4]
    for i, num_convs in enumerate(num_convs_in_dense_blocks):
        net.add(DenseBlock(num_convs, growth_rate))
        num_channels += num_convs * growth_rate
        if i != len(num_convs_in_dense_blocks) - 1:
            num_channels //= 2
            net.add(transition_block(num_channels))
    net.add(nn.BatchNorm(), nn.Activation("relu"), nn.GlobalAvgPool2D(), nn.Dense(10))
    return net


BUILDERS = {"lenet": lenet, "alexnet": alexnet, "vgg": vgg, "nin": nin,
            "googlenet": googlenet, "resnet": resnet, "densenet": densenet}


# ---- the same networks in PyTorch -------------------------------------------------------


def torch_model(name: str, size: int) -> Any:
    """The network ``name`` in PyTorch for ``size`` x ``size`` single-channel input."""
    import torch
    from torch import nn

    def flat_dense(*layers):  # Gluon's Dense flattens its input; LazyLinear infers it
        return [nn.Flatten(), *layers]

    if name == "lenet":
        return nn.Sequential(
            nn.Conv2d(1, 6, 5), nn.Sigmoid(), nn.MaxPool2d(2, 2),
            nn.Conv2d(6, 16, 5), nn.Sigmoid(), nn.MaxPool2d(2, 2),
            *flat_dense(nn.LazyLinear(120), nn.Sigmoid(), nn.Linear(120, 84), nn.Sigmoid(),
                        nn.Linear(84, 10)))
    if name == "alexnet":
        return nn.Sequential(
            nn.Conv2d(1, 96, 11, 4), nn.ReLU(), nn.MaxPool2d(3, 2),
            nn.Conv2d(96, 256, 5, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
            nn.Conv2d(256, 384, 3, padding=1), nn.ReLU(),
            nn.Conv2d(384, 384, 3, padding=1), nn.ReLU(),
            nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, 2),
            *flat_dense(nn.LazyLinear(4096), nn.ReLU(), nn.Dropout(0.5),
                        nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(0.5),
                        nn.Linear(4096, 10)))
    if name == "vgg":
        layers, c_in = [], 1
        for num_convs, c in ((1, 16), (1, 32), (2, 64), (2, 128), (2, 128)):
            for _ in range(num_convs):
                layers += [nn.Conv2d(c_in, c, 3, padding=1), nn.ReLU()]
                c_in = c
            layers.append(nn.MaxPool2d(2, 2))
        return nn.Sequential(*layers, *flat_dense(
            nn.LazyLinear(4096), nn.ReLU(), nn.Dropout(0.5), nn.Linear(4096, 4096),
            nn.ReLU(), nn.Dropout(0.5), nn.Linear(4096, 10)))
    if name == "nin":
        def block(c_in, c, k, s, p):
            return [nn.Conv2d(c_in, c, k, s, p), nn.ReLU(), nn.Conv2d(c, c, 1), nn.ReLU(),
                    nn.Conv2d(c, c, 1), nn.ReLU()]
        return nn.Sequential(
            *block(1, 96, 11, 4, 0), nn.MaxPool2d(3, 2), *block(96, 256, 5, 1, 2),
            nn.MaxPool2d(3, 2), *block(256, 384, 3, 1, 1), nn.MaxPool2d(3, 2),
            nn.Dropout(0.5), *block(384, 10, 3, 1, 1), nn.AdaptiveAvgPool2d(1),
            nn.Flatten())
    if name == "googlenet":
        class Inception(nn.Module):
            def __init__(self, c_in, c1, c2, c3, c4):
                super().__init__()
                self.p1 = nn.Sequential(nn.Conv2d(c_in, c1, 1), nn.ReLU())
                self.p2 = nn.Sequential(nn.Conv2d(c_in, c2[0], 1), nn.ReLU(),
                                        nn.Conv2d(c2[0], c2[1], 3, padding=1), nn.ReLU())
                self.p3 = nn.Sequential(nn.Conv2d(c_in, c3[0], 1), nn.ReLU(),
                                        nn.Conv2d(c3[0], c3[1], 5, padding=2), nn.ReLU())
                self.p4 = nn.Sequential(nn.MaxPool2d(3, 1, 1), nn.Conv2d(c_in, c4, 1),
                                        nn.ReLU())

            def forward(self, x):
                return torch.cat((self.p1(x), self.p2(x), self.p3(x), self.p4(x)), dim=1)

        return nn.Sequential(
            nn.Conv2d(1, 64, 7, 2, 3), nn.ReLU(), nn.MaxPool2d(3, 2, 1),
            nn.Conv2d(64, 64, 1), nn.ReLU(), nn.Conv2d(64, 192, 3, padding=1), nn.ReLU(),
            nn.MaxPool2d(3, 2, 1),
            Inception(192, 64, (96, 128), (16, 32), 32),
            Inception(256, 128, (128, 192), (32, 96), 64), nn.MaxPool2d(3, 2, 1),
            Inception(480, 192, (96, 208), (16, 48), 64),
            Inception(512, 160, (112, 224), (24, 64), 64),
            Inception(512, 128, (128, 256), (24, 64), 64),
            Inception(512, 112, (144, 288), (32, 64), 64),
            Inception(528, 256, (160, 320), (32, 128), 128), nn.MaxPool2d(3, 2, 1),
            Inception(832, 256, (160, 320), (32, 128), 128),
            Inception(832, 384, (192, 384), (48, 128), 128),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(1024, 10))
    if name == "resnet":
        class Residual(nn.Module):
            def __init__(self, c_in, c, use_1x1conv=False, strides=1):
                super().__init__()
                self.conv1 = nn.Conv2d(c_in, c, 3, padding=1, stride=strides)
                self.conv2 = nn.Conv2d(c, c, 3, padding=1)
                self.conv3 = nn.Conv2d(c_in, c, 1, stride=strides) if use_1x1conv else None
                self.bn1, self.bn2 = nn.BatchNorm2d(c), nn.BatchNorm2d(c)

            def forward(self, x):
                y = torch.relu(self.bn1(self.conv1(x)))
                y = self.bn2(self.conv2(y))
                if self.conv3 is not None:
                    x = self.conv3(x)
                return torch.relu(y + x)

        blocks, c_in = [], 64
        for c, first in ((64, True), (128, False), (256, False), (512, False)):
            for i in range(2):
                down = i == 0 and not first
                blocks.append(Residual(c_in, c, use_1x1conv=down, strides=2 if down else 1))
                c_in = c
        return nn.Sequential(nn.Conv2d(1, 64, 7, 2, 3), nn.BatchNorm2d(64), nn.ReLU(),
                             nn.MaxPool2d(3, 2, 1), *blocks, nn.AdaptiveAvgPool2d(1),
                             nn.Flatten(), nn.Linear(512, 10))
    if name == "densenet":
        def conv_block(c_in, c):
            return nn.Sequential(nn.BatchNorm2d(c_in), nn.ReLU(), nn.Conv2d(c_in, c, 3,
                                                                            padding=1))

        class DenseBlock(nn.Module):
            def __init__(self, num_convs, c_in, c):
                super().__init__()
                self.net = nn.ModuleList(conv_block(c_in + i * c, c)
                                         for i in range(num_convs))

            def forward(self, x):
                for blk in self.net:
                    x = torch.cat((x, blk(x)), dim=1)
                return x

        layers = [nn.Conv2d(1, 64, 7, 2, 3), nn.BatchNorm2d(64), nn.ReLU(),
                  nn.MaxPool2d(3, 2, 1)]
        c = 64
        for i in range(4):
            layers.append(DenseBlock(4, c, 32))
            c += 4 * 32
            if i != 3:
                layers += [nn.BatchNorm2d(c), nn.ReLU(), nn.Conv2d(c, c // 2, 1),
                           nn.AvgPool2d(2, 2)]
                c //= 2
        return nn.Sequential(*layers, nn.BatchNorm2d(c), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                             nn.Flatten(), nn.Linear(c, 10))
    raise ValueError(f"unknown model {name!r}")
