r"""
3. Backpropagation
==================

Backpropagation computes the gradient of the objective :math:`J` with respect to every
parameter by applying the chain rule backwards through the graph of tutorial 2: it starts
at :math:`J`, visits the variables in the reverse of the order in which the forward pass
computed them, and at each step multiplies the gradient it has so far by the derivative
of one operation. Every step reuses values the forward pass stored.

This tutorial does it twice: once by hand, formula by formula as the book's section
3.14 derives it, and once by ``J.backward()``. Then it asks the library to show, step by
step, what ``backward`` did.
"""

import numpy as np

import minigluon as mx
from minigluon import autograd, nd
from minigluon.explain import check_derivation, explain

mx.random.seed(0)
d, h, q, lam = 4, 5, 3, 0.1
x = nd.random.normal(shape=(d, 1), dtype="float64")
y = nd.array([2], dtype="float64")
W1 = nd.random.normal(scale=0.5, shape=(h, d), dtype="float64")
W2 = nd.random.normal(scale=0.5, shape=(q, h), dtype="float64")
W1.attach_grad()
W2.attach_grad()

with autograd.record():
    z = nd.dot(W1, x)
    hidden = nd.relu(z)
    o = nd.dot(W2, hidden)
    L = -nd.pick(nd.log_softmax(o, axis=0), y, axis=0)
    s = lam / 2 * ((W1 ** 2).sum() + (W2 ** 2).sum())
    J = L + s

# %%
# By hand
# -------
# :math:`J = L + s`, so :math:`\partial J/\partial L = \partial J/\partial s = 1`.
#
# **The output.** For the softmax cross-entropy
# :math:`L = -\log \mathrm{softmax}(\mathbf{o})_y`, the derivative with respect to the
# scores is the predicted probabilities minus the one-hot label:
#
# .. math:: \frac{\partial J}{\partial \mathbf{o}} = \mathrm{softmax}(\mathbf{o}) - \mathbf{e}_y.
#
# **The output layer's weights** get two contributions: one through
# :math:`\mathbf{o} = \mathbf{W}^{(2)}\mathbf{h}` and one through the penalty,
# :math:`\partial s/\partial \mathbf{W}^{(2)} = \lambda \mathbf{W}^{(2)}`:
#
# .. math:: \frac{\partial J}{\partial \mathbf{W}^{(2)}}
#    = \frac{\partial J}{\partial \mathbf{o}} \mathbf{h}^\top + \lambda \mathbf{W}^{(2)}.
#
# **The hidden layer**, through the same product, and then through the activation, which
# acts element by element, so its derivative multiplies element by element (:math:`\odot`);
# the ReLU's derivative is 1 where :math:`z > 0` and 0 elsewhere:
#
# .. math:: \frac{\partial J}{\partial \mathbf{h}} = {\mathbf{W}^{(2)}}^\top
#    \frac{\partial J}{\partial \mathbf{o}}, \qquad
#    \frac{\partial J}{\partial \mathbf{z}} = \frac{\partial J}{\partial \mathbf{h}}
#    \odot \phi'(\mathbf{z}).
#
# **The first layer's weights**, again with the penalty's share:
#
# .. math:: \frac{\partial J}{\partial \mathbf{W}^{(1)}}
#    = \frac{\partial J}{\partial \mathbf{z}} \mathbf{x}^\top + \lambda \mathbf{W}^{(1)}.
#
# Each formula is one line of code. Note that every one of them needs a value that the
# forward pass computed: :math:`\mathbf{o}`, :math:`\mathbf{h}`, :math:`\mathbf{z}`.

dJ_do = nd.softmax(o, axis=0) - nd.one_hot(y, q, dtype="float64").reshape((q, 1))
dJ_dW2 = nd.dot(dJ_do, hidden.T) + lam * W2
dJ_dh = nd.dot(W2.T, dJ_do)
dJ_dz = dJ_dh * (z > 0)
dJ_dW1 = nd.dot(dJ_dz, x.T) + lam * W1

# %%
# By ``backward``
# ---------------
# One call does all of it and writes the parameters' gradients into ``W1.grad`` and
# ``W2.grad``:

J.backward()

# %%
# The two agree to the last few bits of float64:
#
# >>> float(nd.abs(W2.grad - dJ_dW2).max()) < 1e-15
# True
# >>> float(nd.abs(W1.grad - dJ_dW1).max()) < 1e-15
# True
#
# A table for your own derivation
# -------------------------------
# ``check_derivation`` runs a forward function on the tape and compares each of your
# formulas with what the tape computes for the same variable, in the order you give them
# (each formula can use the gradients derived before it, ``d``, and the forward values,
# ``v``, as NumPy arrays):


def forward(x, y, W1, W2, lam):
    z = nd.dot(W1, x)
    h = nd.relu(z)
    o = nd.dot(W2, h)
    L = -nd.pick(nd.log_softmax(o, axis=0), y, axis=0)
    s = lam / 2 * ((W1 ** 2).sum() + (W2 ** 2).sum())
    J = L + s
    return locals()


def softmax(o):
    e = np.exp(o - o.max())
    return e / e.sum()


hand = {
    "o": lambda v, d: softmax(v.o) - np.eye(len(v.o))[:, [int(v.y[0])]],
    "W2": lambda v, d: d.o @ v.h.T + v.lam * v.W2,
    "h": lambda v, d: v.W2.T @ d.o,
    "z": lambda v, d: d.h * (v.z > 0),
    "W1": lambda v, d: d.z @ v.x.T + v.lam * v.W1,
}
report = check_derivation(forward, dict(x=x, y=y, W1=W1, W2=W2, lam=lam), hand)
print(report)

# %%
# >>> report.ok
# True
#
# Leave out the penalty's share of one gradient and the table says which one is wrong:
#
# >>> hand["W1"] = lambda v, d: d.z @ v.x.T
# >>> [row.ok for row in check_derivation(forward, dict(x=x, y=y, W1=W1, W2=W2, lam=lam),
# ...                                     hand).rows]
# [True, True, True, True, False]
#
# What ``backward`` did, step by step
# -----------------------------------
# ``explain`` runs the same backward pass and records each step: which node, the rule its
# operator applies (each operator declares its own, next to its code), the shape of the
# gradient that arrived and where it was sent. The steps come in the reverse of the order
# of the forward pass. Unnamed steps (``#6``...) are the penalty's and the loss's pieces.

with autograd.record():
    z = nd.dot(W1, x)
    hidden = nd.relu(z)
    o = nd.dot(W2, hidden)
    L = -nd.pick(nd.log_softmax(o, axis=0), y, axis=0)
    s = lam / 2 * ((W1 ** 2).sum() + (W2 ** 2).sum())
    J = L + s

# %%
# The order of those steps is the graph drawn backwards: each arrow carries a gradient
# from a result to the inputs it was computed from.

mx.viz.graph(J, dict(locals(), h=hidden), collapse=True, direction="backward",
             ops={"h": "φ", "L": "ℓ", "s": "L2"})

# %%
# Now ``explain`` runs the backward pass:

steps = explain(J, dict(locals(), h=hidden))
print(steps.table())

# %%
# Each parameter appears at the end, with the two contributions it received added up:
#
# >>> steps.summed
# {'W2': ('#8', 'o'), 'W1': ('#6', 'z')}
# >>> print(steps["o"])
# 11. o = dot(W2, h)
#     gets ∂J/∂o (3, 1) from #3
#     rule: y = A . B (last axis of A with first axis of B).   VJP: dA = g B^T, dB = A^T g
#     sends (3, 5) to W2 [lhs], (5, 1) to h [rhs]
# >>> print(steps["h"])
# 12. h = relu(z)
#     gets ∂J/∂h (5, 1) from o
#     rule: y = max(x, 0).   VJP: dx = g * [y > 0] (0 at x = 0)
#     sends (5, 1) to z [data]
#
# The rule for ``dot`` is the section's "``prod``" written for matrices: the gradient with
# respect to one factor is the incoming gradient times the transpose of the other factor.
# ``explain`` left the same gradients as ``backward``:
#
# >>> float(nd.abs(W2.grad - dJ_dW2).max()) < 1e-15
# True
