"""The L2 penalty of d2l 3.14 (gluon.loss.L2Regularizer) and its equivalence with weight
decay."""

from __future__ import annotations

import numpy as np
import pytest

from minigluon import autograd, gluon, nd
from minigluon.gluon import loss as gloss, nn

LAM, LR, BATCH = 0.3, 0.1, 5


def _mlp(seed=0):
    """d2l 3.14's network: one hidden layer, W1 and W2 penalized, biases not."""
    rs = np.random.RandomState(seed)
    net = nn.Sequential()
    net.add(nn.Dense(4, in_units=5, activation="relu"), nn.Dense(1, in_units=4))
    net.initialize()
    for p in net.collect_params().values():
        p.set_data(rs.normal(size=p.shape))
    return net


def _data():
    rs = np.random.RandomState(1)
    X = rs.normal(size=(20, 5)).astype(np.float32)
    y = (X @ rs.normal(size=(5, 1)) + 0.1 * rs.normal(size=(20, 1))).astype(np.float32)
    return [(nd.array(X[i:i + BATCH]), nd.array(y[i:i + BATCH])) for i in range(0, 20, BATCH)]


def _values(net):
    return [p.data().asnumpy().copy() for p in net.collect_params().values()]


def test_value_gradient_and_shape():
    net = _mlp()
    s = gloss.L2Regularizer(LAM, net.collect_params(".*weight"))
    assert [p.name for p in s.params] == ["dense0_weight", "dense1_weight"]
    w1, w2 = net[0].weight.data().asnumpy(), net[1].weight.data().asnumpy()
    with autograd.record() as tape:
        value = s()
    assert value.shape == (1,)
    assert len(tape.nodes) > 0  # recorded like any other term
    np.testing.assert_allclose(value.asnumpy(), LAM / 2 * ((w1 ** 2).sum() + (w2 ** 2).sum()),
                               rtol=1e-6)
    value.backward()
    np.testing.assert_allclose(net[0].weight.grad().asnumpy(), LAM * w1, rtol=1e-6)
    np.testing.assert_allclose(net[1].weight.grad().asnumpy(), LAM * w2, rtol=1e-6)
    assert net[0].bias.grad().asnumpy().sum() == 0


def test_j_equals_l_plus_s_is_differentiable_end_to_end():
    net = _mlp()
    s = gloss.L2Regularizer(LAM, net.collect_params(".*weight"))
    X, y = _data()[0]
    with autograd.record():
        L = gloss.L2Loss()(net(X), y)
        J = L + s()
    assert J.shape == (BATCH,)
    J.backward()
    g_reg = net[0].weight.grad().asnumpy()
    with autograd.record():
        gloss.L2Loss()(net(X), y).backward()
    g_plain = net[0].weight.grad().asnumpy()
    # the penalty was added to each of the BATCH examples: BATCH * lam * W
    np.testing.assert_allclose(g_reg - g_plain, BATCH * LAM * net[0].weight.data().asnumpy(),
                               rtol=1e-5, atol=1e-6)


def _train_with_weight_decay():
    """The weight-decay chapter's way: wd on the weights' Trainer, none on the biases'."""
    net = _mlp()
    tw = gluon.Trainer(net.collect_params(".*weight"), "sgd", {"learning_rate": LR, "wd": LAM})
    tb = gluon.Trainer(net.collect_params(".*bias"), "sgd", {"learning_rate": LR})
    loss = gloss.L2Loss()
    for _ in range(3):
        for X, y in _data():
            with autograd.record():
                l = loss(net(X), y)
            l.backward()
            tw.step(BATCH)
            tb.step(BATCH)
    return _values(net)


def _train_with_penalty(objective, step_size):
    net = _mlp()
    s = gloss.L2Regularizer(LAM, net.collect_params(".*weight"))
    tr = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": LR, "wd": 0})
    loss = gloss.L2Loss()
    for _ in range(3):
        for X, y in _data():
            with autograd.record():
                J = objective(loss(net(X), y), s())
            J.backward()
            tr.step(step_size)
    return _values(net)


@pytest.mark.parametrize("objective,step_size", [
    (lambda l, s: l + s, BATCH),         # per-example loss + s (broadcast), step(batch_size)
    (lambda l, s: l.mean() + s, 1),      # averaged loss + s, step(1)
], ids=["vector_loss_step_batch", "mean_loss_step_1"])
def test_penalty_with_plain_sgd_equals_weight_decay(objective, step_size):
    reference = _train_with_weight_decay()
    got = _train_with_penalty(objective, step_size)
    for a, b in zip(reference, got):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)
    assert not np.allclose(reference[0], _mlp()[0].weight.data().asnumpy())  # it trained


def test_summed_loss_with_step_batch_is_not_weight_decay():
    """``l.sum() + s`` then ``step(batch_size)`` divides the penalty's gradient by the batch
    size: the documented pitfall."""
    reference = _train_with_weight_decay()
    got = _train_with_penalty(lambda l, s: l.sum() + s, BATCH)
    assert not np.allclose(got[0], reference[0], rtol=1e-3)
    repaired = _train_with_penalty(lambda l, s: l.sum() + s * BATCH, BATCH)
    for a, b in zip(reference, repaired):  # scaling the term by the batch size repairs it
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)


def test_parameter_choices():
    net = _mlp()
    by_list = gloss.L2Regularizer(0.1, [net[0].weight])
    by_block = gloss.L2Regularizer(0.1, net, select=".*weight")
    by_param = gloss.L2Regularizer(0.1, net[1].weight)
    assert [p.name for p in by_list.params] == ["dense0_weight"]
    assert [p.name for p in by_block.params] == ["dense0_weight", "dense1_weight"]
    assert [p.name for p in by_param.params] == ["dense1_weight"]
    assert repr(by_list) == "L2Regularizer(lam=0.1, params=['dense0_weight'])"
    assert gloss.L2Penalty is gloss.L2Regularizer


def test_bad_arguments_are_explained():
    net = _mlp()
    with pytest.raises(ValueError, match="write '.\\*weight', not 'weight'"):
        gloss.L2Regularizer(0.1, net.collect_params("weight"))
    with pytest.raises(TypeError, match="not the arrays p.data"):
        gloss.L2Regularizer(0.1, [net[0].weight.data()])
    with pytest.raises(TypeError, match="params must be"):
        gloss.L2Regularizer(0.1, 3)


def test_penalty_before_first_forward_raises_deferred():
    net = nn.Dense(2)
    net.initialize()
    s = gloss.L2Regularizer(0.1, net.collect_params(".*weight"))
    with pytest.raises(gluon.DeferredInitializationError):
        s()
    net(nd.ones((1, 3)))
    assert s().shape == (1,)


@pytest.fixture(autouse=True)
def _fresh_names():
    gluon.reset_name_counters()

