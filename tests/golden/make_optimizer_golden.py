"""Golden trajectories of MXNet 1.9.1's optimizers, for tests/test_optimizer.py.

Run from the repository root with MXNet's Python::

    ~/mxnet-oracle/bin/python tests/golden/make_optimizer_golden.py

For every case below, two parameters (shapes (3, 4) and (5,)) start from fixed float64
values and take ``STEPS`` updates with fixed gradients, through
``mx.optimizer.create(name, **kwargs)``, ``create_state`` and ``update`` called directly
(no Gluon). ``param_dict`` maps the indices 0 and 1 to objects carrying ``lr_mult`` and
``wd_mult``, as the Gluon Trainer's Parameters do. Each case runs once in float64 and once
in float32 (inputs cast from the float64 values); the weights after every step are stored.

Gradients are fresh arrays at every call: AdaDelta rescales the gradient it is given in
place, and the trajectories must not depend on that.

MXNet creates the states of AdaGrad, RMSProp, AdaDelta and Ftrl as float32 whatever the weight's
dtype, so with float64 weights their update raises "Incompatible attr in node". Here the
states are cast to the weight's dtype right after ``create_state`` (they are zeros, so no
value changes); MXNet's own update code then runs in float64. minigluon creates states in
the weight's dtype from the start.

Output: tests/golden/optimizer.npz with
  ``spec``          JSON text: the list of cases and the parameter multipliers
  ``w0/<p>``        float64 initial value of parameter p (0 or 1)
  ``g/<p>``         float64 gradients of parameter p, shape (STEPS, *shape)
  ``<case>/<dtype>/<p>``  weights after each step, shape (STEPS, *shape), in that dtype
  ``parse/values``  Python numbers; ``parse/float`` and ``parse/double`` what MXNet's C++
                    side made of them as a C float operator argument and as a C double
                    scalar (dmlc-core's text parser, not always correctly rounded)
"""

from __future__ import annotations

import io
import json
import warnings
import zipfile
from pathlib import Path

import numpy as np

warnings.filterwarnings("ignore")
import mxnet as mx  # noqa: E402

OUT = Path(__file__).resolve().parent / "optimizer.npz"
STEPS = 5
SHAPES = [(3, 4), (5,)]
MULTS = [(1.0, 1.0), (0.5, 2.0)]  # (lr_mult, wd_mult) of parameters 0 and 1

# (case id, optimizer name, kwargs, extra) -- extra: "no_param_dict", "2d_only" (parameter
# 0 alone, for GroupAdaGrad), or
# ("set_lr", step, lr) to call set_learning_rate(lr) before that (0-based) step
CASES = [
    ("sgd-default", "sgd", {}, None),
    ("sgd-wd", "sgd", {"learning_rate": 0.1, "wd": 0.01}, None),
    ("sgd-mom", "sgd", {"learning_rate": 0.1, "momentum": 0.9, "wd": 0.01}, None),
    ("sgd-clip", "sgd", {"learning_rate": 0.1, "momentum": 0.9, "wd": 0.1,
                         "clip_gradient": 0.7, "rescale_grad": 0.5}, None),
    ("sgd-clip-nomom", "sgd", {"learning_rate": 0.3, "wd": 0.05, "clip_gradient": 0.4,
                               "rescale_grad": 0.25}, None),
    ("sgd-setlr", "sgd", {"learning_rate": 0.05, "momentum": 0.5}, ("set_lr", 2, 0.2)),
    ("sgd-nopd", "SGD", {"learning_rate": 0.1, "wd": 0.1, "momentum": 0.3}, "no_param_dict"),
    ("nag-mom", "nag", {"learning_rate": 0.1, "momentum": 0.9, "wd": 0.01}, None),
    ("nag-nomom", "nag", {"learning_rate": 0.1, "wd": 0.02, "clip_gradient": 0.7}, None),
    ("nag-clip", "nag", {"learning_rate": 0.05, "momentum": 0.8, "wd": 0.05,
                         "clip_gradient": 0.7, "rescale_grad": 0.5}, None),
    ("adagrad-default", "adagrad", {}, None),
    ("adagrad-all", "adagrad", {"learning_rate": 0.1, "wd": 0.01, "clip_gradient": 0.7,
                                "rescale_grad": 0.5}, None),
    ("adagrad-eps", "adagrad", {"learning_rate": 0.05, "eps": 1e-3}, None),
    ("rmsprop-default", "rmsprop", {}, None),
    ("rmsprop-all", "rmsprop", {"learning_rate": 0.01, "wd": 0.01, "gamma1": 0.8,
                                "clip_gradient": 0.7, "rescale_grad": 0.5}, None),
    ("rmsprop-clipw", "rmsprop", {"learning_rate": 0.05, "clip_weights": 0.9}, None),
    ("rmsprop-centered", "rmsprop", {"learning_rate": 0.01, "wd": 0.01,
                                     "centered": True}, None),
    ("rmsprop-centered-all", "rmsprop", {"learning_rate": 0.02, "centered": True,
                                         "gamma1": 0.85, "gamma2": 0.7, "epsilon": 1e-6,
                                         "clip_gradient": 0.7, "clip_weights": 0.9,
                                         "rescale_grad": 0.5, "wd": 0.03}, None),
    ("adadelta-default", "adadelta", {}, None),
    ("adadelta-all", "adadelta", {"rho": 0.8, "epsilon": 1e-4, "wd": 0.01,
                                  "clip_gradient": 0.7, "rescale_grad": 0.5}, None),
    ("adam-default", "adam", {}, None),
    ("adam-wd", "adam", {"learning_rate": 0.01, "wd": 0.01}, None),
    ("adam-all", "adam", {"learning_rate": 0.01, "beta1": 0.8, "beta2": 0.99,
                          "epsilon": 1e-6, "clip_gradient": 0.7, "rescale_grad": 0.5,
                          "wd": 0.05}, None),
    ("adam-setlr", "adam", {"learning_rate": 0.02}, ("set_lr", 3, 0.005)),
    # many-digit values: MXNet parses hyper-parameters from text with dmlc-core's parser,
    # which is not always correctly rounded
    ("sgd-odd", "sgd", {"learning_rate": 0.0123456789, "wd": 3.7e-3, "momentum": 0.87654321,
                        "rescale_grad": 1 / 3, "clip_gradient": 0.777777}, None),
    ("nag-odd", "nag", {"learning_rate": 0.0234567, "momentum": 0.91234567, "wd": 2.3e-3,
                        "rescale_grad": 1 / 3, "clip_gradient": 1.2345678}, None),
    ("adagrad-odd", "adagrad", {"learning_rate": 0.0345678912, "eps": 3.3e-7, "wd": 4.4e-3,
                                "rescale_grad": 1 / 3, "clip_gradient": 0.9876543}, None),
    ("rmsprop-odd", "rmsprop", {"learning_rate": 1.23456789e-3, "gamma1": 0.876543,
                                "epsilon": 3.3e-7, "wd": 4.4e-3, "rescale_grad": 1 / 3,
                                "clip_weights": 0.95}, None),
    ("rmsprop-centered-odd", "rmsprop", {"learning_rate": 1.23456789e-3, "gamma1": 0.876543,
                                         "gamma2": 0.7654321, "epsilon": 3.3e-7,
                                         "wd": 4.4e-3, "rescale_grad": 1 / 3,
                                         "centered": True}, None),
    ("adadelta-odd", "adadelta", {"rho": 0.8765432, "epsilon": 3.3e-6, "wd": 4.4e-3,
                                  "rescale_grad": 1 / 3, "clip_gradient": 0.9876543}, None),
    ("adam-odd", "adam", {"learning_rate": 2.3456789e-3, "beta1": 0.87654321,
                          "beta2": 0.98765432, "epsilon": 3.3e-7, "wd": 4.4e-3,
                          "rescale_grad": 1 / 3, "clip_gradient": 0.9876543}, None),
    ("adamax-default", "adamax", {}, None),
    ("adamax-all", "adamax", {"learning_rate": 0.01, "beta1": 0.8, "beta2": 0.99,
                              "clip_gradient": 0.7, "rescale_grad": 0.5, "wd": 0.05}, None),
    ("adamax-odd", "adamax", {"learning_rate": 2.3456789e-3, "beta1": 0.87654321,
                              "beta2": 0.98765432, "wd": 4.4e-3, "rescale_grad": 1 / 3,
                              "clip_gradient": 0.9876543}, ("set_lr", 3, 0.0123)),
    ("nadam-default", "nadam", {}, None),
    ("nadam-all", "nadam", {"learning_rate": 0.01, "beta1": 0.8, "beta2": 0.99,
                            "epsilon": 1e-6, "schedule_decay": 0.01, "clip_gradient": 0.7,
                            "rescale_grad": 0.5, "wd": 0.05}, None),
    ("nadam-odd", "Nadam", {"learning_rate": 2.3456789e-3, "beta1": 0.87654321,
                            "beta2": 0.98765432, "epsilon": 3.3e-7, "wd": 4.4e-3,
                            "schedule_decay": 0.0123456, "rescale_grad": 1 / 3,
                            "clip_gradient": 0.9876543}, "no_param_dict"),
    ("signum-default", "signum", {}, None),
    ("signum-wdlh", "signum", {"learning_rate": 0.05, "momentum": 0.8, "wd": 0.01,
                               "wd_lh": 0.02}, None),
    ("signum-clip", "signum", {"learning_rate": 0.03, "momentum": 0.7, "wd": 0.05,
                               "wd_lh": 0.1, "clip_gradient": 0.3, "rescale_grad": 0.5},
     None),
    # (without momentum, MXNet refuses wd_lh: signsgd_update has no such argument)
    ("signum-nomom", "signum", {"learning_rate": 0.05, "momentum": 0.0, "wd": 0.02,
                                "clip_gradient": 0.3, "rescale_grad": 0.5}, None),
    ("signum-odd", "signum", {"learning_rate": 0.0123456789, "momentum": 0.87654321,
                              "wd": 3.7e-3, "wd_lh": 1.23456e-2, "rescale_grad": 1 / 3,
                              "clip_gradient": 0.777777}, "no_param_dict"),
    ("ftrl-default", "ftrl", {}, None),
    ("ftrl-all", "ftrl", {"learning_rate": 0.2, "lamda1": 0.05, "beta": 0.5, "wd": 0.01,
                          "clip_gradient": 0.7, "rescale_grad": 0.5}, None),
    ("ftrl-odd", "ftrl", {"learning_rate": 0.0345678912, "lamda1": 3.3e-3, "beta": 1.2345678,
                          "wd": 4.4e-3, "rescale_grad": 1 / 3, "clip_gradient": 0.9876543},
     ("set_lr", 2, 0.0765)),
    ("ftml-default", "ftml", {}, None),
    ("ftml-all", "ftml", {"learning_rate": 0.05, "beta1": 0.5, "beta2": 0.99, "epsilon": 1e-6,
                          "wd": 0.01, "clip_gradient": 0.7, "rescale_grad": 0.5}, None),
    ("ftml-odd", "ftml", {"learning_rate": 0.0234567, "beta1": 0.6543219, "beta2": 0.98765432,
                          "epsilon": 3.3e-7, "wd": 4.4e-3, "rescale_grad": 1 / 3}, None),
    ("dcasgd-default", "dcasgd", {}, None),
    # (MXNet's DCASGD fails with momentum > 0: its update tests an NDArray's truth value)
    ("dcasgd-all", "dcasgd", {"learning_rate": 0.1, "lamda": 0.1, "wd": 0.01,
                              "clip_gradient": 0.7, "rescale_grad": 0.5}, None),
    ("dcasgd-odd", "dcasgd", {"learning_rate": 0.0123456789, "lamda": 0.0456789, "wd": 3.7e-3,
                              "rescale_grad": 1 / 3, "clip_gradient": 0.777777}, None),
    # ccSGD: MXNet 1.9.1's deprecated alias class of SGD
    ("ccsgd-mom", "ccsgd", {"learning_rate": 0.1, "momentum": 0.9, "wd": 0.01,
                            "clip_gradient": 0.7, "rescale_grad": 0.5}, None),
    # GroupAdaGrad takes 2-d weights only and refuses wd: parameter 0 alone
    ("groupadagrad-default", "groupadagrad", {}, "2d_only"),
    ("groupadagrad-all", "groupadagrad", {"learning_rate": 0.1, "eps": 1e-3,
                                          "clip_gradient": 0.7, "rescale_grad": 0.5}, "2d_only"),
    ("groupadagrad-odd", "groupadagrad", {"learning_rate": 0.0345678912, "eps": 3.3e-7,
                                          "rescale_grad": 1 / 3, "clip_gradient": 0.9876543},
     "2d_only"),
    ("lars-default", "lars", {}, None),
    ("lars-mom", "lars", {"learning_rate": 0.5, "momentum": 0.9, "wd": 0.01, "eta": 0.01},
     None),
    ("lars-clip", "lars", {"learning_rate": 0.3, "momentum": 0.8, "wd": 0.1, "eta": 0.02,
                           "eps": 1e-3, "clip_gradient": 0.7, "rescale_grad": 0.5}, None),
    ("lars-nomom", "lars", {"learning_rate": 0.4, "wd": 0.05, "eta": 0.05,
                            "clip_gradient": 0.4, "rescale_grad": 0.25}, "no_param_dict"),
    # momentum_correction scales the momentum by the ratio of the last two learning rates
    ("lars-setlr", "lars", {"learning_rate": 0.2, "momentum": 0.9, "eta": 0.03},
     ("set_lr", 2, 0.6)),
    ("lars-nocorr", "lars", {"learning_rate": 0.2, "momentum": 0.9, "eta": 0.03,
                             "momentum_correction": False}, ("set_lr", 2, 0.6)),
    ("lars-odd", "lars", {"learning_rate": 0.0123456789, "momentum": 0.87654321, "wd": 3.7e-3,
                          "eta": 0.0234567, "eps": 3.3e-7, "rescale_grad": 1 / 3,
                          "clip_gradient": 0.777777}, None),
    ("lbsgd-default", "lbsgd", {}, None),
    ("lbsgd-linear", "lbsgd", {"learning_rate": 0.1, "momentum": 0.9, "wd": 0.01,
                               "warmup_epochs": 2, "updates_per_epoch": 3, "batch_scale": 4},
     None),
    ("lbsgd-power2", "lbsgd", {"learning_rate": 0.1, "momentum": 0.5, "wd": 0.02,
                               "warmup_strategy": "power2", "warmup_epochs": 2,
                               "updates_per_epoch": 4, "clip_gradient": 0.7,
                               "rescale_grad": 0.5}, None),
    ("lbsgd-sqrt", "lbsgd", {"learning_rate": 0.05, "wd": 0.01, "warmup_strategy": "sqrt",
                             "warmup_epochs": 3, "updates_per_epoch": 2, "batch_scale": 1},
     None),
    ("lbsgd-lars", "lbsgd", {"learning_rate": 0.1, "momentum": 0.9, "wd": 0.01,
                             "warmup_strategy": "lars", "rescale_grad": 0.5}, None),
    # batch_scale > 1: gradients are summed and applied every batch_scale-th call
    ("lbsgd-accumulate", "lbsgd", {"learning_rate": 0.1, "momentum": 0.9, "wd": 0.01,
                                   "batch_scale": 2, "warmup_epochs": 1,
                                   "updates_per_epoch": 6}, None),
    ("lbsgd-begin", "lbsgd", {"learning_rate": 0.1, "momentum": 0.8, "batch_scale": 3,
                              "begin_epoch": 1, "warmup_epochs": 3, "updates_per_epoch": 2,
                              "warmup_strategy": "power2", "clip_gradient": 0.5}, None),
    ("lbsgd-odd", "lbsgd", {"learning_rate": 0.0123456789, "momentum": 0.87654321,
                            "wd": 3.7e-3, "rescale_grad": 1 / 3, "clip_gradient": 0.777777,
                            "warmup_strategy": "lars"}, ("set_lr", 3, 0.0345)),
]


class Mults:
    """Stands in for a gluon Parameter: the optimizer reads only these two attributes."""

    def __init__(self, lr_mult: float, wd_mult: float) -> None:
        self.lr_mult = lr_mult
        self.wd_mult = wd_mult


def write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """An .npz with fixed timestamps, so reruns give identical bytes."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        for key, arr in arrays.items():
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.asarray(arr), allow_pickle=False)
            zf.writestr(zipfile.ZipInfo(key + ".npy", date_time=(1980, 1, 1, 0, 0, 0)),
                        buf.getvalue())


def run(name, kwargs, extra, w0, grads, dtype):
    kw = dict(kwargs)
    if extra != "no_param_dict":
        kw["param_dict"] = {i: Mults(*m) for i, m in enumerate(MULTS)}
    opt = mx.optimizer.create(name, **kw)
    if extra == "2d_only":
        w0 = w0[:1]
    weights = [mx.nd.array(w, dtype=dtype) for w in w0]
    states = []
    for i, w in enumerate(weights):
        st = opt.create_state(i, w)
        if isinstance(st, tuple):
            st = tuple(None if s is None else s.astype(w.dtype) for s in st)
        elif st is not None:
            st = st.astype(w.dtype)
        states.append(st)
    traj = [[] for _ in weights]
    for step in range(STEPS):
        if isinstance(extra, tuple) and extra[0] == "set_lr" and extra[1] == step:
            opt.set_learning_rate(extra[2])
        for i, w in enumerate(weights):
            opt.update(i, w, mx.nd.array(grads[i][step], dtype=dtype), states[i])
            traj[i].append(w.asnumpy().copy())
    for w in weights:
        assert w.dtype == np.dtype(dtype), (name, w.dtype)
    return [np.stack(t) for t in traj]


def main() -> None:
    rng = np.random.default_rng(20240601)
    w0 = [rng.uniform(-1, 1, s) for s in SHAPES]
    grads = [rng.normal(0, 1.5, (STEPS,) + s) for s in SHAPES]
    arrays: dict[str, np.ndarray] = {}
    spec = {"steps": STEPS, "mults": MULTS,
            "cases": [{"id": c, "name": n, "kwargs": kw,
                       "extra": list(e) if isinstance(e, tuple) else e}
                      for c, n, kw, e in CASES]}
    arrays["spec"] = np.array(json.dumps(spec))
    for p in range(len(SHAPES)):
        arrays[f"w0/{p}"] = w0[p]
        arrays[f"g/{p}"] = grads[p]
    for case, name, kwargs, extra in CASES:
        for dtype in ("float64", "float32"):
            ws = [w.astype(dtype) for w in w0]
            gs = [g.astype(dtype) for g in grads]
            try:
                traj = run(name, kwargs, extra, ws, gs, dtype)
            except mx.base.MXNetError as e:  # MXNet refuses this dtype: no golden values
                print(f"{case} {dtype}: {str(e).splitlines()[0][:100]}")
                continue
            for p, t in enumerate(traj):
                arrays[f"{case}/{dtype}/{p}"] = t
    # how MXNet's C++ side reads a Python number: as a float field of an update operator
    # (sgd_update's lr, read back through w = 0 - lr * -1 in float64) and as the double
    # scalar of an NDArray-scalar operation (1.0 * x in float64)
    values = np.concatenate([[0.1, 1e-8, 1 / 3, 8.624942345226406e-05, 123.456, 5.0],
                             10 ** rng.uniform(-9, 2, 400)])
    as_float, as_double = [], []
    for v in values:
        w = mx.nd.zeros((1,), dtype="float64")
        mx.nd.sgd_update(w, mx.nd.array([-1.0], dtype="float64"), lr=float(v), out=w)
        as_float.append(w.asscalar())
        as_double.append((mx.nd.ones((1,), dtype="float64") * float(v)).asscalar())
    arrays["parse/values"] = values
    arrays["parse/float"] = np.array(as_float)
    arrays["parse/double"] = np.array(as_double)
    write_npz(OUT, arrays)
    print(f"wrote {OUT} ({len(CASES)} cases)")


if __name__ == "__main__":
    main()
