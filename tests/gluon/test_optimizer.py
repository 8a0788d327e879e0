"""mx.optimizer against MXNet 1.9.1: golden trajectories, hand formulas (table F), registry.

tests/golden/optimizer.npz comes from tests/golden/make_optimizer_golden.py run under real
MXNet; here the same sequence of ``create``/``create_state``/``update`` calls is replayed.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pytest

import minigluon as mx
from minigluon import autograd, nd
from minigluon.base import NotAvailableError
from minigluon.optimizer import OPTIMIZERS
from minigluon.optimizer._mxnet_numerics import _dmlc_parse

GOLDEN = np.load(Path(__file__).parents[1] / "golden" / "optimizer.npz")
SPEC = json.loads(str(GOLDEN["spec"]))
RTOL = {"float64": 1e-10, "float32": 1e-6}


class Mults:
    """What the optimizer reads from a gluon Parameter."""

    def __init__(self, lr_mult: float, wd_mult: float) -> None:
        self.lr_mult = lr_mult
        self.wd_mult = wd_mult


def _states(st):
    # DCASGD's state is (None, previous weight) without momentum
    return [] if st is None else [s for s in st if s is not None] if isinstance(st, tuple) \
        else [st]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", SPEC["cases"], ids=[c["id"] for c in SPEC["cases"]])
def test_golden_trajectory(case, dtype):
    kwargs = dict(case["kwargs"])
    if case["extra"] != "no_param_dict":
        kwargs["param_dict"] = {i: Mults(*m) for i, m in enumerate(SPEC["mults"])}
    opt = mx.optimizer.create(case["name"], **kwargs)
    if f"{case['id']}/{dtype}/0" not in GOLDEN:
        pytest.skip(f"MXNet refuses {case['name']} on {dtype} weights")
    nparams = 1 if case["extra"] == "2d_only" else 2  # GroupAdaGrad: 2-d weights only
    weights = [nd.array(GOLDEN[f"w0/{p}"], dtype=dtype) for p in range(nparams)]
    states = [opt.create_state(i, w) for i, w in enumerate(weights)]
    for step in range(SPEC["steps"]):
        if isinstance(case["extra"], list) and case["extra"][1] == step:
            opt.set_learning_rate(case["extra"][2])
        for i, w in enumerate(weights):
            opt.update(i, w, nd.array(GOLDEN[f"g/{i}"][step], dtype=dtype), states[i])
            expected = GOLDEN[f"{case['id']}/{dtype}/{i}"][step]
            got = w.asnumpy()
            assert got.dtype == np.dtype(dtype)
            np.testing.assert_allclose(got, expected, rtol=RTOL[dtype], atol=0,
                                       err_msg=f"{case['id']} step {step} param {i}")
    for st, w in zip(states, weights):
        for s in _states(st):
            assert isinstance(s, nd.NDArray) and s.dtype == w.dtype  # no silent float64


def test_hyperparameters_are_read_as_mxnet_parses_them():
    values = GOLDEN["parse/values"]
    as_float = [float(_dmlc_parse(str(float(v)), np.float32)) for v in values]
    as_double = [float(_dmlc_parse(str(float(v)), np.float64)) for v in values]
    np.testing.assert_array_equal(as_float, GOLDEN["parse/float"])
    np.testing.assert_array_equal(as_double, GOLDEN["parse/double"])
    # the parse matters: correct rounding would differ on some of these values
    assert (GOLDEN["parse/float"] != values.astype(np.float32).astype(np.float64)).any()


# ---- table F: hand-checked values ------------------------------------------------------------
def _sgd_steps(steps, **kw):
    opt = mx.optimizer.create("sgd", learning_rate=0.1, **kw)
    opt.rescale_grad = 1 / 2  # trainer.step(2)
    w, g = nd.array([1, 2]), nd.array([4, 8])
    st = opt.create_state(0, w)
    for _ in range(steps):
        opt.update(0, w, g, st)
    return w.asnumpy()


@pytest.mark.parametrize("steps, kw, expected", [
    (1, {}, [0.8, 1.6]),                                  # F1
    (1, {"wd": 0.5}, [0.75, 1.5]),                        # F1: wd not divided by batch
    (2, {"momentum": 0.9}, [0.42, 0.84]),                 # F2
    (2, {"momentum": 0.9, "wd": 0.5}, [0.2875, 0.575]),   # F2
    (1, {"clip_gradient": 1.0, "wd": 0.5}, [0.85, 1.8]),  # F3: clip r·g, then add wd·w
])
def test_sgd_table_f(steps, kw, expected):
    np.testing.assert_allclose(_sgd_steps(steps, **kw), expected, rtol=1e-6)


def test_adam_formula_f4():
    opt = mx.optimizer.create("adam", wd=0.1, rescale_grad=0.5)
    w0, g = np.array([1.0, -2.0]), np.array([4.0, 1.0])
    w = nd.array(w0, dtype="float64")
    st = opt.create_state(0, w)
    m = v = np.zeros(2)
    ref = w0.copy()
    for t in (1, 2, 3):
        opt.update(0, w, nd.array(g, dtype="float64"), st)
        gp = 0.5 * g + 0.1 * ref
        m, v = 0.9 * m + 0.1 * gp, 0.999 * v + 0.001 * gp ** 2
        ref = ref - 0.001 * np.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t) * m / (np.sqrt(v) + 1e-8)
    np.testing.assert_allclose(w.asnumpy(), ref, rtol=1e-7)


def test_adam_counts_steps_per_index():
    a = mx.optimizer.create("adam", learning_rate=0.1)
    ws = [nd.array([1.0]), nd.array([1.0])]
    sts = [a.create_state(i, w) for i, w in enumerate(ws)]
    a.update(0, ws[0], nd.array([1.0]), sts[0])
    a.update(0, ws[0], nd.array([1.0]), sts[0])
    a.update(1, ws[1], nd.array([3.0]), sts[1])
    fresh = mx.optimizer.create("adam", learning_rate=0.1)
    w = nd.array([1.0])
    fresh.update(0, w, nd.array([3.0]), fresh.create_state(0, w))
    assert ws[1].asscalar() == w.asscalar()  # t = 1 for index 1
    assert a.num_update == 2 and a._index_update_count == {0: 2, 1: 1}


@pytest.mark.parametrize("name, lr", [("sgd", 0.01), ("nag", 0.01), ("adagrad", 0.01),
                                      ("rmsprop", 0.001), ("adadelta", 0.01),
                                      ("adam", 0.001), ("adamax", 0.002), ("nadam", 0.001),
                                      ("signum", 0.01), ("ftrl", 0.1), ("ftml", 0.01),
                                      ("dcasgd", 0.01)])
def test_default_learning_rates_f13(name, lr):
    assert mx.optimizer.create(name).learning_rate == lr


def test_adadelta_ignores_learning_rate_and_keeps_the_gradient():
    ws = []
    for lr in (0.01, 100.0):
        opt = mx.optimizer.create("adadelta", learning_rate=lr, rescale_grad=0.5)
        w, g = nd.array([1.0, 2.0]), nd.array([0.5, -1.0])
        opt.update(0, w, g, opt.create_state(0, w))
        ws.append(w.asnumpy())
        np.testing.assert_array_equal(g.asnumpy(), [0.5, -1.0])  # MXNet rescales it in place
    np.testing.assert_array_equal(ws[0], ws[1])


def test_ftrl_by_hand():
    # lr 0.1, lamda1 0.5, beta 1: z = g − sqrt(g²)·w/lr, n = g², w = (sign(z)·λ1 − z)/
    # ((β + sqrt(n))/lr) where |z| > λ1, else exactly 0
    opt = mx.optimizer.create("ftrl", lamda1=0.5, learning_rate=0.1)
    w = nd.array([1.0, 2.0, 0.0], dtype="float64")
    z, n = opt.create_state(0, w)
    opt.update(0, w, nd.array([0.4, -3.0, 0.3], dtype="float64"), (z, n))
    np.testing.assert_allclose(z.asnumpy(), [-3.6, -63.0, 0.3], rtol=1e-7)
    np.testing.assert_allclose(n.asnumpy(), [0.16, 9.0, 0.09], rtol=1e-7)
    np.testing.assert_allclose(w.asnumpy(), [3.1 / 14, 62.5 / 40, 0.0], rtol=1e-7)
    assert w.asnumpy()[2] == 0.0


def test_signum_without_momentum_refuses_wd_lh():
    opt = mx.optimizer.create("signum", momentum=0.0, wd_lh=0.1)
    assert opt.create_state(0, nd.zeros(2)) is None
    with pytest.raises(mx.base.MXNetError, match="takes no wd_lh"):
        opt.update(0, nd.zeros(2), nd.ones(2), None)


def test_opt_registry_is_a_view_of_the_registry():
    reg = mx.optimizer.Optimizer.opt_registry
    assert reg["adamax"] is mx.optimizer.Adamax and reg["nadam"] is mx.optimizer.Nadam
    assert {"sgd", "signum", "ftrl", "ftml", "dcasgd"} <= set(reg) and len(reg) >= 12
    assert "foo" not in reg and reg.get("foo") is None
    with pytest.raises(KeyError):
        reg["foo"]

    @mx.optimizer.register
    class Viewf19(mx.optimizer.SGD):
        pass

    try:
        assert reg["viewf19"] is Viewf19  # a view: later registrations show up
    finally:
        OPTIMIZERS.unregister("viewf19")
    assert "viewf19" not in reg


def test_mults_from_param_dict_and_names():
    opt = mx.optimizer.create("sgd", learning_rate=0.5, wd=0.1,
                              param_dict={0: Mults(2.0, 3.0)})
    assert (opt._get_lr(0), opt._get_wd(0)) == (1.0, pytest.approx(0.3))
    assert (opt._get_lr(1), opt._get_wd(1)) == (0.5, 0.1)
    opt = mx.optimizer.create("sgd", wd=0.1, param_idx2name={0: "fc_weight", 1: "fc_bias"})
    assert (opt._get_wd(0), opt._get_wd(1)) == (0.1, 0.0)
    opt.set_lr_mult({1: 4.0})
    assert opt._get_lr(1) == pytest.approx(0.04)


def test_learning_rate_setters_and_scheduler():
    opt = mx.optimizer.create("sgd", learning_rate=0.1)
    opt.set_learning_rate(0.5)
    assert opt.learning_rate == 0.5

    class Halve:
        base_lr = 1.0

        def __call__(self, num_update):
            return self.base_lr / 2 ** num_update

    opt = mx.optimizer.create("sgd", lr_scheduler=Halve())
    w = nd.array([0.0])
    opt.update(0, w, nd.array([-1.0]), None)
    assert opt.learning_rate == 0.5 and w.asscalar() == 0.5  # lr read after counting
    with pytest.raises(UserWarning, match="LRScheduler of the optimizer has already"):
        opt.set_learning_rate(0.1)
    with pytest.warns(UserWarning, match="overwritten"):
        sched = Halve()
        mx.optimizer.create("sgd", learning_rate=4.0, lr_scheduler=sched)
    assert sched.base_lr == 4.0


def test_update_works_inside_record():
    w = nd.array([1.0, 2.0])
    w.attach_grad()
    opt = mx.optimizer.create("sgd", learning_rate=1.0, momentum=0.5)
    st = opt.create_state(0, w)
    with autograd.record():
        y = (w * w).sum()
        opt.update(0, w, nd.array([1.0, 1.0]), st)
    assert not autograd.is_recording()
    np.testing.assert_array_equal(w.asnumpy(), [0.0, 1.0])
    del y


# ---- registry: create, register (F14, F16, F19) ------------------------------------------
def test_create_is_case_insensitive_and_errors_are_mxnets():
    assert type(mx.optimizer.create("SGD")) is mx.optimizer.SGD
    assert type(mx.optimizer.Optimizer.create_optimizer("Adam")) is mx.optimizer.Adam
    with pytest.raises(ValueError) as e:
        mx.optimizer.create("foo")
    assert str(e.value) == "Cannot find optimizer foo"
    for name in ("sgd", "adam", "rmsprop"):
        with pytest.raises(TypeError) as e:
            mx.optimizer.create(name, foo=1)
        assert str(e.value) == "Optimizer.__init__() got an unexpected keyword argument 'foo'"


def test_create_passes_instances_through():
    opt = mx.optimizer.SGD(learning_rate=0.3)
    assert mx.optimizer.create(opt) is opt
    with pytest.raises(TypeError, match="already an instance"):
        mx.optimizer.create(opt, learning_rate=0.1)
    with pytest.raises(TypeError, match="must be a str"):
        mx.optimizer.create(3)


def test_custom_optimizer_f19():
    calls = []

    @mx.optimizer.register
    class MySGDf19(mx.optimizer.Optimizer):
        def create_state(self, index, weight):
            return nd.zeros(weight.shape, weight.context, dtype=weight.dtype)

        def update(self, index, weight, grad, state):
            calls.append((index, self.rescale_grad, self._get_lr(index), self._get_wd(index)))
            state[:] = self.rescale_grad * grad
            weight[:] -= self._get_lr(index) * state + self._get_wd(index) * weight

    try:
        assert OPTIMIZERS.get("mysgdf19") is MySGDf19
        opt = mx.optimizer.create("MySGDf19", learning_rate=0.1, wd=0.01,
                                  param_dict={0: Mults(1.0, 1.0), 1: Mults(2.0, 0.0)})
        opt.rescale_grad = 1 / 4
        updater = mx.optimizer.get_updater(opt)
        ws = [nd.array([1.0, 2.0]), nd.array([3.0])]
        updater([0, 1], [nd.array([4.0, 4.0]), nd.array([8.0])], ws)
        assert calls == [(0, 0.25, 0.1, 0.01), (1, 0.25, 0.2, 0.0)]
        np.testing.assert_allclose(ws[0].asnumpy(), [0.89, 1.88], rtol=1e-6)
        np.testing.assert_allclose(ws[1].asnumpy(), [2.6], rtol=1e-6)
        np.testing.assert_array_equal(updater.states[1].asnumpy(), [2.0])
    finally:
        OPTIMIZERS.unregister("mysgdf19")  # keep the registry as other tests expect it


def test_register_again_warns_and_replaces():
    class Dupf19(mx.optimizer.SGD):
        pass

    first = Dupf19
    mx.optimizer.Optimizer.register(first)

    class Dupf19(mx.optimizer.SGD):  # noqa: F811  (a re-run notebook cell)
        pass

    try:
        with pytest.warns(UserWarning, match="is overriding existing optimizer"):
            mx.optimizer.register(Dupf19)
        assert OPTIMIZERS.get("dupf19") is Dupf19 is not first
    finally:
        OPTIMIZERS.unregister("dupf19")
    with pytest.raises(TypeError, match="subclass of Optimizer"):
        mx.optimizer.register(dict)
    assert OPTIMIZERS.group == "minigluon.optimizers"


def test_updater_states_round_trip():
    opt = mx.optimizer.create("adam", param_dict={0: Mults(1.0, 1.0)})
    up = mx.optimizer.get_updater(opt)
    w = nd.array([1.0, 2.0])
    up(0, nd.array([0.1, 0.2]), w)
    mean = up.states[0][0].asnumpy().copy()
    blob = up.get_states(dump_optimizer=True)
    other = mx.optimizer.get_updater(mx.optimizer.create("sgd"))
    other.set_states(blob)
    np.testing.assert_array_equal(other.states[0][0].asnumpy(), mean)
    assert isinstance(other.optimizer, mx.optimizer.Adam)
    assert other.optimizer.param_dict == {} and other.optimizer.num_update == 1
    restored = pickle.loads(pickle.dumps(opt))
    assert restored.param_dict == {} and opt.param_dict  # param_dict is not pickled


def test_unsupported_and_bad_inputs():
    with pytest.raises(NotAvailableError, match="Symbol"):
        mx.optimizer.SGD(sym=object())
    with pytest.raises(NotImplementedError, match="must implement update"):
        mx.optimizer.Optimizer().update(0, nd.zeros(1), nd.zeros(1), None)
    opt = mx.optimizer.create("sgd")
    with pytest.raises(TypeError, match="expected an NDArray"):
        opt.update(0, np.zeros(2), nd.zeros(2), None)


def test_plugins_come_from_the_entry_point_group(monkeypatch):
    import importlib.metadata
    import subprocess
    import sys

    code = ("import minigluon as mx; mx.optimizer.create('sgd'); "
            "print(mx.optimizer.OPTIMIZERS._plugins_loaded)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "False"  # importing and using built-ins scans nothing

    class PlugSGD(mx.optimizer.SGD):
        pass

    class EP:
        def __init__(self, name):
            self.name, self.value = name, f"someplugin:{name}"

        def load(self):
            return PlugSGD

    groups = []

    def fake_entry_points(group):
        groups.append(group)
        return [EP("plugsgd"), EP("adam")]

    monkeypatch.setattr(importlib.metadata, "entry_points", fake_entry_points)
    monkeypatch.setattr(OPTIMIZERS, "_plugins_loaded", False)
    try:
        with pytest.warns(UserWarning, match="'adam' from someplugin:adam is skipped"):
            opt = mx.optimizer.create("PlugSGD", momentum=0.5)
        assert type(opt) is PlugSGD and groups == ["minigluon.optimizers"]
        assert type(mx.optimizer.create("adam")) is mx.optimizer.Adam
    finally:
        if "plugsgd" in OPTIMIZERS._items:
            OPTIMIZERS.unregister("plugsgd")


# ---- ccSGD, GroupAdaGrad, LARS, LBSGD: what the trajectories do not show --------------------
def test_ccsgd_is_sgd():
    opt = mx.optimizer.create("ccsgd", momentum=0.9)
    assert isinstance(opt, mx.optimizer.SGD) and type(opt).__name__ == "ccSGD"


def test_groupadagrad_refuses_wd_and_non_2d_weights():
    opt = mx.optimizer.create("groupadagrad", wd=0.1)
    w = nd.ones((2, 3))
    st = opt.create_state(0, w)
    assert st.shape == (2, 1)
    with pytest.raises(Exception, match="Weight decay"):
        opt.update(0, w, nd.ones((2, 3)), st)
    with pytest.raises(Exception, match="2-d"):
        opt.create_state(1, nd.ones((3,)))


def test_lars_skips_biases_and_decays_only_weights():
    names = {0: "dense0_weight", 1: "dense0_bias", 2: "bn_gamma"}
    opt = mx.optimizer.create("lars", learning_rate=0.5, wd=0.1, eta=0.01,
                              param_idx2name=names)
    assert opt._get_wd(0) == 0.1 and opt._get_wd(1) == 0 and opt._get_wd(2) == 0
    w, g = nd.array([1.0, 2.0]), nd.array([0.5, 0.25])
    opt.update(1, w, g, None)  # a bias: plain SGD with the global rate, no wd
    np.testing.assert_allclose(w.asnumpy(), [0.75, 1.875], rtol=1e-6)


def test_lbsgd_sums_batch_scale_gradients():
    opt = mx.optimizer.create("lbsgd", learning_rate=0.1, batch_scale=2, warmup_epochs=0)
    w = nd.array([1.0])
    opt.update(0, w, nd.array([1.0]), None)
    assert w.asscalar() == 1.0  # first of two calls: only summed
    opt.update(0, w, nd.array([3.0]), None)
    # the mean gradient 2, at the rate 0.1 times batch_scale (warm-up over)
    np.testing.assert_allclose(w.asscalar(), 1.0 - 0.2 * 2.0, rtol=1e-6)
