"""Fetcher against the real fixture server, over both transports: every behaviour of a fetch."""

from __future__ import annotations

import asyncio
import gzip
import itertools
import re
import socket
import time
from collections.abc import Iterator
from email.utils import formatdate
from typing import Any

import pytest

import watcher.fetch
from tests.fetch import FakeTime
from tests.server import (
    EtagPage,
    FailThenOk,
    FixtureServer,
    HugeBody,
    Response,
    TooManyRequests,
    Trickle,
    antibot_challenge,
    redirect,
    redirect_loop,
    respond_with,
    slow,
    wrong_charset,
)
from watcher.config import FetchSettings, Politeness
from watcher.errors import (
    BlockedError,
    BodyTooLargeError,
    ConnectError,
    FetchTimeoutError,
    HTTPStatusError,
    InvalidURLError,
    NotHtmlError,
    TooManyRedirectsError,
)
from watcher.fetch.client import Fetcher, Validators, looks_like_challenge
from watcher.fetch.decode import decode_body
from watcher.fetch.transport import make_transport

pytestmark = pytest.mark.anyio

FAST = Politeness(min_delay_s=0, per_host_concurrency=8, respect_robots=False)
LIMIT = 256 * 1024


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=["aiohttp", "httpx"])
def kind(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def server() -> Iterator[FixtureServer]:
    with FixtureServer() as server:
        yield server


def fetcher(kind: str, fake: FakeTime | None = None, **overrides: Any) -> Fetcher:
    settings: dict[str, Any] = {
        "timeout_s": 0.15,
        "connect_timeout_s": 0.5,
        "retries": 2,
        "backoff_base_s": 0.0,
        "backoff_max_s": 10.0,
        "max_body_bytes": LIMIT,
        "politeness": FAST,
        "allow_hosts": ["127.0.0.1"],  # the test server's address is not public
    }
    timing = {"clock": fake.clock, "sleep": fake.sleep} if fake else {}
    return Fetcher(FetchSettings(**(settings | overrides)), transport=make_transport(kind), **timing)


def page(text: str) -> bytes:
    return f"<html><head><title>{text}</title></head><body><p>{text}</p></body></html>".encode()


async def test_fetches_a_page(kind: str, server: FixtureServer) -> None:
    server.set_file("/news/1.html", page("江门市重点项目"))
    async with fetcher(kind) as client:
        result = await client.fetch(server.url("/news/1.html?utm_source=wx#top"))
    assert result.url == result.final_url == server.url("/news/1.html")
    assert (result.status, result.not_modified, result.attempts) == (200, False, 1)
    assert result.body == page("江门市重点项目")
    assert result.content_type == "text/html; charset=utf-8"
    assert result.validators.etag and result.validators.last_modified
    assert result.elapsed_s > 0
    request = server.requests_to("/news/1.html")[0]
    assert request.query == ""
    assert request.headers["user-agent"].startswith("watcher/")
    assert "zh-CN" in request.headers["accept-language"]


async def test_gzip_bodies_are_decoded_and_limited_after_decoding(kind: str, server: FixtureServer) -> None:
    headers = {"Content-Encoding": "gzip"}
    server.route("/gz", lambda request: Response(200, gzip.compress(page("压缩")), headers=headers))
    bomb = gzip.compress(b" " * (LIMIT * 4))  # small on the wire, four times the limit unpacked
    server.route("/bomb", lambda request: Response(200, bomb, headers=headers))
    async with fetcher(kind) as client:
        assert (await client.fetch(server.url("/gz"))).body == page("压缩")
        with pytest.raises(BodyTooLargeError):
            await client.fetch(server.url("/bomb"))


async def test_conditional_get_with_etag(kind: str, server: FixtureServer) -> None:
    server.route("/list.html", EtagPage(page("列表")))
    async with fetcher(kind) as client:
        first = await client.fetch(server.url("/list.html"))
        again = await client.fetch(server.url("/list.html"), validators=first.validators)
        assert client.stats.not_modified == 1
    assert (again.status, again.not_modified, again.body) == (304, True, b"")
    assert again.validators == first.validators
    assert server.requests_to("/list.html")[1].headers["if-none-match"] == first.validators.etag


async def test_conditional_get_with_last_modified_only(kind: str, server: FixtureServer) -> None:
    server.set_file("/a.html", page("a"))
    async with fetcher(kind) as client:
        first = await client.fetch(server.url("/a.html"))
        sent = Validators(last_modified=first.validators.last_modified)
        again = await client.fetch(server.url("/a.html"), validators=sent)
        server.set_file("/a.html", page("changed"))
        changed = await client.fetch(server.url("/a.html"), validators=first.validators)
    assert again.not_modified and again.validators.last_modified == first.validators.last_modified
    assert "if-none-match" not in server.requests_to("/a.html")[1].headers
    assert not changed.not_modified and changed.body == page("changed")


async def test_retries_5xx_then_succeeds(kind: str, server: FixtureServer) -> None:
    server.route("/flaky", FailThenOk(failures=2, status=503))
    fake = FakeTime()
    async with fetcher(kind, fake, backoff_base_s=0.5) as client:
        result = await client.fetch(server.url("/flaky"))
        assert client.stats.retries == 2
    assert (result.status, result.attempts) == (200, 3)
    assert server.count("/flaky") == 3
    assert len(fake.sleeps) == 2
    assert 0 <= fake.sleeps[0] <= 0.5 and 0 <= fake.sleeps[1] <= 1.0  # full jitter under base × 2^attempt


async def test_gives_up_after_retries(kind: str, server: FixtureServer) -> None:
    server.route("/down", FailThenOk(failures=99))
    async with fetcher(kind, retries=2) as client:
        with pytest.raises(HTTPStatusError) as caught:
            await client.fetch(server.url("/down"))
    assert caught.value.status == 500
    assert server.count("/down") == 3
    assert str(caught.value) == f"{server.url('/down')}: HTTP 500 Internal Server Error"


async def test_client_errors_are_not_retried(kind: str, server: FixtureServer) -> None:
    async with fetcher(kind) as client:
        with pytest.raises(HTTPStatusError) as caught:
            await client.fetch(server.url("/missing.html"))
    assert caught.value.status == 404
    assert server.count("/missing.html") == 1


async def test_retry_after_seconds_is_honoured(kind: str, server: FixtureServer) -> None:
    server.route("/busy", TooManyRequests("3", times=2))
    fake = FakeTime()
    async with fetcher(kind, fake) as client:
        result = await client.fetch(server.url("/busy"))
    assert result.attempts == 3
    assert fake.sleeps == [3.0, 3.0]


async def test_retry_after_http_date_is_honoured(kind: str, server: FixtureServer) -> None:
    server.route("/busy", TooManyRequests(formatdate(time.time() + 5, usegmt=True)))
    fake = FakeTime()
    async with fetcher(kind, fake) as client:
        assert (await client.fetch(server.url("/busy"))).status == 200
    assert len(fake.sleeps) == 1 and 3.5 < fake.sleeps[0] <= 5


async def test_retry_after_too_long_is_reported_not_waited(kind: str, server: FixtureServer) -> None:
    server.route("/busy", TooManyRequests("3600"))
    fake = FakeTime()
    async with fetcher(kind, fake, backoff_max_s=60) as client:
        with pytest.raises(HTTPStatusError) as caught:
            await client.fetch(server.url("/busy"))
    assert (caught.value.status, caught.value.retry_after_s) == (429, 3600)
    assert fake.sleeps == [] and server.count("/busy") == 1


async def test_timeouts_are_retried_then_raised(kind: str, server: FixtureServer) -> None:
    server.route("/slow", slow(0.6))
    async with fetcher(kind, retries=1) as client:
        with pytest.raises(FetchTimeoutError, match="timed out"):
            await client.fetch(server.url("/slow"))
    await wait_until_served(server, "/slow", times=2)
    assert server.count("/slow") == 2


async def test_a_body_that_trickles_in_meets_the_request_deadline(kind: str, server: FixtureServer) -> None:
    trickle = Trickle(gap_s=0.02)  # a byte every 20 ms: the 2 s idle timeout never fires
    server.route("/trickle", trickle)
    try:
        async with fetcher(kind, retries=1, timeout_s=2.0, request_deadline_s=0.3) as client:
            with pytest.raises(FetchTimeoutError, match=r"trickle: no whole answer within 0\.3 s"):
                await client.fetch(server.url("/trickle"))
    finally:
        trickle.release()
    assert trickle.calls == 2, "retried once, like any timeout"


async def test_connection_refused(kind: str) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with fetcher(kind, retries=1) as client:
        with pytest.raises(ConnectError, match=re.escape(f"127.0.0.1:{port}/a.html: connection failed")):
            await client.fetch(f"http://127.0.0.1:{port}/a.html")
        assert client.stats.requests == 2


async def wait_until_served(server: FixtureServer, path: str, times: int = 1) -> None:
    """Until the server has taken `times` requests for `path` and answered them all (or 2 s): a request
    the client gave up on is logged in the server's own thread, maybe after the client's error."""
    for _ in range(100):
        found = server.requests_to(path)
        if len(found) >= times and all(r.end is not None for r in found):
            return
        await asyncio.sleep(0.02)


@pytest.mark.parametrize("content_length", [True, False], ids=["content-length", "chunked"])
async def test_body_limit_aborts_early(kind: str, server: FixtureServer, content_length: bool) -> None:
    huge = HugeBody(20 * 1024 * 1024, content_length=content_length)
    server.route("/huge", huge)
    async with fetcher(kind) as client:
        with pytest.raises(BodyTooLargeError, match="262144-byte limit"):
            await client.fetch(server.url("/huge"))
        read = client.stats.bytes
    await wait_until_served(server, "/huge")
    assert read == 0 if content_length else LIMIT <= read <= LIMIT + 128 * 1024
    assert huge.sent_bytes < 10 * 1024 * 1024  # the server was cut off, far from 20 MB
    assert server.count("/huge") == 1  # not retried


async def test_redirects_are_followed(kind: str, server: FixtureServer) -> None:
    server.route("/old", redirect("/new.html?from=timeline", 301))
    server.set_file("/new.html", page("new"))
    async with fetcher(kind) as client:
        result = await client.fetch(server.url("/old"))
    assert result.url == server.url("/old")
    assert result.final_url == server.url("/new.html")
    assert (result.body, result.attempts) == (page("new"), 2)


async def test_redirect_loop(kind: str, server: FixtureServer) -> None:
    redirect_loop(server)
    async with fetcher(kind) as client:
        with pytest.raises(TooManyRedirectsError, match="redirect loop"):
            await client.fetch(server.url("/loop/a"))
    assert server.count("/loop/a") == 1 and server.count("/loop/b") == 1


async def test_redirect_limit(kind: str, server: FixtureServer) -> None:
    for n in range(1, 5):
        server.route(f"/r{n}", redirect(f"/r{n + 1}"))
    async with fetcher(kind, max_redirects=2) as client:
        with pytest.raises(TooManyRedirectsError, match="more than 2 redirects"):
            await client.fetch(server.url("/r1"))
    assert [server.count(f"/r{n}") for n in range(1, 5)] == [1, 1, 1, 0]


async def test_non_documents_are_skipped_before_the_body(kind: str, server: FixtureServer) -> None:
    pdf = HugeBody(5 * 1024 * 1024, content_type="application/pdf")
    server.route("/report.pdf", pdf)
    server.route("/feed", respond_with(200, b"<rss/>", "application/rss+xml; charset=utf-8"))
    server.route("/plain", respond_with(200, "正文".encode(), "text/plain"))
    async with fetcher(kind) as client:
        with pytest.raises(NotHtmlError, match="application/pdf") as caught:
            await client.fetch(server.url("/report.pdf"))
        assert client.stats.bytes == 0
        assert caught.value.content_type == "application/pdf"
        assert (await client.fetch(server.url("/feed"))).body == b"<rss/>"
        assert (await client.fetch(server.url("/plain"))).body == "正文".encode()
        small = HugeBody(1000, content_type="application/pdf")
        server.route("/small.pdf", small)
        assert len((await client.fetch(server.url("/small.pdf"), html_only=False)).body) == 1000


@pytest.mark.parametrize("code", [412, 521, 403])
async def test_antibot_status_is_blocked(kind: str, server: FixtureServer, code: int) -> None:
    server.route("/wall", antibot_challenge(code, retry_after="120"))
    async with fetcher(kind) as client:
        with pytest.raises(BlockedError, match=f"HTTP {code}") as caught:
            await client.fetch(server.url("/wall"))
    assert caught.value.retry_after_s == 120
    assert server.count("/wall") == 1  # an anti-bot wall is not hammered with retries


async def test_antibot_challenge_with_200_is_blocked(kind: str, server: FixtureServer) -> None:
    server.route("/wall", antibot_challenge(200))
    async with fetcher(kind) as client:
        with pytest.raises(BlockedError, match="JavaScript cookie challenge"):
            await client.fetch(server.url("/wall"))


def test_challenge_detection_spares_real_pages() -> None:
    script = b"<script>document.cookie='a=1';location.reload()</script>"
    assert looks_like_challenge(b"<html>" + script + b"</html>")
    text = "江门市统计局发布前三季度经济运行情况。".encode() * 30
    assert not looks_like_challenge(b"<html>" + script + b"<p>" + text + b"</p></html>")
    assert not looks_like_challenge(b"<html><p>document.cookie</p></html>")


async def test_wrong_charset_header_still_decodes(kind: str, server: FixtureServer) -> None:
    server.route("/gbk", wrong_charset("江门市高新区"))
    async with fetcher(kind) as client:
        result = await client.fetch(server.url("/gbk"))
    assert result.content_type == "text/html; charset=utf-8"
    assert "江门市高新区" in decode_body(result.body, result.content_type)


async def test_per_host_concurrency_is_observed_at_the_server(kind: str, server: FixtureServer) -> None:
    server.route("/slow", slow(0.05))
    async with fetcher(kind, politeness=FAST.model_copy(update={"per_host_concurrency": 2})) as client:
        await asyncio.gather(*(client.fetch(server.url(f"/slow?n={n}")) for n in range(6)))
    assert server.peak_in_flight == 2


async def test_politeness_override_per_source(kind: str, server: FixtureServer) -> None:
    server.route("/slow", slow(0.05))
    one_at_a_time = FAST.model_copy(update={"per_host_concurrency": 1})
    async with fetcher(kind, politeness=one_at_a_time) as client:
        override = FAST.model_copy(update={"per_host_concurrency": 3})
        await asyncio.gather(
            *(client.fetch(server.url(f"/slow?n={n}"), politeness=override) for n in range(6))
        )
        assert server.peak_in_flight == 3
        await asyncio.gather(*(client.fetch(server.url(f"/slow?m={n}")) for n in range(3)))
    served = server.requests[6:]
    assert all(a.end is not None and a.end <= b.time for a, b in itertools.pairwise(served))


async def test_global_concurrency_across_hosts(kind: str) -> None:
    with FixtureServer() as a, FixtureServer() as b, FixtureServer() as c:
        servers = (a, b, c)
        for server in servers:
            server.route("/slow", slow(0.05))
        async with fetcher(kind, global_concurrency=3) as client:
            urls = [s.url(f"/slow?n={n}") for s in servers for n in range(3)]
            await asyncio.gather(*(client.fetch(url) for url in urls))
        logs = sorted((r for s in servers for r in s.requests), key=lambda r: r.time)
    peak = max(sum(1 for o in logs if o.time <= r.time < (o.end or 0)) for r in logs)
    assert peak == 3


async def test_min_delay_spaces_request_starts(kind: str, server: FixtureServer) -> None:
    server.set_file("/p.html", page("p"))
    spaced = FAST.model_copy(update={"min_delay_s": 0.05})
    async with fetcher(kind, politeness=spaced) as client:
        await asyncio.gather(*(client.fetch(server.url(f"/p.html?n={n}")) for n in range(5)))
    starts = sorted(r.time for r in server.requests)
    # 50 ms apart at the client. The server sees arrivals, not starts: a request on a new connection can
    # arrive after the next one on a reused connection, so single gaps may shrink under load, but five
    # paced starts cannot arrive much within four intervals (no pacing gives a span near 0). The first
    # request also opens the connection, so its arrival may lag its start on a loaded machine: allow one
    # interval for that.
    assert len(starts) == 5 and starts[-1] - starts[0] > 0.15


async def test_invalid_urls_are_rejected_without_a_request(kind: str) -> None:
    async with fetcher(kind) as client:
        with pytest.raises(InvalidURLError, match="not an absolute http"):
            await client.fetch("mailto:office@jiangmen.gov.cn")
        with pytest.raises(InvalidURLError):
            await client.fetch("/relative.html")
        assert client.stats.requests == 0


async def test_errors_after_a_redirect_name_both_urls(kind: str, server: FixtureServer) -> None:
    server.route("/moved", redirect("/gone.html"))
    async with fetcher(kind) as client:
        with pytest.raises(HTTPStatusError) as caught:
            await client.fetch(server.url("/moved"))
    assert caught.value.url == server.url("/moved")
    assert str(caught.value) == f"{server.url('/moved')}: HTTP 404 Not Found at {server.url('/gone.html')}"


def test_package_exports() -> None:
    assert all(getattr(watcher.fetch, name) for name in watcher.fetch.__all__)


async def test_stats_count_requests_statuses_and_bytes(kind: str, server: FixtureServer) -> None:
    server.route("/flaky", FailThenOk(failures=1, body=b"<html>ok</html>"))
    server.route("/list.html", EtagPage(b"<html>list</html>"))
    async with fetcher(kind) as client:
        await client.fetch(server.url("/flaky"))
        first = await client.fetch(server.url("/list.html"))
        await client.fetch(server.url("/list.html"), validators=first.validators)
        stats = client.stats
    assert (stats.requests, stats.retries, stats.not_modified) == (4, 1, 1)
    assert stats.responses == {"5xx": 1, "2xx": 2, "3xx": 1}
    assert stats.bytes == len(b"<html>ok</html>") + len(b"<html>list</html>")
