"""Players for the wall: backend and network caching from the settings, per camera; URL checks."""

from __future__ import annotations

import pytest

from c4desk.config import VideoSettings
from c4desk.ui.wall.players import PlayerSource, embedding_supported
from c4desk.ui.wall.video_view import check_stream_url


def test_network_caching_is_300_ms_unless_a_camera_has_its_own() -> None:
    source = PlayerSource(VideoSettings(backend="av", camera_caching_ms={"cam07": 1200}))
    default = source("rtsp://127.0.0.1:9/a", (320, 180), "cam01")
    slow_link = source("rtsp://127.0.0.1:9/b", (320, 180), "cam07")
    try:
        assert default.backend_name == slow_link.backend_name == "av"
        assert default._network_caching_ms == 300  # type: ignore[attr-defined]
        assert slow_link._network_caching_ms == 1200  # type: ignore[attr-defined]
        assert default.target_size == (320, 180)
    finally:
        default.stop()
        slow_link.stop()
    with pytest.raises(ValueError, match="cam07"):
        VideoSettings(camera_caching_ms={"cam07": 10})


def test_libvlc_draws_into_windows_only_when_asked_and_possible(qapp: object) -> None:
    assert not PlayerSource(VideoSettings()).can_embed("http://127.0.0.1/a.ts")  # off by default
    embedding = PlayerSource(VideoSettings(native_windows=True))
    assert not embedding_supported()  # the tests' offscreen platform has no windows to draw into
    assert not embedding.can_embed("http://127.0.0.1/a.ts")


@pytest.mark.parametrize(("url", "reason"), [
    ("rtsp://10.0.0.1/stream", None),
    ("file:///srv/clip.mp4", None),
    ("rtsp//10.0.0.1/stream", "malformed URL: no scheme (rtsp://, http://, ...)"),
    ("rtsp:///stream", "malformed URL: no host"),
    ("ftp://10.0.0.1/x", "malformed URL: unsupported scheme 'ftp'"),
    ("rtsp://10.0.0.1:99999/x", "malformed URL: Port out of range 0-65535"),
    ("rtsp://10.0.0.1/a b", "malformed URL: contains white space"),
])
def test_stream_urls_are_checked_before_any_player_starts(url: str, reason: str | None) -> None:
    assert check_stream_url(url) == reason
