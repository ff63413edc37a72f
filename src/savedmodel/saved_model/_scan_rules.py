"""The graph rules of ``savedmodel scan``: ops outside the allowlist, saver exemptions, table files,
Const size bombs, function-call cycles and nesting.

Each rule reads protos only (nothing runs) and returns ``Finding`` records. A node's place is written
``<tags> / <function> / <node>`` (``<tags> / <node>`` for the MetaGraph's own graph).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from savedmodel._proto import (
    function_pb2,
    graph_pb2,
    meta_graph_pb2,
    node_def_pb2,
    tensor_pb2,
)
from savedmodel.errors import SavedModelError
from savedmodel.format import dtypes
from savedmodel.graph.function_library import FunctionLibrary
from savedmodel.ops import registry
from savedmodel.ops.context import IO_OPS

SEVERITIES = ("info", "low", "medium", "high", "critical")
MAX_CALL_DEPTH = 64
# A Const may declare more bytes than its file holds (splat values); past this it is a bomb.
MIN_BOMB_BYTES = 1 << 24

# Ops that run Python code from the process loading the model.
CODE_OPS = frozenset({"PyFunc", "PyFuncStateless", "EagerPyFunc"})
# Ops that write outside the model or change files; the rest of IO_OPS read.
WRITE_OPS = frozenset({"WriteFile", "SaveV2", "Save", "SaveSlices", "MergeV2Checkpoints",
                       "WriteSummary", "CreateSummaryFileWriter", "DebugIdentity", "DebugIdentityV2",
                       "DebugIdentityV3"})
# File, network and reader ops TensorFlow has but IO_OPS does not list (the registry lacks them).
EXTRA_IO_OPS = frozenset({
    "ReaderReadV2", "ReaderRead", "ReaderReadUpToV2", "TFRecordReaderV2", "TextLineReaderV2",
    "FixedLengthRecordReaderV2", "IdentityReaderV2", "LMDBReader", "LMDBDataset", "CSVDataset",
    "CSVDatasetV2", "ExperimentalCSVDataset", "SqlDataset", "ExperimentalSqlDataset", "LoadDataset",
    "SaveDataset", "SaveDatasetV2", "SnapshotDataset", "SnapshotDatasetV2", "ExperimentalLMDBDataset",
    "DataServiceDataset", "DataServiceDatasetV2", "DataServiceDatasetV3", "DataServiceDatasetV4",
    "RpcCall", "RpcClient", "RpcServer", "RpcServerStart", "RpcServerRegister", "DecodeProtoV2",
    "WriteAudioSummary", "WriteGraphSummary", "WriteHistogramSummary", "WriteImageSummary",
    "WriteRawProtoSummary", "WriteScalarSummary", "ImportEvent", "FlushSummaryWriter",
    "CreateSummaryDbWriter", "DebugNumericSummary", "DebugNumericSummaryV2", "Print",
    "EncodeProto", "LoadAndRemapMatrix", "GenerateVocabRemapping", "InitializeTableFromDataset",
    "_Send", "_Recv", "_HostSend", "_HostRecv", "Send", "Recv", "CollectiveReduceV2",
})
# TensorFlow ops the registry lacks that only compute (saver helpers); not reported.
BENIGN_UNREGISTERED = frozenset({"ShardedFilename", "ShardedFilespec", "DisableCopyOnRead"})
# Pure-computation TensorFlow ops savedmodel cannot run yet: reported low (unsupported, not unsafe).
PURE_UNSUPPORTED = frozenset({
    "Enter", "RefEnter", "Exit", "RefExit", "LoopCond", "Merge", "RefMerge", "NextIteration",
    "RefNextIteration", "Switch", "RefSwitch", "ControlTrigger",
    "TensorListReserve", "TensorListFromTensor", "TensorListGetItem", "TensorListSetItem",
    "TensorListStack", "TensorListLength", "TensorListPushBack", "TensorListPopBack",
    "TensorListElementShape", "TensorListConcatV2", "TensorListGather", "TensorListScatterV2",
    "TensorListScatterIntoExistingList", "TensorListSplit", "TensorListResize", "EmptyTensorList",
    "TensorArrayV3", "TensorArrayReadV3", "TensorArrayWriteV3", "TensorArrayGatherV3",
    "TensorArrayScatterV3", "TensorArrayConcatV3", "TensorArraySplitV3", "TensorArraySizeV3",
    "TensorArrayCloseV3", "TensorArrayGradV3",
    "RaggedTensorToTensor", "RaggedTensorToSparse", "RaggedTensorFromVariant",
    "RaggedTensorToVariant", "RaggedGather", "RaggedRange",
    "SparseReduceSum", "SparseReduceMax", "SparseTensorDenseMatMul", "SparseToDense",
    "CudnnRNN", "CudnnRNNV2", "CudnnRNNV3", "CudnnRNNBackprop", "CudnnRNNBackpropV2",
    "CudnnRNNBackpropV3", "CudnnRNNParamsSize",
})
SAVER_OPS = frozenset({"SaveV2", "Save", "SaveSlices", "RestoreV2", "Restore", "RestoreSlice",
                       "MergeV2Checkpoints"})
TABLE_FILE_OPS = frozenset({"InitializeTableFromTextFile", "InitializeTableFromTextFileV2"})
SAVER_FUNCTION = re.compile(r"^__inference__traced_(save|restore)_\d+$")
_PASS_THROUGH = frozenset({"Identity", "StringJoin", "ShardedFilename", "Snapshot",
                           "PlaceholderWithDefault", "Add", "AddV2", "StaticRegexReplace"})


@dataclass(frozen=True)
class Finding:
    """One problem: how bad (``SEVERITIES``), a stable code, where, what, and why it matters."""

    severity: str
    code: str
    where: str
    message: str
    why: str

    def to_dict(self) -> dict[str, str]:
        return {"severity": self.severity, "code": self.code, "where": self.where,
                "message": self.message, "why": self.why}


@dataclass
class Body:
    """One graph to walk: the MetaGraph's graph or a library function, with its place and nodes."""

    where: str
    function: str | None
    nodes: dict[str, node_def_pb2.NodeDef]


def bodies(tags: str, graph_def: graph_pb2.GraphDef) -> Iterator[Body]:
    """The MetaGraph's graph, then every library function (branches and bodies included)."""
    yield Body(tags, None, {n.name: n for n in graph_def.node})
    for fdef in graph_def.library.function:
        name = fdef.signature.name
        yield Body(f"{tags} / {name}", name, {n.name: n for n in fdef.node_def})


def _source(name: str) -> str:
    """The node a NodeDef input names: drops ``^``, ``:0`` and function-style ``:out:0``."""
    return name.lstrip("^").split(":", 1)[0]


def _const_strings(body: Body, input_name: str, limit: int = 32) -> list[str]:
    """String Const values feeding ``input_name`` through pass-through ops (Identity, StringJoin)."""
    found: list[str] = []
    stack, seen = [_source(input_name)], set[str]()
    while stack and len(seen) < limit:
        name = stack.pop()
        node = body.nodes.get(name)
        if node is None or name in seen:
            continue
        seen.add(name)
        if node.op == "Const" and "value" in node.attr:
            found += [v.decode("utf-8", "replace") for v in node.attr["value"].tensor.string_val]
        elif node.op in _PASS_THROUGH:
            stack += [_source(i) for i in node.input if not i.startswith("^")]
    return found


def _is_outside_path(path: str) -> bool:
    return path.startswith(("/", "\\")) or ".." in re.split(r"[\\/]", path) or "\x00" in path \
        or re.match(r"^[A-Za-z]:", path) is not None or "://" in path


# -- ops ---------------------------------------------------------------------------------------


def saver_exempt_functions(library: FunctionLibrary) -> set[str]:
    """TF2's traced save/restore functions and the functions only they call."""
    exempt = {name for name in library.functions if SAVER_FUNCTION.match(name)}
    callers: dict[str, set[str]] = {}
    for name, function in library.functions.items():
        for callee in library.callees(function):
            callers.setdefault(callee, set()).add(name)
    changed = True
    while changed:
        changed = False
        for name in library.functions.keys() - exempt:
            if callers.get(name) and callers[name] <= exempt:
                exempt.add(name)
                changed = True
    return exempt


def saver_scope(meta_graph: meta_graph_pb2.MetaGraphDef) -> re.Pattern[str]:
    """Node names of TF1 save/restore subgraphs: the SaverDef's scope and ``save_N/`` scopes.

    SavedModelBuilder graphs often hold two Savers (``save/`` and ``save_1/``); their Save and
    Restore ops are expected, but their prefix inputs are still checked.
    """
    name = meta_graph.saver_def.filename_tensor_name or meta_graph.saver_def.restore_op_name
    scopes = [r"save(_\d+)?/"]
    if "/" in name:
        scopes.append(re.escape(name.rsplit("/", 1)[0] + "/"))
    return re.compile(f"^({'|'.join(scopes)})")


def op_findings(body: Body, saver: bool | re.Pattern[str], known_functions: set[str],
                op_allowlist: frozenset[str], op_denylist: frozenset[str]) -> list[Finding]:
    """Findings for every node of ``body`` whose op is not plain computation.

    ``saver`` is True when the whole body is a save/restore function, or matches the node names of
    the TF1 saver subgraphs, whose Save/Restore ops are expected; their prefixes are still checked.
    """
    findings = []
    for node in body.nodes.values():
        where = f"{body.where} / {node.name}"
        if node.op in op_denylist:
            findings.append(Finding("high", "op-denied", where, f"op {node.op} is on --op_denylist.",
                                    "The caller asked for this op to be reported."))
        elif node.op in op_allowlist or node.op in known_functions:
            continue
        else:
            in_saver = saver is True or saver is not False and saver.match(node.name) is not None
            finding = _op_finding(body, node, where, in_saver)
            if finding is not None:
                findings.append(finding)
    return findings


def _op_finding(body: Body, node: node_def_pb2.NodeDef, where: str,
                in_saver: bool) -> Finding | None:
    op = node.op
    if op in SAVER_OPS and in_saver:
        return _saver_prefix_finding(body, node, where)
    if op in TABLE_FILE_OPS:
        return None  # judged by table_findings, which knows the assets
    if op == "PrintV2":
        return _print_finding(node, where)
    if op in CODE_OPS:
        return Finding("critical", "python-op", where, f"op {op} calls a Python function.",
                       "PyFunc ops run code of the process that loads the model; a model file can "
                       "name any registered function.")
    if op in WRITE_OPS:
        return Finding("critical", "file-write-op", where, f"op {op} writes files.",
                       "A model that writes files can overwrite data or plant code outside itself.")
    if op in IO_OPS or op in EXTRA_IO_OPS:
        return Finding("high", "io-op", where, f"op {op} reads files, the network or a device.",
                       "Serving a model should not read data outside the model directory.")
    if op in PURE_UNSUPPORTED:
        return Finding("low", "unsupported-op", where, f"op {op} has no savedmodel kernel.",
                       "A pure TensorFlow op: safe, but this model cannot run here yet.")
    if registry.lookup(op) is None and op not in BENIGN_UNREGISTERED:
        return Finding("info" if in_saver else "medium", "unknown-op", where, f"op {op} is not in savedmodel's registry.",
                       "Unknown ops cannot be vetted; they may have side effects.")
    return None


def _saver_prefix_finding(body: Body, node: node_def_pb2.NodeDef, where: str) -> Finding | None:
    paths = [p for i in node.input[:1] for p in _const_strings(body, i) if _is_outside_path(p)]
    if not paths:
        return None
    return Finding("critical", "saver-outside-path", where,
                   f"op {node.op} in the saver subgraph uses path(s) {paths}.",
                   "The save/restore subgraph should only touch the checkpoint it is given.")


def _print_finding(node: node_def_pb2.NodeDef, where: str) -> Finding | None:
    stream = node.attr["output_stream"].s.decode("utf-8", "replace") if "output_stream" in \
        node.attr else "stderr"
    if not stream.startswith("file://"):
        return None
    return Finding("high", "print-to-file", where, f"PrintV2 writes to {stream!r}.",
                   "PrintV2 with a file:// output stream appends to any file the process can write.")


# -- tables ------------------------------------------------------------------------------------


def table_findings(body: Body, asset_tensors: set[str]) -> list[Finding]:
    """Lookup-table initializers reading a Const path that is not one of the model's assets."""
    findings = []
    for node in body.nodes.values():
        if node.op not in TABLE_FILE_OPS or len(node.input) < 2:
            continue
        if body.function is None and _source(node.input[1]) in asset_tensors:
            continue  # TF1: the loader feeds the asset's path inside assets/
        for path in _const_strings(body, node.input[1]):
            findings.append(Finding(
                "high", "table-file-outside-assets", f"{body.where} / {node.name}",
                f"{node.op} reads {path!r}, a constant path that is not a model asset.",
                "A lookup table initialized from a file outside assets/ reads the host's files."))
    return findings


# -- structure ---------------------------------------------------------------------------------


def const_findings(body: Body, file_size: int) -> list[Finding]:
    """Const tensors whose declared shape overflows, disagrees with their bytes, or is a bomb."""
    findings = []
    for node in body.nodes.values():
        if node.op != "Const" or "value" not in node.attr:
            continue
        problem = _const_problem(node.attr["value"].tensor, file_size)
        if problem is not None:
            code, message = problem
            findings.append(Finding(
                "high", code, f"{body.where} / {node.name}", message,
                "Materializing this constant would allocate far more memory than the model holds."))
    return findings


def _const_problem(tensor: tensor_pb2.TensorProto, file_size: int) -> tuple[str, str] | None:
    dims = [d.size for d in tensor.tensor_shape.dim]
    if any(d < 0 for d in dims):
        return "const-negative-dim", f"Const declares shape {dims} with a negative dimension."
    count = 1
    for d in dims:
        count *= d
    if count >= 1 << 63:
        return "const-shape-overflow", f"Const shape {dims} has {count} elements, past int64."
    try:
        dtype = dtypes.as_dtype(tensor.dtype)
        itemsize = dtypes.numpy_dtype(dtype.enum).itemsize if not dtype.is_string else 0
    except (SavedModelError, TypeError, ValueError, KeyError):
        return None
    nbytes = count * itemsize
    content = len(tensor.tensor_content)
    if content and content != nbytes:
        return ("const-content-mismatch",
                f"Const declares {nbytes} bytes (shape {dims}) but holds {content} in tensor_content.")
    if not content and nbytes > max(file_size, MIN_BOMB_BYTES):
        message = (f"Const declares shape {dims} ({nbytes} bytes) with no content; the whole "
                   f"file holds {file_size} bytes.")
        return "const-size-bomb", message
    return None


def call_findings(tags: str, library: FunctionLibrary) -> list[Finding]:
    """A function-call cycle, or call chains nested deeper than ``MAX_CALL_DEPTH``."""
    try:
        library.check_acyclic()
    except SavedModelError as error:
        return [Finding("high", "function-cycle", tags, str(error),
                        "A recursive call chain never ends; running it exhausts the stack or hangs.")]
    depth: dict[str, int] = {}
    for name in sorted(library.functions):
        _depth(library, name, depth)
    deepest = max(depth.items(), key=lambda kv: kv[1], default=("", 0))
    if deepest[1] <= MAX_CALL_DEPTH:
        return []
    return [Finding("medium", "deep-nesting", f"{tags} / {deepest[0]}",
                    f"function {deepest[0]!r} nests calls {deepest[1]} deep (limit "
                    f"{MAX_CALL_DEPTH}).", "Absurd nesting is a way to exhaust the runtime's stack.")]


def _depth(library: FunctionLibrary, root: str, depth: dict[str, int]) -> int:
    """Longest call chain from ``root`` (iterative post-order; the library is acyclic here)."""
    stack = [(root, False)]
    while stack:
        name, expanded = stack.pop()
        if name in depth:
            continue
        callees = library.callees(library[name])
        if expanded:
            depth[name] = 1 + max((depth[c] for c in callees), default=0)
            continue
        stack.append((name, True))
        stack += [(c, False) for c in callees if c not in depth]
    return depth[root]


def function_library(tags: str, library: function_pb2.FunctionDefLibrary
                     ) -> tuple[FunctionLibrary | None, list[Finding]]:
    """The parsed library, or None with a finding when it cannot be parsed."""
    try:
        return FunctionLibrary(library), []
    except SavedModelError as error:
        return None, [Finding("high", "bad-function-library", tags, str(error),
                              "A library that does not parse cannot be vetted or run.")]
