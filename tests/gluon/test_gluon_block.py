"""Block, HybridBlock, Sequential and the basic layers (semantics tables C and D)."""

from __future__ import annotations

import numpy as np
import pytest
from gluon_golden import GOLDEN, G, programs

import minigluon as mx
from minigluon import autograd, gluon, nd, testing
from minigluon.gluon import nn


@pytest.mark.parametrize("prog", programs("dense_", "block_", "d2l_"),
                         ids=lambda p: p.__name__)
def test_matches_mxnet(prog):
    problems = G.compare(prog, mx, GOLDEN)
    assert not problems, "\n".join(problems)


# ---- naming -----------------------------------------------------------------------------------

def test_reset_name_counters_restarts_numbering():
    assert nn.Dense(1).name == "dense0"
    assert nn.Dense(1).name == "dense1"
    gluon.reset_name_counters()
    d = nn.Dense(1)
    assert d.name == "dense0" and list(d.params.keys()) == ["dense0_weight", "dense0_bias"]


def test_name_scope_counters_are_local_to_the_parent():
    outer = nn.Sequential()
    with outer.name_scope():
        a = nn.Dense(1)
    other = nn.Sequential()
    with other.name_scope():
        b = nn.Dense(1)
    assert (a.name, b.name) == ("sequential0_dense0", "sequential1_dense0")
    assert nn.Dense(1).name == "dense0"  # the global counter was not used


# ---- Block mechanics --------------------------------------------------------------------------

def test_missing_super_init_is_explained_d19():
    class Bad(nn.Block):
        def __init__(self):
            self.dense = nn.Dense(2)

    with pytest.raises(AttributeError) as e:
        Bad()
    msg = str(e.value)
    assert "Bad.__init__ did not call Block.__init__" in msg
    assert "super().__init__(**kwargs)" in msg


def test_plain_attributes_before_super_init_are_allowed():
    class Early(nn.Block):
        def __init__(self):
            self.units = 3  # not a Block or Parameter: fine, as in MXNet
            super().__init__()
            self.dense = nn.Dense(self.units)

    assert Early().dense.name == "dense0"


def test_unknown_attribute_error_is_the_usual_one():
    with pytest.raises(AttributeError, match="'Dense' object has no attribute 'nope'"):
        nn.Dense(1).nope  # noqa: B018


def test_parameter_attribute_registers_and_collects():
    class Scale(nn.Block):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.s = self.params.get("s", shape=(1,), init="ones")

        def forward(self, x):
            return x * self.s.data()

    blk = Scale()
    assert blk._reg_params == {"s": blk.s}
    blk.initialize()
    x = nd.array([1.0, 2.0])
    with autograd.record():
        y = blk(x).sum()
    y.backward()
    assert blk.s.grad().asnumpy().tolist() == [3.0]  # D27: gradients reach the Parameter
    with pytest.raises(AssertionError, match="Overriding Parameter attribute s"):
        blk.s = gluon.Parameter("other", shape=(1,))


def test_forward_hooks_and_apply():
    net = nn.Sequential()
    net.add(nn.Dense(2, in_units=3), nn.Dense(1, in_units=2))
    net.initialize()
    seen = []
    h1 = net.register_forward_pre_hook(lambda b, args: seen.append(("pre", args[0].shape)))
    h2 = net[0].register_forward_hook(lambda b, args, out: seen.append(("post", out.shape)))
    net(nd.ones((4, 3)))
    assert seen == [("pre", (4, 3)), ("post", (4, 2))]
    h1.detach()
    h2.detach()
    net(nd.ones((4, 3)))
    assert len(seen) == 2
    names = []
    assert net.apply(lambda b: names.append(b.name)) is net
    assert names == ["dense0", "dense1", "sequential0"]


def test_hybridize_is_a_no_op():
    net = nn.HybridSequential()
    net.add(nn.Dense(3, in_units=2, activation="relu"), nn.Dense(1, in_units=3))
    net.initialize(mx.init.One())
    x = nd.array([[1.0, -2.0], [0.5, 0.5]])
    before = net(x).asnumpy()
    net.hybridize()
    np.testing.assert_array_equal(net(x).asnumpy(), before)


def test_hybrid_forward_gets_nd_and_own_params_d24():
    class Affine(nn.HybridBlock):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.w = self.params.get("w", shape=(2,), init="ones")
            self.b = self.params.get("b", shape=(2,), init="zeros")

        def hybrid_forward(self, F, x, w, b):
            assert F is nd
            return x * w + b

    blk = Affine()
    blk.initialize()
    np.testing.assert_array_equal(blk(nd.array([3.0, 4.0])).asnumpy(), [3.0, 4.0])


def test_infer_shape_hook_for_custom_layers():
    """The contract for layers with deferred parameters (block.py module docstring)."""

    class RowScale(nn.HybridBlock):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.scale = self.params.get("scale", shape=(0,), init="ones",
                                         allow_deferred_init=True)

        def infer_shape(self, x):
            self.scale.shape = (x.shape[-1],)

        def hybrid_forward(self, F, x, scale):
            return x * scale

    blk = RowScale()
    blk.initialize()
    with pytest.raises(gluon.DeferredInitializationError):
        blk.scale.data()
    x = nd.ones((2, 5))
    with autograd.record():
        y = blk(x)
    assert blk.scale.shape == (5,)
    y.backward()
    np.testing.assert_array_equal(blk.scale.grad().asnumpy(), np.full(5, 2.0))


def test_without_infer_shape_deferred_init_fails_clearly():
    class NoInfer(nn.HybridBlock):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.w = self.params.get("w", shape=(0,), allow_deferred_init=True)

        def hybrid_forward(self, F, x, w):
            return x * w

    blk = NoInfer()
    blk.initialize()
    with pytest.raises(ValueError) as e:
        blk(nd.ones(3))
    msg = str(e.value)
    assert msg.startswith("Deferred initialization failed because shape cannot be inferred.")
    assert "noinfer0_w" in msg and "override infer_shape" in msg


def test_numpy_and_list_inputs_are_converted_d12():
    d = nn.Dense(2, in_units=3)
    d.initialize(mx.init.One())
    np.testing.assert_array_equal(d(np.ones((1, 3))).asnumpy(), [[3.0, 3.0]])
    np.testing.assert_array_equal(d([[1.0, 1.0, 1.0]]).asnumpy(), [[3.0, 3.0]])
    with pytest.raises(ValueError, match="there must be one NDArray"):
        d("x")


def test_block_without_forward_d22():
    with pytest.raises(NotImplementedError):
        nn.Block()(nd.ones(1))


def test_cast_and_dtype_mismatch_d11():
    d = nn.Dense(2, in_units=3)
    d.initialize()
    with pytest.raises(mx.base.MXNetError) as e:
        d(nd.ones((1, 3), dtype="float64"))
    msg = str(e.value)
    assert msg.startswith("Incompatible attr in node dense0 at 1-th input: expected float64, "
                          "got float32")
    assert "net.cast('float64')" in msg
    d.cast("float64")
    assert d(nd.ones((1, 3), dtype="float64")).dtype == np.float64


def test_feature_count_change_c20():
    d = nn.Dense(5)
    d.initialize()
    d(nd.ones((2, 3)))
    with pytest.raises(mx.base.MXNetError,
                       match=r"^Shape inconsistent, Provided = \[5,3\], inferred shape=\(5, 4\)"):
        d(nd.ones((2, 4)))


# ---- layers -----------------------------------------------------------------------------------

def test_dense_gradients_match_finite_differences():
    d = nn.Dense(3, in_units=4, activation="tanh")
    d.initialize(mx.init.Normal(1.0))
    d.cast("float64")
    x = np.random.RandomState(0).normal(size=(5, 4))
    assert testing.check_grad(lambda v: d(v), [x])

    def through_weight(w, b, v):
        return nd.tanh(nd.FullyConnected(v, w, b, num_hidden=3))

    wb = [d.weight.data().asnumpy(), d.bias.data().asnumpy(), x]
    assert testing.check_grad(through_weight, wb)
    with autograd.record():
        y = d(nd.array(x, dtype="float64"))
    u = np.random.default_rng(0).normal(size=y.shape)
    y.backward(nd.array(u, dtype="float64"))
    # the closed form: dW = (u * (1 - y^2))^T x, db = column sums
    g = u * (1 - y.asnumpy() ** 2)
    np.testing.assert_allclose(d.weight.grad().asnumpy(), g.T @ x, rtol=1e-10)
    np.testing.assert_allclose(d.bias.grad().asnumpy(), g.sum(0), rtol=1e-10)


def test_dropout_train_and_predict_d14_d17():
    x = nd.ones((50, 40))
    drop = nn.Dropout(0.5)
    np.testing.assert_array_equal(drop(x).asnumpy(), x.asnumpy())
    with autograd.record():
        y = drop(x).asnumpy()
    assert set(np.unique(y)) == {0.0, 2.0}
    assert 0.4 < (y == 0).mean() < 0.6
    with autograd.train_mode():
        assert (drop(x).asnumpy() == 0).any()  # R7: active without recording
    with autograd.record():
        z = nn.Dropout(1.0)(x)
    assert not np.isnan(z.asnumpy()).any() and z.asnumpy().sum() == 0  # MXNet gives NaN


def test_dropout_mask_is_fresh_each_call_and_gradients_follow_it():
    x = nd.ones((10, 10))
    x.attach_grad()
    drop = nn.Dropout(0.3)
    with autograd.record():
        y1 = drop(x)
        y2 = drop(x)
    assert (y1.asnumpy() != y2.asnumpy()).any()
    y1.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), y1.asnumpy())


def test_activation_unknown_name_fails_at_forward_d13():
    act = nn.Activation("foo")
    with pytest.raises(mx.base.MXNetError, match="Invalid Input: 'foo'"):
        act(nd.ones(2))
    d = nn.Dense(2, in_units=2, activation="foo")
    d.initialize()
    with pytest.raises(mx.base.MXNetError, match="valid values are"):
        d(nd.ones((1, 2)))


def test_sequential_container_protocol():
    net = nn.Sequential()
    layers = [nn.Dense(4, in_units=3), nn.Dropout(0.1), nn.Dense(2, in_units=4)]
    assert net.add(*layers) is None
    assert len(net) == 3 and list(net) == layers
    assert net[0] is layers[0] and net[-1] is layers[2]
    sub = net[1:]
    assert type(sub) is nn.Sequential and list(sub) == layers[1:]
    assert sub.prefix == net.prefix  # a slice shares the prefix, as in MXNet
    with pytest.raises(IndexError, match="list index out of range"):
        net[5]
    net.initialize(mx.init.One())
    assert net(nd.ones((2, 3))).shape == (2, 2)


def test_sequential_of_sequentials_collects_everything():
    inner = nn.Sequential()
    inner.add(nn.Dense(2, in_units=2))
    outer = nn.Sequential()
    outer.add(inner, nn.Dense(1, in_units=2))
    assert list(outer.collect_params().keys()) == [
        "dense0_weight", "dense0_bias", "dense1_weight", "dense1_bias"]
    assert list(outer._collect_params_with_prefix()) == [
        "0.0.weight", "0.0.bias", "1.weight", "1.bias"]


def test_collect_params_select_recurses_into_children():
    net = nn.Sequential()
    net.add(nn.Dense(2), nn.Dense(2))
    assert list(net.collect_params(".*bias").keys()) == ["dense0_bias", "dense1_bias"]
    assert list(net.collect_params("dense1_.*").keys()) == ["dense1_weight", "dense1_bias"]


def test_lambda_layers():
    assert nn.Lambda(lambda a: a + 1)(nd.ones(2)).asnumpy().tolist() == [2.0, 2.0]
    assert repr(nn.HybridLambda(lambda F, a: F.exp(a))) == "HybridLambda(<lambda>)"
    with pytest.raises(ValueError, match="Unrecognized function in lambda"):
        nn.Lambda(3)


def test_nn_exports_block_base_classes():
    assert nn.Block is gluon.Block and nn.HybridBlock is gluon.HybridBlock
    assert issubclass(nn.Dense, nn.HybridBlock) and issubclass(nn.Sequential, nn.Block)
