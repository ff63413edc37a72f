"""TensorProto <-> NumPy conversion (``tensorflow/core/framework/tensor.proto``).

A TensorProto holds its values either as ``tensor_content`` (raw little-endian, row-major bytes) or in
the typed repeated field of its dtype (``float_val``, ``int_val`` for 8/16/32-bit ints, ``half_val``
for float16 and bfloat16 bit patterns, ``scomplex_val`` interleaved real/imag, ``string_val`` …).
A typed field shorter than the shape is padded with its last element (all zeros when empty), as
TensorFlow does. Shapes come from untrusted files, so the element count is checked against a byte
budget before anything is allocated.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from savedmodel._proto import tensor_pb2, tensor_shape_pb2
from savedmodel.errors import InvalidArgumentError, ResourceExhaustedError
from savedmodel.format import dtypes

# Bytes one decoded tensor may occupy; shapes from a file are checked against it before allocating.
DEFAULT_MAX_TENSOR_BYTES = 1 << 34

# Typed value field of each dtype; float16 and bfloat16 share half_val (uint16 bit patterns).
_VALUE_FIELD: dict[int, str] = {
    dtypes.FLOAT: "float_val",
    dtypes.DOUBLE: "double_val",
    dtypes.INT32: "int_val",
    dtypes.UINT8: "int_val",
    dtypes.INT16: "int_val",
    dtypes.INT8: "int_val",
    dtypes.UINT16: "int_val",
    dtypes.QINT8: "int_val",
    dtypes.QUINT8: "int_val",
    dtypes.QINT16: "int_val",
    dtypes.QUINT16: "int_val",
    dtypes.QINT32: "int_val",
    dtypes.INT64: "int64_val",
    dtypes.BOOL: "bool_val",
    dtypes.HALF: "half_val",
    dtypes.BFLOAT16: "half_val",
    dtypes.COMPLEX64: "scomplex_val",
    dtypes.COMPLEX128: "dcomplex_val",
    dtypes.UINT32: "uint32_val",
    dtypes.UINT64: "uint64_val",
    dtypes.STRING: "string_val",
}


def shape_from_proto(shape: tensor_shape_pb2.TensorShapeProto) -> tuple[int, ...] | None:
    """Dims of a TensorShapeProto, -1 for unknown ones; None for unknown rank."""
    if shape.unknown_rank:
        return None
    return tuple(int(d.size) for d in shape.dim)


def shape_to_proto(shape: Sequence[int | None] | None) -> tensor_shape_pb2.TensorShapeProto:
    """TensorShapeProto for dims (None or -1 = unknown); ``None`` gives unknown rank."""
    proto = tensor_shape_pb2.TensorShapeProto()
    if shape is None:
        proto.unknown_rank = True
        return proto
    for size in shape:
        proto.dim.add().size = -1 if size is None else int(size)
    return proto


def _checked_count(shape: tuple[int, ...], itemsize: int, max_bytes: int, where: str) -> int:
    count = 1
    for size in shape:
        if size < 0:
            raise InvalidArgumentError(
                f"{where}: tensor shape {shape} has an unknown or negative dimension; a constant "
                "tensor needs a fully defined shape.")
        count *= size
    if count * max(itemsize, 1) > max_bytes:
        raise ResourceExhaustedError(
            f"{where}: tensor of shape {shape} needs {count * max(itemsize, 1)} bytes, over the "
            f"limit of {max_bytes} bytes. Raise the limit if the model is trusted.")
    return count


def to_ndarray(proto: tensor_pb2.TensorProto, *, max_bytes: int = DEFAULT_MAX_TENSOR_BYTES,
               where: str = "TensorProto") -> np.ndarray:
    """Decodes a TensorProto into a new ndarray (strings as an object array of ``bytes``).

    Raises InvalidArgumentError when the content does not fit the dtype and shape, and
    ResourceExhaustedError when the shape asks for more than ``max_bytes``.
    """
    dtype = dtypes.as_dtype(proto.dtype)
    if dtype.numpy is None:
        raise InvalidArgumentError(f"{where}: cannot decode a {dtype.name} tensor into an array.")
    shape = shape_from_proto(proto.tensor_shape)
    if shape is None:
        raise InvalidArgumentError(f"{where}: tensor has unknown rank; a constant needs a shape.")
    count = _checked_count(shape, dtype.itemsize, max_bytes, where)
    if proto.tensor_content and dtype.enum != dtypes.STRING:
        return _from_content(proto.tensor_content, dtype, shape, count, where)
    return _from_typed_values(proto, dtype, shape, count, where)


def _from_content(content: bytes, dtype: dtypes.DType, shape: tuple[int, ...], count: int,
                  where: str) -> np.ndarray:
    expected = count * dtype.itemsize
    if len(content) != expected:
        raise InvalidArgumentError(
            f"{where}: tensor_content holds {len(content)} bytes, expected {expected} for "
            f"{dtype.name} of shape {shape}.")
    little = dtype.numpy.newbyteorder("<")
    return np.frombuffer(content, dtype=little).astype(dtype.numpy, copy=True).reshape(shape)


def _typed_values(proto: tensor_pb2.TensorProto, dtype: dtypes.DType) -> np.ndarray:
    field = _VALUE_FIELD.get(dtype.enum)
    if field is None:
        raise InvalidArgumentError(f"TensorProto of dtype {dtype.name} has no value field.")
    raw = getattr(proto, field)
    if dtype.enum == dtypes.STRING:
        values = np.empty(len(raw), dtype=object)
        values[:] = list(raw)
        return values
    if field == "half_val":
        return np.fromiter(raw, dtype=np.uint16, count=len(raw)).view(dtype.numpy)
    if field in ("scomplex_val", "dcomplex_val"):
        parts = np.asarray(raw, dtype=np.float32 if field == "scomplex_val" else np.float64)
        return parts[: len(parts) // 2 * 2].view(dtype.numpy)
    return np.asarray(raw).astype(dtype.numpy)


def _from_typed_values(proto: tensor_pb2.TensorProto, dtype: dtypes.DType, shape: tuple[int, ...],
                       count: int, where: str) -> np.ndarray:
    values = _typed_values(proto, dtype)
    if values.size > count:
        raise InvalidArgumentError(
            f"{where}: {values.size} values for a {dtype.name} tensor of shape {shape} "
            f"({count} elements).")
    if values.size == count:
        return values.reshape(shape)
    fill = values[-1] if values.size else (b"" if dtype.enum == dtypes.STRING else 0)
    out = np.empty(count, dtype=dtype.numpy) if dtype.enum == dtypes.STRING else np.zeros(
        count, dtype=dtype.numpy)
    out[: values.size] = values
    out[values.size:] = fill
    return out.reshape(shape)


def _as_bytes(value: object) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, np.bytes_):
        return bytes(value)
    raise InvalidArgumentError(f"Expected bytes or str for a string tensor, got {type(value).__name__}.")


def as_string_array(values: object) -> np.ndarray:
    """Object array of ``bytes`` from str/bytes scalars, nested lists or any NumPy string array."""
    array = np.asarray(values, dtype=object)
    out = np.empty(array.shape, dtype=object)
    flat_out = out.reshape(-1)
    for i, item in enumerate(array.reshape(-1)):
        flat_out[i] = _as_bytes(item)
    return out


def from_ndarray(values: object, dtype: object = None,
                 shape: Iterable[int] | None = None) -> tensor_pb2.TensorProto:
    """Encodes values into a TensorProto the way TensorFlow's Python does.

    Numeric arrays go to ``tensor_content``; strings to ``string_val``; a scalar given with a larger
    ``shape`` is stored once in the typed field (TensorFlow's splat form).
    """
    target = dtypes.as_dtype(dtype) if dtype is not None else None
    if (target is not None and target.enum == dtypes.STRING) or _is_string_like(values):
        array = as_string_array(values)
        target = dtypes.as_dtype(dtypes.STRING)
    else:
        array = np.asarray(values, dtype=None if target is None else target.numpy)
        target = target or dtypes.as_dtype(array.dtype)
    proto = tensor_pb2.TensorProto(dtype=target.enum)
    full_shape = tuple(array.shape) if shape is None else tuple(int(s) for s in shape)
    proto.tensor_shape.CopyFrom(shape_to_proto(full_shape))
    if array.shape != full_shape:
        if array.size != 1:
            raise InvalidArgumentError(
                f"Cannot build a tensor of shape {full_shape} from values of shape {array.shape}.")
        _append_typed(proto, target, array.reshape(-1))
    elif target.enum == dtypes.STRING:
        proto.string_val.extend(array.reshape(-1).tolist())
    else:
        proto.tensor_content = np.ascontiguousarray(array, dtype=target.numpy.newbyteorder("<")).tobytes()
    return proto


def _is_string_like(values: object) -> bool:
    if isinstance(values, (bytes, str)):
        return True
    if isinstance(values, np.ndarray):
        return values.dtype.kind in "SU" or (
            values.dtype == object and values.size > 0 and isinstance(values.flat[0], (bytes, str)))
    if isinstance(values, (list, tuple)):
        flat = np.asarray(values, dtype=object).reshape(-1)
        return flat.size > 0 and isinstance(flat[0], (bytes, str))
    return False


def _append_typed(proto: tensor_pb2.TensorProto, dtype: dtypes.DType, flat: np.ndarray) -> None:
    field = getattr(proto, _VALUE_FIELD[dtype.enum])
    if dtype.enum == dtypes.STRING:
        field.extend(flat.tolist())
    elif dtype.enum in (dtypes.HALF, dtypes.BFLOAT16):
        field.extend(flat.astype(dtype.numpy).view(np.uint16).astype(np.int32).tolist())
    elif dtype.enum in (dtypes.COMPLEX64, dtypes.COMPLEX128):
        pairs = np.stack([flat.real, flat.imag], axis=-1).reshape(-1)
        field.extend(pairs.tolist())
    else:
        field.extend(flat.astype(dtype.numpy).tolist())
