"""Secrets (camera passwords, the hub's ingest token) through the system keyring, never the DB or logs.

A headless server often has no keyring service. Then the secret goes to a file readable only by its owner
in the data directory, and a warning says so once: an operator should know where a secret lives.
"""

from __future__ import annotations

import logging
import os
import secrets
import stat
from pathlib import Path

import keyring
from keyring.errors import KeyringError, PasswordDeleteError

log = logging.getLogger(__name__)
SERVICE = "c4desk"
HUB_TOKEN = "hub-token"
# The centre's Ed25519 evidence-signing key (PKCS#8 PEM); see c4desk.evidence.signing.
EVIDENCE_SIGNING_KEY = "evidence-signing-key"


def get_secret(name: str) -> str | None:
    try:
        return keyring.get_password(SERVICE, name)
    except KeyringError as exc:
        log.debug("keyring unavailable for %s: %s", name, exc)
        return None


def set_secret(name: str, value: str) -> bool:
    """Store in the keyring; True when it can be read back (a null or failing keyring returns False)."""
    try:
        keyring.set_password(SERVICE, name, value)
    except KeyringError as exc:
        log.debug("keyring refused %s: %s", name, exc)
        return False
    return get_secret(name) == value


def _check_name(name: str) -> str:
    # A name is a file in the secrets folder, never a path out of it (a camera's credential_ref comes from a site
    # file: "../settings.json" must not read or overwrite another file). Checked before the keyring is asked, so
    # a name is refused the same way with a keyring as without one.
    if not name or name in (".", "..") or "/" in name or "\\" in name or "\0" in name:
        raise ValueError(f"secret name {name!r} is not a plain name")
    return name


def _file_fallback(data_dir: Path, name: str) -> Path:
    return data_dir / "secrets" / _check_name(name)


def _write_owner_only(path: Path, value: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, stat.S_IRUSR | stat.S_IWUSR)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(value)
    tmp.replace(path)


def put_secret(data_dir: Path, name: str, value: str) -> None:
    """Store a secret: the keyring when it works, else the owner-only file (with a warning)."""
    if set_secret(_check_name(name), value):
        return
    path = _file_fallback(data_dir, name)
    _write_owner_only(path, value)
    log.warning("no system keyring: the %s secret is kept in %s (owner-only)", name, path)


def lookup_secret(data_dir: Path, name: str) -> str | None:
    """A secret from the keyring, else from the owner-only fallback file; None when neither has it."""
    value = get_secret(_check_name(name))
    if value:
        return value
    path = _file_fallback(data_dir, name)
    return path.read_text(encoding="utf-8").strip() if path.exists() else None


def delete_secret(data_dir: Path, name: str) -> None:
    """Remove a secret from the keyring AND the owner-only fallback file: it may be in either (the keyring can come
    and go between runs), and a secret that must be gone (a retired signing key) must be gone from both.

    Raises OSError when the file cannot be removed; a keyring that refuses is logged (it may hold nothing)."""
    try:
        keyring.delete_password(SERVICE, name)
    except PasswordDeleteError:
        pass  # it was not there
    except KeyringError as exc:
        log.debug("keyring refused to delete %s: %s", name, exc)
    if get_secret(name):
        raise OSError(f"the system keyring still holds the {name} secret after deleting it")
    _file_fallback(data_dir, name).unlink(missing_ok=True)


def camera_login(data_dir: Path, credential_ref: str) -> tuple[str, str] | None:
    """A camera's user and password, stored under its ``credential_ref`` as ``user:password``."""
    if not credential_ref:
        return None
    secret = lookup_secret(data_dir, credential_ref)
    if not secret:
        return None
    user, _, password = secret.partition(":")
    return user, password


def read_or_create_secret(data_dir: Path, name: str) -> str:
    """The secret ``name``: from the keyring, else the owner-only fallback file, else a new random one."""
    value = lookup_secret(data_dir, name)
    if value:
        return value
    value = secrets.token_urlsafe(32)
    put_secret(data_dir, name, value)
    return value


def hub_token(data_dir: Path) -> str:
    """The bearer token every ingest request must carry."""
    return read_or_create_secret(data_dir, HUB_TOKEN)
