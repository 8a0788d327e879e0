"""Error messages named by the core issue, and nd.save / nd.load on NDArrays."""

import os

import numpy as np
import pytest

import minigluon as mx
from minigluon import autograd, nd
from minigluon._fileformat import FileFormatError
from minigluon.base import MXNetError


def test_dot_shape_error_names_both_shapes():
    with pytest.raises(MXNetError, match=r"dot shape error: lhs \(2, 3\) and rhs \(2, 3\)"):
        nd.dot(nd.ones((2, 3)), nd.ones((2, 3)))


def test_broadcast_error_names_both_shapes():
    with pytest.raises(MXNetError, match=r"broadcast together with shapes \[2, 3\] \[2\]"):
        nd.ones((2, 3)) + nd.ones(2)


def test_out_shape_and_dtype_errors_name_both():
    with pytest.raises(MXNetError, match=r"result has shape \(3,\).*out has shape \(2,\)"):
        nd.exp(nd.ones(3), out=nd.zeros(2))
    with pytest.raises(MXNetError, match="dtype float32.*dtype int32"):
        nd.exp(nd.ones(3), out=nd.zeros(3, dtype="int32"))
    z = nd.zeros(3)
    assert nd.broadcast_add(nd.ones(3), nd.ones(3), out=z) is z
    np.testing.assert_array_equal(z.asnumpy(), [2, 2, 2])


@pytest.mark.parametrize("dtype", ["float31", "complex64", object, "str"])
def test_unknown_dtype(dtype):
    with pytest.raises(TypeError, match="unknown dtype"):
        nd.zeros(2, dtype=dtype)
    with pytest.raises(MXNetError, match="unknown dtype"):
        nd.ones(2).astype(dtype)


def test_gpu_context_is_refused_with_advice():
    with pytest.raises(MXNetError, match="not implemented for GPU.*USE_CUDA.*MINIGLUON_GPUS"):
        nd.ones(2, ctx=mx.gpu())
    assert nd.ones(2, ctx=mx.cpu()).context == mx.cpu()


def test_save_load_roundtrip(tmp_path):
    f = str(tmp_path / "x")
    x = nd.ones(3)
    nd.save(f, x)
    (back,) = nd.load(f)
    assert repr(back) == "\n[1. 1. 1.]\n<NDArray 3 @cpu(0)>"
    d = {"w": nd.arange(6).reshape((2, 3)), "i": nd.array([1, 2], dtype="int32"),
         "s": nd.array(np.float64(2.5), dtype="float64")}
    nd.save(f, d)
    loaded = nd.load(f)
    assert list(loaded) == ["w", "i", "s"]
    for k in d:
        assert loaded[k].dtype == d[k].dtype and loaded[k].shape == d[k].shape
        np.testing.assert_array_equal(loaded[k].asnumpy(), d[k].asnumpy())
    assert os.listdir(tmp_path) == ["x"]  # no temp file left behind


def test_save_bad_inputs_l4(tmp_path):
    f = str(tmp_path / "x")
    with pytest.raises(TypeError, match="save only accept dict str->NDArray or list of NDArray"):
        nd.save(f, [nd.ones(1), 3])
    with pytest.raises(TypeError, match="save only accept"):
        nd.save(f, {1: nd.ones(1)})
    with pytest.raises(ValueError, match="data needs to either be a NDArray"):
        nd.save(f, np.ones(2))


def test_load_missing_and_corrupt_files(tmp_path):
    with pytest.raises(FileNotFoundError):
        nd.load(str(tmp_path / "nope"))
    bad = tmp_path / "bad.params"
    bad.write_bytes(b"PK\x03\x04 not an ndarray file")
    with pytest.raises(FileFormatError, match="bad.params"):
        nd.load(str(bad))


def test_loaded_arrays_are_independent_and_differentiable(tmp_path):
    f = str(tmp_path / "w")
    nd.save(f, [nd.array([1.0, 2.0])])
    (w,) = nd.load(f)
    w.attach_grad()
    with autograd.record():
        y = (w * w).sum()
    y.backward()
    np.testing.assert_array_equal(w.grad.asnumpy(), [2, 4])
