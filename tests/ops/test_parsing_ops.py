"""tf.Example parsing and raw/CSV decoding against TensorFlow: dense (fixed and variable length),
sparse and ragged features, batch and single-example modes with their error messages, DecodeRaw,
DecodePaddedRaw and DecodeCSV. All outputs are exact."""

from __future__ import annotations

import re

import numpy as np
import pytest
import tensorflow as tf

import savedmodel.ops.parsing_ops  # noqa: F401  (registers the family)
from savedmodel.errors import InvalidArgumentError
from savedmodel.format import dtypes
from savedmodel.ops import registry
from tests.ops.conftest import assert_same
from tests.ops.test_opdefs import test_opdef_matches_tensorflow as _check_opdef

raw = tf.raw_ops
OPS = sorted(name for name, op in registry.REGISTRY.items()
             if op.kernel is not None and op.kernel.__module__ == "savedmodel.ops.parsing_ops")
NP = {"float": np.float32, "int64": np.int64, "string": object, "int32": np.int32,
      "double": np.float64}


@pytest.mark.parametrize("name", OPS)
def test_opdef(name: str) -> None:
    _check_opdef(name)


def S(*values) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = [v.encode() if isinstance(v, str) else v for v in values]
    return out


def example(**features) -> bytes:
    """A serialized tf.train.Example; a value of None is a Feature with no list set."""
    feature = {}
    for key, values in features.items():
        if values is None:
            feature[key] = tf.train.Feature()
        elif values and isinstance(values[0], float):
            feature[key] = tf.train.Feature(float_list=tf.train.FloatList(value=values))
        elif values and isinstance(values[0], int):
            feature[key] = tf.train.Feature(int64_list=tf.train.Int64List(value=values))
        else:
            feature[key] = tf.train.Feature(bytes_list=tf.train.BytesList(value=values))
    return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()


def run(name: str, *inputs, **attrs):
    return registry.run_kernel(name, list(inputs), attrs)


def flatten(outputs) -> list:
    """Nested output lists as one flat list of tensors."""
    if not isinstance(outputs, (list, tuple)):
        return [outputs]
    return [tensor for item in outputs for tensor in flatten(item)]


def numpy(value) -> np.ndarray:
    if hasattr(value, "numpy"):
        return np.asarray(value.numpy(), dtype=object if value.dtype == tf.string else None)
    return np.asarray(value)


def same(ours, theirs) -> None:
    ours, theirs = flatten(ours), flatten(theirs)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert_same(a, numpy(b))


def tf_message(fn) -> str:
    with pytest.raises((tf.errors.OpError, ValueError)) as info:
        fn()
    message = getattr(info.value, "message", str(info.value))
    lines = [line for line in message.split("\n") if line.strip() and not line.startswith("\t")
             and "{{node" not in line and "Graph execution error" not in line
             and "Detected at node" not in line]
    return lines[-1].split(" [Op:")[0].split("}}")[-1].strip()


BATCH = S(example(x=[1.0, 2.0], s=[b"a"], i=[5, 6, 7]), example(x=[3.0, 4.0], i=[1]),
          example(s=[b"b", b"c"]), example(x=None))


def empty(kind: str) -> np.ndarray:
    return np.zeros([0], NP[kind])


def parse_v2(serialized, sparse=(), dense=(), ragged=(), defaults=(), sparse_types=(),
             ragged_types=(), split_types=(), shapes=(), names=()):
    """(our outputs thunk, TensorFlow's outputs thunk) for one ParseExampleV2 configuration."""
    names = S(*names) if names else np.zeros([0], object)
    attrs = {"num_sparse": len(sparse), "sparse_types": list(sparse_types),
                 "ragged_value_types": list(ragged_types), "ragged_split_types": list(split_types),
                 "dense_shapes": [tuple(s) for s in shapes]}

    def ours():
        return run("ParseExampleV2", serialized, names, S(*sparse), S(*dense), S(*ragged),
                   list(defaults), **{k: [dtypes.as_dtype(t) for t in v] if k.endswith("types")
                                      else v for k, v in attrs.items()})

    @tf.function
    def theirs():
        return raw.ParseExampleV2(
            serialized=serialized, names=names, sparse_keys=tf.constant(list(sparse), tf.string),
            dense_keys=tf.constant(list(dense), tf.string),
            ragged_keys=tf.constant(list(ragged), tf.string), dense_defaults=list(defaults),
            num_sparse=len(sparse), sparse_types=[tf.as_dtype(t) for t in sparse_types],
            ragged_value_types=[tf.as_dtype(t) for t in ragged_types],
            ragged_split_types=[tf.as_dtype(t) for t in split_types],
            dense_shapes=[tf.TensorShape([None if d == -1 else d for d in s]) for s in shapes])
    return ours, theirs


V2_CASES = {
    "dense default": {"serialized": BATCH, "dense": ["x"],
                          "defaults": [np.array([9.0, 8.0], np.float32)], "shapes": [[2]]},
    "sparse": {"serialized": BATCH, "sparse": ["i", "s", "x"],
                   "sparse_types": ["int64", "string", "float32"]},
    "ragged": {"serialized": BATCH, "ragged": ["i", "s"], "ragged_types": ["int64", "string"],
                   "split_types": ["int32", "int64"]},
    "scalar": {"serialized": BATCH[0], "sparse": ["i"], "sparse_types": ["int64"], "dense": ["x"],
                   "defaults": [empty("float")], "shapes": [[2]], "ragged": ["s"],
                   "ragged_types": ["string"], "split_types": ["int64"]},
    "empty batch": {"serialized": np.zeros([0], object), "sparse": ["x"], "sparse_types": ["float32"],
                        "dense": ["x", "v"], "defaults": [empty("float"), np.float32(0)],
                        "shapes": [[2], [-1, 3]], "ragged": ["s"], "ragged_types": ["string"],
                        "split_types": ["int64"]},
    "empty serialized": {"serialized": S(b""), "dense": ["x"],
                             "defaults": [np.array([1.0, 2.0], np.float32)], "shapes": [[2]]},
    "feature without list": {"serialized": S(example(x=None)), "sparse": ["x"],
                                 "sparse_types": ["float32"]},
    "var-length": {"serialized": BATCH, "dense": ["i"], "defaults": [np.int64(-1)], "shapes": [[-1]]},
    "var-length rows": {"serialized": BATCH, "dense": ["x"], "defaults": [np.float32(0.5)],
                            "shapes": [[-1, 2]]},
    "var-length 3-d": {"serialized": BATCH, "dense": ["x"], "defaults": [np.float32(0.5)],
                           "shapes": [[-1, 2, 1]]},
    "var-length strings": {"serialized": BATCH, "dense": ["s"],
                               "defaults": [np.asarray(b"?", object)], "shapes": [[-1]]},
    "var-length scalar": {"serialized": np.asarray(example(x=[1.0, 2.0, 3.0, 4.0]), object),
                              "dense": ["x"], "defaults": [np.float32(0)], "shapes": [[-1, 2]]},
    "var-length all missing": {"serialized": S(example(i=[1]), example(i=[2])), "dense": ["x"],
                                   "defaults": [np.float32(0)], "shapes": [[-1, 2]]},
    "dense 2x1": {"serialized": BATCH[:2], "dense": ["x"], "defaults": [empty("float")],
                      "shapes": [[2, 1]]},
    "dense 2x1 default": {"serialized": BATCH, "dense": ["x"],
                              "defaults": [np.array([[7.0], [8.0]], np.float32)], "shapes": [[2, 1]]},
    "dense scalar": {"serialized": S(example(x=[1.0]), example(i=[1])), "dense": ["x"],
                         "defaults": [np.float32(7)], "shapes": [[]]},
    "mixed": {"serialized": BATCH, "sparse": ["i"], "sparse_types": ["int64"], "dense": ["x", "s"],
                  "defaults": [np.zeros(2, np.float32), S(b"?")], "shapes": [[2], [-1]]},
}


@pytest.mark.parametrize("case", sorted(V2_CASES))
def test_parse_example_v2(case: str) -> None:
    kwargs = dict(V2_CASES[case])
    for key in ("sparse_types", "ragged_types"):
        kwargs[key] = [{"float32": "float"}.get(t, t) for t in kwargs.get(key, ())]
    ours, theirs = parse_v2(**{k: ([{"float": "float32"}.get(t, t) for t in v]
                                   if k.endswith("types") else v) for k, v in kwargs.items()})
    same(ours(), theirs())


V2_ERRORS = {
    "required": {"serialized": BATCH, "dense": ["x"], "defaults": [empty("float")], "shapes": [[2]]},
    "default shape": {"serialized": BATCH, "dense": ["x"], "defaults": [np.float32(9.0)],
                          "shapes": [[2]]},
    "count": {"serialized": BATCH[:2], "dense": ["i"], "defaults": [empty("int64")], "shapes": [[3]]},
    "dense type": {"serialized": BATCH[:2], "dense": ["x"], "defaults": [empty("int64")],
                       "shapes": [[2]]},
    "sparse type": {"serialized": BATCH, "sparse": ["i"], "sparse_types": ["float32"]},
    "ragged type": {"serialized": BATCH, "ragged": ["i"], "ragged_types": ["string"],
                        "split_types": ["int64"]},
    "scalar required": {"serialized": BATCH[0], "dense": ["q"], "defaults": [empty("float")],
                            "shapes": [[2]]},
    "scalar count": {"serialized": BATCH[0], "dense": ["x"], "defaults": [empty("float")],
                         "shapes": [[3]]},
    "scalar type": {"serialized": BATCH[0], "dense": ["x"], "defaults": [empty("int64")],
                        "shapes": [[2]]},
    "scalar many strings": {"serialized": np.asarray(example(s=[b"a", b"b"]), object),
                                "dense": ["s"], "defaults": [empty("string")], "shapes": [[1]]},
    "scalar sparse type": {"serialized": BATCH[0], "sparse": ["x"], "sparse_types": ["int64"]},
    "scalar stride": {"serialized": np.asarray(example(x=[1.0, 2.0, 3.0]), object), "dense": ["x"],
                          "defaults": [np.float32(0)], "shapes": [[-1, 2]]},
    "names": {"serialized": BATCH[1:3], "dense": ["x"], "defaults": [empty("float")], "shapes": [[2]],
                  "names": [b"n1", b"n2"]},
    "names shape": {"serialized": BATCH[1:3], "dense": ["x"], "defaults": [empty("float")],
                        "shapes": [[2]], "names": [b"n1"]},
    "bad proto": {"serialized": S(b"\x0a\x05abc"), "dense": ["x"], "defaults": [empty("float")],
                      "shapes": [[2]]},
    "feature without list required": {"serialized": S(example(x=None)), "dense": ["x"],
                                          "defaults": [empty("float")], "shapes": [[2]]},
    "too many strings": {"serialized": BATCH, "dense": ["s"], "defaults": [S(b"?")], "shapes": [[1]]},
    "too few strings": {"serialized": BATCH[2:3], "dense": ["s"], "defaults": [empty("string")],
                            "shapes": [[3]]},
    "stride": {"serialized": BATCH, "dense": ["i"], "defaults": [np.int64(0)], "shapes": [[-1, 2]]},
    "padding default": {"serialized": BATCH, "dense": ["s"], "defaults": [S(b"?", b"!")],
                            "shapes": [[-1]]},
    "empty int list": {"serialized": S(example(i=[1]), tf.train.Example(
        features=tf.train.Features(feature={"x": tf.train.Feature(
            int64_list=tf.train.Int64List(value=[]))})).SerializeToString()), "dense": ["x"],
        "defaults": [np.array([1.0, 2.0], np.float32)], "shapes": [[2]]},
}


@pytest.mark.parametrize("case", sorted(V2_ERRORS))
def test_parse_example_v2_errors(case: str) -> None:
    kwargs = {k: ([{"float": "float32"}.get(t, t) for t in v] if k.endswith("types") else v)
              for k, v in V2_ERRORS[case].items()}
    ours, theirs = parse_v2(**kwargs)
    expected = tf_message(theirs)
    with pytest.raises(InvalidArgumentError) as info:
        ours()
    assert expected.split(" '")[0] in str(info.value)


def test_serialized_must_be_a_vector_or_scalar() -> None:
    ours, _ = parse_v2(BATCH[:2].reshape(1, 2), sparse=["i"], sparse_types=["int64"])
    with pytest.raises(InvalidArgumentError, match=r"Expected serialized to be a scalar or vector, "
                                                   r"got shape: \[1,2\]"):
        ours()


class TestParseExampleV1:
    def test_batch(self) -> None:
        attrs = {"sparse_types": [dtypes.as_dtype("int64")], "dense_shapes": [(2,)]}
        ours = run("ParseExample", BATCH, np.zeros([0], object), [np.asarray(b"i", object)],
                   [np.asarray(b"x", object)], [np.zeros(2, np.float32)], **attrs)
        same(ours, raw.ParseExample(serialized=BATCH, names=tf.zeros([0], tf.string),
                                    sparse_keys=["i"], dense_keys=["x"],
                                    dense_defaults=[np.zeros(2, np.float32)],
                                    sparse_types=[tf.int64], dense_shapes=[[2]]))

    def test_errors(self) -> None:
        attrs = {"sparse_types": [], "dense_shapes": [(3,)]}
        with pytest.raises(InvalidArgumentError, match=r"Name: <unknown>, Key: x, Index: 0.  Number "
                                                       r"of float values != expected.  Values "
                                                       r"size: 2 but output shape: \[3\]"):
            run("ParseExample", BATCH, np.zeros([0], object), [], [np.asarray(b"x", object)],
                [empty("float")], **attrs)
        with pytest.raises(InvalidArgumentError, match=r"Expected serialized to be a vector, got "
                                                       r"shape: \[\]"):
            run("ParseExample", BATCH[0], np.zeros([0], object), [],
                [np.asarray(b"x", object)], [empty("float")], **attrs)


class TestParseSingleExample:
    def test_values(self) -> None:
        attrs = {"num_sparse": 1, "sparse_keys": ["i"], "dense_keys": ["x", "v"],
                     "sparse_types": [dtypes.as_dtype("int64")], "dense_shapes": [(2,), (-1,)]}
        ours = run("ParseSingleExample", BATCH[0], [empty("float"), np.float32(0)], **attrs)

        @tf.function
        def theirs():
            return raw.ParseSingleExample(
                serialized=BATCH[0], dense_defaults=[empty("float"), np.float32(0)], num_sparse=1,
                sparse_keys=["i"], dense_keys=["x", "v"], sparse_types=[tf.int64],
                dense_shapes=[tf.TensorShape([2]), tf.TensorShape([None])])
        same(ours, theirs())

    @pytest.mark.parametrize("serialized, feature, shape, message", [
        (BATCH[2], "x", 2, "Feature: x (data type: float) is required but could not be found."),
        (example(x=[1.0, 2.0, 3.0, 4.0]), "x", 3,
         "Key: x.  Can't parse serialized Example: Some float_list slice was not parsed."),
        (example(s=[b"a", b"b"]), "s", 1,
         "Key: s.  Can't parse serialized Example: Parsing bytes_list failed."),
    ])
    def test_errors(self, serialized, feature: str, shape: int, message: str) -> None:
        kind = "string" if feature == "s" else "float"
        attrs = {"num_sparse": 0, "sparse_keys": [], "dense_keys": [feature], "sparse_types": [],
                     "dense_shapes": [(shape,)]}
        assert message == tf_message(lambda: raw.ParseSingleExample(
            serialized=serialized, dense_defaults=[empty(kind)], num_sparse=0, sparse_keys=[],
            dense_keys=[feature], sparse_types=[], dense_shapes=[[shape]]))
        with pytest.raises(InvalidArgumentError, match=re.escape(message)):
            run("ParseSingleExample", np.asarray(serialized, object), [empty(kind)], **attrs)

    def test_serialized_must_be_a_scalar(self) -> None:
        with pytest.raises(InvalidArgumentError, match=r"Expected serialized to be a scalar, got "
                                                       r"shape: \[1\]"):
            run("ParseSingleExample", BATCH[:1], [], num_sparse=0, sparse_keys=[], dense_keys=[],
                sparse_types=[], dense_shapes=[])


RAW_TYPES = ["int32", "uint16", "uint8", "int16", "int8", "int64", "float16", "float32", "float64",
             "complex64", "complex128", "bool", "bfloat16"]


class TestDecodeRaw:
    @pytest.mark.parametrize("dtype", RAW_TYPES)
    @pytest.mark.parametrize("little_endian", [True, False])
    def test_types(self, dtype: str, little_endian: bool) -> None:
        data = S(bytes(range(16)), bytes(range(16, 32))).reshape(2, 1)
        same(run("DecodeRaw", data, out_type=dtypes.as_dtype(dtype), little_endian=little_endian),
             raw.DecodeRaw(bytes=data, out_type=tf.as_dtype(dtype), little_endian=little_endian))

    @pytest.mark.parametrize("data", [np.asarray(b"ab", object), np.zeros([0], object),
                                      np.zeros([2, 0], object), S(b"", b"")], ids=str)
    def test_shapes(self, data) -> None:
        same(run("DecodeRaw", data, out_type=dtypes.as_dtype("uint8")),
             raw.DecodeRaw(bytes=data, out_type=tf.uint8))

    def test_errors(self) -> None:
        with pytest.raises(InvalidArgumentError, match="Input to DecodeRaw has length 3 that is not "
                                                       "a multiple of 4, the size of int32"):
            run("DecodeRaw", S(b"abc"), out_type=dtypes.as_dtype("int32"))
        with pytest.raises(InvalidArgumentError, match="requires input strings to all be the same "
                                                       "size, but element 1 has size 4 != 2"):
            run("DecodeRaw", S(b"abcd", b"ab"), out_type=dtypes.as_dtype("int16"))

    @pytest.mark.parametrize("dtype", ["int32", "uint16", "uint8", "int16", "int8", "int64",
                                       "float32", "float64", "bfloat16"])
    @pytest.mark.parametrize("little_endian", [True, False])
    def test_padded(self, dtype: str, little_endian: bool) -> None:
        data = S(b"\x01\x02\x03", bytes(range(20)), b"")
        same(run("DecodePaddedRaw", data, np.int32(8), out_type=dtypes.as_dtype(dtype),
                 little_endian=little_endian),
             raw.DecodePaddedRaw(input_bytes=data, fixed_length=8, out_type=tf.as_dtype(dtype),
                                 little_endian=little_endian))

    def test_padded_length_must_fit_the_type(self) -> None:
        with pytest.raises(InvalidArgumentError, match=r"fixed_length \(3\) must be a multiple of "
                                                       r"the size of out_type \(2\)"):
            run("DecodePaddedRaw", S(b"ab"), np.int32(3), out_type=dtypes.as_dtype("int16"))


CSV_CASES = [
    (["1,2.5,a", "3,,b", ",4,"], [("int32", [0]), ("float", [0.0]), ("string", ["z"])], {}),
    (["9007199254740993,0.1"], [("int64", [0]), ("double", [0.0])], {}),
    (['"a,b",c', '"he said ""hi""",d', '"",e', '"x",""'], [("string", ["?"]), ("string", ["?"])],
     {}),
    (['"a,b",c'], [("string", ["?"])] * 3, {"use_quote_delim": False}),
    (["NA,2", "1,NA", '"NA",3'], [("int32", [7]), ("int32", [8])], {"na_value": "NA"}),
    (["1|2"], [("int32", [7]), ("int32", [8])], {"field_delim": "|"}),
    (["1,2,3,4", ",,,"], [("int32", [7]), ("int32", [8])], {"select_cols": [1, 3]}),
    ([",,", "4,5,6"], [("int32", [0]), ("int32", [1]), ("int32", [2])],
     {"select_cols": [0, 1, 2]}),
    ([" 1, 2.5 ,x "], [("int32", [7]), ("float", [8.0]), ("string", ["?"])], {}),
    (["1,"], [("int32", 7), ("int32", 8)], {}),
    (["0x10,inf"], [("float", [7.0]), ("float", [8.0])], {}),
    (["+5, 6"], [("int32", [7]), ("int32", [8])], {}),
    (["1,2,"], [("int32", [7]), ("int32", [8]), ("int32", [9])], {}),
    (["1,\n2", "\r\n1,2"], [("int32", [7]), ("int32", [8])], {}),
    (['"a\nb",2'], [("string", ["?"]), ("int32", [8])], {}),
]
CSV_ERRORS = [
    (["1,2", ",3"], [("int32", []), ("int32", [0])], {},
     "Field 0 is required but missing in record 1!"),
    (["1,2,3"], [("int32", [0]), ("int32", [0])], {}, "Expect 2 fields but have 3 in record 0"),
    ([""], [("int32", [7])], {}, "Expect 1 fields but have 0 in record 0"),
    (["x,2"], [("int32", [0]), ("int32", [0])], {}, "Field 0 in record 0 is not a valid int32: x"),
    (["x,2"], [("float", [0.0]), ("int32", [0])], {}, "Field 0 in record 0 is not a valid float: x"),
    (["3000000000"], [("int32", [7])], {}, "Field 0 in record 0 is not a valid int32: 3000000000"),
    (['x"y,z'], [("string", ["?"])] * 2, {}, "Unquoted fields cannot have quotes/CRLFs inside"),
    (['"a"b,c'], [("string", ["?"])] * 2, {}, "Quote inside a string has to be escaped"),
    (['"ab,c'], [("string", ["?"])] * 2, {}, "Quoted field has to end with quote followed by delim"),
    (["1|2"], [("int32", [7])] * 2, {"field_delim": "||"}, "field_delim should be only 1 char"),
    (["1,2,3,4"], [("int32", [7])] * 2, {"select_cols": [3, 1]},
     "select_cols should be strictly increasing indices"),
    (["1,2"], [("int32", [7])] * 2, {"select_cols": [1, 3]}, "Expect 2 fields but have 1"),
    (["1,"], [("int32", [7, 1]), ("int32", 8)], {},
     "There should only be 1 default per field but field 0 has 2"),
]


def csv_defaults(spec) -> list:
    out = []
    for kind, value in spec:
        if kind == "string":
            value = np.asarray([v.encode() for v in value] if isinstance(value, list) else value,
                               dtype=object)
        out.append(np.asarray(value, dtype=NP[kind]) if not isinstance(value, list) or value
                   else np.zeros([0], NP[kind]))
    return out


class TestDecodeCSV:
    @pytest.mark.parametrize("records, defaults, kwargs", CSV_CASES)
    def test_records(self, records, defaults, kwargs) -> None:
        records, defaults = S(*records), csv_defaults(defaults)
        same(run("DecodeCSV", records, defaults, **kwargs),
             raw.DecodeCSV(records=records, record_defaults=defaults, **kwargs))

    def test_matrix_of_records(self) -> None:
        records = S("1,2", "3,4").reshape(2, 1)
        defaults = csv_defaults([("int32", [7]), ("int64", [8])])
        same(run("DecodeCSV", records, defaults),
             raw.DecodeCSV(records=records, record_defaults=defaults))

    @pytest.mark.parametrize("records, defaults, kwargs, message", CSV_ERRORS)
    def test_errors(self, records, defaults, kwargs, message: str) -> None:
        records, defaults = S(*records), csv_defaults(defaults)
        assert message in tf_message(lambda: raw.DecodeCSV(records=records,
                                                           record_defaults=defaults, **kwargs))
        with pytest.raises(InvalidArgumentError, match=re.escape(message)):
            run("DecodeCSV", records, defaults, **kwargs)
