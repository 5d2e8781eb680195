"""What the playback timeline shows, and where it reads it from (``StoreTimelineSource.load``, off the GUI thread).

Kept apart from the widgets so the data and its store queries can be read (and tested) without the drawing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from c4desk.domain.permissions import Action, Actor, allowed


@dataclass(frozen=True)
class Mark:
    """Something that happened at a moment: an alert (site-wide: no camera), an LPR read, a bookmark."""

    kind: str  # "alert" | "read" | "bookmark"
    at: datetime
    camera_id: str = ""
    label: str = ""
    ref: str = ""  # alert id, read id, bookmark id


@dataclass(frozen=True)
class TimelineData:
    start: datetime
    end: datetime
    ranges: Mapping[str, Sequence[tuple[datetime, datetime]]] = field(default_factory=dict)
    gaps: Mapping[str, Sequence[tuple[datetime, datetime | None, str]]] = field(default_factory=dict)
    marks: Sequence[Mark] = ()

    def covers(self, start: datetime, end: datetime) -> bool:
        return self.start <= start and end <= self.end


TimelineLoader = Callable[[Sequence[str], datetime, datetime], TimelineData]


class StoreTimelineSource:
    """Reads the timeline from the repositories (call ``load`` off the GUI thread).

    Alerts and reads are asked for by time window (``between``, served by the stores' time indexes), so a window
    a month back shows its alerts and reads as a recent one does. At most ``limit`` of each per load, the newest
    of the window: at a week's zoom a busy LPR camera has more reads than the bar has pixels.

    Plate reads are read for ``actor`` (the store requires SEARCH_PLATES, as for a plate search). A role without
    that right (the wall operator) gets no read marks and the store is not asked: the bar reloads on every scroll,
    and each refusal would be one more ``permission_denied`` record. Without an actor no reads are drawn.
    """

    def __init__(self, recordings: Any, alerts: Any = None, plate_reads: Any = None, *, actor: Actor | None = None,
                 alert_limit: int = 1000, read_limit: int = 5000) -> None:
        self._recordings = recordings
        self._alerts = alerts
        may_see_reads = actor is not None and allowed(actor.role, Action.SEARCH_PLATES)
        self._reads = plate_reads if may_see_reads else None
        self._actor = actor
        self._alert_limit = alert_limit
        self._read_limit = read_limit

    def load(self, camera_ids: Sequence[str], start: datetime, end: datetime) -> TimelineData:
        ids = list(dict.fromkeys(c for c in camera_ids if c))
        ranges: dict[str, Sequence[tuple[datetime, datetime]]] = {}
        gaps: dict[str, Sequence[tuple[datetime, datetime | None, str]]] = {}
        marks: list[Mark] = []
        if self._recordings is not None and ids:
            ranges = self._recordings.recorded_ranges(ids, start, end)
            for camera_id in ids:
                gaps[camera_id] = [(g.start_at, g.end_at, g.reason)
                                   for g in self._recordings.gaps(camera_id, start, end)]
            marks += [Mark("bookmark", b.at, b.camera_id, b.label or "bookmark", str(b.id))
                      for b in self._recordings.bookmarks(ids, start, end)]
        if self._alerts is not None:
            for alert in self._alerts.between(start, end, limit=self._alert_limit):
                what = alert.type.replace("_", " ")
                marks.append(Mark("alert", alert.detected_at, "", f"{what} {alert.address}".strip(), alert.id))
        if self._reads is not None and ids:
            for read in self._reads.between(start, end, actor=self._actor, camera_ids=ids, limit=self._read_limit):
                marks.append(Mark("read", read.read_at, read.camera_id, read.plate_raw, str(read.id or "")))
        return TimelineData(start, end, ranges, gaps, tuple(sorted(marks, key=lambda m: m.at)))
