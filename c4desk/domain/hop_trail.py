"""A followed vehicle's trail: the cameras it was watched on, when, and the trail as GeoJSON, CSV or map points.

Times are video time (what the tiles showed when the analyst hopped), so a trail made in playback reads the
same as one made live. Pure: exports are strings and dicts; the caller writes the file.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from typing import Any

from c4desk.domain.camera import Camera

# How the map and exports draw the way between two steps' cameras (e.g. NeighbourGraph.route): (lat, lon) points.
Leg = Callable[[str, str], Sequence[tuple[float, float]]]
CSV_COLUMNS = ("trail_id", "seq", "camera_id", "camera_name", "lat", "lon", "time_in", "time_out", "dwell_s",
               "plate", "case_id")
# Cells a spreadsheet would run as a formula (OWASP "CSV injection"); camera names and labels are free text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class TrailStep:
    """The vehicle was watched on ``camera_id`` from ``time_in`` until ``time_out`` (None: still on it)."""

    seq: int
    camera_id: str
    time_in: datetime
    time_out: datetime | None = None

    @property
    def dwell_s(self) -> float | None:
        return None if self.time_out is None else (self.time_out - self.time_in).total_seconds()


@dataclass(frozen=True)
class Trail:
    id: int
    plate: str
    label: str
    started_by: str
    created_at: datetime
    case_id: int | None = None
    steps: tuple[TrailStep, ...] = ()

    @property
    def current(self) -> TrailStep | None:
        """The last step: the camera the vehicle is being followed on (or was, when finished)."""
        return self.steps[-1] if self.steps else None

    @property
    def is_open(self) -> bool:
        return bool(self.steps) and self.steps[-1].time_out is None

    @property
    def started_at(self) -> datetime | None:
        return self.steps[0].time_in if self.steps else None

    @property
    def ended_at(self) -> datetime | None:
        return self.steps[-1].time_out if self.steps else None

    @property
    def camera_ids(self) -> tuple[str, ...]:
        return tuple(s.camera_id for s in self.steps)


def _iso(t: datetime | None) -> str:
    return "" if t is None else t.isoformat()


def step_label(step: TrailStep, cameras: Mapping[str, Camera]) -> str:
    """A short map label: camera name and time on it, e.g. "High & Elm EB 21:00:30-21:00:50"."""
    cam = cameras.get(step.camera_id)
    name = cam.name if cam is not None else step.camera_id
    span = step.time_in.strftime("%H:%M:%S")
    if step.time_out is not None:
        span += "-" + step.time_out.strftime("%H:%M:%S")
    return f"{step.seq}. {name} {span}"


def trail_points(trail: Trail, cameras: Mapping[str, Camera]) -> list[tuple[float, float, str]]:
    """(lat, lon, label) per step whose camera is known, in order: what the map draws as the trail's stops."""
    return [(cameras[s.camera_id].lat, cameras[s.camera_id].lon, step_label(s, cameras))
            for s in trail.steps if s.camera_id in cameras]


def trail_path(trail: Trail, cameras: Mapping[str, Camera], route: Leg | None = None) -> list[tuple[float, float]]:
    """The trail as one (lat, lon) line: camera to camera, along ``route``'s legs when given."""
    known = [s.camera_id for s in trail.steps if s.camera_id in cameras]
    if not known:
        return []
    path = [(cameras[known[0]].lat, cameras[known[0]].lon)]
    for a, b in pairwise(known):
        leg = list(route(a, b)) if route is not None else []
        if len(leg) < 2:
            leg = [(cameras[a].lat, cameras[a].lon), (cameras[b].lat, cameras[b].lon)]
        path += leg[1:]
    return path


def trail_geojson(trail: Trail, cameras: Mapping[str, Camera], route: Leg | None = None) -> dict[str, Any]:
    """A FeatureCollection: the path as a LineString, then one Point per step with its camera and times.

    A step on a camera that no longer exists keeps its Feature with a null geometry, so no time is lost.
    """
    path = trail_path(trail, cameras, route)
    summary = {"trail_id": trail.id, "plate": trail.plate, "label": trail.label, "case_id": trail.case_id,
               "started_by": trail.started_by, "start": _iso(trail.started_at), "end": _iso(trail.ended_at),
               "cameras": list(trail.camera_ids)}
    features: list[dict[str, Any]] = [{
        "type": "Feature", "properties": {"kind": "path", **summary},
        "geometry": {"type": "LineString", "coordinates": [[lon, lat] for lat, lon in path]} if len(path) >= 2
        else None,
    }]
    for step in trail.steps:
        cam = cameras.get(step.camera_id)
        features.append({
            "type": "Feature",
            "properties": {"kind": "step", "trail_id": trail.id, "seq": step.seq, "camera_id": step.camera_id,
                           "camera_name": cam.name if cam else "", "time_in": _iso(step.time_in),
                           "time_out": _iso(step.time_out), "dwell_s": step.dwell_s},
            "geometry": {"type": "Point", "coordinates": [cam.lon, cam.lat]} if cam else None,
        })
    return {"type": "FeatureCollection", "features": features}


def _cell(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_START) else text


def trail_csv(trail: Trail, cameras: Mapping[str, Camera]) -> str:
    """One row per step (``CSV_COLUMNS``), times in ISO 8601 with their zone."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for step in trail.steps:
        cam = cameras.get(step.camera_id)
        dwell = step.dwell_s
        # Only the free-text cells are guarded: a negative longitude is a number, not a formula.
        writer.writerow([
            trail.id, step.seq, _cell(step.camera_id), _cell(cam.name if cam else ""),
            f"{cam.lat:.7f}" if cam else "", f"{cam.lon:.7f}" if cam else "", _iso(step.time_in),
            _iso(step.time_out), "" if dwell is None else f"{dwell:.1f}", _cell(trail.plate),
            "" if trail.case_id is None else trail.case_id])
    return buffer.getvalue()
