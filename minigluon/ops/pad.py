"""Padding of the spatial axes of 4-D and 5-D arrays (``Pad``; ``nd.pad`` is the same
operator): a constant, the edge value repeated (``'edge'``), or the array mirrored without
repeating its edge (``'reflect'``), as MXNet 1.9.1's ``nd.pad``.

``pad_width`` has two numbers (before, after) per axis, 8 for 4-D input and 10 for 5-D;
MXNet pads only the spatial axes, so the first four must be zero. The VJP of a padding
sends each output gradient back to the input element it copies: a slice for
``'constant'``; for ``'edge'`` and ``'reflect'`` the copies add up on the elements they
repeat, one axis at a time.
"""

from __future__ import annotations

import numpy as np

from ..base import MinigluonError
from ._op import Op, frozen_op, register_op

_MODES = ("constant", "edge", "reflect")


def _widths(shape: tuple[int, ...], pad_width: tuple[int, ...], mode: str
            ) -> list[tuple[int, int]]:
    if len(shape) not in (4, 5):
        raise MinigluonError(f"pad: the input has shape {shape}; the current implementation "
                             "only supports 4-D or 5-D input")
    if len(pad_width) != 2 * len(shape):
        raise MinigluonError(f"pad: pad_width has {len(pad_width)} values, expected "
                             f"{2 * len(shape)} (before, after) for each axis of {shape}")
    pairs = [(int(pad_width[2 * i]), int(pad_width[2 * i + 1])) for i in range(len(shape))]
    if any(p != (0, 0) for p in pairs[:2]):
        raise MinigluonError(f"pad: pad_width={tuple(pad_width)} pads the batch or channel "
                             "axis; the padding on the first two axes must be zero")
    if any(b < 0 or a < 0 for b, a in pairs):
        raise MinigluonError(f"pad: pad_width={tuple(pad_width)} has a negative width")
    if mode == "reflect":
        for ax, ((b, a), n) in enumerate(zip(pairs, shape)):
            if b >= n or a >= n:
                raise MinigluonError(
                    f"pad: reflection padding must be smaller than the input size: axis "
                    f"{ax} has {n} elements and pad_width ({b}, {a})")
    return pairs


@register_op
@frozen_op
class Pad(Op):
    """y = x padded (constant, edge or reflect).   VJP: dx = g summed onto the copied elements"""

    name = "Pad"
    saves = ("c",)
    mode: str = "constant"
    pad_width: tuple[int, ...] = ()
    constant_value: float = 0.0

    def __attrs_post_init__(self) -> None:
        if self.mode not in _MODES:
            raise MinigluonError(f"pad: mode={self.mode!r} must be one of {_MODES}")

    def forward(self, x):
        pairs = _widths(x.shape, self.pad_width, self.mode)
        if self.mode == "constant":
            y = np.pad(x, pairs, mode="constant",
                       constant_values=np.asarray(self.constant_value, dtype=x.dtype))
        else:
            y = np.pad(x, pairs, mode=self.mode)
        return y, (pairs, x.shape)

    def vjp(self, res, g):
        pairs, shape = res
        for ax, ((b, a), n) in enumerate(zip(pairs, shape)):
            if b == 0 and a == 0:
                continue
            if self.mode == "constant":
                g = np.take(g, np.arange(b, b + n), axis=ax)
                continue
            src = np.pad(np.arange(n), (b, a), mode=self.mode)  # the input index of each
            acc = np.zeros(g.shape[:ax] + (n,) + g.shape[ax + 1:], dtype=g.dtype)
            np.add.at(acc, (slice(None),) * ax + (src,), g)
            g = acc
        return (g,)

    @classmethod
    def samples(cls, rng):
        x = rng.normal(size=(2, 1, 3, 4))
        return [(cls(mode="reflect", pad_width=(0, 0, 0, 0, 2, 1, 1, 3)), [x]),
                (cls(mode="edge", pad_width=(0, 0, 0, 0, 1, 2, 3, 0)), [x]),
                (cls(mode="constant", pad_width=(0, 0, 0, 0, 1, 0, 2, 2),
                     constant_value=1.5), [x]),
                (cls(mode="reflect", pad_width=(0, 0, 0, 0, 1, 1, 0, 1, 2, 2)),
                 [rng.normal(size=(1, 2, 2, 3, 3))])]

