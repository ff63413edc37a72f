"""Tensor bundles (savedmodel.format.bundle): golden bytes, round trips, TensorFlow as the oracle.

TensorFlow writes bundles that we read (``SaveV2``, ``tf.train.Checkpoint``, sharded and sliced
checkpoints, a TF1 Saver, the TF Serving fixtures, the corpus models) and reads bundles that we
write; for the same tensors in the same order our files are byte-identical to ``SaveV2``'s.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

import ml_dtypes
import numpy as np
import pytest

from savedmodel._proto import tensor_bundle_pb2
from savedmodel.errors import InvalidArgumentError, NotFoundError, UnimplementedError
from savedmodel.format import checksum, dtypes, ordered_code
from savedmodel.format import table as table_format
from savedmodel.format.bundle import BundleReader, BundleWriter, data_filename, index_filename

GOLDEN_INDEX = bytes.fromhex(
    "000006 080 11a020801".replace(" ", "")       # header entry: key "", 6-byte BundleHeaderProto
    + "00 01 13 76 0803 1208120208021202 0802 2810 35cbd05fb6".replace(" ", "")  # entry "v"
    + "00000000 01000000".replace(" ", "")         # restart array [0], count 1
    + "00 a9d7cc41"                                # block type 0, masked crc
    + "0000000001000000 00 c0f2a1b0".replace(" ", "")  # empty metaindex block
    + "00 01 02 77 0028 00000000 01000000 00 aba9c0b8".replace(" ", "")  # index: "w" -> (0, 40)
    + "2d08 3a0e".replace(" ", "") + "00" * 36 + "57fb808b247547db")  # footer
GOLDEN_DATA = bytes.fromhex("01000000 02000000 03000000 04000000".replace(" ", ""))
STRINGS = [b"hello", b"", b"world" * 60, b"x\x00y", "héllo ✓".encode(), b"\x00", b"end\x00"]


@pytest.fixture(scope="module")
def tf():
    import tensorflow as tf

    return tf


def sample(dtype: dtypes.DType, shape: tuple[int, ...] = (2, 3)) -> np.ndarray:
    """Small distinct values valid for every dtype (int2 and float4 included)."""
    n = int(np.prod(shape))
    if dtype.is_string:
        return np.array([STRINGS[i % len(STRINGS)] for i in range(n)], dtype=object).reshape(shape)
    kind = dtype.numpy.kind if dtype.numpy.kind != "V" else ("f" if "float" in dtype.name else "i")
    if dtype.name == "bool":
        base = np.arange(n) % 3 == 0
    elif kind == "c":
        base = np.arange(n) - 1.5 + 1j * (np.arange(n) * 0.5)
    elif kind == "f":
        base = (np.arange(n) - 2.5) * 0.5
    elif dtype.name.startswith("u") or dtype.name.startswith("quint"):
        base = np.arange(n) % 4
    else:
        base = np.arange(n) % 4 - 2
    return np.asarray(base).astype(dtype.numpy).reshape(shape)


ALL_DTYPES = [d for d in dtypes.BY_ENUM.values() if d.numpy is not None]
ALL_DTYPE_IDS = [d.name for d in ALL_DTYPES]


def tf_tensor(tf, value: np.ndarray, dtype: dtypes.DType):
    if dtype.name.startswith("q"):
        return tf.cast(tf.constant(value.astype(np.int32)), tf.as_dtype(dtype.name))
    return tf.constant(value, dtype=tf.as_dtype(dtype.name))


def assert_tensor_equal(ours: np.ndarray, theirs) -> None:
    """Same shape, dtype name and bytes (bit-exact floats); strings compared as lists of bytes."""
    theirs = theirs.numpy() if hasattr(theirs, "numpy") else theirs
    theirs = np.array(theirs, dtype=object) if isinstance(theirs, bytes) else np.asarray(theirs)
    assert ours.shape == theirs.shape
    if ours.dtype == object or theirs.dtype == object:
        assert ours.dtype == theirs.dtype == object
        assert ours.reshape(-1).tolist() == theirs.reshape(-1).tolist()
    else:
        assert str(ours.dtype) == str(theirs.dtype)
        assert ours.tobytes() == theirs.tobytes()


def same_files(a: Path, b: Path) -> bool:
    return all(Path(f"{a}{suffix}").read_bytes() == Path(f"{b}{suffix}").read_bytes()
               for suffix in (".index", ".data-00000-of-00001"))


def write(prefix: Path, tensors: dict, **options) -> None:
    with BundleWriter(prefix, **options) as writer:
        for key, value in tensors.items():
            writer.add(key, value)


def files_of(prefix: Path) -> list[str]:
    return sorted(p.name for p in prefix.parent.iterdir() if p.name.startswith(prefix.name))


# -- golden bytes and round trips ------------------------------------------------------------


def test_golden_bytes_of_a_2x2_int32_tensor(tmp_path):
    write(tmp_path / "ckpt", {"v": np.array([[1, 2], [3, 4]], np.int32)})
    assert (tmp_path / "ckpt.data-00000-of-00001").read_bytes() == GOLDEN_DATA
    assert (tmp_path / "ckpt.index").read_bytes() == GOLDEN_INDEX
    assert files_of(tmp_path / "ckpt") == ["ckpt.data-00000-of-00001", "ckpt.index"]


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=ALL_DTYPE_IDS)
def test_round_trip_every_dtype(tmp_path, dtype):
    value = sample(dtype)
    with BundleWriter(tmp_path / "ckpt") as writer:
        writer.add("x", value, dtype=dtype)
        writer.add("scalar", sample(dtype, (1,)).reshape(()), dtype=dtype)
        writer.add("empty", sample(dtype, (0, 3)), dtype=dtype)
    with BundleReader(tmp_path / "ckpt") as reader:
        assert reader.dtype("x") == dtype and reader.shape("x") == (2, 3)
        assert_tensor_equal(reader.read("x"), value)
        assert reader.read("scalar").shape == ()
        assert reader.read("empty").shape == (0, 3)
        if not dtype.is_string:  # an empty string tensor still stores its 4-byte length checksum
            assert reader.entry("empty").crc32c == checksum.mask(0)


def test_strings_round_trip(tmp_path):
    values = {
        "s": np.array(STRINGS, dtype=object),
        "s2d": np.array(["a", "", "é", "d\x00", "e", "f"], dtype=object).reshape(2, 3),
        "scalar": b"trailing nul\x00",
        "str_scalar": "unicode ✓",
        "fixed": np.array([b"ab", b"c"]),  # NumPy bytes dtype
        "empty": np.zeros((0, 3), dtype=object),
    }
    write(tmp_path / "ckpt", values)
    reader = BundleReader(tmp_path / "ckpt")
    assert reader.read("s").tolist() == STRINGS
    assert reader.read("s2d").tolist() == [[b"a", b"", "é".encode()], [b"d\x00", b"e", b"f"]]
    assert reader.read("scalar")[()] == b"trailing nul\x00"
    assert reader.read("str_scalar")[()] == "unicode ✓".encode()
    assert reader.read("fixed").tolist() == [b"ab", b"c"]
    assert reader.read("empty").shape == (0, 3) and reader.dtype("empty").is_string


def test_string_layout_of_the_spec(tmp_path):
    write(tmp_path / "ckpt", {"s": np.array([b"hello", b"", b"world" * 60, b"x\x00y"], object)})
    data = (tmp_path / "ckpt.data-00000-of-00001").read_bytes()
    assert data.startswith(bytes.fromhex("0500ac0203 d60fc39c".replace(" ", "")) + b"hello")


def test_index_is_sorted_and_output_deterministic(tmp_path):
    tensors = {"zeta": np.ones(3), "alpha": np.zeros(2, np.int8), "mid/x": np.array(b"s", object)}
    write(tmp_path / "a", tensors)
    write(tmp_path / "b", tensors)
    for suffix in (".index", ".data-00000-of-00001"):
        assert (tmp_path / f"a{suffix}").read_bytes() == (tmp_path / f"b{suffix}").read_bytes()
    write(tmp_path / "c", dict(reversed(tensors.items())))
    assert BundleReader(tmp_path / "c").keys() == ["alpha", "mid/x", "zeta"]
    keys = [k for k, _ in table_format.TableReader.open(tmp_path / "c.index").items()]
    assert keys == sorted(keys) and keys[0] == b""


def test_many_keys_index_spans_several_blocks(tmp_path):
    tensors = {f"var_{i:05d}/.ATTRIBUTES/VARIABLE_VALUE": np.float32(i) for i in range(9000)}
    write(tmp_path / "many", tensors)
    table = table_format.TableReader.open(tmp_path / "many.index")
    assert len(table._handles) >= 2
    reader = BundleReader(tmp_path / "many")
    assert len(reader.keys()) == 9000
    assert reader.read("var_08765/.ATTRIBUTES/VARIABLE_VALUE") == np.float32(8765)


def test_sliced_tensor_round_trip(tmp_path):
    full = np.arange(40, dtype=np.float32).reshape(10, 4)
    with BundleWriter(tmp_path / "ckpt") as writer:
        writer.add_slice("part", (10, 4), "4,3:-", full[4:7])
        writer.add_slice("part", (10, 4), [(0, 4), (0, None)], full[0:4])
        writer.add_slice("part", (10, 4), "7,3:0,4", full[7:10])
        writer.add_slice("whole", (10, 4), "0,10:-", full)  # a full slice is a plain tensor
        writer.add_slice("names", (3,), "1,2", np.array([b"b", b"c"], object))
        writer.add_slice("names", (3,), [(0, 1)], np.array([b"a"], object))
    reader = BundleReader(tmp_path / "ckpt")
    assert reader.keys() == ["names", "part", "whole"]
    assert_tensor_equal(reader.read("part"), full)
    assert reader.read("names").tolist() == [b"a", b"b", b"c"]
    assert not reader.entry("whole").slices
    entry = reader.entry("part")
    assert (entry.size, entry.offset, len(entry.slices)) == (0, 0, 3)
    assert not entry.slices[0].extent[1].HasField("length")  # full extent written as Extent{}
    assert ordered_code.encode_slice_key("part", [(4, 3), (0, -1)]) in reader


def test_sliced_tensor_writer_errors(tmp_path):
    with BundleWriter(tmp_path / "ckpt") as writer:
        writer.add("plain", np.zeros(4))
        writer.add_slice("part", (10,), "0,5", np.zeros(5, np.float32))
        with pytest.raises(InvalidArgumentError, match="conflicts with the entry already added"):
            writer.add_slice("plain", (4,), "0,2", np.zeros(2))
        with pytest.raises(InvalidArgumentError, match="conflicts"):
            writer.add_slice("part", (10,), "5,5", np.zeros(5, np.int32))
        with pytest.raises(InvalidArgumentError, match="has shape \\(5,\\), but the value has"):
            writer.add_slice("part", (10,), "5,5", np.zeros(4, np.float32))
        with pytest.raises(InvalidArgumentError, match="outside dimension size 10"):
            writer.add_slice("part", (10,), "8,5", np.zeros(5, np.float32))
        with pytest.raises(InvalidArgumentError, match="has 2 dimensions"):
            writer.add_slice("part", (10,), "0,5:-", np.zeros(5, np.float32))
        with pytest.raises(InvalidArgumentError, match="Bad slice spec 'a,b'"):
            writer.add_slice("part", (10,), "a,b", np.zeros(5, np.float32))


def test_incomplete_slices_are_invalid_argument(tmp_path):
    with BundleWriter(tmp_path / "ckpt") as writer:
        writer.add_slice("part", (10,), "0,5", np.zeros(5, np.float32))
    with pytest.raises(InvalidArgumentError, match="cover 5 of 10 elements"):
        BundleReader(tmp_path / "ckpt").read("part")


def test_sharded_writer(tmp_path):
    tensors = {f"t{i}": np.full(100, i, np.float32) for i in range(5)}  # 400 bytes each
    tensors["big"] = np.ones(1000, np.float64)
    write(tmp_path / "ckpt", tensors, max_shard_size=1000)
    assert files_of(tmp_path / "ckpt") == [f"ckpt.data-0000{i}-of-00004" for i in range(4)] + [
        "ckpt.index"]
    reader = BundleReader(tmp_path / "ckpt")
    assert reader.num_shards == 4
    assert [reader.entry(f"t{i}").shard_id for i in range(5)] == [0, 0, 1, 1, 2]
    assert reader.entry("big").shard_id == 3
    for key, value in tensors.items():
        assert_tensor_equal(reader.read(key), value)


def test_data_alignment_pads_each_tensor(tmp_path):
    tensors = {"a": np.int8(1), "b": np.arange(3, dtype=np.float64), "c": np.array(b"xyz", object)}
    write(tmp_path / "ckpt", tensors, data_alignment=64)
    reader = BundleReader(tmp_path / "ckpt")
    assert [reader.entry(k).offset for k in tensors] == [0, 64, 128]
    assert (tmp_path / "ckpt.data-00000-of-00001").stat().st_size == 192
    assert_tensor_equal(reader.read("b"), tensors["b"])


# -- reader behaviour ------------------------------------------------------------------------


def test_open_reads_only_the_index(tmp_path):
    write(tmp_path / "ckpt", {"a": np.ones(3)})
    os.remove(tmp_path / "ckpt.data-00000-of-00001")
    reader = BundleReader(tmp_path / "ckpt")  # opening never touches the data file
    assert reader.keys() == ["a"] and reader.shape("a") == (3,)
    with pytest.raises(NotFoundError, match=r"ckpt.data-00000-of-00001: data file of the bundle"):
        reader.read("a")


def test_numeric_reads_are_zero_copy_read_only_views(tmp_path):
    write(tmp_path / "ckpt", {"a": np.arange(1000, dtype=np.float32)})
    reader = BundleReader(tmp_path / "ckpt")
    first, second = reader.read("a"), reader.read("a")
    assert np.shares_memory(first, second)  # both view the mapped file
    assert not first.flags.writeable and not first.flags.owndata
    reader.close()
    assert first[999] == 999.0  # still valid after close


def test_unaligned_tensor_is_copied_aligned(tmp_path):
    write(tmp_path / "ckpt", {"a": np.int8(7), "b": np.arange(5, dtype=np.float64)})
    reader = BundleReader(tmp_path / "ckpt")
    assert reader.entry("b").offset == 1
    value = reader.read("b")
    assert value.flags.aligned and not value.flags.writeable
    assert_tensor_equal(value, np.arange(5, dtype=np.float64))


def _big_endian_bundle(prefix: Path, tensors: dict[str, np.ndarray]) -> None:
    """A bundle written as a big-endian machine would (header endianness BIG)."""
    data, entries = bytearray(), {}
    for key, value in tensors.items():
        dtype = dtypes.as_dtype(value.dtype)
        if dtype.is_string:
            lengths = b"".join(table_format.encode_varint(len(v)) for v in value.reshape(-1))
            crc = checksum.value(b"".join(struct.pack(">I", len(v)) for v in value.reshape(-1)))
            raw = lengths + struct.pack(">I", checksum.mask(crc))
            body = b"".join(value.reshape(-1))
            crc = checksum.extend(checksum.extend(crc, raw[len(lengths):]), body)
            raw += body
        else:
            swapped = value.dtype.newbyteorder(">") if dtype.name != "bfloat16" else None
            raw = (value.astype(swapped).tobytes() if swapped is not None
                   else value.view(np.uint16).astype(">u2").tobytes())
            crc = checksum.value(raw)
        entry = tensor_bundle_pb2.BundleEntryProto(dtype=dtype.enum, offset=len(data),
                                                   size=len(raw), crc32c=checksum.mask(crc))
        entry.shape.SetInParent()
        for size in value.shape:
            entry.shape.dim.add(size=size)
        entries[key.encode()] = entry.SerializeToString()
        data += raw
    Path(data_filename(prefix, 0, 1)).write_bytes(bytes(data))
    header = tensor_bundle_pb2.BundleHeaderProto(num_shards=1, endianness=1)
    header.version.producer = 1
    with open(index_filename(prefix), "wb") as f:
        writer = table_format.TableWriter(f)
        writer.add(b"", header.SerializeToString())
        for key in sorted(entries):
            writer.add(key, entries[key])
        writer.finish()


def test_big_endian_bundle_is_byte_swapped(tmp_path):
    tensors = {"f": np.arange(6, dtype=np.float32).reshape(2, 3), "i": np.array([1, -2], np.int16),
               "c": np.array([1 + 2j], np.complex64), "h": np.arange(3).astype(ml_dtypes.bfloat16),
               "s": np.array([b"ab", b"", b"c" * 300], object), "b": np.array([True, False])}
    _big_endian_bundle(tmp_path / "be", tensors)
    reader = BundleReader(tmp_path / "be")
    assert reader.header.endianness == 1
    for key, value in tensors.items():
        assert_tensor_equal(reader.read(key), value)


def test_skipping_checksums(tmp_path):
    write(tmp_path / "ckpt", {"a": np.arange(4, dtype=np.int32)})
    path = tmp_path / "ckpt.data-00000-of-00001"
    path.write_bytes(b"\x09" + path.read_bytes()[1:])
    assert BundleReader(tmp_path / "ckpt", verify_checksums=False).read("a")[0] == 9


def test_lookup_api(tmp_path):
    write(tmp_path / "ckpt", {"a": np.ones((2, 1), np.float16), "b\xff".encode("latin-1"): b"s"})
    reader = BundleReader(tmp_path / "ckpt")
    assert "a" in reader and b"a" in reader and "zz" not in reader and "" not in reader
    assert reader.keys() == ["a", b"b\xff".decode("utf-8", "surrogateescape")]
    assert reader.read(reader.keys()[1])[()] == b"s"
    assert reader.dtype("a") == dtypes.as_dtype("float16") and reader.shape("a") == (2, 1)
    assert reader.entry("a").size == 4
    assert reader.header.num_shards == 1 and reader.header.version.producer == 1
    assert reader.debug_string() == b"a (DT_HALF) [2,1]\nb\xff (DT_STRING) []\n"
    with pytest.raises(NotFoundError, match="Key 'zz' not found in checkpoint"):
        reader.read("zz")


def test_variant_tensors_are_refused(tmp_path):
    entry = tensor_bundle_pb2.BundleEntryProto(dtype=dtypes.VARIANT, size=3)
    entry.shape.SetInParent()
    header = tensor_bundle_pb2.BundleHeaderProto(num_shards=1)
    with open(tmp_path / "v.index", "wb") as f:
        writer = table_format.TableWriter(f)
        writer.add(b"", header.SerializeToString())
        writer.add(b"ds", entry.SerializeToString())
        writer.finish()
    (tmp_path / "v.data-00000-of-00001").write_bytes(b"abc")
    reader = BundleReader(tmp_path / "v")
    assert reader.dtype("ds").name == "variant"
    with pytest.raises(UnimplementedError, match=r"'ds': DT_VARIANT tensors .* without TensorFlow"):
        reader.read("ds")


# -- writer behaviour ------------------------------------------------------------------------


def test_writer_uses_temporary_names_until_finish(tmp_path):
    writer = BundleWriter(tmp_path / "sub" / "ckpt")
    writer.add("a", np.ones(3))
    names = files_of(tmp_path / "sub" / "ckpt")
    assert len(names) == 1 and ".tempstate" in names[0] and "index" not in names[0]
    writer.finish()
    assert files_of(tmp_path / "sub" / "ckpt") == ["ckpt.data-00000-of-00001", "ckpt.index"]


def test_writer_leaves_nothing_on_error(tmp_path):
    with pytest.raises(RuntimeError), BundleWriter(tmp_path / "ckpt") as writer:
        writer.add("a", np.ones(3))
        raise RuntimeError("boom")
    assert files_of(tmp_path / "ckpt") == []


def test_writer_errors(tmp_path):
    with BundleWriter(tmp_path / "ckpt") as writer:
        writer.add("a", 1.0)
        with pytest.raises(InvalidArgumentError, match="Adding duplicate key: 'a'"):
            writer.add("a", 2.0)
        with pytest.raises(InvalidArgumentError, match="must not be empty"):
            writer.add("", 2.0)
        with pytest.raises(InvalidArgumentError, match="holds bytes or str, got int"):
            writer.add("s", np.array([b"a", 3], dtype=object))
        with pytest.raises(UnimplementedError, match="Cannot write a variant tensor"):
            writer.add("v", np.zeros(1), dtype="variant")
    with pytest.raises(InvalidArgumentError, match="already finished"):
        writer.add("b", 1.0)


# -- against TensorFlow ----------------------------------------------------------------------


def _tf_tensors(tf) -> dict:
    tensors = {f"t_{d.name}": (sample(d), d) for d in ALL_DTYPES if not d.is_string}
    tensors["strings"] = (np.array(STRINGS, object), dtypes.BY_NAME["string"])
    tensors["string_scalar"] = (np.array(b"scalar\x00", object), dtypes.BY_NAME["string"])
    tensors["string_empty"] = (np.zeros((0,), object), dtypes.BY_NAME["string"])
    tensors["empty"] = (np.zeros((0, 3), np.float32), dtypes.BY_NAME["float32"])
    tensors["scalar"] = (np.float64(-0.0), dtypes.BY_NAME["float64"])
    tensors["big"] = (np.random.default_rng(0).standard_normal((700, 300)).astype(np.float32),
                      dtypes.BY_NAME["float32"])
    return tensors


def _tf_save(tf, prefix: Path, tensors: dict) -> None:
    names = list(tensors)
    tf.raw_ops.SaveV2(prefix=str(prefix), tensor_names=names, shape_and_slices=[""] * len(names),
                      tensors=[tf_tensor(tf, value, dtype) for value, dtype in tensors.values()])


def test_byte_identical_to_tensorflow_savev2(tf, tmp_path):
    tensors = _tf_tensors(tf)
    _tf_save(tf, tmp_path / "theirs", tensors)
    with BundleWriter(tmp_path / "ours") as writer:
        for key, (value, dtype) in tensors.items():
            writer.add(key, value, dtype=dtype)
    assert same_files(tmp_path / "ours", tmp_path / "theirs")


def test_byte_identical_sliced_and_many_keys(tf, tmp_path):
    full = np.arange(400, dtype=np.float32).reshape(200, 2)
    specs = ["200 2 100,100:-", "200 2 0,70:0,2", "200 2 70,30:-"]
    parts = [full[100:200], full[0:70], full[70:100]]
    many = [f"scope_{i:04d}/v" for i in range(9000)]
    tf.raw_ops.SaveV2(prefix=str(tmp_path / "theirs"), tensor_names=["p"] * 3 + many,
                      shape_and_slices=specs + [""] * len(many),
                      tensors=[tf.constant(p) for p in parts] + [tf.constant(i) for i in
                                                                  range(9000)])
    with BundleWriter(tmp_path / "ours") as writer:
        for spec, part in zip(specs, parts):
            writer.add_slice("p", (200, 2), spec.split(" ")[2], part)
        for i, key in enumerate(many):
            writer.add(key, np.int32(i))
    assert same_files(tmp_path / "ours", tmp_path / "theirs")
    # The 100-row start uses the two-byte SignedNumIncreasing form (c0 64).
    assert ordered_code.encode_slice_key("p", [(100, 100), (0, -1)]) in BundleReader(
        tmp_path / "theirs")


def test_read_tensorflow_savev2_every_dtype(tf, tmp_path):
    tensors = _tf_tensors(tf)
    _tf_save(tf, tmp_path / "theirs", tensors)
    reader, tf_reader = BundleReader(tmp_path / "theirs"), tf.train.load_checkpoint(
        str(tmp_path / "theirs"))
    names = list(tensors)
    restored = tf.raw_ops.RestoreV2(
        prefix=str(tmp_path / "theirs"), tensor_names=names, shape_and_slices=[""] * len(names),
        dtypes=[tf.as_dtype(dtype.name) for _, dtype in tensors.values()])
    for key, raw in zip(names, restored):
        assert reader.dtype(key) == tensors[key][1]
        assert_tensor_equal(reader.read(key), raw)
        assert_tensor_equal(reader.read(key), tf_reader.get_tensor(key))


def test_tensorflow_reads_what_we_write(tf, tmp_path):
    tensors = _tf_tensors(tf)
    with BundleWriter(tmp_path / "ours") as writer:
        for key, (value, dtype) in tensors.items():
            writer.add(key, value, dtype=dtype)
        writer.add_slice("part", (10, 4), "4,6:-", np.ones((6, 4), np.float32))
        writer.add_slice("part", (10, 4), "0,4:-", np.zeros((4, 4), np.float32))
    names = list(tensors)
    restored = tf.raw_ops.RestoreV2(
        prefix=str(tmp_path / "ours"), tensor_names=names, shape_and_slices=[""] * len(names),
        dtypes=[tf.as_dtype(dtype.name) for _, dtype in tensors.values()])
    for key, raw in zip(names, restored):
        assert_tensor_equal(tensors[key][0], raw)
    tf_reader = tf.train.load_checkpoint(str(tmp_path / "ours"))
    assert tf_reader.get_variable_to_shape_map()["part"] == [10, 4]
    assert_tensor_equal(np.concatenate([np.zeros((4, 4)), np.ones((6, 4))]).astype(np.float32),
                        tf_reader.get_tensor("part"))


def test_tensorflow_reads_our_shards_alignment_and_snappy_index(tf, tmp_path):
    tensors = {f"t{i}": np.full((i + 1, 3), i, np.float32) for i in range(6)}
    tensors["s"] = np.array([b"a", b"\x00b"], object)
    write(tmp_path / "sharded", tensors, max_shard_size=40, data_alignment=64)
    assert BundleReader(tmp_path / "sharded").num_shards > 2
    # The same index rewritten with Snappy-compressed blocks, which TF also reads.
    items = list(table_format.TableReader.open(tmp_path / "sharded.index").items())
    with open(tmp_path / "sharded.index", "wb") as f:
        writer = table_format.TableWriter(f, compression=table_format.SNAPPY_COMPRESSION,
                                          block_size=64)
        for key, value in items:
            writer.add(key, value)
        writer.finish()
    ours = BundleReader(tmp_path / "sharded")
    theirs = tf.train.load_checkpoint(str(tmp_path / "sharded"))
    for key, value in tensors.items():
        assert_tensor_equal(ours.read(key), value)
        assert_tensor_equal(value, theirs.get_tensor(key))


def test_read_tensorflow_checkpoint_write(tf, tmp_path):
    root = tf.train.Checkpoint(
        w=tf.Variable(np.arange(12, dtype=np.float32).reshape(3, 4)),
        names=tf.Variable(np.array([b"x", b"", b"\x00"], object)),
        step=tf.Variable(np.int64(7)))
    prefix = root.write(str(tmp_path / "ckpt"))
    _assert_bundle_matches_tensorflow(tf, prefix)
    assert "_CHECKPOINTABLE_OBJECT_GRAPH" in BundleReader(prefix)


def test_read_tensorflow_sharded_sliced_checkpoint(tf, tmp_path):
    root = tf.train.Checkpoint(
        a=tf.Variable(np.arange(60, dtype=np.float32).reshape(20, 3)),
        b=tf.Variable(np.arange(-5, 30, dtype=np.int64)),
        s=tf.Variable(np.array([b"alpha", b"", b"gamma\x00"], object)))
    policy = tf.train.experimental.MaxShardSizePolicy(max_shard_size=48)
    prefix = root.write(str(tmp_path / "ckpt"), options=tf.train.CheckpointOptions(
        experimental_sharding_callback=policy))
    reader = BundleReader(prefix)
    assert reader.num_shards > 3 and reader.entry("a/.ATTRIBUTES/VARIABLE_VALUE").slices
    # TensorFlow cannot reassemble its own sliced string tensor ("Dtype string not supported"):
    # compare that one with the saved value.
    assert reader.entry("s/.ATTRIBUTES/VARIABLE_VALUE").slices
    expected = {"s/.ATTRIBUTES/VARIABLE_VALUE": np.array([b"alpha", b"", b"gamma\x00"], object)}
    _assert_bundle_matches_tensorflow(tf, prefix, expected)


def test_read_tensorflow_v1_saver_partitioned(tf, tmp_path):
    v1 = tf.compat.v1
    with tf.Graph().as_default(), v1.Session() as sess:
        v1.get_variable("part", shape=[10, 4], initializer=v1.random_normal_initializer(seed=3),
                        partitioner=v1.fixed_size_partitioner(3))
        v1.get_variable("dense", initializer=np.arange(6, dtype=np.int32))
        sess.run(v1.global_variables_initializer())
        prefix = v1.train.Saver(sharded=True).save(sess, str(tmp_path / "model.ckpt"))
    reader = BundleReader(prefix)
    assert reader.keys() == ["dense", "part"] and len(reader.entry("part").slices) == 3
    _assert_bundle_matches_tensorflow(tf, prefix)


def _assert_bundle_matches_tensorflow(tf, prefix, expected: dict | None = None) -> None:
    reader, theirs = BundleReader(prefix), tf.train.load_checkpoint(str(prefix))
    shapes = theirs.get_variable_to_shape_map()
    assert sorted(shapes) == reader.keys()
    for key in reader.keys():
        assert list(reader.shape(key)) == shapes[key]
        value = (expected or {}).get(key)
        assert_tensor_equal(reader.read(key),
                            value if value is not None else theirs.get_tensor(key))


def test_read_corpus_checkpoints(tf, tf_model):
    sharded = tf_model("ckpt_sharded")
    _assert_bundle_matches_tensorflow(tf, sharded / "ckpt" / "ckpt")
    _assert_bundle_matches_tensorflow(tf, sharded / "tf1" / "model.ckpt")
    _assert_bundle_matches_tensorflow(tf, tf_model("tf2_dtypes") / "model" / "variables" /
                                      "variables")


def test_read_every_serving_fixture(tf, serving_fixtures):
    prefixes = sorted(serving_fixtures.glob("**/variables/variables.index"))
    assert len(prefixes) >= 10
    for index in prefixes:
        _assert_bundle_matches_tensorflow(tf, str(index)[: -len(".index")])
