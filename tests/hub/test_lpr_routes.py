"""End to end on both backends: an Axis event POSTed to a real IngestServer is stored, matched against the
hotlists and, for a listed plate, raises a hotlist alert (stored and on the bus) before the request returns."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from c4desk.config import Paths
from c4desk.domain.alerts import Alert
from c4desk.domain.camera import Camera, CameraKind
from c4desk.domain.events import AlertRaised, Event, HotlistHit, PlateRead
from c4desk.domain.permissions import Actor, Role
from c4desk.domain.plate_match import HotlistEntry
from c4desk.hub.http_server import IngestServer
from c4desk.hub.lpr_matching import HotlistMatcher
from c4desk.hub.lpr_routes import EVENTS_PATH, lpr_route_factory, lpr_routes
from c4desk.hub.services import Services
from c4desk.integrations.axis_lpr import AxisLprIngest
from c4desk.store.alerts import AlertRepository
from c4desk.store.bus import EventBus
from c4desk.store.cameras import CameraRepository
from c4desk.store.db import Database, sqlite_url
from c4desk.store.hotlist_alerts import hit_alert_id
from c4desk.store.hotlists import HotlistRepository
from c4desk.store.plate_reads import PlateReadRepository
from tests.store import conftest as store_fixtures

# The database fixtures (SQLite and PostgreSQL) of the store tests.
bus, db, db_url, postgres_url, sqlite_db_url = (store_fixtures.bus, store_fixtures.db, store_fixtures.db_url,
                                                 store_fixtures.postgres_url, store_fixtures.sqlite_db_url)

TOKEN = "hub-token"
ANALYST = Actor("sgt", Role.ANALYST, "ws-sgt")  # enters BOLOs
SUPERVISOR = Actor("sam", Role.SUPERVISOR, "ws-sam")  # imports lists


@dataclass
class Hub:
    server: IngestServer
    hotlists: HotlistRepository
    alerts: AlertRepository
    matcher: HotlistMatcher
    events: list[Event]

    def wait_alert(self, read_id: int, started: float) -> Alert:
        """The read's hit alert, polled for until one second after ``started``."""
        while (alert := self.alerts.get(hit_alert_id(read_id))) is None and time.monotonic() - started < 1.0:
            time.sleep(0.005)
        assert alert is not None, "no hit alert within 1 s"
        return alert

    def post(self, body: Any) -> requests.Response:
        return requests.post(self.server.base_url + EVENTS_PATH, json=body, timeout=5,
                             headers={"Authorization": f"Bearer {TOKEN}"})


@pytest.fixture
def hub(db: Database, bus: EventBus, tmp_path: Path) -> Iterator[Hub]:
    cameras = CameraRepository(db, bus)
    cameras.upsert_many([Camera(id="lpr-7", name="Asylum Ave & Main St", lat=41.7662, lon=-72.6751,
                                kind=CameraKind.LPR, serial="ACCC8E000007")])
    hotlists = HotlistRepository(db)
    matcher = HotlistMatcher(db, bus, hotlists, cameras, recheck_s=0.0).start()
    events: list[Event] = []
    bus.subscribe(Event, events.append)
    ingest = AxisLprIngest(cameras, PlateReadRepository(db, bus), tmp_path / "media")
    server = IngestServer(lpr_routes(ingest), token=TOKEN)
    server.start()
    try:
        yield Hub(server, hotlists, AlertRepository(db, bus), matcher, events)
    finally:
        server.stop()
        matcher.stop()


def stolen(plate: str) -> HotlistEntry:
    return HotlistEntry(plate_raw=plate, category="stolen", priority=2, reason="stolen vehicle")


def event(plate: str, car: int = 1, state: str = "new", **over: Any) -> dict[str, Any]:
    return {"carID": car, "carState": state, "plateText": plate, "plateRegion": "CT", "plateConfidence": 0.9,
            "carMoveDirection": "in", "capture_timestamp": "2026-07-04T21:15:03Z",
            "camera_info": {"SerialNumber": "ACCC8E000007"},
            "plateImage": base64.b64encode(b"\xff\xd8\xff\xe0 a plate crop").decode(), **over}


def test_bolo_plate_raises_a_hit_alert(hub: Hub) -> None:
    hub.hotlists.add_bolo("7KX*3", reason="armed robbery, Park St", actor=ANALYST, priority=1)
    started = time.monotonic()
    response = hub.post(event("7KX 193"))
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["plate"], body["plate_raw"], body["camera_id"], body["direction"]) == ("7KX193", "7KX 193",
                                                                                         "lpr-7", "in")
    alert = hub.wait_alert(body["id"], started)
    hub.matcher.drain()
    assert (alert.source, alert.type, alert.priority, alert.address, alert.lat) == (
        "hotlist", "hotlist_hit", 1, "Asylum Ave & Main St", 41.7662)
    p = alert.payload
    assert (p["plate"], p["hotlist"], p["entry_plate"], p["match"], p["reason"], p["read_id"]) == (
        "7KX193", "BOLO", "7KX*3", "wildcard", "armed robbery, Park St", body["id"])
    assert p["plate_image_ref"] == body["plate_image_ref"] != ""
    kinds = [type(e) for e in hub.events]
    assert kinds == [PlateRead, HotlistHit, AlertRaised]
    hit = hub.events[1]
    assert isinstance(hit, HotlistHit) and (hit.hotlist, hit.priority, hit.read.id) == ("BOLO", 1, body["id"])


def test_passage_update_returns_200_and_raises_no_second_alert(hub: Hub) -> None:
    hub.hotlists.import_list("NCIC", [stolen("6PZ193")], actor=SUPERVISOR)
    assert hub.post(event("6PZ193")).status_code == 201
    again = hub.post(event("6PZ193", state="update", plateImage=None, carMoveDirection="out"))
    assert again.status_code == 200 and again.json()["direction"] == "out"
    hub.matcher.drain()
    assert [type(e) for e in hub.events].count(AlertRaised) == 1


def test_possible_hit_for_a_lookalike(hub: Hub) -> None:
    hub.hotlists.import_list("NCIC", [stolen("6PZ193")], actor=SUPERVISOR)
    body = hub.post(event("GPZ-I93")).json()
    alert = hub.wait_alert(body["id"], time.monotonic())
    assert alert.type == "possible_hotlist_hit" and alert.payload["match"] == "possible"


def test_unlisted_plate_raises_nothing_and_reload_sees_changes(hub: Hub, db: Database) -> None:
    assert hub.post(event("ABC123")).status_code == 201
    hub.matcher.drain()
    assert [type(e) for e in hub.events] == [PlateRead]
    HotlistRepository(db).add_bolo("ABC124", reason="r", actor=ANALYST)  # another process's change
    body = hub.post(event("ABC124", car=2)).json()
    hub.wait_alert(body["id"], time.monotonic())
    assert hub.matcher.entry_count == 1


def test_bad_event_is_400_with_field_errors_and_stores_nothing(hub: Hub) -> None:
    r = hub.post(event("", carMoveDirection="left", camera_info={"SerialNumber": "UNKNOWN-1"}))
    assert r.status_code == 400
    assert r.json() == {"errors": [
        {"field": "plateText", "reason": "required for a new car"},
        {"field": "carMoveDirection", "reason": "'left' is not one of in, out, unk"},
        {"field": "camera_info.SerialNumber",
         "reason": "unknown serial 'UNKNOWN-1': no camera has it (import the site file, or set the camera's serial)"},
    ]}
    assert hub.post([event("ABC123")]).status_code == 400
    hub.matcher.drain()
    assert hub.events == []


def test_route_factory_and_matcher_for_services(tmp_path: Path) -> None:
    services = Services.open(sqlite_url(tmp_path / "c4.db"))
    try:
        assert set(lpr_route_factory(services, Paths(tmp_path))) == {("POST", EVENTS_PATH)}
        matcher = HotlistMatcher.for_services(services).start()
        matcher.stop()
        assert matcher.entry_count == 0
    finally:
        services.close()
