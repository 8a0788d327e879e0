"""Learning rates given by MXNet 1.9.1's schedulers, for tests/test_lr_scheduler.py.

Run with the MXNet oracle from the repository root:
``~/mxnet-oracle/bin/python tests/golden/make_lr_scheduler_golden.py``; the same script
runs under minigluon in the tests (``schedules(mx)``).
"""

import os
import sys

import numpy as np

STEPS = list(range(0, 60))


def schedules(mx):
    """name -> the learning rate at each update count of STEPS (called in order)."""
    L = mx.lr_scheduler
    made = {
        "factor": L.FactorScheduler(step=10, factor=0.5, base_lr=0.1),
        "factor_stop": L.FactorScheduler(step=5, factor=0.1, stop_factor_lr=1e-4, base_lr=1.0),
        "factor_warmup": L.FactorScheduler(step=10, factor=0.9, base_lr=0.2, warmup_steps=8,
                                           warmup_begin_lr=0.01),
        "multifactor": L.MultiFactorScheduler(step=[7, 20, 41], factor=0.3, base_lr=0.5),
        "poly": L.PolyScheduler(max_update=50, base_lr=0.3, pwr=2, final_lr=0.01),
        "poly_warmup": L.PolyScheduler(max_update=50, base_lr=0.3, pwr=1, warmup_steps=5,
                                       warmup_mode="constant", warmup_begin_lr=0.05),
        "cosine": L.CosineScheduler(max_update=40, base_lr=0.2, final_lr=0.02),
        "cosine_warmup": L.CosineScheduler(max_update=40, base_lr=0.2, warmup_steps=10),
    }
    return {k: np.array([s(t) for t in STEPS], dtype=np.float64) for k, s in made.items()}


def trainer_lrs(mx):
    """The rates an SGD Trainer uses over 12 steps with a FactorScheduler."""
    autograd, gluon, nd = mx.autograd, mx.gluon, mx.nd
    net = gluon.nn.Dense(1, in_units=2)
    net.initialize(mx.init.One())
    sched = mx.lr_scheduler.FactorScheduler(step=3, factor=0.5, base_lr=0.4)
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"lr_scheduler": sched})
    lrs, weights = [], []
    for _ in range(12):
        with autograd.record():
            loss = (net(nd.ones((2, 2))) ** 2).sum()
        loss.backward()
        trainer.step(2)
        lrs.append(trainer.learning_rate)
        weights.append(net.weight.data().asnumpy().copy())
    return np.array(lrs), np.array(weights)


if __name__ == "__main__":
    import mxnet as mx

    out = schedules(mx)
    out["trainer_lrs"], out["trainer_weights"] = trainer_lrs(mx)
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lr_scheduler.npz")
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        np.savez(f, **out)
    os.replace(tmp, path)
    print("wrote", path, "with", len(out), "arrays", file=sys.stderr)
