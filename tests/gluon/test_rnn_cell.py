"""gluon.rnn cells against MXNet 1.9.1 (tests/golden/make_rnn_cell_golden.py): unroll's
outputs, states and gradients, parameter names, and .params files both ways."""

import os
import sys

import numpy as np
import pytest

import minigluon as mx
from minigluon import autograd, nd
from minigluon.gluon import rnn

GOLDEN_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "golden")
sys.path.insert(0, GOLDEN_DIR)
import make_rnn_cell_golden as golden  # noqa: E402

GOLD = np.load(os.path.join(GOLDEN_DIR, "rnn_cell.npz"))
RTOL = {"float64": 1e-10, "float32": 2e-5}
CASE_DTYPES = [(c, d) for c in golden.CASES for d in golden.dtypes(c)]


def _compare(ours, prefix, rtol):
    keys = {k[len(prefix):] for k in GOLD.files if k.startswith(prefix)}
    assert set(ours) == keys
    for key in sorted(keys):
        want = GOLD[prefix + key]
        if want.dtype.kind in "US":
            np.testing.assert_array_equal(ours[key], want, err_msg=key)
            continue
        assert ours[key].dtype == want.dtype, key
        np.testing.assert_allclose(ours[key], want, rtol=rtol, atol=rtol,
                                   err_msg=f"{prefix}{key}")


@pytest.mark.parametrize(("case", "dtype"), CASE_DTYPES)
def test_unroll_matches_mxnet(case, dtype):
    _compare(golden.run(mx, case, dtype), f"{case}/{dtype}/", RTOL[dtype])


@pytest.mark.parametrize("case", list(golden.CASES))
def test_mxnet_params_load_and_give_mxnet_results(case):
    cell = golden.fresh(mx, case, "float32")
    cell.load_parameters(os.path.join(golden.FILES, f"{case}.params"))
    ours = golden.forward(mx, cell, case, "float32")
    want = golden.run(mx, case, "float32")  # the values the file was made from
    for key in ours:
        np.testing.assert_allclose(ours[key], GOLD[f"{case}/float32/{key}"], rtol=2e-5,
                                   atol=2e-5, err_msg=key)
        np.testing.assert_array_equal(ours[key], want[key], err_msg=key)


@pytest.mark.parametrize("case", list(golden.CASES))
def test_minigluon_params_give_mxnet_results(case):
    """MXNet loaded the file minigluon wrote; both give the same outputs from it."""
    cell = golden.fresh(mx, case, "float32")
    cell.load_parameters(os.path.join(golden.FILES, "from_minigluon", f"{case}.params"))
    ours = golden.forward(mx, cell, case, "float32", grads=False)
    prefix = f"frommg/{case}/"
    assert {k[len(prefix):] for k in GOLD.files if k.startswith(prefix)} == set(ours)
    for key, value in ours.items():
        np.testing.assert_allclose(value, GOLD[prefix + key], rtol=2e-5, atol=2e-5)


def test_default_prefixes_and_begin_state():
    mx.gluon.reset_name_counters()
    cells = [rnn.RNNCell(2), rnn.LSTMCell(2), rnn.GRUCell(2), rnn.LSTMCell(2)]
    assert [c.prefix for c in cells] == ["rnn0_", "lstm0_", "gru0_", "lstm1_"]
    st = cells[1].begin_state(batch_size=3, func=nd.ones, dtype="float64")
    assert [(s.shape, s.dtype) for s in st] == [((3, 2), np.float64)] * 2
    assert cells[1].state_info(3) == [{"shape": (3, 2), "__layout__": "NC"}] * 2
    assert repr(cells[0]) == "RNNCell(None -> 2, tanh)"


def test_modified_cell_cannot_be_used_directly():
    base = rnn.GRUCell(3)
    rnn.ZoneoutCell(base, 0.1)
    with pytest.raises(AssertionError, match="modifier"):
        base.begin_state(batch_size=2)
    with pytest.raises(AssertionError, match="modified twice"):
        rnn.ResidualCell(base)


def test_bidirectional_cannot_be_stepped():
    b = rnn.BidirectionalCell(rnn.RNNCell(2), rnn.RNNCell(2))
    with pytest.raises(NotImplementedError, match="unroll"):
        b(nd.ones((1, 2)), [])


def test_unroll_length_mismatch_is_an_error():
    c = rnn.RNNCell(2)
    c.initialize()
    with pytest.raises(mx.base.MXNetError, match="length=4 but the inputs have 3 steps"):
        c.unroll(4, nd.ones((2, 3, 5)))


def test_zoneout_in_training_mixes_previous_and_new_values():
    mx.random.seed(3)
    z = rnn.ZoneoutCell(rnn.RNNCell(50), zoneout_outputs=0.5)
    z.initialize(mx.init.Normal(1))
    x = nd.ones((4, 3, 8))
    with autograd.record():
        out, _ = z.unroll(3, x, merge_outputs=True)
    with autograd.predict_mode():
        new, _ = rnn.RNNCell(50, params=z.base_cell.params).unroll(3, x, merge_outputs=True)
    o, n = out.asnumpy(), new.asnumpy()
    first_kept = np.isclose(o[:, 0], n[:, 0]).mean()  # step 0: new value or zero
    assert 0.3 < first_kept < 0.7
    assert (o[:, 0][~np.isclose(o[:, 0], n[:, 0])] == 0).all()


def test_dropout_cell_whole_sequence():
    d = rnn.DropoutCell(0.5)
    x = nd.ones((2, 3, 4))
    with autograd.predict_mode():
        out, st = d.unroll(3, x, merge_outputs=True)
    assert out.shape == (2, 3, 4) and st == []
    with autograd.train_mode():
        out, _ = d.unroll(3, x, merge_outputs=True)
    assert set(np.unique(out.asnumpy())) <= {0.0, 2.0}
