"""Every TF Serving fixture saved_model.pb re-serializes to the same bytes, up to map order.

Byte-for-byte equality does not hold for any of these files: they were written by older
TensorFlow, whose map entries (``NodeDef.attr``, ``signature_def``, ...) are in hash order,
while ``SerializeToString(deterministic=True)`` sorts them; and in
``saved_model_half_plus_two_tf2_cpu`` the MetaGraphDef has its fields in descending
number order (7, 6, 3, 2, 1), while serializers write ascending order. TensorFlow's own classes
re-serialize exactly as ours do (tests/proto/test_coexistence.py). So these tests compare the
wire encodings with map entries sorted and fields ordered by number (the order of repeated
values kept), and everything else (packing, varint and length encodings, values) as it is:
the strongest equality that holds.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from google.protobuf.descriptor import FieldDescriptor

from savedmodel._proto import saved_model_pb2

# The same folder as tests/conftest.py's SERVING_FIXTURES (not imported: several test folders
# have a conftest.py, so "import conftest" is ambiguous).
SHARED = Path(__file__).resolve().parents[3] / "shared"
SERVING_FIXTURES = SHARED / "fixtures" / "tensorflow-serving"
SAVED_MODELS = sorted(p.parent for p in SERVING_FIXTURES.glob("*/*/saved_model.pb"))


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def _wire_records(data: bytes, descriptor) -> tuple:
    """(records by field number, map entries sorted per field); sub-messages decoded recursively."""
    records, maps = [], {}
    pos = 0
    while pos < len(data):
        start = pos
        tag, pos = _varint(data, pos)
        number, wire_type = tag >> 3, tag & 7
        if wire_type == 0:
            _, pos = _varint(data, pos)
            value = data[start:pos]
        elif wire_type == 1:
            pos += 8
            value = data[start:pos]
        elif wire_type == 5:
            pos += 4
            value = data[start:pos]
        elif wire_type == 2:
            size, body = _varint(data, pos)
            pos = body + size
            field = descriptor.fields_by_number.get(number)
            if field is not None and field.type == FieldDescriptor.TYPE_MESSAGE:
                value = (data[start:body], _wire_records(data[body:pos], field.message_type))
                if field.message_type.GetOptions().map_entry:
                    maps.setdefault(number, []).append(value)
                    continue
            else:
                value = data[start:pos]
        else:
            raise AssertionError(f"unexpected wire type {wire_type} at {start}")
        records.append((number, value))
    # A stable sort: the order of records with the same number (repeated fields) is kept.
    records.sort(key=lambda record: record[0])
    return tuple(records), {n: sorted(entries, key=repr) for n, entries in maps.items()}


def test_there_are_fixtures():
    assert len(SAVED_MODELS) >= 10


@pytest.mark.parametrize("version_dir", SAVED_MODELS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_round_trip_equal_up_to_map_order(version_dir):
    data = (version_dir / "saved_model.pb").read_bytes()
    message = saved_model_pb2.SavedModel.FromString(data)
    again = message.SerializeToString(deterministic=True)
    assert len(again) == len(data)
    descriptor = saved_model_pb2.SavedModel.DESCRIPTOR
    assert _wire_records(again, descriptor) == _wire_records(data, descriptor)
    assert saved_model_pb2.SavedModel.FromString(again) == message


@pytest.mark.parametrize("version_dir", SAVED_MODELS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_deterministic_serialization_is_stable(version_dir):
    data = (version_dir / "saved_model.pb").read_bytes()
    once = saved_model_pb2.SavedModel.FromString(data).SerializeToString(deterministic=True)
    twice = saved_model_pb2.SavedModel.FromString(once).SerializeToString(deterministic=True)
    assert once == twice


def test_no_unknown_fields_in_fixtures():
    """Every byte of every fixture is understood by our schema (nothing lands in unknown fields)."""
    for version_dir in SAVED_MODELS:
        data = (version_dir / "saved_model.pb").read_bytes()
        message = saved_model_pb2.SavedModel.FromString(data)
        _assert_no_unknown(message, str(version_dir))


def _assert_no_unknown(message, where: str) -> None:
    from google.protobuf import unknown_fields

    assert len(unknown_fields.UnknownFieldSet(message)) == 0, where
    for field, value in message.ListFields():
        if field.type != FieldDescriptor.TYPE_MESSAGE:
            continue
        if field.message_type.GetOptions().map_entry:
            value_field = field.message_type.fields_by_name["value"]
            if value_field.type == FieldDescriptor.TYPE_MESSAGE:
                for item in value.values():
                    _assert_no_unknown(item, f"{where}: {field.name}")
        elif field.is_repeated:
            for item in value:
                _assert_no_unknown(item, f"{where}: {field.name}")
        else:
            _assert_no_unknown(value, f"{where}: {field.name}")
