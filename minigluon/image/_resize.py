"""OpenCV 3.4's resize arithmetic in NumPy, for the cases where OpenCV 4 (the wheel we use)
does not give MXNet 1.9.1's values to the bit, or where no OpenCV is needed: nearest
neighbour, bilinear (uint8, float32, float64) and bicubic on uint8. Imports nothing but
NumPy, so that ``gluon.data.vision.transforms.Resize`` works without OpenCV.
"""

from __future__ import annotations

import numpy as np


def _linear_weights(n_in: int, n_out: int, clamp: bool
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Source indices i0, i1 and the float32 weight of i1, for OpenCV's bilinear resize.

    Output pixel d samples the input at (d + 0.5) * n_in / n_out - 0.5 (pixel centres
    aligned). OpenCV clamps that position into the image along x, but along y it only
    clamps the row indices and keeps the unclamped weights; both matter for the last
    bit of uint8 results.
    """
    scale = 1.0 / (n_out / n_in)
    pos = ((np.arange(n_out) + 0.5) * scale - 0.5).astype(np.float32)
    i0 = np.floor(pos).astype(np.intp)
    frac = pos - i0.astype(np.float32)
    if clamp:
        frac[(i0 < 0) | (i0 >= n_in - 1)] = 0
    i1 = np.clip(i0 + 1, 0, n_in - 1)
    return np.clip(i0, 0, n_in - 1), i1, frac


def _resize_bilinear(img: np.ndarray, h: int, w: int) -> np.ndarray:
    if img.shape[0] == 2 * h and img.shape[1] == 2 * w:
        return _halve(img)
    x0, x1, fx = _linear_weights(img.shape[1], w, clamp=True)
    y0, y1, fy = _linear_weights(img.shape[0], h, clamp=False)
    if img.dtype == np.uint8:
        # OpenCV's fixed point: weights scaled by 2048 and rounded; the horizontal pass
        # is exact in integers, the vertical one (SIMD) drops 4, then 16, then 2 bits
        # (rounding only the last step)
        ax1 = np.rint(fx * 2048).astype(np.int32)
        ax0 = np.rint((np.float32(1) - fx) * 2048).astype(np.int32)
        by1 = np.rint(fy * 2048).astype(np.int32)[:, None, None]
        by0 = np.rint((np.float32(1) - fy) * 2048).astype(np.int32)[:, None, None]
        src = img.astype(np.int32)
        rows = src[:, x0] * ax0[:, None] + src[:, x1] * ax1[:, None]
        top = ((rows[y0] >> 4) * by0) >> 16
        bottom = ((rows[y1] >> 4) * by1) >> 16
        return np.clip((top + bottom + 2) >> 2, 0, 255).astype(np.uint8)
    t = img.dtype.type
    ax1, ax0 = fx.astype(t)[:, None], (np.float32(1) - fx).astype(t)[:, None]
    by1 = fy.astype(t)[:, None, None]
    by0 = (np.float32(1) - fy).astype(t)[:, None, None]
    rows = img[:, x0] * ax0 + img[:, x1] * ax1
    return rows[y0] * by0 + rows[y1] * by1


def _halve(img: np.ndarray) -> np.ndarray:
    """Exactly half the size: OpenCV then averages 2x2 blocks instead (its "area" path,
    the same values as bilinear up to rounding, reproduced here to the last bit)."""
    a, b = img[0::2, 0::2], img[0::2, 1::2]
    c, d = img[1::2, 0::2], img[1::2, 1::2]
    if img.dtype == np.uint8:
        total = a.astype(np.int32) + b + c + d
        return ((total + 2) >> 2).astype(np.uint8)
    quarter = img.dtype.type(0.25)
    out = (((a + b) + c) + d) * quarter
    if img.dtype == np.float32 and img.shape[2] == 1:
        # OpenCV's SIMD loop adds pairs, in groups of four output pixels per row
        n = out.shape[1] // 4 * 4
        out[:, :n] = ((a[:, :n] + b[:, :n]) + (c[:, :n] + d[:, :n])) * quarter
    return out


def _resize_nearest(img: np.ndarray, h: int, w: int) -> np.ndarray:
    def index(n_in: int, n_out: int) -> np.ndarray:
        scale = 1.0 / (n_out / n_in)  # OpenCV's arithmetic, for the same floor
        return np.minimum(np.floor(np.arange(n_out) * scale).astype(np.intp), n_in - 1)

    return img[index(img.shape[0], h)][:, index(img.shape[1], w)]


def _cubic_taps(n_in: int, n_out: int) -> tuple[np.ndarray, np.ndarray]:
    """Source indices (n_out, 4) and fixed-point weights (x 2048) of OpenCV's bicubic
    (a = -0.75, pixel centres aligned, borders replicated), computed in float32 as
    OpenCV does."""
    pos = ((np.arange(n_out) + 0.5) * (1.0 / (n_out / n_in)) - 0.5).astype(np.float32)
    start = np.floor(pos).astype(np.intp)
    x = pos - start.astype(np.float32)
    a, one = np.float32(-0.75), np.float32(1)
    c0 = ((a * (x + one) - 5 * a) * (x + one) + 8 * a) * (x + one) - 4 * a
    c1 = ((a + 2) * x - (a + 3)) * x * x + one
    c2 = ((a + 2) * (one - x) - (a + 3)) * (one - x) * (one - x) + one
    c3 = one - c0 - c1 - c2
    weights = np.rint(np.stack([c0, c1, c2, c3], 1) * np.float32(2048)).astype(np.int64)
    return np.clip(start[:, None] + np.arange(-1, 3), 0, n_in - 1), weights


def _bicubic_u8(img: np.ndarray, w: int, h: int) -> np.ndarray:
    """OpenCV 3.4's bicubic resize of a uint8 image, to the bit (MXNet 1.9.1 links
    OpenCV 3.4.2; OpenCV 4's own bicubic rounds differently in about 3% of pixels).

    The horizontal pass is exact integer arithmetic; the vertical one runs in float32
    (SSE2) on runs of 8 values of each output row and rounds to nearest even, and in
    integers with round-half-up for the last ``len % 8`` values of the row.
    """
    xi, xw = _cubic_taps(img.shape[1], w)
    yi, yw = _cubic_taps(img.shape[0], h)
    rows = np.einsum("hwkc,wk->hwc", img[:, xi].astype(np.int64), xw)
    rows = rows.reshape(rows.shape[0], -1)
    beta = (yw.astype(np.float32) * np.float32(1.0 / (2048 * 2048))).astype(np.float32)
    rows32 = rows.astype(np.float32)
    acc = rows32[yi[:, 0]] * beta[:, 0, None]
    for k in range(1, 4):
        acc = acc + rows32[yi[:, k]] * beta[:, k, None]
    out = np.rint(acc)
    n = out.shape[1] // 8 * 8
    if n < out.shape[1]:
        tail = sum(rows[yi[:, k], n:] * yw[:, k, None] for k in range(4))
        out[:, n:] = (tail + (1 << 21)) >> 22
    return np.clip(out, 0, 255).astype(np.uint8).reshape(h, w, img.shape[2])
