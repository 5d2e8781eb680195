"""Dashboard series on constructed rows, on SQLite and PostgreSQL: local days across midnight and DST, zero-filled
hours and months, the audit-based time to first view, cameras offline per hour and day, and the CSV table."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from c4desk.domain.audit import AuditType
from c4desk.domain.permissions import Actor, PermissionDenied, Role
from c4desk.store.audit import append_audit
from c4desk.store.db import Database
from c4desk.store.models import (
    AlertRow,
    CameraRow,
    CaseRow,
    PlateReadRow,
    RecordingGapRow,
    VideoSearchTaskRow,
    utcnow,
)
from c4desk.store.reports import ReportRepository, Step, table

NY = ZoneInfo("America/New_York")
BOSS = Actor("sue", Role.SUPERVISOR, "ws2")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def alert(id_: str, detected: datetime, *, type_: str = "multiple_gunshots", source: str = "gunshot",
          received: datetime | None = None) -> AlertRow:
    return AlertRow(id=id_, source=source, type=type_, priority=1, status="new", detected_at=detected,
                    received_at=received or detected + timedelta(seconds=20))


@pytest.fixture
def reports(db: Database) -> ReportRepository:
    return ReportRepository(db)


def test_alerts_per_day_in_local_days(db: Database, reports: ReportRepository) -> None:
    with db.session(write=True) as s:
        s.add_all([
            alert("a1", utc(2026, 3, 7, 4, 30)),  # 23:30 on 6 March in New York (EST, -5)
            alert("a2", utc(2026, 3, 7, 5, 30)),  # 00:30 on 7 March
            alert("a3", utc(2026, 3, 8, 6, 30), type_="single_gunshot"),  # 8 March, after the DST change (-4)
            alert("a4", utc(2026, 3, 9, 3, 59), type_="single_gunshot"),  # 23:59 on 8 March (EDT)
            alert("h1", utc(2026, 3, 7, 12), type_="hotlist_hit", source="hotlist"),
            alert("out", utc(2026, 3, 20)),  # after the period
        ])
    since = datetime(2026, 3, 6, tzinfo=NY)
    until = datetime(2026, 3, 9, tzinfo=NY)
    days = reports.alerts_per_day(BOSS, since, until, tz=NY)
    assert [d.day for d in days] == [date(2026, 3, 6), date(2026, 3, 7), date(2026, 3, 8)]
    assert [d.counts for d in days] == [
        {"hotlist_hit": 0, "multiple_gunshots": 1, "single_gunshot": 0},
        {"hotlist_hit": 1, "multiple_gunshots": 1, "single_gunshot": 0},
        {"hotlist_hit": 0, "multiple_gunshots": 0, "single_gunshot": 2},
    ]
    assert [d.total for d in days] == [1, 2, 2]
    # The same rows by UTC day.
    utc_days = reports.alerts_per_day(BOSS, utc(2026, 3, 7), utc(2026, 3, 9))
    assert [d.total for d in utc_days] == [3, 1]
    header, rows = table(days)
    assert header == ["day", "hotlist_hit", "multiple_gunshots", "single_gunshot"]
    assert rows[1] == ["2026-03-07", "1", "1", "0"]


def test_lpr_per_hour_zero_filled(db: Database, reports: ReportRepository) -> None:
    with db.session(write=True) as s:
        s.add(CameraRow(id="lpr1", name="LPR", lat=41.7, lon=-72.6, kind="lpr"))
        s.flush()
        for minute in (0, 10, 59):
            s.add(PlateReadRow(camera_id="lpr1", plate_raw="AB123", plate_norm="AB123", read_at=utc(2026, 5, 1, 10,
                                                                                                    minute)))
        s.add(PlateReadRow(camera_id="lpr1", plate_raw="ZZ9", plate_norm="ZZ9", read_at=utc(2026, 5, 1, 12, 30)))
        s.add(alert("hotlist-1", utc(2026, 5, 1, 10, 10), type_="hotlist_hit", source="hotlist"))
        s.add(alert("hotlist-2", utc(2026, 5, 1, 12, 30), type_="possible_hotlist_hit", source="hotlist"))
        s.add(alert("g1", utc(2026, 5, 1, 12, 31)))  # a gunshot is not a hit
    hours = reports.lpr_per_hour(BOSS, utc(2026, 5, 1, 9, 30), utc(2026, 5, 1, 13))
    assert [(h.hour.hour, h.reads, h.hits, h.possible_hits) for h in hours] == [
        (9, 0, 0, 0), (10, 3, 1, 0), (11, 0, 0, 0), (12, 1, 0, 1)]
    assert hours[0].hour == utc(2026, 5, 1, 9)


def test_video_searches_per_month(db: Database, reports: ReportRepository) -> None:
    with db.session(write=True) as s:
        case = CaseRow(number="C1", title="t", created_by="t", opened_at=utc(2026, 1, 1))
        s.add(case)
        s.flush()
        tasks = [(utc(2026, 1, 5), "done", "useful_video", 40), (utc(2026, 1, 31, 23), "done", "nothing_relevant", 25),
                 (utc(2026, 2, 1, 3), "done", "camera_offline", 10),  # still 31 January in New York
                 (utc(2026, 3, 2), "open", "", None), (utc(2026, 3, 3), "done", "useful_video", 15)]
        for at, status, outcome, minutes in tasks:
            s.add(VideoSearchTaskRow(case_id=case.id, requested_by="t", requested_at=at, status=status,
                                     outcome=outcome, minutes_spent=minutes))
    months = reports.video_searches_per_month(BOSS, datetime(2026, 1, 1, tzinfo=NY), datetime(2026, 4, 1, tzinfo=NY),
                                              tz=NY)
    assert [(m.month, m.tasks, m.done, m.open, m.minutes, m.useful_video, m.nothing_relevant, m.camera_offline)
            for m in months] == [
        (date(2026, 1, 1), 3, 3, 0, 75, 1, 1, 1),
        (date(2026, 2, 1), 0, 0, 0, 0, 0, 0, 0),
        (date(2026, 3, 1), 2, 1, 1, 15, 1, 0, 0),
    ]
    header, rows = table(months)
    assert header[:3] == ["month", "tasks", "done"] and rows[0][:3] == ["2026-01-01", "3", "3"]


def test_time_from_alert_to_first_view_comes_from_the_audit_trail(db: Database, reports: ReportRepository) -> None:
    now = utcnow()
    with db.session(write=True) as s:
        s.add(alert("A1", now - timedelta(minutes=5), received=now - timedelta(seconds=90)))
        s.add(alert("A2", now - timedelta(minutes=4), received=now - timedelta(seconds=60)))
        s.add(alert("A3", now - timedelta(minutes=3), received=now - timedelta(seconds=30)))
    with db.session(write=True) as s:
        append_audit(s, username="ana", workstation="ws1", event_type=AuditType.VIEW_LIVE.value, object="cam3",
                     detail={"alert_id": "A1", "camera_id": "cam3"})
        append_audit(s, username="ana", workstation="ws1", event_type=AuditType.VIEW_RECORDED.value, object="cam4",
                     detail={"alert_id": "A1", "camera_id": "cam4"})  # later: not the first
        append_audit(s, username="bob", workstation="ws2", event_type=AuditType.VIEW_RECORDED.value, object="cam7",
                     detail={"alert_id": "A2"})  # the camera from the object
        append_audit(s, username="bob", workstation="ws2", event_type=AuditType.VIEW_LIVE.value, object="cam9",
                     detail={})  # a view not opened from an alert
        append_audit(s, username="bob", workstation="ws2", event_type=AuditType.EXPORT.value, object="x",
                     detail={"alert_id": "A3"})  # not a view
    result = reports.alert_first_view(BOSS, now - timedelta(hours=1), now + timedelta(hours=1))
    by_id = {a.alert_id: a for a in result.alerts}
    assert list(by_id) == ["A1", "A2", "A3"]
    assert by_id["A1"].camera_id == "cam3" and by_id["A2"].camera_id == "cam7"
    first, second = by_id["A1"].seconds, by_id["A2"].seconds
    assert first == pytest.approx(90, abs=30) and second == pytest.approx(60, abs=30)
    assert by_id["A3"].seconds is None and by_id["A3"].first_view_at is None
    assert (result.viewed, result.not_viewed) == (2, 1)
    assert first is not None and second is not None
    assert result.median_seconds == pytest.approx((first + second) / 2)


def test_cameras_offline_per_hour_and_day(db: Database, reports: ReportRepository) -> None:
    with db.session(write=True) as s:
        s.add(RecordingGapRow(camera_id="cam1", start_at=utc(2026, 6, 1, 10, 30), end_at=utc(2026, 6, 1, 12, 15),
                              reason="network"))
        s.add(RecordingGapRow(camera_id="cam2", start_at=utc(2026, 6, 1, 11, 50), end_at=None, reason="still down"))
        s.add(RecordingGapRow(camera_id="cam3", start_at=utc(2026, 5, 1), end_at=utc(2026, 5, 2), reason="old"))
    hours = reports.cameras_offline(BOSS, utc(2026, 6, 1, 9), utc(2026, 6, 1, 13))
    assert [(h.start.hour, h.cameras, round(h.camera_minutes, 6), h.camera_ids) for h in hours] == [
        (9, 0, 0, ()), (10, 1, 30, ("cam1",)), (11, 2, 70, ("cam1", "cam2")), (12, 2, 75, ("cam1", "cam2"))]
    days = reports.cameras_offline(BOSS, datetime(2026, 5, 31, tzinfo=NY), datetime(2026, 6, 2, tzinfo=NY),
                                   step=Step.DAY, tz=NY)
    assert [d.start for d in days] == [datetime(2026, 5, 31, tzinfo=NY), datetime(2026, 6, 1, tzinfo=NY)]
    assert [d.cameras for d in days] == [0, 2]
    # cam1 105 minutes; cam2 from 07:50 local to local midnight (the open gap runs on to now): 970 minutes.
    assert days[1].camera_minutes == pytest.approx(105 + 970)
    header, rows = table(hours)
    assert header == ["start", "cameras", "camera_minutes", "camera_ids"] and rows[2][3] == "cam1 cam2"


def test_reports_need_view_reports_and_a_real_period(reports: ReportRepository) -> None:
    wall = Actor("wally", Role.WALL_OPERATOR)
    for call in (reports.alerts_per_day, reports.lpr_per_hour, reports.video_searches_per_month,
                 reports.alert_first_view, reports.cameras_offline):
        with pytest.raises(PermissionDenied):
            call(wall, utc(2026, 1, 1), utc(2026, 1, 2))
    with pytest.raises(ValueError):
        reports.alerts_per_day(BOSS, utc(2026, 1, 2), utc(2026, 1, 1))
    with pytest.raises(ValueError):
        reports.lpr_per_hour(BOSS, datetime(2026, 1, 1), utc(2026, 1, 2))
    assert table([]) == ([], [])
