"""Subscribers: who gets what by email (their digests are store/digests.py's).

    add_subscriber(email, …) / subscriber(id) / subscriber_by_email / subscribers()
    subscriber_by_token(token) / set_paused(email, paused) / unsubscribe(token) / remove_subscriber(email)
    immediate_subscribers(session)      for `record_tracking`, inside its transaction

A subscriber's filters are a `Filters` (track/rules.py): the same meaning as the alert rules'. Their
immediate alerts go through the outbox on the channel `subscriber:<id>`.
"""

from __future__ import annotations

import secrets
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from sqlmodel import Session, col, delete, select

from watcher.models import Change
from watcher.store.tables import (
    DeliveryRecord,
    DigestRecord,
    SubscriberRecord,
)
from watcher.track.rules import Filters

Frequency = Literal["daily", "weekly", "off"]
FREQUENCIES: tuple[Frequency, ...] = ("daily", "weekly", "off")
SUBSCRIBER_CHANNEL = "subscriber:"  # + id: the outbox channel of a subscriber's immediate alerts
_FILTERS = ("indicators", "subjects", "keywords", "kinds")


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


def subscriber_id_of(channel: str) -> int | None:
    """`subscriber:7` → 7; None for a configured channel's name."""
    if not channel.startswith(SUBSCRIBER_CHANNEL):
        return None
    rest = channel[len(SUBSCRIBER_CHANNEL) :]
    return int(rest) if rest.isdigit() else None


def subscriber_of(r: SubscriberRecord) -> Subscriber:
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
    return [subscriber_of(r) for r in rows]


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
            return subscriber_of(row), created

    def subscriber(self, subscriber_id: int) -> Subscriber | None:
        with self._session() as s:
            return subscriber_of(row) if (row := s.get(SubscriberRecord, subscriber_id)) else None

    def subscriber_by_token(self, token: str) -> Subscriber | None:
        """The subscriber an unsubscribe link names (None for an unknown token)."""
        with self._session() as s:
            row = s.exec(select(SubscriberRecord).where(SubscriberRecord.token == token)).first()
            return subscriber_of(row) if row is not None else None

    def subscriber_by_email(self, email: str) -> Subscriber | None:
        with self._session() as s:
            return subscriber_of(row) if (row := _by_email(s, email)) else None

    def subscribers(self, *, active: bool | None = None, digest: Frequency | None = None) -> list[Subscriber]:
        """Every subscriber in the order they first subscribed; `active`: only (not) paused or gone."""
        with self._session() as s:
            query = select(SubscriberRecord).order_by(col(SubscriberRecord.id))
            if digest is not None:
                query = query.where(SubscriberRecord.digest == digest)
            found = [subscriber_of(r) for r in s.exec(query)]
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


def _by_email(s: Session, email: str) -> SubscriberRecord | None:
    return s.exec(select(SubscriberRecord).where(SubscriberRecord.email == email.lower())).first()
