"""Engines and sessions for SQLite (one seat, the default) and PostgreSQL (many seats).

SQLite needs three things per connection that it does not remember in the file: write-ahead logging (readers
never block the writer, which matters with hub threads writing while the UI reads), foreign-key enforcement
(off by default in SQLite) and a busy timeout (wait for a writer instead of failing at once).

pysqlite also defers BEGIN until the first INSERT/UPDATE, which breaks SAVEPOINTs and transactional DDL.
So the driver is put in autocommit mode and SQLAlchemy's "begin" event emits BEGIN itself. Write sessions
emit BEGIN IMMEDIATE: a deferred transaction that reads and then writes fails at once with "database is
locked" if another writer committed in between (the busy timeout does not help there); taking the write lock
at BEGIN makes it wait its turn instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Self

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, sessionmaker

BUSY_TIMEOUT_MS = 10_000
_BEGIN_OPTION = "c4desk_sqlite_begin"


def sqlite_url(path: Path | str) -> str:
    """A SQLAlchemy URL for a SQLite file (made absolute, so the working directory never matters)."""
    return f"sqlite:///{Path(path).expanduser().resolve()}"


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def make_engine(url: str, *, foreign_keys: bool = True, echo: bool = False) -> Engine:
    """An engine for ``url`` (``sqlite:///...`` or ``postgresql+psycopg://...``).

    ``foreign_keys=False`` is for migrations only: rebuilding a SQLite table (Alembic batch mode) drops the
    old one, and with enforcement on that DROP would cascade-delete dependent rows.
    """
    if not is_sqlite(url):
        # pre_ping: a hub restart or a network blip must not surface as an error on a seat's next query.
        return create_engine(url, pool_pre_ping=True, echo=echo)

    engine = create_engine(url, echo=echo)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves, see the module docstring
        cur = dbapi_conn.cursor()
        try:
            cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            cur.execute("PRAGMA journal_mode = WAL")
            # In WAL mode NORMAL loses at most the last commits on power loss; FULL costs an fsync each.
            cur.execute("PRAGMA synchronous = NORMAL")
            cur.execute(f"PRAGMA foreign_keys = {'ON' if foreign_keys else 'OFF'}")
        finally:
            cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get(_BEGIN_OPTION, "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


class Database:
    """One database: its engine and session factories. Safe to share between threads."""

    def __init__(self, url_or_engine: str | Engine) -> None:
        self.engine = make_engine(url_or_engine) if isinstance(url_or_engine, str) else url_or_engine
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        writer = self.engine
        if self.is_sqlite:
            writer = self.engine.execution_options(**{_BEGIN_OPTION: "IMMEDIATE"})
        self._write = sessionmaker(writer, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def session(self, *, write: bool = False) -> Iterator[Session]:
        """A session in one transaction: committed when the block ends, rolled back if it raises.

        Pass ``write=True`` when the block will write, so SQLite takes the write lock up front.
        """
        maker = self._write if write else self._read
        with maker() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.dispose()
