"""``mx.io``: the data-iterator interface (DataDesc, DataBatch, DataIter) that MXNet's
image iterators (`mx.image.ImageIter`, `ImageDetIter`) return batches through.

MXNet's C++ iterators (``ImageRecordIter``, ``MNISTIter``, ``CSVIter``) and NDArrayIter
are not here.
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any

import numpy as np

__all__ = ["DataDesc", "DataBatch", "DataIter"]


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
