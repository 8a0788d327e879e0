"""A hybridized block's graph on the tape as ONE node (MXNet's ``CachedOp``).

:func:`run_cached` runs a :class:`~minigluon.symbol.symbol.Plan` (the graph's operator
list, fixed once) through the ``nd`` operators, as the imperative path does, but collects
the nodes those operators record on a private tape. When autograd is recording, the
output then gets one node of its own, whose operator is a :class:`CachedOp`: its VJP is
the graph's backward, the private nodes' VJPs run in reverse order of recording. Because
they are the very operators and VJPs of the imperative path, run in the same order, the
values and the gradients are the same; what changes is what the tape shows (one node per
block call, as in MXNet) and that backward needs no topological sort inside the block.

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
from ..ndarray.ndarray import NDArray

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
        nodes, head, outer = res[0]
        recorded = isinstance(g, NDArray)   # autograd.grad(create_graph=True)
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


def run_cached(op: CachedOp, plan: Any, values: dict[str, Any]) -> list[Any]:
    """The outputs of ``plan`` on ``values``; recorded as one ``op`` node when autograd
    records and the graph has one output (see the module's docstring)."""
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
