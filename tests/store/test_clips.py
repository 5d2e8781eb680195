"""Clips on SQLite and PostgreSQL: tagging holds the recording in one transaction (even when the process is killed
mid-way), review by a supervisor, permissions, and retention never taking held segments."""

from __future__ import annotations

import os
import select as io_select
import signal
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from c4desk.domain.camera import Camera
from c4desk.domain.errors import ValidationError
from c4desk.domain.events import CaseChanged, ClipChanged, ClipTagged, Event
from c4desk.domain.permissions import Actor, PermissionDenied, Role
from c4desk.store.bus import EventBus
from c4desk.store.cameras import CameraRepository
from c4desk.store.cases import CaseRepository
from c4desk.store.clips import ClipNotFound, ClipRepository, SelfReviewRefused
from c4desk.store.db import Database
from c4desk.store.models import AuditEventRow, ClipRow, EvidenceHoldRow
from c4desk.store.recordings import RecordingRepository

T0 = datetime(2026, 7, 4, 21, 0, tzinfo=UTC)
ANALYST = Actor("ana", Role.ANALYST, workstation="ws1")
OTHER_ANALYST = Actor("bo", Role.ANALYST, workstation="ws3")
SUPERVISOR = Actor("sam", Role.SUPERVISOR, workstation="ws2")
SECOND_SUPERVISOR = Actor("sue", Role.SUPERVISOR, workstation="ws4")
ADMIN = Actor("root", Role.ADMIN, workstation="ws9")
WALL = Actor("wally", Role.WALL_OPERATOR, workstation="wall")
REPO = Path(__file__).resolve().parents[2]


def s(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.fixture
def recordings(db: Database, tmp_path: Path) -> RecordingRepository:
    CameraRepository(db).upsert_many([Camera(id="cam01", name="Main & Asylum", lat=41.76, lon=-72.67),
                                      Camera(id="cam02", name="Park & Broad", lat=41.75, lon=-72.69)])
    return RecordingRepository(db, tmp_path / "rec")


def record(repo: RecordingRepository, camera: str, start: float, end: float, *, close: bool = True) -> int:
    seg = repo.open_segment(camera, s(start), "h264")
    if close:
        repo.close_segment(seg.id, s(end), 1000)
    else:
        repo.extend_segment(seg.id, s(end), 500)
    return seg.id


@pytest.fixture
def clips(db: Database, bus: EventBus) -> ClipRepository:
    return ClipRepository(db, bus)


@pytest.fixture
def events(bus: EventBus) -> list[Event]:
    seen: list[Event] = []
    bus.subscribe(Event, seen.append)
    return seen


def holds(db: Database, clip_id: int) -> list[int]:
    with db.session() as session:
        return sorted(session.scalars(select(EvidenceHoldRow.segment_id).where(EvidenceHoldRow.clip_id == clip_id)))


def test_tagging_holds_every_overlapping_segment_of_that_camera(
        clips: ClipRepository, recordings: RecordingRepository, db: Database, events: list[Event]) -> None:
    a = record(recordings, "cam01", 0, 60)
    b = record(recordings, "cam01", 60, 120)
    record(recordings, "cam01", 120, 180)  # after the clip
    record(recordings, "cam02", 0, 180)  # another camera
    live = record(recordings, "cam01", 180, 181, close=False)  # still being written; its end_at lags

    clip = clips.tag(ANALYST, "cam01", s(50), s(70), tags=["vehicle", " vehicle", "suspect "], note="turns left")
    assert (clip.status, clip.tags, clip.note, clip.held_segments) == ("draft", ("vehicle", "suspect"),
                                                                       "turns left", 2)
    assert (clip.camera_name, clip.case_id, clip.created_by) == ("Main & Asylum", None, "ana")
    assert holds(db, clip.id) == [a, b] == clips.held_segment_ids(clip.id)

    near_now = clips.tag(ANALYST, "cam01", s(182), s(185))  # out point past the recorded end: the open segment
    assert holds(db, near_now.id) == [live]

    with db.session() as session:
        record_row = session.scalar(select(AuditEventRow).where(AuditEventRow.object == f"clip:{clip.id}"))
    assert record_row is not None and record_row.event_type == "clip_change"
    assert record_row.detail["action"] == "tag" and record_row.detail["held_segments"] == [a, b]
    assert events[0] == ClipTagged(clip_id=clip.id, camera_id="cam01", case_id=None, tags=("vehicle", "suspect"))


def test_tagging_refuses_bad_input_and_stores_nothing(clips: ClipRepository, recordings: RecordingRepository,
                                                      db: Database) -> None:
    record(recordings, "cam01", 0, 60)
    cases = [(("cam01", s(10), s(10)), "end"), (("cam01", s(10), s(5)), "end"),
             (("cam01", datetime(2026, 7, 4, 21, 0), s(5)), "start"),
             (("cam01", s(0), s(0) + timedelta(days=2)), "end"),
             (("cam01", s(100), s(110)), "nothing of camera cam01 is recorded"), (("nope", s(1), s(2)), "camera_id"),
             (("cam02", s(1), s(2)), "nothing of camera cam02")]
    for (camera, start, end), message in cases:
        with pytest.raises(ValidationError, match=message):
            clips.tag(ANALYST, camera, start, end)
    with pytest.raises(ValidationError, match="tags"):
        clips.tag(ANALYST, "cam01", s(1), s(2), tags=["x" * 41])
    with pytest.raises(ValidationError, match="case"):
        clips.tag(ANALYST, "cam01", s(1), s(2), case="26-404")
    with pytest.raises(PermissionDenied):
        clips.tag(WALL, "cam01", s(1), s(2))
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(ClipRow)) == 0
        assert session.scalar(select(func.count()).select_from(EvidenceHoldRow)) == 0


def test_the_review_flow_and_who_may_do_what(clips: ClipRepository, recordings: RecordingRepository, db: Database,
                                            bus: EventBus, events: list[Event]) -> None:
    record(recordings, "cam01", 0, 600)
    case = CaseRepository(db, bus).create(ANALYST, "26-0412", "shooting")
    first = clips.tag(ANALYST, "cam01", s(10), s(40), ["vehicle"], case="26-0412")
    second = clips.tag(ANALYST, "cam01", s(100), s(130), case=case.id)
    assert first.case_number == "26-0412" and second.case_id == case.id

    with pytest.raises(PermissionDenied):  # a supervisor's queue, not an analyst's
        clips.review_queue(ANALYST)
    with pytest.raises(ValidationError, match="only a pending clip can be approved"):
        clips.review(SUPERVISOR, first.id, approve=True)
    pending = clips.submit(ANALYST, first.id)
    assert pending.status == "pending" and pending.submitted_at is not None
    clips.submit(OTHER_ANALYST, second.id)  # a colleague may submit it
    assert [c.id for c in clips.review_queue(SUPERVISOR)] == [first.id, second.id]

    with pytest.raises(PermissionDenied):
        clips.review(ANALYST, first.id, approve=True)
    with pytest.raises(PermissionDenied):  # separation of duties: administrators do not review evidence
        clips.review(ADMIN, first.id, approve=True)
    with pytest.raises(ValidationError, match="comment: say why"):
        clips.review(SUPERVISOR, second.id, approve=False)
    approved = clips.review(SUPERVISOR, first.id, approve=True, comment="clear view of the plate")
    assert (approved.status, approved.reviewed_by, approved.review_comment) == ("approved", "sam",
                                                                                "clear view of the plate")
    rejected = clips.review(SUPERVISOR, second.id, approve=False, comment="wrong camera")
    assert rejected.status == "rejected" and rejected.reviewed_at is not None
    assert clips.review_queue(SUPERVISOR) == []

    # The analyst sees the outcome; a rejected clip can be changed and sent again, an approved one is final.
    mine = {c.id: (c.status, c.review_comment) for c in clips.my_clips(ANALYST)}
    assert mine == {first.id: ("approved", "clear view of the plate"), second.id: ("rejected", "wrong camera")}
    assert [c.id for c in clips.my_clips(ANALYST, statuses=["rejected"])] == [second.id]
    for change in (lambda: clips.submit(ANALYST, first.id), lambda: clips.edit(ANALYST, first.id, note="x"),
                   lambda: clips.discard(ANALYST, first.id), lambda: clips.attach(ANALYST, first.id, None)):
        with pytest.raises(ValidationError, match="approved"):
            change()
    edited = clips.edit(ANALYST, second.id, tags=["bystander"], note="other angle")
    assert (edited.tags, edited.note) == (("bystander",), "other angle")
    assert clips.submit(ANALYST, second.id).status == "pending"

    # Nobody reviews their own clip.
    own = clips.tag(SUPERVISOR, "cam01", s(200), s(210))
    clips.submit(SUPERVISOR, own.id)
    with pytest.raises(SelfReviewRefused, match="another supervisor must"):
        clips.review(SUPERVISOR, own.id, approve=True)
    assert clips.review(SECOND_SUPERVISOR, own.id, approve=True).status == "approved"

    with db.session() as session:
        actions = list(session.scalars(select(AuditEventRow.detail).where(
            AuditEventRow.object == f"clip:{first.id}", AuditEventRow.event_type == "clip_change")
            .order_by(AuditEventRow.id)))
        denied = session.scalar(select(func.count()).select_from(AuditEventRow).where(
            AuditEventRow.event_type == "permission_denied"))
    assert [a["action"] for a in actions] == ["tag", "submitted", "approved"]
    assert denied == 4  # queue by an analyst, review by an analyst and an admin, own clip
    changes = [(e.clip_id, e.what, e.status) for e in events if isinstance(e, ClipChanged)]
    assert changes[:4] == [(first.id, "submitted", "pending"), (second.id, "submitted", "pending"),
                           (first.id, "approved", "approved"), (second.id, "rejected", "rejected")]
    assert any(isinstance(e, CaseChanged) and e.case_id == case.id and e.what == "clip" for e in events)


def test_attach_later_and_discard_releases_the_holds(clips: ClipRepository, recordings: RecordingRepository,
                                                     db: Database, bus: EventBus) -> None:
    seg = record(recordings, "cam01", 0, 60)
    clip = clips.tag(ANALYST, "cam01", s(5), s(15))  # tagged during the incident, before the case exists
    case = CaseRepository(db, bus).create(ANALYST, "26-9", "robbery")
    assert clips.attach(ANALYST, clip.id, "26-9").case_id == case.id
    assert [c.id for c in clips.clips_for_case("26-9")] == [clip.id]
    other = clips.tag(ANALYST, "cam01", s(20), s(30))
    clips.discard(ANALYST, other.id)
    assert clips.get(other.id) is None and holds(db, other.id) == []
    assert holds(db, clip.id) == [seg]
    with pytest.raises(ClipNotFound):
        clips.submit(ANALYST, other.id)


def test_retention_never_takes_a_held_segment(clips: ClipRepository, recordings: RecordingRepository) -> None:
    old_held = record(recordings, "cam01", 0, 60)
    old_free = record(recordings, "cam01", 60, 120)
    clips.tag(ANALYST, "cam01", s(10), s(20))
    far_future = s(0) + timedelta(days=400)
    candidates = [seg.id for seg in recordings.retention_candidates(far_future, retention_days=30, budget_bytes=0)]
    assert candidates == [old_free]
    assert recordings.delete_segment(old_held) is False
    assert recordings.delete_segment(old_free) is True


# ---- a crash in the middle of tagging -------------------------------------------------------------------------

CHILD = textwrap.dedent("""
    import sys, time
    from datetime import datetime, timedelta, UTC
    from sqlalchemy import event
    from sqlalchemy.orm import Session
    from c4desk.domain.permissions import Actor, Role
    from c4desk.store.clips import ClipRepository
    from c4desk.store.db import Database

    url, stage = sys.argv[1], sys.argv[2]
    flushes = 0

    def pause(label):
        print(label, flush=True)
        time.sleep(120)  # the test kills us here

    @event.listens_for(Session, "after_flush")
    def after_flush(session, context):
        global flushes
        flushes += 1
        if stage == f"flush{flushes}":
            pause(stage)

    @event.listens_for(Session, "before_commit")
    def before_commit(session):
        if stage == "before_commit":
            pause(stage)

    @event.listens_for(Session, "after_commit")
    def after_commit(session):
        if stage == "after_commit":
            pause(stage)

    t0 = datetime(2026, 7, 4, 21, 0, tzinfo=UTC)
    clip = ClipRepository(Database(url)).tag(Actor("ana", Role.ANALYST, "ws1"), "cam01", t0 + timedelta(seconds=50),
                                             t0 + timedelta(seconds=130))
    print("done", clip.id, flush=True)
""")


def _run_and_kill(url: str, stage: str) -> str:
    """Run a tag() in a child process, SIGKILL it at ``stage``; returns the stage it reached (or 'done')."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with subprocess.Popen([sys.executable, "-c", CHILD, url, stage], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, env=env, text=True) as child:
        try:
            assert child.stdout is not None and child.stderr is not None
            ready, _, _ = io_select.select([child.stdout], [], [], 60)
            assert ready, "the child never reached its stage"
            line = child.stdout.readline().strip()
            if line != "done":
                os.kill(child.pid, signal.SIGKILL)
            child.wait(timeout=30)
            if line == "done":
                assert child.returncode == 0, child.stderr.read()
            else:
                assert child.returncode == -signal.SIGKILL, child.stderr.read()
            return line
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()


# flush1: the clip row is written; flush2: its holds; flush3: the audit record; then commit.
@pytest.mark.parametrize("stage", ["flush1", "flush2", "flush3", "before_commit", "after_commit"])
def test_a_tag_killed_at_any_moment_is_all_there_or_not_at_all(
        stage: str, db_url: str, db: Database, recordings: RecordingRepository) -> None:
    expected = [record(recordings, "cam01", 0, 60), record(recordings, "cam01", 60, 120),
                record(recordings, "cam01", 120, 180)]
    assert _run_and_kill(db_url, stage) == stage
    with db.session() as session:
        clips = list(session.scalars(select(ClipRow)))
        all_holds = sorted(session.scalars(select(EvidenceHoldRow.segment_id)))
        tag_audits = session.scalar(select(func.count()).select_from(AuditEventRow).where(
            AuditEventRow.object.like("clip:%")))
    if stage == "after_commit":
        assert len(clips) == 1 and all_holds == expected and tag_audits == 1
    else:
        assert clips == [] and all_holds == [] and tag_audits == 0
    # The database is usable afterwards: the same tag now goes through.
    clip = ClipRepository(db).tag(ANALYST, "cam01", s(50), s(130))
    assert holds(db, clip.id) == expected
