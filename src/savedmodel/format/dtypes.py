"""The DataType <-> NumPy dtype table: the single source of truth for element types.

Mirrors ``tensorflow/core/framework/types.proto`` (enum values) and ``tf.dtypes`` (names). Strings are
held as NumPy ``object`` arrays of ``bytes``; bfloat16 and the float8 types come from ``ml_dtypes``.
Reference types (``*_REF``, enum + 100) appear in TF1 graphs and map to their base type.
"""

from __future__ import annotations

from dataclasses import dataclass

import ml_dtypes
import numpy as np

from savedmodel.errors import SavedModelTypeError

REF_OFFSET = 100


@dataclass(frozen=True)
class DType:
    """One TensorFlow element type: its enum value, TF name and NumPy dtype (None when it has none)."""

    enum: int
    name: str
    numpy: np.dtype | None

    @property
    def is_string(self) -> bool:
        return self.enum == STRING

    @property
    def itemsize(self) -> int:
        """Bytes per element in a bundle or ``tensor_content``; 0 when not fixed-size."""
        return 0 if self.numpy is None or self.numpy == np.dtype(object) else self.numpy.itemsize

    def __repr__(self) -> str:
        return f"tf.{self.name}"


# Enum values of tensorflow.DataType (types.proto).
INVALID, FLOAT, DOUBLE, INT32, UINT8, INT16, INT8, STRING, COMPLEX64, INT64, BOOL = range(11)
QINT8, QUINT8, QINT32, BFLOAT16, QINT16, QUINT16, UINT16, COMPLEX128, HALF = range(11, 20)
RESOURCE, VARIANT, UINT32, UINT64 = 20, 21, 22, 23
FLOAT8_E5M2, FLOAT8_E4M3FN, FLOAT8_E4M3FNUZ, FLOAT8_E4M3B11FNUZ, FLOAT8_E5M2FNUZ = 24, 25, 26, 27, 28
INT4, UINT4, INT2, UINT2, FLOAT4_E2M1FN = 29, 30, 31, 32, 33

_ROWS: list[tuple[int, str, object]] = [
    (FLOAT, "float32", np.float32),
    (DOUBLE, "float64", np.float64),
    (INT32, "int32", np.int32),
    (UINT8, "uint8", np.uint8),
    (INT16, "int16", np.int16),
    (INT8, "int8", np.int8),
    (STRING, "string", object),
    (COMPLEX64, "complex64", np.complex64),
    (INT64, "int64", np.int64),
    (BOOL, "bool", np.bool_),
    (QINT8, "qint8", np.int8),
    (QUINT8, "quint8", np.uint8),
    (QINT32, "qint32", np.int32),
    (BFLOAT16, "bfloat16", ml_dtypes.bfloat16),
    (QINT16, "qint16", np.int16),
    (QUINT16, "quint16", np.uint16),
    (UINT16, "uint16", np.uint16),
    (COMPLEX128, "complex128", np.complex128),
    (HALF, "float16", np.float16),
    (RESOURCE, "resource", None),
    (VARIANT, "variant", None),
    (UINT32, "uint32", np.uint32),
    (UINT64, "uint64", np.uint64),
    (FLOAT8_E5M2, "float8_e5m2", ml_dtypes.float8_e5m2),
    (FLOAT8_E4M3FN, "float8_e4m3fn", ml_dtypes.float8_e4m3fn),
    (FLOAT8_E4M3FNUZ, "float8_e4m3fnuz", ml_dtypes.float8_e4m3fnuz),
    (FLOAT8_E4M3B11FNUZ, "float8_e4m3b11fnuz", ml_dtypes.float8_e4m3b11fnuz),
    (FLOAT8_E5M2FNUZ, "float8_e5m2fnuz", ml_dtypes.float8_e5m2fnuz),
    (INT4, "int4", ml_dtypes.int4),
    (UINT4, "uint4", ml_dtypes.uint4),
    (INT2, "int2", getattr(ml_dtypes, "int2", None)),
    (UINT2, "uint2", getattr(ml_dtypes, "uint2", None)),
    (FLOAT4_E2M1FN, "float4_e2m1fn", getattr(ml_dtypes, "float4_e2m1fn", None)),
]

BY_ENUM: dict[int, DType] = {
    enum: DType(enum, name, None if np_type is None else np.dtype(np_type)) for enum, name, np_type in _ROWS
}
BY_NAME: dict[str, DType] = {d.name: d for d in BY_ENUM.values()}
BY_NAME.update({"half": BY_ENUM[HALF], "float": BY_ENUM[FLOAT], "double": BY_ENUM[DOUBLE]})

# The NumPy -> TF direction prefers the plain types over the quantized ones that share a NumPy type.
_BY_NUMPY: dict[np.dtype, DType] = {}
for _d in BY_ENUM.values():
    if _d.numpy is not None and not _d.name.startswith("q"):
        _BY_NUMPY.setdefault(_d.numpy, _d)


def as_dtype(value: object) -> DType:
    """Returns the DType for an enum value, a TF name, a NumPy dtype or type, or a DType.

    Raises SavedModelTypeError naming the value when there is no such TensorFlow type.
    """
    if isinstance(value, DType):
        return value
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        enum = int(value)
        base = enum - REF_OFFSET if enum > REF_OFFSET else enum
        if base in BY_ENUM:
            return BY_ENUM[base]
        raise SavedModelTypeError(f"Unknown DataType enum value {enum}: expected one of "
                                  f"{sorted(BY_ENUM)} (or those + {REF_OFFSET} for reference types).")
    if isinstance(value, str):
        key = value[3:] if value.startswith("tf.") else value
        key = key.lower().removeprefix("dt_")
        if key in BY_NAME:
            return BY_NAME[key]
        raise SavedModelTypeError(f"Unknown dtype name {value!r}.")
    if value is bytes or value is str:
        return BY_ENUM[STRING]
    try:
        np_dtype = np.dtype(value)  # type: ignore[call-overload]
    except TypeError:
        raise SavedModelTypeError(f"Cannot convert {value!r} to a TensorFlow dtype.") from None
    if np_dtype.kind in "SUO":
        return BY_ENUM[STRING]
    if np_dtype in _BY_NUMPY:
        return _BY_NUMPY[np_dtype]
    raise SavedModelTypeError(f"NumPy dtype {np_dtype} has no TensorFlow equivalent.")


def is_ref(enum: int) -> bool:
    """True for the ``*_REF`` types of TF1 reference variables."""
    return enum > REF_OFFSET


def numpy_dtype(enum: int) -> np.dtype:
    """NumPy dtype for a DataType enum; strings give ``object``; resource/variant are refused."""
    dtype = as_dtype(enum)
    if dtype.numpy is None:
        raise SavedModelTypeError(f"DataType {dtype.name} has no NumPy representation.")
    return dtype.numpy
