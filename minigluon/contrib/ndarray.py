"""``mx.contrib.nd`` (``mx.contrib.ndarray``): MXNet's contributed operators for object
detection (anchor boxes, their training targets, non-maximum suppression, box overlaps,
ROIAlign). The operators themselves live in :mod:`minigluon.ops.detection`.

Examples
--------
>>> from minigluon import nd, contrib
>>> anchors = contrib.nd.MultiBoxPrior(nd.zeros((1, 3, 2, 2)), sizes=[0.5], ratios=[1, 2])
>>> anchors.shape
(1, 8, 4)
>>> anchors[0, 0]
<BLANKLINE>
[0.  0.  0.5 0.5]
<NDArray 4 @cpu(0)>
"""

from __future__ import annotations

from typing import Any

from ..ndarray import NDArray
from ..ndarray.ctc import CTCLoss, ctc_loss  # noqa: F401 (MXNet's contrib name of nd.CTCLoss)
from ..ndarray.ndarray import as_ndarray, invoke
from ..ops import detection as _det

__all__ = ["MultiBoxPrior", "MultiBoxTarget", "MultiBoxDetection", "box_nms",
           "box_non_maximum_suppression", "box_iou", "ROIAlign", "CTCLoss", "ctc_loss"]


def _out(out: NDArray | None, res: NDArray) -> NDArray:
    if out is None:
        return res
    from ..ndarray import _write_out

    return _write_out(out, res)


def MultiBoxPrior(data: NDArray, sizes: Any = (1.0,), ratios: Any = (1.0,),
                  clip: bool = False, steps: Any = (-1.0, -1.0), offsets: Any = (0.5, 0.5),
                  out: NDArray | None = None, name: str | None = None) -> NDArray:
    """Anchor boxes centred on each pixel of ``data`` (N, C, H, W), as fractions of the
    image: shape (1, H * W * (len(sizes) + len(ratios) - 1), 4).

    For each pixel: one box per size with ``ratios[0]``, then one box per further ratio
    with ``sizes[0]``. ``steps`` (y, x) and ``offsets`` (y, x) place the centres at
    ``(i + offset) * step`` (step -1: 1 / H and 1 / W); ``clip`` clamps to [0, 1].
    """
    op = _det.MultiBoxPrior(sizes=sizes, ratios=ratios, clip=bool(clip), steps=steps,
                            offsets=offsets)
    return _out(out, invoke(op, [data]))


def MultiBoxTarget(anchor: NDArray, label: NDArray, cls_pred: NDArray,
                   overlap_threshold: float = 0.5, ignore_label: float = -1.0,
                   negative_mining_ratio: float = -1.0, negative_mining_thresh: float = 0.5,
                   minimum_negative_samples: int = 0,
                   variances: Any = (0.1, 0.1, 0.2, 0.2), out: Any = None,
                   name: str | None = None) -> list[NDArray]:
    """Training targets for anchors (1, A, 4) given labels (B, M, 5+) of rows (class,
    xmin, ymin, xmax, ymax) (class -1 ends a list) and class predictions (B, classes + 1,
    A): ``[loc_target (B, A*4), loc_mask (B, A*4), cls_target (B, A)]``.

    See :class:`minigluon.ops.detection.MultiBoxTarget` for the matching rules.
    ``minimum_negative_samples`` is accepted and, as in MXNet 1.9.1's CPU operator, not
    used.
    """
    op = _det.MultiBoxTarget(overlap_threshold=float(overlap_threshold),
                             ignore_label=float(ignore_label),
                             negative_mining_ratio=float(negative_mining_ratio),
                             negative_mining_thresh=float(negative_mining_thresh),
                             minimum_negative_samples=int(minimum_negative_samples),
                             variances=variances)
    ref = anchor if isinstance(anchor, NDArray) else None
    y = invoke(op, [as_ndarray(a, ref) for a in (anchor, label, cls_pred)])
    na = anchor.shape[1]
    data = y.asnumpy()
    parts = [data[:, :4 * na], data[:, 4 * na:8 * na], data[:, 8 * na:]]
    res = [NDArray(p.copy()) for p in parts]
    if out is not None:
        outs = out if isinstance(out, (list, tuple)) else [out]
        for o, r in zip(outs, res):
            _out(o, r)
        return list(outs)
    return res


def MultiBoxDetection(cls_prob: NDArray, loc_pred: NDArray, anchor: NDArray,
                      clip: bool = True, threshold: float = 0.01, background_id: int = 0,
                      nms_threshold: float = 0.5, force_suppress: bool = False,
                      variances: Any = (0.1, 0.1, 0.2, 0.2), nms_topk: int = -1,
                      out: NDArray | None = None, name: str | None = None) -> NDArray:
    """Detections (B, A, 6) of rows (class, score, xmin, ymin, xmax, ymax) from class
    probabilities (B, classes + 1, A), offsets (B, A*4) and anchors (1, A, 4), after
    non-maximum suppression; suppressed and background rows have class -1.

    As in MXNet 1.9.1's CPU operator, class 0 is the background whatever
    ``background_id`` says.
    """
    op = _det.MultiBoxDetection(clip=bool(clip), threshold=float(threshold),
                                background_id=int(background_id),
                                nms_threshold=float(nms_threshold),
                                force_suppress=bool(force_suppress), variances=variances,
                                nms_topk=int(nms_topk))
    ref = cls_prob if isinstance(cls_prob, NDArray) else None
    return _out(out, invoke(op, [as_ndarray(a, ref) for a in (cls_prob, loc_pred, anchor)]))


def box_nms(data: NDArray, overlap_thresh: float = 0.5, valid_thresh: float = 0.0,
            topk: int = -1, coord_start: int = 2, score_index: int = 1, id_index: int = -1,
            background_id: int = -1, force_suppress: bool = False, in_format: str = "corner",
            out_format: str = "corner", out: NDArray | None = None,
            name: str | None = None) -> NDArray:
    """Non-maximum suppression over boxes ``data`` (..., N, width): the kept rows sorted by
    descending score, then rows of -1. Differentiable: each kept row's gradient goes back
    to the input row it came from."""
    op = _det.BoxNMS(overlap_thresh=float(overlap_thresh), valid_thresh=float(valid_thresh),
                     topk=int(topk), coord_start=int(coord_start),
                     score_index=int(score_index), id_index=int(id_index),
                     background_id=int(background_id), force_suppress=bool(force_suppress),
                     in_format=in_format, out_format=out_format)
    return _out(out, invoke(op, [data]))


box_non_maximum_suppression = box_nms


def box_iou(lhs: NDArray, rhs: NDArray, format: str = "corner", out: NDArray | None = None,
            name: str | None = None) -> NDArray:
    """Intersection over union of every box of ``lhs`` (..., 4) with every box of ``rhs``
    (..., 4): shape ``lhs.shape[:-1] + rhs.shape[:-1]``."""
    return _out(out, invoke(_det.BoxIoU(format=format), [lhs, as_ndarray(rhs, lhs)]))


def ROIAlign(data: NDArray, rois: NDArray, pooled_size: Any = None,
             spatial_scale: float = 1.0, sample_ratio: int = -1,
             position_sensitive: bool = False, aligned: bool = False,
             out: NDArray | None = None, name: str | None = None) -> NDArray:
    """Region-of-interest pooling by bilinear sampling (Mask R-CNN): ``rois`` (R, 5) rows
    of [batch_index, x1, y1, x2, y2] in input coordinates, scaled by ``spatial_scale``;
    output (R, C, *pooled_size)."""
    if pooled_size is None:
        raise TypeError("ROIAlign needs pooled_size=")
    op = _det.ROIAlign(pooled_size=pooled_size, spatial_scale=float(spatial_scale),
                       sample_ratio=int(sample_ratio),
                       position_sensitive=bool(position_sensitive), aligned=bool(aligned))
    return _out(out, invoke(op, [data, as_ndarray(rois, data)]))
