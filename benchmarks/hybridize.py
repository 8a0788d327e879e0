"""Hybridized against imperative minigluon, and real MXNet hybridized, on two training
steps: the seed MLP (784-256-10, batch 256, softmax cross-entropy, SGD) and the book's tiny
linear-regression step (Dense(1) on 2 features, batch 10, L2 loss, SGD).

    python benchmarks/hybridize.py [--repeats 11] [--mxnet ~/mxnet-oracle/bin/python]

The two minigluon variants alternate in one process (harness.compare, ABBA order; the
ratio is hybridized / imperative, CPU time). MXNet runs the same steps in a subprocess
with the oracle's Python when it is there (``--mxnet ''`` skips it). One BLAS thread.
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_v] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402

import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def steps(mx, hybrid):
    """The two step functions for framework ``mx`` (minigluon or mxnet)."""
    gluon, nd, autograd = mx.gluon, mx.nd, mx.autograd
    rng = np.random.RandomState(0)
    out = {}
    net = gluon.nn.HybridSequential()
    net.add(gluon.nn.Dense(256, activation="relu"), gluon.nn.Dense(10))
    net.initialize()
    if hybrid:
        net.hybridize()
    X, Y = nd.array(rng.randn(256, 784)), nd.array(rng.randint(0, 10, 256))
    ce = gluon.loss.SoftmaxCrossEntropyLoss()
    tr = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1})

    def mlp():
        with autograd.record():
            loss = ce(net(X), Y)
        loss.backward()
        tr.step(256)
        loss.wait_to_read()

    lin = gluon.nn.Dense(1)
    lin.initialize()
    if hybrid:
        lin.hybridize()
    x, y = nd.array(rng.randn(10, 2)), nd.array(rng.randn(10, 1))
    l2 = gluon.loss.L2Loss()
    tr2 = gluon.Trainer(lin.collect_params(), "sgd", {"learning_rate": 0.03})

    def tiny():
        with autograd.record():
            loss = l2(lin(x), y)
        loss.backward()
        tr2.step(10)
        loss.wait_to_read()

    out["mlp"], out["tiny"] = mlp, tiny
    return out


def mxnet_main(repeats):
    import mxnet as mx

    sys.path.insert(0, HERE)
    from harness import time_alone

    res = {k: statistics.median(time_alone(f, repeats, 0.05))
           for k, f in steps(mx, True).items()}
    print(json.dumps(res))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=11)
    ap.add_argument("--mxnet", default=os.path.expanduser("~/mxnet-oracle/bin/python"))
    ap.add_argument("--as-mxnet", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.as_mxnet:
        return mxnet_main(a.repeats)
    sys.path.insert(0, os.path.dirname(HERE))
    sys.path.insert(0, HERE)
    from harness import compare

    import minigluon as mx

    imp, hyb = steps(mx, False), steps(mx, True)
    theirs = {}
    if a.mxnet and os.path.exists(a.mxnet):
        run = subprocess.run([a.mxnet, __file__, "--as-mxnet", "--repeats", str(a.repeats)],
                             capture_output=True, text=True, check=True)
        theirs = json.loads(run.stdout.strip().splitlines()[-1])
    for k in ("mlp", "tiny"):
        r = compare(hyb[k], imp[k], a.repeats, 0.05)
        line = (f"{k:5s} hybridized {r['minigluon'] * 1e6:9.1f} us   imperative "
                f"{r['numpy'] * 1e6:9.1f} us   hyb/imp CPU ratio {r['cpu_ratio']:.2f} "
                f"[{r['cpu_ratio_q1']:.2f}, {r['cpu_ratio_q3']:.2f}]")
        if k in theirs:
            line += f"   MXNet hybridized {theirs[k] * 1e6:9.1f} us"
        print(line)


if __name__ == "__main__":
    main()
