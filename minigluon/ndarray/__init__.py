"""``mx.nd``: array creation, and one function per registered operator.

The operator functions are generated from the registry (see :mod:`minigluon.ops`): each
takes its array inputs first, then the operator's parameters, and ``out=``. A few
functions are written by hand because they choose between operators (``add`` takes an
array or a scalar) or draw random numbers (``Dropout``).
"""

from __future__ import annotations

import inspect
from typing import Any

import attrs
import numpy as np

from .. import _events, _rng
from .._tape import STATE
from ..base import MinigluonError
from ..context import Context, check_context
from ..ops import OPS, Op, elementwise as ew, get_op, set_invoker
from . import random
from .ctc import CTCLoss, ctc_loss  # noqa: F401
from .deconv import Deconvolution, UpSampling  # noqa: F401 (nd.Deconvolution ...)
from .ndarray import (
    NDArray,
    _dtype,
    _fast_path_1,
    _fast_path_2,
    _like,
    _place,
    _scalar,
    _wrap,
    _write_out,
    as_ndarray,
    invoke,
)
from .nn import BatchNorm, Convolution, Pooling  # noqa: F401 (nd.Convolution ...)
from .rnn import RNN  # noqa: F401  (nd.RNN: several arrays in and out)
from .sequence import SequenceLast, SequenceMask, SequenceReverse  # noqa: F401

__all__ = ["NDArray", "array", "zeros", "ones", "full", "empty", "arange", "zeros_like",
           "ones_like", "full_like", "eye", "linspace", "random", "save", "load",
           "load_frombuffer", "waitall", "invoke"]


# ---- creation -------------------------------------------------------------------------

def _shape(shape: Any) -> tuple[int, ...]:
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    return tuple(int(s) for s in shape)


def array(source_array: Any, ctx: Context | None = None, dtype: Any = None) -> NDArray:
    """A new NDArray holding a copy of ``source_array``.

    Lists and NumPy arrays become float32 unless ``dtype`` is given (as in MXNet, even
    float64 and int64 NumPy arrays); an NDArray source keeps its dtype.

    Examples
    --------
    >>> from minigluon import nd
    >>> nd.array([[1, 2], [3, 4]])
    <BLANKLINE>
    [[1. 2.]
     [3. 4.]]
    <NDArray 2x2 @cpu(0)>
    """
    ctx = check_context(ctx, "_array")
    if isinstance(source_array, NDArray):
        dt = source_array._data.dtype if dtype is None else _dtype(dtype)
        return _place(_wrap(source_array._data.astype(dt), None), ctx)
    dt = np.float32 if dtype is None else _dtype(dtype)
    src = np.asarray(source_array)
    if src.dtype == object:  # e.g. pandas columns mixing floats and bools
        src = src.astype(np.float64)
    return _place(_wrap(np.array(src, dtype=dt), None), ctx)


def empty(shape: Any, ctx: Context | None = None, dtype: Any = None) -> NDArray:
    """An array of the given shape (zero-filled: NumPy gives no cheaper safe choice)."""
    return zeros(shape, ctx, dtype)


def zeros(shape: Any, ctx: Context | None = None, dtype: Any = None, **kw: Any) -> NDArray:
    """An array of zeros; ``shape`` is an int or a tuple. With ``out=`` the zeros are
    written into that array, which is returned."""
    ctx = check_context(ctx, "_zeros")
    res = _place(_wrap(np.zeros(_shape(shape), dtype=_dtype(dtype or "float32")), None), ctx)
    out = kw.pop("out", None)
    return _write_out(out, res) if out is not None else res


def ones(shape: Any, ctx: Context | None = None, dtype: Any = None, **kw: Any) -> NDArray:
    """An array of ones; ``shape`` is an int or a tuple. With ``out=`` the ones are
    written into that array, which is returned."""
    ctx = check_context(ctx, "_ones")
    res = _place(_wrap(np.ones(_shape(shape), dtype=_dtype(dtype or "float32")), None), ctx)
    out = kw.pop("out", None)
    return _write_out(out, res) if out is not None else res


def full(shape: Any, val: float, ctx: Context | None = None, dtype: Any = None,
         out: NDArray | None = None) -> NDArray:
    """An array filled with ``val``."""
    ctx = check_context(ctx, "_full")
    res = _place(_wrap(np.full(_shape(shape), val, dtype=_dtype(dtype or "float32")), None), ctx)
    return _write_out(out, res) if out is not None else res


def arange(start: float, stop: float | None = None, step: float = 1.0, repeat: int = 1,
           infer_range: bool = False, ctx: Context | None = None, dtype: Any = None
           ) -> NDArray:
    """Evenly spaced values in [start, stop), float32 by default."""
    ctx = check_context(ctx, "_arange")
    dt = _dtype(dtype or "float32")
    if stop is None:
        start, stop = 0, start
    n = int(np.ceil((stop - start) / step))  # (nd.max shadows the builtin here)
    n = n if n > 0 else 0
    # computed as MXNet does, in the array's dtype: start + i * step
    vals = dt.type(start) + np.arange(n, dtype=dt) * dt.type(step)
    if repeat != 1:
        vals = np.repeat(vals, repeat)
    return _place(_wrap(vals.astype(dt, copy=False), None), ctx)


def linspace(start: float, stop: float, num: int, endpoint: bool = True,
             ctx: Context | None = None, dtype: Any = None) -> NDArray:
    """``num`` evenly spaced values from start to stop."""
    ctx = check_context(ctx, "_linspace")
    vals = np.linspace(start, stop, num, endpoint=endpoint)
    return _place(_wrap(vals.astype(_dtype(dtype or "float32")), None), ctx)


def eye(N: int, M: int = 0, k: int = 0, ctx: Context | None = None, dtype: Any = None
        ) -> NDArray:
    """An identity-like matrix."""
    ctx = check_context(ctx, "_eye")
    return _place(_wrap(np.eye(N, M or None, k, dtype=_dtype(dtype or "float32")), None), ctx)


_ZEROS_LIKE, _ONES_LIKE = get_op("_fill_like")(0.0), get_op("_fill_like")(1.0)


def zeros_like(data: NDArray, **kw: Any) -> NDArray:
    """Return an array of zeros with the same shape and type as the input."""
    if STATE.recording:  # recorded, so that a head computed from it reaches data
        return invoke(_ZEROS_LIKE, (data,))
    return _like(data, _wrap(np.zeros_like(data._data), None))


def ones_like(data: NDArray, **kw: Any) -> NDArray:
    """Return an array of ones with the same shape and type as the input."""
    if STATE.recording:
        return invoke(_ONES_LIKE, (data,))
    return _like(data, _wrap(np.ones_like(data._data), None))


def full_like(data: NDArray, fill_value: float, **kw: Any) -> NDArray:
    """An array filled with ``fill_value``, with the shape and type of the input."""
    return _like(data, _wrap(np.full_like(data._data, fill_value), None))


def waitall() -> None:
    """Nothing to wait for: minigluon computes eagerly."""


# ---- functions generated from the operator registry ------------------------------------

def _op_function(cls: type[Op]) -> Any:
    """Build ``nd.<name>(*inputs, *params, out=None)`` for an operator class."""
    fields = [f.name for f in attrs.fields(cls)] if attrs.has(cls) else []
    names = cls.inputs
    varargs = names[:1] == ("*data",)
    # an operator whose parameters all have defaults is shared by the calls that set none
    try:
        default_op = cls()
    except TypeError:
        default_op = None
    nin = len(names)
    ops_made: dict[Any, Op] = {}  # this operator's instances, by their parameters

    def fn(*args: Any, out: NDArray | None = None, name: str | None = None, **kw: Any) -> Any:
        if default_op is not None and not kw and out is None and len(args) == nin:
            # the common call, nd.tanh(x) or nd.dot(X, w): no parsing, and for one or two
            # arrays straight to invoke's fast paths
            if nin == 1:
                if args[0].__class__ is NDArray:
                    return _fast_path_1(default_op, args[0])
            elif nin == 2 and not default_op.view:
                if args[0].__class__ is NDArray and args[1].__class__ is NDArray:
                    return _fast_path_2(default_op, args[0], args[1])
            elif all(a.__class__ is NDArray for a in args):
                return invoke(default_op, args)
        if varargs:
            if not all(isinstance(a, NDArray) for a in args):
                raise AssertionError("Positional arguments must have NDArray type, "
                                     f"{cls.name} takes arrays as separate arguments: "
                                     f"{cls.name}(a, b, ...) or {cls.name}(*list_of_arrays)")
            arrays = list(args)
            extra: tuple = ()
        else:
            arrays, extra = list(args[:len(names)]), args[len(names):]
            for n in names[len(arrays):]:
                if n in kw:
                    arrays.append(kw.pop(n))
            if len(arrays) != len(names):
                raise TypeError(f"{cls.name}() needs the array inputs {', '.join(names)}")
        params = dict(zip(fields, extra))
        params.update(kw)
        ref = next((a for a in arrays if isinstance(a, NDArray)), None)
        result = invoke(_instance(cls, ops_made, params),
                        [a if a.__class__ is NDArray else as_ndarray(a, ref) for a in arrays])
        return _write_out(out, result) if out is not None else result

    fn.__name__ = fn.__qualname__ = cls.name
    fn.__doc__ = cls.__doc__
    params = [inspect.Parameter(n.lstrip("*"), inspect.Parameter.VAR_POSITIONAL
                                if n.startswith("*") else inspect.Parameter.POSITIONAL_OR_KEYWORD)
              for n in names]
    kind = inspect.Parameter.KEYWORD_ONLY if varargs else inspect.Parameter.POSITIONAL_OR_KEYWORD
    for f in (attrs.fields(cls) if attrs.has(cls) else ()):
        default = f.default if f.default is not attrs.NOTHING else inspect.Parameter.empty
        params.append(inspect.Parameter(f.name, kind, default=default))
    params.append(inspect.Parameter("out", inspect.Parameter.KEYWORD_ONLY, default=None))
    fn.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    fn._default_op = default_op if nin == 1 else None  # type: ignore[attr-defined]
    return fn


_KEYABLE = frozenset({int, float, bool, str, type(None)})


def _instance(cls: type[Op], made: dict[Any, Op], params: dict[str, Any]) -> Op:
    """``cls(**params)``, made once per set of parameters: a loop calls ``F.mean(x,
    axis=0, exclude=True)`` with the same parameters at every step, and building an
    operator costs more than running it on a small array. Operators are immutable, so
    calls may share one. The key holds each value's type too (``2`` and ``2.0`` differ
    for an integer array); values of other kinds (tuples, arrays) make a new operator."""
    key = []
    for k, v in params.items():
        if v.__class__ not in _KEYABLE:
            return cls(**params)
        key.append((k, v.__class__, v))
    key = tuple(key)
    op = made.get(key)
    if op is None:
        if len(made) > 256:
            made.clear()
        op = made[key] = cls(**params)
    return op


def _method(fn: Any) -> Any:
    op = fn._default_op  # x.tanh(): the operator without parameters, on x alone

    def method(self: NDArray, *args: Any, **kw: Any) -> Any:
        if op is not None and not args and not kw:
            return _fast_path_1(op, self)
        return fn(self, *args, **kw)

    method.__name__ = fn.__name__
    method.__doc__ = fn.__doc__
    return method


_HANDWRITTEN_METHODS = set(vars(NDArray)) | {"split", "__matmul__"}  # set at the end


def _on_register(name: str, cls: type[Op]) -> None:
    fn = _op_function(cls)
    if cls.expose:
        globals()[cls.name] = fn
    if cls.method and cls.method not in _HANDWRITTEN_METHODS:
        setattr(NDArray, cls.method, _method(fn))


def _on_unregister(name: str, cls: type[Op]) -> None:
    fn = globals().get(cls.name)
    if getattr(fn, "__name__", None) == cls.name and getattr(fn, "__doc__", None) == cls.__doc__:
        del globals()[cls.name]
    method = vars(NDArray).get(cls.method) if cls.method else None
    if method is not None and cls.method not in _HANDWRITTEN_METHODS:
        delattr(NDArray, cls.method)


OPS.on_register(_on_register)
OPS.on_unregister(_on_unregister)


def __getattr__(name: str) -> Any:
    # an operator registered by a plugin that has not been imported yet
    if not name.startswith("__") and name in OPS:
        cls = OPS.get(name)
        if cls.expose:
            return globals()[cls.name]
    raise AttributeError(f"module 'minigluon.nd' has no attribute {name!r}")


# ---- functions that choose an operator -------------------------------------------------

def _arith(op: Op, scalar_op: type, rscalar_op: type):
    def fn(lhs: Any, rhs: Any, out: NDArray | None = None) -> NDArray:
        return _apply(lhs, rhs, out)

    def _apply(lhs: Any, rhs: Any, out: NDArray | None) -> NDArray:
        if isinstance(lhs, NDArray):
            s = _scalar(rhs)
            res = invoke(scalar_op(s), (lhs,)) if s is not None else \
                invoke(op, (lhs, as_ndarray(rhs, lhs)))
        elif isinstance(rhs, NDArray):
            s = _scalar(lhs)
            res = invoke(rscalar_op(s), (rhs,)) if s is not None else \
                invoke(op, (as_ndarray(lhs, rhs), rhs))
        else:
            res = invoke(op, (as_ndarray(lhs), as_ndarray(rhs)))
        return _write_out(out, res) if out is not None else res

    fn.__doc__ = f"{type(op).__doc__} ``lhs`` or ``rhs`` may be a scalar."
    fn.apply = _apply  # type: ignore[attr-defined]
    return fn


def add(lhs: Any, rhs: Any) -> NDArray:
    """y = a + b, with broadcasting; ``lhs`` or ``rhs`` may be a scalar. As in MXNet, there
    is no ``out=`` (``broadcast_add`` and ``elemwise_add`` have one)."""
    return _add.apply(lhs, rhs, None)


_add = _arith(ew.Add(), ew.AddScalar, ew.AddScalar)
plus = add
subtract = minus = _arith(ew.Sub(), ew.SubScalar, ew.RSubScalar)
multiply = _arith(ew.Mul(), ew.MulScalar, ew.MulScalar)
divide = true_divide = _arith(ew.Div(), ew.DivScalar, ew.RDivScalar)
modulo = _arith(ew.Mod(), ew.ModScalar, ew.RModScalar)
power = _arith(ew.Pow(), ew.PowScalar, ew.RPowScalar)
maximum = _arith(ew.Maximum(), ew.MaximumScalar, ew.MaximumScalar)
minimum = _arith(ew.Minimum(), ew.MinimumScalar, ew.MinimumScalar)
for _n, _rev in (("equal", "equal"), ("not_equal", "not_equal"), ("greater", "lesser"),
                 ("greater_equal", "lesser_equal"), ("lesser", "greater"),
                 ("lesser_equal", "greater_equal")):
    globals()[_n] = _arith(get_op(f"broadcast_{_n}")(), get_op(f"_{_n}_scalar"),
                           get_op(f"_{_rev}_scalar"))
broadcast_axes = globals()["broadcast_axis"]
# MXNet's capitalised Softmax is the deprecated alias of SoftmaxOutput, not softmax
Softmax = globals()["SoftmaxOutput"]
# MXNet's logical_and/or/xor broadcast like their broadcast_ forms
logical_and = globals()["broadcast_logical_and"]
logical_or = globals()["broadcast_logical_or"]
logical_xor = globals()["broadcast_logical_xor"]
mod = modulo
broadcast_plus = globals()["broadcast_add"]
broadcast_minus = globals()["broadcast_sub"]


def _elemwise(op: Op, what: str):
    def fn(lhs: NDArray, rhs: NDArray, out: NDArray | None = None) -> NDArray:
        if lhs.shape != rhs.shape:
            raise MinigluonError(f"elemwise_{what}: the shapes {lhs.shape} and {rhs.shape} "
                                 "differ (use broadcast_" + what + " to broadcast)")
        res = invoke(op, (lhs, rhs))
        return _write_out(out, res) if out is not None else res

    fn.__doc__ = f"{type(op).__doc__} Both shapes must be equal (no broadcasting)."
    return fn


elemwise_add = _elemwise(ew.Add(), "add")
elemwise_sub = _elemwise(ew.Sub(), "sub")
elemwise_mul = _elemwise(ew.Mul(), "mul")
elemwise_div = _elemwise(ew.Div(), "div")


def split(data: NDArray, num_outputs: int, axis: int = 1, squeeze_axis: bool = False
          ) -> Any:
    """Cut ``data`` into ``num_outputs`` equal parts along ``axis`` (a list; one part is
    returned bare, as MXNet does)."""
    n = data.shape[axis]
    if n % num_outputs:
        raise MinigluonError(f"split: axis {axis} of length {n} cannot be cut into "
                             f"{num_outputs} equal parts")
    if squeeze_axis and n != num_outputs:
        raise MinigluonError(f"split: with squeeze_axis=True the length of axis {axis} "
                             f"({n}) must equal num_outputs ({num_outputs})")
    step = n // num_outputs
    parts = [globals()["slice_axis"](data, axis=axis, begin=i * step, end=(i + 1) * step)
             for i in range(num_outputs)]
    if squeeze_axis:  # drop the axis, even down to 0-d as MXNet does (not squeeze's (1,))
        ax = axis % data.ndim
        parts = [p.reshape(p.shape[:ax] + p.shape[ax + 1:]) for p in parts]
    return parts[0] if num_outputs == 1 else parts


SliceChannel = split


def Dropout(data: NDArray, p: float = 0.5, mode: str = "training", axes: Any = (),
            **kw: Any) -> NDArray:
    """Zero each element with probability ``p`` and scale the rest by 1/(1-p), only while
    training (``autograd.is_training()``) unless ``mode='always'``. ``p=1`` gives zeros
    (MXNet gives NaN)."""
    if not (STATE.training or mode == "always") or p == 0:
        return data
    if _events.ACTIVE and mode != "always" and not STATE.recording:
        _events.emit("dropout", data, p)  # the linter: dropout active while evaluating
    shape = list(data.shape)
    for a in axes or ():
        shape[a] = 1  # one mask value shared along these axes
    keep = _rng.generator().uniform(size=shape) >= p
    scale = 0.0 if p >= 1 else 1.0 / (1.0 - p)
    mask = (keep * scale).astype(data._data.dtype)
    return invoke(get_op("_dropout")(mask=mask), (data,))


def Activation(data: NDArray, act_type: str = "relu", **kw: Any) -> NDArray:
    """Apply ``relu``, ``sigmoid``, ``tanh``, ``softrelu`` or ``softsign``."""
    valid = ("relu", "sigmoid", "tanh", "softrelu", "softsign")
    if act_type not in valid:
        raise MinigluonError(f"Invalid Input: {act_type!r}, valid values are: {set(valid)}")
    return globals()[act_type](data)


# MXNet keeps these as C floats: its results, in float64 too, use the float32 values
_SELU_ALPHA = float(np.float32(1.6732632423543772848170429916717))
_SELU_LAMBDA = float(np.float32(1.0507009873554804934193349852946))


def LeakyReLU(data: NDArray, gamma: NDArray | None = None, act_type: str = "leaky",
              slope: float = 0.25, **kw: Any) -> NDArray:
    """The leaky ReLU family, by ``act_type``: ``'leaky'`` max(x, 0) + slope * min(x, 0);
    ``'prelu'`` the same with the learned slopes ``gamma`` (one, or one per channel of
    axis 1); ``'elu'`` x if x > 0 else slope * (exp(x) - 1); ``'selu'``; ``'gelu'``
    (the erf form). ``'rrelu'`` (random slopes) is not available."""
    g = globals()
    if act_type == "leaky":
        return invoke(get_op("_leaky_relu")(slope=slope), (data,))
    if act_type == "prelu":
        if gamma is None:
            raise MinigluonError("LeakyReLU: act_type 'prelu' needs gamma")
        if data.ndim > 1 and gamma.size != 1:  # one slope per channel (axis 1)
            gamma = gamma.reshape((1, -1) + (1,) * (data.ndim - 2))
        return g["where"](data > 0, data, g["broadcast_mul"](data, gamma))
    if act_type in ("elu", "selu"):
        alpha = float(np.float32(slope)) if act_type == "elu" else _SELU_ALPHA
        # exp only of the non-positive part: exp of a large x would overflow to inf, and
        # inf times the unused branch's zero gradient is NaN
        y = g["where"](data > 0, data, alpha * g["expm1"](g["minimum"](data, 0)))
        return y if act_type == "elu" else _SELU_LAMBDA * y
    if act_type == "gelu":
        return 0.5 * data * (1 + g["erf"](data * float(np.float32(1 / np.sqrt(2)))))
    raise MinigluonError(f"LeakyReLU act_type {act_type!r} is not available in minigluon")


def Embedding(data: NDArray, weight: NDArray, input_dim: int | None = None,
              output_dim: int | None = None, dtype: Any = "float32", **kw: Any) -> NDArray:
    """Rows of ``weight`` (input_dim, output_dim) picked by the indices in ``data``
    (floats are truncated; out-of-range indices are clipped, as MXNet does)."""
    return globals()["take"](weight, data, axis=0, mode="clip")


def LayerNorm(data: NDArray, gamma: NDArray, beta: NDArray, axis: int = -1,
              eps: float = 1e-5, output_mean_var: bool = False, **kw: Any) -> Any:
    """``(x - mean) / sqrt(var + eps) * gamma + beta`` over ``axis``; with
    ``output_mean_var`` also the mean and the standard deviation (keeping ``axis``)."""
    g = globals()
    ax = axis % data.ndim
    mean = g["mean"](data, axis=ax, keepdims=True)
    centered = g["broadcast_sub"](data, mean)
    var = g["mean"](g["square"](centered), axis=ax, keepdims=True)
    shape = tuple(data.shape[ax] if i == ax else 1 for i in range(data.ndim))
    y = g["broadcast_add"](g["broadcast_mul"](g["broadcast_mul"](centered, g["rsqrt"](
        var + eps)), gamma.reshape(shape)), beta.reshape(shape))
    if output_mean_var:
        return [y, mean, g["sqrt"](var + eps)]
    return y


def softmin(data: NDArray, axis: int = -1, temperature: float | None = None,
            **kw: Any) -> NDArray:
    """``softmax(-data)`` along ``axis``."""
    return globals()["softmax"](-data, axis=axis, temperature=temperature)


def L2Normalization(data: NDArray, eps: float = 1e-10, mode: str = "instance",
                    **kw: Any) -> NDArray:
    """``x / sqrt(sum(x**2) + eps)``, the sum over all axes but the first
    (``'instance'``), over axis 1 (``'channel'``) or over the axes after 1
    (``'spatial'``)."""
    g = globals()
    if mode == "instance":
        axes = tuple(range(1, data.ndim))
    elif mode in ("channel", "spatial"):
        if data.ndim < 3:
            raise MinigluonError(f"L2Normalization: at least 3 dimensions required in "
                                 f"{mode} mode, got shape {data.shape}")
        axes = (1,) if mode == "channel" else tuple(range(2, data.ndim))
    else:
        raise MinigluonError(f"L2Normalization: unknown mode {mode!r}")
    norm = g["sqrt"](g["sum"](g["square"](data), axis=axes, keepdims=True) + eps)
    return g["broadcast_div"](data, norm)


_FULLY_CONNECTED = {f: get_op("FullyConnected")(flatten=f) for f in (True, False)}


def FullyConnected(data: NDArray, weight: NDArray, bias: NDArray | None = None,
                   num_hidden: int | None = None, no_bias: bool = False, flatten: bool = True,
                   **kw: Any) -> NDArray:
    """``data @ weight.T + bias``, the Dense layer's computation in one operator."""
    op = _FULLY_CONNECTED[bool(flatten)]
    if no_bias or bias is None:
        return invoke(op, (data, weight))
    return invoke(op, (data, weight, bias))


def softmax_cross_entropy(data: NDArray, label: NDArray, **kw: Any) -> NDArray:
    """The summed cross-entropy of softmax(data) against integer labels, shape (1,)."""
    per_row = invoke(get_op("_softmax_cross_entropy")(), (data, label))
    return globals()["sum"](per_row)


def broadcast_like(lhs: NDArray, rhs: NDArray, **kw: Any) -> NDArray:
    """``lhs`` broadcast to the shape of ``rhs``."""
    return globals()["broadcast_to"](lhs, shape=rhs.shape)


def topk(data: NDArray, axis: int | None = -1, k: int = 1, ret_typ: str = "indices",
         is_ascend: bool = False, dtype: Any = "float32", **kw: Any) -> Any:
    """The ``k`` largest elements along ``axis`` (smallest with ``is_ascend``): their
    ``'indices'`` (default, as floats), ``'value'``, ``'both'`` (a list) or a 0/1
    ``'mask'``. ``axis=None`` works on the flattened array."""
    if ret_typ not in ("indices", "value", "both", "mask"):
        raise MinigluonError(f"topk: ret_typ must be 'indices', 'value', 'both' or 'mask', "
                             f"got {ret_typ!r}")
    op = get_op("_topk")
    if ret_typ == "both":
        return [invoke(op(axis, k, "value", is_ascend, dtype), (data,)),
                invoke(op(axis, k, "indices", is_ascend, dtype), (data,))]
    return invoke(op(axis, k, ret_typ, is_ascend, dtype), (data,))


def stop_gradient(data: NDArray, **kw: Any) -> NDArray:
    """The same values, with no gradient flowing back (``BlockGrad``)."""
    return globals()["BlockGrad"](data)


def reshape_like(lhs: NDArray, rhs: NDArray, **kw: Any) -> NDArray:
    """``lhs`` reshaped to the shape of ``rhs``: a new array (a copy), as in MXNet."""
    return lhs.reshape(rhs.shape).copy()


def sum_axis(data: NDArray, axis: Any = None, keepdims: bool = False, **kw: Any) -> NDArray:
    return globals()["sum"](data, axis=axis, keepdims=keepdims, **kw)


def reverse(data: NDArray, axis: Any = 0, **kw: Any) -> NDArray:
    return globals()["flip"](data, axis=axis, **kw)


# NumPy ufuncs that NDArray.__array_ufunc__ maps to our operators (np.exp(x) is recorded)
_UFUNCS: dict[str, Any] = {
    "add": _add, "subtract": subtract, "multiply": multiply, "divide": divide,
    "true_divide": divide, "power": power, "maximum": maximum, "minimum": minimum,
    "absolute": globals()["abs"], "fabs": globals()["abs"], "negative": globals()["negative"],
    "greater": globals()["greater"], "greater_equal": globals()["greater_equal"],
    "less": globals()["lesser"], "less_equal": globals()["lesser_equal"],
    "equal": globals()["equal"], "not_equal": globals()["not_equal"],
}
for _name in ("exp", "expm1", "log", "log2", "log10", "log1p", "sqrt", "cbrt", "square",
              "reciprocal", "sign", "sin", "cos", "tan", "arcsin", "arccos", "arctan", "sinh",
              "cosh", "tanh", "arcsinh", "arccosh", "arctanh", "floor", "ceil", "rint", "trunc",
              "degrees", "radians"):
    _UFUNCS[_name] = globals()[_name]


# ---- NDArray methods that call the functions above (this module completes the class) -----

def _split_method(self: NDArray, num_outputs: int, axis: int = 1, squeeze_axis: bool = False
                  ) -> Any:
    """See :func:`minigluon.nd.split`."""
    return split(self, num_outputs, axis, squeeze_axis)


def _matmul(self: NDArray, o: Any) -> NDArray:
    return globals()["dot"](self, as_ndarray(o, self))


NDArray.split = _split_method  # type: ignore[attr-defined]
NDArray.__matmul__ = _matmul  # type: ignore[attr-defined]
NDArray._ufuncs = _UFUNCS  # type: ignore[attr-defined]


def _invoke_mixed(op: Op, xs: Any) -> NDArray:
    """How ``ops.apply`` runs an operator when some input is an NDArray (a VJP under
    ``create_graph=True``): NumPy inputs join as constants of the same dtype."""
    ref = next(x for x in xs if isinstance(x, NDArray))
    return invoke(op, [as_ndarray(x, ref) for x in xs])


set_invoker(_invoke_mixed)


# ---- files ----------------------------------------------------------------------------

def save(fname: str, data: Any) -> None:
    """Write an NDArray, a list of them or a dict str -> NDArray in MXNet's binary format
    (atomically: the file is complete or untouched)."""
    if isinstance(data, NDArray):
        data = [data]
    if isinstance(data, dict):
        if not all(isinstance(k, str) and isinstance(v, NDArray) for k, v in data.items()):
            raise TypeError("save only accept dict str->NDArray or list of NDArray")
        payload: Any = {k: v._data for k, v in data.items()}
    elif isinstance(data, (list, tuple)):
        if not all(isinstance(v, NDArray) for v in data):
            raise TypeError("save only accept dict str->NDArray or list of NDArray")
        payload = [v._data for v in data]
    else:
        raise ValueError("data needs to either be a NDArray, dict of str, NDArray pairs or a "
                         "list of NDarrays.")
    from .. import _fileformat

    _fileformat.write_arrays(fname, payload)


def _from_loaded(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _wrap(v, None) for k, v in obj.items()}
    return [_wrap(v, None) for v in obj]


def load(fname: str) -> Any:
    """Read a file written by :func:`save` (or by MXNet): a list, or a dict if names were
    saved."""
    from .. import _fileformat

    return _from_loaded(_fileformat.load_arrays(fname))


def load_frombuffer(buf: bytes) -> Any:
    """Like :func:`load`, from bytes in memory."""
    from .. import _fileformat

    return _from_loaded(_fileformat.parse_arrays(buf))


# MXNet's aliases, helpers, update operators and extra NDArray methods (issue 16)
from . import extras as _extras  # noqa: E402
from .extras import *  # noqa: E402,F403
from .updates import *  # noqa: E402,F403

_extras._install_methods(globals())
