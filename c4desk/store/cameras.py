"""The camera inventory: import (upsert) and look-ups, speaking domain Camera objects.

Changes a person makes (a site file imported, a camera marked for recording) need ``Action.EDIT_CAMERAS``; a
refusal raises PermissionDenied and is audited, a change writes a ``privileged`` audit record in the change's
own transaction. ``upsert_many`` is the unguarded machine path under ``import_cameras``: for test fixtures and benches
that build an inventory directly. Nothing a person triggers calls it (tests/hub/test_permission_matrix.py checks
that the CLI and the UI never do).
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from c4desk.domain.audit import AuditType
from c4desk.domain.camera import Camera, CameraKind, PtzProtocol
from c4desk.domain.errors import FieldError, ValidationError
from c4desk.domain.events import CamerasChanged
from c4desk.domain.permissions import Action, Actor
from c4desk.store.audit import append_audit, require_audited
from c4desk.store.bus import EventBus
from c4desk.store.db import Database
from c4desk.store.models import CameraRow

# Stay well under SQLite's bound-parameter limit when selecting by a list of ids.
_CHUNK = 500
# Row attributes that mirror Camera fields one to one (serial and the enums are converted).
_PLAIN = ("name", "lat", "lon", "heading_deg", "fov_deg", "range_m", "stream_main", "stream_sub", "ptz_url",
          "credential_ref", "owner", "contact", "enabled")


def _values(cam: Camera) -> dict[str, Any]:
    values: dict[str, Any] = {name: getattr(cam, name) for name in _PLAIN}
    values["kind"] = cam.kind.value
    values["ptz_protocol"] = cam.ptz_protocol.value
    values["serial"] = cam.serial or None  # NULL, not "", so the unique index ignores serial-less cameras
    values["extra"] = dict(cam.extra)
    return values


def to_camera(row: CameraRow) -> Camera:
    return Camera(
        id=row.id, name=row.name, lat=row.lat, lon=row.lon, heading_deg=row.heading_deg, fov_deg=row.fov_deg,
        range_m=row.range_m, kind=CameraKind(row.kind), serial=row.serial or "", stream_main=row.stream_main,
        stream_sub=row.stream_sub, ptz_protocol=PtzProtocol(row.ptz_protocol), ptz_url=row.ptz_url,
        credential_ref=row.credential_ref, owner=row.owner, contact=row.contact, enabled=row.enabled,
        extra={str(k): str(v) for k, v in (row.extra or {}).items()},
    )


def _chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for i in range(0, len(items), _CHUNK):
        yield items[i:i + _CHUNK]


def _check_batch(cameras: Sequence[Camera]) -> None:
    errors: list[FieldError] = []
    seen_ids: set[str] = set()
    seen_serials: dict[str, str] = {}
    for cam in cameras:
        if cam.id in seen_ids:
            errors.append(FieldError("id", f"duplicate id {cam.id!r} in the batch"))
        seen_ids.add(cam.id)
        if cam.serial:
            other = seen_serials.setdefault(cam.serial, cam.id)
            if other != cam.id:
                reason = f"{cam.serial!r} is given to both {other!r} and {cam.id!r}"
                errors.append(FieldError("serial", reason))
    if errors:
        raise ValidationError(errors)


class CameraRepository:
    def __init__(self, db: Database, bus: EventBus | None = None) -> None:
        self._db = db
        self._bus = bus

    def import_cameras(self, cameras: Sequence[Camera], *, actor: Actor, source: str = "") -> tuple[int, int]:
        """``upsert_many`` done by a person (``c4desk site import``, the demo's system actor): needs EDIT_CAMERAS;
        audited (``privileged``, the ids created and updated, ``source`` naming the file) in the same transaction.
        """
        _check_batch(cameras)
        obj = f"site:{source}"[:255] if source else "site"
        require_audited(self._db, actor, Action.EDIT_CAMERAS, obj, {"attempt": "site_import", "cameras": len(cameras)})
        with self._db.session(write=True) as session:
            created, updated = self._upsert(session, cameras)
            append_audit(session, username=actor.username, workstation=actor.workstation,
                         event_type=AuditType.PRIVILEGED, object=obj,
                         detail={"action": "site_import", "source": source, "created": created, "updated": updated,
                                 "unchanged": len(cameras) - len(created) - len(updated)})
        self._published(created, updated)
        return len(created), len(updated)

    def upsert_many(self, cameras: Sequence[Camera]) -> tuple[int, int]:
        """Insert new cameras and update existing ones (matched by id), all in one transaction. Unguarded and
        unaudited: the machine path (fixtures, benches); what a person does goes through ``import_cameras``.

        Returns (created, updated); cameras whose stored record is already identical count as neither, so a
        re-import of an unchanged file reports (0, 0). Any error stores nothing: ValidationError for duplicate
        ids or a serial that belongs to another camera.
        """
        _check_batch(cameras)
        with self._db.session(write=True) as session:
            created, updated = self._upsert(session, cameras)
        self._published(created, updated)
        return len(created), len(updated)

    def _published(self, created: Sequence[str], updated: Sequence[str]) -> None:
        if self._bus is not None and (created or updated):
            self._bus.publish(CamerasChanged(created=tuple(created), updated=tuple(updated)))

    def _upsert(self, session: Session, cameras: Sequence[Camera]) -> tuple[builtins.list[str], builtins.list[str]]:
        """The ids created and updated by storing ``cameras`` in ``session`` (checked by ``_check_batch``)."""
        created: builtins.list[str] = []
        updated: builtins.list[str] = []
        ids = [c.id for c in cameras]
        existing: dict[str, CameraRow] = {}
        for chunk in _chunks(ids):
            rows = session.scalars(select(CameraRow).where(CameraRow.id.in_(chunk)))
            existing.update((r.id, r) for r in rows)
        self._check_serials(session, cameras)
        values = {c.id: _values(c) for c in cameras}
        changed = [r for r in existing.values()
                   if any(getattr(r, k) != v for k, v in values[r.id].items())]
        moving = [r for r in changed if r.serial and r.serial != values[r.id]["serial"]]
        if moving:
            # Release serials that move before anything takes them, or a swap would trip the unique index.
            for row in moving:
                row.serial = None
            session.flush()
        for row in changed:
            for k, v in values[row.id].items():
                setattr(row, k, v)
        changed_ids = {r.id for r in changed}
        for cam in cameras:
            if cam.id not in existing:
                session.add(CameraRow(id=cam.id, **values[cam.id]))
                created.append(cam.id)
            elif cam.id in changed_ids:
                updated.append(cam.id)
        return created, updated

    @staticmethod
    def _check_serials(session: Session, cameras: Sequence[Camera]) -> None:
        """Refuse a serial still held by a camera this batch does not also move it away from."""
        by_serial = {c.serial: c.id for c in cameras if c.serial}
        batch = {c.id: c for c in cameras}
        errors: list[FieldError] = []
        serials = builtins.list(by_serial)
        for chunk in _chunks(serials):
            query = select(CameraRow.id, CameraRow.serial).where(CameraRow.serial.in_(chunk))
            for row in session.execute(query):
                owner_id = by_serial[row.serial]
                still_holds = row.id not in batch or batch[row.id].serial == row.serial
                if row.id != owner_id and still_holds:
                    reason = f"{row.serial!r} already belongs to camera {row.id!r}"
                    errors.append(FieldError("serial", reason))
        if errors:
            raise ValidationError(errors)

    def get(self, camera_id: str) -> Camera | None:
        with self._db.session() as session:
            row = session.get(CameraRow, camera_id)
            return None if row is None else to_camera(row)

    def by_serial(self, serial: str) -> Camera | None:
        if not serial:
            return None
        with self._db.session() as session:
            row = session.scalars(select(CameraRow).where(CameraRow.serial == serial)).one_or_none()
            return None if row is None else to_camera(row)

    def count(self) -> int:
        with self._db.session() as session:
            return session.scalar(select(func.count()).select_from(CameraRow)) or 0

    def list(self, kind: CameraKind | str | None = None) -> builtins.list[Camera]:
        """All cameras (optionally of one kind), ordered by id."""
        query = select(CameraRow).order_by(CameraRow.id)
        if kind is not None:
            query = query.where(CameraRow.kind == CameraKind(kind).value)
        with self._db.session() as session:
            return [to_camera(r) for r in session.scalars(query)]

    def set_record(self, camera_id: str, on: bool, *, actor: Actor) -> Camera:
        """Mark a camera for recording (or stop recording it); needs EDIT_CAMERAS; audited. The recorder follows
        CamerasChanged."""
        require_audited(self._db, actor, Action.EDIT_CAMERAS, f"camera:{camera_id}"[:255], {"attempt": "set_record"})
        with self._db.session(write=True) as session:
            row = session.get(CameraRow, camera_id)
            if row is None:
                raise ValidationError([FieldError("camera_id", f"no camera {camera_id!r}")])
            changed = row.record != on
            if changed:
                row.record = on
                append_audit(session, username=actor.username, workstation=actor.workstation,
                             event_type=AuditType.PRIVILEGED, object=f"camera:{camera_id}",
                             detail={"action": "set_record", "record": on})
            camera = to_camera(row)
        if changed and self._bus is not None:
            self._bus.publish(CamerasChanged(updated=(camera_id,)))
        return camera

    def recording_ids(self) -> builtins.list[str]:
        """Ids of the cameras the recorder should keep: enabled, marked for recording, with a stream."""
        query = (select(CameraRow.id).where(CameraRow.record.is_(True), CameraRow.enabled.is_(True),
                                            (CameraRow.stream_main != "") | (CameraRow.stream_sub != ""))
                 .order_by(CameraRow.id))
        with self._db.session() as session:
            return builtins.list(session.scalars(query))

    def is_recorded(self, camera_id: str) -> bool:
        with self._db.session() as session:
            return bool(session.scalar(select(CameraRow.record).where(CameraRow.id == camera_id)))
