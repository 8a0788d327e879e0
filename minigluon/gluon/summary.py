"""``Block.summary``: the table of layers, output shapes and parameters, and which input
dimension fixed each deferred shape.

:func:`summarize` sees blocks by duck typing (``apply``, ``register_forward_hook``,
``params``, ``infer_shape``) and imports nothing from :mod:`.block`; a container that is
not a row of the table (``Sequential``) says so with the class attribute
``_listed_in_summary = False``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import autograd
from ..ndarray.ndarray import NDArray

__all__ = ["summarize"]


def summarize(block: Any, inputs: tuple) -> str:
    """Run one forward pass of ``block`` on ``inputs`` (under ``autograd.pause()`` and
    ``predict_mode()``) and return the summary table; see ``Block.summary``."""
    ran: list[tuple[Any, Any]] = []  # (block, output), as each forward finishes
    fixed: dict[Any, str] = {}  # parameter -> how this pass fixed its shape
    hooks: list[Any] = []
    patched: list[tuple[Any, Any]] = []

    def record_output(block: Any, _args: Any, out: Any) -> None:
        ran.append((block, out))

    def watch(block: Any) -> None:
        if getattr(type(block), "_listed_in_summary", True):
            hooks.append(block.register_forward_hook(record_output))
        if callable(getattr(block, "infer_shape", None)):
            # an instance attribute shadows the method until it is popped again
            patched.append((block, block.__dict__.get("infer_shape")))
            block.__dict__["infer_shape"] = _traced_infer_shape(block, fixed)

    try:
        block.apply(watch)
        with autograd.pause(), autograd.predict_mode():
            block(*inputs)
    finally:
        for handle in hooks:
            handle.detach()
        for block, before in patched:
            if before is None:
                block.__dict__.pop("infer_shape", None)
            else:
                block.__dict__["infer_shape"] = before
    return _summary_table(inputs, ran, fixed)


class _Dims(tuple):
    """An input's shape that logs which dimensions ``infer_shape`` reads
    (``x.shape[1]``, ``x.shape[1:]``), into ``log`` as ``(input index, dims)``."""

    def __new__(cls, shape: tuple[int, ...], log: list, arg: int) -> _Dims:
        dims = super().__new__(cls, shape)
        dims._log, dims._arg = log, arg
        return dims

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, (int, slice)):
            picked = range(len(self))[key]
            dims = (picked,) if isinstance(picked, int) else tuple(picked)
            if dims:
                self._log.append((self._arg, dims))
        return tuple.__getitem__(self, key)


class _ShapeSpy(NDArray):
    """A copy of an input, outside any graph, whose ``shape`` is a :class:`_Dims`
    (``infer_shape`` only reads shapes; the summary's forward records nothing)."""

    __slots__ = ("_log", "_arg")

    def __init__(self, a: NDArray, arg: int, log: list) -> None:
        super().__init__(a.asnumpy(), dtype=a.dtype)
        self._log, self._arg = log, arg

    @property
    def shape(self) -> tuple[int, ...]:
        return _Dims(self._data.shape, self._log, self._arg)


def _traced_infer_shape(block: Any, fixed: dict[Any, str]) -> Callable:
    """``block.infer_shape``, also writing into ``fixed`` how each parameter shape it
    completes was obtained."""
    infer = block.infer_shape

    def traced(*args: Any) -> None:
        log: list = []
        before = {p: p.shape for p in block.params.values()}
        infer(*[_ShapeSpy(a, i, log) if isinstance(a, NDArray) else a
                for i, a in enumerate(args)])
        shapes = [a.shape if isinstance(a, NDArray) else None for a in args]
        for p, old in before.items():
            if old is not None and p.shape != old:
                fixed[p] = _how_fixed(block, old, p.shape, log, shapes)

    return traced


def _how_fixed(block: Any, old: tuple[int, ...], new: tuple[int, ...], log: list,
               shapes: list) -> str:
    """``'(256, 0) -> (256, 20): in_units from input dim 1 of (2, 20)'``."""
    unknown = [j for j, d in enumerate(old) if d <= 0]
    # the layer's constructor argument for the missing size, when it has one
    names = [n for n in ("in_units", "in_channels")
             if block.__dict__.get(n, block.__dict__.get("_" + n)) == 0]
    parts = []
    for j in unknown:
        read, source = _source(new[j], log, shapes, block)
        # name the argument only when the size is exactly what was read (not channels //
        # groups, say)
        what = names[0] if names and len(unknown) == 1 and read else f"dim {j}"
        parts.append(f"{what} {source}")
    return f"{old} -> {new}: " + "; ".join(parts)


def _source(size: int, log: list, shapes: list, block: Any) -> tuple[bool, str]:
    """Where ``size`` came from, from the input dimensions ``infer_shape`` read; True if
    it is one of them (or their product)."""
    several = sum(s is not None for s in shapes) > 1

    def where(arg: int, dims: tuple[int, ...]) -> str:
        s = shapes[arg]
        inp = f"input {arg}" if several else "input"
        if len(dims) == 1:
            return f"{inp} dim {dims[0]} of {s}"
        return f"{inp} dims {dims[0]}-{dims[-1]} of {s}"

    for arg, dims in log:
        if int(np.prod([shapes[arg][d] for d in dims])) == size:
            if len(dims) == 1:
                return True, f"from {where(arg, dims)}"
            product = "*".join(str(shapes[arg][d]) for d in dims)
            return True, f"= {product} from {where(arg, dims)}"
    if log:  # computed from what it read (e.g. channels // groups)
        reads = ", ".join(dict.fromkeys(where(arg, dims) for arg, dims in log))
        return False, f"= {size}, computed from {reads}"
    return False, f"= {size}, set by {type(block).__name__}.infer_shape"


def _shape_str(x: Any, top: bool = True) -> str:
    """Shapes of an output as MXNet's summary prints them: ``(2, 3)``, several outputs
    separated by commas, nested lists in brackets."""
    if isinstance(x, (NDArray, np.ndarray)):
        return str(tuple(x.shape))
    if isinstance(x, (list, tuple)):
        inner = ", ".join(_shape_str(i, False) for i in x)
        return inner if top else f"[{inner}]"
    return str(x)


def _summary_table(inputs: tuple, ran: list[tuple[Any, Any]],
                   fixed: dict[Any, str]) -> str:
    rows: list[tuple[str, str, Any, str]] = [("Input", _shape_str(inputs), 0, "")]
    notes: dict[int, str] = {}  # row index -> the deferred line under it
    seen: set[Any] = set()
    total = trainable = shared = 0
    for block, out in ran:
        params = list(block.params.values())
        sizes = [int(np.prod(p.shape)) if p.shape and all(d > 0 for d in p.shape) else 0
                 for p in params]
        rows.append((f"{block.name} ({type(block).__name__})", _shape_str(out), sum(sizes),
                     ""))
        for p, size in zip(params, sizes):
            total += size
            trainable += size if p.grad_req != "null" else 0
            again = p in seen
            shared += size if again else 0
            seen.add(p)
            mult = "not trained" if p.grad_req == "null" else f"{p.lr_mult:g} / {p.wd_mult:g}"
            rows.append((f"  {p.name}" + (" (shared)" if again else ""), str(p.shape), size,
                         mult))
            if p in fixed and not again:
                notes[len(rows) - 1] = f"    deferred {fixed[p]}"
    header = ("Layer (type)", "Output Shape", "Param #", "lr/wd mult")
    # MXNet's columns; the widths adapt to the contents (MXNet's are fixed, 80 in all)
    w = [max(20, *(len(r[0]) for r in rows)) + 2] + \
        [max(len(header[c]), *(len(str(r[c])) for r in rows)) + 3 for c in (1, 2, 3)]
    line = f"{{:<{w[0]}}}{{:>{w[1]}}}{{:>{w[2]}}}{{:>{w[3]}}}"
    rule = sum(w)
    out = ["-" * rule, line.format(*header), "=" * rule]
    for i, row in enumerate(rows):
        out.append(line.format(*row).rstrip())
        if i in notes:
            out.append(notes[i])
    out += ["=" * rule,
            "Parameters in forward computation graph, duplicate included",
            f"   Total params: {total}",
            f"   Trainable params: {trainable}",
            f"   Non-trainable params: {total - trainable}",
            f"Shared params in forward computation graph: {shared}",
            f"Unique parameters in model: {total - shared}",
            "-" * rule]
    return "\n".join(out)
