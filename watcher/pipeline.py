"""The one module that knows every stage: crawl a source from its start URLs to stored facts.

    start URLs ─fetch→ listing pages ─discover→ article links ─fetch→ page ─parse→ Article
        ─extract→ facts ─store→ articles, snapshots, facts (deduplicated, near-duplicates linked)

`crawl_source` never raises for what a site does: a broken page, a failed fetch or an anti-bot wall is
counted and recorded on the source's run, and the other sources go on.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime

from watcher.config import AlertSettings, SourceSpec
from watcher.discover import (
    article_links,
    discovery_fingerprint,
    epaper_page_indexes,
    expand_start_urls,
    feed_links,
    front_page_targets,
    listing_state_key,
    next_pages,
    sitemap_links,
)
from watcher.errors import BlockedError, FetchError, InputError, WatcherError
from watcher.extract import Extractor, Lexicon
from watcher.fetch.client import Fetcher, FetchResult
from watcher.fetch.decode import decode_body
from watcher.fetch.urls import canonicalize
from watcher.models import Article, Fact, Milestone
from watcher.page import parse_article
from watcher.page.tables import table_facts
from watcher.store import Store
from watcher.store.health import RUN_STATS
from watcher.store.repo import SaveStatus
from watcher.track import (
    Change,
    Evidence,
    MilestoneObservation,
    Observation,
    SeriesKey,
    diff_milestone,
    diff_value,
    observe_milestone,
    observe_value,
)
from watcher.track.rules import is_immediate

logger = logging.getLogger(__name__)


@dataclass
class CrawlSummary:
    """What one run of one source did; also what the CLI prints and the store records."""

    source: str
    listing_fetched: int = 0
    listing_not_modified: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    near_duplicates: int = 0
    facts: int = 0
    changes: int = 0
    errors: int = 0
    blocked: bool = False
    error: str | None = None
    elapsed_s: float = 0.0
    failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # the run worked, but found less than it should

    def stats(self) -> dict[str, int | list[str]]:
        """What `crawl_runs.stats` records: the counts, and the warnings when there are any."""
        stats: dict[str, int | list[str]] = {k: getattr(self, k) for k in RUN_STATS}
        if self.warnings:
            stats["warnings"] = list(self.warnings)
        return stats

    def line(self) -> str:
        state = (
            "BLOCKED" if self.blocked else ("FAILED" if self.error else "WARNING" if self.warnings else "ok")
        )
        return (
            f"{self.source}: {state} listings {self.listing_fetched} fetched / {self.listing_not_modified} "
            f"not modified, {self.new} new, {self.changed} changed, {self.near_duplicates} near-duplicates, "
            f"{self.facts} facts, {self.changes} changes, {self.errors} errors ({self.elapsed_s:.1f}s)"
            + "".join(f" — {note}" for note in ([self.error] if self.error else []) + self.warnings)
        )


@dataclass
class Crawl:
    """Everything one source run needs; built by the app, one per run."""

    spec: SourceSpec
    fetcher: Fetcher
    store: Store
    extractor: Extractor
    region: str
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    alerts: AlertSettings = field(default_factory=AlertSettings)
    channels: list[str] = field(default_factory=list)  # where immediate alerts go
    max_pages: int | None = None  # article pages to fetch at most
    refresh: bool = False  # re-check known articles (conditional GET)
    progress: Callable[[str], None] | None = None
    # listing and feed fetches of this run, saved (their validators with them) once its articles are stored
    listings: list[tuple[str, str, FetchResult]] = field(default_factory=list)
    fingerprint: str = field(init=False)  # of the source's discovery settings: listing validators' key

    def __post_init__(self) -> None:
        self.fingerprint = discovery_fingerprint(self.spec)


async def crawl_source(crawl: Crawl) -> CrawlSummary:
    """One run of one source. Records the run; never raises for the site's faults."""
    spec, store = crawl.spec, crawl.store
    summary = CrawlSummary(spec.name)
    started = time.perf_counter()
    source_id = store.ensure_source(spec.name, region=spec.region, outlet=spec.outlet)
    run_id = store.start_run(source_id, crawl.clock())
    try:
        links = await _discover(crawl, source_id, summary)
        await _fetch_articles(crawl, source_id, links, summary)
        with store.transaction():  # the listings' validators, once the articles they led to are stored
            for url, kind, result in crawl.listings:
                _save_state(crawl, url, source_id, kind, result)
    except BlockedError as exc:
        summary.blocked, summary.error = True, str(exc)
    except WatcherError as exc:
        summary.error = str(exc)
    except Exception as exc:  # the one catch-all per source run: record it, let the other sources go on
        logger.exception("crawl of %s failed", spec.name, extra={"source": spec.name})
        summary.error = f"{type(exc).__name__}: {exc}"
    summary.elapsed_s = time.perf_counter() - started
    store.finish_run(run_id, finished_at=crawl.clock(), stats=summary.stats(), error=summary.error)
    logger.info("%s", summary.line(), extra={"source": spec.name})
    return summary


async def _get(
    crawl: Crawl, url: str, source_id: int, kind: str, *, html_only: bool = True, conditional: bool = True
) -> FetchResult:
    # a listing's validators hold only for the discovery settings that read it: kept under both
    key = url if kind == "article" else listing_state_key(url, crawl.fingerprint)
    validators = crawl.store.validators(key) if conditional else None
    result = await crawl.fetcher.fetch(
        url, validators=validators, politeness=crawl.spec.politeness, html_only=html_only
    )
    if kind != "article":  # a listing's once the articles it led to are stored, an article's with it:
        crawl.listings.append((key, kind, result))  # a run that dies halfway leaves no 304 behind
    return result


def _save_state(crawl: Crawl, url: str, source_id: int, kind: str, result: FetchResult) -> None:
    crawl.store.save_url_state(
        url,
        source_id=source_id,
        kind=kind,
        status=result.status,
        validators=result.validators,
        fetched_at=crawl.clock(),
    )


_FRONT_PAGE_HOPS = 2  # a start URL → (a redirecting index page →) today's 版面


async def _discover(crawl: Crawl, source_id: int, summary: CrawlSummary) -> list[str]:
    """Article URLs from the source's listing pages, feeds and sitemaps, in discovery order (those
    robots.txt forbids left out)."""
    spec = crawl.spec
    found: dict[str, None] = {}
    queue = [(url, 1, _FRONT_PAGE_HOPS) for url in expand_start_urls(spec, crawl.clock().date())]
    seen: set[str] = set()
    reached = False
    while queue:
        url, page_no, hops = queue.pop(0)
        url = canonicalize(url)
        if url in seen:
            continue
        seen.add(url)
        try:
            result = await _get(crawl, url, source_id, "listing", conditional=not crawl.refresh)
        except BlockedError:
            raise
        except FetchError as exc:
            _failed(crawl, summary, url, exc)
            continue
        reached = True
        if result.not_modified:
            summary.listing_not_modified += 1
            continue
        summary.listing_fetched += 1
        queue.extend(_read_listing(crawl, result, page_no, hops, found, summary))
    for url in spec.feeds:
        reached |= await _read_feed(crawl, source_id, url, found, summary, sitemap=False)
    for url in spec.sitemaps:
        reached |= await _read_feed(crawl, source_id, url, found, summary, sitemap=True)
    if not reached:
        raise FetchError(
            f"no start URL of {spec.name} could be fetched ({summary.failures[-1]})"
            if summary.failures
            else f"{spec.name} has nothing to fetch"
        )
    return await _robots_allowed(crawl, list(found))


def _read_listing(
    crawl: Crawl, result: FetchResult, page_no: int, hops: int, found: dict[str, None], summary: CrawlSummary
) -> list[tuple[str, int, int]]:
    """Add a listing page's article links to `found`; return the listing pages to read after it
    (url, page number, front-page hops left). A page that yields neither is a warning."""
    spec, base = crawl.spec, result.final_url
    html = decode_body(result.body, result.content_type)
    links = article_links(html, base, spec)
    found.update(dict.fromkeys(link.url for link in links))
    more = [(u, page_no, 0) for u in epaper_page_indexes(html, base)]
    if page_no < spec.max_listing_pages:
        more += [(u, page_no + 1, 0) for u in next_pages(html, base, spec, page_no)]
    if hops > 0:  # a start URL may be an e-paper's home page: on to today's 版面
        more += [(u, 1, hops - 1) for u in front_page_targets(html, base)]
    if not links and not more:
        hint = "check" if spec.article_selector or spec.article_pattern else "set"
        summary.warnings.append(f"0 links found on {result.url}: {hint} article_pattern")
        logger.debug("%s", summary.warnings[-1], extra={"source": spec.name, "url": result.url})
    return more


async def _robots_allowed(crawl: Crawl, urls: list[str]) -> list[str]:
    """The URLs robots.txt lets us fetch: a link it forbids is not an article to fetch, nor an error."""
    polite = crawl.spec.politeness or crawl.fetcher.settings.politeness
    if not polite.respect_robots:
        return urls
    verdicts = await asyncio.gather(*(crawl.fetcher.robots_allows(url) for url in urls))  # once an origin
    allowed = [url for url, ok in zip(urls, verdicts, strict=True) if ok]
    if len(allowed) < len(urls):
        skipped = len(urls) - len(allowed)
        logger.info("%d links disallowed by robots.txt", skipped, extra={"source": crawl.spec.name})
    return allowed


async def _read_feed(
    crawl: Crawl,
    source_id: int,
    url: str,
    found: dict[str, None],
    summary: CrawlSummary,
    *,
    sitemap: bool,
    depth: int = 0,
) -> bool:
    try:
        result = await _get(crawl, url, source_id, "feed", html_only=False, conditional=not crawl.refresh)
    except FetchError as exc:
        _failed(crawl, summary, url, exc)
        return False
    if result.not_modified:
        summary.listing_not_modified += 1
        return True
    summary.listing_fetched += 1
    if sitemap:
        links, nested = sitemap_links(result.body, result.final_url)
        for sub in nested[:20] if depth < 2 else []:  # an index of sitemaps, not an endless chain
            await _read_feed(crawl, source_id, sub, found, summary, sitemap=True, depth=depth + 1)
    else:
        links = feed_links(result.body, result.final_url)
    found.update(dict.fromkeys(link.url for link in links))
    return True


@dataclass
class _Page:
    """A fetched article page, parsed, waiting for its turn (oldest publication first)."""

    url: str
    result: FetchResult
    html: str
    article: Article


async def _fetch_articles(crawl: Crawl, source_id: int, urls: list[str], summary: CrawlSummary) -> None:
    """Fetch the articles side by side, then store and track them oldest first: a run that finds a
    project's 开工 and its 封顶 reports them in the order they happened, whatever the listing's order."""
    known = crawl.store.known_article_urls(source_id)
    todo = [u for u in urls if u not in known]
    if crawl.refresh:  # every known article too, even when its listing page did not change
        todo = list(dict.fromkeys([*urls, *sorted(known)]))
    if crawl.max_pages is not None:
        todo = todo[: crawl.max_pages]
    blocked: list[BlockedError] = []
    pages: list[_Page] = []

    async def one(url: str) -> None:
        if blocked:
            return  # the site put up a wall: stop asking (the source backs off until its next run)
        try:  # validators only for a stored article: a failed save must not turn into a 304 forever
            result = await _get(crawl, url, source_id, "article", conditional=url in known)
        except BlockedError as exc:
            blocked.append(exc)
            return
        except FetchError as exc:
            _failed(crawl, summary, url, exc)
            return
        page = _parse(crawl, source_id, url, result, summary)
        if page is not None:
            pages.append(page)

    await asyncio.gather(*(one(u) for u in todo))
    order = {u: i for i, u in enumerate(todo)}
    pages.sort(key=lambda p: (p.article.published or date.max, order[p.url]))
    for page in pages:
        _store_article(crawl, source_id, page, summary)
    if blocked:
        raise blocked[0]


def _parse(
    crawl: Crawl, source_id: int, url: str, result: FetchResult, summary: CrawlSummary
) -> _Page | None:
    if result.not_modified:
        _save_state(crawl, url, source_id, "article", result)
        summary.unchanged += 1
        return None
    try:
        html = decode_body(result.body, result.content_type)
        article = parse_article(html, result.final_url, crawl.spec.content_selector)
    except InputError as exc:
        _failed(crawl, summary, url, exc)
        return None
    if crawl.spec.outlet and not article.outlet:
        article = replace(article, outlet=crawl.spec.outlet)
    return _Page(url, result, html, article)


@dataclass(frozen=True, slots=True)
class _Stored:
    """What storing one article did; counted in the run's summary once its transaction committed."""

    status: SaveStatus
    near_duplicate: bool = False  # its facts are the first copy's: not counted twice, but it is evidence
    facts: int = 0
    changes: int = 0

    def count(self, summary: CrawlSummary) -> None:
        summary.new += self.status == "new"
        summary.changed += self.status == "changed"
        summary.unchanged += self.status == "unchanged"
        summary.near_duplicates += self.near_duplicate
        summary.facts += self.facts
        summary.changes += self.changes


def _store_article(crawl: Crawl, source_id: int, page: _Page, summary: CrawlSummary) -> None:
    """The article, its URL state, facts, observations, changes and alerts in ONE transaction: a failure
    anywhere leaves nothing of the article behind (the next run fetches it again), never half of it."""
    with crawl.store.transaction():
        stored = _store_in_transaction(crawl, source_id, page)
    stored.count(summary)
    if crawl.progress and stored.status != "unchanged":
        crawl.progress(page.url)


def _store_in_transaction(crawl: Crawl, source_id: int, page: _Page) -> _Stored:
    url, result, html, article = page.url, page.result, page.html, page.article
    saved = crawl.store.save_article(
        source_id=source_id, url=url, article=article, raw=result.body, fetched_at=crawl.clock()
    )
    _save_state(crawl, url, source_id, "article", result)
    if saved.status == "unchanged":
        return _Stored(saved.status)
    facts: list[Fact] = [
        *crawl.extractor.extract(article, crawl.region),
        *table_facts(html, published=article.published, region=crawl.region),
    ]
    stored = 0
    if saved.duplicate_of is None and saved.snapshot_id is not None:
        stored = crawl.store.replace_facts(saved.article_id, saved.snapshot_id, facts)
    changes = track_article(crawl, article, saved.article_id, facts)
    return _Stored(saved.status, saved.duplicate_of is not None, stored, changes)


def _failed(crawl: Crawl, summary: CrawlSummary, url: str, exc: Exception) -> None:
    summary.errors += 1
    summary.failures.append(str(exc))
    logger.warning("%s", exc, extra={"source": crawl.spec.name, "url": url})
    if crawl.progress:
        crawl.progress(url)


async def crawl_all(crawls: list[Crawl]) -> list[CrawlSummary]:
    """Run sources side by side; the fetcher they share keeps each host's pace."""
    return list(await asyncio.gather(*(crawl_source(c) for c in crawls)))


def track_article(crawl: Crawl, article: Article, article_id: int, facts: list[Fact]) -> int:
    """File an article's facts under their series, find what changed, and write the changes and their
    alerts in one transaction (the caller's, when it has one). What is known of the series and projects
    the facts name is read in one query each. Returns the number of new changes."""
    lex = crawl.extractor.lexicon
    base = Evidence(article.url, article.outlet, article.published, "")
    observed = [_observe(fact, replace(base, sentence=fact.sentence), lex) for fact in facts]
    observations = [o for o in observed if isinstance(o, Observation)]
    milestones = [m for m in observed if isinstance(m, MilestoneObservation)]
    histories = crawl.store.histories(_series_read(observations))
    projects = crawl.store.project_histories(dict.fromkeys(m.project for m in milestones))
    changes: list[tuple[Change, bool]] = []
    for o in observed:  # in the facts' order: a change is found against everything before it
        if isinstance(o, MilestoneObservation):
            found = diff_milestone(projects[o.project], o)
            projects[o.project].append(o)
        else:
            targets = histories[replace(o.key, kind="target")] if o.key.kind == "actual" else []
            found = diff_value(histories[o.key], o, targets)
            histories[o.key].append(o)
        changes.extend((c, is_immediate(c, crawl.alerts)) for c in found)
    return crawl.store.record_tracking(
        article_id=article_id,
        seen_at=crawl.clock(),
        observations=observations,
        milestones=milestones,
        changes=changes,
        channels=crawl.channels,
    )


def _observe(fact: Fact, evidence: Evidence, lex: Lexicon) -> Observation | MilestoneObservation:
    if isinstance(fact, Milestone):
        return observe_milestone(fact, evidence)
    return observe_value(fact, evidence, lex)


def _series_read(observations: list[Observation]) -> dict[SeriesKey, None]:
    """The series an article's observations are diffed against: their own, and an actual's targets."""
    keys: dict[SeriesKey, None] = {}
    for o in observations:
        keys[o.key] = None
        if o.key.kind == "actual":
            keys[replace(o.key, kind="target")] = None
    return keys
