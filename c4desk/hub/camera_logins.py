"""Storing a camera's login: administrators only (EDIT_CAMERAS), audited, the password never in any record.

A camera's stream URL carries no password (``domain.camera`` refuses one); its login lives in the keyring (or,
without one, in an owner-only file under DATA_DIR/secrets: ``c4desk.credentials``) under the camera's
``credential_ref``, and the players and the PTZ client look it up there when they connect. This is the one guarded
way to put it there, whichever client asks (``c4desk cameras login``, a future settings screen):

    stored = set_camera_login(services.db, services.cameras, actor, paths.data_dir, "cam07", "viewer", password)

A camera without a ``credential_ref`` gets ``camera-<id>`` (through ``import_cameras``: the same audited camera edit
as a site file); one the site file already names is kept. The ``privileged`` audit record names the camera, the
keyring entry and the camera user, never the password; a refusal (role) or a failure (bad input, a secret store
that cannot be written) is audited too.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from c4desk.credentials import put_secret
from c4desk.domain.audit import AuditType
from c4desk.domain.errors import FieldError, ValidationError
from c4desk.domain.permissions import Action, Actor
from c4desk.media.stream_login import credential_ref_problem
from c4desk.store.audit import append_audit, record_failure, require_audited
from c4desk.store.cameras import CameraRepository
from c4desk.store.db import Database

__all__ = ["SET_LOGIN", "StoredLogin", "default_credential_ref", "set_camera_login"]

SET_LOGIN = "set_login"


@dataclass(frozen=True)
class StoredLogin:
    """What ``set_camera_login`` did (no password in it: it is printed and returned as JSON)."""

    camera_id: str
    credential_ref: str
    user: str
    ref_created: bool  # the camera had no credential_ref and got ``default_credential_ref``

    def as_dict(self) -> dict[str, Any]:
        return {"camera_id": self.camera_id, "credential_ref": self.credential_ref, "user": self.user,
                "credential_ref_created": self.ref_created}


def default_credential_ref(camera_id: str) -> str:
    return f"camera-{camera_id}"


def _check_login(user: str, password: str) -> None:
    errors: list[FieldError] = []
    if not user:
        errors.append(FieldError("user", "required"))
    elif ":" in user:
        # The secret is stored as "user:password" and split at the first colon (credentials.camera_login).
        errors.append(FieldError("user", "must not contain ':'"))
    elif not user.isprintable():
        errors.append(FieldError("user", "contains control characters"))
    if not password:
        errors.append(FieldError("password", "required"))
    elif not password.isprintable():
        errors.append(FieldError("password", "contains control characters"))
    elif password != password.strip():
        # The owner-only file fallback is read back stripped: such a password would not survive the round trip.
        errors.append(FieldError("password", "leading or trailing white space is not kept by the secret store"))
    if errors:
        raise ValidationError(errors)


def set_camera_login(db: Database, cameras: CameraRepository, actor: Actor, data_dir: Path, camera_id: str,
                     user: str, password: str) -> StoredLogin:
    """Store ``user``/``password`` as camera ``camera_id``'s login; a login already stored is replaced.

    PermissionDenied (audited) unless ``actor`` may EDIT_CAMERAS; ValidationError naming ``camera_id``, ``user``,
    ``password`` or ``credential_ref``, and OSError when the secret cannot be stored (both audited as failures).
    """
    obj = f"camera:{camera_id}"[:255]
    require_audited(db, actor, Action.EDIT_CAMERAS, obj, {"attempt": SET_LOGIN})
    attempt: dict[str, Any] = {"action": SET_LOGIN, "user": user[:200]}
    try:
        _check_login(user, password)
        camera = cameras.get(camera_id)
        if camera is None:
            raise ValidationError([FieldError("camera_id", f"no camera {camera_id!r}")])
        ref = camera.credential_ref or default_credential_ref(camera.id)
        problem = credential_ref_problem(ref)
        if problem:
            raise ValidationError([FieldError("credential_ref", f"{ref[:80]!r}: {problem}")])
        with db.session(write=True) as session:
            put_secret(data_dir, ref, f"{user}:{password}")
            append_audit(session, username=actor.username, workstation=actor.workstation,
                         event_type=AuditType.PRIVILEGED, object=obj,
                         detail={"action": SET_LOGIN, "credential_ref": ref, "user": user})
    except (ValidationError, OSError) as exc:
        record_failure(db, actor, obj, attempt, exc)
        raise
    created = not camera.credential_ref
    if created:
        # Walls and recorders follow CamerasChanged and reconnect with the login.
        cameras.import_cameras([replace(camera, credential_ref=ref)], actor=actor, source="cameras login")
    return StoredLogin(camera.id, ref, user, created)
