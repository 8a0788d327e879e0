"""Golden values for gluon.data and gluon.utils, recorded from real MXNet.

Regenerate from the repository root with the MXNet venv:

    ~/mxnet-oracle/bin/python tests/golden/make_data_golden.py

Made with Apache MXNet 1.9.1 (CPU pip wheel, OpenCV 3.4.2 inside), numpy 1.23.5,
Python 3.11, Linux x86_64. Every ``prog_*`` function below takes the library module
(``mxnet`` here, ``minigluon`` in tests/test_data.py) and returns a dict of NumPy
arrays; the results go to ``tests/golden/data.npz`` under ``"<program>/<name>"``,
written to a temporary file and moved into place. Nothing needs network access.
"""

import os
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "data.npz")


def _images(seed):
    rs = np.random.RandomState(seed)
    return {
        "a": rs.randint(0, 256, (7, 9, 3)).astype(np.uint8),
        "b": rs.randint(0, 256, (28, 28, 1)).astype(np.uint8),
        "c": rs.randint(0, 256, (13, 5, 3)).astype(np.uint8),
        "d": rs.randint(0, 256, (32, 24, 1)).astype(np.uint8),
    }


RESIZE_CASES = [  # (image, size, keep_ratio, interpolation)
    ("a", 4, False, 1), ("a", 14, False, 1), ("a", (5, 3), False, 1), ("a", 1, False, 1),
    ("a", (20, 11), False, 1), ("a", 5, True, 1), ("b", 14, False, 1), ("b", 57, False, 1),
    ("b", 96, False, 1), ("b", 10, False, 1), ("b", (17, 40), False, 1),
    ("c", (3, 6), False, 1), ("c", 9, True, 1), ("c", (29, 31), False, 1),
    ("d", 16, False, 1), ("d", 12, True, 1), ("d", 56, False, 1),
    ("a", (4, 5), False, 0), ("a", (20, 11), False, 0), ("b", 14, False, 0),
    ("c", (29, 31), False, 0),
]


def prog_resize(mx):
    T = mx.gluon.data.vision.transforms
    imgs = _images(0)
    out = {}
    for i, (name, size, keep, interp) in enumerate(RESIZE_CASES):
        t = T.Resize(size, keep_ratio=keep, interpolation=interp)
        img = imgs[name]
        out[f"u8_{i}"] = t(mx.nd.array(img, dtype="uint8")).asnumpy()
        for dt in ("float32", "float64"):
            out[f"{dt}_{i}"] = t(mx.nd.array(img * 0.37 + 0.1, dtype=dt)).asnumpy()
    batch = np.stack([imgs["a"], imgs["a"][::-1]])
    out["batch"] = T.Resize((6, 4))(mx.nd.array(batch, dtype="uint8")).asnumpy()
    return out


def prog_to_tensor(mx):
    T = mx.gluon.data.vision.transforms
    rs = np.random.RandomState(1)
    out = {}
    img = rs.randint(0, 256, (5, 4, 3)).astype(np.uint8)
    out["u8"] = T.ToTensor()(mx.nd.array(img, dtype="uint8")).asnumpy()
    out["u8_batch"] = T.ToTensor()(mx.nd.array(np.stack([img, img // 2]),
                                               dtype="uint8")).asnumpy()
    v = rs.uniform(0, 300, (6, 5, 1))
    for dt in ("float16", "float32", "float64", "int32", "int64", "int8"):
        out[dt] = T.ToTensor()(mx.nd.array(v, dtype=dt)).asnumpy()
    return out


def prog_normalize(mx):
    T = mx.gluon.data.vision.transforms
    rs = np.random.RandomState(2)
    x3 = rs.uniform(0, 1, (3, 4, 2))
    out = {
        "f32_tuple": T.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))(
            mx.nd.array(x3)).asnumpy(),
        "f32_scalar": T.Normalize(0.5, 0.25)(mx.nd.array(x3)).asnumpy(),
        "f32_one": T.Normalize(0.1, 0.3)(mx.nd.array(x3[:1])).asnumpy(),
        "f32_batch": T.Normalize((0.1, 0.2, 0.3), (1.0, 2.0, 3.0))(
            mx.nd.array(np.stack([x3, x3 * 2]))).asnumpy(),
        "f64": T.Normalize((0.1, 0.2, 0.3), 0.7)(mx.nd.array(x3, dtype="float64")).asnumpy(),
        "u8": T.Normalize(1.0, 2.0)(mx.nd.array(x3 * 200 + 3, dtype="uint8")).asnumpy(),
        "list_mean": T.Normalize([0.1, 0.2, 0.3], [0.5, 0.5, 0.5])(
            mx.nd.array(x3)).asnumpy(),
    }
    return out


def prog_compose(mx):
    T = mx.gluon.data.vision.transforms
    img = _images(3)["b"]
    t = T.Compose([T.Resize(14), T.ToTensor(), T.Normalize(0.2, 0.3)])
    return {"out": t(mx.nd.array(img, dtype="uint8")).asnumpy(),
            "repr": np.array(repr(t)),
            "repr_totensor": np.array(repr(T.ToTensor())),
            "repr_mixed": np.array(repr(T.Compose([T.Cast("float32"), T.ToTensor()]))),
            "repr_one": np.array(repr(T.Compose([T.ToTensor()]))),
            "repr_empty": np.array(repr(T.Compose([])))}


def prog_loader(mx):
    gdata = mx.gluon.data
    nd = mx.nd
    out = {}
    np.random.seed(0)
    loader = gdata.DataLoader(gdata.ArrayDataset(np.arange(10)), 3, shuffle=True)
    for epoch in range(2):
        out[f"shuffle_{epoch}"] = np.concatenate([b.asnumpy() for b in loader])
    for lb in ("keep", "discard", "rollover"):
        loader = gdata.DataLoader(gdata.ArrayDataset(np.arange(10)), 4, last_batch=lb)
        for epoch in range(3):
            out[f"{lb}_len_{epoch}"] = np.array(len(loader))
            out[f"{lb}_{epoch}"] = np.array([b.asnumpy().tolist() + [-1] * (4 - len(b))
                                             for b in loader])
    ds = gdata.ArrayDataset(nd.arange(20).reshape((10, 2)), nd.arange(10))
    X, y = next(iter(gdata.DataLoader(ds, 4)))
    out["X"], out["y"] = X.asnumpy(), y.asnumpy()
    cases = {
        "f64": gdata.ArrayDataset(np.arange(6.0)),
        "i64": gdata.ArrayDataset(np.arange(6)),
        "list_int": [1, 2, 3, 4],
        "list_float": [1.5, 2.5, 3.5],
        "bool": [True, False, True],
        "nd_u8": nd.array(np.arange(12).reshape((6, 2)), dtype="uint8"),
        "np_2d": np.arange(12, dtype=np.int32).reshape((6, 2)),
    }
    for name, data in cases.items():
        b = next(iter(gdata.DataLoader(data, 2)))
        out[f"batch_{name}"] = b.asnumpy()
        out[f"dtype_{name}"] = np.array(np.dtype(b.dtype).name)
    tup = next(iter(gdata.DataLoader([(1, (2.0, 3)), (4, (5.0, 6))], 2)))
    out["nested_type"] = np.array(f"{type(tup).__name__}/{type(tup[1]).__name__}")
    out["nested"] = np.concatenate([tup[0].asnumpy(), tup[1][0].asnumpy(),
                                    tup[1][1].asnumpy()])
    return out


def prog_datasets(mx):
    gdata = mx.gluon.data
    nd = mx.nd
    ds = gdata.ArrayDataset(nd.arange(20).reshape((10, 2)), nd.arange(10))
    x, y = ds[3]
    sl = ds[1:3]
    t = ds.transform_first(lambda v: v * 2)
    out = {
        "types": np.array([type(x).__name__, type(y).__name__, type(sl).__name__,
                           type(sl[0]).__name__, type(sl[1]).__name__]),
        "x": x.asnumpy(), "y": np.array(y), "sl1": sl[1],
        "tf_x": t[3][0].asnumpy(), "tf_y": np.array(t[3][1]),
        "tr": np.array(ds.transform(lambda a, b: (b, a))[4][0]),
        "take": np.array(len(ds.take(3))), "shard": ds.shard(3, 1)[0][0].asnumpy(),
        "filter": np.array(len(ds.filter(lambda s: s[1] > 4))),
        "eager": np.array(type(ds.transform(lambda a, b: b, lazy=False)).__name__),
        "single": np.array(gdata.ArrayDataset([5, 6, 7])[1]),
    }
    try:
        gdata.ArrayDataset(np.zeros(3), np.zeros(3), np.zeros(4))
    except AssertionError as e:
        out["mismatch"] = np.array(str(e))
    return out


def prog_utils(mx):
    gu = mx.gluon.utils
    nd = mx.nd
    rs = np.random.RandomState(4)
    a, b = nd.array(rs.normal(size=(3, 4))), nd.array(rs.normal(size=(5,)))
    norm = gu.clip_global_norm([a, b], 1.0)
    c = nd.array(rs.normal(size=(2, 2)) * 0.01)
    small = gu.clip_global_norm([c], 5.0)
    d = nd.array(rs.normal(size=(3,)))
    nd_norm = gu.clip_global_norm([d], 0.5, check_isfinite=False)
    out = {"norm": np.array(norm), "norm_type": np.array(type(norm).__name__),
           "a": a.asnumpy(), "b": b.asnumpy(), "small": np.array(small), "c": c.asnumpy(),
           "nd_norm": nd_norm.asnumpy(), "d": d.asnumpy()}
    x = nd.arange(14).reshape((7, 2))
    out["split"] = np.array([p.shape[0] for p in gu.split_data(x, 3, even_split=False)])
    out["split_ax1"] = np.array([p.shape[1] for p in
                                 gu.split_data(x.T, 3, batch_axis=1, even_split=False)])
    out["split_small"] = np.array([p.shape[0] for p in
                                   gu.split_data(nd.zeros((2, 2)), 3, even_split=False)])
    out["sal"] = np.concatenate([p.asnumpy() for p in gu.split_and_load(
        x[:6], [mx.cpu(), mx.cpu()])])
    try:
        gu.split_data(x, 2)
    except ValueError as e:
        out["split_error"] = np.array(str(e))
    try:
        gu.split_and_load(x, mx.cpu())
    except TypeError as e:
        out["bare_ctx"] = np.array(str(e))
    return out


PROGRAMS = {name[5:]: fn for name, fn in sorted(globals().items())
            if name.startswith("prog_")}


def main():
    import mxnet

    results = {}
    for name, prog in PROGRAMS.items():
        for key, value in prog(mxnet).items():
            results[f"{name}/{key}"] = np.asarray(value)
    results["__meta__/mxnet_version"] = np.array(mxnet.__version__)
    results["__meta__/numpy_version"] = np.array(np.__version__)
    fd, tmp = tempfile.mkstemp(dir=HERE, suffix=".npz.tmp")
    os.close(fd)
    try:
        with open(tmp, "wb") as f:
            np.savez_compressed(f, **dict(sorted(results.items())))
        os.chmod(tmp, 0o644)
        os.replace(tmp, OUT)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    print(f"wrote {len(results)} arrays to {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
