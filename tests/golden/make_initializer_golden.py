"""Golden values of MXNet 1.9.1's initializers, for tests/test_initializer.py.

Run from the repository root with MXNet's Python::

    ~/mxnet-oracle/bin/python tests/golden/make_initializer_golden.py

Random initializers cannot be compared value by value (the random streams differ), so this
records what is deterministic: ``dumps()`` of every built-in, the arrays of the
deterministic initializers, and the bounds and spreads the random ones draw with (their
largest absolute value and standard deviation on a large array).

Output: tests/golden/initializer.npz with
  ``dumps``          JSON text: {expression: dumps() string}
  ``array/<expr>/<shape>``  the array an initializer expression fills, for the
                     deterministic ones
  ``stats/<expr>/<shape>``  [max |w|, std(w)] for the random ones
"""

from __future__ import annotations

import io
import json
import warnings
import zipfile
from pathlib import Path

import numpy as np

warnings.filterwarnings("ignore")
import mxnet as mx  # noqa: E402

OUT = Path(__file__).resolve().parent / "initializer.npz"

DUMPS = ["Zero()", "One()", "Constant(0.5)", "Constant(mx.nd.array([1, 2]))", "Uniform()",
         "Uniform(0.1)", "Normal()", "Normal(0.5)", "Orthogonal()", "Xavier()",
         "Xavier(factor_type='in', magnitude=2.34)", "Xavier('gaussian', 'out', 2)",
         "MSRAPrelu()", "MSRAPrelu('in', 0.1)", "Bilinear()", "LSTMBias(2.0)"]
DETERMINISTIC = [("Bilinear()", (2, 3, 4, 4)), ("Bilinear()", (1, 2, 3, 5)),
                 ("LSTMBias(2.0)", (8,)), ("Constant(mx.nd.array([1, 2]))", (3, 2)),
                 ("Zero()", (2, 3)), ("One()", (2, 3))]
RANDOM = [("Uniform()", (400, 300)), ("Normal()", (400, 300)), ("Xavier()", (400, 300)),
          ("Xavier()", (64, 32, 3, 3)), ("Xavier('gaussian', 'in', 2)", (400, 300)),
          ("Xavier('uniform', 'out', 3)", (400, 300)), ("MSRAPrelu()", (64, 32, 3, 3)),
          ("Orthogonal()", (300, 400)), ("Orthogonal(1.0, 'normal')", (400, 300))]


def write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """An .npz with fixed timestamps, so reruns give identical bytes."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        for key, arr in arrays.items():
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.asarray(arr), allow_pickle=False)
            zf.writestr(zipfile.ZipInfo(key + ".npy", date_time=(1980, 1, 1, 0, 0, 0)),
                        buf.getvalue())


def make(expr: str):
    return eval("mx.init." + expr, {"mx": mx})


def fill(expr: str, shape: tuple[int, ...]) -> np.ndarray:
    arr = mx.nd.zeros(shape)
    make(expr)(mx.init.InitDesc("p_weight"), arr)
    return arr.asnumpy()


def main() -> None:
    mx.random.seed(0)
    arrays: dict[str, np.ndarray] = {
        "dumps": np.array(json.dumps({e: make(e).dumps() for e in DUMPS}))}
    for expr, shape in DETERMINISTIC:
        arrays[f"array/{expr}/{shape}"] = fill(expr, shape)
    for expr, shape in RANDOM:
        w = fill(expr, shape).astype(np.float64)
        arrays[f"stats/{expr}/{shape}"] = np.array([np.abs(w).max(), w.std()])
    write_npz(OUT, arrays)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
