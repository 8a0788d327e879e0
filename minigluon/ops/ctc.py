"""Connectionist temporal classification (``CTCLoss``, alias ``ctc_loss``): the negative log
likelihood of a label sequence under all the alignments a per-step softmax allows.

``data`` (T, N, C) holds unnormalized scores; one class is the *blank*: class 0 with
``blank_label='first'`` (labels padded with 0) or class C-1 with ``blank_label='last'``
(labels padded with -1, what ``gluon.loss.CTCLoss`` uses). ``label`` (N, L) is cut at its
first padding value unless ``label_lengths`` is given.

The forward pass is the alpha (forward) and beta (backward) recursions of Graves et al.
(2006) in log space, over the extended label ``l'`` = blank, l1, blank, l2, ..., blank of
S = 2·len + 1 states; the VJP is the classical softmax-minus-occupancy formula, which needs
both. The lengths and the label are data: their gradient is zero, as in MXNet.

Where MXNet 1.9.1 returns memory garbage minigluon differs on purpose: a label value
outside the classes (or equal to the blank) and lengths beyond the arrays are refused with
an error; an empty label gives ``-log P(all blanks)`` (MXNet: garbage). A label that cannot
fit in its sequence (len + repeats > T) gives loss 0, as MXNet, and gradient 0 (MXNet:
uninitialized memory).
"""

from __future__ import annotations

import numpy as np

from ..base import MinigluonError
from ._op import Op, frozen_op, register_op


def _logsumexp(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.logaddexp(a, b)


def _labels(label: np.ndarray, lens: np.ndarray | None, blank: int, c: int
            ) -> tuple[np.ndarray, np.ndarray]:
    """Integer labels (N, L) and each one's length, checked against the classes."""
    lab = label.astype(np.int64)
    n, width = lab.shape
    pad = 0 if blank == 0 else -1
    if lens is None:
        is_pad = lab == pad
        ln = np.where(is_pad.any(axis=1), is_pad.argmax(axis=1), width)
    else:
        ln = lens.astype(np.int64)
        bad = np.flatnonzero((ln < 0) | (ln > width))
        if bad.size:
            i = int(bad[0])
            raise MinigluonError(f"CTCLoss: label_lengths[{i}] = {lens[i]:g} is outside "
                                 f"[0, {width}] (the label has {width} columns)")
    used = np.arange(width)[None, :] < ln[:, None]
    bad = used & ((lab < 0) | (lab >= c) | (lab == blank))
    if bad.any():
        i, j = map(int, np.argwhere(bad)[0])
        raise MinigluonError(
            f"CTCLoss: label[{i}, {j}] = {label[i, j]:g} is not a class: with "
            f"blank_label={'first' if blank == 0 else 'last'!r} and {c} classes the labels "
            f"are {'1' if blank == 0 else '0'}..{c - 1 if blank == 0 else c - 2} (the blank "
            f"is {blank}, padding {pad})")
    return lab, ln


@register_op
@frozen_op
class CTCLoss(Op):
    """y[n] = -log P[n], P = sum over paths of prod_t p[t, n, path_t].   VJP: dx = g (p - occ/P)

    ``p = softmax(x)`` over the classes; ``occ[t, n, c]`` sums alpha·beta/p over the
    states of class c (Graves et al., 2006, eq. 16).
    """

    name = "CTCLoss"
    inputs = ("*data",)  # data, label, then data_lengths and label_lengths when used
    expose = False  # nd.CTCLoss is written by hand: its lengths are optional
    use_data_lengths: bool = False
    use_label_lengths: bool = False
    blank_label: str = "first"

    def forward(self, x, label, *lengths):
        if x.ndim != 3:
            raise MinigluonError(f"CTCLoss: data has shape {x.shape}; it must be 3-D "
                                 "(sequence_length, batch_size, alphabet_size)")
        if label.ndim != 2:
            raise MinigluonError(f"CTCLoss: label has shape {label.shape}; it must be 2-D "
                                 "(batch_size, label_sequence_length)")
        t_max, n, c = x.shape
        if label.shape[0] != n:
            raise MinigluonError(f"CTCLoss: the batch size for the labels and data arrays "
                                 f"must be the same ({label.shape[0]} vs. {n})")
        lengths = list(lengths)
        dlen = lengths.pop(0) if self.use_data_lengths else None
        llen = lengths.pop(0) if self.use_label_lengths else None
        for what, v in (("data_lengths", dlen), ("label_lengths", llen)):
            if v is not None and v.shape != (n,):
                raise MinigluonError(f"CTCLoss: {what} has shape {v.shape}, expected ({n},)")
        if dlen is None:
            tn = np.full(n, t_max)
        else:
            tn = dlen.astype(np.int64)
            bad = np.flatnonzero((tn < 1) | (tn > t_max))
            if bad.size:
                i = int(bad[0])
                raise MinigluonError(f"CTCLoss: data_lengths[{i}] = {dlen[i]:g} is outside "
                                     f"[1, {t_max}] (data has {t_max} time steps)")
        blank = 0 if self.blank_label == "first" else c - 1
        lab, ln = _labels(label, llen, blank, c)

        # the extended labels l' (N, S): blank, l1, blank, l2, ..., blank
        s_max = 2 * lab.shape[1] + 1
        ext = np.full((n, s_max), blank, dtype=np.int64)
        ext[:, 1::2] = np.where(lab >= 0, lab, blank)
        sn = 2 * ln + 1
        valid = np.arange(s_max)[None, :] < sn[:, None]
        # a state may be entered from two back when it is a label differing from l'[s-2]
        skip = np.zeros((n, s_max), dtype=bool)
        skip[:, 2:] = (ext[:, 2:] != blank) & (ext[:, 2:] != ext[:, :-2])

        lp = x - x.max(axis=2, keepdims=True)
        lp = lp - np.log(np.exp(lp).sum(axis=2, keepdims=True))  # log softmax (T, N, C)
        bi = np.arange(n)[:, None]
        le = lp[:, bi, ext]  # (T, N, S): log p of each state's class
        ninf = np.array(-np.inf, dtype=x.dtype)

        def shift(a, k):
            out = np.full_like(a, ninf)
            out[:, k:] = a[:, :-k]
            return out

        alpha = np.full((t_max, n, s_max), ninf)
        alpha[0, :, :2] = le[0, :, :2]
        alpha[0] = np.where(valid, alpha[0], ninf)
        for t in range(1, t_max):
            a = alpha[t - 1]
            a = _logsumexp(_logsumexp(a, shift(a, 1)), np.where(skip, shift(a, 2), ninf))
            alpha[t] = np.where(valid, a + le[t], ninf)
        last = alpha[tn - 1, np.arange(n)]  # (N, S) at each sequence's final step
        ends = np.stack([np.take_along_axis(last, (sn - 1)[:, None], 1)[:, 0],
                         np.take_along_axis(last, np.maximum(sn - 2, 0)[:, None], 1)[:, 0]])
        ends[1, ln == 0] = ninf  # an empty label has one end state only
        logp = _logsumexp(ends[0], ends[1])
        feasible = np.isfinite(logp)
        loss = np.where(feasible, -logp, 0.0).astype(x.dtype)
        return loss, (alpha, le, lp, ext, skip, valid, sn, tn, logp, feasible)

    def vjp(self, res, g):
        alpha, le, lp, ext, skip, valid, sn, tn, logp, feasible = res
        t_max, n, s_max = alpha.shape
        ninf = -np.inf
        idx = np.arange(n)

        def unshift(a, k):
            out = np.full_like(a, ninf)
            out[:, :-k] = a[:, k:]
            return out

        skip_from = np.zeros_like(skip)  # state s may go to s + 2
        skip_from[:, :-2] = skip[:, 2:]
        beta = np.full_like(alpha, ninf)
        end = np.zeros((n, s_max), dtype=bool)
        end[idx, sn - 1] = True
        end[idx, np.maximum(sn - 2, 0)] = True
        for t in range(t_max - 1, -1, -1):
            if t < t_max - 1:
                b = beta[t + 1]
                b = _logsumexp(_logsumexp(b, unshift(b, 1)),
                               np.where(skip_from, unshift(b, 2), ninf))
                b = np.where(valid & (t < tn - 1)[:, None], b + le[t], ninf)
            else:
                b = np.full((n, s_max), ninf)
            beta[t] = np.where((t == tn - 1)[:, None] & end & valid, le[t], b)
        # occupancy of each state, divided by its class probability: alpha·beta / (y·P)
        with np.errstate(invalid="ignore"):
            occ = np.exp(alpha + beta - le - np.where(feasible, logp, 0.0)[None, :, None])
        occ = np.nan_to_num(occ)
        grad = np.exp(lp)
        for s in range(s_max):  # S is small: one scatter per state
            grad[:, idx, ext[:, s]] -= occ[:, :, s]
        live = (np.arange(t_max)[:, None] < tn[None, :]) & feasible[None, :]
        grad = np.where(live[:, :, None], grad, 0.0) * g[None, :, None]
        return [grad.astype(lp.dtype)] + [None] * (1 + self.use_data_lengths
                                                   + self.use_label_lengths)

    @classmethod
    def samples(cls, rng):
        x = rng.normal(size=(6, 3, 4))
        first = np.array([[1.0, 2.0, 0.0], [3.0, 3.0, 0.0], [2.0, 0.0, 0.0]])
        last = np.array([[0.0, 1.0, -1.0], [2.0, 2.0, 2.0], [-1.0, -1.0, -1.0]])
        return [(cls(), [x, first]),
                (cls(blank_label="last"), [x, last]),
                (cls(use_data_lengths=True, use_label_lengths=True),
                 [x, first, np.array([6.0, 5.0, 3.0]), np.array([1.0, 2.0, 1.0])])]


@register_op
@frozen_op
class CtcLoss(CTCLoss):
    """y[n] = -log P[n] (MXNet's other name of CTCLoss).   VJP: dx = g (p - occ/P)"""

    name = "ctc_loss"
