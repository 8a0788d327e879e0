"""Issue 18: a gradient of the wrong shape is refused, never broadcast into place."""
import numpy as np
import pytest

import minigluon as mx
from minigluon import autograd, nd
from minigluon.base import MinigluonError


class RowScale(autograd.Function):
    """y = x * s (s a row vector); backward wrongly returns a (2, 1) gradient."""

    def forward(self, x):
        return x * 1.0

    def backward(self, dy):
        return nd.array([[10.0], [20.0]])  # broadcasts against (2, 2): silently wrong


class Good(autograd.Function):
    def forward(self, x):
        return x * 2.0

    def backward(self, dy):
        return dy * 2.0


def test_function_wrong_shape_gradient_is_refused_with_names_and_shapes():
    x = nd.ones((2, 2))
    x.attach_grad()
    with autograd.record():
        y = RowScale()(x)
    with pytest.raises(MinigluonError) as e:
        y.backward()
    msg = str(e.value)
    assert "RowScale" in msg
    assert "input 0" in msg
    assert "(2, 1)" in msg and "(2, 2)" in msg


def test_function_wrong_shape_that_would_broadcast_in_the_middle_of_a_graph():
    x = nd.ones((2, 2))
    x.attach_grad()
    with autograd.record():
        y = (RowScale()(x * 3.0)).sum()
    with pytest.raises(MinigluonError, match=r"RowScale.*\(2, 1\).*\(2, 2\)"):
        y.backward()


def test_correct_function_still_works():
    x = nd.array([[1.0, 2.0], [3.0, 4.0]])
    x.attach_grad()
    with autograd.record():
        y = (Good()(x) * x).sum()
    y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), 4.0 * x.asnumpy())
    assert mx is not None
