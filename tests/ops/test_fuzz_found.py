"""Gradients where MXNet 1.9.1 disagrees with its own forward, found by differential
fuzzing (``tests/golden/fuzz_against_mxnet.py``). minigluon differentiates what its
forward computed; the compatibility notes (``minigluon/_compat_notes.py``) list both."""

from __future__ import annotations

import numpy as np

from minigluon import autograd, nd


def _numeric_grad(f, x: np.ndarray, head: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """d sum(head * f(x)) / dx by central differences (float64)."""
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[i] += eps
        xm[i] -= eps
        g[i] = ((head * f(xp)).sum() - (head * f(xm)).sum()) / (2 * eps)
    return g


def _batchnorm_inputs():
    r = np.random.RandomState(0)
    x = r.uniform(-2, 2, (4, 3))
    gamma, beta = r.uniform(0.5, 2, 3), r.uniform(-1, 1, 3)
    mean, var = r.uniform(-1, 1, 3), r.uniform(0.5, 2, 3)
    head = r.uniform(0.5, 1.5, (4, 3))
    return x, gamma, beta, mean, var, head


def _bn(x, gamma, beta, mean, var, training):
    args = [nd.array(a, dtype="float64") for a in (x, gamma, beta, mean, var)]
    with autograd.train_mode() if training else autograd.predict_mode():
        return nd.BatchNorm(*args, fix_gamma=False).asnumpy()


def test_batchnorm_gradient_follows_the_forward_mode():
    # MXNet picks the gradient formula by backward's train_mode, not by the mode the
    # forward ran in: record(train_mode=False) + backward() gives a gradient of neither
    # forward, and record() + backward(train_mode=False) the running-statistics one
    x, gamma, beta, mean, var, head = _batchnorm_inputs()
    for rec_train, bwd_train in ((False, True), (True, False), (False, False), (True, True)):
        xs = nd.array(x, dtype="float64")
        xs.attach_grad()
        stats = [nd.array(a, dtype="float64") for a in (mean, var)]
        with autograd.record(train_mode=rec_train):
            y = nd.BatchNorm(xs, nd.array(gamma, dtype="float64"),
                             nd.array(beta, dtype="float64"), *stats, fix_gamma=False)
        y.backward(nd.array(head, dtype="float64"), train_mode=bwd_train)
        want = _numeric_grad(lambda v, t=rec_train: _bn(v, gamma, beta, mean, var, t), x, head)
        np.testing.assert_allclose(xs.grad.asnumpy(), want, rtol=1e-6, atol=1e-8)


def test_avg_pool_full_convention_gradient_matches_forward_float32():
    # MXNet's float32 (oneDNN) backward divides the last, partial window's share by
    # another count than its forward did (its float64 kernels agree with the forward)
    r = np.random.RandomState(1)
    x = r.uniform(-1, 1, (1, 2, 4, 4))
    head = r.uniform(0.5, 1.5, (1, 2, 5, 3))
    kw = dict(kernel=(2, 3), stride=(1, 2), pad=(1, 1), pool_type="avg",
              pooling_convention="full", count_include_pad=True)

    def pool(v):
        return nd.Pooling(nd.array(v, dtype="float64"), **kw).asnumpy()

    xs = nd.array(x, dtype="float32")
    xs.attach_grad()
    with autograd.record():
        y = nd.Pooling(xs, **kw)
    assert y.shape == head.shape
    y.backward(nd.array(head, dtype="float32"))
    np.testing.assert_allclose(xs.grad.asnumpy(), _numeric_grad(pool, x, head),
                               rtol=1e-5, atol=1e-6)


def test_max_pool_gradient_goes_to_the_maxima_in_predict_mode():
    # MXNet's float32 predict-mode backward misplaces it (checked with the oracle: rows
    # [[1, 0, 0, 0], [0, 0, 1, 0], [1, 0, 1, 0], [0, 0, 0, 0]] for this input)
    x = np.random.RandomState(0).permutation(32).reshape(1, 2, 4, 4).astype("float32")
    grads = []
    for train in (True, False):
        xs = nd.array(x)
        xs.attach_grad()
        with autograd.record(train_mode=train):
            y = nd.Pooling(xs, kernel=(2, 2), stride=(2, 2), pool_type="max")
        y.backward(nd.ones_like(y))
        grads.append(xs.grad.asnumpy())
    windows = x.reshape(1, 2, 2, 2, 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(1, 2, 2, 2, 4)
    want = (windows == windows.max(axis=-1, keepdims=True)).astype("float32")
    want = want.reshape(1, 2, 2, 2, 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(x.shape)
    for g in grads:
        np.testing.assert_array_equal(g, want)


def test_dilated_strided_deconvolution_is_the_same_in_float64():
    r = np.random.RandomState(0)
    r.permutation(32)  # the same draws as the oracle check
    w, x = r.uniform(-1, 1, (2, 3, 2, 2)), r.uniform(-1, 1, (1, 2, 3, 3))
    kw = dict(kernel=(2, 2), stride=(2, 2), dilate=(2, 2), num_filter=3, no_bias=True)
    out = {dt: nd.Deconvolution(nd.array(x, dtype=dt), nd.array(w, dtype=dt), **kw).asnumpy()
           for dt in ("float32", "float64")}
    # the transposed convolution written out: each input pixel adds w scaled into the
    # output at stride 2, the kernel taps 2 apart
    want = np.zeros((1, 3, 7, 7))
    for c in range(2):
        for i in range(3):
            for j in range(3):
                for a in range(2):
                    for b in range(2):
                        want[0, :, 2 * i + 2 * a, 2 * j + 2 * b] += x[0, c, i, j] * w[c, :, a, b]
    np.testing.assert_allclose(out["float64"], want, rtol=1e-12)
    np.testing.assert_allclose(out["float32"], want, rtol=1e-5, atol=1e-6)
    # MXNet's float32 first row, from the oracle
    np.testing.assert_allclose(out["float32"][0, 0, 0, :4], [0.6966, 0.0, -0.7219, 0.0],
                               atol=1e-4)
