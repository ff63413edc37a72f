"""Lookup table objects: the hash-map tables and MutableDenseHashTable, with TensorFlow's checks.

Mirrors the table classes of ``tensorflow/core/kernels/lookup_table_op.cc`` and
``initializable_lookup_table.cc``. Export order of the hash-map tables is insertion order
(TensorFlow's is unspecified); MutableDenseHashTable keeps TensorFlow's exact bucket layout, so its
export matches bit for bit.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from savedmodel.errors import (
    FailedPreconditionError,
    InternalError,
    InvalidArgumentError,
    UnimplementedError,
)
from savedmodel.format import dtypes
from savedmodel.ops._string_hash import hash64, hash64_combine

_MASK64 = (1 << 64) - 1


def _tf_name(dtype: Any) -> str:
    return {"float32": "float", "float64": "double", "float16": "half"}.get(dtype.name, dtype.name)


def _shape_str(shape: Any) -> str:
    return "[" + ",".join(str(d) for d in shape) + "]"


def _format_value(value: Any) -> str:
    """How TensorFlow's StrCat prints a key or value in table errors."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, float):
        short = f"{value:.6g}"
        return short if float(short) == value else f"{value:.9g}"
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def _output(values: list, dtype: Any, shape: tuple) -> np.ndarray:
    if dtype.numpy == np.dtype(object):
        out = np.empty(len(values), dtype=object)
        out[:] = values
        return out.reshape(shape)
    return np.asarray(values, dtype=dtype.numpy).reshape(shape)


class _Table:
    """Behaviour shared by the tables: dtype, shape and argument checks with TF's messages."""

    initializable = False

    def __init__(self, key_dtype: Any, value_dtype: Any, value_shape: tuple = ()) -> None:
        self.key_dtype = key_dtype
        self.value_dtype = value_dtype
        self.key_shape: tuple = ()
        self.value_shape = tuple(value_shape)

    def signature(self, where: str, keys: Any, values: Any, has_output: bool) -> None:
        """OpKernelContext::MatchSignature for (handle, keys[, values]) -> [values]."""
        have = [_tf_name(keys)] + ([_tf_name(values)] if values is not None else [])
        want = [_tf_name(self.key_dtype)] + ([_tf_name(self.value_dtype)] if values is not None
                                             else [])
        out_have = _tf_name(values) if has_output else ""
        out_want = _tf_name(self.value_dtype) if has_output else ""
        if have != want or out_have != out_want:
            raise InvalidArgumentError(
                f"{where}: Signature mismatch, have: resource, {', '.join(have)}->{out_have} "
                f"expected: resource, {', '.join(want)}->{out_want}")

    def check_key_shape(self, where: str, shape: tuple) -> None:
        if self.key_shape and tuple(shape[len(shape) - len(self.key_shape):]) != self.key_shape:
            raise InvalidArgumentError(f"{where}: Input key shape {_shape_str(shape)} must end with "
                                       f"the table's key shape {_shape_str(self.key_shape)}")

    def check_insert(self, where: str, keys: np.ndarray, values: np.ndarray) -> None:
        self.check_key_shape(where, keys.shape)
        expected = keys.shape[:keys.ndim - len(self.key_shape)] + self.value_shape
        if values.shape != expected:
            raise InvalidArgumentError(f"{where}: Expected shape {_shape_str(expected)} for value, "
                                       f"got {_shape_str(values.shape)}")

    def check_find(self, where: str, keys: np.ndarray, default: np.ndarray) -> None:
        self.check_key_shape(where, keys.shape)
        full = keys.shape[:keys.ndim - len(self.key_shape)] + self.value_shape
        if default.shape not in (self.value_shape, full):
            raise InvalidArgumentError(
                f"{where}: Expected shape {_shape_str(self.value_shape)} or {_shape_str(full)} for "
                f"default value, got {_shape_str(default.shape)}")

    def out_shape(self, keys: np.ndarray) -> tuple:
        return keys.shape[:keys.ndim - len(self.key_shape)] + self.value_shape

    def insert(self, where: str, keys: np.ndarray, values: np.ndarray) -> None:
        raise UnimplementedError(f"{where}: Insert not supported by InitializableLookupTable "
                                 "implementations")

    def remove(self, where: str, keys: np.ndarray) -> None:
        raise UnimplementedError(f"{where}: Remove not supported by InitializableLookupTable "
                                 "implementations")


class _MapTable(_Table):
    """A key -> value map: HashTable (initialize once), MutableHashTable and ...OfTensors."""

    def __init__(self, key_dtype: Any, value_dtype: Any, value_shape: tuple = (),
                 initializable: bool = False) -> None:
        super().__init__(key_dtype, value_dtype, value_shape)
        self.initializable = initializable
        self.entries: dict[Any, Any] = {}
        self.initialized = not initializable

    def size(self) -> int:
        return len(self.entries)

    def _rows(self, values: np.ndarray, count: int) -> list:
        if not self.value_shape:
            return values.reshape(-1).tolist()
        return list(values.reshape(count, -1))

    def find(self, where: str, keys: np.ndarray, default: np.ndarray) -> np.ndarray:
        if not self.initialized:
            raise FailedPreconditionError(f"{where}: Table not initialized.")
        flat_keys = keys.reshape(-1).tolist()
        defaults = self._rows(default, default.size // max(1, int(np.prod(self.value_shape))))
        # MutableHashTable* take one default per key when given; HashTable only ever the first.
        per_key = len(defaults) == len(flat_keys) and not self.initializable
        get = self.entries.get
        found = [get(k, defaults[i] if per_key else defaults[0]) for i, k in enumerate(flat_keys)]
        if self.value_shape:
            stacked = np.stack(found) if found else np.zeros((0,) + self.value_shape,
                                                             self.value_dtype.numpy)
            return stacked.astype(self.value_dtype.numpy).reshape(self.out_shape(keys))
        return _output(found, self.value_dtype, self.out_shape(keys))

    def insert(self, where: str, keys: np.ndarray, values: np.ndarray) -> None:
        if self.initializable:
            super().insert(where, keys, values)
        self.entries.update(zip(keys.reshape(-1).tolist(), self._rows(values, keys.size)))

    def remove(self, where: str, keys: np.ndarray) -> None:
        if self.initializable:
            super().remove(where, keys)
        for key in keys.reshape(-1).tolist():
            self.entries.pop(key, None)

    def initialize(self, where: str, pairs: list[tuple[Any, Any]]) -> None:
        """InitializableLookupTable::Initialize; a second call must bring as many entries."""
        if self.initialized:
            if len(pairs) != len(self.entries):
                raise FailedPreconditionError(
                    f"{where}: Table was already initialized with different data.")
            return
        entries: dict[Any, Any] = {}
        for key, value in pairs:
            old = entries.setdefault(key, value)
            if old is not value and old != value:
                raise FailedPreconditionError(
                    f"{where}: HashTable has different value for same key. Key "
                    f"{_format_value(key)} has {_format_value(old)} and trying to add value "
                    f"{_format_value(value)}")
        self.entries = entries
        self.initialized = True

    def import_values(self, where: str, keys: np.ndarray, values: np.ndarray) -> None:
        if self.initializable:
            self.initialize(where, list(zip(keys.reshape(-1).tolist(),
                                            self._rows(values, keys.size))))
        else:
            self.entries = dict(zip(keys.reshape(-1).tolist(), self._rows(values, keys.size)))

    def export(self) -> tuple[np.ndarray, np.ndarray]:
        count = len(self.entries)
        keys = _output(list(self.entries), self.key_dtype, (count,))
        if self.value_shape:
            values = (np.stack(list(self.entries.values())) if count else
                      np.zeros((0,) + self.value_shape, self.value_dtype.numpy))
            return keys, values.astype(self.value_dtype.numpy)
        return keys, _output(list(self.entries.values()), self.value_dtype, (count,))


class _DenseTable(_Table):
    """MutableDenseHashTable: open addressing with TensorFlow's hashing, probing and growth."""

    def __init__(self, where: str, empty_key: np.ndarray, deleted_key: np.ndarray, value_dtype: Any,
                 value_shape: tuple, initial_num_buckets: int, max_load_factor: float) -> None:
        super().__init__(dtypes.as_dtype(empty_key.dtype), value_dtype, value_shape)
        if not 0 < max_load_factor < 1:
            raise InvalidArgumentError(f"{where}: max_load_factor must be between 0 and 1, got: "
                                       f"{max_load_factor:g}")
        if len(self.value_shape) > 1:
            raise InvalidArgumentError(f"{where}: Empty value must be a scalar or a vector, got "
                                       f"shape {_shape_str(self.value_shape)}")
        if empty_key.ndim > 1:
            raise InvalidArgumentError(f"{where}: Empty key must be a scalar or a vector, got "
                                       f"shape {_shape_str(empty_key.shape)}")
        if deleted_key.shape != empty_key.shape:
            raise InvalidArgumentError(
                f"{where}: Empty and deleted keys must have same shape, got shapes: "
                f"{_shape_str(empty_key.shape)} and {_shape_str(deleted_key.shape)}")
        self.key_shape = empty_key.shape
        self.key_size = max(1, int(empty_key.size))
        self.value_size = int(np.prod(self.value_shape, dtype=np.int64))
        self.empty = tuple(empty_key.reshape(-1).tolist())
        self.deleted = tuple(deleted_key.reshape(-1).tolist())
        if self.empty == self.deleted:
            raise InvalidArgumentError(f"{where}: Empty and deleted keys cannot be equal")
        self.max_load_factor = float(np.float32(max_load_factor))
        self._allocate(where, initial_num_buckets)

    def _allocate(self, where: str, num_buckets: int) -> None:
        if num_buckets < 4 or num_buckets & (num_buckets - 1):
            raise InvalidArgumentError(f"{where}: Number of buckets must be at least 4 and a power "
                                       f"of 2, got: {num_buckets}")
        self.num_buckets = num_buckets
        self.num_entries = 0
        self.keys: list[tuple] = [self.empty] * num_buckets
        self.values = np.zeros((num_buckets, self.value_size), dtype=self.value_dtype.numpy)
        if self.value_dtype.numpy == np.dtype(object):
            self.values[...] = b""

    def _hash(self, key: tuple) -> int:
        def scalar(value: Any) -> int:
            return hash64(value) if isinstance(value, bytes) else int(value) & _MASK64
        if len(key) == 1:
            return scalar(key[0])
        result = 0
        for value in key:
            result = hash64_combine(result, scalar(value))
        return result

    def _matrix(self, where: str, keys: np.ndarray) -> list[tuple]:
        count = 1 if keys.ndim == 0 else keys.shape[0]
        if keys.size != count * int(np.prod(self.key_shape, dtype=np.int64)):
            expected = (count,) + tuple(self.key_shape)
            raise InvalidArgumentError(f"{where}: Expected key shape {_shape_str(expected)} got "
                                       f"{_shape_str(keys.shape)}")
        flat = keys.reshape(count, self.key_size).tolist() if count else []
        return [tuple(row) for row in flat]

    def _reject_special(self, where: str, key: tuple) -> None:
        if key == self.empty:
            raise InvalidArgumentError(f"{where}: Using the empty_key as a table key is not allowed")
        if key == self.deleted:
            raise InvalidArgumentError(
                f"{where}: Using the deleted_key as a table key is not allowed")

    def _probe(self, where: str, key: tuple, stop_at_deleted: bool) -> int:
        """The bucket holding ``key``, else the first free one (empty, or deleted if asked)."""
        mask = self.num_buckets - 1
        bucket = self._hash(key) & mask
        for probes in range(1, self.num_buckets + 1):
            current = self.keys[bucket]
            if current == key or current == self.empty or (stop_at_deleted and
                                                            current == self.deleted):
                return bucket
            bucket = (bucket + probes) & mask  # triangular (TF's "quadratic") probing
        raise InternalError(f"{where}: Internal error in MutableDenseHashTable lookup")

    def size(self) -> int:
        return self.num_entries

    def find(self, where: str, keys: np.ndarray, default: np.ndarray) -> np.ndarray:
        rows = self._matrix(where, keys)
        fallback = default.reshape(-1)[:self.value_size]
        out = np.empty((len(rows), self.value_size), dtype=self.value_dtype.numpy)
        for i, key in enumerate(rows):
            self._reject_special(where, key)
            bucket = self._probe(where, key, stop_at_deleted=False)
            out[i] = self.values[bucket] if self.keys[bucket] == key else fallback
        return out.reshape(self.out_shape(keys))

    def insert(self, where: str, keys: np.ndarray, values: np.ndarray) -> None:
        rows = self._matrix(where, keys)
        pending = self.num_entries + len(rows)
        if pending > self.num_buckets * self.max_load_factor:
            new_size = self.num_buckets
            while pending > new_size * self.max_load_factor:
                new_size <<= 1
            self._rebucket(where, new_size)
        self._insert_rows(where, rows, values.reshape(len(rows), self.value_size), False)

    def _insert_rows(self, where: str, rows: list[tuple], values: np.ndarray,
                     skip_special: bool) -> None:
        for key, value in zip(rows, values):
            if skip_special and key in (self.empty, self.deleted):
                continue
            self._reject_special(where, key)
            bucket = self._probe(where, key, stop_at_deleted=True)
            if self.keys[bucket] != key:
                self.num_entries += 1
                self.keys[bucket] = key
            self.values[bucket] = value

    def _rebucket(self, where: str, num_buckets: int) -> None:
        old_keys, old_values = self.keys, self.values
        self._allocate(where, num_buckets)
        self._insert_rows(where, old_keys, old_values, True)

    def remove(self, where: str, keys: np.ndarray) -> None:
        for key in self._matrix(where, keys):
            self._reject_special(where, key)
            bucket = self._probe(where, key, stop_at_deleted=False)
            if self.keys[bucket] == key:
                self.num_entries -= 1
                self.keys[bucket] = self.deleted

    def import_values(self, where: str, keys: np.ndarray, values: np.ndarray) -> None:
        self.num_buckets = keys.shape[0]
        self.keys = [tuple(row) for row in keys.reshape(self.num_buckets, self.key_size).tolist()]
        self.values = values.reshape(self.num_buckets, self.value_size).copy()
        self.num_entries = sum(k not in (self.empty, self.deleted) for k in self.keys)

    def export(self) -> tuple[np.ndarray, np.ndarray]:
        keys = _output([v for key in self.keys for v in key], self.key_dtype,
                       (self.num_buckets, self.key_size))
        return keys, self.values.copy()

    def check_import(self, where: str, keys: np.ndarray, values: np.ndarray) -> None:
        """Buckets come as matrices even for scalar keys and values (MaybeVectorizeShape)."""
        self.check_key_shape(where, keys.shape)
        key_dims = max(1, len(self.key_shape))
        expected = keys.shape[:keys.ndim - key_dims] + (self.value_shape or (1,))
        if values.shape != expected:
            raise InvalidArgumentError(f"{where}: Expected shape {_shape_str(expected)} for value, "
                                       f"got {_shape_str(values.shape)}")

