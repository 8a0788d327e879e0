r"""
16. Back-propagation through time
=================================

Section 6.6 of the book ("back-propagation through time") takes the simplest recurrent
network, with no bias and the identity as activation, over :math:`T = 3` time steps:

.. math::

    \boldsymbol{h}_t = \boldsymbol{W}_{hx} \boldsymbol{x}_t + \boldsymbol{W}_{hh}
    \boldsymbol{h}_{t-1}, \qquad \boldsymbol{o}_t = \boldsymbol{W}_{qh} \boldsymbol{h}_t,
    \qquad L = \frac{1}{T} \sum_{t=1}^T \ell(\boldsymbol{o}_t, y_t),

and draws its computational graph (Figure 6.3): the network *unrolled* over the time steps,
one copy of the hidden layer per step, all copies sharing the same parameters. Here that
figure is read off the tape, and the gradients of the section are checked against the ones
``backward`` computes. At the end we see what ``gluon.rnn`` does instead (one operator for
the whole sequence) and what happens at the border between two batches.
"""

import numpy as np

import minigluon as mx
from minigluon import autograd, nd

mx.random.seed(0)
T, d, h, q = 3, 4, 3, 2
W_hx = nd.random.normal(scale=0.5, shape=(h, d), dtype="float64")
W_hh = nd.random.normal(scale=0.5, shape=(h, h), dtype="float64")
W_qh = nd.random.normal(scale=0.5, shape=(q, h), dtype="float64")
for p in (W_hx, W_hh, W_qh):
    p.attach_grad()
xs = [nd.random.normal(shape=(d, 1), dtype="float64") for _ in range(T)]
ys = [nd.array([1], dtype="float64"), nd.array([0], dtype="float64"),
      nd.array([1], dtype="float64")]


def loss(o, y):
    """The book's ℓ: softmax cross-entropy of the scores o against the label y."""
    return -nd.pick(nd.log_softmax(o, axis=0), y, axis=0)


h0 = nd.zeros((h, 1), dtype="float64")
with autograd.record():
    hs, os_, ls = [h0], [], []
    for t in range(T):
        hs.append(nd.dot(W_hx, xs[t]) + nd.dot(W_hh, hs[-1]))
        os_.append(nd.dot(W_qh, hs[-1]))
        ls.append(loss(os_[-1], ys[t]))
    L = (ls[0] + ls[1] + ls[2]) / T

# %%
# The unrolled graph
# ------------------
# The names are the section's: ``h1`` is :math:`\boldsymbol{h}_1` and so on. Each time step
# adds the same pattern of boxes and circles, and the three parameter boxes each feed one
# operator per time step: that sharing is what makes the gradient a sum over time.

names = {"W_hx": W_hx, "W_hh": W_hh, "W_qh": W_qh, "L": L, "h0": h0}
for t in range(T):
    names.update({f"x{t + 1}": xs[t], f"y{t + 1}": ys[t], f"h{t + 1}": hs[t + 1],
                  f"o{t + 1}": os_[t], f"l{t + 1}": ls[t]})
figure = mx.viz.graph(L, names, collapse=True,
                      ops={f"l{t + 1}": "ℓ" for t in range(T)})
figure

# %%
# As text, in the order the forward pass computed the variables:
#
# >>> print(figure.text)
# forward graph: 10 inputs, 10 operators, head L
#   W_hx  (3, 4)  parameter
#   x1    (4, 1)  data
#   W_hh  (3, 3)  parameter
#   h0    (3, 1)  data
#   h1    (3, 1)  = ×·×·+(W_hx, x1, W_hh, h0)  dot, broadcast_add
#   W_qh  (2, 3)  parameter
#   o1    (2, 1)  = ×(W_qh, h1)                dot
#   y1    (1,)    data
#   l1    (1,)    = ℓ(o1, y1)                  log_softmax, pick, negative
#   x2    (4, 1)  data
#   h2    (3, 1)  = ×·×·+(W_hx, x2, W_hh, h1)  dot, broadcast_add
#   o2    (2, 1)  = ×(W_qh, h2)                dot
#   y2    (1,)    data
#   l2    (1,)    = ℓ(o2, y2)                  log_softmax, pick, negative
#   x3    (4, 1)  data
#   h3    (3, 1)  = ×·×·+(W_hx, x3, W_hh, h2)  dot, broadcast_add
#   o3    (2, 1)  = ×(W_qh, h3)                dot
#   y3    (1,)    data
#   l3    (1,)    = ℓ(o3, y3)                  log_softmax, pick, negative
#   L     (1,)    = +·+·÷3(l1, l2, l3)         broadcast_add, _div_scalar
#
# Note ``h3``'s inputs: ``x3``, ``h2``, and the two shared parameters, exactly the arrows
# into :math:`\boldsymbol{h}_3` in Figure 6.3.
#
# The section's gradients, by hand
# --------------------------------
# Backward walks this graph from :math:`L` down. The section derives the recursion
#
# .. math::
#
#     \frac{\partial L}{\partial \boldsymbol{h}_T} = \boldsymbol{W}_{qh}^\top
#     \frac{\partial L}{\partial \boldsymbol{o}_T}, \qquad
#     \frac{\partial L}{\partial \boldsymbol{h}_t} = \boldsymbol{W}_{hh}^\top
#     \frac{\partial L}{\partial \boldsymbol{h}_{t+1}} + \boldsymbol{W}_{qh}^\top
#     \frac{\partial L}{\partial \boldsymbol{o}_t},
#
# and then :math:`\partial L/\partial \boldsymbol{W}_{hh} = \sum_t
# \frac{\partial L}{\partial \boldsymbol{h}_t} \boldsymbol{h}_{t-1}^\top` (and the same
# with :math:`\boldsymbol{x}_t` for :math:`\boldsymbol{W}_{hx}`). In NumPy, with
# :math:`\partial \ell/\partial \boldsymbol{o} = \mathrm{softmax}(\boldsymbol{o}) -
# \mathrm{onehot}(y)`:

Whh, Wqh = W_hh.asnumpy(), W_qh.asnumpy()
H = [a.asnumpy() for a in hs]
X = [a.asnumpy() for a in xs]
dO = []
for t in range(T):
    o = os_[t].asnumpy()
    p = np.exp(o - o.max()) / np.exp(o - o.max()).sum()
    p[int(ys[t].asscalar())] -= 1
    dO.append(p / T)
dH = [None] * (T + 1)
dH[T] = Wqh.T @ dO[T - 1]
for t in range(T - 1, 0, -1):
    dH[t] = Whh.T @ dH[t + 1] + Wqh.T @ dO[t - 1]
by_hand = {"W_hh": sum(dH[t] @ H[t - 1].T for t in range(1, T + 1)),
           "W_hx": sum(dH[t] @ X[t - 1].T for t in range(1, T + 1)),
           "W_qh": sum(dO[t - 1] @ H[t].T for t in range(1, T + 1))}

L.backward()
for name, g in by_hand.items():
    print(name, np.abs(names[name].grad.asnumpy() - g).max())

# %%
# The differences are rounding errors: backward computed the section's formulas. The
# powers of :math:`\boldsymbol{W}_{hh}^\top` that the recursion builds up are why
# gradients explode or vanish over long sequences, and why the book clips them.
#
# One operator for the whole sequence
# -----------------------------------
# Written from scratch, each time step adds a handful of nodes to the tape (here 8 per
# step for a tanh layer with biases). Gluon's recurrent layers instead
# call MXNet's fused ``RNN`` operator, whose backward is this same recursion written out in
# NumPy, for every step at once. With the book's ``tanh`` activation, from scratch and
# fused give the same numbers:

x_seq = nd.random.normal(shape=(T, 1, d))  # (time, batch, features): layout TNC
layer = mx.gluon.rnn.RNN(h, activation="tanh", input_size=d)
layer.initialize()
with autograd.record() as fused:
    out = layer(x_seq)
with autograd.record() as scratch:
    hid = nd.zeros((1, h))
    outs = []
    for t in range(T):
        hid = nd.tanh(nd.dot(x_seq[t], layer.l0_i2h_weight.data().T) + layer.l0_i2h_bias.data()
                      + nd.dot(hid, layer.l0_h2h_weight.data().T) + layer.l0_h2h_bias.data())
        outs.append(hid)

# %%
# >>> bool(np.abs(out[T - 1].asnumpy() - outs[-1].asnumpy()).max() < 1e-6)
# True
# >>> len(scratch), [n.opname for n in fused]
# (24, ['_rnn_param_concat', 'RNN'])
#
# The fused operator is one node however long the sequence: the tape stays small and the
# work is a few large matrix products (all the input-to-hidden products of the sequence
# in one) instead of many small ones.
#
# The fused node, unrolled
# ------------------------
# For the picture, ``expand=("RNN",)`` draws that one node as the time steps it runs: a
# circle per step reading :math:`\boldsymbol{x}_t`, :math:`\boldsymbol{h}_{t-1}` and the
# layer's shared weights (here with the biases MXNet's layers add), the book's figure
# again, now read off the tape of a Gluon model with an output layer
# :math:`\boldsymbol{W}_{qh}`:

out_layer = mx.gluon.nn.Dense(q, flatten=False, in_units=h)
out_layer.initialize()
labels = nd.array([[1], [0], [1]])
with autograd.record():
    H_seq = layer(x_seq)
    O_seq = out_layer(H_seq)
    L_seq = mx.gluon.loss.SoftmaxCrossEntropyLoss()(O_seq, labels).mean()
fused_names = {"X": x_seq, "H": H_seq, "O": O_seq, "L": L_seq,
               "W_hx": layer.l0_i2h_weight, "W_hh": layer.l0_h2h_weight,
               "W_qh": out_layer.weight}
unrolled = mx.viz.graph(L_seq, fused_names, expand=("RNN",))
unrolled

# %%
# ``explain`` can write out, for the same node, the recursion that its backward runs,
# one line per time step:

print("\n".join(mx.explain(L_seq, fused_names, expand=("RNN",))["H"].detail))

# %%
#
# Where back-propagation stops
# ----------------------------
# The book's ``train_and_predict_rnn`` (consecutive sampling) carries the hidden state from
# one batch into the next and calls ``s.detach()`` first, without keeping the result. What
# stops the gradient at the batch border is MXNet's rule that a ``backward`` frees its
# graph: the arrays that graph computed lose their history and are plain data to the next
# recording. minigluon follows that rule (see :doc:`../mxnet-semantics`):

with autograd.record() as batch2:
    h4 = nd.dot(W_hx, xs[0]) + nd.dot(W_hh, hs[-1])  # hs[-1]: h3, from the freed graph
    L2 = loss(nd.dot(W_qh, h4), ys[0])
mx.viz.graph(L2, {"W_hx": W_hx, "W_hh": W_hh, "W_qh": W_qh, "x4": xs[0], "h3": hs[-1],
                  "h4": h4, "y4": ys[0], "L2": L2}, collapse=True)

# %%
# ``h3`` is now a data box, like ``x4``: ``L2.backward()`` computes the gradients of this
# batch only, truncated back-propagation through time.
#
# >>> L2.backward()
# >>> [type(p).__name__ for p in batch2[1].parents]
# ['Node', 'Const']
