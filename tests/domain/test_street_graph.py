"""Reading a street GeoJSON into a drivable graph: junctions where lines cross or end on each other, none where a
bridge passes over, one-way streets, lines that are not streets, and what a camera's sector sees."""

from __future__ import annotations

import math
from typing import Any

import pytest

from c4desk.domain.errors import ValidationError
from c4desk.domain.street_graph import LocalPlane, StreetGraph, street_lines

PLANE = LocalPlane(41.765, -72.673)


def line(*points: tuple[float, float], kind: str = "LineString", **props: Any) -> dict[str, Any]:
    coords = [[PLANE.to_latlon(x, y)[1], PLANE.to_latlon(x, y)[0]] for x, y in points]
    return {"type": "Feature", "properties": props, "geometry": {"type": kind, "coordinates": coords}}


def graph(*features: dict[str, Any]) -> StreetGraph:
    return StreetGraph(street_lines({"type": "FeatureCollection", "features": list(features)}, PLANE))


def node(g: StreetGraph, x: float, y: float) -> int:
    n = g.nearest((x, y), 3.0)
    assert n is not None, (x, y)
    return n


def drive(g: StreetGraph, a: tuple[float, float], b: tuple[float, float]) -> float:
    dist, _ = g.shortest({node(g, *a): 0.0})
    return dist.get(node(g, *b), math.inf)


def test_plane_round_trip() -> None:
    lat, lon = PLANE.to_latlon(123.4, -567.8)
    assert PLANE.to_xy(lat, lon) == pytest.approx((123.4, -567.8), abs=1e-6)


def test_lines_crossing_without_a_shared_vertex_meet() -> None:
    g = graph(line((-100, 0), (100, 0), name="Main"), line((0, -100), (0, 100), name="Oak"))
    assert drive(g, (-50, 0), (0, 50)) == pytest.approx(100.0, abs=0.01)
    assert set(g.streets) == {"Main", "Oak"}
    assert g.street_of(node(g, 0, 0), node(g, 0, 5)) == "Oak"


def test_a_side_street_ending_on_another_joins_it() -> None:
    # Digitised half a metre short of Main St, as survey data often is.
    g = graph(line((-100, 0), (100, 0), name="Main"), line((30, 0.5), (30, 100), name="Side"))
    assert drive(g, (-100, 0), (30, 100)) == pytest.approx(230.0, abs=1.0)


def test_a_bridge_over_a_street_is_no_junction() -> None:
    g = graph(line((-100, 0), (100, 0), name="Main"), line((0, -100), (0, 100), name="Overpass", bridge="yes"))
    assert drive(g, (-100, 0), (0, 100)) == math.inf
    layered = graph(line((-100, 0), (100, 0), name="Main"), line((0, -100), (0, 100), name="Tunnel", layer=-1))
    assert drive(layered, (-100, 0), (0, 100)) == math.inf


def test_one_way_streets() -> None:
    g = graph(line((0, 0), (100, 0), oneway="yes"), line((0, 10), (100, 10), oneway="-1"),
              line((0, 20), (100, 20), junction="roundabout"))
    assert drive(g, (0, 0), (100, 0)) == pytest.approx(100.0)
    assert drive(g, (100, 0), (0, 0)) == math.inf
    assert drive(g, (0, 10), (100, 10)) == math.inf
    assert drive(g, (100, 10), (0, 10)) == pytest.approx(100.0)
    assert drive(g, (100, 20), (0, 20)) == math.inf


def test_non_streets_are_skipped() -> None:
    features = [line((0, 0), (100, 0), highway="footway"), line((0, 10), (100, 10), railway="rail"),
                {"type": "Feature", "properties": {"name": "label"},
                 "geometry": {"type": "Point", "coordinates": [-72.673, 41.765]}},
                {"type": "Feature", "properties": {}, "geometry": None},
                line((0, 20), (100, 20), name="Real St", highway="residential")]
    lines = street_lines({"type": "FeatureCollection", "features": features}, PLANE)
    assert [ln.name for ln in lines] == ["Real St"]


def test_multilinestring_and_bare_geometry() -> None:
    a = line((0, 0), (50, 0))["geometry"]["coordinates"]
    b = line((0, 30), (50, 30))["geometry"]["coordinates"]
    lines = street_lines({"type": "MultiLineString", "coordinates": [a, b]}, PLANE)
    assert len(lines) == 2 and lines[1].points[0] == pytest.approx((0, 30), abs=1e-6)


def test_samples_are_close_enough_for_a_camera_sector() -> None:
    g = graph(line((0, 0), (200, 0)))
    assert all(length <= 5.0 + 1e-9 for edges in g.out for _v, length, _s in edges)
    seen = g.in_sector((0, 5), 90.0, 60.0, 100.0)
    xs = sorted(g.xy[n][0] for n in seen)
    # From 5 m off the street, a 60 degree view starts ~8.7 m along it and reaches ~99.9 m.
    assert xs[0] == pytest.approx(10.0) and xs[-1] == pytest.approx(95.0)
    assert g.in_sector((0, 0), 0.0, 360.0, 1.5) == frozenset()  # blind right under the camera


def test_malformed_input_names_where() -> None:
    bad = line((0, 0), (10, 0))
    bad["geometry"]["coordinates"][1] = [float("inf"), 41.0]
    with pytest.raises(ValidationError) as info:
        street_lines({"type": "FeatureCollection", "features": [line((0, 0), (1, 1)), bad]}, PLANE)
    assert info.value.errors[0].field == "features[1].geometry.coordinates[1]"
    with pytest.raises(ValidationError, match="features\\[0\\]: not a GeoJSON Feature"):
        street_lines({"type": "FeatureCollection", "features": ["x"]}, PLANE)
    with pytest.raises(ValidationError, match="spacing_m"):
        StreetGraph([], spacing_m=0)


def test_a_bridge_joins_the_streets_at_its_ends() -> None:
    g = graph(line((-100, 0), (100, 0), name="Main"),
              line((0, -100), (0, -40), name="Oak"), line((0, -40), (0, 40), name="Oak bridge", layer=1),
              line((0, 40), (0, 100), name="Oak"))
    assert drive(g, (0, -100), (0, 100)) == pytest.approx(200.0)
    assert drive(g, (-100, 0), (0, 100)) == math.inf
