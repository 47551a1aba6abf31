"""The one module that knows every stage: crawl a source from its start URLs to stored facts.

    start URLs ─fetch→ listing pages ─discover→ article links ─fetch→ page ─parse→ Article
        ─extract→ facts ─store→ articles, snapshots, facts (deduplicated, near-duplicates linked)
        ─track→ observations, changes, alerts (the run's articles oldest first, once fetched)

Pages are stored as they arrive, by a worker thread (`watcher.ingest`), while the next ones are fetched.
`crawl_source` never raises for what a site does: a broken page, a failed fetch or an anti-bot wall is
counted and recorded on the source's run, and the other sources go on. A run has a deadline
(`fetch.run_deadline_s`): one that reaches it stops fetching, keeps and tracks what it stored, and is
recorded as failed (so a source that keeps stalling raises source_failing).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

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
from watcher.errors import BlockedError, FetchError, NotHtmlError, WatcherError
from watcher.extract import Extractor
from watcher.fetch.client import Fetcher, FetchResult
from watcher.fetch.decode import decode_body
from watcher.fetch.urls import canonicalize
from watcher.ingest import Ingest
from watcher.store import Store
from watcher.store.health import RUN_STATS

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
    skipped: int = 0  # linked documents that are not HTML (PDF, images): skipped, not errors
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
            f"{self.facts} facts, {self.changes} changes, {self.errors} errors"
            + (f", {self.skipped} not HTML skipped" if self.skipped else "")
            + f" ({self.elapsed_s:.1f}s)"
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

    def save_state(self, url: str, source_id: int, kind: str, result: FetchResult) -> None:
        self.store.save_url_state(
            url,
            source_id=source_id,
            kind=kind,
            status=result.status,
            validators=result.validators,
            fetched_at=self.clock(),
        )

    def failed(self, summary: CrawlSummary, url: str, exc: Exception) -> None:
        summary.errors += 1
        summary.failures.append(str(exc))
        logger.warning("%s", exc, extra={"source": self.spec.name, "url": url})
        if self.progress:
            self.progress(url)


async def crawl_source(crawl: Crawl) -> CrawlSummary:
    """One run of one source. Records the run; never raises for the site's faults."""
    spec, store = crawl.spec, crawl.store
    summary = CrawlSummary(spec.name)
    started = time.perf_counter()
    source_id = store.ensure_source(spec.name, region=spec.region, outlet=spec.outlet)
    run_id = store.start_run(source_id, crawl.clock())
    deadline_s = crawl.fetcher.settings.run_deadline_s
    ingest = Ingest(crawl, source_id, summary)
    try:
        try:
            async with asyncio.timeout(deadline_s):
                links = await _discover(crawl, source_id, summary)
                await _fetch_articles(crawl, source_id, links, summary, ingest)
        finally:  # what was fetched is stored and tracked, also when the run stops short
            await ingest.finish()
        with store.transaction():  # the listings' validators, once the articles they led to are stored
            for url, kind, result in crawl.listings:
                crawl.save_state(url, source_id, kind, result)
    except TimeoutError:  # the run's deadline, not a fetch's (FetchTimeoutError is a WatcherError)
        summary.error = (
            f"run stopped at its {deadline_s:g} s deadline (fetch.run_deadline_s); "
            f"{summary.new + summary.changed} articles stored, the rest next run"
        )
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
            crawl.failed(summary, url, exc)
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
        crawl.failed(summary, url, exc)
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


async def _fetch_articles(
    crawl: Crawl, source_id: int, urls: list[str], summary: CrawlSummary, ingest: Ingest
) -> None:
    """Fetch the articles side by side; each page goes to the store worker as soon as it arrives."""
    known = crawl.store.known_article_urls(source_id)
    todo = [u for u in urls if u not in known]
    if crawl.refresh:  # every known article too, even when its listing page did not change
        todo = list(dict.fromkeys([*urls, *sorted(known)]))
    if crawl.max_pages is not None:
        todo = todo[: crawl.max_pages]
    ingest.order.update((u, i) for i, u in enumerate(todo))
    blocked: list[BlockedError] = []

    async def one(url: str) -> None:
        if blocked:
            return  # the site put up a wall: stop asking (the source backs off until its next run)
        try:  # validators only for a stored article: a failed save must not turn into a 304 forever
            result = await _get(crawl, url, source_id, "article", conditional=url in known)
        except BlockedError as exc:
            blocked.append(exc)
            return
        except NotHtmlError as exc:  # a PDF or image linked like an article: named, not an error
            summary.skipped += 1
            logger.warning("%s", exc, extra={"source": crawl.spec.name, "url": url})
            return
        except FetchError as exc:
            crawl.failed(summary, url, exc)
            return
        await ingest.put(url, result)

    await asyncio.gather(*(one(u) for u in todo))
    if blocked:
        raise blocked[0]


async def crawl_all(crawls: list[Crawl]) -> list[CrawlSummary]:
    """Run sources side by side; the fetcher they share keeps each host's pace."""
    return list(await asyncio.gather(*(crawl_source(c) for c in crawls)))
