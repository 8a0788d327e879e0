"""Gradient checks that explain themselves.

:func:`check_grad` compares the gradients the tape computes for any function of NDArrays
with float64 central differences and returns a :class:`GradReport`; :func:`check_op`
runs it over an operator's declared samples. ``python -m minigluon.testing`` checks every
registered operator, plugins included.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any

import attrs
import numpy as np

from . import autograd
from .ndarray.ndarray import NDArray, _wrap, invoke
from .ops import OPS, Op

__all__ = ["check_grad", "check_op", "check_all_ops", "GradReport", "numeric_grad"]


@attrs.frozen
class Mismatch:
    """One element where the tape and finite differences disagree most."""

    input: int
    index: tuple[int, ...]
    analytic: float
    numeric: float


@attrs.frozen
class GradReport:
    """Result of a gradient check. ``ok`` says whether it passed.

    ``worst`` lists the elements with the largest differences; ``hint`` says whether a
    failure looks like a precision problem (float32 inputs, step size) rather than a wrong
    backward.
    """

    name: str
    ok: bool
    max_abs_err: float
    max_rel_err: float
    worst: tuple[Mismatch, ...]
    hint: str = ""
    checked: int = 0

    def __bool__(self) -> bool:
        return self.ok

    def __repr__(self) -> str:
        head = (f"GradReport({self.name}: {'ok' if self.ok else 'MISMATCH'}, "
                f"{self.checked} elements, max abs err {self.max_abs_err:.2e}, "
                f"max rel err {self.max_rel_err:.2e})")
        lines = [head]
        if not self.ok:
            for m in self.worst:
                lines.append(f"  input {m.input} at {m.index}: tape {m.analytic:.6g}, "
                             f"numeric {m.numeric:.6g}")
        if self.hint:
            lines.append(f"  hint: {self.hint}")
        return "\n".join(lines)


def numeric_grad(f: Callable[[list[np.ndarray]], float], xs: list[np.ndarray], i: int,
                 eps: float) -> np.ndarray:
    """Central differences of the scalar ``f`` with respect to ``xs[i]``."""
    x = xs[i]
    g = np.zeros_like(x, dtype=np.float64)
    flat = x.reshape(-1)
    for j in range(flat.size):
        old = flat[j]
        flat[j] = old + eps
        fp = f(xs)
        flat[j] = old - eps
        fm = f(xs)
        flat[j] = old
        g.reshape(-1)[j] = (fp - fm) / (2 * eps)
    return g


def check_grad(fn: Callable[..., NDArray], inputs: Sequence[Any], *, eps: float = 1e-6,
               rtol: float = 1e-5, atol: float = 1e-7, wrt: Sequence[int] | None = None,
               seed: int = 0, name: str | None = None) -> GradReport:
    """Compare the tape's gradient of ``fn(*inputs)`` with central differences.

    The output is weighted by a fixed random cotangent ``u`` (so a wrong gradient cannot
    hide in a sum), i.e. the checked scalar is ``sum(u * fn(*inputs))``.

    Parameters
    ----------
    fn : callable
        Takes NDArrays, returns an NDArray.
    inputs : sequence of array-likes
        Converted to NDArrays, in float64 unless they are NDArrays of another float dtype.
    wrt : sequence of int, optional
        Which inputs to differentiate (default: all floating-point ones).

    Examples
    --------
    >>> from minigluon import nd, testing
    >>> testing.check_grad(lambda a, b: nd.dot(a, b), [[[1., 2.]], [[3.], [4.]]])
    GradReport(<lambda>: ok, 4 elements, max abs err ...)
    """
    arrays = [a._data.copy() if isinstance(a, NDArray) else np.array(a, dtype=np.float64)
              for a in inputs]
    if wrt is None:
        wrt = [i for i, a in enumerate(arrays) if a.dtype.kind == "f"]
    out0 = fn(*[_wrap(a.copy(), None) for a in arrays])
    u = np.random.default_rng(seed).normal(size=out0.shape).astype(out0._data.dtype)

    def f(xs: list[np.ndarray]) -> float:
        with autograd.pause():
            y = fn(*[_wrap(x, None) for x in xs])
        return float((y._data.astype(np.float64) * u).sum())

    nds = [_wrap(a.copy(), None) for a in arrays]
    for i in wrt:
        nds[i].attach_grad()
    with autograd.record():
        y = fn(*nds)
    y.backward(_wrap(u, None))
    worst: list[Mismatch] = []
    max_abs = max_rel = 0.0
    ok = True
    checked = 0
    for i in wrt:
        ana = nds[i].grad._data.astype(np.float64)
        num = numeric_grad(f, arrays, i, eps)
        err = np.abs(ana - num)
        rel = err / np.maximum(np.abs(num), atol)
        checked += err.size
        if err.size:
            max_abs = max(max_abs, float(err.max()))
            max_rel = max(max_rel, float(np.where(err > atol, rel, 0).max()))
        bad = err > atol + rtol * np.abs(num)
        if bad.any():
            ok = False
            for j in np.argsort(-err, axis=None)[:3]:
                idx = np.unravel_index(j, err.shape)
                worst.append(Mismatch(i, tuple(int(k) for k in idx), float(ana[idx]),
                                      float(num[idx])))
    hint = ""
    if not ok:
        if any(a.dtype != np.float64 for a in arrays):
            hint = ("some inputs are not float64: finite differences in float32 lose about "
                    "half the digits; check in float64 before suspecting the backward")
        elif max_rel < 1e-2:
            hint = ("the errors are small relative to the values: this looks like precision "
                    "(try eps between 1e-7 and 1e-4, or a point away from a kink)")
        else:
            hint = "the errors are large: the backward formula (or its broadcasting) is wrong"
    return GradReport(name or getattr(fn, "__name__", "fn"), ok, max_abs, max_rel,
                      tuple(worst), hint, checked)


def _op_function(op: Op) -> Callable[..., NDArray]:
    def apply(*xs: NDArray) -> NDArray:
        return invoke(op, list(xs))

    apply.__name__ = str(op)
    return apply


def check_op(name: str | type[Op], *, seed: int = 0, **kw: Any) -> list[GradReport]:
    """Check an operator's VJP on each of its declared samples.

    Inputs for which the VJP returns None (indices, conditions) are not differentiated.
    Raises ``ValueError`` if the operator declares no samples.
    """
    cls = OPS.get(name) if isinstance(name, str) else name
    samples = cls.samples(np.random.default_rng(seed))
    if not samples:
        raise ValueError(f"operator {cls.name!r} declares no samples: add a `samples` "
                         "classmethod so its backward can be checked")
    reports = []
    for op, xs in samples:
        xs = [np.asarray(x, dtype=np.float64) for x in xs]
        out, res = op.forward(*[x.copy() for x in xs])
        grads = list(op.vjp(res, np.ones_like(out)))
        wrt = [i for i, g in enumerate(grads[:len(xs)]) if g is not None]
        if not wrt:
            reports.append(GradReport(str(op), True, 0.0, 0.0, (), "no differentiable input"))
            continue
        reports.append(check_grad(_op_function(op), xs, wrt=wrt, seed=seed, **kw))
    return reports


def check_all_ops() -> dict[str, list[GradReport]]:
    """:func:`check_op` for every registered operator (built-in and plugins)."""
    return {name: check_op(cls) for name, cls in OPS.items()}


def main(argv: Sequence[str] | None = None) -> int:
    """Check every registered operator; print one line each. Exit status 1 on a failure."""
    failed = 0
    for name, reports in check_all_ops().items():
        bad = [r for r in reports if not r.ok]
        failed += bool(bad)
        print(f"{'FAIL' if bad else 'ok  '} {name} ({len(reports)} samples)")
        for r in bad:
            print("   ", repr(r).replace("\n", "\n    "))
    print(f"{len(OPS.items()) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
