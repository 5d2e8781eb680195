"""A trail's exports: GeoJSON (path along the streets, one point per step), CSV (safe in a spreadsheet), map points."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from c4desk.demo import city
from c4desk.domain.camera import Camera
from c4desk.domain.hop_trail import CSV_COLUMNS, Trail, TrailStep, trail_csv, trail_geojson, trail_path, trail_points
from c4desk.domain.navigator import NeighbourGraph

T0 = datetime(2026, 7, 4, 21, 0, 30, tzinfo=UTC)
CAMERAS = {c.id: c for c in city.demo_cameras()}


def trail(*steps: tuple[str, float, float | None]) -> Trail:
    return Trail(id=7, plate="6PZ193", label="getaway", started_by="ana", created_at=T0, case_id=3, steps=tuple(
        TrailStep(i, cid, T0 + timedelta(seconds=t_in), None if t_out is None else T0 + timedelta(seconds=t_out))
        for i, (cid, t_in, t_out) in enumerate(steps, 1)))


def test_trail_state() -> None:
    t = trail(("cam01", 0, 14), ("cam02", 14, None))
    assert t.is_open and t.current is not None and t.current.camera_id == "cam02"
    assert t.started_at == T0 and t.ended_at is None and t.camera_ids == ("cam01", "cam02")
    assert t.steps[0].dwell_s == 14.0 and t.steps[1].dwell_s is None
    assert not Trail(1, "", "", "ana", T0).is_open


def test_geojson_follows_the_streets_and_keeps_every_step() -> None:
    graph = NeighbourGraph.build(list(CAMERAS.values()), city.streets_geojson())
    t = trail(("cam01", 0, 14), ("cam02", 14, 30), ("cam04", 30, 41), ("gone", 41, 50))
    doc = trail_geojson(t, CAMERAS, graph.route)
    path, *points = doc["features"]
    assert path["properties"]["cameras"] == ["cam01", "cam02", "cam04", "gone"]
    assert path["properties"]["start"] == T0.isoformat()
    assert path["properties"]["end"] == (T0 + timedelta(seconds=50)).isoformat()
    coords = path["geometry"]["coordinates"]
    assert coords[0] == [CAMERAS["cam01"].lon, CAMERAS["cam01"].lat]
    assert coords[-1] == [CAMERAS["cam04"].lon, CAMERAS["cam04"].lat]
    # cam02 -> cam04 turns the corner at Trumbull & Elm: the line passes that intersection.
    corner_lat, corner_lon = city.Node(2, 1).latlon
    assert min(abs(lat - corner_lat) + abs(lon - corner_lon) for lon, lat in coords) < 2e-5
    assert [p["properties"]["camera_id"] for p in points] == ["cam01", "cam02", "cam04", "gone"]
    assert points[1]["properties"]["dwell_s"] == 16.0
    assert points[3]["geometry"] is None  # a deleted camera keeps its step and times
    straight = trail_path(t, CAMERAS)
    assert len(straight) == 3


def test_csv_rows_and_formula_guard() -> None:
    cams = dict(CAMERAS)
    cams["cam02"] = Camera(id="cam02", name="=HYPERLINK(\"x\")", lat=41.76, lon=-72.67)
    text = trail_csv(trail(("cam01", 0, 14), ("cam02", 14, None)), cams)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert rows[0]["camera_name"] == "Ann Uccello & Elm EB" and rows[0]["dwell_s"] == "14.0"
    assert rows[0]["lon"].startswith("-72.")  # a negative number stays a number
    assert rows[1]["camera_name"].startswith("'=") and rows[1]["time_out"] == "" and rows[1]["case_id"] == "3"


def test_map_points_label_camera_and_times() -> None:
    points = trail_points(trail(("cam01", 0, 14), ("cam02", 14, None), ("gone", 20, None)), CAMERAS)
    assert len(points) == 2
    assert points[0] == (CAMERAS["cam01"].lat, CAMERAS["cam01"].lon, "1. Ann Uccello & Elm EB 21:00:30-21:00:44")
    assert points[1][2] == "2. High & Elm EB 21:00:44"
