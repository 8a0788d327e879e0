"""mx.image against MXNet 1.9.1: decoded and resized pixels, crops, seeded augmentation and
ImageIter batches (tests/golden/image.npz, written by make_image_golden.py from the
images in tests/golden/files/image/)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest

import minigluon as mx
from minigluon import image, nd

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
FILES = GOLDEN / "files" / "image"
_NPZ = np.load(GOLDEN / "image.npz")
G = {k: _NPZ[k] for k in _NPZ.files if not k.startswith("imresize|")}
# the default run checks a quarter of the images (JPEG and PNG, colour and gray, written
# by OpenCV and Pillow); the slow run checks them all
FEW = ("cv_0.jpg", "pil420_1.jpg", "pil_2.png", "pil_3.jpg")


def _keys(prefix: str) -> list[str]:
    return [k for k in G if k.startswith(prefix + "|")]


def _same(got, key: str) -> None:
    want = G[key]
    got = got.asnumpy() if hasattr(got, "asnumpy") else np.asarray(got)
    assert got.shape == want.shape and got.dtype == want.dtype, key
    np.testing.assert_array_equal(got, want, err_msg=key)


def test_imread_matches_mxnet():
    keys = _keys("imread")
    assert len(keys) >= 40
    for k in keys:
        _, f, flag, to_rgb = k.split("|")
        _same(image.imread(str(FILES / f), flag=int(flag), to_rgb=bool(int(to_rgb))), k)
        if flag == "1" and to_rgb == "1":
            _same(image.imdecode((FILES / f).read_bytes()), k)


def _check_imresize(images) -> None:
    keys = [k for k in _NPZ.files if k.startswith("imresize|") and k.split("|")[1] in images]
    assert {k.split("|")[3] for k in keys} == {"0", "1", "2", "3", "4"}
    for k in keys:
        _, f, flag, interp, w, h = k.split("|")
        src = nd.array(G[f"imread|{f}|{flag}|1"], dtype="uint8")
        got = image.imresize(src, int(w), int(h), interp=int(interp)).asnumpy()
        want = _NPZ[k]
        assert got.shape == want.shape and got.dtype == want.dtype, k
        np.testing.assert_array_equal(got, want, err_msg=k)


def test_imresize_matches_mxnet_every_interpolation():
    _check_imresize(FEW)


@pytest.mark.slow
def test_imresize_matches_mxnet_all_images():
    _check_imresize({k.split("|")[1] for k in _NPZ.files if k.startswith("imresize|")})


def test_imresize_float32():
    """Nearest, bilinear and area are MXNet's to the bit on float32 images too; bicubic
    and Lanczos (OpenCV 4's float code, rarely used: the book resizes uint8) within 1e-3."""
    src = nd.array(G["imread|pil_0.jpg|1|1"], dtype="uint8").astype("float32")
    keys = _keys("imresize_f32")
    assert len(keys) == 15
    for k in keys:
        _, interp, w, h = k.split("|")
        got = image.imresize(src, int(w), int(h), interp=int(interp)).asnumpy()
        if interp in ("0", "1", "3"):
            _same(got, k)
        else:
            np.testing.assert_allclose(got, G[k], rtol=0, atol=1e-3, err_msg=k)


def test_resize_short_and_crops_match_mxnet():
    for k in _keys("resize_short"):
        _, f, interp = k.split("|")
        src = nd.array(G[f"imread|{f}|1|1"], dtype="uint8")
        _same(image.resize_short(src, 24, interp=int(interp)), k)
        out, rect = image.center_crop(src, (20, 12), interp=int(interp))
        _same(out, f"center_crop|{f}|{interp}")
        assert rect == tuple(G[f"center_crop_rect|{f}|{interp}"])
        _same(image.fixed_crop(src, 2, 3, 7, 5, size=(16, 9), interp=int(interp)),
              f"fixed_crop|{f}|{interp}")
    assert [image.scale_down((640, 480), (720, 120)), image.scale_down((90, 120), (100, 100)),
            image.scale_down((10, 10), (3, 30))] == [tuple(r) for r in G["scale_down"]]


def test_seeded_augmentation_is_mxnets():
    """The same seeds of Python's random and NumPy give MXNet's crops, flips and jitters."""
    img = image.imread(str(FILES / "pil_1.jpg"))
    for seed in range(4):
        random.seed(seed)
        np.random.seed(seed)
        augs = image.CreateAugmenter(
            (3, 32, 32), resize=40, rand_crop=True, rand_resize=seed % 2 == 1,
            rand_mirror=True, mean=True, std=True, brightness=0.3, contrast=0.3,
            saturation=0.3, hue=0.1, pca_noise=0.1, rand_gray=0.3)
        x = img
        for a in augs:
            x = a(x)
        want = G[f"augment|{seed}"]
        assert x.shape == want.shape and x.dtype == np.float32
        np.testing.assert_allclose(x.asnumpy(), want, rtol=1e-5, atol=1e-4)
        assert json.dumps([a.dumps() for a in augs]) == str(G[f"augment_dumps|{seed}"])
        random.seed(seed)
        out, rect = image.random_size_crop(img, (20, 20), (0.08, 1.0), (0.75, 4 / 3.0))
        _same(out, f"random_size_crop|{seed}")
        assert rect == tuple(G[f"random_size_crop_rect|{seed}"])
        random.seed(seed)
        out, rect = image.random_crop(img, (30, 50), interp=9)
        _same(out, f"random_crop|{seed}")
        assert rect == tuple(G[f"random_crop_rect|{seed}"])


def test_imageiter_from_imglist_matches_mxnet():
    names = sorted(f.name for f in FILES.iterdir()
                   if f.suffix in (".jpg", ".png") and "corrupt" not in f.name)
    random.seed(3)
    it = image.ImageIter(4, (3, 16, 16), imglist=[[float(i), f] for i, f in enumerate(names)],
                         path_root=str(FILES), shuffle=True, rand_crop=True, rand_mirror=True)
    batches = list(it)
    assert len(batches) == len(_keys("imageiter")) // 3
    for b, batch in enumerate(batches):
        assert isinstance(batch, mx.io.DataBatch)
        _same(batch.data[0], f"imageiter|{b}|data")
        _same(batch.label[0], f"imageiter|{b}|label")
        assert batch.pad == int(G[f"imageiter|{b}|pad"])
    # 16 images fill 4 batches exactly: as in MXNet the iterator then starts over
    assert it.next().label[0].shape == (4,)
    it.reset()
    assert it.next().data[0].shape == (4, 3, 16, 16)


def test_imageiter_from_rec():
    it = image.ImageIter(2, (3, 20, 20), path_imgrec=str(FILES / "from_mxnet.rec"),
                         path_imgidx=str(FILES / "from_mxnet.idx"),
                         aug_list=[image.ForceResizeAug((20, 20))])
    it.seq, it.num_image = [100, 100, 100], 3
    it.reset()
    batch = it.next()
    _same(batch.data[0], "imageiter_rec|data")
    _same(batch.label[0], "imageiter_rec|label")


def test_bad_input_is_named():
    with pytest.raises(mx.base.MXNetError, match=r"Decoding failed.*corrupt\.jpg"):
        image.imread(str(FILES / "corrupt.jpg"))
    with pytest.raises(mx.base.MXNetError, match="Decoding failed"):
        image.imdecode(b"not an image")
    with pytest.raises(FileNotFoundError, match="nothere.jpg"):
        image.imread(str(FILES / "nothere.jpg"))
    with pytest.raises(ValueError, match="buf must be of type bytes"):
        image.imdecode("a string")
    src = nd.zeros((4, 4, 3), dtype="uint8")
    for bad in (5, 9, 10, -1):
        with pytest.raises(mx.base.MXNetError, match=f"Unknown interpolation method interp={bad}"):
            image.imresize(src, 2, 2, interp=bad)
    with pytest.raises(ValueError, match="Unknown interp method 7"):
        image.resize_short(src, 2, interp=7)
    it = image.ImageIter(1, (3, 4, 4), imglist=[[0.0, "corrupt.jpg"]], path_root=str(FILES))
    with pytest.raises(RuntimeError, match="Broken image filename: corrupt.jpg"):
        it.next()


def test_interp_9_and_10_rules():
    src = nd.zeros((10, 10, 3), dtype="uint8")
    from minigluon.image.image import _get_interp_method as m

    assert (m(9, (10, 10, 20, 20)), m(9, (10, 10, 5, 5)), m(9, (10, 10, 5, 20)), m(9)) == \
        (2, 3, 1, 2)
    random.seed(0)
    draws = {m(10) for _ in range(200)}
    assert draws == {0, 1, 2, 3, 4}
    assert image.resize_short(src, 5, interp=10).shape == (5, 5, 3)


def test_image_det_iter_matches_mxnet():
    """Seeded random crops, pads and flips of a detection .rec written by MXNet: MXNet's
    batches exactly, boxes included."""
    rec, idx = str(FILES / "detection.rec"), str(FILES / "detection.idx")
    for seed in range(3):
        random.seed(seed)
        it = image.ImageDetIter(batch_size=2, data_shape=(3, 24, 24), path_imgrec=rec,
                                path_imgidx=idx, shuffle=True, rand_crop=1, rand_pad=0.5,
                                rand_mirror=True, min_object_covered=0.5, max_attempts=200)
        batches = list(it)
        assert len(batches) == 3
        for b, batch in enumerate(batches):
            _same(batch.data[0], f"detiter|{seed}|{b}|data")
            _same(batch.label[0], f"detiter|{seed}|{b}|label")
            assert batch.pad == int(G[f"detiter|{seed}|{b}|pad"])
    val = image.ImageDetIter(batch_size=3, data_shape=(3, 24, 24), path_imgrec=rec,
                             path_imgidx=idx)
    assert val.label_shape == tuple(G["detiter_val|label_shape"])
    _same(val.next().label[0], "detiter_val|first")
    # sync_label_shape grows the smaller label shape to the larger one
    small = image.ImageDetIter(batch_size=1, data_shape=(3, 24, 24), imglist=[
        [4, 5, 64, 64, 1, 0.1, 0.1, 0.5, 0.5, "pil_0.jpg"]], path_root=str(FILES))
    assert small.label_shape == (1, 5)
    assert val.sync_label_shape(small) is small
    assert small.label_shape == (3, 5) and small.provide_label[0][1] == (1, 3, 5)
    label = small.next().label[0].asnumpy()
    np.testing.assert_allclose(label[0, 0], [1, 0.1, 0.1, 0.5, 0.5], rtol=1e-6)
    assert (label[0, 1:] == -1).all()
    with pytest.raises(ValueError, match="reduce label count from 3 to 2"):
        small.reshape(label_shape=(2, 5))


def test_draw_next():
    it = image.ImageDetIter(1, (3, 24, 24), path_imgrec=str(FILES / "detection.rec"),
                            path_imgidx=str(FILES / "detection.idx"))
    drawn = list(it.draw_next(color=(255, 0, 0), thickness=1, id2labels={0: "a"}))
    assert len(drawn) == 5 and drawn[0].shape == (24, 24, 3) and drawn[0].dtype == np.uint8
    # the first box [0, 0.1, 0.2, 0.5, 0.7] is drawn in blue-green-red order: (0, 0, 255)
    assert drawn[0][int(0.2 * 24), int(0.3 * 24)].tolist() == [0, 0, 255]


def test_image_det_iter_bad_labels():
    with pytest.raises(RuntimeError, match="Label shape is invalid"):
        image.ImageDetIter(1, (3, 8, 8), imglist=[[1, 2, 3, "pil_0.jpg"]],
                           path_root=str(FILES))
    with pytest.raises(RuntimeError, match="inconsistent with annotation width 5"):
        image.ImageDetIter(1, (3, 8, 8), imglist=[[2, 5, 1, 0.1, 0.1, 0.5, 0.5, 7,
                                                   "pil_0.jpg"]], path_root=str(FILES))


def test_imageiter_from_list_file(tmp_path):
    lst = tmp_path / "train.lst"
    lst.write_text("0\t1.0\tpil_0.jpg\n1\t0.0\tcv_1.jpg\n2\t1.0\tpil_3.png\n")
    it = image.ImageIter(2, (3, 8, 8), path_imglist=str(lst), path_root=str(FILES))
    b1, b2 = it.next(), it.next()
    assert b1.label[0].asnumpy().tolist() == [1.0, 0.0] and b2.pad == 1
    assert b2.label[0].asnumpy().tolist() == [1.0, 1.0]  # padded from the start
    # the default augmenters centre-crop and cast: the first image, by hand
    want = image.center_crop(image.imread(str(FILES / "pil_0.jpg")), (8, 8))[0]
    np.testing.assert_array_equal(b1.data[0][0].asnumpy(),
                                  want.asnumpy().transpose(2, 0, 1).astype(np.float32))
    with pytest.raises(StopIteration):
        it.next()
    lst.write_text("0\tpil_0.jpg\n")
    with pytest.raises(mx.base.MXNetError, match=r"train\.lst.*line 1"):
        image.ImageIter(1, (3, 8, 8), path_imglist=str(lst), path_root=str(FILES))


def test_missing_opencv_is_explained(monkeypatch):
    import sys

    from minigluon.image import _cv

    monkeypatch.delitem(vars(_cv), "cv2", raising=False)
    monkeypatch.setitem(sys.modules, "cv2", None)  # as if not installed
    with pytest.raises(ImportError, match=r"pip install 'minigluon\[vision\]'"):
        image.imdecode(b"\xff\xd8")
    # transforms.Resize's default interpolations need no OpenCV
    assert mx.gluon.data.vision.transforms.Resize(2)(nd.zeros((4, 4, 3))).shape == (2, 2, 3)
