"""``invoke``'s one- and two-input fast paths record exactly what the generic path
(``record_op``) records; and the small protocols the core offers the layers above it."""

from __future__ import annotations

import numpy as np
import pytest

from minigluon import _events, autograd, nd
from minigluon._tape import STATE, Const, Node
from minigluon.base import MinigluonError
from minigluon.ndarray.ndarray import _fast_path_1, _fast_path_2, _wrap, record_op
from minigluon.ops import apply, get_op


def _generic(op, args):
    """invoke's generic path, for any number of inputs."""
    out, res = op.forward(*[a._data for a in args])
    if STATE.recording:
        return record_op(op, res, args, out)
    return _wrap(out, None, args[0]._vc if op.view else [0])


def _same_node(n1: Node | None, n2: Node | None) -> None:
    if n1 is None or n2 is None:
        assert n1 is None and n2 is None
        return
    assert n1.op is n2.op
    assert n1.shape == n2.shape and n1.dtype == n2.dtype
    assert n1.needs == n2.needs
    assert len(n1.parents) == len(n2.parents)
    for p, q in zip(n1.parents, n2.parents):
        assert p is q  # the same node, or the same cached Const record
    assert (n1.vcs is None) == (n2.vcs is None)
    if n1.vcs is not None:
        assert [p for p, _ in n1.vcs] == [p for p, _ in n2.vcs]
        for (p, v), (_, w) in zip(n1.vcs, n2.vcs):
            if p >= 0:  # the inputs' counters are the same lists; each output's is new
                assert v is w
    assert type(n1.res) is type(n2.res) and len(n1.res) == len(n2.res)


def _arrays():
    x = nd.array([[1.0, -2.0, 3.0]])
    w = nd.array([[0.5, 0.5, 2.0]])
    x.attach_grad()
    w.attach_grad()
    data = nd.array([[3.0, 1.0, -1.0]])
    return x, w, data


@pytest.mark.parametrize("recording", [True, False])
@pytest.mark.parametrize("case", ["var", "data", "view", "nores"])
def test_fast_path_1_records_the_generic_node(recording: bool, case: str) -> None:
    x, _, data = _arrays()
    op = {"var": get_op("exp")(), "data": get_op("exp")(),
          "view": get_op("reshape")(shape=(3,)), "nores": get_op("negative")()}[case]
    a = data if case == "data" else x
    with autograd.record() if recording else autograd.pause():
        y1 = _fast_path_1(op, a)
        y2 = _generic(op, [a])
        tape = STATE.tape
    np.testing.assert_array_equal(y1.asnumpy(), y2.asnumpy())
    _same_node(y1._node, y2._node)
    assert (y1._node is None) == (not recording or case == "data")
    assert (y1._vc is a._vc) == (y2._vc is a._vc) == (case == "view")
    if recording and tape is not None and y1._node is not None:
        assert tape.nodes[-2:] == [y1._node, y2._node]


@pytest.mark.parametrize("recording", [True, False])
@pytest.mark.parametrize("pair", ["var-var", "var-data", "data-var", "data-data"])
def test_fast_path_2_records_the_generic_node(recording: bool, pair: str) -> None:
    x, w, data = _arrays()
    left, right = pair.split("-")
    a = x if left == "var" else data
    b = w if right == "var" else nd.array([[1.0, 1.0, 1.0]])
    op = get_op("broadcast_mul")()
    with autograd.record() if recording else autograd.pause():
        y1 = _fast_path_2(op, a, b)
        y2 = _generic(op, [a, b])
    np.testing.assert_array_equal(y1.asnumpy(), y2.asnumpy())
    _same_node(y1._node, y2._node)
    if y1._node is not None:
        consts = [isinstance(p, Const) for p in y1._node.parents]
        assert consts == [left == "data", right == "data"]


def test_the_node_check_can_fail() -> None:
    x, w, _ = _arrays()
    with autograd.record():
        y1 = _fast_path_2(get_op("broadcast_mul")(), x, w)
        y2 = _generic(get_op("broadcast_add")(), [x, w])
    with pytest.raises(AssertionError):
        _same_node(y1._node, y2._node)


# ---- protocols for the layers above the core ---------------------------------------------

def test_events_reach_a_listener_and_stop_after_off() -> None:
    seen = []

    def listener(x, how):
        seen.append(how)

    x = nd.array([1.0])
    _events.on("to_numpy", listener)
    try:
        assert _events.ACTIVE
        x.asnumpy()
        float(x)
    finally:
        _events.off("to_numpy", listener)
    x.asnumpy()
    assert seen == ["x.asnumpy()", "float(x)"]


def test_unknown_event_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown event 'stpe'"):
        _events.on("stpe", print)


def test_fresh_grad_follows_backward() -> None:
    x = nd.array([1.0, 2.0])
    assert not x._fresh_grad  # no gradient at all
    x.attach_grad()
    assert not x._fresh_grad
    with autograd.record():
        y = (x * x).sum()
    y.backward()
    assert x._fresh_grad
    x._fresh_grad = False
    assert not x._fresh_grad


def test_assign_writes_in_place_and_counts_as_a_write() -> None:
    x = nd.array([1.0, 2.0])
    x.attach_grad()
    buf = x._data
    with autograd.record():
        y = x * x  # saves x for backward
    x._assign_(np.add, np.array([1.0, 1.0], dtype=np.float32))
    assert x._data is buf
    np.testing.assert_array_equal(x.asnumpy(), [2.0, 3.0])
    with pytest.raises(MinigluonError, match="changed in place"):
        y.backward()
    x._assign_(None, nd.array([5.0, 6.0]))
    np.testing.assert_array_equal(x.asnumpy(), [5.0, 6.0])


def test_apply_runs_numpy_and_records_ndarrays() -> None:
    concat = get_op("concat")(dim=0)
    z = np.zeros(2, dtype=np.float32)
    np.testing.assert_array_equal(apply(concat, z, np.ones(1, dtype=np.float32)), [0, 0, 1])
    g = nd.array([4.0])
    g.attach_grad()
    with autograd.record():
        y = apply(concat, z, g)
    assert y._node is not None and y._node.opname == "concat"
    y.backward()
    np.testing.assert_array_equal(g.grad.asnumpy(), [1.0])


def test_op_protocol_nout_and_slot_names() -> None:
    mul = get_op("broadcast_mul")()
    assert mul.nout == 1
    _, res = mul.forward(np.ones(2), np.ones(2))
    assert mul.slot_names(res) == ["x0", "x1"]

    class Two(autograd.Function):
        def forward(self, x):
            self.save_for_backward(x)
            return x * 2, x * 3

        def backward(self, d1, d2):
            return d1 * 2 + d2 * 3

    x = nd.array([1.0])
    x.attach_grad()
    with autograd.record():
        a, b = Two()(x)
    item = a._node.op
    fn_node = a._node.parents[0]
    assert fn_node.op.nout == 2 and item.nout == 1
    assert fn_node.op.slot_names(fn_node.res) == ["saved_tensors[0]"]
    assert item.slot_names(a._node.res) == []


def test_batchnorm_reports_batch_stats_through_its_callback() -> None:
    """The operator is NumPy only: its VJP hands the statistics to ``on_batch_stats``;
    nd.BatchNorm's callback updates the moving statistics in training mode only."""
    seen = []
    op = get_op("BatchNorm")(eps=0.0, fix_gamma=False,
                             on_batch_stats=lambda m, v: seen.append((m, v)))
    x = np.array([[1.0], [3.0]])
    y, res = op.forward(x, np.ones(1), np.zeros(1))
    assert seen == []  # forward alone reports nothing
    op.vjp(res, np.ones_like(y))
    np.testing.assert_allclose(seen[0][0], [2.0])
    np.testing.assert_allclose(seen[0][1], [1.0])

    mean, var = nd.zeros(1), nd.ones(1)
    data = nd.array([[1.0], [3.0]])
    data.attach_grad()
    for train_mode, expected in ((False, [0.0]), (True, [0.2])):
        with autograd.record():
            out = nd.BatchNorm(data, nd.ones(1), nd.zeros(1), mean, var, eps=0,
                               momentum=0.9)
        out.backward(train_mode=train_mode)
        np.testing.assert_allclose(mean.asnumpy(), expected, rtol=1e-6)


def test_scalar_operators_cached_per_value_keep_the_sign_of_zero() -> None:
    # the operator of ``x / s`` is kept per value, and -0.0 == 0.0: zeros must not share
    x = nd.array([1.0, -2.0])
    for first, second in ((0.0, -0.0), (-0.0, 0.0)):
        with np.errstate(divide="ignore"):
            np.testing.assert_array_equal((x / first).asnumpy(), x.asnumpy() / first)
            np.testing.assert_array_equal((x / second).asnumpy(), x.asnumpy() / second)
        np.testing.assert_array_equal(np.signbit((x * second).asnumpy()),
                                      np.signbit(x.asnumpy() * second))
    assert (x * 2)._data.dtype == (x * 2.0)._data.dtype == np.float32
    assert str((x + 2)._node) == str((x + 2)._node)  # one cached operator


def test_unbroadcast_of_leading_axes_sums_them() -> None:
    from minigluon.ops import unbroadcast

    g = np.arange(12.0, dtype=np.float32).reshape(2, 3, 2)
    for shape in ((3, 2), (2,), (1, 2), (3, 1), ()):
        want = g.sum(axis=tuple(range(g.ndim - len(shape))), keepdims=False)
        axes = tuple(i for i, s in enumerate(shape) if s == 1)
        want = want.sum(axis=axes, keepdims=True) if axes else want
        got = unbroadcast(g, shape)
        assert got.shape == shape
        np.testing.assert_array_equal(got, want.reshape(shape))
