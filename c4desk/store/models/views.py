"""Stills taken from the live wall: the PNG's place on disk, its SHA-256, which camera and when (UTC).

Saved views themselves live in ``saved_views`` (people.py); a wall view is one whose ``layout`` JSON has
``"kind": "wall"`` (see ``c4desk.store.views``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from c4desk.store.models.base import Base, BigId, utcnow


class SnapshotRow(Base):
    """One still. ``camera_id`` is text, not a key into cameras: evidence must outlive the camera record."""

    __tablename__ = "snapshots"
    __table_args__ = (
        CheckConstraint("length(sha256) = 64", name="sha256"),
        Index("ix_snapshots_camera_taken", "camera_id", "taken_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    camera_id: Mapped[str] = mapped_column(String(64))
    camera_name: Mapped[str] = mapped_column(String(200), default="")
    # When the picture was received from the camera (not when the button was pressed), UTC.
    taken_at: Mapped[datetime] = mapped_column()
    taken_by: Mapped[str] = mapped_column(String(64))
    workstation: Mapped[str] = mapped_column(String(128), default="")
    stream: Mapped[str] = mapped_column(String(8), default="")  # main / sub: which of the camera's streams
    path: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size_bytes: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
