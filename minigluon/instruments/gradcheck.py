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
    """One element of a gradient check: the tape's value and the numeric one.

    ``output`` is the index of the output element it is the derivative of (``()`` for a
    one-element output), so ``analytic`` and ``numeric`` are ``∂y[output]/∂x_input[index]``,
    numbers you can work out by hand. ``output`` is ``None`` when the output was too
    large for its full Jacobian: then both are derivatives of ``sum(u * y)`` for the
    check's random cotangent ``u``.
    """

    input: int
    index: tuple[int, ...]
    analytic: float
    numeric: float
    output: tuple[int, ...] | None = ()

    @property
    def abs_err(self) -> float:
        return abs(self.analytic - self.numeric)

    def __str__(self) -> str:
        of = "" if not self.output else f", output {self.output}"
        return (f"input {self.input} at {self.index}{of}: tape {self.analytic:.6g}, "
                f"numeric {self.numeric:.6g} (abs err {self.abs_err:.2e})")


@attrs.frozen
class GradReport:
    """Result of a gradient check. ``ok`` says whether it passed.

    ``max_abs_err`` and ``max_rel_err`` are the largest differences between the tape's
    gradient and float64 central differences. When the output is small (at most
    ``JACOBIAN_MAX_OUT`` elements, e.g. a loss) they compare every entry
    ``∂y[k]/∂x[j]`` of the Jacobian, so each number is one you can derive by hand;
    ``elements`` lists them all for small inputs (at most ``SHOW_ALL`` nonzero entries),
    the worst ``SHOW_ALL`` otherwise; ``worst`` lists the (at most three) entries with
    the largest absolute differences, passing or not. For a larger output the check
    weights the output by a fixed random cotangent ``u`` (so a wrong gradient cannot hide
    in a sum), and the values shown are derivatives of ``sum(u * y)``. ``hint`` says
    whether a failure looks like a precision problem (float32 inputs, step size) rather
    than a wrong backward. The ``repr`` shows the elements when the check failed,
    :meth:`details` always.

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
    >>> report = testing.check_grad(lambda x: BadSquare()(x).sum(), [[1.0, 2.0, 3.0]],
    ...                             name="BadSquare")
    >>> report
    GradReport(BadSquare: MISMATCH, 3 elements, max abs err 3.00e+00, max rel err 5.00e-01)
      input 0 at (0,): tape 1, numeric 2 (abs err 1.00e+00)
      input 0 at (1,): tape 2, numeric 4 (abs err 2.00e+00)
      input 0 at (2,): tape 3, numeric 6 (abs err 3.00e+00)
      hint: the errors are large: the backward formula (or its broadcasting) is wrong
    >>> report.worst[0].index, round(report.worst[0].numeric / report.worst[0].analytic, 6)
    ((2,), 2.0)

    Without the ``.sum()`` the output has three elements; the entries of the Jacobian that
    are zero in both (``∂y[0]/∂x[1]`` ...) are left out:

    >>> testing.check_grad(lambda x: BadSquare()(x), [[1.0, 2.0, 3.0]]).elements[1]
    Mismatch(input=0, index=(1,), analytic=2.0, numeric=4.0..., output=(1,))
    """

    name: str
    ok: bool
    max_abs_err: float
    max_rel_err: float
    worst: tuple[Mismatch, ...]
    hint: str = ""
    checked: int = 0
    elements: tuple[Mismatch, ...] = ()
    #: how many Jacobian entries are zero in both and not listed in ``elements``
    zeros: int = 0
    #: how many entries were compared (Jacobian entries, or input elements when weighted)
    total: int = 0

    def __bool__(self) -> bool:
        return self.ok

    def __repr__(self) -> str:
        return self._text(not self.ok)

    def details(self) -> str:
        """The report with its elements, also when the check passed."""
        return self._text(True)

    def _text(self, show: bool) -> str:
        head = (f"GradReport({self.name}: {'ok' if self.ok else 'MISMATCH'}, "
                f"{self.checked} elements, max abs err {self.max_abs_err:.2e}, "
                f"max rel err {self.max_rel_err:.2e})")
        lines = [head]
        if show:
            shown = self.elements or self.worst
            weighted = any(m.output is None for m in shown)
            if weighted:
                lines.append("  (the output is large: values are derivatives of sum(u * y) "
                             "for a fixed random u)")
            lines += [f"  {m}" for m in shown]
            hidden = self.total - self.zeros - len(shown)
            if hidden > 0:
                lines.append(f"  ... the {len(shown)} largest differences shown, "
                             f"{hidden} more entries not shown")
            if self.zeros:
                lines.append(f"  ({self.zeros} Jacobian entries are 0 in both, not shown)")
        if self.hint:
            lines.append(f"  hint: {self.hint}")
        return "\n".join(lines)


#: the largest output whose full Jacobian :func:`check_grad` computes (one backward each)
JACOBIAN_MAX_OUT = 32
#: how many elements a report lists in full; beyond that, the worst ones
SHOW_ALL = 12


def numeric_grad(f: Callable[[list[np.ndarray]], float], xs: list[np.ndarray], i: int,
                 eps: float) -> np.ndarray:
    """Central differences of the scalar ``f`` with respect to ``xs[i]``."""
    jac = _numeric_jacobian(lambda a: np.reshape(f(a), 1), xs, i, eps, 1)
    return jac.reshape(xs[i].shape)


def _numeric_jacobian(f: Callable[[list[np.ndarray]], np.ndarray], xs: list[np.ndarray],
                      i: int, eps: float, out_size: int) -> np.ndarray:
    """Central differences of the vector ``f``: shape (output size, size of xs[i])."""
    if not xs[i].flags.c_contiguous:  # reshape(-1) would copy: the steps would be lost
        xs = xs[:i] + [np.ascontiguousarray(xs[i])] + xs[i + 1:]
    flat = xs[i].reshape(-1)
    jac = np.zeros((out_size, flat.size))
    for j in range(flat.size):
        old = flat[j]
        flat[j] = old + eps
        fp = f(xs)
        flat[j] = old - eps
        fm = f(xs)
        flat[j] = old
        jac[:, j] = (fp - fm) / (2 * eps)
    return jac


def check_grad(fn: Callable[..., NDArray], inputs: Sequence[Any], *, eps: float = 1e-6,
               rtol: float = 1e-5, atol: float = 1e-7, wrt: Sequence[int] | None = None,
               seed: int = 0, name: str | None = None) -> GradReport:
    """Compare the tape's gradient of ``fn(*inputs)`` with central differences.

    For an output of at most ``JACOBIAN_MAX_OUT`` elements every Jacobian entry
    ``∂y[k]/∂x[j]`` is compared (one backward per output element); for a larger one, the
    gradient of ``sum(u * fn(*inputs))`` for a fixed random cotangent ``u``.

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
    out_shape, out_size = out0.shape, int(out0.size)
    full = out_size <= JACOBIAN_MAX_OUT
    u = np.random.default_rng(seed).normal(size=out_shape).astype(out0._data.dtype)

    def values(xs: list[np.ndarray]) -> np.ndarray:
        with autograd.pause():
            y = fn(*[_wrap(x, None) for x in xs])
        y64 = y._data.astype(np.float64)
        return y64.reshape(-1) if full else np.array([(y64 * u).sum()])

    nds = [_wrap(a.copy(), None) for a in arrays]
    for i in wrt:
        nds[i].attach_grad()
    with autograd.record():
        y = fn(*nds)
    # analytic: row k of the Jacobian is the gradient for the one-hot cotangent e_k
    rows: dict[int, list[np.ndarray]] = {i: [] for i in wrt}
    heads = range(out_size) if full else [None]
    for n, k in enumerate(heads):
        if k is None:
            head = u
        else:
            head = np.zeros(out_shape, dtype=out0._data.dtype)
            head.reshape(-1)[k] = 1
        y.backward(_wrap(head, None), retain_graph=n < len(heads) - 1)
        for i in wrt:
            rows[i].append(nds[i].grad._data.astype(np.float64).reshape(-1))
    entries: list[tuple[float, Mismatch]] = []
    max_abs = max_rel = 0.0
    ok = True
    checked = zeros = total = 0
    for i in wrt:
        ana = np.stack(rows[i])  # (outputs, input elements)
        num = _numeric_jacobian(values, arrays, i, eps, len(heads))
        err = np.abs(ana - num)
        rel = err / np.maximum(np.abs(num), atol)
        checked += arrays[i].size
        total += err.size
        if err.size:
            max_abs = max(max_abs, float(err.max()))
            max_rel = max(max_rel, float(np.where(err > atol, rel, 0).max()))
        if (err > atol + rtol * np.abs(num)).any():
            ok = False
        in_shape = arrays[i].shape
        both_zero = (ana == 0) & (np.abs(num) <= atol)
        zeros += int(both_zero.sum()) if full and out_size > 1 else 0
        for k, j in zip(*np.nonzero(~both_zero if full and out_size > 1
                                    else np.ones_like(err, dtype=bool))):
            out = (None if not full else () if out_size == 1 else
                   tuple(int(q) for q in np.unravel_index(k, out_shape)))
            entries.append((float(err[k, j]), Mismatch(
                i, tuple(int(q) for q in np.unravel_index(j, in_shape)),
                float(ana[k, j]), float(num[k, j]), out)))
    by_err = sorted(entries, key=lambda e: -e[0])
    worst = tuple(m for _, m in by_err[:3])
    if len(entries) <= SHOW_ALL:
        elements = tuple(m for _, m in entries)  # in input and index order
    else:
        elements = tuple(m for _, m in by_err[:SHOW_ALL])
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
                      worst, hint, checked, elements, zeros, total)


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
        if op.implied_loss(*xs) is not None:
            reports.append(_check_loss_layer(op, xs, seed, **kw))
            continue
        out, res = op.forward(*[x.copy() for x in xs])
        grads = list(op.vjp(res, np.ones_like(out)))
        wrt = [i for i, g in enumerate(grads[:len(xs)]) if g is not None]
        if not wrt:
            reports.append(GradReport(str(op), True, 0.0, 0.0, (), "no differentiable input"))
            continue
        reports.append(check_grad(_op_function(op), xs, wrt=wrt, seed=seed, **kw))
    return reports


def _check_loss_layer(op: Op, xs: list[np.ndarray], seed: int, eps: float = 1e-6,
                      rtol: float = 1e-5, atol: float = 1e-7) -> GradReport:
    """A loss layer's VJP (given a random head gradient, which it must ignore) against
    central differences of its :meth:`~minigluon.ops.Op.implied_loss`."""
    out, res = op.forward(*[x.copy() for x in xs])
    head = np.random.default_rng(seed).normal(size=np.shape(out))
    grads = list(op.vjp(res, head))
    worst: list[Mismatch] = []
    max_abs = max_rel = 0.0
    checked = 0
    for i, g in enumerate(grads[:len(xs)]):
        if g is None:
            continue
        want = numeric_grad(lambda a: float(op.implied_loss(*a)), [x.copy() for x in xs],
                            i, eps)
        got = np.asarray(g, dtype=np.float64)
        err = np.abs(got - want)
        max_abs = max(max_abs, float(err.max(initial=0.0)))
        max_rel = max(max_rel, float((err / (np.abs(want) + atol)).max(initial=0.0)))
        checked += got.size
        if err.size:
            j = np.unravel_index(int(err.argmax()), err.shape)
            worst.append(Mismatch(i, tuple(int(v) for v in j), float(got[j]), float(want[j])))
        if not np.allclose(got, want, rtol=rtol, atol=atol):
            return GradReport(f"{op} (loss layer)", False, max_abs, max_rel, tuple(worst),
                              "the VJP is not the gradient of the declared implied_loss",
                              checked)
    return GradReport(f"{op} (loss layer)", True, max_abs, max_rel, tuple(worst),
                      "checked against implied_loss", checked)


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
