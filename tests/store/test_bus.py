"""The event bus: typed delivery, unsubscription, failing handlers isolated, safe across threads."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime

import pytest

from c4desk.domain.alerts import Alert, AlertStatus
from c4desk.domain.events import AlertChanged, AlertRaised, CamerasChanged, Event, WallPush
from c4desk.store.bus import EventBus


def _alert(alert_id: str = "SST-1") -> Alert:
    now = datetime(2026, 7, 4, 12, tzinfo=UTC)
    return Alert(
        id=alert_id,
        source="gunshot",
        type="single_gunshot",
        priority=2,
        status=AlertStatus.NEW,
        detected_at=now,
        received_at=now,
    )


def test_handlers_get_only_their_type_and_base_gets_all(bus: EventBus) -> None:
    raised: list[AlertRaised] = []
    everything: list[Event] = []
    bus.subscribe(AlertRaised, raised.append)
    bus.subscribe(Event, everything.append)
    a = AlertRaised(alert=_alert())
    c = CamerasChanged(created=("cam-1",))
    bus.publish(a)
    bus.publish(c)
    assert raised == [a]
    assert everything == [a, c]


def test_unsubscribe_stops_delivery_and_is_idempotent(bus: EventBus) -> None:
    got: list[Event] = []
    unsubscribe = bus.subscribe(WallPush, got.append)
    bus.publish(WallPush(camera_ids=("cam-1",)))
    unsubscribe()
    unsubscribe()
    bus.publish(WallPush(camera_ids=("cam-2",)))
    assert [e.camera_ids for e in got if isinstance(e, WallPush)] == [("cam-1",)]
    assert bus.handler_count() == 0


def test_failing_handler_is_logged_and_others_still_run(
    bus: EventBus, caplog: pytest.LogCaptureFixture
) -> None:
    got: list[str] = []

    def broken(_: AlertRaised) -> None:
        raise ValueError("view is gone")

    bus.subscribe(AlertRaised, lambda e: got.append("first"))
    bus.subscribe(AlertRaised, broken)
    bus.subscribe(AlertRaised, lambda e: got.append("third"))
    with caplog.at_level(logging.ERROR, logger="c4desk.store.bus"):
        bus.publish(AlertRaised(alert=_alert()))
    assert got == ["first", "third"]
    assert "view is gone" in caplog.text and "AlertRaised" in caplog.text


def test_handler_may_unsubscribe_itself_during_publish(bus: EventBus) -> None:
    calls: list[int] = []
    unsubscribe = bus.subscribe(AlertRaised, lambda e: (calls.append(1), unsubscribe()))
    bus.publish(AlertRaised(alert=_alert()))
    bus.publish(AlertRaised(alert=_alert()))
    assert calls == [1]


def test_publish_from_many_threads_runs_handlers_in_each_publisher_thread(bus: EventBus) -> None:
    lock = threading.Lock()
    seen: list[tuple[str, int]] = []

    def record(event: AlertChanged) -> None:
        with lock:
            seen.append((event.alert.id, threading.get_ident()))

    bus.subscribe(AlertChanged, record)
    publishers: dict[str, int] = {}
    start = threading.Barrier(8)

    def publish(n: int) -> None:
        publishers[f"T{n}"] = threading.get_ident()
        start.wait()
        for i in range(200):
            bus.publish(AlertChanged(alert=_alert(f"T{n}"), changes={"i": [i - 1, i]}))

    def churn() -> None:
        # Subscribing and unsubscribing meanwhile must neither break delivery nor raise.
        start.wait()
        for _ in range(500):
            bus.subscribe(AlertChanged, lambda e: None)()

    threads = [threading.Thread(target=publish, args=(n,)) for n in range(7)] + [
        threading.Thread(target=churn)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(seen) == 7 * 200
    assert all(ident == publishers[alert_id] for alert_id, ident in seen)
    assert bus.handler_count() == 1


def test_remote_events_skip_local_only_subscribers(bus: EventBus) -> None:
    """What another seat published (the PostgreSQL bridge) reaches views, not rule engines or the bridge's sender."""
    views: list[Event] = []
    rules: list[Event] = []
    bus.subscribe(Event, views.append)
    unsubscribe = bus.subscribe(AlertRaised, rules.append, local_only=True)
    here, there = AlertRaised(alert=_alert("here")), AlertRaised(alert=_alert("there"))
    bus.publish(here)
    bus.publish(there, remote=True)
    assert views == [here, there] and rules == [here]
    # The same handler subscribed twice is two subscriptions; unsubscribing one leaves the other.
    again = bus.subscribe(AlertRaised, rules.append)
    unsubscribe()
    bus.publish(there, remote=True)
    assert rules == [here, there] and bus.handler_count() == 2
    again()
    assert bus.handler_count() == 1
