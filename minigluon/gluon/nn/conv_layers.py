"""Convolution, pooling and batch-normalization layers.

Each layer calls one operator of :mod:`minigluon.ops.conv` (``F.Convolution``,
``F.Pooling``, ``F.BatchNorm``). The layouts are MXNet 1.9.1's: pooling takes channels
first or last (NCHW or NHWC ...); Conv2D/Conv3D and their transposes accept NHWC/NDHWC and
give their weights MXNet's channel-last shapes, but, as on MXNet's CPU, such a convolution
cannot run (an MXNetError at the first forward); Conv1D takes NCW only.

Examples
--------
>>> from minigluon import nd
>>> from minigluon.gluon import nn
>>> net = nn.Sequential()
>>> net.add(nn.Conv2D(6, kernel_size=5, activation='sigmoid'), nn.MaxPool2D(2, 2))
>>> net.initialize()
>>> net(nd.zeros((1, 1, 28, 28))).shape
(1, 6, 12, 12)
>>> net[0]
Conv2D(1 -> 6, kernel_size=(5, 5), stride=(1, 1), Activation(sigmoid))
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...base import MXNetError
from ...ndarray.ndarray import NDArray
from ..block import HybridBlock
from .basic_layers import Activation

__all__ = ["Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose",
           "Conv3DTranspose", "MaxPool1D", "MaxPool2D", "MaxPool3D", "AvgPool1D",
           "AvgPool2D", "AvgPool3D", "GlobalMaxPool1D", "GlobalMaxPool2D", "GlobalMaxPool3D",
           "GlobalAvgPool1D", "GlobalAvgPool2D", "GlobalAvgPool3D", "BatchNorm",
           "BatchNormReLU"]

_LAYOUTS = {1: "NCW", 2: "NCHW", 3: "NCDHW"}
_LAST = {1: "NWC", 2: "NHWC", 3: "NDHWC"}


def _ntuple(value: Any, n: int, what: str) -> tuple[int, ...]:
    """An int means the same value on each of the n spatial axes."""
    if isinstance(value, (int, np.integer)):
        return (int(value),) * n
    value = tuple(int(v) for v in value)
    if len(value) != n:
        raise ValueError(f"{what} must be an int or a tuple of {n} ints, got {value}")
    return value


def _check_conv_layout(layout: str, n: int) -> None:
    # MXNet's own assertions and messages
    if n == 1 and layout != "NCW":
        raise AssertionError("Only supports 'NCW' layout for now")
    if layout not in (_LAYOUTS[n], _LAST[n]):
        raise AssertionError(f"Only supports '{_LAYOUTS[n]}' and '{_LAST[n]}' layout for now")


def _check_pool_layout(layout: str, n: int) -> None:
    if layout not in (_LAYOUTS[n], _LAST[n]):
        raise AssertionError(f"Only {_LAYOUTS[n]} and {_LAST[n]} layouts are valid for {n}D "
                             "Pooling")


def _check_dtype(block: HybridBlock, x: NDArray, param: NDArray) -> None:
    # MXNet does not convert between float types; say how to fix it (symbols: no dtype)
    if isinstance(x, NDArray) and x.dtype != param.dtype:
        have, want = np.dtype(x.dtype).name, np.dtype(param.dtype).name
        raise MXNetError(
            f"Incompatible attr in node {block.name} at 1-th input: expected {have}, got "
            f"{want}: the input is {have} but the parameters are {want}. Convert the input "
            f"with x.astype('{want}') or the network with net.cast('{have}').")


def _check_rank(block: HybridBlock, x: NDArray, n: int, layout: str | None = None) -> None:
    if isinstance(x, NDArray) and x.ndim != n + 2:
        raise MXNetError(f"{type(block).__name__} expects {n + 2}-D input in layout "
                         f"{layout or _LAYOUTS[n]}, got shape {x.shape}")


# ---- convolution --------------------------------------------------------------------------


class _Conv(HybridBlock):
    """What Conv1D, Conv2D and Conv3D share; ``ndim`` is the number of spatial axes."""

    def __init__(self, ndim: int, channels: int, kernel_size: Any, strides: Any, padding: Any,
                 dilation: Any, groups: int, layout: str, in_channels: int = 0,
                 activation: str | None = None, use_bias: bool = True,
                 weight_initializer: Any = None, bias_initializer: Any = "zeros",
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        _check_conv_layout(layout, ndim)
        kernel = _ntuple(kernel_size, ndim, "kernel_size")
        if in_channels % groups or channels % groups:
            raise ValueError(f"groups={groups} must divide both in_channels ({in_channels}) "
                             f"and channels ({channels})")
        with self.name_scope():
            self._channels = channels
            self._in_channels = in_channels
            self._kwargs = {
                "kernel": kernel, "stride": _ntuple(strides, ndim, "strides"),
                "dilate": _ntuple(dilation, ndim, "dilation"),
                "pad": _ntuple(padding, ndim, "padding"), "num_filter": channels,
                "num_group": groups, "no_bias": not use_bias, "layout": layout}
            self.weight = self.params.get("weight", shape=self._weight_shape(
                channels, in_channels // groups, kernel, layout), init=weight_initializer,
                allow_deferred_init=True)
            if use_bias:
                self.bias = self.params.get("bias", shape=(channels,), init=bias_initializer,
                                            allow_deferred_init=True)
            else:
                self.bias = None
            if activation is not None:
                self.act = Activation(activation, prefix=activation + "_")
            else:
                self.act = None

    def _alias(self) -> str:
        return "conv"  # conv0_weight, for Conv1D, Conv2D and Conv3D alike

    @staticmethod
    def _weight_shape(first: int, second: int, kernel: tuple[int, ...], layout: str
                      ) -> tuple[int, ...]:
        """MXNet's weight shape: (first, second, *kernel) channels first, (first, *kernel,
        second) channels last."""
        if layout.endswith("C"):
            return (first,) + kernel + (second,)
        return (first, second) + kernel

    def _input_channels(self, x: NDArray) -> int:
        ndim, groups = len(self._kwargs["kernel"]), self._kwargs["num_group"]
        layout = self._kwargs["layout"]
        _check_rank(self, x, ndim, layout)
        c = x.shape[layout.index("C")]
        if c % groups:
            raise MXNetError(f"{self.name}: groups={groups} does not divide the {c} input "
                             "channels")
        return c

    def infer_shape(self, x: NDArray, *args: Any) -> None:
        c = self._input_channels(x)
        self.weight.shape = self._weight_shape(self._channels, c // self._kwargs["num_group"],
                                               self._kwargs["kernel"], self._kwargs["layout"])

    def hybrid_forward(self, F: Any, x: NDArray, weight: NDArray, bias: NDArray | None = None
                       ) -> NDArray:
        _check_rank(self, x, len(self._kwargs["kernel"]), self._kwargs["layout"])
        _check_dtype(self, x, weight)
        out = F.Convolution(x, weight, bias, name="fwd", **self._kwargs)
        return self.act(out) if self.act is not None else out

    def __repr__(self) -> str:
        k = self._kwargs
        n = len(k["kernel"])
        shape = self.weight.shape  # MXNet prints shape[1], a kernel size when channels last
        s = (f"{type(self).__name__}({shape[1] if shape[1] else None} -> {shape[0]}, "
             f"kernel_size={k['kernel']}, stride={k['stride']}")
        if k["pad"] != (0,) * n:
            s += f", padding={k['pad']}"
        if k["dilate"] != (1,) * n:
            s += f", dilation={k['dilate']}"
        if k["num_group"] != 1:
            s += f", groups={k['num_group']}"
        if self.bias is None:
            s += ", bias=False"
        if self.act is not None:
            s += f", {self.act}"
        return s + ")"


class Conv1D(_Conv):
    """1-D convolution over input of shape (batch, in_channels, width).

    See :class:`Conv2D` for the parameters (with one value per axis instead of two).
    """

    def __init__(self, channels: int, kernel_size: Any, strides: Any = 1, padding: Any = 0,
                 dilation: Any = 1, groups: int = 1, layout: str = "NCW",
                 activation: str | None = None, use_bias: bool = True,
                 weight_initializer: Any = None, bias_initializer: Any = "zeros",
                 in_channels: int = 0, **kwargs: Any) -> None:
        super().__init__(1, channels, kernel_size, strides, padding, dilation, groups, layout,
                         in_channels, activation, use_bias, weight_initializer,
                         bias_initializer, **kwargs)


class Conv2D(_Conv):
    """2-D convolution over input of shape (batch, in_channels, height, width).

    ``weight`` has shape ``(channels, in_channels / groups, *kernel_size)``; ``bias``
    (channels,). The output has shape (batch, channels, out_height, out_width) with
    ``out = (in + 2 * padding - dilation * (kernel_size - 1) - 1) // strides + 1``.

    Parameters
    ----------
    channels : int
        Number of output channels (filters).
    kernel_size, strides, padding, dilation : int or tuple of 2 ints
    groups : int
        Split the input channels into this many groups, each convolved with its own
        share of the filters (``groups=in_channels``: a depthwise convolution).
    layout : str
        'NCHW' or 'NHWC' (MXNet's CPU cannot run an NHWC convolution: the first forward
        raises MXNetError; the weight then has shape (channels, kh, kw, in_channels)).
    activation : str, optional
        Applied to the output: 'relu', 'sigmoid', 'tanh', 'softrelu', 'softsign'.
    use_bias : bool
    weight_initializer, bias_initializer : Initializer or str
    in_channels : int
        0 (the default) takes it from the first input.
    """

    def __init__(self, channels: int, kernel_size: Any, strides: Any = (1, 1),
                 padding: Any = (0, 0), dilation: Any = (1, 1), groups: int = 1,
                 layout: str = "NCHW", activation: str | None = None, use_bias: bool = True,
                 weight_initializer: Any = None, bias_initializer: Any = "zeros",
                 in_channels: int = 0, **kwargs: Any) -> None:
        super().__init__(2, channels, kernel_size, strides, padding, dilation, groups, layout,
                         in_channels, activation, use_bias, weight_initializer,
                         bias_initializer, **kwargs)


class Conv3D(_Conv):
    """3-D convolution over input of shape (batch, in_channels, depth, height, width).

    See :class:`Conv2D` for the parameters (with three values per axis instead of two).
    """

    def __init__(self, channels: int, kernel_size: Any, strides: Any = (1, 1, 1),
                 padding: Any = (0, 0, 0), dilation: Any = (1, 1, 1), groups: int = 1,
                 layout: str = "NCDHW", activation: str | None = None, use_bias: bool = True,
                 weight_initializer: Any = None, bias_initializer: Any = "zeros",
                 in_channels: int = 0, **kwargs: Any) -> None:
        super().__init__(3, channels, kernel_size, strides, padding, dilation, groups, layout,
                         in_channels, activation, use_bias, weight_initializer,
                         bias_initializer, **kwargs)


# ---- transposed convolution ---------------------------------------------------------------


class _ConvTranspose(_Conv):
    """What Conv1DTranspose, Conv2DTranspose and Conv3DTranspose share: ``F.Deconvolution``
    with MXNet's weight shape (in_channels, channels / groups, *kernel_size)."""

    def __init__(self, ndim: int, channels: int, kernel_size: Any, strides: Any, padding: Any,
                 output_padding: Any, dilation: Any, groups: int, layout: str,
                 in_channels: int = 0, activation: str | None = None, use_bias: bool = True,
                 weight_initializer: Any = None, bias_initializer: Any = "zeros",
                 **kwargs: Any) -> None:
        super().__init__(ndim, channels, kernel_size, strides, padding, dilation, groups,
                         layout, in_channels, activation, use_bias, weight_initializer,
                         bias_initializer, **kwargs)
        self._kwargs["adj"] = _ntuple(output_padding, ndim, "output_padding")
        # the transpose of a convolution's weight: input channels first
        self.weight._shape = self._weight_shape(in_channels, channels // groups,
                                                self._kwargs["kernel"], layout)

    def infer_shape(self, x: NDArray, *args: Any) -> None:
        c = self._input_channels(x)
        self.weight.shape = self._weight_shape(c, self._channels // self._kwargs["num_group"],
                                               self._kwargs["kernel"], self._kwargs["layout"])

    def hybrid_forward(self, F: Any, x: NDArray, weight: NDArray, bias: NDArray | None = None
                       ) -> NDArray:
        _check_rank(self, x, len(self._kwargs["kernel"]), self._kwargs["layout"])
        _check_dtype(self, x, weight)
        out = F.Deconvolution(x, weight, bias, **self._kwargs)
        return self.act(out) if self.act is not None else out


class Conv1DTranspose(_ConvTranspose):
    """1-D transposed convolution over input of shape (batch, in_channels, width).

    See :class:`Conv2DTranspose` for the parameters (one value per axis instead of two).
    """

    def __init__(self, channels: int, kernel_size: Any, strides: Any = 1, padding: Any = 0,
                 output_padding: Any = 0, dilation: Any = 1, groups: int = 1,
                 layout: str = "NCW", activation: str | None = None, use_bias: bool = True,
                 weight_initializer: Any = None, bias_initializer: Any = "zeros",
                 in_channels: int = 0, **kwargs: Any) -> None:
        super().__init__(1, channels, kernel_size, strides, padding, output_padding, dilation,
                         groups, layout, in_channels, activation, use_bias,
                         weight_initializer, bias_initializer, **kwargs)


class Conv2DTranspose(_ConvTranspose):
    """2-D transposed convolution ("deconvolution") over input of shape (batch,
    in_channels, height, width): the gradient of a :class:`Conv2D` with respect to its
    input, used to enlarge feature maps.

    ``weight`` has shape ``(in_channels, channels / groups, *kernel_size)``. The output
    size is ``(in - 1) * strides - 2 * padding + dilation * (kernel_size - 1) + 1 +
    output_padding``.

    Parameters
    ----------
    channels : int
        Number of output channels.
    kernel_size, strides, padding, output_padding, dilation : int or tuple of 2 ints
    groups : int
    layout : str
        'NCHW' or 'NHWC' (MXNet's CPU cannot run an NHWC convolution: the first forward
        raises MXNetError; the weight then has shape (channels, kh, kw, in_channels)).
    activation : str, optional
    use_bias : bool
    weight_initializer, bias_initializer : Initializer or str
    in_channels : int
        0 (the default) takes it from the first input.

    Examples
    --------
    >>> from minigluon import nd
    >>> from minigluon.gluon import nn
    >>> up = nn.Conv2DTranspose(3, kernel_size=4, padding=1, strides=2)
    >>> up.initialize()
    >>> up(nd.zeros((1, 5, 8, 8))).shape
    (1, 3, 16, 16)
    >>> up.weight.shape
    (5, 3, 4, 4)
    """

    def __init__(self, channels: int, kernel_size: Any, strides: Any = (1, 1),
                 padding: Any = (0, 0), output_padding: Any = (0, 0), dilation: Any = (1, 1),
                 groups: int = 1, layout: str = "NCHW", activation: str | None = None,
                 use_bias: bool = True, weight_initializer: Any = None,
                 bias_initializer: Any = "zeros", in_channels: int = 0, **kwargs: Any) -> None:
        super().__init__(2, channels, kernel_size, strides, padding, output_padding, dilation,
                         groups, layout, in_channels, activation, use_bias,
                         weight_initializer, bias_initializer, **kwargs)


class Conv3DTranspose(_ConvTranspose):
    """3-D transposed convolution over input of shape (batch, in_channels, depth, height,
    width).

    See :class:`Conv2DTranspose` for the parameters (three values per axis instead of two).
    """

    def __init__(self, channels: int, kernel_size: Any, strides: Any = (1, 1, 1),
                 padding: Any = (0, 0, 0), output_padding: Any = (0, 0, 0),
                 dilation: Any = (1, 1, 1), groups: int = 1, layout: str = "NCDHW",
                 activation: str | None = None, use_bias: bool = True,
                 weight_initializer: Any = None, bias_initializer: Any = "zeros",
                 in_channels: int = 0, **kwargs: Any) -> None:
        super().__init__(3, channels, kernel_size, strides, padding, output_padding, dilation,
                         groups, layout, in_channels, activation, use_bias,
                         weight_initializer, bias_initializer, **kwargs)


# ---- pooling ------------------------------------------------------------------------------


class _Pooling(HybridBlock):
    """What all pooling layers share. ``strides=None`` means "the pool size"."""

    def __init__(self, pool_size: tuple[int, ...], strides: Any, padding: Any,
                 ceil_mode: bool, global_pool: bool, pool_type: str, layout: str,
                 count_include_pad: bool | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        n = len(pool_size)
        _check_pool_layout(layout, n)
        self._layout = layout
        self._kwargs = {
            "kernel": pool_size,
            "stride": pool_size if strides is None else _ntuple(strides, n, "strides"),
            "pad": _ntuple(padding, n, "padding"), "global_pool": global_pool,
            "pool_type": pool_type,
            "pooling_convention": "full" if ceil_mode else "valid", "layout": layout}
        if count_include_pad is not None:
            self._kwargs["count_include_pad"] = count_include_pad

    def _alias(self) -> str:
        return "pool"  # pool0, for every pooling layer

    def hybrid_forward(self, F: Any, x: NDArray) -> NDArray:
        _check_rank(self, x, len(self._kwargs["kernel"]), self._layout)
        return F.Pooling(x, name="fwd", **self._kwargs)

    def __repr__(self) -> str:
        k = self._kwargs
        return (f"{type(self).__name__}(size={k['kernel']}, stride={k['stride']}, "
                f"padding={k['pad']}, ceil_mode={k['pooling_convention'] == 'full'}, "
                f"global_pool={k['global_pool']}, pool_type={k['pool_type']}, "
                f"layout={self._layout})")


class _MaxPool(_Pooling):
    def __init__(self, n: int, pool_size: Any, strides: Any, padding: Any, ceil_mode: bool,
                 layout: str, **kwargs: Any) -> None:
        super().__init__(_ntuple(pool_size, n, "pool_size"), strides, padding, ceil_mode,
                         False, "max", layout, **kwargs)


class _AvgPool(_Pooling):
    def __init__(self, n: int, pool_size: Any, strides: Any, padding: Any, ceil_mode: bool,
                 layout: str, count_include_pad: bool, **kwargs: Any) -> None:
        super().__init__(_ntuple(pool_size, n, "pool_size"), strides, padding, ceil_mode,
                         False, "avg", layout, count_include_pad, **kwargs)


class MaxPool2D(_MaxPool):
    """Max pooling over 2-D windows of input (batch, channels, height, width).

    The positional order (``pool_size, strides, padding, layout, ceil_mode``) is MXNet's;
    AvgPool2D puts ``ceil_mode`` before ``layout``.

    Parameters
    ----------
    pool_size : int or tuple of 2 ints
        The window size.
    strides : int or tuple, optional
        The step between windows; None (the default) means the pool size.
    padding : int or tuple
        Added on both sides of each spatial axis (padding never wins the max).
    ceil_mode : bool
        Round the output size up (MXNet's "full" convention): a last, partial window
        is kept.
    layout : str
        'NCHW' or 'NHWC' (channels last: input and output (batch, height, width,
        channels)).
    """

    def __init__(self, pool_size: Any = (2, 2), strides: Any = None, padding: Any = 0,
                 layout: str = "NCHW", ceil_mode: bool = False, **kwargs: Any) -> None:
        super().__init__(2, pool_size, strides, padding, ceil_mode, layout, **kwargs)


class AvgPool2D(_AvgPool):
    """Average pooling over 2-D windows of input (batch, channels, height, width).

    Parameters as for :class:`MaxPool2D` (the padding is zeros), and
    ``count_include_pad`` (default True): whether padding counts in each window's divisor.
    """

    def __init__(self, pool_size: Any = (2, 2), strides: Any = None, padding: Any = 0,
                 ceil_mode: bool = False, layout: str = "NCHW", count_include_pad: bool = True,
                 **kwargs: Any) -> None:
        super().__init__(2, pool_size, strides, padding, ceil_mode, layout,
                         count_include_pad, **kwargs)


class MaxPool1D(_MaxPool):
    """Max pooling over input (batch, channels, width); see :class:`MaxPool2D`."""

    def __init__(self, pool_size: Any = 2, strides: Any = None, padding: Any = 0,
                 layout: str = "NCW", ceil_mode: bool = False, **kwargs: Any) -> None:
        super().__init__(1, pool_size, strides, padding, ceil_mode, layout, **kwargs)


class AvgPool1D(_AvgPool):
    """Average pooling over input (batch, channels, width); see :class:`AvgPool2D`."""

    def __init__(self, pool_size: Any = 2, strides: Any = None, padding: Any = 0,
                 layout: str = "NCW", ceil_mode: bool = False, count_include_pad: bool = True,
                 **kwargs: Any) -> None:
        super().__init__(1, pool_size, strides, padding, ceil_mode, layout,
                         count_include_pad, **kwargs)


class MaxPool3D(_MaxPool):
    """Max pooling over input (batch, channels, depth, height, width); see
    :class:`MaxPool2D`."""

    def __init__(self, pool_size: Any = (2, 2, 2), strides: Any = None, padding: Any = 0,
                 ceil_mode: bool = False, layout: str = "NCDHW", **kwargs: Any) -> None:
        super().__init__(3, pool_size, strides, padding, ceil_mode, layout, **kwargs)


class AvgPool3D(_AvgPool):
    """Average pooling over input (batch, channels, depth, height, width); see
    :class:`AvgPool2D`."""

    def __init__(self, pool_size: Any = (2, 2, 2), strides: Any = None, padding: Any = 0,
                 ceil_mode: bool = False, layout: str = "NCDHW", count_include_pad: bool = True,
                 **kwargs: Any) -> None:
        super().__init__(3, pool_size, strides, padding, ceil_mode, layout,
                         count_include_pad, **kwargs)


class _GlobalPool(_Pooling):
    """Pooling over all of each channel: the output has size 1 on every spatial axis."""

    _n = 2
    _type = "max"

    def __init__(self, layout: str | None = None, **kwargs: Any) -> None:
        n = self._n
        super().__init__((1,) * n, None, 0, True, True, self._type, layout or _LAYOUTS[n],
                         **kwargs)


class GlobalMaxPool1D(_GlobalPool):
    """The maximum of each channel: (batch, channels, width) -> (batch, channels, 1)."""

    _n, _type = 1, "max"


class GlobalMaxPool2D(_GlobalPool):
    """The maximum of each channel: (batch, channels, h, w) -> (batch, channels, 1, 1)."""

    _n, _type = 2, "max"


class GlobalMaxPool3D(_GlobalPool):
    """The maximum of each channel: (batch, channels, d, h, w) -> (batch, channels, 1, 1,
    1)."""

    _n, _type = 3, "max"


class GlobalAvgPool1D(_GlobalPool):
    """The mean of each channel: (batch, channels, width) -> (batch, channels, 1)."""

    _n, _type = 1, "avg"


class GlobalAvgPool2D(_GlobalPool):
    """The mean of each channel: (batch, channels, h, w) -> (batch, channels, 1, 1)."""

    _n, _type = 2, "avg"


class GlobalAvgPool3D(_GlobalPool):
    """The mean of each channel: (batch, channels, d, h, w) -> (batch, channels, 1, 1,
    1)."""

    _n, _type = 3, "avg"


# ---- batch normalization ------------------------------------------------------------------


class BatchNorm(HybridBlock):
    """Batch normalization: each channel is normalized to mean 0 and variance 1, then
    scaled by ``gamma`` and shifted by ``beta``.

    In training mode (inside ``autograd.record()``) the batch's statistics are used, and
    each backward pass updates the running statistics
    ``running = momentum * running + (1 - momentum) * batch`` (biased variance). In
    prediction mode the running statistics are used.

    Parameters
    ----------
    axis : int
        The channel axis (1 for NCHW; -1 for channels last).
    momentum : float
    epsilon : float
        Added to the variance before its square root.
    center : bool
        Learn ``beta`` (otherwise it stays 0).
    scale : bool
        Learn ``gamma`` (otherwise it stays 1).
    use_global_stats : bool
        Always use the running statistics, also in training.
    beta_initializer, gamma_initializer : Initializer or str
    running_mean_initializer, running_variance_initializer : Initializer or str
    in_channels : int
        0 (the default) takes the number of channels from the first input.
    """

    def __init__(self, axis: int = 1, momentum: float = 0.9, epsilon: float = 1e-5,
                 center: bool = True, scale: bool = True, use_global_stats: bool = False,
                 beta_initializer: Any = "zeros", gamma_initializer: Any = "ones",
                 running_mean_initializer: Any = "zeros",
                 running_variance_initializer: Any = "ones", in_channels: int = 0,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._kwargs = {"axis": axis, "eps": epsilon, "momentum": momentum,
                        "fix_gamma": not scale, "use_global_stats": use_global_stats}
        self.in_channels = in_channels

        def param(name: str, init: Any, learn: bool) -> Any:
            return self.params.get(name, grad_req="write" if learn else "null",
                                   shape=(in_channels,), init=init, allow_deferred_init=True,
                                   differentiable=learn)

        self.gamma = param("gamma", gamma_initializer, scale)
        self.beta = param("beta", beta_initializer, center)
        self.running_mean = param("running_mean", running_mean_initializer, False)
        self.running_var = param("running_var", running_variance_initializer, False)

    def infer_shape(self, x: NDArray, *args: Any) -> None:
        axis = self._kwargs["axis"]
        if not -x.ndim <= axis < x.ndim:
            raise MXNetError(f"{self.name}: axis {axis} is out of range for input of shape "
                             f"{x.shape}")
        for p in (self.gamma, self.beta, self.running_mean, self.running_var):
            p.shape = (x.shape[axis],)

    def cast(self, dtype: Any) -> None:
        # MXNet keeps the statistics of a float16 network in float32
        if np.dtype(dtype).name == "float16":
            dtype = "float32"
        super().cast(dtype)

    def hybrid_forward(self, F: Any, x: NDArray, gamma: NDArray, beta: NDArray,
                       running_mean: NDArray, running_var: NDArray) -> NDArray:
        _check_dtype(self, x, gamma)
        return F.BatchNorm(x, gamma, beta, running_mean, running_var, name="fwd",
                           **self._kwargs)

    def __repr__(self) -> str:
        content = ", ".join(f"{k}={v!r}" for k, v in self._kwargs.items())
        in_channels = self.gamma.shape[0]
        return f"{type(self).__name__}({content}, in_channels={in_channels or None})"


class BatchNormReLU(BatchNorm):
    """:class:`BatchNorm` followed by ``relu``, as one layer (prefix ``batchnormrelu``).

    MXNet 1.9.1 runs it as the fused ``contrib.BatchNormWithReLU`` operator, which only
    its MKL-DNN builds can execute; minigluon computes the same ``relu(BatchNorm(x))``.
    The parameters are :class:`BatchNorm`'s.
    """

    def hybrid_forward(self, F: Any, x: NDArray, gamma: NDArray, beta: NDArray,
                       running_mean: NDArray, running_var: NDArray) -> NDArray:
        return F.relu(super().hybrid_forward(F, x, gamma, beta, running_mean, running_var))
