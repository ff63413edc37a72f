"""Segment reductions and bin counts (``math_ops.cc``; kernels in ``segment_reduction_ops*``).

- Segment*: sorted ``segment_ids`` over the first dimension; the output has ``max id + 1`` rows and
  empty segments hold 0 (1 for Prod);
- UnsortedSegment*: ids of any shape prefixing ``data``'s, negative ids dropped, ids past
  ``num_segments`` an error; empty segments hold the reducer's identity (the type's lowest value for
  Max, highest for Min);
- SparseSegment*: ``data[indices]`` reduced by sorted ``segment_ids``; Mean divides by the count and
  SqrtN by its square root;
- Bincount/DenseBincount: values at or above ``size`` are ignored, negative ones are an error.
Rows are accumulated in order in the element type, as TensorFlow's CPU kernels do.
"""

from __future__ import annotations

from typing import Any

import ml_dtypes
import numpy as np

from savedmodel.errors import InvalidArgumentError
from savedmodel.ops._math_common import FLOATS, NUMBER, REAL_NUMBER, check_size, scalar_int
from savedmodel.ops.registry import register_op

_IDS = "Tindices: type {int32, int64}"
_NUM = "Tnumsegments: type {int32, int64} = DT_INT32"
_SPARSE_IDX = ["Tidx: type {int32, int64} = DT_INT32"]
_SPARSE_SEG = ["Tsegmentids: type {int32, int64} = DT_INT32", "sparse_gradient: bool = false"]


def _extreme_value(dtype: np.dtype, lowest: bool) -> Any:
    info = np.iinfo(dtype) if dtype.kind in "iu" else ml_dtypes.finfo(dtype)
    return info.min if lowest else info.max


def _check_sorted(ctx: Any, ids: np.ndarray, rows: int | None = None) -> int:
    """Validates sorted segment ids; returns the number of output rows (last id + 1)."""
    if ids.ndim != 1:
        raise InvalidArgumentError(f"{ctx.where}: segment_ids should be a vector.")
    if rows is not None and ids.shape[0] != rows:
        raise InvalidArgumentError(
            f"{ctx.where}: segment_ids should be the same size as dimension 0 of input.")
    if ids.size == 0:
        return 0
    count = int(ids[-1]) + 1
    if np.any(ids[1:] < ids[:-1]):
        raise InvalidArgumentError(f"{ctx.where}: segment ids are not increasing.")
    if ids[0] < 0:
        raise InvalidArgumentError(
            f"{ctx.where}: Segment id {int(ids[0])} out of range [0, {count}), possibly because "
            "'segment_ids' input is not sorted.")
    return count


def _reduce_sorted(rows: np.ndarray, ids: np.ndarray, count: int, ufunc: np.ufunc,
                   empty: Any) -> tuple:
    """Reduces consecutive runs of equal ids; returns (output, rows per segment)."""
    out = np.full((count,) + rows.shape[1:], empty, rows.dtype)
    sizes = np.zeros(count, np.int64)
    if ids.size:
        starts = np.flatnonzero(np.concatenate([[True], ids[1:] != ids[:-1]]))
        segment = ids[starts]
        out[segment] = ufunc.reduceat(rows, starts, axis=0, dtype=rows.dtype)
        sizes[segment] = np.diff(np.append(starts, ids.size))
    return out, sizes


def _has_nan(rows: np.ndarray) -> bool:
    return rows.dtype.kind not in "iub" and bool(np.isnan(rows).any())


def _running_extreme(out: np.ndarray, ids: np.ndarray, rows: np.ndarray, ufunc: np.ufunc) -> None:
    """out[id] = out[id] if out[id] beats the row else row, row by row: the kernels' NaN handling
    (a NaN row replaces the running value, the next number replaces the NaN). Only used with NaN."""
    better = np.less if ufunc is np.minimum else np.greater
    for segment, row in zip(ids.tolist(), rows):
        if segment >= 0:
            out[segment] = np.where(better(out[segment], row), out[segment], row)


def _divide_rows(total: np.ndarray, divisor: np.ndarray) -> np.ndarray:
    """total / divisor per row, with the divisor in the element type (integers truncate)."""
    shape = (-1,) + (1,) * (total.ndim - 1)
    safe = np.where(divisor == 0, 1, divisor).astype(total.dtype).reshape(shape)
    if total.dtype.kind in "iu":
        quotient = np.floor_divide(total, safe)
        return quotient + ((quotient * safe != total) & ((total < 0) != (safe < 0)))
    return total / safe


def _segment(name: str, ufunc: np.ufunc, empty: Any, types: str, mean: bool = False) -> None:
    def kernel(ctx, data, ids, **_):
        if data.ndim < 1:
            raise InvalidArgumentError(f"{ctx.where}: input must be at least rank 1.")
        count = _check_sorted(ctx, ids, data.shape[0])
        out, sizes = _reduce_sorted(data, ids, count, ufunc, empty)
        if ufunc in (np.maximum, np.minimum) and _has_nan(data):
            out[sizes > 0] = _extreme_value(data.dtype, ufunc is np.maximum)
            _running_extreme(out, ids, data, ufunc)
        return (_divide_rows(out, sizes) if mean else out,)

    register_op(name, inputs=["data: T", "segment_ids: Tindices"], outputs=["output: T"],
                attrs=[f"T: type {{{types}}}", _IDS])(kernel)


_segment("SegmentMax", np.maximum, 0, REAL_NUMBER)
_segment("SegmentMean", np.add, 0, NUMBER, mean=True)
_segment("SegmentMin", np.minimum, 0, REAL_NUMBER)
_segment("SegmentProd", np.multiply, 1, NUMBER)
_segment("SegmentSum", np.add, 0, NUMBER)


def _unsorted(name: str, ufunc: np.ufunc, identity: Any, types: str, ids: str = _IDS) -> None:
    def kernel(ctx, data, segment_ids, num_segments, **_):
        ids = segment_ids
        count = scalar_int(ctx, "num_segments", num_segments)
        if count < 0:
            raise InvalidArgumentError(
                f"{ctx.where}: Input num_segments == {count} must not be negative.")
        if data.shape[:ids.ndim] != ids.shape:
            raise InvalidArgumentError(
                f"{ctx.where}: data.shape = {list(data.shape)} does not start with "
                f"segment_ids.shape = {list(ids.shape)}.")
        flat_ids = ids.reshape(-1)
        too_big = np.flatnonzero(flat_ids >= count)
        if too_big.size:
            i = int(too_big[0])
            raise InvalidArgumentError(
                f"{ctx.where}: segment_ids[{i}] = {int(flat_ids[i])} is out of range [0, {count}).")
        rows = data.reshape((flat_ids.size,) + data.shape[ids.ndim:])
        start = identity(data.dtype) if callable(identity) else identity
        check_size(ctx, count * int(np.prod(rows.shape[1:], dtype=np.int64)), data.dtype)
        out = np.full((count,) + rows.shape[1:], start, data.dtype)
        keep = flat_ids >= 0
        if ufunc in (np.maximum, np.minimum) and _has_nan(rows):
            _running_extreme(out, flat_ids, rows, ufunc)
        else:
            ufunc.at(out, flat_ids[keep], rows[keep])  # row order, like the kernel's loop
        return (out,)

    register_op(name, inputs=["data: T", "segment_ids: Tindices", "num_segments: Tnumsegments"],
                outputs=["output: T"],
                attrs=[f"T: type {{{types}}}", ids, _NUM])(kernel)


_unsorted("UnsortedSegmentMax", np.maximum, lambda d: _extreme_value(d, True), REAL_NUMBER)
_unsorted("UnsortedSegmentMin", np.minimum, lambda d: _extreme_value(d, False), REAL_NUMBER)
_unsorted("UnsortedSegmentProd", np.multiply, 1, NUMBER)
_unsorted("UnsortedSegmentSum", np.add, 0, NUMBER, "Tindices: type {int16, int32, int64}")


def _sparse_segment(ctx: Any, data: np.ndarray, indices: np.ndarray, ids: np.ndarray,
                    num_segments: np.ndarray | None, scale: str) -> np.ndarray:
    if indices.ndim != 1 or ids.ndim != 1:
        raise InvalidArgumentError(f"{ctx.where}: indices and segment_ids should be vectors.")
    if indices.shape != ids.shape:
        raise InvalidArgumentError(f"{ctx.where}: segment_ids and indices should have same size.")
    bad = np.flatnonzero((indices < 0) | (indices >= data.shape[0]))
    if bad.size:
        i = int(bad[0])
        raise InvalidArgumentError(
            f"{ctx.where}: Bad: indices[{i}] == {int(indices[i])} out of range "
            f"[0, {data.shape[0]}).")
    count = _check_sorted(ctx, ids)
    if num_segments is not None:
        wanted = scalar_int(ctx, "num_segments", num_segments)
        if count > wanted:
            raise InvalidArgumentError(f"{ctx.where}: segment ids must be < num_segments.")
        count = wanted
    out, sizes = _reduce_sorted(data[indices], ids, count, np.add, 0)
    if scale == "mean":
        return _divide_rows(out, sizes)
    if scale == "sqrtn":
        return _divide_rows(out, np.sqrt(sizes.astype(np.float64)).astype(out.dtype))
    return out


def _sparse(name: str, scale: str, types: str) -> None:
    inputs = ["data: T", "indices: Tidx", "segment_ids: Tsegmentids"]
    attrs = [f"T: type {{{types}}}"] + _SPARSE_IDX + _SPARSE_SEG

    def kernel(ctx, data, indices, ids, **_):
        return (_sparse_segment(ctx, data, indices, ids, None, scale),)

    def kernel_with_num(ctx, data, indices, ids, num_segments, **_):
        return (_sparse_segment(ctx, data, indices, ids, num_segments, scale),)

    register_op(name, inputs=inputs, outputs=["output: T"], attrs=attrs)(kernel)
    register_op(f"{name}WithNumSegments", inputs=inputs + ["num_segments: Tnumsegments"],
                outputs=["output: T"], attrs=attrs[:2] + [_NUM] + attrs[2:])(kernel_with_num)


_sparse("SparseSegmentMean", "mean", FLOATS)
_sparse("SparseSegmentSqrtN", "sqrtn", FLOATS)
_sparse("SparseSegmentSum", "sum", REAL_NUMBER)


def _check_counts(ctx: Any, values: np.ndarray, size: int, weights: np.ndarray) -> None:
    if size < 0:
        raise InvalidArgumentError(f"{ctx.where}: size ({size}) must be non-negative.")
    if weights.size and weights.shape != values.shape:
        raise InvalidArgumentError(
            f"{ctx.where}: `weights` must be the same shape as `arr` or a length-0 `Tensor`, in "
            f"which case it acts as all weights equal to 1. Received {list(weights.shape)}.")
    if values.size and values.min() < 0:
        raise InvalidArgumentError(f"{ctx.where}: Input arr must be non-negative!")


def _count(ctx: Any, rows: int, row_index: np.ndarray, values: np.ndarray, size: int,
           weights: np.ndarray, dtype: np.dtype, binary: bool) -> np.ndarray:
    """A ``[rows, size]`` table of counts (or weight sums, or 0/1 presence) of ``values``, each
    counted in its ``row_index`` row; values at or above ``size`` are ignored."""
    check_size(ctx, rows * size, dtype)
    out = np.zeros((rows, size), dtype)
    keep = values < size
    where = (row_index[keep], values[keep])
    if binary:
        out[where] = 1
    elif weights.size:
        np.add.at(out, where, weights[keep].astype(dtype))  # in input order, like the kernel
    else:
        np.add.at(out, where, np.ones((), dtype))
    return out


@register_op("Bincount", inputs=["arr: int32", "size: int32", "weights: T"], outputs=["bins: T"],
             attrs=["T: type {int32, int64, float, double}"])
def _bincount(ctx, arr, size, weights, *, T):
    count = scalar_int(ctx, "size", size)
    _check_counts(ctx, arr, count, weights)
    flat = arr.reshape(-1)
    table = _count(ctx, 1, np.zeros(flat.size, np.int64), flat, count, weights.reshape(-1), T.numpy,
                   False)
    return (table[0],)


@register_op("DenseBincount", inputs=["input: Tidx", "size: Tidx", "weights: T"],
             outputs=["output: T"],
             attrs=["Tidx: type {int32, int64}", "T: type {int32, int64, float, double}",
                    "binary_output: bool = false"])
def _dense_bincount(ctx, values, size, weights, *, T, binary_output, **_):
    if values.ndim > 2:
        raise InvalidArgumentError(
            f"{ctx.where}: Shape must be at most rank 2 but is rank {values.ndim}.")
    count = scalar_int(ctx, "size", size)
    _check_counts(ctx, values, count, weights)
    rows = values.reshape(-1, values.shape[-1] if values.ndim else 1)
    row_index = np.repeat(np.arange(rows.shape[0]), rows.shape[1])
    table = _count(ctx, rows.shape[0], row_index, rows.reshape(-1), count, weights.reshape(-1),
                   T.numpy, binary_output)
    return (table if values.ndim == 2 else table[0],)


@register_op("HistogramFixedWidth", inputs=["values: T", "value_range: T", "nbins: int32"],
             outputs=["out: dtype"],
             attrs=["T: type {int32, int64, float, double}",
                    "dtype: type {int32, int64} = DT_INT32"])
def _histogram_fixed_width(ctx, values, value_range, nbins, *, dtype, **_):
    bins = scalar_int(ctx, "nbins", nbins)
    if value_range.shape != (2,):
        raise InvalidArgumentError(f"{ctx.where}: value_range should be a vector of 2 elements.")
    low, high = value_range
    if not low < high:
        raise InvalidArgumentError(f"{ctx.where}: value_range should satisfy value_range[0] < "
                                   f"value_range[1], but got '[{low}, {high}]'.")
    if bins <= 0:
        raise InvalidArgumentError(
            f"{ctx.where}: nbins should be a positive number, but got '{bins}'.")
    # The kernel: ((max(v, lo) - lo) as double / step), capped at nbins - 1, truncated to int32.
    step = float(high - low) / bins
    offset = (np.maximum(values, low) - low).reshape(-1).astype(np.float64)
    index = np.minimum(offset / step, bins - 1).astype(np.int32)
    return (np.bincount(index, minlength=bins).astype(dtype.numpy),)


@register_op("RaggedBincount", inputs=["splits: int64", "values: Tidx", "size: Tidx", "weights: T"],
             outputs=["output: T"],
             attrs=["Tidx: type {int32, int64}", "T: type {int32, int64, float, double}",
                    "binary_output: bool = false"])
def _ragged_bincount(ctx, splits, values, size, weights, *, T, binary_output, **_):
    count = scalar_int(ctx, "size", size)
    if splits.size == 0:
        raise InvalidArgumentError(f"{ctx.where}: Splits must be non-empty.")
    if splits[0] != 0:
        raise InvalidArgumentError(f"{ctx.where}: Splits must start with 0, not with {splits[0]}.")
    if splits[-1] != values.size or np.any(np.diff(splits) < 0):
        raise InvalidArgumentError(
            f"{ctx.where}: Splits must be non-decreasing and end with the number of values "
            f"({values.size}), got {splits.tolist()}.")
    if values.size and values.min() < 0:
        raise InvalidArgumentError(f"{ctx.where}: Input must be non-negative.")
    _check_counts(ctx, values, count, weights)
    row_index = np.repeat(np.arange(splits.size - 1), np.diff(splits))
    return (_count(ctx, splits.size - 1, row_index, values, count, weights, T.numpy,
                   binary_output),)


@register_op("SparseBincount",
             inputs=["indices: int64", "values: Tidx", "dense_shape: int64", "size: Tidx",
                     "weights: T"],
             outputs=["output: T"],
             attrs=["Tidx: type {int32, int64}", "T: type {int32, int64, float, double}",
                    "binary_output: bool = false"])
def _sparse_bincount(ctx, indices, values, dense_shape, size, weights, *, T, binary_output, **_):
    count = scalar_int(ctx, "size", size)
    _check_counts(ctx, values, count, weights)
    if dense_shape.size == 1:
        table = _count(ctx, 1, np.zeros(values.size, np.int64), values, count, weights, T.numpy,
                       binary_output)
        return (table[0],)
    if dense_shape.size != 2 or indices.shape != (values.size, 2):
        raise InvalidArgumentError(
            f"{ctx.where}: SparseBincount takes a rank 1 or 2 SparseTensor, got dense_shape "
            f"{dense_shape.tolist()} and indices of shape {list(indices.shape)}.")
    return (_count(ctx, int(dense_shape[0]), indices[:, 0], values, count, weights, T.numpy,
                   binary_output),)
