"""Issue 11's discovery bar: three outlets shaped like the first market's, crawled over three rounds from
a config file in a temporary folder that names only the sources (name, start URLs, region).

The site is the demo's (watcher/demo/site, written by tests/data/sites/demo.py and described in
tests/data/sites/README.md), each outlet served by tests/server.py on its own port:

- gov: a GBK 政府网站集约化平台 section, two listing pages (下一页), a robots.txt that forbids /zwgk/nbzl/
  (linked from the second page's list);
- epaper: a Founder e-paper whose home page links to today's 版面 (今日报纸, 第A01版) — no date template;
- portal: a news list at /news/ whose article URLs look like nothing in particular (/news/a88012.html),
  with dates beside the headlines; a88012 reposts the gov target story.

Round 2 publishes a new e-paper issue (a 封顶), the gov target raised 1600 → 1800亿元, a new monthly
figure and an old story put online late; round 3 changes nothing.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.server import FixtureServer, guess_content_type
from watcher.app import build_app
from watcher.config import FetchSettings, Politeness, load_settings

SITE = Path(__file__).resolve().parents[2] / "watcher" / "demo" / "site"
ARTICLE = re.compile(r"/content/post_\d+\.html$|/content_\d+\.htm$|/news/a\d+\.html$")


@pytest.fixture
def outlets() -> Iterator[dict[str, FixtureServer]]:
    servers = {name: FixtureServer(root=SITE / "round1" / name) for name in ("gov", "epaper", "portal")}
    for server in servers.values():
        server.start()
    yield servers
    for server in servers.values():
        server.close()


def publish_round_2(servers: dict[str, FixtureServer]) -> None:
    for name, server in servers.items():
        folder = SITE / "round2" / name
        for path in folder.rglob("*"):
            if path.is_file():
                body = path.read_bytes()
                server.set_file(
                    "/" + path.relative_to(folder).as_posix(), body, guess_content_type(path.name, body)
                )
    servers["epaper"].set_file("/", (SITE / "round2" / "epaper" / "index.html").read_bytes())


def write_config(folder: Path, servers: dict[str, FixtureServer]) -> Path:
    starts = {
        "江门要闻": servers["gov"].url("/zwgk/jmyw/index.html"),
        "江门日报": servers["epaper"].url("/"),
        "侨乡资讯网": servers["portal"].url("/news/"),
    }
    config = folder / "watcher.toml"
    config.write_text(
        "".join(
            f'[[sources]]\nname = "{name}"\nstart_urls = ["{url}"]\nregion = "江门"\n\n'
            for name, url in starts.items()
        ),
        encoding="utf-8",
    )
    return config


def article_paths(server: FixtureServer, since: int = 0) -> list[str]:
    return [r.path for r in server.requests[since:] if ARTICLE.search(r.path)]


def test_three_outlets_over_three_rounds(outlets, tmp_path, db_url, monkeypatch):
    if not db_url.startswith("sqlite"):  # the config's own default is SQLite beside it
        monkeypatch.setenv("WATCHER_DATABASE_URL", db_url)
    settings = load_settings(write_config(tmp_path, outlets))
    assert settings.database.startswith("sqlite") == db_url.startswith("sqlite")
    # pacing is not under test: the default 2 s between requests would only make this test slow
    fast = FetchSettings(politeness=Politeness(min_delay_s=0, per_host_concurrency=4))
    app = build_app(settings.model_copy(update={"fetch": fast}))
    try:
        first = asyncio.run(app.crawl(settings.sources))
        assert [(s.source, s.error, s.errors, s.warnings) for s in first] == [
            (name, None, 0, []) for name in ("江门要闻", "江门日报", "侨乡资讯网")
        ]
        assert len(article_paths(outlets["gov"])) == 6, "two listing pages of the GBK section"
        assert len(article_paths(outlets["epaper"])) == 3, "today's two 版面, reached from the home page"
        assert sorted(article_paths(outlets["portal"])) == [f"/news/a880{n}.html" for n in (12, 15, 19)]
        assert not any(r.path.startswith("/zwgk/nbzl/") for r in outlets["gov"].requests), "robots.txt"
        assert outlets["gov"].count("/robots.txt") == 1
        assert sum(s.near_duplicates for s in first) == 1, "the repost is linked, not counted twice"
        targets = [r for r in app.store.change_rows(since=None, immediate=None) if r.kind == "target_set"]
        assert [r.summary_zh for r in targets] == ["八镇 规上工业总产值 2026年目标: 超1600亿元"]

        publish_round_2(outlets)
        seen = {name: len(server.requests) for name, server in outlets.items()}
        asyncio.run(app.crawl(settings.sources))
        assert sorted(article_paths(outlets["epaper"], seen["epaper"])) == [
            "/jmrb/html/2026-12/04/content_700201.htm",
            "/jmrb/html/2026-12/04/content_700202.htm",
        ]
        assert len(article_paths(outlets["gov"], seen["gov"])) == 3
        assert article_paths(outlets["portal"], seen["portal"]) == []

        seen = {name: len(server.requests) for name, server in outlets.items()}
        third = asyncio.run(app.crawl(settings.sources))
        assert [article_paths(server, seen[name]) for name, server in outlets.items()] == [[], [], []]
        assert [(s.listing_not_modified, s.new) for s in third] == [(1, 0)] * 3

        changes = app.store.change_rows(since=None, immediate=None)
    finally:
        app.close()
    raised = [r for r in changes if r.kind == "target_changed"]
    assert [r.summary_zh for r in raised] == [
        "八镇 规上工业总产值 2026年目标: 超1600亿元 → 超1800亿元 (上调)"
    ]
    assert raised[0].url.endswith("/zwgk/jmyw/content/post_3100153.html")
    reached = [r for r in changes if r.kind == "milestone_reached"]
    assert [r.summary_zh for r in reached] == ["江门滨江智造产业园一期: 封顶（2026-12-03）"]
    assert reached[0].url.endswith("/jmrb/html/2026-12/04/content_700201.htm")
    assert not [r for r in changes if r.url.endswith("post_3100020.html")], (
        "the late old story changes nothing"
    )
