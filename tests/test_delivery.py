"""Delivery keeps its promises, with the real daemon in this process: a local news site crawled every
second, alerts sent to aiosmtpd and to real webhook receivers on 127.0.0.1, one that always fails and one
that never answers. The app's clock runs FACTOR times faster than real time, so the configured backoff
(2, 4, 8, 8 s) passes in seconds; every time measured is converted to the app's clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import signal
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from tests.conftest import DATA
from tests.receivers import SmtpServer, WebhookReceiver
from tests.server import FixtureServer
from tests.test_daemon import SENT, query, start_daemon, write_config
from tests.test_tracking import LEXICON, NewsSite
from watcher.app import App, build_app
from watcher.cli import main
from watcher.config import Settings
from watcher.daemon import Daemon
from watcher.store.db import open_engine

FACTOR = 6.0
T0 = datetime(2024, 10, 1, 9, 0, tzinfo=UTC)
TOWNS = ("台山", "开平", "鹤山", "恩平", "新会", "蓬江")


class FastClock:
    """The app's clock: T0 at creation, then FACTOR seconds for each real second."""

    def __init__(self) -> None:
        self.t0 = time.monotonic()

    def at(self, monotonic: float) -> datetime:
        return T0 + timedelta(seconds=FACTOR * (monotonic - self.t0))

    def __call__(self) -> datetime:
        return self.at(time.monotonic())


def wait_for(what: str, check: Callable[[], bool], timeout_s: float = 20.0) -> None:
    until = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < until, f"timed out after {timeout_s:.0f} s waiting for {what}"
        time.sleep(0.05)


def publish_target(site: NewsSite, n: int) -> None:
    """An article setting a new target for a town: one target_set alert."""
    town = TOWNS[n % len(TOWNS)]
    sentence = f"按照工作方案，到{2027 + n // len(TOWNS)}年，{town}规上工业总产值超{800 + 10 * n}亿元。"
    site.publish(f"t{n}", f"{town}制造业发展工作方案印发", "2024-09-20", "江门日报", sentence)


@pytest.fixture
def site() -> Iterator[NewsSite]:
    with FixtureServer() as server:
        yield NewsSite(server)


def email_channel(smtp: SmtpServer) -> dict[str, Any]:
    return {
        "type": "email",
        "name": "email",
        "host": smtp.host,
        "port": smtp.port,
        "security": "none",
        "from_addr": "watcher@example.test",
        "to": ["ops@example.test"],
        "timeout_s": 5,
    }


def make_settings(
    db_url: str, tmp_path: Path, site: NewsSite, channels: list[dict], **extra: Any
) -> Settings:
    return Settings.model_validate(
        {
            "database_url": db_url,
            "storage_dir": str(tmp_path),
            "lexicon_dir": str(LEXICON),
            "sources": [{"name": "新闻", "start_urls": [site.start], "schedule": "1s"}],
            "channels": channels,
            "fetch": {"timeout_s": 5, "retries": 0, "politeness": {"min_delay_s": 0}},
            "daemon": {"jitter_s": 0, "deliver_every_s": 0.1, "shutdown_timeout_s": 7},
            "digests": {"enabled": False},
            **extra,
        }
    )


@contextmanager
def daemon_running(app: App) -> Iterator[Daemon]:
    """`watcher run` on its own event loop in a thread, stopped (as SIGTERM would) at the end."""
    daemon = Daemon(app)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_until_complete, args=(daemon.run(),), daemon=True)
    thread.start()
    try:
        yield daemon
    finally:
        loop.call_soon_threadsafe(daemon.stop)
        thread.join(10)
        loop.close()


def deliveries(db_url: str) -> list[dict[str, Any]]:
    engine = open_engine(db_url)
    sql = (
        "SELECT d.channel, d.status, d.attempts, d.sent_at, c.created_at FROM deliveries d "
        "JOIN changes c ON c.id = d.change_id ORDER BY d.id"
    )
    try:
        with engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(text(sql))]
    finally:
        engine.dispose()


def _utc(moment: datetime | str) -> datetime:
    """A timestamp as read back with SQL (SQLite gives text), in UTC."""
    parsed = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def test_a_failing_webhook_backs_off_from_each_failure_and_never_delays_email(
    db_url, tmp_path, site, smtp_server, webhook_receiver
):
    failing: WebhookReceiver = webhook_receiver(status=500)
    hanging: WebhookReceiver = webhook_receiver(hang=True)
    channels = [
        email_channel(smtp_server),
        {"type": "webhook", "name": "failing", "url": failing.url, "timeout_s": 2},
        {"type": "webhook", "name": "hanging", "url": hanging.url, "timeout_s": 5},
    ]
    alerts = {"retry_base_s": 2, "retry_max_s": 8, "max_attempts": 5}
    clock = FastClock()
    app = build_app(make_settings(db_url, tmp_path, site, channels, alerts=alerts), clock=clock)
    publish_target(site, 0)
    try:
        with daemon_running(app):
            wait_for("the first alert", lambda: len(smtp_server.messages) >= 1)
            for n in range(1, 4):  # more alerts while the webhooks fail and hang
                publish_target(site, n)
                wait_for(f"alert {n} by email", lambda n=n: len(smtp_server.messages) >= n + 1)
            wait_for("five attempts at the failing webhook", lambda: len(failing.requests) >= 20, 30)
    finally:
        app.close()

    key = failing.requests[0].headers["idempotency-key"]
    first = [r for r in failing.requests if r.headers["idempotency-key"] == key]
    assert len(first) == 5, "max_attempts, then dead-lettered"
    gaps = [(clock.at(b.at) - clock.at(a.at)).total_seconds() for a, b in itertools.pairwise(first)]
    for gap, configured in zip(gaps, (2, 4, 8, 8), strict=True):
        assert gap >= 0.8 * configured, f"gaps {gaps}: one is shorter than 0.8 × {configured} s"
    rows = deliveries(db_url)
    emails = [r for r in rows if r["channel"] == "email"]
    assert len(emails) == 4 and all(r["status"] == "sent" for r in emails)
    for r in emails:
        waited = (_utc(r["sent_at"]) - _utc(r["created_at"])).total_seconds()
        assert waited <= 20, f"an email alert waited {waited:.1f} s behind the webhooks"
    assert [(r["status"], r["attempts"]) for r in rows if r["channel"] == "failing"] == [("failed", 5)] * 4


def test_dead_letters_are_requeued_once_by_retry_failed(db_url, tmp_path, site, webhook_receiver, capsys):
    hook = webhook_receiver(fail_times=6)  # fails both attempts of three alerts
    config = tmp_path / "watcher.toml"
    config.write_text(
        f"""
database_url = "{db_url}"
storage_dir = "{tmp_path}"
lexicon_dir = "{LEXICON}"
[fetch]
retries = 0
politeness = {{ min_delay_s = 0 }}
[alerts]
max_attempts = 2
retry_base_s = 0
[digests]
enabled = false
[[sources]]
name = "新闻"
start_urls = ["{site.start}"]
[[channels]]
type = "webhook"
name = "hook"
url = "{hook.url}"
""",
        encoding="utf-8",
    )
    for n in range(3):
        publish_target(site, n)
    assert main(["--config", str(config), "crawl"]) == 0
    assert main(["--config", str(config), "deliver"]) == 0, "first attempts: to retry"
    assert main(["--config", str(config), "deliver"]) == 1, "second attempts: given up"
    capsys.readouterr()
    assert main(["--config", str(config), "alerts"]) == 0
    shown = capsys.readouterr().out
    assert "failed deliveries (3;" in shown and shown.count("hook: HTTP 500") == 3
    assert len(hook.requests) == 6
    assert main(["--config", str(config), "deliver"]) == 0 and len(hook.requests) == 6, "dead letters wait"

    assert main(["--config", str(config), "deliver", "--channel", "hook"]) == 2, (
        "--channel needs --retry-failed"
    )
    assert "choose what --retry-failed requeues" in capsys.readouterr().err
    assert main(["--config", str(config), "deliver", "--retry-failed", "--channel", "other"]) == 0
    assert "requeued 0 failed alerts" in capsys.readouterr().out
    assert main(["--config", str(config), "deliver", "--retry-failed", "--channel", "hook"]) == 0
    out = capsys.readouterr().out
    assert "requeued 3 failed alerts" in out and "alerts: 3 sent, 0 to retry, 0 failed" in out
    assert main(["--config", str(config), "deliver", "--retry-failed"]) == 0
    assert "requeued 0 failed alerts" in capsys.readouterr().out
    keys = [r.headers["idempotency-key"] for r in hook.requests[6:]]
    assert len(keys) == 3 and len(set(keys)) == 3, "each dead letter delivered once"
    assert {r["status"] for r in deliveries(db_url)} == {"sent"}


# --- digests: retried on the delivery interval, caught up after a restart ---

MINUTE_FACTOR = 60.0  # a real second is an app minute here
DUE = datetime(2024, 10, 1, 0, 0, tzinfo=UTC)  # 08:00 in Shanghai: the daily digest's time


class MinuteClock(FastClock):
    def __init__(self, start: datetime) -> None:
        super().__init__()
        self.start = start

    def at(self, monotonic: float) -> datetime:
        return self.start + timedelta(seconds=MINUTE_FACTOR * (monotonic - self.t0))


def digest_app(db_url: str, tmp_path: Path, site: NewsSite, port: int, clock: FastClock) -> App:
    channel = email_channel(SmtpServer("127.0.0.1", port)) | {"timeout_s": 1}
    settings = make_settings(
        db_url,
        tmp_path,
        site,
        [channel],
        digests={"enabled": True, "daily_at": "08:00"},
    )
    settings = settings.model_copy(
        update={"daemon": settings.daemon.model_copy(update={"deliver_every_s": 0.5})}
    )
    app = build_app(settings, clock=clock)
    app.store.add_subscriber("nia@example.test", now=DUE - timedelta(days=1))
    publish_target(site, 0)
    app.clock = lambda: DUE - timedelta(hours=1)  # a change for the digest, found before it is due
    asyncio.run(app.crawl(app.settings.sources))
    app.clock = clock
    return app


def digests_to_nia(smtp: SmtpServer) -> list[Any]:
    return [m for m in smtp.messages if m["To"] == "nia@example.test"]


def digest_rows(db_url: str) -> list[tuple[str, str, int]]:
    engine = open_engine(db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT period_key, status, attempts FROM digests ORDER BY id"))
            return [tuple(r) for r in rows]
    finally:
        engine.dispose()


def test_a_digest_due_while_smtp_is_down_goes_out_once_when_it_returns(
    db_url, tmp_path, site, smtp_server_factory
):
    from tests.notify import closed_port

    port = closed_port()
    clock = MinuteClock(DUE - timedelta(minutes=2))
    app = digest_app(db_url, tmp_path, site, port, clock)
    try:
        with daemon_running(app):
            wait_for("two failed attempts", lambda: any(r[2] >= 2 for r in digest_rows(db_url)))
            returned = clock()
            smtp = smtp_server_factory(port=port)
            wait_for("the digest", lambda: len(digests_to_nia(smtp)) >= 1)
            arrived = clock()
            wait_for("two more delivery rounds", lambda: clock() > arrived + timedelta(seconds=60))
    finally:
        app.close()
    assert (arrived - returned).total_seconds() <= 120
    (mail,) = digests_to_nia(smtp)
    assert "每日摘要 2024-10-01" in mail["Subject"]
    ((key, status, attempts),) = digest_rows(db_url)
    assert (key, status) == ("2024-10-01", "sent") and attempts >= 3


def test_a_digest_missed_while_the_daemon_was_down_is_caught_up_at_start(db_url, tmp_path, site, smtp_server):
    clock = MinuteClock(DUE + timedelta(hours=3))  # the daemon starts three hours late
    app = digest_app(db_url, tmp_path, site, smtp_server.port, clock)
    try:
        with daemon_running(app):
            wait_for("the digest", lambda: len(digests_to_nia(smtp_server)) >= 1)
            sent = clock()
            wait_for("two more delivery rounds", lambda: clock() > sent + timedelta(seconds=60))
    finally:
        app.close()
    (mail,) = digests_to_nia(smtp_server)
    assert "每日摘要 2024-10-01" in mail["Subject"]
    assert digest_rows(db_url) == [("2024-10-01", "sent", 1)]


# --- SIGKILL mid-delivery, on SQLite (tests/test_replicas.py kills a replica mid-delivery on PostgreSQL) ---


def kill_config(tmp_path: Path, gov: FixtureServer, hook_url: str) -> Path:
    config = write_config(tmp_path, gov, hook_url)
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("[daemon]\n", "[daemon]\nlease_s = 2\n"), encoding="utf-8")
    return config


def sending_keys(db: Path) -> set[str]:
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)) as conn:
        return {key for (key,) in conn.execute("SELECT key FROM deliveries WHERE status = 'sending'")}


def test_a_daemon_killed_mid_delivery_loses_no_alert_and_repeats_only_those_in_flight(
    tmp_path, webhook_receiver
):
    stuck: WebhookReceiver = webhook_receiver(hang=True)
    db, log = tmp_path / "watcher.db", tmp_path / "daemon.log"
    with FixtureServer(root=DATA / "sites" / "gov") as gov:
        proc = start_daemon(kill_config(tmp_path, gov, stuck.url), log)
        try:
            wait_for("a send in flight", lambda: len(stuck.requests) >= 1)
            proc.send_signal(signal.SIGKILL)
            proc.wait(5)
            in_flight = sending_keys(
                db
            )  # leased: sent (the receiver has it, or it is on its way) or about to be
            assert 1 <= len(in_flight) <= 2, "one alert per sender (per_channel_concurrency = 2)"
            total = query(db, "SELECT count(*) FROM deliveries")

            working: WebhookReceiver = webhook_receiver()
            proc = start_daemon(kill_config(tmp_path, gov, working.url), log)
            wait_for("every alert sent after the leases ran out", lambda: query(db, SENT) == total)
            assert query(db, "SELECT count(*) FROM deliveries") == total, "no alert written twice"
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    keys = [r.headers["idempotency-key"] for r in working.requests]
    assert len(keys) == len(set(keys)) == total, "every alert delivered, each once after the restart"
    repeats = {r.headers["idempotency-key"] for r in stuck.requests} & set(keys)
    assert repeats and repeats <= in_flight, (
        "only the alerts in flight at the kill went again, with their keys"
    )
