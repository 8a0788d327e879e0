"""Matrix products. Backward products are written ``g @ B.T`` and ``A.T @ g`` so BLAS
reads the transposes in place instead of copying them."""

from __future__ import annotations

import numpy as np

from ..base import MinigluonError
from ._op import Op, frozen_op, register_op


def _ta(x, flag: bool):
    # MXNet's transpose_a contracts the first axis of an N-D lhs (a plain .T for 2-D)
    return x if not flag else x.T if x.ndim <= 2 else np.moveaxis(x, 0, -1)


def _tb(x, flag: bool):
    # ... and transpose_b the last axis of an N-D rhs
    return x if not flag else x.T if x.ndim <= 2 else np.moveaxis(x, -1, 0)


def _untb(g, flag: bool, ndim: int):
    return g if not flag else g.T if ndim <= 2 else np.moveaxis(g, 0, -1)


def _unta(g, flag: bool, ndim: int):
    return g if not flag else g.T if ndim <= 2 else np.moveaxis(g, -1, 0)


@register_op
@frozen_op
class Dot(Op):
    """y = A . B (last axis of A with first axis of B).   VJP: dA = g B^T, dB = A^T g"""

    name = "dot"
    method = "dot"
    inputs = ("lhs", "rhs")
    saves = ("x0", "x1")
    transpose_a: bool = False
    transpose_b: bool = False

    def forward(self, a, b):
        if a.ndim == 2 and b.ndim == 2 and a.shape[1] == b.shape[0] and not (
                self.transpose_a or self.transpose_b):
            return a @ b, (a, b)  # the common matrix product, without the general case
        A, B = _ta(a, self.transpose_a), _tb(b, self.transpose_b)
        if A.ndim == 0 or B.ndim == 0 or A.shape[-1] != B.shape[0]:
            raise MinigluonError(
                f"dot shape error: lhs {A.shape} and rhs {B.shape} do not fit: the last axis "
                f"of lhs ({A.shape[-1] if A.ndim else '-'}) must equal the first axis of rhs "
                f"({B.shape[0] if B.ndim else '-'})")
        if A.ndim <= 2 and B.ndim <= 2:
            y = A @ B
        else:
            y = (A.reshape(-1, A.shape[-1]) @ B.reshape(B.shape[0], -1)).reshape(
                A.shape[:-1] + B.shape[1:])
        return (y.reshape(1) if y.ndim == 0 else y), (a, b)

    def vjp(self, res, g):
        return self.vjp_some(res, g, (True, True))

    def vjp_some(self, res, g, needs):
        a, b = res
        if a.ndim == 2 and b.ndim == 2 and not (self.transpose_a or self.transpose_b):
            # matrices: the general case's reshapes are all no-ops (the same products)
            return (g @ b.T if needs[0] else None), (a.T @ g if needs[1] else None)
        A, B = _ta(a, self.transpose_a), _tb(b, self.transpose_b)
        k = A.shape[-1]
        A2, B2 = A.reshape(-1, k), B.reshape(k, -1)
        g2 = g.reshape(A2.shape[0], B2.shape[1])
        gA = _unta((g2 @ B2.T).reshape(A.shape), self.transpose_a, a.ndim) if needs[0] else None
        gB = _untb((A2.T @ g2).reshape(B.shape), self.transpose_b, b.ndim) if needs[1] else None
        return gA, gB

    @classmethod
    def samples(cls, rng):
        n = rng.normal
        return [(cls(), [n(size=(3, 4)), n(size=(4, 2))]), (cls(), [n(size=(4,)), n(size=(4,))]),
                (cls(), [n(size=(3, 4)), n(size=(4,))]), (cls(), [n(size=(4,)), n(size=(4, 3))]),
                (cls(), [n(size=(2, 3, 4)), n(size=(4, 2))]),
                (cls(transpose_a=True), [n(size=(4, 3)), n(size=(4, 2))]),
                (cls(transpose_b=True), [n(size=(3, 4)), n(size=(2, 4))]),
                (cls(transpose_a=True), [n(size=(4, 2, 3)), n(size=(4, 5))]),
                (cls(transpose_b=True), [n(size=(2, 3)), n(size=(5, 4, 3))])]


@register_op
@frozen_op
class BatchDot(Op):
    """y[i] = A[i] . B[i].   VJP: dA[i] = g[i] B[i]^T, dB[i] = A[i]^T g[i]"""

    name = "batch_dot"
    inputs = ("lhs", "rhs")
    transpose_a: bool = False
    transpose_b: bool = False

    def forward(self, a, b):
        A = a.swapaxes(-1, -2) if self.transpose_a else a
        B = b.swapaxes(-1, -2) if self.transpose_b else b
        if A.ndim < 3 or A.shape[:-2] != B.shape[:-2] or A.shape[-1] != B.shape[-2]:
            raise MinigluonError(f"batch_dot shape error: lhs {A.shape} and rhs {B.shape} must "
                                 "be (batch..., n, k) and (batch..., k, m)")
        return A @ B, (a, b)

    def vjp(self, res, g):
        a, b = res
        A = a.swapaxes(-1, -2) if self.transpose_a else a
        B = b.swapaxes(-1, -2) if self.transpose_b else b
        gA = g @ B.swapaxes(-1, -2)
        gB = A.swapaxes(-1, -2) @ g
        return (gA.swapaxes(-1, -2) if self.transpose_a else gA,
                gB.swapaxes(-1, -2) if self.transpose_b else gB)

    @classmethod
    def samples(cls, rng):
        n = rng.normal
        return [(cls(), [n(size=(2, 3, 4)), n(size=(2, 4, 5))]),
                (cls(), [n(size=(2, 2, 3, 4)), n(size=(2, 2, 4, 2))]),
                (cls(True, True), [n(size=(2, 4, 3)), n(size=(2, 5, 4))])]


@register_op
@frozen_op
class FullyConnected(Op):
    """y = x W^T + b (x flattened to 2-D).   VJP: dx = g W, dW = g^T x, db = sum_rows(g)"""

    name = "FullyConnected"
    inputs = ("data", "weight", "bias")
    expose = False  # nd.FullyConnected is written by hand: bias is optional
    saves = ("x0", "x1")
    flatten: bool = True

    def _x2(self, x):
        return x.reshape(x.shape[0], -1) if self.flatten and x.ndim != 2 else x

    def forward(self, x, w, b=None):
        x2 = self._x2(x)
        if x2.shape[-1] != w.shape[1]:
            raise MinigluonError(
                f"FullyConnected shape error: input {x.shape} gives {x2.shape[-1]} features "
                f"but weight {w.shape} expects {w.shape[1]}")
        y = x2 @ w.T
        if b is not None:
            y += b  # y is a fresh array: adding in place saves one temporary
        return y, (x, w)

    def vjp(self, res, g):
        return self.vjp_some(res, g, (True, True, True))

    def vjp_some(self, res, g, needs):
        x, w = res
        g2 = g.reshape(-1, g.shape[-1])
        gx = (g @ w).reshape(x.shape) if needs[0] else None  # not for the data of layer 1
        x2 = self._x2(x)
        gw = g2.T @ x2.reshape(-1, x2.shape[-1]) if needs[1] else None
        gb = g2.sum(axis=0) if len(needs) > 2 and needs[2] else None
        return (gx, gw, gb)

    @classmethod
    def samples(cls, rng):
        n = rng.normal
        return [(cls(), [n(size=(3, 4)), n(size=(2, 4)), n(size=(2,))]),
                (cls(), [n(size=(3, 2, 2)), n(size=(2, 4)), n(size=(2,))]),
                (cls(flatten=False), [n(size=(3, 2, 4)), n(size=(5, 4)), n(size=(5,))])]
