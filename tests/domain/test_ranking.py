"""Camera ranking for a point: hand-worked cases (the 359/1 wrap included) and properties."""

from __future__ import annotations

import math
import random
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from c4desk.domain.camera import Camera, CameraKind
from c4desk.domain.geo import destination
from c4desk.domain.ranking import COLOCATED_M, rank_cameras

# On the equator 0.001 degree of latitude (or longitude) is 2*pi*R/360 * 0.001 = 111.195 m.
M_PER_MILLIDEG = 2 * math.pi * 6_371_008.8 / 360 * 0.001


def cam(cid: str, heading: float = 0.0, fov: float = 90.0, rng: float = 200.0, kind: CameraKind = CameraKind.FIXED,
        lat: float = 0.0, lon: float = 0.0, enabled: bool = True) -> Camera:
    return Camera(id=cid, name=f"Camera {cid}", lat=lat, lon=lon, heading_deg=heading, fov_deg=fov, range_m=rng,
                  kind=kind, enabled=enabled, owner="x" if kind is CameraKind.PRIVATE else "")


def north_by(deg: float) -> tuple[float, float]:
    """A point 0.001 degree north of (0, 0), turned ``deg`` degrees east (negative: west) of north."""
    return 0.001, 0.001 * math.tan(math.radians(deg))


def test_hand_worked_distance_and_bearing() -> None:
    r = rank_cameras([cam("n")], 0.001, 0.0)
    [e] = r.covering
    assert e.distance_m == pytest.approx(M_PER_MILLIDEG, abs=0.01)
    assert e.bearing_deg == pytest.approx(0.0, abs=1e-9)
    [e] = rank_cameras([cam("e", heading=90)], 0.0, 0.001).covering
    assert e.bearing_deg == pytest.approx(90.0, abs=1e-9)
    [e] = rank_cameras([cam("ne", heading=45)], 0.001, 0.001).covering
    assert e.bearing_deg == pytest.approx(45.0, abs=1e-3)
    assert e.distance_m == pytest.approx(M_PER_MILLIDEG * math.sqrt(2), abs=0.02)
    # 1 degree west of north: tan(1 deg) * 0.001 degree of longitude.
    [e] = rank_cameras([cam("w")], *north_by(-1.0)).covering
    assert e.bearing_deg == pytest.approx(359.0, abs=1e-3)


@pytest.mark.parametrize(
    ("heading", "point_deg", "covered"),
    [
        (359.0, 3.0, True),     # 359 +- 5 spans 354..4 across north
        (359.0, -4.5, True),    # 355.5
        (359.0, 10.0, False),
        (359.0, -6.5, False),   # 353.5
        (1.0, -3.0, True),      # 357: 1 +- 5 spans 356..6
        (1.0, 5.5, True),
        (1.0, -10.0, False),    # 350
        (1.0, 6.5, False),
        (0.0, 4.9, True),
        (0.0, 5.1, False),
    ],
)
def test_fov_across_the_north_wrap(heading: float, point_deg: float, covered: bool) -> None:
    r = rank_cameras([cam("c", heading=heading, fov=10.0)], *north_by(point_deg))
    assert [e.camera_id for e in r.covering] == (["c"] if covered else [])
    assert [e.camera_id for e in r.others] == ([] if covered else ["c"])
    assert r.ordered[0].in_fov is covered


def test_range_limits_coverage() -> None:
    r = rank_cameras([cam("short", rng=100.0), cam("long", rng=120.0)], 0.001, 0.0)  # 111.2 m away
    assert [e.camera_id for e in r.covering] == ["long"]
    assert [e.camera_id for e in r.others] == ["short"]


def test_ptz_covers_within_range_whatever_its_heading() -> None:
    ptz = cam("p", heading=180.0, fov=30.0, kind=CameraKind.PTZ, rng=150.0)
    assert rank_cameras([ptz], 0.001, 0.0).covering[0].in_fov
    assert not rank_cameras([replace(ptz, range_m=100.0)], 0.001, 0.0).others[0].in_fov


def test_private_behaves_like_fixed() -> None:
    priv = cam("pv", heading=180.0, fov=30.0, kind=CameraKind.PRIVATE)
    assert rank_cameras([priv], 0.001, 0.0).others[0].camera_id == "pv"


def test_camera_at_the_point_covers_it() -> None:
    looking_away = cam("here", heading=180.0, fov=10.0)
    [e] = rank_cameras([looking_away], 0.0, 0.0).covering
    assert e.distance_m == 0.0 and e.in_fov and e.bearing_deg == 0.0
    # Half a metre behind it still counts (a position is not known better than that).
    lat, lon = destination(0.0, 0.0, 0.0, COLOCATED_M / 2)
    assert rank_cameras([looking_away], lat, lon).covering


def test_lpr_listed_apart_and_disabled_left_out() -> None:
    cams = [cam("lpr-far", kind=CameraKind.LPR, lat=-0.002), cam("lpr-near", kind=CameraKind.LPR, lat=-0.001),
            cam("off", enabled=False), cam("v")]
    r = rank_cameras(cams, 0.0005, 0.0)
    assert [e.camera_id for e in r.lpr] == ["lpr-near", "lpr-far"]
    assert [e.camera_id for e in r.ordered] == ["v"]
    assert "off" in [e.camera_id for e in rank_cameras(cams, 0.0005, 0.0, include_disabled=True).ordered]


def test_order_covering_by_distance_then_others_by_distance() -> None:
    cams = [
        cam("cover-far", lat=-0.0015, rng=500.0),        # 222 m south, looking north
        cam("cover-near", lat=-0.0005, rng=500.0),       # 55.6 m south
        cam("away-near", lat=-0.0002, heading=180.0),    # 22 m, looking away
        cam("away-far", lat=-0.001, heading=180.0),
        cam("tie-b", lat=0.0, lon=-0.0005, heading=270.0),
        cam("tie-a", lat=0.0, lon=0.0005, heading=0.0),  # same distance as tie-b: by id
    ]
    r = rank_cameras(cams, 0.0, 0.0)
    assert [e.camera_id for e in r.covering] == ["cover-near", "cover-far"]
    assert [e.camera_id for e in r.others] == ["away-near", "tie-a", "tie-b", "away-far"]
    limited = rank_cameras(cams, 0.0, 0.0, limit=3)
    assert [e.camera_id for e in limited.ordered] == ["cover-near", "cover-far", "away-near"]
    assert rank_cameras(cams, 0.0, 0.0, limit=1).others == []


def test_max_distance_and_as_dict() -> None:
    cams = [cam("near", lat=-0.0005), cam("far", lat=-0.01)]
    r = rank_cameras(cams, 0.0, 0.0, max_distance_m=200.0)
    assert [e.camera_id for e in r.ordered] == ["near"]
    assert r.ordered[0].as_dict() == {"camera_id": "near", "name": "Camera near", "kind": "fixed",
                                      "distance_m": 55.6, "bearing_deg": 0.0, "in_fov": True}
    with pytest.raises(ValueError):
        rank_cameras(cams, 0.0, 0.0, limit=-1)


# --- properties ---------------------------------------------------------------------------------------------

kinds = st.sampled_from(list(CameraKind))
lats = st.floats(-60, 60)
lons = st.floats(-179, 179)


@st.composite
def cameras(draw: st.DrawFn, cid: str = "c") -> Camera:
    return cam(cid, heading=draw(st.floats(0, 359.999)), fov=draw(st.floats(1, 360)), rng=draw(st.floats(5, 2000)),
               kind=draw(kinds), lat=draw(lats), lon=draw(lons), enabled=draw(st.booleans()))


@st.composite
def scenes(draw: st.DrawFn) -> tuple[list[Camera], float, float]:
    lat, lon = draw(lats), draw(lons)
    n = draw(st.integers(0, 12))
    out = []
    for i in range(n):
        c = draw(cameras(cid=f"c{i:02d}"))
        # Most cameras near the point, so covering ones are common.
        b, d = draw(st.floats(0, 360)), draw(st.floats(0, 2500))
        clat, clon = destination(lat, lon, b, d)
        out.append(replace(c, lat=clat, lon=clon))
    return out, lat, lon


@given(scenes())
def test_every_enabled_camera_is_listed_once_in_the_right_group(scene: tuple[list[Camera], float, float]) -> None:
    cams, lat, lon = scene
    r = rank_cameras(cams, lat, lon)
    listed = [e.camera_id for e in [*r.covering, *r.others, *r.lpr]]
    assert sorted(listed) == sorted(c.id for c in cams if c.enabled)
    assert all(e.in_fov for e in r.covering) and not any(e.in_fov for e in r.others)
    assert all(e.kind is CameraKind.LPR for e in r.lpr)
    assert not any(e.kind is CameraKind.LPR for e in r.ordered)
    for group in (r.covering, r.others, r.lpr):
        assert [e.distance_m for e in group] == sorted(e.distance_m for e in group)
    assert all(0.0 <= e.bearing_deg < 360.0 and e.distance_m >= 0.0 for e in [*r.ordered, *r.lpr])
    assert all(e.distance_m <= e.camera.range_m for e in r.covering)


@given(scenes(), st.integers(0, 15), st.randoms(use_true_random=False))
def test_limit_is_a_prefix_and_input_order_does_not_matter(scene: tuple[list[Camera], float, float], limit: int,
                                                           rnd: random.Random) -> None:
    cams, lat, lon = scene
    full = rank_cameras(cams, lat, lon)
    shuffled = list(cams)
    rnd.shuffle(shuffled)
    again = rank_cameras(shuffled, lat, lon)
    assert [e.camera_id for e in again.ordered] == [e.camera_id for e in full.ordered]
    assert [e.camera_id for e in again.lpr] == [e.camera_id for e in full.lpr]
    cut = rank_cameras(cams, lat, lon, limit)
    assert [e.camera_id for e in cut.ordered] == [e.camera_id for e in full.ordered][:limit]
    assert [e.camera_id for e in cut.lpr] == [e.camera_id for e in full.lpr][:limit]


@settings(max_examples=300)
@given(cameras(), st.floats(-1, 1), st.floats(0, 1))
def test_points_inside_the_view_are_covered(c: Camera, u: float, v: float) -> None:
    c = replace(c, kind=CameraKind.FIXED, enabled=True)
    half = min(c.fov_deg, 360.0) / 2
    b = c.heading_deg + u * half * 0.98  # may cross 0/360
    d = 2.0 + v * (c.range_m * 0.98 - 2.0)
    lat, lon = destination(c.lat, c.lon, b, d)
    assert rank_cameras([c], lat, lon).covering


@settings(max_examples=300)
@given(cameras(), st.floats(-1, 1), st.floats(2.0, 3000.0))
def test_points_behind_or_beyond_are_not_covered_unless_ptz(c: Camera, u: float, d: float) -> None:
    c = replace(c, enabled=True, kind=CameraKind.FIXED, fov_deg=min(c.fov_deg, 340.0))
    behind = c.heading_deg + 180.0 + u * (180.0 - c.fov_deg / 2 - 2.0)
    lat, lon = destination(c.lat, c.lon, behind, d)
    assert not rank_cameras([c], lat, lon).covering
    as_ptz = rank_cameras([replace(c, kind=CameraKind.PTZ)], lat, lon)
    assert bool(as_ptz.covering) == (as_ptz.ordered[0].distance_m <= c.range_m)
