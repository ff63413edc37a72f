"""saved_model.pb / .pbtxt reading and writing against files TensorFlow wrote, and hostile files."""

from __future__ import annotations

import json
import os
import shutil

import pytest
from fixture_paths import SERVING_FIXTURES, serving_saved_models
from hypothesis import given, settings
from hypothesis import strategies as st

from savedmodel._proto import saved_model_pb2
from savedmodel.errors import (
    FormatError,
    NotFoundError,
    SavedModelValueError,
    UnimplementedError,
)
from savedmodel.format import canonical, saved_model_file
from savedmodel.format.saved_model_file import (
    MAX_PROTO_BYTES,
    assets_dir,
    contains_saved_model,
    read_saved_model,
    variables_prefix,
    write_saved_model,
)
from savedmodel.format.table import decode_varint

TF_BINARY_MODELS = ("module", "keras_save", "keras_export", "hash_table", "tf1_pb")
HALF_PLUS_TWO = SERVING_FIXTURES / "saved_model_half_plus_two_cpu" / "00000123"
HALF_PLUS_TWO_BYTES = (HALF_PLUS_TWO / "saved_model.pb").read_bytes()


@pytest.fixture(scope="module")
def models(tf_model):
    return tf_model("fp_models")


@pytest.fixture(scope="module")
def oracle(tf_model):
    return json.loads((tf_model("fp_oracle") / "oracle.json").read_text())


def _copy_model(src, dst):
    shutil.copytree(src, dst)
    return dst


# --- TensorFlow 2.21's own files -------------------------------------------------------------


@pytest.mark.parametrize("name", TF_BINARY_MODELS)
def test_parse_then_serialize_gives_tensorflows_bytes(models, name):
    data = (models / name / "saved_model.pb").read_bytes()
    assert read_saved_model(models / name).SerializeToString(deterministic=True) == data


@pytest.mark.parametrize("name", TF_BINARY_MODELS)
def test_write_saved_model_writes_tensorflows_bytes(models, tmp_path, name):
    path = write_saved_model(tmp_path / "out", read_saved_model(models / name))
    assert path == str(tmp_path / "out" / "saved_model.pb")
    assert (tmp_path / "out" / "saved_model.pb").read_bytes() == (
        models / name / "saved_model.pb").read_bytes()
    assert os.listdir(tmp_path / "out") == ["saved_model.pb"]  # no temp file left


def test_tensorflows_pbtxt_parses_equal_to_the_binary_export(models):
    text = read_saved_model(models / "tf1_pbtxt")
    assert text == read_saved_model(models / "tf1_pb")
    any_value = text.meta_graphs[0].collection_def["saved_model_assets"].any_list.value[0]
    assert any_value.type_url == "type.googleapis.com/tensorflow.AssetFileDef"


def test_write_as_text_writes_tensorflows_pbtxt_bytes(models, tmp_path):
    path = write_saved_model(tmp_path, read_saved_model(models / "tf1_pb"), as_text=True)
    assert path == str(tmp_path / "saved_model.pbtxt")
    assert (tmp_path / "saved_model.pbtxt").read_bytes() == (
        models / "tf1_pbtxt" / "saved_model.pbtxt").read_bytes()
    assert read_saved_model(tmp_path) == read_saved_model(models / "tf1_pb")


# --- TF Serving fixtures (older TensorFlow; map entries in hash order) ------------------------


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    return decode_varint(data, pos, len(data))


def _map_key(entry: bytes, key_is_string: bool):
    pos = 0
    while pos < len(entry):
        tag, pos = _varint(entry, pos)
        if tag >> 3 == 1:
            if key_is_string:
                size, pos = _varint(entry, pos)
                return entry[pos:pos + size]
            return _varint(entry, pos)[0]
        raise AssertionError("map entry key is not first")
    return b"" if key_is_string else 0


def wire_normalize(data: bytes, desc) -> bytes:
    """C++ canonical order computed on raw wire bytes, independently of any protobuf runtime.

    Known fields by number, unknown ones after them, map entries by key; nested messages likewise.
    """
    fields = []
    pos = 0
    while pos < len(data):
        start = pos
        tag, pos = _varint(data, pos)
        tag_end, (number, wire) = pos, (tag >> 3, tag & 7)
        field = desc.fields_by_number.get(number)
        if wire == 0:
            pos = _varint(data, pos)[1]
        elif wire in (1, 5):
            pos += 8 if wire == 1 else 4
        elif wire == 2:
            size, body = _varint(data, pos)
            pos = body + size
            if field is not None and field.message_type is not None:
                inner = wire_normalize(data[body:pos], field.message_type)
                chunk = data[start:tag_end] + _len_bytes(len(inner)) + inner
                fields.append(((False, number, _entry_key(field, inner)), chunk))
                continue
        else:
            raise AssertionError(f"unexpected wire type {wire}")
        fields.append(((field is None, number, 0), data[start:pos]))
    fields.sort(key=lambda item: item[0])  # stable: repeated fields keep their order
    return b"".join(chunk for _, chunk in fields)


def _len_bytes(size: int) -> bytes:
    out = bytearray()
    while size >= 0x80:
        out.append(size & 0x7F | 0x80)
        size >>= 7
    out.append(size)
    return bytes(out)


def _entry_key(field, body: bytes):
    entry = field.message_type
    if not (entry.has_options and entry.GetOptions().map_entry):
        return 0
    return _map_key(body, entry.fields_by_number[1].type == entry.fields_by_number[1].TYPE_STRING)


@pytest.mark.parametrize("export_dir", serving_saved_models(), ids=lambda p: p.parent.name)
def test_fixture_parse_serialize_keeps_every_byte(export_dir):
    """Old TF wrote map entries in hash order, so bytes can only match up to that order."""
    data = (export_dir / "saved_model.pb").read_bytes()
    saved_model = read_saved_model(export_dir)
    desc = saved_model_pb2.SavedModel.DESCRIPTOR
    ours = saved_model.SerializeToString(deterministic=True)
    assert len(ours) == len(data)
    assert wire_normalize(ours, desc) == wire_normalize(data, desc)
    assert canonical.serialize(saved_model) == wire_normalize(data, desc)


def test_wire_normalize_is_not_the_identity():
    """The fixture check above has teeth: most fixtures are not in canonical order on disk."""
    desc = saved_model_pb2.SavedModel.DESCRIPTOR
    files = [(d / "saved_model.pb").read_bytes() for d in serving_saved_models()]
    assert sum(wire_normalize(b, desc) != b for b in files) >= len(files) // 2


# --- reading rules and errors -----------------------------------------------------------------


def test_pb_is_preferred_over_pbtxt(tmp_path):
    write_saved_model(tmp_path, saved_model_pb2.SavedModel(saved_model_schema_version=1))
    (tmp_path / "saved_model.pbtxt").write_text("saved_model_schema_version: 7\n")
    assert read_saved_model(tmp_path).saved_model_schema_version == 1
    os.remove(tmp_path / "saved_model.pb")
    assert read_saved_model(tmp_path).saved_model_schema_version == 7


def test_missing_directory(tmp_path):
    with pytest.raises(NotFoundError, match=r"SavedModel directory '.*nope' does not exist\."):
        read_saved_model(tmp_path / "nope")


def test_empty_directory_says_what_was_looked_for(tmp_path):
    with pytest.raises(NotFoundError, match=r"SavedModel file does not exist at: .*"
                       r"\{saved_model\.pbtxt\|saved_model\.pb\}\. Expected a directory"):
        read_saved_model(tmp_path)


def test_session_bundle_export_is_named():
    with pytest.raises(NotFoundError, match=r"holds export\.meta, an old \(pre-SavedModel\) "
                       r"session-bundle export"):
        read_saved_model(SERVING_FIXTURES / "bad_half_plus_two" / "00000123")


def test_incomplete_export_is_named():
    with pytest.raises(NotFoundError, match=r"has variables/ but no saved_model\.pb: the "
                       r"SavedModel is incomplete"):
        read_saved_model(SERVING_FIXTURES / "tf_text_regression" / "01")


def test_chunked_only_is_unimplemented(tmp_path):
    (tmp_path / "saved_model.cpb").write_bytes(b"\x00")
    with pytest.raises(UnimplementedError, match=r"holds only saved_model\.cpb, the chunked"):
        read_saved_model(tmp_path)


def test_file_instead_of_directory(tmp_path):
    shutil.copy(HALF_PLUS_TWO / "saved_model.pb", tmp_path / "saved_model.pb")
    with pytest.raises(NotFoundError, match=r"is a file, expected a directory holding "
                       r"saved_model\.pb\. Pass the directory"):
        read_saved_model(tmp_path / "saved_model.pb")


def test_saved_model_pb_that_is_a_directory(tmp_path):
    (tmp_path / "saved_model.pb").mkdir()
    with pytest.raises(FormatError, match=r"saved_model\.pb: is a directory or special file"):
        read_saved_model(tmp_path)


def test_oversized_file_is_refused_before_reading(tmp_path):
    with open(tmp_path / "saved_model.pb", "wb") as handle:
        handle.truncate(MAX_PROTO_BYTES + 1)  # sparse: no 2 GiB written
    with pytest.raises(FormatError, match=r"saved_model\.pb: file is 2147483648 bytes, over "
                       r"protobuf's limit of 2147483647"):
        read_saved_model(tmp_path)


def test_write_refuses_protos_over_the_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(saved_model_file, "MAX_PROTO_BYTES", 10)
    proto = saved_model_pb2.SavedModel(saved_model_schema_version=1)
    proto.meta_graphs.add().meta_info_def.tags.append("serve" * 10)
    with pytest.raises(SavedModelValueError, match=r"is \d+ bytes: expected at most 10"):
        write_saved_model(tmp_path, proto)
    assert os.listdir(tmp_path) == []


def _write(tmp_path, data: bytes):
    (tmp_path / "saved_model.pb").write_bytes(data)
    return tmp_path


def _ld(number: int, body: bytes) -> bytes:
    return _len_bytes(number << 3 | 2) + _len_bytes(len(body)) + body


def _deeply_nested(levels: int) -> bytes:
    """meta_graphs.graph_def.node.attr["a"] = AttrValue{func{attr{"a": AttrValue{func{...}}}}}."""
    attr_value = b""
    for _ in range(levels):
        attr_value = _ld(10, _ld(2, _ld(1, b"a") + _ld(2, attr_value)))
    return _ld(2, _ld(2, _ld(1, _ld(5, _ld(1, b"a") + _ld(2, attr_value)))))


HOSTILE = {
    "truncated_by_one": HALF_PLUS_TWO_BYTES[:-1],
    "huge_declared_length": b"\x08\x01\x12\xff\xff\xff\xff\x07" + b"x" * 16,
    "length_past_end": b"\x12\x10\x0a\x02ab",
    "overlong_varint": b"\x08" + b"\xff" * 11,
    "bad_wire_type": b"\x0f\x01",
    "field_number_zero": b"\x02\x00",
    "end_group_without_start": b"\x0c",
    "invalid_utf8_string": _ld(2, _ld(1, _ld(1, b"\xff\xfe"))),
    "deep_nesting": _deeply_nested(300),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_binary_files_give_format_error_naming_the_file(tmp_path, case):
    with pytest.raises(FormatError, match=rf"{tmp_path}/saved_model\.pb: not a valid binary "
                       r"tensorflow\.SavedModel proto \(\d+ bytes\).*re-export"):
        read_saved_model(_write(tmp_path, HOSTILE[case]))


@settings(max_examples=60, deadline=None)
@given(cut=st.integers(0, len(HALF_PLUS_TWO_BYTES)),
       flip=st.integers(0, 8 * len(HALF_PLUS_TWO_BYTES) - 1))
def test_truncations_and_bit_flips_never_crash(tmp_path_factory, cut, flip):
    data = bytearray(HALF_PLUS_TWO_BYTES)
    data[flip // 8] ^= 1 << (flip % 8)
    directory = tmp_path_factory.mktemp("hostile")
    for variant in (bytes(data), HALF_PLUS_TWO_BYTES[:cut]):
        try:
            result = read_saved_model(_write(directory, variant))
        except FormatError as err:
            assert str(directory / "saved_model.pb") in str(err)
        else:
            assert isinstance(result, saved_model_pb2.SavedModel)


@settings(max_examples=60, deadline=None)
@given(data=st.binary(max_size=300))
def test_random_bytes_never_crash(tmp_path_factory, data):
    directory = tmp_path_factory.mktemp("random")
    try:
        read_saved_model(_write(directory, data))
    except FormatError as err:
        assert str(directory / "saved_model.pb") in str(err)


def test_bad_pbtxt_names_file_and_position(tmp_path):
    (tmp_path / "saved_model.pbtxt").write_text("saved_model_schema_version: 1\n"
                                                "meta_graphs { bogus: 1 }\n")
    with pytest.raises(FormatError, match=r"saved_model\.pbtxt: not a valid text-format "
                       r"tensorflow\.SavedModel proto: 2:15 : .*bogus"):
        read_saved_model(tmp_path)


def test_pbtxt_that_is_not_utf8(tmp_path):
    (tmp_path / "saved_model.pbtxt").write_bytes(b"saved_model_schema_version: 1 # \xff\n")
    with pytest.raises(FormatError, match=r"saved_model\.pbtxt: text-format SavedModel is not "
                       r"valid UTF-8"):
        read_saved_model(tmp_path)


# --- names and contains_saved_model -----------------------------------------------------------


def test_paths():
    assert variables_prefix("/m") == os.path.join("/m", "variables", "variables")
    assert assets_dir("/m") == os.path.join("/m", "assets")


def test_file_names_have_tensorflows_values(oracle):
    tf_values = oracle["constants"]["pywrap.constants"]
    for name, value in tf_values.items():
        if hasattr(saved_model_file, name):
            assert getattr(saved_model_file, name) == value, name
    assert {"FINGERPRINT_FILENAME", "SAVED_MODEL_FILENAME_CPB", "EXTRA_ASSETS_DIRECTORY",
            "SAVED_MODEL_SCHEMA_VERSION"} <= {n for n in tf_values if hasattr(saved_model_file, n)}


def test_contains_saved_model_agrees_with_tensorflow(oracle, tmp_path):
    for case, layout in oracle["contains"].items():
        root = tmp_path / case
        root.mkdir()
        for directory in layout["dirs"]:
            (root / directory).mkdir(parents=True, exist_ok=True)
        for name in layout["files"]:
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_bytes(b"")
        query = root / layout["query"]
        assert contains_saved_model(query) is layout["tf"], case
        assert contains_saved_model(str(query)) is layout["tf"], case


def test_contains_saved_model_on_fixtures():
    assert all(contains_saved_model(d) for d in serving_saved_models())
    assert not contains_saved_model(SERVING_FIXTURES / "bad_half_plus_two" / "00000123")
    assert not contains_saved_model(SERVING_FIXTURES / "tf_text_regression" / "01")
