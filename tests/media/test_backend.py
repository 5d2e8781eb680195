"""Backend selection, and both libraries decoding in one process."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from c4desk.media.av_player import AvPlayer
from c4desk.media.backend import (
    backend_for,
    create_player,
    live555_available,
    vlc_available,
    vlc_can_open,
    vlc_plugin_dirs,
)
from c4desk.media.player import PlayerState, VideoPlayer, fit_size
from tests.media.clip import read_frame
from tests.media.conftest import collect
from tests.media.servers import HttpServer

needs_vlc = pytest.mark.skipif(not vlc_available(), reason="libvlc is not installed")


@needs_vlc
def test_plugin_detection_sees_libvlcs_plugins() -> None:
    dirs = vlc_plugin_dirs()
    assert dirs, "libvlc's plugin directory not found"
    names = {p.name for d in dirs for p in d.rglob("*_plugin*")}
    assert any(n.startswith("libhttp_plugin") for n in names)  # so a missing live555 is a real absence


@needs_vlc
def test_selection_by_scheme() -> None:
    rtsp = "rtsp://cam-12.local:554/Streaming/Channels/101"
    # Debian's libvlc is built with --disable-live555: rtsp goes to PyAV here, to libvlc where live555 exists.
    assert backend_for(rtsp) == ("vlc" if live555_available() else "av")
    assert vlc_can_open(rtsp) is live555_available()
    for url in ("http://gw:8080/cam12.ts", "https://gw/cam12.ts", "udp://@239.0.0.1:1234", "/srv/clip.mp4"):
        assert backend_for(url) == "vlc", url
    assert backend_for("srt://gw:9000") == "av"
    assert backend_for("http://gw:8080/cam12.ts", "av") == "av"
    assert backend_for(rtsp, "vlc") == "vlc"  # explicit choice is honoured
    with pytest.raises(ValueError):
        backend_for(rtsp, "gstreamer")  # type: ignore[arg-type]


@needs_vlc
def test_debian_libvlc_has_no_rtsp() -> None:
    if Path("/etc/debian_version").exists():  # as DESIGN.md says: no live555 in Debian's libvlc
        assert not live555_available()
        assert backend_for("rtsp://cam/stream") == "av"


def test_create_player_returns_the_selected_backend() -> None:
    p = create_player("rtsp://cam/stream", target_size=(320, 180))
    assert isinstance(p, AvPlayer) and p.state is PlayerState.IDLE and p.target_size == (320, 180)
    q = create_player("http://gw/cam.ts")
    assert isinstance(q, VideoPlayer) and q.backend_name == backend_for("http://gw/cam.ts")


def test_fit_size() -> None:
    assert fit_size(1920, 1080, (480, 360)) == (480, 270)
    assert fit_size(1920, 1080, None) == (1920, 1080)
    assert fit_size(320, 240, (1920, 1080)) == (320, 240)  # never scaled up
    assert fit_size(704, 576, (1000, 1000), sar=None) == (704, 576)


@needs_vlc
@pytest.mark.slow
@pytest.mark.timeout(60)
def test_both_libraries_in_one_process(clip_mp4: Path, ts_server: HttpServer) -> None:
    from c4desk.media.vlc_player import VlcPlayer

    players: list[VideoPlayer] = [
        AvPlayer(str(clip_mp4), target_size=(160, 120)),
        VlcPlayer(str(clip_mp4), target_size=(160, 120)),
        AvPlayer(ts_server.url(), target_size=(160, 120)),
        VlcPlayer(ts_server.url(), target_size=(160, 120)),
    ]
    try:
        for p in players:
            p.start()
        deadline = time.monotonic() + 10
        for p in players:
            frames = collect(p, 5, timeout=max(0.1, deadline - time.monotonic()))
            assert len(frames) == 5, p
            for f in frames:
                read_frame(f)
    finally:
        for p in players:
            p.stop()
