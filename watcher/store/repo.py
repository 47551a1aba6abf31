"""The `Store`: everything the pipeline and the CLI ask of the database, as typed methods.

    Store.open(url) → Store       engine + `alembic upgrade head`; StoreError when unusable
    with store.transaction():     the calls inside are ONE transaction: all of them stored, or none
    sources, url states           ensure_source, validators, save_url_state, known_article_urls
    articles                      save_article → SaveResult (new | changed | unchanged, near-duplicate link)
    facts                         replace_facts: a changed snapshot's facts replace the article's old ones
    runs                          start_run, finish_run, consecutive_failures
    queries                       articles(), facts() → frozen rows for tables and JSON lines

Each method is one transaction (or part of the `transaction()` it is called in): on any error nothing of
it is stored, and database errors come out as StoreError naming the URL (password hidden) and the cause.
"""

from __future__ import annotations

import threading
import zlib
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal

from sqlalchemy import Engine, func
from sqlalchemy import select as select_rows
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from watcher.models import Article, Fact, Validators
from watcher.store import db, writes
from watcher.store.coord import CoordStore
from watcher.store.digests import DigestStore
from watcher.store.health import HealthStore
from watcher.store.outbox import OutboxStore
from watcher.store.queries import ArticleRow, FactRow, article_rows, fact_rows
from watcher.store.subscribers import SubscriberStore
from watcher.store.tables import ArticleRecord, CrawlRun, SnapshotRecord, SourceRecord, UrlState
from watcher.store.tracking import TrackingStore
from watcher.store.writes import FetchedArticle, SaveResult, SaveStatus

__all__ = ["FetchedArticle", "SaveResult", "SaveStatus", "Snapshot", "Store", "UrlKind"]

UrlKind = Literal["listing", "article", "feed"]

# The open `Store.transaction()` of this thread or task, with the engine it belongs to. A context variable,
# not an attribute: a thread (the lease keeper, the delivery job) never joins another's transaction.
_ACTIVE: ContextVar[tuple[Engine, Session] | None] = ContextVar("watcher_store_transaction", default=None)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One stored version of an article's text, with the page it was read from."""

    id: int
    article_id: int
    fetched_at: datetime
    content_hash: str
    text: str
    raw: bytes  # decompressed
    raw_hash: str


class Store(TrackingStore, OutboxStore, SubscriberStore, DigestStore, HealthStore, CoordStore):
    """watcher's database. Open with `Store.open(url)`; close when done (or use it as a context)."""

    def __init__(self, engine: Engine, url: str) -> None:
        self._engine = engine
        self._url = url
        self._writing = threading.Lock()

    @classmethod
    def open(cls, url: str) -> Store:
        """Connect and upgrade the schema to the newest revision (an old database upgrades in place)."""
        try:
            engine = db.open_engine(url)
        except (SQLAlchemyError, ImportError) as exc:  # a malformed URL or a missing driver
            raise db.store_error(url, exc) from exc
        try:
            db.upgrade(engine)
        except db.DB_ERRORS as exc:
            engine.dispose()
            raise db.store_error(url, exc) from exc
        return cls(engine, url)

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Make every call of this store inside the block one transaction: committed when the block ends,
        rolled back, all of it, when anything in it raises. A transaction inside another joins it."""
        if self._joined() is not None:
            yield
            return
        with db.session(self._engine, self._url) as s:
            token = _ACTIVE.set((self._engine, s))
            try:
                yield
            finally:
                _ACTIVE.reset(token)

    @contextmanager
    def _session(self) -> Iterator[Session]:
        """The open transaction's session, or a transaction of its own."""
        joined = self._joined()
        if joined is not None:
            with db.store_errors(self._url):
                yield joined
            return
        with db.session(self._engine, self._url) as s:
            yield s

    def _joined(self) -> Session | None:
        active = _ACTIVE.get()
        return active[1] if active is not None and active[0] is self._engine else None

    def writing(self) -> threading.Lock:
        """Held for each batch of articles a run stores or tracks: the batches of all the runs of this
        process commit one at a time, so an article's near-duplicate look-up sees every copy stored
        before it, and its change detection every observation, whichever source's run wrote them (two
        transactions side by side would not see each other's rows)."""
        return self._writing

    def schema_version(self) -> str | None:
        try:
            return db.current_revision(self._engine)
        except db.DB_ERRORS as exc:
            raise db.store_error(self._url, exc) from exc

    # --- sources and URL state ---

    def ensure_source(self, name: str, *, region: str | None, outlet: str | None) -> int:
        """The source's id, created on first use; region and outlet follow the configuration."""
        with self._session() as s:
            row = s.exec(select(SourceRecord).where(SourceRecord.name == name)).first()
            if row is None:
                row = SourceRecord(name=name, region=region, outlet=outlet, created_at=datetime.now(UTC))
            else:
                row.region, row.outlet = region, outlet
            s.add(row)
            s.flush()
            return _id(row.id)

    def validators(self, url: str) -> Validators | None:
        """The validators of the URL's last fetch; None when never fetched or nothing to validate with."""
        with self._session() as s:
            row = s.get(UrlState, url)
        if row is None or (row.etag is None and row.last_modified is None):
            return None
        return Validators(row.etag, row.last_modified)

    def save_url_state(
        self,
        url: str,
        *,
        source_id: int,
        kind: UrlKind | str,
        status: int,
        validators: Validators,
        fetched_at: datetime,
    ) -> None:
        """Record a fetch. A 304 without validators of its own keeps the ones it confirmed."""
        with self._session() as s:
            writes.upsert_url_state(
                s.connection(),
                url,
                source_id=source_id,
                kind=kind,
                status=status,
                validators=validators,
                fetched_at=fetched_at,
            )

    def known_article_urls(self, source_id: int) -> set[str]:
        with self._session() as s:
            return set(s.exec(select(ArticleRecord.url).where(ArticleRecord.source_id == source_id)))

    # --- articles, snapshots, facts ---

    def save_article(
        self, *, source_id: int, url: str, article: Article, raw: bytes, fetched_at: datetime
    ) -> SaveResult:
        """Store a fetched article: a snapshot when its text is new or changed, near-duplicates linked."""
        with self._session() as s:
            return writes.save_article_rows(
                s.connection(), source_id=source_id, url=url, article=article, raw=raw, fetched_at=fetched_at
            )

    def store_fetched(self, page: FetchedArticle) -> SaveResult:
        """`store_fetched_many` of one page."""
        return self.store_fetched_many([page])[0]

    def store_fetched_many(self, pages: list[FetchedArticle]) -> list[SaveResult]:
        """The hot path of a crawl: fetched article pages, their facts, URL states and observations (to
        be tracked), in ONE transaction of a few multi-row statements (`writes.store_pages`)."""
        with self._session() as s:
            return writes.store_pages(s.connection(), pages)

    def pending_tracking(
        self, source_id: int, *, skip: Collection[int] = ()
    ) -> list[tuple[int, date | None, list[dict[str, Any]]]]:
        """The source's articles stored and not tracked (a run that stopped short): (id, published,
        observations), in the order they were stored. `skip`: articles the caller holds already (its own
        run's): their observations are not read and decoded again."""
        p = writes.PENDING.c
        with self._session() as s:
            conn = s.connection()
            waiting = conn.execute(select_rows(p.article_id).where(p.source_id == source_id)).scalars()
            left = [aid for aid in waiting if aid not in skip]
            if not left:
                return []
            query = select_rows(p.article_id, p.published, p.observations).where(p.article_id.in_(left))
            rows = conn.execute(query.order_by(p.article_id)).all()
            return [(r.article_id, r.published, r.observations) for r in rows]

    def snapshot(self, snapshot_id: int) -> Snapshot | None:
        """A stored snapshot with its raw bytes decompressed."""
        with self._session() as s:
            row = s.get(SnapshotRecord, snapshot_id)
        if row is None:
            return None
        raw = _decompress(row.raw_compressed, row.raw_codec)
        return Snapshot(
            _id(row.id), row.article_id, row.fetched_at, row.content_hash, row.text, raw, row.raw_hash
        )

    def replace_facts(self, article_id: int, snapshot_id: int, facts: list[Fact]) -> int:
        """The snapshot's facts replace the article's old ones (repeats stored once); returns how many."""
        with self._session() as s:
            snapshot = s.get(SnapshotRecord, snapshot_id)
            if snapshot is None or snapshot.article_id != article_id:
                raise ValueError(f"snapshot {snapshot_id} is not a snapshot of article {article_id}")
            conn = s.connection()
            return writes.replace_fact_rows(
                conn, article_id, snapshot_id, facts, snapshot.fetched_at, fresh=False
            )

    # --- crawl runs ---

    def start_run(self, source_id: int, started_at: datetime) -> int:
        with self._session() as s:
            run = CrawlRun(source_id=source_id, started_at=started_at)
            s.add(run)
            s.flush()
            return _id(run.id)

    def finish_run(
        self, run_id: int, *, finished_at: datetime, stats: dict[str, int | list[str]], error: str | None
    ) -> None:
        with self._session() as s:
            run = s.get(CrawlRun, run_id)
            if run is None:
                raise ValueError(f"no crawl run {run_id}")
            run.finished_at, run.ok, run.error, run.stats = finished_at, error is None, error, dict(stats)
            s.add(run)

    def consecutive_failures(self, source_id: int) -> int:
        """How many finished runs of the source failed since its last good one."""
        with self._session() as s:
            last_ok = s.exec(
                select(func.max(CrawlRun.id)).where(
                    CrawlRun.source_id == source_id, col(CrawlRun.ok).is_(True)
                )
            ).one()
            failed = select(func.count()).where(CrawlRun.source_id == source_id, col(CrawlRun.ok).is_(False))
            if last_ok is not None:
                failed = failed.where(col(CrawlRun.id) > last_ok)
            return int(s.exec(failed).one())

    # --- queries for the CLI ---

    def articles(
        self, *, source: str | None = None, since: datetime | None = None, limit: int | None = None
    ) -> list[ArticleRow]:
        """Stored articles, newest first seen first; `since`: first seen at or after."""
        with self._session() as s:
            return article_rows(s, source=source, since=since, limit=limit)

    def facts(
        self, *, source: str | None = None, since: datetime | None = None, indicator: str | None = None
    ) -> list[FactRow]:
        """Stored facts in article order; `since`: stored at or after; `indicator`: name contains."""
        with self._session() as s:
            return fact_rows(s, source=source, since=since, indicator=indicator)


def _id(value: int | None) -> int:
    if value is None:  # only before a flush; every caller flushes first
        raise RuntimeError("row has no id yet")
    return value


def _decompress(data: bytes, codec: str) -> bytes:
    if codec != "zlib":
        raise ValueError(f"unknown compression {codec!r}")
    return zlib.decompress(data)
