"""The backward pass's node order: the chain walk (``_tape._chain``) against the general
search (``_tape._search``), and gradients left behind by a walk that stops early."""

from __future__ import annotations

import numpy as np
import pytest

from minigluon import autograd, nd
from minigluon._tape import Node, _chain, _search, _toposort, backward_steps
from minigluon.base import MinigluonError
from minigluon.ndarray.ndarray import _seeds


def _var(values: list[float], grad_req: str = "write") -> nd.NDArray:
    x = nd.array(values)
    x.attach_grad(grad_req)
    return x


def _graphs() -> dict[str, nd.NDArray]:
    """Heads of small graphs: chains (with variables on the side) and other shapes."""
    out = {}
    x, w, b = _var([0.5, -1.0]), _var([2.0, 3.0]), _var([0.1, 0.2])
    c = nd.array([1.0, 2.0])
    with autograd.record():
        out["chain"] = nd.exp(nd.tanh(x * 0.5 + c) * c)
        out["chain_vars_on_side"] = ((x * w + b - c) ** 2 / 2).sum()
        out["repeated_parent"] = (nd.tanh(x) * nd.tanh(x)).sum()  # two nodes: a branch
        t = nd.tanh(x)
        out["same_node_twice"] = (t * t).sum()
        out["branch"] = (nd.exp(x) + nd.tanh(x)).sum()
        out["variable_twice"] = x * x
        out["head_is_input_of_nothing"] = x + 0.0
    return out


@pytest.mark.parametrize("name", ["chain", "chain_vars_on_side", "repeated_parent",
                                  "same_node_twice", "branch", "variable_twice",
                                  "head_is_input_of_nothing"])
@pytest.mark.parametrize("check", [True, False])
def test_chain_walk_gives_the_search_order_or_declines(name: str, check: bool) -> None:
    root = _graphs()[name]._node
    walked = _chain(root, check)
    searched = _search([root], check)
    if name in ("chain", "chain_vars_on_side", "same_node_twice", "variable_twice",
                "head_is_input_of_nothing"):
        assert walked is not None
    if walked is not None:
        assert walked == searched  # the same nodes, the same order
    assert _toposort([root], check) == searched


def test_chain_walk_of_a_variable_alone() -> None:
    x = _var([1.0])
    assert _chain(x._node, True) == _search([x._node], True) == [x._node]


def test_chain_walk_declines_a_variable_made_after_the_chain_started() -> None:
    # creation order puts the late variable between the operator nodes: the search's sort
    # places it there, so the walk (which puts variables first) must leave it to the search
    x = _var([1.0, 2.0])
    with autograd.record():
        h = nd.tanh(x)
        late = _var([3.0, 4.0])
        y = (h * late).sum()
    root = y._node
    assert _chain(root, True) is None
    assert _toposort([root]) == _search([root], True)
    y.backward()
    np.testing.assert_allclose(late.grad.asnumpy(), np.tanh([1.0, 2.0]), rtol=1e-6)


def test_chain_walk_leaves_a_freed_parent_to_the_search() -> None:
    x = _var([0.3, 0.7])
    with autograd.record():
        h = nd.tanh(x)
        y1 = h.sum()
        y2 = (h * x).sum()
    y1.backward()  # frees h's node, which y2's graph still reaches
    assert _chain(y2._node, True) is None  # sees the freed node, declines
    assert _chain(y2._node, False) is None
    y2.backward()  # the search cuts the graph at h: x's gradient is h only
    np.testing.assert_allclose(x.grad.asnumpy(), np.tanh([0.3, 0.7]), rtol=1e-6)


def test_chain_walk_refuses_a_freed_root() -> None:
    x = _var([1.0])
    with autograd.record():
        y = nd.exp(x) * 2.0
    y.backward()
    with pytest.raises(MinigluonError, match="freed"):
        y.backward()


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
@pytest.mark.parametrize("grad_req", ["write", "add"])
@pytest.mark.parametrize("retain", [False, True])
def test_chain_backward_matches_the_search(dtype: str, grad_req: str, retain: bool,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Gradients of a chain graph through the walk and through the search alone."""
    results = []
    for walk in (True, False):
        if not walk:
            monkeypatch.setattr("minigluon._tape._chain", lambda root, check: None)
        w = nd.array([0.5, -1.5], dtype=dtype)
        b = nd.array([0.25], dtype=dtype)
        w.attach_grad(grad_req)
        b.attach_grad(grad_req)
        X = nd.array([[1.0, 2.0], [3.0, -0.0]], dtype=dtype)
        for _ in range(2):  # twice: 'add' accumulates
            with autograd.record():
                y = ((nd.dot(X, w.reshape((2, 1))) + b) ** 2 / 2 * -0.0 + nd.tanh(b)).sum()
            y.backward(retain_graph=retain)
            if retain:
                y.backward()
        results.append((w.grad.asnumpy(), b.grad.asnumpy()))
    (w1, b1), (w2, b2) = results
    assert w1.dtype == w2.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(w1, w2)
    np.testing.assert_array_equal(b1, b2)
    np.testing.assert_array_equal(np.signbit(w1), np.signbit(w2))


def test_chain_backward_still_refuses_an_input_changed_in_place() -> None:
    x = _var([0.2, 0.4])
    c = nd.array([1.0, 1.0])
    with autograd.record():
        y = nd.exp(x * c).sum()
    c[:] = 2.0  # Mul saved c for its VJP
    with pytest.raises(MinigluonError, match="changed in place"):
        y.backward()
    assert all(n.g is None for n in _search([y._node], False))


def test_a_walk_closed_early_leaves_no_gradient_behind() -> None:
    x = _var([0.2, 0.4])
    with autograd.record():
        y = nd.exp(nd.tanh(x) * 3.0).sum()
    roots, seeds = _seeds([y], None)
    nodes = _search(roots, True)
    steps = backward_steps(roots, seeds, retain_graph=True)
    next(steps)
    next(steps)
    assert any(n.g is not None for n in nodes)  # gradients on their way
    steps.close()
    assert all(n.g is None for n in nodes)
    y.backward()  # the graph was retained, and starts clean
    expect = np.exp(np.tanh([0.2, 0.4]) * 3) * 3 * (1 - np.tanh([0.2, 0.4]) ** 2)
    np.testing.assert_allclose(x.grad.asnumpy(), expect, rtol=1e-5)


def test_a_finished_walk_leaves_no_gradient_behind() -> None:
    x = _var([0.2, 0.4])
    with autograd.record():
        h = nd.tanh(x)
        y = (nd.exp(h) + h * h).sum()
    nodes = _search([y._node], True)
    y.backward(retain_graph=True)
    assert all(n.g is None for n in nodes if isinstance(n, Node))
