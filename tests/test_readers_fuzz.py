"""Damaged and foreign files for the readers that landed after tests/test_bad_input.py:
the RecordIO index and image-record headers, token-embedding text files and -symbol.json
graphs. Every reader gives a result or an MXNetError naming the file and the line, offset
or node; never a bare IndexError, KeyError, struct.error, UnicodeDecodeError or
RecursionError, and never a hang (the examples are small and bounded)."""

from __future__ import annotations

import json
import warnings

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from minigluon import autograd, gluon, nd, recordio, sym
from minigluon.base import MXNetError
from minigluon.contrib import text

_SETTINGS = settings(max_examples=60, deadline=None,
                     suppress_health_check=[HealthCheck.too_slow,
                                            HealthCheck.function_scoped_fixture])


def _damage(base: bytes, pos: int, junk: bytes) -> bytes:
    b = bytearray(base)
    pos = min(pos, len(b))
    b[pos:pos + len(junk)] = junk
    return bytes(b)


# ---- RecordIO: the .idx text file and the image-record header ------------------------------

def _indexed(tmp_path):
    rec, idx = tmp_path / "d.rec", tmp_path / "d.idx"
    w = recordio.MXIndexedRecordIO(str(idx), str(rec), "w")
    for i in range(4):
        w.write_idx(i, recordio.pack(recordio.IRHeader(0, float(i), i, 0), b"x" * i))
    w.close()
    return rec, idx


@_SETTINGS
@given(pos=st.integers(0, 40), junk=st.binary(min_size=1, max_size=8))
def test_fuzz_recordio_index(tmp_path, pos, junk):
    rec, idx = _indexed(tmp_path)
    idx.write_bytes(_damage(idx.read_bytes(), pos, junk))
    try:
        r = recordio.MXIndexedRecordIO(str(idx), str(rec), "r")
    except MXNetError as e:
        assert "d.idx" in str(e) and "line" in str(e)
        return
    for key in r.keys:
        try:
            got = r.read_idx(key)
        except MXNetError as e:
            assert "d.rec" in str(e) or "d.idx" in str(e)
            continue
        assert got is None or len(got) <= rec.stat().st_size
    r.close()


@_SETTINGS
@given(blob=st.binary(max_size=64))
def test_fuzz_image_record_header(blob):
    try:
        header, payload = recordio.unpack(blob)
    except MXNetError as e:
        assert "IRHeader" in str(e)
        return
    assert len(payload) <= len(blob)


# ---- token embeddings (GloVe/fastText text format) -------------------------------------------

_GOOD_VEC = b"3 2\nhello 0.1 0.2\nworld 0.3 0.4\n<unk> 0 0\n"


@_SETTINGS
@given(pos=st.integers(0, 50), junk=st.binary(min_size=1, max_size=6))
def test_fuzz_embedding_file(tmp_path, pos, junk):
    path = tmp_path / "e.vec"
    path.write_bytes(_damage(_GOOD_VEC, pos, junk))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            emb = text.embedding.CustomEmbedding(str(path))
    except MXNetError as e:
        assert "e.vec" in str(e)
        assert "line" in str(e) or "holds no vector" in str(e)
        return
    assert emb.idx_to_vec.shape == (len(emb.idx_to_token), emb.vec_len)


def test_embedding_file_that_is_not_utf8_names_file_and_line(tmp_path):
    path = tmp_path / "e.txt"
    path.write_bytes(b"hello 0.1 0.2\nw\xffrld 0.3 0.4\n")
    with pytest.raises(MXNetError, match=r"line 2 of .*e\.txt.*utf8"):
        text.embedding.CustomEmbedding(str(path))


# ---- -symbol.json ---------------------------------------------------------------------------

def _graph() -> dict:
    x = sym.var("data")
    net = sym.FullyConnected(x, num_hidden=3, name="fc")
    net = sym.Activation(net, act_type="relu", name="act")
    return json.loads(net.tojson())


_JSON = st.recursive(st.none() | st.booleans() | st.integers(-3, 5) | st.text(max_size=5),
                     lambda kids: st.lists(kids, max_size=3)
                     | st.dictionaries(st.sampled_from(["op", "name", "inputs", "attrs",
                                                        "num_hidden", "act_type"]), kids,
                                       max_size=3), max_leaves=8)


def _paths(d, prefix=()):
    yield prefix
    if isinstance(d, dict):
        for k, v in d.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(d, list):
        for i, v in enumerate(d):
            yield from _paths(v, (*prefix, i))


_PATHS = list(_paths(_graph()))[1:]


def _put(d, path, value):
    for k in path[:-1]:
        d = d[k]
    d[path[-1]] = value


@_SETTINGS
@given(path=st.sampled_from(_PATHS), value=_JSON)
def test_fuzz_symbol_json(tmp_path, path, value):
    g = _graph()
    _put(g, path, value)
    f = tmp_path / "net-symbol.json"
    f.write_text(json.dumps(g))
    try:
        s = sym.load(str(f))
    except MXNetError as e:
        assert "net-symbol.json" in str(e)
        return
    assert s.list_outputs()


@_SETTINGS
@given(pos=st.integers(0, 600), junk=st.binary(min_size=1, max_size=8))
def test_fuzz_symbol_json_bytes(tmp_path, pos, junk):
    f = tmp_path / "net-symbol.json"
    f.write_bytes(_damage(json.dumps(_graph()).encode(), pos, junk))
    try:
        sym.load(str(f))
    except MXNetError as e:
        assert "net-symbol.json" in str(e)


def test_symbol_json_nested_thousands_deep_is_a_clear_error(tmp_path):
    f = tmp_path / "deep-symbol.json"
    f.write_text("[" * 100000 + "]" * 100000)
    with pytest.raises(MXNetError, match="deep-symbol.json"):
        sym.load(str(f))


def test_fuzz_paths_reach_every_part_of_the_graph():
    assert {p[0] for p in _PATHS} >= {"nodes", "heads", "arg_nodes"}
    assert any("attrs" in p for p in _PATHS) and any("inputs" in p for p in _PATHS)


@pytest.mark.parametrize("damage", [b"\x80", b"[[[[", b'{"nodes": 3, "heads": []}'])
def test_symbolblock_imports_of_a_damaged_symbol_file_names_it(tmp_path, damage):
    f = tmp_path / "net-symbol.json"
    f.write_bytes(damage + json.dumps(_graph()).encode())
    with pytest.raises(MXNetError, match="net-symbol.json"):
        gluon.SymbolBlock.imports(str(f), ["data"])


# ---- Trainer states: the binary file ----------------------------------------------------------

def _states_file(tmp_path):
    gluon.reset_name_counters()
    net = gluon.nn.Dense(2, in_units=3)
    net.initialize()
    tr = gluon.Trainer(net.collect_params(), "adam")
    with autograd.record():
        net(nd.ones((2, 3))).sum().backward()
    tr.step(2)
    f = tmp_path / "t.states"
    tr.save_states(str(f))
    return tr, f


@_SETTINGS
@given(pos=st.integers(0, 1200), junk=st.binary(min_size=1, max_size=8))
def test_fuzz_trainer_states_file(tmp_path, pos, junk):
    tr, f = _states_file(tmp_path)
    f.write_bytes(_damage(f.read_bytes(), pos, junk))
    try:
        tr.load_states(str(f))
    except MXNetError as e:
        assert "t.states" in str(e)
