"""Hop trails ("follow" mode): each camera a followed vehicle was watched on, with the video time in and out.

Starting a trail, hopping and finishing need ``Action.TAG_CLIPS`` (the same right as marking clips: it is evidence
work); attaching a trail to a case also needs ``Action.EDIT_CASES``, as any case link does. Refusals are audited;
every change writes one ``case_change`` audit record in its own transaction (object ``trail:<id>``, or the case's
``case:<number>`` when a case link changes) and publishes ``TrailChanged`` after commit.

A trail is linked to a case the way ``CaseRepository.link`` does it (``hop_trails.case_id`` plus one
``case_links`` row of kind ``trail``), so the case's timeline lists it whichever way it was attached.
"""

from __future__ import annotations

import builtins
import re
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from c4desk.domain.audit import AuditType
from c4desk.domain.errors import FieldError, ValidationError
from c4desk.domain.events import CaseChanged, TrailChanged
from c4desk.domain.hop_trail import Trail, TrailStep
from c4desk.domain.permissions import Action, Actor
from c4desk.domain.plates import normalise_plate
from c4desk.store.audit import append_audit, require_audited
from c4desk.store.bus import EventBus
from c4desk.store.cases import case_object
from c4desk.store.db import Database
from c4desk.store.models import CameraRow, CaseLinkRow, CaseRow, HopStepRow, HopTrailRow, utcnow

MAX_PLATE = 32
MAX_LABEL = 200
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def trail_object(trail_id: int) -> str:
    """The audit ``object`` of a trail."""
    return f"trail:{trail_id}"


def _to_trail(row: HopTrailRow, steps: builtins.list[HopStepRow]) -> Trail:
    return Trail(id=row.id, plate=row.plate, label=row.label, started_by=row.started_by, created_at=row.created_at,
                 case_id=row.case_id,
                 steps=tuple(TrailStep(s.seq, s.camera_id, s.time_in, s.time_out) for s in steps))


def _aware(value: datetime, name: str) -> datetime:
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise ValidationError([FieldError(name, "must be a time with a zone (UTC)")])
    return value


def _steps(session: Session, trail_id: int) -> builtins.list[HopStepRow]:
    return list(session.scalars(select(HopStepRow).where(HopStepRow.trail_id == trail_id).order_by(HopStepRow.seq)))


class TrailRepository:
    def __init__(self, db: Database, bus: EventBus | None = None) -> None:
        self._db = db
        self._bus = bus

    # --- changes ------------------------------------------------------------------------------------------------

    def start(self, actor: Actor, *, case_id: int | None = None, plate: str = "", label: str = "") -> int:
        """A new, empty trail (its first ``hop`` names the first camera); returns its id."""
        errors: list[FieldError] = []
        plate_norm = normalise_plate(plate)
        if len(plate_norm) > MAX_PLATE:
            errors.append(FieldError("plate", f"longer than {MAX_PLATE} characters"))
        label = label.strip()
        if len(label) > MAX_LABEL:
            errors.append(FieldError("label", f"longer than {MAX_LABEL} characters"))
        if _CONTROL.search(label):
            errors.append(FieldError("label", "contains control characters"))
        if errors:
            raise ValidationError(errors)
        require_audited(self._db, actor, Action.TAG_CLIPS, "trail:new", {"attempt": "start"})
        if case_id is not None:
            require_audited(self._db, actor, Action.EDIT_CASES, f"case-id:{case_id}", {"attempt": "trail"})
        with self._db.session(write=True) as session:
            case = self._case(session, case_id) if case_id is not None else None
            row = HopTrailRow(case_id=None, plate=plate_norm, label=label, started_by=actor.username,
                              created_at=utcnow())
            session.add(row)
            session.flush()
            self._audit(session, actor, trail_object(row.id), {"action": "trail_start", "plate": plate_norm,
                                                                "label": label})
            if case is not None:
                self._link(session, actor, row, case)
            trail_id = row.id
        self._publish(TrailChanged(trail_id=trail_id, what="started", case_id=case_id))
        if case_id is not None:
            self._publish(CaseChanged(case_id=case_id, what="link"))
        return trail_id

    def hop(self, actor: Actor, trail_id: int, camera_id: str, time_in: datetime) -> TrailStep:
        """Follow the vehicle onto ``camera_id`` at video time ``time_in``: the step before (if still open)
        ends at ``time_in``. Returns the new step."""
        _aware(time_in, "time_in")
        require_audited(self._db, actor, Action.TAG_CLIPS, trail_object(trail_id), {"attempt": "hop"})
        with self._db.session(write=True) as session:
            row = self._trail(session, trail_id)
            if session.get(CameraRow, camera_id) is None:
                raise ValidationError([FieldError("camera_id", f"no camera {camera_id!r}")])
            steps = _steps(session, trail_id)
            last = steps[-1] if steps else None
            if last is not None:
                if last.camera_id == camera_id and last.time_out is None:
                    raise ValidationError([FieldError("camera_id", f"the trail is already on {camera_id}")])
                if time_in < last.time_in:
                    raise ValidationError([FieldError(
                        "time_in", f"{time_in.isoformat()} is before the last step's time in "
                                   f"({last.time_in.isoformat()})")])
                if last.time_out is None:
                    last.time_out = time_in
            step = HopStepRow(trail_id=row.id, seq=(last.seq + 1) if last else 1, camera_id=camera_id,
                              time_in=time_in, time_out=None)
            session.add(step)
            if last is None and row.case_id is not None:
                # The case timeline places a trail at its first sighting (video time), known only now.
                for link in session.scalars(select(CaseLinkRow).where(CaseLinkRow.case_id == row.case_id,
                                                                      CaseLinkRow.kind == "trail",
                                                                      CaseLinkRow.ref == str(row.id))):
                    link.at = time_in
            session.flush()
            self._audit(session, actor, trail_object(row.id), {"action": "trail_hop", "seq": step.seq,
                                                                "camera_id": camera_id, "time_in": time_in})
            result = TrailStep(step.seq, step.camera_id, step.time_in, None)
            case_id = row.case_id
        self._publish(TrailChanged(trail_id=trail_id, what="hop", case_id=case_id))
        return result

    def finish(self, actor: Actor, trail_id: int, time_out: datetime) -> Trail:
        """End the last step at ``time_out`` (the vehicle left the last camera, or the analyst stopped)."""
        _aware(time_out, "time_out")
        require_audited(self._db, actor, Action.TAG_CLIPS, trail_object(trail_id), {"attempt": "finish"})
        with self._db.session(write=True) as session:
            row = self._trail(session, trail_id)
            steps = _steps(session, trail_id)
            if not steps:
                raise ValidationError([FieldError("trail_id", f"trail {trail_id} has no steps to finish")])
            last = steps[-1]
            if time_out < last.time_in:
                raise ValidationError([FieldError(
                    "time_out", f"{time_out.isoformat()} is before the last step's time in "
                                f"({last.time_in.isoformat()})")])
            last.time_out = time_out
            session.flush()
            self._audit(session, actor, trail_object(row.id), {"action": "trail_finish", "seq": last.seq,
                                                                "time_out": time_out})
            result = _to_trail(row, steps)
        self._publish(TrailChanged(trail_id=trail_id, what="finished", case_id=result.case_id))
        return result

    def attach(self, actor: Actor, trail_id: int, case_id: int) -> Trail:
        """Attach the trail to a case (moving it from the case it was on, if any)."""
        require_audited(self._db, actor, Action.EDIT_CASES, trail_object(trail_id), {"attempt": "attach",
                                                                                     "case_id": case_id})
        with self._db.session(write=True) as session:
            row = self._trail(session, trail_id)
            case = self._case(session, case_id)
            old_case = row.case_id
            if old_case == case.id:
                return _to_trail(row, _steps(session, trail_id))
            self._link(session, actor, row, case)
            result = _to_trail(row, _steps(session, trail_id))
        self._publish(TrailChanged(trail_id=trail_id, what="attached", case_id=case_id))
        for changed in (old_case, case_id):
            if changed is not None:
                self._publish(CaseChanged(case_id=changed, what="link" if changed == case_id else "unlink"))
        return result

    # --- reads --------------------------------------------------------------------------------------------------

    def get(self, trail_id: int) -> Trail | None:
        with self._db.session() as session:
            row = session.get(HopTrailRow, trail_id)
            return None if row is None else _to_trail(row, _steps(session, trail_id))

    def for_case(self, case_id: int) -> builtins.list[Trail]:
        """The case's trails, oldest first."""
        query = select(HopTrailRow).where(HopTrailRow.case_id == case_id).order_by(HopTrailRow.created_at,
                                                                                  HopTrailRow.id)
        return self._load(query)

    def recent(self, limit: int = 50) -> builtins.list[Trail]:
        """The latest trails, newest first."""
        if not 1 <= limit <= 10_000:
            raise ValidationError([FieldError("limit", "must be 1-10000")])
        query = select(HopTrailRow).order_by(HopTrailRow.created_at.desc(), HopTrailRow.id.desc()).limit(limit)
        return self._load(query)

    # --- helpers ------------------------------------------------------------------------------------------------

    def _load(self, query: Any) -> builtins.list[Trail]:
        with self._db.session() as session:
            rows = list(session.scalars(query))
            steps: dict[int, builtins.list[HopStepRow]] = {r.id: [] for r in rows}
            if rows:
                for step in session.scalars(select(HopStepRow).where(HopStepRow.trail_id.in_(list(steps)))
                                            .order_by(HopStepRow.trail_id, HopStepRow.seq)):
                    steps[step.trail_id].append(step)
            return [_to_trail(r, steps[r.id]) for r in rows]

    def _trail(self, session: Session, trail_id: int) -> HopTrailRow:
        # FOR UPDATE: two seats hopping the same trail at once take turns (SQLite write sessions already do).
        row = session.scalar(select(HopTrailRow).where(HopTrailRow.id == trail_id).with_for_update())
        if row is None:
            raise ValidationError([FieldError("trail_id", f"no trail {trail_id}")])
        return row

    @staticmethod
    def _case(session: Session, case_id: int) -> CaseRow:
        case = session.get(CaseRow, case_id)
        if case is None:
            raise ValidationError([FieldError("case_id", f"no case with id {case_id}")])
        return case

    def _link(self, session: Session, actor: Actor, row: HopTrailRow, case: CaseRow) -> None:
        """Point the trail at ``case`` and give the case its ``trail`` link (dropping the old case's link)."""
        ref = str(row.id)
        moved_from = None
        if row.case_id is not None and row.case_id != case.id:
            old = session.get(CaseRow, row.case_id)
            moved_from = old.number if old is not None else None
            for link in session.scalars(select(CaseLinkRow).where(CaseLinkRow.case_id == row.case_id,
                                                                  CaseLinkRow.kind == "trail",
                                                                  CaseLinkRow.ref == ref)):
                session.delete(link)
        row.case_id = case.id
        exists = session.scalar(select(CaseLinkRow.id).where(CaseLinkRow.case_id == case.id,
                                                             CaseLinkRow.kind == "trail", CaseLinkRow.ref == ref))
        first = session.scalar(select(func.min(HopStepRow.time_in)).where(HopStepRow.trail_id == row.id))
        label = row.label or f"Trail {row.plate}".strip()
        if exists is None:
            session.add(CaseLinkRow(case_id=case.id, kind="trail", ref=ref, at=first or row.created_at, label=label,
                                    linked_by=actor.username))
        case.updated_at = utcnow()
        session.flush()
        self._audit(session, actor, case_object(case.number), {"action": "link", "kind": "trail", "ref": ref,
                                                                "label": label, "moved_from": moved_from})

    @staticmethod
    def _audit(session: Session, actor: Actor, obj: str, detail: dict[str, Any]) -> None:
        append_audit(session, username=actor.username, workstation=actor.workstation,
                     event_type=AuditType.CASE_CHANGE.value, object=obj, detail=detail)

    def _publish(self, event: TrailChanged | CaseChanged) -> None:
        if self._bus is not None:
            self._bus.publish(event)
