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
the gap is closed when the first segment after it starts.

The open segment's ``end_at`` and ``bytes`` are written every ``extend_every_s`` so playback near "now" finds the
data, by a ``ProgressWriter`` shared by all the recorders of a process: one transaction for every camera, off
the packet path (see its docstring for the measurements behind that).
"""

from __future__ import annotations

import contextlib
import logging
import math
import threading
import time
import traceback
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
from c4desk.media.stream_login import LoginLookup, login_refused_reason, redact_text, url_with_login
from c4desk.store.recordings import RecordingRepository, Segment, SegmentExtent

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
    extend_every_s: float = 2.0  # how often the open segment's end and size reach the index
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


class ProgressWriter:
    """Writes how far the open segment of every recorder sharing it has got, in ONE transaction every ``every_s``.

    Why a separate writer: each recorder used to update its own row from its worker thread every 2 s (an ORM
    session, an UPDATE and a commit per camera). In the running recorder that cost about 1.5 ms of CPU per update
    (the code runs cold, once per 2 s): about 1% of a core for 16 cameras. One executemany for all of them costs
    0.08% (bench/RESULTS.md, "Recorder"). The recorders do nothing for it per packet: the writer asks each one
    where its file has got (``Recorder.progress``). A slow or locked database now delays only this thread, not
    the cameras' packet reading.

    The thread runs while at least one recorder is registered (``add``/``remove``; recorders do it themselves).
    One recorder whose progress cannot be read is left out of that round; the others are written. A failed write
    is logged and the next round writes the then-current state: nothing accumulates.
    """

    def __init__(self, repo: RecordingRepository, every_s: float = 2.0) -> None:
        self.repo = repo
        self.every_s = every_s
        self._lock = threading.Lock()
        self._recorders: dict[int, Recorder] = {}
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self.rounds = 0  # transactions written (for status and tests)

    def add(self, recorder: Recorder) -> None:
        with self._lock:
            self._recorders[id(recorder)] = recorder
            if self._thread is None:
                self._stop = threading.Event()
                self._thread = threading.Thread(target=self._loop, args=(self._stop,), name="recording-index",
                                                daemon=True)
                self._thread.start()

    def remove(self, recorder: Recorder) -> None:
        """Unregister; the last one out stops the thread (and waits for a round in progress to end)."""
        with self._lock:
            self._recorders.pop(id(recorder), None)
            if self._recorders or self._thread is None:
                return
            thread, self._thread = self._thread, None
            self._stop.set()
        if thread is not threading.current_thread():
            thread.join(timeout=10)

    @property
    def running(self) -> bool:
        with self._lock:
            return self._thread is not None

    def flush(self) -> int:
        """One round: every registered recorder's open segment, in one transaction. Returns the rows moved."""
        with self._lock:
            recorders = list(self._recorders.values())
        extents: list[SegmentExtent] = []
        for recorder in recorders:
            try:
                extent = recorder.progress()
            except Exception:
                log.exception("recorder %s: cannot tell how far its segment has got", recorder.camera_id)
                continue
            if extent is not None:
                extents.append(extent)
        if not extents:
            return 0
        try:
            moved = self.repo.extend_segments(extents)
        except Exception:
            log.exception("could not update the recording index for %d segment(s); next try in %g s",
                          len(extents), self.every_s)
            return 0
        self.rounds += 1
        return moved

    def _loop(self, stop: threading.Event) -> None:
        while not stop.wait(self.every_s):
            self.flush()


class Recorder:
    """Records one camera until ``stop()``; survives outages (gaps) on its own. See the module docstring.

    ``progress_writer``: the writer that indexes this recorder's open segment as it grows, shared by the
    recorders of one process (``RecorderSupervisor``); without one the recorder has its own.
    """

    def __init__(self, repo: RecordingRepository, camera_id: str, url: str,
                 options: RecorderOptions | None = None, *, progress_writer: ProgressWriter | None = None,
                 login: LoginLookup | None = None, credential_ref: str = "") -> None:
        """``login``: how to find the camera's login (media.stream_login.camera_login_lookup), asked on the
        recorder's own thread at every connection; ``url`` stays without it (it is logged and compared)."""
        self.repo = repo
        self.camera_id = camera_id
        self.url = url
        self.credential_ref = credential_ref
        self._login = login
        self._login_found = False
        self.options = options or RecorderOptions()
        self.progress_writer = progress_writer or ProgressWriter(repo, self.options.extend_every_s)
        self._status = RecorderStatus(camera_id)
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._run_state = _InterruptibleRun()
        self._file: SegmentFile | None = None
        # End of the data written until the last file closed (the start of any gap after it). While a file is
        # open its end is the file's, asked for when needed: keeping this current cost a datetime per packet.
        self._last_end: datetime | None = None

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
        current = self._file
        return current.end_at if current is not None else self._last_end

    def progress(self) -> SegmentExtent | None:
        """How far the open segment has got (None when no file is open). Called from the ``ProgressWriter``'s
        thread: it reads the file's end as of the last packet muxed, and the file's size on disk."""
        current = self._file
        if current is None:
            return None
        return SegmentExtent(current.segment.id, current.end_at, current.size())

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
        self.progress_writer.add(self)
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
            self.progress_writer.remove(self)
            run.leave()
            self._set(state=RecorderState.STOPPED, segment=None)

    def _describe(self, exc: BaseException, *, delivered: bool) -> str:
        if isinstance(exc, RecorderError):
            return str(exc)
        if not isinstance(exc, av.error.FFmpegError | OSError):
            # Formatted and redacted here, not exc_info: FFmpeg's messages quote the URL it opened, login included.
            log.warning("recorder %s failed: %s", self.camera_id,
                        redact_text("".join(traceback.format_exception(exc))))
        reason = login_refused_reason(describe_av_error(exc, self.url), lookup_given=self._login is not None,
                                      login_found=self._login_found)
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
        login = self._login() if self._login is not None else None
        self._login_found = login is not None
        container: Any = av.open(url_with_login(self.url, login), options=self._source_options(),
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
            # A file rolls at the first keyframe this many ticks after its first packet (an int compare per
            # keyframe instead of rational arithmetic).
            segment_ticks = math.ceil(Fraction(self.options.segment_seconds) / time_base)
            state = _Connection(stream, time_base, timeline, clock, segment_ticks)
            stopped, feed, take, now = run.stop.is_set, timeline.feed, self._take, time.time  # per packet: locals
            for packet in container.demux(stream):
                if stopped():
                    break
                for tp in feed(packet, now()):
                    take(tp, state)
            for tp in timeline.flush():
                take(tp, state)
        finally:
            with contextlib.suppress(Exception):
                container.close()

    def _take(self, tp: TimedPacket, conn: _Connection) -> None:
        """Every packet passes here, so the usual case (a packet for the open file) is kept to a few operations:
        in the running recorder per-packet Python code costs tens of microseconds a packet (it runs cold, between
        blocking reads), the largest part of what the recorder costs beyond a bare demux+mux loop."""
        conn.clock.observe(tp.dts, tp.received)
        status = self._status
        status.packets += 1  # per-packet counters: one writer thread, no lock needed
        current = self._file
        if current is None:
            self._settle(tp, conn)
            return
        if tp.keyframe and tp.pts - current.first_pts >= conn.segment_ticks:
            current = self._roll(tp, conn, current)
        current.write(tp)
        status.bytes += tp.packet.size

    def _settle(self, tp: TimedPacket, conn: _Connection) -> None:
        """No file open: hold packets from a keyframe on for ``settle_s``, then open a file with them."""
        if not conn.settling and not tp.keyframe:
            return  # a file starts with a keyframe
        conn.settling.append(tp)
        if tp.received - conn.settling[0].received < self.options.settle_s:
            return
        first = conn.settling[0]
        start_at = _utc(conn.clock.wall(first.pts))
        if self._last_end is not None and start_at < self._last_end:
            start_at = self._last_end  # never overlap what is already recorded
        current = self._open_file(conn, first, start_at)
        self._safely(self.repo.close_gap, self.camera_id, start_at)
        for queued in conn.settling:
            current.write(queued)
            self._status.bytes += queued.packet.size
        conn.settling.clear()

    def _roll(self, tp: TimedPacket, conn: _Connection, current: SegmentFile) -> SegmentFile:
        """Close the file at this keyframe and open the next one with it.

        The next file's start is re-estimated from the wall clock, so a camera clock that drifts against ours
        does not accumulate error over a long connection; it may not start before the previous file's end by
        more than ``max_overlap_s`` (a fast camera clock) and playback takes the later file in an overlap.
        """
        end_at = current.wall_at(tp.pts)
        self._finish_file(end_at)
        estimate = _utc(conn.clock.wall(tp.pts))
        start_at = max(estimate, end_at - timedelta(seconds=self.options.max_overlap_s))
        return self._open_file(conn, tp, start_at)

    def _open_file(self, conn: _Connection, first: TimedPacket, start_at: datetime) -> SegmentFile:
        opened = self._file = SegmentFile(self.repo, self.camera_id, conn.stream, start_at, first, conn.time_base)
        self._set(state=RecorderState.RECORDING, segment=opened.segment, segments=self._status.segments + 1,
                  last_error="")
        return opened

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
    segment_ticks: int
    settling: list[TimedPacket] = field(default_factory=list)
