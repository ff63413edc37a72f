"""Runs three Keras models with savedmodel and with TensorFlow, side by side in one run.

    python bench/runtime_bench.py                 # full run (a few minutes on 2 cores)
    python bench/runtime_bench.py --quick         # small run: fewer calls, 1 cold start each
    python bench/runtime_bench.py --profile       # also per-op times of our executor

Models (bench/_models.py, built with TF/Keras on first use and cached under ``bench/out/models``):
an MLP, MobileNetV2 (224x224x3, random weights) and a 2-block Transformer encoder (d_model 128,
seq 64). Measured, each through ``signatures["serving_default"]`` fed NumPy arrays:

- cold start: a fresh ``python -c`` that imports the library, loads the model and makes the first
  call (batch 1); wall time of the whole process, median of ``--cold-repeat`` runs after one
  uncounted run, with the child's own import / load / first-call split. Children run as an
  installed package would: bytecode cached (under ``bench/out/pycache``, even where
  ``PYTHONDONTWRITEBYTECODE`` is set), so the figure is not the cost of compiling our sources;
- latency: median of single calls at batch 1 after warmup, in-process;
- throughput: batch 32, items/s from the median call time, in-process;
- agreement: max abs difference of the outputs on the same batch-32 input.

``--profile`` wraps the executor's step loop (``savedmodel.runtime.executor._run_steps``, patched
in this process only) to time every kernel: the top ops by self time (nested function calls
excluded) and the per-node overhead (time of the loop minus its kernels' time, per step).
Targets (issue 3): cold start >= 10x faster than TensorFlow; steady state >= 0.8x TensorFlow's
speed at batch 32 and >= 1x at batch 1. Figures go to stdout and ``bench/out/runtime.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from savedmodel.errors import SavedModelError

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _models import MODELS, ensure_model

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
THROUGHPUT_BATCH = 32

COLD_CHILD = {
    "savedmodel": ("from savedmodel.saved_model.load import load", "load"),
    "tensorflow": ("import tensorflow as tf", "tf.saved_model.load"),
}
COLD_TEMPLATE = """\
import time; t0 = time.perf_counter()
import json, numpy as np
{import_line}
t1 = time.perf_counter()
m = {load}({export_dir!r})
t2 = time.perf_counter()
out = m.signatures["serving_default"](**{{{key!r}: np.load({feed!r})}})
t3 = time.perf_counter()
print("COLD", json.dumps([t1 - t0, t2 - t1, t3 - t2]))
"""


def cold_start(library: str, export_dir: Path, key: str, feed: Path, repeat: int) -> dict[str, float]:
    """Median wall time of a fresh process that imports ``library``, loads and calls once."""
    import_line, load = COLD_CHILD[library]
    code = COLD_TEMPLATE.format(import_line=import_line, load=load, export_dir=str(export_dir),
                                key=key, feed=str(feed))
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPYCACHEPREFIX=str(OUT / "pycache"))
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as installed: bytecode cached, not compiled per run
    walls, splits = [], []
    for _ in range(repeat + 1):  # the first run fills the bytecode and page caches; not counted
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                              check=False)
        walls.append(time.perf_counter() - start)
        if done.returncode != 0:
            raise RuntimeError(f"cold start of {library} on {export_dir} failed:\n{done.stderr[-2000:]}")
        line = next(x for x in done.stdout.splitlines() if x.startswith("COLD "))
        splits.append(json.loads(line[5:]))
    walls, splits = walls[1:], splits[1:]
    best = walls.index(statistics.median_low(walls))
    imp, load_s, first = splits[best]
    return {"total_s": statistics.median(walls), "import_s": imp, "load_s": load_s, "first_call_s": first}


def median_call(fn: Callable[[], Any], warmup: int, max_calls: int, budget_s: float) -> float:
    """Median seconds of ``fn()`` over at least 3 and at most ``max_calls`` calls, ~``budget_s``."""
    for _ in range(warmup):
        fn()
    times: list[float] = []
    deadline = time.perf_counter() + budget_s
    while len(times) < max_calls and (len(times) < 3 or time.perf_counter() < deadline):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _as_numpy(outputs: Any) -> dict[str, np.ndarray]:
    return {k: np.asarray(v.numpy()) for k, v in outputs.items()}


def max_abs_diff(ours: dict[str, np.ndarray], theirs: dict[str, np.ndarray]) -> tuple[float, float]:
    """Largest absolute difference over all outputs, and the largest absolute reference value."""
    if sorted(ours) != sorted(theirs):
        raise RuntimeError(f"output keys differ: savedmodel {sorted(ours)}, TensorFlow {sorted(theirs)}")
    diff = max(float(np.max(np.abs(ours[k].astype(np.float64) - theirs[k]))) for k in ours)
    scale = max(float(np.max(np.abs(theirs[k]))) for k in theirs)
    return diff, scale


class OpTimer:
    """Replaces the executor's step loop with a copy that times every kernel call."""

    def __init__(self) -> None:
        self.self_s: dict[str, float] = defaultdict(float)
        self.count: dict[str, int] = defaultdict(int)
        self.loop_s = 0.0  # every loop's own time (the nested loops it ran excluded)
        self.kernel_s = 0.0  # kernels' self time (nested loops excluded)
        self.steps = 0
        self._nested = [0.0]

    def run_steps(self, plan: Any, slots: list[Any]) -> None:
        clock = time.perf_counter
        loop_start = clock()
        kernel_total = nested_total = 0.0
        for step in plan.steps:
            args = [slots[i] if i.__class__ is int else [slots[j] for j in i] for i in step.inputs]
            self._nested.append(0.0)
            start = clock()
            outputs = step.kernel(step.ctx, *args, **step.attrs)
            elapsed = clock() - start
            nested = self._nested.pop()
            self.self_s[step.op] += elapsed - nested
            self.count[step.op] += 1
            kernel_total += elapsed - nested
            nested_total += nested
            for slot, value in zip(step.outputs, outputs):
                slots[slot] = np.asarray(value) if isinstance(value, np.generic) else value
            for slot in step.release:
                slots[slot] = None
        loop = clock() - loop_start
        self.loop_s += loop - nested_total
        self.kernel_s += kernel_total
        self.steps += len(plan.steps)
        self._nested[-1] += loop


def profile(fn: Callable[[], Any], calls: int, plain_s: float) -> dict[str, Any]:
    """Per-op self times over ``calls`` calls of ``fn`` with the executor loop instrumented.

    Every figure is the median over the calls, so a call slowed by another process counts little.
    """
    from savedmodel.runtime import executor

    timers: list[OpTimer] = []
    original = executor._run_steps
    try:
        executor._run_steps = OpTimer().run_steps
        fn()  # warm
        for _ in range(calls):
            timers.append(OpTimer())
            executor._run_steps = timers[-1].run_steps
            fn()
    finally:
        executor._run_steps = original
    per_op = {op: statistics.median(t.self_s.get(op, 0.0) for t in timers) for op in timers[0].self_s}
    top = sorted(per_op.items(), key=lambda kv: -kv[1])[:10]
    steps = timers[0].steps
    kernel_s = sum(per_op.values())
    loop_s = statistics.median(t.loop_s for t in timers)
    overhead_s = statistics.median(t.loop_s - t.kernel_s for t in timers)
    return {
        "steps_per_call": steps,
        "plain_call_s": plain_s,
        "kernel_s": kernel_s,
        "loop_overhead_s": overhead_s,
        "overhead_per_step_us": overhead_s / steps * 1e6 if steps else 0.0,
        "outside_loop_s": max(plain_s - loop_s, 0.0),
        "top_ops": [{"op": op, "ms_per_call": s * 1e3, "count_per_call": timers[0].count[op],
                     "share": s / kernel_s if kernel_s else 0.0} for op, s in top],
    }


def bench_model(name: str, args: argparse.Namespace, tf: Any) -> dict[str, Any]:
    """All measurements for one model; a savedmodel failure is recorded and TF still measured."""
    from savedmodel.saved_model.load import load

    export_dir, spec = ensure_model(name, args.cache)
    key, shape = spec["input"], spec["shape"]
    rng = np.random.default_rng(0)
    one = rng.standard_normal((1, *shape)).astype(spec["dtype"])
    batch = rng.standard_normal((THROUGHPUT_BATCH, *shape)).astype(spec["dtype"])
    feed_file = args.cache / f"{name}_feed.npy"
    np.save(feed_file, one)
    result: dict[str, Any] = {"model": name, "input": {key: [None, *shape]}}
    budget = 0.5 if args.quick else args.budget
    max_calls = 20 if args.quick else 1000

    theirs = tf.saved_model.load(str(export_dir)).signatures["serving_default"]
    tf_one, tf_batch = tf.constant(one), tf.constant(batch)
    result["tensorflow"] = {
        "cold": cold_start("tensorflow", export_dir, key, feed_file, args.cold_repeat),
        "latency_b1_s": median_call(lambda: theirs(**{key: tf_one}), 3, max_calls, budget),
        "batch32_s": median_call(lambda: theirs(**{key: tf_batch}), 1, max_calls, budget),
    }
    try:
        ours = load(export_dir).signatures["serving_default"]
        result["savedmodel"] = {
            "cold": cold_start("savedmodel", export_dir, key, feed_file, args.cold_repeat),
            "latency_b1_s": median_call(lambda: ours(**{key: one}), 3, max_calls, budget),
            "batch32_s": median_call(lambda: ours(**{key: batch}), 1, max_calls, budget),
        }
        diff, scale = max_abs_diff(_as_numpy(ours(**{key: batch})), _as_numpy(theirs(**{key: tf_batch})))
        result["max_abs_diff"], result["output_scale"] = diff, scale
        if args.profile:
            calls = 3 if args.quick else 21
            result["profile_b1"] = profile(lambda: ours(**{key: one}), calls,
                                           result["savedmodel"]["latency_b1_s"])
            result["profile_b32"] = profile(lambda: ours(**{key: batch}), max(calls // 4, 3),
                                            result["savedmodel"]["batch32_s"])
    except (SavedModelError, RuntimeError) as err:  # report it and go on with the other models
        result["savedmodel_error"] = f"{type(err).__name__}: {err}"
    return result


def _ratio(a: float, b: float) -> str:
    return f"{a / b:6.2f}x" if b else "   n/a"


def print_table(results: list[dict[str, Any]]) -> None:
    """One block per model: cold start, batch-1 latency, batch-32 throughput, both libraries."""
    print(f"\n{'model':12} {'metric':22} {'savedmodel':>12} {'tensorflow':>12} {'sm advantage':>13}")
    for r in results:
        tf_r, sm = r["tensorflow"], r.get("savedmodel")
        if sm is None:
            print(f"{r['model']:12} savedmodel FAILED: {r['savedmodel_error']}")
            continue
        rows = [
            ("cold start (s)", sm["cold"]["total_s"], tf_r["cold"]["total_s"], True),
            ("  import (s)", sm["cold"]["import_s"], tf_r["cold"]["import_s"], True),
            ("  load (s)", sm["cold"]["load_s"], tf_r["cold"]["load_s"], True),
            ("  first call (s)", sm["cold"]["first_call_s"], tf_r["cold"]["first_call_s"], True),
            ("latency b1 (ms)", sm["latency_b1_s"] * 1e3, tf_r["latency_b1_s"] * 1e3, True),
            ("throughput b32 (it/s)", THROUGHPUT_BATCH / sm["batch32_s"],
             THROUGHPUT_BATCH / tf_r["batch32_s"], False),
        ]
        for metric, ours, theirs, lower_better in rows:
            adv = _ratio(theirs, ours) if lower_better else _ratio(ours, theirs)
            print(f"{r['model']:12} {metric:22} {ours:12.4g} {theirs:12.4g} {adv:>13}")
        print(f"{r['model']:12} {'max abs diff':22} {r['max_abs_diff']:12.3g} "
              f"{'(scale ' + format(r['output_scale'], '.3g') + ')':>12}")
    for r in results:
        for key in ("profile_b1", "profile_b32"):
            if key in r:
                print_profile(r["model"], key.split("_")[1], r[key])


def print_profile(model: str, batch: str, p: dict[str, Any]) -> None:
    """Top ops by self time and the executor's overhead for one model and batch size."""
    print(f"\n{model} {batch}: {p['steps_per_call']:.0f} steps/call, call {p['plain_call_s'] * 1e3:.3f} ms, "
          f"kernels {p['kernel_s'] * 1e3:.3f} ms, loop overhead {p['loop_overhead_s'] * 1e3:.3f} ms "
          f"({p['overhead_per_step_us']:.2f} us/step), outside the loop {p['outside_loop_s'] * 1e3:.3f} ms")
    for op in p["top_ops"]:
        print(f"    {op['op']:28} {op['ms_per_call']:9.3f} ms  x{op['count_per_call']:<5.0f} "
              f"{op['share'] * 100:5.1f}%")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few calls, one cold start per model")
    parser.add_argument("--profile", action="store_true", help="per-op times of our executor")
    parser.add_argument("--models", nargs="+", choices=MODELS, default=list(MODELS))
    parser.add_argument("--cold-repeat", type=int, default=None, help="cold starts per library")
    parser.add_argument("--budget", type=float, default=3.0, help="seconds per steady-state figure")
    parser.add_argument("--cache", type=Path, default=OUT / "models")
    parser.add_argument("--json", type=Path, default=OUT / "runtime.json")
    args = parser.parse_args(argv)
    args.cold_repeat = args.cold_repeat or (1 if args.quick else 3)
    args.cache.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf

    results = [bench_model(name, args, tf) for name in args.models]
    machine = {"cpus": os.cpu_count(), "loadavg": os.getloadavg(), "numpy": np.__version__,
               "tensorflow": tf.__version__, "python": sys.version.split()[0]}
    print(f"machine: {machine['cpus']} CPUs, load average {machine['loadavg'][0]:.2f} "
          "(other processes may share the cores)")
    print_table(results)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"machine": machine, "quick": args.quick, "results": results},
                                    indent=1))
    print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
