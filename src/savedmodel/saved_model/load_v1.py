"""Loading a TF1 SavedModel (flat graph, no object graph): restore, init op, signatures, prune.

Mirrors TensorFlow's "Importing SavedModels from TensorFlow 1.x": variables are restored by running
the SaverDef's restore op with ``variables/variables`` fed (and asset paths fed), then the init op
(``__saved_model_init_op`` signature, else ``saved_model_main_op``, else ``legacy_init_op``) runs.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from typing import Any

from savedmodel._proto import meta_graph_pb2
from savedmodel.errors import InvalidArgumentError, UnimplementedError
from savedmodel.format import dtypes, saved_model_file
from savedmodel.graph.function_library import FunctionLibrary
from savedmodel.graph.graph import Graph
from savedmodel.graph.refs import TensorRef
from savedmodel.ops.context import ResourceHandle, VariableState
from savedmodel.runtime.executor import execute
from savedmodel.runtime.functions import FunctionRuntime
from savedmodel.runtime.plan import ExecutionPlan, PlanEnv, compile_plan
from savedmodel.saved_model import loader
from savedmodel.saved_model.functions import convert_input, wrap_output
from savedmodel.saved_model.objects import SignatureMap, Variable
from savedmodel.saved_model.options import LoadOptions
from savedmodel.tracing.tensor_spec import TensorSpec

INIT_OP_SIGNATURE_KEY = "__saved_model_init_op"
TRAIN_OP_SIGNATURE_KEY = "__saved_model_train_op"
ASSET_TYPE_URL = "type.googleapis.com/tensorflow.AssetFileDef"


def tensor_ref(name: str) -> TensorRef:
    """A graph tensor name (``x:0``, or ``x`` meaning output 0) as a TensorRef."""
    ref = TensorRef.from_string(name)
    if ref.output_arg or ref.is_control:
        raise InvalidArgumentError(f"{name!r} is not a graph tensor name like 'x:0'.")
    return ref


def asset_feeds(export_dir: str, meta_graph: meta_graph_pb2.MetaGraphDef) -> dict[str, str]:
    """Asset tensor name -> path inside ``assets/`` (asset_file_def first, then the collection)."""
    defs = list(meta_graph.asset_file_def)
    if not defs and "saved_model_assets" in meta_graph.collection_def:
        for item in meta_graph.collection_def["saved_model_assets"].any_list.value:
            if item.type_url != ASSET_TYPE_URL:
                raise InvalidArgumentError(f"{export_dir}: saved_model_assets holds {item.type_url!r}, "
                                           f"expected {ASSET_TYPE_URL!r}.")
            defs.append(meta_graph_pb2.AssetFileDef.FromString(item.value))
    return {d.tensor_info.name: loader.asset_path(export_dir, d.filename) for d in defs}


def init_op_name(meta_graph: meta_graph_pb2.MetaGraphDef) -> str | None:
    """The init op, in TensorFlow's order of precedence."""
    signature = meta_graph.signature_def.get(INIT_OP_SIGNATURE_KEY)
    if signature is not None and INIT_OP_SIGNATURE_KEY in signature.outputs:
        return signature.outputs[INIT_OP_SIGNATURE_KEY].name
    for key in ("saved_model_main_op", "legacy_init_op"):
        if key in meta_graph.collection_def:
            nodes = meta_graph.collection_def[key].node_list.value
            if len(nodes) != 1:
                raise InvalidArgumentError(f"Collection {key!r} must hold exactly one op, has {len(nodes)}.")
            return nodes[0]
    return None


class LoadedV1:
    """A TF1 model loaded as in ``tf.saved_model.load``: ``signatures``, ``prune``, ``variables``."""

    def __init__(self, export_dir: str, meta_graph: meta_graph_pb2.MetaGraphDef,
                 options: LoadOptions) -> None:
        self.export_dir = export_dir
        self.meta_graph = meta_graph
        self.graph = Graph.from_graph_def(meta_graph.graph_def)
        self._runtime = FunctionRuntime(FunctionLibrary(meta_graph.graph_def.library),
                                        options=options.runtime_options(export_dir))
        self._assets = asset_feeds(export_dir, meta_graph)
        self.signatures = SignatureMap()
        for key, signature in sorted(meta_graph.signature_def.items()):
            if key not in (INIT_OP_SIGNATURE_KEY, TRAIN_OP_SIGNATURE_KEY):
                self.signatures._add(key, SignatureFunction(self, key, signature))

    @property
    def env(self) -> PlanEnv:
        return self._runtime.env

    def compile(self, feeds: Sequence[TensorRef], fetches: Sequence[TensorRef],
                targets: Sequence[str] = (), env: PlanEnv | None = None) -> ExecutionPlan:
        return compile_plan(self.graph, env or self.env, feeds=list(feeds), fetches=list(fetches),
                            targets=list(targets), where=f"{self.export_dir}: graph")

    def run(self, feeds: dict[str, Any], fetches: Sequence[str], targets: Sequence[str] = (),
            env: PlanEnv | None = None) -> list[Any]:
        refs = [tensor_ref(n) for n in feeds]
        plan = self.compile(refs, [tensor_ref(f) for f in fetches], targets, env)
        return execute(plan, list(feeds.values()))

    def _asset_values(self) -> dict[str, Any]:
        import numpy as np

        return {name: np.asarray(path.encode(), dtype=object) for name, path in self._assets.items()}

    def restore(self, save_path: str) -> None:
        """Runs the saver's restore op with ``save_path`` as the checkpoint prefix."""
        import numpy as np

        saver = self.meta_graph.saver_def
        if not saver.restore_op_name:
            raise InvalidArgumentError(f"{self.export_dir}: the MetaGraph has no saver_def to restore with.")
        options = dataclasses.replace(
            self.env.options, allowed_ops=self.env.options.allowed_ops | {"RestoreV2"},
            allowed_paths=self.env.options.allowed_paths + (os.path.dirname(os.path.abspath(save_path)),))
        env = dataclasses.replace(self.env, options=options)
        feeds = {saver.filename_tensor_name: np.asarray(save_path.encode(), dtype=object)}
        feeds.update(self._asset_values())
        self.run(feeds, [], [saver.restore_op_name.split(":")[0]], env)

    def initialize(self) -> None:
        prefix = saved_model_file.variables_prefix(self.export_dir)
        if self.meta_graph.saver_def.restore_op_name and os.path.exists(prefix + ".index"):
            self.restore(prefix)
        init = init_op_name(self.meta_graph)
        if init:
            self.run(self._asset_values(), [], [init.split(":")[0].lstrip("^")])

    @property
    def variables(self) -> list[Variable]:
        found = []
        for _key, state in self._runtime.resources.items():
            if isinstance(state, VariableState):
                handle = ResourceHandle("", state.name, "variable", state.dtype, state.shape)
                found.append(Variable(handle, self._runtime.resources, state.name))
        return found

    def prune(self, feeds: Sequence[str] | str, fetches: Any) -> Any:
        """A function computing ``fetches`` (names, nested) from ``feeds`` (names) given positionally."""
        feed_names = [feeds] if isinstance(feeds, str) else list(feeds)
        return PrunedFunction(self, feed_names, fetches)


def _spec_of(info: meta_graph_pb2.TensorInfo) -> TensorSpec:
    from savedmodel.format import tensor_proto

    shape = tensor_proto.shape_from_proto(info.tensor_shape) if info.HasField("tensor_shape") else None
    return TensorSpec(shape, dtypes.as_dtype(info.dtype or 1))


class SignatureFunction:
    """A TF1 signature: keyword inputs by signature input key, a dict of outputs by output key."""

    def __init__(self, model: LoadedV1, key: str, signature: meta_graph_pb2.SignatureDef) -> None:
        self.key = key
        self.method_name = signature.method_name
        self.unsupported = sorted(
            name for side in (signature.inputs, signature.outputs) for name, info in side.items()
            if info.WhichOneof("encoding") != "name")
        self.inputs = {k: (v.name, _spec_of(v)) for k, v in sorted(signature.inputs.items())
                       if k not in self.unsupported}
        self.outputs = {k: v.name for k, v in sorted(signature.outputs.items())
                        if k not in self.unsupported}
        self._model = model
        self._plan: ExecutionPlan | None = None

    @property
    def structured_input_signature(self) -> tuple[tuple, dict]:
        return (), {k: TensorSpec(s.shape, s.dtype, k) for k, (_, s) in self.inputs.items()}

    def __call__(self, **kwargs: Any) -> dict[str, Any]:
        if self.unsupported:
            raise UnimplementedError(f"Signature {self.key!r}: {self.unsupported} are sparse or "
                                     "composite tensors, which savedmodel does not support yet.")
        missing = sorted(set(self.inputs) - set(kwargs))
        unknown = sorted(set(kwargs) - set(self.inputs))
        if missing or unknown:
            raise TypeError(f"Signature {self.key!r}: missing inputs {missing}, unexpected {unknown}; "
                            f"expected {sorted(self.inputs)}.")
        if self._plan is None:
            self._plan = self._model.compile([tensor_ref(n) for n, _ in self.inputs.values()],
                                             [tensor_ref(n) for n in self.outputs.values()])
        # TF1 signatures are fed like Session.run: dtype converted, shapes left to the graph.
        values = [convert_input(kwargs[k], TensorSpec(None, spec.dtype),
                                f"signature {self.key!r} input {k!r}")
                  for k, (_, spec) in self.inputs.items()]
        outputs = execute(self._plan, values)
        return {k: wrap_output(v) for k, v in zip(self.outputs, outputs)}


class PrunedFunction:
    """``loaded.prune(feeds, fetches)``: runs the pruned graph on positional feed values."""

    def __init__(self, model: LoadedV1, feeds: list[str], fetches: Any) -> None:
        from savedmodel.saved_model import nested

        self._nested = nested
        self._fetches = fetches
        flat = nested.flatten(fetches)
        self._plan = model.compile([tensor_ref(f) for f in feeds], [tensor_ref(f) for f in flat])

    def __call__(self, *values: Any) -> Any:
        import numpy as np

        from savedmodel.tracing.tensor import value_of

        outputs = execute(self._plan, [np.asarray(value_of(v)) for v in values])
        return self._nested.pack_as(self._fetches, [wrap_output(o) for o in outputs],
                                    lambda x: isinstance(x, str))


def load_v1(export_dir: str, meta_graph: meta_graph_pb2.MetaGraphDef, options: LoadOptions) -> LoadedV1:
    model = LoadedV1(export_dir, meta_graph, options)
    if not options.experimental_skip_checkpoint:
        model.initialize()
    for function in model.signatures.values():
        if function.unsupported:
            continue
        function._plan = model.compile([tensor_ref(n) for n, _ in function.inputs.values()],
                                       [tensor_ref(n) for n in function.outputs.values()])
    return model
