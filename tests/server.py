"""A real HTTP/1.1 server on 127.0.0.1 (port 0) for tests: static fixture sites plus dynamic routes.

    with FixtureServer(root=DATA / "sites") as server:        # or the `fixture_server` pytest fixture
        server.route("/flaky", FailThenOk(failures=2))
        server.set_file("/news/1.html", "<html>…</html>".encode())
        url = server.url("/news/1.html")
        ...
        assert server.count("/robots.txt") == 1               # every request is in server.requests

Static files (under `root`, or set at run time with set_file) get a Content-Type guessed from the
extension, an ETag and a Last-Modified, and a 304 for a matching conditional request. An .html/.htm file
whose first 1 KB declares a GBK/GB2312/GB18030 <meta charset> is served as plain `text/html`, with no
charset, as many of the crawled sites do. Unknown paths are 404.

Dynamic routes are callables Request → Response. The helpers below build the usual ones: ETag/304,
fail-then-succeed, 429 with Retry-After, slow, redirects and loops, a huge streamed body, robots.txt, a
wrong charset header, an anti-bot JavaScript challenge. Each counts its calls.

To use the fixture everywhere: `pytest_plugins = ["tests.server"]` in tests/conftest.py.
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

_GB_META = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*(gbk|gb2312|gb18030)""", re.IGNORECASE)
_NO_BODY_STATUSES = {204, 304}


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # without the query
    query: str
    headers: dict[str, str]  # names lower-cased
    body: bytes = b""


@dataclass
class Response:
    status: int = 200
    body: bytes | Iterable[bytes] = b""  # an iterable is streamed (chunked unless Content-Length is set)
    content_type: str | None = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0  # sleep before answering


@dataclass
class RequestLog:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    time: float  # time.monotonic() when the request arrived
    end: float | None = None  # when the answer was sent (or abandoned)


Handler = Callable[[Request], Response]


@dataclass
class _File:
    body: bytes
    content_type: str
    mtime: float


class FixtureServer:
    """A threaded HTTP/1.1 server on 127.0.0.1:0 (or another loopback `address`); a context manager."""

    def __init__(self, root: Path | None = None, address: str = "127.0.0.1") -> None:
        self.address = address
        self.root = root.resolve() if root is not None else None
        self.requests: list[RequestLog] = []
        self.errors: list[Exception] = []  # exceptions raised by route handlers
        self.in_flight = 0
        self.peak_in_flight = 0
        self._routes: dict[str, Handler] = {}
        self._files: dict[str, _File] = {}
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> FixtureServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def start(self) -> None:
        httpd = _HTTPServer((self.address, 0), _RequestHandler)
        httpd.fixture = self
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self._thread.start()

    def close(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    @property
    def host(self) -> str:
        """127.0.0.1:PORT — what watcher.fetch.urls.host_of gives for this server's URLs."""
        assert self._httpd is not None, "server not started"
        return f"{self.address}:{self._httpd.server_address[1]}"

    @property
    def base_url(self) -> str:
        return f"http://{self.host}"

    def url(self, path: str) -> str:
        return self.base_url + (path if path.startswith("/") else "/" + path)

    def route(self, path: str, handler: Handler) -> None:
        """Answer requests for `path` (exact, query ignored) with `handler`."""
        self._routes[path] = handler

    def set_file(self, path: str, body: bytes, content_type: str = "text/html; charset=utf-8") -> None:
        """Serve `body` at `path` as a static file (ETag, Last-Modified, 304), replacing what was there."""
        self._files[path] = _File(body, content_type, time.time())

    def requests_to(self, path: str) -> list[RequestLog]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def count(self, path: str) -> int:
        return len(self.requests_to(path))

    # --- inside the server threads ---

    def _arrived(self, log: RequestLog) -> None:
        with self._lock:
            self.requests.append(log)
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)

    def _done(self, log: RequestLog) -> None:
        with self._lock:
            self.in_flight -= 1
            log.end = time.monotonic()

    def _answer(self, request: Request) -> Response:
        try:
            return self._respond(request)
        except Exception as exc:  # a broken test handler: say so in a 500 and keep it for the test
            self.errors.append(exc)
            return Response(500, f"handler failed: {exc!r}".encode(), "text/plain; charset=utf-8")

    def _respond(self, request: Request) -> Response:
        if request.path in self._routes:
            return self._routes[request.path](request)
        found = self._static(request.path)
        if found is None:
            return Response(404, b"<html><body>not found</body></html>")
        return static_response(request, found.body, found.content_type, found.mtime)

    def _static(self, path: str) -> _File | None:
        if path in self._files:
            return self._files[path]
        if self.root is None:
            return None
        target = (self.root / path.lstrip("/")).resolve()
        if target.is_dir():
            target = target / "index.html"
        if not target.is_relative_to(self.root) or not target.is_file():
            return None
        body = target.read_bytes()
        return _File(body, guess_content_type(target.name, body), target.stat().st_mtime)


def guess_content_type(name: str, body: bytes) -> str:
    """From the extension; HTML declaring a GB charset gets no charset parameter, other HTML gets UTF-8."""
    if name.endswith((".html", ".htm")):
        return "text/html" if _GB_META.search(body[:1024]) else "text/html; charset=utf-8"
    guessed, _ = mimetypes.guess_type(name)
    if guessed is None:
        return "application/octet-stream"
    return f"{guessed}; charset=utf-8" if guessed.startswith("text/") else guessed


def static_response(request: Request, body: bytes, content_type: str, mtime: float) -> Response:
    """200 with ETag and Last-Modified, or 304 when the request's validators match."""
    etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
    headers = {"ETag": etag, "Last-Modified": formatdate(mtime, usegmt=True)}
    if _is_fresh(request.headers, etag, mtime):
        return Response(304, b"", None, headers)
    return Response(200, body, content_type, headers)


def _is_fresh(headers: dict[str, str], etag: str, mtime: float) -> bool:
    if "if-none-match" in headers:
        tags = [t.strip() for t in headers["if-none-match"].split(",")]
        return "*" in tags or etag in tags or f"W/{etag}" in tags
    if "if-modified-since" in headers:
        try:
            since = parsedate_to_datetime(headers["if-modified-since"]).timestamp()
        except (TypeError, ValueError):
            return False
        return int(mtime) <= since
    return False


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the default 5 drops connections when a crawler opens more at once
    fixture: FixtureServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that hang up (timeouts, aborted bodies) are part of the tests


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else headers and body, written apart, wait 40 ms for a delayed ACK
    server: _HTTPServer
    timeout = 10

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._handle(head_only=False)

    def do_POST(self) -> None:
        self._handle(head_only=False)

    def do_HEAD(self) -> None:
        self._handle(head_only=True)

    def _handle(self, head_only: bool) -> None:
        fixture = self.server.fixture
        path, _, query = self.path.partition("?")
        headers = {k.lower(): v for k, v in self.headers.items()}
        length = int(headers.get("content-length", "0") or 0)
        body = self.rfile.read(length) if length else b""
        log = RequestLog(self.command, path, query, headers, time.monotonic())
        fixture._arrived(log)
        try:
            self._send(fixture._answer(Request(self.command, path, query, headers, body)), head_only)
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            self.close_connection = True
        finally:
            fixture._done(log)

    def _send(self, response: Response, head_only: bool) -> None:
        if response.delay_s:
            time.sleep(response.delay_s)
        self.send_response(response.status)
        names = {k.lower() for k in response.headers}
        if response.content_type and "content-type" not in names:
            self.send_header("Content-Type", response.content_type)
        for name, value in response.headers.items():
            self.send_header(name, value)
        if response.status in _NO_BODY_STATUSES:
            self.end_headers()
            return
        if isinstance(response.body, bytes):
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            if not head_only:
                self.wfile.write(response.body)
            return
        chunked = "content-length" not in names
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        if not head_only:
            self._stream(response.body, chunked)

    def _stream(self, chunks: Iterable[bytes], chunked: bool) -> None:
        for chunk in chunks:
            if chunk:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk)
        if chunked:
            self.wfile.write(b"0\r\n\r\n")


# --- dynamic route helpers: each returns a handler; stateful ones count what they saw -------------


class _Counting:
    def __init__(self) -> None:
        self.calls = 0
        self._lock = threading.Lock()

    def _count(self) -> int:
        with self._lock:
            self.calls += 1
            return self.calls


class EtagPage(_Counting):
    """A page with a fixed ETag and Last-Modified: 304 when If-None-Match (or If-Modified-Since) matches."""

    def __init__(self, body: bytes, content_type: str = "text/html; charset=utf-8", mtime: float = 1.7e9):
        super().__init__()
        self.body, self.content_type, self.mtime = body, content_type, mtime

    def __call__(self, request: Request) -> Response:
        self._count()
        return static_response(request, self.body, self.content_type, self.mtime)


class FailThenOk(_Counting):
    """`failures` answers with `status` (500 by default), then 200 with `body`."""

    def __init__(self, failures: int, status: int = 500, body: bytes = b"<html><body>ok</body></html>"):
        super().__init__()
        self.failures, self.status, self.body = failures, status, body

    def __call__(self, request: Request) -> Response:
        if self._count() <= self.failures:
            return Response(self.status, b"<html><body>try later</body></html>")
        return Response(200, self.body)


class TooManyRequests(_Counting):
    """429 with `Retry-After: retry_after` (seconds or an HTTP date) `times` times, then 200."""

    def __init__(self, retry_after: str, times: int = 1, body: bytes = b"<html><body>ok</body></html>"):
        super().__init__()
        self.retry_after, self.times, self.body = retry_after, times, body

    def __call__(self, request: Request) -> Response:
        if self._count() <= self.times:
            return Response(429, b"slow down", "text/plain", {"Retry-After": self.retry_after})
        return Response(200, self.body)


def slow(delay_s: float, body: bytes = b"<html><body>late</body></html>") -> Handler:
    """Answers after `delay_s` (make it longer than the client's timeout to test timeouts)."""
    return lambda request: Response(200, body, delay_s=delay_s)


def redirect(location: str, status: int = 302) -> Handler:
    return lambda request: Response(status, b"", None, {"Location": location})


def redirect_loop(server: FixtureServer, path_a: str = "/loop/a", path_b: str = "/loop/b") -> None:
    """Routes path_a → path_b → path_a …"""
    server.route(path_a, redirect(path_b))
    server.route(path_b, redirect(path_a))


class HugeBody(_Counting):
    """`size` bytes streamed in `chunk_bytes` chunks; `sent_bytes` tells how far the client let it go."""

    def __init__(
        self,
        size: int = 20 * 1024 * 1024,
        *,
        chunk_bytes: int = 64 * 1024,
        content_length: bool = True,
        content_type: str = "text/html; charset=utf-8",
    ) -> None:
        super().__init__()
        self.size, self.chunk_bytes, self.content_length = size, chunk_bytes, content_length
        self.content_type = content_type
        self.sent_bytes = 0

    def __call__(self, request: Request) -> Response:
        self._count()
        headers = {"Content-Length": str(self.size)} if self.content_length else {}
        return Response(200, self._chunks(), self.content_type, headers)

    def _chunks(self) -> Iterator[bytes]:
        chunk = b"x" * self.chunk_bytes
        while self.sent_bytes < self.size:
            piece = chunk[: self.size - self.sent_bytes]
            self.sent_bytes += len(piece)
            yield piece


class Trickle(_Counting):
    """A page whose body comes a byte every `gap_s`, never ending until `release()`: each byte is sooner
    than any idle timeout, so only a deadline on the whole answer stops the client."""

    def __init__(self, gap_s: float = 0.02) -> None:
        super().__init__()
        self.gap_s = gap_s
        self._released = threading.Event()

    def __call__(self, request: Request) -> Response:
        self._count()
        return Response(200, self._bytes())

    def _bytes(self) -> Iterator[bytes]:
        yield b"<html><body><p>"
        while not self._released.wait(self.gap_s):
            yield b"."
        yield b"</p></body></html>"

    def release(self) -> None:
        self._released.set()


def robots_txt(
    disallow: Iterable[str] = ("/private/",), user_agent: str = "*", crawl_delay: float | None = None
) -> Handler:
    lines = [f"User-agent: {user_agent}", *(f"Disallow: {path}" for path in disallow)]
    if crawl_delay is not None:
        lines.append(f"Crawl-delay: {crawl_delay}")
    body = ("\n".join(lines) + "\n").encode()
    return lambda request: Response(200, body, "text/plain")


def respond_with(
    code: int, body: bytes = b"", content_type: str | None = "text/html; charset=utf-8"
) -> Handler:
    return lambda request: Response(code, body, content_type)


def wrong_charset(text: str) -> Handler:
    """Says UTF-8 in the header, sends GBK: decoding must not trust the header."""
    body = f'<html><head><meta charset="gbk"><title>{text}</title></head><body><p>{text}</p></body></html>'
    return lambda request: Response(200, body.encode("gbk"), "text/html; charset=utf-8")


CHALLENGE_PAGE = (
    b"<html><head><script>var x='__jsl_clearance=1700000000.1|0|abc';"
    b"document.cookie=x+';max-age=3600;path=/';location.href=location.pathname+location.search"
    b"</script></head><body></body></html>"
)


def antibot_challenge(code: int = 412, retry_after: str | None = None) -> Handler:
    """A JavaScript cookie challenge (加速乐-style) answered with `code` (412, 521, or 200)."""
    headers = {"Retry-After": retry_after} if retry_after else {}
    return lambda request: Response(code, CHALLENGE_PAGE, "text/html", headers)


@pytest.fixture
def fixture_server() -> Iterator[Callable[..., FixtureServer]]:
    """A factory: `server = fixture_server(root=None)`; every server made is closed after the test."""
    servers: list[FixtureServer] = []

    def make(root: Path | None = None) -> FixtureServer:
        server = FixtureServer(root)
        server.start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.close()
