"""Licence-plate reads and the hotlists they are matched against."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from c4desk.store.models.base import Base, BigId, utcnow


def _trigram_index(name: str, column: str) -> Index:
    """Wildcard and partial plate search: a pg_trgm GIN index on PostgreSQL.

    SQLite has no trigram index (its search scans the narrow plate btrees instead, which is fast at the sizes
    one seat holds), so there the index is partial on an always-false condition: it exists under the same name,
    which keeps the migrated schema identical to these models on both engines, and costs nothing.
    """
    return Index(name, column, postgresql_using="gin", postgresql_ops={column: "gin_trgm_ops"},
                 sqlite_where=text("0"))


class PlateReadRow(Base):
    __tablename__ = "plate_reads"
    __table_args__ = (
        # "Where has this plate been": plate then time. "What did this camera read": camera then time.
        Index("ix_plate_reads_plate_at", "plate_norm", "read_at"),
        Index("ix_plate_reads_camera_at", "camera_id", "read_at"),
        # "Possibly this plate" (OCR-confusable characters folded, see domain.plate_match): folded plate then time.
        Index("ix_plate_reads_fold_at", "plate_fold", "read_at"),
        _trigram_index("ix_plate_reads_plate_trgm", "plate_norm"),
        _trigram_index("ix_plate_reads_fold_trgm", "plate_fold"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    # No cascade: reads are evidence and must outlive a camera's removal (disable the camera instead).
    camera_id: Mapped[str] = mapped_column(ForeignKey("cameras.id"))
    plate_raw: Mapped[str] = mapped_column(String(32))
    plate_norm: Mapped[str] = mapped_column(String(32))
    plate_fold: Mapped[str] = mapped_column(String(32), default="", server_default="")
    region: Mapped[str] = mapped_column(String(16), default="")
    read_at: Mapped[datetime] = mapped_column(index=True)
    confidence: Mapped[float | None] = mapped_column(Float)
    direction: Mapped[str] = mapped_column(String(8), default="")
    car_id: Mapped[str] = mapped_column(String(64), default="")
    # References (paths or media ids) to stored images; the images themselves never go in the database.
    plate_image_ref: Mapped[str] = mapped_column(Text, default="")
    vehicle_image_ref: Mapped[str] = mapped_column(Text, default="")


class HotlistRow(Base):
    __tablename__ = "hotlists"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    source: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class HotlistEntryRow(Base):
    __tablename__ = "hotlist_entries"
    __table_args__ = (
        # Region is "" rather than NULL when unknown, so this constraint also holds for region-less entries.
        UniqueConstraint("hotlist_id", "plate_norm", "region", name="uq_hotlist_entries_plate"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    hotlist_id: Mapped[int] = mapped_column(ForeignKey("hotlists.id", ondelete="CASCADE"))
    plate_raw: Mapped[str] = mapped_column(String(32))
    # Matching a read looks entries up by normalised plate across all lists.
    plate_norm: Mapped[str] = mapped_column(String(32), index=True)
    region: Mapped[str] = mapped_column(String(16), default="")
    category: Mapped[str] = mapped_column(String(64), default="")
    priority: Mapped[int] = mapped_column(Integer, default=2)
    reason: Mapped[str] = mapped_column(Text, default="")
    # The file's other columns (NCIC VMA, VCO, ...), kept as annotations.
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Expired entries stay listed (the audit trail names them) but stop matching.
    expires_at: Mapped[datetime | None] = mapped_column()
    entered_by: Mapped[str] = mapped_column(String(64), default="", server_default="")
