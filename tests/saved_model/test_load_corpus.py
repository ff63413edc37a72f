"""``load()`` on models written by TensorFlow 2.21 gives TensorFlow's outputs for every recorded call."""

from __future__ import annotations

import pytest
from tf_corpus.cases import assert_outputs, load_cases

from savedmodel.saved_model.load import load

CORPUS = [
    "tf2_adder",
    "tf2_dtypes",
    "tf2_module_control_flow",
    "tf2_lookup",
    "tf2_strings_int64",
    "tf2_unknown_shapes",
    "keras_dense",
    "keras_mlp",
]


@pytest.mark.parametrize("name", CORPUS)
def test_every_recorded_call_matches_tensorflow(tf_model, name: str) -> None:
    cases = load_cases(tf_model(name))
    assert cases, f"{name} recorded no cases"
    loaded: dict = {}
    for case in cases:
        key = (case.model_dir, case.tags)
        if key not in loaded:
            loaded[key] = load(case.model_dir, tags=list(case.tags) or None)
        model = loaded[key]
        if case.signature is not None:
            got = model.signatures[case.signature](**case.inputs)
        else:
            got = case.resolve(model)(*case.args, **case.inputs)
        assert_outputs(case, got)
