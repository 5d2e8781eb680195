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
from keyring.errors import KeyringError

log = logging.getLogger(__name__)
SERVICE = "c4desk"
HUB_TOKEN = "hub-token"


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


def _file_fallback(data_dir: Path, name: str) -> Path:
    return data_dir / "secrets" / name


def read_or_create_secret(data_dir: Path, name: str) -> str:
    """The secret ``name``: from the keyring, else the owner-only fallback file, else a new random one."""
    value = get_secret(name)
    if value:
        return value
    path = _file_fallback(data_dir, name)
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    value = secrets.token_urlsafe(32)
    if set_secret(name, value):
        return value
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, stat.S_IRUSR | stat.S_IWUSR)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(value)
    log.warning("no system keyring: the %s secret is kept in %s (owner-only)", name, path)
    return value


def hub_token(data_dir: Path) -> str:
    """The bearer token every ingest request must carry."""
    return read_or_create_secret(data_dir, HUB_TOKEN)
