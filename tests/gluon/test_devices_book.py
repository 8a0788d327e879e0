"""Chapter 8's data-parallel step (d2l-zh v1, multiple-gpus and multiple-gpus-gluon) on two
simulated GPUs: the gradients of the two halves of a batch, summed across the devices,
equal the gradient of the whole batch on one device (the identity the book's allreduce
relies on); and without simulated GPUs the book's try_gpu falls back to the CPU."""

from __future__ import annotations

import numpy as np
import pytest

import minigluon as mx
from minigluon import autograd, gluon, init, nd
from minigluon.gluon import loss as gloss, nn, utils as gutils


@pytest.fixture
def gpus():
    mx.context.simulate_gpus(2)
    yield [mx.gpu(0), mx.gpu(1)]
    mx.context.simulate_gpus(0)


def batch(n=6):
    rng = np.random.default_rng(3)
    return (nd.array(rng.normal(size=(n, 1, 6, 6))),
            nd.array(rng.integers(0, 4, size=n).astype(np.float32)))


def scratch_params():
    rng = np.random.default_rng(4)
    shapes = [(3, 1, 3, 3), (3,), (12, 4), (4,)]
    return [nd.array(rng.normal(scale=0.3, size=s)) for s in shapes]


def scratch_net(X, params):
    """The book's from-scratch network in small: convolution, ReLU, pooling, dense."""
    h = nd.Convolution(data=X, weight=params[0], bias=params[1], kernel=(3, 3),
                       num_filter=3)
    h = nd.Pooling(data=nd.relu(h), pool_type="avg", kernel=(2, 2), stride=(2, 2))
    return nd.dot(h.reshape((h.shape[0], -1)), params[2]) + params[3]


def allreduce(data):
    """The book's allreduce: everything summed on the first device, then copied back."""
    for i in range(1, len(data)):
        data[0][:] += data[i].copyto(data[0].context)
    for i in range(1, len(data)):
        data[0].copyto(data[i])


def test_scratch_step_gradients_sum_to_the_whole_batch_gradient(gpus):
    X, y = batch()
    loss = gloss.SoftmaxCrossEntropyLoss()
    whole = [p.copy() for p in scratch_params()]
    for p in whole:
        p.attach_grad()
    with autograd.record():
        l = loss(scratch_net(X, whole), y).sum()
    l.backward()
    per_gpu = [[p.copyto(c) for p in scratch_params()] for c in gpus]
    for ps in per_gpu:
        for p in ps:
            p.attach_grad()
    Xs, ys = gutils.split_and_load(X, gpus), gutils.split_and_load(y, gpus)
    with autograd.record():
        ls = [loss(scratch_net(Xi, ps), yi).sum() for Xi, yi, ps in zip(Xs, ys, per_gpu)]
    for li in ls:
        li.backward()
    for i in range(len(whole)):
        grads = [per_gpu[c][i].grad for c in range(len(gpus))]
        assert [g.context for g in grads] == gpus
        halves = sum(g.asnumpy() for g in grads)
        allreduce(grads)
        for g in grads:  # each device now holds the whole batch's gradient
            np.testing.assert_allclose(g.asnumpy(), whole[i].grad.asnumpy(), rtol=1e-5,
                                       atol=1e-6)
        np.testing.assert_allclose(halves, whole[i].grad.asnumpy(), rtol=1e-5, atol=1e-6)


def test_gluon_step_gradients_sum_to_the_whole_batch_gradient(gpus):
    X, y = batch()
    loss = gloss.SoftmaxCrossEntropyLoss()

    def make(ctx):
        mx.random.seed(7)
        net = nn.Sequential()
        net.add(nn.Conv2D(3, kernel_size=3, activation="relu"), nn.AvgPool2D(),
                nn.Dense(4))
        net.initialize(init=init.Normal(sigma=0.3), ctx=ctx)
        net(X.as_in_context(ctx[0]))
        return net

    one = make([mx.cpu()])
    with autograd.record():
        l = loss(one(X), y)
    l.backward()
    two = make(gpus)
    for p, q in zip(one.collect_params().values(), two.collect_params().values()):
        for c in gpus:
            np.testing.assert_array_equal(q.data(c).asnumpy(), p.data().asnumpy())
    Xs, ys = gutils.split_and_load(X, gpus), gutils.split_and_load(y, gpus)
    with autograd.record():
        ls = [loss(two(Xi), yi) for Xi, yi in zip(Xs, ys)]
    autograd.backward(ls)
    for p, q in zip(one.collect_params().values(), two.collect_params().values()):
        grads = q.list_grad()
        assert [g.context for g in grads] == gpus
        np.testing.assert_allclose(sum(g.asnumpy() for g in grads), p.grad().asnumpy(),
                                   rtol=1e-5, atol=1e-6)
    # the Trainer's step aggregates them the same way: both copies end up equal
    trainer = gluon.Trainer(two.collect_params(), "sgd", {"learning_rate": 0.1})
    trainer.step(len(X))
    for q in two.collect_params().values():
        np.testing.assert_array_equal(q.data(gpus[0]).asnumpy(), q.data(gpus[1]).asnumpy())


def test_try_gpu_falls_back_to_the_cpu_without_simulated_gpus():
    mx.context.simulate_gpus(0)

    def try_gpu():  # the book's use-gpu / d2lzh.try_gpu
        try:
            ctx = mx.gpu()
            _ = nd.zeros((1,), ctx=ctx)
        except mx.base.MXNetError:
            ctx = mx.cpu()
        return ctx

    assert try_gpu() == mx.cpu()
    mx.context.simulate_gpus(2)
    try:
        assert try_gpu() == mx.gpu(0)
    finally:
        mx.context.simulate_gpus(0)
