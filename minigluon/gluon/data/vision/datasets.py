"""MNIST and Fashion-MNIST, read from the standard IDX files.

Where the files are
    ``root`` (default ``$MXNET_HOME/datasets/<name>``, else
    ``~/.mxnet/datasets/<name>``, with ``<name>`` ``mnist`` or ``fashion-mnist``) holds
    ``train-images-idx3-ubyte.gz``, ``train-labels-idx1-ubyte.gz``,
    ``t10k-images-idx3-ubyte.gz`` and ``t10k-labels-idx1-ubyte.gz``, gzipped or not
    (the content decides). A missing file, or one whose SHA-1 is not that of the real
    data set, is downloaded from MXNet's repository (``$MXNET_GLUON_REPO`` if set).

Environment variables (minigluon only)
    ``MINIGLUON_DATA=<dir>``
        Read and download the files in ``<dir>/<name>/`` instead of ``root``, even when
        the code passes ``root=`` (d2l's ``load_data_fashion_mnist`` always does). It
        mirrors MXNet's layout: ``MINIGLUON_DATA=~/.mxnet/datasets`` changes nothing.
    ``MINIGLUON_VERIFY_SHA1=0``
        Use the files that are there without checking their SHA-1 (for files made
        locally, e.g. small synthetic ones for tests or CI). The ``verify_sha1=False``
        argument does the same for one data set.

Files are checked with ``gluon.utils.check_sha1`` and fetched with
``gluon.utils.download``, both looked up when needed, so code that replaces either
(a mirror, an offline copy) works as it does with MXNet.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import struct
import zlib
from collections.abc import Callable
from typing import Any

import numpy as np

from ....base import MinigluonError
from ....ndarray.ndarray import _wrap
from ...utils import ENV_VERIFY, sha1_checks_enabled
from ..dataset import Dataset

__all__ = ["MNIST", "FashionMNIST"]

ENV_DATA = "MINIGLUON_DATA"


def _data_dir() -> str:
    """MXNet's data directory: ``$MXNET_HOME``, else ``~/.mxnet``."""
    return os.environ.get("MXNET_HOME") or os.path.join(os.path.expanduser("~"), ".mxnet")


def _sha1(path: str) -> str:
    h = hashlib.sha1()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


class IDXFormatError(MinigluonError, ValueError):
    """A file that is not a complete IDX file of the expected kind (names the file)."""


_CHUNK = 1 << 20
# larger than any real IDX file (MNIST's training images are 47 MB)
_TRUST_SIZE = 1 << 26


def _read_exactly(f: Any, n: int, path: str, what: str) -> bytes:
    """``n`` bytes of ``f``, read in chunks, so that a header announcing more data than the
    file has costs no more memory than the file's data."""
    parts, got = [], 0
    while got < n:
        chunk = f.read(min(_CHUNK, n - got))
        if not chunk:
            break
        parts.append(chunk)
        got += len(chunk)
    if got < n:
        raise IDXFormatError(f"{path} is cut short: {what} needs {n} bytes, the file has "
                             f"{got}")
    return b"".join(parts)


def _read_idx(path: str, magic: int, ndim: int) -> np.ndarray:
    """The uint8 array in an IDX file: a big-endian header (magic number, then one
    uint32 per dimension) followed by the bytes. Gzipped files are recognised by their
    first two bytes and decompressed as they are read: only the header's announced size
    is ever decompressed (a gzip bomb is refused after one byte too many)."""
    if os.path.isdir(path):
        raise IDXFormatError(f"{path} is a directory, not an IDX file")
    head = 4 * (1 + ndim)
    with open(path, "rb") as raw:
        gzipped = raw.read(2) == b"\x1f\x8b"
        raw.seek(0)
        isize = None
        if gzipped:  # the gzip trailer keeps the data's size mod 2**32: a free check
            end = raw.seek(0, os.SEEK_END)
            if end >= 18:
                raw.seek(end - 4)
                isize = struct.unpack("<I", raw.read(4))[0]
            raw.seek(0)
        f: Any = gzip.GzipFile(fileobj=raw, mode="rb") if gzipped else raw
        try:
            header = _read_exactly(f, head, path, "the IDX header")
            found, *dims = struct.unpack(f">{1 + ndim}I", header)
            if found != magic:
                raise IDXFormatError(f"{path} is not an IDX file of {ndim}-D uint8 data: its "
                                     f"magic number is {found}, expected {magic}")
            size = 1
            for d in dims:
                size *= d  # a Python int: no overflow, whatever the header says
            # a large announced size that the trailer contradicts is refused before any
            # decompression; a small one is read, which names the precise problem
            if gzipped and isize is not None and (head + size) % 2**32 != isize and \
                    size > _TRUST_SIZE:
                raise IDXFormatError(
                    f"{path} holds {(isize - head) % 2**32} bytes of data, but its header "
                    f"(shape {tuple(dims)}) announces {size} (the data size is read from "
                    "the gzip trailer, mod 2**32)")
            if not gzipped:
                have = os.fstat(raw.fileno()).st_size - head
                if have != size:
                    raise IDXFormatError(f"{path} holds {have} bytes of data, but its header "
                                         f"(shape {tuple(dims)}) announces {size}")
            data = _read_exactly(f, size, path, f"the data of shape {tuple(dims)}")
            if f.read(1):  # (decompressing no further than one byte past the data)
                held = f"{(isize - head) % 2**32}" if isize is not None else \
                    f"more than {size}"
                raise IDXFormatError(f"{path} holds {held} bytes of data, but its header "
                                     f"(shape {tuple(dims)}) announces {size}")
        except (OSError, EOFError, zlib.error) as e:
            if not gzipped:
                raise
            raise IDXFormatError(f"{path} is not a valid gzip file ({e})") from None
        finally:
            if gzipped:
                f.close()
    return np.frombuffer(data, dtype=np.uint8).reshape(dims)


class _DownloadedDataset(Dataset):
    """A data set kept as ``self._data`` and ``self._label``, read from files in
    ``self._root`` (downloaded when needed) by ``_get_data``."""

    def __init__(self, root: str | os.PathLike[str], transform: Callable[..., Any] | None
                 ) -> None:
        self._transform = transform
        self._data: Any = None
        self._label: Any = None
        self._root = os.path.expanduser(os.fspath(root))
        self._get_data()

    def __getitem__(self, idx: Any) -> Any:
        if self._transform is not None:
            return self._transform(self._data[idx], self._label[idx])
        return self._data[idx], self._label[idx]

    def __len__(self) -> int:
        return len(self._label)

    def _get_data(self) -> None:
        raise NotImplementedError


class MNIST(_DownloadedDataset):
    """The MNIST handwritten digits: 60,000 training and 10,000 test images.

    Sample ``i`` is ``(image, label)``: image an NDArray of uint8, shape (28, 28, 1),
    label a ``numpy.int32``. A slice gives an NDArray (n, 28, 28, 1) and a NumPy int32
    array.

    Parameters
    ----------
    root : str, optional
        The directory of the four IDX files; default ``$MXNET_HOME/datasets/mnist``,
        else ``~/.mxnet/datasets/mnist``. The environment variable ``MINIGLUON_DATA``
        overrides it (see the module docstring).
    train : bool, default True
        The training set, or the test set.
    transform : callable, optional
        ``transform(image, label)`` returns the sample, e.g.
        ``lambda data, label: (data.astype('float32') / 255, label)``.
    verify_sha1 : bool, optional
        minigluon only. False uses the files present without checking their SHA-1
        (locally made files); default: true unless ``MINIGLUON_VERIFY_SHA1=0``.

    Raises
    ------
    MXNetError
        When a file is missing or wrong and cannot be downloaded; the message names the
        file, the SHA-1 it should have and the ways out.
    """

    _namespace = "mnist"
    _title = "MNIST"
    _train_data = ("train-images-idx3-ubyte.gz", "6c95f4b05d2bf285e1bfb0e7960c31bd3b3f8a7d")
    _train_label = ("train-labels-idx1-ubyte.gz", "2a80914081dc54586dbdf242f9805a6b8d2a15fc")
    _test_data = ("t10k-images-idx3-ubyte.gz", "c3a25af1f52dad7f726cce8cacb138654b760d48")
    _test_label = ("t10k-labels-idx1-ubyte.gz", "763e7fa3757d93b0cdec073cef058b2004252c17")

    def __init__(self, root: str | os.PathLike[str] | None = None, train: bool = True,
                 transform: Callable[..., Any] | None = None, *,
                 verify_sha1: bool | None = None) -> None:
        self._train = train
        if verify_sha1 is None:
            verify_sha1 = sha1_checks_enabled()
        self._verify = verify_sha1
        override = os.environ.get(ENV_DATA)
        if override:
            root = os.path.join(os.path.expanduser(override), self._namespace)
        elif root is None:
            root = os.path.join(_data_dir(), "datasets", self._namespace)
        super().__init__(root, transform)

    def _get_data(self) -> None:
        if self._train:
            data, label = self._train_data, self._train_label
        else:
            data, label = self._test_data, self._test_label
        data_file = self._fetch(*data)
        label_file = self._fetch(*label)
        labels = _read_idx(label_file, 2049, 1).astype(np.int32)
        images = _read_idx(data_file, 2051, 3)
        if len(images) != len(labels):
            raise ValueError(f"{data_file} holds {len(images)} images but {label_file} "
                             f"holds {len(labels)} labels")
        self._data = _wrap(images[..., None].copy(), None)
        self._label = labels

    def _fetch(self, name: str, sha1: str) -> str:
        """The path of file ``name`` in the root, downloading it if it is missing or
        (when verifying) its hash is wrong."""
        from ... import utils  # looked up now, so that replacements are honoured

        path = os.path.join(self._root, name)
        if os.path.isdir(path):  # never download into it, nor call it missing
            raise MinigluonError(f"{self._title} file {path} is a directory, not a file; "
                                 "remove or rename it")
        present = os.path.isfile(path)
        if present and (not self._verify or utils.check_sha1(path, sha1)):
            return path
        url = utils._get_repo_file_url("gluon/dataset/" + self._namespace, name)
        try:
            return utils.download(url, path=path, sha1_hash=sha1 if self._verify else None)
        except Exception as e:
            problem = f"has SHA-1 {_sha1(path)}, not" if present else "is missing; expected"
            raise MinigluonError(
                f"{self._title} file {path} {problem} SHA-1 {sha1}, and downloading it "
                f"from {url} failed: {e}\n"
                "Ways out:\n"
                f"  * put the {self._title} file {name} (SHA-1 {sha1}) at {path};\n"
                f"  * or set the environment variable {ENV_DATA}=<dir> to read the files "
                f"from <dir>/{self._namespace}/, or pass root=<dir> to "
                f"{type(self).__name__}();\n"
                f"  * for files made locally (not the real data set), set {ENV_VERIFY}=0 "
                "or pass verify_sha1=False to skip the hash check.") from e


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST: 28x28 grey images of 10 kinds of clothing, a drop-in
    replacement for :class:`MNIST` (same files, sizes and sample types).

    ``root`` defaults to ``$MXNET_HOME/datasets/fashion-mnist``, else
    ``~/.mxnet/datasets/fashion-mnist``; the other arguments are those of MNIST.

    Examples
    --------
    Reading locally made files (the real ones are downloaded when missing)::

        mnist_train = FashionMNIST(root='data/fashion-mnist', train=True)
        feature, label = mnist_train[0]   # NDArray uint8 (28, 28, 1), numpy.int32
    """

    _namespace = "fashion-mnist"
    _title = "Fashion-MNIST"
    _train_data = ("train-images-idx3-ubyte.gz", "0cf37b0d40ed5169c6b3aba31069a9770ac9043d")
    _train_label = ("train-labels-idx1-ubyte.gz", "236021d52f1e40852b06a4c3008d8de8aef1e40b")
    _test_data = ("t10k-images-idx3-ubyte.gz", "626ed6a7c06dd17c0eec72fa3be1740f146a2863")
    _test_label = ("t10k-labels-idx1-ubyte.gz", "17f9ab60e7257a1620f4ad76bbbaf857c3920701")


# MXNet keeps every vision data set in gluon.data.vision.datasets; the image ones live in
# image_datasets.py (imported last: it builds on the classes above)
from .image_datasets import (  # noqa: E402
    CIFAR10,
    CIFAR100,
    ImageFolderDataset,
    ImageRecordDataset,
)

__all__ += ["CIFAR10", "CIFAR100", "ImageFolderDataset", "ImageRecordDataset"]
