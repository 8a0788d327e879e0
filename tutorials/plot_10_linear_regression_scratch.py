r"""
Linear regression from scratch
==============================

The smallest complete training loop: a linear model, a squared loss and minibatch
stochastic gradient descent, written with nothing but ``nd`` arrays and ``autograd``,
exactly as the MXNet edition of the book writes it. Only the import line differs:
``minigluon`` stands in for ``mxnet``.

We make a data set whose true parameters we know, :math:`y = Xw + b + \epsilon` with
:math:`w = [2, -3.4]^\top`, :math:`b = 4.2` and a little noise, and check that training
recovers them.
"""

import random

import matplotlib.pyplot as plt

import minigluon as mx
from minigluon import autograd, nd

mx.random.seed(1)
random.seed(1)

num_inputs, num_examples = 2, 1000
true_w, true_b = [2, -3.4], 4.2
features = nd.random.normal(scale=1, shape=(num_examples, num_inputs))
labels = true_w[0] * features[:, 0] + true_w[1] * features[:, 1] + true_b
labels += nd.random.normal(scale=0.01, shape=labels.shape)

# %%
# Each row of ``features`` is one example with two inputs; ``labels`` holds one target per
# example:
#
# >>> features.shape, labels.shape
# ((1000, 2), (1000,))
#
# As in the book, the labels against the second input show the linear relation, with
# slope -3.4, and the noise around it:

plt.figure(figsize=(3.5, 2.5))
plt.scatter(features[:, 1].asnumpy(), labels.asnumpy(), 1)
plt.xlabel("second input")
plt.ylabel("label")
plt.tight_layout()
plt.show()

# %%
# Reading the data in minibatches
# -------------------------------
# ``data_iter`` shuffles the example indices and hands out ``batch_size`` examples at a
# time. ``take`` gathers rows by index.


def data_iter(batch_size, features, labels):
    num_examples = len(features)
    indices = list(range(num_examples))
    random.shuffle(indices)
    for i in range(0, num_examples, batch_size):
        j = nd.array(indices[i: min(i + batch_size, num_examples)])
        yield features.take(j), labels.take(j)


# %%
# The model, the loss and the optimizer
# -------------------------------------
# The parameters start small and random; ``attach_grad`` gives each a gradient buffer that
# ``backward`` fills.

w = nd.random.normal(scale=0.01, shape=(num_inputs, 1))
b = nd.zeros(shape=(1,))
w.attach_grad()
b.attach_grad()


def linreg(X, w, b):
    return nd.dot(X, w) + b


def squared_loss(y_hat, y):
    return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2


def sgd(params, lr, batch_size):
    for param in params:
        param[:] = param - lr * param.grad / batch_size


# %%
# Training
# --------
# Each step records the forward computation, calls ``backward`` on the (vector) loss, which
# sums it, and moves the parameters against the gradient.

lr, num_epochs, batch_size = 0.03, 3, 10
for epoch in range(num_epochs):
    for X, y in data_iter(batch_size, features, labels):
        with autograd.record():
            l = squared_loss(linreg(X, w, b), y)
        l.backward()
        sgd([w, b], lr, batch_size)
    train_l = squared_loss(linreg(features, w, b), labels)
    print('epoch %d, loss %f' % (epoch + 1, train_l.mean().asnumpy()))

print("true w", true_w, "learned w", [round(v, 3) for v in w.reshape((-1,)).asnumpy().tolist()])
print("true b", true_b, "learned b", round(b.asscalar().item(), 3))

# %%
# The learned parameters are close to the true ones:
#
# >>> bool((w.reshape((-1,)) - nd.array(true_w)).abs().max() < 0.01)
# True
# >>> bool(abs(b.asscalar() - true_b) < 0.01)
# True
#
# The book prints the loss with ``'%f' % train_l.mean().asnumpy()``. That formats a
# one-element array; NumPy 2.4 refuses it for plain arrays, so minigluon's ``asnumpy()``
# returns a one-element array that still converts to a number:
#
# >>> '%.1f' % nd.ones(3).mean().asnumpy()
# '1.0'
