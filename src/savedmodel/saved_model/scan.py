"""``scan``: vet an untrusted SavedModel without running it, and report what could reach outside it.

An allowlist scanner: every op in every MetaGraph's graph and in every library function (If/While/Case
branches included) must be a registered pure-computation op; file, network and Python ops, and ops
unknown to the registry, are reported. It also checks asset names, lookup-table files, files in the
model directory (pickles, Python, symlinks, Keras ``Lambda`` layers), the checkpoint (every entry
read with its CRC checked, object graph keys present), the fingerprint, function-call cycles and
nesting, and Const size bombs. Nothing is executed and no file outside the model is opened.

    >>> report = scan("/models/half_plus_two/1")        # doctest: +SKIP
    >>> [f.code for f in report.at_or_above("medium")]  # doctest: +SKIP
    []
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from savedmodel import ops  # noqa: F401  (registers every op, so the allowlist is complete)
from savedmodel._proto import (
    meta_graph_pb2,
    saved_model_pb2,
    trackable_object_graph_pb2,
)
from savedmodel.errors import (
    ChecksumMismatchError,
    PermissionDeniedError,
    SavedModelError,
    SavedModelValueError,
    UnimplementedError,
)
from savedmodel.format import fingerprint as fingerprint_format
from savedmodel.format import saved_model_file
from savedmodel.format.bundle import BundleReader
from savedmodel.saved_model import _scan_rules as rules
from savedmodel.saved_model import loader
from savedmodel.saved_model._scan_rules import SEVERITIES, Finding

__all__ = ["SEVERITIES", "Finding", "ScanReport", "scan"]

OBJECT_GRAPH_KEY = "_CHECKPOINTABLE_OBJECT_GRAPH"
MAX_FILES = 100_000
_PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib", ".npy.pkl")
_PYTHON_SUFFIXES = (".py", ".pyc", ".pyo")
_LAMBDA = re.compile(rb'"class_name"\s*:\s*"Lambda"')
_FINGERPRINT_FIELDS = ("saved_model_checksum", "graph_def_program_hash", "signature_def_hash",
                       "saved_object_graph_hash", "checkpoint_hash")


@dataclass
class ScanReport:
    """What ``scan`` found in one SavedModel directory, worst first."""

    export_dir: str
    findings: list[Finding] = field(default_factory=list)

    def at_or_above(self, severity: str) -> list[Finding]:
        """Findings whose severity is ``severity`` or worse."""
        floor = severity_rank(severity)
        return [f for f in self.findings if severity_rank(f.severity) >= floor]

    def counts(self) -> dict[str, int]:
        return {s: sum(f.severity == s for f in self.findings) for s in SEVERITIES}

    def to_dict(self) -> dict[str, Any]:
        return {"export_dir": self.export_dir, "counts": self.counts(),
                "findings": [f.to_dict() for f in self.findings]}


def severity_rank(severity: str) -> int:
    """0 for "info" up to 4 for "critical"; SavedModelValueError for other names."""
    if severity not in SEVERITIES:
        raise SavedModelValueError(f"severity {severity!r}: expected one of {list(SEVERITIES)}.")
    return SEVERITIES.index(severity)


def scan(export_dir: str | os.PathLike[str], *, op_allowlist: Iterable[str] = (),
         op_denylist: Iterable[str] = (), tags: str | Iterable[str] | None = None) -> ScanReport:
    """Scans the SavedModel in ``export_dir`` and returns its findings (nothing is run).

    Args:
      export_dir: the SavedModel directory.
      op_allowlist: op names trusted on top of the registry's pure-computation ops.
      op_denylist: op names always reported (high), even pure ones.
      tags: scan only the MetaGraph with this tag set (default: every MetaGraph).

    Raises:
      NotFoundError, FormatError: ``saved_model.pb`` is missing or unreadable.
    """
    directory = os.fspath(export_dir)
    _refuse_outside_saved_model(directory)
    saved_model = saved_model_file.read_saved_model(directory)
    findings: list[Finding] = []
    for meta_graph in _meta_graphs(saved_model, tags, directory):
        findings += _meta_graph_findings(directory, meta_graph, frozenset(op_allowlist),
                                         frozenset(op_denylist))
    findings += _file_findings(directory)
    findings += _checkpoint_findings(directory)
    findings += _fingerprint_findings(directory)
    findings.sort(key=lambda f: (-severity_rank(f.severity), f.code, f.where))
    return ScanReport(directory, findings)


def _inside(directory: str, path: str) -> bool:
    """Whether ``path`` resolves (through symlinks) inside ``directory``."""
    root = os.path.realpath(directory)
    return os.path.commonpath([root, os.path.realpath(path)]) == root


def _refuse_outside_saved_model(directory: str) -> None:
    """PermissionDeniedError when saved_model.pb(txt) is a symlink to a file outside the model."""
    for name in (saved_model_file.SAVED_MODEL_FILENAME_PB, saved_model_file.SAVED_MODEL_FILENAME_PBTXT):
        path = os.path.join(directory, name)
        if os.path.lexists(path) and not _inside(directory, path):
            raise PermissionDeniedError(
                f"{path}: resolves to {os.path.realpath(path)!r}, outside the model directory; "
                "refusing to read it. Copy the real file into the model to scan it.")


def _meta_graphs(saved_model: saved_model_pb2.SavedModel, tags: str | Iterable[str] | None,
                 directory: str) -> list[meta_graph_pb2.MetaGraphDef]:
    if tags is None:
        return list(saved_model.meta_graphs)
    return [loader.select_meta_graph(saved_model, tags, directory)]


def _tags(meta_graph: meta_graph_pb2.MetaGraphDef) -> str:
    return ",".join(sorted(meta_graph.meta_info_def.tags)) or "<no tags>"


# -- graphs ------------------------------------------------------------------------------------


def _meta_graph_findings(directory: str, meta_graph: meta_graph_pb2.MetaGraphDef,
                         op_allowlist: frozenset[str], op_denylist: frozenset[str]
                         ) -> list[Finding]:
    """Op, saver, table, Const and call-structure findings of one MetaGraph."""
    tags = _tags(meta_graph)
    graph_def = meta_graph.graph_def
    library, findings = rules.function_library(tags, graph_def.library)
    names = {f.signature.name for f in graph_def.library.function}
    if library is not None:
        exempt = rules.saver_exempt_functions(library)
        findings += rules.call_findings(tags, library)
    else:
        exempt = {name for name in names if rules.SAVER_FUNCTION.match(name)}
    scope = rules.saver_scope(meta_graph)
    assets, asset_findings = _asset_findings(directory, meta_graph, tags)
    findings += asset_findings
    file_size = _saved_model_size(directory)
    for body in rules.bodies(tags, graph_def):
        saver: bool | re.Pattern[str] = body.function in exempt if body.function else scope
        findings += rules.op_findings(body, saver, names, op_allowlist, op_denylist)
        findings += rules.table_findings(body, assets)
        findings += rules.const_findings(body, file_size)
    return findings


def _saved_model_size(directory: str) -> int:
    for name in (saved_model_file.SAVED_MODEL_FILENAME_PB, saved_model_file.SAVED_MODEL_FILENAME_PBTXT):
        path = os.path.join(directory, name)
        if os.path.isfile(path):
            return os.path.getsize(path)
    return 0


def _asset_defs(meta_graph: meta_graph_pb2.MetaGraphDef) -> list[meta_graph_pb2.AssetFileDef]:
    """AssetFileDefs of the MetaGraph and of its ``saved_model_assets`` collection (TF1)."""
    found = list(meta_graph.asset_file_def)
    collection = meta_graph.collection_def.get("saved_model_assets")
    if collection is not None:
        for value in collection.any_list.value:
            asset = meta_graph_pb2.AssetFileDef()
            asset.ParseFromString(value.value)
            found.append(asset)
    return found


def _asset_findings(directory: str, meta_graph: meta_graph_pb2.MetaGraphDef,
                    tags: str) -> tuple[set[str], list[Finding]]:
    """The asset tensors' node names, and findings for asset names that escape ``assets/``."""
    tensors, findings = set(), []
    for asset in _asset_defs(meta_graph):
        where = f"{tags} / asset {asset.filename!r}"
        try:
            path = loader.asset_path(directory, asset.filename)
        except PermissionDeniedError as error:
            findings.append(Finding("high", "asset-escape", where, str(error),
                                    "Loading would read a file outside the model as an asset."))
            continue
        tensors.add(asset.tensor_info.name.split(":")[0])
        if not os.path.isfile(path):
            findings.append(Finding("low", "asset-missing", where,
                                    f"asset file {path!r} does not exist.",
                                    "Loading fails when the graph reads this asset."))
    return tensors, findings


# -- files -------------------------------------------------------------------------------------


def _file_findings(directory: str) -> list[Finding]:
    """Pickles, Python files, symlinks leaving the model, and Keras Lambda layers."""
    root = os.path.realpath(directory)
    findings: list[Finding] = []
    seen = 0
    for parent, dirs, files in os.walk(directory):
        for name in dirs + files:
            seen += 1
            path = os.path.join(parent, name)
            findings += _path_findings(root, path, os.path.relpath(path, directory))
        if seen > MAX_FILES:
            findings.append(Finding("medium", "too-many-files", directory,
                                    f"the model directory holds more than {MAX_FILES} entries; the "
                                    "scan of files stopped there.", "A model this large is unusual."))
            break
    return findings


def _path_findings(root: str, path: str, relative: str) -> list[Finding]:
    if os.path.islink(path):
        target = os.path.realpath(path)
        if os.path.commonpath([root, target]) != root:
            return [Finding("high", "symlink-escape", relative,
                            f"symlink points to {target!r}, outside the model directory.",
                            "Reading through it reads (or writing writes) a host file.")]
        return []
    lower = relative.lower()
    if lower.endswith(_PICKLE_SUFFIXES):
        return [Finding("high", "pickle-file", relative, "a pickle file inside the model directory.",
                        "Unpickling runs arbitrary code; SavedModels need no pickles.")]
    if lower.endswith(_PYTHON_SUFFIXES):
        return [Finding("medium", "python-file", relative, "a Python file inside the model directory.",
                        "Code shipped with a model may be imported or run by tooling.")]
    if os.path.basename(lower) == "keras_metadata.pb" and _has_lambda(path):
        return [Finding("high", "keras-lambda", relative,
                        "keras_metadata.pb describes a Keras Lambda layer.",
                        "Lambda layers hold marshaled Python bytecode that Keras runs on load.")]
    return []


def _has_lambda(path: str) -> bool:
    with open(path, "rb") as handle:
        return _LAMBDA.search(handle.read()) is not None


# -- checkpoint --------------------------------------------------------------------------------


def _checkpoint_findings(directory: str) -> list[Finding]:
    """Every bundle entry read with its checksum verified, and object-graph keys present."""
    prefix = saved_model_file.variables_prefix(directory)
    where = os.path.relpath(prefix, directory)
    if not os.path.isfile(prefix + ".index") or not _inside(directory, os.path.dirname(prefix)):
        return []  # a variables/ symlink leaving the model is reported by the file rule
    try:
        reader = BundleReader(prefix, verify_checksums=True)
    except SavedModelError as error:
        return [Finding("high", "checkpoint-unreadable", where, str(error),
                        "A corrupt checkpoint index may be an attempt to crash the loader.")]
    with reader:
        findings, keys = [], reader.keys()
        for key in keys:
            finding = _entry_finding(reader, key, where)
            if finding is not None:
                findings.append(finding)
        if OBJECT_GRAPH_KEY in keys and not findings:
            findings += _object_graph_findings(reader, set(keys), where)
    return findings


def _entry_finding(reader: BundleReader, key: str, where: str) -> Finding | None:
    try:
        reader.read(key)
    except UnimplementedError:
        return None  # DT_VARIANT and exotic dtypes: not readable here, not a defect
    except ChecksumMismatchError as error:
        return Finding("high", "checkpoint-checksum", f"{where} / {key}", str(error),
                       "The tensor's bytes do not match its CRC: corrupted or tampered with.")
    except SavedModelError as error:
        return Finding("high", "checkpoint-entry", f"{where} / {key}", str(error),
                       "A bad offset, size, shard or layout may be an attempt to crash the loader.")
    return None


def _object_graph_findings(reader: BundleReader, keys: set[str], where: str) -> list[Finding]:
    graph = trackable_object_graph_pb2.TrackableObjectGraph()
    try:
        graph.ParseFromString(bytes(reader.read(OBJECT_GRAPH_KEY).item()))
    except (SavedModelError, ValueError) as error:
        return [Finding("medium", "object-graph-unreadable", f"{where} / {OBJECT_GRAPH_KEY}",
                        str(error), "Restoring needs the object graph.")]
    findings = []
    for node_id, node in enumerate(graph.nodes):
        for attribute in node.attributes:
            key = attribute.checkpoint_key
            if key not in keys and not any(k.startswith(key + "-") for k in keys):  # tables
                findings.append(Finding(
                    "medium", "checkpoint-key-missing", f"{where} / object {node_id}",
                    f"object graph names checkpoint key {key!r}, which the "
                    "bundle does not hold.", "Restoring this object fails or leaves it uninitialized."))
    return findings


# -- fingerprint -------------------------------------------------------------------------------


def _fingerprint_findings(directory: str) -> list[Finding]:
    """fingerprint.pb against a fresh computation: each differing hash is reported."""
    path = os.path.join(directory, saved_model_file.FINGERPRINT_FILENAME)
    index = saved_model_file.variables_prefix(directory) + ".index"
    if not os.path.isfile(path) or not _inside(directory, path) or not _inside(directory, index):
        return []  # symlinks leaving the model are reported by the file rule
    where = saved_model_file.FINGERPRINT_FILENAME
    try:
        saved = fingerprint_format.read_fingerprint(directory)
        fresh = fingerprint_format.compute_fingerprint(directory)
    except SavedModelError as error:
        return [Finding("medium", "fingerprint-unreadable", where, str(error),
                        "The fingerprint cannot vouch for the model's files.")]
    if saved.saved_model_checksum == _raw_checksum(directory):
        fresh.saved_model_checksum = saved.saved_model_checksum  # producer 1 hashed the raw file
    return [Finding("medium", "fingerprint-mismatch", f"{where} / {name}",
                    f"{name} is {getattr(saved, name)} in fingerprint.pb, but the files hash to "
                    f"{getattr(fresh, name)}.",
                    "The model was changed after it was saved (or the fingerprint was forged).")
            for name in _FINGERPRINT_FIELDS if getattr(saved, name) != getattr(fresh, name)]


def _raw_checksum(directory: str) -> int | None:
    """Fingerprint64 of the saved_model.pb bytes, as TF before 2.13 (producer 1) wrote it."""
    path = os.path.join(directory, saved_model_file.SAVED_MODEL_FILENAME_PB)
    if not os.path.isfile(path):
        return None
    with open(path, "rb") as handle:
        return fingerprint_format.fingerprint64(handle.read())
