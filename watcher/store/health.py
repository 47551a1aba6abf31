"""The health side of the store: how each source's runs went, and counters for /metrics.

    source_states(names=None)     {source name: SourceState}   last run, last success, failing streak,
                                  newest article (articles.first_seen), first run
    health_events(names=None)     [HealthEventRow]   the source_failing / source_quiet / source_recovered
                                  changes recorded so far, oldest first (which episodes are open)
    record_health_change(...)     a health change and its outbox rows in ONE transaction, once per key
    prune_runs(before)            old runs deleted, their counts folded into pruned_runs
    crawl_totals() / change_counts() / delivery_counts() / digest_counts()
                                  counters summed from the database, so they survive restarts

Mixed into `Store` like `TrackingStore`: the methods use its `_session()`.
"""

from __future__ import annotations

from collections.abc import Collection
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func
from sqlalchemy import delete as sa_delete
from sqlalchemy import select as select_rows
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from watcher.errors import StoreError
from watcher.models import HEALTH_KINDS
from watcher.store.latest import upsert
from watcher.store.tables import (
    ArticleRecord,
    ChangeRecord,
    CrawlRun,
    DeliveryRecord,
    DigestRecord,
    PrunedRuns,
    SourceRecord,
)

CRAWL_RUNS = CrawlRun.__table__  # type: ignore[attr-defined]
PRUNED = PrunedRuns.__table__  # type: ignore[attr-defined]

RUN_STATS = (
    "listing_fetched",
    "listing_not_modified",
    "new",
    "changed",
    "unchanged",
    "near_duplicates",
    "facts",
    "changes",
    "errors",
)


@dataclass(frozen=True, slots=True)
class SourceState:
    """What the database knows of one source's runs (times are aware UTC)."""

    name: str
    last_run: datetime | None = None  # when the last finished run finished
    last_success: datetime | None = None  # when the last good run finished
    last_error: str | None = None  # the last finished run's error, when it failed
    consecutive_failures: int = 0
    failing_since_run: int | None = None  # id of the first failed run of the current streak
    first_run: datetime | None = None  # when the source was first crawled
    last_new_article: datetime | None = None  # first_seen of its newest article


@dataclass(frozen=True, slots=True)
class HealthEventRow:
    source: str
    kind: str
    dimension: str  # failing | quiet
    episode: str


@dataclass
class CrawlTotals:
    """One source's runs, summed over its whole history."""

    runs_ok: int = 0
    runs_failed: int = 0
    stats: dict[str, int] = field(default_factory=lambda: dict.fromkeys(RUN_STATS, 0))


class HealthStore:
    """Mixed into `Store`: the methods below use its `_session()`."""

    def _session(self) -> AbstractContextManager[Session]:  # provided by Store
        raise NotImplementedError

    def source_states(self, names: Collection[str] | None = None) -> dict[str, SourceState]:
        """Every known source's run history in brief (or only the named sources'), by source name. Named,
        each query reads that source's rows through its index, however many other sources there are."""
        with self._session() as s:
            known = select(SourceRecord.id, SourceRecord.name)
            if names is not None:
                known = known.where(col(SourceRecord.name).in_(list(names)))
            by_id: dict[int, str] = {i: n for i, n in s.exec(known) if i}
            only = None if names is None else list(by_id)
            last_done = _last_run_ids(s, ok=None, only=only)
            last_ok = _last_run_ids(s, ok=True, only=only)
            ids = [*last_done.values(), *last_ok.values()]
            runs = {r.id: r for r in s.exec(select(CrawlRun).where(col(CrawlRun.id).in_(ids)))}
            streaks = _failing_streaks(s, only)
            first = select(CrawlRun.source_id, func.min(CrawlRun.started_at))
            newest_q = select(ArticleRecord.source_id, func.max(ArticleRecord.first_seen))
            if only is not None:
                first = first.where(col(CrawlRun.source_id).in_(only))
                newest_q = newest_q.where(col(ArticleRecord.source_id).in_(only))
            first_run = dict(s.exec(first.group_by(CrawlRun.source_id)).all())
            newest = dict(s.exec(newest_q.group_by(ArticleRecord.source_id)).all())
        states = {}
        for source_id, name in by_id.items():
            done, ok = runs.get(last_done.get(source_id)), runs.get(last_ok.get(source_id))
            count, since = streaks.get(source_id, (0, None))
            states[name] = SourceState(
                name=name,
                last_run=done.finished_at if done else None,
                last_success=ok.finished_at if ok else None,
                last_error=done.error if done is not None and not done.ok else None,
                consecutive_failures=count,
                failing_since_run=since,
                first_run=first_run.get(source_id),
                last_new_article=newest.get(source_id),
            )
        return states

    def health_events(self, names: Collection[str] | None = None) -> list[HealthEventRow]:
        """The health changes recorded so far (of the named sources only, when named), oldest first."""
        query = select(ChangeRecord.kind, ChangeRecord.new).where(col(ChangeRecord.kind).in_(HEALTH_KINDS))
        if names is not None:  # a health change's subject is its source's name (ix_changes_kind_subject)
            query = query.where(col(ChangeRecord.subject).in_(list(names)))
        with self._session() as s:
            rows = s.exec(query.order_by(col(ChangeRecord.id))).all()
        out = []
        for kind, new in rows:
            health = (new or {}).get("health") or {}
            if {"source", "dimension", "episode"} <= health.keys():
                out.append(HealthEventRow(health["source"], kind, health["dimension"], health["episode"]))
        return out

    def record_health_change(
        self,
        *,
        key: str,
        kind: str,
        subject: str,
        summary_zh: str,
        summary_en: str,
        new: dict[str, Any],
        created_at: datetime,
        channels: list[str],
    ) -> bool:
        """Store a health change (immediate) with an outbox row per channel; False when the key is known
        (also when another process recorded it a moment before)."""
        record = ChangeRecord(
            key=key,
            kind=kind,
            subject=subject,
            summary_zh=summary_zh,
            summary_en=summary_en,
            old=None,
            new=new,
            immediate=True,
            article_id=None,
            created_at=created_at,
        )
        try:
            with self._session() as s:
                if _has_change(s, key):
                    return False
                s.add(record)
                s.flush()
                s.add_all(_delivery(key, record.id or 0, channel, created_at) for channel in channels)
                return True
        except StoreError:
            with self._session() as s:
                if _has_change(s, key):  # the unique key: another checker was first
                    return False
            raise

    def prune_runs(self, before: datetime) -> int:
        """Delete the finished runs older than `before`, folding their counts into pruned_runs. A source's
        first run, its last good one and every run since stay (the health check reads them). Returns how
        many were deleted; a run another process deleted first is not counted twice."""
        t, r = CRAWL_RUNS, CRAWL_RUNS.alias("r")
        first = select_rows(func.min(r.c.id)).where(r.c.source_id == t.c.source_id).scalar_subquery()
        last_ok = (
            select_rows(func.coalesce(func.max(r.c.id), 0))
            .where(r.c.source_id == t.c.source_id, r.c.ok.is_(True))
            .scalar_subquery()
        )
        doomed = (
            sa_delete(t)
            .where(t.c.finished_at < before, t.c.id > first, t.c.id < last_ok)
            .returning(t.c.source_id, t.c.ok, t.c.stats)
        )
        with self._session() as s:
            conn = s.connection()
            gone = conn.execute(doomed).all()
            totals: dict[int, CrawlTotals] = {}
            for source_id, ok, stats in gone:
                _add(totals.setdefault(source_id, CrawlTotals()), int(bool(ok)), int(not ok), stats)
            if totals:
                _fold(conn, totals)
            return len(gone)

    # --- counters for /metrics ---

    def crawl_totals(self) -> dict[str, CrawlTotals]:
        """Finished runs and their counters, summed per source name."""
        stats = col(CrawlRun.stats)
        sums = [func.coalesce(func.sum(stats[k].as_integer()), 0) for k in RUN_STATS]
        query = (
            select(SourceRecord.name, CrawlRun.ok, func.count(), *sums)
            .join(SourceRecord, col(SourceRecord.id) == col(CrawlRun.source_id))
            .where(col(CrawlRun.ok).is_not(None))
            .group_by(SourceRecord.name, CrawlRun.ok)
        )
        totals: dict[str, CrawlTotals] = {}
        pruned = select(SourceRecord.name, PrunedRuns.runs_ok, PrunedRuns.runs_failed, PrunedRuns.stats).join(
            SourceRecord, col(SourceRecord.id) == col(PrunedRuns.source_id)
        )
        with self._session() as s:
            for name, ok, runs, *values in s.exec(query):
                total = totals.setdefault(name, CrawlTotals())
                if ok:
                    total.runs_ok += runs
                else:
                    total.runs_failed += runs
                for k, v in zip(RUN_STATS, values, strict=True):
                    total.stats[k] += int(v or 0)
            for name, runs_ok, runs_failed, stats in s.exec(pruned):
                _add(totals.setdefault(name, CrawlTotals()), runs_ok, runs_failed, stats)
        return totals

    def change_counts(self) -> dict[str, int]:
        """Changes recorded, by kind."""
        with self._session() as s:
            rows = s.exec(select(ChangeRecord.kind, func.count()).group_by(ChangeRecord.kind))
            return {kind: int(n) for kind, n in rows}

    def delivery_counts(self) -> dict[tuple[str, str], int]:
        """Alert deliveries by (channel, status): pending | sending | sent | failed."""
        with self._session() as s:
            rows = s.exec(
                select(DeliveryRecord.channel, DeliveryRecord.status, func.count()).group_by(
                    DeliveryRecord.channel, DeliveryRecord.status
                )
            )
            return {(channel, status): int(n) for channel, status, n in rows}

    def digest_counts(self) -> dict[tuple[str, str], int]:
        """Digest periods by (frequency, status): pending | sending | sent | empty | failed."""
        with self._session() as s:
            rows = s.exec(
                select(DigestRecord.frequency, DigestRecord.status, func.count()).group_by(
                    DigestRecord.frequency, DigestRecord.status
                )
            )
            return {(frequency, status): int(n) for frequency, status, n in rows}


def _add(total: CrawlTotals, runs_ok: int, runs_failed: int, stats: dict[str, int] | None) -> None:
    total.runs_ok += runs_ok
    total.runs_failed += runs_failed
    for k in RUN_STATS:
        total.stats[k] += int((stats or {}).get(k, 0))


def _fold(conn: Connection, totals: dict[int, CrawlTotals]) -> None:
    """Add pruned runs' counts to each source's pruned_runs row."""
    p = PRUNED.c
    known = select_rows(p.source_id, p.runs_ok, p.runs_failed, p.stats).where(p.source_id.in_(list(totals)))
    if conn.dialect.name == "postgresql":
        known = known.with_for_update()
    for source_id, runs_ok, runs_failed, stats in conn.execute(known):
        _add(totals[source_id], runs_ok, runs_failed, stats)
    rows = [
        {"source_id": i, "runs_ok": t.runs_ok, "runs_failed": t.runs_failed, "stats": t.stats}
        for i, t in totals.items()
    ]
    stmt = upsert(conn, PRUNED)
    new = stmt.excluded
    replace = {"runs_ok": new.runs_ok, "runs_failed": new.runs_failed, "stats": new.stats}
    conn.execute(stmt.on_conflict_do_update(index_elements=["source_id"], set_=replace), rows)


def _has_change(s: Session, key: str) -> bool:
    return s.exec(select(ChangeRecord.id).where(ChangeRecord.key == key)).first() is not None


def _delivery(key: str, change_id: int, channel: str, now: datetime) -> DeliveryRecord:
    return DeliveryRecord(
        key=f"{key}:{channel}", change_id=change_id, channel=channel, next_attempt_at=now, created_at=now
    )


def _last_run_ids(s: Session, *, ok: bool | None, only: list[int] | None) -> dict[int, int]:
    """source id → id of its last finished run (ok=None) or of its last good run (ok=True)."""
    query = select(CrawlRun.source_id, func.max(CrawlRun.id)).where(col(CrawlRun.finished_at).is_not(None))
    if ok is not None:
        query = query.where(col(CrawlRun.ok).is_(ok))
    if only is not None:
        query = query.where(col(CrawlRun.source_id).in_(only))
    return {source_id: run_id for source_id, run_id in s.exec(query.group_by(CrawlRun.source_id))}


def _failing_streaks(s: Session, only: list[int] | None) -> dict[int, tuple[int, int]]:
    """source id → (failed runs since its last good one, id of the first of them), for failing sources."""
    good = aliased(CrawlRun)
    last_ok = (
        select(func.max(good.id))
        .where(good.source_id == CrawlRun.source_id, col(good.ok).is_(True))
        .scalar_subquery()
    )
    query = (
        select(CrawlRun.source_id, func.count(), func.min(CrawlRun.id))
        .where(col(CrawlRun.ok).is_(False), col(CrawlRun.id) > func.coalesce(last_ok, 0))
        .group_by(CrawlRun.source_id)
    )
    if only is not None:
        query = query.where(col(CrawlRun.source_id).in_(only))
    return {source_id: (int(n), int(first)) for source_id, n, first in s.exec(query)}
