"""The private descriptor pool that holds savedmodel's TensorFlow-compatible protos.

Our messages have TensorFlow's full names (``tensorflow.SavedModel``, ...), so that text
format and ``Any`` type URLs match TensorFlow's. Registering them in protobuf's default pool
would clash with TensorFlow's own generated modules when both are imported in one process,
so every generated ``*_pb2`` module in this package adds its file to ``POOL`` instead.

``POOL`` starts with the well-known types our files import (``google/protobuf/any.proto``,
``google/protobuf/wrappers.proto``), copied from protobuf's own descriptors.

May import: google.protobuf only.
"""

from __future__ import annotations

from google.protobuf import any_pb2, descriptor_pool, wrappers_pb2

POOL = descriptor_pool.DescriptorPool()

for _wkt in (any_pb2, wrappers_pb2):
    POOL.AddSerializedFile(_wkt.DESCRIPTOR.serialized_pb)
del _wkt
