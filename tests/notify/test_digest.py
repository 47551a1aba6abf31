"""Digests end to end: articles published on a local site and crawled by the real pipeline, subscribers in
the store, digests composed and sent to a real SMTP server (aiosmtpd) on 127.0.0.1 — once per period,
across crashes and restarts. Time is moved (the app's clock and `now`), not waited for.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from tests.notify import closed_port
from tests.receivers import SmtpServer
from tests.server import FixtureServer
from tests.test_tracking import LEXICON, NewsSite
from watcher import delivery
from watcher.app import App, build_app
from watcher.config import DigestSettings, EmailChannel, Settings
from watcher.delivery import DigestStats
from watcher.errors import ConfigError
from watcher.notify.digest import DigestFrequency, compose_digest, due_period
from watcher.notify.email import EmailSender
from watcher.store.subscribers import Subscriber

BASE_URL = "https://watcher.example.test"
T0 = datetime(2024, 9, 30, 10, 0, tzinfo=UTC)  # 18:00 in Shanghai: subscribers sign up
CRAWLED = datetime(2024, 9, 30, 12, 0, tzinfo=UTC)
DUE = datetime(2024, 10, 1, 0, 30, tzinfo=UTC)  # 08:30 on 1 October in Shanghai: the daily digest is due
EXTERNAL = re.compile(r"\b(src|background)\s*=|<link\b|@import|url\(", re.IGNORECASE)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def site() -> Iterator[NewsSite]:
    with FixtureServer() as server:
        yield NewsSite(server)


@pytest.fixture
def make_app(db_url: str, tmp_path: Path, smtp_server: SmtpServer) -> Iterator[Callable[..., App]]:
    """An app on the test database whose `email` channel is the aiosmtpd server; its clock starts at T0."""
    apps: list[App] = []

    def make(site: NewsSite, *, digests: dict[str, Any] | None = None, port: int | None = None) -> App:
        sources = [
            {"name": "新闻", "start_urls": [site.start]},
            {"name": "坏站", "start_urls": [site.server.url("/gone/index.html")]},  # 404: its runs fail
        ]
        channel = {
            "type": "email",
            "name": "email",
            "host": smtp_server.host,
            "port": port or smtp_server.port,
            "security": "none",
            "from_addr": "watcher@example.test",
            "to": ["ops@example.test"],
            "timeout_s": 5,
        }
        settings = Settings.model_validate(
            {
                "database_url": db_url,
                "storage_dir": str(tmp_path),
                "lexicon_dir": str(LEXICON),
                "sources": sources,
                "channels": [channel],
                "digests": {"base_url": BASE_URL} | (digests or {}),
                "fetch": {"timeout_s": 5, "retries": 0, "politeness": {"min_delay_s": 0}},
            }
        )
        app = build_app(settings, clock=Clock(T0))
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.close()


def send_due_digests(app: App, now: datetime, *, frequency: DigestFrequency | None = None) -> DigestStats:
    return delivery.send_due_digests(app.store, app.channels(), app.settings, now, frequency=frequency)


def subscribe(app: App, email: str, **options: Any) -> Subscriber:
    subscriber, _ = app.store.add_subscriber(email, now=app.clock(), **options)
    return subscriber


def crawl_at(app: App, when: datetime) -> None:
    app.clock = Clock(when)
    asyncio.run(app.crawl(app.settings.sources))


def publish_news(site: NewsSite) -> dict[str, str]:
    """Four changes: two alerts (a target, a milestone) and two new actual figures."""
    return {
        "q1": site.publish(
            "q1",
            "一季度全市经济运行",
            "2024-04-20",
            "江门日报",
            "一季度，全市地区生产总值增长4.2%，规上工业增加值增长5.5%。",
        ),
        "target": site.publish(
            "a1",
            "八镇联动发展行动方案出台",
            "2024-05-03",
            "江门日报",
            "按照行动方案，到2026年，八镇规上工业总产值超1600亿元。",
        ),
        "project": site.publish(
            "b1",
            "江门新材料产业园项目开工",
            "2024-06-01",
            "南方日报",
            "5月28日，总投资120亿元的江门新材料产业园项目正式开工。",
        ),
    }


def publish_q3(site: NewsSite) -> str:
    return site.publish(
        "q3", "前三季度全市经济运行", "2024-10-20", "江门日报", "前三季度，全市地区生产总值增长4.8%。"
    )


def parts(mail: EmailMessage) -> tuple[str, str]:
    text, html = mail.get_body(("plain",)), mail.get_body(("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()


def stats(sent: int = 0, empty: int = 0, failed: int = 0) -> DigestStats:
    return DigestStats(sent=sent, skipped_empty=empty, failed=failed)


def test_a_daily_digest_arrives_once_with_alerts_updates_links_and_unsubscribe(make_app, site, smtp_server):
    app = make_app(site)
    alice = subscribe(app, "Alice@Example.test")
    urls = publish_news(site)
    crawl_at(app, CRAWLED)
    urls["q3"] = publish_q3(site)
    crawl_at(app, CRAWLED + timedelta(hours=2))

    assert send_due_digests(app, DUE) == stats(sent=1)
    (mail,) = smtp_server.messages
    assert mail["Subject"] == "[watcher] 江门 每日摘要 2024-10-01：2 项提醒，3 项更新"
    assert mail["To"] == "alice@example.test" and smtp_server.envelopes[0].rcpt_tos == ("alice@example.test",)
    assert mail["Message-ID"] == f"<digest.{alice.id}.2024-10-01@watcher>"
    unsubscribe = f"{BASE_URL}/unsubscribe?token={alice.token}"
    assert mail["List-Unsubscribe"] == f"<{unsubscribe}>"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text, html = parts(mail)
    for url in urls.values():
        assert f'href="{url}"' in html and url in text
    assert f'href="{unsubscribe}"' in html and unsubscribe in text
    assert not EXTERNAL.search(html), "no remote images, styles or fonts"
    alerts, updates = text.split("== 更新 Updates ==")
    assert "八镇 规上工业总产值 2026年目标: 超1600亿元" in alerts and "江门新材料产业园项目: 开工" in alerts
    assert "-- 江门 · 地区生产总值增速 --" in updates and "-- 江门 · 规上工业增加值增速 --" in updates
    assert "2024年1—3月 4.2% → 2024年1—9月 4.8%" in updates, "old → new, with their periods"
    assert "坏站" in text and "HTTP 404" in text, "the sources that failed"

    for later in (DUE + timedelta(minutes=1), DUE + timedelta(hours=23)):  # still 1 October in Shanghai
        assert send_due_digests(app, later) == stats()
    assert len(smtp_server.messages) == 1, "a period is sent once"

    site.publish("h1", "上半年全市经济运行", "2024-07-20", "江门日报", "上半年，全市规上工业增加值增长6.1%。")
    crawl_at(app, DUE + timedelta(hours=3))
    assert send_due_digests(app, DUE + timedelta(days=1)) == stats(sent=1)
    text, _ = parts(smtp_server.messages[1])
    assert smtp_server.messages[1]["Subject"] == "[watcher] 江门 每日摘要 2024-10-02：0 项提醒，1 项更新"
    assert "2024年1—3月 5.5% → 2024年1—6月 6.1%" in text and "超1600亿元" not in text, "only what is new"


def test_a_crash_between_claim_and_send_is_sent_after_the_lease_with_the_same_message_id(
    make_app, site, smtp_server
):
    app = make_app(site)
    bob = subscribe(app, "bob@example.test")
    publish_news(site)
    crawl_at(app, CRAWLED)
    period = due_period(DUE, app.settings.digests, "daily")
    claim = app.store.claim_digest(bob, period.key, "daily", cutoff=period.due_at, now=DUE, lease_s=300)
    assert claim is not None  # … and then the process died before sending

    restarted = make_app(site)
    assert send_due_digests(restarted, DUE + timedelta(minutes=1)) == stats(), "still leased"
    assert not smtp_server.messages
    assert send_due_digests(restarted, DUE + timedelta(minutes=6)) == stats(sent=1)
    assert smtp_server.messages[0]["Message-ID"] == f"<digest.{bob.id}.2024-10-01@watcher>"
    assert send_due_digests(restarted, DUE + timedelta(minutes=7)) == stats()
    (row,) = restarted.store.digests(bob.id)
    assert (row.status, row.attempts, row.since, row.cutoff) == ("sent", 1, T0, period.due_at)


def test_a_failed_send_is_retried_with_the_same_message_id(make_app, site, smtp_server):
    down = make_app(site, port=closed_port())  # the mail server is down: connection refused, retryable
    carol = subscribe(down, "carol@example.test")
    publish_news(site)
    crawl_at(down, CRAWLED)
    assert send_due_digests(down, DUE) == stats(failed=1)
    (row,) = down.store.digests(carol.id)
    assert (row.status, row.attempts) == ("pending", 1) and "connection refused" in (row.last_error or "")

    up = make_app(site)
    assert send_due_digests(up, DUE + timedelta(seconds=30)) == stats(), "not before its retry time"
    assert send_due_digests(up, DUE + timedelta(minutes=2)) == stats(sent=1)
    (mail,) = smtp_server.messages
    assert mail["Message-ID"] == f"<digest.{carol.id}.2024-10-01@watcher>"
    assert mail["Subject"].endswith("2024-10-01：2 项提醒，2 项更新")


def test_a_digest_still_failing_when_the_next_is_due_is_folded_into_it(make_app, site, smtp_server):
    down = make_app(site, port=closed_port())
    olga = subscribe(down, "olga@example.test")
    publish_news(site)
    crawl_at(down, CRAWLED)
    assert send_due_digests(down, DUE) == stats(failed=1)
    assert send_due_digests(down, DUE + timedelta(days=1)) == stats(failed=2), "a retry, then the new one"
    up = make_app(site)
    assert send_due_digests(up, DUE + timedelta(days=1, minutes=2)) == stats(sent=1)
    (mail,) = smtp_server.messages
    assert mail["Subject"] == "[watcher] 江门 每日摘要 2024-10-02：2 项提醒，2 项更新", (
        "both days' news, once"
    )
    assert mail["Message-ID"] == f"<digest.{olga.id}.2024-10-02@watcher>"
    assert [(r.period_key, r.status) for r in up.store.digests(olga.id)] == [
        ("2024-10-01", "superseded"),
        ("2024-10-02", "sent"),
    ]
    assert send_due_digests(up, DUE + timedelta(days=1, hours=1)) == stats()


def test_an_empty_period_sends_nothing_unless_send_empty(make_app, site, smtp_server):
    app = make_app(site)
    dave = subscribe(app, "dave@example.test")
    assert send_due_digests(app, DUE) == stats(empty=1)
    assert send_due_digests(app, DUE + timedelta(hours=1)) == stats(), "the period is done"
    assert not smtp_server.messages
    assert [r.status for r in app.store.digests(dave.id)] == ["empty"]

    chatty = make_app(site, digests={"send_empty": True})
    assert send_due_digests(chatty, DUE + timedelta(days=1)) == stats(sent=1)
    (mail,) = smtp_server.messages
    assert mail["Subject"] == "[watcher] 江门 每日摘要 2024-10-02：没有新变化"
    assert "Nothing new in this period." in parts(mail)[0]


def test_filters_pick_the_changes_each_subscriber_gets(make_app, site, smtp_server):
    app = make_app(site)
    for email, options in {
        "gdp@example.test": {"indicators": ["地区生产总值"]},
        "projects@example.test": {"kinds": ["milestone_reached"]},
        "bazhen@example.test": {"subjects": ["八镇"]},
        "park@example.test": {"keywords": ["产业园"]},
        "retail@example.test": {"indicators": ["社会消费品零售总额"]},
    }.items():
        subscribe(app, email, **options)
    publish_news(site)
    crawl_at(app, CRAWLED)
    assert send_due_digests(app, DUE) == stats(sent=4, empty=1)
    by_recipient = {m["To"]: m for m in smtp_server.messages}
    assert {to: m["Subject"].split("：")[1] for to, m in by_recipient.items()} == {
        "gdp@example.test": "0 项提醒，1 项更新",
        "projects@example.test": "1 项提醒，0 项更新",
        "bazhen@example.test": "1 项提醒，0 项更新",
        "park@example.test": "1 项提醒，0 项更新",
    }
    gdp, _ = parts(by_recipient["gdp@example.test"])
    assert "地区生产总值增速" in gdp and "规上工业增加值" not in gdp
    assert "八镇" in parts(by_recipient["bazhen@example.test"])[0]
    assert "开工" in parts(by_recipient["projects@example.test"])[0]


def test_weekly_digests_go_out_on_their_day(make_app, site, smtp_server):
    app = make_app(site)
    subscribe(app, "weekly@example.test", digest="weekly")
    subscribe(app, "daily@example.test", digest="daily")
    publish_news(site)
    crawl_at(app, CRAWLED)
    monday = datetime(2024, 10, 7, 1, 0, tzinfo=UTC)  # Monday 09:00 in Shanghai: past weekly_at 08:30
    assert send_due_digests(app, monday, frequency="weekly") == stats(sent=1)
    assert smtp_server.messages[0]["Subject"] == "[watcher] 江门 每周摘要 2024-W41：2 项提醒，2 项更新"
    assert send_due_digests(app, monday) == stats(sent=1), "the daily subscriber's, not the weekly again"
    assert smtp_server.messages[1]["To"] == "daily@example.test"


@pytest.mark.parametrize(
    ("now", "frequency", "key", "due_at"),
    [
        ("2024-10-01T00:00Z", "daily", "2024-10-01", "2024-10-01T00:00Z"),  # 08:00 in Shanghai
        ("2024-09-30T23:59Z", "daily", "2024-09-30", "2024-09-30T00:00Z"),  # 07:59: yesterday's
        ("2024-10-07T00:30Z", "weekly", "2024-W41", "2024-10-07T00:30Z"),  # Monday 08:30
        ("2024-10-07T00:29Z", "weekly", "2024-W40", "2024-09-30T00:30Z"),  # a minute early: last week's
        ("2024-10-05T12:00Z", "weekly", "2024-W40", "2024-09-30T00:30Z"),  # Saturday
        ("2024-12-30T02:00Z", "weekly", "2025-W01", "2024-12-30T00:30Z"),  # ISO years
    ],
)
def test_due_period(now: str, frequency: str, key: str, due_at: str) -> None:
    period = due_period(datetime.fromisoformat(now), DigestSettings(), frequency)  # type: ignore[arg-type]
    assert (period.key, period.due_at) == (key, datetime.fromisoformat(due_at))


def test_a_missing_digest_channel_is_a_config_error_naming_it(make_app, site):
    app = make_app(site, digests={"channel": "mail"})
    assert send_due_digests(app, DUE) == stats(), "nobody subscribed: no channel needed"
    subscribe(app, "nia@example.test")
    with pytest.raises(ConfigError, match=r"digests\.channel names no channel 'mail'"):
        send_due_digests(app, DUE)


def test_the_unsubscribe_header_goes_out_as_a_plain_url(smtp_server):
    settings = Settings.model_validate({"lexicon_dir": str(LEXICON), "digests": {"base_url": BASE_URL}})
    nia = Subscriber(7, "nia@example.test", "daily", False, (), (), (), (), False, "t" * 32, T0, None)
    message = compose_digest(settings, nia, due_period(DUE, settings.digests, "daily"), T0, [], [])
    spec = EmailChannel(
        host=smtp_server.host, port=smtp_server.port, security="none", from_addr="w@example.test"
    )
    EmailSender(spec, {}).send(message)
    assert f"List-Unsubscribe: <{BASE_URL}/unsubscribe?token={'t' * 32}>\r\n".encode() in smtp_server.raw[0]
