"""Alerts (gunshot detections, hotlist hits, incidents) and what a gunshot sensor reports. Pure, no SQL."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from c4desk.domain.errors import FieldError, ValidationError


class AlertStatus(StrEnum):
    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    CLOSED = "closed"


# Sources are open-ended (an agency may add CAD incidents later), so they are plain strings, not an enum.
SOURCE_GUNSHOT = "gunshot"
SOURCE_HOTLIST = "hotlist"
SOURCE_INCIDENT = "incident"

# Fields a sensor update may change; status and assignment belong to the analysts, never to the feed.
SENSOR_FIELDS = ("type", "priority", "lat", "lon", "detected_at", "address", "beat", "district", "rounds")


def _aware(t: datetime) -> bool:
    return t.tzinfo is not None and t.utcoffset() is not None


@dataclass(frozen=True, kw_only=True)
class GunshotReport:
    """What a gunshot-detection feed says about one incident; later reports with the same id update it."""

    id: str
    type: str
    detected_at: datetime
    lat: float
    lon: float
    rounds: int | None = None
    address: str = ""
    beat: str = ""
    district: str = ""
    payload: Mapping[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        errors: list[FieldError] = []
        if not self.id.strip():
            errors.append(FieldError("id", "required"))
        if not self.type.strip():
            errors.append(FieldError("type", "required"))
        if not (math.isfinite(self.lat) and -90 <= self.lat <= 90):
            errors.append(FieldError("lat", f"{self.lat!r} is outside [-90, 90]"))
        if not (math.isfinite(self.lon) and -180 <= self.lon <= 180):
            errors.append(FieldError("lon", f"{self.lon!r} is outside [-180, 180]"))
        if not _aware(self.detected_at):
            errors.append(FieldError("detected_at", "must carry a time zone (UTC)"))
        if self.rounds is not None and self.rounds < 0:
            errors.append(FieldError("rounds", "must not be negative"))
        if errors:
            raise ValidationError(errors)


@dataclass(frozen=True, kw_only=True)
class Alert:
    """An alert as the alert queue shows it. ``priority``: 1 is the most urgent."""

    id: str
    source: str
    type: str
    priority: int
    status: AlertStatus
    detected_at: datetime
    received_at: datetime
    lat: float | None = None
    lon: float | None = None
    address: str = ""
    beat: str = ""
    district: str = ""
    rounds: int | None = None
    assigned_to: str | None = None
    payload: Mapping[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True, kw_only=True)
class AlertHistoryEntry:
    """One recorded change: ``change`` maps a field name to ``[old, new]`` (JSON values)."""

    alert_id: str
    at: datetime
    actor: str
    change: Mapping[str, Any]


def gunshot_priority(alert_type: str, rounds: int | None) -> int:
    """Rank a gunshot alert: several rounds or a multiple-shot type outranks a single or probable shot.

    A rule of thumb, not policy: agencies will want to tune it, which is why it lives in one pure function.
    """
    kind = alert_type.lower()
    if "multiple" in kind or (rounds is not None and rounds >= 2):
        return 1
    if "probable" in kind or "possible" in kind:
        return 3
    return 2


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, StrEnum):
        return value.value
    return value


def alert_changes(old: Alert, new: Alert, fields: tuple[str, ...] = SENSOR_FIELDS) -> dict[str, list[Any]]:
    """The fields that differ, as ``{name: [old, new]}`` with JSON-ready values (for history and events)."""
    out: dict[str, list[Any]] = {}
    for name in fields:
        a, b = getattr(old, name), getattr(new, name)
        if a != b:
            out[name] = [_json_value(a), _json_value(b)]
    return out
