"""Backward, one node at a time.

:func:`explain` runs ``backward`` and lists what it did, in execution order: each node,
the rule its operator applies, the gradient it received (and whether several
contributions were summed into it), and what it sent to each input.
:func:`explain_steps` is the same pass as a generator, one step per ``next()``.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import attrs
import numpy as np

from .._tape import STATE, Node, backward_steps
from ..ndarray.ndarray import NDArray
from ._recorded import _Comp, _kind, _Names, _op_params, _order, _plural, _table
from ._rnn_steps import bptt_lines, is_rnn

__all__ = ["explain", "explain_steps", "Step", "Contribution", "Explanation"]


@attrs.frozen
class Contribution:
    """What one step's VJP sent to one input.

    ``shape`` is ``None`` when the operator has no gradient for that input (an index, a
    comparison); ``kept`` is false for data (inputs outside the graph), whose gradient is
    computed and then dropped.
    """

    to: str
    input: str
    shape: tuple[int, ...] | None
    kept: bool
    value: Any = attrs.field(default=None, eq=False, repr=False)

    def __str__(self) -> str:
        if self.shape is None:
            return f"nothing to {self.to} [{self.input}]"
        return f"{self.shape} to {self.to} [{self.input}]" + (
            "" if self.kept else " (data: dropped)")


@attrs.frozen
class Step:
    """One node of the backward pass, as :func:`explain_steps` yields it.

    Attributes
    ----------
    index : int
        Position in execution order, from 1.
    label : str
        The node's name (from ``names``, :func:`minigluon.viz.label`, or ``#i``).
    op : str
        The operator's name, or ``'variable'`` for a variable.
    equation : str
        The forward step, e.g. ``'z = dot(W1, x)'``.
    rule : str
        The operator's forward and VJP formulas (its docstring's first line).
    g_shape : tuple or None
        Shape of the gradient that reached the node (None: no gradient reached it).
    sources : tuple of str
        Who sent that gradient; more than one means the contributions were summed.
    sends : tuple of Contribution
        What the VJP sent to each input, in input order.
    stored : str or None
        For a variable: what happened to its ``.grad``.
    g : numpy.ndarray or None
        The gradient itself.
    """

    index: int
    label: str
    op: str
    equation: str
    rule: str
    g_shape: tuple[int, ...] | None
    sources: tuple[str, ...]
    sends: tuple[Contribution, ...]
    stored: str | None
    head: str = "J"
    g: Any = attrs.field(default=None, eq=False, repr=False)
    #: for an RNN node named in ``expand=``: its backward through time, step by step
    detail: tuple[str, ...] = ()

    @property
    def summed(self) -> bool:
        """Whether the gradient here is a sum of several contributions."""
        return len(self.sources) > 1

    def _gets(self) -> str:
        d = f"∂{self.head}/∂{self.label}"
        if self.g_shape is None:
            return "no gradient reached it"
        if self.summed:
            return (f"gets {d} {self.g_shape} = sum of {len(self.sources)} contributions, "
                    f"from {', '.join(self.sources)}")
        return f"gets {d} {self.g_shape} from {', '.join(self.sources)}"

    def __str__(self) -> str:
        lines = [f"{self.index:2d}. {self.equation}", f"    {self._gets()}"]
        if self.stored is not None:
            lines.append(f"    {self.stored}")
        else:
            lines.append(f"    rule: {self.rule}")
            lines.extend(f"    {d}" for d in self.detail)
            if self.g_shape is not None:
                lines.append("    sends " + ", ".join(map(str, self.sends)))
        return "\n".join(lines)


class Explanation(Sequence[Step]):
    """The whole backward pass, step by step; ``repr`` prints it, :meth:`table` compactly.

    Index it by position or by node label (``ex['W2']``).
    """

    def __init__(self, steps: list[Step], head: str) -> None:
        self.steps = steps
        self.head = head

    def __len__(self) -> int:
        return len(self.steps)

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, str):
            for s in self.steps:
                if s.label == i:
                    return s
            raise KeyError(f"no step for a node named {i!r}; nodes: "
                           f"{', '.join(s.label for s in self.steps)}")
        return self.steps[i]

    @property
    def summed(self) -> dict[str, tuple[str, ...]]:
        """Nodes whose gradient is a sum of contributions, with where they came from."""
        return {s.label: s.sources for s in self.steps if s.summed}

    def __repr__(self) -> str:
        head = (f"backward of {self.head}: {_plural(len(self.steps), 'step')} in execution "
                "order")
        return "\n".join([head] + [str(s) for s in self.steps])

    def table(self) -> str:
        """One line per step: node, operator, incoming gradient, where it came from, and
        where the gradient went."""
        rows = [["step", "node", "op", f"∂{self.head}/∂node", "from", "sends to"]]
        for s in self.steps:
            src = " + ".join(s.sources) if s.summed else "".join(s.sources)
            if s.stored is not None:
                to = s.stored
            else:
                to = ", ".join(f"{c.to} {c.shape}" + ("" if c.kept else " dropped")
                               for c in s.sends if c.shape is not None)
            rows.append([str(s.index), s.label, s.op, str(s.g_shape or "-"), src, to])
        return "\n".join(_table(rows, indent=""))


def _inputs(op: Any, n: int) -> list[str]:
    names = list(getattr(op, "inputs", ()) or ())
    fn = getattr(op, "fn", None)
    if fn is not None:  # a Function: the names of its forward's parameters
        try:
            names = [p.name for p in inspect.signature(fn.forward).parameters.values()
                     if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        except (TypeError, ValueError):
            names = []
    if len(names) == 1 and names[0].startswith("*"):
        return [f"{names[0][1:]}[{i}]" for i in range(n)]
    return [names[i] if i < len(names) else f"input {i}" for i in range(n)]


def _shape(g: Any) -> tuple[int, ...] | None:
    if g is None:
        return None
    parts = getattr(g, "parts", None)  # one output's share of a multi-output Function
    if parts is not None:
        return next((tuple(np.shape(p)) for p in parts if p is not None), None)
    return tuple(g.shape) if hasattr(g, "shape") else tuple(np.shape(g))


def _stored(node: Node, label: str, g: Any, collect: bool) -> str:
    if collect:
        return "returned by autograd.grad"
    req = node.grad_req
    if req == "null":
        return "not stored (grad_req='null')"
    if g is None:
        return (f"no gradient reached it: {label}.grad set to 0 (grad_req='write')"
                if req == "write" else f"{label}.grad unchanged (grad_req='add')")
    return (f"written to {label}.grad (grad_req='write')" if req == "write"
            else f"added to {label}.grad (grad_req='add')")


def explain_steps(heads: NDArray | Sequence[NDArray], names: Mapping[str, Any] | None = None,
                  head_grads: Any = None, retain_graph: bool = False,
                  train_mode: bool = True, expand: Sequence[str] = ()) -> Iterator[Step]:
    """``backward(heads)``, yielding one :class:`Step` per node as it runs.

    ``expand=('RNN',)`` adds to each fused ``RNN`` node's step its back-propagation
    through time written out per time step and layer (``Step.detail``).

    Running it to the end leaves the same ``.grad`` as ``autograd.backward`` with the same
    arguments (stopping early leaves the variables not reached yet untouched).

    Examples
    --------
    >>> from minigluon import nd, autograd
    >>> from minigluon.explain import explain_steps
    >>> a = nd.array([1.0, 2.0]); a.attach_grad()
    >>> with autograd.record():
    ...     b = a * 3
    >>> steps = explain_steps(b, {"a": a, "b": b})
    >>> print(next(steps))
     1. b = _mul_scalar(a, scalar=3)
        gets ∂b/∂b (2,) from head gradient
        rule: y = x * s.   VJP: dx = g * s
        sends (2,) to a [data]
    >>> print(next(steps))
     2. a (parameter)
        gets ∂b/∂a (2,) from b
        written to a.grad (grad_req='write')
    >>> a.grad
    <BLANKLINE>
    [3. 3.]
    <NDArray 2 @cpu(0)>
    """
    from ..ndarray.ndarray import _as_list, _seeds

    hs = _as_list(heads)
    roots, seeds = _seeds(hs, head_grads)
    comp = _Comp([n for n in _order(roots) if n.op is not None], list(dict.fromkeys(roots)),
                 hs)
    nm = _Names(comp, names)
    head = nm(roots[0]) if len(comp.heads) == 1 else "f"
    received: dict[Node, list[str]] = {}
    for r in roots:
        received.setdefault(r, []).append("head gradient")
    inside = set(comp.ops)
    it = backward_steps(roots, seeds, retain_graph)
    index = 0
    while True:
        prev = STATE.training
        STATE.training = train_mode
        try:
            node, g, grads = next(it)
        except StopIteration:
            return
        finally:
            STATE.training = prev
        index += 1
        label = nm(node)
        if node.op is None:
            kind = _kind(node, inside)
            yield Step(index, label, "variable", f"{label} ({kind})", "", _shape(g),
                       tuple(received.get(node, ())), (), _stored(node, label, g, False),
                       head, g)
            continue
        args = [nm(p) for p in node.parents]
        equation = f"{label} = {node.op.name}({', '.join(args + _op_params(node.op))})"
        sends = []
        for p, slot, gi in zip(node.parents, _inputs(node.op, len(node.parents)),
                               list(grads) + [None] * len(node.parents)):
            kept = p.__class__ is Node
            sends.append(Contribution(nm(p), slot, _shape(gi), kept, gi))
            if gi is not None and kept:
                received.setdefault(p, []).append(label)
        detail = ()
        if node.op.name in expand or (nm.named(node) and label in expand):
            detail = tuple(bptt_lines(node)) if is_rnn(node) else ()
        yield Step(index, label, node.op.name, equation, node.op.rule, _shape(g),
                   tuple(received.get(node, ())), tuple(sends) if g is not None else (),
                   None, head, g, detail)


def explain(heads: NDArray | Sequence[NDArray], names: Mapping[str, Any] | None = None,
            head_grads: Any = None, retain_graph: bool = False,
            train_mode: bool = True, expand: Sequence[str] = ()) -> Explanation:
    """Run ``backward(heads)`` and return the list of its steps, in execution order.

    Same arguments and same effect on ``.grad`` as :func:`minigluon.autograd.backward`;
    ``names`` (e.g. ``locals()``) names the nodes. Each step shows the node, the rule its
    operator applies, the gradient it received (marked when several contributions were
    summed) and what it sent to each input. ``expand=('RNN',)`` also writes out, for each
    fused ``RNN`` node, back-propagation through time per time step and layer.

    Examples
    --------
    The model of d2l section 3.14 (one example, no bias, squared loss):

    >>> from minigluon import nd, autograd
    >>> from minigluon.explain import explain
    >>> x, y = nd.ones((3, 1)), nd.array([[1.0], [0.0]])
    >>> W1, W2 = nd.ones((4, 3)) * 0.1, nd.ones((2, 4)) * 0.2
    >>> W1.attach_grad(); W2.attach_grad()
    >>> lam = 0.1
    >>> with autograd.record():
    ...     z = nd.dot(W1, x)
    ...     h = nd.relu(z)
    ...     o = nd.dot(W2, h)
    ...     L = ((o - y) ** 2).sum() / 2
    ...     s = lam / 2 * ((W1 ** 2).sum() + (W2 ** 2).sum())
    ...     J = L + s
    >>> ex = explain(J, locals())
    >>> ex.summed
    {'W2': ('#9', 'o'), 'W1': ('#7', 'z')}
    >>> print(ex["W2"])
    15. W2 (parameter)
        gets ∂J/∂W2 (2, 4) = sum of 2 contributions, from #9, o
        written to W2.grad (grad_req='write')
    >>> print(ex["o"])
    12. o = dot(W2, h)
        gets ∂J/∂o (2, 1) from #3
        rule: y = A . B (last axis of A with first axis of B).   VJP: dA = g B^T, dB = A^T g
        sends (2, 4) to W2 [lhs], (4, 1) to h [rhs]
    >>> print(ex.table())
    step  node  op             ∂J/∂node  from           sends to
    1     J     broadcast_add  (1,)      head gradient  L (1,), s (1,)
    2     s     _mul_scalar    (1,)      J              #11 (1,)
    ...
    11    #3    broadcast_sub  (2, 1)    #4             o (2, 1)
    12    o     dot            (2, 1)    #3             W2 (2, 4), h (4, 1)
    13    h     relu           (4, 1)    o              z (4, 1)
    14    z     dot            (4, 1)    h              W1 (4, 3)
    15    W2    variable       (2, 4)    #9 + o         written to W2.grad (grad_req='write')
    16    W1    variable       (4, 3)    #7 + z         written to W1.grad (grad_req='write')

    ``W2`` gets two contributions, one through the output layer ``o`` and one through
    the penalty (``#9`` is ``W2 ** 2``); backward sums them, as in the book's
    ∂J/∂W2 = (∂J/∂o) hᵀ + λ W2. No gradient is computed for the data ``x`` and ``y``:
    ``dot`` and ``-`` skip the inputs that are not variables.
    """
    steps = list(explain_steps(heads, names, head_grads, retain_graph, train_mode,
                               (expand,) if isinstance(expand, str) else tuple(expand)))
    head = steps[0].head if steps else "f"
    return Explanation(steps, head)
