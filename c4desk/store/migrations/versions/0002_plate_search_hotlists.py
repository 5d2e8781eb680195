"""Plate search and hotlist expiry: folded plates, trigram indexes (PostgreSQL), entry expiry and author.

Revision ID: 0002
Revises: 0001
Create Date: 2026-07-05

``plate_reads.plate_fold`` holds the plate with OCR-confusable characters folded together (0/O/Q/D -> 0,
1/I/L -> 1, 2/Z -> 2, 5/S -> 5, 8/B -> 8, 6/G -> 6), filled here for existing reads. The folding is frozen in
this file on purpose: a revision must not depend on today's domain code.

On PostgreSQL the pg_trgm extension is created (a trusted extension: a database owner may create it) and two
GIN trigram indexes serve wildcard and partial search. SQLite gets the same index names as partial indexes on an
always-false condition, so both engines match the models and SQLite pays nothing for them.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FOLDS = {"O": "0", "Q": "0", "D": "0", "I": "1", "L": "1", "Z": "2", "S": "5", "B": "8", "G": "6"}
TRIGRAM = (("ix_plate_reads_plate_trgm", "plate_norm"), ("ix_plate_reads_fold_trgm", "plate_fold"))


def _folded(column: str) -> str:
    expr = column
    for src, dst in FOLDS.items():
        expr = f"replace({expr}, '{src}', '{dst}')"
    return expr


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("plate_reads") as batch:
        batch.add_column(sa.Column("plate_fold", sa.String(32), server_default="", nullable=False))
    op.execute(f"UPDATE plate_reads SET plate_fold = {_folded('plate_norm')}")
    op.create_index("ix_plate_reads_fold_at", "plate_reads", ["plate_fold", "read_at"])
    if postgres:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, column in TRIGRAM:
        op.create_index(name, "plate_reads", [column], postgresql_using="gin",
                        postgresql_ops={column: "gin_trgm_ops"}, sqlite_where=sa.text("0"))
    with op.batch_alter_table("hotlist_entries") as batch:
        batch.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("entered_by", sa.String(64), server_default="", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("hotlist_entries") as batch:
        batch.drop_column("entered_by")
        batch.drop_column("expires_at")
    for name, _ in TRIGRAM:
        op.drop_index(name, table_name="plate_reads")
    op.drop_index("ix_plate_reads_fold_at", table_name="plate_reads")
    # pg_trgm stays: other objects in the database may use it.
    with op.batch_alter_table("plate_reads") as batch:
        batch.drop_column("plate_fold")
