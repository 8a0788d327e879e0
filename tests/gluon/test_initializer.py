"""mx.init against MXNet 1.9.1 (semantics table H and tests/golden/initializer.npz)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import minigluon as mx
from minigluon import autograd, init, nd
from minigluon.initializer import INITIALIZERS

GOLDEN = np.load(Path(__file__).parents[1] / "golden" / "initializer.npz")


def make(expr):
    return eval("mx.init." + expr, {"mx": mx})


def fill(initializer, shape, name="p_weight", dtype="float32"):
    arr = nd.zeros(shape, dtype=dtype)
    initializer(name, arr)
    return arr


@pytest.fixture
def scratch_registry():
    """Registers made by a test are removed afterwards."""
    before = set(INITIALIZERS._items)
    yield
    for name in set(INITIALIZERS._items) - before:
        INITIALIZERS.unregister(name)


# ---- golden ----------------------------------------------------------------------------
def test_dumps_h11():
    for expr, expected in json.loads(str(GOLDEN["dumps"])).items():
        assert make(expr).dumps() == expected, expr
        assert make(expr) == init.create(expected)  # dumps() reads back


@pytest.mark.parametrize("key", [k for k in GOLDEN.files if k.startswith("array/")])
def test_deterministic_initializers(key):
    _, expr, shape = key.split("/")
    got = fill(make(expr), eval(shape)).asnumpy()
    np.testing.assert_array_equal(got, GOLDEN[key])


BOUNDS = {  # the largest value each draws: scale for uniform, None for unbounded
    "Uniform()": 0.07, "Xavier()/(400, 300)": np.sqrt(3 / 350),
    "Xavier()/(64, 32, 3, 3)": np.sqrt(3 / (48 * 9)),
    "Xavier('uniform', 'out', 3)": np.sqrt(3 / 400)}


@pytest.mark.parametrize("key", [k for k in GOLDEN.files if k.startswith("stats/")])
def test_random_initializers_draw_like_mxnet(key):
    _, expr, shape = key.split("/")
    w = fill(make(expr), eval(shape)).asnumpy().astype(np.float64)
    mx_max, mx_std = GOLDEN[key]
    assert w.std() == pytest.approx(mx_std, rel=0.02)
    bound = BOUNDS.get(expr, BOUNDS.get(f"{expr}/{shape}"))
    if bound is not None:
        assert mx_max <= bound and np.abs(w).max() <= bound
        assert np.abs(w).max() == pytest.approx(bound, rel=0.01)


# ---- H1-H12 ------------------------------------------------------------------------------
def test_every_name_goes_to_init_weight_h3():
    seen = []

    class Spy(init.Initializer):
        def _init_weight(self, name, arr):
            seen.append((name, arr.shape))
            arr[:] = 7

    for name in ("mydense0_weight", "mydense0_bias", "bn_gamma", "whatever"):
        assert (fill(Spy(), (3,), name).asnumpy() == 7).all()
    assert seen == [("mydense0_weight", (3,)), ("mydense0_bias", (3,)),
                    ("bn_gamma", (3,)), ("whatever", (3,))]
    b = fill(init.Uniform(), (3,), "mydense0_bias").asnumpy()
    assert (b != 0).all() and (np.abs(b) <= 0.07).all()  # not zeros, unlike MXNet's legacy


def test_par_myinit_h4(capsys):
    class MyInit(init.Initializer):
        def _init_weight(self, name, data):
            print('Init', name, data.shape)
            data[:] = nd.random.uniform(low=-10, high=10, shape=data.shape)
            data *= data.abs() >= 5

    w = nd.zeros((256, 20))
    w.attach_grad()
    with autograd.record():  # deferred initialization may run inside record()
        MyInit()(init.InitDesc("dense0_weight"), w)
    MyInit()("dense1_weight", nd.zeros((10, 256)))
    assert capsys.readouterr().out == "Init dense0_weight (256, 20)\nInit dense1_weight (10, 256)\n"
    v = w.asnumpy()
    assert ((v == 0) | (np.abs(v) >= 5)).all() and (np.abs(v) >= 5).mean() > 0.4
    assert w.dtype == np.float32


def test_normal_sigma_h5_and_seeding():
    mx.random.seed(3)
    a = fill(init.Normal(), (300, 300)).asnumpy()
    mx.random.seed(3)
    b = fill(init.Normal(), (300, 300)).asnumpy()
    np.testing.assert_array_equal(a, b)
    assert a.std() == pytest.approx(0.01, rel=0.02) and abs(a.mean()) < 1e-4


def test_xavier_fans_h6():
    for factor, fan in (("avg", (300 + 400) / 2), ("in", 300), ("out", 400)):
        w = fill(init.Xavier(factor_type=factor, magnitude=2), (400, 300)).asnumpy()
        bound = np.sqrt(2 / fan)
        assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    w = fill(init.Xavier(rnd_type="gaussian", factor_type="in"), (200, 50, 2, 2)).asnumpy()
    assert w.std() == pytest.approx(np.sqrt(3 / 200), rel=0.02)  # fan_in = 50·2·2
    w = fill(init.MSRAPrelu(slope=0), (200, 50, 2, 2)).asnumpy()
    assert w.std() == pytest.approx(np.sqrt(2 / 500), rel=0.02)  # He: avg fan, magnitude 2


def test_xavier_errors_h7():
    with pytest.raises(ValueError) as e:
        fill(init.Xavier(), (3,), "b")
    assert str(e.value) == "Xavier initializer cannot be applied to vector b. It requires " \
                           "at least 2D."
    with pytest.raises(ValueError, match="Incorrect factor type"):
        fill(init.Xavier(factor_type="fan"), (3, 3))
    with pytest.raises(ValueError, match="Unknown random type"):
        fill(init.Xavier(rnd_type="normal"), (3, 3))


def test_constant_zero_one_h8_h9():
    np.testing.assert_array_equal(fill(init.Constant(nd.array([1, 2])), (3, 2)).asnumpy(),
                                  [[1, 2]] * 3)
    assert (fill(init.Constant(-1.5), (2, 2)).asnumpy() == -1.5).all()
    assert (fill(init.create("zeros"), (2,), dtype="float64").asnumpy() == 0).all()
    assert (fill(init.create("ones"), (2,)).asnumpy() == 1).all()
    assert type(init.create("Zero")) is init.Zero and type(init.create("ONES")) is init.One


def test_custom_registered_initializer_h10(scratch_registry):
    @init.register
    class MyConst(init.Initializer):
        def __init__(self, value=3.0):
            super().__init__(value=value)
            self.value = value

        def _init_weight(self, name, arr):
            arr[:] = self.value

    assert type(init.create("myconst")) is MyConst
    assert (fill(init.create("MyConst", 4.0), (2,)).asnumpy() == 4).all()
    assert init.create("myconst", value=5.0).dumps() == '["myconst", {"value": 5.0}]'
    assert (fill(init.create('["myconst", {"value": 6.0}]'), (2,)).asnumpy() == 6).all()

    @init.alias("twice", "two_times")
    class Twice(MyConst):
        pass

    assert type(init.create("two_times")) is Twice

    class MyConst(init.Initializer):  # noqa: F811  (a re-run notebook cell)
        pass

    with pytest.warns(UserWarning, match="is overriding existing initializer"):
        init.register(MyConst)
    assert INITIALIZERS.get("myconst") is MyConst
    with pytest.raises(TypeError, match="Can only register subclass of Initializer"):
        init.register(dict)


def test_create_forms_and_errors():
    inst = init.Normal(0.2)
    assert init.create(inst) is inst
    assert init.create({"initializer": "normal", "sigma": 0.3}).sigma == 0.3
    assert init.create("normal", 0.4).sigma == 0.4
    with pytest.raises(AssertionError) as e:
        init.create("foo")
    assert str(e.value) == "foo is not registered. Please register with " \
                           "initializer.register first"
    with pytest.raises(AssertionError, match="already an instance"):
        init.create(inst, 0.1)
    assert INITIALIZERS.group == "minigluon.initializers"


def test_initdesc_init_attr_takes_precedence():
    w = nd.zeros((2, 2))
    desc = init.InitDesc("dense0_weight", {"__init__": "ones"})
    init.Xavier()(desc, w)
    assert (w.asnumpy() == 1).all()
    assert isinstance(desc.global_init, init.Xavier)
    init.Uniform()(init.InitDesc("w", {"__init__": init.Constant(2)}), w)
    assert (w.asnumpy() == 2).all()
    assert desc == "dense0_weight" and isinstance(desc, str)


def test_equality_and_bad_calls():
    assert init.Normal() == init.Normal(0.01) and init.Normal() != init.Normal(0.02)
    assert init.Normal() != init.Uniform(0.01)
    assert init.Constant(nd.array([1, 2])) == init.Constant([1, 2])
    assert init.Constant(nd.array([1, 2])) != init.Constant(nd.array([1, 3]))
    with pytest.raises(TypeError, match="fills an NDArray"):
        init.Zero()("w", np.zeros(2))
    with pytest.raises(TypeError, match="parameter name"):
        init.Zero()(3, nd.zeros(2))
    with pytest.raises(NotImplementedError, match="Must override it"):
        init.Initializer()("w", nd.zeros(2))


def test_dtype_is_kept():
    for expr in ("Uniform()", "Normal()", "Xavier()", "Orthogonal()", "Constant(0.1)"):
        for dtype in ("float32", "float64"):
            w = fill(make(expr), (4, 3), dtype=dtype)
            assert w.dtype == np.dtype(dtype), expr
    w = fill(init.Constant(0.1), (1,), dtype="float64")
    assert w.asscalar() == 0.1


def test_orthogonal_rows_or_columns_are_orthonormal():
    w = fill(init.Orthogonal(scale=2.0), (30, 40), dtype="float64").asnumpy()
    np.testing.assert_allclose(w @ w.T, 4 * np.eye(30), atol=1e-10)
    w = fill(init.Orthogonal(1.0, "normal"), (40, 5, 2), dtype="float64").asnumpy()
    w = w.reshape(40, 10)
    np.testing.assert_allclose(w.T @ w, np.eye(10), atol=1e-10)


def test_mixed_and_load(tmp_path):
    mixed = init.Mixed([".*bias", ".*"], [init.Zero(), init.Constant(3)])
    assert (fill(mixed, (2,), "fc_bias").asnumpy() == 0).all()
    assert (fill(mixed, (2,), "fc_weight").asnumpy() == 3).all()
    with pytest.raises(ValueError, match="did not match any pattern"):
        fill(init.Mixed(["a"], [init.Zero()]), (2,), "b")
    path = str(tmp_path / "p.params")
    nd.save(path, {"arg:fc_weight": nd.array([1, 2])})
    loader = init.Load(path, default_init=init.One())
    np.testing.assert_array_equal(fill(loader, (2,), "fc_weight").asnumpy(), [1, 2])
    assert (fill(loader, (3,), "fc_bias").asnumpy() == 1).all()
    with pytest.raises(ValueError, match="Shape mismatch"):
        fill(loader, (3,), "fc_weight")
    with pytest.raises(ValueError, match="no default Initializer"):
        fill(init.Load({"a": nd.zeros(1)}), (1,), "b")


def test_verbose_logs_a_statistic(caplog):
    with caplog.at_level("INFO"):
        fill(init.Constant(2.0).set_verbosity(True), (4,), "fc_weight")
        init.Zero().set_verbosity(True, lambda x: "custom")(
            init.InitDesc("b", {"__init__": "ones"}), nd.zeros(1))
    assert [r.getMessage() for r in caplog.records] == [
        "Initialized fc_weight as weight: 2.0", "Initialized b as ones: custom"]
