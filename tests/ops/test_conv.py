"""Convolution, pooling and batch norm (operators and Gluon layers) against MXNet 1.9.1.

The programs live in tests/golden/make_conv_golden.py and take the framework module as an
argument; tests/golden/conv.npz holds their results under MXNet (regenerate with
``~/mxnet-oracle/bin/python tests/golden/make_conv_golden.py``). Here they run with
minigluon and must agree in float64 to 1e-6 relative. Gradients of the operators against
finite differences are checked by test_ops_registry.py (their ``samples``).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import minigluon as mx
from minigluon import autograd, gluon, nd
from minigluon.base import MXNetError, NotAvailableError
from minigluon.gluon import nn
from minigluon.testing import check_grad

GOLDEN = Path(__file__).parents[1] / "golden"
RTOL, ATOL = 1e-6, 1e-9


def _load_programs():
    spec = importlib.util.spec_from_file_location("conv_golden",
                                                  GOLDEN / "make_conv_golden.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)  # defines the programs; imports no mxnet
    return mod


programs = _load_programs()
PROGRAMS = {p.__name__: p for p in programs.PROGRAMS}


@pytest.fixture(scope="module")
def golden():
    grouped: dict[str, dict[str, np.ndarray]] = {}
    with np.load(GOLDEN / "conv.npz", allow_pickle=False) as npz:
        for key in npz.files:
            prog, _, name = key.partition("/")
            grouped.setdefault(prog, {})[name] = npz[key]
    return grouped


def test_golden_file_matches_programs(golden):
    assert set(golden) - {"__meta__"} == set(PROGRAMS), "re-run make_conv_golden.py"
    assert str(golden["__meta__"]["mxnet_version"]) == "1.9.1"


@pytest.mark.parametrize("name", list(PROGRAMS))
def test_against_mxnet(name, golden):
    gluon.reset_name_counters()
    want = golden[name]
    got = {k: np.asarray(v) for k, v in PROGRAMS[name](mx).items()}
    assert set(got) == set(want)
    for key in sorted(want):
        g, w = got[key], want[key]
        assert g.shape == w.shape, key
        if w.dtype.kind == "U":
            assert g.tolist() == w.tolist(), key
        else:
            assert g.dtype == w.dtype, key
            np.testing.assert_allclose(g, w, rtol=RTOL, atol=ATOL, err_msg=key)


# ---- operators: a few facts spelled out ---------------------------------------------------

def test_convolution_by_hand():
    x = nd.arange(16).reshape((1, 1, 4, 4))
    w = nd.array([[[[1, 0], [0, -1]]]])
    y = nd.Convolution(x, w, nd.array([10]), kernel=(2, 2), num_filter=1)
    np.testing.assert_array_equal(y.asnumpy(), np.full((1, 1, 3, 3), 5.0))
    assert y.dtype == np.float32


def test_grouped_convolution_is_separate_convolutions():
    x = nd.array(programs.pattern((2, 4, 5, 5)))
    w = nd.array(programs.pattern((6, 2, 3, 3), 1.0))
    y = nd.Convolution(x, w, kernel=(3, 3), num_filter=6, num_group=2, no_bias=True)
    halves = [nd.Convolution(x[:, 2 * i:2 * i + 2], w[3 * i:3 * i + 3], kernel=(3, 3),
                             num_filter=3, no_bias=True) for i in range(2)]
    np.testing.assert_allclose(y.asnumpy(), nd.concat(*halves, dim=1).asnumpy(), rtol=1e-6)


@pytest.mark.parametrize("method", ["im2col", "batch-last", "grid", "winograd"])
def test_scratch_buffers_never_leak_into_results(method, monkeypatch):
    # the kernels reuse per-thread scratch buffers (ops._layout.scratch): outputs and
    # gradients of one convolution must not change when the next one reuses them, with
    # im2col (either layout), the stride-1 grid and Winograd's tiles
    from minigluon.ops import _layout, _windows

    monkeypatch.setattr(_windows, "WINOGRAD", lambda *_: method == "winograd")
    monkeypatch.setattr(_windows, "CONV_GRID", lambda _: method == "grid")
    monkeypatch.setattr(_windows, "BATCH_LAST", lambda *_: method == "batch-last")
    rng = np.random.default_rng(3)
    x1 = nd.array(rng.normal(size=(2, 3, 6, 6)))
    w1 = nd.array(rng.normal(size=(4, 3, 3, 3)))
    x1.attach_grad()
    w1.attach_grad()
    with autograd.record():
        y1 = nd.Convolution(x1, w1, kernel=(3, 3), num_filter=4, pad=(1, 1), no_bias=True)
    y1.backward()
    before = [a.asnumpy().copy() for a in (y1, x1.grad, w1.grad)]
    x2 = nd.array(rng.normal(size=(3, 5, 9, 9)))
    w2 = nd.array(rng.normal(size=(2, 5, 3, 3)))
    nd.Convolution(x2, w2, kernel=(3, 3), num_filter=2, no_bias=True).wait_to_read()
    _layout.release_scratch()
    nd.Convolution(x2, w2, kernel=(3, 3), num_filter=2, no_bias=True).wait_to_read()
    for b, a in zip(before, (y1, x1.grad, w1.grad)):
        np.testing.assert_array_equal(a.asnumpy(), b)
    # and the scratch buffers are as large as the largest use, no more: im2col's columns
    # (C*K, N*P), the grid's stacked product (K*F, N * padded size), or Winograd's
    # transformed input (16, C, N * 4x4 tiles of 2x2 outputs covering 7x7)
    if method == "grid":
        assert _layout._SCRATCH.bufs["gemm"].nbytes == 9 * 2 * 3 * 81 * 4
    elif method == "winograd":
        assert _layout._SCRATCH.bufs["cols"].nbytes == 16 * 5 * 3 * 16 * 4
    else:
        assert _layout._SCRATCH.bufs["cols"].nbytes == 5 * 9 * 3 * 49 * 4


def test_pooling_full_convention_and_divisor():
    x = nd.arange(1, 10, dtype="float64").reshape((1, 1, 3, 3))
    full = nd.Pooling(x, kernel=(2, 2), stride=(2, 2), pool_type="avg",
                      pooling_convention="full")
    # the last window sticks out of the input: MXNet divides by the part inside the
    # (here empty) padding, i.e. the in-input count
    np.testing.assert_allclose(full.asnumpy()[0, 0], [[3.0, 4.5], [7.5, 9.0]])
    valid = nd.Pooling(x, kernel=(2, 2), stride=(2, 2), pool_type="avg")
    assert valid.shape == (1, 1, 1, 1)
    excl = nd.Pooling(x, kernel=(3, 3), pad=(1, 1), pool_type="avg", count_include_pad=False)
    incl = nd.Pooling(x, kernel=(3, 3), pad=(1, 1), pool_type="avg")
    assert excl.asnumpy()[0, 0, 0, 0] == 3.0  # (1 + 2 + 4 + 5) / 4
    assert incl.asnumpy()[0, 0, 0, 0] == 12.0 / 9


def test_max_pool_gradient_goes_to_first_maximum():
    x = nd.array([[[[2.0, 2.0], [2.0, 1.0]]]])
    x.attach_grad()
    with autograd.record():
        y = nd.Pooling(x, kernel=(2, 2), pool_type="max")
    y.backward()
    np.testing.assert_array_equal(x.grad.asnumpy()[0, 0], [[1, 0], [0, 0]])


def test_global_pool_ignores_kernel_and_keeps_dtype():
    x = nd.array(programs.pattern((2, 3, 4, 5)), dtype="float32")
    y = nd.Pooling(x, kernel=(2, 2), stride=(2, 2), pool_type="avg", global_pool=True)
    assert y.shape == (2, 3, 1, 1) and y.dtype == np.float32
    np.testing.assert_allclose(y.asnumpy()[..., 0, 0], x.asnumpy().mean(axis=(2, 3)),
                               rtol=1e-6)


def test_batch_norm_updates_moving_stats_on_backward_only():
    x = nd.array([[1.0, 2.0], [3.0, 6.0]])
    gamma, beta = nd.ones(2), nd.zeros(2)
    mean, var = nd.zeros(2), nd.ones(2)
    x.attach_grad()
    with autograd.record():
        y = nd.BatchNorm(x, gamma, beta, mean, var, fix_gamma=False, momentum=0.5)
    np.testing.assert_array_equal(mean.asnumpy(), [0, 0])  # not yet
    y.backward()
    np.testing.assert_allclose(mean.asnumpy(), [1.0, 2.0])  # 0.5 * 0 + 0.5 * [2, 4]
    np.testing.assert_allclose(var.asnumpy(), [1.0, 2.5])   # 0.5 * 1 + 0.5 * [1, 4]
    # prediction mode: the moving statistics, nothing updated
    y = nd.BatchNorm(x, gamma, beta, mean, var, fix_gamma=False, eps=0)
    np.testing.assert_allclose(y.asnumpy(), (x.asnumpy() - [1, 2]) / np.sqrt([1, 2.5]),
                               rtol=1e-6)
    np.testing.assert_allclose(mean.asnumpy(), [1.0, 2.0])


def test_batch_norm_fix_gamma_writes_ones_into_gamma():
    gamma = nd.array([3.0, 4.0])
    gamma.attach_grad()
    x = nd.array([[1.0, 2.0], [3.0, 6.0]])
    with autograd.record():
        y = nd.BatchNorm(x, gamma, nd.zeros(2), nd.zeros(2), nd.ones(2), eps=0)
    y.backward()
    np.testing.assert_allclose(y.asnumpy(), [[-1, -1], [1, 1]], rtol=1e-6)
    np.testing.assert_array_equal(gamma.asnumpy(), [1, 1])  # as MXNet 1.9.1's kernel does
    np.testing.assert_array_equal(gamma.grad.asnumpy(), [0, 0])


def test_conv_pool_bn_chain_gradient():
    w = programs.pattern((3, 2, 3, 3), 0.5)

    def net(x, w, gamma, beta):
        h = nd.Convolution(x, w, kernel=(3, 3), num_filter=3, pad=(1, 1), no_bias=True)
        with autograd.train_mode():  # batch statistics also for the finite differences
            h = nd.BatchNorm(h, gamma, beta, nd.zeros(3, dtype="float64"),
                             nd.ones(3, dtype="float64"), fix_gamma=False)
        return nd.Pooling(nd.relu(h), kernel=(2, 2), stride=(2, 2), pool_type="avg")

    rep = check_grad(net, [programs.pattern((2, 2, 4, 4)), w, [1.0, 2.0, 0.5],
                           [0.1, 0.0, -0.2]])
    assert rep.ok, rep


@pytest.mark.parametrize("call, error, message", [
    (lambda: nd.Convolution(nd.ones((1, 2, 5, 5)), nd.ones((3, 3, 3, 3)), kernel=(3, 3),
                            num_filter=3, no_bias=True),
     MXNetError, r"weight has shape \(3, 3, 3, 3\), expected \(3, 2, 3, 3\)"),
    (lambda: nd.Convolution(nd.ones((1, 1, 2, 2)), nd.ones((1, 1, 3, 3)), kernel=(3, 3),
                            num_filter=1, no_bias=True),
     MXNetError, r"kernel \(3, 3\) with dilate \(1, 1\) does not fit in the input \(2, 2\)"),
    (lambda: nd.Convolution(nd.ones((1, 1, 5, 5)), nd.ones((1, 1, 3, 3)), kernel=(3, 3),
                            num_filter=1, no_bias=True, layout="NHWC"),
     MXNetError, r"layout='NHWC' is not supported on CPU"),
    (lambda: nd.Convolution(nd.ones((1, 1, 5)), nd.ones((1, 1, 3, 3)), kernel=(3, 3),
                            num_filter=1, no_bias=True),
     MXNetError, r"the input has shape \(1, 1, 5\), but a 2-D kernel needs 4-D input"),
    (lambda: nd.Pooling(nd.ones((1, 1, 4, 4))),
     MXNetError, r"Pooling needs kernel= unless global_pool=True"),
    (lambda: nd.Pooling(nd.ones((1, 1, 2, 2)), kernel=(3, 3)),
     MXNetError, r"kernel \(3, 3\) is larger than the input \(2, 2\) padded by \(0, 0\)"),
    (lambda: nd.Pooling(nd.ones((1, 1, 4, 4)), kernel=(2, 2), pool_type="lp"),
     NotAvailableError, r"pool_type='lp' is not available"),
    (lambda: nd.BatchNorm(nd.ones((2, 3)), nd.ones(2), nd.zeros(3), nd.zeros(3), nd.ones(3)),
     MXNetError, r"gamma has shape \(2,\), expected \(3,\) for 3 channels on axis 1"),
])
def test_clear_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


# ---- layers -------------------------------------------------------------------------------

def test_lenet_shapes_with_deferred_init():
    gluon.reset_name_counters()
    net = nn.Sequential()
    net.add(nn.Conv2D(channels=6, kernel_size=5, activation="sigmoid"),
            nn.MaxPool2D(pool_size=2, strides=2),
            nn.Conv2D(channels=16, kernel_size=5, activation="sigmoid"),
            nn.MaxPool2D(pool_size=2, strides=2),
            nn.Dense(120, activation="sigmoid"), nn.Dense(84, activation="sigmoid"),
            nn.Dense(10))
    assert net[0].weight.shape == (6, 0, 5, 5)
    net.initialize()
    X = nd.random.uniform(shape=(1, 1, 28, 28))
    shapes = []
    for layer in net:
        X = layer(X)
        shapes.append((layer.name, X.shape))
    assert shapes == [("conv0", (1, 6, 24, 24)), ("pool0", (1, 6, 12, 12)),
                      ("conv1", (1, 16, 8, 8)), ("pool1", (1, 16, 4, 4)),
                      ("dense0", (1, 120)), ("dense1", (1, 84)), ("dense2", (1, 10))]
    assert net[0].weight.name == "conv0_weight" and net[2].bias.shape == (16,)
    assert repr(net[2]) == \
        "Conv2D(6 -> 16, kernel_size=(5, 5), stride=(1, 1), Activation(sigmoid))"


def test_batchnorm_layer_params_and_running_stats():
    gluon.reset_name_counters()
    bn = nn.BatchNorm(momentum=0.5)
    bn.initialize()
    names = list(bn.collect_params().keys())
    assert names == ["batchnorm0_gamma", "batchnorm0_beta", "batchnorm0_running_mean",
                     "batchnorm0_running_var"]
    assert [p.grad_req for p in bn.collect_params().values()] == \
        ["write", "write", "null", "null"]
    x = nd.array([[[[1.0]], [[4.0]]], [[[3.0]], [[8.0]]]])  # (2, 2, 1, 1)
    with autograd.record():
        y = bn(x)
    y.backward()
    np.testing.assert_allclose(bn.running_mean.data().asnumpy(), [1.0, 3.0])
    np.testing.assert_allclose(bn.running_var.data().asnumpy(), [1.0, 2.5])
    np.testing.assert_allclose(bn(x).asnumpy()[:, :, 0, 0],
                               (x.asnumpy()[:, :, 0, 0] - [1, 3]) / np.sqrt(
                                   np.array([1, 2.5]) + 1e-5), rtol=1e-5)
    assert repr(bn) == ("BatchNorm(axis=1, eps=1e-05, momentum=0.5, fix_gamma=False, "
                        "use_global_stats=False, in_channels=2)")


def test_small_cnn_trains():
    """A conv net with batch norm learns which half of an image is brighter, and predicts
    well in prediction mode (with the running statistics the backward passes kept)."""
    mx.random.seed(1)
    net = nn.Sequential()
    net.add(nn.Conv2D(4, kernel_size=3, padding=1), nn.BatchNorm(), nn.Activation("relu"),
            nn.MaxPool2D(), nn.Conv2D(8, kernel_size=3), nn.GlobalAvgPool2D(), nn.Dense(2))
    net.initialize(mx.init.Xavier())
    rng = np.random.default_rng(0)
    X = rng.normal(size=(32, 1, 8, 8)).astype(np.float32)
    y = (X[:, 0, :4].mean(axis=(1, 2)) > X[:, 0, 4:].mean(axis=(1, 2))).astype(np.float32)
    X, y = nd.array(X), nd.array(y)
    loss = gluon.loss.SoftmaxCrossEntropyLoss()
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1})
    losses = []
    for _ in range(40):
        with autograd.record():
            ell = loss(net(X), y)
        ell.backward()
        trainer.step(32)
        losses.append(ell.mean().asscalar())
    assert losses[-1] < 0.3 * losses[0]
    assert (net(X).argmax(axis=1) == y).mean().asscalar() >= 0.9


def test_layer_errors():
    with pytest.raises(AssertionError, match="Only supports 'NCHW' and 'NHWC' layout"):
        nn.Conv2D(3, 3, layout="HWCN")
    net = nn.Conv2D(3, 3, in_channels=2)
    net.initialize()
    with pytest.raises(MXNetError, match=r"the input is float64 but the parameters are "
                                         r"float32.*net.cast\('float64'\)"):
        net(nd.ones((1, 2, 5, 5), dtype="float64"))
    with pytest.raises(MXNetError, match=r"Conv2D expects 4-D input in layout NCHW, got "
                                         r"shape \(2, 5, 5\)"):
        net(nd.ones((2, 5, 5)))


def _conv_by_loops(x, w, b, stride, pad, dilate, groups):
    """The convolution's definition, one output element at a time (float64)."""
    n, c, h, wd = x.shape
    f, cg, kh, kw = w.shape
    xp = np.pad(x, [(0, 0), (0, 0), (pad[0], pad[0]), (pad[1], pad[1])])
    oh = (h + 2 * pad[0] - dilate[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (wd + 2 * pad[1] - dilate[1] * (kw - 1) - 1) // stride[1] + 1
    y = np.zeros((n, f, oh, ow))
    for fi in range(f):
        g0 = fi // (f // groups) * cg
        for i in range(oh):
            for j in range(ow):
                patch = xp[:, g0:g0 + cg, i * stride[0]:i * stride[0] + dilate[0] * kh:dilate[0],
                           j * stride[1]:j * stride[1] + dilate[1] * kw:dilate[1]]
                y[:, fi, i, j] = (patch * w[fi]).sum(axis=(1, 2, 3)) + b[fi]
    return y


@pytest.mark.parametrize("kernel,stride,pad,dilate,groups", [
    ((3, 3), (1, 1), (1, 1), (1, 1), 1), ((1, 1), (2, 2), (0, 0), (1, 1), 1),
    ((1, 1), (1, 1), (0, 0), (1, 1), 1), ((3, 2), (2, 1), (1, 0), (2, 1), 2),
    ((5, 5), (3, 2), (2, 2), (1, 1), 2), ((3, 3), (2, 2), (1, 1), (1, 1), 1)])
@pytest.mark.parametrize("per_sample", [False, True])
def test_convolution_float32_against_loops(kernel, stride, pad, dilate, groups, per_sample,
                                           monkeypatch):
    """The im2col kernels (and the 1x1 shortcut) in float32 against the definition, values
    and gradients (dW = sum g x-window, dx = sum g w) by autograd of the loop version's
    linearity: <dy, conv(x + dx)> - <dy, conv(x)> = <dy, conv(dx)>; with the bias, its
    products over the whole batch or per sample."""
    from minigluon.ops import _windows

    monkeypatch.setattr(_windows, "PER_SAMPLE_PIXELS", 1 if per_sample else 2**62)
    monkeypatch.setattr(_windows, "CHUNK_BYTES", 1 if per_sample else 2**62)
    monkeypatch.setattr(_windows, "POINTWISE_PER_SAMPLE_PIXELS", 1 if per_sample else 2**62)
    rng = np.random.default_rng(5)
    x = rng.normal(size=(3, 4, 9, 8)).astype(np.float32)
    w = rng.normal(size=(6, 4 // groups) + kernel).astype(np.float32)
    b = rng.normal(size=6).astype(np.float32)
    kw = dict(kernel=kernel, stride=stride, pad=pad, dilate=dilate, num_filter=6,
              num_group=groups)
    X, W, B = nd.array(x), nd.array(w), nd.array(b)
    for a in (X, W, B):
        a.attach_grad()
    with autograd.record():
        y = nd.Convolution(X, W, B, **kw)
    want = _conv_by_loops(x.astype(np.float64), w.astype(np.float64), b, stride, pad, dilate,
                          groups)
    np.testing.assert_allclose(y.asnumpy(), want, rtol=1e-4, atol=1e-4)
    dy = rng.normal(size=want.shape)
    y.backward(nd.array(dy.astype(np.float32)))
    # the adjoint identities: <dy, conv_w(x)> is linear in x and in w
    no_b = np.zeros(6)
    np.testing.assert_allclose((X.grad.asnumpy() * x).sum(),
                               (dy * _conv_by_loops(x, w, no_b, stride, pad, dilate,
                                                    groups)).sum(), rtol=1e-4)
    np.testing.assert_allclose((W.grad.asnumpy() * w).sum(),
                               (dy * _conv_by_loops(x, w, no_b, stride, pad, dilate,
                                                    groups)).sum(), rtol=1e-4)
    np.testing.assert_allclose(B.grad.asnumpy(), dy.sum(axis=(0, 2, 3)), rtol=1e-4)


def test_batch_norm_statistics_keep_their_digits_far_from_zero():
    """A channel whose mean is large against its spread: the one-pass variance would lose
    every digit in float32; the kernel falls back to two passes there."""
    rng = np.random.default_rng(6)
    x = (1000 + 0.01 * rng.normal(size=(64, 2, 5, 5))).astype(np.float32)
    with autograd.train_mode():
        y = nd.BatchNorm(nd.array(x), nd.ones(2), nd.zeros(2), nd.zeros(2), nd.ones(2),
                         eps=1e-8, fix_gamma=False).asnumpy()
    x64 = x.astype(np.float64)
    want = (x64 - x64.mean(axis=(0, 2, 3), keepdims=True)) / np.sqrt(
        x64.var(axis=(0, 2, 3), keepdims=True) + 1e-8)
    np.testing.assert_allclose(y, want, atol=2e-2)
    assert abs(y.std() - 1) < 1e-2


def _conv_reference(x, w, stride, pad, dilate, groups):
    """Convolution and its two gradients from the definition, in float64: the windows by
    ``sliding_window_view`` of the padded input, the input's gradient by ``np.add.at``
    back onto the windows (a scatter, unlike the kernels' strided additions)."""
    nsp = x.ndim - 2
    xp = np.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in pad])
    kernel = w.shape[2:]
    span = tuple((k - 1) * d + 1 for k, d in zip(kernel, dilate))
    win = np.lib.stride_tricks.sliding_window_view(xp, span, axis=tuple(range(2, 2 + nsp)))
    # (N, C, *every start, *span) -> every stride-th start, every dilate-th tap
    sel = (slice(None), slice(None)) + tuple(slice(None, None, s) for s in stride) + \
        tuple(slice(None, None, d) for d in dilate)
    win = win[sel]
    n, c = x.shape[:2]
    f, cg = w.shape[:2]
    out = win.shape[2:2 + nsp]
    wins = win.reshape((n, groups, cg) + out + kernel)
    ws = w.reshape((groups, f // groups, cg) + kernel)
    letters = "hwd"[:nsp]
    ks = "ijk"[:nsp]
    spec = f"ngc{letters}{ks},gfc{ks}->ngf{letters}"
    y = np.einsum(spec, wins, ws).reshape((n, f) + out)
    return y, wins, ws, out, xp.shape


def _check_against_definition(x, w, stride, pad, dilate, groups, rng, tol=1e-4):
    """nd.Convolution's output and both gradients (for a random output gradient) against
    :func:`_conv_reference`'s, in float64."""
    nsp = x.ndim - 2
    f, c = w.shape[0], x.shape[1]
    want, wins, ws, out, padded = _conv_reference(x.astype(np.float64),
                                                  w.astype(np.float64), stride, pad,
                                                  dilate, groups)
    X, W = nd.array(x, dtype=x.dtype), nd.array(w, dtype=w.dtype)
    X.attach_grad()
    W.attach_grad()
    with autograd.record():
        y = nd.Convolution(X, W, kernel=w.shape[2:], stride=stride, pad=pad, dilate=dilate,
                           num_filter=f, num_group=groups, no_bias=True)
    np.testing.assert_allclose(y.asnumpy(), want, rtol=tol, atol=tol)
    dy = rng.normal(size=want.shape)
    y.backward(nd.array(dy, dtype=x.dtype))
    n = x.shape[0]
    dyg = dy.reshape((n, groups, f // groups) + out)
    letters, ks = "hwd"[:nsp], "ijk"[:nsp]
    dw = np.einsum(f"ngf{letters},ngc{letters}{ks}->gfc{ks}", dyg, wins).reshape(w.shape)
    dwins = np.einsum(f"ngf{letters},gfc{ks}->ngc{letters}{ks}", dyg, ws)
    dxp = np.zeros(padded)
    for o in np.ndindex(*out):
        for k in np.ndindex(*w.shape[2:]):
            at = tuple(oi * s + ki * d for oi, ki, s, d in zip(o, k, stride, dilate))
            dxp[(slice(None), slice(None)) + at] += \
                dwins[(slice(None), slice(None), slice(None)) + o + k].reshape(n, c)
    dx = dxp[(slice(None), slice(None)) + tuple(slice(p, p + s)
                                                for p, s in zip(pad, x.shape[2:]))]
    np.testing.assert_allclose(W.grad.asnumpy(), dw, rtol=tol, atol=tol)
    np.testing.assert_allclose(X.grad.asnumpy(), dx, rtol=tol, atol=tol)
    assert y.dtype == X.grad.dtype == W.grad.dtype == x.dtype


@pytest.mark.parametrize("method", ["im2col-col2im", "im2col-flipped", "grid",
                                    "batch-last-col2im", "batch-last-flipped"])
@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_convolution_kernels_against_definition(method, data, monkeypatch):
    """Random geometries (1-3 spatial axes, stride, dilation, padding up to past the
    kernel's reach, groups) in float32: the output and both gradients equal the
    definition's, for each of the kernels' methods wherever it applies: im2col (padding
    inside it, the batch axis first or last) with dx by col2im or as a flipped
    convolution, and the stride-1 grid."""
    from minigluon.ops import _windows

    # the same settings for every example, so the fixture's scope does not matter
    monkeypatch.setattr(_windows, "WINOGRAD", lambda *_: False)
    monkeypatch.setattr(_windows, "CONV_GRID", lambda _: method == "grid")
    monkeypatch.setattr(_windows, "DX_AS_CONVOLUTION", lambda *_: method.endswith("flipped"))
    monkeypatch.setattr(_windows, "BATCH_LAST", lambda *_: method.startswith("batch-last"))
    # the products per sample (from 1 pixel) or over the whole batch (never per sample),
    # the samples one at a time or all at once
    monkeypatch.setattr(_windows, "PER_SAMPLE_PIXELS", data.draw(st.sampled_from([1, 2**62])))
    monkeypatch.setattr(_windows, "CHUNK_BYTES", data.draw(st.sampled_from([1, 2**62])))
    nsp = data.draw(st.integers(1, 3))
    ints = lambda lo, hi: st.tuples(*[st.integers(lo, hi)] * nsp)  # noqa: E731
    kernel, stride, dilate, pad = (data.draw(ints(1, 3)), data.draw(ints(1, 2)),
                                   data.draw(ints(1, 2)), data.draw(ints(0, 3)))
    groups = data.draw(st.sampled_from([1, 2]))
    spatial = tuple(data.draw(st.integers(max(1, (k - 1) * d + 1 - 2 * p), 7))
                    for k, d, p in zip(kernel, dilate, pad))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16)))
    c, f = groups * data.draw(st.integers(1, 3)), groups * data.draw(st.integers(1, 3))
    x = rng.normal(size=(2, c) + spatial).astype(np.float32)
    w = rng.normal(size=(f, c // groups) + kernel).astype(np.float32)
    _check_against_definition(x, w, stride, pad, dilate, groups, rng)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_winograd_against_definition(dtype, data, monkeypatch):
    """Winograd's F(2x2, 3x3), forced on: odd and even sizes (the last tile hangs past
    the output), padding 0 to past the kernel, one to a few channels and samples; in
    float64 it agrees with the definition to rounding."""
    from minigluon.ops import _windows

    monkeypatch.setattr(_windows, "WINOGRAD", lambda *_: True)
    pad = data.draw(st.tuples(*[st.integers(0, 3)] * 2))
    spatial = tuple(data.draw(st.integers(max(1, 3 - 2 * p), 9)) for p in pad)
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16)))
    n, c, f = (data.draw(st.integers(1, 4)) for _ in range(3))
    x = rng.normal(size=(n, c) + spatial).astype(dtype)
    w = rng.normal(size=(f, c, 3, 3)).astype(dtype)
    _check_against_definition(x, w, (1, 1), pad, (1, 1), 1, rng,
                              tol=1e-4 if dtype == "float32" else 1e-12)


def test_winograd_is_chosen_for_resnet_layers_only_where_it_pays():
    # the rule in Winograd.pays, on the book's layers: wide float32 3x3 layers only
    from minigluon.ops import _windows

    def chosen(c, f, size, dtype=np.float32):
        x, w = np.zeros((2, c, size, size), dtype), np.zeros((f, c, 3, 3), dtype)
        return _windows._winograd_for(x, w, 1, (1, 1), (1, 1), (1, 1)) is not None

    assert chosen(128, 128, 12) and chosen(256, 256, 6) and chosen(384, 256, 13)
    assert not chosen(64, 64, 24)  # too few channels: the transforms cost more
    assert not chosen(512, 512, 3)  # 4x4 outputs computed for 3x3
    assert not chosen(224, 32, 12)  # DenseNet's growth of 32
    assert not chosen(128, 128, 12, np.float64)
    x, w = np.zeros((2, 128, 12, 12), np.float32), np.zeros((128, 128, 3, 3), np.float32)
    assert _windows._winograd_for(x, w, 1, (2, 2), (1, 1), (1, 1)) is None  # stride 2


@pytest.mark.parametrize("block_bytes", [None, 64])
@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_pooling_kernels_against_definition(block_bytes, data, monkeypatch):
    """Random geometries (1-3 spatial axes, windows that overlap or not, padding,
    'full') on inputs of few distinct values, so that windows tie: max pooling sends
    each window's gradient to its first maximum in row-major order (MXNet's rule), sum
    and average pooling to every element; the outputs equal the definition's. With a
    tiny block budget every plane is pooled on its own."""
    from minigluon.ops import _windows

    if block_bytes is not None:  # the same for every example
        monkeypatch.setattr(_windows, "POOL_BLOCK_BYTES", block_bytes)
    nsp = data.draw(st.integers(1, 3))
    ints = lambda lo, hi: st.tuples(*[st.integers(lo, hi)] * nsp)  # noqa: E731
    kernel, stride = data.draw(ints(1, 3)), data.draw(ints(1, 3))
    pad = tuple(data.draw(st.integers(0, k - 1)) for k in kernel)
    pool_type = data.draw(st.sampled_from(["max", "avg", "sum"]))
    convention = data.draw(st.sampled_from(["valid", "full"]))
    spatial = tuple(data.draw(st.integers(max(1, k - 2 * p), 8))
                    for k, p in zip(kernel, pad))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16)))
    x = rng.integers(0, 3, size=(2, 3) + spatial).astype(np.float32)
    X = nd.array(x)
    X.attach_grad()
    with autograd.record():
        y = nd.Pooling(X, kernel=kernel, stride=stride, pad=pad, pool_type=pool_type,
                       pooling_convention=convention)
    dy = rng.normal(size=y.shape).astype(np.float32)
    y.backward(nd.array(dy))
    # the definition: every window in turn, its elements in row-major order
    low = np.finfo(np.float32).min
    xp = np.pad(x, [(0, 0), (0, 0)] + [(p, p + k + s) for p, k, s in zip(pad, kernel, stride)],
                constant_values=low if pool_type == "max" else 0)
    padded_area = np.pad(np.ones(tuple(n + 2 * p for n, p in zip(spatial, pad))),
                         [(0, k + s) for k, s in zip(kernel, stride)])
    want, dxp = np.zeros(y.shape), np.zeros(xp.shape)
    for o in np.ndindex(*y.shape[2:]):
        box = tuple(slice(oi * s, oi * s + k) for oi, s, k in zip(o, stride, kernel))
        win = xp[(slice(None), slice(None)) + box].reshape(2, 3, -1)
        at = (slice(None), slice(None)) + o
        if pool_type == "max":
            want[at] = win.max(axis=-1)
            first = win.argmax(axis=-1)  # the first maximum
            hot = np.zeros(win.shape)
            np.put_along_axis(hot, first[..., None], 1.0, axis=-1)
            dxp[(slice(None), slice(None)) + box] += (hot * dy[at][..., None]).reshape(
                dxp[(slice(None), slice(None)) + box].shape)
        else:
            # MXNet's divisor counts the padding but not what 'full' hangs past it; a
            # window of that only averages to 0
            count = max(1, padded_area[box].sum()) if pool_type == "avg" else 1
            want[at] = win.sum(axis=-1) / count
            dxp[(slice(None), slice(None)) + box] += (dy[at] / count)[
                (Ellipsis,) + (None,) * nsp]
    dx = dxp[(slice(None), slice(None)) + tuple(slice(p, p + n) for p, n in zip(pad, spatial))]
    np.testing.assert_allclose(y.asnumpy(), want, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(X.grad.asnumpy(), dx, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("size", [(5, 4), (13, 12)])
def test_pointwise_convolution_gradients(size):
    """A 1x1 kernel takes its own backward (w^T g per sample on images of 144 pixels or
    more, one product over the batch below): both against einsum."""
    rng = np.random.default_rng(11)
    x = rng.normal(size=(2, 3) + size).astype(np.float32)
    w = rng.normal(size=(5, 3, 1, 1)).astype(np.float32)
    X, W = nd.array(x), nd.array(w)
    X.attach_grad()
    W.attach_grad()
    with autograd.record():
        y = nd.Convolution(X, W, kernel=(1, 1), num_filter=5, no_bias=True)
    dy = rng.normal(size=y.shape).astype(np.float32)
    y.backward(nd.array(dy))
    np.testing.assert_allclose(y.asnumpy(), np.einsum("fc,nchw->nfhw", w[:, :, 0, 0], x),
                               rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(X.grad.asnumpy(),
                               np.einsum("fc,nfhw->nchw", w[:, :, 0, 0], dy), rtol=1e-5,
                               atol=1e-5)
    np.testing.assert_allclose(W.grad.asnumpy()[:, :, 0, 0],
                               np.einsum("nfhw,nchw->fc", dy, x), rtol=1e-4, atol=1e-4)


def test_batch_norm_blocks_give_the_same_bits(monkeypatch):
    """BatchNorm's affine passes run a few rows at a time: with every row its own block
    the output and the gradients are bit for bit the whole-array ones."""
    from minigluon.ops import _windows

    rng = np.random.default_rng(12)
    x = rng.normal(size=(5, 3, 4, 4)).astype(np.float32)
    dy = rng.normal(size=x.shape).astype(np.float32)

    def run():
        X, gamma, beta = nd.array(x), nd.array([1.5, 0.5, 2.0]), nd.array([0.1, 0.2, 0.3])
        for a in (X, gamma, beta):
            a.attach_grad()
        with autograd.record():
            y = nd.BatchNorm(X, gamma, beta, nd.zeros(3), nd.ones(3), fix_gamma=False)
        y.backward(nd.array(dy))
        return [a.asnumpy() for a in (y, X.grad, gamma.grad, beta.grad)]

    whole = run()
    monkeypatch.setattr(_windows, "POOL_BLOCK_BYTES", 16)
    for a, b in zip(run(), whole):
        np.testing.assert_array_equal(a, b)
