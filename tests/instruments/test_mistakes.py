"""Issue 18: the classic slips of the book's chapters 3-6, each run as a learner writes it;
the linter names it, says what happened and the fix, and points to the book section and to
the page with a before/after example. The correct code gives no message."""

import re
import warnings
from pathlib import Path

import numpy as np
import pytest

from minigluon import autograd, debug, gluon, init, nd
from minigluon.base import MinigluonError
from minigluon.debug import LintWarning
from minigluon.gluon import nn
from minigluon.instruments import lint as lint_module

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _linter_on():
    debug.enable()
    yield
    debug.disable()


def lint(fn, *args):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = fn(*args)
    return [w for w in caught if issubclass(w.category, LintWarning)], result


def checks(found):
    return [str(w.message).split("]")[0][1:] for w in found]


# ---- the book's linear regression from scratch (d2l 3.2) --------------------------------

def synthetic_data(n=1000):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 2)).astype(np.float32)
    y = X @ np.array([2, -3.4], dtype=np.float32) + 4.2
    y += rng.normal(scale=0.01, size=n).astype(np.float32)
    return nd.array(X), nd.array(y)


def linreg_scratch(update, steps=6, batch_size=100, lr=0.03):
    """The book's loop; ``update(params, lr, batch_size)`` is the learner's sgd."""
    features, labels = synthetic_data()
    w = nd.array(np.random.default_rng(1).normal(scale=0.01, size=(2, 1)))
    b = nd.zeros((1,))
    w.attach_grad()
    b.attach_grad()
    params = [w, b]
    for i in range(steps):
        X = features[i * batch_size:(i + 1) * batch_size]
        y = labels[i * batch_size:(i + 1) * batch_size]
        with autograd.record():
            l = (nd.dot(X, params[0]) + params[1] - y.reshape((-1, 1))) ** 2 / 2
        l.backward()
        params = update(params, lr, batch_size)
    return params


def sgd(params, lr, batch_size):  # the book's
    for param in params:
        param[:] = param - lr * param.grad / batch_size
    return params


def sgd_without_batch_size(params, lr, batch_size):
    for param in params:
        param[:] = param - lr * param.grad
    return params


def sgd_rebinding(params, lr, batch_size):
    return [param - lr * param.grad / batch_size for param in params]


def test_sgd_without_dividing_by_the_batch_size():
    found, (w, b) = lint(linreg_scratch, sgd_without_batch_size)
    assert checks(found) == ["no-batch-average"]
    message = str(found[0].message)
    assert "updated by hand as param - 0.03 * param.grad" in message
    assert "the SUM of 100 per-example losses" in message
    assert "100 times larger" in message
    assert "param[:] = param - lr * param.grad / batch_size" in message
    assert "d2l 3.2.6" in message and "docs/mistakes.rst#no-batch-average" in message
    assert found[0].filename == __file__  # the learner's line: l.backward()
    assert float(w.norm().asscalar()) > 5  # and they did blow up (the true w has norm 3.9)


def test_the_books_sgd_is_silent_and_converges():
    found, (w, b) = lint(linreg_scratch, sgd, 20)
    assert found == []
    assert float(w.norm().asscalar()) < 4.5


def test_rebinding_the_parameters_instead_of_updating_in_place():
    def run():
        with pytest.raises(MinigluonError, match="not in a computational graph"):
            linreg_scratch(sgd_rebinding, steps=2)

    found, _ = lint(run)
    assert checks(found) == ["rebound-variable"]  # not the misleading no-variable
    message = str(found[0].message)
    assert "attach_grad() and record() were called" in message
    assert "`W = W - lr * W.grad` makes W a NEW array" in message
    assert "shape (2, 1), shape (1,)" in message
    assert "W[:] = W - lr * W.grad" in message


def test_forgetting_initialize_keeps_mxnets_error_and_explains_it():
    net = nn.Sequential()
    net.add(nn.Dense(1))
    with pytest.raises(RuntimeError) as e:  # MXNet's type
        net(nd.ones((2, 3)))
    text = str(e.value)
    assert text.startswith("Parameter 'dense")  # MXNet's text first, unchanged
    assert ("create Trainer with Block.collect_params() instead of Block.params because the "
            "later does not include Parameters of nested child Blocks\n(minigluon) ") in text
    assert "net.initialize() was never called" in text
    assert "docs/mistakes.rst#not-initialized" in text


# ---- Gluon: how the trainer expects the loss (d2l 3.3) ----------------------------------

def gluon_step(head, batch_size):
    features, labels = synthetic_data(10)
    net = nn.Dense(1)
    net.initialize(init.Normal(sigma=0.01))
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.03})
    with autograd.record():
        l = head(gluon.loss.L2Loss()(net(features), labels))
    l.backward()
    trainer.step(batch_size)


def test_summed_loss_with_step_1():
    found, _ = lint(gluon_step, lambda l: l, 1)
    assert checks(found) == ["no-batch-average"]
    assert "summed 10 per-example losses and Trainer.step(1)" in str(found[0].message)
    found, _ = lint(gluon_step, lambda l: l.sum(), 1)
    assert "(l.sum().backward()) summed 10" in str(found[0].message)


def test_mean_loss_with_step_batch_size_still_double_average():
    found, _ = lint(gluon_step, lambda l: l.mean(), 10)
    assert checks(found) == ["double-average"]


def test_the_books_gluon_step_is_silent():
    assert lint(gluon_step, lambda l: l, 10)[0] == []
    assert lint(gluon_step, lambda l: l.mean(), 1)[0] == []


# ---- evaluation and dropout (d2l 3.6, 3.13) ----------------------------------------------

def classifier():
    net = nn.Sequential()
    net.add(nn.Dense(8, activation="relu"), nn.Dropout(0.5), nn.Dense(3))
    net.initialize(init.Normal(sigma=0.1))
    X = nd.array(np.random.default_rng(2).normal(size=(6, 4)))
    y = nd.array([0, 1, 2, 0, 1, 2])
    return net, X, y


def accuracy(y_hat, y):  # the book's
    return (y_hat.argmax(axis=1) == y.astype("float32")).mean().asscalar()


def test_evaluation_inside_record():
    net, X, y = classifier()

    def run():
        with autograd.record():
            l = gluon.loss.SoftmaxCrossEntropyLoss()(net(X), y)
            acc = accuracy(net(X), y)  # evaluated while recording
        l.backward()
        return acc

    found, _ = lint(run)
    assert checks(found) == ["eval-in-record"]  # and not the generic to-numpy
    message = str(found[0].message)
    assert "x.asscalar() inside autograd.record() of a value computed with " \
        "'broadcast_equal'" in message
    assert "training mode (dropout drops units" in message
    assert "d2l 3.6.5" in message


def test_evaluation_after_record_is_silent():
    net, X, y = classifier()

    def run():
        with autograd.record():
            l = gluon.loss.SoftmaxCrossEntropyLoss()(net(X), y)
        l.backward()
        return accuracy(net(X), y)

    assert lint(run)[0] == []


def test_dropout_active_at_test_time():
    net, X, y = classifier()

    def run():
        with autograd.train_mode():  # evaluation in training mode
            return net(X)

    found, _ = lint(run)
    assert checks(found) == ["dropout-at-test"]
    assert "Dropout(p=0.5) dropped elements outside autograd.record()" in \
        str(found[0].message)
    assert lint(net, X)[0] == []  # prediction mode: dropout off, nothing to say
    with autograd.record():  # training: dropout on, as it should be
        assert lint(net, X)[0] == []


# ---- exploding gradients in an RNN (d2l 6.4) ---------------------------------------------

def rnn_scratch(clip, steps=8, seed=3, T=20, n=4, hidden=8, lr=1.0):
    """A from-scratch RNN h_t = tanh(x_t W_xh + h_{t-1} W_hh), outputs h_t W_hq, trained
    with a hand-written sgd, and the book's grad_clipping (theta = 1) when ``clip``."""
    rng = np.random.default_rng(seed)
    W_xh = nd.array(rng.normal(scale=0.1, size=(3, hidden)))
    W_hh = nd.array(rng.normal(scale=0.5, size=(hidden, hidden)))
    W_hq = nd.array(rng.normal(scale=0.1, size=(hidden, 3)))
    params = [W_xh, W_hh, W_hq]
    for p in params:
        p.attach_grad()
    xs = [nd.array(rng.normal(size=(n, 3))) for _ in range(T)]
    ys = [nd.array(rng.normal(size=(n, 3))) for _ in range(T)]
    losses = []
    for _ in range(steps):
        with autograd.record():
            h, l = nd.zeros((n, hidden)), 0
            for x, y in zip(xs, ys):
                h = nd.tanh(nd.dot(x, W_xh) + nd.dot(h, W_hh))
                l = l + ((nd.dot(h, W_hq) - y) ** 2).sum()
            l = l / (n * T)
        l.backward()
        losses.append(float(l.asscalar()))
        if clip:  # the book's grad_clipping(params, theta, ctx)
            norm = nd.sqrt(sum((p.grad ** 2).sum() for p in params)).asscalar()
            if norm > 1:
                for p in params:
                    p.grad[:] *= 1 / norm
        for p in params:
            p[:] = p - lr * p.grad
    return losses


def test_exploding_gradients_in_an_rnn_without_clipping():
    found, losses = lint(rnn_scratch, False)
    assert checks(found) == ["exploding-gradient"]
    message = str(found[0].message)
    assert "uses the same weights at many time steps" in message
    assert "grad_clipping(params, theta, ctx)" in message and "d2l 6.4.4" in message
    assert losses[-1] > 1000 * losses[0]  # it did explode


def test_the_same_rnn_with_the_books_clipping_is_silent():
    found, losses = lint(rnn_scratch, True)
    assert found == []
    assert losses[-1] < losses[0]


# ---- the page the messages point to ------------------------------------------------------

def test_every_check_has_an_anchor_with_a_before_after_example_on_the_page():
    page = (ROOT / lint_module.DOCS_PAGE).read_text(encoding="utf-8")
    anchors = re.findall(r"^\.\. _([\w-]+):$", page, flags=re.M)
    assert set(lint_module.PAGES) | {"not-initialized"} <= set(anchors)
    sections = re.split(r"^\.\. _[\w-]+:$", page, flags=re.M)[1:]
    for name, text in zip(anchors, sections):
        assert "Before" in text and "After" in text, name
        assert ".. code-block:: python" in text or "::" in text, name
    # every message names its anchor
    for check, link in lint_module.PAGES.items():
        assert link == f"docs/mistakes.rst#{check}"


def test_the_not_initialized_help_names_an_anchor_of_the_page():
    from minigluon.gluon._parameter import NOT_INITIALIZED_HELP

    assert "docs/mistakes.rst#not-initialized" in NOT_INITIALIZED_HELP


# ---- no false alarms on the tutorials (slow: they train for real) ------------------------

RUN_WITH_LINTER = """
import runpy, sys, warnings
import matplotlib
matplotlib.use("Agg")
import minigluon as mx
from minigluon.debug import LintWarning
mx.debug.enable()
warnings.simplefilter("error", LintWarning)
runpy.run_path(sys.argv[1], run_name="__main__")
"""

CORRECT_TUTORIALS = sorted(p.name for p in (ROOT / "tutorials").glob("plot_*.py")
                           if "mistakes" not in p.name)


@pytest.mark.slow
@pytest.mark.parametrize("name", CORRECT_TUTORIALS)
def test_the_tutorials_train_without_a_lint_warning(name, tmp_path):
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", RUN_WITH_LINTER,
                           str(ROOT / "tutorials" / name)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
