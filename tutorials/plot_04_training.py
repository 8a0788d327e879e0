r"""
4. Training: forward and backward, alternating
==============================================

Training alternates the two passes of tutorials 1 to 3. The forward pass computes the
objective from the current parameters; the backward pass computes the gradients from the
values the forward pass stored; the optimizer moves the parameters; and the next forward
pass uses the moved parameters. Neither pass can run without the other's latest results.

Here the section's model is trained for real, with biases (the variant the section leaves
as an exercise), in Gluon form: two ``nn.Dense`` layers, the softmax cross-entropy loss,
and the :math:`L_2` penalty. The data is a real data set that ships with scikit-learn, so
nothing is downloaded: 1797 handwritten digits of 8×8 pixels.

The penalty is written twice: once literally, :math:`J = L + s` with
``gluon.loss.L2Regularizer``, and once as the Trainer's weight decay (``wd``). The two runs
end with the same parameters, which is the section's formula
:math:`\partial J/\partial \mathbf{W} = \dots + \lambda \mathbf{W}` in action.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits

import minigluon as mx
from minigluon import autograd, gluon, init, nd
from minigluon.gluon import data as gdata, loss as gloss, nn

digits = load_digits()
order = np.random.RandomState(0).permutation(len(digits.target))  # mix the writers
# float64, so that the two runs below can be compared to many digits
X = nd.array(digits.data[order] / 16.0, dtype="float64")  # pixels 0..16 -> [0, 1]
y = nd.array(digits.target[order], dtype="float64")
X_train, y_train, X_test, y_test = X[:1536], y[:1536], X[1536:], y[1536:]

# %%
# >>> X_train.shape, X_test.shape
# ((1536, 64), (261, 64))
#
# The model and the two ways of penalizing it
# -------------------------------------------
# The hidden layer has 64 units with a ReLU; the output layer has one unit per class.
# ``make_net`` builds it with a fixed seed, so both runs start from the same parameters.

# lam = 2**-10 (about 0.001), lr = 0.5 and 1/batch_size are exact in float32, the
# precision in which MXNet's optimizers (and minigluon's, to match them) take their
# hyper-parameters; then the two runs below agree to float64 rounding
lam, lr, batch_size, num_epochs = 2.0 ** -10, 0.5, 64, 10


def make_net(first_forward=True):
    mx.random.seed(42)
    net = nn.Sequential()
    net.add(nn.Dense(64, activation="relu", dtype="float64"), nn.Dense(10, dtype="float64"))
    net.initialize(init.Normal(sigma=0.1))
    if first_forward:
        net(X_train[:1])  # the first forward fixes the input size (deferred initialization)
    return net


# %%
# ``summary`` runs one forward pass and lists each layer, its output shape and its
# parameters. The layers were built without saying how many inputs they take; the
# ``deferred`` lines say which dimension of the input fixed each weight's shape:

make_net(first_forward=False).summary(X_train[:1])


loss = gloss.SoftmaxCrossEntropyLoss()


def train(net, trainer, penalty=None):
    np.random.seed(0)  # the same shuffling in both runs
    loader = gdata.DataLoader(gdata.ArrayDataset(X_train, y_train), batch_size,
                              shuffle=True)
    losses = []
    for _ in range(num_epochs):
        for Xb, yb in loader:
            with autograd.record():
                J = loss(net(Xb), yb)
                if penalty is not None:
                    J = J + penalty()  # s is added to each example's loss
            J.backward()
            trainer.step(batch_size)
        losses.append(loss(net(X_train), y_train).mean().asscalar())
    return losses


# %%
# Run 1: :math:`J = L + s`, plain SGD. The penalty covers the weights, not the biases, as
# in the section.

net1 = make_net()
s = gloss.L2Regularizer(lam, net1.collect_params(".*weight"))
trainer1 = gluon.Trainer(net1.collect_params(), "sgd", {"learning_rate": lr})
losses1 = train(net1, trainer1, penalty=s)
print("run 1, training loss per epoch:", np.round(losses1, 4))

# %%
# Run 2: no penalty term; the Trainer applies weight decay :math:`\lambda` instead.
# MXNet's weight decay applies to every parameter, biases included, so the biases get a
# weight-decay multiplier of 0.

net2 = make_net()
net2.collect_params(".*bias").setattr("wd_mult", 0)
trainer2 = gluon.Trainer(net2.collect_params(), "sgd", {"learning_rate": lr, "wd": lam})
losses2 = train(net2, trainer2)

# %%
# Both runs end with the same parameters, up to rounding:
#
# >>> diffs = [float(nd.abs(p1.data() - p2.data()).max())
# ...          for p1, p2 in zip(net1.collect_params().values(),
# ...                            net2.collect_params().values())]
# >>> max(diffs) < 1e-12
# True
# >>> bool(np.allclose(losses1, losses2, rtol=1e-12))
# True
#
# The training loss falls:

plt.figure(figsize=(5, 3.2))
plt.plot(range(1, num_epochs + 1), losses1, "o-", label="J = L + s")
plt.plot(range(1, num_epochs + 1), losses2, "x--", label="Trainer wd")
plt.xlabel("epoch")
plt.ylabel("training loss L")
plt.legend()
plt.tight_layout()
plt.show()

# %%
# Prediction
# ----------
# Prediction needs only the forward pass: no recording, so nothing is stored for a
# backward pass (tutorial 5 measures the difference). ``predict_mode`` also switches
# layers such as dropout to their prediction behaviour.

with autograd.predict_mode():
    y_hat = net1(X_test)
accuracy = (y_hat.argmax(axis=1) == y_test).mean().asscalar()
print(f"test accuracy: {accuracy:.3f}")

# %%
# >>> bool(accuracy > 0.9)
# True
# >>> autograd.Tape.of(y_hat).saved_bytes  # nothing was recorded
# 0
#
# A mistake the linter catches
# ----------------------------
# ``Trainer.step(batch_size)`` divides the gradient by the batch size, because
# ``backward`` on a vector of per-example losses sums them. Averaging the loss first and
# still passing the batch size divides twice: training silently slows down. With the
# training-loop linter on (``mx.debug()``, or the environment variable
# ``MINIGLUON_DEBUG=1``), minigluon says so:

with mx.debug(), warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    with autograd.record():
        l = loss(net1(X_train[:batch_size]), y_train[:batch_size]).mean()  # averaged...
    l.backward()
    trainer1.step(batch_size)  # ...and divided again
print(caught[0].message)

# %%
# >>> str(caught[0].message).startswith("[double-average]")
# True
