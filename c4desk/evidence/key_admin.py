"""Rotating and revoking the centre's evidence-signing key: admins only (MANAGE_KEYS), every attempt audited.

The key's mechanics (history, secret store, lock) are ``signing``'s; this module is the guard in front of them, so
that whichever client asks (``c4desk evidence key --rotate``, a future settings screen) a non-admin is refused and
the refusal is audited (``require_audited``), and a change is recorded as a ``privileged`` audit record naming the
operation and the fingerprints. The record is written in a transaction opened before the key changes and committed
after it, so a change that fails writes no success; the failure is then audited on its own (outcome ``failure``,
the error), because an admin's failed attempt to revoke a leaked key is worth knowing about.

    change = rotate_key(services.db, actor, paths.data_dir)
    change = revoke_key(services.db, actor, paths.data_dir, "3a1b 77c0 ...", "the laptop holding it was stolen")
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from c4desk.domain.audit import AuditType
from c4desk.domain.errors import ValidationError
from c4desk.domain.permissions import Action, Actor
from c4desk.evidence.key_history import KeyEntry, KeyHistory, iso
from c4desk.evidence.signing import SigningKeyError, revoke_centre_key, rotate_centre_key
from c4desk.store.audit import append_audit, record_failure, require_audited
from c4desk.store.db import Database

AUDIT_OBJECT = "evidence-signing-key"
ROTATE = "rotate_signing_key"
REVOKE = "revoke_signing_key"


@dataclass(frozen=True)
class KeyChange:
    """What a rotation or revocation did. ``retired`` and ``new``: set when a key was rotated (a revocation of the
    current key rotates too); ``revoked``: the revoked key."""

    operation: str  # ROTATE | REVOKE
    at: datetime
    history: KeyHistory
    new: KeyEntry | None = None
    retired: KeyEntry | None = None
    revoked: KeyEntry | None = None

    def audit_detail(self) -> dict[str, Any]:
        detail: dict[str, Any] = {"action": self.operation, "at": iso(self.at)}
        if self.revoked is not None:
            detail |= {"revoked": self.revoked.fingerprint, "reason": self.revoked.revoked_reason}
        if self.retired is not None and self.new is not None:
            detail |= {"retired": self.retired.fingerprint, "new": self.new.fingerprint,
                       "retired_private_key": "deleted"}
        return detail

    def as_dict(self) -> dict[str, Any]:
        return {"operation": self.operation, "at": iso(self.at),
                "new": None if self.new is None else self.new.summary(),
                "retired": None if self.retired is None else self.retired.summary(),
                "revoked": None if self.revoked is None else self.revoked.summary(),
                "history": [e.summary() for e in self.history.entries]}


def rotate_key(db: Database, actor: Actor, data_dir: Path, *, at: datetime | None = None) -> KeyChange:
    """Make a new key current, retire the current one and delete its private key (``signing.rotate_centre_key``).

    PermissionDenied (audited) unless ``actor`` may MANAGE_KEYS; SigningKeyError (audited as a failure) when the
    key store cannot be changed.
    """
    require_audited(db, actor, Action.MANAGE_KEYS, AUDIT_OBJECT, {"attempt": ROTATE})

    def change() -> KeyChange:
        rotation = rotate_centre_key(data_dir, at=at)
        return KeyChange(ROTATE, rotation.new.active_from, rotation.history, new=rotation.new,
                         retired=rotation.retired)

    return _audited(db, actor, {"action": ROTATE}, change)


def revoke_key(db: Database, actor: Actor, data_dir: Path, key_fingerprint: str, reason: str, *,
               at: datetime | None = None) -> KeyChange:
    """Revoke the key ``key_fingerprint`` for ``reason`` (``signing.revoke_centre_key``; the current key is rotated
    first). PermissionDenied (audited) unless ``actor`` may MANAGE_KEYS; ValidationError naming ``fingerprint`` or
    ``reason``, or SigningKeyError (both audited as failures)."""
    require_audited(db, actor, Action.MANAGE_KEYS, AUDIT_OBJECT, {"attempt": REVOKE, "fingerprint": key_fingerprint})

    def change() -> KeyChange:
        done = revoke_centre_key(data_dir, key_fingerprint, reason, at=at)
        when = done.revoked.revoked_at
        assert when is not None
        rotation = done.rotation
        return KeyChange(REVOKE, when, done.history, revoked=done.revoked,
                         new=None if rotation is None else rotation.new,
                         retired=None if rotation is None else rotation.retired)

    return _audited(db, actor, {"action": REVOKE, "fingerprint": key_fingerprint, "reason": reason}, change)


def _audited(db: Database, actor: Actor, attempt: dict[str, Any], change: Callable[[], KeyChange]) -> KeyChange:
    """Run ``change`` inside the write transaction that records it; a failure is recorded in its own."""
    try:
        with db.session(write=True) as session:
            done = change()
            append_audit(session, username=actor.username, workstation=actor.workstation,
                         event_type=AuditType.PRIVILEGED, object=AUDIT_OBJECT, detail=done.audit_detail())
    except (SigningKeyError, ValidationError) as exc:
        record_failure(db, actor, AUDIT_OBJECT, attempt, exc)
        raise
    return done
