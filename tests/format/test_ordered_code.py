"""TensorFlow's OrderedCode and bundle slice keys (savedmodel.format.ordered_code)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from savedmodel.errors import FormatError
from savedmodel.format import ordered_code as oc

INT64 = st.integers(-(2**63), 2**63 - 1)


@pytest.mark.parametrize(("value", "encoded"), [
    (0, "80"), (4, "84"), (-1, "7f"), (63, "bf"), (-64, "40"),
    (64, "c040"), (-65, "3fbf"),
    (0x424242, "f0424242"),  # ordered_code.cc, example 1
    (-0x800, "3800"),  # ordered_code.cc, example 2
    (2**63 - 1, "ffc07fffffffffffffff"), (-(2**63), "003f8000000000000000"),
])
def test_signed_num_increasing_known_encodings(value, encoded):
    assert oc.encode_signed_num_increasing(value).hex() == encoded
    assert oc.decode_signed_num_increasing(bytes.fromhex(encoded)) == (value, len(encoded) // 2)


def test_signed_length_boundaries():
    # n bytes cover [-2**(7n-1), 2**(7n-1)); 10 bytes for the rest of int64.
    for n in range(1, 10):
        top = 2 ** (7 * n - 1)
        assert len(oc.encode_signed_num_increasing(top - 1)) == n
        assert len(oc.encode_signed_num_increasing(-top)) == n
        assert len(oc.encode_signed_num_increasing(top)) == n + 1
        assert len(oc.encode_signed_num_increasing(-top - 1)) == n + 1


@settings(max_examples=200, deadline=None)
@given(st.lists(INT64, min_size=2, max_size=20))
def test_signed_encoding_sorts_like_numbers_and_round_trips(values):
    encoded = [oc.encode_signed_num_increasing(v) for v in values]
    assert sorted(encoded) == [oc.encode_signed_num_increasing(v) for v in sorted(values)]
    for value, code in zip(values, encoded):
        assert oc.decode_signed_num_increasing(code + b"tail") == (value, len(code))


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 2**64 - 1))
def test_num_increasing_round_trip(value):
    code = oc.encode_num_increasing(value)
    assert code[0] == len(code) - 1
    assert oc.decode_num_increasing(code) == (value, len(code))


def test_num_increasing_zero_is_one_byte():
    assert oc.encode_num_increasing(0) == b"\x00"
    assert oc.encode_num_increasing(258) == b"\x02\x01\x02"


def test_string_escapes_as_in_tensorflow():
    # ordered_code.cc: x = 00 13 ff  ->  F(x) = 00 ff 13 ff 00 00 01.
    assert oc.encode_string(b"\x00\x13\xff") == bytes.fromhex("00ff13ff000001")
    assert oc.encode_string(b"foo") == b"foo\x00\x01"
    assert oc.decode_string(bytes.fromhex("00ff13ff000001")) == (b"\x00\x13\xff", 7)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=40), st.binary(max_size=40))
def test_string_round_trip_and_order(a, b):
    assert oc.decode_string(oc.encode_string(a) + b"zz") == (a, len(oc.encode_string(a)))
    assert (oc.encode_string(a) < oc.encode_string(b)) == (a < b)


def test_slice_key_of_the_spec():
    # Rows 4..6 of "part" [10, 4] with the second dimension written as 0,4 (TF1 Saver style).
    key = oc.encode_slice_key("part", [(4, 3), (0, 4)])
    assert key == bytes.fromhex("00") + b"part" + bytes.fromhex("0001 01 02 84 83 80 84")
    assert oc.decode_slice_key(key) == (b"part", [(4, 3), (0, 4)])


def test_slice_key_full_extent_and_long_form():
    key = oc.encode_slice_key(b"a\x00b", [(0, oc.FULL_EXTENT), (100, 28)])
    assert key == bytes.fromhex("00 61 00ff 62 0001 01 02 80 7f c064 9c")
    assert oc.decode_slice_key(key) == (b"a\x00b", [(0, -1), (100, 28)])


@pytest.mark.parametrize(("data", "message"), [
    (b"", "got end of key"),
    (bytes.fromhex("c0"), "bad length 2"),
    (bytes.fromhex("ffff"), "bad length"),
    (bytes.fromhex("c001"), "non-canonical"),  # 1 fits in one byte
])
def test_bad_signed_encodings(data, message):
    with pytest.raises(FormatError, match=message):
        oc.decode_signed_num_increasing(data)


def test_bad_string_and_slice_keys():
    with pytest.raises(FormatError, match="no 00 01 terminator"):
        oc.decode_string(b"abc")
    with pytest.raises(FormatError, match="invalid escape 00 05"):
        oc.decode_string(b"a\x00\x05\x00\x01")
    with pytest.raises(FormatError, match="leading NumIncreasing"):
        oc.decode_slice_key(b"\x01\x05part\x00\x01\x00")
    with pytest.raises(FormatError, match="trailing bytes"):
        oc.decode_slice_key(oc.encode_slice_key("p", [(0, 1)]) + b"\x80")
    with pytest.raises(FormatError, match="bad length 9"):
        oc.decode_num_increasing(b"\x09" + b"\x01" * 9)


def test_out_of_range_values_are_refused():
    with pytest.raises(ValueError, match="int64"):
        oc.encode_signed_num_increasing(2**63)
    with pytest.raises(ValueError, match="uint64"):
        oc.encode_num_increasing(-1)
