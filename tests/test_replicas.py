"""Several `watcher run` replicas on one PostgreSQL database, as real subprocesses: a site of bench
articles served on 127.0.0.1 (bench/bench_replicas.py writes it, in sections, one source each), a real
aiosmtpd server and webhook receiver. The replicas share the work and every effect happens once; one
killed with SIGKILL mid-run loses nothing and sends nothing twice; per-host pacing holds across them.

Needs WATCHER_TEST_POSTGRES_URL (skipped without it); each test has a fresh schema of the session's.
What is counted comes from outside watcher: the fixture server's request log, the rows in the database,
the messages the receivers got."""

from __future__ import annotations

import itertools
import re
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import Engine, create_engine, text

from bench.bench_replicas import Section, write_config, write_sections
from tests.conftest import ROOT
from tests.databases import PG_ENV, PG_URL, schema_url
from tests.receivers import SmtpServer, WebhookReceiver
from tests.server import FixtureServer
from tests.test_daemon import start_daemon
from watcher.notify.email import message_id
from watcher.store import Store
from watcher.store.db import parse_url

pytestmark = pytest.mark.skipif(
    not PG_URL, reason=f"replica tests need PostgreSQL: set {PG_ENV}=postgresql://user@host:port/db"
)

LEXICON = ROOT / "config" / "lexicon"
LEASE_S = 4.0
SHUTDOWN_TIMEOUT_S = 10
ZONE = "Asia/Shanghai"
DIGEST_LEAD_S = 4  # the replicas have started their schedulers by then (they take about 1.5 s)
# alert at once on these: about 70 changes for 100 articles (figure_conflict alone would add 190)
ALERT_KINDS = ["target_set", "target_changed", "milestone_reached", "milestone_date_changed"]
MIN_DELAY_S = 0.2
SLOW_DELAY_S = 0.05
TOLERANCE_S = 0.1  # timer and scheduling noise on a loaded machine (unpaced replicas span ~0.27 s)
WINDOW = 5


# --- the parts: a database, a site, replicas ----------------------------------------------------------------


@dataclass
class Database:
    url: str
    store: Store  # the schema is migrated before any replica starts; subscribers are added through it
    engine: Engine

    def scalar(self, sql: str, **params: Any) -> Any:
        with self.engine.connect() as conn:
            return conn.execute(text(sql), params).scalar()

    def rows(self, sql: str, **params: Any) -> list[Any]:
        with self.engine.connect() as conn:
            return list(conn.execute(text(sql), params))

    def articles(self) -> int:
        return int(self.scalar("SELECT count(*) FROM articles"))

    def tracked(self) -> int:
        """The articles stored, once none waits to be tracked (a run tracks its articles after fetching
        them, and a taken-over run those the killed one left); -1 while some wait."""
        return self.articles() if self.scalar("SELECT count(*) FROM pending_tracking") == 0 else -1


@pytest.fixture
def database(pg_schema) -> Iterator[Database]:
    admin, name = pg_schema
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{name}"'))
    url = schema_url(name)
    store, engine = Store.open(url), create_engine(parse_url(url))
    try:
        yield Database(url, store, engine)
    finally:
        store.close()
        engine.dispose()


@dataclass
class Site:
    server: FixtureServer
    sections: list[Section]

    @property
    def articles(self) -> int:
        return sum(len(s.stories) for s in self.sections)

    def article_paths(self) -> list[str]:
        return [p for s in self.sections for p in s.article_paths()]

    def fetches(self) -> Counter[str]:
        """How often each article page was asked for (pages never asked for are not in it)."""
        wanted = set(self.article_paths())
        return Counter(r.path for r in list(self.server.requests) if r.path in wanted)


@pytest.fixture
def make_site(tmp_path: Path) -> Iterator[Callable[[int, int], Site]]:
    """`make_site(articles, sections)`: bench articles in sections, served on 127.0.0.1 for the test."""
    servers: list[FixtureServer] = []

    def make(articles: int, sections: int) -> Site:
        found = write_sections(tmp_path / "site", articles, sections)
        servers.append(FixtureServer(root=tmp_path / "site"))
        servers[-1].start()
        return Site(servers[-1], found)

    yield make
    for server in servers:
        server.close()


@dataclass
class Replicas:
    """`watcher run` processes on one config file, each logging to replicaN.log beside it."""

    config: Path
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)
    killed: set[int] = field(default_factory=set)

    def start(self, count: int) -> None:
        for _ in range(count):
            self.logs.append(self.config.parent / f"replica{len(self.procs) + 1}.log")
            self.procs.append(start_daemon(self.config, self.logs[-1]))

    def kill(self, pid: int) -> None:
        proc = next(p for p in self.procs if p.pid == pid)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=5)
        self.killed.add(pid)

    def text(self, n: int) -> str:
        return self.logs[n].read_text(encoding="utf-8")

    def check_alive(self, what: str) -> None:
        for n, proc in enumerate(self.procs):
            if proc.pid not in self.killed and proc.poll() is not None:
                pytest.fail(
                    f"replica {n + 1} exited ({proc.returncode}) waiting for {what}:\n{self.text(n)[-3000:]}"
                )

    def stop(self) -> list[int]:
        """SIGTERM to every replica not killed; their exit codes."""
        live = [p for p in self.procs if p.pid not in self.killed]
        for proc in live:
            proc.send_signal(signal.SIGTERM)
        return [proc.wait(timeout=SHUTDOWN_TIMEOUT_S + 5) for proc in live]

    def close(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


@pytest.fixture
def replicas() -> Iterator[Callable[[Path, int], Replicas]]:
    """`replicas(config, count)` starts them; whatever still runs when the test ends is killed."""
    started: list[Replicas] = []

    def start(config: Path, count: int) -> Replicas:
        started.append(Replicas(config))
        started[-1].start(count)
        return started[-1]

    yield start
    for group in started:
        group.close()


def wait_for(what: str, check: Callable[[], bool], group: Replicas, timeout_s: float = 30.0) -> None:
    """Poll (the database, mostly) until `check()` holds; a replica that exits fails the test at once."""
    until = time.monotonic() + timeout_s
    while not check():
        group.check_alive(what)
        if time.monotonic() > until:
            tails = "\n".join(f"--- replica {n + 1}\n{group.text(n)[-1500:]}" for n in range(len(group.logs)))
            pytest.fail(f"timed out after {timeout_s:.0f} s waiting for {what}\n{tails}")
        time.sleep(0.1)


def replica_config(
    folder: Path,
    database: Database,
    site: Site,
    *,
    channels: list[dict[str, Any]] | None = None,
    digests: dict[str, Any] | None = None,
    min_delay_s: float = 0.0,
    slow: str | None = None,
) -> Path:
    """The config every replica reads: each section a source every 2 s, leases of LEASE_S, no jitter;
    the source named `slow` (if any) waits SLOW_DELAY_S between its requests."""
    daemon = {"http_port": 0, "jitter_s": 0, "lease_s": LEASE_S, "deliver_every_s": 0.3}
    settings: dict[str, Any] = {
        "database_url": database.url,
        "storage_dir": str(folder),
        "lexicon_dir": str(LEXICON),
        "fetch": {"timeout_s": 10, "retries": 0, "politeness": {"min_delay_s": min_delay_s}},
        "daemon": daemon | {"shutdown_timeout_s": SHUTDOWN_TIMEOUT_S},
        "alerts": {"immediate": ALERT_KINDS},
        "digests": digests or {"enabled": False},
        "sources": [source(site, section, slow) for section in site.sections],
        "channels": channels or [],
    }
    return write_config(folder / "watcher.toml", settings)


def source(site: Site, section: Section, slow: str | None) -> dict[str, Any]:
    extra = {"politeness": {"min_delay_s": SLOW_DELAY_S}} if section.name == slow else {}
    return section.source(site.server.base_url, schedule="2s", **extra)


def channels_to(smtp: SmtpServer, hook: WebhookReceiver) -> list[dict[str, Any]]:
    mail = {"type": "email", "name": "mail", "host": smtp.host, "port": smtp.port, "security": "none"}
    mail |= {"from_addr": "watcher@example.invalid", "to": ["ops@example.invalid"], "timeout_s": 10}
    return [mail, {"type": "webhook", "name": "hook", "url": hook.url, "timeout_s": 10}]


# --- what the database and the receivers say ----------------------------------------------------------------

NOT_SENT = "SELECT count(*) FROM deliveries WHERE status <> 'sent'"
REPEATED_FACTS = """
    SELECT article_id FROM facts
    GROUP BY article_id, type, indicator, subject, measure, kind, value, unit, qualifier, period, deadline,
             quantity, project, stage, date, raw, sentence
    HAVING count(*) > 1
"""
FACTS_OF_TWO_SNAPSHOTS = (
    "SELECT article_id FROM facts GROUP BY article_id HAVING count(DISTINCT snapshot_id) > 1"
)
REPEATED_DELIVERIES = "SELECT change_id FROM deliveries GROUP BY change_id, channel HAVING count(*) > 1"


def assert_stored_once(database: Database, site: Site) -> None:
    """Every article once with one snapshot; no fact row twice; every change once, one delivery a channel."""
    urls = [url for (url,) in database.rows("SELECT url FROM articles")]
    assert len(urls) == len(set(urls)) == site.articles
    assert database.scalar("SELECT count(*) FROM snapshots") == site.articles
    assert database.rows(REPEATED_FACTS) == [] and database.rows(FACTS_OF_TWO_SNAPSHOTS) == []
    assert database.scalar("SELECT count(*) - count(DISTINCT key) FROM changes") == 0
    assert database.rows(REPEATED_DELIVERIES) == []


def delivery_keys(database: Database, channel: str) -> set[str]:
    return {key for (key,) in database.rows("SELECT key FROM deliveries WHERE channel = :c", c=channel)}


def received(smtp: SmtpServer, hook: WebhookReceiver) -> tuple[Counter[str], Counter[str]]:
    """Messages by Message-ID at the SMTP server, requests by Idempotency-Key at the webhook."""
    mails = Counter(str(m["Message-ID"]) for m in smtp.messages)
    return mails, Counter(r.headers["idempotency-key"] for r in hook.requests)


def replicas_that_crawled(group: Replicas) -> int:
    """Replicas whose log has a run that stored new articles."""
    stored = re.compile(r": ok listings .*, [1-9]\d* new,")
    return sum(bool(stored.search(group.text(n))) for n in range(len(group.logs)))


# --- three replicas: the work shared, every effect once -----------------------------------------------------


def digest_moment(earliest: datetime) -> tuple[datetime, dict[str, Any]]:
    """The first whole minute at or after `earliest`, and the [digests] that send the daily and the weekly
    digest then: the daemon's digest jobs run on the minute, in the local time of `timezone`. Empty ones
    are sent too, should the minute come before the first change."""
    moment = (earliest + timedelta(seconds=59)).replace(second=0, microsecond=0)
    local = moment.astimezone(ZoneInfo(ZONE))
    at, weekday = local.strftime("%H:%M"), local.strftime("%a").lower()
    return moment, {
        "daily_at": at,
        "weekly_on": weekday,
        "weekly_at": at,
        "timezone": ZONE,
        "channel": "mail",
        "send_empty": True,
    }


def subscribe(database: Database, now: datetime) -> None:
    for email, frequency in (("daily@example.invalid", "daily"), ("weekly@example.invalid", "weekly")):
        database.store.add_subscriber(email, now=now, digest=frequency)


def assert_sent_once(database: Database, smtp: SmtpServer, hook: WebhookReceiver) -> None:
    """Each alert once on each channel, each digest once: by Message-ID and Idempotency-Key."""
    mails, hooks = received(smtp, hook)
    alerts = {message_id(key) for key in delivery_keys(database, "mail")}
    periods = database.rows("SELECT subscriber_id, period_key FROM digests WHERE status = 'sent'")
    digests = {message_id(f"digest.{subscriber}.{period}") for subscriber, period in periods}
    assert alerts and len(digests) == 2
    assert set(mails) == alerts | digests and set(mails.values()) == {1}
    assert set(hooks) == delivery_keys(database, "hook") and set(hooks.values()) == {1}


def test_three_replicas_share_the_work_and_every_effect_happens_once(
    tmp_path, database, make_site, replicas, smtp_server, webhook_receiver
):
    site, hook, now = make_site(120, 4), webhook_receiver(), datetime.now(UTC)
    subscribe(database, now)
    moment, digests = digest_moment(now + timedelta(seconds=DIGEST_LEAD_S))
    config = replica_config(
        tmp_path, database, site, channels=channels_to(smtp_server, hook), digests=digests
    )
    group = replicas(config, 3)
    wait_for("every article stored and tracked", lambda: database.tracked() == site.articles, group)
    sent = "SELECT count(*) FROM digests WHERE status = 'sent'"
    until_s = (moment - datetime.now(UTC)).total_seconds() + 20
    wait_for(f"the digests of {moment:%H:%M} UTC", lambda: database.scalar(sent) == 2, group, until_s)
    wait_for("every alert sent", lambda: database.scalar(NOT_SENT) == 0, group)
    endpoints = [re.findall(r"HTTP endpoint: (\S+) ", group.text(n))[-1] for n in range(3)]
    assert [httpx.get(f"{url}/healthz", timeout=5).status_code for url in endpoints] == [200] * 3
    assert group.stop() == [0, 0, 0]

    fetches = site.fetches()
    assert len(fetches) == site.articles and set(fetches.values()) == {1}, "every article page once"
    assert replicas_that_crawled(group) >= 2, "the work was shared"
    assert_stored_once(database, site)
    assert_sent_once(database, smtp_server, hook)


# --- one replica killed mid-run -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Lease:
    source: str
    holder: str  # host:pid:hex
    until: float  # epoch seconds

    @property
    def pid(self) -> int:
        return int(self.holder.split(":")[-2])


UNDER_WAY = """
    SELECT s.name, (SELECT count(*) FROM articles a WHERE a.source_id = s.id) FROM sources s
    WHERE EXISTS (SELECT 1 FROM crawl_runs r WHERE r.source_id = s.id AND r.finished_at IS NULL)
"""
BACKLOG = "SELECT count(*) FROM deliveries WHERE status IN ('pending', 'sending')"


def lease_mid_run(database: Database, site: Site, section: Section) -> Lease | None:
    """The section's lease while its run is under way (started, pages asked for, not all stored), and
    alerts of the other sections are waiting to be sent (every replica is busy sending)."""
    asked = sum(site.fetches()[p] for p in section.article_paths())
    stored = dict(database.rows(UNDER_WAY))
    if not asked or stored.get(section.name, len(section.stories)) >= len(section.stories):
        return None
    if database.scalar(BACKLOG) < 10:
        return None
    lease = database.rows("SELECT holder, until FROM leases WHERE name = :n", n=f"source:{section.name}")
    return Lease(section.name, *lease[0]) if lease else None


def wait_for_a_run_under_way(database: Database, site: Site, section: Section, group: Replicas) -> Lease:
    found: list[Lease] = []

    def under_way() -> bool:
        found[:] = [lease] if (lease := lease_mid_run(database, site, section)) else []
        return bool(found)

    wait_for(f"a run of {section.name} under way, and alerts to send", under_way, group)
    return found[0]


RUNS_OF = """
    SELECT r.started_at, r.finished_at, r.stats FROM crawl_runs r JOIN sources s ON s.id = r.source_id
    WHERE s.name = :name ORDER BY r.id
"""


def assert_taken_over(database: Database, victim: Lease) -> None:
    """The killed run stays unfinished; a later run of its source stored the rest, after the lease ran out."""
    runs = database.rows(RUNS_OF, name=victim.source)
    assert len([r for r in runs if r.finished_at is None]) == 1, "the killed run never finished"
    takeover = [r for r in runs if r.finished_at is not None and r.stats["new"] > 0]
    assert takeover and takeover[0].started_at.timestamp() > victim.until, "taken over once the lease expired"


def orphaned_alerts(database: Database) -> int:
    """Alerts left 'sending' by the killed replica: those still sending a second after it died, when
    the live replicas' sends (tens of milliseconds each) are long done."""
    leased = "SELECT id FROM deliveries WHERE status = 'sending'"
    before = {i for (i,) in database.rows(leased)}
    time.sleep(1)
    return len(before & {i for (i,) in database.rows(leased)})


def test_a_replica_killed_mid_run_loses_nothing_and_sends_nothing_twice(
    tmp_path, database, make_site, replicas, smtp_server, webhook_receiver
):
    site, hook = make_site(100, 2), webhook_receiver()
    slow = site.sections[-1]  # its run lasts while the first section's alerts are being sent
    config = replica_config(tmp_path, database, site, channels=channels_to(smtp_server, hook), slow=slow.name)
    group = replicas(config, 3)
    victim = wait_for_a_run_under_way(database, site, slow, group)
    group.kill(victim.pid)
    orphans = orphaned_alerts(database)
    wait_for(
        "every article stored and tracked after the takeover",
        lambda: database.tracked() == site.articles,
        group,
    )
    wait_for("every alert sent", lambda: database.scalar(NOT_SENT) == 0, group)
    assert group.stop() == [0, 0]

    assert_taken_over(database, victim)
    assert set(site.fetches()) == set(site.article_paths()), "nothing lost"
    assert_stored_once(database, site)
    mails, hooks = received(smtp_server, hook)
    assert set(mails) == {message_id(key) for key in delivery_keys(database, "mail")}
    assert set(hooks) == delivery_keys(database, "hook")
    repeats = sum(mails.values()) - len(mails) + sum(hooks.values()) - len(hooks)
    senders = 2 * 2  # two channels, alerts.per_channel_concurrency = 2 each
    assert orphans <= senders, "a replica's sender holds one alert at a time"
    assert repeats <= orphans, "only the alert the killed replica was sending may come again, with its key"


# --- pacing across replicas ---------------------------------------------------------------------------------


def runs_overlap(database: Database) -> bool:
    """Whether two runs that stored articles overlapped in time: on one host, only different replicas'
    runs can (a replica's sources of one host take turns)."""
    rows = database.rows(
        "SELECT started_at, finished_at, stats FROM crawl_runs WHERE finished_at IS NOT NULL"
    )
    runs = sorted((r.started_at, r.finished_at) for r in rows if r.stats["new"] > 0)
    return any(later[0] < earlier[1] for earlier, later in itertools.pairwise(runs))


def test_per_host_pacing_holds_across_three_replicas(tmp_path, database, make_site, replicas):
    site = make_site(24, 3)
    group = replicas(replica_config(tmp_path, database, site, min_delay_s=MIN_DELAY_S), 3)
    wait_for("every article stored and tracked", lambda: database.tracked() == site.articles, group)
    assert group.stop() == [0, 0, 0]

    starts = sorted(r.time for r in site.server.requests)
    # The server sees arrivals, not the reserved starts: two requests can swap on their way in, so the
    # bound is on windows. Any WINDOW consecutive arrivals span at least WINDOW - 1 intervals; three
    # replicas pacing apart would fit three requests into each interval and fail this at once.
    spans = [starts[i + WINDOW - 1] - starts[i] for i in range(len(starts) - WINDOW + 1)]
    assert len(starts) > site.articles and min(spans) >= (WINDOW - 1) * MIN_DELAY_S - TOLERANCE_S, sorted(
        spans
    )[:3]
    assert replicas_that_crawled(group) >= 2 and runs_overlap(database), "replicas crawled the host at once"
