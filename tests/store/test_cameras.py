"""Camera repository on both backends: round trip, update by id, one transaction per import, events, and the
guarded, audited import a person makes."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select
from sqlalchemy.exc import StatementError

from c4desk.domain.camera import Camera, CameraKind, PtzProtocol
from c4desk.domain.errors import ValidationError
from c4desk.domain.events import CamerasChanged
from c4desk.domain.permissions import Actor, PermissionDenied, Role
from c4desk.store.bus import EventBus
from c4desk.store.cameras import CameraRepository
from c4desk.store.db import Database
from c4desk.store.models import AuditEventRow

PTZ = Camera(
    id="cam-ptz-1",
    name="Main & Pearl PTZ",
    lat=41.7661,
    lon=-72.6734,
    heading_deg=135.0,
    fov_deg=60.0,
    range_m=250.0,
    kind=CameraKind.PTZ,
    serial="ACCC8E000001",
    stream_main="rtsp://10.0.0.5/axis-media/media.amp",
    stream_sub="rtsp://10.0.0.5/axis-media/media.amp?resolution=640x360",
    ptz_protocol=PtzProtocol.VAPIX,
    ptz_url="http://10.0.0.5",
    credential_ref="c4desk/cam-ptz-1",
    owner="City of Hartford",
    contact="it@example.org",
    enabled=False,
    extra={"zone": "downtown", "mount": "pole 12"},
)
LPR = Camera(
    id="cam-lpr-1",
    name="Capitol Ave LPR",
    lat=41.7640,
    lon=-72.6800,
    kind=CameraKind.LPR,
    serial="ACCC8E000002",
)
PRIVATE = Camera(
    id="cam-priv-1",
    name="Corner store",
    lat=41.7650,
    lon=-72.6720,
    kind=CameraKind.PRIVATE,
    owner="Corner Store LLC",
)


@pytest.fixture
def repo(db: Database, bus: EventBus) -> CameraRepository:
    return CameraRepository(db, bus)


@pytest.fixture
def changes(bus: EventBus) -> list[CamerasChanged]:
    got: list[CamerasChanged] = []
    bus.subscribe(CamerasChanged, got.append)
    return got


def test_round_trip_keeps_every_field(repo: CameraRepository) -> None:
    assert repo.upsert_many([PTZ, LPR, PRIVATE]) == (3, 0)
    got = repo.get("cam-ptz-1")
    assert got == PTZ
    assert got is not None and got.extra == PTZ.extra  # extra is excluded from ==, so check it too
    assert repo.get("nope") is None
    assert repo.count() == 3
    assert [c.id for c in repo.list()] == ["cam-lpr-1", "cam-priv-1", "cam-ptz-1"]
    assert repo.list(kind=CameraKind.LPR) == [LPR]
    assert repo.list(kind="private") == [PRIVATE]
    assert repo.by_serial("ACCC8E000002") == LPR
    assert repo.by_serial("") is None and repo.by_serial("missing") is None


def test_reimport_updates_by_id(repo: CameraRepository, changes: list[CamerasChanged]) -> None:
    repo.upsert_many([PTZ, LPR])
    moved = replace(LPR, lat=41.7645, name="Capitol Ave LPR (moved)")
    assert repo.upsert_many([PTZ, moved, PRIVATE]) == (1, 1)
    assert repo.get("cam-lpr-1") == moved
    assert repo.count() == 3
    assert repo.upsert_many([PTZ, moved, PRIVATE]) == (0, 0)  # unchanged: nothing to report
    assert [(c.created, c.updated) for c in changes] == [
        (("cam-ptz-1", "cam-lpr-1"), ()),
        (("cam-priv-1",), ("cam-lpr-1",)),
    ]


def test_event_is_published_after_commit(repo: CameraRepository, bus: EventBus) -> None:
    seen_counts: list[int] = []
    bus.subscribe(CamerasChanged, lambda e: seen_counts.append(repo.count()))  # reads through a new session
    repo.upsert_many([PTZ, LPR])
    assert seen_counts == [2]


def test_failing_batch_stores_nothing(repo: CameraRepository, changes: list[CamerasChanged]) -> None:
    repo.upsert_many([LPR])
    renamed = replace(LPR, name="renamed")
    # A value the database layer cannot store fails at flush, after earlier rows were already sent.
    broken = replace(PRIVATE, extra={"bad": object()})  # type: ignore[dict-item]
    # SQLAlchemy wraps the encoder's TypeError on SQLite; psycopg's JSONB adapter raises it bare.
    with pytest.raises((StatementError, TypeError), match="not JSON serializable"):
        repo.upsert_many([PTZ, renamed, broken])
    assert repo.count() == 1
    assert repo.get("cam-lpr-1") == LPR
    assert len(changes) == 1


def test_duplicate_ids_in_a_batch_are_refused(repo: CameraRepository) -> None:
    with pytest.raises(ValidationError, match="duplicate id 'cam-lpr-1' in the batch"):
        repo.upsert_many([LPR, PTZ, LPR])
    assert repo.count() == 0


def test_serial_taken_by_another_camera_is_refused(repo: CameraRepository) -> None:
    repo.upsert_many([LPR])
    thief = replace(PTZ, serial=LPR.serial)
    with pytest.raises(ValidationError, match="'ACCC8E000002' already belongs to camera 'cam-lpr-1'"):
        repo.upsert_many([PRIVATE, thief])
    assert repo.count() == 1
    with pytest.raises(ValidationError, match="is given to both 'cam-ptz-1' and 'cam-lpr-1'"):
        repo.upsert_many([replace(PTZ, serial="S1"), replace(LPR, serial="S1")])


def test_serials_may_move_and_swap_within_one_import(repo: CameraRepository) -> None:
    repo.upsert_many([PTZ, LPR])
    swapped = [replace(PTZ, serial=LPR.serial), replace(LPR, serial=PTZ.serial)]
    assert repo.upsert_many(swapped) == (0, 2)
    assert repo.by_serial(LPR.serial) == swapped[0]
    assert repo.upsert_many([replace(PTZ, serial=""), replace(PRIVATE, serial=LPR.serial)]) == (1, 1)
    assert repo.by_serial(LPR.serial) == replace(PRIVATE, serial=LPR.serial)
    assert repo.get(PTZ.id) == replace(PTZ, serial="")


def test_many_cameras_without_serials(repo: CameraRepository) -> None:
    """More cameras than one IN (...) chunk, none with a serial (the unique index must ignore them)."""
    cams = [
        Camera(id=f"cam-{i:04d}", name=f"Camera {i}", lat=41.7 + i * 1e-5, lon=-72.6) for i in range(1200)
    ]
    assert repo.upsert_many(cams) == (1200, 0)
    assert repo.upsert_many([replace(c, heading_deg=90.0) for c in cams]) == (0, 1200)
    assert repo.count() == 1200


def test_a_site_import_by_a_person_is_guarded_and_audited(repo: CameraRepository, db: Database,
                                                          changes: list[CamerasChanged]) -> None:
    """``import_cameras`` is ``upsert_many`` done by someone: EDIT_CAMERAS (administrators), the ids it created and
    updated audited in the same transaction; a refusal stores nothing and is audited itself."""
    admin = Actor("boss", Role.ADMIN, "ws-1")
    with pytest.raises(PermissionDenied, match="may not edit cameras"):
        repo.import_cameras([PTZ], actor=Actor("sam", Role.SUPERVISOR, "ws-2"), source="site.csv")
    assert repo.count() == 0 and changes == []
    assert repo.import_cameras([PTZ, LPR], actor=admin, source="site.csv") == (2, 0)
    assert repo.import_cameras([replace(PTZ, name="moved"), LPR, PRIVATE], actor=admin) == (1, 1)
    with pytest.raises(ValidationError):  # a bad batch is refused before anything is checked or stored
        repo.import_cameras([LPR, LPR], actor=admin)
    with db.session() as s:
        rows = s.scalars(select(AuditEventRow).order_by(AuditEventRow.id)).all()
    assert [(r.username, r.workstation, r.event_type, r.object, r.outcome) for r in rows] == [
        ("sam", "ws-2", "permission_denied", "site:site.csv", "failure"),
        ("boss", "ws-1", "privileged", "site:site.csv", "success"),
        ("boss", "ws-1", "privileged", "site", "success")]
    assert [(r.detail["created"], r.detail["updated"], r.detail["unchanged"]) for r in rows[1:]] == [
        ([PTZ.id, LPR.id], [], 0), ([PRIVATE.id], [PTZ.id], 1)]
    assert changes == [CamerasChanged(created=(PTZ.id, LPR.id)),
                       CamerasChanged(created=(PRIVATE.id,), updated=(PTZ.id,))]
