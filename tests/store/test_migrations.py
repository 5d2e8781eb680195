"""Migrations: empty -> head on both backends matches the models exactly; SQLite files are backed up first."""

from __future__ import annotations

import sqlite3
import textwrap
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from c4desk.store import migrate
from c4desk.store.db import make_engine, sqlite_url
from c4desk.store.migrate import current_revision, head_revision, upgrade
from c4desk.store.models import metadata


def schema_diff(url: str) -> list[Any]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            return list(compare_metadata(ctx, metadata))
    finally:
        engine.dispose()


def test_revisions_form_one_line_from_the_initial_one() -> None:
    script = ScriptDirectory.from_config(migrate.alembic_config())
    assert len(script.get_heads()) == 1
    chain = [rev.revision for rev in script.walk_revisions()]  # head first
    assert chain[-1] == "0001" and chain[0] == head_revision()
    assert chain == sorted(chain, reverse=True)  # numbered in order, no branches


def test_empty_to_head_matches_models(db_url: str) -> None:
    assert current_revision(db_url) is None
    assert upgrade(db_url) is None  # nothing worth backing up in a new database
    assert current_revision(db_url) == head_revision()
    assert schema_diff(db_url) == []
    engine = make_engine(db_url)
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert tables == set(metadata.tables) | {"alembic_version"}


def test_schema_check_is_not_vacuous(db_url: str) -> None:
    """The comparison above must be able to fail: remove an index and it has to notice."""
    upgrade(db_url)
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP INDEX ix_plate_reads_read_at"))
    finally:
        engine.dispose()
    diff = schema_diff(db_url)
    assert [d[0] for d in diff] == ["add_index"]


def test_upgrade_at_head_is_a_no_op(db_url: str, tmp_path: Path) -> None:
    upgrade(db_url)
    assert upgrade(db_url, backup_dir=tmp_path / "bak") is None
    assert not (tmp_path / "bak").exists()


def test_downgrade_to_base_removes_everything(db_url: str) -> None:
    from alembic import command

    upgrade(db_url)
    command.downgrade(migrate.alembic_config(db_url), "base")
    engine = make_engine(db_url)
    try:
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()


def test_file_without_alembic_version_is_backed_up_first(tmp_path: Path) -> None:
    path = tmp_path / "site.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE legacy (note TEXT)")
        conn.execute("INSERT INTO legacy VALUES ('kept')")
    conn.close()
    backup = upgrade(sqlite_url(path))
    assert backup is not None
    assert backup.parent == tmp_path
    assert backup.name.startswith("site.db.bak-base-")
    assert current_revision(sqlite_url(path)) == head_revision()
    with sqlite3.connect(backup) as old:
        assert old.execute("SELECT note FROM legacy").fetchall() == [("kept",)]
        assert "alembic_version" not in {r[0] for r in old.execute("SELECT name FROM sqlite_master")}
    old.close()


SECOND_REVISION = '''
"""Test-only revision: adds a column, as later real revisions will."""
import sqlalchemy as sa
from alembic import op

revision = "9001"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cameras") as batch:
        batch.add_column(sa.Column("zone", sa.String(32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cameras") as batch:
        batch.drop_column("zone")
'''


@pytest.fixture
def second_revision(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make head a test-only revision 9001 on top of the real head, from a temporary versions directory."""
    extra = tmp_path / "extra_versions"
    extra.mkdir()
    # On top of the real head, whatever it is now, so the test keeps working as real revisions are added.
    (extra / "9001_test_zone.py").write_text(textwrap.dedent(SECOND_REVISION).replace("{head}", head_revision()))
    real = migrate.alembic_config

    def with_extra(url: str = "") -> Config:
        cfg = real(url)
        cfg.set_main_option("version_locations", f"{migrate.MIGRATIONS_DIR / 'versions'}:{extra}")
        return cfg

    monkeypatch.setattr(migrate, "alembic_config", with_extra)


def _insert_camera(url: str) -> None:
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO cameras (id, name, lat, lon, heading_deg, fov_deg, range_m, kind,"
                    " stream_main, stream_sub, ptz_protocol, ptz_url, credential_ref, owner, contact,"
                    " enabled, extra, created_at, updated_at) VALUES ('cam-1', 'Main & Pearl', 41.76, -72.67,"
                    " 0, 90,"
                    " 100, 'fixed', '', '', 'none', '', '', '', '', 1, '{}', '2026-07-04 12:00:00',"
                    " '2026-07-04 12:00:00')"
                )
            )
    finally:
        engine.dispose()


def test_older_revision_is_backed_up_then_upgraded(tmp_path: Path, second_revision: None) -> None:
    path = tmp_path / "data" / "c4desk.db"
    path.parent.mkdir()
    url = sqlite_url(path)
    upgrade(url, revision="0001")
    _insert_camera(url)
    assert head_revision() == "9001"

    backups = tmp_path / "backups"
    backup = upgrade(url, backup_dir=backups)

    assert backup is not None and backup.parent == backups
    assert backup.name.startswith("c4desk.db.bak-0001-") and backup.name.endswith("Z")
    assert current_revision(url) == "9001"
    assert current_revision(sqlite_url(backup)) == "0001"
    with sqlite3.connect(backup) as old:
        assert old.execute("SELECT id, name FROM cameras").fetchall() == [("cam-1", "Main & Pearl")]
        assert "zone" not in {r[1] for r in old.execute("PRAGMA table_info(cameras)")}
    old.close()
    with sqlite3.connect(path) as new:
        assert new.execute("SELECT id, zone FROM cameras").fetchall() == [("cam-1", None)]
    new.close()


def test_backup_includes_data_still_in_the_wal(tmp_path: Path) -> None:
    """Rows committed but not checkpointed live only in the -wal file; a plain file copy would lose them."""
    path = tmp_path / "wal.db"
    url = sqlite_url(path)
    upgrade(url)
    writer = sqlite3.connect(path)
    try:
        writer.execute("PRAGMA wal_autocheckpoint = 0")
        writer.execute("CREATE TABLE scratch (n INTEGER)")
        writer.executemany("INSERT INTO scratch VALUES (?)", [(i,) for i in range(100)])
        writer.commit()
        assert (tmp_path / "wal.db-wal").stat().st_size > 0
        backup = migrate.backup_sqlite(path, "0001")
    finally:
        writer.close()
    with sqlite3.connect(backup) as copy:
        assert copy.execute("SELECT count(*) FROM scratch").fetchone() == (100,)
    copy.close()


def test_backup_names_never_collide(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    sqlite3.connect(path).close()
    first = migrate.backup_sqlite(path, "0001")
    second = migrate.backup_sqlite(path, "0001")
    assert first != second and first.exists() and second.exists()


def test_sqlite_path() -> None:
    assert migrate.sqlite_path("sqlite:////tmp/a.db") == Path("/tmp/a.db")
    assert migrate.sqlite_path("sqlite://") is None
    assert migrate.sqlite_path("sqlite:///:memory:") is None
    assert migrate.sqlite_path("postgresql+psycopg://u:p@h/db") is None
