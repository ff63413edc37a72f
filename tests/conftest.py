"""Shared fixtures: the TensorFlow-built reference corpus and the TF Serving fixtures."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
sys.path.insert(0, str(TESTS))

from fixture_paths import REPO, SERVING_FIXTURES, serving_saved_models  # noqa: E402,F401
from tf_corpus import build_many, build_model, generators, is_cached  # noqa: E402


@pytest.fixture(scope="session")
def tf_model():
    """``tf_model(name)`` -> directory built by ``tests/tf_corpus/<name>.py`` (cached)."""
    return build_model


@pytest.hookimpl(trylast=True)  # after -k/-m deselection
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Builds the missing corpus entries 2 at a time before a run whose tests span modules using
    ``tf_model`` (a whole-suite run), instead of one by one on demand. A failed build is left for
    the test that asks for it to report."""
    users = {item.nodeid.split("::")[0] for item in items
             if "tf_model" in getattr(item, "fixturenames", ())}
    missing = tuple(name for name in generators() if not is_cached(name))
    if len(users) < 2 or not missing or config.getoption("collectonly"):
        return
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"building {len(missing)} TensorFlow corpus entries (cached after)...")
    build_many(missing, jobs=2, strict=False)


@pytest.fixture(scope="session")
def serving_fixtures() -> Path:
    if not SERVING_FIXTURES.exists():
        pytest.fail(f"TF Serving fixtures missing at {SERVING_FIXTURES}; "
                    "CI checks out shared/ beside the repo.")
    return SERVING_FIXTURES

