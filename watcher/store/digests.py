"""Digests in the store: which digest periods went out, claimed once per subscriber and period.

    digest_work(frequency, period_key, due_at, now)                   who has a digest to claim now
    next_digest_attempt()                                             when a retry or lease comes due
    claim_digest(subscriber, period_key, frequency, cutoff=…, now=…)   → DigestClaim | None
    digest_start(subscriber) / open_digest_periods(id) / digests(id)   where the next one starts, …
    digest_sent / digest_empty / digest_failed(id, now, …)              the outcome of a claim
    changes_between(since, until) / failing_sources()                 what a digest is made of

A digest period (a local date, an ISO week) is one `digests` row per subscriber, unique: the first
process to claim it inserts it with a lease and fixes the window it covers, `(since, cutoff]`; a process
that dies while sending leaves the lease to expire, and the next claim sends the same window again under
the same idempotency key. A new period starts where the last digest sent (or being sent) ends, else at
the subscription; an older one still waiting for a retry is folded into it (status superseded), and one
that was given up (failed) is covered by the next.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from watcher.errors import StoreError
from watcher.models import FailingSource, FoundChange
from watcher.store.codec import change_from_record
from watcher.store.subscribers import Frequency, Subscriber, subscriber_of
from watcher.store.tables import ChangeRecord, CrawlRun, DigestRecord, SourceRecord, SubscriberRecord

_COVERING = ("sending", "sent")  # digests whose window a new one starts after
_OPEN = ("pending", "sending")  # digests not yet sent nor given up
_Row = TypeVar("_Row", "DigestClaim", "DigestRow")


@dataclass(frozen=True, slots=True)
class DigestClaim:
    """A digest period leased to the caller: send the changes in (since, cutoff], then record it."""

    id: int
    subscriber_id: int
    period_key: str
    frequency: str
    since: datetime
    cutoff: datetime
    attempts: int


@dataclass(frozen=True, slots=True)
class DigestRow:
    id: int
    period_key: str
    frequency: str
    status: str  # pending | sending | sent | empty | failed | superseded
    attempts: int
    since: datetime
    cutoff: datetime
    alerts: int
    updates: int
    sent_at: datetime | None
    last_error: str | None


class DigestStore:
    """Mixed into `Store`: the methods below use its `_session()`."""

    def _session(self) -> AbstractContextManager[Session]:  # provided by Store
        raise NotImplementedError

    def claim_digest(
        self,
        subscriber: Subscriber,
        period_key: str,
        frequency: str,
        *,
        cutoff: datetime,
        now: datetime,
        lease_s: float = 300,
    ) -> DigestClaim | None:
        """Lease the subscriber's digest for a period; None when it is sent, given up, empty, leased to
        another process, or waiting to be retried. The first claim fixes the window; later ones keep it."""
        lease_until = now + timedelta(seconds=lease_s)
        try:
            with self._session() as s:
                query = select(DigestRecord).where(
                    DigestRecord.subscriber_id == subscriber.id, DigestRecord.period_key == period_key
                )
                if s.get_bind().dialect.name == "postgresql":
                    query = query.with_for_update(skip_locked=True)
                row = s.exec(query).first()
                if row is None:
                    _supersede_pending(s, subscriber.id)
                    since = min(_covered_until(s, subscriber), cutoff)
                    row = DigestRecord(
                        subscriber_id=subscriber.id,
                        period_key=period_key,
                        frequency=frequency,
                        since=since,
                        cutoff=cutoff,
                        next_attempt_at=now,
                        created_at=now,
                    )
                elif not _is_claimable(row, now):
                    return None
                row.status, row.lease_until = "sending", lease_until
                s.add(row)
                s.flush()
                return _copy(DigestClaim, row)
        except StoreError as exc:
            if isinstance(exc.__cause__, IntegrityError):
                return None  # another process inserted the period first: it is theirs
            raise

    def digest_start(self, subscriber: Subscriber) -> datetime:
        """Where the subscriber's next digest starts (what `claim_digest` would take as `since`)."""
        with self._session() as s:
            return _covered_until(s, subscriber)

    def digest_work(
        self, frequency: Frequency, period_key: str, due_at: datetime, now: datetime
    ) -> list[Subscriber]:
        """Active subscribers of `frequency` with a digest to claim at `now`: one whose period `period_key`
        (due at `due_at`) has no row yet, or one with a period waiting whose retry or lease has run out.
        Two queries, however many subscribers: the delivery interval asks it every round."""
        with self._session() as s:
            rows = s.exec(
                select(DigestRecord)
                .where(DigestRecord.frequency == frequency)
                .where(or_(DigestRecord.period_key == period_key, col(DigestRecord.status).in_(_OPEN)))
            ).all()
            has_row = {r.subscriber_id for r in rows if r.period_key == period_key}
            ready = {r.subscriber_id for r in rows if r.status in _OPEN and _is_claimable(r, now)}
            found = s.exec(
                select(SubscriberRecord)
                .where(SubscriberRecord.digest == frequency, col(SubscriberRecord.paused).is_(False))
                .where(col(SubscriberRecord.unsubscribed_at).is_(None))
                .order_by(col(SubscriberRecord.id))
            )
            return [
                subscriber_of(r)
                for r in found
                if r.id in ready or (r.id not in has_row and r.created_at < due_at)
            ]

    def next_digest_attempt(self) -> datetime | None:
        """The first moment a digest waiting for a retry, or leased to a sender, may be claimed again."""
        with self._session() as s:
            rows = s.exec(
                select(DigestRecord.status, DigestRecord.next_attempt_at, DigestRecord.lease_until).where(
                    col(DigestRecord.status).in_(_OPEN)
                )
            ).all()
        moments = [at if status == "pending" else (lease or at) for status, at, lease in rows]
        return min(moments, default=None)

    def open_digest_periods(self, subscriber_id: int) -> list[tuple[str, str, datetime]]:
        """(period_key, frequency, cutoff) of the subscriber's digests not yet sent nor given up."""
        with self._session() as s:
            rows = s.exec(
                select(DigestRecord)
                .where(DigestRecord.subscriber_id == subscriber_id)
                .where(col(DigestRecord.status).in_(["pending", "sending"]))
                .order_by(col(DigestRecord.cutoff))
            ).all()
            return [(r.period_key, r.frequency, r.cutoff) for r in rows]

    def digest_sent(self, digest_id: int, now: datetime, *, alerts: int, updates: int) -> None:
        self._finish_digest(digest_id, "sent", now, alerts=alerts, updates=updates)

    def digest_empty(self, digest_id: int, now: datetime) -> None:
        """Nothing new in the window, and empty digests are not sent: the period is done."""
        self._finish_digest(digest_id, "empty", now)

    def digest_failed(self, digest_id: int, now: datetime, error: str, retry_at: datetime | None) -> None:
        """A failed attempt: retried at `retry_at`, or given up (status failed) when it is None."""
        with self._session() as s:
            row = s.get(DigestRecord, digest_id)
            if row is not None:
                row.attempts += 1
                row.last_error, row.lease_until = error, None
                row.status = "pending" if retry_at is not None else "failed"
                row.next_attempt_at = retry_at or now
                s.add(row)

    def _finish_digest(
        self, digest_id: int, status: str, now: datetime, *, alerts: int = 0, updates: int = 0
    ) -> None:
        with self._session() as s:
            row = s.get(DigestRecord, digest_id)
            if row is not None:
                row.status, row.lease_until, row.alerts, row.updates = status, None, alerts, updates
                row.attempts += status == "sent"
                row.sent_at = now if status == "sent" else None
                s.add(row)

    def digests(self, subscriber_id: int) -> list[DigestRow]:
        """The subscriber's digest periods, oldest first."""
        with self._session() as s:
            rows = s.exec(
                select(DigestRecord)
                .where(DigestRecord.subscriber_id == subscriber_id)
                .order_by(col(DigestRecord.cutoff), col(DigestRecord.id))
            ).all()
            return [_copy(DigestRow, r) for r in rows]

    # --- what digests are made of ---

    def changes_between(self, since: datetime, until: datetime) -> list[FoundChange]:
        """Changes recorded after `since` and up to `until`, in the order they were found."""
        with self._session() as s:
            rows = s.exec(
                select(ChangeRecord)
                .where(ChangeRecord.created_at > since, ChangeRecord.created_at <= until)
                .order_by(col(ChangeRecord.id))
            ).all()
            return [
                FoundChange(
                    r.id or 0,
                    change_from_record(r.kind, r.subject, r.old, r.new, r.summary_zh, r.summary_en),
                    r.immediate,
                    r.created_at,
                )
                for r in rows
            ]

    def failing_sources(self) -> list[FailingSource]:
        """Sources whose latest finished crawl run failed, by name."""
        with self._session() as s:
            latest = (
                select(CrawlRun.source_id, func.max(CrawlRun.id).label("run_id"))
                .where(col(CrawlRun.finished_at).is_not(None))
                .group_by(col(CrawlRun.source_id))
                .subquery()
            )
            rows = s.exec(
                select(SourceRecord.name, CrawlRun.error, CrawlRun.finished_at)
                .join(latest, latest.c.run_id == CrawlRun.id)
                .join(SourceRecord, col(SourceRecord.id) == CrawlRun.source_id)
                .where(col(CrawlRun.ok).is_(False))
                .order_by(col(SourceRecord.name))
            ).all()
            return [FailingSource(name, error or "", finished) for name, error, finished in rows if finished]


def _covered_until(s: Session, subscriber: Subscriber) -> datetime:
    """Where a new digest starts: the end of the last one sent or being sent, or the subscription."""
    last = s.exec(
        select(func.max(DigestRecord.cutoff)).where(
            DigestRecord.subscriber_id == subscriber.id, col(DigestRecord.status).in_(_COVERING)
        )
    ).one()
    return subscriber.created_at if last is None else max(last, subscriber.created_at)


def _copy(cls: type[_Row], row: DigestRecord) -> _Row:
    """A frozen copy of a digests row: the dataclass's fields, read from the row's columns."""
    return cls(**{name: getattr(row, name) for name in cls.__dataclass_fields__})


def _supersede_pending(s: Session, subscriber_id: int) -> None:
    """Older periods waiting for a retry: the new period's digest covers their windows instead."""
    s.exec(
        update(DigestRecord)
        .where(col(DigestRecord.subscriber_id) == subscriber_id, col(DigestRecord.status) == "pending")
        .values(status="superseded", lease_until=None)
    )


def _is_claimable(row: DigestRecord, now: datetime) -> bool:
    if row.status == "pending":
        return row.next_attempt_at <= now
    return row.status == "sending" and (row.lease_until is None or row.lease_until <= now)
