"""Transposed convolution (``nd.Deconvolution``) and upsampling (``nd.UpSampling``): the
operators that make feature maps larger, as fully convolutional networks (FCN) need.

A transposed convolution is the adjoint of a convolution: each input pixel stamps the
kernel, scaled by its value, onto the output at ``i * stride``; overlapping stamps add
up. Its backward is then an ordinary convolution of the output gradient (windows read
with the same kernel, stride and dilation). MXNet's weight has shape (in_channels,
num_filter / num_group, *kernel), the transpose of a convolution's.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..base import MinigluonError, NotAvailableError
from . import Op, frozen_op, register_op

Shape = tuple[int, ...]


def _windows(xp: np.ndarray, kernel: Shape, stride: Shape, dilate: Shape, out: Shape
             ) -> np.ndarray:
    """A view (N, C, *out, *kernel) of ``xp``: ``[..., o, k]`` reads ``o * stride + k *
    dilate`` on each spatial axis."""
    span = tuple((k - 1) * d + 1 for k, d in zip(kernel, dilate))
    win = sliding_window_view(xp, span, axis=tuple(range(2, 2 + len(kernel))))
    keep = tuple(slice(0, (o - 1) * s + 1, s) for o, s in zip(out, stride))
    taps = tuple(slice(None, None, d) for d in dilate)
    return win[(slice(None), slice(None)) + keep + taps]


def _stamp(shape: Shape, dtype: Any, kernel: Shape, stride: Shape, dilate: Shape, inp: Shape,
           piece: Callable[[Shape], np.ndarray]) -> np.ndarray:
    """The adjoint of :func:`_windows`: adds ``piece(k)`` (N, C, *inp) at the positions
    ``i * stride + k * dilate`` of a zero array of ``shape``, one kernel offset at a time."""
    y = np.zeros(shape, dtype=dtype)
    for k in np.ndindex(*kernel):
        at = tuple(slice(ki * d, ki * d + (n - 1) * s + 1, s)
                   for ki, d, s, n in zip(k, dilate, stride, inp))
        y[(slice(None), slice(None)) + at] += piece(k)
    return y


@register_op
@frozen_op
class Deconvolution(Op):
    """y = col2im(x W) + b.   VJP: dx = conv(g, W), dW = x^T im2col(g), db = sum of g

    ``y[n, f, i * stride + k * dilate - pad] += x[n, c, i] * w[c, f, k]``: the transpose of
    the convolution with the same kernel, stride, dilation and padding; ``adj`` adds
    pixels at the end of each axis. With groups, group ``j``'s input channels make group
    ``j``'s outputs.
    """

    name = "Deconvolution"
    inputs = ("data", "weight", "bias")
    expose = False  # nd.Deconvolution is written by hand: bias is optional, target_shape
    kernel: Shape = (3, 3)
    stride: Shape = (1, 1)
    dilate: Shape = (1, 1)
    pad: Shape = (0, 0)
    adj: Shape = (0, 0)
    num_group: int = 1

    def out_shape(self, spatial: Shape) -> Shape:
        """The output's spatial size for an input of spatial size ``spatial``."""
        return tuple(s * (n - 1) + (k - 1) * d + 1 - 2 * p + a for n, s, k, d, p, a in
                     zip(spatial, self.stride, self.kernel, self.dilate, self.pad, self.adj))

    def _full(self, spatial: Shape) -> Shape:
        return tuple(o + 2 * p for o, p in zip(self.out_shape(spatial), self.pad))

    def forward(self, x, w, b=None):
        nsp = len(self.kernel)
        if x.ndim != nsp + 2:
            raise MinigluonError(f"Deconvolution: the input has shape {x.shape}, but a "
                                 f"{nsp}-D kernel needs {nsp + 2}-D input")
        n, c = x.shape[:2]
        g = self.num_group
        if c % g or w.shape[0] != c or w.shape[2:] != self.kernel:
            raise MinigluonError(f"Deconvolution: weight has shape {w.shape}, expected "
                                 f"({c}, num_filter/{g}, *{self.kernel}) for input "
                                 f"{x.shape}")
        fg = w.shape[1]
        inp = x.shape[2:]
        out = self.out_shape(inp)
        if min(out) <= 0:
            raise MinigluonError(f"Deconvolution: pad={self.pad} leaves no output for input "
                                 f"{x.shape}")
        # per group: (N, *inp, C/G) @ (C/G, F/G * K) -> the stamp of every input pixel
        xg = np.moveaxis(x.reshape((n, g, c // g) + inp), 2, -1)  # (N, G, *inp, C/G)
        wg = w.reshape(g, c // g, -1)  # (G, C/G, F/G * K)
        cols = np.einsum("ng...c,gcf->ng...f", xg, wg, optimize=True)
        cols = cols.reshape((n, g) + inp + (fg,) + self.kernel)
        order = (0, 1, 2 + nsp) + tuple(range(2, 2 + nsp)) + tuple(
            range(3 + nsp, 3 + 2 * nsp))
        cols = cols.transpose(order).reshape((n, g * fg) + inp + self.kernel)
        full = _stamp((n, g * fg) + self._full(inp), x.dtype, self.kernel, self.stride,
                      self.dilate, inp, lambda k: cols[(Ellipsis,) + k])
        y = full[(slice(None), slice(None)) + tuple(slice(p, p + o)
                                                    for p, o in zip(self.pad, out))]
        y = np.ascontiguousarray(y)
        if b is not None:
            y += b.reshape((-1,) + (1,) * nsp)
        return y, (x, w, b is not None)

    def vjp(self, res, g):
        x, w, has_bias = res
        nsp = len(self.kernel)
        n, c = x.shape[:2]
        grp, fg = self.num_group, w.shape[1]
        inp = x.shape[2:]
        gp = np.pad(g, [(0, 0), (0, 0)] + [(p, p) for p in self.pad])
        win = _windows(gp, self.kernel, self.stride, self.dilate, inp)  # (N, F, *inp, *K)
        win = win.reshape((n, grp, fg) + inp + self.kernel)
        xg = x.reshape((n, grp, c // grp) + inp)
        wg = w.reshape((grp, c // grp, fg) + self.kernel)
        sp = "ijk"[:nsp]
        kk = "pqr"[:nsp]
        dx = np.einsum(f"ngf{sp}{kk},gcf{kk}->ngc{sp}", win, wg, optimize=True)
        dw = np.einsum(f"ngc{sp},ngf{sp}{kk}->gcf{kk}", xg, win, optimize=True)
        grads = [dx.reshape(x.shape), dw.reshape(w.shape)]
        if has_bias:
            grads.append(g.sum(axis=(0,) + tuple(range(2, g.ndim))))
        return grads

    @classmethod
    def samples(cls, rng):
        n = rng.normal
        return [
            (cls(kernel=(3, 3), stride=(2, 2), pad=(1, 1), adj=(1, 1)),
             [n(size=(2, 2, 3, 3)), n(size=(2, 3, 3, 3)), n(size=3)]),
            (cls(kernel=(2, 3), stride=(1, 2), dilate=(2, 1), num_group=2),
             [n(size=(1, 4, 3, 2)), n(size=(4, 1, 2, 3))]),
            (cls(kernel=(3,), stride=(3,), dilate=(1,), pad=(1,), adj=(0,)),
             [n(size=(2, 1, 4)), n(size=(1, 2, 3))]),
            (cls(kernel=(2, 2, 2), stride=(2, 1, 2), dilate=(1, 1, 1), pad=(0, 1, 0),
                 adj=(1, 0, 0)),
             [n(size=(1, 2, 2, 3, 2)), n(size=(2, 1, 2, 2, 2)), n(size=1)]),
        ]


@register_op
@frozen_op
class UpSamplingNearest(Op):
    """y[:, :, i, j] = x[:, :, i // s, j // s].   VJP: dx = g summed over each s x s block

    With several inputs, each is enlarged to the first's size times ``scale`` and the
    results are concatenated on the channel axis (``mode='concat'``) or added (``'sum'``).
    """

    name = "_UpSamplingNearest"
    inputs = ("*data",)
    expose = False  # nd.UpSampling chooses between this and the bilinear kernel
    scale: int = 2
    mode: str = "concat"

    def _scales(self, xs: Sequence[np.ndarray]) -> list[int]:
        oh, ow = xs[0].shape[2] * self.scale, xs[0].shape[3] * self.scale
        scales = []
        for i, x in enumerate(xs):
            if x.ndim != 4:
                raise MinigluonError(f"UpSampling: input {i} has shape {x.shape}; it must "
                                     "be 4-D (batch, channel, height, width)")
            if oh % x.shape[2] or ow % x.shape[3] or oh // x.shape[2] != ow // x.shape[3]:
                raise MinigluonError(f"UpSampling: input {i} of shape {x.shape} cannot be "
                                     f"enlarged to {oh}x{ow} by a whole factor")
            scales.append(oh // x.shape[2])
        return scales

    def forward(self, *xs):
        scales = self._scales(xs)
        ups = [x.repeat(s, axis=2).repeat(s, axis=3) for x, s in zip(xs, scales)]
        if len(ups) == 1:
            y = ups[0]
        elif self.mode == "sum":
            shapes = {u.shape for u in ups}
            if len(shapes) != 1:
                raise MinigluonError("UpSampling multi_input_mode='sum' needs the same number "
                                     f"of channels in every input, got {[x.shape for x in xs]}")
            y = np.sum(ups, axis=0)
        else:
            y = np.concatenate(ups, axis=1)
        return y, (tuple(x.shape for x in xs), tuple(scales))

    def vjp(self, res, g):
        shapes, scales = res
        grads, at = [], 0
        for shape, s in zip(shapes, scales):
            if self.mode == "sum" or len(shapes) == 1:
                part = g
            else:
                part = g[:, at:at + shape[1]]
                at += shape[1]
            n, c, h, w = shape
            grads.append(part.reshape(n, c, h, s, w, s).sum(axis=(3, 5)))
        return grads

    @classmethod
    def samples(cls, rng):
        n = rng.normal
        return [
            (cls(scale=2), [n(size=(2, 3, 2, 3))]),
            (cls(scale=2, mode="concat"), [n(size=(1, 2, 2, 2)), n(size=(1, 1, 1, 1))]),
            (cls(scale=3, mode="sum"), [n(size=(1, 2, 2, 2)), n(size=(1, 2, 3, 3))]),
        ]


# ---- nd functions -----------------------------------------------------------------------


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


def _nda() -> Any:
    from ..ndarray import ndarray as _ndarray

    return _ndarray


def _write_out(out: Any, res: Any) -> Any:
    if out is None:
        return res
    from ..ndarray import _write_out as write

    return write(out, res)


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
    nda = _nda()
    if weight is None:
        raise MinigluonError("Deconvolution needs a weight array")
    if kernel is None or kernel == ():
        raise MinigluonError("Deconvolution needs kernel=")
    kernel = _tuple("kernel", kernel, len(kernel) if not isinstance(kernel, int) else 1, 1)
    nsp = len(kernel)
    if layout is not None and layout != _LAYOUTS.get(nsp):
        raise NotAvailableError(f"Deconvolution layout={layout!r} is not available in "
                                f"minigluon: only channel-first {_LAYOUTS.get(nsp)} is")
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
    op = Deconvolution(kernel=kernel, stride=stride_t, dilate=dilate_t, pad=pad_t, adj=adj_t,
                       num_group=groups)
    args = [data, weight] if no_bias or bias is None else [data, weight, bias]
    return _write_out(out, nda.invoke(op, [nda.as_ndarray(a, data) for a in args]))


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
    nda = _nda()
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
        op = UpSamplingNearest(scale=scale, mode=multi_input_mode)
        return _write_out(out, nda.invoke(op, [nda.as_ndarray(a, arrays[0]) for a in arrays]))
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


def _attach(functions: Sequence[tuple[str, Callable[..., Any]]]) -> None:
    nd = sys.modules["minigluon.ndarray"]  # still being imported: it imports the ops
    for name, fn in functions:
        fn.__name__ = fn.__qualname__ = name
        setattr(nd, name, fn)


_attach([("Deconvolution", deconvolution), ("UpSampling", upsampling)])
