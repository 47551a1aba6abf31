"""Schema: migrations create exactly the SQLModel metadata; an old database upgrades in place."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text
from sqlmodel import SQLModel

from watcher.errors import StoreError
from watcher.store import Store
from watcher.store import tables as _tables  # noqa: F401  (the metadata compared against)
from watcher.store.db import alembic_config, current_revision, open_engine, upgrade

HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    opened = open_engine(db_url)
    yield opened
    opened.dispose()


def schema_diffs(engine: Engine) -> list[object]:
    with engine.connect() as conn:
        return list(compare_metadata(MigrationContext.configure(conn), SQLModel.metadata))


def test_open_creates_the_schema_at_head(db_url: str) -> None:
    with Store.open(db_url) as store:
        assert store.schema_version() == HEAD == ADDED_AFTER[-1][0]
    with Store.open(db_url) as store:  # opening again changes nothing
        assert store.schema_version() == HEAD


def test_migrated_database_equals_the_metadata(engine: Engine) -> None:
    upgrade(engine, "head")
    assert schema_diffs(engine) == []


# The tables each revision after 0002 adds, in order: a database at an older revision lacks exactly these.
ADDED_AFTER = [
    ("0003", {"observations", "milestone_observations", "changes", "deliveries"}),
    ("0004", {"subscribers", "digests"}),
    ("0005", {"leases", "host_pacing"}),
    ("0006", {"series_latest", "milestone_latest", "pending_tracking", "pruned_runs"}),
    ("0007", {"pruned_changes", "pruned_deliveries"}),
]
LATER_TABLES = set().union(*(tables for _, tables in ADDED_AFTER))
# tables of earlier revisions that a later revision gives an index or a column
ALTERED_BY = {"0006": {"articles", "changes", "crawl_runs", "simhash_bands"}, "0007": {"changes"}}
ALTERED = set().union(*ALTERED_BY.values())


def _touched(diff: tuple) -> str:
    """The table a schema diff is about (add_table carries the table, add_index the index, add_column
    its table's name)."""
    if diff[0] == "add_column":
        return diff[2]
    item = diff[1]
    return item.name if diff[0] == "add_table" else item.table.name


def test_first_revision_lacks_what_the_second_adds(engine: Engine) -> None:
    upgrade(engine, "0001")
    assert current_revision(engine) == "0001"
    diffs = [d for d in schema_diffs(engine) if _touched(d) not in LATER_TABLES | ALTERED]
    assert len(diffs) == 1 and diffs[0][0] == "add_index"  # type: ignore[index]
    assert diffs[0][1].name == "ix_facts_project_stage"  # type: ignore[index]


@pytest.mark.parametrize("index", range(len(ADDED_AFTER)), ids=[rev for rev, _ in ADDED_AFTER])
def test_each_revision_adds_its_tables(engine: Engine, index: int) -> None:
    previous = ADDED_AFTER[index][0][:-1] + str(int(ADDED_AFTER[index][0][-1]) - 1)
    upgrade(engine, previous)
    missing = set().union(*(tables for _, tables in ADDED_AFTER[index:]))
    altered = set().union(*(ALTERED_BY.get(rev, set()) for rev, _ in ADDED_AFTER[index:]))
    diffs = schema_diffs(engine)
    assert {_touched(d) for d in diffs} == missing | altered
    assert {d[1].name for d in diffs if d[0] == "add_table"} == missing


def _insert_old_rows(engine: Engine) -> None:
    now = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO sources (id, name, created_at) VALUES (1, 'old', :t)"), {"t": now})
        conn.execute(
            text(
                "INSERT INTO articles (id, source_id, url, title, first_seen, last_changed, content_hash,"
                " attachments) VALUES (1, 1, 'http://old/1', '旧文', :t, :t, 'h', '[]')"
            ),
            {"t": now},
        )
        conn.execute(
            text(
                "INSERT INTO snapshots (id, article_id, fetched_at, content_hash, text, raw_compressed,"
                " raw_codec, raw_hash) VALUES (1, 1, :t, 'h', '项目开工', :raw, 'zlib', 'r')"
            ),
            {"t": now, "raw": b"x\x9c\x03\x00\x00\x00\x00\x01"},
        )
        conn.execute(
            text(
                "INSERT INTO facts (article_id, snapshot_id, type, project, stage, sentence, created_at)"
                " VALUES (1, 1, 'milestone', '某项目', 'started', '某项目开工', :t)"
            ),
            {"t": now},
        )


def test_old_database_upgrades_in_place_with_its_rows(db_url: str, engine: Engine) -> None:
    upgrade(engine, "0001")
    _insert_old_rows(engine)
    with Store.open(db_url) as store:
        assert store.schema_version() == HEAD
        [row] = store.facts()
        assert (row.project, row.stage, row.url, row.source) == ("某项目", "started", "http://old/1", "old")
        assert store.snapshot(1) is not None and store.snapshot(1).raw == b""  # type: ignore[union-attr]
    indexes = {ix["name"] for ix in inspect(engine).get_indexes("facts")}
    assert "ix_facts_project_stage" in indexes
    assert schema_diffs(engine) == []


def _downgrade(engine: Engine, revision: str) -> None:
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), revision)


def test_0007_downgrades_and_upgrades_again(db_url: str, engine: Engine) -> None:
    """Down to 0006: the pruned counts' tables and the (kind, created_at) index go, the changes stay."""
    now = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    with Store.open(db_url) as store:
        assert store.record_health_change(
            key="k1",
            kind="source_failing",
            subject="old",
            summary_zh="失败",
            summary_en="failing",
            new={"health": {"source": "old", "dimension": "failing", "episode": "1"}},
            created_at=now,
            channels=["ops"],
        )
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO pruned_changes (kind, changes) VALUES ('source_quiet', 3)"))
    _downgrade(engine, "0006")
    assert current_revision(engine) == "0006"
    names = set(inspect(engine).get_table_names())
    assert {"pruned_changes", "pruned_deliveries"}.isdisjoint(names) and "pruned_runs" in names
    assert "ix_changes_kind_created_at" not in {ix["name"] for ix in inspect(engine).get_indexes("changes")}
    diffs = schema_diffs(engine)
    assert {_touched(d) for d in diffs} == {"pruned_changes", "pruned_deliveries", "changes"}
    with Store.open(db_url) as store:  # opening upgrades it again
        assert store.schema_version() == HEAD
        assert store.change_counts() == {"source_failing": 1}, "the changes kept, the pruned count gone"
    assert schema_diffs(engine) == []


def test_sqlite_connections_use_wal_and_foreign_keys(tmp_path) -> None:
    engine = open_engine(f"sqlite:///{tmp_path / 'w.db'}")
    try:
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert conn.execute(text("PRAGMA busy_timeout")).scalar() >= 1000
    finally:
        engine.dispose()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_unreachable_postgres_is_a_store_error_without_the_password() -> None:
    port = _closed_port()
    with pytest.raises(StoreError) as caught:
        Store.open(f"postgresql://watcher:s3cret-pw@127.0.0.1:{port}/watcher")
    message = str(caught.value)
    assert "s3cret-pw" not in message
    assert f"127.0.0.1:{port}" in message and "***" in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("nosuchdb://x/y", "nosuchdb"),
        ("not a url", "not a url"),
    ],
)
def test_unusable_urls_are_store_errors(url: str, expected: str) -> None:
    with pytest.raises(StoreError, match=expected):
        Store.open(url)


def test_sqlite_in_a_missing_folder_is_a_store_error(tmp_path) -> None:
    with pytest.raises(StoreError, match=r"its folder .*missing does not exist"):
        Store.open(f"sqlite:///{tmp_path / 'missing' / 'w.db'}")
