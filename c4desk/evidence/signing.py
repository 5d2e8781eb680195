"""The centre's evidence-signing key: an Ed25519 key that signs the exact bytes of every package's manifest.json.

Why: the manifest's hashes prove that a package matches its manifest, not who wrote the manifest. Someone who changes
a file and then rewrites manifest.json and manifest.sha256 to match produces a package that checks out against
itself. A signature over the manifest by a key only the centre holds closes that gap, for anyone who knows the
centre's public key: its fingerprint is printed by ``c4desk evidence key``, in every package's report and custody
log, and should be published with the public key file. A package carries its own copy of the public key
(``signing-key.pub``) so that it can be checked anywhere, but that copy alone proves nothing (a forger can put their
own key there); only a comparison with the centre's known key or fingerprint does.

Where the key lives: the private key is a secret (``c4desk.credentials``: the system keyring, else an owner-only
file in the data directory's ``secrets/``), never in the database, a package or a log. The public key is written to
``DATA_DIR/evidence/centre-signing-key.pub`` for publishing. The key is made on first use. Once a public key has
been written there, a missing private key is an error, never a silent new key: packages signed by a key nobody
has published would fail every check against the published one.

Rotation and revocation: every key the centre has used is listed in ``DATA_DIR/evidence/centre-signing-keys.json``
(``key_history``; made on first use, and from ``centre-signing-key.pub`` in a data directory that had only that).
``rotate_centre_key`` makes a new key current, retires the old one in the history and deletes its private key;
``revoke_centre_key`` marks a key revoked (the current one is rotated first). The history is the authority on which
key signs: ``CentreKey.sign`` checks, under the key lock, that its key is still the current one, so an export or a
hub that loaded the key before a rotation signs nothing with it afterwards. Who may rotate or revoke, and the audit
records: ``key_admin``. Every change of the key files (first key, history, rotation) holds the lock file
``DATA_DIR/evidence/.signing-key.lock``, and so does every signature.

Crash safety of a rotation (its steps: history, delete the old private key, store the new one, publish the new
public key): at any point where it can stop, the history already names the new key, so the old key signs nothing
more; ``centre_key`` then refuses to sign until an admin rotates again (which retires the never-used key too), or
finishes the last step itself (publishing the new public key).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, load_pem_private_key

from c4desk.credentials import EVIDENCE_SIGNING_KEY, delete_secret, get_secret, lookup_secret, put_secret
from c4desk.domain.errors import FieldError, ValidationError
from c4desk.evidence.ed25519 import ALGORITHM as ALGORITHM
from c4desk.evidence.ed25519 import fingerprint as fingerprint
from c4desk.evidence.ed25519 import load_public_key as load_public_key
from c4desk.evidence.ed25519 import normalize_fingerprint as normalize_fingerprint
from c4desk.evidence.ed25519 import public_key_pem as public_key_pem
from c4desk.evidence.ed25519 import signature_valid as signature_valid
from c4desk.evidence.key_history import (
    KEY_DIR,
    KeyEntry,
    KeyHistory,
    KeyHistoryError,
    history_path,
    read_history,
    utc_second,
    write_history,
)

PUBLIC_KEY_FILE = "centre-signing-key.pub"
_LOCK = ".signing-key.lock"
_LOCK_WAIT_S = 10.0
_LOCK_STALE_S = 30.0  # every holder is done in milliseconds: an older lock was left by a process that died
_in_process = threading.Lock()  # threads of one process queue here instead of polling the lock file


class SigningKeyError(RuntimeError):
    """The centre's signing key cannot be used (missing, damaged, retired, or not the published one)."""


class PackageSigner(Protocol):
    """What an export needs to sign a package (``CentreKey`` is one)."""

    @property
    def fingerprint(self) -> str: ...
    @property
    def public_pem(self) -> bytes: ...
    def sign(self, data: bytes) -> bytes: ...


@dataclass(frozen=True)
class CentreKey:
    """The centre's key, loaded: signs manifests and anchors while it is the current key. Its repr and equality
    leave out the private key."""

    fingerprint: str
    public_pem: bytes
    public_key_file: Path  # the published copy, DATA_DIR/evidence/centre-signing-key.pub
    stored_in: str  # where the private key is kept, said for the operator
    created: bool  # made by this call
    _private: Ed25519PrivateKey = field(repr=False, compare=False)
    _data_dir: Path = field(repr=False, compare=False)

    @property
    def history_file(self) -> Path:
        return history_path(self._data_dir)

    def sign(self, data: bytes) -> bytes:
        """Sign ``data``; SigningKeyError when this key was retired or revoked since it was loaded (checked under
        the key lock, so a rotation happens wholly before or after this signature)."""
        with key_lock(self._data_dir):
            _require_current(self._data_dir, self.fingerprint)
            return self._private.sign(data)

    def as_dict(self) -> dict[str, object]:
        return {"algorithm": ALGORITHM, "fingerprint": self.fingerprint, "public_key_file": str(self.public_key_file),
                "public_key_pem": self.public_pem.decode("ascii"), "private_key": self.stored_in,
                "created": self.created, "key_history_file": str(self.history_file)}


def public_key_path(data_dir: Path) -> Path:
    return data_dir / KEY_DIR / PUBLIC_KEY_FILE


def centre_key(data_dir: Path) -> CentreKey:
    """The centre's current signing key for ``data_dir``, made (its public key and the key history written) when
    there is none yet; a data directory with a public key but no history gets its history now.

    Raises SigningKeyError when the public key was published but the private key is gone, when the stored private
    key is not the current one, when the stored secret is not an Ed25519 key, or when the history is unusable.
    """
    private = _consistent(data_dir)
    created = False
    if private is None:  # first use, a migration, an interrupted rotation, or an error: sort it out under the lock
        with key_lock(data_dir):
            private, created = _settle(data_dir)
    public = private.public_key()
    return CentreKey(fingerprint=fingerprint(public), public_pem=public_key_pem(public),
                     public_key_file=public_key_path(data_dir), stored_in=_where_stored(data_dir), created=created,
                     _private=private, _data_dir=data_dir)


def centre_key_history(data_dir: Path) -> KeyHistory | None:
    """The data directory's key history (None before the key's first use); SigningKeyError when it is unusable."""
    try:
        return read_history(data_dir)
    except KeyHistoryError as exc:
        raise SigningKeyError(f"the centre's key history is unusable: {exc}") from None


def _consistent(data_dir: Path) -> Ed25519PrivateKey | None:
    """The stored private key when history, secret and published key all agree on it (the common case, no lock);
    None when anything needs a closer look."""
    try:
        history = read_history(data_dir)
        private = _stored_key(data_dir)
    except (KeyHistoryError, SigningKeyError, OSError):
        return None
    if history is None or private is None:
        return None
    fp = fingerprint(private.public_key())
    if history.current.fingerprint != fp or _published_fingerprint(public_key_path(data_dir)) != fp:
        return None
    return private


def _settle(data_dir: Path) -> tuple[Ed25519PrivateKey, bool]:
    """Under the key lock: the current private key (and whether it was made now), with the public key and the
    history written where they are missing; SigningKeyError for what only a person can sort out."""
    history = centre_key_history(data_dir)
    private = _stored_key(data_dir)
    published = public_key_path(data_dir)
    there = _published_fingerprint(published)
    if history is None:
        created = private is None
        if private is None:
            if there is not None:
                raise _lost(published, there, data_dir)
            private = _make_and_store(data_dir)
        fp = fingerprint(private.public_key())
        pem = public_key_pem(private.public_key())
        if there is not None and there != fp:
            raise SigningKeyError(f"the stored private signing key (fingerprint {fp}) does not belong to the "
                                  f"published public key {published} (fingerprint {there}): find out which is the "
                                  "centre's key before signing anything")
        # Migrating a data directory that had only the public key: it was published when the key was made.
        since = _modified(published) if there is not None else datetime.now(UTC)
        if there is None:
            _write_public(published, pem)
        write_history(data_dir, KeyHistory((KeyEntry(fingerprint=fp, public_key_pem=pem.decode("ascii"),
                                                     active_from=since),)))
        return private, created
    current = history.current
    if private is None:
        raise _lost(published, current.fingerprint, data_dir)
    fp = fingerprint(private.public_key())
    if fp != current.fingerprint:
        known = history.find(fp)
        if known is not None:
            raise SigningKeyError(
                f"the stored private signing key {fp} is {known.status} ({known.period()}) and signs nothing more; "
                f"the centre's current key {current.fingerprint} has no stored private key (a rotation was "
                "interrupted?): an admin runs `c4desk evidence key --rotate` to finish it")
        raise SigningKeyError(f"the stored private signing key (fingerprint {fp}) does not belong to the published "
                              f"public key {published} (fingerprint {there or 'missing'}) nor to any key in "
                              f"{history_path(data_dir)}: find out which is the centre's key before signing anything")
    if there != fp:
        if there is not None and history.find(there) is None:
            raise SigningKeyError(f"the published public key {published} (fingerprint {there}) is not the centre's "
                                  f"current key {fp} (see {history_path(data_dir)}): find out who replaced it "
                                  "before signing anything")
        _write_public(published, public_key_pem(private.public_key()))  # missing, or a retired key: finish it
    return private, False


def _lost(published: Path, known: str, data_dir: Path) -> SigningKeyError:
    where = published if published.exists() else history_path(data_dir)  # the public key moved away: the history
    return SigningKeyError(
        f"the centre's public signing key (fingerprint {known}, in {where}) exists but its private key is in "
        f"neither the system keyring nor {data_dir / 'secrets' / secret_name(data_dir)}: restore it rather than "
        "make a new key; if it is lost for good, an admin runs `c4desk evidence key --rotate` (the lost key is "
        "retired in the key history, so what it signed still verifies, and a new key is made)")


def _make_and_store(data_dir: Path) -> Ed25519PrivateKey:
    private = Ed25519PrivateKey.generate()
    _store(data_dir, private)
    return private


def _store(data_dir: Path, private: Ed25519PrivateKey) -> None:
    pem = private.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode("ascii")
    try:
        put_secret(data_dir, secret_name(data_dir), pem)
    except OSError as exc:
        raise SigningKeyError(f"the new evidence-signing key could not be stored: {exc}") from None
    stored = _stored_key(data_dir)
    if stored is None or fingerprint(stored.public_key()) != fingerprint(private.public_key()):
        raise SigningKeyError("the new evidence-signing key could not be stored and read back")


def _stored_key(data_dir: Path) -> Ed25519PrivateKey | None:
    secret = lookup_secret(data_dir, secret_name(data_dir))
    if not secret:
        return None
    try:
        key = load_pem_private_key(secret.strip().encode("ascii") + b"\n", password=None)
    except (ValueError, TypeError, UnicodeEncodeError):
        key = None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"the stored secret {secret_name(data_dir)!r} is not an {ALGORITHM} private key "
                              f"({_where_stored(data_dir)})")
    return key


def _published_fingerprint(published: Path) -> str | None:
    """The published key's fingerprint; None when there is none, ``unreadable`` when it is not a key."""
    try:
        data = published.read_bytes()
    except FileNotFoundError:
        return None
    try:
        return fingerprint(load_public_key(data))
    except ValueError:
        return "unreadable"


def _modified(path: Path) -> datetime:
    return datetime.fromtimestamp(path.stat().st_mtime, UTC)


def _write_public(published: Path, pem: bytes) -> None:
    """Write (or replace) the public key file in one rename: a reader sees the old key or the new one, never half."""
    published.parent.mkdir(parents=True, exist_ok=True)
    tmp = published.with_name(f".{published.name}.{os.getpid()}.tmp")
    tmp.write_bytes(pem)
    tmp.replace(published)


def _require_current(data_dir: Path, key_fingerprint: str) -> None:
    history = centre_key_history(data_dir)
    if history is None:  # the history was removed: at least never sign with a key that is not the published one
        there = _published_fingerprint(public_key_path(data_dir))
        if there != key_fingerprint:
            raise SigningKeyError(f"the signing key {key_fingerprint} is not the centre's published key "
                                  f"({there or 'missing'}): it signs nothing")
        return
    current = history.current
    if current.fingerprint == key_fingerprint:
        return
    entry = history.find(key_fingerprint)
    state = f"{entry.status} ({entry.period()})" if entry is not None else "not one of the centre's keys"
    raise SigningKeyError(f"the signing key {key_fingerprint} is {state} and signs nothing more; the centre's key "
                          f"is now {current.fingerprint}: try again")


# -- rotation and revocation (who may: key_admin) -------------------------------------------------------------------


@dataclass(frozen=True)
class KeyRotation:
    retired: KeyEntry  # the key that was current: retired now (and revoked, when a revocation rotated); private gone
    new: KeyEntry  # the current key from now on
    history: KeyHistory  # as written


@dataclass(frozen=True)
class KeyRevocation:
    revoked: KeyEntry  # as written, with revoked_at and the reason
    rotation: KeyRotation | None  # when the revoked key was the current one
    history: KeyHistory


def rotate_centre_key(data_dir: Path, *, at: datetime | None = None) -> KeyRotation:
    """Make a new key current, retire the current one (at ``at``, default now) and delete its private key.

    Works without the old private key too (lost: it is retired by its public key). SigningKeyError when there is no
    key at all yet (``centre_key`` makes the first) or the new key cannot be stored.
    """
    when = utc_second(at or datetime.now(UTC))
    with key_lock(data_dir):
        return _rotate(data_dir, when, _history_for_change(data_dir, when))


def revoke_centre_key(data_dir: Path, key_fingerprint: str, reason: str, *,
                      at: datetime | None = None) -> KeyRevocation:
    """Mark the key ``key_fingerprint`` revoked (at ``at``, default now) for ``reason``: whatever it signed fails
    verification from now on. The current key is rotated first (the new key takes over at the same moment).

    ValidationError (field ``fingerprint``) when it is not one of the centre's keys or is revoked already, (field
    ``reason``) when no reason is given; SigningKeyError as ``rotate_centre_key``.
    """
    why = reason.strip()
    if not why:
        raise ValidationError([FieldError("reason", "required: say why the key is revoked (it is published)")])
    try:
        wanted = normalize_fingerprint(key_fingerprint)
    except ValueError as exc:
        raise ValidationError([FieldError("fingerprint", str(exc))]) from None
    when = utc_second(at or datetime.now(UTC))
    with key_lock(data_dir):
        history = _history_for_change(data_dir, when)
        entry = history.find(wanted)
        if entry is None:
            raise ValidationError([FieldError("fingerprint", f"{wanted} is not one of the centre's keys "
                                                             f"({history_path(data_dir)})")])
        if entry.revoked_at is not None:
            raise ValidationError([FieldError("fingerprint", f"{wanted} is revoked already ({entry.revocation()})")])
        if entry.retired_at is None:
            rotation = _rotate(data_dir, when, history, revoke_reason=why)
            final = rotation.history
        else:
            rotation, final = None, history.revoked(wanted, when, why)
            write_history(data_dir, final)
    revoked = final.find(wanted)
    assert revoked is not None
    return KeyRevocation(revoked=revoked, rotation=rotation, history=final)


def _history_for_change(data_dir: Path, when: datetime) -> KeyHistory:
    """The history to change; for a data directory without one, the published key (else the stored one) as its
    only entry, current since it was published."""
    history = centre_key_history(data_dir)
    if history is not None:
        return history
    published = public_key_path(data_dir)
    try:
        public = load_public_key(published.read_bytes())
        since = _modified(published)
    except (OSError, ValueError):
        private = _stored_key(data_dir)
        if private is None:
            raise SigningKeyError("there is no centre key yet to rotate or revoke: `c4desk evidence key` makes the "
                                  "first one") from None
        public, since = private.public_key(), when
    return KeyHistory((KeyEntry(fingerprint=fingerprint(public), public_key_pem=public_key_pem(public).decode("ascii"),
                                active_from=min(utc_second(since), when)),))


def _rotate(data_dir: Path, when: datetime, history: KeyHistory, *, revoke_reason: str | None = None) -> KeyRotation:
    """Under the key lock. The order matters (see the module docstring): history first, then the secret, then the
    published key."""
    old = history.current
    private = Ed25519PrivateKey.generate()
    public = private.public_key()
    new = KeyEntry(fingerprint=fingerprint(public), public_key_pem=public_key_pem(public).decode("ascii"),
                   active_from=when)
    updated = history.rotated(new, when)
    if revoke_reason is not None:
        updated = updated.revoked(old.fingerprint, when, revoke_reason)
    write_history(data_dir, updated)  # from here on the old key signs nothing (CentreKey.sign checks the history)
    try:
        delete_secret(data_dir, secret_name(data_dir))  # the retired key must never sign again, anywhere
    except OSError as exc:
        raise SigningKeyError(f"the retired key's private key could not be deleted ({exc}): delete the secret "
                              f"{secret_name(data_dir)!r} by hand, then rotate again") from None
    _store(data_dir, private)
    _write_public(public_key_path(data_dir), public_key_pem(public))
    retired = updated.find(old.fingerprint)
    assert retired is not None
    return KeyRotation(retired=retired, new=new, history=updated)


# -- where the secret lives, and the lock ----------------------------------------------------------------------------


def secret_name(data_dir: Path) -> str:
    """The secret's name, one per data directory: the keyring is shared by every data directory of the OS user,
    and a demo city or a test run must never sign with (or overwrite) the centre's real key."""
    digest = hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:12]
    return f"{EVIDENCE_SIGNING_KEY}-{digest}"


def _where_stored(data_dir: Path) -> str:
    name = secret_name(data_dir)
    if get_secret(name):
        return f"system keyring (service c4desk, entry {name})"
    return f"{data_dir / 'secrets' / name} (owner-only file: no system keyring)"


@contextlib.contextmanager
def key_lock(data_dir: Path) -> Iterator[None]:
    """Hold the key lock of ``data_dir``: one process (and thread) at a time makes, rotates or signs with the key.

    Two first exports at once must not sign with two different keys, and a rotation must never come between a
    signer's check that its key is current and its signature. Not re-entrant.
    """
    folder = data_dir / KEY_DIR
    with _in_process:
        folder.mkdir(parents=True, exist_ok=True)
        lock = folder / _LOCK
        deadline = time.monotonic() + _LOCK_WAIT_S
        while True:
            try:
                fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
                break
            except FileExistsError:
                with contextlib.suppress(FileNotFoundError):
                    if time.time() - lock.stat().st_mtime > _LOCK_STALE_S:
                        lock.unlink()
                        continue
                if time.monotonic() > deadline:
                    raise SigningKeyError(f"another c4desk is using or changing the signing key ({lock}); try "
                                          "again") from None
                time.sleep(0.05)
        os.close(fd)
        try:
            yield
        finally:
            with contextlib.suppress(FileNotFoundError):
                lock.unlink()
