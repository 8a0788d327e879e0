"""Regenerate tests/golden/everyday.npz (issue 16's everyday API) from real MXNet.

Run from the repository root with the MXNet venv:

    ~/mxnet-oracle/bin/python tests/golden/make_everyday_golden.py

Made with Apache MXNet 1.9.1 (CPU pip wheel), numpy 1.23.5, Python 3.11, Linux x86_64.

:func:`run` takes the framework module ``mx`` (``mxnet`` here, ``minigluon`` in
tests/test_everyday.py, which imports this file without importing mxnet) and returns a
dict of NumPy arrays (strings as 0-d str arrays): ``mx.test_utils`` answers and messages,
``mx.base``/``mx.util``/``mx.name``/``mx.runtime`` answers, the ``nd`` helpers and
aliases, and every ``*_update`` operator on fixed inputs, with and without ``out=``.
Inputs are made from sines, so they are the same under any NumPy. The file is written
atomically.
"""

import os
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "everyday.npz")


def pattern(shape, k=0.0):
    """Deterministic, irregular float64 values, none exactly 0."""
    i = np.arange(int(np.prod(shape)), dtype=np.float64)
    return (2 * np.cos(1.37 * i + k) + 0.6 * np.sin(7.1 * i + 2 * k) + 0.013).reshape(shape)


def _msg(fn):
    try:
        fn()
    except AssertionError as e:
        return str(e)
    return "no error"


def test_utils_cases(mx):
    tu = mx.test_utils
    nd = mx.nd
    res = {}
    a32 = nd.array([1.0, 2.0, 3.0, 4.0])
    res["tu/msg_f32"] = _msg(lambda: tu.assert_almost_equal(a32, nd.array([1.0, 2.1, 3.0, 4.5])))
    a64 = np.array([[1.0, 2.0], [3.0, 4.0]])
    res["tu/msg_f64_names"] = _msg(lambda: tu.assert_almost_equal(
        a64, a64 + np.array([[0, 1e-3], [0, 0]]), names=("ours", "theirs")))
    res["tu/msg_rtol"] = _msg(lambda: tu.assert_almost_equal(
        np.arange(30.0), np.arange(30.0) * 1.01, rtol=1e-3, atol=0, mismatches=(3, 5)))
    res["tu/msg_close"] = _msg(lambda: tu.assert_almost_equal(a32, a32 + 1e-4))
    res["tu/almost_equal"] = np.array([
        tu.almost_equal(np.ones(3), np.ones(3) + 1e-6),
        tu.almost_equal(np.ones(3), np.ones(3) + 1e-4),
        tu.almost_equal(np.ones(3), np.ones(3) + 1e-4, rtol=1e-3),
        tu.same(np.ones(3), np.ones(3)), tu.same(np.ones(3), np.zeros(3))])
    np.random.seed(7)
    res["tu/rand_shape_nd"] = np.array(tu.rand_shape_nd(4))
    res["tu/rand_shape_nd_zero"] = np.array(tu.rand_shape_nd(5, dim=3, allow_zero_size=True))
    res["tu/rand_shape_2d"] = np.array(tu.rand_shape_2d())
    res["tu/rand_shape_3d"] = np.array(tu.rand_shape_3d(4, 5, 6))
    r = tu.rand_ndarray((3, 4))
    res["tu/rand_ndarray"] = r.asnumpy()
    res["tu/rand_ndarray_f64"] = tu.rand_ndarray((2, 2), dtype="float64").asnumpy()
    res["tu/default_context"] = str(tu.default_context())
    res["tu/rtols"] = np.array([tu.get_rtol(None, np.dtype(d)) for d in
                                ("float16", "float32", "float64")])
    res["tu/atols"] = np.array([tu.get_atol(None, np.dtype(d)) for d in
                                ("float16", "float32", "float64")])
    # a gradient check that passes and one that fails (MXNet: a Symbol; minigluon: a function)
    x = pattern((2, 3))
    if mx.__name__ == "mxnet":
        v = mx.sym.Variable("x")
        good, bad = mx.sym.tanh(v), mx.sym.BlockGrad(v) * v
        location = {"x": x}
    else:
        good, bad = (lambda x: nd.tanh(x)), (lambda x: nd.BlockGrad(x) * x)
        location = {"x": x}
    np.random.seed(11)
    res["tu/cng_good"] = _msg(lambda: tu.check_numeric_gradient(good, location))
    np.random.seed(11)
    res["tu/cng_bad"] = _msg(lambda: tu.check_numeric_gradient(bad, location))
    return res


def surface_cases(mx):
    res = {}
    res["base/py_str"] = mx.base.py_str(b"caf\xc3\xa9")
    res["base/types"] = repr((mx.base.string_types, mx.base.numeric_types,
                              mx.base.integer_types))
    res["util/np"] = np.array([mx.util.is_np_array(), mx.util.is_np_shape()])
    names = []
    with mx.name.NameManager() as nm:
        names += [nm.get(None, "fc"), nm.get(None, "fc"), nm.get("mine", "fc"),
                  nm.get(None, "conv")]
    with mx.name.Prefix("net_") as nm:
        names += [nm.get(None, "fc"), nm.get("x", "fc"), nm.get(None, "fc")]
    res["name/names"] = np.array(names)
    feats = mx.runtime.Features()
    res["runtime/names"] = np.array(list(feats.keys()))
    res["runtime/cuda"] = np.array([feats.is_enabled("CUDA"), feats.is_enabled("cudnn")])
    try:
        feats.is_enabled("NOPE")
        res["runtime/unknown"] = "no error"
    except RuntimeError as e:
        res["runtime/unknown"] = str(e)
    res["runtime/repr_item"] = repr(feats["CUDA"])
    return res


def nd_cases(mx):
    nd = mx.nd
    res = {}
    x = nd.array(pattern((2, 3, 4)))
    res["nd/moveaxis"] = nd.moveaxis(x, 0, -1).asnumpy()
    res["nd/moveaxis_list"] = nd.moveaxis(x, [0, 2], [1, 0]).asnumpy()
    res["nd/concatenate"] = nd.concatenate([x, x * 2]).asnumpy()
    res["nd/concatenate_axis"] = nd.concatenate([x, x[:, :1]], axis=1).asnumpy()
    res["nd/crop"] = nd.crop(x, begin=(0, 1, 1), end=(2, 3, 4)).asnumpy()
    d = nd.array(pattern((3, 4)))
    idx = nd.array([0, 3, 1])
    res["nd/choose"] = nd.choose_element_0index(d, idx).asnumpy()
    res["nd/fill"] = nd.fill_element_0index(d, nd.array([9, 8, 7]), idx).asnumpy()
    out = nd.zeros((3, 5))
    res["nd/onehot"] = nd.onehot_encode(nd.array([4, 0, 2]), out).asnumpy()
    res["nd/onehot_out"] = out.asnumpy()
    src = np.arange(6, dtype=np.int32).reshape(2, 3)
    f = nd.from_numpy(src, zero_copy=False)
    res["nd/from_numpy"] = f.asnumpy()
    res["nd/from_numpy_dtype"] = str(f.dtype.__name__ if hasattr(f.dtype, "__name__")
                                     else f.dtype)
    a, b = nd.ones((2, 2)), nd.ones(3)
    nd.reset_arrays(a, b, num_arrays=2)
    res["nd/reset"] = np.concatenate([a.asnumpy().ravel(), b.asnumpy()])
    res["nd/topk_method"] = d.topk(k=2).asnumpy()
    res["nd/topk_fn_both"] = np.stack([t.asnumpy() for t in
                                       nd.topk(d, k=2, axis=0, ret_typ="both")])
    res["nd/broadcast_like"] = nd.array([[1.0], [2.0], [3.0]]).broadcast_like(d).asnumpy()
    res["nd/tostype"] = d.tostype("default").asnumpy()
    res["nd/uniform_shape"] = np.array(nd.uniform(shape=(2, 3)).shape)
    res["nd/normal_shape"] = np.array(nd.normal(shape=(4,)).shape)
    res["nd/random_uniform_shape"] = np.array(nd.random_uniform(low=0, high=1,
                                                                shape=(2,)).shape)
    res["nd/bool_empty"] = np.array([bool(nd.array([]))])
    z = nd.ones((2, 2))
    r = nd.zeros((2, 2), out=z)
    res["nd/zeros_out"] = np.array([r is z, float(z.sum().asscalar())])
    o = nd.zeros((2, 2))
    r = nd.ones((2, 2), out=o)
    res["nd/ones_out"] = np.array([r is o, float(o.sum().asscalar())])
    # inplace= on flatten/squeeze/expand_dims: a copy by default, a view when asked
    for name, args in (("flatten", ()), ("squeeze", ()), ("expand_dims", (1,))):
        base = nd.array(pattern((2, 1, 3)))
        copy = getattr(base, name)(*args)
        copy[:] = 5
        view = getattr(base, name)(*args, inplace=True)
        view[:] = 7
        res[f"nd/inplace_{name}"] = base.asnumpy()
    return res


UPDATES = {
    # name -> (state names, keyword arguments)
    "sgd_update": ((), dict(lr=0.1, wd=0.01)),
    "sgd_update_clip": ((), dict(lr=0.1, wd=0.01, rescale_grad=0.5, clip_gradient=0.3)),
    "sgd_mom_update": (("mom",), dict(lr=0.1, momentum=0.9, wd=0.01, rescale_grad=0.5)),
    "sgd_mom_update_clip": (("mom",), dict(lr=0.05, momentum=0.8, clip_gradient=0.4)),
    "nag_mom_update": (("mom",), dict(lr=0.1, momentum=0.9, wd=0.01, rescale_grad=0.5)),
    "nag_mom_update_clip": (("mom",), dict(lr=0.05, momentum=0.7, wd=0.02,
                                           clip_gradient=0.4)),
    "adam_update": (("mean", "var"), dict(lr=0.01, wd=0.01, rescale_grad=0.5)),
    "adam_update_clip": (("mean", "var"), dict(lr=0.01, beta1=0.8, beta2=0.99, epsilon=1e-6,
                                               wd=0.1, clip_gradient=0.5)),
    "rmsprop_update": (("n",), dict(lr=0.01, wd=0.01, rescale_grad=0.5)),
    "rmsprop_update_clip": (("n",), dict(lr=0.01, gamma1=0.9, epsilon=1e-6, wd=0.1,
                                         clip_gradient=0.5, clip_weights=1.5)),
    "rmspropalex_update": (("n", "g", "delta"), dict(lr=0.01, wd=0.01, rescale_grad=0.5)),
    "rmspropalex_update_clip": (("n", "g", "delta"), dict(lr=0.01, gamma1=0.9, gamma2=0.8,
                                                         clip_gradient=0.5,
                                                         clip_weights=1.5)),
    "ftrl_update": (("z", "n"), dict(lr=0.1, wd=0.01, rescale_grad=0.5)),
    "ftrl_update_clip": (("z", "n"), dict(lr=0.1, lamda1=0.2, beta=0.5, clip_gradient=0.5)),
    "signsgd_update": ((), dict(lr=0.1, wd=0.01, rescale_grad=0.5)),
    "signum_update": (("mom",), dict(lr=0.1, momentum=0.9, wd=0.01, rescale_grad=0.5)),
    "signum_update_clip": (("mom",), dict(lr=0.1, momentum=0.8, wd_lh=0.01,
                                          clip_gradient=0.3)),
}
MP_UPDATES = {
    "mp_sgd_update": ((), dict(lr=0.1, wd=0.01, rescale_grad=0.5)),
    "mp_sgd_mom_update": (("mom",), dict(lr=0.1, momentum=0.9, wd=0.01)),
    "mp_nag_mom_update": (("mom",), dict(lr=0.1, momentum=0.9, wd=0.01, clip_gradient=0.4)),
}
SHAPE = (3, 4)


def update_cases(mx, dtype):
    """Three steps of each update operator, once with ``out=weight`` and once without."""
    nd = mx.nd
    res = {}
    for case, (states, kw) in UPDATES.items():
        op = getattr(nd, case.replace("_clip", ""))
        for mode in ("out", "new"):
            w = nd.array(pattern(SHAPE), dtype=dtype)
            st = [nd.array(np.abs(pattern(SHAPE, 1.0 + j)) * 0.1, dtype=dtype)
                  for j, _ in enumerate(states)]
            for step in range(3):
                g = nd.array(pattern(SHAPE, 0.3 + step), dtype=dtype)
                if mode == "out":
                    op(w, g, *st, out=w, **kw)
                else:
                    w = op(w, g, *st, **kw)
            res[f"upd/{dtype}/{case}/{mode}/w"] = w.asnumpy()
            for name, s in zip(states, st):
                res[f"upd/{dtype}/{case}/{mode}/{name}"] = s.asnumpy()
    return res


def mp_update_cases(mx):
    nd = mx.nd
    res = {}
    for case, (states, kw) in MP_UPDATES.items():
        op = getattr(nd, case)
        w32 = nd.array(pattern(SHAPE), dtype="float32")
        w = w32.astype("float16")
        st = [nd.array(np.abs(pattern(SHAPE, 1.0 + j)) * 0.1, dtype="float32")
              for j, _ in enumerate(states)]
        for step in range(3):
            g = nd.array(pattern(SHAPE, 0.3 + step), dtype="float16")
            op(w, g, *st, w32, out=w, **kw)
        res[f"mp/{case}/w"] = w.asnumpy()
        res[f"mp/{case}/w32"] = w32.asnumpy()
        for name, s in zip(states, st):
            res[f"mp/{case}/{name}"] = s.asnumpy()
    return res


LOSSES = {
    # case -> (loss class, kwargs, input shapes)
    "poisson": ("PoissonNLLLoss", {}, [(3, 4), (3, 4)]),
    "poisson_probs": ("PoissonNLLLoss", {"from_logits": False}, [(3, 4), (3, 4)]),
    # MXNet adds the Stirling term in place, which record() refuses: values only
    "poisson_full": ("PoissonNLLLoss", {"compute_full": True}, [(3, 4), (3, 4)]),
    "cosine": ("CosineEmbeddingLoss", {}, [(4, 5), (4, 5), (4,)]),
    "cosine_margin": ("CosineEmbeddingLoss", {"margin": 0.2, "weight": 0.5},
                      [(4, 5), (4, 5), (4,)]),
}


def loss_cases(mx):
    """Each loss's value and the gradients of sum(loss) with respect to its inputs."""
    nd = mx.nd
    res = {}
    for case, (cls, kwargs, shapes) in LOSSES.items():
        loss = getattr(mx.gluon.loss, cls)(**kwargs)
        xs = [nd.array(pattern(s, j)) for j, s in enumerate(shapes)]  # float32: MXNet's
        # CosineEmbeddingLoss mixes in float32 constants
        if cls == "PoissonNLLLoss":
            xs[1] = nd.array(np.abs(pattern(shapes[1], 3.0)) * 2)  # counts
            if not kwargs.get("from_logits", True):
                xs[0] = nd.array(np.abs(pattern(shapes[0])) + 0.1)
        else:
            xs[2] = nd.array([1, -1, -1, 1])
        if kwargs.get("compute_full"):
            res[f"loss/{case}/y"] = loss(*xs).asnumpy()
            continue
        for x in xs[:2]:
            x.attach_grad()
        with mx.autograd.record():
            y = loss(*xs)
        y.backward()
        res[f"loss/{case}/y"] = y.asnumpy()
        for j, x in enumerate(xs[:2]):
            res[f"loss/{case}/d{j}"] = x.grad.asnumpy()
    for case, kwargs, shape in (("groupnorm", {"num_groups": 2}, (2, 4, 3)),
                                ("groupnorm_4d", {"num_groups": 3, "epsilon": 1e-3},
                                 (2, 6, 2, 2))):
        net = mx.gluon.nn.GroupNorm(prefix="g_", **kwargs)
        net.initialize()
        net.gamma.set_data(nd.array([0.5, 1.5, -1.0][:kwargs["num_groups"]]))
        net.beta.set_data(nd.array([0.1, -0.2, 0.3][:kwargs["num_groups"]]))
        x = nd.array(pattern(shape))
        x.attach_grad()
        with mx.autograd.record():
            y = net(x)
        y.backward(nd.array(pattern(shape, 0.4)))
        res[f"layer/{case}/y"] = y.asnumpy()
        res[f"layer/{case}/dx"] = x.grad.asnumpy()
        res[f"layer/{case}/dgamma"] = net.gamma.grad().asnumpy()
        res[f"layer/{case}/dbeta"] = net.beta.grad().asnumpy()
        res[f"layer/{case}/repr"] = repr(net)
    res["init/constant_dumps"] = mx.init.Constant(nd.array([1.5, -2])).dumps()
    return res


def run(mx):
    res = {}
    for part in (loss_cases(mx), test_utils_cases(mx), surface_cases(mx), nd_cases(mx),
                 update_cases(mx, "float32"), update_cases(mx, "float64"),
                 mp_update_cases(mx)):
        res.update(part)
    return {k: (np.array(v) if isinstance(v, str) else v) for k, v in res.items()}


def main():
    import warnings

    import mxnet as mx

    warnings.simplefilter("ignore")
    arrays = run(mx)
    fd, tmp = tempfile.mkstemp(dir=HERE, suffix=".npz")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
        os.replace(tmp, OUT)
    except BaseException:
        os.unlink(tmp)
        raise
    print(f"wrote {OUT}: {len(arrays)} arrays", file=sys.stderr)


if __name__ == "__main__":
    main()
