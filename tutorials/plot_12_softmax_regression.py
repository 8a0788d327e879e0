r"""
Softmax regression
==================

Linear regression predicts a number; classification predicts a class. Softmax regression
(sections 3.6 and 3.7 of the MXNet edition of the book) gives each of the :math:`q`
classes a score with a linear layer, :math:`\mathbf{o} = \mathbf{x}\mathbf{W} + \mathbf{b}`,
and turns the scores into probabilities with the softmax:

.. math::

   \hat y_j = \frac{\exp(o_j)}{\sum_k \exp(o_k)}.

It is trained by minimizing the cross-entropy :math:`-\log \hat y_y`, the negative log of
the probability given to the true class :math:`y`.

The book trains on Fashion-MNIST, which must be downloaded. Here the data is scikit-learn's
bundled handwritten digits: 1797 grayscale images of 8×8 pixels, 10 classes, shipped with
the package, so nothing is fetched. We write the model once from scratch and once with
Gluon.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits

import minigluon as mx
from minigluon import autograd, gluon, init, nd
from minigluon.gluon import data as gdata, loss as gloss, nn

mx.random.seed(0)
np.random.seed(0)  # the split below and the DataLoader's shuffling use NumPy's generator

# %%
# The data
# --------
# ``load_data_digits`` plays the part of the book's ``d2l.load_data_fashion_mnist``: it
# returns two ``DataLoader``\ s, one over the training set (shuffled) and one over the
# test set. The images come as ``(batch, 1, 8, 8)`` float32 arrays with values in
# [0, 1], and the labels as int32, just as the book's Fashion-MNIST batches do.


def load_data_digits(batch_size, num_train=1500):
    digits = load_digits()
    order = np.random.permutation(len(digits.target))  # mix the writers before splitting
    images = nd.array(digits.images[order].reshape((-1, 1, 8, 8)) / 16)  # 0..16 -> [0, 1]
    labels = nd.array(digits.target[order], dtype='int32')
    train = gdata.ArrayDataset(images[:num_train], labels[:num_train])
    test = gdata.ArrayDataset(images[num_train:], labels[num_train:])
    return (gdata.DataLoader(train, batch_size, shuffle=True),
            gdata.DataLoader(test, batch_size, shuffle=False))


def show_digits(images, titles):
    _, axes = plt.subplots(1, len(images), figsize=(10, 1.6))
    for ax, img, title in zip(axes, images, titles):
        ax.imshow(img.reshape((8, 8)).asnumpy(), cmap='gray_r')
        ax.set_title(title)
        ax.axis('off')
    plt.show()


# The book's batch size is 256 for 60000 images; with 1500 we take smaller batches, so
# that an epoch still has enough steps (47 here).
batch_size = 32
train_iter, test_iter = load_data_digits(batch_size)

X, y = next(iter(train_iter))
show_digits(X[:10], [str(int(label)) for label in y[:10].asnumpy()])

# %%
# >>> X.shape, X.dtype, y.shape, y.dtype
# ((32, 1, 8, 8), <class 'numpy.float32'>, (32,), <class 'numpy.int32'>)
# >>> len(train_iter), len(test_iter)
# (47, 10)
#
# From scratch
# ------------
# Each image is flattened into a vector of 64 pixels, and there are 10 classes, so the
# weight is a 64×10 matrix and the bias a vector of 10. Both get gradient buffers.

num_inputs, num_outputs = 64, 10

W = nd.random.normal(scale=0.01, shape=(num_inputs, num_outputs))
b = nd.zeros(num_outputs)
W.attach_grad()
b.attach_grad()

# %%
# **The softmax.** Exponentiate every score, then divide each row by its sum, so that
# every row is positive and sums to 1.


def softmax(X):
    X_exp = X.exp()
    partition = X_exp.sum(axis=1, keepdims=True)
    return X_exp / partition


X = nd.random.normal(shape=(2, 5))
X_prob = softmax(X)
print(X_prob, X_prob.sum(axis=1))

# %%
# >>> bool(X_prob.min() > 0), bool((X_prob.sum(axis=1) - 1).abs().max() < 1e-6)
# (True, True)
#
# **The model** flattens the images with ``reshape`` and applies the linear layer and the
# softmax:


def net(X):
    return softmax(nd.dot(X.reshape((-1, num_inputs)), W) + b)


# %%
# **The loss.** ``nd.pick`` takes, from each row of ``y_hat``, the entry at the column
# that ``y`` names: the probability given to the true class. Two examples with three
# classes:
#
# >>> y_hat = nd.array([[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]])
# >>> y = nd.array([0, 2], dtype='int32')
# >>> nd.pick(y_hat, y)
# <BLANKLINE>
# [0.1 0.5]
# <NDArray 2 @cpu(0)>
#
# The cross-entropy is the negative log of that:


def cross_entropy(y_hat, y):
    return -nd.pick(y_hat, y).log()


# %%
# >>> bool((cross_entropy(y_hat, y) - nd.array([-np.log(0.1), -np.log(0.5)])).abs().max()
# ...      < 1e-6)
# True
#
# **Accuracy** is the fraction of examples whose highest-scoring class is the true one.
# ``argmax`` returns float32 indices, so the int32 labels are cast before comparing:


def accuracy(y_hat, y):
    return (y_hat.argmax(axis=1) == y.astype('float32')).mean().asscalar()


def evaluate_accuracy(data_iter, net):
    acc_sum, n = 0.0, 0
    for X, y in data_iter:
        y = y.astype('float32')
        acc_sum += (net(X).argmax(axis=1) == y).sum().asscalar()
        n += y.size
    return acc_sum / n


# %%
# In the example above the first row bets on class 2 (wrong), the second on class 2
# (right):
#
# >>> print(accuracy(y_hat, y))
# 0.5
#
# Before training, the model guesses, so it gets about one digit in ten right:
#
# >>> print(0.02 < evaluate_accuracy(test_iter, net) < 0.3)
# True
#
# **Training.** ``train_ch3`` is the book's training loop for this chapter: for each
# minibatch, record the forward pass, sum the losses, backpropagate, and update the
# parameters, either with the hand-written ``sgd`` or, when given one, with a Gluon
# ``Trainer``. It reports the average training loss, the training accuracy and the test
# accuracy after each epoch.


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


num_epochs, lr = 5, 0.1
train_ch3(net, train_iter, test_iter, cross_entropy, num_epochs, batch_size, [W, b], lr)

# %%
# A linear model already reads most digits correctly:
#
# >>> print(evaluate_accuracy(test_iter, net) > 0.9)
# True
#
# The naive softmax has a weakness: ``exp`` overflows for large scores, and the division
# then gives ``nan``. Subtracting the row's maximum first fixes the softmax, but a class
# scored far below the maximum still gets a probability that rounds to 0 in float32, and
# the cross-entropy's log turns that into :math:`\infty`.
#
# >>> softmax(nd.array([[100., 0.]]))
# <BLANKLINE>
# [[nan  0.]]
# <NDArray 1x2 @cpu(0)>
#
# With Gluon
# ----------
# Gluon's ``SoftmaxCrossEntropyLoss`` therefore takes the raw scores and computes softmax
# and cross-entropy in one step, as :math:`\log\sum_k \exp(o_k - \max o) + \max o - o_y`,
# which stays finite:
#
# >>> gloss.SoftmaxCrossEntropyLoss()(nd.array([[100., 0.]]), nd.array([1]))
# <BLANKLINE>
# [100.]
# <NDArray 1 @cpu(0)>
#
# So the Gluon model ends with the linear layer, without a softmax. ``nn.Dense`` flattens
# its input by default, so the images need no ``reshape``.

net = nn.Sequential()
net.add(nn.Dense(10))
net.initialize(init.Normal(sigma=0.01))

loss = gloss.SoftmaxCrossEntropyLoss()
trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1})

train_ch3(net, train_iter, test_iter, loss, num_epochs, batch_size, None, None, trainer)

# %%
# The Gluon loss gives what the hand-written pair gives, on a real batch:
#
# >>> X, y = next(iter(test_iter))
# >>> o = net(X)
# >>> bool((loss(o, y) - cross_entropy(softmax(o), y)).abs().max() < 1e-5)
# True
# >>> print(evaluate_accuracy(test_iter, net) > 0.9)
# True
#
# Predictions
# -----------
# The first test images, with the true label above the prediction:

X, y = next(iter(test_iter))
true_labels = [str(int(label)) for label in y.asnumpy()]
pred_labels = [str(int(label)) for label in net(X).argmax(axis=1).asnumpy()]
show_digits(X[:10], [t + '\n' + p for t, p in zip(true_labels, pred_labels)])
