"""Queries behind ``savedmodel show``: they read a SavedModel and return data, never print.

Each function answers one question ``saved_model_cli show`` answers (tag sets, a meta graph by tag
set, signature defs, the ops a graph uses, the functions saved on the root object) or one it cannot
(every checkpoint tensor with its size). ``cli/render.py`` turns the results into saved_model_cli's
text. Facts mirrored from TensorFlow 2.21: ``tensorflow/python/tools/saved_model_cli.py``,
``saved_model_utils.py``, ``framework/meta_graph.py`` (``ops_used_by_graph_def``) and
``saved_model/nested_structure_coder.py`` (how ``StructuredValue`` decodes to Python values).

May import ``savedmodel.format``, ``savedmodel._proto`` and ``savedmodel.errors``.
"""

from __future__ import annotations

import collections
import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from savedmodel._proto import graph_pb2, meta_graph_pb2, saved_model_pb2, struct_pb2, types_pb2
from savedmodel.errors import FormatError, NotFoundError, SavedModelError
from savedmodel.format import dtypes
from savedmodel.format.bundle import BundleReader
from savedmodel.format.saved_model_file import read_saved_model, variables_prefix

__all__ = [
    "ConcreteFunctionInfo", "DTypeValue", "FunctionInfo", "FunctionListing", "MetaGraphInfo",
    "OpaqueValue", "ShapeValue", "SignatureInfo", "TensorInfo", "TensorSpecValue", "TypeSpecValue",
    "VariableInfo", "decode_structure", "dtype_enum_name", "format_tag_set", "meta_graph",
    "meta_graph_info", "meta_graphs", "ops_used", "parse_tag_set", "read_saved_model",
    "saved_functions", "signature", "signatures", "tag_sets", "tensor_info", "variables",
]

# Graph nodes whose ``f`` attribute names the called function (meta_graph.ops_used_by_graph_def).
_CALL_OPS = ("PartitionedCall", "StatefulPartitionedCall")


# --- Values decoded from the SavedModel --------------------------------------------------------


@dataclass(frozen=True)
class TensorInfo:
    """A SignatureDef input or output; ``shape`` None for unknown rank, -1 per unknown dim."""

    name: str
    dtype: str
    shape: tuple[int, ...] | None


@dataclass(frozen=True)
class SignatureInfo:
    """A SignatureDef with its inputs and outputs sorted by key."""

    key: str
    inputs: dict[str, TensorInfo]
    outputs: dict[str, TensorInfo]
    method_name: str


@dataclass(frozen=True)
class MetaGraphInfo:
    """What ``show --all`` prints for one MetaGraphDef; ``tags`` keep their stored order."""

    tags: tuple[str, ...]
    signatures: tuple[SignatureInfo, ...]
    ops: tuple[str, ...]


@dataclass(frozen=True)
class ConcreteFunctionInfo:
    """One traced function: its library name and the arguments it is callable with.

    ``args``/``kwargs`` are the decoded ``canonicalized_input_signature`` (None when the object
    graph has none); ``arg_keywords`` are a bare concrete function's ``argument_keywords``.
    """

    name: str
    args: tuple[Any, ...] | None
    kwargs: dict[str, Any] | None
    arg_keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class FunctionInfo:
    """A function saved as an attribute of the root object, with its concrete functions."""

    name: str
    concrete_functions: tuple[ConcreteFunctionInfo, ...]


@dataclass(frozen=True)
class FunctionListing:
    """The "Concrete Functions" part of ``show --all``; ``error`` is set when TF would print N/A."""

    functions: tuple[FunctionInfo, ...]
    error: str | None = None


@dataclass(frozen=True)
class VariableInfo:
    """One checkpoint tensor: its key, DataType name, shape and size in the data file."""

    key: str
    dtype: str
    shape: tuple[int, ...]
    nbytes: int


# Python stand-ins for what TF's nested_structure_coder builds; their str/repr are TF's.


@dataclass(frozen=True)
class ShapeValue:
    """A ``tf.TensorShape``: ``dims`` None for unknown rank, None per unknown dimension."""

    dims: tuple[int | None, ...] | None

    def __iter__(self):
        return iter(self.dims or ())

    def __str__(self) -> str:
        if self.dims is None:
            return "<unknown>"
        if len(self.dims) == 1:
            return f"({self.dims[0]},)"
        return "(" + ", ".join(str(d) for d in self.dims) + ")"

    def __repr__(self) -> str:
        return "TensorShape(None)" if self.dims is None else f"TensorShape({list(self.dims)})"


@dataclass(frozen=True)
class DTypeValue:
    """A ``tf.DType`` by name."""

    name: str

    def __str__(self) -> str:
        return f"<dtype: {self.name!r}>"

    def __repr__(self) -> str:
        return f"tf.{self.name}"


@dataclass(frozen=True)
class TensorSpecValue:
    """A ``tf.TensorSpec``; ``name`` is None when the proto's name is empty, as in TF."""

    shape: ShapeValue
    dtype: DTypeValue
    name: str | None

    def __repr__(self) -> str:
        return f"TensorSpec(shape={self.shape}, dtype={self.dtype!r}, name={self.name!r})"

    __str__ = __repr__


@dataclass(frozen=True)
class TypeSpecValue:
    """A composite ``tf.TypeSpec``: class name and serialized state (``TypeSpec._serialize``)."""

    class_name: str
    state: Any

    def __repr__(self) -> str:
        state = self.state
        if self.class_name == "VariableSpec" and isinstance(state, tuple) and len(state) == 4:
            shape, dtype, trainable, alias_id = state
            return (f"VariableSpec(shape={shape}, dtype={dtype!r}, trainable={trainable!r}, "
                    f"alias_id={alias_id!r})")
        return f"{self.class_name}{self.state!r}"

    __str__ = __repr__


@dataclass(frozen=True)
class OpaqueValue:
    """A value whose Python form needs layers that do not exist yet (TypeSpecs, tensors)."""

    type_name: str
    detail: str

    def __repr__(self) -> str:
        return f"<{self.type_name}: {self.detail}>"

    __str__ = __repr__


# --- Meta graphs and signatures ---------------------------------------------------------------


def tag_sets(saved_model: saved_model_pb2.SavedModel) -> list[tuple[str, ...]]:
    """Every meta graph's tags, in stored order (saved_model_utils.get_saved_model_tag_sets)."""
    return [tuple(mg.meta_info_def.tags) for mg in saved_model.meta_graphs]


def parse_tag_set(text: str) -> frozenset[str]:
    """``--tag_set`` text as a set of tags; blanks dropped, so ``""`` is the empty tag set.

    >>> sorted(parse_tag_set("serve, gpu,"))
    ['gpu', 'serve']
    """
    return frozenset(tag.strip() for tag in text.split(",") if tag.strip())


def format_tag_set(tags: Iterable[str]) -> str:
    """A tag set as saved_model_cli lists it: sorted, joined by ``", "``.

    >>> format_tag_set(["serve", "gpu"])
    'gpu, serve'
    """
    return ", ".join(sorted(tags))


def meta_graph(saved_model: saved_model_pb2.SavedModel,
               tags: Iterable[str]) -> meta_graph_pb2.MetaGraphDef:
    """The MetaGraphDef whose tag set equals ``tags``.

    Raises:
        NotFoundError: no meta graph has exactly these tags; the message lists those that exist.
    """
    wanted = frozenset(tags)
    for mg in saved_model.meta_graphs:
        if frozenset(mg.meta_info_def.tags) == wanted:
            return mg
    available = ", ".join(repr(format_tag_set(t)) for t in sorted(tag_sets(saved_model)))
    raise NotFoundError(f"MetaGraphDef associated with tag-set {format_tag_set(wanted)!r} could "
                        f"not be found in the SavedModel. Available tag-sets: {available}. Pass "
                        "one of them, comma-separated, to --tag_set.")


def tensor_info(proto: meta_graph_pb2.TensorInfo) -> TensorInfo:
    """A TensorInfo proto as data; composite tensors keep TF's empty name."""
    shape = proto.tensor_shape
    dims = None if shape.unknown_rank else tuple(d.size for d in shape.dim)
    return TensorInfo(name=proto.name, dtype=dtype_enum_name(proto.dtype), shape=dims)


def dtype_enum_name(enum: int) -> str:
    """``1`` -> ``"DT_FLOAT"``, ``101`` -> ``"DT_FLOAT_REF"``: the names saved_model_cli prints."""
    try:
        return types_pb2.DataType.Name(enum)
    except ValueError:
        return f"DT_UNKNOWN_{enum}"


def signature(mg: meta_graph_pb2.MetaGraphDef, key: str) -> SignatureInfo:
    """The SignatureDef ``key`` of a meta graph.

    Raises:
        NotFoundError: there is no such key; the message lists the keys that exist.
    """
    if key not in mg.signature_def:
        keys = ", ".join(sorted(mg.signature_def))
        tags = format_tag_set(mg.meta_info_def.tags)
        raise NotFoundError(f'Could not find signature "{key}" in the MetaGraphDef with tag-set '
                            f"{tags!r}. Please choose from: {keys}.")
    proto = mg.signature_def[key]
    return SignatureInfo(
        key=key,
        inputs={k: tensor_info(proto.inputs[k]) for k in sorted(proto.inputs)},
        outputs={k: tensor_info(proto.outputs[k]) for k in sorted(proto.outputs)},
        method_name=proto.method_name,
    )


def signatures(mg: meta_graph_pb2.MetaGraphDef) -> tuple[SignatureInfo, ...]:
    """Every SignatureDef of a meta graph, sorted by key."""
    return tuple(signature(mg, key) for key in sorted(mg.signature_def))


def ops_used(graph_def: graph_pb2.GraphDef) -> tuple[str, ...]:
    """The op types a GraphDef uses, sorted: what ``saved_model_cli show --list_ops`` lists.

    Like TF's ``ops_used_by_graph_def``: the graph's nodes, then recursively every library function
    reached by a node whose op is that function or by a (Stateful)PartitionedCall's ``f``; function
    names themselves are not ops. Functions reached only through other attributes (If/While bodies)
    are not visited, exactly as in TensorFlow.
    """
    functions = {f.signature.name: f for f in graph_def.library.function}
    used: set[str] = set()
    pending: list[Any] = []

    def mark(op: str) -> None:
        if op not in used and op in functions:
            pending.append(functions[op])
        used.add(op)

    def visit(node: Any) -> None:
        mark(node.op)
        if node.op in _CALL_OPS and "f" in node.attr:  # a missing key would be inserted
            mark(node.attr["f"].func.name)

    for node in graph_def.node:
        visit(node)
    while pending:
        for node in pending.pop().node_def:
            visit(node)
    return tuple(sorted(used - functions.keys()))


def meta_graph_info(mg: meta_graph_pb2.MetaGraphDef) -> MetaGraphInfo:
    """Tags, signatures and ops of one meta graph."""
    return MetaGraphInfo(tags=tuple(mg.meta_info_def.tags), signatures=signatures(mg),
                         ops=ops_used(mg.graph_def))


def meta_graphs(saved_model: saved_model_pb2.SavedModel) -> tuple[MetaGraphInfo, ...]:
    """Every meta graph, in ``show --all`` order (by the list of stored tags)."""
    ordered = sorted(saved_model.meta_graphs, key=lambda mg: list(mg.meta_info_def.tags))
    return tuple(meta_graph_info(mg) for mg in ordered)


# --- Functions of the object graph ----------------------------------------------------------------


def saved_functions(saved_model: saved_model_pb2.SavedModel) -> FunctionListing | None:
    """The functions attached to the root object, by attribute name; None without object graph.

    TF loads the model to list them; it fails (and prints N/A) when there is more than one meta
    graph, because ``tf.saved_model.load`` then needs ``tags=``. Concrete functions keep the order
    of the object graph; TF sorts them by the names it gives them at load time.
    """
    with_graph = [mg for mg in saved_model.meta_graphs if mg.HasField("object_graph_def")]
    if not with_graph:
        return None
    if len(saved_model.meta_graphs) != 1:
        return FunctionListing(functions=(), error="unknown reasons")
    graph = with_graph[0].object_graph_def
    if not graph.nodes:
        return FunctionListing(functions=())
    found = []
    for child in sorted(graph.nodes[0].children, key=lambda c: c.local_name):
        concrete = _root_child_functions(graph, child.node_id)
        if concrete is not None:
            found.append(FunctionInfo(name=child.local_name, concrete_functions=concrete))
    return FunctionListing(functions=tuple(found))


def _root_child_functions(graph: Any, node_id: int) -> tuple[ConcreteFunctionInfo, ...] | None:
    """The concrete functions of a root child, or None when the child is not a function."""
    if not 0 <= node_id < len(graph.nodes):
        raise FormatError(f"saved_model.pb: object_graph_def: root child node_id {node_id} is out "
                          f"of range: expected < {len(graph.nodes)}.")
    node = graph.nodes[node_id]
    kind = node.WhichOneof("kind")
    if kind == "function":
        return tuple(_concrete_function(graph, name) for name in node.function.concrete_functions)
    if kind == "bare_concrete_function":
        bare = node.bare_concrete_function
        return (_concrete_function(graph, bare.concrete_function_name, bare.argument_keywords),)
    return None


def _concrete_function(graph: Any, name: str,
                       arg_keywords: Iterable[str] = ()) -> ConcreteFunctionInfo:
    """Decodes ``concrete_functions[name].canonicalized_input_signature`` into (args, kwargs)."""
    args = kwargs = None
    saved = graph.concrete_functions.get(name)
    if saved is not None and saved.HasField("canonicalized_input_signature"):
        decoded = decode_structure(saved.canonicalized_input_signature)
        if (isinstance(decoded, tuple) and len(decoded) == 2
                and isinstance(decoded[0], (tuple, list)) and isinstance(decoded[1], dict)):
            args, kwargs = tuple(decoded[0]), decoded[1]
        else:
            args = (OpaqueValue(type(decoded).__name__,
                                "canonicalized_input_signature is not an (args, kwargs) pair"),)
    return ConcreteFunctionInfo(name=name, args=args, kwargs=kwargs,
                                arg_keywords=tuple(arg_keywords))


def decode_structure(value: struct_pb2.StructuredValue) -> Any:
    """A ``StructuredValue`` as the Python value TF's nested_structure_coder builds.

    Dicts come out sorted by key, as TF's graph-mode loader presents them; type specs and tensors,
    which need later layers, come out as ``OpaqueValue``.
    """
    kind = value.WhichOneof("kind")
    if kind in _SCALAR_KINDS:
        return getattr(value, kind)
    if kind == "none_value":
        return None
    if kind in ("list_value", "tuple_value"):
        items = [decode_structure(v) for v in getattr(value, kind).values]
        return items if kind == "list_value" else tuple(items)
    if kind == "dict_value":
        fields = value.dict_value.fields
        return {key: decode_structure(fields[key]) for key in sorted(fields)}
    if kind == "named_tuple_value":
        pairs = [(p.key, decode_structure(p.value)) for p in value.named_tuple_value.values]
        name = value.named_tuple_value.name or "NamedTuple"
        cls = collections.namedtuple(name, [k for k, _ in pairs], rename=True)  # type: ignore[misc]
        return cls(*(v for _, v in pairs))
    if kind == "tensor_shape_value":
        return _shape(value.tensor_shape_value)
    if kind == "tensor_dtype_value":
        return DTypeValue(_dtype_name(value.tensor_dtype_value))
    if kind == "tensor_spec_value":
        spec = value.tensor_spec_value
        return TensorSpecValue(_shape(spec.shape), DTypeValue(_dtype_name(spec.dtype)),
                               spec.name or None)
    return _opaque(value, kind)


_SCALAR_KINDS = ("float64_value", "int64_value", "string_value", "bool_value")


def _opaque(value: struct_pb2.StructuredValue, kind: str | None) -> Any:
    """A TypeSpecValue, or an OpaqueValue naming the Python type TF would build for ``kind``."""
    if kind == "type_spec_value":
        spec = value.type_spec_value
        name = spec.type_spec_class_name or _TYPE_SPEC_CLASSES.get(spec.type_spec_class, "TypeSpec")
        if spec.type_spec_class in _TYPE_SPEC_CLASSES:
            return TypeSpecValue(name, decode_structure(spec.type_state))
        return OpaqueValue(name, "savedmodel cannot show this value before it has a type-spec "
                                 "registry")
    names = {"bounded_tensor_spec_value": "BoundedTensorSpec", "tensor_value": "Tensor",
             "numpy_value": "ndarray"}
    return OpaqueValue(names.get(kind or "", "StructuredValue"),
                       "savedmodel cannot show this value before it has its tensor runtime")


# TypeSpec classes whose repr TF derives from their serialized state alone.
_TYPE_SPEC_CLASSES = {
    1: "SparseTensorSpec", 2: "IndexedSlicesSpec", 3: "RaggedTensorSpec", 4: "TensorArraySpec",
    7: "OptionalSpec", 9: "VariableSpec",
}


def _shape(proto: Any) -> ShapeValue:
    if proto.unknown_rank:
        return ShapeValue(None)
    return ShapeValue(tuple(None if d.size < 0 else d.size for d in proto.dim))


def _dtype_name(enum: int) -> str:
    try:
        return dtypes.as_dtype(enum).name
    except SavedModelError:
        return f"dtype_{enum}"


# --- Checkpoint ----------------------------------------------------------------------------------


def variables(export_dir: str | os.PathLike[str]) -> list[VariableInfo]:
    """Every tensor of the SavedModel's checkpoint ``variables/variables``, sorted by key.

    ``nbytes`` is what the tensor occupies in the data files; for a partitioned tensor, whose
    bytes live in its slices, it is elements x item size (0 for strings).
    Returns an empty list when the model has no checkpoint (a TF1 model without variables).

    Raises:
        NotFoundError: ``export_dir`` does not exist.
        FormatError: the checkpoint index is corrupt.
    """
    if not os.path.isdir(export_dir):
        raise NotFoundError(f"SavedModel directory {os.fspath(export_dir)!r} does not exist.")
    prefix = variables_prefix(export_dir)
    if not os.path.exists(prefix + ".index"):
        return []
    with BundleReader(prefix) as reader:
        return [_variable_info(reader, key) for key in sorted(reader.keys())]


def _variable_info(reader: BundleReader, key: str) -> VariableInfo:
    entry, shape, dtype = reader.entry(key), tuple(reader.shape(key)), reader.dtype(key)
    count = 1
    for dim in shape:
        count *= dim
    nbytes = count * dtype.itemsize if entry.slices else entry.size
    return VariableInfo(key=key, dtype=dtype_enum_name(dtype.enum), shape=shape, nbytes=nbytes)
