"""Batch normalization: normalize each channel by the batch's statistics (or the moving
ones), then scale and shift.

MXNet 1.x updates the moving statistics in the *backward* pass, not the forward: a forward
without backward leaves them alone, and each backward updates them once. The operator
stays pure NumPy: its VJP hands the batch's mean and variance to ``on_batch_stats``, a
callback that ``nd.BatchNorm`` (:mod:`minigluon.ndarray.nn`) builds to write the moving
statistics. The numerics (statistics in one pass, a fused backward) are in
:mod:`minigluon.ops._windows`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs
import numpy as np

from ..base import MinigluonError
from . import _windows as kern
from ._op import Op, frozen_op, register_op

Shape = tuple[int, ...]


@register_op
@frozen_op
class BatchNorm(Op):
    """y = gamma xhat + beta.   VJP: dx = gamma/std (g - mean g - xhat mean(g xhat)); dbeta = sum g

    ``xhat = (x - mean) / std`` per channel, ``std = sqrt(var + eps)``, with the batch's
    statistics (``batch_stats``) or the moving ones; dgamma = sum(g xhat). With the moving
    statistics, dx = gamma g / std.
    """

    name = "BatchNorm"
    inputs = ("data", "gamma", "beta", "moving_mean", "moving_var")
    expose = False  # nd.BatchNorm (minigluon.ndarray.nn) is written by hand: it reads the mode
    eps: float = 1e-3
    momentum: float = 0.9
    fix_gamma: bool = True
    batch_stats: bool = True  # False: normalize with moving_mean / moving_var (inputs 4, 5)
    axis: int = 1
    #: called as ``on_batch_stats(mean, var)`` by the VJP with the batch's statistics, so
    #: that the caller updates its moving statistics at backward time, as MXNet 1.x does
    on_batch_stats: Callable[[np.ndarray, np.ndarray], None] | None = attrs.field(
        default=None, eq=False, repr=False)

    def params(self) -> dict[str, Any]:
        return {k: v for k, v in super().params().items() if k != "on_batch_stats"}

    def forward(self, x, gamma, beta, moving_mean=None, moving_var=None):
        axis = self.axis % x.ndim
        for nm, v in (("gamma", gamma), ("beta", beta), ("moving_mean", moving_mean),
                      ("moving_var", moving_var)):
            if v is not None and v.shape != (x.shape[axis],):
                raise MinigluonError(f"BatchNorm: {nm} has shape {v.shape}, expected "
                                     f"({x.shape[axis]},) for {x.shape[axis]} channels on "
                                     f"axis {self.axis} of input {x.shape}")
        gam = np.ones_like(gamma) if self.fix_gamma else gamma
        x3 = kern.as_ncp(x, axis)
        if self.batch_stats:
            # biased variance (divides by m), also for the moving average, as MXNet
            mean, var = kern.channel_stats(x3)
        else:
            if moving_mean is None or moving_var is None:
                raise MinigluonError("BatchNorm without batch statistics needs moving_mean "
                                     "and moving_var")
            mean, var = moving_mean.astype(x.dtype), moving_var.astype(x.dtype)
        invstd = 1 / np.sqrt(var + self.eps)
        # y = gamma (x - mean) invstd + beta = x a + (beta - mean a): two passes over x,
        # and x itself (not xhat) kept for backward, which needs no new array
        a = gam * invstd
        y = kern.affine(x3, a, beta - mean * a, x.dtype).reshape(x.shape)
        return y, (x, invstd, gam, mean, var)

    def vjp(self, res, g):
        x, invstd, gam, mean, var = res
        axis = self.axis % g.ndim
        x3, g3 = kern.as_ncp(x, axis), kern.as_ncp(g, axis)
        dbeta = np.einsum("ncp->c", g3)
        # dgamma = sum g xhat = invstd (sum g x - mean sum g): no xhat array
        dgamma = invstd * (kern.channel_dot(g3, x3) - mean * dbeta)
        scale = gam * invstd
        if self.batch_stats:
            m = g3.shape[0] * g3.shape[2]
            # dx = scale (g - dbeta/m - xhat dgamma/m), expanded per channel into
            # g A + x B + C, so that the whole backward is four passes over x-sized arrays
            bx = -scale * invstd * dgamma / m
            c0 = scale * (invstd * dgamma * mean - dbeta) / m
            dx = kern.affine(g3, scale, c0, g.dtype, x3, bx).reshape(g.shape)
            if self.on_batch_stats is not None:
                self.on_batch_stats(mean, var)
        else:
            dx = kern.affine(g3, scale, np.zeros_like(scale), g.dtype).reshape(g.shape)
        if self.fix_gamma:
            dgamma = np.zeros_like(dgamma)
        grads = [dx, dgamma, dbeta]
        return grads if self.batch_stats else grads + [None, None]

    @classmethod
    def samples(cls, rng):
        n = rng.normal
        c3 = [n(size=3), n(size=3)]
        stats = [n(size=3), rng.uniform(0.5, 2, size=3)]
        return [
            (cls(fix_gamma=False), [n(size=(4, 3, 2, 2))] + c3),
            (cls(fix_gamma=True, eps=1e-5), [n(size=(4, 3))] + c3),
            (cls(fix_gamma=False, axis=-1), [n(size=(2, 2, 3))] + c3),
            (cls(fix_gamma=False, batch_stats=False), [n(size=(2, 3, 2))] + c3 + stats),
        ]
