"""A whole first crawl of a 220-article gov site against plain GETs of the same article pages, same run.

    .venv/bin/python bench/bench_crawl.py [--articles 220] [--rounds 3] [--json] [--postgres URL]
    .venv/bin/python bench/bench_crawl.py --profile      # one crawl under cProfile, top functions

A site in the layout of tests/data/sites/gov (江门市人民政府: GBK pages declaring gb2312, the templates
of tests/data/sites/generate.py) is written to a temporary directory: --articles 江门要闻 articles, each
a story of tests/data/sites/texts.py with its figures, dates and places changed and a paragraph of each
of 3–6 other stories added, so that no two are near-duplicates; listed 20 to a page on index.html,
index_1.html … (the source's max_listing_pages is set to their number). tests.server.FixtureServer
serves it from a child process, so the server's CPU is not counted. Each round, 16 requests in flight:

  crawl    watcher's App.crawl of the section into a fresh SQLite database, politeness off (no delay,
           16 per host; robots.txt read): listing pages, every article fetched, decoded, parsed, its
           facts extracted and stored. The schema is created before the clock starts.
  again    the same App crawls once more: what the server was asked, how long it took.
  httpx    plain GETs of the same article URLs with an httpx.AsyncClient (its own transport).
  aiohttp  the same through watcher.fetch.transport.make_transport("aiohttp").

Figures are medians of --rounds rounds (the peers, warmed up on 20 pages first, make three passes a
round, each with a new client, and their median is over all passes); CPU is this process's
time.process_time(), GC left on (a crawl runs with it). --postgres URL repeats crawl and again in a
schema of its own on that server, emptied each round and dropped at the end. Loopback only: nothing
leaves the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import platform
import random
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dt_time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, create_engine, event, text

ROOT = Path(__file__).resolve().parent.parent
SITES = ROOT / "tests" / "data" / "sites"
# tests.server; generate.py imports texts.py as a top-level module. Appended, not prepended: the build
# on PYTHONPATH (scripts/bench: the compiled wheel) must come before the checkout's sources
sys.path += [str(ROOT), str(SITES)]

from generate import gov_article, gov_listing  # noqa: E402
from texts import EPAPER, FGJ, JMYW, PORTAL, TJJ, Story  # noqa: E402

from tests import server as fixture_server  # noqa: E402
from tests.server import FixtureServer  # noqa: E402
from watcher.app import App, build_app  # noqa: E402
from watcher.config import Settings, SourceSpec  # noqa: E402
from watcher.extract import COMPILED  # noqa: E402
from watcher.fetch.client import Fetcher, FetchResult  # noqa: E402
from watcher.fetch.transport import make_transport  # noqa: E402
from watcher.ingest import Ingest  # noqa: E402
from watcher.models import Validators  # noqa: E402
from watcher.pipeline import Crawl, CrawlSummary  # noqa: E402
from watcher.store import neardup  # noqa: E402
from watcher.store.db import parse_url  # noqa: E402

LEXICON = ROOT / "config" / "lexicon"
SECTION = "newzwgk/zwdt/jmyw"
PER_PAGE = 20
IN_FLIGHT = 16
PEER_PASSES = 3  # a pass of the peers takes a tenth of a second: three a round, each a new client
WARM_UP = 20  # pages each plain-GET peer fetches untimed before the rounds
NEWEST = datetime(2023, 8, 21, 9, 0)
SPAN_DAYS = 60  # the articles' dates: two months up to NEWEST
TODAY = datetime(2023, 8, 22, 9, 0, tzinfo=UTC)
FIRST_ID = 3_100_000  # post ids count down from here, 7 apart, clear of the fixture site's

GROUPS = (("蓬江", "江海", "新会"), ("台山", "开平", "鹤山", "恩平"))  # …区 and …市: swapped within a group
_PLACE = re.compile("|".join(name for group in GROUPS for name in group))
_MONTH_DAY = re.compile(r"\d{1,2}月\d{1,2}日")
# a figure, not a year, month, day, ordinal, range end, thousands group or model name (5G)
_FIGURE = re.compile(r"(?<![\d.,第])\d+(?:\.\d+)?(?![\d.,]|个月|[年月日号时—－至A-Za-z])")
_CELL_TEXT = re.compile(r">([^<]+)<")


# --- the site ---------------------------------------------------------------------------------------


@dataclass
class Variation:
    """One article's changes: figures scaled (alike wherever repeated), places swapped, dates moved."""

    rng: random.Random
    places: dict[str, str]
    event_day: str  # every 8月16日 of the story becomes this, the day before publication
    figures: dict[str, str] = field(default_factory=dict)

    def apply(self, text: str) -> str:
        text = _MONTH_DAY.sub(self.event_day, text)
        text = _PLACE.sub(lambda m: self.places[m.group()], text)
        return _FIGURE.sub(self._figure, text)

    def apply_html(self, html: str) -> str:
        """Text between tags only: attributes (colspan="2") stay as they are."""
        return _CELL_TEXT.sub(lambda m: ">" + self.apply(m.group(1)) + "<", html)

    def _figure(self, match: re.Match[str]) -> str:
        figure = match.group()
        if figure not in self.figures:
            factor = self.rng.uniform(0.6, 1.7)
            decimals = figure.partition(".")[2]
            value = float(figure) * factor
            self.figures[figure] = f"{value:.{len(decimals)}f}" if decimals else str(max(2, round(value)))
        return self.figures[figure]


def story_pool() -> list[Story]:
    """Every story of the fixture sites that has paragraphs of its own."""
    papers = [story for pages in EPAPER.values() for _, _, stories in pages for story in stories]
    return [story for story in (*JMYW, *FGJ, *TJJ, *papers, *PORTAL) if story.paragraphs]


def variation_for(published: datetime, rng: random.Random) -> Variation:
    places = {
        name: new for group in GROUPS for name, new in zip(group, rng.sample(group, len(group)), strict=True)
    }
    day = published - timedelta(days=1)
    return Variation(rng, places, f"{day.month}月{day.day}日")


def make_story(n: int, count: int, pool: list[Story], rng: random.Random) -> Story:
    """Article n (0 the newest): story n of the pool, varied, and a paragraph of each of 3–6 other stories;
    published over the SPAN_DAYS days up to NEWEST."""
    base = pool[n % len(pool)]
    day = NEWEST.date() - timedelta(days=n * SPAN_DAYS // count)
    published = datetime.combine(day, dt_time(rng.randint(8, 18), rng.randrange(0, 60, 5)))
    others = rng.sample([s for s in pool if s is not base], rng.randint(3, 6))
    extras = [rng.choice(other.paragraphs) for other in others]
    change = variation_for(published, rng)
    return Story(
        id=f"post_{FIRST_ID - 7 * n}",
        published=published.strftime("%Y-%m-%d %H:%M"),
        title=change.apply(base.title),
        source=change.apply(base.source),
        paragraphs=tuple(change.apply(p) for p in (*base.paragraphs, *extras)),
        extra_html=change.apply_html(base.extra_html),
    )


def write_site(root: Path, count: int, seed: int) -> list[Story]:
    """The 江门要闻 section with `count` articles, newest first, and robots.txt; GBK like the fixture."""
    rng = random.Random(seed)
    pool = story_pool()
    stories = [make_story(n, count, pool, rng) for n in range(count)]
    pages = listing_pages(count)
    section = root / SECTION
    (section / "content").mkdir(parents=True)
    for page in range(pages):
        chunk = tuple(stories[page * PER_PAGE : (page + 1) * PER_PAGE])
        name = "index.html" if page == 0 else f"index_{page}.html"
        (section / name).write_bytes(gov_listing("jmyw", chunk, page, pages, False).encode("gbk"))
    for n, story in enumerate(stories):
        older = stories[n + 1] if n + 1 < count else None
        newer = stories[n - 1] if n > 0 else None
        page = gov_article("jmyw", story, older, newer)
        (section / "content" / f"{story.id}.html").write_bytes(page.encode("gbk"))
    (root / "robots.txt").write_text("User-agent: *\nDisallow: /private/\n")
    return stories


def listing_pages(count: int) -> int:
    return -(-count // PER_PAGE)


def closest_pair_bits(stories: list[Story]) -> int:
    """The fewest SimHash bits between two articles' texts (the store links texts ≤ 7 bits apart)."""
    signatures = [neardup.signature("\n".join(s.paragraphs)) for s in stories]
    known = [sig for sig in signatures if sig is not None]
    return min(
        (neardup.distance(a, b) for i, a in enumerate(known) for b in known[i + 1 :]), default=neardup.BITS
    )


# --- the server, in a child process -----------------------------------------------------------------


def serve(root: Path) -> None:
    """Child process: FixtureServer on `root`; prints its port, then answers each line read from stdin
    with the JSON list of the paths asked since the previous line; stops when stdin closes."""
    # FixtureServer listens with socketserver's backlog of 5: of 16 connections opened at once, some have
    # their SYN dropped and retried a second later, a second that would be in every figure here.
    fixture_server._HTTPServer.request_queue_size = 128
    with FixtureServer(root=root) as server:
        print(server.host.rpartition(":")[2], flush=True)
        told = 0
        for _ in sys.stdin:
            paths = [r.path for r in server.requests[told:]]
            told += len(paths)
            print(json.dumps(paths), flush=True)


class SiteServer:
    """`with SiteServer(root) as site:` site.base, and site.asked() → paths requested since the last call."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.base = ""
        self._child: subprocess.Popen[str] | None = None

    def __enter__(self) -> SiteServer:
        self._child = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(self.root)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.base = f"http://127.0.0.1:{int(self._pipes()[1].readline())}"
        return self

    def __exit__(self, *exc_info: object) -> None:
        assert self._child is not None
        self._pipes()[0].close()
        self._child.wait(timeout=10)

    def _pipes(self) -> tuple[Any, Any]:
        assert self._child is not None and self._child.stdin and self._child.stdout
        return self._child.stdin, self._child.stdout

    def asked(self) -> list[str]:
        stdin, stdout = self._pipes()
        stdin.write("\n")
        stdin.flush()
        return list(json.loads(stdout.readline()))


# --- measuring ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CrawlRun:
    setup_s: float  # opening the fresh database (schema created): not in wall_s
    wall_s: float
    cpu_s: float
    articles: int  # new articles stored
    facts: int
    listing_pages: int
    requests: int  # what the server was asked, robots.txt included
    errors: int
    near_duplicates: int
    statements: int  # SQL statements sent (an executemany counts once)
    transactions: int  # commits


@dataclass(frozen=True, slots=True)
class AgainRun:
    wall_s: float
    cpu_s: float
    requests: list[str]  # paths the server was asked
    listing_not_modified: int
    new: int


@dataclass(frozen=True, slots=True)
class GetRun:
    wall_s: float
    cpu_s: float
    pages: int
    bytes: int


def settings_for(base: str, database_url: str, storage: Path, pages: int) -> Settings:
    source = {"name": "江门要闻", "start_urls": [f"{base}/{SECTION}/index.html"], "max_listing_pages": pages}
    polite = {"min_delay_s": 0, "per_host_concurrency": IN_FLIGHT}
    fetch = {"retries": 0, "global_concurrency": IN_FLIGHT, "politeness": polite}
    return Settings.model_validate(
        {
            "database_url": database_url,
            "storage_dir": str(storage),
            "lexicon_dir": str(LEXICON),
            "sources": [source],
            "fetch": fetch,
        }
    )


def timed_crawl(app: App) -> tuple[CrawlSummary, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    (summary,) = asyncio.run(app.crawl(app.settings.sources))
    return summary, time.perf_counter() - wall, time.process_time() - cpu


def open_store(app: App) -> float:
    """Seconds to open the fresh database (schema created, migrations run), kept out of the crawl's time."""
    start = time.perf_counter()
    _ = app.store  # opened on first use
    return time.perf_counter() - start


@contextmanager
def counted(engine: Engine) -> Iterator[Counter[str]]:
    """Statements and commits the engine sends meanwhile."""
    seen: Counter[str] = Counter()

    def statement(*_: object) -> None:
        seen["statements"] += 1

    def commit(*_: object) -> None:
        seen["transactions"] += 1

    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine, "commit", commit)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(engine, "commit", commit)


def first_crawl(app: App, site: SiteServer, expected: int) -> CrawlRun:
    setup_s = open_store(app)
    site.asked()
    with counted(app.store._engine) as sent:
        summary, wall_s, cpu_s = timed_crawl(app)
    if summary.error or summary.errors or summary.new != expected:
        raise SystemExit(f"the crawl went wrong: {summary.line()} {summary.failures[:3]}")
    return CrawlRun(
        setup_s=setup_s,
        wall_s=wall_s,
        cpu_s=cpu_s,
        articles=summary.new,
        facts=summary.facts,
        listing_pages=summary.listing_fetched,
        requests=len(site.asked()),
        errors=summary.errors,
        near_duplicates=summary.near_duplicates,
        statements=sent["statements"],
        transactions=sent["transactions"],
    )


def second_crawl(app: App, site: SiteServer) -> AgainRun:
    site.asked()
    summary, wall_s, cpu_s = timed_crawl(app)
    return AgainRun(wall_s, cpu_s, site.asked(), summary.listing_not_modified, summary.new)


def make_app(site: SiteServer, database_url: str, storage: Path, count: int) -> App:
    return build_app(
        settings_for(site.base, database_url, storage, listing_pages(count)), clock=lambda: TODAY
    )


def crawl_round(site: SiteServer, database_url: str, storage: Path, count: int) -> tuple[CrawlRun, AgainRun]:
    app = make_app(site, database_url, storage, count)
    try:
        return first_crawl(app, site, count), second_crawl(app, site)
    finally:
        app.close()


def other_stories(count: int, seed: int) -> list[Story]:
    """`count` articles of the same kind as the site's, from other draws: what a store already holds."""
    rng, pool = random.Random(seed + 1), story_pool()
    return [make_story(n, count, pool, rng) for n in range(count)]


async def store_pages(app: App, stories: list[Story]) -> CrawlSummary:
    """Hand the stories' pages to the store side of a run of another source, as its fetcher would."""
    spec = SourceSpec(name="其他栏目", start_urls=["http://127.0.0.1:9/other/index.html"])
    summary = CrawlSummary(spec.name)
    async with Fetcher(app.settings.fetch) as fetcher:
        crawl = Crawl(spec, fetcher, app.store, app.extractor, app.settings.region, clock=lambda: TODAY)
        ingest = Ingest(crawl, app.store.ensure_source(spec.name, region=None, outlet=None), summary)
        for story in stories:
            url = f"http://127.0.0.1:9/other/content/{story.id}.html"
            body = gov_article("jmyw", story, None, None).encode("gbk")
            result = FetchResult(
                url, url, 200, body, "text/html; charset=gb2312", Validators(), False, 1, 0.0
            )
            await ingest.put(url, result)
        await ingest.finish()
    return summary


def prefill(site: SiteServer, work: Path, count: int, seed: int) -> Path:
    """A SQLite database holding `count` other articles, written once; each round crawls into a copy."""
    path = work / "prefilled.db"
    app = make_app(site, f"sqlite:///{path}", work, 1)
    try:
        summary = asyncio.run(store_pages(app, other_stories(count, seed)))
    finally:
        app.close()
    if summary.new != count:
        raise SystemExit(f"prefilling went wrong: {summary.line()}")
    return path


def prefilled_round(site: SiteServer, template: Path, n: int, work: Path, count: int) -> CrawlRun:
    path = work / f"round{n}_prefilled.db"
    shutil.copyfile(template, path)
    app = make_app(site, f"sqlite:///{path}", work, count)
    try:
        return first_crawl(app, site, count)
    finally:
        app.close()


TransportFactory = Callable[[], httpx.AsyncBaseTransport | None]
PEERS: dict[str, TransportFactory] = {
    "httpx": lambda: None,  # httpx.AsyncClient's own transport (httpcore + h11)
    "aiohttp": lambda: make_transport("aiohttp"),
}
PEER_NAMES = {"httpx": "plain GET, httpx (httpcore)", "aiohttp": "plain GET, httpx on aiohttp transport"}


async def get_all(urls: list[str], transport: httpx.AsyncBaseTransport | None) -> list[int]:
    """GET every URL, IN_FLIGHT at a time; the body sizes."""
    gate = asyncio.Semaphore(IN_FLIGHT)
    async with httpx.AsyncClient(transport=transport, trust_env=False) as client:

        async def one(url: str) -> int:
            async with gate:
                response = await client.get(url)
                response.raise_for_status()
                return len(response.content)

        return list(await asyncio.gather(*(one(url) for url in urls)))


def plain_gets(urls: list[str], factory: TransportFactory) -> GetRun:
    wall, cpu = time.perf_counter(), time.process_time()
    sizes = asyncio.run(get_all(urls, factory()))
    return GetRun(time.perf_counter() - wall, time.process_time() - cpu, len(sizes), sum(sizes))


@contextmanager
def postgres_schema(url: str) -> Iterator[Callable[[], str]]:
    """A schema of its own on that server (as tests/databases.py makes one): yields a function that
    empties it and returns a URL pointing there; the schema is dropped at the end."""
    admin = create_engine(parse_url(url))
    name = f"watcher_bench_{secrets.token_hex(4)}"

    def fresh() -> str:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
            conn.execute(text(f'CREATE SCHEMA "{name}"'))
        return parse_url(url).update_query_dict({"options": f"-csearch_path={name}"}).render_as_string(False)

    try:
        yield fresh
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        admin.dispose()


@contextmanager
def databases(work: Path, postgres: str | None) -> Iterator[dict[str, Callable[[int], str]]]:
    """Database name → a fresh database's URL for round n: SQLite files in `work`, and PostgreSQL."""
    found: dict[str, Callable[[int], str]] = {"sqlite": lambda n: f"sqlite:///{work / f'round{n}.db'}"}
    if postgres is None:
        yield found
        return
    with postgres_schema(postgres) as fresh:
        yield {**found, "postgresql": lambda n: fresh()}


@dataclass
class Samples:
    crawl: dict[str, list[CrawlRun]] = field(default_factory=dict)  # by database
    again: dict[str, list[AgainRun]] = field(default_factory=dict)
    gets: dict[str, list[GetRun]] = field(default_factory=dict)  # by peer


def run_rounds(site: SiteServer, work: Path, urls: list[str], args: argparse.Namespace) -> Samples:
    samples = Samples()
    for factory in PEERS.values():  # warm-up: the transports' code paths loaded and run once
        plain_gets(urls[:WARM_UP], factory)
    template = prefill(site, work, args.prefill, args.seed) if args.prefill else None
    with databases(work, args.postgres) as urls_of:
        for n in range(args.rounds):
            for db, database_url in urls_of.items():
                first, again = crawl_round(site, database_url(n), work, len(urls))
                samples.crawl.setdefault(db, []).append(first)
                samples.again.setdefault(db, []).append(again)
            if template is not None:
                prefilled = prefilled_round(site, template, n, work, len(urls))
                samples.crawl.setdefault(f"sqlite, {args.prefill:,} stored", []).append(prefilled)
            for peer, factory in PEERS.items():
                passes = [plain_gets(urls, factory) for _ in range(PEER_PASSES)]
                samples.gets.setdefault(peer, []).extend(passes)
    return samples


# --- reporting ----------------------------------------------------------------------------------------


def median_of(runs: list[Any], name: str) -> float:
    return statistics.median(getattr(run, name) for run in runs)


def crawl_figures(runs: list[CrawlRun]) -> dict[str, Any]:
    wall_s, last = median_of(runs, "wall_s"), runs[-1]
    return {
        "wall_s": wall_s,
        "cpu_s": median_of(runs, "cpu_s"),
        "setup_s": median_of(runs, "setup_s"),
        "articles": last.articles,
        "articles_per_s": last.articles / wall_s,
        "cpu_ms_per_article": median_of(runs, "cpu_s") * 1000 / last.articles,
        "facts": last.facts,
        "listing_pages": last.listing_pages,
        "requests": last.requests,
        "errors": sum(run.errors for run in runs),
        "near_duplicates": max(run.near_duplicates for run in runs),
        "statements": last.statements,
        "transactions": last.transactions,
        "wall_s_each": [run.wall_s for run in runs],
    }


def again_figures(runs: list[AgainRun]) -> dict[str, Any]:
    return {
        "wall_s": median_of(runs, "wall_s"),
        "cpu_s": median_of(runs, "cpu_s"),
        "requests": statistics.median(len(run.requests) for run in runs),
        "paths": runs[-1].requests,
        "listing_not_modified": runs[-1].listing_not_modified,
        "new": runs[-1].new,
    }


def get_figures(runs: list[GetRun]) -> dict[str, Any]:
    wall_s, last = median_of(runs, "wall_s"), runs[-1]
    return {
        "wall_s": wall_s,
        "cpu_s": median_of(runs, "cpu_s"),
        "pages": last.pages,
        "pages_per_s": last.pages / wall_s,
        "cpu_ms_per_page": median_of(runs, "cpu_s") * 1000 / last.pages,
        "mb": last.bytes / 1e6,
        "wall_s_each": [run.wall_s for run in runs],
    }


def describe_site(root: Path, stories: list[Story]) -> dict[str, Any]:
    pages = list((root / SECTION / "content").glob("*.html"))
    return {
        "articles": len(stories),
        "listing_pages": listing_pages(len(stories)),
        "mb": sum(page.stat().st_size for page in pages) / 1e6,
        "mean_text_chars": sum(len("".join(s.paragraphs)) for s in stories) / len(stories),
        "closest_simhash_bits": closest_pair_bits(stories),
        "seed_stories": len(story_pool()),
    }


def cpu_name() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    lines = cpuinfo.read_text(encoding="utf-8").splitlines() if cpuinfo.exists() else []
    names = [line.partition(":")[2].strip() for line in lines if line.startswith("model name")]
    return names[0] if names else f"{platform.machine()} {platform.system()}"


def round_ratios(samples: Samples) -> dict[str, float]:
    """Medians of per-round ratios: each crawl's articles/s over the peer's (its passes' median) in the
    same round, and each prefilled crawl's over the empty SQLite one's."""
    out: dict[str, float] = {}
    gets = {
        peer: [runs[i : i + PEER_PASSES] for i in range(0, len(runs), PEER_PASSES)]
        for peer, runs in samples.gets.items()
    }
    for db, runs in samples.crawl.items():
        for peer, passes in gets.items():
            ratios = [
                (run.articles / run.wall_s) / (ps[0].pages / statistics.median(p.wall_s for p in ps))
                for run, ps in zip(runs, passes, strict=False)
            ]
            out[f"{db}/{peer}"] = statistics.median(ratios)
        if db.startswith("sqlite,"):
            empty = samples.crawl["sqlite"]
            out[f"{db}/sqlite"] = statistics.median(
                e.wall_s / run.wall_s for run, e in zip(runs, empty, strict=False)
            )
    return out


def report(samples: Samples, site: dict[str, Any], rounds: int) -> dict[str, Any]:
    crawl = {db: crawl_figures(runs) for db, runs in samples.crawl.items()}
    gets = {peer: get_figures(runs) for peer, runs in samples.gets.items()}
    return {
        "date": date.today().isoformat(),
        "python": platform.python_version(),
        "machine": cpu_name(),
        "build": "compiled with mypyc" if COMPILED else "pure Python (from source)",
        "site": site,
        "in_flight": IN_FLIGHT,
        "rounds": rounds,
        "crawl": crawl,
        "again": {db: again_figures(runs) for db, runs in samples.again.items()},
        "gets": gets,
        "ratio_per_round": round_ratios(samples),
        "ratio_cpu_per_article": {
            f"{db}/{peer}": crawl[db]["cpu_ms_per_article"] / gets[peer]["cpu_ms_per_page"]
            for db in crawl
            for peer in gets
        },
    }


def row(name: str, wall: str, cpu: str, rate: str, cpu_each: str, facts: str, requests: str) -> str:
    return f"{name:38} {wall:>7} {cpu:>6} {rate:>10} {cpu_each:>10} {facts:>6} {requests:>8}"


def table_rows(result: dict[str, Any]) -> Iterator[str]:
    yield row("", "wall s", "CPU s", "articles/s", "CPU ms/art", "facts", "requests")
    for db, c in result["crawl"].items():
        yield row(
            f"watcher crawl ({db})",
            f"{c['wall_s']:.3f}",
            f"{c['cpu_s']:.3f}",
            f"{c['articles_per_s']:,.0f}",
            f"{c['cpu_ms_per_article']:.2f}",
            f"{c['facts']:,}",
            str(c["requests"]),
        )
    for peer, g in result["gets"].items():
        cpu_each = f"{g['cpu_ms_per_page']:.2f}"
        rate, wall, cpu = f"{g['pages_per_s']:,.0f}", f"{g['wall_s']:.3f}", f"{g['cpu_s']:.3f}"
        yield row(PEER_NAMES[peer], wall, cpu, rate, cpu_each, "", str(g["pages"]))
    for db, a in result["again"].items():
        wall, cpu = f"{a['wall_s']:.3f}", f"{a['cpu_s']:.3f}"
        yield row(f"second crawl ({db})", wall, cpu, "", "", "", f"{a['requests']:g}")


def print_table(result: dict[str, Any]) -> None:
    site = result["site"]
    pages = f"{site['listing_pages']} listing pages of {PER_PAGE}"
    text = f"{site['mean_text_chars']:.0f} characters of text on average"
    print(f"site    {site['articles']} articles ({site['mb']:.2f} MB of GBK pages, {text}), {pages}")
    print(f"        closest two texts {site['closest_simhash_bits']} SimHash bits apart (linked at <= 7)")
    print(f"machine {result['machine']}, Python {result['python']}, {result['date']}")
    print(f"build   watcher {result['build']}")
    print(
        f"timing  {result['in_flight']} in flight, median of {result['rounds']} rounds, CPU of this process"
    )
    print()
    for line in table_rows(result):
        print(line)
    print()
    for pair, ratio in result["ratio_per_round"].items():
        if pair in result["ratio_cpu_per_article"]:
            cpu = result["ratio_cpu_per_article"][pair]
            print(
                f"watcher crawl / plain GETs ({pair}): {ratio:.2f}x the articles/s, {cpu:.0f}x the CPU each"
            )
        else:
            print(f"watcher crawl into a store of other articles / into an empty one ({pair}): {ratio:.2f}x")
    for db, c in result["crawl"].items():
        per = c["articles"]
        print(
            f"database ({db}): {c['statements'] / per:.1f} statements and {c['transactions'] / per:.2f} "
            f"transactions an article, ~{(c['statements'] + 2 * c['transactions']) / per:.1f} round trips"
        )
    for db, a in result["again"].items():
        print(f"second crawl ({db}) asked for {', '.join(a['paths']) or 'nothing'}: {a['new']} new")


# --- profiling ----------------------------------------------------------------------------------------


def where(filename: str, line: int, function: str) -> str:
    """watcher/pipeline.py:233(_store_article); builtins as pstats writes them."""
    if filename == "~":
        return function
    path = Path(filename)
    shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else Path(path.name)
    return f"{shown}:{line}({function})"


def is_event_loop(filename: str, line: int, function: str) -> bool:
    """asyncio's own frames: they hold everything and say nothing."""
    return "/asyncio/" in filename or "_contextvars.Context" in function


def print_top(rows: list[tuple[int, float, float, str]], order: str, top: int) -> None:
    column = {"cumulative": 2, "tottime": 1}[order]
    print(f"\ntop {top} by {order}\n{'calls':>9} {'tottime':>8} {'cumtime':>8}  function")
    for calls, tottime, cumtime, name in sorted(rows, key=lambda r: r[column], reverse=True)[:top]:
        print(f"{calls:9d} {tottime:8.3f} {cumtime:8.3f}  {name}")


def profile(site: SiteServer, work: Path, count: int, top: int, postgres: str | None) -> None:
    """One first crawl into a fresh SQLite database (or a fresh schema on --postgres) under cProfile;
    the top functions both ways."""
    with databases(work, postgres) as urls:
        database_url = urls["postgresql" if postgres else "sqlite"](0)
        _profile_into(site, database_url, work, count, top)


def _profile_into(site: SiteServer, database_url: str, work: Path, count: int, top: int) -> None:
    app = make_app(site, database_url, work, count)
    try:
        open_store(app)
        profiler = cProfile.Profile()
        profiler.enable()
        (summary,) = asyncio.run(app.crawl(app.settings.sources))
        profiler.disable()
    finally:
        app.close()
    profiler.create_stats()
    # (primitive calls, calls, tottime, cumtime, callers) per (file, line, function), as pstats reads them
    rows = [
        (entry[1], entry[2], entry[3], where(*key))
        for key, entry in profiler.stats.items()
        if not is_event_loop(*key)
    ]
    print(f"{summary.line()}, under cProfile")
    for order in ("cumulative", "tottime"):
        print_top(rows, order, top)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=220, help="articles on the site (20 a listing page)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--postgres", metavar="URL", help="also crawl into PostgreSQL (a schema of its own)")
    parser.add_argument(
        "--prefill",
        type=int,
        default=3000,
        help="also crawl into SQLite holding this many other articles (0: no)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    parser.add_argument("--profile", action="store_true", help="cProfile one crawl instead of timing")
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rounds < 1 or args.articles < 2:
        parser.error("--rounds must be at least 1 and --articles at least 2")
    if args.serve:
        serve(args.serve)
        return
    with tempfile.TemporaryDirectory(prefix="bench_crawl_") as tmp:
        work = Path(tmp)
        stories = write_site(work / "site", args.articles, args.seed)
        with SiteServer(work / "site") as site:
            if args.profile:
                profile(site, work, args.articles, 25, args.postgres)
                return
            urls = [f"{site.base}/{SECTION}/content/{s.id}.html" for s in stories]
            samples = run_rounds(site, work, urls, args)
        result = report(samples, describe_site(work / "site", stories), args.rounds)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        print_table(result)


if __name__ == "__main__":
    main()
