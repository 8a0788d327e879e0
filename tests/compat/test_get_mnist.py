"""``mx.test_utils.get_mnist`` and ``get_mnist_ubyte`` read local MNIST files as MXNet
1.9.1 does (golden arrays from tests/golden/make_mnist_golden.py, run in the oracle on
the same small files) and never download."""

from __future__ import annotations

import importlib.util
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest

import minigluon as mx

GOLDEN_DIR = Path(__file__).parents[1] / "golden"
_spec = importlib.util.spec_from_file_location("make_mnist_golden",
                                               GOLDEN_DIR / "make_mnist_golden.py")
golden = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(golden)


@pytest.fixture
def no_download(monkeypatch):
    def refuse(*a, **k):
        raise AssertionError("tried to download")
    monkeypatch.setattr(mx.gluon.utils, "download", refuse)


def test_same_arrays_as_mxnet(tmp_path, monkeypatch, no_download):
    golden.write_idx_files(tmp_path)
    monkeypatch.chdir(tmp_path)  # MXNet 1.9.1 reads the current directory
    got = mx.test_utils.get_mnist()
    with np.load(GOLDEN_DIR / "mnist.npz") as want:
        assert sorted(got) == sorted(want.files)
        for k in want.files:
            assert got[k].dtype == want[k].dtype, k
            assert got[k].shape == want[k].shape, k
            np.testing.assert_array_equal(got[k], want[k], err_msg=k)


def test_path_argument_reads_another_folder(tmp_path, no_download):
    golden.write_idx_files(tmp_path)
    got = mx.test_utils.get_mnist(path=tmp_path)
    assert got["train_data"].shape == (golden.SIZES["train"], 1, 28, 28)
    assert got["test_label"].dtype == np.int8


def test_missing_files_are_named_with_their_address(tmp_path, no_download):
    golden.write_idx_files(tmp_path)
    os.remove(tmp_path / "t10k-images-idx3-ubyte.gz")
    os.remove(tmp_path / "train-labels-idx1-ubyte.gz")
    with pytest.raises(FileNotFoundError) as e:
        mx.test_utils.get_mnist(path=tmp_path)
    msg = str(e.value)
    assert str(tmp_path) in msg
    assert "http://data.mxnet.io/data/mnist/t10k-images-idx3-ubyte.gz" in msg
    assert "http://data.mxnet.io/data/mnist/train-labels-idx1-ubyte.gz" in msg
    assert "train-images-idx3-ubyte.gz" not in msg


def test_ubyte_extracts_a_local_archive_or_names_it(tmp_path, monkeypatch, no_download):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError, match="mnist.zip"):
        mx.test_utils.get_mnist_ubyte()
    assert (tmp_path / "data").is_dir()  # made first, as MXNet does
    names = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte",
             "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]
    with zipfile.ZipFile(tmp_path / "data" / "mnist.zip", "w") as zf:
        for n in names:
            zf.writestr(n, b"x")
    mx.test_utils.get_mnist_ubyte()
    assert all((tmp_path / "data" / n).read_bytes() == b"x" for n in names)
