"""Which cameras see a place or an area: the geometry behind the map's area selection. Pure Python.

A camera's field of view is a circular sector: its apex at the camera, ``range_m`` long, ``fov_deg`` wide and
centred on ``heading_deg`` (a full disk when ``fov_deg >= 360``). Point tests use great-circle distance and
bearing; shape intersections are worked on a local plane (metres east/north of the area), which is exact to
millimetres over the few kilometres a camera or an analyst's drawn area spans. The sector is tested exactly
(arc included); ``fov_polygon`` is only its outline for drawing.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from c4desk.domain.camera import Camera
from c4desk.domain.geo import EARTH_RADIUS_M, angle_diff_deg, bearing_deg, destination, distance_m

LatLon = tuple[float, float]
Vec = tuple[float, float]


def fov_polygon(camera: Camera, steps: int | None = None) -> list[LatLon]:
    """The outline of the camera's view as (lat, lon) points, not closed: apex first, then the arc.

    ``steps`` is the number of arc segments (default: one per 5 degrees, at least 2). A full-circle view is the
    circle alone, with no apex.
    """
    full = camera.fov_deg >= 360.0
    n = steps if steps is not None else max(2, math.ceil(min(camera.fov_deg, 360.0) / 5.0))
    n = max(1, n)
    if full:
        return [destination(camera.lat, camera.lon, 360.0 * i / n, camera.range_m) for i in range(n)]
    start = camera.heading_deg - camera.fov_deg / 2.0
    arc = [destination(camera.lat, camera.lon, start + camera.fov_deg * i / n, camera.range_m) for i in range(n + 1)]
    return [(camera.lat, camera.lon), *arc]


def covers_point(camera: Camera, lat: float, lon: float) -> bool:
    """True when (lat, lon) lies in the camera's field of view (its own position included)."""
    d = distance_m(camera.lat, camera.lon, lat, lon)
    if d > camera.range_m:
        return False
    if d < 1e-3 or camera.fov_deg >= 360.0:  # within a millimetre the bearing is noise
        return True
    return angle_diff_deg(bearing_deg(camera.lat, camera.lon, lat, lon), camera.heading_deg) <= camera.fov_deg / 2.0


def cameras_in_circle(cameras: Iterable[Camera], lat: float, lon: float, radius_m: float,
                      include_fov: bool = True) -> list[Camera]:
    """Cameras standing inside the circle, and with ``include_fov`` those whose view reaches into it."""
    out = []
    for cam in cameras:
        inside = distance_m(cam.lat, cam.lon, lat, lon) <= radius_m
        if inside or (include_fov and _sector_meets_circle(cam, lat, lon, radius_m)):
            out.append(cam)
    return out


def cameras_in_polygon(cameras: Iterable[Camera], ring: Sequence[LatLon], include_fov: bool = True) -> list[Camera]:
    """Cameras standing inside the polygon (a ring of (lat, lon), closed or not), and with ``include_fov``
    those whose view reaches into it. A ring of fewer than three distinct points selects nothing."""
    pts = list(ring)
    if len(pts) > 1 and pts[0] == pts[-1]:
        pts.pop()
    if len(set(pts)) < 3:
        return []
    ref = pts[0]
    poly = [_plane(ref, p) for p in pts]
    out = []
    for cam in cameras:
        apex = _plane(ref, (cam.lat, cam.lon))
        if _inside(apex, poly) or (include_fov and _sector_meets_polygon(cam, apex, poly)):
            out.append(cam)
    return out


# --- plane geometry -------------------------------------------------------------------------------------------

def _plane(ref: LatLon, p: LatLon) -> Vec:
    """Metres east/north of ``ref`` (equirectangular about ``ref``)."""
    dlon = (p[1] - ref[1] + 540.0) % 360.0 - 180.0
    k = math.radians(1.0) * EARTH_RADIUS_M
    return dlon * k * math.cos(math.radians(ref[0])), (p[0] - ref[0]) * k


def _unit(bearing: float) -> Vec:
    b = math.radians(bearing)
    return math.sin(b), math.cos(b)


def _seg_point_dist(a: Vec, b: Vec, p: Vec) -> float:
    ax, ay = b[0] - a[0], b[1] - a[1]
    den = ax * ax + ay * ay
    t = 0.0 if den == 0 else max(0.0, min(1.0, ((p[0] - a[0]) * ax + (p[1] - a[1]) * ay) / den))
    return math.hypot(a[0] + t * ax - p[0], a[1] + t * ay - p[1])


def _cross(o: Vec, a: Vec, b: Vec) -> float:
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


def _segments_meet(p1: Vec, p2: Vec, q1: Vec, q2: Vec) -> bool:
    d1, d2 = _cross(q1, q2, p1), _cross(q1, q2, p2)
    d3, d4 = _cross(p1, p2, q1), _cross(p1, p2, q2)
    if ((d1 > 0) != (d2 > 0)) and ((d3 > 0) != (d4 > 0)) and d1 != 0 and d2 != 0 and d3 != 0 and d4 != 0:
        return True
    eps = 1e-9
    return (_seg_point_dist(q1, q2, p1) < eps or _seg_point_dist(q1, q2, p2) < eps
            or _seg_point_dist(p1, p2, q1) < eps or _seg_point_dist(p1, p2, q2) < eps)


def _inside(p: Vec, poly: Sequence[Vec]) -> bool:
    """Even-odd rule; points on an edge count as inside."""
    n = len(poly)
    if any(_seg_point_dist(poly[i], poly[(i + 1) % n], p) < 1e-9 for i in range(n)):
        return True
    hit = False
    for i in range(n):
        (x1, y1), (x2, y2) = poly[i], poly[(i + 1) % n]
        if (y1 > p[1]) != (y2 > p[1]) and p[0] < x1 + (p[1] - y1) * (x2 - x1) / (y2 - y1):
            hit = not hit
    return hit


def _in_view_dir(cam: Camera, apex: Vec, p: Vec) -> bool:
    """Whether the direction from the apex to ``p`` lies within the camera's horizontal angle."""
    if cam.fov_deg >= 360.0:
        return True
    bearing = math.degrees(math.atan2(p[0] - apex[0], p[1] - apex[1])) % 360.0
    return angle_diff_deg(bearing, cam.heading_deg) <= cam.fov_deg / 2.0


def _edges(cam: Camera, apex: Vec) -> list[tuple[Vec, Vec]]:
    if cam.fov_deg >= 360.0:
        return []
    out = []
    for side in (-1.0, 1.0):
        u = _unit(cam.heading_deg + side * cam.fov_deg / 2.0)
        out.append((apex, (apex[0] + cam.range_m * u[0], apex[1] + cam.range_m * u[1])))
    return out


def _sector_meets_circle(cam: Camera, lat: float, lon: float, radius_m: float) -> bool:
    if covers_point(cam, lat, lon):
        return True
    apex = _plane((lat, lon), (cam.lat, cam.lon))
    centre = (0.0, 0.0)
    if any(_seg_point_dist(a, b, centre) <= radius_m for a, b in _edges(cam, apex)):
        return True
    # The arc: its point nearest the centre lies on the ray from the apex through the centre, if in view.
    d = math.hypot(apex[0], apex[1])
    return _in_view_dir(cam, apex, centre) and abs(d - cam.range_m) <= radius_m


def _arc_meets_segment(cam: Camera, apex: Vec, a: Vec, b: Vec) -> bool:
    dx, dy = b[0] - a[0], b[1] - a[1]
    fx, fy = a[0] - apex[0], a[1] - apex[1]
    qa = dx * dx + dy * dy
    if qa == 0:
        return False
    qb = 2 * (fx * dx + fy * dy)
    qc = fx * fx + fy * fy - cam.range_m ** 2
    disc = qb * qb - 4 * qa * qc
    if disc < 0:
        return False
    root = math.sqrt(disc)
    for t in ((-qb - root) / (2 * qa), (-qb + root) / (2 * qa)):
        if 0.0 <= t <= 1.0 and _in_view_dir(cam, apex, (a[0] + t * dx, a[1] + t * dy)):
            return True
    return False


def _sector_meets_polygon(cam: Camera, apex: Vec, poly: Sequence[Vec]) -> bool:
    # A polygon vertex in view (this also catches a polygon wholly inside the sector).
    for p in poly:
        if math.hypot(p[0] - apex[0], p[1] - apex[1]) <= cam.range_m and _in_view_dir(cam, apex, p):
            return True
    n = len(poly)
    sides = [(poly[i], poly[(i + 1) % n]) for i in range(n)]
    for a, b in sides:
        if any(_segments_meet(a, b, e1, e2) for e1, e2 in _edges(cam, apex)):
            return True
        if _arc_meets_segment(cam, apex, a, b):
            return True
    return False
