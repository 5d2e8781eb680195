"""Recorded video played back at a chosen UTC time: one time cursor, any number of cameras, frame-accurate.

Model. A ``MediaClock`` is the time cursor (the "main timeline"): a UTC position that moves at a speed
(-8x..8x) while playing. A ``PlaybackPlayer`` shows one camera's recording at whatever time its clock says:
its worker thread asks the clock for the time, finds the segment and the exact frame recorded at that moment
(the last frame whose time is <= the clock), decodes it and publishes it as the latest frame, through the same
``VideoPlayer`` interface the live backends use, so a wall tile shows it like any other player. Tiles that
share one clock stay in step by construction: each works out its frame from the same position, so they can
differ only by decode latency, never drift.

Time mapping and frame accuracy (how a UTC time becomes one exact frame of one file): see
``c4desk.media.segment_reader``. Where the pieces live: the clock in ``media_clock``, what a segment is and
where segments come from in ``segment_source``, one file's index and decoder in ``segment_reader``; this
module is the player that ties them together (and re-exports the names callers import from here).

Speeds. Forward play decodes one frame ahead while it waits for the next frame's moment, so a frame is shown
as soon as the clock reaches it. When decoding cannot keep up (8x on a large picture) the player never falls
behind the clock: if the wanted frame is more than ``segment_reader.SKIP_AHEAD_S`` ahead it seeks there
instead of decoding everything between (frames are dropped, time is kept). Reverse play decodes a GOP forward
from its keyframe, keeps the decoded pictures, and shows them in reverse order, then steps back one GOP; each GOP
is decoded once.

Gaps. Between segments (or before the first / after the last) the player shows nothing and says so in
``notice`` ("no recording"); the last frame of a segment is held for a short moment only, so a real gap is never
painted over with an old picture. The still-growing last segment is re-indexed when the clock reaches its end.
"""

from __future__ import annotations

import bisect
import logging
import math
import os
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import av
from av.video.reformatter import VideoReformatter

from c4desk.media.av_player import describe_av_error
from c4desk.media.media_clock import (
    MAX_SPEED,
    MIN_SPEED,
    ClockState,
    MediaClock,
    check_speed,
    posix_seconds,
    utc_datetime,
)
from c4desk.media.player import PlayerState, VideoPlayer, fit_size
from c4desk.media.segment_reader import SegmentIndex, SegmentReader, index_segment
from c4desk.media.segment_source import RecordedSegment, SegmentLike, SegmentList, SegmentSource, is_growing

# The clock and the segment types live in their own modules; they are re-exported here because callers know
# them as ``c4desk.media.playback.*`` (index_segment too: the tests index files with it).
__all__ = ["MAX_SPEED", "MIN_SPEED", "ClockState", "MediaClock", "PlaybackPlayer", "RecordedSegment", "SegmentLike",
           "SegmentList", "SegmentSource", "check_speed", "index_segment"]

log = logging.getLogger(__name__)

WINDOW_S = 600.0  # segments are looked up this far either side of the clock
LIVE_EDGE_REFRESH_S = 1.0  # near the end of the recording, ask for new segments this often
REINDEX_EVERY_S = 0.5  # a growing segment is re-indexed at most this often
HOLD_MIN_S = 0.25  # the last frame of a segment stays this long at least (or two frame intervals)
JOIN_S = 1.0  # a following segment that starts within this of the last frame is continuous recording
BAD_FILE_RETRY_S = 5.0
MAX_WAIT_S = 0.25  # the worker looks at the clock at least this often


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
        self._indexes: dict[str, SegmentIndex] = {}
        self._index_tried: dict[str, float] = {}
        self._bad: dict[str, tuple[float, str]] = {}
        self._reader: SegmentReader | None = None
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
            return None if self._gap_until is None else utc_datetime(self._gap_until)

    @property
    def shown_at(self) -> datetime | None:
        """When the picture shown now was recorded."""
        with self._info_lock:
            return None if self._shown_utc is None else utc_datetime(self._shown_utc)

    @property
    def state(self) -> PlayerState:
        state = super().state
        return PlayerState.LIVE if state is PlayerState.STALLED else state

    def frame_time(self, offset: int, at: datetime | None = None) -> datetime | None:
        """The time of the frame ``offset`` frames after (negative: before) the one shown at ``at`` (default:
        the clock's position), crossing into neighbouring segments; None where there is no such frame known."""
        ts = posix_seconds(at) if at is not None else self._clock.position_ts()
        segments, starts = self._table
        i = bisect.bisect_right(starts, ts) - 1
        index = self._indexes.get(str(segments[i].path)) if 0 <= i < len(segments) else None
        if index is None:
            return None
        j = index.frame_at(ts) + offset
        if 0 <= j < len(index.utcs):
            return utc_datetime(index.utcs[j])
        if j >= len(index.utcs) and i + 1 < len(segments):
            return segments[i + 1].start_at
        if j < 0 and i > 0:
            before = self._indexes.get(str(segments[i - 1].path))
            return utc_datetime(before.utcs[-1]) if before is not None else segments[i - 1].end_at
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
                reader = self._reader = SegmentReader(self._indexes[want.path])
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
            near_edge = ts >= posix_seconds(last.end_at) - 5.0 or is_growing(last)
            stale = near_edge and now - self._window_fetched >= LIVE_EDGE_REFRESH_S
        if not stale:
            return
        lo, hi = ts - WINDOW_S, ts + WINDOW_S
        try:
            found = list(self._source.segments(self.camera_id, utc_datetime(lo), utc_datetime(hi)))
        except Exception as exc:  # the store is unreachable: keep what we had, say so
            log.warning("playback %s: cannot list recordings: %s", self.camera_id, exc)
            self._window_fetched = now
            return
        ordered = sorted(found, key=lambda s: s.start_at)
        self._table = (ordered, [posix_seconds(s.start_at) for s in ordered])
        self._window = (lo + 60.0, hi - 60.0)
        self._window_fetched = now

    def _index(self, segment: SegmentLike, ts: float) -> SegmentIndex | str:
        """The segment's index (re-read when a growing file has grown), or why there is none."""
        path = str(Path(segment.path))
        bad = self._bad.get(path)
        now = time.monotonic()
        if bad is not None and now < bad[0]:
            return bad[1]
        index = self._indexes.get(path)
        if index is not None:
            if not (is_growing(segment) or ts > index.utcs[-1] + index.frame_s) or now - self._index_tried.get(
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
            index = index_segment(path, posix_seconds(segment.start_at))
        except (OSError, av.FFmpegError) as exc:
            if index is not None:
                return index
            if is_growing(segment) and not isinstance(exc, FileNotFoundError):
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
                if isinstance(before, SegmentIndex) and ts - before.utcs[-1] <= self._hold(before, starts[i]):
                    return _Want(before.path, before.times[-1], before.utcs[-1])
            return _Want(gap="no recording", gap_until=index.utcs[0])
        if j == len(index.times) - 1 and ts - index.utcs[j] > self._hold(index, following):
            end = posix_seconds(segments[i].end_at)
            if is_growing(segments[i]) and ts <= max(end, index.utcs[j]) + 2.0:
                return _Want(index.path, index.times[j], index.utcs[j])  # the recorder is a moment behind
            return _Want(gap="no recording", gap_until=following)
        return _Want(index.path, index.times[j], index.utcs[j])

    @staticmethod
    def _hold(index: SegmentIndex, following: float | None) -> float:
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
