"""Time between requests: per-host spacing and concurrency, retry backoff, Retry-After.

    HostPacer.wait(host, min_delay_s)     sleep until `host` may see the next request start
    HostPacer.defer(host, delay_s)        hold every request to `host` back (a Retry-After)
    HostLimiter.slot(host, limit)         at most `limit` requests in flight to `host`
    backoff_delay(attempt, base_s, max_s) full-jitter exponential backoff
    parse_retry_after(value, now)         Retry-After (seconds or HTTP date) → seconds

The pacer reserves start times, so concurrent callers for one host leave at min_delay_s intervals
without a lock; clock and sleep are injectable, so tests move time instead of waiting. The limiter
takes the limit per call (a source's Politeness may differ from another's on the same host): each
request waits until fewer than its own limit are in flight.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC
from email.utils import parsedate_to_datetime

logger = logging.getLogger(__name__)

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class HostPacer:
    """A minimum delay between request starts to the same host."""

    def __init__(self, *, clock: Clock = time.monotonic, sleep: Sleep = asyncio.sleep) -> None:
        self._clock = clock
        self._sleep = sleep
        self._next_start: dict[str, float] = {}  # earliest start of the next request, per host
        self._held_until: dict[str, float] = {}

    async def wait(self, host: str, min_delay_s: float) -> float:
        """Sleep until a request to `host` may start; return the seconds waited."""
        now = self._clock()
        start = max(now, self._next_start.get(host, now), self._held_until.get(host, now))
        self._next_start[host] = start + min_delay_s  # reserved before sleeping: callers queue up
        waited = start - now
        if waited > 0:
            logger.debug("pacing %s: waiting %.3f s", host, waited, extra={"host": host})
            await self._sleep(waited)
        return waited

    def defer(self, host: str, delay_s: float) -> None:
        """No request to `host` starts within `delay_s` from now (the server asked for a pause)."""
        until = self._clock() + delay_s
        self._held_until[host] = max(self._held_until.get(host, until), until)


@dataclass(slots=True)
class _Gate:
    active: int = 0
    waiters: list[tuple[asyncio.Future[None], int]] = field(default_factory=list)  # (waiter, its limit)


class HostLimiter:
    """Per-host concurrency: each request waits until fewer than its own limit are in flight."""

    def __init__(self) -> None:
        self._gates: dict[str, _Gate] = {}

    @asynccontextmanager
    async def slot(self, host: str, limit: int) -> AsyncIterator[None]:
        gate = self._gates.setdefault(host, _Gate())
        while gate.active >= limit:
            waiter = asyncio.get_running_loop().create_future()
            entry = (waiter, limit)
            gate.waiters.append(entry)
            try:
                await waiter
            except BaseException:
                if waiter.done() and not waiter.cancelled():
                    _wake_one(gate)  # woken, then cancelled: the wake-up goes to the next in line
                raise
            finally:
                if entry in gate.waiters:
                    gate.waiters.remove(entry)
        gate.active += 1
        try:
            yield
        finally:
            gate.active -= 1  # synchronous: a cancelled request cannot leak its slot
            _wake_one(gate)

    def in_flight(self, host: str) -> int:
        gate = self._gates.get(host)
        return gate.active if gate else 0


def _wake_one(gate: _Gate) -> None:
    """Wake the longest waiting request that the freed slot lets in (its own limit above those in flight):
    one, not all — a thousand queued requests woken at every release was O(n²) work for the loop."""
    for i, (waiter, limit) in enumerate(gate.waiters):
        if not waiter.done() and limit > gate.active:
            del gate.waiters[i]
            waiter.set_result(None)
            return


def backoff_delay(attempt: int, base_s: float, max_s: float, rng: random.Random | None = None) -> float:
    """Full jitter: uniform in [0, min(max_s, base_s × 2^attempt)]; attempt 0 is the first retry."""
    ceiling = min(max_s, base_s * 2.0 ** min(attempt, 62))
    return (rng or random).uniform(0.0, ceiling)


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: "120" or an HTTP date; None when absent or unreadable.

    `now` is the current Unix time (for HTTP dates); a date in the past gives 0.
    """
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # "-0000": still GMT, as every HTTP date is
        when = when.replace(tzinfo=UTC)
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


class SharedPacer(HostPacer):
    """Pacing shared by several processes: each request start is reserved through `reserve(host, delay)`,
    which returns the seconds to wait (the store does it in one upsert on the database's clock)."""

    def __init__(
        self,
        reserve: Callable[[str, float], float],
        defer: Callable[[str, float], None],
        *,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        super().__init__(sleep=sleep)
        self._reserve = reserve
        self._defer_shared = defer

    async def wait(self, host: str, min_delay_s: float) -> float:
        if min_delay_s <= 0:
            return await super().wait(host, 0)  # nothing to share; a local defer still holds
        waited = await asyncio.to_thread(self._reserve, host, min_delay_s)
        if waited > 0:
            logger.debug("shared pacing %s: waiting %.3f s", host, waited, extra={"host": host})
            await self._sleep(waited)
        return waited

    def defer(self, host: str, delay_s: float) -> None:
        super().defer(host, delay_s)
        self._defer_shared(host, delay_s)
