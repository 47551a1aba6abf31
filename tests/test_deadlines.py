"""A stalled page does not stall a source: the run's deadline stops it, what was fetched is stored and
tracked, and the run counts as failed, so the health check raises source_failing."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.server import FixtureServer, Trickle
from watcher.app import App, build_app
from watcher.config import Settings
from watcher.health import check_sources

NOW = datetime(2024, 6, 1, 9, 0, tzinfo=UTC)
LEXICON = Path(__file__).resolve().parent.parent / "config" / "lexicon"
ARTICLES = {
    "/news/a1.html": ("八镇联动发展行动方案出台", "2024-05-03", "到2026年，八镇规上工业总产值超1600亿元。"),
    "/news/a2.html": ("一季度全市经济运行", "2024-04-20", "一季度，全市地区生产总值增长4.2%。"),
}
STALLED = "/news/a3.html"


def article_page(title: str, day: str, text: str) -> bytes:
    filler = "会议强调，要坚持稳中求进工作总基调，扎实推动高质量发展，确保各项任务落到实处。" * 3
    return (
        f"<html><head><title>{title}</title></head><body><h1>{title}</h1>"
        f"<div class='info'>发布时间：{day} 09:00 来源：江门日报</div>"
        f"<div class='content'><p>{text}</p><p>{filler}</p></div></body></html>"
    ).encode()


@pytest.fixture
def site() -> Iterator[tuple[FixtureServer, Trickle]]:
    trickle = Trickle(gap_s=0.02)
    with FixtureServer() as server:
        links = "".join(
            f"<li><a href='{p}'>{t}</a><span>{d}</span></li>" for p, (t, d, _) in ARTICLES.items()
        )
        links += f"<li><a href='{STALLED}'>八镇重点项目推进情况</a><span>2024-05-05</span></li>"
        server.set_file("/news/index.html", f"<html><body><ul>{links}</ul></body></html>".encode())
        for path, (title, day, text) in ARTICLES.items():
            server.set_file(path, article_page(title, day, text))
        server.route(STALLED, trickle)
        yield server, trickle
        trickle.release()


@pytest.fixture
def app(site: tuple[FixtureServer, Trickle], db_url: str, tmp_path: Path) -> Iterator[App]:
    server, _ = site
    settings = Settings.model_validate(
        {
            "database_url": db_url,
            "storage_dir": str(tmp_path),
            "lexicon_dir": str(LEXICON),
            "sources": [
                {
                    "name": "新闻",
                    "start_urls": [server.url("/news/index.html")],
                    "article_pattern": r"/news/a\d+\.html$",
                }
            ],
            "fetch": {
                "timeout_s": 5,  # idle: a byte every 20 ms keeps it from firing
                "request_deadline_s": 30,
                "run_deadline_s": 1.0,
                "retries": 0,
                "politeness": {"min_delay_s": 0, "per_host_concurrency": 4},
            },
            "daemon": {"failing_after_runs": 1},
        }
    )
    made = build_app(settings, clock=lambda: NOW)
    yield made
    made.close()


def test_a_run_stopped_by_its_deadline_keeps_what_it_stored_and_counts_as_failed(site, app: App) -> None:
    server, _ = site
    (summary,) = asyncio.run(app.crawl(app.settings.sources))
    assert summary.error is not None and "deadline" in summary.error and "2 articles stored" in summary.error
    assert (summary.new, summary.changes) == (2, 2), "stored as they arrived, and tracked"
    assert {a.url for a in app.store.articles()} == {server.url(p) for p in ARTICLES}
    assert {c.kind for c in app.store.change_rows()} == {"target_set", "new_actual"}
    listing = server.url("/news/index.html")
    assert app.store.validators(listing) is None, "a run cut short leaves its listing to be read again"
    (state,) = app.store.source_states(["新闻"]).values()
    assert state.consecutive_failures == 1 and state.last_error == summary.error
    (event,) = check_sources(app, now=NOW, names={"新闻"})
    assert event.kind == "source_failing" and "deadline" in event.detail


def test_the_next_run_asks_only_for_what_the_stopped_one_did_not_store(site, app: App) -> None:
    server, trickle = site
    asyncio.run(app.crawl(app.settings.sources))
    trickle.release()  # the page answers now
    (summary,) = asyncio.run(app.crawl(app.settings.sources))
    assert summary.error is None and summary.new == 1
    assert [server.count(p) for p in ARTICLES] == [1, 1], "stored articles are not fetched again"
    assert server.count(STALLED) == 2
