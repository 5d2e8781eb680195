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

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, text
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


@dataclass(frozen=True, kw_only=True)
class PastAuditEvent:
    """A record of something that happened at ``at`` (aware), for ``append_history_audit``."""

    at: datetime
    username: str
    workstation: str
    event_type: str
    object: str = ""
    outcome: str = "success"
    detail: dict[str, Any] = field(default_factory=dict)


def append_history_audit(session: Session, events: Sequence[PastAuditEvent]) -> int:
    """Chain ``events`` onto the trail in the given order, each stamped with its own ``at``: for loading history
    (the demo's year of camera views), never for live events (``append_audit`` stamps those with now).

    The records are exactly what ``append_audit`` would write one by one (same fields, same hash, each linked to
    the one before), but with one lock, one read of the chain's tail and one bulk insert: thousands of records in
    a fraction of a second instead of three round trips each. Returns how many were added.
    """
    if not events:
        return 0
    naive = [e for e in events if e.at.tzinfo is None or e.at.utcoffset() is None]
    if naive:
        raise ValueError(f"an audit record's time must carry a time zone (UTC): {naive[0].at.isoformat()}")
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_AUDIT_LOCK})
    session.flush()  # rows the ORM still holds come first in the chain
    prev = session.scalar(select(AuditEventRow.hash).order_by(AuditEventRow.id.desc()).limit(1)) or ""
    rows = []
    for e in events:
        at = e.at.astimezone(UTC)
        detail = canonical(e.detail)
        digest = chain_hash(at=at, username=e.username, workstation=e.workstation, event_type=e.event_type,
                            object=e.object, outcome=e.outcome, detail=detail, prev_hash=prev)
        rows.append({"at": at, "username": e.username, "workstation": e.workstation, "event_type": e.event_type,
                     "object": e.object, "outcome": e.outcome, "detail": detail, "prev_hash": prev, "hash": digest})
        prev = digest
    # Core executemany inserts row by row in list order, so ids follow the chain (verify walks it by id).
    session.execute(insert(AuditEventRow), rows)
    return len(rows)


def record_denied(db: Database, actor: Actor, action: Action, object: str = "",
                  detail: dict[str, Any] | None = None) -> None:
    """Write a ``permission_denied`` record for ``actor`` trying ``action`` on ``object``, in its own transaction."""
    with db.session(write=True) as session:
        append_audit(session, username=actor.username, workstation=actor.workstation,
                     event_type=AuditType.PERMISSION_DENIED.value, object=object, outcome="failure",
                     detail={**(detail or {}), "action": action.value, "role": actor.role.value})


def record_failure(db: Database, actor: Actor, object: str, attempt: dict[str, Any], error: BaseException) -> None:
    """Write a failed ``privileged`` record (what was tried, and why it failed) in its own transaction: the change's
    transaction, which would have held its success record, was rolled back."""
    with db.session(write=True) as session:
        append_audit(session, username=actor.username, workstation=actor.workstation,
                     event_type=AuditType.PRIVILEGED.value, object=object, outcome="failure",
                     detail={**attempt, "error": str(error)[:500]})


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
