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
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
    load_pem_public_key,
)

from c4desk.credentials import EVIDENCE_SIGNING_KEY, get_secret, lookup_secret, put_secret

ALGORITHM = "Ed25519"
KEY_DIR = "evidence"  # under the data directory
PUBLIC_KEY_FILE = "centre-signing-key.pub"
_LOCK = ".signing-key.lock"
_LOCK_WAIT_S = 10.0
_LOCK_STALE_S = 30.0  # making a key takes milliseconds: an older lock was left by a process that died
_HEX64 = re.compile(r"[0-9a-f]{64}")
_creating = threading.Lock()


class SigningKeyError(RuntimeError):
    """The centre's signing key cannot be used (missing, damaged, or not the published one)."""


class PackageSigner(Protocol):
    """What an export needs to sign a package (``CentreKey`` is one)."""

    @property
    def fingerprint(self) -> str: ...
    @property
    def public_pem(self) -> bytes: ...
    def sign(self, data: bytes) -> bytes: ...


def _grouped(hex_digits: str) -> str:
    return " ".join(hex_digits[i:i + 4] for i in range(0, len(hex_digits), 4))


def fingerprint(public_key: Ed25519PublicKey) -> str:
    """SHA-256 of the raw 32-byte public key, hex in groups of four (easy to read out and compare)."""
    raw = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return _grouped(hashlib.sha256(raw).hexdigest())


def normalize_fingerprint(text: str) -> str:
    """A fingerprint as typed or pasted (any case; groups separated by spaces, colons or dashes, or not at all) in
    the form ``fingerprint`` gives. ValueError unless it is all 64 hex digits: a prefix is not a key's identity."""
    digits = re.sub(r"[\s:-]", "", text).lower()
    if not _HEX64.fullmatch(digits):
        raise ValueError("expected the key's SHA-256 fingerprint: 64 hex digits (spaces or colons between groups "
                         "are fine)")
    return _grouped(digits)


def public_key_pem(public_key: Ed25519PublicKey) -> bytes:
    """The public key as a PEM ``PUBLIC KEY`` block (what ``openssl pkeyutl -pubin`` reads)."""
    return public_key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)


def load_public_key(data: bytes) -> Ed25519PublicKey:
    """An Ed25519 public key from PEM; ValueError saying why not."""
    try:
        key = load_pem_public_key(data)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"not a PEM public key ({exc})") from None
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError(f"not an {ALGORITHM} key")
    return key


def signature_valid(public_key: Ed25519PublicKey, data: bytes, signature: bytes) -> bool:
    try:
        public_key.verify(signature, data)
    except InvalidSignature:
        return False
    return True


@dataclass(frozen=True)
class CentreKey:
    """The centre's key, loaded: signs manifests. Its repr and equality leave out the private key."""

    fingerprint: str
    public_pem: bytes
    public_key_file: Path  # the published copy, DATA_DIR/evidence/centre-signing-key.pub
    stored_in: str  # where the private key is kept, said for the operator
    created: bool  # made by this call
    _private: Ed25519PrivateKey = field(repr=False, compare=False)

    def sign(self, data: bytes) -> bytes:
        return self._private.sign(data)

    def as_dict(self) -> dict[str, object]:
        return {"algorithm": ALGORITHM, "fingerprint": self.fingerprint, "public_key_file": str(self.public_key_file),
                "public_key_pem": self.public_pem.decode("ascii"), "private_key": self.stored_in,
                "created": self.created}


def public_key_path(data_dir: Path) -> Path:
    return data_dir / KEY_DIR / PUBLIC_KEY_FILE


def centre_key(data_dir: Path) -> CentreKey:
    """The centre's signing key for ``data_dir``, made (and its public key written) when there is none yet.

    Raises SigningKeyError when the public key was published but the private key is gone, when the stored private
    key is not the published one, or when the stored secret is not an Ed25519 key.
    """
    published = public_key_path(data_dir)
    private = _stored_key(data_dir)
    created = False
    if private is None:
        with _creating, _lock_file(published.parent):
            private = _stored_key(data_dir)  # another process may have made it while we waited
            if private is None:
                _refuse_if_published(published, data_dir)
                private = Ed25519PrivateKey.generate()
                pem = private.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode("ascii")
                put_secret(data_dir, secret_name(data_dir), pem)
                created = True
                stored = _stored_key(data_dir)
                if stored is None or fingerprint(stored.public_key()) != fingerprint(private.public_key()):
                    raise SigningKeyError("the new evidence-signing key could not be stored and read back")
    public = private.public_key()
    pem_public = public_key_pem(public)
    _publish(published, pem_public, fingerprint(public))
    return CentreKey(fingerprint=fingerprint(public), public_pem=pem_public, public_key_file=published,
                     stored_in=_where_stored(data_dir), created=created, _private=private)


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


def _refuse_if_published(published: Path, data_dir: Path) -> None:
    if not published.exists():
        return
    try:
        known = fingerprint(load_public_key(published.read_bytes()))
    except ValueError:
        known = "unreadable"
    raise SigningKeyError(
        f"the centre's public signing key {published} (fingerprint {known}) exists but its private key is in "
        f"neither the system keyring nor {data_dir / 'secrets' / secret_name(data_dir)}: restore it rather than "
        f"make a new key (packages signed by a new key fail every check against the published one); to start a "
        f"new key on purpose, move {published.name} away first")


def _publish(published: Path, pem: bytes, fp: str) -> None:
    """Write the public key file, or check that the one there is ours."""
    if published.exists():
        try:
            there = fingerprint(load_public_key(published.read_bytes()))
        except ValueError:
            there = "unreadable"
        if there != fp:
            raise SigningKeyError(f"the stored private signing key (fingerprint {fp}) does not belong to the "
                                  f"published public key {published} (fingerprint {there}): find out which is the "
                                  "centre's key before signing anything")
        return
    published.parent.mkdir(parents=True, exist_ok=True)
    tmp = published.with_name(f".{published.name}.{os.getpid()}.tmp")
    tmp.write_bytes(pem)
    tmp.replace(published)


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
def _lock_file(folder: Path) -> Iterator[None]:
    """Only one process makes the key: two first exports at once must not sign with two different keys."""
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
                raise SigningKeyError(f"another c4desk is making the signing key ({lock}); try again") from None
            time.sleep(0.05)
    os.close(fd)
    try:
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            lock.unlink()
