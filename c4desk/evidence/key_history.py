"""The centre's published key history: every evidence-signing key it has used, when, and which were revoked.

Why: a key is rotated (policy: yearly) or revoked (it leaked), but the packages and audit anchors it signed must
still verify afterwards, against a list anyone can hold, and whatever a revoked key signed must fail. The history
is ``DATA_DIR/evidence/centre-signing-keys.json``, beside ``centre-signing-key.pub``, and is published with it (it
holds public keys only). A JSON list, oldest first::

    [{"fingerprint": "3a1b 77c0 ...", "public_key_pem": "-----BEGIN PUBLIC KEY-----\\n...",
      "active_from": "2025-07-01T09:00:00Z", "retired_at": "2026-07-01T09:00:00Z",
      "revoked_at": null, "revoked_reason": null},
     {"fingerprint": "9f2c ...", ..., "active_from": "2026-07-01T09:00:00Z", "retired_at": null, ...}]

Exactly one entry is current (``retired_at`` null); it signs. A retired key's private key is deleted when it is
retired, so nothing it signed can be dated after ``retired_at``. A revoked key is retired too (revoking the current
key rotates first); ``revoked_reason`` says why. Times are UTC, whole seconds, with a zone.

The file is written whole, atomically (temp file, fsync, rename), owner-writable and world-readable, and checked
when read: an entry with a bad PEM, a fingerprint that is not its key's, or a time without a zone rejects the whole
file with a message naming the entry and the field (``KeyHistoryError``). A history nobody can trust must not
quietly vouch for a package.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from c4desk.domain.errors import FieldError, ValidationError
from c4desk.evidence.ed25519 import fingerprint, load_public_key, normalize_fingerprint

KEY_DIR = "evidence"  # under the data directory
HISTORY_FILE = "centre-signing-keys.json"
CURRENT, RETIRED, REVOKED = "current", "retired", "revoked"
FIELDS = ("fingerprint", "public_key_pem", "active_from", "retired_at", "revoked_at", "revoked_reason")
_MODE = 0o644  # published: anyone may read it; only the centre's account writes it


def history_path(data_dir: Path) -> Path:
    return data_dir / KEY_DIR / HISTORY_FILE


def utc_second(at: datetime) -> datetime:
    """``at`` in UTC to the whole second, as the history stores it (and compares what keys signed)."""
    if at.utcoffset() is None:
        raise ValueError(f"a time without a zone: {at.isoformat()}")
    return at.astimezone(UTC).replace(microsecond=0)


def iso(at: datetime) -> str:
    return utc_second(at).isoformat().replace("+00:00", "Z")


class KeyHistoryError(ValidationError):
    """A history file that cannot be used; ``errors`` name each bad entry's field, ``source`` the file."""

    def __init__(self, source: str, errors: list[FieldError]) -> None:
        super().__init__(errors)
        self.source = source
        self.args = (f"{source}: {'; '.join(str(e) for e in errors)}",)


@dataclass(frozen=True, kw_only=True)
class KeyEntry:
    """One key of the centre, as published (no private part)."""

    fingerprint: str
    public_key_pem: str
    active_from: datetime
    retired_at: datetime | None = None
    revoked_at: datetime | None = None
    revoked_reason: str | None = None

    @property
    def status(self) -> str:
        if self.revoked_at is not None:
            return REVOKED
        return RETIRED if self.retired_at is not None else CURRENT

    def public_key(self) -> Ed25519PublicKey:
        return load_public_key(self.public_key_pem.encode("ascii"))

    def period(self) -> str:
        """When it was the centre's signing key: ``since T`` or ``T to T``."""
        if self.retired_at is None:
            return f"since {iso(self.active_from)}"
        return f"{iso(self.active_from)} to {iso(self.retired_at)}"

    def revocation(self) -> str:
        """``revoked at T: reason`` (empty for a key that is not revoked)."""
        if self.revoked_at is None:
            return ""
        return f"revoked at {iso(self.revoked_at)}: {self.revoked_reason}"

    def signed_after_retirement(self, at: datetime) -> bool:
        """Whether something dated ``at`` claims a signature from after this key was retired (its private key was
        deleted then). Compared to the whole second: whatever the key really signed is dated before its
        retirement, and the history keeps whole seconds."""
        return self.retired_at is not None and utc_second(at) > self.retired_at

    def as_dict(self) -> dict[str, Any]:
        """The entry as stored in the file."""
        return {"fingerprint": self.fingerprint, "public_key_pem": self.public_key_pem,
                "active_from": iso(self.active_from),
                "retired_at": None if self.retired_at is None else iso(self.retired_at),
                "revoked_at": None if self.revoked_at is None else iso(self.revoked_at),
                "revoked_reason": self.revoked_reason}

    def summary(self) -> dict[str, Any]:
        """The entry without its PEM, with its status: what a report says about a signer."""
        return {k: v for k, v in self.as_dict().items() if k != "public_key_pem"} | {"status": self.status}


@dataclass(frozen=True)
class KeyHistory:
    """The centre's keys, oldest first. Built by ``parse_history`` (checked) or from a checked one by
    ``rotated``/``revoked`` (checked again when written)."""

    entries: tuple[KeyEntry, ...]

    @property
    def current(self) -> KeyEntry:
        return next(e for e in self.entries if e.retired_at is None)

    def find(self, key_fingerprint: str) -> KeyEntry | None:
        """The entry of ``key_fingerprint`` (any spelling ``normalize_fingerprint`` reads); None when it is not one
        of the centre's keys (or not a fingerprint at all)."""
        try:
            wanted = normalize_fingerprint(key_fingerprint)
        except ValueError:
            return None
        return next((e for e in self.entries if e.fingerprint == wanted), None)

    def rotated(self, new: KeyEntry, at: datetime) -> KeyHistory:
        """The current key retired at ``at``, ``new`` current from then."""
        when = utc_second(at)
        kept = tuple(replace(e, retired_at=when) if e.retired_at is None else e for e in self.entries)
        return KeyHistory((*kept, new))

    def revoked(self, key_fingerprint: str, at: datetime, reason: str) -> KeyHistory:
        """The (retired) key ``key_fingerprint`` revoked at ``at`` for ``reason``."""
        when = utc_second(at)
        return KeyHistory(tuple(replace(e, revoked_at=when, revoked_reason=reason)
                                if e.fingerprint == key_fingerprint else e for e in self.entries))

    def as_list(self) -> list[dict[str, Any]]:
        return [e.as_dict() for e in self.entries]

    def to_bytes(self) -> bytes:
        return (json.dumps(self.as_list(), indent=2, ensure_ascii=True) + "\n").encode("ascii")


# -- reading and checking ------------------------------------------------------------------------------------------


def parse_history(data: bytes | str, source: str = HISTORY_FILE) -> KeyHistory:
    """A history from the file's text; KeyHistoryError naming every bad entry (1-based) and field."""
    try:
        raw = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise KeyHistoryError(source, [FieldError("file", f"not JSON ({exc})")]) from None
    if not isinstance(raw, list) or not raw:
        raise KeyHistoryError(source, [FieldError("file", "expected a JSON list of the centre's keys, at least one")])
    errors: list[FieldError] = []
    entries: list[KeyEntry] = []
    seen: dict[str, int] = {}
    for number, item in enumerate(raw, start=1):
        entry = _entry(item, f"entry {number}", errors)
        if entry is None:
            continue
        if entry.fingerprint in seen:
            errors.append(FieldError(f"entry {number}: fingerprint",
                                     f"the same key as entry {seen[entry.fingerprint]}"))
            continue
        seen[entry.fingerprint] = number
        entries.append(entry)
    if not errors:
        current = [n for n, e in enumerate(entries, start=1) if e.retired_at is None]
        if not current:
            errors.append(FieldError("file", "no entry is current (every key has a retired_at): exactly one must be"))
        for number in current[1:]:
            errors.append(FieldError(f"entry {number}: retired_at", f"null, like entry {current[0]}'s: exactly one "
                                                                    "key is current"))
    if errors:
        raise KeyHistoryError(source, errors)
    return KeyHistory(tuple(entries))


def _entry(item: Any, name: str, errors: list[FieldError]) -> KeyEntry | None:
    """One entry, checked; None (with its errors added) when it is bad."""
    if not isinstance(item, dict):
        errors.append(FieldError(name, "not a JSON object"))
        return None
    before = len(errors)
    missing = [f for f in FIELDS if f not in item]
    for field_name in missing:
        errors.append(FieldError(f"{name}: {field_name}", "missing"))
    if missing:
        return None

    def bad(field_name: str, reason: str) -> None:
        errors.append(FieldError(f"{name}: {field_name}", reason))

    declared: str | None = None
    if not isinstance(item["fingerprint"], str):
        bad("fingerprint", "expected text: the key's SHA-256 fingerprint")
    else:
        try:
            declared = normalize_fingerprint(item["fingerprint"])
        except ValueError as exc:
            bad("fingerprint", str(exc))
    pem = item["public_key_pem"]
    actual: str | None = None
    if not isinstance(pem, str):
        bad("public_key_pem", "expected text: a PEM PUBLIC KEY block")
    else:
        try:
            actual = fingerprint(load_public_key(pem.encode("utf-8")))
        except ValueError as exc:
            bad("public_key_pem", str(exc))
    if declared is not None and actual is not None and declared != actual:
        bad("fingerprint", f"not the fingerprint of its public_key_pem (that key's is {actual})")
    active_from = _time(item, "active_from", bad, required=True)
    retired_at = _time(item, "retired_at", bad)
    revoked_at = _time(item, "revoked_at", bad)
    reason = item["revoked_reason"]
    if active_from is not None and retired_at is not None and retired_at < active_from:
        bad("retired_at", f"before its active_from ({iso(active_from)})")
    if item["revoked_at"] is not None and item["retired_at"] is None:
        bad("revoked_at", "a revoked key must also be retired (retired_at); revoking the current key rotates it")
    if item["revoked_at"] is None:
        if reason is not None:
            bad("revoked_reason", "must be null when the key is not revoked")
    elif not isinstance(reason, str) or not reason.strip():
        bad("revoked_reason", "required when the key is revoked: say why")
    if len(errors) > before or declared is None or active_from is None or not isinstance(pem, str):
        return None
    return KeyEntry(fingerprint=declared, public_key_pem=pem, active_from=active_from, retired_at=retired_at,
                    revoked_at=revoked_at, revoked_reason=reason.strip() if isinstance(reason, str) else None)


def _time(item: dict[str, Any], field_name: str, bad: Callable[[str, str], None], *,
          required: bool = False) -> datetime | None:
    value = item[field_name]
    if value is None:
        if required:
            bad(field_name, "required: an ISO 8601 time with a zone")
        return None
    if not isinstance(value, str):
        bad(field_name, "expected an ISO 8601 time with a zone, as text")
        return None
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        bad(field_name, f"{value!r} is not an ISO 8601 time")
        return None
    if at.utcoffset() is None:
        bad(field_name, f"{value!r} has no zone: add Z (UTC) or an offset")
        return None
    return utc_second(at)


def load_history(path: Path) -> KeyHistory:
    """A history file given by name (``evidence verify --keys FILE``); KeyHistoryError when it is unreadable."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise KeyHistoryError(str(path), [FieldError("file", exc.strerror or str(exc))]) from None
    return parse_history(data, str(path))


def read_history(data_dir: Path) -> KeyHistory | None:
    """The data directory's history; None when it has none yet (made on the key's first use)."""
    path = history_path(data_dir)
    if not path.exists():
        return None
    return load_history(path)


def write_history(data_dir: Path, history: KeyHistory) -> Path:
    """Replace the data directory's history with ``history``, atomically; it is checked first (a history that would
    not read back is never written)."""
    data = history.to_bytes()
    parse_history(data, "the new key history")
    path = history_path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, _MODE)
        with os.fdopen(fd, "wb") as f:
            if hasattr(os, "fchmod"):
                os.fchmod(f.fileno(), _MODE)  # whatever the umask: the history is published
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    if os.name == "posix":  # the new name must survive a power cut (Windows journals it itself)
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    return path
