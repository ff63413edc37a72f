"""C++-canonical deterministic protobuf serialization (the bytes TensorFlow's fingerprints hash).

Spec: ``shared/spec/savedmodel-format.md`` section 2.2. TensorFlow's C++
``SerializeToStringDeterministic`` writes, for every message:

- known fields in field-number order (proto3 scalars equal to their default are skipped; set message
  fields and oneof members are written even when empty), then the unknown fields in parse order;
- map fields with their entries sorted by key: strings bytewise (so a key comes *before* the keys it
  is a prefix of), integers numerically, ``false`` before ``true``; each entry always carries both
  its key (field 1) and its value (field 2), defaults included.

The Python runtime (upb) that TensorFlow 2.21's Python save path uses is deterministic too, but
sorts map keys differently: a string key comes *after* the longer keys it prefixes
(``"aa", "ab", "a"``) and integer keys come in descending order. Everything else is byte-identical.
So this encoder walks a message only where a map could be ordered differently, and hands every other
subtree (most of the bytes: tensors, shapes, plain strings) to upb's
``SerializeToString(deterministic=True)``.

May import: google.protobuf, savedmodel.errors.
"""

from __future__ import annotations

import functools
import itertools
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from google.protobuf import unknown_fields as _unknown_fields
from google.protobuf.descriptor import FieldDescriptor as _FD

from savedmodel.errors import InternalError

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
    ...     node.attr[key].i = 1
    >>> serialize(node)
    b'\\n\\x01n*\\x07\\n\\x01a\\x12\\x02\\x18\\x01*\\x08\\n\\x02ab\\x12\\x02\\x18\\x01'
    """
    encoded = _canonical(message)
    return message.SerializeToString(deterministic=True) if encoded is None else encoded


# ---------------------------------------------------------------------------------------------
# Per-type plans, computed once per descriptor.


@dataclass(frozen=True)
class _MapPlan:
    name: str
    number: int
    string_keys: bool
    value_reaches_map: bool


@dataclass(frozen=True)
class _Plan:
    """The fields of one message type through which it can hold a map."""

    maps: tuple[_MapPlan, ...]
    singular: tuple[tuple[str, int], ...]  # (name, number) of message fields reaching a map
    repeated: tuple[tuple[str, int], ...]
    # When every field above belongs to one oneof, its name: one WhichOneof call rules most out.
    oneof: str | None
    names: frozenset[str]


_PLANS: dict[_descriptor.Descriptor, _Plan | None] = {}  # None: the type cannot hold a map


def _is_map(field: _FD) -> bool:
    entry = field.message_type
    return entry is not None and entry.has_options and entry.GetOptions().map_entry


def _build_plans(root: _descriptor.Descriptor) -> _Plan | None:
    """Fills ``_PLANS`` for ``root`` and every type it reaches (fixed point, so cycles are fine)."""
    types: list[_descriptor.Descriptor] = []
    stack = [root]
    while stack:
        desc = stack.pop()
        if desc not in types:
            types.append(desc)
            stack.extend(f.message_type for f in desc.fields if f.message_type is not None)
    reaches = {d: any(_is_map(f) for f in d.fields) for d in types}
    changed = True
    while changed:
        changed = False
        for desc in types:
            if not reaches[desc] and any(reaches.get(f.message_type, False) for f in desc.fields):
                reaches[desc] = changed = True
    for desc in types:
        _PLANS.setdefault(desc, _make_plan(desc, reaches) if reaches[desc] else None)
    return _PLANS[root]


def _make_plan(desc: _descriptor.Descriptor, reaches: dict) -> _Plan:
    maps: list[_MapPlan] = []
    singular: list[tuple[str, int]] = []
    repeated: list[tuple[str, int]] = []
    oneofs: set[str | None] = set()
    for field in sorted(desc.fields, key=lambda f: f.number):
        if _is_map(field):
            key, value = (field.message_type.fields_by_number[n] for n in (1, 2))
            string_keys = key.type == _FD.TYPE_STRING
            maps.append(_MapPlan(field.name, field.number, string_keys,
                                 reaches.get(value.message_type, False)))
        elif reaches.get(field.message_type, False):
            (repeated if field.is_repeated else singular).append((field.name, field.number))
        else:
            continue
        oneofs.add(field.containing_oneof.name if field.containing_oneof else None)
    oneof = oneofs.pop() if len(oneofs) == 1 else None
    names = frozenset(m.name for m in maps) | {name for name, _ in singular + repeated}
    return _Plan(tuple(maps), tuple(singular), tuple(repeated), oneof, names)


# ---------------------------------------------------------------------------------------------
# The walk: returns None where upb's deterministic bytes are already canonical.


def _canonical(msg: _message.Message) -> bytes | None:
    desc = msg.DESCRIPTOR
    plan = _PLANS[desc] if desc in _PLANS else _build_plans(desc)
    if plan is None or (plan.oneof is not None and msg.WhichOneof(plan.oneof) not in plan.names):
        return None
    children: dict[int, Any] = {}
    differs = False
    for map_plan in plan.maps:
        entries = getattr(msg, map_plan.name)
        if not entries:
            continue
        if len(entries) > 1 and (not map_plan.string_keys or _has_prefix_pair(entries)):
            differs = True  # upb writes integer keys descending and prefixes after their extensions
        if map_plan.value_reaches_map:
            encoded = {key: _canonical(value) for key, value in entries.items()}
            differs = differs or any(e is not None for e in encoded.values())
            children[map_plan.number] = encoded
    for name, number in plan.singular:
        if msg.HasField(name):
            single = _canonical(getattr(msg, name))
            if single is not None:
                differs = True
                children[number] = single
    for name, number in plan.repeated:
        items = getattr(msg, name)
        if items:
            encoded_list = [_canonical(item) for item in items]
            if any(e is not None for e in encoded_list):
                differs = True
                children[number] = encoded_list
    return _encode_message(msg, children) if differs else None


def _has_prefix_pair(keys: Any) -> bool:
    """True when one string key is a prefix of another (the only case upb orders differently)."""
    ordered = sorted(keys)  # str order == UTF-8 byte order
    return any(b.startswith(a) for a, b in itertools.pairwise(ordered))


def _encode_message(msg: _message.Message, children: dict[int, Any]) -> bytes:
    out: list[bytes] = []
    for field, value in msg.ListFields():  # set fields, by number
        _writer(field)(out, value, children.get(field.number))
    _encode_unknown(out, _unknown_fields.UnknownFieldSet(msg))
    return b"".join(out)


_Writer = Callable[[list, Any, Any], None]


@functools.cache
def _writer(field: _FD) -> _Writer:
    """The function appending one set field (value, plus the canonical bytes of its children)."""
    if field.is_extension:
        raise InternalError(f"{field.full_name}: extensions are not supported.")
    if _is_map(field):
        return _map_writer(field)
    if field.type == _FD.TYPE_GROUP:
        start, end = _tag(field.number, _START_GROUP), _tag(field.number, _END_GROUP)
        return _message_writer(field.is_repeated, lambda body: (start, body, end))
    if field.type == _FD.TYPE_MESSAGE:
        tag = _tag(field.number, _LEN)
        return _message_writer(field.is_repeated, lambda body: (tag, _varint(len(body)), body))
    encode = _SCALAR[field.type]
    if field.is_packed:
        tag = _tag(field.number, _LEN)

        def packed(out: list, values: Any, _: Any) -> None:
            body = b"".join(map(encode, values))
            out += (tag, _varint(len(body)), body)

        return packed
    tag = _tag(field.number, _WIRE[field.type])
    if field.is_repeated:
        return lambda out, values, _: out.extend(tag + encode(v) for v in values)
    return lambda out, value, _: out.extend((tag, encode(value)))


def _message_writer(repeated: bool, frame: Callable[[bytes], tuple]) -> _Writer:
    def write_one(out: list, item: Any, encoded: bytes | None) -> None:
        out += frame(item.SerializeToString(deterministic=True) if encoded is None else encoded)

    def write_many(out: list, items: Any, encoded: list | None) -> None:
        for item, enc in zip(items, encoded or [None] * len(items)):
            write_one(out, item, enc)

    return write_many if repeated else write_one


def _map_writer(field: _FD) -> _Writer:
    key_field, value_field = (field.message_type.fields_by_number[n] for n in (1, 2))
    key_tag, key_enc = _tag(1, _WIRE[key_field.type]), _SCALAR[key_field.type]
    field_tag = _tag(field.number, _LEN)
    if value_field.type == _FD.TYPE_MESSAGE:

        def value_bytes(value: Any, body: bytes | None) -> bytes:
            if body is None:
                body = value.SerializeToString(deterministic=True)
            return b"\x12" + _varint(len(body)) + body
    else:
        value_tag, value_enc = _tag(2, _WIRE[value_field.type]), _SCALAR[value_field.type]

        def value_bytes(value: Any, body: bytes | None) -> bytes:
            return value_tag + value_enc(value)

    def write(out: list, entries: Any, encoded: dict | None) -> None:
        encoded = encoded or {}
        for key in sorted(entries):  # str order is UTF-8 byte order; ints and bools numeric
            entry = key_tag + key_enc(key) + value_bytes(entries[key], encoded.get(key))
            out += (field_tag, _varint(len(entry)), entry)

    return write


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


_ONE_BYTE = tuple(bytes((i,)) for i in range(0x80))


def _varint(value: int) -> bytes:
    if 0 <= value < 0x80:
        return _ONE_BYTE[value]
    value &= 0xFFFFFFFFFFFFFFFF  # negative int32/int64/enum values take ten bytes, as in C++
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
    _FD.TYPE_FIXED32: _struct("<I"), _FD.TYPE_SFIXED32: _struct("<i"),
    _FD.TYPE_FLOAT: _struct("<f"), _FD.TYPE_FIXED64: _struct("<Q"),
    _FD.TYPE_SFIXED64: _struct("<q"), _FD.TYPE_DOUBLE: _struct("<d"),
    _FD.TYPE_STRING: _string, _FD.TYPE_BYTES: _length_delimited,
}
_WIRE: dict[int, int] = {
    **dict.fromkeys((_FD.TYPE_INT32, _FD.TYPE_INT64, _FD.TYPE_UINT32, _FD.TYPE_UINT64,
                     _FD.TYPE_ENUM, _FD.TYPE_BOOL, _FD.TYPE_SINT32, _FD.TYPE_SINT64), _VARINT),
    **dict.fromkeys((_FD.TYPE_FIXED32, _FD.TYPE_SFIXED32, _FD.TYPE_FLOAT), _FIXED32),
    **dict.fromkeys((_FD.TYPE_FIXED64, _FD.TYPE_SFIXED64, _FD.TYPE_DOUBLE), _FIXED64),
    **dict.fromkeys((_FD.TYPE_STRING, _FD.TYPE_BYTES), _LEN),
}
