"""The op registry and every op family; importing this package registers all kernels.

See ``registry.py`` for the OpDef syntax and kernel contract. Families are named like TensorFlow's
op files; each registers its ops at import.
"""

from __future__ import annotations

import importlib

from savedmodel.ops import registry

FAMILIES = (
    "array_ops",
    "control_flow_ops",
    "functional_ops",
    "image_ops",
    "io_ops",
    "math_ops",
    "nn_ops",
    "resource_variable_ops",
    "state_ops",
)

for _family in FAMILIES:
    try:
        importlib.import_module(f"savedmodel.ops.{_family}")
    except ModuleNotFoundError as _err:  # a family still being written by a helper
        if _err.name != f"savedmodel.ops.{_family}":
            raise

__all__ = ["FAMILIES", "registry"]
