"""Prints a ``register_op(...)`` header for TensorFlow ops, from the installed TensorFlow's registry.

A developer aid (needs the ``test`` extra): ``python tools/opdef_stub.py MatMul Conv2D``. The output is
the op's interface facts (argument and attribute names, types, defaults) in ops/registry.py's syntax,
to paste above a kernel that you write yourself. tests/ops/test_opdefs.py checks registered OpDefs
against TensorFlow's, so a stale or mistyped header fails there.
"""

from __future__ import annotations

import sys


def _type_name(enum: int) -> str:
    from tensorflow.python.framework import dtypes as tf_dtypes

    name = tf_dtypes.as_dtype(enum).name
    return {"float32": "float", "float64": "double", "float16": "half"}.get(name, name)


def _value(attr_type: str, value) -> str:
    kind = value.WhichOneof("value")
    if kind == "list":
        base = attr_type[5:-1]
        items = {"type": [_type_name(t) for t in value.list.type], "int": list(value.list.i),
                 "float": list(value.list.f), "string": [repr(s.decode()) for s in value.list.s],
                 "bool": ["true" if b else "false" for b in value.list.b],
                 "shape": ["[" + ", ".join(str(d.size) for d in s.dim) + "]" for s in value.list.shape]
                 }.get(base, [])
        return "[" + ", ".join(str(i) for i in items) + "]"
    if kind == "type":
        return "DT_" + _type_name(value.type).upper()
    if kind == "b":
        return "true" if value.b else "false"
    if kind == "s":
        return repr(value.s.decode())
    if kind == "shape":
        if value.shape.unknown_rank:
            return "{ unknown_rank: true }"
        return "[" + ", ".join(str(d.size) for d in value.shape.dim) + "]"
    if kind == "i":
        return str(value.i)
    if kind == "f":
        return repr(value.f)
    return "?"


def _arg(arg) -> str:
    text = arg.type_list_attr or arg.type_attr or _type_name(arg.type)
    if arg.is_ref:
        text = f"Ref({text})"
    if arg.number_attr:
        text = f"{arg.number_attr} * {text}"
    return f"{arg.name}: {text}"


def _attr(attr) -> str:
    text = f"{attr.name}: {attr.type}"
    allowed = attr.allowed_values.list
    if allowed.type:
        text += " {" + ", ".join(_type_name(t) for t in allowed.type) + "}"
    elif allowed.s:
        text += " {" + ", ".join(repr(s.decode()) for s in allowed.s) + "}"
    elif attr.has_minimum:
        text += f" >= {attr.minimum}"
    if attr.HasField("default_value"):
        text += " = " + _value(attr.type, attr.default_value)
    return text


def stub(name: str) -> str:
    from tensorflow.python.framework import op_def_registry

    op = op_def_registry.get(name)
    if op is None:
        return f"# {name}: not registered in this TensorFlow"
    parts = [f'@register_op("{op.name}",',
             f"             inputs={[_arg(a) for a in op.input_arg]!r},",
             f"             outputs={[_arg(a) for a in op.output_arg]!r},",
             f"             attrs={[_attr(a) for a in op.attr]!r}" + (
                 ", stateful=True)" if op.is_stateful else ")")]
    return "\n".join(parts)


if __name__ == "__main__":
    import tensorflow  # noqa: F401  (fills the op registry)

    print("\n\n".join(stub(n) for n in sys.argv[1:]))
