"""Map tests: the real QtWebEngine, offline. The scheme must be registered before the QApplication exists,
so it is done here at import time (collection happens before pytest-qt creates the application)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import shiboken6
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from c4desk.ui.map import register_map_scheme

register_map_scheme()

from c4desk.ui.map.map_view import MapView  # noqa: E402 - after the scheme is registered

READY_MS = 30_000


@pytest.fixture
def make_map(qtbot: QtBot) -> Iterator[Callable[..., MapView]]:
    """Makes shown MapViews (1000x760) whose page has announced itself ready; deletes them afterwards
    (pages must go before the shared profile does)."""
    made: list[MapView] = []

    def make(*, setup: Callable[[MapView], None] | None = None, **kwargs: Any) -> MapView:
        view = MapView(**kwargs)
        made.append(view)
        view.resize(1000, 760)
        if setup is not None:
            setup(view)
        with qtbot.waitSignal(view.page_ready, timeout=READY_MS):
            view.show()
        return view

    yield make
    alive = [v for v in made if shiboken6.isValid(v)]
    for view in alive:
        view.close()
        view.deleteLater()
    qtbot.waitUntil(lambda: not any(shiboken6.isValid(v) for v in alive), timeout=5_000)


def run_js(qtbot: QtBot, view: MapView, expression: str, timeout_ms: int = 10_000) -> Any:
    """The value of a JavaScript expression in the page (passed back as JSON)."""
    box: dict[str, Any] = {}
    view.page.runJavaScript(f"JSON.stringify(({expression}))", 0, lambda result: box.setdefault("r", result))
    qtbot.waitUntil(lambda: "r" in box, timeout=timeout_ms)
    raw = box["r"]
    return None if raw in (None, "") else json.loads(raw)


def wait_js(qtbot: QtBot, view: MapView, condition: str, timeout_ms: int = 10_000) -> None:
    """Wait until the JavaScript expression ``condition`` is true in the page."""
    qtbot.waitUntil(lambda: bool(run_js(qtbot, view, f"!!({condition})")), timeout=timeout_ms)


def click(view: MapView, x: float, y: float) -> None:
    """A real left click on the web view's render widget at page pixel (x, y)."""
    target = view.web_view.focusProxy()
    assert target is not None, "the web view has no render widget yet"
    pos = QPoint(round(x), round(y))
    QTest.mouseMove(target, pos)
    QTest.mouseClick(target, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pos)


def container_point(qtbot: QtBot, view: MapView, lat: float, lon: float) -> tuple[float, float]:
    p = run_js(qtbot, view, f"C4Map.map.latLngToContainerPoint([{lat!r}, {lon!r}])")
    return float(p["x"]), float(p["y"])
