"""Devices in the instruments' pictures (issue 14): one frame and colour per device in the
DOT text, copies between devices as labelled edges, a device column in the listings and
the memory table, and no change at all when everything is on one device. Also the names
of common compositions in collapsed graphs (issue 18)."""

from __future__ import annotations

import re

import numpy as np
import pytest

import minigluon as mx
from minigluon import autograd, gluon, nd, viz
from minigluon.instruments.graph import DEVICE_COLORS


@pytest.fixture
def gpus():
    mx.context.simulate_gpus(2)
    yield [mx.gpu(0), mx.gpu(1)]
    mx.context.simulate_gpus(0)


def clusters(src):
    """{device label: set of node ids inside its frame}."""
    out = {}
    for m in re.finditer(r'subgraph cluster_(\w+) \{\n\s*label="([^"]+)"; color="([^"]+)"'
                         r'[^\n]*\n(.*?)\n  \}', src, re.S):
        ids = set(re.findall(r"^\s*(\w+) \[label=", m.group(4), re.M))
        out[m.group(2)] = (m.group(3), ids)
    return out


def ids_by_label(src):
    return {m.group(2).split("\\n")[0]: m.group(1)
            for m in re.finditer(r'^\s*(\w+) \[label="((?:[^"\\]|\\.)*)"', src, re.M)}


def data_parallel(ctxs):
    """The book's from-scratch step: the batch split over the devices, the weight copied
    to each, forward there; returns (names, losses)."""
    rng = np.random.default_rng(0)
    X = nd.array(rng.normal(size=(4, 3)))
    y = nd.array(rng.normal(size=(4, 2)))
    W = nd.array(rng.normal(size=(3, 2)))
    names = {}
    losses = []
    for i, c in enumerate(ctxs):
        w = W.copyto(c)
        w.attach_grad()
        x = X[2 * i:2 * i + 2].as_in_context(c)
        t = y[2 * i:2 * i + 2].as_in_context(c)
        names.update({f"W{i}": w, f"x{i}": x, f"y{i}": t})
        losses.append(None)
        names[f"l{i}"] = (w, x, t)
    with autograd.record():
        for i in range(len(ctxs)):
            w, x, t = names[f"l{i}"]
            losses[i] = ((nd.dot(x, w) - t) ** 2).sum()
            names[f"l{i}"] = losses[i]
    return names, losses


def test_one_device_draws_no_frames_and_no_device_column(gpus):
    names, losses = data_parallel([mx.gpu(0)])
    g = viz.graph(losses, names, collapse=True)
    assert "subgraph" not in g.source and "gpu" not in g.text
    assert "{rank=max; " in g.source
    assert g.text.splitlines()[1].split() == ["x0", "(2,", "3)", "data"]
    rep = viz.memory(losses, names)
    assert "device" not in repr(rep) and {r.device for r in rep.rows} == {"gpu(0)"}


def test_each_device_is_a_frame_in_its_colour(gpus):
    names, losses = data_parallel(gpus)
    g = viz.graph(losses, names, collapse=True)
    frames = clusters(g.source)
    ids = ids_by_label(g.source)
    assert set(frames) == {"gpu(0)", "gpu(1)"}
    assert frames["gpu(0)"][0] == DEVICE_COLORS[0] and frames["gpu(1)"][0] == DEVICE_COLORS[1]
    for i in range(2):
        colour, inside = frames[f"gpu({i})"]
        assert {ids[f"W{i}"], ids[f"x{i}"], ids[f"y{i}"], ids[f"l{i}"]} <= inside
        assert not {ids[f"W{1 - i}"], ids[f"l{1 - i}"]} & inside
        # boxes and circles carry the frame's colour; the parameter keeps its blue fill
        for node in inside:
            line = re.search(rf"^\s*{node} \[.*\];$", g.source, re.M).group(0)
            assert f'color="{colour}"' in line
        assert "fillcolor" in re.search(rf"^\s*{ids[f'W{i}']} \[.*$", g.source, re.M).group(0)
    first, *rows = g.text.splitlines()
    assert first == ("forward graph: 6 inputs, 2 operators, heads l0, l1; on 2 devices: "
                     "gpu(0), gpu(1)")
    by_name = {r.split()[0]: r.split() for r in rows}
    assert by_name["l0"][2:4] == ["gpu(0)", "="] and by_name["l1"][2] == "gpu(1)"
    assert "= ×·−·^2…(x1, W1, y1)" in g.text  # the dot inside: no squared loss
    back = viz.graph(losses, names, direction="backward")
    assert "on 2 devices: gpu(0), gpu(1)" in back.text.splitlines()[0]
    assert [r.split()[3] for r in back.text.splitlines()[1:] if r.startswith("  ∂f/∂W")] \
        == ["gpu(1)", "gpu(0)"]


def test_copies_between_devices_are_labelled_edges(gpus):
    g0 = nd.array([1.0, 2.0], ctx=gpus[0])
    g1 = nd.array([10.0, 20.0], ctx=gpus[1])
    g0.attach_grad()
    g1.attach_grad()
    with autograd.record():  # the book's allreduce, recorded
        s = g0 + g1.copyto(gpus[0])
        s1 = s.copyto(gpus[1])
    names = dict(g0=g0, g1=g1, s=s, s1=s1)
    g = viz.graph([s, s1], names)
    ids = ids_by_label(g.source)
    edges = re.findall(r"^\s*(\w+) -> (\w+) \[(.*)\];$", g.source, re.M)
    copies = {(a, b) for a, b, attrs in edges if 'label="copy"' in attrs}
    assert copies == {(ids["g1"], ids["#0"]), (ids["s"], ids["s1"])}
    assert g.source.count("shape=circle") == 1  # only the sum is an operator
    frames = clusters(g.source)
    assert ids["#0"] in frames["gpu(0)"][1] and ids["s1"] in frames["gpu(1)"][1]
    lines = [" ".join(ln.split()) for ln in g.text.splitlines()]
    assert lines[0] == ("forward graph: 2 inputs, 1 operator, 2 copies, heads s, s1; on 2 "
                        "devices: gpu(0), gpu(1)")
    assert "#0 (2,) gpu(0) = copy(g1) copy gpu(1) → gpu(0)" in lines
    assert "s1 (2,) gpu(1) = copy(s) copy gpu(0) → gpu(1)" in lines
    back = viz.graph([s, s1], names, direction="backward")
    bedges = re.findall(r"^\s*(\w+) -> (\w+) \[(.*)\];$", back.source, re.M)
    assert all("dir=back" in a for _, _, a in bedges if 'label="copy"' in a)
    # a copy within one device is an ordinary operator
    with autograd.record():
        c = g0.copy() * 2
    assert "style=dashed" not in viz.graph(c).source


def test_memory_table_names_the_device_of_each_saved_array(gpus):
    names, losses = data_parallel(gpus)
    rep = viz.memory(losses, names)
    text = repr(rep)
    assert text.splitlines()[0].split() == ["node", "op", "slot", "shape", "dtype", "bytes",
                                            "device", "holds", "adds"]
    assert [(r.op, r.slot, r.device, r.what) for r in rep.rows if r.op == "dot"] == [
        ("dot", "x0", "gpu(0)", "input x0"), ("dot", "x1", "gpu(0)", "input W0"),
        ("dot", "x0", "gpu(1)", "input x1"), ("dot", "x1", "gpu(1)", "input W1")]
    assert "  device: where the node ran and the array lives" in text.splitlines()


def test_the_legend_explains_new_arrays_and_unnamed_residuals():
    x = nd.array([[1.0, -2.0], [3.0, 4.0]])
    x.attach_grad()
    with autograd.record():
        y = nd.relu(x)
        loss = nd.pick(nd.log_softmax(y), nd.array([0, 1]))
    rep = viz.memory(loss, dict(x=x, y=y, loss=loss))
    assert [(r.slot, r.what) for r in rep.rows] == [("y", "output y"), ("res0", "new"),
                                                    ("res2", "new")]
    legend = repr(rep).splitlines()[-4:]
    assert legend[1] == ("  slot (where the operator keeps it): y = its output; res<i> = "
                         "the i-th array it keeps (unnamed by the operator)")
    assert legend[2] == ("  holds: input/output <name> = that array itself; new = made for "
                         "backward only (e.g. a mask)")
    assert "(= node.slot)" not in repr(rep)


# ---- compositions ------------------------------------------------------------------------

def _softmax(o):
    e = o.exp()
    return e / e.sum(axis=1, keepdims=True)


X = np.linspace(-1, 1, 12).reshape((4, 3))
Y = nd.array([0, 1, 2, 1])
T = nd.array(np.ones((4, 3)))

COMPOSITIONS = [
    ("softmax", _softmax),
    ("softmax CE", lambda o: -nd.pick(_softmax(o), Y).log()),
    ("softmax CE", lambda o: (-nd.pick(_softmax(o), Y).log()).mean()),
    ("softmax CE", lambda o: -nd.pick(nd.log_softmax(o), Y)),
    ("CE", lambda o: -nd.pick(o, Y).log()),
    ("log-softmax", lambda o: o - nd.log(nd.exp(o).sum(axis=1, keepdims=True))),
    ("squared loss", lambda o: (o - T.reshape(o.shape)) ** 2 / 2),
    ("squared loss", lambda o: gluon.loss.L2Loss()(o, T)),
    ("L1 loss", lambda o: gluon.loss.L1Loss()(o, T)),
    ("L2 penalty", lambda o: 0.1 * ((o ** 2).sum() / 2)),
    ("L2 norm", lambda o: (o ** 2).sum().sqrt()),
    ("sigmoid BCE", lambda o: gluon.loss.SigmoidBinaryCrossEntropyLoss()(o, T)),
    ("sigmoid", lambda o: 1 / (1 + nd.exp(-o))),
]


@pytest.mark.parametrize("name,f", COMPOSITIONS, ids=[f"{n}-{i}" for i, (n, _)
                                                      in enumerate(COMPOSITIONS)])
def test_collapsed_compositions_are_named(name, f):
    o = nd.array(X)
    o.attach_grad()
    with autograd.record():
        L = f(o)
    g = viz.graph(L, dict(o=o, L=L), collapse=True)
    assert re.search(rf"L\s+\S+(?: \S+)*\s+= {re.escape(name)}\(", g.text), g.text
    assert f'label="{name.replace(" ", chr(92) + "n")}", shape=circle' in g.source
    # ops= still wins, and without collapse every operator keeps its own circle
    assert "= ℓ(" in viz.graph(L, dict(o=o, L=L), collapse=True, ops={"L": "ℓ"}).text
    assert name not in viz.graph(L, dict(o=o, L=L)).text.split("\n", 1)[1].replace(
        "sigmoid(", "")


def test_an_unknown_chain_keeps_its_symbols():
    o = nd.array(X)
    o.attach_grad()
    with autograd.record():
        L = (o.exp() * 3 - o).sum()
    assert "= exp·×3·−…(o)" in viz.graph(L, dict(o=o, L=L), collapse=True).text
