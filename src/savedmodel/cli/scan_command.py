"""``savedmodel scan DIR``: vet an untrusted SavedModel and exit non-zero when it is not clean.

Exit codes: 0 when no finding reaches ``--fail-on`` (default medium), 1 when one does, 2 for bad
usage or an unreadable ``saved_model.pb``. ``--op_denylist``/``--op_allowlist`` (comma-separated op
names) and ``--tag_set`` follow ``saved_model_cli scan``; unlike it, every op outside the registry's
pure-computation allowlist is reported, not three. Text by default, one JSON object with ``--json``.

May import ``savedmodel.saved_model`` and ``savedmodel.cli.render``.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from savedmodel.cli import render
from savedmodel.errors import SavedModelError
from savedmodel.saved_model.scan import SEVERITIES, ScanReport, scan

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_UNREADABLE = 2
DEFAULT_FAIL_ON = "medium"

SCAN_EXAMPLES = """\
Usage examples:
To scan a SavedModel and fail (exit 1) on findings of medium severity or worse:
$savedmodel scan /tmp/saved_model

To fail only on high and critical findings, as JSON:
$savedmodel scan /tmp/saved_model --fail-on high --json

To trust one more op, and report another even though it is pure:
$savedmodel scan /tmp/saved_model --op_allowlist PrintV2 --op_denylist Einsum"""


def add_parser(commands: Any) -> None:
    """Adds the ``scan`` subcommand to ``savedmodel``'s subparsers."""
    parser = commands.add_parser("scan", help="scan a SavedModel for ops and files that reach "
                                              "outside it", description=SCAN_EXAMPLES,
                                 formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("path", nargs="?", metavar="DIR", help="directory containing the SavedModel")
    parser.add_argument("--dir", help="the same directory (saved_model_cli's spelling)")
    parser.add_argument("--json", action="store_true", help="print the report as one JSON object")
    parser.add_argument("--fail-on", "--fail_on", dest="fail_on", choices=SEVERITIES,
                        default=DEFAULT_FAIL_ON,
                        help=f"exit 1 on findings at or above this severity (default "
                             f"{DEFAULT_FAIL_ON})")
    parser.add_argument("--op_denylist", default="", help="comma-separated ops always reported")
    parser.add_argument("--op_allowlist", default="", help="comma-separated ops trusted")
    parser.add_argument("--tag_set", help="scan only the MetaGraph with this comma-separated tag set")
    parser.set_defaults(func=scan_command, command_parser=parser)


def scan_command(args: argparse.Namespace) -> tuple[str, int]:
    """The report text and exit code for parsed ``scan`` arguments (``cli/main.py`` prints it)."""
    directory = args.path or args.dir
    if not directory or (args.path and args.dir and args.path != args.dir):
        args.command_parser.error("give the SavedModel directory once: scan DIR (or --dir DIR).")
    try:
        report = scan(directory, op_allowlist=_names(args.op_allowlist),
                      op_denylist=_names(args.op_denylist), tags=args.tag_set)
    except SavedModelError as error:
        sys.stderr.write(f"Error: {error}\n")
        return "", EXIT_UNREADABLE
    failing = report.at_or_above(args.fail_on)
    text = render.to_json(_document(report, args.fail_on)) if args.json else \
        render_text(report, args.fail_on)
    return text, EXIT_FINDINGS if failing else EXIT_CLEAN


def run(args: argparse.Namespace) -> int:
    """Runs ``scan`` for parsed arguments, prints the report and returns the exit code."""
    text, code = scan_command(args)
    sys.stdout.write(text)
    return code


def _names(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


def _document(report: ScanReport, fail_on: str) -> dict[str, Any]:
    return dict(report.to_dict(), fail_on=fail_on, passed=not report.at_or_above(fail_on))


def render_text(report: ScanReport, fail_on: str) -> str:
    """Findings worst first, each with where and why, then a one-line verdict."""
    lines = [f"Scanned SavedModel at {report.export_dir}"]
    for finding in report.findings:
        lines += [f"{finding.severity.upper():8} {finding.code}: {finding.where}",
                  f"         {finding.message}", f"         why: {finding.why}"]
    counts = ", ".join(f"{n} {s}" for s, n in reversed(report.counts().items()))
    failing = len(report.at_or_above(fail_on))
    verdict = f"FAIL: {failing} finding(s) at or above {fail_on}" if failing else \
        f"PASS: nothing at or above {fail_on}"
    lines.append(f"{len(report.findings)} finding(s) ({counts}). {verdict}.")
    return "\n".join(lines) + "\n"
