r"""
Multilayer perceptrons
======================

Softmax regression maps the inputs to the class scores with one linear layer. A
multilayer perceptron (sections 3.8 to 3.10 of the MXNet edition of the book) puts a
*hidden layer* in between:

.. math::

   \mathbf{H} = \phi(\mathbf{X}\mathbf{W}_1 + \mathbf{b}_1), \qquad
   \mathbf{O} = \mathbf{H}\mathbf{W}_2 + \mathbf{b}_2,

where :math:`\phi`, the *activation function*, is applied element by element. Without
it, the two layers would collapse into one linear layer. This tutorial looks at the usual
activation functions and their derivatives, then trains a one-hidden-layer perceptron on
the handwritten digits, from scratch and with Gluon.
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
# Why an activation function
# --------------------------
# Two linear layers in a row are one linear layer, with weight
# :math:`\mathbf{W}_1\mathbf{W}_2`: depth alone adds nothing.
#
# >>> X = nd.arange(12).reshape((4, 3)) / 10
# >>> W1, W2 = nd.arange(15).reshape((3, 5)) / 10, nd.arange(10).reshape((5, 2)) / 10
# >>> bool((nd.dot(nd.dot(X, W1), W2) - nd.dot(X, nd.dot(W1, W2))).abs().max() < 1e-5)
# True
#
# Activation functions and their derivatives
# ------------------------------------------
# As in the book, autograd computes the derivatives: the functions act element by
# element, so the gradient of :math:`\sum_i \phi(x_i)` with respect to :math:`x` is
# :math:`\phi'(x)` at every point.
#
# * **ReLU**, :math:`\max(x, 0)`: derivative 0 for negative inputs and 1 for positive
#   ones (MXNet takes 0 at :math:`x = 0`).
# * **sigmoid**, :math:`1/(1 + e^{-x})`, squashes into (0, 1); derivative
#   :math:`\sigma(x)(1 - \sigma(x))`, at most 0.25.
# * **tanh**, :math:`(1 - e^{-2x})/(1 + e^{-2x})`, squashes into (-1, 1); derivative
#   :math:`1 - \tanh^2(x)`, at most 1.

x = nd.arange(-8.0, 8.0, 0.1)
x.attach_grad()
values, grads = {}, {}
for name in ['relu', 'sigmoid', 'tanh']:
    with autograd.record():
        y = getattr(x, name)()  # x.relu(), x.sigmoid(), x.tanh()
    y.backward()
    values[name], grads[name] = y, x.grad.copy()  # the next backward overwrites x.grad

fig, axes = plt.subplots(2, 3, figsize=(10, 5), sharex=True)
for j, name in enumerate(values):
    axes[0, j].plot(x.asnumpy(), values[name].asnumpy())
    axes[0, j].set_title(name + '(x)')
    axes[1, j].plot(x.asnumpy(), grads[name].asnumpy(), color='C1')
    axes[1, j].set_title('grad of ' + name)
    axes[1, j].set_xlabel('x')
fig.tight_layout()
plt.show()

# %%
# The gradients that autograd found are the formulas above:
#
# >>> bool((grads['relu'] == (x > 0)).min())
# True
# >>> s = values['sigmoid']
# >>> bool((grads['sigmoid'] - s * (1 - s)).abs().max() < 1e-6)
# True
# >>> t = values['tanh']
# >>> bool((grads['tanh'] - (1 - t ** 2)).abs().max() < 1e-6)
# True
#
# Far from 0, the sigmoid's and tanh's derivatives almost vanish; a gradient passing
# through many such layers shrinks, which is one reason the ReLU is the common default:
#
# >>> print('%.4f %.4f %.6f' % (grads['sigmoid'].max().asscalar(),
# ...                           grads['tanh'].max().asscalar(), grads['sigmoid'][0].asscalar()))
# 0.2500 1.0000 0.000335
#
# The data
# --------
# The digits of the previous tutorial, with the same helpers: ``load_data_digits``,
# ``evaluate_accuracy``, ``sgd`` and the training loop ``train_ch3``.


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
# From scratch
# ------------
# 64 pixels in, 256 hidden units, 10 classes out: two weight matrices and two bias
# vectors, all with gradient buffers.

num_inputs, num_outputs, num_hiddens = 64, 10, 256

W1 = nd.random.normal(scale=0.01, shape=(num_inputs, num_hiddens))
b1 = nd.zeros(num_hiddens)
W2 = nd.random.normal(scale=0.01, shape=(num_hiddens, num_outputs))
b2 = nd.zeros(num_outputs)
params = [W1, b1, W2, b2]

for param in params:
    param.attach_grad()

# %%
# The ReLU is ``nd.maximum`` against 0. The network returns the raw scores: Gluon's
# ``SoftmaxCrossEntropyLoss`` applies the softmax itself, in its numerically stable form
# (see the previous tutorial).


def relu(X):
    return nd.maximum(X, 0)


def net(X):
    X = X.reshape((-1, num_inputs))
    H = relu(nd.dot(X, W1) + b1)
    return nd.dot(H, W2) + b2


loss = gloss.SoftmaxCrossEntropyLoss()

num_epochs, lr = 5, 0.5
train_ch3(net, train_iter, test_iter, loss, num_epochs, batch_size, params, lr)

# %%
# >>> print(evaluate_accuracy(test_iter, net) > 0.93)
# True
#
# With Gluon
# ----------
# Two ``Dense`` layers; the hidden one takes ``activation='relu'``.

net = nn.Sequential()
net.add(nn.Dense(256, activation='relu'),
        nn.Dense(10))
net.initialize(init.Normal(sigma=0.01))

trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.5})
train_ch3(net, train_iter, test_iter, loss, num_epochs, batch_size, None, None, trainer)

# %%
# >>> print(evaluate_accuracy(test_iter, net) > 0.93)
# True
#
# The hidden layer computes the from-scratch formula with its own parameters. A Gluon
# weight has shape (outputs, inputs), the transpose of ``W1`` above, and the layer
# flattens the (batch, 1, 8, 8) images itself:
#
# >>> hidden = net[0]
# >>> hidden.weight.shape, hidden.bias.shape
# ((256, 64), (256,))
# >>> X, y = next(iter(test_iter))
# >>> H = relu(nd.dot(X.reshape((-1, 64)), hidden.weight.data().T) + hidden.bias.data())
# >>> bool((hidden(X) - H).abs().max() < 1e-5)
# True
