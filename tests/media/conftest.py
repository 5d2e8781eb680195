"""Fixtures for the player tests: the synthetic clip (rendered once into the media cache) and real servers."""

from __future__ import annotations

import select
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from c4desk.media.player import Frame, PlayerState, VideoPlayer
from tests.media import clip
from tests.media.servers import HttpServer, ts_stream_handler

CLIP_VERSION = 1  # bump when clip.py renders differently


@pytest.fixture(scope="session")
def clip_mp4(media_cache: Path) -> Path:
    path = media_cache / f"player-clip-320x240-{clip.FPS}fps-{clip.SECONDS}s-v{CLIP_VERSION}.mp4"
    if not path.exists():
        clip.write_clip(path)
    return path


@pytest.fixture(scope="session")
def clip_5x4(media_cache: Path) -> Path:
    """320x256: libvlc is told 320x258, which looks like 4:3 320x240 - a guess that must be corrected."""
    path = media_cache / f"player-clip-320x256-{clip.FPS}fps-3s-v{CLIP_VERSION}.mp4"
    if not path.exists():
        clip.write_clip(path, 320, 256, seconds=3)
    return path


@pytest.fixture(scope="session")
def clip_ts(clip_mp4: Path) -> Path:
    path = clip_mp4.with_suffix(".ts")
    if not path.exists():
        clip.remux_to_ts(clip_mp4, path)
    return path


@pytest.fixture
def serve() -> Iterator[Callable[[Callable[..., None]], HttpServer]]:
    """Start an HttpServer with a handler; every server is killed at the end of the test."""
    servers: list[HttpServer] = []

    def start(handler: Callable[..., None]) -> HttpServer:
        server = HttpServer(handler)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.kill()


@pytest.fixture
def ts_server(serve: Callable[[Callable[..., None]], HttpServer], clip_ts: Path) -> HttpServer:
    """The clip as HTTP MPEG-TS at its real rate, once per client."""
    return serve(ts_stream_handler(clip_ts))


def _gst_rtsp_available() -> bool:
    probe = "import gi; gi.require_version('GstRtspServer', '1.0'); from gi.repository import GstRtspServer"
    try:
        return subprocess.run(["/usr/bin/python3", "-c", probe], capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@pytest.fixture
def rtsp_url(clip_mp4: Path) -> Iterator[str]:
    """The clip from a real RTSP server (gst-rtsp-server, Debian's python3-gi; see DESIGN.md)."""
    if not _gst_rtsp_available():
        pytest.skip("gst-rtsp-server (python3-gi, gir1.2-gst-rtsp-server-1.0) is not installed")
    script = Path(__file__).with_name("rtsp_server.py")
    proc = subprocess.Popen(["/usr/bin/python3", str(script), str(clip_mp4)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    try:
        ready, _, _ = select.select([proc.stdout], [], [], 15)
        line = proc.stdout.readline() if ready else ""
        assert line.startswith("READY "), f"RTSP server did not start: {line!r}"
        yield f"rtsp://127.0.0.1:{int(line.split()[1])}/cam"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stdout.close()


@pytest.fixture
def players() -> Iterator[list[VideoPlayer]]:
    """Players to stop at the end of the test, whatever happened."""
    made: list[VideoPlayer] = []
    yield made
    for p in made:
        p.stop()


def wait_for(predicate: Callable[[], bool], timeout: float, interval: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def wait_state(player: VideoPlayer, states: set[PlayerState], timeout: float) -> PlayerState:
    wait_for(lambda: player.state in states, timeout)
    return player.state


def collect(player: VideoPlayer, count: int, timeout: float) -> list[Frame]:
    """Poll like the UI does (every 10 ms) and keep each new frame, until `count` or the player finishes."""
    frames: list[Frame] = []
    deadline = time.monotonic() + timeout
    while len(frames) < count and time.monotonic() < deadline:
        f = player.latest_frame()
        if f is not None and (not frames or f.seq != frames[-1].seq):
            frames.append(f)
        elif player.state in (PlayerState.ENDED, PlayerState.ERROR):
            break
        time.sleep(0.01)
    return frames
