"""A fused ``RNN`` node unrolled into its time steps, for pictures and explanations.

The ``RNN`` operator (:mod:`minigluon.ops.rnn`) runs a whole multi-layer recurrent network
over a sequence as ONE tape node. For teaching, section 6.6 of the book draws the same
computation unrolled: one copy of the hidden layer per time step, each copy reading
``x_t`` and ``h_{t-1}`` and the shared weights. :func:`unroll` describes that picture for
one node (the graph drawing turns it into boxes and circles, see ``expand=`` of
:func:`minigluon.viz.graph`); :func:`bptt_lines` writes back-propagation through time for
the node step by step (``expand=`` of :func:`minigluon.autograd.explain`).

Nothing here computes: the unrolled picture is read off the operator's parameters and the
shapes of its inputs.
"""

from __future__ import annotations

from typing import Any

import attrs

from .._tape import Node

#: the step formula of each mode, as the drawing's tooltip and explain print it
CELL_RULES = {
    "rnn_tanh": "h_t = tanh(W_i x_t + b_i + W_h h_{t-1} + b_h)",
    "rnn_relu": "h_t = relu(W_i x_t + b_i + W_h h_{t-1} + b_h)",
    "lstm": ("i, f, o = σ(W_i* x_t + b_i* + W_h* h_{t-1} + b_h*); g = tanh(W_ic x_t + b_ic "
             "+ W_hc h_{t-1} + b_hc); c_t = f c_{t-1} + i g; h_t = o tanh(c_t)"),
    "gru": ("r, z = σ(W_i* x_t + b_i* + W_h* h_{t-1} + b_h*); n = tanh(W_in x_t + b_in + "
            "r (W_hn h_{t-1} + b_hn)); h_t = (1 - z) n + z h_{t-1}"),
}
CELL_SYMBOLS = {"rnn_tanh": "tanh", "rnn_relu": "relu", "lstm": "LSTM", "gru": "GRU"}


@attrs.define(eq=False)
class Piece:
    """A variable of the unrolled picture that the tape does not hold (``x_t``, ``h_t``,
    one layer's weight ...). ``ref`` is None: it has no array behind it."""

    label: str
    shape: tuple
    kind: str = "result"
    ref: Any = None


@attrs.define(eq=False)
class StepOp:
    """One operator of the unrolled picture; its inputs and outputs are the node's own
    parents (:class:`Node` or ``Const``), its output (the string ``'out'``) or
    :class:`Piece` objects."""

    symbol: str
    rule: str
    inputs: list[Any]
    outputs: list[Any]
    step: bool = False   # a time step (not a split or the final stacking)


def is_rnn(node: Node) -> bool:
    return node.op is not None and node.op.name == "RNN"


def to_unroll(ops: list[Node], consumers: dict[Node, list[Node]], heads: set[Node],
              nm: Any, expand: Any) -> tuple[set[Node], set[Node]]:
    """The RNN nodes that ``expand`` names (by operator name or by the name of their
    output), and the ``_rnn_param_concat`` nodes that only feed them (their inputs, a
    Gluon layer's weights, are drawn going straight into the time steps)."""
    if isinstance(expand, str):
        expand = (expand,)
    want = set(expand)
    if not want:
        return set(), set()
    found = set()
    unrolled = set()
    for n in ops:
        hit = want & {n.op.name, nm(n)} if nm.named(n) else want & {n.op.name}
        if not hit:
            continue
        found |= hit
        if not is_rnn(n):
            raise ValueError(f"expand: only RNN nodes can be drawn as time steps; "
                             f"{sorted(hit)[0]!r} names a {n.op.name} node")
        unrolled.add(n)
    missing = want - found
    if missing:
        raise ValueError(f"expand: no node of the graph is named {sorted(missing)[0]!r} "
                         "(give 'RNN', or the name of an RNN node's output)")
    bypass = set()
    for n in unrolled:
        c = param_sources(n)
        if c is not None and c not in heads and not nm.named(c) and \
                all(k in unrolled for k in consumers.get(c, ())):
            bypass.add(c)
    return unrolled, bypass


def param_sources(node: Node) -> Node | None:
    """The ``_rnn_param_concat`` node that made the flat parameter vector (a Gluon layer's
    per-layer weights), or None."""
    p = node.parents[1]
    if p.__class__ is Node and p.op is not None and p.op.name == "_rnn_param_concat":
        return p
    return None


def _weight_names(op: Any) -> list[tuple[str, ...]]:
    """Per (layer, direction), the names of its weights and biases, MXNet's."""
    D = 2 if op.bidirectional else 1
    proj = getattr(op, "projection_size", None)
    out = []
    for layer in range(op.num_layers):
        for d in "lr"[:D]:
            names = [f"{d}{layer}_i2h_weight", f"{d}{layer}_h2h_weight"]
            if proj:
                names.append(f"{d}{layer}_h2r_weight")
            out.append((*names, f"{d}{layer}_i2h_bias", f"{d}{layer}_h2h_bias"))
    return out


def _weight_shapes(op: Any, ni: int) -> list[tuple[tuple[int, ...], ...]]:
    from ..ops.rnn import MODES

    D = 2 if op.bidirectional else 1
    G, H = MODES[op.mode], op.state_size
    P = getattr(op, "projection_size", None) or H
    out = []
    for _layer in range(op.num_layers):
        for _d in range(D):
            shapes = [(G * H, ni), (G * H, P)]
            if P != H:
                shapes.append((P, H))
            out.append((*shapes, (G * H,), (G * H,)))
        ni = D * P
    return out


def unroll(node: Node, sources: bool = True) -> list[StepOp]:
    """The operators of ``node`` (an ``RNN`` node) unrolled over time and layers.

    With ``sources``, a flat parameter vector that ``_rnn_param_concat`` made is replaced
    by that concat's inputs (a Gluon layer's per-layer weights)."""
    op = node.op
    x, params, h0 = node.parents[0], node.parents[1], node.parents[2]
    c0 = node.parents[3] if len(node.parents) > 3 else None
    T, N, ni = x.shape
    L, D, H = op.num_layers, 2 if op.bidirectional else 1, op.state_size
    P = getattr(op, "projection_size", None) or H
    lstm = op.mode == "lstm"
    one = L * D == 1

    def sfx(layer: int, d: int) -> str:
        return "" if one else f"[{'lr'[d]}{layer}]"

    ops: list[StepOp] = []
    xs = [Piece(f"x{t + 1}", (N, ni)) for t in range(T)]
    ops.append(StepOp("[t]", "x_t = X[t]: the sequence cut into its time steps", [x], xs))
    # the initial states, one per (layer, direction)
    if one:
        hs0: list[Any] = [h0]
        cs0: list[Any] = [c0]
    else:
        hs0 = [Piece(f"h0{sfx(k // D, k % D)}", (N, P)) for k in range(L * D)]
        ops.append(StepOp("[k]", "the initial states, one per layer and direction",
                          [h0], hs0))
        cs0 = [None] * (L * D)
        if lstm:
            cs0 = [Piece(f"c0{sfx(k // D, k % D)}", (N, H)) for k in range(L * D)]
            ops.append(StepOp("[k]", "the initial cells, one per layer and direction",
                              [c0], cs0))
    # the weights: a Gluon layer's own parameters, or pieces of the flat vector
    names = _weight_names(op)
    cat = param_sources(node) if sources else None
    nper = len(names[0])
    if cat is not None and len(cat.parents) == L * D * nper:
        nw = nper - 2
        ws = [[cat.parents[k * nw + j] for j in range(nw)] +
              [cat.parents[L * D * nw + k * 2 + j] for j in range(2)] for k in range(L * D)]
    else:
        shapes = _weight_shapes(op, ni)
        ws = [[Piece(n, s, "parameter") for n, s in zip(nm, sh)]
              for nm, sh in zip(names, shapes)]
        ops.append(StepOp("split", "the flat parameter vector cut into each layer's "
                          "weights and biases (MXNet's layout)", [params],
                          [w for k in ws for w in k]))
    rule = CELL_RULES[op.mode] + ("; then h_t = W_hr h_t (projection)" if P != H else "")
    inputs: list[list[Any]] = [[xt] for xt in xs]  # per time step, the layer's input(s)
    finals_h, finals_c = [], []
    for layer in range(L):
        outs: list[list[Any]] = [[None] * D for _ in range(T)]
        for d in range(D):
            k = layer * D + d
            h, c = hs0[k], cs0[k]
            for s in range(T):
                t = T - 1 - s if d else s
                ht = Piece(f"h{t + 1}{sfx(layer, d)}", (N, P))
                new = [ht]
                if lstm and (s < T - 1 or op.state_outputs):  # c_T: only as an output
                    ct = Piece(f"c{t + 1}{sfx(layer, d)}", (N, H))
                    new.append(ct)
                ins = [*inputs[t], h] + ([c] if lstm else []) + ws[k]
                ops.append(StepOp(CELL_SYMBOLS[op.mode], rule, ins, new, True))
                outs[t][d] = ht
                h = ht
                if lstm and len(new) > 1:
                    c = ct
            finals_h.append(h)
            finals_c.append(c)
        inputs = outs
    stacked = [h for step in inputs for h in step]
    how = "y = [h_1, ..., h_T] of the last layer"
    if op.state_outputs:
        stacked += finals_h + (finals_c if lstm else [])
        how += ", then the final states" + (" and cells" if lstm else "")
    if getattr(op, "masks", None) is not None:
        how += " (dropout between the layers)"
    ops.append(StepOp("[·]", how, stacked, ["out"]))
    return ops


def weight_labels(node: Node, steps: list[StepOp]) -> list[tuple[Any, str]]:
    """The tape's arrays that the time steps read as weights, with MXNet's names for them
    (``l0_i2h_weight``...)."""
    names = _weight_names(node.op)
    T = node.parents[0].shape[0]
    cells = [s for s in steps if s.step]
    out = []
    for k, nk in enumerate(names):
        ws = cells[k * T].inputs[-len(nk):]  # the T steps of (layer, direction) k
        out += [(w, n) for w, n in zip(ws, nk) if not isinstance(w, Piece)]
    return out


def bptt_lines(node: Node) -> list[str]:
    """Back-propagation through time of one ``RNN`` node, written out per time step."""
    op = node.op
    T = node.parents[0].shape[0]
    L, D = op.num_layers, 2 if op.bidirectional else 1
    mode = op.mode
    local = {
        "rnn_tanh": "da_t = dh_t * (1 - h_t^2)",
        "rnn_relu": "da_t = dh_t * (a_t > 0)",
        "lstm": ("dc_t = dh_t * o_t * (1 - tanh(c_t)^2) + dc_{t+1} * f_{t+1}; "
                 "da_t = [dc_t g_t i(1-i), dc_t c_{t-1} f(1-f), dc_t i (1-g^2), "
                 "dh_t tanh(c_t) o(1-o)]"),
        "gru": ("dn = dh_t (1-z)(1-n^2); da_t = [dn (W_hn h_{t-1} + b_hn) r(1-r), "
                "dh_t (h_{t-1} - n) z(1-z), dn]"),
    }[mode]
    lines = [f"back-propagation through time: {L} layer{'s' if L > 1 else ''}"
             + (", both directions" if D == 2 else "") + f", T = {T}, last layer first"]
    carry = {"gru": " + dh_{t+1} z_{t+1}"}.get(mode, "")
    for layer in range(L - 1, -1, -1):
        for d in range(D):
            order = range(1, T + 1) if d else range(T, 0, -1)
            nxt = "t-1" if d else "t+1"
            tag = f"layer {layer}" + (" reverse" if d else "")
            loc = local.replace("t+1", nxt)
            gy = "dy_t" if layer == L - 1 else f"dx_t of layer {layer + 1}"
            for t in order:
                first = t == (1 if d else T)
                # at the last step processed first, what comes from later is the final
                # state's gradient (none unless the operator returned its states)
                rec = (" + dh_T (state gradient)" if op.state_outputs else "") if first \
                    else f" + W_h^T da_{{{nxt}}}" + carry.replace("t+1", nxt)
                rec = rec.replace("{t-1}", f"{t - 1}").replace("{t+1}", f"{t + 1}")
                lt = loc
                if first:
                    lt = loc.replace(f" + dc_{{{nxt}}} * f_{{{nxt}}}", " + dc_T (state gradient)"
                                     if op.state_outputs else "")
                lines.append(f"  {tag}, t={t}: dh_{t} = {gy.replace('_t', f'_{t}')}"
                             f"{rec};  " + lt.replace('_t', f'_{t}')
                             .replace("{t-1}", f"{t - 1}").replace("{t+1}", f"{t + 1}"))
            lines.append(f"  {tag}: dW_h = Σ_t da_t h_(t-1)^T, dW_i = Σ_t da_t x_t^T, "
                         "db = Σ_t da_t, dx_t = W_i^T da_t, dh_0 = W_h^T da_1")
    return lines
