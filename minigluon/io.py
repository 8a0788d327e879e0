"""``mx.io``: the data-iterator interface (DataDesc, DataBatch, DataIter) that MXNet's
image iterators (`mx.image.ImageIter`, `ImageDetIter`) return batches through, and
``NDArrayIter``, batches of arrays held in memory.

MXNet's C++ iterators (``ImageRecordIter``, ``MNISTIter``, ``CSVIter``) are not here.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Mapping
from typing import Any

import numpy as np

from . import ndarray as nd
from .ndarray.ndarray import NDArray

__all__ = ["DataDesc", "DataBatch", "DataIter", "NDArrayIter"]


class DataDesc(namedtuple("DataDesc", ["name", "shape"])):
    """Name and shape of an input (a tuple), with ``dtype`` and ``layout`` attributes.

    Examples
    --------
    >>> from minigluon import io
    >>> io.DataDesc('data', (2, 3, 4, 4))
    DataDesc[data,(2, 3, 4, 4),<class 'numpy.float32'>,NCHW]
    """

    def __new__(cls, name: str, shape: tuple[int, ...], dtype: Any = np.float32,
                layout: str = "NCHW") -> DataDesc:
        ret = super().__new__(cls, name, shape)
        ret.dtype = dtype
        ret.layout = layout
        return ret

    def __repr__(self) -> str:
        return f"DataDesc[{self.name},{self.shape},{self.dtype},{self.layout}]"

    @staticmethod
    def get_batch_axis(layout: str | None) -> int:
        """The position of ``N`` in ``layout`` (0 when there is no layout)."""
        if layout is None:
            return 0
        return layout.find("N")

    @staticmethod
    def get_list(shapes: list[tuple[str, tuple[int, ...]]], types: Any) -> list[DataDesc]:
        """DataDescs from (name, shape) pairs and optional (name, dtype) pairs."""
        if types is not None:
            type_dict = dict(types)
            return [DataDesc(x[0], x[1], type_dict[x[0]]) for x in shapes]
        return [DataDesc(x[0], x[1]) for x in shapes]


class DataBatch:
    """One batch: lists of data and label arrays, and the number of padded examples.

    Examples
    --------
    >>> from minigluon import io, nd
    >>> print(io.DataBatch([nd.zeros((2, 3))], [nd.zeros((2,))], pad=1))
    DataBatch: data shapes: [(2, 3)] label shapes: [(2,)]
    """

    def __init__(self, data: list[Any] | None, label: list[Any] | None = None,
                 pad: int | None = None, index: Any = None, bucket_key: Any = None,
                 provide_data: list[DataDesc] | None = None,
                 provide_label: list[DataDesc] | None = None) -> None:
        if data is not None and not isinstance(data, (list, tuple)):
            raise AssertionError("Data must be list of NDArrays")
        if label is not None and not isinstance(label, (list, tuple)):
            raise AssertionError("Label must be list of NDArrays")
        self.data = data
        self.label = label
        self.pad = pad
        self.index = index
        self.bucket_key = bucket_key
        self.provide_data = provide_data
        self.provide_label = provide_label

    def __str__(self) -> str:
        data_shapes = [d.shape for d in self.data]
        label_shapes = [lab.shape for lab in self.label] if self.label else None
        return f"{type(self).__name__}: data shapes: {data_shapes} label shapes: {label_shapes}"


class DataIter:
    """Base class of MXNet's data iterators: ``next()`` gives a DataBatch or raises
    StopIteration; ``reset()`` starts over."""

    def __init__(self, batch_size: int = 0) -> None:
        self.batch_size = batch_size

    def __iter__(self) -> DataIter:
        return self

    def reset(self) -> None:
        """Back to the first batch."""

    def next(self) -> DataBatch:
        """The next batch."""
        if self.iter_next():
            return DataBatch(data=self.getdata(), label=self.getlabel(), pad=self.getpad(),
                             index=self.getindex())
        raise StopIteration

    def __next__(self) -> DataBatch:
        return self.next()

    def iter_next(self) -> bool:
        """Move to the next batch; False at the end."""
        return False

    def getdata(self) -> Any:
        """The current batch's data."""

    def getlabel(self) -> Any:
        """The current batch's labels."""

    def getindex(self) -> Any:
        """The current batch's example indices."""
        return None

    def getpad(self) -> Any:
        """How many examples of the current batch are padding."""


def _named_arrays(data: Any, allow_empty: bool, default_name: str) -> list[tuple[str, NDArray]]:
    """``(name, NDArray)`` pairs sorted by name, from an array, a list of arrays (named
    ``_0_<default>``, ``_1_<default>``... when there are several) or a dict."""
    if data is None:
        if not allow_empty:
            raise AssertionError("NDArrayIter needs data")
        data = []
    if isinstance(data, (np.ndarray, NDArray)):
        data = [data]
    if isinstance(data, list):
        if not allow_empty and not data:
            raise AssertionError("NDArrayIter needs data")
        data = {default_name: data[0]} if len(data) == 1 else \
            {f"_{i}_{default_name}": d for i, d in enumerate(data)}
    if not isinstance(data, Mapping):
        raise TypeError("Input must be NDArray, numpy.ndarray, h5py.Dataset a list of them "
                        "or dict with them as values")
    out = {}
    for k, v in data.items():
        if not isinstance(v, NDArray):
            try:
                v = nd.array(v)
            except Exception as e:
                raise TypeError(f"Invalid type '{type(v)}' for {k}, should be NDArray, "
                                "numpy.ndarray or h5py.Dataset") from e
        out[k] = v
    return sorted(out.items())


class NDArrayIter(DataIter):
    """Batches of in-memory arrays, as MXNet's ``mx.io.NDArrayIter``.

    Parameters
    ----------
    data, label : array, list of arrays or dict of name -> array
        NDArrays or NumPy arrays (others go through ``nd.array``); ``label`` may be None.
    batch_size : int
        Examples per batch, along the ``N`` axis of ``layout``.
    shuffle : bool
        Reorder the examples at every ``reset()``, with NumPy's global generator
        (``np.random.seed`` makes it repeat, as in MXNet).
    last_batch_handle : {'pad', 'discard', 'roll_over'}
        The last, incomplete batch: filled up with examples from the start (its
        ``pad`` says how many), dropped, or kept and completed with the first examples
        of the next epoch (after ``reset()``).
    data_name, label_name : str
        The names in ``provide_data`` / ``provide_label``.
    layout : str
        Where the batch axis is (the position of ``N``).

    Examples
    --------
    >>> import numpy as np
    >>> from minigluon import io
    >>> it = io.NDArrayIter(np.arange(10).reshape(5, 2), np.arange(5), batch_size=2)
    >>> [(b.data[0].shape, b.label[0].asnumpy().tolist(), b.pad) for b in it]
    [((2, 2), [0.0, 1.0], 0), ((2, 2), [2.0, 3.0], 0), ((2, 2), [4.0, 0.0], 1)]
    """

    def __init__(self, data: Any, label: Any = None, batch_size: int = 1,
                 shuffle: bool = False, last_batch_handle: str = "pad",
                 data_name: str = "data", label_name: str = "softmax_label",
                 layout: str = "NCHW") -> None:
        super().__init__(batch_size)
        self.data = _named_arrays(data, False, data_name)
        self.label = _named_arrays(label, True, label_name)
        self.idx = np.arange(self.data[0][1].shape[0])
        self.shuffle = shuffle
        self.last_batch_handle = last_batch_handle
        self.batch_size = batch_size
        # the cursor is the first example of the current batch; -batch_size before the
        # first one, and between -batch_size and 0 when 'roll_over' carried examples over
        self.cursor = -batch_size
        self.num_data = int(self.idx.shape[0])
        self._cache_data: list[NDArray] | None = None
        self._cache_label: list[NDArray] | None = None
        self.layout = layout
        self.reset()
        self.data_list = [v for _, v in self.data] + [v for _, v in self.label]
        self.num_source = len(self.data_list)

    def _descs(self, arrays: list[tuple[str, NDArray]]) -> list[DataDesc]:
        axis = self.layout.find("N")
        return [DataDesc(k, tuple(v.shape[:axis]) + (self.batch_size,) + tuple(v.shape[axis + 1:]),
                         v.dtype, layout=self.layout) for k, v in arrays]

    @property
    def provide_data(self) -> list[DataDesc]:
        """Name, batch shape, dtype and layout of each data array."""
        return self._descs(self.data)

    @property
    def provide_label(self) -> list[DataDesc]:
        """Name, batch shape, dtype and layout of each label array."""
        return self._descs(self.label)

    def hard_reset(self) -> None:
        """Back to the start, forgetting examples a 'roll_over' carried over."""
        if self.shuffle:
            self._shuffle_data()
        self.cursor = -self.batch_size
        self._cache_data = self._cache_label = None

    def reset(self) -> None:
        """Back to the start (with 'roll_over', after the examples carried over)."""
        if self.shuffle:
            self._shuffle_data()
        if self.last_batch_handle == "roll_over" and \
                self.num_data - self.batch_size < self.cursor < self.num_data:
            # the incomplete last batch opens the next epoch
            self.cursor = self.cursor - self.num_data - self.batch_size
        else:
            self.cursor = -self.batch_size

    def iter_next(self) -> bool:
        """Move to the next batch; False past the end."""
        self.cursor += self.batch_size
        return self.cursor < self.num_data

    def next(self) -> DataBatch:
        """The next batch; StopIteration at the end of the epoch."""
        if not self.iter_next():
            raise StopIteration
        data, label = self.getdata(), self.getlabel()
        if data[0].shape[self.layout.find("N")] != self.batch_size:
            # an incomplete last batch ('discard', 'roll_over') ends the epoch; roll_over
            # serves it, completed, after reset()
            self._cache_data, self._cache_label = data, label
            raise StopIteration
        return DataBatch(data=data, label=label, pad=self.getpad(), index=None)

    def _slice(self, arrays: list[tuple[str, NDArray]], start: int, end: int
               ) -> list[NDArray]:
        axis = self.layout.find("N")
        return [nd.slice_axis(v, axis=axis, begin=start, end=end) for _, v in arrays]

    def _concat(self, first: list[NDArray], second: list[NDArray]) -> list[NDArray]:
        if not first or not second:
            return first or second
        axis = self.layout.find("N")
        return [nd.concat(a, b, dim=axis) for a, b in zip(first, second)]

    def _batchify(self, arrays: list[tuple[str, NDArray]]) -> list[NDArray]:
        if self.cursor >= self.num_data:
            raise AssertionError("DataIter needs reset.")
        bs, n, cur = self.batch_size, self.num_data, self.cursor
        if self.last_batch_handle == "roll_over" and -bs < cur < 0:
            # the first batch after a roll-over: the cached tail, then the first examples
            cache = self._cache_data if self._cache_data is not None else self._cache_label
            if cache is None:
                raise AssertionError("next epoch should have cached data")
            if self._cache_data is not None:
                self._cache_data = None
            else:
                self._cache_label = None
            return self._concat(cache, self._slice(arrays, 0, cur + bs))
        if self.last_batch_handle == "pad" and cur + bs > n:
            pad = cur + bs - n
            head = self._slice(arrays, cur, n)
            if pad > n:  # a batch larger than the data: the data repeated
                fill = [nd.tile(a, reps=(pad // n,) + (1,) * (a.ndim - 1))
                        for a in self._slice(arrays, 0, n)]
                if pad % n:
                    fill = self._concat(fill, self._slice(arrays, 0, pad % n))
            else:
                fill = self._slice(arrays, 0, pad)
            return self._concat(head, fill)
        return self._slice(arrays, cur, min(cur + bs, n))

    def getdata(self) -> list[NDArray]:
        """The current batch's data arrays."""
        return self._batchify(self.data)

    def getlabel(self) -> list[NDArray]:
        """The current batch's label arrays."""
        return self._batchify(self.label)

    def getpad(self) -> int:
        """How many examples of the current batch are filling ('pad') or were carried
        over ('roll_over', the first batch of an epoch)."""
        if self.last_batch_handle == "pad" and self.cursor + self.batch_size > self.num_data:
            return self.cursor + self.batch_size - self.num_data
        if self.last_batch_handle == "roll_over" and -self.batch_size < self.cursor < 0:
            return -self.cursor
        return 0

    def _shuffle_data(self) -> None:
        # MXNet shuffles its index in place and reorders the (already reordered) arrays
        # by it, so successive epochs compose permutations; kept, so that a seeded NumPy
        # generator gives MXNet's order
        np.random.shuffle(self.idx)
        self.data = [(k, nd.array(v.asnumpy()[self.idx], ctx=v.context))
                     for k, v in self.data]
        self.label = [(k, nd.array(v.asnumpy()[self.idx], ctx=v.context))
                      for k, v in self.label]
