"""Issue 18: a gradient of the wrong shape or dtype is never put in place silently: a wrong
shape is refused; a Function's gradient of another dtype is cast to its input's dtype as
MXNet 1.9.1 does; an operator VJP of another dtype is refused."""
import attrs
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


# ---- dtype -----------------------------------------------------------------------------

def cast_function(dtype):
    class Scale(autograd.Function):
        """y = 2 x; backward returns 2.5 dy (deliberately not 2) cast to ``dtype``."""

        def forward(self, x):
            return x * 2

        def backward(self, dy):
            return (dy * 2.5).astype(dtype)

    return Scale


# Values printed by MXNet 1.9.1 (~/mxnet-oracle) for exactly these programs: MXNet copies a
# Function's gradient into a buffer of its input's dtype, so int32 truncates 2.5 to 2 and
# x.grad stays float32 in every case.
@pytest.mark.parametrize("dtype, leaf, middle", [
    ("int32", [2.0, 2.0], [14.25, 24.75]),
    ("int64", [2.0, 2.0], [14.25, 24.75]),
    ("float64", [2.5, 2.5], [15.1875, 25.3125]),
    ("float16", [2.5, 2.5], [15.1875, 25.3125]),
])
def test_function_gradient_of_another_dtype_is_cast_as_mxnet_does(dtype, leaf, middle):
    Scale = cast_function(dtype)
    x = nd.array([1.5, 2.5])
    x.attach_grad()
    with autograd.record():
        y = Scale()(x)
    y.backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad.asnumpy(), leaf)
    (g,) = autograd.grad(_recorded(Scale, x), [x],
                         head_grads=nd.ones((2,)))
    assert g.dtype == np.float32
    np.testing.assert_array_equal(g.asnumpy(), leaf)
    # in the middle of a graph: what flows upstream is float32 too, not the Function's dtype
    from minigluon._tape import backward_steps
    from minigluon.ndarray.ndarray import _seeds
    with autograd.record():
        h = x * 1.5
        z = (Scale()(h) * h).sum()
    seen = []
    for _node, _g, grads in backward_steps(*_seeds([z], None), True):
        seen += [q.dtype for q in grads or () if q is not None]
    assert seen and all(d == np.float32 for d in seen), seen
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad.asnumpy(), middle, rtol=1e-6)


def _recorded(fn_class, x):
    with autograd.record():
        return fn_class()(x)


def test_function_float32_gradient_for_a_float64_input_is_cast_up():
    Scale = cast_function("float32")
    x = nd.array([1.5, 2.5], dtype="float64")
    x.attach_grad()
    with autograd.record():
        y = Scale()(x)
    y.backward()
    assert x.grad.dtype == np.float64  # MXNet 1.9.1: float64, [2.5, 2.5]
    np.testing.assert_array_equal(x.grad.asnumpy(), [2.5, 2.5])


@pytest.fixture
def float64_vjp_op():
    from minigluon.ops import OPS, Op, register_op

    @register_op
    @attrs.frozen
    class Float64Vjp(Op):
        """y = 3 x.   VJP: dx = 3 g (in float64 on purpose: the wrong dtype)"""

        name = "_test_float64_vjp"
        expose = False

        def forward(self, x):
            return x * 3, ()

        def vjp(self, res, g):
            return (g.astype(np.float64) * 3,)

        @classmethod
        def samples(cls, rng):
            return [(cls(), [np.array([1.0, 2.0])])]

    yield Float64Vjp
    OPS.unregister(Float64Vjp.name)


def test_operator_vjp_of_another_dtype_is_refused_with_names_and_dtypes(float64_vjp_op):
    from minigluon.ndarray.ndarray import invoke

    x = nd.array([1.0, 2.0])
    x.attach_grad()
    with autograd.record():
        y = invoke(float64_vjp_op(), [x * 1.0])
    with pytest.raises(MinigluonError) as e:
        y.backward()
    msg = str(e.value)
    assert msg.startswith("operator _test_float64_vjp: the VJP of _test_float64_vjp returned "
                          "a gradient of dtype float64 for input 0, whose dtype is float32")
    np.testing.assert_array_equal(x.grad.asnumpy(), [0, 0])  # nothing was deposited
