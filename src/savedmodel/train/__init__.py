"""``savedmodel.train``: the checkpoint reading API of ``tf.train``.

``load_checkpoint``, ``list_variables``, ``latest_checkpoint`` and ``CheckpointReader`` behave as
their TensorFlow namesakes on V2 checkpoints (and, beyond TensorFlow, accept a SavedModel
directory).
"""

from __future__ import annotations

from savedmodel.train.checkpoint_reader import (
    CheckpointReader,
    latest_checkpoint,
    list_variables,
    load_checkpoint,
)

__all__ = ["CheckpointReader", "latest_checkpoint", "list_variables", "load_checkpoint"]
