"""The playback time cursor: a UTC position that moves at a speed (-8x..8x) while playing.

A ``MediaClock`` is the "main timeline" every playback tile follows (or a tile's own, when it leaves the main
timeline). It is separate from the players because it is shared: the GUI moves it, any number of player threads
read it and wait on it, and the UI's Qt wrapper (``c4desk.ui.wall.playback_clock``) drives it, so it must not
depend on decoding or on segment files. Also here: the speed limits and the aware-UTC <-> POSIX-seconds
conversions the playback modules share (a naive datetime is refused, never guessed at).
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

__all__ = ["MAX_SPEED", "MIN_SPEED", "ClockState", "MediaClock", "check_speed", "posix_seconds", "utc_datetime"]

MAX_SPEED = 8.0
MIN_SPEED = 1.0 / 8.0


# ----------------------------------------------------------------------------------------------- time helpers


def posix_seconds(t: datetime) -> float:
    """``t`` as POSIX seconds (the players' working unit); ValueError for a naive datetime (its zone is unknown)."""
    if t.tzinfo is None:
        raise ValueError("playback times must be aware UTC datetimes")
    return t.timestamp()


def utc_datetime(ts: float) -> datetime:
    """POSIX seconds back to an aware UTC datetime."""
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
        self._state = ClockState(posix_seconds(at), time.monotonic(), check_speed(speed), playing, 0)

    def state(self) -> ClockState:
        with self._cond:
            return self._state

    def position(self) -> datetime:
        return utc_datetime(self.position_ts())

    def position_ts(self) -> float:
        return self.state().at(time.monotonic())

    @property
    def speed(self) -> float:
        return self.state().speed

    @property
    def playing(self) -> bool:
        return self.state().playing

    def seek(self, at: datetime) -> None:
        self._change(anchor_ts=posix_seconds(at))

    def play(self, speed: float | None = None) -> None:
        self._change(speed=None if speed is None else check_speed(speed), playing=True)

    def pause(self) -> None:
        self._change(playing=False)

    def set_speed(self, speed: float) -> None:
        self._change(speed=check_speed(speed))

    def copy(self) -> MediaClock:
        """An independent clock that starts where this one is now, in the same state."""
        s = self.state()
        return MediaClock(utc_datetime(s.at(time.monotonic())), speed=s.speed, playing=s.playing)

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
