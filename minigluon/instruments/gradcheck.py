"""Gradient checks that explain themselves.

:func:`check_grad` compares the gradients the tape computes for any function of NDArrays
with float64 central differences and returns a :class:`GradReport`; :func:`check_op`
runs it over an operator's declared samples. ``python -m minigluon.testing`` checks every
registered operator, plugins included (``--op NAME`` checks one, ``--plugins`` only the
third-party ones, ``-v`` prints every report).
"""

from __future__ import annotations

import argparse
import difflib
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import attrs
import numpy as np

from .. import autograd
from ..ndarray.ndarray import NDArray, _wrap, invoke
from ..ops import OPS, Op

__all__ = ["check_grad", "check_op", "check_all_ops", "GradReport", "numeric_grad"]


@attrs.frozen
class Mismatch:
    """One element where the tape and finite differences disagree most."""

    input: int
    index: tuple[int, ...]
    analytic: float
    numeric: float

    @property
    def abs_err(self) -> float:
        return abs(self.analytic - self.numeric)

    def __str__(self) -> str:
        return (f"input {self.input} at {self.index}: tape {self.analytic:.6g}, "
                f"numeric {self.numeric:.6g} (abs err {self.abs_err:.2e})")


@attrs.frozen
class GradReport:
    """Result of a gradient check. ``ok`` says whether it passed.

    ``max_abs_err`` and ``max_rel_err`` are the largest differences between the tape's
    gradient and float64 central differences; ``worst`` lists the (at most three)
    elements with the largest absolute differences, with their input, index and both
    values, passing or not; ``hint`` says whether a failure looks like a precision
    problem (float32 inputs, step size) rather than a wrong backward. The ``repr`` shows
    the worst elements when the check failed, :meth:`details` always.

    Examples
    --------
    A backward that forgot the factor 2 of ``d(x²)/dx``:

    >>> from minigluon import autograd, testing
    >>> class BadSquare(autograd.Function):
    ...     def forward(self, x):
    ...         self.save_for_backward(x)
    ...         return x * x
    ...     def backward(self, dy):
    ...         (x,) = self.saved_tensors
    ...         return dy * x  # should be 2 * x * dy
    >>> report = testing.check_grad(lambda x: BadSquare()(x), [[1.0, 2.0, 3.0]],
    ...                             name="BadSquare")
    >>> report
    GradReport(BadSquare: MISMATCH, 3 elements, max abs err 1.92e+00, max rel err 5.00e-01)
      input 0 at (2,): tape 1.92127, numeric 3.84254 (abs err 1.92e+00)
      input 0 at (1,): tape -0.26421, numeric -0.528419 (abs err 2.64e-01)
      input 0 at (0,): tape 0.12573, numeric 0.25146 (abs err 1.26e-01)
      hint: the errors are large: the backward formula (or its broadcasting) is wrong
    >>> report.worst[0].index, round(report.worst[0].numeric / report.worst[0].analytic, 6)
    ((2,), 2.0)
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
        return self._text(not self.ok)

    def details(self) -> str:
        """The report with its worst elements, also when the check passed."""
        return self._text(True)

    def _text(self, worst: bool) -> str:
        head = (f"GradReport({self.name}: {'ok' if self.ok else 'MISMATCH'}, "
                f"{self.checked} elements, max abs err {self.max_abs_err:.2e}, "
                f"max rel err {self.max_rel_err:.2e})")
        lines = [head]
        if worst:
            lines += [f"  {m}" for m in self.worst]
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
    worst: list[tuple[float, Mismatch]] = []
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
        if (err > atol + rtol * np.abs(num)).any():
            ok = False
        for j in np.argsort(-err, axis=None, kind="stable")[:3]:
            idx = np.unravel_index(j, err.shape)
            worst.append((float(err[idx]), Mismatch(i, tuple(int(k) for k in idx),
                                                    float(ana[idx]), float(num[idx]))))
    worst.sort(key=lambda e: -e[0])
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
                      tuple(m for _, m in worst[:3]), hint, checked)


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


def _is_plugin(name: str) -> bool:
    return not OPS.owner(name).startswith("minigluon")


def check_all_ops(names: Iterable[str] | None = None, *,
                  plugins_only: bool = False) -> dict[str, list[GradReport]]:
    """:func:`check_op` for every registered operator (built-in and plugins), or for the
    given ``names``; ``plugins_only`` keeps the operators that third-party packages
    registered (through the ``minigluon.ops`` entry points or ``register_op``)."""
    items = dict(OPS.items())
    chosen = list(items) if names is None else [n.lower() for n in names]
    if plugins_only:
        chosen = [n for n in chosen if _is_plugin(n)]
    return {name: check_op(items[name] if name in items else OPS.get(name))
            for name in chosen}


def _report(name: str, verbose: bool) -> tuple[bool, list[str]]:
    try:
        reports = check_op(name)
    except ValueError as e:  # no samples: the operator cannot be checked, which fails it
        return False, [f"FAIL {name}: {e}"]
    bad = [r for r in reports if not r.ok]
    owner = f" [{OPS.owner(name)}]" if _is_plugin(name) else ""
    lines = [f"{'FAIL' if bad else 'ok  '} {name} ({len(reports)} samples){owner}"]
    for r in (reports if verbose else bad):
        lines.append("    " + (r.details() if verbose else repr(r)).replace("\n", "\n    "))
    return not bad, lines


def main(argv: Sequence[str] | None = None) -> int:
    """Check registered operators; print one line each. Exit status 1 on a failure, 2 on
    an unknown operator name."""
    parser = argparse.ArgumentParser(
        prog="python -m minigluon.testing",
        description="Check the VJP of registered operators (plugins included) against "
                    "float64 finite differences, on each operator's declared samples.")
    parser.add_argument("--op", action="append", metavar="NAME", default=None,
                        help="check only this operator (repeatable)")
    parser.add_argument("--plugins", action="store_true",
                        help="check only operators registered by third-party packages")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="print every report with its worst elements")
    args = parser.parse_args(list(argv) if argv is not None else None)
    known = list(OPS)
    names = known if args.op is None else [n.lower() for n in args.op]
    for n in names:
        if n not in known:
            close = difflib.get_close_matches(n, known, n=3)
            print(f"no operator named {n!r}" + (f"; did you mean {', '.join(close)}?"
                                                 if close else ""), file=sys.stderr)
            return 2
    if args.plugins:
        names = [n for n in names if _is_plugin(n)]
        if not names:
            print("no plugin operators are registered (entry-point group minigluon.ops)")
            return 0
    failed = 0
    for name in names:
        ok, lines = _report(name, args.verbose)
        failed += not ok
        print("\n".join(lines))
    print(f"{len(names) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
