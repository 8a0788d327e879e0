"""Regenerate tests/golden/sequence.npz (SequenceMask, SequenceLast, SequenceReverse,
add_n / ElementWiseSum) from real MXNet (the oracle).

Run from the repository root with the MXNet venv:

    ~/mxnet-oracle/bin/python tests/golden/make_sequence_golden.py

Made with Apache MXNet 1.9.1 (CPU pip wheel), numpy 1.23.5, Python 3.11, Linux x86_64.

:func:`run` takes the framework module ``mx`` (``mxnet`` here, ``minigluon`` in
tests/ops/test_sequence_ops.py, which imports this file without importing mxnet) and returns a
dict of NumPy arrays: per case and dtype, the output and the gradient of
``sum(out * ograd)`` with respect to each array input. Lengths are kept inside the range
where MXNet's result is defined (SequenceLast: 1..T, SequenceReverse: 0..T).
"""

import os
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "sequence.npz")
DTYPES = ("float64", "float32")

# case -> (nd function, kwargs, data shape, sequence_length or None)
CASES = {
    "mask_t": ("SequenceMask", {"use_sequence_length": True}, (4, 3, 2), [1, 0, 4]),
    "mask_value": ("SequenceMask", {"use_sequence_length": True, "value": -2.5},
                   (5, 3), [2, 5, 3]),
    "mask_axis1": ("SequenceMask", {"use_sequence_length": True, "axis": 1, "value": 1.0},
                   (3, 4, 2), [3, 1, 2]),
    "mask_fraction": ("SequenceMask", {"use_sequence_length": True}, (4, 3), [1.7, 9, 2.2]),
    "mask_nolength": ("SequenceMask", {}, (4, 3, 2), None),
    "last_t": ("SequenceLast", {"use_sequence_length": True}, (4, 3, 2), [1, 4, 2]),
    "last_axis1": ("SequenceLast", {"use_sequence_length": True, "axis": 1}, (3, 4, 2),
                   [2, 4, 1]),
    "last_fraction": ("SequenceLast", {"use_sequence_length": True}, (4, 3), [1.7, 4, 3.9]),
    "last_nolength": ("SequenceLast", {}, (4, 3, 2), None),
    "last_nolength_axis1": ("SequenceLast", {"axis": 1}, (3, 4), None),
    "reverse_t": ("SequenceReverse", {"use_sequence_length": True}, (4, 3, 2), [0, 2, 4]),
    "reverse_nolength": ("SequenceReverse", {}, (5, 2, 3), None),
    "reverse_2d": ("SequenceReverse", {"use_sequence_length": True}, (5, 2), [3, 1]),
    "add_n_3": ("add_n", {}, (2, 3), 3),
    "add_n_1": ("add_n", {}, (4,), 1),
    "elementwisesum_2": ("ElementWiseSum", {}, (3, 2, 2), 2),
}

# MXNet 1.9.1's backward of SequenceLast without sequence_length corrupts memory (zero
# gradient, then "double free or corruption"): only the forward is recorded for these
FORWARD_ONLY = {"last_nolength", "last_nolength_axis1"}

# calls MXNet refuses: case -> (function, kwargs, data shape, lengths)
ERRORS = {
    "mask_axis2": ("SequenceMask", {"use_sequence_length": True, "axis": 2}, (4, 3, 2),
                   [1, 2, 3]),
    "reverse_axis1": ("SequenceReverse", {"use_sequence_length": True, "axis": 1},
                      (4, 3, 2), [1, 2, 3, 4]),
    "last_rank1": ("SequenceLast", {}, (4,), None),
    "mask_wrong_batch": ("SequenceMask", {"use_sequence_length": True}, (4, 3), [1, 2]),
}


def pattern(shape, k=0.0):
    """Deterministic, irregular float64 values, none exactly 0."""
    i = np.arange(int(np.prod(shape)), dtype=np.float64)
    return (2 * np.cos(1.37 * i + k) + 0.6 * np.sin(7.1 * i + 2 * k) + 0.013).reshape(shape)


def run(mx, case, dtype):
    """Output and input gradients of one case."""
    fname, kwargs, shape, lens = CASES[case]
    nd = mx.nd
    fn = getattr(nd, fname)
    if fname in ("add_n", "ElementWiseSum"):
        xs = [nd.array(pattern(shape, 0.3 * j), dtype=dtype) for j in range(lens)]
        args, kw = xs, {}
    else:
        xs = [nd.array(pattern(shape), dtype=dtype)]
        args = list(xs)
        kw = dict(kwargs)
        if lens is not None:
            kw["sequence_length"] = nd.array(lens, dtype=dtype)
    if case in FORWARD_ONLY:
        y = fn(*args, **kw)
        return {"y": y.asnumpy(), "x0": xs[0].asnumpy()}
    for x in xs:
        x.attach_grad()
    with mx.autograd.record():
        y = fn(*args, **kw)
    ograd = nd.array(pattern(y.shape, 0.4), dtype=dtype)
    y.backward(ograd)
    res = {"y": y.asnumpy()}
    for j, x in enumerate(xs):
        res[f"x{j}"] = x.asnumpy()
        res[f"dx{j}"] = x.grad.asnumpy()
    return res


def error_of(mx, case):
    """The exception class name raised by a refused call ('' if none)."""
    fname, kwargs, shape, lens = ERRORS[case]
    kw = dict(kwargs)
    if lens is not None:
        kw["sequence_length"] = mx.nd.array(lens)
    try:
        getattr(mx.nd, fname)(mx.nd.array(pattern(shape)), **kw).wait_to_read()
    except Exception as e:  # noqa: BLE001 - we record which class MXNet raises
        return type(e).__name__
    return ""


def main():
    import mxnet as mx

    arrays = {}
    for case in CASES:
        for dtype in DTYPES:
            for key, value in run(mx, case, dtype).items():
                arrays[f"{case}/{dtype}/{key}"] = value
    for case in ERRORS:
        arrays[f"error/{case}"] = np.array(error_of(mx, case))
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
