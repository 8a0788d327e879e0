"""mx.recordio: byte-compatible with MXNet 1.9.1's .rec/.idx files both ways.

``tests/golden/files/image/from_mxnet.rec``/``.idx`` were written by MXNet
(make_image_golden.py), which also read ``from_minigluon.rec`` back and checked every
record (the script fails otherwise; it records ``mxnet_read_minigluon_ok``).
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from minigluon import recordio

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
FILES = GOLDEN / "files" / "image"


def _records() -> list[bytes]:
    import importlib.util

    spec = importlib.util.spec_from_file_location("mii", GOLDEN / "make_image_inputs.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.records()


RECORDS = _records()
_FIXTURE = [HealthCheck.function_scoped_fixture]


def _write_like_golden(d: Path) -> tuple[Path, Path]:
    idx, rec = d / "a.idx", d / "a.rec"
    w = recordio.MXIndexedRecordIO(str(idx), str(rec), "w")
    tells = []
    for i, r in enumerate(RECORDS):
        w.write_idx(i, r)
        tells.append(w.tell())
    raw = (FILES / "pil_1.jpg").read_bytes()
    w.write_idx(100, recordio.pack(recordio.IRHeader(0, 3.0, 100, 0), raw))
    w.write_idx(101, recordio.pack(recordio.IRHeader(0, [1, 2.5, 3, 4, 5], 101, 0), raw))
    w.close()
    golden = np.load(GOLDEN / "image.npz")
    assert tells == golden["mxnet_tells"].tolist()
    assert bool(golden["mxnet_read_minigluon_ok"])
    return idx, rec


def test_written_bytes_equal_mxnet(tmp_path):
    idx, rec = _write_like_golden(tmp_path)
    assert rec.read_bytes() == (FILES / "from_mxnet.rec").read_bytes()
    assert idx.read_text() == (FILES / "from_mxnet.idx").read_text()
    assert rec.read_bytes() == (FILES / "from_minigluon.rec").read_bytes()


def test_read_mxnet_file():
    r = recordio.MXIndexedRecordIO(str(FILES / "from_mxnet.idx"), str(FILES / "from_mxnet.rec"),
                                   "r")
    assert r.keys == list(range(len(RECORDS))) + [100, 101]
    for i in reversed(range(len(RECORDS))):
        assert r.read_idx(i) == RECORDS[i]
    header, s = recordio.unpack(r.read_idx(101))
    assert header.flag == 5 and header.id == 101 and header.id2 == 0
    np.testing.assert_array_equal(header.label, np.float32([1, 2.5, 3, 4, 5]))
    assert s == (FILES / "pil_1.jpg").read_bytes()
    header, _ = recordio.unpack(r.read_idx(100))
    assert header == recordio.IRHeader(0, 3.0, 100, 0)
    r.close()
    seq = recordio.MXRecordIO(str(FILES / "from_mxnet.rec"), "r")
    got = [seq.read() for _ in range(len(RECORDS) + 2)]
    assert got[:len(RECORDS)] == RECORDS and seq.read() is None and seq.read() is None
    seq.reset()
    assert seq.read() == RECORDS[0]


def test_split_chunks_layout(tmp_path):
    # a payload with the magic word at an aligned offset is stored as chunks 1, 2, 3
    payload = b"abcd" + struct.pack("<I", recordio.MAGIC) + b"efgh" + \
        struct.pack("<I", recordio.MAGIC) + b"ij"
    data = recordio.encode_record(payload)
    words = struct.unpack("<" + "I" * (len(data) // 4), data)
    assert words[0] == recordio.MAGIC and words[1] == (1 << 29) | 4
    assert words[3] == recordio.MAGIC and words[4] == (2 << 29) | 4
    assert words[6] == recordio.MAGIC and words[7] == (3 << 29) | 2
    assert len(data) % 4 == 0 and data.endswith(b"ij\0\0")
    # an unaligned magic word does not split
    assert recordio.encode_record(b"x" + struct.pack("<I", recordio.MAGIC))[4:8] == \
        struct.pack("<I", 5)


def test_pack_unpack():
    s = recordio.pack(recordio.IRHeader(9, 2.5, 7, 1), b"img")
    assert s == struct.pack("IfQQ", 0, 2.5, 7, 1) + b"img"
    h, rest = recordio.unpack(s)
    assert h == recordio.IRHeader(0, 2.5, 7, 1) and rest == b"img"
    with pytest.raises(Exception, match="24-byte IRHeader"):
        recordio.unpack(b"short")
    with pytest.raises(Exception, match="announces 3 float32 labels"):
        recordio.unpack(struct.pack("IfQQ", 3, 0, 0, 0) + b"abc")


def test_pack_img_roundtrip():
    img = np.zeros((6, 5, 3), np.uint8)
    img[:, :, 2] = 200
    s = recordio.pack_img(recordio.IRHeader(0, 1.0, 0, 0), img, img_fmt=".png", quality=3)
    h, back = recordio.unpack_img(s)
    assert h.label == 1.0
    np.testing.assert_array_equal(back, img)


def test_truncated_file_names_file_and_offset(tmp_path):
    data = (FILES / "from_mxnet.rec").read_bytes()
    cut = tmp_path / "cut.rec"
    cut.write_bytes(data[:len(data) - 100])
    r = recordio.MXRecordIO(str(cut), "r")
    with pytest.raises(recordio.RecordIOError, match=r"cut\.rec.*byte offset \d+.*truncated"):
        while r.read() is not None:
            pass
    cut.write_bytes(data[:5])
    with pytest.raises(recordio.RecordIOError, match="byte offset 0: the file ends inside a"):
        recordio.MXRecordIO(str(cut), "r").read()
    bad = bytearray(data)
    bad[20:24] = b"\0\0\0\0"  # the third record's magic (records 0, 1 take 8 and 12 bytes)
    cut.write_bytes(bytes(bad))
    r = recordio.MXRecordIO(str(cut), "r")
    assert r.read() == RECORDS[0] and r.read() == RECORDS[1]
    with pytest.raises(recordio.RecordIOError, match="offset 20: expected the magic"):
        r.read()


def test_writer_is_atomic(tmp_path):
    rec = tmp_path / "w.rec"
    rec.write_bytes(b"old")
    w = recordio.MXRecordIO(str(rec), "w")
    w.write(b"new record")
    assert rec.read_bytes() == b"old"  # nothing visible before close
    w.reset()
    w.write(b"second try")
    w.close()
    assert sorted(os.listdir(tmp_path)) == ["w.rec"]
    r = recordio.MXRecordIO(str(rec), "r")
    assert r.read() == b"second try" and r.read() is None


def test_wrong_use():
    with pytest.raises(ValueError, match="Invalid flag x"):
        recordio.MXRecordIO("whatever.rec", "x")
    with pytest.raises(FileNotFoundError):
        recordio.MXRecordIO("/nonexistent/dir/a.rec", "r")


@given(st.lists(st.binary(max_size=64) | st.sampled_from(RECORDS), max_size=8))
@settings(max_examples=30, deadline=None, suppress_health_check=_FIXTURE)
def test_roundtrip_property(tmp_path, payloads):
    path = tmp_path / "p.rec"
    w = recordio.MXRecordIO(str(path), "w")
    for p in payloads:
        w.write(p)
    w.close()
    r = recordio.MXRecordIO(str(path), "r")
    assert [r.read() for _ in payloads] == payloads and r.read() is None


@given(st.binary(max_size=200), st.integers(0, 400), st.binary(min_size=1, max_size=8))
@settings(max_examples=100, deadline=None, suppress_health_check=_FIXTURE)
def test_fuzz_reader(tmp_path, prefix, pos, junk):
    """Damaged files: every read ends in a record, None or RecordIOError, quickly."""
    base = bytearray(recordio.encode_record(prefix) + (FILES / "from_mxnet.rec").read_bytes()[:300])
    pos = min(pos, len(base))
    base[pos:pos + len(junk)] = junk
    path = tmp_path / "f.rec"
    path.write_bytes(bytes(base))
    r = recordio.MXRecordIO(str(path), "r")
    for _ in range(len(base) // 8 + 2):  # each record is at least 8 bytes: no endless loop
        try:
            got = r.read()
        except recordio.RecordIOError as e:
            assert "f.rec" in str(e) and e.offset <= len(base)
            break
        if got is None:
            break
        assert len(got) <= len(base)
    else:
        raise AssertionError("the reader did not reach the end")
    r.close()


def test_reader_pickles_for_workers():
    import pickle

    r = recordio.MXIndexedRecordIO(str(FILES / "from_mxnet.idx"), str(FILES / "from_mxnet.rec"),
                                   "r")
    copy = pickle.loads(pickle.dumps(r))
    assert copy.read_idx(4) == RECORDS[4] and r.read_idx(5) == RECORDS[5]


@pytest.mark.slow
@given(st.binary(max_size=400), st.integers(0, 800), st.binary(min_size=1, max_size=16))
@settings(max_examples=3000, deadline=None, suppress_health_check=_FIXTURE)
def test_fuzz_reader_long(tmp_path, prefix, pos, junk):
    test_fuzz_reader.hypothesis.inner_test(tmp_path, prefix, pos, junk)
