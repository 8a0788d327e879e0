"""Backward, one node at a time, and your own derivation checked against the tape.

:func:`explain` runs ``backward`` and lists what it did, in execution order: each node,
the rule its operator applies, the gradient it received (and whether several
contributions were summed into it), and what it sent to each input.
:func:`explain_steps` is the same pass as a generator, one step per ``next()``.
:func:`check_derivation` compares the gradients you derived by hand with the tape's.

(A face: the code lives in :mod:`minigluon.instruments.explain` and
:mod:`minigluon.instruments.derivation`.)
"""

from __future__ import annotations

import sys
import types
from typing import Any

from .instruments.derivation import DerivationReport, DerivationRow, check_derivation
from .instruments.explain import Contribution, Explanation, Step, explain, explain_steps

__all__ = ["explain", "explain_steps", "Step", "Contribution", "Explanation",
           "check_derivation", "DerivationReport", "DerivationRow"]


class _Face(types.ModuleType):
    """``mx.explain(loss)`` is :func:`explain` (learners call the face like the function)."""

    def __call__(self, *args: Any, **kwargs: Any) -> Explanation:
        return explain(*args, **kwargs)


sys.modules[__name__].__class__ = _Face
