"""The gunshot payload parser: every bad field named at once, times normalised to UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from c4desk.domain.alerts import Alert, AlertStatus
from c4desk.domain.errors import ValidationError
from c4desk.integrations.gunshot import alert_as_json, parse_gunshot, report_as_payload

GOOD: dict[str, Any] = {
    "id": "SST-26-000123", "type": "multiple_gunshots", "rounds": 4, "lat": 41.76412, "lon": -72.67405,
    "detected_at": "2026-07-04T21:14:05Z", "address": " Main St & Pearl St ", "beat": "B-07",
    "district": "Downtown", "status": "new", "extra": {"sensor_count": 6},
}


def errors_of(obj: Any, **kw: Any) -> list[str]:
    with pytest.raises(ValidationError) as info:
        parse_gunshot(obj, **kw)
    return [str(e) for e in info.value.errors]


def test_good_payload() -> None:
    r = parse_gunshot(GOOD)
    assert (r.id, r.type, r.rounds, r.lat, r.lon) == ("SST-26-000123", "multiple_gunshots", 4, 41.76412, -72.67405)
    assert r.detected_at == datetime(2026, 7, 4, 21, 14, 5, tzinfo=UTC)
    assert (r.address, r.beat, r.district) == ("Main St & Pearl St", "B-07", "Downtown")
    assert r.payload == GOOD


def test_minimal_payload_and_nulls() -> None:
    minimal = {k: GOOD[k] for k in ("id", "type", "rounds", "lat", "lon", "detected_at")}
    r = parse_gunshot({**minimal, "address": None, "status": None, "extra": None, "rounds": 0, "lat": 0, "lon": 180})
    assert (r.address, r.rounds, r.lat, r.lon) == ("", 0, 0.0, 180.0)
    assert isinstance(r.lat, float)


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("2026-07-04T17:14:05-04:00", datetime(2026, 7, 4, 21, 14, 5, tzinfo=UTC)),
        ("2026-07-05T02:44:05.5+05:30", datetime(2026, 7, 4, 21, 14, 5, 500000, tzinfo=UTC)),
        ("2026-07-04t21:14:05.123456789z", datetime(2026, 7, 4, 21, 14, 5, 123456, tzinfo=UTC)),
        ("2026-07-04T21:14:05+00:00", datetime(2026, 7, 4, 21, 14, 5, tzinfo=UTC)),
    ],
)
def test_times_with_zones_become_utc(text: str, utc: datetime) -> None:
    r = parse_gunshot({**GOOD, "detected_at": text})
    assert r.detected_at == utc and r.detected_at.tzinfo is UTC


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("2026-07-04T21:14:05", "has no time zone"),
        ("2026-07-04 21:14", "has no time zone"),
        ("2026-07-04", "is not an RFC 3339 date-time"),
        ("2026-07-04T21:14:05Z\n", "is not an RFC 3339 date-time"),
        ("04/07/2026 21:14:05Z", "is not an RFC 3339 date-time"),
        ("2026-07-04T21:14Z", "is not an RFC 3339 date-time"),
        ("2026-02-30T21:14:05Z", "is not a valid date-time"),
        ("2026-07-04T23:59:60Z", "is not an RFC 3339 date-time"),
        ("2026-07-04T21:14:05+24:00", "is not an RFC 3339 date-time"),
        ("2026-07-04T21:14:05+05:60", "is not an RFC 3339 date-time"),
        ("2026-07-04T24:00:00Z", "is not an RFC 3339 date-time"),
        ("２０２６-07-04T21:14:05Z", "is not an RFC 3339 date-time"),
    ],
)
def test_bad_times(text: str, reason: str) -> None:
    [err] = errors_of({**GOOD, "detected_at": text})
    assert err.startswith("detected_at: ") and reason in err


def test_every_bad_field_is_named_in_order() -> None:
    bad = {"id": " x", "type": "gunshot", "rounds": True, "lat": "41.7", "lon": float("nan"),
           "detected_at": 1751663645, "address": 7, "beat": "B" * 33, "status": "closed", "extra": [1],
           "adress": "typo", "foo": 1}
    assert errors_of(bad) == [
        "id: use printable ASCII with no white space at either end",
        "type: 'gunshot' is not one of single_gunshot, multiple_gunshots, probable_gunfire, other",
        "rounds: must be a whole number, got a boolean True",
        "lat: must be a number, got a string",
        "lon: must be a finite number",
        "detected_at: must be an RFC 3339 date-time string, got a number",
        "address: must be a string, got a number",
        "beat: longer than 32 characters",
        "status: 'closed' is not one of new, update",
        "extra: must be an object, got an array",
        "adress: unknown field; did you mean 'address'?",
        "foo: unknown field; vendor data goes in 'extra'",
    ]


def test_missing_required_fields() -> None:
    assert errors_of({"beat": "B-07"}) == [f"{f}: required" for f in
                                           ("id", "type", "rounds", "lat", "lon", "detected_at")]
    assert errors_of({**GOOD, "lat": None}) == ["lat: required"]


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("id", "", "must not be empty"),
        ("id", "x" * 129, "longer than 128 characters"),
        ("id", "SST\n1", "use printable ASCII"),
        ("id", "SST-1\n", "use printable ASCII"),
        ("id", "SST-é", "use printable ASCII"),
        ("id", 123, "must be a string, got a number"),
        ("type", ["single_gunshot"], "is not one of"),
        ("type", "Single_Gunshot", "is not one of"),
        ("rounds", -1, "-1 is outside [0, 10000]"),
        ("rounds", 2.5, "must be a whole number"),
        ("rounds", 10_001, "outside"),
        ("lat", 90.000001, "90.000001 is outside [-90, 90]"),
        ("lat", 10**400, "is outside"),
        ("lon", -180.5, "is outside [-180, 180]"),
        ("lon", float("inf"), "must be a finite number"),
        ("lat", False, "must be a number, got a boolean"),
        ("district", "d" * 65, "longer than 64 characters"),
        ("address", "a" * 201, "longer than 200 characters"),
    ],
)
def test_single_bad_fields(field: str, value: Any, reason: str) -> None:
    [err] = errors_of({**GOOD, field: value})
    assert err.startswith(f"{field}: ") and reason in err


def test_integral_float_rounds_accepted() -> None:
    assert parse_gunshot({**GOOD, "rounds": 4.0}).rounds == 4


@pytest.mark.parametrize(
    ("name", "hint"),
    [("lng", "did you mean 'lon'?"), ("Latitude", "did you mean 'lat'?"), ("Type", "did you mean 'type'?"),
     ("timestamp", "did you mean 'detected_at'?"), ("distrcit", "did you mean 'district'?"),
     ("sensor_count", "vendor data goes in 'extra'")],
)
def test_unknown_fields_get_a_hint(name: str, hint: str) -> None:
    assert errors_of({**GOOD, name: 1}) == [f"{name}: unknown field; {hint}"]


def test_not_an_object() -> None:
    assert errors_of([GOOD]) == ["body: must be a JSON object, got an array"]
    assert errors_of(None) == ["body: must be a JSON object, got null"]


def test_future_times_are_refused_only_against_a_clock() -> None:
    now = datetime(2026, 7, 4, 21, 0, tzinfo=UTC)
    assert parse_gunshot({**GOOD, "detected_at": "2026-07-04T21:04:59Z"}, now=now)
    [err] = errors_of({**GOOD, "detected_at": "2026-07-04T21:14:05Z"}, now=now)
    assert "ahead of the hub's clock" in err
    assert parse_gunshot(GOOD).detected_at > now  # no clock: no check (historic imports)


def test_report_round_trips_through_payload() -> None:
    r = parse_gunshot(GOOD)
    again = parse_gunshot(report_as_payload(r))
    assert again == r


def test_alert_json_shape() -> None:
    t = datetime(2026, 7, 4, 21, 14, 5, tzinfo=UTC)
    a = Alert(id="a", source="gunshot", type="single_gunshot", priority=2, status=AlertStatus.NEW, detected_at=t,
              received_at=t + timedelta(seconds=3), lat=1.0, lon=2.0, rounds=1)
    assert alert_as_json(a) == {
        "id": "a", "source": "gunshot", "type": "single_gunshot", "priority": 2, "status": "new",
        "detected_at": "2026-07-04T21:14:05+00:00", "received_at": "2026-07-04T21:14:08+00:00", "lat": 1.0,
        "lon": 2.0, "address": "", "beat": "", "district": "", "rounds": 1, "assigned_to": None,
    }
