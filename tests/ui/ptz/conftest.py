"""PTZ GUI tests drive c4desk/demo/vapix_simulator.py: a simulator standing in for an Axis PTZ camera (no real
camera exists here), a real HTTP server with digest authentication that keeps pan/tilt/zoom and presets."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from c4desk.demo.vapix_simulator import VapixSimulator
from c4desk.domain.camera import Camera, CameraKind, PtzProtocol

USER, PASSWORD = "operator", "s3cret!"


@pytest.fixture
def sim() -> Iterator[VapixSimulator]:
    with VapixSimulator(USER, PASSWORD) as s:
        yield s


@pytest.fixture
def ptz_camera(sim: VapixSimulator) -> Camera:
    """The simulated camera as the site knows it (pan 0 = north, as the simulator is calibrated)."""
    return Camera(id="ptz01", name="PTZ High & Pearl", lat=sim.lat, lon=sim.lon, heading_deg=135.0, fov_deg=55.0,
                  range_m=260.0, kind=CameraKind.PTZ, ptz_protocol=PtzProtocol.VAPIX, ptz_url=sim.url,
                  extra={"pan_zero_deg": "0", "mount_height_m": "6"})


def moves(sim: VapixSimulator) -> list[dict[str, str]]:
    """The commands the camera carried out, without the queries (position polls, preset lists, limits)."""
    return [{k: v for k, v in c.items() if k != "camera"} for c in sim.commands() if "query" not in c]
