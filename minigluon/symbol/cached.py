"""A hybridized block's graph on the tape as ONE node (MXNet's ``CachedOp``).

:func:`run_cached` runs a :class:`~minigluon.symbol.symbol.Plan` (the graph's operator
list, fixed once) through the ``nd`` operators, as the imperative path does, but collects
the nodes those operators record on a private tape. When autograd is recording, the
output then gets one node of its own, whose operator is a :class:`CachedOp`: its VJP is
the graph's backward, the private nodes' VJPs run in reverse order of recording. Because
they are the very operators and VJPs of the imperative path, run in the same order, the
values and the gradients are the same; what changes is what the tape shows (one node per
block call, as in MXNet) and that backward needs no topological sort inside the block.

When every operator of the graph is one registry operator (FullyConnected, relu, the
arithmetic ...: most MLPs), the plan runs them on the NumPy data directly, keeping each
one's residuals in a list instead of an NDArray and a tape node per operator, and the
VJP runs over that list; this is what makes a hybridized call cheaper than the
imperative one. ``autograd.grad(create_graph=True)`` needs the operators' nodes (their
residuals become NDArrays of the new graph), so such a VJP first runs the forward again
through ``nd`` with the same inputs (recomputing is exact: these operators draw no random
numbers) and differentiates that recording.

Where one node cannot stand for the graph, the private nodes go on the tape as they are
(per-op recording), with the same results:

- a graph with several outputs (``autograd.grad(create_graph=True)`` could not send the
  outputs' gradients through one multi-output node: the tape's multi-output nodes, those
  of ``autograd.Function``, have no recorded VJP);
- an output that is not computed by the graph's operators (an input passed through, or
  Dropout in predict mode).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import autograd
from .._tape import _FREED, MUTATIONS, STATE, Node, Tape, _bad_grad, _stale
from ..base import MinigluonError
from ..ndarray import ndarray as _nd
from ..ndarray.ndarray import NDArray, _wrap

__all__ = ["CachedOp", "run_cached"]


class CachedOp:
    """The operator of a hybridized call's node: the whole graph, forward and backward.

    Its residual ``res[0]`` is the call's private record (nodes in order, the head node,
    the outer inputs); the rest are the arrays those nodes keep, so the tape's memory
    tables count them. ``saves = ("c",)`` tells ``autograd.grad(create_graph=True)`` to
    hand the record over unchanged: the VJP then runs every private node's VJP recorded.
    """

    saves = ("c",)
    view = False
    expose = False
    method = None
    nout = 1
    inputs = ("*data",)

    #: MXNet's name for the operator of a hybridized call
    name = "_CachedOp"

    def __init__(self, block: str, graph: Any) -> None:
        self.block = block   # the name of the block whose graph this is
        self.graph = graph   # the Symbol, for drawings and explanations

    @property
    def rule(self) -> str:
        return (f"y = {self.block}(inputs)   VJP: the VJPs of the graph's "
                f"{len(self.graph._nodes()) - len(self.graph.list_inputs())} operators, "
                "in reverse order")

    def params(self) -> dict[str, Any]:
        return {}

    def slot_names(self, res: Any) -> list[str]:
        return ["graph"] + [f"saved{i}" for i in range(len(res or ()) - 1)]

    def __str__(self) -> str:
        return f"{self.name}({self.block})"

    def __repr__(self) -> str:
        return f"<operator {self}>"

    def vjp_some(self, res: Any, g: Any, needs: Any) -> Any:
        return self.vjp(res, g)

    def vjp(self, res: Any, g: Any) -> list[Any]:
        rec = res[0]
        recorded = isinstance(g, NDArray)   # autograd.grad(create_graph=True)
        if rec.__class__ is _RawRecord:
            return _raw_vjp(rec, g) if not recorded else _replay_vjp(self, rec, g)
        nodes, head, outer = rec
        gs: dict[Node, Any] = {head: g}
        for node in reversed(nodes):
            gn = gs.pop(node, None)
            if gn is None:
                continue
            if recorded:
                grads = autograd._vjp_recorded(node, gn)
            else:
                if node.mut != MUTATIONS[0]:
                    _stale(node)
                grads = node.op.vjp(node.res, gn) if node.needs is None else \
                    node.op.vjp_some(node.res, gn, node.needs)
            for p, gi in zip(node.parents, grads):
                if gi is None or p.__class__ is not Node:
                    continue
                if gi.shape != p.shape:
                    raise _bad_grad(node, p, gi)
                prev = gs.get(p)
                # a fresh sum, never in place: a VJP may return an array it also keeps
                gs[p] = gi if prev is None else prev + gi
        return [gs.get(p) for p in outer]


def _collect(nodes: list[Node]) -> list[Node]:
    """The nodes outside ``nodes`` that they read, in order of first use."""
    inner = set(nodes)
    outer: list[Node] = []
    for n in nodes:
        for p in n.parents:
            if p.__class__ is Node and p not in inner:
                inner.add(p)
                outer.append(p)
    return outer


class _RawRecord:
    """What a call run on NumPy data keeps for its VJP."""

    __slots__ = ("plan", "steps", "head", "parents", "slots", "inputs")

    def __init__(self, plan: Any, steps: list, head: int, parents: list[Node],
                 slots: list[list[int]], inputs: list[tuple[str, Any, Any]]) -> None:
        self.plan = plan
        self.steps = steps      # (operator, residuals, input slots, needs, output slot)
        self.head = head
        self.parents = parents  # the node's parents,
        self.slots = slots      # and the input slots each of them fills
        self.inputs = inputs    # (name, data, node, version) of each input, for a replay


def _raw_vjp(rec: _RawRecord, g: Any) -> list[Any]:
    gs: list[Any] = [None] * rec.plan.size
    gs[rec.head] = g
    for op, res, ins, needs, out in reversed(rec.steps):
        go = gs[out]
        if go is None:
            continue
        gs[out] = None
        grads = op.vjp(res, go) if needs is None else op.vjp_some(res, go, needs)
        for k, (i, gi) in enumerate(zip(ins, grads)):
            if gi is None or (needs is not None and not needs[k]):
                continue
            prev = gs[i]
            gs[i] = gi if prev is None else prev + gi
    out_grads = []
    for slots in rec.slots:
        gp = None
        for s in slots:
            if gs[s] is not None:
                gp = gs[s] if gp is None else gp + gs[s]
        out_grads.append(gp)
    return out_grads


def _replay_vjp(op: CachedOp, rec: _RawRecord, g: Any) -> list[Any]:
    """The recorded VJP of a call that ran on NumPy data: the forward again through ``nd``,
    recorded on nodes that read the same inputs, then their VJPs recorded."""
    values = {name: _wrap(data, node) for name, data, node, _ in rec.inputs}
    prev, STATE.recording = STATE.recording, True
    outer_tape = STATE.tape
    private = STATE.tape = Tape()
    try:
        y = rec.plan.run(values)[0]
    finally:
        STATE.tape = outer_tape
        STATE.recording = prev
    return op.vjp(((private.nodes, y._node, rec.parents),), g)


def _run_raw(op: CachedOp, plan: Any, values: dict[str, Any]) -> list[Any]:
    """The plan on the NumPy data of ``values``, recorded as one node (see the module's
    docstring)."""
    vals: list[Any] = [None] * plan.size
    parents: list[Node] = []
    slots: list[list[int]] = []
    inputs = []
    need = None
    recording = STATE.recording
    for name, s in plan.inputs:
        a = values[name]
        vals[s] = data = a._data
        n = a._node
        if recording and n is not None:
            if n.res is _FREED:  # a freed graph's array is data (_tape.live)
                a._node = n = None
            elif n in parents:
                slots[parents.index(n)].append(s)
            else:
                parents.append(n)
                slots.append([s])
            if n is not None:
                if need is None:
                    need = [False] * plan.size
                need[s] = True
        inputs.append((name, data, n, a._vc))
    if need is None:  # nothing to differentiate: the operators only
        for o, ins, out, name in plan.raw:
            try:
                vals[out] = o.forward(*[vals[i] for i in ins])[0]
            except MinigluonError as e:
                raise MinigluonError(f"Error in operator {name} ({o.name}): {e}") from e
        return [_wrap(vals[plan.heads[0]], None)]
    steps = []
    read: set[int] = set()   # the input slots whose arrays some VJP may read
    for o, ins, out, name in plan.raw:
        try:
            y, res = o.forward(*[vals[i] for i in ins])
        except MinigluonError as e:
            raise MinigluonError(f"Error in operator {name} ({o.name}): {e}") from e
        vals[out] = y
        needs = [need[i] for i in ins]
        if True in needs:
            need[out] = True
            steps.append((o, res, ins, None if False not in needs else needs, out))
            if res:
                read.update(ins)
    head = plan.heads[0]
    y = _wrap(vals[head], None)
    if not need[head]:
        return [y]
    # an in-place change of an input (or of the output) that a VJP reads is refused at
    # backward, as for the operators' own nodes
    slot_of = plan.slot_of
    vcs = [(name, vc) for name, _, _, vc in inputs if slot_of[name] in read]
    if steps[-1][1]:
        vcs.append((-1, y._vc))
    saved = [r for st in steps for r in (st[1] or ()) if r.__class__ is np.ndarray]
    node = Node(op, (_RawRecord(plan, steps, head, parents, slots, inputs), *saved),
                tuple(parents), y._data.shape, y._data.dtype, tuple(vcs) or None)
    y._node = node
    tape = STATE.tape
    if tape is not None:
        tape.nodes.append(node)
    return [y]


def run_cached(op: CachedOp, plan: Any, values: dict[str, Any]) -> list[Any]:
    """The outputs of ``plan`` on ``values``; recorded as one ``op`` node when autograd
    records and the graph has one output (see the module's docstring)."""
    if plan.raw is not None and not _nd._multi:
        return _run_raw(op, plan, values)
    if not STATE.recording:
        return plan.run(values)
    outer_tape = STATE.tape
    private = STATE.tape = Tape()
    try:
        outs = plan.run(values)
    finally:
        STATE.tape = outer_tape
    nodes = private.nodes
    if not nodes:
        return outs
    y = outs[0]
    head = y._node if len(outs) == 1 and y.__class__ is NDArray else None
    if head is None or head.res is _FREED or head.seq < nodes[0].seq:
        # several outputs, or one the operators did not compute: per-op recording
        if outer_tape is not None:
            outer_tape.nodes.extend(nodes)
        return outs
    outer = _collect(nodes)
    saved = [r for n in nodes for r in (n.res or ()) if r.__class__ is np.ndarray]
    node = Node(op, ((nodes, head, outer), *saved), tuple(outer), y._data.shape,
                y._data.dtype)
    y._node = node
    if outer_tape is not None:
        outer_tape.nodes.append(node)
    return outs
