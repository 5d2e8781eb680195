"""Mark in / mark out on a tile, as video editors do (I and O), and the span a "Tag clip" starts from.

A tile's "now" is the playback clock's position when its view plays back, else the wall clock (live, with the
recorder behind it). Without marks, tagging takes a span around that moment, so one click (and Enter in the
dialog) tags what the analyst is looking at.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

# Without marks: a live tile tags what just happened; a playback tile tags the moment with some context.
LIVE_LOOKBACK = timedelta(seconds=30)
PLAYBACK_CONTEXT = timedelta(seconds=10)
MIN_SPAN = timedelta(seconds=1)


@dataclass
class ClipMarks:
    """In and out points per camera; marks survive switching views, and tagging clears them."""

    _in: dict[str, datetime] = field(default_factory=dict)
    _out: dict[str, datetime] = field(default_factory=dict)

    def mark_in(self, camera_id: str, at: datetime) -> None:
        self._in[camera_id] = at

    def mark_out(self, camera_id: str, at: datetime) -> None:
        self._out[camera_id] = at

    def marks(self, camera_id: str) -> tuple[datetime | None, datetime | None]:
        return self._in.get(camera_id), self._out.get(camera_id)

    def clear(self, camera_id: str) -> None:
        self._in.pop(camera_id, None)
        self._out.pop(camera_id, None)

    def span(self, camera_id: str, at: datetime, *, live: bool,
             now: datetime | None = None) -> tuple[datetime, datetime]:
        """The span to tag on ``camera_id`` when the tile shows ``at``: the marks if any, else a default."""
        now = now or datetime.now(UTC)
        start, end = self.marks(camera_id)
        if start is not None and end is not None:
            start, end = min(start, end), max(start, end)
        elif start is not None:
            end = max(at, start + MIN_SPAN)
        elif end is not None:
            start = end - LIVE_LOOKBACK
        elif live:
            start, end = at - LIVE_LOOKBACK, at
        else:
            start, end = at - PLAYBACK_CONTEXT, at + PLAYBACK_CONTEXT
        end = min(end, now)  # nothing after now has been recorded
        if end - start < MIN_SPAN:
            start = end - MIN_SPAN
        return start, end
