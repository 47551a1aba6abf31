"""The health side of the store: how each source's runs went, and counters for /metrics.

    source_states(names=None)     {source name: SourceState}   last run, last success, failing streak,
                                  newest article (articles.first_seen), first run
    health_events(names=None)     [HealthEventRow]   the source_failing / source_quiet / source_recovered
                                  changes recorded so far, oldest first (which episodes are open)
    record_health_change(...)     a health change and its outbox rows in ONE transaction, once per key
    prune_runs(before)            old runs deleted, their counts folded into pruned_runs
    prune_health(before)          closed health episodes older than that deleted with their outbox rows,
                                  their counts folded into pruned_changes and pruned_deliveries
    crawl_totals() / change_counts() / delivery_counts() / digest_counts()
                                  counters summed from the database, so they survive restarts

Mixed into `Store` like `TrackingStore`: the methods use its `_session()`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, func
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
    PrunedChanges,
    PrunedDeliveries,
    PrunedRuns,
    SourceRecord,
)

CRAWL_RUNS = CrawlRun.__table__  # type: ignore[attr-defined]
PRUNED = PrunedRuns.__table__  # type: ignore[attr-defined]
CHANGES = ChangeRecord.__table__  # type: ignore[attr-defined]
DELIVERIES = DeliveryRecord.__table__  # type: ignore[attr-defined]
PRUNED_CHANGES = PrunedChanges.__table__  # type: ignore[attr-defined]
PRUNED_DELIVERIES = PrunedDeliveries.__table__  # type: ignore[attr-defined]
RAISED_BY = {"failing": "source_failing", "quiet": "source_quiet"}  # the change that opens an episode
OPEN_STATUSES = ("pending", "sending")  # a delivery still to be sent needs its change
PRUNE_BATCH = 500  # recoveries read per transaction

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

    def prune_health(self, before: datetime, *, batch: int = PRUNE_BATCH) -> int:
        """Delete the closed health episodes that ended before `before` — the source_failing or
        source_quiet change that opened one, the source_recovered that closed it — with their outbox
        rows, once each of those was sent, given up or cancelled. Their counts go to pruned_changes and
        pruned_deliveries in the same transaction, so change_counts() and delivery_counts() stay as they
        were. An open episode (raised, not recovered) is never touched, nor a change a digest still to be
        sent may cover. Returns how many changes were deleted; one another process deleted first is not
        counted twice.

        The work follows what is old, never a source's whole history: recoveries older than the cutoff
        whose own alerts are out, through ix_changes_kind_created_at, the change that opened each by its
        key, their deliveries by change id; `batch` recoveries a transaction. With nothing to prune it is
        two index probes (an episode whose opening alert still waits is looked at again each time)."""
        with self._session() as s:
            cutoff = _before_open_digests(s, before)
        deleted, kept, more = 0, set[int](), True
        while more:
            with self._session() as s:
                gone, left, more = _prune_episodes(s.connection(), cutoff, kept, batch)
            deleted, kept = deleted + gone, kept | left
        return deleted

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
        """Changes recorded, by kind (the pruned ones too)."""
        with self._session() as s:
            rows = s.exec(select(ChangeRecord.kind, func.count()).group_by(ChangeRecord.kind)).all()
            pruned = s.exec(select(PrunedChanges.kind, PrunedChanges.changes)).all()
        counts: dict[str, int] = {}
        for kind, n in [*rows, *pruned]:
            counts[kind] = counts.get(kind, 0) + int(n)
        return counts

    def delivery_counts(self) -> dict[tuple[str, str], int]:
        """Alert deliveries by (channel, status): pending | sending | sent | failed (the pruned ones too)."""
        with self._session() as s:
            rows = s.exec(
                select(DeliveryRecord.channel, DeliveryRecord.status, func.count()).group_by(
                    DeliveryRecord.channel, DeliveryRecord.status
                )
            ).all()
            pruned = s.exec(
                select(PrunedDeliveries.channel, PrunedDeliveries.status, PrunedDeliveries.deliveries)
            ).all()
        counts: dict[tuple[str, str], int] = {}
        for channel, status, n in [*rows, *pruned]:
            counts[channel, status] = counts.get((channel, status), 0) + int(n)
        return counts

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


def episode_key(kind: str, source: str, dimension: str, episode: str) -> str:
    """The key of a health change: one per kind, source, dimension and episode, so it is recorded once
    (`SourceEvent.key`), and the change that opened an episode is found from its recovery."""
    text = f"{kind}|{source}|{dimension}|{episode}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _before_open_digests(s: Session, before: datetime) -> datetime:
    """`before`, or earlier: where the oldest digest not yet sent starts (it reads its changes again)."""
    oldest = s.exec(select(func.min(DigestRecord.since)).where(col(DigestRecord.status).in_(OPEN_STATUSES)))
    since = oldest.one()
    return before if since is None or since >= before else since


def _prune_episodes(
    conn: Connection, before: datetime, kept: set[int], batch: int
) -> tuple[int, set[int], bool]:
    """One batch of recoveries older than `before` (not those `kept` by an earlier batch): their closed
    episodes deleted and counted. Returns how many changes were deleted, the recoveries kept, and whether
    there may be more (a whole batch was read)."""
    c, d = CHANGES.c, DELIVERIES.c
    waits = select_rows(d.id).where(d.change_id == c.id, d.status.in_(OPEN_STATUSES)).exists()
    old = select_rows(c.id, c.new).where(c.kind == "source_recovered", c.created_at < before, ~waits)
    if kept:
        old = old.where(c.id.not_in(list(kept)))
    recoveries = conn.execute(old.order_by(c.created_at).limit(batch)).all()
    more = len(recoveries) == batch
    episodes = _episodes(conn, recoveries, before) if recoveries else []
    ids = [i for episode in episodes for i in episode]
    outbox = select_rows(d.id, d.change_id, d.status).where(d.change_id.in_(ids))
    if conn.dialect.name == "postgresql":  # a dead letter requeued meanwhile waits for this transaction
        outbox = outbox.with_for_update()
    rows = conn.execute(outbox).all() if ids else []
    busy = {change_id for _, change_id, status in rows if status in OPEN_STATUSES}
    doomed = {i for episode in episodes if busy.isdisjoint(episode) for i in episode}
    gone_changes: Sequence[Row[Any]] = []
    if doomed:
        gone_deliveries = conn.execute(
            sa_delete(DELIVERIES)
            .where(
                d.id.in_([i for i, change_id, _ in rows if change_id in doomed]),
                d.status.not_in(OPEN_STATUSES),
            )
            .returning(d.channel, d.status)
        ).all()
        left = select_rows(d.id).where(d.change_id == c.id).exists()
        gone_changes = conn.execute(
            sa_delete(CHANGES).where(c.id.in_(list(doomed)), ~left).returning(c.id, c.kind)
        ).all()
        _count_pruned(conn, [kind for _, kind in gone_changes], gone_deliveries)
    gone = {i for i, _ in gone_changes}
    return len(gone_changes), {i for i, _ in recoveries if i not in gone}, more


def _episodes(conn: Connection, recoveries: Sequence[Row[Any]], before: datetime) -> list[list[int]]:
    """The change ids of each closed episode: [recovery, the change that opened it]. A recovery whose
    opening change is gone is an episode of one; one whose opening change came later or is not yet old
    is left alone."""
    opened_by: dict[str, int] = {}  # key of the opening change → recovery id
    for recovery_id, new in recoveries:
        health = (new or {}).get("health") or {}
        kind = RAISED_BY.get(health.get("dimension", ""))
        if kind and {"source", "episode"} <= health.keys():
            key = episode_key(kind, health["source"], health["dimension"], health["episode"])
            opened_by[key] = recovery_id
    episodes = {recovery_id: [recovery_id] for recovery_id, _ in recoveries}
    c = CHANGES.c
    for opening_id, key, created_at in conn.execute(
        select_rows(c.id, c.key, c.created_at).where(c.key.in_(list(opened_by)))
    ):
        recovery_id = opened_by[key]
        if opening_id < recovery_id and created_at < before:
            episodes[recovery_id].append(opening_id)
        else:
            del episodes[recovery_id]
    return list(episodes.values())


def _count_pruned(conn: Connection, kinds: list[str], deliveries: Sequence[Row[Any]]) -> None:
    """Add what was deleted to pruned_changes and pruned_deliveries (an atomic increment: two processes
    pruning at once add both their counts)."""
    by_kind: dict[str, int] = {}
    for kind in kinds:
        by_kind[kind] = by_kind.get(kind, 0) + 1
    by_outcome: dict[tuple[str, str], int] = {}
    for channel, status in deliveries:
        by_outcome[channel, status] = by_outcome.get((channel, status), 0) + 1
    if by_kind:
        stmt = upsert(conn, PRUNED_CHANGES)
        add = {"changes": PRUNED_CHANGES.c.changes + stmt.excluded.changes}
        rows = [{"kind": k, "changes": n} for k, n in by_kind.items()]
        conn.execute(stmt.on_conflict_do_update(index_elements=["kind"], set_=add), rows)
    if by_outcome:
        stmt = upsert(conn, PRUNED_DELIVERIES)
        add = {"deliveries": PRUNED_DELIVERIES.c.deliveries + stmt.excluded.deliveries}
        rows = [{"channel": ch, "status": st, "deliveries": n} for (ch, st), n in by_outcome.items()]
        conn.execute(stmt.on_conflict_do_update(index_elements=["channel", "status"], set_=add), rows)


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
