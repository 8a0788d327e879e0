"""What MXNet 1.9.1's ``mx.metric`` reports, for tests/gluon/test_metric.py.

Run with the MXNet oracle from the repository root:
``~/mxnet-oracle/bin/python tests/golden/make_metric_golden.py``; the same functions run
under minigluon in the tests (``scenarios(mx)``, ``errors(mx)``).

Each scenario feeds one metric a few batches and records, as float64 arrays: ``get()``
and ``get_global()`` after every update, after ``reset_local()`` and one more update, and
after ``reset()``. Each error case records ``"<ExceptionType>: <message>"``.
"""

import os
import sys

import numpy as np


def _softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _batches(seed, kind, n_batches=3):
    """(labels, preds) NumPy pairs of one kind, from RandomState(seed)."""
    rs = np.random.RandomState(seed)
    out = []
    for _ in range(n_batches):
        if kind == "class":  # 4-class scores, int labels
            out.append((rs.randint(0, 4, size=8).astype("float32"),
                        rs.randn(8, 4).astype("float32")))
        elif kind == "index":  # predicted class indices shaped like the labels
            out.append((rs.randint(0, 3, size=7).astype("float32"),
                        rs.randint(0, 3, size=7).astype("float32")))
        elif kind == "binary":
            out.append((rs.randint(0, 2, size=10).astype("float32"),
                        rs.rand(10, 2).astype("float32")))
        elif kind == "prob":
            out.append((rs.randint(0, 5, size=9).astype("float32"),
                        _softmax(rs.randn(9, 5)).astype("float32")))
        elif kind == "regress":
            out.append((rs.randn(6, 3).astype("float32"), rs.randn(6, 3).astype("float32")))
        elif kind == "regress1d":
            out.append((rs.randn(6).astype("float32"), rs.randn(6).astype("float32")))
        elif kind == "corr":
            lab = rs.randn(20)
            out.append((lab.astype("float32"), (lab + rs.randn(20)).astype("float32")))
        elif kind == "multiclass":  # PCC: the confusion matrix grows from 2 to 6 classes
            k = 3 + 2 * len(out) // 2
            out.append((rs.randint(0, k, size=12).astype("float32"),
                        rs.randn(12, k).astype("float32")))
        elif kind == "loss":
            out.append((np.zeros(4, "float32"), rs.rand(4, 3).astype("float32")))
        else:
            raise ValueError(kind)
    return out


def _mae_tuple(label, pred):
    return float(np.abs(label - pred).sum()), label.size


def _mean_sq(label, pred):
    return ((label - pred) ** 2).mean()


#: scenario -> (metric factory, kind of batches, pass a single NDArray instead of a list)
def _specs(mx):
    M = mx.metric
    return {
        "accuracy": (lambda: M.Accuracy(), "class", False),
        "accuracy_single": (lambda: M.create("acc"), "class", True),
        "accuracy_index": (lambda: M.Accuracy(), "index", False),
        "top_k_3": (lambda: M.TopKAccuracy(top_k=3), "class", False),
        "top_k_by_name": (lambda: M.create("top_k_accuracy", top_k=2), "class", False),
        "f1_macro": (lambda: M.F1(), "binary", False),
        "f1_micro": (lambda: M.F1(average="micro"), "binary", False),
        "mcc_macro": (lambda: M.MCC(), "binary", False),
        "mcc_micro": (lambda: M.create("mcc", average="micro"), "binary", False),
        "perplexity": (lambda: M.Perplexity(ignore_label=None), "prob", False),
        "perplexity_ignore": (lambda: M.Perplexity(ignore_label=2), "prob", False),
        "mae": (lambda: M.MAE(), "regress", False),
        "mse": (lambda: M.create("mse"), "regress", False),
        "rmse": (lambda: M.RMSE(), "regress", False),
        "mae_1d": (lambda: M.MAE(), "regress1d", True),
        "rmse_1d": (lambda: M.RMSE(), "regress1d", False),
        "ce": (lambda: M.create("ce"), "prob", False),
        "ce_eps": (lambda: M.CrossEntropy(eps=1e-3), "prob", False),
        "nll": (lambda: M.create("nll_loss"), "prob", False),
        "pearsonr": (lambda: M.create("pearsonr"), "corr", False),
        "pearsonr_micro": (lambda: M.PearsonCorrelation(average="micro"), "corr", False),
        "pcc": (lambda: M.PCC(), "multiclass", False),
        "pcc_binary": (lambda: M.create("pcc"), "binary", False),
        "loss": (lambda: M.Loss(), "loss", False),
        "loss_single": (lambda: M.create("loss"), "loss", True),
        "custom_value": (lambda: M.create(_mean_sq), "regress", False),
        "custom_tuple": (lambda: M.CustomMetric(_mae_tuple, name="tmae"), "regress", False),
        "custom_np": (lambda: M.np(_mean_sq), "regress", False),
        "composite": (lambda: M.create(["acc", "ce"]), "prob", False),
        "composite_cls": (lambda: M.CompositeEvalMetric(
            [M.Accuracy(), M.TopKAccuracy(top_k=2), "ce"]), "prob", False),
    }


def _flat(value):
    return list(value) if isinstance(value, list) else [value]


def scenarios(mx):
    """scenario -> float64 array of every value read, and scenario + '/names'."""
    out = {}
    for key, (make, kind, single) in _specs(mx).items():
        m = make()
        seq = []
        seq += _flat(m.get()[1])  # nothing seen yet
        batches = _batches(sum(map(ord, key)), kind, 4)

        def feed(label, pred, m=m, single=single):
            lab, prd = mx.nd.array(label), mx.nd.array(pred)
            if single:
                m.update(lab, prd)
            else:
                m.update([lab], [prd])

        for label, pred in batches[:3]:
            feed(label, pred)
            seq += _flat(m.get()[1]) + _flat(m.get_global()[1])
        m.reset_local()
        seq += _flat(m.get()[1]) + _flat(m.get_global()[1])
        feed(*batches[3])
        seq += _flat(m.get()[1]) + _flat(m.get_global()[1])
        seq += [v for _, v in m.get_name_value()] + [v for _, v in m.get_global_name_value()]
        m.reset()
        seq += _flat(m.get()[1]) + _flat(m.get_global()[1])
        out[key] = np.array(seq, dtype=np.float64)
        out[key + "/names"] = np.array(_flat(m.get()[0]) + [m.name, str(m)])
    return out


def _error_cases(mx):
    M, nd = mx.metric, mx.nd
    a3, a4 = nd.array([0, 1, 1]), nd.array([0, 1, 1, 0])
    p32 = nd.array([[0.3, 0.7], [0.9, 0.1], [0.2, 0.8]])
    return {
        "acc_list_lengths": lambda: M.Accuracy().update([a3, a3], [p32]),
        "acc_flat_sizes": lambda: M.Accuracy().update([nd.zeros((2, 3))], [nd.zeros((3, 2))]),
        "mae_list_lengths": lambda: M.MAE().update([a3], [a3, a3]),
        "f1_multiclass": lambda: M.F1().update([nd.array([0, 1, 2])], [p32]),
        "mcc_multiclass": lambda: M.MCC().update([nd.array([0, 1, 2])], [p32]),
        "f1_rows": lambda: M.F1().update([a4], [p32]),
        "pearsonr_shapes": lambda: M.PearsonCorrelation().update([a3], [a4]),
        "perplexity_shapes": lambda: M.Perplexity(None).update([a4], [p32]),
        "perplexity_lengths": lambda: M.Perplexity(None).update([a3, a3], [p32]),
        "ce_rows": lambda: M.CrossEntropy().update([a4], [p32]),
        "nll_rows": lambda: M.NegativeLogLikelihood().update([a4], [p32]),
        "top_k_1": lambda: M.TopKAccuracy(top_k=1),
        "top_k_3d": lambda: M.TopKAccuracy(top_k=2).update([a3], [nd.zeros((3, 2, 2))]),
        "create_unknown": lambda: M.create("no_such_metric"),
        "create_number": lambda: M.create(5),
        "create_instance_args": lambda: M.create(M.Accuracy(), axis=0),
        "custom_config": lambda: M.create(_mean_sq).get_config(),
        "base_update": lambda: M.EvalMetric("base").update([a3], [a3]),
        "register_non_metric": lambda: M.register(dict),
    }


def errors(mx):
    """case -> '<ExceptionType>: <message>' (or 'no error')."""
    out = {}
    for key, fn in _error_cases(mx).items():
        try:
            fn()
            out[key] = "no error"
        except Exception as exc:  # noqa: BLE001 - the type is what is recorded
            out[key] = f"{type(exc).__name__}: {exc}"
    return out


def configs(mx):
    """Metric -> repr of get_config() and of the config of create(**config)."""
    M = mx.metric
    made = {"acc": M.Accuracy(axis=0, name="a0"), "top_k": M.TopKAccuracy(top_k=4),
            "ce": M.CrossEntropy(eps=1e-5), "perplexity": M.Perplexity(ignore_label=0),
            "f1": M.F1(average="micro"), "composite": M.create(["acc", "mse"]),
            "named": M.MAE(output_names=["out"], label_names=["lab"])}
    out = {}
    for key, m in made.items():
        config = m.get_config()
        again = M.create(**config)
        out[key] = repr(sorted(config.items())) + " | " + type(again).__name__ + " " + \
            again.name + " | " + repr(sorted(again.get_config().items()))
    return out


if __name__ == "__main__":
    import mxnet as mx

    out = scenarios(mx)
    out.update({"error/" + k: np.array(v) for k, v in errors(mx).items()})
    out.update({"config/" + k: np.array(v) for k, v in configs(mx).items()})
    out["registered"] = np.array(sorted(mx.registry.get_registry(mx.metric.EvalMetric)))
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "metric.npz")
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        np.savez(f, **out)
    os.replace(tmp, path)
    print(f"wrote {path} ({len(out)} arrays)", file=sys.stderr)
