"""The demo's seeded description: where the vehicle is, who sees it when, and what the scenario raises."""

from __future__ import annotations

from itertools import pairwise

import pytest

from c4desk.demo import city, script
from c4desk.domain.camera import CameraKind
from c4desk.domain.geo import distance_m
from c4desk.domain.ranking import rank_cameras

BY_ID = {p.id: p for p in city.PLACEMENTS}


def test_site_has_the_cameras_the_story_needs() -> None:
    kinds = [p.kind for p in city.PLACEMENTS]
    assert len(kinds) >= 16
    assert kinds.count(CameraKind.PTZ) >= 2 and kinds.count(CameraKind.LPR) >= 4
    cams = city.demo_cameras()
    assert len({c.serial for c in cams}) == len(cams)
    for c in cams:  # centred on downtown Hartford
        assert distance_m(c.lat, c.lon, 41.765, -72.673) < 600


def test_fixed_cameras_look_down_a_street() -> None:
    """Every fixed camera's heading is along a street (the grid is north/east aligned)."""
    for p in city.PLACEMENTS:
        if p.kind is CameraKind.FIXED:
            assert p.heading_deg % 90 == 0, p.id


def test_vehicle_follows_the_route_at_constant_speed() -> None:
    assert script.vehicle_position(script.ROUTE_START_S - 0.1) is None
    assert script.vehicle_position(script.ROUTE_END_S + 0.1) is None
    for i, node in enumerate(script.ROUTE):
        pos = script.vehicle_position(script.node_time(i))
        assert pos == pytest.approx(node.offset_m, abs=1e-6)
    a, b = script.vehicle_position(30.0), script.vehicle_position(31.0)
    assert a is not None and b is not None
    assert ((b[0] - a[0]) ** 2 + (b[1] - a[1]) ** 2) ** 0.5 == pytest.approx(script.SPEED_MPS, rel=1e-6)


def test_cameras_along_the_route_see_it_in_route_order() -> None:
    passes = [p for p in script.passes() if BY_ID[p.camera_id].kind is CameraKind.FIXED]
    order = [p.camera_id for p in passes]
    assert order == ["cam01", "cam02", "cam03", "cam04", "cam05", "cam06"]
    assert all(a.t_in < b.t_in for a, b in pairwise(passes))
    for ps in passes:  # consistent: the sighting function agrees with each pass, inside and out
        mid = (ps.t_in + ps.t_out) / 2
        assert script.sighting(BY_ID[ps.camera_id], mid) is not None
        assert script.sighting(BY_ID[ps.camera_id], ps.t_out + 1.0) is None


def test_the_shot_is_on_the_route_and_seen_by_the_cameras_ranked_for_it() -> None:
    gunshot = [e for e in script.events() if e.kind == "gunshot"]
    assert len(gunshot) == 1
    lat, lon = float(gunshot[0].payload["lat"]), float(gunshot[0].payload["lon"])  # type: ignore[arg-type]
    node_lat, node_lon = script.ROUTE[script.SHOT_NODE_INDEX].latlon
    assert distance_m(lat, lon, node_lat, node_lon) < 15
    ranked = rank_cameras(city.demo_cameras(), lat, lon)
    covering = {r.camera_id for r in ranked.covering}
    assert {"cam02", "ptz01"} <= covering  # the camera looking down the getaway street, and the nearby PTZ
    # The alert arrives after the shot, while the vehicle is still in the city.
    assert script.node_time(script.SHOT_NODE_INDEX) < gunshot[0].t < script.ROUTE_END_S


def test_suspect_reads_come_from_the_lpr_cameras_it_passes() -> None:
    reads = [e for e in script.events() if e.kind == "lpr_read" and e.payload["plate"] == script.SUSPECT_PLATE]
    assert [e.payload["camera_id"] for e in reads] == ["lpr01", "lpr02", "lpr03"]
    for e in reads:
        assert script.sighting(BY_ID[str(e.payload["camera_id"])], e.t) is not None
    assert script.SUSPECT_PLATE in script.BOLO_HOTLIST_CSV


def test_description_is_deterministic() -> None:
    assert script.events() == script.events()
    assert all(0 <= e.t < script.PERIOD_S for e in script.events())
