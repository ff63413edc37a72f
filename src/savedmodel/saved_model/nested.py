"""Python structures of function inputs and outputs, decoded from ``StructuredValue`` protos.

Flattening follows ``tf.nest``: dict values in sorted key order, tuples, lists and named tuples in
order; TensorSpecs (and tensors) are the leaves.
"""

from __future__ import annotations

import collections
from collections.abc import Callable
from typing import Any

from savedmodel._proto import struct_pb2
from savedmodel.errors import SavedModelValueError, UnimplementedError
from savedmodel.format import dtypes, tensor_proto
from savedmodel.tracing.tensor_spec import TensorSpec


def decode(value: struct_pb2.StructuredValue) -> Any:
    """The Python structure a StructuredValue describes (TensorSpecProto -> TensorSpec)."""
    kind = value.WhichOneof("kind")
    if kind is None or kind == "none_value":
        return None
    if kind in ("float64_value", "int64_value", "string_value", "bool_value"):
        return getattr(value, kind)
    if kind == "list_value":
        return [decode(v) for v in value.list_value.values]
    if kind == "tuple_value":
        return tuple(decode(v) for v in value.tuple_value.values)
    if kind == "dict_value":
        return {k: decode(v) for k, v in value.dict_value.fields.items()}
    if kind == "named_tuple_value":
        named = value.named_tuple_value
        cls = collections.namedtuple(named.name or "NamedTuple", [p.key for p in named.values])
        return cls(*(decode(p.value) for p in named.values))
    if kind in ("tensor_spec_value", "bounded_tensor_spec_value"):
        spec = getattr(value, kind)
        return TensorSpec(tensor_proto.shape_from_proto(spec.shape), dtypes.as_dtype(spec.dtype),
                          spec.name or None)
    if kind == "tensor_dtype_value":
        return dtypes.as_dtype(value.tensor_dtype_value)
    if kind == "tensor_shape_value":
        return tensor_proto.shape_from_proto(value.tensor_shape_value)
    if kind == "tensor_value":
        return tensor_proto.to_ndarray(value.tensor_value)
    if kind == "type_spec_value":
        name = value.type_spec_value.type_spec_class_name or str(value.type_spec_value.type_spec_class)
        raise UnimplementedError(f"Function signatures with composite tensors ({name}) are not "
                                 "supported yet.")
    raise UnimplementedError(f"StructuredValue kind {kind!r} is not supported.")


def _is_namedtuple(x: Any) -> bool:
    return isinstance(x, tuple) and hasattr(x, "_fields")


def flatten(structure: Any, is_leaf: Callable[[Any], bool] | None = None) -> list[Any]:
    """Leaves of ``structure`` in tf.nest order."""
    if is_leaf is not None and is_leaf(structure):
        return [structure]
    if isinstance(structure, dict):
        return [leaf for key in sorted(structure) for leaf in flatten(structure[key], is_leaf)]
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in flatten(item, is_leaf)]
    return [structure]


def pack_as(structure: Any, leaves: list[Any], is_leaf: Callable[[Any], bool]) -> Any:
    """Rebuilds ``structure`` with its leaves (as chosen by ``is_leaf``) replaced, in order."""
    iterator = iter(leaves)
    result = _pack(structure, iterator, is_leaf)
    if next(iterator, None) is not None:
        raise SavedModelValueError("More values than the structure has leaves.")
    return result


def _pack(structure: Any, leaves: Any, is_leaf: Callable[[Any], bool]) -> Any:
    if is_leaf(structure):
        return next(leaves)
    if isinstance(structure, dict):
        packed = {key: _pack(structure[key], leaves, is_leaf) for key in sorted(structure)}
        return {key: packed[key] for key in structure}
    if _is_namedtuple(structure):
        return type(structure)(*(_pack(item, leaves, is_leaf) for item in structure))
    if isinstance(structure, (list, tuple)):
        return type(structure)(_pack(item, leaves, is_leaf) for item in structure)
    return structure
