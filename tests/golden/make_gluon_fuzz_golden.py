"""Regenerate tests/golden/gluon_fuzz.npz from real MXNet (the oracle): the differences
the Gluon-level fuzzer (fuzz_gluon_against_mxnet.py) found, pinned.

Run from the repository root with the MXNet venv:

    ~/mxnet-oracle/bin/python tests/golden/make_gluon_fuzz_golden.py

Made with Apache MXNet 1.9.1 (CPU pip wheel), numpy 1.23.5, Python 3.11, Linux x86_64.

Each ``case_<name>(mx)`` takes the framework module (``mxnet`` here, ``minigluon`` in
tests/gluon/test_gluon_fuzz_golden.py, which imports this file without importing mxnet)
and returns a dict of NumPy arrays. Inputs and parameter values come from
``np.random.RandomState``. Keys are ``"<case>/<result>"``; the file is written atomically.
"""

import os
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "gluon_fuzz.npz")


def _set_params(mx, net, seed, dtype="float32"):
    r = np.random.RandomState(seed)
    for _, p in sorted(net.collect_params().items()):
        p.set_data(mx.nd.array(r.uniform(-1, 1, size=p.shape), dtype=dtype))


def case_duplicate_heads(mx):
    """A head listed twice in ``autograd.backward``: the last head gradient wins."""
    nd, ag = mx.nd, mx.autograd
    x = nd.array([1.0, 2.0], dtype="float64")
    x.attach_grad()
    res = {}
    with ag.record():
        y = x * 2
        z = y * 3
    ag.backward([y, z, y], [nd.array([1.0, 1.0], dtype="float64"),
                            nd.array([10.0, 10.0], dtype="float64"),
                            nd.array([100.0, 100.0], dtype="float64")])
    res["backward"] = x.grad.asnumpy()
    with ag.record():
        y = x * 2
    ag.backward([x, y, x], [nd.array([1.0, 1.0], dtype="float64"),
                            nd.array([10.0, 10.0], dtype="float64"),
                            nd.array([100.0, 100.0], dtype="float64")])
    res["leaf_head"] = x.grad.asnumpy()
    with ag.record():
        y = x * 2
    res["grad"] = ag.grad([y, y], [x], [nd.array([1.0, 1.0], dtype="float64"),
                                       nd.array([10.0, 10.0], dtype="float64")])[0].asnumpy()
    return res


def case_sequential_cell_unroll(mx):
    """SequentialRNNCell.unroll returns its last output and last state as one array:
    the fuzzer's first find, through the duplicate-head rule."""
    rnn = mx.gluon.rnn
    cell = rnn.SequentialRNNCell(prefix="s_")
    with cell.name_scope():
        cell.add(rnn.RNNCell(2, input_size=3, prefix="a_"))
        cell.add(rnn.RNNCell(2, prefix="b_"))
    cell.initialize()
    x = mx.nd.array(np.random.RandomState(1).uniform(-1, 1, size=(2, 1, 3)))
    cell.unroll(1, x, layout="NTC")
    _set_params(mx, cell, 2)
    x.attach_grad()
    with mx.autograd.record():
        out, states = cell.unroll(1, x, layout="NTC")
    outs = out if isinstance(out, list) else [out]
    heads = outs + list(states)
    hr = np.random.RandomState(3)
    mx.autograd.backward(heads, [mx.nd.array(hr.uniform(0.5, 1.5, size=h.shape))
                                 for h in heads])
    res = {"out": np.stack([o.asnumpy() for o in outs]), "nout": np.array(len(outs)),
           "dx": x.grad.asnumpy()}
    for k, p in sorted(cell.collect_params().items()):
        res["grad_" + k] = p.grad().asnumpy()
    return res


def case_lstm_float32_batch(mx):
    """float32 LSTM with hidden size 1 and several batch elements (NumPy 2.4's in-place
    ``negative`` on strided float32 views broke the gate sigmoid)."""
    res = {}
    for layout in ("TNC", "NTC"):
        for mode in ("LSTM", "GRU"):
            net = getattr(mx.gluon.rnn, mode)(1, num_layers=2, layout=layout, prefix="f_")
            net.initialize()
            r = np.random.RandomState(4)
            x = mx.nd.array(r.randn(3, 2, 1))
            st = [mx.nd.array(r.randn(2, 3 if layout == "NTC" else 2, 1))
                  for _ in range(2 if mode == "LSTM" else 1)]
            net(x, st)
            _set_params(mx, net, 5)
            x.attach_grad()
            with mx.autograd.record():
                out, new = net(x, st)
            out.backward(mx.nd.array(r.uniform(0.5, 1.5, size=out.shape)))
            res[f"{mode}_{layout}_out"] = out.asnumpy()
            res[f"{mode}_{layout}_state"] = new[0].asnumpy()
            res[f"{mode}_{layout}_dx"] = x.grad.asnumpy()
    return res


def case_triplet_loss(mx):
    """TripletLoss, with and without weight, on 2-D and 3-D inputs."""
    r = np.random.RandomState(6)
    res = {}
    for i, (shape, kw) in enumerate([((3, 4), {}), ((2, 3, 2), {"margin": 0.3}),
                                      ((4, 2), {"weight": 2.0, "margin": 2.0})]):
        xs = [mx.nd.array(r.randn(*shape), dtype="float64") for _ in range(3)]
        for x in xs:
            x.attach_grad()
        loss = mx.gluon.loss.TripletLoss(**kw)
        with mx.autograd.record():
            out = loss(*xs)
        out.backward()
        res[f"{i}_out"] = out.asnumpy()
        for j, x in enumerate(xs):
            res[f"{i}_grad{j}"] = x.grad.asnumpy()
    return res


def case_sdml_loss(mx):
    """SDMLLoss (float32: MXNet's smoothed labels are float32 whatever the input)."""
    r = np.random.RandomState(7)
    res = {}
    for i, (n, kw) in enumerate([(3, {}), (4, {"smoothing_parameter": 0.1}),
                                 (2, {"weight": 5.0})]):
        xs = [mx.nd.array(r.randn(n, 3)) for _ in range(2)]
        for x in xs:
            x.attach_grad()
        loss = mx.gluon.loss.SDMLLoss(**kw)
        with mx.autograd.record():
            out = loss(*xs)
        out.backward()
        res[f"{i}_out"] = out.asnumpy()
        for j, x in enumerate(xs):
            res[f"{i}_grad{j}"] = x.grad.asnumpy()
    return res


CASES = {name[5:]: fn for name, fn in sorted(globals().items())
         if name.startswith("case_") and callable(fn)}


def main():
    import mxnet as mx

    arrays = {}
    for name, fn in CASES.items():
        for key, value in fn(mx).items():
            arrays[f"{name}/{key}"] = value
    fd, tmp = tempfile.mkstemp(dir=HERE, suffix=".npz")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **dict(sorted(arrays.items())))
        os.replace(tmp, OUT)
    except BaseException:
        os.unlink(tmp)
        raise
    print(f"wrote {OUT}: {len(arrays)} arrays", file=sys.stderr)


if __name__ == "__main__":
    main()
