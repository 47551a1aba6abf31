"""The one exception tree of watcher. Library code raises these; the CLI turns them into one line.

WatcherError
├── ConfigError          a setting or lexicon file is wrong (names the file and the key)
├── InputError           an input cannot be read: missing file, unknown encoding, empty text
│   └── DecodeError      bytes that no plausible Chinese encoding turns into text
└── FetchError           an HTTP fetch failed (names the URL and the cause)
"""

from __future__ import annotations


class WatcherError(Exception):
    """Base of every error watcher raises on purpose."""


class ConfigError(WatcherError):
    """A configuration or lexicon file is invalid."""


class InputError(WatcherError):
    """An input document cannot be turned into an article."""


class DecodeError(InputError):
    """The bytes of a document cannot be decoded to text."""


class FetchError(WatcherError):
    """An HTTP request failed."""


class StoreError(WatcherError):
    """The database cannot be used."""


# --- FETCH: subclasses of FetchError (owned by watcher/fetch) ---
#
# FetchError
# ├── BlockedError            an anti-bot check answered (HTTP 412/403/521, or a JavaScript cookie page)
# ├── RobotsDisallowedError   robots.txt forbids the URL (or could not be read: 5xx, timeout)
# ├── BodyTooLargeError       the body is over max_body_bytes (from Content-Length, or while streaming)
# ├── NotHtmlError            the content type is not a document (PDF, image, archive …)
# ├── HTTPStatusError         a 4xx/5xx status that retries did not cure; carries `status`
# ├── TooManyRedirectsError   more redirects than max_redirects, or a redirect loop
# ├── FetchTimeoutError       connect or read timed out on every attempt
# ├── ConnectError            the connection failed or broke on every attempt
# ├── InvalidURLError         not an http(s) URL
# └── RefusedAddressError     the host is not a public address, nor allowed (fetch/guard.py)
#
# Each carries `url`; the message is one line: "<url>: <cause>".


class _URLFetchError(FetchError):
    """A fetch error about one URL: the message is "<url>: <cause>"."""

    def __init__(self, url: str, cause: str) -> None:
        super().__init__(f"{url}: {cause}")
        self.url = url
        self.cause = cause


class BlockedError(_URLFetchError):
    """An anti-bot check answered instead of the page; `retry_after_s` is the server's hint, if any."""

    def __init__(self, url: str, cause: str, *, retry_after_s: float | None = None) -> None:
        super().__init__(url, f"blocked by an anti-bot check ({cause})")
        self.retry_after_s = retry_after_s


class RobotsDisallowedError(_URLFetchError):
    """robots.txt does not allow our user agent to fetch the URL."""


class BodyTooLargeError(_URLFetchError):
    """The response body is larger than the configured limit."""


class NotHtmlError(_URLFetchError):
    """The response is not a document we read (skipped before its body is read)."""

    def __init__(self, url: str, cause: str, *, content_type: str | None = None) -> None:
        super().__init__(url, cause)
        self.content_type = content_type


class HTTPStatusError(_URLFetchError):
    """An error status (4xx/5xx) that retries did not cure."""

    def __init__(self, url: str, cause: str, *, status: int, retry_after_s: float | None = None) -> None:
        super().__init__(url, cause)
        self.status = status
        self.retry_after_s = retry_after_s


class TooManyRedirectsError(_URLFetchError):
    """More redirects than allowed, or a redirect loop."""


class FetchTimeoutError(_URLFetchError):
    """Connecting or reading timed out on every attempt."""


class ConnectError(_URLFetchError):
    """The connection could not be made or broke, on every attempt."""


class InvalidURLError(_URLFetchError):
    """The URL is not an absolute http(s) URL."""


class RefusedAddressError(_URLFetchError):
    """The host resolves to a loopback, private, link-local or other non-public address (SSRF guard)."""


# --- NOTIFY ---
#
# DeliveryError   a channel (email, webhook, chat) could not deliver a message; `retryable` says whether
#                 the same message may succeed later (timeouts, refused connections, 4xx SMTP, HTTP 5xx
#                 and 429) or never will as configured (5xx SMTP rejections, failed logins, HTTP 4xx,
#                 a missing secret). The message is one line: "<channel>: <cause>".


class DeliveryError(WatcherError):
    """A channel could not deliver a message; `retryable` tells the outbox whether to try again."""

    def __init__(
        self,
        message: str,
        *,
        retryable: bool,
        channel: str | None = None,
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.channel = channel
        self.retry_after_s = retry_after_s  # the receiver's Retry-After hint, when it gave one
