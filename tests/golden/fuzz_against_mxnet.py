"""Differential fuzzer: random small ``nd`` + ``autograd`` programs under real MXNet
1.9.1 and under minigluon, compared number by number.  A development tool, not a test.

Run from the repository root with the minigluon venv::

    PYTHONPATH=. /work/main/.venv/bin/python tests/golden/fuzz_against_mxnet.py \
        [--n 600] [--seed 0] [--only REGEX] [--show-known]

It starts ``~/mxnet-oracle/bin/python`` on this same file with ``--run mxnet`` (and the
same ``--n/--seed``), which writes its results to ``/tmp/fuzz_mxnet.npz`` +
``/tmp/fuzz_mxnet.json``, runs the programs under minigluon itself, and prints every
difference: a value beyond a dtype-dependent tolerance, a dtype, a shape, an error on
one side only, or a different error type.

Every program is built from ``np.random.RandomState(seed + i)`` alone (the same stream
under numpy 1.23 and 2.x), so both frameworks see identical inputs; MXNet's own RNG is
never used.  Each program runs under ``autograd.record()`` with ``attach_grad`` on its
float inputs, calls ``autograd.backward`` with a random head gradient on its float
outputs, and records outputs (values, dtypes, shapes), gradients, or the exception.
Domains are safe (no ties at kinks, positive inputs for log/sqrt, distinct values where
max/argmax/sort/pooling pick one element) so that a difference is a real one.

Differences that minigluon makes on purpose (``minigluon/_compat_notes.py``,
kind='fix') are recognised by ``known()`` and only counted, unless ``--show-known``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import traceback

import numpy as np

ORACLE = os.path.expanduser("~/mxnet-oracle/bin/python")
FLOATS = ("float16", "float32", "float64")
TOL = {"float16": (2e-2, 2e-2), "float32": (2e-4, 2e-5), "float64": (1e-6, 1e-9)}


class Prog:
    """One program: inputs (numpy array, attach?) and ``fn(nd, xs) -> array(s)``."""

    def __init__(self, desc, inputs, fn, record=True, tags=()):
        self.desc, self.inputs, self.fn, self.record, self.tags = (
            desc, inputs, fn, record, set(tags))


# --------------------------------------------------------------------------
# input generation (RandomState only)
# --------------------------------------------------------------------------
def _shape(r, lo=1, hi=3, dmax=4):
    return tuple(int(d) for d in r.randint(1, dmax + 1, size=r.randint(lo, hi + 1)))


def _avoid(a, points, gap=0.08):
    a = np.array(a, dtype=np.float64)
    for p in points:
        near = np.abs(a - p) < gap
        a[near] = p + np.where(a[near] >= p, gap, -gap)
    return a


def _distinct(r, shape, scale=0.3):
    n = int(np.prod(shape))
    a = (r.permutation(n) - n / 2.0 + r.uniform(0.1, 0.4, size=n)) * scale
    return _avoid(a.reshape(shape), [0.0])


def _vals(r, shape, dom="any"):
    if dom == "pos":
        return r.uniform(0.5, 3.0, size=shape)
    if dom == "unit":
        return r.uniform(-0.85, 0.85, size=shape)
    if dom == "gt1":
        return r.uniform(1.2, 3.0, size=shape)
    if dom == "small":
        return _avoid(r.uniform(-1.2, 1.2, size=shape), [0.0])
    if dom == "distinct":
        return _distinct(r, shape)
    if dom == "round":  # away from .5 and from integers
        a = r.randint(-4, 5, size=shape) + r.uniform(0.1, 0.4, size=shape)
        return a * np.where(r.uniform(size=shape) < 0.5, 1, -1)
    return _avoid(r.uniform(-2.5, 2.5, size=shape), [0.0, 1.0, -1.0])


def _fdtype(r, allow16=True):
    p = [0.1, 0.45, 0.45] if allow16 else [0.0, 0.5, 0.5]
    return FLOATS[r.choice(3, p=p)]


def _arr(r, shape, dtype="float32", dom="any"):
    if dtype in FLOATS:
        return np.asarray(_vals(r, shape, dom)).astype(dtype)
    lo = 0 if dtype == "uint8" else -5
    return r.randint(lo, 9, size=shape).astype(dtype)


def _bshape(r, shape):
    """A shape that broadcasts against ``shape`` (sometimes one that does not)."""
    s = list(shape)
    for i in range(len(s)):
        if r.uniform() < 0.35:
            s[i] = 1
    if len(s) > 1 and r.uniform() < 0.3:
        s = s[r.randint(1, len(s)):]
    if r.uniform() < 0.05:
        s[-1] = s[-1] + 1  # incompatible: both sides should raise
    return tuple(s)


# --------------------------------------------------------------------------
# program generators: gen_<kind>(r) -> Prog
# --------------------------------------------------------------------------
UNARY = [("exp", "small"), ("log", "pos"), ("sqrt", "pos"), ("rsqrt", "pos"), ("cbrt", "pos"),
         ("square", "any"), ("abs", "any"), ("sign", "any"), ("relu", "any"),
         ("sigmoid", "any"), ("tanh", "any"), ("sin", "any"), ("cos", "any"),
         ("tan", "unit"), ("arcsin", "unit"), ("arccos", "unit"), ("arctan", "any"),
         ("sinh", "small"), ("cosh", "small"), ("arcsinh", "any"), ("arccosh", "gt1"),
         ("arctanh", "unit"), ("log2", "pos"), ("log10", "pos"), ("log1p", "pos"),
         ("expm1", "small"), ("reciprocal", "any"), ("negative", "any"), ("floor", "round"),
         ("ceil", "round"), ("round", "round"), ("rint", "round"), ("trunc", "round"),
         ("fix", "round"), ("gamma", "pos"), ("gammaln", "pos"), ("softsign", "any"),
         ("erf", "any"), ("erfinv", "unit"), ("degrees", "any"), ("radians", "any"),
         ("logical_not", "any"), ("rcbrt", "pos"), ("log_sigmoid", "any"), ("mish", "any"),
         ("identity", "any"), ("BlockGrad", "any"), ("stop_gradient", "any"),
         ("zeros_like", "any"), ("ones_like", "any"), ("relu6", "any")]


def gen_unary(r):
    name, dom = UNARY[r.randint(len(UNARY))]
    dt = _fdtype(r)
    x = _arr(r, _shape(r), dt, dom)
    if r.uniform() < 0.3:  # method form
        return Prog(f"x.{name}() {dt}{x.shape}", [(x, True)],
                    lambda nd, xs: getattr(xs[0], name)())
    return Prog(f"nd.{name}(x) {dt}{x.shape}", [(x, True)],
                lambda nd, xs: getattr(nd, name)(xs[0]))


def gen_unary_int(r):
    name, dom = UNARY[r.randint(len(UNARY))]
    dt = ["int32", "int64", "uint8"][r.randint(3)]
    x = _arr(r, _shape(r), dt)
    if dom in ("pos", "gt1"):
        x = np.abs(x) + 1
    return Prog(f"nd.{name}(x) {dt}{x.shape}", [(x, False)],
                lambda nd, xs: getattr(nd, name)(xs[0]), record=False)


BINARY = ["broadcast_add", "broadcast_sub", "broadcast_mul", "broadcast_div",
          "broadcast_power", "broadcast_maximum", "broadcast_minimum", "broadcast_mod",
          "broadcast_hypot", "broadcast_equal", "broadcast_not_equal", "broadcast_greater",
          "broadcast_greater_equal", "broadcast_lesser", "broadcast_lesser_equal",
          "broadcast_logical_and", "broadcast_logical_or", "broadcast_logical_xor",
          "add", "subtract", "multiply", "divide", "power", "maximum", "minimum",
          "modulo", "equal", "not_equal", "greater", "lesser", "greater_equal",
          "lesser_equal", "logical_and", "logical_or", "logical_xor", "hypot"]
OPERATORS = ["+", "-", "*", "/", "**", "%", "==", "!=", ">", ">=", "<", "<="]


def _binop(op):
    return {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
            "/": lambda a, b: a / b, "**": lambda a, b: a ** b, "%": lambda a, b: a % b,
            "==": lambda a, b: a == b, "!=": lambda a, b: a != b,
            ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
            "<": lambda a, b: a < b, "<=": lambda a, b: a <= b}[op]


def _pair(r, dt, op):
    s1 = _shape(r)
    s2 = _bshape(r, s1)
    if r.uniform() < 0.5:
        s1, s2 = s2, s1
    pos = op in ("**", "power", "broadcast_power")
    a = _arr(r, s1, dt, "pos" if pos else "distinct")
    b = _arr(r, s2, dt, "small" if pos else "distinct")
    if op in ("%", "modulo", "broadcast_mod") and dt in FLOATS:
        a = _arr(r, s1, dt, "pos") * 3
        b = _arr(r, s2, dt, "pos")
    if dt not in FLOATS and op in ("/", "%", "divide", "modulo", "broadcast_div",
                                   "broadcast_mod"):
        b = np.where(b == 0, 3, b).astype(dt)
    if dt not in FLOATS and pos:
        b = np.abs(b) % 3
        b = b.astype(dt)
    return a, b


def gen_binary(r):
    name = BINARY[r.randint(len(BINARY))]
    dt = _fdtype(r) if r.uniform() < 0.85 else ["int32", "int64", "uint8"][r.randint(3)]
    a, b = _pair(r, dt, name)
    if name.startswith("broadcast") or r.uniform() < 0.5:
        pass
    else:
        b = _arr(r, a.shape, dt, "small" if "power" in name else "distinct")
        if name in ("modulo", "divide") and dt not in FLOATS:
            b = np.where(b == 0, 3, b).astype(dt)
    fl = dt in FLOATS
    return Prog(f"nd.{name}(a, b) {dt}{a.shape}{b.shape}", [(a, fl), (b, fl)],
                lambda nd, xs: getattr(nd, name)(xs[0], xs[1]), record=fl)


def gen_elemwise(r):
    name = ["elemwise_add", "elemwise_sub", "elemwise_mul", "elemwise_div"][r.randint(4)]
    dt = _fdtype(r)
    s = _shape(r)
    a, b = _arr(r, s, dt), _arr(r, s, dt)
    return Prog(f"nd.{name}(a, b) {dt}{s}", [(a, True), (b, True)],
                lambda nd, xs: getattr(nd, name)(xs[0], xs[1]))


def gen_operator(r):
    op = OPERATORS[r.randint(len(OPERATORS))]
    dt = _fdtype(r) if r.uniform() < 0.8 else ["int32", "int64", "uint8"][r.randint(3)]
    a, b = _pair(r, dt, op)
    fl = dt in FLOATS
    f = _binop(op)
    return Prog(f"a {op} b {dt}{a.shape}{b.shape}", [(a, fl), (b, fl)],
                lambda nd, xs: f(xs[0], xs[1]), record=fl)


def gen_scalar(r):
    op = OPERATORS[r.randint(len(OPERATORS))]
    dt = _fdtype(r) if r.uniform() < 0.7 else ["int32", "int64", "uint8"][r.randint(3)]
    s = _shape(r)
    fl = dt in FLOATS
    pos = op in ("**", "%", "/")
    x = _arr(r, s, dt, "pos" if pos else "any")
    if not fl and pos:
        x = (np.abs(x) + 1).astype(dt)
    kind = r.randint(4)
    c = [int(r.randint(1, 4)), float(np.round(r.uniform(0.3, 2.5), 2)),
         int(r.randint(-3, 0)), float(np.round(r.uniform(-2.5, -0.3), 2))][kind]
    if op in ("%", "/") and c == 0:
        c = 2
    if op == "**" and r.uniform() < 0.5:
        c = [2, 3, 0.5, -1, 2.0][r.randint(5)]
    f = _binop(op)
    if r.uniform() < 0.5:
        if op in ("**", "%", "/"):
            c = abs(c) or 2
        return Prog(f"{c!r} {op} x {dt}{s}", [(x, fl)], lambda nd, xs: f(c, xs[0]),
                    record=fl)
    return Prog(f"x {op} {c!r} {dt}{s}", [(x, fl)], lambda nd, xs: f(xs[0], c), record=fl)


def gen_scalar_fn(r):
    name = ["maximum", "minimum", "power", "add", "multiply", "subtract", "divide",
            "equal", "greater", "modulo"][r.randint(10)]
    dt = _fdtype(r, False)
    x = _arr(r, _shape(r), dt, "pos")
    c = float(np.round(r.uniform(0.7, 2.8), 2)) if r.uniform() < 0.6 else int(r.randint(1, 3))
    if name in ("maximum", "minimum", "equal", "greater"):
        x = _avoid(x, [c], 0.1).astype(dt)
    if r.uniform() < 0.5:
        return Prog(f"nd.{name}({c!r}, x) {dt}{x.shape}", [(x, True)],
                    lambda nd, xs: getattr(nd, name)(c, xs[0]))
    return Prog(f"nd.{name}(x, {c!r}) {dt}{x.shape}", [(x, True)],
                lambda nd, xs: getattr(nd, name)(xs[0], c))


REDUCE = ["sum", "mean", "prod", "max", "min", "nansum", "nanprod", "norm", "argmax",
          "argmin"]


def gen_reduce(r):
    name = REDUCE[r.randint(len(REDUCE))]
    dt = _fdtype(r) if r.uniform() < 0.85 else ["int32", "int64"][r.randint(2)]
    s = _shape(r, 1, 4)
    dom = "pos" if name in ("prod", "nanprod") else "distinct"
    x = _arr(r, s, dt, dom)
    if name in ("prod", "nanprod") and dt in FLOATS:
        x = (x / 2 + 0.3).astype(dt)
    kw = {}
    u = r.uniform()
    nd_ = len(s)
    if u < 0.25:
        pass
    elif u < 0.7 or name in ("argmax", "argmin"):
        kw["axis"] = int(r.randint(-nd_, nd_))
    else:
        k = r.randint(1, nd_ + 1)
        kw["axis"] = tuple(int(a) for a in sorted(r.choice(nd_, k, replace=False)))
    if r.uniform() < 0.4:
        kw["keepdims"] = True
    if name not in ("argmax", "argmin", "norm") and "axis" in kw and r.uniform() < 0.25:
        kw["exclude"] = True
    if name == "norm" and r.uniform() < 0.4:
        kw["ord"] = 1
    fl = dt in FLOATS
    if r.uniform() < 0.3 and name not in ("nansum", "nanprod"):
        return Prog(f"x.{name}(**{kw}) {dt}{s}", [(x, fl)],
                    lambda nd, xs: getattr(xs[0], name)(**kw), record=fl)
    return Prog(f"nd.{name}(x, **{kw}) {dt}{s}", [(x, fl)],
                lambda nd, xs: getattr(nd, name)(xs[0], **kw), record=fl)


def gen_dot(r):
    dt = _fdtype(r, False)
    if r.uniform() < 0.35:
        b_, m, k, n = (int(v) for v in r.randint(1, 4, size=4))
        ta, tb = bool(r.randint(2)), bool(r.randint(2))
        a = _arr(r, (b_, k, m) if ta else (b_, m, k), dt)
        b = _arr(r, (b_, n, k) if tb else (b_, k, n), dt)
        return Prog(f"nd.batch_dot(a, b, transpose_a={ta}, transpose_b={tb}) {dt}"
                    f"{a.shape}{b.shape}", [(a, True), (b, True)],
                    lambda nd, xs: nd.batch_dot(xs[0], xs[1], transpose_a=ta,
                                                transpose_b=tb))
    case = r.randint(5)
    m, k, n = (int(v) for v in r.randint(1, 4, size=3))
    ta = tb = False
    if case == 0:
        sa, sb = (k,), (k,)
    elif case == 1:
        sa, sb = (m, k), (k,)
    elif case == 2:
        sa, sb = (k,), (k, n)
    elif case == 3:
        sa, sb = (2, m, k), (k, n)
    else:
        ta, tb = bool(r.randint(2)), bool(r.randint(2))
        sa = (k, m) if ta else (m, k)
        sb = (n, k) if tb else (k, n)
    a, b = _arr(r, sa, dt), _arr(r, sb, dt)
    return Prog(f"nd.dot(a, b, transpose_a={ta}, transpose_b={tb}) {dt}{sa}{sb}",
                [(a, True), (b, True)],
                lambda nd, xs: nd.dot(xs[0], xs[1], transpose_a=ta, transpose_b=tb))


RESHAPES = [((2, 3, 4), (0, -1)), ((2, 3, 4), (-2,)), ((2, 3, 4), (-3, 0)),
            ((2, 3, 4), (0, -3)), ((6, 4), (-4, 2, 3, 0)), ((6, 4), (-4, -1, 2, -2)),
            ((2, 3, 4), (4, 0, -1)), ((2, 3, 4), (-1,)), ((2, 3, 4), (0, 0, -1)),
            ((2, 3, 4, 5), (-3, -3)), ((2, 3, 4, 5), (0, -4, 1, 3, -2)),
            ((2, 3, 4), (-1, 0)), ((2, 3, 4), (6, -2)), ((24,), (-4, 2, -1)),
            ((2, 3, 4), (0, 2, 2, -1)), ((2, 3, 4), (-2, 1, 1)), ((2, 3, 4), (5, -1)),
            ((2, 3, 4), (-4, 1, 2, -2)), ((4, 6), (-4, 2, -1, -4, 3, -1)),
            ((2, 3, 4), (2, -1, 0)), ((2, 3, 4), (0, -1, 0)), ((1, 3, 1), (-3, -2)),
            ((2, 3), (0, 0, 1))]


def gen_reshape(r):
    src, tgt = RESHAPES[r.randint(len(RESHAPES))]
    dt = _fdtype(r)
    x = _arr(r, src, dt)
    rev = r.uniform() < 0.25
    form = r.randint(3)
    if form == 0:
        return Prog(f"nd.reshape(x, shape={tgt}, reverse={rev}) {src}", [(x, True)],
                    lambda nd, xs: nd.reshape(xs[0], shape=tgt, reverse=rev) * 2)
    if form == 1:
        return Prog(f"x.reshape({tgt}) {src}", [(x, True)],
                    lambda nd, xs: xs[0].reshape(tgt) * 2)
    return Prog(f"x.reshape(*{tgt}) {src}", [(x, True)],
                lambda nd, xs: xs[0].reshape(*tgt) * 2)


def _rand_slice(r, n):
    u = r.uniform()
    if u < 0.2:
        return slice(None)
    start = int(r.randint(-n - 1, n + 1)) if r.uniform() < 0.7 else None
    stop = int(r.randint(-n - 1, n + 2)) if r.uniform() < 0.7 else None
    step = [None, 1, 2, -1, -2][r.randint(5)] if r.uniform() < 0.4 else None
    return slice(start, stop, step)


def _basic_index(r, shape):
    idx = []
    for n in shape:
        u = r.uniform()
        if u < 0.3:
            idx.append(int(r.randint(-n, n)))
        elif u < 0.9:
            idx.append(_rand_slice(r, n))
        else:
            break
    if r.uniform() < 0.1:
        idx.insert(r.randint(len(idx) + 1), None)
    if r.uniform() < 0.1 and len(idx) < len(shape):
        idx.insert(0, Ellipsis)
    if len(idx) == 1 and r.uniform() < 0.5:
        return idx[0]
    return tuple(idx)


def _empty_tag(x, idx):
    try:
        return ("empty",) if x[idx].size == 0 else ()
    except IndexError:
        return ()


def gen_getitem(r):
    dt = _fdtype(r)
    s = _shape(r, 1, 3, 5)
    x = _arr(r, s, dt)
    if r.uniform() < 0.6:
        idx = _basic_index(r, s)
        return Prog(f"x[{idx!r}] {dt}{s}", [(x, True)], lambda nd, xs: xs[0][idx] * 1,
                    tags=_empty_tag(x, idx))
    k = r.randint(4)
    ii = [int(v) for v in r.randint(0, s[0], size=r.randint(1, 4))]
    if k == 0:
        return Prog(f"x[{ii}] {dt}{s}", [(x, True)], lambda nd, xs: xs[0][ii] * 1)
    if k == 1:
        return Prog(f"x[nd.array({ii})] {dt}{s}", [(x, True)],
                    lambda nd, xs: xs[0][nd.array(ii, dtype="int32")] * 1)
    if k == 2 and len(s) >= 2:
        jj = [int(v) for v in r.randint(0, s[1], size=len(ii))]
        return Prog(f"x[{ii}, {jj}] {dt}{s}", [(x, True)],
                    lambda nd, xs: xs[0][ii, jj] * 1)
    if len(s) >= 2:
        return Prog(f"x[:, {ii[:1]}]... x[(slice(None), np.array)] {dt}{s}", [(x, True)],
                    lambda nd, xs: xs[0][:, np.array([i % s[1] for i in ii])] * 1)
    return Prog(f"x[np.array({ii})] {dt}{s}", [(x, True)],
                lambda nd, xs: xs[0][np.array(ii)] * 1)


def gen_setitem(r):
    dt = _fdtype(r) if r.uniform() < 0.8 else ["int32", "uint8"][r.randint(2)]
    s = _shape(r, 1, 3, 5)
    x = _arr(r, s, dt)
    idx = _basic_index(r, s) if r.uniform() < 0.75 else [int(v) for v in
                                                         r.randint(0, s[0], size=2)]
    vs = np.zeros(s)[idx].shape
    k = r.randint(4)
    if k == 0:
        v = float(np.round(r.uniform(-3, 3), 2))
        desc = f"x[{idx!r}] = {v}"
    elif k == 1:
        v = int(r.randint(-3, 4))
        desc = f"x[{idx!r}] = {v}"
    elif k == 2:
        v = _arr(r, vs, dt)
        desc = f"x[{idx!r}] = nd.array{vs}"
    else:
        vs2 = vs[1:] if len(vs) > 1 and r.uniform() < 0.5 else (
            (1,) + vs[1:] if vs else (1,))
        v = _arr(r, vs2, dt)
        desc = f"x[{idx!r}] = nd.array{vs2} (broadcast)"

    def fn(nd, xs):
        y = xs[0].copy()
        y[idx] = nd.array(v, dtype=v.dtype.name) if isinstance(v, np.ndarray) else v
        return y
    return Prog(f"{desc} {dt}{s}", [(x, False)], fn, record=False, tags=_empty_tag(x, idx))


def gen_inplace(r):
    op = ["+=", "-=", "*=", "/=", "[:]="][r.randint(5)]
    dt = _fdtype(r) if r.uniform() < 0.8 else ["int32", "uint8"][r.randint(2)]
    s = _shape(r)
    x = _arr(r, s, dt, "pos")
    y = _arr(r, _bshape(r, s) if r.uniform() < 0.5 else s, dt, "pos")
    sc = r.uniform() < 0.4
    c = float(np.round(r.uniform(0.5, 2), 2)) if r.uniform() < 0.5 else int(r.randint(1, 4))
    rec = r.uniform() < 0.15

    def fn(nd, xs):
        z = xs[0].copy() if not rec else xs[0] * 1
        w = c if sc else xs[1]
        if op == "+=":
            z += w
        elif op == "-=":
            z -= w
        elif op == "*=":
            z *= w
        elif op == "/=":
            z /= w
        else:
            z[:] = w
        return z
    fl = rec and dt in FLOATS  # inside record: an in-place change of a recorded array
    return Prog(f"z {op} {'%r' % c if sc else 'y' + str(y.shape)} {dt}{s} "
                f"record={rec}", [(x, fl), (y, False)], fn, record=rec)


def gen_chain(r):
    """unary -> scalar op -> binary with a broadcast operand -> reduction, recorded."""
    dt = _fdtype(r, False)
    s = _shape(r, 2, 3)
    x = _arr(r, s, dt, "pos")
    y = _arr(r, _bshape(r, s), dt, "pos")
    u = ["exp", "log", "sqrt", "tanh", "sigmoid", "square", "relu"][r.randint(7)]
    c = float(np.round(r.uniform(0.5, 2), 2))
    sop = ["+", "-", "*", "/", "**"][r.randint(5)]
    bop = ["+", "-", "*", "/"][r.randint(4)]
    red = ["sum", "mean", "max", "norm"][r.randint(4)]
    ax = int(r.randint(-len(s), len(s)))
    f1, f2 = _binop(sop), _binop(bop)
    return Prog(f"({u}(x) {sop} {c}) {bop} y -> {red}(axis={ax}) {dt}{s}{y.shape}",
                [(x, True), (y, True)],
                lambda nd, xs: getattr(f2(f1(getattr(nd, u)(xs[0]), c), xs[1]), red)(
                    axis=ax))


def gen_join(r):
    dt = _fdtype(r)
    k = r.randint(6)
    s = _shape(r, 1, 3)
    nd_ = len(s)
    if k == 0:
        ax = int(r.randint(-nd_, nd_))
        s2 = list(s)
        s2[ax] = int(r.randint(1, 4))
        a, b = _arr(r, s, dt), _arr(r, tuple(s2), dt)
        return Prog(f"nd.concat(a, b, dim={ax}) {s}{tuple(s2)}", [(a, True), (b, True)],
                    lambda nd, xs: nd.concat(xs[0], xs[1], dim=ax))
    if k == 1:
        ax = int(r.randint(-nd_ - 1, nd_ + 1))
        a, b = _arr(r, s, dt), _arr(r, s, dt)
        return Prog(f"nd.stack(a, b, axis={ax}) {s}", [(a, True), (b, True)],
                    lambda nd, xs: nd.stack(xs[0], xs[1], axis=ax))
    if k in (2, 3):
        ax = int(r.randint(-nd_, nd_))
        s2 = list(s)
        n = [1, 2, 3][r.randint(3)]
        s2[ax] *= n
        x = _arr(r, tuple(s2), dt)
        sq = bool(r.uniform() < 0.3)
        name = "split" if k == 2 else "SliceChannel"
        return Prog(f"nd.{name}(x, num_outputs={n}, axis={ax}, squeeze_axis={sq}) "
                    f"{tuple(s2)}", [(x, True)],
                    lambda nd, xs: getattr(nd, name)(xs[0], num_outputs=n, axis=ax,
                                                     squeeze_axis=sq))
    if k == 4:
        ax = int(r.randint(-nd_, nd_))
        reps = tuple(int(v) for v in r.randint(1, 3, size=r.randint(1, nd_ + 2)))
        x = _arr(r, s, dt)
        w = r.randint(4)
        if w == 0:
            return Prog(f"nd.tile(x, reps={reps}) {s}", [(x, True)],
                        lambda nd, xs: nd.tile(xs[0], reps=reps))
        if w == 1:
            return Prog(f"nd.repeat(x, repeats=2, axis={ax}) {s}", [(x, True)],
                        lambda nd, xs: nd.repeat(xs[0], repeats=2, axis=ax))
        if w == 2:
            return Prog(f"nd.flip(x, axis={ax}) {s}", [(x, True)],
                        lambda nd, xs: nd.flip(xs[0], axis=ax))
        return Prog(f"nd.expand_dims(x, axis={ax}) {s}", [(x, True)],
                    lambda nd, xs: nd.expand_dims(xs[0], axis=ax) * 1)
    x = _arr(r, s + (1,), dt)
    w = r.randint(4)
    if w == 0:
        return Prog(f"nd.squeeze(x) {s + (1,)}", [(x, True)],
                    lambda nd, xs: nd.squeeze(xs[0]) * 1)
    if w == 1:
        return Prog(f"nd.swapaxes(x, 0, {nd_}) {s + (1,)}", [(x, True)],
                    lambda nd, xs: nd.swapaxes(xs[0], 0, nd_))
    if w == 2:
        perm = tuple(int(v) for v in r.permutation(nd_ + 1))
        return Prog(f"nd.transpose(x, axes={perm}) {s + (1,)}", [(x, True)],
                    lambda nd, xs: nd.transpose(xs[0], axes=perm))
    b = int(r.randint(0, s[0]))
    return Prog(f"nd.slice_axis(x, axis=0, begin={b}, end=None) {s + (1,)}", [(x, True)],
                lambda nd, xs: nd.slice_axis(xs[0], axis=0, begin=b, end=None))


def gen_gather(r):
    dt = _fdtype(r)
    s = _shape(r, 1, 3)
    nd_ = len(s)
    k = r.randint(5)
    x = _arr(r, s, dt, "distinct")
    if k == 0:
        ax = int(r.randint(-nd_, nd_))
        mode = ["clip", "wrap"][r.randint(2)]
        idx = r.randint(0, s[ax], size=_shape(r, 1, 2)).astype("float32")
        idt = ["float32", "int32", "int64"][r.randint(3)]
        idx = idx.astype(idt)
        return Prog(f"nd.take(x, idx{idx.shape} {idt}, axis={ax}, mode={mode}) {s}",
                    [(x, True), (idx, False)],
                    lambda nd, xs: nd.take(xs[0], xs[1], axis=ax, mode=mode))
    if k == 1:
        ax = int(r.randint(-nd_, nd_))
        ishape = tuple(d for i, d in enumerate(s) if i != ax % nd_)
        idx = r.randint(0, s[ax], size=ishape).astype(["float32", "int32"][r.randint(2)])
        kd = bool(r.randint(2))
        return Prog(f"nd.pick(x, idx, axis={ax}, keepdims={kd}) {s}",
                    [(x, True), (idx, False)],
                    lambda nd, xs: nd.pick(xs[0], xs[1], axis=ax, keepdims=kd))
    if k == 2:
        depth = int(r.randint(2, 5))
        idx = r.randint(0, depth, size=_shape(r, 1, 2)).astype("float32")
        on, off = [(1.0, 0.0), (2.0, -1.0)][r.randint(2)]
        odt = ["float32", "float64", "int32"][r.randint(3)]
        return Prog(f"nd.one_hot(idx, {depth}, {on}, {off}, dtype={odt})", [(idx, False)],
                    lambda nd, xs: nd.one_hot(xs[0], depth, on, off, dtype=odt),
                    record=False)
    if k == 3:
        c = (r.uniform(size=s) < 0.5).astype(dt)
        y = _arr(r, s, dt)
        return Prog(f"nd.where(c, x, y) {s}", [(c, False), (x, True), (y, True)],
                    lambda nd, xs: nd.where(xs[0], xs[1], xs[2]))
    lo, hi = sorted(np.round(r.uniform(-2, 2, size=2), 1))
    if hi - lo < 0.3:
        hi = lo + 0.5
    x = _avoid(x, [lo, hi], 0.05).astype(dt)
    return Prog(f"nd.clip(x, {lo}, {hi}) {dt}{s}", [(x, True)],
                lambda nd, xs: nd.clip(xs[0], float(lo), float(hi)))


def gen_sort(r):
    dt = _fdtype(r, False) if r.uniform() < 0.8 else "int32"
    s = _shape(r, 1, 3, 5)
    nd_ = len(s)
    x = _distinct(r, s).astype(dt) if dt in FLOATS else r.permutation(
        int(np.prod(s))).reshape(s).astype(dt)
    ax = int(r.randint(-nd_, nd_)) if r.uniform() < 0.85 else None
    asc = bool(r.randint(2))
    fl = dt in FLOATS
    k = r.randint(5)
    if k == 0:
        return Prog(f"nd.sort(x, axis={ax}, is_ascend={asc}) {dt}{s}", [(x, fl)],
                    lambda nd, xs: nd.sort(xs[0], axis=ax, is_ascend=asc), record=fl)
    if k == 1:
        odt = ["float32", "int32", "float64"][r.randint(3)]
        return Prog(f"nd.argsort(x, axis={ax}, is_ascend={asc}, dtype={odt}) {dt}{s}",
                    [(x, False)],
                    lambda nd, xs: nd.argsort(xs[0], axis=ax, is_ascend=asc, dtype=odt),
                    record=False)
    if k == 2:
        n = s[ax] if ax is not None else int(np.prod(s))
        kk = int(r.randint(1, n + 1))
        rt = ["indices", "value", "mask", "both"][r.randint(4)]
        return Prog(f"nd.topk(x, axis={ax}, k={kk}, ret_typ={rt}, is_ascend={asc}) "
                    f"{dt}{s}", [(x, fl and rt == "value")],
                    lambda nd, xs: nd.topk(xs[0], axis=ax, k=kk, ret_typ=rt,
                                           is_ascend=asc), record=fl and rt == "value")
    name = ["argmax", "argmin"][r.randint(2)]
    kd = bool(r.randint(2))
    return Prog(f"nd.{name}(x, axis={ax}, keepdims={kd}) {dt}{s}", [(x, False)],
                lambda nd, xs: getattr(nd, name)(xs[0], axis=ax, keepdims=kd),
                record=False)


def gen_softmax(r):
    dt = _fdtype(r)
    s = _shape(r, 1, 3)
    nd_ = len(s)
    x = _arr(r, s, dt)
    ax = int(r.randint(-nd_, nd_))
    name = ["softmax", "log_softmax", "softmin"][r.randint(3)]
    kw = {"axis": ax}
    if r.uniform() < 0.4:
        kw["temperature"] = float(np.round(r.uniform(0.5, 3), 1))
    return Prog(f"nd.{name}(x, **{kw}) {dt}{s}", [(x, True)],
                lambda nd, xs: getattr(nd, name)(xs[0], **kw))


def gen_activation(r):
    dt = _fdtype(r)
    x = _arr(r, _shape(r), dt)
    if r.uniform() < 0.5:
        act = ["relu", "sigmoid", "tanh", "softrelu", "softsign"][r.randint(5)]
        return Prog(f"nd.Activation(x, act_type={act}) {dt}", [(x, True)],
                    lambda nd, xs: nd.Activation(xs[0], act_type=act))
    act = ["leaky", "elu", "gelu", "prelu", "selu"][r.randint(5)]  # rrelu kills MXNet
    slope = float(np.round(r.uniform(0.05, 0.5), 2))
    if act == "prelu":
        g = _arr(r, (1,), dt, "pos") / 4
        return Prog(f"nd.LeakyReLU(x, gamma, act_type=prelu) {dt}{x.shape}",
                    [(x, True), (g.astype(dt), True)],
                    lambda nd, xs: nd.LeakyReLU(xs[0], xs[1], act_type="prelu"))
    return Prog(f"nd.LeakyReLU(x, act_type={act}, slope={slope}) {dt}{x.shape}",
                [(x, True)],
                lambda nd, xs: nd.LeakyReLU(xs[0], act_type=act, slope=slope))


def gen_layer(r):
    dt = _fdtype(r, False)
    k = r.randint(7)
    if k == 0:
        b, n = int(r.randint(1, 4)), int(r.randint(1, 4))
        flat = bool(r.randint(2))
        nb = bool(r.randint(2))
        xs_ = (b, 2, 3) if r.uniform() < 0.5 else (b, 3)
        fin = int(np.prod(xs_[1:])) if flat else xs_[-1]
        x, w, bb = _arr(r, xs_, dt), _arr(r, (n, fin), dt), _arr(r, (n,), dt)
        ins = [(x, True), (w, True)] + ([] if nb else [(bb, True)])
        return Prog(f"nd.FullyConnected(x{xs_}, num_hidden={n}, flatten={flat}, "
                    f"no_bias={nb}) {dt}", ins,
                    lambda nd, xs: nd.FullyConnected(*xs, num_hidden=n, flatten=flat,
                                                     no_bias=nb))
    if k == 1:
        dims = int(r.randint(1, 3))
        c = int(r.choice([1, 2, 4]))
        g = int(r.choice([1, 2])) if c % 2 == 0 else 1
        f = int(r.randint(1, 3)) * g
        ker = tuple(int(v) for v in r.randint(1, 4, size=dims))
        st = tuple(int(v) for v in r.randint(1, 3, size=dims))
        pad = tuple(int(v) for v in r.randint(0, 2, size=dims))
        dil = tuple(int(v) for v in r.randint(1, 3, size=dims))
        sp = tuple(int(v) for v in r.randint(5, 8, size=dims))
        nb = bool(r.randint(2))
        x = _arr(r, (2, c) + sp, dt)
        w = _arr(r, (f, c // g) + ker, dt)
        b = _arr(r, (f,), dt)
        ins = [(x, True), (w, True)] + ([] if nb else [(b, True)])
        return Prog(f"nd.Convolution(x{x.shape}, w{w.shape}, kernel={ker}, stride={st}, "
                    f"pad={pad}, dilate={dil}, num_filter={f}, num_group={g}, "
                    f"no_bias={nb}) {dt}", ins,
                    lambda nd, xs: nd.Convolution(*xs, kernel=ker, stride=st, pad=pad,
                                                  dilate=dil, num_filter=f, num_group=g,
                                                  no_bias=nb))
    if k == 2:
        dims = int(r.randint(1, 3))
        ker = tuple(int(v) for v in r.randint(1, 4, size=dims))
        st = tuple(int(v) for v in r.randint(1, 3, size=dims))
        pad = tuple(int(min(v, kk // 2)) for v, kk in zip(r.randint(0, 2, size=dims), ker))
        sp = tuple(int(v) for v in r.randint(4, 8, size=dims))
        pt = ["max", "avg", "sum"][r.randint(3)]
        conv = ["valid", "full"][r.randint(2)]
        gp = bool(r.uniform() < 0.2)
        cip = bool(r.randint(2))
        x = _distinct(r, (2, 2) + sp).astype(dt)
        return Prog(f"nd.Pooling(x{x.shape}, kernel={ker}, stride={st}, pad={pad}, "
                    f"pool_type={pt}, pooling_convention={conv}, global_pool={gp}, "
                    f"count_include_pad={cip}) {dt}", [(x, True)],
                    lambda nd, xs: nd.Pooling(xs[0], kernel=ker, stride=st, pad=pad,
                                              pool_type=pt, pooling_convention=conv,
                                              global_pool=gp, count_include_pad=cip))
    if k == 3:
        s = (int(r.randint(2, 4)), 3) + _shape(r, 0, 2)
        ax = 1 if r.uniform() < 0.7 else -1
        c = s[ax]
        x = _arr(r, s, dt)
        gam, bet = _arr(r, (c,), dt, "pos"), _arr(r, (c,), dt)
        mm, mv = _arr(r, (c,), dt), _arr(r, (c,), dt, "pos")
        ugs = bool(r.uniform() < 0.3)
        fg = bool(r.uniform() < 0.5)
        train = bool(r.uniform() < 0.7)
        return Prog(f"nd.BatchNorm(x{s}, axis={ax}, use_global_stats={ugs}, "
                    f"fix_gamma={fg}, train={train}) {dt}",
                    [(x, True), (gam, True), (bet, True), (mm, False), (mv, False)],
                    lambda nd, xs: _bn(nd, xs, ax, ugs, fg, train))
    if k == 4:
        s = _shape(r, 2, 3)
        ax = int(r.randint(-len(s), len(s)))
        c = s[ax]
        x = _arr(r, s, dt)
        gam, bet = _arr(r, (c,), dt, "pos"), _arr(r, (c,), dt)
        eps = [1e-5, 1e-3][r.randint(2)]
        return Prog(f"nd.LayerNorm(x{s}, axis={ax}, eps={eps}) {dt}",
                    [(x, True), (gam, True), (bet, True)],
                    lambda nd, xs: nd.LayerNorm(*xs, axis=ax, eps=eps))
    if k == 5:
        x = _arr(r, _shape(r), dt)
        p = float(np.round(r.uniform(0.1, 0.9), 2))
        return Prog(f"nd.Dropout(x, p={p}) predict mode {dt}", [(x, True)],
                    lambda nd, xs: nd.Dropout(xs[0], p=p), tags=("predict",))
    vin, vout = int(r.randint(2, 6)), int(r.randint(1, 4))
    idx = r.randint(0, vin, size=_shape(r, 1, 2)).astype("float32")
    w = _arr(r, (vin, vout), dt)
    return Prog(f"nd.Embedding(idx{idx.shape}, w{w.shape}) {dt}", [(idx, False), (w, True)],
                lambda nd, xs: nd.Embedding(xs[0], xs[1], input_dim=vin, output_dim=vout))


def _bn(nd, xs, ax, ugs, fg, train):
    import importlib
    ag = importlib.import_module(nd.__name__.split(".")[0] + ".autograd")
    with (ag.train_mode() if train else ag.predict_mode()):
        return nd.BatchNorm(*xs, axis=ax, use_global_stats=ugs, fix_gamma=fg)


def gen_dtype(r):
    dts = ["float16", "float32", "float64", "int32", "int64", "uint8"]
    a_dt, b_dt = dts[r.randint(6)], dts[r.randint(6)]
    s = _shape(r)
    a = _arr(r, s, a_dt, "pos")
    k = r.randint(4)
    if k == 0:
        fl = a_dt in FLOATS and b_dt in FLOATS
        return Prog(f"x.astype({b_dt}) * 2 from {a_dt}", [(a, fl)],
                    lambda nd, xs: xs[0].astype(b_dt) * 2, record=fl)
    if k == 1:
        return Prog(f"nd.cast(x, dtype={b_dt}) from {a_dt}", [(a, False)],
                    lambda nd, xs: nd.cast(xs[0], dtype=b_dt), record=False)
    b = _arr(r, s, b_dt, "pos")
    op = OPERATORS[r.randint(len(OPERATORS))]
    f = _binop(op)
    return Prog(f"a {op} b mixed {a_dt} {b_dt}", [(a, False), (b, False)],
                lambda nd, xs: f(xs[0], xs[1]), record=False, tags=("mixed",))


def gen_misc(r):
    dt = _fdtype(r, False)
    s = _shape(r, 2, 3)
    x = _arr(r, s, dt)
    k = r.randint(8)
    if k == 0:
        y = _arr(r, s[::-1], dt)
        return Prog(f"nd.reshape_like(x, y) {s}", [(x, True), (y, False)],
                    lambda nd, xs: nd.reshape_like(xs[0], xs[1]) * 1)
    if k == 1:
        t = tuple(1 if r.uniform() < 0.5 else d for d in s)
        y = _arr(r, t, dt)
        return Prog(f"nd.broadcast_like(y{t}, x{s})", [(x, False), (y, True)],
                    lambda nd, xs: nd.broadcast_like(xs[1], xs[0]))
    if k == 2:
        t = tuple(1 if r.uniform() < 0.5 else d for d in s)
        y = _arr(r, t, dt)
        return Prog(f"nd.broadcast_to(y{t}, shape={s})", [(y, True)],
                    lambda nd, xs: nd.broadcast_to(xs[0], shape=s))
    if k == 3:
        ax = int(r.randint(len(s)))
        t = tuple(1 if i == ax else d for i, d in enumerate(s))
        y = _arr(r, t, dt)
        return Prog(f"nd.broadcast_axis(y{t}, axis={ax}, size=3)", [(y, True)],
                    lambda nd, xs: nd.broadcast_axis(xs[0], axis=ax, size=3))
    if k == 4:
        return Prog(f"nd.smooth_l1(x, scalar=1.0) {s}", [(x, True)],
                    lambda nd, xs: nd.smooth_l1(xs[0], scalar=1.0))
    if k == 5:
        return Prog(f"nd.L2Normalization(x{s}, mode=instance)", [(x, True)],
                    lambda nd, xs: nd.L2Normalization(xs[0], mode="instance"))
    if k == 6:
        return Prog(f"nd.cumsum(x, axis=0) {s}", [(x, True)],
                    lambda nd, xs: nd.cumsum(xs[0], axis=0))
    i = int(r.randint(-2, 3))
    return Prog(f"nd.diag(x, k={i}) {s}", [(x, True)],
                lambda nd, xs: nd.diag(xs[0], k=i))


GENERATORS = [(gen_unary, 8), (gen_unary_int, 2), (gen_binary, 6), (gen_elemwise, 1),
              (gen_operator, 5), (gen_scalar, 5), (gen_scalar_fn, 2), (gen_reduce, 6),
              (gen_dot, 3), (gen_reshape, 2), (gen_getitem, 4), (gen_setitem, 4),
              (gen_inplace, 3), (gen_join, 4), (gen_gather, 4), (gen_sort, 4),
              (gen_softmax, 2), (gen_activation, 2), (gen_layer, 7), (gen_dtype, 4),
              (gen_misc, 3), (gen_chain, 4)]


def make_programs(n, seed, generators=None):
    """``n`` programs, the i-th drawn from ``RandomState(seed + i)`` by one of the
    ``(generator, weight)`` pairs (default: this file's GENERATORS)."""
    generators = generators or GENERATORS
    weights = np.array([w for _, w in generators], dtype=np.float64)
    progs = []
    for i in range(n):
        r = np.random.RandomState(seed + i)
        g = generators[r.choice(len(generators), p=weights / weights.sum())][0]
        p = g(r)
        p.seed = seed + i
        p.kind = g.__name__[4:]
        progs.append(p)
    return progs


# --------------------------------------------------------------------------
# running
# --------------------------------------------------------------------------
def _err(e):
    # minigluon's MinigluonError is its mxnet.base.MXNetError under another name
    mro = [c.__name__ for c in type(e).__mro__]
    return {"type": type(e).__name__,
            "mro": mro + ["MXNetError"] * ("MinigluonError" in mro),
            "msg": str(e).strip().splitlines()[-1][:300] if str(e).strip() else ""}


def run_one(p, mx):
    nd, ag = mx.nd, mx.autograd
    res, meta = {}, {}
    try:
        xs = []
        for a, att in p.inputs:
            x = nd.array(a, dtype=a.dtype.name)
            if att and p.record:
                x.attach_grad()
            xs.append(x)
        if p.record:
            with ag.record(train_mode="predict" not in p.tags):
                out = p.fn(nd, xs)
        else:
            out = p.fn(nd, xs)
        outs = list(out) if isinstance(out, (list, tuple)) else [out]
        for i, o in enumerate(outs):
            res[f"out{i}"] = o.asnumpy()
    except Exception as e:  # noqa: BLE001 - the exception is the result
        meta["error"] = _err(e)
        return res, meta
    heads = [o for o in outs if np.dtype(o.dtype).name in FLOATS]
    if p.record and heads and any(att for _, att in p.inputs):
        hr = np.random.RandomState(p.seed + 10 ** 6)
        hg = [nd.array(hr.uniform(0.5, 1.5, size=o.shape), dtype=np.dtype(o.dtype).name)
              for o in heads]
        try:
            ag.backward(heads, hg)
            for i, (x, (_, att)) in enumerate(zip(xs, p.inputs)):
                if att:
                    res[f"grad{i}"] = x.grad.asnumpy()
        except Exception as e:  # noqa: BLE001
            meta["backward_error"] = _err(e)
    return res, meta


def run_all(framework, n, seed, only, start=0, progress=None, programs=None, runner=None):
    """Run programs ``start..n-1`` (``programs(n, seed)`` and ``runner(p, mx)``, this
    file's own by default) and return their arrays and metas."""
    programs = programs or make_programs
    runner = runner or run_one
    if framework == "mxnet":
        import mxnet as mx
    else:
        import minigluon as mx
    import warnings
    warnings.simplefilter("ignore")
    np.seterr(all="ignore")
    arrays, metas = {}, [None] * start
    for i, p in enumerate(programs(n, seed)):
        if i < start:
            continue
        if progress:  # so that the driver can tell which program crashed the process
            with open(progress + ".tmp", "w") as f:
                f.write(str(i))
            os.replace(progress + ".tmp", progress)  # never seen half written
        if only and not re.search(only, p.desc):
            metas.append(None)
            continue
        try:
            res, meta = runner(p, mx)
            mx.nd.waitall()  # MXNet's asynchronous failures belong to this program
        except Exception:  # noqa: BLE001 - a crash of the harness itself
            res, meta = {}, {"error": {"type": "HarnessError", "mro": [],
                                       "msg": traceback.format_exc()[-300:]}}
        for k, v in res.items():
            arrays[f"{i}/{k}"] = v
        metas.append(meta)
    return arrays, metas


def _close(a, b, tol=None):
    if a.dtype.kind in "fc" or b.dtype.kind in "fc":
        name = a.dtype.name if a.dtype.name in TOL else "float32"
        rtol, atol = tol or TOL[name]
        return np.allclose(a.astype(np.float64), b.astype(np.float64), rtol=rtol, atol=atol,
                           equal_nan=True)
    return np.array_equal(a, b)


def known(p, want_meta, got_meta, diffs=()):
    """Name the deliberate minigluon difference this is, or None."""
    grads_only = diffs and all(d.startswith("grad") for d in diffs)
    if grads_only and "act_type=selu" in p.desc:
        return "compat note 'The gradient of SELU'"
    if grads_only and "nd.BatchNorm" in p.desc and "train=False" in p.desc:
        return "compat note 'The gradient of BatchNorm when recording and backward differ'"
    if grads_only and "pool_type=avg" in p.desc and "convention=full" in p.desc and \
            p.desc.endswith("float32"):
        return "compat note 'The gradient of average pooling with full convention'"
    we = want_meta.get("error")
    if we and "empty" in p.tags and not got_meta.get("error"):
        return "empty arrays (compat note 'Empty arrays')"
    if we and "mixed" in p.tags and "Incompatible attr" in we["msg"] and not got_meta.get(
            "error"):
        return "dtype promotion (compat note 'Arrays of different dtypes')"
    return None


def compare(p, i, want, wmeta, got, gmeta):
    """A list of difference strings (empty when the two runs agree)."""
    diffs = []
    for tag in ("error", "backward_error"):
        we, ge = wmeta.get(tag), gmeta.get(tag)
        if we and not ge:
            diffs.append(f"{tag}: MXNet raises {we['type']}: {we['msg'][:160]}; "
                         "minigluon does not")
        elif ge and not we:
            diffs.append(f"{tag}: minigluon raises {ge['type']}: {ge['msg'][:200]}; "
                         "MXNet does not")
        elif we and ge and we["type"] not in ge["mro"]:
            diffs.append(f"{tag}: MXNet {we['type']}: {we['msg'][:120]} / minigluon "
                         f"{ge['type']}: {ge['msg'][:120]}")
    if wmeta.get("error") or gmeta.get("error"):
        return diffs
    wi, gi = wmeta.get("info") or {}, gmeta.get("info") or {}
    for k in sorted(set(wi) | set(gi)):  # non-array results: names, texts, numbers
        if wi.get(k) != gi.get(k):
            diffs.append(f"{k}: minigluon {str(gi.get(k))[:200]!s} != MXNet "
                         f"{str(wi.get(k))[:200]}")
    for k in sorted(set(want) | set(got)):
        if k not in got or k not in want:
            diffs.append(f"{k}: only in {'MXNet' if k in want else 'minigluon'}")
            continue
        a, b = want[k], got[k]
        if a.shape != b.shape:
            diffs.append(f"{k}: shape {b.shape} != MXNet {a.shape}")
        elif a.dtype != b.dtype:
            diffs.append(f"{k}: dtype {b.dtype} != MXNet {a.dtype}")
        elif not _close(a, b, getattr(p, "tol", None)):
            d = np.abs(a.astype(np.float64) - b.astype(np.float64))
            diffs.append(f"{k}: values differ (max abs {np.nanmax(d):.3g}); MXNet "
                         f"{np.array2string(a.ravel()[:6], precision=4)} minigluon "
                         f"{np.array2string(b.ravel()[:6], precision=4)}")
    return diffs


def _save(path, arrays, metas):
    np.savez(path + ".npz", **arrays)
    with open(path + ".json", "w") as f:
        json.dump(metas, f)


def _load(path):
    with np.load(path + ".npz") as z:
        arrays = {k: z[k] for k in z.files}
    with open(path + ".json") as f:
        metas = json.load(f)
    return arrays, metas


def _group(arrays, i):
    pre = f"{i}/"
    return {k[len(pre):]: v for k, v in arrays.items() if k.startswith(pre)}


def _cmd(python, here, framework, args, start):
    return [python, here, "--run", framework, "--n", str(args.n), "--seed", str(args.seed),
            "--only", args.only, "--out", args.out, "--start", str(start)]


def _run_resilient(python, here, framework, args, env, start=0):
    """Run the programs in a child process; a program that kills the process is recorded
    as a 'Crash' error and the run goes on after it. MXNet also dies now and then at
    random points (after invalid arguments in earlier programs), so a program is blamed
    only if it kills a fresh process on its own."""
    arrays, metas = {}, [None] * args.n
    while start < args.n:
        out = f"{args.out}_{framework}_{start}"
        rc = subprocess.call(_cmd(python, here, framework, args, start), cwd="/tmp",
                             stderr=subprocess.DEVNULL)
        if rc == 0:
            a, m = _load(out)
            arrays.update(a)
            metas[start:] = m[start:]
            break
        with open(out + ".progress") as f:
            crashed = int(f.read())
        if crashed > start:  # rerun the programs before the crash
            sub = argparse.Namespace(**{**vars(args), "n": crashed})
            a, m = _run_resilient(python, here, framework, sub, env, start)
            arrays.update(a)
            metas[start:crashed] = m[start:crashed]
        alone = f"{args.out}_{framework}_{crashed}"
        sub = argparse.Namespace(**{**vars(args), "n": crashed + 1})
        rc = subprocess.call(_cmd(python, here, framework, sub, crashed), cwd="/tmp",
                             stderr=subprocess.DEVNULL)
        if rc == 0:
            a, m = _load(alone)
            arrays.update(a)
            metas[crashed] = m[crashed]
        else:
            metas[crashed] = {"error": {"type": "Crash", "mro": ["Crash"],
                                        "msg": f"process died with status {rc}"}}
        start = crashed + 1
    return arrays, metas


def main(argv=None, here=None, programs=None, runner=None, is_known=None, default_out=None,
         default_n=600):
    """The command line; another fuzzer (fuzz_gluon_against_mxnet.py) passes its own
    file, program factory, runner and ``known``, and reuses the rest."""
    programs = programs or make_programs
    is_known = is_known or known
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", choices=["mxnet", "minigluon"])
    ap.add_argument("--n", type=int, default=default_n)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--only", default="")
    ap.add_argument("--out", default=default_out or "/tmp/fuzz")
    ap.add_argument("--show-known", action="store_true")
    ap.add_argument("--start", type=int, default=0)
    args = ap.parse_args(argv)
    if args.run:
        out = f"{args.out}_{args.run}_{args.start}"
        arrays, metas = run_all(args.run, args.n, args.seed, args.only, args.start,
                                out + ".progress", programs, runner)
        _save(out, arrays, metas)
        return 0
    here = os.path.abspath(here or __file__)
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(os.path.dirname(
        here))))
    mine = subprocess.Popen(_cmd(sys.executable, here, "minigluon", args, 0), env=env)
    wa, wm = _run_resilient(ORACLE, here, "mxnet", args, {})
    if mine.wait():
        print("the minigluon run failed", file=sys.stderr)
        return 2
    ga, gm = _load(f"{args.out}_minigluon_0")
    progs = programs(args.n, args.seed)
    ran = n_diff = n_known = 0
    for i, p in enumerate(progs):
        if wm[i] is None:
            continue
        ran += 1
        diffs = compare(p, i, _group(wa, i), wm[i], _group(ga, i), gm[i])
        if not diffs:
            continue
        why = is_known(p, wm[i], gm[i], diffs)
        if why:
            n_known += 1
            if not args.show_known:
                continue
            diffs = [f"[known: {why}] " + d for d in diffs]
        n_diff += 0 if why else 1
        print(f"#{i} seed={p.seed} [{p.kind}] {p.desc}")
        for d in diffs:
            print("    " + d)
    print(f"{ran} programs, {n_diff} with differences, {n_known} known deliberate")
    return 1 if n_diff else 0


if __name__ == "__main__":
    sys.exit(main())
