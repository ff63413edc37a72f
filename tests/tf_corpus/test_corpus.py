"""Sanity of the TensorFlow reference corpus: each entry builds and holds what README.md promises.

The first test builds every missing entry (2 processes in parallel), so later tests hit the cache.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import ml_dtypes
import numpy as np
import pytest

from tf_corpus import CORPUS, HERE, build_many, build_model, generators
from tf_corpus._codec import Encoder, decode, flatten
from tf_corpus.cases import (
    assert_outputs,
    checkpoint_values,
    cli_runs,
    cli_show_all,
    load_cases,
    manifest,
    sort_op_sets,
)

CHECKPOINT_ONLY = {"ckpt_sharded"}


@pytest.fixture(scope="module")
def corpus() -> dict[str, Path]:
    build_many(CORPUS, jobs=2)
    return {name: build_model(name) for name in CORPUS}


def test_every_generator_is_listed():
    assert set(CORPUS) <= set(generators())
    for name in CORPUS:
        assert (HERE / f"{name}.py").exists()


@pytest.mark.parametrize("name", CORPUS)
def test_entry_has_models_cases_and_cli_output(corpus, name):
    entry = corpus[name]
    info = manifest(entry)
    assert info["name"] == name and info["tensorflow"].startswith("2.21")
    if name in CHECKPOINT_ONLY:
        assert not info["saved_models"] and len(info["checkpoints"]) >= 2
    else:
        assert info["saved_models"], f"{name} wrote no SavedModel"
    for variant, sm in info["saved_models"].items():
        assert (entry / variant / sm["file"]).is_file()
        assert sm["tag_sets"]
        show_all = cli_show_all(entry, variant)
        assert "MetaGraphDef with tag-set:" in show_all
        runs = cli_runs(entry, variant)
        assert any(r["argv"][3:] == ["--all"] and r["stdout"] == show_all for r in runs)
        assert any("--list_ops" in r["argv"] for r in runs)
        cases = [c for c in load_cases(entry) if c.model == variant]
        assert cases, f"{name}/{variant}: no cases recorded"
    for prefix in info["checkpoints"]:
        assert (entry / f"{prefix}.index").is_file()
        assert isinstance(checkpoint_values(entry, prefix), dict)


@pytest.mark.parametrize("name", [n for n in CORPUS if n not in CHECKPOINT_ONLY])
def test_cases_are_well_formed(corpus, name):
    for case in load_cases(corpus[name]):
        assert case.model_dir.is_dir()
        assert (case.signature is None) != (case.function is None)
        assert case.rtol >= 0 and case.atol >= 0
        if case.error is not None:
            assert case.error.endswith("Error") and case.error_match and not case.expected
            continue
        assert case.expected, case.name
        assert_outputs(case, case.expected_structure)  # the helper accepts TF's own values


def test_strings_survive_losslessly(corpus):
    values = checkpoint_values(corpus["tf2_dtypes"])
    strings = values["v_string/.ATTRIBUTES/VARIABLE_VALUE"]
    assert list(strings) == [b"", b"a" * 300, b"nul\x00inside", b"trailing\x00", b"\x00",
                             "héllo wörld ✓".encode(), b"plain"]
    assert values["v_string_scalar/.ATTRIBUTES/VARIABLE_VALUE"].shape == ()
    assert values["v_bfloat16/.ATTRIBUTES/VARIABLE_VALUE"].dtype == ml_dtypes.bfloat16
    assert values["v_float32_empty/.ATTRIBUTES/VARIABLE_VALUE"].shape == (0, 3)


def test_sharded_checkpoint_has_several_shards(corpus):
    entry = corpus["ckpt_sharded"]
    assert len(list((entry / "ckpt").glob("ckpt.data-*"))) > 2
    assert len(list((entry / "tf1").glob("model.ckpt.data-*"))) == 2
    assert checkpoint_values(entry, "tf1/model.ckpt")["part"].shape == (10, 4)


@pytest.mark.parametrize("name, variant, argv", [
    ("tf2_adder", "model", ["show", "--dir", "{dir}", "--all"]),
    ("tf1_builder", "text", ["show", "--dir", "{dir}", "--tag_set", "serve", "--list_ops"]),
])
def test_recorded_cli_output_equals_the_console_script(corpus, name, variant, argv):
    directory = corpus[name] / variant
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="", PYTHONHASHSEED="0")
    args = [str(directory) if a == "{dir}" else a for a in argv]
    proc = subprocess.run([sys.executable, "-m", "tensorflow.python.tools.saved_model_cli", *args],
                          capture_output=True, text=True, env=env, check=True)
    recorded = next(r["stdout"] for r in cli_runs(corpus[name], variant) if r["argv"] == argv)
    assert proc.stdout == recorded
    assert sort_op_sets(proc.stdout) == sort_op_sets(recorded)


def test_sort_op_sets():
    text = "The MetaGraph with tag set ['serve'] contains the following ops: {'b', 'Const', 'a'}\n"
    assert sort_op_sets(text).endswith("ops: {'Const', 'a', 'b'}\n")


def test_codec_round_trips_every_dtype(tmp_path):
    strings = np.empty(4, dtype=object)
    strings[:] = [b"", b"x\x00", b"\x00", "é".encode()]
    values = {
        "f16": np.arange(3, dtype=np.float16), "bf16": np.arange(4, dtype=ml_dtypes.bfloat16),
        "c128": np.array([1 + 2j]), "bool": np.array([[True], [False]]),
        "u64": np.uint64(2**64 - 1),
        "scalar_string": b"trailing\x00", "strings": strings.reshape(2, 2),
        "empty": np.zeros((0, 3), np.float32), "nested": [(np.int8(-1), None), {"k": np.int64(5)}],
    }
    encoder = Encoder()
    encoder.save({"root": encoder.nest(values)}, tmp_path / "c.json", tmp_path / "c.npz")
    with np.load(tmp_path / "c.npz", allow_pickle=False) as npz:
        back = decode(json.loads((tmp_path / "c.json").read_text())["root"], npz)
    flat, flat_back = flatten(values), flatten(back)
    assert sorted(flat) == sorted(flat_back)
    for key, value in flat.items():
        if value is None:
            assert flat_back[key] is None
            continue
        expected = np.asarray(value, dtype=object if isinstance(value, bytes) else None)
        assert flat_back[key].dtype == expected.dtype and flat_back[key].shape == expected.shape
        assert [bytes(x) if isinstance(x, bytes) else x for x in flat_back[key].reshape(-1)] == \
            list(expected.reshape(-1)), key
