"""What a kernel may see besides its inputs: the node, the resources, the options, function calls.

The runtime implements ``KernelContext``; kernels only use the attributes below. Resources (variables,
lookup tables, TensorLists' storage) live in a ``ResourceManager`` keyed like TensorFlow's
``(container, shared_name)``; a resource tensor is a ``ResourceHandle`` object.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from savedmodel.errors import FailedPreconditionError, NotFoundError, PermissionDeniedError

LOGGER = logging.getLogger("savedmodel.ops")

# Ops that touch files, the network or Python; refused unless RuntimeOptions.allowed_ops names them.
IO_OPS = frozenset({
    "ReadFile", "WriteFile", "MatchingFiles", "SaveV2", "Save", "SaveSlices", "RestoreV2", "Restore",
    "RestoreSlice", "MergeV2Checkpoints", "PyFunc", "PyFuncStateless", "EagerPyFunc",
    "InitializeTableFromTextFile", "InitializeTableFromTextFileV2", "TFRecordDataset",
    "TFRecordDatasetV2", "TextLineDataset", "TextLineDatasetV2", "FixedLengthRecordDataset",
    "FixedLengthRecordDatasetV2", "WholeFileReader", "WholeFileReaderV2", "ImmutableConst",
    "DebugIdentity", "DebugIdentityV2", "DebugIdentityV3", "WriteSummary", "CreateSummaryFileWriter",
})


@dataclass(frozen=True)
class RuntimeOptions:
    """Limits and permissions for running untrusted graphs.

    ``allowed_ops`` lists ops from ``IO_OPS`` the caller trusts; ``allowed_paths`` are directories file
    ops may touch (the model's own directory is added by the loader).
    """

    allowed_ops: frozenset[str] = frozenset()
    allowed_paths: tuple[str, ...] = ()
    max_tensor_bytes: int = 1 << 34
    max_constant_bytes: int = 1 << 35
    max_call_depth: int = 64
    max_loop_iterations: int = 10_000_000


@dataclass
class ResourceHandle:
    """A resource tensor's value: where the resource lives and what it holds."""

    container: str
    shared_name: str
    kind: str = "variable"
    dtype: int = 0
    shape: tuple[int, ...] | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.container, self.shared_name)

    def __hash__(self) -> int:
        return hash(self.key)


@dataclass
class VariableState:
    """The value behind a resource variable; ``value`` is None until initialized."""

    dtype: int
    shape: tuple[int, ...] | None
    value: Any = None
    name: str = ""


class ResourceManager:
    """Resources by (container, shared_name), shared by every function run on one model."""

    def __init__(self) -> None:
        self._resources: dict[tuple[str, str], Any] = {}

    def get(self, handle: ResourceHandle, where: str = "") -> Any:
        try:
            return self._resources[handle.key]
        except KeyError:
            raise NotFoundError(
                f"{where}: resource {handle.shared_name!r} (container {handle.container!r}) does not "
                "exist; it was never created or was destroyed.") from None

    def lookup_or_create(self, handle: ResourceHandle, factory: Callable[[], Any]) -> Any:
        if handle.key not in self._resources:
            self._resources[handle.key] = factory()
        return self._resources[handle.key]

    def create(self, handle: ResourceHandle, resource: Any) -> None:
        self._resources[handle.key] = resource

    def delete(self, handle: ResourceHandle) -> None:
        self._resources.pop(handle.key, None)

    def __contains__(self, handle: ResourceHandle) -> bool:
        return handle.key in self._resources

    def items(self) -> list[tuple[tuple[str, str], Any]]:
        return list(self._resources.items())


def read_variable(resources: ResourceManager, handle: ResourceHandle, where: str) -> Any:
    """The value of the variable behind ``handle``; FailedPreconditionError if uninitialized."""
    state = resources.get(handle, where)
    if state.value is None:
        raise FailedPreconditionError(
            f"{where}: variable {handle.shared_name!r} is uninitialized; run its initializer or "
            "restore it from a checkpoint first.")
    return state.value


@dataclass
class KernelContext:
    """Per-node context handed to kernels (``ctx``); the runtime fills ``call``."""

    node_name: str = ""
    op: str = ""
    resources: ResourceManager = field(default_factory=ResourceManager)
    options: RuntimeOptions = field(default_factory=RuntimeOptions)
    call: Callable[[Any, Sequence[Any]], list[Any]] | None = None
    depth: int = 0

    @property
    def where(self) -> str:
        return f"node {self.node_name!r} ({self.op})"

    def call_function(self, func: Any, args: Sequence[Any]) -> list[Any]:
        """Runs function ``func`` (a FuncRef) on ``args`` and returns its outputs."""
        if self.call is None:
            raise FailedPreconditionError(f"{self.where}: no function library is available.")
        return self.call(func, args)

    def check_io_allowed(self) -> None:
        """Refuses file, network and Python-calling ops unless the caller allowed them by name."""
        if self.op in IO_OPS and self.op not in self.options.allowed_ops:
            raise PermissionDeniedError(
                f"{self.where}: op {self.op!r} reads or writes files or runs code outside the model, "
                f"and is refused by default. Allow it explicitly, e.g. "
                f"LoadOptions(allowed_ops=[{self.op!r}]), if you trust this model.")
