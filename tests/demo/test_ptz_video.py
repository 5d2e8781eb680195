"""The demo's PTZ camera: its video follows VAPIX commands.

No real Axis camera exists here. The camera is c4desk/demo/vapix_simulator.py (ptz.cgi behind HTTP digest
auth), driven through c4desk's own VAPIX client; its picture is a live crop of a rendered panorama, cut and
encoded by the real gst-rtsp-server subprocess and decoded here with PyAV over RTSP. The panorama has a magenta
mast due east of the camera: where it appears in the decoded picture, and how large, says where the camera
looks, and is checked against the view the command asked for.
"""

from __future__ import annotations

import math
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np
import pytest

from c4desk.config import Paths
from c4desk.demo import ptz_scene, render
from c4desk.demo.city import PLACEMENTS
from c4desk.demo.ptz_video import PtzVideoLink, View, step_view
from c4desk.demo.run import DEMO_PTZ_PASSWORD, DEMO_PTZ_USER, DemoCity, DemoOptions
from c4desk.demo.servers import RtspServer, SupervisedRtspServer
from c4desk.demo.vapix_simulator import VapixSimulator
from c4desk.hub.services import Services
from c4desk.integrations.ptz.vapix import VapixPtz
from c4desk.store.db import sqlite_url

pytestmark = pytest.mark.slow

PTZ01 = next(p for p in PLACEMENTS if p.id == "ptz01")
SECONDS = 4.0
USER, PASSWORD = "operator", "s3cret!"
OUT_W, OUT_H = ptz_scene.OUTPUT_SIZE
HEADER_H = ptz_scene.LAYOUT.header[3]
PYAV_OPTIONS = {"rtsp_transport": "tcp", "probesize": "500000", "analyzeduration": "300000", "fpsprobesize": "0"}
ZOOM_2X = 1.0 / 29.0  # normalised VAPIX zoom for 2x magnification (30x optical over the 0..1 range)


# --- geometry, without video --------------------------------------------------------------------------------------
def test_view_rect_pans_tilts_and_zooms_in_panorama_pixels() -> None:
    left, top, width, height = ptz_scene.view_rect(90.0, 0.0, 60.0)
    assert (width, height) == (360, 202)  # 60 degrees at 6 px a degree, 16:9
    assert left + width / 2 == pytest.approx((90 + 210) * 6, abs=1)
    assert top + height / 2 == pytest.approx(ptz_scene.HORIZON_Y, abs=1)
    assert ptz_scene.view_rect(75.0, 0.0, 60.0)[0] == left - 90  # 15 degrees = 90 px
    assert ptz_scene.view_rect(90.0, 0.0, 30.0)[2] == 180  # 2x zoom: half as wide
    assert ptz_scene.view_rect(90.0, -10.0, 60.0)[1] > top  # tilted down: lower in the panorama
    # Near +-180 degrees the view is one rectangle inside the panorama (its ends repeat 30 degrees).
    for bearing in (179.0, -179.0, 180.0, 540.0):
        x, _, w, _ = ptz_scene.view_rect(bearing, 0.0, 60.0)
        assert x >= 0 and x + w <= ptz_scene.LAYOUT.width
    # Zoomed past what the panorama holds, or tilted past its foot: the view stops at the limit.
    assert ptz_scene.view_rect(90.0, 0.0, 1.0)[2] == round(ptz_scene.MIN_HFOV_DEG * 6)
    assert ptz_scene.view_rect(90.0, -80.0, 60.0)[1] + 202 == ptz_scene.SCENE_HEIGHT


def test_overlay_pieces_are_where_the_street_clips_draw_them() -> None:
    band = render.identity_band(ptz_scene.OUTPUT_SIZE)
    x0, y0, block = render.marker_layout(ptz_scene.OUTPUT_SIZE)
    hx, hy, hw, hh = ptz_scene.LAYOUT.header
    assert (hx, hy, hw) == (0, 0, OUT_W) and hh >= band[3]
    mx, my, mw, mh = ptz_scene.LAYOUT.marker
    assert (mx, my) == (x0 - block // 2, y0 - block // 2)
    assert (mw, mh) == (render.MARKER_BLOCKS * block + block, 2 * block)


def test_head_turns_the_short_way_at_its_speed_and_arrives_exactly() -> None:
    start, goal = View(170.0, 0.0, 60.0), View(200.0, -10.0, 15.0)
    one = step_view(start, goal, 0.1)
    assert one.bearing_deg == pytest.approx(188.0)  # 180 deg/s, through south, not the long way
    assert one.tilt_deg == pytest.approx(-9.0)  # 90 deg/s
    assert one.hfov_deg == pytest.approx(60.0 / 4 ** 0.1)  # 4x zoom a second
    assert step_view(step_view(one, goal, 0.1), goal, 1.0) == goal
    assert step_view(View(350.0, 0.0, 60.0), View(10.0, 0.0, 60.0), 0.05).bearing_deg == pytest.approx(359.0)


def test_simulator_turns_during_a_continuous_move_only_when_it_has_a_speed() -> None:
    with VapixSimulator(USER, PASSWORD, move_speed_deg_s=60.0) as sim:
        client = VapixPtz(sim.url, USER, PASSWORD)
        try:
            client.continuous_move(0.5, 0.0)  # half speed: 30 degrees a second
            time.sleep(0.5)
            client.stop()
            pan, tilt, _ = sim.position()
            assert 12.0 <= pan <= 22.0 and tilt == 0.0
            time.sleep(0.2)
            assert sim.position()[0] == pan  # stopped means stopped
            assert client.position().pan == pytest.approx(pan, abs=1e-3)  # and the protocol says the same
        finally:
            client.close()


# --- the video ----------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def panorama(media_cache: Path) -> Path:
    return ptz_scene.render_panorama_cached(PTZ01, media_cache, seconds=SECONDS)


class Watcher:
    """Decodes a stream on a thread and keeps the newest picture (so a check never sees a stale one)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.latest: np.ndarray | None = None
        self.frames = 0
        self.error: BaseException | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            with av.open(self.url, options=PYAV_OPTIONS, timeout=10) as container:
                for frame in container.decode(video=0):
                    self.latest = frame.to_ndarray(format="rgb24")
                    self.frames += 1
                    if self._stop.is_set():
                        return
        except BaseException as exc:
            self.error = exc

    def picture(self, newer_than: int = 0, timeout: float = 10.0) -> np.ndarray:
        deadline = time.monotonic() + timeout
        while self.latest is None or self.frames <= newer_than:
            assert self.error is None, self.error
            assert time.monotonic() < deadline, "no picture"
            time.sleep(0.01)
        return self.latest

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5.0)


def mast(rgb: np.ndarray) -> tuple[float, float, int, int] | None:
    """(centre x, centre y, width, height) of the magenta mast in an output picture, or None if not in view."""
    scene = rgb[HEADER_H:].astype(np.int16)
    mask = (scene[..., 0] > 180) & (scene[..., 1] < 90) & (scene[..., 2] > 180)
    mx, my, mw, mh = ptz_scene.LAYOUT.marker
    mask[my - HEADER_H:my - HEADER_H + mh, mx:mx + mw] = False
    if mask.sum() < 20:
        return None
    rows, cols = np.nonzero(mask.any(axis=1))[0], np.nonzero(mask.any(axis=0))[0]
    return ((cols[0] + cols[-1] + 1) / 2, HEADER_H + (rows[0] + rows[-1] + 1) / 2,
            int(cols[-1] - cols[0] + 1), int(rows[-1] - rows[0] + 1))


def expected_mast(rect: tuple[int, int, int, int]) -> tuple[float, float, float, float]:
    """Where the mast must appear when the server shows ``rect`` (the geometry the picture must obey)."""
    left, top, width, height = rect
    x0, y0, x1, y1 = ptz_scene.landmark_box()
    sx, sy = OUT_W / width, OUT_H / height
    # Vertically only what shows: inside the picture and below the caption strip laid over its top.
    oy0, oy1 = max((y0 - top) * sy, HEADER_H), min((y1 - top) * sy, OUT_H)
    return ((x0 + x1) / 2 - left) * sx, (oy0 + oy1) / 2, (x1 - x0) * sx, oy1 - oy0


def wait_for_mast(watcher: Watcher, link: PtzVideoLink, timeout: float = 8.0) -> tuple[float, float, int, int]:
    """The mast once the head has settled and a picture of the new view has arrived; checked against the view."""
    assert link.settled.wait(timeout), "the PTZ head never settled"
    rect = link.sent
    assert rect is not None
    want = expected_mast(rect)
    deadline = time.monotonic() + timeout
    seen = None
    while time.monotonic() < deadline:
        seen = mast(watcher.picture(newer_than=watcher.frames))
        if seen is not None and abs(seen[0] - want[0]) <= 4 and abs(seen[2] - want[2]) <= 4 \
                and abs(seen[1] - want[1]) <= 6:
            return seen
    raise AssertionError(f"mast at {seen}, expected about {want} for view {rect}")


@pytest.fixture(scope="module")
def ptz_rig(panorama: Path) -> Iterator[tuple[VapixSimulator, RtspServer, PtzVideoLink]]:
    with VapixSimulator(USER, PASSWORD, move_speed_deg_s=60.0) as sim, \
            RtspServer({}, ptz={"ptz01": panorama}, period=SECONDS, http_port=0) as server:
        link = PtzVideoLink(sim, server, "ptz01").start()
        yield sim, server, link
        link.stop()


def test_the_picture_follows_pan_tilt_and_zoom(ptz_rig: tuple[VapixSimulator, RtspServer, PtzVideoLink]) -> None:
    sim, server, link = ptz_rig
    client = VapixPtz(sim.url, USER, PASSWORD)
    watcher = Watcher(server.url("ptz01"))
    try:
        first = watcher.picture()
        assert first.shape == (OUT_H, OUT_W, 3)
        assert render.identify_camera(first) == "ptz01"  # the captions ride on top of the moving scene
        assert render.decode_frame_marker(first) is not None
        client.absolute_move(0.0, 0.0, 0.0)
        assert link.settled.wait(5)
        assert mast(watcher.picture(newer_than=watcher.frames)) is None  # looking north: the east mast is behind

        client.absolute_move(90.0, 0.0)  # due east: the mast in the middle
        x, _, w, _ = wait_for_mast(watcher, link)
        assert abs(x - OUT_W / 2) <= 4 and 22 <= w <= 32

        client.absolute_move(75.0, 0.0)  # 15 degrees left of it: the mast moves right by a quarter picture
        x, _, w2, _ = wait_for_mast(watcher, link)
        assert abs(x - (OUT_W / 2 + 15 * OUT_W / 60)) <= 4 and abs(w2 - w) <= 3

        client.absolute_move(90.0, 0.0, ZOOM_2X)  # 2x: the mast twice as wide
        x, _, w3, _ = wait_for_mast(watcher, link)
        assert abs(x - OUT_W / 2) <= 4 and abs(w3 - 2 * w) <= 5

        client.absolute_move(90.0, 0.0, 0.0)
        _, y_level, _, _ = wait_for_mast(watcher, link)
        client.absolute_move(90.0, -10.0, 0.0)  # tilted down: the mast (above the horizon) moves up
        _, y_down, _, _ = wait_for_mast(watcher, link)
        assert y_down < y_level - 60

        # A continuous move (the PTZ panel's joystick) turns the picture until it is stopped.
        client.absolute_move(70.0, 0.0, 0.0)
        x_before, _, _, _ = wait_for_mast(watcher, link)
        client.continuous_move(0.5, 0.0)  # 30 degrees a second to the right
        time.sleep(0.6)
        client.stop()
        x_after, _, _, _ = wait_for_mast(watcher, link)
        pan = sim.position()[0]
        assert 80.0 <= pan <= 95.0
        assert x_after < x_before - 100  # the scene moved left as the camera turned right
        assert render.identify_camera(watcher.picture()) == "ptz01"
    finally:
        watcher.close()
        client.close()


def test_the_ts_stream_for_libvlc_is_cropped_too(ptz_rig: tuple[VapixSimulator, RtspServer, PtzVideoLink]) -> None:
    sim, server, link = ptz_rig
    client = VapixPtz(sim.url, USER, PASSWORD)
    watcher = Watcher(server.http_url("ptz01"))
    try:
        client.absolute_move(90.0, 0.0, 0.0)
        x, _, _, _ = wait_for_mast(watcher, link)
        assert abs(x - OUT_W / 2) <= 4
        assert render.identify_camera(watcher.picture()) == "ptz01"
    finally:
        watcher.close()
        client.close()


def test_a_restarted_server_comes_back_looking_where_the_camera_looks(panorama: Path) -> None:
    with VapixSimulator(USER, PASSWORD) as sim:
        server = SupervisedRtspServer({}, ptz={"ptz01": panorama}, period=SECONDS).start()
        link = PtzVideoLink(sim, server, "ptz01").start()
        client = VapixPtz(sim.url, USER, PASSWORD)
        try:
            client.absolute_move(80.0, 0.0, 0.0)
            assert link.settled.wait(5)
            pid = server.pid
            assert pid is not None
            os.kill(pid, signal.SIGKILL)
            deadline = time.monotonic() + 15
            while (server.restarts < 1 or not server.running) and time.monotonic() < deadline:
                time.sleep(0.05)
            assert server.restarts == 1 and server.running
            watcher = Watcher(server.url("ptz01"))
            try:
                seen = mast(watcher.picture())
                want = expected_mast(ptz_scene.view_rect(80.0, 0.0, 60.0))
                assert seen is not None and math.isclose(seen[0], want[0], abs_tol=4)
            finally:
                watcher.close()
        finally:
            client.close()
            link.stop()
            server.stop()


def test_the_demo_city_wires_its_ptz_camera_to_its_video(data_dir: Path, media_cache: Path) -> None:
    """``c4desk demo``'s own wiring: the camera the site lists, its simulator, its live mount."""
    services = Services.open(sqlite_url(data_dir / "c4desk.sqlite"))
    demo = DemoCity(services, Paths(data_dir), DemoOptions(clip_seconds=SECONDS, camera_ids=("cam01", "ptz01"),
                                                           rtsp_port=0, clip_dir=media_cache))
    try:
        demo.start()
        assert demo.server is not None and demo.server.ptz_mounts == ["ptz01"]
        camera = next(c for c in services.cameras.list() if c.id == "ptz01")
        client = VapixPtz(camera.ptz_url, DEMO_PTZ_USER, DEMO_PTZ_PASSWORD)
        watcher = Watcher(camera.stream_main)
        try:
            client.absolute_move(90.0, 0.0, 0.0)
            x, _, _, _ = wait_for_mast(watcher, demo.ptz_links[0])
            assert abs(x - OUT_W / 2) <= 4
        finally:
            watcher.close()
            client.close()
    finally:
        demo.stop()
        services.close()
