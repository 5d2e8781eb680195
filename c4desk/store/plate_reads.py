"""Licence-plate reads: store one as it arrives, list the latest."""

from __future__ import annotations

from datetime import UTC

from sqlalchemy import select

from c4desk.domain.events import PlateRead
from c4desk.domain.plates import LprRead
from c4desk.store.bus import EventBus
from c4desk.store.db import Database
from c4desk.store.models import PlateReadRow


def to_read(row: PlateReadRow) -> LprRead:
    return LprRead(
        id=row.id, camera_id=row.camera_id, plate_raw=row.plate_raw, read_at=row.read_at, region=row.region,
        confidence=row.confidence, direction=row.direction, car_id=row.car_id,
        plate_image_ref=row.plate_image_ref, vehicle_image_ref=row.vehicle_image_ref,
    )


class PlateReadRepository:
    def __init__(self, db: Database, bus: EventBus | None = None) -> None:
        self._db = db
        self._bus = bus

    def add(self, read: LprRead) -> LprRead:
        """Store a read (its camera must exist), returns it with its id, publishes PlateRead after commit."""
        with self._db.session(write=True) as session:
            row = PlateReadRow(
                camera_id=read.camera_id, plate_raw=read.plate_raw, plate_norm=read.plate_norm,
                region=read.region, read_at=read.read_at.astimezone(UTC), confidence=read.confidence,
                direction=read.direction, car_id=read.car_id, plate_image_ref=read.plate_image_ref,
                vehicle_image_ref=read.vehicle_image_ref,
            )
            session.add(row)
            session.flush()
            stored = to_read(row)
        if self._bus is not None:
            self._bus.publish(PlateRead(read=stored))
        return stored

    def recent(self, limit: int = 100) -> list[LprRead]:
        """The latest reads by read time, newest first."""
        newest = (PlateReadRow.read_at.desc(), PlateReadRow.id.desc())
        query = select(PlateReadRow).order_by(*newest).limit(limit)
        with self._db.session() as session:
            return [to_read(r) for r in session.scalars(query)]
