"""C++-canonical deterministic protobuf serialization (the bytes TensorFlow's fingerprints hash).

Spec: ``shared/spec/savedmodel-format.md`` section 2.2. TensorFlow's C++ ``SerializeToStringDeterministic``
writes, for every message:

- known fields in field-number order (proto3 scalars equal to their default are skipped; set message
  fields and oneof members are written even when empty), then the unknown fields in parse order;
- map fields with their entries sorted by key: strings bytewise (so a key comes *before* the keys it
  is a prefix of), integers numerically, ``false`` before ``true``; each entry always carries both
  its key (field 1) and its value (field 2), defaults included.

The Python runtime (upb) that TensorFlow 2.21's Python save path uses is deterministic too, but sorts
map keys differently: a string key comes *after* the longer keys it prefixes (``"aa", "ab", "a"``) and
integer keys come in descending order. Everything else is byte-identical. So this encoder walks a
message only where a map could be ordered differently, and hands every other subtree (most of the
bytes: tensors, shapes, plain strings) to upb's ``SerializeToString(deterministic=True)``.

May import: google.protobuf, savedmodel.errors.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any, Callable

from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from google.protobuf import unknown_fields as _unknown_fields

from savedmodel.errors import InternalError

_FD = _descriptor.FieldDescriptor
_VARINT, _FIXED64, _LEN, _START_GROUP, _END_GROUP, _FIXED32 = range(6)


def serialize(message: _message.Message) -> bytes:
    """Returns ``message`` serialized exactly as TensorFlow's C++ deterministic serializer would.

    Args:
        message: any protobuf message (e.g. a ``SavedModel`` or a ``GraphDef``).

    Returns:
        The wire bytes, with fields by number and map entries sorted by key (section 2.2).

    >>> from savedmodel._proto import node_def_pb2
    >>> node = node_def_pb2.NodeDef(name="n")
    >>> for key in ("ab", "a"):
    ...     _ = node.attr[key].i = 1
    >>> serialize(node)
    b'\\n\\x01n*\\x07\\n\\x01a\\x12\\x02\\x18\\x01*\\x08\\n\\x02ab\\x12\\x02\\x18\\x01'
    """
    encoded = _canonical(message)
    return message.SerializeToString(deterministic=True) if encoded is None else encoded


# ---------------------------------------------------------------------------------------------
# Per-type plans, computed once per descriptor.


@dataclass(frozen=True)
class _MapPlan:
    key_type: int
    value: _FD
    value_reaches_map: bool


@dataclass
class _Plan:
    """Fields of one message type that can hold a map, directly or through sub-messages."""

    map_fields: list[tuple[_FD, _MapPlan]]
    message_fields: list[_FD]  # singular or repeated message fields whose type reaches a map

    @property
    def reaches_map(self) -> bool:
        return bool(self.map_fields or self.message_fields)


_PLANS: dict[str, _Plan] = {}


def _is_map(field: _FD) -> bool:
    entry = field.message_type
    return entry is not None and entry.has_options and entry.GetOptions().map_entry


def _plan(desc: _descriptor.Descriptor) -> _Plan:
    plan = _PLANS.get(desc.full_name)
    if plan is None:
        plan = _build_plans(desc)
    return plan


def _build_plans(root: _descriptor.Descriptor) -> _Plan:
    """Fills ``_PLANS`` for ``root`` and every type it reaches (fixed point, so cycles are fine)."""
    types: dict[str, _descriptor.Descriptor] = {}
    stack = [root]
    while stack:
        desc = stack.pop()
        if desc.full_name in types:
            continue
        types[desc.full_name] = desc
        stack.extend(f.message_type for f in desc.fields if f.message_type is not None)
    reaches = {name: any(_is_map(f) for f in d.fields) for name, d in types.items()}
    changed = True
    while changed:
        changed = False
        for name, desc in types.items():
            if not reaches[name] and any(
                f.message_type is not None and reaches[f.message_type.full_name] for f in desc.fields
            ):
                reaches[name] = changed = True
    for name, desc in types.items():
        if name in _PLANS:
            continue
        maps, messages = [], []
        for field in sorted(desc.fields, key=lambda f: f.number):
            if _is_map(field):
                key, value = field.message_type.fields_by_number[1], field.message_type.fields_by_number[2]
                value_reaches = value.message_type is not None and reaches[value.message_type.full_name]
                maps.append((field, _MapPlan(key.type, value, value_reaches)))
            elif field.message_type is not None and reaches[field.message_type.full_name]:
                messages.append(field)
        _PLANS[name] = _Plan(maps, messages)
    return _PLANS[root.full_name]


# ---------------------------------------------------------------------------------------------
# The walk: returns None where upb's deterministic bytes are already canonical.


def _canonical(msg: _message.Message) -> bytes | None:
    plan = _plan(msg.DESCRIPTOR)
    if not plan.reaches_map:
        return None
    children: dict[int, Any] = {}
    differs = False
    for field, map_plan in plan.map_fields:
        entries = getattr(msg, field.name)
        if not entries:
            continue
        if len(entries) > 1 and _upb_map_order_differs(map_plan.key_type, entries):
            differs = True
        if map_plan.value_reaches_map:
            encoded = {key: _canonical(value) for key, value in entries.items()}
            differs = differs or any(e is not None for e in encoded.values())
            children[field.number] = encoded
    for field in plan.message_fields:
        if field.is_repeated:
            encoded_list = [_canonical(item) for item in getattr(msg, field.name)]
            if any(e is not None for e in encoded_list):
                differs = True
                children[field.number] = encoded_list
        elif msg.HasField(field.name):
            single = _canonical(getattr(msg, field.name))
            if single is not None:
                differs = True
                children[field.number] = single
    return _encode_message(msg, children) if differs else None


def _upb_map_order_differs(key_type: int, entries: Any) -> bool:
    """True when upb would order these map keys differently from C++ (section 2.2)."""
    if key_type != _FD.TYPE_STRING:
        return True  # upb writes integer and bool keys in descending order, C++ ascending
    keys = sorted(entries)  # str order == UTF-8 byte order
    return any(b.startswith(a) for a, b in zip(keys, keys[1:]))


def _encode_message(msg: _message.Message, children: dict[int, Any]) -> bytes:
    out: list[bytes] = []
    for field, value in msg.ListFields():
        if field.is_extension:
            raise InternalError(f"{msg.DESCRIPTOR.full_name}: extensions are not supported.")
        child = children.get(field.number)
        if _is_map(field):
            _encode_map(out, field, value, child)
        elif field.type in (_FD.TYPE_MESSAGE, _FD.TYPE_GROUP):
            items = value if field.is_repeated else [value]
            encoded = child if field.is_repeated else [child]
            for item, enc in zip(items, encoded or [None] * len(items)):
                _encode_submessage(out, field, item, enc)
        elif field.is_repeated:
            _encode_repeated_scalar(out, field, value)
        else:
            out.append(_tag(field.number, _WIRE[field.type]))
            out.append(_SCALAR[field.type](value))
    _encode_unknown(out, _unknown_fields.UnknownFieldSet(msg))
    return b"".join(out)


def _encode_submessage(out: list[bytes], field: _FD, item: Any, encoded: bytes | None) -> None:
    body = item.SerializeToString(deterministic=True) if encoded is None else encoded
    if field.type == _FD.TYPE_GROUP:
        out += (_tag(field.number, _START_GROUP), body, _tag(field.number, _END_GROUP))
    else:
        out += (_tag(field.number, _LEN), _varint(len(body)), body)


def _encode_map(out: list[bytes], field: _FD, entries: Any, encoded: dict | None) -> None:
    entry_desc = field.message_type
    key_field, value_field = entry_desc.fields_by_number[1], entry_desc.fields_by_number[2]
    key_tag, key_enc = _tag(1, _WIRE[key_field.type]), _SCALAR[key_field.type]
    is_message = value_field.type == _FD.TYPE_MESSAGE
    if not is_message:
        value_tag, value_enc = _tag(2, _WIRE[value_field.type]), _SCALAR[value_field.type]
    field_tag = _tag(field.number, _LEN)
    for key in sorted(entries):  # str order is UTF-8 byte order; ints and bools sort numerically
        value = entries[key]
        if is_message:
            body = encoded.get(key) if encoded else None
            if body is None:
                body = value.SerializeToString(deterministic=True)
            value_bytes = b"\x12" + _varint(len(body)) + body
        else:
            value_bytes = value_tag + value_enc(value)
        entry = key_tag + key_enc(key) + value_bytes
        out += (field_tag, _varint(len(entry)), entry)


def _encode_repeated_scalar(out: list[bytes], field: _FD, values: Any) -> None:
    encode = _SCALAR[field.type]
    if field.is_packed:
        body = b"".join(map(encode, values))
        out += (_tag(field.number, _LEN), _varint(len(body)), body)
    else:
        tag = _tag(field.number, _WIRE[field.type])
        for value in values:
            out += (tag, encode(value))


def _encode_unknown(out: list[bytes], unknown: Any) -> None:
    for item in unknown:
        wire = item.wire_type
        out.append(_tag(item.field_number, wire))
        if wire == _VARINT:
            out.append(_varint(item.data))
        elif wire == _FIXED64:
            out.append(struct.pack("<Q", item.data))
        elif wire == _FIXED32:
            out.append(struct.pack("<I", item.data))
        elif wire == _LEN:
            out += (_varint(len(item.data)), item.data)
        else:  # a group: its fields, then the end tag
            _encode_unknown(out, item.data)
            out.append(_tag(item.field_number, _END_GROUP))


# ---------------------------------------------------------------------------------------------
# Scalar wire encoding.


def _varint(value: int) -> bytes:
    value &= 0xFFFFFFFFFFFFFFFF  # negative int32/int64/enum values take ten bytes, as in C++
    if value < 0x80:
        return bytes((value,))
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _tag(number: int, wire_type: int) -> bytes:
    return _varint(number << 3 | wire_type)


def _zigzag(value: int) -> bytes:
    return _varint((value << 1) ^ (value >> 63))


def _length_delimited(value: bytes) -> bytes:
    return _varint(len(value)) + value


def _string(value: str) -> bytes:
    return _length_delimited(value.encode("utf-8"))


def _struct(fmt: str) -> Callable[[Any], bytes]:
    return struct.Struct(fmt).pack


_SCALAR: dict[int, Callable[[Any], bytes]] = {
    _FD.TYPE_INT32: _varint, _FD.TYPE_INT64: _varint, _FD.TYPE_UINT32: _varint,
    _FD.TYPE_UINT64: _varint, _FD.TYPE_ENUM: _varint, _FD.TYPE_BOOL: _varint,
    _FD.TYPE_SINT32: _zigzag, _FD.TYPE_SINT64: _zigzag,
    _FD.TYPE_FIXED32: _struct("<I"), _FD.TYPE_SFIXED32: _struct("<i"), _FD.TYPE_FLOAT: _struct("<f"),
    _FD.TYPE_FIXED64: _struct("<Q"), _FD.TYPE_SFIXED64: _struct("<q"), _FD.TYPE_DOUBLE: _struct("<d"),
    _FD.TYPE_STRING: _string, _FD.TYPE_BYTES: _length_delimited,
}
_WIRE: dict[int, int] = {
    **dict.fromkeys((_FD.TYPE_INT32, _FD.TYPE_INT64, _FD.TYPE_UINT32, _FD.TYPE_UINT64, _FD.TYPE_ENUM,
                     _FD.TYPE_BOOL, _FD.TYPE_SINT32, _FD.TYPE_SINT64), _VARINT),
    **dict.fromkeys((_FD.TYPE_FIXED32, _FD.TYPE_SFIXED32, _FD.TYPE_FLOAT), _FIXED32),
    **dict.fromkeys((_FD.TYPE_FIXED64, _FD.TYPE_SFIXED64, _FD.TYPE_DOUBLE), _FIXED64),
    **dict.fromkeys((_FD.TYPE_STRING, _FD.TYPE_BYTES), _LEN),
}
