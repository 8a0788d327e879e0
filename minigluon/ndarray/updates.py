"""MXNet's optimizer update operators: ``nd.sgd_update``, ``nd.adam_update`` ...

Each takes the weight, the gradient and the optimizer's state arrays, and the
hyper-parameters as keywords, with MXNet 1.9.1's formulas (``r`` is ``rescale_grad``,
``clip`` limits to ``[-clip_gradient, clip_gradient]`` and is skipped when
``clip_gradient < 0``, the default). The state arrays (``mom``, ``mean``, ``var``, ``n``,
``z``, ``weight32``...) are updated in place; the new weight is returned, or written into
``out=`` (usually ``out=weight``). Hyper-parameters are read as C floats, as MXNet's
kernels read them. The ``mp_`` forms take a float16 weight and gradient with a float32
master copy ``weight32``: the update runs in float32 on ``weight32`` and the result is
rounded to float16. These are plain computations, not recorded by autograd (as in MXNet,
where they have no gradient).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._dmlc import as_kernel
from .._tape import bump
from ..base import MinigluonError
from .ndarray import NDArray, _wrap

__all__ = ["sgd_update", "sgd_mom_update", "nag_mom_update", "adam_update",
           "rmsprop_update", "rmspropalex_update", "ftrl_update", "signsgd_update",
           "signum_update", "mp_sgd_update", "mp_sgd_mom_update", "mp_nag_mom_update"]


def _arrays(fn: str, **arrays: Any) -> dict[str, np.ndarray]:
    out = {}
    for name, a in arrays.items():
        if not isinstance(a, NDArray):
            raise MinigluonError(f"{fn}: {name} must be an NDArray, got {type(a).__name__}")
        out[name] = a._data
    shapes = {a.shape for a in out.values()}
    if len(shapes) > 1:
        raise MinigluonError(f"{fn}: the arrays must have one shape, got " + ", ".join(
            f"{k} {v.shape}" for k, v in out.items()))
    return out


def _set(arr: NDArray, value: np.ndarray) -> None:
    arr._data[...] = value
    bump(arr._vc)  # an in-place write: a graph that saved this array is now stale


def _result(value: np.ndarray, dtype: np.dtype, out: NDArray | None) -> NDArray:
    value = value.astype(dtype, copy=False)
    if out is None:
        return _wrap(value, None)
    if not isinstance(out, NDArray) or out.shape != value.shape:
        raise MinigluonError(f"out= must be an NDArray of shape {value.shape}")
    _set(out, value)
    return out


def _grad(g: np.ndarray, w: np.ndarray, r: Any, clip: Any, wd: Any = None) -> np.ndarray:
    """``clip(r·g)`` or, with ``wd``, ``clip(r·g + wd·w)`` (clip < 0: no clipping)."""
    gr = r * g if wd is None else r * g + wd * w
    return np.clip(gr, -clip, clip) if clip >= 0 else gr


def _params(dt: np.dtype, **kw: Any) -> list[Any]:
    return [as_kernel(v, dt) for v in kw.values()]


def sgd_update(weight: NDArray, grad: NDArray, lr: float, wd: float = 0.0,
               rescale_grad: float = 1.0, clip_gradient: float = -1.0,
               lazy_update: bool = True, out: NDArray | None = None, **kw: Any) -> NDArray:
    """w = (1 − lr·wd)·w − lr·clip(r·g)."""
    a = _arrays("sgd_update", weight=weight, grad=grad)
    w, g = a["weight"], a["grad"]
    lr_, wd_, r, clip = _params(w.dtype, lr=lr, wd=wd, r=rescale_grad, clip=clip_gradient)
    return _result((1 - lr_ * wd_) * w - lr_ * _grad(g, w, r, clip), w.dtype, out)


def sgd_mom_update(weight: NDArray, grad: NDArray, mom: NDArray, lr: float,
                   momentum: float = 0.0, wd: float = 0.0, rescale_grad: float = 1.0,
                   clip_gradient: float = -1.0, lazy_update: bool = True,
                   out: NDArray | None = None, **kw: Any) -> NDArray:
    """mom = momentum·mom − lr·wd·w − lr·clip(r·g);  w = w + mom."""
    a = _arrays("sgd_mom_update", weight=weight, grad=grad, mom=mom)
    w, g = a["weight"], a["grad"]
    lr_, mu, wd_, r, clip = _params(w.dtype, lr=lr, mu=momentum, wd=wd, r=rescale_grad,
                                    clip=clip_gradient)
    m = mu * a["mom"] - lr_ * wd_ * w - lr_ * _grad(g, w, r, clip)
    _set(mom, m)
    return _result(w + m, w.dtype, out)


def nag_mom_update(weight: NDArray, grad: NDArray, mom: NDArray, lr: float,
                   momentum: float = 0.0, wd: float = 0.0, rescale_grad: float = 1.0,
                   clip_gradient: float = -1.0, out: NDArray | None = None, **kw: Any
                   ) -> NDArray:
    """m = momentum·mom;  w' = w − m + (1 + momentum)·(m − lr·(clip(r·g) + wd·w));
    mom = m − lr·(clip(r·g) + wd·w'') where w'' is the new weight when ``out=weight`` (MXNet's
    kernel writes the weight before it reads it again for the momentum), else the old."""
    a = _arrays("nag_mom_update", weight=weight, grad=grad, mom=mom)
    w, g = a["weight"], a["grad"]
    lr_, mu, wd_, r, clip = _params(w.dtype, lr=lr, mu=momentum, wd=wd, r=rescale_grad,
                                    clip=clip_gradient)
    rg = _grad(g, w, r, clip)
    m = mu * a["mom"]
    new_w = w - m + (mu + 1) * (m - lr_ * (rg + wd_ * w))
    w_read = new_w.astype(w.dtype) if out is weight else w
    _set(mom, m - lr_ * (rg + wd_ * w_read))
    return _result(new_w, w.dtype, out)


def adam_update(weight: NDArray, grad: NDArray, mean: NDArray, var: NDArray, lr: float,
                beta1: float = 0.9, beta2: float = 0.999, epsilon: float = 1e-8,
                wd: float = 0.0, rescale_grad: float = 1.0, clip_gradient: float = -1.0,
                lazy_update: bool = True, out: NDArray | None = None, **kw: Any) -> NDArray:
    """g' = clip(r·g + wd·w);  m = β1·m + (1−β1)·g';  v = β2·v + (1−β2)·g'²;
    w = w − lr·m/(sqrt(v) + ε) (no bias correction: the optimizer folds it into lr)."""
    a = _arrays("adam_update", weight=weight, grad=grad, mean=mean, var=var)
    w, g = a["weight"], a["grad"]
    lr_, b1, b2, eps, wd_, r, clip = _params(w.dtype, lr=lr, b1=beta1, b2=beta2, eps=epsilon,
                                             wd=wd, r=rescale_grad, clip=clip_gradient)
    gr = _grad(g, w, r, clip, wd_)
    m = b1 * a["mean"] + (1 - b1) * gr
    v = b2 * a["var"] + (1 - b2) * gr * gr
    _set(mean, m)
    _set(var, v)
    return _result(w - lr_ * m / (np.sqrt(v) + eps), w.dtype, out)


def rmsprop_update(weight: NDArray, grad: NDArray, n: NDArray, lr: float, gamma1: float = 0.95,
                   epsilon: float = 1e-8, wd: float = 0.0, rescale_grad: float = 1.0,
                   clip_gradient: float = -1.0, clip_weights: float = -1.0,
                   out: NDArray | None = None, **kw: Any) -> NDArray:
    """g' = clip(r·g + wd·w);  n = (1−γ1)·g'² + γ1·n;  w = w − lr·g'/sqrt(n + ε), then
    clipped to ``[-clip_weights, clip_weights]`` when ``clip_weights >= 0``."""
    a = _arrays("rmsprop_update", weight=weight, grad=grad, n=n)
    w, g = a["weight"], a["grad"]
    lr_, g1, eps, wd_, r, clip, cw = _params(w.dtype, lr=lr, g1=gamma1, eps=epsilon, wd=wd,
                                             r=rescale_grad, clip=clip_gradient,
                                             cw=clip_weights)
    gr = _grad(g, w, r, clip, wd_)
    n_new = (1 - g1) * gr * gr + g1 * a["n"]
    _set(n, n_new)
    new_w = w - lr_ * (gr / np.sqrt(n_new + eps))
    return _result(np.clip(new_w, -cw, cw) if cw >= 0 else new_w, w.dtype, out)


def rmspropalex_update(weight: NDArray, grad: NDArray, n: NDArray, g: NDArray,
                       delta: NDArray, lr: float, gamma1: float = 0.95, gamma2: float = 0.9,
                       epsilon: float = 1e-8, wd: float = 0.0, rescale_grad: float = 1.0,
                       clip_gradient: float = -1.0, clip_weights: float = -1.0,
                       out: NDArray | None = None, **kw: Any) -> NDArray:
    """g' = clip(r·g + wd·w);  n = (1−γ1)·g'² + γ1·n;  ḡ = (1−γ1)·g' + γ1·ḡ;
    δ = γ2·δ − lr·g'/sqrt(n − ḡ² + ε);  w = w + δ (then ``clip_weights``)."""
    a = _arrays("rmspropalex_update", weight=weight, grad=grad, n=n, g=g, delta=delta)
    w, gd = a["weight"], a["grad"]
    lr_, g1, g2, eps, wd_, r, clip, cw = _params(
        w.dtype, lr=lr, g1=gamma1, g2=gamma2, eps=epsilon, wd=wd, r=rescale_grad,
        clip=clip_gradient, cw=clip_weights)
    gr = _grad(gd, w, r, clip, wd_)
    n_new = (1 - g1) * gr * gr + g1 * a["n"]
    g_new = (1 - g1) * gr + g1 * a["g"]
    with np.errstate(invalid="ignore"):  # a negative variance estimate: NaN, as MXNet
        d_new = g2 * a["delta"] - lr_ * gr / np.sqrt(n_new - g_new * g_new + eps)
    for arr, v in ((n, n_new), (g, g_new), (delta, d_new)):
        _set(arr, v)
    new_w = w + d_new
    return _result(np.clip(new_w, -cw, cw) if cw >= 0 else new_w, w.dtype, out)


def ftrl_update(weight: NDArray, grad: NDArray, z: NDArray, n: NDArray, lr: float,
                lamda1: float = 0.01, beta: float = 1.0, wd: float = 0.0,
                rescale_grad: float = 1.0, clip_gradient: float = -1.0,
                out: NDArray | None = None, **kw: Any) -> NDArray:
    """g' = clip(r·g);  z = z + g' − (sqrt(n + g'²) − sqrt(n))·w/lr;  n = n + g'²;
    w = (sign(z)·λ1 − z)/((β + sqrt(n))/lr + wd) where |z| > λ1, else 0."""
    a = _arrays("ftrl_update", weight=weight, grad=grad, z=z, n=n)
    w, g = a["weight"], a["grad"]
    lr_, l1, beta_, wd_, r, clip = _params(w.dtype, lr=lr, l1=lamda1, beta=beta, wd=wd,
                                           r=rescale_grad, clip=clip_gradient)
    gr = _grad(g, w, r, clip)
    n_old = a["n"]
    z_new = a["z"] + (gr - (np.sqrt(n_old + gr * gr) - np.sqrt(n_old)) * w / lr_)
    n_new = n_old + gr * gr
    _set(z, z_new)
    _set(n, n_new)
    new_w = (np.sign(z_new) * l1 - z_new) / ((beta_ + np.sqrt(n_new)) / lr_ + wd_) * \
        (np.abs(z_new) > l1)
    return _result(new_w, w.dtype, out)


def signsgd_update(weight: NDArray, grad: NDArray, lr: float, wd: float = 0.0,
                   rescale_grad: float = 1.0, clip_gradient: float = -1.0,
                   out: NDArray | None = None, **kw: Any) -> NDArray:
    """w = (1 − lr·wd)·w − lr·sign(g) (``rescale_grad`` and ``clip_gradient`` cannot change
    a sign)."""
    a = _arrays("signsgd_update", weight=weight, grad=grad)
    w, g = a["weight"], a["grad"]
    lr_, wd_ = _params(w.dtype, lr=lr, wd=wd)
    return _result((1 - lr_ * wd_) * w - lr_ * np.sign(g), w.dtype, out)


def signum_update(weight: NDArray, grad: NDArray, mom: NDArray, lr: float,
                  momentum: float = 0.0, wd: float = 0.0, rescale_grad: float = 1.0,
                  clip_gradient: float = -1.0, wd_lh: float = 0.0,
                  out: NDArray | None = None, **kw: Any) -> NDArray:
    """mom = μ·mom − (1−μ)·wd·w − (1−μ)·clip(r·g);  w = (1 − lr·wd_lh)·w + lr·sign(mom)."""
    a = _arrays("signum_update", weight=weight, grad=grad, mom=mom)
    w, g = a["weight"], a["grad"]
    lr_, mu, wd_, r, clip, lh = _params(w.dtype, lr=lr, mu=momentum, wd=wd, r=rescale_grad,
                                        clip=clip_gradient, lh=wd_lh)
    m = mu * a["mom"] - (1 - mu) * wd_ * w - (1 - mu) * _grad(g, w, r, clip)
    _set(mom, m)
    return _result((1 - lr_ * lh) * w + lr_ * np.sign(m), w.dtype, out)


def _mp(fn: Any, name: str, weight: NDArray, grad: NDArray, weight32: NDArray,
        states: tuple[NDArray, ...], out: NDArray | None, kw: dict[str, Any]) -> NDArray:
    if not isinstance(weight32, NDArray) or weight32.dtype != np.float32:
        raise MinigluonError(f"{name}: weight32 must be a float32 NDArray (the master copy "
                             "of the weight)")
    g32 = _wrap(grad._data.astype(np.float32), None)
    new32 = fn(weight32, g32, *states, out=weight32, **kw)  # the master copy, in place
    return _result(new32._data, weight._data.dtype, out)


def mp_sgd_update(weight: NDArray, grad: NDArray, weight32: NDArray, lr: float,
                  out: NDArray | None = None, **kw: Any) -> NDArray:
    """:func:`sgd_update` on the float32 master copy ``weight32``; returns it rounded to
    the weight's dtype."""
    return _mp(sgd_update, "mp_sgd_update", weight, grad, weight32, (), out, dict(lr=lr, **kw))


def mp_sgd_mom_update(weight: NDArray, grad: NDArray, mom: NDArray, weight32: NDArray,
                      lr: float, out: NDArray | None = None, **kw: Any) -> NDArray:
    """:func:`sgd_mom_update` on the float32 master copy ``weight32`` (``mom`` float32)."""
    return _mp(sgd_mom_update, "mp_sgd_mom_update", weight, grad, weight32, (mom,), out,
               dict(lr=lr, **kw))


def mp_nag_mom_update(weight: NDArray, grad: NDArray, mom: NDArray, weight32: NDArray,
                      lr: float, out: NDArray | None = None, **kw: Any) -> NDArray:
    """:func:`nag_mom_update` on the float32 master copy ``weight32`` (``mom`` float32)."""
    return _mp(nag_mom_update, "mp_nag_mom_update", weight, grad, weight32, (mom,), out,
               dict(lr=lr, **kw))
