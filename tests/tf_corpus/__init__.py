"""Reference models written by real TensorFlow, built once per machine and cached.

Each module ``tests/tf_corpus/<name>.py`` (``CORPUS`` lists ours) defines ``build(out: Path)``
that imports TensorFlow and writes models and ``cases.json``/``cases.npz`` under ``out``;
``_build.py`` then adds checkpoint values, ``saved_model_cli`` outputs and ``manifest.json`` (see
README.md). ``build_model(name)`` runs all that in a fresh subprocess (TensorFlow never enters the
test process through it) and caches the result in ``.tf_cache/<name>-<key>/``. The key hashes the
generator, the shared build files and the installed TensorFlow/Keras versions, so a second run
costs nothing and an edited generator is rebuilt. Read the results with ``tf_corpus.cases``.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
CACHE = Path(os.environ.get("SAVEDMODEL_TF_CACHE", HERE.parent.parent / ".tf_cache"))
BUILDER = HERE / "_build.py"
SHARED_SOURCES = ("_build.py", "_cli.py", "_codec.py", "_common.py")
BUILD_TIMEOUT_S = 600

# Every generator, in build order (the format corpus first, then the runtime corpus).
CORPUS = (
    "tf2_dtypes", "keras_dense", "tf1_builder", "ckpt_sharded",
    "tf2_adder", "tf2_module_control_flow", "tf2_lookup", "tf2_strings_int64",
    "tf2_unknown_shapes", "keras_mlp", "keras_cnn", "keras_transformer", "keras_rnn",
    "keras_preprocessing", "keras_mixed_precision", "tf1_while_cond", "tf1_simple_save",
    "tf2_random_stateless", "tf2_misc_ops", "tfkeras_models",
)


NOT_GENERATORS = frozenset({"build_all", "cases"})


def generators() -> tuple[str, ...]:
    """Every generator module here: ``CORPUS`` first, then the others (other suites' entries)."""
    found = {p.stem for p in HERE.glob("*.py")
             if not p.stem.startswith(("_", "test_")) and p.stem not in NOT_GENERATORS}
    return (*[n for n in CORPUS if n in found], *sorted(found - set(CORPUS)))


def _versions() -> str:
    found = []
    for dist in ("tensorflow-cpu", "tensorflow", "keras", "tf-keras"):
        try:
            found.append(f"{dist}={importlib.metadata.version(dist)}")
        except importlib.metadata.PackageNotFoundError:
            continue
    return ";".join(found)


def cache_key(name: str) -> str:
    """Hash of the generator, the shared build sources and the installed TF/Keras versions."""
    digest = hashlib.sha256(_versions().encode())
    for source in (f"{name}.py", *SHARED_SOURCES):
        digest.update(source.encode() + b"\0" + (HERE / source).read_bytes())
    return digest.hexdigest()[:16]


def cached_path(name: str) -> Path:
    """Where model ``name`` lives in the cache (it may not be built yet)."""
    return CACHE / f"{name}-{cache_key(name)}"


def is_cached(name: str) -> bool:
    return (cached_path(name) / ".complete").exists()


def build_model(name: str) -> Path:
    """Returns the directory holding model ``name``, building it with TensorFlow when not cached."""
    if not (HERE / f"{name}.py").exists():
        raise FileNotFoundError(f"No corpus generator tests/tf_corpus/{name}.py; known: {CORPUS}.")
    target = cached_path(name)
    if (target / ".complete").exists():
        return target
    (CACHE / ".locks").mkdir(parents=True, exist_ok=True)
    with open(CACHE / ".locks" / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process may be building the same model
        if not (target / ".complete").exists():
            _build(name, target)
    return target


def _build(name: str, target: Path) -> None:
    (CACHE / ".tmp").mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=CACHE / ".tmp"))
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="", PYTHONHASHSEED="0")
    try:
        proc = subprocess.run([sys.executable, str(BUILDER), name, str(work / "out")],
                              capture_output=True, text=True, env=env, cwd=HERE,
                              timeout=BUILD_TIMEOUT_S)
        if proc.returncode != 0:
            raise RuntimeError(f"Building corpus model {name!r} failed (tests/tf_corpus/{name}.py):"
                               f"\n{proc.stdout[-5000:]}\n{proc.stderr[-20000:]}")
        (work / "out" / ".complete").write_text("ok\n")
        if target.exists():
            shutil.rmtree(target)
        os.replace(work / "out", target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    _remove_stale(name, target)


def _remove_stale(name: str, keep: Path) -> None:
    """Drops older cache entries of ``name`` (built from a previous generator or TF version)."""
    pattern = re.compile(rf"{re.escape(name)}-[0-9a-f]{{16}}")
    for entry in CACHE.iterdir():
        if entry != keep and pattern.fullmatch(entry.name):
            shutil.rmtree(entry, ignore_errors=True)


def build_many(names: tuple[str, ...] | None = None, jobs: int = 2,
               strict: bool = True) -> dict[str, float]:
    """Builds ``names``, ``jobs`` subprocesses at a time; returns seconds per model (0: cached).

    ``names`` defaults to every generator. With ``strict``, raises the first failure once every
    build has finished; otherwise failed entries are left out of the result.
    """
    names = generators() if names is None else names

    def timed(name: str) -> float:
        start = time.perf_counter()
        cached = is_cached(name)
        build_model(name)
        return 0.0 if cached else time.perf_counter() - start

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {name: pool.submit(timed, name) for name in names}
    errors = [f.exception() for f in futures.values() if f.exception() is not None]
    if errors and strict:
        raise errors[0]
    return {name: f.result() for name, f in futures.items() if f.exception() is None}
