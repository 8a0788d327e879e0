"""Reading a recorded computation: the one reader every instrument shares.

The tape links nodes, not arrays (see :mod:`minigluon._tape`). This module turns what a
``record()`` block left behind into something the instruments can walk and name: the
operator nodes in order (:func:`_order`, :func:`_computation`), a label for every node and
constant (:class:`_Names`, :func:`label`), operator symbols and parameters, a backward
replay that keeps the graph and writes no ``.grad`` (:func:`_replay`), and the small
table formatter the listings use. It draws, prints and measures nothing itself.

The names keep their leading underscore: they are shared by ``graph``, ``memory`` and
``explain`` and by nothing outside ``minigluon.instruments``.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import attrs
import numpy as np

from .._tape import Const, Node, Tape, backward_steps
from ..context import Context
from ..ndarray.ndarray import NDArray

# ---- what was recorded ---------------------------------------------------------------------


def _order(roots: Sequence[Node]) -> list[Node]:
    """Every node reachable from ``roots``, each after its parents (taken left to right).

    Not ``_tape._toposort``: that one orders by creation, which is what backward needs;
    a picture and a listing need the depth-first, left-to-right order in which a reader
    follows the formula, so the inputs of ``dot(W, x)`` appear as ``W`` then ``x``.
    """
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


# ---- devices -------------------------------------------------------------------------------
# The tape marks a device only where one starts: a variable or data array off cpu(0), and
# the node of a copy to another device (``copyto``/``as_in_context``). Every other node
# is on its first parent's device, as ``ndarray._place_out`` puts results.


class _Devices:
    """The device of every node and constant of a computation, read off the tape."""

    def __init__(self, comp: _Comp) -> None:
        self.of: dict[Any, Context] = {}
        for n in comp.ops:  # parents first: the lookups below never recurse deeply
            for p in n.parents:
                self(p)
            self(n)

    def __call__(self, p: Node | Const) -> Context:
        got = self.of.get(p)
        if got is None:
            got = getattr(p, "ctx", None)
            if got is None:
                got = (self(p.parents[0]) if p.__class__ is Node and p.parents
                       else Context._default)
            self.of[p] = got
        return got

    @property
    def several(self) -> bool:
        """More than one device appears: only then do pictures and tables name them."""
        return len(set(self.of.values())) > 1

    def copy_between(self, n: Node) -> tuple[Context, Context] | None:
        """(from, to) when ``n`` copies an array from one device to another."""
        if n.op is None or n.op.name != "_copy" or not n.parents:
            return None
        src, dst = self(n.parents[0]), self(n)
        return (src, dst) if src != dst else None


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


# Common compositions, named in collapsed graphs when one circle holds several operators.
# Each operator of the circle becomes a token (below); a rule names the circle when its
# tokens include all of ``needs`` and nothing beyond ``needs | may`` (the first rule that
# fits wins, so the more specific come first). Scaling by a number, averaging, summing
# and reshaping may surround any composition (a loss's mean, a penalty's λ/2).
_AROUND = frozenset({"scale", "mean", "sum", "shape"})
_COMPOSITIONS: tuple[tuple[str, frozenset[str], frozenset[str]], ...] = tuple(
    (name, frozenset(needs.split()), frozenset(may.split()) | _AROUND)
    for name, needs, may in [
        ("softmax CE", "exp div pick log neg", "max sub"),
        ("softmax CE", "softmax pick log neg", ""),
        ("softmax CE", "log_softmax pick neg", ""),
        ("softmax CE", "exp log pick neg sub", "max"),
        ("CE", "pick log neg", ""),
        ("softmax", "exp div", "max sub"),
        ("log-softmax", "exp log sub", "max"),
        ("sigmoid BCE", "relu mul sub abs neg softrelu add", ""),
        ("sigmoid BCE", "sigmoid log mul neg add", "rsub sub"),
        ("BCE", "log mul neg add", "rsub sub plus"),
        ("sigmoid", "neg exp plus rdiv", ""),
        ("squared loss", "sub sq", ""),
        ("L1 loss", "sub abs", ""),
        ("L2 penalty", "sq sum", "add"),
        ("L2 norm", "sq sum sqrt", "add"),
    ])
_TOKENS = {"broadcast_div": "div", "broadcast_sub": "sub", "broadcast_add": "add",
           "broadcast_mul": "mul", "negative": "neg", "square": "sq",
           "_mul_scalar": "scale", "_div_scalar": "scale", "_plus_scalar": "plus",
           "_rdiv_scalar": "rdiv", "_rminus_scalar": "rsub", "_minus_scalar": "sub",
           "reshape": "shape", "expand_dims": "shape", "flatten": "shape",
           "squeeze": "shape", "_copy": "shape", "max": "max", "mean": "mean", "sum": "sum"}


def _token(op: Any) -> str:
    if op.name == "_power_scalar" and getattr(op, "scalar", None) == 2:
        return "sq"
    return _TOKENS.get(op.name, op.name)


def _composition(ops: Sequence[Any]) -> str | None:
    """The name of a common composition of ``ops`` (softmax CE, L2 penalty, squared
    loss...), or None."""
    tokens = {_token(op) for op in ops}
    for name, needs, may in _COMPOSITIONS:
        if needs <= tokens and tokens <= needs | may:
            return name
    return None


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
    """An output of a multi-output operator (a ``Function``): a node that picks one output
    of its only parent."""
    ps = node.parents
    return len(ps) == 1 and ps[0].__class__ is Node and ps[0].op is not None \
        and ps[0].op.nout > 1


def _is_multi(node: Node) -> bool:
    return node.op is not None and node.op.nout > 1


def _replay(heads: Sequence[Node]) -> Iterator[tuple[Node, Any, Any]]:
    """The backward pass of ``heads`` (seeded with ones) that keeps the graph and writes no
    ``.grad``: safe to run on a graph you still want to differentiate."""
    seeds = [np.ones(h.shape, dtype=h.dtype) for h in heads]
    return backward_steps(list(heads), seeds, retain_graph=True, collect={})


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
