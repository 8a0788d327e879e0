"""Rules that adapt the step per coordinate from running gradient statistics: AdaGrad,
RMSProp, AdaDelta, Adam, Adamax, Nadam, FTML and Ftrl.

Each rule follows MXNet 1.9.1's numbers; the notation (``g``, ``r``, ``lr``, ``wd``,
``clip``) is explained on :mod:`minigluon.optimizer`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..base import MinigluonError
from ..ndarray import NDArray, zeros
from ._mxnet_numerics import _as_kernel
from .optimizer import Optimizer, State, _builtin, _clip, _data, _write, _zeros

__all__ = ['AdaGrad', 'GroupAdaGrad', 'RMSProp', 'AdaDelta', 'Adam', 'Adamax', 'Nadam', 'FTML',
           'Ftrl', 'LAMB']


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
        sc, g = self._scalar_rule_grad(w, grad)
        hist = state._data + g * g
        _write(state, hist)
        div = g / np.sqrt(hist + sc(self.float_stable_eps))
        _write(weight, w + (div + w * sc(self._get_wd(index))) * sc(-self._get_lr(index)))


@_builtin
class GroupAdaGrad(Optimizer):
    """AdaGrad with one learning rate per row (``groupadagrad``; ``mx.optimizer.contrib``
    in MXNet). For 2-d weights only, and without weight decay.

    ``g' = clip(r·g);  h = h + mean(g'², axis=1);  w = w − lr·g'/sqrt(h + eps)`` with the
    history ``h`` of shape ``(rows, 1)``.

    Parameters
    ----------
    eps : float, default 1e-5
        Added to the history under the square root.
    """

    def __init__(self, eps: float = 1e-5, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.float_stable_eps = eps

    def create_state(self, index: Any, weight: NDArray) -> NDArray:
        if weight.ndim != 2:
            raise MinigluonError(f"GroupAdaGrad takes 2-d weights, got shape {weight.shape}")
        # MXNet makes it float32 whatever the weight (and a float64 update then fails)
        return zeros((weight.shape[0], 1), weight.context, dtype=weight.dtype)

    def update(self, index: Any, weight: NDArray, grad: NDArray, state: State) -> None:
        w = _data(weight)
        self._update_count(index)
        lr = self._get_lr(index)
        if self._get_wd(index) != 0:
            raise MinigluonError("Weight decay is not supported for GroupAdaGrad")
        # MXNet runs the dense rule as NDArray operations with scalar arguments
        sc, g = self._scalar_rule_grad(w, grad)
        hist = state._data + np.mean(g * g, axis=1, keepdims=True)
        _write(state, hist)
        _write(weight, w - sc(lr) * g / np.sqrt(hist + sc(self.float_stable_eps)))


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
        sc, g = self._scalar_rule_grad(w, grad)
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
        sc, g = self._scalar_rule_grad(w, grad, self._get_wd(index))
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
        sc, g = self._scalar_rule_grad(w, grad, wd)
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
class LAMB(Optimizer):
    """LAMB (``lamb``; default learning rate 0.001): Adam's direction, rescaled per weight
    array by a trust ratio (You et al., 2019).

    ``g' = clip(r·g)``; ``m = β1·m + (1−β1)·g'``; ``v = β2·v + (1−β2)·g'²``; with
    ``bias_correction`` m and v are divided by ``1−β1^t`` and ``1−β2^t``; then
    ``d = m/(sqrt(v) + ε) + wd·w`` (wd *after* the adaptive scaling) and
    ``w = w − lr·(‖w‖/‖d‖)·d``, the ratio taken as 1 when either norm is 0. ``lower_bound``
    and ``upper_bound`` clamp ‖w‖ (MXNet ignores a bound of 0 or None).
    """

    def __init__(self, learning_rate: float = 0.001, beta1: float = 0.9, beta2: float = 0.999,
                 epsilon: float = 1e-6, lower_bound: float | None = None,
                 upper_bound: float | None = None, bias_correction: bool = True,
                 **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.lower_bound = lower_bound
        self.upper_bound = upper_bound
        self.bias_correction = bias_correction

    def create_state(self, index: Any, weight: NDArray) -> tuple[NDArray, NDArray]:
        return (_zeros(weight), _zeros(weight))  # mean, variance

    def update(self, index: Any, weight: NDArray, grad: NDArray, state: State) -> None:
        lr, wd, r, clip = self._kernel_args(index, weight)
        w, g = _data(weight), _data(grad)
        dt = w.dtype
        t = _as_kernel(self._index_update_count[index], dt)
        b1, b2, eps = (_as_kernel(x, dt) for x in (self.beta1, self.beta2, self.epsilon))
        gr = _clip(g * r, clip) if clip is not None else g * r
        mean = b1 * state[0]._data + (1 - b1) * gr
        var = b2 * state[1]._data + (1 - b2) * gr * gr
        _write(state[0], mean)
        _write(state[1], var)
        if self.bias_correction:
            mean, var = mean / (1 - b1 ** t), var / (1 - b2 ** t)
        d = mean / (np.sqrt(var) + eps) + wd * w
        r1, r2 = np.sqrt((w * w).sum(dtype=dt)), np.sqrt((d * d).sum(dtype=dt))
        if self.lower_bound:
            r1 = max(r1, _as_kernel(self.lower_bound, dt))
        if self.upper_bound:
            r1 = min(r1, _as_kernel(self.upper_bound, dt))
        step = lr if r1 == 0 or r2 == 0 else lr * (r1 / r2)
        _write(weight, w - step * d)
