"""BatchNorm with fix_gamma (gluon: scale=False) and nn.BatchNormReLU, against values read
from MXNet 1.9.1 (/tmp probes under ~/mxnet-oracle, figures copied here): MXNet's kernel
writes ones into gamma during the forward pass, whatever the mode, and gamma's gradient
is 0."""

from __future__ import annotations

import numpy as np
import pytest

import minigluon as mx
from minigluon import autograd, nd

X = np.arange(12).reshape(4, 3) * 0.5 - 2
# first output row, from MXNet 1.9.1: predict mode (moving stats 0/1) and training mode
Y0_PREDICT = [-1.8990008, -1.2992506, -0.6995004]
Y0_TRAIN = [-1.2414024, -1.1414024, -1.0414023]


@pytest.mark.parametrize("record", [False, True])
@pytest.mark.parametrize("train", [False, True])
@pytest.mark.parametrize("global_stats", [False, True])
def test_fix_gamma_writes_ones_into_gamma(record, train, global_stats):
    g = nd.array([2.0, 3, 4])
    args = (nd.array(X), g, nd.array([0.1, 0.2, 0.3]), nd.zeros(3), nd.ones(3))
    kw = {"fix_gamma": True, "use_global_stats": global_stats}
    if record:
        g.attach_grad()
        with autograd.record(train_mode=train):
            y = nd.BatchNorm(*args, **kw)
        y.backward()
        np.testing.assert_array_equal(g.grad.asnumpy(), [0, 0, 0])
    else:
        with autograd.train_mode() if train else autograd.predict_mode():
            y = nd.BatchNorm(*args, **kw)
    np.testing.assert_array_equal(g.asnumpy(), [1, 1, 1])
    expected = Y0_TRAIN if train and not global_stats else Y0_PREDICT
    np.testing.assert_allclose(y.asnumpy()[0], expected, rtol=1e-6)


def test_fix_gamma_false_leaves_gamma():
    g = nd.array([2.0, 3, 4])
    nd.BatchNorm(nd.array(X), g, nd.zeros(3), nd.zeros(3), nd.ones(3), fix_gamma=False)
    np.testing.assert_array_equal(g.asnumpy(), [2, 3, 4])


@pytest.mark.parametrize("train", [False, True])
def test_gluon_batchnorm_scale_false_resets_gamma(train):
    net = mx.gluon.nn.BatchNorm(scale=False, in_channels=3)
    net.initialize()
    net.gamma.set_data(nd.array([2.0, 3, 4]))
    if train:
        with autograd.record():
            y = net(nd.array(X))
        y.backward()
    else:
        y = net(nd.array(X))
    np.testing.assert_array_equal(net.gamma.data().asnumpy(), [1, 1, 1])
    assert net.gamma.grad_req == "null"
    expected = [-1.3416384] * 3 if train else [-1.99999, -1.4999925, -0.999995]
    np.testing.assert_allclose(y.asnumpy()[0], expected, rtol=1e-6)


def test_batchnormrelu_is_batchnorm_then_relu():
    net = mx.gluon.nn.BatchNormReLU()
    # names, prefix and repr as MXNet 1.9.1's
    assert net.prefix.startswith("batchnormrelu") and net.prefix.endswith("_")
    assert [k.split("_", 1)[1] for k in net.collect_params()] == \
        ["gamma", "beta", "running_mean", "running_var"]
    assert repr(net) == ("BatchNormReLU(axis=1, eps=1e-05, momentum=0.9, fix_gamma=False, "
                         "use_global_stats=False, in_channels=None)")
    bn = mx.gluon.nn.BatchNorm()
    net.initialize()
    bn.initialize()
    x = nd.array(np.random.default_rng(0).normal(size=(4, 3, 2)))
    with autograd.record():
        y = net(x)
        y_ref = nd.relu(bn(x))
    np.testing.assert_array_equal(y.asnumpy(), y_ref.asnumpy())
