"""A :class:`~minigluon.symbol.Symbol` drawn before any data: the same boxes and circles
as the picture of a tape.

A symbol (``net(mx.sym.var('data'))``, ``mx.sym.load(...)``) is a graph built ahead of
running it. :func:`symbol_graph` turns its nodes into the :class:`._picture._Var` and
:class:`._picture._OpV` lists that the tape's picture is drawn from, so that both speak one
visual language: variables are boxes (parameters filled), each operator node a circle
labelled as the tape labels the registry operator that runs it (``FullyConnected``,
``relu``, ``×2``...), each result a box named after its node. Nothing is computed but,
when the caller gives input shapes, the shapes (:meth:`Symbol.infer_shape_partial`).

:func:`plot_network` is MXNet's name for the same picture.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..ops import OPS
from ..symbol.symbol import Symbol, _Node, registry_op
from ._picture import _dot, _no_array, _OpV, _text_backward, _text_forward, _Var
from ._recorded import _op_text, _symbol
from .render import Graph

__all__ = ["symbol_graph", "plot_network"]

#: MXNet's ``hide_weights`` rule: a variable whose name ends so is a weight
_WEIGHT_SUFFIXES = ("_weight", "_bias", "_beta", "_gamma", "_moving_var", "_moving_mean",
                    "_running_var", "_running_mean")
#: attributes only a parameter's variable carries (Gluon writes them on every Parameter)
_PARAM_ATTRS = ("__lr_mult__", "__wd_mult__", "__init__")
# the registry operator that the nd function of a layer operator records, where
# registry_op cannot name an instance before data exists (the function picks it at run
# time): the circle then shows that operator's symbol and rule, as on the tape
_RECORDED_AS = {"Dropout": "_dropout", "softmax_cross_entropy": "_softmax_cross_entropy",
                "elemwise_add": "broadcast_add", "elemwise_sub": "broadcast_sub",
                "elemwise_mul": "broadcast_mul", "elemwise_div": "broadcast_div"}


def _looks_like_weight(name: str) -> bool:
    return name.endswith(_WEIGHT_SUFFIXES)


def _operator(node: _Node) -> Any:
    """The registry operator behind ``node``: an instance, a class, or None."""
    op = registry_op(node)
    if op is not None:
        return op
    name = _RECORDED_AS.get(node.op, node.op)
    return OPS.get(name) if name in OPS else None


def _rule(op: Any) -> str:
    if isinstance(op, type):  # a class: its docstring's first line, as Op.rule reads it
        doc = (op.__doc__ or "").strip()
        return doc.splitlines()[0] if doc else op.name
    return op.rule


def _node_text(node: _Node) -> str:
    """MXNet's operator with the node's parameters, as the graph file records them."""
    ps = [f"{k}={v}" for k, v in sorted(node.attrs.items())
          if not (k.startswith("__") and k.endswith("__")) and k != "num_args"]
    return f"{node.op}({', '.join(ps)})" if ps else node.op


def _internal_values(sym: Symbol, values: list[Any], empty: Any) -> dict[tuple[int, int], Any]:
    """``{(id(node), output): value}`` from a list aligned with ``get_internals()``."""
    outs = sym.get_internals()._outputs
    return {(id(n), i): v for (n, i), v in zip(outs, values) if v is not empty}


def _shapes(sym: Symbol, shape: Mapping[str, Sequence[int]] | None
            ) -> dict[tuple[int, int], tuple[int, ...]]:
    if shape is None:
        return {}
    if not hasattr(shape, "items"):
        raise TypeError("shape must be a mapping {input name: shape}, e.g. "
                        f"{{'data': (1, 784)}}; got a {type(shape).__name__}")
    _, outs, _ = sym.get_internals().infer_shape_partial(**dict(shape))
    # infer_shape_partial writes () for what stays unknown: no shape is drawn for it
    return {k: tuple(v) for k, v in _internal_values(sym, outs, ()).items()}


def _dtypes(sym: Symbol, dtype: Mapping[str, Any] | None) -> dict[tuple[int, int], str]:
    if dtype is None:
        return {}
    _, outs, _ = sym.get_internals().infer_type(**dict(dtype))
    return {k: np.dtype(v).name for k, v in _internal_values(sym, outs, None).items()}


def _build(sym: Symbol, labels: Mapping[str, str], hide_weights: bool,
           shapes: Mapping[tuple[int, int], tuple[int, ...]],
           dtypes: Mapping[tuple[int, int], str]) -> tuple[list[_Var], list[_OpV]]:
    order = sym._nodes()
    aux = {id(n.inputs[i][0]) for n in order for i in n.aux if i < len(n.inputs)}
    heads = {(id(n), i) for n, i in sym._outputs}
    used = heads | {(id(c), i) for n in order for c, i in n.inputs}
    vars_: dict[tuple[int, int], _Var] = {}

    def box(node: _Node, i: int, label: str, kind: str) -> None:
        k = (id(node), i)
        vars_[k] = _Var(k, label, kind, shapes.get(k), node, k in heads,
                        dtype=dtypes.get(k))

    opvs = []
    for n in order:
        if n.op == "null":
            if hide_weights and _looks_like_weight(n.name):
                continue
            param = (_looks_like_weight(n.name) or id(n) in aux
                     or any(a in n.attrs for a in _PARAM_ATTRS))
            box(n, 0, n.name, "parameter" if param else "data")
            continue
        # a result box for each output that something reads (or that is a head);
        # the node's own name for its single output, MXNet's output names otherwise
        outs = [i for i in range(n.nout) if (id(n), i) in used]
        for i in outs:
            label = n.name if n.nvisible == 1 and i == 0 else (
                f"{n.name}_output{i}" if i < n.nvisible else f"{n.name}[{i}]")
            box(n, i, label, "result")
        op = _operator(n)
        given = labels.get(n.name)
        if given is None and op is not None:
            given = labels.get(op.name)
        if given is None:
            given = labels.get(n.op) or (_symbol(op) if op is not None else n.op)
        text = _node_text(n)
        if op is None:
            rule = text
        else:
            # the operator that runs, then what the graph file records for the node
            runs = "" if isinstance(op, type) or _op_text(op) == n.op else \
                f" runs {_op_text(op)}"
            rule = f"{_rule(op)}   [{n.name}: {text}{runs}]"
        ins = [vars_[(id(c), i)] for c, i in n.inputs if (id(c), i) in vars_]
        opvs.append(_OpV([n], ins, [vars_[(id(n), i)] for i in outs], given, text, text,
                         rule=rule))
    return list(vars_.values()), opvs


def symbol_graph(sym: Symbol, *, shape: Mapping[str, Sequence[int]] | None = None,
                 dtype: Mapping[str, Any] | None = None, direction: str = "forward",
                 shapes: bool = True, ops: Mapping[str, str] | None = None,
                 rankdir: str = "LR", title: str | None = None, hide_weights: bool = False,
                 name: str = "minigluon", node_attrs: Mapping[str, str] | None = None
                 ) -> Graph:
    """The graph of a symbol, drawn before any data (what ``viz.graph(symbol)`` does).

    Parameters
    ----------
    sym : Symbol
        The symbol to draw: its variables, operator nodes and outputs (heads).
    shape, dtype : mapping of str, optional
        Shapes (dtypes) of some inputs by name, e.g. ``{'data': (1, 784)}``: every shape
        that follows from them is drawn. Without them no shapes are drawn, as a symbol
        has none.
    direction, shapes, ops, rankdir, title
        As for :func:`~minigluon.instruments.graph.graph`; ``ops`` may also key an
        operator by its node's name (``'dense0_fwd'``) or by MXNet's operator name.
    hide_weights : bool
        Leave out the variables whose names end as MXNet's weights do (``_weight``,
        ``_bias``, ``_gamma``, ``_beta``, ``_moving_mean``, ``_running_var``...).
    name : str
        The DOT graph's name (MXNet's ``title``; not drawn).
    node_attrs : mapping of str to str, optional
        DOT attributes for every node, as defaults (each box's and circle's own
        attributes win).
    """
    if not isinstance(sym, Symbol):
        raise TypeError(f"expected a Symbol, got a {type(sym).__name__}")
    if direction not in ("forward", "backward"):
        raise ValueError(f"direction must be 'forward' or 'backward', got {direction!r}")
    if rankdir not in ("LR", "BT", "TB", "RL"):
        raise ValueError(f"rankdir must be one of 'LR', 'BT', 'TB', 'RL', got {rankdir!r}")
    vars_, opvs = _build(sym, dict(ops or {}), hide_weights, _shapes(sym, shape),
                         _dtypes(sym, dtype))
    back = direction == "backward"
    heads = [v.label for v in vars_ if v.head]
    head = heads[0] if len(heads) == 1 else "f"
    source = _dot(vars_, opvs, _no_array, back, head, shapes, False, {}, rankdir, title,
                  name=name, node_attrs=node_attrs)
    text = (_text_backward(vars_, opvs, head, {}) if back else
            _text_forward(vars_, opvs, heads, _no_array, False, {}, what="symbol graph"))
    return Graph(source, text)


def plot_network(symbol: Symbol, title: str = "plot", save_format: str = "pdf",
                 shape: Mapping[str, Sequence[int]] | None = None,
                 dtype: Mapping[str, Any] | None = None,
                 node_attrs: Mapping[str, str] | None = None,
                 hide_weights: bool = True) -> Graph:
    """MXNet's ``mx.viz.plot_network``: the graph of ``symbol``, in minigluon's pictures.

    Returns minigluon's :class:`~minigluon.instruments.render.Graph` (DOT text in
    ``.source``, a listing as its ``repr``, SVG in Jupyter, ``.render('net.svg')``), not a
    ``graphviz.Digraph``: no graphviz Python package is needed. The picture is
    :func:`symbol_graph`'s (boxes and circles, as ``viz.graph`` draws a tape), not
    MXNet's coloured boxes.

    Parameters
    ----------
    symbol : Symbol
        What to draw.
    title : str
        The DOT graph's name, as MXNet's Digraph name (not drawn).
    save_format : str
        Accepted for MXNet's signature; minigluon's ``Graph.render(path)`` takes the
        format (svg or png) from the file name.
    shape, dtype : mapping of str, optional
        Input shapes (dtypes) by name: the boxes then show every shape (dtype) that
        follows. Unlike MXNet, partial information is fine: what cannot be inferred is
        left out.
    node_attrs : mapping of str to str, optional
        DOT attributes for every node, as defaults.
    hide_weights : bool
        As MXNet (default True): leave out the variables named like weights and biases
        (``*_weight``, ``*_bias``, ``*_gamma``...). MXNet then still draws their edges to
        empty ovals; minigluon draws neither.

    Examples
    --------
    The example of MXNet's docstring, without its SoftmaxOutput:

    >>> import minigluon as mx
    >>> net = mx.sym.Variable('data')
    >>> net = mx.sym.FullyConnected(data=net, name='fc1', num_hidden=3)
    >>> net = mx.sym.Activation(data=net, name='relu1', act_type="relu")
    >>> net = mx.sym.FullyConnected(data=net, name='fc2', num_hidden=2)
    >>> mx.viz.plot_network(net, shape={'data': (4, 5)})
    symbol graph: 1 input, 3 operators, head fc2
      data   (4, 5)  data
      fc1    (4, 3)  = FullyConnected(data)   FullyConnected(num_hidden=3)
      relu1  (4, 3)  = relu(fc1)              Activation(act_type=relu)
      fc2    (4, 2)  = FullyConnected(relu1)  FullyConnected(num_hidden=2)

    ``viz.graph`` draws the weights too, and no shapes unless given:

    >>> mx.viz.graph(net)
    symbol graph: 5 inputs, 3 operators, head fc2
      data        data
      fc1_weight  parameter
      fc1_bias    parameter
      fc1         = FullyConnected(data, fc1_weight, fc1_bias)   FullyConnected(num_hidden=3)
      relu1       = relu(fc1)                                    Activation(act_type=relu)
      fc2_weight  parameter
      fc2_bias    parameter
      fc2         = FullyConnected(relu1, fc2_weight, fc2_bias)  FullyConnected(num_hidden=2)
    """
    if not isinstance(symbol, Symbol):
        raise TypeError("symbol must be a Symbol")
    if not isinstance(save_format, str):
        raise TypeError(f"save_format must be a str, got {type(save_format).__name__}")
    return symbol_graph(symbol, shape=shape, dtype=dtype, hide_weights=hide_weights,
                        name=title, node_attrs=node_attrs)
