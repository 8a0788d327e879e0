"""Graph pictures (minigluon.viz): the DOT text, the plain listing, names, directions,
and rendering (skipped when no dot renderer is installed)."""

import os
import re
import sysconfig
from collections import Counter

import attrs
import numpy as np
import pytest

from minigluon import autograd, nd, viz
from minigluon.base import MinigluonError
from minigluon.ndarray.ndarray import invoke
from minigluon.ops import OPS, Op, register_op


def parse_dot(src):
    """{id: (label, attrs text)} for nodes, and [(tail, head, attrs text)] for edges."""
    nodes, edges = {}, []
    for line in src.splitlines():
        m = re.match(r'\s*(\w+) -> (\w+)(?: \[(.*)\])?;$', line)
        if m:
            edges.append((m.group(1), m.group(2), m.group(3) or ""))
            continue
        m = re.match(r'\s*(\w+) \[label="((?:[^"\\]|\\.)*)", (.*)\];$', line)
        if m and m.group(1) not in ("graph", "node", "edge"):
            nodes[m.group(1)] = (m.group(2).split("\\n")[0], m.group(3))
    return nodes, edges


def lines(text):
    """The listing's lines with runs of spaces squeezed (column widths vary)."""
    return [" ".join(ln.split()) for ln in text.splitlines()]


def labelled_edges(src):
    nodes, edges = parse_dot(src)
    return Counter((nodes[a][0], nodes[b][0]) for a, b, _ in edges)


def node_attrs(src, label):
    nodes, _ = parse_dot(src)
    hits = [a for lab, a in nodes.values() if lab == label]
    assert len(hits) == 1, (label, hits)
    return hits[0]


def book_model(lam=0.1, seed=0):
    rng = np.random.default_rng(seed)
    x = nd.array(rng.normal(size=(3, 1)))
    y = nd.array([[1.0], [0.0]])
    W1 = nd.array(rng.normal(size=(4, 3)))
    W2 = nd.array(rng.normal(size=(2, 4)))
    W1.attach_grad()
    W2.attach_grad()
    with autograd.record() as tape:
        z = nd.dot(W1, x)
        h = nd.relu(z)
        o = nd.dot(W2, h)
        L = ((o - y) ** 2).sum() / 2
        s = lam / 2 * ((W1 ** 2).sum() + (W2 ** 2).sum())
        J = L + s
    names = dict(x=x, y=y, W1=W1, W2=W2, z=z, h=h, o=o, L=L, s=s, J=J)
    return names, tape


# ---- a reused node: b = a + a; c = b + b --------------------------------------------------

def reused():
    a = nd.array([1.0, 2.0])
    a.attach_grad()
    with autograd.record() as tape:
        b = a + a
        c = b + b
    return a, b, c, tape


def test_reused_node_draws_one_box_with_two_arrows():
    a, b, c, _ = reused()
    g = viz.graph(c, {"a": a, "b": b, "c": c})
    edges = labelled_edges(g.source)
    assert edges == Counter({("a", "+"): 2, ("+", "b"): 1, ("b", "+"): 2, ("+", "c"): 1})
    nodes, _ = parse_dot(g.source)
    assert sum(1 for lab, _ in nodes.values() if lab == "a") == 1
    assert "style=filled" in node_attrs(g.source, "a")  # a parameter
    assert f'fillcolor="{viz.PARAM_FILL}"' in node_attrs(g.source, "a")
    assert "style=filled" not in node_attrs(g.source, "b")
    assert "penwidth=2" in node_attrs(g.source, "c")  # the head
    assert "shape=box" in node_attrs(g.source, "b")
    ops = [attr for lab, attr in nodes.values() if lab == "+"]
    assert len(ops) == 2 and all("shape=circle" in o for o in ops)
    assert g.text.splitlines() == [
        "forward graph: 1 input, 2 operators, head c",
        "  a  (2,)  parameter",
        "  b  (2,)  = +(a, a)  broadcast_add",
        "  c  (2,)  = +(b, b)  broadcast_add",
    ]


def test_unnamed_arrays_get_generic_labels_in_recorded_order():
    a, b, c, tape = reused()
    text = viz.graph(tape).text
    assert text.splitlines()[1:] == ["  var0  (2,)  parameter",
                                     "  #0    (2,)  = +(var0, var0)  broadcast_add",
                                     "  #1    (2,)  = +(#0, #0)      broadcast_add"]


def test_tape_and_heads_give_the_same_graph():
    a, b, c, tape = reused()
    names = {"a": a, "b": b, "c": c}
    assert viz.graph(tape, names).source == viz.graph(c, names).source
    assert viz.to_dot(c, names) == viz.graph(c, names).source


# ---- a branch ------------------------------------------------------------------------------

def test_branch_fans_out_and_joins():
    x = nd.array([0.5, -1.0])
    x.attach_grad()
    k = nd.array([2.0, 3.0])  # a constant: plain box
    with autograd.record():
        u = nd.exp(x)
        v = nd.sin(x) * k
        w = u + v
    g = viz.graph(w, locals())
    edges = labelled_edges(g.source)
    assert edges[("x", "exp")] == 1 and edges[("x", "sin")] == 1
    assert edges[("k", "*")] == 1 and edges[("u", "+")] == 1 and edges[("v", "+")] == 1
    assert "style=filled" not in node_attrs(g.source, "k")
    assert "k (2,) data" in lines(g.text)
    assert "{rank=max; v" in g.source  # the head is pinned to the last rank
    back = viz.graph(w, locals(), direction="backward")
    nodes, bedges = parse_dot(back.source)
    ids = {lab: i for i, (lab, _) in nodes.items()}
    assert ids["∂w/∂x"] and ids["∂w/∂u"]  # boxes stand for gradients
    kedge = [e for e in bedges if e[0] == ids["k"]]
    assert kedge and all("dir=none" in e[2] and "dashed" in e[2] for e in kedge)
    xedges = [e for e in bedges if e[0] == ids["∂w/∂x"]]
    assert len(xedges) == 2 and all("dir=back" in e[2] for e in xedges)
    assert "style=dashed" in node_attrs(back.source, "k")  # data gets no gradient
    assert "no gradient: k (data)" in back.text
    assert "∂w/∂x (2,) <- exp(∂w/∂u) + sin(∂w/∂#1) sum of 2" in lines(back.text)


# ---- a plugin operator ---------------------------------------------------------------------

@pytest.fixture
def cube_op():
    @register_op
    @attrs.frozen
    class Cube(Op):
        """y = x**3.   VJP: dx = 3 x**2 g"""

        name = "_test_viz_cube"
        expose = False
        saves = ("x0",)

        def forward(self, x):
            return x ** 3, (x,)

        def vjp(self, res, g):
            return (3 * res[0] ** 2 * g,)

        @classmethod
        def samples(cls, rng):
            return [(cls(), [rng.normal(size=(3,))])]

    yield Cube
    OPS.unregister(Cube.name)


def test_plugin_operator_is_drawn_by_name_with_its_rule(cube_op):
    x = nd.array([1.0, 2.0])
    x.attach_grad()
    with autograd.record():
        y = invoke(cube_op(), [x])
    g = viz.graph(y, {"x": x, "y": y})
    assert labelled_edges(g.source) == Counter({("x", "test_viz_cube"): 1,
                                                ("test_viz_cube", "y"): 1})
    assert 'tooltip="y = x**3.   VJP: dx = 3 x**2 g"' in g.source
    relabelled = viz.graph(y, {"x": x, "y": y}, ops={"_test_viz_cube": "³"})
    assert ("x", "³") in labelled_edges(relabelled.source)
    assert "y (2,) = ³(x) _test_viz_cube" in lines(relabelled.text)


# ---- Functions -----------------------------------------------------------------------------

class Sigmoid(autograd.Function):
    """y = 1 / (1 + exp(-x)).   VJP: dx = g y (1 - y)"""

    def forward(self, x):
        y = 1 / (1 + nd.exp(-x))
        self.save_for_backward(y)
        return y

    def backward(self, dy):
        (y,) = self.saved_tensors
        return dy * y * (1 - y)


class SplitSigns(autograd.Function):
    """p, n = relu(x), relu(-x).   VJP: dx = dp [x > 0] - dn [x < 0]"""

    def forward(self, x):
        self.save_for_backward(x)
        return nd.relu(x), nd.relu(-x)

    def backward(self, dp, dn):
        (x,) = self.saved_tensors
        return dp * (x > 0) - dn * (x < 0)


def test_function_node_is_one_circle_named_after_the_class():
    x = nd.array([0.0, 1.0])
    x.attach_grad()
    with autograd.record():
        m = Sigmoid()(x)
        J = m.sum()
    g = viz.graph(J, locals())
    assert labelled_edges(g.source)[("x", "Sigmoid")] == 1
    assert labelled_edges(g.source)[("Sigmoid", "m")] == 1
    assert 'tooltip="y = 1 / (1 + exp(-x)).   VJP: dx = g y (1 - y)"' in g.source


def test_multi_output_function_draws_both_outputs_off_one_circle():
    x = nd.array([-1.0, 2.0])
    x.attach_grad()
    with autograd.record():
        p, n = SplitSigns()(x)
        J = p + n
    g = viz.graph(J, {"x": x, "p": p, "n": n, "J": J})
    edges = labelled_edges(g.source)
    assert edges[("x", "SplitSigns")] == 1
    assert edges[("SplitSigns", "p")] == 1 and edges[("SplitSigns", "n")] == 1
    assert "p (2,) = SplitSigns(x)[0]" in lines(g.text)
    assert "n (2,) = SplitSigns(x)[1]" in lines(g.text)
    nodes, _ = parse_dot(g.source)
    assert len([lab for lab, a in nodes.values() if "shape=box" in a]) == 4  # x, p, n, J


# ---- names ---------------------------------------------------------------------------------

def test_names_match_by_identity_and_skip_private_and_non_arrays():
    W = nd.ones((2, 2))
    W.attach_grad()
    data = nd.ones((2, 1))
    other = nd.ones((2, 1))  # equal values, different array: must not match
    with autograd.record():
        out = nd.dot(W, data)
    names = {"_hidden": out, "n": 3, "W": W, "data": data, "other": other, "out": out}
    text = viz.graph(out, names).text
    assert lines(text)[1:] == ["W (2, 2) parameter", "data (2, 1) data",
                               "out (2, 1) = ×(W, data) dot"]
    with pytest.raises(TypeError, match=r"names must be a mapping \{name: array\}"):
        viz.graph(out, [W])


def test_label_names_results_and_constants():
    c = viz.label(nd.array([2.0]), "c")
    w = nd.array([3.0])
    w.attach_grad()
    with autograd.record():
        p = viz.label(w * c, "p")
        q = p + 2
    text = lines(viz.graph(q).text)
    assert "c (1,) data" in text
    assert "p (1,) = *(var0, c) broadcast_mul" in text
    assert "#1 (1,) = +2(p) _plus_scalar(scalar=2)" in text
    # a name passed in the mapping wins over the label
    assert "w (1,) parameter" in lines(viz.graph(q, {"w": w}).text)
    with pytest.raises(TypeError, match="label\\(\\) names an NDArray"):
        viz.label(np.ones(2), "x")


def test_scalar_operators_show_their_scalar():
    x = nd.array([1.0])
    x.attach_grad()
    with autograd.record():
        y = (2 - x * 0.5) ** 3 / 4
    src = viz.to_dot(y)
    labels = {lab for lab, a in parse_dot(src)[0].values() if "circle" in a}
    assert labels == {"×0.5", "2−", "^3", "÷4"}


# ---- the book's model (d2l 3.14, Figure 3.6) -----------------------------------------------

FIGURE_3_6 = Counter({("x", "×"): 1, ("W1", "×"): 1, ("×", "z"): 1, ("z", "φ"): 1,
                      ("φ", "h"): 1, ("h", "×"): 1, ("W2", "×"): 1, ("×", "o"): 1,
                      ("o", "ℓ"): 1, ("y", "ℓ"): 1, ("ℓ", "L"): 1, ("W1", "L2"): 1,
                      ("W2", "L2"): 1, ("L2", "s"): 1, ("s", "+"): 1, ("L", "+"): 1,
                      ("+", "J"): 1})


def test_book_model_collapsed_is_figure_3_6():
    names, tape = book_model()
    g = viz.graph(names["J"], names, collapse=True, ops={"h": "φ", "L": "ℓ", "s": "L2"})
    assert labelled_edges(g.source) == FIGURE_3_6
    for p in ("W1", "W2"):
        assert f'style=filled, fillcolor="{viz.PARAM_FILL}"' in node_attrs(g.source, p)
    for v in ("x", "y", "z", "h", "o", "L", "s"):
        assert "style=filled" not in node_attrs(g.source, v)
    assert "rankdir=LR" in g.source
    # the source lists the head first and the inputs last: dot puts them bottom-left
    order = [lab for lab, a in parse_dot(g.source)[0].values() if "shape=box" in a]
    assert order[0] == "J" and order[-1] == "W1"
    assert viz.graph(tape, names, collapse=True).source.count("shape=circle") == 6
    assert viz.graph(tape, names).source.count("shape=circle") == 14  # every operator


def test_book_model_backward_gradients_in_labels_match_backward():
    names, tape = book_model()
    g = viz.graph(tape, names, direction="backward", grads=True, shapes=False)
    assert "∂J/∂W2" in g.source and "∂J/∂z" in g.source
    assert "dir=back" in g.source
    # the graph survives (retained) and no .grad was written
    assert not names["W1"].grad.asnumpy().any()
    names["J"].backward()
    w2 = np.round(names["W2"].grad.asnumpy() + 0.0, 3)
    label = [lab for lab, a in parse_dot(g.source)[0].values() if lab == "∂J/∂W2"]
    assert label
    full = re.search(r'label="∂J/∂W2\\n([^"]*)"', g.source).group(1)
    got = np.array([float(t) for t in re.findall(r"-?\d+\.\d*", full)]).reshape(w2.shape)
    np.testing.assert_allclose(got, w2, atol=1e-3)
    lines = {ln.split()[0]: ln for ln in g.text.splitlines()[1:] if ln.startswith("  ∂")}
    assert "sum of 2" in lines["∂J/∂W2"] and "sum of 2" in lines["∂J/∂W1"]
    assert "sum of" not in lines["∂J/∂o"]


def test_after_backward_grads_come_from_the_grad_buffers():
    names, tape = book_model()
    names["J"].backward()
    g = viz.graph(tape, names, grads=True, values=True)
    line = [ln for ln in g.text.splitlines() if ln.startswith("  W2 ")][0]
    first = f"{names['W2'].grad.asnumpy()[0, 0] + 0.0:.3f}"
    assert f"grad [[{first}" in line.replace("[[ ", "[[")
    assert "value [[" in line
    zline = [ln for ln in g.text.splitlines() if ln.startswith("  z ")][0]
    assert "grad" not in zline  # freed graph: intermediate gradients are gone


def test_values_shown_for_named_arrays():
    x = nd.array([1.0, -2.0])
    x.attach_grad()
    with autograd.record():
        y = x * 2
    g = viz.graph(y, {"x": x, "y": y}, values=True)
    assert 'label="y\\n(2,)\\n[ 2. -4.]"' in g.source


# ---- options and errors --------------------------------------------------------------------

def test_layout_options_and_bad_arguments():
    a, b, c, _ = reused()
    src = viz.to_dot(c, rankdir="BT", title='the "graph"')
    assert "rankdir=BT" in src and 'label="the \\"graph\\""' in src and "labelloc=t" in src
    with pytest.raises(ValueError, match="direction must be 'forward' or 'backward'"):
        viz.graph(c, direction="up")
    with pytest.raises(ValueError, match="rankdir must be one of"):
        viz.graph(c, rankdir="XY")
    with pytest.raises(MinigluonError, match="nothing was recorded"):
        viz.graph(nd.ones((2,)))
    with pytest.raises(TypeError, match="expected a Tape or NDArrays"):
        viz.graph("J")


def test_print_tape_prints_the_listing(capsys):
    a, b, c, _ = reused()
    viz.print_tape(c, {"a": a})
    assert capsys.readouterr().out.startswith("forward graph: 1 input, 2 operators, head #1")


# ---- rendering -----------------------------------------------------------------------------

def have_renderer():
    try:
        viz.dot_command()
    except MinigluonError:
        return False
    return True


needs_dot = pytest.mark.skipif(not have_renderer(),
                               reason="no dot renderer: pip install graphviz-pure")


@needs_dot
def test_render_svg_and_png_atomically(tmp_path):
    names, _ = book_model()
    g = viz.graph(names["J"], names, collapse=True)
    svg = g.render(tmp_path / "f.svg")
    png = g.render(tmp_path / "f.png")
    assert svg.read_text().lstrip().startswith(("<?xml", "<svg"))
    assert "<svg" in svg.read_text()
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(os.listdir(tmp_path)) == ["f.png", "f.svg"]  # no temporary files left
    html = g._repr_html_()
    assert html.startswith('<div class="minigluon-graph" style="overflow-x: auto; '
                           'max-width: 100%"><svg style="max-width: none" ')
    assert html.endswith("</svg>\n</div>") and html.count("<svg") == 1
    assert html.count("<ellipse") + html.count("<circle") >= 6
    with pytest.raises(ValueError, match="format must be 'svg' or 'png'"):
        g.render(tmp_path / "f.pdf")


def test_missing_renderer_names_what_to_install(monkeypatch, tmp_path):
    monkeypatch.delenv("MINIGLUON_DOT", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(sysconfig, "get_path", lambda name: str(tmp_path))
    with pytest.raises(MinigluonError, match="pip install graphviz-pure"):
        viz.dot_command()
    a, b, c, _ = reused()
    g = viz.graph(c)
    assert g._repr_svg_() is None
    assert "pip install graphviz-pure" in g._repr_html_() and "<pre>" in g._repr_html_()
    with pytest.raises(MinigluonError, match="no dot renderer found"):
        g.render(tmp_path / "x.svg")
    assert not (tmp_path / "x.svg").exists()
    monkeypatch.setenv("MINIGLUON_DOT", "/nonexistent/dot")
    with pytest.raises(MinigluonError, match="MINIGLUON_DOT is set to '/nonexistent/dot'"):
        viz.dot_command()


def test_renderer_from_environment_variable(monkeypatch, tmp_path):
    fake = tmp_path / "fakedot"
    fake.write_text("#!/bin/sh\ncat > /dev/null\nprintf '<?xml version=\"1.0\"?><svg>ok</svg>'\n")
    fake.chmod(0o755)
    monkeypatch.setenv("MINIGLUON_DOT", str(fake))
    assert viz.dot_command() == str(fake)
    a, b, c, _ = reused()
    assert viz.graph(c).svg() == "<svg>ok</svg>"
