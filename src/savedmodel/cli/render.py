"""Text and JSON forms of what ``cli/inspect.py`` returns, in ``saved_model_cli show``'s wording.

Every string here reproduces TensorFlow 2.21's ``tensorflow/python/tools/saved_model_cli.py``
character for character (including its ``\\b\\b`` backspaces after list values and the missing final
newline when a model has no functions), so scripts that parse saved_model_cli keep working. The one
deliberate difference: op sets are printed sorted, where TF prints a Python set in hash order.
Each function returns the text; ``cli/main.py`` writes it.

May import ``savedmodel.cli.inspect``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from savedmodel.cli.inspect import (
    ConcreteFunctionInfo,
    DTypeValue,
    FunctionListing,
    MetaGraphInfo,
    OpaqueValue,
    ShapeValue,
    SignatureInfo,
    TensorInfo,
    TensorSpecValue,
    TypeSpecValue,
    VariableInfo,
    format_tag_set,
)

LIST_OPS_NEEDS_TAG_SET = "--list_ops must be paired with a tag-set or with --all.\n"


def tag_sets(sets: Iterable[Sequence[str]]) -> str:
    """The no-flag output: every tag set, sorted, each as a quoted Python string."""
    lines = ["The given SavedModel contains the following tag-sets:"]
    lines += [repr(format_tag_set(tags)) for tags in sorted(list(t) for t in sets)]
    return "\n".join(lines) + "\n"


def signature_keys(keys: Iterable[str]) -> str:
    """``--tag_set`` output: the SignatureDef keys of one meta graph."""
    lines = ["The given SavedModel MetaGraphDef contains SignatureDefs with the following keys:"]
    lines += [f'SignatureDef key: "{key}"' for key in sorted(keys)]
    return "\n".join(lines) + "\n"


def signature(sig: SignatureInfo, indent: int = 0) -> str:
    """``--signature_def`` output: inputs, outputs and method name of one SignatureDef."""
    pad = "  " * indent
    lines = [f"{pad}The given SavedModel SignatureDef contains the following input(s):"]
    for key, info in sig.inputs.items():
        lines += [f"{pad}  inputs['{key}'] tensor_info:", *_tensor_info(info, indent + 1)]
    lines.append(f"{pad}The given SavedModel SignatureDef contains the following output(s):")
    for key, info in sig.outputs.items():
        lines += [f"{pad}  outputs['{key}'] tensor_info:", *_tensor_info(info, indent + 1)]
    lines.append(f"{pad}Method name is: {sig.method_name}")
    return "\n".join(lines) + "\n"


def _tensor_info(info: TensorInfo, indent: int) -> list[str]:
    pad = "  " * indent
    shape = "unknown_rank" if info.shape is None else "(" + ", ".join(map(str, info.shape)) + ")"
    return [f"{pad}    dtype: {info.dtype}", f"{pad}    shape: {shape}",
            f"{pad}    name: {info.name}"]


def ops(tags: Sequence[str], op_names: Iterable[str]) -> str:
    """``--list_ops`` output: TF prints the tags as a list and the ops as a set (here sorted)."""
    names = sorted(op_names)
    op_set = "{" + ", ".join(repr(op) for op in names) + "}" if names else "set()"
    return f"The MetaGraph with tag set {list(tags)!r} contains the following ops: {op_set}\n"


def show_all(graphs: Iterable[MetaGraphInfo], functions: FunctionListing | None) -> str:
    """``--all`` output: every meta graph with its signatures and ops, then the functions."""
    parts = []
    for mg in graphs:
        parts.append(f"\nMetaGraphDef with tag-set: '{', '.join(mg.tags)}' "
                     "contains the following SignatureDefs:\n")
        for sig in mg.signatures:
            parts.append(f"\nsignature_def['{sig.key}']:\n" + signature(sig, indent=1))
        parts.append(ops(mg.tags, mg.ops))
    if functions is not None:
        parts.append(concrete_functions(functions))
    return "".join(parts)


def concrete_functions(listing: FunctionListing) -> str:
    """The "Concrete Functions" part of ``--all``, from what the object graph records.

    TF fills it by loading the model; everything it prints is in the object graph except values
    of later layers (type specs, tensors), which print as one line saying so.
    """
    text = "\nConcrete Functions:"
    if listing.error is not None:
        return text + f" N/A (could not be listed due to {listing.error})\n"
    for function in listing.functions:
        text += f"\n  Function Name: '{function.name}'\n"
        for index, concrete in enumerate(function.concrete_functions, 1):
            text += _option(index, concrete)
    return text


def _option(index: int, concrete: ConcreteFunctionInfo) -> str:
    """One "Option #n" block: positional arguments, then keyword names."""
    args, kwargs = concrete.args, concrete.kwargs
    if args is None and kwargs is None and concrete.arg_keywords:
        args = concrete.arg_keywords
    text = ""
    if args:
        text += f"    Option #{index}\n      Callable with:\n" + _arguments(args, "Argument")
    if kwargs:
        # TF passes the kwargs dict itself, so only its keys are printed.
        text += _arguments(list(kwargs), "Named Argument")
    return text


def _arguments(arguments: Iterable[Any], label: str) -> str:
    """saved_model_cli's ``_print_args`` at indent 4."""
    pad = "        "
    lines = []
    for index, element in enumerate(arguments, 1):
        lines.append(f"{pad}{label} #{index}")
        if isinstance(element, str):
            lines.append(f"{pad}  {element}")
        elif isinstance(element, TensorSpecValue):
            lines.append(f"{pad}  {element.name}: {element!r}")
        elif isinstance(element, dict):
            items = "".join(f"'{key}': {_quoted(value)}, " for key, value in element.items())
            lines += [f"{pad}  DType: dict", f"{pad}  Value: {{{items}\b\b}}"]
        elif _iterable(element):
            items = "".join(f"{_quoted(value)}, " for value in element)
            lines += [f"{pad}  DType: {_type_name(element)}", f"{pad}  Value: [{items}\b\b]"]
        else:
            lines += [f"{pad}  DType: {_type_name(element)}", f"{pad}  Value: {element}"]
    return "\n".join(lines) + "\n"


def _iterable(value: Any) -> bool:
    if isinstance(value, ShapeValue):
        return value.dims is not None
    return isinstance(value, (list, tuple))


def _quoted(value: Any) -> str:
    return f"'{value}'" if isinstance(value, str) else str(value)


def _type_name(value: Any) -> str:
    if isinstance(value, TypeSpecValue):
        return value.class_name
    if isinstance(value, OpaqueValue):
        return value.type_name
    names = {ShapeValue: "TensorShape", DTypeValue: "DType"}
    return names.get(type(value), type(value).__name__)


def variables(infos: Sequence[VariableInfo]) -> str:
    """``--variables`` output: every checkpoint tensor with dtype, shape and stored bytes."""
    if not infos:
        return "The given SavedModel has no checkpoint (variables/variables.index).\n"
    lines = ["The given SavedModel checkpoint contains the following tensor(s):"]
    for info in infos:
        shape = "(" + ", ".join(map(str, info.shape)) + ")"
        lines.append(f"  tensor['{info.key}'] dtype: {info.dtype} shape: {shape} "
                     f"bytes: {info.nbytes}")
    total = sum(info.nbytes for info in infos)
    lines.append(f"Total: {len(infos)} tensor(s), {total} bytes")
    return "\n".join(lines) + "\n"


# --- JSON ----------------------------------------------------------------------------------------


def to_json(document: dict[str, Any]) -> str:
    """The ``--json`` output: one object, keys in the order the text form prints them."""
    return json.dumps(_jsonable(document), indent=2) + "\n"


def _jsonable(value: Any) -> Any:
    """Plain JSON data for inspect's results and decoded argument values."""
    if isinstance(value, (TensorInfo, VariableInfo)):
        fields = dict(vars(value))
        fields["shape"] = None if value.shape is None else list(value.shape)
        return fields
    if isinstance(value, TensorSpecValue):
        return {"TensorSpec": {"name": value.name, "dtype": value.dtype.name,
                               "shape": _jsonable(value.shape)}}
    if isinstance(value, ShapeValue):
        return None if value.dims is None else list(value.dims)
    if isinstance(value, DTypeValue):
        return {"DType": value.name}
    if isinstance(value, TypeSpecValue):
        return {value.class_name: _jsonable(value.state)}
    if isinstance(value, OpaqueValue):
        return {value.type_name: None, "note": value.detail}
    if hasattr(value, "_asdict"):  # namedtuple
        return {type(value).__name__: {k: _jsonable(v) for k, v in value._asdict().items()}}
    if hasattr(value, "__dataclass_fields__"):
        return {name: _jsonable(getattr(value, name)) for name in value.__dataclass_fields__}
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value
