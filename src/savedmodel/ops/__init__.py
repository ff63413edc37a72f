"""The op registry and every op family; importing this package registers all kernels.

See ``registry.py`` for the OpDef syntax and kernel contract. Families are named like TensorFlow's
op files; each registers its ops at import.
"""

from __future__ import annotations

import importlib

from savedmodel.ops import registry

FAMILIES = (
    "array_ops",
    "bitwise_ops",
    "control_flow_ops",
    "functional_ops",
    "image_ops",
    "io_ops",
    "linalg_ops",
    "list_ops",
    "lookup_ops",
    "math_ops",
    "nn_ops",
    "parsing_ops",
    "ragged_ops",
    "random_ops",
    "reduction_ops",
    "resource_variable_ops",
    "segment_ops",
    "sparse_ops",
    "state_ops",
    "string_ops",
    "tensor_array_ops",
)

for _family in FAMILIES:
    importlib.import_module(f"savedmodel.ops.{_family}")

__all__ = ["FAMILIES", "registry"]
