"""What the daemon's health checks cost per source, with 100 sources and with 1,000, same run.

    .venv/bin/python bench/bench_health.py [--sources 100,1000] [--runs 30] [--rounds 3] [--postgres URL]
    .venv/bin/python bench/bench_health.py --daemon 1000     # `watcher run` with 1,000 sources: its RSS

Each database (SQLite in a temporary folder; PostgreSQL in a schema of its own with --postgres) holds
N sources, each with --runs finished crawl runs (every fifth failed, the last two failed: a streak),
five stored articles and a raised source_failing, as a daemon leaves them after weeks. A round is what
`watcher run` does for N sources: after each source's run, `check_sources(app, names={source})`; plus
the all-sources check of the health job (which also prunes old runs). The peer is the same round with
the other N, interleaved; the figure is the median of per-round ratios of the cost per source.

--daemon N: a site of N sections (a listing page and one article each, served by tests.server from a
child process) and `python -m watcher run` with one source per section, every --schedule (2m), no jitter,
SQLite; the daemon's resident memory (VmRSS, and its peak VmHWM, from /proc) once every source has run
once, and again once every source has run twice.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.append(str(ROOT))  # after PYTHONPATH: scripts/bench puts the compiled build there

from bench.bench_crawl import postgres_schema  # noqa: E402
from watcher.app import App, build_app  # noqa: E402
from watcher.config import Settings  # noqa: E402
from watcher.health import check_sources  # noqa: E402
from watcher.models import Article  # noqa: E402
from watcher.store import Store  # noqa: E402

NOW = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
LEXICON = ROOT / "config" / "lexicon"


def make_app(
    database_url: str,
    folder: Path,
    sources: int,
    *,
    daemon: dict[str, Any] | None = None,
    now: datetime = NOW,
) -> App:
    """An app of `sources` sources on 127.0.0.1:9, a webhook channel, fed `now` by its clock."""
    specs = [
        {"name": f"source{n:04d}", "start_urls": [f"http://127.0.0.1:9/s{n}/"], "expected_period": "30d"}
        for n in range(sources)
    ]
    settings = Settings.model_validate(
        {
            "database_url": database_url,
            "storage_dir": str(folder),
            "lexicon_dir": str(LEXICON),
            "sources": specs,
            "channels": [{"type": "webhook", "name": "ops", "url": "http://127.0.0.1:9/hook"}],
            "daemon": {"failing_after_runs": 2} | (daemon or {}),
        }
    )
    return build_app(settings, clock=lambda: now)


def fill(app: App, runs: int) -> None:
    """Weeks of a daemon's history for every source (timestamps ahead of NOW − keep_runs_days)."""
    store = app.store
    for spec in app.settings.sources:
        source_id = store.ensure_source(spec.name, region=None, outlet=None)
        with store.transaction():
            for r in range(runs):
                at = NOW - timedelta(hours=6 * (runs - r))
                ok = r % 5 != 4 and r < runs - 2
                run_id = store.start_run(source_id, at)
                store.finish_run(run_id, finished_at=at, stats={"new": 1}, error=None if ok else "HTTP 503")
            for a in range(5):
                url = f"{spec.start_urls[0]}{a}.html"
                text = f"{spec.name}第{a}篇文章，介绍本地产业发展情况。" * 8
                store.save_article(
                    source_id=source_id, url=url, article=Article(url, text), raw=b"", fetched_at=NOW
                )
    check_sources(app, now=NOW)  # the failing episodes raised: later checks find nothing new


def round_cost(app: App) -> tuple[float, float]:
    """Seconds per source: the checks after each source's run, and the all-sources check."""
    names = [s.name for s in app.settings.sources]
    start = time.perf_counter()
    for name in names:
        check_sources(app, now=NOW, names={name})
    each = (time.perf_counter() - start) / len(names)
    start = time.perf_counter()
    check_sources(app, now=NOW)
    return each, (time.perf_counter() - start) / len(names)


def write_site(root: Path, sections: int) -> None:
    for n in range(sections):
        folder = root / f"s{n}"
        folder.mkdir(parents=True)
        title = f"第{n}号园区项目建设情况通报"
        link = f"<li><a href='/s{n}/content/post_{n}.html'>{title}</a><span>2025-02-27</span></li>"
        (folder / "index.html").write_text(f"<html><body><ul>{link}</ul></body></html>", encoding="utf-8")
        text = f"<p>{n}号园区项目主体结构封顶，总投资{n + 10}亿元，计划年内建成投产。</p>" * 4
        page = f"<html><head><title>第{n}号园区项目</title></head><body><h1>第{n}号园区项目</h1>"
        page += f"<div>发布时间：2025-02-27 09:00</div><div class='content'>{text}</div></body></html>"
        (folder / "content").mkdir()
        (folder / "content" / f"post_{n}.html").write_text(page, encoding="utf-8")


def memory(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of a process, MB."""
    status = Path(f"/proc/{pid}/status").read_text()
    fields = (line.partition(":") for line in status.splitlines())
    found = {k: float(v.split()[0]) / 1024 for k, _, v in fields if k in ("VmRSS", "VmHWM")}
    return found["VmRSS"], found["VmHWM"]


def daemon_memory(sections: int, schedule: str) -> None:
    from bench.bench_crawl import SiteServer
    from bench.bench_replicas import start_replica, write_config

    with tempfile.TemporaryDirectory(prefix="bench_health_daemon_") as tmp:
        folder = Path(tmp)
        write_site(folder / "site", sections)
        with SiteServer(folder / "site") as site:
            database = f"sqlite:///{folder / 'watcher.db'}"
            sources = [
                {"name": f"s{n}", "start_urls": [f"{site.base}/s{n}/index.html"], "schedule": schedule}
                for n in range(sections)
            ]
            settings = {
                "database_url": database,
                "storage_dir": str(folder),
                "lexicon_dir": str(LEXICON),
                "fetch": {"retries": 0, "politeness": {"min_delay_s": 0, "per_host_concurrency": 16}},
                "daemon": {"jitter_s": 0},
                "sources": sources,
            }
            config = write_config(folder / "watcher.toml", settings)
            Store.open(database).close()  # the schema, before the daemon and the polling here
            proc = start_replica(config, folder / "daemon.log")
            try:
                for round_no in (1, 2):
                    runs_done = _wait_runs(database, sections * round_no, proc)
                    rss, peak = memory(proc.pid)
                    with Store.open(database) as store:
                        stored, failed = len(store.articles()), store.crawl_totals()
                    failures = sum(t.runs_failed for t in failed.values())
                    print(
                        f"round {round_no}: {runs_done} runs finished ({failures} failed), {stored} articles "
                        f"stored; RSS {rss:.0f} MB, peak {peak:.0f} MB"
                    )
            finally:
                proc.terminate()
                proc.wait(timeout=60)


def _wait_runs(database: str, count: int, proc: Any) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(database)
    try:
        while True:
            with engine.connect() as conn:
                done = int(
                    conn.execute(
                        text("SELECT count(*) FROM crawl_runs WHERE finished_at IS NOT NULL")
                    ).scalar()
                    or 0
                )
            if done >= count or proc.poll() is not None:
                return done
            time.sleep(1)
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=lambda t: [int(n) for n in t.split(",")], default=[100, 1000])
    parser.add_argument("--runs", type=int, default=30, help="finished runs per source")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--postgres", metavar="URL")
    parser.add_argument("--daemon", type=int, metavar="N", help="`watcher run` with N sources: its memory")
    parser.add_argument("--schedule", default="2m", help="--daemon: each source's schedule")
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # the health events' log lines, one per source
    if args.daemon:
        daemon_memory(args.daemon, args.schedule)
        return
    small, large = args.sources
    with tempfile.TemporaryDirectory(prefix="bench_health_") as tmp:
        folder = Path(tmp)
        urls: dict[str, Callable[[int], str]] = {"sqlite": lambda n: f"sqlite:///{folder / f'health{n}.db'}"}
        if args.postgres:
            with postgres_schema(args.postgres) as fresh_small, postgres_schema(args.postgres) as fresh_large:
                pg = {small: fresh_small(), large: fresh_large()}
                measure("postgresql", {n: pg[n] for n in (small, large)}, folder, args)
        measure("sqlite", {n: urls["sqlite"](n) for n in (small, large)}, folder, args)


def measure(db: str, urls: dict[int, str], folder: Path, args: argparse.Namespace) -> None:
    apps = {n: make_app(url, folder, n) for n, url in urls.items()}
    try:
        for app in apps.values():
            fill(app, args.runs)
        small, large = sorted(apps)
        each: dict[int, list[float]] = {small: [], large: []}
        whole: dict[int, list[float]] = {small: [], large: []}
        for _ in range(args.rounds):
            for n in (small, large):
                one, full = round_cost(apps[n])
                each[n].append(one)
                whole[n].append(full)
        ratio = statistics.median(b / a for a, b in zip(each[small], each[large], strict=True))
        ratio_all = statistics.median(b / a for a, b in zip(whole[small], whole[large], strict=True))
        for n in (small, large):
            print(
                f"{db}: {n:>5} sources: {statistics.median(each[n]) * 1000:.2f} ms a source after its run, "
                f"{statistics.median(whole[n]) * 1000:.3f} ms a source in the all-sources check"
            )
        print(
            f"{db}: per source, {large} / {small} sources: {ratio:.2f}x after each run, {ratio_all:.2f}x all"
        )
    finally:
        for app in apps.values():
            app.close()


if __name__ == "__main__":
    main()
