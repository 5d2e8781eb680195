"""Analytics GUI fixtures: the demo city's year of history (c4desk.demo.history) in a real SQLite file.

The year is generated once per session for a fixed end (so every figure is the same on every run) and copied
for each test that uses it, so tests may change their database freely.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QWidget

from c4desk.demo import city, history
from c4desk.domain.permissions import Actor, Role
from c4desk.hub.services import Services
from c4desk.store.db import sqlite_url

DEMO_END = datetime(2026, 6, 30, 21, 0, tzinfo=UTC)
DEMO_TODAY = date(2026, 6, 30)
SUPERVISOR = Actor("sup1", Role.SUPERVISOR, "ws-test")
SCREENSHOTS = Path("/tmp")


@pytest.fixture(scope="session")
def demo_year_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo-year")
    path = folder / "c4desk.sqlite"
    services = Services.open(sqlite_url(path))
    try:
        services.cameras.upsert_many(city.demo_cameras())
        assert history.ensure_history(services, end=DEMO_END)
    finally:
        services.close()
    return path


@pytest.fixture
def demo_services(demo_year_file: Path, data_dir: Path) -> Iterator[Services]:
    """Services on a private copy of the demo year."""
    target = data_dir / "c4desk.sqlite"
    for suffix in ("", "-wal", "-shm"):
        source = demo_year_file.with_name(demo_year_file.name + suffix)
        if source.exists():
            shutil.copyfile(source, target.with_name(target.name + suffix))
    services = Services.open(sqlite_url(target))
    yield services
    services.close()


def screenshot(widget: QWidget, name: str) -> Path:
    """Save what the widget shows to /tmp/dash-<name>.png (looked at while building the views)."""
    path = SCREENSHOTS / f"dash-{name}.png"
    QApplication.processEvents()  # the layout pass that follows the last update (wrapped labels grow here)
    assert widget.grab().save(str(path)), path
    return path
