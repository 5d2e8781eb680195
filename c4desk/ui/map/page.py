"""The map's web page (console captured, navigation pinned to our scheme) and its QWebChannel bridge."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from PySide6.QtCore import QObject, QUrl, Signal, Slot
from PySide6.QtWebEngineCore import QWebEnginePage, QWebEngineProfile

from c4desk.ui.map.scheme import SCHEME

log = logging.getLogger(__name__)

_LEVEL = QWebEnginePage.JavaScriptConsoleMessageLevel


@dataclass(frozen=True)
class ConsoleMessage:
    level: str  # "info", "warning" or "error"
    message: str
    line: int
    source: str


class MapPage(QWebEnginePage):
    """Keeps the page's console messages (tests assert there are no errors) and refuses to leave the map."""

    def __init__(self, profile: QWebEngineProfile, parent: QObject | None = None) -> None:
        super().__init__(profile, parent)
        self.console: list[ConsoleMessage] = []
        self.refused_navigations: list[str] = []

    def javaScriptConsoleMessage(self, level: QWebEnginePage.JavaScriptConsoleMessageLevel,
                                 message: str, line: int, source: str) -> None:
        name = {_LEVEL.InfoMessageLevel: "info", _LEVEL.WarningMessageLevel: "warning"}.get(level, "error")
        self.console.append(ConsoleMessage(name, message, line, source))
        log.log(logging.ERROR if name == "error" else logging.DEBUG, "map js %s: %s (%s:%d)", name, message,
                source, line)

    def acceptNavigationRequest(self, url: QUrl | str, type: QWebEnginePage.NavigationType,
                                isMainFrame: bool) -> bool:
        url = QUrl(url)
        if url.scheme() == SCHEME:
            return True
        self.refused_navigations.append(url.toString())
        log.warning("map: refused to navigate to %s", url.toString())
        return False

    def createWindow(self, type: QWebEnginePage.WebWindowType) -> QWebEnginePage | None:  # type: ignore[override]
        return None


class MapBridge(QObject):
    """The one object the page sees through QWebChannel. Slots are the page's calls into Python."""

    ready = Signal()
    camera_clicked = Signal(str)
    alert_clicked = Signal(str)
    area_drawn = Signal(str)
    page_problem = Signal(str)

    @Slot()
    def pageReady(self) -> None:
        self.ready.emit()

    @Slot(str)
    def cameraClicked(self, camera_id: str) -> None:
        self.camera_clicked.emit(str(camera_id))

    @Slot(str)
    def alertClicked(self, alert_id: str) -> None:
        self.alert_clicked.emit(str(alert_id))

    @Slot(str)
    def areaDrawn(self, shape_json: str) -> None:
        self.area_drawn.emit(str(shape_json))

    @Slot(str)
    def problem(self, message: str) -> None:
        self.page_problem.emit(str(message))
