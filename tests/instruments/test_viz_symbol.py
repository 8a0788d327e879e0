"""A Symbol drawn before any data (``viz.graph(symbol)``, ``viz.plot_network``): the same
boxes and circles as the picture of a tape, names and shapes read off the graph."""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
import pytest

import minigluon as mx
from minigluon import autograd, nd, viz
from minigluon.base import MinigluonError
from minigluon.gluon import SymbolBlock, nn


def parse_dot(src):
    """{id: (label lines, attrs text)} for nodes, and [(tail, head)] for edges."""
    nodes, edges = {}, []
    for line in src.splitlines():
        m = re.match(r'\s*(\w+) -> (\w+)(?: \[.*\])?;$', line)
        if m:
            edges.append((m.group(1), m.group(2)))
            continue
        m = re.match(r'\s*(\w+) \[label="((?:[^"\\]|\\.)*)", (.*)\];$', line)
        if m and m.group(1) not in ("graph", "node", "edge"):
            nodes[m.group(1)] = (m.group(2).split("\\n"), m.group(3))
    return nodes, edges


def by_label(src):
    nodes, _ = parse_dot(src)
    return {lab[0]: (lab, a) for lab, a in nodes.values() if "shape=box" in a}


def labelled_edges(src):
    """Edges as (box label, circle label) and (circle label, box label) pairs."""
    nodes, edges = parse_dot(src)
    return Counter((nodes[a][0][0], nodes[b][0][0]) for a, b in edges)


def mlp():
    net = nn.HybridSequential(prefix="")
    with net.name_scope():
        net.add(nn.Dense(4, activation="relu", prefix="dense0_"), nn.Dense(2, prefix="dense1_"))
    net.initialize(mx.init.Xavier())
    return net


def lines(text):
    return [" ".join(ln.split()) for ln in text.splitlines()]


def test_mlp_symbol_boxes_circles_and_edges():
    net = mlp()
    sym = net(mx.sym.var("data"))
    g = viz.graph(sym)
    boxes = by_label(g.source)
    assert set(boxes) == {"data", "dense0_weight", "dense0_bias", "dense0_fwd",
                          "dense0_relu_fwd", "dense1_weight", "dense1_bias", "dense1_fwd"}
    # parameters are filled as on the tape; data and results are not; the head is thick
    for name in ("dense0_weight", "dense0_bias", "dense1_weight", "dense1_bias"):
        assert f'fillcolor="{viz.PARAM_FILL}"' in boxes[name][1]
    for name in ("data", "dense0_fwd", "dense0_relu_fwd"):
        assert "filled" not in boxes[name][1]
    assert "penwidth=2" in boxes["dense1_fwd"][1]
    assert sum("penwidth=2" in a for _, a in boxes.values()) == 1
    # no shapes without shape=: each box holds its name only
    assert all(lab == [lab[0]] for lab, _ in boxes.values())
    # circles: labelled as the tape labels the same registry operators
    nodes, _ = parse_dot(g.source)
    circles = sorted(lab[0] for lab, a in nodes.values() if "shape=circle" in a)
    assert circles == ["FullyConnected", "FullyConnected", "relu"]
    assert labelled_edges(g.source) == Counter({
        ("data", "FullyConnected"): 1, ("dense0_weight", "FullyConnected"): 1,
        ("dense0_bias", "FullyConnected"): 1, ("FullyConnected", "dense0_fwd"): 1,
        ("dense0_fwd", "relu"): 1, ("relu", "dense0_relu_fwd"): 1,
        ("dense0_relu_fwd", "FullyConnected"): 1, ("dense1_weight", "FullyConnected"): 1,
        ("dense1_bias", "FullyConnected"): 1, ("FullyConnected", "dense1_fwd"): 1})
    assert lines(g.text) == [
        "symbol graph: 5 inputs, 3 operators, head dense1_fwd",
        "data data",
        "dense0_weight parameter",
        "dense0_bias parameter",
        "dense0_fwd = FullyConnected(data, dense0_weight, dense0_bias) "
        "FullyConnected(flatten=True, no_bias=False, num_hidden=4)",
        "dense0_relu_fwd = relu(dense0_fwd) Activation(act_type=relu)",
        "dense1_weight parameter",
        "dense1_bias parameter",
        "dense1_fwd = FullyConnected(dense0_relu_fwd, dense1_weight, dense1_bias) "
        "FullyConnected(flatten=True, no_bias=False, num_hidden=2)"]
    assert repr(g) == g.text and viz.to_dot(sym) == g.source


def test_the_circles_match_the_tape_of_the_same_net():
    net = mlp()
    x = nd.ones((3, 5))
    with autograd.record():
        y = net(x)
    tape_circles = sorted(lab for lab, a in _circles(viz.graph(y).source))
    sym_circles = sorted(lab for lab, a in _circles(viz.graph(net(mx.sym.var("data"))).source))
    assert sym_circles == tape_circles == ["FullyConnected", "FullyConnected", "relu"]
    # the tooltips carry the same rule as the tape's circles
    tape_tips = {t for _, a in _circles(viz.graph(y).source)
                 for t in re.findall(r'tooltip="([^"]*)"', a)}
    sym_tips = [t for _, a in _circles(viz.graph(net(mx.sym.var("data"))).source)
                for t in re.findall(r'tooltip="([^"]*)"', a)]
    assert all(any(t.startswith(tip) for tip in tape_tips) for t in sym_tips)
    assert any("[dense0_relu_fwd: Activation(act_type=relu) runs relu]" in t
               for t in sym_tips)


def _circles(src):
    nodes, _ = parse_dot(src)
    return [(lab[0], a) for lab, a in nodes.values() if "shape=circle" in a]


def test_shape_gives_every_shape():
    sym = mlp()(mx.sym.var("data"))
    g = viz.graph(sym, shape={"data": (3, 5)})
    boxes = by_label(g.source)
    got = {k: v[0][1] for k, v in boxes.items()}
    assert got == {"data": "(3, 5)", "dense0_weight": "(4, 5)", "dense0_bias": "(4,)",
                   "dense0_fwd": "(3, 4)", "dense0_relu_fwd": "(3, 4)",
                   "dense1_weight": "(2, 4)", "dense1_bias": "(2,)", "dense1_fwd": "(3, 2)"}
    assert lines(g.text)[1:4] == ["data (3, 5) data", "dense0_weight (4, 5) parameter",
                                  "dense0_bias (4,) parameter"]
    # shapes=False hides them again; a wrong input name is refused
    assert all(len(v[0]) == 1 for v in by_label(
        viz.graph(sym, shape={"data": (3, 5)}, shapes=False).source).values())
    with pytest.raises(MinigluonError, match="'x' is not an input"):
        viz.graph(sym, shape={"x": (3, 5)})


def test_arithmetic_symbol_uses_the_tape_symbols():
    x, y = mx.sym.var("x"), mx.sym.var("y")
    z = (x * 2 + y).sum()
    # the automatic names count up across the session: read them off the graph
    m, p, s = (n.name for n in z._nodes() if n.op != "null")
    g = viz.graph(z, shape={"x": (2, 3), "y": (2, 3)})
    assert lines(g.text) == [
        f"symbol graph: 2 inputs, 3 operators, head {s}",
        "x (2, 3) data",
        f"{m} (2, 3) = ×2(x) _mul_scalar(scalar=2)",
        "y (2, 3) data",
        f"{p} (2, 3) = +({m}, y) elemwise_add",
        f"{s} (1,) = Σ({p}) sum"]
    assert m.startswith("_mulscalar") and p.startswith("_plus") and s.startswith("sum")
    # ops= relabels by node name or by operator name, as on the tape
    g = viz.graph(z, ops={s: "total", "broadcast_add": "plus"})
    assert sorted(lab for lab, _ in _circles(g.source)) == ["plus", "total", "×2"]


def test_backward_direction_and_groups():
    x, w = mx.sym.var("x"), mx.sym.var("w", lr_mult=1.0)
    y = mx.sym.FullyConnected(x, w, num_hidden=3, no_bias=True, name="fc")
    g = viz.graph(y, direction="backward", shape={"x": (2, 4)})
    assert lines(g.text) == [
        "backward graph of fc: gradients flow from fc back to the variables",
        "∂fc/∂fc (2, 3) = 1 (head)",
        "∂fc/∂w (3, 4) <- FullyConnected(∂fc/∂fc)",
        "no gradient: x (data)"]
    twice = x * 2
    g = viz.graph(mx.sym.Group([y, twice]))
    assert g.text.splitlines()[0] == \
        f"symbol graph: 2 inputs, 2 operators, heads fc, {twice.name}"
    assert sum("penwidth=2" in a for _, a in by_label(g.source).values()) == 2


def test_plot_network_hides_weights_as_mxnet():
    sym = mlp()(mx.sym.var("data"))
    g = viz.plot_network(sym, shape={"data": (1, 5)})
    assert isinstance(g, viz.Graph)
    assert set(by_label(g.source)) == {"data", "dense0_fwd", "dense0_relu_fwd", "dense1_fwd"}
    assert g.source.startswith('digraph "plot" {')   # MXNet's title names the graph
    assert lines(g.text)[1] == "data (1, 5) data"
    assert labelled_edges(g.source)[("data", "FullyConnected")] == 1
    shown = viz.plot_network(sym, title="mlp", hide_weights=False,
                             node_attrs={"fixedsize": "false"})
    assert "dense0_weight" in by_label(shown.source)
    assert shown.source.startswith('digraph "mlp" {')
    assert 'fixedsize="false"' in shown.source.splitlines()[2]
    typed = viz.plot_network(sym, shape={"data": (1, 5)}, dtype={"data": np.float64})
    assert by_label(typed.source)["dense1_fwd"][0] == ["dense1_fwd", "(1, 2) float64"]
    with pytest.raises(TypeError, match="symbol must be a Symbol"):
        viz.plot_network(nd.ones((2,)))


def test_a_symbol_loaded_from_json_draws(tmp_path):
    net = mlp()
    net.hybridize()
    x = nd.array(np.arange(10, dtype=np.float32).reshape(2, 5))
    want = net(x).asnumpy()
    net.export(str(tmp_path / "mlp"))
    sym = mx.sym.load(str(tmp_path / "mlp-symbol.json"))
    g = viz.graph(sym, shape={"data": (2, 5)})
    got = {k: v[0][1] for k, v in by_label(g.source).items()}
    assert got["dense1_fwd"] == "(2, 2)" and got["dense0_weight"] == "(4, 5)"
    assert sorted(lab for lab, _ in _circles(g.source)) == [
        "FullyConnected", "FullyConnected", "relu"]
    # what was drawn is what runs
    back = SymbolBlock.imports(str(tmp_path / "mlp-symbol.json"), ["data"],
                               str(tmp_path / "mlp-0000.params"))
    np.testing.assert_allclose(back(x).asnumpy(), want, rtol=1e-6)


def test_layers_without_one_registry_operator():
    net = nn.HybridSequential(prefix="")
    with net.name_scope():
        net.add(nn.Conv2D(2, 3, prefix="conv0_"), nn.BatchNorm(prefix="bn0_"),
                nn.MaxPool2D(), nn.Dropout(0.5))
    net.initialize()
    g = viz.graph(net(mx.sym.var("data")), shape={"data": (1, 1, 6, 6)})
    circles = [lab for lab, _ in _circles(g.source)]
    assert sorted(circles) == ["BatchNorm", "Convolution", "Pooling", "dropout"]
    boxes = by_label(g.source)
    # BatchNorm's running statistics (auxiliary states) are parameters of the graph
    assert f'fillcolor="{viz.PARAM_FILL}"' in boxes["bn0_running_mean"][1]
    assert boxes["bn0_running_mean"][0][1] == "(2,)"


def test_what_does_not_apply_to_a_symbol_is_refused():
    sym = mlp()(mx.sym.var("data"))
    with pytest.raises(ValueError, match="values: not for a Symbol"):
        viz.graph(sym, values=True)
    with pytest.raises(ValueError, match="names: not for a Symbol"):
        viz.graph(sym, {"a": nd.ones((1,))})
    a = nd.ones((2,))
    a.attach_grad()
    with autograd.record():
        b = a * 2
    with pytest.raises(ValueError, match="shape= is for drawing a Symbol"):
        viz.graph(b, shape={"data": (1, 2)})
    with pytest.raises(TypeError, match="expected a Tape or NDArrays .* or a Symbol, "
                                        "got a str"):
        viz.graph("net")
    with pytest.raises(TypeError, match="expected a Tape or NDArrays .* got a dict"):
        viz.graph({"data": sym})
