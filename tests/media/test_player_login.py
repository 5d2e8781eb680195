"""Players open a camera that needs a login with the login from the secret store, and never leak its password.

The camera is the demo's real gst-rtsp-server started with a login (RTSP Digest, as Axis cameras ask by default;
HTTP MPEG-TS with Basic), once for this module. rtsp:// goes to the PyAV player here: Debian's libvlc has no RTSP
client (no live555 module), so libvlc's login path is tested over HTTP. The logins are stored the real way
(``c4desk.credentials.put_secret``; the tests' null keyring sends them to the owner-only secrets file).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from c4desk.credentials import put_secret
from c4desk.demo.servers import RtspServer
from c4desk.media.av_player import AvPlayer
from c4desk.media.player import PlayerState, VideoPlayer
from c4desk.media.stream_login import LoginLookup, camera_login_lookup
from c4desk.media.vlc_player import VlcPlayer
from tests.media.conftest import _gst_rtsp_available, collect, wait_state

pytestmark = pytest.mark.slow

USER = "root"
PASSWORD = "Zq7 p@ss:w/rd%#é"  # every character a URL would trip on, and one that is not ASCII
SECRET_FORMS = (PASSWORD, quote(PASSWORD, safe=""), "Zq7")  # as typed, as percent-encoded in a URL, a piece of it


@pytest.fixture(scope="module")
def camera(clip_mp4: Path) -> Iterator[RtspServer]:
    """A camera that needs a login: RTSP (Digest challenge) and HTTP MPEG-TS (Basic)."""
    if not _gst_rtsp_available():
        pytest.skip("gst-rtsp-server (python3-gi, gir1.2-gst-rtsp-server-1.0) is not installed")
    with RtspServer({"cam": clip_mp4}, period=4.0, http_port=0, auth=(USER, PASSWORD)) as server:
        yield server


@pytest.fixture(scope="module")
def logins(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory holding the right login and a wrong one."""
    data_dir = tmp_path_factory.mktemp("logins")
    put_secret(data_dir, "camera-right", f"{USER}:{PASSWORD}")
    put_secret(data_dir, "camera-wrong", f"{USER}:not-the-password")
    return data_dir


def lookup_for(data_dir: Path, ref: str, threads: list[int]) -> LoginLookup:
    """The real lookup, noting which thread asks."""
    real = camera_login_lookup(data_dir, ref)
    assert real is not None

    def lookup() -> tuple[str, str] | None:
        threads.append(threading.get_ident())
        return real()

    return lookup


def assert_no_secret(*texts: str) -> None:
    for text in texts:
        for secret in SECRET_FORMS:
            assert secret not in text, (secret, text)


def start(player: VideoPlayer, made: list[VideoPlayer]) -> VideoPlayer:
    made.append(player)
    player.start()
    return player


@pytest.fixture
def made() -> Iterator[list[VideoPlayer]]:
    players: list[VideoPlayer] = []
    yield players
    for p in players:
        p.stop()


def test_pyav_plays_rtsp_with_the_stored_login_looked_up_on_its_own_thread(
        camera: RtspServer, logins: Path, made: list[VideoPlayer], caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    asked: list[int] = []
    player = start(AvPlayer(camera.url("cam"), login=lookup_for(logins, "camera-right", asked)), made)
    frames = collect(player, 3, timeout=15)
    assert len(frames) == 3 and player.state is PlayerState.LIVE, player.error
    assert (frames[0].width, frames[0].height) == (320, 240)
    assert asked and threading.get_ident() not in asked  # the keyring is read on the decoder thread only
    # The player keeps the plain URL: nothing that shows or logs it has the password.
    assert player.url == camera.url("cam")
    assert_no_secret(repr(player), caplog.text, *(t.name for t in threading.enumerate()))


@pytest.mark.parametrize(("ref", "reason"), [
    ("camera-none", "401 unauthorized from camera: no login stored for this camera (c4desk cameras login)"),
    ("camera-wrong", "401 unauthorized from camera: login refused (check the user and password stored for this "
                     "camera)"),
])
def test_pyav_without_the_right_login_says_authorization_failed(
        camera: RtspServer, logins: Path, made: list[VideoPlayer], caplog: pytest.LogCaptureFixture, ref: str,
        reason: str) -> None:
    caplog.set_level(logging.DEBUG)
    player = start(AvPlayer(camera.url("cam"), login=camera_login_lookup(logins, ref)), made)
    assert wait_state(player, {PlayerState.ERROR}, 10) is PlayerState.ERROR
    assert player.error == reason
    assert_no_secret(caplog.text, repr(player))


def test_a_camera_without_credential_ref_gets_the_plain_401(camera: RtspServer, made: list[VideoPlayer]) -> None:
    player = start(AvPlayer(camera.url("cam")), made)
    assert wait_state(player, {PlayerState.ERROR}, 10) is PlayerState.ERROR
    assert player.error == "401 unauthorized from camera"


def test_libvlc_plays_http_with_the_stored_login_and_names_a_refused_one(
        camera: RtspServer, logins: Path, made: list[VideoPlayer], caplog: pytest.LogCaptureFixture) -> None:
    """libvlc takes the login in the URL (HTTP Basic); the lookup runs on a thread of its own, not the caller's."""
    caplog.set_level(logging.DEBUG)
    asked: list[int] = []
    good = start(VlcPlayer(camera.http_url("cam"), login=lookup_for(logins, "camera-right", asked)), made)
    wrong = start(VlcPlayer(camera.http_url("cam"), login=camera_login_lookup(logins, "camera-wrong")), made)
    frames = collect(good, 3, timeout=15)
    assert len(frames) == 3, good.error
    assert asked and threading.get_ident() not in asked
    assert wait_state(wrong, {PlayerState.ERROR}, 12) is PlayerState.ERROR
    assert wrong.error == ("401 unauthorized from camera: login refused (check the user and password stored for "
                           "this camera)")
    assert_no_secret(caplog.text, repr(good), repr(wrong), *(t.name for t in threading.enumerate()))


def test_a_stop_while_the_login_is_looked_up_opens_nothing(camera: RtspServer, logins: Path) -> None:
    """A slow keyring (here: a lookup held until the player is stopped) must not leave a libvlc player running."""
    release = threading.Event()
    real = camera_login_lookup(logins, "camera-right")
    assert real is not None

    def slow() -> tuple[str, str] | None:
        release.wait(5)
        return real()

    player = VlcPlayer(camera.http_url("cam"), login=slow)
    player.start()
    assert player.state is PlayerState.CONNECTING  # start() returned at once
    run = player._run
    player.stop()
    release.set()
    for thread in threading.enumerate():
        if thread.name == "vlc-open":
            thread.join(5)
    assert run is not None and run.closing and run.mp is None  # the media was never opened
    assert player.state is PlayerState.STOPPED and player.latest_frame() is None


def test_failure_texts_never_quote_a_password() -> None:
    """FFmpeg's and libvlc's messages quote the URL they were given, login included; the reasons shown do not."""
    from c4desk.media.av_player import describe_av_error

    url = f"rtsp://{USER}:{quote(PASSWORD, safe='')}@10.1.2.3/axis-media/media.amp"
    for exc in (RuntimeError(f"cannot open '{url}'"), OSError(f"bad thing at {url}")):
        reason = describe_av_error(exc, url)
        assert reason.startswith("cannot play stream: ") and f"{USER}:***@10.1.2.3" in reason
        assert_no_secret(reason)
