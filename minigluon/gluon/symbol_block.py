"""``SymbolBlock``: a block made from a symbolic graph, such as one written by
``HybridBlock.export`` (here or by MXNet), with its parameters."""

from __future__ import annotations

from typing import Any

from .. import symbol
from ..base import MXNetError
from ..ndarray.ndarray import NDArray
from ..symbol.cached import CachedOp, run_cached
from .block import HybridBlock, _as_input
from .parameter import DeferredInitializationError, Parameter

__all__ = ["SymbolBlock"]


def _init_by_name(name: str) -> str | None:
    """MXNet's initializers choose by the name's ending: biases, betas and means start at
    zero, gammas and variances at one, whatever the initializer (weights use it)."""
    for ends, init in ((("bias", "beta", "moving_mean", "running_mean"), "zeros"),
                       (("gamma", "moving_var", "running_var"), "ones")):
        if name.endswith(ends):
            return init
    return None


def _check_shapes(sym: Any, param_file: str) -> None:
    """Refuse a parameter file whose arrays do not have the shapes the graph declares
    (the ``__shape__`` of its variables, as MXNet's export writes them)."""
    from .. import ndarray as nd

    declared = {}
    for node in sym._nodes():
        shape = node.attrs.get("__shape__") if node.op == "null" else None
        if shape:
            declared[node.name] = tuple(symbol.symbol._attr_value(shape))
    for key, arr in nd.load(param_file).items():
        name = key[4:] if key.startswith(("arg:", "aux:")) else key
        want = declared.get(name)
        if want is not None and (len(want) != arr.ndim or any(
                w and w != a for w, a in zip(want, arr.shape))):
            raise MXNetError(f"{param_file}: parameter {name} has shape {arr.shape}, but "
                             f"the graph declares {want}")


class SymbolBlock(HybridBlock):
    """A block computing ``outputs`` (a Symbol) from ``inputs`` (variables); every other
    variable of the graph becomes a parameter of that name (auxiliary states such as
    BatchNorm's moving statistics with ``grad_req='null'``).

    Examples
    --------
    >>> from minigluon import sym, nd, gluon
    >>> x = sym.var('data')
    >>> net = gluon.SymbolBlock(sym.FullyConnected(x, num_hidden=2, name='fc'), x)
    >>> net.initialize()
    >>> net(nd.ones((3, 4))).shape
    (3, 2)
    """

    def __init__(self, outputs: Any, inputs: Any, params: Any = None) -> None:
        super().__init__(prefix=None, params=None)
        if isinstance(outputs, (list, tuple)):
            outputs = symbol.Group(list(outputs))
        if isinstance(inputs, symbol.Symbol) and len(inputs) == 1:
            inputs = [inputs]
        names = []
        for i in inputs:
            if not isinstance(i, symbol.Symbol) or i.list_inputs() != [i.name]:
                raise MXNetError(f"SymbolBlock: input {i!r} must be a variable (sym.var)")
            names.append(i.name)
        graph_inputs = outputs.list_inputs()
        missing = [n for n in names if n not in graph_inputs]
        if missing:
            raise MXNetError(f"SymbolBlock: the inputs {missing} are not variables of the "
                             f"graph, whose inputs are {graph_inputs}")
        self._graph = outputs
        self._plan = symbol.Plan(outputs)
        self._plan.op = CachedOp(self.name, outputs)
        self._input_names = names
        aux = set(outputs.list_auxiliary_states())
        given = dict(params.items()) if params is not None else {}
        for n in graph_inputs:
            if n in names:
                continue
            p = given.get(n)
            if p is None:
                p = Parameter(n, grad_req="null" if n in aux else "write",
                              allow_deferred_init=True, init=_init_by_name(n))
            self._params._params[n] = p
        self._kind = None if len(outputs) == 1 else list

    @staticmethod
    def imports(symbol_file: str, input_names: Any, param_file: str | None = None,
                ctx: Any = None, allow_missing: bool = False, ignore_extra: bool = False
                ) -> SymbolBlock:
        """A SymbolBlock from a ``-symbol.json`` file and, optionally, a ``.params`` file
        (``arg:``/``aux:`` names, as ``export`` writes them)."""
        sym = symbol.load(symbol_file)
        if isinstance(input_names, str):
            input_names = [input_names]
        known = sym.list_inputs()
        unknown = [n for n in input_names if n not in known]
        if unknown:
            raise MXNetError(f"{symbol_file}: the graph has no input {unknown}; its inputs "
                             f"are {known}")
        block = SymbolBlock(sym, [symbol.var(n) for n in input_names])
        if param_file is not None:
            _check_shapes(sym, param_file)
            block.collect_params().load(param_file, ctx, allow_missing=allow_missing,
                                        ignore_extra=ignore_extra, cast_dtype=True,
                                        dtype_source="saved")
        return block

    def __call__(self, *args: Any) -> Any:
        return super(HybridBlock, self).__call__(*args)

    def forward(self, x: Any, *args: Any) -> Any:
        args = tuple(_as_input(a) for a in (x, *args))
        if len(args) != len(self._input_names):
            raise MXNetError(f"SymbolBlock takes {len(self._input_names)} inputs "
                             f"({self._input_names}), got {len(args)}")
        if isinstance(args[0], symbol.Symbol):
            raise MXNetError("SymbolBlock called on symbols: compose the graph directly")
        values: dict[str, Any] = dict(zip(self._input_names, args))
        try:
            for n, p in self._params.items():
                values[n] = p.data()
        except DeferredInitializationError:
            self._infer_param_shapes(args)
            for n, p in self._params.items():
                values[n] = p.data()
        outs = run_cached(self._plan.op, self._plan, values)
        return outs[0] if self._kind is None else outs

    def _infer_param_shapes(self, args: tuple[NDArray, ...]) -> None:
        shapes = {n: a.shape for n, a in zip(self._input_names, args)}
        arg, _, aux = self._graph.infer_shape_partial(**shapes)
        found = dict(zip(self._graph.list_arguments(), arg))
        found.update(zip(self._graph.list_auxiliary_states(), aux))
        for n, p in self._params.items():
            if p._data is None:
                if not found.get(n):
                    raise MXNetError(f"SymbolBlock: the shape of parameter {n} cannot be "
                                     f"inferred from inputs of shapes {shapes}")
                p.shape = found[n]
                p._finish_deferred_init()

    def hybrid_forward(self, F: Any, x: Any, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError
