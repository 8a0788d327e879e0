"""Optimizers: the update rules that ``gluon.Trainer`` applies, as ``mx.optimizer``.

Every rule gives the numbers of Apache MXNet 1.9.1, including where each optimizer applies
``rescale_grad``, ``clip_gradient`` and ``wd`` (they differ from one optimizer to the next;
each class docstring states its rule). ``g`` below is the raw gradient, ``r`` is
``rescale_grad`` (the Trainer sets it to ``1/batch_size``), ``lr`` and ``wd`` already
include the parameter's ``lr_mult``/``wd_mult``, and ``clip(x)`` limits x to
``[-clip_gradient, clip_gradient]``.

Write your own by subclassing :class:`Optimizer` and registering it::

    @mx.optimizer.register
    class MySGD(mx.optimizer.Optimizer):
        def create_state(self, index, weight):
            return None
        def update(self, index, weight, grad, state):
            weight[:] -= self._get_lr(index) * (self.rescale_grad * grad)

after which ``gluon.Trainer(params, 'mysgd', {...})`` finds it under its lower-cased class
name. Packages can ship optimizers through the ``minigluon.optimizers`` entry-point group.

Examples
--------
>>> import minigluon as mx
>>> opt = mx.optimizer.create('sgd', learning_rate=0.1, wd=0.5)
>>> w, g = mx.nd.array([1, 2]), mx.nd.array([4, 8])
>>> opt.rescale_grad = 1 / 2            # what trainer.step(2) does
>>> opt.update(0, w, g, opt.create_state(0, w))
>>> w
<BLANKLINE>
[0.75 1.5 ]
<NDArray 2 @cpu(0)>
"""

from __future__ import annotations

import functools
import math
import pickle
import re
import warnings
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

import numpy as np

from . import autograd
from ._registry import Registry
from .base import MinigluonError, NotAvailableError
from .ndarray import NDArray, zeros

__all__ = ["Optimizer", "SGD", "NAG", "AdaGrad", "RMSProp", "AdaDelta", "Adam", "Adamax",
           "Nadam", "Signum", "Ftrl", "FTML", "DCASGD", "Updater", "register", "create",
           "get_updater", "OPTIMIZERS"]

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
        Accepted for compatibility; minigluon always updates in the weight's own dtype.
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

    # ---- registry verbs, as static methods (MXNet spells them both ways) -----------------
    @staticmethod
    def register(klass: O) -> O:
        """Register an Optimizer subclass under its lower-cased class name."""
        return register(klass)

    @staticmethod
    def create_optimizer(name: str, **kwargs: Any) -> Optimizer:
        """Instantiate the optimizer registered as ``name`` (case-insensitive)."""
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
        """Same as :meth:`create_state`: minigluon keeps no float32 master copies."""
        return self.create_state(index, weight)

    def update(self, index: Any, weight: NDArray, grad: NDArray, state: State) -> None:
        """Update ``weight`` in place from ``grad`` and ``state``."""
        raise NotImplementedError(f"{type(self).__name__} must implement update()")

    def update_multi_precision(self, index: Any, weight: NDArray, grad: NDArray,
                               state: State) -> None:
        """Same as :meth:`update`."""
        self.update(index, weight, grad, state)

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
        return self._get_lrs([index])[0]

    def _get_wds(self, indices: list[Any]) -> list[float]:
        """Weight decays of ``indices``: ``wd`` times each ``wd_mult``."""
        return [self.wd * self._mult(index, self.wd_mult, "wd_mult") for index in indices]

    def _get_wd(self, index: Any) -> float:
        """The weight decay of one index, ``wd_mult`` included."""
        return self._get_wds([index])[0]

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
        self._update_count(index)
        clip = self.clip_gradient
        clip = _as_kernel(clip, dt) if clip and clip > 0 else None
        return (_as_kernel(self._get_lr(index), dt), _as_kernel(self._get_wd(index), dt),
                _as_kernel(self.rescale_grad, dt), clip)

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


# ---- arithmetic shared by the built-in rules ------------------------------------------------
# MXNet hands every operator argument to C++ as text, str(x), and parses it with dmlc-core's
# fast strtof/strtod. Those are not correctly rounded (e.g. lr 8.624942345226406e-05 becomes
# the float32 one step above the nearest), so a float64 weight's trajectory depends on them
# in the 8th digit. The built-in rules feed their hyper-parameters through the same parse.
@functools.lru_cache(maxsize=1024)  # the same few hyper-parameters, every step
def _dmlc_parse(text: str, ftype: type[np.floating]) -> np.floating:
    """dmlc-core's ``ParseFloat<ftype>``: integer part, then fraction (at most 19 digits)
    as one division in double, then a power of ten built by repeated multiplication."""
    m = re.fullmatch(r"([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?)(\d+))?", text)
    if m is None:  # inf, nan
        return ftype(float(text))
    sign, whole, frac, esign, expon = m.groups()
    value = ftype(int(whole or 0) % 2**64)
    if frac:
        digits = frac[:19]
        value = ftype(value + ftype(int(digits or 0) / float(10 ** len(digits))))
    if expon:
        e = min(int(expon), 308 if ftype is np.float64 else 38)
        scale = ftype(1.0)
        for step in [8] * (e // 8) + [1] * (e % 8):
            scale = ftype(scale * ftype(1e8 if step == 8 else 10.0))
        value = ftype(value / scale) if esign == "-" else ftype(value * scale)
    return -value if sign == "-" else value


def _as_kernel(x: float, dtype: np.dtype) -> np.generic:
    """A hyper-parameter as MXNet's C++ update operators use it: a C ``float`` (parsed from
    ``str(x)``), cast to the weight's dtype -- a float64 weight sees 0.1 as 0.100000001."""
    return _dmlc_parse(str(x), np.float32).astype(dtype)


def _as_scalar(x: float, dtype: np.dtype) -> np.generic:
    """A Python number in an NDArray-scalar operation (``grad * rescale_grad``): a C
    ``double`` parsed from ``str(x)``, then cast to the array's dtype."""
    return _dmlc_parse(str(x), np.float64).astype(dtype)


def _data(x: NDArray) -> np.ndarray:
    if not isinstance(x, NDArray):
        raise TypeError(f"expected an NDArray, got {type(x).__name__}")
    return x._data


def _write(arr: NDArray, value: np.ndarray) -> None:
    """``arr[:] = value`` outside any recording: an update is not part of a graph."""
    with autograd.pause():
        arr[:] = value


def _update_in_place(weight: NDArray, ufunc: Any, value: np.ndarray) -> None:
    """``weight = ufunc(weight, value)`` written into the weight's own buffer."""
    weight._assign_(ufunc, value)  # counted as a write: a graph that saved w is now stale


def _clip(x: np.ndarray, bound: Any) -> np.ndarray:
    return np.clip(x, -bound, bound)


def _zeros(weight: NDArray) -> NDArray:
    return zeros(weight.shape, weight.context, dtype=weight.dtype)


# ---- the built-in optimizers -------------------------------------------------------------
@_builtin
class SGD(Optimizer):
    """Stochastic gradient descent, with optional momentum (``sgd``).

    ``mom = momentum·mom − lr·wd·w − lr·clip(r·g);  w = w + mom`` — wd is added *after*
    clipping and is not rescaled. Without momentum (the default) mom starts from 0 each
    step: ``w = w − lr·(clip(r·g) + wd·w)``. No momentum state exists when momentum is 0.

    Parameters
    ----------
    momentum : float, default 0.0
    lazy_update : bool, default True
        Only matters for sparse gradients, which minigluon does not have.
    """

    def __init__(self, momentum: float = 0.0, lazy_update: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.momentum = momentum
        self.lazy_update = lazy_update

    def create_state(self, index: Any, weight: NDArray) -> NDArray | None:
        return _zeros(weight) if self.momentum != 0.0 else None

    def update(self, index: Any, weight: NDArray, grad: NDArray, state: State) -> None:
        _, _, r, clip = self._kernel_args(index, weight)
        w, g = _data(weight), _data(grad)
        # MXNet runs dense SGD through multi_sgd_update, whose per-weight lr and wd arrive
        # as a tuple, parsed by C++ streams: correctly rounded to float32
        lr = np.float32(self._get_lr(index)).astype(w.dtype)
        wd = np.float32(self._get_wd(index)).astype(w.dtype)
        step = lr * _clip(r * g, clip) if clip is not None else (lr * r) * g
        if self.momentum > 0:  # MXNet ignores a negative momentum (but keeps its state)
            mom = _as_kernel(self.momentum, w.dtype) * state._data - (lr * wd) * w - step
            _write(state, mom)
            _write(weight, w + mom)
            return
        # w + (-lr·wd·w - step) computed in place as w - (lr·wd·w + step): the same bits
        # (IEEE rounding is symmetric), one temporary instead of four
        if wd:
            step += (lr * wd) * w
        _update_in_place(weight, np.subtract, step)


@_builtin
class NAG(Optimizer):
    """Nesterov accelerated gradient (``nag``).

    ``d = clip(r·g) + wd·w;  w' = w + momentum²·mom − (1 + momentum)·lr·d;
    mom = momentum·mom − lr·(clip(r·g) + wd·w')`` — the momentum's weight-decay term uses
    the *updated* weight w' (MXNet's in-place kernel reads the weight after writing it).
    With momentum 0 it is exactly :class:`SGD`.
    """

    def __init__(self, momentum: float = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.momentum = momentum

    def create_state(self, index: Any, weight: NDArray) -> NDArray | None:
        return _zeros(weight) if self.momentum != 0.0 else None

    def update(self, index: Any, weight: NDArray, grad: NDArray, state: State) -> None:
        lr, wd, r, clip = self._kernel_args(index, weight)
        w, g = _data(weight), _data(grad)
        rg = _clip(r * g, clip) if clip is not None else r * g
        if state is None:
            _write(weight, (1 - lr * wd) * w - (lr * rg if clip is not None else (lr * r) * g))
            return
        mu = _as_kernel(self.momentum if self.momentum > 0 else 0.0, w.dtype)
        # MXNet's nag_mom_update kernel writes the weight before updating the momentum,
        # and (run in place) its momentum line then reads the *new* weight for wd·w
        mom = mu * state._data
        new_w = (w - mom) + (mu + 1) * (mom - lr * (rg + wd * w))
        _write(weight, new_w)
        _write(state, mom - lr * (rg + wd * new_w))


@_builtin
class AdaGrad(Optimizer):
    """AdaGrad (``adagrad``): per-coordinate steps shrinking with the summed squared grads.

    ``g' = clip(r·g);  h = h + g'²;  w = w − lr·(g'/sqrt(h + eps) + wd·w)`` — weight decay
    stays outside the adaptive scaling, and ``eps`` sits inside the square root.

    Parameters
    ----------
    eps : float, default 1e-7
    """

    def __init__(self, eps: float = 1e-7, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.float_stable_eps = eps

    def create_state(self, index: Any, weight: NDArray) -> NDArray:
        return _zeros(weight)  # MXNet makes it float32 whatever the weight (and then fails)

    def update(self, index: Any, weight: NDArray, grad: NDArray, state: State) -> None:
        w = _data(weight)
        self._update_count(index)
        # MXNet runs this rule as NDArray operations with scalar arguments
        sc = functools.partial(_as_scalar, dtype=w.dtype)
        g = _data(grad) * sc(self.rescale_grad)
        if self.clip_gradient is not None:
            g = _clip(g, _as_kernel(self.clip_gradient, w.dtype))  # nd.clip takes C floats
        hist = state._data + g * g
        _write(state, hist)
        div = g / np.sqrt(hist + sc(self.float_stable_eps))
        _write(weight, w + (div + w * sc(self._get_wd(index))) * sc(-self._get_lr(index)))


@_builtin
class RMSProp(Optimizer):
    """RMSProp (``rmsprop``; default learning rate 0.001).

    With ``g' = clip(r·g + wd·w)`` (wd *before* clipping) and ``n = (1−γ1)·g'² + γ1·n``:

    - ``centered=False`` (Tieleman & Hinton): ``w = w − lr·g'/sqrt(n + eps)``;
    - ``centered=True`` (Graves): ``m = (1−γ1)·g' + γ1·m``,
      ``δ = γ2·δ − lr·g'/sqrt(n − m² + eps)``, ``w = w + δ``.

    ``clip_weights`` then clips the new weight. ``gamma2`` is used only when centered.
    """

    def __init__(self, learning_rate: float = 0.001, gamma1: float = 0.9, gamma2: float = 0.9,
                 epsilon: float = 1e-8, centered: bool = False,
                 clip_weights: float | None = None, **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.gamma1 = gamma1
        self.gamma2 = gamma2
        self.centered = centered
        self.epsilon = epsilon
        self.clip_weights = clip_weights

    def create_state(self, index: Any, weight: NDArray) -> tuple[NDArray, ...]:
        if self.centered:
            return (_zeros(weight), _zeros(weight), _zeros(weight))  # n, mean g, delta
        return (_zeros(weight),)  # n

    def update(self, index: Any, weight: NDArray, grad: NDArray, state: State) -> None:
        lr, wd, r, clip = self._kernel_args(index, weight)
        w, g = _data(weight), _data(grad)
        dt = w.dtype
        g1, eps = _as_kernel(self.gamma1, dt), _as_kernel(self.epsilon, dt)
        gr = r * g + wd * w
        if clip is not None:
            gr = _clip(gr, clip)
        if not self.centered:
            n = (1 - g1) * (gr * gr) + g1 * state[0]._data
            new_w = w - lr * (gr / np.sqrt(n + eps))
            _write(state[0], n)
        else:
            g2 = _as_kernel(self.gamma2, dt)
            n = (1 - g1) * gr * gr + g1 * state[0]._data
            m = (1 - g1) * gr + g1 * state[1]._data
            delta = g2 * state[2]._data - lr * gr / np.sqrt(n - m * m + eps)
            new_w = w + delta
            for s, v in zip(state, (n, m, delta)):
                _write(s, v)
        if self.clip_weights and self.clip_weights > 0:
            new_w = _clip(new_w, _as_kernel(self.clip_weights, dt))
        _write(weight, new_w)


@_builtin
class AdaDelta(Optimizer):
    """AdaDelta (``adadelta``). The learning rate is **not used** by this rule.

    ``g' = clip(r·g);  a = ρ·a + (1−ρ)·g'²;  δ = sqrt(d + eps)/sqrt(a + eps)·g';
    d = ρ·d + (1−ρ)·δ²;  w = w − (δ + wd·w)`` — weight decay is applied unscaled, after
    the adaptive step. (MXNet also multiplies the caller's gradient array by
    ``rescale_grad`` in place; minigluon leaves the gradient alone.)
    """

    def __init__(self, rho: float = 0.90, epsilon: float = 1e-5, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rho = rho
        self.epsilon = epsilon

    def create_state(self, index: Any, weight: NDArray) -> tuple[NDArray, NDArray]:
        return (_zeros(weight), _zeros(weight))  # accumulated g², accumulated delta²

    def update(self, index: Any, weight: NDArray, grad: NDArray, state: State) -> None:
        w = _data(weight)
        wd = self._get_wd(index)
        self._update_count(index)
        # MXNet runs this rule as NDArray operations with scalar arguments
        sc = functools.partial(_as_scalar, dtype=w.dtype)
        g = _data(grad) * sc(self.rescale_grad)
        if self.clip_gradient is not None:
            g = _clip(g, _as_kernel(self.clip_gradient, w.dtype))  # nd.clip takes C floats
        acc_g, acc_delta = state
        rho, rho_c, eps = sc(self.rho), sc(1. - self.rho), sc(self.epsilon)
        a = acc_g._data * rho + rho_c * g * g
        delta = np.sqrt(acc_delta._data + eps) / np.sqrt(a + eps) * g
        _write(acc_g, a)
        _write(acc_delta, acc_delta._data * rho + rho_c * delta * delta)
        _write(weight, w - (delta + sc(wd) * w))


@_builtin
class Adam(Optimizer):
    """Adam (``adam``; default learning rate 0.001).

    ``g' = clip(r·g + wd·w)`` (wd *before* clipping); ``m = β1·m + (1−β1)·g'``;
    ``v = β2·v + (1−β2)·g'²``; ``lr_t = lr·sqrt(1−β2^t)/(1−β1^t)``;
    ``w = w − lr_t·m/(sqrt(v) + ε)``. The bias correction is folded into the learning rate,
    so ε is added to the *uncorrected* sqrt(v) (PyTorch adds it to the corrected one). ``t``
    counts the updates of this index.
    """

    def __init__(self, learning_rate: float = 0.001, beta1: float = 0.9, beta2: float = 0.999,
                 epsilon: float = 1e-8, lazy_update: bool = True, **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.lazy_update = lazy_update

    def create_state(self, index: Any, weight: NDArray) -> tuple[NDArray, NDArray]:
        return (_zeros(weight), _zeros(weight))  # mean, variance

    def update(self, index: Any, weight: NDArray, grad: NDArray, state: State) -> None:
        _, wd, r, clip = self._kernel_args(index, weight)
        t = self._index_update_count[index]
        # the bias correction is computed in Python with the exact betas; the C++ kernel
        # then sees lr, betas and epsilon as C floats
        lr = self._get_lr(index) * (math.sqrt(1. - self.beta2 ** t) / (1. - self.beta1 ** t))
        w, g = _data(weight), _data(grad)
        lr, b1, b2, eps = (_as_kernel(x, w.dtype)
                           for x in (lr, self.beta1, self.beta2, self.epsilon))
        gr = g * r + w * wd
        if clip is not None:
            gr = _clip(gr, clip)
        mean = b1 * state[0]._data + (1 - b1) * gr
        var = b2 * state[1]._data + (1 - b2) * gr * gr
        _write(state[0], mean)
        _write(state[1], var)
        _write(weight, w - lr * mean / (np.sqrt(var) + eps))


@_builtin
class Adamax(Optimizer):
    """AdaMax (``adamax``; default learning rate 0.002): Adam with the infinity norm.

    ``g' = clip(r·g + wd·w)`` (wd *before* clipping); ``m = β1·m + (1−β1)·g'``;
    ``u = max(β2·u, |g'|)``; ``w = w − lr/(1−β1^t)·m/u``. No epsilon: a coordinate whose
    gradients have all been 0 divides 0 by 0, as in MXNet.
    """

    def __init__(self, learning_rate: float = 0.002, beta1: float = 0.9, beta2: float = 0.999,
                 **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1 = beta1
        self.beta2 = beta2

    def create_state(self, index: Any, weight: NDArray) -> tuple[NDArray, NDArray]:
        return (_zeros(weight), _zeros(weight))  # mean, infinity norm

    def update(self, index: Any, weight: NDArray, grad: NDArray, state: State) -> None:
        w = _data(weight)
        self._update_count(index)
        t = self._index_update_count[index]
        lr = self._get_lr(index) / (1. - self.beta1 ** t)
        # MXNet runs this rule as NDArray operations with scalar arguments
        sc = functools.partial(_as_scalar, dtype=w.dtype)
        g = _data(grad) * sc(self.rescale_grad) + sc(self._get_wd(index)) * w
        if self.clip_gradient is not None:
            g = _clip(g, _as_kernel(self.clip_gradient, w.dtype))  # nd.clip takes C floats
        m = state[0]._data * sc(self.beta1) + sc(1. - self.beta1) * g
        u = np.maximum(sc(self.beta2) * state[1]._data, np.abs(g))
        _write(state[0], m)
        _write(state[1], u)
        _write(weight, w - sc(lr) * m / u)


@_builtin
class Nadam(Optimizer):
    """Nesterov Adam (``nadam``; default learning rate 0.001).

    ``g' = clip(r·g + wd·w)``; with the warming momentum ``μ_t = β1·(1 − 0.96^(t·sd)/2)``
    (sd = ``schedule_decay``) and ``S = Π μ``: ``m = β1·m + (1−β1)·g'``,
    ``v = β2·v + (1−β2)·g'²``, ``m̄ = (1−μ_t)·g'/(1−S) + μ_{t+1}·m/(1−S·μ_{t+1})``,
    ``w = w − lr·m̄/(sqrt(v/(1−β2^t)) + ε)``. As in MXNet, the product S is one per
    optimizer, not per parameter: every update of any index multiplies it by its μ_t.
    """

    def __init__(self, learning_rate: float = 0.001, beta1: float = 0.9, beta2: float = 0.999,
                 epsilon: float = 1e-8, schedule_decay: float = 0.004, **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.schedule_decay = schedule_decay
        self.m_schedule = 1.

    def create_state(self, index: Any, weight: NDArray) -> tuple[NDArray, NDArray]:
        return (_zeros(weight), _zeros(weight))  # mean, variance

    def update(self, index: Any, weight: NDArray, grad: NDArray, state: State) -> None:
        w = _data(weight)
        self._update_count(index)
        lr, wd = self._get_lr(index), self._get_wd(index)
        t = self._index_update_count[index]
        # MXNet runs this rule as NDArray operations with scalar arguments
        sc = functools.partial(_as_scalar, dtype=w.dtype)
        g = _data(grad) * sc(self.rescale_grad) + sc(wd) * w
        if self.clip_gradient is not None:
            g = _clip(g, _as_kernel(self.clip_gradient, w.dtype))  # nd.clip takes C floats
        mom_t = self.beta1 * (1. - 0.5 * 0.96 ** (t * self.schedule_decay))
        mom_next = self.beta1 * (1. - 0.5 * 0.96 ** ((t + 1) * self.schedule_decay))
        self.m_schedule = self.m_schedule * mom_t
        schedule_next = self.m_schedule * mom_next
        m = state[0]._data * sc(self.beta1) + sc(1. - self.beta1) * g
        v = state[1]._data * sc(self.beta2) + sc(1. - self.beta2) * g * g
        _write(state[0], m)
        _write(state[1], v)
        m_bar = (sc(1. - mom_t) * (g / sc(1. - self.m_schedule))
                 + sc(mom_next) * (m / sc(1. - schedule_next)))
        v_hat = v / sc(1. - self.beta2 ** t)
        _write(weight, w - sc(lr) * m_bar / (np.sqrt(v_hat) + sc(self.epsilon)))


@_builtin
class Signum(Optimizer):
    """Signum (``signum``): steps of fixed size along the sign of a momentum.

    ``mom = μ·mom − (1−μ)·wd·w − (1−μ)·clip(r·g);  w = (1 − lr·wd_lh)·w + lr·sign(mom)``
    (``wd_lh`` is decoupled weight decay). With momentum 0 there is no state and it is
    signSGD: ``w = (1 − lr·wd)·w − lr·sign(g)`` — ``rescale_grad`` and ``clip_gradient``
    are then unused and a nonzero ``wd_lh`` is an error, as in MXNet.
    """

    def __init__(self, learning_rate: float = 0.01, momentum: float = 0.9, wd_lh: float = 0.0,
                 **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.momentum = momentum
        self.wd_lh = wd_lh

    def create_state(self, index: Any, weight: NDArray) -> NDArray | None:
        return _zeros(weight) if self.momentum != 0.0 else None

    def update(self, index: Any, weight: NDArray, grad: NDArray, state: State) -> None:
        lr, wd, r, clip = self._kernel_args(index, weight)
        w, g = _data(weight), _data(grad)
        if state is None:
            if self.wd_lh:
                raise MinigluonError("Signum without momentum (signsgd_update) takes no "
                                     "wd_lh: set momentum > 0 or wd_lh=0")
            _write(weight, (1 - lr * wd) * w - lr * np.sign(g))
            return
        # a negative momentum is not passed to the kernel, which then uses 0
        mu = _as_kernel(self.momentum if self.momentum > 0 else 0.0, w.dtype)
        step = (1 - mu) * _clip(r * g, clip) if clip is not None else ((1 - mu) * r) * g
        mom = mu * state._data - ((1 - mu) * wd) * w - step
        _write(state, mom)
        wd_lh = _as_kernel(self.wd_lh, w.dtype)
        _write(weight, (1 - lr * wd_lh) * w + lr * np.sign(mom))


@_builtin
class Ftrl(Optimizer):
    """FTRL-Proximal (``ftrl``; default learning rate 0.1), L1-regularised by ``lamda1``.

    ``g' = clip(r·g);  z = z + g' − (sqrt(n + g'²) − sqrt(n))·w/lr;  n = n + g'²;
    w = (sign(z)·λ1 − z)/((β + sqrt(n))/lr + wd)`` where ``|z| > λ1``, else 0.
    """

    def __init__(self, lamda1: float = 0.01, learning_rate: float = 0.1, beta: float = 1,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.lamda1 = lamda1
        self.beta = beta
        self.lr = learning_rate  # set after the base class, as MXNet does

    def create_state(self, index: Any, weight: NDArray) -> tuple[NDArray, NDArray]:
        return (_zeros(weight), _zeros(weight))  # z, n (MXNet makes them float32)

    def update(self, index: Any, weight: NDArray, grad: NDArray, state: State) -> None:
        lr, wd, r, clip = self._kernel_args(index, weight)
        w, g = _data(weight), _data(grad)
        l1, beta = _as_kernel(self.lamda1, w.dtype), _as_kernel(self.beta, w.dtype)
        gr = r * g
        if clip is not None:
            gr = _clip(gr, clip)
        n_old = state[1]._data
        z = state[0]._data + (gr - (np.sqrt(n_old + gr * gr) - np.sqrt(n_old)) * w / lr)
        n = n_old + gr * gr
        _write(state[0], z)
        _write(state[1], n)
        new_w = (np.sign(z) * l1 - z) / ((beta + np.sqrt(n)) / lr + wd) * (np.abs(z) > l1)
        _write(weight, new_w)


@_builtin
class FTML(Optimizer):
    """Follow the Moving Leader (``ftml``).

    ``g' = clip(r·g + wd·w);  v = β2·v + (1−β2)·g'²;
    d_t = (1−β1^t)/lr·(sqrt(v/(1−β2^t)) + ε);  z = β1·z + (1−β1)·g' − (d_t − β1·d)·w;
    d = d_t;  w = −z/d_t``.
    """

    def __init__(self, beta1: float = 0.6, beta2: float = 0.999, epsilon: float = 1e-8,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon

    def create_state(self, index: Any, weight: NDArray) -> tuple[NDArray, NDArray, NDArray]:
        return (_zeros(weight), _zeros(weight), _zeros(weight))  # d, v, z

    def update(self, index: Any, weight: NDArray, grad: NDArray, state: State) -> None:
        lr, wd, r, clip = self._kernel_args(index, weight)
        t = self._index_update_count[index]
        w, g = _data(weight), _data(grad)
        dt = w.dtype
        b1, b2, eps = (_as_kernel(x, dt) for x in (self.beta1, self.beta2, self.epsilon))
        gr = r * g + wd * w
        if clip is not None:
            gr = _clip(gr, clip)
        d, v, z = (s._data for s in state)
        v = b2 * v + (1 - b2) * (gr * gr)
        d_t = (1 - b1 ** dt.type(t)) / lr * (np.sqrt(v / (1 - b2 ** dt.type(t))) + eps)
        z = b1 * z + (1 - b1) * gr - (d_t - b1 * d) * w
        for s, val in zip(state, (d_t, v, z)):
            _write(s, val)
        _write(weight, -z / d_t)


@_builtin
class DCASGD(Optimizer):
    """Delay-compensated asynchronous SGD (``dcasgd``).

    ``g' = clip(r·g);  mom = momentum·mom − lr·(g' + wd·w + λ·g'²·(w − w_prev));
    w_prev = w;  w = w + mom`` (λ is ``lamda``). The state is ``(mom, w_prev)``, mom None
    when momentum is 0. (MXNet 1.9.1's own momentum branch fails on its first step; this is
    the rule it intends.)
    """

    def __init__(self, momentum: float = 0.0, lamda: float = 0.04, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.momentum = momentum
        self.weight_previous: dict[Any, Any] = {}
        self.lamda = lamda

    def create_state(self, index: Any, weight: NDArray) -> tuple[NDArray | None, NDArray]:
        mom = _zeros(weight) if self.momentum != 0.0 else None
        return (mom, weight.copy())  # momentum, previous weight

    def update(self, index: Any, weight: NDArray, grad: NDArray, state: State) -> None:
        w = _data(weight)
        self._update_count(index)
        lr, wd = self._get_lr(index), self._get_wd(index)
        # MXNet runs this rule as NDArray operations with scalar arguments
        sc = functools.partial(_as_scalar, dtype=w.dtype)
        g = _data(grad) * sc(self.rescale_grad)
        if self.clip_gradient is not None:
            g = _clip(g, _as_kernel(self.clip_gradient, w.dtype))  # nd.clip takes C floats
        mom, prev = state
        step = sc(-lr) * (g + sc(wd) * w + sc(self.lamda) * g * g * (w - prev._data))
        if mom is not None:
            step = mom._data * sc(self.momentum) + step
            _write(mom, step)
        _write(prev, w)
        _write(weight, w + step)


# ---- the updater the Trainer uses ------------------------------------------------------------
class Updater:
    """Applies an optimizer to indexed weights, creating each index's state on first use.

    ``updater(index, grad, weight)`` (note the argument order, as in MXNet) accepts one
    index or lists of indices, grads and weights.
    """

    def __init__(self, optimizer: Optimizer) -> None:
        self.optimizer = optimizer
        self.states: dict[Any, State] = {}

    def __call__(self, index: Any, grad: Any, weight: Any) -> None:
        if not isinstance(index, (list, tuple)):
            index, grad, weight = [index], [grad], [weight]
        for i, g, w in zip(index, grad, weight):
            if i not in self.states:
                self.states[i] = self.optimizer.create_state_multi_precision(i, w)
            self.optimizer.update_multi_precision(i, w, g, self.states[i])

    def get_states(self, dump_optimizer: bool = False) -> bytes:
        """The states (and optionally the optimizer) as pickled bytes."""
        return pickle.dumps((self.states, self.optimizer) if dump_optimizer else self.states)

    def set_states(self, states: bytes) -> None:
        """Restore what :meth:`get_states` returned. Only load bytes you trust: this is
        pickle."""
        loaded = pickle.loads(states)
        if isinstance(loaded, tuple) and len(loaded) == 2:
            self.states, self.optimizer = loaded
        else:
            self.states = loaded


def get_updater(optimizer: Optimizer) -> Callable[[Any, Any, Any], None]:
    """An :class:`Updater` for ``optimizer``."""
    return Updater(optimizer)
