"""CIFAR-10, CIFAR-100, ImageFolderDataset and ImageRecordDataset, as in MXNet 1.9.1.

CIFAR files
    ``root`` (default ``$MXNET_HOME/datasets/cifar10`` or ``.../cifar100``, else under
    ``~/.mxnet``; ``MINIGLUON_DATA=<dir>`` reads ``<dir>/cifar10``) holds the binary
    batches MXNet reads (``data_batch_1.bin`` ... ``data_batch_5.bin`` and
    ``test_batch.bin``; ``train.bin`` and ``test.bin`` for CIFAR-100), each checked
    against MXNet's SHA-1 (``MINIGLUON_VERIFY_SHA1=0`` or ``verify_sha1=False`` skips the
    check, for locally made files). When they are missing, the archive
    (``cifar-10-binary.tar.gz`` / ``cifar-100-binary.tar.gz``, MXNet's or the original one
    from https://www.cs.toronto.edu/~kriz/cifar.html, whose files sit in a
    sub-folder) is unpacked if it is in ``root``; otherwise it is downloaded from MXNet's
    repository as MXNet does, and when that fails the error says which file to put where.
    Only the expected members are taken out of an archive, each written atomically.
"""

from __future__ import annotations

import hashlib
import os
import tarfile
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from ....base import MinigluonError
from ....ndarray.ndarray import _wrap
from ...utils import ENV_VERIFY, sha1_checks_enabled
from ..dataset import Dataset, RecordFileDataset

# the same settings as MNIST's (datasets.py, which re-exports this module's classes, so
# nothing is imported from there)
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


class _DownloadedDataset(Dataset):
    """A data set kept as ``self._data`` and ``self._label``, read by ``_get_data``."""

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

__all__ = ["CIFAR10", "CIFAR100", "ImageFolderDataset", "ImageRecordDataset"]


def _verify_default(verify_sha1: bool | None) -> bool:
    if verify_sha1 is not None:
        return verify_sha1
    return sha1_checks_enabled()


class CIFAR10(_DownloadedDataset):
    """CIFAR-10: 50,000 training and 10,000 test colour images (32x32) of 10 classes.

    Sample ``i`` is ``(image, label)``: an NDArray uint8 (32, 32, 3) and a
    ``numpy.int32``.

    Parameters
    ----------
    root : str, optional
        The directory of the binary batches (see the module docstring).
    train : bool, default True
        The five training batches, or the test batch.
    transform : callable, optional
        ``transform(image, label)`` returns the sample.
    verify_sha1 : bool, optional
        minigluon only: False uses the files present without checking their SHA-1.
    """

    _namespace = "cifar10"
    _title = "CIFAR-10"
    _archive_file = ("cifar-10-binary.tar.gz", "fab780a1e191a7eda0f345501ccd62d20f7ed891")
    _train_data = [("data_batch_1.bin", "aadd24acce27caa71bf4b10992e9e7b2d74c2540"),
                   ("data_batch_2.bin", "c0ba65cce70568cd57b4e03e9ac8d2a5367c1795"),
                   ("data_batch_3.bin", "1dd00a74ab1d17a6e7d73e185b69dbf31242f295"),
                   ("data_batch_4.bin", "aab85764eb3584312d3c7f65fd2fd016e36a258e"),
                   ("data_batch_5.bin", "26e2849e66a845b7f1e4614ae70f4889ae604628")]
    _test_data = [("test_batch.bin", "67eb016db431130d61cd03c7ad570b013799c88c")]
    _label_bytes = 1

    def __init__(self, root: str | os.PathLike[str] | None = None, train: bool = True,
                 transform: Callable[..., Any] | None = None, *,
                 verify_sha1: bool | None = None) -> None:
        self._train = train
        self._verify = _verify_default(verify_sha1)
        override = os.environ.get(ENV_DATA)
        if override:
            root = os.path.join(os.path.expanduser(override), self._namespace)
        elif root is None:
            root = os.path.join(_data_dir(), "datasets", self._namespace)
        super().__init__(root, transform)

    def _label_column(self) -> int:
        return 0

    def _read_batch(self, filename: str) -> tuple[np.ndarray, np.ndarray]:
        row = 3072 + self._label_bytes
        with open(filename, "rb") as fin:
            raw = fin.read()
        if len(raw) == 0 or len(raw) % row:
            raise MinigluonError(
                f"{filename} is not a {self._title} binary batch: its {len(raw)} bytes are "
                f"not a whole number of {row}-byte records ({self._label_bytes} label "
                "byte(s) and a 3x32x32 image)")
        data = np.frombuffer(raw, dtype=np.uint8).reshape(-1, row)
        images = data[:, self._label_bytes:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
        return images, data[:, self._label_column()].astype(np.int32)

    def _good(self, path: str, sha1: str) -> bool:
        from ... import utils  # looked up now, so that a replaced check_sha1 is honoured

        return os.path.isfile(path) and (not self._verify or utils.check_sha1(path, sha1))

    def _get_data(self) -> None:
        files = self._train_data + self._test_data
        if not all(self._good(os.path.join(self._root, n), h) for n, h in files):
            self._unpack(self._find_archive())
            for name, sha1 in files:
                path = os.path.join(self._root, name)
                if not os.path.isfile(path):
                    raise MinigluonError(
                        f"the {self._title} archive has no {name}; {self._where()}")
                if not self._good(path, sha1):
                    raise MinigluonError(
                        f"{path} has SHA-1 {_sha1(path)}, not {self._title}'s {sha1}. "
                        f"{self._where()}")
        names = self._train_data if self._train else self._test_data
        data, label = zip(*(self._read_batch(os.path.join(self._root, n)) for n, _ in names))
        self._data = _wrap(np.ascontiguousarray(np.concatenate(data)), None)
        self._label = np.concatenate(label)

    def _where(self) -> str:
        name, sha1 = self._archive_file
        return (f"Put {self._title}'s binary archive {name} (SHA-1 {sha1}, published at "
                f"{self._url()} and, as the original, at "
                "https://www.cs.toronto.edu/~kriz/cifar.html) or its extracted .bin files in "
                f"{self._root}, or set {ENV_DATA}=<dir> to read <dir>/{self._namespace}/; "
                f"for locally made files set {ENV_VERIFY}=0 or pass verify_sha1=False.")

    def _url(self) -> str:
        from ... import utils

        return utils._get_repo_file_url("gluon/dataset/" + self._namespace,
                                        self._archive_file[0])

    def _find_archive(self) -> str:
        from ... import utils  # looked up now, so that replacements are honoured

        name, sha1 = self._archive_file
        path = os.path.join(self._root, name)
        if os.path.isfile(path):
            return path
        try:
            return utils.download(self._url(), path=path,
                                  sha1_hash=sha1 if self._verify else None)
        except Exception as e:
            raise MinigluonError(
                f"{self._title}: {path} and the .bin files are missing, and downloading "
                f"{self._url()} failed: {e}\n{self._where()}") from e

    def _unpack(self, archive: str) -> None:
        """Take the expected .bin files out of ``archive`` (at its top level or in a
        sub-folder), each written to a temporary file and renamed."""
        wanted = {n for n, _ in self._train_data + self._test_data}
        try:
            with tarfile.open(archive) as tar:
                for member in tar:
                    base = os.path.basename(member.name)
                    if base not in wanted or not member.isfile():
                        continue
                    src = tar.extractfile(member)
                    target = os.path.join(self._root, base)
                    tmp = f"{target}.{os.getpid()}.tmp"
                    try:
                        with open(tmp, "wb") as out:
                            while chunk := src.read(1 << 20):
                                out.write(chunk)
                        os.replace(tmp, target)
                    finally:
                        if os.path.exists(tmp):
                            os.unlink(tmp)
        except (tarfile.TarError, EOFError, OSError) as e:
            if isinstance(e, FileNotFoundError):
                raise
            raise MinigluonError(f"{archive} is not a readable tar.gz archive ({e}). "
                                 f"{self._where()}") from e


class CIFAR100(CIFAR10):
    """CIFAR-100: 50,000 training and 10,000 test colour images (32x32) of 100 classes
    in 20 superclasses. ``fine_label=True`` gives the 100 classes, False (default, as in
    MXNet) the 20 coarse ones; the other arguments are those of `CIFAR10`."""

    _namespace = "cifar100"
    _title = "CIFAR-100"
    _archive_file = ("cifar-100-binary.tar.gz", "a0bb982c76b83111308126cc779a992fa506b90b")
    _train_data = [("train.bin", "e207cd2e05b73b1393c74c7f5e7bea451d63e08e")]
    _test_data = [("test.bin", "8fb6623e830365ff53cf14adec797474f5478006")]
    _label_bytes = 2

    def __init__(self, root: str | os.PathLike[str] | None = None, fine_label: bool = False,
                 train: bool = True, transform: Callable[..., Any] | None = None, *,
                 verify_sha1: bool | None = None) -> None:
        self._fine_label = fine_label
        super().__init__(root, train, transform, verify_sha1=verify_sha1)

    def _label_column(self) -> int:
        return int(bool(self._fine_label))


class ImageRecordDataset(RecordFileDataset):
    """Images in a RecordIO file (with its ``.idx`` beside it): sample ``i`` is
    ``(image, label)``, the image decoded with `mx.image.imdecode` (``flag`` 1 colour,
    0 grayscale) and the label from the record's header."""

    def __init__(self, filename: str, flag: int = 1,
                 transform: Callable[..., Any] | None = None) -> None:
        super().__init__(filename)
        self._flag = flag
        self._transform = transform

    def __getitem__(self, idx: int) -> Any:
        from .... import image, recordio

        record = super().__getitem__(idx)
        header, img = recordio.unpack(record)
        decoded = image.imdecode(img, self._flag)
        if self._transform is not None:
            return self._transform(decoded, header.label)
        return decoded, header.label


class ImageFolderDataset(Dataset):
    """Images in one folder per class: ``root/<class>/<image>.jpg|.jpeg|.png``.

    Sample ``i`` is ``(image, label)``: an NDArray uint8 (H, W, 3) (or (H, W, 1) with
    ``flag=0``) and the class index. ``synsets`` lists the class folders in sorted order
    (the label is the position), ``items`` the (path, label) pairs. As in MXNet, files of
    other types and files directly in ``root`` are skipped with a warning; a class folder
    without any image keeps its label (so that labels stay those of MXNet) and warns.
    """

    def __init__(self, root: str | os.PathLike[str], flag: int = 1,
                 transform: Callable[..., Any] | None = None) -> None:
        self._root = os.path.expanduser(os.fspath(root))
        self._flag = flag
        self._transform = transform
        self._exts = [".jpg", ".jpeg", ".png"]
        self._list_images(self._root)

    def _list_images(self, root: str) -> None:
        self.synsets: list[str] = []
        self.items: list[tuple[str, int]] = []
        if not os.path.isdir(root):
            raise FileNotFoundError(f"ImageFolderDataset: root {root!r} is not a directory "
                                    "(expected one sub-folder of images per class)")
        for folder in sorted(os.listdir(root)):
            path = os.path.join(root, folder)
            if not os.path.isdir(path):
                warnings.warn(f"Ignoring {path}, which is not a directory.", stacklevel=3)
                continue
            label = len(self.synsets)
            self.synsets.append(folder)
            found = 0
            for filename in sorted(os.listdir(path)):
                filename = os.path.join(path, filename)
                ext = os.path.splitext(filename)[1]
                if ext.lower() not in self._exts:
                    warnings.warn(f"Ignoring {filename} of type {ext}. Only support "
                                  f"{', '.join(self._exts)}", stacklevel=3)
                    continue
                self.items.append((filename, label))
                found += 1
            if not found:
                warnings.warn(f"ImageFolderDataset: class folder {path} has no images "
                              f"({', '.join(self._exts)}); its label {label} has no samples",
                              stacklevel=3)

    def __getitem__(self, idx: int) -> Any:
        from .... import image

        img = image.imread(self.items[idx][0], self._flag)
        label = self.items[idx][1]
        if self._transform is not None:
            return self._transform(img, label)
        return img, label

    def __len__(self) -> int:
        return len(self.items)
