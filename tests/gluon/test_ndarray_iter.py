"""mx.io.NDArrayIter against the batches MXNet 1.9.1's gives (golden values)."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import minigluon as mx

GOLDEN_DIR = Path(__file__).parents[1] / "golden"
_spec = importlib.util.spec_from_file_location("make_io_golden",
                                               GOLDEN_DIR / "make_io_golden.py")
G = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(G)
GOLDEN = np.load(GOLDEN_DIR / "io.npz")
CASES = G.cases(mx)


@pytest.mark.parametrize("name", sorted(CASES))
def test_batches_match_mxnet(name):
    want = {k.split("/", 1)[1]: GOLDEN[k] for k in GOLDEN.files if k.startswith(name + "/")}
    got = CASES[name]
    assert sorted(got) == sorted(want)
    for k, v in want.items():
        assert got[k].dtype == v.dtype, k
        np.testing.assert_array_equal(got[k], v, err_msg=k)


def test_errors_as_mxnet():
    with pytest.raises(AssertionError):
        mx.io.NDArrayIter(None)
    with pytest.raises(TypeError, match="Input must be NDArray"):
        mx.io.NDArrayIter("not arrays")
    it = mx.io.NDArrayIter(np.zeros((4, 2)), batch_size=2)
    list(it)
    with pytest.raises(StopIteration):
        it.next()
    with pytest.raises(AssertionError, match="DataIter needs reset"):
        it.getdata()


def test_hard_reset_forgets_the_rolled_over_examples():
    it = mx.io.NDArrayIter(np.arange(5.0), batch_size=2, last_batch_handle="roll_over")
    assert [b.data[0].asnumpy().tolist() for b in it] == [[0, 1], [2, 3]]
    it.hard_reset()
    assert [b.pad for b in it] == [0, 0]
    it.reset()
    first = next(iter(it))
    assert first.data[0].asnumpy().tolist() == [4, 0] and first.pad == 1
