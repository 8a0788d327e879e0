r"""
18. Data parallelism on two GPUs, drawn from the tape
=====================================================

Section 8.4 of the book ("multi-GPU computation") trains one model on several GPUs by
*data parallelism*. Every step of minibatch SGD becomes five:

1. **split** the minibatch into one part per GPU,
2. **forward** each part on its GPU, with that GPU's copy of the parameters,
3. **backward** on each GPU: the gradient of its part's loss,
4. **all-reduce**: add the gradients of all GPUs and give every GPU the sum,
5. **update** every copy of the parameters with that sum, so that the copies stay equal.

A laptop has no GPU, and neither does MXNet built without CUDA. minigluon can *simulate*
them: after ``mx.context.simulate_gpus(2)`` (or with ``MINIGLUON_GPUS=2`` in the
environment) ``mx.gpu(0)`` and ``mx.gpu(1)`` hold arrays. They compute on the CPU, but
each array remembers its device and operators refuse to mix arrays of two GPUs, as real
ones do. So the book's code runs, and the tape it records can be drawn, one frame per
device.
"""

import numpy as np  # noqa: F401 (used by the checks in the text)

import minigluon as mx
from minigluon import autograd, gluon, nd

mx.context.simulate_gpus(2)
ctx = [mx.gpu(0), mx.gpu(1)]
mx.random.seed(0)

# a softmax regression on a minibatch of 4 examples with 3 features and 2 classes
X = nd.random.normal(shape=(4, 3))
y = nd.array([0, 1, 1, 0])
W = nd.random.normal(scale=0.1, shape=(3, 2))
b = nd.zeros(2)


def net(X, W, b):
    return nd.dot(X, W) + b


def softmax_ce(o, y):
    """The book's softmax and cross-entropy, written out (exp, sum, divide, pick, log)."""
    e = o.exp()
    return -nd.pick(e / e.sum(axis=1, keepdims=True), y).log()


# %%
# Split, forward, backward
# ------------------------
# As in the book, each GPU gets its own copy of the parameters (``copyto``, then
# ``attach_grad``) and its half of the minibatch (``gluon.utils.split_and_load``, which
# copies each slice to its device).

params = [[p.copyto(c) for p in (W, b)] for c in ctx]
for W_i, b_i in params:
    W_i.attach_grad()
    b_i.attach_grad()
X_parts = gluon.utils.split_and_load(X, ctx)
y_parts = gluon.utils.split_and_load(y, ctx)
with autograd.record():
    outs = [net(X_i, W_i, b_i) for X_i, (W_i, b_i) in zip(X_parts, params)]
    losses = [softmax_ce(o_i, y_i).sum() for o_i, y_i in zip(outs, y_parts)]
for l in losses:
    l.backward()

names = {"W0": params[0][0], "b0": params[0][1], "W1": params[1][0], "b1": params[1][1],
         "X0": X_parts[0], "X1": X_parts[1], "y0": y_parts[0], "y1": y_parts[1],
         "o0": outs[0], "o1": outs[1], "l0": losses[0], "l1": losses[1]}

# %%
# ``backward`` freed the graph, but the arrays still know their devices and the tape's
# record of the forward pass is still there to draw. With ``collapse=True`` the softmax
# and the cross-entropy fold into one circle, which the graph names ``softmax CE``. Each
# device is a frame of its own colour, and nothing crosses from one frame to the other:
# the two forward passes are independent.

mx.viz.graph(losses, names, collapse=True)

# %%
# The listing says the same with a device column:
#
# >>> print(mx.viz.graph(losses, names, collapse=True))
# forward graph: 8 inputs, 4 operators, heads l0, l1; on 2 devices: gpu(0), gpu(1)
#   X0  (2, 3)  gpu(0)  data
#   W0  (3, 2)  gpu(0)  parameter
#   b0  (2,)    gpu(0)  parameter
#   o0  (2, 2)  gpu(0)  = ×·+(X0, W0, b0)     dot, broadcast_add
#   y0  (2,)    gpu(0)  data
#   l0  (1,)    gpu(0)  = softmax CE(o0, y0)  exp, sum, broadcast_div, pick, log, negative
#   X1  (2, 3)  gpu(1)  data
#   W1  (3, 2)  gpu(1)  parameter
#   b1  (2,)    gpu(1)  parameter
#   o1  (2, 2)  gpu(1)  = ×·+(X1, W1, b1)     dot, broadcast_add
#   y1  (2,)    gpu(1)  data
#   l1  (1,)    gpu(1)  = softmax CE(o1, y1)  exp, sum, broadcast_div, pick, log, negative
#
# Each GPU now holds the gradient of *its half* of the minibatch. Neither is the gradient
# of the minibatch:
#
# >>> [W_i.grad.context for W_i, _ in params]
# [gpu(0), gpu(1)]
#
# All-reduce
# ----------
# The book adds the gradients on the first GPU and copies the sum back to the others:

def allreduce(data):
    for i in range(1, len(data)):
        data[0][:] += data[i].copyto(data[0].context)
    for i in range(1, len(data)):
        data[0].copyto(data[i])


for i in range(2):
    allreduce([params[c][i].grad for c in range(2)])

# %%
# Why is the sum the right gradient? Because the loss of the minibatch is the sum of the
# losses of its parts. Computed on one device, on the whole minibatch:

W_one, b_one = W.copy(), b.copy()
W_one.attach_grad()
b_one.attach_grad()
with autograd.record():
    l_one = softmax_ce(net(X, W_one, b_one), y).sum()
l_one.backward()

# %%
# >>> [bool(np.allclose(params[c][0].grad.asnumpy(), W_one.grad.asnumpy(), atol=1e-6))
# ...  for c in range(2)]
# [True, True]
#
# The tape shows the all-reduce too
# ---------------------------------
# The chain rule already knows this sum. Keep one master copy of the parameters on the
# CPU and let the copies to the GPUs happen *inside* ``record()``: the copies are then
# operators of the graph (drawn as dashed edges labelled ``copy``), and ``backward`` sends
# each GPU's gradient back along its copy and adds the two where they meet, at the master
# copy. That is a reduce onto the CPU, which is what the ``'local'`` key-value store does.

W_m, b_m = W.copy(), b.copy()
W_m.attach_grad()
b_m.attach_grad()
names_m = {"W": W_m, "b": b_m}
with autograd.record():
    shares = []
    for i, (c, X_i, y_i) in enumerate(zip(ctx, X_parts, y_parts)):
        W_i, b_i = W_m.copyto(c), b_m.copyto(c)  # recorded copies to the GPU
        o_i = net(X_i, W_i, b_i)
        shares.append(softmax_ce(o_i, y_i).sum())
        names_m.update({f"W{i}": W_i, f"b{i}": b_i, f"X{i}": X_i, f"y{i}": y_i,
                        f"o{i}": o_i, f"l{i}": shares[i]})
    l_total = shares[0].copyto(mx.cpu()) + shares[1].copyto(mx.cpu())
names_m["l"] = l_total

mx.viz.graph(l_total, names_m, collapse=True, direction="backward")

# %%
# In the backward listing, the "sum of 2" at ``W`` and ``b`` is the all-reduce:
#
# >>> back = mx.viz.graph(l_total, names_m, collapse=True, direction="backward")
# >>> print("\n".join(ln for ln in back.text.splitlines() if "sum of 2" in ln))
#   ∂l/∂b    (2,)    cpu(0)  <- copy(∂l/∂b0) + copy(∂l/∂b1)  sum of 2
#   ∂l/∂W    (3, 2)  cpu(0)  <- copy(∂l/∂W0) + copy(∂l/∂W1)  sum of 2
#
# and it gives the whole minibatch's gradient:

l_total.backward()

# %%
# >>> bool(np.allclose(W_m.grad.asnumpy(), W_one.grad.asnumpy(), atol=1e-6))
# True
#
# Update
# ------
# Every GPU applies the same SGD step to its copy, with the same summed gradient, so the
# copies stay equal, and equal to the step on one device:

lr, batch_size = 0.1, X.shape[0]
for W_i, b_i in params:
    W_i[:] = W_i - lr * W_i.grad / batch_size
    b_i[:] = b_i - lr * b_i.grad / batch_size

# %%
# >>> W_step = W - lr * W_one.grad / batch_size
# >>> [bool(np.allclose(W_i.asnumpy(), W_step.asnumpy(), atol=1e-6)) for W_i, _ in params]
# [True, True]
#
# What the devices keep for backward
# ----------------------------------
# ``viz.memory`` adds a device column as soon as more than one device appears: each GPU
# keeps what its own half of the forward pass needs.

with autograd.record():
    losses = [softmax_ce(net(X_i, W_i, b_i), y_i).sum()
              for X_i, y_i, (W_i, b_i) in zip(X_parts, y_parts, params)]
names.update(l0=losses[0], l1=losses[1])
print(mx.viz.memory(losses, names))

# %%
# The same step with Gluon
# ------------------------
# Section 8.5 does the same with Gluon: ``initialize(ctx=...)`` puts a copy of every
# parameter on each device, and ``Trainer.step`` does the all-reduce and the update.

gnet = gluon.nn.Dense(2)
gnet.initialize(mx.init.Normal(sigma=0.1), ctx=ctx)
trainer = gluon.Trainer(gnet.collect_params(), "sgd", {"learning_rate": lr})
loss = gluon.loss.SoftmaxCrossEntropyLoss()
with autograd.record():
    ls = [loss(gnet(X_i), y_i) for X_i, y_i in zip(X_parts, y_parts)]
for l in ls:
    l.backward()
trainer.step(batch_size)

# %%
# >>> [w.context for w in gnet.weight.list_data()]
# [gpu(0), gpu(1)]
# >>> w0, w1 = (w.asnumpy() for w in gnet.weight.list_data())
# >>> bool(np.array_equal(w0, w1))
# True
#
# The book's own GPU sections run this way: with ``MINIGLUON_GPUS=2``, "GPU computation"
# (4.6), "automatic parallelism" (8.3), "multi-GPU computation" (8.4) and its concise
# implementation (8.5) run unchanged (see :doc:`../run-the-book`); without the variable,
# ``mx.gpu()`` fails as on MXNet without CUDA and the book's ``try_gpu`` falls back to the
# CPU.

mx.context.simulate_gpus(0)
