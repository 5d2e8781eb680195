"""A shape drawn on the map -> the cameras it selects (validation here, geometry in domain/coverage.py)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from c4desk.domain.camera import Camera
from c4desk.domain.coverage import cameras_in_circle, cameras_in_polygon
from c4desk.ui.map.payload import valid_latlon

MAX_RADIUS_M = 50_000.0
MAX_VERTICES = 1_000


def select_area(cameras: Sequence[Camera], shape: dict[str, Any]) -> tuple[list[str], str | None]:
    """(ids of the selected cameras, or [] with a problem) for ``{"type": "circle", "lat", "lon", "radius_m"}``
    or ``{"type": "polygon", "ring": [[lat, lon], ...]}``."""
    kind = shape.get("type")
    if kind == "circle":
        lat, lon, radius = shape.get("lat"), shape.get("lon"), shape.get("radius_m")
        if not valid_latlon(lat, lon) or not isinstance(radius, int | float) or isinstance(radius, bool) \
                or not math.isfinite(radius) or not 0 <= radius <= MAX_RADIUS_M:
            return [], "drawn circle: bad centre or radius; nothing selected"
        assert isinstance(lat, int | float) and isinstance(lon, int | float)
        return [c.id for c in cameras_in_circle(cameras, lat, lon, float(radius))], None
    if kind == "polygon":
        ring = shape.get("ring")
        if not isinstance(ring, list) or not 3 <= len(ring) <= MAX_VERTICES or not all(
                isinstance(p, list | tuple) and len(p) >= 2 and valid_latlon(p[0], p[1]) for p in ring):
            return [], "drawn polygon: needs 3 or more valid corners; nothing selected"
        return [c.id for c in cameras_in_polygon(cameras, [(float(p[0]), float(p[1])) for p in ring])], None
    return [], f"drawn area: unknown shape {kind!r}; nothing selected"
