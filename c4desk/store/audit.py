"""Writing the tamper-evident audit trail: one ``append_audit`` used by every repository, in its own transaction.

Appending takes the chain's tail and adds one row, so two writers must never interleave: SQLite write sessions
already hold the database's write lock (BEGIN IMMEDIATE); PostgreSQL takes a transaction-scoped advisory lock.
Writing the record in the same session as the change it describes means both commit or neither does.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from c4desk.domain.audit import canonical, chain_hash
from c4desk.store.models import AuditEventRow

# Any constant works; it only has to be the same for every writer of this database.
_PG_AUDIT_LOCK = 0x0C4DE5C


def append_audit(session: Session, *, username: str, workstation: str, event_type: str, object: str = "",
                 outcome: str = "success", detail: dict[str, Any] | None = None) -> AuditEventRow:
    """Add one chained audit record to ``session`` (the caller's write transaction)."""
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_AUDIT_LOCK})
    prev = session.scalar(select(AuditEventRow.hash).order_by(AuditEventRow.id.desc()).limit(1)) or ""
    # Microseconds survive both engines; the instant is hashed exactly as it will read back.
    at = datetime.now(UTC)
    stored_detail = canonical(detail or {})
    digest = chain_hash(at=at, username=username, workstation=workstation, event_type=event_type, object=object,
                        outcome=outcome, detail=stored_detail, prev_hash=prev)
    row = AuditEventRow(at=at, username=username, workstation=workstation, event_type=event_type, object=object,
                        outcome=outcome, detail=stored_detail, prev_hash=prev, hash=digest)
    session.add(row)
    session.flush()
    return row
