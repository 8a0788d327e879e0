"""Regenerate tests/golden/vision_ops.npz (Deconvolution, UpSampling, ROIPooling, ROIAlign,
MultiBoxPrior, MultiBoxTarget, MultiBoxDetection, box_nms, box_iou, init.Bilinear) from
real MXNet (the oracle).

Run from the repository root with the MXNet venv:

    ~/mxnet-oracle/bin/python tests/golden/make_vision_ops_golden.py

Made with Apache MXNet 1.9.1 (CPU pip wheel), numpy 1.23.5, Python 3.11, Linux x86_64.

:func:`run` takes the framework module ``mx`` (``mxnet`` here, ``minigluon`` in
tests/ops/test_vision_ops.py) and a case name, and returns the output(s) and, for the
differentiable inputs, the gradients of ``sum(out * ograd)``. Inputs are made from sines
and cosines, the same under any NumPy. Keys are ``"<case>/<result>"``; the file is
written atomically.
"""

import os
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "vision_ops.npz")


def pattern(shape, k=0.0):
    """Deterministic, irregular float64 values, none exactly 0."""
    i = np.arange(int(np.prod(shape)), dtype=np.float64)
    return (2 * np.cos(1.37 * i + k) + 0.6 * np.sin(7.1 * i + 2 * k) + 0.013).reshape(shape)


def uniform(shape, k=0.0):
    """Deterministic values in (0, 1)."""
    return 0.5 + 0.45 * np.sin(np.arange(int(np.prod(shape))) * 2.3 + k).reshape(shape)


def _boxes(n, k=0.0, lo=0.0, hi=1.0):
    c = uniform((n, 2), k) * (hi - lo) + lo
    s = 0.1 + 0.3 * uniform((n, 2), k + 1.0) * (hi - lo)
    return np.concatenate([c - s / 2, c + s / 2], axis=1)


def _labels():
    lab = np.full((2, 4, 5), -1.0)
    lab[0, :3, 0] = [0, 2, 1]
    lab[0, :3, 1:] = _boxes(3, 0.3)
    lab[1, :1, 0] = [1]
    lab[1, :1, 1:] = [[0.1, 0.15, 0.45, 0.6]]
    return lab


def _rois():
    return np.array([[0, 0.5, 0.3, 5.2, 6.1], [1, 2.0, 1.0, 7.9, 4.4], [0, -1.0, 3.3, 3.0, 7.7],
                     [1, 6.0, 6.0, 6.4, 6.2], [0, 3.5, 2.5, 3.5, 2.5]])


# case -> (function name, array inputs, kwargs, indices of differentiated inputs)
def cases():
    det_prob = np.abs(pattern((2, 4, 30), 0.2)) ** 2
    det_prob = det_prob / det_prob.sum(axis=1, keepdims=True)
    nms_in = np.concatenate([np.floor(uniform((2, 12, 1), 0.1) * 3), uniform((2, 12, 1), 0.7),
                             _boxes(24, 0.9).reshape(2, 12, 4)], axis=2)
    nms_in[0, 3, 1] = nms_in[0, 5, 1]  # a tie in score: the stable order decides
    return {
        "deconv2d": ("Deconvolution", [pattern((2, 3, 4, 5)), pattern((3, 4, 3, 3), 1.0),
                                       pattern((4,), 2.0)],
                     dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1), adj=(1, 0), num_filter=4,
                          no_bias=False), (0, 1, 2)),
        "deconv2d_group_dilate": ("Deconvolution", [pattern((1, 4, 3, 3)),
                                                    pattern((4, 3, 2, 3), 1.0)],
                                  dict(kernel=(2, 3), stride=(1, 2), dilate=(2, 1),
                                       num_filter=6, num_group=2), (0, 1)),
        "deconv2d_target": ("Deconvolution", [pattern((1, 2, 5, 5)),
                                              pattern((2, 2, 4, 4), 1.0)],
                            dict(kernel=(4, 4), stride=(2, 2), target_shape=(9, 10),
                                 num_filter=2), ()),  # MXNet's backward fails here (oneDNN)
        "deconv1d": ("Deconvolution", [pattern((2, 2, 6)), pattern((2, 3, 3), 1.0)],
                     dict(kernel=(3,), stride=(2,), pad=(1,), adj=(1,), num_filter=3), (0, 1)),
        "deconv3d": ("Deconvolution", [pattern((1, 2, 3, 2, 3)), pattern((2, 2, 2, 2, 2), 1.)],
                     dict(kernel=(2, 2, 2), stride=(2, 1, 2), num_filter=2), (0, 1)),
        "upsample_nearest": ("UpSampling", [pattern((2, 3, 2, 3))],
                             dict(scale=2, sample_type="nearest"), (0,)),
        "upsample_nearest_concat": ("UpSampling", [pattern((1, 2, 2, 2)),
                                                   pattern((1, 3, 4, 4), 1.0)],
                                    dict(scale=2, sample_type="nearest", num_args=2,
                                         multi_input_mode="concat"), (0, 1)),
        "upsample_nearest_sum": ("UpSampling", [pattern((1, 2, 2, 2)),
                                                pattern((1, 2, 1, 1), 1.0)],
                                 dict(scale=3, sample_type="nearest", num_args=2,
                                      multi_input_mode="sum"), (0, 1)),
        "upsample_bilinear": ("UpSampling", [pattern((1, 2, 3, 3)), pattern((2, 1, 4, 4), 1.)],
                              dict(scale=2, sample_type="bilinear", num_filter=2, num_args=2),
                              (0, 1)),
        "upsample_bilinear3": ("UpSampling", [pattern((1, 1, 2, 3)), pattern((1, 1, 5, 5), 1.)],
                               dict(scale=3, sample_type="bilinear", num_filter=1, num_args=2),
                               (0, 1)),
        "roipool": ("ROIPooling", [pattern((2, 3, 8, 9)), _rois()],
                    dict(pooled_size=(2, 3), spatial_scale=1.0), (0,)),
        "roipool_scale": ("ROIPooling", [pattern((2, 3, 8, 9)), _rois() * [1, 2, 2, 2, 2]],
                          dict(pooled_size=(3, 3), spatial_scale=0.5), (0,)),
        "roialign": ("contrib.ROIAlign", [pattern((2, 3, 8, 9)), _rois()],
                     dict(pooled_size=(2, 3), spatial_scale=1.0), (0,)),
        "roialign_ratio": ("contrib.ROIAlign", [pattern((2, 3, 8, 9)),
                                                _rois() * [1, 2, 2, 2, 2]],
                           dict(pooled_size=(3, 2), spatial_scale=0.5, sample_ratio=2), (0,)),
        "roialign_aligned": ("contrib.ROIAlign", [pattern((2, 3, 8, 9)), _rois()[:3]],
                             dict(pooled_size=(2, 2), spatial_scale=1.0, aligned=True), (0,)),
        "roialign_psroi": ("contrib.ROIAlign", [pattern((2, 8, 8, 9)), _rois()[:3]],
                           dict(pooled_size=(2, 2), spatial_scale=1.0, sample_ratio=2,
                                position_sensitive=True), (0,)),
        "prior": ("contrib.MultiBoxPrior", [np.zeros((1, 3, 4, 5))],
                  dict(sizes=(0.75, 0.5, 0.25), ratios=(1, 2, 0.5)), ()),
        "prior_clip_steps": ("contrib.MultiBoxPrior", [np.zeros((2, 1, 3, 3))],
                             dict(sizes=(0.6, 0.3), ratios=(2, 1), clip=True,
                                  steps=(0.3, 0.25), offsets=(0.4, 0.6)), ()),
        "target": ("contrib.MultiBoxTarget", [_boxes(40, 0.5).reshape(1, 40, 4), _labels(),
                                              pattern((2, 4, 40), 0.1)], {}, ()),
        "target_mining": ("contrib.MultiBoxTarget", [_boxes(40, 0.5).reshape(1, 40, 4),
                                                     _labels(), pattern((2, 4, 40), 0.1)],
                          dict(overlap_threshold=0.3, ignore_label=-2,
                               negative_mining_ratio=3, negative_mining_thresh=0.4,
                               minimum_negative_samples=2,
                               variances=(0.2, 0.1, 0.3, 0.25)), ()),
        "target_no_threshold": ("contrib.MultiBoxTarget", [_boxes(40, 0.5).reshape(1, 40, 4),
                                                           _labels(), pattern((2, 4, 40))],
                                dict(overlap_threshold=0), ()),
        "detection": ("contrib.MultiBoxDetection", [det_prob, pattern((2, 120), 0.3) * 0.3,
                                                    _boxes(30, 0.8).reshape(1, 30, 4)],
                      {}, ()),
        "detection_opts": ("contrib.MultiBoxDetection",
                           [det_prob, pattern((2, 120), 0.3) * 0.3,
                            _boxes(30, 0.8).reshape(1, 30, 4)],
                           dict(clip=False, threshold=0.3, nms_threshold=0.3,
                                force_suppress=True, variances=(0.2, 0.2, 0.1, 0.1),
                                nms_topk=6), ()),
        "nms": ("contrib.box_nms", [nms_in], dict(overlap_thresh=0.3), (0,)),
        "nms_ids": ("contrib.box_nms", [nms_in],
                    dict(overlap_thresh=0.2, valid_thresh=0.2, topk=8, id_index=0,
                         background_id=1), (0,)),
        "nms_force_center": ("contrib.box_nms", [nms_in[..., [1, 2, 3, 4, 5, 0]]],
                             dict(overlap_thresh=0.25, coord_start=1, score_index=0,
                                  id_index=5, force_suppress=True, in_format="center",
                                  out_format="corner"), (0,)),
        "nms_to_center": ("contrib.box_nms", [nms_in[1]],
                          dict(overlap_thresh=0.4, out_format="center"), (0,)),
        "iou": ("contrib.box_iou", [_boxes(5, 0.1), _boxes(6, 0.2).reshape(2, 3, 4)], {}, ()),
        "iou_center": ("contrib.box_iou", [_boxes(4, 0.3), _boxes(3, 0.4)],
                       dict(format="center"), ()),
    }


def _fn(mx, name):
    if name.startswith("contrib."):
        return getattr(mx.contrib.nd, name[len("contrib."):])
    return getattr(mx.nd, name)


def run(mx, case, dtype="float32"):
    """Outputs (``out0``, ``out1``... for several) and gradients ``grad<i>``."""
    fname, arrays, kwargs, wrt = cases()[case]
    xs = [mx.nd.array(a, dtype=dtype) for a in arrays]
    for i in wrt:
        xs[i].attach_grad()
    if wrt:
        with mx.autograd.record():
            y = _fn(mx, fname)(*xs, **kwargs)
    else:
        y = _fn(mx, fname)(*xs, **kwargs)
    outs = y if isinstance(y, (list, tuple)) else [y]
    res = {f"out{i}": o.asnumpy() for i, o in enumerate(outs)}
    if wrt:
        ograd = mx.nd.array(pattern(outs[0].shape, 0.4), dtype=dtype)
        outs[0].backward(ograd)
        for i in wrt:
            res[f"grad{i}"] = xs[i].grad.asnumpy()
    return res


# transposed convolution layers: (class, kwargs, input shape)
LAYERS = {
    "conv1dt": ("Conv1DTranspose", dict(channels=3, kernel_size=3, strides=2, padding=1,
                                        output_padding=1), (2, 2, 5)),
    "conv2dt": ("Conv2DTranspose", dict(channels=4, kernel_size=(3, 2), strides=(2, 1),
                                        padding=(1, 0), groups=2, activation="relu",
                                        in_channels=2),
                (1, 2, 3, 4)),
    "conv2dt_fcn": ("Conv2DTranspose", dict(channels=2, kernel_size=4, padding=1, strides=2,
                                            use_bias=False, weight_initializer="bilinear"),
                    (1, 2, 3, 3)),
    "conv3dt": ("Conv3DTranspose", dict(channels=2, kernel_size=2, strides=2, dilation=1),
                (1, 1, 2, 2, 3)),
}


def layers(mx):
    """Each layer's repr before and after a forward, parameter names and shapes, output
    and gradients (parameters other than bilinear ones set from a pattern)."""
    res = {}
    for case, (cls, kwargs, shape) in LAYERS.items():
        net = getattr(mx.gluon.nn, cls)(prefix="t_", **kwargs)
        res[f"{case}/repr_new"] = np.array(repr(net))
        net.initialize()
        x = mx.nd.array(pattern(shape))
        net(x)
        res[f"{case}/repr"] = np.array(repr(net))
        for j, (name, p) in enumerate(sorted(net.collect_params().items())):
            if "weight_initializer" not in kwargs:
                p.set_data(mx.nd.array(pattern(p.shape, j + 0.3)))
            res[f"{case}/param_{name}"] = p.data().asnumpy()
        x.attach_grad()
        with mx.autograd.record():
            y = net(x)
        y.backward(mx.nd.array(pattern(y.shape, 0.4)))
        res[f"{case}/y"] = y.asnumpy()
        res[f"{case}/dx"] = x.grad.asnumpy()
        for name, p in net.collect_params().items():
            res[f"{case}/grad_{name}"] = p.grad().asnumpy()
    return res


def bilinear(mx):
    res = {}
    for shape in [(2, 2, 4, 4), (1, 3, 3, 5), (2, 1, 6, 3), (3, 3, 2, 2)]:
        a = mx.nd.zeros(shape)
        mx.init.Bilinear()._init_weight("w", a)
        res["bilinear/" + "x".join(map(str, shape))] = a.asnumpy()
    return res


# MXNet's oneDNN kernels fail on any deconvolution with target_shape ("could not create a
# descriptor for a dilated deconvolution"); these cases are computed by MXNet's own CPU
# kernels, in a second process with MXNET_MKLDNN_ENABLED=0
NATIVE = ("deconv2d_target",)


def main():
    import subprocess

    if os.environ.get("MXNET_MKLDNN_ENABLED") == "0":
        import mxnet as mx

        part = {f"{c}/{k}": v for c in NATIVE for k, v in run(mx, c).items()}
        np.savez(sys.argv[1], **part)
        return
    import mxnet as mx

    arrays = bilinear(mx)
    arrays.update(layers(mx))
    for case in cases():
        if case not in NATIVE:
            for key, value in run(mx, case).items():
                arrays[f"{case}/{key}"] = value
    with tempfile.TemporaryDirectory() as tmpdir:
        part = os.path.join(tmpdir, "native.npz")
        subprocess.run([sys.executable, __file__, part], check=True,
                       env=dict(os.environ, MXNET_MKLDNN_ENABLED="0"))
        arrays.update(np.load(part))
    fd, tmp = tempfile.mkstemp(dir=HERE, suffix=".npz")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez_compressed(f, **arrays)
        os.replace(tmp, OUT)
    except BaseException:
        os.unlink(tmp)
        raise
    print(f"wrote {OUT}: {len(arrays)} arrays", file=sys.stderr)


if __name__ == "__main__":
    main()
