"""Bring a database to the newest schema, safely when several processes start at once.

Every gunicorn worker builds its own app, so each may try to migrate at the same moment.
They queue on a lock: a file lock next to a SQLite database, a transaction-scoped advisory
lock on PostgreSQL (its DDL is transactional, so the lock and the migration commit together).
The first one migrates; the others then find the schema at head and do nothing.
"""
from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

MIGRATIONS = Path(__file__).parent / "migrations"
# any constant unique to us; pg_advisory_xact_lock takes a bigint
ADVISORY_LOCK_KEY = 0x6F7073636F6E


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's config, built in code (there is no alembic.ini), bound to ``connection``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head() -> str:
    """The newest revision of the schema."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None before the first migration."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine) -> None:
    """Migrate the database of ``engine`` to head; a no-op when it is already there."""
    with _migration_lock(engine), engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
        command.upgrade(alembic_config(connection), "head")


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:":
        # PostgreSQL locks inside the transaction; a memory database has one process
        yield
        return
    with open(f"{database}.migrate-lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
