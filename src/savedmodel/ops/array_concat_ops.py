"""Array ops that join, split, pad, tile, reverse and roll tensors.

Mirrors ``tensorflow/core/ops/array_ops.cc`` and the CPU kernels ``concat_op.cc``, ``pack_op.cc``,
``unpack_op.cc``, ``split_op.cc``, ``split_v_op.cc``, ``pad_op.cc``, ``mirror_pad_op.cc``,
``tile_ops.cc``, ``reverse_op.cc``, ``reverse_sequence_op.cc`` and ``roll_op.cc``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from savedmodel.ops._array_common import (
    fail,
    int_vector,
    normalize_axis,
    scalar,
    shape_str,
    zero,
    zeros,
)
from savedmodel.ops.registry import register_op


def _concat(ctx: Any, values: list, axis: Any) -> tuple:
    """ConcatV2/Concat: ``values`` joined along ``axis``, validated like TF's ConcatOp."""
    values = [np.asarray(v) for v in values]
    axis = scalar(ctx, axis, "axis", allow_one=True)
    first = values[0]
    if first.ndim == 0:
        fail(ctx, "ConcatOp : Can't concatenate scalars (use tf.stack instead)")
    axis = normalize_axis(ctx, axis, first.ndim, "ConcatOp : Expected concatenating dimensions in "
                          f"the range [{-first.ndim}, {first.ndim}), but got {axis}")
    for i, v in enumerate(values[1:], 1):
        if v.ndim != first.ndim:
            fail(ctx, "ConcatOp : Ranks of all input tensors should match: shape[0] = "
                      f"{shape_str(first.shape)} vs. shape[{i}] = {shape_str(v.shape)}")
        for d in range(first.ndim):
            if d != axis and v.shape[d] != first.shape[d]:
                fail(ctx, f"ConcatOp : Dimension {d} in both shapes must be equal: shape[0] = "
                          f"{shape_str(first.shape)} vs. shape[{i}] = {shape_str(v.shape)}")
    return (np.concatenate(values, axis=axis),)


@register_op("Concat",
             inputs=["concat_dim: int32", "values: N * T"],
             outputs=["output: T"],
             attrs=["N: int >= 2", "T: type"])
def _concat_v1(ctx, concat_dim, values, **_):
    return _concat(ctx, values, concat_dim)


@register_op("ConcatOffset",
             inputs=["concat_dim: int32", "shape: N * shape_type"],
             outputs=["offset: N * shape_type"],
             attrs=["N: int >= 2", "shape_type: type {int32, int64} = DT_INT32"])
def _concat_offset(ctx, concat_dim, shapes, *, shape_type, **_):
    first = int_vector(ctx, shapes[0], "shape[0]")
    axis = scalar(ctx, concat_dim, "concat_dim")
    axis = axis + len(first) if axis < 0 else axis
    if not 0 <= axis < len(first):
        fail(ctx, f"Concat dim is out of range: {axis} vs. {len(first)}")
    offsets, position = [], 0
    for i, shape in enumerate(shapes):
        dims = int_vector(ctx, shape, f"shape[{i}]")
        if len(dims) != len(first):
            fail(ctx, f"input {i} should contain {len(first)} elements, but got {len(dims)}")
        if any(d != f for j, (d, f) in enumerate(zip(dims, first)) if j != axis):
            fail(ctx, f"All dimensions except {axis} must match. Input {i} has shape "
                      f"[{' '.join(map(str, dims))}] and doesn't match input 0 with shape "
                      f"[{' '.join(map(str, first))}].")
        offset = np.zeros(len(first), dtype=shape_type.numpy)
        offset[axis] = position
        offsets.append(offset)
        position += dims[axis]
    return (offsets,)


@register_op("ConcatV2",
             inputs=["values: N * T", "axis: Tidx"],
             outputs=["output: T"],
             attrs=["N: int >= 2", "T: type", "Tidx: type {int32, int64} = DT_INT32"])
def _concat_v2(ctx, values, axis, **_):
    return _concat(ctx, values, axis)


def _paddings(ctx: Any, x: np.ndarray, paddings: Any, noun: str = "Paddings") -> list:
    """The ``[rank, 2]`` paddings as rows of Python ints, validated like TF's Pad kernels."""
    pads = np.asarray(paddings)
    if pads.ndim != 2 or pads.shape[1] != 2:
        fail(ctx, f"paddings must be a matrix with 2 columns: {shape_str(pads.shape)}")
    if pads.shape[0] != x.ndim:
        fail(ctx, "The first dimension of paddings must be the rank of inputs"
                  f"{shape_str(pads.shape)}, {shape_str(x.shape)}")
    rows = pads.tolist()
    for before, after in rows:
        if before < 0 or after < 0:
            fail(ctx, f"{noun} must be non-negative: {before} {after}")
    return rows


@register_op("MirrorPad",
             inputs=["input: T", "paddings: Tpaddings"],
             outputs=["output: T"],
             attrs=["T: type", "Tpaddings: type {int32, int64} = DT_INT32",
                    "mode: string {'REFLECT', 'SYMMETRIC'}"])
def _mirror_pad(ctx, x, paddings, *, mode, **_):
    x = np.asarray(x)
    rows = _paddings(ctx, x, paddings, noun="paddings")
    for (before, after), size in zip(rows, x.shape):
        if mode == "REFLECT" and max(before, after) >= size:
            fail(ctx, f"paddings must be less than the dimension size: {before}, {after} not less "
                      f"than {size}")
        if mode == "SYMMETRIC" and max(before, after) > size:
            fail(ctx, f"paddings must be no greater than the dimension size: {before}, {after} "
                      f"greater than {size}")
    if not any(b or a for b, a in rows):
        return (x,)
    return (np.pad(x, rows, mode=mode.lower()),)


@register_op("Pack",
             inputs=["values: N * T"],
             outputs=["output: T"],
             attrs=["N: int >= 1", "T: type", "axis: int = 0"])
def _pack(ctx, values, *, axis, **_):
    values = [np.asarray(v) for v in values]
    rank = values[0].ndim + 1
    if not -rank <= axis < rank:
        fail(ctx, f"axis = {axis} not in [{-rank}, {rank})")
    for i, v in enumerate(values[1:], 1):
        if v.shape != values[0].shape:
            fail(ctx, f"Shapes of all inputs must match: values[0].shape = "
                      f"{shape_str(values[0].shape)} != values[{i}].shape = {shape_str(v.shape)}")
    return (np.stack(values, axis=axis),)


def _pad(ctx: Any, x: Any, paddings: Any, constant: Any) -> tuple:
    """Pad/PadV2: ``x`` padded with ``constant``; the input itself when nothing is added."""
    x = np.asarray(x)
    rows = _paddings(ctx, x, paddings)
    if not any(b or a for b, a in rows):
        return (x,)
    return (np.pad(x, rows, constant_values=constant),)


@register_op("Pad",
             inputs=["input: T", "paddings: Tpaddings"],
             outputs=["output: T"],
             attrs=["T: type", "Tpaddings: type {int32, int64} = DT_INT32"])
def _pad_v1(ctx, x, paddings, **_):
    return _pad(ctx, x, paddings, zero(np.asarray(x).dtype))


@register_op("PadV2",
             inputs=["input: T", "paddings: Tpaddings", "constant_values: T"],
             outputs=["output: T"],
             attrs=["T: type", "Tpaddings: type {int32, int64} = DT_INT32"])
def _pad_v2(ctx, x, paddings, constant_values, **_):
    value = np.asarray(constant_values)
    if value.ndim != 0:
        fail(ctx, f"constant_values must be a scalar. Found: {shape_str(value.shape)}")
    return _pad(ctx, x, paddings, value[()])


@register_op("ParallelConcat",
             inputs=["values: N * T"],
             outputs=["output: T"],
             attrs=["N: int >= 1", "T: type", "shape: shape"])
def _parallel_concat(ctx, values, *, shape, **_):
    if shape is None or any(d < 0 for d in shape) or not shape:
        fail(ctx, f"ParallelConcat needs a fully defined output shape of rank >= 1, got "
                  f"{'<unknown>' if shape is None else shape_str(shape)}")
    values = [np.asarray(v) for v in values]
    if len(values) > shape[0]:
        fail(ctx, f"ParallelConcat got {len(values)} values for an output of shape "
                  f"{shape_str(shape)}")
    out = zeros(shape, values[0].dtype)  # rows without a value: TF leaves them uninitialized
    for i, v in enumerate(values):
        if v.shape != (1,) + tuple(shape[1:]):
            fail(ctx, f"update shape doesn't match: {shape_str(v.shape)}")
        out[i] = v[0]
    return (out,)


@register_op("Reverse",
             inputs=["tensor: T", "dims: bool"],
             outputs=["output: T"],
             attrs=["T: type {uint8, int8, uint16, int16, uint32, int32, uint64, int64, bool, "
                    "bfloat16, half, float, double, complex64, complex128, string}"])
def _reverse(ctx, x, dims, **_):
    x, dims = np.asarray(x), np.asarray(dims)
    if dims.ndim != 1:
        fail(ctx, f"'dims' must be 1-dimensional, not {dims.ndim}")
    if dims.size != x.ndim:
        fail(ctx, "'dims' must have the same number of values as 'input' has dimensions. 'input' "
                  f"has {x.ndim} 'dims' has {dims.size} values")
    return (np.flip(x, axis=tuple(np.flatnonzero(dims).tolist())),)


@register_op("ReverseSequence",
             inputs=["input: T", "seq_lengths: Tlen"],
             outputs=["output: T"],
             attrs=["seq_dim: int", "batch_dim: int = 0", "T: type",
                    "Tlen: type {int32, int64} = DT_INT64"])
def _reverse_sequence(ctx, x, seq_lengths, *, seq_dim, batch_dim, **_):
    x, lengths = np.asarray(x), np.asarray(seq_lengths)
    if lengths.ndim != 1:
        fail(ctx, f"seq_lengths must be 1-dim, not {lengths.ndim}")
    if seq_dim < 0:
        fail(ctx, f"Invalid seq_dim {seq_dim}")
    if batch_dim < 0:
        fail(ctx, f"Invalid batch_dim {batch_dim}")
    if batch_dim == seq_dim:
        fail(ctx, f"batch_dim == seq_dim == {seq_dim}")
    if seq_dim >= x.ndim:
        fail(ctx, f"seq_dim must be < input rank ( {seq_dim} vs. {x.ndim})")
    if batch_dim >= x.ndim:
        fail(ctx, f"batch_dim must be < input rank ( {batch_dim} vs. {x.ndim})")
    if lengths.size != x.shape[batch_dim]:
        fail(ctx, f"Length of seq_lengths != input.dims({batch_dim}), ({lengths.size} vs. "
                  f"{x.shape[batch_dim]})")
    n = x.shape[seq_dim]
    for d, length in enumerate(lengths.tolist()):
        if length < 0:
            fail(ctx, f"seq_lens({d}) < 0")
        if length > n:
            fail(ctx, f"seq_lens({d}) > input.dims({seq_dim})")
    j, lens = np.arange(n)[None, :], lengths.astype(np.int64)[:, None]
    order = np.where(j < lens, lens - 1 - j, j)  # [batch, seq]
    shape = [1] * x.ndim
    shape[batch_dim], shape[seq_dim] = lengths.size, n
    order = (order if batch_dim < seq_dim else order.T).reshape(shape)
    return (np.take_along_axis(x, order, axis=seq_dim),)


@register_op("ReverseV2",
             inputs=["tensor: T", "axis: Tidx"],
             outputs=["output: T"],
             attrs=["Tidx: type {int32, int64} = DT_INT32",
                    "T: type {uint8, int8, uint16, int16, int32, uint32, int64, uint64, bool, "
                    "bfloat16, half, float, double, complex64, complex128, string}"])
def _reverse_v2(ctx, x, axis, **_):
    x = np.asarray(x)
    seen: set[int] = set()
    for i, a in enumerate(int_vector(ctx, axis, "'axis'")):
        if not -x.ndim <= a < x.ndim:
            fail(ctx, f"'axis'[{i}] = {a} is out of valid range [0, {x.ndim})")
        a %= x.ndim
        if a in seen:
            fail(ctx, f"axis {a} specified more than once.")
        seen.add(a)
    return (np.flip(x, axis=tuple(sorted(seen))) if seen else x,)


@register_op("Roll",
             inputs=["input: T", "shift: Tshift", "axis: Taxis"],
             outputs=["output: T"],
             attrs=["T: type", "Tshift: type {int32, int64}", "Taxis: type {int32, int64}"])
def _roll(ctx, x, shift, axis, **_):
    x, shift, axis = np.asarray(x), np.asarray(shift), np.asarray(axis)
    if x.ndim < 1:
        fail(ctx, "input must be 1-D or higher")
    for name, value in (("shift", shift), ("axis", axis)):
        if value.ndim > 1:
            fail(ctx, f"{name} must be a scalar or a 1-D vector. Found: {shape_str(value.shape)}")
    if shift.shape != axis.shape:
        fail(ctx, "shift and axis must have the same size")
    axes = []
    for a in axis.reshape(-1).tolist():
        a = a + x.ndim if a < 0 else a
        if not 0 <= a < x.ndim:
            fail(ctx, f"axis {a} is out of range")
        axes.append(a)
    return (np.roll(x, shift.reshape(-1).tolist(), axis=axes) if axes else x,)


def _split_axis(ctx: Any, x: np.ndarray, split_dim: Any) -> int:
    """The split dimension in ``[0, rank)``, validated like TF's Split kernels."""
    axis = scalar(ctx, split_dim, "split_dim")
    if not -x.ndim <= axis < x.ndim:
        fail(ctx, f"-input rank(-{x.ndim}) <= split_dim < input rank ({x.ndim}), but got {axis}")
    return axis % x.ndim


@register_op("Split",
             inputs=["split_dim: int32", "value: T"],
             outputs=["output: num_split * T"],
             attrs=["num_split: int >= 1", "T: type"])
def _split(ctx, split_dim, value, *, num_split, **_):
    value = np.asarray(value)
    axis = _split_axis(ctx, value, split_dim)
    size = value.shape[axis]
    if size % num_split:
        fail(ctx, "Number of ways to split should evenly divide the split dimension, but got "
                  f"split_dim {axis} (size = {size}) and num_split {num_split}")
    return (np.split(value, num_split, axis=axis),)


@register_op("SplitV",
             inputs=["value: T", "size_splits: Tlen", "split_dim: int32"],
             outputs=["output: num_split * T"],
             attrs=["num_split: int >= 1", "T: type", "Tlen: type {int8, int32, int64} = DT_INT64"])
def _split_v(ctx, value, size_splits, split_dim, *, num_split, **_):
    value, sizes = np.asarray(value), np.asarray(size_splits)
    if sizes.ndim != 1 or sizes.size != num_split:
        fail(ctx, "size of the split_tensor must be 1-D and have the same elements as outputs got "
                  f"{sizes.ndim} -D and {sizes.size} elements")
    axis = _split_axis(ctx, value, split_dim)
    total, sizes = value.shape[axis], sizes.tolist()
    unknown = [i for i, s in enumerate(sizes) if s == -1]
    if len(unknown) > 1:
        fail(ctx, "There can only be one -1 in the input.")
    for i, s in enumerate(sizes):
        if s < -1:
            fail(ctx, f"Split size at index {i} must be >= 0. Got: {s}")
    determined = sum(s for s in sizes if s != -1)
    if (not unknown and determined != total) or (unknown and determined > total):
        fail(ctx, "Determined shape must either match input shape along split_dim exactly if "
                  "fully specified, or be less than the size of the input along split_dim if not "
                  f"fully specified.  Got: {determined}")
    if unknown:
        sizes[unknown[0]] = total - determined
    return (np.split(value, np.cumsum(sizes)[:-1].tolist(), axis=axis),)


@register_op("Tile",
             inputs=["input: T", "multiples: Tmultiples"],
             outputs=["output: T"],
             attrs=["T: type", "Tmultiples: type {int32, int64} = DT_INT32"])
def _tile(ctx, x, multiples, **_):
    x, reps = np.asarray(x), np.asarray(multiples)
    if reps.ndim != 1:
        fail(ctx, f"Expected multiples to be 1-D, but got shape {shape_str(reps.shape)}")
    if reps.size != x.ndim:
        fail(ctx, f"Expected multiples argument to be a vector of length {x.ndim} but got length "
                  f"{reps.size}")
    reps_list = reps.tolist()
    for i, r in enumerate(reps_list):
        if r < 0:
            fail(ctx, f"Expected multiples[{i}] >= 0, but got {r}")
    if all(r == 1 for r in reps_list):
        return (x,)
    return (np.tile(x, reps_list),)


@register_op("Unpack",
             inputs=["value: T"],
             outputs=["output: num * T"],
             attrs=["num: int >= 0", "T: type", "axis: int = 0"])
def _unpack(ctx, value, *, num, axis, **_):
    value = np.asarray(value)
    axis = normalize_axis(ctx, axis, value.ndim,
                          f"axis = {axis} not in [{-value.ndim}, {value.ndim})")
    if value.shape[axis] != num:
        fail(ctx, f"Input shape axis {axis} must equal {num}, got shape "
                  f"{shape_str(value.shape)}")
    moved = np.moveaxis(value, axis, 0)
    return ([moved[i, ...] for i in range(num)],)
