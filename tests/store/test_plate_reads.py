"""Plate-read repository on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from c4desk.domain.camera import Camera, CameraKind
from c4desk.domain.events import PlateRead
from c4desk.domain.plates import LprRead
from c4desk.store.bus import EventBus
from c4desk.store.cameras import CameraRepository
from c4desk.store.db import Database
from c4desk.store.models import PlateReadRow
from c4desk.store.plate_reads import PlateReadRepository

T0 = datetime(2026, 7, 4, 21, 15, tzinfo=UTC)


@pytest.fixture
def repo(db: Database, bus: EventBus) -> PlateReadRepository:
    CameraRepository(db).upsert_many(
        [Camera(id="lpr-1", name="LPR 1", lat=41.76, lon=-72.67, kind=CameraKind.LPR)]
    )
    return PlateReadRepository(db, bus)


def _read(plate: str, seconds: int) -> LprRead:
    return LprRead(
        camera_id="lpr-1",
        plate_raw=plate,
        read_at=T0 + timedelta(seconds=seconds),
        region="CT",
        confidence=0.93,
        direction="in",
        car_id="4411",
        plate_image_ref="media/plates/1.jpg",
    )


def test_add_stores_normalised_plate_and_publishes(
    repo: PlateReadRepository, bus: EventBus, db: Database
) -> None:
    got: list[PlateRead] = []
    bus.subscribe(PlateRead, got.append)
    stored = repo.add(_read("6pz-193", 0))
    assert stored.id is not None
    assert stored.plate_raw == "6pz-193" and stored.plate_norm == "6PZ193"
    with db.session() as s:
        assert s.scalars(select(PlateReadRow.plate_norm)).all() == ["6PZ193"]
    assert got == [PlateRead(read=stored)]


def test_recent_newest_first(repo: PlateReadRepository) -> None:
    for i, plate in enumerate(["AB12345", "CD 67890", "6PZ193"]):
        repo.add(_read(plate, i))
    recent = repo.recent(2)
    assert [r.plate_norm for r in recent] == ["6PZ193", "CD67890"]
    assert recent[0].read_at == T0 + timedelta(seconds=2) and recent[0].read_at.tzinfo is UTC
    assert len(repo.recent()) == 3


def test_unknown_camera_is_refused(repo: PlateReadRepository, bus: EventBus) -> None:
    got: list[PlateRead] = []
    bus.subscribe(PlateRead, got.append)
    bad = LprRead(camera_id="no-such-camera", plate_raw="AB12345", read_at=T0)
    with pytest.raises(IntegrityError):
        repo.add(bad)
    assert repo.recent() == [] and got == []
