"""Regenerate tests/golden/summary.npz (the table of ``Block.summary``) from real MXNet
(the oracle).

Run from the repository root with the MXNet venv:

    ~/mxnet-oracle/bin/python tests/golden/make_summary_golden.py

Made with Apache MXNet 1.9.1 (CPU build, pip wheel), numpy 1.23.5, Python 3.11.

Each program below takes the framework module ``mx`` (``mxnet`` here, ``minigluon`` in
tests/test_summary.py, which imports this file without importing mxnet) and returns a
network, initialized, and the inputs to summarize it on. Under MXNet the network first
runs once on those inputs: MXNet's summary of a network whose shapes are still deferred
prints a symbol instead of the shape of some activations; minigluon's summary is compared
on the deferred network directly. For each program the file keeps the table's rows
(``<program>/rows``: ``"<class>|<output shapes>|<param #>"``, in order, ``Input`` first)
and its totals (``<program>/totals``: total, trainable, non-trainable, shared, unique).
"""

import contextlib
import io
import os
import re
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "summary.npz")


def mlp(mx):
    """d2l's MLP: deferred Dense layers, an activation inside the first one."""
    nn = mx.gluon.nn
    net = nn.Sequential()
    net.add(nn.Dense(256, activation="relu"), nn.Dense(10))
    net.initialize()
    return net, [mx.nd.ones((2, 20))]


def custom_block(mx):
    """A custom Block with a BatchNorm (two non-trainable parameters) and a dropout."""
    nn = mx.gluon.nn

    class MLP(nn.Block):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.hidden = nn.Dense(4, activation="relu")
            self.norm = nn.BatchNorm()
            self.drop = nn.Dropout(0.5)
            self.out = nn.Dense(2)

        def forward(self, x):
            return self.out(self.drop(self.norm(self.hidden(x))))

    net = MLP()
    net.initialize()
    return net, [mx.nd.ones((3, 5))]


def nested(mx):
    """HybridSequential inside Sequential inside Sequential (containers are not rows)."""
    nn = mx.gluon.nn
    inner = nn.HybridSequential()
    inner.add(nn.Dense(3, activation="tanh"), nn.Dense(3))
    middle = nn.Sequential()
    middle.add(inner, nn.Dense(5))
    net = nn.Sequential()
    net.add(middle, nn.Dense(2, in_units=5))
    net.initialize()
    return net, [mx.nd.ones((2, 4))]


def conv_net(mx):
    """LeNet: convolutions, pooling, flatten-by-Dense, on one 28x28 image."""
    nn = mx.gluon.nn
    net = nn.Sequential()
    net.add(nn.Conv2D(6, kernel_size=5, activation="sigmoid"),
            nn.MaxPool2D(pool_size=2, strides=2),
            nn.Conv2D(16, kernel_size=5, activation="sigmoid"),
            nn.AvgPool2D(pool_size=2, strides=2),
            nn.Dense(120, activation="sigmoid"), nn.Dense(84), nn.Dense(10))
    net.initialize()
    return net, [mx.nd.ones((1, 1, 28, 28))]


def shared_two_inputs(mx):
    """One Dense used twice, two inputs, a tuple output: shared parameters."""
    nn = mx.gluon.nn

    class Siamese(nn.Block):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.embed = nn.Dense(2)

        def forward(self, x, y):
            return self.embed(x), self.embed(y)

    net = Siamese()
    net.initialize()
    return net, [mx.nd.ones((1, 3)), mx.nd.ones((4, 3))]


PROGRAMS = [mlp, custom_block, nested, conv_net, shared_two_inputs]

MXNET_ROW = re.compile(r"^\s*(Input|\w+-\d+)\s+(.*?)\s+(\d+)$")


def parse_mxnet(text):
    """Rows and totals of MXNet's printed table."""
    rows = []
    body = text.split("=" * 80)[1]  # between the two rules of '='
    for line in body.strip("\n").splitlines():
        layer, shape, count = MXNET_ROW.match(line).groups()
        rows.append(f"{layer.rsplit('-', 1)[0]}|{shape}|{count}")
    totals = [int(re.search(rf"{label}: (\d+)", text).group(1)) for label in
              ("Total params", "Trainable params", "Non-trainable params",
               "Shared params in forward computation graph", "Unique parameters in model")]
    return rows, totals


def main():
    import mxnet as mx

    arrays = {"__meta__/mxnet_version": np.array(mx.__version__),
              "__meta__/numpy_version": np.array(np.__version__)}
    for prog in PROGRAMS:
        net, inputs = prog(mx)
        net(*inputs)  # finish the deferred initialization first (see the docstring)
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            net.summary(*inputs)
        rows, totals = parse_mxnet(buf.getvalue())
        arrays[f"{prog.__name__}/rows"] = np.array(rows)
        arrays[f"{prog.__name__}/totals"] = np.array(totals, dtype=np.int64)
    fd, tmp = tempfile.mkstemp(prefix=".summary.", suffix=".npz.tmp", dir=HERE)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez_compressed(f, **{k: arrays[k] for k in sorted(arrays)})
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, OUT)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    print(f"wrote {os.path.relpath(OUT)}: {len(PROGRAMS)} programs, "
          f"{os.path.getsize(OUT)} bytes (mxnet {mx.__version__})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
