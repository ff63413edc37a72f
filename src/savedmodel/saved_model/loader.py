"""Shared loading seams: read saved_model.pb, pick the MetaGraph by tags, resolve asset paths safely."""

from __future__ import annotations

import os
from collections.abc import Iterable

from savedmodel._proto import meta_graph_pb2, saved_model_pb2
from savedmodel.errors import InvalidArgumentError, NotFoundError, PermissionDeniedError
from savedmodel.format import saved_model_file
from savedmodel.graph.function_library import FunctionLibrary
from savedmodel.ops import registry


def normalize_tags(tags: str | Iterable[str] | None) -> set[str] | None:
    if tags is None:
        return None
    if isinstance(tags, str):
        return {t.strip() for t in tags.split(",") if t.strip()}
    return set(tags)


def select_meta_graph(saved_model: saved_model_pb2.SavedModel, tags: str | Iterable[str] | None,
                      export_dir: str) -> meta_graph_pb2.MetaGraphDef:
    """The MetaGraph whose tag set equals ``tags``; the only one when ``tags`` is None."""
    wanted = normalize_tags(tags)
    graphs = list(saved_model.meta_graphs)
    if not graphs:
        raise InvalidArgumentError(f"{export_dir}: saved_model.pb holds no MetaGraphDef.")
    available = [sorted(mg.meta_info_def.tags) for mg in graphs]
    if wanted is None:
        if len(graphs) == 1:
            return graphs[0]
        serving = [mg for mg in graphs if set(mg.meta_info_def.tags) == {"serve"}]
        if serving:
            return serving[0]
        raise InvalidArgumentError(
            f"{export_dir}: the SavedModel has {len(graphs)} MetaGraphs; pass tags= to choose one of "
            f"the available tag sets: {available}.")
    for mg in graphs:
        if set(mg.meta_info_def.tags) == wanted:
            return mg
    raise NotFoundError(
        f"MetaGraphDef associated with tags {sorted(wanted)} could not be found in SavedModel "
        f"{export_dir!r}, with available tags '{available}'.")


def read(export_dir: str | os.PathLike[str]) -> saved_model_pb2.SavedModel:
    return saved_model_file.read_saved_model(export_dir)


def asset_path(export_dir: str, filename: str) -> str:
    """``<export_dir>/assets/<filename>``, refusing names that escape the assets directory."""
    assets = os.path.realpath(os.path.join(export_dir, "assets"))
    if not filename or "\x00" in filename or os.path.isabs(filename):
        raise PermissionDeniedError(f"{export_dir}: asset filename {filename!r} is not a plain "
                                    "relative name inside assets/; refusing to resolve it.")
    path = os.path.realpath(os.path.join(assets, filename))
    if os.path.commonpath([assets, path]) != assets:
        raise PermissionDeniedError(
            f"{export_dir}: asset filename {filename!r} resolves to {path!r}, outside the model's "
            "assets/ directory; refusing to resolve it.")
    return path


def check_functions_supported(library: FunctionLibrary, roots: Iterable[str]) -> None:
    """Raises UnsupportedOpError listing every op without a kernel in functions reachable from roots."""
    uses: dict[str, list[str]] = {}
    seen: set[str] = set()
    stack = [r for r in roots if r in library]
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        function = library[name]
        for node in function.body.nodes.values():
            if node.op not in library and registry.lookup(node.op) is None or (
                    registry.lookup(node.op) is not None and registry.lookup(node.op).kernel is None):
                uses.setdefault(node.op, []).append(f"{name}/{node.name}")
        stack.extend(library.callees(function) - seen)
    registry.check_supported(uses)
