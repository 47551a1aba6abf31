"""Fetching one URL politely: robots.txt, pacing, conditional GET, retries, limits.

    Fetcher(settings).fetch(url, validators=…, politeness=…, html_only=True) → FetchResult

One fetch, hop by hop (a redirect is a new hop, checked and paced like the first):

    canonicalize → a public address, or an allowed host? (RefusedAddressError; fetch/guard.py)
      → robots.txt allows? (RobotsDisallowedError)
      → per-host slot → global slot → pacer (min_delay_s, or a longer Crawl-delay) → GET
      → timeout (idle, or no whole answer within request_deadline_s), connection error, 408/429/5xx:
        retry (full-jitter backoff or Retry-After)
      → 3xx: next hop (TooManyRedirectsError past max_redirects or on a loop)
      → 304: not_modified; 403/412/521: BlockedError; other 4xx/5xx: HTTPStatusError
      → 2xx: content type (NotHtmlError, before the body is read) → body ≤ max_body_bytes
        (BodyTooLargeError, from Content-Length or while streaming) → JavaScript challenge? (BlockedError)

Slots are held while a request waits for its host's pacing turn (so the spacing is exact: a global slot
can sit idle for up to min_delay_s) and while it is in flight; a request waiting to retry holds none.
A Retry-After also holds back every other request to the host. One larger than backoff_max_s is not
waited for: the HTTPStatusError carries it (retry_after_s) for the caller's scheduler. Every error names
the URL asked, or, when a redirect target fails (robots.txt, timeout …), that target.

The retry loop is written out (_with_retries, ~20 lines) rather than built with tenacity: it needs the
failed response's Retry-After, a per-host deferral and attempt counts for the result and the stats,
which in tenacity would take a custom wait, a custom retry predicate and a before_sleep hook.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from types import TracebackType

import httpx

from watcher.config import FetchSettings, Politeness
from watcher.errors import (
    BlockedError,
    BodyTooLargeError,
    ConnectError,
    FetchTimeoutError,
    HTTPStatusError,
    InvalidURLError,
    NotHtmlError,
    RefusedAddressError,
    RobotsDisallowedError,
    TooManyRedirectsError,
)
from watcher.fetch.guard import AddressGuard, GuardedResolver
from watcher.fetch.pacing import HostLimiter, HostPacer, backoff_delay, parse_retry_after
from watcher.fetch.robots import (
    ROBOTS_MAX_BYTES,
    RobotsCache,
    RobotsRules,
    rules_allow_all,
    rules_from_response,
    rules_unreachable,
)
from watcher.fetch.transport import make_transport
from watcher.fetch.urls import canonicalize, host_of, is_http_url
from watcher.models import Validators

logger = logging.getLogger(__name__)

BLOCK_STATUSES = frozenset({403, 412, 521})  # what anti-bot walls (加速乐, 瑞数 …) answer
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
DOCUMENT_TYPES = frozenset(
    {"text/html", "text/plain", "text/xml", "application/xhtml+xml", "application/xml"}
)
_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,text/plain;q=0.8,*/*;q=0.5"
_ACCEPT_LANGUAGE = "zh-CN,zh;q=0.9,en;q=0.5"
_CHALLENGE_MAX_BYTES = 32 * 1024
_CHALLENGE_MAX_TEXT_BYTES = 300
_SCRIPT = re.compile(rb"<script\b.*?</script\s*>|<style\b.*?</style\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(rb"<[^>]*>")


@dataclass(frozen=True, slots=True)
class FetchResult:
    url: str  # the URL asked for (canonical)
    final_url: str  # after redirects (canonical)
    status: int
    body: bytes  # b"" on 304
    content_type: str | None
    validators: Validators  # from this response (or the ones sent, on 304)
    not_modified: bool  # True on 304
    attempts: int  # HTTP requests made for this result, redirect hops and retries included
    elapsed_s: float


@dataclass(slots=True)
class FetchStats:
    """Counters over a Fetcher's life (robots.txt requests included)."""

    requests: int = 0  # sent, retries and redirect hops included
    responses: Counter[str] = field(default_factory=Counter)  # by status class: "2xx" → n
    retries: int = 0
    not_modified: int = 0
    bytes: int = 0  # body bytes read (after decompression)


@dataclass(frozen=True, slots=True)
class _BodyRules:
    html_only: bool
    max_bytes: int
    truncate: bool = False  # cut at max_bytes instead of failing (robots.txt)


@dataclass(frozen=True, slots=True)
class _Exchange:
    """One request's answer; the body is read for 2xx only."""

    status: int
    headers: httpx.Headers
    body: bytes


def is_document_type(content_type: str | None) -> bool:
    """True for HTML, XHTML, XML (RSS, Atom, sitemaps) and plain text, and when the server does not say."""
    if not content_type:
        return True
    mime = content_type.split(";", 1)[0].strip().lower()
    return mime in DOCUMENT_TYPES or mime.endswith("+xml")


def looks_like_challenge(body: bytes) -> bool:
    """True for a small page that only sets a cookie by JavaScript and reloads: an anti-bot challenge."""
    if len(body) > _CHALLENGE_MAX_BYTES:
        return False
    lower = body.lower()
    if b"document.cookie" not in lower or (b"location" not in lower and b"eval(" not in lower):
        return False
    text = _TAG.sub(b"", _SCRIPT.sub(b"", lower))
    return len(b"".join(text.split())) < _CHALLENGE_MAX_TEXT_BYTES


def is_retryable_status(status: int) -> bool:
    return status in (408, 429) or (500 <= status < 600 and status not in BLOCK_STATUSES)


class Fetcher:
    """The HTTP client of watcher: `async with Fetcher(settings) as fetcher:`. It closes its transport."""

    def __init__(
        self,
        settings: FetchSettings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        pacer: HostPacer | None = None,
        robots: RobotsCache | None = None,
        guard: AddressGuard | None = None,
    ) -> None:
        self.settings = settings
        self._guard = guard or AddressGuard(settings.allow_hosts)  # no private address unless allowed
        self.stats = FetchStats()
        self._sleep = sleep
        self._clock = clock
        self._pacer = pacer or HostPacer(clock=clock, sleep=sleep)
        self._limiter = HostLimiter()
        self._global = asyncio.Semaphore(settings.global_concurrency)
        self._robots = robots or RobotsCache(clock=clock)  # the app keeps one across runs
        connections = max(100, settings.global_concurrency)
        self._client = httpx.AsyncClient(
            transport=transport
            or make_transport(max_connections=connections, resolver=GuardedResolver(self._guard)),
            headers={
                "User-Agent": settings.user_agent,
                "Accept": _ACCEPT,
                "Accept-Language": _ACCEPT_LANGUAGE,
            },
            timeout=httpx.Timeout(settings.timeout_s, connect=settings.connect_timeout_s),
            follow_redirects=False,
            trust_env=False,
        )

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def fetch(
        self,
        url: str,
        *,
        validators: Validators | None = None,
        politeness: Politeness | None = None,
        html_only: bool = True,
    ) -> FetchResult:
        """GET `url`; raise a FetchError subclass (naming the URL) when no usable page comes back."""
        started = self._clock()
        asked = _http_url(url)
        rules = _BodyRules(html_only=html_only, max_bytes=self.settings.max_body_bytes)
        polite = politeness or self.settings.politeness
        final_url, exchange, attempts = await self._follow(
            asked, polite, _conditional_headers(validators), rules, check_robots=polite.respect_robots
        )
        got = self._check(asked, final_url, exchange, validators)
        logger.debug("fetched %s: HTTP %d, %d bytes", asked, exchange.status, len(exchange.body))
        return FetchResult(
            url=asked,
            final_url=final_url,
            status=exchange.status,
            body=exchange.body,
            content_type=exchange.headers.get("content-type"),
            validators=got,
            not_modified=exchange.status == 304,
            attempts=attempts,
            elapsed_s=self._clock() - started,
        )

    async def robots_allows(self, url: str) -> bool:
        """Whether robots.txt lets our user agent fetch `url` (fetching robots.txt if not cached); False
        for a host the address guard refuses (no request is made to it, robots.txt included)."""
        canonical = _http_url(url)
        try:
            await self._guard.check(canonical)
        except RefusedAddressError:
            return False
        rules = await self._robots_rules(canonical, self.settings.politeness)
        return rules.allows(canonical, self.settings.user_agent)

    def _check(self, asked: str, final_url: str, exchange: _Exchange, sent: Validators | None) -> Validators:
        """Raise for an answer that is not a page; else the validators to keep."""
        status, headers = exchange.status, exchange.headers
        at = "" if final_url == asked else f" at {final_url}"
        retry_after_s = parse_retry_after(headers.get("retry-after"))
        if status in BLOCK_STATUSES:
            raise BlockedError(asked, f"HTTP {status}{at}", retry_after_s=retry_after_s)
        if status >= 300 and status != 304:
            cause = f"HTTP {status} {httpx.codes.get_reason_phrase(status)}".strip() + at
            raise HTTPStatusError(asked, cause, status=status, retry_after_s=retry_after_s)
        if looks_like_challenge(exchange.body):
            cause = f"HTTP {status} with a JavaScript cookie challenge{at}"
            raise BlockedError(asked, cause, retry_after_s=retry_after_s)
        got = Validators(etag=headers.get("etag"), last_modified=headers.get("last-modified"))
        if status != 304:
            return got
        self.stats.not_modified += 1
        sent = sent or Validators()
        return Validators(got.etag or sent.etag, got.last_modified or sent.last_modified)

    async def _follow(
        self, url: str, polite: Politeness, headers: dict[str, str], rules: _BodyRules, *, check_robots: bool
    ) -> tuple[str, _Exchange, int]:
        """Request `url`, following redirects: (final URL, its exchange, requests made)."""
        current, seen, attempts = url, {url}, 0
        for _ in range(self.settings.max_redirects + 1):
            await self._guard.check(current)
            delay_s = await self._admit(current, polite) if check_robots else polite.min_delay_s
            exchange, tries = await self._with_retries(current, polite, delay_s, headers, rules)
            attempts += tries
            location = exchange.headers.get("location")
            if exchange.status not in REDIRECT_STATUSES or not location:
                return current, exchange, attempts
            target = canonicalize(location, base=current)
            if target in seen:
                raise TooManyRedirectsError(url, f"redirect loop: {current} → {target}")
            seen.add(target)
            current = target
        raise TooManyRedirectsError(
            url, f"more than {self.settings.max_redirects} redirects (last: {current})"
        )

    async def _admit(self, url: str, polite: Politeness) -> float:
        """Raise when robots.txt forbids `url`; else the delay to keep before it (Crawl-delay counts)."""
        rules = await self._robots_rules(url, polite)
        if not rules.allows(url, self.settings.user_agent):
            raise RobotsDisallowedError(url, rules.refusal)
        return max(polite.min_delay_s, rules.crawl_delay_s(self.settings.user_agent) or 0.0)

    async def _robots_rules(self, url: str, polite: Politeness) -> RobotsRules:
        return await self._robots.rules(url, lambda origin: self._load_robots(origin, polite))

    async def _load_robots(self, origin: str, polite: Politeness) -> RobotsRules:
        rules = _BodyRules(html_only=False, max_bytes=ROBOTS_MAX_BYTES, truncate=True)
        try:
            _, exchange, _ = await self._follow(origin + "/robots.txt", polite, {}, rules, check_robots=False)
        except TooManyRedirectsError:
            return rules_allow_all(origin, "too many redirects", self._clock())
        except (FetchTimeoutError, ConnectError) as exc:
            return rules_unreachable(origin, exc.cause, self._clock())
        if exchange.status in BLOCK_STATUSES:  # the pages will say so with a BlockedError
            return rules_allow_all(origin, f"HTTP {exchange.status} from an anti-bot wall", self._clock())
        return rules_from_response(origin, exchange.status, exchange.body, self._clock())

    async def _with_retries(
        self, url: str, polite: Politeness, delay_s: float, headers: dict[str, str], rules: _BodyRules
    ) -> tuple[_Exchange, int]:
        """One hop, retried on timeouts, connection errors, 408, 429 and 5xx: (exchange, requests made)."""
        retries = self.settings.retries
        for attempt in range(retries + 1):
            try:
                exchange = await self._exchange(url, polite, delay_s, headers, rules)
            except (FetchTimeoutError, ConnectError) as exc:
                if attempt == retries:
                    raise
                wait_s, why = self._backoff(attempt), exc.cause
            else:
                if attempt == retries or not is_retryable_status(exchange.status):
                    return exchange, attempt + 1
                retry_after_s = parse_retry_after(exchange.headers.get("retry-after"))
                if retry_after_s is not None and retry_after_s > self.settings.backoff_max_s:
                    return exchange, attempt + 1  # not waited for here: the error carries the hint
                if retry_after_s is not None:
                    self._pacer.defer(host_of(url), retry_after_s)
                wait_s, why = max(retry_after_s or 0.0, self._backoff(attempt)), f"HTTP {exchange.status}"
            self.stats.retries += 1
            logger.info("retrying %s in %.2f s after %s", url, wait_s, why, extra={"url": url})
            await self._sleep(wait_s)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _backoff(self, attempt: int) -> float:
        return backoff_delay(attempt, self.settings.backoff_base_s, self.settings.backoff_max_s)

    async def _exchange(
        self, url: str, polite: Politeness, delay_s: float, headers: dict[str, str], rules: _BodyRules
    ) -> _Exchange:
        """One paced request; httpx errors become FetchErrors here and nowhere else."""
        host = host_of(url)
        async with self._limiter.slot(host, polite.per_host_concurrency), self._global:
            await self._pacer.wait(host, delay_s)
            self.stats.requests += 1
            deadline_s = self.settings.request_deadline_s
            try:
                async with asyncio.timeout(deadline_s):  # a body trickling in stalls no run
                    async with self._client.stream("GET", url, headers=headers) as response:
                        self.stats.responses[f"{response.status_code // 100}xx"] += 1
                        body = b""
                        if 200 <= response.status_code < 300:
                            body = await self._read_body(url, response, rules)
                        return _Exchange(response.status_code, response.headers, body)
            except TimeoutError as exc:
                raise FetchTimeoutError(url, f"no whole answer within {deadline_s:g} s") from exc
            except httpx.TimeoutException as exc:
                raise FetchTimeoutError(url, f"timed out ({_describe(exc)})") from exc
            except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
                raise InvalidURLError(url, _describe(exc)) from exc
            except (httpx.TransportError, httpx.DecodingError) as exc:
                raise ConnectError(url, f"connection failed ({_describe(exc)})") from exc

    async def _read_body(self, url: str, response: httpx.Response, rules: _BodyRules) -> bytes:
        content_type = response.headers.get("content-type")
        if rules.html_only and not is_document_type(content_type):
            raise NotHtmlError(url, f"not HTML ({content_type}), skipped", content_type=content_type)
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > rules.max_bytes and not rules.truncate:
            raise BodyTooLargeError(
                url, f"Content-Length {declared} is over the {rules.max_bytes}-byte limit"
            )
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            chunks.append(chunk)
            size += len(chunk)
            self.stats.bytes += len(chunk)
            if size > rules.max_bytes:
                if rules.truncate:
                    break
                raise BodyTooLargeError(
                    url, f"body over the {rules.max_bytes}-byte limit (stopped at {size} bytes)"
                )
        return b"".join(chunks)[: rules.max_bytes]


def _http_url(url: str) -> str:
    canonical = canonicalize(url)
    if not is_http_url(canonical):
        raise InvalidURLError(canonical, "not an absolute http(s) URL")
    return canonical


def _conditional_headers(validators: Validators | None) -> dict[str, str]:
    headers = {}
    if validators is not None and validators.etag:
        headers["If-None-Match"] = validators.etag
    if validators is not None and validators.last_modified:
        headers["If-Modified-Since"] = validators.last_modified
    return headers


def _describe(exc: Exception) -> str:
    detail = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
