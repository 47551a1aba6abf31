"""Several `watcher run` replicas on one PostgreSQL database: articles per second for 1, 2 and 3 replicas,
as ratios to one, and the database round trips per crawled article.

    .venv/bin/python bench/bench_replicas.py [--postgres URL] [--articles 210] [--sections 6] [--rounds 3]
                                             [--replicas 1,2,3] [--json]

The site is bench_crawl.py's (GBK pages in the layout of tests/data/sites/gov, every story varied so
that no two are near-duplicates) split into --sections sections of its own, newzwgk/zwdt/jmyw1 …, each
with its listing pages index.html, index_1.html …; one source per section, all on one host. With one
source only one replica could crawl at a time (its run is leased): sections let the replicas share the
work. The server (tests.server.FixtureServer) runs in a child process.

Each round and replica count: a fresh schema (`watcher_bench_<random>`, dropped at the end), migrated,
and every source given a finished run one interval (1h) before T0, a moment a few seconds ahead, so
that every replica's first run of every source is due at T0, whenever its process finished starting.
Then N × `python -m watcher --config … run`, politeness off (no delay, 16 requests per host), digests
and channels off. Articles/s is the articles stored over (the newest `articles.first_seen` − T0): the
database's own record of when the last article was written, start-up not counted. The server is
asked what it served: every article page exactly once, or the bench stops.

Round trips: one replica's crawl jobs (`Daemon.crawl_job` for each source: the lease claimed and
released, the run, its health check) in this process into a fresh schema, with libpq's protocol trace on
every connection (`PGconn.trace`): each ReadyForQuery the server sends ends one round trip (a simple
query, or an extended-protocol Sync: BEGIN, COMMIT and the pool's ping after idle included). SQLAlchemy's
`before_cursor_execute` counts the statements beside them.

PostgreSQL: --postgres URL, else $WATCHER_TEST_POSTGRES_URL; any database the user may create schemas in.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.append(str(ROOT))  # after PYTHONPATH: scripts/bench puts the compiled build there

from sqlalchemy import Engine, Pool, create_engine, event, text  # noqa: E402

from bench.bench_crawl import (  # noqa: E402
    LEXICON,
    PER_PAGE,
    SECTION,
    SiteServer,
    Story,
    cpu_name,
    gov_article,
    gov_listing,
    listing_pages,
    make_story,
    postgres_schema,
    story_pool,
)
from watcher.app import build_app  # noqa: E402
from watcher.config import Settings  # noqa: E402
from watcher.daemon import Daemon  # noqa: E402
from watcher.store import Store  # noqa: E402
from watcher.store.db import parse_url  # noqa: E402

PG_ENV = "WATCHER_TEST_POSTGRES_URL"
IN_FLIGHT = 16
SCHEDULE_S = 3600
START_LEAD_S = 4.0  # T0 this far after the replicas are launched: time for N processes to start
DEADLINE_S = 180.0


# --- the site: sections of bench_crawl's articles ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Section:
    name: str  # the source's name
    path: str  # under the site root, no slashes around
    stories: tuple[Story, ...]

    @property
    def pages(self) -> int:
        return listing_pages(len(self.stories))

    def article_paths(self) -> list[str]:
        return [f"/{self.path}/content/{s.id}.html" for s in self.stories]

    def source(self, base: str, **extra: Any) -> dict[str, Any]:
        """The [[sources]] entry: its listing, every listing page followed."""
        url = f"{base}/{self.path}/index.html"
        return {"name": self.name, "start_urls": [url], "max_listing_pages": self.pages, **extra}


def write_section(root: Path, path: str, stories: tuple[Story, ...]) -> None:
    """One section as bench_crawl.write_site writes its one: listings 20 to a page, then the articles."""
    folder = root / path
    (folder / "content").mkdir(parents=True)
    pages = listing_pages(len(stories))
    for page in range(pages):
        chunk = stories[page * PER_PAGE : (page + 1) * PER_PAGE]
        name = "index.html" if page == 0 else f"index_{page}.html"
        (folder / name).write_bytes(gov_listing("jmyw", chunk, page, pages, False).encode("gbk"))
    for n, story in enumerate(stories):
        older = stories[n + 1] if n + 1 < len(stories) else None
        newer = stories[n - 1] if n > 0 else None
        page_html = gov_article("jmyw", story, older, newer)
        (folder / "content" / f"{story.id}.html").write_bytes(page_html.encode("gbk"))


def write_sections(root: Path, articles: int, sections: int, seed: int = 7) -> list[Section]:
    """`articles` articles dealt round-robin into `sections` sections (each spans the two months), and
    robots.txt; section n is at newzwgk/zwdt/jmyw<n>, its source named 江门要闻<n>."""
    rng = random.Random(seed)
    pool = story_pool()
    stories = [make_story(n, articles, pool, rng) for n in range(articles)]
    found = []
    for n in range(1, sections + 1):
        section = Section(f"江门要闻{n}", f"{SECTION}{n}", tuple(stories[n - 1 :: sections]))
        write_section(root, section.path, section.stories)
        found.append(section)
    (root / "robots.txt").write_text("User-agent: *\nDisallow: /private/\n")
    return found


# --- N replicas, each a `watcher run` process -----------------------------------------------------------


def toml_value(value: Any) -> str:
    """A TOML value for the few shapes a config here has: str, number, bool, list, inline table."""
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, ensure_ascii=False) if isinstance(value, str) else str(value)


def write_config(path: Path, settings: dict[str, Any]) -> Path:
    """A watcher.toml: top-level keys, then [tables], then [[arrays of tables]]."""
    arrays = {k: v for k, v in settings.items() if isinstance(v, list) and v and isinstance(v[0], dict)}
    tables = {k: v for k, v in settings.items() if isinstance(v, dict)}
    lines = [f"{k} = {toml_value(v)}" for k, v in settings.items() if k not in arrays and k not in tables]
    for name, table in tables.items():
        lines += ["", f"[{name}]", *(f"{k} = {toml_value(v)}" for k, v in table.items())]
    for name, items in arrays.items():
        for item in items:
            lines += ["", f"[[{name}]]", *(f"{k} = {toml_value(v)}" for k, v in item.items())]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def bench_settings(database: str, folder: Path, base: str, sections: list[Section]) -> dict[str, Any]:
    """Politeness off, no channels, no digests; each section a source every SCHEDULE_S."""
    polite = {"min_delay_s": 0, "per_host_concurrency": IN_FLIGHT}
    return {
        "database_url": database,
        "storage_dir": str(folder),
        "lexicon_dir": str(LEXICON),
        "fetch": {"retries": 0, "global_concurrency": IN_FLIGHT, "politeness": polite},
        "daemon": {"jitter_s": 0, "lease_s": 60, "deliver_every_s": 3600, "shutdown_timeout_s": 10},
        "digests": {"enabled": False},
        "sources": [s.source(base, schedule=f"{SCHEDULE_S // 3600}h") for s in sections],
    }


def seed_runs(database: str, names: list[str], at: datetime) -> None:
    """Migrate, and give every source a finished run at `at`: its next run is due one interval later."""
    store = Store.open(database)
    try:
        for name in names:
            source_id = store.ensure_source(name, region=None, outlet=None)
            store.finish_run(store.start_run(source_id, at), finished_at=at, stats={}, error=None)
    finally:
        store.close()


def start_replica(config: Path, log: Path) -> subprocess.Popen[bytes]:
    """`python -m watcher --config … run`, its log in `log`; WATCHER_ variables left out."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WATCHER_")} | {"PYTHONPATH": str(ROOT)}
    with log.open("ab") as stderr:
        command = [sys.executable, "-m", "watcher", "--config", str(config), "run"]
        return subprocess.Popen(command, cwd=config.parent, env=env, stdout=subprocess.DEVNULL, stderr=stderr)


@contextmanager
def running(config: Path, logs: list[Path]) -> Iterator[list[subprocess.Popen[bytes]]]:
    """One replica per log; SIGTERM at the end, SIGKILL for one that does not stop."""
    procs: list[subprocess.Popen[bytes]] = []
    try:
        procs.extend(start_replica(config, log) for log in logs)
        yield procs
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def scalar(engine: Engine, sql: str) -> Any:
    with engine.connect() as conn:
        return conn.execute(text(sql)).scalar()


def wait_until_stored(
    engine: Engine, total: int, procs: list[subprocess.Popen[bytes]], logs: list[Path]
) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while scalar(engine, "SELECT count(*) FROM articles") < total:
        for proc, log in zip(procs, logs, strict=True):
            if proc.poll() is not None:
                raise SystemExit(
                    f"a replica exited ({proc.returncode}):\n{log.read_text(encoding='utf-8')[-2000:]}"
                )
        if time.monotonic() > deadline:
            raise SystemExit(f"not every article stored within {DEADLINE_S:.0f} s")
        time.sleep(0.05)


def check_fetched_once(asked: list[str], sections: list[Section]) -> None:
    """Every article page asked for exactly once, whichever replica asked: else the figures mean nothing."""
    wanted = {p for s in sections for p in s.article_paths()}
    articles = [p for p in asked if p in wanted]
    if len(articles) != len(wanted) or set(articles) != wanted:
        raise SystemExit(f"{len(articles)} article requests for {len(wanted)} articles: some asked twice")


@dataclass(frozen=True, slots=True)
class ReplicaRun:
    replicas: int
    wall_s: float  # T0 → the newest articles.first_seen
    articles: int
    facts: int
    runs: list[int]  # runs that stored new articles, per replica (their log lines)
    late: int  # replicas whose scheduler was not started at T0 (they joined later)


def measure(n: int, database: str, folder: Path, site: SiteServer, sections: list[Section]) -> ReplicaRun:
    """N replicas crawl the whole site, every first run due at T0."""
    folder.mkdir()
    config = write_config(folder / "watcher.toml", bench_settings(database, folder, site.base, sections))
    t0 = datetime.now(UTC) + timedelta(seconds=START_LEAD_S)
    seed_runs(database, [s.name for s in sections], t0 - timedelta(seconds=SCHEDULE_S))
    logs = [folder / f"replica{i}.log" for i in range(1, n + 1)]
    engine = create_engine(parse_url(database))
    total = sum(len(s.stories) for s in sections)
    site.asked()
    try:
        with running(config, logs) as procs:
            time.sleep(max(0.0, (t0 - datetime.now(UTC)).total_seconds()))
            late = sum("Enabled sources" not in log.read_text(encoding="utf-8") for log in logs)
            wait_until_stored(engine, total, procs, logs)
        newest, facts = (
            scalar(engine, "SELECT max(first_seen) FROM articles"),
            scalar(engine, "SELECT count(*) FROM facts"),
        )
    finally:
        engine.dispose()
    check_fetched_once(site.asked(), sections)
    runs = [
        len(re.findall(r": ok listings .*, [1-9]\d* new,", log.read_text(encoding="utf-8"))) for log in logs
    ]
    return ReplicaRun(n, (newest - t0).total_seconds(), total, facts, runs, late)


# --- database round trips: one replica's crawl jobs, traced -----------------------------------------------


@dataclass(frozen=True, slots=True)
class RoundTrips:
    articles: int
    runs: int  # crawl jobs: a lease claimed and released, the run, its health check
    round_trips: int  # ReadyForQuery messages in the libpq traces: one per query or Sync
    transaction_control: int  # of those, BEGIN / COMMIT / ROLLBACK
    pings: int  # and the pool's ping of a connection idle 10 s (psycopg sends ";")
    statements: int  # SQLAlchemy before_cursor_execute
    commits: int  # SQLAlchemy commit events


@dataclass
class Tracer:
    """libpq's protocol trace on every new PostgreSQL connection, and SQLAlchemy's statement count."""

    folder: Path
    statements: int = 0
    commits: int = 0
    connections: list[Any] = field(default_factory=list)

    def connected(self, dbapi_connection: Any, _record: Any) -> None:
        handle = (self.folder / f"connection{len(self.connections)}.trace").open("w")
        dbapi_connection.pgconn.trace(handle.fileno())
        self.connections.append((dbapi_connection, handle))

    def executed(self, *_args: Any) -> None:
        self.statements += 1

    def committed(self, _connection: Any) -> None:
        self.commits += 1

    def finish(self, articles: int, runs: int) -> RoundTrips:
        """Stop tracing (libpq flushes the trace) and count what the traces and the events saw."""
        for dbapi_connection, handle in self.connections:
            if not dbapi_connection.closed:
                dbapi_connection.pgconn.untrace()
            handle.close()
        lines = [line for path in self.folder.glob("*.trace") for line in path.read_text().splitlines()]
        control = sum(bool(_CONTROL.search(line)) for line in lines)
        pings = sum(bool(_PING.search(line)) for line in lines)
        trips = sum("\tB\t5\tReadyForQuery\t" in line for line in lines)
        return RoundTrips(articles, runs, trips, control, pings, self.statements, self.commits)


_CONTROL = re.compile(r'\tF\t\d+\tQuery\t "(BEGIN|COMMIT|ROLLBACK)"$')
_PING = re.compile(r'\tF\t\d+\tQuery\t ";"$')


@contextmanager
def tracing(folder: Path) -> Iterator[Tracer]:
    folder.mkdir()
    tracer = Tracer(folder)
    hooks: list[tuple[Any, str, Callable[..., None]]] = [
        (Pool, "connect", tracer.connected),
        (Engine, "before_cursor_execute", tracer.executed),
        (Engine, "commit", tracer.committed),
    ]
    for target, name, hook in hooks:
        event.listen(target, name, hook)
    try:
        yield tracer
    finally:
        for target, name, hook in hooks:
            event.remove(target, name, hook)


def count_round_trips(database: str, folder: Path, base: str, sections: list[Section]) -> RoundTrips:
    """Each source's crawl job once, in this process, as one replica runs them, every connection traced."""
    folder.mkdir()
    Store.open(database).close()  # the migrations are not the crawl's
    app = build_app(Settings.model_validate(bench_settings(database, folder, base, sections)))
    daemon = Daemon(app)

    async def crawl_jobs() -> None:
        for section in sections:
            await daemon.crawl_job(section.name)

    try:
        with tracing(folder / "traces") as tracer:
            asyncio.run(crawl_jobs())
            counted = tracer.finish(articles=0, runs=len(sections))
        return replace(counted, articles=len(app.store.articles()))
    finally:
        app.close()


# --- rounds and the report ------------------------------------------------------------------------------


def run_rounds(
    args: argparse.Namespace, work: Path, site: SiteServer, sections: list[Section]
) -> dict[int, list[ReplicaRun]]:
    """Each round measures every replica count once, in turn, each in a fresh schema."""
    found: dict[int, list[ReplicaRun]] = {n: [] for n in args.replicas}
    with postgres_schema(args.postgres) as fresh:
        for round_no in range(args.rounds):
            for n in args.replicas:
                run = measure(n, fresh(), work / f"round{round_no}-{n}", site, sections)
                found[n].append(run)
                print(f"round {round_no + 1}: {n} replica(s) {run.wall_s:.2f} s", file=sys.stderr)
    return found


def replica_figures(runs: list[ReplicaRun], one: list[ReplicaRun] | None) -> dict[str, Any]:
    """Medians of the rounds; the ratio to one replica is the median of the per-round ratios (each
    round's one-replica wall time over this count's, measured side by side)."""
    wall_s = statistics.median(r.wall_s for r in runs)
    per_round = [a.wall_s / b.wall_s for a, b in zip(one, runs, strict=True)] if one else []
    return {
        "wall_s": wall_s,
        "articles_per_s": runs[0].articles / wall_s,
        "ratio_to_one": statistics.median(per_round) if per_round else None,
        "ratio_per_round": per_round,
        "wall_s_each": [r.wall_s for r in runs],
        "runs_by_replica": [r.runs for r in runs],
        "late_starts": sum(r.late for r in runs),
        "facts": runs[-1].facts,
    }


def report(
    args: argparse.Namespace, sections: list[Section], runs: dict[int, list[ReplicaRun]], trips: RoundTrips
) -> dict[str, Any]:
    one = runs.get(1)
    return {
        "date": date.today().isoformat(),
        "python": platform.python_version(),
        "machine": cpu_name(),
        "cores": os.cpu_count(),
        "postgres": server_version(args.postgres),
        "site": {
            "articles": sections_total(sections),
            "sections": len(sections),
            "per_section": len(sections[0].stories),
        },
        "rounds": args.rounds,
        "replicas": {str(n): replica_figures(found, one) for n, found in runs.items()},
        "round_trips": round_trip_figures(trips),
    }


def round_trip_figures(trips: RoundTrips) -> dict[str, Any]:
    """The counts, and per article: all round trips, then the statements', BEGIN/COMMIT's, pings'."""
    per = trips.articles
    statements = trips.round_trips - trips.transaction_control - trips.pings
    return {
        **asdict(trips),
        "per_article": trips.round_trips / per,
        "statement_round_trips_per_article": statements / per,
        "transaction_control_per_article": trips.transaction_control / per,
        "pings_per_article": trips.pings / per,
        "sqlalchemy_statements_per_article": trips.statements / per,
        "transactions_per_article": trips.commits / per,
    }


def sections_total(sections: list[Section]) -> int:
    return sum(len(s.stories) for s in sections)


def server_version(url: str) -> str:
    engine = create_engine(parse_url(url))
    try:
        return str(scalar(engine, "SHOW server_version"))
    finally:
        engine.dispose()


def print_table(result: dict[str, Any]) -> None:
    site, rounds = result["site"], result["rounds"]
    sections = f"{site['sections']} sections of {site['per_section']}, one source each, one host"
    print(f"site    {site['articles']} articles in {sections}")
    print(
        f"machine {result['machine']}, {result['cores']} cores, Python {result['python']}, {result['date']}"
    )
    print(f"        PostgreSQL {result['postgres']} on the same machine")
    print(
        f"timing  T0 → last article stored, median of {rounds} rounds; politeness off, {IN_FLIGHT} in flight;"
        " ratio: the median of per-round ratios"
    )
    print(
        f"\n{'replicas':>8} {'wall s':>7} {'articles/s':>10} {'ratio':>6}  runs storing articles, by replica"
    )
    for n, r in result["replicas"].items():
        ratio = f"{r['ratio_to_one']:.2f}x" if r["ratio_to_one"] else ""
        print(f"{n:>8} {r['wall_s']:7.2f} {r['articles_per_s']:10.1f} {ratio:>6}  {r['runs_by_replica']}")
    for n, r in result["replicas"].items():
        if n != "1" and r["ratio_per_round"]:
            print(f"{n} replicas / 1, each round: {', '.join(f'{x:.2f}x' for x in r['ratio_per_round'])}")
    t = result["round_trips"]
    traced = f"libpq trace of one replica's {t['runs']} crawl jobs, {t['articles']} articles"
    print(f"\ndatabase round trips per crawled article: {t['per_article']:.1f} ({traced})")
    print(
        f"  statements {t['statement_round_trips_per_article']:.1f}, "
        f"BEGIN + COMMIT {t['transaction_control_per_article']:.1f}, "
        f"pool pings {t['pings_per_article']:.1f}; "
        f"{t['transactions_per_article']:.1f} transactions an article"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--postgres", metavar="URL", default=os.environ.get(PG_ENV), help=f"default: ${PG_ENV}"
    )
    parser.add_argument("--articles", type=int, default=210)
    parser.add_argument("--sections", type=int, default=6, help="one source each")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--replicas", type=lambda text: [int(n) for n in text.split(",")], default=[1, 2, 3])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    args = parser.parse_args()
    if not args.postgres:
        parser.error(f"needs PostgreSQL: --postgres URL or ${PG_ENV}")
    with tempfile.TemporaryDirectory(prefix="bench_replicas_") as tmp:
        work = Path(tmp)
        sections = write_sections(work / "site", args.articles, args.sections, args.seed)
        with SiteServer(work / "site") as site:
            runs = run_rounds(args, work, site, sections)
            with postgres_schema(args.postgres) as fresh:
                trips = count_round_trips(fresh(), work / "round-trips", site.base, sections)
        result = report(args, sections, runs, trips)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        print_table(result)


if __name__ == "__main__":
    main()
