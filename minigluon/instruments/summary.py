"""MXNet's text summary of a :class:`~minigluon.symbol.Symbol`: one row per operator node
(name and type, output shape, parameter count, the layers it reads), then the total.

:func:`print_summary` prints the table ``mx.viz.print_summary`` of MXNet 1.9.1 prints,
character for character, with MXNet's ways of counting, which are rough:

* only ``Convolution``, ``FullyConnected``, ``BatchNorm`` and ``Embedding`` have
  parameters; every other operator counts 0;
* the number of input channels (features) of a layer is the sum of the second dimension
  of the outputs of the layers it reads, so without ``shape`` it is 0: a convolution then
  counts its bias only, a dense layer ``num_hidden``, a batch norm 0;
* a batch norm counts ``gamma`` and ``beta`` (two per channel), not its moving mean and
  variance;
* ``no_bias`` counts only when the graph stores it as the text ``'True'``;
* the only variable shown is the graph's first node (usually ``data``), and it is the
  only variable listed among a layer's previous layers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from ..symbol.symbol import Symbol

__all__ = ["print_summary"]

_HEADER = ("Layer (type)", "Output Shape", "Param #", "Previous Layer")


def _row(fields: Sequence[Any], stops: Sequence[int]) -> str:
    """The fields padded to the column stops; a long field is cut at its column's end."""
    line = ""
    for field, stop in zip(fields, stops):
        # MXNet cuts the line so far, not the field: a field that starts past its stop
        # (a previous one filled it) leaves nothing
        line = (line + str(field))[:stop]
        line += " " * (stop - len(line))
    return line


def _ints(text: str) -> list[int]:
    """The numbers written in an attribute such as ``'(5, 5)'``."""
    return [int(d) for d in re.findall(r"\d+", text)]


def _params(node: dict[str, Any], in_features: int, shapes: Mapping[str, Any] | None) -> int:
    """MXNet's parameter count for one operator node (see the module's notes)."""
    op, attrs = node["op"], node.get("attrs", {})
    with_bias = attrs.get("no_bias") != "True"
    if op == "Convolution":
        count = in_features * int(attrs["num_filter"]) // int(attrs.get("num_group", "1"))
        for k in _ints(attrs["kernel"]):
            count *= k
        return count + (int(attrs["num_filter"]) if with_bias else 0)
    if op == "FullyConnected":
        return (in_features + with_bias) * int(attrs["num_hidden"])
    if op == "BatchNorm":
        # gamma and beta per channel; the moving statistics are not counted
        return 2 * int(shapes[node["name"] + "_output"][1]) if shapes is not None else 0
    if op == "Embedding":
        return int(attrs["input_dim"]) * int(attrs["output_dim"])
    return 0


def print_summary(symbol: Symbol, shape: Mapping[str, Sequence[int]] | None = None,
                  line_length: int = 120,
                  positions: Sequence[float] = (.44, .64, .74, 1.)) -> None:
    """Print a table of the layers of ``symbol``: name (type), output shape, parameter
    count and previous layers, then the total count (MXNet's ``mx.viz.print_summary``).

    Parameters
    ----------
    symbol : Symbol
        The graph to describe.
    shape : dict of str to tuple, optional
        Shapes of the inputs (``{'data': (1, 784)}``). With them the output shapes are
        shown (without the batch axis) and the parameters counted; without them the
        shape column is empty and the counts leave out the input channels.
    line_length : int, default 120
        Width of the table in characters.
    positions : sequence of float, default (.44, .64, .74, 1.)
        Where each column ends: fractions of ``line_length`` when the last is at most 1,
        else character positions.

    Raises
    ------
    TypeError
        If ``symbol`` is not a Symbol.
    ValueError
        If ``shape`` is not enough to infer every shape of the graph.
    """
    if not isinstance(symbol, Symbol):
        raise TypeError("symbol must be Symbol")
    shapes: dict[str, Any] | None = None
    if shape is not None:
        internals = symbol.get_internals()
        _, out_shapes, _ = internals.infer_shape(**shape)
        if out_shapes is None:
            raise ValueError("Input shape is incomplete")
        shapes = dict(zip(internals.list_outputs(), out_shapes))
    graph = json.loads(symbol.tojson())
    nodes = graph["nodes"]
    # MXNet takes the entries of the first head ([node, output, version]) as a set of
    # node ids: node 0 (the first input) is always in it, which is why it is shown
    marked = set(graph["heads"][0])
    stops = list(positions)
    if stops[-1] <= 1:
        stops = [int(line_length * p) for p in stops]
    stops = [int(s) for s in stops]

    def key(node: dict[str, Any]) -> str:
        return node["name"] if node["op"] == "null" else node["name"] + "_output"

    print("_" * line_length)
    print(_row(_HEADER, stops))
    print("=" * line_length)
    total = 0
    for i, node in enumerate(nodes):
        if node["op"] == "null" and (i > 0 or i not in marked):
            continue
        out_shape = shapes[key(node)][1:] if shapes is not None and key(node) in shapes \
            else ()
        previous: list[str] = []
        in_features = 0
        if node["op"] != "null":
            for src, *_ in node["inputs"]:
                before = nodes[src]
                if before["op"] == "null" and src not in marked:
                    continue  # weights, biases, labels...
                previous.append(before["name"])
                if shapes is not None and key(before) in shapes:
                    in_features += int(shapes[key(before)][1:][0])
        count = _params(node, in_features, shapes)
        total += count
        print(_row([f"{node['name']}({node['op']})", "x".join(str(d) for d in out_shape),
                    count, previous[0] if previous else ""], stops))
        for name in previous[1:]:
            print(_row(["", "", "", name], stops))
        print(("=" if i == len(nodes) - 1 else "_") * line_length)
    print(f"Total params: {total}")
    print("_" * line_length)
