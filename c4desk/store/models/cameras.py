"""The camera inventory and the radar readings some camera sites carry."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from c4desk.store.models.base import Base, BigId, utcnow


class CameraRow(Base):
    __tablename__ = "cameras"
    __table_args__ = (
        CheckConstraint("kind IN ('fixed', 'ptz', 'lpr', 'private')", name="kind"),
        CheckConstraint("ptz_protocol IN ('vapix', 'onvif', 'none')", name="ptz_protocol"),
        # A serial identifies the device an LPR or VAPIX event comes from, so it must be unique; many cameras
        # (private ones especially) have none, hence the partial index.
        Index("uq_cameras_serial", "serial", unique=True,
              sqlite_where=text("serial IS NOT NULL AND serial <> ''"),
              postgresql_where=text("serial IS NOT NULL AND serial <> ''")),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    heading_deg: Mapped[float] = mapped_column(Float, default=0.0)
    fov_deg: Mapped[float] = mapped_column(Float, default=90.0)
    range_m: Mapped[float] = mapped_column(Float, default=100.0)
    kind: Mapped[str] = mapped_column(String(16), default="fixed")
    serial: Mapped[str | None] = mapped_column(String(128))
    stream_main: Mapped[str] = mapped_column(Text, default="")
    stream_sub: Mapped[str] = mapped_column(Text, default="")
    ptz_protocol: Mapped[str] = mapped_column(String(16), default="none")
    ptz_url: Mapped[str] = mapped_column(Text, default="")
    # The name of a keyring entry; the secret itself never enters the database.
    credential_ref: Mapped[str] = mapped_column(String(200), default="")
    owner: Mapped[str] = mapped_column(String(200), default="")
    contact: Mapped[str] = mapped_column(String(200), default="")
    enabled: Mapped[bool] = mapped_column(default=True)
    # Whether the recorder keeps this camera's stream (rolling retention).
    record: Mapped[bool] = mapped_column(default=False)
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class RadarReadingRow(Base):
    """A speed/direction reading from a radar sensor, usually mounted beside a camera."""

    __tablename__ = "radar_readings"
    __table_args__ = (Index("ix_radar_readings_sensor_at", "sensor_id", "read_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    sensor_id: Mapped[str] = mapped_column(String(64))
    camera_id: Mapped[str | None] = mapped_column(ForeignKey("cameras.id"), index=True)
    read_at: Mapped[datetime] = mapped_column(index=True)
    speed_kmh: Mapped[float] = mapped_column(Float)
    heading_deg: Mapped[float | None] = mapped_column(Float)
    distance_m: Mapped[float | None] = mapped_column(Float)
    lane: Mapped[str] = mapped_column(String(16), default="")
    # approaching | receding (relative to the sensor), or a compass word; "" when the device does not say.
    direction: Mapped[str] = mapped_column(String(16), default="")
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)


class RadarSiteRow(Base):
    """A speed-radar site (the seed's pilot): its limit and the light-colour policy by speed band.

    ``policy`` is a list of ``{"from_kmh": float, "colour": str}`` bands, ascending; readings at or above a band's
    ``from_kmh`` take its colour. ``sensor_ids`` are the radar devices whose readings belong to the site.
    """

    __tablename__ = "radar_sites"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    speed_limit_kmh: Mapped[float] = mapped_column(Float)
    sensor_ids: Mapped[list[str]] = mapped_column(default=list)
    policy: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
