"""History on the audit trail (``append_history_audit``: the demo year's camera views): records carry the time
they happened, are chained in the order given between live records, and the chain verifies, on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from c4desk.domain.audit import chain_hash
from c4desk.domain.permissions import Actor, Role
from c4desk.store.audit import PastAuditEvent, append_audit, append_history_audit
from c4desk.store.audit_log import AuditLog
from c4desk.store.db import Database
from c4desk.store.models import AuditEventRow

T0 = datetime(2025, 9, 1, 22, 15, 3, 123456, tzinfo=UTC)


def test_past_events_are_chained_in_order_with_their_own_times(db: Database) -> None:
    events = [PastAuditEvent(at=T0 + timedelta(seconds=20 * i, milliseconds=7 * i), username="demo-history",
                             workstation="", event_type="view_live", object=f"camera:cam{i:02d}",
                             detail={"camera_id": f"cam{i:02d}", "alert_id": f"A-{i // 4}", "demo": True})
              for i in range(1, 1201)]
    with db.session(write=True) as s:
        append_audit(s, username="ana", workstation="ws-1", event_type="logon")
        assert append_history_audit(s, events) == 1200
        assert append_history_audit(s, []) == 0
        append_audit(s, username="demo-history", workstation="", event_type="privileged", object="history:x")
    with db.session() as s:
        rows = list(s.scalars(select(AuditEventRow).order_by(AuditEventRow.id)))
        s.expunge_all()
    assert [r.event_type for r in rows] == ["logon", *["view_live"] * 1200, "privileged"]
    past = rows[1:-1]
    assert [r.at for r in past] == [e.at for e in events]  # microseconds kept, ids in the order given
    assert [r.object for r in past] == [e.object for e in events] and past[5].detail["alert_id"] == "A-1"
    assert past[0].prev_hash == rows[0].hash and rows[-1].prev_hash == past[-1].hash
    for row in (past[0], past[-1]):
        assert row.hash == chain_hash(at=row.at, username=row.username, workstation=row.workstation,
                                      event_type=row.event_type, object=row.object, outcome=row.outcome,
                                      detail=row.detail, prev_hash=row.prev_hash)
    assert AuditLog(db).verify() == []


def test_a_time_without_a_zone_is_refused_and_nothing_is_written(db: Database) -> None:
    events = [PastAuditEvent(at=T0, username="x", workstation="", event_type="view_live"),
              PastAuditEvent(at=datetime(2025, 9, 1, 22, 15), username="x", workstation="", event_type="view_live")]
    with db.session(write=True) as s, pytest.raises(ValueError, match="time zone"):
        append_history_audit(s, events)
    assert AuditLog(db).count() == 0


def test_the_trail_reads_newest_first_by_time_so_history_written_later_sits_where_it_happened(db: Database) -> None:
    now = datetime.now(UTC)
    with db.session(write=True) as s:
        append_audit(s, username="admin", workstation="ws-1", event_type="user_add", object="user:ana")
        append_history_audit(s, [PastAuditEvent(at=now - timedelta(days=d), username="demo-history", workstation="",
                                                event_type="view_live", object=f"camera:cam0{d}") for d in (3, 1, 2)])
    records = AuditLog(db).query(Actor("sue", Role.SUPERVISOR, "ws-2"), since=now - timedelta(days=10))
    # Written last, happened first: listed after the user_add written before them (ids alone would list them first).
    assert [r.object for r in records] == ["user:ana", "camera:cam01", "camera:cam02", "camera:cam03"]
    assert [r.at for r in records] == sorted((r.at for r in records), reverse=True)
