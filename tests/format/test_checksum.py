"""Masked CRC32C (savedmodel.format.checksum) against known vectors and TensorFlow's own values."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from savedmodel.format import checksum


def test_crc32c_check_value():
    assert checksum.value(b"123456789") == 0xE3069283
    assert checksum.value(b"") == 0


def test_crc32c_accepts_buffers():
    data = np.arange(1000, dtype=np.float32)
    assert checksum.value(memoryview(data)) == checksum.value(data.tobytes())


def test_mask_of_zero_is_the_delta():
    # An empty tensor stores mask(0) = 0xa282ead8, not 0 (spec 3.2).
    assert checksum.mask(0) == checksum.MASK_DELTA == 0xA282EAD8


def test_mask_matches_tensorflow_crc32c_module():
    # TensorFlow's masked value of the CRC of b"foo" (tsl/lib/hash/crc32c_test.cc: Mask is not
    # identity, and Unmask(Mask(x)) == x).
    crc = checksum.value(b"foo")
    assert checksum.mask(crc) != crc
    assert checksum.mask(checksum.mask(crc)) != crc
    assert checksum.unmask(checksum.mask(crc)) == crc
    assert checksum.unmask(checksum.unmask(checksum.mask(checksum.mask(crc)))) == crc


def test_known_block_trailer():
    # The empty metaindex block of every TF-written index: contents 00000000 01000000, type 0,
    # stored crc c0 f2 a1 b0 (little-endian).
    contents = bytes.fromhex("0000000001000000")
    crc = checksum.extend(checksum.value(contents), b"\x00")
    assert checksum.mask(crc).to_bytes(4, "little") == bytes.fromhex("c0f2a1b0")


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_mask_round_trip(crc):
    assert checksum.unmask(checksum.mask(crc)) == crc
    assert 0 <= checksum.mask(crc) < 2**32


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=300), st.binary(max_size=3000))
def test_extend_and_combine_equal_one_pass(a, b):
    whole = checksum.value(a + b)
    assert checksum.extend(checksum.value(a), b) == whole
    assert checksum.combine(checksum.value(a), checksum.value(b), len(b)) == whole


def test_combine_large_length():
    a, b = b"x" * 7, bytes(range(256)) * 4099
    assert checksum.combine(checksum.value(a), checksum.value(b), len(b)) == checksum.value(a + b)
