"""Devices, as MXNet names them: ``cpu(i)``, ``gpu(i)``, ``cpu_pinned(i)``.

minigluon computes with NumPy on the host. Every array still records the device it was
placed on, and operators refuse to mix a GPU array with an array of another device, as
MXNet does, so that code written for several devices can be run and read on a laptop.

GPUs exist only when simulated: set ``MINIGLUON_GPUS=N`` in the environment, or call
:func:`simulate_gpus`. Then ``gpu(0)`` .. ``gpu(N-1)`` hold arrays (in host memory) and
:func:`num_gpus` says N. Without that, placing an array on a GPU raises ``MXNetError``
as MXNet built without CUDA does (the book's ``try_gpu`` catches it).
"""

from __future__ import annotations

import os
import threading

from .base import MinigluonError


class Context:
    """A device: ``Context('cpu', 0)`` or ``Context(other_context)``.

    ``with ctx:`` makes ``ctx`` the default device of arrays created inside the block
    (per thread), as :func:`current_context` reports.

    Examples
    --------
    >>> import minigluon as mx
    >>> mx.cpu()
    cpu(0)
    >>> mx.cpu(1).device_type, mx.cpu(1).device_id, mx.cpu(1).device_typeid
    ('cpu', 1, 1)
    >>> with mx.Context(mx.cpu(1)):
    ...     mx.nd.ones(2).context
    cpu(1)
    """

    __slots__ = ("device_typeid", "device_id", "_old")
    devtype2str = {1: "cpu", 2: "gpu", 3: "cpu_pinned", 5: "cpu_shared"}
    devstr2type = {"cpu": 1, "gpu": 2, "cpu_pinned": 3, "cpu_shared": 5}
    _default: Context | None = None

    def __init__(self, device_type: str | Context = "cpu", device_id: int = 0) -> None:
        if isinstance(device_type, Context):
            self.device_typeid = device_type.device_typeid
            self.device_id = device_type.device_id
        else:
            if device_type not in self.devstr2type:
                raise ValueError(f"unknown device type {device_type!r}: expected one of "
                                 f"{', '.join(self.devstr2type)}")
            self.device_typeid = self.devstr2type[device_type]
            self.device_id = int(device_id)
        self._old: list[Context] = []

    @property
    def device_type(self) -> str:
        """``'cpu'``, ``'gpu'``, ``'cpu_pinned'`` or ``'cpu_shared'``."""
        return self.devtype2str[self.device_typeid]

    def __repr__(self) -> str:
        return f"{self.device_type}({self.device_id})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Context) and self.device_typeid == other.device_typeid
                and self.device_id == other.device_id)

    def __hash__(self) -> int:
        return hash((self.device_typeid, self.device_id))

    def __enter__(self) -> Context:
        stack = _stack()
        self._old.append(stack[-1])
        stack[-1] = self
        return self

    def __exit__(self, *exc: object) -> None:
        _stack()[-1] = self._old.pop()

    def empty_cache(self) -> None:
        """Nothing to free: NumPy owns the memory."""


Context._default = Context("cpu", 0)  # the one object every default cpu(0) refers to
_LOCAL = threading.local()


def _stack() -> list[Context]:
    s = getattr(_LOCAL, "stack", None)
    if s is None:
        s = _LOCAL.stack = [Context._default]
    return s


def cpu(device_id: int = 0) -> Context:
    """The CPU context ``cpu(device_id)`` (all CPU ids share the host memory)."""
    return Context("cpu", device_id)


def cpu_pinned(device_id: int = 0) -> Context:
    """Page-locked host memory, as MXNet names it; an ordinary CPU device here."""
    return Context("cpu_pinned", device_id)


def gpu(device_id: int = 0) -> Context:
    """The GPU context ``gpu(device_id)``. It can always be created; arrays can be placed
    on it only when GPUs are simulated (:func:`simulate_gpus`)."""
    return Context("gpu", device_id)


def _env_gpus() -> int:
    v = os.environ.get("MINIGLUON_GPUS", "0").strip() or "0"
    try:
        n = int(v)
    except ValueError:
        raise MinigluonError(f"MINIGLUON_GPUS={v!r}: expected a number of GPUs") from None
    if n < 0:
        raise MinigluonError(f"MINIGLUON_GPUS={v!r}: expected a number >= 0")
    return n


_GPUS = [_env_gpus()]


def simulate_gpus(n: int) -> None:
    """Make ``gpu(0)`` .. ``gpu(n-1)`` usable devices (arrays in host memory, kept apart
    as real devices are); ``simulate_gpus(0)`` turns simulation off."""
    if int(n) < 0:
        raise ValueError(f"simulate_gpus({n}): the number of GPUs must be >= 0")
    _GPUS[0] = int(n)


def num_gpus() -> int:
    """The number of (simulated) GPUs: 0 unless :func:`simulate_gpus` or MINIGLUON_GPUS."""
    return _GPUS[0]


def current_context() -> Context:
    """The default device of new arrays in this thread (``cpu(0)`` outside ``with ctx:``)."""
    return _stack()[-1]


_NO_GPU = {"_array": "Compile with USE_CUDA=1 to enable GPU usage",
           "_copyto": "GPU is not enabled", "_random": "GPU is not enabled"}


def check_context(ctx: object, op: str = "_zeros") -> Context:
    """The device ``ctx`` stands for (None: the current one), refusing a GPU that does
    not exist with MXNet's error."""
    if ctx is None:
        return _stack()[-1]
    if isinstance(ctx, (list, tuple)):
        for c in ctx:
            check_context(c, op)
        return ctx  # type: ignore[return-value]
    if not isinstance(ctx, Context):
        if isinstance(ctx, str):
            return Context(ctx)
        raise TypeError(f"ctx must be a Context such as mx.cpu() or mx.gpu(0), got {ctx!r}")
    if ctx.device_typeid == 2:
        n = _GPUS[0]
        if n == 0:
            # the words of MXNet 1.9.1 built without CUDA, which differ by entry point
            what = _NO_GPU.get(op, f"Operator {op} is not implemented for GPU.")
            raise MinigluonError(
                f"{what} (minigluon has no GPU, as MXNet without CUDA: Compile MXNet with "
                "USE_CUDA=1 to enable GPU support. Set MINIGLUON_GPUS=N or call "
                "mx.context.simulate_gpus(N) to simulate N GPUs, or use mx.cpu().)")
        if ctx.device_id >= n:
            raise MinigluonError(
                f"Check failed: e == cudaSuccess: invalid device ordinal ({ctx} with "
                f"{n} simulated GPU{'s' if n != 1 else ''})")
    return ctx



__all__ = ["Context", "cpu", "gpu", "cpu_pinned", "num_gpus", "current_context",
           "simulate_gpus"]
