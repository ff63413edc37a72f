"""Sparse tensor ops on (indices, values, dense_shape) triples: SparseToDense, SparseReshape,
SparseFillEmptyRows, SparseTensorDenseMatMul, SparseConcat, SparseReorder, SparseSlice.

Mirrors ``tensorflow/core/ops/sparse_ops.cc`` and the kernels in ``tensorflow/core/kernels/sparse_*``.
Indices are ``[N, rank]`` int64 rows; kernels work on their row-major linear positions, vectorized.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from savedmodel.ops._array_common import fail, zeros
from savedmodel.ops.registry import register_op


def _dims(shape: Any) -> str:
    return "[" + ",".join(str(int(d)) for d in np.asarray(shape).reshape(-1)) + "]"


def _matrix(ctx: Any, indices: Any, what: str = "indices") -> np.ndarray:
    indices = np.asarray(indices, dtype=np.int64)
    if indices.ndim != 2:
        fail(ctx, f"{what} must be a matrix, got shape {_dims(indices.shape)}")
    return indices


def _linear(indices: np.ndarray, shape: np.ndarray) -> np.ndarray:
    """Row-major linear position of every index row in a tensor of ``shape``."""
    strides = np.cumprod(np.concatenate([[1], shape[::-1][:-1]]))[::-1].astype(np.int64)
    return indices @ strides if indices.size else np.zeros(indices.shape[0], np.int64)


def _lex_order(indices: np.ndarray) -> np.ndarray:
    """The stable permutation sorting index rows lexicographically."""
    if indices.shape[1] == 0:
        return np.arange(indices.shape[0])
    return np.lexsort(indices.T[::-1])


@register_op("SparseConcat",
             inputs=["indices: N * int64", "values: N * T", "shapes: N * int64"],
             outputs=["output_indices: int64", "output_values: T", "output_shape: int64"],
             attrs=["concat_dim: int", "N: int >= 2", "T: type"])
def _sparse_concat(ctx, indices, values, shapes, *, concat_dim, **_):
    shapes = [np.asarray(s, np.int64).reshape(-1) for s in shapes]
    rank = shapes[0].size
    if not -rank <= concat_dim < rank:
        fail(ctx, f"Concat dimension must be in range [{-rank}, {rank}), got {concat_dim}")
    axis = concat_dim % rank
    for i, shape in enumerate(shapes[1:], 1):
        if shape.size != rank:
            fail(ctx, f"Ranks of all input tensors must match: expected {rank} but got "
                      f"{shape.size} at position {i}")
        for d in range(rank):
            if d != axis and shape[d] != shapes[0][d]:
                fail(ctx, f"Input shapes must match: expected {shapes[0][d]} for dimension {d} "
                          f"but got {shape[d]} at position {i}")
    offsets = np.cumsum([0] + [int(s[axis]) for s in shapes[:-1]])
    parts = []
    for part, offset in zip(indices, offsets):
        part = _matrix(ctx, part).copy()
        part[:, axis] += offset
        parts.append(part)
    joined = np.concatenate(parts)
    order = _lex_order(joined)
    out_shape = shapes[0].copy()
    out_shape[axis] = sum(int(s[axis]) for s in shapes)
    return joined[order], np.concatenate([np.asarray(v) for v in values])[order], out_shape


@register_op("SparseFillEmptyRows",
             inputs=["indices: int64", "values: T", "dense_shape: int64", "default_value: T"],
             outputs=["output_indices: int64", "output_values: T", "empty_row_indicator: bool",
                      "reverse_index_map: int64"],
             attrs=["T: type"])
def _sparse_fill_empty_rows(ctx, indices, values, dense_shape, default_value, **_):
    indices = _matrix(ctx, indices)
    values = np.asarray(values)
    shape = np.asarray(dense_shape, np.int64).reshape(-1)
    if np.asarray(default_value).ndim != 0:
        fail(ctx, f"default_value must be a scalar, saw: {_dims(np.shape(default_value))}")
    if shape.size == 0:
        fail(ctx, "dense_shape must be a vector of length >= 1")
    nrows = int(shape[0])
    rows = indices[:, 0] if indices.size else np.zeros(indices.shape[0], np.int64)
    bad = np.flatnonzero((rows < 0) | (rows >= nrows))
    if bad.size:
        fail(ctx, f"indices({bad[0]}, 0) is invalid: {rows[bad[0]]} >= {nrows}")
    counts = np.bincount(rows, minlength=nrows)
    empty = counts == 0
    per_row = np.maximum(counts, 1)
    starts = np.cumsum(per_row) - per_row
    order = np.argsort(rows, kind="stable")
    rank_in_row = np.empty(rows.size, np.int64)
    rank_in_row[order] = np.arange(rows.size) - (np.cumsum(counts) - counts)[rows[order]]
    reverse = starts[rows] + rank_in_row if rows.size else np.zeros(0, np.int64)
    total = int(per_row.sum())
    out_indices = np.zeros((total, indices.shape[1]), np.int64)
    out_values = np.empty(total, values.dtype)
    empty_rows = np.flatnonzero(empty)
    out_indices[starts[empty_rows], 0] = empty_rows
    out_values[starts[empty_rows]] = default_value
    out_indices[reverse] = indices
    out_values[reverse] = values
    return out_indices, out_values, empty, reverse.astype(np.int64)


@register_op("SparseReorder",
             inputs=["input_indices: int64", "input_values: T", "input_shape: int64"],
             outputs=["output_indices: int64", "output_values: T"],
             attrs=["T: type"])
def _sparse_reorder(ctx, indices, values, shape, **_):
    indices = _matrix(ctx, indices, "Input indices")
    order = _lex_order(indices)
    return indices[order], np.asarray(values)[order]


@register_op("SparseReshape",
             inputs=["input_indices: int64", "input_shape: int64", "new_shape: int64"],
             outputs=["output_indices: int64", "output_shape: int64"])
def _sparse_reshape(ctx, indices, input_shape, new_shape):
    indices = _matrix(ctx, indices, "Input indices")
    old = np.asarray(input_shape, np.int64).reshape(-1)
    new = np.asarray(new_shape, np.int64).reshape(-1).copy()
    dense = int(np.prod(old))
    unknown = np.flatnonzero(new == -1)
    if unknown.size > 1:
        fail(ctx, f"only one output dimension may be -1, not both {unknown[0]} and {unknown[1]}")
    known = int(np.prod(new[new != -1]))
    if unknown.size:
        if known == 0 or dense % known:
            fail(ctx, f"Input to reshape is a SparseTensor with {dense} dense values, but the "
                      f"requested shape requires a multiple of {known}. input_shape={_dims(old)} "
                      f"output_shape={_dims(np.where(new == -1, dense // max(known, 1), new))}")
        new[unknown[0]] = dense // known
    elif known != dense:
        fail(ctx, f"Input to reshape is a tensor with {dense} dense values, but the requested "
                  f"shape has {known}. input_shape={_dims(old)} output_shape={_dims(new)}")
    linear = _linear(indices, old)
    out = np.stack(np.unravel_index(linear, tuple(new)), axis=1) if new.size else \
        np.zeros((indices.shape[0], 0), np.int64)
    return out.astype(np.int64).reshape(indices.shape[0], new.size), new


@register_op("SparseSlice",
             inputs=["indices: int64", "values: T", "shape: int64", "start: int64", "size: int64"],
             outputs=["output_indices: int64", "output_values: T", "output_shape: int64"],
             attrs=["T: type"])
def _sparse_slice(ctx, indices, values, shape, start, size, **_):
    indices = _matrix(ctx, indices, "Input indices")
    shape, start, size = (np.asarray(a, np.int64).reshape(-1) for a in (shape, start, size))
    if not shape.size == start.size == size.size:
        fail(ctx, f"Expected start and size to have the length of shape {shape.size}, got "
                  f"{start.size} and {size.size}")
    end = np.minimum(start + size, shape)
    keep = np.all((indices >= start) & (indices < end), axis=1)
    out_shape = np.maximum(np.minimum(start + size, shape) - start, 0)
    return indices[keep] - start, np.asarray(values)[keep], out_shape


@register_op("SparseTensorDenseMatMul",
             inputs=["a_indices: Tindices", "a_values: T", "a_shape: int64", "b: T"],
             outputs=["product: T"],
             attrs=["T: type", "Tindices: type {int32, int64} = DT_INT64",
                    "adjoint_a: bool = false", "adjoint_b: bool = false"])
def _sparse_tensor_dense_mat_mul(ctx, a_indices, a_values, a_shape, b, *, adjoint_a, adjoint_b,
                                 **_):
    indices = _matrix(ctx, a_indices, "a_indices")
    values, b = np.asarray(a_values), np.asarray(b)
    b_dims = _dims(b.shape)
    shape = np.asarray(a_shape, np.int64).reshape(-1)
    if shape.size != 2 or b.ndim != 2:
        fail(ctx, f"Tensor 'a_shape' and 'b' must be matrices: a_shape={_dims(shape)}, "
                  f"b={_dims(b.shape)}")
    rows, cols = (indices[:, 1], indices[:, 0]) if adjoint_a else (indices[:, 0], indices[:, 1])
    m, k = (shape[1], shape[0]) if adjoint_a else (shape[0], shape[1])
    if adjoint_a:
        values = np.conj(values)
    b = np.conj(b.T) if adjoint_b else b
    if k != b.shape[0]:
        fail(ctx, f"Cannot multiply A and B because inner dimension does not match: {k} vs. "
                  f"{b.shape[0]}.  Did you forget a transpose?  Dimensions of A: [{shape[0]}, "
                  f"{shape[1]}).  Dimensions of B: {b_dims}")
    for name, idx, limit, col in (("m", rows, m, int(adjoint_a)), ("k", cols, k, 1 - adjoint_a)):
        bad = np.flatnonzero((idx < 0) | (idx >= limit))
        if bad.size:
            fail(ctx, f"{name} ({idx[bad[0]]}) from index[{bad[0]},{col}] out of bounds "
                      f"(>={limit})")
    out = np.zeros((int(m), b.shape[1]), np.result_type(values.dtype, b.dtype))
    np.add.at(out, rows, values[:, None] * b[cols])
    return (out.astype(b.dtype, copy=False),)


@register_op("SparseToDense",
             inputs=["sparse_indices: Tindices", "output_shape: Tindices", "sparse_values: T",
                     "default_value: T"],
             outputs=["dense: T"],
             attrs=["validate_indices: bool = true", "T: type", "Tindices: type {int32, int64}"])
def _sparse_to_dense(ctx, sparse_indices, output_shape, sparse_values, default_value, *,
                     validate_indices, **_):
    shape = np.asarray(output_shape, np.int64).reshape(-1)
    indices = np.asarray(sparse_indices, np.int64)
    indices = indices.reshape(-1, 1) if indices.ndim < 2 else indices
    values, default = np.asarray(sparse_values), np.asarray(default_value)
    count = indices.shape[0]
    if values.ndim != 0 and values.shape != (count,):
        fail(ctx, f"sparse_values has incorrect shape {_dims(values.shape)}, should be [] or "
                  f"[{count}]")
    if default.ndim != 0:
        fail(ctx, "default_value should be a scalar.")
    in_bounds = np.all((indices >= 0) & (indices < shape), axis=1)
    if validate_indices:
        _validate_sorted(ctx, indices, shape, in_bounds)
    elif not in_bounds.all():
        fail(ctx, f"Indices are not valid (out of bounds).  Shape: {_dims(shape)}")
    out = zeros(tuple(shape), default.dtype)
    out[...] = default
    out.reshape(-1)[_linear(indices, shape)] = values
    return (out,)


def _validate_sorted(ctx: Any, indices: np.ndarray, shape: np.ndarray, in_bounds: Any) -> None:
    """SparseTensor::IndicesValid: in bounds, strictly increasing in row-major order."""
    bad = np.flatnonzero(~in_bounds)
    if bad.size:
        fail(ctx, f"indices[{bad[0]}] = {_dims(indices[bad[0]])} is out of bounds: need 0 <= "
                  f"index < {_dims(shape)}")
    linear = _linear(indices, shape)
    step = np.diff(linear)
    wrong = np.flatnonzero(step <= 0)
    if wrong.size:
        i = wrong[0] + 1
        if step[wrong[0]] == 0:
            fail(ctx, f"indices[{i}] = {_dims(indices[i])} is repeated")
        fail(ctx, f"indices[{i}] = {_dims(indices[i])} is out of order. Many sparse ops require "
                  "sorted indices.\n    Use `tf.sparse.reorder` to create a correctly ordered copy."
                  "\n\n")
