"""gluon.data: datasets, samplers, DataLoader, MNIST/FashionMNIST and vision transforms.

Golden values come from tests/golden/make_data_golden.py run under MXNet 1.9.1
(tests/golden/data.npz); the programs there run here with minigluon and must give the
same arrays (bit for bit: every value below matched exactly). Nothing here touches the
network: the data sets read tiny IDX files written by the tests.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import os
import struct
import sys
import urllib.request
from pathlib import Path

import numpy as np
import pytest

import minigluon as mx
from minigluon import nd
from minigluon.gluon import data as gdata, utils as gutils
from minigluon.gluon.data.vision import transforms

GOLDEN = Path(__file__).resolve().parents[1] / "golden"


def _load_golden_programs():
    spec = importlib.util.spec_from_file_location(
        "data_golden", GOLDEN / "make_data_golden.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


PROGRAMS = _load_golden_programs().PROGRAMS


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    """No test may reach the network, and the user's environment must not leak in."""
    for var in ("MINIGLUON_DATA", "MINIGLUON_VERIFY_SHA1", "MXNET_HOME", "MXNET_GLUON_REPO"):
        monkeypatch.delenv(var, raising=False)

    def refuse(url, *args, **kwargs):
        raise AssertionError(f"a test tried to open {url}")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)


# ---- golden comparison ------------------------------------------------------------------

@pytest.fixture(scope="module")
def golden():
    with np.load(GOLDEN / "data.npz") as f:
        return {k: f[k] for k in f.files}


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_matches_mxnet(name, golden):
    result = PROGRAMS[name](mx)
    expected = {k.split("/", 1)[1]: v for k, v in golden.items() if k.startswith(name + "/")}
    assert set(result) == set(expected)
    for key, value in result.items():
        value, want = np.asarray(value), expected[key]
        assert value.shape == want.shape, key
        assert value.dtype == want.dtype, key
        assert np.array_equal(value, want), key


# ---- datasets (G1-G5, G18) ----------------------------------------------------------------

def test_array_dataset_item_types():
    ds = gdata.ArrayDataset(nd.arange(20).reshape((10, 2)), nd.arange(10))
    x, y = ds[0]
    assert isinstance(x, nd.NDArray) and x.shape == (2,)
    assert type(y) is np.float32 and y == 0.0  # the 1-D NDArray became NumPy
    assert len(ds) == 10
    x, y = ds[-1]
    assert x.asnumpy().tolist() == [18.0, 19.0] and y == 9.0


def test_array_dataset_keeps_raw_types_and_slices():
    ds = gdata.ArrayDataset(np.arange(6).reshape(3, 2), [7, 8, 9])
    x, y = ds[1]
    assert x.tolist() == [2, 3] and y == 8 and type(y) is int
    xs, ys = ds[0:2]
    assert xs.shape == (2, 2) and ys == [7, 8]
    assert gdata.ArrayDataset([5, 6, 7])[1] == 6  # one array: the bare element


def test_array_dataset_errors():
    with pytest.raises(AssertionError) as e:
        gdata.ArrayDataset(np.zeros(3), np.zeros(4))
    assert str(e.value) == ("All arrays must have the same length; array[0] has length 3 "
                            "while array[2] has 4.")
    with pytest.raises(AssertionError, match="Needs at least 1 arrays"):
        gdata.ArrayDataset()


def test_transform_and_transform_first():
    ds = gdata.ArrayDataset(np.arange(4.0), np.arange(4) * 10)
    assert ds.transform_first(lambda x: x + 0.5)[2] == (2.5, 20)
    assert ds.transform(lambda x, y: (y, x))[3] == (30, 3.0)
    lazy = ds.transform_first(lambda x: x * 2)
    assert type(lazy).__name__ == "_LazyTransformDataset" and len(lazy) == 4
    calls = []

    def f(x):
        calls.append(x)
        return -x

    eager = ds.transform_first(f, lazy=False)
    assert isinstance(eager, gdata.SimpleDataset) and len(calls) == 4
    assert eager[1] == (-1.0, 10) and len(calls) == 4  # not recomputed
    single = gdata.SimpleDataset([1, 2, 3])
    assert single.transform_first(lambda x: x * 10)[2] == 30


def test_dataset_take_shard_filter_sample():
    ds = gdata.SimpleDataset(list(range(10)))
    assert [ds.take(3)[i] for i in range(3)] == [0, 1, 2] and len(ds.take(None)) == 10
    assert [len(ds.shard(3, i)) for i in range(3)] == [4, 3, 3]
    assert ds.shard(3, 1)[0] == 4 and ds.shard(3, 2)[0] == 7
    odd = ds.filter(lambda v: v % 2)
    assert len(odd) == 5 and odd[4] == 9
    assert ds.sample(gdata.SequentialSampler(2, start=5))[1] == 6
    with pytest.raises(TypeError, match="Invalid sampler type"):
        ds.sample([1, 2])


def test_dataset_base_and_record_file():
    class Squares(gdata.Dataset):
        def __getitem__(self, i):
            return i * i

        def __len__(self):
            return 5

    assert [b.asnumpy().tolist() for b in gdata.DataLoader(Squares(), 3)] == [[0, 1, 4],
                                                                              [9, 16]]
    with pytest.raises(NotImplementedError):
        gdata.Dataset()[0]
    with pytest.raises(FileNotFoundError, match="x.rec"):
        gdata.RecordFileDataset("x.rec")


# ---- samplers --------------------------------------------------------------------------------

def test_samplers():
    assert list(gdata.SequentialSampler(3, 2)) == [2, 3, 4]
    np.random.seed(3)
    order = list(gdata.RandomSampler(6))
    np.random.seed(3)
    assert order == np.random.permutation(6).tolist()
    b = gdata.BatchSampler(gdata.SequentialSampler(10), 3)
    assert list(b) == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]] and len(b) == 4
    f = gdata.FilterSampler(lambda s: s > 2, [1, 5, 2, 7])
    assert list(f) == [1, 3] and len(f) == 2


# ---- DataLoader (G6-G17) ---------------------------------------------------------------------

def _ds10():
    return gdata.ArrayDataset(nd.arange(20).reshape((10, 2)), nd.arange(10))


def test_loader_batches_are_lists_of_ndarrays():
    loader = gdata.DataLoader(_ds10(), 4)
    batches = list(loader)
    assert len(loader) == 3 and len(batches) == 3
    assert all(type(b) is list and len(b) == 2 for b in batches)
    assert [X.shape for X, _ in batches] == [(4, 2), (4, 2), (2, 2)]
    X, y = batches[0]
    assert X.dtype == np.float32 and y.dtype == np.float32 and y.shape == (4,)
    assert y.asnumpy().tolist() == [0, 1, 2, 3]
    bare = next(iter(gdata.DataLoader(gdata.ArrayDataset(np.arange(5.0)), 2)))
    assert isinstance(bare, nd.NDArray) and bare.dtype == np.float64  # G8


def test_loader_stacks_ndarray_items_keeping_dtype():
    imgs = nd.array(np.arange(24).reshape(4, 3, 2, 1), dtype="uint8")
    labels = np.array([3, 1, 4, 1], dtype=np.int32)
    X, y = next(iter(gdata.DataLoader(gdata.ArrayDataset(imgs, labels), 4)))
    assert X.dtype == np.uint8 and X.shape == (4, 3, 2, 1)
    assert np.array_equal(X.asnumpy(), imgs.asnumpy())
    assert y.dtype == np.int32 and y.asnumpy().tolist() == [3, 1, 4, 1]


def test_loader_rejects_unbatchable_items():
    with pytest.raises(TypeError, match="unknown dtype"):
        next(iter(gdata.DataLoader(["a", "b"], 2)))


def test_last_batch_modes():
    ds = gdata.ArrayDataset(np.arange(10))
    discard = gdata.DataLoader(ds, 4, last_batch="discard")
    assert len(discard) == 2
    for _ in range(2):
        assert [b.asnumpy().tolist() for b in discard] == [[0, 1, 2, 3], [4, 5, 6, 7]]
    roll = gdata.DataLoader(ds, 4, last_batch="rollover")
    assert [b.asnumpy().tolist() for b in roll] == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert len(roll) == 3  # 2 left over + 10
    assert [b.asnumpy().tolist() for b in roll] == [[8, 9, 0, 1], [2, 3, 4, 5], [6, 7, 8, 9]]
    assert len(roll) == 2


def test_invalid_last_batch_is_reported_lazily():
    loader = gdata.DataLoader(gdata.ArrayDataset(np.arange(10)), 4, last_batch="foo")
    msg = "last_batch must be one of 'keep', 'discard', or 'rollover', but got foo"
    with pytest.raises(ValueError) as e:
        len(loader)
    assert str(e.value) == msg
    it = iter(loader)
    next(it), next(it)  # the two full batches come out first
    with pytest.raises(ValueError, match="but got foo"):
        next(it)
    even = gdata.DataLoader(gdata.ArrayDataset(np.arange(8)), 4, last_batch="foo")
    assert len([b for b in even]) == 2  # no leftover: nothing to complain about


def test_shuffle_uses_numpy_global_rng():
    ds = gdata.ArrayDataset(np.arange(10))
    np.random.seed(0)
    loader = gdata.DataLoader(ds, 10, shuffle=True)
    first = next(iter(loader)).asnumpy().tolist()
    second = next(iter(loader)).asnumpy().tolist()
    assert first == [2, 8, 4, 9, 1, 6, 7, 3, 0, 5]
    np.random.seed(0)
    assert [first, second] == [np.random.permutation(10).tolist(),
                               np.random.permutation(10).tolist()]
    np.random.seed(1)
    mx.random.seed(0)
    a = next(iter(loader)).asnumpy().tolist()
    np.random.seed(1)
    mx.random.seed(123)  # has no effect on the order
    assert next(iter(loader)).asnumpy().tolist() == a


def test_loader_argument_errors():
    ds = gdata.ArrayDataset(np.arange(10))
    with pytest.raises(ValueError) as e:
        gdata.DataLoader(ds)
    assert str(e.value) == "batch_size must be specified unless batch_sampler is specified"
    with pytest.raises(ValueError) as e:
        gdata.DataLoader(ds, 2, shuffle=True, sampler=gdata.SequentialSampler(10))
    assert str(e.value) == "shuffle must not be specified if sampler is specified"
    bs = gdata.BatchSampler(gdata.SequentialSampler(10), 3)
    for kw in ({"batch_size": 2}, {"last_batch": "keep"}, {"shuffle": True}):
        with pytest.raises(ValueError, match="must not be specified if batch_sampler"):
            gdata.DataLoader(ds, batch_sampler=bs, **kw)
    with pytest.raises(AssertionError, match="timeout must be positive"):
        gdata.DataLoader(ds, 2, timeout=0)


def test_loader_batch_sampler_sampler_and_batchify():
    ds = gdata.ArrayDataset(np.arange(10))
    bs = gdata.BatchSampler(gdata.SequentialSampler(10), 3)
    loader = gdata.DataLoader(ds, batch_sampler=bs)
    assert len(loader) == 4
    assert [b.asnumpy().tolist() for b in loader][-1] == [9]
    rev = gdata.DataLoader(ds, 4, sampler=list(range(9, -1, -1)))
    assert next(iter(rev)).asnumpy().tolist() == [9, 8, 7, 6]
    raw = list(gdata.DataLoader(ds, 2, batchify_fn=lambda samples: samples))
    assert raw[0] == [0, 1] and len(raw) == 5
    assert len(gdata.DataLoader(ds, 40)) == 1  # G14
    assert next(iter(gdata.DataLoader(ds, 40))).shape == (10,)


def test_num_workers_gives_the_same_batches():
    ds = _ds10()
    plain = [(X.asnumpy(), y.asnumpy()) for X, y in gdata.DataLoader(ds, 3)]
    for kw in ({"num_workers": 4}, {"num_workers": 2, "thread_pool": True},
               {"num_workers": -1, "pin_memory": True, "prefetch": 3}):
        loader = gdata.DataLoader(ds, 3, **kw)
        got = [(X.asnumpy(), y.asnumpy()) for X, y in loader]
        assert len(got) == len(plain) == len(loader)
        assert all(np.array_equal(a, c) and np.array_equal(b, d)
                   for (a, b), (c, d) in zip(got, plain))


def test_default_batchify_nested_tuples():
    batch = next(iter(gdata.DataLoader([(1, (2.0, 3)), (4, (5.0, 6))], 2)))
    assert type(batch) is list and type(batch[1]) is list
    assert batch[0].dtype == np.int64 and batch[1][0].dtype == np.float64
    assert batch[1][1].asnumpy().tolist() == [3, 6]


# ---- transforms (G23-G29) ----------------------------------------------------------------------

def test_to_tensor():
    img = nd.array(np.arange(28 * 28).reshape(28, 28, 1) % 256, dtype="uint8")
    t = transforms.ToTensor()(img)
    assert t.shape == (1, 28, 28) and t.dtype == np.float32
    assert np.array_equal(t.asnumpy()[0], (img.asnumpy()[..., 0] / np.float32(255)))
    batch = transforms.ToTensor()(nd.stack(img, img))
    assert batch.shape == (2, 1, 28, 28)
    f = transforms.ToTensor()(nd.array([[[255.0], [510.0]]]))  # G25: floats too
    assert f.asnumpy().ravel().tolist() == [1.0, 2.0]


def test_to_tensor_errors():
    with pytest.raises(mx.base.MXNetError) as e:
        transforms.ToTensor()(nd.zeros((28, 28)))
    assert str(e.value) == ("Input image must have shape (height, width, channels), or "
                            "(N, height, width, channels) but got [28,28]")
    with pytest.raises(ValueError, match="takes an NDArray, not ndarray"):
        transforms.ToTensor()(np.zeros((2, 2, 1)))


def test_reprs():
    assert repr(transforms.ToTensor()) == "ToTensor(\n\n)"
    assert repr(transforms.Normalize()) == "Normalize(\n\n)"
    t = transforms.Compose([transforms.Resize(14), transforms.ToTensor()])
    assert repr(t) == ("Compose(\n  (0): HybridSequential(\n    (0): Resize(\n    \n    )\n"
                       "    (1): ToTensor(\n    \n    )\n  )\n)")
    assert len(t) == 1 and len(t[0]) == 2


def test_compose_with_plain_callables():
    t = transforms.Compose([transforms.Cast("float32"), lambda x: x * 2,
                            transforms.ToTensor(), transforms.Normalize(0.5, 2.0)])
    assert [type(t[i]).__name__ for i in range(len(t))] == ["Cast", "function",
                                                            "_HybridSequential"]
    out = t(nd.array([[[51]]], dtype="uint8"))
    assert out.dtype == np.float32 and out.shape == (1, 1, 1)
    assert np.isclose(out.asscalar(), (102 / 255 - 0.5) / 2)
    keep = [transforms.ToTensor()]
    transforms.Compose(keep)
    assert len(keep) == 1  # MXNet appends None to the caller's list; minigluon does not


def test_resize_shapes():
    img = nd.zeros((7, 9, 3), dtype="uint8")
    assert transforms.Resize(4)(img).shape == (4, 4, 3)
    assert transforms.Resize((5, 3))(img).shape == (3, 5, 3)  # (width, height)
    assert transforms.Resize(4, keep_ratio=True)(img).shape == (4, 5, 3)
    assert transforms.Resize(4, keep_ratio=True)(nd.zeros((10, 7, 3))).shape == (5, 4, 3)
    assert transforms.Resize((6, 4), keep_ratio=True)(nd.zeros((10, 7, 3))).shape == (4, 6, 3)
    assert transforms.Resize(4)(nd.zeros((2, 10, 7, 3), dtype="uint8")).shape == (2, 4, 4, 3)
    out = transforms.Compose([transforms.Resize(14), transforms.ToTensor()])(
        nd.zeros((28, 28, 1), dtype="uint8"))
    assert out.shape == (1, 14, 14) and out.dtype == np.float32  # G29


def test_resize_values_by_hand():
    # doubling a 1x2 float image: pixel centres aligned, edges clamped
    img = nd.array([[[0.0], [4.0]]])
    out = transforms.Resize((4, 1))(img).asnumpy().ravel()
    assert out.tolist() == [0.0, 1.0, 3.0, 4.0]
    same = nd.array(np.arange(12).reshape(2, 3, 2), dtype="uint8")
    assert np.array_equal(transforms.Resize((3, 2))(same).asnumpy(), same.asnumpy())


def test_resize_errors():
    img = nd.zeros((5, 5, 1), dtype="uint8")
    with pytest.raises(mx.base.MXNetError, match="Input image dimension should be 3 or 4 "
                                                 "but got 2"):
        transforms.Resize(4)(nd.zeros((3, 3)))
    with pytest.raises(mx.base.MXNetError, match="Input size dimension must be 1 or 2, "
                                                 "but got 3"):
        transforms.Resize((1, 2, 3))(img)
    with pytest.raises(mx.base.MXNetError, match="Input size should be greater than 0, "
                                                 "but got 0"):
        transforms.Resize(0)(img)
    assert transforms.Resize(4, interpolation=3)(img).shape[:2] == (4, 4)  # OpenCV's area
    with pytest.raises(mx.base.MXNetError, match="Unknown interpolation method"):
        transforms.Resize(4, interpolation=5)(img)
    with pytest.raises(TypeError, match="not int32"):
        transforms.Resize(4)(nd.zeros((5, 5, 1), dtype="int32"))


def test_normalize_errors():
    x = nd.zeros((3, 2, 4))
    with pytest.raises(mx.base.MXNetError) as e:
        transforms.Normalize((0.0, 1.0), (1.0, 2.0))(x)
    assert str(e.value) == ("Invalid mean for input with shape [3,2,4]. mean must have "
                            "either 1 or 3 elements, but got [0,1]")
    with pytest.raises(mx.base.MXNetError, match=r"Invalid std .* but got \[1,2\]"):
        transforms.Normalize(0.0, (1.0, 2.0))(x)
    with pytest.raises(mx.base.MXNetError, match=r"\(N, channels, height, width\), but "
                                                 r"got \[2,3\]"):
        transforms.Normalize()(nd.zeros((2, 3)))
    with pytest.raises(mx.base.MXNetError, match="either 1 or 3 elements, but got input "
                                                 r"with shape \[2,3,4\]"):
        transforms.Normalize()(nd.zeros((2, 3, 4)))


def test_normalize_is_differentiable():
    x = nd.ones((3, 2, 2))
    x.attach_grad()
    with mx.autograd.record():
        y = transforms.Normalize((0.0, 1.0, 2.0), (1.0, 2.0, 4.0))(x)
    y.backward()
    assert x.grad[:, 0, 0].asnumpy().tolist() == [1.0, 0.5, 0.25]
    assert y[:, 1, 1].asnumpy().tolist() == [1.0, 0.0, -0.25]


def test_cast():
    out = transforms.Cast("int32")(nd.array([1.7, -2.5]))
    assert out.dtype == np.int32 and out.asnumpy().tolist() == [1, -2]
    assert transforms.Cast()(nd.ones(2, dtype="uint8")).dtype == np.float32


# ---- MNIST / FashionMNIST (G19-G22, J7) ---------------------------------------------------------

NAMES = {True: ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
         False: ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")}


def _write_idx(directory, train=True, n=6, seed=0, gz=True, image_magic=2051, extra=b""):
    """Tiny IDX files as J7 describes: `>IIII` 2051,N,28,28 + uint8 images; `>II` 2049,N +
    uint8 labels. Returns the images (N,28,28) and labels."""
    rs = np.random.RandomState(seed)
    images = rs.randint(0, 256, (n, 28, 28)).astype(np.uint8)
    labels = rs.randint(0, 10, n).astype(np.uint8)
    os.makedirs(directory, exist_ok=True)
    blobs = (struct.pack(">IIII", image_magic, n, 28, 28) + images.tobytes() + extra,
             struct.pack(">II", 2049, n) + labels.tobytes())
    for name, blob in zip(NAMES[train], blobs):
        with open(os.path.join(directory, name), "wb") as f:
            f.write(gzip.compress(blob, mtime=0) if gz else blob)
    return images, labels


def _no_download(monkeypatch):
    calls = []

    def fail(url, path=None, overwrite=False, sha1_hash=None, retries=5, verify_ssl=True):
        calls.append((url, path, sha1_hash))
        raise OSError("no network in tests")

    monkeypatch.setattr(gutils, "download", fail)
    return calls


def test_fashion_mnist_items(tmp_path, monkeypatch):
    images, labels = _write_idx(tmp_path)
    _no_download(monkeypatch)
    ds = gdata.vision.FashionMNIST(root=str(tmp_path), train=True, verify_sha1=False)
    assert len(ds) == 6
    feature, label = ds[0]
    assert isinstance(feature, nd.NDArray)
    assert feature.shape == (28, 28, 1) and feature.dtype is np.uint8  # a class
    assert type(label) is np.int32 and label.dtype == np.dtype("int32")
    assert np.array_equal(feature.asnumpy()[..., 0], images[0]) and label == labels[0]
    X, y = ds[0:4]  # G22
    assert X.shape == (4, 28, 28, 1) and X.dtype == np.uint8
    assert isinstance(y, np.ndarray) and y.dtype == np.int32
    assert y.tolist() == labels[:4].tolist()


def test_mnist_test_split_plain_files_and_transform(tmp_path, monkeypatch):
    images, labels = _write_idx(tmp_path / "m", train=False, n=3, gz=False)
    monkeypatch.setenv("MINIGLUON_VERIFY_SHA1", "0")
    ds = gdata.vision.MNIST(root=str(tmp_path / "m"), train=False,
                            transform=lambda d, lab: (d.astype("float32") / 255, lab + 1))
    x, y = ds[2]
    assert x.dtype == np.float32 and np.allclose(x.asnumpy()[..., 0], images[2] / 255)
    assert y == labels[2] + 1


def test_sha1_checked_with_public_check_sha1(tmp_path, monkeypatch):
    _write_idx(tmp_path)
    calls = _no_download(monkeypatch)
    real = {n: hashlib.sha1((tmp_path / n).read_bytes()).hexdigest() for n in NAMES[True]}
    # files whose hashes match the expected ones are used without any download
    monkeypatch.setattr(gdata.vision.FashionMNIST, "_train_data",
                        (NAMES[True][0], real[NAMES[True][0]]))
    monkeypatch.setattr(gdata.vision.FashionMNIST, "_train_label",
                        (NAMES[True][1], real[NAMES[True][1]]))
    checked = []
    orig = gutils.check_sha1

    def spy(path, sha1):
        checked.append(os.path.basename(path))
        return orig(path, sha1)

    monkeypatch.setattr(gutils, "check_sha1", spy)  # looked up at call time
    assert len(gdata.vision.FashionMNIST(root=str(tmp_path))) == 6
    assert sorted(checked) == sorted(NAMES[True]) and calls == []


def test_mismatching_file_is_downloaded(tmp_path, monkeypatch):
    _write_idx(tmp_path, n=2)
    good = tmp_path / "good"
    images, _ = _write_idx(good, n=5, seed=1)
    seen = []

    def fake_download(url, path=None, overwrite=False, sha1_hash=None, retries=5,
                      verify_ssl=True):
        # a mirror: copies the file of the same name from `good`
        seen.append((url, path, sha1_hash))
        Path(path).write_bytes((good / os.path.basename(path)).read_bytes())
        return path

    monkeypatch.setattr(gutils, "download", fake_download)
    monkeypatch.setattr(gutils, "check_sha1", lambda path, sha1: "good" in str(path))
    ds = gdata.vision.FashionMNIST(root=str(tmp_path))
    assert len(ds) == 5 and np.array_equal(ds[4][0].asnumpy()[..., 0], images[4])
    assert [s[0] for s in seen] == [
        "https://apache-mxnet.s3-accelerate.dualstack.amazonaws.com/gluon/dataset/"
        "fashion-mnist/train-images-idx3-ubyte.gz",
        "https://apache-mxnet.s3-accelerate.dualstack.amazonaws.com/gluon/dataset/"
        "fashion-mnist/train-labels-idx1-ubyte.gz"]
    assert seen[0][1] == str(tmp_path / NAMES[True][0])
    assert seen[0][2] == "0cf37b0d40ed5169c6b3aba31069a9770ac9043d"
    assert seen[1][2] == "236021d52f1e40852b06a4c3008d8de8aef1e40b"


def test_unavailable_file_error_names_the_way_out(tmp_path, monkeypatch):
    _write_idx(tmp_path)  # synthetic files: their hashes cannot match
    calls = _no_download(monkeypatch)
    with pytest.raises(mx.base.MXNetError) as e:
        gdata.vision.FashionMNIST(root=str(tmp_path))
    msg = str(e.value)
    path = str(tmp_path / "train-images-idx3-ubyte.gz")
    assert f"Fashion-MNIST file {path} has SHA-1 " in msg
    assert "0cf37b0d40ed5169c6b3aba31069a9770ac9043d" in msg
    assert "no network in tests" in msg
    assert "MINIGLUON_DATA=<dir>" in msg and "root=<dir>" in msg
    assert "MINIGLUON_VERIFY_SHA1=0" in msg and "verify_sha1=False" in msg
    assert len(calls) == 1
    with pytest.raises(mx.base.MXNetError, match="is missing; expected SHA-1 "
                                                 "c3a25af1f52dad7f726cce8cacb138654b760d48"):
        gdata.vision.MNIST(root=str(tmp_path / "empty"), train=False)


def test_default_root_and_env_overrides(tmp_path, monkeypatch):
    calls = _no_download(monkeypatch)
    monkeypatch.setenv("MXNET_HOME", str(tmp_path / "home"))
    with pytest.raises(mx.base.MXNetError):
        gdata.vision.FashionMNIST()
    assert calls[-1][1] == str(tmp_path / "home" / "datasets" / "fashion-mnist" /
                               "train-images-idx3-ubyte.gz")
    monkeypatch.setenv("MXNET_GLUON_REPO", "http://mirror.example/repo")
    with pytest.raises(mx.base.MXNetError):
        gdata.vision.MNIST()
    assert calls[-1][0] == ("http://mirror.example/repo/gluon/dataset/mnist/"
                            "train-images-idx3-ubyte.gz")
    # MINIGLUON_DATA wins even over an explicit root (d2l always passes one)
    _write_idx(tmp_path / "data" / "fashion-mnist", n=4)
    monkeypatch.setenv("MINIGLUON_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("MINIGLUON_VERIFY_SHA1", "0")
    assert len(gdata.vision.FashionMNIST(root="~/.mxnet/datasets/fashion-mnist")) == 4
    monkeypatch.delenv("MINIGLUON_DATA")
    with pytest.raises(mx.base.MXNetError):  # verify_sha1=True beats the variable
        gdata.vision.FashionMNIST(root=str(tmp_path / "data" / "fashion-mnist"),
                                  verify_sha1=True)


def test_corrupt_idx_files_are_refused(tmp_path, monkeypatch):
    _no_download(monkeypatch)
    _write_idx(tmp_path / "a", image_magic=2049)
    with pytest.raises(ValueError, match="magic number is 2049, expected 2051"):
        gdata.vision.MNIST(root=str(tmp_path / "a"), verify_sha1=False)
    _write_idx(tmp_path / "b", extra=b"\0")
    with pytest.raises(ValueError, match=r"holds 4705 bytes of data, but its header "
                                         r"\(shape \(6, 28, 28\)\) announces 4704"):
        gdata.vision.MNIST(root=str(tmp_path / "b"), verify_sha1=False)
    _write_idx(tmp_path / "c")
    raw = (tmp_path / "c" / NAMES[True][1]).read_bytes()
    (tmp_path / "c" / NAMES[True][1]).write_bytes(raw[:-5])
    with pytest.raises(ValueError, match="not a valid gzip file"):
        gdata.vision.MNIST(root=str(tmp_path / "c"), verify_sha1=False)
    _write_idx(tmp_path / "d", n=6)
    _write_idx(tmp_path / "e", n=2)
    os.replace(tmp_path / "e" / NAMES[True][1], tmp_path / "d" / NAMES[True][1])
    with pytest.raises(ValueError, match="holds 6 images but .* holds 2 labels"):
        gdata.vision.MNIST(root=str(tmp_path / "d"), verify_sha1=False)


# ---- d2l's loader, written the book's way (G27, J6) ------------------------------------------

def load_data_fashion_mnist(batch_size, resize=None, root=os.path.join(
        '~', '.mxnet', 'datasets', 'fashion-mnist')):
    """Download the fashion mnist dataset and then load into memory."""
    root = os.path.expanduser(root)
    transformer = []
    if resize:
        transformer += [gdata.vision.transforms.Resize(resize)]
    transformer += [gdata.vision.transforms.ToTensor()]
    transformer = gdata.vision.transforms.Compose(transformer)

    mnist_train = gdata.vision.FashionMNIST(root=root, train=True)
    mnist_test = gdata.vision.FashionMNIST(root=root, train=False)
    num_workers = 0 if sys.platform.startswith('win32') else 4

    train_iter = gdata.DataLoader(mnist_train.transform_first(transformer),
                                  batch_size, shuffle=True,
                                  num_workers=num_workers)
    test_iter = gdata.DataLoader(mnist_test.transform_first(transformer),
                                 batch_size, shuffle=False,
                                 num_workers=num_workers)
    return train_iter, test_iter


def test_d2l_load_data_fashion_mnist(tmp_path, monkeypatch):
    root = tmp_path / "fashion-mnist"
    train_images, _ = _write_idx(root, train=True, n=10, seed=0)
    test_images, test_labels = _write_idx(root, train=False, n=7, seed=1)
    _no_download(monkeypatch)
    monkeypatch.setenv("MINIGLUON_VERIFY_SHA1", "0")  # the files are made up
    train_iter, test_iter = load_data_fashion_mnist(4, root=str(root))
    assert len(train_iter) == 3 and len(test_iter) == 2
    batches = list(test_iter)
    X, y = batches[0]
    assert X.shape == (4, 1, 28, 28) and X.dtype == np.float32
    assert y.shape == (4,) and y.dtype == np.int32
    assert np.array_equal(X.asnumpy()[:, 0], test_images[:4] / np.float32(255))
    assert y.asnumpy().tolist() == test_labels[:4].tolist()
    assert batches[1][0].shape == (3, 1, 28, 28)
    seen = np.concatenate([X.asnumpy() for X, _ in train_iter])  # shuffled, all present
    assert seen.shape == (10, 1, 28, 28)
    assert sorted(seen.sum(axis=(1, 2, 3)).round(3).tolist()) == sorted(
        (train_images / np.float32(255)).sum(axis=(1, 2)).round(3).tolist())
    small_iter, _ = load_data_fashion_mnist(5, resize=14, root=str(root))
    X, y = next(iter(small_iter))
    assert X.shape == (5, 1, 14, 14) and X.dtype == np.float32 and y.dtype == np.int32
