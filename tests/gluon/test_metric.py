"""mx.metric against what MXNet 1.9.1's metrics report (golden values), plus properties."""

import importlib.util
import math
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minigluon as mx

GOLDEN_DIR = Path(__file__).parents[1] / "golden"
_spec = importlib.util.spec_from_file_location(
    "make_metric_golden", GOLDEN_DIR / "make_metric_golden.py")
G = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(G)
GOLDEN = np.load(GOLDEN_DIR / "metric.npz")
SCENARIOS = G.scenarios(mx)
ERRORS = G.errors(mx)
CONFIGS = G.configs(mx)


@pytest.mark.parametrize("key", sorted(k for k in SCENARIOS if not k.endswith("/names")))
def test_values_match_mxnet(key):
    # float32 sums (Loss, Perplexity) may differ from MXNet's in the last bits
    np.testing.assert_allclose(SCENARIOS[key], GOLDEN[key], rtol=1e-6, atol=0)


@pytest.mark.parametrize("key", sorted(k for k in SCENARIOS if k.endswith("/names")))
def test_names_and_str_match_mxnet(key):
    assert list(SCENARIOS[key]) == list(GOLDEN[key])


@pytest.mark.parametrize("key", sorted(ERRORS))
def test_errors_match_mxnet(key):
    assert ERRORS[key] == str(GOLDEN["error/" + key])


@pytest.mark.parametrize("key", sorted(CONFIGS))
def test_config_round_trip_matches_mxnet(key):
    assert CONFIGS[key] == str(GOLDEN["config/" + key])


def test_same_names_registered_as_mxnet():
    assert sorted(mx.metric.METRICS) == list(GOLDEN["registered"])


def test_get_before_update_is_nan_and_values_print_as_python_floats():
    m = mx.metric.Accuracy()
    name, value = m.get()
    assert name == "accuracy" and math.isnan(value)
    m.update([mx.nd.array([0, 1])], [mx.nd.array([[1, 0], [1, 0]])])
    assert repr(m.get()) == "('accuracy', 0.5)"
    assert str(m) == "EvalMetric: {'accuracy': 0.5}"


def test_composite_has_no_totals_of_its_own_and_returns_its_index_error():
    c = mx.metric.create(["acc", "mse"])
    assert not hasattr(c, "num_inst")  # as MXNet: its reset never sets them
    assert isinstance(c.get_metric(0), mx.metric.Accuracy)
    err = c.get_metric(5)
    assert isinstance(err, ValueError) and "out of range 0 and 2" in str(err)


def test_update_dict_picks_named_outputs():
    m = mx.metric.Accuracy(output_names=["b"], label_names=["y"])
    m.update_dict({"y": mx.nd.array([1, 1]), "z": mx.nd.array([0, 0])},
                  {"a": mx.nd.array([[1, 0], [1, 0]]), "b": mx.nd.array([[0, 1], [1, 0]])})
    assert m.get() == ("accuracy", 0.5)
    c = mx.metric.CompositeEvalMetric([m], label_names=["y"], output_names=["b"])
    c.update_dict({"y": mx.nd.array([1, 1])}, {"b": mx.nd.array([[0, 1], [0, 1]])})
    assert c.get() == (["accuracy"], [0.75])


def test_create_from_json_and_callable_names():
    assert mx.metric.create('["top_k_accuracy", {"top_k": 3}]').name == "top_k_accuracy_3"
    assert mx.metric.create('{"metric": "ce", "eps": 0.5}').eps == 0.5
    assert mx.metric.create(lambda lab, pred: 0.0).name == "custom(<lambda>)"
    assert mx.metric.create("ACC").name == "accuracy"


def test_user_metric_registers_without_touching_minigluon():
    @mx.metric.register
    @mx.metric.alias("always_one_alias")
    class AlwaysOne(mx.metric.EvalMetric):
        def __init__(self, name="always_one"):
            super().__init__(name)

        def update(self, labels, preds):
            self.sum_metric += 1
            self.num_inst += 1

    try:
        m = mx.metric.create("always_one_alias")
        m.update([], [])
        assert m.get() == ("always_one", 1.0)
        assert isinstance(mx.metric.create("alwaysone"), AlwaysOne)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")

            @mx.metric.register
            class AlwaysOne(mx.metric.EvalMetric):  # noqa: F811 - re-registered on purpose
                pass
        assert any("overriding existing metric" in str(w.message) for w in caught)
    finally:
        mx.metric.METRICS.unregister("alwaysone")
        mx.metric.METRICS.unregister("always_one_alias")


def test_mxnet_names_through_compat():
    code = ("import minigluon.compat; minigluon.compat.install()\n"
            "import mxnet as mx\nfrom mxnet import metric\nimport mxnet.metric as mm\n"
            "assert metric is mm is mx.metric\nprint(metric.create('acc').name)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=Path(__file__).parents[2], check=True)
    assert out.stdout.strip() == "accuracy"


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 12), c=st.integers(2, 6), seed=st.integers(0, 2 ** 16))
def test_accuracy_is_the_argmax_match_rate(n, c, seed):
    rs = np.random.RandomState(seed)
    scores = rs.randn(n, c).astype("float32")
    labels = rs.randint(0, c, n)
    m = mx.metric.Accuracy()
    m.update([mx.nd.array(labels)], [mx.nd.array(scores)])
    assert m.get()[1] == pytest.approx(np.mean(scores.argmax(1) == labels))
    # top-k with k = number of classes sees every label
    t = mx.metric.TopKAccuracy(top_k=max(c, 2))
    t.update([mx.nd.array(labels)], [mx.nd.array(scores)])
    assert t.get()[1] == 1.0


@settings(max_examples=40, deadline=None)
@given(shape=st.lists(st.integers(1, 5), min_size=1, max_size=3),
       seed=st.integers(0, 2 ** 16))
def test_regression_metrics_on_any_shape(shape, seed):
    rs = np.random.RandomState(seed)
    a, b = rs.randn(*shape).astype("float32"), rs.randn(*shape).astype("float32")
    for m, want in ((mx.metric.MAE(), np.abs(a - b).mean()),
                    (mx.metric.MSE(), ((a - b) ** 2).mean()),
                    (mx.metric.RMSE(), np.sqrt(((a - b) ** 2).mean()))):
        m.update([mx.nd.array(a)], [mx.nd.array(b)])
        assert m.get()[1] == pytest.approx(float(want), rel=1e-5)
        m.reset_local()
        assert math.isnan(m.get()[1]) and m.get_global()[1] == pytest.approx(float(want),
                                                                          rel=1e-5)


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 10), seed=st.integers(0, 2 ** 16))
def test_perplexity_of_cross_entropy(n, seed):
    rs = np.random.RandomState(seed)
    p = rs.rand(n, 4).astype("float32") + 0.1
    p /= p.sum(1, keepdims=True)
    labels = rs.randint(0, 4, n)
    ce, pp = mx.metric.CrossEntropy(), mx.metric.Perplexity(ignore_label=None)
    for m in (ce, pp):
        m.update([mx.nd.array(labels)], [mx.nd.array(p)])
    assert pp.get()[1] == pytest.approx(math.exp(ce.get()[1]), rel=1e-5)
