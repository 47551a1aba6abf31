"""Database fixtures for every test: SQLite in tmp_path and, when WATCHER_TEST_POSTGRES_URL is set,
PostgreSQL in a schema of its own (watcher_test_<random>, emptied before each test, dropped at the end),
so parallel runs on one server do not collide. Loaded through `pytest_plugins` in tests/conftest.py."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL

from watcher.store.db import parse_url

PG_ENV = "WATCHER_TEST_POSTGRES_URL"
PG_URL = os.environ.get(PG_ENV)

BACKENDS = [
    "sqlite",
    pytest.param(
        "postgresql",
        marks=pytest.mark.skipif(
            not PG_URL, reason=f"PostgreSQL store tests need {PG_ENV}=postgresql://user@host:port/db"
        ),
    ),
]


@pytest.fixture(scope="session")
def pg_schema() -> Iterator[tuple[Engine, str]]:
    """An admin engine and the name of this session's schema; the schema is dropped at the end."""
    assert PG_URL
    admin = create_engine(parse_url(PG_URL))
    name = f"watcher_test_{secrets.token_hex(4)}"
    try:
        yield admin, name
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        admin.dispose()


def schema_url(schema: str) -> str:
    """The test server's URL with the engine's search_path pointed at `schema`."""
    assert PG_URL
    url: URL = parse_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database: a new SQLite file, or this session's PostgreSQL schema emptied."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'watcher.db'}"
    admin, name = request.getfixturevalue("pg_schema")
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{name}"'))
    return schema_url(name)
