"""gluon.Trainer (semantics table F): updates, stale gradients, states."""

from __future__ import annotations

import os

import numpy as np
import pytest
from gluon_golden import GOLDEN, G, programs

import minigluon as mx
from minigluon import autograd, gluon, nd
from minigluon.gluon import nn
from minigluon.gluon.trainer import StaleGradientError


@pytest.mark.parametrize("prog", programs("trainer_"),
                         ids=lambda p: p.__name__)
def test_matches_mxnet(prog):
    problems = G.compare(prog, mx, GOLDEN)
    assert not problems, "\n".join(problems)


def _net():
    net = nn.Sequential()
    net.add(nn.Dense(3, in_units=4, activation="tanh"), nn.Dense(1, in_units=3))
    net.initialize(mx.init.Normal(0.5))
    return net


def _backward(net, x, y):
    with autograd.record():
        loss = gluon.loss.L2Loss()(net(x), y)
    loss.backward()


def _values(net):
    return [p.data().asnumpy().copy() for p in net.collect_params().values()]


def test_hand_formula_f1():
    w = gluon.Parameter("w", shape=(2,))
    w.initialize(init="zeros")
    w.set_data(nd.array([1, 2]))
    tr = gluon.Trainer([w], "sgd", {"learning_rate": 0.1, "wd": 0.5})
    with autograd.record():
        (w.data() * nd.array([4, 8])).sum().backward()
    tr.step(2)
    np.testing.assert_allclose(w.data().asnumpy(), [0.75, 1.5])  # w - lr (g/2 + wd w)
    assert tr.optimizer.rescale_grad == 0.5  # F5
    np.testing.assert_array_equal(w.grad().asnumpy(), [4, 8])  # F6: not zeroed


def test_stale_gradient_error_class_and_no_partial_update():
    net = _net()
    x, y = nd.ones((2, 4)), nd.zeros((2, 1))
    tr = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1})
    _backward(net, x, y)
    tr.step(2)
    before = _values(net)
    with pytest.raises(StaleGradientError) as e:
        tr.step(2)
    assert isinstance(e.value, UserWarning) and isinstance(e.value, mx.base.MXNetError)
    assert str(e.value).startswith("Gradient of Parameter `dense0_bias` on context cpu(0) "
                                   "has not been updated by backward since last `step`.")
    for a, b in zip(before, _values(net)):
        np.testing.assert_array_equal(a, b)


def test_failed_step_keeps_fresh_gradients_fresh():
    """MXNet clears the freshness of the parameters checked before the failing one;
    minigluon checks everything first, so a failed step changes nothing."""
    net = _net()
    extra = gluon.Parameter("zzz_unused", shape=(1,))
    extra.initialize()
    params = list(net.collect_params().values()) + [extra]
    tr = gluon.Trainer(params, "sgd", {"learning_rate": 0.1})
    _backward(net, nd.ones((2, 4)), nd.zeros((2, 1)))
    with pytest.raises(StaleGradientError, match="zzz_unused"):
        tr.step(2)
    before = _values(net)
    tr.step(2, ignore_stale_grad=True)  # the used parameters are still fresh: updated
    assert all((a != b).any() for a, b in zip(before, _values(net)))


def test_trainer_built_before_force_reinit_updates_the_new_arrays_f18():
    net = _net()
    tr = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 1.0})
    net.initialize(mx.init.One(), force_reinit=True)
    _backward(net, nd.ones((1, 4)), nd.zeros((1, 1)))
    tr.step(1)
    assert (net[1].weight.data().asnumpy() != 1).all()


def test_lr_and_wd_multipliers_come_from_the_parameters():
    w = gluon.Parameter("w", shape=(1,), lr_mult=2.0, wd_mult=0.0)
    w.initialize(init="ones")
    tr = gluon.Trainer([w], "sgd", {"learning_rate": 0.1, "wd": 10.0})
    with autograd.record():
        (w.data() * 3).sum().backward()
    tr.step(1)
    np.testing.assert_allclose(w.data().asnumpy(), [1 - 0.2 * 3])


def test_learning_rate_property_and_setter_f12():
    tr = gluon.Trainer(_net().collect_params(), "sgd", {"learning_rate": 0.1})
    assert tr.learning_rate == 0.1
    tr.set_learning_rate(0.5)
    assert tr.learning_rate == 0.5
    with pytest.raises(AttributeError):
        tr.learning_rate = 1.0


def test_kvstore_arguments_are_accepted_and_update_splits_step():
    net = _net()
    tr = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1}, kvstore="local",
                       update_on_kvstore=False)
    _backward(net, nd.ones((2, 4)), nd.zeros((2, 1)))
    before = _values(net)
    tr.allreduce_grads()
    tr.update(2)
    assert any((a != b).any() for a, b in zip(before, _values(net)))


# ---- optimizer states ----------------------------------------------------------------------

def _train(tr, net, steps, rs):
    for _ in range(steps):
        x, y = nd.array(rs.normal(size=(4, 4))), nd.array(rs.normal(size=(4, 1)))
        _backward(net, x, y)
        tr.step(4)


@pytest.mark.parametrize("opt,params", [("adam", {"learning_rate": 0.01}),
                                        ("sgd", {"learning_rate": 0.1, "momentum": 0.9}),
                                        ("sgd", {"learning_rate": 0.1})])
def test_save_load_states_resumes_exactly(tmp_path, opt, params):
    net = _net()
    tr = gluon.Trainer(net.collect_params(), opt, params)
    rs = np.random.RandomState(0)
    _train(tr, net, 3, rs)
    f = str(tmp_path / "t.states")
    tr.save_states(f)
    middle = _values(net)
    _train(tr, net, 2, rs)
    expected = _values(net)

    gluon.reset_name_counters()
    net2 = _net()
    for p, v in zip(net2.collect_params().values(), middle):
        p.set_data(v)
    tr2 = gluon.Trainer(net2.collect_params(), opt, {**params, "learning_rate": 123.0})
    tr2.load_states(f)
    assert tr2.learning_rate == params["learning_rate"]  # the saved optimizer comes back
    _train(tr2, net2, 2, _after_three_steps(seed=0))
    for a, b in zip(expected, _values(net2)):
        np.testing.assert_array_equal(a, b)
    # without the states (fresh momentum / moving averages) the result differs
    for p, v in zip(net2.collect_params().values(), middle):
        p.set_data(v)
    tr3 = gluon.Trainer(net2.collect_params(), opt, params)
    _train(tr3, net2, 2, _after_three_steps(seed=0))
    differs = any((a != b).any() for a, b in zip(expected, _values(net2)))
    assert differs == (opt == "adam" or "momentum" in params)


def _after_three_steps(seed: int) -> np.random.RandomState:
    """The data stream of the first run, positioned after its first three steps."""
    r = np.random.RandomState(seed)
    for _ in range(3):
        r.normal(size=(4, 4))
        r.normal(size=(4, 1))
    return r


def test_load_states_refuses_foreign_and_corrupt_files(tmp_path):
    net = _net()
    tr = gluon.Trainer(net.collect_params(), "adam")
    _train(tr, net, 1, np.random.RandomState(0))
    good = tmp_path / "good.states"
    tr.save_states(str(good))
    states_before = {k: tuple(s.asnumpy().copy() for s in v)
                     for k, v in tr._updater.states.items()}

    corrupt = tmp_path / "corrupt.states"
    corrupt.write_bytes(good.read_bytes()[:-7])
    params_file = tmp_path / "net.params"
    net.save_parameters(str(params_file))
    npy = tmp_path / "x.npy"
    np.save(npy, np.ones(3))
    for bad, match in ((corrupt, "not a file written by Trainer.save_states"),
                       (params_file, "no '__meta__' entry"),
                       (npy, "NumPy .npy")):
        with pytest.raises(mx.base.MXNetError, match=match):
            tr.load_states(str(bad))
    with pytest.raises(mx.base.MXNetError, match="saved for optimizer 'adam', but this "
                                                 "Trainer uses 'sgd'"):
        gluon.Trainer(net.collect_params(), "sgd").load_states(str(good))
    gluon.reset_name_counters()
    other = nn.Sequential()
    other.add(nn.Dense(5, in_units=4), nn.Dense(1, in_units=5))
    other.initialize()
    with pytest.raises(mx.base.MXNetError, match="has shape \\(3,\\) but Parameter"):
        gluon.Trainer(other.collect_params(), "adam").load_states(str(good))
    with pytest.raises(FileNotFoundError):
        tr.load_states(str(tmp_path / "missing"))
    for k, v in tr._updater.states.items():  # nothing changed by the failures
        for a, b in zip(states_before[k], v):
            np.testing.assert_array_equal(a, b.asnumpy())


def test_save_states_is_atomic(tmp_path, monkeypatch):
    net = _net()
    tr = gluon.Trainer(net.collect_params(), "adam")
    _train(tr, net, 1, np.random.RandomState(0))
    f = tmp_path / "t.states"
    f.write_bytes(b"old content")

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(OSError, match="disk full"):
        tr.save_states(str(f))
    assert f.read_bytes() == b"old content"
    assert [p.name for p in tmp_path.iterdir()] == ["t.states"]
