"""Where a change becomes an email (or a webhook call, or a chat message): the outbox and the digests.

    deliver_due(store, channels, settings, now, only=None) → DeliveryStats     alerts due now
    send_due_digests(store, channels, settings, now, frequency=None) → DigestStats
    preview_digest(store, settings, subscriber, now) → Message                  `watcher digest --preview`
    requeue_failed(store, now, channel=None, since=None) → int                  `deliver --retry-failed`

Alerts. The pipeline writes one outbox row per alert and channel, with its change (store/tracking.py).
`deliver_due` sends what is due, each sending channel on its own threads (`alerts.per_channel_concurrency`
of them): a webhook that hangs holds up its own alerts, never another channel's. A sender claims one
delivery at a time, leased for `daemon.lease_s`, sends it, and records the outcome at the moment it
happened: `sent_at` is the send; a failure is retried `retry_base_s × 2^(attempts-1)` (at most
`retry_max_s`) after the failure while the channel says it may succeed later and attempts remain, else it
is dead-lettered (status failed, with its last error) until `watcher deliver --retry-failed`. Only
deliveries due when the batch started are claimed, and none twice in one batch: a failure waits for its
backoff, however long the batch runs. A subscriber's alert (channel `subscriber:<id>`) goes through the
digest email channel to the subscriber, with the one-click unsubscribe headers; a subscriber who paused or
left meanwhile gets nothing (status cancelled).

Digests. A period's digest is claimed per subscriber (a `digests` row, unique per subscriber and period,
leased), sent, then recorded (store/subscribers.py). `send_due_digests` runs on the delivery interval as
well as at the digest times: a digest whose time passed while the daemon was down, or whose send failed,
goes out at the next interval — retried every `daemon.deliver_every_s` while the channel may recover,
until the next period's digest covers it. A process that dies between sending and recording leaves the
lease to run out; the digest is then sent again with the same Message-ID.

Every send carries an idempotency key (Message-ID, Idempotency-Key): delivery is at least once, and a
receiver can drop the rare repeat after a crash between a send and its record.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from watcher.config import AlertSettings, Settings
from watcher.errors import ConfigError, DeliveryError
from watcher.models import FoundChange
from watcher.notify import Channel
from watcher.notify.digest import DigestFrequency, Period, compose_digest, due_period
from watcher.notify.email import EmailSender
from watcher.notify.message import Message, alert_message, unsubscribe_headers
from watcher.store import Store
from watcher.store.digests import DigestClaim
from watcher.store.outbox import SUBSCRIBERS, Delivery
from watcher.store.subscribers import Subscriber, subscriber_id_of

logger = logging.getLogger(__name__)

FREQUENCIES: tuple[DigestFrequency, ...] = ("daily", "weekly")


@dataclass
class DeliveryStats:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    cancelled: int = 0  # subscriber alerts whose subscriber paused or left before they were sent

    def line(self) -> str:
        line = f"alerts: {self.sent} sent, {self.retrying} to retry, {self.failed} failed"
        return line + (f", {self.cancelled} cancelled" if self.cancelled else "")

    def add(self, other: DeliveryStats) -> None:
        self.sent += other.sent
        self.retrying += other.retrying
        self.failed += other.failed
        self.cancelled += other.cancelled


@dataclass
class DigestStats:
    sent: int = 0
    skipped_empty: int = 0
    failed: int = 0  # attempts that failed (retried later while the channel allows)
    # when there was nothing to claim: the first moment something may be (the next period, a retry)
    quiet_until: datetime | None = field(default=None, compare=False)

    def line(self) -> str:
        return f"digests: {self.sent} sent, {self.skipped_empty} empty (not sent), {self.failed} failed"


def retry_delay_s(attempts: int, settings: AlertSettings) -> float:
    """The wait after the `attempts`-th failed attempt: retry_base_s × 2^(attempts-1), at most retry_max_s."""
    return min(settings.retry_max_s, settings.retry_base_s * 2 ** max(0, attempts - 1))


Now = datetime | Callable[[], datetime]  # the batch's start (moved on by the time spent), or a clock


class _Moment:
    """The moment of each event of a batch: read from the clock, or `now` moved on by the time spent."""

    def __init__(self, now: Now) -> None:
        self._clock = now if callable(now) else None
        self.start, self._t0 = (now() if callable(now) else now), time.monotonic()

    def __call__(self) -> datetime:
        if self._clock is not None:
            return self._clock()
        return self.start + timedelta(seconds=time.monotonic() - self._t0)


# --- alerts ---


def sending_channels(settings: Settings, channels: Mapping[str, Channel]) -> dict[str, tuple[str, ...]]:
    """Each sending channel with the outbox channels it serves: its own name; the digest email channel
    also every subscriber's alerts. (An outbox channel no longer configured is served by none: its
    alerts wait, and `watcher alerts` shows them pending.)"""
    served: dict[str, tuple[str, ...]] = {name: (name,) for name in channels}
    digest_channel = settings.digests.channel
    if isinstance(channels.get(digest_channel), EmailSender):
        served[digest_channel] = (digest_channel, SUBSCRIBERS)
    return served


def deliver_due(
    store: Store,
    channels: Mapping[str, Channel],
    settings: Settings,
    now: Now,
    *,
    only: Iterable[str] | None = None,
    stopping: Callable[[], bool] = lambda: False,
) -> DeliveryStats:
    """Send the alerts due at `now` on every channel (or the channels named in `only`), each channel on
    its own threads; never raises for a channel's failure. Once `stopping()` says so (a shutdown), no
    sender claims another delivery: each finishes the send it is in and returns."""
    served = sending_channels(settings, channels)
    names = [n for n in served if only is None or n in set(only)]
    batch = _Batch(_Moment(now), stopping)

    def send(name: str) -> DeliveryStats:
        return _send_channel(_ChannelSender(store, channels[name], served[name], settings, batch))

    stats = DeliveryStats()
    if len(names) == 1:
        stats.add(send(names[0]))
    elif names:
        with ThreadPoolExecutor(len(names), thread_name_prefix="watcher-deliver") as pool:
            for channel_stats in pool.map(send, names):
                stats.add(channel_stats)
    return stats


def _send_channel(first: _ChannelSender) -> DeliveryStats:
    """One channel's share of a batch: one sender looks; only when it finds work do the others
    (`per_channel_concurrency` in all) join it, so an idle channel costs one query a round."""
    delivery = first.claim()
    if delivery is None:
        return first.stats
    helpers = [
        replace(first, stats=DeliveryStats())
        for _ in range(first.settings.alerts.per_channel_concurrency - 1)
    ]
    with ThreadPoolExecutor(max(1, len(helpers)), thread_name_prefix="watcher-send") as pool:
        running = [pool.submit(helper.run) for helper in helpers]
        first.run(delivery)
        for future in running:
            future.result()
    stats = first.stats
    for helper in helpers:
        stats.add(helper.stats)
    return stats


@dataclass
class _Batch:
    """What the senders of one `deliver_due` share: its clock, and the deliveries that failed in it
    (not claimed again in it, even when their backoff is zero or the clock stands still)."""

    moment: _Moment
    stopping: Callable[[], bool]
    failed: set[int] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def excluded(self) -> set[int]:
        with self.lock:
            return set(self.failed)

    def mark(self, delivery_id: int) -> None:
        with self.lock:
            self.failed.add(delivery_id)


@dataclass
class _ChannelSender:
    """One sender of one channel: claims its channel's due alerts one by one and sends each."""

    store: Store
    channel: Channel
    serves: tuple[str, ...]
    settings: Settings
    batch: _Batch
    stats: DeliveryStats = field(default_factory=DeliveryStats)

    def moment(self) -> datetime:
        return self.batch.moment()

    def claim(self) -> Delivery | None:
        """The next delivery of this channel due at the batch's start and not failed in it, leased."""
        if self.batch.stopping():
            return None
        delivery = self.store.claim_delivery(
            self.batch.moment.start,
            self.moment(),
            channels=self.serves,
            exclude=self.batch.excluded(),
            lease_s=self.settings.daemon.lease_s,
        )
        return delivery

    def run(self, delivery: Delivery | None = None) -> None:
        """Send `delivery`, then claim and send until nothing due at the batch's start is left."""
        while (delivery := delivery or self.claim()) is not None:
            self._deliver(delivery)
            delivery = None

    def _deliver(self, delivery: Delivery) -> None:
        message = alert_message([delivery.change], idempotency_key=delivery.key)
        subscriber_id = subscriber_id_of(delivery.channel)
        if subscriber_id is not None:
            addressed = self._to_subscriber(subscriber_id, message)
            if addressed is None:
                reason = f"subscriber {subscriber_id} paused or left"
                self.store.delivery_cancelled(delivery.id, self.moment(), reason)
                self.stats.cancelled += 1
                return
            message = addressed
        try:
            self.channel.send(message)
        except DeliveryError as exc:
            self._failed(delivery, exc)
            return
        self.store.delivered(delivery.id, self.moment())
        self.stats.sent += 1

    def _to_subscriber(self, subscriber_id: int, message: Message) -> Message | None:
        """The alert addressed to the subscriber; None when they paused, unsubscribed or were removed."""
        subscriber = self.store.subscriber(subscriber_id)
        if subscriber is None or not subscriber.is_active:
            return None
        headers = unsubscribe_headers(self.settings.digests.base_url, subscriber.token)
        return replace(message, to=(subscriber.email,), headers=message.headers + headers)

    def _failed(self, delivery: Delivery, exc: DeliveryError) -> None:
        self.batch.mark(delivery.id)
        failed_at = self.moment()
        alerts = self.settings.alerts
        attempts = delivery.attempts + 1
        retry = exc.retryable and attempts < alerts.max_attempts
        retry_at = failed_at + timedelta(seconds=retry_delay_s(attempts, alerts)) if retry else None
        self.store.delivery_failed(delivery.id, failed_at, str(exc), retry_at)
        logger.warning(
            "alert %s on %s: %s%s",
            delivery.key[:12],
            delivery.channel,
            exc,
            f" (attempt {attempts}, retry at {retry_at:%H:%M:%S})" if retry_at else " (given up)",
            extra={"channel": delivery.channel},
        )
        self.stats.retrying += retry
        self.stats.failed += not retry


def requeue_failed(
    store: Store, now: datetime, *, channel: str | None = None, since: datetime | None = None
) -> int:
    """Dead-lettered alerts (of one channel, found since a moment) due again now, with fresh attempts."""
    return store.requeue_failed(now, channel=channel, since=since)


# --- digests ---


def digest_channel(settings: Settings, channels: Mapping[str, Channel]) -> EmailSender:
    """The email channel digests go through; ConfigError when `digests.channel` names none."""
    name = settings.digests.channel
    channel = channels.get(name)
    if channel is None:
        known = ", ".join(channels) or "none"
        raise ConfigError(f"digests.channel names no channel {name!r} (configured: {known})")
    if not isinstance(channel, EmailSender):
        raise ConfigError(f"digests.channel {name!r} is not an email channel")
    return channel


def send_due_digests(
    store: Store,
    channels: Mapping[str, Channel],
    settings: Settings,
    now: Now,
    *,
    frequency: DigestFrequency | None = None,
) -> DigestStats:
    """Send every digest due at `now` and not sent yet: the current period's, an earlier one missed or
    waiting for its retry. Each is claimed before it is sent, so each goes out once."""
    stats = DigestStats()
    if not settings.digests.enabled:
        logger.info("digests are disabled (digests.enabled = false)")
        return stats
    moment = _Moment(now)
    frequencies = [frequency] if frequency else list(FREQUENCIES)
    dues = {f: due_period(moment.start, settings.digests, f) for f in frequencies}
    work = {f: store.digest_work(f, due.key, due.due_at, moment.start) for f, due in dues.items()}
    if not any(work.values()):  # nothing to claim: no channel needed either
        ahead = {"daily": timedelta(days=1), "weekly": timedelta(days=7)}
        upcoming = [due_period(moment.start + ahead[f], settings.digests, f).due_at for f in dues]
        retry = store.next_digest_attempt()
        stats.quiet_until = min([*upcoming, *([retry] if retry else [])])
        return stats
    sending = _DigestSending(store, digest_channel(settings, channels), settings, moment, stats)
    for freq, subscribers in work.items():
        for subscriber in subscribers:
            _send_periods(store, sending, subscriber, freq, dues[freq])
    return stats


def _send_periods(
    store: Store, sending: _DigestSending, subscriber: Subscriber, freq: DigestFrequency, due: Period
) -> None:
    now = sending.moment.start
    # earlier periods not sent yet (a crash, a retry) first, in order, then the one due now
    periods = {key: cutoff for key, f, cutoff in store.open_digest_periods(subscriber.id) if f == freq}
    periods.setdefault(due.key, due.due_at)
    for key, cutoff in periods.items():
        if cutoff <= subscriber.created_at:
            continue  # the period was due before they subscribed
        lease_s = sending.settings.daemon.lease_s
        claim = store.claim_digest(subscriber, key, freq, cutoff=cutoff, now=now, lease_s=lease_s)
        if claim is not None:
            sending.send(subscriber, claim)


class _DigestSending:
    """One run of `send_due_digests`: the changes of each window are read once."""

    def __init__(
        self, store: Store, channel: EmailSender, settings: Settings, moment: _Moment, stats: DigestStats
    ) -> None:
        self.store, self.channel, self.settings, self.stats = store, channel, settings, stats
        self.moment = moment
        self.failing = store.failing_sources()
        self._changes: dict[tuple[datetime, datetime], list[FoundChange]] = {}

    def send(self, subscriber: Subscriber, claim: DigestClaim) -> None:
        window = (claim.since, claim.cutoff)
        if window not in self._changes:
            self._changes[window] = self.store.changes_between(*window)
        filters = subscriber.filters
        picked = [f for f in self._changes[window] if filters.matches(f.change)]
        if not picked and not self.settings.digests.send_empty:
            self.store.digest_empty(claim.id, self.moment())
            self.stats.skipped_empty += 1
            return
        frequency: DigestFrequency = "weekly" if claim.frequency == "weekly" else "daily"
        period = Period(frequency, claim.period_key, claim.cutoff)
        message = compose_digest(self.settings, subscriber, period, claim.since, picked, self.failing)
        try:
            self.channel.send(message)
        except DeliveryError as exc:
            self._failed(claim, exc)
            return
        alerts = sum(f.immediate for f in picked)
        self.store.digest_sent(claim.id, self.moment(), alerts=alerts, updates=len(picked) - alerts)
        self.stats.sent += 1

    def _failed(self, claim: DigestClaim, exc: DeliveryError) -> None:
        """Retried on the delivery interval while the channel may recover (the next period's digest takes
        over its window); given up at once when it cannot (a rejected address, a wrong password)."""
        failed_at = self.moment()
        retry_at = (
            failed_at + timedelta(seconds=self.settings.daemon.deliver_every_s) if exc.retryable else None
        )
        self.store.digest_failed(claim.id, failed_at, str(exc), retry_at)
        self.stats.failed += 1
        logger.warning("digest %s of subscriber %d: %s", claim.period_key, claim.subscriber_id, exc)


def preview_digest(store: Store, settings: Settings, subscriber: Subscriber, now: datetime) -> Message:
    """The subscriber's next digest as it stands at `now`: what changed since their last one."""
    frequency: DigestFrequency = "weekly" if subscriber.digest == "weekly" else "daily"
    ahead = timedelta(days=7 if frequency == "weekly" else 1)
    period = replace(due_period(now + ahead, settings.digests, frequency), due_at=now)
    since = min(store.digest_start(subscriber), now)
    filters = subscriber.filters
    found = [f for f in store.changes_between(since, now) if filters.matches(f.change)]
    return compose_digest(settings, subscriber, period, since, found, store.failing_sources())
