"""What the daemon's health checks cost per source, with 100 sources and with 1,000, same run.

    .venv/bin/python bench/bench_health.py [--sources 100,1000] [--runs 30] [--rounds 3] [--postgres URL]

Each database (SQLite in a temporary folder; PostgreSQL in a schema of its own with --postgres) holds
N sources, each with --runs finished crawl runs (every fifth failed, the last two failed: a streak),
five stored articles and a raised source_failing, as a daemon leaves them after weeks. A round is what
`watcher run` does for N sources: after each source's run, `check_sources(app, names={source})`; plus
the all-sources check of the health job (which also prunes old runs). The peer is the same round with
the other N, interleaved; the figure is the median of per-round ratios of the cost per source.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from bench.bench_crawl import postgres_schema  # noqa: E402
from watcher.app import App, build_app  # noqa: E402
from watcher.config import Settings  # noqa: E402
from watcher.health import check_sources  # noqa: E402
from watcher.models import Article  # noqa: E402

NOW = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
LEXICON = ROOT / "config" / "lexicon"


def make_app(database_url: str, folder: Path, sources: int) -> App:
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
            "daemon": {"failing_after_runs": 2},
        }
    )
    return build_app(settings, clock=lambda: NOW)


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=lambda t: [int(n) for n in t.split(",")], default=[100, 1000])
    parser.add_argument("--runs", type=int, default=30, help="finished runs per source")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--postgres", metavar="URL")
    args = parser.parse_args()
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
