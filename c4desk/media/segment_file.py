"""One segment file being written: an MPEG-TS muxer fed by stream copy, and its row in the recording index.

Timestamps are rebased so every file starts at DTS 0 (MPEG-TS timestamps are 33 bits and wrap after 26.5 h; a file
never spans that). ``flush_packets`` hands every packet to the file at once, so a reader near "now" and a writer
killed mid-file both leave whole packets on disk. The instant of a timestamp follows the index's TIME MAPPING
(``c4desk.store.recordings``): ``start_at + (pts - first_pts) * time_base``.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any

import av

from c4desk.media.packet_timeline import TimedPacket
from c4desk.store.recordings import RecordingRepository, Segment

log = logging.getLogger(__name__)


class SegmentFile:
    """One open ``.ts`` file and its index row. Timestamps are rebased so the file starts at DTS 0."""

    def __init__(self, repo: RecordingRepository, camera_id: str, template: Any, start_at: datetime,
                 first: TimedPacket, time_base: Fraction) -> None:
        self.repo = repo
        self.time_base = time_base
        self.segment = repo.open_segment(camera_id, start_at, template.codec_context.name)
        self.path = self.segment.path
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # flush_packets: every packet reaches the file at once, so a reader near "now" and a killed writer
            # both find whole packets on disk.
            self._out: Any = av.open(str(self.path), "w", format="mpegts", options={"flush_packets": "1"})
            self._stream = self._out.add_stream_from_template(template)
        except Exception:
            repo.close_segment(self.segment.id, start_at, 0)  # no file: leave no row 'recording'
            raise
        self.start_at = self.segment.start_at
        self.first_pts = first.pts
        self._base = first.dts
        self._end = first.pts
        self.packets = 0

    def write(self, tp: TimedPacket) -> None:
        packet = tp.packet
        packet.pts, packet.dts = tp.pts - self._base, tp.dts - self._base
        packet.duration = tp.duration
        packet.time_base = self.time_base
        packet.stream = self._stream
        self._out.mux(packet)
        self._end = max(self._end, tp.pts + tp.duration)
        self.packets += 1

    def wall_at(self, pts: int) -> datetime:
        return self.start_at + timedelta(seconds=float((pts - self.first_pts) * self.time_base))

    @property
    def end_at(self) -> datetime:
        return self.wall_at(self._end)

    def size(self) -> int:
        try:
            return self.path.stat().st_size
        except OSError:
            return 0

    def extend(self) -> None:
        self.repo.extend_segment(self.segment.id, self.end_at, self.size())

    def close(self, end_at: datetime | None = None) -> Segment | None:
        try:
            self._out.close()
        except Exception:  # a full disk, a vanished directory: the index still gets closed
            log.warning("closing %s failed", self.path, exc_info=True)
        return self.repo.close_segment(self.segment.id, end_at or self.end_at, self.size())
