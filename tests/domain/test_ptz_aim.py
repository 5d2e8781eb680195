"""PTZ aim: pan and tilt for a target, within 0.1 degree of hand-worked values."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from c4desk.domain.geo import destination
from c4desk.domain.ptz_aim import (
    PtzCalibration,
    aim,
    bearing_for_pan,
    calibration_from_extra,
    pan_for_bearing,
    tilt_for_target,
    wrap180,
)

# Hartford, where the demo city is.
CAM = (41.7637, -72.6851)
M_PER_DEG_LAT = 2 * math.pi * 6_371_008.8 / 360


def offset(north_m: float, east_m: float) -> tuple[float, float]:
    """A point north_m/east_m from CAM, on the local flat approximation (independent of geo.destination)."""
    lat = CAM[0] + north_m / M_PER_DEG_LAT
    lon = CAM[1] + east_m / (M_PER_DEG_LAT * math.cos(math.radians(CAM[0])))
    return lat, lon


@pytest.mark.parametrize(
    ("north", "east", "cal", "pan", "tilt"),
    [
        # due east, 100 m, 6 m up: pan 90, tilt -atan(6/100) = -3.434
        (0.0, 100.0, PtzCalibration(), 90.0, -3.434),
        # pan 0 points east: north is -90
        (100.0, 0.0, PtzCalibration(pan_zero_deg=90.0), -90.0, -3.434),
        # pan turns anticlockwise: east is -90
        (0.0, 100.0, PtzCalibration(pan_sign=-1), -90.0, -3.434),
        # 200 m at bearing atan2(120, 160) = 36.870; tilt -atan(10/200) = -2.862
        (160.0, 120.0, PtzCalibration(pan_zero_deg=10.0, mount_height_m=10.0), 26.870, -2.862),
        # across the +-180 seam: pan 0 at 170, target at bearing 190 (south-south-west) -> +20
        (-100.0 * math.cos(math.radians(10)), -100.0 * math.sin(math.radians(10)),
         PtzCalibration(pan_zero_deg=170.0), 20.0, -3.434),
        # and the other way: pan 0 at 190, target at bearing 170 -> -20
        (-100.0 * math.cos(math.radians(10)), 100.0 * math.sin(math.radians(10)),
         PtzCalibration(pan_zero_deg=190.0), -20.0, -3.434),
        # 6 m away from a 6 m mast: 45 degrees down; tilt offset added
        (6.0, 0.0, PtzCalibration(tilt_offset_deg=-1.5), 0.0, -46.5),
    ],
)
def test_hand_worked_aims(north: float, east: float, cal: PtzCalibration, pan: float, tilt: float) -> None:
    solution = aim(*CAM, *offset(north, east), cal)
    assert solution.pan == pytest.approx(pan, abs=0.1)
    assert solution.tilt == pytest.approx(tilt, abs=0.1)
    assert solution.distance_m == pytest.approx(math.hypot(north, east), rel=1e-3)


def test_target_below_the_camera_and_raised_target() -> None:
    assert aim(*CAM, *CAM).tilt == -90.0
    # A target on a roof level with the camera: horizontal.
    assert aim(*CAM, *offset(50.0, 0.0), target_height_m=6.0).tilt == pytest.approx(0.0, abs=1e-9)
    assert tilt_for_target(0.0, 0.0) == 0.0


def test_pan_is_always_in_vapix_range() -> None:
    for bearing in range(0, 360, 7):
        for zero in (-180.0, -37.0, 0.0, 90.0, 179.9, 359.0):
            for sign in (1, -1):
                pan = pan_for_bearing(float(bearing), PtzCalibration(pan_zero_deg=zero, pan_sign=sign))
                assert -180.0 <= pan < 180.0
    assert wrap180(180.0) == -180.0 and wrap180(-180.0) == -180.0 and wrap180(540.5) == pytest.approx(-179.5)


@given(st.floats(0, 359.999), st.floats(-720, 720), st.sampled_from([1, -1]))
def test_pan_and_bearing_are_inverse(bearing: float, zero: float, sign: int) -> None:
    cal = PtzCalibration(pan_zero_deg=zero, pan_sign=sign)
    back = bearing_for_pan(pan_for_bearing(bearing, cal), cal)
    assert min(abs(back - bearing), 360 - abs(back - bearing)) < 1e-6


@given(st.floats(-60, 60), st.floats(-179, 179), st.floats(0, 360), st.floats(5, 2000), st.floats(-180, 180),
       st.sampled_from([1, -1]), st.floats(0, 40))
def test_aim_points_at_the_target(lat: float, lon: float, bearing: float, dist: float, zero: float, sign: int,
                                  height: float) -> None:
    cal = PtzCalibration(pan_zero_deg=zero, pan_sign=sign, mount_height_m=height)
    target = destination(lat, lon, bearing, dist)
    s = aim(lat, lon, *target, cal)
    looked = bearing_for_pan(s.pan, cal)
    assert min(abs(looked - bearing), 360 - abs(looked - bearing)) < 0.01
    assert s.tilt == pytest.approx(-math.degrees(math.atan2(height, dist)), abs=0.01)


def test_calibration_from_extra_columns() -> None:
    cal = calibration_from_extra({"pan_zero_deg": "123.5", "pan_sign": "-1", "mount_height_m": "9",
                                  "tilt_offset_deg": "-0.5"})
    assert cal == PtzCalibration(pan_zero_deg=123.5, pan_sign=-1, mount_height_m=9.0, tilt_offset_deg=-0.5)
    guess = calibration_from_extra({"pan_zero_deg": "north", "mount_height_m": "-3"})
    assert guess == PtzCalibration(calibrated=False)
    with pytest.raises(ValueError):
        PtzCalibration(pan_sign=0)
    with pytest.raises(ValueError):
        PtzCalibration(mount_height_m=math.nan)
