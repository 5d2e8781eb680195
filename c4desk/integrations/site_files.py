"""Camera site files (CSV or GeoJSON): parse, validate every record, report every problem at once.

An administrator importing 300 cameras wants the whole list of mistakes in one go, each pointing at the
spot to fix, so nothing stops at the first error. ``FieldError.line`` is the CSV line (header = line 1), the
1-based feature index for GeoJSON, or JSON's own line when the file is not valid JSON. Nothing is stored here;
the caller imports ``cameras`` only when ``ok``.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from c4desk.domain.camera import CAMERA_FIELDS, REQUIRED_FIELDS, Camera, parse_camera
from c4desk.domain.errors import FieldError, ValidationError
from c4desk.integrations.csv_records import csv_records

CSV_SUFFIXES = frozenset({".csv"})
GEOJSON_SUFFIXES = frozenset({".geojson", ".json"})


@dataclass
class SiteFile:
    path: Path
    cameras: list[Camera] = field(default_factory=list)
    errors: list[FieldError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def read_site_file(path: Path | str) -> SiteFile:
    """Read a .csv, .geojson or .json camera file. Problems are returned in ``errors``, never raised."""
    path = Path(path)
    out = SiteFile(path)
    suffix = path.suffix.lower()
    if suffix not in CSV_SUFFIXES | GEOJSON_SUFFIXES:
        reason = f"unknown file type {suffix or '(none)'!r}: use .csv, .geojson or .json"
        out.errors.append(FieldError("file", reason))
        return out
    try:
        data = path.read_bytes()
    except OSError as exc:
        out.errors.append(FieldError("file", f"cannot read: {exc.strerror or exc}"))
        return out
    try:
        # utf-8-sig: spreadsheet programs put a byte-order mark in front of the header.
        content = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        reason = f"not UTF-8 text (byte 0x{data[exc.start]:02x}); save the file as UTF-8"
        out.errors.append(FieldError("file", reason, line))
        return out
    if suffix in CSV_SUFFIXES:
        _read_csv(content, out)
    else:
        _read_geojson(content, out)
    return out


class _Collector:
    """Turns raw records into cameras, tags errors with their line, refuses duplicate ids and serials."""

    def __init__(self, out: SiteFile) -> None:
        self.out = out
        self.ids: dict[str, int] = {}
        self.serials: dict[str, int] = {}

    def add(self, raw: dict[str, Any], line: int, rename: dict[str, str] | None = None) -> None:
        """``rename`` reports a field under another name, keeping the old one in the reason."""
        try:
            cam = parse_camera(raw)
        except ValidationError as exc:
            for err in exc.errors:
                if rename and err.field in rename:
                    err = replace(err, field=rename[err.field], reason=f"{err.field} {err.reason}")
                self.out.errors.append(replace(err, line=line))
            return
        if cam.id in self.ids:
            reason = f"duplicate id {cam.id!r} (first on line {self.ids[cam.id]})"
            self.out.errors.append(FieldError("id", reason, line))
            return
        if cam.serial and cam.serial in self.serials:
            reason = f"duplicate serial {cam.serial!r} (first on line {self.serials[cam.serial]})"
            self.out.errors.append(FieldError("serial", reason, line))
            return
        self.ids[cam.id] = line
        if cam.serial:
            self.serials[cam.serial] = line
        self.out.cameras.append(cam)


def _read_csv(content: str, out: SiteFile) -> None:
    reader = csv.reader(io.StringIO(content, newline=""))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        out.errors.append(FieldError("header", f"unreadable CSV: {exc}", 1))
        return
    if header is None or not any(h.strip() for h in header):
        reason = f"empty file: expected a header line naming at least {', '.join(REQUIRED_FIELDS)}"
        out.errors.append(FieldError("file", reason, 1))
        return
    # Known column names are matched loosely ("Lat " is lat); an agency's own columns are kept as written.
    names = [h.strip().lower() if h.strip().lower() in CAMERA_FIELDS else h.strip() for h in header]
    missing = [f for f in REQUIRED_FIELDS if f not in names]
    if missing:
        out.errors.append(FieldError("header", f"missing required column(s): {', '.join(missing)}", 1))
        return
    duplicated = sorted({n for n in names if n and names.count(n) > 1})
    if duplicated:
        out.errors.append(FieldError("header", f"duplicate column(s): {', '.join(duplicated)}", 1))
        return
    collector = _Collector(out)
    for start, raw in csv_records(reader, names, out.errors):
        if raw is not None:
            collector.add(raw, start)


def _read_geojson(content: str, out: SiteFile) -> None:
    try:
        doc = json.loads(content)
    except json.JSONDecodeError as exc:
        out.errors.append(FieldError("json", f"{exc.msg} (column {exc.colno})", exc.lineno))
        return
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        got = doc.get("type") if isinstance(doc, dict) else type(doc).__name__
        out.errors.append(FieldError("type", f"expected a GeoJSON FeatureCollection, got {got!r}"))
        return
    features = doc.get("features")
    if not isinstance(features, list):
        out.errors.append(FieldError("features", "must be a list of Point features"))
        return
    collector = _Collector(out)
    for index, feature in enumerate(features, start=1):
        raw = _feature_record(feature, index, out)
        if raw is not None:
            # The position came from the geometry, so that is what a bad lat or lon should point at.
            collector.add(raw, index, rename={"lat": "geometry.coordinates", "lon": "geometry.coordinates"})


def _feature_record(feature: Any, index: int, out: SiteFile) -> dict[str, Any] | None:
    def fail(name: str, reason: str) -> None:
        out.errors.append(FieldError(name, reason, index))

    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        fail("type", "expected a GeoJSON Feature")
        return None
    geometry = feature.get("geometry")
    if not isinstance(geometry, dict):
        fail("geometry", "missing; a camera needs a Point")
        return None
    if geometry.get("type") != "Point":
        fail("geometry.type", f"{geometry.get('type')!r} is not a Point")
        return None
    coords = geometry.get("coordinates")
    if not (isinstance(coords, list) and len(coords) in (2, 3)
            and all(isinstance(c, int | float) and not isinstance(c, bool) for c in coords)):
        fail("geometry.coordinates", f"expected [lon, lat] numbers, got {json.dumps(coords)}")
        return None
    props = feature.get("properties") or {}
    if not isinstance(props, dict):
        fail("properties", "must be an object")
        return None
    raw: dict[str, Any] = {
        # Nested agency properties are kept as JSON text, not Python reprs.
        k: json.dumps(v) if isinstance(v, dict | list) else v for k, v in props.items()
    }
    if raw.get("id") in (None, "") and isinstance(feature.get("id"), str | int):
        raw["id"] = feature["id"]  # GeoJSON's own feature id is a fine camera id
    # GeoJSON order is [lon, lat]; the geometry wins over any lat/lon properties.
    raw["lon"], raw["lat"] = coords[0], coords[1]
    return raw
