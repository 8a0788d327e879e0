"""Regenerate tests/golden/rnn_symbol.npz and tests/golden/files/rnn/export/*: gluon.rnn
layers hybridized and exported (``-symbol.json`` + ``.params``) moving between MXNet and
minigluon both ways.

Run from the repository root, first with the project's Python (it exports the layers as
minigluon writes them, for MXNet to import), then with the MXNet venv::

    .venv/bin/python tests/golden/make_rnn_symbol_golden.py --from-minigluon
    ~/mxnet-oracle/bin/python tests/golden/make_rnn_symbol_golden.py

Made with Apache MXNet 1.9.1 (CPU pip wheel), numpy 1.23.5, Python 3.11, Linux x86_64.

Recorded in rnn_symbol.npz, per case:
- ``<case>/out``, ``<case>/out_s``, ``<case>/state<i>``: MXNet's hybridized layer on the
  input alone and on the input with given states (parameters from a sine pattern); MXNet
  exports that layer as ``files/rnn/export/<case>-symbol.json`` / ``-0000.params``;
- ``from_minigluon/<case>/out``...: what MXNet's ``SymbolBlock.imports`` computes from the
  files minigluon exported (``files/rnn/export/from_minigluon/<case>-*``), on the input
  and the given states.
"""

import os
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "rnn_symbol.npz")
FILES = os.path.join(HERE, "files", "rnn", "export")
FROM_MG = os.path.join(FILES, "from_minigluon")

# case -> (class, constructor kwargs, input shape in the layout)
CASES = {
    "lstm_2l": ("LSTM", {"hidden_size": 4, "num_layers": 2, "input_size": 3}, (5, 2, 3)),
    "gru_bi_ntc": ("GRU", {"hidden_size": 3, "bidirectional": True, "layout": "NTC",
                           "input_size": 4}, (2, 4, 4)),
}


def pattern(shape, k=0.0):
    """Deterministic, irregular float64 values, none exactly 0."""
    i = np.arange(int(np.prod(shape)), dtype=np.float64)
    return (np.cos(1.37 * i + k) + 0.3 * np.sin(7.1 * i + 2 * k) + 0.013).reshape(shape)


def make(mx, case):
    cls, kwargs, shape = CASES[case]
    layer = getattr(mx.gluon.rnn, cls)(prefix=f"{case}_", **kwargs)
    layer.initialize()
    for j, (_name, p) in enumerate(sorted(layer.collect_params().items())):
        p.set_data(0.4 * pattern(p.shape, j + 1).astype(p.dtype))
    return layer


def inputs(mx, case, layer):
    shape = CASES[case][2]
    batch = shape[CASES[case][1].get("layout", "TNC").find("N")]
    x = mx.nd.array(pattern(shape, 0.5))
    states = [mx.nd.array(0.5 * pattern(s.shape, 3 + i))
              for i, s in enumerate(layer.begin_state(batch))]
    return x, states


def run_layer(mx, case):
    """The hybridized layer: on x alone (then exported), and on x with states.

    Two layers: MXNet's hybridized RNN layers keep the output structure of their first
    call (after ``layer(x)``, ``layer(x, states)`` returns the output alone)."""
    layer = make(mx, case)
    layer.hybridize()
    x, states = inputs(mx, case, layer)
    res = {"out": layer(x).asnumpy()}
    other = make(mx, case)
    other.hybridize()
    out, new = other(x, states)
    res["out_s"] = out.asnumpy()
    for i, s in enumerate(new):
        res[f"state{i}"] = s.asnumpy()
    return res, layer


def run_imported(mx, case, prefix):
    """A layer exported from ``layer(x)`` imported as a SymbolBlock: its inputs are the
    data and the begin states (data0, data1 ...)."""
    layer = make(mx, case)
    x, states = inputs(mx, case, layer)
    names = [f"data{i}" for i in range(1 + len(states))]
    blk = mx.gluon.SymbolBlock.imports(prefix + "-symbol.json", names,
                                       prefix + "-0000.params")
    return {"out": blk(x, *states).asnumpy()}


def write_from_minigluon():
    sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))
    import minigluon as mx

    os.makedirs(FROM_MG, exist_ok=True)
    for case in CASES:
        _, layer = run_layer(mx, case)
        layer(inputs(mx, case, layer)[0])  # the graph of layer(x) is the one exported
        layer.export(os.path.join(FROM_MG, case))


def main():
    import mxnet as mx

    os.makedirs(FILES, exist_ok=True)
    out = {}
    for case in CASES:
        res, layer = run_layer(mx, case)
        layer(inputs(mx, case, layer)[0])
        layer.export(os.path.join(FILES, case))
        for k, v in res.items():
            out[f"{case}/{k}"] = v
        mg = os.path.join(FROM_MG, case)
        if os.path.exists(mg + "-symbol.json"):
            for k, v in run_imported(mx, case, mg).items():
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
