"""Devices (issue 14): contexts, copies across devices, simulated GPUs, parameters on
several contexts, mx.kv and the Trainer's aggregation, against MXNet 1.9.1's values
(tests/golden/devices.npz, made by tests/golden/make_devices_golden.py on cpu(0)/cpu(1))."""

from __future__ import annotations

import importlib.util
import os

import numpy as np
import pytest

import minigluon as mx
from minigluon import autograd, gluon, nd
from minigluon.base import MXNetError

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(HERE, "..", "golden")


def _programs():
    spec = importlib.util.spec_from_file_location(
        "make_devices_golden", os.path.join(GOLDEN, "make_devices_golden.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture
def gpus():
    mx.context.simulate_gpus(2)
    yield [mx.gpu(0), mx.gpu(1)]
    mx.context.simulate_gpus(0)


@pytest.mark.parametrize("program", ["kvstore", "params", "trainer", "set_data"])
def test_matches_mxnet_on_two_cpu_contexts(program):
    mod = _programs()
    golden = np.load(os.path.join(GOLDEN, "devices.npz"))
    got = mod.PROGRAMS[program](mx)
    keys = [k for k in golden.files if k.startswith(program + "/")]
    assert sorted(f"{program}/{k}" for k in got) == sorted(keys)
    for key in keys:
        np.testing.assert_allclose(got[key.split("/", 1)[1]], golden[key], rtol=2e-5,
                                   atol=2e-6, err_msg=key)


def test_context_basics():
    c = mx.cpu(1)
    assert (repr(c), str(c), c.device_type, c.device_id, c.device_typeid) == \
        ("cpu(1)", "cpu(1)", "cpu", 1, 1)
    assert repr(mx.cpu_pinned()) == "cpu_pinned(0)" and mx.cpu_pinned() != mx.cpu()
    assert mx.gpu(2).device_typeid == 2 and hash(mx.cpu(1)) == hash(mx.Context("cpu", 1))
    assert mx.Context(mx.gpu(1)) == mx.gpu(1)
    assert mx.context.num_gpus() == 0
    assert mx.current_context() == mx.cpu()
    with mx.Context(mx.cpu(1)):
        assert mx.current_context() == mx.cpu(1)
        assert nd.ones(2).context == mx.cpu(1)
        assert nd.random.normal(shape=2).context == mx.cpu(1)
    assert mx.current_context() == mx.cpu() and nd.ones(2).context == mx.cpu()
    lo = nd.zeros(2, ctx=mx.cpu(1))
    assert nd.random.uniform(lo, lo + 1).context == mx.cpu(1)  # MXNet: the parameters' device
    assert nd.random.normal(lo, lo + 1).context == mx.cpu(1)


def test_cpu_ids_mix_as_mxnet_and_copies_are_recorded():
    a, b = nd.ones(2, ctx=mx.cpu(0)), nd.ones(2, ctx=mx.cpu(1))
    assert (a + b).context == mx.cpu(0) and (b + a).context == mx.cpu(1)  # MXNet allows it
    assert a.as_in_context(mx.cpu(0)) is a
    x = nd.array([1.0, 2.0])
    x.attach_grad()
    with autograd.record():
        y = x.copyto(mx.cpu(1))
        z = (y * y * 3).sum()
    z.backward()
    assert y.context == mx.cpu(1) and z.context == mx.cpu(1)
    assert x.grad.context == mx.cpu(0)
    np.testing.assert_allclose(x.grad.asnumpy(), [6.0, 12.0])
    x1 = nd.array([1.0, 2.0], ctx=mx.cpu(1))
    x1.attach_grad()
    with autograd.record():
        z1 = (x1 * x1).sum()
    (g1,) = autograd.grad(z1, [x1])
    assert g1.context == mx.cpu(1) and g1.asnumpy().tolist() == [2.0, 4.0]
    target = nd.zeros(2, ctx=mx.cpu(1))
    assert x.copyto(target) is target and target.context == mx.cpu(1)


def test_gpu_without_simulation_fails_as_mxnet_without_cuda():
    with pytest.raises(MXNetError, match="Operator _zeros is not implemented for GPU"):
        nd.zeros((1,), ctx=mx.gpu())
    with pytest.raises(MXNetError, match="Compile with USE_CUDA=1 to enable GPU usage"):
        nd.array([1], ctx=mx.gpu())
    with pytest.raises(MXNetError, match="GPU is not enabled"):
        nd.ones(1).copyto(mx.gpu())
    try:  # the book's try_gpu
        ctx = mx.gpu()
        _ = nd.zeros((1,), ctx=ctx)
    except mx.base.MXNetError:
        ctx = mx.cpu()
    assert ctx == mx.cpu()


def test_simulated_gpus_are_kept_apart(gpus):
    assert mx.context.num_gpus() == 2
    g0 = nd.ones((2, 2), ctx=gpus[0])
    assert repr(g0).endswith("<NDArray 2x2 @gpu(0)>")
    assert (g0 * 2).context == gpus[0] and nd.dot(g0, g0).context == gpus[0]
    with pytest.raises(MXNetError, match=r"\(1 vs. 2\) : Operator broadcast_add require all "
                       r"inputs live on the same context. But the first argument is on "
                       r"gpu\(0\) while the 2-th argument is on cpu\(0\)"):
        g0 + nd.ones((2, 2))
    with pytest.raises(MXNetError, match="first argument is on gpu.0. while the 2-th "
                       "argument is on gpu.1."):
        g0 + g0.copyto(gpus[1])
    with pytest.raises(MXNetError, match="invalid device ordinal"):
        nd.ones(1, ctx=mx.gpu(2))
    assert (g0.as_in_context(gpus[1]) + nd.ones((2, 2), ctx=gpus[1])).context == gpus[1]


def test_parameter_errors_and_split():
    p = gluon.Parameter("w", shape=(2,))
    p.initialize(ctx=[mx.cpu(0), mx.cpu(1)])
    with pytest.raises(RuntimeError, match=r"Parameter 'w' was not initialized on context "
                       r"cpu\(2\). It was only initialized on \[cpu\(0\), cpu\(1\)\]."):
        p.data(mx.cpu(2))
    p.set_data(nd.array([3, 4]))
    assert [d.asnumpy().tolist() for d in p.list_data()] == [[3, 4], [3, 4]]
    assert [g.context for g in p.list_grad()] == [mx.cpu(0), mx.cpu(1)]
    with pytest.raises(ValueError, match=r"data with shape \(5, 2\) cannot be evenly split "
                       "into 2 slices along axis 0"):
        gluon.utils.split_data(nd.ones((5, 2)), 2)
    parts = gluon.utils.split_and_load(nd.arange(10).reshape((5, 2)), [mx.cpu(0), mx.cpu(1)],
                                       even_split=False)
    assert [q.shape for q in parts] == [(3, 2), (2, 2)]
    assert [q.context for q in parts] == [mx.cpu(0), mx.cpu(1)]
    nd.waitall()


def test_kvstore_kinds_and_errors():
    kv = mx.kv.create("local")
    assert (kv.type, kv.rank, kv.num_workers) == ("local", 0, 1)
    assert mx.kv.create("device").type == "device"
    with pytest.raises(MXNetError, match="dist_sync.*several processes"):
        mx.kv.create("dist_sync")
    with pytest.raises(MXNetError, match="key 9 has not been inited"):
        kv.pull(9, out=nd.ones(2))
    kv.init("w", nd.ones(2))
    with pytest.raises(MXNetError, match="duplicate init of key w"):
        kv.init("w", nd.ones(2))
    with pytest.raises(MXNetError, match="Mixed key types are not allowed"):
        kv.init(3, nd.ones(2))


def _step_params(ctxs, x, y, kv="device"):
    net = gluon.nn.Sequential()
    net.add(gluon.nn.Dense(5, activation="relu"), gluon.nn.Dense(2))
    net.initialize(mx.init.Xavier(), ctx=ctxs)
    with autograd.pause():
        net(x[:1].as_in_context(ctxs[0]))
    for i, p in enumerate(net.collect_params().values()):  # same start on every device
        p.set_data(nd.array(np.cos(np.arange(np.prod(p.shape)) * 0.7 + i).reshape(p.shape)))
    tr = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.3, "momentum": 0.5},
                       kvstore=kv)
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    for _ in range(2):
        xs = gluon.utils.split_and_load(x, ctxs)
        ys = gluon.utils.split_and_load(y, ctxs)
        with autograd.record():
            ls = [loss_fn(net(a), b) for a, b in zip(xs, ys)]
        for loss in ls:
            loss.backward()
        tr.step(x.shape[0])
    return [[p.data(c).asnumpy() for p in net.collect_params().values()] for c in ctxs]


@pytest.mark.parametrize("kv", ["device", "local"])
def test_data_parallel_step_on_two_gpus_equals_one_device(gpus, kv):
    x = nd.array(np.sin(np.arange(32).reshape((8, 4)) * 1.3))
    y = nd.array([0, 1, 1, 0, 1, 0, 0, 1])
    single = _step_params([mx.cpu()], x, y)[0]
    for per_device in _step_params(gpus, x, y, kv):
        assert len(per_device) == len(single) == 4
        for got, want in zip(per_device, single):
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
