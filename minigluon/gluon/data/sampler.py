"""Samplers: the order in which a DataLoader visits a dataset, and how it cuts batches."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

__all__ = ["Sampler", "SequentialSampler", "RandomSampler", "FilterSampler", "BatchSampler"]

_LAST_BATCH = ("keep", "discard", "rollover")


class Sampler:
    """Base class: a sampler is iterable (the indices) and has a length."""

    def __iter__(self) -> Iterator[Any]:
        raise NotImplementedError

    def __len__(self) -> int:
        raise NotImplementedError


class SequentialSampler(Sampler):
    """The indices ``start, start + 1, ..., start + length - 1``.

    Examples
    --------
    >>> from minigluon.gluon.data import SequentialSampler
    >>> list(SequentialSampler(3, start=2))
    [2, 3, 4]
    """

    def __init__(self, length: int, start: int = 0) -> None:
        self._length = length
        self._start = start

    def __iter__(self) -> Iterator[int]:
        return iter(range(self._start, self._start + self._length))

    def __len__(self) -> int:
        return self._length


class RandomSampler(Sampler):
    """A fresh random permutation of ``range(length)`` on every pass.

    The permutation comes from NumPy's global generator (``np.random.seed`` makes it
    repeat; ``mx.random.seed`` does not affect it), exactly as in MXNet: after
    ``np.random.seed(0)`` the first pass is ``np.random.permutation(length)``.
    """

    def __init__(self, length: int) -> None:
        self._length = length

    def __iter__(self) -> Iterator[np.int64]:
        indices = np.arange(self._length)
        np.random.shuffle(indices)
        return iter(indices)

    def __len__(self) -> int:
        return self._length


class FilterSampler(Sampler):
    """The indices of the samples of ``dataset`` for which ``fn(sample)`` is true."""

    def __init__(self, fn: Callable[[Any], bool], dataset: Any) -> None:
        self._fn = fn
        self._dataset = dataset
        self._indices = [i for i, sample in enumerate(dataset) if fn(sample)]

    def __iter__(self) -> Iterator[int]:
        return iter(self._indices)

    def __len__(self) -> int:
        return len(self._indices)


class BatchSampler(Sampler):
    """Group the indices of ``sampler`` into lists of ``batch_size``.

    ``last_batch`` says what happens to a final, shorter batch: ``'keep'`` yields it,
    ``'discard'`` drops it, ``'rollover'`` puts its indices at the front of the next pass.
    An invalid value is reported only when it matters (by ``len()``, or at the end of a
    pass that has a leftover), as in MXNet.

    Examples
    --------
    >>> from minigluon.gluon.data import BatchSampler, SequentialSampler
    >>> list(BatchSampler(SequentialSampler(7), 3, 'keep'))
    [[0, 1, 2], [3, 4, 5], [6]]
    >>> b = BatchSampler(SequentialSampler(7), 3, 'rollover')
    >>> list(b), list(b)
    ([[0, 1, 2], [3, 4, 5]], [[6, 0, 1], [2, 3, 4]])
    """

    def __init__(self, sampler: Sampler, batch_size: int, last_batch: str = "keep") -> None:
        self._sampler = sampler
        self._batch_size = batch_size
        self._last_batch = last_batch
        self._prev: list[Any] = []

    def _bad_last_batch(self) -> ValueError:
        return ValueError("last_batch must be one of 'keep', 'discard', or 'rollover', "
                          f"but got {self._last_batch}")

    def __iter__(self) -> Iterator[list[Any]]:
        batch, self._prev = self._prev, []
        for i in self._sampler:
            batch.append(i)
            if len(batch) == self._batch_size:
                yield batch
                batch = []
        if batch:
            if self._last_batch == "keep":
                yield batch
            elif self._last_batch == "rollover":
                self._prev = batch
            elif self._last_batch != "discard":
                raise self._bad_last_batch()

    def __len__(self) -> int:
        n, b = len(self._sampler), self._batch_size
        if self._last_batch == "keep":
            return (n + b - 1) // b
        if self._last_batch == "discard":
            return n // b
        if self._last_batch == "rollover":
            return (len(self._prev) + n) // b
        raise self._bad_last_batch()
