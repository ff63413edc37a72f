"""TensorList ops: the variant lists behind tf.map_fn, TensorArray in tf.function and Keras RNNs.

Mirrors ``tensorflow/core/ops/list_ops.cc`` and ``tensorflow/core/kernels/list_kernels.{h,cc}``. A
list is a ``TensorList`` value (TensorFlow's DT_VARIANT scalar): element dtype, element shape (a
partial shape: None for unknown rank, -1 for unknown dims), an optional maximum size, and a tuple
of elements (ndarrays, or None for elements never set, read back as zeros once their shape is
known). Lists have value semantics: every op returns a new ``TensorList`` and shares the unchanged
element arrays, so a list another value still references is never changed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from savedmodel.ops._array_common import fail, zeros
from savedmodel.ops.registry import register_op


@dataclass(frozen=True)
class TensorList:
    """A TensorList variant value; ``items[i] is None`` for an element that was never set."""

    element_dtype: Any
    element_shape: tuple[int, ...] | None
    items: tuple[np.ndarray | None, ...] = ()
    max_num_elements: int = -1
    shape = ()  # a variant tensor is a scalar

    def __len__(self) -> int:
        return len(self.items)


# Partial shapes (TensorFlow's PartialTensorShape).


def shape_debug(shape: tuple[int, ...] | None) -> str:
    """PartialTensorShape::DebugString: ``[2,?]``, ``<unknown>`` for unknown rank."""
    if shape is None:
        return "<unknown>"
    return "[" + ",".join("?" if d < 0 else str(d) for d in shape) + "]"


def shape_from_tensor(ctx: Any, value: Any) -> tuple[int, ...] | None:
    """The partial shape an ``element_shape`` input encodes (scalar -1: unknown rank)."""
    value = np.asarray(value)
    if value.ndim == 0:
        if int(value) != -1:
            fail(ctx, "The only valid scalar shape tensor is the fully unknown shape specified "
                      "as -1.")
        return None
    dims = tuple(int(d) for d in value.reshape(-1))
    for dim in dims:
        if dim < -1:
            fail(ctx, f"Dimension {dim} must be >= -1")
    return dims


def compatible(a: tuple[int, ...] | None, b: tuple[int, ...] | None) -> bool:
    """PartialTensorShape::IsCompatibleWith."""
    if a is None or b is None:
        return True
    return len(a) == len(b) and all(x < 0 or y < 0 or x == y for x, y in zip(a, b))


def merge(ctx: Any, a: tuple[int, ...] | None, b: tuple[int, ...] | None) -> tuple[int, ...] | None:
    """PartialTensorShape::MergeWith, failing like TensorFlow on a conflict."""
    if a is None:
        return b
    if b is None:
        return a
    if len(a) != len(b):
        fail(ctx, f"PartialTensorShape: Incompatible ranks during merge: {len(a)} vs. {len(b)}")
    if not compatible(a, b):
        fail(ctx, f"PartialTensorShape: Incompatible shapes during merge: {shape_debug(a)} vs. "
                  f"{shape_debug(b)}")
    return tuple(y if x < 0 else x for x, y in zip(a, b))


def fully_defined(shape: tuple[int, ...] | None) -> bool:
    return shape is not None and all(d >= 0 for d in shape)


# Shared checks and element access.


def _tf_name(dtype: Any) -> str:
    """DataTypeString: ``float``, ``double``, ``half`` for the float types, else the TF name."""
    return {"float32": "float", "float64": "double", "float16": "half"}.get(dtype.name, dtype.name)


def _input_list(ctx: Any, value: Any) -> TensorList:
    if isinstance(value, np.ndarray) and value.dtype == object and value.ndim == 0:
        value = value.item()
    if not isinstance(value, TensorList):
        fail(ctx, f"Input handle is not a list. Saw: '{type(value).__name__}'")
    return value


def _check_dtype(ctx: Any, tlist: TensorList, element_dtype: Any) -> None:
    if element_dtype.enum != tlist.element_dtype.enum:
        fail(ctx, f"Invalid data types; op elements {_tf_name(element_dtype)} but list elements "
                  f"{_tf_name(tlist.element_dtype)}")


def _element_shape_input(ctx: Any, tlist: TensorList, value: Any) -> tuple[int, ...] | None:
    """GetElementShapeFromInput: the input shape merged with the list's element shape."""
    return merge(ctx, shape_from_tensor(ctx, value), tlist.element_shape)


def _infer_from_items(ctx: Any, shape: tuple[int, ...] | None, items: Any) -> tuple | None:
    """Merges ``shape`` with every set element's shape (TensorFlow's inference for unset ones)."""
    for item in items:
        if item is not None:
            shape = merge(ctx, shape, item.shape)
    return shape


def _np_dtype(dtype: Any) -> np.dtype:
    """The element NumPy dtype; variant elements (nested lists, ragged rows) are objects."""
    return np.dtype(object) if dtype.numpy is None else dtype.numpy


def _as_element(value: Any, dtype: Any) -> np.ndarray:
    return np.asarray(value, dtype=_np_dtype(dtype))


def _stack(items: Any, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    """Stacks elements into ``[len(items), *shape]``, zeros for unset ones."""
    np_dtype = _np_dtype(dtype)
    if items and np_dtype != object and all(item is not None for item in items):
        return np.stack(items).astype(np_dtype, copy=False).reshape((len(items),) + tuple(shape))
    out = zeros((len(items),) + tuple(shape), np_dtype)
    for i, item in enumerate(items):
        if item is not None:
            out[i] = item[()] if item.ndim == 0 else item  # unwraps 0-d variant elements
    return out


def _scatter(ctx: Any, tlist: TensorList, tensor: np.ndarray, indices: Any,
             grow: bool = True) -> TensorList:
    """ScatterIntoTensorList: rows of ``tensor`` at ``indices`` (last write wins), growing the list."""
    if tensor.ndim < 1:
        fail(ctx, f"Tensor must be at least a vector, but saw shape: {shape_debug(tensor.shape)}")
    indices = np.asarray(indices).reshape(-1)
    if indices.size != tensor.shape[0]:
        fail(ctx, f"Invalid number of rows in input tensor. Expected: {indices.size} Actual: "
                  f"{tensor.shape[0]}")
    if not compatible(tlist.element_shape, tensor.shape[1:]):
        fail(ctx, f"Specified a list with shape {shape_debug(tlist.element_shape)} from a tensor "
                  f"with shape {shape_debug(tensor.shape[1:])}")
    if indices.size and indices.min() < 0:
        fail(ctx, "Indices in TensorListScatter must all be non-negative.")
    items = list(tlist.items)
    if not grow and indices.size and indices.max() >= len(items):
        fail(ctx, f"TensorListScatter: Trying to scatter at index {int(indices.max())} in list "
                  f"with size {len(items)}")
    if indices.size and indices.max() >= len(items):
        items.extend([None] * (int(indices.max()) + 1 - len(items)))
    for row, index in enumerate(indices.tolist()):
        items[index] = tensor[row]
    return replace(tlist, items=tuple(items))


# Kernels, alphabetical.


@register_op("EmptyTensorList",
             inputs=["element_shape: shape_type", "max_num_elements: int32"],
             outputs=["handle: variant"],
             attrs=["element_dtype: type", "shape_type: type {int32, int64}"])
def _empty_tensor_list(ctx, element_shape, max_num_elements, *, element_dtype, **_):
    return (TensorList(element_dtype, shape_from_tensor(ctx, element_shape), (),
                       int(max_num_elements)),)


@register_op("TensorListConcat",
             inputs=["input_handle: variant"],
             outputs=["tensor: element_dtype", "lengths: int64"],
             attrs=["element_dtype: type", "element_shape: shape = { unknown_rank: true }"])
def _tensor_list_concat(ctx, handle, *, element_dtype, element_shape):
    tlist = _input_list(ctx, handle)
    if element_shape is not None and len(element_shape) < 1:
        fail(ctx, "Concat requires elements to be at least vectors, found scalars instead.")
    rest = None if element_shape is None else tuple(element_shape[1:])
    _check_dtype(ctx, tlist, element_dtype)
    return _concat(ctx, tlist, -1, rest, None)


@register_op("TensorListConcatV2",
             inputs=["input_handle: variant", "element_shape: shape_type", "leading_dims: int64"],
             outputs=["tensor: element_dtype", "lengths: int64"],
             attrs=["element_dtype: type", "shape_type: type {int32, int64}"])
def _tensor_list_concat_v2(ctx, handle, element_shape, leading_dims, *, element_dtype, **_):
    tlist = _input_list(ctx, handle)
    _check_dtype(ctx, tlist, element_dtype)
    shape = _element_shape_input(ctx, tlist, element_shape)
    if shape is not None and len(shape) < 1:
        fail(ctx, "Concat requires elements to be at least vectors, found scalars instead.")
    first_dim = -1 if shape is None else shape[0]
    rest = None if shape is None else shape[1:]
    return _concat(ctx, tlist, first_dim, rest, np.asarray(leading_dims).reshape(-1))


def _concat(ctx: Any, tlist: TensorList, first_dim: int, rest: Any, leading: Any) -> tuple:
    """TensorListConcat's kernel: elements joined on axis 0, with each element's length."""
    if not tlist.items and not fully_defined(rest):
        fail(ctx, "All except the first dimension must be fully defined when concating an empty "
                  f"tensor list. element_shape: {shape_debug(rest)}")
    if not fully_defined(tlist.element_shape):
        first_dim, rest = _concat_infer(ctx, tlist, first_dim, rest)
    if not fully_defined(rest):
        fail(ctx, "Trying to concat list with only uninitialized tensors but "
                  f"element_shape_except_first_dim is not fully defined: {shape_debug(rest)}")
    lengths = [_concat_length(ctx, item, i, first_dim, leading)
               for i, item in enumerate(tlist.items)]
    dtype = _np_dtype(tlist.element_dtype)
    parts = [item if item is not None else zeros((n,) + tuple(rest), dtype)
             for item, n in zip(tlist.items, lengths)]
    tensor = np.concatenate(parts) if parts else zeros((0,) + tuple(rest), dtype)
    return tensor.astype(dtype, copy=False), np.asarray(lengths, dtype=np.int64)


def _concat_infer(ctx: Any, tlist: TensorList, first_dim: int, rest: Any) -> tuple:
    """Checks set elements against (first_dim, rest) and infers a common leading dim."""
    inferred, check = first_dim, first_dim == -1
    for i, item in enumerate(tlist.items):
        if item is None:
            continue
        if item.ndim < 1:
            fail(ctx, f"Concat saw a scalar shape at index {i} but requires at least vectors.")
        rest = merge(ctx, rest, item.shape[1:])
        if first_dim != -1 and first_dim != item.shape[0]:
            fail(ctx, "First entry of element_shape input does not match the first dim of list "
                      f"element at index: {i} Expected: {first_dim} Actual: {item.shape[0]}")
        if check:
            if inferred == -1:
                inferred = item.shape[0]
            elif inferred != item.shape[0]:
                inferred, check = -1, False
    return inferred, rest


def _concat_length(ctx: Any, item: Any, i: int, first_dim: int, leading: Any) -> int:
    if item is not None:
        return int(item.shape[0])
    if (leading is None or i >= leading.size) and first_dim != -1:
        return first_dim
    if leading is None:
        fail(ctx, "Concating lists with uninitialized tensors is not supported in this version of "
                  "TensorListConcat. Consider updating your GraphDef to run the newer version.")
    if i >= leading.size:
        fail(ctx, f"List contains uninitialized tensor at index {i} but leading_dims has only "
                  f"{leading.size} elements.")
    return int(leading[i])


@register_op("TensorListElementShape",
             inputs=["input_handle: variant"],
             outputs=["element_shape: shape_type"],
             attrs=["shape_type: type {int32, int64}"])
def _tensor_list_element_shape(ctx, handle, *, shape_type):
    shape = _input_list(ctx, handle).element_shape
    if shape is None:
        return (np.asarray(-1, dtype=shape_type.numpy),)
    return (np.asarray(shape, dtype=shape_type.numpy).reshape(len(shape)),)


@register_op("TensorListFromTensor",
             inputs=["tensor: element_dtype", "element_shape: shape_type"],
             outputs=["output_handle: variant"],
             attrs=["element_dtype: type", "shape_type: type {int32, int64}"])
def _tensor_list_from_tensor(ctx, tensor, element_shape, *, element_dtype, **_):
    shape = shape_from_tensor(ctx, element_shape)
    tensor = _as_element(tensor, element_dtype)
    if tensor.ndim < 1:
        fail(ctx, f"Tensor must be at least a vector, but saw shape: {shape_debug(tensor.shape)}")
    if not compatible(shape, tensor.shape[1:]):
        fail(ctx, f"Specified a list with shape {shape_debug(shape)} from a tensor with shape "
                  f"{shape_debug(tensor.shape[1:])}")
    return (TensorList(element_dtype, shape, tuple(tensor)),)


@register_op("TensorListGather",
             inputs=["input_handle: variant", "indices: int32", "element_shape: int32"],
             outputs=["values: element_dtype"],
             attrs=["element_dtype: type"])
def _tensor_list_gather(ctx, handle, indices, element_shape, *, element_dtype):
    tlist = _input_list(ctx, handle)
    _check_dtype(ctx, tlist, element_dtype)
    shape = _element_shape_input(ctx, tlist, element_shape)
    indices = np.asarray(indices).reshape(-1).tolist()
    for i in indices:
        if not 0 <= i < len(tlist):
            fail(ctx, f"Index {i} out o range; list only has {len(tlist)} elements.")
    if not fully_defined(tlist.element_shape):
        shape = _infer_from_items(ctx, shape, (tlist.items[i] for i in indices))
    if not fully_defined(shape):
        fail(ctx, "Tried to gather uninitialized tensors from a list with non-fully-defined "
                  f"element_shape: {shape_debug(shape)}")
    return (_stack([tlist.items[i] for i in indices], shape, element_dtype),)


@register_op("TensorListGetItem",
             inputs=["input_handle: variant", "index: int32", "element_shape: Tshape"],
             outputs=["item: element_dtype"],
             attrs=["element_dtype: type", "Tshape: type {int32, int64} = DT_INT32"])
def _tensor_list_get_item(ctx, handle, index, element_shape, *, element_dtype, **_):
    tlist = _input_list(ctx, handle)
    _check_dtype(ctx, tlist, element_dtype)
    index = int(index)
    if not 0 <= index < len(tlist):
        fail(ctx, f"Trying to access element {index} in a list with {len(tlist)} elements.")
    item = tlist.items[index]
    if item is not None:
        return (item,)
    shape = _element_shape_input(ctx, tlist, element_shape)
    if not fully_defined(shape):
        shape = _infer_from_items(ctx, shape, tlist.items)
    if not fully_defined(shape):
        fail(ctx, "Trying to read an uninitialized tensor but element_shape is not fully defined: "
                  f"{shape_debug(shape)} and no list element is set.")
    return (zeros(shape, _np_dtype(element_dtype)),)


@register_op("TensorListLength",
             inputs=["input_handle: variant"],
             outputs=["length: int32"])
def _tensor_list_length(ctx, handle):
    return (np.asarray(len(_input_list(ctx, handle)), dtype=np.int32),)


@register_op("TensorListPopBack",
             inputs=["input_handle: variant", "element_shape: int32"],
             outputs=["output_handle: variant", "tensor: element_dtype"],
             attrs=["element_dtype: type"])
def _tensor_list_pop_back(ctx, handle, element_shape, *, element_dtype):
    tlist = _input_list(ctx, handle)
    _check_dtype(ctx, tlist, element_dtype)
    if not tlist.items:
        fail(ctx, "Trying to pop from an empty list.")
    item = tlist.items[-1]
    if item is None:
        shape = _element_shape_input(ctx, tlist, element_shape)
        if not fully_defined(shape):
            fail(ctx, "Trying to read an uninitialized tensor but element_shape is not fully "
                      f"defined.{shape_debug(shape)}")
        item = zeros(shape, _np_dtype(element_dtype))
    return replace(tlist, items=tlist.items[:-1]), item


@register_op("TensorListPushBack",
             inputs=["input_handle: variant", "tensor: element_dtype"],
             outputs=["output_handle: variant"],
             attrs=["element_dtype: type"])
def _tensor_list_push_back(ctx, handle, tensor, *, element_dtype):
    tlist = _input_list(ctx, handle)
    tensor = _as_element(tensor, element_dtype)
    if not compatible(tlist.element_shape, tensor.shape):
        fail(ctx, "Tried to append a tensor with incompatible shape to a list. Op element shape: "
                  f"{shape_debug(tensor.shape)} list shape: {shape_debug(tlist.element_shape)}")
    _check_dtype(ctx, tlist, element_dtype)
    if tlist.max_num_elements != -1 and len(tlist) >= tlist.max_num_elements:
        fail(ctx, f"Tried to push item into a full list list size: {len(tlist)} max_num_elements: "
                  f"{tlist.max_num_elements}")
    return (replace(tlist, items=tlist.items + (tensor,)),)


@register_op("TensorListReserve",
             inputs=["element_shape: shape_type", "num_elements: int32"],
             outputs=["handle: variant"],
             attrs=["element_dtype: type", "shape_type: type {int32, int64}"])
def _tensor_list_reserve(ctx, element_shape, num_elements, *, element_dtype, **_):
    shape = shape_from_tensor(ctx, element_shape)
    count = int(num_elements)
    if count < 0:
        fail(ctx, f"The num_elements to reserve must be a non negative number, but got {count}")
    return (TensorList(element_dtype, shape, (None,) * count),)


@register_op("TensorListResize",
             inputs=["input_handle: variant", "size: int32"],
             outputs=["output_handle: variant"])
def _tensor_list_resize(ctx, handle, size):
    tlist = _input_list(ctx, handle)
    size = int(size)
    if size < 0:
        fail(ctx, f"TensorListSlice expects size to be non-negative. Got: {size}")
    items = tlist.items[:size] + (None,) * max(0, size - len(tlist))
    return (replace(tlist, items=items),)


@register_op("TensorListScatterIntoExistingList",
             inputs=["input_handle: variant", "tensor: element_dtype", "indices: int32"],
             outputs=["output_handle: variant"],
             attrs=["element_dtype: type"])
def _tensor_list_scatter_into_existing_list(ctx, handle, tensor, indices, *, element_dtype):
    tlist = _input_list(ctx, handle)
    _check_dtype(ctx, tlist, element_dtype)
    return (_scatter(ctx, tlist, _as_element(tensor, element_dtype), indices),)


@register_op("TensorListScatterV2",
             inputs=["tensor: element_dtype", "indices: int32", "element_shape: shape_type",
                     "num_elements: int32"],
             outputs=["output_handle: variant"],
             attrs=["element_dtype: type", "shape_type: type {int32, int64}"])
def _tensor_list_scatter_v2(ctx, tensor, indices, element_shape, num_elements, *, element_dtype,
                            **_):
    shape = shape_from_tensor(ctx, element_shape)
    count = int(num_elements)
    if count < -1:
        fail(ctx, f"TensorListScatter expects num_elements >= -1, found: {count}")
    tlist = TensorList(element_dtype, shape, (None,) * max(count, 0))
    return (_scatter(ctx, tlist, _as_element(tensor, element_dtype), indices, grow=count == -1),)


@register_op("TensorListSetItem",
             inputs=["input_handle: variant", "index: int32", "item: element_dtype"],
             outputs=["output_handle: variant"],
             attrs=["element_dtype: type", "resize_if_index_out_of_bounds: bool = false"])
def _tensor_list_set_item(ctx, handle, index, item, *, element_dtype,
                          resize_if_index_out_of_bounds):
    tlist = _input_list(ctx, handle)
    _check_dtype(ctx, tlist, element_dtype)
    index = int(index)
    if index < 0 or (index >= len(tlist) and not resize_if_index_out_of_bounds):
        fail(ctx, f"Trying to modify element {index} in a list with {len(tlist)} elements.")
    item = _as_element(item, element_dtype)
    if not compatible(tlist.element_shape, item.shape):
        fail(ctx, "Tried to set a tensor with incompatible shape at a list index. Item element "
                  f"shape: {shape_debug(item.shape)} list shape: "
                  f"{shape_debug(tlist.element_shape)}")
    items = tlist.items + (None,) * max(0, index + 1 - len(tlist))
    return (replace(tlist, items=items[:index] + (item,) + items[index + 1:]),)


@register_op("TensorListSplit",
             inputs=["tensor: element_dtype", "element_shape: shape_type", "lengths: int64"],
             outputs=["output_handle: variant"],
             attrs=["element_dtype: type", "shape_type: type {int32, int64}"])
def _tensor_list_split(ctx, tensor, element_shape, lengths, *, element_dtype, **_):
    tensor = _as_element(tensor, element_dtype)
    if tensor.ndim < 1:
        fail(ctx, f"Tensor must be at least a vector, but saw shape: {shape_debug(tensor.shape)}")
    shape = shape_from_tensor(ctx, element_shape)
    if shape is not None and len(shape) < 1:
        fail(ctx, "TensorListSplit requires element_shape to be at least of rank 1, but saw: "
                  f"{shape_debug(shape)}")
    if not compatible(None if shape is None else shape[1:], tensor.shape[1:]):
        fail(ctx, f"tensor shape {shape_debug(tensor.shape)} is not compatible with element_shape "
                  f"{shape_debug(shape)}")
    lengths = np.asarray(lengths)
    if lengths.ndim != 1:
        fail(ctx, f"Expected lengths to be a vector, received shape: {shape_debug(lengths.shape)}")
    items, start = [], 0
    for length in lengths.tolist():
        if length < 0:
            fail(ctx, f"Invalid value in lengths: {length}")
        end = start + length
        if end > tensor.shape[0]:
            fail(ctx, f"Attempting to slice [{start}, {end}] from tensor with length "
                      f"{tensor.shape[0]}")
        items.append(tensor[start:end])
        start = end
    if start != tensor.shape[0]:
        fail(ctx, f"Unused values in tensor. Length of tensor: {tensor.shape[0]} Values used: "
                  f"{start}")
    return (TensorList(element_dtype, shape, tuple(items)),)


@register_op("TensorListStack",
             inputs=["input_handle: variant", "element_shape: int32"],
             outputs=["tensor: element_dtype"],
             attrs=["element_dtype: type", "num_elements: int = -1"])
def _tensor_list_stack(ctx, handle, element_shape, *, element_dtype, num_elements):
    tlist = _input_list(ctx, handle)
    _check_dtype(ctx, tlist, element_dtype)
    if num_elements != -1 and len(tlist) != num_elements:
        fail(ctx, f"Operation expected a list with {num_elements} elements but got a list with "
                  f"{len(tlist)} elements.")
    shape = _element_shape_input(ctx, tlist, element_shape)
    if not fully_defined(shape) and not tlist.items:
        fail(ctx, "Tried to stack elements of an empty list with non-fully-defined element_shape: "
                  f"{shape_debug(shape)}")
    if not fully_defined(tlist.element_shape):
        shape = _infer_from_items(ctx, shape, tlist.items)
    if not fully_defined(shape):
        fail(ctx, "Tried to stack list which only contains uninitialized tensors and has a "
                  f"non-fully-defined element_shape: {shape_debug(shape)}")
    return (_stack(tlist.items, shape, element_dtype),)
