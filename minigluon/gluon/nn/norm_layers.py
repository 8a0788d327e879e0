"""Layer and instance normalization.

Both are composed of ``nd`` reductions and broadcasts, so autograd differentiates them
like any other expression. The variance is the biased one (divided by n), as in MXNet.

Examples
--------
>>> from minigluon import nd
>>> from minigluon.gluon import nn
>>> layer = nn.LayerNorm()
>>> layer.initialize()
>>> layer(nd.array([[1, 2, 3], [2, 2, 5]]))
<BLANKLINE>
[[-1.2247356  0.         1.2247356]
 [-0.707105  -0.707105   1.41421  ]]
<NDArray 2x3 @cpu(0)>
"""

from __future__ import annotations

from typing import Any

from ...base import MXNetError
from ...ndarray.ndarray import NDArray
from ...symbol.symbol import traced_shape
from ..block import HybridBlock
from .conv_layers import _check_dtype

__all__ = ["LayerNorm", "InstanceNorm", "GroupNorm"]


def _shape(x: Any) -> tuple[int, ...]:
    """``x.shape``, also for a symbol being traced by ``hybridize`` (see
    :func:`~minigluon.symbol.symbol.traced_shape`)."""
    return x.shape if isinstance(x, NDArray) else traced_shape(x)


def _normalize(F: Any, x: NDArray, axis: int | tuple[int, ...], eps: float) -> NDArray:
    """``(x - mean) / sqrt(var + eps)`` over ``axis``."""
    centered = F.broadcast_sub(x, F.mean(x, axis=axis, keepdims=True))
    var = F.mean(F.square(centered), axis=axis, keepdims=True)
    return F.broadcast_mul(centered, F.rsqrt(var + eps))


def _affine(F: Any, y: NDArray, gamma: NDArray, beta: NDArray, axis: int) -> NDArray:
    """``y * gamma + beta``, with gamma and beta laid along ``axis``."""
    shape = [1] * len(_shape(y))
    shape[axis] = _shape(gamma)[0]
    return F.broadcast_add(F.broadcast_mul(y, F.reshape(gamma, tuple(shape))),
                           F.reshape(beta, tuple(shape)))


class _Norm(HybridBlock):
    """What LayerNorm and InstanceNorm share: per-channel gamma and beta along
    ``axis``, of a size learned from the first input when ``in_channels`` is 0."""

    def __init__(self, axis: int, epsilon: float, center: bool, scale: bool,
                 beta_initializer: Any, gamma_initializer: Any, in_channels: int,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._kwargs = {"eps": epsilon, "axis": axis, "center": center, "scale": scale}
        self._axis = axis
        self._epsilon = epsilon
        # without scale (center), gamma (beta) keeps its initial value: it is still
        # applied, but not trained
        self.gamma = self.params.get("gamma", grad_req="write" if scale else "null",
                                     shape=(in_channels,), init=gamma_initializer,
                                     allow_deferred_init=True)
        self.beta = self.params.get("beta", grad_req="write" if center else "null",
                                    shape=(in_channels,), init=beta_initializer,
                                    allow_deferred_init=True)

    def _check_axis(self, x: NDArray) -> int:
        shape = _shape(x)
        if not -len(shape) <= self._axis < len(shape):
            raise MXNetError(f"{self.name}: axis {self._axis} is out of range for input of "
                             f"shape {shape}")
        return self._axis % len(shape)

    def infer_shape(self, x: NDArray, *args: Any) -> None:
        axis = self._check_axis(x)
        for p in (self.gamma, self.beta):
            p.shape = (x.shape[axis],)

    def _check_channels(self, x: NDArray, axis: int, gamma: NDArray) -> None:
        _check_dtype(self, x, gamma)
        shape, channels = _shape(x), _shape(gamma)[0]
        if shape[axis] != channels:
            raise MXNetError(f"{self.name}: built for {channels} channels on axis "
                             f"{self._axis}, but the input {shape} has {shape[axis]}")

    def __repr__(self) -> str:
        content = ", ".join(f"{k}={v!r}" for k, v in self._kwargs.items())
        return f"{type(self).__name__}({content}, in_channels={self.gamma.shape[0]})"


class LayerNorm(_Norm):
    """Layer normalization: each position is normalized over ``axis`` to mean 0 and
    variance 1, then scaled by ``gamma`` and shifted by ``beta`` (both along ``axis``):
    ``y = (x - mean) / sqrt(var + epsilon) * gamma + beta``.

    Parameters
    ----------
    axis : int
        The axis normalized over (-1: the last).
    epsilon : float
        Added to the variance before its square root.
    center : bool
        Train ``beta`` (otherwise it keeps its initial value, 0).
    scale : bool
        Train ``gamma`` (otherwise it keeps its initial value, 1).
    beta_initializer, gamma_initializer : Initializer or str
    in_channels : int
        The size of ``axis``; 0 (the default) takes it from the first input.
    """

    def __init__(self, axis: int = -1, epsilon: float = 1e-5, center: bool = True,
                 scale: bool = True, beta_initializer: Any = "zeros",
                 gamma_initializer: Any = "ones", in_channels: int = 0,
                 prefix: str | None = None, params: Any = None) -> None:
        super().__init__(axis, epsilon, center, scale, beta_initializer, gamma_initializer,
                         in_channels, prefix=prefix, params=params)

    def hybrid_forward(self, F: Any, x: NDArray, gamma: NDArray, beta: NDArray) -> NDArray:
        axis = self._check_axis(x)
        self._check_channels(x, axis, gamma)
        return _affine(F, _normalize(F, x, axis, self._epsilon), gamma, beta, axis)


class InstanceNorm(_Norm):
    """Instance normalization: each channel of each sample is normalized over the
    remaining (spatial) axes, then scaled by ``gamma`` and shifted by ``beta`` (one per
    channel).

    Parameters
    ----------
    axis : int
        The channel axis (1 for NCHW).
    epsilon : float
    center : bool
        Train ``beta`` (otherwise it keeps its initial value, 0).
    scale : bool
        Train ``gamma`` (False by default: it stays at its initial value, 1).
    beta_initializer, gamma_initializer : Initializer or str
    in_channels : int
        0 (the default) takes the number of channels from the first input.
    """

    def __init__(self, axis: int = 1, epsilon: float = 1e-5, center: bool = True,
                 scale: bool = False, beta_initializer: Any = "zeros",
                 gamma_initializer: Any = "ones", in_channels: int = 0,
                 **kwargs: Any) -> None:
        super().__init__(axis, epsilon, center, scale, beta_initializer, gamma_initializer,
                         in_channels, **kwargs)

    def hybrid_forward(self, F: Any, x: NDArray, gamma: NDArray, beta: NDArray) -> NDArray:
        ndim = len(_shape(x))
        if ndim < 3:
            raise MXNetError(f"{self.name}: InstanceNorm expects an input with a batch, a "
                             f"channel and at least one more axis, got shape {_shape(x)}")
        axis = self._check_axis(x)
        if axis == 0:
            raise MXNetError(f"{self.name}: the channel axis cannot be the batch axis 0")
        self._check_channels(x, axis, gamma)
        if axis != 1:
            x = F.swapaxes(x, 1, axis)
        out = _affine(F, _normalize(F, x, tuple(range(2, ndim)), self._epsilon),
                      gamma, beta, 1)
        return F.swapaxes(out, 1, axis) if axis != 1 else out


class GroupNorm(HybridBlock):
    """Group normalization: the channels (axis 1) of each sample are cut into
    ``num_groups`` groups; each group is normalized over its channels and positions, then
    scaled by ``gamma`` and shifted by ``beta`` -- one value *per group*, as in MXNet 1.9.1
    (``gamma`` and ``beta`` have shape ``(num_groups,)``).

    Parameters
    ----------
    num_groups : int
        The number of groups; it must divide the number of channels.
    epsilon : float
    center : bool
        Train ``beta`` (otherwise it keeps its initial value, 0).
    scale : bool
        Train ``gamma`` (otherwise it keeps its initial value, 1).
    beta_initializer, gamma_initializer : Initializer or str
    """

    def __init__(self, num_groups: int = 1, epsilon: float = 1e-5, center: bool = True,
                 scale: bool = True, beta_initializer: Any = "zeros",
                 gamma_initializer: Any = "ones", prefix: str | None = None,
                 params: Any = None) -> None:
        super().__init__(prefix=prefix, params=params)
        self._kwargs = {"eps": epsilon, "num_groups": num_groups, "center": center,
                        "scale": scale}
        self._num_groups = num_groups
        self._epsilon = epsilon
        self.gamma = self.params.get("gamma", grad_req="write" if scale else "null",
                                     shape=(num_groups,), init=gamma_initializer,
                                     allow_deferred_init=True)
        self.beta = self.params.get("beta", grad_req="write" if center else "null",
                                    shape=(num_groups,), init=beta_initializer,
                                    allow_deferred_init=True)

    def hybrid_forward(self, F: Any, x: NDArray, gamma: NDArray, beta: NDArray) -> NDArray:
        g, shape = self._num_groups, _shape(x)
        if len(shape) < 2 or shape[1] % g:
            raise MXNetError(f"{self.name}: the {shape[1] if len(shape) > 1 else 0} "
                             f"channels of the input {shape} cannot be cut into {g} groups")
        _check_dtype(self, x, gamma)
        grouped = F.reshape(x, (shape[0], g, -1))
        y = _affine(F, _normalize(F, grouped, 2, self._epsilon), gamma, beta, 1)
        return F.reshape(y, shape)

    def __repr__(self) -> str:
        content = ", ".join(f"{k}={v!r}" for k, v in self._kwargs.items())
        return f"{type(self).__name__}({content})"
