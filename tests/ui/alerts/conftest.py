"""Alerts for the queue tests, stored through the real repository (SQLite in a temp dir)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from pytestqt.qtbot import QtBot

from c4desk.domain.alerts import Alert, GunshotReport
from c4desk.domain.events import AlertChanged, AlertRaised
from c4desk.domain.permissions import Actor, Role
from c4desk.hub.services import Services
from c4desk.ui.alerts.alert_queue import AlertQueue
from c4desk.ui.alerts.sound import SilentSound
from c4desk.ui.event_bridge import EventBridge

USER = "analyst1"
ACTOR = Actor(USER, Role.ANALYST, "ws-test")  # who the queue acts as
SUPERVISOR = Actor("supervisor", Role.SUPERVISOR, "ws-sup")
# priority comes from the type and rounds (domain.alerts.gunshot_priority): multiple -> 1, single -> 2, probable -> 3
KINDS = {1: ("multiple_gunshots", 4), 2: ("single_gunshot", 1), 3: ("probable_gunfire", None)}

AddAlert = Callable[..., Alert]


@pytest.fixture
def add_alert(services: Services) -> AddAlert:
    now = datetime.now(UTC).replace(microsecond=0)  # per test: ages shown must not depend on the suite's length

    def add(alert_id: str, priority: int, minutes_ago: float, *, status: str = "new", lat: float = 41.7640,
            lon: float = -72.6740, address: str = "") -> Alert:
        kind, rounds = KINDS[priority]
        report = GunshotReport(id=alert_id, type=kind, rounds=rounds, lat=lat, lon=lon,
                               detected_at=now - timedelta(minutes=minutes_ago),
                               address=address or "Main St & Pearl St", beat="B-07", district="Downtown",
                               payload={"sensor_count": 6, "confidence": 0.93})
        alert, _ = services.alerts.add_or_update_gunshot(report)
        repo = services.alerts
        if status in ("acknowledged", "in_progress", "closed"):
            alert = repo.acknowledge(alert_id, actor=SUPERVISOR)
        if status == "in_progress":
            alert = repo.start(alert_id, actor=SUPERVISOR)
        if status == "closed":
            alert = repo.close(alert_id, actor=SUPERVISOR, reason="Fireworks")
        return alert

    return add


@pytest.fixture
def sample(add_alert: AddAlert) -> list[str]:
    """Six alerts; the ids in the order the queue must show them."""
    add_alert("p2-old", 2, 30)
    add_alert("p1-new", 1, 10)
    add_alert("p3", 3, 5)
    add_alert("p2-recent", 2, 2)
    add_alert("p1-closed", 1, 1, status="closed")
    add_alert("p1-older", 1, 40, status="acknowledged")
    return ["p1-new", "p1-older", "p2-recent", "p2-old", "p3", "p1-closed"]


@pytest.fixture
def make_queue(qtbot: QtBot, services: Services) -> Callable[[], AlertQueue]:
    def make() -> AlertQueue:
        queue = AlertQueue(services, ACTOR, sound=SilentSound("tests"))
        qtbot.addWidget(queue)
        queue.resize(900, 640)
        queue.show()
        qtbot.waitExposed(queue)
        queue.activateWindow()
        queue.table.setFocus()
        return queue

    return make


@pytest.fixture
def bridged(services: Services) -> Iterator[EventBridge]:
    """The bus -> Qt bridge the main window uses, for tests that feed the queue from bus events."""
    bridge = EventBridge(services.bus.subscribe, (AlertRaised, AlertChanged))
    yield bridge
    bridge.close()
    bridge.deleteLater()


def queue_ids(queue: AlertQueue) -> list[str]:
    return [a.id for a in queue.records.alerts()]
