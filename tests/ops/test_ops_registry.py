"""Every registered operator's VJP against float64 central differences, and the plugin
mechanisms (registration from user code and from an installed distribution)."""

import sys
import textwrap

import attrs
import numpy as np
import pytest

import minigluon as mx
from minigluon import autograd, nd
from minigluon.ops import OPS, Op, register_op
from minigluon.testing import check_grad, check_op

ALL_OPS = sorted(OPS)  # the registry after plugin discovery: plugins are checked too


@pytest.mark.parametrize("name", ALL_OPS)
def test_every_operator_gradient(name):
    reports = check_op(name)
    assert reports, f"{name} declares no samples"
    bad = [r for r in reports if not r.ok]
    assert not bad, "\n".join(map(repr, bad))


def test_registry_is_not_empty_and_covers_book_ops():
    for name in ["dot", "batch_dot", "relu", "sigmoid", "tanh", "softmax", "log_softmax",
                 "pick", "take", "one_hot", "concat", "stack", "where", "clip", "norm",
                 "sum", "mean", "max", "min", "argmax", "exp", "log", "sqrt", "reshape",
                 "transpose", "broadcast_add", "broadcast_to", "slice_axis", "flatten"]:
        assert name in OPS


@register_op
@attrs.frozen
class _WrongSquare(Op):
    """y = x**2.   VJP: dx = g * x (deliberately wrong: the 2 is missing)"""

    name = "_test_wrong_square"
    expose = False

    def forward(self, x):
        return x * x, (x,)

    def vjp(self, res, g):
        return (g * res[0],)

    @classmethod
    def samples(cls, rng):
        return [(cls(), [rng.uniform(1, 2, (3,))])]


def test_checker_catches_a_wrong_backward():
    (report,) = check_op("_test_wrong_square")
    assert not report.ok
    assert report.max_rel_err == pytest.approx(0.5, rel=1e-3)  # x vs 2x
    assert "backward formula" in report.hint
    text = repr(report)
    assert "MISMATCH" in text and "tape" in text and "numeric" in text
    OPS.unregister("_test_wrong_square")


def test_checker_hints_precision_for_float32():
    x = nd.array([1.0, 2.0, 3.0], dtype="float32")
    rep = check_grad(lambda a: a * a * a, [x], eps=1e-6, rtol=1e-9, atol=1e-12)
    assert not rep.ok
    assert "float64" in rep.hint


def test_registering_a_name_twice_needs_override():
    with pytest.raises(ValueError, match=r"'relu' is already registered \(by minigluon"):
        register_op(type("Relu2", (Op,), {"name": "relu"}))


def test_user_operator_from_test_module_is_differentiable():
    @register_op
    @attrs.frozen
    class Cube(Op):
        """y = x**3.   VJP: dx = 3 x**2 g"""

        name = "test_cube"
        method = "test_cube"

        def forward(self, x):
            return x ** 3, (x,)

        def vjp(self, res, g):
            return (3 * res[0] ** 2 * g,)

        @classmethod
        def samples(cls, rng):
            return [(cls(), [rng.normal(size=(2, 3))])]

    try:
        x = nd.array([1.0, 2.0])
        x.attach_grad()
        with autograd.record():
            y = nd.test_cube(x) + x.test_cube()
        y.backward()
        np.testing.assert_allclose(x.grad.asnumpy(), [6.0, 24.0])
        assert all(r.ok for r in check_op("test_cube"))
    finally:
        OPS.unregister("test_cube")
    assert not hasattr(nd, "test_cube") and not hasattr(mx.nd.NDArray, "test_cube")


PLUGIN = textwrap.dedent('''
    import attrs
    import numpy as np
    from minigluon.ops import Op

    @attrs.frozen
    class Softplus(Op):
        """y = log(1 + exp(x)).   VJP: dx = g * sigmoid(x)"""
        name = "demo_softplus"

        def forward(self, x):
            return np.logaddexp(0, x), (x,)

        def vjp(self, res, g):
            return (g / (1 + np.exp(-res[0])),)

        @classmethod
        def samples(cls, rng):
            return [(cls(), [rng.normal(size=(4,))])]
''')


def test_plugin_from_installed_distribution(tmp_path, monkeypatch):
    pkg = tmp_path / "mg_demo_plugin"
    pkg.mkdir()
    (pkg / "__init__.py").write_text(PLUGIN)
    dist = tmp_path / "mg_demo_plugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: mg-demo-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(
        "[minigluon.ops]\ndemo_softplus = mg_demo_plugin:Softplus\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(OPS, "_plugins_loaded", False)
    try:
        x = nd.array([0.0, 1.0], dtype="float64")
        x.attach_grad()
        with autograd.record():
            y = nd.demo_softplus(x)  # the first miss loads the entry point
        y.backward()
        np.testing.assert_allclose(y.asnumpy(), np.log1p(np.exp([0.0, 1.0])))
        np.testing.assert_allclose(x.grad.asnumpy(), 1 / (1 + np.exp([-0.0, -1.0])))
        assert "plugin mg_demo_plugin:Softplus" in OPS.owner("demo_softplus")
        assert all(r.ok for r in check_op("demo_softplus"))
    finally:
        if "demo_softplus" in OPS._items:
            OPS.unregister("demo_softplus")
        sys.modules.pop("mg_demo_plugin", None)


def test_plugin_cannot_replace_a_builtin(tmp_path, monkeypatch):
    pkg = tmp_path / "mg_bad_plugin"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("raise RuntimeError('must not be imported')\n")
    dist = tmp_path / "mg_bad_plugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: mg-bad-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[minigluon.ops]\nrelu = mg_bad_plugin:X\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(OPS, "_plugins_loaded", False)
    with pytest.warns(UserWarning, match="'relu' .* is skipped: the name is taken"):
        OPS.load_plugins()
    assert OPS.owner("relu") == "minigluon.ops.nn"


def test_testing_module_runs_as_a_script(capsys):
    from minigluon import testing

    assert testing.main([]) == 0
    out = capsys.readouterr().out
    assert "ok   dot" in out and " passed, 0 failed" in out


def test_check_grad_on_a_non_contiguous_input():
    # the central differences step each element of the input itself: a transposed
    # (non-contiguous) input once gave numeric gradients of 0 and a false mismatch
    x = np.random.default_rng(0).uniform(-2, 2, (3, 4)).T
    report = check_grad(lambda a: (a * a).sum(), [x])
    assert report.ok, repr(report)
    assert report.max_abs_err < 1e-6
