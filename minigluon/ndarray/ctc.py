"""The hand-written ``nd.CTCLoss`` (alias ``nd.ctc_loss``), whose two length inputs are used
only when ``use_data_lengths`` / ``use_label_lengths`` say so (the operator is in
:mod:`minigluon.ops.ctc`)."""

from __future__ import annotations

from typing import Any

from ..base import MinigluonError
from ..ops.ctc import CTCLoss as _CTCLossOp
from .ndarray import NDArray, _write_out, as_ndarray, invoke

__all__ = ["CTCLoss", "ctc_loss"]


def ctc_loss(data: Any, label: Any = None, data_lengths: Any = None,
             label_lengths: Any = None, use_data_lengths: bool = False,
             use_label_lengths: bool = False, blank_label: str = "first",
             out: NDArray | None = None, name: str | None = None) -> NDArray:
    """Connectionist temporal classification loss of ``data`` (T, N, C), unnormalized
    scores, for ``label`` (N, L): one value per sequence, shape (N,).

    ``blank_label='first'``: class 0 is the blank and labels are padded with 0;
    ``'last'``: class C-1 is the blank and labels are padded with -1. ``data_lengths``
    and ``label_lengths`` (N,) are read only when ``use_data_lengths`` /
    ``use_label_lengths`` are true.

    Examples
    --------
    >>> from minigluon import nd
    >>> x = nd.zeros((2, 1, 3))                  # two steps, uniform over 3 classes
    >>> nd.CTCLoss(x, nd.array([[1, 0]]))        # paths 1-, -1, 11: 3 of the 9
    <BLANKLINE>
    [1.0986123]
    <NDArray 1 @cpu(0)>
    """
    if label is None:
        raise MinigluonError("CTCLoss needs a label array (batch_size, label_length)")
    if blank_label not in ("first", "last"):
        raise MinigluonError(f"CTCLoss: blank_label={blank_label!r} must be 'first' or "
                             "'last'")
    args = [data, label]
    for use, arr, what in ((use_data_lengths, data_lengths, "data_lengths"),
                           (use_label_lengths, label_lengths, "label_lengths")):
        if use:
            if arr is None:
                raise MinigluonError(f"CTCLoss: use_{what}=True needs the {what} array")
            args.append(arr)
    op = _CTCLossOp(use_data_lengths=bool(use_data_lengths),
                    use_label_lengths=bool(use_label_lengths), blank_label=blank_label)
    res = invoke(op, [as_ndarray(a, data) for a in args])
    return res if out is None else _write_out(out, res)


CTCLoss = ctc_loss
ctc_loss.__name__ = ctc_loss.__qualname__ = "CTCLoss"
