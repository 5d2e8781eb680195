"""Alembic environment, configured from code (c4desk.store.migrate) so it works from an installed package.

The database URL comes from ``config.attributes["url"]`` (not the ini-style option, whose interpolation
would mangle a '%' in a password). SQLite runs with foreign keys off while migrating, because batch mode
rebuilds a table by dropping it, which would otherwise cascade-delete dependent rows; migrate.upgrade checks
the keys afterwards.
"""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy.engine import Connection

from c4desk.store.db import make_engine
from c4desk.store.models import UTCDateTime, metadata

config = context.config


def _render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    # Revisions must freeze the schema with plain SQLAlchemy types, never import today's model code.
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure(**kw: Any) -> None:
    context.configure(target_metadata=metadata, compare_type=True, render_item=_render_item, **kw)


def _run(connection: Connection) -> None:
    _configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.attributes["url"], foreign_keys=False)
    try:
        with engine.connect() as conn:
            _run(conn)
    finally:
        engine.dispose()


def run_migrations_offline() -> None:
    """``--sql`` mode: print the DDL for a DBA to apply by hand (PostgreSQL sites often insist)."""
    _configure(url=config.attributes["url"], literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
