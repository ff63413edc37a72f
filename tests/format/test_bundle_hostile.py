"""Hostile tensor bundles: truncations, bit flips and hand-made bad fields each give a typed error.

Every failure must be a FormatError subclass (or InvalidArgumentError / NotFoundError where
TensorFlow gives one), with a message naming the file, the key and the field; nothing may crash,
hang, read outside the files or allocate more than the files hold.
"""

from __future__ import annotations

import shutil
import struct
import tempfile
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from savedmodel._proto import tensor_bundle_pb2
from savedmodel.errors import (
    BadOffsetError,
    ChecksumMismatchError,
    FormatError,
    InvalidArgumentError,
    NotFoundError,
    TruncatedFileError,
)
from savedmodel.format import checksum, ordered_code
from savedmodel.format import table as table_format
from savedmodel.format.bundle import BundleReader, BundleWriter

DATA = "ckpt.data-00000-of-00001"


def _good_tensors() -> dict[str, np.ndarray]:
    return {
        "f32": np.arange(12, dtype=np.float32).reshape(3, 4),
        "i64": np.array([-1, 2**40], np.int64),
        "s": np.array([b"alpha", b"", b"x" * 200, b"\x00"], object),
        "scalar_s": np.array(b"abc", object),
        "empty": np.zeros((0, 2), np.float64),
    }


def _read_everything(prefix: Path) -> dict[str, list]:
    with BundleReader(prefix) as reader:
        return {key: reader.read(key).tolist() for key in reader.keys()}


@pytest.fixture(scope="module")
def originals(serving_fixtures):
    """Two real bundles (ours, with a sliced tensor; TF Serving's half_plus_two), their values."""
    root = Path(tempfile.mkdtemp(prefix="hostile-"))
    with BundleWriter(root / "ours" / "ckpt") as writer:
        for key, value in _good_tensors().items():
            writer.add(key, value)
        writer.add_slice("part", (6, 2), "0,2:-", np.ones((2, 2), np.float32))
        writer.add_slice("part", (6, 2), "2,4:-", np.zeros((4, 2), np.float32))
    (root / "tf").mkdir()
    variables = serving_fixtures / "saved_model_half_plus_two_cpu" / "00000123" / "variables"
    shutil.copy(variables / "variables.index", root / "tf" / "ckpt.index")
    shutil.copy(variables / "variables.data-00000-of-00001", root / "tf" / DATA)
    cases = {}
    for name in ("ours", "tf"):
        files = {p.name: p.read_bytes() for p in (root / name).iterdir()}
        cases[name] = (files, _read_everything(root / name / "ckpt"))
    yield cases
    shutil.rmtree(root)


@pytest.fixture(scope="module")
def scratch():
    root = Path(tempfile.mkdtemp(prefix="hostile-scratch-"))
    yield root
    shutil.rmtree(root)


def _check_outcome(scratch: Path, files: dict[str, bytes], expected: dict) -> None:
    """Reading the damaged copy either raises a FormatError or gives exactly the original values."""
    for name, content in files.items():
        (scratch / name).write_bytes(content)
    limit = 1_000_000 + 8 * sum(len(c) for c in files.values())
    tracemalloc.start()
    try:
        values = _read_everything(scratch / "ckpt")
    except FormatError as exc:
        assert "ckpt" in str(exc)
    else:
        assert values == expected
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert peak < limit


HYPOTHESIS = settings(max_examples=120, deadline=None,
                      suppress_health_check=[HealthCheck.function_scoped_fixture])


@HYPOTHESIS
@given(which=st.sampled_from(["ours", "tf"]), suffix=st.sampled_from([".index", ".data"]),
       fraction=st.floats(0, 1, exclude_max=True))
def test_truncation(originals, scratch, which, suffix, fraction):
    files, expected = originals[which]
    name = "ckpt.index" if suffix == ".index" else DATA
    damaged = dict(files)
    damaged[name] = files[name][: int(len(files[name]) * fraction)]
    _check_outcome(scratch, damaged, expected)


@HYPOTHESIS
@given(which=st.sampled_from(["ours", "tf"]), suffix=st.sampled_from([".index", ".data"]),
       bits=st.lists(st.floats(0, 1, exclude_max=True), min_size=1, max_size=3))
def test_bit_flips(originals, scratch, which, suffix, bits):
    files, expected = originals[which]
    name = "ckpt.index" if suffix == ".index" else DATA
    content = bytearray(files[name])
    for position in bits:
        bit = int(position * len(content) * 8)
        content[bit // 8] ^= 1 << (bit % 8)
    _check_outcome(scratch, {**files, name: bytes(content)}, expected)


# -- hand-made bundles -----------------------------------------------------------------------


def _entry(dtype: int = 1, shape=(2,), **fields) -> tensor_bundle_pb2.BundleEntryProto:
    entry = tensor_bundle_pb2.BundleEntryProto(dtype=dtype, **fields)
    entry.shape.SetInParent()
    for size in shape:
        entry.shape.dim.add(size=size)
    return entry


def _header(**fields) -> bytes:
    header = tensor_bundle_pb2.BundleHeaderProto(num_shards=fields.pop("num_shards", 1), **fields)
    if not header.HasField("version"):
        header.version.producer = 1
    return header.SerializeToString()


def _bundle(root: Path, entries: dict, data: bytes = b"\x00" * 8, header: bytes | None = None,
            **table_options) -> Path:
    """Writes ``ckpt.index`` (header plus ``entries``, in the given order) and one data file."""
    with open(root / "ckpt.index", "wb") as f:
        writer = table_format.TableWriter(f, **table_options)
        if header is not False:
            writer.add(b"", _header() if header is None else header)
        for key, value in entries.items():
            writer.add(key if isinstance(key, bytes) else key.encode(),
                       value if isinstance(value, bytes) else value.SerializeToString())
        writer.finish()
    (root / DATA).write_bytes(data)
    return root / "ckpt"


def _float_entry(values: np.ndarray, offset: int = 0, **fields):
    raw = values.astype(np.float32).tobytes()
    fields.setdefault("crc32c", checksum.mask(checksum.value(raw)))
    return _entry(1, values.shape, offset=offset, size=len(raw), **fields), raw


@pytest.mark.parametrize(("fields", "error", "message"), [
    ({"size": 2**40, "shape": (2**38,)}, BadOffsetError,
     r"ckpt.index: entry 'x': offset 0 \+ size 1099511627776 = 1099511627776 exceeds data file "
     r"size 8 of .*ckpt.data-00000-of-00001"),
    ({"offset": 2**62}, BadOffsetError, "offset 4611686018427387904 .* exceeds data file size 8"),
    ({"offset": 2**63 - 1, "size": 2**63 - 1, "shape": ((2**63 - 1) // 4,)}, FormatError,
     "size: expected"),
    ({"offset": -8}, BadOffsetError, "'x': offset -8 and size 8 must be >= 0"),
    ({"shard_id": 5}, BadOffsetError, "'x': shard_id 5 is outside the bundle's 1 shard"),
    ({"shard_id": -1}, BadOffsetError, "shard_id -1 is outside"),
    ({"shape": (2, -3)}, FormatError, r"'x': shape: dimensions must be >= 0, got \(2, -3\)"),
    ({"shape": (2**40, 2**40)}, FormatError, "more than int64"),
    ({"shape": (1,) * 255}, FormatError, "rank 255 exceeds the maximum 254"),
    ({"dtype": 77}, FormatError, "'x': dtype: expected a stored DataType enum, got 77"),
    ({"dtype": 0}, FormatError, "got 0"),
    ({"dtype": 20}, FormatError, "got 20"),  # DT_RESOURCE is never stored
    ({"dtype": 101}, FormatError, "got 101"),  # a *_REF type
    ({"size": 12}, FormatError, r"size: expected 2 elements x 4 bytes = 8, got 12"),
    ({"crc32c": 1234}, ChecksumMismatchError,
     "'x': crc32c of 8 bytes at offset 0: stored 0x.*, computed 0x.*corrupted"),
])
def test_bad_entry_fields(tmp_path, fields, error, message):
    fields = dict(fields)
    entry, raw = _float_entry(np.array([1.0, 2.0]))
    shape = fields.pop("shape", None)
    dtype = fields.pop("dtype", None)
    for name, value in fields.items():
        setattr(entry, name, value)
    if shape is not None:
        del entry.shape.dim[:]
        for size in shape:
            entry.shape.dim.add(size=size)
    if dtype is not None:
        entry.dtype = dtype
    prefix = _bundle(tmp_path, {"x": entry}, raw)
    with pytest.raises(error, match=message):
        BundleReader(prefix).read("x")


def test_unknown_rank_and_unparseable_entry(tmp_path):
    entry, raw = _float_entry(np.array([1.0, 2.0]))
    entry.shape.unknown_rank = True
    prefix = _bundle(tmp_path, {"u": entry, "v": b"\xff\xff\xff"}, raw)
    reader = BundleReader(prefix)
    with pytest.raises(FormatError, match="'u': shape: a stored tensor cannot have unknown rank"):
        reader.shape("u")
    with pytest.raises(FormatError, match="'v': not a valid BundleEntryProto"):
        reader.read("v")


def _string_data(items: list[bytes]) -> tuple[bytes, int]:
    lengths = b"".join(table_format.encode_varint(len(v)) for v in items)
    crc = checksum.value(b"".join(struct.pack("<I", len(v)) for v in items))
    masked = struct.pack("<I", checksum.mask(crc))
    body = b"".join(items)
    return lengths + masked + body, checksum.extend(checksum.extend(crc, masked), body)


def test_bad_string_tensors(tmp_path):
    good, crc = _string_data([b"ab", b"c"])
    bad_lengths = b"\x05\x01" + good[2:]  # lengths no longer add up to the entry size
    flipped_checksum = good[:2] + b"\x00\x00\x00\x00" + good[6:]
    overflow = b"\xff" * 10 + b"\x01" + good[1:]
    entries, data = {}, b""
    for name, part in [("a", bad_lengths), ("b", flipped_checksum), ("c", overflow), ("e", good)]:
        mask = checksum.mask(crc) ^ (name == "e")
        entries[name] = _entry(7, (2,), size=len(part), offset=len(data), crc32c=mask)
        data += part
    entries["d"] = _entry(7, (2,), size=5, crc32c=1)  # fewer than elements + 4 bytes
    prefix = _bundle(tmp_path, dict(sorted(entries.items())), data)
    reader = BundleReader(prefix)
    with pytest.raises(FormatError, match="'a': string tensor: lengths add up to 12 bytes"):
        reader.read("a")
    with pytest.raises(ChecksumMismatchError, match="'b': string length checksum: stored"):
        reader.read("b")
    with pytest.raises(FormatError, match="'c': string lengths: a varint overflows 64 bits"):
        reader.read("c")
    with pytest.raises(FormatError, match="'d': size: a string tensor of 2 elements needs at "
                                          "least 6"):
        reader.read("d")
    with pytest.raises(ChecksumMismatchError, match="'e': crc32c of 9 bytes at offset 37"):
        reader.read("e")


@pytest.mark.parametrize(("header", "message"), [
    (b"\xff\xff", "header entry: not a valid BundleHeaderProto"),
    (_header(num_shards=0), "header num_shards: expected >= 1, got 0"),
    (_header(endianness=5), "header endianness: expected 0 .LITTLE. or 1 .BIG., got 5"),
    (tensor_bundle_pb2.BundleHeaderProto(
        num_shards=1, version={"producer": 2, "min_consumer": 2}).SerializeToString(),
     "checkpoint min consumer version 2 above current version 1"),
    (tensor_bundle_pb2.BundleHeaderProto(
        num_shards=1, version={"producer": -1}).SerializeToString(),
     "checkpoint producer version -1 below min producer 0"),
    (tensor_bundle_pb2.BundleHeaderProto(
        num_shards=1, version={"producer": 1, "bad_consumers": [1]}).SerializeToString(),
     "checkpoint disallows consumer version 1"),
])
def test_bad_headers(tmp_path, header, message):
    prefix = _bundle(tmp_path, {}, header=header)
    with pytest.raises(FormatError, match="ckpt.index: " + message):
        BundleReader(prefix)


def test_missing_header_entry(tmp_path):
    prefix = _bundle(tmp_path, {"x": _float_entry(np.ones(2))[0]}, header=False)
    with pytest.raises(FormatError, match=r"ckpt.index: missing header entry"):
        BundleReader(prefix)


def test_bad_footer_magic_and_truncated_index(tmp_path):
    prefix = _bundle(tmp_path, {})
    index = tmp_path / "ckpt.index"
    data = index.read_bytes()
    index.write_bytes(data[:-8] + b"\x00" * 8)
    with pytest.raises(FormatError, match=r"ckpt.index: footer magic: expected 0xdb4775248b80fb57"):
        BundleReader(prefix)
    index.write_bytes(data[:30])
    with pytest.raises(TruncatedFileError, match=r"ckpt.index: table file is 30 bytes"):
        BundleReader(prefix)


def test_unsorted_or_duplicate_keys_in_the_index(tmp_path):
    entry = _float_entry(np.ones(2))[0].SerializeToString()
    for keys in ([b"", b"b", b"a"], [b"", b"a", b"a"]):
        block = table_format._BlockBuilder(16)
        for key in keys:
            block._last_key = b""  # the builder itself would keep the order
            block.add(key, _header() if not key else entry)
        meta = table_format._write_block(table_format._BlockBuilder(16).finish())
        data = table_format._write_block(block.finish())
        index = table_format._BlockBuilder(1)
        index.add(b"c", table_format._encode_handle(table_format.BlockHandle(0, len(data) - 5)))
        index_raw = table_format._write_block(index.finish())
        footer = table_format._encode_footer(
            table_format.BlockHandle(len(data), len(meta) - 5),
            table_format.BlockHandle(len(data) + len(meta), len(index_raw) - 5))
        (tmp_path / "ckpt.index").write_bytes(data + meta + index_raw + footer)
        with pytest.raises(FormatError, match="keys not strictly increasing at entry 2"):
            BundleReader(tmp_path / "ckpt")


def test_bad_block_type_and_restarts_in_an_index(tmp_path):
    prefix = _bundle(tmp_path, {"x": _float_entry(np.ones(2))[0]})
    index = tmp_path / "ckpt.index"
    good = index.read_bytes()
    size = table_format.TableReader(good, "x")._handles[0].size  # data block 0 starts at 0
    retyped = bytearray(good)
    retyped[size] = 9
    crc = checksum.mask(checksum.value(bytes(retyped[: size + 1])))
    retyped[size + 1: size + 5] = struct.pack("<I", crc)
    index.write_bytes(bytes(retyped))
    with pytest.raises(FormatError, match="data block 0 at offset 0: block type: expected 0"):
        BundleReader(prefix)
    restarts = bytearray(good)
    restarts[size - 4: size] = struct.pack("<I", 99)
    crc = checksum.mask(checksum.value(bytes(restarts[: size + 1])))
    restarts[size + 1: size + 5] = struct.pack("<I", crc)
    index.write_bytes(bytes(restarts))
    with pytest.raises(FormatError, match="data block 0: restart count 99 out of range"):
        BundleReader(prefix)


def _sliced(tmp_path, slices: list[tuple], stored: dict | None = None) -> BundleReader:
    """A sliced float tensor 'p' of shape (6, 2); ``slices`` are (start, length) row extents."""
    full = _entry(1, (6, 2))
    entries, data = {}, b""
    for start, length in slices:
        extent = full.slices.add().extent
        extent.add(start=start, length=length)
        extent.add()
        key = ordered_code.encode_slice_key("p", [(start, length), (0, -1)])
        part, raw = _float_entry(np.ones((length, 2)), offset=len(data))
        entries[key] = (stored or {}).get(start, part)
        data += raw
    entries[b"p"] = full
    return BundleReader(_bundle(tmp_path, dict(sorted(entries.items())), data))


def test_bad_slices(tmp_path):
    with pytest.raises(InvalidArgumentError, match="'p': slices 0 and 1 overlap"):
        _sliced(tmp_path, [(0, 4), (3, 3)]).read("p")
    with pytest.raises(InvalidArgumentError, match="cover 8 of 12 elements"):
        _sliced(tmp_path, [(0, 4)]).read("p")
    with pytest.raises(FormatError, match=r"slices\[0\]: extent 0: start 4, length 4 is outside"):
        _sliced(tmp_path, [(4, 4)]).read("p")
    wrong = _entry(3, (2, 2), size=16)
    with pytest.raises(FormatError, match=r"expected a plain float32 entry of shape .2, 2., "
                                          r"got int32"):
        _sliced(tmp_path, [(0, 2), (2, 4)], {0: wrong}).read("p")


def test_slices_sharing_bytes_cannot_inflate_a_tensor(tmp_path):
    full = _entry(1, (300, 2))
    entries = {}
    part, raw = _float_entry(np.ones((3, 2)))  # every slice points at the same 24 bytes
    for start in range(0, 300, 3):
        extent = full.slices.add().extent
        extent.add(start=start, length=3)
        extent.add()
        entries[ordered_code.encode_slice_key("p", [(start, 3), (0, -1)])] = part
    entries[b"p"] = full
    reader = BundleReader(_bundle(tmp_path, dict(sorted(entries.items())), raw))
    with pytest.raises(FormatError, match="'p': slices claim 2400 bytes, more than the 24 bytes"):
        reader.read("p")


def test_missing_slice_entry(tmp_path):
    full = _entry(1, (2,))
    full.slices.add().extent.add(start=0, length=2)
    prefix = _bundle(tmp_path, {"p": full})
    with pytest.raises(FormatError,
                       match=r"'p': slice 0 \(\(0, 2\),\): its slice entry is missing"):
        BundleReader(prefix).read("p")


def test_missing_files(tmp_path):
    with pytest.raises(NotFoundError, match=r"nothing.index: tensor bundle index not found"):
        BundleReader(tmp_path / "nothing")
    prefix = _bundle(tmp_path, {"x": _float_entry(np.ones(2))[0]}, header=_header(num_shards=2))
    with pytest.raises(NotFoundError, match=r"ckpt.data-00000-of-00002: data file of the bundle"):
        BundleReader(prefix).read("x")
