"""The tape: recording state, graph nodes, and the backward pass.

Every operator applied while recording adds one :class:`Node`. A node knows its operator,
its parent nodes (or :class:`Const` records for inputs outside the graph) and the residuals
its VJP needs, nothing else: nodes never point at arrays, so arrays and graphs form no
reference cycles, and a node's residuals are dropped the moment backward has used them.
"""

from __future__ import annotations

import itertools
import operator
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from .base import MinigluonError

NOT_RECORDED = (
    "Cannot differentiate node because it is not in a computational graph. This array was "
    "computed outside autograd.record(), or from inputs none of which called attach_grad(). "
    "Call x.attach_grad() on the inputs you want gradients for and compute the head inside "
    "`with autograd.record():`.")
FREED = (
    "Cannot differentiate node because its computational graph was freed by an earlier "
    "backward. If you want to differentiate the same graph twice, you need to pass "
    "retain_graph=True to backward (or to autograd.grad).")
NO_GRAD_INPUTS = ("There are no inputs in computation graph that require gradients: every "
                  "variable reached from the head has grad_req='null'.")
INPLACE_IN_GRAPH = (
    "Assigning to NDArrays that are already in a computational graph will cause undefined "
    "behavior when evaluating gradients. Please call backward first to clear the graph or do "
    "this outside of a record section. Also note that you cannot use inplace operations like "
    "+=, *=, relu(x, out=x), y[idx]=x, etc inside a record section.")


class _State(threading.local):
    """Per-thread autograd switches (MXNet keeps them per thread too)."""

    recording = False
    training = False
    tape: Tape | None = None


STATE = _State()


#: how many in-place writes happened so far; each array's version counter holds the count
#: at its last write (``[stamp]``, shared by views)
MUTATIONS = [0]
_SEQ = itertools.count()


def bump(vc: list[int]) -> None:
    """Record an in-place write to the array that owns version counter ``vc``."""
    MUTATIONS[0] += 1
    vc[0] = MUTATIONS[0]


class _Freed:
    """Marks a node whose residuals were released by backward."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<freed>"


_FREED: Any = _Freed()


def live(a: Any) -> bool:
    """False when array ``a`` was produced by a graph that backward freed (which it then
    forgets: it becomes data); True otherwise.

    MXNet's backward without ``retain_graph`` frees the graph, and the arrays that graph
    produced lose their autograd history: later recordings use them as constants, and the
    gradient stops there without an error (the book's ``train_and_predict_rnn`` carries
    such a hidden state from batch to batch). Forgetting the node here, when the array is
    next used, also keeps a new graph from holding the freed one alive.
    """
    n = a._node
    if n is not None and n.res is _FREED:
        a._node = None
        return False
    return True


class Const:
    """An input that was not part of the graph (data, labels, constants)."""

    # ctx: set only on data placed off cpu(0) (ndarray._const), read by the instruments
    __slots__ = ("ref", "shape", "dtype", "name", "ctx")

    def __init__(self, ref: int, shape: tuple[int, ...], dtype: np.dtype) -> None:
        self.ref = ref          # id() of the NDArray, so names can be matched later
        self.shape = shape
        self.dtype = dtype
        self.name: str | None = None

    def __repr__(self) -> str:
        return f"Const(shape={self.shape}, dtype={self.dtype})"


class Node:
    """One recorded step: ``op`` applied to ``parents`` gave an output of ``shape``.

    A leaf node (``op is None``) stands for an array on which ``attach_grad`` was called;
    it holds that array's gradient buffer and ``grad_req``.
    """

    # ctx is set only where a device starts (a variable off cpu(0), a copy between
    # devices: ndarray.attach_grad/copyto); other nodes are on their first parent's device,
    # which is how the instruments read it
    __slots__ = ("op", "res", "parents", "vcs", "mut", "seq", "needs", "g", "shape", "dtype",
                 "grad", "grad_req", "fresh", "name", "ctx", "__weakref__")

    def __init__(self, op: Any, res: Any, parents: tuple, shape: tuple[int, ...],
                 dtype: np.dtype, vcs: tuple | None = None,
                 needs: tuple[bool, ...] | None = None) -> None:
        self.op = op
        self.res = res
        self.parents = parents
        self.needs = needs  # which parents are in the graph, when some are data
        # (position, version counter) of the arrays the VJP reads, and the mutation count
        # when recorded: if nothing was changed in place since, none of them can be stale
        self.vcs = vcs
        self.mut = MUTATIONS[0]
        self.seq = next(_SEQ)  # creation order: parents always have smaller numbers
        self.g: Any = None
        self.shape = shape
        self.dtype = dtype
        self.name: str | None = None
        if op is None:
            self.grad: Any = None
            self.grad_req = "write"
            self.fresh = False

    @property
    def is_leaf(self) -> bool:
        return self.op is None

    @property
    def freed(self) -> bool:
        return self.res is _FREED

    @property
    def opname(self) -> str:
        return "variable" if self.op is None else self.op.name

    @property
    def saved(self) -> tuple[np.ndarray, ...]:
        """The arrays kept for backward (empty for leaves and after backward)."""
        if self.op is None or self.res is _FREED or not self.res:
            return ()
        return tuple(r for r in self.res if isinstance(r, np.ndarray))

    @property
    def saved_bytes(self) -> int:
        return _unique_nbytes(self.saved)

    def __repr__(self) -> str:
        label = self.name or ("leaf" if self.op is None else str(self.op))
        return f"<Node {label} -> {self.shape} {np.dtype(self.dtype).name}>"


def _root(a: np.ndarray) -> np.ndarray:
    while isinstance(a.base, np.ndarray):
        a = a.base
    return a


def _unique_nbytes(arrays: Any) -> int:
    """Bytes of the distinct buffers behind ``arrays`` (a view costs its base once)."""
    seen: dict[int, int] = {}
    for a in arrays:
        r = _root(a)
        seen[id(r)] = r.nbytes
    return sum(seen.values())


class Tape:
    """The nodes recorded inside one ``autograd.record()`` block, in order.

    ``with autograd.record() as tape:`` gives it to you. After ``backward`` (without
    ``retain_graph``) the nodes stay listed but hold no saved arrays.
    """

    def __init__(self, nodes: list[Node] | None = None) -> None:
        self.nodes: list[Node] = [] if nodes is None else nodes

    def __len__(self) -> int:
        return len(self.nodes)

    def __iter__(self):
        return iter(self.nodes)

    def __getitem__(self, i: int) -> Node:
        return self.nodes[i]

    @property
    def saved_bytes(self) -> int:
        """Bytes of the distinct arrays the recorded nodes keep for backward."""
        return _unique_nbytes(a for n in self.nodes for a in n.saved)

    @classmethod
    def of(cls, *heads: Any) -> Tape:
        """The nodes that ``heads`` depend on, in the order they were recorded (leaves
        excluded)."""
        nodes = [h._node for h in heads if getattr(h, "_node", None) is not None]
        return cls([n for n in _toposort(nodes, check=False) if n.op is not None])

    def __repr__(self) -> str:
        lines = [f"Tape: {len(self.nodes)} nodes, {self.saved_bytes} bytes saved for backward"]
        for i, n in enumerate(self.nodes):
            ins = ", ".join(
                "var" if isinstance(p, Node) and p.op is None else
                ("const" if isinstance(p, Const) else f"#{self.nodes.index(p)}"
                 if p in self.nodes else "node") for p in n.parents)
            lines.append(f"  #{i} {n.opname}({ins}) -> {n.shape} "
                         f"saved {n.saved_bytes} B{' (freed)' if n.freed else ''}")
        return "\n".join(lines)


def _toposort(roots: list[Node], check: bool = True) -> list[Node]:
    """Nodes reachable from ``roots``, each after all of its parents.

    With ``check``, a freed root is an error, and a freed node reached from a live one is
    where the graph ends (as in MXNet, whose backward stops at nodes an earlier backward
    cleared): the edge to it is replaced by a constant, so the new graph neither sends it
    gradients nor keeps the old graph alive. That happens when a node outlived the backward
    that freed its parent, e.g. the final state that ``nd.RNN`` cuts out of its packed
    output, which the previous batch's loss did not use."""
    if len(roots) == 1:
        order = _chain(roots[0], check)
        if order is not None:
            return order
    return _search(roots, check)


def _search(roots: list[Node], check: bool) -> list[Node]:
    """:func:`_toposort` of any graph: a depth-first search, then a sort."""
    seen = set(roots)
    stack = list(seen)
    if check:
        for node in stack:
            if node.res is _FREED:
                raise MinigluonError(FREED)
    add, push, pop = seen.add, stack.append, stack.pop
    while stack:
        node = pop()
        for p in node.parents:
            if p.__class__ is Node and p not in seen:
                if p.res is _FREED and check:
                    _cut(node, p)
                    continue
                add(p)
                push(p)
    # a node is always created after its parents, so creation order is a topological order
    return sorted(seen, key=_SEQ_KEY)


_SEQ_KEY = operator.attrgetter("seq")


def _chain(root: Node, check: bool) -> list[Node] | None:
    """:func:`_toposort` of one root whose operator nodes form a chain: each has at most
    one operator node among its parents, the variables hanging off the side (a chain of
    elementwise operators; a linear model's loss). None for any other graph.

    Walking the chain finds the same nodes as the depth-first search, already in reverse
    creation order, without the set and the sort. The result is the same list as the
    search gives; where it might differ it is not used (None): a variable created after
    an operator node of the graph, a freed node (``_toposort`` cuts it), a branch.
    """
    if root.res is _FREED and check:
        raise MinigluonError(FREED)
    chain = []
    leaves: dict[Node, None] = {}
    node: Node | None = root
    while node is not None:
        chain.append(node)
        nxt = None
        for p in node.parents:
            if p.__class__ is Node:
                if p.op is None:
                    leaves[p] = None
                elif nxt is None:
                    if p.res is _FREED:
                        return None
                    nxt = p
                elif p is not nxt:
                    return None  # a branch: the graph is no chain
        node = nxt
    chain.reverse()
    if not leaves:
        return chain
    if len(leaves) == 1:
        (leaf,) = leaves
        return [leaf, *chain] if leaf.seq < chain[0].seq else None
    order = sorted(leaves, key=_SEQ_KEY)
    if order[-1].seq > chain[0].seq:
        return None
    order += chain
    return order


def _cut(node: Node, freed: Node) -> None:
    """Make the freed parent ``freed`` of ``node`` a constant input of ``node``."""
    parents = list(node.parents)
    needs = list(node.needs or (True,) * len(parents))
    for i, p in enumerate(parents):
        if p is freed:
            parents[i] = Const(0, p.shape, p.dtype)
            needs[i] = False
    node.parents = tuple(parents)
    node.needs = tuple(needs)


def _stale(node: Node) -> None:
    """Refuse a node whose VJP reads an array (one of ``node.vcs``: position ``i`` for
    input ``i``, -1 for the output, or the input's name in a hybridized block's graph)
    that was changed in place since it was recorded."""
    for pos, vc in node.vcs or ():
        if vc[0] > node.mut:
            what = (f"its input '{pos}'" if pos.__class__ is str else
                    f"its output (of shape {node.shape})" if pos < 0 else
                    f"its input {pos} (of shape {node.parents[pos].shape})")
            raise MinigluonError(
                f"an array that the backward of operator '{node.opname}' needs was changed "
                f"in place after it was recorded: {what}, which '{node.opname}' saved for "
                "its backward, so its gradient would be wrong. Change arrays only after "
                "backward, or change a copy (x = x + 1 instead of x += 1).")


def _refs_of_argument(x: Any) -> int:
    return sys.getrefcount(x)


def _baseline_refs() -> tuple[int, int]:
    """What ``sys.getrefcount`` reports for an array nobody else holds.

    Returns the count of one held by the caller's local and seen as a callee's argument
    (Python 3.10 keeps a further reference on the caller's stack during the call; 3.11+
    does not) and the count of one held by an attribute and a local of the same frame.
    """
    held = np.empty(1)
    as_argument = _refs_of_argument(held)
    holder = Node.__new__(Node)
    holder.g = np.empty(1)
    local = holder.g
    return as_argument, sys.getrefcount(local)


#: counts above these mean someone else (a view, a user's variable) holds the array
_ARGUMENT_REFS, _HELD_REFS = _baseline_refs()


def _accumulate(p: Node, gi: Any) -> None:
    """Add a second (third...) gradient contribution into ``p.g``."""
    pg = p.g
    if pg is None:
        p.g = gi
    elif (pg.__class__ is np.ndarray and gi.__class__ is np.ndarray and pg.base is None
          and sys.getrefcount(pg) <= _HELD_REFS and pg.shape == gi.shape and pg.flags.writeable
          and np.can_cast(gi.dtype, pg.dtype, "safe")):
        # nobody else holds this array (only p.g and this frame do), so it can take the
        # sum in place, without a new allocation
        pg += gi
    else:
        p.g = pg + gi


def run_backward(roots: list[Node], seeds: list[Any], retain_graph: bool,
                 collect: dict[Node, int] | None = None,
                 vjp_runner: Callable[[Node, Any], Any] | None = None) -> list[Any] | None:
    """Propagate ``seeds`` from ``roots`` to the leaves.

    Without ``collect`` leaf gradients are written into their buffers following each
    leaf's ``grad_req``; with it, the gradients of the listed leaves are returned instead.
    """
    found: list[Any] = [None] * len(collect) if collect is not None else []
    # run the steps to the end; a deque of length 0 takes them in C, keeping none
    deque(backward_steps(roots, seeds, retain_graph, collect, vjp_runner, found), 0)
    return found if collect is not None else None


def backward_steps(roots: list[Node], seeds: list[Any], retain_graph: bool,
                   collect: dict[Node, int] | None = None,
                   vjp_runner: Callable[[Node, Any], Any] | None = None,
                   found: list[Any] | None = None) -> Iterator[tuple[Node, Any, Any]]:
    """The backward pass, one node at a time.

    Yields ``(node, g, grads)`` after each node: ``g`` is the gradient that reached the
    node, ``grads`` what its VJP sent to each parent (``None`` for a leaf). Running it to
    the end is exactly :func:`run_backward`. ``vjp_runner(node, g)``, when given, runs
    each VJP while recording (``autograd.grad(create_graph=True)`` passes one that works
    on NDArrays, so the gradient has a graph of its own).
    """
    create_graph = vjp_runner is not None
    order = _toposort(roots)
    if collect is None:
        for n in order:  # the variables were mostly created first: this stops early
            if n.op is None and n.grad_req != "null":
                break
        else:
            raise MinigluonError(NO_GRAD_INPUTS)
    for r, s in zip(roots, seeds):
        if r.g is None:
            r.g = s
        else:
            _accumulate(r, s)
    prev = STATE.recording
    mutations, freed = MUTATIONS, _FREED  # (locals: read at every node)
    try:
        for node in reversed(order):
            g = node.g
            node.g = None
            op = node.op
            if op is None:
                if collect is not None:
                    if node in collect and found is not None:
                        found[collect[node]] = g
                else:
                    _deposit(node, g)
                yield node, g, None
                continue
            grads: Any = ()
            if g is not None:
                if node.mut != mutations[0]:
                    _stale(node)
                if create_graph:
                    STATE.recording = True
                    grads = vjp_runner(node, g)  # type: ignore[misc]
                elif node.needs is None:
                    grads = op.vjp(node.res, g)
                else:  # some inputs are data: the operator may skip their gradients
                    grads = op.vjp_some(node.res, g, node.needs)
                for p, gi in zip(node.parents, grads):
                    if gi is not None and p.__class__ is Node:
                        if gi.shape != p.shape or (gi.dtype is not p.dtype
                                                   and gi.dtype != p.dtype):
                            raise _bad_grad(node, p, gi)
                        if p.g is None:
                            p.g = gi
                        else:
                            _accumulate(p, gi)  # recorded too, under create_graph
                if create_graph:
                    STATE.recording = prev
                gi = None  # (a gradient held here could not be handed over: _deposit)
            if not retain_graph:
                node.res = freed
                node.vcs = None
            yield node, g, grads
            grads = ()
    except BaseException:
        # an error midway, or a step-by-step walk closed early, must not leave gradients
        # behind (a finished walk has set each node's g back to None already)
        for node in order:
            node.g = None
        raise
    finally:
        STATE.recording = prev


def _bad_grad(node: Node, parent: Node, gi: Any) -> MinigluonError:
    """The error for a VJP/``backward`` that returned a gradient of the wrong shape/dtype.

    Broadcasting it into place would give a silently wrong gradient, and a gradient of
    another dtype would silently change the dtype of everything upstream (and of
    ``x.grad`` under ``autograd.grad``), so both are refused with the operator, the
    input's position and both shapes/dtypes. (A ``Function``'s gradients were already
    cast to their inputs' dtypes, as MXNet does; only its shape can be wrong here.)
    """
    idx = next(i for i, p in enumerate(node.parents) if p is parent)
    kind = "Function" if node.op.__class__.__name__ == "_FunctionOp" else "operator"
    who = f"{node.op.name}.backward" if kind == "Function" else f"the VJP of {node.op.name}"
    name = f" ({parent.name})" if getattr(parent, "name", None) else ""
    if tuple(gi.shape) != tuple(parent.shape):
        return MinigluonError(
            f"{kind} {node.op.name}: {who} returned a gradient of shape {tuple(gi.shape)} "
            f"for input {idx}{name}, whose shape is {tuple(parent.shape)}; a gradient must "
            f"have exactly its input's shape (it is not broadcast). Sum over the broadcast "
            f"axes or reshape it in backward.")
    got, want = np.dtype(gi.dtype).name, np.dtype(parent.dtype).name
    return MinigluonError(
        f"{kind} {node.op.name}: {who} returned a gradient of dtype {got} for input "
        f"{idx}{name}, whose dtype is {want}; a gradient must have exactly its input's "
        f"dtype (shape {tuple(parent.shape)}). Cast it in the VJP: "
        f"grad.astype(x.dtype, copy=False).")


#: elements from which a gradient array is handed to ``.grad`` rather than copied into it
#: (below it, the checks cost more than the copy: W1's 2x1 weight)
HAND_OVER_SIZE = 4096


def _deposit(leaf: Node, g: Any) -> None:
    req = leaf.grad_req
    if req == "null":
        return
    grad = leaf.grad
    buf = grad._data
    if g is None:
        if req == "write":
            buf[...] = 0
    elif req == "write":
        if (g.__class__ is np.ndarray and g.size >= HAND_OVER_SIZE and g.base is None
                and buf.base is None and g.dtype is buf.dtype and g.shape == buf.shape
                and g.flags.c_contiguous and g.flags.writeable
                and sys.getrefcount(g) <= _ARGUMENT_REFS
                and sys.getrefcount(buf) <= _HELD_REFS):
            # nobody else holds the new gradient (only backward's frame and this one do)
            # nor the old buffer (no view of it, no np.asarray): hand the array over
            # instead of copying it; the NDArray ``.grad`` stays the same object
            grad._data = g
        else:
            buf[...] = g
    else:
        buf += g
    bump(grad._vc)
    leaf.fresh = True
