"""tf.Example parsing (ParseExample, ParseExampleV2, ParseSingleExample) and raw/CSV decoding.

Mirrors ``tensorflow/core/ops/parsing_ops.cc`` and
``tensorflow/core/util/example_proto_fast_parsing.cc`` (the batch and single-example fast paths,
whose error messages differ and are both reproduced),
``decode_csv_op.cc`` and ``decode_raw_op.cc``. Examples are ``tensorflow.Example`` protos read with
``savedmodel._proto.example_pb2``. Dense features may be fixed-shape or variable-length (first
dimension unknown: rows padded with the scalar default); sparse features come out as
(indices, values, dense_shape); ragged ones as (values, row_splits).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np
from google.protobuf.message import DecodeError

from savedmodel._proto import example_pb2
from savedmodel.errors import InvalidArgumentError
from savedmodel.format import dtypes
from savedmodel.ops.context import KernelContext
from savedmodel.ops.registry import register_op
from savedmodel.ops.string_ops import parse_number

_LIST_KIND = {dtypes.FLOAT: "float_list", dtypes.INT64: "int64_list", dtypes.STRING: "bytes_list"}
_KIND_TYPE = {"float_list": "float", "int64_list": "int64", "bytes_list": "string"}
_VALUES_NAME = {"float_list": "float", "int64_list": "int64", "bytes_list": "bytes"}
_TYPE_NAME = {dtypes.FLOAT: "float", dtypes.INT64: "int64", dtypes.STRING: "string"}


def _tf_name(dtype: Any) -> str:
    return {"float32": "float", "float64": "double", "float16": "half"}.get(dtype.name, dtype.name)


def _shape_str(shape: Any) -> str:
    return "[" + ",".join("?" if d == -1 else str(d) for d in shape) + "]"


def _array(values: list, dtype: Any, shape: tuple) -> np.ndarray:
    if dtype.is_string:
        out = np.empty(len(values), dtype=object)
        out[:] = values
        return out.reshape(shape)
    return np.asarray(values, dtype=dtype.numpy).reshape(shape)


@dataclass(frozen=True)
class _Dense:
    key: str
    dtype: Any
    shape: tuple
    default: np.ndarray

    @property
    def variable(self) -> bool:
        return bool(self.shape) and self.shape[0] == -1


@dataclass(frozen=True)
class _Varlen:
    """A sparse or ragged feature: any number of values per example."""

    key: str
    dtype: Any
    splits: Any = None


class _Where:
    """Names one example in errors, the way the batch or single-example parser does."""

    def __init__(self, ctx: KernelContext, names: list[bytes], scalar: bool) -> None:
        self.ctx, self.names, self.scalar = ctx, names, scalar

    def error(self, index: int, key: str, text: str, single_text: str | None = None) -> Exception:
        if self.scalar:
            return InvalidArgumentError(f"{self.ctx.where}: Key: {key}.  {single_text or text}")
        return InvalidArgumentError(f"{self.ctx.where}: Name: {self._name(index)}, Key: {key}, "
                                    f"Index: {index}.  {text}")

    def required(self, index: int, key: str, dtype: Any) -> Exception:
        prefix = "" if self.scalar else f"Name: {self._name(index)}, "
        return InvalidArgumentError(f"{self.ctx.where}: {prefix}Feature: {key} (data type: "
                                    f"{_TYPE_NAME[dtype.enum]}) is required but could not be found.")

    def _name(self, index: int) -> str:
        return self.names[index].decode("utf-8", "replace") if self.names else "<unknown>"


def _parse(ctx: KernelContext, serialized: list[bytes]) -> list[Any]:
    """The feature map of each serialized Example."""
    maps = []
    for data in serialized:
        try:
            maps.append(example_pb2.Example.FromString(data).features.feature)
        except DecodeError:
            raise InvalidArgumentError(f"{ctx.where}: Could not parse example input, value: "
                                       f"'{data.decode('utf-8', 'backslashreplace')}'") from None
    return maps


def _present(feature_map: Any, key: str) -> Any:
    """The feature's value list, or None when absent or empty (no kind set)."""
    feature = feature_map.get(key)
    kind = None if feature is None else feature.WhichOneof("kind")
    return None if kind is None else (kind, getattr(feature, kind).value)


def _dense_values(where: _Where, index: int, spec: _Dense, found: Any) -> list:
    kind, values = found
    expected = _LIST_KIND[spec.dtype.enum]
    if kind != expected:
        raise where.error(index, spec.key, f"Data types don't match. Data type: {_KIND_TYPE[kind]} "
                                           f"but expected type: {_TYPE_NAME[spec.dtype.enum]}")
    count, name = len(values), _VALUES_NAME[kind]
    if spec.variable:
        stride = int(np.prod(spec.shape[1:], dtype=np.int64))
        if stride and count % stride:
            single = (f"Error while parsing feature with key {spec.key}: number of elements should "
                      f"be divisible by {stride}, found {count} instead")
            if where.scalar:
                raise InvalidArgumentError(f"{where.ctx.where}: {single}")
            raise where.error(index, spec.key, f"Number of {name} values is not a multiple of stride "
                                               f"length. Saw {count} values but output shape is: "
                                               f"{_shape_str(spec.shape)}")
        return list(values)
    size = int(np.prod(spec.shape, dtype=np.int64))
    if count != size:
        many_bytes = kind == "bytes_list" and count > size
        batch = ("Can't parse serialized Example." if many_bytes else
                 f"Number of {name} values != expected.  Values size: {count} but output shape: "
                 f"{_shape_str(spec.shape)}")
        single = "Can't parse serialized Example: " + (
            "Parsing bytes_list failed." if many_bytes else f"Some {kind} slice was not parsed.")
        raise where.error(index, spec.key, batch, single)
    return list(values)


def _dense_output(where: _Where, maps: list, spec: _Dense, scalar: bool) -> np.ndarray:
    rows = []
    for index, feature_map in enumerate(maps):
        found = _present(feature_map, spec.key)
        if found is None:
            if spec.default.size == 0 and not spec.variable:
                raise where.required(index, spec.key, spec.dtype)
            rows.append(None)
        else:
            rows.append(_dense_values(where, index, spec, found))
    if not spec.variable:
        flat = [v for row in rows for v in (spec.default.reshape(-1).tolist() if row is None
                                             else row)]
        return _array(flat, spec.dtype, (() if scalar else (len(maps),)) + spec.shape)
    inner = spec.shape[1:]
    stride = max(1, int(np.prod(inner, dtype=np.int64)))
    longest = max([len(r) // stride for r in rows if r is not None], default=0)
    pad = spec.default.reshape(-1)[0]
    out = np.full((len(maps), longest * stride), pad, dtype=spec.dtype.numpy)
    for index, row in enumerate(rows):
        if row:
            out[index, :len(row)] = _array(row, spec.dtype, (len(row),))
    shape = (longest,) + inner
    return out.reshape(shape if scalar else (len(maps),) + shape)


def _varlen_values(where: _Where, maps: list, spec: _Varlen) -> list[list]:
    columns = []
    for index, feature_map in enumerate(maps):
        found = _present(feature_map, spec.key)
        if found is None:
            columns.append([])
            continue
        kind, values = found
        if kind != _LIST_KIND[spec.dtype.enum]:
            raise where.error(index, spec.key, f"Data types don't match. Expected type: "
                                               f"{_TYPE_NAME[spec.dtype.enum]}, Actual type: "
                                               f"{_KIND_TYPE[kind]}")
        columns.append(list(values))
    return columns


def _sparse_output(where: _Where, maps: list, spec: _Varlen, scalar: bool) -> tuple:
    columns = _varlen_values(where, maps, spec)
    counts = np.asarray([len(c) for c in columns], dtype=np.int64)
    values = _array([v for c in columns for v in c], spec.dtype, (int(counts.sum()),))
    positions = np.concatenate([np.arange(n, dtype=np.int64) for n in counts] or
                               [np.zeros(0, np.int64)])
    longest = int(counts.max()) if counts.size else 0
    if scalar:
        return positions.reshape(-1, 1), values, np.asarray([longest], dtype=np.int64)
    rows = np.repeat(np.arange(len(maps), dtype=np.int64), counts)
    indices = np.stack([rows, positions], axis=1).reshape(-1, 2)
    return indices, values, np.asarray([len(maps), longest], dtype=np.int64)


def _ragged_output(where: _Where, maps: list, spec: _Varlen, scalar: bool) -> tuple:
    columns = _varlen_values(where, maps, spec)
    values = _array([v for c in columns for v in c], spec.dtype, (sum(map(len, columns)),))
    if scalar:
        return values, np.zeros(0, dtype=spec.splits.numpy)
    splits = np.concatenate([[0], np.cumsum([len(c) for c in columns])])
    return values, splits.astype(spec.splits.numpy)


def _dense_specs(ctx: KernelContext, keys: list[str], types: list[Any], shapes: list[Any],
                 defaults: list[Any]) -> list[_Dense]:
    if not (len(keys) == len(types) == len(shapes) == len(defaults)):
        raise InvalidArgumentError(f"{ctx.where}: {len(keys)} dense keys, {len(defaults)} "
                                   f"dense_defaults and {len(shapes)} dense_shapes must agree.")
    specs = []
    for index, (key, dtype, shape, default) in enumerate(zip(keys, types, shapes, defaults)):
        if shape is None or -1 in tuple(shape)[1:]:
            raise InvalidArgumentError(f"{ctx.where}: dense_shapes[{index}] ({shape}) may only have "
                                       "an unknown first dimension.")
        spec = _Dense(key, dtype, tuple(shape), np.asarray(default))
        if spec.variable and spec.default.size != 1:
            raise InvalidArgumentError(
                f"{ctx.where}: dense_shape[{index}] is a variable length shape: "
                f"{_shape_str(spec.shape)}, therefore def_value[{index}] must contain a single "
                f"element (the padding element).  But its shape is: "
                f"{_shape_str(spec.default.shape)}")
        if not spec.variable and spec.default.size and spec.default.shape != spec.shape:
            raise InvalidArgumentError(
                f"{ctx.where}: def_value[{index}].shape() == {_shape_str(spec.default.shape)} is "
                f"not compatible with dense_shapes_[{index}] == {_shape_str(spec.shape)}")
        specs.append(spec)
    return specs


def _string_list(value: Any) -> list[str]:
    return [v.decode() if isinstance(v, bytes) else str(v) for v in np.asarray(value).reshape(-1)]


def _run(ctx: KernelContext, serialized: np.ndarray, names: np.ndarray, sparse: list[_Varlen],
         dense: list[_Dense], ragged: list[_Varlen], scalar: bool) -> tuple:
    name_list = [n if isinstance(n, bytes) else str(n).encode() for n in names.reshape(-1)]
    where = _Where(ctx, name_list, scalar)
    maps = _parse(ctx, [s for s in serialized.reshape(-1)])
    sparse_out = [_sparse_output(where, maps, spec, scalar) for spec in sparse]
    dense_out = [_dense_output(where, maps, spec, scalar) for spec in dense]
    ragged_out = [_ragged_output(where, maps, spec, scalar) for spec in ragged]
    return ([s[0] for s in sparse_out], [s[1] for s in sparse_out], [s[2] for s in sparse_out],
            dense_out, [r[0] for r in ragged_out], [r[1] for r in ragged_out])


def _check_names(ctx: KernelContext, serialized: np.ndarray, names: np.ndarray) -> None:
    if names.size and names.shape != serialized.shape:
        raise InvalidArgumentError(
            f"{ctx.where}: Expected names have the same shape as serialized: name.shape="
            f"{_shape_str(names.shape)}, serialized.shape={_shape_str(serialized.shape)}")


# --------------------------------------------------------------------------------------------------
# Raw and CSV decoding.

def _decode_bytes(data: bytes, dtype: Any, little_endian: bool) -> np.ndarray:
    """Bytes as an array of ``dtype`` in the given byte order (bool: any nonzero byte is true)."""
    if dtype.numpy == np.bool_:
        return np.frombuffer(data, dtype=np.uint8) != 0
    values = np.frombuffer(data, dtype=dtype.numpy)
    if little_endian == (np.little_endian is True):
        return values.copy()
    if values.dtype.kind == "c":
        parts = values.view(np.float32 if values.itemsize == 8 else np.float64)
        return parts.byteswap().view(values.dtype)
    unsigned = np.dtype(f"u{values.itemsize}")
    return values.view(unsigned).byteswap().view(values.dtype)


def _csv_fields(ctx: KernelContext, record: bytes, delim: int, quotes: bool) -> list[bytes]:
    """DecodeCSVOp::ExtractFields (without column selection)."""
    if not record:
        return []
    if b"\n" not in record and b"\r" not in record and (not quotes or b'"' not in record):
        return record.split(bytes([delim]))
    fields, i, size = [], 0, len(record)
    while i < size:
        if record[i] in b"\r\n":
            i += 1
            continue
        field = bytearray()
        if quotes and record[i] == 0x22:
            i += 1
            while i < size - 1 and (record[i] != 0x22 or record[i + 1] != delim):
                if record[i] != 0x22:
                    field.append(record[i])
                    i += 1
                elif record[i + 1] == 0x22:
                    field.append(0x22)
                    i += 2
                else:
                    raise InvalidArgumentError(f"{ctx.where}: Quote inside a string has to be "
                                               "escaped by another quote")
            if not (i < size and record[i] == 0x22 and (i == size - 1 or record[i + 1] == delim)):
                raise InvalidArgumentError(f"{ctx.where}: Quoted field has to end with quote "
                                           "followed by delim or end")
            i += 2
        else:
            while i < size and record[i] != delim:
                if (quotes and record[i] == 0x22) or record[i] in b"\r\n":
                    raise InvalidArgumentError(f"{ctx.where}: Unquoted fields cannot have "
                                               "quotes/CRLFs inside")
                field.append(record[i])
                i += 1
            i += 1
        fields.append(bytes(field))
    if record[-1] == delim:
        fields.append(b"")
    return fields


def _csv_value(ctx: KernelContext, field: bytes, default: np.ndarray, dtype: Any, column: int,
               row: int, na_value: bytes) -> Any:
    if not field or field == na_value:
        if default.size != 1:
            raise InvalidArgumentError(f"{ctx.where}: Field {column} is required but missing in "
                                       f"record {row}!")
        return default.reshape(-1)[0]
    if dtype.is_string:
        return field
    value = parse_number(field, dtype)
    if value is None:
        raise InvalidArgumentError(f"{ctx.where}: Field {column} in record {row} is not a valid "
                                   f"{_tf_name(dtype)}: {field.decode('utf-8', 'replace')}")
    return value


@register_op("DecodeCSV", inputs=["records: string", "record_defaults: OUT_TYPE"],
             outputs=["output: OUT_TYPE"],
             attrs=["OUT_TYPE: list(type) {float, double, int32, int64, string}",
                    "field_delim: string = ','", "use_quote_delim: bool = true",
                    "na_value: string = ''", "select_cols: list(int) = []"])
def _decode_csv(ctx: KernelContext, records: Any, record_defaults: list, *, OUT_TYPE: list,
                field_delim: str, use_quote_delim: bool, na_value: str,
                select_cols: list[int]) -> tuple:
    if select_cols and len(select_cols) != len(OUT_TYPE):
        raise InvalidArgumentError(f"{ctx.where}: select_cols should match output size")
    if any(a >= b for a, b in itertools.pairwise(select_cols)):
        raise InvalidArgumentError(f"{ctx.where}: select_cols should be strictly increasing indices")
    if select_cols and select_cols[0] < 0:
        raise InvalidArgumentError(f"{ctx.where}: select_cols should be non-negative indices")
    if len(field_delim.encode()) != 1:
        raise InvalidArgumentError(f"{ctx.where}: field_delim should be only 1 char")
    defaults = [np.asarray(d) for d in record_defaults]
    for index, default in enumerate(defaults):
        if default.ndim > 1:
            raise InvalidArgumentError(f"{ctx.where}: Each record default should be at most rank 1")
        if default.size > 1:
            raise InvalidArgumentError(f"{ctx.where}: There should only be 1 default per field but "
                                       f"field {index} has {default.size}")
    array = np.asarray(records)
    columns: list[list] = [[] for _ in OUT_TYPE]
    for row, record in enumerate(array.reshape(-1).tolist()):
        fields = _csv_fields(ctx, record, field_delim.encode()[0], use_quote_delim)
        if select_cols:
            fields = [fields[c] for c in select_cols if c < len(fields)]
        if len(fields) != len(OUT_TYPE):
            raise InvalidArgumentError(f"{ctx.where}: Expect {len(OUT_TYPE)} fields but have "
                                       f"{len(fields)} in record {row}")
        for column, (field, default, dtype) in enumerate(zip(fields, defaults, OUT_TYPE)):
            columns[column].append(_csv_value(ctx, field, default, dtype, column, row,
                                              na_value.encode()))
    return ([_array(c, t, array.shape) for c, t in zip(columns, OUT_TYPE)],)


@register_op("DecodePaddedRaw", inputs=["input_bytes: string", "fixed_length: int32"],
             outputs=["output: out_type"],
             attrs=[("out_type: type {half, float, double, int32, uint16, uint8, int16, int8, "
                     "int64, bfloat16}"), "little_endian: bool = true"])
def _decode_padded_raw(ctx: KernelContext, input_bytes: Any, fixed_length: Any, *, out_type: Any,
                       little_endian: bool) -> tuple:
    length = int(np.asarray(fixed_length))
    width = out_type.numpy.itemsize
    if length % width:
        raise InvalidArgumentError(f"{ctx.where}: fixed_length ({length}) must be a multiple of the "
                                   f"size of out_type ({width})")
    array = np.asarray(input_bytes)
    data = b"".join(s[:length].ljust(length, b"\0") for s in array.reshape(-1).tolist())
    values = _decode_bytes(data, out_type, little_endian)
    return (values.reshape(array.shape + (length // width,)),)


@register_op("DecodeRaw", inputs=["bytes: string"], outputs=["output: out_type"],
             attrs=[("out_type: type {half, float, double, int32, uint16, uint8, int16, int8, "
                     "int64, complex64, complex128, bool, bfloat16}"), "little_endian: bool = true"])
def _decode_raw(ctx: KernelContext, bytes: Any, *, out_type: Any, little_endian: bool) -> tuple:
    array = np.asarray(bytes)
    strings = array.reshape(-1).tolist()
    if not strings:
        return (np.zeros(array.shape + (0,), dtype=out_type.numpy),)
    width = out_type.numpy.itemsize
    size = len(strings[0])
    if size % width:
        raise InvalidArgumentError(f"{ctx.where}: Input to DecodeRaw has length {size} that is not "
                                   f"a multiple of {width}, the size of {_tf_name(out_type)}")
    for index, data in enumerate(strings):
        if len(data) != size:
            raise InvalidArgumentError(f"{ctx.where}: DecodeRaw requires input strings to all be "
                                       f"the same size, but element {index} has size {size} != "
                                       f"{len(data)}")
    values = _decode_bytes(b"".join(strings), out_type, little_endian)
    return (values.reshape(array.shape + (size // width,)),)


# --------------------------------------------------------------------------------------------------
# Example parsing ops.

@register_op("ParseExample",
             inputs=["serialized: string", "names: string", "sparse_keys: Nsparse * string",
                     "dense_keys: Ndense * string", "dense_defaults: Tdense"],
             outputs=["sparse_indices: Nsparse * int64", "sparse_values: sparse_types",
                      "sparse_shapes: Nsparse * int64", "dense_values: Tdense"],
             attrs=["Nsparse: int >= 0", "Ndense: int >= 0",
                    "sparse_types: list(type) {float, int64, string}",
                    "Tdense: list(type) {float, int64, string}", "dense_shapes: list(shape) >= 0"])
def _parse_example(ctx: KernelContext, serialized: Any, names: Any, sparse_keys: list,
                   dense_keys: list, dense_defaults: list, *, sparse_types: list, Tdense: list,
                   dense_shapes: list, **_: Any) -> tuple:
    serialized, names = np.asarray(serialized), np.asarray(names)
    if serialized.ndim != 1:
        raise InvalidArgumentError(f"{ctx.where}: Expected serialized to be a vector, got shape: "
                                   f"{_shape_str(serialized.shape)}")
    _check_names(ctx, serialized, names)
    sparse = [_Varlen(_string_list(k)[0], t) for k, t in zip(sparse_keys, sparse_types)]
    dense = _dense_specs(ctx, [_string_list(k)[0] for k in dense_keys], Tdense, dense_shapes,
                         dense_defaults)
    return _run(ctx, serialized, names, sparse, dense, [], scalar=False)[:4]


@register_op("ParseExampleV2",
             inputs=["serialized: string", "names: string", "sparse_keys: string",
                     "dense_keys: string", "ragged_keys: string", "dense_defaults: Tdense"],
             outputs=["sparse_indices: num_sparse * int64", "sparse_values: sparse_types",
                      "sparse_shapes: num_sparse * int64", "dense_values: Tdense",
                      "ragged_values: ragged_value_types", "ragged_row_splits: ragged_split_types"],
             attrs=["Tdense: list(type) {float, int64, string}", "num_sparse: int >= 0",
                    "sparse_types: list(type) {float, int64, string}",
                    "ragged_value_types: list(type) {float, int64, string}",
                    "ragged_split_types: list(type) {int32, int64}",
                    "dense_shapes: list(shape) >= 0"])
def _parse_example_v2(ctx: KernelContext, serialized: Any, names: Any, sparse_keys: Any,
                      dense_keys: Any, ragged_keys: Any, dense_defaults: list, *, Tdense: list,
                      num_sparse: int, sparse_types: list, ragged_value_types: list,
                      ragged_split_types: list, dense_shapes: list) -> tuple:
    serialized, names = np.asarray(serialized), np.asarray(names)
    if serialized.ndim > 1:
        raise InvalidArgumentError(f"{ctx.where}: Expected serialized to be a scalar or vector, got "
                                   f"shape: {_shape_str(serialized.shape)}")
    _check_names(ctx, serialized, names)
    sparse_names, ragged_names = _string_list(sparse_keys), _string_list(ragged_keys)
    if len(sparse_names) != num_sparse or len(sparse_types) != num_sparse:
        raise InvalidArgumentError(f"{ctx.where}: Expected len(sparse_keys) == num_sparse == "
                                   f"len(sparse_types), got {len(sparse_names)}, {num_sparse}, "
                                   f"{len(sparse_types)}.")
    if not len(ragged_names) == len(ragged_value_types) == len(ragged_split_types):
        raise InvalidArgumentError(f"{ctx.where}: Expected len(ragged_keys) == "
                                   "len(ragged_value_types) == len(ragged_split_types).")
    sparse = [_Varlen(k, t) for k, t in zip(sparse_names, sparse_types)]
    dense = _dense_specs(ctx, _string_list(dense_keys), Tdense, dense_shapes, dense_defaults)
    ragged = [_Varlen(k, t, s) for k, t, s in zip(ragged_names, ragged_value_types,
                                                  ragged_split_types)]
    return _run(ctx, serialized, names, sparse, dense, ragged, scalar=serialized.ndim == 0)


@register_op("ParseSingleExample", inputs=["serialized: string", "dense_defaults: Tdense"],
             outputs=["sparse_indices: num_sparse * int64", "sparse_values: sparse_types",
                      "sparse_shapes: num_sparse * int64", "dense_values: Tdense"],
             attrs=["num_sparse: int >= 0", "sparse_keys: list(string) >= 0",
                    "dense_keys: list(string) >= 0",
                    "sparse_types: list(type) {float, int64, string}",
                    "Tdense: list(type) {float, int64, string}", "dense_shapes: list(shape) >= 0"])
def _parse_single_example(ctx: KernelContext, serialized: Any, dense_defaults: list, *,
                          num_sparse: int, sparse_keys: list[str], dense_keys: list[str],
                          sparse_types: list, Tdense: list, dense_shapes: list) -> tuple:
    serialized = np.asarray(serialized)
    if serialized.ndim != 0:
        raise InvalidArgumentError(f"{ctx.where}: Expected serialized to be a scalar, got shape: "
                                   f"{_shape_str(serialized.shape)}")
    sparse = [_Varlen(k, t) for k, t in zip(sparse_keys, sparse_types)]
    dense = _dense_specs(ctx, dense_keys, Tdense, dense_shapes, dense_defaults)
    return _run(ctx, serialized, np.asarray([], dtype=object), sparse, dense, [], scalar=True)[:4]
