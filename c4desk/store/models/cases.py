"""Case work: cases, the clips tagged to them, video-search requests and intelligence notes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from c4desk.store.models.base import Base, utcnow


class CaseRow(Base):
    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    # The agency's case or incident number, as investigators quote it.
    number: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ClipRow(Base):
    """A time span of one camera's recording, tagged by an analyst and reviewed by a supervisor."""

    __tablename__ = "clips"
    __table_args__ = (
        CheckConstraint("end_at > start_at", name="span"),
        Index("ix_clips_camera_start", "camera_id", "start_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    # Nullable: clips are often tagged during a live incident, before anyone has opened a case.
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    camera_id: Mapped[str] = mapped_column(ForeignKey("cameras.id"))
    start_at: Mapped[datetime] = mapped_column()
    end_at: Mapped[datetime] = mapped_column()
    tags: Mapped[list[str]] = mapped_column(default=list)
    note: Mapped[str] = mapped_column(Text, default="")
    # pending (awaiting review), approved, rejected; later work may add more, so no CHECK yet.
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class VideoSearchTaskRow(Base):
    """A request to search recorded video for a case (the centre counts these and their outcomes)."""

    __tablename__ = "video_search_tasks"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    requested_by: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    window_start: Mapped[datetime | None] = mapped_column()
    window_end: Mapped[datetime | None] = mapped_column()
    camera_ids: Mapped[list[str]] = mapped_column(default=list)
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    # e.g. "found", "not_found", "no_coverage": what the analytics call solvability.
    outcome: Mapped[str] = mapped_column(String(32), default="")
    completed_at: Mapped[datetime | None] = mapped_column()


class IntelNoteRow(Base):
    """A free-text note about a case, plate or alert."""

    __tablename__ = "intel_notes"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    alert_id: Mapped[str | None] = mapped_column(ForeignKey("alerts.id"), index=True)
    plate_norm: Mapped[str | None] = mapped_column(String(32), index=True)
    author: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
