"""The console's database: SQLAlchemy 2 models, Alembic migrations, one session per app context.

A SQLite file in the home by default (``<home>/opsconsole.db``), PostgreSQL by URL
(``OPSCONSOLE_DATABASE_URL=postgresql+psycopg://...``). ``init_app`` migrates to head at
start; views and commands reach the database with ``session()``.
"""
from __future__ import annotations

import functools
from pathlib import Path

from flask import Flask, current_app, g
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from console.errors import Conflict
from console.store import migrate
from console.store.models import ApiToken, AuditEntry, Base, User, utcnow

__all__ = ["ApiToken", "AuditEntry", "Base", "User", "create_store_engine", "get_engine", "init_app",
           "new_session", "save", "session", "utcnow"]

EXTENSION = "opsconsole.store"


def create_store_engine(url: str, *, synchronous: str = "NORMAL") -> Engine:
    """An engine for ``url``; SQLite gets WAL, foreign keys, a busy timeout and ``synchronous`` (its fsync on
    commit: NORMAL or FULL) on every connection."""
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True)
    if synchronous not in ("NORMAL", "FULL"):
        raise ValueError(f"synchronous must be NORMAL or FULL, got {synchronous!r}")
    options: dict = {"connect_args": {"timeout": 15, "check_same_thread": False}}
    database = url.split("///", 1)[1] if "///" in url else ""
    if database in ("", ":memory:"):
        # one connection shared by every thread, or each would see its own empty database
        options["poolclass"] = StaticPool
    else:
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, **options)
    event.listen(engine, "connect", functools.partial(_sqlite_pragmas, synchronous=synchronous))
    return engine


def init_app(app: Flask) -> None:
    """Open the database of ``DATABASE_URL``, migrate it to head, and close each context's session."""
    from console.web.health import add_readiness_check

    engine = create_store_engine(app.config["DATABASE_URL"],
                                 synchronous=app.config.get("SQLITE_SYNCHRONOUS", "NORMAL"))
    migrate.upgrade(engine)
    app.extensions[EXTENSION] = sessionmaker(engine, expire_on_commit=False)
    app.teardown_appcontext(_close_session)
    add_readiness_check(app, "store", _store_ready)


def get_engine(app: Flask | None = None) -> Engine:
    """The engine of ``app`` (default: the current app)."""
    return (app or current_app).extensions[EXTENSION].kw["bind"]


def session() -> Session:
    """The current app context's session, opened on first use and closed at teardown."""
    if "store_session" not in g:
        g.store_session = new_session()
    return g.store_session


def new_session() -> Session:
    """A session of its own for the current app, for work that must commit apart from the request's."""
    return current_app.extensions[EXTENSION]()


def save(db: Session, *objects: Base, what: str) -> None:
    """Add ``objects`` and commit; a unique constraint violated is a ``Conflict`` about ``what``."""
    db.add_all(objects)
    try:
        db.commit()
    except IntegrityError as e:
        db.rollback()
        raise Conflict(what, "already exists") from e


def _close_session(_exc: BaseException | None) -> None:
    db = g.pop("store_session", None)
    if db is not None:
        db.close()


def _store_ready() -> str | None:
    with get_engine().connect() as connection:
        connection.execute(text("SELECT 1"))
    return None


def _sqlite_pragmas(dbapi_connection, _record, *, synchronous: str) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers go on while a writer commits (several workers, one file)
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA synchronous={synchronous}")
    cursor.close()
