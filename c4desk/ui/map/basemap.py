"""What the map draws under everything: the site's street GeoJSON, an MBTiles file, or a local XYZ tile folder.

Every loader returns what is usable plus a list of plain-language problems; none of them raises on bad input,
so a broken file costs the analyst that basemap, never the map.
"""

from __future__ import annotations

import html
import json
import math
import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

GEOMETRY_TYPES = frozenset({"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon"})
_DEPTH = {"Point": 0, "MultiPoint": 1, "LineString": 1, "MultiLineString": 2, "Polygon": 2, "MultiPolygon": 3}
TILE_MIME = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "webp": "image/webp"}
_MAX_EXAMPLES = 3


@dataclass
class BasemapSpec:
    kind: str  # "streets", "mbtiles" or "xyz"
    target: str = ""


def parse_basemap(spec: str) -> BasemapSpec:
    kind, _, target = spec.partition(":")
    if kind in ("mbtiles", "xyz") and target:
        return BasemapSpec(kind, target)
    return BasemapSpec("streets")


def _position_ok(p: Any) -> bool:
    return (isinstance(p, list | tuple) and len(p) >= 2
            and all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in p[:2])
            and -180 <= p[0] <= 180 and -90 <= p[1] <= 90)


def _coords_ok(coords: Any, depth: int) -> bool:
    if depth == 0:
        return _position_ok(coords)
    return isinstance(coords, list) and len(coords) > 0 and all(_coords_ok(c, depth - 1) for c in coords)


def _feature_problem(feature: Any) -> str | None:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        return "not a GeoJSON Feature"
    geom = feature.get("geometry")
    if not isinstance(geom, dict) or geom.get("type") not in GEOMETRY_TYPES:
        return "no supported geometry"
    if not _coords_ok(geom.get("coordinates"), _DEPTH[geom["type"]]):
        return f"{geom['type']} has missing or out-of-range coordinates"
    return None


def load_streets(source: dict[str, Any] | str | Path | None) -> tuple[dict[str, Any] | None, list[str]]:
    """A FeatureCollection of the valid features of ``source`` (a dict or a file path), and the problems."""
    if source is None:
        return None, ["no street map was given: the map has no basemap"]
    data: Any = source
    if isinstance(source, str | Path):
        try:
            data = json.loads(Path(source).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            return None, [f"street map {source}: cannot be read as JSON ({exc})"]
    if isinstance(data, dict) and data.get("type") == "Feature":
        data = {"type": "FeatureCollection", "features": [data]}
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection" or not isinstance(
            data.get("features"), list):
        return None, ["street map: not a GeoJSON FeatureCollection; no streets drawn"]
    good, bad = [], []
    for index, feature in enumerate(data["features"]):
        problem = _feature_problem(feature)
        if problem is None:
            props = feature.get("properties")
            good.append({"type": "Feature", "geometry": feature["geometry"],
                         "properties": props if isinstance(props, dict) else {}})
        else:
            bad.append(f"feature {index}: {problem}")
    problems = []
    if bad:
        problems.append(f"street map: skipped {len(bad)} of {len(data['features'])} features ("
                        + "; ".join(bad[:_MAX_EXAMPLES]) + ("; ..." if len(bad) > _MAX_EXAMPLES else "") + ")")
    if not good:
        problems.append("street map: no usable features; no streets drawn")
        return None, problems
    return {"type": "FeatureCollection", "features": good}, problems


def geojson_bounds(fc: dict[str, Any]) -> tuple[float, float, float, float] | None:
    """(south, west, north, east) of a FeatureCollection that ``load_streets`` accepted."""
    lons: list[float] = []
    lats: list[float] = []

    def walk(c: Any) -> None:
        if _position_ok(c):
            lons.append(float(c[0]))
            lats.append(float(c[1]))
        else:
            for item in c:
                walk(item)

    for f in fc["features"]:
        walk(f["geometry"]["coordinates"])
    return (min(lats), min(lons), max(lats), max(lons)) if lats else None


@dataclass
class MBTiles:
    """An MBTiles file (SQLite, TMS rows: y counted from the south) read through one read-only connection."""

    path: Path
    metadata: dict[str, str] = field(default_factory=dict)
    mime: str = "image/png"
    _db: sqlite3.Connection | None = None

    @classmethod
    def open(cls, path: str | Path) -> tuple[MBTiles | None, list[str]]:
        p = Path(path)
        if not p.is_file():
            return None, [f"MBTiles {p}: no such file"]
        db = None
        try:
            db = sqlite3.connect(f"file:{p}?mode=ro", uri=True)
            meta = {str(k): str(v) for k, v in db.execute("SELECT name, value FROM metadata")}
            db.execute("SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles LIMIT 1").fetchall()
        except sqlite3.Error as exc:
            if db is not None:
                db.close()
            return None, [f"MBTiles {p}: not a usable MBTiles file ({exc})"]
        fmt = meta.get("format", "png").lower()
        if fmt not in TILE_MIME:
            db.close()
            return None, [f"MBTiles {p}: tile format {fmt!r} is not supported (png, jpg or webp raster tiles)"]
        return cls(p, meta, TILE_MIME[fmt], db), []

    def tile(self, z: int, x: int, y: int) -> tuple[str, bytes] | None:
        if self._db is None:
            return None
        row = self._db.execute("SELECT tile_data FROM tiles WHERE zoom_level=? AND tile_column=? AND tile_row=?",
                               (z, x, (1 << z) - 1 - y)).fetchone()
        return (self.mime, bytes(row[0])) if row and row[0] else None

    def zoom_range(self) -> tuple[int, int]:
        try:
            return int(self.metadata.get("minzoom", 0)), int(self.metadata.get("maxzoom", 18))
        except ValueError:
            return 0, 18

    def bounds(self) -> tuple[float, float, float, float] | None:
        """(south, west, north, east) from the metadata, if it is there and sane."""
        try:
            w, s, e, n = (float(v) for v in self.metadata["bounds"].split(","))
        except (KeyError, ValueError):
            return None
        ok = -180 <= w < e <= 180 and -90 <= s < n <= 90
        return (s, w, n, e) if ok else None

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


@dataclass
class XyzFolder:
    """Tiles from a local folder laid out by a template such as ``/srv/tiles/{z}/{x}/{y}.png``."""

    template: str

    @classmethod
    def open(cls, template: str) -> tuple[XyzFolder | None, list[str]]:
        parts = urlsplit(template)
        path = unquote(parts.path) if parts.scheme == "file" else template
        if not all(k in path for k in ("{z}", "{x}", "{y}")):
            return None, [f"XYZ tiles {template}: the template needs {{z}}, {{x}} and {{y}}"]
        root = Path(re.split(r"\{[zxy]\}", path, maxsplit=1)[0])
        if not root.is_dir():
            return None, [f"XYZ tiles {template}: folder {root} does not exist"]
        return cls(path), []

    def tile(self, z: int, x: int, y: int) -> tuple[str, bytes] | None:
        p = Path(self.template.replace("{z}", str(z)).replace("{x}", str(x)).replace("{y}", str(y)))
        if not p.is_file():
            return None
        return TILE_MIME.get(p.suffix.lstrip(".").lower(), "image/png"), p.read_bytes()


def plain_attribution(text: str) -> str:
    """An attribution line as plain text: tile-set metadata is not trusted HTML (the page escapes it again)."""
    return html.unescape(re.sub(r"<[^>]*>", "", text)).strip()
