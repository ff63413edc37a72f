"""SavedModel file names and collection/signature keys, with TensorFlow's values.

Mirrors ``tf.compat.v1.saved_model.constants`` (``tensorflow/python/saved_model/constants.py``,
whose source of truth is ``tensorflow/cc/saved_model/constants.h``). The file and directory names live in
``savedmodel.format.saved_model_file``, the layer that reads and writes them; they are re-exported
here so that there is one source for each value.

May import: savedmodel.format.
"""

from __future__ import annotations

from savedmodel.format.saved_model_file import (
    ASSETS_DIRECTORY,
    DEBUG_DIRECTORY,
    DEBUG_INFO_FILENAME_PB,
    EXTRA_ASSETS_DIRECTORY,
    FINGERPRINT_FILENAME,
    SAVED_MODEL_FILENAME_CPB,
    SAVED_MODEL_FILENAME_PB,
    SAVED_MODEL_FILENAME_PBTXT,
    SAVED_MODEL_FILENAME_PREFIX,
    SAVED_MODEL_SCHEMA_VERSION,
    VARIABLES_DIRECTORY,
    VARIABLES_FILENAME,
)

__all__ = [
    "ASSETS_DIRECTORY",
    "ASSETS_KEY",
    "DEBUG_DIRECTORY",
    "DEBUG_INFO_FILENAME_PB",
    "EXTRA_ASSETS_DIRECTORY",
    "FINGERPRINT_FILENAME",
    "INIT_OP_SIGNATURE_KEY",
    "LEGACY_INIT_OP_KEY",
    "MAIN_OP_KEY",
    "SAVED_MODEL_FILENAME_CPB",
    "SAVED_MODEL_FILENAME_PB",
    "SAVED_MODEL_FILENAME_PBTXT",
    "SAVED_MODEL_FILENAME_PREFIX",
    "SAVED_MODEL_SCHEMA_VERSION",
    "TRAIN_OP_KEY",
    "TRAIN_OP_SIGNATURE_KEY",
    "VARIABLES_DIRECTORY",
    "VARIABLES_FILENAME",
]

#: Collection key of the TF1 asset list (``AssetFileDef`` packed in ``Any``).
ASSETS_KEY = "saved_model_assets"

#: Collection key of the TF1 legacy init op (a ``node_list`` with one op name).
LEGACY_INIT_OP_KEY = "legacy_init_op"

#: Collection key of the TF1 main op (a ``node_list`` with one op name); wins over the legacy one.
MAIN_OP_KEY = "saved_model_main_op"

#: Collection key of the TF1 train op.
TRAIN_OP_KEY = "saved_model_train_op"

#: Signature key of the init op (TF2 saves and the newer builder); wins over both collections.
INIT_OP_SIGNATURE_KEY = "__saved_model_init_op"

#: Signature key of the train op written by the newer builder.
TRAIN_OP_SIGNATURE_KEY = "__saved_model_train_op"
