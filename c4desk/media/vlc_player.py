"""libvlc backend (python-vlc): pictures into memory through libvlc's video callbacks, or into a window.

Memory path: libvlc asks `setup` for the picture format; we answer "RV32" (B, G, R, X bytes in memory on
little-endian machines = QImage.Format_RGB32) at the tile's size, so libvlc's own swscale does the scaling.
`lock` hands libvlc a buffer from a small pool, `display` copies the finished picture once into an immutable
`bytes` (the Frame's data) and gives the buffer back; so a handed-out Frame is never overwritten and each
displayed picture costs one copy.

Rules kept here (see DESIGN.md, "Video"):
- one libvlc instance per process, created on first use and kept;
- the ctypes callback objects live at module level, so they outlive every media player;
- nothing calls libvlc from inside a libvlc callback: callbacks only update Python state and hand work to the
  `_control` thread (size checks, video restarts) or to a short-lived thread (error diagnosis, teardown);
- after a server dies libvlc emits EndReached then Stopped (no error): both map to ENDED, "stream ended";
- a camera's login (``login``, see ``media.stream_login``) is looked up and put into the URL on a short-lived
  thread of its own (the keyring may block), which then opens the media; the URL with it is never kept.

A quirk of the memory path: `setup` is given the decoder's *allocated* size, which for H.264 is the coded
size rounded up plus 2 lines (320x240 arrives as 320x258), and libvlc stretches the visible picture to
whatever size we answer. So the visible size is guessed from the allocated size and common aspect ratios,
checked against `video_get_size()` after the first picture (on the control thread), and the video output is
rebuilt (video track off/on, no reconnect) in the rare case the guess was wrong by more than 1 %.
"""

from __future__ import annotations

import base64
import ctypes
import heapq
import http.client
import itertools
import logging
import os
import socket
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

import vlc

from c4desk.media.player import PlayerState, VideoPlayer, fit_size
from c4desk.media.stream_login import LoginLookup, redact, redact_text

__all__ = ["VlcPlayer", "diagnose_url", "guess_visible_size", "shared_instance"]

log = logging.getLogger(__name__)

INSTANCE_ARGS = (
    "--no-audio",
    "--quiet",
    "--no-video-title-show",
    "--no-xlib",  # Qt owns the X connection and is multi-threaded: libvlc keeps out of Xlib
    "--no-osd",
    "--no-spu",
    "--no-sub-autodetect-file",
    "--no-snapshot-preview",
    "--no-stats",
    "--keystore=memory",  # on a 401 libvlc asks a keystore; the desktop ones (kwallet via D-Bus) hang for seconds
    "--no-lua",  # no playlist / art scripts probing every http stream
    "--no-metadata-network-access",
    "--no-avcodec-corrupted",  # no grey smears while joining a stream mid-GOP or after a video rebuild
)

_instance_lock = threading.Lock()
_instance: vlc.Instance | None = None


def shared_instance() -> vlc.Instance:
    """The process's libvlc instance (created on first use). Raises RuntimeError when libvlc cannot start."""
    global _instance
    with _instance_lock:
        if _instance is None:
            inst = vlc.Instance(list(INSTANCE_ARGS))
            if inst is None:
                raise RuntimeError("libvlc failed to initialise")
            _instance = inst
        return _instance


# ---------------------------------------------------------------------------------- the control thread


class _Control:
    """One daemon thread that runs libvlc calls requested from libvlc callbacks (or debounced ones)."""

    def __init__(self) -> None:
        self._cv = threading.Condition()
        self._queue: list[tuple[float, int, Callable[[], None]]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None

    def call(self, fn: Callable[[], None], delay: float = 0.0) -> None:
        with self._cv:
            heapq.heappush(self._queue, (time.monotonic() + delay, next(self._order), fn))
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="vlc-control", daemon=True)
                self._thread.start()
            self._cv.notify()

    def _loop(self) -> None:
        while True:
            with self._cv:
                while not self._queue or self._queue[0][0] > time.monotonic():
                    self._cv.wait(None if not self._queue else self._queue[0][0] - time.monotonic())
                _, _, fn = heapq.heappop(self._queue)
            try:
                fn()
            except Exception:
                log.warning("libvlc control task failed", exc_info=True)


_control = _Control()


# ------------------------------------------------------------------------------------- picture memory

_ALIGN = 64
_MAX_BUFFERS = 8


def _align(n: int, a: int) -> int:
    return (n + a - 1) // a * a


class _Pool:
    """Picture buffers for one video output; called on libvlc's video output thread."""

    FREE, LOCKED, DECODED = range(3)

    def __init__(self, size: int) -> None:
        self.size = size
        self._arrays: list[ctypes.Array[ctypes.c_ubyte]] = []
        self.addresses: list[int] = []
        self._state: list[int] = []
        self._free: deque[int] = deque()
        self._decoded: deque[int] = deque()  # unlocked, not yet displayed (or dropped), oldest first
        self._lock = threading.Lock()

    def acquire(self) -> int:
        with self._lock:
            if self._free:
                i = self._free.popleft()
            elif len(self._arrays) >= _MAX_BUFFERS and self._decoded:
                i = self._decoded.popleft()  # libvlc dropped this picture without displaying it
            else:
                arr = (ctypes.c_ubyte * (self.size + _ALIGN))()
                self._arrays.append(arr)
                self.addresses.append(_align(ctypes.addressof(arr), _ALIGN))
                self._state.append(self.FREE)
                i = len(self._arrays) - 1
            self._state[i] = self.LOCKED
            return i

    def unlocked(self, i: int) -> None:
        with self._lock:
            if self._state[i] == self.LOCKED:
                self._state[i] = self.DECODED
                self._decoded.append(i)

    def release(self, i: int) -> None:
        with self._lock:
            if self._state[i] == self.DECODED:
                self._decoded.remove(i)
            if self._state[i] != self.FREE:
                self._state[i] = self.FREE
                self._free.append(i)


_COMMON_RATIOS = (16 / 9, 4 / 3, 11 / 9, 5 / 4, 16 / 10, 3 / 2, 5 / 3, 1.0, 9 / 16, 3 / 4, 2.0)


def guess_visible_size(alloc_w: int, alloc_h: int) -> tuple[int, int]:
    """The visible size behind libvlc's allocated picture size (FFmpeg pads H.264 to 32 lines + 2)."""
    for ratio in _COMMON_RATIOS:
        h = alloc_w / ratio
        if abs(h - round(h)) < 0.01 and alloc_h - 34 <= round(h) <= alloc_h:
            return alloc_w, round(h)
    return alloc_w, alloc_h


# --------------------------------------------------------------------------------- libvlc callbacks

_SETUP = ctypes.CFUNCTYPE(
    ctypes.c_uint,
    ctypes.POINTER(ctypes.c_void_p),
    ctypes.c_void_p,  # char[4] chroma, written in place (python-vlc's c_char_p prototype cannot write it)
    ctypes.POINTER(ctypes.c_uint),
    ctypes.POINTER(ctypes.c_uint),
    ctypes.POINTER(ctypes.c_uint),
    ctypes.POINTER(ctypes.c_uint),
)
_CLEANUP = ctypes.CFUNCTYPE(None, ctypes.c_void_p)
_LOCK = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p))
_UNLOCK = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p))
_DISPLAY = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p)

_libvlc_video_set_callbacks = ctypes.CFUNCTYPE(None, ctypes.c_void_p, _LOCK, _UNLOCK, _DISPLAY, ctypes.c_void_p)(
    ("libvlc_video_set_callbacks", vlc.dll)
)
_libvlc_video_set_format_callbacks = ctypes.CFUNCTYPE(None, ctypes.c_void_p, _SETUP, _CLEANUP)(
    ("libvlc_video_set_format_callbacks", vlc.dll)
)

# Every run of a player gets an id; libvlc passes it back as the callbacks' opaque pointer. A run stays in
# this registry (and so keeps its player alive) until its media player has been released.
_runs: dict[int, _Run] = {}
_run_ids = itertools.count(1)


def _setup_cb(opaque: Any, chroma: int, width: Any, height: Any, pitches: Any, lines: Any) -> int:
    try:
        run = _runs.get(opaque[0] or 0)
        return run.setup(chroma, width, height, pitches, lines) if run else 0
    except Exception:
        log.warning("libvlc format setup failed", exc_info=True)
        return 0


def _cleanup_cb(opaque: int | None) -> None:
    pass  # buffers stay with the run until the next setup or the run ends


def _lock_cb(opaque: int | None, planes: Any) -> int:
    run = _runs[opaque or 0]
    assert run.pool is not None
    i = run.pool.acquire()
    planes[0] = run.pool.addresses[i]
    return i + 1


def _unlock_cb(opaque: int | None, picture: int | None, planes: Any) -> None:
    run = _runs.get(opaque or 0)
    if run and run.pool and picture:
        run.pool.unlocked(picture - 1)


def _display_cb(opaque: int | None, picture: int | None) -> None:
    try:
        run = _runs.get(opaque or 0)
        if run and picture:
            run.display(picture - 1)
    except Exception:
        log.warning("libvlc display callback failed", exc_info=True)


_C_CALLBACKS = (
    _SETUP(_setup_cb),
    _CLEANUP(_cleanup_cb),
    _LOCK(_lock_cb),
    _UNLOCK(_unlock_cb),
    _DISPLAY(_display_cb),
)


class _Run:
    """One start()..stop() of a VlcPlayer: its media player and the state its callbacks touch."""

    def __init__(self, player: VlcPlayer, native_window: int | None) -> None:
        self.id = next(_run_ids)
        self.player = player
        self.native_window = native_window
        self.mp: vlc.MediaPlayer | None = None
        self.media: vlc.Media | None = None
        self.events: vlc.EventManager | None = None
        self.mp_lock = threading.RLock()  # serialises our own libvlc calls on `mp` (never taken in callbacks)
        self.closing = False
        self.error_pending = False
        self.pool: _Pool | None = None
        self.fmt: tuple[int, int, int] | None = None  # width, height, pitch of the pictures
        self.assumed_visible: tuple[int, int] | None = None
        self.size_checked = False

    # --------------------------------------------------------------------- on libvlc's threads

    def setup(self, chroma: int, width: Any, height: Any, pitches: Any, lines: Any) -> int:
        alloc = (int(width[0]), int(height[0]))
        visible = self.player._known_visible() or guess_visible_size(*alloc)
        out_w, out_h = fit_size(*visible, self.player.target_size)
        pitch = _align(out_w * 4, _ALIGN)
        n_lines = _align(out_h, 32)
        ctypes.memmove(chroma, b"RV32", 4)
        width[0], height[0], pitches[0], lines[0] = out_w, out_h, pitch, n_lines
        self.pool = _Pool(pitch * n_lines)
        self.fmt = (out_w, out_h, pitch)
        self.assumed_visible = visible
        self.size_checked = False
        return 3

    def display(self, i: int) -> None:
        pool, fmt = self.pool, self.fmt
        if pool is None or fmt is None:
            return
        w, h, pitch = fmt
        data = ctypes.string_at(pool.addresses[i], pitch * h)  # the one copy
        pool.release(i)
        if self.closing:
            return
        self.player._count_decoded()
        self.player._publish(w, h, pitch, data, None)
        if not self.size_checked:
            self.size_checked = True
            _control.call(self.check_size)

    def on_event(self, event: Any) -> None:
        if self.closing:
            return
        kind = event.type
        if kind in (vlc.EventType.MediaPlayerEndReached, vlc.EventType.MediaPlayerStopped):
            if self.error_pending:
                return
            if self.player._has_frame_since_start() or self.native_window is not None:
                self.player._finish(PlayerState.ENDED, "stream ended")
                return
        if kind != vlc.EventType.MediaPlayerVout and not self.error_pending:
            # An error, or an end before any picture: libvlc gives no reason, so find one (off libvlc's
            # thread: it takes network round trips), then report.
            self.error_pending = True
            threading.Thread(target=self.diagnose, name="vlc-diagnose", daemon=True).start()
        if kind == vlc.EventType.MediaPlayerVout and self.native_window is not None:
            self.player._mark_live()

    # ------------------------------------------------------------------- on our own threads

    def diagnose(self) -> None:
        # With the camera's login, looked up again here (a thread of its own): a 401 then means "login refused".
        reason = self.player._explain(diagnose_url(self.player._open_url()))
        if not self.closing:
            self.player._finish(PlayerState.ERROR, reason)
            _control.call(self.halt)

    def check_opened(self) -> None:
        """The open timeout passed: no picture yet means the source is not delivering."""
        if self.closing or self.error_pending or self.player.state is not PlayerState.CONNECTING:
            return
        if self.native_window is None and not self.player._has_frame_since_start():
            self.error_pending = True
            threading.Thread(target=self.diagnose, name="vlc-diagnose", daemon=True).start()

    def halt(self) -> None:
        """Stop libvlc's work after an error (the media player itself is released by VlcPlayer.stop())."""
        with self.mp_lock:
            if self.mp is not None and not self.closing:
                self.closing = True
                self.mp.stop()

    def check_size(self) -> None:
        """After the first picture: learn the visible size; rebuild the video output if we guessed wrong."""
        with self.mp_lock:
            if self.mp is None or self.closing:
                return
            size = self.mp.video_get_size(0)
        if not size or size[0] <= 0 or size[1] <= 0:
            return
        visible = (int(size[0]), int(size[1]))
        self.player._remember_visible(visible)
        assumed = self.assumed_visible
        if assumed and abs(assumed[0] / assumed[1] / (visible[0] / visible[1]) - 1) > 0.01:
            log.info("%s: visible size %s, not %s; rebuilding video output", redact(self.player.url), visible,
                     assumed)
            self.restart_video()

    def apply_target_size(self) -> None:
        fmt, visible = self.fmt, self.player._known_visible() or self.assumed_visible
        if fmt is None or visible is None:
            return  # no video output yet; setup will use the new size
        want = fit_size(*visible, self.player.target_size)
        if abs(want[0] - fmt[0]) > 2 or abs(want[1] - fmt[1]) > 2:
            self.restart_video()

    def restart_video(self) -> None:
        """Make libvlc build a new video output (and so call setup again) without reconnecting."""
        with self.mp_lock:
            if self.mp is None or self.closing:
                return
            track = self.mp.video_get_track()
            if track is None or track < 0:
                return
            self.mp.video_set_track(-1)
            self.mp.video_set_track(track)

    def open(self, url: str, network_caching_ms: int) -> None:
        inst = shared_instance()
        with self.mp_lock:
            if self.closing:
                return  # stopped while the login was looked up (see VlcPlayer._open_with_login)
            mp = inst.media_player_new()
            if self.native_window is None:
                cbs = _C_CALLBACKS
                _libvlc_video_set_callbacks(mp._as_parameter_, cbs[2], cbs[3], cbs[4], self.id)
                _libvlc_video_set_format_callbacks(mp._as_parameter_, cbs[0], cbs[1])
            elif sys.platform.startswith("win"):
                mp.set_hwnd(self.native_window)
            elif sys.platform == "darwin":
                mp.set_nsobject(self.native_window)
            else:
                mp.set_xwindow(self.native_window)
            media = inst.media_new(url, f":network-caching={int(network_caching_ms)}")
            mp.set_media(media)
            events = mp.event_manager()
            for kind in (
                vlc.EventType.MediaPlayerEndReached,
                vlc.EventType.MediaPlayerStopped,
                vlc.EventType.MediaPlayerEncounteredError,
                vlc.EventType.MediaPlayerVout,
            ):
                events.event_attach(kind, self.on_event)
            self.mp, self.media, self.events = mp, media, events
            if mp.play() != 0:
                raise RuntimeError("libvlc refused to play")

    def close(self) -> None:
        """Stop and release the media player (blocking; run off the caller's thread)."""
        self.closing = True
        try:
            with self.mp_lock:
                mp, media = self.mp, self.media
                self.mp = self.media = self.events = None
                if mp is not None:
                    mp.stop()
                    mp.release()
                if media is not None:
                    media.release()
        finally:
            _runs.pop(self.id, None)


# ------------------------------------------------------------------------------------------ diagnosis


def diagnose_url(url: str, timeout: float = 3.0) -> str:
    """Why a URL does not play, found with plain sockets / HTTP (libvlc reports errors without a reason)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower() if "://" in url else ""
    if scheme in ("", "file"):
        path = url2pathname(parts.path) if scheme else url
        return "not a video stream" if os.path.exists(path) else "file not found"
    host = parts.hostname
    if not host:
        return "cannot play stream"
    if scheme in ("udp", "rtp"):
        return "no video received"
    port = parts.port or {"http": 80, "https": 443, "rtsp": 554, "rtsps": 322}.get(scheme, 80)
    try:
        socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        return "host not found"
    conn: http.client.HTTPConnection
    if scheme == "https":
        conn = http.client.HTTPSConnection(host, port, timeout=timeout)
    else:
        conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.connect()
        if scheme not in ("http", "https"):
            return "cannot play stream (libvlc)"
        headers = {"User-Agent": "c4desk"}
        if parts.username:
            token = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(token).decode()
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        conn.request("GET", target, headers=headers)
        resp = conn.getresponse()
        status, ctype = resp.status, (resp.getheader("Content-Type") or "").lower()
    except ConnectionRefusedError:
        return "connection refused"
    except TimeoutError:
        return "timed out"
    except OSError as exc:
        return f"cannot connect: {(exc.strerror or str(exc)).lower()}"
    except http.client.HTTPException:
        return "not a video stream"
    finally:
        conn.close()
    if status == 401:
        return "401 unauthorized from camera"
    if status == 403:
        return "403 forbidden by camera"
    if status == 404:
        return "404 stream not found on camera"
    if 400 <= status < 500:
        return f"camera refused the request (HTTP {status})"
    if status >= 500:
        return f"camera server error (HTTP {status})"
    if ctype.startswith(("text/", "application/json", "application/xml")):
        return "not a video stream"
    return "cannot play stream (libvlc)"


# ---------------------------------------------------------------------------------------------- player


class VlcPlayer(VideoPlayer):
    """libvlc playing one URL into memory (RV32 frames) or, after set_native_window(), into a window."""

    backend_name = "vlc"
    _visible_sizes: dict[str, tuple[int, int]] = {}  # url -> visible size learnt from libvlc, per process

    def __init__(
        self,
        url: str,
        *,
        network_caching_ms: int = 300,
        target_size: tuple[int, int] | None = None,
        stall_after_s: float = 2.0,
        open_timeout_s: float = 10.0,
        login: LoginLookup | None = None,
    ) -> None:
        """`open_timeout_s`: libvlc waits for ever on a server that accepts and never sends, so a player
        still without a picture after this long is diagnosed and put in ERROR. `login`: the camera's login,
        looked up off the caller's thread at each start (see ``VideoPlayer``)."""
        super().__init__(
            url, network_caching_ms=network_caching_ms, target_size=target_size, stall_after_s=stall_after_s,
            login=login,
        )
        self._open_timeout_s = float(open_timeout_s)
        self._control_lock = threading.Lock()
        self._run: _Run | None = None
        self._native_window: int | None = None

    def start(self) -> None:
        with self._control_lock:
            if self._run is not None:
                if self.state not in (PlayerState.ENDED, PlayerState.ERROR):
                    return
                self._close_run(self._run)
            run = self._run = _Run(self, self._native_window)
            _runs[run.id] = run
            self._begin()
            try:
                if self._login_lookup is None:
                    run.open(self._url, self._network_caching_ms)
                else:
                    threading.Thread(target=self._open_with_login, args=(run,), name="vlc-open", daemon=True).start()
                _control.call(run.check_opened, delay=self._open_timeout_s)
            except Exception as exc:
                self._open_failed(exc)

    def _open_with_login(self, run: _Run) -> None:
        """Look the camera's login up (the keyring may block) and open the media with it, off the caller's thread.
        A stop() meanwhile closes the run first, and ``_Run.open`` then opens nothing."""
        try:
            run.open(self._open_url(), self._network_caching_ms)
        except Exception as exc:
            self._open_failed(exc)

    def _open_failed(self, exc: Exception) -> None:
        # Formatted here, not with exc_info: the message may quote the URL libvlc was given, login included.
        log.warning("libvlc could not start %s:\n%s", redact(self._url),
                    redact_text("".join(traceback.format_exception(exc)).rstrip()))
        self._finish(PlayerState.ERROR, self._explain(f"cannot play stream: {redact_text(str(exc))}"))

    def stop(self) -> None:
        with self._control_lock:
            run, self._run = self._run, None
            self._mark_stopped()
            if run is not None:
                self._close_run(run)

    @staticmethod
    def _close_run(run: _Run) -> None:
        run.closing = True
        # libvlc's stop() joins its input thread; do it off the caller's thread and wait at most ~1 s.
        closer = threading.Thread(target=run.close, name="vlc-close", daemon=True)
        closer.start()
        closer.join(timeout=1.0)
        if closer.is_alive():
            log.warning("libvlc still stopping %s after 1 s; finishing in the background", redact(run.player.url))

    def set_native_window(self, win_id: int | None) -> None:
        """Render into a native window (X11 window id, HWND or NSView pointer); None = back to memory.

        Takes effect at once when playing (the stream is restarted), otherwise at the next start().
        """
        with self._control_lock:
            if win_id == self._native_window:
                return
            self._native_window = win_id
            running = self._run is not None
        if running:
            _control.call(self._restart)

    def _restart(self) -> None:
        self.stop()
        self.start()

    # ------------------------------------------------------------------------- hooks for _Run

    def _target_size_changed(self) -> None:
        run = self._run
        if run is not None:
            _control.call(run.apply_target_size, delay=0.25)

    def _known_visible(self) -> tuple[int, int] | None:
        return self._visible_sizes.get(self._url)

    def _remember_visible(self, size: tuple[int, int]) -> None:
        self._visible_sizes[self._url] = size
