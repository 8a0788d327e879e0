"""Errors shared by every part of minigluon."""

from __future__ import annotations

import numpy as np

# the type tuples MXNet 1.9.1's mxnet.base gives to code that checks argument types (int
# twice: MXNet's Python 2 ``long`` became a second int)
string_types = (str,)
numeric_types = (float, int, int, np.generic)
integer_types = (int, int, np.int32, np.int64)


def py_str(x: bytes) -> str:
    """Bytes from a C string, as a Python string (UTF-8), as ``mxnet.base.py_str``."""
    return x.decode("utf-8")


class MinigluonError(RuntimeError):
    """Raised where Apache MXNet raises ``mxnet.base.MXNetError``.

    ``minigluon.base.MXNetError`` is the same class, so ``except mx.base.MXNetError``
    in code written for MXNet keeps working.
    """


MXNetError = MinigluonError


class NotAvailableError(MinigluonError, NotImplementedError):
    """A part of MXNet that minigluon deliberately does not provide."""


__all__ = ["MinigluonError", "MXNetError", "NotAvailableError", "py_str", "string_types",
           "numeric_types", "integer_types"]
