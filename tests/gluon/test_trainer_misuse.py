"""Trainer misuse: a batch_size that is not a number, and trainer-state files whose
description is odd but valid JSON, whose hyper-parameters have the wrong type, or whose
arrays have a foreign dtype. Each is refused with a clear error before anything changes."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from minigluon import autograd, gluon, nd
from minigluon._fileformat import load_arrays, write_arrays
from minigluon.base import MXNetError
from minigluon.gluon import nn
from minigluon.gluon.trainer import BatchSizeError


def _trained(opt="adam", **params):
    gluon.reset_name_counters()
    net = nn.Dense(2, in_units=3)
    net.initialize()
    tr = gluon.Trainer(net.collect_params(), opt, params or None)
    with autograd.record():
        loss = net(nd.ones((4, 3))).sum()
    loss.backward()
    tr.step(4)
    return net, tr


def _snapshot(tr):
    o = tr._optimizer
    return (dict(vars(o)), dict(o._index_update_count),
            {k: tuple(s.asnumpy() for s in v) for k, v in tr._updater.states.items()})


def _assert_unchanged(tr, snap):
    hyper, counts, states = _snapshot(tr)
    assert {k: v for k, v in hyper.items() if not k.startswith("_")} == \
        {k: v for k, v in snap[0].items() if not k.startswith("_")}
    assert counts == snap[1]
    assert states.keys() == snap[2].keys()
    for k in states:
        for a, b in zip(states[k], snap[2][k]):
            np.testing.assert_array_equal(a, b)


def _rewrite(src, dst, edit_meta=None, edit_arrays=None):
    arrays = dict(load_arrays(str(src)))
    meta = json.loads(arrays["__meta__"].tobytes().decode())
    if edit_meta:
        meta = edit_meta(meta)
    if edit_arrays:
        edit_arrays(arrays)
    arrays["__meta__"] = np.frombuffer(json.dumps(meta).encode(), np.uint8).copy()
    write_arrays(str(dst), arrays)


# ---- batch_size -------------------------------------------------------------------------

@pytest.mark.parametrize("bad,shown", [(nd.array([6]), r"NDArray of shape \(1,\) \(for a "
                                                        r"one-element array write "
                                                        r"int\(x\.asscalar\(\)\)\)"),
                                       (nd.array([6, 2]), r"NDArray of shape \(2,\)$"),
                                       (np.array([6]), r"ndarray of shape \(1,\)"),
                                       ("6", "str '6'"), (None, "NoneType None")])
def test_step_with_a_batch_size_that_is_not_a_number_names_it(bad, shown):
    net, tr = _trained("sgd", learning_rate=0.1)
    w = net.weight.data().asnumpy()
    with autograd.record():
        net(nd.ones((4, 3))).sum().backward()
    with pytest.raises(BatchSizeError, match=r"Trainer\.step\(batch_size\): batch_size must be "
                                             r"a number; got " + shown):
        tr.step(bad)
    np.testing.assert_array_equal(net.weight.data().asnumpy(), w)
    # MXNet fails too: a TypeError for a string, an MXNetError for an NDArray
    assert issubclass(BatchSizeError, TypeError) and issubclass(BatchSizeError, MXNetError)


@pytest.mark.parametrize("good", [4, 4.0, np.int64(4), np.float32(4.0)])
def test_step_takes_python_and_numpy_numbers(good):
    net, tr = _trained("sgd", learning_rate=0.1)
    w = net.weight.data().asnumpy()
    with autograd.record():
        net(nd.ones((4, 3))).sum().backward()
    tr.step(good)
    np.testing.assert_allclose(net.weight.data().asnumpy(), w - 0.1 * 4 / 4, rtol=1e-6)


# ---- load_states --------------------------------------------------------------------------

@pytest.mark.parametrize("edit,match", [
    (lambda m: {**m, "hyper": {**m["hyper"], "lr": "0.1"}},
     r"hyper-parameter 'lr' is '0\.1' \(str\), but the optimizer's 'lr' is a number"),
    (lambda m: {**m, "hyper": {**m["hyper"], "wd": [0.0]}}, r"hyper-parameter 'wd' is \[0\.0\]"),
    (lambda m: {**m, "hyper": {**m["hyper"], "lr": None}}, r"hyper-parameter 'lr' is None"),
    (lambda m: {**m, "hyper": {**m["hyper"], "multi_precision": 1}},
     r"hyper-parameter 'multi_precision' is 1 \(int\), but the optimizer's "
     r"'multi_precision' is a bool"),
    (lambda m: {**m, "index_update_count": [[0, 1], [1]]}, r"update count \[1\] is not a pair"),
    (lambda m: {**m, "index_update_count": [["0", 1]]}, r"update count \['0', 1\]"),
    (lambda m: {**m, "index_update_count": [[7, 1]]}, r"update count \[7, 1\]"),
    (lambda m: {**m, "index_update_count": [[0, -1]]}, r"update count \[0, -1\]"),
    (lambda m: {**m, "version": 99}, r"format version 99 is not one this minigluon reads"),
    (lambda m: {**m, "states": {"0": [[[[[[[[["array"]]]]]]]]]}},
     r"state 'state:0(:0){6}' is nested deeper"),
])
def test_load_states_checks_the_description_before_changing_anything(tmp_path, edit, match):
    _, tr = _trained("adam", learning_rate=0.01)
    good = tmp_path / "good.states"
    tr.save_states(str(good))
    bad = tmp_path / "bad.states"
    _rewrite(good, bad, edit_meta=edit)
    _, tr2 = _trained("adam", learning_rate=0.5, wd=0.25)
    snap = _snapshot(tr2)
    where = re.escape(str(bad))
    with pytest.raises(MXNetError, match=f"cannot load trainer states from '{where}': {match}"):
        tr2.load_states(str(bad))
    _assert_unchanged(tr2, snap)


def test_load_states_refuses_state_arrays_of_a_foreign_dtype(tmp_path):
    _, tr = _trained("adam")
    good = tmp_path / "good.states"
    tr.save_states(str(good))
    bad = tmp_path / "bad.states"

    def to_int(arrays):
        arrays["state:0:0"] = arrays["state:0:0"].astype(np.int32)

    _rewrite(good, bad, edit_arrays=to_int)
    _, tr2 = _trained("adam")
    snap = _snapshot(tr2)
    with pytest.raises(MXNetError, match=r"state 'state:0:0' has dtype int32 but Parameter "
                                         r"'dense0_bias' has dtype float32$"):
        tr2.load_states(str(bad))
    _assert_unchanged(tr2, snap)


def test_load_states_restores_an_unset_optional_hyper_parameter(tmp_path):
    _, tr = _trained("sgd", learning_rate=0.1)  # clip_gradient None
    f = tmp_path / "t.states"
    tr.save_states(str(f))
    _, tr2 = _trained("sgd", learning_rate=0.1, clip_gradient=1.0)
    tr2.load_states(str(f))
    assert tr2._optimizer.clip_gradient is None


def test_load_states_of_deeply_nested_json_is_a_clear_error(tmp_path):
    _, tr = _trained("adam")
    good = tmp_path / "good.states"
    tr.save_states(str(good))
    arrays = dict(load_arrays(str(good)))
    arrays["__meta__"] = np.frombuffer(b"[" * 100000 + b"]" * 100000, np.uint8).copy()
    bad = tmp_path / "deep.states"
    write_arrays(str(bad), arrays)
    with pytest.raises(MXNetError, match="not a file written by Trainer.save_states"):
        tr.load_states(str(bad))


_json = st.recursive(st.none() | st.booleans() | st.integers(-3, 3) | st.floats(-2, 2)
                     | st.text(max_size=4) | st.just("array"),
                     lambda kids: st.lists(kids, max_size=3)
                     | st.dictionaries(st.sampled_from(["0", "1", "lr", "wd", "x"]), kids,
                                       max_size=3), max_leaves=8)
_FIELDS = ["format", "version", "optimizer", "states", "hyper", "index_update_count"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(field=st.sampled_from(_FIELDS), value=_json)
def test_load_states_fuzz_loads_or_refuses_with_nothing_changed(tmp_path, field, value):
    _, tr = _trained("adam")
    good = tmp_path / "good.states"
    tr.save_states(str(good))
    bad = tmp_path / "fuzz.states"
    _rewrite(good, bad, edit_meta=lambda m: {**m, field: value})
    _, tr2 = _trained("adam", learning_rate=0.5)
    snap = _snapshot(tr2)
    try:
        tr2.load_states(str(bad))
    except MXNetError as e:
        assert f"cannot load trainer states from '{bad}'" in str(e)
        _assert_unchanged(tr2, snap)
        return
    with autograd.record():  # what loaded is usable
        tr2._params[0].data().sum().backward()
    tr2.step(1, ignore_stale_grad=True)


def test_a_state_of_another_structure_than_the_optimizers_is_refused(tmp_path):
    # Adam keeps (mean, var) per weight; a None state would fail at the next step
    _, tr = _trained("adam")
    good = tmp_path / "good.states"
    tr.save_states(str(good))
    bad = tmp_path / "bad.states"
    _rewrite(good, bad, edit_meta=lambda m: {**m, "states": {**m["states"], "0": None}})
    _, tr2 = _trained("adam")
    snap = _snapshot(tr2)
    with pytest.raises(MXNetError, match=r"state 0 is laid out as None, but adam keeps "
                                         r"\['array', 'array'\]"):
        tr2.load_states(str(bad))
    _assert_unchanged(tr2, snap)


def test_states_are_judged_by_the_hyper_parameters_in_the_file(tmp_path):
    # saved with momentum (one array per weight) into a Trainer without: the file's
    # momentum comes with its states, as MXNet's pickled optimizer brings its own
    _, tr = _trained("sgd", learning_rate=0.1, momentum=0.9)
    path = tmp_path / "m.states"
    tr.save_states(str(path))
    _, tr2 = _trained("sgd", learning_rate=0.1)
    tr2.load_states(str(path))
    assert tr2._optimizer.momentum == 0.9
    np.testing.assert_array_equal(tr2._updater.states[0].asnumpy(),
                                  tr._updater.states[0].asnumpy())
