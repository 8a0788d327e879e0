"""What MXNet 1.9.1's own tutorials use and minigluon lacked (found by
tests/compat/mxnet_tutorials/run_tutorials.py); expected values are MXNet 1.9.1's,
printed by the same code run in the oracle."""

from __future__ import annotations

import os

import numpy as np
import pytest

import minigluon as mx
from minigluon import autograd, gluon, nd
from minigluon.gluon.nn import Dense


class NormalizationHybridLayer(gluon.HybridBlock):
    """custom_layer_beginners.md / extend/custom_layer.md: a weight of shape
    ``(hidden_units, 0)`` given to ``F.FullyConnected``; MXNet infers the 0 from the
    block's graph at the first forward."""

    def __init__(self, hidden_units: int, scales: nd.NDArray) -> None:
        super().__init__()
        with self.name_scope():
            self.weights = self.params.get("weights", shape=(hidden_units, 0),
                                           allow_deferred_init=True)
            self.scales = self.params.get("scales", shape=scales.shape,
                                          init=mx.init.Constant(scales.asnumpy()),
                                          differentiable=False)

    def hybrid_forward(self, F, x, weights, scales):  # noqa: N803 (MXNet's signature)
        normalized = F.broadcast_div(F.broadcast_sub(x, F.min(x)),
                                     F.broadcast_sub(F.max(x), F.min(x)))
        weighted = F.FullyConnected(normalized, weights,
                                    num_hidden=self.weights.shape[0], no_bias=True)
        return F.broadcast_mul(scales, weighted)


@pytest.mark.parametrize("hybridize", [False, True])
def test_custom_layer_deferred_shape_inferred_from_graph(hybridize: bool) -> None:
    net = gluon.nn.HybridSequential()
    with net.name_scope():
        net.add(Dense(5), NormalizationHybridLayer(5, nd.array([2])), Dense(1))
    net.initialize(mx.init.One())
    if hybridize:
        net.hybridize()
    with autograd.record():
        y = net(nd.arange(14).reshape((7, 2)))
    y.backward()
    # MXNet 1.9.1 prints these for both the imperative and the hybridized net
    np.testing.assert_allclose(
        y.asnumpy().ravel(),
        [0.0, 8.333334, 16.666668, 25.0, 33.333336, 41.666664, 50.0], rtol=1e-6)
    assert net[1].weights.shape == (5, 5)
    assert net[1].weights.grad().asnumpy().sum() == pytest.approx(175.0)


def test_custom_layer_alone_infers_input_size() -> None:
    layer = NormalizationHybridLayer(3, nd.array([1]))
    layer.initialize()
    assert layer(nd.ones((2, 4))).shape == (2, 3)  # MXNet: (2, 3), weights (3, 4)
    assert layer.weights.shape == (3, 4)


def test_unknown_shape_the_graph_cannot_fill_is_reported() -> None:
    class Free(gluon.HybridBlock):
        def __init__(self) -> None:
            super().__init__()
            self.w = self.params.get("w", shape=(0,), allow_deferred_init=True)

        def hybrid_forward(self, F, x, w):  # noqa: N803
            return x  # w is never used: nothing determines its shape

    b = Free()
    b.initialize()
    with pytest.raises(ValueError, match="Deferred initialization failed"):
        b(nd.ones((2, 2)))


def test_nn_symbolblock_is_gluon_symbolblock() -> None:
    # MXNet's gluon/nn/__init__.py does `from ..block import *` (save_load_params.md
    # calls gluon.nn.SymbolBlock.imports)
    assert gluon.nn.SymbolBlock is gluon.SymbolBlock


def test_list_gpus_is_an_empty_range_without_gpus() -> None:
    assert mx.test_utils.list_gpus() == range(0)  # MXNet on a machine without nvidia-smi


def test_test_utils_download_keeps_an_existing_file(tmp_path) -> None:
    (tmp_path / "f.txt").write_text("x")
    got = mx.test_utils.download("http://example.invalid/a/f.txt", dirname=str(tmp_path))
    assert got == os.path.join(str(tmp_path), "f.txt")
    assert (tmp_path / "f.txt").read_text() == "x"
    # fname with a directory: that directory is made, as in MXNet
    sub = tmp_path / "new"
    (sub).mkdir()
    (sub / "g.bin").write_text("y")
    assert mx.test_utils.download("http://example.invalid/g.bin",
                                  fname=str(sub / "g.bin")) == str(sub / "g.bin")
