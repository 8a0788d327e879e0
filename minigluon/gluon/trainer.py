"""The Trainer: applies an optimizer to a set of Parameters, one step per batch."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .. import _events, kvstore as kvs, optimizer as opt
from ..base import MXNetError
from . import _checkpoint
from .parameter import Parameter, ParameterDict

__all__ = ["Trainer", "StaleGradientError"]


class StaleGradientError(MXNetError, UserWarning):
    """``step`` found a parameter whose gradient no backward has written since the last
    step. It is an MXNetError, and also a UserWarning because MXNet raises a UserWarning
    here (``except UserWarning`` in existing code keeps working)."""



class BatchSizeError(MXNetError, TypeError):
    """``step``/``update`` got a ``batch_size`` that is not a number. MXNet fails there too
    (a TypeError for a string, an MXNetError about parsing for an NDArray): this is both."""


def _batch_size(batch_size: Any, method: str) -> Any:
    """``batch_size`` if it is a real number (Python or NumPy scalar), else a clear error."""
    if isinstance(batch_size, numbers.Real) and not isinstance(batch_size, np.ndarray):
        return batch_size
    shape = getattr(batch_size, "shape", None)
    what = (f"{type(batch_size).__name__} of shape {tuple(shape)}" if shape is not None
            else f"{type(batch_size).__name__} {batch_size!r}")
    hint = (" (for a one-element array write int(x.asscalar()))"
            if shape is not None and int(np.prod(shape)) == 1 else "")
    raise BatchSizeError(f"Trainer.{method}(batch_size): batch_size must be a number; got "
                         f"{what}{hint}")


class Trainer:
    """Updates parameters with an optimizer.

    Parameters
    ----------
    params : ParameterDict, dict or list of Parameter
        What to train. A dict is taken in sorted-name order (the optimizer's indices).
    optimizer : str or Optimizer
        ``'sgd'``, ``'adam'`` ... (case-insensitive) or an instance.
    optimizer_params : dict, optional
        E.g. ``{'learning_rate': 0.1, 'wd': 0.001}``; must be None with an instance.
    kvstore : str or KVStore, optional
        How gradients of parameters held on several devices are summed: ``'device'``
        (default) or ``'local'`` create an :mod:`minigluon.kvstore`; None sums nothing.
        With a single device no store is used, as in MXNet.
    compression_params
        Accepted for compatibility (no gradient compression).
    update_on_kvstore : bool, optional
        True (the default with a store): the store applies the optimizer to its copy
        of each weight and every device pulls the result. False: the summed gradient is
        pulled back to every device, and each device's copy is updated there.

    ``step(batch_size)`` sets the optimizer's ``rescale_grad`` to ``1/batch_size`` and
    updates each parameter once. Weight decay (``wd``) is *not* divided by the batch size.
    Gradients are not zeroed by ``step``: with ``grad_req='write'`` the next backward
    overwrites them.
    """

    def __init__(self, params: Any, optimizer: str | opt.Optimizer,
                 optimizer_params: dict[str, Any] | None = None, kvstore: Any = "device",
                 compression_params: Any = None, update_on_kvstore: Any = None) -> None:
        if isinstance(params, (dict, ParameterDict)):
            params = [params[key] for key in sorted(params.keys())]
        if not isinstance(params, (list, tuple)):
            raise ValueError(f"First argument must be a list or dict of Parameters, got "
                             f"{type(params)}.")
        self._params: list[Parameter] = []
        for param in params:
            if not isinstance(param, Parameter):
                raise ValueError(f"First argument must be a list or dict of Parameters, got "
                                 f"list of {type(param)}.")
            self._params.append(param)
            param._set_trainer(self)
        for param in self._params:
            param.list_ctx()  # fails on a parameter that was never initialized
        self._kvstore_params = {"kvstore": kvstore, "update_on_kvstore": update_on_kvstore}
        self._compression_params = compression_params
        self._init_optimizer(optimizer, optimizer_params or {})
        self._scale = self._optimizer.rescale_grad
        self._kv_initialized = False
        self._kvstore: kvs.KVStore | None = None
        self._update_on_kvstore = False
        self._updaters: list[Any] = [self._updater]

    def _init_optimizer(self, optimizer: Any, optimizer_params: dict[str, Any]) -> None:
        param_dict = dict(enumerate(self._params))
        if isinstance(optimizer, opt.Optimizer):
            if optimizer_params:
                raise AssertionError(  # an assert in MXNet 1.9.1: same type
                    "optimizer_params must be None if optimizer is an instance of Optimizer "
                    "instead of str")
            self._optimizer = optimizer
            self._optimizer.param_dict = param_dict
        else:
            self._optimizer = opt.create(optimizer, param_dict=param_dict, **optimizer_params)
        self._updater = opt.get_updater(self._optimizer)

    @property
    def learning_rate(self) -> float:
        """The optimizer's current learning rate (read-only; see set_learning_rate)."""
        return self._optimizer.learning_rate

    @property
    def optimizer(self) -> opt.Optimizer:
        """The optimizer instance."""
        return self._optimizer

    def set_learning_rate(self, lr: float) -> None:
        """Use learning rate ``lr`` from the next step on."""
        self._optimizer.set_learning_rate(lr)

    def step(self, batch_size: float, ignore_stale_grad: bool = False) -> None:
        """Update every parameter from its gradient divided by ``batch_size``.

        Raises
        ------
        StaleGradientError
            If some parameter's gradient was not written by a backward since the last
            step (nothing is updated then). ``ignore_stale_grad=True`` skips those
            parameters instead.
        DeferredInitializationError
            If a parameter still waits for its first forward pass.
        """
        if _events.ACTIVE:
            _events.emit("step", self, batch_size, ignore_stale_grad)
        self._optimizer.rescale_grad = self._scale / _batch_size(batch_size, "step")
        self._update(ignore_stale_grad)

    def allreduce_grads(self) -> None:
        """Sum each parameter's gradients over its devices (through the kvstore), so
        that every device holds the sum. Only with ``update_on_kvstore=False``."""
        if not self._kv_initialized:
            self._init_kvstore()
        if self._update_on_kvstore:
            raise AssertionError(  # an assert in MXNet 1.9.1: same type
                "allreduce_grads() when parameters are updated on kvstore is not "
                "supported. Try setting `update_on_kvstore` to False when creating trainer.")
        self._allreduce_grads()

    def update(self, batch_size: float, ignore_stale_grad: bool = False) -> None:
        """The update half of :meth:`step` (after :meth:`allreduce_grads`)."""
        if not self._kv_initialized:
            self._init_kvstore()
        if self._update_on_kvstore:
            raise AssertionError(  # an assert in MXNet 1.9.1: same type
                "update() when parameters are updated on kvstore is not supported. Try "
                "setting `update_on_kvstore` to False when creating trainer.")
        self._optimizer.rescale_grad = self._scale / _batch_size(batch_size, "update")
        self._update(ignore_stale_grad, reduced=True)

    # ---- several devices -----------------------------------------------------------------
    def _contexts(self) -> list[Any]:
        ctx = None
        for param in self._params:
            c = param.list_ctx()
            if ctx is not None and c != ctx:
                raise AssertionError(  # an assert in MXNet 1.9.1: same type
                    f"All Parameters must be initialized on the same set of contexts, but "
                    f"Parameter {param.name} is initialized on {c} while previous Parameters "
                    f"are initialized on {ctx}.")
            ctx = c
        return ctx or []

    def _init_kvstore(self) -> None:
        """Choose the store as MXNet does: none for one device (or kvstore=None), else
        ``kvstore`` holding a copy of every weight."""
        for param in self._params:
            param.data(param.list_ctx()[0])  # a deferred or uninitialized parameter fails
        contexts = self._contexts()
        kv = self._kvstore_params["kvstore"]
        update = self._kvstore_params["update_on_kvstore"]
        if isinstance(kv, kvs.KVStore):
            store: kvs.KVStore | None = kv
        elif isinstance(kv, str) and len(contexts) > 1:
            store = kvs.create(kv)
        else:
            store = None
        if store is None:
            if update:
                raise ValueError("Cannot set update_on_kvstore=True when there is no kvstore")
            self._update_on_kvstore = False
        else:
            self._update_on_kvstore = True if update is None else bool(update)
            for i, param in enumerate(self._params):
                if param.grad_req != "null":
                    store.init(i, param.list_data()[0])
            if self._update_on_kvstore:
                # the store updates with this trainer's optimizer (and its states)
                store._set_updater(self._updater)
        self._kvstore = store
        self._updaters = [self._updater] + [opt.get_updater(self._optimizer)
                                            for _ in contexts[1:]]
        self._kv_initialized = True

    def _reset_kvstore(self) -> None:
        """Forget the store (a weight was set from outside): the next step makes a new
        one from the current weights, with a fresh updater, as MXNet does."""
        self._kv_initialized = False
        self._kvstore = None
        self._updater = opt.get_updater(self._optimizer)

    def _allreduce_grads(self) -> None:
        store = self._kvstore
        if store is None:
            return
        for i, param in enumerate(self._params):
            if param.grad_req == "null":
                continue
            grads = param.list_grad()
            store.push(i, grads)
            if not self._update_on_kvstore:
                store.pull(i, grads)

    def _update(self, ignore_stale_grad: bool = False, reduced: bool = False) -> None:
        if not self._kv_initialized:
            self._init_kvstore()
        todo: list[tuple[int, Parameter, list[Any]]] = []
        for i, param in enumerate(self._params):
            if param.grad_req == "null":
                continue
            datas = param.list_data()
            stale = [d for d in datas if not d._fresh_grad]
            if not stale:
                todo.append((i, param, datas))
            elif not ignore_stale_grad:
                raise StaleGradientError(
                    f"Gradient of Parameter `{param.name}` on context {stale[0].context} has "
                    "not been updated by backward since last `step`. This could mean a bug in "
                    "your model that made it only use a subset of the Parameters (Blocks) for "
                    "this iteration. If you are intentionally only using a subset, call step "
                    "with ignore_stale_grad=True to suppress this warning and skip updating "
                    "of Parameters with stale gradient")
        store = self._kvstore
        if store is not None and not reduced:
            for i, param, _ in todo:  # sum the gradients of all devices
                store.push(i, param.list_grad())
                if not self._update_on_kvstore:
                    store.pull(i, param.list_grad())
        for i, param, datas in todo:
            for d in datas:
                d._fresh_grad = False
            if store is not None and self._update_on_kvstore:
                store.pull(i, datas)  # the weights the store updated
                continue
            for upd, d, g in zip(self._updaters, datas, param.list_grad()):
                upd(i, g, d)

    # ---- optimizer states ----------------------------------------------------------------
    def save_states(self, fname: str) -> None:
        """Write the optimizer's state (momenta, moving averages, update counts, learning
        rate) to ``fname``, atomically, as an MXNet NDArray file: one array per state
        tensor, plus a JSON description under the name ``__meta__``."""
        _checkpoint.save_trainer_states(self._updater, self._optimizer, fname)

    def load_states(self, fname: str) -> None:
        """Restore what :meth:`save_states` wrote. The whole file is checked (format,
        optimizer type, state shapes) before anything changes."""
        _checkpoint.load_trainer_states(self._updater, self._optimizer, self._params, fname)
