"""Detection and upsampling operators against MXNet 1.9.1 (golden values and gradients
from tests/golden/make_vision_ops_golden.py); their VJPs are also checked against finite
differences by tests/test_ops_registry.py."""

import os
import sys

import numpy as np
import pytest

import minigluon as mx
from minigluon import autograd, contrib, nd
from minigluon.base import MinigluonError

GOLDEN_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "golden")
sys.path.insert(0, GOLDEN_DIR)
import make_vision_ops_golden as golden  # noqa: E402

GOLD = np.load(os.path.join(GOLDEN_DIR, "vision_ops.npz"))


@pytest.mark.parametrize("case", sorted(golden.cases()))
def test_matches_mxnet(case):
    res = golden.run(mx, case)
    keys = sorted(k.split("/", 1)[1] for k in GOLD.files if k.startswith(case + "/"))
    assert sorted(res) == keys
    for key, value in res.items():
        want = GOLD[f"{case}/{key}"]
        assert value.shape == want.shape and value.dtype == want.dtype, key
        np.testing.assert_allclose(value, want, rtol=1e-5, atol=1e-5, err_msg=key)


def test_bilinear_initializer_matches_mxnet():
    for key, value in golden.bilinear(mx).items():
        np.testing.assert_array_equal(value, GOLD[key])


def test_contrib_namespaces():
    assert mx.contrib.nd is mx.contrib.ndarray
    assert contrib.nd.box_non_maximum_suppression is contrib.nd.box_nms
    assert nd.ROIPooling and nd.Deconvolution and nd.UpSampling


def test_multibox_target_returns_three_arrays_without_gradient():
    anchors = contrib.nd.MultiBoxPrior(nd.zeros((1, 1, 2, 2)), sizes=[0.5], ratios=[1])
    labels = nd.array([[[0, 0.1, 0.1, 0.45, 0.5], [-1, -1, -1, -1, -1]]])
    preds = nd.zeros((1, 2, 4))
    loc, mask, cls = contrib.nd.MultiBoxTarget(anchors, labels, preds)
    assert (loc.shape, mask.shape, cls.shape) == ((1, 16), (1, 16), (1, 4))
    np.testing.assert_array_equal(cls.asnumpy(), [[1, 0, 0, 0]])
    np.testing.assert_array_equal(mask.asnumpy()[0, :4], [1, 1, 1, 1])


def test_box_nms_gradient_goes_to_kept_rows():
    x = nd.array([[0, 0.9, 0, 0, 1, 1], [0, 0.8, 0, 0, 1, 0.95], [0, 0.7, 2, 2, 3, 3]])
    x.attach_grad()
    with autograd.record():
        y = contrib.nd.box_nms(x, overlap_thresh=0.5)
    y.backward(nd.ones_like(y))
    np.testing.assert_array_equal(y.asnumpy()[2], [-1] * 6)
    np.testing.assert_array_equal(x.grad.asnumpy().sum(axis=1), [6, 0, 6])


def test_deconvolution_is_the_adjoint_of_convolution():
    rng = np.random.default_rng(0)
    x = nd.array(rng.normal(size=(2, 3, 7, 6)), dtype="float64")
    w = nd.array(rng.normal(size=(4, 3, 3, 2)), dtype="float64")
    g = nd.array(rng.normal(size=(2, 4, 4, 2)), dtype="float64")
    kw = dict(kernel=(3, 2), stride=(2, 2), pad=(1, 0), dilate=(1, 2))
    y = nd.Convolution(x, w, no_bias=True, num_filter=4, **kw)
    back = nd.Deconvolution(g, w, num_filter=3, adj=(0, 1), **kw)  # weight (in=4, out=3)
    assert back.shape == x.shape
    np.testing.assert_allclose((y * g).sum().asscalar(), (x * back).sum().asscalar())


@pytest.mark.parametrize("call, match", [
    (lambda: nd.Deconvolution(nd.zeros((1, 2, 3, 3)), nd.zeros((3, 1, 2, 2)), kernel=(2, 2),
                              num_filter=1), r"weight has shape \(3, 1, 2, 2\), expected"),
    (lambda: nd.Deconvolution(nd.zeros((1, 1, 3, 3)), nd.zeros((1, 1, 2, 2)), kernel=(2, 2),
                              num_filter=1, target_shape=(20, 20)), "too big"),
    (lambda: nd.UpSampling(nd.zeros((1, 1, 2, 2)), scale=2, sample_type="cubic"),
     "sample_type='cubic'"),
    (lambda: nd.UpSampling(nd.zeros((1, 2, 2, 2)), nd.zeros((2, 1, 4, 4)), scale=2,
                           sample_type="bilinear", num_filter=3), "num_filter=3"),
    (lambda: nd.ROIPooling(nd.zeros((1, 1, 4, 4)), nd.zeros((2, 4)), pooled_size=(2, 2),
                           spatial_scale=1), r"rois has shape \(2, 4\)"),
    (lambda: contrib.nd.box_nms(nd.zeros((3, 4))), "5 are needed"),
    (lambda: contrib.nd.box_iou(nd.zeros((3, 5)), nd.zeros((2, 4))), "lhs has shape"),
    (lambda: contrib.nd.MultiBoxPrior(nd.zeros((2, 3))), "must be 4-D"),
    (lambda: contrib.nd.MultiBoxDetection(nd.zeros((1, 3, 4)), nd.zeros((1, 12)),
                                          nd.zeros((1, 4, 4))), "do not match"),
])
def test_bad_arguments_are_named(call, match):
    with pytest.raises(MinigluonError, match=match):
        call()




def test_transposed_convolution_layers():
    res = golden.layers(mx)
    want = {k: GOLD[k] for k in GOLD.files if k.split("/")[0] in golden.LAYERS}
    assert sorted(res) == sorted(want)
    for key, value in res.items():
        if value.dtype.kind == "U":
            assert str(value) == str(want[key]), key
        else:
            np.testing.assert_allclose(value, want[key], rtol=1e-5, atol=1e-5, err_msg=key)


def test_deconvolution_target_shape():
    # golden values from MXNet's own CPU kernels (its oneDNN ones refuse target_shape)
    res = golden.run(mx, "deconv2d_target")
    np.testing.assert_allclose(res["out0"], GOLD["deconv2d_target/out0"], rtol=1e-5,
                               atol=1e-5)
    assert res["out0"].shape == (1, 2, 9, 10)
