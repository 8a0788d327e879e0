"""A training-loop linter: warnings for the mistakes learners make most often.

It is off by default. Turn it on with ``mx.debug.enable()``, for a block of code with
``with mx.debug():`` (``mx.debug(False)`` turns it off inside), or for a whole program
with the environment variable ``MINIGLUON_DEBUG=1``. Each finding is a
:class:`LintWarning` whose message starts with the check's name in brackets, says what
goes wrong, names the fix, and points to a page of this documentation. Python shows a
warning once per line of your code, so a loop does not flood the output; silence one check
with ``warnings.filterwarnings('ignore', message=r'\\[to-numpy\\]')``.

The checks, and exactly when they fire:

``[add-not-zeroed]``
    At ``backward``: a variable with ``grad_req='add'`` gets a gradient while its ``.grad``
    is not zero *and* the variable was updated since its previous backward (by
    ``Trainer.step``, or written in place: ``w[:] = w - lr * w.grad``, ``w -= ...``).
    Summing the gradients of several backward passes before one update is what ``'add'``
    is for and is not reported; adding to a gradient that an update has already used is
    the mistake. In-place writes are only seen for arrays that called ``attach_grad``
    while the linter was on (all of them, under ``MINIGLUON_DEBUG=1``); ``Trainer.step``
    is always seen.
``[attach-grad-intermediate]``
    At ``attach_grad``, inside ``autograd.record()``, on an array that a recorded operator
    produced: it becomes a new variable, so the graph is cut there.
``[no-variable]``
    At ``backward`` / ``autograd.grad``, just before the error that follows: a head that
    is in no recorded graph, or whose graph reaches only variables with
    ``grad_req='null'``. The warning says which, and what to change.
``[double-average]``
    At ``Trainer.step(batch_size)`` with ``batch_size > 1``, when the last ``backward``
    before it had a one-element head made by ``mean`` (``l.mean().backward()``) or by
    ``_div_scalar`` with the same batch size (``(l.sum() / batch_size).backward()``): the
    loss was already averaged, and ``step`` divides by the batch size once more. This is a
    heuristic on the operator that made the head; a ``backward`` is used by one ``step``
    at most.
``[stale-skipped]``
    At ``Trainer.step(..., ignore_stale_grad=True)``: parameters whose gradient no
    backward wrote since the last step, which that flag silently leaves unchanged.
``[to-numpy]``
    Inside ``autograd.record()``: ``x.asnumpy()``, ``np.asarray(x)`` / ``np.array(x)`` or
    ``float(x)`` on an array in the graph (a result of recorded operators, or a variable
    with a gradient). NumPy arrays have no tape: fed back into the computation, the
    gradient stops there. Conversions under ``autograd.pause()`` or after the
    ``record()`` block are not reported.

The checks listen to the core's events (:mod:`minigluon._events`): ``enable()``
subscribes them, ``disable()`` unsubscribes them. Off, the linter costs one flag test in
each function that announces an event (``attach_grad``, ``asnumpy``, ``__array__``,
``__float__``, ``backward``, ``grad``, ``Trainer.step``); the operators and the backward
pass are never touched.

>>> import warnings
>>> import minigluon as mx
>>> from minigluon import nd, autograd
>>> x = nd.array([1.0, 2.0]); x.attach_grad()
>>> with mx.debug(), warnings.catch_warnings(record=True) as caught:
...     warnings.simplefilter("always")
...     with autograd.record():
...         y = nd.array(x.asnumpy() ** 2)     # leaves the graph
>>> print(caught[0].message)  # doctest: +ELLIPSIS
[to-numpy] x.asnumpy() inside autograd.record() on an array in the graph: ...
"""

from __future__ import annotations

import os
import sys
import types
import warnings
import weakref
from collections.abc import Sequence
from typing import Any

from .. import _events
from .._tape import STATE, Node, _toposort

__all__ = ["LintWarning", "enable", "disable", "enabled", "scope", "ON", "PAGES"]


def _from_env() -> bool:
    return os.environ.get("MINIGLUON_DEBUG", "").strip().lower() not in (
        "", "0", "false", "no", "off")


#: whether the linter is on (its checks are subscribed to the core's events)
ON: bool = False

#: the documentation pages the warnings point to (paths in the documentation site)
PAGES = {
    "autograd": "api/generated/minigluon.autograd",
    "gluon": "api/generated/minigluon.gluon",
    "graph": "tutorials/plot_02_graph",
    "backprop": "tutorials/plot_03_backprop",
}


class LintWarning(UserWarning):
    """A likely mistake in a training loop, reported by the linter."""


def enable() -> None:
    """Turn the linter on."""
    _set(True)


def disable() -> None:
    """Turn the linter off."""
    _set(False)


def enabled() -> bool:
    """Whether the linter is on."""
    return ON


class _Scope:
    """Sets the linter on or off now, and restores the previous setting when a ``with``
    block around it ends."""

    def __init__(self, on: bool) -> None:
        self._prev = ON
        _set(on)

    def __enter__(self) -> _Scope:
        return self

    def __exit__(self, *exc: object) -> None:
        _set(self._prev)


def scope(on: bool = True) -> _Scope:
    """Turn the linter on (or off, with ``on=False``); as a context manager, restore the
    previous setting at the end of the block. ``mx.debug()`` is this function."""
    return _Scope(on)


def _set(on: bool) -> None:
    global ON, _LAST_HEAD
    ON = bool(on)
    _LAST_HEAD = None  # a backward seen before a switch must not inform a later step
    for event, check in _SUBSCRIPTIONS:
        (_events.on if ON else _events.off)(event, check)


class _CallableModule(types.ModuleType):
    """Lets ``mx.debug()`` and ``with mx.debug():`` work on the module itself."""

    def __call__(self, on: bool = True) -> _Scope:
        return _Scope(on)


sys.modules[__name__].__class__ = _CallableModule


# ---- reporting ------------------------------------------------------------------------

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep  # minigluon/


def _warn(check: str, text: str, fix: str, page: str) -> None:
    """Issue a LintWarning attributed to the first line of code outside minigluon."""
    level, frame = 2, sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back
        level += 1
    warnings.warn(f"[{check}] {text} Fix: {fix} See the docs: {PAGES[page]}",
                  LintWarning, stacklevel=level)


def _describe(node: Node) -> str:
    name = node.name or _NAMES.get(node)
    return f"'{name}'" if name else f"a variable of shape {node.shape}"


# ---- what the checks remember -----------------------------------------------------------

# arrays that called attach_grad while the linter was on, by id (to see in-place updates)
_VARIABLES: weakref.WeakValueDictionary[int, Any] = weakref.WeakValueDictionary()
# variable node -> its array's version count at its last backward
_VERSION_AT_BACKWARD: weakref.WeakKeyDictionary[Node, int] = weakref.WeakKeyDictionary()
# variable nodes that Trainer.step updated since their last backward
_STEPPED: weakref.WeakSet[Node] = weakref.WeakSet()
# variable node -> parameter name (learned from the Trainer)
_NAMES: weakref.WeakKeyDictionary[Node, str] = weakref.WeakKeyDictionary()
# (operator name, scalar) of the one-element head of the last backward, until a step
_LAST_HEAD: tuple[str, Any] | None = None


# ---- the checks, called by the watched functions when ON ------------------------------

def check_attach_grad(x: Any) -> None:
    """Before ``x.attach_grad()`` replaces the node of ``x``."""
    node = x._node
    if STATE.recording and node is not None and node.op is not None:
        _warn("attach-grad-intermediate",
              f"attach_grad() inside autograd.record() on an array computed by the recorded "
              f"operator '{node.opname}' cuts the graph: the array becomes a new variable, "
              "so backward stops there and never reaches the variables it was computed "
              "from.",
              "call attach_grad() on the inputs (parameters) before `with "
              "autograd.record():`. To see the gradient an intermediate result receives, "
              "use mx.explain.explain(head); to cut the graph on purpose, use .detach().",
              "backprop")
    _VARIABLES[id(x)] = x


def check_to_numpy(x: Any, how: str) -> None:
    """Before an NDArray is turned into NumPy data (``how`` names the call)."""
    node = x._node
    if STATE.recording and node is not None and (node.op is not None or
                                                 node.grad_req != "null"):
        _warn("to-numpy",
              f"{how} inside autograd.record() on an array in the graph: the result is "
              "NumPy data, which has no tape, so if it is fed back into the computation "
              "(nd.array(...), arithmetic with NDArrays) the gradient stops there.",
              "compute with nd operators (nd.exp, nd.relu, ...) instead of NumPy. To only "
              "print or log a value, convert it after the record() block or under "
              "autograd.pause().",
              "graph")


def check_backward(heads: Sequence[Any]) -> None:
    """Before ``autograd.backward(heads)``."""
    global _LAST_HEAD
    leaves = _check_heads(heads)
    _check_accumulation(leaves)
    _LAST_HEAD = None
    for h in heads:
        node = getattr(h, "_node", None)
        if node is not None and node.op is not None and h.size == 1:
            _LAST_HEAD = (node.opname, getattr(node.op, "scalar", None))


def check_grad(heads: Sequence[Any]) -> None:
    """Before ``autograd.grad(heads, ...)``."""
    _check_heads(heads)


def check_step(trainer: Any, batch_size: float, ignore_stale_grad: bool) -> None:
    """Before ``trainer.step(batch_size, ignore_stale_grad)`` updates anything."""
    global _LAST_HEAD
    head, _LAST_HEAD = _LAST_HEAD, None
    if head is not None and batch_size > 1:
        op, scalar = head
        if op == "mean" or (op == "_div_scalar" and scalar == batch_size):
            made = "l.mean()" if op == "mean" else f"l.sum() / {scalar:g}"
            _warn("double-average",
                  f"the head of the last backward was one number made by '{op}' (like "
                  f"{made}): a loss already averaged over the batch. "
                  f"Trainer.step({batch_size:g}) divides the gradient by the batch size "
                  f"again, so the steps are {batch_size:g} times smaller than intended.",
                  "call backward() on the per-example losses (l.backward(), which sums "
                  "them) and keep step(batch_size), or keep the mean and call step(1).",
                  "gluon")
    stale, fresh = [], []
    for p in trainer._params:
        if p._data is None or p.grad_req == "null":
            continue
        (fresh if p._fresh_grad else stale).append(p)
    if ignore_stale_grad and stale:
        names = ", ".join(f"'{p.name}'" for p in stale)
        _warn("stale-skipped",
              f"Trainer.step(ignore_stale_grad=True) skipped {len(stale)} parameter(s) that "
              f"no backward reached since the last step, leaving them unchanged: {names}.",
              "make sure forward uses them (a layer created in __init__ but never called, a "
              "branch not taken). To freeze parameters on purpose, set their "
              "grad_req='null' or leave them out of the Trainer.",
              "gluon")
    if stale and not ignore_stale_grad:
        return  # step raises and updates nothing
    for p in fresh:
        node = p._data._node
        _STEPPED.add(node)
        _NAMES[node] = p.name


def _check_heads(heads: Sequence[Any]) -> list[Node]:
    """Warn about heads that reach no variable with a gradient; return the variables."""
    from ..ndarray.ndarray import NDArray

    roots = [h._node for h in heads if isinstance(h, NDArray) and h._node is not None]
    for h in heads:
        if isinstance(h, NDArray) and h._node is None:
            _warn("no-variable",
                  "backward of an array that is in no recorded graph: it was computed "
                  "outside `with autograd.record():`, or from inputs none of which has a "
                  "gradient (no attach_grad(), or every parameter set to grad_req='null').",
                  "call attach_grad() on what you train (a Gluon network: initialize() "
                  "it) and compute the loss inside `with autograd.record():`.",
                  "autograd")
    leaves = [n for n in _toposort(roots, check=False) if n.op is None]
    if roots and not any(n.grad_req != "null" for n in leaves):
        _warn("no-variable",
              f"the head depends on {len(leaves)} variable(s), all with grad_req='null', so "
              "there is no gradient to compute.",
              "give what you train a gradient: x.attach_grad() (grad_req='write'), or "
              "param.grad_req = 'write' on the parameters you froze.",
              "autograd")
    return leaves


def _check_accumulation(leaves: list[Node]) -> None:
    adding = [n for n in leaves if n.grad_req == "add"]
    if not adding:
        return
    arrays = {}
    for x in list(_VARIABLES.values()):
        if x._node is not None:
            arrays[x._node] = x
    for node in adding:
        x = arrays.get(node)
        version = x._vc[0] if x is not None else None
        before = _VERSION_AT_BACKWARD.get(node, version)
        updated = node in _STEPPED or before != version
        if updated and node.grad is not None and node.grad._data.any():
            _warn("add-not-zeroed",
                  f"{_describe(node)} has grad_req='add' and was updated since its last "
                  "backward, but its .grad was not zeroed: this backward adds the new "
                  "gradient to the one the update already used, so gradients pile up "
                  "from step to step.",
                  "zero the gradient after each update (param.zero_grad(), "
                  "net.collect_params().zero_grad(), or x.grad[:] = 0), or use "
                  "grad_req='write'.",
                  "gluon")
        _STEPPED.discard(node)
        if version is not None:
            _VERSION_AT_BACKWARD[node] = version


_SUBSCRIPTIONS = (("attach_grad", check_attach_grad), ("to_numpy", check_to_numpy),
                  ("backward", check_backward), ("grad", check_grad), ("step", check_step))
_set(_from_env())
