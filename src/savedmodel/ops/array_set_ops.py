"""Array ops on value sets and sorted data: Unique*, ListDiff, searches, permutations, Bucketize.

Mirrors ``unique_op.cc``, ``listdiff_op.cc``, ``transpose_op.cc`` (InvertPermutation),
``unravel_index_op.cc``, ``searchsorted_op.cc`` and ``bucketize_op.cc``. Unique keeps the order of
first occurrence; like TensorFlow's hash maps it treats -0.0 as 0.0 and every NaN as distinct.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np

from savedmodel.ops._array_common import fail, shape_str, widen_small_floats
from savedmodel.ops.registry import register_op


def _first_occurrence(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the first occurrence of each distinct key (in order) and each key's group id."""
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True, equal_nan=False)
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    return first[order], rank[inverse.reshape(-1)]


def _row_keys(rows: np.ndarray) -> np.ndarray:
    """One sortable key per row; -0.0 equals 0.0 and a row holding NaN equals no other row."""
    n = rows.shape[0]
    if rows.dtype.kind == "O":
        keys = np.empty(n, dtype=object)
        keys[:] = [tuple(row) for row in rows]
        return keys
    tag = np.full(n, -1, dtype="<i8")
    if rows.dtype.kind == "f":
        rows = rows + rows.dtype.type(0)  # -0.0 + 0.0 == +0.0
        nan_rows = np.isnan(rows).any(axis=1)
        tag[nan_rows] = np.flatnonzero(nan_rows)
    raw = np.ascontiguousarray(rows).view(np.uint8).reshape(n, -1)
    joined = np.ascontiguousarray(np.concatenate([raw, tag.view(np.uint8).reshape(n, 8)], axis=1))
    return joined.view(np.dtype((np.void, joined.shape[1]))).reshape(n)


def _unique(ctx: Any, x: np.ndarray, axis_input: Any, out_idx: Any, with_counts: bool) -> tuple:
    """Unique*: distinct elements (or slices along ``axis``), their ids and optionally counts."""
    axis = None
    if axis_input is not None:
        axis_arr = np.asarray(axis_input)
        if axis_arr.ndim != 1:
            fail(ctx, "axis expects a 1D vector.")
        if axis_arr.size > 1:
            fail(ctx, "axis does not support input tensors larger than 1 elements")
        if axis_arr.size == 1:
            axis = int(axis_arr[0])
            axis = axis + x.ndim if axis < 0 else axis
            if not 0 <= axis < x.ndim:
                fail(ctx, f"axis has to be between [0, {x.ndim})")
    if axis is None:
        if x.ndim != 1:
            fail(ctx, "unique expects a 1D vector.")
        first, idx = _first_occurrence(widen_small_floats(x))
    elif x.shape[axis] == 0:
        first, idx = np.zeros(0, np.intp), np.zeros(0, np.intp)
    else:
        moved = np.moveaxis(widen_small_floats(x), axis, 0)
        first, idx = _first_occurrence(_row_keys(moved.reshape(moved.shape[0], -1)))
    y = x[first] if axis is None else np.take(x, first, axis=axis)
    idx = idx.astype(out_idx.numpy)
    if not with_counts:
        return y, idx
    return y, idx, np.bincount(idx, minlength=first.size).astype(out_idx.numpy)


@register_op("Bucketize",
             inputs=["input: T"],
             outputs=["output: int32"],
             attrs=["T: type {int32, int64, float, double}", "boundaries: list(float)"])
def _bucketize(ctx, x, *, boundaries, **_):
    edges = np.asarray(boundaries, dtype=np.float32)
    if np.any(edges[1:] < edges[:-1]):
        fail(ctx, "Expected sorted boundaries")
    x = np.asarray(x)
    # TF compares `T value < float boundary`: integers convert to float, doubles widen the bound.
    keys = x.astype(np.float64) if x.dtype == np.float64 else x.astype(np.float32)
    edges = edges.astype(keys.dtype)
    return (np.searchsorted(edges, keys, side="right").astype(np.int32),)


@register_op("InvertPermutation",
             inputs=["x: T"],
             outputs=["y: T"],
             attrs=["T: type {int32, int64} = DT_INT32"])
def _invert_permutation(ctx, x, **_):
    x = np.asarray(x)
    if x.ndim != 1:
        fail(ctx, "invert_permutation expects a 1D vector.")
    n = x.size
    out = np.full(n, -1, dtype=x.dtype)
    in_range = (x >= 0) & (x < n)
    out[x[in_range]] = np.flatnonzero(in_range)
    if not in_range.all() or (out < 0).any():
        seen = set()
        for value in x.tolist():  # error path only: report the first offender, as TF does
            if not 0 <= value < n:
                fail(ctx, f"{value} is not between 0 and {n}")
            if value in seen:
                fail(ctx, f"{value} is duplicated in the input.")
            seen.add(value)
    return (out,)


@register_op("ListDiff",
             inputs=["x: T", "y: T"],
             outputs=["out: T", "idx: out_idx"],
             attrs=["T: type", "out_idx: type {int32, int64} = DT_INT32"])
def _list_diff(ctx, x, y, *, out_idx, **_):
    x, y = np.asarray(x), np.asarray(y)
    for name, value in (("x", x), ("y", y)):
        if value.ndim != 1:
            fail(ctx, f"{name} should be a 1D vector.")
    keep = ~np.isin(widen_small_floats(x), widen_small_floats(y))
    return x[keep], np.flatnonzero(keep).astype(out_idx.numpy)


def _bounds(ctx: Any, sorted_inputs: Any, values: Any, side: Literal["left", "right"],
            out_type: Any) -> tuple:
    """LowerBound/UpperBound: a row-wise binary search of ``values`` in ``sorted_inputs``."""
    sorted_inputs, values = np.asarray(sorted_inputs), np.asarray(values)
    for name, value in (("sorted_inputs", sorted_inputs), ("values", values)):
        if value.ndim != 2:
            fail(ctx, f"Shape must be rank 2 but is rank {value.ndim} for `{name}` argument")
    if sorted_inputs.shape[0] != values.shape[0]:
        fail(ctx, "Leading dim_size of both tensors must match.")
    rows, keys = widen_small_floats(sorted_inputs), widen_small_floats(values)
    out = np.empty(values.shape, dtype=out_type.numpy)
    for i in range(values.shape[0]):  # one vectorized search per row
        out[i] = np.searchsorted(rows[i], keys[i], side=side)
    if side == "left" and keys.dtype.kind == "f":
        out[np.isnan(keys)] = 0  # std::lower_bound: nothing is < NaN
    return (out,)


@register_op("LowerBound",
             inputs=["sorted_inputs: T", "values: T"],
             outputs=["output: out_type"],
             attrs=["T: type", "out_type: type {int32, int64} = DT_INT32"])
def _lower_bound(ctx, sorted_inputs, values, *, out_type, **_):
    return _bounds(ctx, sorted_inputs, values, "left", out_type)


@register_op("Unique",
             inputs=["x: T"],
             outputs=["y: T", "idx: out_idx"],
             attrs=["T: type", "out_idx: type {int32, int64} = DT_INT32"])
def _unique_v1(ctx, x, *, out_idx, **_):
    return _unique(ctx, np.asarray(x), None, out_idx, with_counts=False)


@register_op("UniqueV2",
             inputs=["x: T", "axis: Taxis"],
             outputs=["y: T", "idx: out_idx"],
             attrs=["T: type", "Taxis: type {int32, int64} = DT_INT64",
                    "out_idx: type {int32, int64} = DT_INT32"])
def _unique_v2(ctx, x, axis, *, out_idx, **_):
    return _unique(ctx, np.asarray(x), axis, out_idx, with_counts=False)


@register_op("UniqueWithCounts",
             inputs=["x: T"],
             outputs=["y: T", "idx: out_idx", "count: out_idx"],
             attrs=["T: type", "out_idx: type {int32, int64} = DT_INT32"])
def _unique_with_counts(ctx, x, *, out_idx, **_):
    return _unique(ctx, np.asarray(x), None, out_idx, with_counts=True)


@register_op("UniqueWithCountsV2",
             inputs=["x: T", "axis: Taxis"],
             outputs=["y: T", "idx: out_idx", "count: out_idx"],
             attrs=["T: type", "Taxis: type {int32, int64} = DT_INT64",
                    "out_idx: type {int32, int64} = DT_INT32"])
def _unique_with_counts_v2(ctx, x, axis, *, out_idx, **_):
    return _unique(ctx, np.asarray(x), axis, out_idx, with_counts=True)


@register_op("UnravelIndex",
             inputs=["indices: Tidx", "dims: Tidx"],
             outputs=["output: Tidx"],
             attrs=["Tidx: type {int32, int64} = DT_INT32"])
def _unravel_index(ctx, indices, dims, **_):
    indices, dims = np.asarray(indices), np.asarray(dims)
    if dims.ndim != 1:
        fail(ctx, f'The indices can only be 1-D, got "{shape_str(dims.shape)}"')
    if indices.ndim > 1:
        fail(ctx, f'The indices can only be scalar or vector, got "{shape_str(indices.shape)}"')
    for i, d in enumerate(dims.tolist()):
        if d == 0:
            fail(ctx, f"Input dims cannot contain a dim of zero, but dims contains zero at index "
                      f"{i}")
        if d < 0:
            fail(ctx, f"Input dims cannot be negative. Got dim = {d} at index {i}")
    dim_list = dims.tolist()
    if (indices >= math.prod(dim_list)).any():
        fail(ctx, "index is out of bound as with dims")
    strides = np.asarray([math.prod(dim_list[i + 1:]) for i in range(len(dim_list))], np.int64)
    flat = indices.reshape(-1, 1).astype(np.int64)
    # C++ semantics: `/` truncates toward zero and `%` keeps the dividend's sign (negative indices
    # are not rejected by TF and give negative coordinates).
    quotient = flat // strides
    quotient += (quotient < 0) & (quotient * strides != flat)
    out = np.fmod(quotient, dims.astype(np.int64)).T.astype(indices.dtype)
    return (out.reshape(dims.shape) if indices.ndim == 0 else out,)


@register_op("UpperBound",
             inputs=["sorted_inputs: T", "values: T"],
             outputs=["output: out_type"],
             attrs=["T: type", "out_type: type {int32, int64} = DT_INT32"])
def _upper_bound(ctx, sorted_inputs, values, *, out_type, **_):
    return _bounds(ctx, sorted_inputs, values, "right", out_type)
