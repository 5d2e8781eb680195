"""Reading, verifying and exporting the audit trail (writing a record is ``c4desk.store.audit.append_audit``).

Reading the trail is itself an audited event (CJIS 5.4.1.1): ``query`` and ``export_csv`` require
``Action.READ_AUDIT`` and write an ``audit_read`` record naming the filters used.

``verify`` walks the whole chain in id order and names every row that breaks it:
- ``changed``: the row's fields no longer hash to its stored ``hash`` (edited in place, or forged);
- ``deleted``: its ``prev_hash`` is not the previous surviving row's hash and ids are missing in between;
- ``broken_link``: its ``prev_hash`` is not the previous row's hash and no id is missing (a row before it was
  rewritten with a fresh hash, or a row was inserted).
What it cannot see (the chain has no secret key): the newest rows deleted from the end, or a forger who recomputes
every hash after the row they changed. Signed anchors outside the database catch those (``c4desk.hub.audit_anchors``,
which reads ``head()`` and ``hashes()`` here); ``VerifyReport.head_hash`` is what to note down elsewhere otherwise.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import Select, String, cast, func, or_, select
from sqlalchemy.orm import Session

from c4desk.domain.audit import AuditType, chain_hash
from c4desk.domain.errors import FieldError, ValidationError
from c4desk.domain.permissions import Action, Actor
from c4desk.store.audit import append_audit, require_audited
from c4desk.store.db import Database
from c4desk.store.models import AuditEventRow

DEFAULT_LIMIT = 1000
MAX_LIMIT = 100_000
CSV_COLUMNS = ("id", "at", "username", "workstation", "event_type", "object", "outcome", "detail")
_VERIFY_BATCH = 2000
_LOOKUP_BATCH = 500
_OUTCOMES = ("success", "failure")


@dataclass(frozen=True)
class AuditRecord:
    id: int
    at: datetime
    username: str
    workstation: str
    event_type: str
    object: str
    outcome: str
    detail: dict[str, Any]
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class ChainProblem:
    """One row that breaks the chain: ``kind`` is ``changed``, ``deleted`` or ``broken_link``."""

    row_id: int
    kind: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row_id}: {self.kind}: {self.message}"


@dataclass(frozen=True)
class AuditHead:
    """The chain's newest record and how many records there are, read in one statement (one snapshot)."""

    record_id: int
    hash: str
    records: int


@dataclass(frozen=True)
class VerifyReport:
    records: int
    problems: list[ChainProblem]
    # Missing ids whose neighbours still link up: on PostgreSQL a rolled-back transaction leaves such a gap
    # (sequences are not transactional), so they are reported as a hint, not as tampering.
    gaps: list[tuple[int, int]]
    head_id: int | None
    head_hash: str

    @property
    def ok(self) -> bool:
        return not self.problems


def _record(row: AuditEventRow) -> AuditRecord:
    return AuditRecord(row.id, row.at, row.username, row.workstation, row.event_type, row.object, row.outcome,
                       dict(row.detail or {}), row.prev_hash, row.hash)


def _aware(name: str, at: datetime | None) -> datetime | None:
    if at is not None and at.utcoffset() is None:
        raise ValidationError([FieldError(name, "give a time zone (e.g. Z)")])
    return at


class AuditLog:
    def __init__(self, db: Database, workstation: str = "") -> None:
        self._db = db
        self._workstation = workstation

    def record(self, actor_or_username: Actor | str, workstation: str = "", event_type: AuditType | str = "",
               object: str = "", outcome: str = "success", detail: dict[str, Any] | None = None) -> AuditRecord:
        """Write one record in its own transaction: for events that change nothing (a camera viewed live or
        recorded, a logoff). ``workstation`` defaults to the Actor's, then to this log's."""
        if isinstance(actor_or_username, Actor):
            username, station = actor_or_username.username, workstation or actor_or_username.workstation
        else:
            username, station = actor_or_username, workstation
        kind = AuditType(event_type)  # an unknown kind is a programming error: refuse it loudly
        if outcome not in _OUTCOMES:
            raise ValidationError([FieldError("outcome", f"one of {', '.join(_OUTCOMES)}")])
        with self._db.session(write=True) as session:
            row = append_audit(session, username=username, workstation=station or self._workstation,
                               event_type=kind.value, object=object, outcome=outcome, detail=detail)
            return _record(row)

    def query(self, actor: Actor, *, since: datetime | None = None, until: datetime | None = None,
              username: str | None = None, event_type: AuditType | str | None = None,
              object_contains: str | None = None, text: str | None = None,
              limit: int = DEFAULT_LIMIT) -> list[AuditRecord]:
        """Records matching every given filter, newest first (by time, then id); requires READ_AUDIT and is itself
        audited.

        ``object_contains`` matches the object (case-insensitive); ``text`` matches user, workstation, object
        or detail. ``until`` is exclusive.
        """
        filters = self._filters(since, until, username, event_type, object_contains, text, limit)
        require_audited(self._db, actor, Action.READ_AUDIT, "audit_events", {"filters": filters})
        query = self._select(since, until, username, event_type, object_contains, text)
        # Newest first by the time it happened: records written later with an earlier time (a seat whose clock ran
        # behind, the demo's back-dated history) sit where they belong in time; the chain's own order is the id's.
        query = query.order_by(AuditEventRow.at.desc(), AuditEventRow.id.desc()).limit(limit)
        with self._db.session(write=True) as session:
            records = [_record(r) for r in session.scalars(query)]
            append_audit(session, username=actor.username, workstation=actor.workstation or self._workstation,
                         event_type=AuditType.AUDIT_READ.value, object="audit_events",
                         detail={"filters": filters, "returned": len(records)})
        return records

    def export_csv(self, actor: Actor, destination: Path | TextIO, **filters: Any) -> int:
        """Write the records ``query(actor, **filters)`` returns as CSV (oldest first); the number written."""
        records = list(reversed(self.query(actor, **filters)))
        if isinstance(destination, Path):
            tmp = destination.with_name(destination.name + ".part")
            with tmp.open("w", encoding="utf-8", newline="") as f:
                write_csv(records, f)
            tmp.replace(destination)
        else:
            write_csv(records, destination)
        return len(records)

    def count(self) -> int:
        with self._db.session() as session:
            return int(session.scalar(select(func.count(AuditEventRow.id))) or 0)

    def head(self) -> AuditHead | None:
        """The newest record's id and hash with the record count (None on an empty trail): what an anchor signs.

        One statement, so the head and the count come from the same snapshot; the head is a primary-key lookup,
        the count one pass over the smallest index. Reveals no record's contents, so it needs no permission.
        """
        records = select(func.count(AuditEventRow.id)).scalar_subquery()
        query = select(AuditEventRow.id, AuditEventRow.hash, records).order_by(AuditEventRow.id.desc()).limit(1)
        with self._db.session() as session:
            row = session.execute(query).first()
        return AuditHead(int(row[0]), str(row[1]), int(row[2])) if row is not None else None

    def hashes(self, ids: Iterable[int]) -> dict[int, str]:
        """id -> stored hash for those of ``ids`` that still exist (primary-key lookups, in batches)."""
        wanted = sorted(set(ids))
        found: dict[int, str] = {}
        with self._db.session() as session:
            for start in range(0, len(wanted), _LOOKUP_BATCH):
                batch = wanted[start:start + _LOOKUP_BATCH]
                query = select(AuditEventRow.id, AuditEventRow.hash).where(AuditEventRow.id.in_(batch))
                found.update((int(i), str(h)) for i, h in session.execute(query))
        return found

    # -- verification ----------------------------------------------------------------------------------------

    def verify(self) -> list[ChainProblem]:
        return self.verify_report().problems

    def verify_report(self, actor: Actor | None = None) -> VerifyReport:
        """Walk the chain in id order; with ``actor`` (the viewer's button) the check itself is audited."""
        problems: list[ChainProblem] = []
        gaps: list[tuple[int, int]] = []
        records = 0
        prev: Any | None = None
        with self._db.session() as session:
            for row in _in_id_order(session):
                records += 1
                problems.extend(_check(row, prev, gaps))
                prev = row
        report = VerifyReport(records, problems, gaps, prev.id if prev else None, prev.hash if prev else "")
        if actor is not None:
            self.record(actor, event_type=AuditType.AUDIT_READ, object="audit_events",
                        outcome="success" if report.ok else "failure",
                        detail={"action": "verify", "records": records, "problems": len(problems),
                                "problem_rows": [p.row_id for p in problems[:50]]})
        return report

    # -- helpers ---------------------------------------------------------------------------------------------

    @staticmethod
    def _filters(since: datetime | None, until: datetime | None, username: str | None,
                 event_type: AuditType | str | None, object_contains: str | None, text: str | None,
                 limit: int) -> dict[str, Any]:
        errors = []
        if not 1 <= limit <= MAX_LIMIT:
            errors.append(FieldError("limit", f"between 1 and {MAX_LIMIT}"))
        if event_type and event_type not in {t.value for t in AuditType}:
            errors.append(FieldError("event_type", f"one of {', '.join(t.value for t in AuditType)}"))
        for name, at in (("since", since), ("until", until)):
            try:
                _aware(name, at)
            except ValidationError as exc:
                errors.extend(exc.errors)
        if errors:
            raise ValidationError(errors)
        given = {"since": since, "until": until, "username": username, "event_type": event_type,
                 "object_contains": object_contains, "text": text}
        return {k: (v.astimezone(UTC).isoformat() if isinstance(v, datetime) else str(v))
                for k, v in given.items() if v} | {"limit": limit}

    @staticmethod
    def _select(since: datetime | None, until: datetime | None, username: str | None,
                event_type: AuditType | str | None, object_contains: str | None,
                text: str | None) -> Select[AuditEventRow]:
        query = select(AuditEventRow)
        if since is not None:
            query = query.where(AuditEventRow.at >= since)
        if until is not None:
            query = query.where(AuditEventRow.at < until)
        if username:
            query = query.where(AuditEventRow.username == username.strip().lower())
        if event_type:
            query = query.where(AuditEventRow.event_type == str(event_type))
        if object_contains:
            query = query.where(AuditEventRow.object.icontains(object_contains, autoescape=True))
        if text:
            query = query.where(or_(
                AuditEventRow.username.icontains(text, autoescape=True),
                AuditEventRow.workstation.icontains(text, autoescape=True),
                AuditEventRow.object.icontains(text, autoescape=True),
                cast(AuditEventRow.detail, String).icontains(text, autoescape=True)))
        return query


_CHAIN_COLUMNS = (AuditEventRow.id, AuditEventRow.at, AuditEventRow.username, AuditEventRow.workstation,
                  AuditEventRow.event_type, AuditEventRow.object, AuditEventRow.outcome, AuditEventRow.detail,
                  AuditEventRow.prev_hash, AuditEventRow.hash)


def _in_id_order(session: Session) -> Iterator[Any]:
    """Every row (plain columns, not ORM objects: twice as fast), oldest first, in keyset-paged batches, so a
    million-row trail never sits in memory at once."""
    after = 0
    while True:
        batch = session.execute(select(*_CHAIN_COLUMNS).where(AuditEventRow.id > after)
                                .order_by(AuditEventRow.id).limit(_VERIFY_BATCH)).all()
        if not batch:
            return
        yield from batch
        after = batch[-1].id


def _check(row: Any, prev: Any | None, gaps: list[tuple[int, int]]) -> list[ChainProblem]:
    problems = []
    expected = chain_hash(at=row.at, username=row.username, workstation=row.workstation,
                          event_type=row.event_type, object=row.object, outcome=row.outcome,
                          detail=dict(row.detail or {}), prev_hash=row.prev_hash)
    if expected != row.hash:
        problems.append(ChainProblem(row.id, "changed", "its fields no longer match its hash (edited or forged)"))
    missing = (row.id - prev.id - 1) if prev is not None else 0
    if prev is None:
        if row.prev_hash:
            problems.append(ChainProblem(row.id, "deleted", "the first record links to an earlier one that is gone"))
    elif row.prev_hash != prev.hash:
        if missing > 0:
            span = f"{prev.id + 1}" if missing == 1 else f"{prev.id + 1}-{row.id - 1}"
            problems.append(ChainProblem(row.id, "deleted", f"row(s) {span} missing: its prev_hash does not "
                                                            f"match row {prev.id}'s hash"))
        else:
            problems.append(ChainProblem(row.id, "broken_link", f"its prev_hash does not match row {prev.id}'s "
                                                                f"hash (row {prev.id} rewritten, or inserted)"))
    elif missing > 0:
        gaps.append((prev.id + 1, row.id - 1))
    return problems


def _cell(value: str) -> str:
    """Neutralise spreadsheet formulas: a failed logon can carry any name an attacker typed."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def write_csv(records: Iterable[AuditRecord], stream: TextIO) -> None:
    writer = csv.writer(stream)
    writer.writerow(CSV_COLUMNS)
    for r in records:
        writer.writerow([r.id, r.at.astimezone(UTC).isoformat(), _cell(r.username), _cell(r.workstation),
                         r.event_type, _cell(r.object), r.outcome,
                         _cell(json.dumps(r.detail, sort_keys=True, ensure_ascii=False))])


def csv_text(records: Iterable[AuditRecord]) -> str:
    buffer = io.StringIO()
    write_csv(records, buffer)
    return buffer.getvalue()
