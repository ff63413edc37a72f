"""TF1 TensorArrays: TensorArrayV3 and its Write/Read/Gather/Scatter/Concat/Split/Size/Close ops.

Mirrors ``tensorflow/core/ops/data_flow_ops.cc`` and ``tensorflow/core/kernels/tensor_array.{h,cc}``
and ``tensor_array_ops.cc``. Unlike TensorLists, a TensorArray is a mutable resource: TensorArrayV3
creates one under a fresh name and returns its handle (kind ``"tensor_array"``) with a float
``flow`` scalar that the other ops thread through to order their effects. The array travels inside
its ``TensorArrayHandle`` rather than in ``ctx.resources``, so it lives exactly as long as the call
that made it, like TensorFlow's per-step resources. Elements are
written once; with ``clear_after_read`` a read empties the slot; unwritten elements read as zeros
when the element shape is fully known.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from savedmodel.errors import NotFoundError, UnimplementedError
from savedmodel.ops._array_common import fail, zeros
from savedmodel.ops.context import ResourceHandle
from savedmodel.ops.list_ops import compatible, fully_defined, shape_debug
from savedmodel.ops.registry import register_op

_IDS = itertools.count()
_UNWRITTEN, _CLEARED = object(), object()


@dataclass
class TensorArray:
    """A TensorArray resource: slots hold an ndarray, ``_UNWRITTEN`` or ``_CLEARED``."""

    dtype: Any
    element_shape: tuple[int, ...] | None
    dynamic_size: bool
    clear_after_read: bool
    identical_element_shapes: bool
    name: str
    slots: list = field(default_factory=list)


@dataclass(eq=False)
class TensorArrayHandle(ResourceHandle):
    """A TensorArray's handle, carrying the array (None once closed)."""

    array: TensorArray | None = None


def _array(ctx: Any, handle: Any) -> TensorArray:
    array = getattr(handle, "array", None)
    if array is None:
        raise NotFoundError(f"{ctx.where}: TensorArray {handle.shared_name!r} was closed or is not "
                            "a TensorArray handle.")
    return array


def _tf_name(dtype: Any) -> str:
    return {"float32": "float", "float64": "double", "float16": "half"}.get(dtype.name, dtype.name)


def _write(ctx: Any, array: TensorArray, index: int, value: np.ndarray) -> None:
    """TensorArray::WriteOrAggregate for one element (the array has already been grown)."""
    if index < 0 or index >= len(array.slots) and not array.dynamic_size:
        fail(ctx, f"TensorArray {array.name}: Tried to write to index {index} but array is not "
                  f"resizeable and size is: {len(array.slots)}")
    if index >= len(array.slots):
        array.slots.extend([_UNWRITTEN] * (index + 1 - len(array.slots)))
    if not compatible(array.element_shape, value.shape):
        fail(ctx, f"TensorArray {array.name}: Could not write to TensorArray index {index} because "
                  f"the value shape is {shape_debug(value.shape)} which is incompatible with the "
                  f"TensorArray's inferred element shape: {shape_debug(array.element_shape)} "
                  "(consider setting infer_shape=False).")
    if array.identical_element_shapes and not fully_defined(array.element_shape):
        array.element_shape = value.shape
    if array.slots[index] is not _UNWRITTEN:
        fail(ctx, f"TensorArray {array.name}: Could not write to TensorArray index {index} because "
                  "it has already been written to.")
    array.slots[index] = value


def _check_write_dtype(ctx: Any, array: TensorArray, T: Any) -> None:
    if T.enum != array.dtype.enum:
        fail(ctx, f"TensorArray dtype is {_tf_name(array.dtype)} but Op is trying to write dtype "
                  f"{_tf_name(T)}.")


def _read(ctx: Any, array: TensorArray, index: int) -> np.ndarray:
    """TensorArray::LockedRead: the element, zeros when unwritten with a known shape."""
    if not 0 <= index < len(array.slots):
        fail(ctx, f"TensorArray {array.name}: Tried to read from index {index} but array size "
                  f"is: {len(array.slots)}")
    value = array.slots[index]
    if value is _CLEARED:
        fail(ctx, f"TensorArray {array.name}: Could not read index {index} twice because it was "
                  "cleared after a previous read (perhaps try setting clear_after_read = false?).")
    if value is _UNWRITTEN:
        if not fully_defined(array.element_shape):
            fail(ctx, f"TensorArray {array.name}: Could not read from TensorArray index {index}.  "
                      "Furthermore, the element shape is not fully defined: "
                      f"{shape_debug(array.element_shape)}.  It is possible you are working with "
                      "a resizeable TensorArray and stop_gradients is not allowing the gradients "
                      "to be written.  If you set the full element_shape property on the forward "
                      "TensorArray, the proper all-zeros tensor will be returned instead of "
                      "incurring this error.")
        if array.dtype.is_string:
            fail(ctx, "tensor_array::TensorSetZero type not supported: string")
        return zeros(array.element_shape, array.dtype.numpy)
    if array.clear_after_read:
        array.slots[index] = _CLEARED
    return value


def _flow(flow: Any) -> np.ndarray:
    return np.asarray(flow, dtype=np.float32)


# Kernels, alphabetical.


@register_op("TensorArrayCloseV3", inputs=["handle: resource"], stateful=True)
def _tensor_array_close_v3(ctx, handle):
    _array(ctx, handle)
    handle.array = None
    return ()


@register_op("TensorArrayConcatV3",
             inputs=["handle: resource", "flow_in: float"],
             outputs=["value: dtype", "lengths: int64"],
             attrs=["dtype: type", "element_shape_except0: shape = { unknown_rank: true }"],
             stateful=True)
def _tensor_array_concat_v3(ctx, handle, flow_in, *, dtype, element_shape_except0):
    array = _array(ctx, handle)
    _check_read_dtype(ctx, array, dtype)
    if not array.slots:
        if not fully_defined(element_shape_except0):
            raise UnimplementedError(
                f"{ctx.where}: TensorArray has size zero, but element_shape_except0 "
                f"{shape_debug(element_shape_except0)} is not fully defined. Currently only "
                "static shapes are supported when concatenating zero-size TensorArrays.")
        return zeros((0,) + tuple(element_shape_except0), dtype.numpy), np.zeros(0, np.int64)
    values = [_read(ctx, array, i) for i in range(len(array.slots))]
    for i, value in enumerate(values):
        if value.ndim < 1:
            fail(ctx, f"Concat saw a scalar shape at index {i} but requires at least vectors.  Did "
                      "you mean to call TensorArray::Pack instead?")
        if value.shape[1:] != values[0].shape[1:]:
            fail(ctx, f"TensorArray has inconsistent shapes.  Index 0 has (excepting dimension 0) "
                      f"shape: {shape_debug(values[0].shape[1:])} but index {i} has (excepting "
                      f"dimension 0) shape: {shape_debug(value.shape[1:])}")
    lengths = np.asarray([v.shape[0] for v in values], dtype=np.int64)
    return np.concatenate(values).astype(dtype.numpy, copy=False), lengths


def _check_read_dtype(ctx: Any, array: TensorArray, dtype: Any) -> None:
    if dtype.enum != array.dtype.enum:
        fail(ctx, f"TensorArray dtype is {_tf_name(array.dtype)} but Op requested dtype "
                  f"{_tf_name(dtype)}.")


@register_op("TensorArrayGatherV3",
             inputs=["handle: resource", "indices: int32", "flow_in: float"],
             outputs=["value: dtype"],
             attrs=["dtype: type", "element_shape: shape = { unknown_rank: true }"],
             stateful=True)
def _tensor_array_gather_v3(ctx, handle, indices, flow_in, *, dtype, element_shape):
    array = _array(ctx, handle)
    _check_read_dtype(ctx, array, dtype)
    indices = np.asarray(indices)
    if indices.ndim != 1:
        fail(ctx, f"Expected indices to be a vector, but received shape: "
                  f"{shape_debug(indices.shape)}")
    if indices.size == 0:
        shape = element_shape if fully_defined(element_shape) else array.element_shape
        if not fully_defined(shape):
            raise UnimplementedError(
                f"{ctx.where}: TensorArray has size zero, but element shape {shape_debug(shape)} "
                "is not fully defined. Currently only static shapes are supported when packing "
                "zero-size TensorArrays.")
        return (zeros((0,) + tuple(shape), dtype.numpy),)
    values = [_read(ctx, array, int(i)) for i in indices.tolist()]
    for i, value in enumerate(values):
        if value.shape != values[0].shape:
            fail(ctx, f"TensorArray has inconsistent shapes.  Index 0 has shape: "
                      f"{shape_debug(values[0].shape)} but index {i} has shape: "
                      f"{shape_debug(value.shape)}")
    return (np.stack(values).astype(dtype.numpy, copy=False),)


@register_op("TensorArrayReadV3",
             inputs=["handle: resource", "index: int32", "flow_in: float"],
             outputs=["value: dtype"],
             attrs=["dtype: type"], stateful=True)
def _tensor_array_read_v3(ctx, handle, index, flow_in, *, dtype):
    array = _array(ctx, handle)
    _check_read_dtype(ctx, array, dtype)
    return (_read(ctx, array, int(index)),)


@register_op("TensorArrayScatterV3",
             inputs=["handle: resource", "indices: int32", "value: T", "flow_in: float"],
             outputs=["flow_out: float"],
             attrs=["T: type"], stateful=True)
def _tensor_array_scatter_v3(ctx, handle, indices, value, flow_in, *, T):
    array = _array(ctx, handle)
    _check_write_dtype(ctx, array, T)
    value, indices = np.asarray(value, dtype=T.numpy), np.asarray(indices)
    if indices.ndim != 1:
        fail(ctx, f"Expected indices to be a vector, but received shape: "
                  f"{shape_debug(indices.shape)}")
    if value.ndim < 1 or value.shape[0] != indices.size:
        fail(ctx, f"Expected len(indices) == values.shape[0], but saw: {indices.size} vs. "
                  f"{value.shape[0] if value.ndim else 0}")
    if indices.size and not array.dynamic_size and indices.max() >= len(array.slots):
        fail(ctx, f"Max scatter index must be < array size ({int(indices.max())} vs. "
                  f"{len(array.slots)})")
    for row, index in enumerate(indices.tolist()):
        _write(ctx, array, index, value[row])
    return (_flow(flow_in),)


@register_op("TensorArraySizeV3",
             inputs=["handle: resource", "flow_in: float"],
             outputs=["size: int32"], stateful=True)
def _tensor_array_size_v3(ctx, handle, flow_in):
    return (np.asarray(len(_array(ctx, handle).slots), dtype=np.int32),)


@register_op("TensorArraySplitV3",
             inputs=["handle: resource", "value: T", "lengths: int64", "flow_in: float"],
             outputs=["flow_out: float"],
             attrs=["T: type"], stateful=True)
def _tensor_array_split_v3(ctx, handle, value, lengths, flow_in, *, T):
    array = _array(ctx, handle)
    _check_write_dtype(ctx, array, T)
    value, lengths = np.asarray(value, dtype=T.numpy), np.asarray(lengths, dtype=np.int64)
    if value.ndim < 1:
        fail(ctx, f"Expected value to be at least a vector, but received shape: "
                  f"{shape_debug(value.shape)}")
    if lengths.ndim != 1:
        fail(ctx, f"Expected lengths to be a vector, received shape: "
                  f"{shape_debug(lengths.shape)}")
    if int(lengths.sum()) != value.shape[0] or np.any(lengths < 0):
        fail(ctx, f"Expected sum of lengths to be equal to values.shape[0], but sum of lengths is "
                  f"{int(lengths.sum())} and value's shape is: {shape_debug(value.shape)}")
    if not array.dynamic_size and lengths.size != len(array.slots):
        fail(ctx, f"TensorArray's size is not equal to the size of lengths ({len(array.slots)} "
                  f"vs. {lengths.size}), and the TensorArray is not marked as dynamically "
                  "resizeable")
    starts = np.concatenate([[0], np.cumsum(lengths)])
    for i in range(lengths.size):
        _write(ctx, array, i, value[starts[i]:starts[i + 1]])
    return (_flow(flow_in),)


@register_op("TensorArrayV3",
             inputs=["size: int32"],
             outputs=["handle: resource", "flow: float"],
             attrs=["dtype: type", "element_shape: shape = { unknown_rank: true }",
                    "dynamic_size: bool = false", "clear_after_read: bool = true",
                    "identical_element_shapes: bool = false", "tensor_array_name: string = ''"],
             stateful=True)
def _tensor_array_v3(ctx, size, *, dtype, element_shape, dynamic_size, clear_after_read,
                     identical_element_shapes, tensor_array_name):
    size = int(size)
    if size < 0:
        fail(ctx, "Size should be >= 0.")
    name = f"{tensor_array_name or ctx.node_name}_{next(_IDS)}"
    shape = None if element_shape is None else tuple(element_shape)
    array = TensorArray(dtype, shape, dynamic_size, clear_after_read, identical_element_shapes,
                        name, [_UNWRITTEN] * size)
    handle = TensorArrayHandle("_tensor_arrays", name, kind="tensor_array", dtype=dtype.enum,
                               shape=shape, array=array)
    return handle, np.asarray(0.0, dtype=np.float32)


@register_op("TensorArrayWriteV3",
             inputs=["handle: resource", "index: int32", "value: T", "flow_in: float"],
             outputs=["flow_out: float"],
             attrs=["T: type"], stateful=True)
def _tensor_array_write_v3(ctx, handle, index, value, flow_in, *, T):
    array = _array(ctx, handle)
    _check_write_dtype(ctx, array, T)
    _write(ctx, array, int(index), np.asarray(value, dtype=T.numpy))
    return (_flow(flow_in),)
