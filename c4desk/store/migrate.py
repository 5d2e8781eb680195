"""Schema migrations: which revision a database is at, and bringing it to head safely.

Alembic is configured in code (no alembic.ini), with the scripts found next to this module, so the same
calls work from a source tree, an installed wheel or a frozen build.
"""

from __future__ import annotations

import logging
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import make_url, text

from c4desk.store.db import is_sqlite, make_engine

log = logging.getLogger(__name__)
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str = "") -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    # Explicit, so Alembic never falls back to its deprecated space/comma splitting of paths.
    cfg.set_main_option("path_separator", "os")
    cfg.attributes["url"] = url
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "no migration scripts found"
    return head


def current_revision(url: str) -> str | None:
    """The database's revision, or None for a database Alembic has never touched (or an empty file)."""
    path = sqlite_path(url)
    if path is not None and not path.exists():
        return None  # asking must not create the file
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL; None for other databases and in-memory SQLite."""
    if not is_sqlite(url):
        return None
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        return None
    return Path(database)


def backup_sqlite(path: Path, old_rev: str | None, backup_dir: Path | None = None) -> Path:
    """Copy a SQLite database to ``<name>.bak-<old_rev>-<UTC time>`` with SQLite's online backup API.

    Copying the file alone would miss whatever still sits in the -wal file; the backup API reads through
    SQLite and so yields one consistent database even while another connection writes.
    """
    target_dir = backup_dir if backup_dir is not None else path.parent
    target_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = target_dir / f"{path.name}.bak-{old_rev or 'base'}-{stamp}"
    n = 1
    while target.exists():
        target = target_dir / f"{path.name}.bak-{old_rev or 'base'}-{stamp}-{n}"
        n += 1
    src = sqlite3.connect(path)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()
    return target


def upgrade(url: str, *, backup_dir: Path | None = None, revision: str = "head") -> Path | None:
    """Bring the database to ``revision`` (head); returns the backup made first, if one was needed.

    A SQLite file that exists, holds data and is behind is backed up before anything changes, because a
    failed or regretted migration must never cost an agency its alert, plate and audit history.
    """
    backup: Path | None = None
    path = sqlite_path(url)
    if path is not None and _holds_schema(path):
        old = current_revision(url)
        if old != head_revision():
            backup = backup_sqlite(path, old, backup_dir)
            log.info("backed up %s (revision %s) to %s before upgrading", path, old or "none", backup)
    command.upgrade(alembic_config(url), revision)
    if path is not None:
        _check_foreign_keys(url)
    return backup


def _holds_schema(path: Path) -> bool:
    """True when the SQLite file exists and has any table: a new or empty file has nothing to protect."""
    if not path.exists():
        return False
    conn = sqlite3.connect(path)
    try:
        return bool(conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0])
    finally:
        conn.close()


def _check_foreign_keys(url: str) -> None:
    """Migrations run with SQLite foreign keys off (see env.py); make sure they left none dangling."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            broken = conn.execute(text("PRAGMA foreign_key_check")).fetchall()
    finally:
        engine.dispose()
    if broken:
        raise RuntimeError(f"migration left {len(broken)} broken foreign key(s), first: {tuple(broken[0])}")
