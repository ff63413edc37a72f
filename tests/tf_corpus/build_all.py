"""Builds the whole TensorFlow reference corpus (or the named entries) and prints timings.

Usage: ``python tests/tf_corpus/build_all.py [-j 2] [--force] [NAME ...]``. Cached entries cost
nothing; ``--force`` drops them first. Each entry builds in its own subprocess, ``-j`` at a time.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tf_corpus import build_many, cached_path, generators


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", default=list(generators()),
                        help="entries (default: all)")
    parser.add_argument("-j", "--jobs", type=int, default=2, help="parallel builds (default 2)")
    parser.add_argument("--force", action="store_true", help="rebuild even when cached")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.names) - set(generators()))
    if unknown:
        parser.error(f"unknown corpus entries {unknown}; known: {', '.join(generators())}")
    if args.force:
        for name in args.names:
            shutil.rmtree(cached_path(name), ignore_errors=True)
    start = time.perf_counter()
    seconds = build_many(tuple(args.names), jobs=args.jobs)
    wall = time.perf_counter() - start
    print(f"{'entry':28} {'wall s':>7} {'build s':>8} {'post s':>7}  size")
    for name in args.names:
        entry = cached_path(name)
        inner = json.loads((entry / "manifest.json").read_text())["seconds"]
        size = sum(f.stat().st_size for f in entry.rglob("*") if f.is_file())
        wall_s = f"{seconds[name]:7.1f}" if seconds[name] else " cached"
        print(f"{name:28} {wall_s} {inner['build']:8.1f} {inner['post']:7.1f}  "
              f"{size / 1024:.0f} KiB")
    print(f"total wall {wall:.1f} s with {args.jobs} jobs, {len(args.names)} entries")
    return 0


if __name__ == "__main__":
    sys.exit(main())
