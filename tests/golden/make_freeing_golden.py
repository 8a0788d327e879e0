"""Regenerate tests/golden/freeing.npz: what MXNet does with graphs that a backward freed.

Run from the repository root with the MXNet venv:

    ~/mxnet-oracle/bin/python tests/golden/make_freeing_golden.py

Made with Apache MXNet 1.9.1 (CPU pip wheel), numpy 1.23.5, Python 3.11, Linux x86_64.

Each case is a function of the framework module ``mx`` (``mxnet`` here, ``minigluon`` in
tests/core/test_freeing.py, which imports this file without importing mxnet) returning a dict
of NumPy arrays. A case that raises is recorded as ``"<case>/error"`` holding the
exception's class name and the first line of its message; the test then checks that
minigluon raises too (its messages differ: docs/mxnet-semantics.rst lists them).
The cases are described in docs/mxnet-semantics.rst ("Graphs freed by backward").
"""

import os
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "freeing.npz")


def _x(nd, values=(1.0, 2.0), req="write"):
    x = nd.array(list(values))
    x.attach_grad(grad_req=req)
    return x


def second_backward(mx):
    """(a) the same head twice, without retain_graph."""
    nd, ag = mx.nd, mx.autograd
    x = _x(nd)
    with ag.record():
        y = (x * x).sum()
    y.backward()
    y.backward()
    return {}


def freed_times_live(mx):
    """(b) a freed graph's array times a live variable: a constant."""
    nd, ag = mx.nd, mx.autograd
    x = _x(nd)
    with ag.record():
        h = x * 2
        y = (h * h).sum()
    y.backward()
    with ag.record():
        z = (h * x).sum()
    z.backward()
    return {"x.grad": x.grad.asnumpy()}


def freed_only(mx):
    """(b') a head that reaches only a freed graph's arrays."""
    nd, ag = mx.nd, mx.autograd
    x = _x(nd)
    with ag.record():
        h = x * 2
        y = (h * h).sum()
    y.backward()
    with ag.record():
        z = (h * 3).sum()
    z.backward()
    return {}


def carried_state(mx):
    """(b'') the book's train_and_predict_rnn: a state carried across batches, its
    s.detach() result thrown away."""
    nd, ag = mx.nd, mx.autograd
    x = _x(nd, (0.3, -0.5, 0.8))
    w = _x(nd, (0.9, 0.2, -0.4))
    s = nd.zeros(3)
    out = {}
    for i in range(4):
        s.detach()
        with ag.record():
            for _ in range(3):
                s = nd.tanh(s * w + x)
            loss = (s * s).sum()
        loss.backward()
        out[f"x.grad{i}"] = x.grad.asnumpy()
        out[f"w.grad{i}"] = w.grad.asnumpy()
        out[f"s{i}"] = s.asnumpy()
    return out


def retain_then_write(mx):
    """(c) retain_graph=True, then a second backward: 'write' overwrites."""
    nd, ag = mx.nd, mx.autograd
    x = _x(nd)
    with ag.record():
        y = (x * x).sum()
    y.backward(retain_graph=True)
    g1 = x.grad.asnumpy()
    y.backward()
    return {"g1": g1, "g2": x.grad.asnumpy()}


def retain_then_add(mx):
    """(c') the same with grad_req='add': accumulates."""
    nd, ag = mx.nd, mx.autograd
    x = _x(nd, req="add")
    with ag.record():
        y = (x * x).sum()
    y.backward(retain_graph=True)
    g1 = x.grad.asnumpy()
    y.backward()
    return {"g1": g1, "g2": x.grad.asnumpy()}


def retain_then_third(mx):
    """(c'') retain_graph=True, a plain backward, then a third: the graph is gone."""
    nd, ag = mx.nd, mx.autograd
    x = _x(nd)
    with ag.record():
        y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    y.backward()
    return {}


def grad_on_freed(mx):
    """(d) autograd.grad of a head whose graph backward freed."""
    nd, ag = mx.nd, mx.autograd
    x = _x(nd)
    with ag.record():
        y = (x * x).sum()
    y.backward()
    ag.grad(y, [x])
    return {}


def grad_twice(mx):
    """(d) autograd.grad twice (retain_graph defaults to create_graph=False)."""
    nd, ag = mx.nd, mx.autograd
    x = _x(nd)
    with ag.record():
        y = (x * x).sum()
    ag.grad(y, [x])
    ag.grad(y, [x])
    return {}


def shared_subgraph_const(mx):
    """(d) two heads sharing a subgraph: the first backward frees the shared part, and the
    second head reaches no variable any more."""
    nd, ag = mx.nd, mx.autograd
    x = _x(nd)
    with ag.record():
        h = x * x
        y1 = (h * 2).sum()
        y2 = (h * 3).sum()
    y1.backward()
    y2.backward()
    return {}


def shared_subgraph(mx):
    """(d) the same where the second head also uses a live variable w (MXNet 1.9.1 fails
    with an internal error; minigluon treats h as the constant it became)."""
    nd, ag = mx.nd, mx.autograd
    x = _x(nd)
    w = _x(nd, (3.0, 4.0))
    with ag.record():
        h = x * x
        y1 = (h * 2).sum()
        y2 = (h * w).sum()
    y1.backward()
    y2.backward()
    return {"x.grad": x.grad.asnumpy(), "w.grad": w.grad.asnumpy()}


def shared_subgraph_retained(mx):
    """(d) the same with retain_graph=True on the first: both go through."""
    nd, ag = mx.nd, mx.autograd
    x = _x(nd)
    with ag.record():
        h = x * x
        y1 = (h * 2).sum()
        y2 = (h * 3).sum()
    y1.backward(retain_graph=True)
    y2.backward()
    return {"x.grad": x.grad.asnumpy()}


def freed_with_live_other(mx):
    """(d) a freed array with another live variable: the gradient stops silently, the
    first variable's .grad is left as it was."""
    nd, ag = mx.nd, mx.autograd
    x = _x(nd)
    w = _x(nd, (3.0, 4.0))
    with ag.record():
        h = x * x
        y = h.sum()
    y.backward()
    x.grad[:] = 7
    with ag.record():
        z = (h * w).sum()
    z.backward()
    return {"x.grad": x.grad.asnumpy(), "w.grad": w.grad.asnumpy()}


def grad_through_freed(mx):
    """(d) autograd.grad with respect to a variable reached only through a freed graph."""
    nd, ag = mx.nd, mx.autograd
    x = _x(nd)
    w = _x(nd, (3.0, 4.0))
    with ag.record():
        h = x * x
        y = h.sum()
    y.backward()
    with ag.record():
        z = (h * w).sum()
    ag.grad(z, [x])
    return {}


def grad_live_past_freed(mx):
    """(d) autograd.grad with respect to the live variable of such a head."""
    nd, ag = mx.nd, mx.autograd
    x = _x(nd)
    w = _x(nd, (3.0, 4.0))
    with ag.record():
        h = x * x
        y = h.sum()
    y.backward()
    with ag.record():
        z = (h * w).sum()
    return {"dw": ag.grad(z, [w])[0].asnumpy()}


def retained_in_new_graph(mx):
    """(d) a retained graph's array in a new recording: the gradient goes through both."""
    nd, ag = mx.nd, mx.autograd
    x = _x(nd)
    with ag.record():
        h = x * 2
        y = (h * h).sum()
    y.backward(retain_graph=True)
    with ag.record():
        z = (h * x).sum()
    z.backward()
    return {"x.grad": x.grad.asnumpy()}


def retained_then_freed_by_new(mx):
    """(d) ... and after that the first head is no longer differentiable."""
    nd, ag = mx.nd, mx.autograd
    x = _x(nd)
    with ag.record():
        h = x * 2
        y = (h * h).sum()
    y.backward(retain_graph=True)
    with ag.record():
        z = (h * x).sum()
    z.backward()
    y.backward()
    return {}


def freed_after_retained(mx):
    """(d) retain, then a freeing backward, then a new recording: h is a constant."""
    nd, ag = mx.nd, mx.autograd
    x = _x(nd)
    with ag.record():
        h = x * 2
        y = (h * h).sum()
    y.backward(retain_graph=True)
    y.backward()
    with ag.record():
        z = (h * x).sum()
    z.backward()
    return {"x.grad": x.grad.asnumpy()}


def backward_from_freed_intermediate(mx):
    """(d) backward from an intermediate array of a freed graph."""
    nd, ag = mx.nd, mx.autograd
    x = _x(nd)
    with ag.record():
        h = x * 2
        y = (h * h).sum()
    y.backward()
    h.backward()
    return {}


def leaf_survives(mx):
    """(d) the variable itself stays a variable after its graph was freed."""
    nd, ag = mx.nd, mx.autograd
    x = _x(nd)
    with ag.record():
        y = (x * x).sum()
    y.backward()
    with ag.record():
        y = (x * x * x).sum()
    y.backward()
    return {"x.grad": x.grad.asnumpy()}


def attach_grad_on_freed(mx):
    """(d) attach_grad on a freed graph's array makes it a new variable."""
    nd, ag = mx.nd, mx.autograd
    x = _x(nd)
    with ag.record():
        h = x * 2
        y = (h * h).sum()
    y.backward()
    h.attach_grad()
    with ag.record():
        z = (h * x).sum()
    z.backward()
    return {"x.grad": x.grad.asnumpy(), "h.grad": h.grad.asnumpy()}


def inplace_on_freed(mx):
    """(d) an in-place write inside record on a freed graph's array: allowed (data)."""
    nd, ag = mx.nd, mx.autograd
    x = _x(nd)
    with ag.record():
        h = x * 2
        y = (h * h).sum()
    y.backward()
    with ag.record():
        h += 1
        z = (h * x).sum()
    z.backward()
    return {"x.grad": x.grad.asnumpy(), "h": h.asnumpy()}


def inplace_on_leaf(mx):
    """(d) ... but on the variable itself it is still an error."""
    nd, ag = mx.nd, mx.autograd
    x = _x(nd)
    with ag.record():
        y = (x * x).sum()
    y.backward()
    with ag.record():
        x += 1
    return {}


def create_graph_past_freed(mx):
    """(d) second order through a freed array: the gradient is a constant, not a graph."""
    nd, ag = mx.nd, mx.autograd
    x = _x(nd)
    with ag.record():
        h = x * 2
        y = (h * h).sum()
    y.backward()
    with ag.record():
        z = (nd.sin(h) * x).sum()
        g = ag.grad(z, [x], create_graph=True, retain_graph=True)[0]
    g.sum().backward()
    return {}


def several_heads(mx):
    """(d) autograd.backward of two heads frees both."""
    nd, ag = mx.nd, mx.autograd
    x = _x(nd)
    with ag.record():
        y1 = (x * x).sum()
        y2 = (x * 3).sum()
    ag.backward([y1, y2])
    g = x.grad.asnumpy()
    y2.backward()
    return {"x.grad": g}


def rnn_state_carried(mx):
    """(b) nd.RNN's final state, carried into the next batch whose loss uses only the
    output sequence: the state is an output of the previous batch's freed RNN node."""
    nd, ag = mx.nd, mx.autograd
    T, N, C, H = 3, 2, 2, 3
    n = H * C + H * H + 2 * H
    i = np.arange(n)
    params = nd.array(0.4 * np.cos(1.3 * i + 0.2))
    params.attach_grad()
    x = nd.array(np.sin(np.arange(T * N * C)).reshape(T, N, C))
    h = nd.zeros((1, N, H))
    out = {}
    for b in range(3):
        with ag.record():
            y, h = nd.RNN(x, params, h, state_size=H, num_layers=1, mode="rnn_tanh",
                          state_outputs=True)
            loss = (y * y).sum()
        loss.backward()
        out[f"grad{b}"] = params.grad.asnumpy()
        out[f"h{b}"] = h.asnumpy()
    return out


CASES = [second_backward, freed_times_live, freed_only, carried_state, retain_then_write,
         retain_then_add, retain_then_third, grad_on_freed, grad_twice, shared_subgraph_const,
         shared_subgraph,
         shared_subgraph_retained, freed_with_live_other, grad_through_freed,
         grad_live_past_freed, retained_in_new_graph, retained_then_freed_by_new,
         freed_after_retained, backward_from_freed_intermediate, leaf_survives,
         attach_grad_on_freed, inplace_on_freed, inplace_on_leaf, create_graph_past_freed,
         several_heads, rnn_state_carried]


def run(mx, case):
    """The case's arrays, or ``{"error": "<class>: <first line>"}`` if it raised.

    Arrays a case computed before raising (``several_heads``) are lost: the error is
    what is compared."""
    try:
        return case(mx)
    except Exception as e:  # noqa: BLE001 - what MXNet raises is the observation
        lines = [ln for ln in str(e).splitlines() if ln.strip()]
        msg = lines[-1] if lines else ""
        return {"error": np.array(f"{type(e).__name__}: {msg[:400]}")}


def main():
    import mxnet as mx

    out = {}
    for case in CASES:
        for k, v in run(mx, case).items():
            out[f"{case.__name__}/{k}"] = np.asarray(v)
        if not any(k.startswith(case.__name__ + "/") for k in out):
            out[f"{case.__name__}/ok"] = np.array(True)
    fd, tmp = tempfile.mkstemp(dir=HERE, suffix=".npz")
    os.close(fd)
    np.savez(tmp, **out)
    os.replace(tmp, OUT)
    for k in sorted(out):
        print(k, out[k] if out[k].ndim == 0 else out[k].tolist(), file=sys.stderr)


if __name__ == "__main__":
    main()
