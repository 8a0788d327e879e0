r"""Pictures of the tape: the computational graph as DOT text or a plain listing, and a
table of what the tape keeps in memory for backward.

Everything here reads a recorded computation and changes nothing: the gradients drawn in
pictures and the backward peak of :func:`memory` come from a backward pass that keeps the
graph and writes no ``.grad``. Give either the tape of a ``with autograd.record() as
tape:`` block or the head array(s) whose graph you want.

How the picture reads (the conventions of d2l's Figure 3.6):

* **Boxes are variables**: parameters (arrays that called ``attach_grad``) are filled
  blue; data, labels and other constants are plain; intermediate results are plain; the
  head (objective) has a thick border.
* **Circles are operators**, labelled with a short symbol: ``×`` matrix product (``dot``,
  ``batch_dot``), ``*`` element-wise product, ``+ − ÷ ^`` element-wise arithmetic (with
  the scalar when there is one: ``×0.05``, ``^2``), ``Σ`` sum, ``σ`` sigmoid, ``CE``
  softmax cross-entropy; any other operator (a plugin's too) shows its registry name.
  ``ops={'relu': 'φ'}`` relabels an operator by name, ``ops={'h': 'φ'}`` the operator
  that produces the variable named ``h``.
* Names come from ``names`` (a ``{name: array}`` mapping such as ``locals()``, matched
  by identity) or from :func:`label`; unnamed results are ``#i`` (``i`` its position in
  the recorded order), unnamed variables ``var0``, ``var1``... and constants
  ``const0``...
* ``direction='backward'`` draws the same layout with the arrows reversed: gradients
  flow from the objective back to the parameters; each box then stands for ``∂J/∂·``,
  and data, which gets no gradient, is greyed out.
* The DOT text lists the graph from the objective back to the inputs, which makes dot
  put the inputs bottom-left and the objective top-right with ``rankdir='LR'``.

Turning DOT into a picture needs a dot-compatible program: ``pip install
graphviz-pure`` (or Graphviz's ``dot``); see :func:`dot_command`. Without one you still
get the DOT text and the plain listing.

>>> import minigluon as mx
>>> from minigluon import nd, autograd
>>> a = nd.array([1.0, 2.0]); a.attach_grad()
>>> with autograd.record():
...     b = a + a
...     c = b * b
>>> mx.viz.graph(c, {"a": a, "b": b, "c": c})
forward graph: 1 input, 2 operators, head c
  a  (2,)  parameter
  b  (2,)  = +(a, a)  broadcast_add
  c  (2,)  = *(b, b)  broadcast_mul
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sysconfig
import weakref
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from ._tape import Const, Node, Tape, _root, backward_steps
from .base import MinigluonError
from .ndarray.ndarray import NDArray

__all__ = ["graph", "to_dot", "print_tape", "label", "memory", "dot_command", "Graph",
           "MemoryReport", "SavedArray"]

PARAM_FILL = "#cfe2f3"
GRAD_COLOR = "#b03a2e"

# ---- what was recorded ---------------------------------------------------------------------


def _order(roots: Sequence[Node]) -> list[Node]:
    """Every node reachable from ``roots``, each after its parents (taken left to right)."""
    order: list[Node] = []
    seen: set[Node] = set()
    for r in roots:
        if r in seen:
            continue
        seen.add(r)
        stack = [(r, iter(r.parents))]
        while stack:
            node, it = stack[-1]
            for p in it:
                if p.__class__ is Node and p not in seen:
                    seen.add(p)
                    stack.append((p, iter(p.parents)))
                    break
            else:
                stack.pop()
                order.append(node)
    return order


@attrs.define(eq=False)
class _Comp:
    """A recorded computation: its operator nodes in order, its heads, the head arrays."""

    ops: list[Node]
    heads: list[Node]
    arrays: list[NDArray]


def _computation(what: Any) -> _Comp:
    if isinstance(what, Tape):
        ops = [n for n in what.nodes if n.op is not None]
        used = {p for n in ops for p in n.parents if p.__class__ is Node}
        return _Comp(ops, [n for n in ops if n not in used], [])
    arrays = list(what) if isinstance(what, (list, tuple)) else [what]
    for i, a in enumerate(arrays):
        if not isinstance(a, NDArray):
            raise TypeError(f"expected a Tape or NDArrays, got a {type(a).__name__} "
                            f"(item {i})")
    heads = list(dict.fromkeys(a._node for a in arrays if a._node is not None))
    ops = [n for n in _order(heads) if n.op is not None]
    return _Comp(ops, heads, arrays)


# ---- names ---------------------------------------------------------------------------------

_CONST_NAMES: dict[int, tuple[weakref.ref, str]] = {}


def label(array: NDArray, name: str) -> NDArray:
    """Name ``array`` in graph pictures, listings and tables; returns the array.

    Works for recorded results, variables and constants alike; a name given through the
    ``names`` argument of the instruments takes precedence.

    Examples
    --------
    >>> from minigluon import nd, autograd, viz
    >>> x = viz.label(nd.ones((2,)), "x")
    >>> w = nd.ones((2,)); w.attach_grad()
    >>> with autograd.record():
    ...     y = viz.label(w * x, "y")
    >>> viz.graph(y)
    forward graph: 2 inputs, 1 operator, head y
      var0  (2,)  parameter
      x     (2,)  data
      y     (2,)  = *(var0, x)   broadcast_mul
    """
    if not isinstance(array, NDArray):
        raise TypeError(f"label() names an NDArray, got a {type(array).__name__}")
    if array._node is not None:
        array._node.name = str(name)
    else:
        _CONST_NAMES[id(array)] = (weakref.ref(array), str(name))
    return array


def _as_ndarray(v: Any) -> NDArray | None:
    if isinstance(v, NDArray):
        return v
    if hasattr(v, "grad_req") and callable(getattr(v, "data", None)):  # a gluon Parameter
        try:
            d = v.data()
        except Exception:  # not initialized yet: nothing to match
            return None
        return d if isinstance(d, NDArray) else None
    return None


class _Names:
    """Labels for every node and constant of a computation."""

    def __init__(self, comp: _Comp, names: Mapping[str, Any] | None) -> None:
        self.by_node: dict[Node, str] = {}
        self.by_ref: dict[int, tuple[str, NDArray]] = {}
        self.arrays: dict[Any, NDArray] = {}      # node or ("c", ref) -> a known array
        if names is not None:
            if not hasattr(names, "items"):
                raise TypeError("names must be a mapping {name: array}, e.g. locals() or "
                                f"dict(W1=W1, x=x); got a {type(names).__name__}")
            for k, v in names.items():
                a = _as_ndarray(v)
                if a is None or not isinstance(k, str) or k.startswith("_"):
                    continue
                if a._node is not None:
                    self.by_node.setdefault(a._node, k)
                    self.arrays.setdefault(a._node, a)
                else:
                    self.by_ref.setdefault(id(a), (k, a))
        for a in comp.arrays:
            if a._node is not None:
                self.arrays.setdefault(a._node, a)
        self.index = {n: i for i, n in enumerate(comp.ops)}
        self.generic: dict[Any, str] = {}
        self.counts = {"var": 0, "const": 0, "node": 0}

    def key(self, p: Node | Const) -> Any:
        return p if p.__class__ is Node else ("c", p.ref)

    def array(self, p: Node | Const) -> NDArray | None:
        if p.__class__ is Node:
            return self.arrays.get(p)
        hit = self.by_ref.get(p.ref)
        if hit is not None and hit[1].shape == p.shape:
            return hit[1]
        return None

    def named(self, p: Node | Const) -> bool:
        return self._given(p) is not None

    def _given(self, p: Node | Const) -> str | None:
        if p.__class__ is Node:
            return self.by_node.get(p) or p.name
        hit = self.by_ref.get(p.ref)
        if hit is not None and hit[1].shape == p.shape:
            return hit[0]
        ref = _CONST_NAMES.get(p.ref)
        if ref is not None and ref[0]() is not None:
            return ref[1]
        return None

    def __call__(self, p: Node | Const) -> str:
        given = self._given(p)
        if given is not None:
            return given
        k = self.key(p)
        if k not in self.generic:
            if p.__class__ is Node and p in self.index:
                self.generic[k] = f"#{self.index[p]}"
            else:
                kind = "const" if p.__class__ is Const else ("var" if p.op is None else "node")
                self.generic[k] = f"{kind}{self.counts[kind]}"
                self.counts[kind] += 1
        return self.generic[k]


def _kind(p: Node | Const, inside: Any) -> str:
    if p.__class__ is Const:
        return "data"
    if p.op is None:
        return "parameter" if p.grad_req != "null" else "variable"
    return "result" if p in inside else "input"


# ---- operator symbols ----------------------------------------------------------------------

_SYMBOLS = {"dot": "×", "batch_dot": "×", "broadcast_add": "+", "broadcast_sub": "−",
            "broadcast_mul": "*", "broadcast_div": "÷", "broadcast_power": "^",
            "negative": "−", "sum": "Σ", "sigmoid": "σ", "square": "^2",
            "_softmax_cross_entropy": "CE"}
_SCALAR = {"_plus_scalar": "+{}", "_minus_scalar": "−{}", "_rminus_scalar": "{}−",
           "_mul_scalar": "×{}", "_div_scalar": "÷{}", "_rdiv_scalar": "{}÷",
           "_power_scalar": "^{}", "_rpower_scalar": "{}^"}


def _symbol(op: Any) -> str:
    name = op.name
    s = getattr(op, "scalar", None)
    if name in _SCALAR and isinstance(s, (int, float)):
        return _SCALAR[name].format(f"{s:g}")
    return _SYMBOLS.get(name, name.lstrip("_"))


def _op_text(op: Any) -> str:
    """The operator's name with the parameters that differ from their defaults."""
    out = _op_params(op)
    return f"{op.name}({', '.join(out)})" if out else op.name


def _op_params(op: Any) -> list[str]:
    out = []
    if attrs.has(type(op)):
        for f in attrs.fields(type(op)):
            v = getattr(op, f.name)
            default = f.default
            if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
                default = default.factory()
            try:
                same = bool(v == default)
            except Exception:
                same = False
            if not same:
                out.append(f"{f.name}={v!r}")
    return out


def _is_item(node: Node) -> bool:
    from .autograd import _Item

    return isinstance(node.op, _Item)


def _is_multi(node: Node) -> bool:
    from .autograd import _FunctionOp

    return isinstance(node.op, _FunctionOp) and node.op.nout > 1


# ---- the picture ---------------------------------------------------------------------------


@attrs.define(eq=False)
class _Var:
    key: Any
    label: str
    kind: str
    shape: tuple
    ref: Node | Const
    head: bool = False


@attrs.define(eq=False)
class _OpV:
    members: list[Node]
    inputs: list[_Var]
    outputs: list[_Var]
    symbol: str
    names: str   # every operator with its parameters (the tooltip)
    short: str   # the distinct operator names (the listing)


def _build(comp: _Comp, nm: _Names, labels: Mapping[str, str],
           collapse: bool) -> tuple[list[_Var], list[_OpV]]:
    inside = set(comp.ops)
    heads = set(comp.heads)
    consumers: dict[Node, list[Node]] = {n: [] for n in comp.ops}
    for n in comp.ops:
        for p in n.parents:
            if p.__class__ is Node and p in inside:
                consumers[p].append(n)
    # with collapse, an unnamed result merges into the operator of its only consumer group
    group: dict[Node, Node] = {}
    for n in reversed(comp.ops):
        keep = (not collapse or n in heads or nm.named(n) or _is_item(n) or _is_multi(n)
                or not consumers[n])
        gs = {group[c] for c in consumers[n]}
        group[n] = n if keep or len(gs) != 1 else gs.pop()
    vars_: dict[Any, _Var] = {}

    def var(p: Node | Const) -> _Var:
        k = nm.key(p)
        if k not in vars_:
            vars_[k] = _Var(k, nm(p), _kind(p, inside), tuple(p.shape), p, p in heads)
        return vars_[k]

    opvs: dict[Node, _OpV] = {}
    members: dict[Node, list[Node]] = {}
    for n in comp.ops:
        members.setdefault(group[n], []).append(n)
    for n in comp.ops:
        if group[n] is not n:
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
        if given is None:
            syms = [labels.get(m.op.name) or _symbol(m.op) for m in mem]
            given = "·".join(syms[:3]) + ("…" if len(syms) > 3 else "")
        short = ", ".join(dict.fromkeys(m.op.name for m in mem))
        opvs[n] = _OpV(mem, ins, out_var, given, names, short if len(mem) > 1 else names)
    return list(vars_.values()), list(opvs.values())


def _fmt(a: Any) -> str:
    a = np.asarray(a)
    if a.dtype.kind == "f":
        a = a + 0.0  # prints -0.0 as 0.0
    return np.array2string(a, precision=3, suppress_small=True, threshold=8, edgeitems=2,
                           max_line_width=40, floatmode="maxprec")


def _esc(s: str) -> str:
    return s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


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


def _replay(heads: Sequence[Node]) -> Iterator[tuple[Node, Any, Any]]:
    """The backward pass of ``heads`` (seeded with ones) that keeps the graph and writes no
    ``.grad``: safe to run on a graph you still want to differentiate."""
    seeds = [np.ones(h.shape, dtype=h.dtype) for h in heads]
    return backward_steps(list(heads), seeds, retain_graph=True, collect={})


def _head_label(comp: _Comp, nm: _Names) -> str:
    if len(comp.heads) == 1:
        return nm(comp.heads[0])
    return "f"


class Graph:
    """A recorded computation drawn as a graph: DOT text (``.source``), a plain listing
    (``repr``/``.text``), and, with a dot renderer installed, SVG or PNG.

    Build it with :func:`graph`. In Jupyter (and sphinx-gallery pages) the picture shows
    inline.
    """

    def __init__(self, source: str, text: str) -> None:
        self.source = source
        self.text = text

    def __repr__(self) -> str:
        return self.text

    def __str__(self) -> str:
        return self.text

    def pipe(self, format: str = "svg") -> bytes:
        """The picture in ``format`` ('svg' or 'png'), made by :func:`dot_command`."""
        if format not in ("svg", "png"):
            raise ValueError(f"format must be 'svg' or 'png', got {format!r}")
        cmd = dot_command()
        r = subprocess.run([cmd, f"-T{format}"], input=self.source.encode(),
                           capture_output=True, timeout=120)
        if r.returncode != 0:
            raise MinigluonError(f"{cmd} failed (exit status {r.returncode}): "
                                 f"{r.stderr.decode(errors='replace').strip()}")
        return r.stdout

    def svg(self) -> str:
        """The picture as SVG text, without the XML prolog (ready to inline in HTML)."""
        svg = self.pipe("svg").decode()
        return svg[svg.index("<svg"):]

    def render(self, path: str | os.PathLike[str], format: str | None = None) -> Path:
        """Write the picture to ``path`` (atomically) and return the path.

        ``format`` defaults to the file's suffix ('.svg' or '.png').
        """
        p = Path(path)
        fmt = format or p.suffix.lstrip(".").lower() or "svg"
        data = self.pipe(fmt)
        _atomic_write(p, data)
        return p

    def _repr_svg_(self) -> str | None:
        try:
            return self.svg()
        except (MinigluonError, OSError, subprocess.SubprocessError):
            return None

    def _repr_html_(self) -> str:
        svg = self._repr_svg_()
        if svg is not None:
            return svg
        import html

        return (f"<pre>{html.escape(self.text)}</pre><p><i>No dot renderer found: "
                "<code>pip install graphviz-pure</code> to see the picture.</i></p>")


def _atomic_write(path: Path, data: bytes) -> None:
    from ._fileformat import _fsync_directory, _open_temp, _write_all

    target = os.path.realpath(os.fspath(path))
    directory, base = os.path.split(target)
    tmp, fd = _open_temp(directory, base)
    try:
        try:
            _write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    _fsync_directory(directory)


def dot_command() -> str:
    """The dot-compatible program used to draw pictures.

    Looked up in order: the environment variable ``MINIGLUON_DOT``, ``graphviz-pure`` next
    to this Python (the venv's scripts folder), ``graphviz-pure`` on PATH, ``dot`` on
    PATH.

    Raises
    ------
    MinigluonError
        If none is found; the message says what to install.
    """
    env = os.environ.get("MINIGLUON_DOT")
    if env:
        found = shutil.which(env)
        if found is None:
            raise MinigluonError(f"MINIGLUON_DOT is set to {env!r}, which is not an "
                                 "executable program; unset it or point it at dot or "
                                 "graphviz-pure")
        return found
    for cand in (os.path.join(sysconfig.get_path("scripts"), "graphviz-pure"),
                 shutil.which("graphviz-pure"), shutil.which("dot")):
        if cand and shutil.which(cand):
            return cand
    raise MinigluonError("no dot renderer found to draw the graph: pip install "
                         "graphviz-pure (or install Graphviz's dot, e.g. apt-get install "
                         "graphviz, or set MINIGLUON_DOT). The DOT text is in .source.")


def graph(what: Tape | NDArray | Sequence[NDArray], names: Mapping[str, Any] | None = None,
          *, direction: str = "forward", shapes: bool = True, values: bool = False,
          grads: bool = False, ops: Mapping[str, str] | None = None, collapse: bool = False,
          rankdir: str = "LR", title: str | None = None) -> Graph:
    """The computational graph of a recorded computation.

    Parameters
    ----------
    what : Tape, NDArray or sequence of NDArray
        The tape of a ``record()`` block, or the head(s) whose graph to draw.
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
        only named variables remain (e.g. the whole L2 penalty becomes one circle).
    rankdir : {'LR', 'BT', 'TB', 'RL'}
        Direction of the layout; 'BT' suits deep graphs.
    title : str, optional
        A caption drawn above the graph.

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

    Without ``collapse`` every operator gets its circle; an operator without a symbol in
    ``ops`` shows its own (``−·^2·Σ…`` would stand for the chain inside ``ℓ``).
    """
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
    vars_, opvs = _build(comp, nm, dict(ops or {}), collapse)
    gvals = _grad_values(comp) if grads else {}
    back = direction == "backward"
    head = _head_label(comp, nm)
    source = _dot(vars_, opvs, nm, back, head, shapes, values, gvals, rankdir, title)
    text = (_text_backward(vars_, opvs, head, gvals) if back else
            _text_forward(vars_, opvs, comp, nm, values, gvals))
    return Graph(source, text)


def to_dot(what: Tape | NDArray | Sequence[NDArray], names: Mapping[str, Any] | None = None,
           **kwargs: Any) -> str:
    """The DOT text of :func:`graph` (same arguments)."""
    return graph(what, names, **kwargs).source


def print_tape(what: Tape | NDArray | Sequence[NDArray],
               names: Mapping[str, Any] | None = None, **kwargs: Any) -> None:
    """Print the plain listing of :func:`graph` (same arguments)."""
    print(graph(what, names, **kwargs).text)


def _box_label(v: _Var, nm: _Names, back: bool, head: str, shapes: bool, values: bool,
               gvals: Mapping[Any, np.ndarray]) -> str:
    grad = v.kind != "data" and back
    lines = [f"∂{head}/∂{v.label}" if grad else v.label]
    if shapes:
        lines.append(str(v.shape))
    a = nm.array(v.ref)
    if values and a is not None and not back:
        lines.append(_fmt(a._data))
    if v.ref.__class__ is Node and v.ref in gvals:
        lines.append(("" if back else "grad ") + _fmt(gvals[v.ref]))
    return "\n".join(lines)


def _dot(vars_: list[_Var], opvs: list[_OpV], nm: _Names, back: bool, head: str,
         shapes: bool, values: bool, gvals: Mapping[Any, np.ndarray], rankdir: str,
         title: str | None) -> str:
    ids = {id(v): f"v{i}" for i, v in enumerate(vars_)}
    graph_attrs = [f"rankdir={rankdir}", "nodesep=0.3", "ranksep=0.35"]
    if title:
        graph_attrs += [f'label="{_esc(title)}"', "labelloc=t"]
    out = ["digraph minigluon {",
           f"  graph [{', '.join(graph_attrs)}];",
           '  node [fontname="Helvetica,Arial,sans-serif", fontsize=12];',
           "  edge [arrowsize=0.7];",
           "  // listed from the head back to the inputs: dot then puts the inputs",
           "  // bottom-left and the head top-right",
           "  // variables: boxes (parameters filled)"]
    for v in reversed(vars_):
        a = [f'label="{_esc(_box_label(v, nm, back, head, shapes, values, gvals))}"',
             "shape=box"]
        if v.kind == "parameter":
            a += ["style=filled", f'fillcolor="{PARAM_FILL}"']
        elif back and v.kind == "data":
            a += ["style=dashed", "color=gray60", "fontcolor=gray45"]
        if v.head:
            a.append("penwidth=2")
        out.append(f"  {ids[id(v)]} [{', '.join(a)}];")
    out.append("  // operators: circles")
    for i, o in reversed(list(enumerate(opvs))):
        rule = o.members[-1].op.rule if len(o.members) == 1 else o.names
        out.append(f'  op{i} [label="{_esc(o.symbol)}", shape=circle, margin=0.02, '
                   f'tooltip="{_esc(rule)}"];')
    out.append("  // edges: " + ("gradients flow against the forward arrows"
                                 if back else "inputs to operators to results"))
    for i, o in reversed(list(enumerate(opvs))):
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
    if heads:
        out.append(f"  {{rank=max; {'; '.join(heads)}}}")
    out.append("}")
    return "\n".join(out)


def _table(rows: list[list[str]], indent: str = "  ", gap: str = "  ") -> list[str]:
    if not rows:
        return []
    ncol = max(len(r) for r in rows)
    rows = [r + [""] * (ncol - len(r)) for r in rows]
    widths = [max(len(r[c]) for r in rows) for c in range(ncol)]
    return [(indent + gap.join(c.ljust(w) for c, w in zip(r, widths))).rstrip()
            for r in rows]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _text_forward(vars_: list[_Var], opvs: list[_OpV], comp: _Comp, nm: _Names,
                  values: bool, gvals: Mapping[Any, np.ndarray]) -> str:
    made = {}
    for o in opvs:
        for k, w in enumerate(o.outputs):
            args = ", ".join(v.label for v in o.inputs)
            made[id(w)] = (f"= {o.symbol}({args})" + (f"[{k}]" if len(o.outputs) > 1 else ""),
                           o.short if o.short != o.symbol else "")
    rows = []
    for v in vars_:
        how, names = made.get(id(v), (v.kind, ""))
        row = [v.label, str(v.shape), how, names]
        a = nm.array(v.ref)
        if values:
            row.append("" if a is None else "value " + _fmt(a._data).replace("\n", ""))
        if gvals:
            g = gvals.get(v.ref) if v.ref.__class__ is Node else None
            row.append("" if g is None else "grad " + _fmt(g).replace("\n", ""))
        rows.append(row)
    n_in = sum(1 for v in vars_ if id(v) not in made)
    heads = ", ".join(nm(h) for h in comp.heads)
    first = (f"forward graph: {_plural(n_in, 'input')}, {_plural(len(opvs), 'operator')}, "
             f"head{'s' if len(comp.heads) > 1 else ''} {heads}")
    return "\n".join([first] + _table(rows))


def _text_backward(vars_: list[_Var], opvs: list[_OpV], head: str,
                   gvals: Mapping[Any, np.ndarray]) -> str:
    sends: dict[int, list[str]] = {}
    for o in opvs:
        src = ", ".join(f"∂{head}/∂{w.label}" for w in o.outputs)
        for w in o.inputs:
            if w.kind != "data":
                sends.setdefault(id(w), []).append(f"{o.symbol}({src})")
    rows = []
    for v in reversed(vars_):
        if v.kind == "data":
            continue
        parts = sends.get(id(v), [])
        how = " + ".join(f"{p}" for p in parts)
        how = ("= 1 (head)" + (" + " + how if how else "")) if v.head else f"<- {how}"
        row = [f"∂{head}/∂{v.label}", str(v.shape), how,
               f"sum of {len(parts) + v.head}" if len(parts) + v.head > 1 else ""]
        if gvals:
            g = gvals.get(v.ref) if v.ref.__class__ is Node else None
            row.append("" if g is None else _fmt(g).replace("\n", ""))
        rows.append(row)
    first = (f"backward graph of {head}: gradients flow from {head} back to the variables")
    lines = [first] + _table(rows)
    data = [v.label for v in vars_ if v.kind == "data"]
    if data:
        lines.append(f"  no gradient: {', '.join(data)} (data)")
    return "\n".join(lines)


# ---- memory --------------------------------------------------------------------------------


@attrs.frozen
class SavedArray:
    """One array a node keeps for its backward.

    ``what`` says what the array is: ``'input <name>'`` (one of the node's inputs),
    ``'output <name>'`` (the node's own result), or ``'new'`` (made for backward, e.g. a
    mask). ``shared_with`` names an earlier row holding the same buffer; such a row costs
    nothing extra (``extra_bytes`` is 0).
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


@attrs.frozen
class MemoryReport:
    """What a recorded computation keeps alive for backward; see :func:`memory`."""

    rows: tuple[SavedArray, ...]
    naive_bytes: int
    distinct_bytes: int
    peak_bytes: int | None
    freed: bool = False

    def __repr__(self) -> str:
        rows = [["node", "op", "saved", "shape", "dtype", "bytes", "is", "extra"]]
        for r in self.rows:
            what = r.what + (f" (= {r.shared_with})" if r.shared_with else "")
            rows.append([r.node, r.op, r.slot, str(r.shape), r.dtype, str(r.nbytes), what,
                         str(r.extra_bytes)])
        lines = _table(rows, indent="") if self.rows else ["nothing saved for backward"]
        peak = ("n/a (the graph was freed by backward)" if self.peak_bytes is None
                else f"{self.peak_bytes} B")
        lines.append(f"saved: {_plural(len(self.rows), 'array')}, {self.naive_bytes} B "
                     f"summed, {self.distinct_bytes} B distinct; peak during backward: "
                     f"{peak}")
        return "\n".join(lines)


def _saved(node: Node) -> list[tuple[str, np.ndarray]]:
    """(slot, array) for each array ``node`` keeps for backward."""
    from .autograd import _FunctionOp

    if node.op is None or node.freed:
        return []
    if isinstance(node.op, _FunctionOp):  # a Function's saved_tensors are its residuals
        return [(f"saved_tensors[{i}]", r) for i, r in enumerate(node.res)]
    saves = node.op.saves or ()
    return [(saves[i] if i < len(saves) else f"res{i}", r)
            for i, r in enumerate(node.res or ()) if isinstance(r, np.ndarray)]


def _buf(a: np.ndarray) -> int:
    return id(_root(a))


def memory(what: Tape | NDArray | Sequence[NDArray],
           names: Mapping[str, Any] | None = None) -> MemoryReport:
    """A table of the arrays the tape keeps for backward, and the peak memory of backward.

    One row per saved array: its node and operator, the residual slot (``x0``/``x1``
    an input, ``y`` the output, ``c`` anything else, as the operator declares in
    ``saves``), shape, dtype, bytes, what it is, and the bytes it adds: an array whose
    buffer is already held by an earlier row (the same array saved twice, or a view of
    it) adds nothing. ``naive_bytes`` sums all rows; ``distinct_bytes`` counts each buffer
    once (this is ``Tape.saved_bytes``; a ``Function``'s ``saved_tensors`` are its node's
    residuals).

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
    node  op             saved  shape   dtype    bytes  is               extra
    z     dot            x0     (2, 3)  float32  24     input W          24
    z     dot            x1     (3, 1)  float32  12     input x          12
    h     relu           y      (2, 1)  float32  8      output h         8
    #2    broadcast_mul  x0     (2, 1)  float32  8      input h (= h.y)  0
    #2    broadcast_mul  x1     (2, 1)  float32  8      input h (= h.y)  0
    saved: 5 arrays, 60 B summed, 44 B distinct; peak during backward: 72 B

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
                                   int(a.nbytes), what_, shared, extra))
    naive = sum(r.nbytes for r in rows)
    distinct = sum(r.extra_bytes for r in rows)
    freed = any(n.freed for n in comp.ops)
    peak = None if freed else _peak(comp)
    return MemoryReport(tuple(rows), naive, distinct, peak, freed)


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


def _nbytes(arrays: list[np.ndarray]) -> int:
    seen: dict[int, int] = {}
    for a in arrays:
        r = _root(a)
        seen[id(r)] = r.nbytes
    return sum(seen.values())


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
        peak = max(peak, res + _nbytes(live))
        done.add(node)
    return peak
