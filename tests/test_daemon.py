"""`watcher run`: the wiring (which job runs when) read off the scheduler it builds; `run --once` and the
bounded shutdown in-process; and one real subprocess against the gov fixture site — a few scheduled
rounds, SIGTERM, exit 0, restart, and nothing stored or sent twice."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from tests.conftest import DATA, ROOT
from tests.server import FixtureServer, Request, Response
from watcher.app import App, build_app
from watcher.cli import main
from watcher.cli.daemon import cmd_run
from watcher.config import Settings, SourceSpec, load_settings
from watcher.daemon import CRAWL_GRACE_S, Daemon, source_trigger
from watcher.errors import WatcherError
from watcher.store import Store

SHANGHAI = ZoneInfo("Asia/Shanghai")
LEXICON = ROOT / "config" / "lexicon"
FETCH = {"timeout_s": 5, "retries": 0, "politeness": {"min_delay_s": 0, "per_host_concurrency": 4}}


@pytest.fixture
def gov() -> Iterator[FixtureServer]:
    with FixtureServer(root=DATA / "sites" / "gov") as server:
        yield server


@pytest.fixture
def watcher_logs() -> Iterator[None]:
    """cmd_run turns the watcher loggers up to INFO; put them back."""
    logger = logging.getLogger("watcher")
    level = logger.level
    yield
    logger.setLevel(level)


def settings(tmp_path: Path, sources: list[dict], **extra) -> Settings:
    return Settings.model_validate(
        {
            "database_url": f"sqlite:///{tmp_path / 'watcher.db'}",
            "storage_dir": str(tmp_path),
            "lexicon_dir": str(LEXICON),
            "sources": sources,
            "fetch": FETCH,
            **extra,
        }
    )


# --- which job runs when ----------------------------------------------------------------------------


def test_bundled_config_schedules_every_enabled_source_and_the_service_jobs(tmp_path):
    bundled = load_settings(None)
    local = bundled.model_copy(
        update={"database_url": f"sqlite:///{tmp_path / 'w.db'}", "storage_dir": tmp_path}
    )
    app = build_app(local)
    try:
        scheduler = Daemon(app).build_scheduler(now=datetime(2024, 10, 1, 1, 0, tzinfo=UTC))
    finally:
        app.close()
    jobs = {job.id: job for job in scheduler.get_jobs()}
    enabled = [s for s in bundled.sources if s.enabled]
    assert enabled, "the bundled config has sources"
    assert set(jobs) == {f"crawl:{s.name}" for s in enabled} | {
        f"deliver:{c.name}" for c in bundled.channels
    } | {
        "digests",
        "health",
        "digest:daily",
        "digest:weekly",
    }
    for spec in enabled:
        job = jobs[f"crawl:{spec.name}"]
        assert (job.max_instances, job.coalesce, job.misfire_grace_time) == (1, True, CRAWL_GRACE_S)
        assert isinstance(job.trigger, IntervalTrigger | CronTrigger)
    after = datetime(2024, 10, 1, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai, a Tuesday
    daily = jobs["digest:daily"].trigger.get_next_fire_time(None, after)
    weekly = jobs["digest:weekly"].trigger.get_next_fire_time(None, after)
    assert daily == datetime(2024, 10, 2, 8, 0, tzinfo=SHANGHAI)
    assert weekly == datetime(2024, 10, 7, 8, 30, tzinfo=SHANGHAI)
    assert jobs["digests"].trigger.interval == timedelta(seconds=bundled.daemon.deliver_every_s)
    for channel in bundled.channels:
        assert jobs[f"deliver:{channel.name}"].trigger.interval == timedelta(
            seconds=bundled.daemon.deliver_every_s
        )


def spec(schedule: str) -> SourceSpec:
    return SourceSpec(name="s", start_urls=["http://127.0.0.1:9/"], schedule=schedule)


SATURDAY = datetime(2024, 10, 5, 12, 1, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("schedule", "expected"),
    [
        ("30 7 * * 1-5", datetime(2024, 10, 7, 7, 30, tzinfo=SHANGHAI)),  # crontab 1 = Monday
        ("0 9 * * 0", datetime(2024, 10, 6, 9, 0, tzinfo=SHANGHAI)),  # 0 = Sunday
        ("0 9 * * 7", datetime(2024, 10, 6, 9, 0, tzinfo=SHANGHAI)),  # 7 = Sunday too
        ("0 11 * * 2-4/2", datetime(2024, 10, 8, 11, 0, tzinfo=SHANGHAI)),  # tue, thu: Tuesday next
        ("0 11 * * */3", datetime(2024, 10, 6, 11, 0, tzinfo=SHANGHAI)),  # sun, wed, sat: Sunday next
        ("0 13 * * sat", datetime(2024, 10, 5, 13, 0, tzinfo=SHANGHAI)),
        ("*/20 * * * *", datetime(2024, 10, 5, 12, 20, tzinfo=SHANGHAI)),
    ],
)
def test_cron_schedules_read_weekdays_as_crontab_does(schedule, expected):
    trigger = source_trigger(spec(schedule), jitter_s=0, timezone=SHANGHAI)
    assert trigger.get_next_fire_time(None, SATURDAY) == expected


@pytest.mark.parametrize("schedule", ["61 * * * *", "0 25 * * *", "0 9 * * 8", "0 9 * * mon-funday"])
def test_check_config_rejects_a_cron_line_apscheduler_cannot_read(schedule, tmp_path, capsys):
    config = tmp_path / "watcher.toml"
    config.write_text(
        f'lexicon_dir = "{LEXICON}"\n[[sources]]\nname = "s"\nstart_urls = ["http://127.0.0.1:9/"]\n'
        f'schedule = "{schedule}"\n',
        encoding="utf-8",
    )
    assert main(["--config", str(config), "check-config"]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith(f"watcher: config error: {config}: line 5: sources[0].schedule: ")


def test_interval_schedules_with_jitter_at_most_half_the_interval():
    six_hours = source_trigger(spec("6h"), jitter_s=60, timezone=SHANGHAI)
    assert isinstance(six_hours, IntervalTrigger)
    assert (six_hours.interval, six_hours.jitter) == (timedelta(hours=6), 60)
    assert source_trigger(spec("2s"), jitter_s=60, timezone=SHANGHAI).jitter == 1


def test_a_restarted_daemon_resumes_each_source_one_interval_after_its_last_run(tmp_path):
    sources = [
        {"name": "ran", "start_urls": ["http://127.0.0.1:9/a"], "schedule": "6h"},
        {"name": "new", "start_urls": ["http://127.0.0.1:9/b"], "schedule": "6h"},
    ]
    app = build_app(settings(tmp_path, sources, daemon={"jitter_s": 0}))
    now = datetime.now(UTC)
    try:
        source_id = app.store.ensure_source("ran", region=None, outlet=None)
        run_id = app.store.start_run(source_id, now - timedelta(hours=2))
        app.store.finish_run(run_id, finished_at=now - timedelta(hours=2), stats={}, error=None)
        jobs = {j.id: j for j in Daemon(app).build_scheduler(now=now).get_jobs()}
    finally:
        app.close()
    assert jobs["crawl:ran"].next_run_time == now + timedelta(hours=4)
    assert jobs["crawl:new"].next_run_time == now


# --- in-process: --once, and the bounded shutdown ----------------------------------------------------


def gov_source(gov: FixtureServer, **extra) -> dict:
    return {"name": "江门要闻", "start_urls": [gov.url("/newzwgk/zwdt/jmyw/index.html")], **extra}


def test_run_once_crawls_checks_and_delivers(tmp_path, gov, webhook_receiver, watcher_logs, caplog):
    receiver = webhook_receiver()
    hook = [{"type": "webhook", "url": receiver.url}]
    config = settings(tmp_path, [gov_source(gov)], channels=hook, digests={"enabled": False})
    caplog.set_level(logging.INFO, logger="watcher")
    assert cmd_run(argparse.Namespace(once=True), config) == 0
    app = build_app(config)
    try:
        assert len(app.store.articles()) == 20
        rows = app.store.change_rows(immediate=True)
        assert rows and all(r.deliveries == {"webhook": "sent"} for r in rows)
        assert len(receiver.requests) == len(rows)
    finally:
        app.close()
    assert any("江门要闻: ok listings 3 fetched" in r.getMessage() for r in caplog.records)
    assert cmd_run(argparse.Namespace(once=True), config) == 0
    assert len(receiver.requests) == len(rows), "a second run sends nothing again"


def test_a_port_in_use_is_one_clear_error(tmp_path, watcher_logs):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        config = settings(tmp_path, [spec("6h").model_dump()], daemon={"http_port": port})
        with pytest.raises(WatcherError, match=rf"cannot listen on 127.0.0.1:{port}: "):
            cmd_run(argparse.Namespace(once=False), config)


class FakeDigests:
    """Stands in for `App.send_digests`: records the frequency asked and the app's clock at the call."""

    def __init__(self, error: Exception | None = None) -> None:
        self.calls: list[tuple[datetime, str | None]] = []
        self.error = error

    def __call__(self, app: App, frequency: str | None = None) -> FakeDigests:
        self.calls.append((app.clock(), frequency))
        if self.error:
            raise self.error
        return self

    def line(self) -> str:
        return "digests: 1 sent"


def test_digest_jobs_call_the_digest_engine_with_the_app_clock(tmp_path, monkeypatch):
    fake = FakeDigests()
    monkeypatch.setattr(App, "send_digests", lambda app, frequency=None: fake(app, frequency))
    moment = datetime(2024, 10, 7, 0, 30, tzinfo=UTC)
    app = build_app(settings(tmp_path, [spec("6h").model_dump()]), clock=lambda: moment)
    try:
        asyncio.run(Daemon(app).digest_job("weekly"))
        asyncio.run(Daemon(app).digest_job(None))
    finally:
        app.close()
    assert fake.calls == [(moment, "weekly"), (moment, None)]


def test_run_once_sends_due_digests_and_fails_when_they_cannot_be_sent(tmp_path, gov, watcher_logs, caplog):
    caplog.set_level(logging.INFO, logger="watcher")
    config = settings(tmp_path, [gov_source(gov)])  # no email channel for digests
    with Store.open(config.database) as store:
        store.add_subscriber("nia@example.test", now=datetime(2024, 1, 1, tzinfo=UTC))
    assert cmd_run(argparse.Namespace(once=True), config) == 1
    assert "digests.channel names no channel 'email'" in caplog.text


class Held:
    """A listing page that answers only when released (or after 10 s)."""

    def __init__(self) -> None:
        self.arrived = threading.Event()
        self.release = threading.Event()

    def __call__(self, request: Request) -> Response:
        self.arrived.set()
        self.release.wait(10)
        return Response(200, b"<html><body><ul><li>nothing</li></ul></body></html>")


@pytest.fixture
def held(gov: FixtureServer) -> Iterator[Held]:
    page = Held()
    gov.route("/held/index.html", page)
    yield page
    page.release.set()


def run_until_stopped(app: App, held: Held, *, release_after_s: float | None) -> tuple[int, float]:
    """Run the daemon, stop it while its crawl waits on the held page; (exit code, seconds to stop)."""

    async def main() -> tuple[int, float]:
        daemon = Daemon(app)
        task = asyncio.create_task(daemon.run())
        while not held.arrived.is_set():
            await asyncio.sleep(0.01)
        if release_after_s is not None:
            threading.Timer(release_after_s, held.release.set).start()
        started = time.monotonic()
        daemon.stop()
        code = await asyncio.wait_for(task, timeout=10)
        return code, time.monotonic() - started

    return asyncio.run(main())


def held_settings(tmp_path: Path, gov: FixtureServer, timeout_s: float) -> Settings:
    source = {"name": "held", "start_urls": [gov.url("/held/index.html")], "schedule": "1h"}
    return settings(
        tmp_path, [source], daemon={"jitter_s": 0, "shutdown_timeout_s": timeout_s, "deliver_every_s": 3600}
    )


def test_sources_of_one_site_take_turns(tmp_path, gov, held):
    sources = [
        {"name": "held", "start_urls": [gov.url("/held/index.html")], "schedule": "1h"},
        gov_source(gov, schedule="1h"),
    ]
    app = build_app(settings(tmp_path, sources, daemon={"jitter_s": 0, "deliver_every_s": 3600}))
    listing = "/newzwgk/zwdt/jmyw/index.html"

    async def main() -> int:
        daemon = Daemon(app)
        task = asyncio.create_task(daemon.run())
        while not held.arrived.is_set():
            await asyncio.sleep(0.01)
        threading.Timer(0.2, held.release.set).start()
        while not gov.count(listing):
            await asyncio.sleep(0.01)
        daemon.stop()
        return await asyncio.wait_for(task, timeout=10)

    try:
        assert asyncio.run(main()) == 0
    finally:
        app.close()
    (first,), (second,) = gov.requests_to("/held/index.html"), gov.requests_to(listing)
    assert first.end is not None and second.time >= first.end, "the second source waited for the first"


def test_stop_lets_the_running_crawl_finish_its_writes(tmp_path, gov, held):
    app = build_app(held_settings(tmp_path, gov, timeout_s=10))
    try:
        code, _ = run_until_stopped(app, held, release_after_s=0.2)
        states = app.store.source_states()
    finally:
        app.close()
    assert code == 0
    assert states["held"].last_run is not None, "the run was finished and recorded"


def test_stop_cancels_what_still_runs_at_the_timeout(tmp_path, gov, held, caplog):
    app = build_app(held_settings(tmp_path, gov, timeout_s=1.2))
    try:
        code, elapsed = run_until_stopped(app, held, release_after_s=None)
        states = app.store.source_states()
    finally:
        app.close()
    assert code == 0 and elapsed < 1.2
    assert states["held"].last_run is None, "the cancelled run stays unfinished; nothing half-written"
    assert "cancelled" in caplog.text


# --- the real thing: a subprocess, SIGTERM, a restart --------------------------------------------------

SHUTDOWN_TIMEOUT_S = 10


def write_config(tmp_path: Path, gov: FixtureServer, hook_url: str) -> Path:
    config = tmp_path / "watcher.toml"
    config.write_text(
        f"""
database_url = {json.dumps(f"sqlite:///{tmp_path / 'watcher.db'}")}
storage_dir = {json.dumps(str(tmp_path))}
lexicon_dir = {json.dumps(str(LEXICON))}

[fetch]
timeout_s = 5
retries = 0
politeness = {{ min_delay_s = 0, per_host_concurrency = 4 }}

[daemon]
http_port = 0
jitter_s = 0
deliver_every_s = 0.3
shutdown_timeout_s = {SHUTDOWN_TIMEOUT_S}

[digests]
enabled = false

[[sources]]
name = "江门要闻"
start_urls = [{json.dumps(gov.url("/newzwgk/zwdt/jmyw/index.html"))}]
schedule = "2s"

[[channels]]
type = "webhook"
name = "hook"
url = {json.dumps(hook_url)}
""",
        encoding="utf-8",
    )
    return config


def start_daemon(config: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WATCHER_")} | {"PYTHONPATH": str(ROOT)}
    with log.open("ab") as stderr:
        return subprocess.Popen(
            [sys.executable, "-m", "watcher", "--config", str(config), "run"],
            cwd=config.parent,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )


def query(db: Path, sql: str) -> int:
    try:
        with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)) as conn:
            return int(conn.execute(sql).fetchone()[0])
    except sqlite3.OperationalError:  # not created yet
        return -1


def wait_for(what: str, check: Callable[[], bool], proc: subprocess.Popen[bytes], log: Path) -> None:
    """Poll until `check()` holds, with a deadline; a daemon that exits fails at once, with its log."""
    until = time.monotonic() + 15
    while not check():
        tail = log.read_text(encoding="utf-8")[-3000:]
        assert proc.poll() is None, f"the daemon exited ({proc.returncode}) waiting for {what}:\n{tail}"
        assert time.monotonic() < until, f"timed out waiting for {what}:\n{tail}"
        time.sleep(0.05)


def endpoint(log: Path, proc: subprocess.Popen[bytes]) -> str:
    found: list[str] = []

    def logged() -> bool:
        found[:] = re.findall(r"HTTP endpoint: (http://127\.0\.0\.1:\d+)", log.read_text(encoding="utf-8"))
        return bool(found)

    wait_for("the HTTP endpoint", logged, proc, log)
    return found[-1]


def terminate(proc: subprocess.Popen[bytes]) -> tuple[int, float]:
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    code = proc.wait(timeout=SHUTDOWN_TIMEOUT_S + 5)
    return code, time.monotonic() - started


RUNS = "SELECT count(*) FROM crawl_runs WHERE finished_at IS NOT NULL"
SENT = "SELECT count(*) FROM deliveries WHERE status = 'sent'"
COUNTS = {
    "articles": "SELECT count(*) FROM articles",
    "snapshots": "SELECT count(*) FROM snapshots",
    "changes": "SELECT count(*) FROM changes",
    "deliveries": "SELECT count(*) FROM deliveries",
    "sent": SENT,
}


def test_daemon_subprocess_stops_on_sigterm_and_restarts_without_duplicates(tmp_path, gov, webhook_receiver):
    receiver = webhook_receiver()
    config, db, log = (
        write_config(tmp_path, gov, receiver.url),
        tmp_path / "watcher.db",
        tmp_path / "daemon.log",
    )
    proc = start_daemon(config, log)
    try:
        url = endpoint(log, proc)
        wait_for("three scheduled runs", lambda: query(db, RUNS) >= 3, proc, log)
        total = query(db, "SELECT count(*) FROM deliveries")
        assert total > 0, "the first run found changes that alert"
        wait_for("every alert sent", lambda: query(db, SENT) == total, proc, log)
        health = httpx.get(url + "/healthz", timeout=5)
        assert health.status_code == 200 and health.json()["sources"]["江门要闻"]["last_success"]
        assert (
            'watcher_pages_fetched_total{source="江门要闻",kind="article"} 20'
            in httpx.get(url + "/metrics").text
        )
        code, elapsed = terminate(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert code == 0 and elapsed < SHUTDOWN_TIMEOUT_S
    before = {name: query(db, sql) for name, sql in COUNTS.items()}
    runs = query(db, RUNS)
    assert before["articles"] == 20 and before["sent"] == before["deliveries"] == len(receiver.requests)

    proc = start_daemon(config, log)
    try:
        # two more runs take over 2 s: the outbox has been polled (every 0.3 s) several times meanwhile
        wait_for("two more runs after the restart", lambda: query(db, RUNS) >= runs + 2, proc, log)
        code, _ = terminate(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert code == 0
    assert {name: query(db, sql) for name, sql in COUNTS.items()} == before, "nothing stored twice"
    assert len(receiver.requests) == before["sent"], "nothing sent twice"
    text = log.read_text(encoding="utf-8")
    assert text.count("Enabled sources (1): 江门要闻 [2s]") == 2
    assert text.count("Enabled channels: hook (webhook)") == 2
    assert len(re.findall(r"江门要闻: ok listings", text)) == query(db, RUNS), "one line per run"
    assert "Traceback" not in text
