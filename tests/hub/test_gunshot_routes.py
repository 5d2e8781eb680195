"""POST /api/v1/alerts/gunshot against a real IngestServer on loopback over a migrated SQLite database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from c4desk.config import Paths
from c4desk.domain.events import AlertChanged, AlertRaised, Event
from c4desk.hub.gunshot_routes import GUNSHOT_PATH, gunshot_route_factory, gunshot_routes
from c4desk.hub.http_server import IngestServer
from c4desk.hub.services import Services
from c4desk.store.alerts import AlertRepository
from c4desk.store.bus import EventBus
from c4desk.store.db import Database, sqlite_url
from c4desk.store.migrate import upgrade

TOKEN = "t0ken"
NOW = datetime.now(UTC).replace(microsecond=0)
SHOT: dict[str, Any] = {
    "id": "SST-26-000123", "type": "single_gunshot", "rounds": 1, "lat": 41.76412, "lon": -72.67405,
    "detected_at": (NOW - timedelta(seconds=20)).isoformat().replace("+00:00", "Z"), "address": "Main St & Pearl St",
    "beat": "B-07", "district": "Downtown", "status": "new",
}


class Hub:
    def __init__(self, tmp: Path) -> None:
        url = sqlite_url(tmp / "hub.db")
        upgrade(url)
        self.db = Database(url)
        self.bus = EventBus()
        self.events: list[Event] = []
        self.bus.subscribe(Event, self.events.append)
        self.alerts = AlertRepository(self.db, self.bus)
        self.server = IngestServer(gunshot_routes(self.alerts), token=TOKEN)
        self.server.start()
        self.http = requests.Session()

    def post(self, body: Any) -> requests.Response:
        return self.http.post(self.server.base_url + GUNSHOT_PATH, json=body,
                              headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)

    def close(self) -> None:
        self.http.close()
        self.server.stop()
        self.db.dispose()


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Hub]:
    h = Hub(tmp_path)
    yield h
    h.close()


def test_new_alert_is_201_with_the_stored_alert(hub: Hub) -> None:
    r = hub.post(SHOT)
    assert r.status_code == 201 and r.headers["C4desk-Result"] == "created"
    body = r.json()
    assert body["id"] == SHOT["id"] and body["status"] == "new" and body["priority"] == 2
    assert body["detected_at"] == (NOW - timedelta(seconds=20)).isoformat()
    stored = hub.alerts.get(SHOT["id"])
    assert stored is not None and stored.address == "Main St & Pearl St" and stored.payload["status"] == "new"
    assert [type(e) for e in hub.events] == [AlertRaised]


def test_identical_repeat_is_stored_once(hub: Hub) -> None:
    hub.post(SHOT)
    r = hub.post(SHOT)
    assert r.status_code == 200 and r.headers["C4desk-Result"] == "unchanged"
    assert r.json()["id"] == SHOT["id"]
    assert len(hub.alerts.recent()) == 1 and hub.alerts.history(SHOT["id"]) == []
    assert len(hub.events) == 1


def test_update_changes_the_alert_and_history_keeps_both(hub: Hub) -> None:
    hub.post(SHOT)
    update = {**SHOT, "status": "update", "type": "multiple_gunshots", "rounds": 6, "lat": 41.7642}
    r = hub.post(update)
    assert r.status_code == 200 and r.headers["C4desk-Result"] == "updated"
    assert (r.json()["type"], r.json()["rounds"], r.json()["priority"]) == ("multiple_gunshots", 6, 1)
    [entry] = hub.alerts.history(SHOT["id"])
    assert entry.actor == "gunshot-feed"
    assert entry.change["type"] == ["single_gunshot", "multiple_gunshots"]
    assert entry.change["rounds"] == [1, 6] and entry.change["lat"] == [41.76412, 41.7642]
    assert isinstance(hub.events[-1], AlertChanged)


def test_bad_payload_is_400_naming_every_field_and_stores_nothing(hub: Hub) -> None:
    r = hub.post({**SHOT, "type": "bang", "lat": 91, "detected_at": "2026-07-04T21:14:05", "lng": 1})
    assert r.status_code == 400
    assert r.json() == {"errors": [
        {"field": "type", "reason": "'bang' is not one of single_gunshot, multiple_gunshots, probable_gunfire, other"},
        {"field": "lat", "reason": "91 is outside [-90, 90]"},
        {"field": "detected_at", "reason": "'2026-07-04T21:14:05' has no time zone: add Z (UTC) or an offset "
                                           "like -05:00"},
        {"field": "lng", "reason": "unknown field; did you mean 'lon'?"},
    ]}
    assert hub.alerts.recent() == [] and hub.events == []


def test_update_with_a_bad_field_leaves_the_alert_alone(hub: Hub) -> None:
    hub.post(SHOT)
    r = hub.post({**SHOT, "rounds": -4})
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "rounds"
    assert hub.alerts.get(SHOT["id"]).rounds == 1  # type: ignore[union-attr]


@pytest.mark.parametrize("body", ["[]", '"SST"', "null", "4"])
def test_body_must_be_an_object(hub: Hub, body: str) -> None:
    r = hub.http.post(hub.server.base_url + GUNSHOT_PATH, data=body, timeout=10,
                      headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "body"


def test_future_detection_is_refused(hub: Hub) -> None:
    future = (NOW + timedelta(hours=2)).isoformat()
    r = hub.post({**SHOT, "detected_at": future})
    assert r.status_code == 400 and "ahead of the hub's clock" in r.json()["errors"][0]["reason"]


def test_auth_still_applies(hub: Hub) -> None:
    r = requests.post(hub.server.base_url + GUNSHOT_PATH, json=SHOT, timeout=10)
    assert r.status_code == 401 and hub.alerts.recent() == []


def test_route_factory_for_the_hub_runtime(tmp_path: Path) -> None:
    services = Services.open(sqlite_url(tmp_path / "svc.db"))
    try:
        routes = gunshot_route_factory(services, Paths(tmp_path))
        assert list(routes) == [("POST", GUNSHOT_PATH)]
    finally:
        services.close()
