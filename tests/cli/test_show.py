"""``savedmodel show`` against TensorFlow 2.21's own ``saved_model_cli show``, output for output.

References: the corpus models (``tf_model``) carry ``saved_model_cli.json``, every ``show`` run
recorded by ``tests/tf_corpus/_cli.py``. For the TF Serving fixtures and for a model made to
exercise the "Concrete Functions" part (every kind of argument a ``tf.function`` can be traced
with) this file records the same runs itself: ``python tests/cli/test_show.py OUT FIXTURE_DIR...``
in a subprocess with TensorFlow, cached in the corpus cache under the hash of its inputs.

Comparison is exact except where TF's text is not deterministic: its op sets print in hash order
(ours sorted), the dicts in argument values in map order (ours sorted), and the options of a
function in the order of the names TF gives them at load time (ours: the object graph's order).
"""

from __future__ import annotations

import ast
import base64
import hashlib
import inspect as pyinspect
import json
import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, also when run as a script

from fixture_paths import REPO, SERVING_FIXTURES, serving_saved_models
from tf_corpus import CACHE
from tf_corpus import HERE as CORPUS_DIR

from savedmodel.cli import render
from savedmodel.cli.inspect import (
    FunctionListing,
    MetaGraphInfo,
    SignatureInfo,
    TensorInfo,
)
from savedmodel.cli.main import EXIT_ERROR, EXIT_OK, EXIT_USAGE, main
from savedmodel.format import dtypes

CORPUS = {"tf2_dtypes": ["model"], "keras_dense": ["export", "saved"],
          "tf1_builder": ["binary", "text"]}
FIXTURES = [p.relative_to(SERVING_FIXTURES).as_posix() for p in serving_saved_models()]
SELF_BUILT = ["functions", "two_graphs"]
TF2_FIXTURE = SERVING_FIXTURES / "saved_model_half_plus_two_tf2_cpu" / "00000123"
TF1_FIXTURE = SERVING_FIXTURES / "saved_model_half_plus_two_cpu" / "00000123"


# --- TensorFlow side: runs only in the recording subprocess --------------------------------------


def _build_functions_model(out: Path) -> None:
    """A tf.Module with functions traced with every kind of argument saved_model_cli prints."""
    import collections

    import tensorflow as tf

    pair = collections.namedtuple("Pair", ["alpha", "beta"])

    class Functions(tf.Module):
        def __init__(self):
            self.v = tf.Variable([1.0, 2.0])
            self.s = tf.Variable([b"a", b"bc"])

        @tf.function
        def poly(self, x, training=False, scale=2.5, name="abc", opt=None):
            return x * self.v * scale

        @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.float32, name="inp"),
                                      tf.TensorSpec([], tf.int64)])
        def sig(self, a, b):
            return a + tf.cast(b, tf.float32)

        @tf.function
        def nested(self, xs, d):
            return xs[0] + d["k"] + d["a"] + d["z"]

        @tf.function
        def keywords(self, x, *, y, z=1):
            return x + y

        @tf.function
        def structures(self, p, pair_of=(1, 2), dtype=None):
            return p.alpha + p.beta

        @tf.function(input_signature=[tf.RaggedTensorSpec([None, None], tf.float32)])
        def ragged(self, r):
            return tf.reduce_sum(r)

        @tf.function
        def noargs(self):
            return self.v + 1.0

    m = Functions()
    m.poly(tf.constant([1.0, 2.0]))
    m.poly(tf.constant([[1.0, 2.0]]), training=True, scale=3)
    m.poly(tf.constant([1.0, 2.0]), opt=[1, "x"])
    m.nested([tf.constant(1.0), tf.constant(2.0)],
             {"k": tf.constant(3.0), "a": tf.constant(1.0), "z": tf.constant(0.5)})
    m.keywords(tf.constant(1.0), y=tf.constant(2.0))
    m.structures(pair(tf.constant(1.0), tf.constant(2.0)), pair_of=("s", 2.0))
    m.structures(pair(tf.constant(1.0), tf.constant(2.0)), dtype=tf.float16)
    m.noargs()
    m.bare = m.sig.get_concrete_function()
    m.bare_unknown = tf.function(lambda x: x * 2).get_concrete_function(
        tf.TensorSpec(None, tf.float32))
    tf.saved_model.save(m, str(out / "functions"), signatures={
        "s": m.sig, "p": m.poly.get_concrete_function(tf.TensorSpec([2], tf.float32, name="zz"))})


def _build_two_graphs_model(out: Path) -> None:
    """The functions model with a second meta graph: TF cannot list its functions (N/A)."""
    from tensorflow.core.protobuf import saved_model_pb2

    shutil.copytree(out / "functions", out / "two_graphs")
    pb = out / "two_graphs" / "saved_model.pb"
    saved_model = saved_model_pb2.SavedModel.FromString(pb.read_bytes())
    extra = saved_model.meta_graphs.add()
    extra.CopyFrom(saved_model.meta_graphs[0])
    extra.meta_info_def.tags.append("extra")
    pb.write_bytes(saved_model.SerializeToString())


def _record(out: Path, fixture_dirs: list[str]) -> None:
    """Builds the self-made models, then records saved_model_cli and list_variables for all."""
    import tensorflow as tf

    sys.path.insert(0, str(CORPUS_DIR))
    import _cli

    _build_functions_model(out)
    _build_two_graphs_model(out)
    targets = {name: out / name for name in SELF_BUILT}
    targets.update({f: SERVING_FIXTURES / f for f in fixture_dirs})
    doc: dict[str, Any] = {}
    for label, directory in targets.items():
        runs = [{"argv": argv, "stdout": _cli.run([str(directory) if a == "{dir}" else a
                                                   for a in argv])}
                for argv in _cli.invocations(directory)]
        prefix = directory / "variables" / "variables"
        reader = tf.train.load_checkpoint(str(prefix))
        dtype_map = reader.get_variable_to_dtype_map()
        listed = [[name, list(shape), dtype_map[name].name]
                  for name, shape in tf.train.list_variables(str(prefix))]
        doc[label] = {"runs": runs, "variables": listed}
    (out / "reference.json").write_text(json.dumps(doc, indent=1) + "\n")


# --- Reference data ------------------------------------------------------------------------------


def _reference_key() -> str:
    digest = hashlib.sha256()
    for function in (_build_functions_model, _build_two_graphs_model, _record):
        digest.update(pyinspect.getsource(function).encode())
    digest.update((CORPUS_DIR / "_cli.py").read_bytes())
    for fixture in FIXTURES:
        for name in ("saved_model.pb", "variables/variables.index"):
            path = SERVING_FIXTURES / fixture / name
            digest.update(fixture.encode() + (path.read_bytes() if path.exists() else b""))
    return digest.hexdigest()[:16]


@pytest.fixture(scope="session")
def recorded() -> Path:
    """Directory with the self-built models and ``reference.json`` (built once, cached)."""
    target = CACHE / f"cli_show-{_reference_key()}"
    if (target / ".complete").exists():
        return target
    work = CACHE / f"{target.name}.tmp{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="", PYTHONHASHSEED="0")
    proc = subprocess.run([sys.executable, __file__, str(work), *FIXTURES], capture_output=True,
                          text=True, env=env, cwd=REPO)
    if proc.returncode != 0:
        shutil.rmtree(work, ignore_errors=True)
        pytest.fail(f"Recording saved_model_cli references failed:\n{proc.stdout}\n{proc.stderr}")
    (work / ".complete").write_text("ok\n")
    shutil.rmtree(target, ignore_errors=True)
    os.replace(work, target)
    return target


class Model:
    """One SavedModel with TF's recorded ``show`` runs and (when recorded) list_variables."""

    def __init__(self, directory: Path, runs: list[dict], variables: list | None = None) -> None:
        self.directory = directory
        self.runs = runs
        self.variables = variables

    def argv(self, run: dict) -> list[str]:
        return [str(self.directory) if a == "{dir}" else a for a in run["argv"]]

    def stdout(self, *flags: str) -> str:
        """TF's recorded stdout of ``show --dir DIR *flags``."""
        for run in self.runs:
            if run["argv"][3:] == list(flags):
                return run["stdout"]
        raise KeyError(flags)


MODELS = ([f"{name}/{variant}" for name, variants in CORPUS.items() for variant in variants]
          + FIXTURES + SELF_BUILT)


@pytest.fixture
def model(request, tf_model, recorded) -> Model:
    label = request.param
    if label in SELF_BUILT or label in FIXTURES:
        entry = json.loads((recorded / "reference.json").read_text())[label]
        directory = recorded / label if label in SELF_BUILT else SERVING_FIXTURES / label
        return Model(directory, entry["runs"], entry["variables"])
    name, variant = label.split("/")
    root = tf_model(name)
    runs = [r for r in json.loads((root / "saved_model_cli.json").read_text())["runs"]
            if r["variant"] == variant]
    return Model(root / variant, runs)


def run_main(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# --- Normalising TF's non-deterministic parts ----------------------------------------------------

_OPS_LINE = re.compile(r"^(The MetaGraph with tag set .* contains the following ops: )(.*)$", re.M)
_OPTION = re.compile(r"^    Option #\d+$", re.M)
_DICT_VALUE = re.compile(r"^( +Value: \{)(.*), \x08\x08\}$", re.M)


def _sorted_ops(text: str) -> str:
    def sort(match: re.Match) -> str:
        ops = ast.literal_eval(match.group(2))
        return match.group(1) + ("{" + ", ".join(map(repr, sorted(ops))) + "}" if ops else "set()")
    return _OPS_LINE.sub(sort, text)


def _sorted_dict_values(text: str) -> str:
    def sort(match: re.Match) -> str:
        items = re.split(r", (?=')", match.group(2))
        return match.group(1) + ", ".join(sorted(items)) + ", \b\b}"
    return _DICT_VALUE.sub(sort, text)


def _sorted_named_arguments(option: str) -> str:
    """Keyword arguments come from a proto map, in random order in TF: sort and renumber them."""
    head, marker, named = option.partition("        Named Argument #1\n")
    if not marker:
        return option
    names = sorted(re.findall(r"^          (.*)$", named, re.M))
    return head + "".join(f"        Named Argument #{i}\n          {name}\n"
                          for i, name in enumerate(names, 1))


def normalized(text: str) -> tuple[str, str | None, list[tuple[str, list[str]]]]:
    """(text before "Concrete Functions", its header line, [(function, sorted options)])."""
    text = _sorted_ops(text)
    head, marker, functions = text.partition("\nConcrete Functions:")
    if not marker:
        return head, None, []
    blocks = functions.split("\n  Function Name: ")
    listed = []
    for block in blocks[1:]:
        name, _, body = block.partition("\n")
        options = [_sorted_named_arguments(o)
                   for o in _OPTION.split(_sorted_dict_values(body)) if o.strip()]
        listed.append((name, sorted(options)))
    return head, "Concrete Functions:" + blocks[0], listed


# --- Golden comparisons --------------------------------------------------------------------------


@pytest.mark.parametrize("model", MODELS, indirect=True)
def test_every_show_run_matches_saved_model_cli(model, capsys):
    assert model.runs, "no recorded saved_model_cli runs"
    for run in model.runs:
        code, out, err = run_main(capsys, *model.argv(run))
        assert (code, err) == (EXIT_OK, ""), run["argv"]
        assert _sorted_ops(out) == out, "our op list must already be sorted"
        assert normalized(out) == normalized(run["stdout"]), run["argv"]


@pytest.mark.parametrize("name", list(CORPUS))
def test_corpus_show_all_files_match(name, tf_model, capsys):
    root = tf_model(name)
    manifest = json.loads((root / "manifest.json").read_text())
    for variant, info in manifest["saved_models"].items():
        expected = (root / info["cli_show_all"]).read_text()
        code, out, _ = run_main(capsys, "show", "--dir", str(root / variant), "--all")
        assert code == EXIT_OK
        assert normalized(out) == normalized(expected)


def test_functions_model_prints_every_argument_kind(recorded, capsys):
    """Spot checks of the rendering itself (the golden test compares it with TF's)."""
    code, out, _ = run_main(capsys, "show", "--dir", str(recorded / "functions"), "--all")
    assert code == EXIT_OK
    assert "\n  Function Name: 'noargs'\n\n  Function Name: 'poly'\n" in out
    assert "          x: TensorSpec(shape=<unknown>, dtype=tf.float32, name='x')\n" in out
    assert "          Value: [1, 'x', \b\b]\n" in out
    assert "          DType: Pair\n" in out
    assert "          DType: DType\n          Value: <dtype: 'float16'>\n" in out
    assert "          DType: tuple\n          Value: ['s', 2.0, \b\b]\n" in out
    assert ("          DType: RaggedTensorSpec\n          Value: RaggedTensorSpec(TensorShape("
            "[None, None]), tf.float32, 1, tf.int64)\n") in out
    assert "        Named Argument #1\n          y\n" in out


def test_two_meta_graphs_with_object_graph_print_na(recorded, capsys):
    code, out, _ = run_main(capsys, "show", "--dir", str(recorded / "two_graphs"), "--all")
    assert code == EXIT_OK
    assert out.endswith("\nConcrete Functions: N/A (could not be listed due to unknown reasons)\n")


def test_model_without_functions_ends_without_newline(capsys):
    """TF prints the header with end='' and nothing after it when the root has no function."""
    listing = render.concrete_functions(FunctionListing(functions=()))
    assert listing == "\nConcrete Functions:"


# --- JSON ----------------------------------------------------------------------------------------


def _tensor_infos(data: dict) -> dict[str, TensorInfo]:
    return {k: TensorInfo(v["name"], v["dtype"], None if v["shape"] is None else tuple(v["shape"]))
            for k, v in data.items()}


def _signature_info(data: dict) -> SignatureInfo:
    return SignatureInfo(data["key"], _tensor_infos(data["inputs"]), _tensor_infos(data["outputs"]),
                         data["method_name"])


def show_json(capsys, model: Model, *flags: str) -> Any:
    code, out, err = run_main(capsys, "show", "--dir", str(model.directory), *flags, "--json")
    assert (code, err) == (EXIT_OK, "")
    return json.loads(out)


@pytest.mark.parametrize("model", MODELS, indirect=True)
def test_json_holds_the_same_data(model, capsys):
    tf_tag_sets = model.stdout().splitlines()[1:]
    doc = show_json(capsys, model)
    assert [repr(", ".join(sorted(t))) for t in sorted(doc["tag_sets"])] == tf_tag_sets

    doc = show_json(capsys, model, "--all")
    graphs = [MetaGraphInfo(tuple(g["tags"]), tuple(_signature_info(s) for s in g["signatures"]),
                            tuple(g["ops"])) for g in doc["meta_graphs"]]
    head, header, functions = normalized(model.stdout("--all"))
    assert render.show_all(graphs, None) == head
    listing = doc["concrete_functions"]
    assert (listing is None) == (header is None)
    if listing is not None:
        assert [f["name"] for f in listing["functions"]] == [name[1:-1] for name, _ in functions]

    for run in model.runs:
        flags = run["argv"][3:]
        if "--signature_def" in flags:
            doc = show_json(capsys, model, *flags)
            assert render.signature(_signature_info(doc["signature_def"])) == run["stdout"]
        elif "--list_ops" in flags:
            doc = show_json(capsys, model, *flags)
            ops_line, keys = _sorted_ops(run["stdout"]).split("\n", 1)
            assert render.ops(doc["tag_set"], doc["ops"]) == ops_line + "\n"
            assert render.signature_keys(doc["signature_def_keys"]) == keys


# --- --variables ---------------------------------------------------------------------------------


def _expected_variables(model: Model, tf_model) -> list[tuple[str, tuple[int, ...], str]]:
    """(name, shape, TF dtype name) of every checkpoint tensor, as TensorFlow lists them."""
    if model.variables is not None:
        return [(name, tuple(shape), dtype) for name, shape, dtype in model.variables]
    root = model.directory.parent
    values = json.loads((root / "checkpoint_values.json").read_text())["checkpoints"]
    tensors = values[f"{model.directory.name}/variables/variables"]
    return [(name, tuple(t["shape"]), t["dtype"]) for name, t in sorted(tensors.items())]


@pytest.mark.parametrize("model", MODELS, indirect=True)
def test_variables_match_tf_list_variables(model, tf_model, capsys):
    expected = _expected_variables(model, tf_model)
    doc = show_json(capsys, model, "--variables")
    got = [(v["key"], tuple(v["shape"]), dtypes.as_dtype(v["dtype"]).name)
           for v in doc["variables"]]
    assert got == expected
    code, out, _ = run_main(capsys, "show", "--dir", str(model.directory), "--variables")
    assert code == EXIT_OK
    lines = out.splitlines()
    assert lines[0] == "The given SavedModel checkpoint contains the following tensor(s):"
    assert len(lines) == len(expected) + 2
    for line, v in zip(lines[1:-1], doc["variables"], strict=True):
        shape = "(" + ", ".join(map(str, v["shape"])) + ")"
        assert line == (f"  tensor['{v['key']}'] dtype: {v['dtype']} shape: {shape} "
                        f"bytes: {v['nbytes']}")
    total = sum(v["nbytes"] for v in doc["variables"])
    assert lines[-1] == f"Total: {len(expected)} tensor(s), {total} bytes"


def _string_bytes(values: list[bytes]) -> int:
    """Bytes TF's bundle stores for a string tensor: varint lengths, a 4-byte CRC, the bytes."""
    def varint_size(n: int) -> int:
        return max(1, (n.bit_length() + 6) // 7)
    if not values:
        return 0
    return sum(varint_size(len(v)) for v in values) + 4 + sum(len(v) for v in values)


def test_variables_bytes_follow_the_bundle_layout(tf_model, capsys):
    """Sizes on disk: elements x item size for numbers, TF's string layout for strings."""
    root = tf_model("tf2_dtypes")
    values = json.loads((root / "checkpoint_values.json").read_text())["checkpoints"]
    tensors = values["model/variables/variables"]
    code, out, _ = run_main(capsys, "show", "--dir", str(root / "model"), "--variables", "--json")
    assert code == EXIT_OK
    for v in json.loads(out)["variables"]:
        leaf = tensors[v["key"]]
        if v["dtype"] == "DT_STRING":
            items = [base64.b64decode(item) for item in leaf["b64"]]
            assert v["nbytes"] == _string_bytes(items), v["key"]
        else:
            itemsize = dtypes.as_dtype(v["dtype"]).itemsize
            assert v["nbytes"] == math.prod(leaf["shape"]) * itemsize, v["key"]


def test_variables_of_a_sliced_checkpoint(tf_model, tmp_path, capsys):
    """Partitioned tensors (bytes in their slices) report elements x item size."""
    root = tf_model("ckpt_sharded")
    (tmp_path / "variables").mkdir()
    for source in (root / "ckpt").iterdir():
        suffix = source.name[len("ckpt"):]
        shutil.copy(source, tmp_path / "variables" / f"variables{suffix}")
    tensors = json.loads((root / "checkpoint_values.json").read_text())["checkpoints"]["ckpt/ckpt"]
    code, out, _ = run_main(capsys, "show", "--dir", str(tmp_path), "--variables", "--json")
    assert code == EXIT_OK
    got = {v["key"]: v for v in json.loads(out)["variables"]}
    assert {k: (tuple(v["shape"]), dtypes.as_dtype(v["dtype"]).name) for k, v in got.items()} == {
        k: (tuple(t["shape"]), t["dtype"]) for k, t in tensors.items()}
    weights = got["weights/.ATTRIBUTES/VARIABLE_VALUE"]
    assert weights["nbytes"] == 10 * 4 * 4


def test_variables_without_checkpoint(tmp_path, capsys):
    code, out, _ = run_main(capsys, "show", "--dir", str(tmp_path), "--variables")
    assert (code, out) == (EXIT_OK,
                           "The given SavedModel has no checkpoint (variables/variables.index).\n")


def test_variables_follow_the_selected_view(capsys):
    code, out, _ = run_main(capsys, "show", "--dir", str(TF1_FIXTURE), "--variables")
    code_all, out_all, _ = run_main(capsys, "show", "--dir", str(TF1_FIXTURE), "--all",
                                    "--variables")
    assert code == code_all == EXIT_OK
    assert out_all.endswith("\n" + out) and out_all.startswith("\nMetaGraphDef with tag-set")


# --- Errors and exit codes -----------------------------------------------------------------------


def test_missing_directory(tmp_path, capsys):
    missing = tmp_path / "no_such_model"
    code, out, err = run_main(capsys, "show", "--dir", str(missing))
    assert (code, out) == (EXIT_ERROR, "")
    assert err == f"Error: SavedModel directory {str(missing)!r} does not exist.\n"


@pytest.mark.parametrize("fixture, says", [
    ("tf_text_regression/01", "SavedModel file does not exist at: "),
    ("bad_half_plus_two/00000123", "session-bundle export"),
])
def test_directory_without_saved_model(fixture, says, capsys):
    code, out, err = run_main(capsys, "show", "--dir", str(SERVING_FIXTURES / fixture), "--all")
    assert (code, out) == (EXIT_ERROR, "")
    assert err.startswith("Error: ") and says in err and fixture.split("/")[0] in err
    assert "Traceback" not in err


def test_corrupt_saved_model(tmp_path, capsys):
    (tmp_path / "saved_model.pb").write_bytes(b"\xff\xff\xff\xff not a proto")
    code, out, err = run_main(capsys, "show", "--dir", str(tmp_path))
    assert (code, out) == (EXIT_ERROR, "")
    assert err.startswith(f"Error: {tmp_path / 'saved_model.pb'}: not a valid binary")


def test_object_graph_child_out_of_range(tmp_path, capsys):
    from savedmodel._proto import saved_model_pb2

    pb = (TF2_FIXTURE / "saved_model.pb").read_bytes()
    saved_model = saved_model_pb2.SavedModel.FromString(pb)
    saved_model.meta_graphs[0].object_graph_def.nodes[0].children[0].node_id = 999
    (tmp_path / "saved_model.pb").write_bytes(saved_model.SerializeToString())
    code, out, err = run_main(capsys, "show", "--dir", str(tmp_path), "--all")
    assert (code, out) == (EXIT_ERROR, "")
    assert err.startswith("Error: saved_model.pb: object_graph_def: root child node_id 999 is out "
                          "of range: expected < ")


def test_unknown_tag_set_lists_the_available_ones(capsys):
    code, out, err = run_main(capsys, "show", "--dir", str(TF1_FIXTURE), "--tag_set", "serve,gpu")
    assert (code, out) == (EXIT_ERROR, "")
    assert err == ("Error: MetaGraphDef associated with tag-set 'gpu, serve' could not be found in "
                   "the SavedModel. Available tag-sets: 'serve'. Pass one of them, "
                   "comma-separated, to --tag_set.\n")


def test_unknown_signature_lists_the_keys(capsys):
    code, _, err = run_main(capsys, "show", "--dir", str(TF2_FIXTURE), "--tag_set", "serve",
                            "--signature_def", "nope")
    assert code == EXIT_ERROR
    assert err.startswith('Error: Could not find signature "nope" in the MetaGraphDef with tag-set '
                          "'serve'. Please choose from: __saved_model_init_op, classify_x2_to_y3, ")


def test_list_ops_without_tag_set_notes_it_and_lists_tag_sets(capsys):
    code, out, _ = run_main(capsys, "show", "--dir", str(TF1_FIXTURE), "--list_ops")
    assert code == EXIT_OK
    assert out == ("--list_ops must be paired with a tag-set or with --all.\n"
                   "The given SavedModel contains the following tag-sets:\n'serve'\n")


@pytest.mark.parametrize("argv, message", [
    ([], "Error: no command given: expected one of: show, run, ops, scan."),
    (["frobnicate"], "Error: argument command: invalid choice: 'frobnicate'"),
    (["show"], "Error: the following arguments are required: --dir"),
    (["show", "--dir", "x", "--bogus"], "Error: unrecognized arguments: --bogus"),
    (["show", "--dir"], "Error: argument --dir: expected one argument"),
])
def test_usage_errors_exit_2(argv, message, capsys):
    code, out, err = run_main(capsys, *argv)
    assert (code, out) == (EXIT_USAGE, "")
    lines = err.splitlines()
    assert lines[0].startswith("usage: savedmodel")
    assert any(line.startswith(message) for line in lines), err
    command = "savedmodel show" if argv[:1] == ["show"] else "savedmodel"
    assert lines[-1] == f"Try '{command} --help' for help."


def test_help_and_version_exit_0(capsys):
    code, out, _ = run_main(capsys, "show", "--help")
    assert code == EXIT_OK and "--signature_def" in out and "--variables" in out
    code, out, _ = run_main(capsys, "--version")
    assert code == EXIT_OK and out.startswith("savedmodel ")


# --- No TensorFlow -------------------------------------------------------------------------------


def test_cli_never_imports_tensorflow():
    script = (
        "import sys, io, contextlib, json\n"
        "import savedmodel.cli.main as m\n"
        "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
        f"    assert m.main(['show', '--dir', {str(TF2_FIXTURE)!r}, '--all', '--variables']) == 0\n"
        f"    assert m.main(['show', '--dir', {str(TF2_FIXTURE)!r}, '--all', '--json']) == 0\n"
        "assert 'Concrete Functions:' in out.getvalue()\n"
        "assert 'tensorflow' not in sys.modules, [k for k in sys.modules if 'tensorflow' in k]\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_python_dash_m_runs_the_cli(capsys):
    proc = subprocess.run([sys.executable, "-m", "savedmodel.cli", "show", "--dir",
                           str(TF1_FIXTURE)], capture_output=True, text=True)
    assert (proc.returncode, proc.stdout) == (
        EXIT_OK, "The given SavedModel contains the following tag-sets:\n'serve'\n")
    proc = subprocess.run([sys.executable, "-m", "savedmodel.cli", "show"], capture_output=True,
                          text=True)
    assert proc.returncode == EXIT_USAGE


if __name__ == "__main__":
    _record(Path(sys.argv[1]), sys.argv[2:])
