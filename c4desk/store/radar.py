"""Speed-radar sites and readings: the pilot's configuration, bulk storage of readings, and the before/after query.

A reading belongs to a site through the site's ``sensor_ids``. Readings from a device no site lists are
refused (naming the device), the way LPR events from an unknown camera are: a typo in a device id would
otherwise store data no report ever shows. Speeds are stored in km/h.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, tzinfo
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from c4desk.domain.audit import AuditType
from c4desk.domain.errors import FieldError, ValidationError
from c4desk.domain.permissions import Action, Actor
from c4desk.domain.radar import BeforeAfter, RadarReading, RadarSite, before_after, parse_policy
from c4desk.store.audit import append_audit, require_audited
from c4desk.store.db import Database
from c4desk.store.models import RadarReadingRow, RadarSiteRow

_CHUNK = 5_000
# Core inserts on the table: the ORM's bulk path costs several times more per row on a year of readings.
_READINGS = RadarReadingRow.metadata.tables[RadarReadingRow.__tablename__]


class RadarSiteNotFound(LookupError):
    def __init__(self, site_id: str) -> None:
        self.site_id = site_id
        super().__init__(f"no radar site {site_id!r}")


def to_site(row: RadarSiteRow) -> RadarSite:
    return RadarSite(id=row.id, name=row.name, speed_limit_kmh=row.speed_limit_kmh,
                     sensor_ids=tuple(row.sensor_ids or ()), policy=parse_policy(row.policy or ()), lat=row.lat,
                     lon=row.lon)


def _site_values(site: RadarSite) -> dict[str, Any]:
    return {"name": site.name, "lat": site.lat, "lon": site.lon, "speed_limit_kmh": site.speed_limit_kmh,
            "sensor_ids": list(site.sensor_ids), "policy": [b.as_json() for b in site.policy]}


def reading_values(reading: RadarReading) -> dict[str, Any]:
    return {"sensor_id": reading.sensor_id, "camera_id": reading.camera_id,
            "read_at": reading.read_at.astimezone(UTC), "speed_kmh": reading.speed_kmh,
            "heading_deg": reading.heading_deg, "distance_m": reading.distance_m, "lane": reading.lane,
            "direction": reading.direction, "payload": dict(reading.payload)}


def insert_readings(session: Session, readings: Iterable[RadarReading]) -> int:
    """Add readings in ``session`` (the caller's transaction), in chunks; returns how many."""
    count = 0
    batch: list[dict[str, Any]] = []
    for reading in readings:
        batch.append(reading_values(reading))
        if len(batch) >= _CHUNK:
            session.execute(insert(_READINGS), batch)
            count += len(batch)
            batch = []
    if batch:
        session.execute(insert(_READINGS), batch)
        count += len(batch)
    return count


def put_site(session: Session, site: RadarSite) -> bool:
    """Insert or update ``site`` in ``session``; True when it was new. No permission check: see ``upsert_site``."""
    row = session.get(RadarSiteRow, site.id)
    if row is None:
        session.add(RadarSiteRow(id=site.id, **_site_values(site)))
        session.flush()
        return True
    for name, value in _site_values(site).items():
        setattr(row, name, value)
    session.flush()
    return False


def device_sites(session: Session) -> dict[str, str]:
    """Device id -> the site that lists it."""
    out: dict[str, str] = {}
    for site_id, sensors in session.execute(select(RadarSiteRow.id, RadarSiteRow.sensor_ids).order_by(RadarSiteRow.id)):
        for sensor in sensors or ():
            out.setdefault(sensor, site_id)
    return out


class RadarRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    # --- sites -----------------------------------------------------------------------------------------------

    def upsert_site(self, actor: Actor, site: RadarSite) -> bool:
        """Create or change a site (needs EDIT_CAMERAS; audited as a privileged change). True when new."""
        require_audited(self._db, actor, Action.EDIT_CAMERAS, f"radar_site:{site.id}")
        with self._db.session(write=True) as session:
            created = put_site(session, site)
            append_audit(session, username=actor.username, workstation=actor.workstation,
                         event_type=AuditType.PRIVILEGED.value, object=f"radar_site:{site.id}",
                         detail={"action": "radar_site_" + ("add" if created else "update"), **_site_values(site)})
        return created

    def sites(self) -> list[RadarSite]:
        with self._db.session() as session:
            return [to_site(r) for r in session.scalars(select(RadarSiteRow).order_by(RadarSiteRow.id))]

    def site(self, site_id: str) -> RadarSite | None:
        with self._db.session() as session:
            row = session.get(RadarSiteRow, site_id)
            return None if row is None else to_site(row)

    def device_sites(self) -> dict[str, str]:
        """Every known device id and the site it belongs to."""
        with self._db.session() as session:
            return device_sites(session)

    # --- readings --------------------------------------------------------------------------------------------

    def add_readings(self, readings: Sequence[RadarReading]) -> int:
        """Store readings in one transaction (all or nothing). Unknown devices: ValidationError, nothing stored."""
        with self._db.session(write=True) as session:
            known = device_sites(session)
            unknown = sorted({r.sensor_id for r in readings} - known.keys())
            if unknown:
                raise ValidationError([FieldError("device", f"unknown radar device {d!r} (no site lists it)")
                                       for d in unknown])
            return insert_readings(session, readings)

    def site_points(self, site_id: str, *, since: datetime | None = None,
                    until: datetime | None = None) -> list[tuple[datetime, float]]:
        """(time, km/h) of every reading at the site in ``[since, until)``, oldest first."""
        with self._db.session() as session:
            row = session.get(RadarSiteRow, site_id)
            if row is None:
                raise RadarSiteNotFound(site_id)
            query = (select(RadarReadingRow.read_at, RadarReadingRow.speed_kmh)
                     .where(RadarReadingRow.sensor_id.in_(list(row.sensor_ids or ())))
                     .order_by(RadarReadingRow.read_at))
            if since is not None:
                query = query.where(RadarReadingRow.read_at >= since)
            if until is not None:
                query = query.where(RadarReadingRow.read_at < until)
            return [(at, speed) for at, speed in session.execute(query)]

    def count(self) -> int:
        with self._db.session() as session:
            return session.scalar(select(func.count()).select_from(RadarReadingRow)) or 0

    def before_after(self, actor: Actor, site_id: str, change_at: datetime, *, tz: tzinfo = UTC,
                     since: datetime | None = None, until: datetime | None = None) -> BeforeAfter:
        """The pilot's comparison at ``site_id`` around ``change_at`` (needs VIEW_REPORTS)."""
        require_audited(self._db, actor, Action.VIEW_REPORTS, f"report:radar:{site_id}")
        site = self.site(site_id)
        if site is None:
            raise RadarSiteNotFound(site_id)
        points = self.site_points(site_id, since=since, until=until)
        return before_after(points, site_id=site.id, speed_limit_kmh=site.speed_limit_kmh, policy=site.policy,
                            change_at=change_at, tz=tz)
