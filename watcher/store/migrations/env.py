"""Alembic environment for watcher's store, run programmatically (`watcher.store.db.upgrade`).

The caller passes an open connection in `config.attributes["connection"]`; with none (a developer
calling alembic's `command` functions with `sqlalchemy.url` set), an engine is made for that URL.
A new revision, from the repository root:

    .venv/bin/python -c "from alembic import command; from watcher.store.db import alembic_config as c; \\
        cfg = c(); cfg.set_main_option('sqlalchemy.url', 'sqlite:////tmp/dev.db'); \\
        command.upgrade(cfg, 'head'); command.revision(cfg, 'what changed', autogenerate=True)"

then edit the file in versions/ (names 000N_what.py, revision ids "000N") and check it with the
tests in tests/store/test_migrations.py.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

from watcher.store import tables  # noqa: F401  (registers the tables on SQLModel.metadata)
from watcher.store.db import open_engine

target_metadata = SQLModel.metadata


def _migrate(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_offline() -> None:
    context.configure(
        url=context.config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _migrate(connection)
        return
    engine = open_engine(context.config.get_main_option("sqlalchemy.url") or "")
    try:
        with engine.begin() as own:
            _migrate(own)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
