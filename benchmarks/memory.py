"""W4: what the tape keeps for backward, measured two ways.

The model is a ReLU MLP of raw arrays (no Gluon): ``layers`` fully connected layers of
``width`` units on a batch of ``batch`` rows, float32, head ``sum`` of the last layer.
Memory is counted in *activations*: one layer's output, ``batch * width * 4`` bytes.

- the tape's own accounting: ``tape.saved_bytes``, minus the buffers that exist anyway
  (the input and the parameters, which a VJP reads but which cost nothing extra);
- tracemalloc, to which NumPy reports its buffers: memory alive after the recorded forward
  that was not alive before it.

A perfect tape keeps one activation per layer (each ReLU output, which is also the next
layer's input). NumPy reference steps, for the peak: the textbook one keeps each layer's
pre-activation Z and activation H until the backward is done (as d2l 4.7 writes it); the
lean one keeps only H, works in place and drops each H once used.
"""

from __future__ import annotations

import gc
import tracemalloc
import weakref
from typing import Any

import numpy as np

from minigluon import autograd, nd


def _root(a: np.ndarray) -> np.ndarray:
    while isinstance(a.base, np.ndarray):
        a = a.base
    return a


class MLP:
    """Input, parameters and gradient buffers of the benchmark MLP, as NumPy arrays and as
    minigluon arrays sharing the same data."""

    def __init__(self, batch: int, width: int, layers: int) -> None:
        rng = np.random.default_rng(4)
        self.batch, self.width, self.layers = batch, width, layers
        self.X = rng.normal(size=(batch, width)).astype(np.float32)
        # He initialisation keeps the activations of the deep ReLU stack of order one
        self.W = [(rng.normal(size=(width, width)) * np.sqrt(2 / width)).astype(np.float32)
                  for _ in range(layers)]
        self.b = [np.full(width, 0.01, np.float32) for _ in range(layers)]
        self.gW = [np.zeros_like(w) for w in self.W]
        self.gb = [np.zeros_like(b) for b in self.b]
        self.Xm = nd.array(self.X)
        self.Wm = [nd.array(w) for w in self.W]
        self.bm = [nd.array(b) for b in self.b]
        for p in self.Wm + self.bm:
            p.attach_grad()
        self.activation = batch * width * 4
        self.existing = {id(_root(p._data)) for p in [self.Xm, *self.Wm, *self.bm]}

    def mg_forward(self) -> Any:
        h = self.Xm
        for W, b in zip(self.Wm, self.bm):
            h = nd.relu(nd.FullyConnected(h, W, b, num_hidden=self.width))
        return h.sum()

    def np_textbook_step(self) -> float:
        """Forward keeping Z and H per layer, then the hand-derived backward."""
        Hs, Zs = [self.X], []
        for W, b in zip(self.W, self.b):
            Z = Hs[-1] @ W.T + b
            Zs.append(Z)
            Hs.append(np.maximum(Z, 0))
        loss = float(Hs[-1].sum())
        G = np.ones_like(Hs[-1])
        for i in reversed(range(self.layers)):
            G = G * (Zs[i] > 0)
            self.gW[i][...] = G.T @ Hs[i]
            self.gb[i][...] = G.sum(axis=0)
            G = G @ self.W[i]
        return loss

    def np_lean_step(self) -> float:
        """Forward keeping only H (in place), backward dropping each H after use."""
        Hs = [self.X]
        for W, b in zip(self.W, self.b):
            H = Hs[-1] @ W.T
            H += b
            np.maximum(H, 0, out=H)
            Hs.append(H)
        loss = float(Hs[-1].sum())
        G = np.ones_like(Hs[-1])
        for i in reversed(range(self.layers)):
            G *= Hs.pop() > 0
            self.gW[i][...] = G.T @ Hs[i]
            self.gb[i][...] = G.sum(axis=0)
            G = G @ self.W[i]
        return loss

    def new_saved_bytes(self, tape: Any) -> int:
        """Bytes of the distinct buffers the tape keeps that did not exist before."""
        roots = {id(_root(a)): _root(a) for n in tape.nodes for a in n.saved}
        return sum(r.nbytes for k, r in roots.items() if k not in self.existing)


def _traced() -> int:
    return tracemalloc.get_traced_memory()[0]


def _array_bytes() -> int:
    """Bytes of NumPy array data alive now (NumPy traces its buffers in its own domain);
    Python objects such as tape nodes are left out."""
    snap = tracemalloc.take_snapshot().filter_traces(
        [tracemalloc.DomainFilter(True, np.lib.tracemalloc_domain)])
    return sum(t.size for t in snap.traces)


def _peak_of(fn: Any) -> tuple[int, Any]:
    gc.collect()
    base = _traced()
    tracemalloc.reset_peak()
    out = fn()
    return tracemalloc.get_traced_memory()[1] - base, out


def measure(batch: int, width: int, layers: int) -> dict[str, Any]:
    """All W4 numbers, in bytes and in activations per hidden layer."""
    tracemalloc.start()
    try:
        m = MLP(batch, width, layers)
        act, L = m.activation, layers
        r: dict[str, Any] = {"batch": batch, "width": width, "layers": layers,
                             "activation_bytes": act}

        # recorded forward: what stays alive for backward
        gc.collect()
        base, base_arrays = _traced(), _array_bytes()
        tracemalloc.reset_peak()
        with autograd.record() as tape:
            loss = m.mg_forward()
        peak_forward = tracemalloc.get_traced_memory()[1] - base
        kept_traced = _array_bytes() - base_arrays
        r["kept_objects_bytes"] = _traced() - base - kept_traced  # nodes, wrappers
        r["tape_saved_bytes"] = tape.saved_bytes
        r["tape_new_bytes"] = m.new_saved_bytes(tape)
        r["kept_tape_act"] = r["tape_new_bytes"] / act / L
        r["kept_traced_bytes"] = kept_traced
        r["kept_traced_act"] = kept_traced / act / L
        refs = [weakref.ref(_root(a)) for n in tape.nodes for a in n.saved
                if id(_root(a)) not in m.existing]

        # backward frees it all, without help from the garbage collector
        tracemalloc.reset_peak()  # the snapshots above must not count
        loss.backward()
        r["after_backward_tape_bytes"] = tape.saved_bytes
        r["after_backward_alive_arrays"] = sum(ref() is not None for ref in refs)
        peak = tracemalloc.get_traced_memory()[1] - base
        r["after_backward_traced_bytes"] = _array_bytes() - base_arrays
        r["after_backward_traced_act"] = r["after_backward_traced_bytes"] / act / L
        r["peak_train_bytes"] = max(peak, peak_forward)
        # a scalar loss and its gradient seed may remain: a few bytes, no activation
        r["freed_after_backward"] = (r["after_backward_tape_bytes"] == 0
                                     and r["after_backward_alive_arrays"] == 0
                                     and r["after_backward_traced_bytes"] < 1024)
        del loss, tape, refs

        # prediction: nothing recorded, nothing kept
        gc.collect()
        base, base_arrays = _traced(), _array_bytes()
        tracemalloc.reset_peak()
        with autograd.predict_mode():
            out = m.mg_forward()
        r["peak_predict_bytes"] = tracemalloc.get_traced_memory()[1] - base
        r["predict_recorded"] = out._node is not None
        r["kept_predict_bytes"] = _array_bytes() - base_arrays - out._data.nbytes
        r["kept_predict_act"] = r["kept_predict_bytes"] / act / L
        del out

        r["peak_numpy_textbook_bytes"], _ = _peak_of(m.np_textbook_step)
        r["peak_numpy_lean_bytes"], _ = _peak_of(m.np_lean_step)
        for k in ("peak_train_bytes", "peak_predict_bytes", "peak_numpy_textbook_bytes",
                  "peak_numpy_lean_bytes"):
            r[k.replace("_bytes", "_act")] = r[k] / act
        r["peak_train_vs_textbook"] = r["peak_train_bytes"] / r["peak_numpy_textbook_bytes"]
        r["peak_train_vs_lean"] = r["peak_train_bytes"] / r["peak_numpy_lean_bytes"]
        r["peak_predict_vs_textbook"] = (r["peak_predict_bytes"]
                                         / r["peak_numpy_textbook_bytes"])
        # the minigluon gradients must be the NumPy ones (same computation)
        r["grads_agree"] = bool(all(
            np.allclose(p.grad.asnumpy(), g, rtol=1e-3, atol=1e-3 * float(np.abs(g).max()))
            for p, g in zip(m.Wm + m.bm, m.gW + m.gb)))
        return r
    finally:
        tracemalloc.stop()
