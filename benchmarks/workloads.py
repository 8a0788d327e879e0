"""The timed workloads: each builds a minigluon step and a hand-written NumPy step that
compute the same thing, from the same data, in float32.

The NumPy side is the formulas written out by hand (forward, the derived gradients, the
update): the best any NumPy-based library can do on that computation.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minigluon import autograd, nd

# ---- W1: linear regression from scratch (d2l 3.2) --------------------------------------

W1_BATCH, W1_LR = 10, 0.03


def _w1_data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    X = rng.normal(size=(W1_BATCH, 2)).astype(np.float32)
    y = (X @ np.array([2.0, -3.4]) + 4.2 + rng.normal(scale=0.01, size=W1_BATCH))
    w0 = rng.normal(scale=0.01, size=(2, 1)).astype(np.float32)
    return X, y.astype(np.float32), w0


def w1_steps() -> tuple[Any, Any, Any]:
    """The book's training step on one batch of 10 examples with 2 features.

    Returns the minigluon step, the NumPy step, and a check that after a few steps both
    hold the same parameters.
    """
    X, y, w0 = _w1_data()
    batch_size, lr = W1_BATCH, W1_LR

    Xm, ym = nd.array(X), nd.array(y)
    w, b = nd.array(w0), nd.zeros(shape=(1,))
    w.attach_grad()
    b.attach_grad()

    def mg_step() -> None:
        with autograd.record():
            y_hat = nd.dot(Xm, w) + b
            l = (y_hat - ym.reshape(y_hat.shape)) ** 2 / 2
        l.backward()
        for param in (w, b):
            param[:] = param - lr * param.grad / batch_size

    wn, bn = w0.copy(), np.zeros((1,), np.float32)

    def np_step() -> None:
        y_hat = X @ wn + bn
        d = y_hat - y.reshape(y_hat.shape)
        l = d**2 / 2  # noqa: F841 (the loss is computed, as in the minigluon step)
        # l is summed by backward (head gradient of ones), so dl/dy_hat = d
        gw = X.T @ d
        gb = d.sum(axis=0)
        wn[:] = wn - lr * gw / batch_size
        bn[:] = bn - lr * gb / batch_size

    def check() -> bool:
        return (np.allclose(w.asnumpy(), wn, rtol=1e-4, atol=1e-5)
                and np.allclose(b.asnumpy(), bn, rtol=1e-4, atol=1e-5))

    return mg_step, np_step, check


# ---- W3: per-operation overhead ---------------------------------------------------------

W3_N, W3_OPS, W3_BLOCKS = 10, 100, 20  # 20 blocks of 5 operations


def _w3_data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    x = rng.uniform(-1, 1, W3_N).astype(np.float32)
    c = rng.uniform(-1, 1, W3_N).astype(np.float32)
    a = rng.uniform(0.5, 1.5, W3_N).astype(np.float32)
    return x, c, a


def w3_steps() -> dict[str, Any]:
    """A chain of 100 elementwise operations on 10 floats: 20 blocks of
    ``x * 0.5``, ``x + c``, ``tanh``, ``x * a``, ``exp`` (c, a constant arrays).

    Returns the step functions: minigluon recorded forward + backward, recorded forward
    only, plain forward; NumPy forward + hand-written backward, forward keeping what the
    backward needs, plain forward; and a check that the gradients agree.
    """
    x0, c, a = _w3_data()
    xm, cm, am = nd.array(x0), nd.array(c), nd.array(a)
    xm.attach_grad()

    def chain(x: Any) -> Any:
        for _ in range(W3_BLOCKS):
            x = x * 0.5
            x = x + cm
            x = nd.tanh(x)
            x = x * am
            x = nd.exp(x)
        return x

    def mg_train() -> None:
        with autograd.record():
            y = chain(xm)
        y.backward()

    def mg_recorded_forward() -> None:
        with autograd.record():
            chain(xm)

    def mg_forward() -> None:
        chain(xm)

    gx = np.zeros_like(x0)

    def np_forward_saving(x: np.ndarray) -> tuple[np.ndarray, list]:
        saved = []
        for _ in range(W3_BLOCKS):
            x = x * 0.5
            x = x + c
            t = np.tanh(x)
            x = t * a
            e = np.exp(x)
            x = e
            saved.append((t, e))
        return x, saved

    def np_train() -> None:
        y, saved = np_forward_saving(x0)
        g = np.ones_like(y)
        for t, e in reversed(saved):
            g = g * e               # exp
            g = g * a               # x * a
            g = g * (1 - t * t)     # tanh
            g = g * 0.5             # x + c passes g through; x * 0.5
        gx[...] = g

    def np_recorded_forward() -> None:
        np_forward_saving(x0)

    def np_forward() -> None:
        x = x0
        for _ in range(W3_BLOCKS):
            x = x * 0.5
            x = x + c
            x = np.tanh(x)
            x = x * a
            x = np.exp(x)

    def check() -> bool:
        mg_train()
        np_train()
        return bool(np.allclose(xm.grad.asnumpy(), gx, rtol=1e-4, atol=1e-6))

    return {"mg_train": mg_train, "mg_recorded_forward": mg_recorded_forward,
            "mg_forward": mg_forward, "np_train": np_train,
            "np_recorded_forward": np_recorded_forward, "np_forward": np_forward,
            "check": check}


# ---- W2: the d2l 3.14 MLP in Gluon form --------------------------------------------------

W2_LR, W2_LAMBDA = 0.1, 1e-3


def gluon_status() -> str | None:
    """None when the parts of Gluon that W2 uses work; otherwise why not."""
    try:
        from minigluon import gluon, init

        gluon.nn.Dense, gluon.nn.Sequential, gluon.Trainer, init.Normal  # noqa: B018
        gluon.loss.SoftmaxCrossEntropyLoss, gluon.loss.L2Regularizer  # noqa: B018
    except Exception as e:  # any failure means: not there yet
        return f"{type(e).__name__}: {e}"
    return None


def w2_steps(batch: int, n_in: int, n_hidden: int, n_out: int) -> dict[str, Any]:
    """One SGD step of ``Dense(n_hidden, relu) -> Dense(n_out)`` with softmax cross-entropy
    plus the L2 penalty of the weights, and the same network's prediction.

    Returns the minigluon and NumPy train and predict steps, and a check that after the
    steps taken so far both sides hold the same parameters.
    """
    from minigluon import gluon, init

    rng = np.random.default_rng(2)
    X = rng.normal(size=(batch, n_in)).astype(np.float32)
    y = rng.integers(0, n_out, size=batch)

    net = gluon.nn.Sequential()
    net.add(gluon.nn.Dense(n_hidden, activation="relu"), gluon.nn.Dense(n_out))
    net.initialize(init.Normal(sigma=0.01))
    loss = gluon.loss.SoftmaxCrossEntropyLoss()
    penalty = gluon.loss.L2Regularizer(W2_LAMBDA, net.collect_params(".*weight"))
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": W2_LR})
    Xm, ym = nd.array(X), nd.array(y)
    net(Xm)  # finishes the deferred initialization

    def mg_train() -> None:
        with autograd.record():
            l = loss(net(Xm), ym) + penalty()
        l.backward()
        trainer.step(batch)

    def mg_predict() -> None:
        net(Xm)

    d1, d2 = net[0], net[1]
    W1, b1 = d1.weight.data().asnumpy(), d1.bias.data().asnumpy()
    W2, b2 = d2.weight.data().asnumpy(), d2.bias.data().asnumpy()
    rows = np.arange(batch)
    lam, step = W2_LAMBDA, W2_LR / batch

    def np_train() -> None:
        nonlocal W1, b1, W2, b2  # updated in place
        H = X @ W1.T
        H += b1
        np.maximum(H, 0, out=H)
        O = H @ W2.T
        O += b2
        # per-example cross-entropy from the log-softmax, plus the penalty on every example
        O -= O.max(axis=1, keepdims=True)
        logp = O - np.log(np.exp(O).sum(axis=1, keepdims=True))
        # sums of squares as dot products: one BLAS pass each (as minigluon's penalty)
        s = lam / 2 * (np.dot(W1.ravel(), W1.ravel()) + np.dot(W2.ravel(), W2.ravel()))
        J = s - logp[rows, y]  # noqa: F841 (the objective is computed, as in minigluon)
        # backward of sum(J): softmax minus one-hot; the penalty gives batch * lam * W
        dO = np.exp(logp)
        dO[rows, y] -= 1
        dH = dO @ W2
        dH *= H > 0
        gW2 = dO.T @ H
        gW2 += (batch * lam) * W2
        gW1 = dH.T @ X
        gW1 += (batch * lam) * W1
        # SGD: param -= lr * grad / batch_size
        W2 -= step * gW2
        b2 -= step * dO.sum(axis=0)
        W1 -= step * gW1
        b1 -= step * dH.sum(axis=0)

    def np_predict() -> None:
        H = X @ W1.T
        H += b1
        np.maximum(H, 0, out=H)
        O = H @ W2.T
        O += b2

    def check() -> bool:
        pairs = [(d1.weight, W1), (d1.bias, b1), (d2.weight, W2), (d2.bias, b2)]
        return all(np.allclose(p.data().asnumpy(), a, rtol=1e-3, atol=1e-5) for p, a in pairs)

    return {"mg_train": mg_train, "mg_predict": mg_predict, "np_train": np_train,
            "np_predict": np_predict, "check": check}
