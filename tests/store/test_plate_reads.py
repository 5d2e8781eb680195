"""Plate-read repository on both backends, and the distinct-plate index its writes keep (SQLite)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError

from c4desk.domain.camera import Camera, CameraKind
from c4desk.domain.errors import ValidationError
from c4desk.domain.events import PlateRead
from c4desk.domain.permissions import Actor, PermissionDenied, Role
from c4desk.domain.plate_match import fold_plate
from c4desk.domain.plates import LprRead
from c4desk.store.bus import EventBus
from c4desk.store.cameras import CameraRepository
from c4desk.store.db import Database
from c4desk.store.models import AuditEventRow, PlateReadRow
from c4desk.store.models.plates import PLATE_BLOCK_BITS, PlateRow, PlateTrigramRow
from c4desk.store.plate_reads import PlateReadRepository, trigrams

T0 = datetime(2026, 7, 4, 21, 15, tzinfo=UTC)
ANALYST = Actor("ana", Role.ANALYST, "ws-ana")
WALL = Actor("wally", Role.WALL_OPERATOR, "wall-1")


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
    recent = repo.recent(2, actor=ANALYST)
    assert [r.plate_norm for r in recent] == ["6PZ193", "CD67890"]
    assert recent[0].read_at == T0 + timedelta(seconds=2) and recent[0].read_at.tzinfo is UTC
    assert len(repo.recent(actor=ANALYST)) == 3


def test_unknown_camera_is_refused(repo: PlateReadRepository, bus: EventBus) -> None:
    got: list[PlateRead] = []
    bus.subscribe(PlateRead, got.append)
    bad = LprRead(camera_id="no-such-camera", plate_raw="AB12345", read_at=T0)
    with pytest.raises(IntegrityError):
        repo.add(bad)
    assert repo.recent(actor=ANALYST) == [] and got == []


def test_between_finds_old_reads_of_the_cameras_asked_for_newest_first(repo: PlateReadRepository,
                                                                        db: Database) -> None:
    """A window a month back is found however many reads came since; camera_ids narrows it (None: all)."""
    CameraRepository(db).upsert_many([Camera(id="lpr-2", name="LPR 2", lat=41.77, lon=-72.68,
                                             kind=CameraKind.LPR)])
    old = T0 - timedelta(days=30)
    stored = [repo.add(LprRead(camera_id=camera, plate_raw=f"OLD{i}", read_at=old + timedelta(seconds=i)))
              for i, camera in enumerate(["lpr-1", "lpr-2", "lpr-1", "lpr-2"])]
    for i in range(10):
        repo.add(_read(f"NEW{i}", i))
    # "recent" alone misses the old ones
    assert all(r.plate_norm.startswith("NEW") for r in repo.recent(10, actor=ANALYST))
    window = (old, old + timedelta(seconds=3))
    assert [r.plate_norm for r in repo.between(*window, actor=ANALYST)] == ["OLD3", "OLD2", "OLD1", "OLD0"]
    assert [r.plate_norm for r in repo.between(*window, actor=ANALYST, camera_ids=["lpr-1"])] == ["OLD2", "OLD0"]
    assert repo.between(*window, actor=ANALYST, camera_ids=["lpr-2", "lpr-2"]) == [stored[3], stored[1]]
    assert repo.between(*window, actor=ANALYST, camera_ids=[]) == []
    assert repo.between(old + timedelta(seconds=1), old + timedelta(seconds=2),
                        actor=ANALYST) == [stored[2], stored[1]]
    newest = repo.between(old, T0 + timedelta(minutes=1), actor=ANALYST, camera_ids=["lpr-1"], limit=2)
    assert [r.plate_norm for r in newest] == ["NEW9", "NEW8"] and newest[0].read_at.tzinfo is UTC
    with db.session() as s:
        indexes = [ix["column_names"] for ix in inspect(s.connection()).get_indexes("plate_reads")]
    assert ["read_at"] in indexes and ["camera_id", "read_at"] in indexes


def test_between_refuses_a_bad_window_naming_the_field(repo: PlateReadRepository) -> None:
    with pytest.raises(ValidationError) as naive:
        repo.between(T0, T0.replace(tzinfo=None), actor=ANALYST)
    assert [e.field for e in naive.value.errors] == ["end"]
    with pytest.raises(ValidationError) as backwards:
        repo.between(T0, T0 - timedelta(seconds=1), actor=ANALYST, camera_ids=["lpr-1"])
    assert [e.field for e in backwards.value.errors] == ["end"]
    with pytest.raises(ValidationError) as limit:
        repo.between(T0, T0, actor=ANALYST, limit=-1)
    assert [e.field for e in limit.value.errors] == ["limit"]


def audit_records(db: Database) -> list[tuple[str, str, str, str]]:
    with db.session() as s:
        return [(r.username, r.event_type, r.object, r.outcome)
                for r in s.scalars(select(AuditEventRow).order_by(AuditEventRow.id))]


def test_the_feeds_need_search_plates_and_only_a_refusal_is_audited(repo: PlateReadRepository, db: Database) -> None:
    """The live feed (``recent``) and the timeline's reads (``between``) are where a vehicle was and when, as a plate
    search is: a wall operator is refused (one ``permission_denied`` record each), before the window is even
    checked; a granted read is a feed, not a query, and writes no record at all."""
    repo.add(_read("6PZ193", 0))
    assert [r.plate_norm for r in repo.recent(actor=ANALYST)] == ["6PZ193"]
    assert [r.plate_norm for r in repo.between(T0, T0 + timedelta(seconds=1), actor=ANALYST)] == ["6PZ193"]
    assert audit_records(db) == []
    with pytest.raises(PermissionDenied) as recent:
        repo.recent(200, actor=WALL)
    with pytest.raises(PermissionDenied) as between:
        repo.between(T0, T0.replace(tzinfo=None), actor=WALL)  # refused first: the bad window is never looked at
    assert recent.value.actor == WALL and between.value.actor == WALL
    assert audit_records(db) == [("wally", "permission_denied", "plates:recent", "failure"),
                                 ("wally", "permission_denied", "plates:between", "failure")]
    with db.session() as s:
        details = [r.detail for r in s.scalars(select(AuditEventRow).order_by(AuditEventRow.id))]
    assert [(d["query"], d["action"], d["role"]) for d in details] == [
        ("recent", "search_plates", "wall_operator"), ("between", "search_plates", "wall_operator")]
    assert details[0]["limit"] == 200


# The distinct-plate index (SQLite's wildcard/partial search structure, see models.plates.PlateRow).


def index_state(db: Database) -> tuple[dict[str, tuple[int, str]], set[tuple[int, str, int]]]:
    """``plates`` as {plate_norm: (id, plate_fold)} and ``plate_trigrams`` as a set of rows."""
    with db.session() as s:
        plates = {str(n): (int(i), str(f)) for i, n, f in
                  s.execute(select(PlateRow.id, PlateRow.plate_norm, PlateRow.plate_fold))}
        postings = {(int(b), str(g), int(p)) for b, g, p in
                    s.execute(select(PlateTrigramRow.block, PlateTrigramRow.trigram, PlateTrigramRow.plate_id))}
    return plates, postings


def assert_index_consistent(db: Database) -> set[str]:
    """On SQLite the index holds exactly the plates of the stored reads, each with all of its trigrams; on
    PostgreSQL (pg_trgm serves the search) it stays empty. Returns the stored reads' plates."""
    with db.session() as s:
        read_plates = set(s.scalars(select(PlateReadRow.plate_norm).distinct()))
    plates, postings = index_state(db)
    if not db.is_sqlite:
        assert (plates, postings) == ({}, set())
        return read_plates
    assert set(plates) == read_plates
    assert all(fold == fold_plate(plate) for plate, (_, fold) in plates.items())
    assert postings == {(i >> PLATE_BLOCK_BITS, gram, i) for i, fold in plates.values() for gram in trigrams(fold)}
    return read_plates


def test_trigrams() -> None:
    assert trigrams("ABC12") == {"ABC", "BC1", "C12"}
    assert trigrams("AAAA") == {"AAA"}
    assert trigrams("AB") == set()


def test_bulk_load_indexes_each_distinct_plate_once(repo: PlateReadRepository, db: Database) -> None:
    # More reads than one insert chunk and more distinct plates than one trigram block; plates repeat across
    # chunks and within one.
    plates = [f"K{i % 20_000:05d}X" for i in range(26_000)] + ["AB", "6PZ-193", "6pz 193"]
    assert repo.bulk_add(_read(p, i) for i, p in enumerate(plates)) == len(plates)
    assert len(assert_index_consistent(db)) == 20_002
    if db.is_sqlite:
        ids = sorted(i for i, _ in index_state(db)[0].values())
        assert ids[-1] >> PLATE_BLOCK_BITS == 1  # the second block is in use
        assert repo.bulk_add([_read("K00001X", 0), _read("NEW1", 1)]) == 2  # one known plate, one new
        assert len(assert_index_consistent(db)) == 20_003


def test_live_reads_and_passage_corrections_are_indexed(repo: PlateReadRepository, db: Database) -> None:
    repo.add(_read("6pz-193", 0))
    first, created = repo.record_passage(replace(_read("6PZ193", 1), car_id="77"))
    assert created and assert_index_consistent(db) == {"6PZ193"}
    # The reader corrects the plate of the same passage: the corrected plate becomes searchable at once.
    second, created = repo.record_passage(replace(_read("6PZ198", 2), car_id="77"))
    assert not created and second.id == first.id
    assert "6PZ198" in index_state(db)[0] or not db.is_sqlite
    with db.session() as s:
        assert set(s.scalars(select(PlateReadRow.plate_norm))) == {"6PZ193", "6PZ198"}
    assert_index_consistent(db)


def test_rolled_back_writes_leave_no_plates(repo: PlateReadRepository, db: Database) -> None:
    good = [_read(f"R{i:05d}", i) for i in range(12_000)]  # the first chunk is written before the bad read
    bad = LprRead(camera_id="no-such-camera", plate_raw="BAD123", read_at=T0)
    with pytest.raises((IntegrityError, psycopg.IntegrityError)):  # COPY on PostgreSQL raises the driver's
        repo.bulk_add([*good, bad])
    with pytest.raises(IntegrityError):
        repo.add(bad)
    assert repo.count() == 0
    assert index_state(db) == ({}, set())
    repo.add(_read("OK123", 0))
    assert assert_index_consistent(db) == {"OK123"}
