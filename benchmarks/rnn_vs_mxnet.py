"""The book's rnn-gluon training step (d2l-zh 6.5), minigluon against real MXNet 1.9.1.

    python benchmarks/rnn_vs_mxnet.py                      # RNN and LSTM, about 2 minutes
    python benchmarks/rnn_vs_mxnet.py --cells lstm --rounds 3 --steps 10
    python benchmarks/rnn_vs_mxnet.py --mxnet-python ~/mxnet-oracle/bin/python

One step is what ``d2lzh.train_and_predict_rnn_gluon`` does per batch: ``s.detach()`` on
the carried state, then under ``record()`` ``one_hot(X.T, vocab)`` -> ``rnn.RNN(256)`` (or
``rnn.LSTM(256)``) -> ``Dense(vocab)`` -> ``SoftmaxCrossEntropyLoss().mean()``, ``backward``,
``d2lzh.grad_clipping`` (which reads the norm with ``asscalar``) and ``trainer.step(1)``
(SGD, lr 100). Vocabulary 1027 (the book's Jay Chou lyrics), 35 time steps, batch 32.

Each framework runs in its own worker process (MXNet needs its own interpreter), the two
alternating round by round so that machine noise lands on both; one BLAS/OpenMP thread in
both (the variables are set before either imports NumPy). Every step ends with
``nd.waitall()`` so MXNet's asynchronous engine has finished its work when the clock stops.
Before timing, both start from the same parameter values (set from a sine pattern, not
from their random generators) and their losses over the first steps are compared.
Reported: the median time per step over all timed steps (wall clock and CPU time), and the
ratio minigluon / MXNet of the medians. This is a script, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
               "MXNET_CPU_WORKER_NTHREADS", "MXNET_OMP_MAX_THREADS")
VOCAB, HIDDEN, STEPS, BATCH = 1027, 256, 35, 32
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _pattern(np, shape, k):
    i = np.arange(int(np.prod(shape)), dtype=np.float64)
    return (0.01 * (np.cos(1.37 * i + k) + 0.3 * np.sin(7.1 * i + 2 * k))).reshape(shape)


def _model_and_step(mx, np, cell: str):
    nd, autograd, gluon = mx.nd, mx.autograd, mx.gluon
    nn, rnn = gluon.nn, gluon.rnn

    class RNNModel(nn.Block):
        def __init__(self, rnn_layer, vocab_size, **kwargs):
            super().__init__(**kwargs)
            self.rnn = rnn_layer
            self.vocab_size = vocab_size
            self.dense = nn.Dense(vocab_size)

        def forward(self, inputs, state):
            X = nd.one_hot(inputs.T, self.vocab_size)
            Y, state = self.rnn(X, state)
            output = self.dense(Y.reshape((-1, Y.shape[-1])))
            return output, state

        def begin_state(self, *args, **kwargs):
            return self.rnn.begin_state(*args, **kwargs)

    layer = rnn.RNN(HIDDEN) if cell == "rnn" else rnn.LSTM(HIDDEN)
    model = RNNModel(layer, VOCAB)
    model.initialize(init=mx.init.Normal(0.01))
    state = model.begin_state(batch_size=BATCH)
    model(nd.zeros((BATCH, STEPS)), state)  # finish the deferred initialization
    for j, (_, p) in enumerate(sorted(model.collect_params().items())):
        p.set_data(nd.array(_pattern(np, p.shape, j)))
    loss = gluon.loss.SoftmaxCrossEntropyLoss()
    trainer = gluon.Trainer(model.collect_params(), "sgd",
                            {"learning_rate": 1e2, "momentum": 0, "wd": 0})
    rng = np.random.RandomState(0)
    corpus = rng.randint(0, VOCAB, size=(64, BATCH, STEPS + 1))
    box = {"state": state, "i": 0}

    def grad_clipping(params, theta):  # d2lzh.grad_clipping
        norm = nd.array([0])
        for param in params:
            norm += (param.grad ** 2).sum()
        norm = norm.sqrt().asscalar()
        if norm > theta:
            for param in params:
                param.grad[:] *= theta / norm

    def step():
        seq = corpus[box["i"] % len(corpus)]
        box["i"] += 1
        X, Y = nd.array(seq[:, :-1]), nd.array(seq[:, 1:])
        for s in box["state"]:
            s.detach()
        with autograd.record():
            output, box["state"] = model(X, box["state"])
            y = Y.T.reshape((-1,))
            ll = loss(output, y).mean()
        ll.backward()
        grad_clipping([p.data() for p in model.collect_params().values()], 1e-2)
        trainer.step(1)
        nd.waitall()
        return float(ll.asscalar())

    return step


def run_worker(framework: str, cell: str, warmup: int, steps: int, check: int) -> dict:
    import numpy as np

    if framework == "mxnet":
        import mxnet as mx
    else:
        sys.path.insert(0, ROOT)
        import minigluon as mx
    step = _model_and_step(mx, np, cell)
    losses = [step() for _ in range(check)]
    for _ in range(warmup):
        step()
    wall, cpu = [], []
    for _ in range(steps):
        t0, c0 = time.perf_counter(), time.process_time()
        step()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return {"losses": losses, "wall": wall, "cpu": cpu}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cells", default="rnn,lstm")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--steps", type=int, default=10, help="timed steps per round")
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--mxnet-python", default=os.path.expanduser("~/mxnet-oracle/bin/python"))
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--check", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        fw, cell = args.worker.split(":")
        print(json.dumps(run_worker(fw, cell, args.warmup, args.steps, args.check)))
        return
    env = dict(os.environ)
    for v in THREAD_VARS:
        env[v] = "1"
    pythons = {"minigluon": sys.executable, "mxnet": args.mxnet_python}
    rows = []
    for cell in args.cells.split(","):
        res: dict[str, dict[str, list]] = {fw: {"wall": [], "cpu": []} for fw in pythons}
        losses = {}
        for r in range(args.rounds):
            order = list(pythons) if r % 2 == 0 else list(pythons)[::-1]
            for fw in order:
                cmd = [pythons[fw], os.path.abspath(__file__), "--worker", f"{fw}:{cell}",
                       "--steps", str(args.steps), "--warmup", str(args.warmup),
                       "--check", "3" if r == 0 else "0"]
                out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
                data = json.loads(out.stdout.strip().splitlines()[-1])
                res[fw]["wall"] += data["wall"]
                res[fw]["cpu"] += data["cpu"]
                if r == 0:
                    losses[fw] = data["losses"]
        med = {fw: {k: statistics.median(v) for k, v in d.items()} for fw, d in res.items()}
        rows.append((cell, med, losses))
    print(f"d2l rnn-gluon training step: vocab {VOCAB}, {HIDDEN} hidden, {STEPS} steps, "
          f"batch {BATCH}; one thread; {args.rounds} rounds x {args.steps} timed steps")
    print("| layer | minigluon ms/step (wall / CPU) | MXNet 1.9.1 ms/step (wall / CPU) | "
          "ratio wall | ratio CPU | first losses (minigluon ; MXNet) |")
    print("|---|---|---|---|---|---|")
    for cell, med, losses in rows:
        m, x = med["minigluon"], med["mxnet"]
        ls = "; ".join(" ".join(f"{v:.5f}" for v in losses[fw]) for fw in pythons)
        print(f"| {cell.upper()} | {1e3 * m['wall']:.1f} / {1e3 * m['cpu']:.1f} | "
              f"{1e3 * x['wall']:.1f} / {1e3 * x['cpu']:.1f} | {m['wall'] / x['wall']:.2f}x | "
              f"{m['cpu'] / x['cpu']:.2f}x | {ls} |")


if __name__ == "__main__":
    main()
