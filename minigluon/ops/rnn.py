"""MXNet's fused ``RNN`` operator: a whole multi-layer recurrent network over a sequence as
one tape node, with back-propagation through time written out in NumPy.

Shapes follow MXNet (layout TNC): data ``(T, N, I)``, states ``(L*D, N, H)`` (``D = 2`` when
bidirectional), output ``(T, N, D*H)``. The parameters are one flat vector in MXNet's order:
first every weight, then every bias; within each, layer by layer, the left-to-right
direction before the reverse one, ``i2h`` before ``h2h``. Gate blocks inside a weight are
stacked in MXNet's order: LSTM ``i, f, c, o``; GRU ``r, z, n``.

The step formulas (``a = x W_i^T + b_i + h W_h^T + b_h`` split into the gate blocks)::

    rnn_tanh / rnn_relu:  h' = act(a)
    lstm:   i, f, o = sigmoid(a_i), sigmoid(a_f), sigmoid(a_o);  g = tanh(a_c)
            c' = f c + i g;  h' = o tanh(c')
    gru:    r = sigmoid(x_r + h_r);  z = sigmoid(x_z + h_z)
            n = tanh(x_n + r * h_n)      # h_n = h W_hn^T + b_hn: the reset gate multiplies
            h' = (1 - z) n + z h         # the h2h product *including* its bias (MXNet, cuDNN)

Several outputs. The tape's operators have one output each. Rather than adding a
multi-output mechanism to the engine, the operator returns, when ``state_outputs`` is set,
ONE packed array of shape ``(T + L*k, N, D*H)`` (``k`` = 1, or 2 for an LSTM): the output
sequence first, then the final hidden states, then the final cells (an ``(L*D, N, H)`` block
has exactly ``L*N*D*H`` elements, so it fills ``L`` rows of ``(N, D*H)``). ``nd.RNN`` cuts
it with basic slicing and reshape, which are views (no copies), and their VJPs write the
pieces' gradients back into one packed gradient. The recurrence itself stays one node.
"""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np

from ..base import MinigluonError
from ._op import Op, frozen_op, register_op

MODES = {"rnn_relu": 1, "rnn_tanh": 1, "lstm": 4, "gru": 3}


def param_size(mode: str, num_layers: int, input_size: int, state_size: int,
               bidirectional: bool, projection_size: int | None = None) -> int:
    """Length of the flat parameter vector MXNet's RNN operator expects."""
    g, h, d = MODES[mode], state_size, 2 if bidirectional else 1
    p = projection_size or h
    size = 0
    ni = input_size
    for _ in range(num_layers):
        size += d * (g * h * ni + g * h * p + 2 * g * h + (p * h if projection_size else 0))
        ni = d * p
    return size


def _split_params(flat: np.ndarray, mode: str, num_layers: int, input_size: int, h: int,
                  d: int, proj: int | None = None) -> list[tuple[np.ndarray, ...]]:
    """Views ``(W_i, W_h, b_i, b_h)`` into ``flat``, one per (layer, direction); with a
    projection (LSTMP) ``(W_i, W_h, b_i, b_h, W_hr)``, ``W_hr`` stored after ``W_h``."""
    g = MODES[mode]
    p = proj or h
    weights, off, ni = [], 0, input_size
    for _ in range(num_layers):
        for _ in range(d):
            wi = flat[off:off + g * h * ni].reshape(g * h, ni)
            off += g * h * ni
            wh = flat[off:off + g * h * p].reshape(g * h, p)
            off += g * h * p
            if proj:
                weights.append((wi, wh, flat[off:off + p * h].reshape(p, h)))
                off += p * h
            else:
                weights.append((wi, wh))
        ni = d * p
    out = []
    for w in weights:
        bi = flat[off:off + g * h]
        bh = flat[off + g * h:off + 2 * g * h]
        off += 2 * g * h
        out.append((w[0], w[1], bi, bh) + w[2:])
    return out


def _sigmoid(a: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    # 1 / (1 + exp(-a)); exp overflows to inf for a very negative a, giving exactly 0.
    # Not np.negative(a, out=a): NumPy 2.4 reads the wrong elements when that works in
    # place on a strided float32 view such as the gate columns a[:, :2H] of one row of
    # batch elements (seen with 2.4.6); multiply has no such fault
    out = np.multiply(a, -1, out=out)
    np.exp(out, out=out)
    out += 1
    np.reciprocal(out, out=out)
    return out


def _sparse(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """``(rows, cols, values)`` of the nonzeros of ``x`` as a (T*N, C) matrix, when they
    are few (under 1 in 8), else None.

    The book feeds its recurrent networks ``one_hot(X, vocab)``: one nonzero in each row
    of ~1000. Multiplying by the nonzeros only gives the same numbers as the dense product
    (whose other terms are exact zeros) for a fraction of the work. Counting them costs one
    pass over ``x``, little next to the product."""
    flat = x.reshape(-1, x.shape[-1])
    if np.count_nonzero(flat) * 8 > flat.size:
        return None
    r, c = np.nonzero(flat)
    return r, c, flat[r, c]


def _sparse_times(sp: tuple, w: np.ndarray, nrows: int) -> np.ndarray:
    """``X @ w`` for the sparse ``X`` (``nrows`` rows) given by :func:`_sparse`."""
    r, c, v = sp
    out = np.zeros((nrows, w.shape[1]), np.result_type(v, w))
    terms = w[c] * v[:, None]
    if r.size < 2 or (r[1:] != r[:-1]).all():  # at most one nonzero per row (one-hot)
        out[r] = terms
    else:
        np.add.at(out, r, terms)
    return out


def _sparse_t_times(sp: tuple, g: np.ndarray, ncols: int) -> np.ndarray:
    """``X^T @ g`` for the sparse ``X`` (``ncols`` columns) given by :func:`_sparse`."""
    r, c, v = sp
    out = np.zeros((ncols, g.shape[1]), g.dtype)
    if c.size == 0:
        return out
    order = np.argsort(c, kind="stable")
    cs = c[order]
    terms = g[r[order]] * v[order, None].astype(g.dtype, copy=False)
    starts = np.flatnonzero(np.r_[True, cs[1:] != cs[:-1]])
    out[cs[starts]] = np.add.reduceat(terms, starts, axis=0)
    return out


@register_op
@frozen_op
class RNN(Op):
    """h_t = cell(W_i x_t + b_i + W_h h_{t-1} + b_h), t = 1..T, per layer and direction; y = h_1..h_T [, h_T, c_T].   VJP: through time, t = T..1: da_t = (g_t + W_h^T da_{t+1}) * cell' (and through c_t for an LSTM); dW_i = sum_t da_t x_t^T, dW_h = sum_t da_t h_{t-1}^T, dx_t = W_i^T da_t"""  # noqa: E501

    name = "RNN"
    inputs = ("data", "parameters", "state", "state_cell")
    expose = False  # nd.RNN (minigluon/ndarray/rnn.py) takes 3 or 4 arrays and unpacks
    state_size: int
    num_layers: int
    bidirectional: bool = False
    mode: str = "lstm"
    p: float = 0.0
    state_outputs: bool = False
    #: dropout masks (already scaled by 1/(1-p)) for the outputs of layers 0..L-2, drawn
    #: by nd.RNN while training; None: no dropout
    masks: Any = attrs.field(default=None, repr=False)
    #: LSTM with projection (LSTMP): the state h_t = W_hr (o_t tanh(c_t)) has this size.
    #: Forward only, as MXNet's CPU operator: nd.RNN refuses to record it.
    projection_size: int | None = None

    def params(self) -> dict[str, Any]:
        p = super().params()
        p.pop("masks", None)  # arrays: not something to print in a graph label
        return p

    def _check(self, x, params, h0, c0):
        if self.mode not in MODES:
            raise MinigluonError(f"RNN: mode must be one of {sorted(MODES)}, got {self.mode!r}")
        if x.ndim != 3:
            raise MinigluonError(f"RNN: data must be 3-D (sequence length, batch, "
                                 f"features), got shape {x.shape}")
        d = 2 if self.bidirectional else 1
        want = (self.num_layers * d, x.shape[1], self.state_size)
        if self.projection_size:
            if self.mode != "lstm":
                raise MinigluonError("RNN: projection_size is only supported for LSTM")
            if self.projection_size > self.state_size:
                raise MinigluonError(f"RNN: projection_size ({self.projection_size}) must "
                                     f"not exceed state_size ({self.state_size})")
            wanth = (self.num_layers * d, x.shape[1], self.projection_size)
        else:
            wanth = want
        if h0.shape != wanth:
            raise MinigluonError(f"RNN: state must have shape {wanth}, got {h0.shape}")
        if (c0 is None) != (self.mode != "lstm"):
            raise MinigluonError("RNN: mode 'lstm' takes a state_cell, the other modes none")
        if c0 is not None and c0.shape != want:
            raise MinigluonError(f"RNN: state_cell must have shape {want}, got {c0.shape}")
        n = param_size(self.mode, self.num_layers, x.shape[2], self.state_size,
                       self.bidirectional, self.projection_size)
        if params.shape != (n,):
            raise MinigluonError(
                f"RNN: Shape inconsistent: parameters must be a flat vector of {n} values "
                f"for mode={self.mode!r}, num_layers={self.num_layers}, input size "
                f"{x.shape[2]}, "
                f"state_size={self.state_size}, bidirectional={self.bidirectional}"
                + (f", projection_size={self.projection_size}" if self.projection_size
                   else "") + f"; got shape {params.shape}")

    def forward(self, x, params, h0, c0=None):
        self._check(x, params, h0, c0)
        mode, H, L = self.mode, self.state_size, self.num_layers
        D = 2 if self.bidirectional else 1
        T, N, _ = x.shape
        dt = np.result_type(x.dtype, params.dtype, h0.dtype)
        P = self.projection_size or H
        ws = _split_params(params, mode, L, x.shape[2], H, D, self.projection_size)
        hn = np.empty((L * D, N, P), dt)
        cn = np.empty((L * D, N, H), dt) if mode == "lstm" else None
        layers = []  # per layer: (its input, one record per direction)
        inp = x
        for layer in range(L):
            out = np.empty((T, N, D * P), dt)
            recs = []
            for d in range(D):
                k = layer * D + d
                rec = self._run(inp, ws[k], h0[k], None if c0 is None else c0[k],
                                out[:, :, d * P:(d + 1) * P], d == 1)
                hn[k] = rec["h"][-1]
                if cn is not None:
                    cn[k] = rec["c"][-1]
                recs.append(rec)
            layers.append((inp, recs))
            if self.masks is not None and layer < L - 1:
                out *= self.masks[layer]
            inp = out
        y = inp
        if self.state_outputs and self.projection_size:
            # the cells (H wide) do not fit rows of the output (D*P wide): pack flat
            parts = [y.ravel(), hn.ravel()] + ([cn.ravel()] if cn is not None else [])
            y = np.concatenate(parts)
        elif self.state_outputs:
            parts = [y, hn.reshape(L, N, D * H)]
            if cn is not None:
                parts.append(cn.reshape(L, N, D * H))
            y = np.concatenate(parts, axis=0)
        return y, (layers, ws, params.shape, dt, c0 is not None)

    def _run(self, x, w, h0, c0, out, reverse):
        """One layer, one direction: writes h_t into ``out`` (a (T, N, H) view) and returns
        what backward needs, in processing order (``h[0]`` is the initial state)."""
        wi, wh, bi, bh = w[:4]
        whr = w[4].T.astype(out.dtype) if len(w) > 4 else None
        mode = self.mode
        T, N, ni = x.shape
        H = self.state_size
        G = MODES[mode]
        dt = out.dtype
        # the input-to-hidden products of all time steps in one matrix product
        sp = _sparse(x)
        if sp is None:
            xi = (x.reshape(T * N, ni) @ wi.T.astype(dt, copy=False)).reshape(T, N, G * H)
        else:
            xi = _sparse_times(sp, wi.T, T * N).astype(dt, copy=False).reshape(T, N, G * H)
        xi += bi
        hs = np.empty((T + 1, N, out.shape[2]), dt)
        hs[0] = h0
        acts = np.empty((T, N, G * H), dt)  # gate activations
        cs = tcs = hhn = None
        if mode == "lstm":
            cs = np.empty((T + 1, N, H), dt)
            cs[0] = c0
            tcs = np.empty((T, N, H), dt)
        elif mode == "gru":
            hhn = np.empty((T, N, H), dt)
        whT = np.ascontiguousarray(wh.T, dtype=dt)
        for s in range(T):
            t = T - 1 - s if reverse else s
            a = acts[s]
            np.matmul(hs[s], whT, out=a)
            a += bh
            if mode == "gru":
                hhn[s] = a[:, 2 * H:]  # h W_hn^T + b_hn, which the reset gate scales
                rz = a[:, :2 * H]
                rz += xi[t, :, :2 * H]
                _sigmoid(rz, out=rz)
                n = a[:, 2 * H:]
                n *= a[:, :H]
                n += xi[t, :, 2 * H:]
                np.tanh(n, out=n)
                hnew = hs[s + 1]
                np.subtract(hs[s], n, out=hnew)
                hnew *= a[:, H:2 * H]
                hnew += n  # (1 - z) n + z h = n + z (h - n)
            elif mode == "lstm":
                a += xi[t]
                _sigmoid(a[:, :2 * H], out=a[:, :2 * H])
                np.tanh(a[:, 2 * H:3 * H], out=a[:, 2 * H:3 * H])
                _sigmoid(a[:, 3 * H:], out=a[:, 3 * H:])
                c = cs[s + 1]
                np.multiply(a[:, H:2 * H], cs[s], out=c)
                c += a[:, :H] * a[:, 2 * H:3 * H]
                np.tanh(c, out=tcs[s])
                if whr is None:
                    np.multiply(a[:, 3 * H:], tcs[s], out=hs[s + 1])
                else:  # LSTMP: the state is the projection of o tanh(c)
                    np.matmul(a[:, 3 * H:] * tcs[s], whr, out=hs[s + 1])
            else:
                a += xi[t]
                if mode == "rnn_tanh":
                    np.tanh(a, out=a)
                else:
                    np.maximum(a, 0, out=a)
                hs[s + 1] = a
            out[t] = hs[s + 1]
        return {"h": hs, "a": acts, "c": cs, "tc": tcs, "hn": hhn, "rev": reverse, "sp": sp}

    def vjp(self, res, g):
        return self.vjp_some(res, g, (True, True, True, True))

    def vjp_some(self, res, g, needs):
        if self.projection_size:
            raise MinigluonError("RNN: no training support for LSTM with projection "
                                 "(MXNet's CPU operator has none)")
        layers, ws, pshape, dt, has_cell = res
        H, L = self.state_size, self.num_layers
        D = 2 if self.bidirectional else 1
        x = layers[0][0]
        T, N, _ = x.shape
        g = np.asarray(g, dtype=dt)
        if self.state_outputs:
            gy = g[:T]
            ghn = g[T:T + L].reshape(L * D, N, H)
            gcn = g[T + L:T + 2 * L].reshape(L * D, N, H) if has_cell else None
        else:
            gy, ghn, gcn = g, None, None
        dparams = np.zeros(pshape, dt)
        dws = _split_params(dparams, self.mode, L, x.shape[2], H, D)
        dh0 = np.zeros((L * D, N, H), dt)
        dc0 = np.zeros((L * D, N, H), dt) if has_cell else None
        dout = gy
        for layer in range(L - 1, -1, -1):
            inp, recs = layers[layer]
            if self.masks is not None and layer < L - 1:
                dout = dout * self.masks[layer]
            need_dx = layer > 0 or needs[0]
            dinp = np.zeros(inp.shape, dt) if need_dx else None
            for d in range(D):
                k = layer * D + d
                dh0[k], dc = self._back(
                    recs[d], inp, ws[k], dws[k], dout[:, :, d * H:(d + 1) * H],
                    None if ghn is None else ghn[k], None if gcn is None else gcn[k], dinp)
                if dc0 is not None:
                    dc0[k] = dc
            dout = dinp
        grads = [dout if needs[0] else None, dparams, dh0]
        if has_cell:
            grads.append(dc0)
        return grads

    def _back(self, rec, x, w, dw, dy, dhT, dcT, dx):
        """Back-propagation through time for one layer and direction. Writes the weight
        gradients into ``dw`` (views of the flat gradient), adds the input gradient into
        ``dx`` (unless None) and returns the initial states' gradients."""
        wi, wh, bi, bh = w
        dwi, dwh, dbi, dbh = dw
        mode = self.mode
        T, N, ni = x.shape
        H = self.state_size
        G = MODES[mode]
        hs, acts, rev = rec["h"], rec["a"], rec["rev"]
        dt = hs.dtype
        dh = np.zeros((N, H), dt) if dhT is None else dhT.astype(dt, copy=True)
        dc = None
        if mode == "lstm":
            dc = np.zeros((N, H), dt) if dcT is None else dcT.astype(dt, copy=True)
        whc = np.ascontiguousarray(wh, dtype=dt)
        da = np.empty((T, N, G * H), dt)  # gradient of the pre-activations, i2h side
        dhh = np.empty((T, N, G * H), dt) if mode == "gru" else da  # ... h2h side
        for s in range(T - 1, -1, -1):
            t = T - 1 - s if rev else s
            dht = dy[t] + dh
            a = acts[s]
            d = da[s]
            if mode == "rnn_tanh":
                np.multiply(a, a, out=d)
                np.subtract(1, d, out=d)
                d *= dht
            elif mode == "rnn_relu":
                np.multiply(dht, a > 0, out=d)
            elif mode == "lstm":
                i, f, gg, o = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
                tc = rec["tc"][s]
                dct = (1 - tc * tc) * o * dht
                dct += dc
                d[:, :H] = dct * gg * i * (1 - i)
                d[:, H:2 * H] = dct * rec["c"][s] * f * (1 - f)
                d[:, 2 * H:3 * H] = dct * i * (1 - gg * gg)
                d[:, 3 * H:] = dht * tc * o * (1 - o)
                dc = dct * f
            else:  # gru
                r, z, n = a[:, :H], a[:, H:2 * H], a[:, 2 * H:]
                dan = dht * (1 - z) * (1 - n * n)
                d[:, :H] = dan * rec["hn"][s] * r * (1 - r)
                d[:, H:2 * H] = dht * (hs[s] - n) * z * (1 - z)
                d[:, 2 * H:] = dan
                e = dhh[s]
                e[:, :2 * H] = d[:, :2 * H]
                np.multiply(dan, r, out=e[:, 2 * H:])
                dh = dht * z
                dh += e @ whc
                continue
            dh = d @ whc
        hp = hs[:T].reshape(T * N, H)
        dhh2 = dhh.reshape(T * N, G * H)
        dwh[...] = dhh2.T @ hp
        dbh[...] = dhh2.sum(axis=0)
        # back to time order for the input side
        dat = da[::-1] if rev else da
        da2 = np.ascontiguousarray(dat).reshape(T * N, G * H)
        sp = rec["sp"]
        if sp is None:
            dwi[...] = da2.T @ x.reshape(T * N, ni)
        else:
            dwi[...] = _sparse_t_times(sp, da2, ni).T
        dbi[...] = da2.sum(axis=0)
        if dx is not None:
            dx += (da2 @ wi.astype(dt, copy=False)).reshape(T, N, ni)
        return dh, dc

    @classmethod
    def samples(cls, rng):
        out = []
        cases = [("rnn_tanh", 1, False, False), ("rnn_relu", 2, False, True),
                 ("lstm", 1, False, True), ("lstm", 2, True, True), ("gru", 1, False, True),
                 ("gru", 2, True, False), ("rnn_tanh", 1, True, True)]
        T, N, ni, H = 3, 2, 3, 2
        for mode, L, bi, so in cases:
            D = 2 if bi else 1
            n = param_size(mode, L, ni, H, bi)
            xs = [rng.normal(size=(T, N, ni)), rng.normal(scale=0.6, size=n),
                  rng.normal(scale=0.5, size=(L * D, N, H))]
            if mode == "lstm":
                xs.append(rng.normal(scale=0.5, size=(L * D, N, H)))
            if mode == "rnn_relu":  # keep pre-activations away from the kink at 0
                xs[1] = np.abs(xs[1]) + 0.05
                xs[0] = np.abs(xs[0]) + 0.1
                xs[2] = np.abs(xs[2])
            out.append((cls(H, L, bi, mode, 0.0, so), xs))
        # a one-hot input (the book's) takes the sparse path; repeated tokens included
        onehot = np.eye(16)[[[0, 2], [2, 2], [1, 13]]]
        n = param_size("gru", 1, 16, H, True)
        out.append((cls(H, 1, True, "gru", 0.0, True),
                    [onehot, rng.normal(scale=0.6, size=n),
                     rng.normal(scale=0.5, size=(2, N, H))]))
        two = onehot.copy()
        two[1, 0, 9] = 0.5  # a row with two nonzeros
        n = param_size("lstm", 1, 16, H, False)
        out.append((cls(H, 1, False, "lstm", 0.0, True),
                    [two, rng.normal(scale=0.6, size=n), rng.normal(scale=0.5, size=(1, N, H)),
                     rng.normal(scale=0.5, size=(1, N, H))]))
        masks = (rng.uniform(size=(1, T, N, 2 * H)) > 0.4) * (1 / 0.6)
        n = param_size("lstm", 2, ni, H, True)
        out.append((cls(H, 2, True, "lstm", 0.4, True, tuple(masks)),
                    [rng.normal(size=(T, N, ni)), rng.normal(scale=0.6, size=n),
                     rng.normal(scale=0.5, size=(4, N, H)),
                     rng.normal(scale=0.5, size=(4, N, H))]))
        return out


@register_op
@frozen_op
class RNNParamConcat(Op):
    """y = [ravel(w_1), ravel(w_2), ...] (one flat vector).   VJP: dw_k = g[piece k] reshaped to w_k"""  # noqa: E501

    name = "_rnn_param_concat"
    inputs = ("*data",)
    saves = None
    dim: int = 0

    def forward(self, *ws):
        if self.dim != 0:
            raise MinigluonError("_rnn_param_concat joins flattened arrays: dim must be 0")
        return np.concatenate([w.reshape(-1) for w in ws]), tuple(w.shape for w in ws)

    def vjp(self, res, g):
        out, off = [], 0
        for shape in res:
            n = int(np.prod(shape))
            out.append(g[off:off + n].reshape(shape))
            off += n
        return out

    @classmethod
    def samples(cls, rng):
        return [(cls(), [rng.normal(size=(3, 2)), rng.normal(size=(4,)),
                         rng.normal(size=(2, 2))])]
