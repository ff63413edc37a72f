"""LoadOptions and SaveOptions with TensorFlow's fields, plus savedmodel's safety settings."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from savedmodel.ops.context import RuntimeOptions


# Ops that read files, allowed at load because their paths are checked to lie inside the model.
MODEL_FILE_OPS = frozenset({"InitializeTableFromTextFileV2", "InitializeTableFromTextFile"})


@dataclass
class LoadOptions:
    """Options for ``load``: TensorFlow's fields, and which file/code ops the caller trusts.

    ``allowed_ops`` names ops such as ``"ReadFile"`` that are refused by default because they touch
    files or run code outside the model; the limits bound what a hostile graph can allocate or loop.
    """

    allow_partial_checkpoint: bool = False
    experimental_io_device: str | None = None
    experimental_skip_checkpoint: bool = False
    experimental_variable_policy: Any = None
    experimental_load_function_aliases: bool = False
    allowed_ops: Iterable[str] = ()
    max_tensor_bytes: int = 1 << 34
    max_call_depth: int = 64
    max_loop_iterations: int = 10_000_000

    def runtime_options(self, model_dir: str) -> RuntimeOptions:
        """Runtime limits for one model; its own asset files may be read by table initializers."""
        allowed = frozenset(self.allowed_ops) | MODEL_FILE_OPS
        return RuntimeOptions(allowed_ops=allowed, allowed_paths=(model_dir,),
                              max_tensor_bytes=self.max_tensor_bytes, max_call_depth=self.max_call_depth,
                              max_loop_iterations=self.max_loop_iterations)


@dataclass
class SaveOptions:
    """Options for ``save`` (TensorFlow's fields)."""

    namespace_whitelist: list[str] | None = None
    save_debug_info: bool = False
    function_aliases: dict[str, Any] | None = None
    experimental_debug_stripper: bool = False
    experimental_io_device: str | None = None
    experimental_variable_policy: Any = None
    experimental_custom_gradients: bool = True
    experimental_image_format: bool = False
    experimental_skip_saver: bool = False
    experimental_sharding_callback: Any = None
    extra_tags: list[str] = field(default_factory=list)
