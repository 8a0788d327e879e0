"""The memory table (minigluon.viz.memory): saved arrays, aliasing, totals, and the peak
memory of backward."""

import attrs
import numpy as np
import pytest

from minigluon import autograd, nd, viz
from minigluon.ndarray.ndarray import invoke
from minigluon.ops import OPS, Op, register_op


def book_model(lam=0.1):
    rng = np.random.default_rng(0)
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
    return dict(x=x, y=y, W1=W1, W2=W2, z=z, h=h, o=o, L=L, s=s, J=J), tape


def rows(report):
    return [(r.node, r.op, r.slot, r.shape, r.nbytes, r.what, r.shared_with, r.extra_bytes)
            for r in report.rows]


def test_book_model_table():
    v, tape = book_model()
    rep = viz.memory(tape, v)
    assert rows(rep) == [
        ("z", "dot", "x0", (4, 3), 48, "input W1", None, 48),
        ("z", "dot", "x1", (3, 1), 12, "input x", None, 12),
        ("h", "relu", "y", (4, 1), 16, "output h", None, 16),
        ("o", "dot", "x0", (2, 4), 32, "input W2", None, 32),
        ("o", "dot", "x1", (4, 1), 16, "input h", "h.y", 0),  # relu kept h already
        ("#4", "_power_scalar", "x0", (2, 1), 8, "input #3", None, 8),
        ("#7", "_power_scalar", "x0", (4, 3), 48, "input W1", "z.x0", 0),
        ("#9", "_power_scalar", "x0", (2, 4), 32, "input W2", "o.x0", 0),
    ]
    assert rep.naive_bytes == 212
    assert rep.distinct_bytes == 116 == tape.saved_bytes
    assert all(r.dtype == "float32" for r in rep.rows)
    assert rep.peak_bytes is not None and rep.peak_bytes > rep.distinct_bytes
    text = repr(rep)
    assert text.splitlines()[0].split() == ["node", "op", "slot", "shape", "dtype", "bytes",
                                            "holds", "adds"]
    assert "input h (= h.y)" in text
    assert text.splitlines()[9] == (f"saved: 8 arrays, 212 B summed, 116 B distinct; peak "
                                    f"during backward: {rep.peak_bytes} B")
    # the legend names the slots and kinds of entry this table has, and no others
    assert text.splitlines()[10:] == [
        "columns: node = the result whose backward needs the array; op = its operator",
        "  slot (where the operator keeps it): x0, x1... = its inputs; y = its output",
        "  holds: input/output <name> = that array itself; (= node.slot) = an earlier row's "
        "buffer",
        "  adds: bytes not already held by an earlier row (summed: the distinct bytes)"]
    # from the head, the same table (rows in the head's dependency order)
    assert viz.memory(v["J"], v).distinct_bytes == 116


def test_memory_keeps_the_graph_and_writes_no_grad():
    v, tape = book_model()
    viz.memory(tape, v)
    assert not v["W1"].grad.asnumpy().any()
    v["J"].backward()  # still differentiable
    w = book_model()[0]
    w["J"].backward()
    np.testing.assert_array_equal(v["W1"].grad.asnumpy(), w["W1"].grad.asnumpy())
    after = viz.memory(tape, v)  # backward freed everything
    assert after.rows == () and after.distinct_bytes == 0
    assert after.freed and after.peak_bytes is None
    assert "n/a (the graph was freed by backward)" in repr(after)


def test_peak_of_a_chain_by_hand():
    # J = sum(exp(exp(x))), x of 10 float64 (80 B). exp keeps its output: y1 and y2.
    # before: y1 + y2 + seed = 168; at sum: + its VJP's output, a broadcast view of the
    # seed (no new bytes) = 168; at y2 = exp(y1): y1, y2, g (the 8 B seed under the view)
    # and g * y2 (80) = 248; at y1: y1, g (80), g * y1 (80) = 240; at x: 80.
    x = nd.array(np.linspace(-1, 1, 10), dtype="float64")
    x.attach_grad()
    with autograd.record():
        J = nd.exp(nd.exp(x)).sum()
    rep = viz.memory(J, {"x": x})
    assert [(r.node, r.what, r.nbytes) for r in rep.rows] == [
        ("#0", "output #0", 80), ("#1", "output #1", 80)]
    assert rep.distinct_bytes == 160
    assert rep.peak_bytes == 248


def test_dropped_gradient_of_data_counts_in_the_peak():
    W = nd.ones((2, 3))
    W.attach_grad()
    x = nd.ones((3, 1))
    with autograd.record():
        h = nd.relu(nd.dot(W, x))
        J = (h * h).sum()
    # at dot: W and x (36 B) saved, g (8) and dW (24); dot computes no gradient for the
    # data x
    assert viz.memory(J).peak_bytes == 72


def test_reused_node_saved_twice_costs_once():
    a = nd.array([1.0, 2.0, 3.0])
    a.attach_grad()
    with autograd.record() as tape:
        b = a + a
        c = b * b
    rep = viz.memory(tape, {"a": a, "b": b, "c": c})
    assert rows(rep) == [("c", "broadcast_mul", "x0", (3,), 12, "input b", None, 12),
                         ("c", "broadcast_mul", "x1", (3,), 12, "input b", "c.x0", 0)]
    assert (rep.naive_bytes, rep.distinct_bytes) == (24, 12) == (24, tape.saved_bytes)


def test_prediction_saves_nothing():
    W = nd.ones((4, 3))
    W.attach_grad()
    x = nd.ones((3, 2))
    with autograd.predict_mode():
        J = nd.relu(nd.dot(W, x)).sum()
    rep = viz.memory(J)
    assert rep.rows == () and rep.naive_bytes == rep.distinct_bytes == rep.peak_bytes == 0
    assert repr(rep).splitlines()[0] == "nothing saved for backward"
    with autograd.record(train_mode=False) as tape:  # recording, but nothing needs grad
        nd.relu(nd.dot(nd.ones((4, 3)), x))
    assert len(tape) == 0 and viz.memory(tape).peak_bytes == 0


@pytest.fixture
def flat_ops():
    """Two plugin operators that say nothing about their residuals (saves=None): one
    keeps a flat view of its input, the other the input itself."""

    @register_op
    @attrs.frozen
    class KeepFlat(Op):
        """y = 2 x.   VJP: dx = 2 g (keeps a flat view of x, for the test)"""

        name = "_test_mem_keepflat"
        expose = False

        def forward(self, x):
            return 2 * x, (x.reshape(-1),)

        def vjp(self, res, g):
            return (2 * g,)

        @classmethod
        def samples(cls, rng):
            return [(cls(), [rng.normal(size=(2, 2))])]

    @register_op
    @attrs.frozen
    class Square(Op):
        """y = x**2.   VJP: dx = 2 x g"""

        name = "_test_mem_square"
        expose = False

        def forward(self, x):
            return x * x, (x, np.ones(3))

        def vjp(self, res, g):
            return (2 * res[0] * g,)

        @classmethod
        def samples(cls, rng):
            return [(cls(), [rng.normal(size=(2, 2))])]

    yield KeepFlat, Square
    for c in (KeepFlat, Square):
        OPS.unregister(c.name)


def test_plugin_residuals_are_matched_by_buffer(flat_ops):
    KeepFlat, Square = flat_ops
    x = nd.ones((2, 2))
    x.attach_grad()
    with autograd.record():
        a = invoke(KeepFlat(), [x])
        b = invoke(Square(), [x])
        J = (a + b).sum()
    rep = viz.memory(J, locals())
    assert rows(rep) == [
        ("a", "_test_mem_keepflat", "res0", (4,), 16, "input x", None, 16),
        ("b", "_test_mem_square", "res0", (2, 2), 16, "input x", "a.res0", 0),
        ("b", "_test_mem_square", "res1", (3,), 24, "new", None, 24),
    ]
    assert rep.distinct_bytes == 40


class Cube(autograd.Function):
    def forward(self, x):
        self.save_for_backward(x)
        return x ** 3

    def backward(self, dy):
        (x,) = self.saved_tensors
        return 3 * x ** 2 * dy


def test_function_saved_tensors_are_counted():
    x = nd.array([1.0, 2.0])
    x.attach_grad()
    with autograd.record() as tape:
        c = Cube()(x)
    rep = viz.memory(tape, {"x": x, "c": c})
    assert rows(rep) == [("c", "Cube", "saved_tensors[0]", (2,), 8, "input x", None, 8)]
    c.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [3.0, 12.0])
