"""Clips: tag a span of one camera's recording, put its segments under evidence hold, and take it through review.

Tagging is one transaction: the clip row, one ``evidence_holds`` row per recorded segment of that camera
overlapping the span, and the ``clip_change`` audit record commit together or not at all, so a crash at any
moment leaves either the whole clip (and the recorder can no longer delete its video) or nothing.

Review: draft (tagged) -> pending (submitted) -> approved | rejected; a rejected clip may be changed and
submitted again; an approved one is final. Submitting needs TAG_CLIPS, reviewing REVIEW_CLIPS, and nobody
reviews a clip they tagged themselves (separation of duties). Rejecting needs a comment: the analyst reads it
in ``my_clips``. Every change is audited (object ``clip:<id>``) and announced after commit (ClipTagged,
ClipChanged, and CaseChanged for the clip's case).
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from c4desk.domain.audit import AuditType
from c4desk.domain.errors import FieldError, ValidationError
from c4desk.domain.events import CaseChanged, ClipChanged, ClipTagged, Event
from c4desk.domain.permissions import Action, Actor, PermissionDenied
from c4desk.store.audit import append_audit, record_denied, require_audited
from c4desk.store.bus import EventBus
from c4desk.store.cases import Case, CaseNotFound
from c4desk.store.db import Database
from c4desk.store.models import CameraRow, CaseRow, ClipRow, EvidenceHoldRow, RecordingSegmentRow, utcnow

CLIP_STATUSES = ("draft", "pending", "approved", "rejected")
EDITABLE = ("draft", "rejected")
MAX_SPAN = timedelta(hours=24)
MAX_TAGS = 20
_TAG_CHARS = 40


class ClipNotFound(LookupError):
    def __init__(self, clip_id: int) -> None:
        super().__init__(f"no clip {clip_id}")
        self.clip_id = clip_id


class SelfReviewRefused(PermissionDenied):
    """A supervisor tried to review a clip they tagged."""

    def __init__(self, actor: Actor, clip_id: int) -> None:
        super().__init__(actor, Action.REVIEW_CLIPS)
        self.args = (f"{actor.username} tagged clip {clip_id} and may not review it: another supervisor must",)


@dataclass(frozen=True)
class Clip:
    id: int
    case_id: int | None
    case_number: str | None
    camera_id: str
    camera_name: str
    start_at: datetime
    end_at: datetime
    tags: tuple[str, ...]
    note: str
    status: str
    submitted_at: datetime | None
    reviewed_by: str | None
    reviewed_at: datetime | None
    review_comment: str
    created_by: str
    created_at: datetime
    updated_at: datetime
    held_segments: int

    @property
    def duration_s(self) -> float:
        return (self.end_at - self.start_at).total_seconds()

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["tags"] = list(self.tags)
        return d


def clip_object(clip_id: int) -> str:
    """The audit ``object`` of a clip."""
    return f"clip:{clip_id}"


def _aware(value: datetime, name: str, errors: list[FieldError]) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        errors.append(FieldError(name, f"naive datetime {value.isoformat()}: give a time zone (UTC)"))
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _clean_tags(tags: Sequence[str], errors: list[FieldError]) -> list[str]:
    cleaned = list(dict.fromkeys(t.strip() for t in tags if t and t.strip()))
    if len(cleaned) > MAX_TAGS:
        errors.append(FieldError("tags", f"{len(cleaned)} tags; at most {MAX_TAGS}"))
    long = [t for t in cleaned if len(t) > _TAG_CHARS or any(ord(c) < 32 for c in t)]
    if long:
        errors.append(FieldError("tags", f"{long[0]!r}: a tag is one line of at most {_TAG_CHARS} characters"))
    return cleaned


def _clean_note(note: str, errors: list[FieldError]) -> str:
    note = (note or "").strip()
    if len(note) > 10_000:
        errors.append(FieldError("note", f"{len(note)} characters; at most 10000"))
    return note


def _overlapping_segments(session: Session, camera_id: str, start: datetime, end: datetime) -> list[int]:
    """Ids of the camera's segments overlapping [start, end]. A segment still being written counts from its start
    (its ``end_at`` lags the newest packet by a couple of seconds)."""
    query = (select(RecordingSegmentRow.id)
             .where(RecordingSegmentRow.camera_id == camera_id, RecordingSegmentRow.start_at <= end,
                    or_(RecordingSegmentRow.end_at >= start, RecordingSegmentRow.status == "recording"))
             .order_by(RecordingSegmentRow.start_at, RecordingSegmentRow.id))
    return list(session.scalars(query))


class ClipRepository:
    def __init__(self, db: Database, bus: EventBus | None = None) -> None:
        self._db = db
        self._bus = bus

    # ---- tagging ---------------------------------------------------------------------------------------------

    def tag(self, actor: Actor, camera_id: str, start: datetime, end: datetime, tags: Sequence[str] = (),
            note: str = "", case: Case | int | str | None = None) -> Clip:
        """Mark [start, end] of ``camera_id`` as a clip (draft), hold its recorded segments, audit it; one
        transaction. Refuses (ValidationError) an unknown camera or case, a bad span, or a span with no
        recording at all."""
        errors: list[FieldError] = []
        start = _aware(start, "start", errors)
        end = _aware(end, "end", errors)
        if end <= start:
            errors.append(FieldError("end", f"{end.isoformat()} is not after start {start.isoformat()}"))
        elif end - start > MAX_SPAN:
            errors.append(FieldError("end", f"a clip spans at most {MAX_SPAN.total_seconds() / 3600:g} hours"))
        clean_tags = _clean_tags(tags, errors)
        note = _clean_note(note, errors)
        if errors:
            raise ValidationError(errors)
        require_audited(self._db, actor, Action.TAG_CLIPS, f"camera:{camera_id}")
        with self._db.session(write=True) as session:
            if session.get(CameraRow, camera_id) is None:
                raise ValidationError([FieldError("camera_id", f"no camera {camera_id!r}")])
            case_row = None if case is None else _case_row(session, case)
            segment_ids = _overlapping_segments(session, camera_id, start, end)
            if not segment_ids:
                raise ValidationError([FieldError("start", f"nothing of camera {camera_id} is recorded between "
                                                           f"{start.isoformat()} and {end.isoformat()}")])
            row = ClipRow(case_id=None if case_row is None else case_row.id, camera_id=camera_id, start_at=start,
                          end_at=end, tags=clean_tags, note=note, status="draft", created_by=actor.username)
            session.add(row)
            session.flush()
            session.add_all(EvidenceHoldRow(segment_id=segment_id, clip_id=row.id, reason=f"clip {row.id}",
                                            created_by=actor.username) for segment_id in segment_ids)
            session.flush()
            self.audit(session, actor, row.id, "tag",
                        {"camera_id": camera_id, "start_at": start, "end_at": end, "tags": clean_tags,
                         "note": note, "case": None if case_row is None else case_row.number,
                         "held_segments": segment_ids})
            clip = self._clip(session, row)
        events: list[Event] = [ClipTagged(clip_id=clip.id, camera_id=camera_id, case_id=clip.case_id,
                                          tags=clip.tags)]
        if clip.case_id is not None:
            events.append(CaseChanged(case_id=clip.case_id, what="clip"))
        self._publish(events)
        return clip

    def edit(self, actor: Actor, clip_id: int, *, tags: Sequence[str] | None = None,
             note: str | None = None) -> Clip:
        """Change a draft or rejected clip's tags or note (an approved or pending clip is frozen)."""
        errors: list[FieldError] = []
        values: dict[str, Any] = {}
        if tags is not None:
            values["tags"] = _clean_tags(tags, errors)
        if note is not None:
            values["note"] = _clean_note(note, errors)
        if errors:
            raise ValidationError(errors)
        return self._transition(actor, clip_id, Action.TAG_CLIPS, "edited", EDITABLE, values)

    def attach(self, actor: Actor, clip_id: int, case: Case | int | str | None) -> Clip:
        """Attach a clip to a case (None detaches it). Only while the clip is a draft or rejected, or has no case."""
        with self._db.session() as session:
            current = session.get(ClipRow, clip_id)
            if current is None:
                raise ClipNotFound(clip_id)
            case_id = None if case is None else _case_row(session, case).id
            allowed = CLIP_STATUSES if current.case_id is None else EDITABLE
        return self._transition(actor, clip_id, Action.TAG_CLIPS, "attached", allowed, {"case_id": case_id})

    def discard(self, actor: Actor, clip_id: int) -> None:
        """Delete a draft or rejected clip and release its holds. The audit trail keeps the record of it."""
        clip = self.get(clip_id)
        if clip is None:
            raise ClipNotFound(clip_id)
        require_audited(self._db, actor, Action.TAG_CLIPS, clip_object(clip_id))
        with self._db.session(write=True) as session:
            row = session.get(ClipRow, clip_id, with_for_update=True)
            if row is None:
                raise ClipNotFound(clip_id)
            _check_status(row, EDITABLE, "discarded")
            session.execute(delete(EvidenceHoldRow).where(EvidenceHoldRow.clip_id == clip_id))
            self.audit(session, actor, clip_id, "discard", {"status": row.status, "camera_id": row.camera_id,
                                                              "start_at": row.start_at, "end_at": row.end_at})
            session.delete(row)
        self._publish(self._change_events(clip, "discarded", "discarded", actor))

    # ---- review --------------------------------------------------------------------------------------------

    def submit(self, actor: Actor, clip_id: int) -> Clip:
        """Send a draft (or a rejected clip, after changes) to the supervisors' review queue."""
        return self._transition(actor, clip_id, Action.TAG_CLIPS, "submitted", EDITABLE,
                                {"status": "pending", "submitted_at": utcnow(), "reviewed_by": None,
                                 "reviewed_at": None})

    def review(self, actor: Actor, clip_id: int, approve: bool, comment: str = "") -> Clip:
        """Approve or reject a pending clip. Needs REVIEW_CLIPS; rejecting needs a comment; not one's own clip."""
        comment = (comment or "").strip()
        if not approve and not comment:
            raise ValidationError([FieldError("comment", "say why the clip is rejected")])
        if len(comment) > 5000:
            raise ValidationError([FieldError("comment", f"{len(comment)} characters; at most 5000")])
        clip = self.get(clip_id)
        if clip is None:
            raise ClipNotFound(clip_id)
        require_audited(self._db, actor, Action.REVIEW_CLIPS, clip_object(clip_id), {"change": "review"})
        if clip.created_by == actor.username:
            record_denied(self._db, actor, Action.REVIEW_CLIPS, clip_object(clip_id), {"reason": "own clip"})
            raise SelfReviewRefused(actor, clip_id)
        status = "approved" if approve else "rejected"
        return self._transition(actor, clip_id, Action.REVIEW_CLIPS, status, ("pending",),
                                {"status": status, "reviewed_by": actor.username, "reviewed_at": utcnow(),
                                 "review_comment": comment})

    def review_queue(self, actor: Actor) -> builtins.list[Clip]:
        """Clips waiting for review, longest waiting first (supervisors only)."""
        require_audited(self._db, actor, Action.REVIEW_CLIPS, "review_queue")
        query = select(ClipRow).where(ClipRow.status == "pending").order_by(ClipRow.submitted_at, ClipRow.id)
        return self._list(query)

    # ---- reading -----------------------------------------------------------------------------------------------

    def get(self, clip_id: int) -> Clip | None:
        with self._db.session() as session:
            row = session.get(ClipRow, clip_id)
            return None if row is None else self._clip(session, row)

    def clips_for_case(self, case: Case | int | str) -> builtins.list[Clip]:
        """A case's clips in time order (every status)."""
        with self._db.session() as session:
            case_id = _case_row(session, case).id
        return self._list(select(ClipRow).where(ClipRow.case_id == case_id)
                          .order_by(ClipRow.start_at, ClipRow.id))

    def my_clips(self, actor: Actor, statuses: Sequence[str] | None = None, limit: int = 200) -> builtins.list[Clip]:
        """The actor's own clips, most recently changed first: where each stands, and the reviewer's comment."""
        query = select(ClipRow).where(ClipRow.created_by == actor.username)
        if statuses:
            query = query.where(ClipRow.status.in_(list(statuses)))
        return self._list(query.order_by(ClipRow.updated_at.desc(), ClipRow.id.desc()).limit(max(1, limit)))

    def held_segment_ids(self, clip_id: int) -> builtins.list[int]:
        query = (select(EvidenceHoldRow.segment_id).where(EvidenceHoldRow.clip_id == clip_id)
                 .order_by(EvidenceHoldRow.segment_id))
        with self._db.session() as session:
            return list(session.scalars(query))

    # ---- internals -----------------------------------------------------------------------------------------

    def _transition(self, actor: Actor, clip_id: int, action: Action, what: str, allowed: Sequence[str],
                    values: dict[str, Any]) -> Clip:
        require_audited(self._db, actor, action, clip_object(clip_id), {"change": what})
        with self._db.session(write=True) as session:
            row = session.get(ClipRow, clip_id, with_for_update=True)
            if row is None:
                raise ClipNotFound(clip_id)
            _check_status(row, allowed, what)
            before_case = row.case_id
            changes: dict[str, Any] = {}
            for name, value in values.items():
                old = getattr(row, name)
                if old != value:
                    changes[name] = [old, value]
                    setattr(row, name, value)
            if changes:
                row.updated_at = utcnow()
                session.flush()
                self.audit(session, actor, clip_id, what, {"changes": changes})
            clip = self._clip(session, row)
        if changes:
            events = self._change_events(clip, what, clip.status, actor)
            if before_case is not None and before_case != clip.case_id:
                events.append(CaseChanged(case_id=before_case, what="clip"))
            self._publish(events)
        return clip

    @staticmethod
    def _change_events(clip: Clip, what: str, status: str, actor: Actor) -> list[Event]:
        events: list[Event] = [ClipChanged(clip_id=clip.id, what=what, status=status, case_id=clip.case_id,
                                           actor=actor.username)]
        if clip.case_id is not None:
            events.append(CaseChanged(case_id=clip.case_id, what="clip"))
        return events

    def _list(self, query: Any) -> builtins.list[Clip]:
        with self._db.session() as session:
            rows = list(session.scalars(query))
            return _clips(session, rows)

    @staticmethod
    def _clip(session: Session, row: ClipRow) -> Clip:
        return _clips(session, [row])[0]

    @staticmethod
    def audit(session: Session, actor: Actor, clip_id: int, action: str, detail: dict[str, Any]) -> None:
        append_audit(session, username=actor.username, workstation=actor.workstation,
                     event_type=AuditType.CLIP_CHANGE.value, object=clip_object(clip_id),
                     detail={"action": action, **detail})

    def _publish(self, events: Sequence[Event]) -> None:
        if self._bus is not None:
            for event in events:
                self._bus.publish(event)


def _clips(session: Session, rows: Sequence[ClipRow]) -> list[Clip]:
    """Clips for rows, with their case numbers, camera names and hold counts looked up in three queries."""
    case_ids = list({r.case_id for r in rows if r.case_id is not None})
    camera_ids = list({r.camera_id for r in rows})
    clip_ids = [r.id for r in rows]
    numbers: dict[int, str] = {}
    names: dict[str, str] = {}
    held: dict[int, int] = {}
    for i in range(0, max(len(case_ids), len(camera_ids), len(clip_ids)), 500):
        numbers.update({case_id: number for case_id, number in session.execute(
            select(CaseRow.id, CaseRow.number).where(CaseRow.id.in_(case_ids[i:i + 500])))})
        names.update({camera_id: name for camera_id, name in session.execute(
            select(CameraRow.id, CameraRow.name).where(CameraRow.id.in_(camera_ids[i:i + 500])))})
        held.update({clip_id: count for clip_id, count in session.execute(
            select(EvidenceHoldRow.clip_id, func.count()).where(EvidenceHoldRow.clip_id.in_(clip_ids[i:i + 500]))
            .group_by(EvidenceHoldRow.clip_id)) if clip_id is not None})
    return [Clip(id=r.id, case_id=r.case_id, case_number=None if r.case_id is None else numbers.get(r.case_id),
                 camera_id=r.camera_id, camera_name=names.get(r.camera_id, ""), start_at=r.start_at, end_at=r.end_at,
                 tags=tuple(r.tags or ()), note=r.note, status=r.status, submitted_at=r.submitted_at,
                 reviewed_by=r.reviewed_by, reviewed_at=r.reviewed_at, review_comment=r.review_comment,
                 created_by=r.created_by, created_at=r.created_at, updated_at=r.updated_at,
                 held_segments=held.get(r.id, 0))
            for r in rows]


def _case_row(session: Session, case: Case | int | str) -> CaseRow:
    if isinstance(case, Case):
        row = session.get(CaseRow, case.id)
    elif isinstance(case, int):
        row = session.get(CaseRow, case)
    else:
        row = session.scalar(select(CaseRow).where(CaseRow.number == case.strip()))
    if row is None:
        raise ValidationError([FieldError("case", str(CaseNotFound(case.number if isinstance(case, Case)
                                                                   else case)))])
    return row


def _check_status(row: ClipRow, allowed: Sequence[str], what: str) -> None:
    if row.status not in allowed:
        raise ValidationError([FieldError("status", f"clip {row.id} is {row.status}; only a "
                                                    f"{' or '.join(allowed)} clip can be {what}")])


__all__ = ["CLIP_STATUSES", "EDITABLE", "MAX_SPAN", "Clip", "ClipNotFound", "ClipRepository", "SelfReviewRefused",
           "clip_object"]
