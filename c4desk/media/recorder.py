"""The recorder: one camera's stream copied into MPEG-TS segment files, indexed in the store as it goes.

One worker thread per camera demuxes the source with PyAV (the wheel's FFmpeg, RTSP over TCP) and muxes the
packets unchanged into ``.ts`` files (no decoding, no encoding: about 1% of a core per camera, see
bench/record_bench.py). The file layout, the index rows and the TIME MAPPING a reader relies on are described
in ``c4desk.store.recordings``; in short, packet ``p`` of a file is at ``start_at + (p - first_pts) * time_base``.

How the timeline is kept honest (details in ``packet_timeline``):

* each connection's packets are repaired (split access units joined, missing DTS filled, discontinuities
  bridged by wall-clock time) before they reach a file, so every file has strictly increasing timestamps;
* a file starts at a keyframe; the recorder rolls to a new file at the first keyframe after ``segment_seconds``;
* a file's ``start_at`` is the receipt time of its first packet, taken from the least-delayed packets of the
  connection. After connecting, the first second of packets is held back (``settle_s``) so the burst FFmpeg
  delivers after probing does not make the first segment look later than it was;
* each file's timestamps are rebased to start at 0, so MPEG-TS's 33-bit timestamps never wrap inside one.

Outages: when the source fails, ends, or delivers nothing for ``read_timeout_s``, the open segment is closed at
its last packet, a gap is opened there with the reason, and the recorder reconnects with exponential backoff;
the gap is closed when the first segment after it starts. The open segment's ``end_at`` and ``bytes`` are
written every ``extend_every_s`` so playback near "now" finds the data.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from fractions import Fraction
from typing import Any

import av
import av.container

from c4desk.media.av_player import _Run as _InterruptibleRun  # the one way to abort a blocking FFmpeg read
from c4desk.media.av_player import describe_av_error
from c4desk.media.packet_timeline import PacketTimeline, TimedPacket, WallClockEstimate
from c4desk.media.segment_file import SegmentFile
from c4desk.store.recordings import RecordingRepository, Segment

log = logging.getLogger(__name__)

# Codecs the MPEG-TS muxer carries by stream copy. MJPEG and the like would need another container.
TS_CODECS = frozenset({"h264", "hevc", "mpeg2video", "mpeg1video", "mpeg4"})


class RecorderState(StrEnum):
    CONNECTING = "connecting"
    RECORDING = "recording"
    RETRYING = "retrying"  # in an outage, waiting to reconnect
    STOPPED = "stopped"


@dataclass(frozen=True)
class RecorderOptions:
    segment_seconds: float = 60.0
    open_timeout_s: float = 10.0
    read_timeout_s: float = 5.0  # no packet for this long is an outage ("stalled")
    settle_s: float = 1.0
    extend_every_s: float = 2.0
    backoff_initial_s: float = 1.0
    backoff_max_s: float = 30.0
    # Consecutive files may overlap by at most this when the camera's clock runs faster than ours (see _roll).
    max_overlap_s: float = 0.05


@dataclass
class RecorderStatus:
    camera_id: str
    state: RecorderState = RecorderState.STOPPED
    last_error: str = ""
    segment: Segment | None = None  # the file being written
    segments: int = 0  # files completed or started in this run
    packets: int = 0
    bytes: int = 0
    connects: int = 0
    since: datetime = field(default_factory=lambda: datetime.now(UTC))


class RecorderError(RuntimeError):
    """A source the recorder cannot keep (no video, a codec MPEG-TS cannot carry)."""


def _utc(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


class Recorder:
    """Records one camera until ``stop()``; survives outages (gaps) on its own. See the module docstring."""

    def __init__(self, repo: RecordingRepository, camera_id: str, url: str,
                 options: RecorderOptions | None = None) -> None:
        self.repo = repo
        self.camera_id = camera_id
        self.url = url
        self.options = options or RecorderOptions()
        self._status = RecorderStatus(camera_id)
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._run_state = _InterruptibleRun()
        self._file: SegmentFile | None = None
        self._last_end: datetime | None = None  # end of the last data written (the start of any gap after it)
        self._last_extend = 0.0

    # ---- control ----------------------------------------------------------------------------------------

    def start(self) -> Recorder:
        if self._thread is not None and self._thread.is_alive():
            return self
        run = self._run_state = _InterruptibleRun()
        self._set(state=RecorderState.CONNECTING)
        self._thread = threading.Thread(target=self._run, args=(run,), name=f"recorder {self.camera_id}",
                                        daemon=True)
        self._thread.start()
        return self

    def request_stop(self) -> None:
        """Ask the worker to stop (aborting a blocked read); ``join`` waits for it. stop() does both."""
        self._run_state.abort()

    def join(self, timeout: float = 10.0) -> bool:
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
            if thread.is_alive():
                log.warning("recorder %s still busy after %.0f s", self.camera_id, timeout)
                return False
        return True

    def stop(self, timeout: float = 10.0) -> bool:
        """Stop recording: the open segment is closed at its last packet. True when the worker has ended."""
        self.request_stop()
        return self.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def last_end(self) -> datetime | None:
        """Where the recording written so far ends (None before the first segment)."""
        return self._last_end

    def status(self) -> RecorderStatus:
        """A snapshot (counters may be a packet behind: the worker bumps them without the lock)."""
        with self._lock:
            return RecorderStatus(**self._status.__dict__)

    def _set(self, **changes: Any) -> None:
        with self._lock:
            if "state" in changes and changes["state"] != self._status.state:
                self._status.since = datetime.now(UTC)
            for key, value in changes.items():
                setattr(self._status, key, value)

    # ---- the worker -------------------------------------------------------------------------------------

    def _run(self, run: _InterruptibleRun) -> None:
        run.enter()
        backoff = self.options.backoff_initial_s
        try:
            while not run.stop.is_set():
                attempt_at = datetime.now(UTC)
                self._set(state=RecorderState.CONNECTING)
                packets_before = self._status.packets
                try:
                    self._session(run)
                    reason = "stream ended"
                except Exception as exc:
                    reason = self._describe(exc, delivered=self._status.packets > packets_before)
                self._finish_file()
                if run.stop.is_set():
                    break
                if self._status.packets > packets_before:
                    backoff = self.options.backoff_initial_s  # it was recording: try again soon
                log.info("recorder %s: %s; retrying in %.1f s", self.camera_id, reason, backoff)
                self._set(state=RecorderState.RETRYING, last_error=reason)
                self._safely(self.repo.open_gap, self.camera_id, self._last_end or attempt_at, reason)
                run.stop.wait(backoff)
                backoff = min(backoff * 2, self.options.backoff_max_s)
        finally:
            self._finish_file()
            run.leave()
            self._set(state=RecorderState.STOPPED, segment=None)

    def _describe(self, exc: BaseException, *, delivered: bool) -> str:
        if isinstance(exc, RecorderError):
            return str(exc)
        if not isinstance(exc, av.error.FFmpegError | OSError):
            log.warning("recorder %s failed", self.camera_id, exc_info=True)
        reason = describe_av_error(exc, self.url)
        if delivered and reason == "timed out":
            return f"stalled: no packets for {self.options.read_timeout_s:g} s"
        return f"stream lost: {reason}" if delivered else f"cannot connect: {reason}"

    def _source_options(self) -> dict[str, str]:
        opts = {"probesize": "500000", "analyzeduration": "1000000", "fpsprobesize": "0"}
        scheme = self.url.split("://", 1)[0].lower() if "://" in self.url else ""
        if scheme in ("rtsp", "rtsps", "http", "https", "tcp", "udp", "rtp"):
            opts["timeout"] = str(int(self.options.read_timeout_s * 1_000_000))
        if scheme.startswith("rtsp"):
            opts["rtsp_transport"] = "tcp"
            opts["allowed_media_types"] = "video"  # recordings keep video only
        return opts

    def _session(self, run: _InterruptibleRun) -> None:
        """One connection: record until the source ends, fails (raises) or stop is asked."""
        container: Any = av.open(self.url, options=self._source_options(),
                                 timeout=(self.options.open_timeout_s, self.options.read_timeout_s))
        try:
            if not container.streams.video:
                raise RecorderError("no video stream in the source")
            stream = container.streams.video[0]
            codec = stream.codec_context.name
            if codec not in TS_CODECS:
                raise RecorderError(f"video codec {codec!r} cannot be stream-copied into MPEG-TS")
            self._set(connects=self._status.connects + 1)
            time_base = stream.time_base or Fraction(1, 90000)
            timeline = PacketTimeline(time_base, codec)
            clock = WallClockEstimate(time_base)
            state = _Connection(stream, time_base, timeline, clock)
            for packet in container.demux(stream):
                if run.stop.is_set():
                    break
                for tp in timeline.feed(packet, time.time()):
                    self._take(tp, state)
            for tp in timeline.flush():
                self._take(tp, state)
        finally:
            with contextlib.suppress(Exception):
                container.close()

    def _take(self, tp: TimedPacket, conn: _Connection) -> None:
        conn.clock.observe(tp.dts, tp.received)
        self._status.packets += 1  # per-packet counters: one writer thread, no lock needed
        current = self._file
        if current is None:
            if not conn.settling and not tp.keyframe:
                return  # a file starts with a keyframe
            conn.settling.append(tp)
            if tp.received - conn.settling[0].received < self.options.settle_s:
                return
            first = conn.settling[0]
            start_at = _utc(conn.clock.wall(first.pts))
            if self._last_end is not None and start_at < self._last_end:
                start_at = self._last_end  # never overlap what is already recorded
            self._open_file(conn, first, start_at)
            self._safely(self.repo.close_gap, self.camera_id, start_at)
            for queued in conn.settling:
                self._write(queued)
            conn.settling.clear()
            return
        if tp.keyframe and float((tp.pts - current.first_pts) * conn.time_base) >= self.options.segment_seconds:
            self._roll(tp, conn, current)
        self._write(tp)

    def _roll(self, tp: TimedPacket, conn: _Connection, current: SegmentFile) -> None:
        """Close the file at this keyframe and open the next one with it.

        The next file's start is re-estimated from the wall clock, so a camera clock that drifts against ours
        does not accumulate error over a long connection; it may not start before the previous file's end by
        more than ``max_overlap_s`` (a fast camera clock) and playback takes the later file in an overlap.
        """
        end_at = current.wall_at(tp.pts)
        self._finish_file(end_at)
        estimate = _utc(conn.clock.wall(tp.pts))
        start_at = max(estimate, end_at - timedelta(seconds=self.options.max_overlap_s))
        self._open_file(conn, tp, start_at)

    def _open_file(self, conn: _Connection, first: TimedPacket, start_at: datetime) -> None:
        self._file = SegmentFile(self.repo, self.camera_id, conn.stream, start_at, first, conn.time_base)
        self._last_extend = time.monotonic()
        self._set(state=RecorderState.RECORDING, segment=self._file.segment, segments=self._status.segments + 1,
                  last_error="")

    def _write(self, tp: TimedPacket) -> None:
        current = self._file
        assert current is not None
        current.write(tp)
        self._last_end = current.end_at
        self._status.bytes += tp.packet.size
        now = time.monotonic()
        if now - self._last_extend >= self.options.extend_every_s:
            self._last_extend = now
            self._safely(current.extend)

    def _finish_file(self, end_at: datetime | None = None) -> None:
        current, self._file = self._file, None
        if current is None:
            return
        if end_at is None:
            end_at = current.end_at
        self._last_end = end_at
        self._safely(current.close, end_at)
        self._set(segment=None)

    def _safely(self, fn: Any, *args: Any) -> Any:
        """Index writes must not kill the recording (a locked or briefly unreachable database): log, go on."""
        try:
            return fn(*args)
        except Exception:
            log.exception("recorder %s: %s failed", self.camera_id, getattr(fn, "__name__", fn))
            return None


@dataclass
class _Connection:
    stream: Any
    time_base: Fraction
    timeline: PacketTimeline
    clock: WallClockEstimate
    settling: list[TimedPacket] = field(default_factory=list)
