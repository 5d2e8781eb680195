"""Wall snapshots: stills taken from live tiles, with their SHA-256, camera and UTC time.

Revision ID: 0003
Revises: 0002
Create Date: 2026-07-06

Saved wall views need no schema change: they are rows of ``saved_views`` whose ``layout`` JSON says
``"kind": "wall"``. Written by hand with plain SQLAlchemy types (a revision never imports the models).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "snapshots",
        sa.Column("id", BIGID, autoincrement=True, nullable=False),
        sa.Column("camera_id", sa.String(64), nullable=False),
        sa.Column("camera_name", sa.String(200), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("taken_by", sa.String(64), nullable=False),
        sa.Column("workstation", sa.String(128), nullable=False),
        sa.Column("stream", sa.String(8), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_snapshots"),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_snapshots_case_id_cases"),
        sa.CheckConstraint("length(sha256) = 64", name="ck_snapshots_sha256"),
        sa.Index("ix_snapshots_camera_taken", "camera_id", "taken_at"),
        sa.Index("ix_snapshots_sha256", "sha256"),
        sa.Index("ix_snapshots_case_id", "case_id"),
    )


def downgrade() -> None:
    op.drop_table("snapshots")
