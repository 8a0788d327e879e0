"""Regenerate tests/golden/conv.npz (convolution, pooling, batch norm and their Gluon
layers) from real MXNet (the oracle).

Run from the repository root with the MXNet venv:

    ~/mxnet-oracle/bin/python tests/golden/make_conv_golden.py

Made with Apache MXNet 1.9.1 (CPU build with oneDNN, pip wheel), numpy 1.23.5, Python
3.11, Linux x86_64.

The programs below take the framework module ``mx`` (``mxnet`` here, ``minigluon`` in
tests/test_conv.py, which imports this file without importing mxnet) and return a dict
of NumPy arrays. Inputs are made from sines, not from a random generator, so they are the
same under any NumPy. Everything is float64: MXNet then runs its reference CPU kernels
(oneDNN, used for float32, has its own quirks). Each program runs twice to check it is
deterministic; keys are ``"<program>/<result>"``; the file is written atomically.
"""

import json
import os
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "conv.npz")
F64 = "float64"


def pattern(shape, k=0.0):
    """Deterministic, irregular float64 values (no ties in practice)."""
    i = np.arange(int(np.prod(shape)), dtype=np.float64)
    return (np.cos(1.37 * i + k) + 0.3 * np.sin(7.1 * i + 2 * k)).reshape(shape)


def _nd(mx, a):
    return mx.nd.array(a, dtype=F64)


# ---- operators ----------------------------------------------------------------------------

CONV_CASES = {
    "basic": ((2, 3, 7, 7), (4, 3, 3, 3), True, {"kernel": (3, 3), "num_filter": 4}),
    "stride_pad": ((2, 3, 7, 6), (4, 3, 3, 3), True,
                   {"kernel": (3, 3), "num_filter": 4, "stride": (2, 2), "pad": (1, 1)}),
    "dilate": ((1, 2, 9, 8), (3, 2, 3, 2), True,
               {"kernel": (3, 2), "num_filter": 3, "dilate": (2, 3), "pad": (2, 1),
                "stride": (1, 2)}),
    "groups": ((2, 4, 6, 6), (6, 2, 3, 3), True,
               {"kernel": (3, 3), "num_filter": 6, "num_group": 2, "pad": (1, 1)}),
    "depthwise_nobias": ((2, 4, 5, 5), (4, 1, 3, 3), False,
                         {"kernel": (3, 3), "num_filter": 4, "num_group": 4, "no_bias": True,
                          "stride": (2, 2)}),
    "conv1d": ((2, 3, 9), (2, 3, 3), True,
               {"kernel": (3,), "num_filter": 2, "stride": (2,), "pad": (1,)}),
    "rect": ((1, 1, 5, 6), (2, 1, 2, 3), True,
             {"kernel": (2, 3), "num_filter": 2, "pad": (0, 1), "stride": (3, 1)}),
}


def conv_ops(mx):
    """nd.Convolution values and gradients (x, weight, bias) for a fixed cotangent."""
    nd, ag = mx.nd, mx.autograd
    out = {}
    for name, (xs, ws, has_b, p) in CONV_CASES.items():
        x, w = _nd(mx, pattern(xs, 0.1)), _nd(mx, pattern(ws, 0.7))
        b = _nd(mx, pattern((ws[0],), 1.3))
        for a in (x, w, b):
            a.attach_grad()
        with ag.record():
            y = nd.Convolution(x, w, b if has_b else None, **p)
        y.backward(_nd(mx, pattern(y.shape, 2.0)))
        out[f"{name}_y"] = y.asnumpy()
        out[f"{name}_dx"] = x.grad.asnumpy()
        out[f"{name}_dw"] = w.grad.asnumpy()
        if has_b:
            out[f"{name}_db"] = b.grad.asnumpy()
    return out


POOL_CASES = {
    "max_valid": ((2, 2, 6, 6), {"kernel": (2, 2), "stride": (2, 2), "pool_type": "max"}),
    "max_default_stride": ((1, 2, 4, 5), {"kernel": (2, 3), "pool_type": "max"}),
    "max_pad_full": ((1, 2, 5, 5), {"kernel": (3, 3), "stride": (2, 2), "pad": (1, 1),
                                    "pool_type": "max", "pooling_convention": "full"}),
    "max_full_empty_window": ((1, 1, 5, 5), {"kernel": (2, 2), "stride": (2, 2),
                                             "pad": (1, 1), "pool_type": "max",
                                             "pooling_convention": "full"}),
    "avg_valid": ((2, 2, 6, 6), {"kernel": (3, 3), "stride": (1, 1), "pool_type": "avg"}),
    "avg_full_incl": ((1, 2, 5, 5), {"kernel": (2, 2), "stride": (2, 2), "pad": (1, 1),
                                     "pool_type": "avg", "pooling_convention": "full"}),
    "avg_full_excl": ((1, 2, 5, 5), {"kernel": (2, 2), "stride": (2, 2), "pad": (1, 1),
                                     "pool_type": "avg", "pooling_convention": "full",
                                     "count_include_pad": False}),
    "avg_pad_incl_k3s2": ((1, 1, 5, 5), {"kernel": (3, 3), "stride": (2, 2), "pad": (1, 1),
                                         "pool_type": "avg", "pooling_convention": "full"}),
    "avg_pad_excl": ((2, 1, 6, 5), {"kernel": (3, 2), "stride": (2, 1), "pad": (1, 1),
                                    "pool_type": "avg", "count_include_pad": False}),
    "sum": ((1, 2, 4, 4), {"kernel": (2, 2), "stride": (1, 1), "pool_type": "sum"}),
    "global_max": ((2, 3, 4, 5), {"kernel": (2, 2), "pool_type": "max", "global_pool": True}),
    "global_avg": ((2, 3, 4, 5), {"pool_type": "avg", "global_pool": True}),
    "max1d": ((2, 2, 9), {"kernel": (3,), "stride": (2,), "pad": (1,), "pool_type": "max"}),
    "avg1d_full": ((2, 2, 8), {"kernel": (3,), "stride": (2,), "pool_type": "avg",
                               "pooling_convention": "full"}),
}


def pool_ops(mx):
    """nd.Pooling values and input gradients."""
    nd, ag = mx.nd, mx.autograd
    out = {}
    for name, (xs, p) in POOL_CASES.items():
        x = _nd(mx, pattern(xs, 0.3) - 0.01 * np.arange(np.prod(xs)).reshape(xs))
        x.attach_grad()
        with ag.record():
            y = nd.Pooling(x, **p)
        y.backward(_nd(mx, pattern(y.shape, 1.1)))
        out[f"{name}_y"] = y.asnumpy()
        out[f"{name}_dx"] = x.grad.asnumpy()
    return out


def maxpool_ties(mx):
    """Which of several equal maxima gets the gradient (MXNet: the first, row-major)."""
    nd, ag = mx.nd, mx.autograd
    x = _nd(mx, [[[[1, 2, 2, 0, 1], [2, 1, 0, 2, 2], [0, 0, 3, 3, 1], [1, 1, 1, 1, 1],
                   [3, 1, 1, 3, 0]]]])
    x.attach_grad()
    out = {}
    for name, p in (("k2s2", {"kernel": (2, 2), "stride": (2, 2)}),
                    ("k3s1", {"kernel": (3, 3), "stride": (1, 1)}),
                    ("k2s1_pad", {"kernel": (2, 2), "stride": (1, 1), "pad": (1, 1)})):
        with ag.record():
            y = nd.Pooling(x, pool_type="max", **p)
        y.backward()
        out[f"{name}_y"] = y.asnumpy()
        out[f"{name}_dx"] = x.grad.asnumpy()
    return out


def _bn_inputs(mx, xs, c, k=0.0):
    x = _nd(mx, 2 * pattern(xs, k) + 0.5)
    gamma = _nd(mx, 1 + 0.5 * pattern((c,), 1.0))
    beta = _nd(mx, pattern((c,), 2.0))
    mean = _nd(mx, 0.1 * pattern((c,), 3.0))
    var = _nd(mx, 1 + 0.3 * pattern((c,), 4.0))
    return x, gamma, beta, mean, var


def _bn_grads(x, gamma, beta):
    return {"dx": x.grad.asnumpy(), "dgamma": gamma.grad.asnumpy(),
            "dbeta": beta.grad.asnumpy()}


def batchnorm_train(mx):
    """Training mode: batch statistics; moving statistics updated by backward."""
    nd, ag = mx.nd, mx.autograd
    out = {}
    cases = {"nchw": ((4, 3, 2, 3), 3, {"fix_gamma": False, "eps": 1e-5}),
             "fix_gamma_2d": ((5, 3), 3, {"fix_gamma": True, "eps": 1e-5}),
             "axis_last_mom": ((2, 3, 4), 4, {"fix_gamma": False, "axis": -1,
                                              "momentum": 0.8, "eps": 1e-4}),
             "default_eps": ((3, 2, 2), 2, {"fix_gamma": False})}
    for name, (xs, c, p) in cases.items():
        x, gamma, beta, mean, var = _bn_inputs(mx, xs, c)
        for a in (x, gamma, beta):
            a.attach_grad()
        with ag.record():
            y = nd.BatchNorm(x, gamma, beta, mean, var, **p)
        out[f"{name}_mean_after_forward"] = mean.asnumpy()
        y.backward(_nd(mx, pattern(y.shape, 5.0)))
        out[f"{name}_y"] = y.asnumpy()
        out[f"{name}_mean"] = mean.asnumpy()
        out[f"{name}_var"] = var.asnumpy()
        for k, v in _bn_grads(x, gamma, beta).items():
            out[f"{name}_{k}"] = v
    return out


def batchnorm_modes(mx):
    """Prediction mode, use_global_stats, train_mode without recording, and a retained
    graph differentiated twice (two updates)."""
    nd, ag = mx.nd, mx.autograd
    out = {}
    x, gamma, beta, mean, var = _bn_inputs(mx, (4, 3, 2), 3, 0.5)
    for a in (x, gamma, beta):
        a.attach_grad()
    with ag.record(train_mode=False):
        y = nd.BatchNorm(x, gamma, beta, mean, var, fix_gamma=False, eps=1e-5)
    y.backward(_nd(mx, pattern(y.shape, 6.0)), train_mode=False)
    out["predict_y"] = y.asnumpy()
    out.update({f"predict_{k}": v for k, v in _bn_grads(x, gamma, beta).items()})
    out["predict_mean"] = mean.asnumpy()

    # a copy: MXNet's float64 kernel writes 1 into gamma when fix_gamma is set, without
    # telling its scheduler (later readers see 1, earlier ones may not)
    y = nd.BatchNorm(x, gamma.copy(), beta, mean, var, fix_gamma=True, eps=1e-5)
    out["predict_fix_gamma_y"] = y.asnumpy()

    with ag.record():
        y = nd.BatchNorm(x, gamma, beta, mean, var, fix_gamma=False, use_global_stats=True)
    y.backward(_nd(mx, pattern(y.shape, 6.0)))
    out["global_y"] = y.asnumpy()
    out.update({f"global_{k}": v for k, v in _bn_grads(x, gamma, beta).items()})
    out["global_mean"] = mean.asnumpy()
    out["global_var"] = var.asnumpy()

    with ag.train_mode():
        y = nd.BatchNorm(x, gamma, beta, mean, var, fix_gamma=False)
    out["train_mode_y"] = y.asnumpy()
    out["train_mode_mean"] = mean.asnumpy()

    with ag.record():
        y = nd.BatchNorm(x, gamma, beta, mean, var, fix_gamma=False, momentum=0.5)
    y.backward(retain_graph=True)
    out["twice_mean_1"] = mean.asnumpy()
    out["twice_var_1"] = var.asnumpy()
    y.backward()
    out["twice_mean_2"] = mean.asnumpy()
    out["twice_var_2"] = var.asnumpy()
    return out


# ---- Gluon layers -------------------------------------------------------------------------


def layer_reprs(mx):
    """Reprs of the layers before and after shape inference."""
    nn = mx.gluon.nn
    layers = [nn.Conv2D(6, kernel_size=5, activation="sigmoid"),
              nn.Conv2D(16, kernel_size=(3, 2), strides=2, padding=1, dilation=(2, 1),
                        groups=2, use_bias=False, in_channels=4),
              nn.Conv1D(4, 3, strides=2),
              nn.MaxPool2D(pool_size=2, strides=2),
              nn.MaxPool2D(3, 2, 1, ceil_mode=True),
              nn.AvgPool2D(pool_size=3, padding=1, ceil_mode=True, count_include_pad=False),
              nn.AvgPool2D(),
              nn.GlobalMaxPool2D(), nn.GlobalAvgPool2D(),
              nn.MaxPool1D(), nn.AvgPool1D(3), nn.GlobalAvgPool1D(),
              nn.BatchNorm(),
              nn.BatchNorm(axis=-1, momentum=0.8, epsilon=1e-3, center=False, scale=False,
                           in_channels=5)]
    return {"reprs": np.array([repr(b) for b in layers])}


def _lenet(mx):
    nn = mx.gluon.nn
    net = nn.Sequential(prefix="lenet_")  # its own name scope: the same names every run
    with net.name_scope():
        net.add(nn.Conv2D(6, kernel_size=5, activation="sigmoid"),
                nn.BatchNorm(),
                nn.MaxPool2D(pool_size=2, strides=2),
                nn.Conv2D(16, kernel_size=5, padding=1, groups=2),
                nn.BatchNorm(scale=False),
                nn.AvgPool2D(pool_size=2, strides=2, ceil_mode=True),
                nn.Conv2D(8, kernel_size=1, use_bias=False),
                nn.GlobalMaxPool2D())
    return net


def lenet_layers(mx):
    """A LeNet-like net with batch norm: parameter names and shapes, each layer's output
    shape, values and gradients for set parameters, and the running statistics after one
    training step."""
    ag = mx.autograd
    net = _lenet(mx)
    net.cast(F64)
    net.initialize()
    x = _nd(mx, pattern((2, 1, 20, 20), 0.2))
    shapes = []
    h = x
    for layer in net:
        h = layer(h)  # the first pass also completes deferred initialization
        shapes.append(h.shape)
    params = net.collect_params()
    names = sorted(params.keys())
    for i, n in enumerate(names):
        p = params[n]
        if n.endswith("gamma") and p.grad_req == "null":
            continue  # BatchNorm(scale=False): gamma stays 1 (MXNet may overwrite it with 1)
        if n.endswith("running_var") or n.endswith("gamma"):
            p.set_data(_nd(mx, 1 + 0.2 * pattern(p.shape, i)))
        else:
            p.set_data(_nd(mx, 0.3 * pattern(p.shape, i)))
    out = {"param_names": np.array(names),
           "param_shapes": np.array([json.dumps(list(params[n].shape)) for n in names]),
           "grad_reqs": np.array([params[n].grad_req for n in names]),
           "layer_shapes": np.array([json.dumps(list(s)) for s in shapes]),
           "repr": np.array(repr(net))}
    with ag.record():
        y = net(x)
    y.backward(_nd(mx, pattern(y.shape, 3.0)))
    out["train_y"] = y.asnumpy()
    for n in names:
        p = params[n]
        out[f"after_{n}"] = p.data().asnumpy()
        if p.grad_req != "null":
            out[f"grad_{n}"] = p.grad().asnumpy()
    out["predict_y"] = net(x).asnumpy()
    return out


PROGRAMS = [conv_ops, pool_ops, maxpool_ties, batchnorm_train, batchnorm_modes, layer_reprs,
            lenet_layers]


# ---- writing the file ---------------------------------------------------------------------


def run_program(prog, mx):
    res = prog(mx)
    for name, value in res.items():
        if not isinstance(value, np.ndarray) or value.dtype.kind not in "biufU":
            raise TypeError(f"{prog.__name__}/{name}: not a numeric or string array")
    return res


def same(a, b):
    return a.keys() == b.keys() and all(
        a[k].shape == b[k].shape and a[k].dtype == b[k].dtype and np.array_equal(a[k], b[k])
        for k in a)


def main():
    import mxnet as mx

    arrays = {"__meta__/mxnet_version": np.array(mx.__version__),
              "__meta__/numpy_version": np.array(np.__version__)}
    for prog in PROGRAMS:
        first, second = run_program(prog, mx), run_program(prog, mx)
        if not same(first, second):
            raise RuntimeError(f"{prog.__name__} is not deterministic")
        arrays.update({f"{prog.__name__}/{k}": v for k, v in first.items()})
    fd, tmp = tempfile.mkstemp(prefix=".conv.", suffix=".npz.tmp", dir=HERE)
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
    print(f"wrote {os.path.relpath(OUT)}: {len(PROGRAMS)} programs, {len(arrays) - 2} "
          f"arrays, {os.path.getsize(OUT)} bytes (mxnet {mx.__version__})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
