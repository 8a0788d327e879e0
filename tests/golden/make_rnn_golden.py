"""Regenerate tests/golden/rnn.npz and tests/golden/files/rnn/*.params: gluon.rnn layers
(RNN, LSTM, GRU) in real MXNet, and .params files moving both ways.

Run from the repository root, first with the project's Python (it writes the files that
minigluon saves, for MXNet to load), then with the MXNet venv::

    .venv/bin/python tests/golden/make_rnn_golden.py --from-minigluon
    ~/mxnet-oracle/bin/python tests/golden/make_rnn_golden.py

Made with Apache MXNet 1.9.1 (CPU pip wheel), numpy 1.23.5, Python 3.11, Linux x86_64.

:func:`run` takes the framework module ``mx`` (``mxnet`` or ``minigluon``) and returns, for
one case, the output, the new states and the gradients of
``sum(out * og) + sum_i sum(state_i * sg_i)`` with respect to the input, the begin states
and every parameter (keyed by MXNet's parameter name without the prefix). Values are made
from sines, so they are the same under any NumPy.

Recorded in rnn.npz:
- ``<case>/...``: MXNet's results with the parameters set from the sine pattern;
  MXNet also saves that layer as ``files/rnn/<case>.params`` (minigluon loads it);
- ``from_minigluon/<case>/...``: MXNet's results after loading
  ``files/rnn/from_minigluon/<case>.params``, which minigluon saved;
- ``<case>/names``: the parameter names MXNet's ``collect_params`` lists, in order.
"""

import os
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "rnn.npz")
FILES = os.path.join(HERE, "files", "rnn")
FROM_MG = os.path.join(FILES, "from_minigluon")

# case -> (class, constructor kwargs, input shape in the layer's layout, pass states)
CASES = {
    "rnn_relu": ("RNN", {"hidden_size": 5}, (4, 3, 6), True),
    "rnn_tanh_2l_ntc": ("RNN", {"hidden_size": 4, "num_layers": 2, "activation": "tanh",
                                "layout": "NTC"}, (3, 5, 6), False),
    "lstm": ("LSTM", {"hidden_size": 4}, (5, 2, 3), True),
    "lstm_2l_bi": ("LSTM", {"hidden_size": 4, "num_layers": 2, "bidirectional": True},
                   (4, 3, 5), True),
    "gru_ntc": ("GRU", {"hidden_size": 5, "layout": "NTC", "input_size": 6}, (3, 4, 6),
                True),
    "gru_2l_bi": ("GRU", {"hidden_size": 3, "num_layers": 2, "bidirectional": True},
                  (4, 2, 5), False),
    "lstm_f64": ("LSTM", {"hidden_size": 3, "dtype": "float64"}, (3, 2, 4), True),
    # the book's input: one_hot(tokens, vocab), repeated tokens included
    "rnn_onehot": ("RNN", {"hidden_size": 6}, (5, 3, 40), True),
    "lstm_onehot_bi": ("LSTM", {"hidden_size": 4, "bidirectional": True}, (4, 3, 30), True),
}


def make_input(nd, case, dtype):
    shape = CASES[case][2]
    if case.endswith(("onehot", "onehot_bi")):
        tokens = (np.abs(pattern(shape[:2], 0.5)) * 7).astype(int) % shape[2]
        return nd.one_hot(nd.array(tokens), shape[2], dtype=dtype)
    return nd.array(pattern(shape, 0.5), dtype=dtype)


def pattern(shape, k=0.0):
    """Deterministic, irregular float64 values, none exactly 0."""
    i = np.arange(int(np.prod(shape)), dtype=np.float64)
    return (np.cos(1.37 * i + k) + 0.3 * np.sin(7.1 * i + 2 * k) + 0.013).reshape(shape)


def make(mx, case):
    cls, kwargs, _, _ = CASES[case]
    return getattr(mx.gluon.rnn, cls)(prefix="t_", **kwargs)


def set_pattern(layer, case):
    for j, (_name, p) in enumerate(sorted(layer.collect_params().items())):
        p.set_data(0.4 * pattern(p.shape, j + 1).astype(p.dtype))


def run(mx, case, params_file=None):
    nd, ag = mx.nd, mx.autograd
    _, kwargs, shape, with_states = CASES[case]
    dtype = kwargs.get("dtype", "float32")
    layer = make(mx, case)
    x = make_input(nd, case, dtype)
    if params_file is None:
        layer.initialize()
        layer(x)  # finish the deferred initialization
        set_pattern(layer, case)
    else:
        layer.load_parameters(params_file)
    batch = shape[kwargs.get("layout", "TNC").find("N")]
    states = [nd.array(0.5 * pattern(s.shape, 3 + i), dtype=dtype)
              for i, s in enumerate(layer.begin_state(batch))]
    x.attach_grad()
    for s in states:
        s.attach_grad()
    with ag.record():
        if with_states:
            out, new = layer(x, states)
        else:
            out, new = layer(x), []
        og = nd.array(pattern(out.shape, 7.0), dtype=dtype)
        loss = (out * og).sum()
        for i, s in enumerate(new):
            loss = loss + (s * nd.array(pattern(s.shape, 9.0 + i), dtype=dtype)).sum()
    loss.backward()
    res = {"out": out.asnumpy(), "dx": x.grad.asnumpy()}
    for i, s in enumerate(new):
        res[f"state{i}"] = s.asnumpy()
    if with_states:
        for i, s in enumerate(states):
            res[f"dstate{i}"] = s.grad.asnumpy()
    prefix = layer.prefix
    for name, p in layer.collect_params().items():
        res["d_" + name[len(prefix):]] = p.grad().asnumpy()
    return res


def write_from_minigluon():
    """Run with minigluon: save each case's layer as minigluon writes it."""
    sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))
    import minigluon as mx

    os.makedirs(FROM_MG, exist_ok=True)
    for j, case in enumerate(CASES):
        mx.random.seed(100 + j)
        layer = make(mx, case)
        layer.initialize(mx.init.Uniform(0.5))
        layer(mx.nd.ones(CASES[case][2], dtype=CASES[case][1].get("dtype", "float32")))
        layer.save_parameters(os.path.join(FROM_MG, case + ".params"))


def main():
    import mxnet as mx

    os.makedirs(FILES, exist_ok=True)
    out = {}
    for case in CASES:
        for k, v in run(mx, case).items():
            out[f"{case}/{k}"] = v
        layer = make(mx, case)
        layer.initialize()
        layer(mx.nd.ones(CASES[case][2], dtype=CASES[case][1].get("dtype", "float32")))
        set_pattern(layer, case)
        layer.save_parameters(os.path.join(FILES, case + ".params"))
        out[f"{case}/names"] = np.array(list(layer.collect_params().keys()))
        mg = os.path.join(FROM_MG, case + ".params")
        if os.path.exists(mg):
            for k, v in run(mx, case, mg).items():
                out[f"from_minigluon/{case}/{k}"] = v
        else:
            print("missing", mg, "(run with --from-minigluon first)", file=sys.stderr)
    fd, tmp = tempfile.mkstemp(dir=HERE, suffix=".npz")
    os.close(fd)
    np.savez(tmp, **out)
    os.replace(tmp, OUT)
    print(f"wrote {len(out)} arrays to {OUT}", file=sys.stderr)


if __name__ == "__main__":
    if "--from-minigluon" in sys.argv:
        write_from_minigluon()
    else:
        main()
