"""Sending what the outbox holds: claim due deliveries, send each on its channel, record the outcome.

    deliver_due(store, channels, now, settings, digests=…) → DeliveryStats
    unsubscribe_headers(base_url, token)                    List-Unsubscribe (+ -Post, RFC 8058)

A failed attempt is retried with exponential backoff (`retry_base_s × 2^attempts`, capped) while the
channel says it may succeed later and attempts remain; otherwise the delivery is marked failed with its
last error. Every message carries its delivery's idempotency key. Each delivery is claimed just before it
is sent, leased for `lease_s` (the daemon's `daemon.lease_s`): a replica that dies while sending holds
one alert, not a batch, and only until its lease runs out.

A subscriber's alert (channel `subscriber:<id>`) goes through the digest email channel
(`digests.channel`) to the subscriber's address, with a one-click unsubscribe header when
`digests.base_url` is set; a subscriber who paused or left meanwhile gets nothing (status cancelled).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from watcher.config import AlertSettings, DigestSettings
from watcher.errors import DeliveryError
from watcher.notify import Channel
from watcher.notify.email import EmailSender
from watcher.notify.message import Message, alert_message
from watcher.store import Store
from watcher.store.subscribers import subscriber_id_of
from watcher.store.tracking import Delivery

logger = logging.getLogger(__name__)


@dataclass
class DeliveryStats:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    cancelled: int = 0  # subscriber alerts whose subscriber paused or left before they were sent

    def line(self) -> str:
        line = f"alerts: {self.sent} sent, {self.retrying} to retry, {self.failed} failed"
        return line + (f", {self.cancelled} cancelled" if self.cancelled else "")


def retry_delay_s(attempts: int, settings: AlertSettings) -> float:
    return min(settings.retry_max_s, settings.retry_base_s * 2 ** max(0, attempts - 1))


def unsubscribe_url(base_url: str | None, token: str) -> str | None:
    """`{base_url}/unsubscribe?token=…`; None when the service's public URL is not configured."""
    return f"{base_url.rstrip('/')}/unsubscribe?token={token}" if base_url else None


def unsubscribe_headers(base_url: str | None, token: str) -> tuple[tuple[str, str], ...]:
    """List-Unsubscribe with one-click POST (RFC 8058); none without a public URL to point at."""
    url = unsubscribe_url(base_url, token)
    if url is None:
        return ()
    return (("List-Unsubscribe", f"<{url}>"), ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"))


def deliver_due(
    store: Store,
    channels: Mapping[str, Channel],
    now: datetime,
    settings: AlertSettings,
    *,
    digests: DigestSettings | None = None,
    limit: int = 100,
    lease_s: float = 300.0,
) -> DeliveryStats:
    """Send every delivery that is due (at most `limit`); never raises for a channel's failure."""
    digests = digests or DigestSettings()
    stats = DeliveryStats()
    for delivery in _claim_each(store, now, lease_s, limit):
        message = alert_message([delivery.change], idempotency_key=delivery.key)
        name = delivery.channel
        subscriber_id = subscriber_id_of(delivery.channel)
        if subscriber_id is not None:
            name = digests.channel
            addressed = _to_subscriber(store, subscriber_id, message, digests)
            if addressed is None:
                store.delivery_cancelled(delivery.id, now, f"subscriber {subscriber_id} paused or left")
                stats.cancelled += 1
                continue
            message = addressed
        channel = channels.get(name)
        problem = _unusable(channel, name, by_email=subscriber_id is not None)
        if channel is None or problem:
            store.delivery_failed(delivery.id, now, problem, None)
            stats.failed += 1
            continue
        _send(store, channel, delivery, message, now, settings, stats)
    return stats


def _claim_each(store: Store, now: datetime, lease_s: float, limit: int) -> Iterator[Delivery]:
    """Due deliveries claimed one at a time, each when its turn comes (`now` moved on by the time spent
    sending the ones before), so that its lease covers its own send, not a whole batch's."""
    started = time.monotonic()
    for _ in range(limit):
        claimed = store.claim_deliveries(
            now + timedelta(seconds=time.monotonic() - started), lease_s=lease_s, limit=1
        )
        if not claimed:
            return
        yield claimed[0]


def _unusable(channel: Channel | None, name: str, *, by_email: bool) -> str:
    """Why the channel cannot send this delivery ('' when it can)."""
    if channel is None:
        return f"no channel named {name!r} is configured"
    if by_email and not isinstance(channel, EmailSender):
        return f"digests.channel {name!r} is not an email channel: subscribers are emailed"
    return ""


def _to_subscriber(
    store: Store, subscriber_id: int, message: Message, digests: DigestSettings
) -> Message | None:
    """The alert addressed to the subscriber; None when they paused, unsubscribed or were removed."""
    subscriber = store.subscriber(subscriber_id)
    if subscriber is None or not subscriber.is_active:
        return None
    headers = unsubscribe_headers(digests.base_url, subscriber.token)
    return replace(message, to=(subscriber.email,), headers=message.headers + headers)


def _send(
    store: Store,
    channel: Channel,
    delivery: Delivery,
    message: Message,
    now: datetime,
    settings: AlertSettings,
    stats: DeliveryStats,
) -> None:
    try:
        channel.send(message)
    except DeliveryError as exc:
        attempts = delivery.attempts + 1
        retry = exc.retryable and attempts < settings.max_attempts
        retry_at = now + timedelta(seconds=retry_delay_s(attempts, settings)) if retry else None
        store.delivery_failed(delivery.id, now, str(exc), retry_at)
        logger.warning(
            "alert %s on %s: %s",
            delivery.key[:12],
            delivery.channel,
            exc,
            extra={"channel": delivery.channel},
        )
        stats.retrying += retry
        stats.failed += not retry
        return
    store.delivered(delivery.id, now)
    stats.sent += 1
