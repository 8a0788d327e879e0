"""Plain and momentum gradient descent: SGD, NAG, Signum and DCASGD.

Each rule follows MXNet 1.9.1's numbers; the notation (``g``, ``r``, ``lr``, ``wd``,
``clip``) is explained on :mod:`minigluon.optimizer`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..base import MinigluonError
from ..ndarray import NDArray, random as _random
from ._mxnet_numerics import _as_kernel
from .optimizer import Optimizer, State, _builtin, _clip, _data, _update_in_place, _write, _zeros

__all__ = ['SGD', 'ccSGD', 'NAG', 'Signum', 'DCASGD', 'SGLD']


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

    def create_state_multi_precision(self, index: Any, weight: NDArray) -> State:
        """As :meth:`Optimizer.create_state_multi_precision`, but in MXNet's order for
        this optimizer: ``(momentum or None, float32 master copy)``."""
        if self.multi_precision and weight.dtype == np.float16:
            master = weight.astype(np.float32)
            return (self.create_state(index, master), master)
        if weight.dtype == np.float16:
            self._warn_float16(f"{type(self).__name__} optimizer")
        return self.create_state(index, weight)

    def update_multi_precision(self, index: Any, weight: NDArray, grad: NDArray,
                               state: State) -> None:
        if self.multi_precision and weight.dtype == np.float16 \
                and isinstance(state, (tuple, list)):
            self._update_master(index, weight, grad, state[1], state[0])
        else:
            self.update(index, weight, grad, state)

    def update(self, index: Any, weight: NDArray, grad: NDArray, state: State) -> None:
        w = _data(weight)
        r, clip = self._rescale_clip(index, w.dtype)
        # MXNet runs dense SGD through multi_sgd_update, whose per-weight lr and wd arrive
        # as a tuple, parsed by C++ streams: correctly rounded to float32
        lr = np.float32(self._get_lr(index)).astype(w.dtype)
        wd = np.float32(self._get_wd(index)).astype(w.dtype)
        # MXNet ignores a negative momentum (but keeps its state)
        mu = _as_kernel(self.momentum, w.dtype) if self.momentum > 0 else None
        _multi_sgd_step(weight, grad, state, lr, lr * wd, mu, r, clip)


def _multi_sgd_step(weight: NDArray, grad: NDArray, mom: NDArray | None, lr: Any,
                    lr_wd: Any, mu: Any, r: Any, clip: Any) -> None:
    """One weight's share of MXNet's ``multi_sgd_update``/``multi_sgd_mom_update`` kernels
    (``mu`` None: no momentum), every scalar already in the weight's dtype; ``lr_wd`` is
    the product ``lr·wd`` (whose rounding depends on how the rates reached the kernel)."""
    w, g = _data(weight), _data(grad)
    step = lr * _clip(r * g, clip) if clip is not None else (lr * r) * g
    if mu is not None:
        m = mu * mom._data - lr_wd * w - step
        _write(mom, m)
        _write(weight, w + m)
        return
    # w + (-lr·wd·w - step) computed in place as w - (lr·wd·w + step): the same bits
    # (IEEE rounding is symmetric), one temporary instead of four
    if lr_wd:
        step += lr_wd * w
    _update_in_place(weight, np.subtract, step)


@_builtin
class ccSGD(SGD):  # noqa: N801 -- MXNet's spelling, registered as "ccsgd"
    """Deprecated in MXNet and kept for old code: exactly :class:`SGD` (``ccsgd``)."""


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

    create_state_multi_precision = SGD.create_state_multi_precision
    update_multi_precision = SGD.update_multi_precision

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
        sc, g = self._scalar_rule_grad(w, grad)
        mom, prev = state
        step = sc(-lr) * (g + sc(wd) * w + sc(self.lamda) * g * g * (w - prev._data))
        if mom is not None:
            step = mom._data * sc(self.momentum) + step
            _write(mom, step)
        _write(prev, w)
        _write(weight, w + step)


@_builtin
class SGLD(Optimizer):
    """Stochastic gradient Langevin dynamics (``sgld``): a gradient step of half the
    learning rate plus Gaussian noise, so that the weights sample from the posterior.

    ``g' = clip(r·g);  w = w − lr/2·(g' + wd·w) + N(0, lr)`` (noise of standard deviation
    ``sqrt(lr)``, drawn from ``mx.random``: ``mx.random.seed`` makes it repeatable). No
    state.
    """

    def create_state(self, index: Any, weight: NDArray) -> None:
        return None

    def update(self, index: Any, weight: NDArray, grad: NDArray, state: State) -> None:
        w = _data(weight)
        self._update_count(index)
        lr, wd = self._get_lr(index), self._get_wd(index)
        # MXNet runs this rule as NDArray operations with scalar arguments
        sc, g = self._scalar_rule_grad(w, grad)
        w = w + sc(-lr / 2) * (g + sc(wd) * w)
        noise = _random.normal(0, math.sqrt(lr), shape=weight.shape, dtype=weight.dtype,
                               ctx=weight.context)
        _write(weight, w + noise._data)
