"""Audit viewer fixtures: the dark theme for screenshots (restored after each test)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import QApplication

from c4desk.ui.theme import apply_dark_theme


@pytest.fixture
def dark(qapp: QApplication) -> Iterator[None]:
    style, sheet, palette = qapp.style().name(), qapp.styleSheet(), qapp.palette()
    apply_dark_theme(qapp)
    yield
    qapp.setStyleSheet(sheet)
    qapp.setPalette(palette)
    qapp.setStyle(style)
