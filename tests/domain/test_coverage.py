"""Camera coverage: reference cases on the demo city, and properties checked against a sampled field of view."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from c4desk.demo.city import demo_cameras
from c4desk.domain.camera import Camera
from c4desk.domain.coverage import cameras_in_circle, cameras_in_polygon, covers_point, fov_polygon
from c4desk.domain.geo import angle_diff_deg, bearing_deg, destination, distance_m

LAT, LON = 41.765, -72.673


def cam(heading: float = 0.0, fov: float = 60.0, rng: float = 100.0, lat: float = LAT, lon: float = LON,
        cid: str = "c1") -> Camera:
    return Camera(id=cid, name=cid, lat=lat, lon=lon, heading_deg=heading, fov_deg=fov, range_m=rng)


def ids(cameras: list[Camera]) -> list[str]:
    return [c.id for c in cameras]


# --- reference cases -------------------------------------------------------------------------------------------

def test_covers_point_reference() -> None:
    c = cam(heading=90, fov=60, rng=100)
    assert covers_point(c, *destination(LAT, LON, 90, 50))
    assert covers_point(c, *destination(LAT, LON, 115, 99))
    assert not covers_point(c, *destination(LAT, LON, 125, 50))  # outside the 60 degree cone
    assert not covers_point(c, *destination(LAT, LON, 90, 101))  # beyond range
    assert not covers_point(c, *destination(LAT, LON, 270, 10))  # behind the camera
    assert covers_point(c, LAT, LON)


def test_view_across_north() -> None:
    c = cam(heading=350, fov=40)
    assert covers_point(c, *destination(LAT, LON, 5, 50))
    assert not covers_point(c, *destination(LAT, LON, 15, 50))


def test_full_circle_view() -> None:
    c = cam(fov=360, rng=80)
    assert all(covers_point(c, *destination(LAT, LON, b, 79)) for b in range(0, 360, 15))
    ring = fov_polygon(c, steps=12)
    assert len(ring) == 12
    assert all(distance_m(LAT, LON, *p) == pytest.approx(80, rel=1e-6) for p in ring)


def test_fov_polygon_shape() -> None:
    c = cam(heading=45, fov=90, rng=120)
    ring = fov_polygon(c, steps=9)
    assert ring[0] == (LAT, LON)
    assert len(ring) == 11
    assert bearing_deg(LAT, LON, *ring[1]) == pytest.approx(0, abs=1e-6)
    assert bearing_deg(LAT, LON, *ring[-1]) == pytest.approx(90, abs=1e-6)
    assert len(fov_polygon(c)) == 2 + 18  # default: one arc segment per 5 degrees


def test_circle_selects_cameras_standing_in_it_or_looking_into_it() -> None:
    centre = destination(LAT, LON, 0, 300)
    looking = cam(heading=0, rng=250, cid="looking")  # 300 m south, its view ends 50 m short of the centre...
    away = cam(heading=180, rng=250, cid="away")
    inside = cam(heading=180, lat=centre[0], lon=centre[1], cid="inside")
    cams = [looking, away, inside]
    assert ids(cameras_in_circle(cams, *centre, 60)) == ["looking", "inside"]  # ...so a 60 m circle reaches it
    assert ids(cameras_in_circle(cams, *centre, 40)) == ["inside"]
    assert ids(cameras_in_circle(cams, *centre, 60, include_fov=False)) == ["inside"]


def test_circle_touching_only_the_side_of_a_cone() -> None:
    c = cam(heading=90, fov=20, rng=200)
    # A point 100 m east and 30 m north: outside the narrow cone (which is ~17.6 m wide there).
    p = destination(*destination(LAT, LON, 90, 100), 0, 30)
    assert not covers_point(c, *p)
    assert ids(cameras_in_circle([c], *p, 10)) == []
    assert ids(cameras_in_circle([c], *p, 16)) == ["c1"]


def test_polygon_cases() -> None:
    square = [destination(LAT, LON, b, 70.7) for b in (45, 135, 225, 315)]  # 100 m square round (LAT, LON)
    far = destination(LAT, LON, 270, 150)
    towards = cam(heading=90, rng=120, lat=far[0], lon=far[1], cid="towards")  # view reaches 20 m into it
    short = cam(heading=90, rng=90, lat=far[0], lon=far[1], cid="short")  # stops 10 m short
    away = cam(heading=270, rng=500, lat=far[0], lon=far[1], cid="away")
    centre = cam(cid="centre")
    cams = [towards, short, away, centre]
    assert ids(cameras_in_polygon(cams, square)) == ["towards", "centre"]
    assert ids(cameras_in_polygon(cams, [*square, square[0]])) == ["towards", "centre"]  # closed ring
    assert ids(cameras_in_polygon(cams, square[::-1])) == ["towards", "centre"]
    assert ids(cameras_in_polygon(cams, square, include_fov=False)) == ["centre"]
    assert cameras_in_polygon(cams, square[:2]) == []
    assert cameras_in_polygon(cams, [square[0]] * 4) == []


def test_polygon_wholly_inside_a_view() -> None:
    c = cam(heading=0, fov=90, rng=500)
    tiny = [destination(*destination(LAT, LON, 0, 200), b, 5) for b in (0, 120, 240)]
    assert ids(cameras_in_polygon([c], tiny)) == ["c1"]


def test_demo_city_pearl_and_trumbull() -> None:
    cams = demo_cameras()
    # cam04 stands 8 m south of the Trumbull & Pearl corner looking north; a 20 m circle on the corner has it.
    corner = destination(*next((c.lat, c.lon) for c in cams if c.id == "cam04"), 0, 8)
    inside = ids(cameras_in_circle(cams, *corner, 20, include_fov=False))
    assert "cam04" in inside
    seen = ids(cameras_in_circle(cams, *corner, 20))
    assert set(inside) <= set(seen)
    assert all(distance_m(c.lat, c.lon, *corner) <= 20 or any(
        distance_m(*p, *corner) <= 20.5 for p in _sector_samples(c)) for c in cams if c.id in seen)


# --- properties --------------------------------------------------------------------------------------------------

lats = st.floats(min_value=-70, max_value=70, allow_nan=False)
lons = st.floats(min_value=-179, max_value=179, allow_nan=False)
headings = st.floats(min_value=0, max_value=360, allow_nan=False, exclude_max=True)
fovs = st.floats(min_value=1, max_value=360, allow_nan=False)
ranges = st.floats(min_value=5, max_value=500, allow_nan=False)
unit = st.floats(min_value=0, max_value=1, allow_nan=False)


@st.composite
def cameras(draw: st.DrawFn) -> Camera:
    return cam(heading=draw(headings), fov=draw(fovs), rng=draw(ranges), lat=draw(lats), lon=draw(lons))


def _sector_samples(c: Camera, n_ang: int = 48, n_rad: int = 24) -> list[tuple[float, float]]:
    fov = min(c.fov_deg, 360.0)
    out = [(c.lat, c.lon)]
    for i in range(n_ang + 1):
        b = c.heading_deg - fov / 2 + fov * i / n_ang
        out.extend(destination(c.lat, c.lon, b, c.range_m * j / n_rad) for j in range(1, n_rad + 1))
    return out


def _spacing(c: Camera, n_ang: int = 48, n_rad: int = 24) -> float:
    """Upper bound on how far any point of the sector is from the nearest sample."""
    return c.range_m * (math.radians(min(c.fov_deg, 360.0)) / n_ang + 1.0 / n_rad)


@given(cameras(), unit, unit)
def test_points_well_inside_the_sector_are_covered(c: Camera, u: float, v: float) -> None:
    b = c.heading_deg + (u - 0.5) * min(c.fov_deg, 360.0) * 0.98
    assert covers_point(c, *destination(c.lat, c.lon, b, v * c.range_m * 0.98))


@given(cameras(), headings, st.floats(min_value=1.02, max_value=5))
def test_points_outside_are_not_covered(c: Camera, b: float, k: float) -> None:
    assert not covers_point(c, *destination(c.lat, c.lon, b, c.range_m * k))
    if c.fov_deg < 350 and angle_diff_deg(b, c.heading_deg) > c.fov_deg / 2 + 1:
        assert not covers_point(c, *destination(c.lat, c.lon, b, c.range_m * 0.5))


@given(cameras(), st.integers(min_value=1, max_value=72))
def test_fov_polygon_lies_on_the_sector(c: Camera, steps: int) -> None:
    ring = fov_polygon(c, steps)
    full = c.fov_deg >= 360
    arc = ring if full else ring[1:]
    assert len(arc) == (steps if full else steps + 1)
    for p in arc:
        assert distance_m(c.lat, c.lon, *p) == pytest.approx(c.range_m, rel=1e-6)
        if not full:
            assert angle_diff_deg(bearing_deg(c.lat, c.lon, *p), c.heading_deg) <= c.fov_deg / 2 + 1e-6


@settings(max_examples=150, deadline=None)
@given(cameras(), headings, st.floats(min_value=0, max_value=800), st.floats(min_value=1, max_value=300))
def test_circle_selection_matches_sampled_view(c: Camera, b: float, d: float, r: float) -> None:
    centre = destination(c.lat, c.lon, b, d)
    with_view = cameras_in_circle([c], *centre, r) == [c]
    stands_in = cameras_in_circle([c], *centre, r, include_fov=False) == [c]
    assert stands_in == (distance_m(c.lat, c.lon, *centre) <= r)
    assert with_view or not stands_in
    nearest = min(distance_m(*p, *centre) for p in _sector_samples(c))
    tol = _spacing(c) + 0.01
    if nearest <= r - tol:
        assert with_view
    if nearest > r + tol:
        assert not with_view


@st.composite
def boxes(draw: st.DrawFn, c: Camera) -> tuple[list[tuple[float, float]], tuple[float, float, float, float]]:
    """An axis-aligned lat/lon box within about 1 km of the camera, as a ring and as (s, w, n, e)."""
    dlat = 1000 / 111_195
    dlon = dlat / math.cos(math.radians(c.lat))
    s = c.lat + draw(st.floats(min_value=-1, max_value=1)) * dlat
    w = c.lon + draw(st.floats(min_value=-1, max_value=1)) * dlon
    n = s + draw(st.floats(min_value=0.01, max_value=0.6)) * dlat
    e = w + draw(st.floats(min_value=0.01, max_value=0.6)) * dlon
    return [(s, w), (s, e), (n, e), (n, w)], (s, w, n, e)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_polygon_selection_matches_sampled_view(data: st.DataObject) -> None:
    c = data.draw(cameras())
    ring, (s, w, n, e) = data.draw(boxes(c))

    def box_distance(p: tuple[float, float]) -> float:
        return distance_m(*p, min(max(p[0], s), n), min(max(p[1], w), e))

    selected = cameras_in_polygon([c], ring) == [c]
    assert selected == (cameras_in_polygon([c], ring[::-1]) == [c])
    stands_in = cameras_in_polygon([c], ring, include_fov=False) == [c]
    edge_m = min(abs(c.lat - s), abs(n - c.lat)) * 111_195, min(abs(c.lon - w), abs(e - c.lon)) * 111_195
    if min(edge_m) * math.cos(math.radians(c.lat)) > 0.01:  # on the edge itself either answer is fine
        assert stands_in == (s <= c.lat <= n and w <= c.lon <= e)
    samples = _sector_samples(c)
    tol = _spacing(c) + 0.01
    if any(box_distance(p) == 0 and min(p[0] - s, n - p[0]) * 111_195 > tol
           and min(p[1] - w, e - p[1]) * 111_195 * math.cos(math.radians(p[0])) > tol for p in samples):
        assert selected
    if min(box_distance(p) for p in samples) > tol:
        assert not selected
