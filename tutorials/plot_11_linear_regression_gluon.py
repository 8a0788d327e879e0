r"""
Linear regression with Gluon
============================

The previous tutorial wrote every piece of linear regression by hand. Gluon ships each of
those pieces ready-made: a data loader, layers, initializers, losses and optimizers. This
tutorial (section 3.3 of the MXNet edition of the book) trains the same model on the same
kind of data with them, and checks that each piece does what the hand-written one did.

The data again follows :math:`y = Xw + b + \epsilon` with :math:`w = [2, -3.4]^\top`,
:math:`b = 4.2` and noise of standard deviation 0.01.
"""

import numpy as np

import minigluon as mx
from minigluon import autograd, gluon, init, nd
from minigluon.gluon import data as gdata, loss as gloss, nn

mx.random.seed(1)
np.random.seed(1)  # the DataLoader shuffles with NumPy's global generator

num_inputs, num_examples = 2, 1000
true_w, true_b = [2, -3.4], 4.2
features = nd.random.normal(scale=1, shape=(num_examples, num_inputs))
labels = true_w[0] * features[:, 0] + true_w[1] * features[:, 1] + true_b
labels += nd.random.normal(scale=0.01, shape=labels.shape)

# %%
# Reading the data
# ----------------
# ``ArrayDataset`` pairs the features with the labels, example by example, and
# ``DataLoader`` cuts the data set into minibatches, in a new random order each epoch
# when ``shuffle=True``. This replaces the ``data_iter`` generator of the previous
# tutorial.

batch_size = 10
dataset = gdata.ArrayDataset(features, labels)
data_iter = gdata.DataLoader(dataset, batch_size, shuffle=True)

for X, y in data_iter:
    print(X, y)
    break

# %%
# One item of the data set is one example; the loader yields a list ``[X, y]`` holding a
# batch of each, 100 batches per pass over the 1000 examples:
#
# >>> x0, y0 = dataset[0]
# >>> x0.shape, bool(abs(y0 - labels[0].asscalar()) < 1e-6)
# ((2,), True)
# >>> len(data_iter), X.shape, y.shape
# (100, (10, 2), (10,))
#
# The model
# ---------
# ``nn.Sequential`` chains layers: its output is the last layer's output. A linear model
# is a single fully connected layer, ``nn.Dense``, with one output. We do not give it the
# number of inputs: Gluon infers it the first time data flows through the layer.

net = nn.Sequential()
net.add(nn.Dense(1))
print(net)

# %%
# Initializing the parameters
# ---------------------------
# ``init.Normal(sigma=0.01)`` draws every weight from :math:`N(0, 0.01^2)`; a ``Dense``
# layer's bias starts at zero whatever the initializer. Since the number of inputs is
# still unknown, the weight's shape has a 0 in it and its values are drawn later, at the
# first forward pass (*deferred initialization*):

net.initialize(init.Normal(sigma=0.01))
print(net[0].weight.shape)

# %%
# The weight has shape (outputs, inputs), so the layer computes
# :math:`XW^\top + b`:
#
# >>> net(features[:3]).shape
# (3, 1)
# >>> net[0].weight.shape, net[0].bias.shape
# ((1, 2), (1,))
# >>> net[0].bias.data()
# <BLANKLINE>
# [0.]
# <NDArray 1 @cpu(0)>
#
# The loss
# --------
# ``gloss.L2Loss`` is the squared loss :math:`\frac{1}{2}(\hat y - y)^2`, one value per
# example. It reshapes the labels to the prediction's shape itself, so labels of shape
# (n,) meet predictions of shape (n, 1) without the broadcasting trap:

loss = gloss.L2Loss()

# %%
# >>> loss(nd.array([[1.], [2.]]), nd.array([0., 0.]))
# <BLANKLINE>
# [0.5 2. ]
# <NDArray 2 @cpu(0)>
#
# The optimizer
# -------------
# A ``Trainer`` applies an optimizer to a set of parameters; here minibatch stochastic
# gradient descent (``'sgd'``) on every parameter of the network, with learning rate
# 0.03.

trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.03})

# %%
# Training
# --------
# The loop has the shape of the previous tutorial's. ``trainer.step(batch_size)`` takes
# the place of ``sgd``: ``backward`` on the batch's vector of losses adds up the
# examples' gradients, and the step divides that sum by ``batch_size`` before moving the
# parameters.

num_epochs = 3
for epoch in range(1, num_epochs + 1):
    for X, y in data_iter:
        with autograd.record():
            l = loss(net(X), y)
        l.backward()
        trainer.step(batch_size)
    l = loss(net(features), labels)
    print('epoch %d, loss: %f' % (epoch, l.mean().asnumpy()))

dense = net[0]
print(true_w, dense.weight.data())
print(true_b, dense.bias.data())

# %%
# The learned parameters are close to the true ones:
#
# >>> bool((dense.weight.data().reshape((-1,)) - nd.array(true_w)).abs().max() < 0.01)
# True
# >>> bool(abs(dense.bias.data().asscalar() - true_b) < 0.01)
# True
#
# Drawn from the tape of one more forward pass, the Gluon model is the same small graph as
# the scratch version's: ``net(X)`` is one ``FullyConnected`` operation on ``X`` and the
# layer's two parameters, and ``L2Loss`` a few elementwise ones.

X, y = next(iter(data_iter))
with autograd.record():
    l = loss(net(X), y)
mx.viz.graph(l, {"X": X, "w": dense.weight.data(), "b": dense.bias.data(), "l": l})

# %%
# What one step does
# ------------------
# One more step, taken by hand beside the Trainer: the new weight is the old one minus
# the learning rate times the gradient divided by the batch size, exactly the update of
# the previous tutorial's ``sgd``.
#
# >>> X, y = next(iter(data_iter))
# >>> with autograd.record():
# ...     l = loss(net(X), y)
# >>> l.backward()
# >>> expected = dense.weight.data() - 0.03 * dense.weight.grad() / batch_size
# >>> trainer.step(batch_size)
# >>> bool((dense.weight.data() - expected).abs().max() < 1e-7)
# True
#
# The step leaves the gradient in place (a later ``backward`` overwrites it). Stepping
# again without a new ``backward`` would apply the same gradient twice, so the Trainer
# refuses:
#
# >>> trainer.step(batch_size)
# Traceback (most recent call last):
# ...
# minigluon.gluon.trainer.StaleGradientError: Gradient of Parameter ... since last `step`...
