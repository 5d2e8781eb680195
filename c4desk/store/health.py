"""Is the database there? Asked by the status bar every few seconds, so it must be cheap and never raise."""

from __future__ import annotations

import logging

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from c4desk.store.db import Database

log = logging.getLogger(__name__)


def ping(db: Database) -> bool:
    try:
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except SQLAlchemyError as exc:
        log.warning("database unreachable: %s", exc)
        return False


def describe(db: Database) -> str:
    """A short, password-free name for the database: the SQLite file name, or driver://host/database."""
    url = db.engine.url
    if url.get_backend_name() == "sqlite":
        return f"sqlite {url.database.rsplit('/', 1)[-1] if url.database else ':memory:'}"
    return f"{url.get_backend_name()} {url.host or 'local'}/{url.database or ''}"
