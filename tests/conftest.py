"""Shared fixtures: the TensorFlow-built reference corpus and the TF Serving fixtures."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
sys.path.insert(0, str(TESTS))

from tf_corpus import build_model  # noqa: E402

REPO = TESTS.parent
SHARED = REPO.parent / "shared"
SERVING_FIXTURES = SHARED / "fixtures" / "tensorflow-serving"


@pytest.fixture(scope="session")
def tf_model():
    """``tf_model(name)`` -> directory built by ``tests/tf_corpus/<name>.py`` (cached across runs)."""
    return build_model


@pytest.fixture(scope="session")
def serving_fixtures() -> Path:
    if not SERVING_FIXTURES.exists():
        pytest.fail(f"TF Serving fixtures missing at {SERVING_FIXTURES}; CI checks out shared/ beside the repo.")
    return SERVING_FIXTURES


def serving_saved_models() -> list[Path]:
    """Every version directory holding a saved_model.pb among the TF Serving fixtures."""
    return sorted(p.parent for p in SERVING_FIXTURES.glob("*/*/saved_model.pb"))
