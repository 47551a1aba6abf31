"""The alert outbox: deliveries claimed one at a time, their outcomes, and dead letters requeued.

    claim_delivery(due_by, now, channels=…, exclude=…, lease_s=…) → Delivery | None
    claim_deliveries(now, lease_s=…, limit=…)        several at once (what a crashed sender leaves)
    delivered(id, now) / delivery_failed(id, now, error, retry_at) / delivery_cancelled(id, now, reason)
    failed_deliveries(since=…, channel=…)            the dead letters, with their last error
    requeue_failed(now, since=…, channel=…)          dead letters due again (`deliver --retry-failed`)

A delivery is due when it is pending (or its sending lease ran out) and `next_attempt_at <= due_by`;
claiming leases it until `now + lease_s` (FOR UPDATE SKIP LOCKED on PostgreSQL, so replicas never
claim the same one). The caller passes `due_by` = the start of its batch and `now` = the moment of the
claim: a delivery that fails during a batch is due again only after the batch (and its backoff).
Every time recorded is the caller's moment of the event: `sent_at` is the send, `next_attempt_at` is
the failure plus the backoff.
"""

from __future__ import annotations

from collections.abc import Collection
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, or_, update
from sqlmodel import Session, col, select

from watcher.models import Change
from watcher.store.codec import change_from_record
from watcher.store.tables import ChangeRecord, DeliveryRecord

SUBSCRIBERS = "subscriber:*"  # in `channels`: every subscriber's alerts (channel subscriber:<id>)
_OPEN = ("pending", "sending")


@dataclass(frozen=True, slots=True)
class Delivery:
    """An alert to send on one channel, with the change it is about."""

    id: int
    key: str
    channel: str
    attempts: int
    change: Change
    immediate: bool


@dataclass(frozen=True, slots=True)
class FailedDelivery:
    """A dead letter: given up after its last attempt."""

    id: int
    key: str
    channel: str
    attempts: int
    last_error: str
    created_at: datetime
    summary_zh: str


def _channel_filter(channels: Collection[str]) -> ColumnElement[bool]:
    """SQL condition: the delivery's channel is one of `channels` (SUBSCRIBERS: any subscriber's)."""
    named = [c for c in channels if c != SUBSCRIBERS]
    conditions: list[ColumnElement[bool]] = [col(DeliveryRecord.channel).in_(named)] if named else []
    if SUBSCRIBERS in channels:
        conditions.append(col(DeliveryRecord.channel).startswith("subscriber:"))
    return or_(*conditions) if conditions else col(DeliveryRecord.id).is_(None)


def _lease(s: Session, delivery_id: int, due_by: datetime, now: datetime, lease_s: float) -> bool:
    """Lease the delivery if it is still due and free: one conditional UPDATE, so two senders (threads
    on SQLite, where the query above locks nothing) never both take it."""
    result = s.exec(
        update(DeliveryRecord)
        .where(col(DeliveryRecord.id) == delivery_id, col(DeliveryRecord.status).in_(_OPEN))
        .where(col(DeliveryRecord.next_attempt_at) <= due_by)
        .where(or_(col(DeliveryRecord.lease_until).is_(None), col(DeliveryRecord.lease_until) <= now))
        .values(status="sending", lease_until=now + timedelta(seconds=lease_s))
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


class OutboxStore:
    """Mixed into `Store`: the methods below use its `_session()`."""

    def _session(self) -> AbstractContextManager[Session]:  # provided by Store
        raise NotImplementedError

    def claim_delivery(
        self,
        due_by: datetime,
        now: datetime,
        *,
        channels: Collection[str] | None = None,
        exclude: Collection[int] = (),
        lease_s: float = 300,
    ) -> Delivery | None:
        """The oldest delivery due by `due_by` (on one of `channels`, not in `exclude`), leased until
        `now + lease_s`; None when there is none."""
        claimed = self._claim(due_by, now, lease_s, 1, channels, exclude)
        return claimed[0] if claimed else None

    def claim_deliveries(self, now: datetime, *, lease_s: float = 300, limit: int = 50) -> list[Delivery]:
        """Deliveries due now, leased to the caller (another process skips them until the lease ends)."""
        return self._claim(now, now, lease_s, limit, None, ())

    def _claim(
        self,
        due_by: datetime,
        now: datetime,
        lease_s: float,
        limit: int,
        channels: Collection[str] | None,
        exclude: Collection[int],
    ) -> list[Delivery]:
        with self._session() as s:
            due = (
                select(DeliveryRecord)
                .where(col(DeliveryRecord.status).in_(_OPEN))
                .where(DeliveryRecord.next_attempt_at <= due_by)
                .where(or_(col(DeliveryRecord.lease_until).is_(None), col(DeliveryRecord.lease_until) <= now))
                .order_by(col(DeliveryRecord.id))
                .limit(limit)
            )
            if channels is not None:
                due = due.where(_channel_filter(channels))
            if exclude:
                due = due.where(col(DeliveryRecord.id).not_in(list(exclude)))
            if s.get_bind().dialect.name == "postgresql":
                due = due.with_for_update(skip_locked=True)
            out = []
            for row in s.exec(due).all():
                if not _lease(s, row.id or 0, due_by, now, lease_s):
                    continue  # another sender took it between the query and now
                change = s.get(ChangeRecord, row.change_id)
                assert change is not None  # a foreign key
                found = change_from_record(
                    change.kind, change.subject, change.old, change.new, change.summary_zh, change.summary_en
                )
                out.append(Delivery(row.id or 0, row.key, row.channel, row.attempts, found, change.immediate))
            return out

    def delivered(self, delivery_id: int, now: datetime) -> None:
        """Sent at `now` (the moment the channel accepted it)."""
        with self._session() as s:
            row = s.get(DeliveryRecord, delivery_id)
            if row is not None:
                row.status, row.sent_at, row.lease_until = "sent", now, None
                row.attempts += 1
                s.add(row)

    def delivery_cancelled(self, delivery_id: int, now: datetime, reason: str) -> None:
        """Not to be sent, ever (its subscriber paused or left): status cancelled, with the reason."""
        with self._session() as s:
            row = s.get(DeliveryRecord, delivery_id)
            if row is not None:
                row.status, row.last_error, row.lease_until = "cancelled", reason, None
                s.add(row)

    def delivery_failed(self, delivery_id: int, now: datetime, error: str, retry_at: datetime | None) -> None:
        """A failed attempt at `now`: retried at `retry_at`, or given up (status failed) when it is None."""
        with self._session() as s:
            row = s.get(DeliveryRecord, delivery_id)
            if row is not None:
                row.attempts += 1
                row.last_error = error
                row.lease_until = None
                row.status = "pending" if retry_at is not None else "failed"
                row.next_attempt_at = retry_at or now
                s.add(row)

    def failed_deliveries(
        self, *, since: datetime | None = None, channel: str | None = None
    ) -> list[FailedDelivery]:
        """Dead letters (oldest first): deliveries given up, with their last error."""
        with self._session() as s:
            query = (
                select(DeliveryRecord, ChangeRecord.summary_zh)
                .join(ChangeRecord, col(ChangeRecord.id) == DeliveryRecord.change_id)
                .where(DeliveryRecord.status == "failed")
                .order_by(col(DeliveryRecord.id))
            )
            if since is not None:
                query = query.where(DeliveryRecord.created_at >= since)
            if channel is not None:
                query = query.where(DeliveryRecord.channel == channel)
            return [
                FailedDelivery(
                    d.id or 0, d.key, d.channel, d.attempts, d.last_error or "", d.created_at, summary
                )
                for d, summary in s.exec(query).all()
            ]

    def requeue_failed(
        self, now: datetime, *, since: datetime | None = None, channel: str | None = None
    ) -> int:
        """Dead letters due again at `now`, with a fresh set of attempts; how many were requeued.
        Their key is kept: a receiver that got one after all can drop the repeat."""
        with self._session() as s:
            query = (
                update(DeliveryRecord)
                .where(col(DeliveryRecord.status) == "failed")
                .values(status="pending", attempts=0, next_attempt_at=now, lease_until=None)
            )
            if since is not None:
                query = query.where(col(DeliveryRecord.created_at) >= since)
            if channel is not None:
                query = query.where(col(DeliveryRecord.channel) == channel)
            return int(s.exec(query).rowcount)  # type: ignore[call-overload]
