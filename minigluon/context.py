"""Devices. minigluon computes on the CPU only; ``ctx=`` arguments are accepted so that
MXNet code which passes them keeps working."""

from __future__ import annotations

from .base import MinigluonError


class Context:
    """A device: ``cpu(0)`` is the only one that holds arrays.

    Examples
    --------
    >>> import minigluon as mx
    >>> mx.cpu()
    cpu(0)
    >>> mx.cpu() == mx.nd.ones(1).context
    True
    """

    __slots__ = ("device_type", "device_id")
    _default: Context | None = None

    def __init__(self, device_type: str | Context = "cpu", device_id: int = 0) -> None:
        if isinstance(device_type, Context):
            device_type, device_id = device_type.device_type, device_type.device_id
        self.device_type = device_type
        self.device_id = device_id

    def __repr__(self) -> str:
        return f"{self.device_type}({self.device_id})"

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Context) and self.device_type == other.device_type
                and self.device_id == other.device_id)

    def __hash__(self) -> int:
        return hash((self.device_type, self.device_id))

    def __enter__(self) -> Context:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def empty_cache(self) -> None:
        """Nothing to free: NumPy owns the memory."""


def cpu(device_id: int = 0) -> Context:
    """The CPU context."""
    return Context("cpu", device_id)


def cpu_pinned(device_id: int = 0) -> Context:
    """Accepted for compatibility; the same as the CPU."""
    return Context("cpu_pinned", device_id)


def gpu(device_id: int = 0) -> Context:
    """A GPU context. It can be created, but arrays cannot be placed on it."""
    return Context("gpu", device_id)


def num_gpus() -> int:
    """Always 0: minigluon has no GPU support."""
    return 0


def current_context() -> Context:
    """The default context, ``cpu(0)``."""
    return cpu()


def check_context(ctx: object) -> None:
    """Refuse a context that cannot hold arrays, with MXNet's hint."""
    if ctx is None:
        return
    if isinstance(ctx, (list, tuple)):
        for c in ctx:
            check_context(c)
        return
    if isinstance(ctx, Context) and ctx.device_type == "gpu":
        raise MinigluonError(
            f"cannot place an array on {ctx}: minigluon runs on the CPU only "
            "(MXNet says: Compile with USE_CUDA=1 to enable GPU usage). Use mx.cpu().")


Context._default = cpu()

__all__ = ["Context", "cpu", "gpu", "cpu_pinned", "num_gpus", "current_context"]
