"""Reductions, arg-reductions, scans and top-k (from ``math_ops.cc`` and ``nn_ops.cc``).

CPU-kernel semantics (``reduction_ops*.h``, ``scan_ops.h``, ``topk_op.cc``, ``in_topk_op.cc``):
- axes may be a scalar or a tensor of any shape, negative axes count from the end, an axis out of
  range or repeated is an InvalidArgumentError; empty reductions give the reducer's identity (Max of
  nothing is -inf or the type's minimum; Mean of nothing is NaN for real floats, 0 otherwise);
- integers wrap; Mean of 8/16/32-bit integers sums in 64 bits, then divides truncating toward zero;
- Max/Min propagate NaN; ArgMax/ArgMin skip NaN (Eigen compares against the running best) and take
  the first index on ties;
- float16/bfloat16 reductions are accumulated in float32 and rounded once (Eigen's blocked 16-bit
  order cannot be reproduced; float32 is at least as accurate); scans accumulate sequentially in the
  element type, exactly like Eigen's;
- TopK sorts descending with ties broken by the lower index; InTopK counts strictly larger
  predictions and is False when the row holds a non-finite value or the target is out of range.
"""

from __future__ import annotations

from typing import Any

import ml_dtypes
import numpy as np

from savedmodel.errors import InvalidArgumentError
from savedmodel.ops._math_common import (
    FLOAT32,
    FLOATS,
    LOW_FLOATS,
    NUMBER,
    REAL_NUMBER,
    in_float32,
    scalar_int,
    widen,
)
from savedmodel.ops.registry import register_op

_IDX = "Tidx: type {int32, int64} = DT_INT32"
_FLOAT_KINDS = "fV"  # bfloat16 has kind "V"


def reduction_axes(ctx: Any, x: np.ndarray, indices: np.ndarray) -> tuple[int, ...]:
    """Validated, non-negative reduction axes (TensorFlow's ReductionHelper rules)."""
    rank = x.ndim
    axes: list[int] = []
    for axis in np.asarray(indices).reshape(-1).tolist():
        if not -rank <= axis < rank:
            raise InvalidArgumentError(
                f"{ctx.where}: Invalid reduction dimension ({axis} for input with {rank} "
                "dimension(s).")
        axis %= rank
        if axis in axes:
            raise InvalidArgumentError(
                f"{ctx.where}: Invalid reduction arguments: Axes contains duplicate dimension: "
                f"{axis}.")
        axes.append(axis)
    return tuple(axes)


def _is_real_float(dtype: np.dtype) -> bool:
    return dtype.kind in _FLOAT_KINDS


def _sum(x: np.ndarray, axes: tuple[int, ...], keep: bool) -> np.ndarray:
    if x.dtype in LOW_FLOATS:
        return np.sum(x, axis=axes, dtype=FLOAT32, keepdims=keep).astype(x.dtype)
    return np.sum(x, axis=axes, dtype=x.dtype, keepdims=keep)


def _prod(x: np.ndarray, axes: tuple[int, ...], keep: bool) -> np.ndarray:
    if x.dtype in LOW_FLOATS:
        return np.prod(x, axis=axes, dtype=FLOAT32, keepdims=keep).astype(x.dtype)
    return np.prod(x, axis=axes, dtype=x.dtype, keepdims=keep)


def _count(x: np.ndarray, axes: tuple[int, ...]) -> int:
    return int(np.prod([x.shape[a] for a in axes], dtype=np.int64))


def _mean(x: np.ndarray, axes: tuple[int, ...], keep: bool) -> np.ndarray:
    count = _count(x, axes)
    if x.dtype.kind in "iu":
        wide = np.uint64 if x.dtype.kind == "u" else np.int64
        total = np.sum(x, axis=axes, dtype=wide, keepdims=keep)
        if count == 0:
            return np.zeros(total.shape, x.dtype)
        quotient = total // wide(count)
        if x.dtype.kind == "i":  # C division truncates toward zero
            quotient = quotient + ((quotient * count != total) & (total < 0))
        return quotient.astype(x.dtype)
    if count == 0:
        fill = np.nan if _is_real_float(x.dtype) else 0
        return np.full(_sum(x, axes, keep).shape, fill, x.dtype)
    if x.dtype in LOW_FLOATS:
        total = np.sum(x, axis=axes, dtype=FLOAT32, keepdims=keep)
        return (total / np.float32(count)).astype(x.dtype)
    return np.sum(x, axis=axes, keepdims=keep) / np.asarray(count, x.dtype)


def _extreme(ufunc: np.ufunc, lowest: bool):
    def reduce(x: np.ndarray, axes: tuple[int, ...], keep: bool) -> np.ndarray:
        if x.dtype.kind in "iu":
            info = np.iinfo(x.dtype)
            initial = info.min if lowest else info.max
        else:
            initial = -np.inf if lowest else np.inf
        return ufunc.reduce(x, axis=axes, keepdims=keep, initial=initial)

    return reduce


def _euclidean_norm(x: np.ndarray, axes: tuple[int, ...], keep: bool) -> np.ndarray:
    if x.dtype in LOW_FLOATS:
        wide = x.astype(FLOAT32)
        return np.sqrt(np.sum(wide * wide, axis=axes, keepdims=keep)).astype(x.dtype)
    if x.dtype.kind == "c":
        return np.sqrt(np.sum(x * np.conj(x), axis=axes, keepdims=keep)).astype(x.dtype)
    squares = np.sum(x * x, axis=axes, dtype=x.dtype, keepdims=keep)
    if x.dtype.kind in "iu":  # std::sqrt on the integer sum, truncated back
        return np.sqrt(squares.astype(np.float64)).astype(x.dtype)
    return np.sqrt(squares)


def _reduction(name: str, reducer, types: str, value: str = "T") -> None:
    type_attr = [f"T: type {{{types}}}"] if value == "T" else []
    attrs = ["keep_dims: bool = false"] + type_attr + [_IDX]

    def kernel(ctx, x, indices, *, keep_dims, **_):
        return (np.asarray(reducer(x, reduction_axes(ctx, x, indices), keep_dims)),)

    register_op(name, inputs=[f"input: {value}", "reduction_indices: Tidx"],
                outputs=[f"output: {value}"], attrs=attrs)(kernel)


_QUANTIZED_REAL = f"{REAL_NUMBER}, qint8, quint8, qint32, qint16, quint16"
_reduction("All", lambda x, a, k: np.all(x, axis=a, keepdims=k), "", value="bool")
_reduction("Any", lambda x, a, k: np.any(x, axis=a, keepdims=k), "", value="bool")
_reduction("EuclideanNorm", _euclidean_norm, NUMBER)
_reduction("Max", _extreme(np.maximum, True), _QUANTIZED_REAL)
_reduction("Mean", _mean, NUMBER)
_reduction("Min", _extreme(np.minimum, False), _QUANTIZED_REAL)
_reduction("Prod", _prod, NUMBER)
_reduction("Sum", _sum, NUMBER)


def _arg_axis(ctx: Any, x: np.ndarray, dimension: np.ndarray) -> int:
    axis = scalar_int(ctx, "dimension", dimension)
    if not -x.ndim <= axis < x.ndim:
        raise InvalidArgumentError(
            f"{ctx.where}: Expected dimension in the range [{-x.ndim}, {x.ndim}), but got {axis}.")
    axis %= x.ndim
    if x.shape[axis] == 0:
        raise InvalidArgumentError(
            f"{ctx.where}: Reduction axis {axis} is empty in shape {list(x.shape)}.")
    return axis


def _arg_reduce(ctx: Any, x: np.ndarray, dimension: np.ndarray, output_type: Any,
                largest: bool) -> tuple:
    axis = _arg_axis(ctx, x, dimension)
    pick = np.argmax if largest else np.argmin
    index = pick(x, axis=axis)
    if _is_real_float(x.dtype):
        # NumPy picks the first NaN; Eigen never lets a NaN replace its running best.
        chosen = np.take_along_axis(x, np.expand_dims(index, axis), axis=axis)
        if np.isnan(chosen).any():
            index = pick(np.where(np.isnan(x), -np.inf if largest else np.inf, widen(x)),
                         axis=axis)
    return (np.asarray(index).astype(output_type.numpy),)


@register_op("ArgMax", inputs=["input: T", "dimension: Tidx"], outputs=["output: output_type"],
             attrs=[f"T: type {{{_QUANTIZED_REAL}, bool}}",
                    "Tidx: type {int16, int32, int64} = DT_INT32",
                    "output_type: type {int16, uint16, int32, int64} = DT_INT64"])
def _arg_max(ctx, x, dimension, *, output_type, **_):
    return _arg_reduce(ctx, x, dimension, output_type, True)


@register_op("ArgMin", inputs=["input: T", "dimension: Tidx"], outputs=["output: output_type"],
             attrs=[f"T: type {{{_QUANTIZED_REAL}, bool}}", _IDX,
                    "output_type: type {int32, int64} = DT_INT64"])
def _arg_min(ctx, x, dimension, *, output_type, **_):
    return _arg_reduce(ctx, x, dimension, output_type, False)


def _scan_axis(ctx: Any, x: np.ndarray, axis: np.ndarray) -> int:
    if np.ndim(axis):
        raise InvalidArgumentError(
            f"{ctx.where}: ScanOp: axis must be a scalar, not {list(np.shape(axis))}.")
    value = int(axis)
    if not -x.ndim <= value < x.ndim:
        raise InvalidArgumentError(
            f"{ctx.where}: ScanOp: Expected scan axis in the range [{-x.ndim}, {x.ndim}), but "
            f"got {value}.")
    return value % x.ndim


def _scan(ctx: Any, x: np.ndarray, axis: np.ndarray, exclusive: bool, reverse: bool, ufunc: Any,
          identity: Any) -> np.ndarray:
    axis = _scan_axis(ctx, x, axis)
    work = np.moveaxis(np.flip(x, axis) if reverse else x, axis, 0)
    # Sequential accumulation in the element type, rounding at every step like Eigen's scan.
    if isinstance(ufunc, np.ufunc):
        out = ufunc.accumulate(work, axis=0, dtype=x.dtype)
    else:
        out = ufunc(work)
    if exclusive:  # out[i] reduces work[:i]: shift the inclusive scan by one, identity first
        head = np.full((min(1, len(out)),) + out.shape[1:], identity, x.dtype)
        out = np.concatenate([head, out[:-1]])
    out = np.moveaxis(out, 0, axis)
    return np.flip(out, axis) if reverse else out


def _log_sum_exp_scan(work: np.ndarray) -> np.ndarray:
    """TensorFlow's LogSumExp scan functor step by step: with m = max, n = min (each keeping the
    running value when the other is NaN), acc = m + log1p(exp(n - m)), or m when m is -inf."""
    out = np.empty_like(work)
    lowest = ml_dtypes.finfo(work.dtype).min
    acc = np.full(work.shape[1:], -np.inf, work.dtype)
    for i, value in enumerate(work):
        high = np.where(acc < value, value, acc)
        low = np.where(value < acc, value, acc)
        step = high + in_float32(np.log1p)(in_float32(np.exp)(low - high))
        acc = out[i] = np.where(high < lowest, high, step)
    return out


_SCAN_ATTRS = ["exclusive: bool = false", "reverse: bool = false"]


@register_op("Cumprod", inputs=["x: T", "axis: Tidx"], outputs=["out: T"],
             attrs=_SCAN_ATTRS + [f"T: type {{{NUMBER}}}", _IDX])
def _cumprod(ctx, x, axis, *, exclusive, reverse, **_):
    return (_scan(ctx, x, axis, exclusive, reverse, np.multiply, 1),)


@register_op("Cumsum", inputs=["x: T", "axis: Tidx"], outputs=["out: T"],
             attrs=_SCAN_ATTRS + [f"T: type {{{NUMBER}}}", _IDX])
def _cumsum(ctx, x, axis, *, exclusive, reverse, **_):
    return (_scan(ctx, x, axis, exclusive, reverse, np.add, 0),)


@register_op("CumulativeLogsumexp", inputs=["x: T", "axis: Tidx"], outputs=["out: T"],
             attrs=_SCAN_ATTRS + [f"T: type {{{FLOATS}}}", _IDX])
def _cumulative_logsumexp(ctx, x, axis, *, exclusive, reverse, **_):
    return (_scan(ctx, x, axis, exclusive, reverse, _log_sum_exp_scan, -np.inf),)


def _in_top_k(ctx: Any, predictions: np.ndarray, targets: np.ndarray, k: int) -> np.ndarray:
    if predictions.ndim != 2:
        raise InvalidArgumentError(
            f"{ctx.where}: predictions must be 2-dimensional, got shape {predictions.shape}.")
    if targets.shape != (predictions.shape[0],):
        raise InvalidArgumentError(
            f"{ctx.where}: First dimension of predictions {predictions.shape[0]} must match "
            f"length of targets {targets.shape[0] if targets.ndim else targets.shape}.")
    rows, classes = predictions.shape
    valid = (targets >= 0) & (targets < classes)
    target_value = predictions[np.arange(rows), np.where(valid, targets, 0)]
    larger = np.sum(predictions > target_value[:, None], axis=1)
    finite = np.all(np.isfinite(predictions), axis=1)
    return valid & finite & (larger < k)


@register_op("InTopK", inputs=["predictions: float", "targets: T"], outputs=["precision: bool"],
             attrs=["k: int", "T: type {int32, int64} = DT_INT32"])
def _in_top_k_v1(ctx, predictions, targets, *, k, **_):
    return (_in_top_k(ctx, predictions, targets, k),)


@register_op("InTopKV2", inputs=["predictions: float", "targets: T", "k: T"],
             outputs=["precision: bool"], attrs=["T: type {int32, int64} = DT_INT32"])
def _in_top_k_v2(ctx, predictions, targets, k, **_):
    return (_in_top_k(ctx, predictions, targets, scalar_int(ctx, "k", k)),)


def _top_k(ctx: Any, x: np.ndarray, k: int, index_type: np.dtype) -> tuple:
    if x.ndim < 1:
        raise InvalidArgumentError(f"{ctx.where}: input must be >= 1-D, got shape {list(x.shape)}.")
    if k < 0:
        raise InvalidArgumentError(f"{ctx.where}: Need k >= 0, got {k}.")
    n = x.shape[-1]
    if n < k:
        raise InvalidArgumentError(
            f"{ctx.where}: input must have at least k columns. Had {n}, needed {k}.")
    keys = widen(x)
    if _is_real_float(x.dtype) and np.isnan(keys).any():
        keys = np.where(np.isnan(keys), np.inf, keys)  # NaN sorts first, as in TensorFlow
    indices = _top_k_indices(keys, k) if 0 < k < n // 8 else _sorted_indices(keys)[..., :k]
    return np.take_along_axis(x, indices, axis=-1), indices.astype(index_type)


def _sorted_indices(keys: np.ndarray) -> np.ndarray:
    """Indices ordering the last axis descending, ties by lower index: a stable ascending sort
    of the reversed row, read backwards."""
    n = keys.shape[-1]
    return (n - 1) - np.argsort(keys[..., ::-1], axis=-1, kind="stable")[..., ::-1]


def _top_k_indices(keys: np.ndarray, k: int) -> np.ndarray:
    """The k best indices per row without sorting whole rows: a partition picks them, unless it
    had to choose among values tied with the k-th, where the lowest indices must win."""
    n = keys.shape[-1]
    picked = np.argpartition(keys, n - k, axis=-1)[..., n - k:]
    picked_keys = np.take_along_axis(keys, picked, axis=-1)
    kth = picked_keys[..., :1]  # the partition puts the k-th largest first
    ties = keys == kth
    if not np.array_equal(np.sum(ties, axis=-1), np.sum(picked_keys == kth, axis=-1)):
        room = k - np.sum(keys > kth, axis=-1, keepdims=True)
        chosen = (keys > kth) | (ties & (np.cumsum(ties, axis=-1, dtype=np.int32) <= room))
        picked = np.nonzero(chosen)[-1].reshape(keys.shape[:-1] + (k,))
        picked_keys = np.take_along_axis(keys, picked, axis=-1)
    # Order the k by value, ties by index: sort by index first, then stably by value.
    by_index = np.argsort(picked, axis=-1)
    picked = np.take_along_axis(picked, by_index, axis=-1)
    order = _sorted_indices(np.take_along_axis(picked_keys, by_index, axis=-1))
    return np.take_along_axis(picked, order, axis=-1)


_TOPK_T = f"T: type {{{REAL_NUMBER}}}"


@register_op("TopK", inputs=["input: T"], outputs=["values: T", "indices: int32"],
             attrs=["k: int >= 0", "sorted: bool = true", _TOPK_T])
def _top_k_v1(ctx, x, *, k, **_):
    return _top_k(ctx, x, k, np.dtype(np.int32))


@register_op("TopKV2", inputs=["input: T", "k: Tk"], outputs=["values: T", "indices: index_type"],
             attrs=["sorted: bool = true", _TOPK_T, "Tk: type {int16, int32, int64} = DT_INT32",
                    "index_type: type {int16, int32, int64} = DT_INT32"])
def _top_k_v2(ctx, x, k, *, index_type, **_):
    return _top_k(ctx, x, scalar_int(ctx, "k", k), index_type.numpy)
