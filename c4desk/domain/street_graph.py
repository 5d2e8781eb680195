"""The site's street network as a graph a vehicle can drive, sampled finely enough to ask what a camera sees of it.

The input is the street GeoJSON the map draws (LineStrings and MultiLineStrings, e.g. the demo's grid or an OSM
extract). Lines are joined where they share a vertex, where they cross (unless their ``layer``/``bridge``/
``tunnel`` properties put them on different levels) and where one ends on another (T junctions). Every street is
then sampled every few metres: a camera "sees" a street where sample points lie in its field-of-view sector, and
"where does a vehicle leaving this view go next" becomes a shortest-path question on the samples.

All work is done on a local plane (metres east/north of a reference point), exact to centimetres over a city.
Pure Python, no I/O: the caller reads the file.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from c4desk.domain.errors import FieldError, ValidationError
from c4desk.domain.geo import EARTH_RADIUS_M, angle_diff_deg

XY = tuple[float, float]
DEFAULT_SPACING_M = 5.0
# Vertices closer than this are one junction (survey noise, lines digitised separately).
SNAP_M = 1.0
# A camera does not see what passes right under it; the demo's own "sighting" uses the same blind radius.
BLIND_RADIUS_M = 2.0
# Lines tagged as these are not driven (OSM ``highway`` values); rails and rivers are skipped as well.
NOT_DRIVABLE = frozenset({"footway", "path", "cycleway", "steps", "pedestrian", "bridleway", "corridor",
                          "platform", "elevator", "proposed", "construction", "abandoned", "raceway"})
_CELL_M = 25.0
_SEGMENT_CELL_M = 100.0


@dataclass(frozen=True)
class LocalPlane:
    """Metres east/north of a reference point (equirectangular about it)."""

    lat0: float
    lon0: float

    @property
    def _k(self) -> float:
        return math.radians(1.0) * EARTH_RADIUS_M

    def to_xy(self, lat: float, lon: float) -> XY:
        dlon = (lon - self.lon0 + 540.0) % 360.0 - 180.0
        return dlon * self._k * math.cos(math.radians(self.lat0)), (lat - self.lat0) * self._k

    def to_latlon(self, x: float, y: float) -> tuple[float, float]:
        lat = self.lat0 + y / self._k
        lon = self.lon0 + x / (self._k * math.cos(math.radians(self.lat0)))
        return lat, (lon + 540.0) % 360.0 - 180.0


def plane_bearing(a: XY, b: XY) -> float:
    """Bearing from a to b on the plane, degrees clockwise from north in [0, 360)."""
    return math.degrees(math.atan2(b[0] - a[0], b[1] - a[1])) % 360.0


def sector_contains(apex: XY, heading_deg: float, fov_deg: float, range_m: float, p: XY,
                    blind_m: float = BLIND_RADIUS_M) -> bool:
    """Whether ``p`` lies in the view sector (outside the blind radius right under the camera)."""
    d = math.hypot(p[0] - apex[0], p[1] - apex[1])
    if d > range_m or d < blind_m:
        return False
    return fov_deg >= 360.0 or angle_diff_deg(plane_bearing(apex, p), heading_deg) <= fov_deg / 2.0


@dataclass(frozen=True)
class StreetLine:
    """One drivable line as read from the file: its points on the plane and how it may be driven."""

    name: str
    points: tuple[XY, ...]
    layer: str = "0"
    # +1: only in digitised order, -1: only against it, 0: both ways.
    oneway: int = 0


class StreetGraph:
    """Sample points (nodes) along the streets, joined by directed edges a vehicle may drive.

    ``out[n]`` / ``inc[n]``: (other node, length m, street index) of the edges leaving / entering node n.
    """

    def __init__(self, lines: Sequence[StreetLine], spacing_m: float = DEFAULT_SPACING_M) -> None:
        if not spacing_m > 0:
            raise ValidationError([FieldError("spacing_m", "must be positive")])
        self.spacing_m = spacing_m
        self.xy: list[XY] = []
        self.streets: list[str] = []
        self._out: list[dict[int, tuple[float, int]]] = []
        self._snap: dict[tuple[int, int], list[int]] = {}
        self._layers: list[str] = []
        self._ends: list[bool] = []
        self._build(lines)
        self.out: list[tuple[tuple[int, float, int], ...]] = [
            tuple((v, length, street) for v, (length, street) in edges.items()) for edges in self._out]
        incoming: list[list[tuple[int, float, int]]] = [[] for _ in self.xy]
        for u, edges in enumerate(self.out):
            for v, length, street in edges:
                incoming[v].append((u, length, street))
        self.inc: list[tuple[tuple[int, float, int], ...]] = [tuple(e) for e in incoming]
        self._grid: dict[tuple[int, int], list[int]] = {}
        for n, (x, y) in enumerate(self.xy):
            self._grid.setdefault((math.floor(x / _CELL_M), math.floor(y / _CELL_M)), []).append(n)
        del self._out, self._snap, self._layers, self._ends

    def __len__(self) -> int:
        return len(self.xy)

    # --- queries ------------------------------------------------------------------------------------------------

    def nodes_near(self, p: XY, radius_m: float) -> Iterator[int]:
        """Nodes within ``radius_m`` of p."""
        x0, x1 = math.floor((p[0] - radius_m) / _CELL_M), math.floor((p[0] + radius_m) / _CELL_M)
        y0, y1 = math.floor((p[1] - radius_m) / _CELL_M), math.floor((p[1] + radius_m) / _CELL_M)
        for cx in range(x0, x1 + 1):
            for cy in range(y0, y1 + 1):
                for n in self._grid.get((cx, cy), ()):
                    q = self.xy[n]
                    if math.hypot(q[0] - p[0], q[1] - p[1]) <= radius_m:
                        yield n

    def nearest(self, p: XY, radius_m: float) -> int | None:
        best = min(self.nodes_near(p, radius_m), default=None,
                   key=lambda n: math.hypot(self.xy[n][0] - p[0], self.xy[n][1] - p[1]))
        return best

    def in_sector(self, apex: XY, heading_deg: float, fov_deg: float, range_m: float) -> frozenset[int]:
        """The nodes a camera at ``apex`` sees (its field of view as a sector; blind right under it)."""
        return frozenset(n for n in self.nodes_near(apex, range_m)
                         if sector_contains(apex, heading_deg, fov_deg, range_m, self.xy[n]))

    def length(self, u: int, v: int) -> float:
        for w, length, _street in self.out[u]:
            if w == v:
                return length
        raise KeyError(f"no edge {u} -> {v}")

    def street_of(self, u: int, v: int) -> str:
        for w, _length, street in self.out[u]:
            if w == v:
                return self.streets[street]
        return ""

    def shortest(self, sources: Mapping[int, float], *, blocked: Collection[int] = (),
                 within: Collection[int] | None = None, max_m: float = math.inf, until: Collection[int] = (),
                 until_any: bool = False, reverse: bool = False) -> tuple[dict[int, float], dict[int, int]]:
        """Dijkstra from ``sources`` (node -> starting distance) over edges (``reverse``: against them).

        Never enters ``blocked`` nodes nor, when given, nodes outside ``within`` (sources are exempt). Stops
        beyond ``max_m``, or once every node of ``until`` is settled (``until_any``: once one of them is).
        Returns (distance, predecessor) of the settled nodes, in the order they settled.
        """
        edges = self.inc if reverse else self.out
        dist: dict[int, float] = {}
        pred: dict[int, int] = {}
        best = dict(sources)
        heap = [(d, n) for n, d in sources.items()]
        heapq.heapify(heap)
        waiting = set(until)
        while heap:
            d, n = heapq.heappop(heap)
            if n in dist or d > best.get(n, math.inf):
                continue
            if d > max_m:
                break
            dist[n] = d
            if n in waiting:
                waiting.discard(n)
                if until_any or not waiting:
                    break
            for m, length, _street in edges[n]:
                if m in dist or m in blocked or (within is not None and m not in within):
                    continue
                nd = d + length
                if nd < best.get(m, math.inf):
                    best[m] = nd
                    pred[m] = n
                    heapq.heappush(heap, (nd, m))
        return dist, {n: p for n, p in pred.items() if n in dist}

    # --- construction -------------------------------------------------------------------------------------------

    def _build(self, lines: Sequence[StreetLine]) -> None:
        segments = [(li, a, b) for li, line in enumerate(lines) for a, b in pairwise(line.points)
                    if math.hypot(b[0] - a[0], b[1] - a[1]) > 1e-6]
        splits = _split_points(segments, [line.layer for line in lines])
        first = {li: si for si, (li, _a, _b) in reversed(list(enumerate(segments)))}
        last = {li: si for si, (li, _a, _b) in enumerate(segments)}
        street_index: dict[str, int] = {}
        for si, (li, a, b) in enumerate(segments):
            line = lines[li]
            street = street_index.setdefault(line.name, len(street_index))
            ts = sorted({0.0, 1.0, *splits.get(si, ())})
            prev = self._node(a, line.layer, end=first[li] == si)
            for t0, t1 in pairwise(ts):
                piece = math.hypot(b[0] - a[0], b[1] - a[1]) * (t1 - t0)
                steps = max(1, math.ceil(piece / self.spacing_m - 1e-9))
                for k in range(1, steps + 1):
                    t = t0 + (t1 - t0) * k / steps
                    end = last[li] == si and t1 == 1.0 and k == steps
                    node = self._node((a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])), line.layer, end)
                    if node != prev:
                        self._edge(prev, node, line.oneway, street)
                    prev = node
        self.streets = list(street_index)

    def _node(self, p: XY, layer: str, end: bool) -> int:
        """The node at p: an existing one within SNAP_M on the same level, or where a line ends (a bridge's ends
        join the streets it lands on, its middle does not join the street under it); else a new one."""
        cx, cy = math.floor(p[0] / SNAP_M), math.floor(p[1] / SNAP_M)
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                for n in self._snap.get((cx + dx, cy + dy), ()):
                    q = self.xy[n]
                    if math.hypot(q[0] - p[0], q[1] - p[1]) <= SNAP_M and (
                            end or self._ends[n] or self._layers[n] == layer):
                        self._ends[n] = self._ends[n] or end
                        return n
        n = len(self.xy)
        self.xy.append(p)
        self._out.append({})
        self._layers.append(layer)
        self._ends.append(end)
        self._snap.setdefault((cx, cy), []).append(n)
        return n

    def _edge(self, u: int, v: int, oneway: int, street: int) -> None:
        length = math.hypot(self.xy[v][0] - self.xy[u][0], self.xy[v][1] - self.xy[u][1])
        for a, b, allowed in ((u, v, oneway >= 0), (v, u, oneway <= 0)):
            if allowed and (b not in self._out[a] or self._out[a][b][0] > length):
                self._out[a][b] = (length, street)


def _split_points(segments: Sequence[tuple[int, XY, XY]], layers: Sequence[str]) -> dict[int, list[float]]:
    """Where each segment must be cut so that crossings and T junctions become shared nodes (segment -> t)."""
    cells: dict[tuple[int, int], list[int]] = {}
    for si, (_li, a, b) in enumerate(segments):
        for cell in _cells(a, b):
            cells.setdefault(cell, []).append(si)
    splits: dict[int, list[float]] = {}
    seen: set[tuple[int, int]] = set()
    for members in cells.values():
        for i, si in enumerate(members):
            for sj in members[i + 1:]:
                pair = (min(si, sj), max(si, sj))
                if pair in seen:
                    continue
                seen.add(pair)
                li, a, b = segments[si]
                lj, c, d = segments[sj]
                if layers[li] != layers[lj]:
                    continue  # a bridge over a street is no junction
                for seg, t in _meeting(a, b, c, d, si, sj):
                    if 1e-9 < t < 1 - 1e-9:
                        splits.setdefault(seg, []).append(t)
    return splits


def _cells(a: XY, b: XY) -> Iterable[tuple[int, int]]:
    pad, cell = SNAP_M, _SEGMENT_CELL_M
    x0, x1 = math.floor((min(a[0], b[0]) - pad) / cell), math.floor((max(a[0], b[0]) + pad) / cell)
    y0, y1 = math.floor((min(a[1], b[1]) - pad) / cell), math.floor((max(a[1], b[1]) + pad) / cell)
    return [(cx, cy) for cx in range(x0, x1 + 1) for cy in range(y0, y1 + 1)]


def _meeting(a: XY, b: XY, c: XY, d: XY, si: int, sj: int) -> list[tuple[int, float]]:
    """Cut points of segment si (a-b) and sj (c-d): their crossing, and an end of one lying on the other."""
    out: list[tuple[int, float]] = []
    rx, ry = b[0] - a[0], b[1] - a[1]
    sx, sy = d[0] - c[0], d[1] - c[1]
    den = rx * sy - ry * sx
    if abs(den) > 1e-12:
        t = ((c[0] - a[0]) * sy - (c[1] - a[1]) * sx) / den
        u = ((c[0] - a[0]) * ry - (c[1] - a[1]) * rx) / den
        if 0.0 <= t <= 1.0 and 0.0 <= u <= 1.0:
            out += [(si, t), (sj, u)]
    for p, seg, (q0, q1) in ((c, si, (a, b)), (d, si, (a, b)), (a, sj, (c, d)), (b, sj, (c, d))):
        t, dist = _project(q0, q1, p)
        if dist <= SNAP_M:
            out.append((seg, t))
    return out


def _project(a: XY, b: XY, p: XY) -> tuple[float, float]:
    ax, ay = b[0] - a[0], b[1] - a[1]
    den = ax * ax + ay * ay
    t = max(0.0, min(1.0, ((p[0] - a[0]) * ax + (p[1] - a[1]) * ay) / den))
    return t, math.hypot(a[0] + t * ax - p[0], a[1] + t * ay - p[1])


# --- reading GeoJSON -----------------------------------------------------------------------------------------------

def street_lines(geojson: Mapping[str, Any], plane: LocalPlane) -> list[StreetLine]:
    """The drivable lines of a GeoJSON object (FeatureCollection, Feature or geometry), on ``plane``.

    Other geometry types (labels, parks) and non-drivable lines (footways, rails, rivers) are skipped; a
    malformed coordinate is a ValidationError naming where it is.
    """
    if not isinstance(geojson, Mapping):
        raise ValidationError([FieldError("streets", "not a GeoJSON object")])
    errors: list[FieldError] = []
    lines: list[StreetLine] = []
    kind = geojson.get("type")
    if kind == "FeatureCollection":
        features = geojson.get("features")
        if not isinstance(features, list):
            raise ValidationError([FieldError("streets.features", "must be a list")])
        for i, feature in enumerate(features):
            _feature(feature, f"features[{i}]", plane, lines, errors)
    elif kind == "Feature":
        _feature(geojson, "feature", plane, lines, errors)
    else:
        _geometry(geojson, "geometry", {}, plane, lines, errors)
    if errors:
        raise ValidationError(errors)
    return lines


def _feature(feature: Any, where: str, plane: LocalPlane, lines: list[StreetLine], errors: list[FieldError]) -> None:
    if not isinstance(feature, Mapping) or feature.get("type") != "Feature":
        errors.append(FieldError(where, "not a GeoJSON Feature"))
        return
    props = feature.get("properties") or {}
    if not isinstance(props, Mapping):
        errors.append(FieldError(f"{where}.properties", "must be an object"))
        return
    if feature.get("geometry") is not None and _drivable(props):
        _geometry(feature["geometry"], f"{where}.geometry", props, plane, lines, errors)


def _drivable(props: Mapping[str, Any]) -> bool:
    highway = props.get("highway")
    if highway is not None:
        return str(highway) not in NOT_DRIVABLE
    return not any(props.get(k) for k in ("railway", "waterway", "aeroway", "power"))


def _geometry(geom: Any, where: str, props: Mapping[str, Any], plane: LocalPlane, lines: list[StreetLine],
              errors: list[FieldError]) -> None:
    if not isinstance(geom, Mapping):
        errors.append(FieldError(where, "not a GeoJSON geometry"))
        return
    kind = geom.get("type")
    if kind == "GeometryCollection":
        parts = geom.get("geometries")
        if not isinstance(parts, list):
            errors.append(FieldError(f"{where}.geometries", "must be a list"))
            return
        for i, part in enumerate(parts):
            _geometry(part, f"{where}.geometries[{i}]", props, plane, lines, errors)
        return
    if kind not in ("LineString", "MultiLineString"):
        return
    coords = geom.get("coordinates")
    parts_in = [coords] if kind == "LineString" else coords
    if not isinstance(parts_in, list):
        errors.append(FieldError(f"{where}.coordinates", "must be a list"))
        return
    for pi, part in enumerate(parts_in):
        at = f"{where}.coordinates" if kind == "LineString" else f"{where}.coordinates[{pi}]"
        points = _positions(part, at, plane, errors)
        if points is not None and len(points) >= 2:
            lines.append(StreetLine(name=str(props.get("name") or props.get("ref") or ""), points=tuple(points),
                                    layer=_layer(props), oneway=_oneway(props)))


def _positions(part: Any, where: str, plane: LocalPlane, errors: list[FieldError]) -> list[XY] | None:
    if not isinstance(part, list):
        errors.append(FieldError(where, "must be a list of positions"))
        return None
    out: list[XY] = []
    for i, pos in enumerate(part):
        ok = (isinstance(pos, list | tuple) and len(pos) >= 2
              and all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in pos[:2]))
        if not ok or not (-180.0 <= pos[0] <= 180.0 and -90.0 <= pos[1] <= 90.0):
            errors.append(FieldError(f"{where}[{i}]", f"not a [lon, lat] position: {pos!r}"[:120]))
            return None
        out.append(plane.to_xy(float(pos[1]), float(pos[0])))
    return out


def _layer(props: Mapping[str, Any]) -> str:
    if props.get("layer") not in (None, ""):
        return str(props["layer"]).strip()
    if str(props.get("bridge", "no")).lower() not in ("no", "false", "0", ""):
        return "1"
    if str(props.get("tunnel", "no")).lower() not in ("no", "false", "0", ""):
        return "-1"
    return "0"


def _oneway(props: Mapping[str, Any]) -> int:
    value = str(props.get("oneway", "")).strip().lower()
    if value in ("-1", "reverse"):
        return -1
    if value in ("yes", "true", "1") or str(props.get("junction", "")).lower() == "roundabout":
        return 1
    return 0
