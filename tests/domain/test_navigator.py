"""The neighbour graph on small hand-made sites: street exits, overlap and shadowing, heading (across 0/360),
LPR fusion and its ETAs, which cameras may be hop targets, the geometry-only fallback, and bad input."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from c4desk.domain.camera import Camera, CameraKind
from c4desk.domain.errors import ValidationError
from c4desk.domain.geo import angle_diff_deg, distance_m
from c4desk.domain.navigator import DEFAULT_SPEED_MPS, READ_WINDOW, NeighbourGraph
from c4desk.domain.plates import LprRead
from c4desk.domain.street_graph import LocalPlane

PLANE = LocalPlane(41.765, -72.673)
T0 = datetime(2026, 7, 4, 21, 0, tzinfo=UTC)


def ll(x: float, y: float) -> tuple[float, float]:
    return PLANE.to_latlon(x, y)


def street(name: str, *points: tuple[float, float], **props: Any) -> dict[str, Any]:
    coords = [[ll(x, y)[1], ll(x, y)[0]] for x, y in points]
    return {"type": "Feature", "properties": {"name": name, **props},
            "geometry": {"type": "LineString", "coordinates": coords}}


def streets(*features: dict[str, Any]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


def cam(cid: str, x: float, y: float, heading: float, fov: float = 60.0, rng: float = 120.0,
        kind: CameraKind = CameraKind.FIXED, enabled: bool = True) -> Camera:
    lat, lon = ll(x, y)
    return Camera(id=cid, name=f"Camera {cid}", lat=lat, lon=lon, heading_deg=heading, fov_deg=fov, range_m=rng,
                  kind=kind, enabled=enabled, owner="Shop" if kind is CameraKind.PRIVATE else "")


def ids(found: list[Any]) -> list[str]:
    return [n.camera_id for n in found]


# A crossroads: Main St runs west-east, Oak St south-north, crossing at (0, 0). A dome at the crossing sees 40 m
# of every arm; one fixed camera on each arm looks away from the crossing; an LPR reader far up each arm.
CROSS = streets(street("Main St", (-600, 0), (600, 0)), street("Oak St", (0, -600), (0, 600)))


def cross_cameras() -> list[Camera]:
    return [
        cam("dome", 3, 3, 0, fov=360, rng=40),
        cam("east", 100, 5, 90), cam("west", -100, -5, 270), cam("north", -5, 100, 0), cam("south", 5, -100, 180),
        cam("lpr-n", 5, 300, 180, fov=30, rng=40, kind=CameraKind.LPR),
        cam("lpr-w", -300, 5, 90, fov=30, rng=40, kind=CameraKind.LPR),
    ]


@pytest.fixture(scope="module")
def cross() -> NeighbourGraph:
    return NeighbourGraph.build(cross_cameras(), CROSS)


def read(camera_id: str, seconds: float, plate: str = "6PZ193") -> LprRead:
    return LprRead(camera_id=camera_id, plate_raw=plate, read_at=T0 + timedelta(seconds=seconds))


# --- streets: exits, overlap, shadowing ---------------------------------------------------------------------------

def test_one_street_nearest_first_and_travel_time() -> None:
    # Three cameras looking east down one street: a vehicle leaving a's view meets b, then c behind b.
    g = NeighbourGraph.build([cam("a", 0, 5, 90), cam("b", 300, 5, 90), cam("c", 600, 5, 90)],
                             streets(street("Elm St", (-100, 0), (1000, 0))))
    found = g.neighbours("a", heading_deg=90)
    assert ids(found) == ["b", "c"]
    b, c = found
    assert b.street == "Elm St" and angle_diff_deg(b.direction_deg, 90) < 0.5
    # a sees Elm St to x ~120 m, b from x ~309 m: ~190 m at the typical 10 m/s.
    assert 185 / DEFAULT_SPEED_MPS <= b.travel_s <= 200 / DEFAULT_SPEED_MPS
    assert c.travel_s > b.travel_s and c.score < b.score / 2  # c is behind b (shadowed) and farther
    assert g.sees_streets("a")


def test_overlapping_views_rank_by_how_early_they_see_the_vehicle() -> None:
    # b and c both still see the street where it leaves a's view; b picked the vehicle up 40 m earlier.
    g = NeighbourGraph.build([cam("a", 0, 5, 90), cam("b", 60, 5, 90), cam("c", 100, 5, 90)],
                             streets(street("Elm St", (-100, 0), (1000, 0))))
    b, c = g.neighbours("a", heading_deg=90)
    assert (b.camera_id, c.camera_id) == ("b", "c")
    assert b.travel_s == c.travel_s == 0.0  # already in view as it leaves a's
    assert b.score > c.score > 0.5


def test_a_camera_behind_you_is_reached_the_other_way() -> None:
    g = NeighbourGraph.build([cam("a", 0, 5, 90), cam("back", -20, 5, 270)],
                             streets(street("Elm St", (-300, 0), (300, 0))))
    (back,) = g.neighbours("a")
    assert back.camera_id == "back" and angle_diff_deg(back.direction_deg, 270) < 0.5


def test_heading_picks_the_arm_across_north(cross: NeighbourGraph) -> None:
    assert [ids(cross.neighbours("dome", heading_deg=h))[0] for h in (90, 180, 270, 0)] == [
        "east", "south", "west", "north"]
    for heading in (359.5, -0.5, 0.5, 360.0, 720.0):
        top = cross.neighbours("dome", heading_deg=heading)[0]
        assert top.camera_id == "north", heading
        assert 0.0 <= top.direction_deg < 360.0 and angle_diff_deg(top.direction_deg, 0.0) < 0.5
        assert top.as_json()["direction_deg"] != 360.0


def test_without_heading_every_arm_is_offered(cross: NeighbourGraph) -> None:
    found = cross.neighbours("dome")
    assert set(ids(found)[:4]) == {"east", "west", "north", "south"}
    directions = {n.camera_id: n.direction_deg for n in found}
    for cid, expected in (("east", 90), ("south", 180), ("west", 270), ("north", 0)):
        assert angle_diff_deg(directions[cid], expected) < 0.5
    assert cross.neighbours("dome", limit=2) == found[:2]


def test_oneway_street_is_not_driven_backwards() -> None:
    sites = [street("One Way", (-300, 0), (300, 0), oneway="yes")]
    g = NeighbourGraph.build([cam("a", 0, 5, 90), cam("up", -150, 5, 90), cam("down", 150, 5, 90)], streets(*sites))
    assert ids(g.neighbours("a")) == ["down"]
    assert ids(g.neighbours("down")) == []


# --- hop targets ---------------------------------------------------------------------------------------------------

def test_lpr_private_and_disabled_cameras_are_not_hop_targets() -> None:
    cameras = [cam("a", 0, 5, 90), cam("lpr", 150, 5, 90, fov=30, rng=40, kind=CameraKind.LPR),
               cam("shop", 250, 5, 90, kind=CameraKind.PRIVATE), cam("off", 350, 5, 90, enabled=False),
               cam("ptz", 450, 5, 90, kind=CameraKind.PTZ)]
    line = streets(street("Elm St", (-100, 0), (1000, 0)))
    assert ids(NeighbourGraph.build(cameras, line).neighbours("a")) == ["ptz"]
    with_private = NeighbourGraph.build(cameras, line, hop_kinds=frozenset({CameraKind.FIXED, CameraKind.PRIVATE}))
    assert ids(with_private.neighbours("a")) == ["shop"]
    # An LPR camera is a fine place to start from, though: "ptz" ahead, "a" behind.
    assert ids(NeighbourGraph.build(cameras, line).neighbours("lpr", heading_deg=90)) == ["ptz", "a"]


# --- LPR fusion ------------------------------------------------------------------------------------------------------

def test_a_later_read_puts_the_way_to_it_first_with_an_eta(cross: NeighbourGraph) -> None:
    # The plate is read 20 s later up Oak St (north); the heading says east, the read wins.
    found = cross.neighbours("dome", heading_deg=90, plate_reads=[read("lpr-n", 20)], at=T0)
    north = found[0]
    assert north.camera_id == "north" and north.score > 0.5
    assert all(n.score < 0.5 for n in found[1:])
    # The dome sees Oak St to y ~43 m, "north" from ~109 m and the reader's zone is ~262-298 m: the read implies
    # ~(262 - 43 + 18) m in 20 s, ~11.8 m/s, so "north" is ~66 m / 11.8 m/s ~ 5.6 s away.
    assert north.eta is not None
    assert 4.5 <= (north.eta - T0).total_seconds() <= 7.0
    assert north.travel_s == pytest.approx(6.6, abs=0.6)  # at the typical speed, for comparison


def test_reads_outside_the_window_before_at_or_in_view_are_ignored(cross: NeighbourGraph) -> None:
    plain = cross.neighbours("dome", heading_deg=90, at=T0)
    late = READ_WINDOW.total_seconds() + 5
    for reads in ([read("lpr-n", late)], [read("dome", 10)], [read("unknown", 10)]):
        assert cross.neighbours("dome", heading_deg=90, plate_reads=reads, at=T0) == plain
    # A read at a camera whose view meets this one says where in the view the car was, not where it went.
    g = NeighbourGraph.build([*cross_cameras(), cam("lpr-x", 30, 5, 270, fov=30, rng=40, kind=CameraKind.LPR)],
                             CROSS)
    assert (g.neighbours("dome", heading_deg=90, plate_reads=[read("lpr-x", 10)], at=T0)
            == g.neighbours("dome", heading_deg=90, at=T0))
    # Other plates are the caller's to leave out; ETAs come at the typical speed without a read.
    east = next(n for n in plain if n.camera_id == "east")
    assert east.eta == T0 + timedelta(seconds=east.travel_s)


def test_the_way_back_to_an_earlier_read_is_unlikely(cross: NeighbourGraph) -> None:
    before = {n.camera_id: n.score for n in cross.neighbours("dome")}
    after = {n.camera_id: n.score for n in cross.neighbours("dome", plate_reads=[read("lpr-w", -30)], at=T0)}
    assert after["west"] == pytest.approx(before["west"] / 2)
    assert after["east"] == pytest.approx(before["east"])
    assert cross.neighbours("dome", plate_reads=[read("lpr-w", -30)], at=T0)[-1].camera_id != "east"


# --- geometry only ---------------------------------------------------------------------------------------------------

def test_without_streets_neighbours_come_from_geometry_across_north() -> None:
    cameras = [cam("a", 0, 0, 0, rng=100), cam("ahead", 0, 300, 0, rng=100), cam("right", 200, 0, 90, rng=100),
               cam("ahead-left", -30, 250, 350, rng=100)]
    g = NeighbourGraph.build(cameras)
    assert not g.sees_streets("a")
    found = {n.camera_id: n for n in g.neighbours("a")}
    assert angle_diff_deg(found["ahead"].direction_deg, 0.0) < 0.5
    assert 340.0 < found["ahead-left"].direction_deg < 360.0  # just west of north
    assert angle_diff_deg(found["right"].direction_deg, 101.3) < 1.0  # from a's view centre to right's
    for heading in (5.0, 355.0):
        assert ids(g.neighbours("a", heading_deg=heading))[-1] == "right"
    assert found["ahead"].street == "" and found["ahead"].travel_s > 0


def test_a_camera_that_sees_no_street_falls_back_to_geometry() -> None:
    cameras = [cam("roof", 0, 200, 0, rng=50), cam("east", 100, 5, 90)]
    g = NeighbourGraph.build(cameras, streets(street("Elm St", (-300, 0), (300, 0))))
    assert not g.sees_streets("roof") and g.sees_streets("east")
    (east,) = g.neighbours("roof")
    assert east.camera_id == "east" and east.street == ""


# --- routes (trails on the map) --------------------------------------------------------------------------------------

def test_route_follows_the_streets_round_the_corner(cross: NeighbourGraph) -> None:
    path = cross.route("west", "north")
    cams = {c.id: c for c in cross_cameras()}
    assert path[0] == pytest.approx(PLANE.to_latlon(*PLANE.to_xy(cams["west"].lat, cams["west"].lon)))
    assert path[-1] == pytest.approx((cams["north"].lat, cams["north"].lon))
    corner = ll(0, 0)
    assert min(distance_m(*p, *corner) for p in path) < 1.0
    assert len(path) <= 6  # straight runs are not spelled out sample by sample
    straight = NeighbourGraph.build(cross_cameras()).route("west", "north")
    assert len(straight) == 2


# --- bad input -------------------------------------------------------------------------------------------------------

def test_bad_queries_name_the_field(cross: NeighbourGraph) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"camera_id": "nope"}, "camera_id"),
        ({"camera_id": "dome", "heading_deg": float("nan")}, "heading_deg"),
        ({"camera_id": "dome", "at": datetime(2026, 7, 4, 21, 0)}, "at"),
        ({"camera_id": "dome", "plate_reads": [read("lpr-n", 5)]}, "at"),
        ({"camera_id": "dome", "limit": 0}, "limit"),
    ]
    for kwargs, field in cases:
        with pytest.raises(ValidationError) as info:
            cross.neighbours(**kwargs)
        assert [e.field for e in info.value.errors] == [field], kwargs
    with pytest.raises(ValidationError, match="from_id"):
        cross.route("nope", "east")


def test_bad_builds_name_the_field() -> None:
    with pytest.raises(ValidationError) as info:
        NeighbourGraph.build([cam("a", 0, 0, 0), cam("a", 10, 0, 0)], speed_mps=0, horizon_m=float("inf"))
    assert [e.field for e in info.value.errors] == ["speed_mps", "horizon_m", "cameras"]
    broken = json.loads(json.dumps(CROSS))
    broken["features"][1]["geometry"]["coordinates"][1] = ["east", 41.7]
    with pytest.raises(ValidationError) as info:
        NeighbourGraph.build(cross_cameras(), broken)
    assert info.value.errors[0].field == "features[1].geometry.coordinates[1]"
    with pytest.raises(ValidationError, match="streets"):
        NeighbourGraph.build(cross_cameras(), {"type": "FeatureCollection", "features": "none"})


def test_an_empty_site_has_no_neighbours() -> None:
    g = NeighbourGraph.build([cam("only", 0, 0, 0)], CROSS)
    assert g.neighbours("only") == []
    assert NeighbourGraph.build([], CROSS).cameras == {}
