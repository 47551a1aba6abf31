"""robots.txt: fetched once per origin (scheme://host:port), parsed with Protego, cached.

What an answer means, after Google's documented behaviour:

    2xx                      the rules in the file (Crawl-delay included); read up to 512 KiB
    3xx                      followed (up to max_redirects); too many → allow all
    4xx (401, 403, 404 …)    no usable file: allow all
    429, 5xx, timeout,       the site cannot say: disallow the whole origin for ROBOTS_ERROR_TTL_S
    connection error         (15 minutes), then ask again. Crawling a site whose robots.txt is
                             failing risks crawling what it forbids, and a struggling server is the
                             last one to hit harder.

Good answers are kept for ROBOTS_TTL_S (24 hours, as Google does). Concurrent requests for one origin
wait for a single robots.txt request.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from protego import Protego

from watcher.fetch.pacing import Clock
from watcher.fetch.urls import origin_of

logger = logging.getLogger(__name__)

ROBOTS_TTL_S = 24 * 3600.0
ROBOTS_ERROR_TTL_S = 15 * 60.0
ROBOTS_MAX_BYTES = 512 * 1024
MAX_CRAWL_DELAY_S = 60.0  # a Crawl-delay above this is read as this


@dataclass(frozen=True, slots=True)
class RobotsRules:
    """What one origin's robots.txt allows. `parser` is None when the file gave no rules."""

    origin: str
    allow_by_default: bool
    reason: str  # why, for logs and RobotsDisallowedError: "robots.txt rules", "robots.txt: HTTP 503"
    expires_at: float
    parser: Protego | None = None

    def allows(self, url: str, user_agent: str) -> bool:
        if self.parser is not None:
            return self.parser.can_fetch(url, user_agent)
        return self.allow_by_default

    @property
    def refusal(self) -> str:
        """Why a URL of this origin is not fetched: one short line, for RobotsDisallowedError."""
        return f"disallowed by {self.reason}" if self.allow_by_default or self.parser else self.reason

    def crawl_delay_s(self, user_agent: str) -> float | None:
        if self.parser is None:
            return None
        delay = self.parser.crawl_delay(user_agent)
        return None if delay is None else min(float(delay), MAX_CRAWL_DELAY_S)


def rules_from_response(origin: str, status: int, body: bytes, now: float) -> RobotsRules:
    """The rules one robots.txt answer gives (see the module docstring)."""
    if 200 <= status < 300:
        parser = Protego.parse(body.decode("utf-8-sig", errors="replace"))
        return RobotsRules(origin, True, "robots.txt rules", now + ROBOTS_TTL_S, parser)
    if 400 <= status < 500 and status != 429:
        return RobotsRules(origin, True, f"robots.txt: HTTP {status}, allow all", now + ROBOTS_TTL_S)
    return rules_unreachable(origin, f"HTTP {status}", now)


def rules_unreachable(origin: str, cause: str, now: float) -> RobotsRules:
    """Rules for a robots.txt that could not be read: nothing is allowed for a while."""
    short = cause.split(" (", 1)[0]  # "connection failed", "timed out", "HTTP 503": no exception dump
    minutes = ROBOTS_ERROR_TTL_S / 60
    reason = f"robots.txt unavailable ({short}): not fetched, asked again in {minutes:.0f} min"
    return RobotsRules(origin, False, reason, now + ROBOTS_ERROR_TTL_S)


def rules_allow_all(origin: str, cause: str, now: float) -> RobotsRules:
    return RobotsRules(origin, True, f"robots.txt: {cause}, allow all", now + ROBOTS_TTL_S)


Loader = Callable[[str], Awaitable[RobotsRules]]


class RobotsCache:
    """Rules per origin, loaded once by the caller's loader and kept until they expire."""

    def __init__(self, *, clock: Clock = time.monotonic) -> None:
        self._clock = clock
        self._rules: dict[str, RobotsRules] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._loop: asyncio.AbstractEventLoop | None = None

    def cached(self, url: str) -> RobotsRules | None:
        rules = self._rules.get(origin_of(url))
        return rules if rules is not None and rules.expires_at > self._clock() else None

    async def rules(self, url: str, load: Loader) -> RobotsRules:
        """The rules for `url`'s origin; `load(origin)` is awaited at most once at a time per origin."""
        if (rules := self.cached(url)) is not None:
            return rules
        origin = origin_of(url)
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # kept across runs (asyncio.run per crawl): locks belong to one loop
            self._locks, self._loop = {}, loop
        async with self._locks.setdefault(origin, asyncio.Lock()):
            if (rules := self.cached(url)) is not None:
                return rules
            rules = await load(origin)
            self._rules[origin] = rules
            logger.info("robots.txt for %s: %s", origin, rules.reason, extra={"origin": origin})
            return rules
