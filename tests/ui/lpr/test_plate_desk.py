"""PlateDesk on its own, with real parts: the plate search panel on real Services (SQLite), the map (real
QtWebEngine), the BOLO dialog storing through the real hotlist repository, and an owner look-up over real HTTP (the
test server of test_search_panel stands in for the registration service)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QDockWidget, QMainWindow, QTabWidget, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from c4desk.domain.camera import Camera, CameraKind
from c4desk.domain.permissions import Actor, Role
from c4desk.domain.plates import LprRead
from c4desk.hub.services import Services
from c4desk.integrations.owner_lookup import OwnerLookupClient
from c4desk.store.models import AuditEventRow
from c4desk.ui.cases.session_work import SessionWork
from c4desk.ui.lpr.bolo_dialog import BoloDialog
from c4desk.ui.lpr.live_reads import LiveReadsPanel
from c4desk.ui.lpr.plate_desk import PlateDesk, owner_lookup_for, trail_id
from c4desk.ui.lpr.search_panel import PlateSearchPanel
from c4desk.ui.map.map_view import MapView
from tests.ui.lpr.test_search_panel import owner_server  # noqa: F401 - the fixture is used by name
from tests.ui.map.conftest import READY_MS, run_js

ANALYST = Actor("ana", Role.ANALYST, "ws-03")
NOW = datetime.now(UTC)
CAMERAS = [Camera(id="lprA", name="Main St EB", lat=41.7650, lon=-72.6750, kind=CameraKind.LPR),
           Camera(id="lprB", name="Park St WB", lat=41.7600, lon=-72.6800, kind=CameraKind.LPR)]


@dataclass
class Desk:
    host: QMainWindow
    search: PlateSearchPanel
    tabs: QTabWidget
    dock: QDockWidget
    map_view: MapView
    work: SessionWork
    plates: PlateDesk
    selected: list[str] = field(default_factory=lambda: [""])  # the plate of the hit "selected in the queue"
    messages: list[str] = field(default_factory=list)


@pytest.fixture
def reads(services: Services) -> list[LprRead]:
    services.cameras.upsert_many(CAMERAS)
    rows = [("6PZ193", "lprA", 50), ("6PZ193", "lprB", 20), ("6PZ193", "lprA", 5), ("AB1234", "lprB", 2)]
    return [services.plate_reads.add(LprRead(camera_id=cam, plate_raw=plate, read_at=NOW - timedelta(minutes=ago),
                                             region="CT", confidence=0.9, direction="in"))
            for plate, cam, ago in rows]


def make_desk(qtbot: QtBot, services: Services, owner_url: str = "") -> Desk:
    host = QMainWindow()
    qtbot.addWidget(host)
    host.setCentralWidget(QWidget())
    search = PlateSearchPanel(services.plate_search, owner_lookup_for(owner_url), actor=ANALYST)
    tabs = QTabWidget()
    tabs.addTab(search, "Search")
    tabs.addTab(LiveReadsPanel(ANALYST), "Live reads")
    tabs.setCurrentIndex(1)
    dock = QDockWidget("Plates", host)
    dock.setWidget(tabs)
    host.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
    map_view = MapView()
    map_dock = QDockWidget("Map", host)
    map_dock.setWidget(map_view)
    host.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, map_dock)
    work = SessionWork()
    selected = [""]
    plates = PlateDesk(search=search, tabs=tabs, dock=dock, map_view=map_view, hotlists=services.hotlists,
                       actor=ANALYST, session_work=work, cameras=lambda: CAMERAS, selected_plate=lambda: selected[0],
                       window=host)
    desk = Desk(host, search, tabs, dock, map_view, work, plates, selected)
    plates.message.connect(lambda text, _ms: desk.messages.append(text))
    search.trail_requested.connect(plates.show_trail)  # as the window wires it
    map_view.set_cameras(CAMERAS)
    host.resize(1300, 800)
    with qtbot.waitSignal(map_view.page_ready, timeout=READY_MS):
        host.show()
    return desk


def plate_queries(services: Services) -> list[tuple[str, str, str]]:
    with services.db.session() as s:
        rows = s.scalars(select(AuditEventRow).where(AuditEventRow.event_type == "plate_query")
                         .order_by(AuditEventRow.id))
        return [(r.username, r.object, r.detail["query"]) for r in rows]


def shown_plates(desk: Desk) -> list[str]:
    records = desk.search.table.records
    return [records.record(i).plate_norm for i in range(records.rowCount())]


def test_a_plates_history_comes_forward_with_its_owner_and_trail(qtbot: QtBot, services: Services,
                                                                 reads: list[LprRead],
                                                                 owner_server: str) -> None:  # noqa: F811
    desk = make_desk(qtbot, services, owner_server)
    desk.dock.hide()
    desk.plates.show_history("6PZ193")
    assert desk.dock.isVisible() and desk.tabs.currentWidget() is desk.search
    assert desk.search.pattern.text() == "6PZ193" and desk.work.plates == ["6PZ193"]
    qtbot.waitUntil(lambda: shown_plates(desk) == ["6PZ193"] * 3, timeout=5000)
    # One plate found: its history (with the owner from the registration service) and its trail on the map.
    qtbot.waitUntil(lambda: "J. Doe" in desk.search.history.text(), timeout=5000)
    layers = f"C4Map.trails[{trail_id('6PZ193')!r}] ? C4Map.trails[{trail_id('6PZ193')!r}].getLayers().length : 0"
    qtbot.waitUntil(lambda: run_js(qtbot, desk.map_view, layers) == 1 + 3, timeout=5000)  # the line, a dot a read
    assert plate_queries(services) == [("ana", "plates:6PZ193", "search"), ("ana", "plates:6PZ193", "history")]


def test_a_trail_leaves_out_reads_of_cameras_the_site_no_longer_has(qtbot: QtBot, services: Services,
                                                                    reads: list[LprRead]) -> None:
    desk = make_desk(qtbot, services)
    gone = LprRead(camera_id="lprGONE", plate_raw="AB1234", read_at=NOW)
    desk.plates.show_trail("AB1234", [reads[3], gone])
    layers = f"C4Map.trails[{trail_id('AB1234')!r}].getLayers().length"
    qtbot.waitUntil(lambda: run_js(qtbot, desk.map_view, f"!!C4Map.trails[{trail_id('AB1234')!r}]"), timeout=5000)
    assert run_js(qtbot, desk.map_view, layers) == 1 + 1
    assert desk.work.plates == []  # drawing a trail is not running a plate


def test_ctrl_l_searches_the_selected_hits_plate_or_opens_the_search(qtbot: QtBot, services: Services,
                                                                     reads: list[LprRead]) -> None:
    desk = make_desk(qtbot, services)
    desk.search.pattern.setText("AB*")
    desk.plates.search()  # no hit selected: the search comes forward, its text selected to type over
    assert desk.tabs.currentWidget() is desk.search and desk.search.pattern.selectedText() == "AB*"
    assert plate_queries(services) == [] and desk.work.plates == []
    desk.selected[0] = "AB1234"
    desk.plates.search()  # a hit selected: its plate, searched at once
    assert desk.search.pattern.text() == "AB1234" and desk.work.plates == ["AB1234"]
    qtbot.waitUntil(lambda: shown_plates(desk) == ["AB1234"], timeout=5000)


def test_ctrl_b_enters_a_bolo_on_the_plate_in_the_search_field(qtbot: QtBot, services: Services) -> None:
    desk = make_desk(qtbot, services)
    desk.search.pattern.setText("7KX193")
    seen: list[str] = []

    def fill_in() -> None:
        dialogs = [d for d in desk.host.findChildren(BoloDialog) if d.isVisible()]
        if not dialogs:
            QTimer.singleShot(20, fill_in)
            return
        seen.append(dialogs[0].plate.text())
        dialogs[0].reason.setText("armed robbery, grey van")
        dialogs[0].save()

    QTimer.singleShot(0, fill_in)
    desk.plates.new_bolo()  # modal until the dialog stores it
    assert seen == ["7KX193"]
    assert desk.messages == ["BOLO 7KX193 saved; reads are matched against it now"]
    assert [(e.plate, e.entered_by) for e in services.hotlists.active_entries()] == [("7KX193", "ana")]

    def cancel() -> None:
        dialogs = [d for d in desk.host.findChildren(BoloDialog) if d.isVisible()]
        if not dialogs:
            QTimer.singleShot(20, cancel)
            return
        dialogs[0].reject()

    QTimer.singleShot(0, cancel)
    desk.plates.new_bolo()  # cancelled: nothing stored, nothing said
    assert len(desk.messages) == 1 and len(services.hotlists.active_entries()) == 1


def test_owner_lookup_only_when_the_centre_has_a_service() -> None:
    assert owner_lookup_for("")() is None
    client = owner_lookup_for("http://127.0.0.1:9")()
    assert isinstance(client, OwnerLookupClient)

