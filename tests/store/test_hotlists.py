"""Hotlists on both backends: atomic import and replace, BOLOs, expiry, audit trail, change notices, hit alerts,
and who may change what (EDIT_BOLO for manual entries, IMPORT_HOTLIST for lists and their entries)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from c4desk.domain.camera import Camera, CameraKind
from c4desk.domain.errors import ValidationError
from c4desk.domain.events import AlertRaised, Event, HotlistHit
from c4desk.domain.permissions import Actor, PermissionDenied, Role
from c4desk.domain.plate_match import EntryIndex, HotlistEntry, MatchKind
from c4desk.domain.plates import LprRead
from c4desk.store.bus import EventBus
from c4desk.store.cameras import CameraRepository
from c4desk.store.db import Database
from c4desk.store.hotlist_alerts import add_hotlist_hit, hit_alert_id
from c4desk.store.hotlists import BOLO_LIST, HotlistRepository
from c4desk.store.models import AuditEventRow
from c4desk.store.plate_reads import PlateReadRepository

NOW = datetime.now(UTC)
# No workstation of their own: the repository's ("ws-1") is recorded.
SUP = Actor("ana", Role.SUPERVISOR)
SGT = Actor("sgt", Role.ANALYST)
BOB = Actor("bob", Role.ANALYST)
ADMIN = Actor("admin", Role.ADMIN)
WALL = Actor("wally", Role.WALL_OPERATOR, "wall-1")


def e(plate: str, **kw: object) -> HotlistEntry:
    return HotlistEntry(plate_raw=plate, **kw)  # type: ignore[arg-type]


@pytest.fixture
def repo(db: Database) -> HotlistRepository:
    return HotlistRepository(db, workstation="ws-1")


def plates(repo: HotlistRepository, name: str) -> dict[str, str]:
    return {x.plate: x.reason for x in repo.entries(name)}


def audit(db: Database) -> list[AuditEventRow]:
    with db.session() as s:
        return list(s.scalars(select(AuditEventRow).order_by(AuditEventRow.id)))


def test_import_then_reimport_updates_and_replace_removes(repo: HotlistRepository) -> None:
    first = repo.import_list("NCIC", [e("ABC123", reason="stolen"), e("XYZ9", reason="wanted"),
                                      e("QQQ1", region="CT")], source="ncic.csv", actor=SUP)
    assert (first.created, first.updated, first.removed, first.unchanged) == (3, 0, 0, 0)
    merged = repo.import_list("NCIC", [e("ABC123", reason="stolen"), e("XYZ9", reason="armed"), e("NEW1")],
                              actor=SUP)
    assert (merged.created, merged.updated, merged.removed, merged.unchanged) == (1, 1, 0, 1)
    assert plates(repo, "NCIC") == {"ABC123": "stolen", "XYZ9": "armed", "QQQ1": "", "NEW1": ""}
    replaced = repo.import_list("NCIC", [e("ABC123", reason="stolen")], replace=True, actor=SUP)
    assert (replaced.created, replaced.removed, replaced.unchanged) == (0, 3, 1)
    assert plates(repo, "NCIC") == {"ABC123": "stolen"}
    [info] = repo.lists()
    assert (info.name, info.source, info.entries) == ("NCIC", "ncic.csv", 1)


def test_replace_is_atomic(repo: HotlistRepository, monkeypatch: pytest.MonkeyPatch) -> None:
    repo.import_list("L", [e("OLD1"), e("OLD2")], actor=SUP)

    def broken_audit(*_a: object, **_k: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(HotlistRepository, "_audit", broken_audit)
    with pytest.raises(RuntimeError):
        repo.import_list("L", [e("NEW1")], replace=True, actor=SUP)
    assert set(plates(repo, "L")) == {"OLD1", "OLD2"}


def test_duplicates_and_bad_names_store_nothing(repo: HotlistRepository) -> None:
    with pytest.raises(ValidationError, match="ABC123 CT is listed twice"):
        repo.import_list("L", [e("ABC-123", region="CT"), e("abc123", region="ct")], actor=SUP)
    with pytest.raises(ValidationError, match="name"):
        repo.import_list(" ", [e("ABC123")], actor=SUP)
    assert repo.lists() == []
    # The same plate in two states is two entries.
    assert repo.import_list("L", [e("ABC123", region="CT"), e("ABC123", region="NY")], actor=SUP).created == 2


def test_bolo_add_update_remove_and_expiry(repo: HotlistRepository) -> None:
    bolo = repo.add_bolo("7K*3", reason="armed robbery suspect", actor=SGT, priority=1,
                         expires_at=NOW + timedelta(hours=8), annotations={"VCO": "RED"})
    assert (bolo.hotlist, bolo.plate, bolo.entered_by, bolo.annotations) == (BOLO_LIST, "7K*3", "sgt", {"VCO": "RED"})
    again = repo.add_bolo("7k*3", reason="updated", actor=SGT, priority=2)
    assert again.id == bolo.id and again.reason == "updated" and again.expires_at is None
    gone = repo.add_bolo("GONE1", reason="old", actor=SGT, expires_at=NOW - timedelta(minutes=1))
    assert {x.plate for x in repo.active_entries()} == {"7K*3"}
    assert {x.plate for x in repo.entries(BOLO_LIST)} == {"7K*3", "GONE1"}  # expired stay listed
    assert {x.plate for x in repo.active_entries(NOW - timedelta(hours=1))} == {"7K*3", "GONE1"}
    assert gone.id is not None and repo.remove_entry(gone.id, actor=SGT)
    assert not repo.remove_entry(gone.id, actor=SGT)
    assert repo.remove_list(BOLO_LIST, actor=ADMIN) and repo.entries() == []


def test_every_change_is_audited_in_a_chain(repo: HotlistRepository, db: Database) -> None:
    repo.import_list("L", [e("ABC123")], actor=SUP)
    entry = repo.add_bolo("XYZ789", reason="r", actor=BOB)
    assert entry.id is not None
    repo.remove_entry(entry.id, actor=BOB)
    repo.remove_list("L", actor=ADMIN)
    rows = audit(db)
    assert [(r.event_type, r.username, r.object, r.detail["action"]) for r in rows] == [
        ("hotlist_change", "ana", "hotlist:L", "import"), ("hotlist_change", "bob", "hotlist:BOLO", "bolo_add"),
        ("hotlist_change", "bob", "hotlist:BOLO", "remove_entry"), ("hotlist_change", "admin", "hotlist:L",
                                                                    "remove_list")]
    assert all(r.outcome == "success" and r.workstation == "ws-1" for r in rows)
    assert [r.prev_hash for r in rows] == ["", *(r.hash for r in rows[:-1])]
    first = rows[0]
    record = {"at": first.at.isoformat(), "username": "ana", "workstation": "ws-1", "event_type": "hotlist_change",
              "object": "hotlist:L", "outcome": "success", "detail": first.detail, "prev_hash": ""}
    assert hashlib.sha256(json.dumps(record, sort_keys=True, default=str).encode()).hexdigest() == first.hash


def test_who_may_change_what(repo: HotlistRepository, db: Database) -> None:
    """Manual BOLO entries are EDIT_BOLO (analysts); whole lists, and single entries of an imported list, are
    IMPORT_HOTLIST (supervisors, administrators). Each refusal is audited and changes nothing."""
    repo.import_list("NCIC", [e("ABC123", reason="stolen")], source="ncic.csv", actor=SUP)
    [ncic_entry] = repo.entries("NCIC")
    bolo = repo.add_bolo("7K*3", reason="robbery", actor=SGT)
    assert bolo.entered_by == "sgt" and bolo.id is not None and ncic_entry.id is not None
    entry_id, bolo_id = ncic_entry.id, bolo.id
    refused: list[Callable[[], object]] = [
        lambda: repo.import_list("NCIC", [e("XYZ9")], actor=SGT),
        lambda: repo.remove_list("NCIC", actor=SGT),
        lambda: repo.remove_entry(entry_id, actor=SGT),
        lambda: repo.add_bolo("XYZ9", reason="slipped in", actor=SGT, list_name="NCIC"),
        lambda: repo.add_bolo("XYZ9", reason="r", actor=WALL),
        lambda: repo.remove_entry(bolo_id, actor=WALL),
    ]
    before = len(audit(db))
    for attempt in refused:
        with pytest.raises(PermissionDenied):
            attempt()
    denied = audit(db)[before:]
    assert [(r.event_type, r.username, r.object, r.detail["action"]) for r in denied] == [
        ("permission_denied", "sgt", "hotlist:NCIC", "import_hotlist")] * 4 + [
        ("permission_denied", "wally", "hotlist:BOLO", "edit_bolo")] * 2
    assert denied[-1].workstation == "wall-1"  # the actor's own workstation wins over the repository's
    assert {x.plate for x in repo.entries()} == {"ABC123", "7K*3"}
    assert repo.remove_entry(bolo.id, actor=BOB)  # any analyst may take a manual BOLO off
    assert repo.remove_entry(ncic_entry.id, actor=SUP) and repo.remove_list("NCIC", actor=ADMIN)
    assert not repo.remove_entry(999_999, actor=BOB)  # none such: told only to someone who may edit BOLOs
    with pytest.raises(PermissionDenied):
        repo.remove_entry(999_999, actor=WALL)


def test_an_imported_entry_keeps_who_entered_it(repo: HotlistRepository) -> None:
    repo.import_list("L", [e("ABC123", reason="a")], actor=SUP)
    again = repo.import_list("L", [e("ABC123", reason="a"), e("NEW1")], actor=ADMIN)
    assert (again.created, again.updated, again.unchanged) == (1, 0, 1)
    assert {x.plate: x.entered_by for x in repo.entries("L")} == {"ABC123": "ana", "NEW1": "admin"}


def test_change_listeners_and_version(repo: HotlistRepository, db: Database) -> None:
    calls: list[int] = []
    unsubscribe = repo.on_change(lambda: calls.append(1))
    v0 = repo.version()
    repo.import_list("L", [e("ABC123")], actor=SUP)
    v1 = repo.version()
    HotlistRepository(db).add_bolo("XYZ789", reason="r", actor=BOB)  # another process, in effect
    assert v0 != v1 != repo.version() and calls == [1]
    unsubscribe()
    repo.import_list("L", [e("ABC124")], actor=SUP)
    assert calls == [1]


def test_hit_alert_is_raised_once_per_read(db: Database, repo: HotlistRepository) -> None:
    CameraRepository(db).upsert_many([Camera(id="lpr-1", name="Main & Pearl", lat=41.7, lon=-72.6,
                                             kind=CameraKind.LPR)])
    camera = CameraRepository(db).get("lpr-1")
    bus = EventBus()
    seen: list[Event] = []
    bus.subscribe(Event, seen.append)
    stored = PlateReadRepository(db).add(LprRead(camera_id="lpr-1", plate_raw="ABC 123", read_at=NOW,
                                                 region="CT", plate_image_ref="ab.jpg"))
    repo.import_list("NCIC", [e("ABC123", category="stolen", priority=1, reason="stolen 7/1",
                                annotations={"VMA": "HOND"})], actor=SUP)
    hits = EntryIndex(repo.active_entries()).match(stored.plate_norm, stored.region)
    alert = add_hotlist_hit(db, bus, stored, hits, camera=camera)
    assert alert is not None and stored.id is not None
    assert (alert.id, alert.source, alert.type, alert.priority, alert.lat, alert.address) == (
        hit_alert_id(stored.id), "hotlist", "hotlist_hit", 1, 41.7, "Main & Pearl")
    p = alert.payload
    assert (p["plate"], p["hotlist"], p["match"], p["annotations"], p["plate_image_ref"]) == (
        "ABC123", "NCIC", MatchKind.EXACT.value, {"VMA": "HOND"}, "ab.jpg")
    assert [type(x) for x in seen] == [HotlistHit, AlertRaised]
    assert add_hotlist_hit(db, bus, stored, hits, camera=camera) is None and len(seen) == 2
