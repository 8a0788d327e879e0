"""Gradient checks that explain themselves.

:func:`check_grad` compares the gradients the tape computes for any function of NDArrays
with float64 central differences and returns a :class:`GradReport`; :func:`check_op`
runs it over an operator's declared samples. ``python -m minigluon.testing`` checks every
registered operator, plugins included (``--op NAME`` checks one, ``--plugins`` only the
third-party ones, ``-v`` prints every report).

(A face: the code lives in :mod:`minigluon.instruments.gradcheck`.)
"""

from __future__ import annotations

import sys

from .instruments.gradcheck import (  # noqa: F401 (Mismatch and main are reached as testing.X)
    GradReport,
    Mismatch,
    check_all_ops,
    check_grad,
    check_op,
    main,
    numeric_grad,
)

__all__ = ["check_grad", "check_op", "check_all_ops", "GradReport", "numeric_grad"]

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
