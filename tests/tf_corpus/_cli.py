"""Records ``saved_model_cli show`` outputs for the SavedModels of a corpus entry.

Runs TensorFlow's own CLI code inside the build process (a process per invocation would cost an
import of TensorFlow each, ~3 s): for each invocation it resets the absl flags, parses the argv
with ``saved_model_cli.create_parser()`` as the ``saved_model_cli`` script does, and calls the
chosen command with stdout captured. The result is byte-identical to the console script's stdout
(checked by ``test_corpus.py``) except that ``--list_ops``/``--all`` print the op names as a Python
set, whose order depends on ``PYTHONHASHSEED`` (0 here). Writes ``saved_model_cli.json``
(``{"runs": [{"variant", "argv", "stdout"}]}``, ``{dir}`` in argv standing for the SavedModel
directory) and one ``saved_model_cli_show_all[.<variant>].txt`` per variant.
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

from absl import flags
from tensorflow.python.tools import saved_model_cli, saved_model_utils


def run(argv: list[str]) -> str:
    """stdout of ``saved_model_cli <argv>``."""
    flags.FLAGS.unparse_flags()
    args = saved_model_cli.create_parser().parse_args(argv)
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        args.func()
    return buffer.getvalue()


def invocations(directory: Path) -> list[list[str]]:
    """The ``show`` invocations recorded for one SavedModel ({dir} = placeholder)."""
    runs = [["show", "--dir", "{dir}"], ["show", "--dir", "{dir}", "--all"]]
    for tags in saved_model_utils.get_saved_model_tag_sets(str(directory)):
        tag_set = ",".join(tags)
        runs.append(["show", "--dir", "{dir}", "--tag_set", tag_set])
        runs.append(["show", "--dir", "{dir}", "--tag_set", tag_set, "--list_ops"])
        meta = saved_model_utils.get_meta_graph_def(str(directory), tag_set)
        for key in sorted(meta.signature_def):
            runs.append(["show", "--dir", "{dir}", "--tag_set", tag_set, "--signature_def", key])
    return runs


def show_all_file(variant: str) -> str:
    """File holding ``saved_model_cli show --all`` for a variant (no suffix for ``model``)."""
    return "saved_model_cli_show_all.txt" if variant == "model" else (
        f"saved_model_cli_show_all.{variant.replace('/', '.')}.txt")


def record(out: Path, variants: list[str]) -> None:
    """Runs every invocation on every variant and writes the files named in the docstring."""
    records = []
    for variant in variants:
        directory = out / variant
        for argv in invocations(directory):
            stdout = run([str(directory) if a == "{dir}" else a for a in argv])
            records.append({"variant": variant, "argv": argv, "stdout": stdout})
            if argv[3:] == ["--all"]:
                (out / show_all_file(variant)).write_text(stdout)
    (out / "saved_model_cli.json").write_text(json.dumps({"runs": records}, indent=1) + "\n")
