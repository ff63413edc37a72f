"""``savedmodel scan``: exit codes 0/1/2, ``--fail-on``, ``--json`` and the op list flags."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/

from fixture_paths import SERVING_FIXTURES, serving_saved_models

from savedmodel._proto import node_def_pb2
from savedmodel.cli import main as cli_main
from savedmodel.cli import scan_command
from savedmodel.format import saved_model_file

TF1 = SERVING_FIXTURES / "saved_model_half_plus_two_cpu" / "00000123"
TF2 = SERVING_FIXTURES / "saved_model_half_plus_two_tf2_cpu" / "00000123"


@pytest.fixture
def savedmodel(monkeypatch, capsys):
    """Runs ``savedmodel ARGS`` with ``scan`` registered; returns (exit code, stdout, stderr)."""
    monkeypatch.setitem(cli_main._COMMANDS, "scan", scan_command.add_parser)

    def run(*argv: str) -> tuple[int, str, str]:
        code = cli_main.main([str(a) for a in argv])
        out, err = capsys.readouterr()
        return code, out, err
    return run


def _with_ops(tmp_path: Path, *ops: str) -> Path:
    model = tmp_path / "model"
    shutil.copytree(TF1, model)
    proto = saved_model_file.read_saved_model(model)
    graph = proto.meta_graphs[0].graph_def
    graph.node.extend(node_def_pb2.NodeDef(name=f"n{i}", op=op) for i, op in enumerate(ops))
    saved_model_file.write_saved_model(model, proto)
    return model


@pytest.mark.parametrize("model", serving_saved_models(), ids=lambda p: p.parent.name)
def test_clean_fixtures_exit_0(savedmodel, model) -> None:
    code, out, _ = savedmodel("scan", model)
    assert code == 0 and "PASS: nothing at or above medium." in out


@pytest.mark.parametrize("name,variant", [("keras_mlp", "saved"), ("tf1_builder", "binary"),
                                          ("tf2_lookup", "model")])
def test_clean_corpus_models_exit_0(savedmodel, tf_model, name, variant) -> None:
    assert savedmodel("scan", tf_model(name) / variant)[0] == 0


def test_findings_exit_1_with_where_and_why(savedmodel, tmp_path) -> None:
    code, out, _ = savedmodel("scan", _with_ops(tmp_path, "ReadFile", "PyFunc"))
    assert code == 1
    lines = out.splitlines()
    assert lines[1] == "CRITICAL python-op: serve / n1"
    assert lines[2].strip() == "op PyFunc calls a Python function."
    assert lines[3].strip().startswith("why: ")
    assert lines[4] == "HIGH     io-op: serve / n0"
    assert lines[-1] == ("2 finding(s) (1 critical, 1 high, 0 medium, 0 low, 0 info). "
                         "FAIL: 2 finding(s) at or above medium.")


def test_fail_on_threshold(savedmodel, tmp_path) -> None:
    model = _with_ops(tmp_path, "CustomOp")  # medium
    assert savedmodel("scan", model)[0] == 1
    assert savedmodel("scan", model, "--fail-on", "high")[0] == 0
    assert savedmodel("scan", model, "--fail_on", "info")[0] == 1


def test_json_report(savedmodel, tmp_path) -> None:
    code, out, _ = savedmodel("scan", _with_ops(tmp_path, "WriteFile"), "--json")
    document = json.loads(out)
    assert code == 1 and document["passed"] is False and document["fail_on"] == "medium"
    assert document["counts"]["critical"] == 1
    finding, = document["findings"]
    assert finding == {"severity": "critical", "code": "file-write-op", "where": "serve / n0",
                       "message": "op WriteFile writes files.", "why": finding["why"]}


def test_op_lists(savedmodel, tmp_path) -> None:
    model = _with_ops(tmp_path, "CustomOp")
    assert savedmodel("scan", model, "--op_allowlist", "CustomOp,Other")[0] == 0
    code, out, _ = savedmodel("scan", "--dir", TF2, "--op_denylist", "Mul", "--json")
    assert code == 1
    assert {f["code"] for f in json.loads(out)["findings"]} == {"op-denied"}


def test_tag_set(savedmodel) -> None:
    assert savedmodel("scan", TF1, "--tag_set", "serve")[0] == 0
    code, _, err = savedmodel("scan", TF1, "--tag_set", "gpu")
    assert code == 2 and "could not be found" in err


@pytest.mark.parametrize("argv", [("scan",), ("scan", "--fail-on", "severe", "x"),
                                  ("scan", "a", "--dir", "b")])
def test_usage_errors_exit_2(savedmodel, argv) -> None:
    code, _, err = savedmodel(*argv)
    assert code == 2 and "Error:" in err


def test_unreadable_input_exits_2(savedmodel, tmp_path) -> None:
    code, _, err = savedmodel("scan", tmp_path / "missing")
    assert code == 2 and "does not exist" in err
    (tmp_path / "saved_model.pb").write_bytes(b"\xff\xff\xff\xff garbage")
    code, _, err = savedmodel("scan", tmp_path)
    assert code == 2 and err.startswith("Error: ")


def test_run_prints_and_returns_the_code(capsys) -> None:
    parser = argparse.ArgumentParser()
    scan_command.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["scan", str(TF1)])
    assert scan_command.run(args) == 0
    assert "PASS" in capsys.readouterr().out
