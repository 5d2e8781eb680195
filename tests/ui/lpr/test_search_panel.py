"""The plate search panel on real Services (SQLite): search kinds, history with owner, trail, CSV export, and
the wall operator's refusal (SEARCH_PLATES) said on the panel and audited."""

from __future__ import annotations

import csv
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QIcon
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from c4desk.demo.render import plate_crop_jpeg
from c4desk.domain.camera import parse_camera
from c4desk.domain.permissions import Actor, Role
from c4desk.domain.plates import LprRead
from c4desk.hub.services import Services
from c4desk.integrations.axis_lpr import save_image
from c4desk.integrations.owner_lookup import OwnerLookupClient
from c4desk.store.models import AuditEventRow
from c4desk.store.plate_search import PlateSearch
from c4desk.ui.lpr.plate_images import PlateImages, plate_media_dir
from c4desk.ui.lpr.read_table import IMAGE_COLUMN, NO_IMAGE
from c4desk.ui.lpr.search_panel import PlateSearchPanel

NOW = datetime.now(UTC)
ANALYST = Actor("ana", Role.ANALYST, "ws-03")
WALL = Actor("wally", Role.WALL_OPERATOR, "ws-wall")


@pytest.fixture
def reads(services: Services) -> list[LprRead]:
    services.cameras.upsert_many([parse_camera({"id": c, "name": c, "lat": 41.76, "lon": -72.67, "kind": "lpr"})
                                  for c in ("lprA", "lprB")])
    rows = [("6PZ193", "lprA", 50), ("6PZ193", "lprB", 20), ("6PZ-193", "lprA", 5), ("GPZ193", "lprB", 3),
            ("AB1234", "lprA", 2), ("XY6PZ19", "lprB", 1)]
    return [services.plate_reads.add(LprRead(camera_id=cam, plate_raw=plate, read_at=NOW - timedelta(minutes=ago),
                                             region="CT", confidence=0.9, direction="in"))
            for plate, cam, ago in rows]


class _Owners(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path.endswith("/owners/6PZ193"):
            body = json.dumps({"name": "J. Doe", "address": "12 Elm St, Hartford", "vehicle": "blue sedan"}).encode()
            self.send_response(200)
        else:
            body = b"{}"
            self.send_response(404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def owner_server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Owners)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def make_panel(qtbot: QtBot, services: Services, owner_url: str | None = None,
               actor: Actor = ANALYST) -> PlateSearchPanel:
    clients: list[OwnerLookupClient] = []

    def lookup() -> OwnerLookupClient | None:
        if owner_url is None:
            return None
        clients.append(OwnerLookupClient(owner_url))
        return clients[-1]

    panel = PlateSearchPanel(PlateSearch(services.db), lookup, actor=lambda: actor)
    qtbot.addWidget(panel)
    panel.show()
    return panel


def search(qtbot: QtBot, panel: PlateSearchPanel, text: str, *, partial: bool = False,
           fuzzy: bool = False) -> list[str]:
    panel.pattern.setText(text)
    panel.partial.setChecked(partial)
    panel.fuzzy.setChecked(fuzzy)
    panel.status.setText("")
    panel.search_button.click()
    qtbot.waitUntil(lambda: panel.status.text().startswith(("Reads", "No reads", "plate", "pattern")), timeout=5000)
    return [panel.table.records.record(i).plate_norm for i in range(panel.table.records.rowCount())]


def test_search_kinds(qtbot: QtBot, services: Services, reads: list[LprRead]) -> None:
    panel = make_panel(qtbot, services)
    assert search(qtbot, panel, "6pz 193") == ["6PZ193", "6PZ193", "6PZ193"]  # normalised, newest first
    assert search(qtbot, panel, "6PZ*") == ["6PZ193", "6PZ193", "6PZ193"]
    assert search(qtbot, panel, "?PZ193") == ["GPZ193", "6PZ193", "6PZ193", "6PZ193"]
    assert search(qtbot, panel, "PZ19", partial=True) == ["XY6PZ19", "GPZ193", "6PZ193", "6PZ193", "6PZ193"]
    assert "GPZ193" in search(qtbot, panel, "6PZ193", fuzzy=True)  # 6/G confusable


def test_history_owner_and_trail(qtbot: QtBot, services: Services, reads: list[LprRead], owner_server: str) -> None:
    panel = make_panel(qtbot, services, owner_server)
    search(qtbot, panel, "6PZ193")
    with qtbot.waitSignal(panel.trail_requested, timeout=5000) as trail:
        panel.table.selectRow(0)
    plate, trail_reads = trail.args
    assert plate == "6PZ193"
    assert [r.camera_id for r in trail_reads] == ["lprA", "lprB", "lprA"]  # oldest first
    text = panel.history.text()
    assert "3 read(s)" in text and "J. Doe" in text and "12 Elm St" in text


def test_csv_export(qtbot: QtBot, services: Services, reads: list[LprRead], tmp_path: Path) -> None:
    panel = make_panel(qtbot, services)
    search(qtbot, panel, "6PZ193")
    out = tmp_path / "reads.csv"
    panel.export_csv(out)
    with out.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [r["camera_id"] for r in rows] == ["lprA", "lprB", "lprA"]
    assert set(rows[0]) == {"plate", "region", "read_at", "camera_id", "confidence", "direction"}


def test_bad_pattern_is_explained_not_raised(qtbot: QtBot, services: Services, reads: list[LprRead]) -> None:
    panel = make_panel(qtbot, services)
    panel.pattern.setText("***")
    panel.search_button.click()
    qtbot.waitUntil(lambda: panel.status.text() not in ("", "Searching ..."), timeout=5000)
    assert "plate" in panel.status.text().lower() or "pattern" in panel.status.text().lower()


def test_region_filter(qtbot: QtBot, services: Services, reads: list[LprRead]) -> None:
    services.plate_reads.add(LprRead(camera_id="lprA", plate_raw="6PZ193", read_at=NOW - timedelta(minutes=1),
                                     region="NY", confidence=0.8, direction="out"))
    panel = make_panel(qtbot, services)
    assert len(search(qtbot, panel, "6PZ193")) == 4
    panel.region.setText("ny")  # the reader's region, any case
    assert search(qtbot, panel, "6PZ193") == ["6PZ193"]
    assert panel.table.records.record(0).region == "NY"
    panel.region.setText("CT")
    assert len(search(qtbot, panel, "6PZ193")) == 3
    panel.region.setText("QC")
    assert search(qtbot, panel, "6PZ193") == [] and panel.status.text() == "No reads"


def test_results_show_plate_crops(qtbot: QtBot, services: Services, reads: list[LprRead], data_dir: Path) -> None:
    media = plate_media_dir(data_dir)
    ref = save_image(media, plate_crop_jpeg("6PZ193"))
    services.plate_reads.add(LprRead(camera_id="lprB", plate_raw="6PZ193", read_at=NOW, region="CT",
                                     confidence=0.95, direction="in", plate_image_ref=ref))
    panel = PlateSearchPanel(PlateSearch(services.db), None, actor=ANALYST, images=PlateImages(media))
    qtbot.addWidget(panel)
    panel.show()
    assert search(qtbot, panel, "6PZ193")[0] == "6PZ193"
    newest = panel.table.records.index(0, IMAGE_COLUMN)
    qtbot.waitUntil(lambda: isinstance(panel.table.records.data(newest, Qt.ItemDataRole.DecorationRole), QIcon),
                    timeout=5000)
    assert panel.table.records.data(panel.table.records.index(1, IMAGE_COLUMN)) == NO_IMAGE


def audit_trail(services: Services) -> list[tuple[str, str, str, str]]:
    with services.db.session() as s:
        return [(r.event_type, r.username, r.object, r.detail.get("query", ""))
                for r in s.scalars(select(AuditEventRow).order_by(AuditEventRow.id))]


def test_each_search_and_history_is_audited(qtbot: QtBot, services: Services, reads: list[LprRead]) -> None:
    """One record per search, one per history view (its trail comes in the same query)."""
    panel = make_panel(qtbot, services)
    with qtbot.waitSignal(panel.trail_requested, timeout=5000):
        search(qtbot, panel, "6PZ193")  # one plate found: its history is shown at once
    assert audit_trail(services) == [("plate_query", "ana", "plates:6PZ193", "search"),
                                     ("plate_query", "ana", "plates:6PZ193", "history")]


def test_the_wall_operator_is_told_why_and_refused(qtbot: QtBot, services: Services, reads: list[LprRead]) -> None:
    """The button says why before anything is tried; a search that is still sent (Enter in the field) is refused
    by the store, audited, and said on the status line: no crash, no dialog, no reads shown."""
    panel = make_panel(qtbot, services, actor=WALL)
    panel.resize(900, 360)
    assert not panel.search_button.isEnabled()
    assert panel.search_button.toolTip() == "Your role (wall_operator) may not search plates"
    assert panel.status.text() == "Your role (wall_operator) may not search plates"
    panel.grab().save("/tmp/plates-ptz-wall-operator-opens-search.png")
    panel.pattern.setText("6PZ193")
    QTest.keyClick(panel.pattern, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: panel.status.text().startswith("Not allowed"), timeout=5000)
    assert panel.status.text() == "Not allowed: wally (wall_operator) may not search plates"
    assert panel.status.is_error and panel.table.records.rowCount() == 0
    assert audit_trail(services) == [("permission_denied", "wally", "plates:6PZ193", "search")]
    panel.show_history("6PZ193")  # a history asked for some other way is refused the same way
    qtbot.waitUntil(lambda: "Not allowed" in panel.history.text(), timeout=5000)
    assert panel.history.text() == "History of 6PZ193: Not allowed: wally (wall_operator) may not search plates"
    assert audit_trail(services)[-1] == ("permission_denied", "wally", "plates:6PZ193", "history")
    panel.grab().save("/tmp/plates-ptz-wall-operator-refused.png")
