"""Store fixtures: every store test runs on SQLite and on a real PostgreSQL.

PostgreSQL comes from ``C4DESK_TEST_PG_URL``, an account allowed to create databases; each test gets a fresh,
uniquely named database, dropped afterwards. Without the variable the PostgreSQL cases are skipped, unless
``C4DESK_REQUIRE_PG=1`` (CI), where they fail: a CI run must never pass by silently testing SQLite alone.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

from c4desk.store.bus import EventBus
from c4desk.store.db import Database, sqlite_url
from c4desk.store.migrate import upgrade

PG_ENV = "C4DESK_TEST_PG_URL"
REQUIRE_PG_ENV = "C4DESK_REQUIRE_PG"


def _postgres_admin_url() -> str:
    url = os.environ.get(PG_ENV, "")
    if url:
        return url
    if os.environ.get(REQUIRE_PG_ENV) == "1":
        pytest.fail(f"{REQUIRE_PG_ENV}=1 but {PG_ENV} is not set: PostgreSQL tests must run here")
    pytest.skip(f"{PG_ENV} not set (e.g. postgresql+psycopg://c4test:c4test@127.0.0.1:5432/postgres)")


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh empty PostgreSQL database for this test only."""
    admin_url = _postgres_admin_url()
    name = f"c4test_{uuid.uuid4().hex[:16]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                # FORCE: a test that failed half-way may still hold connections open.
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@pytest.fixture
def sqlite_db_url(tmp_path: Path) -> str:
    return sqlite_url(tmp_path / "c4desk.db")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    """An empty database URL, once per backend."""
    fixture = "sqlite_db_url" if request.param == "sqlite" else "postgres_url"
    url: str = request.getfixturevalue(fixture)
    return url


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    """A database migrated to head."""
    upgrade(db_url)
    database = Database(db_url)
    try:
        yield database
    finally:
        database.dispose()


@pytest.fixture
def bus() -> EventBus:
    return EventBus()
