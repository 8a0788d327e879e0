"""The book's section 3.14 in one run: ``python -m minigluon.demo [OUTDIR]``.

Forward propagation of the section's model (one example, no bias, an L2 penalty), its
gradients derived by hand next to the ones ``backward()`` computes, the backward pass step
by step, and the computational graph (Figure 3.6) written to ``OUTDIR`` (default: the
current folder) as SVG when a dot renderer is installed (``pip install graphviz-pure``),
and always as DOT text. The tutorials tell the same story at length.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from . import autograd, nd, random, viz
from ._fileformat import atomic_write
from .base import MinigluonError
from .explain import explain


def main(argv: list[str] | None = None) -> int:
    """Run the demo; returns the exit status (1 if a hand gradient disagrees)."""
    args = sys.argv[1:] if argv is None else argv
    outdir = Path(args[0]) if args else Path(".")
    outdir.mkdir(parents=True, exist_ok=True)

    random.seed(0)
    d, h, q, lam = 4, 5, 3, 0.1
    x = nd.random.normal(shape=(d, 1), dtype="float64")
    y = nd.array([2], dtype="float64")
    W1 = nd.random.normal(scale=0.5, shape=(h, d), dtype="float64")
    W2 = nd.random.normal(scale=0.5, shape=(q, h), dtype="float64")
    W1.attach_grad()
    W2.attach_grad()

    print("== Forward propagation (d2l 3.14): z = W1 x, h = relu(z), o = W2 h,")
    print("   L = cross-entropy(o, y), s = lam/2 (|W1|^2 + |W2|^2), J = L + s")
    with autograd.record() as tape:
        z = nd.dot(W1, x)
        hidden = nd.relu(z)
        o = nd.dot(W2, hidden)
        L = -nd.pick(nd.log_softmax(o, axis=0), y, axis=0)
        s = lam / 2 * ((W1 ** 2).sum() + (W2 ** 2).sum())
        J = L + s
    names = {"x": x, "y": y, "W1": W1, "W2": W2, "z": z, "h": hidden, "o": o, "L": L,
             "s": s, "J": J}
    for n in ("z", "h", "o"):
        print(f"   {n} {names[n].shape}: {np.round(names[n].asnumpy().ravel(), 4)}")
    for n in ("L", "s", "J"):
        print(f"   {n} = {names[n].asscalar():.6f}")
    print(f"   the tape recorded {len(tape)} operations and keeps {tape.saved_bytes} bytes "
          "for backward")

    figure = viz.graph(J, names, collapse=True, ops={"h": "φ", "L": "ℓ", "s": "L2"})
    dot_path = outdir / "section_3_14_graph.dot"
    atomic_write(dot_path, [figure.source.encode("utf-8")])
    try:
        svg_path = outdir / "section_3_14_graph.svg"
        figure.render(svg_path)
        print(f"== The computational graph (Figure 3.6): {svg_path} (and {dot_path})")
    except MinigluonError as e:
        print(f"== The computational graph (Figure 3.6): {dot_path}; no picture: {e}")
    print(figure.text)

    print("== Backpropagation: the section's formulas against backward()")
    dJ_do = nd.softmax(o, axis=0) - nd.one_hot(y, q, dtype="float64").reshape((q, 1))
    hand = {"W2": nd.dot(dJ_do, hidden.T) + lam * W2}
    dJ_dz = nd.dot(W2.T, dJ_do) * (z > 0)
    hand["W1"] = nd.dot(dJ_dz, x.T) + lam * W1
    steps = explain(J, names)  # runs backward() and records each step
    ok = True
    for n, formula in (("W2", "(dJ/do) h^T + lam W2"), ("W1", "(dJ/dz) x^T + lam W1")):
        diff = float(nd.abs(names[n].grad - hand[n]).max())
        ok &= diff < 1e-12
        print(f"   dJ/d{n} = {formula}: max |by hand - backward()| = {diff:.1e}")
    print("== The backward pass, step by step (reverse order of the forward pass)")
    print(steps.table())
    print("all hand-derived gradients match" if ok else "MISMATCH")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
