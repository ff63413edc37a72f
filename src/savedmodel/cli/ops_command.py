"""``savedmodel ops``: the ops savedmodel can run, and whether a given SavedModel needs others.

``savedmodel ops`` lists every op with a kernel, one per line, with the types its type attributes
allow (REGISTER_OP spelling: ``half``, ``float``, ``double``, ...; ``any`` when unconstrained).
``savedmodel ops --dir MODEL`` scans each MetaGraph (or the one ``--tag_set`` names): the nodes of
its graph and of every function in its library, and reports the supported ops and, for each
unsupported one, the nodes using it (``node`` in the graph, ``function/node`` in a function, the
same paths ``load()`` names when it refuses the model). Unsupported ops used only by the code that
writes checkpoints (TF2's ``__inference__traced_save_*`` functions, TF1 saver scopes such as
``save/`` and ``save_1/``), which loading and running never execute, are listed apart. Exit code
1 when some other op is unsupported.
Both forms take ``--json``. No TensorFlow saved_model_cli equivalent.

May import ``savedmodel.ops`` and ``savedmodel.cli.inspect``.
"""

from __future__ import annotations

import argparse
import json
import re
from dataclasses import dataclass, field
from typing import Any

from savedmodel.cli import inspect
from savedmodel.ops import registry

EXIT_UNSUPPORTED = 1

# DType names that REGISTER_OP spells differently.
_OP_DEF_TYPE_NAMES = {"float16": "half", "float32": "float", "float64": "double"}


def add_parser(commands: Any) -> None:
    """Adds the ``ops`` subcommand to ``savedmodel``'s subparsers."""
    ops = commands.add_parser("ops", help="list the supported ops, or check a SavedModel's ops",
                              description="List the ops savedmodel supports (with the types of "
                                          "their type attributes), or with --dir report which ops "
                                          "of a SavedModel are supported and where the others are "
                                          "used. Exit code 1 when some are not supported.")
    ops.add_argument("--dir", help="a SavedModel directory to check")
    ops.add_argument("--tag_set", help="comma-separated tags of the MetaGraphDef to check "
                                       "(default: every MetaGraph)")
    ops.add_argument("--json", action="store_true", help="print the same information as JSON")
    ops.set_defaults(func=ops_command, command_parser=ops)


def ops_command(args: argparse.Namespace) -> str | tuple[str, int]:
    """The text of ``savedmodel ops`` (and exit code 1 when a model uses unsupported ops)."""
    if args.dir is None:
        if args.tag_set is not None:
            args.command_parser.error("--tag_set needs --dir.")
        found = supported_op_types()
        return _json({"ops": found}) if args.json else render_supported(found)
    reports = check_model(args.dir, args.tag_set)
    text = (_json({"meta_graphs": [r.to_json() for r in reports]}) if args.json
            else "".join(render_report(r) for r in reports))
    return text, EXIT_UNSUPPORTED if any(r.unsupported for r in reports) else 0


_TRACED_SAVE_PREFIX = "__inference__traced_save_"
_SAVER_SCOPE = re.compile(r"save(_\d+)?/")


# --- the supported ops ---------------------------------------------------------------------------


def type_name(dtype: Any) -> str:
    """A dtype as REGISTER_OP writes it (``float32`` -> ``float``)."""
    return _OP_DEF_TYPE_NAMES.get(dtype.name, dtype.name)


def supported_op_types() -> dict[str, dict[str, list[str] | None]]:
    """Op name -> {type attr -> allowed type names, or None when any type}, for ops with kernels."""
    found = {}
    for name in registry.supported_ops():
        op_def = registry.REGISTRY[name].op_def
        found[name] = {attr.name: [type_name(t) for t in attr.allowed] or None
                       for attr in op_def.attrs if attr.kind in ("type", "list(type)")}
    return found


def render_supported(found: dict[str, dict[str, list[str] | None]]) -> str:
    """One line per op: ``AddV2  T: {half, bfloat16, float, ...}``."""
    width = max((len(name) for name in found), default=0)
    lines = []
    for name, attrs in found.items():
        constraints = "  ".join(f"{attr}: " + ("{" + ", ".join(types) + "}" if types else "any")
                                for attr, types in attrs.items())
        lines.append(f"{name:<{width}}  {constraints}".rstrip())
    return "".join(line + "\n" for line in lines)


# --- checking a model ----------------------------------------------------------------------------


@dataclass
class OpsReport:
    """The ops one MetaGraph uses: supported ones; unsupported ones with the nodes using them."""

    tags: list[str]
    supported: list[str] = field(default_factory=list)
    unsupported: dict[str, list[str]] = field(default_factory=dict)
    save_only: dict[str, list[str]] = field(default_factory=dict)  # unsupported, checkpoint writing

    def to_json(self) -> dict[str, Any]:
        return {"tags": self.tags, "supported": self.supported, "unsupported": self.unsupported,
                "unsupported_save_only": self.save_only}


def check_model(export_dir: str, tag_set: str | None = None) -> list[OpsReport]:
    """One OpsReport per MetaGraph of the SavedModel (only the one ``tag_set`` selects, if any)."""
    saved_model = inspect.read_saved_model(export_dir)
    if tag_set is not None:
        graphs = [inspect.meta_graph(saved_model, inspect.parse_tag_set(tag_set))]
    else:
        graphs = list(saved_model.meta_graphs)
    return [check_graph_def(list(mg.meta_info_def.tags), mg.graph_def,
                            saver_scope(mg.saver_def.save_tensor_name)) for mg in graphs]


def saver_scope(save_tensor_name: str) -> str | None:
    """The TF1 saver's name scope (``save/`` for ``save/control_dependency:0``), or None."""
    return save_tensor_name.rsplit("/", 1)[0] + "/" if "/" in save_tensor_name else None


def is_save_path(path: str, scope: str | None) -> bool:
    """Whether a node path lies in code that only writes checkpoints: a TF2 ``_traced_save``
    function, the MetaGraph's saver scope, or another TF1 Saver's default scope (``save_1/``: a
    graph can hold several Savers)."""
    return (path.startswith(_TRACED_SAVE_PREFIX) or bool(_SAVER_SCOPE.match(path))
            or (scope is not None and path.startswith(scope)))


def op_uses(graph_def: Any) -> dict[str, list[str]]:
    """Op name -> node paths (``node``, ``function/node``) in the graph and every library function.

    A node whose op is a library function's name is a call, not an op, and is left out.
    """
    functions = {f.signature.name for f in graph_def.library.function}
    uses: dict[str, list[str]] = {}
    nodes = [("", node) for node in graph_def.node]
    nodes += [(f.signature.name + "/", node) for f in graph_def.library.function
              for node in f.node_def]
    for prefix, node in nodes:
        if node.op not in functions:
            uses.setdefault(node.op, []).append(prefix + node.name)
    return uses


def check_graph_def(tags: list[str], graph_def: Any, scope: str | None = None) -> OpsReport:
    """Splits the ops a GraphDef uses into supported and unsupported (with their nodes)."""
    report = OpsReport(tags)
    for op, paths in sorted(op_uses(graph_def).items()):
        registered = registry.lookup(op)
        if registered is not None and registered.kernel is not None:
            report.supported.append(op)
        elif all(is_save_path(p, scope) for p in paths):
            report.save_only[op] = sorted(paths)
        else:
            report.unsupported[op] = sorted(paths)
    return report


def render_report(report: OpsReport) -> str:
    """The text for one MetaGraph: counts, the supported ops, each unsupported op and its nodes."""
    total = len(report.supported) + len(report.unsupported) + len(report.save_only)
    lines = [f"The MetaGraph with tag set {report.tags!r} uses {total} ops: "
             f"{len(report.supported)} supported, {len(report.unsupported)} not supported"
             + (f", {len(report.save_only)} only to write checkpoints." if report.save_only
                else ".")]
    lines.append("Supported: " + (", ".join(report.supported) or "none"))
    if report.save_only:
        lines.append("Only used to write checkpoints (never run by load or run): "
                     + ", ".join(report.save_only))
    if report.unsupported:
        lines.append("Not supported:")
        for op, paths in report.unsupported.items():
            hint = registry.suggest(op)
            lines.append(f"  {op}: used by {', '.join(repr(p) for p in paths)}"
                         + (f" (did you mean {', '.join(hint)}?)" if hint else ""))
    return "".join(line + "\n" for line in lines)


def _json(data: Any) -> str:
    return json.dumps(data, indent=2) + "\n"
