"""TF Serving config files and API messages in our tensorflow.serving schemas."""

from __future__ import annotations

import pytest
from google.protobuf import descriptor_pb2, json_format, text_format
from google.protobuf.descriptor import FieldDescriptor
from tensorflow_serving.apis import prediction_log_pb2 as tfs_prediction_log_pb2

from savedmodel._proto import (
    get_model_status_pb2,
    model_server_config_pb2,
    monitoring_config_pb2,
    parse_text,
    prediction_log_pb2,
    session_bundle_config_pb2,
)


def test_good_model_config_parses(serving_fixtures):
    text = (serving_fixtures / "good_model_config.txt").read_text()
    config = parse_text(text, model_server_config_pb2.ModelServerConfig())
    assert config.WhichOneof("config") == "model_config_list"
    assert [(c.name, c.base_path, c.model_platform) for c in config.model_config_list.config] == [
        ("half_plus_two", "${TEST_HALF_PLUS_TWO_DIR}", "tensorflow"),
        ("half_plus_three", "${TEST_HALF_PLUS_THREE_DIR}", "tensorflow"),
    ]


def test_bad_model_config_is_rejected(serving_fixtures):
    text = (serving_fixtures / "bad_model_config.txt").read_text()
    with pytest.raises(text_format.ParseError, match="improperly"):
        parse_text(text, model_server_config_pb2.ModelServerConfig())


def test_model_config_version_policy_and_labels():
    text = """model_config_list {
      config {
        name: "m" base_path: "/models/m" model_platform: "tensorflow"
        model_version_policy { specific { versions: 1 versions: 2 } }
        version_labels { key: "stable" value: 1 }
        version_labels { key: "canary" value: 2 }
      }
    }"""
    parsed = parse_text(text, model_server_config_pb2.ModelServerConfig())
    config = parsed.model_config_list.config[0]
    assert config.model_version_policy.WhichOneof("policy_choice") == "specific"
    assert list(config.model_version_policy.specific.versions) == [1, 2]
    assert dict(config.version_labels) == {"stable": 1, "canary": 2}


def test_batching_config_parses(serving_fixtures):
    text = (serving_fixtures / "batching_config.txt").read_text()
    params = parse_text(text, session_bundle_config_pb2.BatchingParameters())
    assert params.max_batch_size.value == 128
    assert params.HasField("batch_timeout_micros") and params.batch_timeout_micros.value == 0
    assert params.max_enqueued_batches.value == 1000000
    assert params.num_batch_threads.value == 8
    assert not params.HasField("thread_pool_name")


def test_monitoring_config_parses(serving_fixtures):
    text = (serving_fixtures / "monitoring_config.txt").read_text()
    config = parse_text(text, monitoring_config_pb2.MonitoringConfig())
    assert config.prometheus_config.enable
    assert config.prometheus_config.path == "/monitoring/prometheus/metrics"


# Field facts from TF Serving's source (tensorflow_serving/config/monitoring_config.proto and
# tensorflow_serving/servables/tensorflow/session_bundle_config.proto): the wheel that
# test_descriptors.py uses as the oracle does not ship these files.
_T = FieldDescriptor
NO_ORACLE_TABLES = {
    "tensorflow.serving.PrometheusConfig": [
        ("enable", 1, _T.TYPE_BOOL, None),
        ("path", 2, _T.TYPE_STRING, None),
    ],
    "tensorflow.serving.MonitoringConfig": [
        ("prometheus_config", 1, _T.TYPE_MESSAGE, "tensorflow.serving.PrometheusConfig"),
    ],
    "tensorflow.serving.SessionBundleConfig": [
        ("session_target", 1, _T.TYPE_STRING, None),
        ("batching_parameters", 3, _T.TYPE_MESSAGE, "tensorflow.serving.BatchingParameters"),
        ("session_run_load_threadpool_index", 4, _T.TYPE_MESSAGE, "google.protobuf.Int32Value"),
    ],
    "tensorflow.serving.BatchingParameters": [
        ("max_batch_size", 1, _T.TYPE_MESSAGE, "google.protobuf.Int64Value"),
        ("batch_timeout_micros", 2, _T.TYPE_MESSAGE, "google.protobuf.Int64Value"),
        ("max_enqueued_batches", 3, _T.TYPE_MESSAGE, "google.protobuf.Int64Value"),
        ("num_batch_threads", 4, _T.TYPE_MESSAGE, "google.protobuf.Int64Value"),
        ("thread_pool_name", 5, _T.TYPE_MESSAGE, "google.protobuf.StringValue"),
        ("allowed_batch_sizes", 6, _T.TYPE_INT64, None),
        ("pad_variable_length_inputs", 7, _T.TYPE_BOOL, None),
    ],
}
_CLASSES = {
    "tensorflow.serving.PrometheusConfig": monitoring_config_pb2.PrometheusConfig,
    "tensorflow.serving.MonitoringConfig": monitoring_config_pb2.MonitoringConfig,
    "tensorflow.serving.SessionBundleConfig": session_bundle_config_pb2.SessionBundleConfig,
    "tensorflow.serving.BatchingParameters": session_bundle_config_pb2.BatchingParameters,
}


@pytest.mark.parametrize("name", sorted(NO_ORACLE_TABLES))
def test_types_without_oracle_match_tf_serving_source(name):
    descriptor = _CLASSES[name].DESCRIPTOR
    assert descriptor.full_name == name
    got = [
        (f.name, f.number, f.type, f.message_type.full_name if f.message_type else None)
        for f in descriptor.fields
    ]
    assert got == NO_ORACLE_TABLES[name]


def test_session_bundle_config_reserves_the_config_proto_fields():
    proto = descriptor_pb2.DescriptorProto()
    session_bundle_config_pb2.SessionBundleConfig.DESCRIPTOR.CopyToProto(proto)
    assert [(r.start, r.end) for r in proto.reserved_range] == [(2, 3), (778, 779)]


def test_model_status_json_keeps_snake_case_names():
    """TF Serving's REST status body relies on the explicit json_name options."""
    response = get_model_status_pb2.GetModelStatusResponse()
    status = response.model_version_status.add(version=1, state="AVAILABLE")
    status.status.SetInParent()
    body = json_format.MessageToDict(response, always_print_fields_with_no_presence=True)
    assert body == {
        "model_version_status": [
            {
                "version": "1",
                "state": "AVAILABLE",
                "status": {"error_code": "OK", "error_message": ""},
            }
        ]
    }


def test_prediction_log_with_session_run_log_keeps_it_as_unknown_field():
    theirs = tfs_prediction_log_pb2.PredictionLog()
    theirs.session_run_log.request.fetch.append("y:0")
    data = theirs.SerializeToString()
    ours = prediction_log_pb2.PredictionLog.FromString(data)
    assert ours.WhichOneof("log_type") is None
    assert ours.SerializeToString() == data


def test_prediction_log_predict_record_round_trips_with_tf_serving():
    theirs = tfs_prediction_log_pb2.PredictionLog()
    request = theirs.predict_log.request
    request.model_spec.name = "half_plus_two"
    request.model_spec.signature_name = "serving_default"
    request.inputs["x"].dtype = 1
    request.inputs["x"].float_val.extend([1.0, 2.0])
    data = theirs.SerializeToString(deterministic=True)
    ours = prediction_log_pb2.PredictionLog.FromString(data)
    assert ours.WhichOneof("log_type") == "predict_log"
    assert list(ours.predict_log.request.inputs["x"].float_val) == [1.0, 2.0]
    assert ours.SerializeToString(deterministic=True) == data
