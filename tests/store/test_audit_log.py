"""The audit trail on both backends: queries (guarded and themselves audited), CSV export, and the hash chain
catching rows changed, deleted and inserted directly in SQL."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text

from c4desk.domain.audit import AuditType, chain_hash
from c4desk.domain.errors import ValidationError
from c4desk.domain.permissions import Actor, PermissionDenied, Role
from c4desk.store.audit import append_audit
from c4desk.store.audit_log import AuditLog, ChainProblem
from c4desk.store.db import Database
from c4desk.store.models import AuditEventRow

SUPERVISOR = Actor("sup", Role.SUPERVISOR, "ws-sup")
ANALYST = Actor("ana", Role.ANALYST, "ws-ana")


@pytest.fixture
def log(db: Database) -> AuditLog:
    """An audit log with six records: ids 1-6."""
    audit = AuditLog(db, "ws-default")
    audit.record(ANALYST, event_type=AuditType.LOGON, object="user:ana", detail={"role": "analyst"})
    audit.record(ANALYST, event_type=AuditType.VIEW_LIVE, object="camera:cam01")
    audit.record(ANALYST, event_type=AuditType.VIEW_RECORDED, object="camera:cam02",
                 detail={"from": "2026-07-04T21:00:00+00:00", "seconds": 90})
    audit.record("mallory", "ws-x", AuditType.LOGON, "user:mallory", "failure", {"reason": "unknown user"})
    audit.record(SUPERVISOR, event_type=AuditType.CASE_CHANGE, object="case:24-0117", detail={"status": "closed"})
    audit.record(ANALYST, event_type=AuditType.EXPORT, object="case:24-0117", detail={"files": 3})
    return audit


def ids(db: Database) -> list[int]:
    with db.session() as s:
        return list(s.scalars(select(AuditEventRow.id).order_by(AuditEventRow.id)))


def sql(db: Database, statement: str) -> None:
    """Tampering as someone with database access would: plain SQL, around every repository."""
    with db.engine.begin() as conn:
        conn.execute(text(statement))


# -- verification ---------------------------------------------------------------------------------------------

def test_intact_chain_verifies(log: AuditLog, db: Database) -> None:
    report = log.verify_report()
    assert report.ok and report.records == 6 and report.problems == [] and report.gaps == []
    with db.session() as s:
        head = s.scalars(select(AuditEventRow).order_by(AuditEventRow.id.desc())).first()
    assert head is not None and (report.head_id, report.head_hash) == (head.id, head.hash)


def test_edited_field_is_named(log: AuditLog, db: Database) -> None:
    sql(db, "UPDATE audit_events SET outcome = 'success' WHERE id = 4")
    assert log.verify() == [ChainProblem(4, "changed", "its fields no longer match its hash (edited or forged)")]


@pytest.mark.parametrize("column, value", [("username", "'bob'"), ("object", "'camera:cam09'"),
                                           ("workstation", "'ws-other'"), ("event_type", "'logoff'")])
def test_every_hashed_column_is_covered(log: AuditLog, db: Database, column: str, value: str) -> None:
    sql(db, f"UPDATE audit_events SET {column} = {value} WHERE id = 2")
    assert [(p.row_id, p.kind) for p in log.verify()] == [(2, "changed")]


def test_edited_detail_and_time_are_named(log: AuditLog, db: Database) -> None:
    with db.session(write=True) as s:  # detail is JSON: changed through the ORM so both backends store it alike
        row = s.get(AuditEventRow, 3)
        assert row is not None
        row.detail = {**row.detail, "seconds": 9}
        row5 = s.get(AuditEventRow, 5)
        assert row5 is not None
        row5.at = row5.at - timedelta(minutes=30)
    assert [(p.row_id, p.kind) for p in log.verify()] == [(3, "changed"), (5, "changed")]


def test_deleted_row_is_named(log: AuditLog, db: Database) -> None:
    sql(db, "DELETE FROM audit_events WHERE id = 3")
    assert log.verify() == [ChainProblem(4, "deleted", "row(s) 3 missing: its prev_hash does not match row 2's hash")]


def test_deleted_rows_and_deleted_first_row_are_named(log: AuditLog, db: Database) -> None:
    sql(db, "DELETE FROM audit_events WHERE id IN (1, 3, 4)")
    problems = log.verify()
    assert [(p.row_id, p.kind) for p in problems] == [(2, "deleted"), (5, "deleted")]
    assert "row(s) 3-4 missing" in problems[1].message


def test_forged_row_appended_is_named(log: AuditLog, db: Database) -> None:
    """A forger appends a row linked to the real tail but cannot produce a matching hash without recomputing."""
    # Its hash: row 6's with the first digit changed (a fixed '0' would copy row 6's hash, which is unique, one
    # time in 16).
    sql(db, "INSERT INTO audit_events (at, username, workstation, event_type, object, outcome, detail, prev_hash, "
            "hash) SELECT at, 'ana', workstation, 'export', 'case:24-0999', outcome, detail, hash, "
            "CASE WHEN substr(hash, 1, 1) = '0' THEN '1' ELSE '0' END || substr(hash, 2) FROM audit_events "
            "WHERE id = 6")
    assert [(p.row_id, p.kind) for p in log.verify()] == [(7, "changed")]


def test_forged_row_inserted_in_the_middle_is_named(log: AuditLog, db: Database) -> None:
    """Row 3 replaced by a forged row with a correctly computed hash: the next row's link names it."""
    with db.session() as s:
        row2 = s.get(AuditEventRow, 2)
        assert row2 is not None
        prev = row2.hash
    sql(db, "DELETE FROM audit_events WHERE id = 3")
    at = datetime(2026, 7, 4, 21, 0, tzinfo=UTC)
    forged = chain_hash(at=at, username="ana", workstation="ws-ana", event_type="view_live", object="camera:cam07",
                        outcome="success", detail={}, prev_hash=prev)
    with db.session(write=True) as s:
        s.add(AuditEventRow(id=3, at=at, username="ana", workstation="ws-ana", event_type="view_live",
                            object="camera:cam07", outcome="success", detail={}, prev_hash=prev, hash=forged))
    problems = log.verify()
    assert [(p.row_id, p.kind) for p in problems] == [(4, "broken_link")]
    assert "row 3 rewritten, or inserted" in problems[0].message


def test_row_rewritten_with_a_fresh_hash_breaks_the_next_link(log: AuditLog, db: Database) -> None:
    with db.session(write=True) as s:
        row = s.get(AuditEventRow, 4)
        assert row is not None
        row.outcome = "success"
        row.hash = chain_hash(at=row.at, username=row.username, workstation=row.workstation,
                              event_type=row.event_type, object=row.object, outcome=row.outcome,
                              detail=row.detail, prev_hash=row.prev_hash)
    assert [(p.row_id, p.kind) for p in log.verify()] == [(5, "broken_link")]


def test_tail_deletion_shows_only_against_a_noted_head(log: AuditLog, db: Database) -> None:
    """The limit of an unkeyed chain, stated: dropping the newest rows leaves a consistent chain, so the head
    hash `audit verify` prints must be kept somewhere else to catch it."""
    noted = log.verify_report()
    sql(db, "DELETE FROM audit_events WHERE id = 6")
    after = log.verify_report()
    assert after.ok
    assert (after.records, after.head_id) == (5, 5) and after.head_hash != noted.head_hash


def test_rolled_back_audit_leaves_no_broken_chain(log: AuditLog, db: Database) -> None:
    """A change that fails after writing its record rolls the record back with it; on PostgreSQL the sequence
    value stays used, so the gap is reported as a hint, not as tampering."""
    with pytest.raises(RuntimeError), db.session(write=True) as s:
        append_audit(s, username="ana", workstation="ws", event_type="case_change", object="case:1")
        raise RuntimeError("the change failed")
    log.record(ANALYST, event_type=AuditType.LOGOFF)
    report = log.verify_report()
    assert report.ok and report.records == 7
    assert report.gaps == ([(7, 7)] if not db.is_sqlite else [])


def test_verify_walks_more_rows_than_one_batch(db: Database) -> None:
    audit = AuditLog(db)
    with db.session(write=True) as s:
        for i in range(2500):
            append_audit(s, username="bulk", workstation="ws", event_type="view_live", object=f"camera:{i}")
    assert audit.verify_report().records == 2500
    sql(db, "UPDATE audit_events SET object = 'camera:x' WHERE id = 2222")
    assert [(p.row_id, p.kind) for p in audit.verify()] == [(2222, "changed")]


def test_verify_by_an_actor_is_audited(log: AuditLog, db: Database) -> None:
    sql(db, "DELETE FROM audit_events WHERE id = 2")
    report = log.verify_report(SUPERVISOR)
    assert not report.ok
    with db.session() as s:
        last = s.scalars(select(AuditEventRow).order_by(AuditEventRow.id.desc())).first()
    assert last is not None
    assert (last.username, last.event_type, last.outcome) == ("sup", "audit_read", "failure")
    assert last.detail == {"action": "verify", "records": 5, "problems": 1, "problem_rows": [3]}


# -- reading ----------------------------------------------------------------------------------------------------

def test_query_needs_read_audit_and_the_refusal_is_audited(log: AuditLog, db: Database) -> None:
    with pytest.raises(PermissionDenied):
        log.query(ANALYST)
    with db.session() as s:
        last = s.scalars(select(AuditEventRow).order_by(AuditEventRow.id.desc())).first()
    assert last is not None
    assert (last.username, last.event_type, last.object, last.outcome) == (
        "ana", "permission_denied", "audit_events", "failure")
    assert last.detail["action"] == "read_audit"


def test_query_filters_and_is_itself_audited(log: AuditLog, db: Database) -> None:
    everything = log.query(SUPERVISOR)
    assert [r.id for r in everything] == [6, 5, 4, 3, 2, 1]  # newest first
    assert [r.id for r in log.query(SUPERVISOR, username="ANA")] == [6, 3, 2, 1]
    assert [r.id for r in log.query(SUPERVISOR, event_type=AuditType.LOGON)][-2:] == [4, 1]
    assert [r.id for r in log.query(SUPERVISOR, object_contains="CASE:24")] == [6, 5]
    assert [r.id for r in log.query(SUPERVISOR, text="unknown user")] == [4]
    assert [r.id for r in log.query(SUPERVISOR, text="ws-x")] == [4]
    assert [r.id for r in log.query(SUPERVISOR, object_contains="%")] == []  # wildcards are literal
    assert [r.id for r in log.query(SUPERVISOR, limit=2)][:1] == [max(ids(db)) - 1]
    first = everything[-1]
    assert log.query(SUPERVISOR, since=first.at, until=first.at + timedelta(microseconds=1),
                     username="ana") == [first]
    assert first.detail == {"role": "analyst"} and first.workstation == "ws-ana"
    reads = log.query(SUPERVISOR, event_type="audit_read")
    assert len(reads) == 9 and all(r.username == "sup" for r in reads)
    assert reads[-1].detail == {"filters": {"limit": 1000}, "returned": 6}
    assert reads[0].detail["filters"] == {"since": first.at.isoformat(),
                                          "until": (first.at + timedelta(microseconds=1)).isoformat(),
                                          "username": "ana", "limit": 1000}
    assert log.verify() == []


def test_query_refuses_bad_filters_with_the_field(log: AuditLog) -> None:
    with pytest.raises(ValidationError) as info:
        log.query(SUPERVISOR, since=datetime(2026, 7, 4), event_type="coffee", limit=0)
    assert {e.field for e in info.value.errors} == {"since", "event_type", "limit"}


def test_record_refuses_unknown_kinds_and_outcomes(log: AuditLog) -> None:
    with pytest.raises(ValueError):
        log.record(ANALYST, event_type="coffee_break")
    with pytest.raises(ValidationError, match="outcome: one of success, failure"):
        log.record(ANALYST, event_type=AuditType.VIEW_LIVE, outcome="maybe")
    assert log.record("svc", event_type=AuditType.PRIVILEGED).workstation == "ws-default"


def test_export_csv(log: AuditLog, db: Database, tmp_path: Path) -> None:
    log.record("=cmd|' /C calc'!A0", "ws", AuditType.LOGON, "user:?", "failure", {"reason": "unknown user"})
    out = tmp_path / "audit.csv"
    assert log.export_csv(SUPERVISOR, out, event_type=AuditType.LOGON) == 3
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [r["id"] for r in rows] == ["1", "4", "7"]  # oldest first
    assert rows[1]["username"] == "mallory" and rows[1]["detail"] == '{"reason": "unknown user"}'
    assert rows[2]["username"] == "'=cmd|' /C calc'!A0"  # a spreadsheet shows it, never runs it
    assert not (tmp_path / "audit.csv.part").exists()
    buffer = io.StringIO()
    assert log.export_csv(SUPERVISOR, buffer, username="sup", event_type="audit_read") == 1
    assert buffer.getvalue().splitlines()[0] == "id,at,username,workstation,event_type,object,outcome,detail"
