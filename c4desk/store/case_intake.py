"""Open a case with everything an analyst's session produced, in one transaction.

After a shooting the analyst has already done the work: the alert answered, a trail hopped, a plate run, clips
tagged, minutes spent searching video. Filing that one item at a time took dozens of actions; here the case, its
links, its clips (attached and, if asked, submitted for review) and the video search log commit together, each with
its usual audit record, or nothing is stored and the refusal names the item and the reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from c4desk.domain.errors import FieldError, ValidationError
from c4desk.domain.events import CaseChanged, ClipChanged, Event
from c4desk.domain.permissions import Action, Actor
from c4desk.store.audit import require_audited
from c4desk.store.bus import EventBus
from c4desk.store.case_fields import (
    check_outcome,
    checked_link,
    duplicate_number,
    new_case_row,
    new_task_row,
    raise_errors,
)
from c4desk.store.case_records import Case, case_object
from c4desk.store.cases import CaseRepository, resolve_link, to_case
from c4desk.store.clips import EDITABLE, ClipRepository
from c4desk.store.db import Database
from c4desk.store.models import CaseLinkRow, CaseRow, ClipRow, utcnow

NUMBER_PREFIX = "RTCC"


@dataclass(frozen=True)
class SearchLog:
    """The video search the session was: cameras looked at, the span of video, what it found, minutes spent."""

    cameras: tuple[str, ...]
    window: tuple[datetime, datetime] | None
    outcome: str  # one of TASK_OUTCOMES, or "" while still searching
    minutes_spent: int = 0


@dataclass(frozen=True)
class CaseIntake:
    number: str
    case_type: str
    title: str = ""
    lead: str = ""
    description: str = ""
    links: tuple[tuple[str, str], ...] = ()  # (kind, ref): alerts, trails, plates, reads, stills, bookmarks
    clip_ids: tuple[int, ...] = ()  # the analyst's clips not yet in a case
    search: SearchLog | None = None
    submit_clips: bool = False  # send the clips to the supervisors' review queue as well


class CaseIntakeService:
    def __init__(self, db: Database, bus: EventBus | None = None) -> None:
        self._db = db
        self._bus = bus

    def open_case(self, actor: Actor, intake: CaseIntake) -> Case:
        """Store the case and all of ``intake``, or nothing (ValidationError naming the field and item)."""
        errors: list[FieldError] = []
        row = new_case_row(errors, intake.number, intake.case_type, title=intake.title, lead=intake.lead,
                           description=intake.description, opened_at=None, created_by=actor.username)
        links = [(kind, checked_link(kind, ref, errors)) for kind, ref in dict.fromkeys(intake.links)]
        task = None
        if intake.search is not None:
            search = intake.search
            task = new_task_row(errors, search.cameras, search.window, "Logged when the case was opened",
                                actor.username)
            if search.outcome:
                check_outcome(search.outcome, search.minutes_spent, errors)
        raise_errors(errors)
        require_audited(self._db, actor, Action.EDIT_CASES, case_object(row.number), {"intake": len(links)})
        if intake.clip_ids:
            require_audited(self._db, actor, Action.TAG_CLIPS, case_object(row.number), {"clips": len(intake.clip_ids)})
        events: list[Event] = []
        try:
            with self._db.session(write=True) as session:
                CaseRepository.insert_case(session, actor, row)
                for kind, ref in links:
                    _link(session, actor, row, kind, ref)
                for clip_id in dict.fromkeys(intake.clip_ids):
                    events += _file_clip(session, actor, clip_id, row.id, intake.submit_clips)
                if task is not None and intake.search is not None:
                    CaseRepository.insert_task(session, actor, row.id, row.number, task, intake.search.outcome,
                                               intake.search.minutes_spent if intake.search.outcome else 0)
                case = to_case(row)
        except IntegrityError as exc:  # another seat took the number between our check and the insert
            raise duplicate_number(row.number) from exc
        if self._bus is not None:
            for event in [CaseChanged(case_id=case.id, what="created"), *events]:
                self._bus.publish(event)
        return case

    def suggest_number(self, year: int) -> str:
        """The centre's next own number for a case opened before the agency's is known: RTCC-<year>-<nnnn>.
        (The analyst may type the agency's RMS number over it.)"""
        prefix = f"{NUMBER_PREFIX}-{year}-"
        with self._db.session() as session:
            numbers = session.scalars(select(CaseRow.number).where(CaseRow.number.like(f"{prefix}%")))
            taken = [int(n[len(prefix):]) for n in numbers if n[len(prefix):].isdigit()]
        return f"{prefix}{max(taken, default=0) + 1:04d}"


def _link(session: Session, actor: Actor, case_row: CaseRow, kind: str, ref: str) -> None:
    try:
        at, label = resolve_link(session, case_row, kind, ref)
    except ValidationError as exc:  # say which item of the intake it was
        raise ValidationError([FieldError("links", f"{kind} {ref}: {e.reason}") for e in exc.errors]) from None
    link = CaseLinkRow(case_id=case_row.id, kind=kind, ref=ref, at=at, label=label, linked_by=actor.username)
    session.add(link)
    session.flush()
    CaseRepository.audit(session, actor, case_row.number, "link", {"kind": kind, "ref": ref, "at": at, "label": label})


def _file_clip(session: Session, actor: Actor, clip_id: int, case_id: int, submit: bool) -> Sequence[Event]:
    """Attach one of the actor's unfiled clips to the new case (and submit it); its change events."""
    clip = session.get(ClipRow, clip_id, with_for_update=True)
    if clip is None:
        raise ValidationError([FieldError("clips", f"no clip {clip_id}")])
    if clip.case_id is not None:
        raise ValidationError([FieldError("clips", f"clip {clip_id} is already in another case")])
    now = utcnow()
    clip.case_id, clip.updated_at = case_id, now
    session.flush()
    ClipRepository.audit(session, actor, clip_id, "attached", {"changes": {"case_id": [None, case_id]}})
    what = "attached"
    if submit:
        if clip.status not in EDITABLE:
            raise ValidationError([FieldError("clips", f"clip {clip_id} is {clip.status}; only a draft or rejected "
                                                       "clip can be submitted")])
        changes = {"status": [clip.status, "pending"], "submitted_at": [clip.submitted_at, now]}
        clip.status, clip.submitted_at, clip.reviewed_by, clip.reviewed_at = "pending", now, None, None
        session.flush()
        ClipRepository.audit(session, actor, clip_id, "submitted", {"changes": changes})
        what = "submitted"
    return [ClipChanged(clip_id=clip_id, what=what, status=clip.status, case_id=case_id, actor=actor.username)]


__all__ = ["CaseIntake", "CaseIntakeService", "SearchLog"]
