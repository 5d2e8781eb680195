"""What playback needs of a recorded segment, and where a player finds a camera's segments.

Separate from the player so that callers can describe recordings without pulling in decoding: the store's
``RecordingRepository`` satisfies ``SegmentSource`` as it is, and ``RecordedSegment`` / ``SegmentList`` describe
files that are not in the store (tests, demo files, the review dialog's clip preview).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable

__all__ = ["RecordedSegment", "SegmentLike", "SegmentList", "SegmentSource", "is_growing"]


@runtime_checkable
class SegmentLike(Protocol):
    """What playback needs of a recorded segment (store.recordings.Segment has it)."""

    @property
    def start_at(self) -> datetime: ...

    @property
    def end_at(self) -> datetime: ...

    @property
    def path(self) -> str | os.PathLike[str]: ...  # absolute


class SegmentSource(Protocol):
    """Where a player finds a camera's segments (store.recordings.RecordingRepository is one)."""

    def segments(self, camera_id: str, start: datetime, end: datetime) -> Sequence[SegmentLike]: ...


@dataclass(frozen=True, slots=True)
class RecordedSegment:
    """A segment file described in memory (files that are not in the store: tests, demo files)."""

    start_at: datetime
    end_at: datetime
    path: str | os.PathLike[str]
    status: str = "complete"


@dataclass
class SegmentList:
    """A ``SegmentSource`` over segments held in memory: {camera id: segments}."""

    by_camera: dict[str, list[SegmentLike]] = field(default_factory=dict)

    def add(self, camera_id: str, segment: SegmentLike) -> None:
        self.by_camera.setdefault(camera_id, []).append(segment)

    def segments(self, camera_id: str, start: datetime, end: datetime) -> list[SegmentLike]:
        return sorted((s for s in self.by_camera.get(camera_id, ()) if s.end_at >= start and s.start_at <= end),
                      key=lambda s: s.start_at)


def is_growing(segment: SegmentLike) -> bool:
    """True while the recorder is still writing the segment (its file grows; its end_at moves on)."""
    return getattr(segment, "status", "complete") == "recording"
