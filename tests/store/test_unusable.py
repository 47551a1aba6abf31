"""Unusable databases: one line naming the database and the cause, exit 2, nothing else printed —
an unwritable SQLite folder at start, a corrupt SQLite file found by `watcher db check`."""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.conftest import ROOT
from watcher.cli import main
from watcher.store import Store


@pytest.fixture(autouse=True)
def watcher_log_level() -> Iterator[None]:
    """`watcher run` turns the watcher loggers up to INFO; put them back for the tests after these."""
    logger = logging.getLogger("watcher")
    level = logger.level
    yield
    logger.setLevel(level)


def write_config(tmp_path: Path, database: Path) -> Path:
    config = tmp_path / "watcher.toml"
    config.write_text(
        f"""
database_url = "sqlite:///{database}"
storage_dir = "{tmp_path / "storage"}"
lexicon_dir = "{ROOT / "config" / "lexicon"}"
[[sources]]
name = "新闻"
start_urls = ["http://127.0.0.1:9/news/"]
""",
        encoding="utf-8",
    )
    return config


def one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, f"more than one line:\n{text}"
    assert "Traceback" not in text
    return lines[0]


@pytest.mark.parametrize("command", [["run", "--once"], ["run"], ["crawl"], ["db", "check"], ["alerts"]])
def test_a_database_folder_that_cannot_be_made_is_one_line_and_exit_2(tmp_path, capsys, command):
    blocker = tmp_path / "data"
    blocker.write_text("a file where the folder should be", encoding="utf-8")
    config = write_config(tmp_path, blocker / "watcher.db")
    assert main(["--config", str(config), *command]) == 2
    captured = capsys.readouterr()
    line = one_line(captured.err)
    assert line.startswith("watcher: database error: sqlite:///") and "data is not a folder" in line


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere: the permission cannot be taken away")
def test_an_unwritable_database_folder_is_one_line_and_exit_2(tmp_path, capsys):
    folder = tmp_path / "readonly"
    folder.mkdir(mode=0o500)
    try:
        config = write_config(tmp_path, folder / "watcher.db")
        assert main(["--config", str(config), "run", "--once"]) == 2
        assert "is not writable by this user" in one_line(capsys.readouterr().err)
    finally:
        folder.chmod(0o700)


def test_db_check_runs_an_integrity_check_and_reports_a_corrupt_file(tmp_path, capsys):
    database = tmp_path / "watcher.db"
    config = write_config(tmp_path, database)
    with Store.open(f"sqlite:///{database}") as store:
        for n in range(400):  # a few pages of rows and of their unique index
            store.add_subscriber(f"reader{n}@example.test", now=datetime(2024, 10, 1, tzinfo=UTC))
    assert main(["--config", str(config), "db", "check"]) == 0
    assert "integrity ok" in capsys.readouterr().out

    with contextlib.closing(sqlite3.connect(database)) as conn:  # where the subscribers' rows live
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        (root,) = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'subscribers'").fetchone()
    with database.open("r+b") as f:  # scribble over the table's root page, past its header
        f.seek((root - 1) * page_size + 12)
        f.write(b"\xa5" * (page_size - 12))
    assert main(["--config", str(config), "db", "check"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    line = one_line(captured.err)
    assert line.startswith(f"watcher: database sqlite:///{database}: corrupt") or "malformed" in line
