"""Lookup-table kernels against TensorFlow's ``tf.raw_ops``: creation, initialization (from tensors
and from text files, with the file-access checks), find/insert/remove/import/export and errors."""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

import savedmodel.ops.lookup_ops  # noqa: F401  (registers the family)
from savedmodel.errors import (
    FailedPreconditionError,
    InvalidArgumentError,
    NotFoundError,
    OutOfRangeError,
    PermissionDeniedError,
    UnimplementedError,
)
from savedmodel.format import dtypes
from savedmodel.ops import registry
from savedmodel.ops.context import KernelContext, ResourceManager, RuntimeOptions
from tests.ops.conftest import assert_same
from tests.ops.test_opdefs import test_opdef_matches_tensorflow as _check_opdef

raw = tf.raw_ops
TEXT_OP = "InitializeTableFromTextFileV2"

OPS = sorted(name for name, op in registry.REGISTRY.items()
             if op.kernel is not None and op.kernel.__module__ == "savedmodel.ops.lookup_ops")


@pytest.mark.parametrize("name", OPS)
def test_opdef(name: str) -> None:
    _check_opdef(name)


def S(*values) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = [v.encode() if isinstance(v, str) else v for v in values]
    return out


class Tables:
    """Runs our table kernels in one resource manager, next to TensorFlow's eager tables."""

    def __init__(self, allowed_paths=(), allowed_ops=(TEXT_OP,)) -> None:
        self.resources = ResourceManager()
        self.options = RuntimeOptions(allowed_ops=frozenset(allowed_ops),
                                      allowed_paths=tuple(str(p) for p in allowed_paths))

    def run(self, name: str, *inputs, **attrs):
        ctx = KernelContext(node_name=f"node_{name}", op=name, resources=self.resources,
                            options=self.options)
        attrs = {k: dtypes.as_dtype(v.name) if isinstance(v, tf.DType) else v
                 for k, v in attrs.items()}
        outputs = registry.run_kernel(name, list(inputs), attrs, ctx=ctx)
        return outputs[0] if len(outputs) == 1 else outputs

    def pair(self, op: str, name: str, **attrs):
        """(our handle, TensorFlow's handle) for a new table op ``op`` with shared_name ``name``."""
        tf_attrs = {k: v for k, v in attrs.items()}
        return self.run(op, shared_name=name, **attrs), getattr(raw, op)(shared_name=name,
                                                                          **tf_attrs)


def same(ours, theirs) -> None:
    ours = ours if isinstance(ours, tuple) else (ours,)
    theirs = theirs if isinstance(theirs, (tuple, list)) else (theirs,)
    for a, b in zip(ours, theirs):
        assert_same(a, np.asarray(b.numpy(), dtype=object if b.dtype == tf.string else None))


def sorted_export(keys, values) -> list:
    keys, values = np.asarray(keys).tolist(), np.asarray(values).tolist()
    return sorted(zip(keys, [tuple(v) if isinstance(v, list) else v for v in values]))


def tf_apply(op: str, handle, *args):
    """tf.raw_ops ``op`` on a table with positional (keys[, values]) arguments."""
    names = ("keys", "values")[:len(args)]
    return getattr(raw, op)(table_handle=handle, **dict(zip(names, args)))


def same_error(ours_fn, tf_fn, error, message: str) -> None:
    with pytest.raises(tf.errors.OpError, match=message):
        tf_fn()
    with pytest.raises(error, match=message):
        ours_fn()


KEY_VALUE_TYPES = [(tf.string, tf.int64, S("a", "b", "c"), np.array([1, 2, 3])),
                   (tf.int64, tf.string, np.array([1, 2**40, -3]), S("x", "y", "z")),
                   (tf.int32, tf.float32, np.array([1, -5, 7], np.int32),
                    np.array([0.5, 1.5, -2.0], np.float32)),
                   (tf.string, tf.bool, S("t", "f", "u"), np.array([True, False, True])),
                   (tf.int64, tf.float64, np.array([1, 2, 3]), np.array([0.1, 0.2, 0.3])),
                   (tf.string, tf.string, S("", "é", "x"), S("empty", "accent", "x"))]


class TestHashTable:
    @pytest.mark.parametrize("key_dtype, value_dtype, keys, values", KEY_VALUE_TYPES)
    def test_initialize_and_find(self, key_dtype, value_dtype, keys, values) -> None:
        t = Tables()
        ours, theirs = t.pair("HashTableV2", f"h{key_dtype.name}{value_dtype.name}",
                              key_dtype=key_dtype, value_dtype=value_dtype)
        t.run("InitializeTableV2", ours, keys, values)
        raw.InitializeTableV2(table_handle=theirs, keys=keys, values=values)
        query = np.concatenate([keys[::-1], keys[:1]]).reshape(2, 2)
        default = np.asarray(values[-1])
        same(t.run("LookupTableFindV2", ours, query, default),
             raw.LookupTableFindV2(table_handle=theirs, keys=query, default_value=default))
        same(t.run("LookupTableSizeV2", ours), raw.LookupTableSizeV2(table_handle=theirs))
        exported = raw.LookupTableExportV2(table_handle=theirs, Tkeys=key_dtype, Tvalues=value_dtype)
        assert sorted_export(*t.run("LookupTableExportV2", ours, Tkeys=key_dtype,
                                    Tvalues=value_dtype)) == sorted_export(*[
                                        e.numpy() for e in exported])

    def test_missing_keys_take_the_first_default(self) -> None:
        t = Tables()
        ours, theirs = t.pair("HashTableV2", "defaults", key_dtype=tf.string,
                              value_dtype=tf.int64)
        for handle, run in ((ours, t.run), (theirs, None)):
            if run:
                run("InitializeTableV2", handle, S("a", "b"), np.array([1, 2]))
            else:
                raw.InitializeTableV2(table_handle=handle, keys=S("a", "b"),
                                      values=np.array([1, 2]))
        keys, defaults = S("a", "z", "", "b"), np.array([10, 20, 30, 40])
        same(t.run("LookupTableFindV2", ours, keys, defaults),
             raw.LookupTableFindV2(table_handle=theirs, keys=keys, default_value=defaults))

    def test_lifecycle_errors(self) -> None:
        t = Tables()
        ours, theirs = t.pair("HashTableV2", "life", key_dtype=tf.string, value_dtype=tf.int64)
        same_error(lambda: t.run("LookupTableFindV2", ours, S("a"), np.int64(-1)),
                   lambda: raw.LookupTableFindV2(table_handle=theirs, keys=S("a"),
                                                 default_value=np.int64(-1)),
                   FailedPreconditionError, "Table not initialized.")
        same(t.run("LookupTableSizeV2", ours), raw.LookupTableSizeV2(table_handle=theirs))
        same_error(lambda: t.run("InitializeTableV2", ours, S("a", "a"), np.array([1, 2])),
                   lambda: raw.InitializeTableV2(table_handle=theirs, keys=S("a", "a"),
                                                 values=np.array([1, 2])),
                   FailedPreconditionError, "HashTable has different value for same key. Key a has "
                                            "1 and trying to add value 2")
        same_error(lambda: t.run("InitializeTableV2", ours, S(), np.zeros(0, np.int64)),
                   lambda: raw.InitializeTableV2(table_handle=theirs, keys=tf.zeros([0], tf.string),
                                                 values=tf.zeros([0], tf.int64)),
                   InvalidArgumentError, "keys and values cannot be empty tensors.")
        same_error(lambda: t.run("InitializeTableV2", ours, S("a", "b"), np.array([1])),
                   lambda: raw.InitializeTableV2(table_handle=theirs, keys=S("a", "b"),
                                                 values=np.array([1])),
                   InvalidArgumentError, "Keys and values must have the same size 2 vs 1")
        same_error(lambda: t.run("InitializeTableV2", ours, S("a").reshape(1, 1), np.array([[1]])),
                   lambda: raw.InitializeTableV2(table_handle=theirs, keys=S("a").reshape(1, 1),
                                                 values=np.array([[1]])),
                   InvalidArgumentError, r"Keys must be a vector, but received shape\[1,1\]")
        same_error(lambda: t.run("InitializeTableV2", ours, np.array([1], np.int32), np.array([1])),
                   lambda: raw.InitializeTableV2(table_handle=theirs, keys=np.array([1], np.int32),
                                                 values=np.array([1])),
                   InvalidArgumentError, "Signature mismatch, have: resource, int32, int64-> "
                                         "expected: resource, string, int64->")
        t.run("InitializeTableV2", ours, S("a", "b"), np.array([1, 2]))
        raw.InitializeTableV2(table_handle=theirs, keys=S("a", "b"), values=np.array([1, 2]))
        t.run("InitializeTableV2", ours, S("x", "y"), np.array([7, 8]))  # same size: a no-op
        raw.InitializeTableV2(table_handle=theirs, keys=S("x", "y"), values=np.array([7, 8]))
        same(t.run("LookupTableFindV2", ours, S("a", "x"), np.int64(0)),
             raw.LookupTableFindV2(table_handle=theirs, keys=S("a", "x"),
                                   default_value=np.int64(0)))
        same_error(lambda: t.run("InitializeTableV2", ours, S("q"), np.array([1])),
                   lambda: raw.InitializeTableV2(table_handle=theirs, keys=S("q"),
                                                 values=np.array([1])),
                   FailedPreconditionError, "Table was already initialized with different data.")
        same_error(lambda: t.run("LookupTableInsertV2", ours, S("q"), np.array([1])),
                   lambda: raw.LookupTableInsertV2(table_handle=theirs, keys=S("q"),
                                                   values=np.array([1])),
                   UnimplementedError, "Insert not supported by InitializableLookupTable")
        same_error(lambda: t.run("LookupTableRemoveV2", ours, S("q")),
                   lambda: raw.LookupTableRemoveV2(table_handle=theirs, keys=S("q")),
                   UnimplementedError, "Remove not supported by InitializableLookupTable")
        same_error(lambda: t.run("LookupTableFindV2", ours, np.array([1]), np.int64(-1)),
                   lambda: raw.LookupTableFindV2(table_handle=theirs, keys=np.array([1]),
                                                 default_value=np.int64(-1)),
                   InvalidArgumentError, "Signature mismatch, have: resource, int64, int64->int64 "
                                         "expected: resource, string, int64->int64")
        same_error(lambda: t.run("HashTableV2", shared_name="life", key_dtype=tf.int64,
                                 value_dtype=tf.int64),
                   lambda: raw.HashTableV2(shared_name="life", key_dtype=tf.int64,
                                           value_dtype=tf.int64),
                   InvalidArgumentError, "Conflicting key/value dtypes int64->int64 with "
                                         "string-int64 for table life")

    def test_anonymous_tables_are_distinct(self) -> None:
        t = Tables()
        first = t.run("AnonymousHashTable", key_dtype=tf.int64, value_dtype=tf.int64)
        second = t.run("AnonymousHashTable", key_dtype=tf.int64, value_dtype=tf.int64)
        t.run("InitializeTableV2", first, np.array([1]), np.array([10]))
        with pytest.raises(FailedPreconditionError, match="Table not initialized"):
            t.run("LookupTableFindV2", second, np.array([1]), np.int64(0))
        assert int(t.run("LookupTableFindV2", first, np.array([1]), np.int64(0))[0]) == 10

    def test_tf1_ref_table(self) -> None:
        t = Tables()
        ref = t.run("HashTable", shared_name="v1", key_dtype=tf.string, value_dtype=tf.int64)
        t.run("InitializeTable", ref, S("a"), np.array([3]))
        assert t.run("LookupTableFind", ref, S("a", "b"), np.int64(-1)).tolist() == [3, -1]
        assert int(t.run("LookupTableSize", ref)) == 1


class TestMutableHashTable:
    def test_scalar_values(self) -> None:
        t = Tables()
        ours, theirs = t.pair("MutableHashTableV2", "m", key_dtype=tf.int64,
                              value_dtype=tf.float32)
        steps = [
            ("LookupTableInsertV2", (np.array([1, 2, 3]), np.array([1.0, 2.0, 3.0], np.float32))),
            ("LookupTableInsertV2", (np.array([[4, 5]]), np.array([[4.0, 5.0]], np.float32))),
            ("LookupTableInsertV2", (np.array([1]), np.array([10.0], np.float32))),
            ("LookupTableRemoveV2", (np.array([2, 99]),)),
        ]
        for op, args in steps:
            t.run(op, ours, *args)
            tf_apply(op, theirs, *args)
        same(t.run("LookupTableSizeV2", ours), raw.LookupTableSizeV2(table_handle=theirs))
        for default in (np.float32(-1), np.array([-1.0, -2.0, -3.0], np.float32)):
            keys = np.array([1, 2, 5])
            same(t.run("LookupTableFindV2", ours, keys, default),
                 raw.LookupTableFindV2(table_handle=theirs, keys=keys, default_value=default))
        exported = raw.LookupTableExportV2(table_handle=theirs, Tkeys=tf.int64, Tvalues=tf.float32)
        assert sorted_export(*t.run("LookupTableExportV2", ours, Tkeys=tf.int64,
                                    Tvalues=tf.float32)) == sorted_export(*[e.numpy()
                                                                             for e in exported])
        t.run("LookupTableImportV2", ours, np.array([7]), np.array([7.0], np.float32))
        raw.LookupTableImportV2(table_handle=theirs, keys=np.array([7]),
                                values=np.array([7.0], np.float32))
        same(t.run("LookupTableExportV2", ours, Tkeys=tf.int64, Tvalues=tf.float32),
             raw.LookupTableExportV2(table_handle=theirs, Tkeys=tf.int64, Tvalues=tf.float32))

    def test_shape_errors(self) -> None:
        t = Tables()
        ours, theirs = t.pair("MutableHashTableV2", "m2", key_dtype=tf.int64,
                              value_dtype=tf.float32)
        same_error(lambda: t.run("LookupTableInsertV2", ours, np.array([4, 5]),
                                 np.array([[4.0, 5.0]], np.float32)),
                   lambda: raw.LookupTableInsertV2(table_handle=theirs, keys=np.array([4, 5]),
                                                   values=np.array([[4.0, 5.0]], np.float32)),
                   InvalidArgumentError, r"Expected shape \[2\] for value, got \[1,2\]")
        same_error(lambda: t.run("LookupTableFindV2", ours, np.array([1, 2, 5]),
                                 np.array([-1.0], np.float32)),
                   lambda: raw.LookupTableFindV2(table_handle=theirs, keys=np.array([1, 2, 5]),
                                                 default_value=np.array([-1.0], np.float32)),
                   InvalidArgumentError, r"Expected shape \[\] or \[3\] for default value, got "
                                         r"\[1\]")
        same_error(lambda: t.run("InitializeTableV2", ours, np.array([1]),
                                 np.array([1.0], np.float32)),
                   lambda: raw.InitializeTableV2(table_handle=theirs, keys=np.array([1]),
                                                 values=np.array([1.0], np.float32)),
                   InvalidArgumentError, "is not initializable")

    def test_table_of_tensors(self) -> None:
        t = Tables()
        ours, theirs = t.pair("MutableHashTableOfTensorsV2", "mt", key_dtype=tf.string,
                              value_dtype=tf.int64, value_shape=[2])
        values = np.array([[1, 2], [3, 4]])
        t.run("LookupTableInsertV2", ours, S("a", "b"), values)
        raw.LookupTableInsertV2(table_handle=theirs, keys=S("a", "b"), values=values)
        for keys, default in ((S("a", "z").reshape(1, 2), np.array([-1, -2])),
                              (S("a", "z"), np.array([[-1, -2], [-3, -4]])),
                              (S(), np.array([-1, -2]))):
            same(t.run("LookupTableFindV2", ours, keys, default),
                 raw.LookupTableFindV2(table_handle=theirs, keys=keys, default_value=default))
        same_error(lambda: t.run("LookupTableFindV2", ours, S("a", "z"), np.int64(-1)),
                   lambda: raw.LookupTableFindV2(table_handle=theirs, keys=S("a", "z"),
                                                 default_value=np.int64(-1)),
                   InvalidArgumentError, r"Expected shape \[2\] or \[2,2\] for default value")
        t.run("LookupTableRemoveV2", ours, S("a"))
        raw.LookupTableRemoveV2(table_handle=theirs, keys=S("a"))
        same(t.run("LookupTableExportV2", ours, Tkeys=tf.string, Tvalues=tf.int64),
             raw.LookupTableExportV2(table_handle=theirs, Tkeys=tf.string, Tvalues=tf.int64))


DENSE_CASES = [
    (tf.int64, np.int64(-1), np.int64(-2), [], 8, np.array([1, 2, 3]), np.arange(10, 20)),
    (tf.string, np.asarray(b"", object), np.asarray(b"$", object), [], 4, S("a", "b", "c"),
     S(*[f"k{i}" for i in range(10)])),
    (tf.int64, np.array([-1, -1]), np.array([-2, -2]), [2], 4, np.array([[1, 2], [3, 4], [5, 6]]),
     np.arange(20).reshape(10, 2)),
]


class TestMutableDenseHashTable:
    @pytest.mark.parametrize("key_dtype, empty, deleted, value_shape, buckets, first, more",
                             DENSE_CASES)
    def test_matches_tensorflow_bucket_for_bucket(self, key_dtype, empty, deleted, value_shape,
                                                  buckets, first, more) -> None:
        t = Tables()
        name = f"d{key_dtype.name}{value_shape}"
        ours = t.run("MutableDenseHashTableV2", empty, deleted, shared_name=name,
                     value_dtype=tf.float32, value_shape=tuple(value_shape),
                     initial_num_buckets=buckets)
        theirs = raw.MutableDenseHashTableV2(empty_key=empty, deleted_key=deleted, shared_name=name,
                                             value_dtype=tf.float32, value_shape=value_shape,
                                             initial_num_buckets=buckets)
        width = int(np.prod(value_shape, dtype=np.int64))

        def values(n: int) -> np.ndarray:
            return (np.arange(n * max(1, width), dtype=np.float32) + 0.5).reshape([n] + value_shape)

        default = np.full(value_shape, -1, np.float32)
        for op, args in (("LookupTableInsertV2", (first, values(len(first)))),
                         ("LookupTableRemoveV2", (first[1:2],)),
                         ("LookupTableInsertV2", (more, values(len(more))))):
            t.run(op, ours, *args)
            tf_apply(op, theirs, *args)
        for keys in (first, more):
            same(t.run("LookupTableFindV2", ours, keys, default),
                 raw.LookupTableFindV2(table_handle=theirs, keys=keys, default_value=default))
        same(t.run("LookupTableSizeV2", ours), raw.LookupTableSizeV2(table_handle=theirs))
        exported = raw.LookupTableExportV2(table_handle=theirs, Tkeys=key_dtype, Tvalues=tf.float32)
        same(t.run("LookupTableExportV2", ours, Tkeys=key_dtype, Tvalues=tf.float32), exported)
        restored = t.run("MutableDenseHashTableV2", empty, deleted, shared_name=name + "r",
                         value_dtype=tf.float32, value_shape=tuple(value_shape),
                         initial_num_buckets=4)
        t.run("LookupTableImportV2", restored, *[e.numpy() for e in exported])
        same(t.run("LookupTableFindV2", restored, more, default),
             raw.LookupTableFindV2(table_handle=theirs, keys=more, default_value=default))

    def test_special_keys_are_refused(self) -> None:
        t = Tables()
        table = t.run("MutableDenseHashTableV2", np.int64(-1), np.int64(-2), shared_name="s",
                      value_dtype=tf.float32)
        with pytest.raises(InvalidArgumentError, match="Using the empty_key as a table key"):
            t.run("LookupTableInsertV2", table, np.array([-1]), np.array([1.0], np.float32))
        with pytest.raises(InvalidArgumentError, match="Using the deleted_key as a table key"):
            t.run("LookupTableFindV2", table, np.array([-2]), np.float32(0))
        with pytest.raises(InvalidArgumentError, match="Empty and deleted keys cannot be equal"):
            t.run("MutableDenseHashTableV2", np.int64(-1), np.int64(-1), shared_name="s2",
                  value_dtype=tf.float32)
        with pytest.raises(InvalidArgumentError, match="at least 4 and a power of 2, got: 6"):
            t.run("MutableDenseHashTableV2", np.int64(-1), np.int64(-2), shared_name="s3",
                  value_dtype=tf.float32, initial_num_buckets=6)


@pytest.fixture
def vocab_dir(tmp_path: Path) -> Path:
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "v1.txt").write_bytes(b"a\tb\t3\nc\t\t4\r\nd\te\t5")
    (tmp_path / "v2.txt").write_bytes(b"a\n\nb\n")
    (tmp_path / "v3.txt").write_bytes(b" 12 \n+3\nx\n")
    return tmp_path


TEXT_CASES = [
    ("v1.txt", tf.string, tf.int64, -2, -1, {}), ("v1.txt", tf.string, tf.string, 0, 1, {}),
    ("v1.txt", tf.string, tf.int64, 0, 2, {}), ("v1.txt", tf.string, tf.int32, 0, 2, {"offset": 10}),
    ("v1.txt", tf.string, tf.int64, 0, -1, {"offset": 10}),
    ("v1.txt", tf.string, tf.int64, 0, -1, {"vocab_size": 2}),
    ("v1.txt", tf.string, tf.int64, 0, -1, {"vocab_size": 5}),
    ("v1.txt", tf.string, tf.int64, 0, 3, {}), ("v1.txt", tf.string, tf.int64, 0, 1, {}),
    ("v1.txt", tf.string, tf.int64, 0, -1, {"delimiter": " "}),
    ("v1.txt", tf.string, tf.int64, 0, -1, {"delimiter": "ab"}),
    ("v1.txt", tf.string, tf.float32, 0, 2, {}), ("v1.txt", tf.string, tf.float64, 0, 2, {}),
    ("v2.txt", tf.string, tf.int64, -2, -1, {}), ("v3.txt", tf.int64, tf.int64, -2, -1, {}),
    ("v3.txt", tf.int64, tf.int64, -2, -1, {"vocab_size": 2}),
    ("v1.txt", tf.string, tf.int32, -2, -1, {}), ("v1.txt", tf.string, tf.float32, -2, -2, {}),
    ("v1.txt", tf.string, tf.int64, -2, 2, {}), ("empty.txt", tf.string, tf.int64, -2, -1, {}),
    ("missing.txt", tf.string, tf.int64, -2, -1, {}),
]


class TestTextFileInitializer:
    @pytest.mark.parametrize("file, key_dtype, value_dtype, key_index, value_index, kwargs",
                             TEXT_CASES)
    def test_matches_tensorflow(self, vocab_dir: Path, file: str, key_dtype, value_dtype,
                                key_index: int, value_index: int, kwargs) -> None:
        t = Tables(allowed_paths=[vocab_dir])
        name = f"{file}{key_dtype.name}{value_dtype.name}{key_index}{value_index}{kwargs}"
        ours, theirs = t.pair("HashTableV2", name, key_dtype=key_dtype, value_dtype=value_dtype)
        path = str(vocab_dir / file)
        args = dict(key_index=key_index, value_index=value_index, **kwargs)
        try:
            raw.InitializeTableFromTextFileV2(table_handle=theirs, filename=path, **args)
        except tf.errors.OpError as err:
            message = err.message.split(" [Op:")[0].split("}}")[-1].strip()
            error = {tf.errors.InvalidArgumentError: InvalidArgumentError,
                     tf.errors.NotFoundError: NotFoundError,
                     tf.errors.OutOfRangeError: OutOfRangeError}[type(err)]
            with pytest.raises(error, match=re.escape(message)):
                t.run(TEXT_OP, ours, np.asarray(path.encode(), object), **args)
            return
        t.run(TEXT_OP, ours, np.asarray(path.encode(), object), **args)
        exported = raw.LookupTableExportV2(table_handle=theirs, Tkeys=key_dtype,
                                           Tvalues=value_dtype)
        assert sorted_export(*t.run("LookupTableExportV2", ours, Tkeys=key_dtype,
                                    Tvalues=value_dtype)) == sorted_export(*[
                                        e.numpy() for e in exported])

    def test_reinitializing_from_a_file_is_a_no_op(self, vocab_dir: Path) -> None:
        t = Tables(allowed_paths=[vocab_dir])
        table = t.run("HashTableV2", shared_name="again", key_dtype=tf.string, value_dtype=tf.int64)
        for file in ("v1.txt", "v3.txt"):
            t.run(TEXT_OP, table, np.asarray(str(vocab_dir / file).encode(), object),
                  key_index=-2, value_index=-1)
        assert int(t.run("LookupTableSizeV2", table)) == 3

    def test_files_outside_the_allowed_directories_are_refused(self, vocab_dir: Path,
                                                               tmp_path_factory) -> None:
        outside = tmp_path_factory.mktemp("outside") / "secret.txt"
        outside.write_text("token\n")
        (vocab_dir / "link.txt").symlink_to(outside)
        t = Tables(allowed_paths=[vocab_dir])
        table = t.run("HashTableV2", shared_name="p", key_dtype=tf.string, value_dtype=tf.int64)
        for path in (str(outside), str(vocab_dir / "link.txt"), str(vocab_dir / ".." / "x.txt")):
            with pytest.raises(PermissionDeniedError, match="is outside the directories"):
                t.run(TEXT_OP, table, np.asarray(path.encode(), object), key_index=-2,
                      value_index=-1)
        (vocab_dir / "sub").mkdir()
        inside = os.path.join(str(vocab_dir), "sub", "..", "v1.txt")
        t.run(TEXT_OP, table, np.asarray(inside.encode(), object), key_index=-2, value_index=-1)
        assert int(t.run("LookupTableSizeV2", table)) == 3

    def test_the_op_must_be_allowed(self, vocab_dir: Path) -> None:
        t = Tables(allowed_paths=[vocab_dir], allowed_ops=())
        table = t.run("HashTableV2", shared_name="q", key_dtype=tf.string, value_dtype=tf.int64)
        with pytest.raises(PermissionDeniedError, match="InitializeTableFromTextFileV2"):
            t.run(TEXT_OP, table, np.asarray(str(vocab_dir / "v1.txt").encode(), object),
                  key_index=-2, value_index=-1)

    def test_filename_must_be_a_scalar(self, vocab_dir: Path) -> None:
        t = Tables(allowed_paths=[vocab_dir])
        table = t.run("HashTableV2", shared_name="r", key_dtype=tf.string, value_dtype=tf.int64)
        with pytest.raises(InvalidArgumentError, match=r"filename should be a single string, but "
                                                       r"got \[1\]"):
            t.run(TEXT_OP, table, S(str(vocab_dir / "v1.txt")), key_index=-2, value_index=-1)
