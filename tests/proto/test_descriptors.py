"""Our ``savedmodel._proto`` schemas against TensorFlow's and TF Serving's own descriptors.

TensorFlow (``tensorflow.core.*``) and TF Serving (``tensorflow_serving.apis``/``.config``, the
``tensorflow-serving-api`` wheel installed with ``--no-deps``) are the oracles: every message,
enum and service we define under a TensorFlow full name must match theirs exactly, field by
field, and as a whole ``DescriptorProto`` (which also covers reserved ranges and options).
These tests fail, not skip, when the oracles are missing.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import PurePosixPath

import pytest
from google.protobuf import descriptor_pb2, descriptor_pool

import savedmodel._proto as sp

TF_MODULES = [
    f"tensorflow.core.framework.{name}_pb2"
    for name in (
        "attr_value full_type function graph graph_debug_info node_def op_def resource_handle "
        "tensor tensor_shape tensor_slice types variable versions"
    ).split()
] + [
    f"tensorflow.core.protobuf.{name}_pb2"
    for name in (
        "error_codes fingerprint meta_graph saved_model saved_object_graph saver struct "
        "tensor_bundle trackable_object_graph"
    ).split()
] + ["tensorflow.core.example.example_pb2", "tensorflow.core.example.feature_pb2"]

SERVING_MODULES = [
    f"tensorflow_serving.apis.{name}_pb2"
    for name in (
        "classification get_model_metadata get_model_status inference input logging "
        "model model_management model_service predict prediction_log prediction_service "
        "regression status"
    ).split()
] + [
    f"tensorflow_serving.config.{name}_pb2"
    for name in (
        "file_system_storage_path_source log_collector_config logging_config "
        "model_server_config platform_config"
    ).split()
]

# Types we define that the oracles lack (the tensorflow-serving-api wheel ships neither file);
# tests/proto/test_serving_configs.py checks them against tables taken from TF Serving's source.
NO_ORACLE = {
    "tensorflow.serving.MonitoringConfig",
    "tensorflow.serving.PrometheusConfig",
    "tensorflow.serving.SessionBundleConfig",
    "tensorflow.serving.BatchingParameters",
}

# Deliberate omissions (see the comments in prediction_log.proto): they need
# tensorflow/core/protobuf/config.proto (RunOptions, RunMetadata), which we do not carry.
OMITTED_FIELDS = {"tensorflow.serving.PredictionLog": {"session_run_log"}}
OMITTED_TYPES = {"tensorflow.serving.SessionRunLog"}


def _import_oracles() -> descriptor_pool.DescriptorPool:
    for name in TF_MODULES + SERVING_MODULES:
        importlib.import_module(name)  # ImportError fails the tests: the oracles are required
    return descriptor_pool.Default()


ORACLE = _import_oracles()

OUR_MODULES = [
    importlib.import_module(f"savedmodel._proto.{m.name}")
    for m in pkgutil.iter_modules(sp.__path__)
    if m.name.endswith("_pb2")
]
OUR_FILES = [m.DESCRIPTOR for m in OUR_MODULES]


def _walk_messages(messages):
    for m in messages:
        yield m
        yield from _walk_messages(m.nested_types)


def _all_messages():
    for fd in OUR_FILES:
        yield from _walk_messages(fd.message_types_by_name.values())


def _all_enums():
    for fd in OUR_FILES:
        yield from fd.enum_types_by_name.values()
    for m in _all_messages():
        yield from m.enum_types


OUR_MESSAGES = {m.full_name: m for m in _all_messages()}
OUR_ENUMS = {e.full_name: e for e in _all_enums()}
OUR_SERVICES = {s.full_name: s for fd in OUR_FILES for s in fd.services_by_name.values()}


def _oracle_message(name):
    try:
        return ORACLE.FindMessageTypeByName(name)
    except KeyError:
        return None


def _oracle_enum(name):
    try:
        return ORACLE.FindEnumTypeByName(name)
    except KeyError:
        return None


def _syntax(file_descriptor) -> str:
    proto = descriptor_pb2.FileDescriptorProto()
    file_descriptor.CopyToProto(proto)
    return proto.syntax or "proto2"


def _is_map(field) -> bool:
    return field.message_type is not None and field.message_type.GetOptions().map_entry


def _field_facts(field) -> dict:
    return {
        "number": field.number,
        "type": field.type,
        "repeated": field.is_repeated,
        "required": field.is_required,
        "message_type": field.message_type.full_name if field.message_type else None,
        "enum_type": field.enum_type.full_name if field.enum_type else None,
        "oneof": field.containing_oneof.name if field.containing_oneof else None,
        "map": _is_map(field),
        "packed": field.is_packed,
        "has_presence": field.has_presence,
        "json_name": field.json_name,
        "default": field.default_value if not field.is_repeated else None,
        "deprecated": field.GetOptions().deprecated,
    }


def test_our_types_all_have_an_oracle_except_the_listed_ones():
    missing = {n for n in OUR_MESSAGES if _oracle_message(n) is None}
    missing |= {n for n in OUR_ENUMS if _oracle_enum(n) is None}
    assert missing == NO_ORACLE


def test_oracle_files_are_complete_in_ours():
    """Every top-level type of each TF file we mirror exists in ours (same file basename)."""
    ours_by_basename = {fd.name: fd for fd in OUR_FILES}
    checked = 0
    for name in sorted(set(OUR_MESSAGES) | set(OUR_ENUMS)):
        if name in NO_ORACLE:
            continue
        oracle = _oracle_message(name) or _oracle_enum(name)
        basename = PurePosixPath(oracle.file.name).name
        assert basename in ours_by_basename, f"{oracle.file.name} has no flat counterpart"
        ours = ours_by_basename[basename]
        theirs = {t.full_name for t in oracle.file.message_types_by_name.values()}
        theirs |= {t.full_name for t in oracle.file.enum_types_by_name.values()}
        theirs_services = {s.full_name for s in oracle.file.services_by_name.values()}
        mine = {t.full_name for t in ours.message_types_by_name.values()}
        mine |= {t.full_name for t in ours.enum_types_by_name.values()}
        assert theirs - OMITTED_TYPES == mine, ours.name
        assert theirs_services == {s.full_name for s in ours.services_by_name.values()}
        assert oracle.file.package == ours.package
        checked += 1
    assert checked > 100


@pytest.mark.parametrize("fd", OUR_FILES, ids=lambda fd: fd.name)
def test_file_syntax_and_package(fd):
    any_type = next(
        iter(list(fd.message_types_by_name.values()) + list(fd.enum_types_by_name.values())
             + list(fd.services_by_name.values())),
    )
    if any_type.full_name in NO_ORACLE:
        assert _syntax(fd) == "proto3"
        return
    oracle = (
        _oracle_message(any_type.full_name)
        or _oracle_enum(any_type.full_name)
        or ORACLE.FindServiceByName(any_type.full_name)
    )
    assert _syntax(fd) == _syntax(oracle.file)
    assert fd.package == oracle.file.package
    assert fd.pool is sp.POOL


def test_only_graph_debug_info_is_proto2():
    assert {fd.name for fd in OUR_FILES if _syntax(fd) == "proto2"} == {"graph_debug_info.proto"}


@pytest.mark.parametrize("name", sorted(set(OUR_MESSAGES) - NO_ORACLE))
def test_message_fields_match(name):
    ours, theirs = OUR_MESSAGES[name], _oracle_message(name)
    omitted = OMITTED_FIELDS.get(name, set())
    assert set(ours.fields_by_name) == set(theirs.fields_by_name) - omitted
    for field_name, field in ours.fields_by_name.items():
        assert _field_facts(field) == _field_facts(theirs.fields_by_name[field_name]), field_name
    assert ours.GetOptions().map_entry == theirs.GetOptions().map_entry
    ours_oneofs = {o.name: sorted(f.name for f in o.fields) for o in ours.oneofs}
    theirs_oneofs = {
        o.name: sorted(f.name for f in o.fields if f.name not in omitted) for o in theirs.oneofs
    }
    assert ours_oneofs == theirs_oneofs


@pytest.mark.parametrize("name", sorted(set(OUR_MESSAGES) - NO_ORACLE - set(OMITTED_FIELDS)))
def test_message_descriptor_proto_is_identical(name):
    """Whole DescriptorProto: also reserved ranges and names, field and message options."""
    ours, theirs = descriptor_pb2.DescriptorProto(), descriptor_pb2.DescriptorProto()
    OUR_MESSAGES[name].CopyToProto(ours)
    _oracle_message(name).CopyToProto(theirs)
    assert ours == theirs


def test_prediction_log_omits_only_session_run_log():
    ours = OUR_MESSAGES["tensorflow.serving.PredictionLog"]
    theirs = _oracle_message("tensorflow.serving.PredictionLog")
    assert theirs.fields_by_name["session_run_log"].number == 5
    assert 5 not in ours.fields_by_number
    proto = descriptor_pb2.DescriptorProto()
    ours.CopyToProto(proto)
    assert [(r.start, r.end) for r in proto.reserved_range] == [(5, 6)]


@pytest.mark.parametrize("name", sorted(set(OUR_ENUMS) - NO_ORACLE))
def test_enum_values_match(name):
    ours, theirs = OUR_ENUMS[name], _oracle_enum(name)
    assert [(v.name, v.number) for v in ours.values] == [(v.name, v.number) for v in theirs.values]
    ours_proto = descriptor_pb2.EnumDescriptorProto()
    theirs_proto = descriptor_pb2.EnumDescriptorProto()
    ours.CopyToProto(ours_proto)
    theirs.CopyToProto(theirs_proto)
    assert ours_proto == theirs_proto


@pytest.mark.parametrize("name", sorted(OUR_SERVICES))
def test_services_match(name):
    ours, theirs = descriptor_pb2.ServiceDescriptorProto(), descriptor_pb2.ServiceDescriptorProto()
    OUR_SERVICES[name].CopyToProto(ours)
    ORACLE.FindServiceByName(name).CopyToProto(theirs)
    assert ours == theirs


def test_spec_index_messages_are_present():
    """The messages the SavedModel spec (proto-fields.md) lists, by full name."""
    expected = """SavedModel MetaGraphDef MetaGraphDef.MetaInfoDef GraphDef NodeDef
    NodeDef.ExperimentalDebugInfo AttrValue AttrValue.ListValue NameAttrList TensorProto
    VariantTensorDataProto TensorShapeProto TensorShapeProto.Dim ResourceHandleProto
    ResourceHandleProto.DtypeAndShape FullTypeDef VersionDef FunctionDefLibrary FunctionDef
    FunctionDef.ArgAttrs GradientDef RegisteredGradient OpDef OpDef.ArgDef OpDef.AttrDef
    OpDeprecation OpList SaverDef CollectionDef CollectionDef.NodeList CollectionDef.BytesList
    CollectionDef.Int64List CollectionDef.FloatList CollectionDef.AnyList SignatureDef TensorInfo
    TensorInfo.CooSparse TensorInfo.CompositeTensor AssetFileDef SavedObjectGraph SavedObject
    SavedUserObject SavedAsset SavedFunction CapturedTensor SavedConcreteFunction
    SavedBareConcreteFunction SavedConstant SavedVariable FunctionSpec SavedResource
    SaveableObject StructuredValue NoneValue ListValue TupleValue DictValue PairValue
    NamedTupleValue TensorSpecProto BoundedTensorSpecProto TypeSpecProto VariableDef
    SaveSliceInfoDef TrackableObjectGraph TrackableObjectGraph.TrackableObject
    TrackableObjectGraph.TrackableObject.ObjectReference
    TrackableObjectGraph.TrackableObject.SerializedTensor
    TrackableObjectGraph.TrackableObject.SlotVariableReference RegisteredSaver BundleHeaderProto
    BundleEntryProto TensorSliceProto TensorSliceProto.Extent FingerprintDef GraphDebugInfo
    GraphDebugInfo.FileLineCol GraphDebugInfo.StackTrace SerializedDType Example SequenceExample
    Features Feature FeatureList FeatureLists BytesList FloatList Int64List""".split()
    assert {f"tensorflow.{n}" for n in expected} <= set(OUR_MESSAGES)
    enums = """DataType FullTypeId VariableSynchronization VariableAggregation
    SaverDef.CheckpointFormatVersion FunctionSpec.JitCompile TypeSpecProto.TypeSpecClass
    BundleHeaderProto.Endianness error.Code""".split()
    assert {f"tensorflow.{n}" for n in enums} <= set(OUR_ENUMS)
