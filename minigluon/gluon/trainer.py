"""The Trainer: applies an optimizer to a set of Parameters, one step per batch."""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from .. import _events, optimizer as opt
from ..base import MXNetError
from ..ndarray.ndarray import NDArray, _wrap
from .parameter import Parameter, ParameterDict

__all__ = ["Trainer", "StaleGradientError"]


class StaleGradientError(MXNetError, UserWarning):
    """``step`` found a parameter whose gradient no backward has written since the last
    step. It is an MXNetError, and also a UserWarning because MXNet raises a UserWarning
    here (``except UserWarning`` in existing code keeps working)."""


_STATES_FORMAT = "minigluon-trainer-states"
_STATES_VERSION = 1


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
    kvstore, compression_params, update_on_kvstore
        Accepted for compatibility; minigluon has one device and no key-value store.

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

    def _init_optimizer(self, optimizer: Any, optimizer_params: dict[str, Any]) -> None:
        param_dict = dict(enumerate(self._params))
        if isinstance(optimizer, opt.Optimizer):
            assert not optimizer_params, \
                "optimizer_params must be None if optimizer is an instance of Optimizer " \
                "instead of str"
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
        self._optimizer.rescale_grad = self._scale / batch_size
        self._update(ignore_stale_grad)

    def allreduce_grads(self) -> None:
        """Sum gradients across devices: nothing to do with a single device."""

    def update(self, batch_size: float, ignore_stale_grad: bool = False) -> None:
        """The update half of :meth:`step` (after :meth:`allreduce_grads`)."""
        self._optimizer.rescale_grad = self._scale / batch_size
        self._update(ignore_stale_grad)

    def _update(self, ignore_stale_grad: bool = False) -> None:
        for param in self._params:
            param.data()  # a deferred or uninitialized parameter fails here
        todo: list[tuple[int, Parameter]] = []
        for i, param in enumerate(self._params):
            if param.grad_req == "null":
                continue
            if param._fresh_grad:
                todo.append((i, param))
            elif not ignore_stale_grad:
                raise StaleGradientError(
                    f"Gradient of Parameter `{param.name}` on context cpu(0) has not been "
                    "updated by backward since last `step`. This could mean a bug in your "
                    "model that made it only use a subset of the Parameters (Blocks) for this "
                    "iteration. If you are intentionally only using a subset, call step with "
                    "ignore_stale_grad=True to suppress this warning and skip updating of "
                    "Parameters with stale gradient")
        for i, param in todo:
            param._fresh_grad = False
            self._updater(i, param.grad(), param.data())

    # ---- optimizer states ----------------------------------------------------------------
    def save_states(self, fname: str) -> None:
        """Write the optimizer's state (momenta, moving averages, update counts, learning
        rate) to ``fname``, atomically, as an MXNet NDArray file: one array per state
        tensor, plus a JSON description under the name ``__meta__``."""
        from .. import _fileformat

        arrays: dict[str, np.ndarray] = {}
        layout: dict[str, Any] = {}
        for index, state in self._updater.states.items():
            layout[str(index)] = _flatten_state(state, f"state:{index}", arrays)
        o = self._optimizer
        meta = {"format": _STATES_FORMAT, "version": _STATES_VERSION,
                "optimizer": type(o).__name__.lower(), "states": layout,
                "hyper": {k: v for k, v in vars(o).items()
                          if isinstance(v, (int, float, bool, str)) or v is None},
                "index_update_count": [[i, c] for i, c in o._index_update_count.items()
                                       if isinstance(i, int)]}
        arrays["__meta__"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8).copy()
        _fileformat.write_arrays(fname, arrays)

    def load_states(self, fname: str) -> None:
        """Restore what :meth:`save_states` wrote. The whole file is checked (format,
        optimizer type, state shapes) before anything changes."""
        from .. import _fileformat

        try:
            arrays = _fileformat.load_arrays(fname)
            if not isinstance(arrays, dict) or "__meta__" not in arrays:
                raise ValueError("no '__meta__' entry")
            meta = json.loads(arrays["__meta__"].tobytes().decode())
            if not isinstance(meta, dict) or meta.get("format") != _STATES_FORMAT:
                raise ValueError("its '__meta__' entry is not a minigluon trainer-state tag")
            for field, kind in (("optimizer", str), ("states", dict), ("hyper", dict),
                                ("index_update_count", list)):
                if not isinstance(meta.get(field), kind):
                    raise ValueError(f"'__meta__' lacks the {kind.__name__} field {field!r}")
        except (ValueError, UnicodeDecodeError) as e:
            raise MXNetError(f"cannot load trainer states from '{fname}': it is not a file "
                             f"written by Trainer.save_states ({e})") from e
        name = type(self._optimizer).__name__.lower()
        if meta["optimizer"] != name:
            raise MXNetError(f"cannot load trainer states from '{fname}': they were saved "
                             f"for optimizer '{meta['optimizer']}', but this Trainer uses "
                             f"'{name}'")
        states: dict[int, Any] = {}
        for key, layout in meta["states"].items():
            index = int(key) if key.isdigit() else -1
            if not 0 <= index < len(self._params):
                raise MXNetError(f"cannot load trainer states from '{fname}': state index "
                                 f"{index} does not exist (this Trainer has "
                                 f"{len(self._params)} parameters)")
            param = self._params[index]
            states[index] = _unflatten_state(layout, arrays, param, fname, f"state:{index}")
        o = self._optimizer
        for k, v in meta["hyper"].items():
            if hasattr(o, k) and k != "rescale_grad":
                setattr(o, k, v)
        o._index_update_count.clear()
        o._index_update_count.update({i: c for i, c in meta["index_update_count"]})
        self._updater.states = states


def _flatten_state(state: Any, key: str, out: dict[str, np.ndarray]) -> Any:
    """Describe a state (None, an NDArray, or a tuple/list of states) and collect its
    arrays into ``out`` under keys derived from ``key``."""
    if state is None:
        return None
    if isinstance(state, NDArray):
        out[key] = state._data
        return "array"
    if isinstance(state, (tuple, list)):
        return [_flatten_state(s, f"{key}:{j}", out) for j, s in enumerate(state)]
    raise TypeError(f"cannot save an optimizer state of type {type(state).__name__}")


def _unflatten_state(layout: Any, arrays: dict[str, np.ndarray], param: Parameter,
                     fname: str, key: str) -> Any:
    """Rebuild a state described by ``layout`` (see :func:`_flatten_state`), checking that
    its arrays exist and have the parameter's shape."""
    if layout is None:
        return None
    if layout == "array":
        if key not in arrays:
            raise MXNetError(f"cannot load trainer states from '{fname}': '{key}' is missing")
        arr = arrays[key]
        if param.shape is not None and tuple(arr.shape) != tuple(param.shape):
            raise MXNetError(f"cannot load trainer states from '{fname}': state '{key}' has "
                             f"shape {arr.shape} but Parameter '{param.name}' has shape "
                             f"{param.shape}")
        return _wrap(arr, None)
    if isinstance(layout, list):
        return tuple(_unflatten_state(sub, arrays, param, fname, f"{key}:{j}")
                     for j, sub in enumerate(layout))
    raise MXNetError(f"cannot load trainer states from '{fname}': unknown state layout "
                     f"{layout!r}")
