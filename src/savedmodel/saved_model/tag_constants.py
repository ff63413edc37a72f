"""Meta-graph tags, with TensorFlow's values (``tf.compat.v1.saved_model.tag_constants``).

Mirrors ``tensorflow/python/saved_model/tag_constants.py`` and
``tensorflow/cc/saved_model/tag_constants.h``.
A loader picks the MetaGraphDef whose tag *set* equals the requested one.

May import: nothing.
"""

from __future__ import annotations

__all__ = ["EVAL", "GPU", "SERVING", "TPU", "TRAINING"]

#: Tag of the serving graph (what TF Serving and ``saved_model_cli`` load by default).
SERVING = "serve"

#: Tag of the training graph.
TRAINING = "train"

#: Tag of the eval graph (TensorFlow defines it but does not export it under ``tf.saved_model``).
EVAL = "eval"

#: Tag of a graph meant for GPU.
GPU = "gpu"

#: Tag of a graph meant for TPU.
TPU = "tpu"
