"""What Python hands the page: JSON-escaped calls, and cameras, alerts and trails as plain JSON values.

Every value reaches JavaScript as a JSON literal (ASCII only, so U+2028/U+2029 and ``</script>`` are inert);
the page puts names into the DOM as text, never as markup.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from c4desk.domain.alerts import Alert
from c4desk.domain.camera import Camera
from c4desk.domain.coverage import fov_polygon
from c4desk.ui.timefmt import local_time

_DIGITS = 7


def js_value(value: Any) -> str:
    """A JSON literal safe to paste into a script or an HTML ``<script>`` block."""
    text = json.dumps(value, ensure_ascii=True, allow_nan=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def js_call(function: str, *args: Any) -> str:
    """``function(arg, ...)`` with every argument JSON-escaped; ``function`` is ours, never user input."""
    return f"{function}({','.join(js_value(a) for a in args)});"


def valid_latlon(lat: Any, lon: Any) -> bool:
    return all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in (lat, lon)) \
        and -90 <= lat <= 90 and -180 <= lon <= 180


def camera_problem(camera: Camera) -> str | None:
    if not valid_latlon(camera.lat, camera.lon):
        return f"camera {camera.id} ({camera.name}): no valid position ({camera.lat!r}, {camera.lon!r}); not on the map"
    if camera.lat == 0 and camera.lon == 0:
        return f"camera {camera.id} ({camera.name}): position 0, 0 is a placeholder; not on the map"
    for name, value in (("heading_deg", camera.heading_deg), ("fov_deg", camera.fov_deg),
                        ("range_m", camera.range_m)):
        if not isinstance(value, int | float) or not math.isfinite(value):
            return f"camera {camera.id} ({camera.name}): {name} is not a number; not on the map"
    return None


def usable_cameras(cameras: Iterable[Camera]) -> tuple[list[Camera], list[str]]:
    """The cameras the map can draw (first of each id), and one problem line per camera it cannot."""
    kept: dict[str, Camera] = {}
    problems = []
    for cam in cameras:
        problem = camera_problem(cam)
        if problem is not None:
            problems.append(problem)
        elif cam.id in kept:
            problems.append(f"camera {cam.id}: listed twice; the second ({cam.name}) is not on the map")
        else:
            kept[cam.id] = cam
    return list(kept.values()), problems


def aimed(camera: Camera, heading: float | None) -> Camera:
    return camera if heading is None else replace(camera, heading_deg=heading % 360.0)


def cone(camera: Camera) -> list[list[float]]:
    steps = max(2, math.ceil(min(camera.fov_deg, 360.0) / 10.0))
    return [[round(lat, _DIGITS), round(lon, _DIGITS)] for lat, lon in fov_polygon(camera, steps)]


def camera_payload(camera: Camera, state: str) -> dict[str, Any]:
    return {"id": camera.id, "name": camera.name, "kind": str(camera.kind), "lat": camera.lat, "lon": camera.lon,
            "heading": camera.heading_deg, "state": state, "cone": cone(camera)}


def alert_problem(alert: Alert) -> str | None:
    if alert.lat is None or alert.lon is None:
        return None  # an alert without a place is normal (not every hotlist hit has one); it has no pin
    if not valid_latlon(alert.lat, alert.lon) or (alert.lat == 0 and alert.lon == 0):
        return f"alert {alert.id}: no valid position ({alert.lat!r}, {alert.lon!r}); no pin on the map"
    return None


def alert_payload(alert: Alert) -> dict[str, Any] | None:
    if alert.lat is None or alert.lon is None or alert_problem(alert) is not None:
        return None
    return {"id": alert.id, "source": alert.source, "type": alert.type, "status": str(alert.status),
            "priority": alert.priority, "lat": alert.lat, "lon": alert.lon, "address": alert.address,
            "time": local_time(alert.detected_at)}


def trail_payload(trail_id: str, points: Sequence[tuple[float, float, str]]) -> tuple[list[list[Any]], list[str]]:
    out: list[list[Any]] = []
    skipped = 0
    for p in points:
        if len(p) >= 2 and valid_latlon(p[0], p[1]):
            out.append([p[0], p[1], str(p[2]) if len(p) > 2 else ""])
        else:
            skipped += 1
    problems = [f"trail {trail_id}: skipped {skipped} point(s) without a valid position"] if skipped else []
    return out, problems
