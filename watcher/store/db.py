"""Engines, sessions and migrations: the store's contact with the database.

    open_engine(url) → Engine     sqlite:///path (WAL, synchronous NORMAL, foreign keys, busy timeout) or
                                  postgresql://…
                                  (psycopg 3; postgres:// and postgresql:// pick it; a pooled connection
                                  pinged before use only after PING_AFTER_IDLE_S idle)
                                  (SQLite: its folder must exist and be writable: StoreError if not)
    integrity_problems(url)       SQLite's integrity check ([] when sound)
    upgrade(engine)               alembic upgrade head, programmatically: no alembic.ini at run time
    current_revision(engine)      the alembic revision the database is at
    session(engine, url)          one transaction: committed on success, rolled back on any error;
                                  database errors come out as StoreError
    store_errors(url)             database errors inside come out as StoreError (a joined transaction)

Every error that means "the database cannot be used" becomes a `StoreError` of one line that names the
URL without its password and the cause.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.util.exc import CommandError
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, InvalidatePoolError, SQLAlchemyError
from sqlmodel import Session

from watcher.errors import StoreError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 10_000
PG_CONNECT_TIMEOUT_S = 10
PING_AFTER_IDLE_S = 10.0  # a pooled PostgreSQL connection idle this long is pinged before it is used
_IDLE_SINCE = "watcher_idle_since"  # in the pool's per-connection info, which a reconnect clears
_PG_MIGRATION_LOCK = 0x5741_5443  # "WATC": one migrating process at a time
DB_ERRORS = (SQLAlchemyError, CommandError)


def parse_url(url: str) -> URL:
    """The SQLAlchemy URL, with PostgreSQL pointed at psycopg 3 whatever the scheme says."""
    parsed = make_url(url)
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def safe_url(url: str | URL) -> str:
    """The URL as shown in messages: password hidden."""
    try:
        parsed = url if isinstance(url, URL) else make_url(url)
    except ArgumentError:  # an unparsable URL is shown as written: it has no password part to hide
        return str(url)
    return parsed.render_as_string(hide_password=True)


def store_error(url: str | URL, exc: BaseException) -> StoreError:
    """One line: the URL without password and the first line of the cause."""
    cause: BaseException = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    first = next((line.strip() for line in str(cause).splitlines() if line.strip()), type(cause).__name__)
    try:
        password = url.password if isinstance(url, URL) else make_url(url).password
    except ArgumentError:
        password = None
    if password:
        first = first.replace(str(password), "***")
    return StoreError(f"{safe_url(url)}: {first}")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode=WAL")
        # WAL with NORMAL: a commit survives the process being killed (the SIGKILL tests), only a power
        # cut may lose the last ones; with FULL each commit waited for an fsync
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def sqlite_path(url: str | URL) -> Path | None:
    """The file of a SQLite URL (None for PostgreSQL or an in-memory database)."""
    parsed = parse_url(url) if isinstance(url, str) else url
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def make_storage_folder(folder: Path) -> None:
    """The storage folder, made if need be; StoreError of one line when it cannot be."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"{folder}: cannot create the storage folder: {exc.strerror or exc}") from exc


def ensure_sqlite_folder(path: Path) -> None:
    """StoreError of one line unless the SQLite file's folder exists and may be written (SQLite writes
    its journal and WAL files beside the database) and the file, if there is one, may be written."""
    folder = path.parent
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist"
        raise StoreError(f"sqlite:///{path}: its folder {folder} {what}")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise StoreError(f"sqlite:///{path}: its folder {folder} is not writable by this user")
    if path.exists() and not os.access(path, os.R_OK | os.W_OK):
        raise StoreError(f"sqlite:///{path}: the database file is not readable and writable by this user")


def integrity_problems(url: str) -> list[str]:
    """What SQLite's integrity check finds wrong with the file ([] when it is sound; PostgreSQL keeps its
    own pages consistent, and is only checked for being reachable)."""
    engine = open_engine(url)
    try:
        with store_errors(url), engine.connect() as connection:
            if connection.dialect.name != "sqlite":
                return []
            found = [str(row) for row in connection.exec_driver_sql("PRAGMA integrity_check").scalars()]
            return [] if found == ["ok"] else found
    finally:
        engine.dispose()


def open_engine(url: str) -> Engine:
    """An engine for the URL; SQLite connections get WAL, foreign keys and a busy timeout."""
    parsed = parse_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = sqlite_path(parsed)
        if path is not None:
            ensure_sqlite_folder(path)
        engine = create_engine(parsed)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    connect_args = {} if "connect_timeout" in parsed.query else {"connect_timeout": PG_CONNECT_TIMEOUT_S}
    engine = create_engine(parsed, pool_use_lifo=True, connect_args=connect_args)
    _ping_after_idle(engine)
    return engine


def _ping_after_idle(engine: Engine) -> None:
    """Pre-ping a pooled connection only when it sat idle for PING_AFTER_IDLE_S or longer. One in use a
    moment ago is alive: a crawl checks out a connection per article, and a ping at every checkout cost
    a round trip each time. One idle for longer may have been closed by a server restart or an idle
    timeout: it is replaced before use, and the pool's other connections with it. The pool hands out the
    connection used last first (LIFO), so the idle ones are the spares."""
    dialect = engine.dialect

    def checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    def checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get(_IDLE_SINCE)
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_S:
            return  # new, or in use a moment ago
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as exc:  # the pool reconnects and tries again
            raise InvalidatePoolError(f"no answer to a ping after {PING_AFTER_IDLE_S:g} s idle") from exc

    event.listen(engine, "checkin", checked_in)
    event.listen(engine, "checkout", checked_out)


def alembic_config(connection: Any = None) -> Config:
    """Alembic's configuration without an ini file; `connection` is what env.py migrates."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision` in one transaction (PostgreSQL: under an advisory lock)."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
        command.upgrade(alembic_config(connection), revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


@contextmanager
def session(engine: Engine, url: str | URL) -> Iterator[Session]:
    """One unit of work: commit at the end, roll back on error; database errors become StoreError."""
    with Session(engine, expire_on_commit=False) as s, store_errors(url):
        yield s  # leaving the session rolls back what was not committed
        s.commit()


@contextmanager
def store_errors(url: str | URL) -> Iterator[None]:
    """Database errors raised inside come out as StoreError."""
    try:
        yield
    except DB_ERRORS as exc:
        raise store_error(url, exc) from exc
