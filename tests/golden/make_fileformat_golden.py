"""Golden files for the NDArray file format, made and checked with real MXNet.

Run from the repository root with MXNet 1.9.1's Python, after
``make_from_minigluon.py``::

    /work/venv/bin/python tests/golden/make_from_minigluon.py
    ~/mxnet-oracle/bin/python tests/golden/make_fileformat_golden.py

1. Writes, with MXNet, small files into ``tests/golden/files/`` and an
   ``expected.npz`` with the arrays each should contain, so that the tests can
   check minigluon's reader (and the byte-exactness of its writer) without
   MXNet.
2. Loads every file that minigluon wrote into
   ``tests/golden/files/from_minigluon/`` with ``mx.nd.load``, compares it with
   that folder's ``expected.npz`` and checks that MXNet saving the loaded arrays
   again gives the same bytes; loads ``mlp.params`` into a fresh Sequential with
   ``load_parameters``.  Prints OK/FAIL per file; exits non-zero on any failure.

``expected.npz`` keys are ``file:index`` for a list file and
``file:index:name`` for a dict file.
"""

from __future__ import annotations

import io
import os
import struct
import sys
import tempfile
import warnings
import zipfile
from pathlib import Path

import numpy as np

warnings.filterwarnings("ignore")  # MXNet's own deprecation noise under numpy 1.23
import mxnet as mx  # noqa: E402
from mxnet import gluon  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
FILES = ROOT / "tests" / "golden" / "files"
FROM_MINIGLUON = FILES / "from_minigluon"


def write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write an .npz with fixed timestamps, so reruns give identical bytes."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        for key, arr in arrays.items():
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.asarray(arr), allow_pickle=False)
            info = zipfile.ZipInfo(key + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            zf.writestr(info, buf.getvalue())


def read_expected(path: Path) -> dict[str, list[np.ndarray] | dict[str, np.ndarray]]:
    """Group ``expected.npz`` back into one list or dict per file."""
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


def expected_entries(fname: str, data) -> dict[str, np.ndarray]:
    if isinstance(data, dict):
        return {f"{fname}:{i}:{k}": v for i, (k, v) in enumerate(data.items())}
    return {f"{fname}:{i}": v for i, v in enumerate(data)}


def nd(arr: np.ndarray) -> mx.nd.NDArray:
    return mx.nd.array(arr, dtype=arr.dtype)


def make_mlp() -> gluon.nn.Sequential:
    net = gluon.nn.Sequential()
    net.add(gluon.nn.Dense(4, in_units=3), gluon.nn.Dense(2, in_units=4))
    return net


# --------------------------------------------------------------------------
# direction 1: MXNet writes, minigluon reads
# --------------------------------------------------------------------------


def mxnet_contents() -> dict[str, list[np.ndarray] | dict[str, np.ndarray]]:
    return {
        "list.nd": [
            np.arange(6, dtype=np.float32).reshape(2, 3) / 4,
            np.array([0.1, -2.5, 1e-310, 1.7e308], dtype=np.float64),
            np.array([[[1], [-2]], [[2**31 - 1], [-(2**31)]]], dtype=np.int32),
            np.array([0, 128, 255], dtype=np.uint8),
            np.array([2**40, -(2**63)], dtype=np.int64),
        ],
        "dict.nd": {
            "weight": np.array([[1.0, -0.5], [0.25, 3.0]], dtype=np.float32),
            "steps": np.array([9007199254740993], dtype=np.int64),
            "pixels": np.array([[3, 250]], dtype=np.uint8),
        },
        "single.nd": [np.array([1.0, 1.0, 1.0], dtype=np.float32)],
        "alldtypes.nd": {
            "f32": np.array([-1.5, 2.0], dtype=np.float32),
            "f64": np.array([[2.0 / 3.0]], dtype=np.float64),
            "f16": np.array([0.1, -2.0, 65504.0], dtype=np.float16),
            "u8": np.array([[1, 254]], dtype=np.uint8),
            "i32": np.array([-7, 7], dtype=np.int32),
            "i8": np.array([-128, 127, -1], dtype=np.int8),
            "i64": np.array([2**62 + 1], dtype=np.int64),
            "bool": np.array([[False, True], [True, True]], dtype=np.bool_),
        },
        "empty.nd": [
            np.zeros((0, 3), dtype=np.float32),
            np.zeros((2, 0), dtype=np.int64),
        ],
    }


def mlp_values() -> dict[str, np.ndarray]:
    return {
        "0.weight": (np.arange(12, dtype=np.float32).reshape(4, 3) - 6) / 8,
        "0.bias": np.array([0.5, -0.25, 0.0, 1.0], dtype=np.float32),
        "1.weight": (np.arange(8, dtype=np.float32).reshape(2, 4) - 4) / 4,
        "1.bias": np.array([1.5, -2.0], dtype=np.float32),
    }


def hand_made_old_records() -> tuple[bytes, dict[str, np.ndarray]]:
    """A file mixing the V1 and original record layouts with a V2 one.

    MXNet 1.9 never writes these but still reads them; loading this file with
    MXNet below confirms the layouts the minigluon reader implements.
    """
    v1 = np.arange(6, dtype=np.float32).reshape(2, 3)
    legacy = np.array([-3, 4, 5], dtype=np.int32)
    v2 = np.array([2.5], dtype=np.float64)
    records = [
        # V1: magic, uint32 ndim, int64 dims, device, dtype flag, data
        struct.pack("<II2qiii", 0xF993FAC8, 2, 2, 3, 1, 0, 0) + v1.tobytes(),
        # original: uint32 ndim (no magic), uint32 dims, device, dtype, data
        struct.pack("<IIiii", 1, 3, 1, 0, 4) + legacy.tobytes(),
        # V2 for comparison
        struct.pack("<IiIqiii", 0xF993FAC9, 0, 1, 1, 1, 0, 1) + v2.tobytes(),
    ]
    names = [b"v1", b"legacy", b"v2"]
    body = struct.pack("<QQQ", 0x112, 0, len(records)) + b"".join(records)
    body += struct.pack("<Q", len(names))
    body += b"".join(struct.pack("<Q", len(n)) + n for n in names)
    return body, {"v1": v1, "legacy": legacy, "v2": v2}


def same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def compare(loaded, expected) -> str | None:
    """None if MXNet's loaded list/dict equals ``expected``, else a reason."""
    if isinstance(expected, dict):
        if not isinstance(loaded, dict) or list(loaded) != list(expected):
            return f"keys {list(loaded) if isinstance(loaded, dict) else type(loaded)}"
        pairs = [(k, loaded[k], expected[k]) for k in expected]
    else:
        if not isinstance(loaded, list) or len(loaded) != len(expected):
            return f"expected a list of {len(expected)}, got {type(loaded).__name__}"
        pairs = list(zip(range(len(expected)), loaded, expected))
    for key, got, want in pairs:
        got = got.asnumpy()
        if not same(got, want):
            return f"{key}: got {got.dtype}{got.shape} {got!r}, expected {want.dtype}{want.shape}"
    return None


def make_golden() -> list[str]:
    """Write the MXNet files and expected.npz; return failures of self-checks."""
    failures = []
    FILES.mkdir(parents=True, exist_ok=True)
    expected: dict[str, np.ndarray] = {}
    for fname, data in mxnet_contents().items():
        if fname == "single.nd":
            mx.nd.save(str(FILES / fname), nd(data[0]))  # a bare NDArray
        elif isinstance(data, dict):
            mx.nd.save(str(FILES / fname), {k: nd(v) for k, v in data.items()})
        else:
            mx.nd.save(str(FILES / fname), [nd(v) for v in data])
        expected.update(expected_entries(fname, data))

    # save_parameters of a Sequential of two Dense layers.
    net = make_mlp()
    net.initialize(mx.init.Constant(0.0))
    values = mlp_values()
    # collect_params() order is layer by layer, weight before bias, the same
    # order as the structural names in mlp_values().
    for value, param in zip(values.values(), net.collect_params().values()):
        assert param.shape == value.shape, (param.name, param.shape, value.shape)
        param.set_data(mx.nd.array(value))
    net.save_parameters(str(FILES / "mlp.params"))
    expected.update(expected_entries("mlp.params", values))

    # A 0-d array: MXNet writes it but cannot read it back (semantics row L6).
    mx.nd.save(str(FILES / "zerod.nd"), [mx.nd.array(np.float32(3.5))])
    expected.update(expected_entries("zerod.nd", [np.array(3.5, dtype=np.float32)]))

    # Under np_shape semantics MXNet writes record magic V3 (0xF993FACA).
    npshape = [
        np.array(-0.75, dtype=np.float64),
        np.array([1.0, 2.0], dtype=np.float32),
        np.zeros((0, 3), dtype=np.int32),
    ]
    with mx.util.np_shape(True):
        mx.nd.save(str(FILES / "npshape.nd"), [nd(v) for v in npshape])
    expected.update(expected_entries("npshape.nd", npshape))

    body, old = hand_made_old_records()
    (FILES / "old_records.nd").write_bytes(body)
    expected.update(expected_entries("old_records.nd", old))

    write_npz(FILES / "expected.npz", expected)

    # MXNet must read back what the tests will treat as ground truth.
    grouped = read_expected(FILES / "expected.npz")
    for fname, want in grouped.items():
        if fname == "zerod.nd":
            continue  # unreadable by MXNet, by design of MXNet (L6)
        if fname == "npshape.nd":
            with mx.util.np_shape(True):
                reason = compare(mx.nd.load(str(FILES / fname)), want)
        else:
            reason = compare(mx.nd.load(str(FILES / fname)), want)
        status = "OK" if reason is None else f"FAIL ({reason})"
        print(f"mxnet wrote   {fname:16s} {status}")
        if reason is not None:
            failures.append(fname)
    return failures


# --------------------------------------------------------------------------
# direction 2: minigluon writes, MXNet reads
# --------------------------------------------------------------------------


def resave_bytes(loaded) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "resaved")
        mx.nd.save(path, loaded)
        with open(path, "rb") as f:
            return f.read()


def check_mlp_params(path: Path, want: dict[str, np.ndarray]) -> str | None:
    net = make_mlp()
    net.load_parameters(str(path))  # no initialize(): shapes come from the file
    params = list(net.collect_params().values())
    for (structural, value), param in zip(want.items(), params):
        got = param.data().asnumpy()
        if not same(got, value):
            return f"parameter {structural} ({param.name}) differs"
    x = np.array([[1.0, -2.0, 0.5], [0.0, 0.25, 3.0]], dtype=np.float32)
    hidden = x @ want["0.weight"].T + want["0.bias"]
    out = hidden @ want["1.weight"].T + want["1.bias"]
    got = net(mx.nd.array(x)).asnumpy()
    if not np.allclose(got, out, rtol=1e-6, atol=1e-6):
        return f"forward pass gives {got}, expected {out}"
    with tempfile.TemporaryDirectory() as tmp:
        again = os.path.join(tmp, "again.params")
        net.save_parameters(again)
        with open(again, "rb") as f:
            if f.read() != path.read_bytes():
                return "save_parameters after load_parameters gives different bytes"
    return None


def verify_from_minigluon() -> list[str]:
    expected_path = FROM_MINIGLUON / "expected.npz"
    if not expected_path.exists():
        print(
            f"FAIL: {expected_path.relative_to(ROOT)} is missing; run "
            "make_from_minigluon.py first"
        )
        return ["expected.npz"]
    failures = []
    grouped = read_expected(expected_path)
    on_disk = sorted(
        p.name for p in FROM_MINIGLUON.iterdir() if p.name != "expected.npz"
    )
    for fname in on_disk:
        if fname not in grouped:
            print(f"minigluon wrote {fname:16s} FAIL (not described in expected.npz)")
            failures.append(fname)
    for fname, want in grouped.items():
        path = FROM_MINIGLUON / fname
        try:
            loaded = mx.nd.load(str(path))
            reason = compare(loaded, want)
            if reason is None and resave_bytes(loaded) != path.read_bytes():
                reason = "MXNet re-saving the loaded arrays gives different bytes"
            if reason is None and fname == "mlp.params":
                reason = check_mlp_params(path, want)
        except Exception as exc:  # noqa: BLE001 - report every file, not only the first bad one
            reason = f"{type(exc).__name__}: {str(exc).strip().splitlines()[-1]}"
        status = "OK" if reason is None else f"FAIL ({reason})"
        print(f"minigluon wrote {fname:16s} {status}")
        if reason is not None:
            failures.append(fname)
    return failures


def main() -> int:
    os.chdir(ROOT)
    failures = make_golden()
    failures += verify_from_minigluon()
    if failures:
        print(f"{len(failures)} failure(s): {', '.join(failures)}")
        return 1
    print("all golden file checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
