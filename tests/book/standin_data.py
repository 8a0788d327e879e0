"""Small stand-ins, in the exact file formats the book reads, for the data sets chapter 9
(computer vision) of d2l-zh v1 downloads. Used by ``book_status.py``; the scripts it runs
set ``MINIGLUON_VERIFY_SHA1=0`` (the documented switch for locally made files), so the
book's SHA-1-checked downloads find these files in place and use them as they are.

What is made (``data`` is the folder the book calls ``../data``):

* ``<datasets>/cifar10/cifar-10-binary.tar.gz``: CIFAR-10's binary archive as MXNet
  publishes it (``data_batch_1.bin`` ... ``_5.bin``, ``test_batch.bin``,
  ``batches.meta.txt`` at its top; records of 1 label byte + 3072 bytes of R, G, B planes).
* ``data/hotdog.zip``: ``hotdog/{train,test}/{hotdog,not-hotdog}/<n>.png``, images of
  varying sizes.
* ``data/pikachu/{train.rec,train.idx,val.rec}``: RecordIO files of JPEG images 256x256,
  each with the detection label ``[4, 5, width, height, class, xmin, ymin, xmax, ymax]``
  (header width 4, object width 5, corners relative to the image) that ``ImageDetIter``
  parses; ``train.idx`` is the ``key\\toffset`` index.
* ``data/VOCtrainval_11-May-2012.tar``: ``VOCdevkit/VOC2012/`` with ``JPEGImages/*.jpg``,
  ``SegmentationClass/*.png`` (palette images with VOC's colour map, 255 on the object
  borders) and ``ImageSets/Segmentation/{train,val}.txt``; images 500x375 as most of VOC's.
* ``data/kaggle_dog/train_valid_test_tiny.zip``: ``train_valid_test_tiny/{train,valid,
  train_valid}/<breed>/<id>.jpg`` and ``test/unknown/<id>.jpg``.
* ``<mxnet_home>/models/<name>-<short sha1>.params``: randomly initialised weights of the
  model-zoo networks the chapter loads with ``pretrained=True``, saved by minigluon in
  MXNet's ``.params`` format.

The kaggle CIFAR-10 zips (``train_tiny.zip``, ``test_tiny.zip``, ``trainLabels.csv.zip``)
are part of the book's own ``data/`` folder and are used as they are.
"""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

import numpy as np

CIFAR_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse",
                 "ship", "truck"]


def _voc_colormap() -> list[tuple[int, int, int]]:
    """VOC's 256-entry palette (bit-interleaved class index, as its devkit builds it)."""
    cmap = []
    for i in range(256):
        r = g = b = 0
        c = i
        for j in range(8):
            r |= ((c >> 0) & 1) << (7 - j)
            g |= ((c >> 1) & 1) << (7 - j)
            b |= ((c >> 2) & 1) << (7 - j)
            c >>= 3
        cmap.append((r, g, b))
    return cmap


def _class_images(rng: np.random.Generator, labels: np.ndarray, h: int, w: int
                  ) -> np.ndarray:
    """uint8 images (N, h, w, 3) whose mean colour and a bright square depend on the
    label, plus noise: learnable, unlike pure noise."""
    n = len(labels)
    base = rng.integers(0, 256, size=(10, 3))
    img = rng.normal(0, 40, size=(n, h, w, 3)) + base[labels % 10][:, None, None, :]
    for k, lab in enumerate(labels):
        s = h // 4
        y, x = (lab * 7) % (h - s), (lab * 13) % (w - s)
        img[k, y:y + s, x:x + s] += 80
    return np.clip(img, 0, 255).astype(np.uint8)


def _encode(img: np.ndarray, fmt: str) -> bytes:
    from PIL import Image
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format=fmt, **({"quality": 90} if fmt == "JPEG" else {}))
    return buf.getvalue()


def cifar10_archive(folder: Path, per_batch: int = 40, n_test: int = 64) -> None:
    rng = np.random.default_rng(1)
    folder.mkdir(parents=True, exist_ok=True)
    with tarfile.open(folder / "cifar-10-binary.tar.gz", "w:gz") as tar:
        def add(name: str, data: bytes) -> None:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        names = [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]
        for name in names:
            n = n_test if name == "test_batch.bin" else per_batch
            labels = rng.integers(0, 10, size=n)
            imgs = _class_images(rng, labels, 32, 32).transpose(0, 3, 1, 2).reshape(n, -1)
            add(name, np.concatenate([labels[:, None].astype(np.uint8), imgs], 1).tobytes())
        add("batches.meta.txt", ("\n".join(CIFAR_CLASSES) + "\n").encode())


def hotdog_zip(data: Path, n_train: int = 12, n_test: int = 8) -> None:
    rng = np.random.default_rng(2)
    with zipfile.ZipFile(data / "hotdog.zip", "w") as z:
        for split, n in (("train", n_train), ("test", n_test)):
            for label, cls in (("hotdog", 0), ("not-hotdog", 1)):
                for i in range(n):
                    h, w = int(rng.integers(120, 320)), int(rng.integers(120, 320))
                    img = _class_images(rng, np.array([cls]), h, w)[0]
                    z.writestr(f"hotdog/{split}/{label}/{1000 * cls + i}.png",
                               _encode(img, "PNG"))


def pikachu_rec(data: Path, n_train: int = 40, n_val: int = 16) -> None:
    from minigluon import recordio
    rng = np.random.default_rng(3)
    folder = data / "pikachu"
    folder.mkdir(parents=True, exist_ok=True)

    def record(i: int) -> bytes:
        img = np.clip(rng.normal(120, 50, size=(256, 256, 3)), 0, 255).astype(np.uint8)
        s = int(rng.integers(40, 110))
        x0, y0 = int(rng.integers(0, 256 - s)), int(rng.integers(0, 256 - s))
        yy, xx = np.mgrid[0:s, 0:s]
        blob = ((yy - s / 2) ** 2 + (xx - s / 2) ** 2) < (s / 2) ** 2
        img[y0:y0 + s, x0:x0 + s][blob] = (250, 220, 40)
        label = [4, 5, 256, 256, 0, x0 / 256, y0 / 256, (x0 + s) / 256, (y0 + s) / 256]
        header = recordio.IRHeader(0, np.array(label, dtype=np.float32), i, 0)
        return recordio.pack(header, _encode(img, "JPEG"))

    w = recordio.MXIndexedRecordIO(str(folder / "train.idx"), str(folder / "train.rec"), "w")
    for i in range(n_train):
        w.write_idx(i, record(i))
    w.close()
    w = recordio.MXRecordIO(str(folder / "val.rec"), "w")
    for i in range(n_val):
        w.write(record(i))
    w.close()


def voc_tar(data: Path, n_train: int = 32, n_val: int = 32) -> None:
    from PIL import Image
    rng = np.random.default_rng(4)
    palette = [v for rgb in _voc_colormap() for v in rgb]
    root = "VOCdevkit/VOC2012"
    with tarfile.open(data / "VOCtrainval_11-May-2012.tar", "w") as tar:
        def add(name: str, payload: bytes) -> None:
            info = tarfile.TarInfo(f"{root}/{name}")
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
        names = {"train": [], "val": []}
        for split, n in (("train", n_train), ("val", n_val)):
            for _ in range(n):
                name = f"2007_{len(names['train']) + len(names['val']):06d}"
                names[split].append(name)
                h, w = 375, 500
                mask = np.zeros((h, w), np.uint8)
                img = np.clip(rng.normal(110, 40, size=(h, w, 3)), 0, 255)
                for _ in range(int(rng.integers(1, 4))):
                    cls = int(rng.integers(1, 21))
                    y0, x0 = int(rng.integers(0, h - 60)), int(rng.integers(0, w - 60))
                    y1, x1 = y0 + int(rng.integers(40, h - y0)), x0 + int(rng.integers(40, w - x0))
                    mask[y0:y1, x0:x1] = cls
                    img[y0:y1, x0:x1] = np.array(_voc_colormap()[cls]) * 0.6 + 50
                    mask[y0, x0:x1] = mask[y1 - 1, x0:x1] = 255  # VOC's "void" border
                    mask[y0:y1, x0] = mask[y0:y1, x1 - 1] = 255
                add(f"JPEGImages/{name}.jpg", _encode(img.astype(np.uint8), "JPEG"))
                label = Image.fromarray(mask, mode="P")
                label.putpalette(palette)
                buf = io.BytesIO()
                label.save(buf, format="PNG")
                add(f"SegmentationClass/{name}.png", buf.getvalue())
        for split in ("train", "val"):
            add(f"ImageSets/Segmentation/{split}.txt", ("\n".join(names[split]) + "\n").encode())
        add("ImageSets/Segmentation/trainval.txt",
            ("\n".join(names["train"] + names["val"]) + "\n").encode())


def kaggle_dog_zip(data: Path, breeds: int = 4, per_breed: int = 4, n_test: int = 4) -> None:
    rng = np.random.default_rng(5)
    names = ["affenpinscher", "beagle", "boxer", "chow", "dingo", "pug"][:breeds]
    folder = data / "kaggle_dog"
    folder.mkdir(parents=True, exist_ok=True)
    top = "train_valid_test_tiny"
    with zipfile.ZipFile(folder / f"{top}.zip", "w") as z:
        for b, breed in enumerate(names):
            for i in range(per_breed):
                img = _class_images(rng, np.array([b]), 240, 300)[0]
                ident = f"{rng.integers(16 ** 12):012x}"
                payload = _encode(img, "JPEG")
                z.writestr(f"{top}/train_valid/{breed}/{ident}.jpg", payload)
                z.writestr(f"{top}/{'valid' if i == 0 else 'train'}/{breed}/{ident}.jpg",
                           payload)
        for i in range(n_test):
            img = _class_images(rng, np.array([i]), 240, 300)[0]
            z.writestr(f"{top}/test/unknown/{rng.integers(16 ** 12):012x}.jpg",
                       _encode(img, "JPEG"))


def pretrained_weights(models: Path, names: tuple[str, ...]) -> None:
    """Random (seeded) weights in MXNet's ``.params`` format, under the published name."""
    import minigluon as mx
    from minigluon.gluon.model_zoo import model_store, vision
    models.mkdir(parents=True, exist_ok=True)
    mx.random.seed(0)
    for name in names:
        path = models / f"{name}-{model_store.short_hash(name)}.params"
        if path.exists():
            continue
        net = vision.get_model(name)
        net.initialize(mx.init.Xavier())
        net(mx.nd.zeros((1, 3, 224, 224)))
        net.save_parameters(str(path))


def make_vision_data(data: Path, datasets: Path, mxnet_home: Path,
                     models: tuple[str, ...] = ("resnet18_v2", "resnet34_v2", "vgg19")
                     ) -> None:
    data.mkdir(parents=True, exist_ok=True)
    cifar10_archive(datasets / "cifar10")
    hotdog_zip(data)
    pikachu_rec(data)
    voc_tar(data)
    kaggle_dog_zip(data)
    pretrained_weights(mxnet_home / "models", models)
