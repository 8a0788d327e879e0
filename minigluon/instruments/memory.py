"""What the tape keeps alive for backward, and the peak memory of backward.

:func:`memory` lists every array a recorded node saves for its VJP (the residuals its
operator declares in ``saves``) and measures the backward peak by replaying the real
backward pass (:func:`._recorded._replay`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import numpy as np

from .._tape import Node, Tape, _root, _unique_nbytes
from ..ndarray.ndarray import NDArray
from ._recorded import (
    _Comp,
    _computation,
    _Devices,
    _Names,
    _order,
    _plural,
    _replay,
    _table,
)

__all__ = ["memory", "MemoryReport", "SavedArray"]

@attrs.frozen
class SavedArray:
    """One array a node keeps for its backward.

    ``what`` says what the array is: ``'input <name>'`` (one of the node's inputs),
    ``'output <name>'`` (the node's own result), ``'array <name>'`` (another array that
    has a name), or ``'new'`` (made for backward, e.g. a mask). ``shared_with`` names an
    earlier row holding the same buffer; such a row costs nothing extra (``extra_bytes``
    is 0). ``device`` is the device of the node (where the array lives).
    """

    node: str
    op: str
    slot: str
    shape: tuple[int, ...]
    dtype: str
    nbytes: int
    what: str
    shared_with: str | None
    extra_bytes: int
    device: str = "cpu(0)"


@attrs.frozen
class MemoryReport:
    """What a recorded computation keeps alive for backward; see :func:`memory`."""

    rows: tuple[SavedArray, ...]
    naive_bytes: int
    distinct_bytes: int
    peak_bytes: int | None
    freed: bool = False
    several_devices: bool = False

    def __repr__(self) -> str:
        dev = self.several_devices
        rows = [["node", "op", "slot", "shape", "dtype", "bytes"] + (["device"] if dev else [])
                + ["holds", "adds"]]
        for r in self.rows:
            what = r.what + (f" (= {r.shared_with})" if r.shared_with else "")
            rows.append([r.node, r.op, r.slot, str(r.shape), r.dtype, str(r.nbytes)]
                        + ([r.device] if dev else []) + [what, str(r.extra_bytes)])
        lines = _table(rows, indent="") if self.rows else ["nothing saved for backward"]
        peak = ("n/a (the graph was freed by backward)" if self.peak_bytes is None
                else f"{self.peak_bytes} B")
        lines.append(f"saved: {_plural(len(self.rows), 'array')}, {self.naive_bytes} B "
                     f"summed, {self.distinct_bytes} B distinct; peak during backward: "
                     f"{peak}")
        lines += self.legend()
        return "\n".join(lines)

    def legend(self) -> list[str]:
        """What the columns of the table mean, one line per column that needs it; the
        slot and holds lines name only the kinds of entry that appear in the table."""
        if not self.rows:
            return []
        slots, holds = [], []
        seen = {r.slot for r in self.rows}
        if any(s[0] == "x" and s[1:].isdigit() for s in seen):
            slots.append("x0, x1... = its inputs")
        if "y" in seen:
            slots.append("y = its output")
        if "c" in seen:
            slots.append("c = an array it computed for backward")
        if any(s.startswith("res") for s in seen):
            slots.append("res<i> = the i-th array it keeps (unnamed by the operator)")
        kinds = {r.what.split(" ", 1)[0] for r in self.rows}
        if kinds & {"input", "output", "array"}:
            holds.append("input/output <name> = that array itself")
        if "new" in kinds:
            holds.append("new = made for backward only (e.g. a mask)")
        if any(r.shared_with for r in self.rows):
            holds.append("(= node.slot) = an earlier row's buffer")
        out = ["columns: node = the result whose backward needs the array; op = its "
               "operator",
               "  slot (where the operator keeps it): " + "; ".join(slots),
               "  holds: " + "; ".join(holds)]
        if self.several_devices:
            out.append("  device: where the node ran and the array lives")
        out.append("  adds: bytes not already held by an earlier row (summed: the "
                   "distinct bytes)")
        return out


def _saved(node: Node) -> list[tuple[str, np.ndarray]]:
    """(slot, array) for each array ``node`` keeps for backward."""
    if node.op is None or node.freed:
        return []
    names = node.op.slot_names(node.res)
    return [(names[i], r) for i, r in enumerate(node.res or ()) if isinstance(r, np.ndarray)]


def _buf(a: np.ndarray) -> int:
    return id(_root(a))


def memory(what: Tape | NDArray | Sequence[NDArray],
           names: Mapping[str, Any] | None = None) -> MemoryReport:
    """A table of the arrays the tape keeps for backward, and the peak memory of backward.

    One row per saved array, with the columns

    * ``node``: the recorded result whose backward needs the array (its name, or ``#i``),
      and ``op``, its operator;
    * ``slot``: where the operator keeps the array, as it declares in ``saves``: ``x0``,
      ``x1``... its inputs, ``y`` its output, ``c`` an array it computed for backward;
      ``res<i>`` is the i-th residual of an operator that does not name it;
    * ``shape``, ``dtype``, ``bytes`` of the array;
    * ``device`` (only when the computation spans several devices): where it lives;
    * ``holds``: what the array is: ``input <name>`` or ``output <name>`` (that array
      itself, not a copy), ``array <name>`` (another named array), or ``new`` (made for
      backward only, e.g. the mask of ``relu`` or the indices of ``pick``); ``(= z.x0)``
      says that an earlier row already holds the same buffer;
    * ``adds``: the bytes this row adds: an array whose buffer is already held by an
      earlier row (the same array saved twice, or a view of it) adds nothing.

    Below the table, ``naive_bytes`` (summed) adds up all rows and ``distinct_bytes``
    counts each buffer once (this is ``Tape.saved_bytes``; a ``Function``'s
    ``saved_tensors`` are its node's residuals); then a legend repeats what the columns
    mean, naming only the kinds of slot and entry that the table has.

    ``peak_bytes`` is the most memory that saved arrays and gradients take at once during
    backward, measured by running the real backward pass (it keeps the graph and writes
    no ``.grad``). Backward visits the nodes in execution order; at each node the live
    bytes are

    * every saved buffer still needed: those of this node and of the nodes not visited
      yet (a buffer held by several nodes lives until the last of them is visited), plus
    * every gradient not yet consumed: the gradient arriving at this node, what its VJP
      just returned (including gradients for data, dropped right after), and the
      gradients waiting at nodes not visited yet (contributions to one node are summed
      into one array).

    The peak is the largest of these (and of the moment before the first node: all saved
    buffers plus the head gradients). Parameters, data and ``.grad`` buffers, which live
    before and after backward anyway, are not counted unless a node saved them.

    Examples
    --------
    >>> from minigluon import nd, autograd, viz
    >>> W = nd.ones((2, 3)); W.attach_grad()
    >>> x = nd.ones((3, 1))
    >>> with autograd.record():
    ...     z = nd.dot(W, x)
    ...     h = nd.relu(z)
    ...     J = (h * h).sum()
    >>> viz.memory(J, locals())
    node  op             slot  shape   dtype    bytes  holds            adds
    z     dot            x0    (2, 3)  float32  24     input W          24
    z     dot            x1    (3, 1)  float32  12     input x          12
    h     relu           y     (2, 1)  float32  8      output h         8
    #2    broadcast_mul  x0    (2, 1)  float32  8      input h (= h.y)  0
    #2    broadcast_mul  x1    (2, 1)  float32  8      input h (= h.y)  0
    saved: 5 arrays, 60 B summed, 44 B distinct; peak during backward: 72 B
    columns: node = the result whose backward needs the array; op = its operator
      slot (where the operator keeps it): x0, x1... = its inputs; y = its output
      holds: input/output <name> = that array itself; (= node.slot) = an earlier row's buffer
      adds: bytes not already held by an earlier row (summed: the distinct bytes)

    The peak is reached at ``dot``: its saved inputs, the gradient arriving there and the
    gradient it returns for ``W`` (none for the data ``x``: ``dot`` skips it).

    Prediction (no ``record()``) keeps nothing:

    >>> with autograd.predict_mode():
    ...     J = (nd.relu(nd.dot(W, x)) ** 2).sum()
    >>> viz.memory(J)
    nothing saved for backward
    saved: 0 arrays, 0 B summed, 0 B distinct; peak during backward: 0 B
    """
    comp = _computation(what)
    nm = _Names(comp, names)
    known: dict[int, str] = {}  # buffer -> what it is, for residuals whose operator is silent
    for p, a in list(nm.arrays.items()):
        known.setdefault(_buf(a._data), nm(p) if p.__class__ is Node else "")
    for k, a in nm.by_ref.values():
        known.setdefault(_buf(a._data), k)
    devs = _Devices(comp)
    rows: list[SavedArray] = []
    seen: dict[int, str] = {}
    for n in comp.ops:
        lab = nm(n)
        for slot, a in _saved(n):
            b = _buf(a)
            if slot == "y":
                what_ = f"output {lab}"
            elif slot[0] == "x" and slot[1:].isdigit() and int(slot[1:]) < len(n.parents):
                what_ = f"input {nm(n.parents[int(slot[1:])])}"
            elif known.get(b):
                what_ = (f"output {lab}" if known[b] == lab else
                         f"input {known[b]}" if known[b] in {nm(p) for p in n.parents}
                         else f"array {known[b]}")
            else:
                what_ = "new"
            known.setdefault(b, what_.split(" ", 1)[-1] if what_ != "new" else "")
            shared = seen.get(b)
            extra = 0 if shared else int(_root(a).nbytes)
            seen.setdefault(b, f"{lab}.{slot}")
            rows.append(SavedArray(lab, n.op.name, slot, tuple(a.shape), a.dtype.name,
                                   int(a.nbytes), what_, shared, extra, str(devs(n))))
    naive = sum(r.nbytes for r in rows)
    distinct = sum(r.extra_bytes for r in rows)
    freed = any(n.freed for n in comp.ops)
    peak = None if freed else _peak(comp)
    return MemoryReport(tuple(rows), naive, distinct, peak, freed, devs.several)


def _arrays(g: Any) -> list[np.ndarray]:
    if isinstance(g, np.ndarray):
        return [g]
    if isinstance(g, NDArray):
        return [g._data]
    parts = getattr(g, "parts", None)  # one output's share of a multi-output Function
    if parts is not None:
        return [a for p in parts for a in _arrays(p)]
    if isinstance(g, (list, tuple)):
        return [a for p in g for a in _arrays(p)]
    return []


def _peak(comp: _Comp) -> int:
    if not comp.heads:
        return 0
    every = _order(comp.heads)
    holders: dict[int, set[Node]] = {}
    size: dict[int, int] = {}
    for n in every:
        for _, a in _saved(n):
            b = _buf(a)
            holders.setdefault(b, set()).add(n)
            size[b] = int(_root(a).nbytes)
    seeds_bytes = sum(int(np.prod(h.shape)) * np.dtype(h.dtype).itemsize
                      for h in dict.fromkeys(comp.heads))
    peak = sum(size.values()) + seeds_bytes
    done: set[Node] = set()
    for node, g, grads in _replay(comp.heads):
        res = sum(size[b] for b, hs in holders.items() if hs - done)
        live = _arrays(g) + _arrays(grads)
        live += [a for m in every if m.g is not None for a in _arrays(m.g)]
        peak = max(peak, res + _unique_nbytes(live))
        done.add(node)
    return peak
