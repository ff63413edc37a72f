"""Ragged tensor ops: RaggedTensorToTensor, RaggedTensorToSparse, RaggedGather, RaggedRange and the
RaggedTensorToVariant / RaggedTensorFromVariant encoding.

Mirrors ``tensorflow/core/ops/ragged_*_ops.cc`` and ``tensorflow/core/kernels/ragged_*.cc``. A ragged
tensor arrives as its flat values plus one row partition per ragged dimension: ``ROW_SPLITS``
(``splits[i]:splits[i+1]`` are row i's children) or, after a ``FIRST_DIM_SIZE`` scalar,
``VALUE_ROWIDS`` (the parent row of every child). Kernels map every element to its position in
the dense result level by level, with vectorized NumPy. An encoded ragged tensor (DT_VARIANT) is a
``RaggedComponent``: a scalar variant is the object itself, a batch is an object array of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from savedmodel.ops._array_common import fail, shape_str, zeros
from savedmodel.ops.registry import register_op


@dataclass(frozen=True, eq=False)
class RaggedComponent:
    """One encoded ragged tensor (TensorFlow's RaggedTensorVariant): nested splits and values."""

    splits: tuple[np.ndarray, ...]
    values: np.ndarray

    @property
    def ragged_rank(self) -> int:
        return len(self.splits)

    @property
    def nrows(self) -> int:
        return self.splits[0].size - 1 if self.splits else self.values.shape[0]


def ranges(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """The concatenation of ``arange(starts[i], ends[i])`` for every i, without a Python loop."""
    lengths = np.maximum(ends - starts, 0).astype(np.int64)
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, np.int64)
    offsets = np.repeat(np.cumsum(lengths) - lengths, lengths)
    return np.repeat(starts.astype(np.int64), lengths) + np.arange(total) - offsets


def _level_from_splits(splits: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """(parent, position in parent, longest row) of each child of a ROW_SPLITS partition."""
    splits = splits.astype(np.int64)
    lengths = np.diff(splits)
    parent = np.repeat(np.arange(len(lengths)), np.maximum(lengths, 0))
    position = np.arange(parent.size) + splits[0] - splits[:-1][parent]
    return parent, position, int(lengths.max()) if len(lengths) else 0


def _level_from_rowids(rowids: np.ndarray, nrows: int) -> tuple[np.ndarray, np.ndarray, int]:
    """(parent, position in parent, longest row) of each child of a VALUE_ROWIDS partition."""
    rowids = rowids.astype(np.int64)
    first = np.searchsorted(rowids, rowids, side="left")
    counts = np.bincount(rowids, minlength=nrows) if rowids.size else np.zeros(nrows, np.int64)
    return rowids, np.arange(rowids.size) - first, int(counts.max()) if counts.size else 0


def _levels(ctx: Any, types: list[str], tensors: list[np.ndarray]) -> tuple[int, list]:
    """The number of rows and, per ragged dimension, (parent, position, longest row)."""
    tensors = [np.asarray(t) for t in tensors]
    if types[0] == "FIRST_DIM_SIZE":
        nrows, rest_types, rest = int(tensors[0]), types[1:], tensors[1:]
    elif types[0] == "ROW_SPLITS":
        nrows, rest_types, rest = tensors[0].size - 1, types, tensors
    else:
        fail(ctx, f"Cannot handle partition type {types[0]} as the first partition type.")
    levels, parents = [], nrows
    for kind, tensor in zip(rest_types, rest):
        if kind == "ROW_SPLITS":
            level = _level_from_splits(tensor.reshape(-1))
        elif kind == "VALUE_ROWIDS":
            level = _level_from_rowids(tensor.reshape(-1), parents)
        else:
            fail(ctx, f"Unsupported partition type {kind} after the first partition.")
        levels.append(level)
        parents = level[0].size
    return nrows, levels


def _output_shape(ctx: Any, shape: Any, nrows: int, levels: list, values: np.ndarray) -> tuple:
    computed = (nrows,) + tuple(level[2] for level in levels) + values.shape[1:]
    shape = np.asarray(shape)
    if shape.ndim == 0:
        if int(shape) != -1:
            fail(ctx, "The only valid scalar shape tensor is the fully unknown shape specified "
                      "as -1.")
        return computed
    dims = [int(d) for d in shape.reshape(-1)]
    if len(dims) != len(computed):
        fail(ctx, f"rt_input.shape and shape={shape_str(dims)} are incompatible: rt_input.rank = "
                  f"{len(computed)} but shape.rank = {len(dims)}")
    ragged_rank = len(levels) + 1
    for axis in range(ragged_rank, len(dims)):
        if dims[axis] not in (-1, computed[axis]):
            fail(ctx, f"rt_input.shape and shape={shape_str(dims)} are incompatible: "
                      f"rt_input.shape[{axis}] = {computed[axis]} but shape[{axis}] = "
                      f"{dims[axis]}")
    return tuple(c if d == -1 else d for d, c in zip(dims, computed))


@register_op("RaggedGather",
             inputs=["params_nested_splits: PARAMS_RAGGED_RANK * Tsplits",
                     "params_dense_values: Tvalues", "indices: Tindices"],
             outputs=["output_nested_splits: OUTPUT_RAGGED_RANK * Tsplits",
                      "output_dense_values: Tvalues"],
             attrs=["Tvalues: type", "Tindices: type {int32, int64}",
                    "Tsplits: type {int32, int64} = DT_INT64", "PARAMS_RAGGED_RANK: int >= 1",
                    "OUTPUT_RAGGED_RANK: int >= 0"])
def _ragged_gather(ctx, splits, values, indices, *, Tsplits, **_):
    indices = np.asarray(indices)
    splits = [np.asarray(s).astype(np.int64) for s in splits]
    nrows = splits[0].size - 1
    flat = indices.reshape(-1).astype(np.int64)
    bad = np.flatnonzero((flat < 0) | (flat >= nrows))
    if bad.size:
        fail(ctx, f"indices[{bad[0]}] = {flat[bad[0]]} is not in [0, {nrows})")
    out_splits = _uniform_splits(indices.shape)
    starts, ends = splits[0][flat], splits[0][flat + 1]
    for level in splits[1:] + [None]:
        out_splits.append(np.concatenate([[0], np.cumsum(ends - starts)]))
        children = ranges(starts, ends)
        if level is None:
            break
        starts, ends = level[children], level[children + 1]
    result_values = np.asarray(values)[children]
    if indices.ndim == 0:  # a scalar index selects one row: its own splits start the result
        out_splits = out_splits[1:]
    out_splits = [s.astype(Tsplits.numpy) for s in out_splits]
    return out_splits, result_values


def _uniform_splits(shape: tuple) -> list[np.ndarray]:
    """Row splits of the uniform dimensions that a multi-dimensional ``indices`` adds."""
    out = []
    for d in range(len(shape) - 1):
        rows = int(np.prod(shape[:d + 1]))
        out.append(np.arange(rows + 1, dtype=np.int64) * shape[d + 1])
    return out


@register_op("RaggedRange",
             inputs=["starts: T", "limits: T", "deltas: T"],
             outputs=["rt_nested_splits: Tsplits", "rt_dense_values: T"],
             attrs=["T: type {bfloat16, float, double, int32, int64} = DT_INT32",
                    "Tsplits: type {int32, int64} = DT_INT64"])
def _ragged_range(ctx, starts, limits, deltas, *, T, Tsplits):
    args = [np.asarray(a) for a in (starts, limits, deltas)]
    for name, arg in zip(("starts", "limits", "deltas"), args):
        if arg.ndim > 1:
            fail(ctx, f"{name} must be a scalar or vector")
    sizes = {a.size for a in args if a.ndim == 1}
    if len(sizes) > 1:
        fail(ctx, "starts, limits, and deltas must have the same shape")
    nrows = sizes.pop() if sizes else 1
    starts, limits, deltas = (np.broadcast_to(a, (nrows,)) for a in args)
    if np.any(deltas == 0):
        fail(ctx, "Requires delta != 0")
    lengths = _range_sizes(starts, limits, deltas, T)
    values = [_range_row(s, d, n, T) for s, d, n in zip(starts, deltas, lengths.tolist())]
    splits = np.concatenate([[0], np.cumsum(lengths)]).astype(Tsplits.numpy)
    dense = np.concatenate(values) if values else np.zeros(0, T.numpy)
    return splits, dense.astype(T.numpy, copy=False)


def _range_sizes(starts: np.ndarray, limits: np.ndarray, deltas: np.ndarray, T: Any) -> np.ndarray:
    """Row sizes: ceil(|limit - start| / |delta|), 0 when delta points away from limit."""
    empty = ((deltas > 0) & (limits < starts)) | ((deltas < 0) & (limits > starts))
    if T.numpy.kind in "iu":
        span, step = np.abs(limits.astype(np.int64) - starts), np.abs(deltas.astype(np.int64))
        sizes = (span + step - 1) // step
    else:
        compute = np.float64 if T.numpy == np.float64 else np.float32
        diff = (limits.astype(compute) - starts.astype(compute)).astype(T.numpy).astype(compute)
        sizes = np.ceil(np.abs((diff / deltas.astype(compute)).astype(T.numpy).astype(compute)))
    return np.where(empty, 0, sizes).astype(np.int64)


def _range_row(start: Any, delta: Any, size: int, T: Any) -> np.ndarray:
    """One row, accumulated like TensorFlow (value += delta), so floats round the same way."""
    steps = np.full(size, delta, dtype=T.numpy)
    if size:
        steps[0] = start
    return np.add.accumulate(steps, dtype=T.numpy) if size else steps


@register_op("RaggedTensorToSparse",
             inputs=["rt_nested_splits: RAGGED_RANK * Tsplits", "rt_dense_values: T"],
             outputs=["sparse_indices: int64", "sparse_values: T", "sparse_dense_shape: int64"],
             attrs=["RAGGED_RANK: int >= 1", "T: type", "Tsplits: type {int32, int64} = DT_INT64"])
def _ragged_tensor_to_sparse(ctx, splits, values, **_):
    values = np.asarray(values)
    levels = [_level_from_splits(np.asarray(s).reshape(-1)) for s in splits]
    _check_splits(ctx, splits, values)
    count = values.shape[0]
    columns, index = [], np.arange(count)
    for parent, position, _longest in reversed(levels):
        columns.append(position[index])
        index = parent[index]
    columns.append(index)
    ragged = np.stack(columns[::-1], axis=1) if count else np.zeros((0, len(levels) + 1), np.int64)
    inner = values.shape[1:]
    if inner:
        dense = np.indices(inner).reshape(len(inner), -1).T
        per = dense.shape[0]
        ragged = np.concatenate([np.repeat(ragged, per, axis=0), np.tile(dense, (count, 1))],
                                axis=1)
    shape = [np.asarray(splits[0]).size - 1] + [lv[2] for lv in levels] + list(inner)
    return (ragged.astype(np.int64), values.reshape(-1), np.asarray(shape, dtype=np.int64))


def _check_splits(ctx: Any, splits: list, values: np.ndarray) -> None:
    """Validates nested splits like RaggedTensorToSparseOp (start 0, sorted, ends match)."""
    for i, s in enumerate(splits):
        s = np.asarray(s)
        if s.size == 0:
            fail(ctx, "ragged splits may not be empty.")
        if s[0] != 0:
            fail(ctx, "First value of ragged splits must be 0.")
        if np.any(np.diff(s) < 0):
            fail(ctx, "Ragged splits should be non decreasing.")
        limit = np.asarray(splits[i + 1]).size - 1 if i + 1 < len(splits) else values.shape[0]
        if s[-1] != limit:
            fail(ctx, "Final value of ragged splits must match the length the corresponding "
                      "ragged values.")


@register_op("RaggedTensorToTensor",
             inputs=["shape: Tshape", "values: T", "default_value: T",
                     "row_partition_tensors: num_row_partition_tensors * Tindex"],
             outputs=["result: T"],
             attrs=["T: type", "Tindex: type {int64, int32}", "Tshape: type {int64, int32}",
                    "num_row_partition_tensors: int >= 1", "row_partition_types: list(string)"])
def _ragged_tensor_to_tensor(ctx, shape, values, default_value, partitions, *,
                             row_partition_types, **_):
    values = np.asarray(values)
    nrows, levels = _levels(ctx, list(row_partition_types), partitions)
    out_shape = _output_shape(ctx, shape, nrows, levels, values)
    default = np.asarray(default_value, dtype=values.dtype)
    inner = out_shape[len(levels) + 1:]
    try:
        default = np.broadcast_to(default, inner)
    except ValueError:
        fail(ctx, f"default_value.shape={shape_str(default.shape)} and rt_input.flat_values.shape="
                  f"{shape_str(values.shape)} are incompatible")
    out = zeros(out_shape, values.dtype)
    out[...] = default
    position = _dense_positions(nrows, levels, out_shape[:len(levels) + 1])
    keep = position >= 0
    flat = out.reshape((-1,) + tuple(inner))
    flat[position[keep]] = values[:position.size][keep]
    return (out,)


def _dense_positions(nrows: int, levels: list, dims: tuple) -> np.ndarray:
    """Each flat value's row in the output viewed as ``[prod(dims), *inner]``; -1 when cut off."""
    index = np.where(np.arange(nrows) < dims[0], np.arange(nrows), -1)
    for (parent, position, _), dim in zip(levels, dims[1:]):
        parent_index = index[parent] if parent.size else np.zeros(0, np.int64)
        index = np.where((parent_index >= 0) & (position < dim), parent_index * dim + position, -1)
    return index.astype(np.int64)


@register_op("RaggedTensorFromVariant",
             inputs=["encoded_ragged: variant"],
             outputs=["output_nested_splits: output_ragged_rank * Tsplits",
                      "output_dense_values: Tvalues"],
             attrs=["input_ragged_rank: int >= -1", "output_ragged_rank: int >= 0",
                    "Tvalues: type", "Tsplits: type {int32, int64} = DT_INT64"])
def _ragged_tensor_from_variant(ctx, encoded, *, input_ragged_rank, output_ragged_rank,
                                Tvalues, Tsplits):
    encoded = encoded if isinstance(encoded, np.ndarray) else np.asarray(encoded, dtype=object)
    if input_ragged_rank == -1:
        input_ragged_rank = output_ragged_rank - encoded.ndim
    if output_ragged_rank != input_ragged_rank + encoded.ndim:
        fail(ctx, f"output_ragged_rank ({output_ragged_rank}) must be equal to input_ragged_rank "
                  f"+ encoded_ragged.dims ({input_ragged_rank} + {encoded.ndim})")
    parts = [p[()] if isinstance(p, np.ndarray) else p for p in encoded.reshape(-1)]
    for part in parts:
        if part.values.dtype != Tvalues.numpy:
            fail(ctx, f"Expected values Tensor dtype: {_tf_name(Tvalues)}, found: "
                      f"{_tf_name_np(part.values.dtype)}")
        if part.splits and part.splits[0].dtype != Tsplits.numpy:
            fail(ctx, f"Expected row_splits Tensor dtype: {_tf_name(Tsplits)}, found: "
                      f"{_tf_name_np(part.splits[0].dtype)}")
        if part.ragged_rank != input_ragged_rank:
            fail(ctx, f"Encoded input RaggedTensorVariant has ragged_rank={part.ragged_rank}.  "
                      f"Expected ragged_rank={input_ragged_rank}.")
    if encoded.ndim == 0:
        part = parts[0]
        return [s.astype(Tsplits.numpy) for s in part.splits], part.values
    splits = _uniform_splits(encoded.shape)
    splits.append(np.cumsum([0] + [p.nrows for p in parts]))
    for level in range(input_ragged_rank):
        pieces = [p.splits[level] for p in parts]
        offsets = np.cumsum([0] + [int(piece[-1]) for piece in pieces[:-1]])
        splits.append(np.concatenate([[0]] + [piece[1:] + off
                                              for piece, off in zip(pieces, offsets)]))
    values = (np.concatenate([p.values for p in parts]) if parts
              else np.zeros((0,), Tvalues.numpy))
    return [s.astype(Tsplits.numpy) for s in splits], values


def _tf_name(dtype: Any) -> str:
    return {"float32": "float", "float64": "double", "float16": "half"}.get(dtype.name, dtype.name)


def _tf_name_np(dtype: np.dtype) -> str:
    names = {"float32": "float", "float64": "double", "float16": "half", "object": "string"}
    return names.get(dtype.name, dtype.name)


@register_op("RaggedTensorToVariant",
             inputs=["rt_nested_splits: RAGGED_RANK * Tsplits", "rt_dense_values: Tvalues"],
             outputs=["encoded_ragged: variant"],
             attrs=["RAGGED_RANK: int >= 0", "Tvalues: type",
                    "Tsplits: type {int32, int64} = DT_INT64", "batched_input: bool"])
def _ragged_tensor_to_variant(ctx, splits, values, *, batched_input, **_):
    splits = [np.asarray(s) for s in splits]
    values = np.asarray(values)
    if not batched_input:
        return (RaggedComponent(tuple(splits), values),)
    if not splits:
        out = np.empty(values.shape[0], dtype=object)
        out[:] = [RaggedComponent((), row) for row in values]
        return (out,)
    nrows = splits[0].size - 1
    out = np.empty(nrows, dtype=object)
    out[:] = [_row_component(splits, values, i) for i in range(nrows)]
    return (out,)


def _row_component(splits: list, values: np.ndarray, row: int) -> RaggedComponent:
    """Row ``row`` of a ragged tensor as a component one ragged rank lower (splits rebased)."""
    start, end = int(splits[0][row]), int(splits[0][row + 1])
    nested = []
    for level in splits[1:]:
        piece = level[start:end + 1]
        nested.append(piece - piece[0])
        start, end = int(piece[0]), int(piece[-1])
    return RaggedComponent(tuple(nested), values[start:end])
