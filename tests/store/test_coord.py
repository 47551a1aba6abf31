"""Coordination through the database: named leases (both backends), shared pacing (PostgreSQL), and the
one-daemon lock on a SQLite file."""

from __future__ import annotations

import itertools
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from watcher.errors import StoreError
from watcher.store import Store
from watcher.store.coord import hold_sqlite_lock

T0 = datetime(2024, 7, 26, 8, 0, tzinfo=UTC)


def test_a_lease_has_one_holder_until_it_expires(store: Store) -> None:
    assert store.claim("source:江门要闻", "a", T0, ttl_s=60)
    assert not store.claim("source:江门要闻", "b", T0 + timedelta(seconds=30), ttl_s=60)
    assert store.lease_holder("source:江门要闻", T0 + timedelta(seconds=30)) == "a"
    assert store.claim("source:江门要闻", "a", T0 + timedelta(seconds=50), ttl_s=60), "the holder renews"
    assert not store.claim("source:江门要闻", "b", T0 + timedelta(seconds=100), ttl_s=60)
    assert store.claim("source:江门要闻", "b", T0 + timedelta(seconds=111), ttl_s=60), (
        "taken over once expired"
    )
    assert store.lease_holder("source:江门要闻", T0 + timedelta(seconds=111)) == "b"


def test_a_released_lease_is_free_at_once(store: Store) -> None:
    assert store.claim("digest:daily", "a", T0, ttl_s=600)
    store.release("digest:daily", "b")  # not b's to release
    assert not store.claim("digest:daily", "b", T0, ttl_s=600)
    store.release("digest:daily", "a")
    assert store.claim("digest:daily", "b", T0, ttl_s=600)
    assert store.claim("other", "a", T0, ttl_s=600), "leases are independent"


def test_shared_pacing_spaces_reservations_on_postgresql(store: Store) -> None:
    if not store.is_shared:
        pytest.skip("shared pacing is for PostgreSQL; SQLite serves one process, which paces in memory")
    waits = [store.reserve_host_slot("gov.example", 0.5) for _ in range(4)]
    assert waits[0] == pytest.approx(0, abs=0.05)
    assert [round(b - a, 1) for a, b in itertools.pairwise(waits)] == [0.5, 0.5, 0.5]
    store.defer_host("gov.example", 10)
    assert store.reserve_host_slot("gov.example", 0.5) > 9
    assert store.reserve_host_slot("other.example", 0.5) < 0.05, "hosts are paced apart"


def test_a_second_daemon_on_one_sqlite_file_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "watcher.db"
    refused = pytest.raises(StoreError, match="another watcher daemon is using this SQLite database")
    with hold_sqlite_lock(db), refused, hold_sqlite_lock(db):
        pass
    with hold_sqlite_lock(db):  # free again once the first let go, and it says who holds it
        assert (tmp_path / "watcher.db.lock").read_text() == str(os.getpid())
