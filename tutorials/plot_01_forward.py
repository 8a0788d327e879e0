r"""
1. Forward propagation
======================

Forward propagation is the part of training you already know: feed an input through the
model, layer after layer, and compute the objective. This tutorial does it for the model
of the book's section 3.14, one step at a time, so that each intermediate quantity has a
name and a shape. The next tutorials reuse exactly these quantities: the graph (tutorial
2) shows how they depend on each other, and backpropagation (tutorial 3) walks through
them in reverse.

The model
---------
One example :math:`\mathbf{x} \in \mathbb{R}^d`, a hidden layer of :math:`h` units without
bias, an activation :math:`\phi` applied element by element, and :math:`q` outputs:

.. math::

   \mathbf{z} = \mathbf{W}^{(1)} \mathbf{x}, \qquad
   \mathbf{h} = \phi(\mathbf{z}), \qquad
   \mathbf{o} = \mathbf{W}^{(2)} \mathbf{h},

with :math:`\mathbf{W}^{(1)} \in \mathbb{R}^{h \times d}` and
:math:`\mathbf{W}^{(2)} \in \mathbb{R}^{q \times h}`. A loss :math:`\ell` compares the
output with the label :math:`y`, and an :math:`L_2` penalty with strength :math:`\lambda`
is added to it:

.. math::

   L = \ell(\mathbf{o}, y), \qquad
   s = \frac{\lambda}{2}\left(\|\mathbf{W}^{(1)}\|_F^2 + \|\mathbf{W}^{(2)}\|_F^2\right),
   \qquad J = L + s.

:math:`J` is the objective we will differentiate. Here :math:`\phi` is the ReLU,
:math:`\ell` is the softmax cross-entropy of a class label, and
:math:`\|\cdot\|_F` is the Frobenius norm: the square root of the sum of all squared
entries of a matrix.
"""

import minigluon as mx
from minigluon import autograd, nd

mx.random.seed(0)
d, h, q = 4, 5, 3
lam = 0.1

# float64 throughout, so that later comparisons can be exact to many digits (MXNet's
# default, and minigluon's, is float32)
x = nd.random.normal(shape=(d, 1), dtype="float64")
y = nd.array([2], dtype="float64")  # the class of this example
W1 = nd.random.normal(scale=0.5, shape=(h, d), dtype="float64")
W2 = nd.random.normal(scale=0.5, shape=(q, h), dtype="float64")

# %%
# ``x`` is a column vector, so the matrix products read exactly like the formulas:
#
# >>> x.shape, W1.shape, W2.shape
# ((4, 1), (5, 4), (3, 5))
#
# Recording the forward pass
# --------------------------
# Gradients are wanted for the parameters only, so only they get a gradient buffer. The
# forward pass runs inside ``autograd.record()``: every operation is written on a *tape*,
# together with whatever its backward step will need. ``as tape`` lets us look at it.

W1.attach_grad()
W2.attach_grad()

with autograd.record() as tape:
    z = nd.dot(W1, x)
    hidden = nd.relu(z)
    o = nd.dot(W2, hidden)
    L = -nd.pick(nd.log_softmax(o, axis=0), y, axis=0)
    s = lam / 2 * ((W1 ** 2).sum() + (W2 ** 2).sum())
    J = L + s

for name, value in [("z", z), ("h", hidden), ("o", o), ("L", L), ("s", s), ("J", J)]:
    print(f"{name}: shape {value.shape}")
print("J =", J.asscalar())

# %%
# Each intermediate is an ordinary array. The hidden layer keeps the positive entries of
# ``z`` and zeroes the others:
#
# >>> bool((hidden == nd.maximum(z, 0)).min())
# True
#
# The output has one score per class; the loss is the negative log-probability that the
# softmax of those scores gives to class ``y`` = 2:
#
# >>> o.shape
# (3, 1)
# >>> p = nd.softmax(o, axis=0)
# >>> bool(abs(L - (-nd.log(p[2]))).asscalar() < 1e-12)
# True
#
# The penalty is half of :math:`\lambda` times the squared Frobenius norms:
#
# >>> bool(abs(s - lam / 2 * (W1.norm() ** 2 + W2.norm() ** 2)).asscalar() < 1e-12)
# True
#
# What the tape holds
# -------------------
# The tape lists the operations in the order they ran, each with the operator that
# performed it, and the bytes of the arrays it keeps for the backward pass:
#
# >>> [node.opname for node in tape]  # doctest: +NORMALIZE_WHITESPACE
# ['dot', 'relu', 'dot', 'log_softmax', 'pick', 'negative', '_power_scalar', 'sum',
#  '_power_scalar', 'sum', 'broadcast_add', '_mul_scalar', 'broadcast_add']
# >>> tape.saved_bytes > 0
# True
#
# Those saved arrays are the price of backpropagation: they stay in memory until
# ``backward`` has used them. Tutorial 5 measures that price.

print(tape)

# %%
# The same thirteen operations drawn as a graph, with every intermediate result: tutorial 2
# explains the drawing and folds it into the section's Figure 3.6.

mx.viz.graph(J, dict(locals(), h=hidden))
