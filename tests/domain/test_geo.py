"""Geodesy: fixed reference values plus properties that must hold everywhere (incl. across the 0/360 wrap)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from c4desk.domain.geo import EARTH_RADIUS_M, angle_diff_deg, bearing_deg, destination, distance_m

ONE_DEGREE_M = EARTH_RADIUS_M * math.pi / 180

lats = st.floats(min_value=-80, max_value=80, allow_nan=False)
lons = st.floats(min_value=-180, max_value=180, allow_nan=False)
bearings = st.floats(min_value=0, max_value=360, allow_nan=False, exclude_max=True)
city_distances = st.floats(min_value=1, max_value=50_000, allow_nan=False)
angles = st.floats(min_value=-1e5, max_value=1e5, allow_nan=False)


def test_reference_values() -> None:
    assert distance_m(0, 0, 0, 1) == pytest.approx(ONE_DEGREE_M)
    assert distance_m(41.765, -72.673, 41.765, -72.673) == 0
    assert bearing_deg(0, 0, 1, 0) == pytest.approx(0)
    assert bearing_deg(0, 0, 0, 1) == pytest.approx(90)
    assert bearing_deg(0, 0, -1, 0) == pytest.approx(180)
    assert bearing_deg(0, 0, 0, -1) == pytest.approx(270)
    assert destination(0, 0, 90, ONE_DEGREE_M * 90) == pytest.approx((0, 90), abs=1e-9)
    # Crossing the antimeridian eastwards comes back as a negative longitude.
    assert destination(0, 179.5, 90, ONE_DEGREE_M) == pytest.approx((0, -179.5), abs=1e-9)


def test_angle_diff_reference_values() -> None:
    assert angle_diff_deg(359, 1) == pytest.approx(2)
    assert angle_diff_deg(1, 359) == pytest.approx(2)
    assert angle_diff_deg(0, 180) == 180
    assert angle_diff_deg(-90, 270) == 0
    assert angle_diff_deg(720, 10) == pytest.approx(10)


@given(lats, lons, bearings, city_distances)
def test_destination_then_distance_and_bearing_round_trip(
    lat: float, lon: float, brg: float, d: float
) -> None:
    lat2, lon2 = destination(lat, lon, brg, d)
    assert -90 <= lat2 <= 90 and -180 <= lon2 <= 180
    assert distance_m(lat, lon, lat2, lon2) == pytest.approx(d, rel=1e-7, abs=1e-4)
    assert angle_diff_deg(bearing_deg(lat, lon, lat2, lon2), brg) < 1e-5


@given(lats, lons, lats, lons)
def test_bearing_and_distance_lead_back_to_the_point(
    lat1: float, lon1: float, lat2: float, lon2: float
) -> None:
    d = distance_m(lat1, lon1, lat2, lon2)
    if not 1 <= d <= 50_000:
        return  # far or coincident points are outside what the property is about
    back = destination(lat1, lon1, bearing_deg(lat1, lon1, lat2, lon2), d)
    assert distance_m(*back, lat2, lon2) < 1e-3


@given(angles, angles)
def test_angle_diff_is_symmetric_and_bounded(a: float, b: float) -> None:
    d = angle_diff_deg(a, b)
    assert 0 <= d <= 180
    assert angle_diff_deg(b, a) == pytest.approx(d, abs=1e-9)


@given(angles, st.floats(min_value=-180, max_value=180, allow_nan=False), st.integers(-5, 5))
def test_angle_diff_measures_the_short_way_across_the_wrap(a: float, delta: float, turns: int) -> None:
    assert angle_diff_deg(a, a + delta + 360 * turns) == pytest.approx(abs(delta), abs=1e-6)


@given(bearings)
def test_bearing_is_in_range(brg: float) -> None:
    lat2, lon2 = destination(41.765, -72.673, brg, 500)
    assert 0 <= bearing_deg(41.765, -72.673, lat2, lon2) < 360
