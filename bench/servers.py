"""The streams the video benches measure against: N demo cameras' clips on the real demo RTSP server.

Shared by bench/wall_bench.py (the live wall) and bench/record_bench.py (the recorder). A configuration such
as ``4x360p15`` (N streams of a size and rate) is rendered once (cached under ``--cache``) and served by the
demo's gst-rtsp-server (stream copy, every mount looped in phase with one epoch, so frame markers give wall
time). Each bench alternates a c4desk phase and an ffmpeg phase on the same server (``alternate``).

The demo server can abort when a client's PLAY races a freshly prepared media (see RESULTS.md). This is not
``c4desk.demo.servers.SupervisedRtspServer`` on purpose: a bench must know that the server died *during* a
phase (to throw that phase away and measure it again), not merely have it silently replaced in the background.
So the server is restarted, on the same port and epoch, only between phases (``ensure_running``) and the crashes
are counted for the report.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from c4desk.demo.servers import RtspServer

Run = TypeVar("Run", bound=Mapping[str, Any])
Ours = TypeVar("Ours", bound=Mapping[str, Any])
Theirs = TypeVar("Theirs", bound=Mapping[str, Any])
ATTEMPTS = 3  # tries per phase before a round goes without that phase's figure

LINES = {"180": (320, 180), "360": (640, 360), "720": (1280, 720), "1080": (1920, 1080)}


def parse_config(text: str) -> tuple[int, tuple[int, int], int]:
    """'16x360p15' -> (16, (640, 360), 15)."""
    count, rest = text.split("x", 1)
    lines, rate = rest.split("p")
    return int(count), LINES[lines], int(rate)


class BenchStreams:
    """``config``'s N demo cameras rendered and served over RTSP; ``urls`` in camera order.

    Use as a context manager (or ``start()``/``stop()``). ``crashes`` counts the restarts ``ensure_running`` made.
    """

    def __init__(self, config: str, cache: Path, clip_seconds: float) -> None:
        # c4desk.demo is imported here, not at module level, so that a bench's measured child process, which
        # imports the bench's module, does not carry the renderer in its RSS.
        from c4desk.demo import city, render

        self.config = config
        self.count, self.size, self.fps = parse_config(config)
        self.placements = list(city.PLACEMENTS[: self.count])
        self.period = clip_seconds
        self.clips = render.render_all(cache, placements=self.placements, seconds=clip_seconds, size=self.size,
                                       fps=self.fps)
        self.epoch = float(int(time.time()))
        self.crashes = 0
        self._server: RtspServer | None = None
        self._port = 0

    def start(self) -> BenchStreams:
        from c4desk.demo.servers import RtspServer

        self._server = RtspServer(self.clips, port=self._port, epoch=self.epoch, period=self.period).start()
        self._port = self._server.port or 0
        return self

    @property
    def running(self) -> bool:
        return self._server is not None and self._server.running

    @property
    def urls(self) -> list[str]:
        if self._server is None:
            raise RuntimeError("BenchStreams is not started")
        return [self._server.url(p.id) for p in self.placements]

    def ensure_running(self) -> None:
        """Restart a server that died (same port, same epoch, so the URLs and frame timing stay valid)."""
        if self._server is not None and not self._server.running:
            self.crashes += 1
            self._server.stop()
            self.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()

    def __enter__(self) -> BenchStreams:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def alternate(streams: BenchStreams, repeat: int, ours: Callable[[], Ours | None],
              theirs: Callable[[], Theirs | None]) -> tuple[list[Ours], list[Theirs]]:
    """``repeat`` rounds of the c4desk phase then the ffmpeg phase, each on a live server.

    A phase returns its figures, or None when they do not count (the server died during it, not every stream
    was taken); it is then tried again, up to ``ATTEMPTS`` times. Raises when either side has no run at all.
    """
    ours_runs: list[Ours] = []
    theirs_runs: list[Theirs] = []
    for _round in range(repeat):
        _one_phase(streams, ours, ours_runs)
        _one_phase(streams, theirs, theirs_runs)
    if not ours_runs or not theirs_runs:
        raise RuntimeError("no complete run (the demo server kept dying, or ffmpeg is missing)")
    return ours_runs, theirs_runs


def _one_phase(streams: BenchStreams, phase: Callable[[], Run | None], runs: list[Run]) -> None:
    for _attempt in range(ATTEMPTS):
        streams.ensure_running()
        result = phase()
        if result is not None:
            runs.append(result)
            return


def median_run(runs: list[Run]) -> Run:
    """The run with the median CPU stands for the configuration (its other figures come with it)."""
    return sorted(runs, key=lambda r: r["cpu_pct"])[len(runs) // 2]
