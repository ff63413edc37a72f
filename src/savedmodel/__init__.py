"""savedmodel: TensorFlow SavedModels without TensorFlow.

The public surface mirrors TensorFlow's names: ``savedmodel.saved_model.load`` (also
``savedmodel.load``), ``savedmodel.train.load_checkpoint``, ``savedmodel.errors`` (``tf.errors``).
"""

from __future__ import annotations

from savedmodel import errors, saved_model, train
from savedmodel.format.dtypes import as_dtype
from savedmodel.saved_model import load
from savedmodel.tracing.tensor_spec import TensorSpec

__all__ = ["TensorSpec", "as_dtype", "errors", "load", "saved_model", "train"]
