"""Discovery from what a user points it at: an e-paper's home page, a portal list with plain article URLs,
a listing with nothing to find, and listings read again when a source's discovery settings change."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select

from tests.server import FixtureServer, redirect
from watcher.app import App, build_app
from watcher.config import Settings, SourceSpec
from watcher.discover import article_links, discovery_fingerprint, front_page_targets
from watcher.store.tables import CrawlRun

HOME = "http://epaper.example.cn/"


def spec(**options: object) -> SourceSpec:
    return SourceSpec.model_validate({"name": "test", "start_urls": ["https://www.example.cn/"], **options})


# --- an e-paper's home page -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (
            '<meta http-equiv="refresh" content="0; URL=html/2026-12/05/node_1.htm">',
            "html/2026-12/05/node_1.htm",
        ),
        (
            "<meta http-equiv='Refresh' content='3;url=/paper/layout/node_A01.html'>",
            "paper/layout/node_A01.html",
        ),
        (
            '<script>window.location.href = "html/2026-12/05/node_1.htm";</script>',
            "html/2026-12/05/node_1.htm",
        ),
        ('<script>location.replace("./html/2026-12/05/node_1.htm")</script>', "html/2026-12/05/node_1.htm"),
    ],
)
def test_home_page_redirects_to_todays_issue(head, expected):
    html = f"<html><head>{head}</head><body><p>正在进入今日报纸……</p></body></html>"
    assert front_page_targets(html, HOME) == [HOME + expected]


def test_home_page_links_to_todays_pages_not_to_other_issues():
    html = """<html><body>
      <a href="html/2026-12/05/node_1.htm">今日报纸</a>
      <a href="html/2026-12/05/node_2.htm">第A02版：综合</a>
      <a href="html/2026-12/05/node_3.htm"><img src="a03.jpg"></a>
      <a href="html/2026-12/04/node_1.htm">上一期</a>
      <a href="history.htm">往期回顾</a> <a href="about.htm">关于我们</a>
    </body></html>"""
    assert front_page_targets(html, HOME) == [HOME + f"html/2026-12/05/node_{n}.htm" for n in (1, 2, 3)]


def test_a_calendar_of_other_issues_is_not_followed():
    calendar = "".join(f'<a href="html/2026-11/{d:02d}/node_1.htm">{d}</a>' for d in range(1, 31))
    html = f'<a href="html/2026-12/05/node_1.htm">进入电子版</a><div class="calendar">{calendar}</div>'
    assert front_page_targets(html, HOME) == [HOME + "html/2026-12/05/node_1.htm"]


def test_a_page_with_no_edition_links_leads_nowhere():
    html = '<html><body><a href="/about/">关于我们</a><a href="list.html">更多新闻</a></body></html>'
    assert front_page_targets(html, HOME) == []


# --- portal lists whose article URLs look like nothing in particular ------------------------------

PORTAL_LIST = """<html><body>
<div class="nav"><a href="/news/">新闻中心</a> <a href="/finance/">财经频道</a>
  <a href="/about.html">关于本站简介</a></div>
<ul class="list">
  <li><a href="/news/a88019.html">周末江门天气晴好 各景区迎来出游高峰</a> <span>2026-11-22</span></li>
  <li><a href="/news/a88015.html">市区今年新增公共充电桩300个</a> <span>2026-11-21</span></li>
  <li><a href="/news/a88012.html">八镇工业提质增效三年行动方案印发</a> <span>2026-11-20</span></li>
</ul>
<div class="links"><a href="/zt/hqwh.html">侨乡文化专题报道合集</a>
  <a href="/zt/gxq.html">高新区建设专题报道</a></div>
</body></html>"""


def test_dated_headlines_with_plain_urls_are_articles():
    links = article_links(PORTAL_LIST, "http://portal.example.cn/news/", spec())
    assert [link.url for link in links] == [
        f"http://portal.example.cn/news/a880{n}.html" for n in (19, 15, 12)
    ]
    assert links[1].title == "市区今年新增公共充电桩300个"


@pytest.mark.parametrize("when", ["[11-22]", "2026/11/22 10:30", "11月22日", "3小时前", "昨天 10:30"])
def test_dates_as_portals_write_them(when):
    html = PORTAL_LIST.replace("2026-11-22", when).replace("2026-11-21", when).replace("2026-11-20", when)
    assert len(article_links(html, "http://portal.example.cn/news/", spec())) == 3


def test_undated_headline_links_with_plain_urls_are_not():
    html = PORTAL_LIST.replace("<span>2026-11-2", "<span>阅读 1")
    assert article_links(html, "http://portal.example.cn/news/", spec()) == []


def test_summary_and_time_in_a_div_item():
    html = """<div class="feed">
      <div class="item"><h3><a href="/p/8812">江门高新区新签约项目36个</a></h3><p>园区加快标准厂房建设……</p>
        <span class="time">2026年11月20日 10:30</span></div>
      <div class="item"><h3><a href="/p/8813">侨乡文化节下月开幕 多项活动免费</a></h3><p>届时将举办……</p>
        <span class="time">2026年11月19日 09:00</span></div>
    </div>"""
    links = article_links(html, "http://portal.example.cn/", spec())
    assert [link.url for link in links] == [
        "http://portal.example.cn/p/8812",
        "http://portal.example.cn/p/8813",
    ]


# --- discovery settings ---------------------------------------------------------------------------


def test_fingerprint_follows_the_discovery_settings_only():
    base = discovery_fingerprint(spec())
    assert discovery_fingerprint(spec(schedule="1h", region="台山")) == base
    assert discovery_fingerprint(spec(article_pattern=r"/news/\d+")) != base
    assert discovery_fingerprint(spec(start_urls=["https://www.example.cn/news/"])) != base
    assert discovery_fingerprint(spec(next_selector="a.next")) != base


# --- crawls ---------------------------------------------------------------------------------------

LISTING = """<html><body><ul>
  <li><a href="/n/1.html">江门新开通两条公交线路方便市民出行</a> <span>2026-11-20</span></li>
  <li><a href="/n/2.html">市区新增三处口袋公园供市民休闲</a> <span>2026-11-19</span></li>
</ul></body></html>"""
ARTICLE = "<html><body><h1>{t}</h1><p>发布时间：2026-11-20</p><p>{t}。这是正文的第一段。</p></body></html>"


@pytest.fixture
def site() -> Iterator[FixtureServer]:
    with FixtureServer() as server:
        server.set_file("/list.html", LISTING.encode())
        server.set_file("/home.html", b"<html><body><a href='/about.html'>about us</a></body></html>")
        for n in (1, 2):
            server.set_file(f"/n/{n}.html", ARTICLE.format(t=f"第{n}篇文章的标题").encode())
        yield server


def make_app(tmp_path: Path, db_url: str, **source: object) -> App:
    settings = Settings.model_validate(
        {
            "database_url": db_url,
            "storage_dir": str(tmp_path),
            "sources": [{"name": "test", **source}],
            "fetch": {"retries": 0, "politeness": {"min_delay_s": 0}},
        }
    )
    return build_app(settings)


def crawl(app: App, **options: object):
    return asyncio.run(app.crawl(app.settings.sources, **options))[0]


def test_home_page_redirect_leads_to_the_issue(tmp_path, db_url):
    with FixtureServer() as server:
        server.route("/", redirect("/html/2026-12/05/node_1.htm"))
        server.set_file(
            "/html/2026-12/05/node_1.htm",
            '<a href="content_1.htm">滨江智造产业园一期主体结构封顶</a>'.encode(),
        )
        server.set_file("/html/2026-12/05/content_1.htm", ARTICLE.format(t="滨江智造产业园封顶").encode())
        app = make_app(tmp_path, db_url, start_urls=[server.url("/")])
        try:
            summary = crawl(app)
        finally:
            app.close()
    assert (summary.new, summary.warnings) == (1, [])


def test_home_page_showing_the_first_page_leads_to_the_others(tmp_path, db_url):
    with FixtureServer() as server:
        home = """<html><body><div class="titles">
          <a href="html/2026-12/05/content_1.htm">滨江智造产业园一期主体结构封顶</a></div>
          <div class="pages"><a href="html/2026-12/05/node_1.htm">第A01版：要闻</a>
          <a href="html/2026-12/05/node_2.htm">第A02版：综合</a>
          <a href="html/2026-12/04/node_1.htm">上一期</a></div></body></html>"""
        server.set_file("/", home.encode())
        server.set_file("/html/2026-12/05/node_1.htm", home.replace("html/2026-12/05/", "").encode())
        server.set_file(
            "/html/2026-12/05/node_2.htm", '<a href="content_2.htm">冬季文旅消费季活动启动</a>'.encode()
        )
        for n in (1, 2):
            server.set_file(f"/html/2026-12/05/content_{n}.htm", ARTICLE.format(t=f"第{n}篇").encode())
        app = make_app(tmp_path, db_url, start_urls=[server.url("/")])
        try:
            summary = crawl(app)
        finally:
            app.close()
        assert server.count("/html/2026-12/04/node_1.htm") == 0, "not the previous issue"
    assert (summary.new, summary.warnings) == (2, [])


def test_a_listing_with_no_links_is_a_warning_in_the_line_and_the_run(site, tmp_path, db_url):
    app = make_app(tmp_path, db_url, start_urls=[site.url("/home.html")])
    try:
        summary = crawl(app)
        with app.store._session() as s:
            (run,) = s.exec(select(CrawlRun)).all()
    finally:
        app.close()
    warning = f"0 links found on {site.url('/home.html')}: set article_pattern"
    assert summary.warnings == [warning]
    assert summary.line().startswith("test: WARNING ") and summary.line().endswith(" — " + warning)
    assert run.ok is True and run.stats["warnings"] == [warning]


def test_changed_settings_read_the_listing_again(site, tmp_path, db_url):
    app = make_app(tmp_path, db_url, start_urls=[site.url("/list.html")])
    try:
        assert crawl(app).new == 2
        assert crawl(app).listing_not_modified == 1
    finally:
        app.close()
    narrowed = make_app(tmp_path, db_url, start_urls=[site.url("/list.html")], article_pattern=r"/n/2\.html$")
    try:
        again = crawl(narrowed)
        assert (again.listing_fetched, again.listing_not_modified) == (1, 0), "no stored 304 in the way"
        assert crawl(narrowed).listing_not_modified == 1, "and its own validators next time"
    finally:
        narrowed.close()


def test_refresh_reads_listings_again(site, tmp_path, db_url):
    app = make_app(tmp_path, db_url, start_urls=[site.url("/list.html")])
    try:
        crawl(app)
        before = len(site.requests_to("/list.html"))
        summary = crawl(app, refresh=True)
    finally:
        app.close()
    assert (summary.listing_fetched, summary.listing_not_modified) == (1, 0)
    (request,) = site.requests_to("/list.html")[before:]
    assert "if-none-match" not in request.headers
