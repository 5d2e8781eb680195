"""PyAV backend: FFmpeg (bundled in the `av` wheel, RTSP included) decoding on a worker thread.

The worker demuxes and decodes the first video stream, scales each picture to the tile's size and converts
it to BGRA in one swscale pass (`VideoReformatter.reformat`, i.e. what `VideoFrame.reformat` does, but with
one reformatter kept for the whole run: `VideoFrame.reformat` builds a new SwsContext for every frame), and
publishes it as the latest frame. The converted frame's buffer is freshly allocated by FFmpeg for every
picture and never written again, so it is handed out without a copy.

Network sources are shown as soon as they are decoded (lowest latency; a newer frame simply replaces an
older one). Local files are paced by their timestamps so that they play at normal speed.
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import logging
import socket
import threading
import time
import traceback
import types
from typing import Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

import av
import av.container.core
from av.codec.context import Flags as _CodecFlags
from av.video.reformatter import VideoReformatter

from c4desk.media.player import PlayerState, VideoPlayer, fit_size
from c4desk.media.stream_login import LoginLookup, redact, redact_text

__all__ = ["AvPlayer", "describe_av_error"]

log = logging.getLogger(__name__)

_NETWORK_SCHEMES = frozenset({"rtsp", "rtsps", "rtsp+tcp", "http", "https", "tcp", "udp", "rtp", "rtmp", "srt"})


# ----------------------------------------------------------------------------------- interrupting a read
#
# FFmpeg blocks in socket reads; the only clean way out is the AVFormatContext interrupt callback. PyAV
# installs one when a timeout is given, and it decides "interrupt now" by comparing `time.monotonic()`
# (looked up in av.container.core's globals on every call) with the time the current open/read started. PyAV
# offers no other way to abort a read from another thread, and closing the container under a running read is
# a use-after-free. So that module's `time` is replaced by this stand-in: it is the real clock for every
# thread except decoder threads that stop() has asked to abort, for which it jumps far ahead; the pending
# read then fails at the next interrupt check (FFmpeg checks at least every 100 ms while waiting on a
# socket) with ExitError. If a PyAV release changes this, stop() still returns within ~1 s and the thread
# ends at its read timeout at the latest; tests/media checks that the thread really ends at once.


class _InterruptClock(types.ModuleType):
    def __init__(self, real: types.ModuleType) -> None:
        super().__init__("time")
        self._real = real
        self._aborted: set[int] = set()
        self._bump = itertools.count(1)

    def monotonic(self) -> float:
        now: float = self._real.monotonic()
        if self._aborted and threading.get_ident() in self._aborted:
            return now + 1e9 * next(self._bump)
        return now

    def abort(self, thread_ident: int) -> None:
        self._aborted.add(thread_ident)

    def forget(self, thread_ident: int) -> None:
        self._aborted.discard(thread_ident)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def _install_clock() -> _InterruptClock | None:
    current = getattr(av.container.core, "time", None)
    if isinstance(current, _InterruptClock):
        return current
    if current is not time:
        log.warning("PyAV internals changed; stop() cannot interrupt a blocked read (it ends at its timeout)")
        return None
    clock = _InterruptClock(time)
    av.container.core.time = clock  # type: ignore[attr-defined]
    return clock


_clock = _install_clock()


def interrupt_supported() -> bool:
    """Whether stop() can abort a blocking FFmpeg read immediately (see above)."""
    return _clock is not None


# --------------------------------------------------------------------------------------------- errors


def _host_of(url: str) -> str | None:
    try:
        return urlsplit(url).hostname
    except ValueError:
        return None


def describe_av_error(exc: BaseException, url: str = "") -> str:
    """A short reason an analyst understands for an FFmpeg/PyAV failure. Safe to show: FFmpeg's messages quote
    the URL they failed on (with its login, if it had one), so any URL in the text is redacted."""
    e = av.error
    if isinstance(exc, e.HTTPUnauthorizedError):
        return "401 unauthorized from camera"
    if isinstance(exc, e.HTTPForbiddenError):
        return "403 forbidden by camera"
    if isinstance(exc, e.HTTPNotFoundError):
        return "404 stream not found on camera"
    if isinstance(exc, e.HTTPClientError):
        return "camera refused the request (HTTP 4xx)"
    if isinstance(exc, e.HTTPServerError):
        return "camera server error (HTTP 5xx)"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ConnectionResetError | ConnectionAbortedError | BrokenPipeError):
        return "connection lost"
    if isinstance(exc, TimeoutError | e.ExitError):
        return "timed out"
    if isinstance(exc, e.InvalidDataError):
        return "not a video stream"
    if isinstance(exc, e.ProtocolNotFoundError):
        return "unsupported protocol"
    if isinstance(exc, e.DecoderNotFoundError):
        return "unsupported video codec"
    if isinstance(exc, FileNotFoundError):
        return "file not found"
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, OSError):
        if exc.errno == errno.EHOSTUNREACH:
            return "host unreachable"
        if exc.errno == errno.ENETUNREACH:
            return "network unreachable"
        host = _host_of(url)
        if exc.errno == errno.EIO and host:
            # FFmpeg reports a failed name lookup as a bare EIO; ask the resolver to tell the two apart.
            try:
                socket.getaddrinfo(host, None)
            except socket.gaierror:
                return "host not found"
            except OSError:
                pass
        if exc.strerror:
            return f"cannot play stream: {redact_text(exc.strerror.lower())}"
    return f"cannot play stream: {redact_text(str(exc))}"


def _is_connection_loss(exc: BaseException) -> bool:
    if isinstance(exc, TimeoutError | av.error.ExitError):
        return False
    return isinstance(exc, ConnectionError | EOFError) or (
        isinstance(exc, OSError) and exc.errno in (errno.EIO, errno.EPIPE, errno.ECONNRESET)
    )


# --------------------------------------------------------------------------------------------- player


class _Pacer:
    """Holds frames of a local file until their presentation time (relative to the first frame)."""

    def __init__(self) -> None:
        self._offset: float | None = None  # monotonic - pts

    def wait(self, pts: float | None, stop: threading.Event) -> None:
        if pts is None:
            return
        now = time.monotonic()
        due = None if self._offset is None else pts + self._offset
        if due is None or due < now - 0.5 or due > now + 2.0:  # first frame, far behind, or a timestamp jump
            self._offset = now - pts
            return
        if due > now:
            stop.wait(due - now)


class _Run:
    """One start()..stop() of the worker; stop() may abort the worker's reads only while it runs."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.ident: int | None = None
        self.finished = False
        self.lock = threading.Lock()

    def enter(self) -> None:
        with self.lock:
            self.ident = threading.get_ident()

    def abort(self) -> None:
        self.stop.set()
        with self.lock:
            if _clock is not None and self.ident is not None and not self.finished:
                _clock.abort(self.ident)

    def leave(self) -> None:
        with self.lock:
            self.finished = True
            if _clock is not None and self.ident is not None:
                _clock.forget(self.ident)


class AvPlayer(VideoPlayer):
    """Plays any URL FFmpeg opens (rtsp over TCP, http, udp, files) into BGRA frames."""

    backend_name = "av"

    def __init__(
        self,
        url: str,
        *,
        network_caching_ms: int = 300,
        target_size: tuple[int, int] | None = None,
        stall_after_s: float = 2.0,
        open_timeout_s: float = 5.0,
        read_timeout_s: float = 5.0,
        realtime: bool | None = None,
        low_delay: bool = True,
        login: LoginLookup | None = None,
    ) -> None:
        """`network_caching_ms` bounds how much of the stream is read to probe it before the first picture.
        `realtime` paces frames by timestamp (default: only for local files). `low_delay` sets the decoder's
        LOW_DELAY flag, which also turns frame threading off (slice threads remain): a few frames less
        latency, at no measurable CPU cost for 360p cameras. `login`: the camera's login, looked up on the
        decoder thread at each connect (see ``VideoPlayer``)."""
        super().__init__(
            url, network_caching_ms=network_caching_ms, target_size=target_size, stall_after_s=stall_after_s,
            login=login,
        )
        scheme = urlsplit(url).scheme.lower() if "://" in url else ""
        self._scheme = scheme
        self._open_timeout_s = float(open_timeout_s)
        self._read_timeout_s = float(read_timeout_s)
        self._realtime = (scheme in ("", "file")) if realtime is None else realtime
        self._low_delay = low_delay
        self._thread: threading.Thread | None = None
        self._run_state = _Run()

    # ------------------------------------------------------------------------------------------- control

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive() and not self._run_state.stop.is_set():
            return
        run = self._run_state = _Run()
        self._begin()
        self._thread = threading.Thread(target=self._run, args=(run,), name=f"av-player {redact(self._url)}",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._run_state.abort()
        thread = self._thread
        if thread is not None:
            thread.join(timeout=1.0)
            if thread.is_alive():
                log.warning("decoder thread for %s still busy after stop(); it ends at its timeout",
                            redact(self._url))
        self._mark_stopped()

    # -------------------------------------------------------------------------------------------- worker

    def _source(self) -> str:
        """What FFmpeg opens: a file's path, or the URL with the camera's login (blocking lookup; this runs on the
        decoder thread, and the result stays a local variable of ``_run``)."""
        if self._scheme == "file":
            return url2pathname(urlsplit(self._url).path)
        return self._open_url()

    def _format_options(self) -> dict[str, str]:
        # Probing is what makes a live stream slow to start: FFmpeg's defaults read 5 s / 5 MB of it, and
        # guessing the frame rate reads more. We probe at most `network_caching_ms` and never guess the rate
        # (measured on HTTP MPEG-TS: first picture after 0.22 s instead of 1.5 s). `fflags=nobuffer` is NOT
        # set: it throws away the packets read while probing, keyframe included, so the first picture waits
        # for the next keyframe (+1 GOP measured); those packets decode in a burst and cost no latency since
        # network frames are shown as soon as decoded.
        opts = {
            "probesize": "500000",  # bytes
            "analyzeduration": str(max(100, self._network_caching_ms) * 1000),  # microseconds
            "fpsprobesize": "0",
        }
        if self._scheme in _NETWORK_SCHEMES:
            # Socket I/O timeout (microseconds). FFmpeg >= 5 calls it `timeout` for RTSP too; older RTSP:
            # stimeout.
            key = (
                "stimeout"
                if self._scheme.startswith("rtsp") and av.library_versions["libavformat"][0] < 59
                else "timeout"
            )
            opts[key] = str(int(self._open_timeout_s * 1_000_000))
        if self._scheme.startswith("rtsp"):
            opts["rtsp_transport"] = "tcp"
            opts["allowed_media_types"] = "video"  # do not set up audio we never play
        return opts

    def _run(self, run: _Run) -> None:
        run.enter()
        stop = run.stop
        container = None
        try:
            container = av.open(
                self._source(),
                container_options=self._format_options(),
                timeout=(self._open_timeout_s, self._read_timeout_s),
            )
            if stop.is_set():
                return
            if not container.streams.video:
                self._finish(PlayerState.ERROR, "not a video stream")
                return
            stream = container.streams.video[0]
            codec = stream.codec_context
            codec.thread_type = "AUTO"
            if self._low_delay:
                codec.flags |= _CodecFlags.low_delay
            reformatter = VideoReformatter()
            pacer = _Pacer() if self._realtime else None
            for packet in container.demux(stream):
                if stop.is_set():
                    return
                try:
                    frames = codec.decode(packet)
                except av.error.InvalidDataError:
                    continue  # a damaged packet on a live stream: the decoder recovers at the next keyframe
                for frame in frames:
                    self._count_decoded()
                    size = fit_size(frame.width, frame.height, self.target_size, codec.sample_aspect_ratio)
                    # Bilinear scaling costs ~20% less than swscale's default bicubic; at tile sizes (downscaling
                    # by 1/2 or more) the difference is not visible.
                    scaled = size != (frame.width, frame.height)
                    out = reformatter.reformat(frame, width=size[0], height=size[1], format="bgra",
                                               interpolation="FAST_BILINEAR" if scaled else None)
                    pts = frame.time
                    if pacer is not None:
                        pacer.wait(pts, stop)
                    if stop.is_set():
                        return
                    plane = out.planes[0]
                    self._publish(size[0], size[1], plane.line_size, memoryview(plane).toreadonly(), pts)
            if not stop.is_set():
                self._finish(PlayerState.ENDED, "stream ended")
        except Exception as exc:
            if not stop.is_set():
                if not isinstance(exc, av.error.FFmpegError | OSError):
                    # Formatted here, not with exc_info: the message may quote the URL FFmpeg was given.
                    log.warning("video player for %s failed:\n%s", redact(self._url),
                                redact_text("".join(traceback.format_exception(exc)).rstrip()))
                reason = self._explain(describe_av_error(exc, self._url))
                if self._has_frame_since_start() and _is_connection_loss(exc):
                    # The source went away after playing (a server that died): ENDED, as libvlc reports it.
                    self._finish(PlayerState.ENDED, "connection lost")
                else:
                    self._finish(PlayerState.ERROR, reason)
        finally:
            if container is not None:
                with contextlib.suppress(Exception):
                    container.close()
            run.leave()
