"""Golden values for mx.image, mx.recordio and the vision transforms, written by MXNet 1.9.1.

Step 2, after ``make_image_inputs.py`` (see there); run from the repository root::

    ~/mxnet-oracle/bin/python tests/golden/make_image_golden.py

Writes ``tests/golden/image.npz`` and ``tests/golden/files/image/from_mxnet.rec``/``.idx``
(records written by MXNet's RecordIO writer), and checks that MXNet reads
``from_minigluon.rec`` back as written (the records it read go into image.npz too).
"""

import json
import os
import random
import sys

import mxnet as mx
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
IMG = os.path.join(ROOT, "tests", "golden", "files", "image")
sys.path.insert(0, os.path.join(ROOT, "tests", "golden"))
from make_image_inputs import records  # noqa: E402

IMAGES = sorted(f for f in os.listdir(IMG) if f.endswith((".jpg", ".png")) and "corrupt" not in f)
SIZES = [(31, 29), (13, 40), (2, 2), (1, 1)]


def main():
    out = {}
    for f in IMAGES:
        path = os.path.join(IMG, f)
        for flag in (0, 1):
            for to_rgb in ((0, 1) if flag else (1,)):
                out["imread|%s|%d|%d" % (f, flag, to_rgb)] = mx.image.imread(
                    path, flag=flag, to_rgb=to_rgb).asnumpy()
            img = mx.image.imread(path, flag=flag)
            h, w = img.shape[:2]
            for interp in range(5):
                # enlarging (x1.6) and halving, which OpenCV does by a special path
                extra = [(w * 8 // 5, h * 8 // 5)] if w * h < 3000 else []
                for (nw, nh) in SIZES + extra + [(max(w // 2, 1), max(h // 2, 1))]:
                    out["imresize|%s|%d|%d|%d|%d" % (f, flag, interp, nw, nh)] = \
                        mx.image.imresize(img, nw, nh, interp=interp).asnumpy()
        img = mx.image.imread(path)
        for interp in (0, 1, 2, 3, 4, 9):
            out["resize_short|%s|%d" % (f, interp)] = mx.image.resize_short(
                img, 24, interp=interp).asnumpy()
            c, rect = mx.image.center_crop(img, (20, 12), interp=interp)
            out["center_crop|%s|%d" % (f, interp)] = c.asnumpy()
            out["center_crop_rect|%s|%d" % (f, interp)] = np.array(rect)
            out["fixed_crop|%s|%d" % (f, interp)] = mx.image.fixed_crop(
                img, 2, 3, 7, 5, size=(16, 9), interp=interp).asnumpy()
        # the gluon transforms (deterministic ones)
        T = mx.gluon.data.vision.transforms
        for interp in range(5):
            out["T.Resize|%s|%d" % (f, interp)] = T.Resize(17, interpolation=interp)(img).asnumpy()
            out["T.Resize_keep|%s|%d" % (f, interp)] = T.Resize(
                17, keep_ratio=True, interpolation=interp)(img).asnumpy()
            out["T.CenterCrop|%s|%d" % (f, interp)] = T.CenterCrop(
                (10, 12), interpolation=interp)(img).asnumpy()
    # the kernels of the random colour transforms, made deterministic (min = max factor)
    for f in ("pil_0.jpg", "pil_3.png", "pil420_0.jpg"):
        img = mx.image.imread(os.path.join(IMG, f), flag=0 if f == "pil_3.png" else 1)
        for dt in ("uint8", "float32"):
            x = img.astype(dt)
            for a in (0.0, 0.5, 1.3, 2.7):
                for op in ("brightness", "contrast", "saturation"):
                    fn = getattr(mx.nd.image, "random_" + op)
                    out["adjust|%s|%s|%s|%g" % (op, f, dt, a)] = fn(x, a, a).asnumpy()
            for a in (0.0, 0.1, 0.37, 0.95, 1.2, 1.9):
                out["adjust|hue|%s|%s|%g" % (f, dt, a)] = mx.nd.image.random_hue(
                    x, a, a).asnumpy()
            for k, a in enumerate([(0.1, -0.2, 0.05), (2.0, 1.0, -3.0)]):
                out["adjust|lighting|%s|%s|%d" % (f, dt, k)] = mx.nd.image.adjust_lighting(
                    x, alpha=a).asnumpy()
    # float32 images (OpenCV 3.4's float arithmetic)
    img = mx.image.imread(os.path.join(IMG, "pil_0.jpg")).astype("float32")
    for interp in range(5):
        for (nw, nh) in [(31, 29), (80, 60), (26, 18)]:
            out["imresize_f32|%d|%d|%d" % (interp, nw, nh)] = mx.image.imresize(
                img, nw, nh, interp=interp).asnumpy()
    out["scale_down"] = np.array([mx.image.scale_down((640, 480), (720, 120)),
                                  mx.image.scale_down((90, 120), (100, 100)),
                                  mx.image.scale_down((10, 10), (3, 30))])
    # seeded random augmentation: Python's random and NumPy's global generator
    img = mx.image.imread(os.path.join(IMG, "pil_1.jpg"))
    for seed in range(4):
        random.seed(seed)
        np.random.seed(seed)
        augs = mx.image.CreateAugmenter(
            (3, 32, 32), resize=40, rand_crop=True, rand_resize=seed % 2 == 1,
            rand_mirror=True, mean=True, std=True, brightness=0.3, contrast=0.3,
            saturation=0.3, hue=0.1, pca_noise=0.1, rand_gray=0.3)
        x = img
        for a in augs:
            x = a(x)
        out["augment|%d" % seed] = x.asnumpy()
        out["augment_dumps|%d" % seed] = np.array(json.dumps([a.dumps() for a in augs]))
        random.seed(seed)
        c, rect = mx.image.random_size_crop(img, (20, 20), (0.08, 1.0), (0.75, 4 / 3.0))
        out["random_size_crop|%d" % seed] = c.asnumpy()
        out["random_size_crop_rect|%d" % seed] = np.array(rect)
        random.seed(seed)
        c, rect = mx.image.random_crop(img, (30, 50), interp=9)
        out["random_crop|%d" % seed] = c.asnumpy()
        out["random_crop_rect|%d" % seed] = np.array(rect)
        random.seed(seed)
        out["T.RandomResizedCrop|%d" % seed] = mx.gluon.data.vision.transforms.RandomResizedCrop(
            (14, 10))(img).asnumpy()
    # an ImageIter over an image list, shuffled with a seed
    imglist = [[float(i), f] for i, f in enumerate(IMAGES)]
    random.seed(3)
    it = mx.image.ImageIter(4, (3, 16, 16), imglist=imglist, path_root=IMG, shuffle=True,
                            rand_crop=True, rand_mirror=True)
    for b, batch in enumerate(it):
        out["imageiter|%d|data" % b] = batch.data[0].asnumpy()
        out["imageiter|%d|label" % b] = batch.label[0].asnumpy()
        out["imageiter|%d|pad" % b] = np.array(batch.pad)
    # RecordIO written by MXNet
    rec = os.path.join(IMG, "from_mxnet.rec")
    idx = os.path.join(IMG, "from_mxnet.idx")
    w = mx.recordio.MXIndexedRecordIO(idx, rec, "w")
    tells = []
    for i, r in enumerate(records()):
        w.write_idx(i, r)
        tells.append(w.tell())
    raw = open(os.path.join(IMG, "pil_1.jpg"), "rb").read()
    w.write_idx(100, mx.recordio.pack(mx.recordio.IRHeader(0, 3.0, 100, 0), raw))
    w.write_idx(101, mx.recordio.pack(mx.recordio.IRHeader(0, [1, 2.5, 3, 4, 5], 101, 0), raw))
    w.close()
    out["mxnet_tells"] = np.array(tells)
    # an ImageIter over MXNet's .rec (labels from the headers)
    it = mx.image.ImageIter(2, (3, 20, 20), path_imgrec=rec, path_imgidx=idx,
                            aug_list=[mx.image.ForceResizeAug((20, 20))])
    it.seq = [100, 100, 100]
    it.num_image = 3
    it.reset()
    batch = it.next()
    out["imageiter_rec|data"] = batch.data[0].asnumpy()
    out["imageiter_rec|label"] = batch.label[0].asnumpy()
    # a detection set (labels: header 4 wide, objects of 5), read with seeded augmentation
    det_rec = os.path.join(IMG, "detection.rec")
    det_idx = os.path.join(IMG, "detection.idx")
    w = mx.recordio.MXIndexedRecordIO(det_idx, det_rec, "w")
    for i, f in enumerate(["pil_0.jpg", "cv_1.jpg", "pil420_0.jpg", "pil_1.png", "cv_0.jpg"]):
        objs = [[i % 3, 0.1, 0.2, 0.5, 0.7], [1, 0.4, 0.1, 0.9, 0.6], [2, 0.0, 0.5, 0.3, 1.0]]
        label = [4, 5, 64, 64] + sum(objs[:1 + i % 3], [])
        jpg = open(os.path.join(IMG, f), "rb").read()
        w.write_idx(i, mx.recordio.pack(mx.recordio.IRHeader(0, label, i, 0), jpg))
    w.close()
    for seed in range(3):
        random.seed(seed)
        it = mx.image.ImageDetIter(batch_size=2, data_shape=(3, 24, 24), path_imgrec=det_rec,
                                   path_imgidx=det_idx, shuffle=True, rand_crop=1,
                                   rand_pad=0.5, rand_mirror=True, min_object_covered=0.5,
                                   max_attempts=200)
        for b, batch in enumerate(it):
            out["detiter|%d|%d|data" % (seed, b)] = batch.data[0].asnumpy()
            out["detiter|%d|%d|label" % (seed, b)] = batch.label[0].asnumpy()
            out["detiter|%d|%d|pad" % (seed, b)] = np.array(batch.pad)
    val = mx.image.ImageDetIter(batch_size=3, data_shape=(3, 24, 24), path_imgrec=det_rec,
                                path_imgidx=det_idx)
    out["detiter_val|label_shape"] = np.array(val.label_shape)
    out["detiter_val|first"] = val.next().label[0].asnumpy()
    # MXNet reading minigluon's file
    r = mx.recordio.MXIndexedRecordIO(os.path.join(IMG, "from_minigluon.idx"),
                                      os.path.join(IMG, "from_minigluon.rec"), "r")
    expected = records()
    for i, want in enumerate(expected):
        got = r.read_idx(i)
        assert got == want, (i, got, want)
    h, s = mx.recordio.unpack(r.read_idx(101))
    assert list(h.label) == [1, 2.5, 3, 4, 5] and h.id == 101 and s == raw
    r.close()
    r = mx.recordio.MXRecordIO(os.path.join(IMG, "from_minigluon.rec"), "r")
    seq = []
    while True:
        item = r.read()
        if item is None:
            break
        seq.append(item)
    assert seq[:len(expected)] == expected and len(seq) == len(expected) + 2
    out["mxnet_read_minigluon_ok"] = np.array(True)
    np.savez_compressed(os.path.join(ROOT, "tests", "golden", "image.npz"), **out)
    print(len(out), "arrays; MXNet read minigluon's RecordIO file back exactly")


if __name__ == "__main__":
    main()
