"""Where the test data lives: the repository, and TF Serving's fixtures in ../shared beside it."""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
SHARED = REPO.parent / "shared"
SERVING_FIXTURES = SHARED / "fixtures" / "tensorflow-serving"


def serving_saved_models() -> list[Path]:
    """Every version directory holding a saved_model.pb among the TF Serving fixtures."""
    return sorted(p.parent for p in SERVING_FIXTURES.glob("*/*/saved_model.pb"))
