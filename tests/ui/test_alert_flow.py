"""End to end through the real hub: a gunshot alert and a BOLO plate read POSTed over HTTP reach the alert queue and
the map; Ctrl+Enter fills the wall with the cameras that can see the shot (against the real demo RTSP server)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from c4desk.config import Paths, Settings
from c4desk.demo import city, script
from c4desk.domain.permissions import Actor, Role
from c4desk.domain.ranking import rank_cameras
from c4desk.hub.runtime import Hub
from c4desk.hub.services import Services
from c4desk.integrations.hotlist_files import parse_hotlist_text
from c4desk.ui.app import build_main_window
from c4desk.ui.main_window import MainWindow


@pytest.fixture
def hub(services: Services, data_dir: Path) -> Iterator[Hub]:
    settings = Settings()
    settings.hub.listen = "127.0.0.1:0"
    hub = Hub(services, settings, Paths(data_dir))
    hub.start()
    yield hub
    hub.stop()


def post(hub: Hub, path: str, body: dict[str, Any]) -> requests.Response:
    return requests.post(hub.base_url + path, json=body, timeout=5, headers={"Authorization": f"Bearer {hub.token}"})


def run_js(qtbot: QtBot, window: MainWindow, expression: str) -> Any:
    box: dict[str, Any] = {}
    window.map_view.page.runJavaScript(f"JSON.stringify(({expression}))", 0, lambda r: box.setdefault("r", r))
    qtbot.waitUntil(lambda: "r" in box, timeout=10_000)
    return None if box["r"] in (None, "") else json.loads(box["r"])


def test_gunshot_and_bolo_hit_reach_queue_map_and_wall(qtbot: QtBot, services: Services, demo_site: list[str],
                                                       hub: Hub, data_dir: Path) -> None:
    parsed = parse_hotlist_text(script.BOLO_HOTLIST_CSV, hotlist="BOLO", entered_by="test")
    services.hotlists.import_list("BOLO", parsed.entries, actor=Actor("sup", Role.SUPERVISOR))
    window = build_main_window(services, Settings(), Paths(data_dir), user="analyst")
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.map_view.is_ready and len(window._cameras) == len(demo_site), timeout=20_000)

    lat, lon = script.shot_latlon()
    shot = post(hub, "/api/v1/alerts/gunshot", {
        "id": "SST-E2E-1", "type": "multiple_gunshots", "rounds": 3, "lat": lat, "lon": lon,
        "detected_at": (datetime.now(UTC) - timedelta(seconds=9)).isoformat(), "address": "High St & Elm St"})
    assert shot.status_code == 201, shot.text
    lpr01 = next(c for c in city.demo_cameras() if c.id == "lpr01")
    read = post(hub, "/api/v1/lpr/events", {
        "carID": 77, "carState": "new", "plateText": script.SUSPECT_PLATE, "plateRegion": "CT", "plateConfidence": 0.93,
        "carMoveDirection": "in", "capture_timestamp": datetime.now(UTC).isoformat(),
        "camera_info": {"SerialNumber": lpr01.serial}})
    assert read.status_code == 201, read.text

    # Both alerts in the queue (the BOLO hit raised by the hub's matcher), both pins on the map, no page reload.
    qtbot.waitUntil(lambda: window.alert_queue.alert("SST-E2E-1") is not None, timeout=5000)
    hit_id = f"hotlist-{read.json()['id']}" if "id" in read.json() else None
    qtbot.waitUntil(lambda: any(window.alert_queue.alert(a.id) is not None and a.source == "hotlist"
                                for a in services.alerts.recent(10)), timeout=5000)
    hit = next(a for a in services.alerts.recent(10) if a.source == "hotlist")
    assert hit_id is None or hit.id == hit_id
    assert hit.payload["plate"] == script.SUSPECT_PLATE
    qtbot.waitUntil(lambda: run_js(qtbot, window, "document.querySelectorAll('[data-alert-id]').length") == 2,
                    timeout=10_000)

    # The response view: covering cameras first, as the domain ranking says, on the wall in one keypress.
    window.alert_queue.select_alert("SST-E2E-1")
    QTest.keyClick(window, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    ranked = rank_cameras(services.cameras.list(), lat, lon)
    expected = [r.camera_id for r in ranked.ordered if r.kind.value != "lpr"][: len(window.grid.tiles)]
    qtbot.waitUntil(lambda: window.grid.cameras()[: len(expected)] == expected, timeout=5000)
    assert expected[0] == "cam02"  # looks down Elm St from the corner of the shot
    first = window.grid.tiles[0]
    qtbot.waitUntil(lambda: first.status == "live", timeout=8000)
    window.close()
