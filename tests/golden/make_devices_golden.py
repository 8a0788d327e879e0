"""Regenerate tests/golden/devices.npz (kvstore sums, parameters on several contexts, the
Trainer's aggregation over devices) from real MXNet (the oracle), on mx.cpu(0) and
mx.cpu(1), which MXNet 1.9.1 keeps as distinct contexts.

Run from the repository root with the MXNet venv:

    ~/mxnet-oracle/bin/python tests/golden/make_devices_golden.py

Made with Apache MXNet 1.9.1 (CPU build, pip wheel), numpy 1.23.5, Python 3.11.

The programs take the framework module ``mx`` (``mxnet`` here, ``minigluon`` in
tests/gluon/test_devices.py) and return a dict of NumPy arrays; inputs are made from
sines. Keys are ``"<program>/<result>"``; the file is written atomically.
"""

import os
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "devices.npz")


def pattern(shape, k=0.0):
    i = np.arange(int(np.prod(shape)), dtype=np.float64)
    return (np.cos(1.37 * i + k) + 0.3 * np.sin(7.1 * i + 2 * k)).reshape(shape)


def ctx_code(ctx):
    return np.array([ctx.device_typeid, ctx.device_id])


def kvstore_sums(mx):
    nd = mx.nd
    c0, c1 = mx.cpu(0), mx.cpu(1)
    out = {}
    kv = mx.kv.create("device")
    kv.init([3, 5], [nd.array(pattern((2, 3))), nd.array(pattern((4,), 1))])
    kv.push([3, 5], [[nd.array(pattern((2, 3), 2), ctx=c0), nd.array(pattern((2, 3), 3), ctx=c1)],
                     [nd.array(pattern((4,), 4), ctx=c1)]])
    o = [nd.zeros((2, 3), ctx=c0), nd.zeros((2, 3), ctx=c1)]
    o5 = nd.zeros((4,), ctx=c1)
    kv.pull([3, 5], out=[o, o5])
    out["pull3_0"], out["pull3_1"], out["pull5"] = o[0].asnumpy(), o[1].asnumpy(), o5.asnumpy()
    out["pull3_ctx1"] = ctx_code(o[1].context)
    kv = mx.kv.create("local")
    kv.init("w", nd.array(pattern((3,), 5)))
    kv.set_optimizer(mx.optimizer.SGD(learning_rate=0.1, momentum=0.9, wd=0.01))
    for step in range(3):
        kv.push("w", [nd.array(pattern((3,), 6 + step), ctx=c0),
                      nd.array(pattern((3,), 9 + step), ctx=c1)])
    w = nd.zeros((3,), ctx=c1)
    kv.pull("w", out=w)
    out["sgd_w"] = w.asnumpy()
    v = [nd.array(pattern((3,), 20), ctx=c0), nd.array(pattern((3,), 21), ctx=c1)]
    kv.pushpull("w", v)
    out["pushpull_0"], out["pushpull_1"] = v[0].asnumpy(), v[1].asnumpy()
    return out


def _net(mx, ctxs):
    net = mx.gluon.nn.Dense(3, in_units=4, activation="tanh")
    net.initialize(ctx=ctxs)
    net.weight.set_data(mx.nd.array(pattern((3, 4), 1)))
    net.bias.set_data(mx.nd.array(pattern((3,), 2)))
    return net


def multi_context_params(mx):
    nd, ag = mx.nd, mx.autograd
    ctxs = [mx.cpu(0), mx.cpu(1)]
    net = _net(mx, ctxs)
    out = {"list_ctx": np.array([ctx_code(c) for c in net.weight.list_ctx()])}
    x = nd.array(pattern((6, 4), 3))
    parts = mx.gluon.utils.split_and_load(x, ctxs)
    out["part_ctx"] = np.array([ctx_code(p.context) for p in parts])
    with ag.record():
        ls = [(net(p) ** 2).sum() for p in parts]
    for loss in ls:
        loss.backward()
    for i, c in enumerate(ctxs):
        out[f"wgrad{i}"] = net.weight.grad(c).asnumpy()
        out[f"bgrad{i}"] = net.bias.list_grad()[i].asnumpy()
        out[f"loss{i}"] = ls[i].asnumpy()
        out[f"loss_ctx{i}"] = ctx_code(ls[i].context)
    net.weight.zero_grad()
    out["wgrad0_zeroed"] = net.weight.grad(ctxs[0]).asnumpy()
    net.weight.reset_ctx([mx.cpu(1)])
    out["reset_list_ctx"] = np.array([ctx_code(c) for c in net.weight.list_ctx()])
    out["reset_data"] = net.weight.data(mx.cpu(1)).asnumpy()
    return out


def trainer_steps(mx):
    nd, ag = mx.nd, mx.autograd
    ctxs = [mx.cpu(0), mx.cpu(1)]
    out = {}
    for name, kw in [("kv_update", {}), ("kv_noupdate", {"update_on_kvstore": False}),
                     ("nokv", {"kvstore": None})]:
        net = _net(mx, ctxs)
        tr = mx.gluon.Trainer(net.collect_params(), "sgd",
                              {"learning_rate": 0.5, "momentum": 0.9, "wd": 0.01}, **kw)
        for step in range(3):
            x = nd.array(pattern((6, 4), 10 + step))
            y = nd.array(pattern((6, 3), 20 + step))
            parts = mx.gluon.utils.split_and_load(x, ctxs)
            labels = mx.gluon.utils.split_and_load(y, ctxs)
            with ag.record():
                ls = [((net(p) - t) ** 2).sum() for p, t in zip(parts, labels)]
            for loss in ls:
                loss.backward()
            tr.step(6)
        for i, c in enumerate(ctxs):
            out[f"{name}/w{i}"] = net.weight.data(c).asnumpy()
            out[f"{name}/b{i}"] = net.bias.data(c).asnumpy()
            out[f"{name}/wgrad{i}"] = net.weight.grad(c).asnumpy()
    return out


def set_data_resets_store(mx):
    """set_data on a parameter updated on the kvstore: the store restarts from the new
    weights with fresh optimizer states (momentum forgotten for every parameter)."""
    nd, ag = mx.nd, mx.autograd
    ctxs = [mx.cpu(0), mx.cpu(1)]
    net = mx.gluon.nn.Dense(1, in_units=2)
    net.initialize(mx.init.One(), ctx=ctxs)
    tr = mx.gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1, "momentum": 0.9})

    def step():
        xs = [nd.array(pattern((1, 2), i), ctx=c) for i, c in enumerate(ctxs)]
        with ag.record():
            ls = [net(x).sum() for x in xs]
        for loss in ls:
            loss.backward()
        tr.step(1)

    step()
    step()
    net.weight.set_data(nd.array([[5, 6]]))
    step()
    return {f"{n}{i}": p.data(c).asnumpy() for n, p in (("w", net.weight), ("b", net.bias))
            for i, c in enumerate(ctxs)}


PROGRAMS = {"kvstore": kvstore_sums, "params": multi_context_params,
            "trainer": trainer_steps, "set_data": set_data_resets_store}


def main():
    import mxnet as mx

    if not mx.__version__.startswith("1.9"):
        sys.exit(f"expected MXNet 1.9.x, got {mx.__version__}")
    arrays = {}
    for pname, prog in PROGRAMS.items():
        for key, val in prog(mx).items():
            arrays[f"{pname}/{key}"] = np.asarray(val)
    fd, tmp = tempfile.mkstemp(dir=HERE, suffix=".npz")
    os.close(fd)
    np.savez(tmp, **arrays)
    os.replace(tmp, OUT)
    print(f"wrote {OUT}: {len(arrays)} arrays")


if __name__ == "__main__":
    main()
