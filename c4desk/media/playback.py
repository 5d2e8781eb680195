"""Recorded video played back at a chosen UTC time: one time cursor, any number of cameras, frame-accurate.

Model. A ``MediaClock`` is the time cursor (the "main timeline"): a UTC position that moves at a speed
(-8x..8x) while playing. A ``PlaybackPlayer`` shows one camera's recording at whatever time its clock says:
its worker thread asks the clock for the time, finds the segment and the exact frame recorded at that moment
(the last frame whose time is <= the clock), decodes it and publishes it as the latest frame, through the same
``VideoPlayer`` interface the live backends use, so a wall tile shows it like any other player. Tiles that
share one clock stay in step by construction: each works out its frame from the same position, so they can
differ only by decode latency, never drift.

Time mapping (the recorder's contract): a packet with timestamp p in a segment file maps to UTC
``start_at + (p - first_pts_in_file) * time_base``.

Frame accuracy. FFmpeg cannot seek an MPEG-TS file to a keyframe: it lands on whatever packet is near the
timestamp (measured here: 0.47 s into a 1 s GOP, so the next 8 frames could not be decoded). So every segment
file is indexed once on first use - its video packets' timestamps and keyframe flags, read without decoding
(about 1 ms per 12 s of 360p) - and a seek goes to the keyframe at or before the wanted frame: FFmpeg seeks
near it, packets before that keyframe are dropped, and decoding runs forward to the exact frame. The index also
gives every frame's time without decoding, so frame steps and "which frame is at t" are exact.

Speeds. Forward play decodes one frame ahead while it waits for the next frame's moment, so a frame is shown
as soon as the clock reaches it. When decoding cannot keep up (8x on a large picture) the player never falls
behind the clock: if the wanted frame is more than ``SKIP_AHEAD_S`` ahead it seeks there instead of decoding
everything between (frames are dropped, time is kept). Reverse play decodes a GOP forward from its keyframe,
keeps the decoded pictures, and shows them in reverse order, then steps back one GOP; each GOP is decoded once.

Gaps. Between segments (or before the first / after the last) the player shows nothing and says so in
``notice`` ("no recording"); the last frame of a segment is held for a short moment only, so a real gap is never
painted over with an old picture. The still-growing last segment is re-indexed when the clock reaches its end.
"""

from __future__ import annotations

import bisect
import contextlib
import itertools
import logging
import math
import os
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import av
from av.video.reformatter import VideoReformatter

from c4desk.media.av_player import describe_av_error
from c4desk.media.player import PlayerState, VideoPlayer, fit_size

__all__ = [
    "MAX_SPEED",
    "MIN_SPEED",
    "ClockState",
    "MediaClock",
    "PlaybackPlayer",
    "RecordedSegment",
    "SegmentLike",
    "SegmentList",
    "SegmentSource",
    "check_speed",
]

log = logging.getLogger(__name__)

MAX_SPEED = 8.0
MIN_SPEED = 1.0 / 8.0
SKIP_AHEAD_S = 2.0  # wanted frame further ahead than this (media seconds) past what is decoded: seek, don't decode
WINDOW_S = 600.0  # segments are looked up this far either side of the clock
LIVE_EDGE_REFRESH_S = 1.0  # near the end of the recording, ask for new segments this often
REINDEX_EVERY_S = 0.5  # a growing segment is re-indexed at most this often
HOLD_MIN_S = 0.25  # the last frame of a segment stays this long at least (or two frame intervals)
JOIN_S = 1.0  # a following segment that starts within this of the last frame is continuous recording
BAD_FILE_RETRY_S = 5.0
MAX_CACHED_FRAMES = 240  # decoded pictures kept for reverse play (one GOP, capped)
MAX_WAIT_S = 0.25  # the worker looks at the clock at least this often
_PTS_WRAP = 1 << 33  # MPEG-TS timestamps are 33 bits


# ----------------------------------------------------------------------------------------------- time helpers


def _ts(t: datetime) -> float:
    if t.tzinfo is None:
        raise ValueError("playback times must be aware UTC datetimes")
    return t.timestamp()


def _dt(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def check_speed(speed: float) -> float:
    """``speed`` as a float, or ValueError saying why it is not a playback speed (-8..-1/8 or 1/8..8)."""
    value = float(speed)
    if not math.isfinite(value) or not MIN_SPEED <= abs(value) <= MAX_SPEED:
        raise ValueError(f"speed must be between {MIN_SPEED:g} and {MAX_SPEED:g} either way, got {speed!r}")
    return value


# ------------------------------------------------------------------------------------------------- the clock


@dataclass(frozen=True, slots=True)
class ClockState:
    """One consistent reading of a clock: where it was at ``anchor_mono`` and how it moves from there."""

    anchor_ts: float  # UTC position (POSIX seconds) at anchor_mono
    anchor_mono: float  # time.monotonic() of the anchor
    speed: float
    playing: bool
    generation: int  # changes on every seek / speed / play / pause

    def at(self, mono: float) -> float:
        """The position (POSIX seconds) at monotonic time ``mono``."""
        if not self.playing:
            return self.anchor_ts
        return self.anchor_ts + (mono - self.anchor_mono) * self.speed


class MediaClock:
    """The playback time cursor. Thread-safe: the GUI moves it, any number of player threads read it.

    Pausing keeps the position; ``seek`` keeps playing or paused as it was. Every change wakes the players
    waiting on the clock, so a seek is acted on at once, not at the next frame's moment.
    """

    def __init__(self, at: datetime, *, speed: float = 1.0, playing: bool = False) -> None:
        self._cond = threading.Condition()
        self._state = ClockState(_ts(at), time.monotonic(), check_speed(speed), playing, 0)

    def state(self) -> ClockState:
        with self._cond:
            return self._state

    def position(self) -> datetime:
        return _dt(self.position_ts())

    def position_ts(self) -> float:
        return self.state().at(time.monotonic())

    @property
    def speed(self) -> float:
        return self.state().speed

    @property
    def playing(self) -> bool:
        return self.state().playing

    def seek(self, at: datetime) -> None:
        self._change(anchor_ts=_ts(at))

    def play(self, speed: float | None = None) -> None:
        self._change(speed=None if speed is None else check_speed(speed), playing=True)

    def pause(self) -> None:
        self._change(playing=False)

    def set_speed(self, speed: float) -> None:
        self._change(speed=check_speed(speed))

    def copy(self) -> MediaClock:
        """An independent clock that starts where this one is now, in the same state."""
        s = self.state()
        return MediaClock(_dt(s.at(time.monotonic())), speed=s.speed, playing=s.playing)

    def wait(self, generation: int, timeout: float) -> None:
        """Block until the clock changes from ``generation`` or ``timeout`` seconds pass (or ``wake``)."""
        with self._cond:
            if self._state.generation == generation and timeout > 0:
                self._cond.wait(timeout)

    def wake(self) -> None:
        """Wake every waiting player (one of them is being stopped)."""
        with self._cond:
            self._cond.notify_all()

    def _change(self, *, anchor_ts: float | None = None, speed: float | None = None,
                playing: bool | None = None) -> None:
        with self._cond:
            old = self._state
            now = time.monotonic()
            self._state = ClockState(
                old.at(now) if anchor_ts is None else anchor_ts, now,
                old.speed if speed is None else speed,
                old.playing if playing is None else playing, old.generation + 1)
            self._cond.notify_all()

    def __repr__(self) -> str:
        s = self.state()
        return f"<MediaClock {self.position().isoformat()} {'playing' if s.playing else 'paused'} {s.speed:g}x>"


# --------------------------------------------------------------------------------------------- the segments


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


def _is_growing(segment: SegmentLike) -> bool:
    return getattr(segment, "status", "complete") == "recording"


@dataclass(frozen=True)
class _Index:
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


def index_segment(path: str, start_ts: float) -> _Index:
    """Read a segment file's packets (no decoding) into an ``_Index``. Raises OSError / av.FFmpegError."""
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
    return _Index(path, size, start_ts, first, time_base, tuple(times), tuple(keys), utcs,
                  max(1e-3, steps[len(steps) // 2]))


# ------------------------------------------------------------------------------------------------ decoding


class _Reader:
    """One segment file open for decoding, with the decoded pictures of the current GOP."""

    def __init__(self, index: _Index) -> None:
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


# ------------------------------------------------------------------------------------------------- the player


@dataclass(frozen=True, slots=True)
class _Want:
    """The frame to show for a clock position: (segment file, its pts), or a gap."""

    path: str = ""
    pts: int = 0
    utc: float = 0.0
    gap: str = ""  # why there is no picture ("no recording", "recording file missing", ...)
    gap_until: float | None = None  # where recording resumes, if known


class PlaybackPlayer(VideoPlayer):
    """One camera's recording, shown at the time ``clock`` says. See the module docstring.

    ``source`` is a RecordingRepository (or any ``SegmentSource``); it is asked for segments on the worker
    thread. Frames' ``pts_s`` is the UTC time they were recorded (POSIX seconds).
    """

    backend_name = "playback"
    holds_still = True  # a paused recording shows one picture for ever: not a stalled stream (wall watchdog)

    def __init__(self, camera_id: str, source: SegmentSource, clock: MediaClock, *,
                 target_size: tuple[int, int] | None = None) -> None:
        super().__init__(f"playback:{camera_id}", target_size=target_size, stall_after_s=math.inf)
        self.camera_id = camera_id
        self._source = source
        self._clock = clock
        self._thread: threading.Thread | None = None
        self._stop_event = threading.Event()
        self._info_lock = threading.Lock()
        self._notice = ""
        self._gap_until: float | None = None
        self._shown_utc: float | None = None
        # Worker-thread state:
        # The segments near the clock by start, and their start times (POSIX s) for bisecting: one tuple,
        # replaced whole by the worker, so frame_time() on the GUI thread always sees a matching pair.
        self._table: tuple[list[SegmentLike], list[float]] = ([], [])
        self._window: tuple[float, float] | None = None
        self._window_fetched = 0.0
        self._indexes: dict[str, _Index] = {}
        self._index_tried: dict[str, float] = {}
        self._bad: dict[str, tuple[float, str]] = {}
        self._reader: _Reader | None = None
        self._reformatter = VideoReformatter()
        self._ready: tuple[str, int, tuple[int, int] | None, object] | None = None

    # -------------------------------------------------------------------------------------------- public

    @property
    def clock(self) -> MediaClock:
        return self._clock

    def set_clock(self, clock: MediaClock) -> None:
        """Follow another clock from now on (a tile leaving or joining the main timeline)."""
        old, self._clock = self._clock, clock
        old.wake()
        clock.wake()

    @property
    def notice(self) -> str:
        """Why nothing is shown at the clock's time ("no recording", ...), or "" when a recording is shown."""
        with self._info_lock:
            return self._notice

    @property
    def gap_until(self) -> datetime | None:
        """In a gap: where recording resumes (None: not known, or no later recording)."""
        with self._info_lock:
            return None if self._gap_until is None else _dt(self._gap_until)

    @property
    def shown_at(self) -> datetime | None:
        """When the picture shown now was recorded."""
        with self._info_lock:
            return None if self._shown_utc is None else _dt(self._shown_utc)

    @property
    def state(self) -> PlayerState:
        state = super().state
        return PlayerState.LIVE if state is PlayerState.STALLED else state

    def frame_time(self, offset: int, at: datetime | None = None) -> datetime | None:
        """The time of the frame ``offset`` frames after (negative: before) the one shown at ``at`` (default:
        the clock's position), crossing into neighbouring segments; None where there is no such frame known."""
        ts = _ts(at) if at is not None else self._clock.position_ts()
        segments, starts = self._table
        i = bisect.bisect_right(starts, ts) - 1
        index = self._indexes.get(str(segments[i].path)) if 0 <= i < len(segments) else None
        if index is None:
            return None
        j = index.frame_at(ts) + offset
        if 0 <= j < len(index.utcs):
            return _dt(index.utcs[j])
        if j >= len(index.utcs) and i + 1 < len(segments):
            return segments[i + 1].start_at
        if j < 0 and i > 0:
            before = self._indexes.get(str(segments[i - 1].path))
            return _dt(before.utcs[-1]) if before is not None else segments[i - 1].end_at
        return None

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive() and not self._stop_event.is_set():
            return
        self._stop_event = threading.Event()
        self._begin()
        self._thread = threading.Thread(target=self._run, args=(self._stop_event,), daemon=True,
                                        name=f"playback {self.camera_id}")
        self._thread.start()

    def stop(self) -> None:
        self._stop_event.set()
        self._clock.wake()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=JOIN_S)
            if thread.is_alive():
                log.warning("playback thread for %s still busy after stop()", self.camera_id)
        self._mark_stopped()

    def _target_size_changed(self) -> None:
        self._ready = None
        self._clock.wake()

    # -------------------------------------------------------------------------------------------- worker

    def _run(self, stop: threading.Event) -> None:
        shown: tuple[str, int, tuple[int, int] | None] | None = None
        try:
            while not stop.is_set():
                clock = self._clock
                state = clock.state()
                ts = state.at(time.monotonic())
                want = self._locate(ts)
                if want.gap:
                    self._set_gap(want)
                    shown = None
                    clock.wait(state.generation, MAX_WAIT_S)
                    continue
                box = self.target_size
                key = (want.path, want.pts, box)
                if key != shown:
                    if self._show(want, box):
                        shown = key
                    else:
                        clock.wait(state.generation, 0.05)  # an undecodable frame: do not spin on it
                    continue
                # The right picture is up: get the next one ready, then wait for its moment (or a change).
                wait = MAX_WAIT_S
                if state.playing:
                    forward = state.speed > 0
                    nxt = self._neighbour(want, 1 if forward else -1)
                    if nxt is not None and not nxt.gap:
                        self._prepare(nxt, box)
                    # Forward, the next frame is due when the clock reaches it; backward, when it leaves this one.
                    boundary = (nxt.utc if nxt is not None else None) if forward else want.utc
                    if boundary is not None:
                        due = (boundary - state.at(time.monotonic())) / state.speed + 0.0005
                        wait = min(wait, max(0.0, due))
                if wait > 0:
                    clock.wait(state.generation, wait)
        except Exception as exc:  # never let a broken file kill the thread silently
            log.warning("playback of %s failed", self.camera_id, exc_info=True)
            self._finish(PlayerState.ERROR, describe_av_error(exc))
        finally:
            if self._reader is not None:
                self._reader.close()
                self._reader = None
            self._ready = None

    def _set_gap(self, want: _Want) -> None:
        with self._info_lock:
            self._notice = want.gap
            self._gap_until = want.gap_until
            self._shown_utc = None

    def _show(self, want: _Want, box: tuple[int, int] | None) -> bool:
        ready = self._ready
        if ready is not None and ready[:3] == (want.path, want.pts, box):
            image = ready[3]
        else:
            image = self._picture(want, box)
            if image is None:
                return False
        self._ready = None
        assert isinstance(image, av.VideoFrame)
        plane = image.planes[0]
        self._count_decoded()
        self._publish(image.width, image.height, plane.line_size, memoryview(plane).toreadonly(), want.utc)
        with self._info_lock:
            self._notice = ""
            self._gap_until = None
            self._shown_utc = want.utc
        return True

    def _prepare(self, want: _Want, box: tuple[int, int] | None) -> None:
        ready = self._ready
        if ready is not None and ready[:3] == (want.path, want.pts, box):
            return
        image = self._picture(want, box)
        if image is not None:
            self._ready = (want.path, want.pts, box, image)

    def _picture(self, want: _Want, box: tuple[int, int] | None) -> av.VideoFrame | None:
        """The wanted frame decoded and converted to BGRA at the tile's size; None if the file failed."""
        try:
            reader = self._reader
            if reader is None or reader.index.path != want.path or reader.index is not self._indexes.get(want.path):
                if reader is not None:
                    reader.close()
                self._reader = None
                reader = self._reader = _Reader(self._indexes[want.path])
            frame = reader.frame(want.pts)
        except (OSError, av.FFmpegError) as exc:
            self._mark_bad(want.path, exc)
            return None
        if frame is None:
            return None
        size = fit_size(frame.width, frame.height, box, reader.sar)
        scaled = size != (frame.width, frame.height)
        return self._reformatter.reformat(frame, width=size[0], height=size[1], format="bgra",
                                          interpolation="FAST_BILINEAR" if scaled else None)

    def _mark_bad(self, path: str, exc: BaseException) -> None:
        reason = ("recording file missing" if isinstance(exc, FileNotFoundError)
                  else f"cannot read recording: {describe_av_error(exc)}")
        log.warning("playback %s: %s (%s)", self.camera_id, reason, path)
        self._bad[path] = (time.monotonic() + BAD_FILE_RETRY_S, reason)
        if self._reader is not None and self._reader.index.path == path:
            self._reader.close()
            self._reader = None

    # ----------------------------------------------------------------------------------- where is time t

    def _refresh_segments(self, ts: float) -> None:
        window = self._window
        now = time.monotonic()
        stale = window is None or not window[0] <= ts <= window[1]
        segments = self._table[0]
        if not stale and segments:
            last = segments[-1]
            near_edge = ts >= _ts(last.end_at) - 5.0 or _is_growing(last)
            stale = near_edge and now - self._window_fetched >= LIVE_EDGE_REFRESH_S
        if not stale:
            return
        lo, hi = ts - WINDOW_S, ts + WINDOW_S
        try:
            found = list(self._source.segments(self.camera_id, _dt(lo), _dt(hi)))
        except Exception as exc:  # the store is unreachable: keep what we had, say so
            log.warning("playback %s: cannot list recordings: %s", self.camera_id, exc)
            self._window_fetched = now
            return
        ordered = sorted(found, key=lambda s: s.start_at)
        self._table = (ordered, [_ts(s.start_at) for s in ordered])
        self._window = (lo + 60.0, hi - 60.0)
        self._window_fetched = now

    def _index(self, segment: SegmentLike, ts: float) -> _Index | str:
        """The segment's index (re-read when a growing file has grown), or why there is none."""
        path = str(Path(segment.path))
        bad = self._bad.get(path)
        now = time.monotonic()
        if bad is not None and now < bad[0]:
            return bad[1]
        index = self._indexes.get(path)
        if index is not None:
            if not (_is_growing(segment) or ts > index.utcs[-1] + index.frame_s) or now - self._index_tried.get(
                    path, 0.0) < REINDEX_EVERY_S:
                return index
            try:
                if os.path.getsize(path) == index.size:
                    self._index_tried[path] = now
                    return index
            except OSError:
                return index
        self._index_tried[path] = now
        try:
            index = index_segment(path, _ts(segment.start_at))
        except (OSError, av.FFmpegError) as exc:
            if index is not None:
                return index
            if _is_growing(segment) and not isinstance(exc, FileNotFoundError):
                return "recording starting"
            self._mark_bad(path, exc)
            return self._bad[path][1]
        self._indexes[path] = index
        if len(self._indexes) > 32:  # forget the oldest-used files' indexes
            for old in list(self._indexes)[:8]:
                if old != path:
                    del self._indexes[old]
        return index

    def _locate(self, ts: float) -> _Want:
        self._refresh_segments(ts)
        segments, starts = self._table
        i = bisect.bisect_right(starts, ts + 1e-6) - 1
        following = starts[i + 1] if i + 1 < len(segments) else None
        if i < 0:
            return _Want(gap="no recording", gap_until=following)
        index = self._index(segments[i], ts)
        if isinstance(index, str):
            return _Want(gap=index, gap_until=following)
        j = index.frame_at(ts)
        if j < 0:  # between the segment's start_at and its first frame: the previous segment's last one
            if i > 0:
                before = self._index(segments[i - 1], ts)
                if isinstance(before, _Index) and ts - before.utcs[-1] <= self._hold(before, starts[i]):
                    return _Want(before.path, before.times[-1], before.utcs[-1])
            return _Want(gap="no recording", gap_until=index.utcs[0])
        if j == len(index.times) - 1 and ts - index.utcs[j] > self._hold(index, following):
            end = _ts(segments[i].end_at)
            if _is_growing(segments[i]) and ts <= max(end, index.utcs[j]) + 2.0:
                return _Want(index.path, index.times[j], index.utcs[j])  # the recorder is a moment behind
            return _Want(gap="no recording", gap_until=following)
        return _Want(index.path, index.times[j], index.utcs[j])

    @staticmethod
    def _hold(index: _Index, following: float | None) -> float:
        """How long a segment's last frame stays up: until the next segment if that follows at once."""
        last = index.utcs[-1]
        if following is not None and following - last <= JOIN_S:
            return following - last
        return max(HOLD_MIN_S, 2 * index.frame_s)

    def _neighbour(self, want: _Want, step: int) -> _Want | None:
        """The frame after (step 1) or before (-1) ``want`` in the same file, or at the next file's start."""
        index = self._indexes.get(want.path)
        if index is None:
            return None
        j = bisect.bisect_left(index.times, want.pts) + step
        if 0 <= j < len(index.times):
            return _Want(index.path, index.times[j], index.utcs[j])
        if step > 0:
            segments, starts = self._table
            k = bisect.bisect_right(starts, index.utcs[-1])
            if k < len(segments):
                return _Want(gap="next segment", utc=starts[k])
        return None
