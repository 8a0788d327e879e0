"""Rules for training with large batches: LARS (layer-wise adaptive rate scaling) and
LBSGD (SGD with a warm-up of the learning rate and gradient accumulation).

Each rule follows MXNet 1.9.1's numbers; the notation (``g``, ``r``, ``lr``, ``wd``,
``clip``) is explained on :mod:`minigluon.optimizer`.
"""

from __future__ import annotations

import logging
import math
import os
from typing import Any

import numpy as np

from .. import autograd
from ..ndarray import NDArray, zeros
from ..ndarray.updates import mp_sgd_mom_update, mp_sgd_update, sgd_mom_update, sgd_update
from ._mxnet_numerics import _as_kernel
from .optimizer import Optimizer, State, _builtin, _data
from .sgd import SGD, _multi_sgd_step

__all__ = ['LARS', 'LBSGD']

# parameters whose names end so keep the plain learning rate (biases, BatchNorm's gamma/beta)
_NO_LARS = ("gamma", "beta", "bias")


def _sum_sq(x: np.ndarray) -> np.float32:
    """MXNet's ``multi_sum_sq`` on CPU: the squares added one after the other into a C
    float, whatever the dtype (a float64 square is added in double, then rounded)."""
    flat = x.ravel()
    if flat.dtype != np.float64:
        # cumsum adds sequentially, as the C loop does (np.sum would add pairwise)
        sq = (flat * flat).astype(np.float32)
        return np.cumsum(sq, dtype=np.float32)[-1] if sq.size else np.float32(0)
    acc = np.float32(0)
    for v in (flat * flat).tolist():
        acc = np.float32(float(acc) + v)
    return acc


@_builtin
class LARS(Optimizer):
    """LARS (``lars``): SGD with momentum whose learning rate is scaled per layer.

    ``lr' = lr·eta·‖w‖/(r·‖g‖ + wd·‖w‖ + eps)`` when both norms are positive, else
    ``lr' = lr``; then the :class:`SGD` rule with ``lr'``. Parameters whose names (from
    ``param_idx2name``) end in ``gamma``, ``beta`` or ``bias`` keep ``lr``, and every name
    not ending in ``_weight`` gets no weight decay. The norms and ``lr'`` are computed in
    float32, as MXNet's ``multi_sum_sq`` and ``multi_lars`` do.

    Parameters
    ----------
    momentum : float, default 0.0
    lazy_update : bool, default True
        Only matters for sparse gradients, which minigluon does not have.
    eta : float, default 0.001
        The LARS coefficient.
    eps : float, default 0
        Added to the denominator of ``lr'``.
    momentum_correction : bool, default True
        Scale the momentum by ``lr_now/lr_before`` when the learning rate changes
        (Goyal et al., 2017); MXNet compares the rates of consecutive ``update`` calls.
    """

    def __init__(self, momentum: float = 0.0, lazy_update: bool = True, eta: float = 0.001,
                 eps: float = 0, momentum_correction: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.momentum = momentum
        self.momentum_correction = momentum_correction
        self.lazy_update = lazy_update
        self.aggregate_num = int(os.getenv("MXNET_OPTIMIZER_AGGREGATION_SIZE", "4"))
        self.eta = eta
        self.eps = eps
        self.skip = 0
        self.last_lr: float | None = None
        self.cur_lr: float | None = None

    def _get_lrs(self, indices: list[Any]) -> list[float]:
        """As :meth:`Optimizer._get_lrs`, remembering the rate of the previous call (for
        ``momentum_correction``)."""
        lr = self.learning_rate
        self.last_lr = lr if self.cur_lr is None else self.cur_lr
        self.cur_lr = lr
        return [lr * self._mult(index, self.lr_mult, "lr_mult") for index in indices]

    def set_wd_mult(self, args_wd_mult: dict[Any, float]) -> None:
        """As :meth:`Optimizer.set_wd_mult`, but only names ending in ``_weight`` keep
        their weight decay (``_gamma`` too loses it)."""
        self.wd_mult = {n: 0.0 for n in self.idx2name.values() if not n.endswith("_weight")}
        self.wd_mult.update(args_wd_mult)

    create_state_multi_precision = SGD.create_state_multi_precision
    update_multi_precision = SGD.update_multi_precision

    def create_state(self, index: Any, weight: NDArray) -> NDArray | None:
        if self.momentum == 0.0:
            return None
        return zeros(weight.shape, weight.context, dtype=weight.dtype)

    def update(self, index: Any, weight: NDArray, grad: NDArray, state: State) -> None:
        w, g = _data(weight), _data(grad)
        dt = w.dtype
        self._update_count(index)
        # MXNet's dense path: the rates go through float32 arrays into multi_lars, then
        # into preloaded_multi_sgd_update
        lr = np.float32(self._get_lrs([index])[0])
        wd = np.float32(self._get_wds([index])[0])
        r = _as_kernel(self.rescale_grad, np.float32)
        name = self.idx2name.get(index, str(index))
        if not name.endswith(_NO_LARS):
            w_norm = np.sqrt(_sum_sq(w))
            g_sq = _sum_sq(g)
            if w_norm > 0 and g_sq > 0:
                eta, eps = _as_kernel(self.eta, np.float32), _as_kernel(self.eps, np.float32)
                lr = lr * eta * w_norm / (np.sqrt(g_sq) * r + wd * w_norm + eps)
        mu = None
        if self.momentum > 0:
            mom = self.momentum
            if self.momentum_correction and self.last_lr != 0:
                mom = self.momentum * (self.cur_lr / self.last_lr)
            mu = _as_kernel(mom, dt)
        clip = self.clip_gradient
        clip = _as_kernel(clip, dt) if clip and clip >= 0 else None
        # preloaded_multi_sgd_update multiplies the float32 rates in float32 (even for
        # float64 weights)
        _multi_sgd_step(weight, grad, state if mu is not None else None, lr.astype(dt),
                        (lr * wd).astype(dt), mu, _as_kernel(self.rescale_grad, dt), clip)


@_builtin
class LBSGD(Optimizer):
    """Large-batch SGD (``lbsgd``): SGD with momentum whose learning rate warms up, and
    which can emulate a batch ``batch_scale`` times larger by summing the gradients of
    ``batch_scale`` calls.

    Every call adds the gradient to a sum; on every ``batch_scale``-th call (counting from
    ``begin_epoch·updates_per_epoch``) the update is ``sgd_(mom_)update`` with the gradient
    ``sum/batch_scale`` and the rate ``lr·mult``, and the sum restarts; the other calls
    leave the weight alone. With ``n`` the count of gradients summed since the start and
    ``N = warmup_epochs·updates_per_epoch``, ``mult`` is ``batch_scale`` once ``n ≥ N``,
    1 when ``N ≤ 1``, else ``1 + (batch_scale − 1)·s`` with ``s = n/N`` (``'linear'``),
    ``(n/N)²`` (``'power2'``) or ``sqrt(n/N)`` (``'sqrt'``). ``'lars'`` instead uses
    ``sqrt(Σw²/(Σg² + wd·Σw² + 1e-18))`` limited to ``[0.01, 100]`` (``g`` not rescaled);
    any other name gives 1.

    Parameters
    ----------
    momentum : float, default 0.0
    multi_precision : bool, default False
    warmup_strategy : {'linear', 'power2', 'sqrt', 'lars'}, default 'linear'
    warmup_epochs : int, default 5
    batch_scale : int, default 1
    updates_per_epoch : int, default 32
    begin_epoch : int, default 0
    num_epochs : int, default 60
        Stored only, as in MXNet.
    """

    def __init__(self, momentum: float = 0.0, multi_precision: bool = False,
                 warmup_strategy: str = 'linear', warmup_epochs: int = 5, batch_scale: int = 1,
                 updates_per_epoch: int = 32, begin_epoch: int = 0, num_epochs: int = 60,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        logging.info('Running Large-Batch SGD Algorithm')
        logging.info('(Batch_scale=%f, warmup_epochs=%d, warmup_strategy=%s, '
                     'updates_per_epoch=%d)', batch_scale, warmup_epochs, warmup_strategy,
                     updates_per_epoch)
        self.momentum = momentum
        self.multi_precision = multi_precision
        self.warmup_strategy = warmup_strategy
        self.warmup_epochs = warmup_epochs
        self.batch_scale = batch_scale
        self.updates_per_epoch = updates_per_epoch
        self.init_updates = begin_epoch * updates_per_epoch
        self.num_epochs = num_epochs
        self.lbmult = 1
        self.cumgrads: dict[Any, dict[str, Any]] = {}
        self.adaptive = False
        self.admult = 1

    def create_state(self, index: Any, weight: NDArray) -> State:
        """The momentum (None when momentum is 0); called directly on a float16 weight with
        ``multi_precision``, ``(momentum, float32 master copy)``."""
        def mom(dtype: Any) -> NDArray | None:
            if self.momentum == 0.0:
                return None
            return zeros(weight.shape, weight.context, dtype=dtype)

        if self.multi_precision and weight.dtype == np.float16:
            return (mom(np.float32), weight.astype(np.float32))
        if weight.dtype == np.float16:
            self._warn_float16("SGD optimizer")
        return mom(weight.dtype)

    def _get_lbmult(self, nup: int) -> float:
        """The warm-up factor of the learning rate after ``nup`` gradients."""
        nwup = self.warmup_epochs * self.updates_per_epoch
        maxmult = float(self.batch_scale)
        if nup >= nwup:
            return maxmult
        if nwup <= 1:
            return 1.0
        if self.warmup_strategy == 'linear':
            return 1.0 + (maxmult - 1) * nup / nwup
        if self.warmup_strategy == 'power2':
            return 1.0 + (maxmult - 1) * (nup * nup) / (nwup * nwup)
        if self.warmup_strategy == 'sqrt':
            return 1.0 + (maxmult - 1) * math.sqrt(float(nup) / nwup)
        return 1.0

    def _get_lars(self, weight: NDArray, g: NDArray, wd: float) -> float:
        """The 'lars' warm-up factor (sums of squares in the arrays' dtype, as MXNet's
        ``multiply(v, v).asnumpy().sum()``; the rest in double)."""
        w, gr = _data(weight), _data(g)
        weight2 = float(np.sum(w * w))
        grad2 = float(np.sum(gr * gr))
        lars = math.sqrt(weight2 / (grad2 + wd * weight2 + 1e-18))
        return min(max(lars, 0.01), 100.0)

    def _cumulate_gradient(self, grad: NDArray, index: Any) -> dict[str, Any]:
        cgrad = self.cumgrads.get(index)
        if cgrad and cgrad['num_cums'] > 0:
            cum_grad, num_cums = cgrad['cum_grad'] + grad, cgrad['num_cums'] + 1
        else:
            # MXNet keeps the caller's gradient array itself here, not a copy
            cum_grad, num_cums = grad, self.init_updates + 1
        cgrad = {'cum_grad': cum_grad, 'num_cums': num_cums}
        self.cumgrads[index] = cgrad
        return cgrad

    def update(self, index: Any, weight: NDArray, grad: NDArray, state: State) -> None:
        _data(weight), _data(grad)  # type checks
        # MXNet reads lr and wd before counting this update
        lr = self._get_lr(index)
        wd = self._get_wd(index)
        self._update_count(index)
        with autograd.pause():
            cgrad = self._cumulate_gradient(grad, index)
            if cgrad['num_cums'] % self.batch_scale != 0:
                sgd_update(weight, grad, out=weight, lr=0.0, wd=wd)
                return
            grad = cgrad['cum_grad'] / self.batch_scale
            if self.warmup_strategy == 'lars':
                lr = lr * self._get_lars(weight, grad, wd)
            else:
                lr = lr * self._get_lbmult(cgrad['num_cums'])
            kwargs: dict[str, Any] = {'rescale_grad': self.rescale_grad}
            if self.momentum > 0:
                kwargs['momentum'] = self.momentum
            if self.clip_gradient:
                kwargs['clip_gradient'] = self.clip_gradient
            if not isinstance(state, (list, tuple)):
                if state is not None:
                    sgd_mom_update(weight, grad, state, out=weight, lr=lr, wd=wd, **kwargs)
                else:
                    sgd_update(weight, grad, out=weight, lr=lr, wd=wd, **kwargs)
            elif state[0] is not None:
                mp_sgd_mom_update(weight, grad, state[0], state[1], out=weight, lr=lr, wd=wd,
                                  **kwargs)
            else:
                mp_sgd_update(weight, grad, state[1], out=weight, lr=lr, wd=wd, **kwargs)
            cgrad['cum_grad'] = 0  # the sum restarts; the count goes on
