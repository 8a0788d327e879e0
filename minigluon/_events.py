"""Events the core announces, for instruments (the linter) to listen to.

The core never imports an instrument. Where one may want to look, it writes::

    if _events.ACTIVE:
        _events.emit("to_numpy", x, "x.asnumpy()")

which costs one attribute test while nobody listens. An instrument subscribes with
:func:`on` and unsubscribes with :func:`off`. The events, and their arguments:

``attach_grad`` (x)
    before ``x.attach_grad()`` replaces the node of ``x``
``to_numpy`` (x, how)
    before ``x`` becomes NumPy data (``how`` names the call: ``"x.asnumpy()"`` ...)
``backward`` (heads)
    before ``autograd.backward(heads)`` / ``head.backward()``
``grad`` (heads)
    before ``autograd.grad(heads, ...)``
``step`` (trainer, batch_size, ignore_stale_grad)
    before ``Trainer.step`` updates anything
``dropout`` (x, p)
    when ``nd.Dropout`` drops elements of ``x`` in training mode outside
    ``autograd.record()`` (``autograd.train_mode()``, ``set_training(True)``)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["ACTIVE", "EVENTS", "on", "off", "emit"]

#: the event names the core emits
EVENTS = ("attach_grad", "to_numpy", "backward", "grad", "step", "dropout")

#: whether anyone listens; the core tests this flag before calling :func:`emit`
ACTIVE: bool = False

_LISTENERS: dict[str, list[Callable[..., Any]]] = {e: [] for e in EVENTS}


def _check(event: str) -> list[Callable[..., Any]]:
    try:
        return _LISTENERS[event]
    except KeyError:
        raise ValueError(f"unknown event {event!r}: the core emits "
                         f"{', '.join(EVENTS)}") from None


def on(event: str, fn: Callable[..., Any]) -> None:
    """Call ``fn(*args)`` whenever the core emits ``event`` (once, however often added)."""
    global ACTIVE
    listeners = _check(event)
    if fn not in listeners:
        listeners.append(fn)
    ACTIVE = True


def off(event: str, fn: Callable[..., Any]) -> None:
    """Stop calling ``fn`` for ``event`` (nothing happens if it was not listening)."""
    global ACTIVE
    listeners = _check(event)
    if fn in listeners:
        listeners.remove(fn)
    ACTIVE = any(_LISTENERS.values())


def emit(event: str, *args: Any) -> None:
    """Call the listeners of ``event`` with ``args``, in the order they subscribed."""
    for fn in tuple(_LISTENERS[event]):
        fn(*args)
