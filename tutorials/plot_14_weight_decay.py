r"""
Weight decay
============

A model with more parameters than training examples can fit its training data exactly
and still predict badly: it overfits. *Weight decay* (section 3.12 of the MXNet edition of
the book) counters this by penalizing large weights. Training minimizes the loss plus the
squared :math:`L_2` norm of the weight vector:

.. math::

   \ell(\mathbf{w}, b) + \frac{\lambda}{2} \|\mathbf{w}\|^2 .

The penalty's gradient is :math:`\lambda \mathbf{w}`, so a step of minibatch SGD with
learning rate :math:`\eta` becomes

.. math::

   \mathbf{w} \leftarrow (1 - \eta\lambda)\, \mathbf{w}
   - \frac{\eta}{|\mathcal{B}|} \sum_{i \in \mathcal{B}} \nabla_{\mathbf{w}} \ell^{(i)},

which first shrinks the weights toward zero (hence the name) and then takes the usual
step. We write it from scratch, then with the Trainer's ``wd`` option, and finally check
that the two forms of section 3.14, the penalty added to the objective and the decay
inside the optimizer, train the same parameters.
"""

import matplotlib.pyplot as plt
import numpy as np

import minigluon as mx
from minigluon import autograd, gluon, init, nd
from minigluon.gluon import data as gdata, loss as gloss, nn

mx.random.seed(0)
np.random.seed(0)

# %%
# An experiment built to overfit
# ------------------------------
# The data follows :math:`y = 0.05 + \sum_{i=1}^{200} 0.01\, x_i + \epsilon` with noise of
# standard deviation 0.01. With 200 inputs and only 20 training examples, a linear model
# has far more freedom than the data can pin down.

n_train, n_test, num_inputs = 20, 100, 200
true_w, true_b = nd.ones((num_inputs, 1)) * 0.01, 0.05

features = nd.random.normal(shape=(n_train + n_test, num_inputs))
labels = nd.dot(features, true_w) + true_b
labels += nd.random.normal(scale=0.01, shape=labels.shape)
train_features, test_features = features[:n_train, :], features[n_train:, :]
train_labels, test_labels = labels[:n_train], labels[n_train:]

# %%
# >>> train_features.shape, train_labels.shape, test_features.shape
# ((20, 200), (20, 1), (100, 200))
#
# From scratch
# ------------
# The parameters start at random, with weights of standard deviation 1, far from the
# true 0.01. The penalty is :math:`\frac{1}{2}\|\mathbf{w}\|^2`; the bias is not
# penalized.


def init_params():
    w = nd.random.normal(scale=1, shape=(num_inputs, 1))
    b = nd.zeros(shape=(1,))
    w.attach_grad()
    b.attach_grad()
    return [w, b]


def l2_penalty(w):
    return (w ** 2).sum() / 2


# %%
# The model, the loss and the optimizer are those of the linear regression tutorial.
# ``semilogy`` draws the training and test loss per epoch on a log scale, as the book's
# ``d2l.semilogy`` does.


def linreg(X, w, b):
    return nd.dot(X, w) + b


def squared_loss(y_hat, y):
    return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2


def sgd(params, lr, batch_size):
    for param in params:
        param[:] = param - lr * param.grad / batch_size


def semilogy(x_vals, y_vals, x_label, y_label, x2_vals=None, y2_vals=None,
             legend=None, title=None, figsize=(3.5, 2.5)):
    plt.figure(figsize=figsize)
    plt.xlabel(x_label)
    plt.ylabel(y_label)
    plt.semilogy(x_vals, y_vals)
    if x2_vals and y2_vals:
        plt.semilogy(x2_vals, y2_vals, linestyle=':')
        plt.legend(legend)
    if title:
        plt.title(title)
    plt.tight_layout()
    plt.show()


batch_size, num_epochs, lr = 1, 50, 0.003  # the book trains 100 epochs; 50 show the same
net, loss = linreg, squared_loss
train_iter = gdata.DataLoader(gdata.ArrayDataset(train_features, train_labels),
                              batch_size, shuffle=True)

# %%
# ``fit_and_plot`` trains with penalty coefficient ``lambd`` (``lambda`` is a Python
# keyword), plots the two losses, and returns them so that we can check them below.


def fit_and_plot(lambd):
    w, b = init_params()
    train_ls, test_ls = [], []
    for _ in range(num_epochs):
        for X, y in train_iter:
            with autograd.record():
                # the penalty is added to the loss
                l = loss(net(X, w, b), y) + lambd * l2_penalty(w)
            l.backward()
            sgd([w, b], lr, batch_size)
        train_ls.append(loss(net(train_features, w, b), train_labels).mean().asscalar())
        test_ls.append(loss(net(test_features, w, b), test_labels).mean().asscalar())
    semilogy(range(1, num_epochs + 1), train_ls, 'epochs', 'loss',
             range(1, num_epochs + 1), test_ls, ['train', 'test'], title=f'lambd = {lambd}')
    print('L2 norm of w:', w.norm().asscalar())
    return train_ls, test_ls


# %%
# **Without the penalty** (:math:`\lambda = 0`) the training loss falls to almost
# nothing while the test loss stays large: the model memorized the 20 examples.

train_ls, test_ls = fit_and_plot(lambd=0)

# %%
# >>> print(train_ls[-1] < 1e-6, test_ls[-1] > 1)
# True True
#
# **With the penalty** (:math:`\lambda = 3`) the training loss stays higher, but the
# test loss falls from tens to about 0.01, and the weights end up hundreds of times
# smaller (compare the printed norms):

train_ls, test_ls = fit_and_plot(lambd=3)

# %%
# >>> print(train_ls[-1] > 1e-5, test_ls[-1] < 0.05)
# True True
#
# With Gluon
# ----------
# The Trainer's ``wd`` option adds :math:`\lambda \mathbf{w}` to each parameter's
# gradient inside the update. Passing ``wd`` to one Trainer over
# ``net.collect_params()`` would decay the bias as well, so, like the book, we use two
# Trainers: one over the parameters whose names match ``'.*weight'``, with decay, and one
# over ``'.*bias'``, without. Each step calls both.


def fit_and_plot_gluon(wd):
    net = nn.Sequential()
    net.add(nn.Dense(1))
    net.initialize(init.Normal(sigma=1))
    trainer_w = gluon.Trainer(net.collect_params('.*weight'), 'sgd',
                              {'learning_rate': lr, 'wd': wd})
    trainer_b = gluon.Trainer(net.collect_params('.*bias'), 'sgd',
                              {'learning_rate': lr})
    train_ls, test_ls = [], []
    for _ in range(num_epochs):
        for X, y in train_iter:
            with autograd.record():
                l = loss(net(X), y)
            l.backward()
            trainer_w.step(batch_size)
            trainer_b.step(batch_size)
        train_ls.append(loss(net(train_features), train_labels).mean().asscalar())
        test_ls.append(loss(net(test_features), test_labels).mean().asscalar())
    semilogy(range(1, num_epochs + 1), train_ls, 'epochs', 'loss',
             range(1, num_epochs + 1), test_ls, ['train', 'test'], title=f'wd = {wd}')
    print('L2 norm of w:', net[0].weight.data().norm().asscalar())
    return train_ls, test_ls


train_ls, test_ls = fit_and_plot_gluon(0)

# %%
# >>> print(train_ls[-1] < 1e-6, test_ls[-1] > 1)
# True True

train_ls, test_ls = fit_and_plot_gluon(3)

# %%
# >>> print(train_ls[-1] > 1e-5, test_ls[-1] < 0.05)
# True True
#
# The same penalty, written as an objective
# -----------------------------------------
# Section 3.14 writes the regularized objective as :math:`J = L + s` with
# :math:`s = \frac{\lambda}{2}\sum \|\mathbf{W}\|^2` over the weight matrices.
# ``gluon.loss.L2Regularizer`` computes that :math:`s` for the parameters it is given. It
# is a minigluon addition (MXNet has no such class): code that uses it does not run on
# MXNet, while ``wd`` does. Its value is the from-scratch ``lambd * l2_penalty(w)``:
#
# >>> net = nn.Sequential()
# >>> net.add(nn.Dense(1, in_units=num_inputs))
# >>> net.initialize(init.Normal(sigma=1))
# >>> s = gloss.L2Regularizer(3, net.collect_params('.*weight'))
# >>> bool(abs(s().asscalar() - 3 * l2_penalty(net[0].weight.data()).asscalar()) < 1e-3)
# True
#
# Is training on :math:`J` the same as training with ``wd``? ``fit_l2`` trains a fresh
# copy of one model (same initial parameters, same minibatches of 5) with Trainer decay
# ``wd`` and the penalty ``s`` of coefficient ``lambd`` added to each example's loss; or,
# with ``summed=True``, added once to the batch's summed loss.


def fit_l2(wd, lambd, summed=False, batch_size=5, num_epochs=10):
    mx.random.seed(1)  # the same initial parameters in every call
    np.random.seed(1)  # the same minibatches in every call
    net = nn.Sequential()
    net.add(nn.Dense(1, in_units=num_inputs))
    net.initialize(init.Normal(sigma=1))
    trainer_w = gluon.Trainer(net.collect_params('.*weight'), 'sgd',
                              {'learning_rate': lr, 'wd': wd})
    trainer_b = gluon.Trainer(net.collect_params('.*bias'), 'sgd', {'learning_rate': lr})
    s = gloss.L2Regularizer(lambd, net.collect_params('.*weight'))
    data_iter = gdata.DataLoader(gdata.ArrayDataset(train_features, train_labels),
                                 batch_size, shuffle=True)
    l2_loss = gloss.L2Loss()
    for _ in range(num_epochs):
        for X, y in data_iter:
            with autograd.record():
                l = l2_loss(net(X), y)  # one loss per example, shape (batch_size,)
                J = (l.sum() if summed else l) + s()
            J.backward()
            trainer_w.step(batch_size)
            trainer_b.step(batch_size)
    return net[0].weight.data()


# %%
# ``s()`` has shape (1,), so ``l + s()`` adds the penalty to every example's loss.
# ``backward`` sums over the batch, which gives
# :math:`\sum_i \nabla \ell^{(i)} + |\mathcal{B}|\lambda\mathbf{W}`, and
# ``step(batch_size)`` divides by :math:`|\mathcal{B}|`: the mean gradient plus
# :math:`\lambda\mathbf{W}`, which is exactly the update with ``wd`` = :math:`\lambda`.
# The two runs end with the same weights, up to float32 rounding:
#
# >>> w_wd = fit_l2(wd=3, lambd=0)
# >>> w_penalty = fit_l2(wd=0, lambd=3)
# >>> bool((w_wd - w_penalty).abs().max() < 1e-5)
# True
#
# Adding the penalty once to the *summed* loss is a different objective: ``step`` divides
# the penalty's gradient by the batch size too, so it acts like ``wd`` =
# :math:`\lambda / |\mathcal{B}|`:
#
# >>> w_summed = fit_l2(wd=0, lambd=3, summed=True)
# >>> bool((w_wd - w_summed).abs().max() < 1e-5)
# False
# >>> bool((fit_l2(wd=3 / 5, lambd=0) - w_summed).abs().max() < 1e-5)
# True
