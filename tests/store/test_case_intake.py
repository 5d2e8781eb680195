"""A case opened with a session's work (SQLite and PostgreSQL): all of it in one transaction with the usual audit
records, or nothing; the centre's own case numbers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from c4desk.domain.camera import Camera
from c4desk.domain.errors import ValidationError
from c4desk.domain.events import CaseChanged, ClipChanged
from c4desk.domain.permissions import Actor, PermissionDenied, Role
from c4desk.store.bus import EventBus
from c4desk.store.cameras import CameraRepository
from c4desk.store.case_intake import CaseIntake, CaseIntakeService, SearchLog
from c4desk.store.cases import CaseRepository
from c4desk.store.clips import ClipRepository
from c4desk.store.db import Database
from c4desk.store.models import AlertRow, AuditEventRow, CaseRow, ClipRow, HopStepRow, HopTrailRow
from c4desk.store.recordings import RecordingRepository

T0 = datetime(2026, 7, 4, 21, 0, tzinfo=UTC)
ANALYST = Actor("ana", Role.ANALYST, workstation="ws1")
WALL = Actor("wally", Role.WALL_OPERATOR, workstation="wall")


def s(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.fixture
def seeded(db: Database, tmp_path: Path) -> dict[str, int]:
    """A shot alert, a followed trail over two cameras, and two of the analyst's clips (recorded, not in a case)."""
    CameraRepository(db).upsert_many([Camera(id=c, name=c.upper(), lat=41.76, lon=-72.67) for c in ("cam02", "cam05")])
    recordings = RecordingRepository(db, tmp_path)
    for camera in ("cam02", "cam05"):
        segment = recordings.open_segment(camera, s(0), "h264")
        recordings.close_segment(segment.id, s(300), 1000)
    with db.session(write=True) as session:
        session.add(AlertRow(id="SST-9", source="gunshot", type="multiple_gunshots", detected_at=s(30),
                             received_at=s(31), address="High St & Elm St", payload={}))
        trail = HopTrailRow(plate="", label="", started_by="ana")
        session.add(trail)
        session.flush()
        session.add_all([HopStepRow(trail_id=trail.id, seq=1, camera_id="cam02", time_in=s(20)),
                         HopStepRow(trail_id=trail.id, seq=2, camera_id="cam05", time_in=s(80))])
        trail_id = trail.id
    clips = ClipRepository(db)
    first = clips.tag(ANALYST, "cam02", s(10), s(40))
    second = clips.tag(ANALYST, "cam05", s(70), s(100))
    return {"trail": trail_id, "first": first.id, "second": second.id}


def intake(seeded: dict[str, int], **changes: object) -> CaseIntake:
    base = CaseIntake(number="RTCC-2026-0001", case_type="shooting", title="Shots fired, High St & Elm St",
                      links=(("alert", "SST-9"), ("trail", str(seeded["trail"])), ("plate", "6pz-193")),
                      clip_ids=(seeded["first"], seeded["second"]),
                      search=SearchLog(("cam02", "cam05"), (s(10), s(100)), "useful_video", 14), submit_clips=True)
    return CaseIntake(**{**base.__dict__, **changes})  # type: ignore[arg-type]


def test_a_session_becomes_a_case_in_one_go(db: Database, bus: EventBus, seeded: dict[str, int]) -> None:
    seen: list[object] = []
    bus.subscribe(CaseChanged, seen.append)
    bus.subscribe(ClipChanged, seen.append)
    case = CaseIntakeService(db, bus).open_case(ANALYST, intake(seeded))

    cases = CaseRepository(db)
    assert {(link.kind, link.ref) for link in cases.links(case)} == {
        ("alert", "SST-9"), ("trail", str(seeded["trail"])), ("plate", "6PZ193")}
    clips = ClipRepository(db).clips_for_case(case)
    assert [(c.id, c.status) for c in clips] == [(seeded["first"], "pending"), (seeded["second"], "pending")]
    (task,) = cases.tasks(case)
    assert (task.camera_ids, task.outcome, task.minutes_spent, task.status) == (
        ("cam02", "cam05"), "useful_video", 14, "done")
    assert cases.video_component(case) is True
    with db.session() as session:
        assert session.get(HopTrailRow, seeded["trail"]).case_id == case.id  # type: ignore[union-attr]
        actions = [(r.object, r.detail["action"]) for r in session.scalars(
            select(AuditEventRow).where(AuditEventRow.event_type.in_(["case_change", "clip_change"]))
            .order_by(AuditEventRow.id))]
    # The same audit records as filing each item by hand, in the order they happened.
    assert actions[-9:] == [("case:RTCC-2026-0001", "create"), *[("case:RTCC-2026-0001", "link")] * 3,
                            (f"clip:{seeded['first']}", "attached"), (f"clip:{seeded['first']}", "submitted"),
                            (f"clip:{seeded['second']}", "attached"), (f"clip:{seeded['second']}", "submitted"),
                            ("case:RTCC-2026-0001", "task_add")]
    assert isinstance(seen[0], CaseChanged) and seen[0].what == "created"
    assert [e.status for e in seen[1:] if isinstance(e, ClipChanged)] == ["pending", "pending"]


@pytest.mark.parametrize(("change", "field"), [
    ({"links": (("alert", "NOPE"),)}, "links"),
    ({"links": (("gizmo", "1"),)}, "kind"),
    ({"clip_ids": (99_999,)}, "clips"),
    ({"search": SearchLog(("cam02",), None, "found_it", 3)}, "outcome"),
    ({"search": SearchLog((), None, "useful_video", 3)}, "cameras"),
    ({"number": " "}, "number"),
])
def test_one_bad_item_stores_nothing(db: Database, seeded: dict[str, int], change: dict[str, object],
                                     field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        CaseIntakeService(db).open_case(ANALYST, intake(seeded, **change))
    assert field in {e.field for e in caught.value.errors}, caught.value
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(CaseRow)) == 0
        assert {r.case_id for r in session.scalars(select(ClipRow))} == {None}
        assert session.get(HopTrailRow, seeded["trail"]).case_id is None  # type: ignore[union-attr]


def test_a_clip_filed_elsewhere_meanwhile_refuses_the_whole_case(db: Database, seeded: dict[str, int]) -> None:
    other = CaseRepository(db).create(ANALYST, "26-77", "robbery")
    ClipRepository(db).attach(ANALYST, seeded["second"], other)
    with pytest.raises(ValidationError, match=f"clip {seeded['second']} is already in another case"):
        CaseIntakeService(db).open_case(ANALYST, intake(seeded))
    assert CaseRepository(db).get("RTCC-2026-0001") is None
    assert ClipRepository(db).get(seeded["first"]).case_id is None  # type: ignore[union-attr]


def test_roles_and_a_taken_number(db: Database, seeded: dict[str, int]) -> None:
    service = CaseIntakeService(db)
    with pytest.raises(PermissionDenied):
        service.open_case(WALL, intake(seeded))
    CaseRepository(db).create(ANALYST, "RTCC-2026-0001", "other")
    with pytest.raises(ValidationError, match="already exists"):
        service.open_case(ANALYST, intake(seeded))


def test_the_centre_numbers_its_own_cases(db: Database) -> None:
    service, cases = CaseIntakeService(db), CaseRepository(db)
    assert service.suggest_number(2026) == "RTCC-2026-0001"
    cases.create(ANALYST, "RTCC-2026-0001", "other")
    cases.create(ANALYST, "RTCC-2026-0009", "other")
    cases.create(ANALYST, "RTCC-2026-draft", "other")  # typed by hand: not a number, skipped
    cases.create(ANALYST, "26-0412", "other")
    assert service.suggest_number(2026) == "RTCC-2026-0010"
    assert service.suggest_number(2027) == "RTCC-2027-0001"
