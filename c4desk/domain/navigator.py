"""Camera hopping: where a vehicle leaving one camera's view will be seen next, in which direction, and when.

The graph is built from geometry alone: each camera's field of view (a sector), and where the site has one, the
street network (``street_graph``). For a camera C the vehicle can leave C's view only where a street leaves the
sector ("exits"). From each exit a shortest-path search follows the streets outwards, never back into C's view,
and notes the first point each other camera sees. A neighbour's figures come from its best exit:

* ``direction_deg``: the bearing of the street where the vehicle leaves C's view toward it (the way to go);
* ``travel_s``: street distance from leaving C's view to entering the neighbour's, at a typical urban speed
  (0 when the neighbour already sees the vehicle as it leaves: the views overlap);
* ``score`` in [0, 1]: views that already overlap at the exit first (the longer the overlap, the earlier the
  vehicle appeared there), then nearer ones; a camera behind another along the way ("shadowed") counts half;
  the vehicle's heading, when known, discounts exits pointing elsewhere.

LPR fusion: reads of the followed plate point at where the vehicle really went. The first read after ``at`` at a
camera beyond C's view becomes a target: neighbours on a near-shortest street path toward it score above every
other, and get an ETA from the pace the read implies. The last read before ``at`` beyond C's view marks where it
came from: neighbours on the way back there count half.

Hop targets are the enabled fixed and PTZ cameras. LPR cameras see a lane a few metres long through a narrow
lens, useless for following a car, so they only serve as read anchors; private cameras usually cannot be viewed
live (their owners are asked for footage), so they are left out unless ``hop_kinds`` includes them. A PTZ camera
counts with the view it is stored with, not every way it could turn.

Without streets (or for a camera that sees none), neighbours come from straight-line geometry between the
centres of the views, with a grid detour factor. Where the site has streets, a camera that sees none is not
suggested from one that does: a vehicle on the streets never passes through its view.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

from c4desk.domain.camera import Camera, CameraKind
from c4desk.domain.errors import FieldError, ValidationError
from c4desk.domain.geo import angle_diff_deg
from c4desk.domain.plates import LprRead
from c4desk.domain.street_graph import (
    DEFAULT_SPACING_M,
    XY,
    LocalPlane,
    StreetGraph,
    StreetLine,
    plane_bearing,
    street_lines,
)

DEFAULT_SPEED_MPS = 10.0  # 36 km/h: a typical downtown average, stops at lights included
DEFAULT_HORIZON_M = 1200.0  # how far along the streets a neighbour may be
HOP_KINDS = frozenset({CameraKind.FIXED, CameraKind.PTZ})
# Reads further than this from ``at`` (either side) say little about the next hop.
READ_WINDOW = timedelta(minutes=10)

# Scoring. Proximity is a logistic of the "relative position" (metres beyond the exit where the neighbour first
# sees the vehicle; negative when it already saw it that far back): 0.5 at the exit, 0.18 at 150 m, 0.84 at
# -166 m. It is smooth, so no cliff separates two almost equal neighbours.
PROXIMITY_SCALE_M = 100.0
SHADOWED_FACTOR = 0.5
HEADING_FLOOR = 0.05
# A neighbour is "on the path" to a read when going through it costs at most this much more than the shortest way.
DETOUR_RATIO = 0.25
DETOUR_SLACK_M = 60.0
LPR_SEARCH_M = 6000.0
PACE_LIMITS_MPS = (2.0, 40.0)
# A neighbour on the way back toward where the plate was read before is unlikely (cars rarely double back).
BACKTRACK_FACTOR = 0.5
# Straight-line fallback: streets make a trip ~1.3x longer than the crow flies on a grid; cameras within this
# angle of a nearer one are behind it.
GEOMETRY_DETOUR = 1.3
GEOMETRY_SHADOW_DEG = 25.0
# A camera mounted within this distance of a street stands on it (for drawing routes between cameras).
MOUNT_TO_STREET_M = 30.0


@dataclass(frozen=True)
class Neighbour:
    """A suggested next camera: which way to go (bearing, degrees clockwise from north), how long it takes."""

    camera_id: str
    name: str
    direction_deg: float
    travel_s: float
    score: float
    eta: datetime | None = None
    street: str = ""  # the street the vehicle leaves along ("" without a street network)

    def as_json(self) -> dict[str, Any]:
        """The ``c4desk cameras neighbours --json`` shape (eta only when known)."""
        out: dict[str, Any] = {
            "camera_id": self.camera_id, "name": self.name, "direction_deg": round(self.direction_deg, 1) % 360.0,
            "travel_s": round(self.travel_s, 1), "score": round(self.score, 3), "street": self.street}
        if self.eta is not None:
            out["eta"] = self.eta.isoformat()
        return out


@dataclass(frozen=True)
class _Exit:
    """Where a street leaves a camera's view: from node ``inside`` to node ``outside``."""

    inside: int
    outside: int
    length_m: float
    direction_deg: float
    street: str


@dataclass(frozen=True)
class _Reach:
    """One way from a camera's view to a neighbour's."""

    camera_id: str
    direction_deg: float
    street: str
    gap_m: float  # from leaving the view to the neighbour first seeing the vehicle; 0 when it already does
    overlap_m: float  # how far back inside the view the neighbour already sees the vehicle
    shadowed: bool  # another hop target sees the vehicle first along this way
    exit: _Exit | None = None
    first_node: int | None = None  # where the neighbour first sees it (street mode)
    path_m: float = 0.0  # street distance from the exit's inside node to first_node

    @property
    def rel_m(self) -> float:
        return self.gap_m - self.overlap_m


@dataclass(frozen=True)
class _Reaches:
    exits: tuple[_Exit, ...]
    reaches: tuple[_Reach, ...]


@dataclass(frozen=True)
class _ReadTarget:
    """An informative plate read: per reach, the distance to where the read was made going through that reach's
    neighbour when that is a near-shortest way there (None: not on the way)."""

    camera_id: str
    elapsed_s: float  # between ``at`` and the read
    via_m: tuple[float | None, ...]

    def on_path(self, i: int) -> bool:
        return self.via_m[i] is not None

    def pace_mps(self, i: int, default: float) -> float:
        """The speed the read implies for a vehicle going that way (``default`` when it implies none)."""
        via = self.via_m[i]
        if via is None or self.elapsed_s <= 0:
            return default
        return min(max(via / self.elapsed_s, PACE_LIMITS_MPS[0]), PACE_LIMITS_MPS[1])


class NeighbourGraph:
    """Which cameras follow which, built once per site; ``neighbours`` answers per camera (cached per camera)."""

    def __init__(self, cameras: Sequence[Camera], plane: LocalPlane, streets: StreetGraph | None, *,
                 speed_mps: float, horizon_m: float, hop_kinds: frozenset[CameraKind]) -> None:
        self.plane = plane
        self.streets = streets if streets is not None and len(streets) else None
        self.speed_mps = speed_mps
        self.horizon_m = horizon_m
        self._cameras = {c.id: c for c in cameras}
        self._xy = {c.id: plane.to_xy(c.lat, c.lon) for c in cameras}
        self._targets = frozenset(c.id for c in cameras if c.enabled and c.kind in hop_kinds)
        self._cover: dict[str, frozenset[int]] = {}
        self._node_targets: dict[int, list[str]] = {}
        if self.streets is not None:
            for c in cameras:
                self._cover[c.id] = self.streets.in_sector(self._xy[c.id], c.heading_deg, c.fov_deg, c.range_m)
            for cid in sorted(self._targets):
                for n in self._cover[cid]:
                    self._node_targets.setdefault(n, []).append(cid)
        self._cache: dict[str, _Reaches] = {}

    @classmethod
    def build(cls, cameras: Sequence[Camera], streets: Mapping[str, Any] | None = None, *,
              speed_mps: float = DEFAULT_SPEED_MPS, horizon_m: float = DEFAULT_HORIZON_M,
              hop_kinds: frozenset[CameraKind] = HOP_KINDS, spacing_m: float = DEFAULT_SPACING_M) -> NeighbourGraph:
        """The graph of ``cameras`` over ``streets`` (GeoJSON; None: geometry only).

        Raises ValidationError for a bad speed or horizon, duplicate camera ids, or malformed street coordinates.
        """
        errors: list[FieldError] = []
        if not (math.isfinite(speed_mps) and speed_mps > 0):
            errors.append(FieldError("speed_mps", "must be a positive number"))
        if not (math.isfinite(horizon_m) and horizon_m > 0):
            errors.append(FieldError("horizon_m", "must be a positive number"))
        ids = [c.id for c in cameras]
        if len(set(ids)) != len(ids):
            errors.append(FieldError("cameras", f"duplicate id {next(i for i in ids if ids.count(i) > 1)!r}"))
        if errors:
            raise ValidationError(errors)
        if cameras:
            plane = LocalPlane(sum(c.lat for c in cameras) / len(cameras), sum(c.lon for c in cameras) / len(cameras))
        else:
            plane = LocalPlane(0.0, 0.0)
        graph = None
        if streets is not None and cameras:
            lines = street_lines(streets, plane)
            xy = [plane.to_xy(c.lat, c.lon) for c in cameras]
            margin = horizon_m + max(c.range_m for c in cameras)
            lines = _clip(lines, (min(p[0] for p in xy) - margin, min(p[1] for p in xy) - margin,
                                  max(p[0] for p in xy) + margin, max(p[1] for p in xy) + margin))
            graph = StreetGraph(lines, spacing_m) if lines else None
        return cls(cameras, plane, graph, speed_mps=speed_mps, horizon_m=horizon_m, hop_kinds=hop_kinds)

    # --- public queries -----------------------------------------------------------------------------------------

    @property
    def cameras(self) -> Mapping[str, Camera]:
        return self._cameras

    def is_target(self, camera_id: str) -> bool:
        """Whether the camera can be suggested as a hop (enabled, of a hop kind)."""
        return camera_id in self._targets

    def sees_streets(self, camera_id: str) -> bool:
        """Whether the camera's view covers any street (otherwise its neighbours come from geometry)."""
        return bool(self._cover.get(camera_id))

    def neighbours(self, camera_id: str, *, heading_deg: float | None = None, plate_reads: Sequence[LprRead] = (),
                   at: datetime | None = None, limit: int | None = None) -> list[Neighbour]:
        """The cameras a vehicle leaving ``camera_id``'s view will likely be seen on next, best first.

        ``heading_deg``: the direction it left in, if known. ``plate_reads``: reads of the followed plate (any
        order, other plates must be left out); the first one after ``at`` (the time the vehicle left, or is
        leaving, the view) at a camera beyond this view puts the neighbours on the way to it first, and the last
        one before ``at`` marks the way it came from as unlikely. With ``at``, every suggestion carries an ETA.
        """
        self._check_query(camera_id, heading_deg, plate_reads, at, limit)
        found = self._reaches(camera_id)
        ahead = behind = None
        if plate_reads and at is not None:
            ahead, behind = self._read_targets(camera_id, found, plate_reads, at)
        best: dict[str, tuple[float, _Reach, int]] = {}
        for i, reach in enumerate(found.reaches):
            on_path = ahead is not None and ahead.on_path(i)
            base = _proximity(reach.rel_m) * (SHADOWED_FACTOR if reach.shadowed else 1.0)
            if heading_deg is not None:
                base *= _heading_factor(angle_diff_deg(heading_deg % 360.0, reach.direction_deg))
            if behind is not None and behind.on_path(i) and not on_path:
                base *= BACKTRACK_FACTOR
            score = 0.5 + 0.5 * base if on_path else (0.5 * base if ahead is not None else base)
            held = best.get(reach.camera_id)
            if held is None or (score, -reach.rel_m) > (held[0], -held[1].rel_m):
                best[reach.camera_id] = (score, reach, i)
        out = []
        for cid, (score, reach, i) in best.items():
            eta = None
            if at is not None:
                pace = ahead.pace_mps(i, self.speed_mps) if ahead is not None else self.speed_mps
                eta = at + timedelta(seconds=reach.gap_m / pace)
            out.append((reach.rel_m, Neighbour(
                camera_id=cid, name=self._cameras[cid].name, direction_deg=reach.direction_deg,
                travel_s=reach.gap_m / self.speed_mps, score=score, eta=eta, street=reach.street)))
        out.sort(key=lambda item: (-item[1].score, item[0], item[1].camera_id))
        ranked = [n for _rel, n in out]
        return ranked if limit is None else ranked[:limit]

    def route(self, from_id: str, to_id: str) -> list[tuple[float, float]]:
        """A drawable (lat, lon) path from one camera to another: along the streets from the street at one
        camera's mount to the street at the other's, when the site has them; else a straight line. For drawing
        a trail on the map and exporting it."""
        for field_name, cid in (("from_id", from_id), ("to_id", to_id)):
            if cid not in self._cameras:
                raise ValidationError([FieldError(field_name, f"unknown camera {cid!r}")])
        a, b = self._xy[from_id], self._xy[to_id]
        points: list[XY] = [a]
        if self.streets is not None:
            start, end = self._street_at(from_id), self._street_at(to_id)
            if start and end and not (start & end):
                dist, pred = self.streets.shortest({n: 0.0 for n in start}, max_m=LPR_SEARCH_M, until=end,
                                                   until_any=True)
                last = next((n for n in dist if n in end), None)
                if last is not None:
                    path = [last]
                    while path[-1] in pred:
                        path.append(pred[path[-1]])
                    points += _simplify([self.streets.xy[n] for n in reversed(path)])
        points.append(b)
        return [self.plane.to_latlon(*p) for p in points]

    def _street_at(self, camera_id: str) -> frozenset[int]:
        """Where a camera meets the streets: the street point at its mount, else (mounted away from the street)
        the streets it sees."""
        assert self.streets is not None
        near = self.streets.nearest(self._xy[camera_id], MOUNT_TO_STREET_M)
        return frozenset({near}) if near is not None else self._cover.get(camera_id, frozenset())

    # --- checks ---------------------------------------------------------------------------------------------------

    def _check_query(self, camera_id: str, heading_deg: float | None, plate_reads: Sequence[LprRead],
                     at: datetime | None, limit: int | None) -> None:
        errors: list[FieldError] = []
        if camera_id not in self._cameras:
            errors.append(FieldError("camera_id", f"unknown camera {camera_id!r}"))
        if heading_deg is not None and not math.isfinite(heading_deg):
            errors.append(FieldError("heading_deg", "must be a finite number of degrees"))
        if at is not None and at.utcoffset() is None:
            errors.append(FieldError("at", "must carry a time zone (UTC)"))
        if plate_reads and at is None:
            errors.append(FieldError("at", "needed with plate reads: reads after it re-rank the suggestions"))
        if limit is not None and limit < 1:
            errors.append(FieldError("limit", "must be at least 1"))
        if errors:
            raise ValidationError(errors)

    # --- reaches --------------------------------------------------------------------------------------------------

    def _reaches(self, camera_id: str) -> _Reaches:
        cached = self._cache.get(camera_id)
        if cached is None:
            if self.streets is not None and self._cover.get(camera_id):
                cached = self._street_reaches(camera_id, self.streets)
            else:
                cached = _Reaches((), tuple(self._geometry_reaches(camera_id)))
            self._cache[camera_id] = cached
        return cached

    def _street_reaches(self, camera_id: str, streets: StreetGraph) -> _Reaches:
        cover = self._cover[camera_id]
        exits = tuple(
            _Exit(u, v, length, plane_bearing(streets.xy[u], streets.xy[v]), streets.streets[street])
            for u in sorted(cover) for v, length, street in streets.out[u] if v not in cover)
        reaches: list[_Reach] = []
        for ex in exits:
            dist, pred = streets.shortest({ex.outside: ex.length_m}, blocked=cover, max_m=self.horizon_m)
            seen_before: dict[int, bool] = {}
            first: dict[str, int] = {}
            for n in dist:  # settle order: a node's predecessor is always settled before it
                p = pred.get(n)
                seen_before[n] = p is not None and (seen_before[p] or self._seen_by_other(p, camera_id))
                for cid in self._node_targets.get(n, ()):
                    if cid != camera_id and cid not in first:
                        first[cid] = n
            for cid, node in first.items():
                overlapping = node == ex.outside and ex.inside in self._cover[cid]
                overlap = self._overlap(streets, ex.inside, cover & self._cover[cid]) if overlapping else 0.0
                reaches.append(_Reach(cid, ex.direction_deg, ex.street, gap_m=0.0 if overlapping else dist[node],
                                      overlap_m=overlap, shadowed=seen_before[node], exit=ex, first_node=node,
                                      path_m=dist[node]))
        return _Reaches(exits, tuple(reaches))

    def _seen_by_other(self, node: int, camera_id: str) -> bool:
        return any(cid != camera_id for cid in self._node_targets.get(node, ()))

    @staticmethod
    def _overlap(streets: StreetGraph, start: int, shared: frozenset[int]) -> float:
        """How far back from ``start`` (against the traffic) both views keep seeing the street."""
        dist, _pred = streets.shortest({start: 0.0}, within=shared, reverse=True)
        return max(dist.values())

    def _view_centre(self, camera_id: str) -> XY:
        cam, (x, y) = self._cameras[camera_id], self._xy[camera_id]
        if cam.fov_deg >= 360.0:
            return x, y
        h = math.radians(cam.heading_deg)
        return x + cam.range_m / 2 * math.sin(h), y + cam.range_m / 2 * math.cos(h)

    def _geometry_reaches(self, camera_id: str) -> list[_Reach]:
        """Straight-line neighbours: views as discs of half their range around their centres."""
        centre, radius = self._view_centre(camera_id), self._cameras[camera_id].range_m / 2
        candidates = []
        for cid in sorted(self._targets - {camera_id}):
            other = self._view_centre(cid)
            d = math.hypot(other[0] - centre[0], other[1] - centre[1])
            if d * GEOMETRY_DETOUR <= self.horizon_m:
                candidates.append((cid, d, plane_bearing(centre, other) if d > 1e-6 else 0.0))
        out = []
        for cid, d, bearing in candidates:
            reach_sum = radius + self._cameras[cid].range_m / 2
            shadowed = any(o != cid and od < 0.8 * d and angle_diff_deg(ob, bearing) <= GEOMETRY_SHADOW_DEG
                           for o, od, ob in candidates)
            out.append(_Reach(cid, bearing, "", gap_m=max(0.0, d - reach_sum) * GEOMETRY_DETOUR,
                              overlap_m=max(0.0, reach_sum - d), shadowed=shadowed, path_m=d * GEOMETRY_DETOUR))
        return out

    # --- LPR fusion -----------------------------------------------------------------------------------------------

    def _read_targets(self, camera_id: str, found: _Reaches, reads: Sequence[LprRead],
                      at: datetime) -> tuple[_ReadTarget | None, _ReadTarget | None]:
        """The first read after ``at`` and the last one at or before it (each within READ_WINDOW) at cameras
        beyond this camera's view: where the vehicle went, and where it came from."""
        beyond = [r for r in sorted(reads, key=lambda r: r.read_at)
                  if abs(r.read_at - at) <= READ_WINDOW and r.camera_id != camera_id and r.camera_id in self._cameras
                  and not self._views_meet(camera_id, r.camera_id)]
        # A read inside or at the edge of this view says where in the view the car was, not where it went.
        later = [r for r in beyond if r.read_at > at]
        earlier = [r for r in beyond if r.read_at <= at]
        ahead = self._toward(camera_id, later[0], found, at) if later else None
        behind = self._toward(camera_id, earlier[-1], found, at) if earlier else None
        return ahead, behind

    def _toward(self, camera_id: str, read: LprRead, found: _Reaches, at: datetime) -> _ReadTarget:
        """Which reaches lie on a near-shortest way from this view to the read's camera, and how far it is."""
        rid = read.camera_id
        via = self._street_way(rid, found) if found.exits and self._cover.get(rid) else None
        if via is None:
            via = self._geometry_way(camera_id, rid, found)
        return _ReadTarget(rid, abs((read.read_at - at).total_seconds()), via)

    def _views_meet(self, a: str, b: str) -> bool:
        if self._cover.get(a) and self._cover.get(b):
            return bool(self._cover[a] & self._cover[b])
        ca, cb = self._view_centre(a), self._view_centre(b)
        return math.hypot(ca[0] - cb[0], ca[1] - cb[1]) < (self._cameras[a].range_m + self._cameras[b].range_m) / 2

    def _street_way(self, read_camera: str, found: _Reaches) -> tuple[float | None, ...] | None:
        """Per reach, the street distance to where the read was made through it, if that is a near-shortest way."""
        assert self.streets is not None
        needed = {e.outside for e in found.exits} | {r.first_node for r in found.reaches if r.first_node is not None}
        read_view = self._cover[read_camera]
        to_read, toward = self.streets.shortest({n: 0.0 for n in read_view}, reverse=True, max_m=LPR_SEARCH_M,
                                                until=needed)
        shortest, best = min(((e.length_m + to_read.get(e.outside, math.inf), e) for e in found.exits),
                             key=lambda item: item[0])
        if not math.isfinite(shortest):
            return None
        # A reader reports a car somewhere in its zone, on average half way through: measure the pace to there.
        entry = best.outside
        while entry in toward:
            entry = toward[entry]
        depth, _ = self.streets.shortest({entry: 0.0}, within=read_view)
        half_zone = max(depth.values()) / 2
        limit = shortest * (1 + DETOUR_RATIO) + DETOUR_SLACK_M
        via: list[float | None] = []
        for r in found.reaches:
            total = r.path_m + to_read.get(r.first_node, math.inf) if r.first_node is not None else math.inf
            via.append(total + half_zone if total <= limit else None)
        return tuple(via)

    def _geometry_way(self, camera_id: str, read_camera: str, found: _Reaches) -> tuple[float | None, ...]:
        """As ``_street_way``, in straight lines between the views' centres (times the grid detour)."""
        c, r = self._view_centre(camera_id), self._view_centre(read_camera)
        limit = math.hypot(r[0] - c[0], r[1] - c[1]) * (1 + DETOUR_RATIO) + DETOUR_SLACK_M
        via: list[float | None] = []
        for reach in found.reaches:
            d = self._view_centre(reach.camera_id)
            total = math.hypot(d[0] - c[0], d[1] - c[1]) + math.hypot(r[0] - d[0], r[1] - d[1])
            via.append(total * GEOMETRY_DETOUR if total <= limit else None)
        return tuple(via)


def _proximity(rel_m: float) -> float:
    z = max(-50.0, min(50.0, rel_m / PROXIMITY_SCALE_M))
    return 1.0 / (1.0 + math.exp(z))


def _heading_factor(diff_deg: float) -> float:
    """1 straight ahead, fading to a floor at right angles and behind: a heading is a strong hint, not proof."""
    return HEADING_FLOOR + (1.0 - HEADING_FLOOR) * max(0.0, math.cos(math.radians(diff_deg)))


def _clip(lines: Sequence[StreetLine], box: tuple[float, float, float, float]) -> list[StreetLine]:
    """The parts of ``lines`` whose segments come into ``box`` (a city file may span far more than the cameras)."""
    x0, y0, x1, y1 = box
    out = []
    for line in lines:
        run: list[XY] = []
        for a, b in pairwise(line.points):
            inside = (max(a[0], b[0]) >= x0 and min(a[0], b[0]) <= x1
                      and max(a[1], b[1]) >= y0 and min(a[1], b[1]) <= y1)
            if inside:
                run = run or [a]
                run.append(b)
            elif run:
                out.append(StreetLine(line.name, tuple(run), line.layer, line.oneway))
                run = []
        if run:
            out.append(StreetLine(line.name, tuple(run), line.layer, line.oneway))
    return out


def _simplify(points: Sequence[XY], min_turn_deg: float = 10.0) -> list[XY]:
    """Drop sample points where the path runs straight on; keep its ends and turns."""
    if len(points) <= 2:
        return list(points)
    out = [points[0]]
    for prev, here, nxt in zip(points, points[1:], points[2:], strict=False):
        if angle_diff_deg(plane_bearing(prev, here), plane_bearing(here, nxt)) >= min_turn_deg:
            out.append(here)
    out.append(points[-1])
    return out
