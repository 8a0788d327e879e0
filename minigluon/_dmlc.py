"""Hyper-parameters as MXNet's C++ operators see them.

An operator parameter reaches MXNet's kernels as text, parsed by dmlc-core's fast
``strtof``, which is not correctly rounded (``lr=8.624942345226406e-05`` becomes the
float32 one step above the nearest). The update operators of :mod:`minigluon.ndarray.updates`
parse theirs the same way, so their results match MXNet's to the bit.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import numpy as np

__all__ = ["dmlc_parse", "as_kernel"]


@functools.lru_cache(maxsize=1024)
def dmlc_parse(text: str, ftype: type[np.floating]) -> np.floating:
    """dmlc-core's ``ParseFloat<ftype>``: the integer part, then the fraction (at most 19
    digits) as one division in double, then a power of ten built by repeated products."""
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


def as_kernel(x: Any, dtype: Any) -> np.generic:
    """A float parameter as a kernel uses it: a C ``float`` parsed from ``str(x)``, cast to
    the array's dtype (a float64 weight sees 0.1 as 0.100000001)."""
    try:
        return _as_kernel_cached(x, dtype)
    except TypeError:  # an unhashable x
        return dmlc_parse(str(x), np.float32).astype(dtype)


@functools.lru_cache(maxsize=1024, typed=True)
def _as_kernel_cached(x: Any, dtype: Any) -> np.generic:
    # an optimizer asks for the same few numbers (lr, wd, rescale_grad) at every update;
    # typed: 1 and 1.0 (and True) stay apart, as their str() does
    return dmlc_parse(str(x), np.float32).astype(dtype)
