"""Subscribers and their digests: who gets what by email, and which digest periods went out.

    add_subscriber(email, …) / subscriber(id) / subscriber_by_email / subscribers()
    subscriber_by_token(token) / set_paused(email, paused) / unsubscribe(token) / remove_subscriber(email)
    digest_work(frequency, period_key, due_at, now)                   who has a digest to claim now
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

import secrets
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal, TypeVar

from sqlalchemy import func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, select

from watcher.errors import StoreError
from watcher.models import Change, FailingSource, FoundChange
from watcher.store.codec import change_from_record
from watcher.store.tables import (
    ChangeRecord,
    CrawlRun,
    DeliveryRecord,
    DigestRecord,
    SourceRecord,
    SubscriberRecord,
)
from watcher.track.rules import Filters

Frequency = Literal["daily", "weekly", "off"]
FREQUENCIES: tuple[Frequency, ...] = ("daily", "weekly", "off")
SUBSCRIBER_CHANNEL = "subscriber:"  # + id: the outbox channel of a subscriber's immediate alerts
_COVERING = ("sending", "sent")
_OPEN = (
    "pending",
    "sending",
)  # digests not yet sent nor given up  # digests whose window a new one starts after
_FILTERS = ("indicators", "subjects", "keywords", "kinds")
_Row = TypeVar("_Row", "DigestClaim", "DigestRow")


@dataclass(frozen=True, slots=True)
class Subscriber:
    id: int
    email: str
    digest: Frequency
    immediate: bool
    indicators: tuple[str, ...]  # each filter: empty means everything
    subjects: tuple[str, ...]
    keywords: tuple[str, ...]
    kinds: tuple[str, ...]
    paused: bool
    token: str
    created_at: datetime
    unsubscribed_at: datetime | None

    @property
    def is_active(self) -> bool:
        return not self.paused and self.unsubscribed_at is None

    @property
    def channel(self) -> str:
        return f"{SUBSCRIBER_CHANNEL}{self.id}"

    @property
    def filters(self) -> Filters:
        return Filters.of(
            indicators=self.indicators, subjects=self.subjects, keywords=self.keywords, kinds=self.kinds
        )

    def wants(self, change: Change) -> bool:
        """Whether the change passes the subscriber's filters (`Filters.matches`)."""
        return self.filters.matches(change)


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


def subscriber_id_of(channel: str) -> int | None:
    """`subscriber:7` → 7; None for a configured channel's name."""
    if not channel.startswith(SUBSCRIBER_CHANNEL):
        return None
    rest = channel[len(SUBSCRIBER_CHANNEL) :]
    return int(rest) if rest.isdigit() else None


def _subscriber(r: SubscriberRecord) -> Subscriber:
    """A frozen copy of the row; the filter lists become tuples."""
    fields = {name: getattr(r, name) for name in Subscriber.__dataclass_fields__}
    return Subscriber(**fields | {name: tuple(fields[name]) for name in _FILTERS})


def immediate_subscribers(s: Session) -> list[Subscriber]:
    """Active subscribers who want immediate alerts (for `record_tracking`, inside its transaction)."""
    rows = s.exec(
        select(SubscriberRecord)
        .where(col(SubscriberRecord.immediate).is_(True), col(SubscriberRecord.paused).is_(False))
        .where(col(SubscriberRecord.unsubscribed_at).is_(None))
        .order_by(col(SubscriberRecord.id))
    )
    return [_subscriber(r) for r in rows]


class SubscriberStore:
    """Mixed into `Store`: the methods below use its `_session()`."""

    def _session(self) -> AbstractContextManager[Session]:  # provided by Store
        raise NotImplementedError

    # --- subscribers ---

    def add_subscriber(
        self,
        email: str,
        *,
        now: datetime,
        digest: Frequency = "daily",
        immediate: bool = False,
        indicators: tuple[str, ...] | list[str] = (),
        subjects: tuple[str, ...] | list[str] = (),
        keywords: tuple[str, ...] | list[str] = (),
        kinds: tuple[str, ...] | list[str] = (),
    ) -> tuple[Subscriber, bool]:
        """Subscribe `email`, or change an existing subscription (which resumes it); (subscriber, created).
        Someone who had unsubscribed starts afresh: their next digest covers what changes from now."""
        if digest not in FREQUENCIES:
            raise ValueError(f"unknown digest frequency {digest!r}")
        with self._session() as s:
            row = _by_email(s, email)
            created = row is None
            if row is None:
                row = SubscriberRecord(email=email.lower(), token=secrets.token_urlsafe(24), created_at=now)
            elif row.unsubscribed_at is not None:
                row.created_at, row.unsubscribed_at = now, None
            row.digest, row.immediate, row.paused = digest, immediate, False
            row.indicators, row.subjects = list(indicators), list(subjects)
            row.keywords, row.kinds = list(keywords), list(kinds)
            s.add(row)
            s.flush()
            return _subscriber(row), created

    def subscriber(self, subscriber_id: int) -> Subscriber | None:
        with self._session() as s:
            return _subscriber(row) if (row := s.get(SubscriberRecord, subscriber_id)) else None

    def subscriber_by_token(self, token: str) -> Subscriber | None:
        """The subscriber an unsubscribe link names (None for an unknown token)."""
        with self._session() as s:
            row = s.exec(select(SubscriberRecord).where(SubscriberRecord.token == token)).first()
            return _subscriber(row) if row is not None else None

    def subscriber_by_email(self, email: str) -> Subscriber | None:
        with self._session() as s:
            return _subscriber(row) if (row := _by_email(s, email)) else None

    def subscribers(self, *, active: bool | None = None, digest: Frequency | None = None) -> list[Subscriber]:
        """Every subscriber in the order they first subscribed; `active`: only (not) paused or gone."""
        with self._session() as s:
            query = select(SubscriberRecord).order_by(col(SubscriberRecord.id))
            if digest is not None:
                query = query.where(SubscriberRecord.digest == digest)
            found = [_subscriber(r) for r in s.exec(query)]
        return [x for x in found if active is None or x.is_active == active]

    def set_paused(self, email: str, paused: bool) -> bool:
        """Pause or resume; False when there is no such subscriber."""
        with self._session() as s:
            row = _by_email(s, email)
            if row is None:
                return False
            row.paused = paused
            s.add(row)
            return True

    def unsubscribe(self, token: str, now: datetime | None = None) -> bool:
        """The one-click unsubscribe: True when the token names a subscriber (now, or already, gone)."""
        if not token:
            return False
        with self._session() as s:
            row = s.exec(select(SubscriberRecord).where(SubscriberRecord.token == token)).first()
            if row is None:
                return False
            if row.unsubscribed_at is None:
                row.unsubscribed_at = now or datetime.now(UTC)
                s.add(row)
            return True

    def remove_subscriber(self, email: str) -> bool:
        """Forget a subscriber with their digests and alert deliveries; False when there is none."""
        with self._session() as s:
            row = _by_email(s, email)
            if row is None:
                return False
            channel = f"{SUBSCRIBER_CHANNEL}{row.id}"
            s.exec(delete(DeliveryRecord).where(col(DeliveryRecord.channel) == channel))
            s.exec(delete(DigestRecord).where(col(DigestRecord.subscriber_id) == row.id))
            s.delete(row)
            return True

    # --- digests ---

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
                _subscriber(r)
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


def _by_email(s: Session, email: str) -> SubscriberRecord | None:
    return s.exec(select(SubscriberRecord).where(SubscriberRecord.email == email.lower())).first()


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
