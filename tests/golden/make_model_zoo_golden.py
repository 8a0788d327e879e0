"""Regenerate the model zoo golden files from real MXNet (the oracle):

- tests/golden/model_zoo.npz: for every network of ``gluon.model_zoo.vision``, its
  parameter names and (deferred) shapes, and its repr; for the networks in ``NETS``, the
  output on a fixed input, in prediction mode and (``/train``) in training mode.
- tests/golden/files/model_zoo/<name>.params.gz: those networks' parameters as MXNet
  writes them (``save_parameters``; ``<name>-legacy`` with full names, as
  ``collect_params().save``), gzipped.

Run from the repository root with the MXNet venv:

    ~/mxnet-oracle/bin/python tests/golden/make_model_zoo_golden.py

Made with Apache MXNet 1.9.1 (CPU pip wheel), numpy 1.23.5, Python 3.11, Linux x86_64.

The parameters are MXNet's own initialisation overwritten with a fixed pattern that
repeats every 257 values (a prime, so no two channels or kernel taps share their values
in the same way): real weights of these sizes would make the files tens of megabytes;
the pattern compresses to a few kilobytes, yet a transposed, misplaced or misnamed
parameter changes the output.
"""

import gzip
import os
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "model_zoo.npz")
FILES = os.path.join(HERE, "files", "model_zoo")

ALL = ["resnet18_v1", "resnet34_v1", "resnet50_v1", "resnet101_v1", "resnet152_v1",
       "resnet18_v2", "resnet34_v2", "resnet50_v2", "resnet101_v2", "resnet152_v2",
       "vgg11", "vgg13", "vgg16", "vgg19", "vgg11_bn", "vgg13_bn", "vgg16_bn", "vgg19_bn",
       "alexnet", "densenet121", "densenet161", "densenet169", "densenet201",
       "squeezenet1.0", "squeezenet1.1", "inceptionv3", "mobilenet1.0", "mobilenet0.75",
       "mobilenet0.5", "mobilenet0.25", "mobilenetv2_1.0", "mobilenetv2_0.75",
       "mobilenetv2_0.5", "mobilenetv2_0.25"]

# network -> input shape (small where the architecture allows)
NETS = {"resnet18_v2": (2, 3, 32, 32), "vgg11": (1, 3, 32, 32),
        "resnet18_v1": (2, 3, 32, 32), "mobilenet0.25": (1, 3, 32, 32),
        "squeezenet1.1": (1, 3, 224, 224), "densenet121": (1, 3, 224, 224),
        "mobilenetv2_0.25": (1, 3, 32, 32)}
CLASSES = 10


def pattern_values(name, shape):
    """Deterministic values for parameter ``name``, period 257, of a sensible size."""
    n = int(np.prod(shape))
    base = ((np.arange(n) * 97 + 13) % 257 - 128) / 128.0  # in [-1, 1)
    if name.endswith("running_var"):
        return (1.0 + 0.5 * base).reshape(shape)
    if name.endswith("gamma"):
        return (1.0 + 0.2 * base).reshape(shape)
    if name.endswith(("beta", "bias", "running_mean")):
        return (0.1 * base).reshape(shape)
    fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else 1
    return (base * np.sqrt(3.0 / fan_in)).reshape(shape)


def net_input(shape):
    i = np.arange(int(np.prod(shape)), dtype=np.float64)
    return (np.sin(0.37 * i) + 0.5 * np.cos(1.3 * i)).reshape(shape)


def structure(mx, name):
    net = mx.gluon.model_zoo.vision.get_model(name, classes=CLASSES)
    params = net.collect_params()
    # names without the network's own prefix, whose number depends on what came before
    return {f"{name}/prefix": np.array(net.prefix.rstrip("_0123456789")),
            f"{name}/names": np.array([k[len(net.prefix):] for k in params.keys()]),
            f"{name}/shapes": np.array([str(tuple(p.shape)) for p in params.values()]),
            f"{name}/repr": np.array(repr(net))}


def build(mx, name, shape):
    """The network with pattern parameters (deferred shapes completed by one forward)."""
    net = mx.gluon.model_zoo.vision.get_model(name, classes=CLASSES)
    net.initialize()
    net(mx.nd.zeros(shape))
    for pname, p in net.collect_params().items():
        p.set_data(mx.nd.array(pattern_values(pname, p.shape)))
    return net


def outputs(mx, net, shape):
    x = mx.nd.array(net_input(shape))
    res = {"predict": net(x).asnumpy()}
    with mx.autograd.record():
        res["train"] = net(x).asnumpy()
    return res


def _gzip(src, dst):
    with open(src, "rb") as f:
        data = f.read()
    with gzip.GzipFile(dst, "wb", mtime=0) as g:  # mtime 0: the same bytes every time
        g.write(data)


def main():
    import mxnet as mx

    arrays = {}
    for name in ALL:
        arrays.update(structure(mx, name))
    os.makedirs(FILES, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for name, shape in NETS.items():
            net = build(mx, name, shape)
            for key, value in outputs(mx, net, shape).items():
                arrays[f"{name}/{key}"] = value
            plain = os.path.join(tmp, "p.params")
            net.save_parameters(plain)
            _gzip(plain, os.path.join(FILES, f"{name}.params.gz"))
            if name == "resnet18_v2":
                legacy = os.path.join(tmp, "l.params")
                net.collect_params().save(legacy, strip_prefix=net.prefix)
                _gzip(legacy, os.path.join(FILES, f"{name}-legacy.params.gz"))
    fd, tmp = tempfile.mkstemp(dir=HERE, suffix=".npz")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez_compressed(f, **arrays)
        os.chmod(tmp, 0o644)
        os.replace(tmp, OUT)
    except BaseException:
        os.unlink(tmp)
        raise
    print(f"wrote {OUT}: {len(arrays)} arrays", file=sys.stderr)


if __name__ == "__main__":
    main()
