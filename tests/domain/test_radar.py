"""The radar pilot's arithmetic on constructed readings: light colours, percentiles, before/after by hour."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from c4desk.domain.errors import ValidationError
from c4desk.domain.radar import (
    MPH_TO_KMH,
    PolicyBand,
    RadarReading,
    RadarSite,
    before_after,
    light_colour,
    light_events,
    parse_policy,
    percentile,
)

POLICY = (PolicyBand(48.0, "amber"), PolicyBand(64.0, "red"))


def test_light_colour_bands_start_at_their_speed() -> None:
    assert light_colour(POLICY, 47.9) is None  # below every band: no light
    assert light_colour(POLICY, 48.0) == "amber"
    assert light_colour(POLICY, 63.99) == "amber"
    assert light_colour(POLICY, 64.0) == "red"
    assert light_colour(POLICY, 150.0) == "red"
    assert light_colour((), 90.0) is None


def test_light_events_count_every_colour() -> None:
    assert light_events(POLICY, [30, 50, 55, 70, 47]) == {"amber": 2, "red": 1}
    assert light_events(POLICY, []) == {"amber": 0, "red": 0}


def test_parse_policy_checks_bands() -> None:
    assert parse_policy([{"from_kmh": 48, "colour": "amber"}, {"from_kmh": 64.5, "colour": " red "}]) == (
        PolicyBand(48.0, "amber"), PolicyBand(64.5, "red"))
    with pytest.raises(ValidationError) as err:
        parse_policy([{"from_kmh": 64, "colour": "red"}, {"from_kmh": 48, "colour": "amber"},
                      {"from_kmh": "fast", "colour": "blue"}, {"from_kmh": 90, "colour": ""}])
    assert [str(e) for e in err.value.errors] == [
        "policy[1].from_kmh: 48 does not rise above 64", "policy[2].from_kmh: 'fast' is not a speed >= 0",
        "policy[3].colour: '' is not a colour name (1-32 chars)"]


def test_percentile_by_linear_interpolation() -> None:
    values = [float(v) for v in range(10, 0, -1)]  # 1..10, unsorted
    # rank 0.85 * 9 = 7.65 -> 8 + 0.65 * (9 - 8)
    assert percentile(values, 0.85) == pytest.approx(8.65)
    assert percentile(values, 0.5) == pytest.approx(5.5)
    assert percentile([42.0], 0.85) == 42.0
    assert percentile([], 0.85) is None


def test_reading_checks_its_fields() -> None:
    at = datetime(2026, 3, 1, 12, tzinfo=UTC)
    with pytest.raises(ValidationError) as err:
        RadarReading(sensor_id=" ", read_at=datetime(2026, 3, 1, 12), speed_kmh=-3, direction="sideways",
                     heading_deg=360.0, lane="x" * 17)
    assert {e.field for e in err.value.errors} == {"device", "time", "speed_kmh", "direction", "heading_deg", "lane"}
    assert RadarReading(sensor_id="r1", read_at=at, speed_kmh=30 * MPH_TO_KMH).speed_kmh == pytest.approx(48.28032)


def test_site_needs_a_limit_and_devices() -> None:
    with pytest.raises(ValidationError) as err:
        RadarSite(id="s", name="", speed_limit_kmh=0, sensor_ids=())
    assert {e.field for e in err.value.errors} == {"name", "speed_limit_kmh", "sensor_ids"}


def test_before_after_on_constructed_readings() -> None:
    ny = ZoneInfo("America/New_York")
    change = datetime(2026, 3, 1, tzinfo=ny)  # local midnight (05:00 UTC)
    # Before: 08:xx local 50, 60, 70; 23:xx local 40. After: 08:xx local 40, 45; the change instant itself 66.
    points = [
        (datetime(2026, 2, 20, 8, 10, tzinfo=ny), 50.0), (datetime(2026, 2, 21, 8, 20, tzinfo=ny), 60.0),
        (datetime(2026, 2, 22, 8, 30, tzinfo=ny), 70.0), (datetime(2026, 2, 22, 23, 59, tzinfo=ny), 40.0),
        (change, 66.0), (datetime(2026, 3, 3, 8, 5, tzinfo=ny), 40.0), (datetime(2026, 3, 4, 8, 5, tzinfo=ny), 45.0),
    ]
    result = before_after(points, site_id="s1", speed_limit_kmh=40.0, policy=POLICY, change_at=change, tz=ny)
    before, after = result.before.overall, result.after.overall
    assert before.readings == 4 and after.readings == 3
    assert before.mean_kmh == pytest.approx(55.0)  # (50 + 60 + 70 + 40) / 4
    assert before.p85_kmh == pytest.approx(65.5)  # sorted 40 50 60 70: rank 0.85 * 3 = 2.55 -> 60 + 0.55 * 10
    assert before.over_limit == 3 and before.share_over_limit == 0.75  # 40 is not over a 40 limit
    assert before.lights == {"amber": 2, "red": 1}
    assert after.mean_kmh == pytest.approx((66 + 40 + 45) / 3)
    assert after.lights == {"amber": 0, "red": 1}
    assert result.mean_change_kmh == pytest.approx((66 + 40 + 45) / 3 - 55.0)
    # By local hour of day: 08 before holds 50, 60, 70; 23 holds 40; hour 0 after holds the change-instant reading.
    assert result.before.by_hour[8].readings == 3 and result.before.by_hour[8].mean_kmh == pytest.approx(60.0)
    assert result.before.by_hour[23].readings == 1
    assert result.after.by_hour[0].readings == 1 and result.after.by_hour[8].readings == 2
    assert result.after.by_hour[12].mean_kmh is None and result.after.by_hour[12].share_over_limit is None
    out = result.as_json()
    assert out["tz"] == "America/New_York" and out["change_at"] == "2026-03-01T05:00:00+00:00"
    assert len(out["before"]["by_hour"]) == 24 and out["before"]["by_hour"][8]["hour"] == 8
    assert out["before"]["p85_kmh"] == pytest.approx(65.5)


def test_before_after_in_utc_and_empty_periods() -> None:
    change = datetime(2026, 1, 1, tzinfo=UTC)
    points = [(change - timedelta(hours=1), 30.0)]
    result = before_after(points, site_id="s", speed_limit_kmh=30, policy=(), change_at=change)
    assert result.before.by_hour[23].readings == 1
    assert result.after.overall.readings == 0 and result.after.overall.mean_kmh is None
    assert result.mean_change_kmh is None and result.as_json()["tz"] == "UTC"
    with pytest.raises(ValueError):
        before_after([], site_id="s", speed_limit_kmh=30, policy=(), change_at=datetime(2026, 1, 1))
