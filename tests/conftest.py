"""Suite-wide setup: headless Qt, isolated data directories, and Qt warnings treated as failures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Two 1920x1080 screens side by side, like an analyst's desk: window sizes, restore and multi-monitor behave as
# on a workstation (the offscreen platform's default is one 800x600 screen).
_SCREENS = Path(__file__).resolve().parent / "offscreen-screens.json"
if os.environ.get("QT_QPA_PLATFORM", "offscreen") == "offscreen":
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={_SCREENS}"
os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox")
# Keyring must never reach a real user's secret store from the tests.
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")

REPO = Path(__file__).resolve().parent.parent
# Generated media (rendered clips) is cached across runs here, never committed.
MEDIA_CACHE = Path(os.environ.get("C4DESK_TEST_CACHE", REPO / ".cache" / "test-media"))


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A fresh, isolated c4desk data directory (the same thing `--data-dir` gives the app)."""
    d = tmp_path / "c4desk-data"
    d.mkdir()
    return d


@pytest.fixture(scope="session")
def media_cache() -> Path:
    MEDIA_CACHE.mkdir(parents=True, exist_ok=True)
    return MEDIA_CACHE
