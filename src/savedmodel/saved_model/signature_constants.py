"""SignatureDef keys and method names, with TensorFlow's values.

Mirrors ``tf.compat.v1.saved_model.signature_constants``
(``tensorflow/python/saved_model/signature_constants.py``,
``tensorflow/cc/saved_model/signature_constants.h``):
the default signature key, and the input/output keys and method names of the Classify, Predict and
Regress APIs that TF Serving implements.

May import: nothing.
"""

from __future__ import annotations

__all__ = [
    "CLASSIFY_INPUTS",
    "CLASSIFY_METHOD_NAME",
    "CLASSIFY_OUTPUT_CLASSES",
    "CLASSIFY_OUTPUT_SCORES",
    "DEFAULT_EVAL_SIGNATURE_DEF_KEY",
    "DEFAULT_SERVING_SIGNATURE_DEF_KEY",
    "DEFAULT_TRAIN_SIGNATURE_DEF_KEY",
    "PREDICT_INPUTS",
    "PREDICT_METHOD_NAME",
    "PREDICT_OUTPUTS",
    "REGRESS_INPUTS",
    "REGRESS_METHOD_NAME",
    "REGRESS_OUTPUTS",
    "SUPERVISED_EVAL_METHOD_NAME",
    "SUPERVISED_TRAIN_METHOD_NAME",
]

#: Signature used when a request names none (saved_model_cli, TF Serving, ``load().signatures``).
DEFAULT_SERVING_SIGNATURE_DEF_KEY = "serving_default"

# Classification API.
CLASSIFY_INPUTS = "inputs"
CLASSIFY_METHOD_NAME = "tensorflow/serving/classify"
CLASSIFY_OUTPUT_CLASSES = "classes"
CLASSIFY_OUTPUT_SCORES = "scores"

# Prediction API.
PREDICT_INPUTS = "inputs"
PREDICT_METHOD_NAME = "tensorflow/serving/predict"
PREDICT_OUTPUTS = "outputs"

# Regression API.
REGRESS_INPUTS = "inputs"
REGRESS_METHOD_NAME = "tensorflow/serving/regress"
REGRESS_OUTPUTS = "outputs"

# Train/eval signatures (Estimator exports); TensorFlow defines them without exporting them.
DEFAULT_TRAIN_SIGNATURE_DEF_KEY = "train"
DEFAULT_EVAL_SIGNATURE_DEF_KEY = "eval"
SUPERVISED_TRAIN_METHOD_NAME = "tensorflow/supervised/training"
SUPERVISED_EVAL_METHOD_NAME = "tensorflow/supervised/eval"
