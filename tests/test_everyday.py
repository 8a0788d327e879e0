"""Issue 16's everyday MXNet surface against MXNet 1.9.1 (tests/golden/make_everyday_golden.py):
mx.test_utils, mx.base/util/name/runtime, the nd helpers and aliases, the *_update
operators, the PoissonNLL and CosineEmbedding losses, and the small behaviour fixes (bool
of an empty array, zeros/ones out=, Constant(NDArray).dumps())."""

import os
import sys

import numpy as np
import pytest

import minigluon as mx
from minigluon import autograd, nd
from minigluon.base import MXNetError, NotAvailableError

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "golden"))
import make_everyday_golden as golden  # noqa: E402

GOLD = np.load(os.path.join(os.path.dirname(__file__), "golden", "everyday.npz"))


@pytest.fixture(scope="module")
def ours():
    return golden.run(mx)


def test_same_keys_as_mxnet(ours):
    assert set(ours) == set(GOLD.files)


@pytest.mark.parametrize("key", sorted(GOLD.files))
def test_matches_mxnet(ours, key):
    want, got = GOLD[key], ours[key]
    if want.dtype.kind == "U":
        assert str(got) == str(want)
        return
    assert got.dtype == want.dtype and got.shape == want.shape
    if key.startswith(("upd/float64", "upd/float32", "mp/")):
        # same formulas, same C-float hyper-parameters: equal up to the order of rounding
        rtol = {"float64": 1e-12}.get(key.split("/")[1], 2e-6)
        np.testing.assert_allclose(got, want, rtol=rtol, atol=1e-7 if rtol > 1e-9 else 0,
                                   equal_nan=True)
    elif key.startswith(("loss/", "layer/")):  # float32: equal up to rounding
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    else:
        np.testing.assert_array_equal(got, want)


def test_assert_almost_equal_prints_worst_elements_as_mxnet(capsys):
    with pytest.raises(AssertionError, match=r"Error 82\.644547 exceeds tolerance"):
        mx.test_utils.assert_almost_equal(nd.array([1.0, 2.0]), nd.array([1.0, 2.1]))
    printed = capsys.readouterr().out
    assert "*** Maximum errors for vector of size 2:  rtol=0.0001, atol=0.001" in printed
    assert "  1: Error 82.644547  Location of error: (1,), a=2.00000000, b=2.09999990" in printed


def test_rand_ndarray_refuses_sparse_storage():
    with pytest.raises(MXNetError, match="dense arrays only"):
        mx.test_utils.rand_ndarray((2, 2), stype="csr")


def test_set_default_context():
    try:
        mx.test_utils.set_default_context(mx.cpu(1))
        assert mx.test_utils.default_context() == mx.cpu(1)
    finally:
        mx.test_utils.set_default_context(mx.cpu())


def test_check_numeric_gradient_with_a_list_and_grad_nodes():
    mx.test_utils.check_numeric_gradient(lambda a, b: nd.dot(a, b),
                                         [np.ones((2, 3)), golden.pattern((3, 2))],
                                         grad_nodes=[1], dtype=np.float64)


def test_util_refuses_numpy_semantics():
    assert not mx.util.is_np_array() and not mx.util.is_np_shape()
    with pytest.raises(NotAvailableError, match="mx.np"):
        mx.util.use_np(lambda: None)
    with mx.util.np_shape(False):
        pass
    mx.util.reset_np()


def test_name_manager_current_is_deprecated_and_nests():
    with mx.name.Prefix("a_") as outer:
        with pytest.warns(DeprecationWarning):
            assert mx.name.NameManager.current is outer
        with mx.name.NameManager() as inner:
            assert inner.get(None, "x") == "x0"
        with pytest.warns(DeprecationWarning):
            assert mx.name.NameManager.current is outer


def test_inplace_methods_share_memory_only_when_asked():
    x = nd.arange(6).reshape((2, 1, 3))
    x.squeeze()[:] = 5
    assert x.asnumpy()[0, 0, 0] == 0
    x.squeeze(inplace=True)[:] = 5
    assert (x.asnumpy() == 5).all()
    assert mx.test_utils.same_array(x, x.reshape((2, 1, 3)))
    # the copy is recorded: gradients flow through it
    x.attach_grad()
    with autograd.record():
        y = (x.flatten() * 2).sum()
    y.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), np.full((2, 1, 3), 2.0))


def test_update_ops_check_their_arrays():
    w = nd.ones((2, 2))
    with pytest.raises(MXNetError, match="one shape"):
        nd.sgd_mom_update(w, nd.ones((2, 2)), nd.zeros((3,)), lr=0.1)
    with pytest.raises(MXNetError, match="weight32 must be a float32"):
        nd.mp_sgd_update(w.astype("float16"), w.astype("float16"), w.astype("float16"),
                         lr=0.1)


def test_zeros_out_must_match():
    with pytest.raises(MXNetError, match="shape"):
        nd.zeros((2, 2), out=nd.zeros((3,)))


def test_helpers_check_their_input():
    with pytest.raises(MXNetError, match="outside"):
        nd.fill_element_0index(nd.zeros((2, 3)), nd.ones(2), nd.array([0, 3]))
    with pytest.raises(MXNetError, match="does not match"):
        nd.concatenate([nd.zeros((2, 3)), nd.zeros((2, 4))])
    with pytest.raises(NotAvailableError, match="dense"):
        nd.zeros((2,)).tostype("csr")
    a = np.arange(4.0)
    shared = nd.from_numpy(a)
    a[0] = 9
    assert shared.asnumpy()[0] == 9 and shared.dtype == np.float64


def test_runtime_features_follow_numpy():
    feats = mx.runtime.Features()
    assert feats is mx.runtime.Features()
    assert feats.is_enabled("INT64_TENSOR_SIZE") and not feats.is_enabled("MKLDNN")


def test_compat_imports_the_new_modules():
    from minigluon import compat

    was = compat.is_installed()
    compat.install()
    try:
        import mxnet

        assert mxnet.test_utils is mx.test_utils and mxnet.runtime is mx.runtime
        from mxnet.base import integer_types, py_str  # noqa: F401
    finally:
        if not was:
            compat.uninstall()


def test_poisson_full_is_differentiable():
    # MXNet adds the Stirling term in place and so refuses to record it; minigluon records
    loss = mx.gluon.loss.PoissonNLLLoss(compute_full=True)
    pred, target = nd.array([[0.5, 1.0]]), nd.array([[3.0, 0.0]])
    pred.attach_grad()
    with autograd.record():
        y = loss(pred, target)
    y.backward()
    np.testing.assert_allclose(pred.grad.asnumpy(), (np.exp([[0.5, 1.0]]) - [[3.0, 0.0]]) / 2,
                               rtol=1e-6)
