"""AlertResponder on its own, with real parts around it: the alert queue on a real SQLite store, a live grid, the map
(real QtWebEngine), playback, the viewing audit, the auto-slew (against c4desk/demo/vapix_simulator.py, a stand-in
for an Axis PTZ camera: no real camera exists here) and a hotlist hit raised by the hub's real matcher.

The demo site's cameras are used without streams (their tiles say so): which camera goes where is what is checked.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import Qt, QThreadPool
from PySide6.QtWidgets import QDockWidget, QMainWindow
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from c4desk.config import AlertSettings
from c4desk.demo import city, script
from c4desk.demo.vapix_simulator import VapixSimulator
from c4desk.domain.alerts import Alert, GunshotReport
from c4desk.domain.camera import Camera
from c4desk.domain.geo import destination
from c4desk.domain.permissions import Actor, Role
from c4desk.domain.plates import LprRead
from c4desk.hub.lpr_matching import HotlistMatcher
from c4desk.hub.services import Services
from c4desk.integrations.ptz import PtzClient
from c4desk.integrations.ptz.vapix import VapixPtz
from c4desk.store.models import AuditEventRow
from c4desk.ui.alerts import responder as responder_module
from c4desk.ui.alerts.alert_queue import AlertQueue
from c4desk.ui.alerts.responder import ALERTS_TITLE, ATTENTION_TITLE, AlertResponder, hit_plate
from c4desk.ui.alerts.response import response_cameras
from c4desk.ui.alerts.sound import SilentSound
from c4desk.ui.cases.session_work import SessionWork
from c4desk.ui.map.map_view import MapView
from c4desk.ui.ptz.auto_slew import AutoSlew
from c4desk.ui.wall.live_grid import LiveGrid
from c4desk.ui.wall.playback_clock import WallPlayback
from c4desk.ui.wall.players import PlayerSource
from c4desk.ui.wall.viewing_audit import ViewingAudit
from tests.ui.map.conftest import READY_MS, run_js
from tests.ui.ptz.conftest import PASSWORD, USER, ptz_camera, sim  # noqa: F401 - fixtures used by name

pytestmark = [pytest.mark.timeout(120)]

ANALYST = Actor("ana", Role.ANALYST, "ws-ana")
LEAD_S = 30.0
SITE = [replace(c, stream_main="", stream_sub="") for c in city.demo_cameras()]


@dataclass
class Desk:
    """The responder and what it drives, wired as the main window wires them."""

    host: QMainWindow
    grid: LiveGrid
    queue: AlertQueue
    dock: QDockWidget
    map_view: MapView
    playback: WallPlayback
    slew: AutoSlew
    work: SessionWork
    responder: AlertResponder
    messages: list[str] = field(default_factory=list)
    histories: list[str] = field(default_factory=list)


MakeDesk = Callable[..., Desk]


@pytest.fixture
def make_desk(qtbot: QtBot, services: Services) -> Iterator[MakeDesk]:
    made: list[Desk] = []

    def make(*, cameras: list[Camera] = SITE, settings: AlertSettings | None = None,
             ptz: Callable[[Camera], PtzClient | None] = lambda _camera: None) -> Desk:
        services.cameras.upsert_many(cameras)
        host = QMainWindow()
        qtbot.addWidget(host)
        grid = LiveGrid(PlayerSource(), parent=host)
        host.setCentralWidget(grid)
        queue = AlertQueue(services, ANALYST, sound=SilentSound("tests"))
        dock = QDockWidget(ALERTS_TITLE, host)
        dock.setWidget(queue)
        host.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        map_view = MapView()
        map_dock = QDockWidget("Map", host)
        map_dock.setWidget(map_view)
        host.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, map_dock)
        playback = WallPlayback(services.recordings, lambda: grid, host, alert_lead_s=LEAD_S)
        viewing = ViewingAudit(grid, playback, services.audit, ANALYST, host)
        slew = AutoSlew(services, ptz, parent=host)
        work = SessionWork()
        responder = AlertResponder(queue=queue, grid=grid, map_view=map_view, playback=playback, auto_slew=slew,
                                   viewing=viewing, session_work=work, cameras=lambda: cameras,
                                   settings=settings or AlertSettings(), alert_dock=dock, window=host)
        desk = Desk(host, grid, queue, dock, map_view, playback, slew, work, responder)
        grid.view_changed.connect(viewing.on_view_changed)
        playback.mode_changed.connect(lambda *_: viewing.on_view_changed())
        slew.slewed.connect(responder.on_slewed)
        slew.failed.connect(responder.on_slew_failed)
        responder.message.connect(lambda text, _ms: desk.messages.append(text))
        responder.plate_history_requested.connect(desk.histories.append)
        map_view.set_cameras(cameras)
        host.resize(1400, 800)
        with qtbot.waitSignal(map_view.page_ready, timeout=READY_MS):
            host.show()
        made.append(desk)
        return desk

    yield make
    for desk in made:
        desk.grid.close_players()
    assert QThreadPool.globalInstance().waitForDone(5000)  # slews and audit writes finished


def shot(services: Services, alert_id: str = "SST-1", *, rounds: int = 3) -> Alert:
    """A shot a few metres off the demo's High St & Elm St corner (three rounds: priority 1)."""
    lat, lon = script.shot_latlon()
    alert, _ = services.alerts.add_or_update_gunshot(GunshotReport(
        id=alert_id, type="multiple_gunshots" if rounds > 1 else "single_gunshot", rounds=rounds, lat=lat, lon=lon,
        detected_at=datetime.now(UTC) - timedelta(seconds=9), address="High St & Elm St"))
    return alert


def bolo_hit(services: Services) -> Alert:
    """The suspect plate read at lpr01 while it is on a BOLO: the hub's matcher raises the hit."""
    services.cameras.upsert_many(SITE)
    services.hotlists.add_bolo(script.SUSPECT_PLATE, reason="shots fired, dark sedan", actor=ANALYST)
    read = services.plate_reads.add(LprRead(camera_id="lpr01", plate_raw=script.SUSPECT_PLATE,
                                            read_at=datetime.now(UTC), region="CT"))
    matcher = HotlistMatcher.for_services(services)
    matcher.reload()
    hit = matcher.check(read)
    assert hit is not None
    return hit


def in_queue(qtbot: QtBot, desk: Desk, *alerts: Alert) -> None:
    qtbot.waitUntil(lambda: all(desk.queue.alert(a.id) is not None for a in alerts), timeout=5000)


def expected_view(desk: Desk, alert: Alert) -> list[str]:
    return [c.id for c in response_cameras(SITE, alert, count=AlertSettings().response_camera_count)]


def views_for(services: Services, alert_id: str) -> list[tuple[str, str]]:
    with services.db.session() as s:
        rows = s.scalars(select(AuditEventRow).where(AuditEventRow.event_type.in_(["view_live", "view_recorded"]))
                         .order_by(AuditEventRow.id))
        return [(r.event_type, r.detail["camera_id"]) for r in rows if r.detail.get("alert_id") == alert_id]


def test_answering_a_shot_puts_its_response_view_up_audited_for_it(qtbot: QtBot, services: Services,
                                                                   make_desk: MakeDesk) -> None:
    alert = shot(services)
    desk = make_desk()
    in_queue(qtbot, desk, alert)
    desk.map_view.add_alert(alert)
    expected = expected_view(desk, alert)
    assert len(expected) == 4 and expected[0] == "cam02"  # looks down Elm St from the corner of the shot

    desk.responder.answer_alert(alert.id)
    assert desk.grid.cameras() == expected
    first = desk.grid.tiles[0]
    assert desk.grid.selected_tile is first  # T, B, I/O and the hop arrows act on the best camera at once
    assert desk.messages[-1].startswith("Response view: cam02 ") and desk.messages[-1].count(";") == 3
    assert list(desk.work.alerts) == [alert.id] and desk.histories == []  # worked on; no plate to look up
    qtbot.waitUntil(lambda: sorted(views_for(services, alert.id)) == sorted(("view_live", c) for c in expected),
                    timeout=5000)
    qtbot.waitUntil(lambda: run_js(qtbot, desk.map_view, "C4Map.selectedAlert") == alert.id, timeout=5000)
    # Demo PTZs in range have no login here: each one's refusal is said, naming the camera.
    qtbot.waitUntil(lambda: any(m.startswith("Auto-slew ptz") and "no PTZ credentials" in m
                                for m in desk.messages), timeout=5000)

    # Ctrl+Enter on the selected alert is the same; an alert gone from the queue changes nothing.
    desk.grid.show_cameras([])
    desk.queue.select_alert(alert.id)
    desk.responder.answer_selected()
    assert desk.grid.cameras() == expected
    shown = list(desk.messages)
    desk.responder.answer_alert("no-such-alert")
    desk.responder.open_alert("no-such-alert")
    assert desk.grid.cameras() == expected and desk.messages == shown


def test_answering_a_hotlist_hit_asks_for_its_plates_history(qtbot: QtBot, services: Services,
                                                             make_desk: MakeDesk) -> None:
    gunshot, hit = shot(services), bolo_hit(services)
    desk = make_desk()
    in_queue(qtbot, desk, gunshot, hit)
    assert hit_plate(hit) == script.SUSPECT_PLATE and hit_plate(gunshot) == "" and hit_plate(None) == ""
    desk.queue.select_alert(hit.id)
    assert desk.responder.selected_hit_plate() == script.SUSPECT_PLATE  # Ctrl+L and the hop arrows use it
    desk.responder.answer_alert(hit.id)
    assert desk.histories == [script.SUSPECT_PLATE]
    assert desk.work.plates == [script.SUSPECT_PLATE] and list(desk.work.alerts) == [hit.id]
    assert desk.grid.cameras()[0] == expected_view(desk, hit)[0]  # the cameras around the reader
    desk.queue.select_alert(gunshot.id)
    assert desk.responder.selected_hit_plate() == ""


def test_playing_back_an_alert_starts_before_it_on_its_cameras(qtbot: QtBot, services: Services,
                                                               make_desk: MakeDesk) -> None:
    alert = shot(services)
    desk = make_desk()
    in_queue(qtbot, desk, alert)
    desk.queue.table.clearSelection()
    desk.responder.play_back_selected()
    assert desk.messages == ["Select an alert to play it back"] and desk.grid.cameras() == [None] * 4

    desk.queue.select_alert(alert.id)
    desk.responder.play_back_selected()
    view = desk.playback.for_grid(desk.grid)
    assert view.active and view.clock.playing
    start = alert.detected_at - timedelta(seconds=LEAD_S)
    assert start <= view.clock.position() < start + timedelta(seconds=5)
    assert desk.grid.cameras() == expected_view(desk, alert) and desk.grid.selected_tile is desk.grid.tiles[0]
    assert list(desk.work.alerts) == [alert.id]
    # Recorded viewing, for the alert; the tiles never connected live first (no view_live for it).
    qtbot.waitUntil(lambda: sorted(views_for(services, alert.id))
                    == sorted(("view_recorded", c) for c in expected_view(desk, alert)), timeout=5000)


def test_a_new_alert_is_offered_or_put_up_at_once(qtbot: QtBot, services: Services, make_desk: MakeDesk) -> None:
    first, second = shot(services, "SST-1"), shot(services, "SST-2", rounds=1)
    desk = make_desk()
    in_queue(qtbot, desk, first)
    desk.responder.on_new_alert(first)
    assert "New alert multiple gunshots at High St & Elm St: Ctrl+Enter shows the cameras that can see it" \
        in desk.messages
    assert desk.grid.cameras() == [None] * 4 and not desk.work.alerts  # offered, not shown, not worked on

    auto = make_desk(settings=AlertSettings(auto_response_view=True, auto_slew=False))
    in_queue(qtbot, auto, first, second)
    auto.responder.on_new_alert(first)  # priority 1: on the wall at once
    assert auto.grid.cameras() == expected_view(auto, first)
    auto.grid.show_cameras([])
    auto.responder.on_new_alert(second)  # priority 2: offered only
    assert auto.grid.cameras() == [None] * 4 and auto.messages[-1].startswith("New alert single gunshot")


def test_a_priority_one_alert_calls_for_attention(qtbot: QtBot, services: Services, make_desk: MakeDesk,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(responder_module, "ATTENTION_MS", 200)
    desk = make_desk()
    desk.dock.hide()
    desk.responder.on_attention("SST-1")
    assert desk.dock.isVisible() and desk.dock.windowTitle() == ATTENTION_TITLE
    qtbot.waitUntil(lambda: desk.dock.windowTitle() == ALERTS_TITLE, timeout=3000)
    desk.dock.hide()
    desk.responder.focus_queue()  # F6
    assert desk.dock.isVisible()


def test_a_new_alert_turns_the_ptz_in_range_and_says_so(qtbot: QtBot, services: Services, make_desk: MakeDesk,
                                                         sim: VapixSimulator,  # noqa: F811
                                                         ptz_camera: Camera) -> None:  # noqa: F811
    clients: list[VapixPtz] = []

    def client(camera: Camera) -> PtzClient:
        clients.append(VapixPtz(camera.ptz_url, USER, PASSWORD, backoff_s=0.01))
        return clients[-1]

    desk = make_desk(cameras=[ptz_camera], ptz=client)
    lat, lon = destination(sim.lat, sim.lon, 70.0, 120.0)
    alert, _ = services.alerts.add_or_update_gunshot(GunshotReport(
        id="SST-9", type="multiple_gunshots", rounds=3, lat=lat, lon=lon, detected_at=datetime.now(UTC)))
    desk.responder.on_new_alert(alert)
    qtbot.waitUntil(lambda: any(m.startswith("ptz01 turned to pan ") for m in desk.messages), timeout=10_000)
    pan = float(next(m for m in desk.messages if m.startswith("ptz01 turned")).split()[4].rstrip("°,"))
    assert math.isclose(pan, 70.0, abs_tol=1.0)  # the simulated camera now looks at the shot
    # A failure about the alert, not a camera (no PTZ in range here: the alert is 2 km away), is not news.
    far_lat, far_lon = destination(sim.lat, sim.lon, 0.0, 2000.0)
    far, _ = services.alerts.add_or_update_gunshot(GunshotReport(
        id="SST-10", type="multiple_gunshots", rounds=3, lat=far_lat, lon=far_lon, detected_at=datetime.now(UTC)))
    with qtbot.waitSignal(desk.slew.failed, timeout=5000) as failed:
        desk.responder.on_new_alert(far)
    assert failed.args == ["", "no PTZ camera in range of alert SST-10"]
    assert not any("Auto-slew" in m for m in desk.messages)
