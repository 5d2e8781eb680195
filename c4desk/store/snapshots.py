"""Stills from the live wall, kept so that cases can attach them: the PNG on disk and a row that records
camera, UTC time, who took it and the file's SHA-256.

The file is written under a temporary name, flushed to disk and renamed into place before the row is
committed, so a row never names a file that is not all there. The hash is of the bytes written; ``verify``
reads the file back and compares. Files are never overwritten: a name carries the UTC time and the start of
the hash.

Taking a still is marking evidence: it needs ``Action.TAG_CLIPS`` (docs/ROLES.md: "mark clips, stills and
bookmarks"), checked before any file is written (a refusal is audited), and the ``clip_change`` audit record
(detail ``action: still``, object ``snapshot:<id>``) commits with the row. Putting a still on a case
(``attach``) is changing the case: ``Action.EDIT_CASES`` and a ``case_change`` record. (Linking it through
``CaseRepository.link``, kind ``snapshot``, does the same and adds the case's link row.)
"""

from __future__ import annotations

import builtins
import hashlib
import os
import re
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from c4desk.domain.audit import AuditType
from c4desk.domain.errors import FieldError, ValidationError
from c4desk.domain.permissions import Action, Actor
from c4desk.store.audit import append_audit, require_audited
from c4desk.store.db import Database
from c4desk.store.models import CaseRow
from c4desk.store.models.views import SnapshotRow

__all__ = ["PNG_SIGNATURE", "Snapshot", "SnapshotRepository", "snapshot_object"]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_SAFE = re.compile(r"[^A-Za-z0-9_.-]")
MAX_CAMERA_ID = 64
MAX_NOTE = 10_000
MAX_SIDE = 32_768  # pixels: a still wider or taller than this is not a camera picture


def snapshot_object(snapshot_id: int) -> str:
    """The audit ``object`` of a still (the same word a case link of kind ``snapshot`` uses)."""
    return f"snapshot:{snapshot_id}"


@dataclass(frozen=True)
class Snapshot:
    id: int
    camera_id: str
    camera_name: str
    taken_at: datetime
    taken_by: str
    workstation: str
    stream: str
    path: Path
    sha256: str
    size_bytes: int
    width: int
    height: int
    case_id: int | None
    note: str


def _to_snapshot(row: SnapshotRow) -> Snapshot:
    return Snapshot(id=row.id, camera_id=row.camera_id, camera_name=row.camera_name, taken_at=row.taken_at,
                    taken_by=row.taken_by, workstation=row.workstation, stream=row.stream, path=Path(row.path),
                    sha256=row.sha256, size_bytes=row.size_bytes, width=row.width, height=row.height,
                    case_id=row.case_id, note=row.note)


def _write_new(path: Path, data: bytes) -> None:
    """Write ``data`` to a file that does not exist yet, durably (temp file, fsync, hard link into place)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "xb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    try:
        os.link(tmp, path)  # unlike rename, never replaces an existing file
    finally:
        tmp.unlink(missing_ok=True)


class SnapshotRepository:
    def __init__(self, db: Database, directory: Path | str, workstation: str | None = None) -> None:
        self._db = db
        self.directory = Path(directory)
        self._workstation = socket.gethostname() if workstation is None else workstation

    def save(self, actor: Actor, png: bytes, *, camera_id: str, width: int, height: int,
             taken_at: datetime | None = None, camera_name: str = "", stream: str = "",
             case_id: int | None = None, note: str = "") -> Snapshot:
        """Store a PNG still of ``camera_id`` taken by ``actor`` and record it; returns the record (with its SHA-256).

        Needs ``Action.TAG_CLIPS`` (PermissionDenied, audited, before anything is written). Bad fields are refused
        with a ValidationError naming each; the row, and the ``clip_change`` audit record, commit together, and a
        file whose row could not be committed is removed.
        """
        require_audited(self._db, actor, Action.TAG_CLIPS, f"camera:{camera_id[:MAX_CAMERA_ID]}", {"still": True})
        errors: list[FieldError] = []
        if not png.startswith(PNG_SIGNATURE):
            errors.append(FieldError("png", "a snapshot must be a PNG image"))
        if not camera_id or len(camera_id) > MAX_CAMERA_ID:
            errors.append(FieldError("camera_id", f"a snapshot needs a camera (an id of 1-{MAX_CAMERA_ID} characters)"))
        for name, side in (("width", width), ("height", height)):
            if not 0 < side <= MAX_SIDE:
                errors.append(FieldError(name, f"{side} pixels; between 1 and {MAX_SIDE}"))
        if len(note) > MAX_NOTE:
            errors.append(FieldError("note", f"{len(note)} characters; at most {MAX_NOTE}"))
        when = taken_at or datetime.now(UTC)
        if when.tzinfo is None or when.utcoffset() is None:
            errors.append(FieldError("taken_at", "taken_at must carry a time zone (UTC)"))
            when = when.replace(tzinfo=UTC)
        if errors:
            raise ValidationError(errors)
        when = when.astimezone(UTC)
        digest = hashlib.sha256(png).hexdigest()
        folder = self.directory / _SAFE.sub("_", camera_id)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{_SAFE.sub('_', camera_id)}-{when.strftime('%Y%m%dT%H%M%S.%fZ')}-{digest[:12]}.png"
        _write_new(path, png)
        workstation = (actor.workstation or self._workstation)[:128]
        try:
            with self._db.session(write=True) as session:
                if case_id is not None and session.get(CaseRow, case_id) is None:
                    raise ValidationError([FieldError("case_id", f"no case {case_id}")])
                row = SnapshotRow(camera_id=camera_id, camera_name=camera_name[:200], taken_at=when,
                                  taken_by=actor.username, workstation=workstation, stream=stream,
                                  path=str(path.resolve()), sha256=digest, size_bytes=len(png), width=width,
                                  height=height, case_id=case_id, note=note)
                session.add(row)
                session.flush()
                append_audit(session, username=actor.username, workstation=actor.workstation,
                             event_type=AuditType.CLIP_CHANGE, object=snapshot_object(row.id),
                             detail={"action": "still", "camera_id": camera_id, "taken_at": when, "sha256": digest,
                                     "size_bytes": len(png), "width": width, "height": height, "stream": stream,
                                     "case_id": case_id})
                return _to_snapshot(row)
        except BaseException:
            path.unlink(missing_ok=True)  # no row, no file: nothing half-recorded
            raise

    def get(self, snapshot_id: int) -> Snapshot | None:
        with self._db.session() as session:
            row = session.get(SnapshotRow, snapshot_id)
            return None if row is None else _to_snapshot(row)

    def for_camera(self, camera_id: str, limit: int = 100) -> builtins.list[Snapshot]:
        query = (select(SnapshotRow).where(SnapshotRow.camera_id == camera_id)
                 .order_by(SnapshotRow.taken_at.desc()).limit(limit))
        with self._db.session() as session:
            return [_to_snapshot(r) for r in session.scalars(query)]

    def for_case(self, case_id: int) -> builtins.list[Snapshot]:
        query = select(SnapshotRow).where(SnapshotRow.case_id == case_id).order_by(SnapshotRow.taken_at)
        with self._db.session() as session:
            return [_to_snapshot(r) for r in session.scalars(query)]

    def attach(self, actor: Actor, snapshot_id: int, case_id: int | None) -> Snapshot:
        """Attach a still to a case (None detaches it): ``Action.EDIT_CASES``, audited as a ``case_change``."""
        require_audited(self._db, actor, Action.EDIT_CASES, snapshot_object(snapshot_id), {"case_id": case_id})
        with self._db.session(write=True) as session:
            row = session.get(SnapshotRow, snapshot_id)
            if row is None:
                raise LookupError(f"no snapshot {snapshot_id}")
            case = None if case_id is None else session.get(CaseRow, case_id)
            if case_id is not None and case is None:
                raise ValidationError([FieldError("case_id", f"no case {case_id}")])
            previous = row.case_id
            row.case_id = case_id
            session.flush()
            append_audit(session, username=actor.username, workstation=actor.workstation,
                         event_type=AuditType.CASE_CHANGE, object=snapshot_object(snapshot_id),
                         detail={"action": "attach_still" if case_id is not None else "detach_still",
                                 "case_id": case_id, "case": case.number if case is not None else None,
                                 "previous_case_id": previous})
            return _to_snapshot(row)

    def verify(self, snapshot_id: int) -> bool:
        """The file is still there and still hashes to what was recorded."""
        snap = self.get(snapshot_id)
        if snap is None:
            raise LookupError(snapshot_id)
        try:
            data = snap.path.read_bytes()
        except OSError:
            return False
        return hashlib.sha256(data).hexdigest() == snap.sha256
