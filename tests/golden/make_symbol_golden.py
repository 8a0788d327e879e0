"""Regenerate tests/golden/symbol.json (symbolic graphs: their JSON, names, inferred
shapes, and their outputs on fixed inputs) from real MXNet (the oracle).

Run from the repository root with the MXNet venv:

    ~/mxnet-oracle/bin/python tests/golden/make_symbol_golden.py

Made with Apache MXNet 1.9.1 (CPU, pip wheel), numpy 1.23.5, Python 3.11, Linux x86_64.

The graph builders below take the framework module ``mx`` (``mxnet`` here, ``minigluon``
in tests/symbol/test_symbol.py, which imports this file without importing mxnet). Each
builder runs inside a fresh name scope so automatic names (``fullyconnected0``) start at
0. Inputs are made from cosines, not a random generator. The file is written atomically.
"""

import json
import os
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "symbol.json")


def pattern(shape, k=0.0):
    i = np.arange(int(np.prod(shape)), dtype=np.float64)
    return (np.cos(1.37 * i + k) + 0.3 * np.sin(7.1 * i + 2 * k)).reshape(shape)


def mlp(mx):
    d = mx.sym.var("data")
    h = mx.sym.Activation(mx.sym.FullyConnected(d, num_hidden=8), act_type="relu")
    return mx.sym.FullyConnected(h, num_hidden=3, name="out"), {"data": (4, 5)}


def lenet(mx):
    d = mx.sym.var("data")
    c = mx.sym.Convolution(d, kernel=(3, 3), num_filter=4, pad=(1, 1))
    c = mx.sym.Activation(c, act_type="tanh")
    p = mx.sym.Pooling(c, kernel=(2, 2), stride=(2, 2), pool_type="max")
    f = mx.sym.flatten(p)
    return mx.sym.FullyConnected(f, num_hidden=5), {"data": (2, 1, 6, 6)}


def batchnorm(mx):
    d = mx.sym.var("data")
    c = mx.sym.Convolution(d, kernel=(1, 1), num_filter=3, no_bias=True, name="conv")
    b = mx.sym.BatchNorm(c, fix_gamma=False, eps=1e-5, name="bn")
    return mx.sym.relu(b) + c, {"data": (2, 2, 3, 3)}


def arith(mx):
    a = mx.sym.var("a")
    b = mx.sym.var("b", shape=(2, 3))
    y = (a + 1) * b - 2 / a + a ** 2 - 3 - b / 4 + (2 - a) + 1 / (a * a + 1)
    y = y + mx.sym.broadcast_mul(a, mx.sym.sum(b, axis=0, keepdims=True)) - (-a)
    return mx.sym.Group([y, mx.sym.exp(a) * mx.sym.tanh(b), a.sum(axis=1)]), {"a": (2, 3)}


def split_group(mx):
    d = mx.sym.var("data")
    parts = mx.sym.split(d, num_outputs=3, axis=1)
    return mx.sym.Group([parts[2], parts[0] * parts[1], mx.sym.concat(parts[0], parts[2],
                                                                        dim=0)]), \
        {"data": (2, 6)}


def dropout_reshape(mx):
    d = mx.sym.var("data")
    x = mx.sym.Dropout(d, p=0.3)
    x = mx.sym.reshape(x, shape=(0, -1))
    x = mx.sym.transpose(x)
    return mx.sym.softmax(x, axis=0), {"data": (2, 3, 2)}


GRAPHS = {"mlp": mlp, "lenet": lenet, "batchnorm": batchnorm, "arith": arith,
          "split_group": split_group, "dropout_reshape": dropout_reshape}


def inputs_for(arg_names, arg_shapes, aux_names, aux_shapes):
    """Deterministic values for every input (variance-like aux states kept positive)."""
    vals = {}
    for k, (n, s) in enumerate(zip(arg_names + aux_names, arg_shapes + aux_shapes)):
        v = pattern(s, k)
        if n.endswith("moving_var") or n in ("a",):
            v = np.abs(v) + 0.5
        vals[n] = v
    return vals


def main():
    import mxnet as mx

    out = {}
    for name, build in GRAPHS.items():
        with mx.name.NameManager():
            sym, shapes = build(mx)
        arg, outs, aux = sym.infer_shape(**shapes)
        vals = inputs_for(sym.list_arguments(), arg, sym.list_auxiliary_states(), aux)
        ex = sym.bind(mx.cpu(), {k: mx.nd.array(vals[k], dtype="float64")
                                 for k in sym.list_arguments()},
                      aux_states={k: mx.nd.array(vals[k], dtype="float64")
                                  for k in sym.list_auxiliary_states()})
        res = [o.asnumpy().tolist() for o in ex.forward(is_train=False)]
        out[name] = {"json": json.loads(sym.tojson()), "arg_shapes": arg,
                     "out_shapes": outs, "aux_shapes": aux,
                     "arguments": sym.list_arguments(), "outputs": sym.list_outputs(),
                     "aux": sym.list_auxiliary_states(),
                     "internals": sym.get_internals().list_outputs(), "values": res}
    fd, tmp = tempfile.mkstemp(dir=HERE, suffix=".tmp")
    with os.fdopen(fd, "w") as f:
        json.dump(out, f)
    os.chmod(tmp, 0o644)
    os.replace(tmp, OUT)
    print("wrote", OUT, file=sys.stderr)
    export_round_trip(mx)


def export_round_trip(mx):
    """MXNet exports the models of symbol_models.py (mx_<model> files, with its outputs);
    MXNet imports the models minigluon exported (mg_<model> files, written first by
    make_symbol_from_minigluon.py) and records what it computes with them."""
    sys.path.insert(0, HERE)
    import symbol_models

    files = os.path.join(HERE, "files", "symbol")
    res = {}
    for name in symbol_models.MODELS:
        net, x = symbol_models.build(mx, name)
        net.hybridize()
        res[f"{name}/x"] = x.asnumpy()
        res[f"{name}/mx_out"] = net(x).asnumpy()
        net.export(os.path.join(files, f"mx_{name}"))
        mg = mx.gluon.SymbolBlock.imports(os.path.join(files, f"mg_{name}-symbol.json"),
                                          ["data"],
                                          os.path.join(files, f"mg_{name}-0000.params"))
        res[f"{name}/mg_in_mx_out"] = mg(x).asnumpy()
    out = os.path.join(HERE, "symbol_io.npz")
    fd, tmp = tempfile.mkstemp(dir=HERE, suffix=".npz")
    with os.fdopen(fd, "wb") as f:
        np.savez(f, **res)
    os.chmod(tmp, 0o644)
    os.replace(tmp, out)
    print("wrote", out, file=sys.stderr)


if __name__ == "__main__":
    main()
