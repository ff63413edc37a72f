"""Loaded functions: concrete functions called with Python/NumPy values, and polymorphic functions.

A concrete function's inputs follow its ``canonicalized_input_signature`` (args, kwargs); tensor
leaves become the FunctionDef's inputs in tf.nest order, followed by the captured objects
(``bound_inputs``). Outputs are packed into ``output_signature``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from savedmodel._proto import saved_object_graph_pb2
from savedmodel.errors import InvalidArgumentError, SavedModelTypeError, SavedModelValueError
from savedmodel.format import dtypes, tensor_proto
from savedmodel.runtime.functions import FunctionRuntime
from savedmodel.saved_model import nested
from savedmodel.tracing.tensor import EagerTensor, value_of
from savedmodel.tracing.tensor_spec import TensorSpec


def _is_spec(x: Any) -> bool:
    return isinstance(x, TensorSpec)


def convert_input(value: Any, spec: TensorSpec, where: str) -> np.ndarray:
    """Converts a user value to the spec's dtype the way TensorFlow converts (no lossy casts)."""
    value = value_of(value)
    want = spec.dtype
    if want.enum == dtypes.STRING:
        array = tensor_proto.as_string_array(value)
    else:
        array = np.asarray(value)
        if array.dtype.kind in "SUO":
            raise SavedModelTypeError(f"{where}: expected {want.name}, got a string value.")
        if array.dtype != want.numpy:
            from_python = not isinstance(value, np.ndarray) and not isinstance(value, np.generic)
            lossless = np.can_cast(array.dtype, want.numpy, casting="same_kind") or (
                array.dtype.kind in "iub" and want.numpy.kind in "fc")
            if not (from_python or lossless) or (from_python and array.dtype.kind == "f"
                                                 and want.numpy.kind in "iub"):
                raise SavedModelTypeError(
                    f"{where}: expected dtype {want.name}, got {array.dtype} (value {_short(array)}). "
                    f"Cast the input to {want.name}.")
            array = array.astype(want.numpy)
    if not spec.is_compatible_with(array.shape):
        raise SavedModelValueError(f"{where}: expected shape {_shape_text(spec.shape)}, got "
                                   f"{tuple(array.shape)}.")
    return array


def _short(array: np.ndarray) -> str:
    text = np.array2string(array.reshape(-1)[:4], threshold=4)
    return text if array.size <= 4 else text[:-1] + " ...]"


def _shape_text(shape: Sequence[int | None] | None) -> str:
    return "<unknown>" if shape is None else str(tuple(shape)).replace("None", "None")


def wrap_output(value: Any) -> Any:
    return EagerTensor(value) if isinstance(value, np.ndarray) else value


class ConcreteFunction:
    """One traced function of a loaded model, callable with NumPy arrays or Python values."""

    def __init__(self, name: str, proto: saved_object_graph_pb2.SavedConcreteFunction,
                 runtime: FunctionRuntime, captures: Callable[[], list[Any]],
                 argument_keywords: Sequence[str] = (), allowed_positional: int = 0) -> None:
        self.name = name
        self._runtime = runtime
        self._captures = captures
        args, kwargs = (nested.decode(proto.canonicalized_input_signature)
                        if proto.HasField("canonicalized_input_signature") else ((), {}))
        self.args_spec: tuple = tuple(args or ())
        self.kwargs_spec: dict = dict(kwargs or {})
        self.structured_outputs = nested.decode(proto.output_signature)
        self.argument_keywords = list(argument_keywords)
        self.allowed_positional = allowed_positional

    @property
    def structured_input_signature(self) -> tuple[tuple, dict]:
        return self.args_spec, self.kwargs_spec

    def _bind(self, args: Sequence[Any], kwargs: dict[str, Any]) -> tuple[list[Any], dict[str, Any]]:
        if self.argument_keywords and not self.args_spec:
            names = self.argument_keywords
            if len(args) > self.allowed_positional:
                raise SavedModelTypeError(
                    f"{self.name}: takes keyword arguments {names}; got {len(args)} positional ones.")
            bound = dict(zip(names, args))
            overlap = set(bound) & set(kwargs)
            if overlap:
                raise SavedModelTypeError(f"{self.name}: got multiple values for {sorted(overlap)}.")
            return [], {**bound, **kwargs}
        return list(args), dict(kwargs)

    def matches(self, args: Sequence[Any], kwargs: dict[str, Any]) -> bool:
        try:
            self._flat_inputs(args, kwargs)
        except (SavedModelTypeError, SavedModelValueError, InvalidArgumentError):
            return False
        return True

    def _flat_inputs(self, args: Sequence[Any], kwargs: dict[str, Any]) -> list[np.ndarray]:
        args, kwargs = self._bind(args, kwargs)
        specs = list(self.args_spec)
        if len(args) > len(specs):
            raise SavedModelTypeError(f"{self.name}: takes {len(specs)} positional arguments, got "
                                      f"{len(args)}.")
        values: list[Any] = list(args)
        extra = dict(kwargs)
        for spec in specs[len(args):]:
            name = getattr(spec, "name", None)
            if name is not None and name in extra:
                values.append(extra.pop(name))
            else:
                raise SavedModelTypeError(f"{self.name}: missing argument {name or len(values)!r}.")
        missing = sorted(set(self.kwargs_spec) - set(extra))
        unknown = sorted(set(extra) - set(self.kwargs_spec))
        if missing or unknown:
            raise SavedModelTypeError(f"{self.name}: missing arguments {missing}, unexpected {unknown}; "
                                      f"expected {sorted(self.kwargs_spec)}.")
        flat = []
        for spec, value in zip(specs, values):
            flat.extend(self._flatten_arg(spec, value, f"{self.name}: argument {spec!r}"))
        for key in sorted(self.kwargs_spec):
            flat.extend(self._flatten_arg(self.kwargs_spec[key], extra[key],
                                          f"{self.name}: argument {key!r}"))
        return flat

    def _flatten_arg(self, spec: Any, value: Any, where: str) -> list[np.ndarray]:
        if _is_spec(spec):
            return [convert_input(value, spec, where)]
        if isinstance(spec, (dict, list, tuple)):
            spec_leaves = nested.flatten(spec, _is_spec)
            value_leaves = nested.flatten(value, lambda x: not isinstance(x, (dict, list, tuple)))
            if len(spec_leaves) != len(value_leaves):
                raise SavedModelValueError(f"{where}: structure does not match {spec!r}.")
            return [item for s, v in zip(spec_leaves, value_leaves)
                    for item in self._flatten_arg(s, v, where)]
        if spec != value_of(value):
            raise SavedModelValueError(f"{where}: this trace was made for the Python value {spec!r}, "
                                       f"got {value!r}.")
        return []

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        flat = self._flat_inputs(args, kwargs)
        outputs = self._runtime.call(self.name, flat + self._captures())
        return nested.pack_as(self.structured_outputs, [wrap_output(o) for o in outputs], _is_spec)

    def __repr__(self) -> str:
        return f"<ConcreteFunction {self.name} args={self.args_spec!r} kwargs={self.kwargs_spec!r}>"


class RestoredFunction:
    """A polymorphic ``tf.function``: calls the first concrete function whose signature matches."""

    def __init__(self, name: str, concrete: list[ConcreteFunction]) -> None:
        self.name = name
        self.concrete_functions = concrete

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        for function in self.concrete_functions:
            if function.matches(args, kwargs):
                return function(*args, **kwargs)
        listed = "\n".join(f"  Option {i + 1}: {f.args_spec!r} {f.kwargs_spec!r}"
                           for i, f in enumerate(self.concrete_functions))
        raise SavedModelValueError(
            f"Could not find matching concrete function to call loaded from the SavedModel. Got "
            f"positional arguments {args!r} and keyword arguments {kwargs!r}. Available input "
            f"signatures:\n{listed}")

    def get_concrete_function(self, *args: Any, **kwargs: Any) -> ConcreteFunction:
        if not args and not kwargs and len(self.concrete_functions) == 1:
            return self.concrete_functions[0]
        for function in self.concrete_functions:
            if function.matches(args, kwargs) or (function.args_spec, function.kwargs_spec) == (
                    tuple(args), kwargs):
                return function
        raise SavedModelValueError(f"{self.name}: no concrete function matches {args!r} {kwargs!r}.")
