"""Regenerate tests/golden/layers_extra.npz (PReLU, ELU, SELU, GELU, Swish, LayerNorm,
InstanceNorm) from real MXNet (the oracle).

Run from the repository root with the MXNet venv:

    ~/mxnet-oracle/bin/python tests/golden/make_layers_extra_golden.py

Made with Apache MXNet 1.9.1 (CPU pip wheel), numpy 1.23.5, Python 3.11, Linux x86_64.

:func:`run` takes the framework module ``mx`` (``mxnet`` here, ``minigluon`` in
tests/test_layers_extra.py, which imports this file without importing mxnet) and returns
a dict of NumPy arrays: for one layer and dtype, the output and the gradients of
``sum(out * ograd)`` with respect to the input and each trained parameter. Inputs,
parameter values and ograd are made from sines, so they are the same under any NumPy.
Keys are ``"<case>/<dtype>/<result>"``; the file is written atomically.
"""

import os
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "layers_extra.npz")
DTYPES = ("float64", "float32")

# case -> (layer class, constructor kwargs, input shape)
CASES = {
    "elu": ("ELU", {}, (3, 7)),
    "elu_alpha": ("ELU", {"alpha": 0.7}, (3, 7)),
    "selu": ("SELU", {}, (3, 7)),
    "gelu": ("GELU", {}, (3, 7)),
    "swish": ("Swish", {}, (3, 7)),
    "swish_beta": ("Swish", {"beta": 1.5}, (3, 7)),
    "prelu": ("PReLU", {}, (2, 3, 4)),
    "prelu_channels": ("PReLU", {"in_channels": 3}, (2, 3, 4)),
    "layernorm": ("LayerNorm", {}, (2, 3, 5)),
    "layernorm_axis1": ("LayerNorm", {"axis": 1, "epsilon": 1e-3}, (2, 4, 3)),
    "layernorm_fixed": ("LayerNorm", {"center": False, "scale": False}, (4, 6)),
    "instancenorm": ("InstanceNorm", {}, (2, 3, 4, 5)),
    "instancenorm_axis2": ("InstanceNorm", {"axis": 2, "scale": True}, (2, 3, 4, 5)),
}


def dtypes(case):
    """MXNet's InstanceNorm operator exists only for float32."""
    return ("float32",) if CASES[case][0] == "InstanceNorm" else DTYPES


def pattern(shape, k=0.0):
    """Deterministic, irregular float64 values, none exactly 0."""
    i = np.arange(int(np.prod(shape)), dtype=np.float64)
    return (2 * np.cos(1.37 * i + k) + 0.6 * np.sin(7.1 * i + 2 * k) + 0.013).reshape(shape)


def make(mx, case):
    cls, kwargs, _ = CASES[case]
    return getattr(mx.gluon.nn, cls)(prefix="t_", **kwargs)


def run(mx, case, dtype):
    """The layer's output and gradients on fixed inputs and parameter values."""
    shape = CASES[case][2]
    net = make(mx, case)
    net.initialize()
    net.cast(dtype)
    x = mx.nd.array(pattern(shape), dtype=dtype)
    net(x)  # finishes deferred initialization
    params = net.collect_params()
    res = {"x": x.asnumpy()}
    for j, (name, p) in enumerate(sorted(params.items())):
        value = 0.5 + 0.4 * np.sin(np.arange(p.shape[0]) * 1.9 + j)
        p.set_data(mx.nd.array(value, dtype=dtype))
        res["param_" + name] = value.astype(dtype)
    ograd = mx.nd.array(pattern(shape, 0.4), dtype=dtype)
    x.attach_grad()
    with mx.autograd.record():
        y = net(x)
    y.backward(ograd)
    res["y"] = y.asnumpy()
    res["dx"] = x.grad.asnumpy()
    for name, p in params.items():
        if p.grad_req != "null":
            res["grad_" + name] = p.grad().asnumpy()
    return res


def reprs(mx):
    """repr of each case's layer, new and after a first forward."""
    out = {}
    for case, (_, _, shape) in CASES.items():
        net = make(mx, case)
        out[f"{case}/repr_new"] = np.array(repr(net))
        net.initialize()
        net(mx.nd.array(pattern(shape)))
        out[f"{case}/repr"] = np.array(repr(net))
        out[f"{case}/names"] = np.array(sorted(net.collect_params().keys()))
    return out


def main():
    import mxnet as mx

    arrays = reprs(mx)
    for case in CASES:
        for dtype in dtypes(case):
            for key, value in run(mx, case, dtype).items():
                arrays[f"{case}/{dtype}/{key}"] = value
    fd, tmp = tempfile.mkstemp(dir=HERE, suffix=".npz")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
        os.replace(tmp, OUT)
    except BaseException:
        os.unlink(tmp)
        raise
    print(f"wrote {OUT}: {len(arrays)} arrays", file=sys.stderr)


if __name__ == "__main__":
    main()
