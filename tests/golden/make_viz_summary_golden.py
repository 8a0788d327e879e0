"""The tables MXNet 1.9.1's ``mx.viz.print_summary`` prints, for
tests/instruments/test_viz_summary.py.

Run with the MXNet oracle from the repository root:
``~/mxnet-oracle/bin/python tests/golden/make_viz_summary_golden.py``. It first exports a
small hybridized Gluon network as ``files/viz_summary/exported-symbol.json`` (the file a
tutorial would ``mx.sym.load``), then writes ``viz_summary.json``: case name -> the
printed text. The same ``cases(mx)`` runs under minigluon in the tests, reading that
exported file.
"""

import contextlib
import io
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
EXPORTED = os.path.join(HERE, "files", "viz_summary", "exported-symbol.json")


def mlp(mx):
    data = mx.sym.var("data")
    h = mx.sym.FullyConnected(data, num_hidden=128, name="fc1")
    h = mx.sym.Activation(h, act_type="relu", name="relu1")
    h = mx.sym.FullyConnected(h, num_hidden=64, name="fc2")
    h = mx.sym.Activation(h, act_type="relu", name="relu2")
    h = mx.sym.FullyConnected(h, num_hidden=10, name="fc3")
    return mx.sym.softmax(h, name="softmax")


def lenet(mx):
    data = mx.sym.var("data")
    c1 = mx.sym.Convolution(data, kernel=(5, 5), num_filter=20, name="conv1")
    b1 = mx.sym.BatchNorm(c1, name="bn1")
    a1 = mx.sym.Activation(b1, act_type="tanh", name="tanh1")
    p1 = mx.sym.Pooling(a1, pool_type="max", kernel=(2, 2), stride=(2, 2), name="pool1")
    c2 = mx.sym.Convolution(p1, kernel=(5, 5), num_filter=50, no_bias=True, name="conv2")
    b2 = mx.sym.BatchNorm(c2, fix_gamma=False, name="bn2")
    a2 = mx.sym.Activation(b2, act_type="relu", name="relu2")
    p2 = mx.sym.Pooling(a2, pool_type="max", kernel=(2, 2), stride=(2, 2), name="pool2")
    f = mx.sym.Flatten(p2, name="flatten")
    h = mx.sym.FullyConnected(f, num_hidden=500, name="fc1")
    h = mx.sym.Activation(h, act_type="relu", name="relu3")
    h = mx.sym.FullyConnected(h, num_hidden=10, name="fc2")
    return mx.sym.softmax(h, name="softmax")


def branches(mx):
    """Several previous layers (extra rows), a grouped convolution, a name too long for
    its column."""
    data = mx.sym.var("data")
    c = mx.sym.Convolution(data, kernel=(3, 3), pad=(1, 1), num_filter=8, name="stem")
    g = mx.sym.Convolution(c, kernel=(3, 3), pad=(1, 1), num_filter=8, num_group=4,
                           name="grouped_convolution_with_a_rather_long_name")
    s = mx.sym.elemwise_add(c, g, name="residual")
    cat = mx.sym.concat(s, c, data, dim=1, name="cat")
    pooled = mx.sym.Pooling(cat, global_pool=True, kernel=(1, 1), pool_type="avg",
                            name="gap")
    return mx.sym.FullyConnected(pooled, num_hidden=3, no_bias=True, name="out")


def two_heads(mx):
    """A group of two outputs: MXNet reads only the first head."""
    data = mx.sym.var("data")
    h = mx.sym.FullyConnected(data, num_hidden=6, name="shared")
    a = mx.sym.FullyConnected(h, num_hidden=2, name="head_a")
    b = mx.sym.Dropout(mx.sym.LeakyReLU(h, slope=0.1, name="leaky"), p=0.5, name="drop")
    return mx.sym.Group([a, b])


def export_gluon(mx):
    """Export a hybridized Gluon network, as a tutorial does before ``sym.load``."""
    from mxnet.gluon import nn

    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Conv2D(6, kernel_size=3, activation="relu"))
        net.add(nn.BatchNorm())
        net.add(nn.MaxPool2D())
        net.add(nn.Flatten())
        net.add(nn.Dense(32, activation="relu"))
        net.add(nn.Dense(10))
    net.initialize()
    net.hybridize()
    net(mx.nd.zeros((1, 1, 12, 12)))
    prefix = EXPORTED[: -len("-symbol.json")]
    net.export(prefix)
    os.remove(prefix + "-0000.params")  # only the graph is needed


def cases(mx):
    """name -> the text ``print_summary`` prints."""
    made = {
        "mlp_shape": (mlp(mx), {"shape": {"data": (1, 784)}}),
        "mlp_no_shape": (mlp(mx), {}),
        "mlp_batch_64": (mlp(mx), {"shape": {"data": (64, 784)}}),
        "lenet_shape": (lenet(mx), {"shape": {"data": (1, 1, 28, 28)}}),
        "lenet_no_shape": (lenet(mx), {}),
        "lenet_narrow": (lenet(mx), {"shape": {"data": (2, 1, 28, 28)}, "line_length": 80}),
        "lenet_positions": (lenet(mx), {"shape": {"data": (1, 1, 28, 28)},
                                        "positions": [30, 50, 62, 90], "line_length": 90}),
        "branches_shape": (branches(mx), {"shape": {"data": (1, 3, 8, 8)}}),
        "branches_no_shape": (branches(mx), {}),
        "two_heads_shape": (two_heads(mx), {"shape": {"data": (4, 3)}}),
        "two_heads_no_shape": (two_heads(mx), {}),
        "exported_shape": (mx.sym.load(EXPORTED), {"shape": {"data": (1, 1, 12, 12)}}),
        "exported_no_shape": (mx.sym.load(EXPORTED), {}),
        "internal_output": (lenet(mx).get_internals()["pool1_output"],
                            {"shape": {"data": (1, 1, 28, 28)}}),
    }
    out = {}
    for name, (sym, kwargs) in made.items():
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            mx.viz.print_summary(sym, **kwargs)
        out[name] = buf.getvalue()
    return out


if __name__ == "__main__":
    import mxnet as mx

    export_gluon(mx)
    path = os.path.join(HERE, "viz_summary.json")
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        json.dump(cases(mx), f, indent=1, sort_keys=True)
        f.write("\n")
    os.replace(path + ".tmp", path)
    print("wrote", path, "and", EXPORTED, file=sys.stderr)
