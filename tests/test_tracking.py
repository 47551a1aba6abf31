"""Tracking end to end: articles published one after another on a local news site, crawled by the real
pipeline, filed under series; the exact change events each one causes; alerts written to the outbox and
delivered to a real SMTP server (aiosmtpd) and a real webhook receiver on 127.0.0.1.

Time is moved (the app's clock), not waited for.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from tests.server import FixtureServer
from watcher.app import App, build_app
from watcher.cli import main
from watcher.config import Settings
from watcher.store.db import open_engine

LEXICON = Path(__file__).resolve().parent.parent / "config" / "lexicon"
FILLER = (
    "市有关部门负责人介绍，下一步将继续优化营商环境，加快推进重点项目建设，强化要素保障，"
    "推动产业集群做大做强，为全市经济社会高质量发展提供有力支撑。"
)
PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title>
<meta name="PubDate" content="{published}"><meta name="ContentSource" content="{outlet}"></head>
<body><div class="nav"><a href="/">首页</a> <a href="/news/index.html">要闻</a></div>
<div class="article"><h1>{title}</h1><div class="info">发布时间：{published}　来源：{outlet}</div>
<div class="article-content">{paragraphs}</div></div>
<div class="footer">粤ICP备05079094号 版权所有</div></body></html>"""


class NewsSite:
    """A news site whose listing grows as articles are published."""

    def __init__(self, server: FixtureServer, section: str = "news") -> None:
        self.server, self.section, self.items = server, section, []
        self._listing()

    def _listing(self) -> None:
        listing = f"<html><body><ul class='list'>{''.join(self.items)}</ul></body></html>"
        self.server.set_file(f"/{self.section}/index.html", listing.encode())

    def publish(self, slug: str, title: str, published: str, outlet: str, *sentences: str) -> str:
        paragraphs = "".join(f"<p>{s}</p>" for s in (*sentences, FILLER))
        number = 2_000_000 + sum(ord(c) * 31**i for i, c in enumerate(slug)) % 1_000_000
        path = f"/{self.section}/content/post_{number}.html"
        page = PAGE.format(title=title, published=published, outlet=outlet, paragraphs=paragraphs)
        self.server.set_file(path, page.encode())
        self.items.insert(
            0, f'<li><a href="content/post_{number}.html">{title}</a><span>{published}</span></li>'
        )
        self._listing()
        return self.server.url(path)

    @property
    def start(self) -> str:
        return self.server.url(f"/{self.section}/index.html")


@pytest.fixture
def site() -> Iterator[NewsSite]:
    with FixtureServer() as server:
        yield NewsSite(server)


@pytest.fixture
def portal() -> Iterator[NewsSite]:
    with FixtureServer() as server:
        yield NewsSite(server, "repost")


@pytest.fixture
def make_app(db_url: str, tmp_path: Path):
    apps: list[App] = []

    def make(sources: list[dict], channels: list[dict] | None = None, alerts: dict | None = None) -> App:
        settings = Settings.model_validate(
            {
                "database_url": db_url,
                "storage_dir": str(tmp_path),
                "lexicon_dir": str(LEXICON),
                "sources": sources,
                "channels": channels or [],
                "alerts": alerts or {},
                "fetch": {
                    "timeout_s": 5,
                    "retries": 0,
                    "politeness": {"min_delay_s": 0, "per_host_concurrency": 4},
                },
            }
        )
        app = build_app(settings, clock=lambda: datetime(2024, 10, 1, 9, 0, tzinfo=UTC))
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.close()


def crawl(app: App) -> list[tuple[str, str]]:
    """Crawl every source once; return the (kind, summary) of the changes this run found."""
    before = len(app.store.change_rows())
    summaries = asyncio.run(app.crawl(app.settings.sources))
    assert all(s.error is None and s.errors == 0 for s in summaries), [s.line() for s in summaries]
    return [(c.kind, c.summary_zh) for c in app.store.change_rows()[before:]]


def kinds(changes: list[tuple[str, str]]) -> list[str]:
    return [k for k, _ in changes]


def test_a_target_is_set_raised_and_its_deadline_moved(make_app, site):
    app = make_app([{"name": "新闻", "start_urls": [site.start]}])
    site.publish(
        "a1",
        "八镇联动发展行动方案出台",
        "2024-05-03",
        "江门日报",
        "按照行动方案，到2026年，八镇规上工业总产值超1600亿元。",
    )
    assert crawl(app) == [("target_set", "八镇 规上工业总产值 2026年目标: 超1600亿元")]
    site.publish(
        "a2",
        "八镇联动发展目标上调",
        "2024-09-01",
        "江门日报",
        "根据新修订的方案，到2026年，八镇规上工业总产值力争超1800亿元。",
    )
    assert crawl(app) == [
        ("target_changed", "八镇 规上工业总产值 2026年目标: 超1600亿元 → 超1800亿元 (上调)")
    ]
    site.publish(
        "a3",
        "八镇工作推进会召开",
        "2024-09-20",
        "江门日报",
        "会议明确，到2027年，八镇规上工业总产值超1800亿元。",
    )
    assert crawl(app) == [
        ("target_changed", "八镇 规上工业总产值 目标超1800亿元: 期限 2026年 → 2027年 (推迟)")
    ]
    assert crawl(app) == [], "nothing twice"


def test_a_milestone_advances_and_an_old_article_arriving_late_changes_nothing(make_app, site):
    app = make_app([{"name": "新闻", "start_urls": [site.start]}])
    site.publish(
        "b1",
        "江门新材料产业园项目开工",
        "2023-03-01",
        "江门日报",
        "2月28日，总投资120亿元的江门新材料产业园项目正式开工。",
    )
    site.publish(
        "b2",
        "江门新材料产业园项目封顶",
        "2023-08-10",
        "江门日报",
        "8月8日，江门新材料产业园项目主厂房顺利封顶。",
    )
    changes = crawl(app)
    assert [c for c in changes if c[0].startswith("milestone")] == [
        ("milestone_reached", "江门新材料产业园项目: 开工（2023-02-28）"),
        ("milestone_reached", "江门新材料产业园项目: 开工 → 封顶（2023-08-08）"),
    ]
    site.publish(
        "b0",
        "江门新材料产业园项目签约",
        "2023-01-15",
        "南方日报",
        "1月12日，江门新材料产业园项目在江门签约。",
    )
    assert crawl(app) == [], "an older article does not take the project back"
    site.publish(
        "b3", "江门新材料产业园项目建设现场", "2023-09-01", "南方日报", "目前，江门新材料产业园项目仍在建。"
    )
    assert kinds(crawl(app)) == ["milestone_regressed"]


def test_a_repost_does_not_alert_but_counts_as_a_source(make_app, site, portal):
    app = make_app(
        [{"name": "新闻", "start_urls": [site.start]}, {"name": "门户", "start_urls": [portal.start]}]
    )
    text = (
        "按照行动方案，到2026年，八镇规上工业总产值超1600亿元。"
        "八镇将重点发展新能源电池、硅能源、新能源汽车及零部件等主导产业，促进产业集聚发展。"
    )
    site.publish("a1", "八镇联动发展行动方案出台", "2024-05-03", "江门日报", text)
    assert kinds(asyncio.run(app.crawl([app.settings.source("新闻")])) and crawl(app)) == []
    portal.publish("r1", "八镇联动发展行动方案出台", "2024-05-04", "每日看点", text)
    assert crawl(app) == []
    (row,) = [c for c in app.store.change_rows(immediate=True)]
    assert row.kind == "target_set"
    sources = {o.evidence.outlet for o in app.store.series_observations(indicator="规上工业总产值")}
    assert sources == {"江门日报", "每日看点"}, "one observation, two sources"


def test_two_outlets_that_disagree_raise_a_conflict(make_app, site, portal):
    app = make_app(
        [{"name": "新闻", "start_urls": [site.start]}, {"name": "门户", "start_urls": [portal.start]}]
    )
    site.publish(
        "c1", "去年全市经济运行稳中向好", "2024-01-20", "江门日报", "2023年，全市地区生产总值增长5.1%。"
    )
    assert kinds(crawl(app)) == ["new_actual"]
    portal.publish(
        "c2",
        "江门去年GDP增长5.2%",
        "2024-01-25",
        "南方日报",
        "2023年，江门地区生产总值增长5.2%，增速排全省第6。",
    )
    changes = crawl(app)
    assert ("figure_conflict", "江门 地区生产总值增速 2023年: 江门日报 5.1% ≠ 南方日报 5.2%") in changes


def test_an_actual_for_the_deadline_year_says_the_target_was_met(make_app, site):
    app = make_app([{"name": "新闻", "start_urls": [site.start]}])
    site.publish(
        "d1", "我市加快推进中小学扩容提质", "2023-03-10", "江门日报", "到2025年，全市新增公办学位超1万个。"
    )
    assert kinds(crawl(app)) == ["target_set"]
    site.publish(
        "d2", "去年我市新增公办学位1.2万个", "2026-02-05", "江门日报", "2025年，全市新增公办学位1.2万个。"
    )
    assert kinds(crawl(app)) == ["new_actual", "target_met"]


def test_new_actuals_go_to_digests_and_thresholds_alert(make_app, site):
    app = make_app(
        [{"name": "新闻", "start_urls": [site.start]}],
        alerts={
            "thresholds": [{"indicator": "地区生产总值", "subject": "江门", "measure": "yoy", "below": 5}]
        },
    )
    site.publish(
        "e1",
        "一季度全市经济运行",
        "2024-04-20",
        "江门日报",
        "一季度，全市地区生产总值增长4.2%，规上工业增加值增长5.5%。",
    )
    crawl(app)
    alerts = {c.summary_zh for c in app.store.change_rows(immediate=True)}
    digests = {c.summary_zh for c in app.store.change_rows(immediate=False)}
    assert alerts == {"江门 地区生产总值增速 2024年1—3月: 4.2%"}
    assert digests == {"江门 规上工业增加值增速 2024年1—3月: 5.5%"}


# --- delivery -------------------------------------------------------------------------------------


def _one_alert(make_app, site, **channels) -> App:
    app = make_app([{"name": "新闻", "start_urls": [site.start]}], **channels)
    site.publish(
        "a1",
        "八镇联动发展行动方案出台",
        "2024-05-03",
        "江门日报",
        "按照行动方案，到2026年，八镇规上工业总产值超1600亿元。",
    )
    crawl(app)
    return app


def test_alerts_are_emailed_once(make_app, site, smtp_server):
    channel = {
        "type": "email",
        "name": "mail",
        "host": smtp_server.host,
        "port": smtp_server.port,
        "security": "none",
        "from_addr": "watcher@example.test",
        "to": ["analyst@example.test"],
    }
    app = _one_alert(make_app, site, channels=[channel])
    assert app.deliver().sent == 1
    (message,) = smtp_server.messages
    assert message["To"] == "analyst@example.test"
    assert "八镇 规上工业总产值 2026年目标: 超1600亿元" in message["Subject"]
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "到2026年，八镇规上工业总产值超1600亿元" in text and site.server.base_url in html
    assert app.deliver().sent == 0 and len(smtp_server.messages) == 1, "nothing twice"


def test_a_crash_between_writing_and_sending_loses_nothing(make_app, site, smtp_server, db_url, tmp_path):
    channel = {
        "type": "email",
        "name": "mail",
        "host": smtp_server.host,
        "port": smtp_server.port,
        "security": "none",
        "from_addr": "watcher@example.test",
        "to": ["analyst@example.test"],
    }
    first = _one_alert(make_app, site, channels=[channel])
    leased = first.store.claim_deliveries(first.clock(), lease_s=300)  # claimed, then the process died
    assert len(leased) == 1 and not smtp_server.messages
    restarted = make_app(first.settings.model_dump()["sources"], channels=[channel])
    assert restarted.deliver().sent == 0, "still leased to the dead process"
    restarted.clock = lambda: datetime(2024, 10, 1, 9, 6, tzinfo=UTC)  # the lease has run out
    assert restarted.deliver().sent == 1 and len(smtp_server.messages) == 1
    assert smtp_server.messages[0]["Message-ID"].endswith("@watcher>")


def test_a_webhook_that_fails_twice_is_retried_with_backoff(make_app, site, webhook_receiver):
    hook = webhook_receiver(fail_times=2)
    app = _one_alert(
        make_app,
        site,
        channels=[{"type": "webhook", "name": "hook", "url": hook.url}],
        alerts={"retry_base_s": 60},
    )
    t0 = app.clock()
    # fails at 1 s (next at 61 s), at 90 s (next at 210 s: the backoff runs from the failure), then sent
    for seconds, expected, requests in ((1, 0, 1), (59, 0, 1), (90, 0, 2), (209, 0, 2), (211, 1, 3)):
        app.clock = lambda s=seconds: t0 + timedelta(seconds=s)
        assert app.deliver().sent == expected
        assert len(hook.requests) == requests
    assert len({r.headers["idempotency-key"] for r in hook.requests}) == 1
    (row,) = app.store.change_rows()
    assert row.deliveries == {"hook": "sent"}


def test_a_webhook_that_never_answers_gives_up_after_max_attempts(make_app, site, webhook_receiver):
    hook = webhook_receiver(hang=True)
    app = _one_alert(
        make_app,
        site,
        channels=[{"type": "webhook", "name": "hook", "url": hook.url, "timeout_s": 0.3}],
        alerts={"retry_base_s": 1, "max_attempts": 2},
    )
    t0 = app.clock()
    assert app.deliver().retrying == 1
    app.clock = lambda: t0 + timedelta(seconds=5)
    assert app.deliver().failed == 1
    (row,) = app.store.change_rows()
    assert row.deliveries == {"hook": "failed"}


# --- one transaction per article ---------------------------------------------------------------------

_OUTBOX_CLOSED = {  # a real database failure at the very last write of an article: its alert
    "sqlite": [
        "CREATE TRIGGER outbox_closed BEFORE INSERT ON deliveries "
        "BEGIN SELECT RAISE(ABORT, 'outbox closed'); END"
    ],
    "postgresql": [
        "CREATE FUNCTION outbox_closed() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'outbox closed'; END $$",
        "CREATE TRIGGER outbox_closed BEFORE INSERT ON deliveries "
        "FOR EACH ROW EXECUTE FUNCTION outbox_closed()",
    ],
}
_OUTBOX_OPEN = {
    "sqlite": ["DROP TRIGGER outbox_closed"],
    "postgresql": ["DROP TRIGGER outbox_closed ON deliveries", "DROP FUNCTION outbox_closed()"],
}


def _execute(db_url: str, statements: dict[str, list[str]]) -> None:
    engine = open_engine(db_url)
    try:
        with engine.begin() as conn:
            for statement in statements[conn.dialect.name]:
                conn.exec_driver_sql(statement)
    finally:
        engine.dispose()


def _stored(db_url: str) -> dict[str, list[str]]:
    """What the database holds of each article, by its URL, read with SQL."""
    queries = {
        "articles": "SELECT url FROM articles",
        "url_states": "SELECT url FROM url_states",
        "snapshots": "SELECT a.url FROM snapshots s JOIN articles a ON a.id = s.article_id",
        "facts": "SELECT a.url FROM facts f JOIN articles a ON a.id = f.article_id",
        "observations": "SELECT url FROM observations",
        "changes": "SELECT a.url FROM changes c JOIN articles a ON a.id = c.article_id",
        "deliveries": "SELECT d.key FROM deliveries d",
    }
    engine = open_engine(db_url)
    try:
        with engine.connect() as conn:
            return {name: sorted(conn.exec_driver_sql(sql).scalars()) for name, sql in queries.items()}
    finally:
        engine.dispose()


def test_tracking_that_fails_leaves_the_articles_pending_and_the_next_run_tracks_them_once(
    make_app, site, webhook_receiver, db_url
):
    hook = webhook_receiver()
    app = make_app(
        [{"name": "新闻", "start_urls": [site.start]}],
        channels=[{"type": "webhook", "name": "hook", "url": hook.url}],
    )
    older = site.publish(
        "f1", "一季度全市经济运行", "2024-04-20", "江门日报", "一季度，全市地区生产总值增长4.2%。"
    )  # a new actual: a change for the digests, no alert
    newer = site.publish(
        "f2", "八镇联动发展行动方案出台", "2024-05-03", "江门日报",
        "按照行动方案，到2026年，八镇规上工业总产值超1600亿元。",
    )  # fmt: skip  # a target set: an immediate alert, whose outbox row cannot be written
    assert app.store.articles() == []  # the schema is there: the trigger can be added
    _execute(db_url, _OUTBOX_CLOSED)
    (failed,) = asyncio.run(app.crawl(app.settings.sources))
    assert failed.error is not None and "outbox closed" in failed.error
    assert (failed.new, failed.changes) == (2, 0), "both stored as fetched; their tracking batch failed whole"
    held = _stored(db_url)
    assert held == {
        "articles": sorted([older, newer]),
        "url_states": sorted([older, newer]),  # not the listing: the run failed, it is read again
        "snapshots": sorted([older, newer]),
        "facts": sorted([older, newer]),
        "observations": [],
        "changes": [],
        "deliveries": [],
    }, "the articles whole, and nothing of their tracking"
    source_id = app.store.ensure_source("新闻", region=None, outlet=None)
    assert len(app.store.pending_tracking(source_id)) == 2
    _execute(db_url, _OUTBOX_OPEN)
    assert kinds(crawl(app)) == ["new_actual", "target_set"], "tracked next run, oldest first"
    held = _stored(db_url)
    assert held["changes"] == sorted([older, newer]) and held["observations"] == sorted([older, newer])
    assert len(held["deliveries"]) == 1 and app.store.pending_tracking(source_id) == []
    path = lambda url: url.removeprefix(site.server.base_url)  # noqa: E731
    assert (site.server.count(path(older)), site.server.count(path(newer))) == (1, 1), (
        "a stored article is not fetched again"
    )
    assert app.deliver().sent == 1 and len(hook.requests) == 1
    assert crawl(app) == [] and app.deliver().sent == 0, "nothing twice"


def test_cli_alerts_series_and_milestones(make_app, site, capsys, tmp_path, db_url):
    app = _one_alert(make_app, site)
    config = tmp_path / "watcher.toml"
    config.write_text(
        f'database_url = "{db_url}"\nlexicon_dir = "{LEXICON}"\nstorage_dir = "{tmp_path}"\n',
        encoding="utf-8",
    )
    assert main(["--config", str(config), "alerts"]) == 0
    assert "target_set" in capsys.readouterr().out
    assert main(["--config", str(config), "series", "规上工业总产值"]) == 0
    out = capsys.readouterr().out
    assert "八镇 规上工业总产值" in out and "2026年目标" in out and "江门日报" in out
    assert main(["--config", str(config), "milestones"]) == 0
    assert "(no milestones)" in capsys.readouterr().out
    assert date(2024, 10, 1) == app.clock().date()
