"""Pooled PostgreSQL connections are pinged before use only after they sat idle: a connection the server
dropped meanwhile (a restart, an idle timeout) is replaced unnoticed; one in use a moment ago is not
pinged, and a drop between two quick calls costs one failed call, after which the pool reconnects."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text

from tests.databases import PG_URL
from watcher.errors import StoreError
from watcher.store import Store, db


@pytest.fixture
def pg_store(db_url: str) -> Iterator[Store]:
    if not db_url.startswith("postgresql"):
        pytest.skip("pinging pooled connections is PostgreSQL's: SQLite has no server to lose")
    with Store.open(db_url) as opened:
        yield opened


@pytest.fixture
def admin() -> Iterator[Engine]:
    assert PG_URL
    engine = create_engine(db.parse_url(PG_URL))
    yield engine
    engine.dispose()


def drop_pooled_connection(store: Store, admin: Engine) -> None:
    """The server ends the backend of the store's pooled connection, as a restart would."""
    with store._engine.connect() as conn:
        pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:  # a fresh look each poll
        assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar_one()
        for _ in range(100):
            alive = conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid})
            if not alive.scalar_one():
                return
            time.sleep(0.05)
    raise AssertionError(f"backend {pid} still there")


def test_a_connection_dropped_while_idle_is_replaced_before_use(
    pg_store: Store, admin: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert pg_store.articles() == []
    drop_pooled_connection(pg_store, admin)
    monkeypatch.setattr(db, "PING_AFTER_IDLE_S", 0.0)  # every connection has been idle long enough
    assert pg_store.articles() == [], "pinged, found dead, reconnected: the call never saw it"


def test_a_connection_in_use_a_moment_ago_is_not_pinged(pg_store: Store, admin: Engine) -> None:
    assert pg_store.articles() == []
    drop_pooled_connection(pg_store, admin)
    with pytest.raises(StoreError):
        pg_store.articles()  # not pinged: the drop shows in the call (a run records it and retries later)
    assert pg_store.articles() == [], "the pool reconnected after the disconnect"
