"""Non-max suppression kernels: NonMaxSuppressionV3/V4/V5, ...WithOverlaps and CombinedNonMaxSuppression.

Mirrors ``tensorflow/core/kernels/image/non_max_suppression_op.cc``. Candidates are visited in
TensorFlow's order (score descending, lower index first on ties; soft NMS re-queues decayed
candidates); IoU uses TensorFlow's float32 formula and the comparison happens in the op's type T.
Hard NMS suppresses with one vectorized IoU row per selected box; soft NMS (and the rare NaN-IoU case)
replays TensorFlow's priority-queue loop exactly. CombinedNonMaxSuppression's per-class queue and its
final ``std::sort`` are not stable in TensorFlow; where scores tie, ``_stl`` replays libstdc++'s
heap and introsort so that tied boxes come out in TensorFlow's order. Imported by ``image_ops``.
"""

from __future__ import annotations

import heapq

import numpy as np

from savedmodel.errors import InvalidArgumentError
from savedmodel.ops import _stl
from savedmodel.ops.registry import register_op

f32 = np.float32


class _Boxes:
    """Corner-normalized float32 boxes and their areas, for TensorFlow's IOU()."""

    def __init__(self, boxes: np.ndarray) -> None:
        b = boxes.astype(f32, copy=False).reshape(-1, 4)
        self.ymin, self.ymax = np.minimum(b[:, 0], b[:, 2]), np.maximum(b[:, 0], b[:, 2])
        self.xmin, self.xmax = np.minimum(b[:, 1], b[:, 3]), np.maximum(b[:, 1], b[:, 3])
        self.area = (self.ymax - self.ymin) * (self.xmax - self.xmin)

    def similarity(self, candidates, selected) -> np.ndarray:
        """IoU of boxes ``candidates`` and ``selected`` (broadcast; 0 where an area is not positive)."""
        h = np.maximum(np.minimum(self.ymax[candidates], self.ymax[selected])
                       - np.maximum(self.ymin[candidates], self.ymin[selected]), f32(0))
        w = np.maximum(np.minimum(self.xmax[candidates], self.xmax[selected])
                       - np.maximum(self.xmin[candidates], self.xmin[selected]), f32(0))
        inter = h * w
        area_c, area_s = self.area[candidates], self.area[selected]
        with np.errstate(divide="ignore", invalid="ignore"):
            iou = inter / (area_c + area_s - inter)
        return np.where((area_c <= 0) | (area_s <= 0), f32(0), iou)


class _Overlaps:
    """A precomputed overlap matrix in place of IoU (NonMaxSuppressionWithOverlaps)."""

    def __init__(self, overlaps: np.ndarray) -> None:
        self.overlaps = overlaps.astype(f32, copy=False)

    def similarity(self, candidates, selected) -> np.ndarray:
        return self.overlaps[candidates, selected]


def _scalar(ctx, value, name: str, dtype) -> np.generic:
    value = np.asarray(value)
    if value.ndim != 0:
        raise InvalidArgumentError(f"{ctx.where}: {name} must be 0-D, got shape {list(value.shape)}.")
    return dtype.type(value)


def _check_boxes_scores(ctx, boxes: np.ndarray, scores: np.ndarray) -> None:
    if boxes.ndim != 2 or boxes.shape[1] != 4:
        raise InvalidArgumentError(f"{ctx.where}: boxes must be 2-D with 4 columns, got shape "
                                   f"{list(boxes.shape)}.")
    _check_scores(ctx, scores, boxes.shape[0])


def _check_scores(ctx, scores: np.ndarray, num_boxes: int) -> None:
    if scores.ndim != 1 or scores.shape[0] != num_boxes:
        raise InvalidArgumentError(
            f"{ctx.where}: scores must be 1-D with one score per box ({num_boxes}), "
            f"got shape {list(scores.shape)}.")


def _greedy_hard(similarity, scores, threshold, score_threshold, max_out: int):
    """Hard NMS in TensorFlow's visiting order; None when an IoU is not finite (replay exactly)."""
    candidates = np.flatnonzero(scores > score_threshold)
    order = candidates[np.lexsort((candidates, -scores[candidates].astype(np.float64)))]
    alive = np.ones(len(order), bool)
    selected: list[int] = []
    start = 0
    while len(selected) < max_out:
        rest = np.flatnonzero(alive[start:])
        if not len(rest):
            break
        pos = start + int(rest[0])
        box = int(order[pos])
        selected.append(box)
        start = pos + 1
        sims = similarity.similarity(order[start:], box)
        if not np.all(np.isfinite(sims)):
            return None
        alive[start:] &= ~(sims.astype(scores.dtype) > threshold)
    return selected, [scores[i] for i in selected]


def _replay(similarity, scores, threshold, score_threshold, sigma, max_out: int):
    """TensorFlow's DoNonMaxSuppressionOp loop, candidate by candidate (soft NMS and edge cases)."""
    t = scores.dtype.type
    soft = sigma > 0
    scale = t(-0.5) / sigma if soft else t(0)
    queue = [(-float(s), i, 0, s) for i, s in enumerate(scores) if s > score_threshold]
    heapq.heapify(queue)
    selected: list[int] = []
    kept: list = []
    with np.errstate(all="ignore"):
        while len(selected) < max_out and queue:
            _, box, begin, score = heapq.heappop(queue)
            original, hard = score, False
            if begin < len(selected):
                sims = similarity.similarity(box, np.array(selected[begin:][::-1])).astype(scores.dtype)
                for sim in sims:
                    weight = t(np.exp(np.float64(scale * sim * sim)))
                    score = t(score * (weight if soft or sim <= threshold else t(0)))
                    if not soft and sim > threshold:
                        hard = True
                        break
                    if score <= score_threshold:
                        break
            if hard:
                continue
            if score == original:
                selected.append(box)
                kept.append(score)
            elif score > score_threshold:
                heapq.heappush(queue, (-float(score), box, len(selected), score))
    return selected, kept


def _suppress(ctx, similarity, scores, max_output_size, threshold, score_threshold, sigma, pad: bool):
    """(indices int32, scores T, valid count) of TensorFlow's NMS."""
    out_size = int(_scalar(ctx, max_output_size, "max_output_size", np.dtype(np.int32)))
    if out_size < 0:
        raise InvalidArgumentError(f"{ctx.where}: output size must be non-negative, got {out_size}.")
    result = None
    if not sigma > 0:
        result = _greedy_hard(similarity, scores, threshold, score_threshold, out_size)
    if result is None:
        result = _replay(similarity, scores, threshold, score_threshold, sigma, out_size)
    selected, kept = result
    valid = len(selected)
    if pad:
        selected = selected + [0] * (out_size - valid)
        kept = kept + [0] * (out_size - valid)
    return (np.array(selected, np.int32), np.array(kept, scores.dtype).reshape(-1),
            np.array(valid, np.int32))


def _thresholds(ctx, dtype, iou_threshold, score_threshold, sigma=None):
    iou = _scalar(ctx, iou_threshold, "iou_threshold", dtype)
    if not (iou >= 0 and iou <= 1):
        raise InvalidArgumentError(f"{ctx.where}: iou_threshold must be in [0, 1], got {iou}.")
    score = _scalar(ctx, score_threshold, "score_threshold", dtype)
    if sigma is None:
        return iou, score, dtype.type(0)
    sigma = _scalar(ctx, sigma, "soft_nms_sigma", dtype)
    if not sigma >= 0:
        raise InvalidArgumentError(f"{ctx.where}: soft_nms_sigma_val must be >= 0, got {sigma}.")
    return iou, score, sigma


_NMS_INPUTS = ["boxes: T", "scores: T", "max_output_size: int32", "iou_threshold: T_threshold",
               "score_threshold: T_threshold"]
_NMS_ATTRS = ["T: type {half, float} = DT_FLOAT", "T_threshold: type {half, float} = DT_FLOAT"]


@register_op("NonMaxSuppressionV3", inputs=_NMS_INPUTS, outputs=["selected_indices: int32"],
             attrs=_NMS_ATTRS)
def _nms_v3(ctx, boxes, scores, max_output_size, iou_threshold, score_threshold, **_):
    _check_boxes_scores(ctx, boxes, scores)
    iou, score, sigma = _thresholds(ctx, scores.dtype, iou_threshold, score_threshold)
    return (_suppress(ctx, _Boxes(boxes), scores, max_output_size, iou, score, sigma, False)[0],)


@register_op("NonMaxSuppressionV4", inputs=_NMS_INPUTS,
             outputs=["selected_indices: int32", "valid_outputs: int32"],
             attrs=[*_NMS_ATTRS, "pad_to_max_output_size: bool = false"])
def _nms_v4(ctx, boxes, scores, max_output_size, iou_threshold, score_threshold, *,
            pad_to_max_output_size, **_):
    _check_boxes_scores(ctx, boxes, scores)
    iou, score, sigma = _thresholds(ctx, scores.dtype, iou_threshold, score_threshold)
    indices, _kept, valid = _suppress(ctx, _Boxes(boxes), scores, max_output_size, iou, score, sigma,
                                      pad_to_max_output_size)
    return indices, valid


@register_op("NonMaxSuppressionV5",
             inputs=["boxes: T", "scores: T", "max_output_size: int32", "iou_threshold: T",
                     "score_threshold: T", "soft_nms_sigma: T"],
             outputs=["selected_indices: int32", "selected_scores: T", "valid_outputs: int32"],
             attrs=["T: type {half, float} = DT_FLOAT", "pad_to_max_output_size: bool = false"])
def _nms_v5(ctx, boxes, scores, max_output_size, iou_threshold, score_threshold, soft_nms_sigma, *,
            pad_to_max_output_size, **_):
    _check_boxes_scores(ctx, boxes, scores)
    iou, score, sigma = _thresholds(ctx, scores.dtype, iou_threshold, score_threshold, soft_nms_sigma)
    return _suppress(ctx, _Boxes(boxes), scores, max_output_size, iou, score, sigma,
                     pad_to_max_output_size)


@register_op("NonMaxSuppressionWithOverlaps",
             inputs=["overlaps: float", "scores: float", "max_output_size: int32",
                     "overlap_threshold: float", "score_threshold: float"],
             outputs=["selected_indices: int32"])
def _nms_with_overlaps(ctx, overlaps, scores, max_output_size, overlap_threshold, score_threshold, **_):
    if overlaps.ndim != 2 or overlaps.shape[0] != overlaps.shape[1]:
        raise InvalidArgumentError(f"{ctx.where}: overlaps must be a square 2-D matrix, got shape "
                                   f"{list(overlaps.shape)}.")
    _check_scores(ctx, scores, overlaps.shape[0])
    threshold = _scalar(ctx, overlap_threshold, "overlap_threshold", scores.dtype)
    score = _scalar(ctx, score_threshold, "score_threshold", scores.dtype)
    return (_suppress(ctx, _Overlaps(overlaps), scores, max_output_size, threshold, score, f32(0),
                      False)[0],)


def _class_selection(boxes: _Boxes, scores: np.ndarray, threshold: float, score_threshold: float,
                     limit: int) -> list[int]:
    """One class of CombinedNonMaxSuppression: greedy NMS in TensorFlow's priority-queue order."""
    candidates = np.flatnonzero(scores > score_threshold)
    if not len(candidates):
        return []
    values = scores[candidates]
    if len(np.unique(values)) == len(values):
        order = candidates[np.argsort(-values, kind="stable")]
    else:
        order = candidates[_stl.priority_queue_order(values.tolist())]
    alive = np.ones(len(order), bool)
    selected: list[int] = []
    for pos in range(len(order)):
        if len(selected) >= limit:
            break
        if not alive[pos]:
            continue
        selected.append(int(order[pos]))
        alive[pos + 1:] &= ~(boxes.similarity(order[pos + 1:], int(order[pos])) > threshold)
    return selected


def _combined_checks(ctx, boxes, scores, max_per_class, max_total, iou_threshold, score_threshold):
    if boxes.ndim != 4 or scores.ndim != 3:
        raise InvalidArgumentError(
            f"{ctx.where}: boxes must be 4-D [batch, num_boxes, q, 4] and scores 3-D "
            f"[batch, num_boxes, num_classes], got shapes {list(boxes.shape)} and "
            f"{list(scores.shape)}.")
    if boxes.shape[2] not in (1, scores.shape[2]) or boxes.shape[3] != 4:
        raise InvalidArgumentError(
            f"{ctx.where}: third dimension of boxes must be either 1 or num classes, "
            f"and the last 4, got boxes shape {list(boxes.shape)}.")
    if scores.shape[1] != boxes.shape[1] or scores.shape[0] != boxes.shape[0]:
        raise InvalidArgumentError(
            f"{ctx.where}: scores has incompatible shape {list(scores.shape)} for boxes "
            f"{list(boxes.shape)}.")
    per_class = int(_scalar(ctx, max_per_class, "max_size_per_class", np.dtype(np.int32)))
    total = int(_scalar(ctx, max_total, "max_total_size", np.dtype(np.int32)))
    if per_class <= 0 or total <= 0:
        raise InvalidArgumentError(
            f"{ctx.where}: max_size_per_class and max_total_size must be positive, "
            f"got {per_class} and {total}.")
    iou = _scalar(ctx, iou_threshold, "iou_threshold", np.dtype(f32))
    if not (iou >= 0 and iou <= 1):
        raise InvalidArgumentError(f"{ctx.where}: iou_threshold must be in [0, 1], got {iou}.")
    return per_class, total, iou, _scalar(ctx, score_threshold, "score_threshold", np.dtype(f32))


@register_op("CombinedNonMaxSuppression",
             inputs=["boxes: float", "scores: float", "max_output_size_per_class: int32",
                     "max_total_size: int32", "iou_threshold: float", "score_threshold: float"],
             outputs=["nmsed_boxes: float", "nmsed_scores: float", "nmsed_classes: float",
                      "valid_detections: int32"],
             attrs=["pad_per_class: bool = false", "clip_boxes: bool = true"])
def _combined_nms(ctx, boxes, scores, max_output_size_per_class, max_total_size, iou_threshold,
                  score_threshold, *, pad_per_class, clip_boxes, **_):
    per_class, total, iou, score_thr = _combined_checks(ctx, boxes, scores, max_output_size_per_class,
                                                        max_total_size, iou_threshold, score_threshold)
    batch, num_boxes, q, _four = boxes.shape
    classes = scores.shape[2]
    size_per_class = min(per_class, num_boxes)
    per_batch = min(total, per_class * classes) if pad_per_class else total
    out_boxes = np.zeros((batch, per_batch, 4), f32)
    out_scores = np.zeros((batch, per_batch), f32)
    out_classes = np.zeros((batch, per_batch), f32)
    valid = np.zeros(batch, np.int32)
    for b in range(batch):
        entries = []  # (score, class, box) in result_candidate_vec order
        for c in range(classes):
            class_boxes = _Boxes(boxes[b, :, c if q > 1 else 0])
            chosen = _class_selection(class_boxes, scores[b, :, c], iou, score_thr, size_per_class)
            entries += [(scores[b, i, c], c, boxes[b, i, c if q > 1 else 0]) for i in chosen]
            entries += [None] * (size_per_class - len(chosen))
        ranked = _rank_results(entries)
        count = min(len(ranked), total if not pad_per_class else per_batch)
        valid[b] = count
        for k, (score, c, box) in enumerate(ranked[:count]):
            out_boxes[b, k] = np.clip(box, 0, 1) if clip_boxes else box
            out_scores[b, k], out_classes[b, k] = score, c
    return out_boxes, out_scores, out_classes, valid


def _rank_results(entries: list) -> list:
    """Valid entries sorted by score like TensorFlow's std::sort over result_candidate_vec."""
    real = [e for e in entries if e is not None]
    values = [float(e[0]) for e in real]
    if len(set(values)) == len(values):
        return sorted(real, key=lambda e: -float(e[0]))
    keys = [float(e[0]) if e is not None else -np.inf for e in entries]
    return [entries[i] for i in _stl.sort_order(keys, descending=True) if entries[i] is not None]
