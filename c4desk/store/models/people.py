"""Users, their audit trail, and the views they save."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from c4desk.store.models.base import Base, BigId, utcnow


class UserRow(Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('analyst', 'wall_operator', 'supervisor', 'admin')", name="role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    # A salted KDF hash (the hashing scheme is named inside the string), never a password.
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="analyst")
    active: Mapped[bool] = mapped_column(default=True)
    password_changed_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AuditEventRow(Base):
    """One CJIS-style audit record. ``hash`` chains over ``prev_hash`` so deleting or editing a row shows.

    ``username`` is text, not a key into users: the record must survive the account it names. The column is
    not called ``user`` because that is a reserved word in PostgreSQL.
    """

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_user_at", "username", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    username: Mapped[str] = mapped_column(String(64))
    workstation: Mapped[str] = mapped_column(String(128), default="")
    event_type: Mapped[str] = mapped_column(String(64), index=True)
    object: Mapped[str] = mapped_column(String(255), default="")
    outcome: Mapped[str] = mapped_column(String(16))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class SavedViewRow(Base):
    """A named layout (wall tiles, map extent, docks) a user saved, optionally shared with the room."""

    __tablename__ = "saved_views"
    __table_args__ = (UniqueConstraint("owner", "name", name="uq_saved_views_owner_name"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100))
    owner: Mapped[str] = mapped_column(String(64))
    shared: Mapped[bool] = mapped_column(default=False)
    layout: Mapped[dict[str, Any]] = mapped_column(default=dict)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
