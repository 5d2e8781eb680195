"""VapixPtz against c4desk/demo/vapix_simulator.py: a simulator standing in for an Axis PTZ camera (no real
camera exists here) that speaks ptz.cgi behind real HTTP digest authentication and keeps its state."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from requests.adapters import HTTPAdapter

from c4desk.demo.vapix_simulator import VapixSimulator
from c4desk.domain.camera import Camera, CameraKind, PtzProtocol
from c4desk.domain.geo import destination
from c4desk.domain.ranking import rank_cameras
from c4desk.integrations.ptz import client_for, slew_to
from c4desk.integrations.ptz.base import PtzError, PtzPreset
from c4desk.integrations.ptz.vapix import VapixPtz, parse_lines, ptz_cgi_url

USER, PASSWORD = "operator", "s3cret!"


@pytest.fixture
def sim() -> Iterator[VapixSimulator]:
    with VapixSimulator(USER, PASSWORD) as s:
        yield s


@pytest.fixture
def ptz(sim: VapixSimulator) -> Iterator[VapixPtz]:
    client = VapixPtz(sim.url, USER, PASSWORD, backoff_s=0.01)
    yield client
    client.close()


class CountingAdapter(HTTPAdapter):
    def __init__(self) -> None:
        super().__init__()
        self.sends = 0

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        self.sends += 1
        return super().send(request, *args, **kwargs)


def counting_session() -> tuple[requests.Session, CountingAdapter]:
    session = requests.Session()
    adapter = CountingAdapter()
    session.mount("http://", adapter)
    return session, adapter


def test_commands_arrive_with_their_params_and_digest_auth(sim: VapixSimulator, ptz: VapixPtz) -> None:
    ptz.absolute_move(12.5, -30.25, zoom=0.5)
    first, *rest = sim.requests
    assert first.authorised is False and first.status == 401  # the challenge
    assert all(r.authorised and r.user == USER and r.path == "/axis-cgi/com/ptz.cgi" for r in rest)
    assert sim.commands() == [{"camera": "1", "query": "limits"},
                              {"camera": "1", "pan": "12.5", "tilt": "-30.25", "zoom": "5000"}]
    assert (sim.state.pan, sim.state.tilt, sim.state.zoom) == (12.5, -30.25, 5000.0)
    # Later requests authenticate up front (same nonce, rising nc): no more challenges.
    ptz.absolute_move(-170.0, 0.0)
    assert [r.status for r in sim.requests[-1:]] == [204]
    assert sum(not r.authorised for r in sim.requests) == 1


def test_every_command(sim: VapixSimulator, ptz: VapixPtz) -> None:
    ptz.absolute_move(10.0, -10.0, zoom=0.0)
    ptz.relative_move(pan=5.0, tilt=-2.5, zoom=0.1)
    ptz.relative_move()  # nothing to do: nothing sent
    ptz.continuous_move(0.5, -1.0)
    ptz.continuous_zoom(0.25)
    assert (sim.state.pan_speed, sim.state.tilt_speed, sim.state.zoom_speed) == (50, -100, 25)
    ptz.stop()
    ptz.center(960, 540, 1920, 1080)  # the middle: no change
    ptz.area_zoom(960, 540, 200, 1920, 1080)
    ptz.home()
    cmds = sim.commands()[2:]  # after limits and the absolute move
    assert cmds == [
        {"camera": "1", "rpan": "5", "rtilt": "-2.5", "rzoom": "1000"},
        {"camera": "1", "continuouspantiltmove": "50,-100"},
        {"camera": "1", "continuouszoommove": "25"},
        {"camera": "1", "continuouspantiltmove": "0,0", "continuouszoommove": "0"},
        {"camera": "1", "center": "960,540", "imagewidth": "1920", "imageheight": "1080"},
        {"camera": "1", "areazoom": "960,540,200", "imagewidth": "1920", "imageheight": "1080"},
        {"camera": "1", "move": "home"},
    ]
    assert (sim.state.pan_speed, sim.state.tilt_speed, sim.state.zoom_speed) == (0, 0, 0)
    assert (sim.state.pan, sim.state.tilt, sim.state.zoom) == (0.0, 0.0, 1.0)


def test_position_and_click_to_centre(sim: VapixSimulator, ptz: VapixPtz) -> None:
    ptz.absolute_move(-45.0, -20.0, zoom=0.0)
    pos = ptz.position()
    assert (pos.pan, pos.tilt, pos.zoom) == (-45.0, -20.0, 0.0)
    ptz.center(1920, 540, 1920, 1080)  # right edge: half the 60 degree view to the right
    assert ptz.position().pan == pytest.approx(-15.0)
    ptz.absolute_move(179.0, 0.0)
    ptz.relative_move(pan=3.0)  # wraps past 180
    assert ptz.position().pan == pytest.approx(-178.0)


def test_presets(sim: VapixSimulator, ptz: VapixPtz) -> None:
    assert ptz.presets() == []
    ptz.absolute_move(30.0, -5.0)
    ptz.set_preset("Main & Pearl")
    ptz.absolute_move(-60.0, -15.0)
    ptz.set_preset("Door")
    assert ptz.presets() == [PtzPreset("Main & Pearl", "Main & Pearl"), PtzPreset("Door", "Door")]
    ptz.goto_preset("Main & Pearl")
    assert (sim.state.pan, sim.state.tilt) == (30.0, -5.0)
    assert {"camera": "1", "gotoserverpresetname": "Main & Pearl"} in sim.commands()
    ptz.remove_preset("Door")
    assert [p.name for p in ptz.presets()] == ["Main & Pearl"]
    with pytest.raises(PtzError, match="camera refused the command: Error: no preset Door"):
        ptz.goto_preset("Door")
    with pytest.raises(ValueError):
        ptz.set_preset("  ")


def test_wrong_password_is_a_clear_401_and_not_retried(sim: VapixSimulator) -> None:
    client = VapixPtz(sim.url, USER, "wrong", backoff_s=0.01)
    with pytest.raises(PtzError, match=r"^401 from camera: check credentials$"):
        client.absolute_move(0.0, 0.0)
    assert [(r.authorised, r.status) for r in sim.requests] == [(False, 401), (False, 401)]
    assert (sim.state.pan, sim.state.tilt) == (0.0, 0.0)
    client.close()
    other_user = VapixPtz(sim.url, "root", PASSWORD)
    with pytest.raises(PtzError, match="401"):
        other_user.home()
    other_user.close()


def test_stale_nonce_is_renewed(sim: VapixSimulator, ptz: VapixPtz) -> None:
    ptz.home()
    sim.expire_nonces()
    ptz.absolute_move(1.0, -1.0)
    assert sim.state.pan == 1.0
    assert [r.status for r in sim.requests[-2:]] == [401, 204]


def test_sha256_digest() -> None:
    with VapixSimulator(USER, PASSWORD, algorithm="SHA-256") as sim:
        client = VapixPtz(sim.ptz_url, USER, PASSWORD)
        client.absolute_move(5.0, -5.0)
        assert sim.state.pan == 5.0
        client.close()


def test_replayed_request_is_refused(sim: VapixSimulator, ptz: VapixPtz) -> None:
    ptz.home()
    last = sim.requests[-1]
    assert last.authorised
    # Send the captured Authorization again: same nonce and nc, so the camera must refuse it.
    header = ptz.session.auth.build_digest_header("GET", sim.ptz_url + "?camera=1&move=home")  # type: ignore[union-attr]
    assert header is not None
    reply = requests.get(sim.ptz_url + "?camera=1&move=home", headers={"Authorization": header}, timeout=5)
    assert reply.status_code == 204  # a fresh nc is fine
    replay = requests.get(sim.ptz_url + "?camera=1&move=home", headers={"Authorization": header}, timeout=5)
    assert replay.status_code == 401


def test_wrong_path_is_404(sim: VapixSimulator) -> None:
    client = VapixPtz(sim.url + "/axis-cgi/com/nothere/ptz.cgi", USER, PASSWORD)
    with pytest.raises(PtzError, match="404 from camera: no PTZ API"):
        client.home()
    client.close()


def test_dropped_connection_retried_for_idempotent_commands_only(sim: VapixSimulator, ptz: VapixPtz) -> None:
    ptz.home()  # authenticated, zoom range not needed
    sim.drop_next(1)
    ptz.absolute_move(20.0, -4.0)
    assert sim.state.pan == 20.0 and sum(r.dropped for r in sim.requests) == 1
    sim.drop_next(1)
    with pytest.raises(PtzError, match="cannot reach camera"):
        ptz.relative_move(pan=10.0)  # it may have arrived: moving twice would be worse than failing
    assert sim.state.pan == 20.0 and sum(r.dropped for r in sim.requests) == 2


def test_refused_connection_is_retried_then_reported() -> None:
    with VapixSimulator() as gone:
        url = gone.url
    session, adapter = counting_session()
    client = VapixPtz(url, USER, PASSWORD, retries=2, backoff_s=0.01, session=session)
    with pytest.raises(PtzError, match=r"cannot reach camera at 127\.0\.0\.1"):
        client.relative_move(pan=1.0)  # never sent, so even a relative move is retried
    assert adapter.sends == 3
    session.close()


def test_read_timeout_is_not_retried(sim: VapixSimulator) -> None:
    session, adapter = counting_session()
    client = VapixPtz(sim.url, USER, PASSWORD, timeout=(1.0, 0.3), session=session)
    client.home()
    sends = adapter.sends
    sim.delay_s = 0.6
    with pytest.raises(PtzError, match=r"did not answer within 0\.3 s"):
        client.home()
    assert adapter.sends == sends + 1
    session.close()


def test_argument_checks_and_helpers() -> None:
    client = VapixPtz("http://192.0.2.1", USER, PASSWORD)
    calls: list[Callable[[], None]] = [
        lambda: client.absolute_move(181.0, 0.0), lambda: client.absolute_move(0.0, math.nan),
        lambda: client.continuous_move(1.5, 0.0), lambda: client.center(5, 5, 0, 0)]
    for call in calls:
        with pytest.raises(ValueError):
            call()
    client.close()
    assert ptz_cgi_url("http://cam/") == "http://cam/axis-cgi/com/ptz.cgi"
    assert ptz_cgi_url("https://cam:8443/axis-cgi/com/ptz.cgi") == "https://cam:8443/axis-cgi/com/ptz.cgi"
    with pytest.raises(ValueError):
        ptz_cgi_url("rtsp://cam/")
    assert parse_lines("Preset Positions for camera 1\npresetposno1=Home\n pan = 1.5 \n") == {
        "presetposno1": "Home", "pan": "1.5"}


# --- auto-slew: alert location -> ranking -> aim -> the camera looks there ---------------------------------------

@pytest.mark.parametrize(("pan_zero", "sign"), [(37.0, 1), (200.0, -1), (359.5, 1)])
@pytest.mark.parametrize(("bearing", "dist"), [(250.0, 120.0), (10.0, 40.0), (181.0, 300.0)])
def test_auto_slew_points_the_camera_at_the_alert(pan_zero: float, sign: int, bearing: float, dist: float) -> None:
    cam_lat, cam_lon, height = 41.7637, -72.6851, 7.5
    with VapixSimulator(USER, PASSWORD, lat=cam_lat, lon=cam_lon, mount_height_m=height, pan_zero_deg=pan_zero,
                        pan_sign=sign) as sim:
        ptz_cam = Camera(id="ptz-7", name="Main & Pearl PTZ", lat=cam_lat, lon=cam_lon, kind=CameraKind.PTZ,
                         range_m=400.0, ptz_protocol=PtzProtocol.VAPIX, ptz_url=sim.url,
                         extra={"pan_zero_deg": str(pan_zero), "pan_sign": str(sign), "mount_height_m": str(height)})
        fixed = Camera(id="fix-1", name="Fixed", lat=cam_lat, lon=cam_lon + 0.01, heading_deg=90.0)
        alert_lat, alert_lon = destination(cam_lat, cam_lon, bearing, dist)
        ranked = rank_cameras([fixed, ptz_cam], alert_lat, alert_lon)
        target = next(e.camera for e in ranked.covering if e.kind is CameraKind.PTZ)
        client = client_for(target, USER, PASSWORD)
        try:
            solution = slew_to(client, target, alert_lat, alert_lon)
        finally:
            client.close()
        looking, tilt = sim.pointing()
        # Independent check on a local flat approximation of where the alert is.
        north = (alert_lat - cam_lat) * math.pi / 180 * 6_371_008.8
        east = (alert_lon - cam_lon) * math.pi / 180 * 6_371_008.8 * math.cos(math.radians(cam_lat))
        true_bearing = math.degrees(math.atan2(east, north)) % 360
        off = abs(looking - true_bearing) % 360
        assert min(off, 360 - off) < 2.0
        assert tilt == pytest.approx(-math.degrees(math.atan2(height, math.hypot(north, east))), abs=2.0)
        assert -180 <= solution.pan <= 180
        assert sim.commands()[-1]["pan"] == f"{solution.pan:.4f}".rstrip("0").rstrip(".")
