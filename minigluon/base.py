"""Errors shared by every part of minigluon."""

from __future__ import annotations


class MinigluonError(RuntimeError):
    """Raised where Apache MXNet raises ``mxnet.base.MXNetError``.

    ``minigluon.base.MXNetError`` is the same class, so ``except mx.base.MXNetError``
    in code written for MXNet keeps working.
    """


MXNetError = MinigluonError


class NotAvailableError(MinigluonError, NotImplementedError):
    """A part of MXNet that minigluon deliberately does not provide."""


__all__ = ["MinigluonError", "MXNetError", "NotAvailableError"]
