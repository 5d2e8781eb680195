"""Alerts: the gunshot feed's insert-or-update, the analysts' workflow, the queue, and each alert's history.

The workflow (who may do what, from which status)::

    step          from                                 to            needs
    acknowledge   new                                  acknowledged
    start         new, acknowledged                    in_progress
    close         new, acknowledged, in_progress       closed        a reason
    reopen        closed                               acknowledged  a reason
    assign        new, acknowledged, in_progress       (same)        a user name, or None to unassign
    comment       any                                  (same)        the text

* ``start`` from ``new`` is allowed (starting on an alert acknowledges it); it assigns the alert to the actor
  when nobody has it yet.
* ``close`` needs a reason and works from any open status; ``reopen`` needs one too and goes back to
  ``acknowledged`` (someone has seen it, so it must not look untouched).
* ``assign`` (or unassign with ``None``) works on open alerts only; ``comment`` works on any, closed included.
* A step that is not allowed raises ``AlertWorkflowError`` carrying the alert's current status, so a seat that
  lost a race (two analysts acknowledging at once) can show its user the alert as it now is. The check runs on the row
  locked for the write (SQLite's write lock; ``SELECT ... FOR UPDATE`` on PostgreSQL).

Who: every step takes the logged-in ``Actor`` and needs ``Action.WORK_ALERTS`` (a refusal raises PermissionDenied
and is audited, ``store.audit.require_audited``); the history names ``actor.username``. The sensors' side
(``ingest_gunshot``, ``add_or_update_gunshot``, ``import_gunshots``) is machine input, authenticated by the hub's
token rather than a login, so it takes only a ``feed`` label for the history; it writes sensor fields and never
status or assignment, so it cannot stand in for a person's step.

Every step is one ``alert_history`` row (``change`` maps names to ``[old, new]``; a comment is
``{"comment": [null, text]}``, a close ``{"status": [..., "closed"], "close_reason": [null, reason]}``), made in
the same transaction, and one ``AlertChanged`` published after commit. No schema change was needed.
(The transition table is pure logic and belongs in ``domain/alerts.py``; it lives here until that file is free.)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import case, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from c4desk.domain.alerts import (
    SOURCE_GUNSHOT,
    Alert,
    AlertHistoryEntry,
    AlertStatus,
    GunshotReport,
    alert_changes,
    gunshot_priority,
)
from c4desk.domain.errors import FieldError, ValidationError
from c4desk.domain.events import AlertChanged, AlertRaised, Event
from c4desk.domain.permissions import Action, Actor
from c4desk.store.audit import require_audited
from c4desk.store.bus import EventBus
from c4desk.store.db import Database
from c4desk.store.models import AlertHistoryRow, AlertRow, utcnow


def to_alert(row: AlertRow) -> Alert:
    return Alert(
        id=row.id, source=row.source, type=row.type, priority=row.priority, status=AlertStatus(row.status),
        detected_at=row.detected_at, received_at=row.received_at, lat=row.lat, lon=row.lon,
        address=row.address, beat=row.beat, district=row.district, rounds=row.rounds,
        assigned_to=row.assigned_to, payload=dict(row.payload or {}),
    )


MAX_ACTOR = 64
MAX_REASON = 500
MAX_COMMENT = 4000
_OPEN = frozenset({AlertStatus.NEW, AlertStatus.ACKNOWLEDGED, AlertStatus.IN_PROGRESS})
# step -> (statuses it may start from, status it leads to)
TRANSITIONS: dict[str, tuple[frozenset[AlertStatus], AlertStatus]] = {
    "acknowledge": (frozenset({AlertStatus.NEW}), AlertStatus.ACKNOWLEDGED),
    "start": (frozenset({AlertStatus.NEW, AlertStatus.ACKNOWLEDGED}), AlertStatus.IN_PROGRESS),
    "close": (_OPEN, AlertStatus.CLOSED),
    "reopen": (frozenset({AlertStatus.CLOSED}), AlertStatus.ACKNOWLEDGED),
}


Change = dict[str, list[Any]]
Step = Callable[[AlertRow, Alert], Change]


class AlertNotFound(LookupError):
    def __init__(self, alert_id: str) -> None:
        self.alert_id = alert_id
        super().__init__(f"no alert {alert_id!r}")


class AlertWorkflowError(ValueError):
    """A step the alert's current status does not allow: ``alert`` is the alert as it now is, ``status`` its status."""

    def __init__(self, alert: Alert, step: str, message: str) -> None:
        self.alert = alert
        self.step = step
        self.status = alert.status
        super().__init__(message)


@dataclass(frozen=True)
class GunshotIngest:
    """What storing one report did: ``changes`` is empty for a new alert and for an identical repeat."""

    alert: Alert
    created: bool
    changes: dict[str, list[Any]]

    @property
    def result(self) -> str:
        return "created" if self.created else ("updated" if self.changes else "unchanged")


@dataclass(frozen=True)
class ImportSummary:
    created: int
    updated: int
    unchanged: int


def _check_text(value: str | None, name: str, cap: int, errors: list[FieldError]) -> str:
    text = (value or "").strip()
    if not text:
        errors.append(FieldError(name, "required"))
    elif len(text) > cap:
        errors.append(FieldError(name, f"longer than {cap} characters"))
    return text


def _when(at: datetime | None) -> datetime:
    when = at or utcnow()
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError("naive datetime: give a time zone (UTC)")
    return when.astimezone(UTC)


def _sensor_values(report: GunshotReport) -> dict[str, Any]:
    return {
        "type": report.type, "priority": gunshot_priority(report.type, report.rounds), "lat": report.lat,
        "lon": report.lon, "detected_at": report.detected_at.astimezone(UTC), "address": report.address,
        "beat": report.beat, "district": report.district, "rounds": report.rounds,
        "payload": dict(report.payload),
    }


def _check_window(start: datetime, end: datetime, limit: int) -> None:
    errors: list[FieldError] = []
    for name, value in (("start", start), ("end", end)):
        if value.tzinfo is None or value.utcoffset() is None:
            errors.append(FieldError(name, f"naive datetime {value.isoformat()}: give a time zone (UTC)"))
    if not errors and end < start:
        errors.append(FieldError("end", f"{end.isoformat()} is before start {start.isoformat()}"))
    if limit < 1:
        errors.append(FieldError("limit", f"{limit}: must be at least 1"))
    if errors:
        raise ValidationError(errors)


class AlertRepository:
    def __init__(self, db: Database, bus: EventBus | None = None) -> None:
        self._db = db
        self._bus = bus

    def add_or_update_gunshot(
        self, report: GunshotReport, *, received_at: datetime | None = None, feed: str = "feed",
    ) -> tuple[Alert, bool]:
        """Store a gunshot report: a new id raises an alert, a known id updates it and records the change.

        Returns (alert, created). A repeated identical report changes nothing and publishes nothing. Status
        and assignment are the analysts' and are never touched by the feed. Machine input: unguarded (see the
        module docstring); ``feed`` names the sender in the history.
        """
        outcome = self.ingest_gunshot(report, received_at=received_at, feed=feed)
        return outcome.alert, outcome.created

    def ingest_gunshot(
        self, report: GunshotReport, *, received_at: datetime | None = None, feed: str = "feed",
    ) -> GunshotIngest:
        """``add_or_update_gunshot`` telling also what changed (the ingest route answers updated/unchanged)."""
        received = (received_at or utcnow()).astimezone(UTC)
        try:
            return self._add_or_update(report, received, feed)
        except IntegrityError:
            # Two seats (or threads) inserted the same new id at once; the other won, so this is an update.
            return self._add_or_update(report, received, feed)

    def _add_or_update(self, report: GunshotReport, received_at: datetime, feed: str) -> GunshotIngest:
        event: Event | None = None
        with self._db.session(write=True) as session:
            row = session.get(AlertRow, report.id)
            row, created, changes = self._apply_report(session, row, report, received_at, feed)
            alert = to_alert(row)
            if created:
                event = AlertRaised(alert=alert)
            elif changes:
                event = AlertChanged(alert=alert, changes=changes, actor=feed)
        if self._bus is not None and event is not None:
            self._bus.publish(event)
        return GunshotIngest(alert, created, changes)

    @staticmethod
    def _apply_report(session: Session, row: AlertRow | None, report: GunshotReport, received_at: datetime,
                      feed: str, new_status: AlertStatus = AlertStatus.NEW,
                      ) -> tuple[AlertRow, bool, Change]:
        values = _sensor_values(report)
        if row is None:
            row = AlertRow(id=report.id, source=SOURCE_GUNSHOT, status=new_status.value, received_at=received_at,
                           **values)
            session.add(row)
            session.flush()
            return row, True, {}
        old = to_alert(row)
        for k, v in values.items():
            setattr(row, k, v)
        session.flush()
        alert = to_alert(row)
        changes = alert_changes(old, alert)
        if changes:
            session.add(AlertHistoryRow(alert_id=row.id, at=received_at, actor=feed, change=changes))
        return row, False, changes

    def import_gunshots(self, reports: Sequence[GunshotReport], *, feed: str = "import",
                        received_at: datetime | None = None, closed_reason: str | None = None) -> ImportSummary:
        """Store many reports in one transaction (all or nothing), e.g. a historic file.

        Publishes no events: a year of old detections must not ring the live alarm on every seat.
        With ``closed_reason`` new alerts are stored closed (history: ``status [null, closed]`` and the reason),
        so history does not flood the open queue; alerts that already exist keep their status (an import is no
        way to close someone's open alert). Machine input, like ``ingest_gunshot``.
        """
        received = _when(received_at)
        created = updated = unchanged = 0
        with self._db.session(write=True) as session:
            rows: dict[str, AlertRow] = {}
            ids = sorted({r.id for r in reports})
            for i in range(0, len(ids), 500):
                chunk = ids[i:i + 500]
                rows.update((r.id, r) for r in session.scalars(select(AlertRow).where(AlertRow.id.in_(chunk))))
            status = AlertStatus.CLOSED if closed_reason else AlertStatus.NEW
            for report in reports:
                row, was_created, changes = self._apply_report(session, rows.get(report.id), report, received,
                                                               feed, status)
                rows[report.id] = row
                if was_created:
                    created += 1
                    if closed_reason:
                        session.add(AlertHistoryRow(alert_id=report.id, at=received, actor=feed, change={
                            "status": [None, AlertStatus.CLOSED.value], "close_reason": [None, closed_reason]}))
                elif changes:
                    updated += 1
                else:
                    unchanged += 1
        return ImportSummary(created, updated, unchanged)

    # --- the analysts' workflow ------------------------------------------------------------------------------

    def acknowledge(self, alert_id: str, *, actor: Actor, at: datetime | None = None) -> Alert:
        return self._transition(alert_id, "acknowledge", actor=actor, at=at)

    def start(self, alert_id: str, *, actor: Actor, at: datetime | None = None) -> Alert:
        """Mark the alert in progress (from new or acknowledged); an unassigned alert goes to ``actor``."""
        return self._transition(alert_id, "start", actor=actor, at=at)

    def close(self, alert_id: str, *, actor: Actor, reason: str, at: datetime | None = None) -> Alert:
        return self._transition(alert_id, "close", actor=actor, at=at, reason=reason)

    def reopen(self, alert_id: str, *, actor: Actor, reason: str, at: datetime | None = None) -> Alert:
        return self._transition(alert_id, "reopen", actor=actor, at=at, reason=reason)

    def assign(self, alert_id: str, to: str | None, *, actor: Actor, at: datetime | None = None) -> Alert:
        """Give the alert to user ``to`` (``None`` takes it from whoever has it). Open alerts only.

        Assigning it to whoever already has it records and publishes nothing.
        """
        errors: list[FieldError] = []
        _check_text(actor.username, "actor", MAX_ACTOR, errors)
        target = None if to is None else _check_text(to, "assigned_to", MAX_ACTOR, errors)
        if errors:
            raise ValidationError(errors)

        def step(row: AlertRow, alert: Alert) -> dict[str, list[Any]]:
            if alert.status is AlertStatus.CLOSED:
                raise AlertWorkflowError(alert, "assign", f"alert {alert.id} is closed; reopen it to assign it")
            if row.assigned_to == target:
                return {}
            change: dict[str, list[Any]] = {"assigned_to": [row.assigned_to, target]}
            row.assigned_to = target
            return change

        return self._change(alert_id, "assign", actor, at, step)

    def comment(self, alert_id: str, text: str, *, actor: Actor, at: datetime | None = None) -> Alert:
        """Add a note to the alert's history (any status, closed included)."""
        errors: list[FieldError] = []
        _check_text(actor.username, "actor", MAX_ACTOR, errors)
        body = _check_text(text, "comment", MAX_COMMENT, errors)
        if errors:
            raise ValidationError(errors)
        return self._change(alert_id, "comment", actor, at, lambda _row, _alert: {"comment": [None, body]})

    def _transition(self, alert_id: str, step_name: str, *, actor: Actor, at: datetime | None,
                    reason: str | None = None) -> Alert:
        errors: list[FieldError] = []
        username = _check_text(actor.username, "actor", MAX_ACTOR, errors)
        if step_name in ("close", "reopen"):
            reason = _check_text(reason, "reason", MAX_REASON, errors)
        if errors:
            raise ValidationError(errors)
        sources, target = TRANSITIONS[step_name]

        def step(row: AlertRow, alert: Alert) -> dict[str, list[Any]]:
            if alert.status not in sources:
                who = f" (assigned to {alert.assigned_to})" if alert.assigned_to else ""
                allowed = " or ".join(sorted(s.value for s in sources))
                raise AlertWorkflowError(alert, step_name, f"cannot {step_name} alert {alert.id}: it is "
                                         f"{alert.status.value}{who}; {step_name} needs {allowed}")
            change: dict[str, list[Any]] = {"status": [alert.status.value, target.value]}
            row.status = target.value
            if step_name == "start" and row.assigned_to is None:
                change["assigned_to"] = [None, username]
                row.assigned_to = username
            if reason:
                change[f"{step_name}_reason"] = [None, reason]
            return change

        return self._change(alert_id, step_name, actor, at, step)

    def _change(self, alert_id: str, step_name: str, actor: Actor, at: datetime | None, step: Step) -> Alert:
        """Check WORK_ALERTS (a refusal is audited), then lock the alert's row, apply ``step(row, alert) ->
        change``, record it under the actor's name and publish after commit."""
        when = _when(at)
        username = actor.username.strip()
        require_audited(self._db, actor, Action.WORK_ALERTS, f"alert:{alert_id}"[:255], {"step": step_name})
        with self._db.session(write=True) as session:
            row = session.get(AlertRow, alert_id, with_for_update=True)
            if row is None:
                raise AlertNotFound(alert_id)
            change = step(row, to_alert(row))
            if change:
                session.add(AlertHistoryRow(alert_id=alert_id, at=when, actor=username, change=change))
                session.flush()
            alert = to_alert(row)
        if change and self._bus is not None:
            self._bus.publish(AlertChanged(alert=alert, changes=change, actor=username))
        return alert

    def get(self, alert_id: str) -> Alert | None:
        with self._db.session() as session:
            row = session.get(AlertRow, alert_id)
            return None if row is None else to_alert(row)

    def recent(self, limit: int = 50) -> list[Alert]:
        """The latest alerts by time received, newest first."""
        query = select(AlertRow).order_by(AlertRow.received_at.desc(), AlertRow.id).limit(limit)
        with self._db.session() as session:
            return [to_alert(r) for r in session.scalars(query)]

    def between(self, start: datetime, end: datetime, *, limit: int = 1000) -> list[Alert]:
        """Alerts detected in [start, end], newest detection first, at most ``limit`` of them.

        Read-only and served by the index on ``detected_at``, so a window a month back costs what the last ten
        minutes do (the playback timeline asks for whatever window the analyst scrolls to).
        """
        _check_window(start, end, limit)
        query = (select(AlertRow).where(AlertRow.detected_at >= start, AlertRow.detected_at <= end)
                 .order_by(AlertRow.detected_at.desc(), AlertRow.id).limit(limit))
        with self._db.session() as session:
            return [to_alert(r) for r in session.scalars(query)]

    def queue(self, limit: int = 100, *, include_closed: bool = True) -> list[Alert]:
        """The alert queue: open alerts first, then by priority (1 first), then newest detection first."""
        closed_last = case((AlertRow.status == AlertStatus.CLOSED.value, 1), else_=0)
        query = select(AlertRow)
        if not include_closed:
            query = query.where(AlertRow.status != AlertStatus.CLOSED.value)
        query = query.order_by(closed_last, AlertRow.priority, AlertRow.detected_at.desc(), AlertRow.id).limit(limit)
        with self._db.session() as session:
            return [to_alert(r) for r in session.scalars(query)]

    def history(self, alert_id: str) -> list[AlertHistoryEntry]:
        """The alert's recorded changes, oldest first."""
        query = (select(AlertHistoryRow).where(AlertHistoryRow.alert_id == alert_id)
                 .order_by(AlertHistoryRow.at, AlertHistoryRow.id))
        with self._db.session() as session:
            return [AlertHistoryEntry(alert_id=r.alert_id, at=r.at, actor=r.actor, change=dict(r.change))
                    for r in session.scalars(query)]
