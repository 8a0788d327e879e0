"""Random arrays (``nd.random.normal`` ...), drawn from the generator that
``mx.random.seed`` resets. Results are float32 unless ``dtype`` says otherwise."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _rng as _random
from ..context import check_context
from .ndarray import NDArray, _dtype, _place, _wrap


def _shape(shape: Any) -> tuple[int, ...]:
    if shape is None or shape == ():
        return (1,)  # MXNet draws one number when no shape is given
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    return tuple(int(s) for s in shape)


def _finish(values: Any, dtype: Any, out: NDArray | None, ctx: Any = None) -> NDArray:
    ctx = check_context(ctx, "_random")
    arr = np.asarray(values, dtype=_dtype(dtype or "float32"))
    if out is not None:
        out[:] = arr
        return out
    return _place(_wrap(arr, None), ctx)


def _ctx_of(param: Any, ctx: Any) -> Any:
    """Samples drawn per element of a parameter array go to that array's device."""
    return param.context if ctx is None and isinstance(param, NDArray) else ctx


def _params(loc: Any, shape: Any) -> tuple[Any, tuple[int, ...]]:
    if isinstance(loc, NDArray):  # one draw per element of the parameter array
        extra = () if shape is None else _shape(shape)
        return loc._data[(...,) + (None,) * len(extra)], loc.shape + extra
    return loc, _shape(shape)


def normal(loc: Any = 0, scale: Any = 1, shape: Any = None, dtype: Any = None,
           ctx: Any = None, out: NDArray | None = None, **kw: Any) -> NDArray:
    """Samples from N(loc, scale**2)."""
    loc_, sh = _params(loc, shape)
    scale_ = scale._data[(...,) + (None,) * (len(sh) - scale.ndim)] \
        if isinstance(scale, NDArray) else scale
    return _finish(_random.generator().normal(loc_, scale_, sh), dtype, out,
                   _ctx_of(loc, ctx))


def randn(*shape: int, loc: float = 0, scale: float = 1, dtype: Any = None,
          ctx: Any = None, **kw: Any) -> NDArray:
    """Standard normal samples with the shape given as arguments."""
    return normal(loc, scale, shape or None, dtype, ctx)


def uniform(low: Any = 0, high: Any = 1, shape: Any = None, dtype: Any = None,
            ctx: Any = None, out: NDArray | None = None, **kw: Any) -> NDArray:
    """Samples from U[low, high)."""
    low_, sh = _params(low, shape)
    high_ = high._data[(...,) + (None,) * (len(sh) - high.ndim)] \
        if isinstance(high, NDArray) else high
    return _finish(_random.generator().uniform(low_, high_, sh), dtype, out,
                   _ctx_of(low, ctx))


def randint(low: int, high: int, shape: Any = None, dtype: Any = "int32", ctx: Any = None,
            out: NDArray | None = None, **kw: Any) -> NDArray:
    """Integers from [low, high)."""
    return _finish(_random.generator().integers(low, high, _shape(shape)), dtype, out, ctx)


def exponential(scale: float = 1, shape: Any = None, dtype: Any = None, ctx: Any = None,
                out: NDArray | None = None, **kw: Any) -> NDArray:
    """Samples from the exponential distribution with mean ``scale``."""
    return _finish(_random.generator().exponential(scale, _shape(shape)), dtype, out, ctx)


def gamma(alpha: float = 1, beta: float = 1, shape: Any = None, dtype: Any = None,
          ctx: Any = None, out: NDArray | None = None, **kw: Any) -> NDArray:
    """Samples from Gamma(shape=alpha, scale=beta)."""
    return _finish(_random.generator().gamma(alpha, beta, _shape(shape)), dtype, out, ctx)


def poisson(lam: float = 1, shape: Any = None, dtype: Any = None, ctx: Any = None,
            out: NDArray | None = None, **kw: Any) -> NDArray:
    """Samples from Poisson(lam), as floats."""
    return _finish(_random.generator().poisson(lam, _shape(shape)), dtype, out, ctx)


def multinomial(data: NDArray, shape: Any = None, get_prob: bool = False, dtype: Any = "int32",
                **kw: Any) -> NDArray:
    """Class indices drawn from the probability rows of ``data``."""
    p = data._data.astype(np.float64)
    n = int(np.prod(_shape(shape))) if shape is not None else 1
    flat = p.reshape(-1, p.shape[-1])
    draws = np.stack([_random.generator().choice(p.shape[-1], size=n, p=row / row.sum())
                      for row in flat])
    tail = () if shape is None else _shape(shape)
    return _wrap(draws.reshape(p.shape[:-1] + tail).astype(_dtype(dtype)), None)


def negative_binomial(k: float = 1, p: float = 1, shape: Any = None, dtype: Any = None,
                      ctx: Any = None, out: NDArray | None = None, **kw: Any) -> NDArray:
    """Failures before the k-th success with success probability p, as floats."""
    return _finish(_random.generator().negative_binomial(k, p, _shape(shape)), dtype, out, ctx)


def generalized_negative_binomial(mu: float = 1, alpha: float = 1, shape: Any = None,
                                  dtype: Any = None, ctx: Any = None,
                                  out: NDArray | None = None, **kw: Any) -> NDArray:
    """Negative binomial with mean ``mu`` and dispersion ``alpha`` (a Gamma-Poisson mix)."""
    gen = _random.generator()
    sh = _shape(shape)
    lam = gen.gamma(1 / alpha, mu * alpha, sh) if alpha > 0 else np.full(sh, mu)
    return _finish(gen.poisson(lam), dtype, out, ctx)


def shuffle(data: NDArray, **kw: Any) -> NDArray:
    """A copy of ``data`` with its rows (first axis) in random order."""
    return _wrap(_random.generator().permutation(data._data), None)


def normal_like(data: NDArray, loc: float = 0, scale: float = 1, **kw: Any) -> NDArray:
    return normal(loc, scale, data.shape, data._data.dtype)


def uniform_like(data: NDArray, low: float = 0, high: float = 1, **kw: Any) -> NDArray:
    return uniform(low, high, data.shape, data._data.dtype)


def exponential_like(data: NDArray, lam: float = 1, **kw: Any) -> NDArray:
    return exponential(1 / lam, data.shape, data._data.dtype)


def gamma_like(data: NDArray, alpha: float = 1, beta: float = 1, **kw: Any) -> NDArray:
    return gamma(alpha, beta, data.shape, data._data.dtype)


def poisson_like(data: NDArray, lam: float = 1, **kw: Any) -> NDArray:
    return poisson(lam, data.shape, data._data.dtype)


def negative_binomial_like(data: NDArray, k: float = 1, p: float = 1, **kw: Any) -> NDArray:
    return negative_binomial(k, p, data.shape, data._data.dtype)


def generalized_negative_binomial_like(data: NDArray, mu: float = 1, alpha: float = 1,
                                       **kw: Any) -> NDArray:
    return generalized_negative_binomial(mu, alpha, data.shape, data._data.dtype)


__all__ = ["normal", "randn", "uniform", "randint", "exponential", "gamma", "poisson",
           "negative_binomial", "generalized_negative_binomial", "multinomial", "shuffle",
           "normal_like", "uniform_like", "exponential_like", "gamma_like", "poisson_like",
           "negative_binomial_like", "generalized_negative_binomial_like"]
