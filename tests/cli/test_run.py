"""``savedmodel run`` against TensorFlow 2.21's own ``saved_model_cli run``, case for case.

Each case runs both CLIs with the same flags on the same model and input files: TF's stdout and
``--outdir`` files are recorded once by ``python tests/cli/test_run.py CASES.json OUT`` in a
subprocess with TensorFlow (its CLI code via ``tf_corpus/_cli.py``, as the console script runs it)
and cached in the corpus cache under the hash of the cases, the models and this recorder. Where
our flags go beyond TF's (NumPy constructors in ``--input_exprs``, ``--request``), the case gives
TF the equivalent literal flags. Printed numbers are compared with the case's tolerance (exact for
the TF Serving fixtures), the rest of the text exactly; ``.npy`` files by dtype, shape and value.
TF's CLI cannot run a Keras 3 model saved with ``tf.saved_model.save`` (its Session loader leaves
the variables uninitialized); for that case the reference is TF's ``tf.saved_model.load`` call
printed in the CLI's format (``_record_eager``).
"""

from __future__ import annotations

import base64
import hashlib
import inspect as pyinspect
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, also when run as a script

from fixture_paths import REPO, SERVING_FIXTURES
from tf_corpus import CACHE
from tf_corpus import HERE as CORPUS_DIR

HP2 = "fixture:saved_model_half_plus_two_cpu/00000123"
HP2_TF2 = "fixture:saved_model_half_plus_two_tf2_cpu/00000123"
COUNTER = "fixture:saved_model_counter/00000123"
SERVE = ["--tag_set", "serve", "--signature_def", "serving_default"]


@dataclass(frozen=True)
class Case:
    """One ``run``: flags for TF, ours when they differ, the printed-number tolerance."""

    label: str
    model: str
    argv: tuple[str, ...]
    ours: tuple[str, ...] | None = None
    rtol: float = 0.0
    tf_cli_fails: bool = False  # reference from tf.saved_model.load instead (see _record_eager)


CASES = [
    Case("hp2_exprs", HP2, (*SERVE, "--input_exprs", "x=[[1.0],[2.0],[5.0]]", "--outdir", "{out}")),
    Case("hp2_npy", HP2, (*SERVE, "--inputs", "x={in}/x.npy", "--outdir", "{out}")),
    Case("hp2_npz_named", HP2, (*SERVE, "--inputs", "x={in}/xs.npz[b]")),
    Case("hp2_npz_single", HP2, (*SERVE, "--inputs", "x={in}/one.npz")),
    Case("hp2_examples", HP2, ("--tag_set", "serve", "--signature_def", "classify_x_to_y",
                               "--input_examples", 'inputs=[{"x":[1.0]},{"x":[3.0]}]')),
    Case("hp2_np_expr", HP2, (*SERVE, "--input_exprs", "x=[[0.0],[1.0],[2.0]]"),
         ours=(*SERVE, "--input_exprs", "x=np.arange(3, dtype=np.float32).reshape(3, 1)")),
    Case("hp2_request_rows", HP2, (*SERVE, "--input_exprs", "x=[[1.0],[2.0]]"),
         ours=("--tag_set", "serve", "--request", "{in}/rows.json")),
    Case("hp2_request_columns", HP2, (*SERVE, "--input_exprs", "x=[[3.0],[-1.5]]"),
         ours=("--request", "{in}/columns.json")),
    Case("hp2_request_b64", HP2, ("--tag_set", "serve", "--signature_def", "classify_x_to_y",
                                  "--input_examples", 'inputs=[{"x":[1.0]},{"x":[3.0]}]'),
         ours=("--tag_set", "serve", "--request", "{in}/b64.json")),
    Case("counter_incr_by", COUNTER, ("--tag_set", "serve", "--signature_def", "incr_counter_by",
                                      "--input_exprs", "delta=3.0", "--outdir", "{out}")),
    Case("hp2_tf2", HP2_TF2, (*SERVE, "--input_exprs", "x=[4.0]", "--outdir", "{out}")),
    Case("adder_npz", "corpus:tf2_adder/model",
         (*SERVE, "--inputs", "x={in}/adder.npz[x];y={in}/adder.npz[y]", "--outdir", "{out}")),
    Case("adder_int_literals", "corpus:tf2_adder/model",
         (*SERVE, "--input_exprs", "x=[1,2];y=[3,4]")),
    Case("dtypes_strings", "corpus:tf2_dtypes/model",
         (*SERVE, "--input_exprs", "x=[1.5, -2.0, 0.25];s=['ab', '', 'caf\u00e9'];n=7",
          "--outdir", "{out}")),
    Case("dtypes_request", "corpus:tf2_dtypes/model",
         (*SERVE, "--input_exprs", "x=[3.0];s=[b'\\x00\\xff'];n=-1"),
         ours=("--request", "{in}/dtypes.json")),
    Case("keras_dense", "corpus:keras_dense/saved",
         (*SERVE, "--inputs", "inputs={in}/dense.npy", "--outdir", "{out}"), rtol=1e-5,
         tf_cli_fails=True),
]


def write_input_files(directory: Path) -> None:
    """The .npy/.npz inputs both CLIs read (NumPy only: runs in the TF recorder too)."""
    directory.mkdir(parents=True, exist_ok=True)
    np.save(directory / "x.npy", np.array([[1.0], [2.0], [7.5]], np.float32))
    np.savez(directory / "xs.npz", a=np.zeros((1, 1)), b=np.array([[3.0], [4.0]]))
    np.savez(directory / "one.npz", only=np.array([[0.5]], np.float32))
    np.savez(directory / "adder.npz", x=np.array([1.0, 2.0, 3.0], np.float32),
             y=np.array([10.0, 20.0, 30.5], np.float32))
    np.save(directory / "dense.npy", (np.arange(12, dtype=np.float32).reshape(2, 6) - 5) / 3)


# --- TensorFlow side: runs only in the recording subprocess --------------------------------------


def _record(cases_file: Path, out: Path) -> None:
    """Runs TF's saved_model_cli for every case; writes ``reference.json`` and outdir files."""
    sys.path.insert(0, str(CORPUS_DIR))
    import _cli

    cases = json.loads(cases_file.read_text())
    write_input_files(out / "inputs")
    stdout = {}
    for case in cases:
        outdir = out / "outdirs" / case["label"]
        argv = ["run", "--dir", case["dir"], *[_fill(a, out / "inputs", outdir)
                                               for a in case["argv"]]]
        record = _record_eager if case["tf_cli_fails"] else _cli.run
        stdout[case["label"]] = record(argv).replace(str(outdir), "{out}")
    (out / "reference.json").write_text(json.dumps(stdout, indent=1) + "\n")


def _record_eager(argv: list[str]) -> str:
    """saved_model_cli's output computed through ``tf.saved_model.load``, for the models whose
    variables TF's CLI (a TF1 Session with ``loader.load``) leaves uninitialized: Keras 3 models
    saved by ``tf.saved_model.save`` fail there with "Could not find variable"."""
    import tensorflow as tf
    from tensorflow.python.tools import saved_model_cli

    flags = dict(zip(argv[1::2], argv[2::2]))
    feeds = saved_model_cli.load_inputs_from_input_arg_string(
        flags.get("--inputs", ""), flags.get("--input_exprs", ""),
        flags.get("--input_examples", ""))
    loaded = tf.saved_model.load(flags["--dir"], tags=flags["--tag_set"].split(","))
    outputs = loaded.signatures[flags["--signature_def"]](**feeds)
    lines = []
    for key in sorted(outputs):
        value = outputs[key].numpy()
        lines.append(f"Result for output key {key}:\n{value}")
        if "--outdir" in flags:
            os.makedirs(flags["--outdir"], exist_ok=True)
            path = os.path.join(flags["--outdir"], key + ".npy")
            np.save(path, value)
            lines.append(f"Output {key} is saved to {path}")
    return "".join(line + "\n" for line in lines)


def _fill(arg: str, inputs: Path, outdir: Path) -> str:
    return arg.replace("{in}", str(inputs)).replace("{out}", str(outdir))


# --- Reference data ------------------------------------------------------------------------------


def _model_dir(model: str, tf_model) -> Path:
    kind, _, where = model.partition(":")
    if kind == "fixture":
        return SERVING_FIXTURES / where
    name, variant = where.split("/")
    return tf_model(name) / variant


def _reference_key(cases: list[dict]) -> str:
    digest = hashlib.sha256(json.dumps(cases, sort_keys=True).encode())
    for function in (_record, _record_eager, _fill, write_input_files):
        digest.update(pyinspect.getsource(function).encode())
    digest.update((CORPUS_DIR / "_cli.py").read_bytes())
    for case in cases:
        digest.update((Path(case["dir"]) / "saved_model.pb").read_bytes())
    return digest.hexdigest()[:16]


@pytest.fixture(scope="session")
def recorded(tf_model) -> tuple[Path, dict[str, str]]:
    """TF's outputs for every case: (recording directory, label -> stdout); built once, cached."""
    cases = [dict(asdict(c), dir=str(_model_dir(c.model, tf_model))) for c in CASES]
    target = CACHE / f"cli_run-{_reference_key(cases)}"
    if not (target / ".complete").exists():
        _record_in_subprocess(cases, target)
    return target, json.loads((target / "reference.json").read_text())


def _record_in_subprocess(cases: list[dict], target: Path) -> None:
    work = CACHE / f"{target.name}.tmp{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    (work / "cases.json").write_text(json.dumps(cases))
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="", PYTHONHASHSEED="0")
    proc = subprocess.run([sys.executable, __file__, str(work / "cases.json"), str(work)],
                          capture_output=True, text=True, env=env, cwd=REPO, check=False)
    if proc.returncode != 0:
        shutil.rmtree(work, ignore_errors=True)
        pytest.fail(f"Recording saved_model_cli run references failed:\n{proc.stdout}\n"
                    f"{proc.stderr}")
    (work / ".complete").write_text("ok\n")
    shutil.rmtree(target, ignore_errors=True)
    os.replace(work, target)
    for stale in CACHE.glob("cli_run-" + "?" * 16):  # recordings of older cases or models
        if stale != target:
            shutil.rmtree(stale, ignore_errors=True)


# --- Our side ------------------------------------------------------------------------------------


def write_requests(directory: Path) -> None:
    """TF Serving REST bodies equivalent to some cases' TF flags (only our CLI reads them)."""
    from savedmodel._proto import example_pb2

    def example(value: float) -> str:
        proto = example_pb2.Example()
        proto.features.feature["x"].float_list.value.append(value)
        return base64.b64encode(proto.SerializeToString()).decode()

    bodies = {
        "rows.json": {"signature_name": "serving_default", "instances": [[1.0], [2.0]]},
        "columns.json": {"inputs": {"x": [[3.0], [-1.5]]}},
        "dtypes.json": {"inputs": {"x": [3.0], "s": [{"b64": "AP8="}], "n": -1}},
        "b64.json": {"signature_name": "classify_x_to_y",
                     "instances": [{"inputs": {"b64": example(1.0)}},
                                   {"inputs": {"b64": example(3.0)}}]},
    }
    for name, body in bodies.items():
        (directory / name).write_text(json.dumps(body))


def run_main(capsys, *argv: str) -> tuple[int, str, str]:
    from savedmodel.cli.main import main

    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*(?:e[-+]?\d+)?|\.\d+(?:e[-+]?\d+)?|nan|inf)")


def assert_same_text(ours: str, theirs: str, rtol: float) -> None:
    """Equal text, except that printed numbers may differ by ``rtol`` (exact when 0), and then so
    may the padding NumPy puts around them."""
    if rtol == 0:
        assert ours == theirs
        return

    def words(text: str) -> list[str]:
        return [re.sub(r"\s+", " ", part).strip() for part in _NUMBER.split(text)]

    assert words(ours) == words(theirs), (ours, theirs)
    ours_n = np.array([float(n) for n in _NUMBER.findall(ours)])
    theirs_n = np.array([float(n) for n in _NUMBER.findall(theirs)])
    np.testing.assert_allclose(ours_n, theirs_n, rtol=rtol, atol=rtol)


@pytest.mark.parametrize("case", CASES, ids=[c.label for c in CASES])
def test_run_matches_saved_model_cli(case, capsys, tmp_path, tf_model, recorded):
    record_dir, stdout = recorded
    inputs, outdir = tmp_path / "inputs", tmp_path / "out"
    write_input_files(inputs)
    write_requests(inputs)
    flags = [_fill(a, inputs, outdir) for a in (case.ours or case.argv)]
    code, out, err = run_main(capsys, "run", "--dir", str(_model_dir(case.model, tf_model)),
                              *flags)
    assert code == 0, err
    assert_same_text(out.replace(str(outdir), "{out}"), stdout[case.label], case.rtol)
    theirs_dir = record_dir / "outdirs" / case.label
    theirs = sorted(p.name for p in theirs_dir.glob("*.npy")) if theirs_dir.exists() else []
    ours = sorted(p.name for p in outdir.glob("*.npy")) if outdir.exists() else []
    assert ours == theirs
    for name in theirs:  # both files written by the CLIs under test: pickled strings allowed
        assert_same_array(np.load(outdir / name, allow_pickle=True),
                          np.load(theirs_dir / name, allow_pickle=True), case.rtol)


def assert_same_array(actual: np.ndarray, expected: np.ndarray, rtol: float) -> None:
    """Same dtype and shape; strings equal, numbers within rtol, else bit-identical (bfloat16 .npy
    files load as a void dtype)."""
    assert (actual.dtype, actual.shape) == (expected.dtype, expected.shape)
    if actual.dtype == object:
        assert actual.tolist() == expected.tolist()
    elif rtol and actual.dtype.kind in "fc":
        np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol)
    else:
        assert actual.tobytes() == expected.tobytes()


# --- errors --------------------------------------------------------------------------------------


def _hp2_run(capsys, *flags: str) -> tuple[int, str, str]:
    return run_main(capsys, "run", "--dir", str(SERVING_FIXTURES / HP2.split(":")[1]), *flags)


def test_pickled_inputs_refused_unless_allowed(capsys, tmp_path):
    path = tmp_path / "obj.npy"
    np.save(path, np.array([[[1.0]], [[2.0]]], dtype=object)[:, 0], allow_pickle=True)
    code, _, err = _hp2_run(capsys, *SERVE, "--inputs", f"x={path}")
    assert code == 1
    assert err == (f"Error: --inputs: '{path}' holds pickled Python objects, which can run "
                   "arbitrary code when loaded. Pass --allow_pickle only if you trust the file.\n")
    code, out, _ = _hp2_run(capsys, *SERVE, "--inputs", f"x={path}", "--allow_pickle")
    assert (code, out) == (0, "Result for output key y:\n[[2.5]\n [3. ]]\n")


@pytest.mark.parametrize("expr", ['__import__("os").system("true")', "open('/etc/passwd')",
                                  "np.load('x.npy')", "[x for x in range(3)]", "2**100000",
                                  "np.ones(3).tofile('f')", "np.ones((100000, 100000))",
                                  "[np.zeros(50000000), np.zeros(50000000)]"])
def test_unsafe_or_huge_expressions_are_usage_errors(capsys, expr):
    code, out, err = _hp2_run(capsys, *SERVE, "--input_exprs", f"x={expr}")
    assert (code, out) == (2, "")
    assert err.startswith("usage: savedmodel run")
    assert f"Error: expression {expr!r}" in err
    assert "Try 'savedmodel run --help' for help." in err


def test_expression_syntax_error(capsys):
    code, _, err = _hp2_run(capsys, *SERVE, "--input_exprs", "x=[1,")
    assert code == 2
    assert "Error: expression '[1,' is not valid Python" in err


def test_unknown_input_key(capsys):
    code, _, err = _hp2_run(capsys, *SERVE, "--input_exprs", "z=[[1.0]]")
    assert code == 1
    assert err.startswith("Error: 'z' is not a valid input key of signature 'serving_default': "
                          "expected one of ['x'].")


def test_missing_input_of_two(capsys, tf_model):
    code, _, err = run_main(capsys, "run", "--dir", str(tf_model("tf2_adder") / "model"),
                            "--input_exprs", "x=[1.0]")
    assert code == 1
    assert err == ("Error: Signature 'serving_default' needs inputs ['y'], which were not given; "
                   "pass them with --inputs, --input_exprs or --input_examples.\n")


def test_no_inputs_is_a_usage_error(capsys):
    code, _, err = _hp2_run(capsys, *SERVE)
    assert code == 2
    assert ("Error: at least one of --inputs, --input_exprs, --input_examples or --request is "
            "required.") in err


def test_unknown_signature(capsys):
    code, _, err = _hp2_run(capsys, "--signature_def", "nope", "--input_exprs", "x=[[1.0]]")
    assert code == 1
    assert err.startswith("Error: No SignatureDef with key 'nope' in the MetaGraph: expected one "
                          "of ['classify_x_to_y', 'regress_x2_to_y3'")


def test_npz_with_several_arrays_needs_a_name(capsys, tmp_path):
    write_input_files(tmp_path)
    code, _, err = _hp2_run(capsys, *SERVE, "--inputs", f"x={tmp_path}/xs.npz")
    assert code == 1
    assert "contains 2 arrays ['a', 'b']" in err
    code, _, err = _hp2_run(capsys, *SERVE, "--inputs", f"x={tmp_path}/xs.npz[c]")
    assert code == 1
    assert "has no array named 'c'; it holds ['a', 'b']." in err


def test_outdir_refuses_to_overwrite_without_flag(capsys, tmp_path):
    (tmp_path / "y.npy").write_bytes(b"keep")
    flags = (*SERVE, "--input_exprs", "x=[[1.0]]", "--outdir", str(tmp_path))
    code, out, err = _hp2_run(capsys, *flags)
    assert (code, out) == (1, "")
    assert err == (f"Error: Output file {tmp_path / 'y.npy'} already exists. Add \"--overwrite\" "
                   "to overwrite the existing output files.\n")
    assert (tmp_path / "y.npy").read_bytes() == b"keep"
    code, out, _ = _hp2_run(capsys, *flags, "--overwrite")
    assert code == 0
    np.testing.assert_array_equal(np.load(tmp_path / "y.npy"), [[2.5]])


def test_request_signature_conflict_and_bad_body(capsys, tmp_path):
    body = tmp_path / "r.json"
    body.write_text(json.dumps({"signature_name": "classify_x_to_y", "instances": [[1.0]]}))
    code, _, err = _hp2_run(capsys, "--signature_def", "serving_default", "--request", str(body))
    assert code == 2
    assert "differs from the request's signature_name 'classify_x_to_y'" in err
    body.write_text(json.dumps({"instances": [[1.0]], "inputs": [[1.0]]}))
    code, _, err = _hp2_run(capsys, "--request", str(body))
    assert code == 1
    assert "expected exactly one of 'instances' (row format) or 'inputs'" in err


def test_request_rows_with_named_inputs(capsys, tmp_path, tf_model):
    body = tmp_path / "r.json"
    body.write_text(json.dumps({"instances": [{"x": 1.0, "y": 2.0}, {"x": 3.0, "y": 4.5}]}))
    code, out, _ = run_main(capsys, "run", "--dir", str(tf_model("tf2_adder") / "model"),
                            "--request", str(body))
    assert (code, out) == (0, "Result for output key output_0:\n[3.  7.5]\n")


# --- the recorder --------------------------------------------------------------------------------


def _main() -> None:
    _record(Path(sys.argv[1]), Path(sys.argv[2]))


if __name__ == "__main__":
    _main()


# --- input parsing -------------------------------------------------------------------------------


@pytest.mark.parametrize("text, expected", [
    ("np.ones((2, 3))", np.ones((2, 3))),
    ("np.zeros(2, dtype=np.int64)", np.zeros(2, np.int64)),
    ("np.full((2,), -1.5, np.float32)", np.full((2,), -1.5, np.float32)),
    ("np.arange(6).reshape(2, 3).astype(np.float16)", np.arange(6).reshape(2, 3).astype("f2")),
    ("np.linspace(0, 1, 5)", np.linspace(0, 1, 5)),
    ("np.eye(2, 3)", np.eye(2, 3)),
    ("numpy.array([[1, 2]], dtype='uint8')", np.array([[1, 2]], np.uint8)),
    ("np.float32(np.nan)", np.float32("nan")),
    ("[1+2j, -3.5, np.inf]", [1 + 2j, -3.5, np.inf]),
    ("{'a': [b'x', True, None]}", {"a": [b"x", True, None]}),
])
def test_expressions_evaluated_without_eval(text, expected):
    from savedmodel.cli.run_inputs import evaluate_expression

    actual = evaluate_expression(text)
    if isinstance(expected, np.ndarray):
        assert actual.dtype == expected.dtype
        np.testing.assert_array_equal(actual, expected)
    elif isinstance(expected, np.generic):
        assert type(actual) is type(expected) and np.isnan(actual)
    else:
        assert actual == expected


def test_literals_evaluate_as_literal_eval_does():
    import ast

    from hypothesis import given, settings
    from hypothesis import strategies as st

    from savedmodel.cli.run_inputs import evaluate_expression

    scalars = st.one_of(st.integers(-10**20, 10**20),
                        st.floats(allow_nan=False, allow_infinity=False),
                        st.booleans(), st.text(max_size=5), st.binary(max_size=5))

    @settings(max_examples=60, deadline=None)
    @given(st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.tuples(inner),
                        max_leaves=12))
    def check(value):
        text = repr(value)
        assert evaluate_expression(text) == ast.literal_eval(text)

    check()


def test_request_decoding():
    from savedmodel.cli.run_inputs import parse_request
    from savedmodel.errors import InvalidArgumentError

    request = parse_request({"inputs": [[1, 2]]})
    assert (request.signature_name, request.inputs) == (None, {None: [[1, 2]]})
    request = parse_request({"signature_name": "s",
                             "instances": [{"a": {"b64": "AAE="}, "b": 1},
                                           {"a": {"b64": "/w=="}, "b": 2}]})
    assert request.inputs == {"a": [b"\x00\x01", b"\xff"], "b": [1, 2]}
    with pytest.raises(InvalidArgumentError, match=r"instance 1 has keys \['a'\], expected"):
        parse_request({"instances": [{"a": 1, "b": 2}, {"a": 3}]})
    with pytest.raises(InvalidArgumentError, match="bad base64"):
        parse_request({"inputs": {"b64": "%%%"}})
