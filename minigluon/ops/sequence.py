"""Operators of variable-length sequences (``SequenceMask``, ``SequenceLast``,
``SequenceReverse``) and the n-ary sum ``add_n`` (alias ``ElementWiseSum``).

A batch of sequences is one array with a time axis (``axis=0``: (T, N, ...), or
``axis=1``: (N, T, ...)); ``sequence_length`` (N,) gives each sequence's true length
(MXNet truncates fractional lengths towards zero). The length input is data, never
differentiated: its gradient is zero, as in MXNet.

MXNet reads out of range when a length exceeds T (``SequenceLast``, ``SequenceReverse``)
or is 0 (``SequenceLast``) and returns memory garbage; minigluon refuses such lengths
with an error naming the offending sequence. The ``nd`` functions, whose
``sequence_length`` is optional, are in :mod:`minigluon.ndarray.sequence`.
"""

from __future__ import annotations

import numpy as np

from ..base import MinigluonError
from ._op import Op, frozen_op, register_op


def _lengths(name: str, data: np.ndarray, lens: np.ndarray, axis: int,
             low: int | None, high: bool) -> np.ndarray:
    """Integer lengths, checked against the batch size and (optionally) the range."""
    batch_axis = 1 - axis
    if lens.shape != (data.shape[batch_axis],):
        raise MinigluonError(
            f"{name}: sequence_length has shape {lens.shape}, expected "
            f"({data.shape[batch_axis]},) (the batch axis {batch_axis} of data {data.shape})")
    n = np.trunc(lens).astype(np.int64)
    t = data.shape[axis]
    bad = np.flatnonzero((n < (low if low is not None else -np.inf)) | ((n > t) if high
                                                                         else False))
    if bad.size:
        i = int(bad[0])
        raise MinigluonError(
            f"{name}: sequence_length[{i}] = {lens[i]:g} is outside "
            f"[{low if low is not None else 0}, {t}] (the time axis {axis} has {t} steps)")
    return n


def _check(name: str, data: np.ndarray, axis: int, axes: tuple[int, ...]) -> None:
    if data.ndim < 2:
        raise MinigluonError(f"{name}: the data array must be of rank 2 or greater, got "
                             f"shape {data.shape}")
    if axis not in axes:
        raise MinigluonError(f"{name}: axis={axis} is not supported, the implementation "
                             f"expects axis to be {' or '.join(map(str, axes))}")


def _time_mask(n: np.ndarray, t: int, axis: int, ndim: int) -> np.ndarray:
    """Boolean mask, broadcastable to the data, true at steps inside each sequence."""
    keep = np.arange(t)[:, None] < n[None, :]  # (T, N)
    if axis == 1:
        keep = keep.T
    return keep.reshape(keep.shape + (1,) * (ndim - 2))


@register_op
@frozen_op
class SequenceMask(Op):
    """y[t, b] = x[t, b] if t < len[b] else value.   VJP: dx = g where t < len[b], else 0"""

    name = "SequenceMask"
    inputs = ("*data",)  # data, and sequence_length when use_sequence_length
    expose = False  # nd.SequenceMask is written by hand: sequence_length is optional
    saves = ("c",)
    use_sequence_length: bool = False
    value: float = 0.0
    axis: int = 0

    def forward(self, x, lens=None):
        _check("SequenceMask", x, self.axis, (0, 1))
        if not self.use_sequence_length:
            return x.copy(), (None,)
        n = _lengths("SequenceMask", x, lens, self.axis, None, False)
        keep = _time_mask(n, x.shape[self.axis], self.axis, x.ndim)
        return np.where(keep, x, np.asarray(self.value, dtype=x.dtype)), (keep,)

    def vjp(self, res, g):
        (keep,) = res
        if keep is None:
            return [g]
        return [g * keep, None]

    @classmethod
    def samples(cls, rng):
        x = rng.normal(size=(4, 3, 2))
        lens = np.array([1.0, 0.0, 3.0])
        return [(cls(use_sequence_length=True, value=-1.0), [x, lens]),
                (cls(use_sequence_length=True, axis=1), [x.transpose(1, 0, 2).copy(), lens]),
                (cls(), [x])]


@register_op
@frozen_op
class SequenceLast(Op):
    """y[b] = x[len[b] - 1, b] (the last step of each sequence).   VJP: dx[len[b] - 1, b] = g[b]"""

    name = "SequenceLast"
    inputs = ("*data",)
    expose = False
    saves = ("c",)
    use_sequence_length: bool = False
    axis: int = 0

    def forward(self, x, lens=None):
        _check("SequenceLast", x, self.axis, (0, 1))
        t = x.shape[self.axis]
        if self.use_sequence_length:
            idx = _lengths("SequenceLast", x, lens, self.axis, 1, True) - 1
        else:
            idx = np.full(x.shape[1 - self.axis], t - 1)
        b = np.arange(x.shape[1 - self.axis])
        y = x[idx, b] if self.axis == 0 else x[b, idx]
        return y, (idx, x.shape, x.dtype)

    def vjp(self, res, g):
        idx, shape, dtype = res
        b = np.arange(len(idx))
        dx = np.zeros(shape, dtype=g.dtype)
        if self.axis == 0:
            dx[idx, b] = g
        else:
            dx[b, idx] = g
        return [dx] if not self.use_sequence_length else [dx, None]

    @classmethod
    def samples(cls, rng):
        x = rng.normal(size=(4, 3, 2))
        lens = np.array([1.0, 4.0, 2.0])
        return [(cls(use_sequence_length=True), [x, lens]),
                (cls(use_sequence_length=True, axis=1), [x.transpose(1, 0, 2).copy(), lens]),
                (cls(), [x]), (cls(axis=1), [x])]


@register_op
@frozen_op
class SequenceReverse(Op):
    """y[t, b] = x[len[b]-1-t, b] for t < len[b], else x[t, b].   VJP: dx = g reversed alike"""

    name = "SequenceReverse"
    inputs = ("*data",)
    expose = False
    saves = ("c",)
    use_sequence_length: bool = False
    axis: int = 0

    def forward(self, x, lens=None):
        _check("SequenceReverse", x, self.axis, (0,))
        t, nb = x.shape[0], x.shape[1]
        if self.use_sequence_length:
            n = _lengths("SequenceReverse", x, lens, 0, None, True)
        else:
            n = np.full(nb, t)
        steps = np.arange(t)[:, None]
        src = np.where(steps < n[None, :], n[None, :] - 1 - steps, steps)  # (T, N)
        y = x[src, np.arange(nb)[None, :]]
        return y, (src,)

    def vjp(self, res, g):
        (src,) = res
        # the permutation is its own inverse: reversing twice gives the identity
        dx = g[src, np.arange(g.shape[1])[None, :]]
        return [dx] if not self.use_sequence_length else [dx, None]

    @classmethod
    def samples(cls, rng):
        x = rng.normal(size=(4, 3, 2))
        return [(cls(use_sequence_length=True), [x, np.array([0.0, 4.0, 2.0])]),
                (cls(), [x[..., 0]])]


@register_op
@frozen_op
class AddN(Op):
    """y = x1 + x2 + ... + xn (same shapes).   VJP: dxi = g for every i"""

    name = "add_n"
    inputs = ("*data",)
    saves = ()

    def forward(self, *xs):
        if not xs:
            raise MinigluonError("add_n needs at least one array")
        shape = xs[0].shape
        for i, x in enumerate(xs[1:], 1):
            if x.shape != shape:
                raise MinigluonError(f"add_n: input {i} has shape {x.shape}, expected "
                                     f"{shape} (all inputs need the same shape)")
        y = xs[0].copy()
        for x in xs[1:]:
            y += x
        return y, (len(xs),)

    def vjp(self, res, g):
        return [g] * res[0]

    @classmethod
    def samples(cls, rng):
        n = rng.normal
        return [(cls(), [n(size=(2, 3)), n(size=(2, 3)), n(size=(2, 3))]),
                (cls(), [n(size=(4,))])]


@register_op
@frozen_op
class ElementWiseSum(AddN):
    """y = x1 + x2 + ... + xn (MXNet's other name of add_n).   VJP: dxi = g for every i"""

    name = "ElementWiseSum"
