"""Initial schema: cameras, alerts, plate reads, hotlists, users, audit, cases, clips, views.

Revision ID: 0001
Revises:
Create Date: 2026-07-04

Written from an autogenerate draft and reviewed by hand. It freezes the schema with plain SQLAlchemy types and
never imports the models, so later model changes cannot alter what this revision creates.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
SERIAL_SET = "serial IS NOT NULL AND serial <> ''"


def ts(name: str, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def text(name: str, length: int | None = None, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.String(length) if length else sa.Text(), nullable=nullable)


def req(name: str, type_: sa.types.TypeEngine[Any]) -> sa.Column[Any]:
    return sa.Column(name, type_, nullable=False)


def opt(name: str, type_: sa.types.TypeEngine[Any]) -> sa.Column[Any]:
    return sa.Column(name, type_, nullable=True)


def pk(type_: sa.types.TypeEngine[Any] | None = None) -> sa.Column[Any]:
    """An auto-incrementing id; the named PrimaryKeyConstraint is declared with the table."""
    return sa.Column("id", type_ if type_ is not None else sa.Integer(), autoincrement=True, nullable=False)


def fk(column: str, target: str, table: str, ondelete: str | None = None) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=f"fk_{table}_{column}_{target}",
                                   ondelete=ondelete)


def upgrade() -> None:
    op.create_table(
        "cameras",
        text("id", 64), text("name", 200),
        req("lat", sa.Float()), req("lon", sa.Float()), req("heading_deg", sa.Float()),
        req("fov_deg", sa.Float()), req("range_m", sa.Float()), text("kind", 16),
        text("serial", 128, nullable=True),
        text("stream_main"), text("stream_sub"), text("ptz_protocol", 16), text("ptz_url"),
        text("credential_ref", 200), text("owner", 200), text("contact", 200), req("enabled", sa.Boolean()),
        req("extra", JSON), ts("created_at"), ts("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_cameras"),
        sa.CheckConstraint("kind IN ('fixed', 'ptz', 'lpr', 'private')", name="ck_cameras_kind"),
        sa.CheckConstraint("ptz_protocol IN ('vapix', 'onvif', 'none')", name="ck_cameras_ptz_protocol"),
        sa.Index("uq_cameras_serial", "serial", unique=True,
                 sqlite_where=sa.text(SERIAL_SET), postgresql_where=sa.text(SERIAL_SET)),
    )
    op.create_table(
        "radar_readings",
        pk(BIGID), text("sensor_id", 64), text("camera_id", 64, nullable=True), ts("read_at"),
        req("speed_kmh", sa.Float()), opt("heading_deg", sa.Float()), opt("distance_m", sa.Float()),
        req("payload", JSON),
        sa.PrimaryKeyConstraint("id", name="pk_radar_readings"),
        fk("camera_id", "cameras", "radar_readings"),
        sa.Index("ix_radar_readings_camera_id", "camera_id"),
        sa.Index("ix_radar_readings_read_at", "read_at"),
        sa.Index("ix_radar_readings_sensor_at", "sensor_id", "read_at"),
    )
    op.create_table(
        "alerts",
        text("id", 128), text("source", 32), text("type", 64),
        req("priority", sa.Integer()), text("status", 16), opt("lat", sa.Float()), opt("lon", sa.Float()),
        ts("detected_at"), ts("received_at"), text("address", 200), text("beat", 32), text("district", 64),
        opt("rounds", sa.Integer()), req("payload", JSON), text("assigned_to", 64, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_alerts"),
        sa.CheckConstraint("status IN ('new', 'acknowledged', 'in_progress', 'closed')",
                           name="ck_alerts_status"),
        sa.Index("ix_alerts_source", "source"),
        sa.Index("ix_alerts_detected_at", "detected_at"),
        sa.Index("ix_alerts_received_at", "received_at"),
        sa.Index("ix_alerts_status_received", "status", "received_at"),
    )
    op.create_table(
        "alert_history",
        pk(BIGID), text("alert_id", 128), ts("at"), text("actor", 64), req("change", JSON),
        sa.PrimaryKeyConstraint("id", name="pk_alert_history"),
        fk("alert_id", "alerts", "alert_history", ondelete="CASCADE"),
        sa.Index("ix_alert_history_alert_at", "alert_id", "at"),
    )
    op.create_table(
        "plate_reads",
        pk(BIGID), text("camera_id", 64), text("plate_raw", 32), text("plate_norm", 32),
        text("region", 16), ts("read_at"), opt("confidence", sa.Float()), text("direction", 8),
        text("car_id", 64), text("plate_image_ref"), text("vehicle_image_ref"),
        sa.PrimaryKeyConstraint("id", name="pk_plate_reads"),
        fk("camera_id", "cameras", "plate_reads"),
        sa.Index("ix_plate_reads_read_at", "read_at"),
        sa.Index("ix_plate_reads_plate_at", "plate_norm", "read_at"),
        sa.Index("ix_plate_reads_camera_at", "camera_id", "read_at"),
    )
    op.create_table(
        "hotlists",
        pk(), text("name", 100), text("source"), text("description"), ts("created_at"), ts("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_hotlists"),
        sa.UniqueConstraint("name", name="uq_hotlists_name"),
    )
    op.create_table(
        "hotlist_entries",
        pk(), req("hotlist_id", sa.Integer()), text("plate_raw", 32), text("plate_norm", 32),
        text("region", 16), text("category", 64), req("priority", sa.Integer()), text("reason"),
        req("extra", JSON), ts("added_at"),
        sa.PrimaryKeyConstraint("id", name="pk_hotlist_entries"),
        fk("hotlist_id", "hotlists", "hotlist_entries", ondelete="CASCADE"),
        sa.UniqueConstraint("hotlist_id", "plate_norm", "region", name="uq_hotlist_entries_plate"),
        sa.Index("ix_hotlist_entries_plate_norm", "plate_norm"),
    )
    op.create_table(
        "users",
        pk(), text("username", 64), text("password_hash", 255), text("role", 16), req("active", sa.Boolean()),
        ts("created_at"), ts("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("username", name="uq_users_username"),
        sa.CheckConstraint("role IN ('analyst', 'wall_operator', 'supervisor', 'admin')",
                           name="ck_users_role"),
    )
    op.create_table(
        "audit_events",
        pk(BIGID), ts("at"), text("username", 64), text("workstation", 128), text("event_type", 64),
        text("object", 255), text("outcome", 16), req("detail", JSON), text("prev_hash", 64),
        text("hash", 64),
        sa.PrimaryKeyConstraint("id", name="pk_audit_events"),
        sa.UniqueConstraint("hash", name="uq_audit_events_hash"),
        sa.Index("ix_audit_events_at", "at"),
        sa.Index("ix_audit_events_event_type", "event_type"),
        sa.Index("ix_audit_events_user_at", "username", "at"),
    )
    op.create_table(
        "saved_views",
        pk(), text("name", 100), text("owner", 64), req("shared", sa.Boolean()), req("layout", JSON),
        text("note"), ts("created_at"), ts("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_saved_views"),
        sa.UniqueConstraint("owner", "name", name="uq_saved_views_owner_name"),
    )
    op.create_table(
        "cases",
        pk(), text("number", 64), text("title", 200), text("description"), text("status", 16),
        text("created_by", 64), ts("created_at"), ts("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_cases"),
        sa.UniqueConstraint("number", name="uq_cases_number"),
    )
    op.create_table(
        "clips",
        pk(), opt("case_id", sa.Integer()), text("camera_id", 64), ts("start_at"), ts("end_at"),
        req("tags", JSON), text("note"), text("status", 16), text("created_by", 64), ts("created_at"),
        ts("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_clips"),
        fk("case_id", "cases", "clips"),
        fk("camera_id", "cameras", "clips"),
        sa.CheckConstraint("end_at > start_at", name="ck_clips_span"),
        sa.Index("ix_clips_case_id", "case_id"),
        sa.Index("ix_clips_status", "status"),
        sa.Index("ix_clips_camera_start", "camera_id", "start_at"),
    )
    op.create_table(
        "video_search_tasks",
        pk(), req("case_id", sa.Integer()), text("requested_by", 64), ts("requested_at"),
        ts("window_start", nullable=True), ts("window_end", nullable=True), req("camera_ids", JSON),
        text("description"), text("status", 16), text("outcome", 32), ts("completed_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_video_search_tasks"),
        fk("case_id", "cases", "video_search_tasks"),
        sa.Index("ix_video_search_tasks_case_id", "case_id"),
        sa.Index("ix_video_search_tasks_status", "status"),
    )
    op.create_table(
        "intel_notes",
        pk(), opt("case_id", sa.Integer()), text("alert_id", 128, nullable=True),
        text("plate_norm", 32, nullable=True), text("author", 64), text("body"), req("extra", JSON),
        ts("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_intel_notes"),
        fk("case_id", "cases", "intel_notes"),
        fk("alert_id", "alerts", "intel_notes"),
        sa.Index("ix_intel_notes_case_id", "case_id"),
        sa.Index("ix_intel_notes_alert_id", "alert_id"),
        sa.Index("ix_intel_notes_plate_norm", "plate_norm"),
    )


def downgrade() -> None:
    # Children before parents; dropping a table drops its indexes too.
    for table in ("intel_notes", "video_search_tasks", "clips", "cases", "saved_views", "audit_events",
                  "users", "hotlist_entries", "hotlists", "plate_reads", "alert_history", "alerts",
                  "radar_readings", "cameras"):
        op.drop_table(table)
