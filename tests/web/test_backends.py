"""The dashboard on each store backend (SQLite; PostgreSQL with WATCHER_TEST_POSTGRES_URL): crawled by the
real pipeline, served by the daemon's endpoint on 127.0.0.1."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import httpx

from tests.server import FixtureServer
from tests.test_tracking import LEXICON, NewsSite
from tests.web.conftest import ROUND_1, ROUND_2
from watcher.app import build_app
from watcher.config import Settings
from watcher.service import Service


def test_pages_and_api_on_each_backend(db_url: str, tmp_path: Path) -> None:
    with FixtureServer() as server:
        site = NewsSite(server)
        settings = Settings.model_validate(
            {
                "database_url": db_url,
                "storage_dir": str(tmp_path),
                "lexicon_dir": str(LEXICON),
                "sources": [{"name": "新闻", "start_urls": [site.start], "region": "江门"}],
                "fetch": {"retries": 0, "politeness": {"min_delay_s": 0}},
            }
        )
        app = build_app(settings, clock=lambda: datetime(2024, 10, 1, 9, 0, tzinfo=UTC))
        try:
            for batch in (ROUND_1, ROUND_2):
                for slug, title, published, outlet, *sentences in batch:
                    site.publish(slug, title, published, outlet, *sentences)
                asyncio.run(app.crawl(app.settings.sources))
            with Service(app, host="127.0.0.1", port=0) as service, httpx.Client(base_url=service.url) as c:
                (change,) = c.get("/api/changes", params={"kind": "target_changed", "region": "江门"}).json()[
                    "changes"
                ]
                assert change["new"]["value"] == 1.8e11
                assert c.get("/api/changes", params={"region": "佛山"}).json()["changes"] == []
                series = c.get("/api/series", params={"subject": "八镇"}).json()["series"]
                assert {s["kind"] for s in series} == {"actual", "target"}
                page = c.get(series[0]["url"])
                assert (
                    page.status_code == 200 and "<svg" in page.text and "2026年目标 超1800亿元" in page.text
                )
                overview = c.get("/").text
                assert "超1600亿元 → 超1800亿元" in overview and "落后" in overview
                article = c.get(change["article_url"]).text
                assert "<mark>八镇规上工业总产值力争超1800亿元</mark>" in article
                (project,) = c.get("/api/milestones").json()["projects"]
                assert project["stage"] == "topped_out"
        finally:
            app.close()
