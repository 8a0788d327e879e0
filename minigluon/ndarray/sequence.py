"""The hand-written ``nd`` functions of the sequence operators: ``nd.SequenceMask``,
``nd.SequenceLast`` and ``nd.SequenceReverse``, whose ``sequence_length`` input is used only
when ``use_sequence_length`` is true (the operators are in :mod:`minigluon.ops.sequence`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..base import MinigluonError
from ..ops import Op
from ..ops.sequence import (
    SequenceLast as _SequenceLastOp,
    SequenceMask as _SequenceMaskOp,
    SequenceReverse as _SequenceReverseOp,
)
from .ndarray import _write_out, as_ndarray, invoke

__all__ = ["SequenceMask", "SequenceLast", "SequenceReverse"]


def _sequence_fn(cls: type[Op], extra: Sequence[str]) -> Callable[..., Any]:
    def fn(data: Any, sequence_length: Any = None, use_sequence_length: bool = False,
           out: Any = None, name: str | None = None, **kw: Any) -> Any:
        unknown = set(kw) - set(extra)
        if unknown:
            raise TypeError(f"{cls.name}() got unexpected arguments {sorted(unknown)}")
        use = bool(use_sequence_length)
        if use and sequence_length is None:
            raise MinigluonError(f"{cls.name}: use_sequence_length=True needs the "
                                 "sequence_length array (one length per sequence)")
        args = [data, sequence_length] if use else [data]
        res = invoke(cls(use_sequence_length=use, **kw), [as_ndarray(a, data) for a in args])
        return res if out is None else _write_out(out, res)

    fn.__name__ = fn.__qualname__ = cls.name
    fn.__doc__ = (f"{cls.__doc__}\n\n``{cls.name}(data, sequence_length=None, "
                  f"use_sequence_length=False, {', '.join(e + '=...' for e in extra)})``: "
                  "``sequence_length`` is used only when ``use_sequence_length`` is true.")
    return fn


SequenceMask = _sequence_fn(_SequenceMaskOp, ("value", "axis"))
SequenceLast = _sequence_fn(_SequenceLastOp, ("axis",))
SequenceReverse = _sequence_fn(_SequenceReverseOp, ("axis",))
