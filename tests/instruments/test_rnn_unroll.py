"""The fused RNN node drawn unrolled over its time steps (``expand=``) and its
back-propagation through time written out by ``explain(expand=...)``."""

import re

import pytest

import minigluon as mx
from minigluon import autograd, gluon, nd


def _edges(src):
    return re.findall(r"^  (\w+) -> (\w+)", src, re.M)


def _labels(src):
    return dict(re.findall(r'^  (\w+) \[label="([^"\\]*)', src, re.M))


def _model(layer, T=3, N=2, I=4):
    layer.initialize()
    dense = gluon.nn.Dense(2, flatten=False)
    dense.initialize()
    x = nd.random.normal(shape=(T, N, I))
    with autograd.record():
        Y = layer(x)
        O = dense(Y)
        L = O.sum()
    return x, Y, O, L


def _structure(g):
    lab = _labels(g.source)
    edges = _edges(g.source)
    ins: dict[str, list[str]] = {}
    outs: dict[str, list[str]] = {}
    for a, b in edges:
        if b.startswith("op"):
            ins.setdefault(b, []).append(lab[a])
        else:
            outs.setdefault(a, []).append(lab[b])
    # the DOT text lists each operator's edges last input first
    return lab, {k: v[::-1] for k, v in ins.items()}, {k: v[::-1] for k, v in outs.items()}


def test_vanilla_rnn_unrolls_into_the_books_figure():
    mx.random.seed(1)
    layer = gluon.rnn.RNN(3, activation="tanh", input_size=4)
    x, Y, O, L = _model(layer, T=4)
    names = {"X": x, "Y": Y, "O": O, "L": L, "W_hx": layer.l0_i2h_weight,
             "W_hh": layer.l0_h2h_weight}
    plain = mx.viz.graph(L, names)
    g = mx.viz.graph(L, names, expand=("RNN",))
    lab, ins, outs = _structure(g)
    steps = {op: i for op, i in ins.items() if lab[op] == "tanh"}
    assert len(steps) == 4  # one circle per time step
    # the concat of the layer's weights is gone: the weights go straight into each step
    assert "_rnn_param_concat" in plain.text and "_rnn_param_concat" not in g.text
    by_out = {outs[op][0]: i for op, i in steps.items()}
    assert sorted(by_out) == ["h1", "h2", "h3", "h4"]
    for t in range(1, 5):
        assert by_out[f"h{t}"][0] == f"x{t}"
        assert by_out[f"h{t}"][1] == ("const0" if t == 1 else f"h{t - 1}")
        assert by_out[f"h{t}"][2:] == ["W_hx", "W_hh", "l0_i2h_bias", "l0_h2h_bias"]
    # W_hh feeds every step: the gradient is a sum over time
    assert sum(1 for a, b in _edges(g.source) if lab[a] == "W_hh") == 4
    # x_t come out of X, and Y is stacked from h_1..h_T, which then feeds the output layer
    split = next(op for op in ins if lab[op] == "[t]")
    assert ins[split] == ["X"] and outs[split] == ["x1", "x2", "x3", "x4"]
    stack = next(op for op in ins if lab[op] == "[·]")
    assert ins[stack] == ["h1", "h2", "h3", "h4"] and outs[stack] == ["Y"]
    assert re.search(r"^  O +\(4, 2, 2\) += FullyConnected\(Y, ", g.text, re.M)
    assert g.text.splitlines()[0] == "forward graph: 8 inputs, 8 operators, head L"
    back = mx.viz.graph(L, names, expand="RNN", direction="backward")
    rows = {r.split()[0]: " ".join(r.split()[1:]) for r in back.text.splitlines()[1:]}
    assert rows["∂L/∂W_hh"] == ("(3, 3) <- tanh(∂L/∂h1) + tanh(∂L/∂h2) + tanh(∂L/∂h3) + "
                                "tanh(∂L/∂h4) sum of 4")
    assert rows["∂L/∂h2"] == "(2, 3) <- tanh(∂L/∂h3) + [·](∂L/∂Y) sum of 2"


def test_lstm_two_layers_bidirectional():
    T, L_, D = 3, 2, 2
    layer = gluon.rnn.LSTM(3, num_layers=L_, bidirectional=True, input_size=4)
    x, Y, O, L = _model(layer, T=T)
    g = mx.viz.graph(L, {"L": L}, expand=["RNN"])
    lab, ins, outs = _structure(g)
    steps = [op for op in ins if lab[op] == "LSTM"]
    assert len(steps) == T * L_ * D
    step_out = {tuple(outs[op]): ins[op] for op in steps}
    # the reverse direction runs from t = T down: h2[r0] reads h3[r0], c3[r0]
    assert step_out[("h2[r0]", "c2[r0]")][:4] == ["x2", "h3[r0]", "c3[r0]", "r0_i2h_weight"]
    # layer 1 reads both directions of layer 0 at the same time step
    assert step_out[("h2[l1]", "c2[l1]")][:4] == ["h2[l0]", "h2[r0]", "h1[l1]", "c1[l1]"]
    # the last step of each direction makes no cell when the final states are not returned
    assert ("h3[l1]",) in step_out and ("h1[r1]",) in step_out
    assert step_out[("h3[l1]",)][-4:] == ["l1_i2h_weight", "l1_h2h_weight", "l1_i2h_bias",
                                          "l1_h2h_bias"]
    inits = [op for op in ins if lab[op] == "[k]"]
    assert sorted(len(outs[op]) for op in inits) == [L_ * D, L_ * D]


def test_nd_rnn_with_state_outputs_and_a_flat_parameter_vector():
    T, N, I, H = 2, 1, 3, 2
    from minigluon.ops.rnn import param_size

    w = nd.random.normal(shape=(param_size("gru", 1, I, H, False),))
    w.attach_grad()
    x = nd.random.normal(shape=(T, N, I))
    h0 = nd.zeros((1, N, H))
    with autograd.record():
        y, hT = nd.RNN(x, w, h0, state_size=H, num_layers=1, mode="gru", state_outputs=True)
        J = (y.sum() + hT.sum())
    g = mx.viz.graph(J, {"w": w, "h0": h0, "x": x}, expand=("RNN",))
    lab, ins, outs = _structure(g)
    split = next(op for op in ins if lab[op] == "split")
    assert ins[split] == ["w"]
    assert outs[split] == ["l0_i2h_weight", "l0_h2h_weight", "l0_i2h_bias", "l0_h2h_bias"]
    stack = next(op for op in ins if lab[op] == "[·]")
    assert ins[stack] == ["h1", "h2", "h2"]  # y_1, y_2, then the final state h_T
    assert sorted(ins[op][:2] for op in ins if lab[op] == "GRU") == [["x1", "h0"], ["x2", "h1"]]


def test_expand_errors_and_default_unchanged():
    layer = gluon.rnn.GRU(2, input_size=4)
    x, Y, O, L = _model(layer)
    with pytest.raises(ValueError, match="no node of the graph is named 'LSTM'"):
        mx.viz.graph(L, expand=("LSTM",))
    with pytest.raises(ValueError, match="only RNN nodes.*'sum' names a sum node"):
        mx.viz.graph(L, expand=("sum",))
    assert "GRU" not in mx.viz.graph(L).source
    # expanded by the name of its output
    assert "GRU" in mx.viz.graph(L, {"Y": Y}, expand=("Y",)).text


def test_explain_writes_bptt_per_time_step():
    layer = gluon.rnn.RNN(3, activation="tanh", num_layers=2, input_size=4)
    x, Y, O, L = _model(layer, T=3)
    ex = mx.explain(L, {"Y": Y, "L": L}, expand=("RNN",))
    d = ex["Y"].detail
    assert d[0] == "back-propagation through time: 2 layers, T = 3, last layer first"
    assert d[1] == "  layer 1, t=3: dh_3 = dy_3;  da_3 = dh_3 * (1 - h_3^2)"
    assert d[2] == "  layer 1, t=2: dh_2 = dy_2 + W_h^T da_3;  da_2 = dh_2 * (1 - h_2^2)"
    assert d[5] == "  layer 0, t=3: dh_3 = dx_3 of layer 1;  da_3 = dh_3 * (1 - h_3^2)"
    assert len(d) == 1 + 2 * (3 + 1)
    assert "layer 0, t=1" in str(ex["Y"])
    with autograd.record():
        L2 = layer(x).sum()
    assert [s.detail for s in mx.explain(L2) if s.op == "RNN"] == [()]


def test_explain_lstm_with_final_states():
    layer = gluon.rnn.LSTM(2, input_size=3)
    layer.initialize()
    x = nd.ones((2, 1, 3))
    with autograd.record():
        y, (h, c) = layer(x, layer.begin_state(1))
        J = y.sum() + h.sum() + c.sum()
    step = next(s for s in mx.explain(J, expand="RNN") if s.op == "RNN")
    assert step.detail[1].startswith("  layer 0, t=2: dh_2 = dy_2 + dh_T (state gradient);  "
                                     "dc_2 = dh_2 * o_2 * (1 - tanh(c_2)^2) + dc_T (state "
                                     "gradient); da_2 = [")
    assert step.detail[2].startswith("  layer 0, t=1: dh_1 = dy_1 + W_h^T da_2;  dc_1 = "
                                     "dh_1 * o_1 * (1 - tanh(c_1)^2) + dc_2 * f_2; ")
