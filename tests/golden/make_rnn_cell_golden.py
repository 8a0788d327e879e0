"""Regenerate tests/golden/rnn_cell.npz and tests/golden/files/rnn_cell/*.params (the
gluon.rnn cells' unroll: outputs, states and gradients) from real MXNet (the oracle).

Two steps, from the repository root:

    .venv/bin/python tests/golden/make_rnn_cell_golden.py --minigluon
    ~/mxnet-oracle/bin/python tests/golden/make_rnn_cell_golden.py

The first writes ``files/rnn_cell/from_minigluon/<case>.params`` with minigluon (values
from :func:`pattern`, saved by ``save_parameters``). The second, with MXNet 1.9.1 (CPU pip
wheel, numpy 1.23.5, Python 3.11), sets the same values on MXNet's cells, saves
``files/rnn_cell/<case>.params``, records the results of :func:`run`, then loads each
minigluon-written file into a fresh MXNet cell and records its outputs (``frommg/...``).

:func:`run` takes the framework module ``mx`` (``mxnet`` or ``minigluon``): per case, the
unrolled outputs and final states, and the gradients of ``sum(out * og) + sum(state *
og_s)`` with respect to the inputs, the begin states and every parameter.
"""

import os
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "rnn_cell.npz")
FILES = os.path.join(HERE, "files", "rnn_cell")
DTYPES = ("float64", "float32")
T, N, C = 3, 2, 3


def _cell(mx, kind, h):
    rnn = mx.gluon.rnn
    if kind == "rnn_tanh":
        return rnn.RNNCell(h, prefix="c_")
    if kind == "rnn_relu":
        return rnn.RNNCell(h, activation="relu", prefix="c_")
    if kind == "lstm":
        return rnn.LSTMCell(h, prefix="c_")
    if kind == "gru":
        return rnn.GRUCell(h, prefix="c_")
    if kind == "seq":
        s = rnn.SequentialRNNCell(prefix="c_")
        with s.name_scope():
            s.add(rnn.LSTMCell(h, prefix="l0_"))
            s.add(rnn.GRUCell(h, prefix="l1_"))
        return s
    if kind == "hseq":
        s = rnn.HybridSequentialRNNCell(prefix="c_")
        with s.name_scope():
            s.add(rnn.RNNCell(C, prefix="l0_"))
            s.add(rnn.DropoutCell(0.0))
            s.add(rnn.LSTMCell(C, prefix="l1_"))
        return s
    if kind == "residual":
        return rnn.ResidualCell(rnn.GRUCell(C, prefix="c_"))
    if kind == "bidir":
        return rnn.BidirectionalCell(rnn.LSTMCell(h, prefix="l_"), rnn.GRUCell(h, prefix="r_"))
    if kind == "zoneout":
        return rnn.ZoneoutCell(rnn.GRUCell(h, prefix="c_"), 0.5, 0.5)
    raise ValueError(kind)


# case -> (cell kind, hidden, layout, merge_outputs, valid_length, begin states given)
CASES = {
    "rnn_tanh": ("rnn_tanh", 4, "NTC", True, None, True),
    "rnn_relu_list": ("rnn_relu", 4, "TNC", False, None, True),
    "lstm": ("lstm", 4, "NTC", True, None, True),
    "lstm_valid": ("lstm", 4, "TNC", True, [2, 3], True),
    "gru": ("gru", 4, "TNC", True, None, True),
    "gru_default_state": ("gru", 3, "NTC", None, None, False),
    "seq": ("seq", 4, "NTC", True, None, True),
    "seq_valid": ("seq", 3, "NTC", True, [3, 1], False),
    "hseq": ("hseq", 0, "TNC", True, None, True),
    "residual": ("residual", 0, "NTC", True, None, True),
    "residual_list_valid": ("residual", 0, "TNC", False, [2, 1], True),
    "bidir": ("bidir", 3, "NTC", True, None, True),
    "bidir_valid": ("bidir", 3, "TNC", True, [1, 3], False),
    "zoneout_predict": ("zoneout", 4, "NTC", True, None, True),
}


def dtypes(case):
    """Default (zero) begin states are float32 in MXNet: such cases run in float32 only."""
    return DTYPES if CASES[case][5] else ("float32",)


def pattern(shape, k=0.0):
    """Deterministic, irregular float64 values of moderate size."""
    i = np.arange(int(np.prod(shape)), dtype=np.float64)
    return (0.8 * np.cos(1.37 * i + k) + 0.3 * np.sin(7.1 * i + 2 * k) + 0.013).reshape(shape)


def zeros(mx, cell, dtype):
    # MXNet's modifier cells make Symbols unless func is given
    return cell.begin_state(batch_size=N, func=mx.nd.zeros, dtype=dtype)


def build(mx, case, dtype, k=0.0):
    """The case's cell with parameter values from :func:`pattern` (shifted by ``k``)."""
    kind, h, layout, _, _, _ = CASES[case]
    cell = _cell(mx, kind, h)
    cell.initialize()
    cell.cast(dtype)
    x = mx.nd.array(pattern((N, T, C) if layout == "NTC" else (T, N, C)), dtype=dtype)
    with mx.autograd.predict_mode():
        # finishes deferred initialization
        cell.unroll(T, x, layout=layout, begin_state=zeros(mx, cell, dtype))
    for j, (_, p) in enumerate(sorted(cell.collect_params().items())):
        p.set_data(mx.nd.array(0.5 * pattern(p.shape, 0.7 * j + k), dtype=dtype))
    return cell


def forward(mx, cell, case, dtype, grads=True):
    kind, h, layout, merge, valid, given = CASES[case]
    nd = mx.nd
    x = nd.array(pattern((N, T, C) if layout == "NTC" else (T, N, C)), dtype=dtype)
    begin = None
    if given:
        begin = [nd.array(pattern(info["shape"], 0.5 + i), dtype=dtype)
                 for i, info in enumerate(cell.state_info(N))]
    vl = nd.array(valid, dtype=dtype) if valid is not None else None
    arrays = [x] + (begin or [])
    if grads:
        for a in arrays:
            a.attach_grad()
    with mx.autograd.record(train_mode=False):
        out, states = cell.unroll(T, x, begin_state=begin, layout=layout,
                                  merge_outputs=merge, valid_length=vl)
        outs = out if isinstance(out, list) else [out]
        head = None
        for i, o in enumerate(list(outs) + list(states)):
            term = (o * nd.array(pattern(o.shape, 0.4 + 0.1 * i), dtype=dtype)).sum()
            head = term if head is None else head + term
    res = {f"out{i}": o.asnumpy() for i, o in enumerate(outs)}
    res.update({f"state{i}": s.asnumpy() for i, s in enumerate(states)})
    if grads:
        head.backward()
        res["dx"] = x.grad.asnumpy()
        for i, b in enumerate(begin or []):
            res[f"dbegin{i}"] = b.grad.asnumpy()
        for name, p in cell.collect_params().items():
            res["grad_" + name] = p.grad().asnumpy()
    return res


def run(mx, case, dtype):
    cell = build(mx, case, dtype)
    res = forward(mx, cell, case, dtype)
    res["names"] = np.array(sorted(cell.collect_params().keys()))
    res["state_shapes"] = np.array([info["shape"] for info in cell.state_info(N)])
    return res


def fresh(mx, case, dtype):
    """The case's cell, initialized and shaped but with default values."""
    kind, h, layout, _, _, _ = CASES[case]
    cell = _cell(mx, kind, h)
    cell.initialize()
    cell.cast(dtype)
    x = mx.nd.array(pattern((N, T, C) if layout == "NTC" else (T, N, C)), dtype=dtype)
    with mx.autograd.predict_mode():
        cell.unroll(T, x, layout=layout, begin_state=zeros(mx, cell, dtype))
    return cell


def write_from_minigluon():
    sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))
    import minigluon as mx

    os.makedirs(os.path.join(FILES, "from_minigluon"), exist_ok=True)
    for case in CASES:
        mx.gluon.reset_name_counters()
        cell = build(mx, case, "float32", k=1.3)
        cell.save_parameters(os.path.join(FILES, "from_minigluon", f"{case}.params"))
    print(f"wrote {len(CASES)} files under {FILES}/from_minigluon", file=sys.stderr)


def main():
    import mxnet as mx

    os.makedirs(FILES, exist_ok=True)
    arrays = {}
    for case in CASES:
        for dtype in dtypes(case):
            for key, value in run(mx, case, dtype).items():
                arrays[f"{case}/{dtype}/{key}"] = value
        cell = build(mx, case, "float32")
        cell.save_parameters(os.path.join(FILES, f"{case}.params"))
        mine = os.path.join(FILES, "from_minigluon", f"{case}.params")
        if os.path.exists(mine):
            cell = fresh(mx, case, "float32")
            cell.load_parameters(mine)
            for key, value in forward(mx, cell, case, "float32", grads=False).items():
                arrays[f"frommg/{case}/{key}"] = value
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
    if sys.argv[1:] == ["--minigluon"]:
        write_from_minigluon()
    else:
        main()
