"""Array ops that index: Slice, StridedSlice (+ grad, update), Gather*, ScatterNd, TensorScatter*.

Mirrors ``tensorflow/core/util/strided_slice_op.cc`` (the sparse-to-dense slice spec, clamping and
masks), ``gather_op.cc``, ``gather_nd_op.cc`` and ``scatter_nd_op.cc``. Out-of-range indices are
errors, as in TensorFlow on CPU, unless ``bad_indices_policy`` is ``"IGNORE"``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from savedmodel.ops._array_common import (
    fail,
    index_string,
    int_vector,
    normalize_axis,
    shape_str,
    zero,
    zeros,
)
from savedmodel.ops.registry import add_op, make_op_def, register_op

_NEW_AXIS, _SHRINK_AXIS = -1, -2


def _dense_spec(ctx: Any, rank: int, begin: list, end: list, strides: list, masks: dict) -> tuple:
    """Expands the sparse slice spec (ellipsis, new axes) to one (begin, end, stride) per dim."""
    ellipsis_mask, sparse_dims = masks["ellipsis_mask"], len(begin)
    if ellipsis_mask & (ellipsis_mask - 1):
        fail(ctx, "Multiple ellipses in slice spec not allowed")
    new_after_ellipsis, seen = 0, False
    for i in range(sparse_dims):
        new_after_ellipsis += seen and bool(masks["new_axis_mask"] >> i & 1)
        seen = seen or bool(ellipsis_mask >> i & 1)
    if not seen:
        ellipsis_mask |= 1 << sparse_dims
        sparse_dims += 1
    # Per input dim: begin, end, stride, begin masked, end masked, shrink.
    dims = [[0, 0, 1, True, True, False] for _ in range(rank)]
    gather: list[int] = []
    full = 0
    for i in range(sparse_dims):
        if ellipsis_mask >> i & 1:
            stop = min(rank - (sparse_dims - i) + 1 + new_after_ellipsis, rank)
            gather.extend(range(full, stop))
            full = max(full, stop)
        elif masks["new_axis_mask"] >> i & 1:
            gather.append(_NEW_AXIS)
        else:
            if full == rank:
                fail(ctx, "Attempting to slice scalar input." if rank == 0 else
                     f"Index out of range using input dim {full}; input has only {rank} dims")
            shrink = bool(masks["shrink_axis_mask"] >> i & 1)
            dims[full] = [begin[i], end[i], strides[i], bool(masks["begin_mask"] >> i & 1),
                          bool(masks["end_mask"] >> i & 1), shrink]
            gather.append(_SHRINK_AXIS if shrink else full)
            full += 1
    return dims, gather


def _slice_dim(ctx: Any, i: int, size: int, spec: list) -> tuple[Any, int]:
    """One dim's NumPy index (an int when shrunk) and its length, with TF's clamping rules."""
    begin, end, stride, begin_masked, end_masked, shrink = spec
    if stride == 0:
        fail(ctx, f"strides[{i}] must be non-zero")
    if shrink:
        if stride <= 0:
            fail(ctx, "only stride 1 allowed on non-range indexing.")
        index = begin + size if begin < 0 else begin
        if not 0 <= index < size:
            fail(ctx, f"slice index {index} of dimension {i} out of bounds.")
        return index, 1
    lo, hi = (0, size) if stride > 0 else (-1, size - 1)

    def canonical(x: int, masked: bool, first: bool) -> int:
        if masked:
            return lo if first == (stride > 0) else hi
        x = x + size if x < 0 else x
        return min(max(x, lo), hi)

    begin, end = canonical(begin, begin_masked, True), canonical(end, end_masked, False)
    length = end - begin
    if length == 0 or (length < 0) != (stride < 0):
        return slice(0, 0), 0
    return slice(begin, end if end >= 0 else None, stride), -(-length // stride)


def _strided_slice_spec(ctx: Any, shape: tuple, begin: Any, end: Any, strides: Any,
                        masks: dict) -> tuple[tuple, tuple, tuple]:
    """(NumPy index, shape of ``x[index]``, final output shape) of a StridedSlice on ``shape``."""
    begin, end, strides = np.asarray(begin), np.asarray(end), np.asarray(strides)
    if not (begin.ndim == 1 and begin.shape == end.shape == strides.shape):
        fail(ctx, "Expected begin, end, and strides to be 1D equal size tensors, but got shapes "
                  f"{shape_str(begin.shape)}, {shape_str(end.shape)}, and "
                  f"{shape_str(strides.shape)} instead.")
    dims, gather = _dense_spec(ctx, len(shape), begin.tolist(), end.tolist(), strides.tolist(),
                               masks)
    index, lengths = [], []
    for i, size in enumerate(shape):
        item, length = _slice_dim(ctx, i, size, dims[i])
        index.append(item)
        lengths.append(length)
    sliced = tuple(n for n, spec in zip(lengths, dims) if not spec[5])
    final = tuple(1 if g == _NEW_AXIS else lengths[g] for g in gather if g != _SHRINK_AXIS)
    return tuple(index) + (Ellipsis,), sliced, final


_SLICE_MASK_ATTRS = ["begin_mask: int = 0", "end_mask: int = 0", "ellipsis_mask: int = 0",
                     "new_axis_mask: int = 0", "shrink_axis_mask: int = 0"]
_MASK_NAMES = ("begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask", "shrink_axis_mask")


def _masks(attrs: dict) -> dict:
    return {name: int(attrs[name]) for name in _MASK_NAMES}


_BAD_INDICES_POLICIES = ("", "DEFAULT", "ERROR", "IGNORE")


def _check_policy(ctx: Any, policy: str) -> None:
    if policy not in _BAD_INDICES_POLICIES:
        fail(ctx, f"Unknown bad indices handling attribute: {policy}")


def _bad_rows(flat: np.ndarray, limits: tuple) -> np.ndarray:
    if not flat.size:
        return np.zeros(flat.shape[0], dtype=bool)
    return np.asarray(((flat < 0) | (flat >= np.asarray(limits, dtype=np.int64))).any(axis=1))


def _valid_empty_output(num_out: int, num_indices: int, num_updates: int) -> bool:
    if num_indices == 0 and num_updates == 0:
        return True
    return num_out != 0 and num_indices != 0 and num_updates != 0


def _validate_update_shape(ctx: Any, shape: tuple, indices: np.ndarray,
                           updates: np.ndarray) -> None:
    slice_dim = indices.shape[-1] if indices.ndim > 1 else 1
    batch_dim = indices.ndim - 1 if indices.ndim > 1 else 1
    prefix = (f"Dimensions [0,{batch_dim}) of indices[shape={shape_str(indices.shape)}] must match "
              f"dimensions [0,{batch_dim}) of updates[shape={shape_str(updates.shape)}]")
    suffix = (f"Dimensions [{slice_dim},{len(shape)}) of input[shape={shape_str(shape)}] must "
              f"match dimensions [{batch_dim},{updates.ndim}) of "
              f"updates[shape={shape_str(updates.shape)}]")
    if updates.ndim < batch_dim:
        fail(ctx, prefix)
    if len(shape) < slice_dim + (updates.ndim - batch_dim) or \
            updates.ndim != batch_dim + len(shape) - slice_dim:
        fail(ctx, suffix)
    if updates.shape[:batch_dim] != indices.shape[:batch_dim]:
        fail(ctx, prefix)
    if updates.shape[batch_dim:] != tuple(shape[slice_dim:]):
        fail(ctx, suffix)


def _validate_scatter(ctx: Any, shape: tuple, indices: np.ndarray, updates: np.ndarray) -> None:
    if indices.ndim < 1:
        fail(ctx, f"Indices shape must have rank at least one. Found:{shape_str(indices.shape)}")
    if updates.ndim < 1:
        fail(ctx, f"Updates shape must have rank at least one. Found:{shape_str(updates.shape)}")
    _validate_update_shape(ctx, shape, indices, updates)
    if len(shape) < 1:
        fail(ctx, f"Output must be at least 1-D, got shape: {shape_str(shape)}")
    if not _valid_empty_output(math.prod(shape), indices.size, updates.size):
        fail(ctx, "Indices and updates specified for empty output.  indices shape: "
                  f"{shape_str(indices.shape)}")


def _validate_tensor_scatter(ctx: Any, tensor: np.ndarray, indices: np.ndarray,
                             updates: np.ndarray) -> None:
    if indices.ndim < 1:
        fail(ctx, f"Indices shape must have rank at least one. Found:{shape_str(indices.shape)}")
    if updates.ndim < 1:
        fail(ctx, f"Updates shape must have rank at least one. Found:{shape_str(updates.shape)}")
    if not _valid_empty_output(tensor.size, indices.size, updates.size):
        fail(ctx, "Indices and updates specified for empty output shape")
    outer = indices.ndim - 1
    if indices.shape[:outer] != updates.shape[:outer]:
        fail(ctx, "Outer dimensions of indices and update must match. Indices shape: "
                  f"{shape_str(indices.shape)}, updates shape:{shape_str(updates.shape)}")
    ix = indices.shape[outer]
    if updates.ndim - outer != tensor.ndim - ix:
        fail(ctx, "Inner dimensions of output shape must match inner dimensions of updates shape. "
                  f"Output: {shape_str(tensor.shape)} updates: {shape_str(updates.shape)}")
    if updates.shape[outer:] != tensor.shape[ix:]:
        fail(ctx, f"The inner {tensor.ndim - ix} dimensions of output.shape="
                  f"{shape_str(tensor.shape)} must match the inner {updates.ndim - outer} "
                  f"dimensions of updates.shape={shape_str(updates.shape)}")
    _validate_scatter(ctx, tensor.shape, indices, updates)


def _scatter_into(ctx: Any, out: np.ndarray, indices: Any, updates: Any, mode: str,
                  policy: str) -> np.ndarray:
    """Applies ``updates`` at ``indices`` to ``out`` in place (add/sub/max/min accumulate)."""
    _check_policy(ctx, policy)
    depth = indices.shape[-1] if indices.ndim > 1 else 1
    count = math.prod(indices.shape[:-1]) if indices.ndim > 1 else indices.size
    flat = indices.reshape(count, depth).astype(np.int64, copy=False)
    values = updates.reshape((count,) + out.shape[depth:])
    bad = _bad_rows(flat, out.shape[:depth])
    if bad.any():
        if policy != "IGNORE":
            row = int(np.argmax(bad))
            fail(ctx, f"indices[{row}] = [{', '.join(map(str, flat[row].tolist()))}] does not "
                      f"index into shape {shape_str(out.shape)}")
        flat, values = flat[~bad], values[~bad]
    target = tuple(flat.T)
    if mode == "update":
        out[target] = values
    elif mode == "add":
        np.add.at(out, target, values)
    elif mode == "sub":
        np.subtract.at(out, target, values)
    else:  # TF keeps the old value unless old < new (max): a NaN update never wins.
        if out.dtype.kind == "f":
            fill = -np.inf if mode == "max" else np.inf
            values = np.where(np.isnan(values), values.dtype.type(fill), values)
        with np.errstate(invalid="ignore"):
            (np.maximum if mode == "max" else np.minimum).at(out, target, values)
    return out


def _tensor_scatter(mode: str):
    def kernel(ctx: Any, tensor: Any, indices: Any, updates: Any, *, bad_indices_policy: str,
               **_: Any) -> tuple:
        tensor, indices, updates = np.asarray(tensor), np.asarray(indices), np.asarray(updates)
        _validate_tensor_scatter(ctx, tensor, indices, updates)
        return (_scatter_into(ctx, tensor.copy(), indices, updates, mode, bad_indices_policy),)
    return kernel


_TENSOR_SCATTER_OPS = [
    ("TensorScatterUpdate", "update", "{int16, int32, int64, uint16}"),
    ("TensorScatterAdd", "add", "{int32, int64}"),
    ("TensorScatterSub", "sub", "{int32, int64}"),
    ("TensorScatterMax", "max", "{int32, int64}"),
    ("TensorScatterMin", "min", "{int32, int64}"),
]
for _name, _mode, _index_types in _TENSOR_SCATTER_OPS:
    add_op(make_op_def(_name, ["tensor: T", "indices: Tindices", "updates: T"], ["output: T"],
                       ["T: type", f"Tindices: type {_index_types}",
                        "bad_indices_policy: string = ''"]), _tensor_scatter(_mode))


def _gather(ctx: Any, params: Any, indices: Any, axis: int, batch_dims: int) -> np.ndarray:
    params, indices = np.asarray(params), np.asarray(indices)
    n = params.shape[axis]
    if indices.size and (indices.min() < 0 or indices.max() >= n):
        bad = (indices < 0) | (indices >= n)
        where = np.unravel_index(int(np.argmax(bad)), indices.shape)
        position = index_string(where) if indices.ndim else ""
        fail(ctx, f"indices{position} = {indices[where]} is not in [0, {n})")
    if batch_dims == 0:
        return np.take(params, indices, axis=axis)
    batch_shape = params.shape[:batch_dims]
    batch, outer = math.prod(batch_shape), math.prod(params.shape[batch_dims:axis])
    inner_shape = params.shape[axis + 1:]
    count = math.prod(indices.shape[batch_dims:])
    p = params.reshape(batch, outer, n, math.prod(inner_shape))
    i = indices.reshape(batch, count)
    out = p[np.arange(batch)[:, None, None], np.arange(outer)[None, :, None], i[:, None, :]]
    return out.reshape(params.shape[:axis] + indices.shape[batch_dims:] + inner_shape)


@register_op("Gather",
             inputs=["params: Tparams", "indices: Tindices"],
             outputs=["output: Tparams"],
             attrs=["validate_indices: bool = true", "Tparams: type",
                    "Tindices: type {int32, int64}"])
def _gather_v1(ctx, params, indices, **_):
    if np.ndim(params) < 1:
        fail(ctx, "Shape must be at least rank 1 but is rank 0")
    return (_gather(ctx, params, indices, 0, 0),)


@register_op("GatherNd",
             inputs=["params: Tparams", "indices: Tindices"],
             outputs=["output: Tparams"],
             attrs=["Tparams: type", "Tindices: type {int16, int32, int64}",
                    "bad_indices_policy: string = ''"])
def _gather_nd(ctx, params, indices, *, bad_indices_policy, **_):
    params, indices = np.asarray(params), np.asarray(indices)
    _check_policy(ctx, bad_indices_policy)
    if params.ndim < 1:
        fail(ctx, "params must be at least a vector")
    if indices.ndim < 1:
        fail(ctx, "indices must be at least a vector")
    depth = indices.shape[-1]
    if depth > params.ndim:
        fail(ctx, "index innermost dimension length must be <= params rank; saw: "
                  f"{depth} vs. {params.ndim}")
    batch_shape, slice_shape = indices.shape[:-1], params.shape[depth:]
    count = math.prod(batch_shape)
    if count and params.size == 0:
        fail(ctx, "Requested more than 0 entries, but params is empty.  Params shape: "
                  f"{shape_str(params.shape)}")
    flat = indices.reshape(count, depth).astype(np.int64, copy=False)
    bad = _bad_rows(flat, params.shape[:depth])
    if bad.any() and bad_indices_policy != "IGNORE":
        row = int(np.argmax(bad))
        where = index_string(np.unravel_index(row, batch_shape)) if batch_shape else ""
        fail(ctx, f"indices{where} = [{', '.join(map(str, flat[row].tolist()))}] does not index "
                  f"into param shape {shape_str(params.shape)}, node name: {ctx.node_name}")
    if depth == 0:  # every index names the whole of params
        picked = np.broadcast_to(params, (count,) + params.shape).copy()
    else:
        picked = params[tuple(np.where(bad[:, None], 0, flat).T)]
    if bad.any():
        picked = np.where(bad.reshape((count,) + (1,) * len(slice_shape)), zero(params.dtype),
                          picked)
    return (picked.reshape(batch_shape + slice_shape),)


@register_op("GatherV2",
             inputs=["params: Tparams", "indices: Tindices", "axis: Taxis"],
             outputs=["output: Tparams"],
             attrs=["batch_dims: int = 0", "Tparams: type", "Tindices: type {int16, int32, int64}",
                    "Taxis: type {int32, int64}"])
def _gather_v2(ctx, params, indices, axis, *, batch_dims, **_):
    rank, index_rank = np.ndim(params), np.ndim(indices)
    if np.ndim(axis) != 0:
        fail(ctx, "axis must be scalar")
    if rank == 0:
        fail(ctx, "params must be at least 1 dimensional")
    axis = int(axis)
    axis = normalize_axis(ctx, axis, rank,
                          f"Expected axis in the range [{-rank}, {rank}), but got {axis}")
    if batch_dims:
        if not -index_rank <= batch_dims <= index_rank:
            fail(ctx, f"Expected batch_dims in the range [{-index_rank}, {index_rank}], but got "
                      f"{batch_dims}")
        batch_dims = batch_dims + index_rank if batch_dims < 0 else batch_dims
        if batch_dims >= rank:
            fail(ctx, f"batch_dims ({batch_dims}) must be less than rank(params) ({rank}).")
        if axis < batch_dims:
            fail(ctx, f"batch_dims ({batch_dims}) must be less than or equal to axis ({axis}).")
        for i in range(batch_dims):
            p, q = np.shape(params)[i], np.shape(indices)[i]
            if p != q:
                fail(ctx, f"params.shape[{i}]: {p} should be equal to indices.shape[{i}]: {q}")
    return (_gather(ctx, params, indices, axis, batch_dims),)


@register_op("ScatterNd",
             inputs=["indices: Tindices", "updates: T", "shape: Tindices"],
             outputs=["output: T"],
             attrs=["T: type", "Tindices: type {int16, int32, int64}",
                    "bad_indices_policy: string = ''"])
def _scatter_nd(ctx, indices, updates, shape, *, bad_indices_policy, **_):
    indices, updates, shape = np.asarray(indices), np.asarray(updates), np.asarray(shape)
    if shape.ndim != 1:
        fail(ctx, "Shape must be a vector")
    dims = tuple(shape.tolist())
    for d in dims:
        if d < 0:
            fail(ctx, f"Dimension {d} must be >= 0")
    if not _valid_empty_output(math.prod(dims), indices.size, updates.size):
        fail(ctx, "Indices and updates specified for empty output shape")
    _validate_scatter(ctx, dims, indices, updates)
    out = zeros(dims, updates.dtype)
    return (_scatter_into(ctx, out, indices, updates, "add", bad_indices_policy),)


@register_op("Slice",
             inputs=["input: T", "begin: Index", "size: Index"],
             outputs=["output: T"],
             attrs=["T: type", "Index: type {int32, int64}"])
def _slice(ctx, x, begin, size, **_):
    x, begin, size = np.asarray(x), np.asarray(begin), np.asarray(size)
    if begin.ndim != 1 or size.ndim != 1 or begin.size != x.ndim or size.size != x.ndim:
        fail(ctx, f"Expected begin and size arguments to be 1-D tensors of size {x.ndim}, but got "
                  f"shapes {shape_str(begin.shape)} and {shape_str(size.shape)} instead.")
    index = []
    for i, (b, s, dim) in enumerate(zip(begin.tolist(), size.tolist(), x.shape)):
        s = dim - b if s == -1 else s
        if dim == 0 and (b != 0 or s != 0):
            fail(ctx, f"Expected begin[{i}] == 0 (got {b}) and size[{i}] == 0 (got {s}) when "
                      f"input.dim_size({i}) == 0")
        if not 0 <= b <= dim:
            fail(ctx, f"Expected begin[{i}] in [0, {dim}], but got {b}")
        if not (0 <= s and b + s <= dim):
            fail(ctx, f"Expected size[{i}] in [0, {dim - b}], but got {s}")
        index.append(slice(b, b + s))
    return (x[tuple(index)],)


@register_op("StridedSlice",
             inputs=["input: T", "begin: Index", "end: Index", "strides: Index"],
             outputs=["output: T"],
             attrs=["T: type", "Index: type {int16, int32, int64}"] + _SLICE_MASK_ATTRS)
def _strided_slice(ctx, x, begin, end, strides, **attrs):
    x = np.asarray(x)
    index, _, final = _strided_slice_spec(ctx, x.shape, begin, end, strides, _masks(attrs))
    return (x[index].reshape(final),)


@register_op("StridedSliceGrad",
             inputs=["shape: Index", "begin: Index", "end: Index", "strides: Index", "dy: T"],
             outputs=["output: T"],
             attrs=["T: type", "Index: type {int32, int64}"] + _SLICE_MASK_ATTRS)
def _strided_slice_grad(ctx, shape, begin, end, strides, dy, **attrs):
    dims, dy = tuple(int_vector(ctx, shape, "shape")), np.asarray(dy)
    index, sliced, final = _strided_slice_spec(ctx, dims, begin, end, strides, _masks(attrs))
    if dy.shape != final:
        fail(ctx, f"shape of dy was {shape_str(dy.shape)} instead of {shape_str(final)}")
    out = zeros(dims, dy.dtype)
    out[index] = dy.reshape(sliced)
    return (out,)


@register_op("TensorStridedSliceUpdate",
             inputs=["input: T", "begin: Index", "end: Index", "strides: Index", "value: T"],
             outputs=["output: T"],
             attrs=["T: type", "Index: type {int32, int64}"] + _SLICE_MASK_ATTRS)
def _tensor_strided_slice_update(ctx, x, begin, end, strides, value, **attrs):
    x, value = np.asarray(x), np.asarray(value)
    index, sliced, final = _strided_slice_spec(ctx, x.shape, begin, end, strides, _masks(attrs))
    if value.ndim > len(final) or any(
            v != 1 and v != f for v, f in zip(value.shape[::-1], final[::-1])):
        fail(ctx, f"Cannot broadcast input shape {shape_str(value.shape)} into final shape "
                  f"{shape_str(final)}")
    out = x.copy()
    out[index] = np.broadcast_to(value, final).reshape(sliced)
    return (out,)
