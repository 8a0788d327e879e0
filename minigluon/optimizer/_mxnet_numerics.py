"""MXNet's way of reading an optimizer's hyper-parameters, kept apart so that the update
rules read like their formulas.

MXNet hands every operator argument to C++ as text, ``str(x)``, and parses it with
dmlc-core's fast strtof/strtod. Those are not correctly rounded (e.g. lr
8.624942345226406e-05 becomes the float32 one step above the nearest), so a float64
weight's trajectory depends on them in the 8th digit. The built-in rules feed their
hyper-parameters through the same parse.
"""

from __future__ import annotations

import numpy as np

# one parser for the optimizers and the nd.*_update operators (minigluon._dmlc)
from .._dmlc import as_kernel as _as_kernel, dmlc_parse as _dmlc_parse

__all__ = ["_dmlc_parse", "_as_kernel", "_as_scalar"]


def _as_scalar(x: float, dtype: np.dtype) -> np.generic:
    """A Python number in an NDArray-scalar operation (``grad * rescale_grad``): a C
    ``double`` parsed from ``str(x)``, then cast to the array's dtype."""
    return _dmlc_parse(str(x), np.float64).astype(dtype)
