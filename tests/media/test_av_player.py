"""The PyAV backend against the synthetic clip, from a file and from a real HTTP MPEG-TS server."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from c4desk.media.av_player import AvPlayer, describe_av_error, interrupt_supported
from c4desk.media.player import Frame, PlayerState
from tests.media.clip import FPS, read_frame
from tests.media.conftest import collect, wait_for, wait_state
from tests.media.servers import (
    HttpServer,
    closed_port,
    silent_handler,
    status_handler,
    ts_stream_handler,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(60)]

Serve = Callable[[Callable[..., None]], HttpServer]


def check_frames(frames: list[Frame], size: tuple[int, int]) -> list[int]:
    """Every frame at `size`, readable, its bar code agreeing with its timestamp; returns the frame indexes."""
    assert frames, "no frames"
    assert [f.seq for f in frames] == sorted({f.seq for f in frames}), "seq must increase"
    offsets = set()
    for f in frames:
        assert (f.width, f.height) == size
        assert f.stride >= 4 * f.width and len(memoryview(f.data)) >= f.stride * f.height
        reading = read_frame(f)
        if f.pts_s is not None:  # RTSP may give the first packets no timestamp (before RTCP sync)
            offsets.add(reading.index - round(f.pts_s * FPS))
    assert len(offsets) == 1, f"picture and timestamp disagree: {offsets}"
    return [read_frame(f).index for f in frames]


def test_plays_file_at_target_size_in_real_time(clip_mp4: Path, players: list[AvPlayer]) -> None:
    p = AvPlayer(str(clip_mp4), target_size=(160, 120))
    players.append(p)
    p.start()
    t0 = time.monotonic()
    frames = collect(p, 20, timeout=10)
    elapsed = time.monotonic() - t0
    indexes = check_frames(frames, (160, 120))
    assert indexes[0] == 0 and indexes == sorted(indexes)
    assert elapsed > (indexes[-1] - 2) / FPS, "a file must play at its own pace, not as fast as it decodes"
    assert p.state is PlayerState.LIVE
    stats = p.stats
    assert stats.first_frame_s is not None and stats.first_frame_s < 2.0
    assert stats.frames_decoded >= len(frames)


def test_keeps_aspect_and_follows_size_changes(clip_mp4: Path, players: list[AvPlayer]) -> None:
    p = AvPlayer(str(clip_mp4), target_size=(200, 100))  # a wide tile: 4:3 fits as 134x100
    players.append(p)
    p.start()
    check_frames(collect(p, 3, timeout=5), (134, 100))
    p.set_target_size(None)
    assert wait_for(lambda: (f := p.latest_frame()) is not None and f.width == 320, timeout=3)
    check_frames(collect(p, 3, timeout=5), (320, 240))
    p.set_target_size(80, 60)
    assert wait_for(lambda: (f := p.latest_frame()) is not None and f.width == 80, timeout=3)
    check_frames(collect(p, 3, timeout=5), (80, 60))


def test_plays_http_mpegts(ts_server: HttpServer, players: list[AvPlayer]) -> None:
    p = AvPlayer(ts_server.url(), target_size=(160, 120))
    players.append(p)
    p.start()
    frames = collect(p, 15, timeout=10)
    indexes = check_frames(frames, (160, 120))
    assert indexes == sorted(indexes) and len(set(indexes)) == len(indexes)
    assert p.stats.first_frame_s is not None and p.stats.first_frame_s < 2.0


def test_server_death_ends_the_stream(ts_server: HttpServer, players: list[AvPlayer]) -> None:
    p = AvPlayer(ts_server.url(), target_size=(80, 60))
    players.append(p)
    p.start()
    assert wait_state(p, {PlayerState.LIVE}, timeout=5) is PlayerState.LIVE
    ts_server.kill()
    assert wait_state(p, {PlayerState.ENDED}, timeout=3) is PlayerState.ENDED
    assert p.error in ("connection lost", "stream ended")


def test_plays_rtsp_over_tcp(rtsp_url: str, players: list[AvPlayer]) -> None:
    p = AvPlayer(rtsp_url, target_size=(160, 120))
    players.append(p)
    p.start()
    frames = collect(p, 15, timeout=10)
    indexes = check_frames(frames, (160, 120))
    assert indexes == sorted(indexes)
    assert p.stats.first_frame_s is not None and p.stats.first_frame_s < 2.0
    t0 = time.monotonic()
    p.stop()
    assert time.monotonic() - t0 < 1.0


def test_end_of_file_then_restart(clip_mp4: Path, players: list[AvPlayer]) -> None:
    p = AvPlayer(str(clip_mp4), target_size=(80, 60), realtime=False)
    players.append(p)
    p.start()
    assert wait_state(p, {PlayerState.ENDED}, timeout=10) is PlayerState.ENDED
    assert p.error == "stream ended"
    assert p.stats.frames_decoded == 60
    last = p.latest_frame()
    assert last is not None and read_frame(last).index == 59
    p.start()  # what a watchdog does
    assert wait_for(lambda: (f := p.latest_frame()) is not None and f.seq > last.seq, timeout=5)


def _text(conn: socket.socket) -> None:
    status_handler("200 OK", b"<html><body>camera admin page</body></html>", "text/html")(conn)


def _unauthorized(conn: socket.socket) -> None:
    status_handler("401 Unauthorized", b"", "text/plain", 'WWW-Authenticate: Basic realm="cam"\r\n')(conn)


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("refused", "connection refused"),
        ("text", "not a video stream"),
        ("401", "401 unauthorized from camera"),
        ("no-host", "host not found"),
        ("silent", "timed out"),
    ],
)
def test_errors_are_reported_not_raised(kind: str, reason: str, serve: Serve, players: list[AvPlayer]) -> None:
    url = {
        "refused": lambda: f"http://127.0.0.1:{closed_port()}/stream.ts",
        "text": lambda: serve(_text).url(),
        "401": lambda: serve(_unauthorized).url(),
        "no-host": lambda: "rtsp://no-such-camera.invalid/stream",
        "silent": lambda: serve(silent_handler).url(),
    }[kind]()
    p = AvPlayer(url, open_timeout_s=1.0)
    players.append(p)
    t0 = time.monotonic()
    p.start()  # must not raise
    assert wait_state(p, {PlayerState.ERROR}, timeout=5) is PlayerState.ERROR
    assert p.error == reason
    assert time.monotonic() - t0 < 4
    assert p.latest_frame() is None


def test_stop_interrupts_a_blocked_read(serve: Serve, players: list[AvPlayer]) -> None:
    server = serve(silent_handler)  # accepts, never answers
    p = AvPlayer(server.url(), open_timeout_s=30, read_timeout_s=30)
    players.append(p)
    p.start()
    assert wait_for(lambda: server.connections == 1, timeout=5)
    time.sleep(0.3)  # FFmpeg is now waiting for the HTTP response
    assert p.state is PlayerState.CONNECTING
    t0 = time.monotonic()
    p.stop()
    assert time.monotonic() - t0 < 1.0
    assert p.state is PlayerState.STOPPED
    assert interrupt_supported()
    assert p._thread is not None and not p._thread.is_alive(), "the read was not interrupted"
    p.stop()  # idempotent


def test_stall_then_timeout(serve: Serve, clip_ts: Path, players: list[AvPlayer]) -> None:
    server = serve(ts_stream_handler(clip_ts, stop_after_s=1.0))  # a camera that hangs after 1 s
    p = AvPlayer(server.url(), stall_after_s=0.5, read_timeout_s=2.0, target_size=(80, 60))
    players.append(p)
    p.start()
    assert wait_state(p, {PlayerState.LIVE}, timeout=5) is PlayerState.LIVE
    assert wait_state(p, {PlayerState.STALLED}, timeout=5) is PlayerState.STALLED
    assert wait_state(p, {PlayerState.ERROR}, timeout=5) is PlayerState.ERROR
    assert p.error == "timed out"


def test_describe_errors() -> None:
    import av

    assert describe_av_error(av.error.HTTPForbiddenError(1, "x")) == "403 forbidden by camera"
    assert describe_av_error(av.error.InvalidDataError(1, "x")) == "not a video stream"
    assert describe_av_error(ConnectionResetError()) == "connection lost"
