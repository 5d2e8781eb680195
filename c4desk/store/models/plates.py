"""Licence-plate reads and the hotlists they are matched against."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from c4desk.store.models.base import Base, BigId, utcnow

# Trigram postings are keyed by block of plate ids first (ids count up as plates are added): new plates then
# add postings in one small corner of the btree, which stays in SQLite's page cache, instead of at random places
# all over it (measured at 6.7M plates: 5.5 us per new plate for its ~4.7 postings, against 40-145 us for a table
# of the same size keyed by its text first). A query seeks each block once per trigram: ~400 blocks at 10M reads.
PLATE_BLOCK_BITS = 14


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


class PlateRow(Base):
    """Every distinct plate ever read (normalised, and OCR-folded), numbered as added.

    SQLite's index for wildcard and partial search: a pattern is matched against the distinct plates (through
    ``plate_trigrams``) and only then are their reads fetched, newest first, by (plate, time). Written in the
    same transaction as the reads (``store.plate_reads``), so it holds every plate of every committed read; it
    may also hold plates whose reads are gone, which costs a lookup and never changes a result. PostgreSQL
    answers the same searches from pg_trgm indexes on ``plate_reads`` and leaves this table and the next empty.
    """

    __tablename__ = "plates"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    plate_norm: Mapped[str] = mapped_column(String(32), unique=True)
    plate_fold: Mapped[str] = mapped_column(String(32))


class PlateTrigramRow(Base):
    """Which plates hold which three consecutive characters of their folded form (SQLite only, see PlateRow).

    Folded, so one index serves exact-character and confusable-tolerant patterns alike: a plate that matches a
    pattern also matches it once both are folded, so the folded pattern's trigrams are necessary for both; the
    search then checks the pattern itself. No foreign key: this is a derived index, written only next to its
    plate, and a key check would cost a lookup per posting.
    """

    __tablename__ = "plate_trigrams"
    __table_args__ = {"sqlite_with_rowid": False}

    block: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)  # plate_id >> BITS
    trigram: Mapped[str] = mapped_column(String(3), primary_key=True)
    plate_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)


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
