"""Hop trails on SQLite and PostgreSQL: start, hop (closing the step before), finish, attach to a case (and move
between cases); every change permission-checked and audited in its own transaction, announced after commit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from c4desk.demo import city
from c4desk.domain.audit import AuditType
from c4desk.domain.errors import ValidationError
from c4desk.domain.events import CaseChanged, Event, TrailChanged
from c4desk.domain.hop_trail import TrailStep, trail_csv
from c4desk.domain.permissions import Actor, PermissionDenied, Role
from c4desk.store.audit_log import AuditLog
from c4desk.store.bus import EventBus
from c4desk.store.cameras import CameraRepository
from c4desk.store.cases import CaseRepository
from c4desk.store.db import Database
from c4desk.store.models import AuditEventRow, CaseLinkRow, HopStepRow
from c4desk.store.trails import TrailRepository

T0 = datetime(2026, 7, 4, 21, 0, tzinfo=UTC)
ANALYST = Actor("ana", Role.ANALYST, workstation="ws1")
WALL = Actor("wally", Role.WALL_OPERATOR, workstation="wall")


def s(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.fixture
def trails(db: Database, bus: EventBus) -> TrailRepository:
    CameraRepository(db).upsert_many(city.demo_cameras())
    return TrailRepository(db, bus)


@pytest.fixture
def events(bus: EventBus) -> list[Event]:
    seen: list[Event] = []
    bus.subscribe(TrailChanged, seen.append)
    bus.subscribe(CaseChanged, seen.append)
    return seen


def audit(db: Database, obj: str) -> list[AuditEventRow]:
    with db.session() as session:
        return list(session.scalars(select(AuditEventRow).where(AuditEventRow.object == obj)
                                    .order_by(AuditEventRow.id)))


def test_follow_a_vehicle_across_three_hops(trails: TrailRepository, db: Database, events: list[Event]) -> None:
    trail_id = trails.start(ANALYST, plate="6pz-193", label="getaway")
    assert trails.hop(ANALYST, trail_id, "cam01", s(17)) == TrailStep(1, "cam01", s(17), None)
    trails.hop(ANALYST, trail_id, "cam02", s(31))
    trails.hop(ANALYST, trail_id, "ptz01", s(50))
    trails.hop(ANALYST, trail_id, "cam03", s(54))
    finished = trails.finish(ANALYST, trail_id, s(59))

    got = trails.get(trail_id)
    assert got == finished and got is not None
    assert (got.plate, got.label, got.started_by, got.case_id) == ("6PZ193", "getaway", "ana", None)
    assert [(st.seq, st.camera_id, st.time_in, st.time_out) for st in got.steps] == [
        (1, "cam01", s(17), s(31)), (2, "cam02", s(31), s(50)), (3, "ptz01", s(50), s(54)),
        (4, "cam03", s(54), s(59))]
    assert not got.is_open
    assert [(type(e).__name__, getattr(e, "what", "")) for e in events] == [
        ("TrailChanged", "started"), *[("TrailChanged", "hop")] * 4, ("TrailChanged", "finished")]
    records = audit(db, f"trail:{trail_id}")
    assert [r.detail["action"] for r in records] == ["trail_start", *["trail_hop"] * 4, "trail_finish"]
    assert all(r.event_type == AuditType.CASE_CHANGE.value and r.username == "ana" for r in records)
    assert records[2].detail == {"action": "trail_hop", "seq": 2, "camera_id": "cam02", "time_in": s(31).isoformat()}
    assert AuditLog(db).verify() == []
    assert "cam03" in trail_csv(got, {c.id: c for c in city.demo_cameras()})


def test_attach_links_the_case_and_moves_between_cases(trails: TrailRepository, db: Database, bus: EventBus,
                                                         events: list[Event]) -> None:
    cases = CaseRepository(db, bus)
    first = cases.create(ANALYST, "26-0704-001", "shooting")
    second = cases.create(ANALYST, "26-0704-002", "robbery")
    trail_id = trails.start(ANALYST, case_id=first.id, plate="6PZ193")
    trails.hop(ANALYST, trail_id, "cam01", s(17))
    assert [t.id for t in trails.for_case(first.id)] == [trail_id]
    link = cases.links(first)[0]
    assert (link.kind, link.ref, link.label, link.at) == ("trail", str(trail_id), "Trail 6PZ193", s(17))

    events.clear()
    moved = trails.attach(ANALYST, trail_id, second.id)
    assert moved.case_id == second.id
    assert trails.for_case(first.id) == [] and [t.id for t in trails.for_case(second.id)] == [trail_id]
    assert cases.links(first) == [] and [k.ref for k in cases.links(second)] == [str(trail_id)]
    assert [(type(e).__name__, getattr(e, "case_id", None)) for e in events] == [
        ("TrailChanged", second.id), ("CaseChanged", first.id), ("CaseChanged", second.id)]
    record = audit(db, "case:26-0704-002")[-1]
    assert record.detail["moved_from"] == "26-0704-001" and record.detail["kind"] == "trail"
    # Attaching again changes nothing, and linking through the case repository finds the link already there.
    events.clear()
    trails.attach(ANALYST, trail_id, second.id)
    assert events == []
    assert cases.link(ANALYST, second, "trail", trail_id).ref == str(trail_id)
    with db.session() as session:
        assert len(list(session.scalars(select(CaseLinkRow).where(CaseLinkRow.kind == "trail")))) == 1


def test_hops_are_checked(trails: TrailRepository, db: Database) -> None:
    trail_id = trails.start(ANALYST)
    with pytest.raises(ValidationError, match="trail_id"):
        trails.finish(ANALYST, trail_id, s(1))
    trails.hop(ANALYST, trail_id, "cam01", s(10))
    bad = [
        (lambda: trails.hop(ANALYST, trail_id, "cam01", s(20)), "camera_id"),  # already on it
        (lambda: trails.hop(ANALYST, trail_id, "nope", s(20)), "camera_id"),
        (lambda: trails.hop(ANALYST, trail_id, "cam02", s(5)), "time_in"),  # before the step it leaves
        (lambda: trails.hop(ANALYST, trail_id, "cam02", datetime(2026, 7, 4, 21, 0)), "time_in"),
        (lambda: trails.hop(ANALYST, 999_999, "cam02", s(20)), "trail_id"),
        (lambda: trails.finish(ANALYST, trail_id, s(9)), "time_out"),
        (lambda: trails.attach(ANALYST, trail_id, 999_999), "case_id"),
        (lambda: trails.start(ANALYST, plate="X" * 40, label="a\x00b"), "plate"),
    ]
    for call, field in bad:
        with pytest.raises(ValidationError) as info:
            call()
        assert info.value.errors[0].field == field
    with pytest.raises(ValidationError, match="case_id"):
        trails.start(ANALYST, case_id=999_999)
    got = trails.get(trail_id)
    assert got is not None and [(st.camera_id, st.time_out) for st in got.steps] == [("cam01", None)]
    assert len(trails.recent()) == 1  # the refused start stored nothing
    # A finished trail can be resumed: the analyst picks the car up again later.
    trails.finish(ANALYST, trail_id, s(30))
    trails.hop(ANALYST, trail_id, "cam01", s(40))
    got = trails.get(trail_id)
    assert got is not None and [(st.seq, st.time_out) for st in got.steps] == [(1, s(30)), (2, None)]


def test_wall_operators_may_not_make_trails(trails: TrailRepository, db: Database) -> None:
    trail_id = trails.start(ANALYST)
    with pytest.raises(PermissionDenied):
        trails.start(WALL)
    with pytest.raises(PermissionDenied):
        trails.hop(WALL, trail_id, "cam01", s(1))
    denied = [r for r in audit(db, f"trail:{trail_id}") if r.event_type == AuditType.PERMISSION_DENIED.value]
    assert [(r.username, r.outcome, r.detail["action"]) for r in denied] == [("wally", "failure", "tag_clips")]
    with db.session() as session:
        assert list(session.scalars(select(HopStepRow))) == []
    assert trails.get(trail_id) is not None and trails.get(424242) is None


def test_recent_lists_newest_first(trails: TrailRepository) -> None:
    ids = [trails.start(ANALYST, label=f"t{i}") for i in range(3)]
    trails.hop(ANALYST, ids[0], "cam05", s(1))
    recent = trails.recent(limit=2)
    assert [t.id for t in recent] == [ids[2], ids[1]]
    assert [t.camera_ids for t in trails.recent()] == [(), (), ("cam05",)]
    with pytest.raises(ValidationError, match="limit"):
        trails.recent(limit=0)
