r"""
5. What training costs in memory
================================

The section ends with a claim about memory: because backpropagation reuses the values the
forward pass computed, those values cannot be freed when the forward pass ends, and this is
an important reason why training needs more memory than prediction. It adds that the number
of such stored values grows roughly linearly with the number of layers, and the size of
each with the batch size.

The tape can be asked how many bytes it keeps for the backward pass, so the claim can be
measured rather than believed.
"""

import matplotlib.pyplot as plt

import minigluon as mx
from minigluon import autograd, init, nd
from minigluon.gluon import nn


def mlp(depth, width=256):
    mx.random.seed(0)
    net = nn.Sequential()
    for _ in range(depth):
        net.add(nn.Dense(width, activation="relu"))
    net.add(nn.Dense(10))
    net.initialize(init.Normal(sigma=0.05))
    return net


def saved_bytes(net, batch_size, inputs=64):
    X = nd.random.normal(shape=(batch_size, inputs))
    with autograd.record() as tape:
        net(X).sum()
    return tape.saved_bytes


# %%
# Training versus prediction
# --------------------------
# The same forward pass, once recorded (as in training) and once not (prediction):

net = mlp(depth=3)
X = nd.random.normal(shape=(128, 64))

with autograd.record() as tape:
    loss = (net(X) ** 2).mean()
print(f"training forward keeps {tape.saved_bytes:,} bytes for backward")

with autograd.predict_mode():
    y = net(X)
print(f"prediction forward keeps {autograd.Tape.of(y).saved_bytes} bytes")

# %%
# And once ``backward`` has used them, the stored values are released:

loss.backward()
print(f"after backward: {tape.saved_bytes} bytes")

# %%
# >>> tape.saved_bytes
# 0
#
# What exactly is kept
# --------------------
# ``viz.memory`` lists every array the tape holds, which operator saved it and why. Each
# ``Dense`` layer keeps its input (to compute its weight's gradient) and its weight (to
# pass the gradient back to its input); each ReLU keeps its output (its derivative is 1
# where the output is positive). The ReLU's output *is* the next layer's input, so it is
# stored once and shared:

small = mlp(depth=2, width=4)
x = nd.random.normal(shape=(3, 5))
with autograd.record():
    out = small(x).sum()
report = mx.viz.memory(out, dict(small.collect_params().items(), x=x))
print(report)

# %%
# How to read the table (the legend under it says the same, for the entries it has):
#
# - ``node`` is the recorded result whose backward needs the array: a name from the
#   mapping passed in, or ``#i``, the ``i``-th operation recorded; ``op`` is its operator.
# - ``slot`` is where that operator keeps the array: ``x0``, ``x1`` its inputs, ``y`` its
#   output, ``c`` an array it computed for backward; ``res2`` would be the third array of
#   an operator that does not name what it keeps.
# - ``shape``, ``dtype`` and ``bytes`` describe the array; with arrays on several devices
#   a ``device`` column says where each one lives.
# - ``holds`` says what the array is: ``input x`` is the data ``x`` itself, not a copy;
#   ``new`` is an array made only for backward (a mask, the indices of ``pick``);
#   ``(= #1.y)`` means that an earlier row (node ``#1``, slot ``y``) already holds the
#   same buffer.
# - ``adds`` is what the row adds to the memory: its bytes, or 0 when an earlier row holds
#   its buffer. The ``adds`` column sums to the distinct bytes; the ``bytes`` column to
#   the summed ones:
#
# >>> sum(r.extra_bytes for r in report.rows) == report.distinct_bytes
# True
# >>> report.distinct_bytes < report.naive_bytes
# True
#
# Growth with depth and with batch size
# -------------------------------------
# Each hidden layer adds the same stored amount (one activation of batch × width floats,
# plus its weights), so the total grows linearly with depth; the activations grow linearly
# with the batch size, the weights do not.

depths = [1, 2, 4, 8]
by_depth = [saved_bytes(mlp(d), batch_size=64) for d in depths]
batches = [16, 64, 256, 1024]
net4 = mlp(4)
by_batch = [saved_bytes(net4, b) for b in batches]

print("depth  saved MiB (batch 64)")
for d, b in zip(depths, by_depth):
    print(f"{d:5d}  {b / 2**20:8.3f}")
print("batch  saved MiB (depth 4)")
for n, b in zip(batches, by_batch):
    print(f"{n:5d}  {b / 2**20:8.3f}")

fig, axes = plt.subplots(1, 2, figsize=(7, 3))
axes[0].plot(depths, [b / 2**20 for b in by_depth], "o-")
axes[0].set_xlabel("hidden layers (batch 64)")
axes[0].set_ylabel("saved for backward (MiB)")
axes[1].plot(batches, [b / 2**20 for b in by_batch], "o-")
axes[1].set_xlabel("batch size (4 hidden layers)")
fig.tight_layout()
plt.show()

# %%
# The growth is exactly linear. Going from one hidden layer to two adds one layer's worth,
# and so does each layer after that:
#
# >>> step = by_depth[1] - by_depth[0]
# >>> [b - by_depth[0] for b in by_depth] == [step * (d - 1) for d in depths]
# True
#
# Per layer the tape keeps the layer's weight (256 × 256 floats, plus the first layer's
# 256 × 64) and one activation of batch × width floats:
#
# >>> activation, weight = 64 * 256 * 4, 256 * 256 * 4
# >>> step == activation + weight
# True
#
# With the batch size, only the activations grow: four times the batch, four times the
# activation part.
#
# >>> weights_part = by_batch[0] - 16 * (4 * 256 + 64) * 4  # what does not depend on batch
# >>> [b - weights_part for b in by_batch] == [n * (4 * 256 + 64) * 4 for n in batches]
# True
