"""Runs one corpus generator in its own process: ``python _build.py NAME OUT_DIR``.

After the generator's ``build(out)`` it adds what every corpus entry carries:
``checkpoint_values.json``/``.npz`` (every tensor ``tf.train.load_checkpoint`` returns, for every
``*.index`` under ``out``), the ``saved_model_cli`` outputs (``_cli.py``) and
``manifest.json`` (SavedModel variants, tag sets, checkpoints, files, versions, timings).
"""

from __future__ import annotations

import importlib
import json
import sys
import time
from pathlib import Path

import numpy as np
import tensorflow as tf
from tensorflow.python.tools import saved_model_utils

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _cli import record, show_all_file  # noqa: E402
from _codec import Encoder  # noqa: E402

SAVED_MODEL_FILES = ("saved_model.pb", "saved_model.pbtxt")


def saved_model_variants(out: Path) -> dict[str, Path]:
    """``{variant: dir}`` for every SavedModel directory under ``out`` (variant = relative path)."""
    found = {}
    for name in SAVED_MODEL_FILES:
        for path in out.rglob(name):
            found[path.parent.relative_to(out).as_posix()] = path.parent
    return dict(sorted(found.items()))


def checkpoint_prefixes(out: Path) -> list[str]:
    """Relative prefix of every tensor bundle (``<prefix>.index``) under ``out``."""
    return sorted(p.relative_to(out).as_posix()[: -len(".index")] for p in out.rglob("*.index"))


def dump_checkpoints(out: Path) -> list[str]:
    """Writes every checkpoint tensor as TensorFlow reads it; returns the prefixes."""
    encoder = Encoder()
    doc: dict = {"checkpoints": {}}
    prefixes = checkpoint_prefixes(out)
    for prefix in prefixes:
        reader = tf.train.load_checkpoint(str(out / prefix))
        dtypes = reader.get_variable_to_dtype_map()
        tensors = {}
        for key in sorted(reader.get_variable_to_shape_map()):
            value = reader.get_tensor(key)
            if dtypes[key] == tf.string:
                value = np.array(value, dtype=object)
            leaf = encoder.leaf(value)
            if leaf["dtype"] != dtypes[key].name:
                raise TypeError(f"{prefix}: {key!r} read as {leaf['dtype']}, "
                                f"TF says {dtypes[key].name}.")
            tensors[key] = leaf
        doc["checkpoints"][prefix] = tensors
    encoder.save(doc, out / "checkpoint_values.json", out / "checkpoint_values.npz")
    return prefixes


def write_manifest(out: Path, name: str, variants: dict[str, Path], prefixes: list[str],
                   timings: dict[str, float]) -> None:
    """Writes ``out/manifest.json`` describing what the entry holds."""
    saved_models = {}
    for variant, path in variants.items():
        pb = next(f for f in SAVED_MODEL_FILES if (path / f).exists())
        saved_models[variant] = {
            "path": variant, "file": pb,
            "tag_sets": [sorted(t) for t in saved_model_utils.get_saved_model_tag_sets(str(path))],
            "cli_show_all": show_all_file(variant),
        }
    manifest = {
        "name": name, "tensorflow": tf.__version__, "keras": _version("keras"),
        "tf_keras": _version("tf_keras"), "saved_models": saved_models, "checkpoints": prefixes,
        "cases": (out / "cases.json").exists(), "cli_runs": "saved_model_cli.json",
        "seconds": {k: round(v, 2) for k, v in timings.items()},
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")


def _version(module: str) -> str | None:
    return getattr(sys.modules[module], "__version__", None) if module in sys.modules else None


def main(name: str, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    importlib.import_module(name).build(out)
    built = time.perf_counter()
    prefixes = dump_checkpoints(out)
    variants = saved_model_variants(out)
    if variants:
        record(out, list(variants))
    done = time.perf_counter()
    write_manifest(out, name, variants, prefixes,
                   {"build": built - start, "post": done - built, "total": done - start})


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]))
