"""MXNet's way of reading an optimizer's hyper-parameters, kept apart so that the update
rules read like their formulas.

MXNet hands every operator argument to C++ as text, ``str(x)``, and parses it with
dmlc-core's fast strtof/strtod. Those are not correctly rounded (e.g. lr
8.624942345226406e-05 becomes the float32 one step above the nearest), so a float64
weight's trajectory depends on them in the 8th digit. The built-in rules feed their
hyper-parameters through the same parse.
"""

from __future__ import annotations

import functools
import re

import numpy as np


@functools.lru_cache(maxsize=1024)  # the same few hyper-parameters, every step
def _dmlc_parse(text: str, ftype: type[np.floating]) -> np.floating:
    """dmlc-core's ``ParseFloat<ftype>``: integer part, then fraction (at most 19 digits)
    as one division in double, then a power of ten built by repeated multiplication."""
    m = re.fullmatch(r"([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?)(\d+))?", text)
    if m is None:  # inf, nan
        return ftype(float(text))
    sign, whole, frac, esign, expon = m.groups()
    value = ftype(int(whole or 0) % 2**64)
    if frac:
        digits = frac[:19]
        value = ftype(value + ftype(int(digits or 0) / float(10 ** len(digits))))
    if expon:
        e = min(int(expon), 308 if ftype is np.float64 else 38)
        scale = ftype(1.0)
        for step in [8] * (e // 8) + [1] * (e % 8):
            scale = ftype(scale * ftype(1e8 if step == 8 else 10.0))
        value = ftype(value / scale) if esign == "-" else ftype(value * scale)
    return -value if sign == "-" else value


def _as_kernel(x: float, dtype: np.dtype) -> np.generic:
    """A hyper-parameter as MXNet's C++ update operators use it: a C ``float`` (parsed from
    ``str(x)``), cast to the weight's dtype -- a float64 weight sees 0.1 as 0.100000001."""
    return _dmlc_parse(str(x), np.float32).astype(dtype)


def _as_scalar(x: float, dtype: np.dtype) -> np.generic:
    """A Python number in an NDArray-scalar operation (``grad * rescale_grad``): a C
    ``double`` parsed from ``str(x)``, then cast to the array's dtype."""
    return _dmlc_parse(str(x), np.float64).astype(dtype)
