"""The data side of the book's chapter 9 (d2l-zh v1, MXNet edition), its code unchanged, on
small stand-in files of the formats it downloads: image augmentation on CIFAR-10 (9.1),
fine-tuning and the Kaggle sections' folders and transforms (9.2, 9.12, 9.13), the Pikachu
detection set (9.6) and VOC-style crops (9.9)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

FILES = Path(__file__).resolve().parents[1] / "golden" / "files" / "image"


@pytest.fixture
def mxnet_env(tmp_path, monkeypatch):
    import minigluon.compat

    monkeypatch.setenv("MXNET_HOME", str(tmp_path / "mxhome"))
    monkeypatch.setenv("MINIGLUON_VERIFY_SHA1", "0")  # the stand-ins are not the real data
    monkeypatch.delenv("MINIGLUON_DATA", raising=False)
    minigluon.compat.install()
    yield tmp_path
    minigluon.compat.uninstall()


def test_section_9_1_image_augmentation(mxnet_env):
    from mxnet import image
    from mxnet.gluon import data as gdata

    root = mxnet_env / "mxhome" / "datasets" / "cifar10"
    root.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for n in [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]:
        np.concatenate([rng.integers(0, 10, (8, 1)), rng.integers(0, 256, (8, 3072))],
                       1).astype(np.uint8).tofile(root / n)
    img = image.imread(str(FILES / "pil_1.jpg"))
    shape_aug = gdata.vision.transforms.RandomResizedCrop(
        (200, 200), scale=(0.1, 1), ratio=(0.5, 2))
    color_aug = gdata.vision.transforms.RandomColorJitter(
        brightness=0.5, contrast=0.5, saturation=0.5, hue=0.5)
    for aug in (gdata.vision.transforms.RandomFlipLeftRight(),
                gdata.vision.transforms.RandomFlipTopBottom(), shape_aug,
                gdata.vision.transforms.RandomBrightness(0.5),
                gdata.vision.transforms.RandomHue(0.5), color_aug):
        Y = [aug(img) for _ in range(8)]
        assert Y[0].dtype == np.uint8 and Y[0].shape[2] == 3
    augs = gdata.vision.transforms.Compose([
        gdata.vision.transforms.RandomFlipLeftRight(), color_aug, shape_aug])
    assert augs(img).shape == (200, 200, 3)
    assert gdata.vision.CIFAR10(train=True)[0:32][0].shape == (32, 32, 32, 3)
    flip_aug = gdata.vision.transforms.Compose([
        gdata.vision.transforms.RandomFlipLeftRight(),
        gdata.vision.transforms.ToTensor()])
    loader = gdata.DataLoader(gdata.vision.CIFAR10(train=True).transform_first(flip_aug),
                              batch_size=16, shuffle=True, num_workers=2)
    shapes = [(X.shape, X.dtype, y.shape) for X, y in loader]
    assert shapes[0] == ((16, 3, 32, 32), np.float32, (16,)) and len(shapes) == 3


def test_sections_9_2_9_12_9_13_image_folders(mxnet_env):
    from mxnet.gluon import data as gdata

    for split in ("train", "test"):
        for c in ("hotdog", "not-hotdog"):
            os.makedirs(mxnet_env / "hotdog" / split / c)
            for i, f in enumerate(("pil_0.jpg", "cv_1.jpg", "pil_2.png")):
                shutil.copy(FILES / f, mxnet_env / "hotdog" / split / c / f"{i}{f[-4:]}")
    data_dir = str(mxnet_env)
    train_imgs = gdata.vision.ImageFolderDataset(os.path.join(data_dir, "hotdog/train"))
    normalize = gdata.vision.transforms.Normalize(
        [0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
    train_augs = gdata.vision.transforms.Compose([
        gdata.vision.transforms.RandomResizedCrop(224),
        gdata.vision.transforms.RandomFlipLeftRight(),
        gdata.vision.transforms.ToTensor(),
        normalize])
    test_augs = gdata.vision.transforms.Compose([
        gdata.vision.transforms.Resize(256),
        gdata.vision.transforms.CenterCrop(224),
        gdata.vision.transforms.ToTensor(),
        normalize])
    dog_augs = gdata.vision.transforms.Compose([
        gdata.vision.transforms.RandomResizedCrop(224, scale=(0.08, 1.0),
                                                  ratio=(3.0 / 4.0, 4.0 / 3.0)),
        gdata.vision.transforms.RandomFlipLeftRight(),
        gdata.vision.transforms.RandomColorJitter(brightness=0.4, contrast=0.4,
                                                  saturation=0.4),
        gdata.vision.transforms.RandomLighting(0.1),
        gdata.vision.transforms.ToTensor(),
        normalize])
    for augs in (train_augs, test_augs, dog_augs):
        it = gdata.DataLoader(train_imgs.transform_first(augs), 4, shuffle=True)
        for X, y in it:
            assert X.shape[1:] == (3, 224, 224) and X.dtype == np.float32
            assert y.shape == X.shape[:1]
    assert train_imgs.synsets == ["hotdog", "not-hotdog"] and len(train_imgs) == 6


def test_section_9_6_pikachu_iterators(mxnet_env):
    from mxnet import image

    data_dir = mxnet_env / "pikachu"
    data_dir.mkdir()
    shutil.copy(FILES / "detection.rec", data_dir / "train.rec")
    shutil.copy(FILES / "detection.idx", data_dir / "train.idx")
    shutil.copy(FILES / "detection.rec", data_dir / "val.rec")
    batch_size, edge_size = 2, 64
    train_iter = image.ImageDetIter(
        path_imgrec=os.path.join(data_dir, "train.rec"),
        path_imgidx=os.path.join(data_dir, "train.idx"),
        batch_size=batch_size, data_shape=(3, edge_size, edge_size), shuffle=True,
        rand_crop=1, min_object_covered=0.95, max_attempts=200)
    val_iter = image.ImageDetIter(
        path_imgrec=os.path.join(data_dir, "val.rec"), batch_size=batch_size,
        data_shape=(3, edge_size, edge_size), shuffle=False)
    batch = train_iter.next()
    assert (batch.data[0].shape, batch.label[0].shape) == ((2, 3, 64, 64), (2, 3, 5))
    imgs = (batch.data[0][0:10].transpose((0, 2, 3, 1))) / 255
    assert imgs.shape == (2, 64, 64, 3)
    assert len(list(val_iter)) == 3
    train_iter.reset()
    assert sum(1 for _ in train_iter) == 3


def test_section_9_9_voc_random_crop(mxnet_env):
    from mxnet import image

    def voc_rand_crop(feature, label, height, width):
        feature, rect = image.random_crop(feature, (width, height))
        label = image.fixed_crop(label, *rect)
        return feature, label

    feature = image.imread(str(FILES / "pil_1.jpg"))
    label = image.imread(str(FILES / "pil_1.png"))
    for _ in range(5):
        f, lab = voc_rand_crop(feature, label, 60, 50)
        assert f.shape == lab.shape == (60, 50, 3)
