"""The typed events of the one event bus. Pure data: who publishes and who listens is for store and UI.

Events are frozen so a handler on one thread can never change what a handler on another thread sees.
Every event is keyword-only, so adding a field later breaks no caller.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from c4desk.domain.alerts import Alert
from c4desk.domain.plates import LprRead


@dataclass(frozen=True, kw_only=True)
class Event:
    """Base of every bus event; subscribing to it receives all of them (bridges, logging)."""


@dataclass(frozen=True, kw_only=True)
class AlertRaised(Event):
    alert: Alert


@dataclass(frozen=True, kw_only=True)
class AlertChanged(Event):
    """``changes`` maps a field name to ``[old, new]``, as recorded in the alert's history."""

    alert: Alert
    changes: Mapping[str, Any] = field(default_factory=dict)
    actor: str = ""


@dataclass(frozen=True, kw_only=True)
class PlateRead(Event):
    read: LprRead


@dataclass(frozen=True, kw_only=True)
class HotlistHit(Event):
    read: LprRead
    hotlist: str
    category: str = ""
    priority: int = 2
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class CaseChanged(Event):
    case_id: int
    what: str = ""


@dataclass(frozen=True, kw_only=True)
class ClipTagged(Event):
    clip_id: int
    camera_id: str
    case_id: int | None = None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class CamerasChanged(Event):
    """Ids of cameras created and updated in one committed change (views reload just those)."""

    created: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class WallPush(Event):
    """Someone asked the video wall to show cameras (and optionally an alert's view)."""

    camera_ids: tuple[str, ...]
    target: str = "wall"
    layout: str = ""
    alert_id: str | None = None
    pushed_by: str = ""


# Name -> class, for bridges that carry events across processes (PostgreSQL NOTIFY) by name.
EVENT_TYPES: dict[str, type[Event]] = {
    cls.__name__: cls
    for cls in (AlertRaised, AlertChanged, PlateRead, HotlistHit, CaseChanged, ClipTagged, CamerasChanged,
                WallPush)
}


@dataclass(frozen=True, kw_only=True)
class ClipChanged(Event):
    """A clip moved through review or was edited: ``what`` is submitted, approved, rejected, attached, edited or
    discarded; ``status`` is the clip's status after the change (the review queue and "my clips" reload on it)."""

    clip_id: int
    what: str
    status: str
    case_id: int | None = None
    actor: str = ""


EVENT_TYPES[ClipChanged.__name__] = ClipChanged


@dataclass(frozen=True, kw_only=True)
class TrailChanged(Event):
    """A followed vehicle's trail was started, hopped, finished or attached to a case (``what`` says which); the
    map redraws it, the case view reloads its links."""

    trail_id: int
    what: str = ""
    case_id: int | None = None


EVENT_TYPES[TrailChanged.__name__] = TrailChanged
