"""Evaluation metrics, as MXNet 1.9.1's ``mx.metric``.

A metric accumulates a running score over batches: ``update(labels, preds)`` takes lists
of NDArrays (or single NDArrays), ``get()`` returns ``(name, value)``, ``reset()`` starts
again. Each metric keeps a *local* total (cleared by :meth:`EvalMetric.reset_local`, e.g.
per logging interval) and a *global* one (cleared only by :meth:`EvalMetric.reset`).

Metrics live in a registry, so ``create('acc')`` and user metrics added with
:func:`register` / :func:`alias` work the same way; installed packages can also add
metrics through the ``minigluon.metrics`` entry-point group.

The numbers follow MXNet's code path, quirks included (``TopKAccuracy`` on 1-D
predictions leaves its global sum alone; ``PearsonCorrelation(average='micro')`` has no
global value; ``CompositeEvalMetric.get_metric`` *returns* its ValueError): code compared
against MXNet gives the same results.

Examples
--------
>>> import minigluon as mx
>>> acc = mx.metric.Accuracy()
>>> acc.update(labels=[mx.nd.array([0, 1, 1])],
...            preds=[mx.nd.array([[0.3, 0.7], [0, 1.], [0.4, 0.6]])])
>>> acc.get()
('accuracy', 0.6666666666666666)
"""

from __future__ import annotations

import json
import math
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import numpy

from . import ndarray
from ._registry import Registry
from .base import numeric_types, string_types
from .ndarray.ndarray import NDArray

__all__ = ["EvalMetric", "CompositeEvalMetric", "Accuracy", "TopKAccuracy", "F1", "MCC",
           "Perplexity", "MAE", "MSE", "RMSE", "CrossEntropy", "NegativeLogLikelihood",
           "PearsonCorrelation", "PCC", "Loss", "Torch", "Caffe", "CustomMetric", "np",
           "create", "register", "alias", "check_label_shapes", "METRICS"]

Arrays = NDArray | Sequence[NDArray]
M = TypeVar("M", bound=type)


def _f64(x: Any) -> Any:
    """A NumPy float scalar of less than 64 bits as float64, other values unchanged.

    MXNet ran on NumPy < 1.24, where ``0.0 + float32`` gave float64, so its totals were
    kept in float64. NumPy 2 keeps float32 there (NEP 50); converting first restores the
    old sums."""
    if isinstance(x, numpy.floating) and x.dtype.itemsize < 8:
        return numpy.float64(x)
    return x


def _py(value: Any) -> Any:
    """A NumPy scalar as the Python number it holds, so that printing a result shows
    ``0.75`` as MXNet's did under NumPy 1, not NumPy 2's ``np.float64(0.75)``."""
    return value.item() if isinstance(value, numpy.generic) else value


def check_label_shapes(labels: Any, preds: Any, wrap: bool = False,
                       shape: bool = False) -> tuple[Any, Any]:
    """Check that labels and predictions agree in length (or in shape, ``shape=True``).

    With ``wrap=True`` a single NDArray is put into a list.

    Raises
    ------
    ValueError
        ``Shape of labels ... does not match shape of predictions ...``, as MXNet.
    """
    if shape:
        label_shape, pred_shape = labels.shape, preds.shape
    else:
        label_shape, pred_shape = len(labels), len(preds)
    if label_shape != pred_shape:
        raise ValueError(f"Shape of labels {label_shape} does not match shape of "
                         f"predictions {pred_shape}")
    if wrap:
        if isinstance(labels, NDArray):
            labels = [labels]
        if isinstance(preds, NDArray):
            preds = [preds]
    return labels, preds


class EvalMetric:
    """Base class of the metrics: a running ``sum_metric / num_inst``, local and global.

    Parameters
    ----------
    name : str
        Name shown by :meth:`get`.
    output_names, label_names : list of str, optional
        Which entries :meth:`update_dict` takes (default: all, in order).
    **kwargs
        Constructor arguments kept for :meth:`get_config`; ``has_global_stats=True``
        makes :meth:`get_global` read the global totals instead of the local ones.
    """

    def __init__(self, name: str, output_names: list[str] | None = None,
                 label_names: list[str] | None = None, **kwargs: Any) -> None:
        self.name = str(name)
        self.output_names = output_names
        self.label_names = label_names
        self._has_global_stats = kwargs.pop("has_global_stats", False)
        self._kwargs = kwargs
        self.reset()

    def __str__(self) -> str:
        return f"EvalMetric: {dict(self.get_name_value())}"

    def get_config(self) -> dict[str, Any]:
        """The arguments that rebuild this metric with ``create(**config)``."""
        config = self._kwargs.copy()
        config.update({"metric": self.__class__.__name__, "name": self.name,
                       "output_names": self.output_names, "label_names": self.label_names})
        return config

    def update_dict(self, label: Mapping[str, NDArray], pred: Mapping[str, NDArray]) -> None:
        """Update from name -> array mappings, picking ``label_names``/``output_names``."""
        preds = ([pred[n] for n in self.output_names] if self.output_names is not None
                 else list(pred.values()))
        labels = ([label[n] for n in self.label_names] if self.label_names is not None
                  else list(label.values()))
        self.update(labels, preds)

    def update(self, labels: Arrays, preds: Arrays) -> None:
        """Add a batch of labels and predictions to the totals."""
        raise NotImplementedError()

    def reset(self) -> None:
        """Clear the local and the global totals."""
        self.num_inst = 0
        self.sum_metric = 0.0
        self.global_num_inst = 0
        self.global_sum_metric = 0.0

    def reset_local(self) -> None:
        """Clear the local totals only."""
        self.num_inst = 0
        self.sum_metric = 0.0

    def get(self) -> tuple[Any, Any]:
        """``(name, value)`` of the local totals; the value is NaN before any update."""
        if self.num_inst == 0:
            return (self.name, float("nan"))
        return (self.name, _py(self.sum_metric / self.num_inst))

    def get_global(self) -> tuple[Any, Any]:
        """``(name, value)`` of the global totals (the local ones without global stats)."""
        if not self._has_global_stats:
            return self.get()
        if self.global_num_inst == 0:
            return (self.name, float("nan"))
        return (self.name, _py(self.global_sum_metric / self.global_num_inst))

    def get_name_value(self) -> list[tuple[str, Any]]:
        """:meth:`get` as a list of ``(name, value)`` pairs."""
        return _pairs(*self.get())

    def get_global_name_value(self) -> list[tuple[str, Any]]:
        """:meth:`get_global` as a list of ``(name, value)`` pairs."""
        if not self._has_global_stats:
            return self.get_name_value()
        return _pairs(*self.get_global())


def _pairs(name: Any, value: Any) -> list[tuple[str, Any]]:
    names = name if isinstance(name, list) else [name]
    values = value if isinstance(value, list) else [value]
    return list(zip(names, values))


# ---- the registry -----------------------------------------------------------------------

#: every metric class, by lower-cased name; plugins come from ``minigluon.metrics``
METRICS: Registry[type[EvalMetric]] = Registry("metric", group="minigluon.metrics")


def register(klass: M, name: str | None = None) -> M:
    """Register an :class:`EvalMetric` subclass under ``name`` (default: its lower-cased
    class name), so :func:`create` finds it. Registering a name again replaces the old
    class with a warning, as in MXNet.

    Examples
    --------
    >>> import minigluon as mx
    >>> @mx.metric.register
    ... class Zero(mx.metric.EvalMetric):
    ...     def __init__(self, name='zero'):
    ...         super().__init__(name)
    ...     def update(self, labels, preds):
    ...         self.num_inst += 1
    >>> mx.metric.create('zero').name
    'zero'
    >>> _ = mx.metric.METRICS.unregister('zero')  # the registry is global: tidy up
    """
    assert isinstance(klass, type) and issubclass(klass, EvalMetric), \
        "Can only register subclass of EvalMetric"
    return METRICS.replace(klass, name or klass.__name__, stacklevel=2)


def alias(*aliases: str) -> Callable[[M], M]:
    """Decorator registering an :class:`EvalMetric` subclass under extra names."""
    def reg(klass: M) -> M:
        for name in aliases:
            register(klass, name)
        return klass
    return reg


def _create(*args: Any, **kwargs: Any) -> EvalMetric:
    """A metric from a registered name, a config dict, a JSON string or an instance."""
    if args:
        name, args = args[0], args[1:]
    else:
        name = kwargs.pop("metric")
    if isinstance(name, EvalMetric):
        assert not args and not kwargs, \
            "metric is already an instance. Additional arguments are invalid"
        return name
    if isinstance(name, dict):
        return _create(**name)
    assert isinstance(name, string_types), "metric must be of string type"
    if name.startswith("["):  # '["acc", {"axis": 1}]'
        assert not args and not kwargs
        name, kwargs = json.loads(name)
        return _create(name, **kwargs)
    if name.startswith("{"):
        assert not args and not kwargs
        return _create(**json.loads(name))
    name = name.lower()
    assert name in METRICS, \
        f"{name} is not registered. Please register with metric.register first"
    return METRICS.get(name)(*args, **kwargs)


def create(metric: Any, *args: Any, **kwargs: Any) -> EvalMetric:
    """A metric from a name (``'acc'``, ``'ce'``, ``'f1'`` ...), an :class:`EvalMetric`
    (returned as is), a ``feval(label, pred)`` function (a :class:`CustomMetric`), a
    config dict from :meth:`EvalMetric.get_config`, or a list of these (a
    :class:`CompositeEvalMetric`). Extra arguments go to the constructor.

    Raises
    ------
    AssertionError
        For an unknown name, as MXNet.
    """
    if callable(metric):
        return CustomMetric(metric, *args, **kwargs)
    if isinstance(metric, list):
        composite = CompositeEvalMetric()
        for child in metric:
            composite.add(create(child, *args, **kwargs))
        return composite
    return _create(metric, *args, **kwargs)


# ---- the metrics ------------------------------------------------------------------------

@register
@alias("composite")
class CompositeEvalMetric(EvalMetric):
    """Several metrics updated together; :meth:`get` returns ``([names], [values])``.

    Parameters
    ----------
    metrics : list, optional
        Child metrics, or anything :func:`create` accepts.
    name : str
        Name of the group.
    """

    def __init__(self, metrics: list[Any] | None = None, name: str = "composite",
                 output_names: list[str] | None = None,
                 label_names: list[str] | None = None) -> None:
        super().__init__(name, output_names=output_names, label_names=label_names,
                         has_global_stats=True)
        self.metrics = [create(m) for m in (metrics or [])]

    def add(self, metric: Any) -> None:
        """Append a child metric (anything :func:`create` accepts)."""
        self.metrics.append(create(metric))

    def get_metric(self, index: int) -> Any:
        """The child at ``index``; out of range, a ValueError is *returned* (as MXNet)."""
        try:
            return self.metrics[index]
        except IndexError:
            return ValueError(f"Metric index {index} is out of range 0 and "
                              f"{len(self.metrics)}")

    def update_dict(self, labels: Mapping[str, NDArray],  # type: ignore[override]
                    preds: Mapping[str, NDArray]) -> None:
        if self.label_names is not None:
            labels = OrderedDict(i for i in labels.items() if i[0] in self.label_names)
        if self.output_names is not None:
            preds = OrderedDict(i for i in preds.items() if i[0] in self.output_names)
        for metric in self.metrics:
            metric.update_dict(labels, preds)

    def update(self, labels: Arrays, preds: Arrays) -> None:
        for metric in self.metrics:
            metric.update(labels, preds)

    def reset(self) -> None:
        # the base __init__ calls reset before self.metrics exists
        for metric in getattr(self, "metrics", []):
            metric.reset()

    def reset_local(self) -> None:
        for metric in getattr(self, "metrics", []):
            metric.reset_local()

    def _gather(self, glob: bool) -> tuple[list[str], list[Any]]:
        names: list[str] = []
        values: list[Any] = []
        for metric in self.metrics:
            name, value = metric.get_global() if glob else metric.get()
            names.extend([name] if isinstance(name, string_types) else name)
            values.extend([value] if isinstance(value, numeric_types) else value)
        return names, values

    def get(self) -> tuple[list[str], list[Any]]:  # type: ignore[override]
        return self._gather(False)

    def get_global(self) -> tuple[list[str], list[Any]]:  # type: ignore[override]
        return self._gather(True)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config["metrics"] = [m.get_config() for m in self.metrics]
        return config


@register
@alias("acc")
class Accuracy(EvalMetric):
    """Fraction of predictions equal to the labels.

    Predictions of another shape than the labels are class scores: their argmax over
    ``axis`` is the predicted class. Labels and predictions are compared as int32.
    """

    def __init__(self, axis: int = 1, name: str = "accuracy",
                 output_names: list[str] | None = None,
                 label_names: list[str] | None = None) -> None:
        super().__init__(name, axis=axis, output_names=output_names,
                         label_names=label_names, has_global_stats=True)
        self.axis = axis

    def update(self, labels: Arrays, preds: Arrays) -> None:
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            if pred.shape != label.shape:
                pred = ndarray.argmax(pred, axis=self.axis)
            p = pred.asnumpy().astype("int32").flat
            lab = label.asnumpy().astype("int32").flat
            check_label_shapes(lab, p)
            correct = (p == lab).sum()
            self.sum_metric += correct
            self.global_sum_metric += correct
            self.num_inst += len(p)
            self.global_num_inst += len(p)


@register
@alias("top_k_accuracy", "top_k_acc")
class TopKAccuracy(EvalMetric):
    """Fraction of samples whose label is among the ``top_k`` highest scores.

    The name gets a ``_<top_k>`` suffix; ``top_k`` must be more than 1.
    """

    def __init__(self, top_k: int = 1, name: str = "top_k_accuracy",
                 output_names: list[str] | None = None,
                 label_names: list[str] | None = None) -> None:
        super().__init__(name, top_k=top_k, output_names=output_names,
                         label_names=label_names, has_global_stats=True)
        self.top_k = top_k
        assert self.top_k > 1, "Please use Accuracy if top_k is no more than 1"
        self.name += f"_{self.top_k}"

    def update(self, labels: Arrays, preds: Arrays) -> None:
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            assert len(pred.shape) <= 2, "Predictions should be no more than 2 dims"
            # argpartition puts the top_k largest scores last (in no particular order)
            order = numpy.argpartition(pred.asnumpy().astype("float32"), -self.top_k)
            lab = label.asnumpy().astype("int32")
            check_label_shapes(lab, order)
            n = order.shape[0]
            if order.ndim == 1:
                # MXNet counts a 1-D batch in the local sum only
                self.sum_metric += (order.flat == lab.flat).sum()
            elif order.ndim == 2:
                classes = order.shape[1]
                for j in range(min(classes, self.top_k)):
                    correct = (order[:, classes - 1 - j].flat == lab.flat).sum()
                    self.sum_metric += correct
                    self.global_sum_metric += correct
            self.num_inst += n
            self.global_num_inst += n


class _BinaryClassificationMetrics:
    """Confusion counts of a binary classifier, local and global, for F1 and MCC.

    MXNet's name is kept: its error message for a multiclass label names this class."""

    _FIELDS = ("true_positives", "false_negatives", "false_positives", "true_negatives")

    def __init__(self) -> None:
        self.reset_stats()

    def update_binary_stats(self, label: NDArray, pred: NDArray) -> None:
        scores = pred.asnumpy()
        lab = label.asnumpy().astype("int32")
        pred_label = numpy.argmax(scores, axis=1)
        check_label_shapes(lab, scores)
        if len(numpy.unique(lab)) > 2:
            raise ValueError(f"{type(self).__name__} currently only supports binary "
                             "classification.")
        pred_true = pred_label == 1
        label_true = lab == 1
        counts = ((pred_true & label_true).sum(), (~pred_true & label_true).sum(),
                  (pred_true & ~label_true).sum(), (~pred_true & ~label_true).sum())
        for field, c in zip(self._FIELDS, counts):
            setattr(self, field, getattr(self, field) + c)
            setattr(self, "global_" + field, getattr(self, "global_" + field) + c)

    def counts(self, glob: bool) -> tuple[Any, Any, Any, Any]:
        pre = "global_" if glob else ""
        return tuple(getattr(self, pre + f) for f in self._FIELDS)  # type: ignore[return-value]

    def total(self, glob: bool = False) -> Any:
        return sum(self.counts(glob))

    def fscore(self, glob: bool = False) -> float:
        tp, fn, fp, _ = self.counts(glob)
        precision = float(tp) / (tp + fp) if tp + fp > 0 else 0.0
        recall = float(tp) / (tp + fn) if tp + fn > 0 else 0.0
        if precision + recall > 0:
            return 2 * precision * recall / (precision + recall)
        return 0.0

    def matthewscc(self, glob: bool = False) -> float:
        if not self.total(glob):
            return 0.0
        tp, fn, fp, tn = (float(c) for c in self.counts(glob))
        denom = 1.0
        for t in (tp + fp, tp + fn, tn + fp, tn + fn):
            if t != 0.0:  # a zero margin is left out, so the score is 0 rather than NaN
                denom *= t
        return (tp * tn - fp * fn) / math.sqrt(denom)

    def local_reset_stats(self) -> None:
        for f in self._FIELDS:
            setattr(self, f, 0)

    def reset_stats(self) -> None:
        self.local_reset_stats()
        for f in self._FIELDS:
            setattr(self, "global_" + f, 0)


class _BinaryMetric(EvalMetric):
    """F1 and MCC: a score from the confusion counts, averaged per batch ('macro') or
    over all samples ('micro')."""

    def __init__(self, name: str, output_names: list[str] | None,
                 label_names: list[str] | None, average: str) -> None:
        self.average = average
        self._stats = _BinaryClassificationMetrics()
        super().__init__(name, output_names=output_names, label_names=label_names,
                         has_global_stats=True)

    def _score(self, glob: bool) -> float:
        raise NotImplementedError

    def update(self, labels: Arrays, preds: Arrays) -> None:
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            self._stats.update_binary_stats(label, pred)
        if self.average == "macro":
            self.sum_metric += self._score(False)
            self.global_sum_metric += self._score(True)
            self.num_inst += 1
            self.global_num_inst += 1
            self._stats.reset_stats()
        else:
            self.sum_metric = self._score(False) * self._stats.total(False)
            self.global_sum_metric = self._score(True) * self._stats.total(True)
            self.num_inst = self._stats.total(False)
            self.global_num_inst = self._stats.total(True)

    def reset(self) -> None:
        super().reset()
        self._stats.reset_stats()

    def reset_local(self) -> None:
        super().reset_local()
        self._stats.local_reset_stats()


@register
class F1(_BinaryMetric):
    """F1 score of a binary classifier (class 1 positive); predictions are ``(N, 2)``
    scores.

    Parameters
    ----------
    average : {'macro', 'micro'}
        'macro' averages the per-batch scores; 'micro' scores all samples together.
    """

    def __init__(self, name: str = "f1", output_names: list[str] | None = None,
                 label_names: list[str] | None = None, average: str = "macro") -> None:
        super().__init__(name, output_names, label_names, average)

    def _score(self, glob: bool) -> float:
        return self._stats.fscore(glob)


@register
class MCC(_BinaryMetric):
    """Matthews correlation coefficient of a binary classifier; predictions are
    ``(N, 2)`` scores. ``average`` as for :class:`F1`."""

    def __init__(self, name: str = "mcc", output_names: list[str] | None = None,
                 label_names: list[str] | None = None, average: str = "macro") -> None:
        super().__init__(name, output_names, label_names, average)

    def _score(self, glob: bool) -> float:
        return self._stats.matthewscc(glob)

    def reset(self) -> None:
        super().reset()
        self.num_inst = self.global_num_inst = 0.0  # MXNet's MCC counts in floats

    def reset_local(self) -> None:
        super().reset_local()
        self.num_inst = 0.0


@register
class Perplexity(EvalMetric):
    """``exp`` of the mean negative log-probability of the labels.

    Parameters
    ----------
    ignore_label : int or None
        Label whose positions are left out (padding).
    axis : int
        Axis of the class scores in the predictions.
    """

    def __init__(self, ignore_label: int | None, axis: int = -1, name: str = "perplexity",
                 output_names: list[str] | None = None,
                 label_names: list[str] | None = None) -> None:
        super().__init__(name, ignore_label=ignore_label, output_names=output_names,
                         label_names=label_names, has_global_stats=True)
        self.ignore_label = ignore_label
        self.axis = axis

    def update(self, labels: Arrays, preds: Arrays) -> None:
        assert len(labels) == len(preds)
        loss = 0.0
        num: Any = 0
        for label, pred in zip(labels, preds):
            assert label.size == pred.size / pred.shape[-1], \
                f"shape mismatch: {label.shape} vs. {pred.shape}"
            label = label.as_in_context(pred.context).reshape((label.size,))
            prob = ndarray.pick(pred, label.astype(dtype="int32"), axis=self.axis)
            if self.ignore_label is not None:
                ignore = (label == self.ignore_label).astype(prob.dtype)
                num -= _f64(ndarray.sum(ignore).asscalar())
                prob = prob * (1 - ignore) + ignore  # probability 1: adds nothing to the loss
            loss -= _f64(ndarray.sum(ndarray.log(ndarray.maximum(1e-10, prob))).asscalar())
            num += prob.size
        self.sum_metric += loss
        self.global_sum_metric += loss
        self.num_inst += num
        self.global_num_inst += num

    def get(self) -> tuple[str, float]:
        if self.num_inst == 0:
            return (self.name, float("nan"))
        return (self.name, math.exp(self.sum_metric / self.num_inst))

    def get_global(self) -> tuple[str, float]:
        if self.global_num_inst == 0:
            return (self.name, float("nan"))
        return (self.name, math.exp(self.global_sum_metric / self.global_num_inst))


class _Regression(EvalMetric):
    """MAE, MSE, RMSE: one error per (label, pred) pair, averaged over pairs."""

    def _error(self, diff: numpy.ndarray) -> Any:
        raise NotImplementedError

    def __init__(self, name: str, output_names: list[str] | None = None,
                 label_names: list[str] | None = None) -> None:
        super().__init__(name, output_names=output_names, label_names=label_names,
                         has_global_stats=True)

    def update(self, labels: Arrays, preds: Arrays) -> None:
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            lab, p = label.asnumpy(), pred.asnumpy()
            # a 1-D array is a column, so (N,) labels broadcast against (N, 1) predictions
            if lab.ndim == 1:
                lab = lab.reshape(lab.shape[0], 1)
            if p.ndim == 1:
                p = p.reshape(p.shape[0], 1)
            err = _f64(self._error(lab - p))
            self.sum_metric += err
            self.global_sum_metric += err
            self.num_inst += 1
            self.global_num_inst += 1


@register
class MAE(_Regression):
    """Mean absolute error, averaged over batches."""

    def __init__(self, name: str = "mae", output_names: list[str] | None = None,
                 label_names: list[str] | None = None) -> None:
        super().__init__(name, output_names, label_names)

    def _error(self, diff: numpy.ndarray) -> Any:
        return numpy.abs(diff).mean()


@register
class MSE(_Regression):
    """Mean squared error, averaged over batches."""

    def __init__(self, name: str = "mse", output_names: list[str] | None = None,
                 label_names: list[str] | None = None) -> None:
        super().__init__(name, output_names, label_names)

    def _error(self, diff: numpy.ndarray) -> Any:
        return (diff ** 2.0).mean()


@register
class RMSE(_Regression):
    """Root mean squared error of each batch, averaged over batches."""

    def __init__(self, name: str = "rmse", output_names: list[str] | None = None,
                 label_names: list[str] | None = None) -> None:
        super().__init__(name, output_names, label_names)

    def _error(self, diff: numpy.ndarray) -> Any:
        return numpy.sqrt((diff ** 2.0).mean())


class _LogLoss(EvalMetric):
    """CrossEntropy and NegativeLogLikelihood: ``-log(p[label] + eps)`` per sample."""

    def __init__(self, eps: float, name: str, output_names: list[str] | None,
                 label_names: list[str] | None) -> None:
        super().__init__(name, eps=eps, output_names=output_names,
                         label_names=label_names, has_global_stats=True)
        self.eps = eps

    def _check(self, n_labels: int, n_preds: int) -> None:
        raise NotImplementedError

    def update(self, labels: Arrays, preds: Arrays) -> None:
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            lab = label.asnumpy().ravel()
            p = pred.asnumpy()
            n = p.shape[0]
            self._check(lab.shape[0], n)
            prob = p[numpy.arange(lab.shape[0], dtype=numpy.int64), numpy.int64(lab)]
            loss = _f64((-numpy.log(prob + self.eps)).sum())
            self.sum_metric += loss
            self.global_sum_metric += loss
            self.num_inst += n
            self.global_num_inst += n


@register
@alias("ce")
class CrossEntropy(_LogLoss):
    """Mean cross-entropy of ``(N, C)`` probabilities against ``(N,)`` class labels."""

    def __init__(self, eps: float = 1e-12, name: str = "cross-entropy",
                 output_names: list[str] | None = None,
                 label_names: list[str] | None = None) -> None:
        super().__init__(eps, name, output_names, label_names)

    def _check(self, n_labels: int, n_preds: int) -> None:
        assert n_labels == n_preds


@register
@alias("nll_loss")
class NegativeLogLikelihood(_LogLoss):
    """Mean negative log-likelihood of ``(N, C)`` probabilities at the labels."""

    def __init__(self, eps: float = 1e-12, name: str = "nll-loss",
                 output_names: list[str] | None = None,
                 label_names: list[str] | None = None) -> None:
        super().__init__(eps, name, output_names, label_names)

    def _check(self, n_labels: int, n_preds: int) -> None:
        assert n_labels == n_preds, (n_labels, n_preds)


@register
@alias("pearsonr")
class PearsonCorrelation(EvalMetric):
    """Pearson correlation of predictions and labels.

    Parameters
    ----------
    average : {'macro', 'micro'}
        'macro' averages per-batch correlations; 'micro' keeps running means and sums of
        squares over all samples (and, as in MXNet, no global value: ``get_global`` gives
        0 after updates).
    """

    def __init__(self, name: str = "pearsonr", output_names: list[str] | None = None,
                 label_names: list[str] | None = None, average: str = "macro") -> None:
        self.average = average
        super().__init__(name, output_names=output_names, label_names=label_names,
                         has_global_stats=True)

    def reset_micro(self) -> None:
        """Clear the running moments of 'micro' averaging."""
        self._sse_p: Any = 0
        self._mean_p: Any = 0
        self._sse_l: Any = 0
        self._mean_l: Any = 0
        self._pred_nums: Any = 0
        self._label_nums: Any = 0
        self._conv: Any = 0

    def reset(self) -> None:
        super().reset()
        if self.average == "micro":
            self.reset_micro()

    @staticmethod
    def _moments(values: numpy.ndarray, count: Any, mean: Any, m_2: Any
                 ) -> tuple[Any, Any, Any]:
        # MXNet's batch form of Welford's update: the mean moves by sum(delta) / count
        count += len(values)
        delta = values - mean
        mean += numpy.sum(delta / count)
        m_2 += numpy.sum(delta * (values - mean))
        return count, mean, m_2

    def update(self, labels: Arrays, preds: Arrays) -> None:
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            check_label_shapes(label, pred, False, True)
            lab = label.asnumpy().ravel().astype(numpy.float64)
            p = pred.asnumpy().ravel().astype(numpy.float64)
            if self.average == "macro":
                r = numpy.corrcoef(p, lab)[0, 1]
                self.sum_metric += r
                self.global_sum_metric += r
                self.num_inst += 1
                self.global_num_inst += 1
            else:
                self.global_num_inst += 1
                self.num_inst += 1
                self._label_nums, self._mean_l, self._sse_l = self._moments(
                    lab, self._label_nums, self._mean_l, self._sse_l)
                # the covariance uses the label mean after this batch, the prediction
                # mean before it (MXNet's order)
                self._conv = self._conv + numpy.sum((lab - self._mean_l) * (p - self._mean_p))
                self._pred_nums, self._mean_p, self._sse_p = self._moments(
                    p, self._pred_nums, self._mean_p, self._sse_p)

    def get(self) -> tuple[str, Any]:
        if self.num_inst == 0:
            return (self.name, float("nan"))
        if self.average == "macro":
            return (self.name, _py(self.sum_metric / self.num_inst))
        n = self._label_nums
        r = self._conv / ((n - 1) * numpy.sqrt(self._sse_p / (n - 1))
                          * numpy.sqrt(self._sse_l / (n - 1)))
        return (self.name, _py(r))


@register
class PCC(EvalMetric):
    """Multiclass Matthews correlation (Pearson correlation of the confusion matrix).

    Predictions are class scores ``(N, C)`` or class indices shaped like the labels; the
    confusion matrix grows as new classes appear. ``num_inst`` counts updates.
    """

    def __init__(self, name: str = "pcc", output_names: list[str] | None = None,
                 label_names: list[str] | None = None, has_global_stats: bool = True) -> None:
        self.k = 2
        super().__init__(name=name, output_names=output_names, label_names=label_names,
                         has_global_stats=has_global_stats)

    def _grow(self, inc: int) -> None:
        self.lcm = numpy.pad(self.lcm, ((0, inc), (0, inc)), "constant", constant_values=0)
        self.gcm = numpy.pad(self.gcm, ((0, inc), (0, inc)), "constant", constant_values=0)
        self.k += inc

    @staticmethod
    def _calc_mcc(cmat: numpy.ndarray) -> Any:
        n = cmat.sum()
        x = cmat.sum(axis=1)
        y = cmat.sum(axis=0)
        cov_xx = numpy.sum(x * (n - x))
        cov_yy = numpy.sum(y * (n - y))
        if cov_xx == 0 or cov_yy == 0:
            return float("nan")
        cov_xy = numpy.sum(cmat.diagonal() * n - x * y)
        return cov_xy / (cov_xx * cov_yy) ** 0.5

    def update(self, labels: Arrays, preds: Arrays) -> None:
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            lab = label.astype("int32", copy=False).asnumpy()
            p = pred.asnumpy()
            p = p.argmax(axis=1) if p.shape != lab.shape else p.astype("int32", copy=False)
            n = max(p.max(), lab.max())
            if n >= self.k:
                self._grow(int(n) + 1 - self.k)
            batch = numpy.zeros((self.k, self.k))
            for i, j in zip(p, lab):
                batch[i, j] += 1
            self.lcm += batch
            self.gcm += batch
        self.num_inst += 1
        self.global_num_inst += 1

    @property  # type: ignore[override]
    def sum_metric(self) -> Any:
        """The local score times ``num_inst``, so :meth:`get` divides back to it."""
        return self._calc_mcc(self.lcm) * self.num_inst

    @property  # type: ignore[override]
    def global_sum_metric(self) -> Any:
        return self._calc_mcc(self.gcm) * self.global_num_inst

    def reset(self) -> None:
        self.global_num_inst: Any = 0.0
        self.gcm = numpy.zeros((self.k, self.k))
        self.reset_local()

    def reset_local(self) -> None:
        self.num_inst: Any = 0.0
        self.lcm = numpy.zeros((self.k, self.k))


@register
class Loss(EvalMetric):
    """Mean of the values given as predictions (loss outputs); labels are ignored."""

    def __init__(self, name: str = "loss", output_names: list[str] | None = None,
                 label_names: list[str] | None = None) -> None:
        super().__init__(name, output_names=output_names, label_names=label_names,
                         has_global_stats=True)

    def update(self, _: Any, preds: Arrays) -> None:
        if isinstance(preds, NDArray):
            preds = [preds]
        for pred in preds:
            loss = _f64(ndarray.sum(pred).asscalar())
            self.sum_metric += loss
            self.global_sum_metric += loss
            self.num_inst += pred.size
            self.global_num_inst += pred.size


@register
class Torch(Loss):
    """:class:`Loss` named 'torch' (MXNet's name for losses of its Torch plugin)."""

    def __init__(self, name: str = "torch", output_names: list[str] | None = None,
                 label_names: list[str] | None = None) -> None:
        super().__init__(name, output_names=output_names, label_names=label_names)


@register
class Caffe(Loss):
    """:class:`Loss` named 'caffe' (MXNet's name for losses of its Caffe plugin)."""

    def __init__(self, name: str = "caffe", output_names: list[str] | None = None,
                 label_names: list[str] | None = None) -> None:
        super().__init__(name, output_names=output_names, label_names=label_names)


@register
class CustomMetric(EvalMetric):
    """A metric from ``feval(label, pred)`` on NumPy arrays, returning a value (one
    instance) or ``(sum, count)``.

    Parameters
    ----------
    feval : callable
        The function; its ``__name__`` is the default name (``custom(<lambda>)`` for a
        lambda).
    allow_extra_outputs : bool
        Skip the check that labels and predictions are as many.
    """

    def __init__(self, feval: Callable[[Any, Any], Any], name: str | None = None,
                 allow_extra_outputs: bool = False, output_names: list[str] | None = None,
                 label_names: list[str] | None = None) -> None:
        if name is None:
            name = feval.__name__
            if "<" in name:
                name = f"custom({name})"
        super().__init__(name, feval=feval, allow_extra_outputs=allow_extra_outputs,
                         output_names=output_names, label_names=label_names,
                         has_global_stats=True)
        self._feval = feval
        self._allow_extra_outputs = allow_extra_outputs

    def update(self, labels: Arrays, preds: Arrays) -> None:
        if not self._allow_extra_outputs:
            labels, preds = check_label_shapes(labels, preds, True)
        for pred, label in zip(preds, labels):
            reval = self._feval(label.asnumpy(), pred.asnumpy())
            if isinstance(reval, tuple):
                value, count = reval
            else:
                value, count = reval, 1
            value = _f64(value)
            self.sum_metric += value
            self.global_sum_metric += value
            self.num_inst += count
            self.global_num_inst += count

    def get_config(self) -> dict[str, Any]:
        raise NotImplementedError("CustomMetric cannot be serialized")


def np(numpy_feval: Callable[[Any, Any], Any], name: str | None = None,
       allow_extra_outputs: bool = False) -> CustomMetric:
    """A :class:`CustomMetric` from a function of NumPy arrays ``(label, pred)``.

    Examples
    --------
    >>> import minigluon as mx
    >>> import numpy
    >>> def mean_abs(label, pred):
    ...     return numpy.abs(label - pred).mean()
    >>> m = mx.metric.np(mean_abs)
    >>> m.update([mx.nd.array([1, 2])], [mx.nd.array([1, 4])])
    >>> m.get()
    ('mean_abs', 1.0)
    """
    def feval(label: Any, pred: Any) -> Any:
        return numpy_feval(label, pred)
    feval.__name__ = numpy_feval.__name__
    return CustomMetric(feval, name, allow_extra_outputs)
