"""A small helper module in the style of the book's ``d2lzh``, written for Apache MXNet.

It imports like d2lzh does at the top, including parts of MXNet that minigluon only
provides as placeholders (``image``, ``contrib.text``), and defines the helpers that
train.py uses. Nothing here mentions minigluon.
"""
# ruff: noqa: I001  (the imports are written as d2lzh writes them)

import random

import mxnet as mx
from mxnet import autograd, gluon, image, nd  # noqa: F401
from mxnet.contrib import text  # noqa: F401
from mxnet.gluon import data as gdata, loss as gloss, nn, utils as gutils  # noqa: F401

# d2lzh evaluates mx.cpu() at import time (a default argument) and subclasses nn.Block
DEFAULT_CTX = mx.cpu()


class Residual(nn.Block):
    """Only defined, never used: d2lzh defines Blocks at import time."""

    def forward(self, x):
        return x


def try_gpu():
    """The first GPU if there is one, else the CPU (as in d2lzh)."""
    try:
        ctx = mx.gpu()
        _ = nd.zeros((1,), ctx=ctx)
    except mx.base.MXNetError:
        ctx = mx.cpu()
    return ctx


def synthetic_data(w, b, num_examples):
    features = nd.random.normal(scale=1, shape=(num_examples, len(w)))
    labels = nd.dot(features, nd.array(w)) + b
    labels += nd.random.normal(scale=0.01, shape=labels.shape)
    return features, labels


def data_iter(batch_size, features, labels):
    num_examples = len(features)
    indices = list(range(num_examples))
    random.shuffle(indices)
    for i in range(0, num_examples, batch_size):
        j = nd.array(indices[i: min(i + batch_size, num_examples)])
        yield features.take(j), labels.take(j)


def linreg(X, w, b):
    return nd.dot(X, w) + b


def squared_loss(y_hat, y):
    return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2


def sgd(params, lr, batch_size):
    for param in params:
        param[:] = param - lr * param.grad / batch_size


def train(num_epochs, lr, batch_size, features, labels, w, b):
    for param in (w, b):
        param.attach_grad()
    for epoch in range(num_epochs):
        for X, y in data_iter(batch_size, features, labels):
            with autograd.record():
                l = squared_loss(linreg(X, w, b), y)
            l.backward()
            sgd([w, b], lr, batch_size)
        train_l = squared_loss(linreg(features, w, b), labels)
        print('epoch %d, loss %f' % (epoch + 1, train_l.mean().asnumpy()))
    return w, b
