"""Several seats on one PostgreSQL database, wired as the product wires them (``Services.open``): the event bridge
starts and stops with the services, a gunshot POSTed to the hub on one seat reaches another seat's bus, and a plate
read is matched against the hotlists once however many seats run a hub (a real PostgreSQL server; two seats in one
test process)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from c4desk.config import Paths, Settings
from c4desk.domain.alerts import SOURCE_HOTLIST
from c4desk.domain.camera import Camera, CameraKind
from c4desk.domain.events import AlertRaised, Event, HotlistHit, PlateRead
from c4desk.domain.permissions import Actor, Role
from c4desk.domain.plates import LprRead
from c4desk.hub.gunshot_routes import GUNSHOT_PATH
from c4desk.hub.lpr_matching import HotlistMatcher
from c4desk.hub.runtime import Hub
from c4desk.hub.services import Services
from c4desk.store.db import sqlite_url
from c4desk.store.models import AlertRow
from tests.store.conftest import postgres_url  # noqa: F401 - a fixture: a fresh PostgreSQL database

pytestmark = pytest.mark.postgres
NOW = datetime.now(UTC).replace(microsecond=0)
SUPERVISOR = Actor("sam", Role.SUPERVISOR, workstation="ws-a")


def wait_for(condition: Callable[[], bool], timeout: float = 2.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"not true within {timeout} s")
        time.sleep(0.01)


def collect(services: Services) -> list[Event]:
    seen: list[Event] = []
    services.bus.subscribe(Event, seen.append)
    return seen


@pytest.fixture
def two_seats(postgres_url: str, tmp_path: Path) -> Iterator[tuple[Services, Services]]:  # noqa: F811
    a = Services.open(postgres_url, recordings_root=tmp_path / "rec")
    b = Services.open(postgres_url, recordings_root=tmp_path / "rec")
    try:
        a.cameras.upsert_many([Camera(id="lpr01", name="Main St LPR", lat=41.766, lon=-72.675, kind=CameraKind.LPR)])
        yield a, b
    finally:
        a.close()
        b.close()


def test_the_bridge_comes_and_goes_with_the_services(postgres_url: str, tmp_path: Path) -> None:  # noqa: F811
    seat = Services.open(postgres_url, recordings_root=tmp_path / "rec")
    quiet = Services.open(postgres_url, migrate=False, recordings_root=tmp_path / "rec", bridge=False)
    local = Services.open(sqlite_url(tmp_path / "one-seat.db"))
    try:
        bridge = seat.event_bridge
        assert bridge is not None and bridge.listening and bridge.seat == seat.seat
        assert quiet.event_bridge is None and local.event_bridge is None  # turned off; SQLite: one seat
        assert len({seat.seat, quiet.seat, local.seat}) == 3  # one name per Services, even in one process
    finally:
        started = time.monotonic()
        seat.close()
        quiet.close()
        local.close()
    assert time.monotonic() - started < 1.0
    assert seat.event_bridge is None and not bridge.listening


class CountingMatcher(HotlistMatcher):
    """The real matcher, noting every read the bus hands it."""

    def __init__(self, services: Services) -> None:
        super().__init__(services.db, services.bus, services.hotlists, services.cameras)
        self.reads: list[LprRead] = []

    def on_read(self, event: PlateRead) -> None:
        self.reads.append(event.read)
        super().on_read(event)


def test_a_hotlist_hit_is_raised_once_when_two_seats_run_a_hub(two_seats: tuple[Services, Services]) -> None:
    a, b = two_seats
    a.hotlists.add_bolo("ABC123", reason="stolen, armed occupants", actor=SUPERVISOR)
    matchers = [CountingMatcher(a).start(), CountingMatcher(b).start()]
    events_a, events_b = collect(a), collect(b)
    try:
        stored = a.plate_reads.add(LprRead(camera_id="lpr01", plate_raw="ABC 123", read_at=NOW, confidence=0.9))
        wait_for(lambda: sum(isinstance(e, AlertRaised) for e in events_b) == 1)
        for matcher in matchers:
            matcher.drain()
        # Seat B saw the read on its bus (its views need it) but its matcher did not: seat A's matched it.
        assert [r.id for r in matchers[0].reads] == [stored.id] and matchers[1].reads == []
        assert [type(e) for e in events_a] == [PlateRead, HotlistHit, AlertRaised]
        wait_for(lambda: len(events_b) == 3)
        assert events_b == events_a
        with a.db.session() as s:
            assert s.scalar(select(func.count()).select_from(AlertRow).where(AlertRow.source == SOURCE_HOTLIST)) == 1

        # And the other way round: a read stored through seat B is matched by B's matcher alone.
        again = b.plate_reads.add(LprRead(camera_id="lpr01", plate_raw="ABC123", read_at=NOW + timedelta(minutes=1)))
        wait_for(lambda: sum(isinstance(e, HotlistHit) for e in events_a) == 2)
        for matcher in matchers:
            matcher.drain()
        assert [r.id for r in matchers[1].reads] == [again.id] and [r.id for r in matchers[0].reads] == [stored.id]
        with a.db.session() as s:
            assert s.scalar(select(func.count()).select_from(AlertRow).where(AlertRow.source == SOURCE_HOTLIST)) == 2
    finally:
        for matcher in matchers:
            matcher.stop()


def test_a_gunshot_posted_to_one_seats_hub_reaches_another_seat(two_seats: tuple[Services, Services],
                                                                data_dir: Path) -> None:
    a, b = two_seats
    settings = Settings()
    settings.hub.listen = "127.0.0.1:0"
    hub = Hub(a, settings, Paths(data_dir))
    hub.start()
    events_b = collect(b)
    try:
        detected = (NOW - timedelta(seconds=20)).isoformat().replace("+00:00", "Z")
        started = time.monotonic()
        shot = {"id": "SST-26-000777", "type": "multiple_gunshots", "rounds": 4, "lat": 41.7641, "lon": -72.6740,
                "detected_at": detected, "address": "Main St & Pearl St", "beat": "B-07", "district": "Downtown"}
        response = requests.post(hub.base_url + GUNSHOT_PATH, json=shot, timeout=5,
                                 headers={"Authorization": f"Bearer {hub.token}"})
        assert response.status_code in (200, 201), response.text
        wait_for(lambda: any(isinstance(e, AlertRaised) for e in events_b))
        took = time.monotonic() - started
    finally:
        hub.stop()
    raised = [e for e in events_b if isinstance(e, AlertRaised)]
    assert len(raised) == 1 and took < 2.0
    assert raised[0].alert == a.alerts.get("SST-26-000777")
    assert raised[0].alert.rounds == 4 and raised[0].alert.beat == "B-07"
