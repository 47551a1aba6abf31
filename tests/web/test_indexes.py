"""Every query behind the pages that read one series, project or article is answered from an index
(SQLite's query plans), so those pages stay fast however many facts are stored (bench/bench_web.py)."""

from __future__ import annotations

import asyncio
import sqlite3
from urllib.parse import quote

import httpx
import pytest
from sqlalchemy import Engine, event

from watcher.app import build_app
from watcher.config import load_settings
from watcher.web import create_app

BIG_TABLES = ("observations", "milestone_observations", "facts", "snapshots", "changes", "articles")


def _statements(asgi, paths: list[str]) -> list[tuple[str, tuple]]:
    seen: list[tuple[str, tuple]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, tuple(parameters or ())))

    async def run() -> None:
        transport = httpx.ASGITransport(app=asgi)
        async with httpx.AsyncClient(transport=transport, base_url="http://watcher.test") as client:
            for path in paths:
                assert (await client.get(path)).status_code == 200, path

    event.listen(Engine, "before_cursor_execute", record)
    try:
        asyncio.run(run())
    finally:
        event.remove(Engine, "before_cursor_execute", record)
    return seen


@pytest.fixture(scope="module")
def statements(crawled):
    app = build_app(load_settings(crawled.config))
    try:
        series = f"/series/{quote('八镇')}/{quote('规上工业总产值')}"
        project = f"/projects/{quote('江门储能电池产业园项目')}"
        milestones = f"/api/milestones?project={quote('储能')}"
        paths = [series, project, "/articles/4", "/api/articles/4", milestones]
        yield _statements(create_app(app), paths)
    finally:
        app.close()


def test_pages_of_one_thing_read_big_tables_through_indexes(crawled, statements):
    assert len(statements) >= 10
    db = sqlite3.connect(crawled.database.removeprefix("sqlite:///"))
    try:
        for statement, parameters in statements:
            plan = [row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {statement}", parameters)]
            for step in plan:
                table = step.split()[1] if step.startswith(("SCAN", "SEARCH")) else None
                if table in BIG_TABLES and step.startswith("SCAN") and "INDEX" not in step:
                    if "milestone_observations" in statement and "LIKE" in statement:
                        continue  # /api/milestones?project=… looks for a part of a name: the project list
                    pytest.fail(f"{step}\n{statement}")
    finally:
        db.close()
