"""The response to an alert: which cameras go on the wall, and a line saying why each one.

``response_cameras`` is the order ``domain.ranking.rank_cameras`` gives (cameras that cover the spot, nearest
first; then the nearest others), LPR cameras left out (they read plates, they do not show the scene) and
disabled ones too. No Qt here: the main window calls it to fill the wall, the tests call it directly.
"""

from __future__ import annotations

from collections.abc import Iterable

from c4desk.domain.alerts import Alert
from c4desk.domain.camera import Camera, CameraKind
from c4desk.domain.ranking import RankedCamera, rank_cameras

RESPONSE_COUNT = 4
_COMPASS = ("N", "NE", "E", "SE", "S", "SW", "W", "NW")


def rank_for_alert(cameras: Iterable[Camera], alert: Alert, count: int = RESPONSE_COUNT, *,
                   max_distance_m: float | None = None) -> list[RankedCamera]:
    """The video cameras for the alert's spot, best first (empty when the alert has no location)."""
    if alert.lat is None or alert.lon is None or count <= 0:
        return []
    ranked = rank_cameras(cameras, alert.lat, alert.lon, limit=count, max_distance_m=max_distance_m)
    return ranked.ordered


def response_cameras(cameras: Iterable[Camera], alert: Alert, count: int = RESPONSE_COUNT, *,
                     max_distance_m: float | None = None) -> list[Camera]:
    """Up to ``count`` cameras to show for ``alert``: covering ones first, then the nearest; no LPR."""
    return [r.camera for r in rank_for_alert(cameras, alert, count, max_distance_m=max_distance_m)]


def distance_text(metres: float) -> str:
    return f"{metres:.0f} m" if metres < 1000 else f"{metres / 1000:.1f} km"


def compass(bearing: float) -> str:
    return _COMPASS[round(bearing / 45.0) % 8]


def describe(ranked: RankedCamera) -> str:
    """'cam02 62 m, in view' / 'ptz01 140 m, PTZ in range' / 'cam07 210 m, looks away'."""
    if ranked.kind is CameraKind.PTZ:
        state = "PTZ in range" if ranked.in_fov else "PTZ out of range"
    else:
        state = "in view" if ranked.in_fov else "looks away"
    return f"{ranked.camera_id} {distance_text(ranked.distance_m)}, {state}"


def describe_response(cameras: Iterable[Camera], alert: Alert, count: int = RESPONSE_COUNT) -> list[str]:
    """One line per response camera, in wall order (for a list or a tooltip)."""
    return [describe(r) for r in rank_for_alert(cameras, alert, count)]


def response_tooltip(cameras: Iterable[Camera], alert: Alert, count: int = RESPONSE_COUNT) -> str:
    """A tooltip for the 'open' action: the cameras the wall will show, and where the alert is from each."""
    ranked = rank_for_alert(cameras, alert, count)
    if not ranked:
        return "No camera for this alert" if alert.lat is not None else "The alert has no location"
    lines = [f"{describe(r)} (alert to the {compass(r.bearing_deg)})" for r in ranked]
    return "Cameras for this alert:\n" + "\n".join(lines)
