"""Auto-slew on real Services (SQLite) and the VAPIX simulator (a stand-in for an Axis PTZ camera, see conftest)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from PySide6.QtCore import QThreadPool
from pytestqt.qtbot import QtBot

from c4desk.demo.vapix_simulator import VapixSimulator
from c4desk.domain.alerts import Alert, GunshotReport
from c4desk.domain.camera import Camera, CameraKind
from c4desk.domain.geo import angle_diff_deg, destination
from c4desk.hub.services import Services
from c4desk.integrations.ptz import PtzClient
from c4desk.integrations.ptz.vapix import VapixPtz
from c4desk.ui.ptz.auto_slew import AutoSlew, slew_targets
from tests.ui.ptz.conftest import PASSWORD, USER

BEARING, DISTANCE = 70.0, 120.0


def alert_near(services: Services, sim: VapixSimulator, bearing: float = BEARING,
               distance: float = DISTANCE) -> Alert:
    lat, lon = destination(sim.lat, sim.lon, bearing, distance)
    report = GunshotReport(id="SST-9", type="multiple_gunshots", rounds=3, lat=lat, lon=lon,
                           detected_at=datetime.now(UTC), address="High St & Pearl St")
    alert, _ = services.alerts.add_or_update_gunshot(report)
    return alert


@pytest.fixture
def site(services: Services, ptz_camera: Camera) -> list[Camera]:
    fixed = Camera(id="cam01", name="Fixed", lat=ptz_camera.lat, lon=ptz_camera.lon, heading_deg=70.0)
    lpr = Camera(id="lpr01", name="LPR", lat=ptz_camera.lat, lon=ptz_camera.lon, kind=CameraKind.LPR)
    far_ptz = replace(ptz_camera, id="ptz09", name="Far PTZ", lat=ptz_camera.lat + 0.02)  # ~2 km north
    cameras = [ptz_camera, fixed, lpr, far_ptz]
    services.cameras.upsert_many(cameras)
    return cameras


@pytest.fixture
def made() -> Iterator[list[VapixPtz]]:
    clients: list[VapixPtz] = []
    yield clients
    assert QThreadPool.globalInstance().waitForDone(5000)


def test_slews_the_ptz_in_range_at_the_alert(qtbot: QtBot, services: Services, sim: VapixSimulator,
                                              site: list[Camera], made: list[VapixPtz]) -> None:
    def factory(camera: Camera) -> PtzClient:
        c = VapixPtz(camera.ptz_url, USER, PASSWORD, backoff_s=0.01)
        made.append(c)
        return c

    slew = AutoSlew(services, factory)
    alert = alert_near(services, sim)
    with qtbot.waitSignal(slew.slewed, timeout=5000) as got:
        slew.slew_for_alert(alert)  # the cameras are read from the store, off the GUI thread
    camera_id, pan, tilt = got.args
    assert camera_id == "ptz01"
    assert [c.url.startswith(sim.url) for c in made] == [True]  # only the PTZ in range was asked
    bearing, sim_tilt = sim.pointing()
    assert angle_diff_deg(bearing, BEARING) < 2.0
    expected_tilt = -math.degrees(math.atan2(6.0, DISTANCE))
    assert abs(sim_tilt - expected_tilt) < 2.0
    assert (pan, tilt) == pytest.approx((sim.state.pan, sim.state.tilt), abs=1e-3)


def test_reports_what_it_cannot_do(qtbot: QtBot, services: Services, sim: VapixSimulator, site: list[Camera],
                                   made: list[VapixPtz]) -> None:
    no_credentials = AutoSlew(services, lambda camera: None)
    alert = alert_near(services, sim)
    with qtbot.waitSignal(no_credentials.failed, timeout=5000) as got:
        no_credentials.slew_for_alert(alert, site)
    assert got.args == ["ptz01", "no PTZ credentials for ptz01"]

    wrong = AutoSlew(services, lambda camera: VapixPtz(camera.ptz_url, USER, "nope", backoff_s=0.01))
    with qtbot.waitSignal(wrong.failed, timeout=5000) as got:
        wrong.slew_for_alert(alert, site)
    assert got.args == ["ptz01", "401 from camera: check credentials"]

    far = alert_near(services, sim, distance=900.0)
    with qtbot.waitSignal(wrong.failed, timeout=5000) as got:
        wrong.slew_for_alert(far, site)
    assert got.args == ["", "no PTZ camera in range of alert SST-9"]
    assert (sim.state.pan, sim.state.tilt) == (0.0, 0.0)  # nothing moved


def test_targets_are_controllable_ptz_in_range_nearest_first(site: list[Camera], sim: VapixSimulator) -> None:
    lat, lon = destination(sim.lat, sim.lon, BEARING, DISTANCE)
    assert [c.id for c in slew_targets(site, lat, lon)] == ["ptz01"]
    near_far = [replace(c, range_m=5000.0) if c.id == "ptz09" else c for c in site]
    assert [c.id for c in slew_targets(near_far, lat, lon)] == ["ptz01", "ptz09"]
    assert [c.id for c in slew_targets(near_far, lat, lon, max_cameras=1)] == ["ptz01"]
