"""MXNet's output (loss-layer) operators: SoftmaxOutput, the three regression outputs and
MakeLoss. Their forward is the prediction; their backward ignores the head gradient and
returns the gradient of the loss they stand for (the label gets none), as MXNet's do, so
``y.backward()`` on the prediction trains the network. Each declares that loss
(:meth:`Op.implied_loss`): the test suite checks the VJP against it instead of against
the forward."""

from __future__ import annotations

import numpy as np

from ..base import MinigluonError
from ._op import Op, frozen_op, register_op


def _softmax_rows(x: np.ndarray, axis: int) -> np.ndarray:
    z = x - x.max(axis=axis, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=axis, keepdims=True)


@register_op
@frozen_op
class SoftmaxOutput(Op):
    """y = softmax(x) per example.   VJP: dx = (y - onehot(label)) * grad_scale / norm
    (times y if out_grad; the head gradient ignored, label gets none)"""

    name = "SoftmaxOutput"
    inputs = ("data", "label")
    grad_scale: float = 1.0
    ignore_label: float = -1.0
    multi_output: bool = False
    use_ignore: bool = False
    preserve_shape: bool = False
    normalization: str = "null"
    out_grad: bool = False
    smooth_alpha: float = 0.0

    def _axis(self, x: np.ndarray) -> int | None:
        # the class axis; None: the softmax runs over everything but the batch axis
        if self.preserve_shape:
            return x.ndim - 1
        if self.multi_output:
            return 1
        return None

    def forward(self, x, label):
        if self.normalization not in ("null", "batch", "valid"):
            raise MinigluonError(f"SoftmaxOutput: normalization {self.normalization!r} is "
                                 "not one of 'batch', 'null', 'valid'")
        ax = self._axis(x)
        if ax is None:
            y = _softmax_rows(x.reshape(x.shape[0], -1), 1).reshape(x.shape)
        else:
            y = _softmax_rows(x, ax)
        return y.astype(x.dtype, copy=False), (y, label)

    def vjp(self, res, g):
        y, label = res
        scale = float(self.grad_scale)
        if label.shape == y.shape:
            # probabilities as labels: MXNet applies no normalization here
            dx = (y - label) * scale
        else:
            ax = self._axis(y)
            rows = (y.reshape(y.shape[0], -1) if ax is None
                    else np.moveaxis(y, ax, -1).reshape(-1, y.shape[ax]))
            lab = label.reshape(-1)
            if lab.size != rows.shape[0]:
                raise MinigluonError(f"SoftmaxOutput: label of shape {label.shape} does not "
                                     f"fit data of shape {y.shape}")
            k = rows.shape[1]
            idx = np.trunc(lab).astype(np.int64)
            hit = (idx >= 0) & (idx < k)  # MXNet's one-hot has no 1 for out-of-range labels
            target = np.zeros_like(rows)
            if self.smooth_alpha:
                target[:] = self.smooth_alpha / (k - 1)
            target[np.nonzero(hit)[0], idx[hit]] = 1 - self.smooth_alpha
            d = rows - target
            ignored = lab == self.ignore_label
            if self.use_ignore:
                d[ignored] = 0
            if self.normalization == "batch":
                scale /= lab.size  # the number of softmax rows, as MXNet counts the batch
            elif self.normalization == "valid":
                # counted whether or not use_ignore is set, as MXNet does
                scale /= max(int((~ignored).sum()), 1)
            d *= scale
            dx = (d.reshape(y.shape) if ax is None else np.moveaxis(
                d.reshape(np.moveaxis(y, ax, -1).shape), -1, ax))
        if self.out_grad:
            # MXNet 1.9.1 multiplies by the output, not by the head gradient (observed)
            dx = dx * y
        return dx.astype(y.dtype, copy=False), None

    def implied_loss(self, x, label):
        # cross-entropy of the softmax (plain labels, no smoothing or ignoring in samples)
        y, _ = self.forward(x, label)
        ax = self._axis(y)
        rows = (y.reshape(y.shape[0], -1) if ax is None
                else np.moveaxis(y, ax, -1).reshape(-1, y.shape[ax]))
        idx = label.reshape(-1).astype(np.int64)
        norm = idx.size if self.normalization == "batch" else 1
        return -np.log(rows[np.arange(idx.size), idx]).sum() * self.grad_scale / norm

    @classmethod
    def samples(cls, rng):
        return [(cls(), [rng.normal(size=(3, 4)), np.array([1.0, 0, 3])]),
                (cls(grad_scale=2.0, normalization="batch"),
                 [rng.normal(size=(2, 3)), np.array([2.0, 0])]),
                (cls(multi_output=True), [rng.normal(size=(2, 3, 2)),
                                          np.array([[1.0, 0], [2, 1]])]),
                (cls(preserve_shape=True), [rng.normal(size=(2, 2, 3)),
                                            np.array([[1.0, 0], [2, 1]])])]


def _regression_label(x: np.ndarray, label: np.ndarray, name: str) -> np.ndarray:
    # MXNet takes a label of the data's size in the data's shape ((N,) for (N, 1) data)
    if label.size != x.size:
        raise MinigluonError(f"{name}: label of shape {label.shape} does not fit data of "
                             f"shape {x.shape}")
    return label.reshape(x.shape)


def _per_example(x: np.ndarray) -> int:
    """The outputs per example (MXNet's regression outputs divide their gradient by it)."""
    return x.size // x.shape[0] if x.ndim else 1


class _Regression(Op):
    """Shared by the regression outputs: y = f(x); dx = d(y, label) * grad_scale / m,
    m = outputs per example (size / batch)."""

    inputs = ("data", "label")
    grad_scale: float = 1.0

    def pred(self, x: np.ndarray) -> np.ndarray:
        return x.copy()

    def diff(self, y: np.ndarray, label: np.ndarray) -> np.ndarray:
        return y - label

    def forward(self, x, label):
        y = self.pred(x).astype(x.dtype, copy=False)
        return y, (y, _regression_label(x, label, self.name))

    def vjp(self, res, g):
        y, label = res
        scale = self.grad_scale / max(_per_example(y), 1)
        return (self.diff(y, label) * scale).astype(y.dtype, copy=False), None

    @classmethod
    def samples(cls, rng):
        return [(cls(), [rng.normal(size=(3, 4)), rng.uniform(size=(3, 4))]),
                (cls(grad_scale=2.0), [rng.normal(size=(2, 3, 2)), rng.uniform(size=(2, 6))]),
                (cls(), [rng.normal(size=(3,)), rng.uniform(size=(3,))])]


@register_op
@frozen_op
class LinearRegressionOutput(_Regression):
    """y = x.   VJP: dx = (y - label) * grad_scale / m (head gradient ignored)"""

    name = "LinearRegressionOutput"
    grad_scale: float = 1.0

    def implied_loss(self, x, label):
        m = _per_example(x)
        return 0.5 * ((x - label.reshape(x.shape)) ** 2).sum() * self.grad_scale / m


@register_op
@frozen_op
class LogisticRegressionOutput(_Regression):
    """y = sigmoid(x).   VJP: dx = (y - label) * grad_scale / m (head gradient ignored)"""

    name = "LogisticRegressionOutput"
    grad_scale: float = 1.0

    def pred(self, x):
        return 1 / (1 + np.exp(-x))

    def implied_loss(self, x, label):
        m = _per_example(x)
        t = label.reshape(x.shape)
        # binary cross-entropy on the logits
        bce = np.maximum(x, 0) - x * t + np.log1p(np.exp(-np.abs(x)))
        return bce.sum() * self.grad_scale / m


@register_op
@frozen_op
class MAERegressionOutput(_Regression):
    """y = x.   VJP: dx = sign(y - label) * grad_scale / m (head gradient ignored)"""

    name = "MAERegressionOutput"
    grad_scale: float = 1.0

    def diff(self, y, label):
        return np.sign(y - label)

    def implied_loss(self, x, label):
        m = _per_example(x)
        return np.abs(x - label.reshape(x.shape)).sum() * self.grad_scale / m


@register_op
@frozen_op
class MakeLoss(Op):
    """y = x.   VJP: dx = grad_scale / norm (head gradient ignored; norm 1, batch size,
    or the count of x > valid_thresh)"""

    name = "MakeLoss"
    grad_scale: float = 1.0
    valid_thresh: float = 0.0
    normalization: str = "null"

    def forward(self, x):
        if self.normalization not in ("null", "batch", "valid"):
            raise MinigluonError(f"MakeLoss: normalization {self.normalization!r} is not "
                                 "one of 'batch', 'null', 'valid'")
        return x.copy(), (x,)

    def vjp(self, res, g):
        (x,) = res
        scale = float(self.grad_scale)
        if self.normalization == "batch":
            scale /= x.shape[0] if x.ndim else 1
        elif self.normalization == "valid":
            scale /= max(int((x > self.valid_thresh).sum()), 1)
        return (np.full(x.shape, scale, dtype=x.dtype),)

    def implied_loss(self, x):
        # the sum of the losses (the normalization counts are constant near the samples)
        n = x.shape[0] if self.normalization == "batch" else 1
        return x.sum() * self.grad_scale / n

    @classmethod
    def samples(cls, rng):
        return [(cls(), [rng.normal(size=(2, 3))]),
                (cls(grad_scale=3.0, normalization="batch"), [rng.normal(size=(4, 2))])]
