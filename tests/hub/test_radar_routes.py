"""POST /api/v1/radar/readings against a real IngestServer on loopback over a migrated SQLite database:
bearer auth, validation naming fields, unknown devices, all-or-nothing storage, and the lights in the answer."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from c4desk.config import Paths
from c4desk.domain.permissions import Actor, Role
from c4desk.domain.radar import PolicyBand, RadarSite
from c4desk.hub.http_server import IngestServer
from c4desk.hub.radar_routes import READINGS_PATH, radar_route_factory, radar_routes
from c4desk.hub.runtime import ROUTE_FACTORIES
from c4desk.hub.services import Services
from c4desk.store.db import Database, sqlite_url
from c4desk.store.migrate import upgrade
from c4desk.store.radar import RadarRepository

TOKEN = "r4dar-t0ken"
NOW = datetime.now(UTC).replace(microsecond=0)
SITE = RadarSite(id="capitol-eb", name="Capitol Ave EB", speed_limit_kmh=40.0, sensor_ids=("r1",),
                 policy=(PolicyBand(48.0, "amber"), PolicyBand(64.0, "red")))


def reading(kmh: float | None = None, mph: float | None = None, device: str = "r1", ago_s: int = 30
            ) -> dict[str, Any]:
    out: dict[str, Any] = {"device": device, "time": (NOW - timedelta(seconds=ago_s)).isoformat(), "lane": 1,
                           "direction": "approaching"}
    if kmh is not None:
        out["speed_kmh"] = kmh
    if mph is not None:
        out["speed_mph"] = mph
    return out


class Hub:
    def __init__(self, tmp: Path) -> None:
        url = sqlite_url(tmp / "hub.db")
        upgrade(url)
        self.db = Database(url)
        self.radar = RadarRepository(self.db)
        self.radar.upsert_site(Actor("root", Role.ADMIN), SITE)
        self.server = IngestServer(radar_routes(self.radar), token=TOKEN)
        self.server.start()
        self.http = requests.Session()

    def post(self, body: Any, token: str | None = TOKEN) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return self.http.post(self.server.base_url + READINGS_PATH, json=body, headers=headers, timeout=10)

    def close(self) -> None:
        self.http.close()
        self.server.stop()
        self.db.dispose()


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Hub]:
    h = Hub(tmp_path)
    yield h
    h.close()


def test_readings_are_stored_with_the_lights_they_trigger(hub: Hub) -> None:
    r = hub.post([reading(kmh=35), reading(mph=31), reading(kmh=70)])
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["stored"] == 3
    assert [(x["speed_kmh"], x["colour"], x["site"]) for x in body["readings"]] == [
        (35.0, None, "capitol-eb"), (49.89, "amber", "capitol-eb"), (70.0, "red", "capitol-eb")]
    assert hub.radar.count() == 3
    one = hub.post(reading(kmh=50))
    assert one.status_code == 201 and one.json()["readings"][0]["colour"] == "amber"
    assert hub.radar.count() == 4


def test_a_token_is_required(hub: Hub) -> None:
    assert hub.post(reading(kmh=50), token=None).status_code == 401
    assert hub.post(reading(kmh=50), token="wrong").status_code == 401
    assert hub.radar.count() == 0


def test_bad_readings_are_named_and_nothing_is_stored(hub: Hub) -> None:
    r = hub.post([reading(kmh=50), reading(), {**reading(kmh=50), "sped_kmh": 3}, reading(kmh=30, ago_s=-3600)])
    assert r.status_code == 400
    errors = r.json()["errors"]
    assert errors[:2] == [{"field": "[1].speed_kmh", "reason": "required (or speed_mph): state the unit"},
                          {"field": "[2].sped_kmh", "reason": "unknown field; did you mean speed_kmh?"}]
    assert errors[2]["field"] == "[3].time" and "ahead of the hub's clock" in errors[2]["reason"]
    assert len(errors) == 3
    unknown = hub.post([reading(kmh=50), reading(kmh=50, device="r9")])
    assert unknown.status_code == 400
    assert unknown.json() == {"errors": [{"field": "[1].device",
                                          "reason": "unknown radar device 'r9' (no radar site lists it)"}]}
    single = hub.post(reading(kmh=50, device="r9"))
    assert single.json()["errors"][0]["field"] == "device"
    not_json = hub.http.post(hub.server.base_url + READINGS_PATH, data="speed=50", timeout=10,
                             headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "text/plain"})
    assert not_json.status_code == 415
    assert hub.radar.count() == 0


def test_the_hub_runtime_registers_the_route(tmp_path: Path) -> None:
    assert radar_route_factory in ROUTE_FACTORIES
    services = Services.open(sqlite_url(tmp_path / "svc.db"))
    try:
        assert set(radar_route_factory(services, Paths(tmp_path))) == {("POST", READINGS_PATH)}
    finally:
        services.close()
