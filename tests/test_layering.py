"""The import direction of DEVELOPERS.md holds (import-linter contract in pyproject.toml), and the
library never imports TensorFlow."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_layers_contract_is_kept() -> None:
    code = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"
    result = subprocess.run([sys.executable, "-c", code, "--config", str(REPO / "pyproject.toml")],
                            capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 1 kept, 0 broken." in result.stdout


def test_importing_savedmodel_never_imports_tensorflow() -> None:
    code = ("import sys, savedmodel, savedmodel.ops, savedmodel.saved_model, savedmodel.saved_model.load, "
            "savedmodel.train, savedmodel.cli.main\n"
            "bad = sorted(m for m in sys.modules if m == 'tensorflow' or m.startswith('tensorflow.') "
            "or m.startswith('keras'))\n"
            "assert not bad, bad\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
