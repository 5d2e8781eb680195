"""Cases on SQLite and PostgreSQL: create, status, links, video search tasks, notes, video component, timeline;
every change permission-checked and audited in its own transaction, announced after commit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from c4desk.domain.audit import AuditType
from c4desk.domain.camera import Camera
from c4desk.domain.errors import ValidationError
from c4desk.domain.events import CaseChanged
from c4desk.domain.permissions import Actor, PermissionDenied, Role
from c4desk.store.bus import EventBus
from c4desk.store.cameras import CameraRepository
from c4desk.store.cases import CaseFilter, CaseNotFound, CaseRepository
from c4desk.store.clips import ClipRepository
from c4desk.store.db import Database
from c4desk.store.models import (
    AlertRow,
    AuditEventRow,
    CaseRow,
    ClipRow,
    HopStepRow,
    HopTrailRow,
    PlateReadRow,
    SnapshotRow,
)
from c4desk.store.recordings import RecordingRepository

T0 = datetime(2026, 7, 4, 21, 0, tzinfo=UTC)
ANALYST = Actor("ana", Role.ANALYST, workstation="ws1")
SUPERVISOR = Actor("sam", Role.SUPERVISOR, workstation="ws2")
WALL = Actor("wally", Role.WALL_OPERATOR, workstation="wall")


def s(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.fixture
def cases(db: Database, bus: EventBus) -> CaseRepository:
    return CaseRepository(db, bus)


@pytest.fixture
def events(bus: EventBus) -> list[CaseChanged]:
    seen: list[CaseChanged] = []
    bus.subscribe(CaseChanged, seen.append)
    return seen


def audit_rows(db: Database, obj: str) -> list[AuditEventRow]:
    with db.session() as session:
        return list(session.scalars(select(AuditEventRow).where(AuditEventRow.object == obj)
                                    .order_by(AuditEventRow.id)))


def test_create_get_list_and_a_duplicate_number(cases: CaseRepository, db: Database,
                                                events: list[CaseChanged]) -> None:
    case = cases.create(ANALYST, " 26-0412 ", "Shooting", title="Shots fired, Main & Asylum", lead="Det. Ruiz",
                        opened_at=s(0))
    assert (case.number, case.case_type, case.status, case.opened_at) == ("26-0412", "shooting", "open", s(0))
    assert cases.get("26-0412") == case == cases.get_by_id(case.id) == cases.find("26-0412") == cases.find(case.id)
    assert events == [CaseChanged(case_id=case.id, what="created")]
    [record] = audit_rows(db, "case:26-0412")
    assert (record.event_type, record.username, record.workstation) == ("case_change", "ana", "ws1")
    assert record.detail["action"] == "create" and record.detail["lead_investigator"] == "Det. Ruiz"

    with pytest.raises(ValidationError, match="number: case 26-0412 already exists"):
        cases.create(ANALYST, "26-0412", "robbery")
    with pytest.raises(ValidationError) as caught:
        cases.create(ANALYST, "", "", opened_at=datetime(2026, 7, 4))
    assert {e.field for e in caught.value.errors} == {"number", "case_type", "opened_at"}
    with pytest.raises(CaseNotFound, match="no case 99"):
        cases.find("99")

    cases.create(ANALYST, "26-0413", "robbery", title="Corner store", opened_at=s(60))
    assert [c.number for c in cases.list()] == ["26-0413", "26-0412"]
    assert [c.number for c in cases.list(CaseFilter(case_type="Shooting"))] == ["26-0412"]
    assert [c.number for c in cases.list(CaseFilter(text="corner"))] == ["26-0413"]
    assert [c.number for c in cases.list(CaseFilter(lead="det. ruiz"))] == ["26-0412"]
    assert [c.number for c in cases.list(CaseFilter(opened_from=s(30)))] == ["26-0413"]
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(CaseRow)) == 2


def test_a_wall_operator_may_not_change_cases_and_the_refusal_is_audited(cases: CaseRepository,
                                                                         db: Database) -> None:
    with pytest.raises(PermissionDenied):
        cases.create(WALL, "26-1", "robbery")
    assert cases.get("26-1") is None
    [denied] = audit_rows(db, "case:26-1")
    assert (denied.event_type, denied.outcome, denied.username) == ("permission_denied", "failure", "wally")
    case = cases.create(SUPERVISOR, "26-1", "robbery")
    for attempt in (lambda: cases.set_status(WALL, case, "closed"), lambda: cases.link(WALL, case, "plate", "X1"),
                    lambda: cases.add_task(WALL, case, ["cam01"]), lambda: cases.add_note(WALL, case, "hi"),
                    lambda: cases.update(WALL, case, title="x")):
        with pytest.raises(PermissionDenied):
            attempt()
    assert cases.find(case.id) == case


def test_status_sets_and_clears_the_dates(cases: CaseRepository, db: Database) -> None:
    case = cases.create(ANALYST, "26-2", "homicide")
    cleared = cases.set_status(ANALYST, case, "cleared", at=s(3600))
    assert (cleared.status, cleared.cleared_at, cleared.closed_at) == ("cleared", s(3600), None)
    closed = cases.set_status(ANALYST, "26-2", "closed", at=s(7200))
    assert (closed.cleared_at, closed.closed_at) == (s(3600), s(7200))
    reopened = cases.set_status(ANALYST, case.id, "open")
    assert (reopened.status, reopened.cleared_at, reopened.closed_at) == ("open", None, None)
    with pytest.raises(ValidationError, match="status"):
        cases.set_status(ANALYST, case, "solved")
    unchanged = cases.set_status(ANALYST, case, "open")  # no change, nothing recorded
    assert unchanged.status == "open"
    actions = [r.detail["action"] for r in audit_rows(db, "case:26-2")]
    assert actions == ["create", "status", "status", "status"]
    assert audit_rows(db, "case:26-2")[1].detail["changes"]["status"] == ["open", "cleared"]
    updated = cases.update(ANALYST, case, title="Homicide, Park St", lead="Det. Ng")
    assert (updated.title, updated.lead_investigator) == ("Homicide, Park St", "Det. Ng")


def _seed_linkables(db: Database, tmp_path: Path) -> dict[str, str]:
    CameraRepository(db).upsert_many([Camera(id="lpr-1", name="Asylum & Main", lat=41.766, lon=-72.675)])
    with db.session(write=True) as session:
        session.add(AlertRow(id="SST-1", source="gunshot", type="multiple_gunshots", detected_at=s(-60),
                             received_at=s(-59), address="Main St & Asylum St", payload={}))
        read = PlateReadRow(camera_id="lpr-1", plate_raw="7KX-193", plate_norm="7KX193", read_at=s(120))
        snap = SnapshotRow(camera_id="lpr-1", camera_name="Asylum & Main", taken_at=s(30), taken_by="ana",
                           path=str(tmp_path / "x.png"), sha256="0" * 64, size_bytes=1, width=1, height=1)
        trail = HopTrailRow(plate="7KX193", label="Getaway car", started_by="ana")
        session.add_all([read, snap, trail])
        session.flush()
        session.add(HopStepRow(trail_id=trail.id, seq=1, camera_id="lpr-1", time_in=s(90)))
        ids = {"read": str(read.id), "snapshot": str(snap.id), "trail": str(trail.id)}
    mark = RecordingRepository(db, tmp_path).add_bookmark(ANALYST, "lpr-1", s(45), label="car turns")
    ids["bookmark"] = str(mark.id)
    return ids


def test_links_resolve_their_items_and_attach_stills_bookmarks_and_trails(cases: CaseRepository, db: Database,
                                                                         tmp_path: Path,
                                                                         events: list[CaseChanged]) -> None:
    ids = _seed_linkables(db, tmp_path)
    case = cases.create(ANALYST, "26-3", "shooting", opened_at=s(-30))
    alert = cases.link(ANALYST, case, "alert", "SST-1")
    assert (alert.at, alert.label, alert.linked_by) == (s(-60), "multiple gunshots Main St & Asylum St", "ana")
    plate = cases.link(ANALYST, case, "plate", "7kx-193")
    assert (plate.ref, plate.at) == ("7KX193", None)
    read = cases.link(ANALYST, case, "plate_read", ids["read"])
    assert (read.at, read.label) == (s(120), "7KX-193 on lpr-1")
    trail = cases.link(ANALYST, case, "trail", int(ids["trail"]))
    assert (trail.at, trail.label) == (s(90), "Getaway car")
    snap = cases.link(ANALYST, case, "snapshot", ids["snapshot"], label="the car")
    assert (snap.at, snap.label) == (s(30), "the car")
    cases.link(ANALYST, case, "bookmark", ids["bookmark"], at=s(46))
    with db.session() as session:
        assert session.get(SnapshotRow, int(ids["snapshot"])).case_id == case.id  # type: ignore[union-attr]
        assert session.get(HopTrailRow, int(ids["trail"])).case_id == case.id  # type: ignore[union-attr]

    again = cases.link(ANALYST, case, "alert", "SST-1")  # already linked: the same link, nothing recorded
    assert again == alert
    assert len([r for r in audit_rows(db, "case:26-3") if r.detail["action"] == "link"]) == 6
    for kind, ref in (("alert", "NOPE"), ("plate_read", "999"), ("snapshot", "abc"), ("gizmo", "1")):
        with pytest.raises(ValidationError):
            cases.link(ANALYST, case, kind, ref)
    assert len(cases.links(case)) == 6

    assert cases.unlink(ANALYST, case, "snapshot", ids["snapshot"])
    assert not cases.unlink(ANALYST, case, "snapshot", ids["snapshot"])
    with db.session() as session:
        assert session.get(SnapshotRow, int(ids["snapshot"])).case_id is None  # type: ignore[union-attr]
    assert [e.what for e in events].count("link") == 6 and events[-1].what == "unlink"


def test_video_search_tasks_and_the_video_component_rule(cases: CaseRepository, db: Database, bus: EventBus,
                                                         tmp_path: Path) -> None:
    case = cases.create(ANALYST, "26-4", "robbery")
    assert cases.video_component(case) is False
    task = cases.add_task(ANALYST, case, ["cam01", " cam02", "cam01"], (s(0), s(600)), "north side",
                          requested_by="Det. Ruiz")
    assert (task.camera_ids, task.status, task.outcome, task.requested_by) == (("cam01", "cam02"), "open", "",
                                                                               "Det. Ruiz")
    done = cases.complete_task(ANALYST, task.id, "nothing_relevant", 25)
    assert (done.status, done.outcome, done.minutes_spent) == ("done", "nothing_relevant", 25)
    assert cases.video_component(case) is False
    with pytest.raises(ValidationError) as caught:
        cases.complete_task(ANALYST, task.id, "found_it", -1)
    assert {e.field for e in caught.value.errors} == {"outcome", "minutes_spent"}
    with pytest.raises(ValidationError, match="cameras"):
        cases.add_task(ANALYST, case, [])
    with pytest.raises(ValidationError, match="window_end"):
        cases.add_task(ANALYST, case, ["cam01"], (s(10), s(0)))

    # A finished search is logged with its outcome at once; a bad outcome refuses the whole search.
    before = len(cases.tasks(case))
    with pytest.raises(ValidationError) as caught:
        cases.add_task(ANALYST, case, ["cam03"], outcome="found_it", minutes_spent=5)
    assert {e.field for e in caught.value.errors} == {"outcome"} and len(cases.tasks(case)) == before
    finished = cases.add_task(ANALYST, case, ["cam04"], outcome="nothing_relevant", minutes_spent=12)
    assert (finished.status, finished.outcome, finished.minutes_spent) == ("done", "nothing_relevant", 12)
    assert finished.completed_at is not None

    second = cases.add_task(ANALYST, case, ["cam03"])
    cases.complete_task(ANALYST, second.id, "useful_video", 40)
    assert cases.video_component(case) is True
    assert [t.id for t in cases.tasks(case)] == [task.id, finished.id, second.id]

    # A clip that is not rejected also counts; a rejected one does not; an RMS-stated value wins over both.
    other = cases.create(ANALYST, "26-5", "robbery")
    CameraRepository(db).upsert_many([Camera(id="cam01", name="Main", lat=41.0, lon=-72.0)])
    rec = RecordingRepository(db, tmp_path)
    seg = rec.open_segment("cam01", s(0), "h264")
    rec.close_segment(seg.id, s(60), 100)
    clip = ClipRepository(db, bus).tag(ANALYST, "cam01", s(10), s(20), case=other)
    assert cases.video_components([case.id, other.id]) == {case.id: True, other.id: True}
    with db.session(write=True) as session:
        session.execute(update(ClipRow).where(ClipRow.id == clip.id).values(status="rejected"))
        session.execute(update(CaseRow).where(CaseRow.id == case.id).values(video_component=False))
    assert cases.video_components([case.id, other.id]) == {case.id: False, other.id: False}


def test_notes_and_the_timeline_in_time_order(cases: CaseRepository, db: Database, bus: EventBus,
                                              tmp_path: Path) -> None:
    ids = _seed_linkables(db, tmp_path)
    case = cases.create(ANALYST, "26-6", "shooting", opened_at=s(-30))
    cases.link(ANALYST, case, "alert", "SST-1")
    cases.link(ANALYST, case, "plate_read", ids["read"])
    cases.link(ANALYST, case, "plate", "ABC123")  # time unknown: placed at when it was linked
    note = cases.add_note(ANALYST, case, "Owner lives two streets away.\nSecond line.")
    assert cases.notes(case) == [note]
    with pytest.raises(ValidationError, match="body"):
        cases.add_note(ANALYST, case, "   ")
    task = cases.add_task(ANALYST, case, ["lpr-1"], (s(60), s(180)))
    rec = RecordingRepository(db, tmp_path)
    seg = rec.open_segment("lpr-1", s(0), "h264")
    rec.close_segment(seg.id, s(300), 100)
    clip = ClipRepository(db, bus).tag(ANALYST, "lpr-1", s(100), s(130), ["vehicle"], case=case)
    cases.set_status(ANALYST, case, "cleared", at=s(400))

    timeline = cases.timeline(case)
    kinds = [(item.kind, item.ref) for item in timeline if item.at < s(1000)]
    assert kinds == [("alert", "SST-1"), ("status", "opened"), ("video_search", str(task.id)),
                     ("clip", str(clip.id)), ("plate_read", ids["read"]), ("status", "cleared")]
    assert [item.at for item in timeline] == sorted(item.at for item in timeline)
    late = {item.kind: item for item in timeline if item.at >= s(1000)}  # linked "now": plate and note
    assert late["plate"].title == "ABC123" and late["note"].title == "Owner lives two streets away."
    clip_item = next(item for item in timeline if item.kind == "clip")
    assert (clip_item.end, clip_item.detail["tags"], clip_item.by) == (s(130), ["vehicle"], "ana")
    assert clip_item.as_dict()["at"] == s(100)


def test_every_change_is_audited_in_the_chain(cases: CaseRepository, db: Database) -> None:
    case = cases.create(ANALYST, "26-7", "burglary")
    cases.add_note(ANALYST, case, "x")
    task = cases.add_task(ANALYST, case, ["cam01"])
    cases.complete_task(SUPERVISOR, task.id, "camera_offline", 5)
    records = audit_rows(db, "case:26-7")
    assert [r.detail["action"] for r in records] == ["create", "note", "task_add", "task_complete"]
    assert records[-1].username == "sam" and records[-1].event_type == AuditType.CASE_CHANGE
    assert [r.id for r in records] == sorted(r.id for r in records)
