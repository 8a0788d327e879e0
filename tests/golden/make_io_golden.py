"""Batches MXNet 1.9.1's ``mx.io.NDArrayIter`` gives, for tests/gluon/test_ndarray_iter.py.

Run with the MXNet oracle from the repository root:
``~/mxnet-oracle/bin/python tests/golden/make_io_golden.py``; the same ``cases(mx)`` runs
under minigluon in the tests.
"""

import os
import sys

import numpy as np


def _epochs(it, n):
    """Every batch of ``n`` epochs (``reset()`` between them) as flat arrays."""
    out = {}
    for e in range(n):
        if e:
            it.reset()
        for b, batch in enumerate(it):
            for i, d in enumerate(batch.data):
                out[f"e{e}b{b}_data{i}"] = d.asnumpy()
            for i, lab in enumerate(batch.label or []):
                out[f"e{e}b{b}_label{i}"] = lab.asnumpy()
            out[f"e{e}b{b}_pad"] = np.array(batch.pad)
        out[f"e{e}_batches"] = np.array(b + 1 if it.num_data else 0)
    for kind in ("provide_data", "provide_label"):
        descs = getattr(it, kind)
        out[kind] = np.array([f"{d.name}|{tuple(d.shape)}|{np.dtype(d.dtype).name}|{d.layout}"
                              for d in descs])
    return out


def cases(mx):
    """name -> {key: array}: the batches of several iterator configurations."""
    io = mx.io
    r = np.random.RandomState(0)
    x = r.uniform(-1, 1, (10, 3)).astype("float32")
    y = np.arange(10, dtype="float32")
    made = {
        "pad": (io.NDArrayIter(x, y, batch_size=3), 2),
        "discard": (io.NDArrayIter(x, y, batch_size=4, last_batch_handle="discard"), 2),
        "roll_over": (io.NDArrayIter(x, y, batch_size=4, last_batch_handle="roll_over"), 3),
        "no_label": (io.NDArrayIter(mx.nd.array(x), batch_size=5), 1),
        "pad_larger_than_data": (io.NDArrayIter(x[:3], y[:3], batch_size=7), 1),
        "several": (io.NDArrayIter([x, x * 2], {"b": y, "a": -y}, batch_size=4,
                                   data_name="img", label_name="lbl"), 1),
        "dict_names": (io.NDArrayIter({"x2": x, "x1": x + 1}, y, batch_size=5), 1),
        "ints": (io.NDArrayIter(np.arange(12).reshape(6, 2), batch_size=4), 1),
        "layout_tnc": (io.NDArrayIter(r.uniform(size=(2, 5, 3)).astype("float32"),
                                      batch_size=2, layout="TNC"), 1),
    }
    out = {name: _epochs(it, n) for name, (it, n) in made.items()}
    np.random.seed(7)  # NDArrayIter shuffles with NumPy's global generator
    out["shuffle"] = _epochs(io.NDArrayIter(x, y, batch_size=4, shuffle=True), 3)
    np.random.seed(7)
    out["shuffle_roll_over"] = _epochs(io.NDArrayIter(x, y, batch_size=3, shuffle=True,
                                                      last_batch_handle="roll_over"), 3)
    return out


if __name__ == "__main__":
    import mxnet as mx

    flat = {f"{name}/{k}": v for name, arrays in cases(mx).items() for k, v in arrays.items()}
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "io.npz")
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        np.savez(f, **flat)
    os.replace(tmp, path)
    print("wrote", path, "with", len(flat), "arrays", file=sys.stderr)
