"""Stills from the live wall, kept so that cases can attach them: the PNG on disk and a row that records
camera, UTC time, who took it and the file's SHA-256.

The file is written under a temporary name, flushed to disk and renamed into place before the row is
committed, so a row never names a file that is not all there. The hash is of the bytes written; ``verify``
reads the file back and compares. Files are never overwritten: a name carries the UTC time and the start of
the hash.
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

from c4desk.store.db import Database
from c4desk.store.models.views import SnapshotRow

__all__ = ["PNG_SIGNATURE", "Snapshot", "SnapshotRepository"]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_SAFE = re.compile(r"[^A-Za-z0-9_.-]")


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

    def save(self, png: bytes, *, camera_id: str, taken_by: str, width: int, height: int,
             taken_at: datetime | None = None, camera_name: str = "", stream: str = "",
             case_id: int | None = None, note: str = "") -> Snapshot:
        """Store a PNG still of ``camera_id`` and record it; returns the record (with its SHA-256)."""
        if not png.startswith(PNG_SIGNATURE):
            raise ValueError("a snapshot must be a PNG image")
        if not camera_id or not taken_by:
            raise ValueError("a snapshot needs a camera and the user who took it")
        when = taken_at or datetime.now(UTC)
        if when.tzinfo is None or when.utcoffset() is None:
            raise ValueError("taken_at must carry a time zone (UTC)")
        when = when.astimezone(UTC)
        digest = hashlib.sha256(png).hexdigest()
        folder = self.directory / _SAFE.sub("_", camera_id)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{_SAFE.sub('_', camera_id)}-{when.strftime('%Y%m%dT%H%M%S.%fZ')}-{digest[:12]}.png"
        _write_new(path, png)
        try:
            with self._db.session(write=True) as session:
                row = SnapshotRow(camera_id=camera_id, camera_name=camera_name[:200], taken_at=when,
                                  taken_by=taken_by, workstation=self._workstation[:128], stream=stream,
                                  path=str(path.resolve()), sha256=digest, size_bytes=len(png), width=width,
                                  height=height, case_id=case_id, note=note)
                session.add(row)
                session.flush()
                return _to_snapshot(row)
        except Exception:
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

    def attach(self, snapshot_id: int, case_id: int | None) -> Snapshot:
        """Attach a still to a case (None detaches it)."""
        with self._db.session(write=True) as session:
            row = session.get(SnapshotRow, snapshot_id)
            if row is None:
                raise LookupError(snapshot_id)
            row.case_id = case_id
            session.flush()
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
