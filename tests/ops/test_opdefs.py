"""Every registered OpDef matches TensorFlow's: argument names and types, attribute kinds and defaults."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from tensorflow.python.framework import op_def_registry

import savedmodel.ops  # noqa: F401  (registers every op family)
from savedmodel.ops import registry


def _tf_default(attr):
    value = attr.default_value
    kind = value.WhichOneof("value")
    if kind == "type":
        return int(value.type)
    if kind == "list":
        base = attr.type[5:-1]
        return {"type": list(value.list.type), "int": list(value.list.i), "float": list(value.list.f),
                "string": [s.decode() for s in value.list.s], "bool": list(value.list.b),
                "shape": [tuple(d.size for d in s.dim) for s in value.list.shape]}.get(base, [])
    if kind == "shape":
        return None if value.shape.unknown_rank else tuple(d.size for d in value.shape.dim)
    if kind == "s":
        return value.s.decode()
    return getattr(value, kind) if kind else registry.NO_DEFAULT


def _ours_default(attr):
    default = attr.default
    if isinstance(default, list):
        return [d.enum if hasattr(d, "enum") else d for d in default]
    return default.enum if hasattr(default, "enum") else default


def _arg_tuple(arg) -> tuple:
    return (arg.name, arg.type_attr, int(arg.type) if not arg.type_attr and not arg.type_list_attr else 0,
            arg.number_attr, arg.type_list_attr, arg.is_ref)


@pytest.mark.parametrize("name", registry.supported_ops())
def test_opdef_matches_tensorflow(name: str) -> None:
    ours = registry.lookup(name).op_def
    theirs = op_def_registry.get(name)
    assert theirs is not None, f"{name} is not a TensorFlow op"
    assert [(a.name, a.type_attr, a.fixed_type, a.number_attr, a.type_list_attr, a.is_ref)
            for a in ours.inputs] == [_arg_tuple(a) for a in theirs.input_arg]
    assert [(a.name, a.type_attr, a.fixed_type, a.number_attr, a.type_list_attr, a.is_ref)
            for a in ours.outputs] == [_arg_tuple(a) for a in theirs.output_arg]
    assert ours.is_stateful == theirs.is_stateful
    assert {a.name: a.kind for a in ours.attrs} == {a.name: a.type for a in theirs.attr}
    for attr in theirs.attr:
        expected = _tf_default(attr) if attr.HasField("default_value") else registry.NO_DEFAULT
        got = _ours_default(ours.attr_map[attr.name])
        if isinstance(expected, float):
            assert np.float32(got) == np.float32(expected), attr.name
        else:
            assert got == expected, attr.name
