"""Your own derivation checked against the tape.

:func:`check_derivation` runs a forward you write, computes the tape's gradients, and
compares them with the formulas you derived by hand, one variable at a time.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

import attrs
import numpy as np

from .._tape import Node, backward_steps
from ..ndarray.ndarray import NDArray, _wrap
from ._recorded import _table

__all__ = ["check_derivation", "DerivationReport", "DerivationRow"]


@attrs.frozen
class DerivationRow:
    """One variable: the tape's gradient, yours, and the largest difference."""

    name: str
    shape: tuple[int, ...] | None
    tape: Any = attrs.field(eq=False, repr=False)
    hand: Any = attrs.field(eq=False, repr=False)
    max_abs_diff: float
    ok: bool
    note: str = ""


def _first(a: Any, k: int = 2) -> str:
    if a is None:
        return "-"
    flat = np.asarray(a, dtype=np.float64).reshape(-1)
    items = [f"{v + 0.0:.3g}" for v in flat[:k]]
    return "[" + ", ".join(items) + (", …]" if flat.size > k else "]")


@attrs.frozen
class DerivationReport:
    """Result of :func:`check_derivation`; ``ok`` when every formula matches the tape.

    ``first_wrong`` names the first wrong formula in backward order (the order in which
    backpropagation completes the gradients), or is ``None``.
    """

    head: str
    rows: tuple[DerivationRow, ...]
    ok: bool
    first_wrong: str | None = None

    def __bool__(self) -> bool:
        return self.ok

    def __getitem__(self, name: str) -> DerivationRow:
        for r in self.rows:
            if r.name == name:
                return r
        raise KeyError(name)

    def __repr__(self) -> str:
        rows = [["", "shape", "tape", "yours", "max |diff|", "ok"]]
        for r in self.rows:
            rows.append([f"∂{self.head}/∂{r.name}", str(r.shape), _first(r.tape),
                         _first(r.hand),
                         "-" if np.isnan(r.max_abs_diff) else f"{r.max_abs_diff:.1e}",
                         "yes" if r.ok else "NO"])
        lines = _table(rows, indent="")
        for r in self.rows:
            if r.note:
                lines.append(f"  {r.name}: {r.note}")
        if self.ok:
            lines.append("all gradients match")
        else:
            lines.append(f"first wrong formula in backward order: ∂{self.head}/∂"
                         f"{self.first_wrong}. Each formula was given the tape's gradients "
                         "as d.<name>, so every row is judged on its own.")
        return "\n".join(lines)


class _Values:
    """``v`` or ``d`` for a formula: attribute access that remembers what was read."""

    def __init__(self, prefix: str, values: dict[str, Any], read: list[str]) -> None:
        object.__setattr__(self, "_prefix", prefix)
        object.__setattr__(self, "_values", values)
        object.__setattr__(self, "_read", read)

    def __getattr__(self, name: str) -> Any:
        values = object.__getattribute__(self, "_values")
        prefix = object.__getattribute__(self, "_prefix")
        object.__getattribute__(self, "_read").append(f"{prefix}.{name}")
        if name in values:
            return values[name]
        if prefix == "d":
            raise AttributeError(f"d.{name}: the tape sends no gradient to {name!r} and "
                                 "no formula before this one computed it")
        raise AttributeError(f"v.{name}: forward returned no value named {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        object.__getattribute__(self, "_values")[name] = value


def _shape_of(a: Any) -> str:
    shape = getattr(a, "shape", None)
    return str(tuple(shape)) if shape is not None else type(a).__name__


def _arity(fn: Callable) -> int:
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return 1
    if any(p.kind is p.VAR_POSITIONAL for p in params):
        return 2
    return sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params)


def _to_numpy(a: Any) -> Any:
    return a.asnumpy() if isinstance(a, NDArray) else a


def check_derivation(forward: Callable[..., Mapping[str, Any]], inputs: Mapping[str, Any],
                     hand: Mapping[str, Callable], *, head: str | None = None,
                     rtol: float = 1e-6, atol: float = 1e-9) -> DerivationReport:
    """Compare gradients derived by hand with the ones the tape computes.

    Parameters
    ----------
    forward : callable
        Called as ``forward(**inputs)`` while recording; returns a mapping of its named
        values, e.g. ``return locals()`` or ``dict(z=z, h=h, ..., J=J)``.
    inputs : mapping of str to array-like or number
        Arrays become float64 NDArrays that require gradients (your arrays are not
        touched); numbers (``lam``) are passed as they are.
    hand : mapping of str to callable
        For each variable name, your formula for ``∂head/∂name``, called as ``f(v)`` or
        ``f(v, d)``: ``v.<name>`` are the forward values (NumPy float64 arrays, and the
        numbers), ``d.<name>`` the gradients of the head, so you can chain them as
        backpropagation does. ``d.<name>`` is the tape's gradient (for a name it does
        not reach: your formula's, when one ran before): a wrong formula is reported on
        its own row and does not make every formula that uses it look wrong.
    head : str, optional
        The name of the objective; default: the last array in what ``forward`` returned.
    rtol, atol : float
        Tolerances of the comparison (``numpy.allclose``).

    Examples
    --------
    d2l section 3.14: squared loss, ReLU, L2 penalty. Each formula is the section's.

    >>> import numpy as np
    >>> from minigluon import nd
    >>> from minigluon.explain import check_derivation
    >>> def forward(x, y, W1, W2, lam):
    ...     z = nd.dot(W1, x)
    ...     h = nd.relu(z)
    ...     o = nd.dot(W2, h)
    ...     L = ((o - y) ** 2).sum() / 2
    ...     s = lam / 2 * ((W1 ** 2).sum() + (W2 ** 2).sum())
    ...     J = L + s
    ...     return locals()
    >>> hand = {
    ...     "o": lambda v, d: v.o - v.y,                       # ∂J/∂o = ∂L/∂o
    ...     "W2": lambda v, d: d.o @ v.h.T + v.lam * v.W2,     # (∂J/∂o) hᵀ + λ W2
    ...     "h": lambda v, d: v.W2.T @ d.o,                    # W2ᵀ ∂J/∂o
    ...     "z": lambda v, d: d.h * (v.z > 0),                 # ∂J/∂h ⊙ φ'(z)
    ...     "W1": lambda v, d: d.z @ v.x.T + v.lam * v.W1,     # (∂J/∂z) xᵀ + λ W1
    ... }
    >>> rng = np.random.default_rng(0)
    >>> inputs = dict(x=rng.normal(size=(3, 1)), y=[[1.0], [0.0]],
    ...               W1=rng.normal(size=(4, 3)), W2=rng.normal(size=(2, 4)), lam=0.1)
    >>> check_derivation(forward, inputs, hand)  # doctest: +ELLIPSIS
            shape   tape                  yours                 max |diff|  ok
    ∂J/∂o   (2, 1)  [-1.23, 0.329]        [-1.23, 0.329]        ...         yes
    ∂J/∂W2  (2, 4)  [-0.462, -0.0544, …]  [-0.462, -0.0544, …]  ...         yes
    ∂J/∂h   (4, 1)  [1.24, 0.628, …]      [1.24, 0.628, …]      ...         yes
    ∂J/∂z   (4, 1)  [1.24, 0, …]          [1.24, 0, …]          ...         yes
    ∂J/∂W1  (4, 3)  [0.167, -0.218, …]    [0.167, -0.218, …]    ...         yes
    all gradients match

    Forgetting the penalty's share of ``∂J/∂W2`` shows up at once:

    >>> hand["W2"] = lambda v, d: d.o @ v.h.T
    >>> report = check_derivation(forward, inputs, hand)
    >>> report.ok, report["W2"].ok, report["W1"].ok
    (False, False, True)

    Two more mistakes: each row is judged on its own (``d.o``, ``d.h`` are the tape's),
    a formula that raises gets a row with the shapes it read, and the report names the
    first wrong formula in backward order:

    >>> hand["h"] = lambda v, d: v.W2 @ d.o     # W2 not transposed
    >>> hand["z"] = lambda v, d: d.h            # forgot φ'(z)
    >>> report = check_derivation(forward, inputs, hand)
    >>> report.first_wrong, [r.name for r in report.rows if not r.ok]
    ('W2', ['W2', 'h', 'z'])
    >>> print(report["h"].note)  # doctest: +ELLIPSIS
    your formula raised ValueError: matmul: ... (it read v.W2 (2, 4), d.o (2, 1)); the
    tape's gradient has shape (4, 1)
    """
    from .. import autograd
    from ..ndarray.ndarray import _seeds

    arrays: dict[str, Any] = {}
    for k, v in inputs.items():
        if isinstance(v, (int, float, np.number)) and not isinstance(v, bool):
            arrays[k] = v
            continue
        a = np.array(v._data if isinstance(v, NDArray) else v)
        if a.dtype.kind == "f":  # float64, so that only a wrong formula can differ
            a = a.astype(np.float64)
        arr = _wrap(a, None)
        if a.dtype.kind == "f":
            arr.attach_grad()
        arrays[k] = arr
    with autograd.record():
        out = forward(**arrays)
    if not isinstance(out, Mapping):
        raise TypeError("forward must return a mapping of its named values, e.g. "
                        f"`return locals()` or dict(z=z, J=J); it returned a "
                        f"{type(out).__name__}")
    values = {**arrays, **{k: v for k, v in out.items() if not k.startswith("_")}}
    recorded = [k for k, v in out.items() if isinstance(v, NDArray) and v._node is not None
                and v._node.op is not None]
    if head is None:
        if not recorded:
            raise ValueError("forward returned no recorded result: compute the objective "
                             "from the inputs and return it (e.g. `return locals()`)")
        head = recorded[-1]
    if not isinstance(values.get(head), NDArray) or values[head]._node is None:
        raise ValueError(f"forward returned no recorded array named {head!r}")
    unknown = [k for k in hand if not isinstance(values.get(k), NDArray)]
    if unknown:
        known = ", ".join(k for k, v in values.items() if isinstance(v, NDArray))
        raise ValueError(f"hand formulas for {', '.join(map(repr, unknown))}: forward has no "
                         f"array of that name (it has: {known})")
    roots, seeds = _seeds([values[head]], None)
    # when backpropagation completes each gradient: after the last of its consumers
    step_of: dict[Node, int] = {}
    grads: dict[Node, np.ndarray] = {}
    for step, (node, g, _) in enumerate(
            backward_steps(roots, seeds, retain_graph=False, collect={})):
        for p in node.parents:
            step_of[p] = step
        if g is not None:
            grads[node] = np.asarray(g)
    v_values = {k: _to_numpy(a) for k, a in values.items()}
    # d.<name> is the tape's gradient of every named array it reaches, so the formulas
    # may come in any order and each is judged on its own
    d_values: dict[str, Any] = {
        k: grads[a._node].astype(np.float64) for k, a in values.items()
        if isinstance(a, NDArray) and a._node is not None and a._node in grads}
    rows = []
    for name, fn in hand.items():
        read: list[str] = []
        v, d = _Values("v", v_values, read), _Values("d", d_values, read)
        node = values[name]._node
        tape = grads.get(node) if node is not None else None
        if tape is not None:
            tape = tape.astype(np.float64)
        try:
            got = fn(v) if _arity(fn) < 2 else fn(v, d)
            mine = np.asarray(_to_numpy(got), dtype=np.float64)
        except Exception as e:  # a formula that raises gets its own row
            seen = dict.fromkeys(read)
            shapes = ", ".join(
                f"{r} {_shape_of((v_values if r[0] == 'v' else d_values).get(r[2:]))}"
                for r in seen if r[2:] in (v_values if r[0] == "v" else d_values))
            note = f"your formula raised {type(e).__name__}: {e}"
            if shapes:
                note += f" (it read {shapes})"
            if tape is not None:
                note += f"; the tape's gradient has shape {tape.shape}"
                d_values[name] = tape
            rows.append(DerivationRow(name, None if tape is None else tape.shape, tape,
                                      None, float("nan"), False, note))
            continue
        # what the formulas below read as d.<name>: the tape's value when it has one, so a
        # wrong formula here does not make every formula downstream look wrong
        d_values[name] = mine if tape is None else tape
        if tape is None:
            rows.append(DerivationRow(name, None, None, mine, float("nan"), False,
                                      f"the tape sends no gradient to {name} (is it used "
                                      f"by {head}?)"))
            continue
        if mine.shape != tape.shape:
            rows.append(DerivationRow(name, tape.shape, tape, mine, float("nan"), False,
                                      f"your gradient has shape {mine.shape}, the tape's "
                                      f"{tape.shape} (a gradient has its variable's shape)"))
            continue
        diff = np.abs(mine - tape)
        ok = bool(np.allclose(mine, tape, rtol=rtol, atol=atol))
        note = ""
        if not ok:
            i = np.unravel_index(int(np.argmax(diff)), diff.shape)
            note = (f"largest difference at {tuple(int(j) for j in i)}: tape "
                    f"{tape[i]:.6g}, yours {mine[i]:.6g}")
        rows.append(DerivationRow(name, tape.shape, tape, mine,
                                  float(diff.max()) if diff.size else 0.0, ok, note))
    wrong = [r.name for r in rows if not r.ok]
    last = len(step_of) + len(grads) + 1
    wrong.sort(key=lambda n: step_of.get(values[n]._node, last))
    return DerivationReport(head, tuple(rows), not wrong, wrong[0] if wrong else None)
