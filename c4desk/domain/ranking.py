"""Which cameras to pull up for a place (a gunshot alert, a map click), best first. Pure Python.

The rule, in the order an analyst wants the cameras:

* A fixed or private camera **covers** the point when the point is within ``range_m`` of it and within
  ``fov_deg / 2`` of its heading (both edges included; correct across the 0/360 wrap).
* A PTZ camera covers the point when it is within ``range_m``, whatever its heading: it can be turned there.
* A point within ``COLOCATED_M`` of a camera is covered by it whatever the heading: a bearing over a metre
  means nothing next to the few metres a camera's surveyed position and a detection's location are good to.
* LPR cameras are listed apart (``lpr``), nearest first: they read plates on the way out, they do not show the
  scene. Their ``in_fov`` is worked out the same way as a fixed camera's.
* Covering cameras come first, nearest first; then the others, nearest first. Ties go by camera id, so the
  order never depends on the order the cameras were given in.
* Disabled cameras are left out unless ``include_disabled``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from c4desk.domain.camera import Camera, CameraKind
from c4desk.domain.geo import angle_diff_deg, bearing_deg, distance_m

# Below this distance a camera is "at" the point: covering, whatever its heading.
COLOCATED_M = 1.0


@dataclass(frozen=True, kw_only=True)
class RankedCamera:
    """One camera as seen from the point. ``bearing_deg`` is camera -> point, clockwise from north, [0, 360)."""

    camera_id: str
    name: str
    kind: CameraKind
    distance_m: float
    bearing_deg: float
    in_fov: bool
    camera: Camera = field(compare=False, repr=False)

    def as_dict(self) -> dict[str, Any]:
        """The ``--json`` / API shape (stable: scripts read it)."""
        return {"camera_id": self.camera_id, "name": self.name, "kind": self.kind.value,
                "distance_m": round(self.distance_m, 1), "bearing_deg": round(self.bearing_deg, 1),
                "in_fov": self.in_fov}


@dataclass(frozen=True)
class RankedCameras:
    covering: list[RankedCamera]
    others: list[RankedCamera]
    lpr: list[RankedCamera]

    @property
    def ordered(self) -> list[RankedCamera]:
        """The video cameras in display order: covering ones, then the rest."""
        return [*self.covering, *self.others]


def camera_sees(camera: Camera, distance: float, bearing: float) -> bool:
    """Whether a camera at ``distance`` metres from a point, looking along ``bearing`` to it, covers it."""
    if distance > camera.range_m:
        return False
    if distance <= COLOCATED_M or camera.kind is CameraKind.PTZ or camera.fov_deg >= 360.0:
        return True
    return angle_diff_deg(bearing, camera.heading_deg) <= camera.fov_deg / 2.0


def rank_camera(camera: Camera, lat: float, lon: float) -> RankedCamera:
    d = distance_m(camera.lat, camera.lon, lat, lon)
    b = bearing_deg(camera.lat, camera.lon, lat, lon) if d > 0 else 0.0
    if b >= 360.0:  # -tiny % 360 rounds to 360.0
        b = 0.0
    return RankedCamera(camera_id=camera.id, name=camera.name, kind=camera.kind, distance_m=d, bearing_deg=b,
                        in_fov=camera_sees(camera, d, b), camera=camera)


def rank_cameras(cameras: Iterable[Camera], lat: float, lon: float, limit: int | None = None, *,
                 max_distance_m: float | None = None, include_disabled: bool = False) -> RankedCameras:
    """Rank cameras for the point (lat, lon); see the module docstring for the rule.

    ``limit`` caps ``ordered`` (covering first, so covering cameras are never cut for others) and, separately,
    ``lpr``. ``max_distance_m`` drops cameras farther than that (covering ones never are farther than their
    range, so pass a distance at least the largest range to keep every covering camera).
    """
    if limit is not None and limit < 0:
        raise ValueError("limit must not be negative")
    covering: list[RankedCamera] = []
    others: list[RankedCamera] = []
    lpr: list[RankedCamera] = []
    for cam in cameras:
        if not cam.enabled and not include_disabled:
            continue
        entry = rank_camera(cam, lat, lon)
        if max_distance_m is not None and entry.distance_m > max_distance_m:
            continue
        if cam.kind is CameraKind.LPR:
            lpr.append(entry)
        elif entry.in_fov:
            covering.append(entry)
        else:
            others.append(entry)

    def key(e: RankedCamera) -> tuple[float, str]:
        return e.distance_m, e.camera_id

    covering.sort(key=key)
    others.sort(key=key)
    lpr.sort(key=key)
    if limit is not None:
        covering = covering[:limit]
        others = others[:max(0, limit - len(covering))]
        lpr = lpr[:limit]
    return RankedCameras(covering=covering, others=others, lpr=lpr)
