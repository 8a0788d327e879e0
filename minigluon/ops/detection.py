"""Object-detection operators, as MXNet 1.9.1 computes them on the CPU: anchor boxes
(``MultiBoxPrior``), their training targets (``MultiBoxTarget``), turning predictions back
into boxes with non-maximum suppression (``MultiBoxDetection``, ``box_nms``), box overlaps
(``box_iou``) and region-of-interest pooling (``ROIPooling``, ``ROIAlign``).

Boxes are ``(xmin, ymin, xmax, ymax)`` ("corner") unless a ``format`` says "center"
(``(x, y, width, height)``). The arithmetic is done in the input's dtype (float32 in
practice), in MXNet's order of operations, so that the results match MXNet's bits.

The box operators have no gradient in MXNet (their backward writes zeros); ``box_nms``
passes the gradient of each kept row back to the row it came from; the ROI operators
differentiate with respect to the feature map.
"""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np

from ..base import MinigluonError
from ._op import Op, frozen_op, register_op

Shape = tuple[int, ...]


def _floats(v: Any) -> tuple[float, ...]:
    if isinstance(v, (int, float, np.number)):
        return (float(v),)
    return tuple(float(i) for i in v)


def _pair(v: Any) -> tuple[int, int]:
    if isinstance(v, (int, np.integer)):
        return (int(v), int(v))
    v = tuple(int(i) for i in v)
    if len(v) != 2:
        raise MinigluonError(f"pooled_size={v} must be an int or a pair of ints")
    return v  # type: ignore[return-value]


def _corner(boxes: np.ndarray, fmt: str) -> np.ndarray:
    """Boxes (..., 4) as corners; "center" boxes are converted."""
    if fmt == "corner":
        return boxes
    x, y, w, h = np.moveaxis(boxes, -1, 0)
    return np.stack([x - w / 2, y - h / 2, x + w / 2, y + h / 2], axis=-1)


def _axis_overlap(a: np.ndarray, b: np.ndarray, fmt: str) -> np.ndarray:
    """MXNet's Intersect along one axis: ``a``, ``b`` hold (start, _, end) or (centre, _,
    size) at indices 0 and 2 of the last axis."""
    if fmt == "corner":
        w = np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0])
    else:
        aw, bw = a[..., 2] / 2, b[..., 2] / 2
        w = np.minimum(b[..., 0] + bw, a[..., 0] + aw) - np.maximum(b[..., 0] - bw,
                                                                     a[..., 0] - aw)
    return np.where(w > 0, w, np.zeros((), w.dtype))


def _area(box: np.ndarray, fmt: str) -> np.ndarray:
    if fmt == "corner":
        w, h = box[..., 2] - box[..., 0], box[..., 3] - box[..., 1]
    else:
        w, h = box[..., 2], box[..., 3]
    return np.where((w < 0) | (h < 0), np.zeros((), w.dtype), w * h)


def _intersection(a: np.ndarray, b: np.ndarray, fmt: str) -> np.ndarray:
    return _axis_overlap(a, b, fmt) * _axis_overlap(a[..., 1:], b[..., 1:], fmt)


# ---- box_iou ----------------------------------------------------------------------------


@register_op
@frozen_op
class BoxIoU(Op):
    """y[i, j] = area(a_i & b_j) / area(a_i | b_j).   VJP: none (MXNet's gradient is zero)

    Output shape ``lhs.shape[:-1] + rhs.shape[:-1]``; boxes that do not meet give 0.
    """

    name = "_contrib_box_iou"
    inputs = ("lhs", "rhs")
    format: str = "corner"

    def forward(self, a, b):
        for nm, v in (("lhs", a), ("rhs", b)):
            if v.ndim < 1 or v.shape[-1] != 4:
                raise MinigluonError(f"box_iou: {nm} has shape {v.shape}; its last axis must "
                                     "hold the 4 coordinates of a box")
        if self.format not in ("corner", "center"):
            raise MinigluonError(f"box_iou: format={self.format!r} is not 'corner' or "
                                 "'center'")
        la, lb = a.reshape(-1, 1, 4), b.reshape(1, -1, 4)
        inter = _intersection(la, lb, self.format)
        union = _area(la, self.format) + _area(lb, self.format) - inter
        with np.errstate(divide="ignore", invalid="ignore"):
            y = np.where(inter > 0, inter / np.where(inter > 0, union, 1), 0)
        return y.astype(a.dtype).reshape(a.shape[:-1] + b.shape[:-1]), ()

    def vjp(self, res, g):
        return None, None

    @classmethod
    def samples(cls, rng):
        a = np.array([[0.1, 0.1, 0.5, 0.6], [0.2, 0.3, 0.9, 0.8]])
        return [(cls(), [a, a[::-1] * 0.9])]


# ---- box_nms ----------------------------------------------------------------------------


@register_op
@frozen_op
class BoxNMS(Op):
    """y = kept boxes by score, then -1 rows.   VJP: dx[kept row] = g[its output row], 0 elsewhere

    Per batch (every axis but the last two), boxes with score > ``valid_thresh`` (and
    class != ``background_id`` when ``id_index`` is set) are sorted by score (stable,
    descending); of the first ``topk``, a box is suppressed when its IoU with a kept
    higher-scoring box (of the same class unless ``force_suppress`` or no ``id_index``)
    exceeds ``overlap_thresh``.
    """

    name = "_contrib_box_nms"
    overlap_thresh: float = 0.5
    valid_thresh: float = 0.0
    topk: int = -1
    coord_start: int = 2
    score_index: int = 1
    id_index: int = -1
    background_id: int = -1
    force_suppress: bool = False
    in_format: str = "corner"
    out_format: str = "corner"

    def _check(self, x: np.ndarray) -> None:
        if x.ndim < 2:
            raise MinigluonError(f"box_nms: the input has shape {x.shape}; it needs at least "
                                 "2 axes (boxes, box width)")
        width = x.shape[-1]
        need = 6 if self.id_index >= 0 else 5
        if width < need:
            raise MinigluonError(f"box_nms: the last axis has {width} elements; {need} are "
                                 "needed (score, 4 coordinates" +
                                 (", class id)" if self.id_index >= 0 else ")"))
        cs, ce = self.coord_start, self.coord_start + 3
        if not 0 <= self.score_index < width or cs <= self.score_index <= ce:
            raise MinigluonError(f"box_nms: score_index={self.score_index} is out of range "
                                 f"(0, {width}) or inside the coordinates ({cs}, {ce})")
        if not (0 <= cs and ce < width):
            raise MinigluonError(f"box_nms: coordinates ({cs}, {ce}) are out of range "
                                 f"(0, {width})")
        if self.id_index >= 0 and (self.id_index >= width or cs <= self.id_index <= ce
                                   or self.id_index == self.score_index):
            raise MinigluonError(f"box_nms: id_index={self.id_index} is out of range or "
                                 "conflicts with the score or the coordinates")
        for nm in ("in_format", "out_format"):
            if getattr(self, nm) not in ("corner", "center"):
                raise MinigluonError(f"box_nms: {nm}={getattr(self, nm)!r} is not 'corner' "
                                     "or 'center'")

    def forward(self, x):
        self._check(x)
        shape = x.shape
        n, width = shape[-2], shape[-1]
        data = x.reshape(-1, n, width)
        nb = data.shape[0]
        out = np.full_like(data, -1)
        record = np.full((nb, n), -1, dtype=np.int64)
        topk = n if self.topk < 0 else min(n, self.topk)
        if topk < 1:
            return x.copy(), (np.arange(nb * n).reshape(nb, n),)
        cs = self.coord_start
        for b in range(nb):
            rows = data[b]
            score = rows[:, self.score_index]
            valid = score > score.dtype.type(self.valid_thresh)
            if self.id_index >= 0:
                valid &= rows[:, self.id_index] != self.background_id
            idx = np.flatnonzero(valid)
            idx = idx[np.argsort(-score[idx], kind="stable")][:topk]
            boxes = rows[idx, cs:cs + 4]
            areas = _area(boxes, self.in_format)
            keep = np.ones(len(idx), dtype=bool)
            ids = rows[idx, self.id_index].astype(np.int64) if self.id_index >= 0 else None
            for i in range(len(idx)):
                if not keep[i]:
                    continue
                rest = np.arange(i + 1, len(idx))
                rest = rest[keep[rest]]
                if ids is not None and not self.force_suppress:
                    rest = rest[ids[rest] == ids[i]]
                if not len(rest):
                    continue
                inter = _intersection(boxes[i], boxes[rest], self.in_format)
                with np.errstate(divide="ignore", invalid="ignore"):
                    iou = inter / (areas[i] + areas[rest] - inter)
                keep[rest[iou > self.overlap_thresh]] = False
            kept = idx[keep]
            out[b, :len(kept)] = rows[kept]
            record[b, :len(kept)] = kept + b * n
        if self.in_format != self.out_format:
            coords = out[..., cs:cs + 4]
            live = coords[..., 0] >= 0  # MXNet skips rows whose first coordinate is < 0
            if self.out_format == "center":
                conv = np.stack([(coords[..., 0] + coords[..., 2]) / 2,
                                 (coords[..., 1] + coords[..., 3]) / 2,
                                 coords[..., 2] - coords[..., 0],
                                 coords[..., 3] - coords[..., 1]], axis=-1)
            else:
                conv = _corner(coords, "center")
            out[..., cs:cs + 4] = np.where(live[..., None], conv, coords)
        return out.reshape(shape), (record,)

    def vjp(self, res, g):
        (record,) = res
        shape = g.shape
        gm = g.reshape(-1, shape[-1])
        flat = record.reshape(-1)
        dx = np.zeros_like(gm)
        ok = flat >= 0
        dx[flat[ok]] = gm[ok]
        return (dx.reshape(shape),)

    @classmethod
    def samples(cls, rng):
        x = np.array([[[0, 0.9, 0.1, 0.1, 0.4, 0.4], [0, 0.8, 0.12, 0.1, 0.42, 0.4],
                       [1, 0.7, 0.1, 0.1, 0.4, 0.41], [0, 0.3, 0.5, 0.5, 0.9, 0.9],
                       [1, 0.05, 0.0, 0.0, 0.2, 0.2]]])
        ids = x.copy()
        ids[..., 0] += 0.5  # ids are truncated to int: keep them off the integers for the check
        return [(cls(), [x]), (cls(id_index=0, topk=4, valid_thresh=0.1), [ids]),
                (cls(id_index=0, force_suppress=True), [x[0]])]


# ---- MultiBoxPrior ----------------------------------------------------------------------


@register_op
@frozen_op
class MultiBoxPrior(Op):
    """y = anchor boxes centred on every pixel of x (N, C, H, W).   VJP: none

    Per pixel: one box per size with the first ratio, then one per further ratio with the
    first size; a box of size s and ratio r has width ``s * H / W * sqrt(r)`` and height
    ``s / sqrt(r)`` (fractions of the image). Output (1, H * W * (len(sizes) +
    len(ratios) - 1), 4).
    """

    name = "_contrib_MultiBoxPrior"
    sizes: tuple[float, ...] = attrs.field(default=(1.0,), converter=_floats)
    ratios: tuple[float, ...] = attrs.field(default=(1.0,), converter=_floats)
    clip: bool = False
    steps: tuple[float, ...] = attrs.field(default=(-1.0, -1.0), converter=_floats)
    offsets: tuple[float, ...] = attrs.field(default=(0.5, 0.5), converter=_floats)

    def forward(self, x):
        if x.ndim != 4:
            raise MinigluonError(f"MultiBoxPrior: the input has shape {x.shape}; it must be "
                                 "4-D (batch, channel, height, width)")
        if len(self.steps) != 2 or len(self.offsets) != 2:
            raise MinigluonError(f"MultiBoxPrior: steps={self.steps} and offsets="
                                 f"{self.offsets} must each have 2 values (y, x)")
        if not self.sizes or not self.ratios:
            raise MinigluonError("MultiBoxPrior needs at least one size and one ratio")
        f = np.float32
        h, w = x.shape[2:]
        step_y = f(self.steps[0]) if self.steps[0] > 0 else f(1) / f(h)
        step_x = f(self.steps[1]) if self.steps[1] > 0 else f(1) / f(w)
        cy = (np.arange(h, dtype=f) + f(self.offsets[0])) * step_y
        cx = (np.arange(w, dtype=f) + f(self.offsets[1])) * step_x
        half = []  # (half width, half height) per anchor, in MXNet's float32 order
        r0 = np.sqrt(f(self.ratios[0]))
        for s in self.sizes:
            half.append((f(s) * f(h) / f(w) * r0 / f(2), f(s) / r0 / f(2)))
        for r in self.ratios[1:]:
            rr = np.sqrt(f(r))
            s0 = f(self.sizes[0])
            half.append((s0 * f(h) / f(w) * rr / f(2), s0 / rr / f(2)))
        hw = np.array(half, dtype=f)  # (A, 2)
        cyy, cxx = np.meshgrid(cy, cx, indexing="ij")
        cxx, cyy = cxx[..., None], cyy[..., None]
        y = np.stack([cxx - hw[:, 0], cyy - hw[:, 1], cxx + hw[:, 0], cyy + hw[:, 1]],
                     axis=-1).reshape(1, -1, 4)
        if self.clip:
            y = np.clip(y, f(0), f(1))
        return y.astype(x.dtype), ()

    def vjp(self, res, g):
        return (None,)

    @classmethod
    def samples(cls, rng):
        return [(cls(sizes=(0.5, 0.25), ratios=(1, 2, 0.5)), [np.zeros((1, 2, 3, 4))])]


# ---- MultiBoxTarget ---------------------------------------------------------------------


@register_op
@frozen_op
class MultiBoxTarget(Op):
    """y = [loc_target | loc_mask | cls_target] per batch, side by side.   VJP: none

    Every ground-truth box takes the free anchor it overlaps most (greedily, best pair
    first); then each other anchor whose best IoU exceeds ``overlap_threshold`` takes that
    box. Matched anchors get class id + 1 and the offsets ``((gx - ax) / aw / v0, (gy - ay)
    / ah / v1, log(gw / aw) / v2, log(gh / ah) / v3)``; the others class 0 (background),
    or with hard negative mining only the ``ratio * positives`` least confidently
    background ones (IoU below ``negative_mining_thresh``) and ``ignore_label`` for the
    rest. Label rows are (class, xmin, ymin, xmax, ymax, ...); a class of -1 ends them.
    """

    name = "_contrib_MultiBoxTarget"
    inputs = ("anchor", "label", "cls_pred")
    expose = False  # contrib.nd.MultiBoxTarget splits the three outputs
    overlap_threshold: float = 0.5
    ignore_label: float = -1.0
    negative_mining_ratio: float = -1.0
    negative_mining_thresh: float = 0.5
    minimum_negative_samples: int = 0
    variances: tuple[float, ...] = attrs.field(default=(0.1, 0.1, 0.2, 0.2),
                                               converter=_floats)

    def forward(self, anchor, label, cls_pred):
        if len(self.variances) != 4:
            raise MinigluonError(f"MultiBoxTarget: variances={self.variances} must have 4 "
                                 "values")
        if anchor.ndim != 3 or anchor.shape[-1] != 4:
            raise MinigluonError(f"MultiBoxTarget: anchor has shape {anchor.shape}; expected "
                                 "(1, num_anchors, 4)")
        if label.ndim != 3 or label.shape[-1] < 5:
            raise MinigluonError(f"MultiBoxTarget: label has shape {label.shape}; expected "
                                 "(batch, num_labels, 5 or more)")
        nb, na = label.shape[0], anchor.shape[1]
        if cls_pred.ndim != 3 or cls_pred.shape[0] != nb or cls_pred.shape[2] != na:
            raise MinigluonError(f"MultiBoxTarget: cls_pred has shape {cls_pred.shape}; "
                                 f"expected ({nb}, num_classes, {na})")
        dt = anchor.dtype.type
        anchors = anchor.reshape(na, 4)
        loc_t = np.zeros((nb, na, 4), anchor.dtype)
        loc_m = np.zeros((nb, na, 4), anchor.dtype)
        cls_t = np.full((nb, na), self.ignore_label, anchor.dtype)
        for b in range(nb):
            lab = label[b]
            ends = np.flatnonzero(lab[:, 0] == -1)
            nvalid = int(ends[0]) if len(ends) else lab.shape[0]
            if nvalid == 0:
                continue
            gt = lab[:nvalid]
            ov = self._overlaps(anchors, gt[:, 1:5]).astype(np.float32)  # (A, G)
            flags = np.full(na, -1, np.int8)
            match_iou = np.full(na, -1.0, np.float32)
            match_gt = np.full(na, -1, np.int64)
            npos = 0
            # bipartite: the best remaining (anchor, gt) pair, until none overlaps
            work = ov.copy()
            while True:
                best = int(np.argmax(work))  # first maximum in (anchor, gt) order, as MXNet
                j, k = divmod(best, nvalid)
                if not work[j, k] > np.float32(1e-6):
                    break
                match_iou[j], match_gt[j] = work[j, k], k
                flags[j] = 1
                npos += 1
                work[j, :] = -1
                work[:, k] = -1
            if self.overlap_threshold > 0:
                free = flags != 1
                best_gt = np.argmax(ov, axis=1)
                best_iou = ov[np.arange(na), best_gt]
                match_iou[free], match_gt[free] = best_iou[free], best_gt[free]
                pos = free & (best_iou > np.float32(self.overlap_threshold))
                flags[pos] = 1
                npos += int(pos.sum())
            if self.negative_mining_ratio > 0:
                if not self.negative_mining_thresh > 0:
                    raise MinigluonError("MultiBoxTarget: negative_mining_thresh must be > 0")
                nneg = int(npos * np.float32(self.negative_mining_ratio))
                nneg = min(nneg, na - npos)
                if nneg > 0:
                    free = flags != 1
                    unset = free & (match_iou < 0)
                    best_gt = np.argmax(ov, axis=1)
                    match_iou[unset] = ov[np.arange(na), best_gt][unset]
                    match_gt[unset] = best_gt[unset]
                    cand = np.flatnonzero(free & (match_iou < np.float32(
                        self.negative_mining_thresh)) & (flags == -1))
                    p = cls_pred[b][:, cand]  # (classes, candidates)
                    mx = p.max(axis=0)
                    prob = np.exp(p[0] - mx) / np.exp(p - mx).sum(axis=0)
                    if len(cand) < nneg:
                        raise MinigluonError(f"MultiBoxTarget: {len(cand)} negative "
                                             f"candidates for {nneg} negatives")
                    order = np.argsort(prob, kind="stable")  # least background first
                    flags[cand[order[:nneg]]] = 0
            else:
                flags[flags != 1] = 0
            pos = np.flatnonzero(flags == 1)
            g = gt[match_gt[pos]]
            cls_t[b, pos] = g[:, 0] + dt(1)
            loc_m[b, pos] = 1
            loc_t[b, pos] = self._encode(anchors[pos], g[:, 1:5], anchor.dtype)
            neg = flags == 0
            cls_t[b, neg] = 0
        y = np.concatenate([loc_t.reshape(nb, -1), loc_m.reshape(nb, -1), cls_t], axis=1)
        return y, ()

    @staticmethod
    def _overlaps(a: np.ndarray, g: np.ndarray) -> np.ndarray:
        aa, gg = a[:, None, :], g[None, :, :]
        zero = np.zeros((), a.dtype)
        inter = np.maximum(zero, np.minimum(aa[..., 2], gg[..., 2]) -
                           np.maximum(aa[..., 0], gg[..., 0])) * \
            np.maximum(zero, np.minimum(aa[..., 3], gg[..., 3]) -
                       np.maximum(aa[..., 1], gg[..., 1]))
        union = (aa[..., 2] - aa[..., 0]) * (aa[..., 3] - aa[..., 1]) + \
            (gg[..., 2] - gg[..., 0]) * (gg[..., 3] - gg[..., 1]) - inter
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(union == 0, zero, inter / np.where(union == 0, 1, union))

    def _encode(self, a: np.ndarray, g: np.ndarray, dtype: Any) -> np.ndarray:
        # MXNet computes these in float (float32), then stores them in the dtype
        f = np.float32
        a, g = a.astype(f), g.astype(f)
        aw, ah = a[:, 2] - a[:, 0], a[:, 3] - a[:, 1]
        ax, ay = (a[:, 0] + a[:, 2]) * f(0.5), (a[:, 1] + a[:, 3]) * f(0.5)
        gw, gh = g[:, 2] - g[:, 0], g[:, 3] - g[:, 1]
        gx, gy = (g[:, 0] + g[:, 2]) * f(0.5), (g[:, 1] + g[:, 3]) * f(0.5)
        v = [f(x) for x in self.variances]
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.stack([(gx - ax) / aw / v[0], (gy - ay) / ah / v[1],
                          np.log(gw / aw) / v[2], np.log(gh / ah) / v[3]], axis=-1)
        return t.astype(dtype)

    def vjp(self, res, g):
        return None, None, None

    @classmethod
    def samples(cls, rng):
        anchors = np.array([[[0.0, 0.0, 0.5, 0.5], [0.4, 0.4, 0.9, 0.9],
                             [0.1, 0.1, 0.6, 0.6], [0.5, 0.0, 1.0, 0.5]]])
        labels = np.array([[[0, 0.05, 0.05, 0.5, 0.55], [1, 0.45, 0.4, 0.95, 0.9],
                            [-1, -1, -1, -1, -1]]])
        return [(cls(), [anchors, labels, rng.normal(size=(1, 3, 4))])]


# ---- MultiBoxDetection ------------------------------------------------------------------


@register_op
@frozen_op
class MultiBoxDetection(Op):
    """y = (class, score, xmin, ymin, xmax, ymax) per anchor, after NMS.   VJP: none

    Each anchor's class is its most probable non-background class (background if below
    ``threshold``); its box is the anchor moved by the predicted offsets (the inverse of
    MultiBoxTarget's encoding), clipped to [0, 1] with ``clip``. Foreground rows are sorted
    by score; of the first ``nms_topk``, a box whose IoU with a kept higher-scoring box
    (same class unless ``force_suppress``) is at least ``nms_threshold`` gets class -1.
    """

    name = "_contrib_MultiBoxDetection"
    inputs = ("cls_prob", "loc_pred", "anchor")
    clip: bool = True
    threshold: float = 0.01
    background_id: int = 0
    nms_threshold: float = 0.5
    force_suppress: bool = False
    variances: tuple[float, ...] = attrs.field(default=(0.1, 0.1, 0.2, 0.2),
                                               converter=_floats)
    nms_topk: int = -1

    def forward(self, cls_prob, loc_pred, anchor):
        if cls_prob.ndim != 3:
            raise MinigluonError(f"MultiBoxDetection: cls_prob has shape {cls_prob.shape}; "
                                 "expected (batch, num_classes, num_anchors)")
        nb, nc, na = cls_prob.shape
        if loc_pred.shape != (nb, na * 4) or anchor.size != na * 4:
            raise MinigluonError(f"MultiBoxDetection: loc_pred {loc_pred.shape} and anchor "
                                 f"{anchor.shape} do not match cls_prob {cls_prob.shape}: "
                                 f"expected ({nb}, {na * 4}) and (1, {na}, 4)")
        if len(self.variances) != 4:
            raise MinigluonError(f"MultiBoxDetection: variances={self.variances} must have "
                                 "4 values")
        dt = cls_prob.dtype.type
        out = np.full((nb, na, 6), -1, dtype=cls_prob.dtype)
        boxes = self._decode(anchor.reshape(na, 4), loc_pred.reshape(nb, na, 4), dt)
        for b in range(nb):
            fg = cls_prob[b, 1:]  # (C-1, A)
            if nc > 1:
                cid = np.argmax(fg, axis=0)  # first maximum, as MXNet's strict '>'
                score = fg[cid, np.arange(na)]
                # MXNet starts the running maximum at -1: scores at or below it stay id 0
                cid = np.where(score > dt(-1), cid + 1, 0)
                score = np.where(score > dt(-1), score, dt(-1))
            else:
                cid, score = np.zeros(na, np.int64), np.full(na, dt(-1))
            cid = np.where((cid > 0) & (score < dt(self.threshold)), 0, cid)
            valid = np.flatnonzero(cid > 0)
            nvalid = len(valid)
            rows = np.concatenate([(cid[valid] - 1).astype(cls_prob.dtype)[:, None],
                                   score[valid, None], boxes[b, valid]], axis=1)
            out[b, :nvalid] = rows
            if nvalid < 1 or self.nms_threshold <= 0 or self.nms_threshold > 1:
                continue
            order = np.argsort(-rows[:, 1], kind="stable")
            nkeep = nvalid if not 0 < self.nms_topk < nvalid else self.nms_topk
            out[b, nkeep:nvalid, 0] = -1
            out[b, :nkeep] = rows[order[:nkeep]]
            kept = out[b, :nkeep]
            for i in range(nkeep):
                if kept[i, 0] < 0:
                    continue
                rest = np.arange(i + 1, nkeep)
                rest = rest[kept[rest, 0] >= 0]
                if not self.force_suppress:
                    rest = rest[kept[rest, 0] == kept[i, 0]]
                if not len(rest):
                    continue
                iou = self._iou(kept[i, 2:], kept[rest, 2:], dt)
                kept[rest[iou >= dt(self.nms_threshold)], 0] = -1
        return out, ()

    def _decode(self, a: np.ndarray, p: np.ndarray, dt: Any) -> np.ndarray:
        v = [dt(np.float32(x)) for x in self.variances]
        aw, ah = a[:, 2] - a[:, 0], a[:, 3] - a[:, 1]
        ax, ay = (a[:, 0] + a[:, 2]) / dt(2), (a[:, 1] + a[:, 3]) / dt(2)
        ox = p[..., 0] * v[0] * aw + ax
        oy = p[..., 1] * v[1] * ah + ay
        ow = np.exp(p[..., 2] * v[2]) * aw / dt(2)
        oh = np.exp(p[..., 3] * v[3]) * ah / dt(2)
        box = np.stack([ox - ow, oy - oh, ox + ow, oy + oh], axis=-1)
        return np.clip(box, dt(0), dt(1)) if self.clip else box

    @staticmethod
    def _iou(a: np.ndarray, b: np.ndarray, dt: Any) -> np.ndarray:
        w = np.maximum(dt(0), np.minimum(a[2], b[:, 2]) - np.maximum(a[0], b[:, 0]))
        h = np.maximum(dt(0), np.minimum(a[3], b[:, 3]) - np.maximum(a[1], b[:, 1]))
        i = w * h
        u = (a[2] - a[0]) * (a[3] - a[1]) + (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1]) - i
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(u <= 0, dt(0), i / np.where(u <= 0, 1, u))

    def vjp(self, res, g):
        return None, None, None

    @classmethod
    def samples(cls, rng):
        anchors = np.array([[[0.1, 0.1, 0.5, 0.5], [0.12, 0.1, 0.52, 0.5],
                             [0.5, 0.5, 0.9, 0.9]]])
        prob = np.array([[[0.1, 0.2, 0.3], [0.8, 0.7, 0.1], [0.1, 0.1, 0.6]]])
        return [(cls(), [prob, rng.normal(size=(1, 12)) * 0.1, anchors])]


# ---- ROI pooling ------------------------------------------------------------------------


def _check_rois(name: str, x: np.ndarray, rois: np.ndarray) -> None:
    if x.ndim != 4:
        raise MinigluonError(f"{name}: data has shape {x.shape}; it must be 4-D (batch, "
                             "channel, height, width)")
    if rois.ndim != 2 or rois.shape[1] != 5:
        raise MinigluonError(f"{name}: rois has shape {rois.shape}; expected (num_rois, 5) "
                             "rows of [batch_index, x1, y1, x2, y2]")


@register_op
@frozen_op
class ROIPooling(Op):
    """y[r, c, i, j] = max of x[b_r, c] over bin (i, j) of r.   VJP: dx[argmax of bin] += g

    A region [batch_index, x1, y1, x2, y2] is scaled by ``spatial_scale`` and rounded to
    whole pixels (ends included), then cut into ``pooled_size`` bins (floor of each start,
    ceil of each end). Empty bins give 0.
    """

    name = "ROIPooling"
    inputs = ("data", "rois")
    pooled_size: tuple[int, int] = attrs.field(default=(1, 1), converter=_pair)
    spatial_scale: float = 1.0

    def forward(self, x, rois):
        _check_rois("ROIPooling", x, rois)
        nb, c, h, w = x.shape
        ph, pw = self.pooled_size
        dt = x.dtype.type
        y = np.zeros((rois.shape[0], c, ph, pw), x.dtype)
        arg = np.full((rois.shape[0], ph, pw, c), -1, np.int64)  # flat index into x
        scale = dt(np.float32(self.spatial_scale))
        for r, roi in enumerate(rois):
            bi = int(roi[0])
            # std::round: halves away from zero
            x1, y1, x2, y2 = (int(np.sign(v) * np.floor(abs(v) + 0.5))
                              for v in roi[1:5] * scale)
            rh, rw = max(y2 - y1 + 1, 1), max(x2 - x1 + 1, 1)
            bh, bw = dt(rh) / dt(ph), dt(rw) / dt(pw)
            if not 0 <= bi < nb:
                continue
            for i in range(ph):
                hs = min(max(int(np.floor(dt(i) * bh)) + y1, 0), h)
                he = min(max(int(np.ceil(dt(i + 1) * bh)) + y1, 0), h)
                for j in range(pw):
                    ws = min(max(int(np.floor(dt(j) * bw)) + x1, 0), w)
                    we = min(max(int(np.ceil(dt(j + 1) * bw)) + x1, 0), w)
                    if he <= hs or we <= ws:
                        continue
                    patch = x[bi, :, hs:he, ws:we].reshape(c, -1)
                    k = np.argmax(patch, axis=1)  # the first maximum, as MXNet's strict '>'
                    y[r, :, i, j] = patch[np.arange(c), k]
                    kh, kw = np.divmod(k, we - ws)
                    arg[r, i, j] = ((bi * c + np.arange(c)) * h + hs + kh) * w + ws + kw
        return y, (arg, x.shape)

    def vjp(self, res, g):
        arg, shape = res
        dx = np.zeros(int(np.prod(shape)), dtype=g.dtype)
        idx = arg.transpose(0, 3, 1, 2).reshape(-1)
        ok = idx >= 0
        np.add.at(dx, idx[ok], g.reshape(-1)[ok])
        return dx.reshape(shape), None

    @classmethod
    def samples(cls, rng):
        x = rng.permutation(2 * 2 * 6 * 7).reshape(2, 2, 6, 7) / 10.0  # no ties
        rois = np.array([[0, 0, 0, 4, 3], [1, 1.6, 2.2, 6.9, 5.4], [0, 2, 2, 2, 2]])
        return [(cls(pooled_size=(2, 3), spatial_scale=1.0), [x, rois]),
                (cls(pooled_size=2, spatial_scale=0.5), [x, rois * [1, 2, 2, 2, 2]])]


@register_op
@frozen_op
class ROIAlign(Op):
    """y[r, c, i, j] = mean of bilinear samples in bin (i, j).   VJP: dx += g * weight / count

    A region is scaled by ``spatial_scale`` (minus 0.5 with ``aligned``); each bin is
    sampled at ``sample_ratio`` x ``sample_ratio`` points (or ceil(bin size) when -1).
    ``position_sensitive`` reads channel ``c * ph * pw + i * pw + j`` for output channel c.
    """

    name = "_contrib_ROIAlign"
    inputs = ("data", "rois")
    pooled_size: tuple[int, int] = attrs.field(default=(1, 1), converter=_pair)
    spatial_scale: float = 1.0
    sample_ratio: int = -1
    position_sensitive: bool = False
    aligned: bool = False

    def _plan(self, x: np.ndarray, roi: np.ndarray):
        """Flat pixel indices (PH, PW, n, 4) and weights of the samples of one region."""
        h, w = x.shape[2:]
        ph, pw = self.pooled_size
        dt = x.dtype.type
        off = dt(0.5) if self.aligned else dt(0)
        scale = dt(np.float32(self.spatial_scale))
        sw, sh, ew, eh = (roi[1:5] * scale - off)
        rw, rh = ew - sw, eh - sh
        if self.aligned:
            if not (rw > 0 and rh > 0):
                raise MinigluonError(f"ROIAlign: region {roi.tolist()} has no area")
        else:
            rw, rh = max(rw, dt(1)), max(rh, dt(1))
        bh, bw = rh / dt(ph), rw / dt(pw)
        gh = self.sample_ratio if self.sample_ratio > 0 else int(np.ceil(rh / dt(ph)))
        gw = self.sample_ratio if self.sample_ratio > 0 else int(np.ceil(rw / dt(pw)))
        count = dt(gh * gw)
        yy = sh + np.arange(ph, dtype=x.dtype)[:, None] * bh + \
            (np.arange(gh, dtype=x.dtype) + dt(0.5)) * bh / dt(gh)  # (PH, gh)
        xx = sw + np.arange(pw, dtype=x.dtype)[:, None] * bw + \
            (np.arange(gw, dtype=x.dtype) + dt(0.5)) * bw / dt(gw)  # (PW, gw)

        def axis(v, n):
            out = (v < -1.0) | (v > n)
            v = np.where(v <= 0, dt(0), v)
            lo = v.astype(np.int64)
            edge = lo >= n - 1
            lo = np.where(edge, n - 1, lo)
            hi = np.where(edge, n - 1, lo + 1)
            v = np.where(edge, lo.astype(x.dtype), v)
            lf = v - lo
            return lo, hi, lf, dt(1) - lf, out

        ylo, yhi, ly, hy, yout = axis(yy, h)
        xlo, xhi, lx, hx, xout = axis(xx, w)
        e = (slice(None), None, slice(None), None)  # (PH, gh) -> (PH, 1, gh, 1)
        f = (None, slice(None), None, slice(None))  # (PW, gw) -> (1, PW, 1, gw)
        idx = np.stack([ylo[e] * w + xlo[f], ylo[e] * w + xhi[f], yhi[e] * w + xlo[f],
                        yhi[e] * w + xhi[f]], axis=-1)
        wts = np.stack([hy[e] * hx[f], hy[e] * lx[f], ly[e] * hx[f], ly[e] * lx[f]], axis=-1)
        wts = np.where((yout[e] | xout[f])[..., None], dt(0), wts)
        shape = (ph, pw, gh * gw * 4)
        idx, wts = idx.reshape(shape), wts.reshape(shape)
        return idx, wts, count

    def forward(self, x, rois):
        if rois.ndim != 2 or rois.shape[1] not in (4, 5):
            raise MinigluonError(f"ROIAlign: rois has shape {rois.shape}; expected "
                                 "(num_rois, 5) rows of [batch_index, x1, y1, x2, y2]")
        if x.ndim != 4:
            raise MinigluonError(f"ROIAlign: data has shape {x.shape}; it must be 4-D")
        if rois.shape[1] == 4:
            rois = np.concatenate([np.zeros((len(rois), 1), rois.dtype), rois], axis=1)
        nb, c, h, w = x.shape
        ph, pw = self.pooled_size
        co = c // (ph * pw) if self.position_sensitive else c
        if self.position_sensitive and c % (ph * pw):
            raise MinigluonError(f"ROIAlign position_sensitive: {c} channels are not a "
                                 f"multiple of pooled_size {ph}x{pw}")
        y = np.zeros((len(rois), co, ph, pw), x.dtype)
        plans = []
        for r, roi in enumerate(rois):
            bi = int(roi[0])
            if bi < 0:
                plans.append(None)
                continue
            idx, wts, count = self._plan(x, roi)
            plans.append((bi, idx, wts, count))
            flat = x[bi].reshape(c, -1)
            vals = (flat[:, idx] * wts).sum(axis=-1) / count  # (C, PH, PW)
            if self.position_sensitive:
                vals = vals.reshape(co, ph, pw, ph, pw)
                vals = vals[:, np.arange(ph)[:, None], np.arange(pw), np.arange(ph)[:, None],
                            np.arange(pw)]
            y[r] = vals
        return y, (plans, x.shape)

    def vjp(self, res, g):
        plans, shape = res
        nb, c, h, w = shape
        ph, pw = self.pooled_size
        dx = np.zeros((nb, c, h * w), dtype=g.dtype)
        for r, plan in enumerate(plans):
            if plan is None:
                continue
            bi, idx, wts, count = plan
            gr = g[r]  # (CO, PH, PW)
            if self.position_sensitive:
                full = np.zeros((gr.shape[0], ph, pw, ph, pw), g.dtype)
                full[:, np.arange(ph)[:, None], np.arange(pw), np.arange(ph)[:, None],
                     np.arange(pw)] = gr
                gr = full.reshape(c, ph, pw)
            contrib = gr[..., None] * wts / count  # (C, PH, PW, n)
            np.add.at(dx[bi], (slice(None), idx), contrib)
        return dx.reshape(shape), None

    @classmethod
    def samples(cls, rng):
        x = rng.normal(size=(2, 4, 5, 6))
        rois = np.array([[0, 0.3, 0.2, 3.7, 4.1], [1, 1.2, 0.6, 5.5, 3.3],
                         [0, -0.5, 3.0, 2.0, 5.4]])
        return [(cls(pooled_size=(2, 2), spatial_scale=1.0, sample_ratio=2), [x, rois]),
                (cls(pooled_size=(2, 3), spatial_scale=0.5), [x, rois * [1, 2, 2, 2, 2]]),
                (cls(pooled_size=(1, 2), aligned=True, sample_ratio=1), [x, rois]),
                (cls(pooled_size=(2, 1), position_sensitive=True, sample_ratio=2),
                 [x, rois])]
