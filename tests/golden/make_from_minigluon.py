"""Write NDArray files with minigluon's file format layer, for MXNet to check.

Run from the repository root with the project's Python::

    /work/venv/bin/python tests/golden/make_from_minigluon.py

It writes ``tests/golden/files/from_minigluon/*.nd``, ``mlp.params`` and
``expected.npz`` (the arrays each file holds).  Then
``make_fileformat_golden.py``, run with MXNet's Python, loads them with real
MXNet and compares.  Only ``minigluon/_fileformat.py`` is used, imported by
path, so the rest of the package need not be importable.
"""

from __future__ import annotations

import importlib.util
import io
import zipfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "tests" / "golden" / "files" / "from_minigluon"


def _load_fileformat():
    spec = importlib.util.spec_from_file_location(
        "_minigluon_fileformat", ROOT / "minigluon" / "_fileformat.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write an .npz with fixed timestamps, so reruns give identical bytes."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        for key, arr in arrays.items():
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.asarray(arr), allow_pickle=False)
            info = zipfile.ZipInfo(key + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            zf.writestr(info, buf.getvalue())


def contents() -> dict[str, list[np.ndarray] | dict[str, np.ndarray]]:
    """The files to write, with values different from the MXNet-written set."""
    return {
        "list.nd": [
            (np.arange(6, dtype=np.float32).reshape(2, 3) - 2.5) / 4,
            np.array([1.5, -2.25, 1e-300, 3e300], dtype=np.float64),
            np.array([[7, -8], [2**31 - 1, -(2**31)]], dtype=np.int32),
            np.array([0, 17, 255], dtype=np.uint8),
            np.array([2**40 + 3, -(2**53)], dtype=np.int64),
        ],
        "dict.nd": {
            "weight": np.array([[0.5, -1.0], [2.0, 0.125]], dtype=np.float32),
            "count": np.array([123456789012], dtype=np.int64),
            "mask": np.array([1, 0, 1], dtype=np.uint8),
        },
        "single.nd": [np.array([1.0, 2.0, 4.0], dtype=np.float32)],
        "alldtypes.nd": {
            "f32": np.array([1.25, -0.5], dtype=np.float32),
            "f64": np.array([[1.0 / 3.0]], dtype=np.float64),
            "f16": np.array([0.5, -65504.0, 6e-05], dtype=np.float16),
            "u8": np.array([[0, 200]], dtype=np.uint8),
            "i32": np.array([-5, 5], dtype=np.int32),
            "i8": np.array([-128, 127, 0], dtype=np.int8),
            "i64": np.array([-(2**62)], dtype=np.int64),
            "bool": np.array([[True, False], [False, True]], dtype=np.bool_),
        },
        "empty.nd": [
            np.zeros((0, 3), dtype=np.float32),
            np.zeros((2, 0), dtype=np.int64),
        ],
        # Sequential(Dense(4, in_units=3), Dense(2, in_units=4)), structural names.
        "mlp.params": {
            "0.weight": (np.arange(12, dtype=np.float32).reshape(4, 3) - 5) / 16,
            "0.bias": np.array([0.25, -0.5, 0.0, 1.0], dtype=np.float32),
            "1.weight": (np.arange(8, dtype=np.float32).reshape(2, 4) - 3) / 8,
            "1.bias": np.array([-1.0, 0.75], dtype=np.float32),
        },
    }


def expected_entries(fname: str, data) -> dict[str, np.ndarray]:
    """Keys ``file:index`` for list entries, ``file:index:name`` for dict ones."""
    if isinstance(data, dict):
        return {f"{fname}:{i}:{k}": v for i, (k, v) in enumerate(data.items())}
    return {f"{fname}:{i}": v for i, v in enumerate(data)}


def main() -> None:
    ff = _load_fileformat()
    OUT.mkdir(parents=True, exist_ok=True)
    expected: dict[str, np.ndarray] = {}
    for fname, data in contents().items():
        ff.write_arrays(OUT / fname, data)
        expected.update(expected_entries(fname, data))
        print(f"wrote {OUT.relative_to(ROOT) / fname}")
    write_npz(OUT / "expected.npz", expected)
    print(f"wrote {OUT.relative_to(ROOT) / 'expected.npz'}")


if __name__ == "__main__":
    main()
