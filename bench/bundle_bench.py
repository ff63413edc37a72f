"""Writes and reads a ~1 GB tensor bundle with savedmodel and with TensorFlow, in one run.

    python bench/bundle_bench.py                  # 1024 MB in 300 float32 tensors
    python bench/bundle_bench.py --size-mb 64     # a quick run

Measured (best of ``--repeat`` runs; every write goes to fresh files after ``os.sync()``, so each
run starts with no dirty pages; reads come from the page cache, as right after a save):

- memcpy bandwidth: ``np.copyto`` of the same number of bytes into an already-touched buffer;
- disk write bandwidth: the same bytes written tensor by tensor to one new file with plain
  ``write(2)`` calls (no fsync, like both writers below);
- open: ``BundleReader(prefix)`` / ``tf.train.load_checkpoint(prefix)``;
- read all: open, then every tensor (savedmodel: ``read`` with CRC32C verification, giving
  zero-copy views; TensorFlow: one ``RestoreV2`` of every tensor);
- write: ``BundleWriter`` add + finish / one ``SaveV2`` of every tensor (tensors prebuilt).

Targets (issue 2): open < 10 ms; read all >= 80% of memcpy bandwidth; write >= 70% of disk write
bandwidth and no slower than TensorFlow. Files go under ``--dir`` and are deleted at the end.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from savedmodel.format.bundle import BundleReader, BundleWriter

MB = 1 << 20


@dataclass
class Row:
    name: str
    seconds: float
    nbytes: int

    @property
    def mb_per_s(self) -> float:
        return self.nbytes / MB / self.seconds if self.seconds else float("inf")


def best_of(repeat: int, prepare: Callable[[], None], run: Callable[[], object]) -> float:
    """Minimum wall time of ``run`` over ``repeat`` runs, each after ``prepare``."""
    times = []
    for _ in range(repeat):
        prepare()
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def make_tensors(size_mb: int, count: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    per = max(1, size_mb * MB // count // 4)
    sizes = rng.integers(per // 2, per * 3 // 2, size=count)
    sizes = (sizes * (size_mb * MB // 4) // max(1, int(sizes.sum()))).clip(1)
    return {f"model/layer_{i:04d}/kernel/.ATTRIBUTES/VARIABLE_VALUE":
            rng.random(int(n), dtype=np.float32) for i, n in enumerate(sizes)}


def clean(work: Path) -> None:
    for path in work.iterdir():
        path.unlink()
    os.sync()


def measure_baselines(tensors: dict[str, np.ndarray], work: Path, repeat: int) -> dict[str, Row]:
    total = sum(t.nbytes for t in tensors.values())
    src = np.concatenate([t.reshape(-1) for t in tensors.values()])
    dst = np.empty_like(src)
    np.copyto(dst, src)  # touch every page first

    def write_raw() -> None:
        with open(work / "raw.bin", "wb", buffering=0) as f:
            for value in tensors.values():
                f.write(memoryview(value).cast("B"))

    return {
        "memcpy": Row("memcpy (np.copyto)", best_of(repeat, lambda: None,
                                                    lambda: np.copyto(dst, src)), total),
        "disk": Row("disk write (write(2), no fsync)", best_of(repeat, lambda: clean(work),
                                                               write_raw), total),
    }


def measure_savedmodel(tensors: dict[str, np.ndarray], work: Path, repeat: int) -> dict[str, Row]:
    total = sum(t.nbytes for t in tensors.values())
    prefix = work / "ours"

    def write() -> None:
        with BundleWriter(prefix) as writer:
            for key, value in tensors.items():
                writer.add(key, value)

    def read_all(verify: bool) -> None:
        with BundleReader(prefix, verify_checksums=verify) as reader:
            for key in reader.keys():
                reader.read(key)

    rows = {"write": Row("savedmodel write", best_of(repeat, lambda: clean(work), write), total)}
    opens = []
    for _ in range(20):
        start = time.perf_counter()
        BundleReader(prefix)
        opens.append(time.perf_counter() - start)
    rows["open"] = Row("savedmodel open", statistics.median(opens), 0)
    rows["read"] = Row("savedmodel read all (CRC verified)",
                       best_of(repeat, lambda: None, lambda: read_all(True)), total)
    rows["views"] = Row("savedmodel read all (CRC off: views only)",
                        best_of(repeat, lambda: None, lambda: read_all(False)), total)
    for key, value in tensors.items():  # the bytes on disk are the bytes we gave
        assert BundleReader(prefix).read(key).tobytes() == value.tobytes()
        break
    return rows


def measure_tensorflow(tensors: dict[str, np.ndarray], work: Path, repeat: int) -> dict[str, Row]:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf

    total = sum(t.nbytes for t in tensors.values())
    prefix = str(work / "theirs")
    names = list(tensors)
    constants = [tf.constant(value) for value in tensors.values()]
    slices = [""] * len(names)

    def write() -> None:
        tf.raw_ops.SaveV2(prefix=prefix, tensor_names=names, shape_and_slices=slices,
                          tensors=constants)

    def read_all() -> None:
        tf.train.load_checkpoint(prefix)
        tf.raw_ops.RestoreV2(prefix=prefix, tensor_names=names, shape_and_slices=slices,
                             dtypes=[tf.float32] * len(names))

    rows = {"write": Row("TensorFlow write (SaveV2)", best_of(repeat, lambda: clean(work), write),
                         total)}
    opens = []
    for _ in range(5):
        start = time.perf_counter()
        tf.train.load_checkpoint(prefix)
        opens.append(time.perf_counter() - start)
    rows["open"] = Row("TensorFlow open (load_checkpoint)", statistics.median(opens), 0)
    rows["read"] = Row("TensorFlow read all (RestoreV2)", best_of(repeat, lambda: None, read_all),
                       total)
    return rows


def report(base: dict[str, Row], ours: dict[str, Row], theirs: dict[str, Row]) -> bool:
    rows = [base["memcpy"], base["disk"], ours["open"], theirs["open"], ours["read"],
            ours["views"], theirs["read"], ours["write"], theirs["write"]]
    print(f"\n{'measure':45} {'seconds':>10} {'MB/s':>10}")
    for row in rows:
        rate = f"{row.mb_per_s:10.0f}" if row.nbytes else f"{'':>10}"
        print(f"{row.name:45} {row.seconds:10.4f} {rate}")
    read_ratio = ours["read"].mb_per_s / base["memcpy"].mb_per_s
    write_ratio = ours["write"].mb_per_s / base["disk"].mb_per_s
    checks = [
        (f"open {ours['open'].seconds * 1e3:.2f} ms < 10 ms", ours["open"].seconds < 0.010),
        (f"read all at {read_ratio:.0%} of memcpy (target >= 80%)", read_ratio >= 0.8),
        (f"write at {write_ratio:.0%} of disk write (target >= 70%)", write_ratio >= 0.7),
        (f"write {ours['write'].seconds:.3f} s vs TensorFlow {theirs['write'].seconds:.3f} s "
         "(target: no slower)", ours["write"].seconds <= theirs["write"].seconds),
    ]
    print()
    for text, ok in checks:
        print(f"[{'ok' if ok else 'MISS'}] {text}")
    return all(ok for _, ok in checks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size-mb", type=int, default=1024, help="total tensor bytes (MiB)")
    parser.add_argument("--tensors", type=int, default=300, help="number of float32 tensors")
    parser.add_argument("--repeat", type=int, default=5, help="runs per measure (best is kept)")
    parser.add_argument("--dir", default=str(Path(__file__).resolve().parent / "out"),
                        help="where to write (a disk, not tmpfs, to measure the disk)")
    args = parser.parse_args()
    Path(args.dir).mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="bundle-bench-", dir=args.dir))
    try:
        tensors = make_tensors(args.size_mb, args.tensors)
        total = sum(t.nbytes for t in tensors.values())
        print(f"{len(tensors)} float32 tensors, {total / MB:.0f} MiB, in {work}")
        base = measure_baselines(tensors, work, args.repeat)
        clean(work)
        ours = measure_savedmodel(tensors, work, args.repeat)
        theirs = measure_tensorflow(tensors, work, args.repeat)
        report(base, ours, theirs)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
