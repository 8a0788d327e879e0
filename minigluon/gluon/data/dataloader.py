"""DataLoader: mini-batches from a dataset."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from ... import ndarray as nd
from ...ndarray.ndarray import NDArray
from . import sampler as _sampler

__all__ = ["DataLoader"]


def default_batchify_fn(data: Sequence[Any]) -> Any:
    """Stack a list of samples into a batch.

    NDArray samples are stacked with their dtype (uint8 images stay uint8); tuples are
    batched element by element into a **list** ``[X, y, ...]``; anything else (NumPy
    scalars or arrays, Python numbers) goes through ``np.asarray`` and keeps that dtype:
    unlike ``nd.array``, float64 stays float64 and int64 stays int64.
    """
    first = data[0]
    if isinstance(first, NDArray):
        return nd.stack(*data)
    if isinstance(first, tuple):
        return [default_batchify_fn(column) for column in zip(*data)]
    arr = np.asarray(data)
    return nd.array(arr, dtype=arr.dtype)


class DataLoader:
    """Iterate over a dataset in mini-batches.

    Parameters
    ----------
    dataset : Dataset
        Anything with ``len()`` and ``[i]`` (an ArrayDataset, a list, an array, ...).
    batch_size : int
        Samples per batch. Required unless ``batch_sampler`` is given.
    shuffle : bool, default False
        Visit the samples in a new random order each epoch, drawn from NumPy's global
        generator (``np.random.seed`` makes it repeat).
    sampler : Sampler, optional
        The order of the indices; do not combine it with ``shuffle``.
    last_batch : {'keep', 'discard', 'rollover'}, default 'keep'
        What to do with a final, shorter batch: yield it, drop it, or carry its samples
        over to the start of the next epoch.
    batch_sampler : Sampler, optional
        Yields lists of indices; replaces batch_size, shuffle, sampler and last_batch.
    batchify_fn : callable, optional
        Turns a list of samples into a batch. The default stacks them: samples that
        are tuples ``(x, y)`` give a list ``[X, y]`` of NDArrays (see
        :func:`default_batchify_fn`).
    num_workers : int, default 0
        Accepted for compatibility, but ignored: minigluon always loads in the calling
        process, so ``num_workers=4`` (as d2l passes) gives the same batches, in the same
        order, as MXNet's worker processes do, without starting any.
    pin_memory, pin_device_id, prefetch, thread_pool, timeout, auto_reload
        Accepted for compatibility, and ignored (they tune MXNet's worker pool and
        GPU transfers).

    Examples
    --------
    >>> from minigluon import nd
    >>> from minigluon.gluon.data import ArrayDataset, DataLoader
    >>> loader = DataLoader(ArrayDataset(nd.ones((10, 2)), nd.arange(10)), 4)
    >>> len(loader)
    3
    >>> [(X.shape, y.shape) for X, y in loader]
    [((4, 2), (4,)), ((4, 2), (4,)), ((2, 2), (2,))]
    """

    def __init__(self, dataset: Any, batch_size: int | None = None, shuffle: bool = False,
                 sampler: _sampler.Sampler | None = None, last_batch: str | None = None,
                 batch_sampler: _sampler.Sampler | None = None,
                 batchify_fn: Callable[[list[Any]], Any] | None = None,
                 num_workers: int = 0, pin_memory: bool = False, pin_device_id: int = 0,
                 prefetch: int | None = None, thread_pool: bool = False, timeout: int = 120,
                 auto_reload: bool = False) -> None:
        if timeout <= 0:
            raise AssertionError(f"timeout must be positive, given {timeout}")
        self._dataset = dataset
        if batch_sampler is None:
            if batch_size is None:
                raise ValueError("batch_size must be specified unless batch_sampler is "
                                 "specified")
            if sampler is None:
                sampler = (_sampler.RandomSampler(len(dataset)) if shuffle
                           else _sampler.SequentialSampler(len(dataset)))
            elif shuffle:
                raise ValueError("shuffle must not be specified if sampler is specified")
            batch_sampler = _sampler.BatchSampler(sampler, batch_size, last_batch or "keep")
        elif batch_size is not None or shuffle or sampler is not None or \
                last_batch is not None:
            raise ValueError("batch_size, shuffle, sampler and last_batch must not be "
                             "specified if batch_sampler is specified.")
        self._batch_sampler = batch_sampler
        self._num_workers = max(num_workers, 0)  # recorded, not used: see the docstring
        self._batchify_fn = default_batchify_fn if batchify_fn is None else batchify_fn

    def __iter__(self) -> Iterator[Any]:
        dataset, batchify = self._dataset, self._batchify_fn
        for indices in self._batch_sampler:
            yield batchify([dataset[i] for i in indices])

    def __len__(self) -> int:
        return len(self._batch_sampler)
