"""The video player interface every backend implements, and the machinery they share.

Qt-free on purpose: a backend decodes on its own threads and keeps only the newest frame; the UI polls
`latest_frame()` on its own timer and wraps `Frame.data` in a QImage (Format_RGB32) without copying. Nothing
here calls back into UI code from a worker thread, and `state` / `error` / `stats` are safe to read from any
thread.

A camera that needs a login gets a ``login`` lookup (``media.stream_login``): the player keeps only the plain URL
and asks for the login on its own worker thread each time it connects (``_open_url``), so the URL with the
password is never an attribute of the player, and the keyring is never read on the caller's (GUI) thread.
"""

from __future__ import annotations

import atexit
import contextlib
import enum
import logging
import threading
import time
import weakref
from abc import ABC, abstractmethod
from dataclasses import dataclass
from fractions import Fraction

from c4desk.media.stream_login import LoginLookup, login_refused_reason, redact, url_with_login

__all__ = ["Frame", "PlayerState", "PlayerStats", "VideoPlayer", "fit_size"]

log = logging.getLogger(__name__)


class PlayerState(enum.Enum):
    IDLE = "idle"  # created, not started
    CONNECTING = "connecting"  # started, no frame yet
    LIVE = "live"  # frames are arriving
    STALLED = "stalled"  # was live, no new frame for `stall_after_s`
    ENDED = "ended"  # the source ended (file at its end, or the server closed the stream)
    ERROR = "error"  # could not open or lost the source; see `error`
    STOPPED = "stopped"  # stop() was called


@dataclass(frozen=True, slots=True)
class Frame:
    """One decoded picture, BGRA byte order (= QImage.Format_RGB32 on little-endian machines).

    `data` is never written again once the frame is handed out, and stays valid for as long as the frame (or
    anything holding `data`) is referenced, so `QImage(frame.data, w, h, stride, Format_RGB32)` is safe
    while the QImage keeps a reference to it.
    """

    width: int
    height: int
    stride: int  # bytes per line (>= 4 * width)
    data: bytes | memoryview  # at least stride * height bytes
    seq: int  # 1, 2, 3, ... per new frame of this player
    pts_s: float | None  # presentation time in the stream, when the backend knows it
    received_monotonic: float  # time.monotonic() when the frame was published


@dataclass(frozen=True, slots=True)
class PlayerStats:
    frames_decoded: int = 0  # pictures the backend produced
    frames_dropped: int = 0  # pictures replaced by a newer one before anyone took them
    first_frame_s: float | None = None  # seconds from start() to the first picture


def fit_size(src_w: int, src_h: int, box: tuple[int, int] | None, sar: Fraction | None = None) -> tuple[int, int]:
    """Output size for a `src_w` x `src_h` picture shown in `box`, keeping the display aspect.

    None = native size. Pictures are never scaled up (the UI paints a small picture larger for free; scaling
    up in the decoder would only cost CPU and memory) and sizes are even, which every scaler likes.
    """
    if src_w <= 0 or src_h <= 0:
        raise ValueError(f"bad source size {src_w}x{src_h}")
    display_w = src_w * float(sar) if sar and sar > 0 else float(src_w)
    if box is None:
        return src_w, src_h
    bw, bh = box
    scale = min(bw / display_w, bh / src_h, 1.0)
    if scale >= 1.0 and display_w == src_w:
        return src_w, src_h
    return max(2, round(display_w * scale / 2) * 2), max(2, round(src_h * scale / 2) * 2)


def _check_box(size: tuple[int, int] | None) -> tuple[int, int] | None:
    if size is None:
        return None
    w, h = (int(v) for v in size)
    if w < 2 or h < 2:
        raise ValueError(f"target size must be at least 2x2, got {size!r}")
    return w, h


_live_players: weakref.WeakSet[VideoPlayer] = weakref.WeakSet()


@atexit.register
def _stop_all_players() -> None:
    # Native decoder threads must not outlive the interpreter.
    for player in list(_live_players):
        with contextlib.suppress(Exception):
            player.stop()


class VideoPlayer(ABC):
    """One video source played into memory.

    Lifecycle: IDLE -> start() -> CONNECTING -> LIVE (<-> STALLED) -> ENDED | ERROR; stop() -> STOPPED from
    any state. start() after ENDED / ERROR / STOPPED starts again (that is how a watchdog reconnects).
    """

    backend_name: str = "?"

    def __init__(
        self,
        url: str,
        *,
        network_caching_ms: int = 300,
        target_size: tuple[int, int] | None = None,
        stall_after_s: float = 2.0,
        login: LoginLookup | None = None,
    ) -> None:
        self._url = url
        self._login_lookup = login
        self._login_found = False  # the last lookup found a login (for the reason given when the camera says 401)
        self._network_caching_ms = int(network_caching_ms)
        self._target_size = _check_box(target_size)
        self._stall_after_s = float(stall_after_s)
        self._lock = threading.Lock()
        self._state = PlayerState.IDLE
        self._error: str | None = None
        self._frame: Frame | None = None
        self._frame_taken = True
        self._seq = 0
        self._frames_decoded = 0
        self._frames_dropped = 0
        self._first_frame_s: float | None = None
        self._started_at: float | None = None
        self._last_frame_at: float | None = None

    # ------------------------------------------------------------------------------------------ public API

    @property
    def url(self) -> str:
        return self._url

    @property
    def target_size(self) -> tuple[int, int] | None:
        with self._lock:
            return self._target_size

    @abstractmethod
    def start(self) -> None:
        """Begin playing (returns at once; connecting happens in the background). No-op while running."""

    @abstractmethod
    def stop(self) -> None:
        """Stop, join worker threads and release native resources. Idempotent; returns within about 1 s."""

    def set_target_size(self, width: int | None, height: int | None = None) -> None:
        """Scale pictures to fit `width` x `height` (keeping aspect) from now on; None = native size."""
        if width is None and height is None:
            box = None
        elif width is None or height is None:
            raise ValueError("give both width and height, or neither (native size)")
        else:
            box = _check_box((width, height))
        with self._lock:
            changed = box != self._target_size
            self._target_size = box
        if changed:
            self._target_size_changed()

    def latest_frame(self) -> Frame | None:
        """The newest picture (the same object again if nothing newer arrived; compare `seq`)."""
        with self._lock:
            self._frame_taken = True
            return self._frame

    @property
    def state(self) -> PlayerState:
        with self._lock:
            state, last = self._state, self._last_frame_at
        if state is PlayerState.LIVE and last is not None and time.monotonic() - last > self._stall_after_s:
            return PlayerState.STALLED
        return state

    @property
    def error(self) -> str | None:
        """Why the player is in ERROR (or ENDED: "stream ended"), in words an analyst understands."""
        with self._lock:
            return self._error

    @property
    def stats(self) -> PlayerStats:
        with self._lock:
            return PlayerStats(self._frames_decoded, self._frames_dropped, self._first_frame_s)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {redact(self._url)!r} {self.state.value}>"

    # ----------------------------------------------------------------------------- for the backends

    def _open_url(self) -> str:
        """The URL to hand the decoder: the player's URL with the camera's login, looked up now. Blocking (keyring):
        call it on a worker thread, and keep the result in a local variable only (it may hold a password)."""
        if self._login_lookup is None:
            return self._url
        try:
            login = self._login_lookup()
        except Exception as exc:  # a broken keyring must not kill the decoder thread; the camera will say 401
            log.warning("cannot look up the login for %s: %s", redact(self._url), type(exc).__name__)
            login = None
        with self._lock:
            self._login_found = login is not None
        return url_with_login(self._url, login)

    def _explain(self, reason: str) -> str:
        """``reason`` completed for a camera that refused its login (stored login wrong, or none stored)."""
        with self._lock:
            found = self._login_found
        return login_refused_reason(reason, lookup_given=self._login_lookup is not None, login_found=found)

    def _target_size_changed(self) -> None:  # noqa: B027 - optional hook, empty by default
        """Hook: the target size changed (backends that must rebuild something override this)."""

    def _begin(self) -> None:
        """Reset per-run state; called by start()."""
        _live_players.add(self)
        with self._lock:
            self._state = PlayerState.CONNECTING
            self._error = None
            self._started_at = time.monotonic()
            self._last_frame_at = None

    def _count_decoded(self, n: int = 1) -> None:
        with self._lock:
            self._frames_decoded += n

    def _publish(self, width: int, height: int, stride: int, data: bytes | memoryview, pts_s: float | None) -> None:
        """Make a new picture the latest one (any thread)."""
        now = time.monotonic()
        with self._lock:
            if self._state not in (PlayerState.CONNECTING, PlayerState.LIVE):
                return
            if not self._frame_taken:
                self._frames_dropped += 1
            self._seq += 1
            self._frame = Frame(width, height, stride, data, self._seq, pts_s, now)
            self._frame_taken = False
            self._last_frame_at = now
            if self._first_frame_s is None and self._started_at is not None:
                self._first_frame_s = now - self._started_at
            self._state = PlayerState.LIVE

    def _mark_live(self) -> None:
        """Frames are being shown somewhere we cannot see (a native window): count as LIVE."""
        with self._lock:
            if self._state is PlayerState.CONNECTING:
                self._state = PlayerState.LIVE
                if self._started_at is not None:
                    self._first_frame_s = time.monotonic() - self._started_at

    def _has_frame_since_start(self) -> bool:
        with self._lock:
            return self._last_frame_at is not None

    def _finish(self, state: PlayerState, reason: str | None) -> None:
        """Enter ENDED / ERROR (any thread); ignored once stopped or already finished."""
        with self._lock:
            if self._state in (PlayerState.CONNECTING, PlayerState.LIVE):
                self._state = state
                self._error = reason

    def _mark_stopped(self) -> None:
        with self._lock:
            self._state = PlayerState.STOPPED
        _live_players.discard(self)
