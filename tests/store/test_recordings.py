"""The recording index on SQLite and PostgreSQL: segments, gaps, ranges, bookmarks, holds and retention choice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from c4desk.domain.errors import ValidationError
from c4desk.domain.permissions import Actor, PermissionDenied, Role
from c4desk.store.db import Database
from c4desk.store.models import AuditEventRow, CaseRow, RecordingSegmentRow
from c4desk.store.recordings import RESTART_GAP_REASON, RecordingRepository, SegmentExtent, segment_relpath

T0 = datetime(2026, 7, 4, 21, 0, tzinfo=UTC)
ANALYST = Actor("ana", Role.ANALYST, workstation="ws1")


def s(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.fixture
def repo(db: Database, tmp_path: Path) -> RecordingRepository:
    return RecordingRepository(db, tmp_path / "rec")


def record(repo: RecordingRepository, camera: str, start: float, end: float, size: int = 1000) -> int:
    seg = repo.open_segment(camera, s(start), "h264")
    closed = repo.close_segment(seg.id, s(end), size)
    assert closed is not None
    return closed.id


def test_paths_follow_the_layout_and_are_relative_to_the_root(repo: RecordingRepository, db: Database) -> None:
    seg = repo.open_segment("cam01", datetime(2026, 7, 4, 23, 59, 59, 123456, tzinfo=UTC), "h264")
    assert seg.path == repo.root / "cam01" / "2026-07-04" / "cam01_20260704T235959.123456.ts"
    assert seg.status == "recording" and seg.container == "ts" and seg.bytes == 0
    with db.session() as session:
        assert session.scalar(select(RecordingSegmentRow.path)) == "cam01/2026-07-04/cam01_20260704T235959.123456.ts"
    # A local time is stored as the same instant in UTC (the name carries the UTC date).
    local = datetime(2026, 7, 5, 1, 0, tzinfo=UTC).astimezone(__import__("zoneinfo").ZoneInfo("America/New_York"))
    assert segment_relpath("c", local) == "c/2026-07-05/c_20260705T010000.000000.ts"


def test_segments_overlapping_a_window_and_the_segment_at_an_instant(repo: RecordingRepository) -> None:
    a = record(repo, "cam01", 0, 10)
    b = record(repo, "cam01", 10, 20)
    record(repo, "cam02", 0, 20)
    c = record(repo, "cam01", 30, 40)
    assert [x.id for x in repo.segments("cam01", s(5), s(31))] == [a, b, c]
    assert [x.id for x in repo.segments("cam01", s(21), s(29))] == []
    at = repo.segment_at("cam01", s(10))
    assert at is not None and at.id == b  # the later one where two touch
    seg = repo.segment_at("cam01", s(35))
    assert seg is not None and seg.id == c and seg.duration_s == 10
    assert repo.segment_at("cam01", s(25)) is None
    nxt = repo.next_segment("cam01", s(25))
    assert nxt is not None and nxt.id == c
    with pytest.raises(ValidationError, match="end"):
        repo.segments("cam01", s(10), s(0))
    with pytest.raises(ValidationError, match="start"):
        repo.segments("cam01", datetime(2026, 1, 1), s(0))


def test_extending_an_open_segment_makes_it_findable_near_now(repo: RecordingRepository) -> None:
    seg = repo.open_segment("cam01", s(0), "h264")
    assert repo.segment_at("cam01", s(3)) is None
    repo.extend_segment(seg.id, s(4), 5000)
    found = repo.segment_at("cam01", s(3))
    assert found is not None and found.status == "recording" and found.bytes == 5000 and found.end_at == s(4)


def test_extending_many_segments_moves_each_open_one_in_one_statement(repo: RecordingRepository) -> None:
    a = repo.open_segment("cam01", s(0), "h264").id
    b = repo.open_segment("cam02", s(1), "h264").id
    closed = record(repo, "cam03", 0, 10, size=777)
    # The recorder closed cam03's segment while the index writer held its progress; an id that is gone (retention
    # or an operator removed it); neither is written, and neither keeps the others from being written.
    moved = repo.extend_segments([SegmentExtent(a, s(4), 4000), SegmentExtent(closed, s(9), 10),
                                  SegmentExtent(b, s(6), 6000), SegmentExtent(987654, s(6), 1)])
    assert moved == 2
    got = {x.id: (x.end_at, x.bytes, x.status) for x in (repo.segment(a), repo.segment(b), repo.segment(closed))
           if x is not None}
    assert got == {a: (s(4), 4000, "recording"), b: (s(6), 6000, "recording"), closed: (s(10), 777, "complete")}
    # Only forward: a late round with an older end leaves the row as it is (the other one still moves).
    assert repo.extend_segments([SegmentExtent(a, s(3), 3000), SegmentExtent(b, s(7), 7000)]) == 1
    found_a, found_b = repo.segment(a), repo.segment(b)
    assert found_a is not None and (found_a.end_at, found_a.bytes) == (s(4), 4000)
    assert found_b is not None and (found_b.end_at, found_b.bytes) == (s(7), 7000)
    assert repo.extend_segments([]) == 0


def test_extending_many_segments_refuses_bad_values_and_writes_none(repo: RecordingRepository) -> None:
    a = repo.open_segment("cam01", s(0), "h264").id
    b = repo.open_segment("cam02", s(0), "h264").id
    with pytest.raises(ValidationError) as bad:
        repo.extend_segments([SegmentExtent(a, s(4), 4000), SegmentExtent(b, datetime(2026, 7, 4, 21, 0, 5), -1)])
    assert [e.field for e in bad.value.errors] == ["extents[1].end_at", "extents[1].bytes"]
    assert [(x.end_at, x.bytes) for x in (repo.segment(a), repo.segment(b)) if x is not None] == [(s(0), 0)] * 2


def test_recorded_ranges_merge_touching_segments_and_clip_to_the_window(repo: RecordingRepository) -> None:
    record(repo, "cam01", 0, 10)
    record(repo, "cam01", 10.07, 20)  # rolled at a keyframe: one frame apart, still one range
    record(repo, "cam01", 30, 40)
    record(repo, "cam02", 5, 6)
    ranges = repo.recorded_ranges(["cam01", "cam02", "cam03"], s(2), s(35))
    assert ranges == {"cam01": [(s(2), s(20)), (s(30), s(35))], "cam02": [(s(5), s(6))], "cam03": []}


def test_gaps_open_once_close_and_overlap_windows(repo: RecordingRepository) -> None:
    first = repo.open_gap("cam01", s(10), "stream lost: connection refused")
    again = repo.open_gap("cam01", s(12), "cannot connect: connection refused")
    assert again == first and again.end_at is None  # one open gap; the first reason stands
    assert repo.open_gap_of("cam01") == first
    assert repo.gaps("cam01", s(100), s(200)) == [first]  # an open gap reaches every later window
    assert repo.close_gap("cam01", s(20)) == 1
    assert repo.close_gap("cam01", s(30)) == 0
    gaps = repo.gaps("cam01", s(0), s(15))
    assert [(g.start_at, g.end_at, g.reason) for g in gaps] == [(s(10), s(20), "stream lost: connection refused")]
    assert repo.gaps("cam01", s(21), s(40)) == [] and repo.gaps("cam02", s(0), s(40)) == []


def test_recovery_closes_what_a_crash_left_open(repo: RecordingRepository) -> None:
    seg = repo.open_segment("cam01", s(0), "h264")
    repo.extend_segment(seg.id, s(8), 4000)
    repo.open_gap("cam02", s(5), "stream lost: timed out")
    closed = repo.recover_interrupted(now=s(60))
    assert [c.id for c in closed] == [seg.id] and closed[0].status == "complete" and closed[0].end_at == s(8)
    assert [(g.start_at, g.end_at, g.reason) for g in repo.gaps("cam01", s(0), s(100))] == [
        (s(8), s(60), RESTART_GAP_REASON)]
    assert [(g.start_at, g.end_at) for g in repo.gaps("cam02", s(0), s(100))] == [(s(5), s(60))]
    assert repo.recover_interrupted(now=s(70)) == []  # nothing left to repair


def test_bookmarks_are_checked_audited_and_listed_by_time(repo: RecordingRepository, db: Database) -> None:
    second = repo.add_bookmark(ANALYST, "cam02", s(20), "car turns left")
    first = repo.add_bookmark(ANALYST, "cam01", s(10), " suspect vehicle ", note="silver sedan")
    repo.add_bookmark(ANALYST, "cam03", s(15), "other camera")
    assert first.label == "suspect vehicle" and first.created_by == "ana" and first.case_id is None
    assert repo.bookmarks(["cam01", "cam02"], s(0), s(30)) == [first, second]
    assert repo.bookmarks(["cam01"], s(11), s(30)) == []
    with db.session() as session:
        audit = session.scalars(select(AuditEventRow).order_by(AuditEventRow.id)).all()
    assert [(a.event_type, a.object, a.username, a.workstation) for a in audit][1] == (
        "clip_change", f"bookmark:{first.id}", "ana", "ws1")

    with pytest.raises(PermissionDenied):
        repo.add_bookmark(Actor("wall", Role.WALL_OPERATOR), "cam01", s(1))
    with pytest.raises(ValidationError) as bad:
        repo.add_bookmark(ANALYST, "no such/camera", datetime(2026, 1, 1), "x" * 201)
    assert {e.field for e in bad.value.errors} == {"camera_id", "at", "label"}
    with pytest.raises(ValidationError, match="case_id"):
        repo.add_bookmark(ANALYST, "cam01", s(1), case_id=999)
    assert len(repo.bookmarks(["cam01", "cam02", "cam03"], s(0), s(30))) == 3  # nothing half-stored


def test_a_bookmark_can_belong_to_a_case(repo: RecordingRepository, db: Database) -> None:
    with db.session(write=True) as session:
        case = CaseRow(number="2026-000123", title="Shots fired, Main St", created_by="ana")
        session.add(case)
        session.flush()
        case_id = case.id
    mark = repo.add_bookmark(ANALYST, "cam01", s(3), "shooter's car", case_id=case_id)
    assert repo.bookmarks(["cam01"], s(0), s(5))[0].case_id == case_id == mark.case_id


def test_retention_candidates_by_age_then_budget_never_held_or_open(repo: RecordingRepository) -> None:
    now = s(0) + timedelta(days=40)
    old = record(repo, "cam01", 0, 60, size=100)  # ended 40 days ago
    old_held = record(repo, "cam01", 60, 120, size=100)
    repo.add_hold(old_held, "sup", "case 2026-000123")
    repo.add_hold(old_held, "sup", "case 2026-000123")  # holding twice is harmless
    day30 = [record(repo, "cam02", 86400 * 30 + i * 60, 86400 * 30 + i * 60 + 60, size=100) for i in range(3)]
    still_open = repo.open_segment("cam03", s(86400 * 31), "h264").id
    repo.extend_segment(still_open, s(86400 * 31 + 30), 100)

    assert [x.id for x in repo.retention_candidates(now, 30, 10_000)] == [old]
    # Budget 300 bytes: 600 recorded (held and open ones count, they take the disk); the oldest go first.
    assert [x.id for x in repo.retention_candidates(now, 30, 300)] == [old, day30[0], day30[1]]
    # A budget even the held and open segments exceed: everything else goes, they stay.
    assert [x.id for x in repo.retention_candidates(now, 30, 0)] == [old, *day30]

    usage = repo.usage()
    assert (usage.segments, usage.bytes, usage.held_segments, usage.held_bytes) == (6, 600, 1, 100)
    assert repo.is_held(old_held) and not repo.is_held(old)
    assert repo.delete_segment(old) is True
    assert repo.delete_segment(old_held) is False  # the hold is checked in the delete itself
    assert repo.delete_segment(still_open) is False
    assert repo.segment(old) is None and repo.segment(old_held) is not None


def test_holding_an_unknown_segment_is_refused(repo: RecordingRepository) -> None:
    with pytest.raises(ValidationError, match="segment_id"):
        repo.add_hold(12345, "sup")


def test_bad_camera_ids_and_naive_times_are_refused(repo: RecordingRepository) -> None:
    with pytest.raises(ValidationError, match="camera_id"):
        repo.open_segment("../etc", s(0), "h264")
    with pytest.raises(ValidationError, match="start_at"):
        repo.open_segment("cam01", datetime(2026, 7, 4), "h264")
    with pytest.raises(ValidationError, match="camera_id"):
        repo.open_gap("", s(0), "x")
