"""NDArray: one NumPy array, plus the tape node that produced it.

Operators reach NumPy through :func:`invoke`, the only place where recording happens.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from .. import _events
from .._tape import (
    _FREED,
    INPLACE_IN_GRAPH,
    NOT_RECORDED,
    STATE,
    Const,
    Node,
    bump,
    live,
    run_backward,
)
from ..base import MinigluonError
from ..context import Context, check_context
from ..ops import elementwise as ew, get_op, indexing as idx, shape as shp, unary as un

_CPU = Context._default
_DTYPES = {"float32", "float64", "float16", "uint8", "int8", "int32", "int64", "bool",
           "int16", "uint16", "uint32", "uint64", "bfloat16"}


class DTypeError(MinigluonError, TypeError):
    """An unknown or unsupported dtype."""


def _dtype(dtype: Any) -> np.dtype:
    """A NumPy dtype from MXNet's spellings, with an error naming an unknown one."""
    try:
        dt = np.dtype(dtype)
    except TypeError:
        dt = None
    if dt is None or dt.kind not in "biuf":
        raise DTypeError(f"unknown dtype {dtype!r}: minigluon arrays hold one of "
                        f"{', '.join(sorted(_DTYPES - {'bfloat16'}))}")
    return dt


class _Size1Array(np.ndarray):
    """What ``asnumpy()`` returns for a one-element array: a plain ndarray that also
    converts to a Python number, as NumPy < 2.4 allowed. The book writes
    ``'%f' % loss.mean().asnumpy()``; NumPy 2.4 refuses ``float()`` of a shape-(1,) array."""

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        return int(self.item())

    def __repr__(self) -> str:
        return repr(self.view(np.ndarray))

    def __str__(self) -> str:
        return str(self.view(np.ndarray))

    def __array_wrap__(self, obj: Any, context: Any = None, return_scalar: bool = False) -> Any:
        # results of arithmetic on it are plain arrays again
        obj = np.asarray(obj).view(np.ndarray)
        return obj[()] if return_scalar else obj


# ---- devices ----------------------------------------------------------------------------
# An array on cpu(0) stores no context: NDArray._ctx is left unset and `context` falls back
# to cpu(0). Only arrays placed elsewhere carry `_ctx`, and operators look at devices only
# once some array was ever placed elsewhere (`_multi`), so the common single-device step
# pays one global lookup per operator.
_multi = False


def _place(a: NDArray, ctx: Context) -> NDArray:
    """Put ``a`` on device ``ctx`` (a bookkeeping label: the data stays in host memory)."""
    global _multi
    if ctx == _CPU:
        if _multi:
            try:
                del a._ctx
            except AttributeError:
                pass
        return a
    _multi = True
    a._ctx = ctx
    return a


def _like(a: NDArray, y: NDArray) -> NDArray:
    """``y`` placed on ``a``'s device."""
    if _multi:
        c = getattr(a, "_ctx", None)
        if c is not None:
            y._ctx = c
    return y


def _place_out(y: NDArray, args: Sequence[NDArray], op: Any) -> NDArray:
    """Put an operator's result on its inputs' device, refusing a GPU array mixed with an
    array of another device as MXNet does. CPU ids may mix (MXNet allows it): the result
    goes to the first input's device."""
    first = getattr(args[0], "_ctx", _CPU)
    for i in range(1, len(args)):
        c = getattr(args[i], "_ctx", _CPU)
        if c is first or c == first:
            continue
        m0 = 2 if first.device_typeid == 2 else 1
        m1 = 2 if c.device_typeid == 2 else 1
        if m0 != m1 or m0 == 2:
            raise MinigluonError(
                f"Check failed: inputs[i]->ctx().dev_mask() == ctx.dev_mask() ({m1} vs. "
                f"{m0}) : Operator {getattr(op, 'name', type(op).__name__)} require all "
                f"inputs live on the same context. But the first argument is on {first} "
                f"while the {i + 1}-th argument is on {c}")
    if first is not _CPU:
        y._ctx = first
    return y


def _wrap(data: np.ndarray, node: Node | None, vc: list[int] | None = None) -> NDArray:
    a = NDArray.__new__(NDArray)
    a._data = data
    a._node = node
    a._vc = [0] if vc is None else vc
    return a


_SCALAR_OPS: dict[type, dict[Any, Any]] = {}
_RESHAPES: dict[tuple, Any] = {}


def _scalar_op(cls: type, s: Any) -> Any:
    """One operator instance per (class, scalar): loops reuse theirs instead of building it
    again at every step."""
    cache = _SCALAR_OPS.get(cls)
    if cache is None:
        cache = _SCALAR_OPS[cls] = {}
    # keyed by type too: 2 == 2.0 == True hash alike, and the operator shows its scalar
    # as given (``_plus_scalar(scalar=2)``, not the 2.0 of an earlier call)
    key = (s.__class__, s)
    op = cache.get(key)
    if op is None:
        op = _keep_op(cache, key, cls(s), s)
    return op


def _keep_op(cache: dict, key: Any, op: Any, s: Any) -> Any:
    """Store ``op`` (for scalar ``s``) in ``cache`` under ``key``, and return it. A float
    zero is not kept: -0.0 == 0.0 share a key but not a result (``x / -0.0`` is -inf)."""
    if s == 0 and s.__class__ is float:
        return op
    if len(cache) > 256:
        cache.clear()
    cache[key] = op
    return op


# ---- what a VJP reads -------------------------------------------------------------------
# A node keeps the version counters of the arrays its VJP reads, so that backward can refuse
# residuals changed in place since (``_tape._stale``). The VJP reads its residuals only, so
# an input (or the output) counts as read exactly when a residual shares its buffer: the
# operator's own forward declares it, no list of operators is kept. A residual that is a
# copy (a mask, a shape) does not tie the node to its input: ``z = x + d; d[:] = 0`` leaves
# the gradient of ``add`` right and is allowed.

_PLAIN = frozenset({int, float, bool, str, bytes, complex, slice, type(None), type(Ellipsis),
                    np.dtype, np.float32, np.float64, np.int64, np.int32, np.bool_})


def _root(a: Any) -> Any:
    """The object owning ``a``'s memory (through views, and as_strided's wrapper)."""
    b = a.base
    while b is not None:
        a = b
        b = getattr(b, "base", None)
    return a


def _aliased(res: Any, arrays: Sequence[np.ndarray]) -> int:
    """A bit mask of the ``arrays`` whose buffer a residual in ``res`` shares; -1 when a
    residual is of a kind that cannot be inspected (then every array may be read)."""
    hit = 0
    roots = None
    for r in res:
        c = r.__class__
        if c is not np.ndarray:
            if c in _PLAIN:
                continue
            if c is tuple or c is list or c is dict:
                if c is tuple:  # most often a shape: no call for that
                    for e in r:
                        if e.__class__ not in _PLAIN:
                            break
                    else:
                        continue
                m = _aliased(r.values() if c is dict else r, arrays)
                if m < 0:
                    return -1
                hit |= m
                continue
            if not isinstance(r, np.ndarray):
                if isinstance(r, (np.generic, numbers.Number, np.dtype)):
                    continue
                return -1
        bit = 1
        for a in arrays:
            if r is a:
                hit |= bit
                break
            bit <<= 1
        else:
            if roots is None:
                roots = [_root(a) for a in arrays]
            rr = _root(r)
            bit = 1
            for ra in roots:
                if rr is ra:
                    hit |= bit
                bit <<= 1
    return hit


def _reads(res: Any, arrays: Sequence[np.ndarray], vcs: Sequence[list[int]]
           ) -> tuple[tuple[int, list[int]], ...] | None:
    """``(position, version counter)`` of each array the VJP reads: input ``i`` is position
    ``i``, the output (last of ``arrays``) is position ``-1``. None when it reads none."""
    hit = _aliased(res, arrays)
    if not hit:
        return None
    last = len(arrays) - 1
    if hit == 1:  # the common case, a VJP that reads its first input: no loop
        return ((-1 if last == 0 else 0, vcs[0]),)
    reads = []
    for i in range(last + 1):
        if hit >> i & 1:
            reads.append((-1 if i == last else i, vcs[i]))
    return tuple(reads)


def invoke(op: Any, args: Sequence[NDArray]) -> NDArray:
    """Apply ``op`` to NDArrays: run its forward on their NumPy data and, when autograd is
    recording and some input is in the graph, put a node on the tape (:func:`record_op`)."""
    n = len(args)
    if n == 1:
        return _fast_path_1(op, args[0])
    if n == 2 and not op.view:
        return _fast_path_2(op, args[0], args[1])
    out, res = op.forward(*[a._data for a in args])
    if STATE.recording:
        y = record_op(op, res, args, out)
    else:
        y = _wrap(out, None, args[0]._vc if op.view else [0])
    return _place_out(y, args, op) if _multi else y


# ---- fast paths -------------------------------------------------------------------------
# invoke and record_op written out for one and for two inputs: the same result, with no
# intermediate lists, tuples or calls. Most operators of a training loop have one or two
# inputs, and benchmarks/run.py measured these paths 25-45% faster per operator (W1, W3).
# The residuals of most VJPs are exactly their inputs or output (``saves`` "x0", "x1",
# "y"), which an identity test settles without calling _reads. tests/test_invoke.py checks
# that they record the same nodes as record_op.

def _fast_path_1(op: Any, a: NDArray) -> NDArray:
    x = a._data
    out, res = op.forward(x)
    vc = a._vc if op.view else [0]
    node = a._node
    if node is not None and STATE.recording and node.res is not _FREED:
        # (an array of a graph that backward freed is data: see _tape.live)
        if not res:
            reads = None
        elif len(res) == 1 and (res[0] is x or res[0] is out):  # reads x, or reads y
            reads = ((0, a._vc),) if res[0] is x else ((-1, vc),)
        else:
            reads = _reads(res, (x, out), (a._vc, vc))
        node = Node(op, res, (node,), out.shape, out.dtype, reads)
        tape = STATE.tape
        if tape is not None:
            tape.nodes.append(node)
    else:
        node = None
    y = _new(NDArray)
    y._data, y._node, y._vc = out, node, vc
    if _multi:
        c = getattr(a, "_ctx", None)
        if c is not None:
            y._ctx = c
    return y


def _fast_path_2(op: Any, a: NDArray, b: NDArray) -> NDArray:
    xa, xb = a._data, b._data
    out, res = op.forward(xa, xb)
    vc = [0]
    node = None
    na, nb = a._node, b._node
    if (na is not None or nb is not None) and STATE.recording:
        if na is not None and na.res is _FREED:  # freed graph: data now (_tape.live)
            na = a._node = None
        if nb is not None and nb.res is _FREED:
            nb = b._node = None
        if na is not None or nb is not None:
            if nb is None:  # data inputs are recorded as such, and the VJP may skip them
                parents, needs = (na, _const(b)), (True, False)
            elif na is None:
                parents, needs = (_const(a), nb), (False, True)
            else:
                parents, needs = (na, nb), None
            if not res:
                reads = None
            elif len(res) == 2 and res[0] is xa and res[1] is xb and xa is not xb:
                reads = ((0, a._vc), (1, b._vc))  # reads both inputs (a * b, a / b, dot)
            else:
                reads = _reads(res, (xa, xb, out), (a._vc, b._vc, vc))
            node = Node(op, res, parents, out.shape, out.dtype, reads, needs)
            tape = STATE.tape
            if tape is not None:
                tape.nodes.append(node)
    y = _new(NDArray)
    y._data, y._node, y._vc = out, node, vc
    return _place_out(y, (a, b), op) if _multi else y


_new = object.__new__


def record_op(op: Any, res: Any, args: Sequence[NDArray], out: np.ndarray) -> NDArray:
    """Wrap ``out`` (computed by ``op`` from ``args``) and put its node on the tape.

    Inputs outside the graph (data) become :class:`Const` parents, and the node says which
    parents need a gradient, so the VJP can skip the others. The node also keeps the
    version counters of the inputs and output its residuals share memory with
    (:func:`_reads`): backward refuses them once written in place."""
    vc = args[0]._vc if op.view else [0]
    # an array of a graph that backward freed is data (_tape.live)
    nodes = [a._node if live(a) else None for a in args]
    if nodes.count(None) == len(nodes):  # data only: nothing to differentiate
        return _wrap(out, None, vc)
    needs = tuple(n is not None for n in nodes)
    parents = tuple(n if n is not None else _const(a) for a, n in zip(args, nodes))
    node = Node(op, res, parents, out.shape, out.dtype,
                _reads(res, (*[a._data for a in args], out), (*[a._vc for a in args], vc))
                if res else None,
                None if False not in needs else needs)
    tape = STATE.tape
    if tape is not None:
        tape.nodes.append(node)
    return _wrap(out, node, vc)


def _write_out(out: NDArray, result: NDArray) -> NDArray:
    """Copy ``result`` into ``out`` (an ``out=`` argument) and return ``out``."""
    if not isinstance(out, NDArray):
        raise TypeError(f"out= must be an NDArray, got {type(out).__name__}")
    if out.shape != result.shape or out._data.dtype != result._data.dtype:
        raise MinigluonError(
            f"Incompatible attr for out=: the result has shape {result.shape} and dtype "
            f"{result._data.dtype.name}, but out has shape {out.shape} and dtype "
            f"{out._data.dtype.name}")
    out[:] = result
    return out


def _const(a: NDArray) -> Const:
    """The record of a data input, made once per array (data is reused across steps)."""
    c = getattr(a, "_const", None)
    if c is None:
        c = a._const = Const(id(a), a._data.shape, a._data.dtype)
        if _multi and hasattr(a, "_ctx"):  # the device, for the instruments' pictures
            c.ctx = a._ctx
    return c


def _scalar(x: Any) -> Any:
    """A Python number for an int/float/bool/NumPy scalar; None for anything else."""
    t = type(x)
    if t is float or t is int:
        return x
    if isinstance(x, (np.generic, numbers.Number)) and np.ndim(x) == 0:
        return x.item() if isinstance(x, np.generic) else x
    return None


def as_ndarray(x: Any, like: NDArray | None = None) -> NDArray:
    """An NDArray from an NDArray, NumPy array, list or scalar (dtype of ``like``, if any)."""
    if isinstance(x, NDArray):
        return x
    try:
        src = np.asarray(x)
        if src.dtype.kind not in "biuf":
            raise TypeError
    except (TypeError, ValueError):
        raise TypeError(f"type {type(x)} not supported: expected an NDArray, a NumPy array, "
                        "a list or a number") from None
    # take the other operand's dtype when that loses nothing of kind (float64 -> float32),
    # otherwise convert as nd.array does and let the operator promote
    if like is not None and np.can_cast(src.dtype, like._data.dtype, "same_kind"):
        return _like(like, _wrap(src.astype(like._data.dtype), None))
    y = _wrap(src.astype(np.float32), None)
    return y if like is None else _like(like, y)


def _arith(name: str, op: Any, scalar_op: type, reflected: bool = False) -> Any:
    """The NDArray method ``name`` (``__add__``...): ``x op o``, or ``o op x`` when
    ``reflected``, with ``op`` for an array ``o`` and ``scalar_op`` for a number.

    The two common cases go straight to invoke's fast paths, in this one call: an array
    (``op`` has two inputs and is no view), and a Python float or int, whose operator
    this method keeps per value (a loop multiplies by the same few numbers at every
    step; kept by type, as 2 == 2.0 but ``_plus_scalar(scalar=2)`` shows its 2)."""
    floats: dict[float, Any] = {}
    ints: dict[int, Any] = {}

    def method(self: NDArray, o: Any) -> NDArray:
        c = o.__class__
        if c is NDArray:
            return _fast_path_2(op, o, self) if reflected else _fast_path_2(op, self, o)
        if c is float:
            sop = floats.get(o)
            return _fast_path_1(sop if sop is not None else
                                _keep_op(floats, o, scalar_op(o), o), self)
        if c is int:
            sop = ints.get(o)
            return _fast_path_1(sop if sop is not None else
                                _keep_op(ints, o, scalar_op(o), o), self)
        s = _scalar(o)  # NumPy scalars, bools: Python numbers, through the shared cache
        if s is not None:
            return _fast_path_1(_scalar_op(scalar_op, s), self)
        b = as_ndarray(o, self)
        return invoke(op, (b, self) if reflected else (self, b))

    method.__name__ = method.__qualname__ = name
    return method


_ADD, _SUB, _MUL, _DIV = ew.Add(), ew.Sub(), ew.Mul(), ew.Div()
_POW, _MOD = ew.Pow(), ew.Mod()
_CMP = {n: get_op(f"broadcast_{n}")()
        for n in ("equal", "not_equal", "greater", "greater_equal", "lesser", "lesser_equal")}
_CMP_SCALAR = {n: get_op(f"_{n}_scalar") for n in _CMP}
_NEG = get_op("negative")()


def _compare(a: NDArray, b: Any, name: str) -> NDArray:
    if b is None:
        raise TypeError(f"cannot compare an NDArray with None (operator {name})")
    s = _scalar(b)
    if s is not None:
        return invoke(_scalar_op(_CMP_SCALAR[name], s), (a,))
    return invoke(_CMP[name], (a, as_ndarray(b, a)))


class NDArray:
    """An n-dimensional array on the CPU, with MXNet's NDArray interface.

    Create one with :func:`minigluon.nd.array`, :func:`~minigluon.nd.zeros` and friends.

    Examples
    --------
    >>> from minigluon import nd
    >>> x = nd.arange(6).reshape((2, 3))
    >>> x
    <BLANKLINE>
    [[0. 1. 2.]
     [3. 4. 5.]]
    <NDArray 2x3 @cpu(0)>
    >>> x.sum(axis=1)
    <BLANKLINE>
    [ 3. 12.]
    <NDArray 2 @cpu(0)>
    """

    # _ctx is set only on arrays off cpu(0) (see _place)
    __slots__ = ("_data", "_node", "_vc", "_const", "_ctx", "__weakref__")
    # NumPy defers to our reflected operators (np.float32(2) * x is an NDArray)
    __array_priority__ = 1000.0

    _data: np.ndarray
    _node: Node | None
    _vc: list[int]

    def __init__(self, data: Any = None, ctx: Context | None = None, dtype: Any = None) -> None:
        ctx = check_context(ctx, "_array")
        self._data = np.array(data, dtype=_dtype(dtype) if dtype is not None else np.float32)
        self._node = None
        self._vc = [0]
        _place(self, ctx)

    # ---- basic attributes --------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        """The shape, a tuple of ints."""
        return self._data.shape

    @property
    def size(self) -> int:
        """The number of elements."""
        return self._data.size

    @property
    def ndim(self) -> int:
        """The number of dimensions."""
        return self._data.ndim

    @property
    def dtype(self) -> type:
        """The element type as a NumPy scalar class (``numpy.float32``), as MXNet returns it."""
        return self._data.dtype.type

    @property
    def context(self) -> Context:
        """The device the array is on (``cpu(0)`` unless placed elsewhere)."""
        return getattr(self, "_ctx", _CPU)

    ctx = context

    @property
    def stype(self) -> str:
        """Storage type; always ``'default'`` (dense)."""
        return "default"

    @property
    def T(self) -> NDArray:
        """The transpose (axes reversed)."""
        return invoke(shp.Transpose(), (self,))

    @property
    def grad(self) -> NDArray | None:
        """The gradient buffer, or None before :meth:`attach_grad`."""
        node = self._node
        if node is None or node.op is not None:
            return None
        return node.grad

    @property
    def handle(self) -> NDArray:
        return self

    def __repr__(self) -> str:
        shape = "x".join(str(s) for s in self._data.shape)
        return f"\n{self._data}\n<NDArray {shape} @{self.context}>"

    __str__ = __repr__

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d NDArray")
        return self._data.shape[0]

    def __iter__(self) -> Iterator[NDArray]:
        for i in range(len(self)):
            yield self[i]

    def __hash__(self) -> int:
        return id(self)

    def __bool__(self) -> bool:
        if self._data.size == 0:  # as MXNet: an empty array is false
            return False
        if self._data.size != 1:
            raise ValueError("The truth value of an NDArray with multiple elements is "
                             "ambiguous.")
        return bool(self._data.reshape(-1)[0])

    def __float__(self) -> float:
        if _events.ACTIVE:
            _events.emit("to_numpy", self, "float(x)")
        return float(self._scalar())

    def __int__(self) -> int:
        return int(self.asscalar())

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub":
            raise TypeError("only integer NDArrays can be used as an index")
        return int(self.asscalar())

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        # A copy, as MXNet's (which goes through asnumpy): writing into what np.asarray(x)
        # returns must not change x behind the version counter, or a graph that saved x
        # would give a silently wrong gradient. copy=False (NumPy 2: "never copy") gets a
        # read-only view instead, which cannot be written either.
        if _events.ACTIVE:
            _events.emit("to_numpy", self, "np.asarray(x)")
        data = self._data
        if dtype is not None and np.dtype(dtype) != data.dtype:
            if copy is False:
                raise ValueError(f"np.asarray(x, dtype={np.dtype(dtype).name}, copy=False): "
                                 f"an NDArray of dtype {data.dtype.name} cannot be converted "
                                 "without a copy")
            return data.astype(dtype)
        if copy is False:
            view = data.view()
            view.flags.writeable = False
            return view
        return data.copy()

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        # np.exp(x) on an NDArray runs (and records) minigluon's operator
        fn = self._ufuncs.get(ufunc.__name__)
        if method != "__call__" or fn is None or kwargs:
            out = kwargs.get("out")
            outs = out if isinstance(out, tuple) else (out,)
            if any(isinstance(o, NDArray) for o in outs):
                # MXNet raises this TypeError too; writing into x's buffer here would
                # also bypass its version counter
                raise TypeError(
                    f"return arrays must be of ArrayType: np.{ufunc.__name__}(..., out=x) "
                    "cannot write into an NDArray. Write x[:] = "
                    f"np.{ufunc.__name__}(...), or use the nd operator with out=x")
            if method == "at" and isinstance(inputs[0], NDArray):
                raise TypeError(
                    f"first operand must be array: np.{ufunc.__name__}.at cannot change an "
                    "NDArray in place; change x.asnumpy() and assign it back with x[:] = ...")
            plain = [i.asnumpy() if isinstance(i, NDArray) else i for i in inputs]
            return getattr(ufunc, method)(*plain, **kwargs)
        return fn(*inputs)

    # ---- conversion --------------------------------------------------------------------
    def asnumpy(self) -> np.ndarray:
        """A NumPy copy with the same shape and dtype."""
        if _events.ACTIVE:
            _events.emit("to_numpy", self, "x.asnumpy()")
        out = self._data.copy()
        if out.size == 1 and out.ndim:
            return out.view(_Size1Array)
        return out

    def asscalar(self) -> Any:
        """The value of a one-element array as a NumPy scalar."""
        if _events.ACTIVE:
            _events.emit("to_numpy", self, "x.asscalar()")
        return self._scalar()

    def _scalar(self) -> Any:
        if self._data.size != 1:
            raise ValueError("The current array is not a scalar")
        return self._data.reshape(-1)[0]

    def item(self) -> Any:
        """The value of a one-element array as a Python number."""
        return self.asscalar().item()

    def tolist(self) -> Any:
        return self._data.tolist()

    def astype(self, dtype: Any, copy: bool = True) -> NDArray:
        """Cast to ``dtype`` (a new array unless ``copy=False`` and nothing changes)."""
        dt = _dtype(dtype)
        if not copy and dt == self._data.dtype:
            return self
        return invoke(un.Cast(dtype=dt.name), (self,))

    def copy(self) -> NDArray:
        """A copy (recorded: gradients flow through it)."""
        return invoke(un.Copy(), (self,))

    def copyto(self, other: Context | NDArray) -> NDArray:
        """Copy into another NDArray (returned), or to a context (a new array)."""
        if isinstance(other, NDArray):
            if other.shape != self.shape:
                raise MinigluonError(f"copyto: shape mismatch, source {self.shape} vs "
                                     f"target {other.shape}")
            other[:] = self
            return other
        ctx = check_context(other, "_copyto")
        if not isinstance(ctx, Context):
            raise TypeError(f"copyto does not support type {type(other).__name__}: expected "
                            "an NDArray or a Context")
        # a recorded copy: the gradient flows back to the source's device
        y = _place(invoke(un.Copy(), (self,)), ctx)
        if y._node is not None:
            y._node.ctx = ctx  # where the copy lands (the instruments draw it as a copy)
        return y

    def as_in_context(self, context: Context) -> NDArray:
        """The array on ``context``: itself when it is already there, else a copy."""
        if self.context == context:
            return self
        return self.copyto(context)

    as_in_ctx = as_in_context

    def wait_to_read(self) -> None:
        """Nothing to wait for: minigluon computes eagerly."""

    wait_to_write = wait_to_read

    def zeros_like(self) -> NDArray:
        if STATE.recording:  # recorded as in MXNet: a head made from it reaches self
            return invoke(get_op("_fill_like")(0.0), (self,))
        return _like(self, _wrap(np.zeros_like(self._data), None))

    def ones_like(self) -> NDArray:
        if STATE.recording:
            return invoke(get_op("_fill_like")(1.0), (self,))
        return _like(self, _wrap(np.ones_like(self._data), None))

    def reshape(self, *shape: Any, reverse: bool = False, **kwargs: Any) -> NDArray:
        """A view with a new shape; takes a tuple or ints, with MXNet's codes 0 and -1."""
        if kwargs:
            if "shape" not in kwargs:
                raise TypeError(f"reshape got unexpected arguments {sorted(kwargs)}")
            shape = kwargs.pop("shape")
            if kwargs:
                raise TypeError(f"reshape got unexpected arguments {sorted(kwargs)}")
        elif len(shape) == 1 and shape[0].__class__ is not int and \
                not isinstance(shape[0], np.integer):
            shape = shape[0]  # x.reshape((2, 3)), most often a tuple already
        if shape.__class__ is not tuple:
            shape = tuple(shape)
        key = (shape, reverse)
        op = _RESHAPES.get(key)
        if op is None:  # loops reshape to the same few shapes: keep their operators
            if len(_RESHAPES) > 256:
                _RESHAPES.clear()
            op = _RESHAPES[key] = shp.Reshape(shape=shape, reverse=reverse)
        try:
            return invoke(op, (self,))
        except shp.ReshapeError as e:
            # MXNet's NDArray.reshape checks a smaller size itself (ValueError); a larger
            # one, and any while recording (its operator runs), fail in C++: MXNetError
            if STATE.recording or not e.smaller:
                raise
            raise ValueError(str(e)) from None

    def reshape_like(self, other: NDArray) -> NDArray:
        return self.reshape(other.shape)

    def transpose(self, *axes: Any) -> NDArray:
        """Permute the axes (reverse them by default)."""
        if len(axes) == 1 and not isinstance(axes[0], (int, np.integer)):
            axes = axes[0]
        return invoke(shp.Transpose(axes=tuple(axes) if axes else None), (self,))

    # ---- autograd ----------------------------------------------------------------------
    def attach_grad(self, grad_req: str = "write", stype: str | None = None) -> None:
        """Allocate a zero gradient buffer and make this array a variable of the graph.

        ``grad_req='write'`` overwrites ``.grad`` at every backward, ``'add'`` accumulates
        into it until you zero it, ``'null'`` computes no gradient.
        """
        if grad_req not in ("write", "add", "null"):
            raise ValueError(f"grad_req must be 'write', 'add' or 'null', got {grad_req!r}")
        if _events.ACTIVE:
            _events.emit("attach_grad", self)
        leaf = Node(None, None, (), self._data.shape, self._data.dtype)
        leaf.grad = _like(self, _wrap(np.zeros_like(self._data), None))
        leaf.grad_req = grad_req
        if _multi and hasattr(self, "_ctx"):
            leaf.ctx = self._ctx
        self._node = leaf

    def _set_grad(self, buffer: NDArray, grad_req: str) -> None:
        leaf = Node(None, None, (), self._data.shape, self._data.dtype)
        leaf.grad = buffer
        leaf.grad_req = grad_req
        if _multi and hasattr(self, "_ctx"):
            leaf.ctx = self._ctx
        self._node = leaf

    def backward(self, out_grad: NDArray | None = None, retain_graph: bool = False,
                 train_mode: bool = True) -> None:
        """Compute the gradients of this array with respect to the variables.

        A non-scalar head is treated as the sum of its elements (``out_grad`` of ones).
        Without ``retain_graph`` the graph is freed afterwards.
        """
        if _events.ACTIVE:
            _events.emit("backward", [self])
        _backward([self], None if out_grad is None else [out_grad], retain_graph, train_mode)

    def detach(self) -> NDArray:
        """The same data (shared memory), cut from the graph."""
        return _like(self, _wrap(self._data, None, self._vc))

    @property
    def _fresh_grad(self) -> bool:
        """Whether a backward wrote ``.grad`` since the flag was last cleared (as MXNet's
        ``NDArray._fresh_grad``); False for an array without a gradient."""
        node = self._node
        return node is not None and node.op is None and node.fresh

    @_fresh_grad.setter
    def _fresh_grad(self, state: bool) -> None:
        node = self._node
        if node is not None and node.op is None:
            node.fresh = bool(state)

    def _assign_(self, ufunc: Any, value: Any) -> NDArray:
        """Write ``ufunc(self, value)`` into this array's own buffer (``value`` itself when
        ``ufunc`` is None), outside the recorded graph, and count the write in the array's
        version as ``x[:] = value`` does, so a graph that saved the old values is refused.
        For optimizers and layers that update state; returns the array."""
        data = self._data
        v = value._data if value.__class__ is NDArray else value
        if ufunc is None:
            np.copyto(data, v, casting="unsafe")
        else:
            ufunc(data, v, out=data, casting="unsafe")
        bump(self._vc)
        return self

    # ---- indexing ----------------------------------------------------------------------
    def __getitem__(self, key: Any) -> NDArray:
        key = _index_key(key)
        basic = idx._is_basic(key)
        op = idx.GetItem(key)
        if basic:
            # a basic index is a view: writes through it reach this array
            y = invoke(op, (self,))
            if y._data.base is not None:
                y._vc = self._vc
            return y
        try:
            return invoke(op, (self,))
        except IndexError as e:
            raise IndexError(str(e)) from None

    def __setitem__(self, key: Any, value: Any) -> None:
        if key.__class__ is slice and value.__class__ is NDArray and key == _ALL and \
                not STATE.recording and value._data.shape == self._data.shape:
            # x[:] = y of the same shape, outside record (every SGD update): a plain copy
            # (an assignment casts as np.copyto(casting="unsafe"), in a third of its time)
            self._data[...] = value._data
            bump(self._vc)
            return
        key = _index_key(key)
        rec = STATE.recording
        if rec and self._node is not None and live(self):
            raise MinigluonError(INPLACE_IN_GRAPH)
        data = self._data
        if isinstance(value, NDArray):
            v = value._data
        elif data.dtype.kind in "iu" and isinstance(value, (int, float, np.number)) and \
                not isinstance(value, (bool, np.bool_)):
            # MXNet truncates and wraps around, C style: -2.87 is 254 in uint8 (NumPy
            # 2 raises OverflowError for -2)
            v = np.asarray(np.trunc(value)).astype(np.int64).astype(data.dtype)
        else:
            v = value
        try:
            if isinstance(v, np.ndarray) and not isinstance(v, _Size1Array) and \
                    data[key].shape != v.shape and data[key].size == v.size and v.ndim:
                v = v.reshape(data[key].shape)  # (1, 4) into a row of 4, as MXNet allows
            data[key] = v
        except ValueError as e:
            raise ValueError(f"cannot assign a value of shape {np.shape(v)} to "
                             f"x[{key!r}] of shape {np.shape(data[key])}: {e}") from None
        bump(self._vc)
        if rec and isinstance(value, NDArray) and value._node is not None and live(value):
            node = Node(idx.SliceAssign(key, data.shape), (value._data.shape,),
                        (value._node,), data.shape, data.dtype)
            self._node = node
            if STATE.tape is not None:
                STATE.tape.nodes.append(node)

    def _inplace(self, result: NDArray) -> NDArray:
        if STATE.recording and self._node is not None and live(self):
            raise MinigluonError(INPLACE_IN_GRAPH)
        data = self._data
        r = result._data
        if r.shape != data.shape:
            try:
                r = np.broadcast_to(r, data.shape)
            except ValueError:
                raise MinigluonError(f"Shape inconsistent: in-place operation on an array of "
                                     f"shape {data.shape} with a result of shape "
                                     f"{result.shape}") from None
        np.copyto(data, r, casting="unsafe")
        bump(self._vc)
        if STATE.recording and result._node is not None:
            self._node = result._node  # outside the graph before: now it is that result
        return self

    # ---- arithmetic --------------------------------------------------------------------
    __add__ = _arith("__add__", _ADD, ew.AddScalar)
    __radd__ = _arith("__radd__", _ADD, ew.AddScalar, True)
    __sub__ = _arith("__sub__", _SUB, ew.SubScalar)
    __rsub__ = _arith("__rsub__", _SUB, ew.RSubScalar, True)
    __mul__ = _arith("__mul__", _MUL, ew.MulScalar)
    __rmul__ = _arith("__rmul__", _MUL, ew.MulScalar, True)
    __truediv__ = _arith("__truediv__", _DIV, ew.DivScalar)
    __rtruediv__ = _arith("__rtruediv__", _DIV, ew.RDivScalar, True)
    __div__, __rdiv__ = __truediv__, __rtruediv__
    __mod__ = _arith("__mod__", _MOD, ew.ModScalar)
    __rmod__ = _arith("__rmod__", _MOD, ew.RModScalar, True)
    __pow__ = _arith("__pow__", _POW, ew.PowScalar)
    __rpow__ = _arith("__rpow__", _POW, ew.RPowScalar, True)

    def __neg__(self) -> NDArray:
        return _fast_path_1(_NEG, self)

    def __pos__(self) -> NDArray:
        return self

    def __abs__(self) -> NDArray:
        return self.abs()  # type: ignore[attr-defined]

    def __iadd__(self, o: Any) -> NDArray:
        return self._inplace(self + o)

    def __isub__(self, o: Any) -> NDArray:
        return self._inplace(self - o)

    def __imul__(self, o: Any) -> NDArray:
        return self._inplace(self * o)

    def __itruediv__(self, o: Any) -> NDArray:
        return self._inplace(self / o)

    def __imod__(self, o: Any) -> NDArray:
        return self._inplace(self % o)

    def __eq__(self, o: Any) -> NDArray:  # type: ignore[override]
        if o is None:
            return False  # type: ignore[return-value]
        return _compare(self, o, "equal")

    def __ne__(self, o: Any) -> NDArray:  # type: ignore[override]
        if o is None:
            return True  # type: ignore[return-value]
        return _compare(self, o, "not_equal")

    def __gt__(self, o: Any) -> NDArray:
        return _compare(self, o, "greater")

    def __ge__(self, o: Any) -> NDArray:
        return _compare(self, o, "greater_equal")

    def __lt__(self, o: Any) -> NDArray:
        return _compare(self, o, "lesser")

    def __le__(self, o: Any) -> NDArray:
        return _compare(self, o, "lesser_equal")


_ALL = slice(None)


# ---- the engine call behind NDArray.backward and autograd.backward / grad ------------------

def _as_list(x: Any) -> list:
    return list(x) if isinstance(x, (list, tuple)) else [x]


#: read-only head gradients of ones for small heads, per (shape, dtype): see _seeds
_ONES: dict[tuple, np.ndarray] = {}


def _shared_ones(a: np.ndarray) -> np.ndarray:
    """A read-only array of ones like ``a``, made once per shape and dtype."""
    key = (a.shape, a.dtype)
    ones = _ONES.get(key)
    if ones is None:
        if len(_ONES) >= 64:
            _ONES.clear()
        ones = _ONES[key] = np.ones_like(a)
        ones.flags.writeable = False
    return ones


def _seeds(heads: list[NDArray], head_grads: Any, shared: bool = False
           ) -> tuple[list[Node], list[Any]]:
    """The heads' nodes and the gradients they start from (ones unless given).

    With ``shared`` (``y.backward()``, whose gradients end in ``.grad`` buffers) a small
    head starts from a cached read-only array of ones instead of a new one: making it
    costs about as much as one small operator. Nothing may write into a gradient it was
    handed (a VJP's ``g`` may be shared with other nodes already), and the tape adds into
    a gradient in place only when it is writeable, so read-only only makes a mistake
    loud; ``autograd.grad`` returns gradients to the caller, so it keeps fresh arrays.
    """
    if head_grads is None and len(heads) == 1:  # y.backward(): one head, ones
        h = heads[0]
        node = h._node if h.__class__ is NDArray else None
        if node is not None:
            d = h._data
            return [node], [_shared_ones(d) if shared and d.size <= 4096 else np.ones_like(d)]
    roots, seeds = [], []
    hgs = [None] * len(heads) if head_grads is None else _as_list(head_grads)
    if len(hgs) != len(heads):
        raise ValueError(f"got {len(hgs)} head gradients for {len(heads)} heads")
    for i, (h, hg) in enumerate(zip(heads, hgs)):
        if not isinstance(h, NDArray):
            raise TypeError(f"head {i} is a {type(h).__name__}, not an NDArray")
        if h._node is None:
            raise MinigluonError(NOT_RECORDED)
        if hg is None:
            d = h._data
            seed = _shared_ones(d) if shared and d.size <= 4096 else np.ones_like(d)
        else:
            hgd = hg._data if isinstance(hg, NDArray) else np.asarray(hg)
            if hgd.shape != h.shape:
                raise ValueError(f"head gradient {i} has shape {hgd.shape} but the head has "
                                 f"shape {h.shape}; they must be equal")
            seed = hgd.astype(h._data.dtype, copy=False)
            if STATE.recording and isinstance(hg, NDArray) and hg._node is not None:
                seed = hg
        if h._node in roots:
            # MXNet gives a head listed twice the gradient of its last occurrence (the
            # head gradients replace each other, they are not summed)
            seeds[roots.index(h._node)] = seed
            continue
        roots.append(h._node)
        seeds.append(seed)
    return roots, seeds


def _backward(heads: list[NDArray], head_grads: Any, retain_graph: bool, train_mode: bool
              ) -> None:
    """Write the gradients of ``heads`` into the variables' ``.grad`` buffers."""
    roots, seeds = _seeds(heads, head_grads, shared=True)
    prev = STATE.training
    STATE.training = train_mode
    try:
        run_backward(roots, seeds, retain_graph)
    finally:
        STATE.training = prev


def _index_key(key: Any) -> Any:
    """Turn NDArray and list indices into integer NumPy arrays (floats truncate, as MXNet)."""
    if not isinstance(key, tuple):
        key = (key,)
    out = []
    for k in key:
        if isinstance(k, NDArray):
            k = k._data.astype(np.int64)
        elif isinstance(k, list):
            k = np.asarray(k)
            if k.dtype.kind == "f":
                k = k.astype(np.int64)
        elif isinstance(k, np.ndarray) and k.dtype.kind == "f":
            k = k.astype(np.int64)
        elif isinstance(k, np.integer):
            k = int(k)
        out.append(k)
    return tuple(out)


__all__ = ["NDArray", "invoke"]
