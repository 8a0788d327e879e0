"""CIFAR10/CIFAR100 from small locally made binary batches and archives, ImageFolderDataset
and ImageRecordDataset (sample types and the folder rules checked against MXNet 1.9.1:
a class folder without images keeps its label, other files are skipped with a warning).
Nothing downloads: download is replaced by a function that fails."""

from __future__ import annotations

import io
import os
import shutil
import tarfile
from pathlib import Path

import numpy as np
import pytest

import minigluon as mx
from minigluon.gluon import utils as gutils
from minigluon.gluon.data import vision

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
FILES = GOLDEN / "files" / "image"
CIFAR10_BINS = [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]


@pytest.fixture(autouse=True)
def _no_download(monkeypatch):
    def fail(url, *a, **k):
        raise OSError(f"no network in tests ({url})")

    monkeypatch.setattr(gutils, "download", fail)
    monkeypatch.delenv("MINIGLUON_DATA", raising=False)
    monkeypatch.delenv("MINIGLUON_VERIFY_SHA1", raising=False)


def _batches(label_bytes: int, n: int = 3, seed: int = 0) -> dict[str, bytes]:
    rng = np.random.default_rng(seed)
    names = CIFAR10_BINS if label_bytes == 1 else ["train.bin", "test.bin"]
    out = {}
    for k, name in enumerate(names):
        labels = rng.integers(0, 100, (n + k, label_bytes))
        pixels = rng.integers(0, 256, (n + k, 3072))
        out[name] = np.concatenate([labels, pixels], 1).astype(np.uint8).tobytes()
    return out


def test_cifar10_reads_binary_batches(tmp_path):
    bins = _batches(1)
    for name, raw in bins.items():
        (tmp_path / name).write_bytes(raw)
    train = vision.CIFAR10(root=str(tmp_path), train=True, verify_sha1=False)
    assert len(train) == 3 + 4 + 5 + 6 + 7
    x, y = train[4]
    assert isinstance(x, mx.nd.NDArray) and x.dtype == np.uint8 and x.shape == (32, 32, 3)
    assert type(y) is np.int32
    row = np.frombuffer(bins["data_batch_2.bin"], np.uint8).reshape(-1, 3073)[1]
    assert y == row[0]
    np.testing.assert_array_equal(x.asnumpy(), row[1:].reshape(3, 32, 32).transpose(1, 2, 0))
    test = vision.CIFAR10(root=str(tmp_path), train=False, verify_sha1=False,
                          transform=lambda d, lab: (d.astype("float32") / 255, lab + 1))
    assert len(test) == 8 and test[0][0].dtype == np.float32
    assert test[0][1] == np.frombuffer(bins["test_batch.bin"], np.uint8)[0] + 1


def test_cifar_sha1_is_checked(tmp_path):
    for name, raw in _batches(1).items():
        (tmp_path / name).write_bytes(raw)
    with pytest.raises(mx.base.MXNetError) as err:
        vision.CIFAR10(root=str(tmp_path))  # not the real data set, no network
    msg = str(err.value)
    assert "cifar-10-binary.tar.gz" in msg and str(tmp_path) in msg
    assert "fab780a1e191a7eda0f345501ccd62d20f7ed891" in msg and "https://" in msg
    assert "MINIGLUON_VERIFY_SHA1=0" in msg


def test_cifar_missing_names_file_place_and_source(tmp_path):
    with pytest.raises(mx.base.MXNetError, match=r"cifar-100-binary\.tar\.gz.*missing") as err:
        vision.CIFAR100(root=str(tmp_path / "nothing"))
    assert "www.cs.toronto.edu/~kriz/cifar.html" in str(err.value)


@pytest.mark.parametrize("folder", ["", "cifar-100-binary/"])
def test_cifar100_from_archive(tmp_path, folder):
    bins = _batches(2)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, raw in bins.items():
            info = tarfile.TarInfo(folder + name)
            info.size = len(raw)
            tar.addfile(info, io.BytesIO(raw))
        evil = tarfile.TarInfo("../../evil.bin")  # never written anywhere
        evil.size = 1
        tar.addfile(evil, io.BytesIO(b"x"))
    (tmp_path / "cifar-100-binary.tar.gz").write_bytes(buf.getvalue())
    coarse = vision.CIFAR100(root=str(tmp_path), verify_sha1=False)
    fine = vision.CIFAR100(root=str(tmp_path), fine_label=True, verify_sha1=False)
    rows = np.frombuffer(bins["train.bin"], np.uint8).reshape(-1, 3074)
    assert [int(coarse[i][1]) for i in range(3)] == rows[:, 0].tolist()
    assert [int(fine[i][1]) for i in range(3)] == rows[:, 1].tolist()
    np.testing.assert_array_equal(fine[2][0].asnumpy(),
                                  rows[2, 2:].reshape(3, 32, 32).transpose(1, 2, 0))
    assert sorted(os.listdir(tmp_path)) == ["cifar-100-binary.tar.gz", "test.bin", "train.bin"]
    assert not (tmp_path.parent.parent / "evil.bin").exists()


def test_cifar_bad_files(tmp_path):
    (tmp_path / "cifar-10-binary.tar.gz").write_bytes(b"not a tar file")
    with pytest.raises(mx.base.MXNetError, match="not a readable tar.gz archive"):
        vision.CIFAR10(root=str(tmp_path), verify_sha1=False)
    for name, raw in _batches(1).items():
        (tmp_path / name).write_bytes(raw[:-5])
    with pytest.raises(mx.base.MXNetError, match=r"data_batch_1\.bin is not a CIFAR-10 binary"):
        vision.CIFAR10(root=str(tmp_path), verify_sha1=False)


def _folder(root: Path) -> Path:
    for d in ("a", "b_empty", "c"):
        (root / d).mkdir(parents=True)
    shutil.copy(FILES / "pil_0.jpg", root / "a" / "x.jpg")
    shutil.copy(FILES / "pil_3.png", root / "c" / "y.PNG")
    (root / "c" / "notes.txt").write_text("hi")
    (root / "readme").write_text("x")
    return root


def test_image_folder_dataset(tmp_path):
    root = _folder(tmp_path / "folder")
    with pytest.warns(UserWarning) as record:
        ds = vision.ImageFolderDataset(str(root))
    messages = [str(w.message) for w in record]
    assert any("Ignoring" in m and "notes.txt of type .txt" in m for m in messages)
    assert any("readme, which is not a directory" in m for m in messages)
    assert any("b_empty has no images" in m for m in messages)
    # MXNet's labels: the empty class keeps its place
    assert ds.synsets == ["a", "b_empty", "c"]
    assert ds.items == [(str(root / "a" / "x.jpg"), 0), (str(root / "c" / "y.PNG"), 2)]
    img, label = ds[1]
    assert img.shape == (15, 9, 3) and img.dtype == np.uint8 and label == 2
    np.testing.assert_array_equal(img.asnumpy(),
                                  np.load(GOLDEN / "image.npz")["imread|pil_3.png|1|1"])
    with pytest.warns(UserWarning):
        gray = vision.ImageFolderDataset(str(root), flag=0,
                                         transform=lambda x, y: (x.shape, y * 10))
    assert gray[0] == ((37, 53, 1), 0)
    with pytest.raises(FileNotFoundError, match="nowhere"):
        vision.ImageFolderDataset(str(tmp_path / "nowhere"))


def test_image_folder_corrupt_image_names_the_file(tmp_path):
    (tmp_path / "cls").mkdir()
    shutil.copy(FILES / "corrupt.jpg", tmp_path / "cls" / "bad.jpg")
    ds = vision.ImageFolderDataset(str(tmp_path))
    with pytest.raises(mx.base.MXNetError, match=r"Decoding failed.*bad\.jpg"):
        ds[0]


def test_image_record_dataset():
    ds = vision.ImageRecordDataset(str(FILES / "from_mxnet.rec"))
    assert len(ds) == 14
    img, label = ds[12]  # key 100: pil_1.jpg with label 3.0
    assert label == 3.0 and img.dtype == np.uint8
    np.testing.assert_array_equal(img.asnumpy(),
                                  np.load(GOLDEN / "image.npz")["imread|pil_1.jpg|1|1"])
    gray = vision.ImageRecordDataset(str(FILES / "from_mxnet.rec"), flag=0,
                                     transform=lambda x, y: (x.shape, y.tolist()))
    assert gray[13] == ((120, 90, 1), [1, 2.5, 3, 4, 5])
    loader = mx.gluon.data.DataLoader(
        vision.ImageRecordDataset(str(FILES / "from_mxnet.rec"),
                                  transform=lambda x, y: (x.astype("float32"), 1.0)),
        batch_size=2, sampler=[12, 13])
    (batch, _), = list(loader)
    assert batch.shape == (2, 120, 90, 3)


def test_record_dataset_in_worker_processes():
    ds = vision.ImageRecordDataset(str(FILES / "from_mxnet.rec"),
                                   transform=lambda x, y: (x.astype("float32"), 1.0))
    loader = mx.gluon.data.DataLoader(ds, batch_size=2, sampler=[12, 13, 12, 13],
                                      num_workers=2)
    assert [b[0].shape for b in loader] == [(2, 120, 90, 3)] * 2
    assert ds[12][0].shape == (120, 90, 3)  # the parent's reader still works
