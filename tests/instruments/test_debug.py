"""The training-loop linter (minigluon.debug): each check fires on a minimal version of the
mistake it is for, stays silent on the correct code, and is off unless switched on."""

import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

import minigluon as mx
from minigluon import autograd, debug, gluon, nd
from minigluon.base import MinigluonError
from minigluon.debug import LintWarning
from minigluon.gluon import nn
from minigluon.gluon.trainer import StaleGradientError
from minigluon.instruments import lint as lint_module


@pytest.fixture(autouse=True)
def _linter_on():
    """The tests run with the linter on, and leave it off."""
    debug.enable()
    yield
    debug.disable()


def lint(fn, *args):
    """Run ``fn`` and return the LintWarnings it issued (each check's name first)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fn(*args)
    return [w for w in caught if issubclass(w.category, LintWarning)]


def checks(found):
    return [str(w.message).split("]")[0][1:] for w in found]


def regression_data(n=4):
    X = nd.array(np.arange(3 * n, dtype=np.float32).reshape(n, 3) / 10)
    y = nd.array(np.arange(n, dtype=np.float32).reshape(n, 1))
    return X, y


def dense_net():
    net = nn.Dense(1, in_units=3)
    net.initialize(mx.init.Constant(0.1))
    return net


# ---- 1. grad_req='add' and gradients never zeroed ---------------------------------------

def scratch_loop(zero):
    """Linear regression from scratch with grad_req='add' and a hand-written SGD."""
    X, y = regression_data()
    w = nd.zeros((3, 1))
    w.attach_grad(grad_req="add")
    grads = []
    for _ in range(3):
        with autograd.record():
            loss = ((nd.dot(X, w) - y) ** 2).sum()
        loss.backward()
        grads.append(w.grad.asnumpy().copy())
        w[:] = w - 0.01 * w.grad
        if zero:
            w.grad[:] = 0
    return grads


def test_add_not_zeroed_in_a_scratch_loop():
    found = lint(scratch_loop, False)
    assert checks(found) == ["add-not-zeroed", "add-not-zeroed"]  # iterations 2 and 3
    message = str(found[0].message)
    assert "a variable of shape (3, 1) has grad_req='add'" in message
    assert "x.grad[:] = 0" in message and "docs/mistakes.rst#add-not-zeroed" in message
    assert found[0].filename == __file__  # attributed to the learner's line


def test_add_zeroed_after_each_update_is_silent():
    assert lint(scratch_loop, True) == []


def test_add_not_zeroed_with_a_trainer_names_the_parameter():
    X, y = regression_data()
    loss = gluon.loss.L2Loss()

    def two_steps(zero):
        net = dense_net()
        net.collect_params().setattr("grad_req", "add")
        trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1})
        for _ in range(2):
            with autograd.record():
                l = loss(net(X), y)
            l.backward()
            trainer.step(4)
            if zero:
                net.collect_params().zero_grad()

    found = lint(two_steps, False)
    assert checks(found) == ["add-not-zeroed", "add-not-zeroed"]
    assert {str(w.message).split(" has")[0] for w in found} == \
        {"[add-not-zeroed] 'dense0_weight'", "[add-not-zeroed] 'dense0_bias'"}
    assert lint(two_steps, True) == []


def test_accumulating_several_batches_before_one_step_is_silent():
    X, y = regression_data(8)
    net = dense_net()
    net.collect_params().setattr("grad_req", "add")
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1})
    loss = gluon.loss.L2Loss()

    def accumulate():
        for _ in range(2):
            for part in (slice(0, 4), slice(4, 8)):  # two micro-batches per step
                with autograd.record():
                    l = loss(net(X[part]), y[part])
                l.backward()
            trainer.step(8)
            net.collect_params().zero_grad()

    assert lint(accumulate) == []


# ---- 2. attach_grad on an intermediate inside record() -----------------------------------

def test_attach_grad_on_an_intermediate_warns_and_cuts_the_graph():
    x = nd.array([1.0, 2.0])
    x.attach_grad()

    def mistake():
        with autograd.record():
            h = x * 2
            h.attach_grad()
            y = (h * h).sum()
        y.backward()
        return h

    found = lint(mistake)
    assert checks(found) == ["attach-grad-intermediate"]
    assert "operator '_mul_scalar' cuts the graph" in str(found[0].message)
    assert "docs/mistakes.rst#attach-grad-intermediate" in str(found[0].message)
    np.testing.assert_array_equal(x.grad.asnumpy(), [0, 0])  # the cut: nothing reached x


def test_attach_grad_before_record_or_on_a_new_array_is_silent():
    def correct():
        x = nd.array([1.0, 2.0])
        x.attach_grad()
        with autograd.record():
            b = nd.ones((2,))  # a new array, made a variable inside record(): no cut
            b.attach_grad()
            y = (x * b * 2).sum()
        y.backward()
        np.testing.assert_array_equal(x.grad.asnumpy(), [2, 2])

    assert lint(correct) == []


# ---- 3. a head that depends on no variable with a gradient -------------------------------

def test_backward_without_attach_grad_warns_before_the_error():
    X, y = regression_data()
    w = nd.zeros((3, 1))  # attach_grad() forgotten

    def mistake():
        with autograd.record():
            loss = ((nd.dot(X, w) - y) ** 2).sum()
        with pytest.raises(MinigluonError, match="not in a computational graph"):
            loss.backward()

    found = lint(mistake)
    assert checks(found) == ["no-variable"]
    assert "in no recorded graph" in str(found[0].message)
    assert "docs/mistakes.rst#no-variable" in str(found[0].message)


def test_all_variables_null_warns_before_the_error():
    x = nd.array([1.0, 2.0])
    x.attach_grad(grad_req="null")

    def mistake():
        with autograd.record():
            y = (x * x).sum()
        with pytest.raises(MinigluonError, match="no inputs in computation graph"):
            y.backward()

    found = lint(mistake)
    assert checks(found) == ["no-variable"]
    assert "depends on 1 variable(s), all with grad_req='null'" in str(found[0].message)


def test_autograd_grad_of_an_unrecorded_head_warns():
    x = nd.array([1.0, 2.0])
    x.attach_grad()

    def mistake():
        y = (x * x).sum()  # outside record()
        with pytest.raises(MinigluonError, match="not in a computational graph"):
            autograd.grad(y, [x])

    assert checks(lint(mistake)) == ["no-variable"]


def test_a_head_with_some_variables_is_silent():
    x, frozen = nd.array([1.0, 2.0]), nd.array([3.0, 4.0])
    x.attach_grad()
    frozen.attach_grad(grad_req="null")

    def correct():
        with autograd.record():
            y = (x * frozen).sum()
        y.backward()
        np.testing.assert_array_equal(x.grad.asnumpy(), [3, 4])

    assert lint(correct) == []


# ---- 4. an averaged loss and step(batch_size) --------------------------------------------

def one_step(make_head, batch_size):
    """Weight change of one SGD step from a fresh network."""
    X, y = regression_data()
    net = dense_net()
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1})
    loss = gluon.loss.L2Loss()
    before = net.weight.data().asnumpy().copy()
    with autograd.record():
        head = make_head(loss(net(X), y))
    head.backward()
    trainer.step(batch_size)
    return net.weight.data().asnumpy() - before


def test_mean_loss_with_step_batch_size_warns():
    found = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        averaged = one_step(lambda l: l.mean(), 4)
    found = [w for w in caught if issubclass(w.category, LintWarning)]
    assert checks(found) == ["double-average"]
    message = str(found[0].message)
    assert "made by 'mean'" in message and "Trainer.step(4)" in message
    assert "4 times smaller" in message
    # and it is true: the step is 4 times smaller than with the per-example loss
    summed = one_step(lambda l: l, 4)
    np.testing.assert_allclose(summed, 4 * averaged, rtol=1e-5)


def test_sum_divided_by_the_batch_size_warns():
    found = lint(one_step, lambda l: l.sum() / 4, 4)
    assert checks(found) == ["double-average"]
    assert "made by '_div_scalar' (like l.sum() / 4)" in str(found[0].message)


def test_per_example_loss_or_mean_with_step_1_is_silent():
    assert lint(one_step, lambda l: l, 4) == []
    assert lint(one_step, lambda l: l.mean(), 1) == []
    assert lint(one_step, lambda l: l.sum() / 2, 4) == []  # not the batch size


def test_a_backward_informs_one_step_only():
    X, y = regression_data()
    net = dense_net()
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1})

    def twice():
        with autograd.record():
            l = gluon.loss.L2Loss()(net(X), y).mean()
        l.backward()
        trainer.step(4)
        trainer.step(4, ignore_stale_grad=True)  # no new backward: nothing to say on 4.

    assert checks(lint(twice)) == ["double-average", "stale-skipped"]


# ---- 5. ignore_stale_grad=True skipping parameters ---------------------------------------

class WithUnusedLayer(nn.Block):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.used = nn.Dense(1, in_units=3)
        self.unused = nn.Dense(1, in_units=3)  # forgotten in forward

    def forward(self, x):
        return self.used(x)


def test_ignore_stale_grad_skipping_parameters_warns_with_their_names():
    X, y = regression_data()
    net = WithUnusedLayer()
    net.initialize()
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1})
    before = net.unused.weight.data().asnumpy().copy()

    def mistake():
        with autograd.record():
            l = gluon.loss.L2Loss()(net(X), y)
        l.backward()
        trainer.step(4, ignore_stale_grad=True)

    found = lint(mistake)
    assert checks(found) == ["stale-skipped"]
    assert "skipped 2 parameter(s)" in str(found[0].message)
    assert "leaving them unchanged: 'dense1_bias', 'dense1_weight'." in str(found[0].message)
    np.testing.assert_array_equal(net.unused.weight.data().asnumpy(), before)


def test_stale_grads_raising_or_frozen_parameters_are_silent():
    X, y = regression_data()
    net = WithUnusedLayer()
    net.initialize()
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1})

    def step(ignore):
        with autograd.record():
            l = gluon.loss.L2Loss()(net(X), y)
        l.backward()
        trainer.step(4, ignore_stale_grad=ignore)

    def raises():
        with pytest.raises(StaleGradientError):
            step(False)

    assert lint(raises) == []  # the error already says it
    net.unused.collect_params().setattr("grad_req", "null")  # frozen on purpose
    assert lint(step, True) == []


# ---- 6. NDArray -> NumPy while recording -------------------------------------------------

def test_asnumpy_in_record_warns_and_the_gradient_stops():
    x = nd.array([1.0, 2.0])
    x.attach_grad()

    def mistake():
        with autograd.record():
            h = x * 3
            y = nd.array(np.tanh(h.asnumpy()))  # NumPy activation: off the tape
            loss = (y * x).sum()
        loss.backward()

    found = lint(mistake)
    assert checks(found) == ["to-numpy"]
    assert str(found[0].message).startswith(
        "[to-numpy] x.asnumpy() inside autograd.record() on an array in the graph")
    assert "docs/mistakes.rst#to-numpy" in str(found[0].message)
    # only the direct path remains: d/dx of y*x with y constant is tanh(3x)
    np.testing.assert_allclose(x.grad.asnumpy(), np.tanh([3.0, 6.0]), rtol=1e-6)


@pytest.mark.parametrize("convert, how", [(np.asarray, "np.asarray(x)"),
                                          (lambda a: float(a.sum()), "float(x)")])
def test_other_conversions_in_record_warn(convert, how):
    x = nd.array([1.0, 2.0])
    x.attach_grad()

    def mistake():
        with autograd.record():
            convert(x * 2)

    found = lint(mistake)
    assert checks(found) == ["to-numpy"]
    assert str(found[0].message).startswith(f"[to-numpy] {how} inside autograd.record()")


def test_conversions_after_record_under_pause_or_of_data_are_silent():
    X, y = regression_data()
    w = nd.zeros((3, 1))
    w.attach_grad()

    def correct():
        with autograd.record():
            X.asnumpy()  # data: not in the graph
            l = ((nd.dot(X, w) - y) ** 2).sum()
            with autograd.pause():
                float(l)  # logging, explicitly off the tape
        l.backward()
        return float(l), w.grad.asnumpy()

    assert lint(correct) == []


# ---- switching it on and off -------------------------------------------------------------

def test_off_means_no_check_runs(monkeypatch):
    debug.disable()

    def boom(*args):
        raise AssertionError("a check ran while the linter was off")

    for name in ("check_attach_grad", "check_to_numpy", "check_backward", "check_grad",
                 "check_step"):
        monkeypatch.setattr(lint_module, name, boom)
    assert lint(scratch_loop, False) == []
    assert lint(one_step, lambda l: l.mean(), 4) == []


def test_enable_disable_and_the_context_manager():
    debug.disable()
    assert not debug.enabled() and not mx.debug.ON
    with mx.debug():
        assert debug.enabled()
        with mx.debug(False):
            assert not debug.enabled()
        assert debug.enabled()
    assert not debug.enabled()
    with debug.scope():
        assert checks(lint(scratch_loop, False)) == ["add-not-zeroed", "add-not-zeroed"]
    assert not debug.enabled()
    mx.debug()  # as a plain call it just turns the linter on
    assert debug.enabled()
    debug.disable()
    assert lint(scratch_loop, False) == []


MISTAKE = """
import warnings
import minigluon as mx
from minigluon import nd, autograd
print(mx.debug.enabled())
x = nd.array([1.0, 2.0]); x.attach_grad()
with autograd.record():
    h = x * 2
    h.attach_grad()
"""


@pytest.mark.parametrize("value, on", [(None, False), ("1", True), ("0", False)])
def test_environment_variable(value, on):
    env = {k: v for k, v in os.environ.items() if k != "MINIGLUON_DEBUG"}
    if value is not None:
        env["MINIGLUON_DEBUG"] = value
    done = subprocess.run([sys.executable, "-c", MISTAKE], env=env, capture_output=True,
                          text=True, timeout=60, check=True)
    assert done.stdout.strip() == str(on)
    assert ("LintWarning: [attach-grad-intermediate]" in done.stderr) == on
