"""Golden programs for the core ``nd`` + ``autograd`` API.

Every ``prog_<name>(mx)`` takes the framework module (``mxnet`` or
``minigluon``), builds deterministic inputs from ``np.random.RandomState``
with a fixed seed, runs a small forward (usually under ``autograd.record()``)
and backward, and returns a ``dict`` name -> ``numpy.ndarray``.

``make_golden.py`` runs them under real MXNet 1.9.1 and stores the results in
``core.npz``; ``tests/test_golden.py`` runs them under minigluon and compares.

Rules for programs (so both sides see exactly the same computation):
  * top-level imports are numpy and the standard library only; the module
    must import under numpy 1.23 (MXNet side) and numpy 2.x (minigluon side);
  * inputs come from ``np.random.RandomState(seed)``, never from MXNet's RNG;
  * float64 everywhere unless the program is listed in ``RTOL``;
  * domains are safe: positive inputs for log/sqrt, no ties at the kinks of
    relu/abs/max/min/clip/maximum/minimum, no zeros for reciprocal;
  * every returned value goes through ``_pack`` (NDArray -> ``.asnumpy()``,
    Python/numpy scalars and bools -> 0-d numpy arrays, str -> a 'U' array).
    Keys named ``*_dtype`` hold ``np.dtype(x.dtype).name`` strings, so that
    exact dtypes are checked where they are part of the semantics.

Cases tried under MXNet 1.9.1 and dropped because MXNet rejects them:
  * ``nd.dot(v, v, transpose_a=True)`` with 1-D operands: MXNetError "Cannot
    transpose vectors".
  * setitem on part of a pre-existing array inside ``record()``
    (``c[1:4] = x * 2``, ``c[1] = x * 2``): MXNetError "Inplace operations
    (+=, -=, x[:]=, etc) are not supported when recording with autograd."
    Only the full-slice form ``c[:] = ...`` is recorded (row M2), so only that
    form is kept.
  * ``x.transpose(1, 0, 2)`` (axes as varargs): TypeError; only the tuple
    form ``x.transpose((1, 0, 2))`` works.
  * ``nd.where(cond, x, 0)`` (scalar branch): AssertionError "Argument y must
    have NDArray type".
  * ``nd.elemwise_add`` / ``elemwise_*`` with broadcasting: MXNetError
    (shape mismatch); only same-shape uses are kept.
  * ``nd.one_hot(idx, n) * float64_array``: the one_hot result is float32 by
    default and MXNet refuses mixed float32/float64 operands; kept as values
    only, and with ``dtype='float64'`` where it is combined with float64.
  * ``nd.broadcast_to`` / ``nd.broadcast_like`` to a shape with more
    dimensions ((3,1) -> (2,3,4)): MXNetError (ndim must match).
  * ``nd.argmax(x, axis=(0, 1))``: MXNetError (axis must be an int or None).
  * ``x.reshape((6, 0))`` where 0 copies a dim that does not fit: ValueError.
  * second order through ``nd.negative`` (its derivative is a constant):
    MXNetError "There are no inputs in computation graph that require
    gradients."; second order through ``x*x``, ``x**2``, ``dot``, ``sum``,
    ``elemwise_mul`` fails as well (semantics row G8), so second-order
    programs use only sin, cos, exp, log, sigmoid, tanh, relu.
  * ``x.negative()``, ``nd.full_like``: do not exist in MXNet 1.9.1.
  * ``nd.reshape(x, shape=(5, -1))`` for a size-24 x: no error, then heap corruption
    ("corrupted size vs. prev_size") or an abort; ``int32_array / -0.89``: SIGFPE.
Behaviours of MXNet that are documented as warts to improve (out-of-range
pick/take/one_hot indices, mutation after recording (M3-M5), head gradients
of the wrong shape (A7), ties at kinks (A21-A24), non-contiguous slices being
copies) are deliberately not pinned here.
"""

import numpy as np

# Programs that are not float64 end to end: rtol (and atol) overrides.
RTOL = {
    "prog_fuzz_special_functions": 1e-5,
    "prog_fuzz_float32_vjp_dtypes": 1e-5,
    "prog_creation_float32": 1e-5,
    "prog_autograd_chapter_float32": 1e-5,
    "prog_astype_grad_float32": 1e-5,
    "prog_linreg_scratch_float32": 1e-5,
}
ATOL = {
    "prog_fuzz_special_functions": 1e-7,
    "prog_fuzz_float32_vjp_dtypes": 1e-6,
    "prog_creation_float32": 1e-6,
    "prog_autograd_chapter_float32": 1e-6,
    "prog_astype_grad_float32": 1e-6,
    "prog_linreg_scratch_float32": 1e-6,
}


# --------------------------------------------------------------------------
# helpers (not programs)
# --------------------------------------------------------------------------
def _rng(seed):
    return np.random.RandomState(seed)


def _f64(mx, a):
    return mx.nd.array(np.asarray(a, dtype=np.float64), dtype="float64")


def _leaf(mx, a):
    x = _f64(mx, a)
    x.attach_grad()
    return x


def _np(v):
    if hasattr(v, "asnumpy"):
        return v.asnumpy()
    return np.asarray(v)


def _pack(d):
    return {k: _np(v) for k, v in d.items()}


def _dt(arr):
    return np.array(np.dtype(arr.dtype).name)


def _head(mx, shape, seed):
    return _f64(mx, _rng(seed).uniform(0.5, 1.5, size=shape))


def _distinct(rng, shape, scale=1.0, shift=0.0):
    """Values pairwise at least 0.5*scale apart (no ties for max/min/argmax)."""
    n = int(np.prod(shape))
    a = rng.permutation(n).astype(np.float64) + rng.uniform(0.0, 0.5, size=n)
    return (a.reshape(shape) * scale + shift)


def _avoid(a, points, gap=0.1):
    """Move entries of a that are closer than gap to any point away from it."""
    a = np.array(a, dtype=np.float64)
    for p in points:
        near = np.abs(a - p) < gap
        a[near] = p + np.where(a[near] >= p, gap, -gap)
    return a


def _nonzero(rng, shape, low=0.2, high=2.0):
    mag = rng.uniform(low, high, size=shape)
    sign = np.where(rng.uniform(size=shape) < 0.5, -1.0, 1.0)
    return mag * sign


def _unary(mx, fn, a, head_seed):
    """y = fn(x) recorded; backward with a random head gradient."""
    autograd = mx.autograd
    x = _leaf(mx, a)
    with autograd.record():
        y = fn(x)
    y.backward(_head(mx, y.shape, head_seed))
    return {"x": x.asnumpy(), "y": y.asnumpy(), "dx": x.grad.asnumpy()}


def _binary(mx, fn, a, b, head_seed):
    """z = fn(x, y) recorded; grads of both operands."""
    autograd = mx.autograd
    x = _leaf(mx, a)
    y = _leaf(mx, b)
    with autograd.record():
        z = fn(x, y)
    z.backward(_head(mx, z.shape, head_seed))
    return {"z": z.asnumpy(), "dx": x.grad.asnumpy(), "dy": y.grad.asnumpy()}


def _many_unary(mx, cases, a, head_seed):
    out = {}
    for i, (name, fn) in enumerate(cases):
        for k, v in _unary(mx, fn, a, head_seed + i).items():
            if k != "x" or i == 0:
                out[k if k == "x" else name + "_" + k] = v
    return out


def _many_binary(mx, cases, head_seed):
    out = {}
    for i, (name, fn, a, b) in enumerate(cases):
        for k, v in _binary(mx, fn, a, b, head_seed + i).items():
            out[name + "_" + k] = v
    return out


# --------------------------------------------------------------------------
# element-wise unary
# --------------------------------------------------------------------------
def prog_exp(mx):
    return _unary(mx, mx.nd.exp, _rng(101).uniform(-2, 2, (3, 4)), 1101)


def prog_log(mx):
    return _unary(mx, mx.nd.log, _rng(102).uniform(0.2, 3, (3, 4)), 1102)


def prog_sqrt(mx):
    return _unary(mx, mx.nd.sqrt, _rng(103).uniform(0.2, 3, (3, 4)), 1103)


def prog_square(mx):
    return _unary(mx, mx.nd.square, _rng(104).uniform(-2, 2, (3, 4)), 1104)


def prog_abs(mx):
    return _unary(mx, mx.nd.abs, _nonzero(_rng(105), (3, 4)), 1105)


def prog_sign(mx):
    return _unary(mx, mx.nd.sign, _nonzero(_rng(106), (3, 4)), 1106)


def prog_sin(mx):
    return _unary(mx, mx.nd.sin, _rng(107).uniform(-3, 3, (3, 4)), 1107)


def prog_cos(mx):
    return _unary(mx, mx.nd.cos, _rng(108).uniform(-3, 3, (3, 4)), 1108)


def prog_tanh(mx):
    return _unary(mx, mx.nd.tanh, _rng(109).uniform(-3, 3, (3, 4)), 1109)


def prog_sigmoid(mx):
    return _unary(mx, mx.nd.sigmoid, _rng(110).uniform(-4, 4, (3, 4)), 1110)


def prog_relu(mx):
    return _unary(mx, mx.nd.relu, _nonzero(_rng(111), (3, 4)), 1111)


def prog_negative(mx):
    a = _rng(112).uniform(-2, 2, (3, 4))
    cases = [("fn", mx.nd.negative), ("op", lambda x: -x)]
    return _many_unary(mx, cases, a, 1112)


def prog_reciprocal(mx):
    a = _nonzero(_rng(113), (3, 4), 0.3, 2.0)
    cases = [("fn", mx.nd.reciprocal), ("rdiv", lambda x: 1 / x)]
    return _many_unary(mx, cases, a, 1113)


def prog_rsqrt(mx):
    return _unary(mx, mx.nd.rsqrt, _rng(114).uniform(0.2, 3, (3, 4)), 1114)


def prog_log1p(mx):
    return _unary(mx, mx.nd.log1p, _rng(115).uniform(-0.5, 2, (3, 4)), 1115)


def prog_expm1(mx):
    return _unary(mx, mx.nd.expm1, _rng(116).uniform(-1, 1, (3, 4)), 1116)


def prog_rounding_values(mx):
    """floor/ceil/round/trunc/fix/rint, values only, including exact halves.

    nd.round rounds exact halves away from zero (-2.5 -> -3, 0.5 -> 1);
    nd.rint rounds them down, toward -inf (-2.5 -> -3, 2.5 -> 2, 0.5 -> 0),
    which is neither numpy's round-half-even nor C rint.
    """
    nd = mx.nd
    a = np.concatenate([
        np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, -0.2, 0.2, 3.0, -3.0]),
        _rng(117).uniform(-5, 5, 10),
    ])
    x = _f64(mx, a)
    return _pack({
        "x": x, "floor": nd.floor(x), "ceil": nd.ceil(x), "round": nd.round(x),
        "trunc": nd.trunc(x), "fix": nd.fix(x), "rint": nd.rint(x),
    })


def prog_unary_methods(mx):
    """The NDArray method forms used by d2l: .exp() .log() .abs() .relu()
    .sigmoid() .tanh() .sqrt() .square() (one composite expression)."""
    autograd = mx.autograd
    rng = _rng(118)
    x = _leaf(mx, rng.uniform(0.3, 2.0, (2, 5)))
    v = _leaf(mx, _nonzero(rng, (2, 5)))
    with autograd.record():
        parts = [x.exp(), x.log(), v.abs(), v.relu(), v.sigmoid(), v.tanh(),
                 x.sqrt(), v.square()]
        y = parts[0]
        for p in parts[1:]:
            y = y + p
    y.backward(_head(mx, y.shape, 1118))
    out = {"y": y, "dx": x.grad, "dv": v.grad}
    for i, p in enumerate(parts):
        out[f"part{i}"] = p
    return _pack(out)


# --------------------------------------------------------------------------
# element-wise binary
# --------------------------------------------------------------------------
def prog_arith_same_shape(mx):
    rng = _rng(201)
    a = rng.uniform(-2, 2, (3, 4))
    b = _nonzero(rng, (3, 4), 0.5, 2.0)
    cases = [
        ("add", lambda x, y: x + y, a, b),
        ("sub", lambda x, y: x - y, a, b),
        ("mul", lambda x, y: x * y, a, b),
        ("div", lambda x, y: x / y, a, b),
    ]
    return _many_binary(mx, cases, 1201)


def prog_arith_broadcast_right(mx):
    """big op small: (2,3,4) with (4,) and with (3,1)."""
    rng = _rng(202)
    a = rng.uniform(-2, 2, (2, 3, 4))
    b = _nonzero(rng, (4,), 0.5, 2.0)
    c = _nonzero(rng, (3, 1), 0.5, 2.0)
    cases = []
    for name, fn in [("add", lambda x, y: x + y), ("sub", lambda x, y: x - y),
                     ("mul", lambda x, y: x * y), ("div", lambda x, y: x / y)]:
        cases.append((name + "_vec", fn, a, b))
        cases.append((name + "_col", fn, a, c))
    return _many_binary(mx, cases, 1202)


def prog_arith_broadcast_left(mx):
    """small op big: (4,) with (2,3,4) and (3,1) with (2,3,4)."""
    rng = _rng(203)
    a = rng.uniform(-2, 2, (4,))
    c = rng.uniform(-2, 2, (3, 1))
    big = _nonzero(rng, (2, 3, 4), 0.5, 2.0)
    cases = []
    for name, fn in [("add", lambda x, y: x + y), ("sub", lambda x, y: x - y),
                     ("mul", lambda x, y: x * y), ("div", lambda x, y: x / y)]:
        cases.append((name + "_vec", fn, a, big))
        cases.append((name + "_col", fn, c, big))
    return _many_binary(mx, cases, 1203)


def prog_arith_broadcast_both(mx):
    """(3,1) op (1,4) -> (3,4); (2,1,4) op (3,1) -> (2,3,4); (4,1) op (3,)."""
    rng = _rng(204)
    a = rng.uniform(-2, 2, (3, 1))
    b = _nonzero(rng, (1, 4), 0.5, 2.0)
    c = rng.uniform(-2, 2, (2, 1, 4))
    d = _nonzero(rng, (3, 1), 0.5, 2.0)
    e = rng.uniform(-2, 2, (4, 1))
    f = _nonzero(rng, (3,), 0.5, 2.0)
    cases = []
    for name, fn in [("add", lambda x, y: x + y), ("sub", lambda x, y: x - y),
                     ("mul", lambda x, y: x * y), ("div", lambda x, y: x / y)]:
        cases.append((name + "_ab", fn, a, b))
        cases.append((name + "_cd", fn, c, d))
        cases.append((name + "_ef", fn, e, f))
    return _many_binary(mx, cases, 1204)


def prog_scalar_right(mx):
    a = _rng(205).uniform(0.3, 2.0, (3, 4))
    cases = [
        ("add", lambda x: x + 2), ("sub", lambda x: x - 2.5),
        ("mul", lambda x: x * 3), ("div", lambda x: x / 4),
        ("pow3", lambda x: x ** 3), ("pow_half", lambda x: x ** 0.5),
        ("pow_neg", lambda x: x ** -1.5), ("pow_int2", lambda x: x ** 2),
    ]
    return _many_unary(mx, cases, a, 1205)


def prog_scalar_left(mx):
    a = _rng(206).uniform(0.3, 2.0, (3, 4))
    cases = [
        ("radd", lambda x: 2 + x), ("rsub", lambda x: 2.5 - x),
        ("rmul", lambda x: 3 * x), ("rdiv", lambda x: 1 / x),
        ("rdiv3", lambda x: 3.0 / x), ("rpow", lambda x: 2 ** x),
        ("rpow_e", lambda x: 2.5 ** x),
    ]
    return _many_unary(mx, cases, a, 1206)


def prog_power_arrays(mx):
    rng = _rng(207)
    base = rng.uniform(0.3, 2.0, (3, 4))
    expo = rng.uniform(-1.5, 2.5, (3, 4))
    expo_row = rng.uniform(-1.5, 2.5, (4,))
    nd = mx.nd
    cases = [
        ("op", lambda x, y: x ** y, base, expo),
        ("fn", nd.power, base, expo),
        ("fn_bcast", nd.power, base, expo_row),
        ("op_bcast", lambda x, y: x ** y, base, expo_row),
    ]
    return _many_binary(mx, cases, 1207)


def prog_power_scalar(mx):
    nd = mx.nd
    a = _rng(208).uniform(0.3, 2.0, (3, 4))
    cases = [("x_pow_s", lambda x: nd.power(x, 2.5)),
             ("s_pow_x", lambda x: nd.power(2.5, x))]
    return _many_unary(mx, cases, a, 1208)


def _two_apart(rng, shape):
    a = rng.uniform(-2, 2, shape)
    b = a + _nonzero(rng, shape, 0.1, 1.0)
    return a, b


def prog_maximum_minimum_arrays(mx):
    nd = mx.nd
    rng = _rng(209)
    a, b = _two_apart(rng, (3, 4))
    c = rng.uniform(-2, 2, (3, 1))
    big = _avoid(rng.uniform(-2, 2, (3, 4)), list(c.ravel()), 0.1)
    cases = [
        ("max", nd.maximum, a, b), ("min", nd.minimum, a, b),
        ("max_bcast", nd.maximum, big, c), ("min_bcast", nd.minimum, c, big),
    ]
    return _many_binary(mx, cases, 1209)


def prog_maximum_minimum_scalar(mx):
    nd = mx.nd
    a = _avoid(_rng(210).uniform(-2, 2, (3, 4)), [0.25], 0.1)
    cases = [
        ("max_xs", lambda x: nd.maximum(x, 0.25)),
        ("max_sx", lambda x: nd.maximum(0.25, x)),
        ("min_xs", lambda x: nd.minimum(x, 0.25)),
        ("min_sx", lambda x: nd.minimum(0.25, x)),
        ("max0", lambda x: nd.maximum(x - 0.25, 0)),
    ]
    return _many_unary(mx, cases, a, 1210)


def prog_broadcast_functions(mx):
    nd = mx.nd
    rng = _rng(211)
    a = rng.uniform(0.3, 2.0, (3, 1))
    b = _avoid(rng.uniform(0.3, 2.0, (1, 4)), list(a.ravel()), 0.05)
    cases = [
        ("add", nd.broadcast_add, a, b), ("sub", nd.broadcast_sub, a, b),
        ("mul", nd.broadcast_mul, a, b), ("div", nd.broadcast_div, a, b),
        ("power", nd.broadcast_power, a, b),
        ("maximum", nd.broadcast_maximum, a, b),
        ("minimum", nd.broadcast_minimum, a, b),
        ("plus", nd.broadcast_plus, a, b), ("minus", nd.broadcast_minus, a, b),
    ]
    return _many_binary(mx, cases, 1211)


def prog_elemwise_and_named_functions(mx):
    nd = mx.nd
    rng = _rng(212)
    a = rng.uniform(-2, 2, (2, 3))
    b = _nonzero(rng, (2, 3), 0.5, 2.0)
    row = _nonzero(rng, (3,), 0.5, 2.0)
    cases = [
        ("elemwise_add", nd.elemwise_add, a, b),
        ("elemwise_sub", nd.elemwise_sub, a, b),
        ("elemwise_mul", nd.elemwise_mul, a, b),
        ("elemwise_div", nd.elemwise_div, a, b),
        ("add", nd.add, a, row), ("subtract", nd.subtract, a, row),
        ("multiply", nd.multiply, a, row), ("divide", nd.divide, a, row),
    ]
    out = _many_binary(mx, cases, 1212)
    x = _f64(mx, a)
    out.update(_pack({
        "add_s": nd.add(x, 2), "add_rs": nd.add(2, x),
        "subtract_rs": nd.subtract(2, x), "multiply_s": nd.multiply(x, 3),
        "divide_rs": nd.divide(2, _f64(mx, b)),
    }))
    return out


def prog_comparisons_arrays(mx):
    nd = mx.nd
    rng = _rng(213)
    a = rng.randint(0, 4, (3, 4)).astype(np.float64)
    b = rng.randint(0, 4, (3, 4)).astype(np.float64)
    x, y = _f64(mx, a), _f64(mx, b)
    return _pack({
        "eq": x == y, "ne": x != y, "lt": x < y, "le": x <= y,
        "gt": x > y, "ge": x >= y, "eq_dtype": _dt(x == y),
        "equal": nd.equal(x, y), "not_equal": nd.not_equal(x, y),
        "greater": nd.greater(x, y), "greater_equal": nd.greater_equal(x, y),
        "lesser": nd.lesser(x, y), "lesser_equal": nd.lesser_equal(x, y),
    })


def prog_comparisons_scalar(mx):
    x = _f64(mx, _rng(214).randint(0, 4, (3, 4)).astype(np.float64))
    return _pack({
        "gt": x > 1.5, "lt": x < 2, "ge": x >= 2, "le": x <= 2, "eq": x == 2,
        "ne": x != 2, "r_lt": 1.5 < x, "r_gt": 2 > x, "r_eq": 2 == x,
        "mask_sum": (x > 1).sum(),
    })


def prog_comparisons_broadcast(mx):
    nd = mx.nd
    rng = _rng(215)
    x = _f64(mx, rng.randint(0, 4, (3, 1)).astype(np.float64))
    y = _f64(mx, rng.randint(0, 4, (4,)).astype(np.float64))
    return _pack({
        "eq": x == y, "lt": x < y, "ge": y >= x,
        "bgreater": nd.broadcast_greater(x, y.reshape((1, 4))),
        "bequal": nd.broadcast_equal(x, y.reshape((1, 4))),
        "blesser": nd.broadcast_lesser(x, y.reshape((1, 4))),
    })


def prog_comparison_mask_grad(mx):
    """Comparisons pass no gradient: (x > 0) * x and a dropout-style mask."""
    autograd = mx.autograd
    rng = _rng(216)
    x = _leaf(mx, _nonzero(rng, (3, 4)))
    u = _f64(mx, rng.uniform(0, 1, (3, 4)))
    with autograd.record():
        y = (x > 0) * x
        mask = u < 0.6
        z = mask * x / 0.6
        total = (y * 2 + z).sum()
    total.backward()
    return _pack({"y": y, "z": z, "mask": mask, "total": total, "dx": x.grad})


# --------------------------------------------------------------------------
# dot / batch_dot
# --------------------------------------------------------------------------
def prog_dot_1d_1d(mx):
    rng = _rng(301)
    out = _binary(mx, mx.nd.dot, rng.uniform(-1, 1, 5), rng.uniform(-1, 1, 5), 1301)
    out["z_shape"] = np.array(out["z"].shape)
    return out


def prog_dot_2d_1d_and_1d_2d(mx):
    rng = _rng(302)
    nd = mx.nd
    cases = [
        ("mv", nd.dot, rng.uniform(-1, 1, (3, 4)), rng.uniform(-1, 1, 4)),
        ("vm", nd.dot, rng.uniform(-1, 1, 3), rng.uniform(-1, 1, (3, 4))),
    ]
    return _many_binary(mx, cases, 1302)


def prog_dot_2d_2d(mx):
    rng = _rng(303)
    return _binary(mx, mx.nd.dot, rng.uniform(-1, 1, (3, 4)),
                   rng.uniform(-1, 1, (4, 5)), 1303)


def prog_dot_nd(mx):
    """N-D . 2-D contracts a's last axis with b's first; N-D . N-D too."""
    rng = _rng(304)
    nd = mx.nd
    cases = [
        ("3d_2d", nd.dot, rng.uniform(-1, 1, (2, 3, 4)), rng.uniform(-1, 1, (4, 5))),
        ("3d_1d", nd.dot, rng.uniform(-1, 1, (2, 3, 4)), rng.uniform(-1, 1, 4)),
        ("3d_3d", nd.dot, rng.uniform(-1, 1, (2, 3, 4)), rng.uniform(-1, 1, (4, 2, 2))),
    ]
    return _many_binary(mx, cases, 1304)


def prog_dot_transpose(mx):
    rng = _rng(305)
    nd = mx.nd
    a = rng.uniform(-1, 1, (4, 3))
    b = rng.uniform(-1, 1, (4, 5))
    d = rng.uniform(-1, 1, (5, 4))
    e = rng.uniform(-1, 1, (4, 2, 3))
    cases = [
        ("ta", lambda x, y: nd.dot(x, y, transpose_a=True), a, b),
        ("tb", lambda x, y: nd.dot(x, y, transpose_b=True), b.T.copy(), d),
        ("tab", lambda x, y: nd.dot(x, y, transpose_a=True, transpose_b=True), a, d),
        ("ta_3d", lambda x, y: nd.dot(x, y, transpose_a=True), e, b),
        ("tb_2d_3d", lambda x, y: nd.dot(x, y, transpose_b=True),
         rng.uniform(-1, 1, (2, 3)), rng.uniform(-1, 1, (5, 4, 3))),
    ]
    return _many_binary(mx, cases, 1305)


def prog_batch_dot(mx):
    rng = _rng(306)
    nd = mx.nd
    cases = [
        ("plain", nd.batch_dot, rng.uniform(-1, 1, (2, 3, 4)), rng.uniform(-1, 1, (2, 4, 5))),
        ("ta", lambda x, y: nd.batch_dot(x, y, transpose_a=True),
         rng.uniform(-1, 1, (2, 4, 3)), rng.uniform(-1, 1, (2, 4, 5))),
        ("tb", lambda x, y: nd.batch_dot(x, y, transpose_b=True),
         rng.uniform(-1, 1, (2, 3, 4)), rng.uniform(-1, 1, (2, 5, 4))),
        ("tab", lambda x, y: nd.batch_dot(x, y, transpose_a=True, transpose_b=True),
         rng.uniform(-1, 1, (2, 4, 3)), rng.uniform(-1, 1, (2, 5, 4))),
        ("4d", nd.batch_dot, rng.uniform(-1, 1, (2, 2, 3, 4)), rng.uniform(-1, 1, (2, 2, 4, 2))),
    ]
    return _many_binary(mx, cases, 1306)


# --------------------------------------------------------------------------
# reductions
# --------------------------------------------------------------------------
def _reduce_cases(name):
    return [
        ("full", lambda x: getattr(x, name)()),
        ("ax0", lambda x: getattr(x, name)(axis=0)),
        ("ax1", lambda x: getattr(x, name)(axis=1)),
        ("axneg", lambda x: getattr(x, name)(axis=-1)),
        ("axtuple", lambda x: getattr(x, name)(axis=(0, 2))),
        ("axnegtuple", lambda x: getattr(x, name)(axis=(-1, -3))),
        ("ax1_kd", lambda x: getattr(x, name)(axis=1, keepdims=True)),
        ("full_kd", lambda x: getattr(x, name)(keepdims=True)),
        ("tuple_kd", lambda x: getattr(x, name)(axis=(0, 1), keepdims=True)),
    ]


def prog_sum_axes(mx):
    a = _rng(401).uniform(-2, 2, (2, 3, 4))
    return _many_unary(mx, _reduce_cases("sum"), a, 1401)


def prog_mean_axes(mx):
    a = _rng(402).uniform(-2, 2, (2, 3, 4))
    return _many_unary(mx, _reduce_cases("mean"), a, 1402)


def prog_max_axes(mx):
    a = _distinct(_rng(403), (2, 3, 4), 0.1, -1.0)
    return _many_unary(mx, _reduce_cases("max"), a, 1403)


def prog_min_axes(mx):
    a = _distinct(_rng(404), (2, 3, 4), 0.1, -1.0)
    return _many_unary(mx, _reduce_cases("min"), a, 1404)


def prog_prod_axes(mx):
    a = _nonzero(_rng(405), (2, 3, 4), 0.5, 1.5)
    return _many_unary(mx, _reduce_cases("prod"), a, 1405)


def prog_norm(mx):
    nd = mx.nd
    a = _nonzero(_rng(406), (2, 3, 4), 0.2, 2.0)
    cases = [
        ("full", lambda x: x.norm()),
        ("ax1", lambda x: x.norm(axis=1)),
        ("axneg_kd", lambda x: x.norm(axis=-1, keepdims=True)),
        ("axtuple", lambda x: nd.norm(x, axis=(1, 2))),
        ("axall", lambda x: nd.norm(x, axis=(0, 1, 2))),
        ("full_kd", lambda x: x.norm(keepdims=True)),
        ("ord1_ax1", lambda x: nd.norm(x, ord=1, axis=1)),
        ("ord1_full", lambda x: nd.norm(x, ord=1)),
        ("ord2_ax0", lambda x: nd.norm(x, ord=2, axis=0)),
    ]
    return _many_unary(mx, cases, a, 1406)


def prog_reduce_functions(mx):
    """Function forms nd.sum/mean/max/min/prod with positional and keyword axis."""
    nd = mx.nd
    a = _distinct(_rng(407), (3, 4), 0.2, 0.3)
    cases = [
        ("sum_pos", lambda x: nd.sum(x, 1)), ("sum_kw", lambda x: nd.sum(x, axis=0)),
        ("sum_full", lambda x: nd.sum(x)),
        ("mean", lambda x: nd.mean(x, axis=1, keepdims=True)),
        ("mean_full", lambda x: nd.mean(x)),
        ("max", lambda x: nd.max(x, axis=1)), ("min", lambda x: nd.min(x, axis=0)),
        ("max_full", lambda x: nd.max(x)), ("prod", lambda x: nd.prod(x, axis=1)),
        ("sum_list_axis", lambda x: x.sum(axis=[0, 1])),
    ]
    return _many_unary(mx, cases, a, 1407)


def prog_argmax_argmin(mx):
    """Indices come back in the input's dtype (float64 here); ties -> first."""
    nd = mx.nd
    x = _f64(mx, _distinct(_rng(408), (2, 3, 4)))
    t = _f64(mx, [[2.0, 2.0, 1.0], [0.0, 3.0, 3.0], [1.0, 0.0, 0.0]])
    x32 = nd.array(_distinct(_rng(1408), (3, 4)))
    return _pack({
        "argmax_ax1": x.argmax(axis=1), "argmax_none": x.argmax(),
        "argmax_neg": nd.argmax(x, axis=-1),
        "argmax_kd": x.argmax(axis=0, keepdims=True),
        "argmin_ax2": x.argmin(axis=2), "argmin_none": nd.argmin(x),
        "argmin_kd": nd.argmin(x, axis=1, keepdims=True),
        "argmax_ties": t.argmax(axis=1), "argmin_ties": t.argmin(axis=1),
        "argmax_dtype": _dt(x.argmax(axis=1)),
        "argmax_f32": x32.argmax(axis=1), "argmax_f32_dtype": _dt(x32.argmax(axis=1)),
    })


def prog_argmax_under_record(mx):
    """argmax inside record carries no gradient; used as a constant factor."""
    autograd = mx.autograd
    x = _leaf(mx, _distinct(_rng(409), (3, 4), 0.3))
    with autograd.record():
        idx = x.argmax(axis=1)
        y = (idx * x[:, 0]).sum() + (x * x).sum()
    y.backward()
    return _pack({"idx": idx, "y": y, "dx": x.grad})


# --------------------------------------------------------------------------
# softmax family, pick, take, one_hot
# --------------------------------------------------------------------------
def prog_softmax(mx):
    nd = mx.nd
    a = _rng(501).uniform(-3, 3, (2, 3, 4))
    cases = [
        ("default", nd.softmax), ("ax0", lambda x: nd.softmax(x, axis=0)),
        ("ax1", lambda x: nd.softmax(x, axis=1)),
        ("method", lambda x: x.softmax(axis=-1)),
    ]
    return _many_unary(mx, cases, a, 1501)


def prog_log_softmax(mx):
    nd = mx.nd
    a = _rng(502).uniform(-3, 3, (2, 3, 4))
    cases = [
        ("default", nd.log_softmax), ("ax0", lambda x: nd.log_softmax(x, axis=0)),
        ("ax1", lambda x: nd.log_softmax(x, axis=1)),
        ("method", lambda x: x.log_softmax(axis=1)),
    ]
    out = _many_unary(mx, cases, a, 1502)
    big = _many_unary(mx, [("big", nd.log_softmax), ("big_sm", nd.softmax)],
                      [[1000.0, 0.0, -5.0], [-1000.0, 3.0, 2.0]], 2502)
    out.update({k: v for k, v in big.items() if k != "x"})
    return out


def prog_pick(mx):
    nd, autograd = mx.nd, mx.autograd
    rng = _rng(503)
    x = _leaf(mx, rng.uniform(-2, 2, (3, 4)))
    x3 = _leaf(mx, rng.uniform(-2, 2, (2, 3, 4)))
    idx = nd.array([0, 3, 1])
    idx0 = nd.array([2, 0, 1, 2])
    idx_i32 = nd.array([3, 3, 0], dtype="int32")
    idx3 = nd.array([[0, 1, 3], [2, 2, 0]])
    with autograd.record():
        p1 = nd.pick(x, idx)
        p2 = nd.pick(x, idx0, axis=0)
        p3 = nd.pick(x, idx, keepdims=True)
        p4 = x.pick(idx_i32)
        p5 = nd.pick(x3, idx3, axis=2)
        p6 = nd.pick(x, nd.array([[1], [0], [2]]))
        total = (p1 * 1 + p2.sum() * 2 + p3.reshape((-1,)) * 3 + p4 * 4).sum() \
            + (p5 * p5).sum() + (p6 * 5).sum()
    total.backward()
    return _pack({"p1": p1, "p2": p2, "p3": p3, "p4": p4, "p5": p5, "p6": p6,
                  "total": total, "dx": x.grad, "dx3": x3.grad})


def prog_take(mx):
    """take gathers along axis 0 by default; repeated indices add up grads."""
    nd, autograd = mx.nd, mx.autograd
    rng = _rng(504)
    x = _leaf(mx, rng.uniform(-2, 2, (4, 3)))
    with autograd.record():
        t1 = nd.take(x, nd.array([0, 0, 2, 3, 0]))
        t2 = nd.take(x, nd.array([2, 0, 2]), axis=1)
        t3 = nd.take(x, nd.array([[1, 1], [3, 0]]))
        t4 = x.take(nd.array([3, 1], dtype="int32"))
        t5 = nd.take(x, nd.array([1, 1]), axis=-1)
        total = (t1 * _head(mx, t1.shape, 1504)).sum() \
            + (t2 * _head(mx, t2.shape, 2504)).sum() + (t3 * t3).sum() \
            + (t4 * 3).sum() + t5.sum()
    total.backward()
    return _pack({"t1": t1, "t2": t2, "t3": t3, "t4": t4, "t5": t5,
                  "total": total, "dx": x.grad})


def prog_one_hot(mx):
    """one_hot is float32 by default whatever the index dtype."""
    nd = mx.nd
    i32 = nd.array([0, 2, 1, 2])
    i64 = nd.array([0, 2, 1], dtype="float64")
    oh1 = nd.one_hot(i32, 3)
    oh2 = nd.one_hot(i64, 4)
    oh3 = nd.one_hot(i32, 3, dtype="float64")
    oh4 = nd.one_hot(i32, 3, on_value=5, off_value=-1)
    oh5 = nd.one_hot(nd.array([[0, 2], [1, 1]]), 3)
    oh6 = i32.one_hot(3)
    return _pack({
        "oh1": oh1, "oh2": oh2, "oh3": oh3, "oh4": oh4, "oh5": oh5, "oh6": oh6,
        "oh1_dtype": _dt(oh1), "oh2_dtype": _dt(oh2), "oh3_dtype": _dt(oh3),
    })


# --------------------------------------------------------------------------
# joining, splitting, selecting
# --------------------------------------------------------------------------
def prog_concat(mx):
    nd, autograd = mx.nd, mx.autograd
    rng = _rng(601)
    a = _leaf(mx, rng.uniform(-1, 1, (2, 3)))
    b = _leaf(mx, rng.uniform(-1, 1, (2, 3)))
    c = _leaf(mx, rng.uniform(-1, 1, (1, 3)))
    v = _leaf(mx, rng.uniform(-1, 1, 2))
    w = _leaf(mx, rng.uniform(-1, 1, 3))
    with autograd.record():
        c0 = nd.concat(a, b, c, dim=0)
        c1 = nd.concat(a, b)
        cneg = nd.concat(a, b, dim=-1)
        cv = nd.concat(v, w, dim=0)
        total = (c0 * _head(mx, c0.shape, 1601)).sum() \
            + (c1 * _head(mx, c1.shape, 2601)).sum() + (cneg * cneg).sum() \
            + (cv * _head(mx, cv.shape, 3601)).sum()
    total.backward()
    return _pack({"c0": c0, "c1": c1, "cneg": cneg, "cv": cv, "da": a.grad,
                  "db": b.grad, "dc": c.grad, "dv": v.grad, "dw": w.grad})


def prog_stack(mx):
    nd, autograd = mx.nd, mx.autograd
    rng = _rng(602)
    a = _leaf(mx, rng.uniform(-1, 1, (2, 3)))
    b = _leaf(mx, rng.uniform(-1, 1, (2, 3)))
    v = _leaf(mx, rng.uniform(-1, 1, 2))
    w = _leaf(mx, rng.uniform(-1, 1, 2))
    with autograd.record():
        s0 = nd.stack(a, b)
        s1 = nd.stack(a, b, axis=1)
        sneg = nd.stack(a, b, axis=-1)
        sv = nd.stack(v, w, axis=1)
        total = (s0 * _head(mx, s0.shape, 1602)).sum() \
            + (s1 * _head(mx, s1.shape, 2602)).sum() \
            + (sneg * sneg).sum() + (sv * _head(mx, sv.shape, 3602)).sum()
    total.backward()
    return _pack({"s0": s0, "s1": s1, "sneg": sneg, "sv": sv, "da": a.grad,
                  "db": b.grad, "dv": v.grad, "dw": w.grad})


def prog_split(mx):
    """nd.split returns a list of num_outputs arrays (squeeze_axis drops the
    split axis when each part has size 1 along it)."""
    nd, autograd = mx.nd, mx.autograd
    x = _leaf(mx, _rng(603).uniform(-1, 1, (3, 4)))
    with autograd.record():
        p0 = nd.split(x, num_outputs=3, axis=0)
        p1 = nd.split(x, 2, axis=1)
        p2 = nd.split(x, num_outputs=3, axis=0, squeeze_axis=True)
        p3 = x.split(num_outputs=4, axis=-1)
        p4 = nd.split(x, 4)
        total = p0[0].sum() * 1 + (p0[2] * p0[2]).sum() + (p1[1] * 3).sum() \
            + (p2[1] * _head(mx, p2[1].shape, 1603)).sum() + (p3[3] * 4).sum() \
            + (p4[0] * p4[1]).sum()
    total.backward()
    out = {"dx": x.grad, "total": total,
           "lens": np.array([len(p0), len(p1), len(p2), len(p3), len(p4)])}
    for name, parts in [("p0", p0), ("p1", p1), ("p2", p2), ("p3", p3), ("p4", p4)]:
        for i, p in enumerate(parts):
            out[f"{name}_{i}"] = p
    return _pack(out)


def prog_split_single_output(mx):
    """num_outputs=1: MXNet returns a bare NDArray, not a list of one."""
    nd, autograd = mx.nd, mx.autograd
    x = _leaf(mx, _rng(604).uniform(-1, 1, (3, 4)))
    r = _leaf(mx, _rng(1604).uniform(-1, 1, (1, 3)))
    with autograd.record():
        s = nd.split(x, num_outputs=1, axis=0)
        s1 = nd.split(r, num_outputs=1, axis=0, squeeze_axis=True)
        total = (s * _head(mx, s.shape, 2604)).sum() + (s1 * s1).sum()
    total.backward()
    return _pack({
        "s": s, "s1": s1, "s_is_list": isinstance(s, (list, tuple)),
        "s1_is_list": isinstance(s1, (list, tuple)), "dx": x.grad, "dr": r.grad,
    })


def prog_where(mx):
    nd, autograd = mx.nd, mx.autograd
    rng = _rng(605)
    cond = _f64(mx, (rng.uniform(size=(3, 4)) < 0.5).astype(np.float64))
    x = _leaf(mx, rng.uniform(-2, 2, (3, 4)))
    y = _leaf(mx, rng.uniform(-2, 2, (3, 4)))
    with autograd.record():
        z = nd.where(cond, x, y)
        z2 = nd.where(x > y, x * 2, y * 3)
        total = (z * _head(mx, z.shape, 1605)).sum() + z2.sum()
    total.backward()
    return _pack({"z": z, "z2": z2, "dx": x.grad, "dy": y.grad})


def prog_clip(mx):
    nd = mx.nd
    a = _avoid(_rng(606).uniform(-2, 2, (4, 5)), [-0.5, 0.7], 0.1)
    cases = [
        ("fn", lambda x: nd.clip(x, -0.5, 0.7)),
        ("method", lambda x: x.clip(-0.5, 0.7)),
        ("kw", lambda x: nd.clip(x, a_min=-0.5, a_max=0.7)),
        ("inf", lambda x: nd.clip(x, -0.5, float("inf"))),
    ]
    return _many_unary(mx, cases, a, 1606)


# --------------------------------------------------------------------------
# shape manipulation
# --------------------------------------------------------------------------
def prog_reshape(mx):
    nd = mx.nd
    a = _rng(701).uniform(-1, 1, (2, 3, 4))
    cases = [
        ("tuple", lambda x: x.reshape((4, 6))),
        ("varargs", lambda x: x.reshape(4, -1)),
        ("kw", lambda x: x.reshape(shape=(6, -1))),
        ("flat", lambda x: x.reshape((-1,))),
        ("zero_m1", lambda x: x.reshape((0, -1))),
        ("m1_zero", lambda x: x.reshape((-1, 0))),
        ("zero_zero_m1", lambda x: x.reshape((0, 0, -1))),
        ("zero_2_m1", lambda x: x.reshape((0, 2, -1))),
        ("fn", lambda x: nd.reshape(x, shape=(0, -1))),
        ("fn_pos", lambda x: nd.reshape(x, (3, 8))),
    ]
    return _many_unary(mx, cases, a, 1701)


def prog_expand_dims_squeeze(mx):
    nd = mx.nd
    a = _rng(702).uniform(-1, 1, (2, 3))
    cases = [
        ("ax0", lambda x: nd.expand_dims(x, axis=0)),
        ("ax1", lambda x: nd.expand_dims(x, 1)),
        ("axneg", lambda x: nd.expand_dims(x, axis=-1)),
        ("method", lambda x: x.expand_dims(2)),
        ("squeeze", lambda x: nd.squeeze(nd.expand_dims(x, axis=1))),
        ("squeeze_ax", lambda x: nd.expand_dims(nd.expand_dims(x, 0), 0).squeeze(axis=0)),
    ]
    return _many_unary(mx, cases, a, 1702)


def prog_transpose(mx):
    nd = mx.nd
    a = _rng(703).uniform(-1, 1, (2, 3, 4))
    cases = [
        ("default", nd.transpose),
        ("axes", lambda x: nd.transpose(x, axes=(1, 0, 2))),
        ("method", lambda x: x.transpose((2, 0, 1))),
        ("T", lambda x: x.T),
        ("T2d", lambda x: x.reshape((6, 4)).T),
    ]
    out = _many_unary(mx, cases, a, 1703)
    v = _unary(mx, lambda x: x.T * 2, [1.0, 2.0, 3.0], 2703)
    out.update({"T1d_y": v["y"], "T1d_dx": v["dx"]})
    return out


def prog_flatten(mx):
    nd = mx.nd
    out = _many_unary(mx, [("fn", nd.flatten), ("method", lambda x: x.flatten()),
                           ("Flatten", nd.Flatten)],
                      _rng(704).uniform(-1, 1, (2, 3, 4)), 1704)
    v = _unary(mx, nd.flatten, _rng(1704).uniform(-1, 1, 3), 2704)
    out.update({"v1d_y": v["y"], "v1d_dx": v["dx"]})
    m = _unary(mx, lambda x: x.flatten(), _rng(2704).uniform(-1, 1, (2, 3)), 3704)
    out.update({"m2d_y": m["y"], "m2d_dx": m["dx"]})
    return out


def prog_swapaxes(mx):
    nd = mx.nd
    a = _rng(705).uniform(-1, 1, (2, 3, 4))
    cases = [
        ("fn", lambda x: nd.swapaxes(x, 0, 2)),
        ("kw", lambda x: nd.swapaxes(x, dim1=1, dim2=2)),
        ("method", lambda x: x.swapaxes(0, 1)),
    ]
    return _many_unary(mx, cases, a, 1705)


def prog_broadcast_to_axis_like(mx):
    nd = mx.nd
    a = _rng(706).uniform(-1, 1, (1, 3, 1))
    cases = [
        ("to", lambda x: nd.broadcast_to(x, shape=(2, 3, 4))),
        ("to_method", lambda x: x.broadcast_to((2, 3, 4))),
        ("axis", lambda x: nd.broadcast_axis(x, axis=0, size=5)),
        ("axis_tuple", lambda x: nd.broadcast_axis(x, axis=(0, 2), size=(2, 4))),
        ("axes", lambda x: nd.broadcast_axes(x, axis=(0, 2), size=(2, 4))),
        ("like", lambda x: nd.broadcast_like(x, nd.zeros((2, 3, 4), dtype="float64"))),
    ]
    return _many_unary(mx, cases, a, 1706)


def prog_tile(mx):
    nd = mx.nd
    a = _rng(707).uniform(-1, 1, (2, 3))
    cases = [
        ("r21", lambda x: nd.tile(x, reps=(2, 1))),
        ("r23", lambda x: nd.tile(x, reps=(2, 3))),
        ("r2", lambda x: nd.tile(x, reps=(2,))),
        ("r221", lambda x: nd.tile(x, reps=(2, 2, 1))),
        ("method", lambda x: x.tile((1, 2))),
    ]
    return _many_unary(mx, cases, a, 1707)


def prog_repeat(mx):
    nd = mx.nd
    a = _rng(708).uniform(-1, 1, (2, 3))
    cases = [
        ("ax1", lambda x: nd.repeat(x, repeats=2, axis=1)),
        ("ax0", lambda x: nd.repeat(x, repeats=3, axis=0)),
        ("axneg", lambda x: nd.repeat(x, repeats=2, axis=-1)),
        ("flat", lambda x: nd.repeat(x, repeats=2)),
        ("method", lambda x: x.repeat(repeats=2, axis=0)),
    ]
    return _many_unary(mx, cases, a, 1708)


# --------------------------------------------------------------------------
# indexing
# --------------------------------------------------------------------------
def prog_basic_slicing(mx):
    a = _rng(801).uniform(-1, 1, (4, 5))
    cases = [
        ("rows_step", lambda x: x[1:3, ::2]),
        ("rev", lambda x: x[::-1]),
        ("col", lambda x: x[:, 1]),
        ("ellipsis", lambda x: x[..., 1]),
        ("newaxis", lambda x: x[None]),
        ("newaxis_mid", lambda x: x[:, None]),
        ("rows", lambda x: x[1:3]),
        ("tail", lambda x: x[-2:]),
        ("cols_step", lambda x: x[:, 1:4:2]),
        ("clipped", lambda x: x[2:100]),
        ("slice_obj", lambda x: x[slice(0, 2), :]),
        ("col_keep", lambda x: x[:, 1:2]),
        ("neg_step_col", lambda x: x[::-1, 3]),
    ]
    return _many_unary(mx, cases, a, 1801)


def prog_integer_indexing(mx):
    """Integer indexing never produces 0-d: x[1, 2] has shape (1,)."""
    a = _rng(802).uniform(-1, 1, (3, 4))
    cases = [
        ("row", lambda x: x[1]), ("last", lambda x: x[-1]),
        ("elem", lambda x: x[1, 2]), ("elem_neg", lambda x: x[-1, -1]),
        ("chain", lambda x: x[1][2]), ("row_slice", lambda x: x[1, :]),
        ("np_int", lambda x: x[np.int64(2)]), ("tuple1", lambda x: x[(1,)]),
        ("row_then_slice", lambda x: x[1][1:3]),
    ]
    out = _many_unary(mx, cases, a, 1802)
    v = _unary(mx, lambda x: x[2], _rng(1802).uniform(-1, 1, 5), 2802)
    out.update({"v_y": v["y"], "v_dx": v["dx"]})
    t = _many_unary(mx, [("t_mix", lambda x: x[1, :, 2]), ("t_two", lambda x: x[1, 2])],
                    _rng(2802).uniform(-1, 1, (2, 3, 4)), 3802)
    out.update({k: v for k, v in t.items() if k != "x"})
    return out


def prog_fancy_indexing(mx):
    nd = mx.nd
    a = _rng(803).uniform(-1, 1, (4, 3))
    cases = [
        ("list", lambda x: x[[0, 2]]),
        ("nd_rep", lambda x: x[nd.array([2, 0, 2])]),
        ("np", lambda x: x[np.array([1, 0])]),
        ("pair", lambda x: x[[0, 2, 0], [1, 0, 1]]),
        ("nd_pair", lambda x: x[nd.array([1, 3]), nd.array([2, 2])]),
        ("slice_list", lambda x: x[:, [0, 2]]),
        ("list_slice", lambda x: x[[3, 1], 1:]),
    ]
    return _many_unary(mx, cases, a, 1803)


def prog_iteration_len(mx):
    """Iterating yields sub-arrays along axis 0; a 1-D array yields (1,)."""
    autograd = mx.autograd
    x = _leaf(mx, _rng(804).uniform(-1, 1, (3, 4)))
    v = _leaf(mx, _rng(1804).uniform(-1, 1, 3))
    with autograd.record():
        acc = None
        for i, row in enumerate(x):
            term = row * (i + 1)
            acc = term if acc is None else acc + term
        acc_v = None
        for i, e in enumerate(v):
            term = e * e * (i + 1)
            acc_v = term if acc_v is None else acc_v + term
        total = acc.sum() + acc_v.sum()
    total.backward()
    return _pack({
        "acc": acc, "acc_v": acc_v, "len_x": len(x), "len_v": len(v),
        "row_shapes": np.array([r.shape for r in x]),
        "elem_shapes": np.array([e.shape for e in v]),
        "dx": x.grad, "dv": v.grad,
    })


def prog_setitem_values(mx):
    """In-place writes outside record: every documented form (rows I12-I16)."""
    nd = mx.nd
    X = _f64(mx, np.arange(12.0).reshape(3, 4))
    X[1, 2] = 100.0
    X[0:1, :] = 12
    X[:, 1] = _f64(mx, [1, 2, 3])
    X[2] = _f64(mx, [[9, 8, 7, 6]])
    x = nd.zeros(6, dtype="float64")
    x[[0, 2]] = 7
    x[nd.array([1, 3])] = _f64(mx, [5, 6])
    x[4:100] = np.float64(2.5)
    y = nd.zeros((2, 3), dtype="float64")
    y[:] = _f64(mx, [1, 2, 3])
    y[1, 1:] = [7, 8]
    z = nd.zeros((2, 3), dtype="float64")
    z[:, ::2] = np.array([[1.0, 2.0], [3.0, 4.0]])
    w = nd.zeros(3, dtype="float64")
    w[:] = 5
    w2 = nd.zeros(3, dtype="float64")
    w2[:] = _f64(mx, [7])
    w3 = nd.zeros(3, dtype="float64")
    w3[:] = [1, 2, 3]
    c = nd.zeros(3, dtype="float64")
    a = _f64(mx, [1, 2, 3])
    b = _f64(mx, [10, 20, 30])
    for i in range(3):
        c[i] = a[i] + b[i]
    v = _f64(mx, np.arange(4.0))
    v[1:3] = 12
    return _pack({"X": X, "x": x, "y": y, "z": z, "w": w, "w2": w2, "w3": w3,
                  "c": c, "v": v})


def prog_inplace_ops(mx):
    """+= -= *= /= keep the object (id) and write through aliases."""
    x = _f64(mx, [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    alias = x
    i0 = id(x)
    x += _f64(mx, [1.0, 1.0, 1.0])
    x -= 1
    x *= 2
    x /= _f64(mx, [[2.0], [4.0]])
    same_after = id(x) == i0
    z = _f64(mx, [0.5, 1.5, 2.5])
    z *= z >= 1
    y = _f64(mx, [1.0, 2.0])
    y = y + _f64(mx, [1.0, 1.0])
    return _pack({"x": x, "alias": alias, "same_id": same_after,
                  "alias_is_x": alias is x, "z": z, "y": y})


def prog_views_contiguous(mx):
    """reshape, row slices and integer indices share storage with the base;
    .T, fancy indexing, copy() and astype() do not; detach() shares."""
    nd = mx.nd
    base = np.arange(12.0).reshape(3, 4)
    out = {}
    a = _f64(mx, base)
    r = a.reshape((4, 3))
    r[0] = -1.0
    out["reshape_view"] = a
    a = _f64(mx, base)
    s = a[1:3]
    s[:] = -2.0
    out["rows_view"] = a
    a = _f64(mx, base)
    s = a[1]
    s[:] = -3.0
    out["int_view"] = a
    a = _f64(mx, base)
    s = a[1][1:3]
    s[:] = -4.0
    out["chain_view"] = a
    a = _f64(mx, base)
    s = a[2, 3]
    s[:] = -5.0
    out["elem_view"] = a
    a = _f64(mx, base)
    d = a.detach()
    d[:] = -6.0
    out["detach_view"] = a
    a = _f64(mx, base)
    t = a.T
    t[:] = 99.0
    f = a[[0, 1]]
    f[:] = 98.0
    c = a.copy()
    c[:] = 97.0
    k = a.astype("float64")
    k[:] = 96.0
    n = nd.array(a)
    n[:] = 95.0
    out["copies_untouched"] = a
    return _pack(out)


def prog_out_and_copyto(mx):
    nd = mx.nd
    x = _f64(mx, [1.0, 2.0, 3.0])
    y = _f64(mx, [4.0, 5.0, 6.0])
    z = nd.zeros(3, dtype="float64")
    r1 = nd.elemwise_add(x, y, out=z)
    v1 = z.asnumpy()
    r2 = nd.exp(x, out=z)
    v2 = z.asnumpy()
    r3 = nd.broadcast_mul(x, y, out=z)
    v3 = z.asnumpy()
    t = nd.zeros(3, dtype="float64")
    r4 = x.copyto(t)
    return _pack({"v1": v1, "v2": v2, "v3": v3, "t": t,
                  "same": np.array([r1 is z, r2 is z, r3 is z, r4 is t])})


# --------------------------------------------------------------------------
# autograd basics
# --------------------------------------------------------------------------
def prog_autograd_chapter_float32(mx):
    """The autograd chapter: x = arange(4).reshape((4,1)); y = 2 x^T x."""
    nd, autograd = mx.nd, mx.autograd
    x = nd.arange(4).reshape((4, 1))
    x.attach_grad()
    with autograd.record():
        y = 2 * nd.dot(x.T, x)
    y.backward()
    return _pack({"y": y, "grad": x.grad, "check": x.grad - 4 * x,
                  "grad_dtype": _dt(x.grad)})


def _control_f(a):
    b = a * 2
    while b.norm().asscalar() < 1000:
        b = b * 2
    if b.sum().asscalar() > 0:
        c = b
    else:
        c = 100 * b
    return c


def prog_control_flow(mx):
    """The autograd chapter f(a) with while/if on asscalar(); both branches."""
    autograd = mx.autograd
    out = {}
    for name, a_np in [("pos", _rng(901).normal(size=1) + 2.0),
                       ("neg", -_rng(1901).uniform(0.1, 1.0, size=3)),
                       ("vec", _rng(2901).uniform(0.1, 1.0, size=4))]:
        a = _leaf(mx, a_np)
        with autograd.record():
            c = _control_f(a)
        c.backward()
        out[name + "_c"] = c
        out[name + "_grad"] = a.grad
        out[name + "_ratio"] = c / a
    return _pack(out)


def prog_head_gradient(mx):
    autograd = mx.autograd
    rng = _rng(902)
    x = _leaf(mx, rng.uniform(0.5, 2, (2, 3)))
    h = _f64(mx, rng.uniform(-1, 1, (2, 3)))
    with autograd.record():
        y = x ** 3
    y.backward(h)
    g_pos = x.grad.asnumpy()
    with autograd.record():
        y = x ** 3
    y.backward(out_grad=h * 2)
    g_kw = x.grad.asnumpy()
    v = _leaf(mx, [1.0, 2.0, 3.0])
    with autograd.record():
        w = v * v
    w.backward(out_grad=_f64(mx, [1.0, 0.1, 0.01]))
    s = _leaf(mx, [1.0, 2.0])
    with autograd.record():
        t = (s * s).sum()
    t.backward(_f64(mx, [3.0]))
    return _pack({"y": y, "g_pos": g_pos, "g_kw": g_kw, "v_grad": v.grad,
                  "s_grad": s.grad})


def prog_nonscalar_head(mx):
    """Non-scalar heads use a head gradient of ones (= gradient of sum)."""
    nd, autograd = mx.nd, mx.autograd
    rng = _rng(903)
    x = _leaf(mx, [1.0, 2.0, 3.0])
    with autograd.record():
        y = x * x
    y.backward()
    X = _f64(mx, rng.uniform(-1, 1, (6, 2)))
    w = _leaf(mx, rng.uniform(-1, 1, (2, 1)))
    b = _leaf(mx, [0.1])
    label = _f64(mx, rng.uniform(-1, 1, 6))
    with autograd.record():
        yhat = nd.dot(X, w) + b
        loss = (yhat - label.reshape(yhat.shape)) ** 2 / 2
    loss.backward()
    return _pack({"y": y, "dx": x.grad, "loss": loss, "dw": w.grad,
                  "db": b.grad})


def prog_grad_req_add(mx):
    """'add' accumulates over rounds until the user zeroes x.grad[:]."""
    autograd = mx.autograd
    x = _f64(mx, [0.0, 1.0, 2.0, 3.0])
    x.attach_grad(grad_req="add")
    snaps = []
    for _ in range(3):
        with autograd.record():
            y = (x * x).sum()
        y.backward()
        snaps.append(x.grad.asnumpy())
    x.grad[:] = 0
    with autograd.record():
        y = (x * x * x).sum()
    y.backward()
    snaps.append(x.grad.asnumpy())
    return _pack({f"round{i}": s for i, s in enumerate(snaps)})


def prog_grad_req_write_rounds(mx):
    """'write' overwrites the grad on each new backward."""
    autograd = mx.autograd
    x = _leaf(mx, [0.5, 1.0, 2.0])
    with autograd.record():
        y = (x * x).sum()
    y.backward()
    g1 = x.grad.asnumpy()
    with autograd.record():
        y = (x.exp()).sum()
    y.backward()
    return _pack({"g1": g1, "g2": x.grad})


def prog_retain_graph(mx):
    """retain_graph=True: a second backward with 'write' gives the same
    grad; with 'add' it doubles."""
    autograd = mx.autograd
    x = _leaf(mx, [1.0, 2.0])
    with autograd.record():
        y = (x * x * x).sum()
    y.backward(retain_graph=True)
    g1 = x.grad.asnumpy()
    y.backward()
    g2 = x.grad.asnumpy()
    z = _f64(mx, [1.0, 2.0])
    z.attach_grad(grad_req="add")
    with autograd.record():
        w = (z * z * z).sum()
    w.backward(retain_graph=True)
    a1 = z.grad.asnumpy()
    w.backward()
    return _pack({"write1": g1, "write2": g2, "add1": a1, "add2": z.grad})


def prog_variable_used_twice(mx):
    """Contributions from several uses add up within one backward."""
    nd, autograd = mx.nd, mx.autograd
    x = _leaf(mx, [2.0, -1.0, 0.5])
    W = _leaf(mx, _rng(904).uniform(-1, 1, (3, 3)))
    with autograd.record():
        y = x * x * x
        h = nd.dot(W, x)
        o = nd.dot(W, h.tanh())
        total = y.sum() + o.sum()
    total.backward()
    return _pack({"y": y, "o": o, "dx": x.grad, "dW": W.grad})


def prog_constant_not_attached(mx):
    """Arrays without attach_grad are constants; their .grad stays None."""
    autograd = mx.autograd
    x = _leaf(mx, [1.0, 2.0, 3.0])
    w = _f64(mx, [4.0, 5.0, 6.0])
    with autograd.record():
        y = (x * w).sum()
    y.backward()
    return _pack({"dx": x.grad, "w_grad_is_none": w.grad is None})


def prog_unused_attached(mx):
    """backward() leaves an attached but unused array's grad at zeros."""
    autograd = mx.autograd
    x = _leaf(mx, [1.0, 2.0])
    u = _leaf(mx, [5.0, 6.0])
    with autograd.record():
        y = (x * x).sum()
    y.backward()
    return _pack({"dx": x.grad, "du": u.grad})


def prog_head_is_leaf(mx):
    autograd = mx.autograd
    x = _leaf(mx, [1.0, 2.0, 3.0])
    with autograd.record():
        y = x
    y.backward()
    g1 = x.grad.asnumpy()
    z = _leaf(mx, [[1.0, 2.0], [3.0, 4.0]])
    with autograd.record():
        w = z.copy()
    w.backward()
    return _pack({"g1": g1, "g2": z.grad})


def prog_reattach_resets(mx):
    autograd = mx.autograd
    x = _leaf(mx, [1.0, 2.0])
    with autograd.record():
        y = (x * x).sum()
    y.backward()
    g = x.grad.asnumpy()
    x.attach_grad()
    return _pack({"before": g, "after": x.grad})


def prog_astype_grad_float32(mx):
    """A float32 leaf cast to float64 inside record: its grad stays float32."""
    nd, autograd = mx.nd, mx.autograd
    x = nd.array([1.0, 2.0])
    x.attach_grad()
    with autograd.record():
        y = (x.astype("float64") * _f64(mx, [3.0, 4.0])).sum()
    y.backward()
    return _pack({"y": y, "y_dtype": _dt(y), "dx": x.grad,
                  "dx_dtype": _dt(x.grad)})


def prog_recording_state(mx):
    autograd = mx.autograd
    rows = [(autograd.is_recording(), autograd.is_training())]
    with autograd.record():
        rows.append((autograd.is_recording(), autograd.is_training()))
        with autograd.pause():
            rows.append((autograd.is_recording(), autograd.is_training()))
        with autograd.pause(train_mode=True):
            rows.append((autograd.is_recording(), autograd.is_training()))
        with autograd.predict_mode():
            rows.append((autograd.is_recording(), autograd.is_training()))
        with autograd.record(train_mode=False):
            rows.append((autograd.is_recording(), autograd.is_training()))
        rows.append((autograd.is_recording(), autograd.is_training()))
    with autograd.record(train_mode=False):
        rows.append((autograd.is_recording(), autograd.is_training()))
    with autograd.train_mode():
        rows.append((autograd.is_recording(), autograd.is_training()))
    rows.append((autograd.is_recording(), autograd.is_training()))
    prev = [autograd.set_recording(True), autograd.set_recording(False),
            autograd.set_training(True), autograd.set_training(False)]
    return _pack({"states": np.array(rows, dtype=bool),
                  "set_prev": np.array(prev, dtype=bool)})


def prog_pause_constant(mx):
    """Ops under autograd.pause() inside record are constants."""
    autograd = mx.autograd
    x = _leaf(mx, [1.0, 2.0, 0.5])
    with autograd.record():
        y = x * x
        with autograd.pause():
            w = x * 3
        z = (y * w).sum()
    z.backward()
    return _pack({"z": z, "dx": x.grad})


def prog_autograd_grad_single(mx):
    """autograd.grad(y, x) returns a list; x.grad is left untouched."""
    autograd = mx.autograd
    x = _leaf(mx, [1.0, 2.0, 3.0])
    with autograd.record():
        y = x * x
    g = autograd.grad(y, x)
    with autograd.record():
        y2 = x.sin()
    g2 = autograd.grad(y2, [x], head_grads=_f64(mx, [1.0, 0.0, 2.0]))
    return _pack({"is_list": isinstance(g, list), "n": len(g), "g": g[0],
                  "x_grad": x.grad, "g2": g2[0]})


def prog_autograd_grad_list(mx):
    autograd = mx.autograd
    x = _leaf(mx, [1.0, 2.0, 3.0])
    z = _leaf(mx, [4.0, 5.0, 6.0])
    with autograd.record():
        y1 = x * z
        y2 = (x * x).sum()
    g = autograd.grad([y1, y2], [x, z],
                      head_grads=[_f64(mx, [1.0, 0.0, 2.0]), _f64(mx, [3.0])],
                      retain_graph=True)
    g_none = autograd.grad([y1, y2], [x, z],
                           head_grads=[_f64(mx, [1.0, 0.0, 2.0]), None],
                           retain_graph=True)
    g_sum = autograd.grad([y1, y2], [x])
    return _pack({"gx": g[0], "gz": g[1], "gx_none": g_none[0],
                  "gz_none": g_none[1], "gx_sum": g_sum[0], "n": len(g_sum)})


def prog_autograd_backward_list(mx):
    autograd = mx.autograd
    x = _leaf(mx, [0.5, 1.0, 1.5])
    with autograd.record():
        y1 = x * x
        y2 = x.exp()
    autograd.backward([y1, y2], head_grads=[_f64(mx, [1.0, 1.0, 1.0]),
                                            _f64(mx, [2.0, 2.0, 2.0])])
    g1 = x.grad.asnumpy()
    with autograd.record():
        y3 = x.log()
        y4 = (x * 3).sum()
    autograd.backward([y3, y4])
    return _pack({"g1": g1, "g2": x.grad})


def _second_order(mx, fn, a):
    autograd = mx.autograd
    x = _leaf(mx, a)
    with autograd.record():
        y = fn(x)
        dy = autograd.grad(y, [x], create_graph=True, retain_graph=True)[0]
    dy.backward()
    return _pack({"y": y, "dy": dy, "d2y": x.grad})


def prog_second_order_sin(mx):
    return _second_order(mx, mx.nd.sin, _rng(1001).uniform(-3, 3, 5))


def prog_second_order_cos(mx):
    return _second_order(mx, mx.nd.cos, _rng(1002).uniform(-3, 3, 5))


def prog_second_order_exp(mx):
    return _second_order(mx, mx.nd.exp, _rng(1003).uniform(-2, 2, 5))


def prog_second_order_log(mx):
    return _second_order(mx, mx.nd.log, _rng(1004).uniform(0.3, 3, 5))


def prog_second_order_sigmoid(mx):
    return _second_order(mx, mx.nd.sigmoid, _rng(1005).uniform(-3, 3, 5))


def prog_second_order_tanh(mx):
    return _second_order(mx, mx.nd.tanh, _rng(1006).uniform(-2, 2, 5))


def prog_second_order_relu(mx):
    return _second_order(mx, mx.nd.relu, _nonzero(_rng(1007), 5))


def prog_second_order_composite(mx):
    """sin(exp(x)) and tanh(sigmoid(x)); head_grads in the first grad."""
    nd, autograd = mx.nd, mx.autograd
    out = {}
    a = _rng(1008).uniform(-1, 1, 4)
    out.update({"se_" + k: v for k, v in
                _second_order(mx, lambda x: nd.sin(nd.exp(x)), a).items()})
    out.update({"ts_" + k: v for k, v in
                _second_order(mx, lambda x: nd.tanh(nd.sigmoid(x)), a).items()})
    x = _leaf(mx, a)
    with autograd.record():
        y = nd.cos(x)
        dy = autograd.grad(y, [x], head_grads=_f64(mx, [1.0, 2.0, 3.0, 4.0]),
                           create_graph=True, retain_graph=True)[0]
    dy.backward()
    out.update({"hg_dy": dy.asnumpy(), "hg_d2y": x.grad.asnumpy()})
    return out


def prog_function_sigmoid(mx):
    """autograd.Function with save_for_backward (MXNet docs sigmoid)."""
    nd, autograd = mx.nd, mx.autograd

    class Sigmoid(autograd.Function):
        def forward(self, x):
            y = 1 / (1 + nd.exp(-x))
            self.save_for_backward(y)
            return y

        def backward(self, dy):
            (y,) = self.saved_tensors
            return dy * y * (1 - y)

    x = _leaf(mx, [0.0, 1.0, -2.0, 0.5])
    with autograd.record():
        m = Sigmoid()(x)
        z = (m * _f64(mx, [1.0, 2.0, 3.0, 4.0])).sum()
    z.backward()
    plain = Sigmoid()(_f64(mx, [0.0, 2.0]))
    return _pack({"m": m, "dx": x.grad, "plain": plain})


def prog_function_two_inputs(mx):
    autograd = mx.autograd

    class Mul(autograd.Function):
        def forward(self, a, b):
            self.save_for_backward(a, b)
            return a * b

        def backward(self, dy):
            a, b = self.saved_tensors
            return dy * b, dy * a

    a = _leaf(mx, [1.0, 2.0, -1.5])
    b = _leaf(mx, [3.0, 4.0, 0.5])
    with autograd.record():
        c = Mul()(a, b)
        z = (c * c).sum()
    z.backward()
    return _pack({"c": c, "da": a.grad, "db": b.grad})


def prog_function_two_outputs(mx):
    autograd = mx.autograd

    class Two(autograd.Function):
        def forward(self, a):
            self.save_for_backward(a)
            return a * 2, a.exp()

        def backward(self, d1, d2):
            (a,) = self.saved_tensors
            return d1 * 2 + d2 * a.exp()

    a = _leaf(mx, [0.5, 1.0, -1.0])
    with autograd.record():
        u, v = Two()(a)
        z = (u * v).sum()
    z.backward()
    return _pack({"u": u, "v": v, "z": z, "da": a.grad})


def prog_detach(mx):
    autograd = mx.autograd
    x = _leaf(mx, [2.0, 1.0, 0.5])
    with autograd.record():
        y = x * x
        z = (y.detach() * x).sum()
        u = (y * x).sum()
    z.backward()
    gz = x.grad.asnumpy()
    u.backward()
    return _pack({"z": z, "gz": gz, "gu": x.grad})


def prog_mark_variables(mx):
    autograd, nd = mx.autograd, mx.nd
    a = _f64(mx, [1.0, 2.0])
    ga = nd.zeros(2, dtype="float64")
    autograd.mark_variables([a], [ga])
    with autograd.record():
        y = (a * a).sum()
    y.backward()
    b = _f64(mx, [1.0, 2.0])
    gb = nd.ones(2, dtype="float64")
    autograd.mark_variables([b], [gb], grad_reqs="add")
    with autograd.record():
        y = (b * b * 3).sum()
    y.backward()
    return _pack({"ga": ga, "a_grad": a.grad, "gb": gb, "b_grad": b.grad})


def prog_attach_grad_intermediate(mx):
    """attach_grad on an intermediate inside record makes it a new leaf:
    its grad is computed, upstream leaves get nothing (row A19)."""
    autograd = mx.autograd
    x = _leaf(mx, [1.0, 2.0, 3.0])
    with autograd.record():
        y = x * 2
        y.attach_grad()
        z = (y * y).sum()
    z.backward()
    return _pack({"y_grad": y.grad, "x_grad": x.grad})


def prog_setitem_in_record(mx):
    """Writing a recorded value into a pre-existing array with c[:] = ...
    inside record is recorded as a copy (row M2)."""
    nd, autograd = mx.nd, mx.autograd
    x = _leaf(mx, [1.0, 2.0, 3.0])
    c = nd.zeros(3, dtype="float64")
    with autograd.record():
        c[:] = x * 2
        y = (c * x).sum()
    y.backward()
    g1 = x.grad.asnumpy()
    c1 = c.asnumpy()
    d = nd.ones((2, 3), dtype="float64")
    with autograd.record():
        d[:] = x * x
        y = (d * _f64(mx, [[1.0], [2.0]])).sum()
    y.backward()
    return _pack({"c": c1, "g1": g1, "d": d, "g2": x.grad})


# --------------------------------------------------------------------------
# small models (d2l chapters)
# --------------------------------------------------------------------------
def prog_mlp_weight_decay(mx):
    """d2l 3.14: J = L + lambda/2 (||W1||^2 + ||W2||^2) with
    L = mean softmax cross-entropy (log_softmax + pick)."""
    nd, autograd = mx.nd, mx.autograd
    rng = _rng(1101)
    X = _f64(mx, rng.uniform(-1, 1, (5, 4)))
    y = nd.array([0, 2, 1, 2, 0])
    W1 = _leaf(mx, rng.normal(0, 0.5, (4, 6)))
    b1 = _leaf(mx, rng.normal(0, 0.1, 6))
    W2 = _leaf(mx, rng.normal(0, 0.5, (6, 3)))
    b2 = _leaf(mx, rng.normal(0, 0.1, 3))
    lam = 0.1
    with autograd.record():
        H = nd.relu(nd.dot(X, W1) + b1)
        O = nd.dot(H, W2) + b2
        L = -nd.pick(nd.log_softmax(O), y).mean()
        s = (W1 ** 2).sum() + W2.norm() ** 2
        J = L + lam / 2 * s
    J.backward()
    return _pack({"H": H, "O": O, "L": L, "J": J, "dW1": W1.grad,
                  "db1": b1.grad, "dW2": W2.grad, "db2": b2.grad})


def prog_mlp_scratch_maximum(mx):
    """d2l mlp-scratch: relu as nd.maximum(X, 0), softmax CE, then one sgd
    update written with param[:] = ... outside record."""
    nd, autograd = mx.nd, mx.autograd
    rng = _rng(1102)
    X = _f64(mx, rng.uniform(-1, 1, (4, 1, 2, 3)))
    y = nd.array([1, 0, 2, 1], dtype="int32")
    W1 = _leaf(mx, rng.normal(0, 0.5, (6, 5)))
    b1 = _leaf(mx, rng.normal(0, 0.1, 5))
    W2 = _leaf(mx, rng.normal(0, 0.5, (5, 3)))
    b2 = _leaf(mx, np.zeros(3))
    params = [W1, b1, W2, b2]
    with autograd.record():
        H = nd.maximum(nd.dot(X.reshape((-1, 6)), W1) + b1, 0)
        O = nd.dot(H, W2) + b2
        exp = O.exp()
        p = exp / exp.sum(axis=1, keepdims=True)
        loss = -nd.pick(p, y).log()
        total = loss.sum()
    total.backward()
    out = {"loss": loss, "p": p}
    for i, prm in enumerate(params):
        out[f"g{i}"] = prm.grad.asnumpy()
        prm[:] = prm - 0.5 * prm.grad / 4
        out[f"p{i}"] = prm
    return _pack(out)


def prog_softmax_regression_scratch(mx):
    """d2l softmax-regression-scratch: softmax by exp/sum keepdims,
    cross_entropy = -pick(y_hat, y).log(), accuracy via argmax ==."""
    nd, autograd = mx.nd, mx.autograd
    rng = _rng(1103)
    X = _f64(mx, rng.uniform(0, 1, (6, 1, 2, 2)))
    y = nd.array([0, 2, 1, 2, 2, 0], dtype="int32")
    W = _leaf(mx, rng.normal(0, 0.3, (4, 3)))
    b = _leaf(mx, np.zeros(3))

    def softmax(Z):
        Z_exp = Z.exp()
        partition = Z_exp.sum(axis=1, keepdims=True)
        return Z_exp / partition

    with autograd.record():
        y_hat = softmax(nd.dot(X.reshape((-1, 4)), W) + b)
        loss = -nd.pick(y_hat, y).log()
        total = loss.sum()
    total.backward()
    acc = (y_hat.argmax(axis=1) == y.astype("float64")).mean()
    return _pack({"y_hat": y_hat, "loss": loss, "dW": W.grad, "db": b.grad,
                  "acc": acc, "acc_scalar": acc.asscalar()})


def prog_linreg_scratch_float32(mx):
    """d2l linear-regression-scratch in float32 (the book's dtype): two
    epochs of minibatch sgd with param[:] = param - lr * grad / bs."""
    nd, autograd = mx.nd, mx.autograd
    rng = _rng(1104)
    features = nd.array(rng.normal(0, 1, (12, 2)))
    true_w = nd.array([[2.0], [-3.4]])
    labels = nd.dot(features, true_w).reshape((-1,)) + 4.2
    labels += nd.array(rng.normal(0, 0.01, 12))
    w = nd.array(rng.normal(0, 0.01, (2, 1)))
    b = nd.zeros(shape=(1,))
    w.attach_grad()
    b.attach_grad()
    lr, bs = 0.1, 4
    order = rng.permutation(12)
    epoch_loss = []
    for _ in range(2):
        for i in range(0, 12, bs):
            j = nd.array(order[i:i + bs])
            Xb, yb = features.take(j), labels.take(j)
            with autograd.record():
                yh = nd.dot(Xb, w) + b
                loss = (yh - yb.reshape(yh.shape)) ** 2 / 2
            loss.backward()
            for prm in (w, b):
                prm[:] = prm - lr * prm.grad / bs
        yh = nd.dot(features, w) + b
        epoch_loss.append(((yh - labels.reshape(yh.shape)) ** 2 / 2).mean().asnumpy())
    return _pack({"w": w, "b": b, "epoch_loss": np.concatenate(epoch_loss),
                  "w_dtype": _dt(w), "labels": labels})


def prog_dropout_scratch(mx):
    """d2l dropout with the mask drawn from numpy (not MXNet's RNG)."""
    nd, autograd = mx.nd, mx.autograd
    rng = _rng(1105)
    X = _leaf(mx, rng.uniform(-1, 1, (3, 5)))
    U = _f64(mx, rng.uniform(0, 1, (3, 5)))
    keep = 0.6
    with autograd.record():
        mask = U < keep
        Y = mask * X / keep
        Z = (nd.dot(Y, _f64(mx, np.arange(5.0))) ** 2).sum()
    Z.backward()
    return _pack({"Y": Y, "mask": mask, "Z": Z, "dX": X.grad})


def prog_standardize_broadcast_back(mx):
    """Reduce over an axis and broadcast back: (x - mean) / std per column,
    row-normalisation by sums, and centring against the full mean."""
    autograd = mx.autograd
    x = _leaf(mx, _rng(1106).uniform(0.5, 3.0, (5, 3)))
    with autograd.record():
        mu = x.mean(axis=0)
        d = x - mu
        sd = ((d ** 2).mean(axis=0)).sqrt()
        z = d / sd
        r = x / x.sum(axis=1, keepdims=True)
        c = x - x.mean()
        total = (z * _head(mx, z.shape, 1106)).sum() \
            + (r * _head(mx, r.shape, 2106)).sum() + (c * c).sum()
    total.backward()
    return _pack({"z": z, "r": r, "c": c, "dx": x.grad})


def prog_linear_model_l2(mx):
    """d2l weight-decay: linreg + squared loss + l2_penalty = (w**2).sum()/2."""
    nd, autograd = mx.nd, mx.autograd
    rng = _rng(1107)
    X = _f64(mx, rng.normal(0, 1, (8, 5)))
    y = _f64(mx, rng.normal(0, 1, (8, 1)))
    w = _leaf(mx, rng.normal(0, 1, (5, 1)))
    b = _leaf(mx, [0.0])
    lambd = 3.0
    with autograd.record():
        yh = nd.dot(X, w) + b
        loss = (yh - y.reshape(yh.shape)) ** 2 / 2 + lambd * (w ** 2).sum() / 2
    loss.backward()
    return _pack({"loss": loss, "dw": w.grad, "db": b.grad})


# --------------------------------------------------------------------------
# creation (float32 defaults)
# --------------------------------------------------------------------------
def prog_creation_float32(mx):
    nd = mx.nd
    x64 = _f64(mx, [[1.0, 2.0], [3.0, 4.0]])
    i32 = nd.array([1, 2], dtype="int32")
    made = {
        "zeros": nd.zeros((2, 3)), "ones_int": nd.ones(4),
        "ones_kw": nd.ones(shape=3), "zeros_list": nd.zeros([2, 2]),
        "arange12": nd.arange(12), "arange_frac": nd.arange(-1.0, 1.0, 0.25),
        "arange_step": nd.arange(2, 8, 2), "full": nd.full((2, 3), 7),
        "from_list": nd.array([1, 2, 3]), "from_int64": nd.array(np.arange(3)),
        "from_f64": nd.array(np.ones(2)), "from_nd_i32": nd.array(i32),
        "ones_like64": nd.ones_like(x64), "zeros_like64": nd.zeros_like(x64),
        "zeros_like_m": x64.zeros_like(), "ones_like_m": x64.ones_like(),
        "zeros_f64": nd.zeros((2,), dtype="float64"),
    }
    out = dict(made)
    for k, v in made.items():
        out[k + "_dtype"] = _dt(v)
    out["size"] = nd.arange(12).reshape((3, 4)).size
    out["shape"] = np.array(nd.arange(12).reshape((3, 4)).shape)
    out["asscalar"] = nd.arange(5).sum().asscalar()
    return _pack(out)

# --------------------------------------------------------------------------
# operators outside the book that MXNet code uses (found by differential fuzzing)
# --------------------------------------------------------------------------
def prog_sorting(mx):
    nd = mx.nd
    a = _distinct(_rng(2101), (3, 5))
    out = {}
    x = nd.array(a, dtype="float64")
    # values only: MXNet 1.9.1 cannot differentiate sort or topk (its _backward_topk
    # rejects the axis it was given)
    out["sort"] = nd.sort(x).asnumpy()
    out["sort_desc_axis0"] = nd.sort(x, axis=0, is_ascend=False).asnumpy()
    out["topk_value"] = nd.topk(x, k=2, ret_typ="value").asnumpy()
    out["topk_value_axis0"] = nd.topk(x, axis=0, k=2, ret_typ="value").asnumpy()
    out["argsort"] = x.argsort().asnumpy()
    out["argsort_axis0_desc"] = nd.argsort(x, axis=0, is_ascend=False).asnumpy()
    out["topk_indices"] = nd.topk(x, k=3).asnumpy()
    out["topk_indices_dtype"] = np.array(_dt(nd.topk(x, k=3)))
    out["topk_flat"] = nd.topk(x, axis=None, k=4).asnumpy()
    out["topk_mask"] = nd.topk(x, k=2, ret_typ="mask").asnumpy()
    v, i = nd.topk(x, k=2, ret_typ="both")
    out["topk_both_v"], out["topk_both_i"] = v.asnumpy(), i.asnumpy()
    return _pack(out)


def prog_logic_and_special(mx):
    nd = mx.nd
    x = nd.array([[0.0, 1.5, -2.0], [3.0, 0.0, 0.5]], dtype="float64")
    y = nd.array([[1.0, 0.0, -1.0], [0.0, 0.0, 2.0]], dtype="float64")
    out = {"and": nd.logical_and(x, y).asnumpy(), "or": nd.logical_or(x, y).asnumpy(),
           "xor": nd.logical_xor(x, y).asnumpy(), "not": nd.logical_not(x).asnumpy(),
           "b_and": nd.broadcast_logical_and(x, y[0:1]).asnumpy(),
           "clip64": nd.clip(x, -0.3, 0.4).asnumpy(),
           "degrees64": nd.degrees(x).asnumpy(), "radians64": nd.radians(x).asnumpy()}
    a = _avoid(_rng(2201).uniform(-3, 3, (3, 4)), [-1.0, 0.0, 1.0, -2.5, 2.5], 0.1)
    cases = [
        ("smooth_l1", lambda t: nd.smooth_l1(t, scalar=1.0)),
        ("smooth_l1_s2", lambda t: nd.smooth_l1(t, scalar=2.0)),
        ("hard_sigmoid", lambda t: nd.hard_sigmoid(t)),
        ("erf", lambda t: nd.erf(t)),
        ("blockgrad", lambda t: nd.BlockGrad(t) * t),
        ("identity", lambda t: nd.identity(t) * t),
        ("nansum", lambda t: nd.nansum(t, axis=1)),
        ("nanprod", lambda t: nd.nanprod(t, axis=0)),
        ("diag", lambda t: nd.diag(t, k=1)),
        ("gather_nd", lambda t: nd.gather_nd(t, nd.array([[0, 2, 2], [1, 3, 1]]))),
    ]
    out.update(_many_unary(mx, cases, a, 2202))
    return _pack(out)

def prog_integer_and_edge_arithmetic(mx):
    # found by a second round of differential fuzzing against MXNet 1.9.1
    nd, autograd = mx.nd, mx.autograd
    a = nd.array([-1, -5, 7, 9, 3, 3], dtype="int32")
    b = nd.array([4, 2, 3, 2, 1, 2], dtype="int32")
    u = nd.array([1, 2], dtype="uint8")
    out = {"int_div": (a / b).asnumpy(), "int_div_dtype": np.array(_dt(a / b)),
           "uint8_plus_300": (u + 300).asnumpy(), "int8_eq_300": (nd.array([1, 2],
           dtype="int8") == 300).asnumpy(), "int_pow_neg": (a ** -1).asnumpy(),
           "mod_zero": (nd.array([1.0, 0.0, 3.0]) % 0).asnumpy(),
           "rmod_zero": (2 % nd.array([1.0, 0.0, 3.0])).asnumpy(),
           "int_times_half": (nd.array([7, -7], dtype="int32") * 0.5).asnumpy()}
    x = nd.array([[1.0, 2.0, 2.0], [3.0, 3.0, 0.0]], dtype="float64")
    for name, fn in (("max_all", lambda t: t.max()), ("max_axis1", lambda t: nd.max(t, axis=1)),
                     ("min_axis0", lambda t: nd.min(t, axis=0))):
        x.attach_grad()
        with autograd.record():
            y = fn(x)
        y.backward()
        out[name] = y.asnumpy()
        out[name + "_grad"] = x.grad.asnumpy()
    return _pack(out)


# --------------------------------------------------------------------------
# found by tests/golden/fuzz_against_mxnet.py (differential fuzzing, third round)
# --------------------------------------------------------------------------
def _raises(mx, fn):
    """The kind of exception fn() raises ('MXNetError' first), or 'none'. The result is
    read back, since MXNet reports an operator's error only when its output is used."""
    try:
        res = fn()
        for r in res if isinstance(res, (list, tuple)) else [res]:
            r.asnumpy()
    except mx.base.MXNetError:
        return np.array("MXNetError")
    except Exception as e:  # noqa: BLE001 - the kind is the result
        return np.array(type(e).__name__)
    return np.array("none")


def prog_fuzz_float32_vjp_dtypes(mx):
    # log2, log10 and s ** x once gave float64 gradients for float32 inputs (a NumPy
    # float64 constant in the VJP), and backward refused them
    nd, autograd = mx.nd, mx.autograd
    out = {}
    a = _rng(3101).uniform(0.5, 3.0, (2, 3))
    for i, (name, fn) in enumerate((("log2", nd.log2), ("log10", lambda t: t.log10()),
                                    ("rpow", lambda t: 2.0 ** t), ("rpow_int", lambda t: 3 ** t))):
        x = nd.array(a, dtype="float32")
        x.attach_grad()
        with autograd.record():
            y = fn(x)
        y.backward(nd.array(_rng(3102 + i).uniform(0.5, 1.5, y.shape), dtype="float32"))
        out[name] = y.asnumpy()
        out[name + "_dx"] = x.grad.asnumpy()
        out[name + "_dx_dtype"] = _dt(x.grad)
    return _pack(out)


def prog_fuzz_ops_grads(mx):
    nd = mx.nd
    a = _distinct(_rng(3111), (3, 4), 0.3)
    b = _distinct(_rng(3112), (2, 3, 4), 0.25)
    p = _rng(3113).uniform(0.5, 2.0, (3, 4))
    cases = [
        ("sort_flat", lambda t: nd.sort(t, axis=None)),
        ("sort_flat_desc", lambda t: nd.sort(t, axis=None, is_ascend=False)),
        ("cumsum", lambda t: nd.cumsum(t)),
        ("cumsum_axis1", lambda t: nd.cumsum(t, axis=1)),
        ("softmin", lambda t: nd.softmin(t, axis=0)),
        ("softmin_t", lambda t: nd.softmin(t, axis=-1, temperature=2.0)),
        ("elu", lambda t: nd.LeakyReLU(t, act_type="elu", slope=0.3)),
        ("gelu", lambda t: nd.LeakyReLU(t, act_type="gelu")),
        ("zeros_like_plus", lambda t: nd.zeros_like(t) + t.zeros_like()),
        ("ones_like", lambda t: nd.ones_like(t)),
        ("l2norm", lambda t: nd.L2Normalization(t)),
    ]
    out = _many_unary(mx, cases, a, 3120)
    out.update(_many_unary(mx, [
        ("diag3", lambda t: nd.diag(t, k=1)),
        ("diag3_axes", lambda t: nd.diag(t, k=-1, axis1=2, axis2=0)),
        ("l2norm_channel", lambda t: nd.L2Normalization(t, mode="channel")),
        ("l2norm_spatial", lambda t: nd.L2Normalization(t, mode="spatial")),
        ("nansum_excl", lambda t: nd.nansum(t, axis=1, exclude=True)),
        ("flip_pos", lambda t: nd.flip(t, axis=2)),
    ], b, 3140))
    out.update(_many_unary(mx, [
        ("rcbrt", lambda t: nd.rcbrt(t)),
        ("nanprod_excl", lambda t: nd.nanprod(t, axis=0, exclude=True)),
    ], p, 3150))
    out["selu"] = nd.LeakyReLU(_f64(mx, a), act_type="selu").asnumpy()  # its grad: compat
    return _pack(out)


def prog_fuzz_layers_as_functions(mx):
    nd, autograd = mx.nd, mx.autograd
    r = _rng(3161)
    out = {}
    x = _leaf(mx, r.uniform(-2, 2, (2, 3, 4)))
    g = _leaf(mx, r.uniform(0.5, 2, (3,)))
    bt = _leaf(mx, r.uniform(-1, 1, (3,)))
    g4 = _leaf(mx, r.uniform(0.5, 2, (4,)))
    b4 = _leaf(mx, r.uniform(-1, 1, (4,)))
    w = _leaf(mx, r.uniform(-1, 1, (5, 2)))
    idx = nd.array([[0, 4, 2], [1, 1, 3]])
    slope = _leaf(mx, np.array([0.1, 0.2, 0.3]))
    with autograd.record():
        ln1 = nd.LayerNorm(x, g, bt, axis=1)
        ln2 = nd.LayerNorm(x, g4, b4, eps=1e-3)
        emb = nd.Embedding(idx, w, input_dim=5, output_dim=2)
        pre = nd.LeakyReLU(x, slope, act_type="prelu")
    heads = [ln1, ln2, emb, pre]
    autograd.backward(heads, [_head(mx, h.shape, 3170 + i) for i, h in enumerate(heads)])
    for name, v in (("ln1", ln1), ("ln2", ln2), ("emb", emb), ("prelu", pre)):
        out[name] = v.asnumpy()
    for name, v in (("x", x), ("g", g), ("bt", bt), ("g4", g4), ("b4", b4), ("w", w),
                    ("slope", slope)):
        out["d" + name] = v.grad.asnumpy()
    return _pack(out)


def prog_fuzz_shapes_and_errors(mx):
    nd = mx.nd
    out = {}
    one = nd.split(nd.array([5.0]), num_outputs=1, axis=0, squeeze_axis=True)
    out["split_squeeze_1_shape"] = np.array(one.shape)
    out["split_squeeze_1_ndim"] = np.array(len(one.shape))
    parts = nd.split(nd.arange(6).reshape((2, 3)), num_outputs=3, axis=1, squeeze_axis=True)
    out["split_squeeze_3"] = np.stack([p.asnumpy() for p in parts])
    out["split_squeeze_mismatch"] = _raises(mx, lambda: nd.split(
        nd.ones((2, 4)), num_outputs=2, axis=1, squeeze_axis=True))
    out["diag_empty_shape"] = np.array(nd.diag(nd.ones((3, 2)), k=2).shape)
    out["diag_k_too_big"] = _raises(mx, lambda: nd.diag(nd.ones((4, 1)), k=2))
    out["flip_negative_axis"] = _raises(mx, lambda: nd.flip(nd.ones((2, 3)), axis=-1))
    out["reshape_reverse_codes"] = _raises(mx, lambda: nd.reshape(
        nd.ones((6, 4)), shape=(-4, 2, 3, 0), reverse=True))
    return _pack(out)


def prog_fuzz_integer_rules(mx):
    nd = mx.nd
    out = {}
    u8 = nd.array([0, 1, 2, 8, 200], dtype="uint8")
    i32 = nd.array([-3, -1, 0, 2, 9], dtype="int32")
    for name in ("tanh", "sigmoid", "exp", "sqrt", "softsign", "arctan", "erf", "log1p"):
        out[name + "_u8"] = getattr(nd, name)(u8).asnumpy()
    for name in ("tanh", "softsign", "arctan", "cos"):
        out[name + "_i32"] = getattr(nd, name)(i32).asnumpy()
    a = nd.array([[2, -3, 0], [1, 2, 3]], dtype="int32")
    b = nd.array([[-1, 2, -2], [0, 1, -3]], dtype="int32")
    out["pow_neg"] = (a ** b).asnumpy()
    out["bpow_neg"] = nd.broadcast_power(a, b).asnumpy()
    m = nd.array([[1, 2], [3, 4], [7, 6]], dtype="int32")
    out["norm_all"] = nd.norm(m).asnumpy()
    out["norm_ax0"] = nd.norm(m, axis=0).asnumpy()
    out["norm_ax1_keep"] = m.norm(axis=1, keepdims=True).asnumpy()
    out["norm_i64"] = nd.norm(nd.array([[3, 4, 12]], dtype="int64"), axis=1).asnumpy()
    for i, v in enumerate((-2, -2.87, 300, 3.9)):
        x = nd.zeros((4,), dtype="uint8")
        x[1:3] = v
        out[f"set_u8_{i}"] = x.asnumpy()
    x = nd.zeros((3,), dtype="int32")
    x[:] = -2.87
    out["set_i32"] = x.asnumpy()
    return _pack(out)


def prog_fuzz_special_functions(mx):
    # MXNet's float64 digamma is good to about 1e-7 only: RTOL/ATOL
    nd = mx.nd
    a = _rng(3181).uniform(0.4, 4.0, (2, 3))
    u = _rng(3182).uniform(-0.9, 0.9, (2, 3))
    out = _many_unary(mx, [("gamma", lambda t: nd.gamma(t)),
                           ("gammaln", lambda t: nd.gammaln(t))], a, 3183)
    out.update(_many_unary(mx, [("erfinv", lambda t: nd.erfinv(t))], u, 3185))
    out["gamma_neg"] = nd.gamma(_f64(mx, [-0.5, -1.5, -2.7])).asnumpy()
    out["erfinv_ends"] = nd.erfinv(_f64(mx, [-1.0, 0.0, 1.0])).asnumpy()
    out["gamma_i32"] = nd.gamma(nd.array([1, 3, 5], dtype="int32")).asnumpy()
    return _pack(out)


def prog_fuzz_integer_hypot(mx):
    # uint8 hypot came out float16 (NumPy's float type for uint8)
    nd = mx.nd
    a = nd.array([3, 5, 200], dtype="uint8")
    b = nd.array([4, 12, 100], dtype="uint8")
    c = nd.broadcast_hypot(a, b)
    d = nd.broadcast_hypot(nd.array([[3], [5]], dtype="int32"),
                           nd.array([4, 13], dtype="int32"))
    return _pack({"u8": c.asnumpy(), "u8_dtype": _dt(c), "i32": d.asnumpy(),
                  "i32_dtype": _dt(d)})


def prog_fuzz_reshape_errors(mx):
    # a size that does not fit: ValueError from NDArray.reshape, but MXNetError while
    # recording (MXNet runs its reshape operator then)
    nd, autograd = mx.nd, mx.autograd
    x = _leaf(mx, np.ones((2, 3, 4)))
    out = {"plain": _raises(mx, lambda: x.reshape((5, -1))),
           "plain_codes": _raises(mx, lambda: x.reshape((6, -2))),
           "plain_smaller": _raises(mx, lambda: x.reshape((4, 5))),
           "plain_larger": _raises(mx, lambda: x.reshape((5, 6))),
           "plain_zero_code": _raises(mx, lambda: x.reshape((6, 0)))}
    with autograd.record():
        out["recording"] = _raises(mx, lambda: x.reshape((5, -1)))
        out["recording_codes"] = _raises(mx, lambda: x.reshape((6, -2)))
    out["ok"] = np.array(x.reshape((4, -1)).shape)
    return _pack(out)


PROGRAMS = [v for k, v in list(globals().items())
            if k.startswith("prog_") and callable(v)]
