"""Events between seats through PostgreSQL LISTEN/NOTIFY: two seats (each its own Database, bus, repositories
and PgEventBridge, as two workstations have) on one real PostgreSQL database, in one test process.

The payload rules (keys only, under 8000 bytes, cut down when too large) are checked without a database first.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, text

from c4desk.domain.alerts import Alert, AlertStatus, GunshotReport
from c4desk.domain.camera import Camera
from c4desk.domain.events import (
    EVENT_TYPES,
    AlertChanged,
    AlertRaised,
    CamerasChanged,
    CaseChanged,
    ClipChanged,
    ClipTagged,
    Event,
    HotlistHit,
    PlateRead,
    TrailChanged,
    WallPush,
)
from c4desk.domain.permissions import Actor, Role
from c4desk.domain.plates import LprRead
from c4desk.store.alerts import AlertRepository
from c4desk.store.bus import EventBus
from c4desk.store.cameras import CameraRepository
from c4desk.store.cases import CaseRepository
from c4desk.store.clips import ClipRepository
from c4desk.store.db import Database
from c4desk.store.migrate import upgrade
from c4desk.store.models import RecordingSegmentRow
from c4desk.store.pg_bridge import MAX_PAYLOAD_BYTES, PgEventBridge, encode_event, libpq_conninfo, new_seat_id
from c4desk.store.plate_reads import PlateReadRepository
from c4desk.store.trails import TrailRepository

pg = pytest.mark.postgres  # the two-seat tests; the payload rules need no database
NOW = datetime.now(UTC).replace(microsecond=0)
ANALYST = Actor("ana", Role.ANALYST, workstation="ws-a")
SUPERVISOR = Actor("sam", Role.SUPERVISOR, workstation="ws-b")
CAMERAS = [Camera(id="cam01", name="Main & Asylum", lat=41.766, lon=-72.675),
           Camera(id="cam02", name="Park & Broad", lat=41.757, lon=-72.690)]


def wait_for(condition: Callable[[], bool], timeout: float = 2.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"not true within {timeout} s")
        time.sleep(0.01)


def shot(alert_id: str = "SST-1", rounds: int = 1) -> GunshotReport:
    return GunshotReport(id=alert_id, type="single_gunshot" if rounds == 1 else "multiple_gunshots", rounds=rounds,
                         lat=41.7641, lon=-72.6740, detected_at=NOW - timedelta(seconds=20),
                         address="Main St & Pearl St", beat="B-07", district="Downtown",
                         payload={"source": "test"})


def alert(alert_id: str = "SST-9") -> Alert:
    return Alert(id=alert_id, source="gunshot", type="single_gunshot", priority=2, status=AlertStatus.NEW,
                 detected_at=NOW, received_at=NOW)


@dataclass
class Seat:
    """One workstation's store side: what ``Services.open`` builds on PostgreSQL, without the hub layer."""

    db: Database
    bus: EventBus
    bridge: PgEventBridge
    events: list[Event] = field(default_factory=list)

    @classmethod
    def open(cls, url: str, **bridge_options: float) -> Seat:
        db = Database(url)
        bus = EventBus()
        seat = cls(db, bus, PgEventBridge(db, bus, new_seat_id(), **bridge_options))
        bus.subscribe(Event, seat.events.append)
        seat.bridge.start()
        return seat

    def close(self) -> None:
        self.bridge.stop()
        self.db.dispose()

    def of(self, kind: type[Event]) -> list[Event]:
        return [e for e in self.events if isinstance(e, kind)]

    @property
    def alerts(self) -> AlertRepository:
        return AlertRepository(self.db, self.bus)


@pytest.fixture
def pg_url(postgres_url: str) -> str:
    upgrade(postgres_url)
    CameraRepository(db := Database(postgres_url)).upsert_many(CAMERAS)
    db.dispose()
    return postgres_url


@pytest.fixture
def seats(pg_url: str) -> Iterator[tuple[Seat, Seat]]:
    a, b = Seat.open(pg_url), Seat.open(pg_url)
    try:
        yield a, b
    finally:
        a.close()
        b.close()


# ---- payloads (no database) ----------------------------------------------------------------------------------


def _sample(cls: type[Event]) -> Event:
    read = LprRead(id=7, camera_id="cam01", plate_raw="ABC123", read_at=NOW)
    samples: dict[type[Event], Event] = {
        AlertRaised: AlertRaised(alert=alert()), AlertChanged: AlertChanged(alert=alert(), changes={"x": [1, 2]}),
        PlateRead: PlateRead(read=read), HotlistHit: HotlistHit(read=read, hotlist="BOLO"),
        CaseChanged: CaseChanged(case_id=3, what="link"), ClipTagged: ClipTagged(clip_id=4, camera_id="cam01"),
        CamerasChanged: CamerasChanged(created=("cam01",)), WallPush: WallPush(camera_ids=("cam01",)),
        ClipChanged: ClipChanged(clip_id=4, what="submitted", status="pending"),
        TrailChanged: TrailChanged(trail_id=5, what="hop"),
    }
    return samples[cls]


@pytest.mark.parametrize("name", sorted(EVENT_TYPES))
def test_every_event_type_can_travel(name: str) -> None:
    """A new event class fails here until it has a sample (and, if it carries objects, a rule in pg_bridge)."""
    payload = encode_event(_sample(EVENT_TYPES[name]), "seat-1")
    assert payload is not None
    message = json.loads(payload)
    assert message["v"] == 1 and message["origin"] == "seat-1" and message["type"] == name


def test_rows_travel_as_keys() -> None:
    read = LprRead(id=7, camera_id="cam01", plate_raw="ABC123", read_at=NOW, plate_image_ref="x" * 5000)
    assert json.loads(encode_event(PlateRead(read=read), "s") or "") == {"v": 1, "origin": "s", "type": "PlateRead",
                                                                         "read": 7}
    assert json.loads(encode_event(AlertRaised(alert=alert("A-1")), "s") or "")["alert"] == "A-1"
    assert encode_event(PlateRead(read=LprRead(camera_id="cam01", plate_raw="ABC", read_at=NOW)), "s") is None


def test_payloads_too_large_are_cut_down_and_marked() -> None:
    ids = tuple(f"camera-{i:05d}" for i in range(2000))
    cams = json.loads(encode_event(CamerasChanged(created=ids), "s") or "")
    assert cams == {"v": 1, "origin": "s", "type": "CamerasChanged", "all": True}

    push = encode_event(WallPush(camera_ids=ids, layout="2x2", pushed_by="ana"), "s") or ""
    message = json.loads(push)
    assert len(push.encode()) <= MAX_PAYLOAD_BYTES < 8000
    kept = len(message["camera_ids"])
    assert 100 < kept < 2000 and message["more"] == 2000 - kept and message["camera_ids"] == list(ids[:kept])

    long_comment = "é" * 4000  # 8000 bytes of UTF-8
    changed = encode_event(AlertChanged(alert=alert(), changes={"comment": [None, long_comment]}, actor="ana"), "s")
    message = json.loads(changed or "")
    assert message["changes_omitted"] is True and "changes" not in message and message["actor"] == "ana"

    hit = encode_event(HotlistHit(read=LprRead(id=1, camera_id="c", plate_raw="A", read_at=NOW), hotlist="BOLO",
                                  reason="r" * 9000), "s") or ""
    assert len(hit.encode()) <= MAX_PAYLOAD_BYTES and json.loads(hit)["reason"].startswith("rrrr")


def test_conninfo_drops_the_driver_and_keeps_the_password() -> None:
    from sqlalchemy import make_url
    url = make_url("postgresql+psycopg://c4:s3cret@db.example:5433/c4desk?sslmode=require")
    assert libpq_conninfo(url) == "postgresql://c4:s3cret@db.example:5433/c4desk?sslmode=require"


def test_the_bridge_refuses_sqlite(sqlite_db_url: str) -> None:
    db = Database(sqlite_db_url)
    try:
        with pytest.raises(ValueError, match="PostgreSQL"):
            PgEventBridge(db, EventBus(), "seat")
    finally:
        db.dispose()


# ---- two seats on one PostgreSQL database ------------------------------------------------------------------


@pg
def test_a_gunshot_stored_on_one_seat_is_raised_on_the_other(seats: tuple[Seat, Seat]) -> None:
    a, b = seats
    started = time.monotonic()
    a.alerts.add_or_update_gunshot(shot())
    wait_for(lambda: bool(b.of(AlertRaised)), timeout=2.0)
    took = time.monotonic() - started
    assert b.of(AlertRaised) == a.of(AlertRaised)  # the same alert, every field, loaded from the row
    raised = b.of(AlertRaised)[0]
    assert isinstance(raised, AlertRaised) and raised.alert.id == "SST-1" and raised.alert.beat == "B-07"
    assert took < 2.0

    acked = a.alerts.acknowledge("SST-1", actor=ANALYST)
    assert acked.status is AlertStatus.ACKNOWLEDGED
    wait_for(lambda: bool(b.of(AlertChanged)))
    assert b.of(AlertChanged) == a.of(AlertChanged)
    changed = b.of(AlertChanged)[0]
    assert isinstance(changed, AlertChanged)
    assert changed.alert.status is AlertStatus.ACKNOWLEDGED and changed.actor == "ana"
    assert changed.changes == {"status": ["new", "acknowledged"]}



@pg
def test_a_change_too_large_to_carry_is_read_from_the_alerts_history(seats: tuple[Seat, Seat]) -> None:
    a, b = seats
    a.alerts.add_or_update_gunshot(shot())
    note = ("目撃者：赤い車、二人乗り、東へ逃走。" * 250)[:4000]  # the longest comment; 3 bytes a character
    assert len(note.encode()) > MAX_PAYLOAD_BYTES  # so the changes stay behind; the receiver reads the history
    a.alerts.comment("SST-1", note, actor=ANALYST)
    wait_for(lambda: bool(b.of(AlertChanged)))
    assert b.of(AlertChanged) == a.of(AlertChanged)

@pg
def test_a_seat_does_not_get_its_own_events_twice(seats: tuple[Seat, Seat]) -> None:
    a, b = seats
    a.alerts.add_or_update_gunshot(shot("SST-1"))
    a.alerts.add_or_update_gunshot(shot("SST-1", rounds=3))  # an update: AlertChanged
    wait_for(lambda: len(b.events) == 2)
    # A hears its own two notifications and drops them: once it has, nothing more can arrive.
    wait_for(lambda: a.bridge.ignored == 2)
    assert [type(e) for e in a.events] == [AlertRaised, AlertChanged]
    assert a.bridge.received == 0 and b.bridge.received == 2 and a.bridge.sent == 2 and b.bridge.sent == 0


@pg
def test_case_trail_clip_read_and_wall_work_reaches_the_other_seat_in_order(seats: tuple[Seat, Seat]) -> None:
    a, b = seats
    with a.db.session(write=True) as s:  # a recorded minute of cam01 (clips need recorded video to hold)
        s.add(RecordingSegmentRow(camera_id="cam01", start_at=NOW - timedelta(minutes=5),
                                  end_at=NOW - timedelta(minutes=4), path="cam01/seg-1.mkv", bytes=1000,
                                  container="mkv", codec="h264", status="complete"))
    case = CaseRepository(a.db, a.bus).create(ANALYST, "RTCC-2026-0001", "shooting", title="Shots on Main")
    trails = TrailRepository(a.db, a.bus)
    trail_id = trails.start(ANALYST, case_id=case.id, plate="ABC123")
    trails.hop(ANALYST, trail_id, "cam02", NOW - timedelta(minutes=3))
    clips = ClipRepository(a.db, a.bus)
    clip = clips.tag(ANALYST, "cam01", NOW - timedelta(minutes=5), NOW - timedelta(minutes=4, seconds=30),
                     ["getaway", "red sedan"], case=case.id)
    clips.submit(ANALYST, clip.id)
    PlateReadRepository(a.db, a.bus).add(LprRead(camera_id="cam02", plate_raw="ABC 123", read_at=NOW,
                                                 confidence=0.93, direction="in"))
    a.bus.publish(WallPush(camera_ids=("cam01", "cam02"), layout="2x2", alert_id="SST-1", pushed_by="ana"))

    kinds = [CaseChanged, TrailChanged, CaseChanged, TrailChanged, ClipTagged, CaseChanged, ClipChanged,
             CaseChanged, PlateRead, WallPush]
    assert [type(e) for e in a.events] == kinds
    wait_for(lambda: len(b.events) == len(kinds))
    assert b.events == a.events  # every event, every field, in the order seat A published them
    pending = b.of(ClipChanged)[0]
    assert isinstance(pending, ClipChanged) and pending.status == "pending" and pending.case_id == case.id


@pg
def test_too_many_cameras_reach_the_other_seat_as_all_of_them(seats: tuple[Seat, Seat]) -> None:
    a, b = seats
    a.bus.publish(CamerasChanged(created=tuple(f"imported-camera-{i:05d}" for i in range(1500))))
    wait_for(lambda: bool(b.events))
    assert b.events == [CamerasChanged(updated=("cam01", "cam02"))]  # every camera in the store, to reload


@pg
def test_a_notification_it_cannot_read_is_skipped(seats: tuple[Seat, Seat], pg_url: str) -> None:
    a, b = seats
    engine = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            for junk in ("not json", '{"v": 2, "type": "AlertRaised"}', '{"v": 1, "origin": "x", "type": "Nope"}',
                         '{"v": 1, "origin": "x", "type": "AlertRaised", "alert": "no-such-alert"}',
                         '{"v": 1, "origin": "x", "type": "CaseChanged"}'):
                conn.execute(text("SELECT pg_notify('c4desk_events', :p)"), {"p": junk})
    finally:
        engine.dispose()
    wait_for(lambda: b.bridge.ignored == 5)
    assert b.events == [] and b.bridge.listening
    a.alerts.add_or_update_gunshot(shot())  # and it still listens
    wait_for(lambda: bool(b.of(AlertRaised)))


@pg
def test_the_listener_reconnects_and_resyncs(pg_url: str) -> None:
    a = Seat.open(pg_url)
    b = Seat.open(pg_url, retry_s=0.8)  # a gap long enough for seat A to change things meanwhile
    try:
        a.alerts.add_or_update_gunshot(shot("SST-1"))
        wait_for(lambda: len(b.events) == 1)
        pid = b.bridge.listener_pid
        with a.db.session() as s:
            assert s.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}) is True
        wait_for(lambda: not b.bridge.listening)
        # While seat B is not listening: a new alert and a change to the first. Their notifications are lost.
        a.alerts.add_or_update_gunshot(shot("SST-2"))
        a.alerts.acknowledge("SST-1", actor=ANALYST)
        assert len(b.events) == 1
        wait_for(lambda: b.bridge.reconnects == 1 and b.bridge.resyncs == 1, timeout=3.0)
        assert b.bridge.listener_pid != pid
        resync = b.events[1:]
        assert resync[0] == CamerasChanged(updated=("cam01", "cam02"))
        alerts = {e.alert.id: e.alert for e in resync if isinstance(e, AlertChanged)}
        assert set(alerts) == {"SST-1", "SST-2"} and alerts["SST-1"].status is AlertStatus.ACKNOWLEDGED
        # And it is LISTENing again: the next alert arrives as it happens.
        a.alerts.add_or_update_gunshot(shot("SST-3"))
        wait_for(lambda: isinstance(b.events[-1], AlertRaised))
        last = b.events[-1]
        assert isinstance(last, AlertRaised) and last.alert.id == "SST-3"
    finally:
        a.close()
        b.close()


@pg
def test_stop_is_prompt_and_sends_what_was_published(seats: tuple[Seat, Seat]) -> None:
    a, b = seats
    a.bus.publish(WallPush(camera_ids=("cam01",), pushed_by="ana"))
    started = time.monotonic()
    a.bridge.stop()
    b.bridge.stop()  # idle: its listener waits in notifies() and must notice the stop within a poll
    assert time.monotonic() - started < 1.0
    assert a.bridge.sent == 1 and not b.bridge.listening


@pg
def test_a_stopped_bridge_starts_again(seats: tuple[Seat, Seat]) -> None:
    a, b = seats
    b.bridge.stop()
    a.bridge.stop()
    a.bridge.start()
    b.bridge.start()
    assert b.bridge.listening
    a.bus.publish(WallPush(camera_ids=("cam02",)))
    wait_for(lambda: b.events == [WallPush(camera_ids=("cam02",))])
