"""Step-by-step backward (minigluon.explain) and checking a hand derivation against the
tape."""

import re

import attrs
import numpy as np
import pytest

from minigluon import autograd, nd
from minigluon.base import MinigluonError
from minigluon.explain import check_derivation, explain, explain_steps
from minigluon.ndarray.ndarray import invoke
from minigluon.ops import OPS, Op, get_op, register_op


def book_model(seed=0, lam=0.1, loss="squared", grad_req="write"):
    """d2l 3.14: z = W1 x, h = relu(z), o = W2 h, L = loss(o, y), s = λ/2 (|W1|² + |W2|²)."""
    rng = np.random.default_rng(seed)
    x = nd.array(rng.normal(size=(3, 1)))
    W1 = nd.array(rng.normal(size=(4, 3)))
    W2 = nd.array(rng.normal(size=(2, 4)))
    W1.attach_grad(grad_req)
    W2.attach_grad(grad_req)
    label = nd.array([1])
    y = nd.array([[1.0], [0.0]])
    with autograd.record():
        z = nd.dot(W1, x)
        h = nd.relu(z)
        o = nd.dot(W2, h)
        if loss == "squared":
            L = ((o - y) ** 2).sum() / 2
        else:
            L = nd.softmax_cross_entropy(o.reshape((1, 2)), label)
        s = lam / 2 * ((W1 ** 2).sum() + (W2 ** 2).sum())
        J = L + s
    return dict(x=x, y=y, W1=W1, W2=W2, z=z, h=h, o=o, L=L, s=s, J=J)


def grads_by_backward(**kw):
    v = book_model(**kw)
    v["J"].backward()
    return v["W1"].grad.asnumpy(), v["W2"].grad.asnumpy()


@pytest.mark.parametrize("loss", ["squared", "ce"])
def test_stepping_leaves_the_same_grad_as_backward(loss):
    v = book_model(loss=loss)
    steps = list(explain_steps(v["J"], v))
    w1, w2 = grads_by_backward(loss=loss)
    np.testing.assert_array_equal(v["W1"].grad.asnumpy(), w1)
    np.testing.assert_array_equal(v["W2"].grad.asnumpy(), w2)
    assert [s.index for s in steps] == list(range(1, len(steps) + 1))
    assert steps[0].label == "J" and steps[0].sources == ("head gradient",)
    # the graph is freed as backward would free it
    with pytest.raises(MinigluonError, match="retain_graph=True"):
        v["J"].backward()


def test_book_model_w2_receives_two_contributions_that_are_summed():
    v = book_model()
    ex = explain(v["J"], v)
    w2 = ex["W2"]
    assert w2.summed and sorted(w2.sources) == ["#9", "o"]  # #9 = W2 ** 2 in s
    assert w2.op == "variable" and w2.stored == "written to W2.grad (grad_req='write')"
    assert set(ex.summed) == {"W1", "W2"}
    o = ex["o"]
    assert o.equation == "o = dot(W2, h)"
    assert o.rule == get_op("dot")().rule
    assert o.g_shape == (2, 1) and not o.summed
    assert [(c.to, c.input, c.shape, c.kept) for c in o.sends] == [
        ("W2", "lhs", (2, 4), True), ("h", "rhs", (4, 1), True)]
    z = ex["z"]
    assert [(c.to, c.kept) for c in z.sends] == [("W1", True), ("x", False)]
    assert "nothing to x [rhs]" in str(z)  # dot skips the gradient of data
    # the gradient at each node is dJ/d(node): check the section's formulas
    lam = 0.1
    x, h = v["x"].asnumpy(), v["h"].asnumpy()
    W1, W2 = v["W1"].asnumpy(), v["W2"].asnumpy()
    dJ_do = v["o"].asnumpy() - v["y"].asnumpy()
    np.testing.assert_allclose(o.g, dJ_do, rtol=1e-6)
    dJ_dz = (W2.T @ dJ_do) * (v["z"].asnumpy() > 0)
    np.testing.assert_allclose(z.g, dJ_dz, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(w2.g, dJ_do @ h.T + lam * W2, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(ex["W1"].g, dJ_dz @ x.T + lam * W1, rtol=1e-5, atol=1e-7)
    # execution order: every node comes after all the nodes that use it
    pos = {s.label: s.index for s in ex}
    assert pos["J"] < pos["o"] < pos["h"] < pos["z"] < pos["W1"]
    assert pos["s"] < pos["#9"] < pos["W2"] and pos["o"] < pos["W2"]


def test_listing_and_table_text():
    v = book_model()
    ex = explain(v["J"], v)
    text = repr(ex)
    assert text.splitlines()[0] == "backward of J: 16 steps in execution order"
    assert ("    gets ∂J/∂W2 (2, 4) = sum of 2 contributions, from #9, o" in text)
    assert "    rule: y = max(x, 0).   VJP: dx = g * [y > 0] (0 at x = 0)" in text
    table = ex.table().splitlines()
    assert table[0].split() == ["step", "node", "op", "∂J/∂node", "from", "sends", "to"]
    w2 = [ln for ln in table if ln.split()[1] == "W2"][0]
    assert w2.split()[:6] == ["15", "W2", "variable", "(2,", "4)", "#9"]
    assert "#9 + o" in w2 and "written to W2.grad" in w2
    with pytest.raises(KeyError, match="no step for a node named 'nope'"):
        ex["nope"]


# ---- graphs other than the book's -----------------------------------------------------------

def test_reused_node():
    a = nd.array([1.0, 2.0])
    a.attach_grad()
    with autograd.record():
        b = a + a
        c = b + b
    ex = explain(c, {"a": a, "b": b, "c": c})
    assert [s.label for s in ex] == ["c", "b", "a"]
    assert ex["b"].sources == ("c", "c") and ex["b"].summed
    assert ex["a"].sources == ("b", "b")
    assert [(s.to, s.input) for s in ex["c"].sends] == [("b", "lhs"), ("b", "rhs")]
    np.testing.assert_array_equal(a.grad.asnumpy(), [4.0, 4.0])
    np.testing.assert_array_equal(ex["a"].g, [4.0, 4.0])


def test_branch_and_grad_req_add():
    x = nd.array([0.5, -1.0])
    x.attach_grad(grad_req="add")
    with autograd.record():
        u = nd.exp(x)
        v = nd.sin(x)
        w = (u * v).sum()
    ex = explain(w, locals(), retain_graph=True)
    assert sorted(ex["x"].sources) == ["u", "v"]
    assert ex["x"].stored == "added to x.grad (grad_req='add')"
    once = x.grad.asnumpy().copy()
    xs = np.array([0.5, -1.0], dtype=np.float32)
    np.testing.assert_allclose(once, np.exp(xs) * (np.sin(xs) + np.cos(xs)), rtol=1e-6)
    explain(w)  # retained graph: a second pass works and adds
    np.testing.assert_allclose(x.grad.asnumpy(), 2 * once, rtol=1e-6)


def test_head_grads_and_unnamed_labels():
    x = nd.array([1.0, 2.0])
    x.attach_grad()
    with autograd.record():
        y = x * x
    ex = explain(y, head_grads=nd.array([1.0, 10.0]))
    np.testing.assert_allclose(x.grad.asnumpy(), [2.0, 40.0])
    assert [s.label for s in ex] == ["#0", "var0"]
    assert ex[0].equation == "#0 = broadcast_mul(var0, var0)"
    assert ex.head == "#0"


def test_variable_with_grad_req_null_and_unreached_variable():
    a = nd.array([1.0])
    b = nd.array([2.0])
    a.attach_grad()
    b.attach_grad(grad_req="null")
    with autograd.record():
        y = a * b
    ex = explain(y, {"a": a, "b": b})
    assert ex["b"].stored == "not stored (grad_req='null')"
    assert ex["a"].stored == "written to a.grad (grad_req='write')"


@pytest.fixture
def clipped_op():
    @register_op
    @attrs.frozen
    class Clip01(Op):
        """y = min(max(x, 0), 1).   VJP: dx = g [0 < x < 1]"""

        name = "_test_explain_clip01"
        expose = False

        def forward(self, x):
            return np.clip(x, 0, 1), (x,)

        def vjp(self, res, g):
            (x,) = res
            return (g * ((x > 0) & (x < 1)),)

        @classmethod
        def samples(cls, rng):
            return [(cls(), [rng.uniform(0.1, 0.9, size=(3,))])]

    yield Clip01
    OPS.unregister(Clip01.name)


def test_plugin_operator_shows_its_own_rule(clipped_op):
    x = nd.array([-0.5, 0.5, 2.0])
    x.attach_grad()
    with autograd.record():
        y = invoke(clipped_op(), [x])
    ex = explain(y, {"x": x, "y": y})
    assert ex["y"].rule == "y = min(max(x, 0), 1).   VJP: dx = g [0 < x < 1]"
    assert ex["y"].equation == "y = _test_explain_clip01(x)"
    np.testing.assert_array_equal(x.grad.asnumpy(), [0.0, 1.0, 0.0])


class Cube(autograd.Function):
    """y = x**3.   VJP: dx = 3 x**2 dy"""

    def forward(self, x):
        self.save_for_backward(x)
        return x ** 3

    def backward(self, dy):
        (x,) = self.saved_tensors
        return 3 * x ** 2 * dy


class SplitSigns(autograd.Function):
    """p, n = relu(x), relu(-x)."""

    def forward(self, x):
        self.save_for_backward(x)
        return nd.relu(x), nd.relu(-x)

    def backward(self, dp, dn):
        (x,) = self.saved_tensors
        return dp * (x > 0) - dn * (x < 0)


def test_function_nodes():
    x = nd.array([1.0, -2.0])
    x.attach_grad()
    with autograd.record():
        c = Cube()(x)
        p, n = SplitSigns()(x)
        J = (c + p * 2 + n * 3).sum()
    ex = explain(J, locals())
    assert ex["c"].rule == "y = x**3.   VJP: dx = 3 x**2 dy"
    assert ex["c"].equation == "c = Cube(x)"
    assert ex["x"].sources == ("#1", "c")  # #1: the SplitSigns node, c: the Cube node
    assert ex["#1"].equation == "#1 = SplitSigns(x)"
    assert ex["#1"].sources == ("n", "p")  # its two outputs' gradients, merged
    assert [(s.to, s.input, s.shape) for s in ex["#1"].sends] == [("x", "x", (2,))]
    assert ex["p"].rule == "gradient of output 0" and ex["p"].equation == "p = output0(#1)"
    np.testing.assert_allclose(x.grad.asnumpy(), [3.0 + 2.0, 12.0 - 3.0])


def test_stopping_early_leaves_unvisited_variables_alone():
    v = book_model()
    it = explain_steps(v["J"], v)
    first = [next(it) for _ in range(3)]
    it.close()
    assert [s.label for s in first] == ["J", "s", "#11"]
    assert not v["W1"].grad.asnumpy().any() and not v["W2"].grad.asnumpy().any()


def test_not_recorded_head_is_refused():
    with pytest.raises(MinigluonError, match="not in a computational graph"):
        explain(nd.ones((2,)))


# ---- check_derivation ------------------------------------------------------------------------

def forward_with_bias(x, y, W1, b1, W2, b2, lam):
    z = nd.dot(W1, x) + b1
    h = nd.relu(z)
    o = nd.dot(W2, h) + b2
    L = ((o - y) ** 2).sum() / 2
    s = lam / 2 * ((W1 ** 2).sum() + (W2 ** 2).sum())
    J = L + s
    return locals()


HAND_WITH_BIAS = {
    "o": lambda v, d: v.o - v.y,
    "b2": lambda v, d: d.o,
    "W2": lambda v, d: d.o @ v.h.T + v.lam * v.W2,
    "h": lambda v, d: v.W2.T @ d.o,
    "z": lambda v, d: d.h * (v.z > 0),
    "b1": lambda v, d: d.z,
    "W1": lambda v, d: d.z @ v.x.T + v.lam * v.W1,
}


def bias_inputs(seed=1):
    rng = np.random.default_rng(seed)
    return dict(x=rng.normal(size=(3, 1)), y=np.array([[1.0], [0.0]]),
                W1=rng.normal(size=(4, 3)), b1=rng.normal(size=(4, 1)),
                W2=rng.normal(size=(2, 4)), b2=rng.normal(size=(2, 1)), lam=0.3)


def test_derivation_with_biases_matches():
    inputs = bias_inputs()
    before = {k: np.copy(v) for k, v in inputs.items()}
    report = check_derivation(forward_with_bias, inputs, HAND_WITH_BIAS)
    assert report.ok and bool(report)
    assert [r.name for r in report.rows] == list(HAND_WITH_BIAS)
    assert all(r.max_abs_diff < 1e-12 for r in report.rows)
    assert report["b1"].shape == (4, 1) and report["W2"].shape == (2, 4)
    np.testing.assert_allclose(report["b2"].tape, report["o"].tape)
    assert repr(report).splitlines()[-1] == "all gradients match"
    for k, v in before.items():  # the caller's arrays are untouched
        np.testing.assert_array_equal(inputs[k], v)


def test_wrong_derivations_are_reported():
    hand = dict(HAND_WITH_BIAS)
    hand["b1"] = lambda v, d: d.h  # forgot φ'(z)
    hand["W1"] = lambda v, d: d.z @ v.x.T  # forgot λ W1
    hand["b2"] = lambda v: (v.o - v.y).ravel()  # one argument is fine; wrong shape is not
    report = check_derivation(forward_with_bias, bias_inputs(), hand)
    assert not report.ok
    rows = {r.name: r for r in report.rows}
    assert not rows["b1"].ok and not rows["W1"].ok and not rows["b2"].ok
    assert rows["W2"].ok and rows["z"].ok
    assert "your gradient has shape (2,), the tape's (2, 1)" in rows["b2"].note
    assert rows["W1"].note.startswith("largest difference at (")
    w1 = rows["W1"]
    expected = float(np.max(np.abs(0.3 * bias_inputs()["W1"])))
    assert w1.max_abs_diff == pytest.approx(expected, rel=1e-9)
    text = repr(report)
    assert "first wrong formula in backward order: ∂J/∂b2." in text and "NO" in text


def test_derivation_softmax_cross_entropy_without_penalty():
    def forward(x, label, W1, W2):
        h = nd.relu(nd.dot(x, W1))
        o = nd.dot(h, W2)
        J = nd.softmax_cross_entropy(o, label)
        return dict(h=h, o=o, J=J)

    def softmax(a):
        e = np.exp(a - a.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    rng = np.random.default_rng(2)
    inputs = dict(x=rng.normal(size=(2, 3)), label=np.array([0, 2]),
                  W1=rng.normal(size=(3, 4)), W2=rng.normal(size=(4, 3)))
    hand = {"o": lambda v, d: softmax(v.o) - np.eye(3)[v.label.astype(int)],
            "W2": lambda v, d: v.h.T @ d.o}
    report = check_derivation(forward, inputs, hand)
    assert report.ok, repr(report)


def test_derivation_errors_are_clear():
    inputs = bias_inputs()
    with pytest.raises(ValueError, match="hand formulas for 'q': forward has no array"):
        check_derivation(forward_with_bias, inputs, {"q": lambda v: 0})
    with pytest.raises(TypeError, match="forward must return a mapping"):
        check_derivation(lambda x: x * 2, {"x": [1.0]}, {})
    with pytest.raises(ValueError, match="no recorded array named 'K'"):
        check_derivation(forward_with_bias, inputs, {}, head="K")
    # a name the head does not depend on
    def fwd(a, b):
        c = a * 2
        return dict(a=a, b=b, c=c)
    report = check_derivation(fwd, {"a": [1.0], "b": [2.0]}, {"b": lambda v: v.b})
    assert not report.ok and "sends no gradient to b" in report["b"].note


# ---- gradient checks that explain (minigluon.testing) ---------------------------------------

@pytest.fixture
def half_square_op():
    @register_op
    @attrs.frozen
    class HalfSquare(Op):
        """y = x**2.   VJP: dx = g x (wrong on purpose: the 2 is missing)"""

        name = "_test_explain_halfsquare"
        expose = False

        def forward(self, x):
            return x * x, (x,)

        def vjp(self, res, g):
            return (g * res[0],)

        @classmethod
        def samples(cls, rng):
            return [(cls(), [np.array([[1.0, 2.0], [3.0, 4.0]])])]

    yield HalfSquare
    OPS.unregister(HalfSquare.name)


def test_report_lists_worst_elements_with_both_values(half_square_op):
    from minigluon.testing import check_op

    (report,) = check_op(half_square_op.name)
    assert not report.ok and report.checked == 4
    assert len(report.worst) == 3
    errs = [m.abs_err for m in report.worst]
    assert errs == sorted(errs, reverse=True)
    assert report.max_abs_err == pytest.approx(errs[0])
    for m in report.worst:  # the tape's value is half the true one everywhere
        assert m.input == 0 and len(m.index) == 2
        assert m.numeric == pytest.approx(2 * m.analytic, rel=1e-6)
    text = repr(report)
    # the 2x2 sample's output has 4 elements: the whole Jacobian, its 4 nonzero entries
    # (the diagonal) listed in index order, the 12 zero ones counted
    assert [str(m).split(":")[0] for m in report.elements] == [
        f"input 0 at {i}, output {i}" for i in [(0, 0), (0, 1), (1, 0), (1, 1)]]
    assert report.zeros == 12 and report.total == 16
    assert text.splitlines()[1] == "  input 0 at (0, 0), output (0, 0): tape 1, numeric 2 " \
        "(abs err 1.00e+00)"
    assert "(12 Jacobian entries are 0 in both, not shown)" in text
    assert "hint: the errors are large" in text


def test_passing_report_keeps_its_worst_elements_for_details():
    from minigluon.testing import check_grad

    report = check_grad(lambda a: a * a, [[1.0, 2.0]])
    assert report.ok and len(report.worst) == 2
    assert "input 0 at" not in repr(report)
    assert report.details().count("input 0 at") == 2


def test_command_line_single_op_unknown_op_and_plugins(half_square_op, capsys):
    from minigluon import testing

    assert testing.main(["--op", "relu", "--op", "DOT"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("ok   relu (") and out[1].startswith("ok   dot (")
    assert out[-1] == "2 passed, 0 failed"

    assert testing.main(["--op", "rellu"]) == 2
    assert "no operator named 'rellu'; did you mean relu" in capsys.readouterr().err

    # operators registered outside minigluon count as plugins
    assert testing.main(["--plugins"]) == 1
    out = capsys.readouterr().out
    assert f"FAIL {half_square_op.name} (1 samples) [test_explain]" in out
    assert "MISMATCH" in out and "ok   relu" not in out
    # (other test modules may have registered operators of their own)
    assert re.fullmatch(r"\d+ passed, [1-9]\d* failed", out.splitlines()[-1])

    assert testing.main(["--op", "sigmoid", "-v"]) == 0
    out = capsys.readouterr().out
    assert "GradReport(sigmoid: ok" in out and "input 0 at" in out


def test_command_line_fails_an_operator_without_samples(capsys):
    from minigluon import testing

    @register_op
    @attrs.frozen
    class NoSamples(Op):
        """y = x.   VJP: dx = g"""

        name = "_test_explain_nosamples"
        expose = False

        def forward(self, x):
            return x, ()

        def vjp(self, res, g):
            return (g,)

    try:
        assert testing.main(["--op", NoSamples.name]) == 1
        assert "declares no samples" in capsys.readouterr().out
    finally:
        OPS.unregister(NoSamples.name)


def test_check_all_ops_by_name():
    from minigluon.testing import check_all_ops

    reports = check_all_ops(["relu", "Exp"])
    assert list(reports) == ["relu", "exp"]
    assert all(r.ok for rs in reports.values() for r in rs)
    assert check_all_ops(["relu"], plugins_only=True) == {}


def test_mx_explain_face_is_callable_like_autograd_explain():
    import minigluon as mx

    x = nd.array([1.0, 2.0, 3.0])
    x.attach_grad()
    with autograd.record():
        J = (x * x).sum()
    ex = mx.explain(J)
    assert type(ex).__name__ == "Explanation"
    np.testing.assert_allclose(x.grad.asnumpy(), [2.0, 4.0, 6.0])
    assert mx.explain.explain_steps is not None


def test_one_wrong_formula_does_not_hide_a_second_one():
    """Issue 18: d.<name> is the tape's gradient, so a wrong upstream formula does not
    mark the rows below it wrong, and a second mistake further down is still found."""
    hand = dict(HAND_WITH_BIAS)
    hand["o"] = lambda v, d: v.y - v.o  # sign flipped: the first mistake
    hand["z"] = lambda v, d: d.h  # forgot φ'(z): the second
    report = check_derivation(forward_with_bias, bias_inputs(), hand)
    assert [r.name for r in report.rows if not r.ok] == ["o", "z"]
    assert report.first_wrong == "o"
    np.testing.assert_allclose(report["o"].hand, -report["o"].tape)
    tape_h = report["h"].tape
    np.testing.assert_allclose(report["z"].hand, tape_h)  # judged from the tape's d.h
    assert repr(report).splitlines()[-1].startswith(
        "first wrong formula in backward order: ∂J/∂o.")
    # given in another order, the first wrong one in backward order is still o
    reordered = {k: hand[k] for k in ["W1", "z", "b1", "h", "W2", "b2", "o"]}
    assert check_derivation(forward_with_bias, bias_inputs(), reordered).first_wrong == "o"


def test_a_formula_that_raises_gets_its_own_row_with_the_shapes():
    hand = dict(HAND_WITH_BIAS)
    hand["h"] = lambda v, d: v.W2 @ d.o  # W2 not transposed: (2, 4) @ (2, 1) raises
    hand["W1"] = lambda v, d: d.z @ v.x  # x not transposed: (4, 1) @ (3, 1) raises
    report = check_derivation(forward_with_bias, bias_inputs(), hand)
    assert [r.name for r in report.rows if not r.ok] == ["h", "W1"]
    assert report.first_wrong == "h"
    h = report["h"]
    assert h.hand is None and h.shape == (4, 1) and np.isnan(h.max_abs_diff)
    assert h.note.startswith("your formula raised ValueError: matmul")
    assert h.note.endswith("(it read v.W2 (2, 4), d.o (2, 1)); the tape's gradient has "
                           "shape (4, 1)")
    assert "(it read d.z (4, 1), v.x (3, 1)); the tape's gradient has shape (4, 3)" in \
        report["W1"].note
    assert report["z"].ok and report["b1"].ok  # the rows after h are still judged
    # an unknown name read through d says so
    bad = check_derivation(forward_with_bias, bias_inputs(), {"b2": lambda v, d: d.q})
    assert "d.q: the tape sends no gradient to 'q'" in bad["b2"].note


class _HalfGradSquare(autograd.Function):
    """y = x * x with a backward that forgot the 2."""

    def forward(self, x):
        self.save_for_backward(x)
        return x * x

    def backward(self, dy):
        (x,) = self.saved_tensors
        return dy * x


def test_check_grad_shows_values_a_learner_can_derive_by_hand():
    """Issue 18: no hidden random weights: for a loss, each element is ∂L/∂x[j] itself."""
    from minigluon.testing import check_grad

    x = [[1.0, -2.0], [3.0, 0.5]]
    report = check_grad(lambda a: _HalfGradSquare()(a).sum(), [x])
    assert not report.ok and report.total == 4 and report.zeros == 0
    got = {m.index: (m.analytic, m.numeric) for m in report.elements}
    for (i, j), v in np.ndenumerate(np.array(x)):
        assert got[(i, j)][0] == pytest.approx(v)  # the tape: x
        assert got[(i, j)][1] == pytest.approx(2 * v, rel=1e-6)  # the truth: 2x
    assert "input 0 at (1, 0): tape 3, numeric 6 (abs err 3.00e+00)" in repr(report)
    # a vector output: entries of the Jacobian, with the output element they belong to
    vec = check_grad(lambda a: _HalfGradSquare()(a) * 3, [[1.0, 2.0, 3.0]])
    assert [(m.output, m.index, m.analytic) for m in vec.elements] == [
        ((0,), (0,), 3.0), ((1,), (1,), 6.0), ((2,), (2,), 9.0)]
    assert vec.zeros == 6


def test_check_grad_on_a_large_output_lists_the_worst_elements():
    from minigluon.instruments.gradcheck import JACOBIAN_MAX_OUT, SHOW_ALL
    from minigluon.testing import check_grad

    x = np.linspace(-1, 1, 40).reshape(5, 8)  # 40 outputs > JACOBIAN_MAX_OUT
    assert x.size > JACOBIAN_MAX_OUT
    report = check_grad(lambda a: _HalfGradSquare()(a), [x])
    assert not report.ok and report.total == 40
    assert len(report.elements) == SHOW_ALL and all(m.output is None for m in report.elements)
    errs = [m.abs_err for m in report.elements]
    assert errs == sorted(errs, reverse=True) and errs[0] == pytest.approx(report.max_abs_err)
    text = repr(report)
    assert "values are derivatives of sum(u * y) for a fixed random u" in text
    assert f"the {SHOW_ALL} largest differences shown, {40 - SHOW_ALL} more" in text
