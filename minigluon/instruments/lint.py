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

# SECTIONS and DOCS_PAGE stay module-level (PAGES is built from them)
__all__ = ["LintWarning", "enable", "disable", "enabled", "scope", "ON", "PAGES"]


def _from_env() -> bool:
    return os.environ.get("MINIGLUON_DEBUG", "").strip().lower() not in (
        "", "0", "false", "no", "off")


#: whether the linter is on (its checks are subscribed to the core's events)
ON: bool = False

#: the page that explains each check with a before/after example (a path in the
#: documentation sources; on the site it is mistakes.html#<check>)
DOCS_PAGE = "docs/mistakes.rst"

#: for each check, the section of the book (d2l-zh, MXNet edition) to reread
SECTIONS = {
    "add-not-zeroed": "2.3 自动求梯度 (autograd) and 3.2 线性回归的从零开始实现",
    "attach-grad-intermediate": "2.3 自动求梯度 (autograd)",
    "no-variable": "2.3 自动求梯度 (autograd)",
    "rebound-variable": "3.2.6 定义优化算法 (the sgd function: param[:] = ...)",
    "double-average": "3.3 线性回归的简洁实现 (trainer.step(batch_size))",
    "no-batch-average": "3.2.6 定义优化算法 (sgd divides by batch_size)",
    "stale-skipped": "4.1 模型构造 (forward uses every layer)",
    "to-numpy": "2.3 自动求梯度 (autograd)",
    "eval-in-record": "3.6.5 计算分类准确率 (evaluate_accuracy runs outside record())",
    "dropout-at-test": "3.13 丢弃法 (dropout only while training)",
    "exploding-gradient": "6.4.4 裁剪梯度 (grad_clipping) and 6.6 通过时间反向传播",
    "diverging": "3.2.7 训练模型 (learning rate) and 3.15 数值稳定性和模型初始化",
}

#: each check's anchor on the page: ``DOCS_PAGE + "#" + check``
PAGES = {check: f"{DOCS_PAGE}#{check}" for check in SECTIONS}


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
    global ON, _LAST_HEAD, _DIVERGED
    ON = bool(on)
    _LAST_HEAD = None  # a backward seen before a switch must not inform a later step
    _TRAINED.clear()
    _LOSSES.clear()
    _VALUE_AT_BACKWARD.clear()
    _RUN.clear()
    _DIVERGED = False
    for event, check in _SUBSCRIPTIONS:
        (_events.on if ON else _events.off)(event, check)


class _CallableModule(types.ModuleType):
    """Lets ``mx.debug()`` and ``with mx.debug():`` work on the module itself."""

    def __call__(self, on: bool = True) -> _Scope:
        return _Scope(on)


sys.modules[__name__].__class__ = _CallableModule


# ---- reporting ------------------------------------------------------------------------

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep  # minigluon/


def _warn(check: str, text: str, fix: str) -> None:
    """Issue a LintWarning attributed to the first line of code outside minigluon."""
    level, frame = 2, sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back
        level += 1
    warnings.warn(f"[{check}] {text} Fix: {fix} Reread d2l {SECTIONS[check]}. "
                  f"Before/after example: {PAGES[check]}", LintWarning, stacklevel=level)


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
# (operator name, scalar, examples) of the head of the last backward, until a step;
# examples: how many per-example losses the head sums (1 if it is one averaged number)
_LAST_HEAD: tuple[str | None, Any, int] | None = None
# the arrays that were variables of the last backward: (weak reference, shape, name)
_TRAINED: list[tuple[Any, tuple[int, ...], str | None]] = []
# hand-updated variables: node -> copy of the array's value at its last backward
_VALUE_AT_BACKWARD: weakref.WeakKeyDictionary[Node, Any] = weakref.WeakKeyDictionary()
# (loss per example, norm of the weights) at each backward, to see a training run blow up
_LOSSES: list[tuple[float, float]] = []
# the divergence checks report once per training run (a run: the same variables)
_DIVERGED = False
_RUN: weakref.WeakSet[Node] = weakref.WeakSet()

# operators that turn scores into an accuracy: what evaluation computes, not training
_ACCURACY_OPS = frozenset({"argmax", "argmin", "argmax_channel", "broadcast_equal",
                           "_equal", "_equal_scalar", "broadcast_not_equal", "_not_equal",
                           "_not_equal_scalar"})


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
              "use mx.explain.explain(head); to cut the graph on purpose, use .detach().")
    _VARIABLES[id(x)] = x


def check_to_numpy(x: Any, how: str) -> None:
    """Before an NDArray is turned into NumPy data (``how`` names the call)."""
    node = x._node
    if STATE.recording and node is not None and node.op is not None:
        accuracy = [n.opname for n in _toposort([node], check=False)
                    if n.op is not None and n.opname in _ACCURACY_OPS]
        if accuracy:
            _warn("eval-in-record",
                  f"{how} inside autograd.record() of a value computed with "
                  f"'{accuracy[-1]}': this looks like evaluation (an accuracy). Inside "
                  "record() the network runs in training mode (dropout drops units, batch "
                  "norm uses the batch's statistics) and every operation is recorded for a "
                  "backward that never comes.",
                  "compute the loss inside `with autograd.record():`, call backward and "
                  "step, and evaluate after the block (evaluate_accuracy(test_iter, net) "
                  "once per epoch, outside record()).")
            return
    if STATE.recording and node is not None and (node.op is not None or
                                                 node.grad_req != "null"):
        _warn("to-numpy",
              f"{how} inside autograd.record() on an array in the graph: the result is "
              "NumPy data, which has no tape, so if it is fed back into the computation "
              "(nd.array(...), arithmetic with NDArrays) the gradient stops there.",
              "compute with nd operators (nd.exp, nd.relu, ...) instead of NumPy. To only "
              "print or log a value, convert it after the record() block or under "
              "autograd.pause().")


def check_backward(heads: Sequence[Any]) -> None:
    """Before ``autograd.backward(heads)``."""
    global _LAST_HEAD
    leaves = _check_heads(heads)
    _check_accumulation(leaves)
    _LAST_HEAD = None
    for h in heads:
        node = getattr(h, "_node", None)
        if node is None or node.op is None:
            continue
        if h.size == 1:
            examples = 1
            if node.opname == "sum" and node.parents and len(node.parents[0].shape) >= 1:
                examples = int(node.parents[0].shape[0])  # l.sum() of a batch of losses
            _LAST_HEAD = (node.opname, getattr(node.op, "scalar", None), examples)
        elif h.ndim >= 1:
            _LAST_HEAD = (None, None, int(h.shape[0]))  # l.backward() sums the batch
    if leaves:
        _check_divergence(heads, leaves)


def _arrays_of(leaves: list[Node]) -> dict[Node, Any]:
    arrays = {}
    for x in list(_VARIABLES.values()):
        if x._node is not None:
            arrays[x._node] = x
    return {n: arrays[n] for n in leaves if n in arrays}


def _check_divergence(heads: Sequence[Any], leaves: list[Node]) -> None:
    """Watch the loss from backward to backward; when it blows up, say why it likely did."""
    global _DIVERGED
    import numpy as np

    examples = _LAST_HEAD[2] if _LAST_HEAD is not None else 1
    run = weakref.WeakSet(n for n in leaves if n.grad_req != "null")
    if not any(n in _RUN for n in run):  # other variables: a new training run
        _LOSSES.clear()
        _DIVERGED = False
    _RUN.clear()
    _RUN.update(run)
    total = sum(float(np.asarray(h._data, dtype=np.float64).sum()) for h in heads)
    loss = total / max(examples, 1)
    arrays = _arrays_of([n for n in leaves if n.grad_req != "null"])
    # hand-written updates since the last backward: delta = value now - value then
    plain_sgd: list[float] = []
    for node, x in arrays.items():
        before = _VALUE_AT_BACKWARD.get(node)
        g = node.grad._data if node.grad is not None else None
        if before is not None and g is not None and node not in _NAMES and \
                before.shape == x.shape:
            delta = x._data.astype(np.float64) - before
            g64 = g.astype(np.float64)
            gg = float((g64 * g64).sum())
            if gg > 0 and delta.any():
                lr = -float((delta * g64).sum()) / gg
                if lr > 0 and np.linalg.norm(delta + lr * g64) <= 1e-3 * np.linalg.norm(delta):
                    plain_sgd.append(lr)
        if node not in _NAMES:
            _VALUE_AT_BACKWARD[node] = x._data.astype(np.float64)
    grad_norm = float(np.sqrt(sum(float((n.grad._data.astype(np.float64) ** 2).sum())
                                  for n in arrays if n.grad is not None)))
    size = float(np.sqrt(sum(float((x._data.astype(np.float64) ** 2).sum())
                             for x in arrays.values())))
    _LOSSES.append((loss, size))
    if _DIVERGED:
        return
    # blown up: not finite, or the loss grew at each of three steps, tenfold in all, and
    # so did the size of the weights, twofold (minibatch noise moves the loss up and
    # down, by far more with small batches; a diverging run grows geometrically, and the
    # weights with it)
    history = [v for v, _ in _LOSSES[-4:]]
    sizes = [w for _, w in _LOSSES[-4:]]
    blown = not np.isfinite(loss) or not np.isfinite(grad_norm) or (
        len(history) == 4 and all(a < b for a, b in zip(history, history[1:]))
        and history[-1] > 10 * history[0] and history[-1] > 1e-3
        and all(a < b for a, b in zip(sizes, sizes[1:])) and sizes[-1] > 2 * sizes[0])
    if not blown:
        return
    _DIVERGED = True
    seen = ", ".join(f"{v:.3g}" for v in history)
    if plain_sgd and examples > 1:
        lr = plain_sgd[0]
        _warn("no-batch-average",
              f"the loss per example grew at every step ({seen}) while the parameters "
              f"were updated by hand as param - {lr:.3g} * param.grad. param.grad is the "
              f"gradient of the SUM of {examples} per-example losses (l.backward() sums "
              f"them), so each step is {examples} times larger than the book's sgd takes, "
              "and the weights blow up.",
              "divide by the batch size, as the book's sgd does: "
              "param[:] = param - lr * param.grad / batch_size.")
        return
    if _recurrent(heads):
        _warn("exploding-gradient",
              f"the loss grew at every step ({seen}; gradient norm {grad_norm:.3g}) in a "
              "network that uses the same weights at many time steps: backpropagation "
              "through time multiplies their gradients step after step, so they explode.",
              "clip the gradient before each update: grad_clipping(params, theta, ctx) "
              "from the book (d2l.grad_clipping), or gluon.utils.clip_global_norm("
              "[p.grad(ctx) for p in params.values()], theta) before trainer.step.")
        return
    _warn("diverging",
          f"the loss per example grew at every step ({seen}; gradient norm "
          f"{grad_norm:.3g}): training diverges.",
          "lower the learning rate (by 10x to start with); check that the loss is "
          "averaged as the update expects (step(batch_size) with l.backward(), or "
          "/ batch_size in a hand-written sgd) and that the inputs are scaled.")


def _recurrent(heads: Sequence[Any]) -> bool:
    """Whether the graph uses one variable in several matrix products (time steps) or
    contains a fused RNN operator."""
    roots = [h._node for h in heads if getattr(h, "_node", None) is not None]
    uses: dict[Node, int] = {}
    for n in _toposort(roots, check=False):
        if n.op is None:
            continue
        if n.opname.lower() in ("rnn", "_rnn"):
            return True
        if n.opname in ("dot", "FullyConnected", "batch_dot"):
            for p in n.parents:
                if p.__class__ is Node and p.op is None:
                    uses[p] = uses.get(p, 0) + 1
    return any(k >= 3 for k in uses.values())


def check_grad(heads: Sequence[Any]) -> None:
    """Before ``autograd.grad(heads, ...)``."""
    _check_heads(heads)


def check_step(trainer: Any, batch_size: float, ignore_stale_grad: bool) -> None:
    """Before ``trainer.step(batch_size, ignore_stale_grad)`` updates anything."""
    global _LAST_HEAD
    head, _LAST_HEAD = _LAST_HEAD, None
    if head is not None and batch_size == 1 and head[2] > 1 and head[0] in (None, "sum"):
        made = "l.backward()" if head[0] is None else "l.sum().backward()"
        _warn("no-batch-average",
              f"the last backward ({made}) summed {head[2]} per-example losses and "
              "Trainer.step(1) does not divide by the batch size, so each step is "
              f"{head[2]} times larger than the book's.",
              f"call trainer.step(batch_size) (here step({head[2]})), which divides the "
              "summed gradient by the batch size.")
    if head is not None and batch_size > 1:
        op, scalar = head[0], head[1]
        if head[2] == 1 and (op == "mean" or (op == "_div_scalar" and scalar == batch_size)):
            made = "l.mean()" if op == "mean" else f"l.sum() / {scalar:g}"
            _warn("double-average",
                  f"the head of the last backward was one number made by '{op}' (like "
                  f"{made}): a loss already averaged over the batch. "
                  f"Trainer.step({batch_size:g}) divides the gradient by the batch size "
                  f"again, so the steps are {batch_size:g} times smaller than intended.",
                  "call backward() on the per-example losses (l.backward(), which sums "
                  "them) and keep step(batch_size), or keep the mean and call step(1).")
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
              "grad_req='null' or leave them out of the Trainer.")
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
        if isinstance(h, NDArray) and h._node is None and _TRAINED:
            gone = [(shape, name) for ref, shape, name in _TRAINED
                    if ref() is None or ref()._node is None]
            what = ", ".join(f"'{name}'" if name else f"shape {shape}" for shape, name in
                             gone) or ", ".join(f"shape {shape}" for _, shape, _ in _TRAINED)
            _warn("rebound-variable",
                  "backward of an array that is in no recorded graph, although the previous "
                  f"backward had variables to train ({what}). attach_grad() and record() "
                  "were called; what changed is the variables: an update written "
                  "`W = W - lr * W.grad` makes W a NEW array, without a gradient, and the "
                  "variable you attached is dropped, so this loss depends on nothing that "
                  "has a gradient.",
                  "update the parameters in place, as the book's sgd does: "
                  "W[:] = W - lr * W.grad (or W -= lr * W.grad).")
            continue
        if isinstance(h, NDArray) and h._node is None:
            _warn("no-variable",
                  "backward of an array that is in no recorded graph: it was computed "
                  "outside `with autograd.record():`, or from inputs none of which has a "
                  "gradient (no attach_grad(), or every parameter set to grad_req='null').",
                  "call attach_grad() on what you train (a Gluon network: initialize() "
                  "it) and compute the loss inside `with autograd.record():`.")
    leaves = [n for n in _toposort(roots, check=False) if n.op is None]
    trained = _arrays_of([n for n in leaves if n.grad_req != "null"])
    if trained:
        _TRAINED[:] = [(weakref.ref(x), tuple(x.shape), n.name or _NAMES.get(n))
                       for n, x in trained.items()]
    if roots and not any(n.grad_req != "null" for n in leaves):
        _warn("no-variable",
              f"the head depends on {len(leaves)} variable(s), all with grad_req='null', so "
              "there is no gradient to compute.",
              "give what you train a gradient: x.attach_grad() (grad_req='write'), or "
              "param.grad_req = 'write' on the parameters you froze.")
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
                  "grad_req='write'.")
        _STEPPED.discard(node)
        if version is not None:
            _VERSION_AT_BACKWARD[node] = version


def check_dropout(x: Any, p: float) -> None:
    """When ``nd.Dropout`` drops elements in training mode outside ``record()``."""
    _warn("dropout-at-test",
          f"Dropout(p={p:g}) dropped elements outside autograd.record(): training mode is "
          "on (autograd.train_mode() or autograd.set_training(True)), so this forward, "
          "an evaluation or a prediction, zeroes units at random and its results change "
          "from call to call.",
          "evaluate in prediction mode: call the network outside record() and outside "
          "train_mode() (a from-scratch dropout must test autograd.is_training(), as the "
          "book's does).")


_SUBSCRIPTIONS = (("attach_grad", check_attach_grad), ("to_numpy", check_to_numpy),
                  ("backward", check_backward), ("grad", check_grad), ("step", check_step),
                  ("dropout", check_dropout))
_set(_from_env())
