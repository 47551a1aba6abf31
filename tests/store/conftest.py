"""Store fixtures: every store test runs on SQLite in tmp_path and, when WATCHER_TEST_POSTGRES_URL is set,
on PostgreSQL in a schema of its own (watcher_test_<random>, emptied before each test, dropped at the end),
so parallel runs on one server do not collide."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from watcher.store import Store

DEV = Path(__file__).resolve().parent.parent / "data" / "dev"
T0 = datetime(2024, 7, 26, 8, 0, tzinfo=UTC)


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    with Store.open(db_url) as opened:
        yield opened


@pytest.fixture
def source_id(store: Store) -> int:
    return store.ensure_source("jmnews", region="江门", outlet="江门日报")


def dev_text(prefix: str) -> str:
    """The main text of a dev article (tests/data/dev/NNN_*.txt)."""
    [path] = DEV.glob(f"{prefix}_*.txt")
    return path.read_text(encoding="utf-8")
