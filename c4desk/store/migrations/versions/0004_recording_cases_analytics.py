"""Recording index, case work (links, hop trails, review, exports), radar sites, user password dates.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26

Written by hand with plain SQLAlchemy types (a revision never imports the models). New NOT NULL columns on
existing tables get a server default so rows already stored stay valid; ``cases.opened_at`` is filled from
``created_at``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "recording_segments",
        sa.Column("id", BIGID, autoincrement=True, nullable=False),
        sa.Column("camera_id", sa.String(64), nullable=False),
        sa.Column("start_at", TS, nullable=False),
        sa.Column("end_at", TS, nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("bytes", sa.BigInteger(), nullable=False),
        sa.Column("container", sa.String(16), nullable=False),
        sa.Column("codec", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_recording_segments"),
        sa.UniqueConstraint("path", name="uq_recording_segments_path"),
        sa.CheckConstraint("status IN ('recording', 'complete')", name="ck_recording_segments_status"),
        sa.CheckConstraint("end_at >= start_at", name="ck_recording_segments_span"),
        sa.Index("ix_recording_segments_camera_start", "camera_id", "start_at"),
        sa.Index("ix_recording_segments_end_at", "end_at"),
    )
    op.create_table(
        "recording_gaps",
        sa.Column("id", BIGID, autoincrement=True, nullable=False),
        sa.Column("camera_id", sa.String(64), nullable=False),
        sa.Column("start_at", TS, nullable=False),
        sa.Column("end_at", TS, nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_recording_gaps"),
        sa.Index("ix_recording_gaps_camera_start", "camera_id", "start_at"),
    )
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("case_type", sa.String(32), server_default="", nullable=False))
        batch.add_column(sa.Column("lead_investigator", sa.String(64), server_default="", nullable=False))
        batch.add_column(sa.Column("opened_at", TS, nullable=True))
        batch.add_column(sa.Column("cleared_at", TS, nullable=True))
        batch.add_column(sa.Column("closed_at", TS, nullable=True))
        batch.add_column(sa.Column("excluded_reason", sa.Text(), server_default="", nullable=False))
        batch.add_column(sa.Column("video_component", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("origin", sa.String(16), server_default="local", nullable=False))
    op.execute("UPDATE cases SET opened_at = created_at")
    with op.batch_alter_table("cases") as batch:
        batch.alter_column("opened_at", existing_type=TS, nullable=False)
        batch.create_index("ix_cases_case_type", ["case_type"])
        batch.create_index("ix_cases_opened_at", ["opened_at"])
        batch.create_index("ix_cases_origin", ["origin"])
    with op.batch_alter_table("clips") as batch:
        batch.add_column(sa.Column("submitted_at", TS, nullable=True))
        batch.add_column(sa.Column("reviewed_by", sa.String(64), nullable=True))
        batch.add_column(sa.Column("reviewed_at", TS, nullable=True))
        batch.add_column(sa.Column("review_comment", sa.Text(), server_default="", nullable=False))
    with op.batch_alter_table("video_search_tasks") as batch:
        batch.add_column(sa.Column("minutes_spent", sa.Integer(), nullable=True))
    with op.batch_alter_table("cameras") as batch:
        batch.add_column(sa.Column("record", sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table("radar_readings") as batch:
        batch.add_column(sa.Column("lane", sa.String(16), server_default="", nullable=False))
        batch.add_column(sa.Column("direction", sa.String(16), server_default="", nullable=False))
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("password_changed_at", TS, nullable=True))
    op.create_table(
        "evidence_holds",
        sa.Column("id", BIGID, autoincrement=True, nullable=False),
        sa.Column("segment_id", BIGID, nullable=False),
        sa.Column("clip_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_evidence_holds"),
        sa.ForeignKeyConstraint(["segment_id"], ["recording_segments.id"],
                                name="fk_evidence_holds_segment_id_recording_segments"),
        sa.ForeignKeyConstraint(["clip_id"], ["clips.id"], name="fk_evidence_holds_clip_id_clips"),
        sa.UniqueConstraint("segment_id", "clip_id", name="uq_evidence_holds_segment_clip"),
        sa.Index("ix_evidence_holds_segment_id", "segment_id"),
        sa.Index("ix_evidence_holds_clip_id", "clip_id"),
    )
    op.create_table(
        "bookmarks",
        sa.Column("id", BIGID, autoincrement=True, nullable=False),
        sa.Column("camera_id", sa.String(64), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_bookmarks"),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_bookmarks_case_id_cases"),
        sa.Index("ix_bookmarks_camera_at", "camera_id", "at"),
        sa.Index("ix_bookmarks_case_id", "case_id"),
    )
    op.create_table(
        "case_links",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("ref", sa.String(128), nullable=False),
        sa.Column("at", TS, nullable=True),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("linked_by", sa.String(64), nullable=False),
        sa.Column("linked_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_case_links"),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_case_links_case_id_cases"),
        sa.UniqueConstraint("case_id", "kind", "ref", name="uq_case_links_case_kind_ref"),
        sa.Index("ix_case_links_case_id", "case_id"),
    )
    op.create_table(
        "hop_trails",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("plate", sa.String(32), nullable=False),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("started_by", sa.String(64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_hop_trails"),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_hop_trails_case_id_cases"),
        sa.Index("ix_hop_trails_case_id", "case_id"),
    )
    op.create_table(
        "hop_steps",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("trail_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("camera_id", sa.String(64), nullable=False),
        sa.Column("time_in", TS, nullable=False),
        sa.Column("time_out", TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_hop_steps"),
        sa.ForeignKeyConstraint(["trail_id"], ["hop_trails.id"], name="fk_hop_steps_trail_id_hop_trails",
                                ondelete="CASCADE"),
        sa.UniqueConstraint("trail_id", "seq", name="uq_hop_steps_trail_seq"),
        sa.Index("ix_hop_steps_trail_id", "trail_id"),
    )
    op.create_table(
        "evidence_exports",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("exported_by", sa.String(64), nullable=False),
        sa.Column("exported_at", TS, nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("manifest_sha256", sa.String(64), nullable=False),
        sa.Column("files", sa.Integer(), nullable=False),
        sa.Column("bytes", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_evidence_exports"),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_evidence_exports_case_id_cases"),
        sa.Index("ix_evidence_exports_case_id", "case_id"),
    )
    op.create_table(
        "radar_sites",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("speed_limit_kmh", sa.Float(), nullable=False),
        sa.Column("sensor_ids", JSON, nullable=False),
        sa.Column("policy", JSON, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_radar_sites"),
    )


def downgrade() -> None:
    for table in ("radar_sites", "evidence_exports", "hop_steps", "hop_trails", "case_links", "bookmarks",
                  "evidence_holds"):
        op.drop_table(table)
    with op.batch_alter_table("users") as batch:
        batch.drop_column("password_changed_at")
    with op.batch_alter_table("radar_readings") as batch:
        batch.drop_column("direction")
        batch.drop_column("lane")
    with op.batch_alter_table("cameras") as batch:
        batch.drop_column("record")
    with op.batch_alter_table("video_search_tasks") as batch:
        batch.drop_column("minutes_spent")
    with op.batch_alter_table("clips") as batch:
        for column in ("review_comment", "reviewed_at", "reviewed_by", "submitted_at"):
            batch.drop_column(column)
    with op.batch_alter_table("cases") as batch:
        for index in ("ix_cases_origin", "ix_cases_opened_at", "ix_cases_case_type"):
            batch.drop_index(index)
        for column in ("origin", "video_component", "excluded_reason", "closed_at", "cleared_at", "opened_at",
                       "lead_investigator", "case_type"):
            batch.drop_column(column)
    op.drop_table("recording_gaps")
    op.drop_table("recording_segments")
