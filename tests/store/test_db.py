"""Engine set-up and sessions: SQLite pragmas, commit/rollback, and UTC-only timestamps on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import StatementError

from c4desk.store.db import Database, is_sqlite, sqlite_url
from c4desk.store.models import CaseRow


def test_sqlite_url_is_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    url = sqlite_url("rel dir/c4.db")
    assert url == f"sqlite:///{tmp_path / 'rel dir' / 'c4.db'}"
    assert is_sqlite(url)
    assert not is_sqlite("postgresql+psycopg://u:p@localhost/c4")


def test_sqlite_connection_settings(tmp_path: Path) -> None:
    with Database(sqlite_url(tmp_path / "a.db")) as db, db.session() as s:
        assert s.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert s.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert s.execute(text("PRAGMA busy_timeout")).scalar() == 10_000


def _case(number: str, when: datetime | None = None) -> CaseRow:
    when = when or datetime(2026, 7, 4, 12, tzinfo=UTC)
    return CaseRow(
        number=number, title="Shots fired", created_by="analyst1", created_at=when, updated_at=when
    )


def test_session_commits_or_rolls_back(db: Database) -> None:
    with db.session(write=True) as s:
        s.add(_case("26-0001"))
    with pytest.raises(RuntimeError), db.session(write=True) as s:
        s.add(_case("26-0002"))
        s.flush()
        raise RuntimeError("boom")
    with db.session() as s:
        assert s.scalars(select(CaseRow.number)).all() == ["26-0001"]


def test_times_come_back_aware_utc(db: Database) -> None:
    eastern = timezone(timedelta(hours=-4))
    written = datetime(2026, 7, 4, 8, 30, 15, 123456, tzinfo=eastern)
    with db.session(write=True) as s:
        s.add(_case("26-0003", written))
    with db.session() as s:
        got = s.scalars(select(CaseRow.created_at)).one()
    assert got == written
    assert got.tzinfo is UTC and got.hour == 12


def test_naive_times_are_refused(db: Database) -> None:
    with pytest.raises(StatementError, match="naive datetime"), db.session(write=True) as s:
        s.add(_case("26-0004", datetime(2026, 7, 4, 12)))
        s.flush()
