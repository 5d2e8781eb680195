"""Frame-accurate reading of one recorded segment file: its packet index, and a decoder that seeks by it.

Time mapping (the recorder's contract): a packet with timestamp p in a segment file maps to UTC
``start_at + (p - first_pts_in_file) * time_base``.

Frame accuracy. FFmpeg cannot seek an MPEG-TS file to a keyframe: it lands on whatever packet is near the
timestamp (measured here: 0.47 s into a 1 s GOP, so the next 8 frames could not be decoded). So every segment
file is indexed once on first use - its video packets' timestamps and keyframe flags, read without decoding
(about 1 ms per 12 s of 360p) - and a seek goes to the keyframe at or before the wanted frame: FFmpeg seeks
near it, packets before that keyframe are dropped, and decoding runs forward to the exact frame. The index also
gives every frame's time without decoding, so frame steps and "which frame is at t" are exact.

Separate from ``playback`` because this is about one file only - no clock, no threads, no segment lists: the
player (``c4desk.media.playback.PlaybackPlayer``) decides which file and which frame, and this module gets that
frame out of the file. ``SegmentReader`` also keeps the decoded pictures of the current GOP, which reverse play
shows without decoding the GOP again.
"""

from __future__ import annotations

import bisect
import contextlib
import itertools
import math
import os
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import av

__all__ = ["MAX_CACHED_FRAMES", "SKIP_AHEAD_S", "SegmentIndex", "SegmentReader", "index_segment"]

SKIP_AHEAD_S = 2.0  # wanted frame further ahead than this (media seconds) past what is decoded: seek, don't decode
MAX_CACHED_FRAMES = 240  # decoded pictures kept for reverse play (one GOP, capped)
_PTS_WRAP = 1 << 33  # MPEG-TS timestamps are 33 bits


@dataclass(frozen=True)
class SegmentIndex:
    """Every video packet of one segment file: timestamps in display order and where the keyframes are."""

    path: str
    size: int
    start_ts: float  # the segment's start_at (POSIX seconds)
    first_pts: int
    time_base: Fraction
    times: tuple[int, ...]  # unwrapped pts of every frame, ascending
    keys: tuple[int, ...]  # unwrapped pts of keyframes, ascending
    utcs: tuple[float, ...]  # POSIX seconds of every frame
    frame_s: float  # typical frame interval

    def utc(self, pts: int) -> float:
        return self.start_ts + float((pts - self.first_pts) * self.time_base)

    def frame_at(self, ts: float) -> int:
        """Index (into times) of the last frame at or before ``ts``; -1 if ``ts`` is before the first."""
        return bisect.bisect_right(self.utcs, ts + 1e-6) - 1

    def keyframe_for(self, pts: int) -> int:
        i = bisect.bisect_right(self.keys, pts) - 1
        return self.keys[i] if i >= 0 else self.times[0]

    def next_keyframe(self, pts: int) -> int | None:
        i = bisect.bisect_right(self.keys, pts)
        return self.keys[i] if i < len(self.keys) else None


def _unwrap(pts: int, first: int) -> int:
    return pts + _PTS_WRAP if pts < first - (_PTS_WRAP >> 1) else pts


def index_segment(path: str, start_ts: float) -> SegmentIndex:
    """Read a segment file's packets (no decoding) into an ``SegmentIndex``. Raises OSError / av.FFmpegError."""
    size = os.path.getsize(path)
    with av.open(path) as container:
        if not container.streams.video:
            raise av.error.InvalidDataError(0, "no video stream")
        stream = container.streams.video[0]
        raw: list[tuple[int, bool]] = []
        for packet in container.demux(stream):
            if packet.pts is not None and packet.size:
                raw.append((int(packet.pts), bool(packet.is_keyframe)))
        time_base = stream.time_base or Fraction(1, 90000)
    if not raw:
        raise av.error.InvalidDataError(0, "no video packets yet")
    first = raw[0][0]
    first = min(_unwrap(p, first) for p, _ in raw)
    times = sorted({_unwrap(p, first) for p, _ in raw})
    keys = sorted({_unwrap(p, first) for p, k in raw if k}) or [times[0]]
    utcs = tuple(start_ts + float((p - first) * time_base) for p in times)
    steps = sorted(b - a for a, b in itertools.pairwise(utcs)) if len(utcs) > 1 else [1 / 15]
    return SegmentIndex(path, size, start_ts, first, time_base, tuple(times), tuple(keys), utcs,
                        max(1e-3, steps[len(steps) // 2]))



class SegmentReader:
    """One segment file open for decoding, with the decoded pictures of the current GOP."""

    def __init__(self, index: SegmentIndex) -> None:
        self.index = index
        self.container = av.open(index.path)
        self.stream = self.container.streams.video[0]
        self.codec = self.stream.codec_context
        self.codec.thread_type = "AUTO"
        self.cache: dict[int, av.VideoFrame] = {}
        self.decoded_upto: int | None = None  # pts of the last picture decoded since the last seek
        self._packets: Iterator[av.Packet[Any]] | None = None  # the demuxer, positioned after decoded_upto
        self._pending: av.Packet[Any] | None = None  # a packet read but not decoded yet (the keyframe after a seek)
        self.sar: Fraction | None = None

    def close(self) -> None:
        self.cache.clear()
        with contextlib.suppress(Exception):
            self.container.close()

    def frame(self, pts: int) -> av.VideoFrame | None:
        """The picture whose (unwrapped) pts is ``pts``, decoding from its keyframe if needed."""
        cached = self.cache.get(pts)
        if cached is not None:
            return cached
        key = self.index.keyframe_for(pts)
        upto = self.decoded_upto
        gap_s = float((pts - upto) * self.index.time_base) if upto is not None else math.inf
        if self._packets is None or upto is None or pts < upto or (upto < key and gap_s > SKIP_AHEAD_S):
            self._seek(key)
        found = self._decode_until(pts)
        self._trim(pts)
        return found

    def _seek(self, key: int) -> None:
        self.cache.clear()
        self.codec.flush_buffers()
        wrapped = key % _PTS_WRAP
        # Land at or before the keyframe: FFmpeg's TS seek goes near the timestamp, and may stop just after it.
        for back in (1, round(1 / self.index.time_base), None):
            if back is None:
                self.container.seek(0, backward=True)  # the start of the file (any stream, AV_TIME_BASE)
            else:
                self.container.seek(max(0, wrapped - back), stream=self.stream, backward=True)
            self._packets = self.container.demux(self.stream)
            first = self._skip_to(key)
            if first is not None:
                self._pending = first
                self.decoded_upto = key - 1
                return
        raise av.error.InvalidDataError(0, "keyframe not found in segment")

    def _skip_to(self, key: int) -> av.Packet[Any] | None:
        """Drop packets before the keyframe ``key``: the keyframe's packet, or None when the seek landed past it
        (a later keyframe comes first)."""
        assert self._packets is not None
        for packet in self._packets:
            if packet.pts is None or not packet.size:
                continue
            pts = _unwrap(int(packet.pts), self.index.first_pts)
            if pts == key:
                return packet
            if pts > key and packet.is_keyframe:
                return None
        return None

    def _decode_until(self, pts: int) -> av.VideoFrame | None:
        assert self._packets is not None
        while True:
            packet = self._pending
            self._pending = None
            if packet is None:
                packet = next(self._packets, None)
            if packet is None:  # end of file: drain the decoder
                frames = self._decode(None)
                self._packets = None
            else:
                frames = self._decode(packet)
            for frame in frames:
                if frame.pts is None:
                    continue
                fpts = _unwrap(int(frame.pts), self.index.first_pts)
                self.cache[fpts] = frame
                self.decoded_upto = fpts
                if self.sar is None:
                    self.sar = self.codec.sample_aspect_ratio
            if pts in self.cache:
                return self.cache[pts]
            if self._packets is None:
                # The frame was not decodable (a damaged packet): the nearest picture before it will do.
                earlier = [p for p in self.cache if p <= pts]
                return self.cache[max(earlier)] if earlier else None

    def _decode(self, packet: av.Packet[Any] | None) -> list[av.VideoFrame]:
        try:
            return list(self.codec.decode(packet))
        except av.error.InvalidDataError:
            return []  # a damaged packet: the decoder recovers at the next keyframe

    def _trim(self, pts: int) -> None:
        """Keep the pictures of the GOP around ``pts`` (reverse play shows them next), nothing older."""
        key = self.index.keyframe_for(pts)
        nxt = self.index.next_keyframe(pts)
        for p in [p for p in self.cache if p < key or (nxt is not None and p >= nxt)]:
            del self.cache[p]
        if len(self.cache) > MAX_CACHED_FRAMES:
            for p in sorted(self.cache)[: len(self.cache) - MAX_CACHED_FRAMES]:
                if p != pts:
                    del self.cache[p]
