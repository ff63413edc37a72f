"""fingerprint.pb: our five hashes equal TensorFlow's for TF-written models and random protos."""

from __future__ import annotations

import json
import os
import shutil

import pytest
from fixture_paths import SERVING_FIXTURES

from savedmodel._proto import fingerprint_pb2, graph_pb2, saved_model_pb2
from savedmodel.errors import (
    FormatError,
    InvalidArgumentError,
    NotFoundError,
    UnimplementedError,
)
from savedmodel.format import canonical
from savedmodel.format.fingerprint import (
    FINGERPRINT_PRODUCER,
    compute_fingerprint,
    fingerprint64,
    fingerprint_cat64,
    read_fingerprint,
    regularize_graph_def,
    singleprint,
    suffix_uid,
    write_fingerprint,
)

TF2_MODELS = ("module", "keras_save", "keras_export", "hash_table")
HASHES = ("saved_model_checksum", "graph_def_program_hash", "signature_def_hash",
          "saved_object_graph_hash", "checkpoint_hash")
TF2_FIXTURE = SERVING_FIXTURES / "saved_model_half_plus_two_tf2_cpu" / "00000123"


@pytest.fixture(scope="module")
def models(tf_model):
    return tf_model("fp_models")


@pytest.fixture(scope="module")
def tf_fingerprints(models):
    return json.loads((models / "tf_fingerprints.json").read_text())


@pytest.fixture(scope="module")
def oracle(tf_model):
    return json.loads((tf_model("fp_oracle") / "oracle.json").read_text())


def _record(fp: fingerprint_pb2.FingerprintDef) -> dict:
    return dict({name: getattr(fp, name) for name in HASHES}, producer=fp.version.producer)


def test_fingerprint64_matches_tensorflow(oracle):
    cases = oracle["fingerprint64"]
    assert len(cases) == 263
    for data, expected in cases:
        assert fingerprint64(bytes.fromhex(data)) == expected, len(data) // 2


@pytest.mark.parametrize("name", TF2_MODELS)
def test_equals_tensorflows_fingerprint_pb_but_uuid(models, name):
    ours = compute_fingerprint(models / name)
    theirs = read_fingerprint(models / name)
    assert theirs.version.producer == FINGERPRINT_PRODUCER
    assert _record(ours) == _record(theirs)
    assert ours.uuid != theirs.uuid


@pytest.mark.parametrize("name", TF2_MODELS + ("tf1_pb", "tf1_pbtxt"))
def test_equals_tensorflows_create_fingerprint_def(models, tf_fingerprints, name):
    expected = {k: v for k, v in tf_fingerprints[name].items() if k != "singleprint"}
    assert _record(compute_fingerprint(models / name)) == expected


def test_pbtxt_only_directory_gets_tensorflows_empty_answer(models, tf_fingerprints):
    fp = compute_fingerprint(models / "tf1_pbtxt")
    assert fp.version.producer == 5 and all(getattr(fp, name) == 0 for name in HASHES)


@pytest.mark.parametrize("name", TF2_MODELS)
def test_singleprint_matches_tensorflow(models, tf_fingerprints, name):
    assert singleprint(read_fingerprint(models / name)) == tf_fingerprints[name]["singleprint"]
    assert singleprint(compute_fingerprint(models / name)) == tf_fingerprints[name]["singleprint"]


def test_every_serving_fixture_matches_tensorflow_2_21(oracle):
    records = oracle["fixture_fingerprints"]
    assert len(records) == 12
    for relative, expected in records.items():
        assert _record(compute_fingerprint(SERVING_FIXTURES / relative)) == expected, relative


def test_tf2_fixture_written_by_tensorflow_2_14():
    """Its fingerprint.pb is producer 1: four hashes agree; its checksum hashed the file bytes."""
    ours, theirs = compute_fingerprint(TF2_FIXTURE), read_fingerprint(TF2_FIXTURE)
    assert theirs.version.producer == 1
    for name in ("graph_def_program_hash", "signature_def_hash", "saved_object_graph_hash",
                 "checkpoint_hash"):
        assert getattr(ours, name) == getattr(theirs, name), name
    file_bytes = (TF2_FIXTURE / "saved_model.pb").read_bytes()
    assert theirs.saved_model_checksum == fingerprint64(file_bytes)
    assert ours.saved_model_checksum == 12534565651167025280  # TF 2.21's CreateFingerprintDef


def test_random_protos_match_tensorflow(tf_model, tmp_path):
    root = tf_model("fp_canonical")
    cases = json.loads((root / "cases.json").read_text())
    errors = 0
    for name, expected in sorted(cases.items()):
        proto = saved_model_pb2.SavedModel.FromString((root / f"{name}.pb").read_bytes())
        if "error" in expected:
            errors += 1
            assert "does not end in an integer" in expected["error"]
            with pytest.raises(InvalidArgumentError, match=r"function name 'no_uid_here' does not "
                               r"end in an integer UID"):
                compute_fingerprint(proto)
            continue
        assert _record(compute_fingerprint(proto)) == expected, name
    assert errors == 8


def test_proto_and_index_give_the_directorys_fingerprint(models):
    directory = models / "module"
    index = directory / "variables" / "variables.index"
    saved_model = saved_model_pb2.SavedModel.FromString((directory / "saved_model.pb").read_bytes())
    expected = _record(compute_fingerprint(directory))
    assert _record(compute_fingerprint(saved_model, index)) == expected
    assert _record(compute_fingerprint(saved_model, index.read_bytes())) == expected
    assert compute_fingerprint(saved_model).checkpoint_hash == 0


def test_missing_index_hashes_to_zero(models, tmp_path, tf_fingerprints):
    directory = shutil.copytree(models / "module", tmp_path / "m")
    shutil.rmtree(directory / "variables")
    fp = compute_fingerprint(directory)
    assert fp.checkpoint_hash == 0
    assert fp.saved_model_checksum == tf_fingerprints["module"]["saved_model_checksum"]


def test_uuid_is_random_128_bit_decimal():
    fps = [compute_fingerprint(saved_model_pb2.SavedModel(meta_graphs=[{}])) for _ in range(20)]
    uuids = {fp.uuid for fp in fps}
    assert len(uuids) == 20
    for uuid in uuids:
        assert uuid.isdigit() and len(uuid) >= 20 and int(uuid) < 2**128


def test_errors(tmp_path, models):
    with pytest.raises(InvalidArgumentError, match=r"SavedModel has no meta_graphs"):
        compute_fingerprint(saved_model_pb2.SavedModel())
    with pytest.raises(InvalidArgumentError, match=r"checkpoint_index is read from the directory"):
        compute_fingerprint(models / "module", b"index")
    with pytest.raises(NotFoundError, match=r"SavedModel file does not exist"):
        compute_fingerprint(tmp_path)
    (tmp_path / "saved_model.cpb").write_bytes(b"")
    with pytest.raises(UnimplementedError, match=r"saved_model\.cpb"):
        compute_fingerprint(tmp_path)


def test_regularized_graph_def():
    graph = graph_pb2.GraphDef()
    call = graph.node.add(name="call", op="StatefulPartitionedCall")
    call.attr["f"].func.name = "__inference_serve_1234"
    call.attr["config_proto"].s = b"\n\x07\n\x03CPU\x10\x01"
    plain = graph.node.add(name="plain", op="PartitionedCall")
    plain.attr["f"].func.name = "no_uid"
    text = graph.node.add(name="path", op="Const")
    text.attr["dtype"].type = 7
    text.attr["value"].tensor.string_val.append(b"/home/me/vocab.txt")
    number = graph.node.add(name="one", op="Const")
    number.attr["dtype"].type = 1
    number.attr["value"].tensor.float_val.append(1.0)
    graph.library.function.add().signature.name = "f"
    graph.versions.producer = 2474
    out = regularize_graph_def(graph)
    assert out.node[0].attr["f"].func.name == "__inference_serve_"
    assert out.node[0].attr["config_proto"].WhichOneof("value") == "s"
    assert out.node[0].attr["config_proto"].s == b""
    assert out.node[1].attr["f"].func.name == "no_uid" and "config_proto" not in out.node[1].attr
    assert out.node[2].attr["value"].WhichOneof("value") is None and "value" in out.node[2].attr
    assert out.node[3].attr["value"] == number.attr["value"]
    assert canonical.serialize(out).endswith(b"\x12\x00\x22\x00")  # library, versions: empty
    assert graph.versions.producer == 2474  # the input is untouched


@pytest.mark.parametrize("name, uid", [
    ("__inference_f_12", 12), ("h_007", 7), ("k_+5", 5), ("m_ 5 ", 5), ("n_-3", -3), ("x_0", 0),
    ("p5", None), ("f_", None), ("f_1.5", None), ("f_0x10", None), ("f_99999999999999999999", None),
    ("", None), ("f_\u0665", None),
])
def test_suffix_uid(name, uid):
    assert suffix_uid(name) == uid


def test_cat64_is_order_sensitive_and_64_bit():
    a, b = fingerprint64(b"a"), fingerprint64(b"b")
    assert fingerprint_cat64(a, b) != fingerprint_cat64(b, a)
    assert 0 <= fingerprint_cat64(2**64 - 1, 2**64 - 1) < 2**64


def test_read_and_write_fingerprint(models, tmp_path):
    theirs = read_fingerprint(models / "module")
    path = write_fingerprint(tmp_path, theirs)
    assert path == str(tmp_path / "fingerprint.pb")
    tf_bytes = (models / "module" / "fingerprint.pb").read_bytes()
    assert (tmp_path / "fingerprint.pb").read_bytes() == tf_bytes
    assert os.listdir(tmp_path) == ["fingerprint.pb"]
    assert read_fingerprint(tmp_path) == theirs


def test_read_fingerprint_errors(tmp_path):
    with pytest.raises(NotFoundError, match=r"fingerprint\.pb: no fingerprint file"):
        read_fingerprint(tmp_path)
    (tmp_path / "fingerprint.pb").write_bytes(b"\x08\xff")
    with pytest.raises(FormatError, match=r"fingerprint\.pb: not a valid tensorflow\.FingerprintDef"):
        read_fingerprint(tmp_path)
    (tmp_path / "fingerprint.pb").write_bytes(b"\x00" * 70000)
    with pytest.raises(FormatError, match=r"fingerprint\.pb: file is 70000 bytes, expected"):
        read_fingerprint(tmp_path)
