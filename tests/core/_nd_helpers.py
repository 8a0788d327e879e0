"""What the tests/core/test_nd_*.py files share: checks of an NDArray's values, shape
and dtype, and the 3x4 array most rows of the MXNet behaviour reference start from."""

from __future__ import annotations

import numpy as np

import minigluon as mx
from minigluon import nd

MXNetError = mx.base.MXNetError


def vals(x):
    """The values of an NDArray as nested lists (checks it is an NDArray first)."""
    assert isinstance(x, nd.NDArray), type(x)
    return x.asnumpy().tolist()


def check(x, shape, dtype, values=None):
    """``x`` is an NDArray of ``shape`` and ``dtype`` (and ``values``, if given)."""
    assert isinstance(x, nd.NDArray), type(x)
    assert x.shape == shape
    assert x.dtype is np.dtype(dtype).type
    if values is not None:
        np.testing.assert_array_equal(x.asnumpy(), np.asarray(values, dtype=dtype))


def X34():
    """``nd.arange(12).reshape((3, 4))``: a fresh one per call."""
    return nd.arange(12).reshape((3, 4))
