"""Models shared by the symbol golden scripts and tests: each builder takes the framework
module ``mx`` (``mxnet`` or ``minigluon``) and returns an initialized HybridBlock and an
input. Values come from cosines, so both frameworks build the same numbers."""

import numpy as np


def pattern(shape, k=0.0):
    i = np.arange(int(np.prod(shape)), dtype=np.float64)
    return (np.cos(1.37 * i + k) + 0.3 * np.sin(7.1 * i + 2 * k)).reshape(shape)


def _fill(net, x, mx):
    """Give every parameter deterministic values (after one pass fixes the shapes)."""
    with mx.autograd.pause():
        net(x)
    for k, (name, p) in enumerate(sorted(net._collect_params_with_prefix().items())):
        v = pattern(p.shape, k) * 0.5
        if name.endswith("running_var"):
            v = np.abs(v) + 0.5
        p.set_data(mx.nd.array(v))


def mlp(mx):
    nn = mx.gluon.nn
    net = nn.HybridSequential()
    net.add(nn.Dense(8, activation="relu"), nn.Dense(3))
    return net, pattern((4, 5))


def lenet(mx):
    nn = mx.gluon.nn
    net = nn.HybridSequential()
    net.add(nn.Conv2D(4, 3, activation="sigmoid"), nn.MaxPool2D(2, 2),
            nn.Conv2D(6, 2, activation="relu"), nn.AvgPool2D(2, 1), nn.Flatten(),
            nn.Dense(10, activation="tanh"), nn.Dense(3))
    return net, pattern((2, 1, 10, 10))


def resblock(mx):
    nn = mx.gluon.nn

    class Residual(nn.HybridBlock):
        def __init__(self, **kw):
            super().__init__(**kw)
            with self.name_scope():
                self.conv1 = nn.Conv2D(3, 3, padding=1)
                self.bn1 = nn.BatchNorm()
                self.conv2 = nn.Conv2D(3, 3, padding=1)
                self.bn2 = nn.BatchNorm()

        def hybrid_forward(self, F, x):
            y = F.relu(self.bn1(self.conv1(x)))
            y = self.bn2(self.conv2(y))
            return F.relu(y + x)

    return Residual(), pattern((2, 3, 4, 4))


MODELS = {"mlp": mlp, "lenet": lenet, "resblock": resblock}


def build(mx, name):
    net, x = MODELS[name](mx)
    net.initialize()
    x = mx.nd.array(x)
    _fill(net, x, mx)
    return net, x
