"""SequenceMask, SequenceLast, SequenceReverse and add_n / ElementWiseSum against MXNet's
values and gradients (tests/golden/make_sequence_golden.py); their VJPs are checked by
finite differences in tests/test_ops_registry.py."""

import os
import sys

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minigluon as mx
from minigluon import autograd, nd
from minigluon.base import MXNetError

GOLDEN_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "golden")
sys.path.insert(0, GOLDEN_DIR)
import make_sequence_golden as golden  # noqa: E402

GOLD = np.load(os.path.join(GOLDEN_DIR, "sequence.npz"))
RTOL = {"float64": 1e-12, "float32": 1e-6}


@pytest.mark.parametrize("dtype", golden.DTYPES)
@pytest.mark.parametrize("case", list(golden.CASES))
def test_values_and_gradients_match_mxnet(case, dtype):
    ours = golden.run(mx, case, dtype)
    prefix = f"{case}/{dtype}/"
    keys = {k[len(prefix):] for k in GOLD.files if k.startswith(prefix)}
    assert set(ours) == keys
    for key in sorted(keys):
        want = GOLD[prefix + key]
        assert ours[key].dtype == want.dtype, key
        assert ours[key].shape == want.shape, key
        np.testing.assert_allclose(ours[key], want, rtol=RTOL[dtype], atol=RTOL[dtype],
                                   err_msg=f"{case} {dtype} {key}")


@pytest.mark.parametrize("case", list(golden.ERRORS))
def test_refused_like_mxnet(case):
    assert str(GOLD[f"error/{case}"]) == "MXNetError"
    fname, kwargs, shape, lens = golden.ERRORS[case]
    kw = dict(kwargs)
    if lens is not None:
        kw["sequence_length"] = nd.array(lens)
    with pytest.raises(MXNetError, match=fname):
        getattr(nd, fname)(nd.array(golden.pattern(shape)), **kw)


def test_last_gradient_without_lengths():
    """MXNet's own backward crashes here; the gradient lands on the last step."""
    x = nd.arange(24).reshape((4, 3, 2))
    x.attach_grad()
    with autograd.record():
        y = nd.SequenceLast(x, axis=0)
    y.backward()
    want = np.zeros((4, 3, 2))
    want[3] = 1
    np.testing.assert_array_equal(x.grad.asnumpy(), want)


def test_length_gets_zero_gradient():
    x, lens = nd.ones((3, 2)), nd.array([1, 3])
    lens.attach_grad()
    x.attach_grad()
    with autograd.record():
        y = nd.SequenceMask(x, lens, use_sequence_length=True)
    y.backward()
    np.testing.assert_array_equal(lens.grad.asnumpy(), [0, 0])
    np.testing.assert_array_equal(x.grad.asnumpy(), [[1, 1], [0, 1], [0, 1]])


@pytest.mark.parametrize(("fname", "lens", "what"), [
    ("SequenceLast", [0, 2], r"sequence_length\[0\] = 0 is outside \[1, 3\]"),
    ("SequenceLast", [1, 4], r"sequence_length\[1\] = 4 is outside \[1, 3\]"),
    ("SequenceReverse", [5, 1], r"sequence_length\[0\] = 5 is outside \[0, 3\]"),
])
def test_lengths_outside_the_sequence_are_refused(fname, lens, what):
    """MXNet reads out of range for these and returns garbage."""
    with pytest.raises(MXNetError, match=what):
        getattr(nd, fname)(nd.ones((3, 2)), nd.array(lens), use_sequence_length=True)


def test_use_sequence_length_needs_the_lengths():
    with pytest.raises(MXNetError, match="needs the sequence_length"):
        nd.SequenceMask(nd.ones((3, 2)), use_sequence_length=True)


def test_add_n_shape_mismatch_and_dtype():
    with pytest.raises(MXNetError, match=r"input 1 has shape \(2,\), expected \(2, 3\)"):
        nd.add_n(nd.ones((2, 3)), nd.ones((2,)))
    y = nd.add_n(nd.array([1], dtype="int32"), nd.array([2], dtype="int32"))
    assert y.dtype == np.int32 and y.asscalar() == 3


@settings(max_examples=25, deadline=None)
@given(t=st.integers(1, 5), b=st.integers(1, 4), extra=st.integers(0, 2),
       data=st.data())
def test_mask_and_reverse_agree_with_a_loop(t, b, extra, data):
    lens = data.draw(st.lists(st.integers(0, t), min_size=b, max_size=b))
    x = np.arange(t * b * (extra + 1), dtype=np.float64).reshape((t, b) + (extra + 1,) * (
        extra > 0))
    masked = nd.SequenceMask(nd.array(x, dtype="float64"), nd.array(lens),
                             use_sequence_length=True, value=-7).asnumpy()
    rev = nd.SequenceReverse(nd.array(x, dtype="float64"), nd.array(lens),
                             use_sequence_length=True).asnumpy()
    for j, n in enumerate(lens):
        np.testing.assert_array_equal(masked[:n, j], x[:n, j])
        assert (masked[n:, j] == -7).all()
        np.testing.assert_array_equal(rev[:n, j], x[:n, j][::-1])
        np.testing.assert_array_equal(rev[n:, j], x[n:, j])
