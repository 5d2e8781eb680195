"""End to end through the real hub: an LPR read of a BOLO plate, POSTed over HTTP with the camera's base64 plate
crop, becomes a hit alert in the queue whose details show that crop, and a pin on the map (real QtWebEngine)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import requests
from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

from c4desk.config import Paths, Settings
from c4desk.demo import city, script
from c4desk.demo.render import plate_crop_jpeg
from c4desk.domain.permissions import Actor, Role
from c4desk.hub.runtime import Hub
from c4desk.hub.services import Services
from c4desk.integrations.hotlist_files import parse_hotlist_text
from c4desk.ui.app import build_main_window
from c4desk.ui.lpr.hit_view import CROP_HEIGHT
from c4desk.ui.main_window import MainWindow

CAMERAS = ("cam02", "lpr01", "lpr02")


@pytest.fixture
def hub(services: Services, data_dir: Path) -> Iterator[Hub]:
    settings = Settings()
    settings.hub.listen = "127.0.0.1:0"
    hub = Hub(services, settings, Paths(data_dir))
    hub.start()
    yield hub
    hub.stop()


def run_js(qtbot: QtBot, window: MainWindow, expression: str) -> Any:
    box: dict[str, Any] = {}
    window.map_view.page.runJavaScript(f"JSON.stringify(({expression}))", 0, lambda r: box.setdefault("r", r))
    qtbot.waitUntil(lambda: "r" in box, timeout=10_000)
    return None if box["r"] in (None, "") else json.loads(box["r"])


def rgb(image: QImage) -> np.ndarray:
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    rows = np.frombuffer(image.constBits(), np.uint8, image.sizeInBytes()).reshape(image.height(), -1)
    return rows[:, : image.width() * 3].reshape(image.height(), image.width(), 3).astype(np.int16)


def test_bolo_read_with_crop_shows_the_crop_in_the_queue_and_a_pin(qtbot: QtBot, services: Services, hub: Hub,
                                                                    data_dir: Path) -> None:
    # No stream is played here: the cameras only need to exist (the read names lpr01 by its serial).
    services.cameras.upsert_many([c for c in city.demo_cameras() if c.id in CAMERAS])
    parsed = parse_hotlist_text(script.BOLO_HOTLIST_CSV, hotlist="BOLO", entered_by="test")
    services.hotlists.import_list("BOLO", parsed.entries, actor=Actor("sup", Role.SUPERVISOR))
    window = build_main_window(services, Settings(), Paths(data_dir), user="analyst")
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.map_view.is_ready and len(window._cameras) == len(CAMERAS), timeout=20_000)

    crop = plate_crop_jpeg(script.SUSPECT_PLATE)
    lpr01 = next(c for c in city.demo_cameras() if c.id == "lpr01")
    response = requests.post(hub.base_url + "/api/v1/lpr/events", timeout=5, headers={
        "Authorization": f"Bearer {hub.token}"}, json={
        "carID": 4711, "carState": "new", "plateText": script.SUSPECT_PLATE, "plateRegion": "CT",
        "plateConfidence": 0.91, "carMoveDirection": "in", "capture_timestamp": datetime.now(UTC).isoformat(),
        "camera_info": {"SerialNumber": lpr01.serial}, "plateImage": base64.b64encode(crop).decode()})
    assert response.status_code == 201, response.text
    read = response.json()
    assert read["plate_image_ref"]
    hit_id = f"hotlist-{read['id']}"

    # The hit in the queue; selecting it shows the crop the camera sent, with what the list says.
    qtbot.waitUntil(lambda: window.alert_queue.alert(hit_id) is not None, timeout=5000)
    window.alert_queue.select_alert(hit_id)
    qtbot.waitUntil(window.hit_view.has_crop, timeout=5000)
    assert window.hit_view.isVisibleTo(window) and window.hit_view.alert_id == hit_id
    shown = window.hit_view.crop.pixmap().toImage()
    assert shown.height() == CROP_HEIGHT
    sent = QImage.fromData(crop).scaledToHeight(CROP_HEIGHT)
    assert (shown.width(), shown.height()) == (sent.width(), sent.height())
    assert np.abs(rgb(shown) - rgb(sent)).mean() < 4  # the very picture the camera sent, not a placeholder
    summary = window.hit_view.summary.text()
    assert script.SUSPECT_PLATE in summary and "BOLO" in summary and "exact match" in summary
    assert "HONDA" in summary and "Shots fired" in summary  # the entry's annotations and reason

    # ... and its pin on the map, at the reading camera.
    selector = json.dumps(f'[data-alert-id="{hit_id}"]')
    qtbot.waitUntil(lambda: run_js(qtbot, window, f"document.querySelectorAll({selector}).length") == 1,
                    timeout=10_000)

    # A gunshot alert selected next hides the hit view (it belongs to hotlist hits only).
    lat, lon = script.shot_latlon()
    shot = requests.post(hub.base_url + "/api/v1/alerts/gunshot", timeout=5, headers={
        "Authorization": f"Bearer {hub.token}"}, json={
        "id": "SST-CROP-1", "type": "single_gunshot", "rounds": 1, "lat": lat, "lon": lon,
        "detected_at": datetime.now(UTC).isoformat()})
    assert shot.status_code == 201, shot.text
    qtbot.waitUntil(lambda: window.alert_queue.alert("SST-CROP-1") is not None, timeout=5000)
    window.alert_queue.select_alert("SST-CROP-1")
    assert not window.hit_view.isVisibleTo(window) and window.hit_view.alert_id is None
    window.close()
