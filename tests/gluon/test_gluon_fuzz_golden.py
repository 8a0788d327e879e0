"""Differences found by the Gluon-level fuzzer, pinned against MXNet's values and
gradients (tests/golden/make_gluon_fuzz_golden.py)."""

import os
import sys

import numpy as np
import pytest

import minigluon as mx

GOLDEN_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "golden")
sys.path.insert(0, GOLDEN_DIR)
import make_gluon_fuzz_golden as golden  # noqa: E402

GOLD = np.load(os.path.join(GOLDEN_DIR, "gluon_fuzz.npz"))


@pytest.mark.parametrize("case", sorted(golden.CASES))
def test_matches_mxnet(case):
    ours = golden.CASES[case](mx)
    prefix = f"{case}/"
    keys = {k[len(prefix):] for k in GOLD.files if k.startswith(prefix)}
    assert set(ours) == keys
    for key in sorted(keys):
        want = GOLD[prefix + key]
        assert ours[key].dtype == want.dtype, key
        assert ours[key].shape == want.shape, key
        tol = 1e-9 if want.dtype == np.float64 else 2e-5
        np.testing.assert_allclose(ours[key], want, rtol=tol, atol=tol,
                                   err_msg=f"{case} {key}")


def test_numpy_negative_in_place_is_not_used_on_gates():
    """The sigmoid of the recurrent operator stays right on strided float32 views."""
    from minigluon.ops.rnn import _sigmoid

    a = np.arange(-6, 6, dtype=np.float32).reshape(3, 4) / 4
    want = 1 / (1 + np.exp(-a[:, 1:2].astype(np.float64)))
    _sigmoid(a[:, 1:2], out=a[:, 1:2])
    np.testing.assert_allclose(a[:, 1:2], want, rtol=1e-6)
