"""Alert domain: gunshot report validation, priority rule, change records."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from c4desk.domain.alerts import Alert, AlertStatus, GunshotReport, alert_changes, gunshot_priority
from c4desk.domain.errors import ValidationError

T0 = datetime(2026, 7, 4, 21, 14, tzinfo=UTC)


@pytest.mark.parametrize(
    ("kind", "rounds", "priority"),
    [
        ("multiple_gunshots", None, 1),
        ("single_gunshot", 3, 1),
        ("single_gunshot", 1, 2),
        ("Single Gunshot", None, 2),
        ("probable_gunfire", 1, 3),
        ("possible_gunshot", None, 3),
        ("probable_gunfire", 5, 1),
    ],
)
def test_gunshot_priority(kind: str, rounds: int | None, priority: int) -> None:
    assert gunshot_priority(kind, rounds) == priority


def test_gunshot_report_validation() -> None:
    with pytest.raises(ValidationError) as info:
        GunshotReport(
            id="", type=" ", detected_at=datetime(2026, 7, 4), lat=95.0, lon=float("nan"), rounds=-1
        )
    assert [str(e) for e in info.value.errors] == [
        "id: required",
        "type: required",
        "lat: 95.0 is outside [-90, 90]",
        "lon: nan is outside [-180, 180]",
        "detected_at: must carry a time zone (UTC)",
        "rounds: must not be negative",
    ]


def test_alert_changes_are_json_ready() -> None:
    old = Alert(
        id="a",
        source="gunshot",
        type="single_gunshot",
        priority=2,
        status=AlertStatus.NEW,
        detected_at=T0,
        received_at=T0,
        lat=41.7,
        lon=-72.6,
        rounds=1,
    )
    new = replace(
        old,
        type="multiple_gunshots",
        priority=1,
        detected_at=T0.replace(second=5),
        rounds=4,
        status=AlertStatus.CLOSED,
    )
    assert alert_changes(old, new) == {
        "type": ["single_gunshot", "multiple_gunshots"],
        "priority": [2, 1],
        "detected_at": ["2026-07-04T21:14:00+00:00", "2026-07-04T21:14:05+00:00"],
        "rounds": [1, 4],
    }
    assert alert_changes(old, new, fields=("status",)) == {"status": ["new", "closed"]}
    assert alert_changes(old, old) == {}
