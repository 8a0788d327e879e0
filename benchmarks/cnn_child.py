"""Times the book's CNN training and prediction steps in ONE framework, in its own process.

Run by run.py (W5-W7) once per framework: ``minigluon`` and ``mxnet`` (real MXNet 1.9.1,
run with the oracle's Python) build the same Gluon code from cnn_models.py; ``torch``
builds the PyTorch twins. The jobs come as JSON on the command line; the results go to
standard output as one JSON line. Everything runs on one thread (set before the
framework is imported). With ``--memory`` the (single) job's peak resident memory over
the process's memory before the first forward is measured as well; run.py gives that
job a process of its own, since the peak is a lifetime figure.

This file imports only NumPy and the framework, so that MXNet's Python (NumPy < 1.24)
runs it too.
"""

from __future__ import annotations

import os
import sys

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
             "MXNET_CPU_WORKER_NTHREADS", "MXNET_OMP_MAX_THREADS"):
    os.environ[_var] = "1"
# MXNet's engine otherwise runs operators on worker threads, asynchronously
os.environ["MXNET_ENGINE_TYPE"] = "NaiveEngine"
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import argparse  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import time  # noqa: E402

import cnn_models  # noqa: E402
import numpy as np  # noqa: E402


def _rss() -> int:
    """Resident memory now, in bytes."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _peak() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


def _data(batch: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(batch, 1, size, size)).astype(np.float32)
    y = rng.integers(0, 10, size=batch).astype(np.float32)
    return X, y


def gluon_steps(mx, model: str, mode: str, batch: int, size: int):
    """(step function returning a number to check, sync function) for a Gluon framework."""
    from_mx = mx.__name__ == "mxnet"
    net = cnn_models.BUILDERS[model](mx)
    mx.random.seed(0)  # the same start every run (a test checks the first loss)
    net.initialize(init=mx.init.Xavier())
    loss = mx.gluon.loss.SoftmaxCrossEntropyLoss()
    trainer = mx.gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.05})
    Xn, yn = _data(batch, size)
    X, y = mx.nd.array(Xn), mx.nd.array(yn)
    autograd = mx.autograd

    def sync() -> None:
        if from_mx:
            mx.nd.waitall()

    if mode == "train":
        def step() -> float:
            with autograd.record():
                l = loss(net(X), y).sum()
            l.backward()
            trainer.step(batch)
            sync()
            return l
    else:
        def step() -> float:
            out = net(X)
            sync()
            return out
    return step, lambda v: float(v.asnumpy().sum())


def torch_steps(model: str, mode: str, batch: int, size: int):
    import torch

    torch.set_num_threads(1)
    torch.manual_seed(0)
    net = cnn_models.torch_model(model, size)
    Xn, yn = _data(batch, size)
    X, y = torch.from_numpy(Xn), torch.from_numpy(yn).long()
    opt = torch.optim.SGD(_materialize(net, X), lr=0.05)
    if mode == "train":
        net.train()

        def step():
            opt.zero_grad()
            l = torch.nn.functional.cross_entropy(net(X), y, reduction="sum")
            l.backward()
            opt.step()
            return l
    else:
        net.eval()

        def step():
            with torch.no_grad():
                return net(X)
    return step, lambda v: float(v.detach().sum())


def _materialize(net, X):
    """Lazy layers get their shapes from one forward (as Gluon's deferred init does)."""
    import torch

    with torch.no_grad():
        net(X)
    return net.parameters()


def run(framework: str, job: dict, memory: bool) -> dict:
    base = _rss()
    if framework == "torch":
        step, value = torch_steps(job["model"], job["mode"], job["batch"], job["size"])
    else:
        mx = _framework(framework)
        step, value = gluon_steps(mx, job["model"], job["mode"], job["batch"], job["size"])
    first = value(step())  # deferred initialization happens here
    for _ in range(job["warmup"]):
        step()
    wall, cpu = [], []
    for _ in range(job["steps"]):
        c0, t0 = time.process_time(), time.perf_counter()
        step()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    out = dict(job, framework=framework, wall=wall, cpu=cpu, first_value=first)
    if framework == "minigluon" and not memory:
        out["gemm_floor"] = _gemm_floor(step, job["mode"])
    if memory:
        out["peak_bytes"] = _peak() - base
    return out


def _gemm_floor(step, mode: str) -> float:
    """Seconds the step's matrix products alone need at this machine's best SGEMM speed
    (a 1024^3 product, one thread): the multiply-adds of every Convolution and
    FullyConnected in one forward, times 3 for training (forward, dW, dx). No
    implementation that multiplies matrices with NumPy's BLAS can be faster."""
    import minigluon.ops.conv as conv
    import minigluon.ops.linalg as linalg

    madds = []
    orig = conv.Convolution.forward, linalg.FullyConnected.forward

    def conv_fwd(self, x, w, b=None):
        y, res = orig[0](self, x, w, b)
        madds.append(y.size * w[0].size)  # each output: one filter's C/G * K weights
        return y, res

    def fc_fwd(self, x, w, b=None):
        y, res = orig[1](self, x, w, b)
        madds.append(y.size * w.shape[1])
        return y, res

    conv.Convolution.forward, linalg.FullyConnected.forward = conv_fwd, fc_fwd
    try:
        step()
    finally:
        conv.Convolution.forward, linalg.FullyConnected.forward = orig
    a = np.ones((1024, 1024), np.float32)
    a @ a
    best = min(_timed(lambda: a @ a) for _ in range(5))
    rate = 2 * 1024**3 / best
    return (3 if mode == "train" else 1) * 2 * sum(madds) / rate


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def _framework(name: str):
    if name == "mxnet":
        import mxnet

        return mxnet
    import minigluon

    return minigluon


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--framework", required=True, choices=("minigluon", "mxnet", "torch"))
    ap.add_argument("--jobs", required=True, help="JSON list of jobs")
    ap.add_argument("--memory", action="store_true")
    args = ap.parse_args()
    jobs = json.loads(args.jobs)
    if args.memory and len(jobs) != 1:
        ap.error("--memory measures one job per process")
    results = [run(args.framework, job, args.memory) for job in jobs]
    print(json.dumps({"framework": args.framework, "results": results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
