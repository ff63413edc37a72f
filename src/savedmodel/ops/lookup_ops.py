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
    InvalidArgumentError,
    NotFoundError,
    OutOfRangeError,
    PermissionDeniedError,
)
from savedmodel.format import dtypes
from savedmodel.ops._lookup_tables import (
    _DenseTable,
    _MapTable,
    _shape_str,
    _Table,
    _tf_name,
)
from savedmodel.ops.context import KernelContext, ResourceHandle
from savedmodel.ops.registry import register_op
from savedmodel.ops.string_ops import parse_number

_ANONYMOUS = itertools.count()


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
