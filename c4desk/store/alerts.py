"""Alerts: the gunshot feed's insert-or-update, the queue's recent list, and each alert's history."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from c4desk.domain.alerts import (
    SOURCE_GUNSHOT,
    Alert,
    AlertHistoryEntry,
    AlertStatus,
    GunshotReport,
    alert_changes,
    gunshot_priority,
)
from c4desk.domain.events import AlertChanged, AlertRaised, Event
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


def _sensor_values(report: GunshotReport) -> dict[str, Any]:
    return {
        "type": report.type, "priority": gunshot_priority(report.type, report.rounds), "lat": report.lat,
        "lon": report.lon, "detected_at": report.detected_at.astimezone(UTC), "address": report.address,
        "beat": report.beat, "district": report.district, "rounds": report.rounds,
        "payload": dict(report.payload),
    }


class AlertRepository:
    def __init__(self, db: Database, bus: EventBus | None = None) -> None:
        self._db = db
        self._bus = bus

    def add_or_update_gunshot(
        self, report: GunshotReport, *, received_at: datetime | None = None, actor: str = "feed",
    ) -> tuple[Alert, bool]:
        """Store a gunshot report: a new id raises an alert, a known id updates it and records the change.

        Returns (alert, created). A repeated identical report changes nothing and publishes nothing. Status
        and assignment are the analysts' and are never touched by the feed.
        """
        received = (received_at or utcnow()).astimezone(UTC)
        try:
            return self._add_or_update(report, received, actor)
        except IntegrityError:
            # Two seats (or threads) inserted the same new id at once; the other won, so this is an update.
            return self._add_or_update(report, received, actor)

    def _add_or_update(self, report: GunshotReport, received_at: datetime, actor: str) -> tuple[Alert, bool]:
        event: Event | None = None
        values = _sensor_values(report)
        with self._db.session(write=True) as session:
            row = session.get(AlertRow, report.id)
            if row is None:
                row = AlertRow(id=report.id, source=SOURCE_GUNSHOT, status=AlertStatus.NEW.value,
                               received_at=received_at, **values)
                session.add(row)
                session.flush()
                alert = to_alert(row)
                event = AlertRaised(alert=alert)
                created = True
            else:
                old = to_alert(row)
                for k, v in values.items():
                    setattr(row, k, v)
                session.flush()
                alert = to_alert(row)
                changes = alert_changes(old, alert)
                if changes:
                    session.add(AlertHistoryRow(alert_id=row.id, at=received_at, actor=actor, change=changes))
                    event = AlertChanged(alert=alert, changes=changes, actor=actor)
                created = False
        if self._bus is not None and event is not None:
            self._bus.publish(event)
        return alert, created

    def get(self, alert_id: str) -> Alert | None:
        with self._db.session() as session:
            row = session.get(AlertRow, alert_id)
            return None if row is None else to_alert(row)

    def recent(self, limit: int = 50) -> list[Alert]:
        """The latest alerts by time received, newest first."""
        query = select(AlertRow).order_by(AlertRow.received_at.desc(), AlertRow.id).limit(limit)
        with self._db.session() as session:
            return [to_alert(r) for r in session.scalars(query)]

    def history(self, alert_id: str) -> list[AlertHistoryEntry]:
        """The alert's recorded changes, oldest first."""
        query = (select(AlertHistoryRow).where(AlertHistoryRow.alert_id == alert_id)
                 .order_by(AlertHistoryRow.at, AlertHistoryRow.id))
        with self._db.session() as session:
            return [AlertHistoryEntry(alert_id=r.alert_id, at=r.at, actor=r.actor, change=dict(r.change))
                    for r in session.scalars(query)]
