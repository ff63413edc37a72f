"""The op registry: one OpDef per TensorFlow op, with its NumPy kernel and (optional) shape function.

An OpDef is data transcribed from TensorFlow's ``REGISTER_OP`` (``tensorflow/core/ops/*.cc``) in the same
compact syntax, so it stays greppable against TensorFlow:

    @register_op("Transpose", inputs=["x: T", "perm: Tperm"], outputs=["y: T"],
                 attrs=["T: type", "Tperm: {int32, int64} = DT_INT32"])
    def _transpose(ctx, x, perm, *, T, Tperm): ...

Arguments: ``name: T`` (type attr), ``name: N * T`` (number attr), ``name: Tlist`` (a list(type) attr),
``name: float`` (a fixed type), ``name: Ref(T)``. Attributes: ``name: kind[ constraint][ = default]``
with kinds type, int, float, bool, string, shape, tensor, func, list(...), and constraints ``{a, b}``
or ``>= n``. Kernels receive inputs positionally (lists for list arguments) and every declared
attribute as a keyword, decoded to Python values (types as ``dtypes.DType``, shapes as tuples with
-1 or None for unknown rank, tensors as ndarrays, funcs as ``FuncRef``), and return a tuple with one
value per output (a list for list outputs). Registration refuses duplicates.
"""

from __future__ import annotations

import ast
import difflib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from savedmodel.errors import SavedModelValueError, UnsupportedOpError
from savedmodel.format import dtypes
from savedmodel.graph.attrs import FuncRef  # noqa: F401  (re-exported for kernels)

Kernel = Callable[..., tuple]
NO_DEFAULT: Any = type("NoDefault", (), {"__repr__": lambda self: "NO_DEFAULT"})()


@dataclass(frozen=True)
class ArgDef:
    """One input or output argument of an op."""

    name: str
    type_attr: str = ""        # attr holding the element type ("T")
    fixed_type: int = 0        # DataType enum when the type is fixed ("float", "resource")
    number_attr: str = ""      # attr holding the repeat count ("N" in "N * T")
    type_list_attr: str = ""   # list(type) attr giving one type per element ("Tout")
    is_ref: bool = False

    @property
    def is_list(self) -> bool:
        return bool(self.number_attr or self.type_list_attr)


@dataclass(frozen=True)
class AttrDef:
    """One attribute: kind (e.g. "type", "list(int)"), default and allowed values."""

    name: str
    kind: str
    default: Any = NO_DEFAULT
    allowed: tuple = ()
    minimum: int | None = None


@dataclass(frozen=True)
class OpDef:
    name: str
    inputs: tuple[ArgDef, ...]
    outputs: tuple[ArgDef, ...]
    attrs: tuple[AttrDef, ...]
    is_stateful: bool = False
    attr_map: dict[str, AttrDef] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self.attr_map.update({a.name: a for a in self.attrs})


@dataclass
class RegisteredOp:
    op_def: OpDef
    kernel: Kernel | None
    shape_fn: Callable[..., Any] | None = None


REGISTRY: dict[str, RegisteredOp] = {}

_ARG_RE = re.compile(r"^\s*(\w+)\s*:\s*(?:(\w+)\s*\*\s*)?(Ref\()?\s*(\w+)\s*\)?\s*$")
_ATTR_RE = re.compile(r"^\s*(\w+)\s*:\s*(list\(\w+\)|\w+)\s*(\{[^}]*\}|>=\s*-?\d+)?\s*(?:=\s*(.+?))?\s*$")
_TYPE_NAMES = {
    "float": dtypes.FLOAT, "double": dtypes.DOUBLE, "int32": dtypes.INT32, "uint8": dtypes.UINT8,
    "int16": dtypes.INT16, "int8": dtypes.INT8, "string": dtypes.STRING, "complex64": dtypes.COMPLEX64,
    "int64": dtypes.INT64, "bool": dtypes.BOOL, "qint8": dtypes.QINT8, "quint8": dtypes.QUINT8,
    "qint32": dtypes.QINT32, "bfloat16": dtypes.BFLOAT16, "qint16": dtypes.QINT16,
    "quint16": dtypes.QUINT16, "uint16": dtypes.UINT16, "complex128": dtypes.COMPLEX128,
    "half": dtypes.HALF, "resource": dtypes.RESOURCE, "variant": dtypes.VARIANT,
    "uint32": dtypes.UINT32, "uint64": dtypes.UINT64,
}


def _parse_arg(spec: str, attr_kinds: dict[str, str], op: str) -> ArgDef:
    match = _ARG_RE.match(spec)
    if not match:
        raise SavedModelValueError(f"Op {op!r}: cannot parse argument spec {spec!r}.")
    name, number, ref, type_name = match.groups()
    is_ref = bool(ref)
    if type_name in _TYPE_NAMES:
        return ArgDef(name, fixed_type=_TYPE_NAMES[type_name], number_attr=number or "", is_ref=is_ref)
    kind = attr_kinds.get(type_name)
    if kind == "type":
        return ArgDef(name, type_attr=type_name, number_attr=number or "", is_ref=is_ref)
    if kind == "list(type)":
        return ArgDef(name, type_list_attr=type_name, is_ref=is_ref)
    raise SavedModelValueError(f"Op {op!r}: argument {spec!r} names unknown type or attr {type_name!r}.")


def _split_list(text: str) -> list[str]:
    inner = text.strip()[1:-1].strip()
    if not inner:
        return []
    items, depth, current = [], 0, ""
    for char in inner:
        if char == "," and depth == 0:
            items.append(current.strip())
            current = ""
            continue
        depth += char in "[{("
        depth -= char in "]})"
        current += char
    items.append(current.strip())
    return items


def _parse_scalar(kind: str, text: str) -> Any:
    text = text.strip()
    if kind == "type":
        return dtypes.as_dtype(text)
    if kind == "string":
        return ast.literal_eval(text) if text[:1] in "'\"" else text
    if kind == "bool":
        return text == "true"
    if kind == "int":
        return int(text)
    if kind == "float":
        return float(text)
    if kind == "shape":
        if "unknown_rank" in text:
            return None
        return tuple(int(v) for v in _split_list(text))
    raise SavedModelValueError(f"Defaults of kind {kind!r} are not supported ({text!r}).")


def parse_attr(spec: str, op: str = "?") -> AttrDef:
    """Parses one attr spec such as ``"Tidx: {int32, int64} = DT_INT32"``."""
    match = _ATTR_RE.match(spec)
    if not match:
        raise SavedModelValueError(f"Op {op!r}: cannot parse attr spec {spec!r}.")
    name, kind, constraint, default_text = match.groups()
    allowed: tuple = ()
    minimum = None
    if constraint and constraint.startswith("{"):
        base = kind[5:-1] if kind.startswith("list(") else kind
        allowed = tuple(_parse_scalar("type" if base == "type" else "string", v)
                        for v in _split_list(constraint))
    elif constraint:
        minimum = int(constraint.split(">=")[1])
    default = NO_DEFAULT
    if default_text is not None:
        if kind.startswith("list("):
            default = [_parse_scalar(kind[5:-1], v) for v in _split_list(default_text)]
        else:
            default = _parse_scalar(kind, default_text)
    return AttrDef(name, kind, default, allowed, minimum)


def make_op_def(name: str, inputs: Sequence[str] = (), outputs: Sequence[str] = (),
                attrs: Sequence[str] = (), is_stateful: bool = False) -> OpDef:
    """Builds an OpDef from REGISTER_OP-style strings."""
    attr_defs = tuple(parse_attr(a, name) for a in attrs)
    kinds = {a.name: a.kind for a in attr_defs}
    return OpDef(name, tuple(_parse_arg(s, kinds, name) for s in inputs),
                 tuple(_parse_arg(s, kinds, name) for s in outputs), attr_defs, is_stateful)


def register_op(name: str, inputs: Sequence[str] = (), outputs: Sequence[str] = (),
                attrs: Sequence[str] = (), *, stateful: bool = False,
                shape_fn: Callable[..., Any] | None = None) -> Callable[[Kernel], Kernel]:
    """Decorator registering ``name`` with its kernel; a second registration of a name is refused."""
    op_def = make_op_def(name, inputs, outputs, attrs, stateful)

    def decorate(kernel: Kernel) -> Kernel:
        add_op(op_def, kernel, shape_fn)
        return kernel

    return decorate


def add_op(op_def: OpDef, kernel: Kernel | None, shape_fn: Callable[..., Any] | None = None) -> None:
    """Registers an OpDef; raises SavedModelValueError when the name is taken."""
    if op_def.name in REGISTRY:
        raise SavedModelValueError(f"Op {op_def.name!r} is already registered.")
    REGISTRY[op_def.name] = RegisteredOp(op_def, kernel, shape_fn)


def lookup(name: str) -> RegisteredOp | None:
    return REGISTRY.get(name)


def suggest(name: str) -> list[str]:
    """Registered op names close to ``name`` (for "did you mean" in errors)."""
    return difflib.get_close_matches(name, list(REGISTRY), n=3, cutoff=0.75)


def check_supported(uses: dict[str, list[str]]) -> None:
    """Raises UnsupportedOpError listing every op in ``uses`` (op -> node paths) that has no kernel."""
    missing = {op: nodes for op, nodes in uses.items()
               if op not in REGISTRY or REGISTRY[op].kernel is None}
    if not missing:
        return
    lines = []
    for op in sorted(missing):
        nodes = sorted(missing[op])
        more = f" and {len(nodes) - 5} more" if len(nodes) > 5 else ""
        shown = ", ".join(repr(n) for n in nodes[:5]) + more
        hint = suggest(op)
        lines.append(f"  {op} (used by {shown})" + (f"; did you mean {hint}?" if hint else ""))
    raise UnsupportedOpError(
        f"The model uses {len(missing)} op(s) that savedmodel does not support:\n" + "\n".join(lines)
        + "\nRun `savedmodel ops` for the supported ops.", ops=missing)


def supported_ops() -> list[str]:
    return sorted(name for name, op in REGISTRY.items() if op.kernel is not None)


def elementwise(names_and_fns: Iterable[tuple[str, Callable[..., Any]]], arity: int,
                type_constraint: str = "type", out_type: str = "T") -> None:
    """Registers trivial elementwise ops ``y = fn(x)`` / ``z = fn(x, y)`` with one type attr T."""
    for name, fn in names_and_fns:
        ins = ["x: T"] if arity == 1 else ["x: T", "y: T"]
        outs = [("y" if arity == 1 else "z") + f": {out_type}"]
        attrs = [f"T: {type_constraint}"]
        if arity == 1:
            add_op(make_op_def(name, ins, outs, attrs), _unary_kernel(fn))
        else:
            add_op(make_op_def(name, ins, outs, attrs), _binary_kernel(fn))


def _unary_kernel(fn: Callable[..., Any]) -> Kernel:
    def kernel(ctx: Any, x: Any, **_: Any) -> tuple:
        return (fn(x),)
    return kernel


def _binary_kernel(fn: Callable[..., Any]) -> Kernel:
    def kernel(ctx: Any, x: Any, y: Any, **_: Any) -> tuple:
        return (fn(x, y),)
    return kernel


def fill_attrs(op_def: OpDef, attrs: dict[str, Any], where: str) -> dict[str, Any]:
    """Declared attrs with defaults filled; raises SavedModelValueError for missing or unknown ones."""
    out = {}
    for attr in op_def.attrs:
        if attr.name in attrs:
            out[attr.name] = attrs[attr.name]
        elif attr.default is not NO_DEFAULT:
            out[attr.name] = list(attr.default) if isinstance(attr.default, list) else attr.default
        else:
            raise SavedModelValueError(
                f"{where}: op {op_def.name} needs attr {attr.name!r}, which is missing.")
    unknown = sorted(k for k in attrs if k not in op_def.attr_map and not k.startswith("_"))
    if unknown:
        raise SavedModelValueError(
            f"{where}: op {op_def.name} has no attr(s) {unknown}; the model may come from a newer "
            f"TensorFlow. Known attrs: {sorted(op_def.attr_map)}.")
    return out


def _dtype_of(value: Any) -> Any:
    import numpy as np

    if hasattr(value, "dtype") and isinstance(value.dtype, np.dtype):
        return dtypes.as_dtype(value.dtype)
    if isinstance(value, (bytes, str)):
        return dtypes.BY_ENUM[dtypes.STRING]
    if type(value).__name__ == "ResourceHandle":
        return dtypes.BY_ENUM[dtypes.RESOURCE]
    return dtypes.as_dtype(np.asarray(value).dtype)


def infer_type_attrs(op_def: OpDef, inputs: Sequence[Any]) -> dict[str, Any]:
    """Type, number and type-list attrs implied by the inputs' dtypes and list lengths."""
    inferred: dict[str, Any] = {}
    for arg, value in zip(op_def.inputs, inputs):
        if arg.type_list_attr:
            inferred[arg.type_list_attr] = [_dtype_of(v) for v in value]
            continue
        if arg.number_attr:
            inferred[arg.number_attr] = len(value)
            value = value[0] if len(value) else None
        if arg.type_attr and value is not None:
            inferred.setdefault(arg.type_attr, _dtype_of(value))
    return inferred


def run_kernel(name: str, inputs: Sequence[Any], attrs: dict[str, Any] | None = None,
               ctx: Any = None) -> tuple:
    """Runs one op's kernel eagerly: defaults filled, output count checked (tests and eager mode)."""
    from savedmodel.ops.context import KernelContext

    registered = REGISTRY.get(name)
    if registered is None or registered.kernel is None:
        check_supported({name: ["<eager>"]})
    assert registered is not None and registered.kernel is not None
    ctx = ctx or KernelContext(node_name=name, op=name)
    given = infer_type_attrs(registered.op_def, inputs)
    given.update(attrs or {})
    filled = fill_attrs(registered.op_def, given, f"op {name}")
    outputs = registered.kernel(ctx, *inputs, **filled)
    if not isinstance(outputs, tuple):
        raise TypeError(f"Kernel of {name} returned {type(outputs).__name__}, expected a tuple.")
    if len(outputs) != len(registered.op_def.outputs):
        raise TypeError(f"Kernel of {name} returned {len(outputs)} values for "
                        f"{len(registered.op_def.outputs)} outputs.")
    return outputs
