"""The hand-written ``nd`` functions of the operators of :mod:`minigluon.ops.deconv`:
``nd.Deconvolution`` (optional bias, ``target_shape``) and ``nd.UpSampling`` (nearest
with any number of inputs, or bilinear through a transposed convolution)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..base import MinigluonError
from ..ops.deconv import (
    Deconvolution as _DeconvolutionOp,
    UpSamplingNearest as _UpSamplingNearestOp,
)
from .ndarray import _write_out, as_ndarray, invoke

__all__ = ["Deconvolution", "UpSampling"]

Shape = tuple[int, ...]


def _tuple(name: str, v: Any, n: int, default: int) -> Shape:
    if v is None or v == ():
        return (default,) * n
    if isinstance(v, (int, np.integer)):
        return (int(v),) * n
    v = tuple(int(i) for i in v)
    if len(v) != n:
        raise MinigluonError(f"{name}={v} has {len(v)} values, but the kernel has {n} "
                             "spatial dimensions")
    return v


_LAYOUTS = {1: "NCW", 2: "NCHW", 3: "NCDHW"}


def deconvolution(data: Any, weight: Any = None, bias: Any = None, kernel: Any = None,
                  stride: Any = None, dilate: Any = None, pad: Any = None, adj: Any = None,
                  target_shape: Any = None, num_filter: int | None = None, num_group: int = 1,
                  workspace: int = 512, no_bias: bool = True, cudnn_tune: Any = None,
                  cudnn_off: bool = False, layout: str | None = None, out: Any = None,
                  name: str | None = None, **kw: Any) -> Any:
    """Transposed convolution of ``data`` (N, C, *spatial) with ``weight`` (C,
    num_filter/num_group, *kernel); ``bias`` is added only with ``no_bias=False`` (MXNet's
    default is True).

    The output size is ``stride * (in - 1) + dilate * (kernel - 1) + 1 - 2 * pad + adj``.
    A ``target_shape`` (output spatial size) replaces ``pad`` and ``adj``: MXNet then takes
    ``total = stride * (in - 1) + dilate * (kernel - 1) + 1 - target``,
    ``pad = (total + 1) // 2`` and ``adj = total % 2``.

    Examples
    --------
    >>> from minigluon import nd
    >>> x = nd.array([[[[1.0, 2.0]]]])
    >>> nd.Deconvolution(x, nd.ones((1, 1, 1, 2)), kernel=(1, 2), stride=(1, 2),
    ...                  num_filter=1)
    <BLANKLINE>
    [[[[1. 1. 2. 2.]]]]
    <NDArray 1x1x1x4 @cpu(0)>
    """
    if weight is None:
        raise MinigluonError("Deconvolution needs a weight array")
    if kernel is None or kernel == ():
        raise MinigluonError("Deconvolution needs kernel=")
    kernel = _tuple("kernel", kernel, len(kernel) if not isinstance(kernel, int) else 1, 1)
    nsp = len(kernel)
    if layout is not None and layout != _LAYOUTS.get(nsp):
        # as MXNet 1.9.1's CPU deconvolution, which checks the layout when it runs
        raise MinigluonError(f"Deconvolution: layout={layout!r} is not supported on CPU; "
                             f"MXNet 1.9.1 only supports channel-first {_LAYOUTS.get(nsp)} "
                             "there (transpose the input to channels first)")
    if data.ndim != nsp + 2:
        raise MinigluonError(f"Deconvolution: the input has shape {data.shape}, but "
                             f"kernel={kernel} needs {nsp + 2}-D input")
    groups = int(num_group)
    c = data.shape[1]
    want = (c, (num_filter if num_filter is not None else weight.shape[1] * groups) // groups
            ) + kernel
    if tuple(weight.shape) != want:
        raise MinigluonError(f"Deconvolution: weight has shape {weight.shape}, expected "
                             f"{want} (in_channels, num_filter/num_group, *kernel)")
    stride_t = _tuple("stride", stride, nsp, 1)
    dilate_t = _tuple("dilate", dilate, nsp, 1)
    pad_t, adj_t = _tuple("pad", pad, nsp, 0), _tuple("adj", adj, nsp, 0)
    if target_shape is not None and any(int(t) != 0 for t in target_shape):
        target = _tuple("target_shape", target_shape, nsp, 0)
        pads, adjs = [], []
        for n_in, s, k, d, t in zip(data.shape[2:], stride_t, kernel, dilate_t, target):
            total = s * (n_in - 1) + (k - 1) * d + 1
            if total < t:
                raise MinigluonError(f"Deconvolution: target_shape={target} is too big for "
                                     f"input {data.shape}")
            total -= t
            pads.append((total + 1) // 2)
            adjs.append(total % 2)
        pad_t, adj_t = tuple(pads), tuple(adjs)
    for a, s, d in zip(adj_t, stride_t, dilate_t):
        if a >= max(s, d):
            raise MinigluonError(f"Deconvolution: adj={adj_t} must be smaller than stride="
                                 f"{stride_t} or dilate={dilate_t}")
    op = _DeconvolutionOp(kernel=kernel, stride=stride_t, dilate=dilate_t, pad=pad_t, adj=adj_t,
                       num_group=groups)
    args = [data, weight] if no_bias or bias is None else [data, weight, bias]
    return _wo(out, invoke(op, [as_ndarray(a, data) for a in args]))


def upsampling(*data: Any, scale: int = 1, num_filter: int = 0,
               sample_type: str = "nearest", multi_input_mode: str = "concat",
               num_args: int | None = None, workspace: int = 512, out: Any = None,
               name: str | None = None, **kw: Any) -> Any:
    """Enlarge (N, C, H, W) inputs ``scale`` times.

    ``sample_type='nearest'`` repeats pixels; several inputs are each enlarged to the
    first one's size times ``scale``, then concatenated on the channels
    (``multi_input_mode='concat'``) or added (``'sum'``). ``sample_type='bilinear'`` takes
    ``(data, weight)`` and is MXNet's transposed convolution with stride ``scale``, kernel
    ``2 * scale - scale % 2``, padding ``ceil((scale - 1) / 2)`` and one group per channel:
    ``weight`` has shape (num_filter, 1, kernel, kernel), and is learnt (initialise it with
    ``init.Bilinear()`` for bilinear interpolation).

    Examples
    --------
    >>> from minigluon import nd
    >>> nd.UpSampling(nd.array([[[[1.0, 2.0]]]]), scale=2, sample_type='nearest')
    <BLANKLINE>
    [[[[1. 1. 2. 2.]
       [1. 1. 2. 2.]]]]
    <NDArray 1x1x2x4 @cpu(0)>
    """
    scale = int(scale)
    if scale < 1:
        raise MinigluonError(f"UpSampling: scale={scale} must be at least 1")
    if multi_input_mode not in ("concat", "sum"):
        raise MinigluonError(f"UpSampling: multi_input_mode={multi_input_mode!r} is not one "
                             "of 'concat', 'sum'")
    arrays = list(data)
    if not arrays:
        raise MinigluonError("UpSampling needs at least one input array")
    if sample_type == "nearest":
        if num_args is not None and int(num_args) != len(arrays):
            raise MinigluonError(f"UpSampling: num_args={num_args} but {len(arrays)} inputs "
                                 "were given")
        op = _UpSamplingNearestOp(scale=scale, mode=multi_input_mode)
        return _wo(out, invoke(op, [as_ndarray(a, arrays[0]) for a in arrays]))
    if sample_type != "bilinear":
        raise MinigluonError(f"UpSampling: sample_type={sample_type!r} is not one of "
                             "'nearest', 'bilinear'")
    if len(arrays) != 2:
        raise MinigluonError(f"UpSampling sample_type='bilinear' takes (data, weight), got "
                             f"{len(arrays)} arrays")
    x, w = arrays
    k = 2 * scale - scale % 2
    if int(num_filter) != x.shape[1]:
        raise MinigluonError(f"UpSampling bilinear: num_filter={num_filter} must equal the "
                             f"input's channels ({x.shape[1]})")
    return deconvolution(x, w, kernel=(k, k), stride=(scale, scale),
                         pad=(math.ceil((scale - 1) / 2),) * 2, num_filter=int(num_filter),
                         num_group=int(num_filter), no_bias=True, out=out)


def _wo(out: Any, res: Any) -> Any:
    return res if out is None else _write_out(out, res)


Deconvolution = deconvolution
UpSampling = upsampling
for _name, _fn in (("Deconvolution", deconvolution), ("UpSampling", upsampling)):
    _fn.__name__ = _fn.__qualname__ = _name
