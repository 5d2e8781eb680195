"""Wall tiles play cameras that need a login, with the login from the secret store, and never show or log it.

The cameras are the demo's real gst-rtsp-server started with a login (RTSP Digest, like an Axis camera's default),
once for this module; every picture is really decoded. rtsp:// goes to the PyAV player here (Debian's libvlc has
no RTSP client); the libvlc path with a login is tested over HTTP in tests/media/test_player_login.py. Logins are
stored the real way (``put_secret``: the tests' null keyring sends them to the owner-only secrets file); the one
stand-in is a keyring that takes a second to answer (the real lookup, delayed), to prove the GUI thread never waits
for it.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from PySide6.QtCore import QElapsedTimer, QTimer
from pytestqt.qtbot import QtBot

from c4desk import credentials
from c4desk.config import Paths, Settings
from c4desk.credentials import put_secret
from c4desk.demo import render
from c4desk.demo.servers import SupervisedRtspServer
from c4desk.domain.camera import Camera
from c4desk.domain.layouts import preset
from c4desk.hub.camera_logins import set_camera_login
from c4desk.hub.services import Services
from c4desk.media import stream_login
from c4desk.ui.app import build_main_window
from c4desk.ui.wall.live_grid import LiveGrid
from c4desk.ui.wall.players import PlayerSource
from c4desk.ui.wall.tile_feeds import LOGIN_REFUSED_RETRY_S
from tests.ui.test_main_window import double_click_camera
from tests.ui.wall.conftest import SECONDS, frame_rgb, make_camera

pytestmark = pytest.mark.slow

USER = "root"
PASSWORD = "Wq9 p@ss:w/rd%#é"
SECRETS = (PASSWORD, quote(PASSWORD, safe=""), "Wq9", "not-the-password")
KEYRING_DELAY_S = 1.0


@pytest.fixture(scope="module")
def locked_cameras(wall_clips: dict[str, Path]) -> Iterator[SupervisedRtspServer]:
    server = SupervisedRtspServer({c: wall_clips[c] for c in ("cam01", "cam02")}, period=SECONDS,
                                  auth=(USER, PASSWORD)).start()
    yield server
    server.stop()


def camera(server: SupervisedRtspServer, camera_id: str, mount: str, credential_ref: str) -> Camera:
    url = server.url(mount)
    return dataclasses.replace(make_camera(camera_id, url, url), credential_ref=credential_ref)


def test_tiles_play_with_the_stored_login_and_say_why_when_it_is_missing_or_wrong(
        qtbot: QtBot, locked_cameras: SupervisedRtspServer, data_dir: Path, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    put_secret(data_dir, "camera-cam01", f"{USER}:{PASSWORD}")
    put_secret(data_dir, "camera-wrong", f"{USER}:not-the-password")
    asked_on: list[int] = []

    def slow_keyring(data_dir: Path, credential_ref: str) -> tuple[str, str] | None:
        asked_on.append(threading.get_ident())
        time.sleep(KEYRING_DELAY_S)  # a keyring daemon waking up, a locked wallet: the GUI must not wait
        return credentials.camera_login(data_dir, credential_ref)

    monkeypatch.setattr(stream_login, "camera_login", slow_keyring)
    cams = {c.id: c for c in (camera(locked_cameras, "cam01", "cam01", "camera-cam01"),
                              camera(locked_cameras, "cam02", "cam02", "camera-cam02"),  # nothing stored yet
                              camera(locked_cameras, "cam03", "cam02", "camera-wrong"))}
    grid = LiveGrid(PlayerSource(data_dir=data_dir), layout=preset("2x2"), camera_lookup=cams.get)
    qtbot.addWidget(grid)
    grid.resize(780, 440)
    grid.show()
    qtbot.waitExposed(grid)
    said: list[tuple[str, str]] = []
    for tile in grid.tiles:
        tile.status_changed.connect(lambda status, reason: said.append((status, reason)))
    # How long the GUI thread is ever away from its event loop while three players look logins up.
    gaps: list[float] = []
    clock = QElapsedTimer()
    clock.start()
    last = [clock.elapsed()]

    def tick() -> None:
        now = clock.elapsed()
        gaps.append(now - last[0])
        last[0] = now

    ticker = QTimer()
    ticker.setInterval(10)
    ticker.timeout.connect(tick)
    ticker.start()
    try:
        grid.show_cameras(list(cams.values()))
        tiles = {t.camera.id: t for t in grid.tiles if t.camera is not None}
        qtbot.waitUntil(lambda: tiles["cam01"].frames_shown >= 2 and bool(tiles["cam02"].reason)
                        and bool(tiles["cam03"].reason), timeout=12_000)
        ticker.stop()
        assert max(gaps) < 250, max(gaps)  # the one-second keyring never held the GUI thread
        assert asked_on and threading.get_ident() not in asked_on
        frame = tiles["cam01"].current_frame
        assert frame is not None and render.identify_camera(frame_rgb(frame)) == "cam01"  # its own pictures
        assert tiles["cam02"].status == "offline"
        assert tiles["cam02"].reason == ("401 unauthorized from camera: no login stored for this camera "
                                         "(c4desk cameras login)")
        assert tiles["cam03"].reason == ("401 unauthorized from camera: login refused (check the user and "
                                         "password stored for this camera)")
        for tile in tiles.values():
            assert tile.reason in tile.toolTip()
        # A refused login is not asked again for a minute (a camera's lockout counts failed logins); a missing one
        # is looked for again soon (it may be stored any moment: below).
        retry_at = tiles["cam03"]._retry_at
        assert retry_at is not None and retry_at - time.monotonic() > LOGIN_REFUSED_RETRY_S - 15
        grid.grab().save("/tmp/loginhelper-wall.png")

        # The login stored now (as `c4desk cameras login` does) is found at the tile's next retry.
        put_secret(data_dir, "camera-cam02", f"{USER}:{PASSWORD}")
        qtbot.waitUntil(lambda: tiles["cam02"].status == "live", timeout=12_000)
        frame = tiles["cam02"].current_frame
        assert frame is not None and render.identify_camera(frame_rgb(frame)) == "cam02"
        shown = [caplog.text, *(t.toolTip() for t in tiles.values()), *(r for _s, r in said),
                 *(repr(t.player) for t in tiles.values()), *(t.name for t in threading.enumerate())]
        for text in shown:
            for secret in SECRETS:
                assert secret not in text, (secret, text)
    finally:
        ticker.stop()
        grid.close_players()


def test_the_workstation_plays_a_camera_once_an_admin_has_stored_its_login(
        qtbot: QtBot, locked_cameras: SupervisedRtspServer, services: Services, data_dir: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    """The whole way: the site's camera (no credential_ref), its login stored as `c4desk cameras login` does, and
    the workstation as `c4desk` builds it (``build_main_window``) showing it on a double click."""
    caplog.set_level(logging.DEBUG)
    services.cameras.upsert_many([camera(locked_cameras, "cam01", "cam01", "")])
    admin = services.users.bootstrap_admin("ada", "ada-password-1")
    stored = set_camera_login(services.db, services.cameras, admin, data_dir, "cam01", USER, PASSWORD)
    assert stored.credential_ref == "camera-cam01"
    window = build_main_window(services, Settings(), Paths(data_dir), user="tester")
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    qtbot.waitUntil(lambda: window.camera_tree.item_for("cam01") is not None, timeout=5000)
    double_click_camera(window, "cam01")
    tile = next(t for t in window.grid.tiles if t.camera is not None and t.camera.id == "cam01")
    qtbot.waitUntil(lambda: tile.status == "live" and tile.frames_shown >= 2, timeout=12_000)
    frame = tile.current_frame
    assert frame is not None and render.identify_camera(frame_rgb(frame)) == "cam01"
    window.grab().save("/tmp/loginhelper-window.png")
    for text in (caplog.text, tile.toolTip(), window.statusBar().currentMessage()):
        for secret in SECRETS:
            assert secret not in text, (secret, text)
    window.grid.close_players()
