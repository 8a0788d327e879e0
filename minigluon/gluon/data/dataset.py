"""Datasets: anything with ``len()`` and ``[i]``, plus lazy transformations of them."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from ...ndarray.ndarray import NDArray
from .sampler import FilterSampler, Sampler, SequentialSampler

__all__ = ["Dataset", "SimpleDataset", "ArrayDataset", "RecordFileDataset"]


class Dataset:
    """Base class of datasets: subclasses define ``__getitem__`` and ``__len__``.

    A NumPy array, an NDArray or a list can be used directly wherever a dataset is
    expected.
    """

    def __getitem__(self, idx: Any) -> Any:
        raise NotImplementedError

    def __len__(self) -> int:
        raise NotImplementedError

    def transform(self, fn: Callable[..., Any], lazy: bool = True) -> Dataset:
        """A dataset whose samples are ``fn(*sample)`` (``fn(sample)`` if not a tuple).

        With ``lazy=True`` (the default) ``fn`` runs each time a sample is read, so a
        random augmentation differs between epochs; ``lazy=False`` applies it once to
        every sample and returns a :class:`SimpleDataset` of the results.

        Examples
        --------
        >>> from minigluon.gluon.data import SimpleDataset
        >>> SimpleDataset([1, 2, 3]).transform(lambda x: x * 10)[2]
        30
        """
        trans = _LazyTransformDataset(self, fn)
        if lazy:
            return trans
        return SimpleDataset([trans[i] for i in range(len(trans))])

    def transform_first(self, fn: Callable[[Any], Any], lazy: bool = True) -> Dataset:
        """Like :meth:`transform`, applying ``fn`` to the first element of each sample
        only (typically the image, leaving the label alone).

        Examples
        --------
        >>> from minigluon.gluon.data import ArrayDataset
        >>> ArrayDataset([1, 2], ['a', 'b']).transform_first(lambda x: x * 10)[1]
        (20, 'b')
        """
        return self.transform(_TransformFirst(fn), lazy)

    def filter(self, fn: Callable[[Any], bool]) -> Dataset:
        """The samples for which ``fn(sample)`` is true (decided now, once)."""
        return _SampledDataset(self, FilterSampler(fn, self))

    def shard(self, num_shards: int, index: int) -> Dataset:
        """Part ``index`` of ``num_shards`` contiguous parts (the first
        ``len % num_shards`` parts are one sample longer)."""
        if index >= num_shards:
            raise AssertionError(f"Shard index of out bound: {index} out of {num_shards}")
        if num_shards <= 0:
            raise AssertionError("Number of shards must be greater than 0")
        if index < 0:
            raise AssertionError("Index must be non-negative")
        size, rest = divmod(len(self), num_shards)
        start = size * index + min(index, rest)
        return _SampledDataset(self, SequentialSampler(size + (index < rest), start))

    def take(self, count: int | None) -> Dataset:
        """The first ``count`` samples (all of them if ``count`` is None or too big)."""
        if count is None or count > len(self):
            count = len(self)
        return _SampledDataset(self, SequentialSampler(count))

    def sample(self, sampler: Sampler) -> Dataset:
        """The samples at the indices ``sampler`` yields."""
        if not isinstance(sampler, Sampler):
            raise TypeError(f"Invalid sampler type: {type(sampler)}. Expected "
                            "gluon.data.Sampler instead.")
        return _SampledDataset(self, sampler)


class SimpleDataset(Dataset):
    """A dataset over any object with ``len()`` and ``[]`` (a list, an array, ...)."""

    def __init__(self, data: Any) -> None:
        self._data = data

    def __len__(self) -> int:
        return len(self._data)

    def __getitem__(self, idx: Any) -> Any:
        return self._data[idx]


class _LazyTransformDataset(Dataset):
    """``data`` with ``fn`` applied on every read."""

    def __init__(self, data: Any, fn: Callable[..., Any]) -> None:
        self._data = data
        self._fn = fn

    def __len__(self) -> int:
        return len(self._data)

    def __getitem__(self, idx: Any) -> Any:
        item = self._data[idx]
        if isinstance(item, tuple):
            return self._fn(*item)
        return self._fn(item)


class _TransformFirst:
    """``fn`` applied to the first of its arguments; the others pass through.

    A class rather than a closure, so that a transformed dataset can be pickled."""

    def __init__(self, fn: Callable[[Any], Any]) -> None:
        self._fn = fn

    def __call__(self, x: Any, *rest: Any) -> Any:
        if rest:
            return (self._fn(x),) + rest
        return self._fn(x)


class _SampledDataset(Dataset):
    """The samples of ``dataset`` at the indices ``sampler`` gives (fixed at creation)."""

    def __init__(self, dataset: Any, sampler: Sampler) -> None:
        self._dataset = dataset
        self._sampler = sampler
        self._indices = list(sampler)

    def __len__(self) -> int:
        return len(self._sampler)

    def __getitem__(self, idx: Any) -> Any:
        return self._dataset[self._indices[idx]]


class ArrayDataset(Dataset):
    """Several equally long arrays (or lists, or datasets) side by side.

    Sample ``i`` is the tuple ``(a[i], b[i], ...)``; with a single array it is ``a[i]``
    itself. As in MXNet, a 1-D NDArray argument is stored as a NumPy array, so its
    elements come out as NumPy scalars (a label of ``nd.arange(10)`` is a
    ``numpy.float32``), while other arguments keep their type. A slice ``ds[1:3]``
    gives the tuple of sliced arrays.

    Examples
    --------
    >>> from minigluon import nd
    >>> from minigluon.gluon.data import ArrayDataset
    >>> ds = ArrayDataset(nd.ones((10, 2)), nd.arange(10))
    >>> x, y = ds[3]
    >>> x.shape, float(y), type(y).__name__
    ((2,), 3.0, 'float32')
    """

    def __init__(self, *args: Any) -> None:
        if not args:
            raise AssertionError("Needs at least 1 arrays")
        self._length = len(args[0])
        self._data = []
        for i, data in enumerate(args):
            # MXNet numbers the offending array from 1 here (array[0] is the first)
            if len(data) != self._length:
                raise AssertionError(
                    f"All arrays must have the same length; array[0] has length "
                    f"{self._length} while array[{i + 1}] has {len(data)}.")
            if isinstance(data, NDArray) and data.ndim == 1:
                data = data.asnumpy()
            self._data.append(data)

    def __getitem__(self, idx: Any) -> Any:
        if len(self._data) == 1:
            return self._data[0][idx]
        return tuple(data[idx] for data in self._data)

    def __len__(self) -> int:
        return self._length


class RecordFileDataset(Dataset):
    """The raw records of a RecordIO file (``filename``, with its index ``<name>.idx``
    beside it): sample ``i`` is the bytes of the ``i``-th record in the index."""

    def __init__(self, filename: str) -> None:
        from ... import recordio

        self.idx_file = os.path.splitext(filename)[0] + ".idx"
        self.filename = filename
        self._record = recordio.MXIndexedRecordIO(self.idx_file, self.filename, "r")

    def __getitem__(self, idx: int) -> Any:
        return self._record.read_idx(self._record.keys[idx])

    def __len__(self) -> int:
        return len(self._record.keys)
