"""The solvability study over a constructed case set, on SQLite and PostgreSQL: the video rule, clearance,
exclusions, the period and type filters, the exact JSON, and the permission check."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from c4desk.domain.permissions import Actor, PermissionDenied, Role
from c4desk.domain.statistics import fisher_exact_p, wilson_interval
from c4desk.store.db import Database
from c4desk.store.models import AuditEventRow, CameraRow, CaseRow, ClipRow, VideoSearchTaskRow
from c4desk.store.reports import ReportRepository
from c4desk.store.solvability import SolvabilityReport

T0 = datetime(2025, 1, 1, tzinfo=UTC)
ANALYST = Actor("ana", Role.ANALYST, "ws1")


def day(n: int) -> datetime:
    return T0 + timedelta(days=n)


def add_case(db: Database, number: str, *, case_type: str = "shooting", opened: int = 10, status: str = "open",
             cleared: int | None = None, video: bool | None = None, excluded: str = "",
             tasks: tuple[str, ...] = (), clips: tuple[str, ...] = ()) -> None:
    with db.session(write=True) as s:
        row = CaseRow(number=number, title=number, case_type=case_type, opened_at=day(opened), status=status,
                      cleared_at=day(cleared) if cleared is not None else None, video_component=video,
                      excluded_reason=excluded, created_by="test")
        s.add(row)
        s.flush()
        for outcome in tasks:
            s.add(VideoSearchTaskRow(case_id=row.id, requested_by="test", status="done" if outcome else "open",
                                     outcome=outcome))
        for status_ in clips:
            s.add(ClipRow(case_id=row.id, camera_id="cam1", start_at=day(opened), end_at=day(opened) + timedelta(
                seconds=30), status=status_, created_by="test"))


@pytest.fixture
def study(db: Database) -> Database:
    with db.session(write=True) as s:
        s.add(CameraRow(id="cam1", name="Main & Pearl", lat=41.76, lon=-72.67))
    # With video (4 counted, 3 cleared):
    add_case(db, "C-01", video=True, status="cleared", cleared=20)  # RMS says yes
    add_case(db, "C-02", tasks=("nothing_relevant", "useful_video"), status="closed", cleared=30)  # cleared, closed
    add_case(db, "C-03", clips=("pending",), status="cleared")  # cleared by status alone
    add_case(db, "C-04", case_type="Robbery", clips=("rejected", "approved"))  # one live clip is enough
    # Without video (3 counted, 1 cleared):
    add_case(db, "C-05", video=False, tasks=("useful_video",), status="cleared", cleared=15)  # stated no wins
    add_case(db, "C-06", clips=("rejected",), tasks=("camera_offline", ""))  # rejected clip, no useful search
    add_case(db, "C-07", status="closed")  # closed without clearing
    # Left out and listed:
    add_case(db, "C-08", video=True, status="cleared", cleared=12, excluded="victim declined to cooperate")
    # Outside the filters:
    add_case(db, "C-09", opened=400, video=True, status="cleared", cleared=401)  # opened after the period
    add_case(db, "C-10", case_type="burglary", video=True, status="cleared", cleared=11)
    return db


def test_report_json_for_a_constructed_case_set(study: Database) -> None:
    result = SolvabilityReport(study).run(ANALYST, since=T0, until=day(365), types=["shooting", " ROBBERY", ""])
    out: dict[str, Any] = result.as_json()
    assert out == {
        "with_video": {"cases": 4, "cleared": 3, "rate": 0.75, "ci95": list(wilson_interval(3, 4) or ())},
        "without_video": {"cases": 3, "cleared": 1, "rate": pytest.approx(1 / 3),
                          "ci95": list(wilson_interval(1, 3) or ())},
        "relative_increase": pytest.approx(0.75 / (1 / 3) - 1),
        "fisher_p": pytest.approx(fisher_exact_p(3, 1, 1, 2)),
        "excluded": [{"number": "C-08", "type": "shooting", "reason": "victim declined to cooperate"}],
    }


def test_filters(study: Database) -> None:
    report = SolvabilityReport(study)
    everything = report.case_records()
    # Oldest first (C-09 opened last), then by number.
    assert [c.number for c in everything] == [*(f"C-{i:02d}" for i in range(1, 9)), "C-10", "C-09"]
    assert {c.number for c in report.case_records(types=["burglary"])} == {"C-10"}
    assert {c.number for c in report.case_records(since=day(300))} == {"C-09"}
    assert report.case_records(until=day(10)) == []  # until is exclusive; every case but C-09 opened on day 10
    with pytest.raises(ValueError):
        report.case_records(since=datetime(2025, 1, 1))


def test_reading_needs_view_reports_and_a_refusal_is_audited(study: Database) -> None:
    wall = Actor("wally", Role.WALL_OPERATOR, "wall-1")
    with pytest.raises(PermissionDenied):
        ReportRepository(study).solvability(wall)
    with study.session() as s:
        row = s.scalars(select(AuditEventRow).order_by(AuditEventRow.id.desc())).first()
    assert row is not None
    assert (row.username, row.event_type, row.object, row.outcome) == ("wally", "permission_denied",
                                                                      "report:solvability", "failure")
    assert ReportRepository(study).solvability(ANALYST, types=["shooting"]).with_video.cases == 4  # C-09 too
