"""Array-scalar arithmetic on float arrays runs with the scalar as a 0-d array of the
array's dtype (``ScalarOp.scalar_like``): the same bits as NumPy's own handling of a
Python number (NEP 50), on edge values and in every float dtype. NumPy 1.x's
value-based casting is not that rule (float16 / 1e-300 gives float64 there, while MXNet
and minigluon keep float16), so on NumPy 1 the bits are not compared, only the dtype."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from minigluon import autograd, nd
from minigluon.ops import get_op

VALUES = [0.5, -0.0, 0.0, 1e300, -1e300, 1e-300, 5e-324, float("inf"), float("nan"), 0.1,
          1 / 3, 65504.0, 65520.0, 3.4028235e38, 3.4028236e38, 2.0**-149, 2.0**-150 * 1.5,
          2, 3, -7, 2049, 2**24 + 1, 2**53 - 1, 2**53 + 1, 2**64 + 1, 10**30]
NEP50 = int(np.__version__.split(".")[0]) >= 2  # NumPy 2 promotes Python numbers weakly
OPS = {"_plus_scalar": np.add, "_minus_scalar": np.subtract, "_mul_scalar": np.multiply,
       "_div_scalar": np.divide}


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(OPS))
def test_scalar_ops_give_numpys_bits_for_python_numbers(dtype, name):
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(size=50), [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-40,
                                              65504.0]]).astype(dtype)
    values = VALUES + [float(v) for v in rng.normal(size=40) * 10.0 ** rng.integers(-50, 50, 40)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for s in values:
            op = get_op(name)(s)
            for _ in range(2):  # made, then from the operator's cache
                y, _res = op.forward(x)
                if not NEP50:
                    # MXNet's rule, the array's dtype (NumPy 1 still gives float64 or
                    # object for Python ints past 2**53, which stay Python ints here)
                    if not (s.__class__ is int and abs(s) > 2**53):
                        assert y.dtype == x.dtype
                    continue
                want = OPS[name](x, s)
                assert y.dtype == want.dtype
                assert y.tobytes() == want.tobytes(), (name, dtype, s)


def test_numpy_scalars_keep_their_own_dtype():
    # a NumPy float64 scalar is not cast to the array's dtype (NEP 50): float64 result
    x = np.ones(3, np.float32)
    y, _ = get_op("_mul_scalar")(np.float64(0.1)).forward(x)
    assert y.dtype == (x * np.float64(0.1)).dtype


def test_scalar_vjps_on_ndarrays_under_create_graph():
    x = nd.array([1.0, 2.0])
    x.attach_grad()
    with autograd.record():
        y = (x * 3.0) / 2.0
        (g,) = autograd.grad(y, x, create_graph=True)
    np.testing.assert_array_equal(g.asnumpy(), [1.5, 1.5])
