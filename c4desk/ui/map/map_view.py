"""The map widget: an offline Leaflet page in a QWebEngineView, kept in step with Python both ways.

Python holds the truth (MapModel); the page draws it. Before the page says ``pageReady`` calls only change the
model; once it is ready the whole model goes over in one call, and every later call is a small JSON-escaped
runJavaScript. The page sends clicks and drawn shapes back through one QWebChannel object; which cameras a
shape selects is decided here, by domain/coverage.py.
"""

from __future__ import annotations

import functools
import itertools
import json
import logging
import secrets
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import QTimer, QUrl, Signal
from PySide6.QtWebEngineCore import QWebEnginePage
from PySide6.QtWidgets import QVBoxLayout, QWidget

from c4desk.domain.alerts import Alert
from c4desk.domain.camera import Camera
from c4desk.ui.map.area import select_area
from c4desk.ui.map.basemap_setup import Basemap, prepare_basemap
from c4desk.ui.map.hop_layer import hop_trail_payload
from c4desk.ui.map.model import MapModel
from c4desk.ui.map.page import ConsoleMessage
from c4desk.ui.map.page_html import build_page
from c4desk.ui.map.payload import js_call
from c4desk.ui.map.profile import scheme_handler
from c4desk.ui.map.web import MapWebView

log = logging.getLogger(__name__)
_numbers = itertools.count(1)


def _forget(key: str, basemap: Basemap, *_: object) -> None:
    scheme_handler().forget(key)
    basemap.close()


class MapView(QWidget):
    page_ready = Signal()
    camera_clicked = Signal(str)
    alert_clicked = Signal(str)
    area_selected = Signal(list)  # camera ids, in the order the cameras were given
    area_drawn = Signal(object)  # the shape the analyst drew, as the page sent it (a dict)
    problems = Signal(list)  # new plain-language problems (bad input); all of them: reported_problems

    def __init__(self, parent: QWidget | None = None, *, streets_geojson: dict[str, Any] | str | Path | None = None,
                 basemap: str = "streets") -> None:
        super().__init__(parent)
        self._key = f"m{next(_numbers)}{secrets.token_hex(4)}"
        self._model = MapModel()
        self._hop_trails: dict[str, tuple[list[list[float]], list[list[Any]]]] = {}
        self._fit_pending = False
        self._ready = False
        self.reported_problems: list[str] = []

        self._basemap = prepare_basemap(self._key, streets_geojson, basemap)
        self.destroyed.connect(functools.partial(_forget, self._key, self._basemap))
        self.web_view = MapWebView(self)
        self._page = self.web_view.map_page
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.web_view)
        self._connect_signals()
        self._url = scheme_handler().add_page(self._key, build_page(self._basemap.page))
        self._page.load(QUrl(self._url))
        self._report(self._basemap.problems)

    def _connect_signals(self) -> None:
        bridge = self.web_view.bridge
        bridge.ready.connect(self._on_page_ready)
        bridge.camera_clicked.connect(self.camera_clicked)
        bridge.alert_clicked.connect(self.alert_clicked)
        bridge.area_drawn.connect(self._on_area_drawn)
        bridge.page_problem.connect(lambda msg: self._report([f"map page: {msg}"]))
        self._page.loadStarted.connect(self._on_load_started)
        self._page.renderProcessTerminated.connect(self._on_renderer_gone)

    # --- cameras

    def set_cameras(self, cameras: Iterable[Camera]) -> None:
        payload, problems = self._model.set_cameras(cameras)
        self._report(problems)
        self._run("C4Map.setCameras", payload)

    def set_camera_state(self, camera_id: str, state: str) -> None:
        if camera_id in self._model.cameras:
            self._model.states[camera_id] = state
            self._run("C4Map.setCameraState", camera_id, state)

    def set_camera_heading(self, camera_id: str, heading_deg: float) -> None:
        """A PTZ camera reported where it points: its cone turns to follow."""
        payload = self._model.set_heading(camera_id, heading_deg)
        if payload is not None:
            self._run("C4Map.setCameraCone", camera_id, payload["heading"], payload["cone"])

    def select_camera(self, camera_id: str | None) -> None:
        """Highlight a camera, panning (and zooming out of a cluster) only if it is not in view."""
        self._model.selected_camera = camera_id
        self._run("C4Map.selectCamera", camera_id, True)

    def fit_to_cameras(self) -> None:
        if self._ready:
            self._run("C4Map.fitCameras")
        else:
            self._fit_pending = True

    def cameras(self) -> list[Camera]:
        """The cameras on the map, each aimed where it last reported."""
        return self._model.aimed_cameras()

    # --- alerts and trails

    def set_alerts(self, alerts: Iterable[Alert]) -> None:
        """Replace every alert pin at once (the backlog); new alerts one by one go through add_alert."""
        payload, problems = self._model.set_alerts(alerts)
        self._report(problems)
        self._run("C4Map.setAlerts", payload)

    def add_alert(self, alert: Alert) -> None:
        """A new alert: its pin appears, with a pulse, without reloading the page."""
        self._put_alert("C4Map.addAlert", alert)

    def update_alert(self, alert: Alert) -> None:
        self._put_alert("C4Map.updateAlert", alert)

    def remove_alert(self, alert_id: str) -> None:
        if self._model.alerts.pop(alert_id, None) is not None:
            self._run("C4Map.removeAlert", alert_id)

    def select_alert(self, alert_id: str | None) -> None:
        self._model.selected_alert = alert_id
        self._run("C4Map.selectAlert", alert_id, True)

    def show_trail(self, trail_id: str, points: Sequence[tuple[float, float, str]]) -> None:
        """Draw a vehicle's path: (lat, lon, time label) per read, oldest first."""
        pts, problems = self._model.set_trail(trail_id, points)
        self._report(problems)
        self._run("C4Map.showTrail", trail_id, pts)

    def clear_trail(self, trail_id: str) -> None:
        if self._model.trails.pop(trail_id, None) is not None:
            self._run("C4Map.clearTrail", trail_id)

    def show_hop_trail(self, trail_id: str, path: Sequence[tuple[float, float]],
                       stops: Sequence[tuple[float, float, str]]) -> None:
        """Draw a followed vehicle's camera hops: ``path`` (lat, lon) along the streets, ``stops`` (lat, lon,
        label) one per camera, oldest first. Drawn again after a page reload."""
        good_path, good_stops, problems = hop_trail_payload(path, stops)
        self._report(problems)
        self._hop_trails[trail_id] = (good_path, good_stops)
        self._run("C4Map.showHopTrail", trail_id, good_path, good_stops)

    def clear_hop_trail(self, trail_id: str) -> None:
        if self._hop_trails.pop(trail_id, None) is not None:
            self._run("C4Map.clearHopTrail", trail_id)

    def _put_alert(self, function: str, alert: Alert) -> None:
        payload, problem = self._model.put_alert(alert)
        self._report([problem] if problem else [])
        if payload is not None:
            self._run(function, payload)
        else:
            self._run("C4Map.removeAlert", alert.id)

    # --- area selection

    def select_area(self, shape: dict[str, Any]) -> list[str]:
        """The ids of the cameras a drawn shape selects (the same answer the page's area tool gets)."""
        ids, problem = select_area(self.cameras(), shape)
        self._report([problem] if problem else [])
        return ids

    def _on_area_drawn(self, text: str) -> None:
        try:
            shape = json.loads(text)
        except ValueError:
            self._report(["map page: the drawn area could not be read"])
            return
        ids = self.select_area(shape if isinstance(shape, dict) else {})
        self._run("C4Map.markArea", ids)
        self.area_drawn.emit(shape)
        self.area_selected.emit(ids)

    # --- the page

    @property
    def is_ready(self) -> bool:
        return self._ready

    @property
    def page(self) -> QWebEnginePage:
        return self._page

    @property
    def page_url(self) -> str:
        return self._url

    @property
    def blocked_requests(self) -> list[str]:
        """URLs the page tried to reach outside the application, all of them blocked."""
        return self.web_view.blocked_requests(self._url)

    @property
    def console_messages(self) -> list[ConsoleMessage]:
        return self.web_view.console_messages()

    def renderer_pid(self) -> int:
        return self.web_view.renderer_pid()

    def grab_png(self, path: str | Path) -> Path:
        """Save what the map shows now as a PNG."""
        return self.web_view.grab_png(path)

    def _run(self, function: str, *args: Any) -> None:
        if self._ready:
            self._page.runJavaScript(js_call(function, *args), 0)

    def _report(self, problems: list[str]) -> None:
        if not problems:
            return
        for p in problems:
            log.warning("map: %s", p)
        self.reported_problems.extend(problems)
        # Later, so that problems found while constructing reach whoever connects right after.
        QTimer.singleShot(0, self, lambda: self.problems.emit(list(problems)))

    def _on_load_started(self) -> None:
        self._ready = False

    def _on_page_ready(self) -> None:
        self._ready = True
        state = self._model.page_state(self._fit_pending)
        self._fit_pending = False
        self._page.runJavaScript(js_call("C4Map.load", state), 0, self._on_state_loaded)

    def _on_state_loaded(self, _result: object) -> None:
        if shiboken6.isValid(self):
            for trail_id, (path, stops) in self._hop_trails.items():
                self._run("C4Map.showHopTrail", trail_id, path, stops)
            self.page_ready.emit()

    def _on_renderer_gone(self, status: QWebEnginePage.RenderProcessTerminationStatus, code: int) -> None:
        if status == QWebEnginePage.RenderProcessTerminationStatus.NormalTerminationStatus:
            return
        self._ready = False
        self._report([f"map page: its renderer stopped ({status.name}, code {code}); reloading"])
        QTimer.singleShot(500, self, lambda: self._page.load(QUrl(self._url)))
