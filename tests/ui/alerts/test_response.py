"""Which cameras answer an alert, and how the choice is explained."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from c4desk.domain.alerts import Alert, AlertStatus
from c4desk.domain.camera import Camera, CameraKind
from c4desk.domain.geo import destination
from c4desk.ui.alerts.response import describe_response, response_cameras, response_tooltip

SPOT = (41.7640, -72.6740)
T0 = datetime(2026, 7, 4, 21, 0, tzinfo=UTC)
ALERT = Alert(id="SST-1", source="gunshot", type="multiple_gunshots", priority=1, status=AlertStatus.NEW,
              detected_at=T0, received_at=T0, lat=SPOT[0], lon=SPOT[1])


def cam(cam_id: str, bearing_from_spot: float, metres: float, heading: float, kind: CameraKind = CameraKind.FIXED,
        range_m: float = 100.0, enabled: bool = True) -> Camera:
    lat, lon = destination(*SPOT, bearing_from_spot, metres)
    return Camera(id=cam_id, name=cam_id, lat=lat, lon=lon, heading_deg=heading, fov_deg=90.0, range_m=range_m,
                  kind=kind, enabled=enabled)


CAMERAS = [
    cam("camA", 180, 60, heading=0),  # south of the spot, looking north at it
    cam("camB", 90, 30, heading=90),  # nearest, but looking away
    cam("ptz1", 270, 150, heading=0, kind=CameraKind.PTZ, range_m=260),  # can be turned there
    cam("camC", 0, 400, heading=180, range_m=500),  # far, looking at it
    cam("lpr1", 45, 10, heading=225, kind=CameraKind.LPR),  # reads plates: never on the wall
    cam("off1", 0, 20, heading=180, enabled=False),
    cam("camE", 0, 200, heading=0),
]


def test_covering_cameras_first_then_nearest_without_lpr() -> None:
    assert [c.id for c in response_cameras(CAMERAS, ALERT)] == ["camA", "ptz1", "camC", "camB"]
    assert [c.id for c in response_cameras(CAMERAS, ALERT, count=2)] == ["camA", "ptz1"]
    assert [c.id for c in response_cameras(CAMERAS, ALERT, count=6)] == ["camA", "ptz1", "camC", "camB", "camE"]
    assert response_cameras(CAMERAS, replace(ALERT, lat=None, lon=None)) == []
    assert response_cameras(CAMERAS, ALERT, count=0) == []


def test_descriptions_say_distance_and_why() -> None:
    assert describe_response(CAMERAS, ALERT) == ["camA 60 m, in view", "ptz1 150 m, PTZ in range",
                                                 "camC 400 m, in view", "camB 30 m, looks away"]
    tip = response_tooltip(CAMERAS, ALERT, count=1)
    assert tip == "Cameras for this alert:\ncamA 60 m, in view (alert to the N)"
    assert response_tooltip([], ALERT) == "No camera for this alert"
