"""The ``savedmodel`` command: argument parsing, dispatch and exit codes, nothing else.

Subcommands and flags follow TensorFlow 2.21's ``saved_model_cli``
(``tensorflow/python/tools/saved_model_cli.py``); the queries live in ``cli/inspect.py`` and the
wording in ``cli/render.py``. Errors the library raises on purpose (``SavedModelError``) print
``Error: <message>`` and exit 1; bad usage prints the usage line, ``Error: ...`` and a ``--help``
hint and exits 2. Never imports TensorFlow.

May import every other layer of savedmodel.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from savedmodel.cli import inspect, ops_command, render, run, scan_command
from savedmodel.errors import SavedModelError

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2

_SHOW_EXAMPLES = """\
Usage examples:
To show all tag-sets in a SavedModel:
$savedmodel show --dir /tmp/saved_model

To show all available SignatureDef keys in a MetaGraphDef specified by its tag-set:
$savedmodel show --dir /tmp/saved_model --tag_set serve

For a MetaGraphDef with multiple tags in the tag-set, all tags must be passed in, separated by ',':
$savedmodel show --dir /tmp/saved_model --tag_set serve,gpu

To show all inputs and outputs TensorInfo for a specific SignatureDef specified by the \
SignatureDef key in a MetaGraph.
$savedmodel show --dir /tmp/saved_model --tag_set serve --signature_def serving_default

To show all ops in a MetaGraph.
$savedmodel show --dir /tmp/saved_model --tag_set serve --list_ops

To show all available information in the SavedModel:
$savedmodel show --dir /tmp/saved_model --all

To list every checkpoint tensor (key, dtype, shape, bytes):
$savedmodel show --dir /tmp/saved_model --variables"""


class _UsageError(Exception):
    """Raised by the parser instead of exiting, so ``main`` can return ``EXIT_USAGE``."""

    def __init__(self, parser: argparse.ArgumentParser, message: str) -> None:
        super().__init__(message)
        self.parser = parser


class _ParserExit(Exception):
    """Raised by the parser after ``--help``/``--version`` instead of ``sys.exit``."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser that reports to ``main`` instead of exiting the process."""

    def error(self, message: str) -> NoReturn:
        raise _UsageError(self, message)

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        if message:
            sys.stderr.write(message)
        raise _ParserExit(status)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("savedmodel")
    except PackageNotFoundError:
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    """The ``savedmodel`` parser with its subcommands."""
    parser = _Parser(prog="savedmodel",
                     description="savedmodel: command-line interface for SavedModel, "
                                 "without TensorFlow")
    parser.add_argument("-v", "--version", action="version", version=f"savedmodel {_version()}")
    commands = parser.add_subparsers(title="commands", dest="command", parser_class=_Parser)
    for add_command in _COMMANDS.values():
        add_command(commands)
    return parser


def _add_show(commands: Any) -> None:
    show = commands.add_parser("show", help="show information about a SavedModel",
                               description=_SHOW_EXAMPLES,
                               formatter_class=argparse.RawTextHelpFormatter)
    show.add_argument("--dir", required=True, help="directory containing the SavedModel")
    show.add_argument("--all", action="store_true",
                      help="output all available information in the SavedModel")
    show.add_argument("--tag_set", help="comma-separated set of tags that identify a MetaGraphDef")
    show.add_argument("--signature_def",
                      help="a SignatureDef key whose inputs and outputs to display")
    show.add_argument("--list_ops", action="store_true",
                      help="output the ops used by the MetaGraphDef given by --tag_set")
    show.add_argument("--variables", action="store_true",
                      help="list every checkpoint tensor: key, dtype, shape, bytes")
    show.add_argument("--json", action="store_true",
                      help="print the same information as one JSON object")
    show.set_defaults(func=_show, command_parser=show)


# Subcommand name -> function adding its parser.
_COMMANDS = {
    "show": _add_show,
    "run": run.add_parser,
    "ops": ops_command.add_parser,
    "scan": scan_command.add_parser,
}


# One part of the output: its JSON key (None for text-only notes), its data and its text.
_Section = tuple[str | None, Any, str]


def _show(args: argparse.Namespace) -> str:
    """The text (or JSON) that ``savedmodel show`` prints for these flags."""
    sections = _show_sections(args)
    if args.json:
        return render.to_json({key: data for key, data, _ in sections if key is not None})
    return "".join(text for _, _, text in sections)


def _show_sections(args: argparse.Namespace) -> list[_Section]:
    """What to show, in saved_model_cli's order: its selected view, then ``--variables``."""
    sections: list[_Section] = []
    if not args.variables or args.all or args.tag_set is not None or args.list_ops:
        saved_model = inspect.read_saved_model(args.dir)
        if args.all:
            sections += _all(saved_model)
        elif args.tag_set is None:
            sections += _tag_sets(saved_model, args.list_ops)
        else:
            sections += _tag_set_views(saved_model, args)
    if args.variables:
        found = inspect.variables(args.dir)
        sections.append(("variables", found, render.variables(found)))
    return sections


def _all(saved_model: Any) -> list[_Section]:
    graphs = inspect.meta_graphs(saved_model)
    functions = inspect.saved_functions(saved_model)
    return [("meta_graphs", graphs, render.show_all(graphs, functions)),
            ("concrete_functions", functions, "")]


def _tag_sets(saved_model: Any, list_ops: bool) -> list[_Section]:
    sections: list[_Section] = []
    if list_ops:
        sections.append((None, None, render.LIST_OPS_NEEDS_TAG_SET))
    found = [list(tags) for tags in inspect.tag_sets(saved_model)]
    sections.append(("tag_sets", found, render.tag_sets(found)))
    return sections


def _tag_set_views(saved_model: Any, args: argparse.Namespace) -> list[_Section]:
    mg = inspect.meta_graph(saved_model, inspect.parse_tag_set(args.tag_set))
    tags = list(mg.meta_info_def.tags)
    sections: list[_Section] = [("tag_set", tags, "")]
    if args.list_ops:
        found = inspect.ops_used(mg.graph_def)
        sections.append(("ops", found, render.ops(tags, found)))
    if args.signature_def is None:
        keys = sorted(mg.signature_def)
        sections.append(("signature_def_keys", keys, render.signature_keys(keys)))
    else:
        sig = inspect.signature(mg, args.signature_def)
        sections.append(("signature_def", sig, render.signature(sig)))
    return sections


def _usage_error(error: _UsageError) -> int:
    parser = error.parser
    sys.stderr.write(parser.format_usage())
    sys.stderr.write(f"Error: {error}\n")
    sys.stderr.write(f"Try '{parser.prog} --help' for help.\n")
    return EXIT_USAGE


def main(argv: Sequence[str] | None = None) -> int:
    """Runs ``savedmodel`` with ``argv`` (default ``sys.argv[1:]``) and returns the exit code."""
    parser = build_parser()
    try:
        args, extra = parser.parse_known_args(argv)
        if args.command is None:
            parser.error(f"no command given: expected one of: {', '.join(_COMMANDS)}.")
        if extra:  # reported by the subcommand, so the usage shown is the one to fix
            args.command_parser.error(f"unrecognized arguments: {' '.join(extra)}")
    except _UsageError as error:
        return _usage_error(error)
    except _ParserExit as done:
        return done.status
    try:
        output = args.func(args)  # the text to print, or (text, exit code)
    except _UsageError as error:  # a flag's value found wrong by the command
        return _usage_error(error)
    except SavedModelError as error:
        sys.stderr.write(f"Error: {error}\n")
        return EXIT_ERROR
    text, code = (output, EXIT_OK) if isinstance(output, str) else output
    sys.stdout.write(text)
    return code
