"""Compare minigluon against golden values recorded from real MXNet 1.9.1.

The programs live in tests/golden/programs.py; tests/golden/core.npz holds
their results under MXNet (regenerate with
``~/mxnet-oracle/bin/python tests/golden/make_golden.py``).  MXNet is never
imported here: each program is run with ``import minigluon as mx`` and every
returned array must match the recorded one in key set, shape, dtype kind and
value (rtol=1e-6, atol=1e-9 by default; programs listed in ``RTOL``/``ATOL``
in programs.py use their own tolerances).  Integer, bool and string results
must match exactly.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
GOLDEN_DIR = ROOT / "tests" / "golden"
NPZ = GOLDEN_DIR / "core.npz"
DEFAULT_RTOL = 1e-6
DEFAULT_ATOL = 1e-9
META = "__meta__"

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _load_programs():
    spec = importlib.util.spec_from_file_location(
        "golden_programs", GOLDEN_DIR / "programs.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


programs = _load_programs()
PROGRAMS = {p.__name__: p for p in programs.PROGRAMS}


@pytest.fixture(scope="module")
def golden():
    if not NPZ.exists():
        pytest.fail(f"{NPZ} is missing; run "
                    "`~/mxnet-oracle/bin/python tests/golden/make_golden.py`")
    grouped: dict[str, dict[str, np.ndarray]] = {}
    with np.load(NPZ, allow_pickle=False) as npz:
        for key in npz.files:
            prog, _, name = key.partition("/")
            grouped.setdefault(prog, {})[name] = npz[key]
    return grouped


@pytest.fixture(scope="module")
def mx():
    import minigluon

    return minigluon


def _as_array(value):
    if hasattr(value, "asnumpy"):  # an NDArray slipped through: compare values
        value = value.asnumpy()
    return np.asarray(value)


def _fmt(a):
    return np.array2string(a, threshold=20).replace("\n", "\n" + " " * 13)


def _compare(name, got, want, rtol, atol):
    """Return a problem description, or None when got matches want."""
    if got.shape != want.shape:
        return f"{name}: shape {got.shape} != expected {want.shape}"
    if got.dtype.kind != want.dtype.kind:
        return (f"{name}: dtype {got.dtype} (kind {got.dtype.kind!r}) != expected "
                f"{want.dtype} (kind {want.dtype.kind!r})")
    if want.dtype.kind in "fc":
        ok = np.allclose(got, want, rtol=rtol, atol=atol, equal_nan=True)
        if not ok:
            g = got.astype(np.float64)
            w = want.astype(np.float64)
            err = np.abs(g - w)
            bad = ~np.isclose(g, w, rtol=rtol, atol=atol, equal_nan=True)
            flat = int(np.argmax(np.where(bad, np.nan_to_num(err, nan=np.inf), -1)))
            idx = tuple(int(i) for i in np.unravel_index(flat, got.shape))
            return (f"{name}: {int(bad.sum())}/{bad.size} values differ "
                    f"(worst at {idx}: got {float(g[idx])!r}, "
                    f"expected {float(w[idx])!r})\n"
                    f"    got      {_fmt(got)}\n    expected {_fmt(want)}")
        return None
    if not np.array_equal(got, want):
        return f"{name}: values differ\n    got      {_fmt(got)}\n    expected {_fmt(want)}"
    return None


def test_golden_file_matches_programs(golden):
    """Every program has golden values and every golden program exists."""
    stored = set(golden) - {META}
    missing = sorted(set(PROGRAMS) - stored)
    stale = sorted(stored - set(PROGRAMS))
    assert not missing and not stale, (
        f"core.npz is out of date (re-run make_golden.py): programs without "
        f"golden values: {missing}; golden values without a program: {stale}")


@pytest.mark.parametrize("prog_name", list(PROGRAMS), ids=list(PROGRAMS))
def test_golden(prog_name, golden, mx):
    expected = golden.get(prog_name)
    if expected is None:
        pytest.fail(f"{prog_name} has no golden values in {NPZ.name}; "
                    "re-run tests/golden/make_golden.py under MXNet")
    result = PROGRAMS[prog_name](mx)
    assert isinstance(result, dict), f"{prog_name} returned {type(result).__name__}"
    got = {k: _as_array(v) for k, v in result.items()}

    missing = sorted(set(expected) - set(got))
    extra = sorted(set(got) - set(expected))
    problems = []
    if missing or extra:
        problems.append(f"key mismatch: missing {missing}, extra {extra}")
    rtol = programs.RTOL.get(prog_name, DEFAULT_RTOL)
    atol = programs.ATOL.get(prog_name, DEFAULT_ATOL)
    for key in sorted(set(expected) & set(got)):
        msg = _compare(key, got[key], expected[key], rtol, atol)
        if msg:
            problems.append(msg)
    assert not problems, (f"{prog_name}: {len(problems)} mismatch(es) vs MXNet 1.9.1\n  "
                          + "\n  ".join(problems))
