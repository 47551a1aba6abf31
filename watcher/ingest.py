"""The store side of a crawl: fetched pages become stored articles as they arrive, off the event loop, and
the run's articles are tracked oldest first once fetching ends.

    Ingest(crawl, source_id, summary)     one per source run; its worker thread owns the database work
      await ingest.put(url, result)       queue a fetched article page; waits only when QUEUE_PAGES wait
      await ingest.finish()               every queued page stored; then the run's articles (and any a
                                          stopped run left pending) tracked, oldest publication first

    fetcher (event loop) ─ put ─▶ bounded queue ─▶ worker thread: decode → parse → extract → observe
        → Store.store_fetched_many (articles, snapshots, facts, URL states, observations pending) for
          what waits, up to STORE_BATCH pages: ONE transaction of a few multi-row statements
    finish ─▶ worker thread: pending observations, oldest first → diff against the series' briefs →
        Store.record_tracked (observations, changes, alerts; pending rows cleared: ONE transaction a batch)

Why tracking waits for the end of the fetching: a run that finds a project's 开工 and its 封顶 reports
them in the order they happened, whatever order the pages arrived in. Why it is safe: an article's
observations are written with it (pending_tracking), so a run that dies between the two leaves them for
the next run of the source, which tracks them first; the changes' unique keys make a repeat harmless.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import partial
from typing import Any, Protocol, TypeVar

from watcher.config import AlertSettings, SourceSpec
from watcher.errors import InputError
from watcher.extract import Extractor, Lexicon
from watcher.fetch.client import FetchResult
from watcher.fetch.decode import decode_body
from watcher.models import Article, Fact, Milestone, observation_to_dict
from watcher.page import parse_article
from watcher.page.tables import table_facts
from watcher.store import Store
from watcher.store.codec import from_dict
from watcher.store.repo import FetchedArticle, SaveResult
from watcher.store.tracking import TrackedArticle
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
from watcher.track.rules import alert_filters, is_immediate


class Summary(Protocol):
    """The counts of a run that storing and tracking add to (pipeline.CrawlSummary)."""

    new: int
    changed: int
    unchanged: int
    near_duplicates: int
    facts: int
    changes: int


class Crawl(Protocol):
    """What the store side asks of a source run (pipeline.Crawl)."""

    spec: SourceSpec
    store: Store
    extractor: Extractor
    region: str
    clock: Callable[[], datetime]
    alerts: AlertSettings
    channels: list[str]
    progress: Callable[[str], None] | None

    def failed(self, summary: Any, url: str, exc: Exception) -> None: ...

    def save_state(self, url: str, source_id: int, kind: str, result: FetchResult) -> None: ...


logger = logging.getLogger(__name__)

QUEUE_PAGES = 32  # fetched pages waiting for the worker at most: then the fetcher waits
STORE_BATCH = 8  # pages stored in one transaction at most
BATCH_WAIT_S = 0.02  # how long a batch waits for more pages after its first (never once the fetching ends)
TRACK_BATCH = 200  # articles tracked in one transaction
_T = TypeVar("_T")
Observed = Observation | MilestoneObservation


def _resolve(future: asyncio.Future[None], _: None) -> None:
    if not future.done():
        future.set_result(None)


@dataclass(frozen=True, slots=True)
class Stored:
    """What storing one fetched page did; counted in the run's summary on the event loop."""

    url: str
    status: str = ""  # new | changed | unchanged; "" when the page could not be read
    near_duplicate: bool = False  # its facts are the first copy's: not counted twice, but it is evidence
    facts: int = 0
    failure: InputError | None = None


@dataclass(slots=True)
class _Waiting:
    """An article stored and not yet tracked."""

    article_id: int
    published: date | None
    order: int  # its place in the run's fetch list; earlier runs' leftovers come first (-1)
    observed: list[Observed]


@dataclass
class Ingest:
    crawl: Crawl
    source_id: int
    summary: Summary
    order: dict[str, int] = field(default_factory=dict)  # url → place in the fetch list
    _waiting: list[_Waiting] = field(default_factory=list)  # extended by the worker, once committed

    def __post_init__(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._queue: queue.SimpleQueue[tuple[str, FetchResult] | None] = queue.SimpleQueue()
        self._room = asyncio.Semaphore(QUEUE_PAGES)
        self._error: BaseException | None = None
        # one worker: a batch costs a few statements, and more threads only fight for the GIL (on
        # PostgreSQL four, each reading pages while another wrote, crawled 15–30% slower than one)
        self._worker: asyncio.Future[None] = self._loop.create_future()
        name = f"store {self.crawl.spec.name}"
        threading.Thread(target=self._work, args=(self._worker,), name=name, daemon=True).start()

    async def put(self, url: str, result: FetchResult) -> None:
        await self._room.acquire()
        self._queue.put((url, result))

    async def finish(self) -> None:
        """Wait until every queued page is stored, then track the run's articles; a store error is
        raised here, after the tracking of what was stored before it."""
        self._queue.put(None)  # the worker's stop
        await asyncio.shield(self._worker)
        self.summary.changes += await asyncio.to_thread(lambda: self._guarded(self._track) or 0)
        if self._error is not None:
            raise self._error

    def _stored(self, taken: int, results: list[Stored]) -> None:
        """On the event loop: make room in the queue and count what a committed batch stored."""
        for _ in range(taken):
            self._room.release()
        s = self.summary
        for stored in results:
            if stored.failure is not None:
                self.crawl.failed(s, stored.url, stored.failure)
                continue
            s.new += stored.status == "new"
            s.changed += stored.status == "changed"
            s.unchanged += stored.status == "unchanged"
            s.near_duplicates += stored.near_duplicate
            s.facts += stored.facts
            if self.crawl.progress and stored.status != "unchanged":
                self.crawl.progress(stored.url)

    # --- in the worker thread ---

    def _work(self, done: asyncio.Future[None]) -> None:
        """Store what is queued, a batch at a time (at most STORE_BATCH pages: one transaction), until
        its stop."""
        last = False
        try:
            while not last:
                batch, last = self._take_batch()
                results: list[Stored] = []
                if batch and self._error is None:
                    results = self._guarded(partial(self._store_batch, batch)) or []
                self._loop.call_soon_threadsafe(self._stored, len(batch), results)
        finally:
            self._loop.call_soon_threadsafe(_resolve, done, None)

    def _take_batch(self) -> tuple[list[tuple[str, FetchResult]], bool]:
        """The next batch, and whether the stop came with it: the first page waited for as long as it
        takes, then what else arrives within BATCH_WAIT_S, up to STORE_BATCH pages. A batch costs the
        statements of one page, so a worker that took pages one by one as they trickled in (a run of
        a few dozen articles) sent eight statements a page where it could send one or two."""
        batch: list[tuple[str, FetchResult]] = []
        until = 0.0
        while len(batch) < STORE_BATCH:
            try:
                if not batch:
                    item = self._queue.get()
                    until = time.monotonic() + BATCH_WAIT_S
                else:
                    item = self._queue.get(timeout=max(0.0, until - time.monotonic()))
            except queue.Empty:
                break
            if item is None:
                return batch, True
            batch.append(item)
        return batch, False

    def _guarded(self, work: Callable[[], _T]) -> _T | None:
        try:
            return work()
        except Exception as exc:  # the first error stops the storing; finish() raises it
            self._error = self._error or exc
            return None

    def _store_batch(self, batch: list[tuple[str, FetchResult]]) -> list[Stored]:
        """Read and store a batch of pages in ONE transaction: all of them, or none (fetched again)."""
        prepared = [self._prepare(url, result) for url, result in batch]
        pages = [p for p in prepared if not isinstance(p, Stored)]
        store = self.crawl.store
        with store.writing(), store.transaction():  # one batch of this process at a time: see writing()
            for (url, result), page in zip(batch, prepared, strict=True):
                if isinstance(page, Stored) and result.not_modified:
                    self.crawl.save_state(url, self.source_id, "article", result)
            saved = iter(store.store_fetched_many([page for page, _ in pages]) if pages else [])
        waiting: list[_Waiting] = []
        results = [p if isinstance(p, Stored) else self._saved(*p, next(saved), waiting) for p in prepared]
        self._waiting.extend(waiting)  # committed: to be tracked
        return results

    def _prepare(self, url: str, result: FetchResult) -> tuple[FetchedArticle, list[Observed]] | Stored:
        crawl = self.crawl
        if result.not_modified:
            return Stored(url, "unchanged")
        try:
            html = decode_body(result.body, result.content_type)
            article = parse_article(html, result.final_url, crawl.spec.content_selector)
        except InputError as exc:
            return Stored(url, failure=exc)
        if crawl.spec.outlet and not article.outlet:
            article = replace(article, outlet=crawl.spec.outlet)
        facts: list[Fact] = [
            *crawl.extractor.extract(article, crawl.region),
            *table_facts(html, published=article.published, region=crawl.region),
        ]
        observed = observe(facts, article, crawl.extractor.lexicon)
        page = FetchedArticle(
            self.source_id,
            url,
            article,
            result.body,
            result.status,
            result.validators,
            crawl.clock(),
            facts,
            [observation_to_dict(o) for o in observed],
        )
        return page, observed

    def _saved(
        self, page: FetchedArticle, observed: list[Observed], saved: SaveResult, waiting: list[_Waiting]
    ) -> Stored:
        """What storing the page did; its observations wait to be tracked."""
        if saved.status == "unchanged":
            return Stored(page.url, "unchanged")
        if observed:
            order = self.order.get(page.url, 0)
            waiting.append(_Waiting(saved.article_id, page.article.published, order, observed))
        copy = saved.duplicate_of is not None
        return Stored(page.url, saved.status, copy, 0 if copy else len(dict.fromkeys(page.facts)))

    def _track(self) -> int:
        """Track the run's stored articles and any an earlier run left pending, oldest first."""
        crawl = self.crawl
        mine = {w.article_id for w in self._waiting}
        left = [
            _Waiting(aid, published, -1, [from_dict(d) for d in observed])
            for aid, published, observed in crawl.store.pending_tracking(self.source_id, skip=mine)
        ]
        waiting = sorted([*left, *self._waiting], key=lambda w: (w.published or date.max, w.order))
        self._waiting = []
        changes = 0
        for start in range(0, len(waiting), TRACK_BATCH):
            with crawl.store.writing(), crawl.store.transaction():  # what it reads and what it writes
                changes += track_batch(crawl, waiting[start : start + TRACK_BATCH])
        return changes


def observe(facts: list[Fact], article: Article, lex: Lexicon) -> list[Observation | MilestoneObservation]:
    """The article's facts filed under their series and projects, in the facts' order."""
    base = Evidence(article.url, article.outlet, article.published, "")
    out: list[Observation | MilestoneObservation] = []
    for fact in facts:
        evidence = replace(base, sentence=fact.sentence)
        out.append(
            observe_milestone(fact, evidence)
            if isinstance(fact, Milestone)
            else observe_value(fact, evidence, lex)
        )
    return out


def track_batch(crawl: Crawl, batch: list[_Waiting]) -> int:
    """Find what the batch's articles change, in their order, against the briefs of the series and
    projects they name (read in one query each), and record it all in one transaction."""
    observations = [o for w in batch for o in w.observed if isinstance(o, Observation)]
    milestones = [m for w in batch for m in w.observed if isinstance(m, MilestoneObservation)]
    targets = _targets(observations)
    histories = crawl.store.latest_histories(
        _series_read(observations, targets), _figures_read(observations, targets)
    )
    projects = crawl.store.latest_project_histories(dict.fromkeys(m.project for m in milestones))
    filters = alert_filters(crawl.alerts)  # once a batch, not once a change
    tracked = []
    for w in batch:
        changes: list[tuple[Change, bool]] = []
        for o in w.observed:  # in the facts' order: a change is found against everything before it
            if isinstance(o, MilestoneObservation):
                found = diff_milestone(projects[o.project], o)
                projects[o.project].append(o)
            else:
                found = diff_value(histories[o.key], o, histories[targets[o.key]] if o.key in targets else [])
                histories[o.key].append(o)
            changes.extend((c, is_immediate(c, crawl.alerts, filters)) for c in found)
        own = [o for o in w.observed if isinstance(o, Observation)]
        marks = [m for m in w.observed if isinstance(m, MilestoneObservation)]
        tracked.append(TrackedArticle(w.article_id, own, marks, changes))
    return crawl.store.record_tracked(tracked, seen_at=crawl.clock(), channels=crawl.channels)


def _targets(observations: list[Observation]) -> dict[SeriesKey, SeriesKey]:
    """Each actual's series → its targets' series, made once a series (not once an observation)."""
    actuals = dict.fromkeys(o.key for o in observations if o.key.kind == "actual")
    return {key: replace(key, kind="target") for key in actuals}


def _figures_read(observations: list[Observation], targets: dict[SeriesKey, SeriesKey]) -> list[Observation]:
    """The figures whose equals are read however old: the new ones, and an actual's as a target's."""
    return [*observations, *(replace(o, key=targets[o.key]) for o in observations if o.key in targets)]


def _series_read(
    observations: list[Observation], targets: dict[SeriesKey, SeriesKey]
) -> dict[SeriesKey, None]:
    """The series an article's observations are diffed against: their own, and an actual's targets."""
    keys: dict[SeriesKey, None] = {}
    for o in observations:
        keys[o.key] = None
        if o.key in targets:
            keys[targets[o.key]] = None
    return keys
