"""Sending what the outbox holds: claim due deliveries, send each on its channel, record the outcome.

    deliver_due(store, channels, now, settings) → DeliveryStats

A failed attempt is retried with exponential backoff (`retry_base_s × 2^attempts`, capped) while the
channel says it may succeed later and attempts remain; otherwise the delivery is marked failed with its
last error. Every message carries its delivery's idempotency key.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from watcher.config import AlertSettings
from watcher.errors import DeliveryError
from watcher.notify import Channel
from watcher.notify.message import alert_message
from watcher.store import Store

logger = logging.getLogger(__name__)


@dataclass
class DeliveryStats:
    sent: int = 0
    retrying: int = 0
    failed: int = 0

    def line(self) -> str:
        return f"alerts: {self.sent} sent, {self.retrying} to retry, {self.failed} failed"


def retry_delay_s(attempts: int, settings: AlertSettings) -> float:
    return min(settings.retry_max_s, settings.retry_base_s * 2 ** max(0, attempts - 1))


def deliver_due(
    store: Store, channels: Mapping[str, Channel], now: datetime, settings: AlertSettings, *, limit: int = 100
) -> DeliveryStats:
    """Send every delivery that is due; never raises for a channel's failure."""
    stats = DeliveryStats()
    for delivery in store.claim_deliveries(now, limit=limit):
        channel = channels.get(delivery.channel)
        if channel is None:
            store.delivery_failed(
                delivery.id, now, f"no channel named {delivery.channel!r} is configured", None
            )
            stats.failed += 1
            continue
        message = alert_message([delivery.change], idempotency_key=delivery.key)
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
            continue
        store.delivered(delivery.id, now)
        stats.sent += 1
    return stats
