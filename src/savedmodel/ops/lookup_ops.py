"""Lookup tables: HashTable, MutableHashTable(OfTensors), MutableDenseHashTable, LookupTable* ops.

Mirrors ``tensorflow/core/ops/lookup_ops.cc`` and ``tensorflow/core/kernels/lookup_table_op.cc``,
``initializable_lookup_table.cc``, ``lookup_util.cc``. A table lives in ``ctx.resources`` under its
``(container, shared_name)`` like a variable; the handle is a ``ResourceHandle`` of kind
``"lookup_table"`` (the TF1 ref-typed ops pass the same handle through their ``Ref(string)``
outputs). Export order of the hash-map tables is insertion order (TensorFlow's is unspecified);
MutableDenseHashTable keeps TensorFlow's exact bucket layout, so its export matches bit for bit.

``InitializeTableFromTextFile(V2)`` reads a file: it is one of ``context.IO_OPS`` (the loader allows
it for asset files) and reads only paths inside ``ctx.options.allowed_paths`` (symlinks resolved).
"""

from __future__ import annotations

import itertools
import os
from typing import Any

import numpy as np

from savedmodel.errors import (
    FailedPreconditionError,
    InternalError,
    InvalidArgumentError,
    NotFoundError,
    OutOfRangeError,
    PermissionDeniedError,
    UnimplementedError,
)
from savedmodel.format import dtypes
from savedmodel.ops.context import KernelContext, ResourceHandle
from savedmodel.ops.registry import register_op
from savedmodel.ops.string_ops import hash64, hash64_combine, parse_number

_MASK64 = (1 << 64) - 1
_ANONYMOUS = itertools.count()
_MISSING = object()


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


# --------------------------------------------------------------------------------------------------
# Handles.

def _table(ctx: KernelContext, handle: Any) -> _Table:
    if not isinstance(handle, ResourceHandle):
        raise InvalidArgumentError(f"{ctx.where}: expected a lookup table handle, got "
                                   f"{type(handle).__name__}.")
    table = ctx.resources.get(handle, ctx.where)
    if not isinstance(table, _Table):
        raise InvalidArgumentError(f"{ctx.where}: resource {handle.shared_name!r} is not a lookup "
                                   "table.")
    return table


def _create(ctx: KernelContext, container: str, shared_name: str, factory: Any, key_dtype: Any,
            value_dtype: Any) -> tuple:
    name = shared_name or ctx.node_name
    handle = ResourceHandle(container, name, "lookup_table", value_dtype.enum)
    table = ctx.resources.lookup_or_create(handle, factory)
    if table.key_dtype != key_dtype or table.value_dtype != value_dtype:
        raise InvalidArgumentError(
            f"{ctx.where}: Conflicting key/value dtypes {_tf_name(key_dtype)}->"
            f"{_tf_name(value_dtype)} with {_tf_name(table.key_dtype)}-{_tf_name(table.value_dtype)}"
            f" for table {name}")
    return (handle,)


def _anonymous(ctx: KernelContext, factory: Any) -> tuple:
    handle = ResourceHandle("", f"{ctx.node_name}/anonymous_table_{next(_ANONYMOUS)}",
                            "lookup_table")
    ctx.resources.create(handle, factory())
    return (handle,)


def _value_shape(where: str, value_shape: Any) -> tuple:
    if value_shape is None or -1 in value_shape:
        raise InvalidArgumentError(f"{where}: value_shape must be fully defined, got {value_shape}.")
    return tuple(value_shape)


def _tensors_factory(ctx: KernelContext, key_dtype: Any, value_dtype: Any, value_shape: Any) -> Any:
    shape = _value_shape(ctx.where, value_shape)
    if len(shape) != 1:
        raise InvalidArgumentError(f"{ctx.where}: Default value must be a vector, got shape "
                                   f"{_shape_str(shape)}")
    return lambda: _MapTable(key_dtype, value_dtype, shape)


def _dense_factory(ctx: KernelContext, empty_key: Any, deleted_key: Any, value_dtype: Any,
                   value_shape: Any, initial_num_buckets: int, max_load_factor: float) -> Any:
    shape = _value_shape(ctx.where, value_shape)
    return lambda: _DenseTable(ctx.where, np.asarray(empty_key), np.asarray(deleted_key),
                               value_dtype, shape, initial_num_buckets, max_load_factor)


# --------------------------------------------------------------------------------------------------
# Text file initialization.

def _checked_path(ctx: KernelContext, filename: Any) -> tuple[str, str]:
    """(path as given, resolved path to open) after the IO permission and directory checks."""
    ctx.check_io_allowed()
    array = np.asarray(filename)
    if array.ndim != 0:
        raise InvalidArgumentError(f"{ctx.where}: filename should be a single string, but got "
                                   f"{_shape_str(array.shape)}")
    raw = array.item()
    path = raw.decode("utf-8", "surrogateescape") if isinstance(raw, bytes) else str(raw)
    real = os.path.realpath(path)
    roots = [os.path.realpath(p) for p in ctx.options.allowed_paths]
    if not any(os.path.commonpath([root, real]) == root for root in roots):
        raise PermissionDeniedError(
            f"{ctx.where}: vocabulary file {path!r} is outside the directories this model may read "
            f"({roots or 'none allowed'}). Table initializers may only read the model's assets.")
    return path, real


def _read_lines(ctx: KernelContext, path: str, real: str) -> tuple[list[bytes], list[int]]:
    """Lines as io::InputBuffer::ReadLine gives them (trailing \\r dropped) and end offsets."""
    try:
        with open(real, "rb") as handle:  # the checked path, not one a symlink could redirect
            data = handle.read()
    except FileNotFoundError:
        raise NotFoundError(f"{ctx.where}: {path}; No such file or directory") from None
    except OSError as err:
        raise NotFoundError(f"{ctx.where}: {path}: {err.strerror}") from None
    if not data:
        raise OutOfRangeError(f"{ctx.where}: Read less bytes than requested (empty vocabulary "
                              f"file {path})")
    pieces = data.split(b"\n")
    if not pieces[-1]:
        pieces.pop()
    lines, ends, offset = [], [], 0
    for piece in pieces:
        offset = min(offset + len(piece) + 1, len(data))
        lines.append(piece[:-1] if piece.endswith(b"\r") else piece)
        ends.append(offset)
    return lines, ends


def _field(ctx: KernelContext, token: bytes, dtype: Any, line_number: int, offset: int) -> Any:
    if dtype.is_string:
        return token
    value = parse_number(token, dtype) if dtype.numpy.kind in "iuf" else None
    if value is None:
        raise InvalidArgumentError(f"{ctx.where}: Field {token.decode('utf-8', 'replace')} in line "
                                   f"{line_number} is not a valid {_tf_name(dtype)}.")
    return value + offset if dtype.numpy == np.int32 else value


def _check_text_indices(ctx: KernelContext, table: _Table, key_index: int, value_index: int) -> None:
    key, value = table.key_dtype, table.value_dtype
    integer_or_string = lambda d: d.is_string or d.numpy.kind in "iu"
    if key_index == -1 and key.enum != dtypes.INT64:
        raise InvalidArgumentError(f"{ctx.where}: Key index for line number requires table key "
                                   f"dtype of int64, got {_tf_name(key)}")
    if key_index == -2 and not integer_or_string(key):
        raise InvalidArgumentError(f"{ctx.where}: Key index for whole line requires string or "
                                   f"integer table key, got {_tf_name(key)}")
    if value_index == -1 and value.enum != dtypes.INT64:
        raise InvalidArgumentError(f"{ctx.where}: Value index for line number requires table value "
                                   f"dtype of int64, got {_tf_name(value)}")
    if value_index == -2 and not integer_or_string(value):
        raise InvalidArgumentError(f"{ctx.where}: Value index for whole line requires table value "
                                   f"dtype of integer or string, got {_tf_name(value)}")


def _text_pairs(ctx: KernelContext, paths: tuple[str, str], table: _Table, key_index: int,
                value_index: int, vocab_size: int, delimiter: bytes,
                offset: int) -> list[tuple[Any, Any]]:
    """TextFileLineIterator: (key, value) per line, with TensorFlow's checks and messages."""
    path = paths[0]
    lines, ends = _read_lines(ctx, *paths)
    pairs = []
    for number, (line, end) in enumerate(zip(lines, ends)):
        if vocab_size != -1 and number >= vocab_size:
            break
        if not line:
            raise InvalidArgumentError(f"{ctx.where}: Invalid content in {path}: empty line found "
                                       f"at position {end}.")
        tokens = line.split(delimiter) if max(key_index, value_index) >= 0 else []
        if len(tokens) < max(key_index, value_index) + 1:
            raise InvalidArgumentError(
                f"{ctx.where}: Invalid number of columns in {path} line {number} "
                f"({line.decode('utf-8', 'replace')}) : expected at least "
                f"{max(key_index, value_index) + 1} got {len(tokens)}")
        pair = []
        for index, dtype in ((key_index, table.key_dtype), (value_index, table.value_dtype)):
            if index == -1:
                pair.append(number + offset)
            else:
                pair.append(_field(ctx, line if index == -2 else tokens[index], dtype, number,
                                   offset))
        pairs.append((pair[0], pair[1]))
    if vocab_size != -1 and len(pairs) < vocab_size:
        raise InvalidArgumentError(f"{ctx.where}: Invalid vocab_size in {path}: expected "
                                   f"{vocab_size} but got {len(pairs)}")
    return pairs


def _initialize_from_text(ctx: KernelContext, handle: Any, filename: Any, *, key_index: int,
                          value_index: int, vocab_size: int, delimiter: str, offset: int) -> tuple:
    paths = _checked_path(ctx, filename)
    table = _table(ctx, handle)
    if not isinstance(table, _MapTable) or not table.initializable:
        raise InvalidArgumentError(f"{ctx.where}: Table {handle.container or 'localhost'} "
                                   f"{handle.shared_name} is not initializable")
    if len(delimiter.encode()) != 1:
        raise InvalidArgumentError(f"{ctx.where}: delimiter should be only 1 char")
    _check_text_indices(ctx, table, key_index, value_index)
    if table.initialized:  # TensorFlow skips re-initialization from a file
        return ()
    pairs = _text_pairs(ctx, paths, table, key_index, value_index, vocab_size, delimiter.encode(),
                        offset)
    table.initialize(ctx.where, pairs)
    return ()


def _initialize(ctx: KernelContext, handle: Any, keys: Any, values: Any, Tkey: Any,
                Tval: Any) -> tuple:
    table = _table(ctx, handle)
    table.signature(ctx.where, Tkey, Tval, has_output=False)
    if not isinstance(table, _MapTable) or not table.initializable:
        raise InvalidArgumentError(f"{ctx.where}: Table {handle.container or 'localhost'} "
                                   f"{handle.shared_name} is not initializable")
    keys, values = np.asarray(keys), np.asarray(values)
    if keys.ndim != 1:
        raise InvalidArgumentError(f"{ctx.where}: Keys must be a vector, but received "
                                   f"shape{_shape_str(keys.shape)}")
    if keys.size != values.size:
        raise InvalidArgumentError(f"{ctx.where}: Keys and values must have the same size "
                                   f"{keys.size} vs {values.size}")
    if keys.size == 0:
        raise InvalidArgumentError(f"{ctx.where}: keys and values cannot be empty tensors.")
    table.initialize(ctx.where, list(zip(keys.tolist(), values.reshape(-1).tolist())))
    return ()


# --------------------------------------------------------------------------------------------------
# Ops. Each V2 op's TF1 twin (ref-typed handle) shares its kernel.

_TABLE_ATTRS = ["container: string = ''", "shared_name: string = ''",
                "use_node_name_sharing: bool = false", "key_dtype: type", "value_dtype: type"]
_DENSE_ATTRS = ["container: string = ''", "shared_name: string = ''",
                "use_node_name_sharing: bool = false", "key_dtype: type", "value_dtype: type",
                "value_shape: shape = []", "initial_num_buckets: int = 131072",
                "max_load_factor: float = 0.8"]
_TEXT_ATTRS = ["key_index: int >= -2", "value_index: int >= -2", "vocab_size: int >= -1 = -1",
               "delimiter: string = '\t'", "offset: int = 0"]


def _hash_table(ctx: KernelContext, *, container: str, shared_name: str, key_dtype: Any,
                value_dtype: Any, **_: Any) -> tuple:
    return _create(ctx, container, shared_name,
                   lambda: _MapTable(key_dtype, value_dtype, initializable=True), key_dtype,
                   value_dtype)


def _mutable_hash_table(ctx: KernelContext, *, container: str, shared_name: str, key_dtype: Any,
                        value_dtype: Any, **_: Any) -> tuple:
    return _create(ctx, container, shared_name, lambda: _MapTable(key_dtype, value_dtype),
                   key_dtype, value_dtype)


def _mutable_hash_table_of_tensors(ctx: KernelContext, *, container: str, shared_name: str,
                                   key_dtype: Any, value_dtype: Any, value_shape: Any,
                                   **_: Any) -> tuple:
    factory = _tensors_factory(ctx, key_dtype, value_dtype, value_shape)
    return _create(ctx, container, shared_name, factory, key_dtype, value_dtype)


def _mutable_dense_hash_table(ctx: KernelContext, empty_key: Any, deleted_key: Any, *,
                              container: str, shared_name: str, key_dtype: Any, value_dtype: Any,
                              value_shape: Any, initial_num_buckets: int, max_load_factor: float,
                              **_: Any) -> tuple:
    factory = _dense_factory(ctx, empty_key, deleted_key, value_dtype, value_shape,
                             initial_num_buckets, max_load_factor)
    return _create(ctx, container, shared_name, factory, key_dtype, value_dtype)


def _find(ctx: KernelContext, table_handle: Any, keys: Any, default_value: Any, *, Tin: Any,
          Tout: Any) -> tuple:
    table = _table(ctx, table_handle)
    table.signature(ctx.where, Tin, Tout, has_output=True)
    keys, default = np.asarray(keys), np.asarray(default_value)
    table.check_find(ctx.where, keys, default)
    return (table.find(ctx.where, keys, default),)


def _insert(ctx: KernelContext, table_handle: Any, keys: Any, values: Any, *, Tin: Any,
            Tout: Any) -> tuple:
    table = _table(ctx, table_handle)
    table.signature(ctx.where, Tin, Tout, has_output=False)
    keys, values = np.asarray(keys), np.asarray(values)
    table.check_insert(ctx.where, keys, values)
    table.insert(ctx.where, keys, values)
    return ()


def _import(ctx: KernelContext, table_handle: Any, keys: Any, values: Any, *, Tin: Any,
            Tout: Any) -> tuple:
    table = _table(ctx, table_handle)
    table.signature(ctx.where, Tin, Tout, has_output=False)
    keys, values = np.asarray(keys), np.asarray(values)
    if isinstance(table, _DenseTable):
        table.check_import(ctx.where, keys, values)
    else:
        table.check_insert(ctx.where, keys, values)
    table.import_values(ctx.where, keys, values)
    return ()


def _export(ctx: KernelContext, table_handle: Any, *, Tkeys: Any, Tvalues: Any) -> tuple:
    table = _table(ctx, table_handle)
    if Tkeys != table.key_dtype or Tvalues != table.value_dtype:
        raise InvalidArgumentError(
            f"{ctx.where}: the table holds {_tf_name(table.key_dtype)}->"
            f"{_tf_name(table.value_dtype)}, but the op exports {_tf_name(Tkeys)}->"
            f"{_tf_name(Tvalues)}.")
    return table.export()


def _size(ctx: KernelContext, table_handle: Any) -> tuple:
    return (np.asarray(_table(ctx, table_handle).size(), dtype=np.int64),)


def _register_pair(name: str, inputs: list[str], outputs: list[str], attrs: list[str], kernel: Any,
                   v1_stateful: bool) -> None:
    """Registers ``<name>V2`` (resource handle) and ``<name>`` (TF1 Ref(string) handle).

    (TF1's MutableDenseHashTable has no deleted_key input and no working kernel, so it is left out.)
    """
    register_op(name + "V2", inputs=inputs, outputs=outputs, attrs=attrs, stateful=True)(kernel)
    ref = [s.replace("resource", "Ref(string)") for s in inputs]
    ref_out = [s.replace("resource", "Ref(string)") for s in outputs]
    register_op(name, inputs=ref, outputs=ref_out, attrs=attrs, stateful=v1_stateful)(kernel)


_TABLE_OUT = ["table_handle: resource"]
_register_pair("HashTable", [], _TABLE_OUT, _TABLE_ATTRS, _hash_table, True)
_register_pair("MutableHashTable", [], _TABLE_OUT, _TABLE_ATTRS, _mutable_hash_table, True)
_register_pair("MutableHashTableOfTensors", [], _TABLE_OUT,
               [*_TABLE_ATTRS, "value_shape: shape = []"], _mutable_hash_table_of_tensors, True)
register_op("MutableDenseHashTableV2", inputs=["empty_key: key_dtype", "deleted_key: key_dtype"],
            outputs=_TABLE_OUT, attrs=_DENSE_ATTRS, stateful=True)(_mutable_dense_hash_table)
_register_pair("LookupTableFind", ["table_handle: resource", "keys: Tin", "default_value: Tout"],
               ["values: Tout"], ["Tin: type", "Tout: type"], _find, False)
_register_pair("LookupTableInsert", ["table_handle: resource", "keys: Tin", "values: Tout"], [],
               ["Tin: type", "Tout: type"], _insert, False)
_register_pair("LookupTableImport", ["table_handle: resource", "keys: Tin", "values: Tout"], [],
               ["Tin: type", "Tout: type"], _import, False)
_register_pair("LookupTableExport", ["table_handle: resource"], ["keys: Tkeys", "values: Tvalues"],
               ["Tkeys: type", "Tvalues: type"], _export, False)
_register_pair("LookupTableSize", ["table_handle: resource"], ["size: int64"], [], _size, False)
_register_pair("InitializeTable", ["table_handle: resource", "keys: Tkey", "values: Tval"], [],
               ["Tkey: type", "Tval: type"], _initialize, False)
_register_pair("InitializeTableFromTextFile", ["table_handle: resource", "filename: string"], [],
               _TEXT_ATTRS, _initialize_from_text, False)


@register_op("AnonymousHashTable", outputs=["table_handle: resource"],
             attrs=["key_dtype: type", "value_dtype: type"], stateful=True)
def _anonymous_hash_table(ctx: KernelContext, *, key_dtype: Any, value_dtype: Any) -> tuple:
    return _anonymous(ctx, lambda: _MapTable(key_dtype, value_dtype, initializable=True))


@register_op("AnonymousMutableDenseHashTable",
             inputs=["empty_key: key_dtype", "deleted_key: key_dtype"],
             outputs=["table_handle: resource"],
             attrs=["key_dtype: type", "value_dtype: type", "value_shape: shape = []",
                    "initial_num_buckets: int = 131072", "max_load_factor: float = 0.8"],
             stateful=True)
def _anonymous_dense(ctx: KernelContext, empty_key: Any, deleted_key: Any, *, value_dtype: Any,
                     value_shape: Any, initial_num_buckets: int, max_load_factor: float,
                     **_: Any) -> tuple:
    return _anonymous(ctx, _dense_factory(ctx, empty_key, deleted_key, value_dtype, value_shape,
                                          initial_num_buckets, max_load_factor))


@register_op("AnonymousMutableHashTable", outputs=["table_handle: resource"],
             attrs=["key_dtype: type", "value_dtype: type"], stateful=True)
def _anonymous_mutable(ctx: KernelContext, *, key_dtype: Any, value_dtype: Any) -> tuple:
    return _anonymous(ctx, lambda: _MapTable(key_dtype, value_dtype))


@register_op("AnonymousMutableHashTableOfTensors", outputs=["table_handle: resource"],
             attrs=["key_dtype: type", "value_dtype: type", "value_shape: shape = []"],
             stateful=True)
def _anonymous_of_tensors(ctx: KernelContext, *, key_dtype: Any, value_dtype: Any,
                          value_shape: Any) -> tuple:
    return _anonymous(ctx, _tensors_factory(ctx, key_dtype, value_dtype, value_shape))


@register_op("LookupTableRemoveV2", inputs=["table_handle: resource", "keys: Tin"], outputs=[],
             attrs=["Tin: type"], stateful=True)
def _remove(ctx: KernelContext, table_handle: Any, keys: Any, *, Tin: Any) -> tuple:
    table = _table(ctx, table_handle)
    table.signature(ctx.where, Tin, None, has_output=False)
    keys = np.asarray(keys)
    table.check_key_shape(ctx.where, keys.shape)
    table.remove(ctx.where, keys)
    return ()
