"""Hotlists and BOLOs: import a list atomically, enter and remove BOLOs, list entries; every change audited.

A re-import with ``replace=True`` swaps a list's entries in one transaction, so matching never sees a half
imported list. Matching reads ``active_entries()``; ``on_change`` listeners (the live matcher) hear of each
committed change in this process, and ``version()`` lets other processes notice one cheaply.

Audit: each change writes one chained ``audit_events`` row (event type ``hotlist_change``) in the same
transaction as the change (``c4desk.store.audit``), naming the ``Actor`` who made it.

Who may: entries of a manual list (one ``add_bolo`` created, source ``manual``) need ``Action.EDIT_BOLO``; whole
lists (import, replace, remove) and single entries of an imported list (an NCIC extract, an agency list) need
``Action.IMPORT_HOTLIST``, so an entry of a list someone else is answerable for cannot be dropped one by one. A
refusal raises PermissionDenied and is audited (``require_audited``). Reading the lists is not guarded: the
live matcher reads them as a machine.
"""

from __future__ import annotations

import builtins
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, insert, or_, select
from sqlalchemy.orm import Session

from c4desk.domain.audit import AuditType
from c4desk.domain.errors import FieldError, ValidationError
from c4desk.domain.permissions import Action, Actor
from c4desk.domain.plate_match import HotlistEntry
from c4desk.store.audit import append_audit, require_audited
from c4desk.store.db import Database
from c4desk.store.models import HotlistEntryRow, HotlistRow, utcnow

log = logging.getLogger(__name__)
BOLO_LIST = "BOLO"
MANUAL_SOURCE = "manual"  # the source of a list made entry by entry (add_bolo), not imported
AUDIT_TYPE = AuditType.HOTLIST_CHANGE.value
_EDITABLE = ("plate_raw", "category", "priority", "reason", "extra", "expires_at", "entered_by")


@dataclass(frozen=True)
class HotlistInfo:
    name: str
    source: str
    entries: int
    updated_at: datetime


@dataclass(frozen=True)
class ImportResult:
    hotlist: str
    created: int
    updated: int
    removed: int
    unchanged: int


def to_entry(row: HotlistEntryRow, hotlist: str) -> HotlistEntry:
    return HotlistEntry(
        id=row.id, hotlist=hotlist, plate_raw=row.plate_raw, region=row.region, category=row.category,
        priority=row.priority, reason=row.reason, annotations={str(k): str(v) for k, v in (row.extra or {}).items()},
        expires_at=row.expires_at, entered_by=row.entered_by, added_at=row.added_at,
    )


def _values(entry: HotlistEntry) -> dict[str, Any]:
    return {
        "plate_raw": entry.plate_raw, "plate_norm": entry.plate, "region": entry.region.strip().upper(),
        "category": entry.category, "priority": entry.priority, "reason": entry.reason,
        "extra": dict(entry.annotations), "entered_by": entry.entered_by,
        "expires_at": None if entry.expires_at is None else entry.expires_at.astimezone(UTC),
    }


def _check_batch(name: str, entries: Sequence[HotlistEntry]) -> None:
    errors: list[FieldError] = []
    if not name.strip() or len(name) > 100:
        errors.append(FieldError("name", "a hotlist needs a name of 1-100 characters"))
    seen: set[tuple[str, str]] = set()
    for e in entries:
        key = (e.plate, e.region.strip().upper())
        if key in seen:
            errors.append(FieldError("plate", f"{e.plate}{' ' + key[1] if key[1] else ''} is listed twice"))
        seen.add(key)
    if errors:
        raise ValidationError(errors)


def _json_default(value: object) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


def _entry_action(source: str | None) -> Action:
    """What changing one entry of a list with this ``source`` needs (None: the list does not exist yet)."""
    return Action.EDIT_BOLO if source is None or source == MANUAL_SOURCE else Action.IMPORT_HOTLIST


class HotlistRepository:
    def __init__(self, db: Database, *, workstation: str = "") -> None:
        self._db = db
        self._workstation = workstation
        self._listeners: list[Callable[[], None]] = []
        self._lock = threading.Lock()

    def on_change(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call ``listener()`` after each committed change made through this repository; returns unsubscribe."""
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def import_list(self, name: str, entries: Sequence[HotlistEntry], *, actor: Actor, replace: bool = False,
                    source: str = "") -> ImportResult:
        """Add or update ``entries`` (by plate and state) in list ``name``, creating it if new, in one
        transaction. ``replace`` also removes the entries the new file no longer has. Needs IMPORT_HOTLIST.
        An entry that does not say who entered it keeps the name it has, or is entered by ``actor`` if new."""
        _check_batch(name, entries)
        require_audited(self._db, actor, Action.IMPORT_HOTLIST, f"hotlist:{name}",
                        {"attempt": "replace" if replace else "import"})
        created = updated = unchanged = removed = 0
        with self._db.session(write=True) as session:
            hotlist = self._list_row(session, name, source)
            rows = session.scalars(select(HotlistEntryRow).where(HotlistEntryRow.hotlist_id == hotlist.id))
            existing = {(r.plate_norm, r.region): r for r in rows}
            new: list[dict[str, Any]] = []
            for entry in entries:
                values = _values(entry)
                row = existing.pop((values["plate_norm"], values["region"]), None)
                values["entered_by"] = values["entered_by"] or (actor.username if row is None else row.entered_by)
                if row is None:
                    new.append({**values, "hotlist_id": hotlist.id, "added_at": utcnow()})
                elif any(getattr(row, k) != values[k] for k in _EDITABLE):
                    for k in _EDITABLE:
                        setattr(row, k, values[k])
                    updated += 1
                else:
                    unchanged += 1
            if new:
                session.execute(insert(HotlistEntryRow), new)
                created = len(new)
            if replace and existing:
                ids = [r.id for r in existing.values()]
                for i in range(0, len(ids), 500):
                    session.execute(delete(HotlistEntryRow).where(HotlistEntryRow.id.in_(ids[i:i + 500])))
                removed = len(ids)
            if source:
                hotlist.source = source
            hotlist.updated_at = utcnow()
            self._audit(session, actor, f"hotlist:{name}",
                        {"action": "replace" if replace else "import", "source": source, "created": created,
                         "updated": updated, "removed": removed, "unchanged": unchanged})
        self._changed()
        return ImportResult(name, created, updated, removed, unchanged)

    def add_bolo(self, plate: str, *, reason: str, actor: Actor, priority: int = 1, region: str = "",
                 category: str = "BOLO", expires_at: datetime | None = None,
                 annotations: Mapping[str, str] | None = None, list_name: str = BOLO_LIST) -> HotlistEntry:
        """Enter a BOLO (a plate, or a partial plate with ``*``/``?``), entered by ``actor``; the same plate
        again updates it. Needs EDIT_BOLO (IMPORT_HOTLIST when ``list_name`` is an imported list)."""
        entry = HotlistEntry(plate_raw=plate, hotlist=list_name, region=region, category=category,
                             priority=priority, reason=reason, annotations=dict(annotations or {}),
                             expires_at=expires_at, entered_by=actor.username)
        values = _values(entry)
        require_audited(self._db, actor, _entry_action(self._source(list_name)), f"hotlist:{list_name}",
                        {"attempt": "bolo", "plate": entry.plate})
        with self._db.session(write=True) as session:
            hotlist = self._list_row(session, list_name, MANUAL_SOURCE)
            row = session.scalars(select(HotlistEntryRow).where(
                HotlistEntryRow.hotlist_id == hotlist.id, HotlistEntryRow.plate_norm == values["plate_norm"],
                HotlistEntryRow.region == values["region"])).one_or_none()
            action = "bolo_update" if row is not None else "bolo_add"
            if row is None:
                row = HotlistEntryRow(hotlist_id=hotlist.id, added_at=utcnow(), **values)
                session.add(row)
            else:
                for k in _EDITABLE:
                    setattr(row, k, values[k])
            hotlist.updated_at = utcnow()
            session.flush()
            stored = to_entry(row, list_name)
            self._audit(session, actor, f"hotlist:{list_name}",
                        {"action": action, "entry_id": row.id, "plate": entry.plate, "region": values["region"],
                         "reason": reason, "priority": priority, "expires_at": values["expires_at"]})
        self._changed()
        return stored

    def remove_entry(self, entry_id: int, *, actor: Actor) -> bool:
        """Remove one entry; False when there is none. Needs EDIT_BOLO in a manual list, else IMPORT_HOTLIST (and
        EDIT_BOLO at least to be told that there is no such entry)."""
        with self._db.session() as session:
            found = session.execute(select(HotlistRow.name, HotlistRow.source).join(HotlistEntryRow)
                                    .where(HotlistEntryRow.id == entry_id)).one_or_none()
        require_audited(self._db, actor, _entry_action(None if found is None else found.source),
                        "hotlist:" + ("?" if found is None else found.name),
                        {"attempt": "remove_entry", "entry_id": entry_id})
        if found is None:
            return False
        with self._db.session(write=True) as session:
            row = session.get(HotlistEntryRow, entry_id)
            if row is None:
                return False
            hotlist = session.get(HotlistRow, row.hotlist_id)
            assert hotlist is not None
            hotlist.updated_at = utcnow()
            self._audit(session, actor, f"hotlist:{hotlist.name}",
                        {"action": "remove_entry", "entry_id": entry_id, "plate": row.plate_norm,
                         "region": row.region})
            session.delete(row)
        self._changed()
        return True

    def remove_list(self, name: str, *, actor: Actor) -> bool:
        """Remove a whole list and its entries; False when there is none. Needs IMPORT_HOTLIST."""
        require_audited(self._db, actor, Action.IMPORT_HOTLIST, f"hotlist:{name}", {"attempt": "remove_list"})
        with self._db.session(write=True) as session:
            hotlist = session.scalars(select(HotlistRow).where(HotlistRow.name == name)).one_or_none()
            if hotlist is None:
                return False
            of_list = HotlistEntryRow.hotlist_id == hotlist.id
            count = session.scalar(select(func.count(HotlistEntryRow.id)).where(of_list))
            session.execute(delete(HotlistEntryRow).where(of_list))
            session.delete(hotlist)
            self._audit(session, actor, f"hotlist:{name}", {"action": "remove_list", "entries": count})
        self._changed()
        return True

    def lists(self) -> builtins.list[HotlistInfo]:
        query = (select(HotlistRow.name, HotlistRow.source, func.count(HotlistEntryRow.id), HotlistRow.updated_at)
                 .outerjoin(HotlistEntryRow).group_by(HotlistRow.id).order_by(HotlistRow.name))
        with self._db.session() as session:
            return [HotlistInfo(n, s, c, u) for n, s, c, u in session.execute(query)]

    def entries(self, name: str | None = None, *, active_at: datetime | None = None) -> builtins.list[HotlistEntry]:
        """Entries of one list (or all), by list then plate; with ``active_at`` only those not expired then."""
        query = select(HotlistEntryRow, HotlistRow.name).join(HotlistRow)
        if name is not None:
            query = query.where(HotlistRow.name == name)
        if active_at is not None:
            expiry = HotlistEntryRow.expires_at
            query = query.where(or_(expiry.is_(None), expiry > active_at.astimezone(UTC)))
        query = query.order_by(HotlistRow.name, HotlistEntryRow.plate_norm, HotlistEntryRow.region)
        with self._db.session() as session:
            return [to_entry(row, list_name) for row, list_name in session.execute(query)]

    def active_entries(self, at: datetime | None = None) -> builtins.list[HotlistEntry]:
        return self.entries(active_at=at or utcnow())

    def version(self) -> tuple[int, datetime | None]:
        """Changes whenever any list changes (lists counted, latest change time): cheap to poll."""
        with self._db.session() as session:
            count, latest = session.execute(select(func.count(HotlistRow.id), func.max(HotlistRow.updated_at))).one()
        return int(count), latest

    def _source(self, name: str) -> str | None:
        """The source of list ``name``, None when there is no such list."""
        with self._db.session() as session:
            found = session.execute(select(HotlistRow.source).where(HotlistRow.name == name)).one_or_none()
        return None if found is None else found.source

    def _audit(self, session: Session, actor: Actor, obj: str, detail: dict[str, Any]) -> None:
        append_audit(session, username=actor.username, workstation=actor.workstation or self._workstation,
                     event_type=AUDIT_TYPE, object=obj, detail=detail)

    def _list_row(self, session: Session, name: str, source: str) -> HotlistRow:
        row = session.scalars(select(HotlistRow).where(HotlistRow.name == name)).one_or_none()
        if row is None:
            row = HotlistRow(name=name, source=source)
            session.add(row)
            session.flush()
        return row

    def _changed(self) -> None:
        with self._lock:
            listeners = builtins.list(self._listeners)
        for listener in listeners:
            try:
                listener()
            except Exception:
                log.exception("hotlist change listener %r failed", listener)
