"""Writing the tamper-evident audit trail: one ``append_audit`` used by every repository, in its own transaction.

Appending takes the chain's tail and adds one row, so two writers must never interleave: SQLite write sessions
already hold the database's write lock (BEGIN IMMEDIATE); PostgreSQL takes a transaction-scoped advisory lock.
Writing the record in the same session as the change it describes means both commit or neither does.

A refusal is the one record that cannot share the change's transaction (there is no change): ``require_audited``
checks a permission and, when it is refused, writes a ``permission_denied`` record in its own transaction before
re-raising. Call it BEFORE opening your write session: on SQLite a second write session inside the first would wait
for the write lock the first one holds.

    require_audited(db, actor, Action.EDIT_CASES, object=f"case:{number}")  # raises PermissionDenied, audited
    with db.session(write=True) as session:
        ...change...
        append_audit(session, username=actor.username, workstation=actor.workstation,
                     event_type=AuditType.CASE_CHANGE, object=f"case:{number}", detail={...})
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from c4desk.domain.audit import AuditType, canonical, chain_hash
from c4desk.domain.permissions import Action, Actor, PermissionDenied, require
from c4desk.store.db import Database
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


def record_denied(db: Database, actor: Actor, action: Action, object: str = "",
                  detail: dict[str, Any] | None = None) -> None:
    """Write a ``permission_denied`` record for ``actor`` trying ``action`` on ``object``, in its own transaction."""
    with db.session(write=True) as session:
        append_audit(session, username=actor.username, workstation=actor.workstation,
                     event_type=AuditType.PERMISSION_DENIED.value, object=object, outcome="failure",
                     detail={**(detail or {}), "action": action.value, "role": actor.role.value})


def require_audited(db: Database, actor: Actor, action: Action, object: str = "",
                    detail: dict[str, Any] | None = None) -> None:
    """``require(actor, action)``; a refusal is audited (``record_denied``) and then re-raised as PermissionDenied.

    Call it before opening the write session of the change it guards (see the module docstring).
    """
    try:
        require(actor, action)
    except PermissionDenied:
        record_denied(db, actor, action, object, detail)
        raise
