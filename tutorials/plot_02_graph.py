r"""
2. The computational graph
==========================

A computational graph draws a computation as what it is: variables that flow into
operators that produce new variables. The book's Figure 3.6 draws the model of tutorial 1
this way, with **boxes for variables** and **circles for operators**, the parameters
shaded, the input at the bottom left and the objective :math:`J` at the top right.

Here the figure is not drawn by hand: it is read off the tape that recorded the forward
pass. ``minigluon.viz.graph`` turns any recorded computation into a graph; the names of
the boxes come from our own variables (we pass ``locals()``), not from anything built
into the library.
"""

import minigluon as mx
from minigluon import autograd, nd

mx.random.seed(0)
d, h, q, lam = 4, 5, 3, 0.1
x = nd.random.normal(shape=(d, 1), dtype="float64")
y = nd.array([2], dtype="float64")
W1 = nd.random.normal(scale=0.5, shape=(h, d), dtype="float64")
W2 = nd.random.normal(scale=0.5, shape=(q, h), dtype="float64")
W1.attach_grad()
W2.attach_grad()

with autograd.record() as tape:
    z = nd.dot(W1, x)
    hidden = nd.relu(z)
    o = nd.dot(W2, hidden)
    L = -nd.pick(nd.log_softmax(o, axis=0), y, axis=0)
    s = lam / 2 * ((W1 ** 2).sum() + (W2 ** 2).sum())
    J = L + s

# %%
# The figure
# ----------
# The loss and the penalty are each made of several small operations (a log-softmax, a
# pick, a negation; squares, sums, a scaling). ``collapse=True`` folds the unnamed
# intermediate results into the operator that consumes them, so that each named quantity
# of the section appears once, and ``ops`` gives those operators the section's symbols.

names = dict(locals(), h=hidden)  # the book calls the hidden layer h
figure = mx.viz.graph(J, names, collapse=True, ops={"h": "φ", "L": "ℓ", "s": "L2"})
figure

# %%
# The same graph as text, one line per variable, in the order the forward pass computed
# them. Each line says which operator made the variable from which inputs:
#
# >>> print(figure.text)
# forward graph: 4 inputs, 6 operators, head J
#   W1  (5, 4)  parameter
#   x   (4, 1)  data
#   z   (5, 1)  = ×(W1, x)    dot
#   h   (5, 1)  = φ(z)        relu
#   W2  (3, 5)  parameter
#   o   (3, 1)  = ×(W2, h)    dot
#   y   (1,)    data
#   L   (1,)    = ℓ(o, y)     log_softmax, pick, negative
#   s   (1,)    = L2(W1, W2)  _power_scalar, sum, broadcast_add, _mul_scalar
#   J   (1,)    = +(L, s)     broadcast_add
#
# Two things stand out. First, ``W1`` and ``W2`` each feed two operators: their own layer
# and the penalty. Second, the data ``x`` and the label ``y`` are inputs too, but plain
# ones: no gradient is wanted for them.
#
# Without ``ops``, a collapsed circle that holds a common composition is named by it: the
# loss here is a softmax cross-entropy and the penalty an L2 penalty:
#
# >>> default = mx.viz.graph(J, names, collapse=True)
# >>> print("\n".join(default.text.splitlines()[-3:]))
#   L   (1,)    = softmax CE(o, y)    log_softmax, pick, negative
#   s   (1,)    = L2 penalty(W1, W2)  _power_scalar, sum, broadcast_add, _mul_scalar
#   J   (1,)    = +(L, s)             broadcast_add
#
# The graph is also plain DOT text, which any Graphviz-compatible program draws (the
# picture above was made with the ``graphviz-pure`` package):
#
# >>> print(figure.source.splitlines()[0])
# digraph minigluon {
# >>> figure.source.count("shape=circle"), figure.source.count("shape=box")
# (6, 10)
#
# Every recorded operation
# ------------------------
# Without ``collapse`` the graph shows each operation the tape recorded, which is what
# backpropagation will actually walk through. It is wider than the page: it is drawn at
# its natural size, with text as large as in the figures above, and scrolls sideways.

mx.viz.graph(J, names)

# %%
# The backward graph
# ------------------
# Backpropagation traverses the same graph in the opposite direction: from :math:`J`
# back to the parameters, computing the gradient of :math:`J` with respect to every box
# on the way. Drawn that way, each box stands for :math:`\partial J/\partial\,\cdot`,
# and the data, which receives no gradient, is greyed out.

mx.viz.graph(J, names, collapse=True, ops={"h": "φ", "L": "ℓ", "s": "L2"},
             direction="backward")

# %%
# Note where two arrows leave a parameter in the forward graph: in the backward graph two
# arrows arrive there, and their gradients are added. Tutorial 3 computes exactly these
# sums by hand.
