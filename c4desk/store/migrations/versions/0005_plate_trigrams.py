"""Distinct plates and their trigrams: SQLite's index for wildcard and partial plate search.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26

``plates`` holds every distinct plate read (normalised and OCR-folded); ``plate_trigrams`` the three-character
runs of each folded plate, keyed by block of plate ids first (``id >> 14``) so that new plates add their postings
in one cached corner of the btree. On SQLite both are filled here from the reads already stored; on PostgreSQL
(pg_trgm GIN indexes on ``plate_reads`` serve the same searches) they are created and stay empty.

Written by hand with plain SQLAlchemy types (a revision never imports the models); the block size and the
trigram rule are frozen here on purpose, like the folding in 0002.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
BLOCK_BITS = 14


def upgrade() -> None:
    op.create_table(
        "plates",
        sa.Column("id", BIGID, autoincrement=True, nullable=False),
        sa.Column("plate_norm", sa.String(32), nullable=False),
        sa.Column("plate_fold", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_plates"),
        sa.UniqueConstraint("plate_norm", name="uq_plates_plate_norm"),
    )
    op.create_table(
        "plate_trigrams",
        sa.Column("block", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("trigram", sa.String(3), nullable=False),
        sa.Column("plate_id", BIGID, autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("block", "trigram", "plate_id", name="pk_plate_trigrams"),
        sqlite_with_rowid=False,
    )
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        _backfill(bind)


def _backfill(bind: sa.Connection) -> None:
    # plate_fold is already stored with every read (revision 0002), so it is taken from there.
    bind.exec_driver_sql("INSERT INTO plates (plate_norm, plate_fold) "
                         "SELECT plate_norm, max(plate_fold) FROM plate_reads GROUP BY plate_norm")
    last = bind.exec_driver_sql("SELECT max(id) FROM plates").scalar() or 0
    for block in range((last >> BLOCK_BITS) + 1):
        plates = bind.exec_driver_sql("SELECT id, plate_fold FROM plates WHERE id >= ? AND id < ?",
                                      (block << BLOCK_BITS, (block + 1) << BLOCK_BITS)).all()
        postings = sorted({(block, gram, plate_id) for plate_id, fold in plates
                           for gram in (fold[i:i + 3] for i in range(len(fold) - 2))})
        if postings:
            bind.exec_driver_sql("INSERT INTO plate_trigrams (block, trigram, plate_id) VALUES (?, ?, ?)", postings)


def downgrade() -> None:
    op.drop_table("plate_trigrams")
    op.drop_table("plates")
