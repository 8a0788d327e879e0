r"""
Dropout
=======

Weight decay fights overfitting by keeping the weights small. *Dropout* (section 3.13 of
the MXNet edition of the book) does it by injecting noise: during training, each hidden
unit is zeroed with probability :math:`p`, a fresh random choice at every forward pass,
and the units that survive are divided by :math:`1 - p`:

.. math::

   h' = \begin{cases} 0 & \text{with probability } p, \\
                      \dfrac{h}{1 - p} & \text{otherwise.} \end{cases}

The division keeps the expected value unchanged, :math:`E[h'] = h`, so the next layer
sees inputs of the same size on average. No unit can rely on any particular other unit
being there. When the model predicts, nothing is dropped.

We write dropout from scratch, check that it behaves as the formula says, then use
Gluon's ``nn.Dropout`` layer, training both on the handwritten digits.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits

import minigluon as mx
from minigluon import autograd, gluon, init, nd
from minigluon.gluon import data as gdata, loss as gloss, nn

mx.random.seed(0)
np.random.seed(0)

# %%
# From scratch
# ------------
# ``nd.random.uniform`` draws a number in [0, 1) for each element; comparing with
# ``keep_prob`` gives a mask of 1s (kept, with probability ``keep_prob``) and 0s.


def dropout(X, drop_prob):
    assert 0 <= drop_prob <= 1
    keep_prob = 1 - drop_prob
    # everything is dropped: return zeros (and avoid dividing by 0)
    if keep_prob == 0:
        return X.zeros_like()
    mask = nd.random.uniform(0, 1, X.shape) < keep_prob
    return mask * X / keep_prob


# %%
# With :math:`p = 0` nothing changes; with :math:`p = 1` everything is gone:
#
# >>> X = nd.arange(16).reshape((2, 8))
# >>> dropout(X, 0)
# <BLANKLINE>
# [[ 0.  1.  2.  3.  4.  5.  6.  7.]
#  [ 8.  9. 10. 11. 12. 13. 14. 15.]]
# <NDArray 2x8 @cpu(0)>
# >>> dropout(X, 1)
# <BLANKLINE>
# [[0. 0. 0. 0. 0. 0. 0. 0.]
#  [0. 0. 0. 0. 0. 0. 0. 0.]]
# <NDArray 2x8 @cpu(0)>
#
# With :math:`p = 0.5` each element is either dropped or doubled, so
# :math:`Y(Y - 2X)` is 0 everywhere:
#
# >>> Y = dropout(X, 0.5)
# >>> bool((Y * (Y - 2 * X)).abs().max() == 0)
# True
#
# On many elements, about half are dropped and the mean is kept:
#
# >>> Z = dropout(nd.ones(10000), 0.5)
# >>> print('%.2f %.2f' % ((Z == 0).mean().asscalar(), Z.mean().asscalar()))
# 0.50 1.00
#
# The mask is a constant for autograd, so a dropped unit also passes no gradient back,
# and a kept one passes it on scaled by :math:`1/(1 - p)`:
#
# >>> x = nd.ones(8)
# >>> x.attach_grad()
# >>> with autograd.record():
# ...     y = dropout(x, 0.5)
# >>> y.backward()
# >>> bool((x.grad == y).min())
# True
#
# One call of ``dropout`` on a matrix of ones, drawn: the dropped units are 0, the kept
# ones :math:`1/(1 - p)`; each call draws a new mask.

fig, axes = plt.subplots(1, 2, figsize=(7, 2))
for ax, p in zip(axes, (0.2, 0.5)):
    ax.imshow(dropout(nd.ones((8, 32)), p).asnumpy(), cmap="Greys", vmin=0, vmax=2)
    ax.set_title(f"p = {p}")
    ax.set_xticks([])
    ax.set_yticks([])
plt.tight_layout()
plt.show()

# %%
# The data
# --------
# The digits again, with the helpers of the softmax regression tutorial.


def load_data_digits(batch_size, num_train=1500):
    digits = load_digits()
    order = np.random.permutation(len(digits.target))  # mix the writers before splitting
    images = nd.array(digits.images[order].reshape((-1, 1, 8, 8)) / 16)  # 0..16 -> [0, 1]
    labels = nd.array(digits.target[order], dtype='int32')
    train = gdata.ArrayDataset(images[:num_train], labels[:num_train])
    test = gdata.ArrayDataset(images[num_train:], labels[num_train:])
    return (gdata.DataLoader(train, batch_size, shuffle=True),
            gdata.DataLoader(test, batch_size, shuffle=False))


def evaluate_accuracy(data_iter, net):
    acc_sum, n = 0.0, 0
    for X, y in data_iter:
        y = y.astype('float32')
        acc_sum += (net(X).argmax(axis=1) == y).sum().asscalar()
        n += y.size
    return acc_sum / n


def sgd(params, lr, batch_size):
    for param in params:
        param[:] = param - lr * param.grad / batch_size


def train_ch3(net, train_iter, test_iter, loss, num_epochs, batch_size,
              params=None, lr=None, trainer=None):
    for epoch in range(num_epochs):
        train_l_sum, train_acc_sum, n = 0.0, 0.0, 0
        for X, y in train_iter:
            with autograd.record():
                y_hat = net(X)
                l = loss(y_hat, y).sum()
            l.backward()
            if trainer is None:
                sgd(params, lr, batch_size)
            else:
                trainer.step(batch_size)
            y = y.astype('float32')
            train_l_sum += l.asscalar()
            train_acc_sum += (y_hat.argmax(axis=1) == y).sum().asscalar()
            n += y.size
        test_acc = evaluate_accuracy(test_iter, net)
        print('epoch %d, loss %.4f, train acc %.3f, test acc %.3f'
              % (epoch + 1, train_l_sum / n, train_acc_sum / n, test_acc))


batch_size = 32
train_iter, test_iter = load_data_digits(batch_size)

# %%
# A network with dropout
# ----------------------
# Two hidden layers of 256 units. Dropout follows each hidden layer's activation: with
# probability 0.2 after the first layer and 0.5 after the second (the book's choice:
# less dropout near the input). ``autograd.is_training()`` is true inside
# ``autograd.record()``, so the network drops units while it trains and only then.

num_inputs, num_outputs, num_hiddens1, num_hiddens2 = 64, 10, 256, 256

W1 = nd.random.normal(scale=0.01, shape=(num_inputs, num_hiddens1))
b1 = nd.zeros(num_hiddens1)
W2 = nd.random.normal(scale=0.01, shape=(num_hiddens1, num_hiddens2))
b2 = nd.zeros(num_hiddens2)
W3 = nd.random.normal(scale=0.01, shape=(num_hiddens2, num_outputs))
b3 = nd.zeros(num_outputs)

params = [W1, b1, W2, b2, W3, b3]
for param in params:
    param.attach_grad()

drop_prob1, drop_prob2 = 0.2, 0.5


def net(X):
    X = X.reshape((-1, num_inputs))
    H1 = (nd.dot(X, W1) + b1).relu()
    if autograd.is_training():  # dropout only while training
        H1 = dropout(H1, drop_prob1)
    H2 = (nd.dot(H1, W2) + b2).relu()
    if autograd.is_training():
        H2 = dropout(H2, drop_prob2)
    return nd.dot(H2, W3) + b3


# %%
# Outside ``record()`` the network is deterministic; inside, two forward passes on the
# same images drop different units and so give different scores:
#
# >>> X, y = next(iter(test_iter))
# >>> bool((net(X) == net(X)).min())
# True
# >>> with autograd.record():
# ...     same = bool((net(X) == net(X)).min())
# >>> same
# False

num_epochs, lr = 8, 0.5
loss = gloss.SoftmaxCrossEntropyLoss()
train_ch3(net, train_iter, test_iter, loss, num_epochs, batch_size, params, lr)

# %%
# >>> print(evaluate_accuracy(test_iter, net) > 0.85)
# True
#
# With Gluon
# ----------
# ``nn.Dropout(rate)`` is the same operation as a layer. It follows the same rule: it
# drops units in training mode, which ``autograd.record()`` turns on, and is the
# identity otherwise.
#
# >>> drop = nn.Dropout(0.5)
# >>> A = nd.ones((2, 4))
# >>> drop(A)
# <BLANKLINE>
# [[1. 1. 1. 1.]
#  [1. 1. 1. 1.]]
# <NDArray 2x4 @cpu(0)>
# >>> with autograd.record():
# ...     B = drop(A)
# >>> bool((B * (B - 2)).abs().max() == 0), bool(0 < B.sum().asscalar() < 16)
# (True, True)
#
# The mode can also be set apart from recording: ``autograd.predict_mode()`` inside
# ``record()`` turns dropout off (to evaluate while recording), and
# ``autograd.train_mode()`` turns it on without recording:
#
# >>> with autograd.record():
# ...     with autograd.predict_mode():
# ...         C = drop(A)
# >>> bool((C == A).min())
# True
# >>> with autograd.train_mode():
# ...     D = drop(A)
# >>> bool((D * (D - 2)).abs().max() == 0), bool(0 < D.sum().asscalar() < 16)
# (True, True)
#
# The network is the Gluon MLP with a ``Dropout`` layer after each hidden ``Dense``
# layer:

net = nn.Sequential()
net.add(nn.Dense(256, activation='relu'),
        nn.Dropout(drop_prob1),
        nn.Dense(256, activation='relu'),
        nn.Dropout(drop_prob2),
        nn.Dense(10))
net.initialize(init.Normal(sigma=0.01))
print(net)

trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': lr})
train_ch3(net, train_iter, test_iter, loss, num_epochs, batch_size, None, None, trainer)

# %%
# >>> print(evaluate_accuracy(test_iter, net) > 0.85)
# True
