"""Historical cases for the solvability figures: the RMS import, and the bulk loader the demo's year uses.

**RMS import** (``CaseHistoryRepository.import_cases``): needs ``Action.IMPORT_CASES`` (a refusal is audited);
all cases go in one transaction with one ``case_change`` audit record naming every case created and updated,
so the import is all or nothing. A case number already known is **updated** from the file (type, opened,
status, cleared, video component, exclusion; the title only when the file gives one): the RMS is the record of
clearance, and re-importing a newer export must move cases on, not duplicate or skip them. Such a case keeps
its ``origin`` (a case made here stays ``local``, with its links); new cases are ``origin = 'rms'``.

**Bulk history** (``load_history``): a whole year of generated rows (cases, search tasks, alerts, plate reads
and hits, recording gaps, radar sites and readings, and the camera views analysts' responses left, as audit
records) in one transaction, skipped when its marker case exists.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from c4desk.domain.alerts import Alert
from c4desk.domain.audit import AuditType
from c4desk.domain.errors import FieldError, ValidationError
from c4desk.domain.permissions import Action, Actor
from c4desk.domain.plates import LprRead
from c4desk.domain.radar import RadarReading, RadarSite
from c4desk.store.audit import PastAuditEvent, append_audit, append_history_audit, require_audited
from c4desk.store.db import Database
from c4desk.store.models import (
    AlertHistoryRow,
    AlertRow,
    CaseRow,
    PlateReadRow,
    RecordingGapRow,
    VideoSearchTaskRow,
)
from c4desk.store.plate_reads import row_values as read_values
from c4desk.store.radar import insert_readings, put_site

CASE_STATUSES = ("open", "cleared", "closed")
MAX_NUMBER = 64
MAX_TYPE = 32
MAX_TITLE = 200
MAX_REASON = 1000
ORIGIN_RMS = "rms"
_CHUNK = 5_000


def _aware(t: datetime) -> bool:
    return t.tzinfo is not None and t.utcoffset() is not None


@dataclass(frozen=True, kw_only=True)
class HistoricCase:
    """A case as an RMS export (or the demo generator) states it. Checked on construction."""

    number: str
    case_type: str
    opened_at: datetime
    status: str
    cleared_at: datetime | None = None
    video_component: bool | None = None
    excluded_reason: str = ""
    title: str = ""
    origin: str = ORIGIN_RMS
    lead_investigator: str = ""

    def __post_init__(self) -> None:
        errors: list[FieldError] = []
        if not self.number.strip():
            errors.append(FieldError("number", "required"))
        elif len(self.number) > MAX_NUMBER:
            errors.append(FieldError("number", f"longer than {MAX_NUMBER} characters"))
        if not self.case_type.strip():
            errors.append(FieldError("type", "required"))
        elif len(self.case_type) > MAX_TYPE:
            errors.append(FieldError("type", f"longer than {MAX_TYPE} characters"))
        if self.status not in CASE_STATUSES:
            errors.append(FieldError("status", f"{self.status!r} is not one of {', '.join(CASE_STATUSES)}"))
        if not _aware(self.opened_at):
            errors.append(FieldError("opened_at", "must carry a time zone"))
        if self.cleared_at is not None:
            if not _aware(self.cleared_at):
                errors.append(FieldError("cleared_at", "must carry a time zone"))
            elif _aware(self.opened_at) and self.cleared_at < self.opened_at:
                errors.append(FieldError("cleared_at", "is before opened_at"))
            if self.status == "open":
                errors.append(FieldError("cleared_at", "is set but status is open"))
        if len(self.excluded_reason) > MAX_REASON:
            errors.append(FieldError("excluded_reason", f"longer than {MAX_REASON} characters"))
        if len(self.title) > MAX_TITLE:
            errors.append(FieldError("title", f"longer than {MAX_TITLE} characters"))
        if errors:
            raise ValidationError(errors)

    def values(self) -> dict[str, Any]:
        """Column values the file decides (the title only when it gives one)."""
        out: dict[str, Any] = {"case_type": self.case_type.strip().lower(), "opened_at": self.opened_at.astimezone(UTC),
                               "status": self.status,
                               "cleared_at": self.cleared_at.astimezone(UTC) if self.cleared_at else None,
                               "video_component": self.video_component, "excluded_reason": self.excluded_reason}
        if self.title:
            out["title"] = self.title
        return out


@dataclass(frozen=True)
class CaseImportSummary:
    created: int
    updated: int
    unchanged: int


def _changed(row: CaseRow, values: dict[str, Any]) -> bool:
    return any(getattr(row, k) != v for k, v in values.items())


class CaseHistoryRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def import_cases(self, cases: Sequence[HistoricCase], *, actor: Actor, source: str = "") -> CaseImportSummary:
        """Store an RMS export's cases (new ones created, known numbers updated), all or nothing, audited."""
        obj = f"cases:import:{source}"[:255]
        require_audited(self._db, actor, Action.IMPORT_CASES, obj)
        seen: dict[str, int] = {}
        errors = []
        for i, case in enumerate(cases):
            if case.number in seen:
                errors.append(FieldError("number", f"{case.number} appears twice (records {seen[case.number] + 1} "
                                                   f"and {i + 1})"))
            seen[case.number] = i
        if errors:
            raise ValidationError(errors)
        created: list[str] = []
        updated: list[str] = []
        unchanged = 0
        with self._db.session(write=True) as session:
            existing = _rows_by_number(session, [c.number for c in cases])
            for case in cases:
                values = case.values()
                row = existing.get(case.number)
                if row is None:
                    session.add(CaseRow(number=case.number, title=case.title, origin=case.origin,
                                        created_by=actor.username, lead_investigator=case.lead_investigator,
                                        **values))
                    created.append(case.number)
                elif _changed(row, values):
                    for k, v in values.items():
                        setattr(row, k, v)
                    updated.append(case.number)
                else:
                    unchanged += 1
            session.flush()
            append_audit(session, username=actor.username, workstation=actor.workstation,
                         event_type=AuditType.CASE_CHANGE.value, object=obj,
                         detail={"action": "import", "source": source, "created": created, "updated": updated,
                                 "unchanged": unchanged})
        return CaseImportSummary(len(created), len(updated), unchanged)


def _rows_by_number(session: Session, numbers: Sequence[str]) -> dict[str, CaseRow]:
    out: dict[str, CaseRow] = {}
    unique = sorted(set(numbers))
    for i in range(0, len(unique), 500):
        chunk = unique[i:i + 500]
        out.update((r.number, r) for r in session.scalars(select(CaseRow).where(CaseRow.number.in_(chunk))))
    return out


# --- the bulk loader for generated history (the demo's year) -----------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class HistoricSearchTask:
    case_number: str
    requested_by: str
    requested_at: datetime
    window_start: datetime
    window_end: datetime
    camera_ids: tuple[str, ...]
    description: str
    outcome: str  # useful_video | nothing_relevant | camera_offline | "" (still open)
    minutes_spent: int | None
    completed_at: datetime | None


@dataclass(frozen=True, kw_only=True)
class HistoricGap:
    camera_id: str
    start_at: datetime
    end_at: datetime | None
    reason: str


@dataclass(frozen=True, kw_only=True)
class HistoricHit:
    """A hotlist hit in history: the read that hit, and the (closed) alert it raised (its payload gets read_id)."""

    read: LprRead
    alert: Alert


@dataclass(frozen=True, kw_only=True)
class HistoricView:
    """A camera viewed for an alert in history (a ``view_live``/``view_recorded`` audit record at ``at``): what an
    analyst's response left, so the "alert to first camera view" figure has a past."""

    at: datetime
    username: str
    workstation: str
    camera_id: str
    alert_id: str
    recorded: bool = False
    detail: dict[str, Any] = field(default_factory=dict)  # extra keys (the demo flag)


@dataclass
class HistoryBatch:
    """Everything one generated history holds. ``marker`` is a case number: present means already loaded."""

    marker: str
    actor: str
    cases: list[HistoricCase] = field(default_factory=list)
    tasks: list[HistoricSearchTask] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    close_reason: str = ""
    reads: list[LprRead] = field(default_factory=list)
    hits: list[HistoricHit] = field(default_factory=list)
    gaps: list[HistoricGap] = field(default_factory=list)
    radar_sites: list[RadarSite] = field(default_factory=list)
    radar_readings: list[RadarReading] = field(default_factory=list)
    views: list[HistoricView] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {"cases": len(self.cases), "tasks": len(self.tasks), "alerts": len(self.alerts) + len(self.hits),
                "plate_reads": len(self.reads) + len(self.hits), "gaps": len(self.gaps),
                "radar_sites": len(self.radar_sites), "radar_readings": len(self.radar_readings),
                "views": len(self.views)}


def history_loaded(db: Database, marker: str) -> bool:
    with db.session() as session:
        return session.scalar(select(CaseRow.id).where(CaseRow.number == marker)) is not None


def _alert_values(alert: Alert) -> dict[str, Any]:
    return {"id": alert.id, "source": alert.source, "type": alert.type, "priority": alert.priority,
            "status": alert.status.value, "lat": alert.lat, "lon": alert.lon,
            "detected_at": alert.detected_at.astimezone(UTC), "received_at": alert.received_at.astimezone(UTC),
            "address": alert.address, "beat": alert.beat, "district": alert.district, "rounds": alert.rounds,
            "payload": dict(alert.payload), "assigned_to": alert.assigned_to}


def _insert(session: Session, model: Any, rows: list[dict[str, Any]]) -> None:
    """Core executemany on the model's table: the ORM's bulk path costs several times more per row."""
    for i in range(0, len(rows), _CHUNK):
        session.execute(insert(model.__table__), rows[i:i + _CHUNK])


def load_history(db: Database, batch: HistoryBatch) -> bool:
    """Load ``batch`` in one transaction unless its marker case exists. True when it was loaded.

    The marker is checked inside the write transaction, so two seats starting the demo at once load it once.
    Nothing is published on the bus: a year of old rows must not ring the live alarm. One ``privileged`` audit
    record says what was loaded.
    """
    with db.session(write=True) as session:
        if session.scalar(select(CaseRow.id).where(CaseRow.number == batch.marker)) is not None:
            return False
        _insert(session, CaseRow, [{"number": c.number, "title": c.title, "origin": c.origin,
                                    "created_by": batch.actor, "lead_investigator": c.lead_investigator,
                                    "created_at": c.opened_at.astimezone(UTC), "updated_at": c.opened_at,
                                    **c.values()} for c in batch.cases])
        numbers = [c.number for c in batch.cases]
        case_ids: dict[str, int] = {}
        for i in range(0, len(numbers), 500):
            case_ids.update((number, id_) for number, id_ in session.execute(
                select(CaseRow.number, CaseRow.id).where(CaseRow.number.in_(numbers[i:i + 500]))))
        _insert(session, VideoSearchTaskRow, [{
            "case_id": case_ids[t.case_number], "requested_by": t.requested_by, "requested_at": t.requested_at,
            "window_start": t.window_start, "window_end": t.window_end, "camera_ids": list(t.camera_ids),
            "description": t.description, "status": "done" if t.outcome else "open", "outcome": t.outcome,
            "minutes_spent": t.minutes_spent, "completed_at": t.completed_at} for t in batch.tasks])
        _insert(session, AlertRow, [_alert_values(a) for a in batch.alerts])
        _insert(session, PlateReadRow, [read_values(r) for r in [*batch.reads, *(h.read for h in batch.hits)]])
        # A hit's alert names its read's id: found again by (camera, car id), which a generator keeps unique.
        hit_keys = [(h.read.camera_id, h.read.car_id) for h in batch.hits]
        read_ids: dict[tuple[str, str], int] = {}
        for i in range(0, len(hit_keys), 500):
            cars = [car for _, car in hit_keys[i:i + 500]]
            for read_id, camera, car in session.execute(select(PlateReadRow.id, PlateReadRow.camera_id,
                                                               PlateReadRow.car_id).where(PlateReadRow.car_id.in_(cars))):
                read_ids[(camera, car)] = read_id
        hit_alerts = []
        for hit, key in zip(batch.hits, hit_keys, strict=True):
            values = _alert_values(hit.alert)
            values["payload"] = {**values["payload"], "read_id": read_ids[key]}
            hit_alerts.append(values)
        _insert(session, AlertRow, hit_alerts)
        closed = [a for a in [*batch.alerts, *(h.alert for h in batch.hits)] if a.status.value == "closed"]
        _insert(session, AlertHistoryRow, [{
            "alert_id": a.id, "at": a.received_at, "actor": batch.actor,
            "change": {"status": [None, "closed"], "close_reason": [None, batch.close_reason]}} for a in closed])
        _insert(session, RecordingGapRow, [{"camera_id": g.camera_id, "start_at": g.start_at, "end_at": g.end_at,
                                            "reason": g.reason} for g in batch.gaps])
        for site in batch.radar_sites:
            put_site(session, site)
        insert_readings(session, batch.radar_readings)
        # Views are audit records, chained onto the trail in time order (each with the time it happened).
        append_history_audit(session, [PastAuditEvent(
            at=v.at, username=v.username, workstation=v.workstation,
            event_type=(AuditType.VIEW_RECORDED if v.recorded else AuditType.VIEW_LIVE).value,
            object=f"camera:{v.camera_id}", detail={**v.detail, "camera_id": v.camera_id, "alert_id": v.alert_id})
            for v in sorted(batch.views, key=lambda v: v.at)])
        append_audit(session, username=batch.actor, workstation="", event_type=AuditType.PRIVILEGED.value,
                     object=f"history:{batch.marker}", detail={"action": "load_history", **batch.counts()})
    return True
