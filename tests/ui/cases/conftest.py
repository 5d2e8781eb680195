"""Case GUI fixtures: segments rendered once per session, a fresh world per test, the dark theme for screenshots."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from c4desk.hub.services import Services
from c4desk.ui.theme import apply_dark_theme
from tests.evidence.segments import RecordedFile, describe, render_segments
from tests.ui.cases.world import T0, World, build_world


@pytest.fixture(scope="session")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> list[RecordedFile]:
    """Twelve seconds of camera-like H.264 (numbered testsrc) in three 4-second MPEG-TS segments."""
    return describe(render_segments(tmp_path_factory.mktemp("caseui-rendered"), 12, 4), T0)


@pytest.fixture
def world(services: Services, data_dir: Path, recorded: list[RecordedFile]) -> World:
    return build_world(services, data_dir, recorded)


@pytest.fixture
def dark(qapp: QApplication) -> Iterator[None]:
    style, sheet, palette = qapp.style().name(), qapp.styleSheet(), qapp.palette()
    apply_dark_theme(qapp)
    yield
    qapp.setStyleSheet(sheet)
    qapp.setPalette(palette)
    qapp.setStyle(style)
