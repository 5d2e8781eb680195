"""Radar readings from JSON and CSV: the unit is always stated, mph becomes km/h, every bad field is named."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from c4desk.domain.errors import ValidationError
from c4desk.integrations.radar import check_devices, parse_radar_csv, parse_reading, parse_readings

NOW = datetime(2026, 3, 2, 13, tzinfo=UTC)


def errors(body: object) -> list[str]:
    with pytest.raises(ValidationError) as err:
        parse_readings(body, now=NOW)
    return [str(e) for e in err.value.errors]


def test_a_reading_in_mph_is_stored_in_kmh() -> None:
    reading = parse_reading({"device": "r1", "time": "2026-03-02T07:41:12-05:00", "speed_mph": 25, "lane": 2,
                             "direction": "Approaching", "heading_deg": 90, "distance_m": 42.5,
                             "extra": {"firmware": "2.1"}}, now=NOW)
    assert reading.speed_kmh == pytest.approx(40.2336)  # 25 * 1.609344
    assert reading.read_at == datetime(2026, 3, 2, 12, 41, 12, tzinfo=UTC)
    assert (reading.lane, reading.direction, reading.heading_deg, reading.distance_m) == ("2", "approaching", 90.0,
                                                                                          42.5)
    assert reading.payload["extra"] == {"firmware": "2.1"}
    assert parse_reading({"device": "r1", "time": "2026-03-02T07:00:00Z", "speed_kmh": 51.5}).speed_kmh == 51.5


def test_the_unit_must_be_stated_once() -> None:
    assert errors({"device": "r1", "time": "2026-03-02T07:00:00Z", "speed": 30}) == [
        "speed_kmh: required (or speed_mph): state the unit",
        "speed: unknown field; did you mean speed_kmh or speed_mph (state the unit)?"]
    assert errors({"device": "r1", "time": "2026-03-02T07:00:00Z", "speed_kmh": 48, "speed_mph": 30}) == [
        "speed_mph: give speed_kmh or speed_mph, not both"]


def test_every_bad_field_is_named() -> None:
    assert errors({"device": "", "time": "2026-03-02 07:00", "speed_kmh": -4, "lane": 1.5, "direction": "up",
                   "heading_deg": "east", "extra": [], "devcie": "x"}) == [
        "device: must not be empty",
        "time: '2026-03-02 07:00' has no time zone: add Z (UTC) or an offset like -05:00",
        "speed_kmh: -4 is negative (direction goes in 'direction')",
        "lane: must be a string or a whole number, got a number",
        "heading_deg: must be a number, got a string",
        "extra: must be an object, got an array",
        "devcie: unknown field; did you mean device?",
    ]
    assert errors({"device": "r1", "time": "2026-03-02T07:00:00Z", "speed_kmh": 500, "direction": "up"}) == [
        "speed_kmh: 500.0 is outside [0, 400] km/h",
        "direction: 'up': approaching, receding or a compass direction (n, ne, ..., northbound, ...)"]
    ahead = (NOW + timedelta(hours=1)).isoformat()
    assert errors({"device": "r1", "time": ahead, "speed_kmh": 30})[0].startswith("time: ")
    assert errors([]) == ["body: an empty array: send at least one reading"]
    assert errors("fast") == ["body: a reading must be a JSON object, got a string"]


def test_an_array_names_the_bad_readings_by_index() -> None:
    good = {"device": "r1", "time": "2026-03-02T07:00:00Z", "speed_kmh": 30}
    assert errors([good, {**good, "speed_kmh": None}, good, {**good, "time": None}]) == [
        "[1].speed_kmh: required (or speed_mph): state the unit", "[3].time: required"]
    readings = parse_readings([good, good], now=NOW)
    assert len(readings) == 2
    with pytest.raises(ValidationError) as err:
        check_devices([*readings, parse_reading({**good, "device": "r9"})], {"r1": "site"}, indexed=True)
    assert [str(e) for e in err.value.errors] == ["[2].device: unknown radar device 'r9' (no radar site lists it)"]


def test_csv_in_mph_and_its_bad_rows() -> None:
    text = ("device,time,speed_mph,lane,direction\n"
            "r1,2026-03-02T07:00:00-05:00,30,1,approaching\n"
            "r1,2026-03-02T07:01:00,31,1,approaching\n"  # line 3: no zone
            "r1,2026-03-02T07:02:00Z,fast,1,\n"  # line 4: not a number
            ",2026-03-02T07:03:00Z,,1,\n"  # line 5: device and speed missing
            "r1,2026-03-02T07:04:00Z,29,1,sideways\n")  # line 6: direction
    parsed = parse_radar_csv(text)
    assert [str(e) for e in parsed.errors] == [
        "line 3: time: '2026-03-02T07:01:00' has no time zone: add Z or an offset",
        "line 4: speed_mph: 'fast' is not a number",
        "line 5: device: required", "line 5: speed_mph: required",
        "line 6: direction: 'sideways': approaching, receding or a compass direction (n, ne, ..., northbound, ...)",
    ]
    assert len(parsed.readings) == 1 and parsed.readings[0].speed_kmh == pytest.approx(48.28032)
    assert parsed.readings[0].read_at == datetime(2026, 3, 2, 12, tzinfo=UTC)
    assert parsed.bad_lines == 4


def test_csv_header_must_state_one_unit() -> None:
    assert [str(e) for e in parse_radar_csv("device,time,speed\n").errors] == [
        "line 1: header: unknown column(s) speed; known: device, time, speed_kmh, speed_mph, lane, direction, "
        "heading_deg, distance_m",
        "line 1: header: exactly one of speed_kmh or speed_mph: the unit must be stated"]
    assert [str(e) for e in parse_radar_csv("device,speed_kmh,speed_mph\n").errors] == [
        "line 1: header: missing column(s) time",
        "line 1: header: exactly one of speed_kmh or speed_mph: the unit must be stated"]
