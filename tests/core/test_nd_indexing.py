"""Indexing and assignment (table I); in-place operations, out= and identity (N4).

One test (or parametrized case) per row of the MXNet 1.9.1 behaviour reference
(/work/shared/mxnet-semantics.md); test names start with the row id. Rows marked
"improve" test minigluon's better behaviour instead. Tests never import mxnet.
"""

from __future__ import annotations

import numpy as np
import pytest
from _nd_helpers import X34, MXNetError, check, vals

from minigluon import nd

# =========================================================================================
# I. Indexing and assignment
# =========================================================================================

def test_I1_int_index_of_vector_is_shape_1():
    check(nd.arange(6)[1], (1,), np.float32, [1])
    features, labels = nd.ones((1000, 2)), nd.ones(1000)
    assert features[0].shape == (2,) and labels[0].shape == (1,)


def test_I2_full_int_index():
    check(X34()[1, 2], (1,), np.float32, [6])


def test_I3_int_index_drops_axis():
    check(nd.arange(6).reshape((2, 3))[1], (3,), np.float32, [3, 4, 5])


@pytest.mark.parametrize("key", [
    slice(1, 3), (slice(None), 0), slice(None, 2), (slice(0, 2), slice(None)),
    slice(None, None, 2), slice(None, None, -1), slice(2, 100), -1, (slice(None), -1),
], ids=["1:3", ":,0", ":2", "slice_obj", "::2", "::-1", "2:100", "-1", ":,-1"])
def test_I4_slices_like_numpy(key):
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    check(nd.array(a)[key], a[key].shape, np.float32, a[key])


def test_I4_1d_slices():
    x = nd.arange(6)
    check(x[::2], (3,), np.float32, [0, 2, 4])
    check(x[::-1], (6,), np.float32, [5, 4, 3, 2, 1, 0])
    check(x[4:100], (2,), np.float32, [4, 5])


def test_I5_out_of_bounds():
    with pytest.raises(IndexError, match="index 10 is out of bounds for axis 0 with size 6"):
        nd.arange(6)[10]


@pytest.mark.parametrize("idx", [nd.array([2, 0]), [2, 0], np.array([2, 0])],
                         ids=["ndarray", "list", "numpy"])
def test_I6_advanced_row_gather_is_copy(idx):
    X = nd.arange(6).reshape((3, 2))
    r = X[idx]
    check(r, (2, 2), np.float32, [[4, 5], [0, 1]])
    r[0, 0] = 99
    assert vals(X)[2][0] == 4


def test_I7_pairwise_gather():
    X = nd.arange(6).reshape((3, 2))
    check(X[[0, 2], [1, 0]], (2,), np.float32, [1, 4])
    check(X[nd.array([0, 2]), nd.array([1, 0])], (2,), np.float32, [1, 4])


def test_I8_ndarray_mask_is_indices_numpy_bool_mask_selects():
    check(nd.arange(4)[nd.array([1, 0, 1, 0])], (4,), np.float32, [1, 0, 1, 0])
    # improve: a boolean NumPy mask selects like NumPy
    check(nd.arange(4)[np.array([True, False, True, False])], (2,), np.float32, [0, 2])


def test_I9_newaxis_and_ellipsis():
    check(nd.arange(4)[None, :], (1, 4), np.float32, [[0, 1, 2, 3]])
    assert nd.ones((2, 3, 4))[..., 1].shape == (2, 3)


def test_I10_basic_indexing_views_write_through():
    a = nd.arange(12)
    a.reshape((3, 4))[1, 1] = 100
    assert vals(a)[5] == 100
    a = nd.arange(6)
    a[1:3][:] = 7
    assert vals(a) == [0, 7, 7, 3, 4, 5]
    a = nd.arange(6).reshape((2, 3))
    a[1][:] = 9
    assert vals(a) == [[0, 1, 2], [9, 9, 9]]
    a = nd.arange(6).reshape((2, 3))
    a[1:2, :] = 12
    assert vals(a) == [[0, 1, 2], [12, 12, 12]]


@pytest.mark.parametrize("derive", [lambda a: a.T, lambda a: a[[0, 1]], lambda a: a.copy(),
                                    lambda a: a.astype("float32")],
                         ids=["T", "fancy", "copy", "astype"])
def test_I11_copies_do_not_write_through(derive):
    a = nd.arange(6).reshape((2, 3))
    c = derive(a)
    c[0, 0] = 99
    assert vals(a) == [[0, 1, 2], [3, 4, 5]]


def test_I12_setitem_sources_broadcast_and_cast():
    x = nd.zeros(3)
    i = id(x)
    x[:] = 5
    assert vals(x) == [5, 5, 5]
    x[:] = nd.array([7])
    assert vals(x) == [7, 7, 7]
    x[:] = np.array([1, 2, 3])
    assert vals(x) == [1, 2, 3]
    x[:] = [4, 5, 6]
    assert vals(x) == [4, 5, 6]
    x[:] = np.float64(2.5)
    assert vals(x) == [2.5] * 3 and x.dtype is np.float32 and id(x) == i
    X = nd.ones((2, 3))
    Z = nd.zeros((2, 3))
    i = id(Z)
    Z[:] = X + X
    assert id(Z) == i and vals(Z) == [[2] * 3] * 2


def test_I13_setitem_bad_shape():
    x = nd.ones(3)
    with pytest.raises(ValueError, match="broadcast"):
        x[:] = nd.ones((2, 3))


def test_I14_setitem_forms():
    x = nd.arange(6)
    x[1:3] = 12
    assert vals(x) == [0, 12, 12, 3, 4, 5]
    X = nd.arange(6).reshape((2, 3))
    X[1, 2] = 9
    assert vals(X) == [[0, 1, 2], [3, 4, 9]]
    X = nd.arange(6).reshape((2, 3))
    X[1:2, :] = 12
    assert vals(X) == [[0, 1, 2], [12, 12, 12]]
    X = nd.zeros((3, 2))
    X[:, 1] = nd.array([1, 2, 3])
    assert vals(X) == [[0, 1], [0, 2], [0, 3]]
    X = nd.zeros((3, 4))
    X[1] = nd.array([[1, 2, 3, 4]])
    assert vals(X) == [[0] * 4, [1, 2, 3, 4], [0] * 4]


def test_I15_setitem_scalar_position_from_shape1():
    a, b, c = nd.arange(3), nd.ones(3), nd.zeros(3)
    for i in range(3):
        c[i] = a[i] + b[i]
    assert vals(c) == [1, 2, 3]


def test_I16_setitem_with_index_arrays():
    x = nd.zeros((3, 2))
    x[nd.array([0, 2])] = 7
    assert vals(x) == [[7, 7], [0, 0], [7, 7]]
    x = nd.zeros(4)
    x[[0, 2]] = 7
    assert vals(x) == [7, 0, 7, 0]


def test_I17_setitem_casts_by_truncation():
    x = nd.zeros(3, dtype="int32")
    x[1] = 3.7
    assert vals(x) == [0, 3, 0]
    x = nd.zeros(2, dtype="int32")
    x[:] = nd.array([1.5, 2.5])
    assert vals(x) == [1, 2] and x.dtype is np.int32
    x[:] = nd.array([-1.5, 2.5])
    assert vals(x) == [-1, 2]


def test_I18_take_truncates_and_clips():
    x = nd.arange(10)
    check(x.take(nd.array([1.7, -1, 12])), (3,), np.float32, [1, 0, 9])
    check(x.take(nd.array([1.7, -1, 12]), mode="wrap"), (3,), np.float32, [1, 9, 2])


_YHAT = [[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]]


def test_I19_pick():
    r = nd.pick(nd.array(_YHAT), nd.array([0, 2], dtype="int32"))
    assert r.shape == (2,) and r.dtype is np.float32
    np.testing.assert_allclose(vals(r), [0.1, 0.5], rtol=1e-6)


def test_I20_pick_clips_out_of_range():
    r = nd.pick(nd.array(_YHAT), nd.array([5, -1]))
    np.testing.assert_allclose(vals(r), [0.6, 0.3], rtol=1e-6)


def test_I21_pick_keepdims_axis_and_2d_index():
    y = nd.array(_YHAT)
    r = nd.pick(y, nd.array([0, 2]), keepdims=True)
    assert r.shape == (2, 1)
    np.testing.assert_allclose(vals(r), [[0.1], [0.5]], rtol=1e-6)
    r = nd.pick(y, nd.array([0, 2, 1]), axis=0)
    assert r.shape == (3,)
    np.testing.assert_allclose(vals(r), [0.1, 0.2, 0.5], rtol=1e-6)
    r = nd.pick(y, nd.array([[0], [2]]))
    assert r.shape == (2,)
    np.testing.assert_allclose(vals(r), [0.1, 0.5], rtol=1e-6)


def test_I22_one_hot():
    check(nd.one_hot(nd.array([0, 2]), 3), (2, 3), np.float32, [[1, 0, 0], [0, 0, 1]])


# =========================================================================================
# N4. In-place operations, out= and identity
# =========================================================================================

def test_O1_rebinding_creates_new_object():
    X, Y = nd.ones(3), nd.ones(3)
    before = id(Y)
    Y = Y + X
    assert id(Y) != before


def test_O2_identity_preserved():
    X, Y = nd.ones(3), nd.ones(3) * 2
    Z = nd.zeros(3)
    before = id(Z)
    Z[:] = X + Y
    assert id(Z) == before
    assert nd.elemwise_add(X, Y, out=Z) is Z and id(Z) == before
    before = id(X)
    X += Y
    assert id(X) == before and vals(X) == [3, 3, 3]


def test_O3_alias_sees_inplace_change():
    x = nd.ones(3)
    y = x
    x += 1
    assert y is x and vals(y) == [2, 2, 2]


def test_O4_out_on_operator_functions():
    z = nd.zeros((2, 3))
    assert nd.broadcast_add(nd.ones((2, 1)), nd.ones(3), out=z) is z
    assert vals(z) == [[2] * 3] * 2
    z = nd.zeros(3)
    assert nd.exp(nd.zeros(3), out=z) is z and vals(z) == [1, 1, 1]


def test_O4_nd_add_has_no_out():
    with pytest.raises(TypeError, match="unexpected keyword argument 'out'"):
        nd.add(nd.ones(2), nd.ones(2), out=nd.zeros(2))


def test_O5_out_wrong_shape_or_dtype():
    with pytest.raises(MXNetError, match="Incompatible attr"):
        nd.exp(nd.ones(3), out=nd.zeros(2))
    with pytest.raises(MXNetError, match="Incompatible attr"):
        nd.exp(nd.ones(3), out=nd.zeros(3, dtype="int32"))


def test_O6_inplace_broadcasts_right_side():
    x = nd.zeros((2, 3))
    before = id(x)
    x += nd.ones(3)
    assert id(x) == before and vals(x) == [[1] * 3] * 2


def test_O7_inplace_cannot_grow_left_side():
    x = nd.ones(3)
    with pytest.raises(MXNetError, match="Shape inconsistent"):
        x += nd.ones((2, 3))
    assert vals(x) == [1, 1, 1]


def test_O8_int_inplace_truncates():
    x = nd.ones(3, dtype="int32")
    x += 1.7
    check(x, (3,), np.int32, [2, 2, 2])


def test_O9_multiply_by_mask_inplace():
    x = nd.array([0.5, 1, 2, -3])
    x *= x >= 1
    assert vals(x) == [0, 1, 2, 0]
    data = nd.array([-6, 3, 7, -2])
    data *= data.abs() >= 5
    assert vals(data) == [-6, 0, 7, 0]


# =========================================================================================
# J2. '%f' % loss.mean().asnumpy() on NumPy >= 2.4
# =========================================================================================

def test_J2_percent_format_of_shape1_asnumpy():
    train_l = nd.ones(3)
    m = train_l.mean().asnumpy()
    assert m.shape == (1,)
    assert "%f" % nd.ones(3).mean().asnumpy() == "1.000000"
    assert "epoch %d, loss %f" % (0 + 1, train_l.mean().asnumpy()) == "epoch 1, loss 1.000000"
    assert "%.2f" % nd.array([[2.5]]).asnumpy() == "2.50"
