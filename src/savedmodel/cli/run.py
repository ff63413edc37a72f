"""``savedmodel run``: feed inputs to one SignatureDef of a SavedModel; print or save its outputs.

Mirrors ``saved_model_cli run`` of TensorFlow 2.21 (``tensorflow/python/tools/saved_model_cli.py``,
``run_saved_model_with_feed_dict``): outputs are printed in sorted key order as
``Result for output key <key>:\\n<str(ndarray)>``; with ``--outdir`` each is also written to
``<outdir>/<key>.npy`` followed by ``Output <key> is saved to <path>``. Inputs are converted to the
signature's dtypes as ``Session.run`` converts feeds (``np.asarray(value, dtype)``). Differences, on
purpose: pickled ``--inputs`` are refused unless ``--allow_pickle``; ``--input_exprs`` evaluates
NumPy constructors without ``eval`` (``cli/run_inputs.py``); existing output files are detected
before any is written; ``--tag_set`` may be left out for a single-MetaGraph model and
``--signature_def`` defaults to ``serving_default``; ``--request`` replays a TF Serving REST body.

May import ``savedmodel.saved_model``, ``savedmodel.format`` and ``savedmodel.cli.inspect`` /
``run_inputs``.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from savedmodel.cli import run_inputs
from savedmodel.cli.inspect import parse_tag_set
from savedmodel.cli.run_inputs import InputSyntaxError
from savedmodel.errors import AlreadyExistsError, InvalidArgumentError, NotFoundError
from savedmodel.format import dtypes

DEFAULT_SIGNATURE = "serving_default"

RUN_EXAMPLES = """\
Usage example:
To run input tensors from files through a MetaGraphDef and save the output tensors to files:
$savedmodel run --dir /tmp/saved_model --tag_set serve \\
   --signature_def serving_default \\
   --inputs 'input1_key=/tmp/124.npz[x];input2_key=/tmp/123.npy' \\
   --input_exprs 'input3_key=np.ones(2)' \\
   --input_examples 'input4_key=[{"id":[26],"weights":[0.5, 0.5]}]' \\
   --outdir=/out

To replay a TF Serving REST predict request locally:
$savedmodel run --dir /tmp/saved_model --request request.json"""


def add_parser(commands: Any) -> None:
    """Adds the ``run`` subcommand to ``savedmodel``'s subparsers."""
    run = commands.add_parser("run", help="run a SignatureDef of a SavedModel on given inputs",
                              description=RUN_EXAMPLES,
                              formatter_class=argparse.RawTextHelpFormatter)
    run.add_argument("--dir", required=True, help="directory containing the SavedModel")
    run.add_argument("--tag_set", help="comma-separated set of tags that identify a MetaGraphDef "
                                       "(optional when the SavedModel has one)")
    run.add_argument("--signature_def", help="key of the SignatureDef to run "
                                             f"(default: the request's, else {DEFAULT_SIGNATURE})")
    run.add_argument("--inputs", default="",
                     help="'<input_key>=<filename>' or '<input_key>=<filename>[<variable_name>]', "
                          "separated by ';', loaded from .npy or .npz files")
    run.add_argument("--input_exprs", default="",
                     help="'<input_key>=<expression>' separated by ';': Python literals or NumPy "
                          "constructors such as np.ones((2, 3)) (evaluated safely, never eval)")
    run.add_argument("--input_examples", default="",
                     help="'<input_key>=[{\"feature\": [values]}]' separated by ';': serialized "
                          "tf.train.Example protos")
    run.add_argument("--request", help="a TF Serving REST predict body (JSON file) to replay")
    run.add_argument("--outdir", help="write each output to <outdir>/<output_key>.npy")
    run.add_argument("--overwrite", action="store_true",
                     help="overwrite output files that already exist")
    run.add_argument("--allow_pickle", action="store_true",
                     help="allow --inputs files holding pickled objects (runs code from the file)")
    run.set_defaults(func=run_command, command_parser=run)


@dataclass
class RunInputs:
    """Everything ``run`` feeds: values by input key (None: the only input) and the signature."""

    values: dict[str | None, Any]
    signature_name: str | None = None


def run_command(args: argparse.Namespace) -> str:
    """The text ``savedmodel run`` prints for these flags; bad flag values are usage errors."""
    try:
        inputs = collect_inputs(args)
        signature_key = _signature_key(args.signature_def, inputs.signature_name)
    except InputSyntaxError as error:
        args.command_parser.error(str(error))
    model = _load(args.dir, args.tag_set)
    function = signature_function(model, signature_key)
    feeds = make_feeds(function, signature_key, inputs.values)
    outputs = {key: _as_numpy(value) for key, value in function(**feeds).items()}
    paths = output_paths(args.outdir, sorted(outputs), args.overwrite)
    save_outputs(outputs, paths)
    return render_outputs(outputs, paths)


def collect_inputs(args: argparse.Namespace) -> RunInputs:
    """Parses the four input flags; later flags override earlier ones for the same key, as in TF."""
    if not (args.inputs or args.input_exprs or args.input_examples or args.request):
        raise InputSyntaxError("at least one of --inputs, --input_exprs, --input_examples or "
                               "--request is required.")
    values: dict[str | None, Any] = {}
    for key, spec in run_inputs.split_items(args.inputs, "--inputs"):
        values[key] = run_inputs.load_file_input(spec, args.allow_pickle)
    for key, text in run_inputs.split_items(args.input_exprs, "--input_exprs"):
        values[key] = run_inputs.evaluate_expression(text)
    for key, text in run_inputs.split_items(args.input_examples, "--input_examples"):
        values[key] = run_inputs.make_examples(run_inputs.evaluate_expression(text), key)
    signature_name = None
    if args.request:
        request = run_inputs.read_request(args.request)
        values.update(request.inputs)
        signature_name = request.signature_name
    return RunInputs(values, signature_name)


def _signature_key(flag: str | None, requested: str | None) -> str:
    if flag and requested and flag != requested:
        raise InputSyntaxError(f"--signature_def {flag!r} differs from the request's "
                               f"signature_name {requested!r}; give one or make them agree.")
    return flag or requested or DEFAULT_SIGNATURE


def _load(export_dir: str, tag_set: str | None) -> Any:
    from savedmodel.saved_model.load import load

    return load(export_dir, tags=None if tag_set is None else parse_tag_set(tag_set))


def signature_function(model: Any, key: str) -> Any:
    """The callable of signature ``key``; NotFoundError naming the available keys."""
    signatures = model.signatures
    if key not in signatures:
        raise NotFoundError(f"No SignatureDef with key {key!r} in the MetaGraph: expected one of "
                            f"{sorted(signatures)}.")
    return signatures[key]


def input_specs(function: Any) -> dict[str, Any]:
    """Input key -> TensorSpec of a signature (TF1 SignatureFunction or TF2 ConcreteFunction)."""
    _, specs = function.structured_input_signature
    return dict(specs)


def make_feeds(function: Any, key: str, values: dict[str | None, Any]) -> dict[str, Any]:
    """Matches given values to the signature's inputs and converts them to its dtypes."""
    specs = input_specs(function)
    values = dict(values)
    if None in values:
        if len(specs) != 1:
            raise InvalidArgumentError(
                f"The request gives one unnamed input, but signature {key!r} has inputs "
                f"{sorted(specs)}: name them ({{\"inputs\": {{\"name\": ...}}}} or objects in "
                "\"instances\").")
        values[next(iter(specs))] = values.pop(None)
    unknown = [k for k in values if k not in specs]
    if unknown:
        raise InvalidArgumentError(
            f"{unknown[0]!r} is not a valid input key of signature {key!r}: expected one of "
            f"{sorted(specs)}. Run `savedmodel show --dir DIR --tag_set TAGS --signature_def "
            f"{key}` to see them.")
    missing = sorted(set(specs) - set(values))
    if missing:
        raise InvalidArgumentError(f"Signature {key!r} needs inputs {missing}, which were not "
                                   "given; pass them with --inputs, --input_exprs or "
                                   "--input_examples.")
    return {name: convert_feed(values[name], specs[name], name) for name in specs}


def convert_feed(value: Any, spec: Any, name: str) -> Any:
    """A value as ``Session.run`` feeds it: ``np.asarray(value, dtype)``; strings left as given."""
    dtype = dtypes.as_dtype(spec.dtype)
    if dtype.is_string or dtype.numpy is None:
        return value
    try:
        return np.asarray(value, dtype=dtype.numpy)
    except (TypeError, ValueError, OverflowError) as error:
        raise InvalidArgumentError(f"Input {name!r}: cannot convert {_short(value)} to "
                                   f"{dtype.name}: {error}.") from None


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _as_numpy(value: Any) -> Any:
    return value.numpy() if hasattr(value, "numpy") else np.asarray(value)


def output_paths(outdir: str | None, keys: list[str], overwrite: bool) -> dict[str, str]:
    """``<outdir>/<key>.npy`` per output key; AlreadyExistsError, before any is written, when one
    exists and ``overwrite`` is false."""
    if not outdir:
        return {}
    paths = {key: os.path.join(outdir, key + ".npy") for key in keys}
    taken = [p for p in paths.values() if os.path.exists(p)]
    if taken and not overwrite:
        raise AlreadyExistsError(f"Output file {taken[0]} already exists. Add \"--overwrite\" to "
                                 "overwrite the existing output files.")
    return paths


def save_outputs(outputs: Mapping[str, Any], paths: dict[str, str]) -> None:
    """Writes each output with a path to its ``.npy`` file, creating the directory."""
    for key, path in paths.items():
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        np.save(path, outputs[key])


def render_outputs(outputs: Mapping[str, Any], paths: dict[str, str]) -> str:
    """saved_model_cli's report: each output in sorted key order, then where it was saved."""
    lines = []
    for key in sorted(outputs):
        lines.append(f"Result for output key {key}:\n{outputs[key]}")
        if key in paths:
            lines.append(f"Output {key} is saved to {paths[key]}")
    return "".join(line + "\n" for line in lines)
