r"""
19. Ten mistakes in a training loop, and what minigluon says
============================================================

Most training loops that go wrong do not fail: they run, and the numbers are wrong. Here
are ten slips from chapters 2 to 6 of the book, as a learner writes them. Each one runs
with the linter on (``mx.debug``), and we print what it says: what happened, the fix in
the book's terms, the section to reread, and the entry of :doc:`/mistakes` with a
before/after example. The linter is off by default; ``mx.debug.enable()`` turns it on
for the whole program (or ``MINIGLUON_DEBUG=1``, or ``with mx.debug():`` for a block).
"""

import textwrap
import warnings

import numpy as np

import minigluon as mx
from minigluon import autograd, gluon, init, nd
from minigluon.gluon import nn

mx.debug.enable()


def show(run):
    """Run ``run()`` and print the linter's messages (and the error, if it raises)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            run()
        except Exception as e:  # noqa: BLE001 (shown, as a learner would see it)
            caught.append(warnings.WarningMessage(f"{type(e).__name__}: {e}", None, "", 0))
    for w in caught:
        if w.category is None or issubclass(w.category, mx.debug.LintWarning):
            print(textwrap.fill(str(w.message), 88), end="\n\n")
    return [str(w.message).split("]")[0][1:] for w in caught if w.category is not None
            and issubclass(w.category, mx.debug.LintWarning)]


# The book's data for linear regression (section 3.2): y = 2 x1 - 3.4 x2 + 4.2 + noise.
rng = np.random.default_rng(0)
features = nd.array(rng.normal(size=(1000, 2)))
labels = nd.dot(features, nd.array([[2], [-3.4]])) + 4.2
labels += nd.array(rng.normal(scale=0.01, size=(1000, 1)))


def linreg_scratch(sgd, batch_size=100, lr=0.03, steps=6):
    """The book's loop from scratch; ``sgd`` is the learner's update."""
    w = nd.array(rng.normal(scale=0.01, size=(2, 1)))
    b = nd.zeros((1,))
    w.attach_grad()
    b.attach_grad()
    params = [w, b]
    for i in range(steps):
        X = features[i * batch_size:(i + 1) * batch_size]
        y = labels[i * batch_size:(i + 1) * batch_size]
        with autograd.record():
            l = (nd.dot(X, params[0]) + params[1] - y) ** 2 / 2
        l.backward()
        params = sgd(params, lr, batch_size)
    print("|w| after", steps, "steps:", params[0].norm().asscalar(), "(the true w: 3.94)")


# %%
# 1. ``sgd`` without ``/ batch_size``
# -----------------------------------
# ``l.backward()`` sums the per-example losses, so ``w.grad`` is the gradient of a sum over
# the batch. The book's ``sgd`` divides by ``batch_size``; forgetting it makes each step
# 100 times larger here, and the weights blow up. The linter sees the loss and the weights
# grow at every step while the update is ``param - lr * param.grad``.


def sgd_forgot_batch_size(params, lr, batch_size):
    for param in params:
        param[:] = param - lr * param.grad
    return params


show(lambda: linreg_scratch(sgd_forgot_batch_size))

# %%
# With the book's ``sgd``, the same loop is silent and converges:


def sgd(params, lr, batch_size):
    for param in params:
        param[:] = param - lr * param.grad / batch_size
    return params


show(lambda: linreg_scratch(sgd))

# %%
# 2. ``w = w - lr * w.grad`` instead of ``w[:] = ...``
# ----------------------------------------------------
# Assigning to the name makes a new array, without a gradient, and drops the one that had
# it. The next ``backward`` fails with an error about ``attach_grad()`` and ``record()``,
# which were called; the linter says what really happened.


def sgd_rebinding(params, lr, batch_size):
    return [param - lr * param.grad / batch_size for param in params]


show(lambda: linreg_scratch(sgd_rebinding))

# %%
# 3. Forgetting ``net.initialize()``
# ----------------------------------
# MXNet's error speaks of ``collect_params()``. minigluon raises the same error, with the
# same text (code may match it), and adds a line saying what it most likely means.

net = nn.Sequential()
net.add(nn.Dense(1))
show(lambda: net(features[:10]))

# %%
# 4. A loss averaged twice
# ------------------------
# ``trainer.step(batch_size)`` divides by the batch size; a loss that was already averaged
# (``l.mean()``) makes the steps ``batch_size`` times too small. The opposite,
# ``step(1)`` after ``l.backward()`` of a batch, makes them too large.
net.initialize(init.Normal(sigma=0.01))
trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.03})
loss = gluon.loss.L2Loss()
X, y = features[:10], labels[:10]


def train_step(head, batch_size):
    with autograd.record():
        l = head(loss(net(X), y))
    l.backward()
    trainer.step(batch_size)


show(lambda: train_step(lambda l: l.mean(), 10))
show(lambda: train_step(lambda l: l, 1))

# %%
# The book's way, ``l.backward()`` and ``step(batch_size)``, is silent:
show(lambda: train_step(lambda l: l, 10))

# %%
# 5. ``grad_req='add'`` and a gradient never zeroed
# -------------------------------------------------
# With ``'add'``, every backward adds to ``.grad``; after an update the gradient must be
# set back to zero, or the old gradients are used again and again.


def accumulate(zero):
    w = nd.zeros((2, 1))
    w.attach_grad(grad_req="add")
    for _ in range(3):
        with autograd.record():
            l = ((nd.dot(X, w) - y) ** 2).sum()
        l.backward()
        w[:] = w - 0.001 * w.grad
        if zero:
            w.grad[:] = 0


show(lambda: accumulate(False))

# %%
# 6. Evaluating inside ``record()``
# ---------------------------------
# The book computes the accuracy after the training step. Inside ``record()`` the network
# runs in training mode (dropout on) and the evaluation is recorded for nothing.
clf = nn.Sequential()
clf.add(nn.Dense(8, activation="relu"), nn.Dropout(0.5), nn.Dense(3))
clf.initialize(init.Normal(sigma=0.1))
Xc, yc = nd.array(rng.normal(size=(6, 4))), nd.array([0, 1, 2, 0, 1, 2])


def accuracy(y_hat, y):  # the book's
    return (y_hat.argmax(axis=1) == y.astype("float32")).mean().asscalar()


def eval_inside_record():
    with autograd.record():
        l = gluon.loss.SoftmaxCrossEntropyLoss()(clf(Xc), yc)
        print("accuracy", accuracy(clf(Xc), yc))
    l.backward()


show(eval_inside_record)

# %%
# 7. Dropout active at test time
# ------------------------------
# Under ``autograd.train_mode()`` dropout drops units outside ``record()`` too: a
# prediction changes from call to call.


def predict_in_train_mode():
    with autograd.train_mode():
        return clf(Xc)


show(predict_in_train_mode)

# %%
# 8. An RNN without gradient clipping
# -----------------------------------
# Through time, the gradient is multiplied by the same weights at every step and can
# explode (section 6.4 clips it with ``grad_clipping``). Here, a small RNN from scratch on
# 20 time steps, trained with a hand-written SGD:


def rnn_scratch(clip, steps=8):
    r = np.random.default_rng(3)
    n, hidden, T = 4, 8, 20
    W_xh = nd.array(r.normal(scale=0.1, size=(3, hidden)))
    W_hh = nd.array(r.normal(scale=0.5, size=(hidden, hidden)))
    W_hq = nd.array(r.normal(scale=0.1, size=(hidden, 3)))
    params = [W_xh, W_hh, W_hq]
    for p in params:
        p.attach_grad()
    xs = [nd.array(r.normal(size=(n, 3))) for _ in range(T)]
    ys = [nd.array(r.normal(size=(n, 3))) for _ in range(T)]
    for _ in range(steps):
        with autograd.record():
            h, l = nd.zeros((n, hidden)), 0
            for x, yt in zip(xs, ys):
                h = nd.tanh(nd.dot(x, W_xh) + nd.dot(h, W_hh))
                l = l + ((nd.dot(h, W_hq) - yt) ** 2).sum()
            l = l / (n * T)
        l.backward()
        if clip:  # the book's grad_clipping, theta = 1
            norm = nd.sqrt(sum((p.grad ** 2).sum() for p in params)).asscalar()
            if norm > 1:
                for p in params:
                    p.grad[:] *= 1 / norm
        for p in params:
            p[:] = p - p.grad
    print("loss after", steps, "steps:", l.asscalar())


show(lambda: rnn_scratch(clip=False))

# %%
# With the book's clipping, it trains and the linter is silent:
show(lambda: rnn_scratch(clip=True))

# %%
# 9. Leaving the tape through NumPy
# ---------------------------------
# A NumPy function inside ``record()``: the result has no tape, so the gradient stops
# there (here ``w`` gets only the part that does not go through ``tanh``).
w = nd.ones((2, 1))
w.attach_grad()


def numpy_activation():
    with autograd.record():
        h = nd.array(np.tanh(nd.dot(X, w).asnumpy()))
        l = ((h - y) ** 2).sum() + (w ** 2).sum()
    l.backward()


show(numpy_activation)

# %%
# 10. ``attach_grad()`` on an intermediate result
# -----------------------------------------------
# Called inside ``record()`` on an array computed there, it makes that array a new
# variable: the graph is cut, and ``w`` gets no gradient from the loss.


def attach_inside():
    with autograd.record():
        h = nd.dot(X, w)
        h.attach_grad()
        l = ((h - y) ** 2).sum()
    l.backward()
    return h, l


show(attach_inside)

# %%
# The tape shows the cut. Drawn from ``l``, the graph starts at ``h``, a variable as ``w``
# would be (a box with a gradient), and ``X`` and ``w`` are not in it at all; ``w.grad``
# (set to zeros by ``attach_grad``) stays zero:
w.attach_grad()
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # the linter's message is printed above
    h, l = attach_inside()
print("w.grad:", w.grad.asnumpy().ravel(), " h.grad[:3]:", h.grad.asnumpy().ravel()[:3])
mx.viz.graph(l, {"X": X, "w": w, "h": h, "y": y, "l": l})

# %%
# The messages are checks, not guesses about your code: each fires on what the tape and
# the arrays show (a loss that grows tenfold while the weights double, an array that left
# the graph, a gradient added to one already used). The correct loops above, and the
# other tutorials, run without a single message.
mx.debug.disable()
