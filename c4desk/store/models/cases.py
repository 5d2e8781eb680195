"""Case work: cases, the clips tagged to them, video-search requests and intelligence notes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
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
    # homicide, shooting, robbery, ... (free text, the agency's own list; lower case by convention)
    case_type: Mapped[str] = mapped_column(String(32), default="", index=True)
    lead_investigator: Mapped[str] = mapped_column(String(64), default="")
    opened_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    cleared_at: Mapped[datetime | None] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column()
    # Why a case is unsolvable for reasons outside video (the solvability study leaves these out); "" = counted.
    excluded_reason: Mapped[str] = mapped_column(Text, default="")
    # An RMS import may state the video component; None means derive it from linked useful video.
    video_component: Mapped[bool | None] = mapped_column()
    # local (made here), rms (imported), demo (generated demo data, shown as such)
    origin: Mapped[str] = mapped_column(String(16), default="local", index=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class CaseLinkRow(Base):
    """An item attached to a case: an alert, a plate (its history), a plate read, a hop trail, a snapshot."""

    __tablename__ = "case_links"
    __table_args__ = (UniqueConstraint("case_id", "kind", "ref", name="uq_case_links_case_kind_ref"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    # alert | plate | plate_read | trail | snapshot | bookmark
    kind: Mapped[str] = mapped_column(String(16))
    ref: Mapped[str] = mapped_column(String(128))
    # When the linked thing happened (for the case timeline), not when it was linked.
    at: Mapped[datetime | None] = mapped_column()
    label: Mapped[str] = mapped_column(String(200), default="")
    linked_by: Mapped[str] = mapped_column(String(64))
    linked_at: Mapped[datetime] = mapped_column(default=utcnow)


class HopTrailRow(Base):
    """A vehicle followed from camera to camera ("follow" mode), optionally attached to a case."""

    __tablename__ = "hop_trails"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    plate: Mapped[str] = mapped_column(String(32), default="")
    label: Mapped[str] = mapped_column(String(200), default="")
    started_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class HopStepRow(Base):
    """One camera of a trail: the vehicle was on ``camera_id`` from ``time_in`` to ``time_out`` (video time)."""

    __tablename__ = "hop_steps"
    __table_args__ = (UniqueConstraint("trail_id", "seq", name="uq_hop_steps_trail_seq"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    trail_id: Mapped[int] = mapped_column(ForeignKey("hop_trails.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    camera_id: Mapped[str] = mapped_column(String(64))
    time_in: Mapped[datetime] = mapped_column()
    time_out: Mapped[datetime | None] = mapped_column()


class EvidenceExportRow(Base):
    """One evidence package written for a case: where, by whom, and the manifest's own hash."""

    __tablename__ = "evidence_exports"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    exported_by: Mapped[str] = mapped_column(String(64))
    exported_at: Mapped[datetime] = mapped_column(default=utcnow)
    path: Mapped[str] = mapped_column(Text)
    manifest_sha256: Mapped[str] = mapped_column(String(64))
    files: Mapped[int] = mapped_column(Integer, default=0)
    bytes: Mapped[int] = mapped_column(BigInteger, default=0)


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
    # draft (tagged) -> pending (submitted for review) -> approved | rejected; rejected may be resubmitted.
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    submitted_at: Mapped[datetime | None] = mapped_column()
    reviewed_by: Mapped[str | None] = mapped_column(String(64))
    reviewed_at: Mapped[datetime | None] = mapped_column()
    review_comment: Mapped[str] = mapped_column(Text, default="")
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
    # useful_video | nothing_relevant | camera_offline ("" while open): what the analytics count.
    outcome: Mapped[str] = mapped_column(String(32), default="")
    minutes_spent: Mapped[int | None] = mapped_column(Integer)
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
