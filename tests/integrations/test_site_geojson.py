"""Camera site files in GeoJSON: the happy path and every kind of feature and document error, exact text."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from c4desk.domain.camera import CameraKind, PtzProtocol
from c4desk.integrations.site_files import SiteFile, read_site_file


def messages(site: SiteFile) -> list[str]:
    return [str(e) for e in site.errors]


def feature(props: dict[str, Any], coords: Any = (-72.6734, 41.7661), geometry: Any = None) -> dict[str, Any]:
    geom = geometry if geometry is not None else {"type": "Point", "coordinates": list(coords)}
    return {"type": "Feature", "geometry": geom, "properties": props}


def read_geojson(tmp_path: Path, doc: Any, name: str = "site.geojson") -> SiteFile:
    path = tmp_path / name
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc, indent=2), encoding="utf-8")
    return read_site_file(path)


def collection(*features: Any) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


def test_geojson_happy_path(tmp_path: Path) -> None:
    doc = collection(
        feature(
            {
                "id": "ptz-1",
                "name": "Main & Pearl",
                "heading_deg": 135,
                "kind": "ptz",
                "ptz_protocol": "onvif",
                "ptz_url": "http://10.0.0.5/onvif",
                "enabled": False,
                "zone": "downtown",
                "poles": [1, 2],
                "lat": 0,
                "lon": 0,
            }
        ),
        {
            "type": "Feature",
            "id": "lpr-1",
            "geometry": {"type": "Point", "coordinates": [-72.68, 41.764, 12.0]},
            "properties": {"name": "Capitol Ave", "kind": "lpr"},
        },
    )
    site = read_geojson(tmp_path, doc)
    assert site.ok
    ptz, lpr = site.cameras
    assert (ptz.lat, ptz.lon) == (41.7661, -72.6734)  # from the geometry, [lon, lat]; properties ignored
    assert (ptz.heading_deg, ptz.ptz_protocol, ptz.enabled) == (135.0, PtzProtocol.ONVIF, False)
    assert ptz.extra == {"zone": "downtown", "poles": "[1, 2]"}
    assert (lpr.id, lpr.lat, lpr.lon, lpr.kind) == ("lpr-1", 41.764, -72.68, CameraKind.LPR)


def test_geojson_json_suffix_is_accepted(tmp_path: Path) -> None:
    site = read_geojson(tmp_path, collection(feature({"id": "c1", "name": "A"})), name="cams.JSON")
    assert site.ok and [c.id for c in site.cameras] == ["c1"]


GEOJSON_FEATURE_ERRORS = [
    (
        feature({"id": "c2", "name": "B"}, geometry={"type": "LineString", "coordinates": [[0, 0], [1, 1]]}),
        "line 2: geometry.type: 'LineString' is not a Point",
    ),
    (
        {"type": "Feature", "geometry": None, "properties": {"id": "c2", "name": "B"}},
        "line 2: geometry: missing; a camera needs a Point",
    ),
    (
        feature({"id": "c2", "name": "B"}, coords=["-72.6", "41.7"]),
        'line 2: geometry.coordinates: expected [lon, lat] numbers, got ["-72.6", "41.7"]',
    ),
    (
        feature({"id": "c2", "name": "B"}, coords=[-72.6]),
        "line 2: geometry.coordinates: expected [lon, lat] numbers, got [-72.6]",
    ),
    (
        feature({"id": "c2", "name": "B"}, coords=[-72.6, 91]),
        "line 2: geometry.coordinates: lat 91 is outside [-90, 90]",
    ),
    (
        feature({"id": "c2", "name": "B"}, coords=[200, 41.7]),
        "line 2: geometry.coordinates: lon 200 is outside [-180, 180]",
    ),
    (
        {
            "type": "Feature",
            "properties": {"id": "c2", "name": "B"},
            "geometry": {"type": "Point", "coordinates": []},
        },
        "line 2: geometry.coordinates: expected [lon, lat] numbers, got []",
    ),
    ({"type": "Point", "coordinates": [0, 0]}, "line 2: type: expected a GeoJSON Feature"),
    (
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [0, 0]}, "properties": [1]},
        "line 2: properties: must be an object",
    ),
    (
        feature({"id": "c2", "name": "B", "kind": "dome"}),
        "line 2: kind: 'dome' not one of fixed, ptz, lpr, private",
    ),
    (
        feature({"id": "c2", "name": "B", "heading_deg": True}),
        "line 2: heading_deg: must be a number, not a boolean",
    ),
    (
        feature({"id": "c2", "name": "B", "ptz_protocol": "vapix"}),
        "line 2: ptz_url: required when ptz_protocol is vapix",
    ),
    (
        feature({"id": "c2", "name": "B", "stream_main": "rtsp://u:p@10.0.0.9/x"}),
        "line 2: stream_main: URL carries a password; store it in the keyring and set credential_ref",
    ),
    (feature({"id": "c2"}), "line 2: name: required"),
    (feature({"id": "c1", "name": "again"}), "line 2: id: duplicate id 'c1' (first on line 1)"),
]


@pytest.mark.parametrize(
    ("bad", "expected"), GEOJSON_FEATURE_ERRORS, ids=[e for _, e in GEOJSON_FEATURE_ERRORS]
)
def test_geojson_feature_errors(tmp_path: Path, bad: Any, expected: str) -> None:
    site = read_geojson(tmp_path, collection(feature({"id": "c1", "name": "A"}), bad))
    assert messages(site) == [expected]
    assert [c.id for c in site.cameras] == ["c1"]


def test_geojson_nan_coordinate(tmp_path: Path) -> None:
    # json.dumps would refuse NaN, but json.loads (and so a hand-edited file) accepts it.
    text = '{"type": "FeatureCollection", "features": [{"type": "Feature",'
    text += ' "properties": {"id": "c1", "name": "A"},'
    text += ' "geometry": {"type": "Point", "coordinates": [NaN, 41.7]}}]}'
    assert messages(read_geojson(tmp_path, text)) == ["line 1: geometry.coordinates: lon must be finite"]


def test_geojson_broken_json_reports_its_own_line(tmp_path: Path) -> None:
    # Line 4 is the feature with the missing comma.
    text = '{\n  "type": "FeatureCollection",\n  "features": [\n'
    text += '    {"type": "Feature" "geometry": null}\n  ]\n}\n'
    site = read_geojson(tmp_path, text)
    assert messages(site) == ["line 4: json: Expecting ',' delimiter (column 24)"]
    assert site.cameras == []


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        (
            {"type": "Feature", "geometry": None, "properties": {}},
            "type: expected a GeoJSON FeatureCollection, got 'Feature'",
        ),
        ([1, 2], "type: expected a GeoJSON FeatureCollection, got 'list'"),
        ({"type": "FeatureCollection", "features": {}}, "features: must be a list of Point features"),
        ("", "line 1: json: Expecting value (column 1)"),
    ],
)
def test_geojson_document_errors(tmp_path: Path, doc: Any, expected: str) -> None:
    assert messages(read_geojson(tmp_path, doc)) == [expected]
