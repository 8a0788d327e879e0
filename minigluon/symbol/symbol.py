"""``Symbol``: a graph of operators built before any data exists, in MXNet 1.9.1's format.

A symbol is a list of outputs ``(node, index)`` of a DAG of :class:`_Node`. A node is a
variable (``op == "null"``) or an operator application with MXNet's operator name and its
parameters, both as Python values (to run it) and as MXNet's attribute strings (to write
it). Every operator of the registry is available as ``sym.<name>`` (see
:mod:`minigluon.symbol`), and a symbol runs on NDArrays through the same operators as
``nd`` (:meth:`Symbol.eval`), so autograd records it like imperative code.
"""

from __future__ import annotations

import ast
import json
import os
import traceback
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import attrs
import numpy as np

from .. import autograd, ndarray as nd
from ..base import MinigluonError
from ..ops import OPS, Op

__all__ = ["Symbol", "var", "Variable", "Group", "load", "load_json", "MXNET_VERSION"]

#: the ``mxnet_version`` written in every graph file (MXNet 1.9.1)
MXNET_VERSION = 10901

# MXNet's numeric dtype codes (mshadow's type flags), as ``__dtype__`` stores them
_DTYPE_CODES = {"float32": 0, "float64": 1, "float16": 2, "uint8": 3, "int32": 4, "int8": 5,
                "int64": 6, "bool": 7}
_CODE_DTYPES = {v: k for k, v in _DTYPE_CODES.items()}


def _attr_str(v: Any) -> str:
    """A parameter as MXNet's Python frontend writes it into the graph: ``str(value)``."""
    if isinstance(v, np.dtype):
        return v.name
    if isinstance(v, type) and issubclass(v, np.generic):
        return np.dtype(v).name
    return str(v)


def _attr_value(s: str) -> Any:
    """An attribute string read back to a Python value (``"(3, 3)"`` -> ``(3, 3)``;
    words such as ``"relu"`` stay strings)."""
    try:
        return ast.literal_eval(s)
    except (ValueError, SyntaxError, RecursionError, MemoryError):  # (nested too deep)
        return s


@attrs.define(eq=False)
class _Node:
    """One node of a graph: a variable (``op == "null"``) or an operator application."""

    op: str
    name: str
    attrs: dict[str, str]
    inputs: list[tuple[_Node, int]]
    nout: int = 1          # outputs, hidden ones included (node_row_ptr counts them)
    nvisible: int = 1      # outputs that list_outputs and indexing see
    aux: tuple[int, ...] = ()   # input positions that are auxiliary states
    params: dict[str, Any] | None = None   # the parameters as Python values, to run it


# ---- naming ---------------------------------------------------------------------------

_COUNTERS: dict[str, int] = {}
#: the name scopes entered (MXNet's ``Prefix`` name managers): prefix and own counters
_SCOPES: list[tuple[str, dict[str, int]]] = []


def _auto_name(hint: str) -> str:
    """MXNet's NameManager: ``<hint><n>`` with one counter per hint (per scope)."""
    prefix, counters = _SCOPES[-1] if _SCOPES else ("", _COUNTERS)
    n = counters.get(hint, 0)
    counters[hint] = n + 1
    return f"{prefix}{hint}{n}"


class prefix_scope:
    """Names made inside start with ``prefix`` (an explicit ``name=`` too), with counters
    of their own: what a Gluon block's name scope does to the symbols it creates."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def __enter__(self) -> None:
        _SCOPES.append((self.prefix, {}))

    def __exit__(self, *exc: object) -> None:
        _SCOPES.pop()


# ---- the operator table -----------------------------------------------------------------

@attrs.frozen
class OpSpec:
    """How a graph operator is declared and run.

    ``inputs`` are its array inputs in order (``"*data"`` a variable number), ``aux`` the
    positions that are auxiliary states, ``nout`` its output count (an int, or a function
    of the parameters), ``nvisible`` the outputs a user sees, ``run`` the function that
    computes it on NDArrays (inputs first, then the parameters as keywords).
    """

    op: str
    inputs: tuple[str, ...]
    run: Callable[..., Any]
    aux: tuple[int, ...] = ()
    nout: Any = 1
    nvisible: Any = 1
    optional: Callable[[dict[str, Any]], tuple[str, ...]] = lambda p: ()
    var_attrs: dict[str, dict[str, str]] = attrs.field(factory=dict)
    cls: Any = None   # the registry's operator class, when run straight from it

    def counts(self, params: dict[str, Any]) -> tuple[int, int]:
        n = self.nout(params) if callable(self.nout) else self.nout
        v = self.nvisible(params) if callable(self.nvisible) else self.nvisible
        return n, v


#: graph operators by MXNet's name
SPECS: dict[str, OpSpec] = {}


def _registry_runner(cls: type[Op]) -> Callable[..., Any]:
    fields = {f.name for f in attrs.fields(cls)} if attrs.has(cls) else set()

    def run(*arrays: Any, **params: Any) -> Any:
        kw = {k: v for k, v in params.items() if k in fields}
        if "scalar" in kw:
            kw["scalar"] = float(kw["scalar"])
        ref = next((a for a in arrays if isinstance(a, nd.NDArray)), None)
        return nd.invoke(cls(**kw), [nd.ndarray.as_ndarray(a, ref) for a in arrays])

    return run


# registry names whose MXNet (canonical) operator name differs
_MXNET_NAMES = {"flatten": "Flatten", "reshape": "Reshape", "concat": "Concat",
                "cast": "Cast", "swapaxes": "SwapAxis", "blockgrad": "BlockGrad",
                "identity": "_copy", "flip": "reverse"}


def _spec_from_registry(cls: type[Op]) -> OpSpec:
    return OpSpec(op=_MXNET_NAMES.get(cls.name.lower(), cls.name), inputs=cls.inputs,
                  run=_registry_runner(cls), cls=cls)


def _no_bias(p: dict[str, Any]) -> tuple[str, ...]:
    return ("bias",) if p.get("no_bias") else ()


# MXNet's fused RNN (the gluon.rnn layers): a state_cell for an LSTM only, a
# sequence_length with use_sequence_length; [output, h_T(, c_T)] with state_outputs
def _rnn_optional(p: dict[str, Any]) -> tuple[str, ...]:
    return (("state_cell",) if p.get("mode") != "lstm" else ()) + \
        (() if p.get("use_sequence_length") else ("sequence_length",))


def _rnn_nout(p: dict[str, Any]) -> int:
    return (3 if p.get("mode") == "lstm" else 2) if p.get("state_outputs") else 1


def _rnn_run(*xs: Any, **p: Any) -> Any:
    xs = list(xs)
    if p.get("mode") != "lstm":
        xs.insert(3, None)  # no state_cell: a sequence_length comes after it
    return nd.RNN(*xs, **p)


_RNN_OUTPUTS = ("output", "state_output", "statecell_output")


def _handwritten() -> None:
    """The operators whose ``nd`` function is written by hand (MXNet's layer operators),
    and the symbol-with-symbol arithmetic that ``Symbol``'s operators produce."""
    specs = [
        OpSpec("FullyConnected", ("data", "weight", "bias"), nd.FullyConnected,
               optional=_no_bias),
        OpSpec("Convolution", ("data", "weight", "bias"), nd.Convolution, optional=_no_bias),
        # MXNet's Deconvolution has no bias unless no_bias=False is given
        OpSpec("Deconvolution", ("data", "weight", "bias"), nd.Deconvolution,
               optional=lambda p: ("bias",) if p.get("no_bias", True) else ()),
        OpSpec("BatchNorm", ("data", "gamma", "beta", "moving_mean", "moving_var"),
               nd.BatchNorm, aux=(3, 4), nout=3,
               var_attrs={"moving_mean": {"__init__": '["zero", {}]'},
                          "moving_var": {"__init__": '["one", {}]'}}),
        # MXNet's oneDNN build (the pip wheel) gives max/sum pooling a hidden workspace
        # output, which node_row_ptr counts
        OpSpec("Pooling", ("data",), nd.Pooling,
               nout=lambda p: 1 if p.get("pool_type", "max") == "avg" else 2),
        OpSpec("Dropout", ("data",), nd.Dropout, nout=2),
        OpSpec("Activation", ("data",), nd.Activation),
        OpSpec("LeakyReLU", ("data",), nd.LeakyReLU),
        OpSpec("SliceChannel", ("data",), nd.split,
               nout=lambda p: int(p.get("num_outputs", 1)),
               nvisible=lambda p: int(p.get("num_outputs", 1))),
        OpSpec("softmax_cross_entropy", ("data", "label"), nd.softmax_cross_entropy),
        OpSpec("RNN", ("data", "parameters", "state", "state_cell", "sequence_length"),
               _rnn_run, optional=_rnn_optional, nout=_rnn_nout, nvisible=_rnn_nout),
    ]
    for what in ("add", "sub", "mul", "div"):
        specs.append(OpSpec(f"elemwise_{what}", ("lhs", "rhs"),
                            getattr(nd, f"elemwise_{what}")))
    for sym_op, reg in (("_power", "broadcast_power"), ("_mod", "broadcast_mod"),
                        ("_maximum", "broadcast_maximum"), ("_minimum", "broadcast_minimum"),
                        ("_equal", "broadcast_equal"), ("_not_equal", "broadcast_not_equal"),
                        ("_greater", "broadcast_greater"),
                        ("_greater_equal", "broadcast_greater_equal"),
                        ("_lesser", "broadcast_lesser"),
                        ("_lesser_equal", "broadcast_lesser_equal")):
        specs.append(OpSpec(sym_op, ("lhs", "rhs"), _registry_runner(OPS.get(reg)),
                            cls=OPS.get(reg)))
    for s in specs:
        SPECS[s.op] = s


# the handwritten ones win over a registry entry of the same (case-folded) name
_HANDWRITTEN_REGISTRY = {"fullyconnected", "convolution", "deconvolution", "batchnorm",
                         "pooling"}


def spec_of(op: str) -> OpSpec:
    """The spec of the graph operator ``op`` (MXNet's name)."""
    s = SPECS.get(op)
    if s is None:
        raise MinigluonError(f"operator {op!r} is not available in minigluon")
    return s


# ---- shapes while a block is traced ----------------------------------------------------

#: the shapes of the inputs of the graphs being traced (innermost last): a layer that
#: needs its input's shape to build its graph (LayerNorm along an axis) reads it through
#: :func:`traced_shape`, and the graph is traced again when an input shape changes
_TRACING: list[dict[str, tuple[int, ...]]] = []


class tracing:
    """Inside, :func:`traced_shape` knows the variables' shapes given here."""

    def __init__(self, shapes: dict[str, tuple[int, ...]]) -> None:
        self.shapes = shapes

    def __enter__(self) -> None:
        _TRACING.append(self.shapes)

    def __exit__(self, *exc: object) -> None:
        _TRACING.pop()


def traced_shape(s: Symbol) -> tuple[int, ...]:
    """The shape of ``s`` in the graph being traced (``hybridize`` traces with the
    first call's input shapes, inferred forward through the graph built so far).

    MXNet's layers avoid needing it by using operators that infer shapes at run time
    (``LayerNorm``, ``InstanceNorm``); minigluon composes those layers from smaller
    operators, some of which take the shape as a parameter."""
    if not _TRACING:
        raise MinigluonError(f"the shape of {s!r} is not known: a symbol has no shape "
                             "outside hybridize's tracing (use infer_shape)")
    known = _TRACING[-1]
    inputs = set(s.list_inputs())
    _, out, _ = s.infer_shape_partial(**{k: v for k, v in known.items() if k in inputs})
    if not out or not out[0]:
        raise MinigluonError(f"the shape of {s!r} cannot be inferred from the traced "
                             f"inputs {known}")
    return tuple(out[0])


# ---- building -------------------------------------------------------------------------

def _compose(spec: OpSpec, hint: str, args: Sequence[Any], kwargs: dict[str, Any],
             name: str | None = None, attr: dict[str, str] | None = None) -> Symbol:
    """An application of ``spec`` to symbols ``args`` / named inputs in ``kwargs``; the
    inputs not given become variables ``<name>_<input>`` (MXNet's weights and biases)."""
    if name is None:
        name = _auto_name(hint)
    elif _SCOPES:
        name = _SCOPES[-1][0] + name
    inputs: list[tuple[_Node, int]] = []
    varargs = spec.inputs[:1] == ("*data",)
    args = tuple(a for a in args if a is not None)   # F.FullyConnected(x, w, None, ...)
    for a in args:
        if not isinstance(a, Symbol):
            raise TypeError(f"{spec.op}: positional inputs must be Symbols, got "
                            f"{type(a).__name__}")
    if varargs:
        syms = list(args)
        params = dict(kwargs)
        params.setdefault("num_args", len(syms))
    else:
        if len(args) > len(spec.inputs):
            raise TypeError(f"{spec.op} takes at most {len(spec.inputs)} array inputs "
                            f"({', '.join(spec.inputs)}), got {len(args)}")
        params = {k: v for k, v in kwargs.items() if k not in spec.inputs or
                  not isinstance(v, Symbol)}
        skip = spec.optional(params)
        given = dict(zip(spec.inputs, args))
        given.update({k: v for k, v in kwargs.items() if k in spec.inputs and
                      isinstance(v, Symbol)})
        strs = {k: _attr_str(v) for k, v in params.items()}
        syms = []
        for inp in spec.inputs:
            if inp in skip:
                continue
            s = given.get(inp)
            if s is None:
                vattrs = dict(strs)
                vattrs.update(spec.var_attrs.get(inp, {}))
                s = Symbol([(_Node("null", f"{name}_{inp}", vattrs, []), 0)])
            syms.append(s)
    for s in syms:
        if len(s._outputs) != 1:
            raise MinigluonError(f"{spec.op} {name}: an input is a group of "
                                 f"{len(s._outputs)} outputs; index one of them")
        inputs.append(s._outputs[0])
    nout, nvis = spec.counts(params)
    node_attrs = {k: _attr_str(v) for k, v in params.items()}
    if attr:
        node_attrs.update(attr)
    node = _Node(spec.op, name, node_attrs, inputs, nout, nvis, spec.aux)
    node.params = params
    return Symbol([(node, i) for i in range(nvis)])


def make_function(spec: OpSpec, fname: str) -> Callable[..., Symbol]:
    """``sym.<fname>(*inputs, name=None, attr=None, **params)`` for ``spec``."""
    hint = fname.lower()
    # parameters may follow the array inputs positionally, in the operator's field
    # order, as in nd (sym.reshape(x, (2, 3)))
    fields = [f.name for f in attrs.fields(spec.cls)] \
        if spec.cls is not None and attrs.has(spec.cls) else []

    def fn(*args: Any, name: str | None = None, attr: dict[str, str] | None = None,
           **kwargs: Any) -> Symbol:
        n = next((i for i, a in enumerate(args) if not isinstance(a, Symbol)
                  and a is not None), len(args))
        if n < len(args) and fields and spec.inputs[:1] != ("*data",):
            extra = args[n:]
            if len(extra) > len(fields):
                raise TypeError(f"{fname} takes at most {len(fields)} parameters "
                                f"({', '.join(fields)}), got {len(extra)} positionally")
            kwargs = {**dict(zip(fields, extra)), **kwargs}
            args = args[:n]
        return _compose(spec, hint, args, kwargs, name, attr)

    fn.__name__ = fn.__qualname__ = fname
    fn.__doc__ = getattr(spec.run, "__doc__", None)
    return fn


# ---- the Symbol ----------------------------------------------------------------------

def _topo(heads: Sequence[tuple[_Node, int]]) -> list[_Node]:
    """The nodes in MXNet's order: depth-first, inputs in order, post-order."""
    seen: set[int] = set()
    order: list[_Node] = []
    for head, _ in heads:
        stack: list[tuple[_Node, int]] = [(head, 0)]
        while stack:
            node, i = stack.pop()
            if id(node) in seen:
                continue
            if i < len(node.inputs):
                stack.append((node, i + 1))
                child = node.inputs[i][0]
                if id(child) not in seen:
                    stack.append((child, 0))
            else:
                seen.add(id(node))
                order.append(node)
    return order


def _aux_ids(order: Sequence[_Node]) -> set[int]:
    return {id(n.inputs[i][0]) for n in order for i in n.aux if i < len(n.inputs)}


def _output_name(node: _Node, i: int) -> str:
    if node.op == "null":
        return node.name
    if node.op == "RNN":
        return f"{node.name}_{_RNN_OUTPUTS[i]}"
    return f"{node.name}_output" if node.nvisible == 1 else f"{node.name}_output{i}"


class Symbol:
    """A symbolic graph: one or more outputs of operators applied to variables.

    Examples
    --------
    >>> from minigluon import sym
    >>> x = sym.var('x')
    >>> y = sym.FullyConnected(x, num_hidden=3, name='fc')
    >>> y.list_arguments()
    ['x', 'fc_weight', 'fc_bias']
    >>> y.infer_shape(x=(2, 5))[1]
    [(2, 3)]
    """

    __slots__ = ("_outputs",)

    def __init__(self, outputs: list[tuple[_Node, int]]) -> None:
        self._outputs = outputs

    # ---- description
    @property
    def name(self) -> str | None:
        """The name of the node of a single output (``None`` for a group)."""
        return self._outputs[0][0].name if len(self._outputs) == 1 else None

    def __repr__(self) -> str:
        if len(self._outputs) == 1:
            return f"<Symbol {self.name}>"
        return f"<Symbol group [{', '.join(_output_name(n, i) for n, i in self._outputs)}]>"

    def __len__(self) -> int:
        return len(self._outputs)

    def __iter__(self) -> Iterator[Symbol]:
        return (Symbol([o]) for o in self._outputs)

    def __getitem__(self, index: int | str) -> Symbol:
        if isinstance(index, str):
            names = self.list_outputs()
            if index not in names:
                raise ValueError(f"There are no outputs named {index!r}: the outputs are "
                                 f"{names}")
            index = names.index(index)
        if not isinstance(index, (int, np.integer)):
            raise TypeError(f"Symbol index must be an int or an output name, got "
                            f"{type(index).__name__}")
        if not -len(self._outputs) <= index < len(self._outputs):
            raise IndexError(f"Symbol index {index} is out of range: {len(self._outputs)} "
                             "outputs")
        return Symbol([self._outputs[index]])

    def attr(self, key: str) -> str | None:
        """The attribute ``key`` of this (single-output) symbol's node, or ``None``."""
        node = self._outputs[0][0]
        return node.attrs.get(key)

    def list_attr(self) -> dict[str, str]:
        """The attributes of this symbol's node."""
        return dict(self._outputs[0][0].attrs)

    def _set_attr(self, **kw: str) -> None:
        self._outputs[0][0].attrs.update({k: str(v) for k, v in kw.items()})

    def _nodes(self) -> list[_Node]:
        return _topo(self._outputs)

    def list_arguments(self) -> list[str]:
        """The names of the variables that are arguments (not auxiliary states)."""
        order = self._nodes()
        aux = _aux_ids(order)
        return [n.name for n in order if n.op == "null" and id(n) not in aux]

    def list_auxiliary_states(self) -> list[str]:
        """The names of the variables that operators update (BatchNorm's moving
        statistics)."""
        order = self._nodes()
        aux = _aux_ids(order)
        return [n.name for n in order if n.op == "null" and id(n) in aux]

    def list_inputs(self) -> list[str]:
        """Every variable, arguments and auxiliary states, in graph order."""
        return [n.name for n in self._nodes() if n.op == "null"]

    def list_outputs(self) -> list[str]:
        """The outputs' names: ``<node>_output`` (``_output<i>`` for several)."""
        return [_output_name(n, i) for n, i in self._outputs]

    def get_internals(self) -> Symbol:
        """A group of every visible output of every node."""
        return Symbol([(n, i) for n in self._nodes() for i in range(n.nvisible)])

    def get_children(self) -> Symbol | None:
        """The inputs of this symbol's node, as a group (``None`` for a variable)."""
        node = self._outputs[0][0]
        return Symbol(list(node.inputs)) if node.inputs else None

    # ---- arithmetic (MXNet's operator and node names)
    def _binary(self, other: Any, op: str, hint: str, sop: str, shint: str) -> Symbol:
        if isinstance(other, Symbol):
            return _compose(spec_of(op), hint, (self, other), {})
        if isinstance(other, (int, float, np.number, bool)):
            return _compose(spec_of(sop), shint, (self,), {"scalar": other})
        raise TypeError(f"type {type(other).__name__} not supported")

    def _rbinary(self, other: Any, sop: str, shint: str) -> Symbol:
        if isinstance(other, (int, float, np.number, bool)):
            return _compose(spec_of(sop), shint, (self,), {"scalar": other})
        raise TypeError(f"type {type(other).__name__} not supported")

    def __add__(self, o: Any) -> Symbol:
        return self._binary(o, "elemwise_add", "_plus", "_plus_scalar", "_plusscalar")

    def __radd__(self, o: Any) -> Symbol:
        return self._rbinary(o, "_plus_scalar", "_plusscalar")

    def __sub__(self, o: Any) -> Symbol:
        return self._binary(o, "elemwise_sub", "_minus", "_minus_scalar", "_minusscalar")

    def __rsub__(self, o: Any) -> Symbol:
        return self._rbinary(o, "_rminus_scalar", "_rminusscalar")

    def __mul__(self, o: Any) -> Symbol:
        return self._binary(o, "elemwise_mul", "_mul", "_mul_scalar", "_mulscalar")

    def __rmul__(self, o: Any) -> Symbol:
        return self._rbinary(o, "_mul_scalar", "_mulscalar")

    def __truediv__(self, o: Any) -> Symbol:
        return self._binary(o, "elemwise_div", "_div", "_div_scalar", "_divscalar")

    def __rtruediv__(self, o: Any) -> Symbol:
        return self._rbinary(o, "_rdiv_scalar", "_rdivscalar")

    def __mod__(self, o: Any) -> Symbol:
        return self._binary(o, "_mod", "_mod", "_mod_scalar", "_modscalar")

    def __rmod__(self, o: Any) -> Symbol:
        return self._rbinary(o, "_rmod_scalar", "_rmodscalar")

    def __pow__(self, o: Any) -> Symbol:
        return self._binary(o, "_power", "_power", "_power_scalar", "_powerscalar")

    def __rpow__(self, o: Any) -> Symbol:
        return self._rbinary(o, "_rpower_scalar", "_rpowerscalar")

    def __neg__(self) -> Symbol:
        return self.__mul__(-1.0)

    def __eq__(self, o: Any) -> Symbol:  # type: ignore[override]
        return self._binary(o, "_equal", "_equal", "_equal_scalar", "_equalscalar")

    def __ne__(self, o: Any) -> Symbol:  # type: ignore[override]
        return self._binary(o, "_not_equal", "_not_equal", "_not_equal_scalar",
                            "_notequalscalar")

    def __gt__(self, o: Any) -> Symbol:
        return self._binary(o, "_greater", "_greater", "_greater_scalar", "_greaterscalar")

    def __ge__(self, o: Any) -> Symbol:
        return self._binary(o, "_greater_equal", "_greater_equal", "_greater_equal_scalar",
                            "_greaterequalscalar")

    def __lt__(self, o: Any) -> Symbol:
        return self._binary(o, "_lesser", "_lesser", "_lesser_scalar", "_lesserscalar")

    def __le__(self, o: Any) -> Symbol:
        return self._binary(o, "_lesser_equal", "_lesser_equal", "_lesser_equal_scalar",
                            "_lesserequalscalar")

    __hash__ = object.__hash__

    # ---- things a symbol has no value for
    def _no_value(self, what: str) -> Any:
        raise MinigluonError(
            f"{_user_line()}{what} needs a value, and Symbol "
            f"{self.name or self.list_outputs()} has none: a symbol is a graph built before "
            "any data exists (in hybrid_forward, compute with F.<op> only; Python control "
            "flow and NumPy conversions cannot be hybridized)")

    def __bool__(self) -> bool:
        return self._no_value("bool() (an `if` or `while` on a symbol)")

    def __float__(self) -> float:
        return self._no_value("float()")

    def __int__(self) -> int:
        return self._no_value("int()")

    def asnumpy(self) -> Any:
        return self._no_value("asnumpy()")

    def asscalar(self) -> Any:
        return self._no_value("asscalar()")

    # ---- shapes and types
    def infer_shape(self, *args: Any, **kwargs: Any) -> Any:
        """``(arg_shapes, out_shapes, aux_shapes)`` from the shapes of some arguments
        (by position in ``list_arguments()`` or by name); ``(None, None, None)`` if that
        is not enough to know them all."""
        arg, out, aux, complete = self._infer_shape(args, kwargs)
        if not complete:
            return None, None, None
        return arg, out, aux

    def infer_shape_partial(self, *args: Any, **kwargs: Any) -> Any:
        """Like :meth:`infer_shape`, with ``()`` for the shapes that stay unknown."""
        arg, out, aux, _ = self._infer_shape(args, kwargs)
        return arg, out, aux

    def _known(self, args: Sequence[Any], kwargs: dict[str, Any]) -> dict[str, Any]:
        names = self.list_arguments()
        if len(args) > len(names):
            raise MinigluonError(f"infer: {len(args)} positional values for "
                                 f"{len(names)} arguments {names}")
        known = dict(zip(names, args))
        inputs = set(self.list_inputs())
        for k, v in kwargs.items():
            if k not in inputs:
                raise MinigluonError(f"infer: {k!r} is not an input of the symbol; its "
                                     f"inputs are {sorted(inputs)}")
            known[k] = v
        return {k: v for k, v in known.items() if v is not None}

    def _infer_shape(self, args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
        known = {k: tuple(int(d) for d in v) for k, v in self._known(args, kwargs).items()}
        shapes, _ = _infer(self, known, {})
        return self._collect(shapes, ())

    def infer_type(self, *args: Any, **kwargs: Any) -> Any:
        """``(arg_types, out_types, aux_types)`` as NumPy types; arguments not given are
        float32, as they are for MXNet's default."""
        given = {k: np.dtype(v) for k, v in self._known(args, kwargs).items()}
        shapes, types = _infer(self, {}, given, types_only=True)
        arg, out, aux, _ = self._collect(types, None)
        conv = [[None if t is None else np.dtype(t).type for t in lst]
                for lst in (arg, out, aux)]
        return tuple(conv)

    def _collect(self, vals: dict[tuple[int, int], Any], missing: Any) -> Any:
        order = self._nodes()
        auxs = _aux_ids(order)
        arg = [vals.get((id(n), 0), missing) for n in order if n.op == "null"
               and id(n) not in auxs]
        aux = [vals.get((id(n), 0), missing) for n in order if n.op == "null"
               and id(n) in auxs]
        out = [vals.get((id(n), i), missing) for n, i in self._outputs]
        complete = all(v is not missing for v in arg + aux + out)
        return arg, out, aux, complete

    # ---- running
    def eval(self, ctx: Any = None, **kwargs: Any) -> list[Any]:
        """The outputs (a list of NDArrays) computed from the inputs given by name."""
        return _evaluate(self, kwargs)

    def bind(self, ctx: Any = None, args: Any = None, args_grad: Any = None,
             grad_req: Any = "write", aux_states: Any = None, **kw: Any) -> Any:
        """An :class:`Executor` with these argument (and auxiliary) arrays."""
        from .executor import Executor

        return Executor(self, args, args_grad, grad_req, aux_states)

    def simple_bind(self, ctx: Any = None, grad_req: Any = "write", type_dict: Any = None,
                    **shapes: Any) -> Any:
        """An :class:`Executor` with zero arrays of the shapes inferred from ``shapes``."""
        from .executor import Executor

        arg, _, aux = self.infer_shape(**shapes)
        if arg is None:
            raise MinigluonError(f"simple_bind: the shapes {shapes} do not determine every "
                                 f"argument of {self.list_arguments()}")
        types = type_dict or {}
        args = {n: nd.zeros(s, dtype=types.get(n, "float32"))
                for n, s in zip(self.list_arguments(), arg)}
        grads = None if grad_req == "null" else {n: nd.zeros_like(a) for n, a in args.items()}
        auxs = {n: nd.zeros(s) for n, s in zip(self.list_auxiliary_states(), aux)}
        return Executor(self, args, grads, grad_req, auxs)

    # ---- files
    def tojson(self) -> str:
        """The graph in MXNet 1.9.1's JSON format."""
        return json.dumps(_to_dict(self), indent=2)

    def save(self, fname: str, remove_amp_cast: bool = True) -> None:
        """Write :meth:`tojson` to ``fname`` (atomically)."""
        from .._fileformat import atomic_write

        atomic_write(fname, [self.tojson().encode("utf-8")])

    def __copy__(self) -> Symbol:
        return Symbol(list(self._outputs))

    def __getattr__(self, name: str) -> Any:
        fn = _METHODS.get(name)
        if fn is None:
            if name in ("shape", "ndim", "size", "dtype", "context", "grad"):
                raise AttributeError(
                    f"{_user_line()}'Symbol' object has no attribute {name!r}: a symbol is "
                    "a graph built before any data exists, its shapes are known only "
                    "through infer_shape (this code cannot be hybridized)")
            raise AttributeError(f"'Symbol' object has no attribute {name!r}")
        return lambda *a, **k: fn(self, *a, **k)


def _user_line() -> str:
    """``file:line: code`` of the innermost caller outside minigluon's symbol package
    (the line of hybrid_forward that asked a symbol for a value)."""
    for fr in reversed(traceback.extract_stack()):
        if f"minigluon{os.sep}symbol{os.sep}" not in fr.filename:
            return f"{fr.filename}:{fr.lineno}: `{(fr.line or '').strip()}`: "
    return ""


class Plan:
    """A symbol prepared to run many times: the operator list in order, fixed once, and
    the slots of each input (what a hybridized block calls on every forward)."""

    __slots__ = ("steps", "heads", "inputs", "size", "op", "raw", "slot_of")

    def __init__(self, sym: Symbol) -> None:
        order = sym._nodes()
        slot = {}
        for n in order:
            for i in range(n.nout):
                slot[(id(n), i)] = len(slot)
        self.inputs = [(n.name, slot[(id(n), 0)]) for n in order if n.op == "null"]
        self.slot_of = dict(self.inputs)
        self.steps = [(n, _compiled(n), [slot[(id(c), i)] for c, i in n.inputs],
                       slot[(id(n), 0)]) for n in order if n.op != "null"]
        self.heads = [slot[(id(n), i)] for n, i in sym._outputs]
        self.size = len(slot)
        self.op: Any = None   # the CachedOp that records a call as one node (gluon sets it)
        # when every step is one registry operator (no view, one output) and the graph
        # has one output, the steps as (operator, input slots, output slot, node name):
        # cached.run_cached then runs them on the NumPy data directly
        ops = [getattr(fn, "op", None) for _, fn, _, _ in self.steps]
        self.raw = [(op, ins, first, n.name) for op, (n, _, ins, first) in
                    zip(ops, self.steps)] \
            if len(self.heads) == 1 and self.steps and self.steps[-1][3] == self.heads[0] \
            and all(
                op is not None and not op.view and n.nout == 1
                for op, (n, _, _, _) in zip(ops, self.steps)) else None

    def run(self, values: dict[str, Any]) -> list[Any]:
        """The outputs, computed from the input arrays given by name."""
        vals: list[Any] = [None] * self.size
        for name, s in self.inputs:
            vals[s] = values[name]
        for node, fn, ins, first in self.steps:
            try:
                outs = fn([vals[i] for i in ins])
            except MinigluonError as e:
                raise MinigluonError(f"Error in operator {node.name} ({node.op}): {e}"
                                     ) from e
            for k, o in enumerate(outs):
                vals[first + k] = o
        return [vals[i] for i in self.heads]


#: Symbol methods generated from operators' ``method`` names (``x.sum()``, ``x.exp()``)
_METHODS: dict[str, Callable[..., Symbol]] = {}


def var(name: str, attr: dict[str, str] | None = None, shape: Any = None,
        lr_mult: float | None = None, wd_mult: float | None = None, dtype: Any = None,
        init: Any = None, stype: str | None = None, **kwargs: Any) -> Symbol:
    """A variable: a named input of a graph (data or a parameter).

    ``shape``, ``dtype``, ``init``, ``lr_mult``, ``wd_mult`` are kept as MXNet's attributes
    ``__shape__``, ``__dtype__`` (a numeric code), ``__init__``, ``__lr_mult__``,
    ``__wd_mult__``.
    """
    if not isinstance(name, str):
        raise TypeError("Expect a string for variable `name`")
    a: dict[str, str] = dict(attr or {})
    if shape is not None:
        a["__shape__"] = str(tuple(shape))
    if lr_mult is not None:
        a["__lr_mult__"] = str(lr_mult)
    if wd_mult is not None:
        a["__wd_mult__"] = str(wd_mult)
    if dtype is not None:
        a["__dtype__"] = str(_DTYPE_CODES[np.dtype(dtype).name])
    if init is not None:
        a["__init__"] = init if isinstance(init, str) else init.dumps()
    if stype is not None:
        a["__storage_type__"] = {"default": "0", "row_sparse": "1", "csr": "2"}[stype]
    for k, v in kwargs.items():
        if k.startswith("__") and k.endswith("__"):
            a[k] = str(v)
        else:
            raise ValueError(f"Attribute name={k} is not supported. Additional attributes "
                             "must start and end with double underscores, e.g, __yourattr__")
    return Symbol([(_Node("null", name, a, []), 0)])


Variable = var


def Group(symbols: Sequence[Symbol], create_fn: Any = None) -> Symbol:
    """One symbol whose outputs are those of ``symbols``, in order."""
    if not symbols or any(not isinstance(s, Symbol) for s in symbols):
        raise TypeError("Expected a list of symbols as input")
    return Symbol([o for s in symbols for o in s._outputs])


# ---- shape and type inference -----------------------------------------------------------

def _param_shapes(node: _Node, data: tuple[int, ...]) -> dict[int, tuple[int, ...]]:
    """The shapes of a layer operator's parameter inputs, from its data shape (what MXNet
    infers backwards: FullyConnected's weight from num_hidden and the data)."""
    p = node.params or {}
    names = [n for n in spec_of(node.op).inputs if n not in spec_of(node.op).optional(p)]
    out: dict[str, tuple[int, ...]] = {}
    if node.op == "FullyConnected":
        h = int(p["num_hidden"])
        k = int(np.prod(data[1:])) if p.get("flatten", True) else data[-1]
        out = {"weight": (h, k), "bias": (h,)}
    elif node.op == "Convolution":
        f, g = int(p["num_filter"]), int(p.get("num_group", 1))
        kern = p["kernel"] if isinstance(p["kernel"], tuple) else (int(p["kernel"]),)
        out = {"weight": (f, data[1] // g, *kern), "bias": (f,)}
    elif node.op == "Deconvolution":
        f, g = int(p["num_filter"]), int(p.get("num_group", 1))
        kern = p["kernel"] if isinstance(p["kernel"], tuple) else (int(p["kernel"]),)
        out = {"weight": (data[1], f // g, *kern), "bias": (f,)}
    elif node.op == "BatchNorm":
        c = (data[int(p.get("axis", 1))],)
        out = {"gamma": c, "beta": c, "moving_mean": c, "moving_var": c}
    return {i: out[n] for i, n in enumerate(names) if n in out}


def _infer(sym: Symbol, shapes_in: dict[str, tuple[int, ...]], types_in: dict[str, Any],
           types_only: bool = False) -> tuple[dict, dict]:
    """Shapes and dtypes of every output, found by running the operators on zero arrays
    (and by the layer operators' rules for their parameters)."""
    order = sym._nodes()
    shapes: dict[tuple[int, int], tuple[int, ...]] = {}
    types: dict[tuple[int, int], Any] = {}
    for n in order:
        if n.op != "null":
            continue
        s = shapes_in.get(n.name)
        if s is None and "__shape__" in n.attrs:
            s = tuple(_attr_value(n.attrs["__shape__"]))
            if 0 in s:
                s = None  # MXNet's unknown dimensions
        if s is not None:
            shapes[(id(n), 0)] = s
        t = types_in.get(n.name)
        if t is None and "__dtype__" in n.attrs:
            t = np.dtype(_CODE_DTYPES[int(n.attrs["__dtype__"])])
        types[(id(n), 0)] = t if t is not None else np.dtype(np.float32)
    if types_only:
        return shapes, _infer_types(order, types)
    with autograd.pause():
        for n in order:
            if n.op == "null":
                continue
            ins = [shapes.get((id(c), i)) for c, i in n.inputs]
            if ins and ins[0] is not None:
                for i, s in _param_shapes(n, ins[0]).items():
                    c, ci = n.inputs[i]
                    if ins[i] is None and c.op == "null":
                        shapes[(id(c), ci)] = s
                        ins[i] = s
            if any(s is None for s in ins):
                continue
            arrays = [nd.zeros(s, dtype=types.get((id(c), i)) or "float32")
                      for s, (c, i) in zip(ins, n.inputs)]
            try:
                outs = _run_node(n, arrays)
            except Exception as e:
                raise MinigluonError(f"Error in operator {n.name}: the input shapes "
                                     f"{ins} do not fit {n.op}: {e}") from e
            for i, o in enumerate(outs):
                shapes[(id(n), i)] = o.shape
                types[(id(n), i)] = o.dtype
    return shapes, types


def _infer_types(order: Sequence[_Node], types: dict) -> dict:
    """Dtypes: an operator's outputs take its first input's dtype (MXNet's rule for
    the operators that do not fix their output type)."""
    for n in order:
        if n.op == "null":
            continue
        t = types.get((id(n.inputs[0][0]), n.inputs[0][1])) if n.inputs else np.float32
        p = n.params or {}
        if n.op == "Cast" or "dtype" in p and n.op in ("one_hot", "argsort", "_topk"):
            t = np.dtype(p["dtype"])
        for i in range(n.nout):
            types[(id(n), i)] = t
    return types


def _lowered(op: str, kw: dict[str, Any]) -> Op | None:
    """The one registry operator that the ``nd`` function of layer operator ``op`` would
    invoke with these parameters, when it is always the same (the plan then invokes it
    directly, without parsing the parameters on every call); None otherwise."""
    if op == "FullyConnected":
        return OPS.get("FullyConnected")(flatten=bool(kw.get("flatten", True)))
    if op == "Activation" and kw.get("act_type", "relu") in (
            "relu", "sigmoid", "tanh", "softrelu", "softsign"):
        return OPS.get(kw.get("act_type", "relu"))()
    if op == "LeakyReLU" and kw.get("act_type", "leaky") == "leaky":
        return OPS.get("_leaky_relu")(slope=float(kw.get("slope", 0.25)))
    return None


def registry_op(node: _Node) -> Op | None:
    """The one registry operator that runs the operator node ``node`` (the same ``Op``
    the ``nd`` call records on the tape), instantiated with the node's parameters; None
    for the layer operators whose ``nd`` function picks its operators at run time
    (BatchNorm, Dropout, Convolution...)."""
    if node.params is None:
        node.params = {k: _attr_value(v) for k, v in node.attrs.items()
                       if not (k.startswith("__") and k.endswith("__"))}
    spec = spec_of(node.op)
    kw = {k: v for k, v in node.params.items() if k != "num_args"}
    op = _lowered(node.op, kw)
    if op is None and spec.cls is not None:
        fields = {f.name for f in attrs.fields(spec.cls)} if attrs.has(spec.cls) else set()
        okw = {k: v for k, v in kw.items() if k in fields}
        if "scalar" in okw:
            okw["scalar"] = float(okw["scalar"])
        op = spec.cls(**okw)
    return op


def _compiled(node: _Node) -> Callable[[list[Any]], list[Any]]:
    """``node`` as a function of its input arrays, its parameters parsed once: an
    operator of the registry is instantiated once (what makes a plan cheaper per call than
    the imperative path); the layer operators that read the autograd mode at run time
    (BatchNorm, Dropout) stay calls of their ``nd`` function."""
    op = registry_op(node)
    kw = {k: v for k, v in (node.params or {}).items() if k != "num_args"}
    if op is not None:
        invoke, as_nd, arr = nd.invoke, nd.ndarray.as_ndarray, nd.NDArray

        def run_op(xs: list[Any]) -> list[Any]:
            if all(x.__class__ is arr for x in xs):
                return [invoke(op, xs)]
            ref = next((x for x in xs if isinstance(x, arr)), None)
            return [invoke(op, [as_nd(x, ref) for x in xs])]

        run_op.op = op  # type: ignore[attr-defined]  (cached.run_cached runs it directly)
        return run_op
    run = spec_of(node.op).run

    def run_fn(xs: list[Any]) -> list[Any]:
        res = run(*xs, **kw)
        return list(res) if isinstance(res, (list, tuple)) else [res]

    return run_fn


def _run_node(node: _Node, arrays: Sequence[Any]) -> list[Any]:
    params = node.params
    if params is None:
        params = {k: _attr_value(v) for k, v in node.attrs.items()
                  if not (k.startswith("__") and k.endswith("__"))}
        node.params = params
    spec = spec_of(node.op)
    kw = {k: v for k, v in params.items() if k != "num_args"}
    res = spec.run(*arrays, **kw)
    return list(res) if isinstance(res, (list, tuple)) else [res]


def _evaluate(sym: Symbol, values: dict[str, Any]) -> list[Any]:
    """Run the graph on NDArrays given by variable name; the outputs, in order."""
    order = sym._nodes()
    vals: dict[tuple[int, int], Any] = {}
    for n in order:
        if n.op == "null":
            if n.name not in values:
                raise MinigluonError(f"the symbol needs a value for its input {n.name!r}")
            v = values[n.name]
            if not isinstance(v, nd.NDArray):
                raise TypeError(f"input {n.name!r} must be an NDArray, got "
                                f"{type(v).__name__}")
            vals[(id(n), 0)] = v
            continue
        outs = _run_node(n, [vals[(id(c), i)] for c, i in n.inputs])
        for i, o in enumerate(outs):
            vals[(id(n), i)] = o
    return [vals[(id(n), i)] for n, i in sym._outputs]


# ---- JSON -----------------------------------------------------------------------------

def _to_dict(sym: Symbol) -> dict[str, Any]:
    order = sym._nodes()
    index = {id(n): k for k, n in enumerate(order)}
    aux = _aux_ids(order)
    nodes = []
    for n in order:
        d: dict[str, Any] = {"op": n.op, "name": n.name}
        if n.attrs:
            d["attrs"] = dict(sorted(n.attrs.items()))
        d["inputs"] = [[index[id(c)], i, 1 if id(c) in aux and j in n.aux else 0]
                       for j, (c, i) in enumerate(n.inputs)]
        nodes.append(d)
    row = [0]
    for n in order:
        row.append(row[-1] + n.nout)
    return {"nodes": nodes,
            "arg_nodes": [k for k, n in enumerate(order) if n.op == "null"],
            "node_row_ptr": row,
            "heads": [[index[id(n)], i, 0] for n, i in sym._outputs],
            "attrs": {"mxnet_version": ["int", MXNET_VERSION]}}


def load_json(json_str: str, _source: str = "<json string>") -> Symbol:
    """A symbol from MXNet's JSON graph format (as written by :meth:`Symbol.tojson` or
    MXNet's ``save``). A foreign or malformed graph, or an operator minigluon does not
    have, is refused naming the source and the node."""
    try:
        d = json.loads(json_str)
    except (ValueError, RecursionError) as e:  # (RecursionError: nested thousands deep)
        raise MinigluonError(f"{_source}: not a JSON graph ({e})") from None
    if not isinstance(d, dict) or not isinstance(d.get("nodes"), list) or \
            not isinstance(d.get("heads"), list):
        raise MinigluonError(f"{_source}: not an MXNet symbol file (it needs a JSON object "
                             "with 'nodes' and 'heads' lists)")
    nodes: list[_Node] = []
    for k, nd_ in enumerate(d["nodes"]):
        if not isinstance(nd_, dict) or not isinstance(nd_.get("op"), str) or \
                not isinstance(nd_.get("name"), str):
            raise MinigluonError(f"{_source}: node {k} is not an object with 'op' and "
                                 "'name' strings")
        op, name = nd_["op"], nd_["name"]
        a = nd_.get("attrs", nd_.get("attr", nd_.get("param", {}))) or {}
        if not isinstance(a, dict):
            raise MinigluonError(f"{_source}: node {k} ({name}): 'attrs' must be an object")
        a = {str(x): str(y) for x, y in a.items()}
        ins = []
        inputs = nd_.get("inputs", [])
        if not isinstance(inputs, list):
            raise MinigluonError(f"{_source}: node {k} ({name}): 'inputs' must be a list")
        for e in inputs:
            if not isinstance(e, list) or len(e) < 2 or not all(isinstance(v, int)
                                                               for v in e[:2]) \
                    or not 0 <= e[0] < k or e[1] < 0:
                raise MinigluonError(f"{_source}: node {k} ({name}) has the input {e!r}, "
                                     "which is not an earlier node")
            ins.append((nodes[e[0]], e[1]))
        if op == "null":
            nodes.append(_Node("null", name, a, []))
            continue
        if op not in SPECS:
            raise MinigluonError(f"{_source}: node {k} ({name}) uses the operator {op!r}, "
                                 "which minigluon does not have")
        spec = SPECS[op]
        params = {x: _attr_value(y) for x, y in a.items()
                  if not (x.startswith("__") and x.endswith("__"))}
        try:
            nout, nvis = spec.counts(params)
        except (TypeError, ValueError, KeyError, IndexError) as e:
            raise MinigluonError(f"{_source}: node {k} ({name}): the attributes of operator "
                                 f"{op!r} are not valid ({type(e).__name__}: {e})") from None
        for c, i in ins:
            if i >= c.nout:
                raise MinigluonError(f"{_source}: node {k} ({name}) reads output {i} of "
                                     f"{c.name}, which has {c.nout}")
        node = _Node(op, name, a, ins, nout, nvis, spec.aux)
        node.params = params
        nodes.append(node)
    heads = []
    for h in d["heads"]:
        if not isinstance(h, list) or len(h) < 2 or not all(isinstance(v, int) for v in h[:2]) \
                or not 0 <= h[0] < len(nodes) or not 0 <= h[1] < nodes[h[0]].nout:
            raise MinigluonError(f"{_source}: the head {h!r} is not an output of a node of the "
                                 "graph")
        heads.append((nodes[h[0]], h[1]))
    if not heads:
        raise MinigluonError(f"{_source}: the graph has no heads")
    return Symbol(heads)


def load(fname: str) -> Symbol:
    """A symbol from a ``-symbol.json`` file."""
    with open(fname, "rb") as f:
        raw = f.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise MinigluonError(f"{fname}: not a JSON graph (byte {e.start} is not UTF-8 "
                             "text)") from None
    return load_json(text, _source=fname)
