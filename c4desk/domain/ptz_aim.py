"""Aim a PTZ camera at a place on the map: the pan and tilt to send it. Pure Python.

Conventions (those of VAPIX ``ptz.cgi`` absolute moves):

* ``pan`` in degrees, [-180, 180]. Where pan = 0 points is the camera's calibration: ``pan_zero_deg`` is that
  direction as a compass bearing (clockwise from north). ``pan_sign`` is +1 when increasing pan turns the camera
  clockwise seen from above (Axis' default), -1 when it turns it anticlockwise (some mounts, ceiling-inverted
  installs or other vendors).
* ``tilt`` in degrees, 0 = horizontal, negative = down (-90 straight down).

The camera sits ``mount_height_m`` above the ground the target is on (flat ground assumed: over the few hundred
metres a PTZ is useful at, the earth's curvature drops the target by millimetres to a few centimetres).
Uncalibrated cameras default to ``pan_zero_deg = 0`` (pan 0 = north) and report ``calibrated = False``, so a
UI can say that the aim is a guess.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from c4desk.domain.geo import bearing_deg, distance_m

DEFAULT_MOUNT_HEIGHT_M = 6.0

# Keys read from a camera's ``extra`` columns (agency site files) by ``calibration_from_extra``.
EXTRA_PAN_ZERO = "pan_zero_deg"
EXTRA_PAN_SIGN = "pan_sign"
EXTRA_MOUNT_HEIGHT = "mount_height_m"
EXTRA_TILT_OFFSET = "tilt_offset_deg"


@dataclass(frozen=True, kw_only=True)
class PtzCalibration:
    pan_zero_deg: float = 0.0
    pan_sign: int = 1
    mount_height_m: float = DEFAULT_MOUNT_HEIGHT_M
    # Added to the computed tilt: a camera whose "horizontal" reads -1.5 has tilt_offset_deg = -1.5.
    tilt_offset_deg: float = 0.0
    calibrated: bool = True

    def __post_init__(self) -> None:
        if self.pan_sign not in (1, -1):
            raise ValueError("pan_sign must be +1 or -1")
        if not (math.isfinite(self.mount_height_m) and self.mount_height_m >= 0):
            raise ValueError("mount_height_m must be a finite height >= 0")
        if not (math.isfinite(self.pan_zero_deg) and math.isfinite(self.tilt_offset_deg)):
            raise ValueError("angles must be finite")


@dataclass(frozen=True, kw_only=True)
class AimSolution:
    pan: float
    tilt: float
    bearing_deg: float
    distance_m: float


def wrap180(deg: float) -> float:
    """The same direction in [-180, 180)."""
    w = (deg + 180.0) % 360.0 - 180.0
    return -180.0 if w >= 180.0 else w


def pan_for_bearing(bearing: float, cal: PtzCalibration) -> float:
    """The pan that points the camera along compass ``bearing``."""
    return wrap180(cal.pan_sign * (bearing - cal.pan_zero_deg))


def bearing_for_pan(pan: float, cal: PtzCalibration) -> float:
    """The compass bearing the camera looks along at ``pan`` (the inverse of ``pan_for_bearing``), [0, 360)."""
    b = (cal.pan_zero_deg + cal.pan_sign * pan) % 360.0
    return 0.0 if b >= 360.0 else b


def tilt_for_target(distance: float, height_above_target_m: float, tilt_offset_deg: float = 0.0) -> float:
    """Tilt in degrees (negative = down) to look from ``height_above_target_m`` at a point ``distance`` away."""
    if distance <= 0.0 and height_above_target_m == 0.0:
        return tilt_offset_deg
    return -math.degrees(math.atan2(height_above_target_m, distance)) + tilt_offset_deg


def aim(camera_lat: float, camera_lon: float, target_lat: float, target_lon: float,
        calibration: PtzCalibration | None = None, *, target_height_m: float = 0.0) -> AimSolution:
    """Pan and tilt that point the camera at the target. ``target_height_m``: the target above the ground.

    A target right under the camera gives tilt -90 and keeps pan at the bearing 0 value (any pan works).
    """
    cal = calibration or PtzCalibration()
    d = distance_m(camera_lat, camera_lon, target_lat, target_lon)
    b = bearing_deg(camera_lat, camera_lon, target_lat, target_lon) if d > 0 else 0.0
    if b >= 360.0:
        b = 0.0
    tilt = tilt_for_target(d, cal.mount_height_m - target_height_m, cal.tilt_offset_deg)
    return AimSolution(pan=pan_for_bearing(b, cal), tilt=max(-90.0, min(90.0, tilt)), bearing_deg=b,
                       distance_m=d)


def calibration_from_extra(extra: Mapping[str, str]) -> PtzCalibration:
    """Read a calibration from a camera's extra columns (``pan_zero_deg``, ``pan_sign``, ``mount_height_m``,
    ``tilt_offset_deg``). Missing or unreadable values fall back to the defaults; without ``pan_zero_deg`` the
    result is marked ``calibrated=False``.
    """

    def number(key: str) -> float | None:
        try:
            value = float(extra.get(key, ""))
        except ValueError:
            return None
        return value if math.isfinite(value) else None

    zero = number(EXTRA_PAN_ZERO)
    sign = number(EXTRA_PAN_SIGN)
    height = number(EXTRA_MOUNT_HEIGHT)
    return PtzCalibration(
        pan_zero_deg=0.0 if zero is None else zero,
        pan_sign=-1 if sign is not None and sign < 0 else 1,
        mount_height_m=height if height is not None and height >= 0 else DEFAULT_MOUNT_HEIGHT_M,
        tilt_offset_deg=number(EXTRA_TILT_OFFSET) or 0.0,
        calibrated=zero is not None,
    )
