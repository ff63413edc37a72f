"""The inputs of ``savedmodel run``: ``--inputs``, ``--input_exprs``, ``--input_examples``,
``--request``.

Formats follow TensorFlow 2.21's ``saved_model_cli run``
(``tensorflow/python/tools/saved_model_cli.py``): each flag holds ``key=value`` items separated
by ``;``.

- ``--inputs``: ``key=file.npy``, ``key=file.npz[name]``, or ``key=file.npz`` holding one array.
  Loaded with ``allow_pickle=False`` unless ``--allow_pickle`` is given (TF always allows pickles,
  which run code from the file).
- ``--input_exprs``: ``key=<expression>``: Python literals as ``ast.literal_eval`` takes them, plus
  calls of a fixed set of NumPy constructors (``np.ones((2, 3))``, ``np.arange(6).reshape(2, 3)``,
  ``np.array([1, 2], dtype=np.int64)``) whose arguments are themselves such expressions. Nothing is
  ever passed to ``eval``; anything else is refused with ``InputSyntaxError``.
- ``--input_examples``: ``key=[{"feature": [values]}, ...]``: each dict becomes one serialized
  ``tf.train.Example`` (floats → float_list, ints → int64_list, str/bytes → bytes_list).
- ``--request``: a TF Serving REST predict body: ``{"instances": [...]}`` (row format: one value
  per batch element, objects for named inputs) or ``{"inputs": ...}`` (columnar: a value or an
  object of named values); ``{"b64": "..."}`` anywhere stands for binary bytes.

May import ``savedmodel._proto`` and ``savedmodel.errors``.
"""

from __future__ import annotations

import ast
import base64
import binascii
import json
import math
import os
import re
from collections.abc import Callable
from typing import Any

import numpy as np

from savedmodel._proto import example_pb2
from savedmodel.errors import InvalidArgumentError, NotFoundError

# Refuse expressions whose constructors would allocate more than this many elements in all (a typo
# such as ``np.ones((10**6, 10**6))`` must not take the machine down).
MAX_ELEMENTS = 1 << 26


class InputSyntaxError(ValueError):
    """A flag value that is not in the documented format (a usage error: exit code 2)."""


def split_items(text: str, flag: str) -> list[tuple[str, str]]:
    """``"a=1;b=2"`` as ``[("a", "1"), ("b", "2")]``; empty items skipped, as in TensorFlow."""
    items = []
    for raw in filter(None, text.split(";")):
        key, sep, value = raw.partition("=")
        if not sep or not key.strip():
            raise InputSyntaxError(f"{flag} {raw!r}: expected '<input_key>=<value>'.")
        items.append((key.strip(), value))
    return items


# --- --inputs ------------------------------------------------------------------------------------

_FILE_WITH_NAME = re.compile(r"^([^\[\]]+)\[([^\[\]]+)\]$")


def parse_file_spec(value: str) -> tuple[str, str | None]:
    """``file.npz[name]`` as ``("file.npz", "name")``; ``file.npy`` as ``("file.npy", None)``."""
    match = _FILE_WITH_NAME.match(value)
    if match:
        return match.group(1), match.group(2)
    if "[" in value or "]" in value or not value:
        raise InputSyntaxError(f"--inputs value {value!r}: expected '<filename>' or "
                               "'<filename>[<variable_name>]'.")
    return value, None


def load_file_input(value: str, allow_pickle: bool = False) -> Any:
    """The array one ``--inputs`` value names (``file.npy``, ``file.npz[name]``, ``file.npz``)."""
    filename, name = parse_file_spec(value)
    if not os.path.isfile(filename):
        raise NotFoundError(f"--inputs: file {filename!r} does not exist.")
    try:
        data = np.load(filename, allow_pickle=allow_pickle)
    except ValueError as error:
        if "allow_pickle" in str(error) or "pickle" in str(error).lower():
            raise InvalidArgumentError(
                f"--inputs: {filename!r} holds pickled Python objects, which can run arbitrary "
                "code when loaded. Pass --allow_pickle only if you trust the file.") from None
        raise InvalidArgumentError(f"--inputs: cannot read {filename!r}: {error}.") from None
    except OSError as error:
        raise InvalidArgumentError(f"--inputs: cannot read {filename!r} as .npy or .npz: "
                                   f"{error}.") from None
    return _select_array(data, filename, name)


def _select_array(data: Any, filename: str, name: str | None) -> Any:
    if not isinstance(data, np.lib.npyio.NpzFile):
        return data  # a .npy array (or a trusted pickle): a name is ignored, as in TensorFlow
    with data:
        if name is None:
            if len(data.files) != 1:
                raise InvalidArgumentError(
                    f"--inputs: {filename!r} contains {len(data.files)} arrays {data.files}: "
                    f"name the one to use as '{filename}[<variable_name>]'.")
            name = data.files[0]
        if name not in data.files:
            raise InvalidArgumentError(f"--inputs: {filename!r} has no array named {name!r}; it "
                                       f"holds {data.files}.")
        return data[name]


# --- --input_exprs -------------------------------------------------------------------------------


def _shape_size(shape: Any) -> int:
    dims = [shape] if isinstance(shape, (int, np.integer)) else list(shape)
    return math.prod(int(d) for d in dims)


def _arange_size(*args: Any, **kwargs: Any) -> int:
    start, stop, step = (0, args[0], 1) if len(args) == 1 else (tuple(args) + (1,))[:3]
    start, stop = kwargs.get("start", start), kwargs.get("stop", stop)
    step = kwargs.get("step", step) or 1
    return max(0, math.ceil((stop - start) / step))


def _eye_size(n: int, m: int | None = None, *_: Any, **kwargs: Any) -> int:
    return int(n) * int(kwargs.get("M", m) or n)


def _first(*args: Any, **kwargs: Any) -> Any:
    return args[0] if args else kwargs.get("shape", kwargs.get("N", kwargs.get("n", 0)))


# NumPy callables an expression may use, each with a function giving the element count it would
# allocate from its arguments (None: bounded by the size of its arguments).
_CONSTRUCTORS: dict[str, Callable[..., int] | None] = {
    "array": None, "asarray": None, "ones_like": None, "zeros_like": None, "full_like": None,
    "ones": lambda *a, **k: _shape_size(_first(*a, **k)),
    "zeros": lambda *a, **k: _shape_size(_first(*a, **k)),
    "full": lambda *a, **k: _shape_size(_first(*a, **k)),
    "eye": lambda *a, **k: _eye_size(*a, **k),
    "identity": lambda *a, **k: int(_first(*a, **k)) ** 2,
    "arange": _arange_size,
    "linspace": lambda *a, **k: int(a[2] if len(a) > 2 else k.get("num", 50)),
}
_DTYPE_NAMES = ("bool_", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
                "float16", "float32", "float64", "half", "single", "double", "complex64",
                "complex128", "bytes_", "str_", "object_")
_CONSTANTS = {"nan": np.nan, "inf": np.inf, "pi": np.pi, "e": np.e, "newaxis": None}
_METHODS = {"reshape": None, "astype": None, "transpose": None}
_NUMPY_MODULES = ("np", "numpy")


def evaluate_expression(text: str) -> Any:
    """Evaluates one ``--input_exprs`` value without ``eval``: literals and whitelisted NumPy calls.

    >>> evaluate_expression("np.arange(6, dtype=np.int64).reshape(2, 3)").tolist()
    [[0, 1, 2], [3, 4, 5]]
    >>> evaluate_expression("[1.5, -2]")
    [1.5, -2]
    """
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as error:
        raise InputSyntaxError(f"expression {text!r} is not valid Python: {error.msg}.") from None
    try:
        return _Evaluator(text).visit(tree.body)
    except (TypeError, ValueError, OverflowError, MemoryError) as error:
        if isinstance(error, InputSyntaxError):
            raise
        raise InputSyntaxError(f"expression {text!r} failed: {error}.") from None


class _Evaluator:
    """Walks an expression tree, computing only the node kinds it knows."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.budget = MAX_ELEMENTS

    def refuse(self, node: ast.AST, what: str) -> InputSyntaxError:
        return InputSyntaxError(
            f"expression {self.text!r}: {what} ({ast.unparse(node)!r}) is not allowed. Use Python "
            "literals and NumPy constructors (np.array, np.ones, np.zeros, np.full, np.arange, "
            "np.linspace, np.eye, ..., .reshape, .astype) with literal arguments.")

    def visit(self, node: ast.AST) -> Any:
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            items = [self.visit(e) for e in node.elts]
            return {ast.List: list, ast.Tuple: tuple, ast.Set: set}[type(node)](items)
        if isinstance(node, ast.Dict):
            keys = [k for k in node.keys if k is not None]
            if len(keys) != len(node.keys):
                raise self.refuse(node, "dict unpacking")
            return {self.visit(k): self.visit(v) for k, v in zip(keys, node.values)}
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            return self._signed(node)
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
            return self._complex(node)
        if isinstance(node, ast.Attribute):
            return self._numpy_name(node)
        if isinstance(node, ast.Call):
            return self._call(node)
        raise self.refuse(node, type(node).__name__)

    def _signed(self, node: ast.UnaryOp) -> Any:
        value = self.visit(node.operand)
        if not isinstance(value, (int, float, complex)) or isinstance(value, bool):
            raise self.refuse(node, "a sign before a non-number")
        return -value if isinstance(node.op, ast.USub) else value

    def _complex(self, node: ast.BinOp) -> Any:
        left, right = self.visit(node.left), self.visit(node.right)
        if not (isinstance(left, (int, float)) and isinstance(right, complex)):
            raise self.refuse(node, "arithmetic other than a complex literal such as 1+2j")
        return left + right if isinstance(node.op, ast.Add) else left - right

    def _numpy_name(self, node: ast.Attribute) -> Any:
        if not (isinstance(node.value, ast.Name) and node.value.id in _NUMPY_MODULES):
            raise self.refuse(node, "an attribute that is not np.<name>")
        name = node.attr
        if name in _DTYPE_NAMES:
            return getattr(np, name)
        if name in _CONSTANTS:
            return _CONSTANTS[name]
        if name in _CONSTRUCTORS:
            return name  # resolved by _call
        raise self.refuse(node, f"np.{name}")

    def _call(self, node: ast.Call) -> Any:
        args = [self.visit(a) for a in node.args if not isinstance(a, ast.Starred)]
        if len(args) != len(node.args) or any(k.arg is None for k in node.keywords):
            raise self.refuse(node, "* or ** arguments")
        kwargs = {str(k.arg): self.visit(k.value) for k in node.keywords}
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in _METHODS and not (
                isinstance(func.value, ast.Name) and func.value.id in _NUMPY_MODULES):
            target = np.asarray(self.visit(func.value))
            return getattr(target, func.attr)(*args, **kwargs)
        if isinstance(func, ast.Attribute):
            name = self._numpy_name(func)
            if isinstance(name, str):
                return self._construct(node, name, args, kwargs)
            if isinstance(name, type) and issubclass(name, np.generic):
                return name(*args, **kwargs)
        raise self.refuse(node, "a call of something other than a NumPy constructor")

    def _construct(self, node: ast.Call, name: str, args: list, kwargs: dict) -> Any:
        size_of = _CONSTRUCTORS[name]
        if size_of is not None:
            size = size_of(*args, **kwargs)
            if size > self.budget:
                raise InputSyntaxError(f"expression {self.text!r}: np.{name} would make {size} "
                                       f"elements, more than the limit of {MAX_ELEMENTS} in all.")
            self.budget -= size
        return getattr(np, name)(*args, **kwargs)


# --- --input_examples ----------------------------------------------------------------------------


def make_example(features: Any) -> bytes:
    """One ``{name: [values]}`` dict as a serialized tf.train.Example, typed by its first value."""
    if not isinstance(features, dict):
        raise InputSyntaxError(f"--input_examples: each example must be a dict of feature lists, "
                               f"got {type(features).__name__} {features!r}.")
    example = example_pb2.Example()
    for name, values in features.items():
        if not isinstance(values, list) or not values:
            raise InputSyntaxError(f"--input_examples: feature {name!r} must be a non-empty list, "
                                   f"got {values!r}.")
        feature = example.features.feature[name]
        first = values[0]
        if isinstance(first, float):
            feature.float_list.value.extend(values)
        elif isinstance(first, str):
            feature.bytes_list.value.extend(v.encode("utf8") for v in values)
        elif isinstance(first, bytes):
            feature.bytes_list.value.extend(values)
        elif isinstance(first, int):
            feature.int64_list.value.extend(values)
        else:
            raise InputSyntaxError(f"--input_examples: feature {name!r}: values of type "
                                   f"{type(first).__name__} are not supported; use float, int, str "
                                   "or bytes.")
    return example.SerializeToString()


def make_examples(value: Any, key: str) -> list[bytes]:
    """A list of feature dicts as a list of serialized tf.Example protos."""
    if not isinstance(value, list):
        raise InputSyntaxError(f"--input_examples {key!r}: expected a list of dicts, got "
                               f"{type(value).__name__} {value!r}.")
    return [make_example(features) for features in value]


# --- --request -----------------------------------------------------------------------------------


class Request:
    """A decoded TF Serving predict body: its signature name (or None) and named input values."""

    def __init__(self, signature_name: str | None, inputs: dict[str | None, Any]) -> None:
        self.signature_name = signature_name
        self.inputs = inputs  # key None: the value for a signature's only input


def read_request(path: str) -> Request:
    """Reads a TF Serving REST predict body (row ``instances`` or columnar ``inputs``)."""
    try:
        with open(path, encoding="utf-8") as file:
            body = json.load(file)
    except FileNotFoundError:
        raise NotFoundError(f"--request: file {path!r} does not exist.") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise InvalidArgumentError(f"--request {path!r}: not valid JSON: {error}.") from None
    return parse_request(body, path)


def parse_request(body: Any, where: str = "request") -> Request:
    """The inputs of a predict body; ``{"b64": ...}`` objects become bytes."""
    if not isinstance(body, dict):
        raise InvalidArgumentError(f"{where}: expected a JSON object, got {type(body).__name__}.")
    has_rows, has_columns = "instances" in body, "inputs" in body
    if has_rows == has_columns:
        raise InvalidArgumentError(f"{where}: expected exactly one of 'instances' (row format) or "
                                   f"'inputs' (columnar format), got keys {sorted(body)}.")
    signature = body.get("signature_name")
    if signature is not None and not isinstance(signature, str):
        raise InvalidArgumentError(f"{where}: 'signature_name' must be a string, got "
                                   f"{signature!r}.")
    if has_columns:
        return Request(signature, _columns(decode_b64(body["inputs"], where)))
    return Request(signature, _rows(decode_b64(body["instances"], where), where))


def decode_b64(value: Any, where: str) -> Any:
    """Replaces every ``{"b64": "<base64>"}`` object in a JSON value by its bytes."""
    if isinstance(value, list):
        return [decode_b64(v, where) for v in value]
    if isinstance(value, dict):
        if "b64" in value:
            if len(value) != 1 or not isinstance(value["b64"], str):
                raise InvalidArgumentError(f"{where}: a binary value must be {{\"b64\": \"...\"}} "
                                           f"alone, got {value!r}.")
            try:
                return base64.b64decode(value["b64"], validate=True)
            except binascii.Error as error:
                raise InvalidArgumentError(f"{where}: bad base64 in {value!r}: {error}.") from None
        return {k: decode_b64(v, where) for k, v in value.items()}
    return value


def _columns(inputs: Any) -> dict[str | None, Any]:
    return dict(inputs) if isinstance(inputs, dict) else {None: inputs}


def _rows(instances: Any, where: str) -> dict[str | None, Any]:
    if not isinstance(instances, list):
        raise InvalidArgumentError(f"{where}: 'instances' must be a list, got "
                                   f"{type(instances).__name__}.")
    if not instances or not all(isinstance(row, dict) for row in instances):
        if any(isinstance(row, dict) for row in instances):
            raise InvalidArgumentError(f"{where}: 'instances' mixes objects and plain values.")
        return {None: instances}
    keys = list(instances[0])
    for index, row in enumerate(instances):
        if sorted(row) != sorted(keys):
            raise InvalidArgumentError(f"{where}: instance {index} has keys {sorted(row)}, "
                                       f"expected {sorted(keys)} like instance 0.")
    return {key: [row[key] for row in instances] for key in keys}
