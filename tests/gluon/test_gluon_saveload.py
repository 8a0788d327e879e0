"""save_parameters / load_parameters and ParameterDict.save / load (semantics I, L8-L14)."""

from __future__ import annotations

import numpy as np
import pytest
from gluon_golden import GOLDEN, G, programs

import minigluon as mx
from minigluon import _fileformat, gluon, nd
from minigluon.gluon import nn


@pytest.mark.parametrize("prog", programs("saveload_"),
                         ids=lambda p: p.__name__)
def test_matches_mxnet(prog):
    problems = G.compare(prog, mx, GOLDEN)
    assert not problems, "\n".join(problems)


class MLP(nn.Block):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.hidden = nn.Dense(3, activation="relu")
        self.output = nn.Dense(2)

    def forward(self, x):
        return self.output(self.hidden(x))


def _two_layers(units=2):
    net = nn.Sequential()
    net.add(nn.Dense(units, in_units=2), nn.Dense(2, in_units=units))
    net.initialize(mx.init.Normal(1.0))
    return net


def _values(net):
    return {k: p.data().asnumpy().copy() for k, p in net.collect_params().items()}


def test_loads_a_file_written_by_mxnet(tmp_path):
    """The .params bytes MXNet wrote for an MLP (saveload_structural/mlp_bytes)."""
    f = tmp_path / "mxnet_mlp.params"
    f.write_bytes(GOLDEN["saveload_structural/mlp_bytes"].tobytes())
    saved = _fileformat.load_arrays(str(f))
    net = MLP()
    net.load_parameters(str(f))  # no initialize() needed (L9)
    assert net.hidden.weight.shape == (3, 4) and net.output.weight.shape == (2, 3)
    for key, p in net._collect_params_with_prefix().items():
        np.testing.assert_array_equal(p.data().asnumpy(), saved[key])
    # and writing them back gives MXNet's bytes exactly
    out = tmp_path / "again.params"
    net.save_parameters(str(out))
    assert out.read_bytes() == f.read_bytes()


def test_round_trip_into_a_new_instance_l9(tmp_path):
    net = MLP()
    net.initialize()
    x = nd.random.uniform(shape=(2, 20))
    y = net(x)
    f = str(tmp_path / "mlp.params")
    net.save_parameters(f)
    net2 = MLP()
    net2.load_parameters(f)
    assert net2.hidden.weight.name != net.hidden.weight.name
    np.testing.assert_array_equal(net2(x).asnumpy(), y.asnumpy())
    assert list(nd.load(f)) == ["hidden.weight", "hidden.bias", "output.weight", "output.bias"]


@pytest.mark.parametrize("content,match", [
    (b"", "not a valid MXNet parameter file"),
    (b"\x93NUMPY\x01\x00", "NumPy .npy"),
    (b"hello world, not a params file", "not a valid MXNet parameter file"),
])
def test_foreign_or_corrupt_file_is_refused_and_nothing_changes(tmp_path, content, match):
    net = _two_layers()
    before = _values(net)
    f = tmp_path / "bad.params"
    f.write_bytes(content)
    with pytest.raises(mx.base.MXNetError, match=match):
        net.load_parameters(str(f))
    for k, v in _values(net).items():
        np.testing.assert_array_equal(v, before[k])


def test_truncated_file_is_refused(tmp_path):
    net = _two_layers()
    f = tmp_path / "net.params"
    net.save_parameters(str(f))
    f.write_bytes(f.read_bytes()[:-5])
    with pytest.raises(mx.base.MXNetError, match=r"cannot load parameters from .*net\.params"):
        _two_layers().load_parameters(str(f))


def test_list_file_is_refused(tmp_path):
    f = str(tmp_path / "list.nd")
    nd.save(f, [nd.ones(2)])
    with pytest.raises(mx.base.MXNetError, match="1 unnamed arrays"):
        _two_layers().load_parameters(f)


def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        _two_layers().load_parameters(str(tmp_path / "nope.params"))


def test_a_mismatch_late_in_the_file_changes_nothing(tmp_path):
    """MXNet loads parameters one by one and can stop half way; minigluon checks first."""
    src = nn.Sequential()
    src.add(nn.Dense(2, in_units=2), nn.Dense(3, in_units=2))  # 1.weight is (3, 2)
    src.initialize(mx.init.One())
    f = str(tmp_path / "src.params")
    src.save_parameters(f)
    dst = _two_layers()
    before = _values(dst)
    with pytest.raises(AssertionError, match="shape incompatible expected \\(2, 2\\) vs "
                                             "saved \\(3, 2\\)"):
        dst.load_parameters(f)
    for k, v in _values(dst).items():
        np.testing.assert_array_equal(v, before[k])


def test_save_before_first_forward_writes_nothing_l10(tmp_path):
    net = nn.Sequential()
    net.add(nn.Dense(2))
    net.initialize()
    f = tmp_path / "d.params"
    f.write_bytes(b"previous")
    with pytest.raises(gluon.DeferredInitializationError):
        net.save_parameters(str(f))
    assert f.read_bytes() == b"previous"


def test_load_completes_a_deferred_initialization(tmp_path):
    src = _two_layers()
    f = str(tmp_path / "src.params")
    src.save_parameters(f)
    dst = nn.Sequential()
    dst.add(nn.Dense(2), nn.Dense(2))
    dst.initialize()
    dst.load_parameters(f)
    assert dst[0].weight.shape == (2, 2)
    np.testing.assert_array_equal(dst[0].weight.data().asnumpy(),
                                  src[0].weight.data().asnumpy())


def test_shared_parameters_and_deduplicate(tmp_path):
    net = nn.Sequential()
    shared = nn.Dense(2, in_units=2)
    net.add(shared, nn.Dense(2, in_units=2, params=shared.params))
    net.initialize()
    f1, f2 = str(tmp_path / "all.params"), str(tmp_path / "dedup.params")
    net.save_parameters(f1)
    net.save_parameters(f2, deduplicate=True)
    assert list(nd.load(f1)) == ["0.weight", "0.bias", "1.weight", "1.bias"]
    assert list(nd.load(f2)) == ["0.weight", "0.bias"]
    gluon.reset_name_counters()
    net2 = nn.Sequential()
    s2 = nn.Dense(2, in_units=2)
    net2.add(s2, nn.Dense(2, in_units=2, params=s2.params))
    net2.load_parameters(f2)  # a shared parameter needs only one of its names
    np.testing.assert_array_equal(net2[1].weight.data().asnumpy(),
                                  net[0].weight.data().asnumpy())


def test_parameterdict_save_load_full_names(tmp_path):
    net = _two_layers()
    f = str(tmp_path / "full.params")
    net.collect_params().save(f)
    assert list(nd.load(f)) == ["dense0_weight", "dense0_bias", "dense1_weight", "dense1_bias"]
    fresh = gluon.ParameterDict()
    for name in nd.load(f):
        fresh.get(name, shape=(2, 0) if name.endswith("weight") else (2,),
                  allow_deferred_init=True)
    fresh.load(f)
    for name, p in fresh.items():
        np.testing.assert_array_equal(p.data().asnumpy(), net.collect_params()[name].data()
                                      .asnumpy())
    stripped = str(tmp_path / "stripped.params")
    net.collect_params().save(stripped, strip_prefix="dense")
    assert list(nd.load(stripped))[0] == "0_weight"
    with pytest.raises(ValueError, match="Prefix 'x' is to be striped before saving"):
        net.collect_params().save(stripped, strip_prefix="x")


def test_cast_dtype_options(tmp_path):
    a = nn.Dense(2, in_units=2)
    a.initialize(mx.init.One())
    a.cast("float64")
    f = str(tmp_path / "f64.params")
    a.save_parameters(f)
    b = nn.Dense(2, in_units=2)
    b.initialize()
    with pytest.raises(AssertionError, match="Set cast_dtype=True"):
        b.load_parameters(f)
    b.load_parameters(f, cast_dtype=True)
    assert b.weight.data().dtype == np.float32
    assert b.weight.data().asnumpy().tolist() == [[1.0, 1.0], [1.0, 1.0]]
