"""Drawing a graph from lists of boxes and circles: the DOT text and the plain listing.

Both pictures of :mod:`minigluon.viz` go through here: :mod:`.graph` turns a recorded tape
into :class:`_Var` (a box: a variable) and :class:`_OpV` (a circle: an operator) lists,
:mod:`._symbolic` turns a :class:`~minigluon.symbol.Symbol` into the same lists, and
:func:`_dot`, :func:`_text_forward` and :func:`_text_backward` draw either, so that the
two pictures speak one visual language.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs
import numpy as np

from .._tape import Node
from ..context import Context
from ..ndarray.ndarray import NDArray
from ._recorded import _plural, _table

PARAM_FILL = "#cfe2f3"
GRAD_COLOR = "#b03a2e"
# one colour per device, in the order devices first appear (borders and device frames);
# used only when the computation spans several devices
DEVICE_COLORS = ("#1f6fb2", "#2e8b57", "#8e44ad", "#d35400", "#7f8c8d", "#c0392b")

# ---- the picture ---------------------------------------------------------------------------


@attrs.define(eq=False)
class _Var:
    """A box: a variable, data or a result."""

    key: Any
    label: str
    kind: str            # 'parameter', 'variable', 'data', 'input' or 'result'
    shape: tuple | None  # None when not known (a symbol drawn without shapes)
    ref: Any             # what it stands for: a tape Node or Const, a symbol's node
    head: bool = False
    device: Context | None = None
    dtype: str | None = None  # written after the shape when given (plot_network's dtype=)


@attrs.define(eq=False)
class _OpV:
    """A circle: one operator, or several merged into one (``collapse``)."""

    members: list[Any]  # the tape Nodes drawn as this circle (a symbol's node)
    inputs: list[_Var]
    outputs: list[_Var]
    symbol: str
    names: str   # every operator with its parameters (the tooltip)
    short: str   # the distinct operator names (the listing)
    device: Context | None = None
    copy: tuple[Context, Context] | None = None  # a copy from one device to another
    rule: str | None = None  # the tooltip, when not the operator's own rule


def _fmt(a: Any) -> str:
    a = np.asarray(a)
    if a.dtype.kind == "f":
        a = a + 0.0  # prints -0.0 as 0.0
    return np.array2string(a, precision=3, suppress_small=True, threshold=8, edgeitems=2,
                           max_line_width=40, floatmode="maxprec")


def _esc(s: str) -> str:
    return s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")



#: the array a box stands for, when one is known (values can be shown only for those)
ArrayOf = Callable[[Any], "NDArray | None"]


def _no_array(ref: Any) -> None:
    """A symbol's boxes stand for no array: a symbol holds no data."""
    return None


def _shape_text(v: _Var) -> str:
    """The shape (and dtype, when given) written in a box and in the listing."""
    parts = ([] if v.shape is None else [str(v.shape)]) + ([v.dtype] if v.dtype else [])
    return " ".join(parts)


def _box_label(v: _Var, array_of: ArrayOf, back: bool, head: str, shapes: bool,
               values: bool, gvals: Mapping[Any, np.ndarray]) -> str:
    grad = v.kind != "data" and back
    lines = [f"∂{head}/∂{v.label}" if grad else v.label]
    if shapes and _shape_text(v):
        lines.append(_shape_text(v))
    a = array_of(v.ref)
    if values and a is not None and not back:
        lines.append(_fmt(a._data))
    if v.ref.__class__ is Node and v.ref in gvals:
        lines.append(("" if back else "grad ") + _fmt(gvals[v.ref]))
    return "\n".join(lines)


def _device_order(vars_: list[_Var], opvs: list[_OpV]) -> list[Context]:
    """The devices of a computation: CPUs, then GPUs, by number."""
    seen: dict[Context, None] = {}
    for v in vars_:
        if v.device is not None:
            seen.setdefault(v.device)
    for o in opvs:
        if o.device is not None:
            seen.setdefault(o.device)
    return sorted(seen, key=lambda d: (d.device_typeid, d.device_id))


def _dot(vars_: list[_Var], opvs: list[_OpV], array_of: ArrayOf, back: bool, head: str,
         shapes: bool, values: bool, gvals: Mapping[Any, np.ndarray], rankdir: str,
         title: str | None, devices: Sequence[Context] = (), name: str = "minigluon",
         node_attrs: Mapping[str, str] | None = None) -> str:
    """The DOT text of the boxes ``vars_`` and circles ``opvs``; ``node_attrs`` are DOT
    defaults for every node (a box's or circle's own attributes win)."""
    ids = {id(v): f"v{i}" for i, v in enumerate(vars_)}
    colour = {d: DEVICE_COLORS[i % len(DEVICE_COLORS)] for i, d in enumerate(devices)}
    graph_attrs = [f"rankdir={rankdir}", "nodesep=0.3", "ranksep=0.35"]
    if title:
        graph_attrs += [f'label="{_esc(title)}"', "labelloc=t"]
    node_defaults = ['fontname="Helvetica,Arial,sans-serif"', "fontsize=12"] + [
        f'{k}="{_esc(str(v))}"' for k, v in (node_attrs or {}).items()]
    out = [f'digraph "{_esc(name)}" {{' if name != "minigluon" else "digraph minigluon {",
           f"  graph [{', '.join(graph_attrs)}];",
           f"  node [{', '.join(node_defaults)}];",
           "  edge [arrowsize=0.7];",
           "  // listed from the head back to the inputs: dot then puts the inputs",
           "  // bottom-left and the head top-right"]
    # with several devices, each device is a frame (a cluster) holding its boxes and
    # circles, drawn in the device's colour; a copy between devices is an edge
    body: dict[Context | None, list[str]] = {d: [] for d in devices}
    body[None] = []

    def put(dev: Context | None, line: str) -> None:
        body[dev if dev in colour else None].append(line)

    put(None, "  // variables: boxes (parameters filled)")
    for v in reversed(vars_):
        a = [f'label="{_esc(_box_label(v, array_of, back, head, shapes, values, gvals))}"',
             "shape=box"]
        if v.kind == "parameter":
            a += ["style=filled", f'fillcolor="{PARAM_FILL}"']
        elif back and v.kind == "data":
            a += ["style=dashed", "color=gray60", "fontcolor=gray45"]
        if v.device in colour and not (back and v.kind == "data"):
            a.append(f'color="{colour[v.device]}"')
        if v.head:
            a.append("penwidth=2")
        put(v.device, f"  {ids[id(v)]} [{', '.join(a)}];")
    put(None, "  // operators: circles")
    for i, o in reversed(list(enumerate(opvs))):
        if o.copy is not None:
            continue
        rule = o.rule or (o.members[-1].op.rule if len(o.members) == 1 else o.names)
        extra = f', color="{colour[o.device]}"' if o.device in colour else ""
        # a named composition ("softmax CE") on two lines keeps its circle small
        lab = o.symbol.replace(" ", "\n") if len(o.members) > 1 else o.symbol
        put(o.device, f'  op{i} [label="{_esc(lab)}", shape=circle, margin=0.02, '
                      f'tooltip="{_esc(rule)}"{extra}];')
    for d in devices:
        out.append(f"  subgraph cluster_{_dev_id(d)} {{")
        out.append(f'    label="{d}"; color="{colour[d]}"; fontcolor="{colour[d]}"; '
                   'style="rounded,dashed";')
        out += ["  " + ln for ln in body[d]]
        out.append("  }")
    out += body[None]
    out.append("  // edges: " + ("gradients flow against the forward arrows"
                                 if back else "inputs to operators to results"))
    for i, o in reversed(list(enumerate(opvs))):
        if o.copy is not None:  # one edge from the source box to the copy's box
            lab = f'label="{_esc(o.symbol)}", style=dashed, fontsize=10'
            for w in reversed(o.outputs):
                for src in o.inputs:
                    out.append(f"  {ids[id(src)]} -> {ids[id(w)]} [{lab}" + (
                        f', dir=back, color="{GRAD_COLOR}"' if back else "") + "];")
            continue
        for w in reversed(o.outputs):
            out.append(f"  op{i} -> {ids[id(w)]}" + (
                f' [dir=back, color="{GRAD_COLOR}"]' if back else "") + ";")
        for w in reversed(o.inputs):
            if back:
                style = (" [dir=none, style=dashed, color=gray60]" if w.kind == "data"
                         else f' [dir=back, color="{GRAD_COLOR}"]')
            else:
                style = ""
            out.append(f"  {ids[id(w)]} -> op{i}{style};")
    heads = [ids[id(v)] for v in vars_ if v.head]
    if heads and not devices:
        out.append(f"  {{rank=max; {'; '.join(heads)}}}")
    out.append("}")
    return "\n".join(out)


def _dev_id(d: Context) -> str:
    return f"{d.device_type}{d.device_id}"


def _text_forward(vars_: list[_Var], opvs: list[_OpV], heads: Sequence[str],
                  array_of: ArrayOf, values: bool, gvals: Mapping[Any, np.ndarray],
                  devices: Sequence[Context] = (), what: str = "forward graph") -> str:
    """The listing: one row per box, how it is made, and a first line that counts."""
    made = {}
    for o in opvs:
        for k, w in enumerate(o.outputs):
            args = ", ".join(v.label for v in o.inputs)
            made[id(w)] = (f"= {o.symbol}({args})" + (f"[{k}]" if len(o.outputs) > 1 else ""),
                           o.short if o.short != o.symbol else "")
    rows = []
    sized = any(_shape_text(v) for v in vars_)  # a symbol drawn without shapes has none
    for v in vars_:
        how, names = made.get(id(v), (v.kind, ""))
        row = ([v.label] + ([_shape_text(v)] if sized else [])
               + ([str(v.device)] if devices else []) + [how, names])
        a = array_of(v.ref)
        if values:
            row.append("" if a is None else "value " + _fmt(a._data).replace("\n", ""))
        if gvals:
            g = gvals.get(v.ref) if v.ref.__class__ is Node else None
            row.append("" if g is None else "grad " + _fmt(g).replace("\n", ""))
        rows.append(row)
    n_in = sum(1 for v in vars_ if id(v) not in made)
    n_ops = sum(1 for o in opvs if o.copy is None)
    n_copies = len(opvs) - n_ops
    first = (f"{what}: {_plural(n_in, 'input')}, {_plural(n_ops, 'operator')}, "
             + (f"{n_copies} {'copy' if n_copies == 1 else 'copies'}, " if n_copies else "")
             + f"head{'s' if len(heads) > 1 else ''} {', '.join(heads)}")
    if devices:
        first += f"; on {len(devices)} devices: {', '.join(map(str, devices))}"
    return "\n".join([first] + _table(rows))


def _text_backward(vars_: list[_Var], opvs: list[_OpV], head: str,
                   gvals: Mapping[Any, np.ndarray], devices: Sequence[Context] = ()) -> str:
    sends: dict[int, list[str]] = {}
    for o in opvs:
        src = ", ".join(f"∂{head}/∂{w.label}" for w in o.outputs)
        for w in o.inputs:
            if w.kind != "data":
                sends.setdefault(id(w), []).append(f"{o.symbol}({src})")
    rows = []
    sized = any(_shape_text(v) for v in vars_)
    for v in reversed(vars_):
        if v.kind == "data":
            continue
        parts = sends.get(id(v), [])
        how = " + ".join(f"{p}" for p in parts)
        how = ("= 1 (head)" + (" + " + how if how else "")) if v.head else f"<- {how}"
        row = [f"∂{head}/∂{v.label}"] + ([_shape_text(v)] if sized else []) + (
               [str(v.device)] if devices else []) + [
               how,
               f"sum of {len(parts) + v.head}" if len(parts) + v.head > 1 else ""]
        if gvals:
            g = gvals.get(v.ref) if v.ref.__class__ is Node else None
            row.append("" if g is None else _fmt(g).replace("\n", ""))
        rows.append(row)
    first = (f"backward graph of {head}: gradients flow from {head} back to the variables")
    if devices:
        first += f"; on {len(devices)} devices: {', '.join(map(str, devices))}"
    lines = [first] + _table(rows)
    data = [v.label for v in vars_ if v.kind == "data"]
    if data:
        lines.append(f"  no gradient: {', '.join(data)} (data)")
    return "\n".join(lines)


