"""Losses, and the L2 regularizer of d2l section 3.14.

A loss is a HybridBlock called as ``loss(pred, label[, sample_weight])``. It returns one
value per example: the elementwise loss is averaged over every axis except ``batch_axis``,
so for ``batch_axis=0`` the result has shape (batch,). ``weight`` scales the loss;
``sample_weight`` multiplies it elementwise (with broadcasting) before the average.
"""

from __future__ import annotations

import numbers
import re
from collections.abc import Iterable
from typing import Any

import numpy as np

from ..ndarray.ndarray import NDArray, invoke
from ..ops import get_op
from .block import Block, HybridBlock
from .parameter import Parameter, ParameterDict

__all__ = ["Loss", "L2Loss", "L1Loss", "SigmoidBinaryCrossEntropyLoss", "SigmoidBCELoss",
           "SoftmaxCrossEntropyLoss", "SoftmaxCELoss", "KLDivLoss", "HuberLoss", "HingeLoss",
           "SquaredHingeLoss", "LogisticLoss", "L2Regularizer", "L2Penalty", "PoissonNLLLoss",
           "CosineEmbeddingLoss", "CTCLoss", "TripletLoss", "SDMLLoss"]


def _apply_weighting(F: Any, loss: NDArray, weight: Any = None,
                     sample_weight: Any = None) -> NDArray:
    if sample_weight is not None:
        loss = F.broadcast_mul(loss, sample_weight)
    if weight is not None:
        if not isinstance(weight, numbers.Number):
            raise AssertionError("weight must be a number")
        loss = loss * weight
    return loss


def _reshape_like(x: NDArray, y: NDArray) -> NDArray:
    """``x`` with the shape of ``y``: labels of shape (n,) fit predictions of (n, 1)."""
    return x.reshape(y.shape)


class Loss(HybridBlock):
    """Base class of losses.

    Parameters
    ----------
    weight : float or None
        Global scale of the loss.
    batch_axis : int
        The axis that indexes examples; the loss is averaged over all the others.
    """

    def __init__(self, weight: float | None, batch_axis: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._weight = weight
        self._batch_axis = batch_axis

    def __repr__(self) -> str:
        return f"{type(self).__name__}(batch_axis={self._batch_axis}, w={self._weight})"

    def _mean(self, F: Any, loss: NDArray) -> NDArray:
        return F.mean(loss, axis=self._batch_axis, exclude=True)

    def hybrid_forward(self, F: Any, x: Any, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError


class L2Loss(Loss):
    """``weight/2 · (pred − label)²``, averaged over the non-batch axes.

    The label is reshaped to the prediction's shape, so (n,) labels fit (n, 1)
    predictions. The gradient with respect to ``pred`` is ``weight·(pred − label)``
    (divided by the number of averaged elements).
    """

    def __init__(self, weight: float = 1., batch_axis: int = 0, **kwargs: Any) -> None:
        super().__init__(weight, batch_axis, **kwargs)

    def hybrid_forward(self, F: Any, pred: NDArray, label: NDArray,
                       sample_weight: Any = None) -> NDArray:
        label = _reshape_like(label, pred)
        loss = F.square(label - pred)
        loss = _apply_weighting(F, loss, self._weight / 2, sample_weight)
        return self._mean(F, loss)


class L1Loss(Loss):
    """``weight · |pred − label|``, averaged over the non-batch axes."""

    def __init__(self, weight: float | None = None, batch_axis: int = 0, **kwargs: Any
                 ) -> None:
        super().__init__(weight, batch_axis, **kwargs)

    def hybrid_forward(self, F: Any, pred: NDArray, label: NDArray,
                       sample_weight: Any = None) -> NDArray:
        label = _reshape_like(label, pred)
        loss = _apply_weighting(F, F.abs(label - pred), self._weight, sample_weight)
        return self._mean(F, loss)


class SigmoidBinaryCrossEntropyLoss(Loss):
    """Binary cross-entropy of ``sigmoid(pred)`` against labels in {0, 1}.

    Computed stably from the logits as ``max(x, 0) − x·z + log(1 + exp(−|x|))``; with
    ``from_sigmoid=True``, ``pred`` holds probabilities and the loss is
    ``−(z·log(p + 1e−12) + (1 − z)·log(1 − p + 1e−12))``. ``pos_weight`` (a call
    argument) scales the positive term.
    """

    def __init__(self, from_sigmoid: bool = False, weight: float | None = None,
                 batch_axis: int = 0, **kwargs: Any) -> None:
        super().__init__(weight, batch_axis, **kwargs)
        self._from_sigmoid = from_sigmoid

    def hybrid_forward(self, F: Any, pred: NDArray, label: NDArray, sample_weight: Any = None,
                       pos_weight: Any = None) -> NDArray:
        label = _reshape_like(label, pred)
        if not self._from_sigmoid:
            softplus = F.Activation(-F.abs(pred), act_type="softrelu")
            if pos_weight is None:
                loss = F.relu(pred) - pred * label + softplus
            else:
                log_weight = 1 + F.broadcast_mul(pos_weight - 1, label)
                loss = pred - pred * label + log_weight * (softplus + F.relu(-pred))
        else:
            eps = 1e-12
            pos = F.log(pred + eps) * label
            if pos_weight is not None:
                pos = F.broadcast_mul(pos, pos_weight)
            loss = -(pos + F.log(1. - pred + eps) * (1. - label))
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return self._mean(F, loss)


SigmoidBCELoss = SigmoidBinaryCrossEntropyLoss


def _check_labels(label: NDArray, n: int, axis: int, pred_shape: tuple[int, ...]) -> None:
    """Refuse labels outside [0, n) (MXNet silently clips them to the nearest class)."""
    lab = label._data
    if lab.size and 0 <= lab.min() and lab.max() < n:  # NaN fails both; -0.5 is checked below
        return
    if lab.dtype.kind == "f":
        bad = ~np.isfinite(lab)
        idx = np.trunc(np.where(bad, 0, lab))  # float labels are truncated, as in MXNet
    else:
        bad = np.zeros(lab.shape, dtype=bool)
        idx = lab
    bad |= (idx < 0) | (idx >= n)
    if bad.any():
        value = lab[bad].flat[0]
        raise IndexError(
            f"label {value.item()!r} is out of range for {n} classes: class labels must lie in "
            f"[0, {n - 1}] (axis {axis} of the prediction, of shape {pred_shape}, indexes "
            "the classes)")


class SoftmaxCrossEntropyLoss(Loss):
    """Cross-entropy of ``softmax(pred)`` along ``axis`` against the labels.

    With ``sparse_label=True`` (the default) a label is a class index (float labels are
    truncated); an index outside [0, classes) raises IndexError (MXNet clips it). With
    ``sparse_label=False`` a label is a distribution of the prediction's shape and the
    loss is ``−Σ label·log_softmax(pred)``. ``from_logits=True`` takes ``pred`` as
    log-probabilities already.

    The log-softmax and the pick are one fused, numerically stable operator whose
    gradient is ``softmax(pred) − onehot(label)``.

    ``axis`` only chooses the class axis; the average still runs over every axis but
    ``batch_axis``: with ``axis=0`` and ``batch_axis=0`` the result has shape (1,), the
    mean over all examples (as in MXNet).
    """

    def __init__(self, axis: int = -1, sparse_label: bool = True, from_logits: bool = False,
                 weight: float | None = None, batch_axis: int = 0, **kwargs: Any) -> None:
        super().__init__(weight, batch_axis, **kwargs)
        self._axis = axis
        self._sparse_label = sparse_label
        self._from_logits = from_logits

    def hybrid_forward(self, F: Any, pred: NDArray, label: NDArray,
                       sample_weight: Any = None) -> NDArray:
        if self._sparse_label:
            ax = self._axis % pred.ndim
            per_row = pred.shape[:ax] + pred.shape[ax + 1:]
            if label.shape != per_row:
                label = label.reshape(per_row)  # (n, 1) labels, as pick accepts them
            _check_labels(label, pred.shape[ax], self._axis, pred.shape)
            if self._from_logits:
                loss = -F.pick(pred, label, axis=ax, keepdims=True)
            else:
                op = get_op("_softmax_cross_entropy")(axis=ax)
                loss = invoke(op, (pred, label))
                if pred.ndim == 2 and ax == 1 and self._weight is None and sample_weight is None \
                        and self._batch_axis == 0:
                    return loss  # one value per example already: the mean below is a no-op
                loss = F.expand_dims(loss, axis=ax)
        else:
            if not self._from_logits:
                pred = F.log_softmax(pred, self._axis)
            label = _reshape_like(label, pred)
            loss = -(pred * label).sum(axis=self._axis, keepdims=True)
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return self._mean(F, loss)


SoftmaxCELoss = SoftmaxCrossEntropyLoss


class KLDivLoss(Loss):
    """Kullback-Leibler divergence ``Σ label·(log(label + 1e−12) − pred)``, summed over
    the non-batch axes; ``pred`` holds log-probabilities unless ``from_logits=False``."""

    def __init__(self, from_logits: bool = True, axis: int = -1,
                 weight: float | None = None, batch_axis: int = 0, **kwargs: Any) -> None:
        super().__init__(weight, batch_axis, **kwargs)
        self._from_logits = from_logits
        self._axis = axis

    def hybrid_forward(self, F: Any, pred: NDArray, label: NDArray,
                       sample_weight: Any = None) -> NDArray:
        if not self._from_logits:
            pred = F.log_softmax(pred, self._axis)
        loss = label * (F.log(label + 1e-12) - pred)
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return F.sum(loss, axis=self._batch_axis, exclude=True)


class HuberLoss(Loss):
    """Smooth L1: ``0.5/rho·(pred − label)²`` where ``|pred − label| ≤ rho``,
    ``|pred − label| − 0.5·rho`` elsewhere."""

    def __init__(self, rho: float = 1, weight: float | None = None, batch_axis: int = 0,
                 **kwargs: Any) -> None:
        super().__init__(weight, batch_axis, **kwargs)
        self._rho = rho

    def hybrid_forward(self, F: Any, pred: NDArray, label: NDArray,
                       sample_weight: Any = None) -> NDArray:
        label = _reshape_like(label, pred)
        loss = F.abs(label - pred)
        loss = F.where(loss > self._rho, loss - 0.5 * self._rho,
                       (0.5 / self._rho) * F.square(loss))
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return self._mean(F, loss)


class HingeLoss(Loss):
    """``max(0, margin − pred·label)`` for labels in {−1, 1}."""

    def __init__(self, margin: float = 1, weight: float | None = None, batch_axis: int = 0,
                 **kwargs: Any) -> None:
        super().__init__(weight, batch_axis, **kwargs)
        self._margin = margin

    def hybrid_forward(self, F: Any, pred: NDArray, label: NDArray,
                       sample_weight: Any = None) -> NDArray:
        label = _reshape_like(label, pred)
        loss = _apply_weighting(F, F.relu(self._margin - pred * label), self._weight,
                                sample_weight)
        return self._mean(F, loss)


class SquaredHingeLoss(Loss):
    """``max(0, margin − pred·label)²`` for labels in {−1, 1}."""

    def __init__(self, margin: float = 1, weight: float | None = None, batch_axis: int = 0,
                 **kwargs: Any) -> None:
        super().__init__(weight, batch_axis, **kwargs)
        self._margin = margin

    def hybrid_forward(self, F: Any, pred: NDArray, label: NDArray,
                       sample_weight: Any = None) -> NDArray:
        label = _reshape_like(label, pred)
        loss = F.square(F.relu(self._margin - pred * label))
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return self._mean(F, loss)


class LogisticLoss(Loss):
    """``log(1 + exp(−pred·label))`` for labels in {−1, 1} (``label_format='signed'``)
    or {0, 1} (``'binary'``)."""

    def __init__(self, weight: float | None = None, batch_axis: int = 0,
                 label_format: str = "signed", **kwargs: Any) -> None:
        super().__init__(weight, batch_axis, **kwargs)
        self._label_format = label_format
        if label_format not in ("signed", "binary"):
            raise ValueError(f"label_format can only be signed or binary, recieved "
                             f"{label_format}.")

    def hybrid_forward(self, F: Any, pred: NDArray, label: NDArray,
                       sample_weight: Any = None) -> NDArray:
        label = _reshape_like(label, pred)
        if self._label_format == "signed":
            label = (label + 1.0) / 2.0  # {-1, 1} -> {0, 1}
        loss = F.relu(pred) - pred * label + \
            F.Activation(-F.abs(pred), act_type="softrelu")
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return self._mean(F, loss)


# ---- the L2 penalty of d2l 3.14 ------------------------------------------------------------

class PoissonNLLLoss(Loss):
    """Negative log-likelihood of ``target`` under a Poisson distribution of mean ``pred``:
    ``exp(pred) − target·pred`` (``from_logits``, pred is the log of the mean) or
    ``pred − target·log(pred + epsilon)``; with ``compute_full`` the Stirling term
    ``target·log(target) − target + ½·log(2π·target)`` is added where target > 1. As in
    MXNet, the result is the mean over *all* elements, shape (1,)."""

    def __init__(self, weight: float | None = None, from_logits: bool = True,
                 batch_axis: int = 0, compute_full: bool = False, **kwargs: Any) -> None:
        super().__init__(weight, batch_axis, **kwargs)
        self._from_logits = from_logits
        self._compute_full = compute_full

    def hybrid_forward(self, F: Any, pred: NDArray, target: NDArray,
                       sample_weight: Any = None, epsilon: float = 1e-08) -> NDArray:
        target = _reshape_like(target, pred)
        if self._from_logits:
            loss = F.exp(pred) - target * pred
        else:
            loss = pred - target * F.log(pred + epsilon)
        if self._compute_full:
            stirling = target * F.log(target) - target + 0.5 * F.log(2 * target * np.pi)
            loss = loss + stirling * (target > 1)
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return F.mean(loss)


class CosineEmbeddingLoss(Loss):
    """``1 − cos(input1, input2)`` for label 1 and ``max(0, cos(input1, input2) − margin)``
    for label −1, one value per example, shape (batch, 1); the cosine is taken along the
    last axis, its denominator at least 1e-12."""

    def __init__(self, weight: float | None = None, batch_axis: int = 0, margin: float = 0,
                 **kwargs: Any) -> None:
        super().__init__(weight, batch_axis, **kwargs)
        self._margin = margin

    def hybrid_forward(self, F: Any, input1: NDArray, input2: NDArray, label: NDArray,
                       sample_weight: Any = None) -> NDArray:
        input1 = _reshape_like(input1, input2)
        label = label.reshape((-1, 1))
        norms = F.norm(input1, axis=-1).reshape((-1, 1)) * \
            F.norm(input2, axis=-1).reshape((-1, 1))
        dot = F.sum(input1 * input2, axis=-1).reshape((-1, 1))
        cos_sim = dot / F.broadcast_maximum(norms, F.full((1, 1), 1e-12))
        similar = (1 - cos_sim) * (label == 1)
        dissimilar = F.broadcast_maximum(F.zeros((1, 1)),
                                         (label == -1) * (cos_sim - self._margin))
        loss = _apply_weighting(F, similar + dissimilar, self._weight, sample_weight)
        return loss


class TripletLoss(Loss):
    """``max(0, Σ(positive − pred)² − Σ(negative − pred)² + margin)``, the sums over every
    axis except ``batch_axis``; ``weight`` scales it and there is no ``sample_weight``."""

    def __init__(self, margin: float = 1, weight: float | None = None, batch_axis: int = 0,
                 **kwargs: Any) -> None:
        super().__init__(weight, batch_axis, **kwargs)
        self._margin = margin

    def hybrid_forward(self, F: Any, pred: NDArray, positive: NDArray,
                       negative: NDArray) -> NDArray:
        positive = _reshape_like(positive, pred)
        negative = _reshape_like(negative, pred)
        loss = F.sum(F.square(positive - pred) - F.square(negative - pred),
                     axis=self._batch_axis, exclude=True)
        loss = F.relu(loss + self._margin)
        return _apply_weighting(F, loss, self._weight, None)


class SDMLLoss(Loss):
    """Batchwise smoothed deep metric learning loss of two (batch, dim) inputs whose rows
    are positive pairs: ``KLDivLoss(from_logits=True)`` between
    ``log_softmax(−‖x1_i − x2_j‖², axis=1)`` and the identity matrix smoothed by
    ``smoothing_parameter``. As in MXNet, ``weight`` is accepted but not applied."""

    def __init__(self, smoothing_parameter: float = 0.3, weight: float | None = 1.0,
                 batch_axis: int = 0, **kwargs: Any) -> None:
        super().__init__(weight, batch_axis, **kwargs)
        self.kl_loss = KLDivLoss(from_logits=True)
        self.smoothing_parameter = smoothing_parameter

    def hybrid_forward(self, F: Any, x1: NDArray, x2: NDArray) -> NDArray:
        if x1.shape != x2.shape:
            raise AssertionError(f"SDMLLoss: x1 has shape {x1.shape} but x2 {x2.shape}")
        n, dim = x1.shape
        # a smoothed identity: 1 - s on the diagonal, s/(n-1) elsewhere
        gold = F.eye(n, dtype=np.dtype(x1.dtype).name)
        labels = gold * (1 - self.smoothing_parameter) + \
            (1 - gold) * self.smoothing_parameter / (n - 1)
        d = (F.broadcast_to(x1.expand_dims(1), (n, n, dim))
             - F.broadcast_to(x2.expand_dims(0), (n, n, dim))) ** 2
        return self.kl_loss(F.log_softmax(-d.sum(axis=2), axis=1), labels)


class CTCLoss(Loss):
    """Connectionist temporal classification loss (:func:`minigluon.nd.CTCLoss`), one value
    per sequence, shape (batch,).

    ``pred`` holds unnormalized scores, (batch, time, alphabet) for ``layout='NTC'`` or
    (time, batch, alphabet) for ``'TNC'``; its last class, ``alphabet - 1``, is the blank.
    ``label`` (batch, label_length) for ``label_layout='NT'`` or the transpose for ``'TN'``
    holds class indices from 0, padded with -1. ``pred_lengths`` and ``label_lengths``
    (batch,) are optional: without them every sequence uses the whole time axis and each
    label ends at its first -1.

    Parameters
    ----------
    layout : str
        'NTC' or 'TNC'.
    label_layout : str
        'NT' or 'TN'.
    weight : float or None
        Global scale of the loss.

    Examples
    --------
    >>> from minigluon import nd, gluon
    >>> loss = gluon.loss.CTCLoss()
    >>> loss(nd.zeros((1, 2, 3)), nd.array([[0, -1]]))   # 3 of the 9 paths give "0"
    <BLANKLINE>
    [1.0986123]
    <NDArray 1 @cpu(0)>
    """

    def __init__(self, layout: str = "NTC", label_layout: str = "NT",
                 weight: float | None = None, **kwargs: Any) -> None:
        if layout not in ("NTC", "TNC"):
            raise AssertionError(f"Only 'NTC' and 'TNC' layouts for pred are supported. "
                                 f"Got: {layout}")
        if label_layout not in ("NT", "TN"):
            raise AssertionError(f"Only 'NT' and 'TN' layouts for label are supported. "
                                 f"Got: {label_layout}")
        self._layout = layout
        self._label_layout = label_layout
        super().__init__(weight, label_layout.find("N"), **kwargs)

    def hybrid_forward(self, F: Any, pred: NDArray, label: NDArray, pred_lengths: Any = None,
                       label_lengths: Any = None, sample_weight: Any = None) -> NDArray:
        if self._layout == "NTC":
            pred = F.swapaxes(pred, dim1=0, dim2=1)
        if self._batch_axis == 1:
            label = F.swapaxes(label, dim1=0, dim2=1)
        loss = F.CTCLoss(pred, label, pred_lengths, label_lengths,
                         use_data_lengths=pred_lengths is not None,
                         use_label_lengths=label_lengths is not None, blank_label="last")
        return _apply_weighting(F, loss, self._weight, sample_weight)


class L2Regularizer:
    """The L2 penalty ``s = lam/2 · Σ ||W||²_F`` over chosen parameters (d2l 3.14).

    Calling it returns ``s`` as an NDArray of shape (1,), recorded like any other
    computation, so the regularized objective is written literally: ``J = L + s``. Its
    gradient with respect to each chosen ``W`` is ``lam·W``.

    Parameters
    ----------
    lam : float
        The coefficient λ (``lambd`` in the book).
    params : ParameterDict, dict, list of Parameter, or Block
        The parameters to penalize, e.g. ``net.collect_params('.*weight')`` (weights but
        not biases, as the book does). A Block means all its parameters.
    select : str, optional
        A regular expression further choosing among ``params`` by full name
        (``re.match``, like ``collect_params``).

    Notes
    -----
    How it relates to weight decay: ``Trainer(params, 'sgd', {'wd': lam})`` adds
    ``lam·W`` to the gradient *after* ``step(batch_size)`` has divided the gradient by
    ``batch_size``. The same update comes from the penalty when it is added to **each
    example's** loss, which is what ``l + s`` does by broadcasting when
    ``l = loss(net(X), y)`` has one value per example::

        with autograd.record():
            J = loss(net(X), y) + s()      # shape (batch,): s added to every example
        J.backward()                       # gradient: Σ ∇l + batch_size·lam·W
        trainer.step(batch_size)           # ÷ batch_size: mean ∇l + lam·W  (= weight decay)

    Equivalently, average the loss and step with 1: ``J = loss(...).mean() + s`` then
    ``trainer.step(1)``. What is *not* equivalent is ``J = loss(...).sum() + s`` with
    ``step(batch_size)``: the penalty's gradient would be divided by the batch size.

    Examples
    --------
    >>> import minigluon as mx
    >>> from minigluon import autograd, gluon, nd
    >>> net = gluon.nn.Dense(1, in_units=2, prefix='out_')
    >>> net.initialize(mx.init.One())
    >>> s = gluon.loss.L2Regularizer(0.1, net.collect_params('.*weight'))
    >>> s
    L2Regularizer(lam=0.1, params=['out_weight'])
    >>> with autograd.record():
    ...     value = s()
    >>> value.backward()
    >>> value
    <BLANKLINE>
    [0.1]
    <NDArray 1 @cpu(0)>
    >>> net.weight.grad()
    <BLANKLINE>
    [[0.1 0.1]]
    <NDArray 1x2 @cpu(0)>
    """

    def __init__(self, lam: float, params: Any, select: str | None = None) -> None:
        if isinstance(params, Block):
            params = params.collect_params()
        if isinstance(params, (ParameterDict, dict)):
            plist = list(params.values())
        elif isinstance(params, Parameter):
            plist = [params]
        elif isinstance(params, Iterable):
            plist = list(params)
        else:
            raise TypeError(f"params must be a ParameterDict, a dict or list of Parameters "
                            f"or a Block, got {type(params).__name__}")
        for p in plist:
            if not isinstance(p, Parameter):
                raise TypeError(f"params must hold Parameters, got {type(p).__name__} (pass "
                                "net.collect_params(...), not the arrays p.data())")
        if select is not None:
            pattern = re.compile(select)
            plist = [p for p in plist if pattern.match(p.name)]
        if not plist:
            raise ValueError("L2Regularizer got no parameters to penalize: check the "
                             "selection (collect_params uses re.match, so write '.*weight', "
                             "not 'weight')")
        self.lam = lam
        self.params = plist
        self._square_sum = get_op("_sum_of_squares")()  # (W ** 2).sum() in one pass

    def __call__(self) -> NDArray:
        """``lam/2 · Σ ||W||²``, shape (1,), differentiable (recorded inside
        ``autograd.record()``)."""
        total = None
        for p in self.params:
            sq = invoke(self._square_sum, (p.data(),))
            total = sq if total is None else total + sq
        return total * (self.lam / 2)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(lam={self.lam}, params={[p.name for p in self.params]})"


L2Penalty = L2Regularizer
