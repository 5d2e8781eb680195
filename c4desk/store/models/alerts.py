"""Alerts and their change history (a sensor may move or reclassify an alert after it was raised)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from c4desk.store.models.base import Base, BigId, utcnow


class AlertRow(Base):
    __tablename__ = "alerts"
    __table_args__ = (
        CheckConstraint("status IN ('new', 'acknowledged', 'in_progress', 'closed')", name="status"),
        # The queue's query: open alerts, newest first.
        Index("ix_alerts_status_received", "status", "received_at"),
    )

    # The source's own id (e.g. the gunshot sensor's incident id), so updates for it find the same row.
    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    source: Mapped[str] = mapped_column(String(32), index=True)
    type: Mapped[str] = mapped_column(String(64))
    priority: Mapped[int] = mapped_column(Integer, default=2)
    status: Mapped[str] = mapped_column(String(16), default="new")
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    detected_at: Mapped[datetime] = mapped_column(index=True)
    received_at: Mapped[datetime] = mapped_column(index=True)
    address: Mapped[str] = mapped_column(String(200), default="")
    beat: Mapped[str] = mapped_column(String(32), default="")
    district: Mapped[str] = mapped_column(String(64), default="")
    rounds: Mapped[int | None] = mapped_column(Integer)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # A username, not a key into users: assignment history must survive a user account's removal.
    assigned_to: Mapped[str | None] = mapped_column(String(64))


class AlertHistoryRow(Base):
    __tablename__ = "alert_history"
    __table_args__ = (Index("ix_alert_history_alert_at", "alert_id", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    alert_id: Mapped[str] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    # {"field": [old, new], ...}
    change: Mapped[dict[str, Any]] = mapped_column()
