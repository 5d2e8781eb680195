"""Alert repository on both backends: the gunshot feed's insert-or-update, history, events, recent list."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import inspect, update

from c4desk.domain.alerts import AlertStatus, GunshotReport
from c4desk.domain.errors import ValidationError
from c4desk.domain.events import AlertChanged, AlertRaised, Event
from c4desk.store.alerts import AlertRepository
from c4desk.store.bus import EventBus
from c4desk.store.db import Database
from c4desk.store.models import AlertRow

T0 = datetime(2026, 7, 4, 21, 14, 5, tzinfo=UTC)
SHOT = GunshotReport(
    id="SST-26-000123",
    type="single_gunshot",
    detected_at=T0,
    lat=41.76412,
    lon=-72.67405,
    rounds=1,
    address="Main St & Pearl St",
    beat="B-07",
    district="Downtown",
    payload={"sensor_count": 6},
)


@pytest.fixture
def repo(db: Database, bus: EventBus) -> AlertRepository:
    return AlertRepository(db, bus)


@pytest.fixture
def events(bus: EventBus) -> list[Event]:
    got: list[Event] = []
    bus.subscribe(Event, got.append)
    return got


def test_new_report_raises_an_alert(repo: AlertRepository, events: list[Event]) -> None:
    alert, created = repo.add_or_update_gunshot(SHOT, received_at=T0 + timedelta(seconds=9))
    assert created
    assert alert.source == "gunshot" and alert.status is AlertStatus.NEW and alert.priority == 2
    assert alert.received_at == T0 + timedelta(seconds=9)
    assert repo.get(SHOT.id) == alert
    assert alert.payload == {"sensor_count": 6}
    assert events == [AlertRaised(alert=alert)]
    assert repo.history(SHOT.id) == []


def test_update_changes_fields_records_history_and_publishes(
    repo: AlertRepository, events: list[Event]
) -> None:
    repo.add_or_update_gunshot(SHOT, received_at=T0 + timedelta(seconds=9))
    later = replace(SHOT, type="multiple_gunshots", rounds=4, lat=41.76420)
    alert, created = repo.add_or_update_gunshot(
        later, received_at=T0 + timedelta(seconds=40), feed="sst-feed"
    )
    assert not created
    assert (alert.type, alert.rounds, alert.lat, alert.priority) == ("multiple_gunshots", 4, 41.76420, 1)
    assert alert.received_at == T0 + timedelta(seconds=9)  # first receipt is what response times count from
    expected = {
        "type": ["single_gunshot", "multiple_gunshots"],
        "priority": [2, 1],
        "lat": [41.76412, 41.7642],
        "rounds": [1, 4],
    }
    [entry] = repo.history(SHOT.id)
    assert (entry.actor, entry.at, dict(entry.change)) == ("sst-feed", T0 + timedelta(seconds=40), expected)
    assert events[1] == AlertChanged(alert=alert, changes=expected, actor="sst-feed")


def test_repeated_report_changes_nothing(repo: AlertRepository, events: list[Event]) -> None:
    repo.add_or_update_gunshot(SHOT)
    _, created = repo.add_or_update_gunshot(SHOT)
    assert not created
    assert repo.history(SHOT.id) == []
    assert len(events) == 1


def test_feed_never_touches_status(repo: AlertRepository, db: Database) -> None:
    repo.add_or_update_gunshot(SHOT)
    with db.session(write=True) as s:
        s.execute(
            update(AlertRow).where(AlertRow.id == SHOT.id).values(status="acknowledged", assigned_to="ana")
        )
    alert, _ = repo.add_or_update_gunshot(replace(SHOT, rounds=3))
    assert alert.status is AlertStatus.ACKNOWLEDGED and alert.assigned_to == "ana"


def test_times_are_stored_as_utc(repo: AlertRepository) -> None:
    local = T0.astimezone(timezone(timedelta(hours=-4)))
    alert, _ = repo.add_or_update_gunshot(replace(SHOT, detected_at=local), received_at=local)
    stored = repo.get(SHOT.id)
    assert stored is not None
    assert stored.detected_at == T0 and stored.detected_at.tzinfo is UTC
    assert alert.detected_at.tzinfo is UTC and alert == stored


def test_recent_is_newest_first_and_limited(repo: AlertRepository) -> None:
    for i in range(5):
        repo.add_or_update_gunshot(replace(SHOT, id=f"SST-{i}"), received_at=T0 + timedelta(minutes=i))
    assert [a.id for a in repo.recent(3)] == ["SST-4", "SST-3", "SST-2"]
    assert len(repo.recent()) == 5


def test_concurrent_first_reports_of_one_incident(db: Database) -> None:
    """Several threads post the same new alert at once: one creates it, the rest update, none fails.

    On SQLite this relies on write sessions taking the lock up front (BEGIN IMMEDIATE); on PostgreSQL on the
    retry after the losing INSERT's unique violation.
    """
    import threading

    repo = AlertRepository(db)
    results: list[bool] = []
    failures: list[BaseException] = []
    start = threading.Barrier(6)

    def post(rounds: int) -> None:
        start.wait()
        try:
            for i in range(5):
                _, created = repo.add_or_update_gunshot(replace(SHOT, rounds=rounds * 10 + i))
                results.append(created)
        except BaseException as exc:  # collected and asserted below, with the cause visible
            failures.append(exc)

    threads = [threading.Thread(target=post, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert failures == []
    assert sorted(results) == [False] * 29 + [True]
    assert len(repo.history(SHOT.id)) == 29


def test_between_finds_a_window_far_in_the_past_newest_first(repo: AlertRepository, db: Database) -> None:
    """A month-old window is found however many alerts came since (the timeline asks for any window)."""
    old = T0 - timedelta(days=30)
    for i in range(4):
        repo.add_or_update_gunshot(replace(SHOT, id=f"OLD-{i}", detected_at=old + timedelta(minutes=i)),
                                   received_at=old + timedelta(minutes=i, seconds=5))
    for i in range(12):
        repo.add_or_update_gunshot(replace(SHOT, id=f"NEW-{i}", detected_at=T0 + timedelta(minutes=i)))
    assert all(a.id.startswith("NEW-") for a in repo.recent(10))  # what "recent" alone would have shown
    # Both ends inclusive; newest detection first; times come back aware UTC.
    found = repo.between(old, old + timedelta(minutes=2))
    assert [a.id for a in found] == ["OLD-2", "OLD-1", "OLD-0"]
    assert found[0].detected_at == old + timedelta(minutes=2) and found[0].detected_at.tzinfo is UTC
    # A window given in another zone means the same instants.
    eastern = timezone(timedelta(hours=-5))
    assert repo.between(old.astimezone(eastern), (old + timedelta(minutes=2)).astimezone(eastern)) == found
    assert [a.id for a in repo.between(old, T0 + timedelta(days=1), limit=3)] == ["NEW-11", "NEW-10", "NEW-9"]
    assert repo.between(old - timedelta(days=1), old - timedelta(seconds=1)) == []
    # detected_at is indexed, so the window is a range scan however large the table grows.
    with db.session() as s:
        indexes = inspect(s.connection()).get_indexes("alerts")
    assert any(ix["column_names"] == ["detected_at"] for ix in indexes)


def test_between_refuses_a_bad_window_naming_the_field(repo: AlertRepository) -> None:
    with pytest.raises(ValidationError) as naive:
        repo.between(T0.replace(tzinfo=None), T0)
    assert [e.field for e in naive.value.errors] == ["start"]
    with pytest.raises(ValidationError) as backwards:
        repo.between(T0, T0 - timedelta(seconds=1))
    assert [e.field for e in backwards.value.errors] == ["end"] and "before start" in backwards.value.errors[0].reason
    with pytest.raises(ValidationError) as limit:
        repo.between(T0, T0, limit=0)
    assert [e.field for e in limit.value.errors] == ["limit"]
