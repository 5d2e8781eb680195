"""The web view under the map widget: the map page on the shared profile, its channel, and diagnostics."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWebChannel import QWebChannel
from PySide6.QtWebEngineWidgets import QWebEngineView
from PySide6.QtWidgets import QWidget

from c4desk.ui.map.page import ConsoleMessage, MapBridge, MapPage
from c4desk.ui.map.profile import map_profile, network_blocker


class MapWebView(QWebEngineView):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.map_page = MapPage(map_profile(), self)
        self.setPage(self.map_page)
        self.bridge = MapBridge(self)
        self._channel = QWebChannel(self.map_page)
        self._channel.registerObject("c4bridge", self.bridge)
        self.map_page.setWebChannel(self._channel)

    def blocked_requests(self, page_url: str) -> list[str]:
        """URLs the page at ``page_url`` tried to reach outside the application, all of them blocked."""
        mine = [b.url for b in network_blocker().blocked if b.first_party.startswith(page_url)]
        return mine + list(self.map_page.refused_navigations)

    def console_messages(self) -> list[ConsoleMessage]:
        return list(self.map_page.console)

    def renderer_pid(self) -> int:
        return int(self.map_page.renderProcessPid())

    def grab_png(self, path: str | Path) -> Path:
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        if not self.grab().save(str(target), "PNG"):
            raise OSError(f"could not write {target}")
        return target
