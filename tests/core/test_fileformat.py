"""Tests for minigluon._fileformat, the MXNet NDArray file reader and writer.

Golden files under tests/golden/files/ were written by real MXNet 1.9.1 (see
tests/golden/make_fileformat_golden.py); MXNet itself is never imported here.
"""

from __future__ import annotations

import errno
import os
import stat
import struct
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from hypothesis.extra import numpy as hnp

from minigluon import _fileformat as ff
from minigluon._fileformat import (
    FileFormatError,
    dump_arrays,
    load_arrays,
    parse_arrays,
    write_arrays,
)

ROOT = Path(__file__).resolve().parents[2]

GOLDEN = ROOT / "tests" / "golden" / "files"
FROM_MINIGLUON = GOLDEN / "from_minigluon"

ALL_DTYPES = [
    np.float32,
    np.float64,
    np.float16,
    np.uint8,
    np.int32,
    np.int8,
    np.int64,
    np.bool_,
]
FLAGS = dict(zip(ALL_DTYPES, range(8)))


def read_expected(path: Path) -> dict[str, list[np.ndarray] | dict[str, np.ndarray]]:
    """Group an expected.npz (keys ``file:index[:name]``) into one entry per file."""
    grouped: dict[str, list[tuple[int, str | None, np.ndarray]]] = {}
    with np.load(path, allow_pickle=False) as npz:
        for key in npz.files:
            parts = key.split(":", 2)
            name = parts[2] if len(parts) == 3 else None
            grouped.setdefault(parts[0], []).append((int(parts[1]), name, npz[key]))
    result: dict[str, list[np.ndarray] | dict[str, np.ndarray]] = {}
    for fname, entries in grouped.items():
        entries.sort(key=lambda e: e[0])
        if entries[0][1] is None:
            result[fname] = [arr for _, _, arr in entries]
        else:
            result[fname] = {name: arr for _, name, arr in entries}
    return result


EXPECTED = read_expected(GOLDEN / "expected.npz")
EXPECTED_FROM_MINIGLUON = read_expected(FROM_MINIGLUON / "expected.npz")
# Files whose bytes dump_arrays must reproduce exactly; the others use record
# layouts MXNet 1.9 reads but nd.save does not write by default.
BYTE_EXACT = sorted(set(EXPECTED) - {"npshape.nd", "old_records.nd"})


def assert_identical(got: np.ndarray, want: np.ndarray) -> None:
    assert isinstance(got, np.ndarray)
    assert got.dtype == want.dtype
    assert got.shape == want.shape
    assert got.tobytes() == want.tobytes()  # exact, NaN and -0.0 included


def assert_same_data(got, want) -> None:
    if isinstance(want, dict):
        assert isinstance(got, dict)
        assert list(got) == list(want)
        for key in want:
            assert_identical(got[key], want[key])
    else:
        assert isinstance(got, list)
        assert len(got) == len(want)
        for g, w in zip(got, want):
            assert_identical(g, w)


def values_of(data) -> list[np.ndarray]:
    return list(data.values()) if isinstance(data, dict) else list(data)


def assert_well_formed(arr: np.ndarray) -> None:
    assert arr.flags.writeable
    assert arr.flags.owndata
    assert arr.flags.c_contiguous
    assert arr.dtype.isnative


def record(
    shape, flag=0, data=b"", magic=ff.ARRAY_MAGIC_V2, stype=0, dev=(1, 0)
) -> bytes:
    """A hand-made V2/V3 array record."""
    head = struct.pack(f"<IiI{len(shape)}q", magic, stype, len(shape), *shape)
    return head + struct.pack("<iii", *dev, flag) + data


def file_bytes(
    records: list[bytes], names: list[bytes] | None = None, count=None
) -> bytes:
    names = names or []
    body = struct.pack("<QQQ", 0x112, 0, len(records) if count is None else count)
    body += b"".join(records) + struct.pack("<Q", len(names))
    return body + b"".join(struct.pack("<Q", len(n)) + n for n in names)


# --------------------------------------------------------------------------
# files written by MXNet
# --------------------------------------------------------------------------


def test_golden_set_is_complete():
    assert {"list.nd", "dict.nd", "single.nd", "mlp.params"} <= set(EXPECTED)
    on_disk = {p.name for p in GOLDEN.iterdir() if p.is_file()} - {"expected.npz"}
    assert set(EXPECTED) <= on_disk


@pytest.mark.parametrize("fname", sorted(EXPECTED))
def test_load_mxnet_file(fname):
    loaded = load_arrays(GOLDEN / fname)
    assert_same_data(loaded, EXPECTED[fname])
    for arr in values_of(loaded):
        assert_well_formed(arr)


@pytest.mark.parametrize("fname", sorted(EXPECTED))
def test_parse_mxnet_file_from_any_bytes_like(fname):
    raw = (GOLDEN / fname).read_bytes()
    for buf in (raw, bytearray(raw), memoryview(raw)):
        assert_same_data(parse_arrays(buf), EXPECTED[fname])


@pytest.mark.parametrize("fname", BYTE_EXACT)
def test_dump_matches_mxnet_bytes(fname):
    assert dump_arrays(EXPECTED[fname]) == (GOLDEN / fname).read_bytes()


@pytest.mark.parametrize("fname", BYTE_EXACT)
def test_write_matches_mxnet_bytes(fname, tmp_path):
    write_arrays(tmp_path / fname, EXPECTED[fname])
    assert (tmp_path / fname).read_bytes() == (GOLDEN / fname).read_bytes()


def test_params_file_names_and_order():
    params = load_arrays(GOLDEN / "mlp.params")
    assert list(params) == ["0.weight", "0.bias", "1.weight", "1.bias"]
    assert params["0.weight"].shape == (4, 3)
    assert params["1.weight"].shape == (2, 4)


def test_mxnet_zero_d_file_reads_as_zero_d():
    # MXNet writes this but cannot read it back; minigluon reads it as 0-d.
    (arr,) = load_arrays(GOLDEN / "zerod.nd")
    assert arr.shape == () and arr.dtype == np.float32 and arr[()] == 3.5
    assert_well_formed(arr)


def test_old_record_layouts():
    loaded = load_arrays(GOLDEN / "old_records.nd")
    assert list(loaded) == ["v1", "legacy", "v2"]
    assert loaded["v1"].shape == (2, 3)
    assert loaded["legacy"].dtype == np.int32


def test_single_array_save_is_a_list_of_one():
    loaded = load_arrays(GOLDEN / "single.nd")
    assert isinstance(loaded, list) and len(loaded) == 1


@pytest.mark.parametrize("fname", sorted(EXPECTED_FROM_MINIGLUON))
def test_files_verified_by_mxnet_are_still_what_we_write(fname):
    # from_minigluon/ holds the files MXNet loaded and re-saved identically.
    raw = (FROM_MINIGLUON / fname).read_bytes()
    assert dump_arrays(EXPECTED_FROM_MINIGLUON[fname]) == raw
    assert_same_data(parse_arrays(raw), EXPECTED_FROM_MINIGLUON[fname])


def test_semantics_worked_example():
    # nd.save('x', nd.ones(3)) from the behaviour reference, section I.1.
    want = bytes.fromhex(
        "1201000000000000"
        "0000000000000000"
        "0100000000000000"
        "c9fa93f9"
        "00000000"
        "01000000"
        "0300000000000000"
        "01000000"
        "00000000"
        "00000000" + "0000803f" * 3 + "0000000000000000"
    )
    assert len(want) == 76
    assert dump_arrays([np.ones(3, dtype=np.float32)]) == want


@pytest.mark.parametrize("data", [[], {}], ids=["list", "dict"])
def test_empty_save(data):
    raw = dump_arrays(data)
    # What nd.save writes for [] and for {} alike.
    assert raw == struct.pack("<QQQQ", 0x112, 0, 0, 0)
    assert parse_arrays(raw) == []


# --------------------------------------------------------------------------
# round trips
# --------------------------------------------------------------------------


def sample(dtype, shape) -> np.ndarray:
    size = int(np.prod(shape, dtype=np.int64))
    if dtype == np.bool_:
        return (np.arange(size) % 3 == 0).reshape(shape)
    info = np.finfo(dtype) if np.dtype(dtype).kind == "f" else np.iinfo(dtype)
    values = np.linspace(float(info.min) / 4, float(info.max) / 4, num=size)
    return values.astype(dtype).reshape(shape)


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize(
    "shape", [(), (0,), (0, 3), (3, 0, 2), (1,), (2, 3), (2, 1, 2, 1)]
)
def test_round_trip_every_dtype(dtype, shape, tmp_path):
    arr = sample(dtype, shape)
    raw = dump_arrays([arr])
    # The dtype flag sits just before the data.
    flag_at = 24 + 12 + 8 * len(shape) + 8
    assert struct.unpack_from("<i", raw, flag_at)[0] == FLAGS[dtype]
    (back,) = parse_arrays(raw)
    assert_identical(back, arr)
    assert_well_formed(back)
    write_arrays(tmp_path / "a.nd", {"x": arr})
    back = load_arrays(tmp_path / "a.nd")["x"]
    assert_identical(back, arr)
    assert_well_formed(back)


def test_zero_d_layout_matches_mxnet():
    raw = dump_arrays([np.array(3.5, dtype=np.float32)])
    assert raw == (GOLDEN / "zerod.nd").read_bytes()
    (back,) = parse_arrays(raw)
    assert back.shape == () and back.flags.owndata and back.flags.writeable


def test_float_specials_round_trip():
    arr = np.array([np.nan, -np.nan, np.inf, -np.inf, -0.0, 5e-324], dtype=np.float64)
    (back,) = parse_arrays(dump_arrays([arr]))
    assert_identical(back, arr)


def test_non_native_and_non_contiguous_input():
    base = np.arange(24, dtype=np.int32).reshape(4, 6)
    expected = dump_arrays([np.ascontiguousarray(base[::2, 1::2])])
    assert dump_arrays([base[::2, 1::2]]) == expected
    assert dump_arrays([base[::2, 1::2].astype(">i4")]) == expected
    fortran = np.asfortranarray(base)
    assert dump_arrays([fortran]) == dump_arrays([base])
    (back,) = parse_arrays(dump_arrays([base.astype(">f8")]))
    assert back.dtype == np.float64 and back.dtype.isnative
    assert np.array_equal(back, base)


def test_loaded_arrays_are_independent_of_the_buffer():
    raw = bytearray(dump_arrays({"a": np.arange(4, dtype=np.float32)}))
    loaded = parse_arrays(raw)
    raw[-30:] = b"\xff" * 30
    loaded["a"][0] = 100.0
    assert loaded["a"].tolist() == [100.0, 1.0, 2.0, 3.0]


def test_dict_order_and_unicode_names():
    data = {"z": np.zeros(1), "wé": np.ones(2), "": np.arange(3), "0.weight": np.eye(2)}
    loaded = parse_arrays(dump_arrays(data))
    assert list(loaded) == list(data)


def test_tuple_input_is_a_list():
    arrays = (np.ones(2), np.zeros(3, dtype=np.int8))
    assert dump_arrays(arrays) == dump_arrays(list(arrays))


def test_bool_bytes_are_normalised():
    raw = file_bytes([record((3,), flag=7, data=bytes([0, 1, 2]))])
    (arr,) = parse_arrays(raw)
    assert arr.tolist() == [False, True, True]
    assert arr.view(np.uint8).tolist() == [0, 1, 1]


def test_accepts_other_device_types_like_mxnet():
    # MXNet loads arrays saved from any device onto the CPU.
    raw = file_bytes([record((2,), data=np.ones(2, np.float32).tobytes(), dev=(2, 3))])
    assert parse_arrays(raw)[0].tolist() == [1.0, 1.0]


def test_accepts_nonzero_reserved_word_like_mxnet():
    raw = bytearray(dump_arrays([np.ones(1)]))
    raw[8] = 7
    assert parse_arrays(bytes(raw))[0].tolist() == [1.0]


dtype_st = st.sampled_from(ALL_DTYPES)
shape_st = hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4)
array_st = dtype_st.flatmap(lambda dt: hnp.arrays(dt, shape_st))


@settings(max_examples=150, deadline=None)
@given(st.lists(array_st, max_size=4))
def test_hypothesis_list_round_trip(arrays):
    back = parse_arrays(dump_arrays(arrays))
    assert_same_data(back, arrays)
    for arr in back:
        assert_well_formed(arr)


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.text(max_size=8), array_st, max_size=4))
def test_hypothesis_dict_round_trip(data):
    back = parse_arrays(dump_arrays(data))
    if data:
        assert_same_data(back, data)
    else:
        assert back == []


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    st.dictionaries(st.text(min_size=1, max_size=5), array_st, min_size=1, max_size=3)
)
def test_hypothesis_file_round_trip(tmp_path, data):
    path = tmp_path / "h.params"
    write_arrays(path, data)
    assert_same_data(load_arrays(path), data)


# --------------------------------------------------------------------------
# corrupt and foreign input
# --------------------------------------------------------------------------


def expect_error(raw: bytes, *fragments: str) -> FileFormatError:
    with pytest.raises(FileFormatError) as info:
        parse_arrays(raw)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, message
    return info.value


@pytest.mark.parametrize("fname", ["dict.nd", "zerod.nd", "old_records.nd"])
def test_every_truncation_raises_file_format_error(fname, tmp_path):
    raw = (GOLDEN / fname).read_bytes()
    for n in range(len(raw)):
        with pytest.raises(FileFormatError):
            parse_arrays(raw[:n])


def test_truncation_message_names_file_offset_and_field(tmp_path):
    # single.nd is a list file, so it ends with the 8-byte name count.
    raw = (GOLDEN / "single.nd").read_bytes()
    path = tmp_path / "cut.nd"
    path.write_bytes(raw[: len(raw) - 3])
    with pytest.raises(FileFormatError) as info:
        load_arrays(path)
    message = str(info.value)
    assert str(path) in message and "truncated" in message
    assert f"byte offset {len(raw) - 8}" in message
    assert "expected 8 bytes for the number of names" in message
    assert info.value.offset == len(raw) - 8


def test_truncated_data_message():
    raw = dump_arrays([np.arange(10, dtype=np.float64)])
    err = expect_error(
        raw[:60], "truncated", "80 bytes", "array 0 data", "byte offset 56"
    )
    assert err.offset == 56


def test_empty_input():
    expect_error(b"", "empty", "not an MXNet/minigluon NDArray file")


def test_wrong_file_magic(tmp_path):
    raw = bytearray((GOLDEN / "single.nd").read_bytes())
    raw[0] ^= 0xFF
    path = tmp_path / "flipped.nd"
    path.write_bytes(bytes(raw))
    with pytest.raises(FileFormatError) as info:
        load_arrays(path)
    message = str(info.value)
    assert str(path) in message
    assert "not an MXNet/minigluon NDArray file" in message
    assert "ed 01 00 00 00 00 00 00" in message  # the first bytes, in hex
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    "head, hint",
    [
        (b"\x93NUMPY\x01\x00", ".npy"),
        (b"PK\x03\x04" + b"\0" * 8, "zip"),
        (b"\x80\x04\x95", "pickle"),
    ],
)
def test_foreign_formats_get_a_hint(head, hint):
    expect_error(head + b"\0" * 16, "not an MXNet/minigluon NDArray file", hint)


def test_flipped_array_magic():
    raw = bytearray(dump_arrays([np.ones(2)]))
    raw[24] ^= 0x10  # (^ 0x01 would give the V1 magic)
    expect_error(bytes(raw), "array 0", "record magic", "byte offset 24")


def test_garbage_appended():
    raw = dump_arrays({"w": np.ones(2)})
    expect_error(raw + b"\x00junk", "5 unexpected bytes", f"byte offset {len(raw)}")


def test_huge_dim_does_not_allocate():
    raw = file_bytes([record((2**62, 4), data=b"\0" * 16)])
    expect_error(raw, "truncated", "array 0 data")


def test_huge_dims_product_overflowing_int64():
    expect_error(
        file_bytes([record((2**62, 2**62, 2**62), data=b"\0" * 4)]), "truncated"
    )


def test_huge_zero_size_shape():
    expect_error(file_bytes([record((2**62, 2**62, 0))]), "cannot be represented")


def test_huge_ndim():
    raw = struct.pack("<QQQIiI", 0x112, 0, 1, ff.ARRAY_MAGIC_V2, 0, 2**31 - 1)
    expect_error(raw + b"\0" * 64, "ndim 2147483647")


def test_huge_array_count():
    raw = struct.pack("<QQQ", 0x112, 0, 2**64 - 1) + b"\0" * 40
    expect_error(raw, "announces", "arrays")


def test_huge_name_length():
    raw = dump_arrays({"a": np.ones(1)})
    cut = raw[: -len(b"a") - 8] + struct.pack("<Q", 2**63) + b"a"
    expect_error(cut, "truncated", "name 0")


def test_negative_dim():
    expect_error(file_bytes([record((2, -3))]), "negative dim -3")


def test_negative_ndim():
    raw = struct.pack("<QQQIii", 0x112, 0, 1, ff.ARRAY_MAGIC_V2, 0, -1) + b"\0" * 32
    expect_error(raw, "unknown shape")


@pytest.mark.parametrize("flag", [8, 11, 13, -1, 2**31 - 1])
def test_unknown_dtype_flag(flag):
    expect_error(
        file_bytes([record((1,), flag=flag, data=b"\0" * 8)]),
        f"unknown dtype flag {flag}",
    )


def test_bfloat16_flag_is_named():
    expect_error(file_bytes([record((1,), flag=12, data=b"\0" * 2)]), "bfloat16")


@pytest.mark.parametrize("stype, name", [(1, "row_sparse"), (2, "csr")])
def test_sparse_storage_is_refused(stype, name):
    expect_error(
        file_bytes([record((2, 2), stype=stype, data=b"\0" * 64)]), name, "dense"
    )


def test_unknown_storage_type():
    expect_error(
        file_bytes([record((1,), stype=9, data=b"\0" * 4)]), "unknown storage type 9"
    )


def test_v1_none_array_is_refused():
    raw = file_bytes([struct.pack("<II", ff.ARRAY_MAGIC_V1, 0) + b"\0" * 16])
    expect_error(raw, "none")


@pytest.mark.parametrize("n_names", [1, 3])
def test_name_count_mismatch(n_names):
    rec = record((1,), data=b"\0" * 4)
    names = [b"n%d" % i for i in range(n_names)]
    expect_error(file_bytes([rec, rec], names), f"2 arrays but {n_names} names")


def test_non_utf8_name():
    rec = record((1,), data=b"\0" * 4)
    expect_error(file_bytes([rec], [b"\xff\xfe"]), "name 0", "UTF-8")


def test_duplicate_names():
    rec = record((1,), data=b"\0" * 4)
    expect_error(file_bytes([rec, rec], [b"w", b"w"]), "'w' occurs more than once")


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_arrays(tmp_path / "nonexistent")


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_random_corruption_never_escapes_file_format_error(data):
    raw = bytearray((GOLDEN / "alldtypes.nd").read_bytes())
    for _ in range(data.draw(st.integers(1, 4))):
        pos = data.draw(st.integers(0, len(raw) - 1))
        raw[pos] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(raw)))
    try:
        result = parse_arrays(bytes(raw[:cut]))
    except FileFormatError:
        return
    assert isinstance(result, (list, dict))


# --------------------------------------------------------------------------
# bad input to the writer
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "dtype",
    [
        np.int16,
        np.uint16,
        np.uint32,
        np.uint64,
        np.complex64,
        np.longdouble,
        object,
        "U3",
        "V4",
    ],
)
def test_unsupported_dtype(dtype, tmp_path):
    if np.dtype(dtype) == np.float64:
        pytest.skip("longdouble is float64 on this platform")
    with pytest.raises(TypeError, match="supported dtypes"):
        dump_arrays([np.zeros(2, dtype=dtype)])
    with pytest.raises(TypeError):
        write_arrays(tmp_path / "x.nd", {"a": np.zeros(2, dtype=dtype)})
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "data", [np.ones(2), {1: np.ones(2)}, [np.ones(2), 3], [[1.0, 2.0]], "abc", None]
)
def test_bad_containers(data):
    with pytest.raises(TypeError):
        dump_arrays(data)


# --------------------------------------------------------------------------
# atomic writes
# --------------------------------------------------------------------------


OLD = b"previous content"


def temp_files(directory: Path) -> list[str]:
    return [p.name for p in directory.iterdir() if p.name.endswith(".tmp")]


def test_failure_midway_keeps_old_file(tmp_path, monkeypatch):
    target = tmp_path / "model.params"
    target.write_bytes(OLD)
    real_write_all = ff._write_all
    calls = []

    def write_then_fail(fd, buf):
        calls.append(len(memoryview(buf)))
        if len(calls) == 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_write_all(fd, buf)

    monkeypatch.setattr(ff, "_write_all", write_then_fail)
    with pytest.raises(OSError, match="No space"):
        write_arrays(target, {"w": np.ones((50, 50)), "b": np.zeros(50)})
    assert len(calls) == 3  # two chunks really reached the temp file
    assert target.read_bytes() == OLD
    assert temp_files(tmp_path) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.params"]


@pytest.mark.parametrize("stage", ["fsync", "replace"])
def test_failure_late_keeps_old_file(tmp_path, monkeypatch, stage):
    target = tmp_path / "model.params"
    target.write_bytes(OLD)

    def boom(*args, **kwargs):
        raise OSError(errno.EIO, f"{stage} failed")

    monkeypatch.setattr(ff.os, stage, boom)
    with pytest.raises(OSError, match=f"{stage} failed"):
        write_arrays(target, [np.ones(3)])
    monkeypatch.undo()
    assert target.read_bytes() == OLD
    assert temp_files(tmp_path) == []


def test_keyboard_interrupt_cleans_up(tmp_path, monkeypatch):
    target = tmp_path / "new.nd"

    def interrupted(fd, buf):
        raise KeyboardInterrupt

    monkeypatch.setattr(ff, "_write_all", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_arrays(target, [np.ones(3)])
    assert list(tmp_path.iterdir()) == []


def test_overwrite_replaces_content(tmp_path):
    target = tmp_path / "x.nd"
    target.write_bytes(OLD * 100)
    write_arrays(target, [np.ones(3, dtype=np.float32)])
    assert target.read_bytes() == dump_arrays([np.ones(3, dtype=np.float32)])
    assert temp_files(tmp_path) == []


def test_write_to_missing_directory(tmp_path):
    with pytest.raises(FileNotFoundError):
        write_arrays(tmp_path / "nope" / "x.nd", [np.ones(1)])


def test_write_to_a_directory_leaves_no_temp(tmp_path):
    (tmp_path / "d").mkdir()
    with pytest.raises(OSError):
        write_arrays(tmp_path / "d", [np.ones(1)])
    assert temp_files(tmp_path) == []


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions and symlinks")
def test_modes_and_symlinks(tmp_path):
    fresh = tmp_path / "fresh.nd"
    old_umask = os.umask(0o022)
    try:
        write_arrays(fresh, [np.ones(1)])
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o644

    existing = tmp_path / "existing.nd"
    existing.write_bytes(OLD)
    existing.chmod(0o600)
    write_arrays(existing, [np.ones(1)])
    assert stat.S_IMODE(existing.stat().st_mode) == 0o600

    link = tmp_path / "link.nd"
    link.symlink_to(existing)
    write_arrays(link, [np.zeros(2)])
    assert link.is_symlink()
    assert parse_arrays(existing.read_bytes())[0].tolist() == [0.0, 0.0]


def test_str_path_and_pathlike(tmp_path):
    write_arrays(str(tmp_path / "s.nd"), [np.ones(1)])
    assert load_arrays(str(tmp_path / "s.nd"))[0].tolist() == [1.0]
