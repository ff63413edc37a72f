"""``load()`` on models written by TensorFlow 2.21 gives TensorFlow's outputs for every recorded call."""

from __future__ import annotations

import dataclasses

import pytest
from tf_corpus.cases import assert_outputs, load_cases

from savedmodel.errors import SavedModelError, UnsupportedOpError
from savedmodel.saved_model.load import load

CORPUS = [
    "keras_cnn",
    "keras_dense",
    "keras_mixed_precision",
    "keras_mlp",
    "keras_preprocessing",
    "keras_rnn",
    "keras_transformer",
    "tf1_builder",
    "tf1_simple_save",
    "tf2_adder",
    "tf2_dtypes",
    "tf2_lookup",
    "tf2_misc_ops",
    "tf2_module_control_flow",
    "tf2_random_stateless",
    "tf2_strings_int64",
    "tf2_unknown_shapes",
    "tfkeras_models",
]

# JPEG: TensorFlow decodes with libjpeg-turbo's fast IDCT and fancy upsampling, which Pillow cannot
# select; pixels of chroma-subsampled images differ by a few levels (measured max 5 on this image).
TOLERANCE_OVERRIDES = {"decode_jpeg": 8.0}


def _call(model, case):
    if case.signature is not None:
        return model.signatures[case.signature](**case.inputs)
    return case.resolve(model)(*case.args, **case.inputs)


@pytest.mark.parametrize("name", CORPUS)
def test_every_recorded_call_matches_tensorflow(tf_model, name: str) -> None:
    cases = load_cases(tf_model(name))
    assert cases, f"{name} recorded no cases"
    loaded: dict = {}
    for case in cases:
        key = (case.model_dir, case.tags)
        if key not in loaded:
            loaded[key] = load(case.model_dir, tags=list(case.tags) or None)
        if case.error:
            with pytest.raises(SavedModelError, match=case.error_match or None):
                _call(loaded[key], case)
            continue
        for fragment, atol in TOLERANCE_OVERRIDES.items():
            if fragment in case.name:
                case = dataclasses.replace(case, atol=atol)
        assert_outputs(case, _call(loaded[key], case))


def test_tf1_control_flow_is_reported_with_every_missing_op(tf_model) -> None:
    model_dir = tf_model("tf1_while_cond") / "model"
    with pytest.raises(UnsupportedOpError) as info:
        load(model_dir)
    assert {"Enter", "Exit", "LoopCond", "Merge", "NextIteration", "Switch"} <= set(info.value.ops)
    assert "used by 'while/Enter'" in str(info.value)
