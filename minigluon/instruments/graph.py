"""The picture of a recorded computation: DOT text and a plain listing.

:func:`graph` builds both from what :mod:`._recorded` reads off the tape (boxes are
variables, circles operators; the conventions are on :mod:`minigluon.viz`);
:class:`~.render.Graph` turns the DOT text into SVG or PNG.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .._tape import Const, Node, Tape
from ..base import MinigluonError
from ..ndarray.ndarray import NDArray
from ..symbol.symbol import Symbol
from . import _rnn_steps, _symbolic

# the colours stay readable here, where they always were (viz.PARAM_FILL, tests)
from ._picture import (  # noqa: F401
    DEVICE_COLORS,
    GRAD_COLOR,
    PARAM_FILL,
    _device_order,
    _dot,
    _OpV,
    _text_backward,
    _text_forward,
    _Var,
)
from ._recorded import (
    _Comp,
    _composition,
    _computation,
    _Devices,
    _is_item,
    _is_multi,
    _kind,
    _Names,
    _op_text,
    _replay,
    _symbol,
)
from .render import Graph

__all__ = ["graph", "to_dot", "print_tape"]

# ---- from the tape to boxes and circles ----------------------------------------------------


def _build(comp: _Comp, nm: _Names, labels: Mapping[str, str], collapse: bool,
           devs: _Devices, expand: Sequence[str] = ()) -> tuple[list[_Var], list[_OpV]]:
    inside = set(comp.ops)
    heads = set(comp.heads)
    consumers: dict[Node, list[Node]] = {n: [] for n in comp.ops}
    for n in comp.ops:
        for p in n.parents:
            if p.__class__ is Node and p in inside:
                consumers[p].append(n)
    unrolled, bypass = _rnn_steps.to_unroll(comp.ops, consumers, heads, nm, expand)
    # with collapse, an unnamed result merges into the operator of its only consumer group
    group: dict[Node, Node] = {}
    for n in reversed(comp.ops):
        keep = (not collapse or n in heads or nm.named(n) or _is_item(n) or _is_multi(n)
                or not consumers[n] or n in unrolled or n in bypass
                or devs.copy_between(n) is not None
                or any(devs(c) != devs(n) for c in consumers[n]))
        gs = {group[c] for c in consumers[n]}
        group[n] = n if keep or len(gs) != 1 else gs.pop()
    vars_: dict[Any, _Var] = {}

    def var(p: Node | Const) -> _Var:
        k = nm.key(p)
        if k not in vars_:
            vars_[k] = _Var(k, nm(p), _kind(p, inside), tuple(p.shape), p, p in heads,
                            devs(p))
        return vars_[k]

    opvs: dict[Node, _OpV] = {}
    members: dict[Node, list[Node]] = {}
    for n in comp.ops:
        members.setdefault(group[n], []).append(n)
    for n in comp.ops:
        if group[n] is not n or n in bypass:
            continue
        if n in unrolled:  # an RNN node drawn as its time steps (expand=)
            opvs.update(_unrolled(n, var, vars_, nm, labels,
                                  _rnn_steps.param_sources(n) in bypass))
            continue
        if _is_item(n):  # an output of a multi-output Function: drawn off its operator
            anchor = n.parents[0]
            if anchor in opvs:
                opvs[anchor].outputs.append(var(n))
                continue
        mem = members[n]
        ins: list[_Var] = []
        for m in mem:
            for p in m.parents:
                if p.__class__ is Node and p in inside and group[p] is n and p is not n:
                    continue
                v = var(p)
                if len(mem) == 1 or v not in ins:  # b = a + a draws two arrows from a
                    ins.append(v)
        out_var = [] if _is_multi(n) else [var(n)]
        names = ", ".join(_op_text(m.op) for m in mem)
        given = labels.get(nm(n)) if nm.named(n) else None
        if given is None and len(mem) == 1:
            given = labels.get(n.op.name)
        if given is None and len(mem) > 1:
            given = _composition([m.op for m in mem])
        if given is None:
            syms = [labels.get(m.op.name) or _symbol(m.op) for m in mem]
            given = "·".join(syms[:3]) + ("…" if len(syms) > 3 else "")
        short = ", ".join(dict.fromkeys(m.op.name for m in mem))
        copy = devs.copy_between(n)
        if copy is not None:
            given = labels.get(nm(n)) if nm.named(n) else None
            given, short = given or "copy", f"copy {copy[0]} → {copy[1]}"
        opvs[n] = _OpV(mem, ins, out_var, given, names, short if len(mem) > 1 else names,
                       devs(n), copy)
        if copy is not None:
            opvs[n].short = short
    return list(vars_.values()), list(opvs.values())


def _unrolled(n: Node, var: Any, vars_: dict[Any, _Var], nm: _Names,
              labels: Mapping[str, str], sources: bool) -> dict[Any, _OpV]:
    """The operators that draw the RNN node ``n`` unrolled over its time steps; their
    variables that the tape does not hold (``x_t``, ``h_t``...) join ``vars_``."""

    def v(p: Any) -> _Var:
        if isinstance(p, str):  # "out": the node's own result
            return var(n)
        if isinstance(p, _rnn_steps.Piece):
            if p not in vars_:
                vars_[p] = _Var(p, p.label, p.kind, p.shape, p)  # type: ignore[arg-type]
            return vars_[p]
        return var(p)

    out = {}
    steps = _rnn_steps.unroll(n, sources)
    for p, name in _rnn_steps.weight_labels(n, steps):
        w = v(p)
        if not nm.named(p):  # a Gluon layer's weight: MXNet's name for it in the layer
            w.label = name
    for i, s in enumerate(steps):
        sym = labels.get(n.op.name, s.symbol) if s.step else s.symbol
        out[(n, i)] = _OpV([n], [v(p) for p in s.inputs], [v(p) for p in s.outputs], sym,
                           _op_text(n.op), n.op.name, rule=s.rule)
    return out


def _grad_values(comp: _Comp) -> dict[Any, np.ndarray]:
    """∂(sum of heads)/∂v for every node, from a backward that keeps the graph and writes
    no ``.grad``; after a backward that freed the graph, only the variables' ``.grad``."""
    if comp.heads and not any(n.freed for n in comp.ops):
        out: dict[Any, np.ndarray] = {}
        for node, g, _ in _replay(comp.heads):
            if isinstance(g, np.ndarray):
                out[node] = g
        return out
    leaves = {p for n in comp.ops for p in n.parents
              if p.__class__ is Node and p.op is None and p.grad is not None}
    return {p: p.grad._data for p in leaves}



def _head_label(comp: _Comp, nm: _Names) -> str:
    if len(comp.heads) == 1:
        return nm(comp.heads[0])
    return "f"
def graph(what: Tape | NDArray | Sequence[NDArray] | Symbol,
          names: Mapping[str, Any] | None = None, *, direction: str = "forward",
          shapes: bool = True, values: bool = False, grads: bool = False,
          ops: Mapping[str, str] | None = None, collapse: bool = False, rankdir: str = "LR",
          title: str | None = None, expand: Sequence[str] = (),
          shape: Mapping[str, Sequence[int]] | None = None) -> Graph:
    """The computational graph of a recorded computation, or of a symbol.

    Parameters
    ----------
    what : Tape, NDArray, sequence of NDArray, or Symbol
        The tape of a ``record()`` block, or the head(s) whose graph to draw; or a
        :class:`~minigluon.symbol.Symbol` (``net(mx.sym.var('data'))``, ``mx.sym.load``),
        drawn before any data: its variables as boxes (parameters filled), each operator
        node as a circle labelled as the tape labels the operator that runs it, each
        result as a box named after its node, the heads' borders thick. A symbol holds
        no values, so ``names``, ``values``, ``grads``, ``collapse`` and ``expand`` do
        not apply to it.
    names : mapping of str to NDArray, optional
        Names for arrays, e.g. ``locals()``; matched by identity. Names starting with
        ``_`` and values that are not arrays are ignored. Gluon Parameters work too.
    direction : {'forward', 'backward'}
        ``'backward'`` reverses the arrows (gradient flow) and labels boxes ``∂J/∂·``.
    shapes, values, grads : bool
        What to write in the boxes besides the name. Values (forward direction) are shown
        for named arrays and heads (nodes do not keep their outputs). Gradients come from
        a backward that keeps the graph and writes no ``.grad``; once a backward has freed
        the graph, only the variables' ``.grad`` can be shown.
    ops : mapping of str to str, optional
        Operator labels, keyed by the name of the variable an operator produces or by the
        operator's registry name: ``{'h': 'φ', 'L': 'ℓ'}``.
    collapse : bool
        Merge unnamed intermediate results into the operator that consumes them, so that
        only named variables remain (e.g. the whole L2 penalty becomes one circle). A
        circle holding a common composition is labelled by its name: ``softmax``,
        ``log-softmax``, ``softmax CE``, ``CE``, ``sigmoid``, ``sigmoid BCE``, ``BCE``,
        ``squared loss``, ``L1 loss``, ``L2 penalty``, ``L2 norm`` (with any scaling,
        mean or sum around it); other chains show their first three symbols
        (``−·^2·Σ…``). Copies between devices are never merged.
    rankdir : {'LR', 'BT', 'TB', 'RL'}
        Direction of the layout; 'BT' suits deep graphs.
    title : str, optional
        A caption drawn above the graph.
    expand : sequence of str
        Operators to draw unrolled instead of as one circle: ``expand=('RNN',)`` draws
        each fused ``RNN`` node (a Gluon ``rnn.RNN``/``LSTM``/``GRU`` layer) as its time
        steps, layer by layer: boxes ``x1..xT``, ``h0..hT`` (and ``c1..cT`` for an LSTM;
        ``[l0]``, ``[r1]`` tell layers and directions apart), one circle per step reading
        ``x_t``, ``h_{t-1}`` and the shared weights, the picture of d2l section 6.6. A
        name given to the node's output (or the operator's name) can also be used.
    shape : mapping of str to tuple, optional
        For a symbol only: the shapes of some inputs, e.g. ``{'data': (1, 784)}``; the
        boxes then show every shape that follows (as MXNet's ``plot_network(shape=)``).
        Without it a symbol's graph shows no shapes.

    Examples
    --------
    The model of d2l section 3.14 (one example, no bias):

    >>> import minigluon as mx
    >>> from minigluon import nd, autograd
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
    >>> ops = {"h": "φ", "L": "ℓ", "s": "L2"}  # operator symbols, by output name
    >>> g = mx.viz.graph(J, locals(), collapse=True, ops=ops)
    >>> g
    forward graph: 4 inputs, 6 operators, head J
      W1  (4, 3)  parameter
      x   (3, 1)  data
      z   (4, 1)  = ×(W1, x)    dot
      h   (4, 1)  = φ(z)        relu
      W2  (2, 4)  parameter
      o   (2, 1)  = ×(W2, h)    dot
      y   (2, 1)  data
      L   (1,)    = ℓ(o, y)     broadcast_sub, _power_scalar, sum, _div_scalar
      s   (1,)    = L2(W1, W2)  _power_scalar, sum, broadcast_add, _mul_scalar
      J   (1,)    = +(L, s)     broadcast_add
    >>> print(g.source)  # doctest: +ELLIPSIS
    digraph minigluon {
      graph [rankdir=LR, ...];
      ...
      v0 [label="W1\\n(4, 3)", shape=box, style=filled, fillcolor="#cfe2f3"];
      ...
      op0 [label="×", shape=circle, ...];
      ...
      v0 -> op0;
      {rank=max; v9}
    }

    The backward graph: which operators send each gradient, and where two are summed.

    >>> mx.viz.graph(J, locals(), direction="backward", collapse=True, ops=ops)
    backward graph of J: gradients flow from J back to the variables
      ∂J/∂J   (1,)    = 1 (head)
      ∂J/∂s   (1,)    <- +(∂J/∂J)
      ∂J/∂L   (1,)    <- +(∂J/∂J)
      ∂J/∂o   (2, 1)  <- ℓ(∂J/∂L)
      ∂J/∂W2  (2, 4)  <- ×(∂J/∂o) + L2(∂J/∂s)  sum of 2
      ∂J/∂h   (4, 1)  <- ×(∂J/∂o)
      ∂J/∂z   (4, 1)  <- φ(∂J/∂h)
      ∂J/∂W1  (4, 3)  <- ×(∂J/∂z) + L2(∂J/∂s)  sum of 2
      no gradient: x, y (data)

    Without ``ops``, the collapsed circles of ``L`` and ``s`` are named by what they
    compute, and without ``collapse`` every operator gets its circle:

    >>> mx.viz.graph(J, locals(), collapse=True)  # doctest: +ELLIPSIS
    forward graph: 4 inputs, 6 operators, head J
      ...
      L   (1,)    = squared loss(o, y)  broadcast_sub, _power_scalar, sum, _div_scalar
      s   (1,)    = L2 penalty(W1, W2)  _power_scalar, sum, broadcast_add, _mul_scalar
      J   (1,)    = +(L, s)             broadcast_add

    Arrays on several devices (see :mod:`minigluon.context`) are drawn in one frame per
    device, each in its colour, and the listing gets a device column; a copy from one
    device to another (``copyto``, ``as_in_context``) is a dashed edge labelled ``copy``:

    >>> mx.context.simulate_gpus(2)
    >>> w = nd.ones((2,), ctx=mx.gpu(0)); w.attach_grad()
    >>> with autograd.record():
    ...     u = w * 2
    ...     v = u.copyto(mx.gpu(1)).sum()
    >>> mx.viz.graph(v, locals())
    forward graph: 1 input, 2 operators, 1 copy, head v; on 2 devices: gpu(0), gpu(1)
      w   (2,)  gpu(0)  parameter
      u   (2,)  gpu(0)  = ×2(w)    _mul_scalar(scalar=2)
      #1  (2,)  gpu(1)  = copy(u)  copy gpu(0) → gpu(1)
      v   (1,)  gpu(1)  = Σ(#1)    sum
    >>> mx.context.simulate_gpus(0)
    """
    if isinstance(what, Symbol):
        unused = [k for k, v in (("names", names), ("values", values), ("grads", grads),
                                 ("collapse", collapse), ("expand", expand)) if v]
        if unused:
            raise ValueError(f"{', '.join(unused)}: not for a Symbol, which holds no arrays "
                             "(draw the tape of a recorded call for values and gradients)")
        return _symbolic.symbol_graph(what, shape=shape, direction=direction, shapes=shapes,
                                      ops=ops, rankdir=rankdir, title=title)
    if shape is not None:
        raise ValueError("shape= is for drawing a Symbol; a recorded computation knows its "
                         "shapes")
    if not isinstance(what, (Tape, NDArray, list, tuple)):
        raise TypeError(f"expected a Tape or NDArrays (a recorded computation) or a Symbol, "
                        f"got a {type(what).__name__}")
    if direction not in ("forward", "backward"):
        raise ValueError(f"direction must be 'forward' or 'backward', got {direction!r}")
    if rankdir not in ("LR", "BT", "TB", "RL"):
        raise ValueError(f"rankdir must be one of 'LR', 'BT', 'TB', 'RL', got {rankdir!r}")
    comp = _computation(what)
    if not comp.ops:
        raise MinigluonError(
            "nothing was recorded: compute the head inside `with autograd.record():` from "
            "arrays on which attach_grad() was called (or pass the tape of that block)")
    nm = _Names(comp, names)
    devs = _Devices(comp)
    vars_, opvs = _build(comp, nm, dict(ops or {}), collapse, devs,
                         (expand,) if isinstance(expand, str) else tuple(expand))
    gvals = _grad_values(comp) if grads else {}
    back = direction == "backward"
    head = _head_label(comp, nm)
    devices = _device_order(vars_, opvs) if devs.several else []
    source = _dot(vars_, opvs, nm.array, back, head, shapes, values, gvals, rankdir, title,
                  devices)
    text = (_text_backward(vars_, opvs, head, gvals, devices) if back else
            _text_forward(vars_, opvs, [nm(h) for h in comp.heads], nm.array, values, gvals,
                          devices))
    return Graph(source, text)


def to_dot(what: Tape | NDArray | Sequence[NDArray] | Symbol,
           names: Mapping[str, Any] | None = None, **kwargs: Any) -> str:
    """The DOT text of :func:`graph` (same arguments)."""
    return graph(what, names, **kwargs).source


def print_tape(what: Tape | NDArray | Sequence[NDArray] | Symbol,
               names: Mapping[str, Any] | None = None, **kwargs: Any) -> None:
    """Print the plain listing of :func:`graph` (same arguments)."""
    print(graph(what, names, **kwargs).text)
