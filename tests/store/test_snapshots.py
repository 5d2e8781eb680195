"""Stills are marked evidence: taking one needs TAG_CLIPS (a refusal is audited and writes no file), and the
clip_change record commits with the row or not at all; putting one on a case needs EDIT_CASES. On both backends
(the atomicity test uses a SQLite trigger to make the audit insert fail)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from c4desk.domain.permissions import Actor, PermissionDenied, Role
from c4desk.store.audit_log import AuditLog
from c4desk.store.db import Database
from c4desk.store.models import AuditEventRow, CaseRow
from c4desk.store.models.views import SnapshotRow
from c4desk.store.snapshots import SnapshotRepository, snapshot_object
from tests.store.test_views import tiny_png

ANA = Actor("ana", Role.ANALYST, "seat-ana")
WALLY = Actor("wally", Role.WALL_OPERATOR, "wall-1")
WHEN = datetime(2026, 7, 6, 14, 3, 9, 250000, tzinfo=UTC)


def audit(db: Database) -> list[AuditEventRow]:
    with db.session() as s:
        rows = list(s.scalars(select(AuditEventRow).order_by(AuditEventRow.id)))
        s.expunge_all()
        return rows


def stills(db: Database) -> int:
    with db.session() as s:
        return int(s.scalar(select(func.count()).select_from(SnapshotRow)) or 0)


def test_a_still_is_audited_with_its_row(db: Database, tmp_path: Path) -> None:
    repo = SnapshotRepository(db, tmp_path / "snaps", workstation="host-1")
    png = tiny_png(3)
    snap = repo.save(ANA, png, camera_id="cam01", camera_name="High & Elm", width=1, height=1, taken_at=WHEN,
                     stream="main")
    assert (snap.taken_by, snap.workstation) == ("ana", "seat-ana")  # the actor's seat, not the host's
    (record,) = audit(db)
    assert (record.event_type, record.username, record.workstation, record.object, record.outcome) == (
        "clip_change", "ana", "seat-ana", snapshot_object(snap.id), "success")
    assert record.detail == {"action": "still", "camera_id": "cam01", "taken_at": WHEN.isoformat(),
                             "sha256": snap.sha256, "size_bytes": len(png), "width": 1, "height": 1,
                             "stream": "main", "case_id": None}
    assert AuditLog(db).verify() == []


@pytest.mark.parametrize("actor", [WALLY, Actor("ghost", Role.WALL_OPERATOR)], ids=["wall-operator", "no-seat"])
def test_a_wall_operator_may_not_take_stills(db: Database, tmp_path: Path, actor: Actor) -> None:
    repo = SnapshotRepository(db, tmp_path / "snaps")
    with pytest.raises(PermissionDenied) as refused:
        repo.save(actor, tiny_png(), camera_id="cam04", width=1, height=1, taken_at=WHEN)
    assert "may not tag clips" in str(refused.value)
    assert [(r.event_type, r.username, r.workstation, r.object, r.outcome, r.detail) for r in audit(db)] == [
        ("permission_denied", actor.username, actor.workstation, "camera:cam04", "failure",
         {"still": True, "action": "tag_clips", "role": "wall_operator"})]
    assert stills(db) == 0 and not (tmp_path / "snaps").exists()  # refused before anything was written


def test_the_row_and_its_audit_record_commit_together(sqlite_db_url: str, tmp_path: Path) -> None:
    """A still whose audit record cannot be written is not kept: no row, no file (a trigger makes the audit
    insert fail, the way a full disk or a lost connection would)."""
    from c4desk.store.migrate import upgrade

    upgrade(sqlite_db_url)
    db = Database(sqlite_db_url)
    try:
        with db.session(write=True) as s:
            s.execute(text("CREATE TRIGGER no_clip_audit BEFORE INSERT ON audit_events "
                           "WHEN NEW.event_type = 'clip_change' BEGIN SELECT RAISE(ABORT, 'audit refused'); END"))
        repo = SnapshotRepository(db, tmp_path / "snaps")
        with pytest.raises(Exception, match="audit refused"):
            repo.save(ANA, tiny_png(), camera_id="cam01", width=1, height=1, taken_at=WHEN)
        assert stills(db) == 0 and list(tmp_path.rglob("*.png")) == [] and audit(db) == []
    finally:
        db.dispose()


def test_putting_a_still_on_a_case_needs_edit_cases(db: Database, tmp_path: Path) -> None:
    with db.session(write=True) as s:
        case = CaseRow(number="2026-000123", title="Shots fired Elm St", created_by="ana")
        s.add(case)
        s.flush()
        case_id = case.id
    repo = SnapshotRepository(db, tmp_path)
    snap = repo.save(ANA, tiny_png(), camera_id="cam02", width=1, height=1)
    with pytest.raises(PermissionDenied):
        repo.attach(WALLY, snap.id, case_id)
    assert repo.get(snap.id).case_id is None  # type: ignore[union-attr]
    assert repo.attach(ANA, snap.id, case_id).case_id == case_id
    records = [(r.event_type, r.username, r.object, r.detail.get("action")) for r in audit(db)]
    assert records == [("clip_change", "ana", snapshot_object(snap.id), "still"),
                       ("permission_denied", "wally", snapshot_object(snap.id), "edit_cases"),
                       ("case_change", "ana", snapshot_object(snap.id), "attach_still")]
    assert audit(db)[-1].detail["case"] == "2026-000123"
    with pytest.raises(LookupError):
        repo.attach(ANA, 999_999, case_id)
    assert AuditLog(db).verify() == []
