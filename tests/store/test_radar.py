"""Radar sites and readings on SQLite and PostgreSQL: audited site edits, all-or-nothing readings from known
devices only, the site's readings by period, and the before/after report through the repository."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from c4desk.domain.errors import ValidationError
from c4desk.domain.permissions import Actor, PermissionDenied, Role
from c4desk.domain.radar import PolicyBand, RadarReading, RadarSite
from c4desk.store.db import Database
from c4desk.store.models import AuditEventRow
from c4desk.store.radar import RadarRepository, RadarSiteNotFound

ADMIN = Actor("root", Role.ADMIN, "ws0")
ANALYST = Actor("ana", Role.ANALYST, "ws1")
T0 = datetime(2026, 2, 1, tzinfo=UTC)
SITE = RadarSite(id="capitol-eb", name="Capitol Ave EB", speed_limit_kmh=40.0, sensor_ids=("r1", "r2"),
                 policy=(PolicyBand(48.0, "amber"), PolicyBand(64.0, "red")), lat=41.76, lon=-72.67)


def reading(device: str, hours: float, kmh: float) -> RadarReading:
    return RadarReading(sensor_id=device, read_at=T0 + timedelta(hours=hours), speed_kmh=kmh, lane="1",
                        direction="approaching", payload={"seq": hours})


@pytest.fixture
def radar(db: Database) -> RadarRepository:
    repo = RadarRepository(db)
    assert repo.upsert_site(ADMIN, SITE) is True
    return repo


def test_sites_are_edited_by_admins_and_audited(db: Database, radar: RadarRepository) -> None:
    assert radar.site("capitol-eb") == SITE
    changed = RadarSite(id="capitol-eb", name="Capitol Ave EB", speed_limit_kmh=48.0, sensor_ids=("r1",))
    assert radar.upsert_site(ADMIN, changed) is False
    assert radar.sites() == [changed]
    assert radar.device_sites() == {"r1": "capitol-eb"}
    with pytest.raises(PermissionDenied):
        radar.upsert_site(ANALYST, SITE)
    with db.session() as s:
        rows = s.scalars(select(AuditEventRow).order_by(AuditEventRow.id)).all()
    assert [(r.username, r.event_type, r.object, r.outcome, r.detail.get("action")) for r in rows] == [
        ("root", "privileged", "radar_site:capitol-eb", "success", "radar_site_add"),
        ("root", "privileged", "radar_site:capitol-eb", "success", "radar_site_update"),
        ("ana", "permission_denied", "radar_site:capitol-eb", "failure", "edit_cameras"),
    ]
    assert rows[1].detail["speed_limit_kmh"] == 48.0 and rows[0].detail["policy"][1] == {"from_kmh": 64.0,
                                                                                         "colour": "red"}


def test_readings_from_an_unknown_device_store_nothing(radar: RadarRepository) -> None:
    with pytest.raises(ValidationError) as err:
        radar.add_readings([reading("r1", 1, 50), reading("rX", 2, 50)])
    assert [str(e) for e in err.value.errors] == ["device: unknown radar device 'rX' (no site lists it)"]
    assert radar.count() == 0


def test_readings_by_site_and_period(radar: RadarRepository) -> None:
    assert radar.add_readings([reading("r1", h, 30 + h) for h in range(10)] + [reading("r2", 3.5, 99)]) == 11
    points = radar.site_points("capitol-eb", since=T0 + timedelta(hours=3), until=T0 + timedelta(hours=5))
    assert points == [(T0 + timedelta(hours=3), 33.0), (T0 + timedelta(hours=3.5), 99.0),
                      (T0 + timedelta(hours=4), 34.0)]
    assert all(at.tzinfo is not None for at, _ in points)
    with pytest.raises(RadarSiteNotFound):
        radar.site_points("nowhere")


def test_before_after_through_the_repository(radar: RadarRepository) -> None:
    radar.add_readings([reading("r1", 1, 50), reading("r2", 2, 70), reading("r1", 30, 40), reading("r1", 31, 44)])
    change = T0 + timedelta(days=1)
    result = radar.before_after(ANALYST, "capitol-eb", change)
    assert (result.before.overall.readings, result.after.overall.readings) == (2, 2)
    assert result.before.overall.mean_kmh == 60.0 and result.after.overall.mean_kmh == 42.0
    assert result.before.overall.lights == {"amber": 1, "red": 1}
    assert result.after.overall.share_over_limit == 0.5
    assert result.mean_change_kmh == -18.0
    assert radar.before_after(ANALYST, "capitol-eb", change, since=T0 + timedelta(hours=2)).before.overall.readings == 1
    with pytest.raises(PermissionDenied):
        radar.before_after(Actor("w", Role.WALL_OPERATOR), "capitol-eb", change)
    with pytest.raises(RadarSiteNotFound):
        radar.before_after(ANALYST, "nowhere", change)
