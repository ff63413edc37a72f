"""The one exception tree of savedmodel; every layer may import it.

It mirrors ``tf.errors`` so that code written for TensorFlow keeps catching the same names, and adds
format errors for untrusted files::

    SavedModelError
    ├── OpError                          (tf.errors.OpError: message, node_def, op, error_code)
    │   ├── CancelledError               1
    │   ├── UnknownError                 2
    │   ├── InvalidArgumentError         3
    │   ├── DeadlineExceededError        4
    │   ├── NotFoundError                5
    │   ├── AlreadyExistsError           6
    │   ├── PermissionDeniedError        7
    │   ├── ResourceExhaustedError       8
    │   ├── FailedPreconditionError      9
    │   ├── AbortedError                10
    │   ├── OutOfRangeError             11
    │   ├── UnimplementedError          12
    │   │   └── UnsupportedOpError          an op the registry has no kernel for
    │   ├── InternalError               13
    │   ├── UnavailableError            14
    │   ├── DataLossError               15
    │   │   └── FormatError                 a file that breaks its format's rules
    │   │       ├── TruncatedFileError      shorter than its own fields say
    │   │       ├── ChecksumMismatchError   a CRC32C that does not match
    │   │       └── BadOffsetError          an offset/size/shard outside the file
    │   └── UnauthenticatedError        16
    ├── SavedModelValueError (ValueError)   a bad argument a user can fix
    └── SavedModelTypeError (TypeError)     an argument of the wrong kind

The numeric codes are TensorFlow's ``error_codes.proto`` values, which serving maps to HTTP and gRPC.
"""

from __future__ import annotations

from typing import Any


class SavedModelError(Exception):
    """Root of every error savedmodel raises on purpose."""


class OpError(SavedModelError):
    """A failure while reading or running a model (``tf.errors.OpError``)."""

    error_code = 2

    def __init__(self, message: str, node_def: Any = None, op: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.node_def = node_def
        self.op = op

    def __str__(self) -> str:
        return self.message


class CancelledError(OpError):
    error_code = 1


class UnknownError(OpError):
    error_code = 2


class InvalidArgumentError(OpError):
    error_code = 3


class DeadlineExceededError(OpError):
    error_code = 4


class NotFoundError(OpError):
    error_code = 5


class AlreadyExistsError(OpError):
    error_code = 6


class PermissionDeniedError(OpError):
    error_code = 7


class ResourceExhaustedError(OpError):
    error_code = 8


class FailedPreconditionError(OpError):
    error_code = 9


class AbortedError(OpError):
    error_code = 10


class OutOfRangeError(OpError):
    error_code = 11


class UnimplementedError(OpError):
    error_code = 12


class InternalError(OpError):
    error_code = 13


class UnavailableError(OpError):
    error_code = 14


class DataLossError(OpError):
    error_code = 15


class UnauthenticatedError(OpError):
    error_code = 16


class UnsupportedOpError(UnimplementedError):
    """The model uses ops without a kernel; ``ops`` maps each op name to the nodes using it."""

    def __init__(self, message: str, ops: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.ops = dict(ops or {})


class FormatError(DataLossError):
    """A file does not follow its format; the message names the file and the field."""


class TruncatedFileError(FormatError):
    pass


class ChecksumMismatchError(FormatError):
    pass


class BadOffsetError(FormatError):
    pass


class SavedModelValueError(SavedModelError, ValueError):
    pass


class SavedModelTypeError(SavedModelError, TypeError):
    pass


ERROR_CODE_TO_CLASS: dict[int, type[OpError]] = {
    cls.error_code: cls
    for cls in (
        CancelledError, UnknownError, InvalidArgumentError, DeadlineExceededError, NotFoundError,
        AlreadyExistsError, PermissionDeniedError, ResourceExhaustedError, FailedPreconditionError,
        AbortedError, OutOfRangeError, UnimplementedError, InternalError, UnavailableError,
        DataLossError, UnauthenticatedError,
    )
}
