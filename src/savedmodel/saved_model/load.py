"""``load()``: rebuild a SavedModel's objects (TF2) or wrap its graph's signatures (TF1).

TF2 (one MetaGraph with an object graph): every SavedObject becomes a Python object — user objects
with their children as attributes, variables, functions, constants, assets, resources — variables
are restored from ``variables/`` by matching the checkpoint's object graph from the root, then
resources run their ``_initialize`` functions. Otherwise the TF1 graph is imported (load_v1.py).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

import numpy as np

from savedmodel._proto import saved_object_graph_pb2, trackable_object_graph_pb2
from savedmodel.errors import NotFoundError, UnimplementedError
from savedmodel.format import saved_model_file, tensor_proto
from savedmodel.format.bundle import BundleReader
from savedmodel.graph.function_library import FunctionLibrary
from savedmodel.ops.context import ResourceHandle, VariableState
from savedmodel.runtime.functions import FunctionRuntime
from savedmodel.saved_model import load_v1, loader
from savedmodel.saved_model.functions import ConcreteFunction, RestoredFunction
from savedmodel.saved_model.objects import (
    Asset,
    AutoTrackable,
    CapturedTensor,
    RestoredResource,
    SignatureMap,
    Variable,
)
from savedmodel.saved_model.options import LoadOptions

OBJECT_GRAPH_KEY = "_CHECKPOINTABLE_OBJECT_GRAPH"


def load(export_dir: str | os.PathLike[str], tags: str | Iterable[str] | None = None,
         options: LoadOptions | None = None) -> Any:
    """Loads a SavedModel written by TensorFlow (or by savedmodel) from ``export_dir``.

    Args:
      export_dir: the SavedModel directory.
      tags: the MetaGraph's tag set; optional when the model has one MetaGraph.
      options: LoadOptions (TensorFlow's fields, plus which file ops to allow).

    Returns:
      The root object: attributes for its children, ``.signatures`` for its signatures.

    Raises:
      NotFoundError: no SavedModel there, or no MetaGraph with those tags.
      UnsupportedOpError: the model uses ops savedmodel cannot run (all of them are listed).
    """
    export_dir = os.fspath(export_dir)
    options = options or LoadOptions()
    saved_model = loader.read(export_dir)
    meta_graph = loader.select_meta_graph(saved_model, tags, export_dir)
    if len(saved_model.meta_graphs) == 1 and meta_graph.object_graph_def.nodes:
        return _Loader(export_dir, meta_graph, options).load()
    return load_v1.load_v1(export_dir, meta_graph, options)


class _Loader:
    def __init__(self, export_dir: str, meta_graph: Any, options: LoadOptions) -> None:
        self.export_dir = export_dir
        self.meta_graph = meta_graph
        self.options = options
        self.proto = meta_graph.object_graph_def
        library = FunctionLibrary(meta_graph.graph_def.library)
        self.runtime = FunctionRuntime(library, options=options.runtime_options(export_dir))
        loader.check_functions_supported(library, self.proto.concrete_functions.keys())
        self.objects: list[Any] = [None] * len(self.proto.nodes)
        self.concrete: dict[str, ConcreteFunction] = {}

    def load(self) -> Any:
        order = sorted(range(len(self.proto.nodes)), key=self._rank)
        for node_id in order:
            self.objects[node_id] = self._revive(node_id)
        for node_id, node in enumerate(self.proto.nodes):
            self._attach_children(node_id, node)
        reader, matches = self._checkpoint()
        if reader is not None:
            self._restore_variables(reader, matches)
        for obj in self.objects:
            if isinstance(obj, RestoredResource):
                obj.initialize()
        if reader is not None:
            self._restore_saveables(reader, matches)
        root = self.objects[0]
        if isinstance(root, AutoTrackable):
            root._set_variables([o for o in self.objects if isinstance(o, Variable)])
        return root

    def _rank(self, node_id: int) -> tuple[int, int]:
        kind = self.proto.nodes[node_id].WhichOneof("kind")
        rank = {"variable": 0, "asset": 0, "constant": 0, "resource": 1, "bare_concrete_function": 2,
                "function": 3}.get(kind, 4)
        return (rank, node_id)

    def _revive(self, node_id: int) -> Any:
        node = self.proto.nodes[node_id]
        kind = node.WhichOneof("kind")
        if kind == "user_object":
            identifier = node.user_object.identifier
            if identifier == "signature_map":
                return SignatureMap()
            if identifier == "trackable_list_wrapper":
                return []
            if identifier == "trackable_dict_wrapper":
                return {}
            if identifier == "trackable_tuple_wrapper":
                return []
            return AutoTrackable()
        if kind == "variable":
            return self._variable(node_id, node.variable)
        if kind == "asset":
            asset_def = self.meta_graph.asset_file_def[node.asset.asset_file_def_index]
            return Asset(loader.asset_path(self.export_dir, asset_def.filename))
        if kind == "constant":
            return self._constant(node.constant.operation)
        if kind == "resource":
            return RestoredResource(self._resource_functions(node))
        if kind == "bare_concrete_function":
            bare = node.bare_concrete_function
            return self._concrete(bare.concrete_function_name, bare.argument_keywords,
                                  bare.allowed_positional_arguments)
        if kind == "function":
            names = list(node.function.concrete_functions)
            return RestoredFunction(names[0] if names else "", [self._concrete(n) for n in names])
        if kind == "captured_tensor":
            return CapturedTensor(node.captured_tensor.name, node.captured_tensor.concrete_function)
        return AutoTrackable()

    def _variable(self, node_id: int, proto: saved_object_graph_pb2.SavedVariable) -> Variable:
        shape = tensor_proto.shape_from_proto(proto.shape)
        handle = ResourceHandle("", f"{proto.name or 'Variable'}_{node_id}", "variable", proto.dtype, shape)
        self.runtime.resources.create(handle, VariableState(proto.dtype, shape, None, proto.name))
        return Variable(handle, self.runtime.resources, proto.name, proto.trainable)

    def _constant(self, operation: str) -> np.ndarray:
        for node in self.meta_graph.graph_def.node:
            if node.name == operation:
                return tensor_proto.to_ndarray(node.attr["value"].tensor, where=f"constant {operation!r}")
        raise NotFoundError(f"{self.export_dir}: constant object names node {operation!r}, which is "
                            "not in the graph.")

    def _resource_functions(self, node: Any) -> dict[str, Any]:
        functions = {}
        for child in node.children:
            if child.local_name in ("_create_resource", "_initialize", "_destroy_resource"):
                functions[child.local_name] = child.node_id
        return {name: (lambda node_id=node_id: self.objects[node_id]) for name, node_id in functions.items()}

    def _concrete(self, name: str, keywords: Iterable[str] = (), positional: int = 0) -> ConcreteFunction:
        if name in self.concrete and not keywords:
            return self.concrete[name]
        proto = self.proto.concrete_functions.get(name)
        if proto is None:
            raise NotFoundError(f"{self.export_dir}: concrete function {name!r} is not in the object "
                                "graph's concrete_functions.")
        bound = list(proto.bound_inputs)
        function = ConcreteFunction(name, proto, self.runtime, lambda: [self._capture(i) for i in bound],
                                    list(keywords), positional)
        if not keywords:
            self.concrete[name] = function
        return function

    def _capture(self, node_id: int) -> Any:
        obj = self.objects[node_id]
        if isinstance(obj, Variable):
            return obj.handle
        if isinstance(obj, RestoredResource):
            return obj.resource_handle
        if isinstance(obj, Asset):
            return np.asarray(obj.asset_path.encode(), dtype=object)
        if isinstance(obj, CapturedTensor):
            raise UnimplementedError(
                f"{self.export_dir}: a function captures tensor {obj.name!r} of "
                f"{obj.concrete_function!r}; such captures (gradient functions) cannot run yet.")
        return obj

    def _attach_children(self, node_id: int, node: Any) -> None:
        parent = self.objects[node_id]
        for child in node.children:
            value = self.objects[child.node_id]
            if isinstance(parent, list):
                parent.append(value)
            elif isinstance(parent, dict):
                parent[child.local_name] = value
            elif isinstance(parent, SignatureMap):
                parent._add(child.local_name, value)
            else:
                try:
                    setattr(parent, child.local_name, value)
                except (AttributeError, TypeError):
                    pass

    def _checkpoint(self) -> tuple[BundleReader | None, list[tuple[int, int, Any]]]:
        """The variables bundle and (saved node, checkpoint node) pairs, when there is one."""
        prefix = saved_model_file.variables_prefix(self.export_dir)
        if self.options.experimental_skip_checkpoint or not os.path.exists(prefix + ".index"):
            return None, []
        reader = BundleReader(prefix)
        if OBJECT_GRAPH_KEY not in reader:
            return reader, []
        graph = trackable_object_graph_pb2.TrackableObjectGraph.FromString(
            bytes(reader.read(OBJECT_GRAPH_KEY).item()))
        return reader, [(s, c, graph.nodes[c]) for s, c in _match_nodes(self.proto, graph)]

    def _restore_variables(self, reader: BundleReader, matches: list[tuple[int, int, Any]]) -> None:
        for saved_id, _, ckpt_node in matches:
            obj = self.objects[saved_id]
            if not isinstance(obj, Variable):
                continue
            for attribute in ckpt_node.attributes:
                if attribute.name == "VARIABLE_VALUE":
                    obj._restore(reader.read(attribute.checkpoint_key))

    def _restore_saveables(self, reader: BundleReader, matches: list[tuple[int, int, Any]]) -> None:
        """Objects that save through functions (e.g. MutableHashTable) get their tensors back."""
        for saved_id, _, ckpt_node in matches:
            saveables = self.proto.nodes[saved_id].saveable_objects
            for attribute in ckpt_node.attributes:
                saveable = saveables.get(attribute.name)
                if saveable is None:
                    continue
                key = attribute.checkpoint_key
                # One tensor under the key itself, or several as "<key>-<suffix>" in spec order.
                keys = [key] if key in reader else sorted(
                    k for k in reader.keys() if k.startswith(key + "-"))
                self.objects[saveable.restore_function](*[reader.read(k) for k in keys])

def _match_nodes(saved: Any, ckpt: Any) -> list[tuple[int, int]]:
    """Pairs (saved node, checkpoint node) found by walking children names from both roots."""
    pairs, seen, queue = [], {0}, [(0, 0)]
    while queue:
        saved_id, ckpt_id = queue.pop(0)
        pairs.append((saved_id, ckpt_id))
        ckpt_children = {c.local_name: c.node_id for c in ckpt.nodes[ckpt_id].children}
        for child in saved.nodes[saved_id].children:
            target = ckpt_children.get(child.local_name)
            if target is not None and child.node_id not in seen and target < len(ckpt.nodes):
                seen.add(child.node_id)
                queue.append((child.node_id, target))
    return pairs
