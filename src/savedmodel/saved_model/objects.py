"""The Python objects a TF2 SavedModel is revived into: user objects, variables, assets, resources."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np

from savedmodel.errors import SavedModelValueError
from savedmodel.format import dtypes
from savedmodel.ops.context import ResourceHandle, ResourceManager, read_variable
from savedmodel.tracing.tensor import EagerTensor, value_of


class AutoTrackable:
    """A revived user object: its children are attributes; ``variables`` lists every variable."""

    def __init__(self) -> None:
        self._all_variables: list[Variable] = []

    def _set_variables(self, variables: list[Variable]) -> None:
        self._all_variables = variables

    @property
    def variables(self) -> list[Variable]:
        return list(self._all_variables)

    @property
    def trainable_variables(self) -> list[Variable]:
        return [v for v in self._all_variables if v.trainable]

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        call = self.__dict__.get("__call__")
        if call is None:
            raise TypeError("This loaded object is not callable: it was saved without __call__.")
        return call(*args, **kwargs)


class SignatureMap(Mapping):
    """``loaded.signatures``: signature key -> function taking keyword arguments, returning a dict."""

    def __init__(self) -> None:
        self._functions: dict[str, Any] = {}

    def _add(self, key: str, function: Any) -> None:
        self._functions[key] = function

    def __getitem__(self, key: str) -> Any:
        try:
            return self._functions[key]
        except KeyError:
            raise KeyError(f"No signature {key!r}; available: {sorted(self._functions)}.") from None

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._functions))

    def __len__(self) -> int:
        return len(self._functions)

    def __repr__(self) -> str:
        return f"_SignatureMap({sorted(self._functions)})"


class Variable:
    """A loaded resource variable: ``numpy()``, ``shape``, ``dtype``, ``name``, ``assign``."""

    def __init__(self, handle: ResourceHandle, resources: ResourceManager, name: str,
                 trainable: bool = True) -> None:
        self.handle = handle
        self._resources = resources
        self._name = name
        self.trainable = trainable

    @property
    def name(self) -> str:
        return f"{self._name}:0"

    @property
    def dtype(self) -> dtypes.DType:
        return dtypes.as_dtype(self.handle.dtype)

    @property
    def shape(self) -> tuple[int, ...] | None:
        value = self._resources.get(self.handle).value
        return tuple(value.shape) if value is not None else self.handle.shape

    def value(self) -> EagerTensor:
        return EagerTensor(read_variable(self._resources, self.handle, f"variable {self._name!r}"))

    def numpy(self) -> Any:
        return self.value().numpy()

    def read_value(self) -> EagerTensor:
        return self.value()

    def _restore(self, array: np.ndarray) -> None:
        self._resources.get(self.handle).value = array

    def assign(self, value: Any) -> Variable:
        """Sets a new value of the same dtype and shape."""
        array = np.asarray(value_of(value), dtype=self.dtype.numpy)
        current = self._resources.get(self.handle).value
        if current is not None and current.shape != array.shape:
            raise SavedModelValueError(f"Variable {self._name!r}: cannot assign shape {array.shape} "
                                       f"to shape {current.shape}.")
        self._resources.get(self.handle).value = array
        return self

    def assign_add(self, delta: Any) -> Variable:
        return self.assign(self.value().numpy() + np.asarray(value_of(delta), dtype=self.dtype.numpy))

    def assign_sub(self, delta: Any) -> Variable:
        return self.assign(self.value().numpy() - np.asarray(value_of(delta), dtype=self.dtype.numpy))

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        value = np.asarray(self.value())
        return value if dtype is None else value.astype(dtype)

    def __repr__(self) -> str:
        return (f"<tf.Variable '{self.name}' shape={self.shape} dtype={self.dtype.name}, "
                f"numpy={self.numpy()!r}>")


class Asset:
    """A loaded asset file; ``asset_path`` is its path inside the model's ``assets/``."""

    def __init__(self, path: str) -> None:
        self.asset_path = path

    def __repr__(self) -> str:
        return f"Asset({self.asset_path!r})"


class RestoredResource:
    """A loaded resource (e.g. a lookup table), created and initialized by its saved functions."""

    def __init__(self, functions: dict[str, Callable[[], Any]]) -> None:
        self._functions = functions
        self._handle: Any = None

    @property
    def resource_handle(self) -> Any:
        if self._handle is None:
            create = self._functions.get("_create_resource")
            if create is None:
                raise SavedModelValueError("A loaded resource has no _create_resource function.")
            self._handle = value_of(create()())
        return self._handle

    def initialize(self) -> None:
        init = self._functions.get("_initialize")
        if init is not None:
            self.resource_handle  # noqa: B018  (create before initializing)
            init()()


class CapturedTensor:
    """A tensor one function captured from another's graph (Keras gradient functions use them)."""

    def __init__(self, name: str, concrete_function: str) -> None:
        self.name = name
        self.concrete_function = concrete_function
