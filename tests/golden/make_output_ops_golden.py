"""Regenerate tests/golden/output_ops.npz (SoftmaxOutput, LinearRegressionOutput,
LogisticRegressionOutput, MAERegressionOutput, MakeLoss) from real MXNet (the oracle).

Run from the repository root with the MXNet venv:

    ~/mxnet-oracle/bin/python tests/golden/make_output_ops_golden.py

Made with Apache MXNet 1.9.1 (CPU pip wheel), numpy 1.23.5, Python 3.11, Linux x86_64.

:func:`run` takes the framework module ``mx`` (``mxnet`` here, ``minigluon`` in
tests/ops/test_output_ops.py) and a case name and returns the forward output and the
gradient of the data after ``backward`` with a head gradient of 3 (which these loss layers
ignore unless ``out_grad``). Inputs come from ``np.random.RandomState``, float32. Keys are
``"<case>/out"`` and ``"<case>/grad"``; the file is written atomically.
"""

import os
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "output_ops.npz")


def _labels(rs, shape, k):
    return rs.randint(0, k, size=shape).astype(np.float32)


def inputs(case):
    """(operator name, data, label or None, parameters) of a case."""
    rs = np.random.RandomState(sum(map(ord, case)))
    x = rs.randn(4, 5).astype(np.float32)
    lab = _labels(rs, (4,), 5)
    x3 = rs.randn(2, 3, 4).astype(np.float32)
    table = {
        "softmax_plain": ("SoftmaxOutput", x, lab, {}),
        "softmax_batch_scale": ("SoftmaxOutput", x, lab,
                                {"grad_scale": 2.5, "normalization": "batch"}),
        "softmax_ignore_valid": ("SoftmaxOutput", x, np.array([1, -1, 3, -1], np.float32),
                                 {"use_ignore": True, "normalization": "valid"}),
        "softmax_valid_no_ignore": ("SoftmaxOutput", x, np.array([1, -1, 3, 2], np.float32),
                                    {"normalization": "valid"}),
        "softmax_ignore_7": ("SoftmaxOutput", x, np.array([7, 0, 7, 2], np.float32),
                             {"use_ignore": True, "ignore_label": 7}),
        "softmax_smooth": ("SoftmaxOutput", x, lab, {"smooth_alpha": 0.2}),
        "softmax_out_grad": ("SoftmaxOutput", x, lab, {"out_grad": True}),
        "softmax_out_of_range": ("SoftmaxOutput", x, np.array([1.7, 9, -2, 4], np.float32),
                                 {}),
        "softmax_prob_label": ("SoftmaxOutput", x, rs.rand(4, 5).astype(np.float32),
                               {"grad_scale": 2.0, "normalization": "batch"}),
        "softmax_half_scale": ("SoftmaxOutput", x, lab, {"grad_scale": 0.5}),
        "softmax_multi": ("SoftmaxOutput", x3, _labels(rs, (2, 4), 3),
                          {"multi_output": True, "normalization": "batch"}),
        "softmax_multi_valid": ("SoftmaxOutput", x3, np.array([[0, 1, -1, 2], [-1, 0, 0, 1]],
                                                              np.float32),
                                {"multi_output": True, "normalization": "valid",
                                 "use_ignore": True}),
        "softmax_preserve": ("SoftmaxOutput", x3, _labels(rs, (2, 3), 4),
                             {"preserve_shape": True, "normalization": "batch"}),
        "linear": ("LinearRegressionOutput", x, rs.rand(4, 5).astype(np.float32), {}),
        "linear_scale_3d": ("LinearRegressionOutput", x3, rs.rand(2, 12).astype(np.float32),
                            {"grad_scale": 2.0}),
        "linear_1d": ("LinearRegressionOutput", x[:, 0].copy(),
                      rs.rand(4).astype(np.float32), {}),
        "logistic": ("LogisticRegressionOutput", x, rs.randint(0, 2, (4, 5)).astype(
            np.float32), {"grad_scale": 3.0}),
        "mae": ("MAERegressionOutput", x, rs.rand(4, 5).astype(np.float32), {}),
        "mae_3d": ("MAERegressionOutput", x3, rs.rand(2, 3, 4).astype(np.float32),
                   {"grad_scale": 0.5}),
        "makeloss": ("MakeLoss", x, None, {}),
        "makeloss_batch": ("MakeLoss", x, None, {"grad_scale": 3.0, "normalization": "batch"}),
        "makeloss_valid": ("MakeLoss", x, None, {"normalization": "valid",
                                                 "valid_thresh": 0.3}),
    }
    return table[case]


CASES = ["softmax_plain", "softmax_batch_scale", "softmax_ignore_valid",
         "softmax_valid_no_ignore", "softmax_ignore_7", "softmax_smooth", "softmax_out_grad",
         "softmax_out_of_range", "softmax_prob_label", "softmax_half_scale", "softmax_multi",
         "softmax_multi_valid", "softmax_preserve", "linear", "linear_scale_3d", "linear_1d",
         "logistic", "mae", "mae_3d", "makeloss", "makeloss_batch", "makeloss_valid"]


def run(mx, case):
    """The output and the data's gradient of ``case`` under ``mx``."""
    name, x, label, params = inputs(case)
    data = mx.nd.array(x)
    data.attach_grad()
    args = [data] if label is None else [data, mx.nd.array(label)]
    with mx.autograd.record():
        y = getattr(mx.nd, name)(*args, **params)
    y.backward(mx.nd.ones(y.shape) * 3)
    return {"out": y.asnumpy(), "grad": data.grad.asnumpy()}


def main():
    import mxnet as mx

    arrays = {}
    for case in CASES:
        for k, v in run(mx, case).items():
            arrays[f"{case}/{k}"] = v
    fd, tmp = tempfile.mkstemp(dir=HERE, suffix=".npz")
    os.close(fd)
    np.savez(tmp, **arrays)
    os.replace(tmp, OUT)
    print(f"wrote {len(arrays)} arrays to {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
