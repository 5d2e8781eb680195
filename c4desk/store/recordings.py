"""The recorder's index: which stretch of which camera is in which file, where the gaps are, and bookmarks.

Segment files are MPEG-TS (a TS file stays readable up to the last whole packet when its writer is killed),
written by pure stream copy, at ``root/<camera_id>/<YYYY-MM-DD>/<camera_id>_<UTC yyyymmddTHHMMSS.ffffff>.ts``;
a row's ``path`` is relative to ``root`` (POSIX separators) so the recordings directory can move.

TIME MAPPING (playback and clip cutting rely on it): a packet with timestamp ``p`` in a segment file maps to the
UTC instant ``start_at + (p - first_pts_in_file) * time_base``, where ``start_at`` is the wall-clock UTC time at
which the file's first packet was received and ``first_pts_in_file`` is the smallest PTS of the video stream in
that file (its first packet: every file starts with a keyframe, and the recorder makes timestamps monotonic).
``end_at`` is the instant of the end of the last packet written so far; while a segment is ``recording`` it is
refreshed every couple of seconds (``extend_segments``: every open segment of a recorder process in one
transaction), so playback near "now" can find it.

A gap is a span when a camera marked for recording delivered nothing (outage, stall, recorder restart);
``end_at`` None means it is still open. Segments with an evidence hold are never removed by retention.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import cast

from sqlalchemy import CursorResult, Exists, Table, and_, bindparam, delete, exists, func, or_, select, update

from c4desk.domain.audit import AuditType
from c4desk.domain.camera import ID_PATTERN
from c4desk.domain.errors import FieldError, ValidationError
from c4desk.domain.permissions import Action, Actor
from c4desk.store.audit import append_audit, require_audited
from c4desk.store.db import Database
from c4desk.store.models import BookmarkRow, CaseRow, EvidenceHoldRow, RecordingGapRow, RecordingSegmentRow

RECORDING = "recording"
COMPLETE = "complete"
CONTAINER = "ts"
# Two segments of one camera closer than this count as one recorded range: rolling to a new file at a keyframe
# leaves the wall-clock difference of one frame (plus scheduling jitter) between them, which is not a gap.
MERGE_TOLERANCE = timedelta(seconds=1.5)
RESTART_GAP_REASON = "recorder not running"
_CHUNK = 500
_SEGMENTS = cast(Table, RecordingSegmentRow.__table__)
# How far open segments have got, many at once (executemany). Only rows still 'recording' move, and only forward:
# an update that raced the segment's close (the recorder closes it while the index writer is between reading
# the recorder's progress and writing it) or its deletion changes nothing, and no row fails the batch.
_EXTEND = (update(_SEGMENTS)
           .where(_SEGMENTS.c.id == bindparam("segment_id"), _SEGMENTS.c.status == RECORDING,
                  _SEGMENTS.c.end_at <= bindparam("new_end", type_=_SEGMENTS.c.end_at.type))
           .values(end_at=bindparam("new_end", type_=_SEGMENTS.c.end_at.type), bytes=bindparam("new_bytes")))


@dataclass(frozen=True)
class Segment:
    id: int
    camera_id: str
    start_at: datetime
    end_at: datetime
    path: Path  # absolute
    bytes: int
    container: str
    codec: str
    status: str

    @property
    def duration_s(self) -> float:
        return (self.end_at - self.start_at).total_seconds()


@dataclass(frozen=True)
class SegmentExtent:
    """How far an open segment has got: the end of its last packet written, and its file size so far."""

    segment_id: int
    end_at: datetime
    bytes: int


@dataclass(frozen=True)
class Gap:
    camera_id: str
    start_at: datetime
    end_at: datetime | None  # None: still open
    reason: str


@dataclass(frozen=True)
class Bookmark:
    id: int
    camera_id: str
    at: datetime
    label: str
    note: str
    case_id: int | None
    created_by: str


@dataclass(frozen=True)
class Usage:
    """What the recordings take: all segments, and how much of that retention may never remove."""

    segments: int
    bytes: int
    held_segments: int
    held_bytes: int


def segment_relpath(camera_id: str, start_at: datetime) -> str:
    """Where a segment starting at ``start_at`` lives, relative to the recordings root (see module docstring)."""
    utc = _aware(start_at, "start_at").astimezone(UTC)
    name = f"{camera_id}_{utc.strftime('%Y%m%dT%H%M%S.%f')}.{CONTAINER}"
    return str(PurePosixPath(camera_id, utc.strftime("%Y-%m-%d"), name))


def _aware(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError([FieldError(name, f"naive datetime {value.isoformat()}: give a time zone (UTC)")])
    return value


def _check_camera_id(camera_id: str) -> None:
    if not ID_PATTERN.match(camera_id or ""):
        raise ValidationError([FieldError("camera_id", f"{camera_id!r} is not a camera id (letters, digits, "
                                                       "_ . -; at most 64)")])


def _check_window(start: datetime, end: datetime) -> None:
    _aware(start, "start")
    _aware(end, "end")
    if end < start:
        raise ValidationError([FieldError("end", f"{end.isoformat()} is before start {start.isoformat()}")])


def _held() -> Exists:
    return exists().where(EvidenceHoldRow.segment_id == RecordingSegmentRow.id)


class RecordingRepository:
    """The segment index, gaps, evidence holds and bookmarks, over one database and one recordings root."""

    def __init__(self, db: Database, root: Path) -> None:
        self._db = db
        self.root = Path(root)

    def _segment(self, row: RecordingSegmentRow) -> Segment:
        return Segment(id=row.id, camera_id=row.camera_id, start_at=row.start_at, end_at=row.end_at,
                       path=self.root / PurePosixPath(row.path), bytes=row.bytes, container=row.container,
                       codec=row.codec, status=row.status)

    # ---- reading: what playback, the timeline and clip cutting use ---------------------------------------

    def segments(self, camera_id: str, start: datetime, end: datetime) -> list[Segment]:
        """Segments of ``camera_id`` overlapping [start, end], by start time."""
        _check_window(start, end)
        query = (select(RecordingSegmentRow)
                 .where(RecordingSegmentRow.camera_id == camera_id, RecordingSegmentRow.start_at <= end,
                        RecordingSegmentRow.end_at >= start)
                 .order_by(RecordingSegmentRow.start_at, RecordingSegmentRow.id))
        with self._db.session() as session:
            return [self._segment(r) for r in session.scalars(query)]

    def segment_at(self, camera_id: str, at: datetime) -> Segment | None:
        """The segment holding instant ``at`` (the latest-starting one if two touch), or None in a gap."""
        _aware(at, "at")
        query = (select(RecordingSegmentRow)
                 .where(RecordingSegmentRow.camera_id == camera_id, RecordingSegmentRow.start_at <= at,
                        RecordingSegmentRow.end_at >= at)
                 .order_by(RecordingSegmentRow.start_at.desc(), RecordingSegmentRow.id.desc()).limit(1))
        with self._db.session() as session:
            row = session.scalars(query).first()
            return None if row is None else self._segment(row)

    def segment(self, segment_id: int) -> Segment | None:
        with self._db.session() as session:
            row = session.get(RecordingSegmentRow, segment_id)
            return None if row is None else self._segment(row)

    def next_segment(self, camera_id: str, after: datetime) -> Segment | None:
        """The first segment starting after ``after`` (playback steps over a gap with it)."""
        _aware(after, "after")
        query = (select(RecordingSegmentRow)
                 .where(RecordingSegmentRow.camera_id == camera_id, RecordingSegmentRow.start_at > after)
                 .order_by(RecordingSegmentRow.start_at, RecordingSegmentRow.id).limit(1))
        with self._db.session() as session:
            row = session.scalars(query).first()
            return None if row is None else self._segment(row)

    def gaps(self, camera_id: str, start: datetime, end: datetime) -> list[Gap]:
        """Gaps of ``camera_id`` overlapping [start, end] (open ones included), by start time."""
        _check_window(start, end)
        query = (select(RecordingGapRow)
                 .where(RecordingGapRow.camera_id == camera_id, RecordingGapRow.start_at <= end,
                        or_(RecordingGapRow.end_at.is_(None), RecordingGapRow.end_at >= start))
                 .order_by(RecordingGapRow.start_at, RecordingGapRow.id))
        with self._db.session() as session:
            return [Gap(camera_id=r.camera_id, start_at=r.start_at, end_at=r.end_at, reason=r.reason)
                    for r in session.scalars(query)]

    def recorded_ranges(self, camera_ids: Sequence[str], start: datetime, end: datetime
                        ) -> dict[str, list[tuple[datetime, datetime]]]:
        """Per camera, the recorded spans overlapping [start, end]: touching segments merged, clipped to the window.

        Every camera asked for has an entry (an empty list when nothing is recorded).
        """
        _check_window(start, end)
        ranges: dict[str, list[tuple[datetime, datetime]]] = {c: [] for c in camera_ids}
        ids = list(ranges)
        with self._db.session() as session:
            for i in range(0, len(ids), _CHUNK):
                query = (select(RecordingSegmentRow.camera_id, RecordingSegmentRow.start_at,
                                RecordingSegmentRow.end_at)
                         .where(RecordingSegmentRow.camera_id.in_(ids[i:i + _CHUNK]),
                                RecordingSegmentRow.start_at <= end, RecordingSegmentRow.end_at >= start)
                         .order_by(RecordingSegmentRow.camera_id, RecordingSegmentRow.start_at))
                for camera_id, seg_start, seg_end in session.execute(query):
                    spans = ranges[camera_id]
                    lo, hi = max(seg_start, start), min(seg_end, end)
                    if spans and lo - spans[-1][1] <= MERGE_TOLERANCE:
                        spans[-1] = (spans[-1][0], max(spans[-1][1], hi))
                    else:
                        spans.append((lo, hi))
        return ranges

    def camera_ids(self) -> list[str]:
        """Every camera that has at least one segment (a recording outlives its camera record)."""
        with self._db.session() as session:
            query = select(RecordingSegmentRow.camera_id).distinct().order_by(RecordingSegmentRow.camera_id)
            return list(session.scalars(query))

    # ---- bookmarks --------------------------------------------------------------------------------------

    def add_bookmark(self, actor: Actor, camera_id: str, at: datetime, label: str = "", note: str = "",
                     case_id: int | None = None) -> Bookmark:
        """Mark a moment on a camera's timeline (audited). Refuses bad fields with a ValidationError."""
        require_audited(self._db, actor, Action.TAG_CLIPS, f"camera:{camera_id}")
        errors: list[FieldError] = []
        if not ID_PATTERN.match(camera_id or ""):
            errors.append(FieldError("camera_id", f"{camera_id!r} is not a camera id"))
        if at.tzinfo is None or at.utcoffset() is None:
            errors.append(FieldError("at", f"naive datetime {at.isoformat()}: give a time zone (UTC)"))
        if len(label) > 200:
            errors.append(FieldError("label", f"{len(label)} characters; at most 200"))
        if len(note) > 10_000:
            errors.append(FieldError("note", f"{len(note)} characters; at most 10000"))
        if errors:
            raise ValidationError(errors)
        with self._db.session(write=True) as session:
            if case_id is not None and session.get(CaseRow, case_id) is None:
                raise ValidationError([FieldError("case_id", f"no case {case_id}")])
            row = BookmarkRow(camera_id=camera_id, at=at.astimezone(UTC), label=label.strip(), note=note,
                              case_id=case_id, created_by=actor.username)
            session.add(row)
            session.flush()
            append_audit(session, username=actor.username, workstation=actor.workstation,
                         event_type=AuditType.CLIP_CHANGE, object=f"bookmark:{row.id}",
                         detail={"action": "bookmark", "camera_id": camera_id, "at": row.at, "label": row.label,
                                 "case_id": case_id})
            return _bookmark(row)

    def bookmarks(self, camera_ids: Sequence[str], start: datetime, end: datetime) -> list[Bookmark]:
        """Bookmarks of these cameras in [start, end], by time."""
        _check_window(start, end)
        ids = list(dict.fromkeys(camera_ids))
        found: list[Bookmark] = []
        with self._db.session() as session:
            for i in range(0, len(ids), _CHUNK):
                query = select(BookmarkRow).where(BookmarkRow.camera_id.in_(ids[i:i + _CHUNK]),
                                                  BookmarkRow.at >= start, BookmarkRow.at <= end)
                found.extend(_bookmark(r) for r in session.scalars(query))
        return sorted(found, key=lambda b: (b.at, b.id))

    # ---- the recorder's side: segments ------------------------------------------------------------------

    def open_segment(self, camera_id: str, start_at: datetime, codec: str) -> Segment:
        """Index a new segment that starts at ``start_at`` (status 'recording'); its file path is decided here."""
        _check_camera_id(camera_id)
        start_at = _aware(start_at, "start_at").astimezone(UTC)
        with self._db.session(write=True) as session:
            row = RecordingSegmentRow(camera_id=camera_id, start_at=start_at, end_at=start_at,
                                      path=segment_relpath(camera_id, start_at), bytes=0, container=CONTAINER,
                                      codec=codec, status=RECORDING)
            session.add(row)
            session.flush()
            return self._segment(row)

    def extend_segment(self, segment_id: int, end_at: datetime, size: int) -> None:
        """Record how far an open segment has got (its last packet's end, and its file size so far)."""
        self.extend_segments([SegmentExtent(segment_id, end_at, size)])

    def extend_segments(self, extents: Sequence[SegmentExtent]) -> int:
        """Record how far several open segments have got, in one transaction and one statement. Returns how many
        rows moved.

        A segment no longer 'recording' (closed meanwhile, or deleted), or an end before the one already indexed
        (which is never before the segment's start), is left as it is (see ``_EXTEND``). Bad values are refused,
        naming the item, and then nothing is written.
        """
        errors: list[FieldError] = []
        for i, extent in enumerate(extents):
            if extent.end_at.tzinfo is None or extent.end_at.utcoffset() is None:
                errors.append(FieldError(f"extents[{i}].end_at", f"naive datetime {extent.end_at.isoformat()}: "
                                                                  "give a time zone (UTC)"))
            if extent.bytes < 0:
                errors.append(FieldError(f"extents[{i}].bytes", f"{extent.bytes} is negative"))
        if errors:
            raise ValidationError(errors)
        if not extents:
            return 0
        params = [{"segment_id": e.segment_id, "new_end": e.end_at, "new_bytes": e.bytes} for e in extents]
        with self._db.session(write=True) as session:
            # Core executemany on the connection: no ORM objects, one round of statement compilation for all.
            result = session.connection().execute(_EXTEND, params)
            return max(0, int(result.rowcount))

    def close_segment(self, segment_id: int, end_at: datetime, size: int) -> Segment | None:
        """Mark a segment complete at ``end_at`` with its final size. None if the row is gone."""
        with self._db.session(write=True) as session:
            row = session.get(RecordingSegmentRow, segment_id)
            if row is None:
                return None
            row.end_at = max(row.start_at, _aware(end_at, "end_at"))
            row.bytes = size
            row.status = COMPLETE
            session.flush()
            return self._segment(row)

    def recover_interrupted(self, now: datetime | None = None, camera_ids: Sequence[str] | None = None
                            ) -> list[Segment]:
        """After a crash or restart: close segments left 'recording' at their last known end, record the time
        since then as a gap, and close gaps left open at ``now``. Returns the segments it closed.

        ``camera_ids`` limits it to those cameras (None: all).
        """
        now = (now or datetime.now(UTC)).astimezone(UTC)
        closed: list[Segment] = []
        with self._db.session(write=True) as session:
            seg_query = select(RecordingSegmentRow).where(RecordingSegmentRow.status == RECORDING)
            gap_query = select(RecordingGapRow).where(RecordingGapRow.end_at.is_(None))
            if camera_ids is not None:
                seg_query = seg_query.where(RecordingSegmentRow.camera_id.in_(list(camera_ids)))
                gap_query = gap_query.where(RecordingGapRow.camera_id.in_(list(camera_ids)))
            for gap in session.scalars(gap_query):
                gap.end_at = max(gap.start_at, now)
            for row in session.scalars(seg_query.order_by(RecordingSegmentRow.id)):
                row.status = COMPLETE
                closed.append(self._segment(row))
                if row.end_at < now:
                    session.add(RecordingGapRow(camera_id=row.camera_id, start_at=row.end_at, end_at=now,
                                                reason=RESTART_GAP_REASON))
        return closed

    # ---- the recorder's side: gaps ----------------------------------------------------------------------

    def open_gap(self, camera_id: str, start_at: datetime, reason: str) -> Gap:
        """Start a gap for ``camera_id``; if one is already open it is kept (the first reason stands)."""
        _check_camera_id(camera_id)
        start_at = _aware(start_at, "start_at").astimezone(UTC)
        with self._db.session(write=True) as session:
            row = session.scalars(select(RecordingGapRow).where(RecordingGapRow.camera_id == camera_id,
                                                                RecordingGapRow.end_at.is_(None))
                                  .order_by(RecordingGapRow.start_at).limit(1)).first()
            if row is None:
                row = RecordingGapRow(camera_id=camera_id, start_at=start_at, end_at=None, reason=reason[:2000])
                session.add(row)
                session.flush()
            return Gap(camera_id=row.camera_id, start_at=row.start_at, end_at=row.end_at, reason=row.reason)

    def close_gap(self, camera_id: str, end_at: datetime) -> int:
        """Close every open gap of ``camera_id`` at ``end_at`` (packets flow again). Returns how many closed."""
        end_at = _aware(end_at, "end_at").astimezone(UTC)
        with self._db.session(write=True) as session:
            rows = list(session.scalars(select(RecordingGapRow).where(RecordingGapRow.camera_id == camera_id,
                                                                      RecordingGapRow.end_at.is_(None))))
            for row in rows:
                row.end_at = max(row.start_at, end_at)
            return len(rows)

    def open_gap_of(self, camera_id: str) -> Gap | None:
        with self._db.session() as session:
            row = session.scalars(select(RecordingGapRow).where(RecordingGapRow.camera_id == camera_id,
                                                                RecordingGapRow.end_at.is_(None))
                                  .order_by(RecordingGapRow.start_at).limit(1)).first()
            return None if row is None else Gap(row.camera_id, row.start_at, row.end_at, row.reason)

    # ---- evidence holds and retention -------------------------------------------------------------------

    def add_hold(self, segment_id: int, created_by: str, reason: str = "", clip_id: int | None = None) -> None:
        """Keep a segment from retention (for a clip, or by hand). Holding twice for the same clip is a no-op."""
        with self._db.session(write=True) as session:
            if session.get(RecordingSegmentRow, segment_id) is None:
                raise ValidationError([FieldError("segment_id", f"no segment {segment_id}")])
            found = session.scalar(select(EvidenceHoldRow.id).where(
                EvidenceHoldRow.segment_id == segment_id,
                EvidenceHoldRow.clip_id.is_(None) if clip_id is None else EvidenceHoldRow.clip_id == clip_id))
            if found is None:
                session.add(EvidenceHoldRow(segment_id=segment_id, clip_id=clip_id, reason=reason,
                                            created_by=created_by))

    def is_held(self, segment_id: int) -> bool:
        with self._db.session() as session:
            query = select(func.count()).select_from(EvidenceHoldRow).where(EvidenceHoldRow.segment_id == segment_id)
            return bool(session.scalar(query))

    def usage(self) -> Usage:
        with self._db.session() as session:
            count, size = session.execute(select(func.count(), func.coalesce(func.sum(RecordingSegmentRow.bytes), 0))
                                          ).one()
            held_count, held_size = session.execute(
                select(func.count(), func.coalesce(func.sum(RecordingSegmentRow.bytes), 0))
                .where(_held())).one()
        return Usage(segments=int(count), bytes=int(size), held_segments=int(held_count), held_bytes=int(held_size))

    def retention_candidates(self, now: datetime, retention_days: float, budget_bytes: int) -> list[Segment]:
        """Segments retention would delete, oldest first: complete, unheld ones that ended more than
        ``retention_days`` before ``now``, then the oldest further ones until the total is within ``budget_bytes``.

        Held segments count toward the total (they take the disk) but are never candidates; neither is a
        segment still being written.
        """
        _aware(now, "now")
        cutoff = now - timedelta(days=retention_days)
        with self._db.session() as session:
            total = int(session.scalar(select(func.coalesce(func.sum(RecordingSegmentRow.bytes), 0))) or 0)
            deletable = (select(RecordingSegmentRow)
                         .where(RecordingSegmentRow.status == COMPLETE, ~_held())
                         .order_by(RecordingSegmentRow.start_at, RecordingSegmentRow.id))
            chosen: list[Segment] = []
            for row in session.scalars(deletable.where(RecordingSegmentRow.end_at < cutoff)):
                chosen.append(self._segment(row))
                total -= row.bytes
            # Then the oldest of the rest, a page at a time (keyset paging: the table may be large).
            after: tuple[datetime, int] | None = None
            while total > budget_bytes:
                page = deletable.where(RecordingSegmentRow.end_at >= cutoff)
                if after is not None:
                    page = page.where(or_(RecordingSegmentRow.start_at > after[0],
                                          and_(RecordingSegmentRow.start_at == after[0],
                                               RecordingSegmentRow.id > after[1])))
                rows = list(session.scalars(page.limit(_CHUNK)))
                if not rows:
                    break
                for row in rows:
                    if total <= budget_bytes:
                        break
                    chosen.append(self._segment(row))
                    total -= row.bytes
                after = (rows[-1].start_at, rows[-1].id)
        return chosen

    def delete_segment(self, segment_id: int) -> bool:
        """Remove a segment's row, unless it is held or still being written (checked in the same transaction).

        The caller removes the file first; a row whose file is already gone is fine to delete.
        """
        with self._db.session(write=True) as session:
            result = session.execute(delete(RecordingSegmentRow).where(
                RecordingSegmentRow.id == segment_id, RecordingSegmentRow.status == COMPLETE,
                ~_held()))
            assert isinstance(result, CursorResult)
            return bool(result.rowcount)

    def delete_gaps_before(self, before: datetime) -> int:
        """Forget closed gaps that ended before ``before`` (retention of the index, alongside the files)."""
        with self._db.session(write=True) as session:
            result = session.execute(delete(RecordingGapRow).where(
                and_(RecordingGapRow.end_at.is_not(None), RecordingGapRow.end_at < before)))
            assert isinstance(result, CursorResult)
            return int(result.rowcount)


def _bookmark(row: BookmarkRow) -> Bookmark:
    return Bookmark(id=row.id, camera_id=row.camera_id, at=row.at, label=row.label, note=row.note,
                    case_id=row.case_id, created_by=row.created_by)


__all__ = ["COMPLETE", "CONTAINER", "MERGE_TOLERANCE", "RECORDING", "Bookmark", "Gap", "RecordingRepository",
           "Segment", "SegmentExtent", "Usage", "segment_relpath"]
