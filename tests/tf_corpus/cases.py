"""Reads a built corpus entry without TensorFlow: cases, checkpoint values, saved_model_cli outputs.

Usage in a test::

    from tf_corpus.cases import assert_outputs, load_cases

    def test_keras_mlp(tf_model):
        for case in load_cases(tf_model("keras_mlp")):
            loaded = savedmodel.load(case.model_dir, tags=case.tags)
            if case.signature is not None:
                got = loaded.signatures[case.signature](**case.inputs)
            else:
                got = case.resolve(loaded)(*case.args, **case.inputs)
            assert_outputs(case, got)

Encoding on disk: see ``_codec.py`` (strings as base64 lists, bfloat16 as uint16 views).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ._codec import decode, decode_leaf, flatten

MODEL_VARIABLES = "model/variables/variables"  # checkpoint prefix of a single-model entry


@dataclass(frozen=True)
class Case:
    """One call TensorFlow made on a saved model, and what it returned.

    ``signature`` (a SignatureDef key, called with keyword ``inputs``) or ``function`` (a dotted
    attribute path on the loaded object such as ``__call__`` or ``sub.f``, called with ``args`` and
    keyword ``inputs``) says what was called. ``expected`` is the flat output dict: signature
    output keys, or for functions the ``/``-joined path of each leaf of ``expected_structure``
    (``output`` for a bare tensor). Integer, bool and string outputs must match exactly; floating
    ones within ``rtol``/``atol``.
    """

    name: str
    model_dir: Path
    model: str
    tags: tuple[str, ...]
    signature: str | None
    function: str | None
    args: tuple[Any, ...]
    inputs: dict[str, Any]
    expected: dict[str, np.ndarray]
    expected_structure: Any
    rtol: float
    atol: float
    note: str = ""
    error: str | None = None
    error_match: str = ""

    def resolve(self, loaded: Any) -> Any:
        """The callable named by ``function`` on a loaded object."""
        target = loaded
        for part in (self.function or "").split("."):
            target = getattr(target, part)
        return target


def manifest(entry: Path) -> dict:
    """``manifest.json`` of a built corpus entry (variants, tag sets, checkpoints, timings)."""
    return json.loads((Path(entry) / "manifest.json").read_text())


def load_cases(entry: Path) -> list[Case]:
    """Every case recorded for a built corpus entry (``tf_model(name)``)."""
    entry = Path(entry)
    doc = json.loads((entry / "cases.json").read_text())
    with np.load(entry / "cases.npz", allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    cases = []
    for raw in doc["cases"]:
        structure = decode(raw["outputs"], arrays)
        cases.append(Case(
            name=raw["name"], model_dir=entry / raw["model"], model=raw["model"],
            tags=tuple(raw["tags"]), signature=raw["signature"], function=raw["function"],
            args=tuple(decode(a, arrays) for a in raw["args"]),
            inputs={k: decode(v, arrays) for k, v in raw["inputs"].items()},
            expected=_flat_outputs(raw, structure), expected_structure=structure,
            rtol=raw["rtol"], atol=raw["atol"], note=raw["note"],
            error=(raw.get("error") or {}).get("type"),
            error_match=(raw.get("error") or {}).get("match", "")))
    return cases


def _flat_outputs(raw: dict, structure: Any) -> dict[str, np.ndarray]:
    if raw.get("error"):
        return {}
    return flatten(structure) if raw["signature"] is None else dict(structure)


def checkpoint_values(entry: Path, prefix: str = MODEL_VARIABLES) -> dict[str, np.ndarray]:
    """Every tensor ``tf.train.load_checkpoint(entry/prefix)`` returned, by key."""
    entry = Path(entry)
    doc = json.loads((entry / "checkpoint_values.json").read_text())
    if prefix not in doc["checkpoints"]:
        raise KeyError(f"{entry.name}: no checkpoint {prefix!r}; "
                       f"have {sorted(doc['checkpoints'])}.")
    with np.load(entry / "checkpoint_values.npz", allow_pickle=False) as npz:
        return {k: decode_leaf(v, npz) for k, v in doc["checkpoints"][prefix].items()}


def checkpoint_dtypes(entry: Path, prefix: str = MODEL_VARIABLES) -> dict[str, str]:
    """TF dtype name of every checkpoint tensor (``bfloat16``, ``string``...), by key."""
    doc = json.loads((Path(entry) / "checkpoint_values.json").read_text())
    return {k: v["dtype"] for k, v in doc["checkpoints"][prefix].items()}


def cli_show_all(entry: Path, variant: str = "model") -> str:
    """``saved_model_cli show --dir <entry/variant> --all`` as TensorFlow printed it."""
    entry = Path(entry)
    return (entry / manifest(entry)["saved_models"][variant]["cli_show_all"]).read_text()


def cli_runs(entry: Path, variant: str | None = None) -> list[dict]:
    """Recorded ``saved_model_cli`` runs: ``{"variant", "argv", "stdout"}``; ``{dir}`` in argv."""
    runs = json.loads((Path(entry) / "saved_model_cli.json").read_text())["runs"]
    return [r for r in runs if variant is None or r["variant"] == variant]


_OP_SET = re.compile(r"(contains the following ops: )\{(.*)\}")


def sort_op_sets(text: str) -> str:
    """saved_model_cli output with each printed op set sorted (its order follows the hash seed)."""
    def _sorted(match: re.Match) -> str:
        ops = sorted(op.strip().strip("'") for op in match.group(2).split(",") if op.strip())
        return match.group(1) + "{" + ", ".join(repr(op) for op in ops) + "}"

    return _OP_SET.sub(_sorted, text)


def _as_array(value: Any) -> np.ndarray:
    value = value.numpy() if hasattr(value, "numpy") else value
    if isinstance(value, (bytes, str)):
        return np.array(value, dtype=object)
    return np.asarray(value)


def assert_tensor_equal(name: str, expected: np.ndarray, actual: Any, rtol: float,
                        atol: float) -> None:
    """Asserts dtype, shape and values (exact unless floating or complex) of one output."""
    got = _as_array(actual)
    if expected.dtype == object:
        assert got.dtype == object or got.dtype.kind == "S", f"{name}: {got.dtype}, expected string"
        assert got.shape == expected.shape, f"{name}: shape {got.shape}, expected {expected.shape}"
        assert [bytes(x) for x in got.reshape(-1)] == list(expected.reshape(-1)), f"{name}: differ"
        return
    assert got.dtype == expected.dtype, f"{name}: dtype {got.dtype}, expected {expected.dtype}"
    assert got.shape == expected.shape, f"{name}: shape {got.shape}, expected {expected.shape}"
    if expected.dtype.kind in "iub":
        np.testing.assert_array_equal(got, expected, err_msg=name)
    else:  # float16/32/64, bfloat16 and float8 (kind "V"), complex
        wide = np.complex128 if expected.dtype.kind == "c" else np.float64
        np.testing.assert_allclose(got.astype(wide), expected.astype(wide), rtol=rtol, atol=atol,
                                   equal_nan=True, err_msg=name)


def assert_outputs(case: Case, actual: Any) -> None:
    """Asserts that ``actual`` (a signature's dict, or a function's return value) matches."""
    got = dict(actual) if case.signature is not None else flatten(actual)
    assert sorted(got) == sorted(case.expected), (
        f"{case.name}: outputs {sorted(got)}, expected {sorted(case.expected)}")
    for key, expected in case.expected.items():
        assert_tensor_equal(f"{case.name}[{key}]", expected, got[key], case.rtol, case.atol)
