"""Saved wall views (own and shared, favourites) and wall snapshots (PNG + SHA-256 + row), on both backends."""

from __future__ import annotations

import hashlib
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from c4desk.domain.errors import ValidationError
from c4desk.domain.layouts import ViewSpec, preset, uniform
from c4desk.domain.permissions import Actor, Role
from c4desk.store.db import Database
from c4desk.store.models import SavedViewRow
from c4desk.store.snapshots import SnapshotRepository
from c4desk.store.views import ViewNotFound, ViewPermissionError, ViewRepository

ANA = Actor("ana", Role.ANALYST)  # no workstation of her own: the repository's is recorded


def tiny_png(seed: int = 0) -> bytes:
    """A real 1x1 PNG (signature, IHDR, IDAT, IEND), built by hand so the store test needs no Qt."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    ihdr = (1).to_bytes(4, "big") * 2 + bytes([8, 2, 0, 0, 0])
    pixel = zlib.compress(bytes([0, seed % 256, 128, 255]))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", pixel) + chunk(b"IEND", b"")


def test_views_round_trip_per_user_and_shared(db: Database) -> None:
    repo = ViewRepository(db)
    mine = ViewSpec(name="Downtown", layout=preset("1+5"), cameras=("cam01", None, "cam03"))
    saved = repo.save("ana", mine)
    assert saved.owner == "ana" and not saved.shared and saved.spec == mine
    shared = repo.save("ben", ViewSpec(name="Room", layout=uniform(3), cycle=tuple(f"cam{i:02d}" for i in range(12)),
                                       dwell_s=5.0), shared=True, note="morning tour")
    repo.save("ben", ViewSpec(name="Private", layout=uniform(1), cameras=("cam09",)))
    assert [(v.owner, v.name) for v in repo.list_for("ana")] == [("ana", "Downtown"), ("ben", "Room")]
    assert [v.name for v in repo.list_for("ben")] == ["Private", "Room"]
    assert repo.get(shared.id) == shared and repo.get(shared.id).note == "morning tour"  # type: ignore[union-attr]
    assert repo.find("ana", "Downtown") == saved
    # Saving again under the same name replaces the view.
    again = repo.save("ana", mine.with_cameras(["cam02"]))
    assert again.id == saved.id and again.spec.cameras[0] == "cam02"


def test_only_the_owner_changes_a_view(db: Database) -> None:
    repo = ViewRepository(db)
    view = repo.save("ben", ViewSpec(name="Room", layout=uniform(2)), shared=True)
    with pytest.raises(ViewPermissionError):
        repo.delete("ana", view.id)
    with pytest.raises(ViewPermissionError):
        repo.set_favourite("ana", view.id, 1)
    repo.delete("ben", view.id)
    assert repo.get(view.id) is None
    with pytest.raises(ViewNotFound):
        repo.delete("ben", view.id)


def test_favourite_slots_belong_to_one_view_per_user(db: Database) -> None:
    repo = ViewRepository(db)
    a = repo.save("ana", ViewSpec(name="A", layout=uniform(1), favourite=1))
    b = repo.save("ana", ViewSpec(name="B", layout=uniform(2)))
    repo.save("ben", ViewSpec(name="Room", layout=uniform(3), favourite=1), shared=True)
    repo.save("ben", ViewSpec(name="Room 2", layout=uniform(3), favourite=2), shared=True)
    repo.set_favourite("ana", b.id, 1)  # takes slot 1 away from A
    favs = repo.favourites("ana")
    assert {slot: v.name for slot, v in favs.items()} == {1: "B", 2: "Room 2"}  # own first, shared fill gaps
    assert repo.get(a.id).spec.favourite is None  # type: ignore[union-attr]


def test_other_kinds_of_saved_views_are_left_alone(db: Database) -> None:
    with db.session(write=True) as s:
        s.add(SavedViewRow(name="Map north", owner="ana", shared=True, layout={"kind": "map", "zoom": 15}))
        s.add(SavedViewRow(name="Broken", owner="ana", shared=False, layout={"kind": "wall", "layout": "?"}))
    repo = ViewRepository(db)
    assert repo.list_for("ana") == []
    with pytest.raises(ValueError, match="another kind"):
        repo.save("ana", ViewSpec(name="Map north", layout=uniform(1)))
    with db.session() as s:
        assert s.scalars(select(SavedViewRow.layout).where(SavedViewRow.name == "Map north")).one()["kind"] == "map"


def test_snapshot_is_stored_hashed_and_recorded(db: Database, tmp_path: Path) -> None:
    repo = SnapshotRepository(db, tmp_path / "snaps", workstation="seat-1")
    png = tiny_png(7)
    when = datetime(2026, 7, 6, 14, 3, 9, 250000, tzinfo=UTC)
    snap = repo.save(ANA, png, camera_id="cam01", camera_name="High & Elm", width=1, height=1,
                     taken_at=when, stream="main")
    assert snap.sha256 == hashlib.sha256(png).hexdigest()
    assert snap.path.read_bytes() == png and snap.path.parent.name == "cam01"
    assert snap.taken_at == when and snap.workstation == "seat-1" and snap.size_bytes == len(png)
    assert snap.taken_by == "ana"
    assert repo.get(snap.id) == snap
    assert repo.verify(snap.id)
    snap.path.write_bytes(tiny_png(8))  # tampered with
    assert not repo.verify(snap.id)
    later = repo.save(ANA, tiny_png(9), camera_id="cam01", width=1, height=1,
                      taken_at=when + timedelta(seconds=1))
    assert [s.id for s in repo.for_camera("cam01")] == [later.id, snap.id]


def test_snapshot_refuses_what_it_cannot_vouch_for(db: Database, tmp_path: Path) -> None:
    repo = SnapshotRepository(db, tmp_path)
    with pytest.raises(ValidationError, match="PNG") as refused:
        repo.save(ANA, b"GIF89a...", camera_id="cam01", width=1, height=1)
    assert [e.field for e in refused.value.errors] == ["png"]
    with pytest.raises(ValidationError, match="time zone"):
        repo.save(ANA, tiny_png(), camera_id="cam01", width=1, height=1, taken_at=datetime(2026, 7, 6, 14, 0))
    with pytest.raises(ValidationError, match="camera") as refused:
        repo.save(ANA, tiny_png(), camera_id="", width=0, height=1)
    assert [e.field for e in refused.value.errors] == ["camera_id", "width"]
    # A row that cannot be written (no such case: found inside the transaction) leaves no file behind.
    with pytest.raises(ValidationError, match="no case 424242"):
        repo.save(ANA, tiny_png(), camera_id="cam01", width=1, height=1, case_id=424242)
    assert list(tmp_path.rglob("*.png")) == []


def test_snapshots_attach_to_cases(db: Database, tmp_path: Path) -> None:
    from c4desk.store.models import CaseRow

    with db.session(write=True) as s:
        case = CaseRow(number="2026-000123", title="Shots fired Elm St", created_by="ana")
        s.add(case)
        s.flush()
        case_id = case.id
    repo = SnapshotRepository(db, tmp_path)
    snap = repo.save(ANA, tiny_png(), camera_id="cam02", width=1, height=1)
    assert repo.attach(ANA, snap.id, case_id).case_id == case_id
    assert [s.id for s in repo.for_case(case_id)] == [snap.id]
    assert repo.attach(ANA, snap.id, None).case_id is None
