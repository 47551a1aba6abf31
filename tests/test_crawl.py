"""`watcher crawl` end to end: the fixture sites served on 127.0.0.1, the real fetcher, the real store
(SQLite, and PostgreSQL when WATCHER_TEST_POSTGRES_URL is set), the extractor — nothing mocked.

What the sites hold is listed in tests/data/sites/README.md.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import event

from tests.conftest import DATA
from tests.server import FixtureServer, antibot_challenge
from watcher.app import App, build_app
from watcher.cli import main
from watcher.config import Settings
from watcher.ingest import STORE_BATCH

SITES = DATA / "sites"
TODAY = datetime(2023, 8, 22, 9, 0, tzinfo=UTC)
ARTICLE = re.compile(r"/content/post_\d+\.html$|/content_\d+\.htm$")


@pytest.fixture
def gov() -> Iterator[FixtureServer]:
    with FixtureServer(root=SITES / "gov") as server:
        yield server


@pytest.fixture
def portal() -> Iterator[FixtureServer]:
    with FixtureServer(root=SITES / "portal") as server:
        yield server


@pytest.fixture
def epaper() -> Iterator[FixtureServer]:
    with FixtureServer(root=SITES / "epaper") as server:
        yield server


def settings(db_url: str, tmp_path: Path, sources: list[dict]) -> Settings:
    return Settings.model_validate(
        {
            "database_url": db_url,
            "storage_dir": str(tmp_path),
            "lexicon_dir": str(Path(__file__).resolve().parent.parent / "config" / "lexicon"),
            "sources": sources,
            "fetch": {
                "timeout_s": 5,
                "retries": 1,
                "backoff_base_s": 0.01,
                "backoff_max_s": 0.05,
                "politeness": {"min_delay_s": 0, "per_host_concurrency": 4},
            },
        }
    )


def gov_source(gov: FixtureServer, **extra) -> dict:
    return {"name": "江门要闻", "start_urls": [gov.url("/newzwgk/zwdt/jmyw/index.html")], **extra}


def crawl(app: App, **kwargs):
    return asyncio.run(app.crawl(app.settings.sources, **kwargs))


def article_requests(server: FixtureServer) -> list[str]:
    return [r.path for r in server.requests if ARTICLE.search(r.path)]


@pytest.fixture
def make_app(db_url: str, tmp_path: Path) -> Iterator:
    apps: list[App] = []

    def make(*sources: dict) -> App:
        app = build_app(settings(db_url, tmp_path, list(sources)), clock=lambda: TODAY)
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.close()


def test_first_crawl_stores_every_article_once_with_its_facts(make_app, gov):
    app = make_app(gov_source(gov))
    (summary,) = crawl(app)
    assert (summary.error, summary.errors, summary.blocked) == (None, 0, False)
    assert summary.listing_fetched == 3  # index, index_1, index_2
    assert summary.new == 20 and summary.changed == 0
    fetched = article_requests(gov)
    assert len(fetched) == 20 and len(set(fetched)) == 20, "every article page fetched exactly once"
    assert gov.count("/robots.txt") == 1
    assert not any(r.path.startswith("/private/") for r in gov.requests)
    articles = app.store.articles()
    assert len(articles) == 20
    assert all("\ufffd" not in a.title for a in articles), "GBK pages decoded without mojibake"
    facts = app.store.facts(source="江门要闻")
    assert summary.facts == len(facts) >= 30
    gdp = [f for f in facts if f.indicator == "地区生产总值" and f.measure == "level"]
    assert [(f.value, f.period, f.subject) for f in gdp] == [(189542000000, "2023-01/2023-06", "江门")]
    topped = [f for f in facts if f.type == "milestone" and f.stage == "topped_out"]
    assert {f.project for f in topped} >= {"中创新航江门基地二期项目", "开平水暖卫浴产业园二期"}


def test_articles_are_stored_in_small_batches_of_one_transaction(make_app, gov):
    app = make_app(gov_source(gov))
    commits: list[object] = []
    event.listen(app.store._engine, "commit", commits.append)
    (summary,) = crawl(app)
    assert summary.new == 20 and summary.listing_fetched == 3
    per_run = 5 + summary.listing_fetched  # the source, the run's start and end, the known URLs, the
    # listings' validators saved together; and each listing's validators read before its fetch
    tracking = 2  # the articles an earlier run left untracked (none), and one batch of TRACK_BATCH
    stores = len(commits) - per_run - tracking  # what waits for the worker, up to STORE_BATCH pages each
    assert -(-summary.new // STORE_BATCH) <= stores <= summary.new


def test_second_crawl_of_an_unchanged_site_fetches_no_article(make_app, gov):
    app = make_app(gov_source(gov))
    crawl(app)
    before = (len(app.store.articles()), len(app.store.facts()))
    requests_before = len(gov.requests)
    (summary,) = crawl(app)
    assert (summary.listing_not_modified, summary.listing_fetched, summary.new, summary.facts) == (1, 0, 0, 0)
    second = gov.requests[requests_before:]
    assert [r.path for r in second] == ["/newzwgk/zwdt/jmyw/index.html"], "one 304 and nothing else"
    assert second[0].headers.get("if-none-match"), "asked conditionally"
    assert (len(app.store.articles()), len(app.store.facts())) == before


def test_a_changed_article_adds_exactly_one_snapshot(make_app, gov):
    app = make_app(gov_source(gov))
    crawl(app)
    path = "/newzwgk/zwdt/jmyw/content/post_2910198.html"
    old = (SITES / "gov" / path.lstrip("/")).read_bytes().decode("gbk")
    new = old.replace("812.36亿元", "815.02亿元")
    assert new != old
    gov.set_file(path, new.encode("gbk"), "text/html")
    (summary,) = crawl(app, refresh=True)
    assert (summary.changed, summary.new, summary.errors) == (1, 0, 0)
    (row,) = [a for a in app.store.articles() if a.url.endswith(path)]
    assert row.snapshots == 2
    values = {f.value for f in app.store.facts() if f.url.endswith(path) and f.measure == "level"}
    assert 81502000000 in values and 81236000000 not in values, "the changed snapshot's facts replace the old"
    (again,) = crawl(app, refresh=True)
    assert again.changed == 0 and row.snapshots == 2


def test_a_repost_on_a_portal_is_linked_not_counted_twice(make_app, gov, portal):
    app = make_app(gov_source(gov), {"name": "门户", "start_urls": [portal.url("/news/index.html")]})
    first = asyncio.run(app.crawl([app.settings.source("江门要闻")]))  # the original is seen first
    summaries = {s.source: s for s in crawl(app)}
    again = {s.source: s for s in crawl(app)}  # and a run after that changes nothing
    assert first[0].new == 20
    assert summaries["门户"].near_duplicates == 1 and summaries["门户"].new == 4
    assert again["门户"].new == 0 and again["江门要闻"].new == 0
    reposted = [a for a in app.store.articles(source="门户") if a.duplicate_of]
    assert len(reposted) == 1 and reposted[0].duplicate_of.endswith("post_2910236.html")
    assert not [f for f in app.store.facts(source="门户") if f.url == reposted[0].url]


def test_the_e_paper_is_read_through_its_page_indexes(make_app, epaper):
    source = {
        "name": "江门日报",
        "start_urls": [epaper.url("/jmrb/html/{date:%Y-%m/%d}/node_2.htm")],
        "days_back": 2,
    }
    app = make_app(source)
    app.clock = lambda: datetime(2023, 1, 17, 8, 0, tzinfo=UTC)
    (summary,) = crawl(app)
    assert summary.error is None and summary.new == 19
    assert summary.listing_fetched == 6  # three 版面 per issue, two issues
    assert any(f.indicator == "地区生产总值" and f.value == 377341000000 for f in app.store.facts())


def test_a_dead_source_does_not_stop_the_others(make_app, gov):
    dead = {"name": "已下线", "start_urls": ["http://127.0.0.1:9/news/index.html"]}
    app = make_app(dead, gov_source(gov))
    summaries = {s.source: s for s in crawl(app)}
    assert summaries["已下线"].error and summaries["江门要闻"].new == 20
    assert app.store.consecutive_failures(app.store.ensure_source("已下线", region=None, outlet=None)) == 1


def test_an_anti_bot_wall_blocks_the_source_without_a_retry_loop(make_app, gov):
    gov.route("/newzwgk/zwdt/jmyw/index.html", antibot_challenge(412))
    app = make_app(gov_source(gov))
    (summary,) = crawl(app)
    assert summary.blocked and "412" in (summary.error or "")
    assert gov.count("/newzwgk/zwdt/jmyw/index.html") == 1
    assert not article_requests(gov)


def test_statistics_tables_become_facts(make_app, gov):
    app = make_app({"name": "统计局", "start_urls": [gov.url("/tjj/tjsj/index.html")]})
    (summary,) = crawl(app)
    assert summary.new == 3 and summary.errors == 0
    facts = app.store.facts(source="统计局")
    assert len([f for f in facts if f.period == "2023-01/2023-07"]) >= 18


def test_feeds_and_sitemaps_are_start_points(make_app, gov):
    app = make_app(
        {
            "name": "订阅",
            "start_urls": [gov.url("/index.html")],
            "feeds": [gov.url("/rss.xml")],
            "sitemaps": [gov.url("/sitemap.xml")],
        }
    )
    (summary,) = crawl(app)
    assert summary.error is None and summary.new == 28  # 20 要闻 (feed and sitemap) + 5 发改局 + 3 统计局


def test_max_pages_limits_article_fetches(make_app, gov):
    app = make_app(gov_source(gov))
    (summary,) = crawl(app, max_pages=5)
    assert summary.new == 5 and len(article_requests(gov)) == 5


def test_cli_crawl_articles_and_facts(tmp_path, gov, capsys, db_url):
    config = tmp_path / "watcher.toml"
    lexicon = Path(__file__).resolve().parent.parent / "config" / "lexicon"
    config.write_text(
        f'database_url = "{db_url}"\nlexicon_dir = "{lexicon}"\nstorage_dir = "{tmp_path}"\n'
        "[fetch.politeness]\nmin_delay_s = 0\nper_host_concurrency = 4\n"
        f'[[sources]]\nname = "江门要闻"\nstart_urls = ["{gov.url("/newzwgk/zwdt/jmyw/index.html")}"]\n',
        encoding="utf-8",
    )
    assert main(["--config", str(config), "crawl"]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith("江门要闻: ok") and "20 new" in line and "facts" in line
    assert main(["--config", str(config), "articles", "--format", "jsonl"]) == 0
    assert len(capsys.readouterr().out.strip().splitlines()) == 20
    assert main(["--config", str(config), "facts", "--indicator", "地区生产总值"]) == 0
    out = capsys.readouterr().out
    assert "1895.42" in out or "189542000000" in out
