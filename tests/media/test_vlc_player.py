"""The libvlc backend (memory callbacks) against the synthetic clip, from a file and from a real HTTP server."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from c4desk.media.backend import vlc_available
from c4desk.media.player import Frame, PlayerState
from tests.media.clip import read_frame
from tests.media.conftest import collect, wait_for, wait_state
from tests.media.servers import HttpServer, closed_port, silent_handler, status_handler

if not vlc_available():  # pragma: no cover - only where libvlc is truly missing
    pytest.skip("libvlc is not installed", allow_module_level=True)

from c4desk.media.vlc_player import VlcPlayer, guess_visible_size

pytestmark = [pytest.mark.slow, pytest.mark.timeout(60)]

Serve = Callable[[Callable[..., None]], HttpServer]


def check_frames(frames: list[Frame], size: tuple[int, int]) -> list[int]:
    """Every frame at `size` and readable, seq increasing, the clip moving forwards; returns frame indexes."""
    assert frames, "no frames"
    seqs = [f.seq for f in frames]
    assert seqs == sorted(set(seqs))
    for f in frames:
        assert (f.width, f.height) == size
        assert isinstance(f.data, bytes) and len(f.data) >= f.stride * f.height
    indexes = [read_frame(f).index for f in frames]
    assert indexes == sorted(indexes), f"frames out of order: {indexes}"
    return indexes


def test_plays_file_at_target_size(clip_mp4: Path, players: list[VlcPlayer]) -> None:
    p = VlcPlayer(str(clip_mp4), target_size=(160, 120))
    players.append(p)
    p.start()
    t0 = time.monotonic()
    frames = collect(p, 25, timeout=10)
    indexes = check_frames(frames, (160, 120))
    assert indexes[0] <= 5 and indexes[-1] >= 20  # from the start, through seconds 0 and 1, in order
    assert time.monotonic() - t0 > 1.0, "a file plays at its own pace"
    assert p.state is PlayerState.LIVE
    assert p.stats.first_frame_s is not None and p.stats.first_frame_s < 3.0


def test_plays_http_mpegts_then_ends_when_the_server_dies(ts_server: HttpServer, players: list[VlcPlayer]) -> None:
    p = VlcPlayer(ts_server.url(), target_size=(160, 120))
    players.append(p)
    p.start()
    check_frames(collect(p, 10, timeout=10), (160, 120))
    ts_server.kill()
    assert wait_state(p, {PlayerState.ENDED, PlayerState.STOPPED}, timeout=5) in (
        PlayerState.ENDED,
        PlayerState.STOPPED,
    )
    assert p.error == "stream ended"


def test_native_size_and_aspect(clip_mp4: Path, players: list[VlcPlayer]) -> None:
    native = VlcPlayer(str(clip_mp4))
    wide = VlcPlayer(str(clip_mp4), target_size=(200, 100))  # 4:3 in a wide tile: 134x100
    players += [native, wide]
    native.start()
    wide.start()
    check_frames(collect(native, 3, timeout=10), (320, 240))
    check_frames(collect(wide, 3, timeout=10), (134, 100))


def test_wrong_size_guess_is_corrected(clip_5x4: Path, players: list[VlcPlayer]) -> None:
    VlcPlayer._visible_sizes.pop(str(clip_5x4), None)
    p = VlcPlayer(str(clip_5x4))
    players.append(p)
    p.start()
    assert wait_for(lambda: (f := p.latest_frame()) is not None and f.height == 256, timeout=5)
    check_frames(collect(p, 3, timeout=5), (320, 256))


def test_follows_size_changes(clip_mp4: Path, players: list[VlcPlayer]) -> None:
    p = VlcPlayer(str(clip_mp4), target_size=(160, 120))
    players.append(p)
    p.start()
    check_frames(collect(p, 2, timeout=10), (160, 120))
    p.set_target_size(80, 60)  # libvlc rebuilds its video output (next keyframe, at most 1 s here)
    assert wait_for(lambda: (f := p.latest_frame()) is not None and f.width == 80, timeout=5)
    check_frames(collect(p, 2, timeout=5), (80, 60))


def test_stop_is_quick_and_final(ts_server: HttpServer, players: list[VlcPlayer]) -> None:
    p = VlcPlayer(ts_server.url(), target_size=(80, 60))
    players.append(p)
    p.start()
    assert wait_state(p, {PlayerState.LIVE}, timeout=10) is PlayerState.LIVE
    t0 = time.monotonic()
    p.stop()
    assert time.monotonic() - t0 < 1.2
    assert p.state is PlayerState.STOPPED
    last = p.latest_frame()
    time.sleep(0.3)
    assert p.latest_frame() is last
    p.stop()  # idempotent


def _text(conn: socket.socket) -> None:
    status_handler("200 OK", b"<html><body>camera admin page</body></html>", "text/html")(conn)


def _unauthorized(conn: socket.socket) -> None:
    status_handler("401 Unauthorized", b"", "text/plain", 'WWW-Authenticate: Basic realm="cam"\r\n')(conn)


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("refused", "connection refused"),
        ("401", "401 unauthorized from camera"),
        ("text", "not a video stream"),
        ("silent", "timed out"),
    ],
)
def test_errors_get_a_reason(kind: str, reason: str, serve: Serve, players: list[VlcPlayer]) -> None:
    url = {
        "refused": lambda: f"http://127.0.0.1:{closed_port()}/stream.ts",
        "401": lambda: serve(_unauthorized).url(),
        "text": lambda: serve(_text).url(),
        "silent": lambda: serve(silent_handler).url(),
    }[kind]()
    p = VlcPlayer(url, open_timeout_s=1.0)
    players.append(p)
    p.start()
    assert wait_state(p, {PlayerState.ERROR}, timeout=8) is PlayerState.ERROR
    assert p.error == reason


@pytest.mark.parametrize(
    ("alloc", "visible"),
    [((320, 258), (320, 240)), ((640, 386), (640, 360)), ((1920, 1090), (1920, 1080)), ((704, 578), (704, 576))],
)
def test_guess_visible_size(alloc: tuple[int, int], visible: tuple[int, int]) -> None:
    assert guess_visible_size(*alloc) == visible
    assert guess_visible_size(*visible) == visible
