"""The :class:`Optimizer` base class, the registry of optimizers and the helpers the
built-in rules share.

One spelling to register and create, as MXNet's own documentation writes them:
``@mx.optimizer.register`` and ``mx.optimizer.create(name, **kwargs)``. MXNet code uses
others too, kept as aliases: ``Optimizer.register``, ``Optimizer.create_optimizer`` and
the dict ``Optimizer.opt_registry`` (a read-only view of :data:`OPTIMIZERS`).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Mapping
from typing import Any, TypeVar

import numpy as np

from .. import autograd
from .._registry import Registry
from ..base import NotAvailableError
from ..ndarray import NDArray, zeros
from ._mxnet_numerics import _as_kernel, _as_scalar

__all__ = ["Optimizer", "register", "create", "OPTIMIZERS"]

State = Any
O = TypeVar("O", bound=type)


class Optimizer:
    """Base class of optimizers.

    Parameters
    ----------
    rescale_grad : float, default 1.0
        Gradients are multiplied by this before use; ``Trainer.step(batch_size)`` sets it to
        ``1/batch_size``.
    param_idx2name : dict of int to str, optional
        Names of the indices; parameters whose names do not end in ``_weight`` or ``_gamma``
        then get no weight decay (``wd_mult`` 0).
    wd : float, default 0.0
        Weight decay (L2 penalty) coefficient.
    clip_gradient : float, optional
        Clip gradients to ``[-clip_gradient, clip_gradient]``.
    learning_rate : float, optional
        Defaults to 0.01 (each subclass may choose another default).
    lr_scheduler : callable, optional
        ``lr_scheduler(num_update)`` gives the learning rate; it needs a ``base_lr``
        attribute, which ``learning_rate`` overrides.
    begin_num_update : int, default 0
        The update count to start from.
    multi_precision : bool, default False
        For float16 weights: keep a float32 master copy in the state, update it with the
        gradient cast to float32, and write it back rounded to float16 (MXNet's mixed
        precision). Without it a float16 weight is updated in float16, with a warning.
    param_dict : dict of int to Parameter, optional
        Set by the Trainer: where ``lr_mult`` and ``wd_mult`` of each index are read.
    """

    def __init__(self, rescale_grad: float = 1., param_idx2name: dict[int, str] | None = None,
                 wd: float = 0., clip_gradient: float | None = None,
                 learning_rate: float | None = None, lr_scheduler: Any = None,
                 sym: Any = None, begin_num_update: int = 0, multi_precision: bool = False,
                 param_dict: dict[int, Any] | None = None) -> None:
        if sym is not None:
            raise NotAvailableError("Optimizer(sym=...) needs MXNet's Symbol API, which "
                                    "minigluon does not have; use param_dict or set_lr_mult")
        self.rescale_grad = rescale_grad
        self.lr_scheduler = lr_scheduler
        if lr_scheduler is None and learning_rate is None:
            learning_rate = 0.01
        self.lr = learning_rate
        if lr_scheduler is not None and learning_rate is not None \
                and lr_scheduler.base_lr != learning_rate:
            warnings.warn("learning rate from ``lr_scheduler`` has been overwritten by "
                          "``learning_rate`` in optimizer.", UserWarning, stacklevel=2)
            lr_scheduler.base_lr = learning_rate
        self.wd = wd
        self.clip_gradient = clip_gradient
        self.begin_num_update = begin_num_update
        self.num_update = begin_num_update
        # per-device update counts in MXNet; minigluon has one device
        self._all_index_update_counts: dict[int, dict[Any, int]] = {0: {}}
        self._index_update_count = self._all_index_update_counts[0]
        self.multi_precision = multi_precision
        self.aggregate_num = 0
        if param_idx2name is None:
            param_idx2name = {}
        if not isinstance(param_idx2name, dict):
            raise TypeError("param_idx2name should be a dict of param indexes to names.")
        self.idx2name = dict(param_idx2name)
        self.param_dict = param_dict if param_dict else {}
        self.set_lr_mult({})
        self.set_wd_mult({})

    # ---- MXNet's other spellings of the registry verbs ------------------------------------
    @staticmethod
    def register(klass: O) -> O:
        """Another spelling of :func:`register`, kept for MXNet code."""
        return register(klass)

    @staticmethod
    def create_optimizer(name: str, **kwargs: Any) -> Optimizer:
        """Another spelling of :func:`create`, kept for MXNet code."""
        return create(name, **kwargs)

    # ---- learning rate -------------------------------------------------------------------
    @property
    def learning_rate(self) -> float:
        """The current learning rate (from the scheduler, if there is one)."""
        if self.lr_scheduler is not None:
            return self.lr_scheduler(self.num_update)
        return self.lr

    def set_learning_rate(self, lr: float) -> None:
        """Set the learning rate used by the next updates.

        Raises
        ------
        UserWarning
            (raised, as in MXNet) if an ``lr_scheduler`` decides the learning rate.
        """
        if self.lr_scheduler is not None:
            raise UserWarning("LRScheduler of the optimizer has already been defined. Note "
                              "that set_learning_rate can mutate the value of the learning "
                              "rate of the optimizer only when the LRScheduler of the "
                              "optimizer is undefined.")
        self.lr = lr

    def set_lr_mult(self, args_lr_mult: dict[Any, float]) -> None:
        """Learning-rate multipliers by index or name (``param_dict`` takes precedence)."""
        self.lr_mult = dict(args_lr_mult)

    def set_wd_mult(self, args_wd_mult: dict[Any, float]) -> None:
        """Weight-decay multipliers by index or name (``param_dict`` takes precedence).

        Names from ``param_idx2name`` not ending in ``_weight`` or ``_gamma`` get 0.
        """
        self.wd_mult = {n: 0.0 for n in self.idx2name.values()
                        if not (n.endswith("_weight") or n.endswith("_gamma"))}
        self.wd_mult.update(args_wd_mult)

    # ---- what subclasses implement -------------------------------------------------------
    def create_state(self, index: Any, weight: NDArray) -> State:
        """The auxiliary state (momentum, moving averages ...) of one weight; None here."""
        return None

    def create_state_multi_precision(self, index: Any, weight: NDArray) -> State:
        """:meth:`create_state`, and with ``multi_precision`` and a float16 weight the tuple
        ``(float32 master copy, state of the master copy)``."""
        if self.multi_precision and weight.dtype == np.float16:
            master = weight.astype(np.float32)
            return (master, self.create_state(index, master))
        if weight.dtype == np.float16:
            self._warn_float16("optimizer")
        return self.create_state(index, weight)

    @staticmethod
    def _warn_float16(who: str) -> None:
        warnings.warn("Accumulating with float16 in optimizer can lead to poor accuracy or "
                      "slow convergence. Consider using multi_precision=True option of the "
                      f"{who}", UserWarning, stacklevel=4)

    def update(self, index: Any, weight: NDArray, grad: NDArray, state: State) -> None:
        """Update ``weight`` in place from ``grad`` and ``state``."""
        raise NotImplementedError(f"{type(self).__name__} must implement update()")

    def update_multi_precision(self, index: Any, weight: NDArray, grad: NDArray,
                               state: State) -> None:
        """:meth:`update`; with ``multi_precision`` and a float16 weight, the update of the
        float32 master copy in ``state``, then the weight set to it rounded to float16."""
        if self.multi_precision and weight.dtype == np.float16:
            master, inner = state
            self._update_master(index, weight, grad, master, inner)
        else:
            self.update(index, weight, grad, state)

    def _update_master(self, index: Any, weight: NDArray, grad: NDArray, master: NDArray,
                       inner: State) -> None:
        """Update the float32 ``master`` copy with the float32 gradient; copy it back."""
        grad32 = grad.astype(np.float32)
        self.update(index, master, grad32, inner)
        _write(weight, master._data.astype(weight.dtype))

    # ---- helpers for update() ------------------------------------------------------------
    def _update_count(self, index: Any) -> None:
        """Count one more update of ``index`` (or of each index in a list)."""
        for idx in index if isinstance(index, (list, tuple)) else [index]:
            count = self._index_update_count.get(idx, self.begin_num_update) + 1
            self._index_update_count[idx] = count
            self.num_update = max(count, self.num_update)

    def _get_lrs(self, indices: list[Any]) -> list[float]:
        """Learning rates of ``indices``: the global rate times each ``lr_mult``."""
        lr = self.learning_rate
        return [lr * self._mult(index, self.lr_mult, "lr_mult") for index in indices]

    def _get_lr(self, index: Any) -> float:
        """The learning rate of one index, ``lr_mult`` included."""
        return self.learning_rate * self._mult(index, self.lr_mult, "lr_mult")

    def _get_wds(self, indices: list[Any]) -> list[float]:
        """Weight decays of ``indices``: ``wd`` times each ``wd_mult``."""
        return [self.wd * self._mult(index, self.wd_mult, "wd_mult") for index in indices]

    def _get_wd(self, index: Any) -> float:
        """The weight decay of one index, ``wd_mult`` included."""
        return self.wd * self._mult(index, self.wd_mult, "wd_mult")

    def _scalar_rule_grad(self, w: np.ndarray, grad: NDArray, wd: float | None = None
                          ) -> tuple[Any, np.ndarray]:
        """For the rules MXNet runs in Python as NDArray operations with scalar arguments:
        the caster of a Python number to such a scalar (a C double parsed from its text,
        cast to ``w``'s dtype), and the gradient rescaled (plus ``wd * w`` when given, for
        the rules that decay before clipping) and clipped."""
        dtype = w.dtype

        def sc(x: float) -> np.generic:
            return _as_scalar(x, dtype)

        g = _data(grad) * sc(self.rescale_grad)
        if wd is not None:
            g = g + sc(wd) * w
        if self.clip_gradient is not None:
            g = _clip(g, _as_kernel(self.clip_gradient, dtype))  # nd.clip takes C floats
        return sc, g

    def _mult(self, index: Any, table: dict[Any, float], attr: str) -> float:
        if index in self.param_dict:
            return getattr(self.param_dict[index], attr)
        if index in table:
            return table[index]
        if index in self.idx2name:
            return table.get(self.idx2name[index], 1.0)
        return 1.0

    def _kernel_args(self, index: Any, weight: NDArray) -> tuple[Any, Any, Any, Any]:
        """Count the update; return lr, wd, rescale_grad and the clip bound (None: no
        clipping) as MXNet's C++ update operators see them (see :func:`_as_kernel`)."""
        dt = _data(weight).dtype
        r, clip = self._rescale_clip(index, dt)
        return _as_kernel(self._get_lr(index), dt), _as_kernel(self._get_wd(index), dt), r, clip

    def _rescale_clip(self, index: Any, dt: np.dtype) -> tuple[Any, Any]:
        """Count the update; return rescale_grad and the clip bound (None: no clipping) as
        a kernel sees them: :meth:`_kernel_args` for an optimizer that reads lr and wd
        otherwise (SGD)."""
        self._update_count(index)
        clip = self.clip_gradient
        clip = _as_kernel(clip, dt) if clip and clip > 0 else None
        return _as_kernel(self.rescale_grad, dt), clip

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        del state["param_dict"]  # the Trainer sets it again; Parameters are not pickled here
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__ = state
        self.param_dict = {}


#: every optimizer class, by lower-cased name; plugins arrive through ``minigluon.optimizers``
OPTIMIZERS: Registry[type[Optimizer]] = Registry("optimizer", group="minigluon.optimizers")


class _RegistryView(Mapping[str, type]):
    """A read-only name -> class view of :data:`OPTIMIZERS`: MXNet's
    ``Optimizer.opt_registry`` dict (register new optimizers with :func:`register`)."""

    def __getitem__(self, name: str) -> type:
        if not isinstance(name, str) or name not in OPTIMIZERS:
            raise KeyError(name)
        return OPTIMIZERS.get(name)

    def __iter__(self) -> Iterator[str]:
        return iter(OPTIMIZERS)

    def __len__(self) -> int:
        return len(list(OPTIMIZERS))


Optimizer.opt_registry = _RegistryView()  # type: ignore[attr-defined]


def register(klass: O) -> O:
    """Register an :class:`Optimizer` subclass under its lower-cased class name (decorator).

    Registering a name again replaces the old class with a warning, as MXNet does (so a
    re-run notebook cell works).
    """
    if not (isinstance(klass, type) and issubclass(klass, Optimizer)):
        raise TypeError(f"mx.optimizer.register expects a subclass of Optimizer, got {klass!r}")
    name = klass.__name__.lower()
    if name in OPTIMIZERS:
        old = OPTIMIZERS.get(name)
        warnings.warn(f"New optimizer {klass.__module__}.{klass.__name__} is overriding "
                      f"existing optimizer {old.__module__}.{old.__name__}",
                      UserWarning, stacklevel=2)
    OPTIMIZERS.register(klass, name, override=True)
    return klass


def create(name: str | Optimizer, **kwargs: Any) -> Optimizer:
    """Instantiate the optimizer registered as ``name`` (case-insensitive).

    An :class:`Optimizer` instance is returned unchanged (without keyword arguments).

    Raises
    ------
    ValueError
        "Cannot find optimizer <name>" for an unknown name.
    TypeError
        For a keyword the optimizer does not take.
    """
    if isinstance(name, Optimizer):
        if kwargs:
            raise TypeError("optimizer is already an instance; keyword arguments "
                            f"{sorted(kwargs)} cannot be applied to it")
        return name
    if not isinstance(name, str):
        raise TypeError(f"optimizer name must be a str, got {type(name).__name__}")
    try:
        klass = OPTIMIZERS.get(name)
    except KeyError:
        raise ValueError(f"Cannot find optimizer {name}") from None
    return klass(**kwargs)


def _builtin(klass: O) -> O:
    # registered without the clash check of register(), which would scan the entry points
    # (plugins) while minigluon is still being imported
    OPTIMIZERS.register(klass, klass.__name__.lower())
    return klass



def _data(x: NDArray) -> np.ndarray:
    if x.__class__ is not NDArray and not isinstance(x, NDArray):
        raise TypeError(f"expected an NDArray, got {type(x).__name__}")
    return x._data


def _write(arr: NDArray, value: np.ndarray) -> None:
    """``arr[:] = value`` outside any recording: an update is not part of a graph."""
    with autograd.pause():
        arr[:] = value


def _update_in_place(weight: NDArray, ufunc: Any, value: np.ndarray) -> None:
    """``weight = ufunc(weight, value)`` written into the weight's own buffer."""
    weight._assign_(ufunc, value)  # bumps the version: a graph that saved w is now stale


def _clip(x: np.ndarray, bound: Any) -> np.ndarray:
    return np.clip(x, -bound, bound)


def _zeros(weight: NDArray) -> NDArray:
    return zeros(weight.shape, weight.context, dtype=weight.dtype)

