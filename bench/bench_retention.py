"""What the retention of health episodes buys: a source's health check after two years of weekly flapping,
unpruned against pruned (daemon.keep_health_days, default 90), same run; and what a prune costs.

    .venv/bin/python bench/bench_retention.py [--sources 100] [--weeks 104] [--rounds 5] [--postgres URL]

Two databases with one history (SQLite in a temporary folder; PostgreSQL in schemas of their own with
--postgres): N sources, each failing and recovering once a week for --weeks weeks (a source_failing and
a source_recovered a week, their alerts sent), healthy now. One is pruned once (timed: the first prune
deletes nearly all of it). Then rounds, interleaved, of what `watcher run` does after each source's run,
`check_sources(app, names={source})` (it reads the source's health changes to know what is open), on
both; the figure is the median of per-round ratios. Last, a prune with nothing to do, timed on the pruned
database and on the unpruned one (where its cutoff is set before the oldest episode).
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
sys.path.append(str(ROOT))  # after PYTHONPATH: scripts/bench puts the compiled build there

from bench import bench_health  # noqa: E402
from bench.bench_crawl import postgres_schema  # noqa: E402
from watcher.app import App  # noqa: E402
from watcher.health import SourceEvent, check_sources  # noqa: E402
from watcher.models import Article  # noqa: E402

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
WEEK = timedelta(days=7)
KEEP_DAYS = 90.0


def make_app(database_url: str, folder: Path, sources: int) -> App:
    return bench_health.make_app(
        database_url, folder, sources, daemon={"keep_health_days": KEEP_DAYS}, now=NOW
    )


def _event(kind: str, source: str, week: int) -> SourceEvent:
    value = 0.0 if kind == "source_recovered" else 2.0
    zh, en = f"信息源「{source}」{kind}", f"Source {source}: {kind}"
    return SourceEvent(kind, source, "failing", str(week), value, "http://127.0.0.1:9/", zh, en, "HTTP 503")


def fill(app: App, weeks: int) -> None:
    """Every source: a failing episode a week for `weeks` weeks, each recovered a day later, alerts sent;
    a good run and a fresh article now (healthy, not quiet)."""
    store = app.store
    for spec in app.settings.sources:
        source_id = store.ensure_source(spec.name, region=None, outlet=None)
        with store.transaction():
            for week in range(weeks):
                opened = NOW - (weeks - week) * WEEK
                closed = opened + timedelta(days=1)
                for kind, at in (("source_failing", opened), ("source_recovered", closed)):
                    event = _event(kind, spec.name, week)
                    store.record_health_change(
                        key=event.key,
                        kind=kind,
                        subject=spec.name,
                        summary_zh=event.summary_zh,
                        summary_en=event.summary_en,
                        new=event.new(at.date().isoformat()),
                        created_at=at,
                        channels=["ops"],
                    )
            run_id = store.start_run(source_id, NOW - timedelta(hours=1))
            store.finish_run(run_id, finished_at=NOW - timedelta(hours=1), stats={"new": 1}, error=None)
            url = f"{spec.start_urls[0]}1.html"
            article = Article(url, f"{spec.name}的新文章，介绍本地产业发展情况。" * 8)
            store.save_article(source_id=source_id, url=url, article=article, raw=b"", fetched_at=NOW)
    with store._engine.begin() as conn:  # the alerts went out long ago (bench set-up only)
        conn.execute(text("UPDATE deliveries SET status = 'sent', sent_at = created_at, attempts = 1"))


def checks_per_source(app: App) -> float:
    """Seconds per source: the check after each source's run."""
    names = [s.name for s in app.settings.sources]
    start = time.perf_counter()
    for name in names:
        assert check_sources(app, now=NOW, names={name}) == []
    return (time.perf_counter() - start) / len(names)


def timed(call: object) -> float:
    start = time.perf_counter()
    call()  # type: ignore[operator]
    return time.perf_counter() - start


def measure(db: str, urls: tuple[str, str], folder: Path, args: argparse.Namespace) -> None:
    kept, pruned = (make_app(url, folder, args.sources) for url in urls)
    try:
        for app in (kept, pruned):
            fill(app, args.weeks)
        changes = sum(kept.store.change_counts().values())
        cutoff = NOW - timedelta(days=KEEP_DAYS)
        start = time.perf_counter()
        deleted = pruned.store.prune_health(cutoff)
        first = time.perf_counter() - start
        assert pruned.store.change_counts() == kept.store.change_counts()
        assert pruned.store.delivery_counts() == kept.store.delivery_counts()
        print(
            f"{db}: {args.sources} sources × {args.weeks} weeks: {changes} health changes; the first prune "
            f"deleted {deleted} in {first:.2f} s, counts unchanged"
        )
        costs: dict[str, list[float]] = {"kept": [], "pruned": []}
        for _ in range(args.rounds):
            costs["kept"].append(checks_per_source(kept))
            costs["pruned"].append(checks_per_source(pruned))
        ratio = statistics.median(a / b for a, b in zip(costs["kept"], costs["pruned"], strict=True))
        for name, values in costs.items():
            print(f"{db}: check after a source's run, {name:>6}: {statistics.median(values) * 1000:.2f} ms")
        print(f"{db}: unpruned / pruned: {ratio:.2f}x (median of {args.rounds} interleaved rounds)")
        oldest = NOW - (args.weeks + 1) * WEEK
        idle = {"pruned": [], "unpruned": []}
        for _ in range(args.rounds * 4):
            idle["pruned"].append(timed(lambda: pruned.store.prune_health(cutoff)))
            idle["unpruned"].append(timed(lambda: kept.store.prune_health(oldest)))
        print(
            f"{db}: a prune with nothing to do: {statistics.median(idle['pruned']) * 1000:.2f} ms (pruned), "
            f"{statistics.median(idle['unpruned']) * 1000:.2f} ms (unpruned, {changes} changes)"
        )
    finally:
        kept.close()
        pruned.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, default=100)
    parser.add_argument("--weeks", type=int, default=104)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--postgres", metavar="URL")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="bench_retention_") as tmp:
        folder = Path(tmp)
        if args.postgres:
            with postgres_schema(args.postgres) as fresh_kept, postgres_schema(args.postgres) as fresh_pruned:
                measure("postgresql", (fresh_kept(), fresh_pruned()), folder, args)
        urls = (f"sqlite:///{folder / 'kept.db'}", f"sqlite:///{folder / 'pruned.db'}")
        measure("sqlite", urls, folder, args)


if __name__ == "__main__":
    main()
