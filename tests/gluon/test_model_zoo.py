"""gluon.model_zoo.vision against MXNet 1.9.1: every network's parameter names, shapes
and repr, and the outputs of networks whose parameters MXNet saved
(tests/golden/make_model_zoo_golden.py); the pretrained-weights store without network."""

import gzip
import hashlib
import os
import shutil
import sys

import numpy as np
import pytest

import minigluon as mx
from minigluon import autograd, nd
from minigluon.base import MXNetError
from minigluon.gluon.model_zoo import model_store, vision

GOLDEN_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "golden")
sys.path.insert(0, GOLDEN_DIR)
import make_model_zoo_golden as golden  # noqa: E402

GOLD = np.load(os.path.join(GOLDEN_DIR, "model_zoo.npz"))
FILES = os.path.join(GOLDEN_DIR, "files", "model_zoo")


@pytest.mark.parametrize("name", golden.ALL)
def test_structure_matches_mxnet(name):
    net = vision.get_model(name, classes=golden.CLASSES)
    params = net.collect_params()
    assert net.prefix.rstrip("_0123456789") == str(GOLD[f"{name}/prefix"])
    assert [k[len(net.prefix):] for k in params.keys()] == list(GOLD[f"{name}/names"])
    assert [str(tuple(p.shape)) for p in params.values()] == list(GOLD[f"{name}/shapes"])
    assert repr(net) == str(GOLD[f"{name}/repr"])


def _unzip(name, tmp_path):
    path = tmp_path / f"{name}.params"
    with gzip.open(os.path.join(FILES, f"{name}.params.gz"), "rb") as src, \
            open(path, "wb") as dst:
        shutil.copyfileobj(src, dst)
    return str(path)


SLOW = ("squeezenet1.1", "densenet121")  # 224x224 inputs: their pooling needs them


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if n in SLOW else n
                                  for n in golden.NETS])
def test_mxnet_parameters_give_mxnet_outputs(name, tmp_path):
    shape = golden.NETS[name]
    net = vision.get_model(name, classes=golden.CLASSES)
    net.load_parameters(_unzip(name, tmp_path))  # no initialize(): shapes come from the file
    x = nd.array(golden.net_input(shape))
    # the outputs are sums of thousands of large float32 terms, so their rounding error
    # scales with the largest output, not with each (possibly cancelled) element; VGG's
    # MXNet (oneDNN) result is 7e-4 away from the float64 one, minigluon's 1e-4
    tol = 2e-3 if name == "vgg11" else 1e-4
    want = GOLD[f"{name}/predict"]
    np.testing.assert_allclose(net(x).asnumpy(), want, rtol=0, atol=tol * np.abs(want).max())
    if name in ("resnet18_v2", "mobilenet0.25"):  # batch statistics
        with autograd.record():
            y = net(x)
        np.testing.assert_allclose(y.asnumpy(), GOLD[f"{name}/train"], rtol=1e-3, atol=1e-4)


def test_legacy_full_name_file_loads(tmp_path):
    legacy, current = vision.resnet18_v2(classes=10), vision.resnet18_v2(classes=10)
    legacy.load_parameters(_unzip("resnet18_v2-legacy", tmp_path))
    current.load_parameters(_unzip("resnet18_v2", tmp_path))
    for a, b in zip(legacy.collect_params().values(), current.collect_params().values()):
        np.testing.assert_array_equal(a.data().asnumpy(), b.data().asnumpy())


def test_pretrained_reads_the_store_and_checks_the_hash(tmp_path, monkeypatch):
    path = _unzip("mobilenet0.25", tmp_path)
    with open(path, "rb") as f:
        digest = hashlib.sha1(f.read()).hexdigest()
    # the published file is not here: stand in for it with a table entry of our file
    monkeypatch.setitem(model_store._model_sha1, "mobilenet0.25", digest)
    store = tmp_path / "models"
    store.mkdir()
    shutil.copy(path, store / f"mobilenet0.25-{digest[:8]}.params")
    net = vision.get_model("mobilenet0.25", pretrained=True, root=str(store),
                           classes=golden.CLASSES)
    x = nd.array(golden.net_input(golden.NETS["mobilenet0.25"]))
    np.testing.assert_allclose(net(x).asnumpy(), GOLD["mobilenet0.25/predict"], rtol=1e-4,
                               atol=1e-5)
    monkeypatch.setenv("MXNET_HOME", str(tmp_path))  # $MXNET_HOME/models is the default
    assert model_store.get_model_file("mobilenet0.25") == str(
        store / f"mobilenet0.25-{digest[:8]}.params")


def test_missing_weights_name_the_file_and_the_address(tmp_path, monkeypatch):
    monkeypatch.setenv("MXNET_HOME", str(tmp_path))
    with pytest.raises(MXNetError) as err:
        vision.get_model("resnet18_v1", pretrained=True)
    msg = str(err.value)
    want = os.path.join(str(tmp_path), "models", "resnet18_v1-a0666292.params")
    assert want in msg and "does not download" in msg
    assert "https://apache-mxnet.s3-accelerate.dualstack.amazonaws.com/gluon/models/" \
        "resnet18_v1-a0666292.zip" in msg
    assert not os.listdir(tmp_path)  # nothing created


def test_wrong_hash_is_refused(tmp_path):
    bad = tmp_path / "vgg11-dd221b16.params"
    bad.write_bytes(b"not the weights")
    with pytest.raises(MXNetError, match=r"vgg11-dd221b16.params is not MXNet's published "
                                         r"weights of 'vgg11': its SHA-1 is"):
        vision.vgg11(pretrained=True, root=str(tmp_path))


def test_unchecked_weights_with_the_switch_still_have_to_load(tmp_path, monkeypatch):
    # MINIGLUON_VERIFY_SHA1=0 skips the hash (stand-in weights), not the format check
    bad = tmp_path / "vgg11-dd221b16.params"
    bad.write_bytes(b"not the weights")
    monkeypatch.setenv("MINIGLUON_VERIFY_SHA1", "0")
    assert model_store.get_model_file("vgg11", root=str(tmp_path)) == str(bad)
    with pytest.raises(MXNetError, match="vgg11-dd221b16.params"):
        vision.vgg11(pretrained=True, root=str(tmp_path))
    monkeypatch.setenv("MINIGLUON_VERIFY_SHA1", "1")
    with pytest.raises(MXNetError, match="MINIGLUON_VERIFY_SHA1=0"):
        model_store.get_model_file("vgg11", root=str(tmp_path))


def test_get_model_names():
    with pytest.raises(ValueError, match="Model resnet19 is not supported"):
        vision.get_model("resnet19")
    assert type(vision.get_model("ResNet50_V2")).__name__ == "ResNetV2"
    assert mx.gluon.model_zoo.get_model is vision.get_model
    with pytest.raises(ValueError, match="Pretrained model for nonet is not available"):
        model_store.get_model_file("nonet")
