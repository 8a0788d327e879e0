"""Regenerate tests/golden/core.npz from real MXNet (the oracle).

Run from the repository root with the MXNet venv:

    ~/mxnet-oracle/bin/python tests/golden/make_golden.py

Environment the committed core.npz was made with: Apache MXNet 1.9.1 (CPU
build, pip wheel), numpy 1.23.5, Python 3.11, Linux x86_64.

It imports ``mxnet``, runs every program in ``tests/golden/programs.py``
(twice, to make sure each one is deterministic), and writes
``tests/golden/core.npz`` with keys ``"<program name>/<result name>"`` plus
``"__meta__/mxnet_version"`` and ``"__meta__/numpy_version"``.  The file is
written with ``np.savez_compressed`` to a temporary file next to the target
and moved into place with ``os.replace``; keys are written in sorted order,
so two runs give byte-identical files.  Nothing here needs network access.
"""

import importlib.util
import os
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "core.npz")


def load_programs():
    spec = importlib.util.spec_from_file_location(
        "golden_programs", os.path.join(HERE, "programs.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def run_program(prog, mx):
    res = prog(mx)
    if not isinstance(res, dict) or not res:
        raise TypeError(f"{prog.__name__} must return a non-empty dict")
    out = {}
    for name, value in res.items():
        if not isinstance(name, str) or "/" in name:
            raise ValueError(f"{prog.__name__}: bad result name {name!r}")
        if not isinstance(value, np.ndarray):
            raise TypeError(f"{prog.__name__}/{name}: not a numpy array "
                            f"({type(value).__name__})")
        if value.dtype.kind not in "biufU":
            raise TypeError(f"{prog.__name__}/{name}: unsupported dtype {value.dtype}")
        out[name] = value
    return out


def same(a, b):
    return (a.keys() == b.keys() and all(
        a[k].shape == b[k].shape and a[k].dtype == b[k].dtype
        and np.array_equal(a[k], b[k], equal_nan=a[k].dtype.kind == "f")
        for k in a))


def main():
    import mxnet as mx

    programs = load_programs()
    arrays = {
        "__meta__/mxnet_version": np.array(mx.__version__),
        "__meta__/numpy_version": np.array(np.__version__),
    }
    names = set()
    for prog in programs.PROGRAMS:
        if prog.__name__ in names:
            raise ValueError(f"duplicate program {prog.__name__}")
        names.add(prog.__name__)
        first = run_program(prog, mx)
        second = run_program(prog, mx)
        if not same(first, second):
            raise RuntimeError(f"{prog.__name__} is not deterministic")
        for name, value in first.items():
            arrays[f"{prog.__name__}/{name}"] = value

    fd, tmp = tempfile.mkstemp(prefix=".core.", suffix=".npz.tmp", dir=HERE)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez_compressed(f, **{k: arrays[k] for k in sorted(arrays)})
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it 0600
        os.replace(tmp, OUT)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    n_arrays = len(arrays) - 2
    print(f"wrote {os.path.relpath(OUT)}: {len(programs.PROGRAMS)} programs, "
          f"{n_arrays} arrays, {os.path.getsize(OUT)} bytes "
          f"(mxnet {mx.__version__}, numpy {np.__version__})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
