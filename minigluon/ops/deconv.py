"""Transposed convolution (``nd.Deconvolution``) and upsampling (``nd.UpSampling``): the
operators that make feature maps larger, as fully convolutional networks (FCN) need.

A transposed convolution is the adjoint of a convolution: each input pixel stamps the
kernel, scaled by its value, onto the output at ``i * stride``; overlapping stamps add
up. Its backward is then an ordinary convolution of the output gradient (windows read
with the same kernel, stride and dilation). MXNet's weight has shape (in_channels,
num_filter / num_group, *kernel), the transpose of a convolution's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..base import MinigluonError
from ._op import Op, frozen_op, register_op

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
    expose = False  # nd.Deconvolution (ndarray/deconv.py): optional bias, target_shape
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
    expose = False  # nd.UpSampling (ndarray/deconv.py) chooses it or the bilinear kernel
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
