"""The recorder's index: segments on disk, the gaps between them, evidence holds, and timeline bookmarks.

``camera_id`` is text, not a key into cameras: a recording (and evidence cut from it) must outlive the camera
record. Times are UTC; a segment that is still being written has ``status = 'recording'`` and its ``end_at``
is the time of the last packet written so far.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from c4desk.store.models.base import Base, BigId, utcnow


class RecordingSegmentRow(Base):
    __tablename__ = "recording_segments"
    __table_args__ = (
        CheckConstraint("status IN ('recording', 'complete')", name="status"),
        CheckConstraint("end_at >= start_at", name="span"),
        Index("ix_recording_segments_camera_start", "camera_id", "start_at"),
        Index("ix_recording_segments_end_at", "end_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    camera_id: Mapped[str] = mapped_column(String(64))
    start_at: Mapped[datetime] = mapped_column()
    end_at: Mapped[datetime] = mapped_column()
    # Relative to the recordings root (so the store can move), POSIX separators.
    path: Mapped[str] = mapped_column(Text, unique=True)
    bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    container: Mapped[str] = mapped_column(String(16), default="mkv")
    codec: Mapped[str] = mapped_column(String(32), default="")
    status: Mapped[str] = mapped_column(String(16), default="recording")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RecordingGapRow(Base):
    """A span when a camera marked for recording delivered nothing (outage, restart). ``end_at`` None: still open."""

    __tablename__ = "recording_gaps"
    __table_args__ = (Index("ix_recording_gaps_camera_start", "camera_id", "start_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    camera_id: Mapped[str] = mapped_column(String(64))
    start_at: Mapped[datetime] = mapped_column()
    end_at: Mapped[datetime | None] = mapped_column()
    reason: Mapped[str] = mapped_column(Text, default="")


class EvidenceHoldRow(Base):
    """Keeps a segment from retention. One row per (segment, clip); a hold without a clip is a manual hold."""

    __tablename__ = "evidence_holds"
    __table_args__ = (UniqueConstraint("segment_id", "clip_id", name="uq_evidence_holds_segment_clip"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    segment_id: Mapped[int] = mapped_column(ForeignKey("recording_segments.id"), index=True)
    clip_id: Mapped[int | None] = mapped_column(ForeignKey("clips.id"), index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class BookmarkRow(Base):
    """A marked moment on one camera's timeline, optionally tied to a case."""

    __tablename__ = "bookmarks"
    __table_args__ = (Index("ix_bookmarks_camera_at", "camera_id", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    camera_id: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column()
    label: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
