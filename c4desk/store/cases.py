"""Cases: create and change them, link what belongs to them, log video searches and notes, draw their timeline.

Every change needs ``Action.EDIT_CASES`` (a refusal is audited), writes one chained ``case_change`` audit record
in the same transaction as the change (object ``case:<number>``), and publishes ``CaseChanged`` after commit.
Reads are open to every logged-in role.

The "video component" of a case (shared rule, see the brief): the value an RMS import stated in
``cases.video_component`` when there is one; otherwise True when a video search task found useful video or a
clip of the case exists that was not rejected.

The export record (``record_export``) lives here too: an evidence package belongs to its case, and its audit
record must be written in the same transaction as the row that points at it.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from c4desk.domain.audit import AuditType
from c4desk.domain.errors import FieldError, ValidationError
from c4desk.domain.events import CaseChanged
from c4desk.domain.permissions import Action, Actor
from c4desk.domain.plates import normalise_plate
from c4desk.domain.statistics import has_video_component
from c4desk.store.audit import append_audit, require_audited
from c4desk.store.bus import EventBus
from c4desk.store.case_fields import (
    check_outcome,
    checked_link,
    checked_text,
    checked_time,
    duplicate_number,
    int_ref,
    new_case_row,
    new_task_row,
    raise_errors,
    video_evidence,
)
from c4desk.store.case_records import (
    CASE_STATUSES,
    LINK_KINDS,
    TASK_OUTCOMES,
    AuditEntry,
    Case,
    CaseFilter,
    CaseKey,
    CaseLink,
    CaseNotFound,
    ExportRecord,
    IntelNote,
    TimelineItem,
    VideoSearchTask,
    case_object,
)
from c4desk.store.db import Database
from c4desk.store.models import (
    AlertRow,
    AuditEventRow,
    BookmarkRow,
    CaseLinkRow,
    CaseRow,
    ClipRow,
    EvidenceExportRow,
    HopStepRow,
    HopTrailRow,
    IntelNoteRow,
    PlateReadRow,
    SnapshotRow,
    VideoSearchTaskRow,
    utcnow,
)


def to_case(row: CaseRow) -> Case:
    return Case(id=row.id, number=row.number, title=row.title, description=row.description, status=row.status,
                case_type=row.case_type, lead_investigator=row.lead_investigator, opened_at=row.opened_at,
                cleared_at=row.cleared_at, closed_at=row.closed_at, excluded_reason=row.excluded_reason,
                video_component_stated=row.video_component, origin=row.origin, created_by=row.created_by,
                created_at=row.created_at, updated_at=row.updated_at)


def _to_link(row: CaseLinkRow) -> CaseLink:
    return CaseLink(id=row.id, case_id=row.case_id, kind=row.kind, ref=row.ref, at=row.at, label=row.label,
                    linked_by=row.linked_by, linked_at=row.linked_at)


def _to_task(row: VideoSearchTaskRow) -> VideoSearchTask:
    return VideoSearchTask(id=row.id, case_id=row.case_id, requested_by=row.requested_by,
                           requested_at=row.requested_at, window_start=row.window_start, window_end=row.window_end,
                           camera_ids=tuple(row.camera_ids or ()), description=row.description, status=row.status,
                           outcome=row.outcome, minutes_spent=row.minutes_spent, completed_at=row.completed_at)


def _to_note(row: IntelNoteRow) -> IntelNote:
    assert row.case_id is not None
    return IntelNote(id=row.id, case_id=row.case_id, author=row.author, body=row.body, created_at=row.created_at)


def _to_export(row: EvidenceExportRow) -> ExportRecord:
    return ExportRecord(id=row.id, case_id=row.case_id, exported_by=row.exported_by, exported_at=row.exported_at,
                        path=row.path, manifest_sha256=row.manifest_sha256, files=row.files, bytes=row.bytes)


class CaseRepository:
    def __init__(self, db: Database, bus: EventBus | None = None) -> None:
        self._db = db
        self._bus = bus

    # ---- cases ---------------------------------------------------------------------------------------------

    def create(self, actor: Actor, number: str, case_type: str, title: str = "", lead: str = "",
               opened_at: datetime | None = None, description: str = "") -> Case:
        """Open a new case. The number is the agency's own and must be unique (ValidationError on ``number``)."""
        errors: list[FieldError] = []
        row = new_case_row(errors, number, case_type, title=title, lead=lead, description=description,
                           opened_at=opened_at, created_by=actor.username)
        raise_errors(errors)
        require_audited(self._db, actor, Action.EDIT_CASES, case_object(row.number))
        try:
            with self._db.session(write=True) as session:
                self.insert_case(session, actor, row)
                case = to_case(row)
        except IntegrityError as exc:  # another seat created the same number between our check and insert
            raise duplicate_number(row.number) from exc
        self._changed(case.id, "created")
        return case

    def get(self, number: str) -> Case | None:
        with self._db.session() as session:
            row = session.scalar(select(CaseRow).where(CaseRow.number == number.strip()))
            return None if row is None else to_case(row)

    def get_by_id(self, case_id: int) -> Case | None:
        with self._db.session() as session:
            row = session.get(CaseRow, case_id)
            return None if row is None else to_case(row)

    def find(self, case: CaseKey) -> Case:
        """The case for a Case, id or number; CaseNotFound when there is none."""
        with self._db.session() as session:
            return to_case(self._row(session, case))

    def list(self, filters: CaseFilter | None = None) -> builtins.list[Case]:
        """Cases matching ``filters``, most recently opened first."""
        f = filters or CaseFilter()
        query = select(CaseRow)
        if f.status:
            query = query.where(CaseRow.status == f.status)
        if f.case_type:
            query = query.where(CaseRow.case_type == f.case_type.strip().lower())
        if f.lead:
            query = query.where(func.lower(CaseRow.lead_investigator) == f.lead.strip().lower())
        if f.text:
            like = f"%{f.text.strip().lower()}%"
            query = query.where(or_(func.lower(CaseRow.number).like(like), func.lower(CaseRow.title).like(like)))
        if f.opened_from is not None:
            query = query.where(CaseRow.opened_at >= f.opened_from)
        if f.opened_to is not None:
            query = query.where(CaseRow.opened_at < f.opened_to)
        query = query.order_by(CaseRow.opened_at.desc(), CaseRow.id.desc()).limit(max(1, f.limit))
        with self._db.session() as session:
            return [to_case(r) for r in session.scalars(query)]

    def update(self, actor: Actor, case: CaseKey, *, title: str | None = None, description: str | None = None,
               case_type: str | None = None, lead: str | None = None,
               excluded_reason: str | None = None) -> Case:
        """Change the given fields (None leaves a field alone). Records old and new values in the audit."""
        errors: list[FieldError] = []
        wanted: dict[str, Any] = {}
        if title is not None:
            wanted["title"] = checked_text(title, "title", 200, errors)
        if description is not None:
            wanted["description"] = checked_text(description, "description", 20_000, errors, single_line=False)
        if case_type is not None:
            wanted["case_type"] = checked_text(case_type, "case_type", 32, errors, required=True).lower()
        if lead is not None:
            wanted["lead_investigator"] = checked_text(lead, "lead_investigator", 64, errors)
        if excluded_reason is not None:
            wanted["excluded_reason"] = checked_text(excluded_reason, "excluded_reason", 2000, errors,
                                                     single_line=False)
        raise_errors(errors)
        return self._change(actor, case, "update", lambda row: _assign(row, wanted))

    def set_status(self, actor: Actor, case: CaseKey, status: str, at: datetime | None = None) -> Case:
        """open | cleared | closed. Clearing sets ``cleared_at``, closing ``closed_at``; reopening clears both."""
        errors: list[FieldError] = []
        if status not in CASE_STATUSES:
            errors.append(FieldError("status", f"{status!r} is not one of {', '.join(CASE_STATUSES)}"))
        when = checked_time(at, "at", errors) or utcnow()
        raise_errors(errors)

        def step(row: CaseRow) -> dict[str, Any]:
            changes = _assign(row, {"status": status})
            if status == "open":
                changes.update(_assign(row, {"cleared_at": None, "closed_at": None}))
            elif status == "cleared":
                changes.update(_assign(row, {"cleared_at": when, "closed_at": None}))
            else:
                changes.update(_assign(row, {"closed_at": when}))
            return changes

        return self._change(actor, case, "status", step)

    # ---- links ---------------------------------------------------------------------------------------------

    def link(self, actor: Actor, case: CaseKey, kind: str, ref: str | int, at: datetime | None = None,
             label: str = "") -> CaseLink:
        """Attach an alert, plate, plate read, hop trail, snapshot or bookmark to a case.

        The referenced item must exist (a plate is just normalised text). ``at`` and ``label`` default to the
        item's own time and description. Snapshots, bookmarks and trails also get their ``case_id`` set.
        Linking something already linked returns the existing link and records nothing.
        """
        errors: list[FieldError] = []
        ref_text = checked_link(kind, ref, errors)
        when = checked_time(at, "at", errors)
        label = checked_text(label, "label", 200, errors)
        raise_errors(errors)
        key = self.find(case)
        require_audited(self._db, actor, Action.EDIT_CASES, case_object(key.number), {"link": kind, "ref": ref_text})
        with self._db.session(write=True) as session:
            row = self._row(session, key.id)
            existing = session.scalar(select(CaseLinkRow).where(CaseLinkRow.case_id == row.id,
                                                                CaseLinkRow.kind == kind,
                                                                CaseLinkRow.ref == ref_text))
            if existing is not None:
                return _to_link(existing)
            item_at, item_label = resolve_link(session, row, kind, ref_text)
            link = CaseLinkRow(case_id=row.id, kind=kind, ref=ref_text, at=when or item_at,
                               label=label or item_label, linked_by=actor.username)
            session.add(link)
            row.updated_at = utcnow()
            session.flush()
            self.audit(session, actor, row.number, "link", {"kind": kind, "ref": ref_text, "at": link.at,
                                                              "label": link.label})
            result = _to_link(link)
        self._changed(result.case_id, "link")
        return result

    def unlink(self, actor: Actor, case: CaseKey, kind: str, ref: str | int) -> bool:
        """Detach an item; False when it was not linked (nothing recorded)."""
        key = self.find(case)
        ref_text = normalise_plate(str(ref)) if kind == "plate" else str(ref).strip()
        require_audited(self._db, actor, Action.EDIT_CASES, case_object(key.number), {"unlink": kind, "ref": ref_text})
        with self._db.session(write=True) as session:
            link = session.scalar(select(CaseLinkRow).where(CaseLinkRow.case_id == key.id, CaseLinkRow.kind == kind,
                                                            CaseLinkRow.ref == ref_text))
            if link is None:
                return False
            session.delete(link)
            detach_item(session, key.id, kind, ref_text)
            self.audit(session, actor, key.number, "unlink", {"kind": kind, "ref": ref_text})
        self._changed(key.id, "unlink")
        return True

    def links(self, case: CaseKey) -> builtins.list[CaseLink]:
        key = self.find(case)
        query = select(CaseLinkRow).where(CaseLinkRow.case_id == key.id).order_by(CaseLinkRow.linked_at,
                                                                                   CaseLinkRow.id)
        with self._db.session() as session:
            return [_to_link(r) for r in session.scalars(query)]

    # ---- video search tasks ---------------------------------------------------------------------------------

    def add_task(self, actor: Actor, case: CaseKey, cameras: Sequence[str],
                 window: tuple[datetime, datetime] | None = None, description: str = "",
                 requested_by: str = "", outcome: str = "", minutes_spent: int = 0) -> VideoSearchTask:
        """Log a search of recorded video for a case (who asked: ``requested_by``, default the actor).

        Without ``outcome`` the search is logged as still open; with one it is logged done, outcome and minutes
        in the same transaction (a search already finished is never stored half-way, as "open")."""
        errors: list[FieldError] = []
        task = new_task_row(errors, cameras, window, description, requested_by.strip() or actor.username)
        if outcome:
            check_outcome(outcome, minutes_spent, errors)
        raise_errors(errors)
        key = self.find(case)
        require_audited(self._db, actor, Action.EDIT_CASES, case_object(key.number), {"task": "add"})
        with self._db.session(write=True) as session:
            self.insert_task(session, actor, key.id, key.number, task, outcome, minutes_spent)
            logged = _to_task(task)
        self._changed(key.id, "task")
        return logged

    def complete_task(self, actor: Actor, task_id: int, outcome: str, minutes_spent: int) -> VideoSearchTask:
        """Record a search's outcome and the minutes it took. A done task may be corrected (audited again)."""
        errors: list[FieldError] = []
        check_outcome(outcome, minutes_spent, errors)
        raise_errors(errors)
        with self._db.session() as session:
            found = session.get(VideoSearchTaskRow, task_id)
            if found is None:
                raise ValidationError([FieldError("task_id", f"no video search task {task_id}")])
            number = self._row(session, found.case_id).number
        require_audited(self._db, actor, Action.EDIT_CASES, case_object(number), {"task": task_id})
        with self._db.session(write=True) as session:
            row = session.get(VideoSearchTaskRow, task_id)
            assert row is not None
            before = {"status": row.status, "outcome": row.outcome, "minutes_spent": row.minutes_spent}
            row.status, row.outcome, row.minutes_spent = "done", outcome, minutes_spent
            row.completed_at = utcnow()
            session.flush()
            self.audit(session, actor, number, "task_complete",
                        {"task_id": task_id, "before": before, "outcome": outcome, "minutes_spent": minutes_spent})
            task = _to_task(row)
        self._changed(task.case_id, "task")
        return task

    def tasks(self, case: CaseKey) -> builtins.list[VideoSearchTask]:
        key = self.find(case)
        query = (select(VideoSearchTaskRow).where(VideoSearchTaskRow.case_id == key.id)
                 .order_by(VideoSearchTaskRow.requested_at, VideoSearchTaskRow.id))
        with self._db.session() as session:
            return [_to_task(r) for r in session.scalars(query)]

    # ---- intel notes -------------------------------------------------------------------------------------------

    def add_note(self, actor: Actor, case: CaseKey, body: str) -> IntelNote:
        errors: list[FieldError] = []
        body = checked_text(body, "body", 20_000, errors, required=True, single_line=False)
        raise_errors(errors)
        key = self.find(case)
        require_audited(self._db, actor, Action.EDIT_CASES, case_object(key.number), {"note": "add"})
        with self._db.session(write=True) as session:
            row = IntelNoteRow(case_id=key.id, author=actor.username, body=body, extra={})
            session.add(row)
            session.flush()
            self.audit(session, actor, key.number, "note", {"note_id": row.id, "chars": len(body)})
            note = _to_note(row)
        self._changed(key.id, "note")
        return note

    def notes(self, case: CaseKey) -> builtins.list[IntelNote]:
        key = self.find(case)
        query = (select(IntelNoteRow).where(IntelNoteRow.case_id == key.id)
                 .order_by(IntelNoteRow.created_at, IntelNoteRow.id))
        with self._db.session() as session:
            return [_to_note(r) for r in session.scalars(query)]

    # ---- derived views -------------------------------------------------------------------------------------

    def video_component(self, case: CaseKey) -> bool:
        key = self.find(case)
        return self.video_components([key.id])[key.id]

    def video_components(self, case_ids: Sequence[int]) -> dict[int, bool]:
        """The video-component flag of many cases at once (see the module docstring for the rule)."""
        ids = list(dict.fromkeys(case_ids))
        useful_search, live_clip = video_evidence()
        result: dict[int, bool] = {}
        with self._db.session() as session:
            for i in range(0, len(ids), 500):
                rows = session.execute(select(CaseRow.id, CaseRow.video_component, useful_search, live_clip)
                                       .where(CaseRow.id.in_(ids[i:i + 500])))
                result.update({case_id: has_video_component(stated, bool(useful), bool(clipped))
                               for case_id, stated, useful, clipped in rows})
        return result

    def timeline(self, case: CaseKey) -> builtins.list[TimelineItem]:
        """Everything about a case in time order: status changes, linked items, clips, searches, notes, exports."""
        key = self.find(case)
        items: list[TimelineItem] = [TimelineItem(at=key.opened_at, end=None, kind="status", ref="opened",
                                                  title=f"Case {key.number} opened", by=key.created_by)]
        if key.cleared_at is not None:
            items.append(TimelineItem(at=key.cleared_at, end=None, kind="status", ref="cleared", title="Cleared"))
        if key.closed_at is not None:
            items.append(TimelineItem(at=key.closed_at, end=None, kind="status", ref="closed", title="Closed"))
        with self._db.session() as session:
            linked: set[tuple[str, str]] = set()
            for link in session.scalars(select(CaseLinkRow).where(CaseLinkRow.case_id == key.id)):
                linked.add((link.kind, link.ref))
                items.append(TimelineItem(at=link.at or link.linked_at, end=None, kind=link.kind, ref=link.ref,
                                          title=link.label or f"{link.kind} {link.ref}", by=link.linked_by,
                                          detail={"linked_at": link.linked_at, "time_known": link.at is not None}))
            for snap in session.scalars(select(SnapshotRow).where(SnapshotRow.case_id == key.id)):
                if ("snapshot", str(snap.id)) not in linked:
                    items.append(TimelineItem(at=snap.taken_at, end=None, kind="snapshot", ref=str(snap.id),
                                              title=f"Still: {snap.camera_name or snap.camera_id}", by=snap.taken_by,
                                              detail={"camera_id": snap.camera_id}))
            for mark in session.scalars(select(BookmarkRow).where(BookmarkRow.case_id == key.id)):
                if ("bookmark", str(mark.id)) not in linked:
                    items.append(TimelineItem(at=mark.at, end=None, kind="bookmark", ref=str(mark.id),
                                              title=mark.label or f"Bookmark on {mark.camera_id}",
                                              by=mark.created_by, detail={"camera_id": mark.camera_id}))
            for clip in session.scalars(select(ClipRow).where(ClipRow.case_id == key.id)):
                items.append(TimelineItem(at=clip.start_at, end=clip.end_at, kind="clip", ref=str(clip.id),
                                          title=f"Clip on {clip.camera_id} ({clip.status})", by=clip.created_by,
                                          detail={"camera_id": clip.camera_id, "status": clip.status,
                                                  "tags": list(clip.tags or []), "note": clip.note}))
            for task in session.scalars(select(VideoSearchTaskRow).where(VideoSearchTaskRow.case_id == key.id)):
                outcome = task.outcome.replace("_", " ") if task.outcome else "open"
                items.append(TimelineItem(at=task.window_start or task.requested_at, end=task.window_end,
                                          kind="video_search", ref=str(task.id),
                                          title=f"Video search, {len(task.camera_ids or [])} camera(s): {outcome}",
                                          by=task.requested_by,
                                          detail={"camera_ids": list(task.camera_ids or []), "outcome": task.outcome,
                                                  "minutes_spent": task.minutes_spent,
                                                  "description": task.description}))
            for note in session.scalars(select(IntelNoteRow).where(IntelNoteRow.case_id == key.id)):
                first_line = note.body.splitlines()[0] if note.body else ""
                items.append(TimelineItem(at=note.created_at, end=None, kind="note", ref=str(note.id),
                                          title=first_line[:120], by=note.author, detail={"body": note.body}))
            for export in session.scalars(select(EvidenceExportRow).where(EvidenceExportRow.case_id == key.id)):
                items.append(TimelineItem(at=export.exported_at, end=None, kind="export", ref=str(export.id),
                                          title=f"Evidence exported ({export.files} files)", by=export.exported_by,
                                          detail={"path": export.path, "manifest_sha256": export.manifest_sha256}))
        return sorted(items, key=lambda item: (item.at, item.kind, item.ref))

    # ---- evidence exports and custody ---------------------------------------------------------------------------

    def authorize_export(self, actor: Actor, case: CaseKey) -> Case:
        """The case, if ``actor`` may export evidence (a refusal is audited and raised as PermissionDenied)."""
        key = self.find(case)
        require_audited(self._db, actor, Action.EXPORT_EVIDENCE, case_object(key.number))
        return key

    def record_export(self, actor: Actor, case: CaseKey, *, path: str, manifest_sha256: str, files: int,
                      size: int, detail: dict[str, Any], finalize: Callable[[], None]) -> ExportRecord:
        """Record a finished package and its ``export`` audit record, calling ``finalize()`` (the rename that puts
        the package in place) inside the transaction: if it fails nothing is recorded; if the record fails the
        caller undoes the rename. Needs EXPORT_EVIDENCE."""
        key = self.authorize_export(actor, case)
        with self._db.session(write=True) as session:
            row = EvidenceExportRow(case_id=key.id, exported_by=actor.username, exported_at=utcnow(), path=path,
                                    manifest_sha256=manifest_sha256, files=files, bytes=size)
            session.add(row)
            session.flush()
            append_audit(session, username=actor.username, workstation=actor.workstation,
                         event_type=AuditType.EXPORT.value, object=case_object(key.number),
                         detail={"export_id": row.id, "path": path, "manifest_sha256": manifest_sha256,
                                 "files": files, "bytes": size, **detail})
            record = _to_export(row)
            finalize()
        self._changed(key.id, "export")
        return record

    def record_export_failure(self, actor: Actor, case: CaseKey, detail: dict[str, Any]) -> None:
        """Audit an export that did not finish (outcome ``failure``; ``detail`` says why, e.g. cancelled)."""
        key = self.find(case)
        with self._db.session(write=True) as session:
            append_audit(session, username=actor.username, workstation=actor.workstation,
                         event_type=AuditType.EXPORT.value, object=case_object(key.number), outcome="failure",
                         detail=detail)

    def exports(self, case: CaseKey) -> builtins.list[ExportRecord]:
        key = self.find(case)
        query = (select(EvidenceExportRow).where(EvidenceExportRow.case_id == key.id)
                 .order_by(EvidenceExportRow.exported_at, EvidenceExportRow.id))
        with self._db.session() as session:
            return [_to_export(r) for r in session.scalars(query)]

    def export_by_manifest(self, manifest_sha256: str) -> ExportRecord | None:
        """The export whose manifest has this SHA-256 (how a package is matched to its record)."""
        query = (select(EvidenceExportRow).where(EvidenceExportRow.manifest_sha256 == manifest_sha256.lower())
                 .order_by(EvidenceExportRow.id).limit(1))
        with self._db.session() as session:
            row = session.scalar(query)
            return None if row is None else _to_export(row)

    def custody_events(self, case: CaseKey, clip_ids: Sequence[int] = ()) -> builtins.list[AuditEntry]:
        """The audit records about a case and the given clips, oldest first (for the chain-of-custody log)."""
        key = self.find(case)
        objects = [case_object(key.number), *(f"clip:{i}" for i in clip_ids)]
        entries: list[AuditEntry] = []
        with self._db.session() as session:
            for i in range(0, len(objects), 500):
                query = select(AuditEventRow).where(AuditEventRow.object.in_(objects[i:i + 500]))
                entries.extend(AuditEntry(id=r.id, at=r.at, username=r.username, workstation=r.workstation,
                                          event_type=r.event_type, object=r.object, outcome=r.outcome,
                                          detail=dict(r.detail or {}), hash=r.hash)
                               for r in session.scalars(query))
        return sorted(entries, key=lambda e: e.id)

    # ---- internals -----------------------------------------------------------------------------------------

    @staticmethod
    def _row(session: Session, case: CaseKey) -> CaseRow:
        if isinstance(case, Case):
            row = session.get(CaseRow, case.id)
        elif isinstance(case, int):
            row = session.get(CaseRow, case)
        else:
            row = session.scalar(select(CaseRow).where(CaseRow.number == str(case).strip()))
        if row is None:
            raise CaseNotFound(case.number if isinstance(case, Case) else case)
        return row

    def _change(self, actor: Actor, case: CaseKey, action: str, step: Callable[[CaseRow], dict[str, Any]]) -> Case:
        key = self.find(case)
        require_audited(self._db, actor, Action.EDIT_CASES, case_object(key.number))
        with self._db.session(write=True) as session:
            row = self._row(session, key.id)
            changes = step(row)
            if changes:
                row.updated_at = utcnow()
                session.flush()
                self.audit(session, actor, row.number, action, {"changes": changes})
            result = to_case(row)
        if changes:
            self._changed(result.id, action)
        return result

    @classmethod
    def insert_case(cls, session: Session, actor: Actor, row: CaseRow) -> None:
        """Store a checked new case row in ``session`` with its audit record (the caller commits)."""
        if session.scalar(select(CaseRow.id).where(CaseRow.number == row.number)) is not None:
            raise duplicate_number(row.number)
        session.add(row)
        session.flush()
        cls.audit(session, actor, row.number, "create",
                   {"case_type": row.case_type, "title": row.title, "lead_investigator": row.lead_investigator,
                    "opened_at": row.opened_at})

    @classmethod
    def insert_task(cls, session: Session, actor: Actor, case_id: int, number: str, row: VideoSearchTaskRow,
                  outcome: str, minutes_spent: int) -> None:
        """Store a checked task row in ``session`` (done at once when it has an outcome) with its audit record."""
        row.case_id = case_id
        if outcome:
            row.status, row.outcome, row.minutes_spent, row.completed_at = "done", outcome, minutes_spent, utcnow()
        session.add(row)
        session.flush()
        detail: dict[str, Any] = {"task_id": row.id, "cameras": row.camera_ids, "window_start": row.window_start,
                                  "window_end": row.window_end, "requested_by": row.requested_by}
        if outcome:
            detail.update(outcome=outcome, minutes_spent=minutes_spent)
        cls.audit(session, actor, number, "task_add", detail)

    @staticmethod
    def audit(session: Session, actor: Actor, number: str, action: str, detail: dict[str, Any]) -> None:
        append_audit(session, username=actor.username, workstation=actor.workstation,
                     event_type=AuditType.CASE_CHANGE.value, object=case_object(number),
                     detail={"action": action, **detail})

    def _changed(self, case_id: int, what: str) -> None:
        if self._bus is not None:
            self._bus.publish(CaseChanged(case_id=case_id, what=what))


def _assign(row: CaseRow, values: dict[str, Any]) -> dict[str, Any]:
    """Set the values that differ; returns {field: [old, new]} for the audit."""
    changes: dict[str, Any] = {}
    for name, value in values.items():
        old = getattr(row, name)
        if old != value:
            changes[name] = [old, value]
            setattr(row, name, value)
    return changes


def resolve_link(session: Session, case: CaseRow, kind: str, ref: str) -> tuple[datetime | None, str]:
    """Check that the item exists; return its own time and a label. Attaches stills, bookmarks and trails."""
    missing = ValidationError([FieldError("ref", f"no {kind.replace('_', ' ')} {ref}")])
    if kind == "alert":
        alert = session.get(AlertRow, ref)
        if alert is None:
            raise missing
        return alert.detected_at, " ".join(p for p in (alert.type.replace("_", " "), alert.address) if p)
    if kind == "plate":
        return None, ref
    if kind == "plate_read":
        read = session.get(PlateReadRow, int_ref(kind, ref))
        if read is None:
            raise missing
        return read.read_at, f"{read.plate_raw} on {read.camera_id}"
    if kind == "trail":
        trail = session.get(HopTrailRow, int_ref(kind, ref))
        if trail is None:
            raise missing
        if trail.case_id is None:
            trail.case_id = case.id
        first = session.scalar(select(func.min(HopStepRow.time_in)).where(HopStepRow.trail_id == trail.id))
        return first or trail.created_at, trail.label or f"Trail {trail.plate}".strip()
    if kind == "snapshot":
        snap = session.get(SnapshotRow, int_ref(kind, ref))
        if snap is None:
            raise missing
        snap.case_id = case.id
        return snap.taken_at, f"Still: {snap.camera_name or snap.camera_id}"
    mark = session.get(BookmarkRow, int_ref(kind, ref))
    if mark is None:
        raise missing
    mark.case_id = case.id
    return mark.at, mark.label or f"Bookmark on {mark.camera_id}"


def detach_item(session: Session, case_id: int, kind: str, ref: str) -> None:
    """Undo the case_id a link set on a still, bookmark or trail (only if it still points at this case)."""
    tables: dict[str, Any] = {"snapshot": SnapshotRow, "bookmark": BookmarkRow, "trail": HopTrailRow}
    table = tables.get(kind)
    if table is None or not ref.isdigit():
        return
    item = session.get(table, int(ref))
    if item is not None and item.case_id == case_id:
        item.case_id = None


__all__ = ["CASE_STATUSES", "LINK_KINDS", "TASK_OUTCOMES", "AuditEntry", "Case", "CaseFilter", "CaseKey",
           "CaseLink", "CaseNotFound", "CaseRepository", "ExportRecord", "IntelNote", "TimelineItem",
           "VideoSearchTask", "case_object"]
