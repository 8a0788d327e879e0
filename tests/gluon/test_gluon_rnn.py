"""gluon.rnn layers (RNN, LSTM, GRU) and nd.RNN against MXNet 1.9.1: values, gradients,
parameter names, and .params files both ways (tests/golden/make_rnn_golden.py)."""

import os
import sys

import numpy as np
import pytest

import minigluon as mx
from minigluon import autograd, nd
from minigluon.base import MinigluonError, MXNetError
from minigluon.gluon import rnn
from minigluon.ops.rnn import param_size

GOLDEN_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "golden")
sys.path.insert(0, GOLDEN_DIR)
import make_rnn_golden as golden  # noqa: E402

GOLD = np.load(os.path.join(GOLDEN_DIR, "rnn.npz"))
RTOL = {"float32": 2e-5, "float64": 1e-10}


def _compare(ours, prefix, dtype):
    keys = {k[len(prefix):] for k in GOLD.files if k.startswith(prefix)} - {"names"}
    assert set(ours) == keys
    for k in sorted(keys):
        want = GOLD[prefix + k]
        assert ours[k].dtype == want.dtype, k
        assert ours[k].shape == want.shape, k
        np.testing.assert_allclose(ours[k], want, rtol=RTOL[dtype],
                                   atol=RTOL[dtype] * max(1.0, np.abs(want).max()),
                                   err_msg=f"{prefix}{k}")


def _dtype(case):
    return golden.CASES[case][1].get("dtype", "float32")


@pytest.mark.parametrize("case", golden.CASES)
def test_values_and_gradients_match_mxnet(case):
    _compare(golden.run(mx, case), f"{case}/", _dtype(case))


@pytest.mark.parametrize("case", golden.CASES)
def test_loads_mxnet_params_file(case):
    """A layer MXNet saved loads here (no initialize needed) and computes the same."""
    path = os.path.join(golden.FILES, case + ".params")
    _compare(golden.run(mx, case, path), f"{case}/", _dtype(case))


@pytest.mark.parametrize("case", golden.CASES)
def test_mxnet_loads_minigluon_params_file(case):
    """MXNet loaded the file minigluon saved and computed what minigluon computes."""
    path = os.path.join(golden.FROM_MG, case + ".params")
    _compare(golden.run(mx, case, path), f"from_minigluon/{case}/", _dtype(case))


@pytest.mark.parametrize("case", golden.CASES)
def test_saved_names_and_parameter_order(case, tmp_path):
    layer = golden.make(mx, case)
    layer.initialize()
    layer(nd.ones(golden.CASES[case][2], dtype=_dtype(case)))
    assert list(layer.collect_params().keys()) == list(GOLD[f"{case}/names"])
    layer.save_parameters(str(tmp_path / "p.params"))
    assert sorted(nd.load(str(tmp_path / "p.params"))) == \
        sorted(nd.load(os.path.join(golden.FILES, case + ".params")))


def test_book_usage_shapes_and_repr():
    layer = rnn.RNN(256)
    assert repr(layer) == "RNN(None -> 256, TNC)"
    layer.initialize()
    state = layer.begin_state(batch_size=2)
    assert len(state) == 1 and state[0].shape == (1, 2, 256)
    x = nd.random.uniform(shape=(35, 2, 1027))
    y, new = layer(x, state)
    assert y.shape == (35, 2, 256) and new[0].shape == (1, 2, 256)
    assert repr(layer) == "RNN(1027 -> 256, TNC)"
    assert layer(x).shape == (35, 2, 256)
    lstm = rnn.LSTM(4, num_layers=2, bidirectional=True, dropout=0.5)
    assert repr(lstm) == "LSTM(None -> 4, TNC, num_layers=2, dropout=0.5, bidirectional)"
    assert lstm.state_info(3) == [{"shape": (4, 3, 4), "__layout__": "LNC",
                                   "dtype": "float32"}] * 2


def test_initializers_default_and_explicit():
    layer = rnn.LSTM(100, input_size=50)
    layer.initialize()
    w = layer.l0_i2h_weight.data().asnumpy()
    assert w.shape == (400, 50) and -0.07 <= w.min() and w.max() <= 0.07
    assert w.std() > 0.03  # uniform on [-0.07, 0.07]: std 0.0404
    assert not layer.l0_i2h_bias.data().asnumpy().any()
    layer = rnn.GRU(10, input_size=3, i2h_bias_initializer="ones",
                    h2h_weight_initializer=mx.init.Constant(0.5))
    layer.initialize(mx.init.Normal(0.01))
    assert (layer.l0_i2h_bias.data().asnumpy() == 1).all()
    assert (layer.l0_h2h_weight.data().asnumpy() == 0.5).all()
    assert layer.l0_i2h_weight.data().asnumpy().std() < 0.02
    assert not layer.l0_h2h_bias.data().asnumpy().any()


def test_state_shape_errors():
    layer = rnn.LSTM(4)
    with pytest.raises(ValueError, match=r"Shape inconsistent, Provided = \[1,3,4\]"):
        layer.initialize()
        layer(nd.ones((3, 2, 5)), [nd.zeros((1, 3, 4)), nd.zeros((1, 3, 4))])
    layer(nd.ones((3, 2, 5)))
    with pytest.raises(ValueError, match="Invalid recurrent state shape"):
        layer(nd.ones((3, 2, 5)), [nd.zeros((1, 3, 4)), nd.zeros((1, 3, 4))])
    with pytest.raises(MXNetError, match="expects 4 inputs, but got 3"):
        layer(nd.ones((3, 2, 5)), nd.zeros((1, 2, 4)))


def test_nd_rnn_errors():
    x = nd.ones((3, 2, 4))
    with pytest.raises(MXNetError, match=r"Shape inconsistent.*flat vector of 55 values"):
        nd.RNN(x, nd.zeros((7,)), nd.zeros((1, 2, 5)), state_size=5, num_layers=1,
               mode="rnn_tanh")
    with pytest.raises(MXNetError, match="state must have shape"):
        nd.RNN(x, nd.zeros((55,)), nd.zeros((1, 3, 5)), state_size=5, num_layers=1,
               mode="rnn_tanh")


def test_dropout_between_layers_only_while_training():
    layer = rnn.RNN(6, num_layers=2, dropout=0.5, activation="tanh")
    layer.initialize()
    x = nd.random.uniform(shape=(4, 3, 2))
    a, b = layer(x), layer(x)
    np.testing.assert_array_equal(a.asnumpy(), b.asnumpy())  # predicting: no dropout
    with autograd.record():
        c = layer(x)
    assert not np.allclose(c.asnumpy(), a.asnumpy())
    single = rnn.RNN(6, dropout=0.5)  # one layer: nothing between layers
    single.initialize()
    with autograd.record():
        c = single(x)
    np.testing.assert_array_equal(c.asnumpy(), single(x).asnumpy())


def test_layer_is_one_node_on_the_tape():
    layer = rnn.GRU(3, input_size=2)
    layer.initialize()
    x = nd.ones((5, 1, 2))
    with autograd.record() as tape:
        layer(x)
    assert [n.opname for n in tape.nodes] == ["_rnn_param_concat", "RNN"]
    state = layer.begin_state(1)
    with autograd.record() as tape:
        layer(x, state)
    # the states come out of the packed output as views
    assert [n.opname for n in tape.nodes][:2] == ["_rnn_param_concat", "RNN"]
    assert len(tape.nodes) == 5


def test_training_carries_state_across_batches():
    """The book's rnn-gluon loop: the state from the previous batch's freed graph."""
    layer = rnn.LSTM(8)
    layer.initialize()
    trainer = mx.gluon.Trainer(layer.collect_params(), "sgd", {"learning_rate": 0.1})
    state = layer.begin_state(batch_size=2)
    for _ in range(3):
        for s in state:
            s.detach()
        with autograd.record():
            y, state = layer(nd.ones((4, 2, 3)), state)
            loss = (y * y).sum()
        loss.backward()
        trainer.step(2)
    assert np.isfinite(layer.l0_h2h_weight.data().asnumpy()).all()


def _compare_to(ours, prefix, rtol=2e-5):
    keys = {k[len(prefix):] for k in GOLD.files if k.startswith(prefix)}
    keys -= {"names", "train_error", "same_as_plain"}
    assert set(ours) == keys
    for k in sorted(keys):
        want = GOLD[prefix + k]
        assert ours[k].dtype == want.dtype and ours[k].shape == want.shape, k
        np.testing.assert_allclose(ours[k], want, rtol=rtol,
                                   atol=rtol * max(1.0, np.abs(want).max()),
                                   err_msg=prefix + k)


@pytest.mark.parametrize("case", golden.IGNORED)
def test_options_mxnet_cpu_ignores_are_ignored_with_a_warning(case):
    """state_clip_* and use_sequence_length: MXNet 1.9.1's CPU operator accepts them and
    computes what the plain layer computes (recorded by the golden script)."""
    assert bool(GOLD[f"ignored/{case}/same_as_plain"])
    with pytest.warns(UserWarning, match="no effect, as in MXNet 1.9.1 on CPU"):
        ours = golden.run(mx, case)
    _compare_to(ours, f"ignored/{case}/")


@pytest.mark.parametrize("case", golden.PROJ)
def test_lstm_with_projection_matches_mxnet_in_inference(case, tmp_path):
    res, layer = golden.run_proj(mx, case)
    _compare_to(res, f"proj/{case}/")
    assert list(layer.collect_params().keys()) == list(GOLD[f"proj/{case}/names"])
    path = os.path.join(golden.FILES, case + ".params")
    _compare_to(golden.run_proj(mx, case, path)[0], f"proj/{case}/")
    layer.save_parameters(str(tmp_path / "p.params"))
    assert sorted(nd.load(str(tmp_path / "p.params"))) == sorted(nd.load(path))
    # training it raises in MXNet on CPU, and here
    msg = "No training support for LSTM with projection on CPU currently"
    assert msg in str(GOLD[f"proj/{case}/train_error"])
    x = nd.ones(golden.PROJ[case][1])
    with pytest.raises(MXNetError, match=msg):
        with autograd.record():
            layer(x)
    with pytest.raises(MXNetError, match=msg), autograd.train_mode():
        layer(x)


def test_nd_rnn_option_errors():
    x = nd.ones((3, 2, 4))
    w = nd.zeros((param_size("lstm", 1, 4, 5, False, 3),))
    h, c = nd.zeros((1, 2, 3)), nd.zeros((1, 2, 5))
    y = nd.RNN(x, w, h, c, state_size=5, num_layers=1, mode="lstm", projection_size=3,
               state_outputs=True)
    assert [a.shape for a in y] == [(3, 2, 3), (1, 2, 3), (1, 2, 5)]
    with pytest.raises(MinigluonError, match=r"state must have shape \(1, 2, 3\)"):
        nd.RNN(x, w, c, c, state_size=5, num_layers=1, mode="lstm", projection_size=3)
    with pytest.raises(MinigluonError, match="projection_size is only supported for LSTM"):
        nd.RNN(x, w, h, state_size=5, num_layers=1, mode="gru", projection_size=3)
    with pytest.raises(MXNetError, match="Operator RNN expects 5 inputs, but got 4 instead"):
        nd.RNN(x, w, h, c, state_size=5, num_layers=1, mode="lstm", projection_size=3,
               use_sequence_length=True)
    with pytest.raises(MXNetError, match="expects 3 inputs, but got 4 instead: a "
                                         "sequence_length needs use_sequence_length=True"):
        nd.RNN(x, nd.zeros((55,)), nd.zeros((1, 2, 5)), sequence_length=nd.ones((2,)),
               state_size=5, num_layers=1, mode="rnn_tanh")
    with pytest.raises(MinigluonError, match=r"sequence_length must have shape .* \(2,\)"):
        nd.RNN(x, nd.zeros((55,)), nd.zeros((1, 2, 5)), sequence_length=nd.ones((3,)),
               state_size=5, num_layers=1, mode="rnn_tanh", use_sequence_length=True)


def test_begin_state_with_other_functions():
    layer = rnn.LSTM(3, num_layers=2)
    ones = layer.begin_state(2, func=nd.ones)
    assert [s.shape for s in ones] == [(2, 2, 3)] * 2 and ones[0].asnumpy().sum() == 12
    rand = layer.begin_state(4, func=nd.random.uniform, low=0, high=1)
    assert [s.shape for s in rand] == [(2, 4, 3)] * 2
    assert rand[0].dtype == np.float32
    assert rnn.GRU(3, dtype="float64").begin_state(1)[0].dtype == np.float64
