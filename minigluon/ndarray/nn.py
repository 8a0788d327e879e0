"""The hand-written ``nd`` functions of the CNN operators: ``nd.Convolution``,
``nd.Pooling`` and ``nd.BatchNorm``.

They take MXNet's parameter spellings (a kernel as an int or a tuple, an optional bias,
``cudnn_*`` knobs that do nothing here), build the operator of :mod:`minigluon.ops.conv`
or :mod:`minigluon.ops.norm`, and run it. ``nd.BatchNorm`` reads the autograd mode and
gives its operator the callback that updates the moving statistics at backward time.

An operator whose ``nd`` function must be written by hand gets it here (or in a sibling
``ndarray/<theme>.py`` imported by ``ndarray/__init__``), never in its ``ops/`` file:
operators do not import the array layer (``tests/test_layering.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .._tape import STATE
from ..base import MinigluonError, MXNetError, NotAvailableError
from ..ops.conv import (
    _LAYOUTS,
    Convolution as _ConvolutionOp,
    Pooling as _PoolingOp,
    _check_layout,
    _tuple,
)
from ..ops.norm import BatchNorm as _BatchNormOp
from .ndarray import NDArray, _write_out, as_ndarray, invoke

__all__ = ["Convolution", "Pooling", "BatchNorm"]


def convolution(data: Any, weight: Any = None, bias: Any = None, kernel: Any = None,
                stride: Any = None, dilate: Any = None, pad: Any = None,
                num_filter: int | None = None, num_group: int = 1, workspace: int = 1024,
                no_bias: bool = False, cudnn_tune: Any = None, cudnn_off: bool = False,
                layout: str | None = None, out: Any = None, name: str | None = None,
                **kw: Any) -> Any:
    """Convolution of ``data`` (N, C, *spatial) with ``weight`` (num_filter,
    C/num_group, *kernel), plus ``bias`` unless ``no_bias``.

    ``kernel`` and ``num_filter`` are checked against ``weight`` (and read from it when
    omitted). ``stride``, ``dilate`` and ``pad`` are tuples, one value per spatial axis.

    Examples
    --------
    >>> from minigluon import nd
    >>> x = nd.arange(16).reshape((1, 1, 4, 4))
    >>> nd.Convolution(x, nd.ones((1, 1, 2, 2)), kernel=(2, 2), num_filter=1, no_bias=True,
    ...                stride=(2, 2))
    <BLANKLINE>
    [[[[10. 18.]
       [42. 50.]]]]
    <NDArray 1x1x2x2 @cpu(0)>
    """
    if weight is None:
        raise MinigluonError("Convolution needs a weight array")
    kernel = tuple(weight.shape[2:]) if kernel is None else \
        _tuple("kernel", kernel, weight.ndim - 2, 1)
    nsp = len(kernel)
    if layout is not None and layout != _LAYOUTS.get(nsp):
        # MXNet 1.9.1's CPU convolution checks the layout when it runs
        raise MXNetError(f"Convolution: layout={layout!r} is not supported on CPU; MXNet "
                         "1.9.1 only supports NCW, NCHW and NCDHW layout there (transpose "
                         "the input to channels first)")
    if kernel != tuple(weight.shape[2:]) or (num_filter is not None and
                                              num_filter != weight.shape[0]):
        raise MinigluonError(f"Convolution: weight has shape {weight.shape}, which does not "
                             f"match kernel={kernel}, num_filter={num_filter}")
    op = _ConvolutionOp(kernel=kernel, stride=_tuple("stride", stride, nsp, 1),
                        dilate=_tuple("dilate", dilate, nsp, 1),
                        pad=_tuple("pad", pad, nsp, 0), num_group=int(num_group))
    args = [data, weight] if no_bias or bias is None else [data, weight, bias]
    res = invoke(op, [as_ndarray(a, data) for a in args])
    return res if out is None else _write_out(out, res)


def pooling(data: Any, kernel: Any = None, pool_type: str = "max", global_pool: bool = False,
            cudnn_off: bool = False, pooling_convention: str = "valid", stride: Any = None,
            pad: Any = None, p_value: Any = None, count_include_pad: bool | None = None,
            layout: str | None = None, out: Any = None, name: str | None = None,
            **kw: Any) -> Any:
    """Max, average or sum pooling of ``data`` (N, C, *spatial) over windows of size
    ``kernel``; ``global_pool`` pools over all of each channel (``kernel`` is then ignored).

    ``layout`` may also be channels last (NWC, NHWC, NDHWC): the input is then (N,
    *spatial, C), and so is the output.

    ``stride`` defaults to 1 and ``pad`` to 0 (the Gluon layers default the stride to the
    pool size). ``pooling_convention='full'`` rounds the output size up instead of down.
    ``count_include_pad`` (average only, default True) counts padding in the divisor.

    Examples
    --------
    >>> from minigluon import nd
    >>> x = nd.arange(16).reshape((1, 1, 4, 4))
    >>> nd.Pooling(x, kernel=(2, 2), stride=(2, 2), pool_type='max')
    <BLANKLINE>
    [[[[ 5.  7.]
       [13. 15.]]]]
    <NDArray 1x1x2x2 @cpu(0)>
    """
    nsp = data.ndim - 2
    if layout is not None and nsp in _LAST and layout == _LAST[nsp]:
        # channels last: the channel-first operator between two transposes
        first = (0, nsp + 1) + tuple(range(1, nsp + 1))
        res = pooling(data.transpose(first), kernel, pool_type, global_pool, cudnn_off,
                      pooling_convention, stride, pad, p_value, count_include_pad)
        res = res.transpose((0,) + tuple(range(2, nsp + 2)) + (1,))
        return res if out is None else _write_out(out, res)
    if not global_pool and (kernel is None or kernel == ()):
        raise MinigluonError("Pooling needs kernel= unless global_pool=True")
    if nsp not in _LAYOUTS:
        raise MinigluonError(f"Pooling: the input has shape {data.shape}; it must be 3-, 4- "
                             "or 5-D (batch, channel, 1 to 3 spatial axes)")
    kern = _tuple("kernel", kernel, nsp, 1) if not global_pool else (1,) * nsp
    if pooling_convention not in ("valid", "full"):
        raise NotAvailableError(f"Pooling pooling_convention={pooling_convention!r} is not "
                                "available in minigluon (use 'valid' or 'full')")
    if pool_type not in ("max", "avg", "sum"):
        raise NotAvailableError(f"Pooling pool_type={pool_type!r} is not available in "
                                "minigluon (use 'max', 'avg' or 'sum')")
    _check_layout("Pooling", layout, nsp)
    op = _PoolingOp(kernel=kern, pool_type=pool_type, stride=_tuple("stride", stride, nsp, 1),
                    pad=_tuple("pad", pad, nsp, 0), global_pool=bool(global_pool),
                    pooling_convention=pooling_convention,
                    count_include_pad=True if count_include_pad is None else
                    bool(count_include_pad))
    res = invoke(op, [data])
    return res if out is None else _write_out(out, res)


_LAST = {1: "NWC", 2: "NHWC", 3: "NDHWC"}
_EPS = float(np.float32(1e-3))  # MXNet's default: 1e-3 rounded to float32, kept as a double


def batch_norm(data: Any, gamma: Any = None, beta: Any = None, moving_mean: Any = None,
               moving_var: Any = None, eps: float = _EPS, momentum: float = 0.9,
               fix_gamma: bool = True, use_global_stats: bool = False,
               output_mean_var: bool = False, axis: int = 1, cudnn_off: bool = False,
               out: Any = None, name: str | None = None, **kw: Any) -> Any:
    """Batch normalization over every axis but ``axis`` (the channels).

    In training mode (``autograd.is_training()``) the batch's mean and (biased) variance
    are used, and the backward pass updates ``moving_mean`` and ``moving_var`` in place:
    ``moving = moving * momentum + batch * (1 - momentum)``. Otherwise, or with
    ``use_global_stats``, the moving statistics are used. ``fix_gamma`` takes gamma as 1
    (and its gradient as 0) and, as MXNet does, writes ones into ``gamma``. The default
    ``eps`` is 1e-3, MXNet's (Gluon passes 1e-5).

    Examples
    --------
    >>> from minigluon import nd, autograd
    >>> x = nd.array([[1.0], [3.0]])
    >>> mean, var = nd.zeros(1), nd.ones(1)
    >>> with autograd.train_mode():
    ...     nd.BatchNorm(x, nd.ones(1), nd.zeros(1), mean, var, eps=0)
    <BLANKLINE>
    [[-1.]
     [ 1.]]
    <NDArray 2x1 @cpu(0)>
    """
    if output_mean_var:
        raise NotAvailableError("BatchNorm output_mean_var=True is not available in "
                                "minigluon")
    missing = [n for n, v in (("gamma", gamma), ("beta", beta), ("moving_mean", moving_mean),
                              ("moving_var", moving_var)) if v is None]
    if missing:
        raise MinigluonError(f"BatchNorm needs {', '.join(missing)}")
    if not -data.ndim <= axis < data.ndim:
        raise MinigluonError(f"BatchNorm: axis {axis} is out of range for input of shape "
                             f"{data.shape}")
    batch_stats = STATE.training and not use_global_stats
    op = _BatchNormOp(eps=float(eps), momentum=float(momentum), fix_gamma=bool(fix_gamma),
                      batch_stats=batch_stats, axis=int(axis),
                      on_batch_stats=_moving_update(moving_mean, moving_var, momentum)
                      if batch_stats else None)
    args = [data, gamma, beta] + ([] if batch_stats else [moving_mean, moving_var])
    res = invoke(op, args)
    if fix_gamma and isinstance(gamma, NDArray):
        # MXNet's kernel writes the ones it uses into gamma itself (the graph kept none of
        # gamma's values, so no recorded result goes stale)
        gamma._assign_(None, 1)
    return res if out is None else _write_out(out, res)


def _moving_update(moving_mean: NDArray, moving_var: NDArray, momentum: float
                   ) -> Callable[[np.ndarray, np.ndarray], None]:
    """The ``on_batch_stats`` callback of one BatchNorm call: at backward time, in training
    mode, ``moving = moving * momentum + batch * (1 - momentum)``, written in place."""
    mu = float(np.float32(momentum))  # MXNet stores momentum as a float32

    def on_batch_stats(mean: np.ndarray, var: np.ndarray) -> None:
        if not STATE.training:  # backward(train_mode=False) leaves them alone
            return
        for arr, batch in ((moving_mean, mean), (moving_var, var)):
            arr._assign_(None, arr._data * mu + batch * (1 - mu))

    return on_batch_stats


Convolution = convolution
Pooling = pooling
BatchNorm = batch_norm
for _name, _fn in (("Convolution", convolution), ("Pooling", pooling),
                   ("BatchNorm", batch_norm)):
    _fn.__name__ = _fn.__qualname__ = _name
