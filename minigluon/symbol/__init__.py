"""``mx.sym`` / ``mx.symbol``: graphs of operators built before any data exists.

``sym.var('x')`` is a named input; ``sym.<Op>(...)`` applies an operator, and every
operator of the registry (plugins included) has its ``sym`` function generated from the
same registry entry as its ``nd`` function, when it is registered. The layer operators
(``FullyConnected``, ``Convolution``, ``BatchNorm`` ...) create their parameter variables
as MXNet does (``fullyconnected0_weight``). Graphs are written and read in MXNet 1.9.1's
JSON format (:meth:`Symbol.tojson`, :func:`load`), and run on NDArrays through the ``nd``
operators (:meth:`Symbol.eval`, :meth:`Symbol.bind`), so autograd records them.
"""

from __future__ import annotations

from typing import Any

from ..ops import OPS, Op
from .executor import Executor
from .symbol import (
    _HANDWRITTEN_REGISTRY,
    _METHODS,
    SPECS,
    Group,
    Plan,  # noqa: F401 (for gluon.block)
    Symbol,
    Variable,
    _handwritten,
    _spec_from_registry,
    load,
    load_json,
    make_function,
    var,
)

__all__ = ["Symbol", "Executor", "var", "Variable", "Group", "load", "load_json"]

_handwritten()
_REG_SPECS: dict[str, str] = {}   # registry name -> the MXNet op name it declared


def _on_register(name: str, cls: type[Op]) -> None:
    if cls.name.lower() in _HANDWRITTEN_REGISTRY:
        return  # declared by hand with MXNet's inputs and parameter spellings
    spec = _spec_from_registry(cls)
    SPECS.setdefault(spec.op, spec)
    # the scalar forms are run by Symbol's operators, not called by users (hidden in nd)
    _REG_SPECS[name] = spec.op
    if cls.expose:
        globals()[cls.name] = make_function(spec, cls.name)
        if spec.op != cls.name:
            globals()[spec.op] = make_function(spec, spec.op)
    if cls.method:
        _METHODS[cls.method] = globals().get(cls.name) or make_function(spec, cls.name)


def _on_unregister(name: str, cls: type[Op]) -> None:
    op = _REG_SPECS.pop(name, None)
    if op is None:
        return
    SPECS.pop(op, None)
    for n in {cls.name, op}:
        fn = globals().get(n)
        if getattr(fn, "__name__", None) == n:
            del globals()[n]
    if cls.method:
        _METHODS.pop(cls.method, None)


OPS.on_register(_on_register)
OPS.on_unregister(_on_unregister)

# the layer operators and MXNet's spellings of the arithmetic, declared by hand
for _fname, _op in (("FullyConnected", "FullyConnected"), ("Convolution", "Convolution"),
                    ("Deconvolution", "Deconvolution"),
                    ("BatchNorm", "BatchNorm"), ("Pooling", "Pooling"),
                    ("Dropout", "Dropout"), ("Activation", "Activation"),
                    ("LeakyReLU", "LeakyReLU"), ("SliceChannel", "SliceChannel"),
                    ("split", "SliceChannel"),
                    ("softmax_cross_entropy", "softmax_cross_entropy"),
                    ("elemwise_add", "elemwise_add"), ("elemwise_sub", "elemwise_sub"),
                    ("RNN", "RNN"),
                    ("elemwise_mul", "elemwise_mul"), ("elemwise_div", "elemwise_div")):
    globals()[_fname] = make_function(SPECS[_op], _fname)


# MXNet's capitalised Softmax is the deprecated alias of SoftmaxOutput, not softmax
Softmax = globals()["SoftmaxOutput"]


def __getattr__(name: str) -> Any:
    # an operator registered by a plugin that has not been imported yet
    if not name.startswith("__") and name in OPS:
        cls = OPS.get(name)
        if cls.expose:
            return globals()[cls.name]
    raise AttributeError(f"module 'minigluon.symbol' has no attribute {name!r}")


def _arith(op: str, scalar_op: str, rscalar_op: str, name: str) -> Any:
    """``sym.<name>(lhs, rhs)``: MXNet's ``_<op>`` on two symbols, its scalar forms when
    one side is a number."""
    from .symbol import _compose

    def fn(lhs: Any, rhs: Any, name: str | None = None) -> Symbol:
        if isinstance(lhs, Symbol) and isinstance(rhs, Symbol):
            return _compose(SPECS[op], op.replace("elemwise_", "_"), (lhs, rhs), {}, name)
        if isinstance(lhs, Symbol):
            return _compose(SPECS[scalar_op], scalar_op.replace("_scalar", "scalar"),
                            (lhs,), {"scalar": rhs}, name)
        if isinstance(rhs, Symbol):
            return _compose(SPECS[rscalar_op], rscalar_op.replace("_scalar", "scalar"),
                            (rhs,), {"scalar": lhs}, name)
        raise TypeError(f"{fn.__name__}: one of the arguments must be a Symbol")

    fn.__name__ = fn.__qualname__ = name
    return fn


for _name, _ops in {
        "add": ("elemwise_add", "_plus_scalar", "_plus_scalar"),
        "subtract": ("elemwise_sub", "_minus_scalar", "_rminus_scalar"),
        "multiply": ("elemwise_mul", "_mul_scalar", "_mul_scalar"),
        "divide": ("elemwise_div", "_div_scalar", "_rdiv_scalar"),
        "power": ("_power", "_power_scalar", "_rpower_scalar"),
        "modulo": ("_mod", "_mod_scalar", "_rmod_scalar"),
        "maximum": ("_maximum", "_maximum_scalar", "_maximum_scalar"),
        "minimum": ("_minimum", "_minimum_scalar", "_minimum_scalar"),
        "equal": ("_equal", "_equal_scalar", "_equal_scalar"),
        "not_equal": ("_not_equal", "_not_equal_scalar", "_not_equal_scalar"),
        "greater": ("_greater", "_greater_scalar", "_lesser_scalar"),
        "greater_equal": ("_greater_equal", "_greater_equal_scalar",
                          "_lesser_equal_scalar"),
        "lesser": ("_lesser", "_lesser_scalar", "_greater_scalar"),
        "lesser_equal": ("_lesser_equal", "_lesser_equal_scalar", "_greater_equal_scalar"),
}.items():
    globals()[_name] = _arith(*_ops, _name)
plus, minus, mod = globals()["add"], globals()["subtract"], globals()["modulo"]
broadcast_plus = globals()["broadcast_add"]
broadcast_minus = globals()["broadcast_sub"]
stop_gradient = globals()["BlockGrad"]
