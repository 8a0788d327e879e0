"""MXNet's autograd API: recording scopes, ``backward``, ``grad``, ``Function``.

>>> import minigluon as mx
>>> from minigluon import nd, autograd
>>> x = nd.arange(4).reshape((4, 1))
>>> x.attach_grad()
>>> with autograd.record():
...     y = 2 * nd.dot(x.T, x)
>>> y.backward()
>>> x.grad
<BLANKLINE>
[[ 0.]
 [ 4.]
 [ 8.]
 [12.]]
<NDArray 4x1 @cpu(0)>
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from . import _events
from ._tape import STATE, Node, Tape, run_backward
from .base import MinigluonError
from .ndarray.ndarray import NDArray, _as_list, _backward, _like, _seeds, _wrap, record_op

# what ``from mxnet.autograd import *`` gives in MXNet 1.9.1, less what that module imports
# for its C calls (ctypes, handles, Lock, traceback ...) and the NDArray/Symbol classes
# (import them from nd and sym); Tape, minigluon's own, is reached as autograd.Tape
__all__ = ["record", "pause", "train_mode", "predict_mode", "is_recording", "is_training",
           "set_recording", "set_training", "backward", "grad", "mark_variables", "Function",
           "get_symbol"]


class _RecordingStateScope:
    """Sets the recording and training switches for a ``with`` block, then restores them.

    Entering a recording scope returns the :class:`~minigluon._tape.Tape` it fills.
    """

    def __init__(self, is_record: bool | None, train_mode: bool | None) -> None:
        self._enter_record = is_record
        self._enter_train = train_mode
        self._prev: tuple = ()
        self.tape: Tape | None = None

    def __enter__(self) -> Tape | None:
        st = STATE
        self._prev = (st.recording, st.training, st.tape)
        if self._enter_record is not None:
            st.recording = self._enter_record
        if self._enter_train is not None:
            st.training = self._enter_train
        if self._enter_record:
            self.tape = Tape()
            st.tape = self.tape
        return self.tape

    def __exit__(self, *exc: object) -> None:
        st = STATE
        st.recording, st.training, outer = self._prev
        st.tape = outer
        if outer is not None and self.tape is not None and outer is not self.tape:
            outer.nodes.extend(self.tape.nodes)  # an outer tape lists what inner ones saw


def record(train_mode: bool = True) -> _RecordingStateScope:
    """Record operations for differentiation (and set training mode, unless
    ``train_mode=False``). ``with record() as tape:`` gives the tape."""
    return _RecordingStateScope(True, train_mode)


def pause(train_mode: bool = False) -> _RecordingStateScope:
    """Stop recording inside a ``record()`` block; operations act on constants."""
    return _RecordingStateScope(False, train_mode)


def train_mode() -> _RecordingStateScope:
    """Training behaviour (dropout active) without changing recording."""
    return _RecordingStateScope(None, True)


def predict_mode() -> _RecordingStateScope:
    """Prediction behaviour (dropout off) without changing recording."""
    return _RecordingStateScope(None, False)


def is_recording() -> bool:
    """Whether operations are being recorded."""
    return STATE.recording


def is_training() -> bool:
    """Whether layers behave as in training (dropout active)."""
    return STATE.training


def set_recording(is_recording: bool) -> bool:
    """Switch recording on or off; returns the previous value."""
    prev, STATE.recording = STATE.recording, bool(is_recording)
    return prev


def set_training(train_mode: bool) -> bool:
    """Switch training mode on or off; returns the previous value."""
    prev, STATE.training = STATE.training, bool(train_mode)
    return prev


def backward(heads: NDArray | Sequence[NDArray], head_grads: Any = None,
             retain_graph: bool = False, train_mode: bool = True) -> None:
    """Accumulate the gradients of ``heads`` into the ``.grad`` of the variables.

    Several heads behave like the sum of heads; ``head_grads`` (one per head, same shape)
    weight them. Without ``retain_graph`` the graph is freed afterwards.
    """
    heads = _as_list(heads)
    if _events.ACTIVE:
        _events.emit("backward", heads)
    _backward(heads, head_grads, retain_graph, train_mode)


def grad(heads: NDArray | Sequence[NDArray], variables: NDArray | Sequence[NDArray],
         head_grads: Any = None, retain_graph: bool | None = None, create_graph: bool = False,
         train_mode: bool = True) -> list[NDArray]:
    """The gradients of ``heads`` with respect to ``variables``, returned as a list
    (``.grad`` is not touched). With ``create_graph=True`` the gradients are themselves
    recorded, so they can be differentiated again.

    Examples
    --------
    >>> from minigluon import nd, autograd
    >>> x = nd.array([0.0, 1.0])
    >>> x.attach_grad()
    >>> with autograd.record():
    ...     y = nd.sin(x)
    ...     dy = autograd.grad(y, x, create_graph=True)[0]
    >>> dy.backward()
    >>> x.grad  # d(cos x)/dx = -sin x
    <BLANKLINE>
    [-0.       -0.841471]
    <NDArray 2 @cpu(0)>
    """
    heads = _as_list(heads)
    if _events.ACTIVE:
        _events.emit("grad", heads)
    variables = _as_list(variables)
    if retain_graph is None:
        retain_graph = create_graph
    collect: dict[Node, int] = {}
    for i, v in enumerate(variables):
        node = v._node
        if node is None or node.op is not None or node.grad_req == "null":
            raise MinigluonError(f"Cannot differentiate with respect to the {i}-th variable "
                                 "because it does not require gradient (call attach_grad).")
        collect[node] = i
    roots, seeds = _seeds(heads, head_grads)
    prev = STATE.training
    STATE.training = train_mode
    try:
        found = run_backward(roots, seeds, retain_graph, collect,
                             vjp_runner=_vjp_recorded if create_graph else None)
    finally:
        STATE.training = prev
    if found is None:  # run_backward returns a list whenever it is given `collect`
        raise MinigluonError("internal error: autograd.grad collected no gradients")
    out = []
    for i, (v, g) in enumerate(zip(variables, found)):
        if g is None:
            raise MinigluonError(f"Cannot differentiate with respect to the {i}-th variable "
                                 "because it is unreachable from the outputs.")
        if isinstance(g, NDArray):
            out.append(g if g._data.dtype == v._data.dtype else g.astype(v._data.dtype))
        else:
            out.append(_like(v, _wrap(np.array(g, dtype=v._data.dtype), None)))  # v's device
    return out


def _vjp_recorded(node: Node, g: Any) -> Any:
    """Run a node's VJP on NDArrays while recording (``grad(create_graph=True)``), so that
    the gradient itself has a graph. The tape calls it through ``vjp_runner``."""
    op = node.op
    if op.saves is None:
        raise MinigluonError(
            f"operator '{op.name}' does not support create_graph=True: its VJP is written in "
            "plain NumPy. Higher-order gradients need operators that declare `saves`.")
    res = []
    for r, kind in zip(node.res, op.saves):
        if kind == "y":
            res.append(_wrap(r, node))
        elif kind[0] == "x":
            p = node.parents[int(kind[1:])]
            res.append(_wrap(r, p if p.__class__ is Node else None))
        else:
            res.append(r)
    if not isinstance(g, NDArray):
        g = _wrap(np.asarray(g), None)
    return op.vjp(tuple(res), g)


def mark_variables(variables: NDArray | Sequence[NDArray],
                   gradients: NDArray | Sequence[NDArray],
                   grad_reqs: str | Sequence[str] = "write") -> None:
    """Make arrays variables whose gradients go into the given buffers."""
    variables, gradients = _as_list(variables), _as_list(gradients)
    reqs = [grad_reqs] * len(variables) if isinstance(grad_reqs, str) else list(grad_reqs)
    if not len(variables) == len(gradients) == len(reqs):
        raise ValueError("mark_variables needs as many gradients and grad_reqs as variables")
    for v, g, r in zip(variables, gradients, reqs):
        if g.shape != v.shape:
            raise ValueError(f"gradient buffer shape {g.shape} differs from variable shape "
                             f"{v.shape}")
        v._set_grad(g, r)


def get_symbol(x: NDArray) -> Any:
    """Not available: minigluon has no symbolic graphs (see ``Tape.of`` instead)."""
    from .base import NotAvailableError

    raise NotAvailableError("autograd.get_symbol is not available in minigluon; use "
                            "minigluon.autograd.Tape.of(x) to inspect the recorded graph")


class _FunctionOp:
    """Adapter: runs a user ``Function`` as an operator on the tape."""

    name = "Function"
    saves = None
    view = False
    expose = False
    method = None

    def __init__(self, fn: Function, inputs: list[NDArray], outs: list[NDArray]) -> None:
        self.fn = fn
        self.nin = len(inputs)
        self.in_dtypes = [i._data.dtype for i in inputs]
        self.nout = len(outs)
        self.shapes = [o.shape for o in outs]
        self.dtypes = [o._data.dtype for o in outs]
        self.name = type(fn).__name__

    @property
    def rule(self) -> str:
        doc = type(self.fn).__doc__ or ""
        return doc.strip().splitlines()[0] if doc.strip() else f"{self.name}.backward"

    def params(self) -> dict:
        return {}

    def slot_names(self, res: Any) -> list[str]:
        # a Function's saved_tensors are its residuals
        return [f"saved_tensors[{i}]" for i in range(len(res or ()))]

    def __str__(self) -> str:
        return self.name

    def vjp_some(self, res: Any, g: Any, needs: Any) -> Any:
        return self.vjp(res, g)

    def vjp(self, res: Any, g: Any) -> Any:
        if self.nout > 1:  # g gathers the gradients of the outputs (_ItemGrad)
            gs = [np.zeros(s, dtype=d) if p is None else p
                  for p, s, d in zip(g.parts, self.shapes, self.dtypes)]
        else:
            gs = [g]
        # the saved tensors live in the node's residuals (so the tape counts and frees them)
        self.fn.saved_tensors = tuple(_wrap(r, None) for r in res)
        try:
            with pause():
                out = self.fn.backward(*[_wrap(_writeable(x), None) for x in gs])
        finally:
            self.fn.saved_tensors = ()
        outs = _as_list(out)
        if len(outs) != self.nin:
            raise ValueError(f"{self.name}.backward returned {len(outs)} gradients but "
                             f"forward had {self.nin} inputs; return one gradient per input")
        # MXNet copies each gradient into a buffer of its input's dtype: an int or float64
        # gradient for a float32 input is cast (the shape is checked by the tape, later)
        grads = []
        for o, dt in zip(outs, self.in_dtypes):
            o = o._data if isinstance(o, NDArray) else o
            if o is not None and getattr(o, "dtype", dt) != dt:
                o = np.asarray(o).astype(dt)
            grads.append(o)
        return grads


def _writeable(x: Any) -> np.ndarray:
    """``x`` as an array that a user's ``Function.backward`` may change in place: a copy
    when it is read-only (the shared head gradient of ``y.backward()``)."""
    a = np.asarray(x)
    return a if a.flags.writeable else a.copy()


class _Item:
    """Picks output ``i`` of a multi-output Function node (its VJP feeds a list)."""

    saves = None
    view = False
    nout = 1

    def __init__(self, i: int, n: int, shape: tuple[int, ...] = (),
                 dtype: Any = np.float32) -> None:
        self.i, self.n = i, n
        # the anchor's: the tape checks each gradient's shape and dtype
        self.shape, self.dtype = shape, np.dtype(dtype)
        self.name = f"output{i}"
        self.rule = f"gradient of output {i}"

    def params(self) -> dict:
        return {"index": self.i}

    def slot_names(self, res: Any) -> list[str]:
        return []

    def vjp(self, res: Any, g: Any) -> Any:
        merged = _ItemGrad(self.i, self.n, g)
        merged.shape, merged.dtype = self.shape, self.dtype
        return [merged]


class _ItemGrad:
    """Gradient of one output of a multi-output node, merged by ``+`` with the others."""

    def __init__(self, i: int, n: int, g: Any) -> None:
        self.parts: list[Any] = [None] * n
        self.parts[i] = g
        self.shape: tuple[int, ...] = ()
        self.dtype: Any = None

    def __add__(self, other: _ItemGrad) -> _ItemGrad:
        merged = _ItemGrad(0, len(self.parts), None)
        merged.shape, merged.dtype = self.shape, self.dtype
        merged.parts = [b if a is None else a if b is None else a + b
                        for a, b in zip(self.parts, other.parts)]
        return merged


class Function:
    """A user-defined differentiable function, written the MXNet way.

    Subclass it, define ``forward(self, *inputs)`` and ``backward(self, *output_grads)``
    (NDArrays in, NDArrays out), keep what backward needs with ``save_for_backward``, and
    call an instance once on NDArrays.

    Examples
    --------
    >>> from minigluon import nd, autograd
    >>> class Sigmoid(autograd.Function):
    ...     def forward(self, x):
    ...         y = 1 / (1 + nd.exp(-x))
    ...         self.save_for_backward(y)
    ...         return y
    ...     def backward(self, dy):
    ...         y, = self.saved_tensors
    ...         return dy * y * (1 - y)
    >>> x = nd.array([0.0, 1.0]); x.attach_grad()
    >>> with autograd.record():
    ...     m = Sigmoid()(x)
    >>> m.backward()
    >>> x.grad
    <BLANKLINE>
    [0.25       0.1966119...]
    <NDArray 2 @cpu(0)>
    """

    def __init__(self) -> None:
        self._used = False
        self.saved_tensors: tuple[NDArray, ...] = ()

    def save_for_backward(self, *args: NDArray) -> None:
        """Keep arrays for :meth:`backward` (available as ``self.saved_tensors``)."""
        self.saved_tensors = args

    def forward(self, *inputs: NDArray) -> Any:
        raise NotImplementedError

    def backward(self, *output_grads: NDArray) -> Any:
        raise NotImplementedError

    def __call__(self, *inputs: NDArray) -> Any:
        if self._used:
            raise MinigluonError("Each Function instance can only be called once. Please "
                                 "create another instance.")
        self._used = True
        with pause(train_mode=STATE.training):
            outputs = self.forward(*inputs)
        outs = _as_list(outputs)
        if not (STATE.recording and any(i._node is not None for i in inputs)):
            return outputs
        # put one node on the tape whose VJP calls self.backward
        n = len(outs)
        op = _FunctionOp(self, list(inputs), outs)
        res = tuple(t._data for t in self.saved_tensors)
        self.saved_tensors = ()
        anchor = record_op(op, res, list(inputs), outs[0]._data)
        if n == 1:
            outs[0]._node, outs[0]._vc = anchor._node, anchor._vc
            return outs[0]
        for i, o in enumerate(outs):
            item = record_op(_Item(i, n, anchor.shape, anchor.dtype), (), [anchor], o._data)
            o._node, o._vc = item._node, item._vc
        return outputs
