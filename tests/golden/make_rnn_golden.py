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
- ``ignored/<case>/...`` (:data:`IGNORED`): layers with ``state_clip_*`` or
  ``use_sequence_length``, which MXNet 1.9.1's CPU operator accepts and ignores (its
  results equal the plain layer's: ``ignored/<case>/same_as_plain`` records that);
- ``proj/<case>/...`` (:data:`PROJ`): LSTM with projection (LSTMP), inference only (MXNet's
  CPU operator refuses to train it: ``proj/<case>/train_error`` is its message), from
  MXNet's parameters, also saved as ``files/rnn/<case>.params``.
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


# options MXNet 1.9.1's CPU operator accepts and ignores (only cuDNN implements them)
IGNORED = {
    "lstm_clip": ("LSTM", {"hidden_size": 4, "state_clip_min": -0.2, "state_clip_max": 0.2,
                           "state_clip_nan": True}, (5, 2, 3), True),
    # input_size given: MXNet cannot infer a GRU's shapes with use_sequence_length
    "gru_seqlen": ("GRU", {"hidden_size": 3, "use_sequence_length": True, "input_size": 5},
                   (4, 3, 5), True),
    "lstm_seqlen_bi": ("LSTM", {"hidden_size": 3, "use_sequence_length": True,
                                "bidirectional": True}, (4, 3, 2), True),
}
SEQUENCE_LENGTH = [4, 2, 3]

# LSTM with projection: (constructor kwargs, input shape TNC)
PROJ = {
    "lstmp": ({"hidden_size": 5, "projection_size": 3}, (4, 2, 3)),
    "lstmp_2l_bi": ({"hidden_size": 4, "projection_size": 2, "num_layers": 2,
                     "bidirectional": True}, (3, 2, 5)),
}


def _spec(case):
    return CASES[case] if case in CASES else IGNORED[case]


def make_input(nd, case, dtype):
    shape = CASES[case][2] if case in CASES else IGNORED[case][2]
    if case.endswith(("onehot", "onehot_bi")):
        tokens = (np.abs(pattern(shape[:2], 0.5)) * 7).astype(int) % shape[2]
        return nd.one_hot(nd.array(tokens), shape[2], dtype=dtype)
    return nd.array(pattern(shape, 0.5), dtype=dtype)


def pattern(shape, k=0.0):
    """Deterministic, irregular float64 values, none exactly 0."""
    i = np.arange(int(np.prod(shape)), dtype=np.float64)
    return (np.cos(1.37 * i + k) + 0.3 * np.sin(7.1 * i + 2 * k) + 0.013).reshape(shape)


def make(mx, case):
    cls, kwargs, _, _ = _spec(case)
    return getattr(mx.gluon.rnn, cls)(prefix="t_", **kwargs)


def set_pattern(layer, case):
    for j, (_name, p) in enumerate(sorted(layer.collect_params().items())):
        p.set_data(0.4 * pattern(p.shape, j + 1).astype(p.dtype))


def run(mx, case, params_file=None):
    nd, ag = mx.nd, mx.autograd
    _, kwargs, shape, with_states = _spec(case)
    dtype = kwargs.get("dtype", "float32")
    layer = make(mx, case)
    x = make_input(nd, case, dtype)
    batch = shape[kwargs.get("layout", "TNC").find("N")]
    if params_file is None:
        layer.initialize()
        if kwargs.get("use_sequence_length"):  # then layer(x) has too few inputs
            layer(x, layer.begin_state(batch), nd.array(SEQUENCE_LENGTH, dtype=dtype))
        else:
            layer(x)  # finish the deferred initialization
        set_pattern(layer, case)
    else:
        layer.load_parameters(params_file)
    states = [nd.array(0.5 * pattern(s.shape, 3 + i), dtype=dtype)
              for i, s in enumerate(layer.begin_state(batch))]
    x.attach_grad()
    for s in states:
        s.attach_grad()
    with ag.record():
        if kwargs.get("use_sequence_length"):
            out, new = layer(x, states, nd.array(SEQUENCE_LENGTH, dtype=dtype))
        elif with_states:
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


def run_proj(mx, case, params_file=None):
    """An LSTMP layer in inference (outputs and final states, no gradients)."""
    nd = mx.nd
    kwargs, shape = PROJ[case]
    layer = mx.gluon.rnn.LSTM(prefix="t_", **kwargs)
    x = nd.array(pattern(shape, 0.5))
    if params_file is None:
        layer.initialize()
        layer(x)
        for j, (_name, p) in enumerate(sorted(layer.collect_params().items())):
            p.set_data(0.4 * pattern(p.shape, j + 1).astype(p.dtype))
    else:
        layer.load_parameters(params_file)
    states = [nd.array(0.5 * pattern(s.shape, 3 + i))
              for i, s in enumerate(layer.begin_state(shape[1]))]
    out, new = layer(x, states)
    res = {"out": out.asnumpy(), "state0": new[0].asnumpy(), "state1": new[1].asnumpy(),
           "out_no_states": layer(x).asnumpy()}
    return res, layer


def proj_train_error(mx, case):
    kwargs, shape = PROJ[case]
    layer = mx.gluon.rnn.LSTM(prefix="t_", **kwargs)
    layer.initialize()
    x = mx.nd.array(pattern(shape, 0.5))
    layer(x)
    try:
        with mx.autograd.record():
            layer(x).wait_to_read()
    except mx.base.MXNetError as e:
        return str(e)
    return ""


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
    for case in IGNORED:
        for k, v in run(mx, case).items():
            out[f"ignored/{case}/{k}"] = v
        _, kwargs, shape, _ = IGNORED[case]
        plain = {k: v for k, v in kwargs.items()
                 if not k.startswith(("state_clip", "use_sequence"))}
        IGNORED["_plain"] = (IGNORED[case][0], plain, shape, True)
        ref = run(mx, "_plain")
        del IGNORED["_plain"]
        out[f"ignored/{case}/same_as_plain"] = np.array(all(
            np.array_equal(ref[k], out[f"ignored/{case}/{k}"]) for k in ref))
    for case in PROJ:
        res, layer = run_proj(mx, case)
        for k, v in res.items():
            out[f"proj/{case}/{k}"] = v
        out[f"proj/{case}/names"] = np.array(list(layer.collect_params().keys()))
        layer.save_parameters(os.path.join(FILES, case + ".params"))
        out[f"proj/{case}/train_error"] = np.array(proj_train_error(mx, case))
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
