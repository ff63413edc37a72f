"""AttrValue protos decoded into Python values, whatever the op.

type → ``dtypes.DType``, string → ``str`` (UTF-8, undecodable bytes kept with surrogateescape),
shape → tuple with -1 for unknown dims or None for unknown rank, tensor → ndarray, func → ``FuncRef``,
list → list of the decoded items, placeholder (``$T`` in function bodies) → ``Placeholder``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from savedmodel._proto import attr_value_pb2
from savedmodel.format import dtypes, tensor_proto


@dataclass(frozen=True)
class FuncRef:
    """A function attribute value: the function's name and its own attributes."""

    name: str
    attrs: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class Placeholder:
    """An attr of a function body bound to the caller's attr named ``name``."""

    name: str


def _decode_string(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogateescape")


def decode_attr(value: attr_value_pb2.AttrValue, *, max_bytes: int = tensor_proto.DEFAULT_MAX_TENSOR_BYTES,
                where: str = "attr") -> Any:
    """Python value of one AttrValue (see the module docstring for the mapping)."""
    kind = value.WhichOneof("value")
    if kind == "s":
        return _decode_string(value.s)
    if kind in ("i", "f", "b"):
        return getattr(value, kind)
    if kind == "type":
        return dtypes.as_dtype(value.type)
    if kind == "shape":
        return tensor_proto.shape_from_proto(value.shape)
    if kind == "tensor":
        return tensor_proto.to_ndarray(value.tensor, max_bytes=max_bytes, where=where)
    if kind == "func":
        return decode_func(value.func, where)
    if kind == "placeholder":
        return Placeholder(value.placeholder)
    if kind == "list":
        return _decode_list(value.list, max_bytes, where)
    return None


def decode_func(func: attr_value_pb2.NameAttrList, where: str = "attr") -> FuncRef:
    return FuncRef(func.name, {k: decode_attr(v, where=where) for k, v in func.attr.items()})


def _decode_list(items: attr_value_pb2.AttrValue.ListValue, max_bytes: int, where: str) -> list[Any]:
    if items.s:
        return [_decode_string(s) for s in items.s]
    if items.i:
        return list(items.i)
    if items.f:
        return list(items.f)
    if items.b:
        return list(items.b)
    if items.type:
        return [dtypes.as_dtype(t) for t in items.type]
    if items.shape:
        return [tensor_proto.shape_from_proto(s) for s in items.shape]
    if items.tensor:
        return [tensor_proto.to_ndarray(t, max_bytes=max_bytes, where=where) for t in items.tensor]
    if items.func:
        return [decode_func(f, where) for f in items.func]
    return []
