"""hybridize(): the graph traced from hybrid_forward gives the values and gradients of the
imperative path, for every layer of gluon.nn; non-hybridizable code fails naming its line."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import minigluon as mx
from minigluon import autograd, nd
from minigluon.base import MinigluonError
from minigluon.gluon import nn

R = np.random.RandomState(0)


def _seq(*blocks):
    net = nn.HybridSequential()
    net.add(*blocks)
    return net


# (factory, input): each factory makes a fresh block; layers with deferred shapes included
LAYERS = {
    "Dense": (lambda: nn.Dense(4, activation="relu"), R.randn(3, 5)),
    "Dense_noflat": (lambda: nn.Dense(3, flatten=False, use_bias=False), R.randn(2, 3, 4)),
    "Conv1D": (lambda: nn.Conv1D(3, 2, strides=2, activation="tanh"), R.randn(2, 2, 7)),
    "Conv2D": (lambda: nn.Conv2D(3, (3, 2), padding=1, groups=1), R.randn(2, 2, 5, 5)),
    "Conv3D": (lambda: nn.Conv3D(2, 2, use_bias=False), R.randn(1, 2, 3, 3, 3)),
    "MaxPool1D": (lambda: nn.MaxPool1D(2), R.randn(2, 3, 6)),
    "MaxPool2D": (lambda: nn.MaxPool2D(2, 1, ceil_mode=True), R.randn(2, 3, 5, 5)),
    "AvgPool2D": (lambda: nn.AvgPool2D(3, 2, padding=1), R.randn(2, 3, 6, 6)),
    "AvgPool3D": (lambda: nn.AvgPool3D(2), R.randn(1, 2, 4, 4, 4)),
    "GlobalMaxPool2D": (lambda: nn.GlobalMaxPool2D(), R.randn(2, 3, 4, 4)),
    "GlobalAvgPool1D": (lambda: nn.GlobalAvgPool1D(), R.randn(2, 3, 4)),
    "BatchNorm": (lambda: nn.BatchNorm(), R.randn(4, 3, 2, 2)),
    "BatchNormReLU": (lambda: nn.BatchNormReLU(), R.randn(4, 3, 2, 2)),
    "BatchNorm_axis": (lambda: nn.BatchNorm(axis=-1, center=False, scale=False),
                       R.randn(4, 3)),
    "Dropout": (lambda: nn.Dropout(0.4), R.randn(5, 6)),
    "Activation": (lambda: nn.Activation("softrelu"), R.randn(3, 4)),
    "LeakyReLU": (lambda: nn.LeakyReLU(0.1), R.randn(3, 4)),
    "Embedding": (lambda: nn.Embedding(6, 3), np.array([[0, 5, 2], [1, 1, 4]])),
    "Flatten": (lambda: nn.Flatten(), R.randn(2, 3, 2)),
    "HybridLambda": (lambda: nn.HybridLambda(lambda F, x: F.tanh(x) * 2 + x),
                     R.randn(3, 2)),
    "HybridLambda_name": (lambda: nn.HybridLambda("sigmoid"), R.randn(3, 2)),
    "HybridSequential": (lambda: _seq(nn.Conv2D(4, 3, padding=1), nn.BatchNorm(),
                                      nn.Activation("relu"), nn.MaxPool2D(),
                                      nn.Dropout(0.3), nn.Dense(5), nn.LeakyReLU(0.2),
                                      nn.Dense(2)), R.randn(2, 1, 6, 6)),
}
for _name in ("ELU", "SELU", "Swish", "GELU"):
    LAYERS[_name] = (getattr(nn, _name), R.randn(2, 3, 4))
LAYERS.update({
    "AvgPool1D": (lambda: nn.AvgPool1D(3, 2, count_include_pad=False, padding=1),
                  R.randn(2, 3, 7)),
    "AvgPool3D": (lambda: nn.AvgPool3D(2), R.randn(1, 2, 4, 4, 4)),
    "MaxPool3D": (lambda: nn.MaxPool3D(2, 1), R.randn(1, 2, 3, 4, 3)),
    "GlobalAvgPool2D": (lambda: nn.GlobalAvgPool2D(), R.randn(2, 3, 4, 4)),
    "GlobalAvgPool3D": (lambda: nn.GlobalAvgPool3D(), R.randn(1, 2, 3, 3, 3)),
    "GlobalMaxPool1D": (lambda: nn.GlobalMaxPool1D(), R.randn(2, 3, 5)),
    "GlobalMaxPool3D": (lambda: nn.GlobalMaxPool3D(), R.randn(1, 2, 3, 3, 3)),
    "Conv1DTranspose": (lambda: nn.Conv1DTranspose(2, 3, strides=2, output_padding=1),
                        R.randn(2, 3, 4)),
    "Conv2DTranspose": (lambda: nn.Conv2DTranspose(4, 3, padding=1, groups=2,
                                                   activation="relu"), R.randn(2, 2, 4, 4)),
    "Conv3DTranspose": (lambda: nn.Conv3DTranspose(2, 2, use_bias=False),
                        R.randn(1, 3, 3, 3, 3)),
    "LayerNorm": (lambda: nn.LayerNorm(), R.randn(2, 3, 4)),
    "LayerNorm_axis1": (lambda: nn.LayerNorm(axis=1, center=False), R.randn(2, 3, 4)),
    "InstanceNorm": (lambda: nn.InstanceNorm(scale=True), R.randn(2, 3, 4, 2)),
    "InstanceNorm_axis2": (lambda: nn.InstanceNorm(axis=2), R.randn(2, 3, 4)),
    "GroupNorm": (lambda: nn.GroupNorm(2), R.randn(2, 4, 3)),
    "PReLU": (lambda: nn.PReLU(), R.randn(2, 3, 4)),
    "PReLU_channels": (lambda: nn.PReLU(in_channels=3), R.randn(2, 3, 4)),
    "ReflectionPad2D": (lambda: nn.ReflectionPad2D(2), R.randn(1, 2, 4, 5)),
})


def test_every_gluon_nn_layer_is_tested_both_ways():
    # a new layer class of gluon.nn needs an entry in LAYERS (its name, or name_<variant>)
    import inspect

    classes = {n for n, c in vars(nn).items() if inspect.isclass(c)
               and issubclass(c, nn.HybridBlock)
               and c not in (nn.HybridBlock, nn.SymbolBlock)}  # base classes, not layers
    covered = {k.split("_")[0] for k in LAYERS}
    assert classes - covered == set(), f"no hybridize test for {sorted(classes - covered)}"


def _run(block, x, hybrid):
    """Materialize, then two recorded training steps; the results and gradients."""
    xa = nd.array(x)
    with autograd.pause():
        block(xa)  # deferred shapes fixed, no statistics touched (predict mode)
    mx.random.seed(7)
    out = []
    for _ in range(2):
        xg = nd.array(x)
        xg.attach_grad()
        with autograd.record():
            y = block(xg)
        head = nd.array(np.cos(np.arange(y.size)).reshape(y.shape))
        y.backward(head)
        out.append(y.asnumpy())
        if np.issubdtype(x.dtype, np.floating):
            out.append(xg.grad.asnumpy())
    for _name, p in sorted(block._collect_params_with_prefix().items()):
        out.append(p.data().asnumpy())
        if p.grad_req != "null":
            out.append(p.grad().asnumpy())
    return out


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_hybridized_equals_imperative(name):
    factory, x = LAYERS[name]
    mx.random.seed(0)
    a = factory()
    a.initialize(mx.init.Xavier())
    with autograd.pause():
        a(nd.array(x))
    b = factory()
    b.initialize()
    b.hybridize()
    with autograd.pause():
        b(nd.array(x))
    pa, pb = a._collect_params_with_prefix(), b._collect_params_with_prefix()
    for k in pa:
        pb[k].set_data(pa[k].data().copy())
    ra = _run(a, x, False)
    rb = _run(b, x, True)
    assert isinstance(b._cached, tuple)  # the graph ran (traced, not the fallback)
    assert len(ra) == len(rb)
    for u, v in zip(ra, rb):
        np.testing.assert_array_equal(u, v)


def test_graph_is_traced_once_and_again_on_a_new_shape():
    net = _seq(nn.Dense(3, in_units=4), nn.Activation("tanh"))
    net.initialize()
    net.hybridize()
    net(nd.ones((2, 4)))
    first = net._cached
    net(nd.ones((2, 4)) * 2)
    assert net._cached is first
    y = net(nd.ones((5, 4)))
    assert net._cached is not first and y.shape == (5, 3)
    graph = net._cached[1]
    assert graph.list_arguments() == ["data"] + [
        p.name for p in net.collect_params().values()]
    assert graph.list_outputs()[0].endswith("_output")
    net.hybridize(False)
    np.testing.assert_allclose(net(nd.ones((5, 4))).asnumpy(), y.asnumpy())


class _Branchy(nn.HybridBlock):
    def hybrid_forward(self, F, x):
        if x.sum() > 0:  # Python control flow on a value: not hybridizable
            return x
        return -x


class _Numpy(nn.HybridBlock):
    def hybrid_forward(self, F, x):
        return F.exp(x) * float(x.asnumpy().sum())


@pytest.mark.parametrize("block, what", [(_Branchy, "bool()"), (_Numpy, "asnumpy()")])
def test_non_hybridizable_code_names_the_line(block, what):
    net = block()
    net.initialize()
    np.testing.assert_allclose(net(nd.ones(2)).asnumpy(),
                               (nd.ones(2) if block is _Branchy else nd.ones(2).exp() * 2
                                ).asnumpy())  # fine imperatively
    net.hybridize()
    with pytest.raises(MinigluonError) as e:
        net(nd.ones(2))
    msg = str(e.value)
    assert "test_hybridize.py" in msg and what in msg
    assert ("if x.sum() > 0" if block is _Branchy else "x.asnumpy()") in msg


def test_sequential_hybridize_warns_as_mxnet():
    net = nn.Sequential()
    net.add(nn.Dense(2), nn.Dense(1))
    with pytest.warns(UserWarning, match="All children of this Sequential layer .* are "
                      "HybridBlocks. Consider using HybridSequential"):
        net.hybridize()
    mixed = nn.Sequential()
    mixed.add(nn.Dense(2), nn.Lambda(lambda x: x * 2))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mixed.hybridize()
    mixed.initialize()
    assert mixed(nd.ones((1, 3))).shape == (1, 2)


def test_layers_that_read_their_input_shape_are_traced_and_exported(tmp_path):
    # LayerNorm/InstanceNorm/GroupNorm/PReLU build their graph from the traced shape
    x = nd.array(R.randn(2, 3, 4))
    for layer in (nn.LayerNorm(), nn.InstanceNorm(), nn.GroupNorm(3), nn.PReLU(in_channels=3)):
        layer.initialize()
        want = layer(x).asnumpy()
        layer.hybridize()
        np.testing.assert_array_equal(layer(x).asnumpy(), want)
        path = str(tmp_path / layer.name)
        layer.export(path)
        back = mx.gluon.SymbolBlock.imports(path + "-symbol.json", ["data"],
                                            path + "-0000.params")
        np.testing.assert_array_equal(back(x).asnumpy(), want)
    # a new input shape traces again, with the new shape
    y = nd.array(R.randn(2, 3, 5, 2))
    ln = nn.InstanceNorm()
    ln.initialize()
    ln.hybridize()
    ln(x)
    np.testing.assert_allclose(ln(y).asnumpy().mean(axis=(2, 3)), 0, atol=1e-6)


# ---- the cached graph on the tape: one node per call -------------------------------------

def _mlp(hybrid):
    mx.random.seed(3)
    net = _seq(nn.Dense(5, activation="tanh", in_units=4), nn.Dense(3, in_units=5))
    net.initialize(mx.init.Xavier())
    if hybrid:
        net.hybridize()
    return net


def test_a_hybridized_call_is_one_node_on_the_tape():
    x = nd.array(R.randn(2, 4))
    imp, hyb = _mlp(False), _mlp(True)
    with autograd.record() as t_imp:
        imp(x)
    hyb(x)  # traces
    with autograd.record() as t_hyb:
        y = hyb(x)
    assert [n.opname for n in t_imp] == ["FullyConnected", "tanh", "FullyConnected"]
    assert [n.opname for n in t_hyb] == ["_CachedOp"]
    node = t_hyb[0]
    assert str(node.op) == f"_CachedOp({hyb.name})"
    # its inputs are the four parameters (x is data), and it keeps what the three
    # operators keep
    assert [p.grad_req for p in node.parents] == ["write"] * 4
    assert node.saved_bytes == t_imp.saved_bytes
    assert autograd.Tape.of(y).nodes == [node]


def _second_order(net, x):
    x = nd.array(x)
    x.attach_grad()
    with autograd.record():
        y = net(x)
        dx = autograd.grad(y, x, head_grads=nd.ones_like(y), create_graph=True)[0]
        z = (dx * dx).sum()
    z.backward()
    return dx.asnumpy(), x.grad.asnumpy(), [p.grad().asnumpy()
                                           for p in net.collect_params().values()]


def test_create_graph_through_the_cached_node_equals_imperative():
    x = R.randn(2, 4)
    want = _second_order(_mlp(False), x)
    hyb = _mlp(True)
    hyb(nd.array(x))
    got = _second_order(hyb, x)
    for u, v in zip(want[:2] + tuple(want[2]), got[:2] + tuple(got[2])):
        np.testing.assert_allclose(v, u, rtol=1e-6, atol=1e-7)
    assert np.abs(got[1]).sum() > 0  # the second-order gradient reaches the input


def test_retain_graph_and_freeing_as_imperative():
    x = nd.array(R.randn(2, 4))
    for hybrid in (False, True):
        net = _mlp(hybrid)
        net(x)
        for p in net.collect_params().values():
            p.grad_req = "add"
        with autograd.record():
            y = net(x).sum()
        y.backward(retain_graph=True)
        first = net[0].weight.grad().asnumpy().copy()
        y.backward()
        np.testing.assert_allclose(net[0].weight.grad().asnumpy(), 2 * first, rtol=1e-6)
        with pytest.raises(MinigluonError, match="retain_graph=True"):
            y.backward()


def test_in_place_change_of_a_saved_input_is_refused_as_imperative():
    for hybrid in (False, True):
        net = _mlp(hybrid)
        x = nd.array(R.randn(2, 4))
        x.attach_grad()
        net(x)
        with autograd.record():
            y = net(x)
        net[0].weight.data()[:] = 0  # FullyConnected keeps it for the input's gradient
        with pytest.raises(MinigluonError, match="changed in place"):
            y.backward()


class _TwoOut(nn.HybridBlock):
    def hybrid_forward(self, F, x):
        return F.tanh(x), F.exp(x) * x


def test_several_outputs_are_recorded_op_by_op_with_the_same_gradients():
    x0 = R.randn(3, 2)
    res = []
    for hybrid in (False, True):
        net = _TwoOut()
        if hybrid:
            net.hybridize()
        x = nd.array(x0)
        x.attach_grad()
        with autograd.record() as tape:
            a, b = net(x)
            z = (a * b).sum()
        z.backward()
        res.append((a.asnumpy(), b.asnumpy(), x.grad.asnumpy()))
        assert "_CachedOp" not in [n.opname for n in tape]
    for u, v in zip(*res):
        np.testing.assert_array_equal(u, v)
