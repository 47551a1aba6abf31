"""The seam under httpx: which HTTP/1.1 implementation sends the bytes.

    make_transport(kind=DEFAULT_TRANSPORT, *, max_connections=100) → httpx.AsyncBaseTransport
        "aiohttp"  AiohttpTransport: aiohttp's C-accelerated HTTP parser under httpx's API
        "httpx"    httpx.AsyncHTTPTransport (httpcore + h11, pure Python)

httpx's own transport spends several times the CPU per request of aiohttp's (bench/bench_fetch.py
measures both in one run); everything above the transport (timeouts, streaming, decompression,
errors) stays httpx's, so the choice changes no behaviour the tests can see.

AiohttpTransport is written here rather than taken from the httpx-aiohttp package because that one maps
every aiohttp.ClientConnectionError (a server closing the connection mid-response included) to
httpx.ConnectTimeout; here each aiohttp error becomes the httpx error that means the same thing.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Literal

import aiohttp
import httpx

logger = logging.getLogger(__name__)

TransportKind = Literal["aiohttp", "httpx"]
DEFAULT_TRANSPORT: TransportKind = "aiohttp"
_CHUNK_BYTES = 64 * 1024

# Most specific first: aiohttp's timeout errors are also connection errors, and some are OSErrors.
_ERRORS: tuple[tuple[type[BaseException], type[httpx.TransportError]], ...] = (
    (aiohttp.ConnectionTimeoutError, httpx.ConnectTimeout),
    (aiohttp.SocketTimeoutError, httpx.ReadTimeout),
    (aiohttp.ServerTimeoutError, httpx.ReadTimeout),
    (TimeoutError, httpx.ReadTimeout),
    (aiohttp.InvalidURL, httpx.UnsupportedProtocol),
    (aiohttp.ClientConnectorError, httpx.ConnectError),
    (aiohttp.ServerDisconnectedError, httpx.RemoteProtocolError),
    (aiohttp.ClientPayloadError, httpx.RemoteProtocolError),
    (aiohttp.ClientResponseError, httpx.RemoteProtocolError),  # malformed status line or headers
    (aiohttp.ClientOSError, httpx.ReadError),
    (aiohttp.ClientError, httpx.NetworkError),
)


@contextmanager
def _httpx_errors() -> Iterator[None]:
    try:
        yield
    except (aiohttp.ClientError, TimeoutError) as exc:
        for aiohttp_error, httpx_error in _ERRORS:
            if isinstance(exc, aiohttp_error):
                raise httpx_error(str(exc) or type(exc).__name__) from exc
        raise  # pragma: no cover - _ERRORS ends with the base classes


class _AiohttpStream(httpx.AsyncByteStream):
    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self._response = response

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _httpx_errors():
            async for chunk in self._response.content.iter_chunked(_CHUNK_BYTES):
                yield chunk

    async def aclose(self) -> None:
        # Back to the pool when the body was read to the end; otherwise the connection is closed.
        self._response.release()


class AiohttpTransport(httpx.AsyncBaseTransport):
    """An httpx transport that sends requests with an aiohttp ClientSession (created on first use)."""

    def __init__(
        self,
        *,
        max_connections: int = 100,
        keepalive_expiry_s: float = 15.0,
        resolver: aiohttp.abc.AbstractResolver | None = None,
    ) -> None:
        self._resolver = resolver  # fetch/guard.py's GuardedResolver: addresses checked at connect time
        self._max_connections = max_connections
        self._keepalive_expiry_s = keepalive_expiry_s
        self._session: aiohttp.ClientSession | None = None

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(
                limit=self._max_connections,
                keepalive_timeout=self._keepalive_expiry_s,
                resolver=self._resolver,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                auto_decompress=False,
                trust_env=False,
                cookie_jar=aiohttp.DummyCookieJar(),
            )
        return self._session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeout = request.extensions.get("timeout", {})
        client_timeout = aiohttp.ClientTimeout(
            total=None,
            connect=timeout.get("pool"),
            sock_connect=timeout.get("connect"),
            sock_read=timeout.get("read"),
        )
        body = await request.aread()
        with _httpx_errors():
            response = await self._get_session().request(
                request.method,
                str(request.url),
                headers=request.headers.multi_items(),
                data=body or None,
                allow_redirects=False,
                timeout=client_timeout,
                skip_auto_headers=("Accept-Encoding", "User-Agent", "Accept"),
            )
        extensions = {"http_version": b"HTTP/1.1", "reason_phrase": (response.reason or "").encode("latin-1")}
        return httpx.Response(
            response.status,
            headers=list(response.raw_headers),
            stream=_AiohttpStream(response),
            request=request,
            extensions=extensions,
        )

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def make_transport(
    kind: TransportKind = DEFAULT_TRANSPORT,
    *,
    max_connections: int = 100,
    resolver: aiohttp.abc.AbstractResolver | None = None,
) -> httpx.AsyncBaseTransport:
    """A new transport of the given kind; the client it is given to closes it."""
    if kind == "aiohttp":
        return AiohttpTransport(max_connections=max_connections, resolver=resolver)
    if kind == "httpx":
        limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
        return httpx.AsyncHTTPTransport(limits=limits, trust_env=False)
    raise ValueError(f"unknown transport {kind!r} (known: aiohttp, httpx)")
