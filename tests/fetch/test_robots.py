"""robots.txt: read once per origin, obeyed, and what its absence or failure means."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.fetch import FakeTime
from tests.server import FailThenOk, FixtureServer, Response, antibot_challenge, redirect, robots_txt, slow
from watcher.config import FetchSettings, Politeness
from watcher.errors import BlockedError, RobotsDisallowedError
from watcher.fetch.client import Fetcher
from watcher.fetch.robots import MAX_CRAWL_DELAY_S, ROBOTS_ERROR_TTL_S, ROBOTS_TTL_S, rules_from_response

pytestmark = pytest.mark.anyio

POLITE = Politeness(min_delay_s=0, per_host_concurrency=4, respect_robots=True)
UA = "watcher/0.1 (test)"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def server() -> Iterator[FixtureServer]:
    with FixtureServer() as server:
        for n in range(10):
            server.set_file(f"/news/{n}.html", b"<html><body>news</body></html>")
        server.set_file("/private/secret.html", b"<html>secret</html>")
        yield server


def fetcher(fake: FakeTime | None = None, **overrides: Any) -> Fetcher:
    settings: dict[str, Any] = {
        "user_agent": UA,
        "timeout_s": 0.15,
        "retries": 2,
        "backoff_base_s": 0.0,
        "politeness": POLITE,
        "allow_hosts": ["127.0.0.1"],  # the test server's address is not public
    }
    timing = {"clock": fake.clock, "sleep": fake.sleep} if fake else {}
    return Fetcher(FetchSettings(**(settings | overrides)), **timing)


async def test_robots_is_fetched_once_per_host(server: FixtureServer) -> None:
    server.route("/robots.txt", robots_txt(disallow=["/private/"]))
    with FixtureServer() as other:
        other.set_file("/a.html", b"<html>a</html>")
        async with fetcher() as client:
            await asyncio.gather(*(client.fetch(server.url(f"/news/{n}.html")) for n in range(10)))
            await client.fetch(other.url("/a.html"))
            assert await client.robots_allows(server.url("/news/1.html"))
            assert not await client.robots_allows(server.url("/private/secret.html"))
        assert other.count("/robots.txt") == 1
    assert server.count("/robots.txt") == 1
    assert server.requests[0].path == "/robots.txt"  # before any page


async def test_disallowed_url_is_never_requested(server: FixtureServer) -> None:
    server.route("/robots.txt", robots_txt(disallow=["/private/"]))
    async with fetcher() as client:
        with pytest.raises(RobotsDisallowedError) as caught:
            await client.fetch(server.url("/private/secret.html"))
    assert str(caught.value) == f"{server.url('/private/secret.html')}: disallowed by robots.txt rules"
    assert server.count("/private/secret.html") == 0


async def test_rules_for_our_user_agent_apply(server: FixtureServer) -> None:
    body = b"User-agent: otherbot\nDisallow: /news/\n\nUser-agent: watcher\nDisallow: /private/\n"
    server.route("/robots.txt", lambda request: Response(200, body, "text/plain"))
    async with fetcher() as client:
        assert await client.robots_allows(server.url("/news/1.html"))
        assert not await client.robots_allows(server.url("/private/secret.html"))


async def test_missing_robots_allows_all(server: FixtureServer) -> None:
    async with fetcher() as client:
        assert (await client.fetch(server.url("/private/secret.html"))).status == 200
    assert server.count("/robots.txt") == 1


async def test_robots_can_be_ignored_per_source(server: FixtureServer) -> None:
    server.route("/robots.txt", robots_txt(disallow=["/"]))
    async with fetcher() as client:
        ignoring = POLITE.model_copy(update={"respect_robots": False})
        assert (await client.fetch(server.url("/news/1.html"), politeness=ignoring)).status == 200
    assert server.count("/robots.txt") == 0


async def test_robots_5xx_disallows_the_host_for_a_while(server: FixtureServer) -> None:
    failing = FailThenOk(failures=3, status=503, body=b"User-agent: *\nDisallow:\n")
    server.route("/robots.txt", failing)
    fake = FakeTime()
    async with fetcher(fake) as client:
        with pytest.raises(RobotsDisallowedError, match=r"robots.txt unavailable \(HTTP 503\)"):
            await client.fetch(server.url("/news/1.html"))
        with pytest.raises(RobotsDisallowedError):
            await client.fetch(server.url("/news/2.html"))
        assert failing.calls == 3  # one robots.txt fetch (with its retries) for both pages
        fake.now += ROBOTS_ERROR_TTL_S + 1
        assert (await client.fetch(server.url("/news/3.html"))).status == 200
    assert failing.calls == 4
    assert [server.count(f"/news/{n}.html") for n in (1, 2, 3)] == [0, 0, 1]


async def test_robots_timeout_disallows(server: FixtureServer) -> None:
    server.route("/robots.txt", slow(0.5, b"User-agent: *\nDisallow:\n"))
    async with fetcher(retries=0) as client:
        with pytest.raises(RobotsDisallowedError, match="timed out"):
            await client.fetch(server.url("/news/1.html"))


async def test_robots_are_read_again_after_a_day(server: FixtureServer) -> None:
    server.route("/robots.txt", robots_txt(disallow=[]))
    fake = FakeTime()
    async with fetcher(fake) as client:
        await client.fetch(server.url("/news/1.html"))
        fake.now += ROBOTS_TTL_S - 1
        await client.fetch(server.url("/news/2.html"))
        assert server.count("/robots.txt") == 1
        fake.now += 2
        await client.fetch(server.url("/news/3.html"))
    assert server.count("/robots.txt") == 2


async def test_crawl_delay_slows_the_host_down(server: FixtureServer) -> None:
    server.route("/robots.txt", robots_txt(disallow=[], crawl_delay=5))
    fake = FakeTime()
    async with fetcher(fake) as client:
        for n in range(3):
            await client.fetch(server.url(f"/news/{n}.html"))
    assert fake.sleeps == [5.0, 5.0]


async def test_robots_redirect_is_followed(server: FixtureServer) -> None:
    server.route("/robots.txt", redirect("/real-robots.txt", 301))
    server.route("/real-robots.txt", robots_txt(disallow=["/private/"]))
    async with fetcher() as client:
        assert not await client.robots_allows(server.url("/private/secret.html"))


async def test_robots_behind_an_antibot_wall_reports_the_wall(server: FixtureServer) -> None:
    server.route("/robots.txt", antibot_challenge(412))
    server.route("/news/1.html", antibot_challenge(412))
    async with fetcher() as client:
        with pytest.raises(BlockedError, match="HTTP 412"):
            await client.fetch(server.url("/news/1.html"))


async def test_redirect_to_another_host_checks_that_hosts_robots(server: FixtureServer) -> None:
    server.route("/robots.txt", robots_txt(disallow=["/private/"]))
    with FixtureServer() as portal:
        portal.route("/go", redirect(server.url("/private/secret.html")))
        async with fetcher() as client:
            with pytest.raises(RobotsDisallowedError, match=re.escape(server.url("/private/secret.html"))):
                await client.fetch(portal.url("/go"))
        assert portal.count("/robots.txt") == 1
    assert server.count("/robots.txt") == 1
    assert server.count("/private/secret.html") == 0


@pytest.mark.parametrize(
    ("status", "body", "url", "allowed"),
    [
        (200, b"User-agent: *\nDisallow: /private/\n", "http://x.cn/private/a", False),
        (200, b"User-agent: *\nDisallow: /private/\n", "http://x.cn/news/a", True),
        (200, b"\xef\xbb\xbfUser-agent: *\nDisallow: /\n", "http://x.cn/a", False),  # BOM
        (200, b"<html>not a robots file</html>", "http://x.cn/a", True),
        (404, b"", "http://x.cn/a", True),
        (401, b"", "http://x.cn/a", True),
        (429, b"", "http://x.cn/a", False),
        (500, b"", "http://x.cn/a", False),
        (503, b"", "http://x.cn/a", False),
    ],
)
def test_rules_from_response(status: int, body: bytes, url: str, allowed: bool) -> None:
    rules = rules_from_response("http://x.cn", status, body, now=0.0)
    assert rules.allows(url, UA) is allowed
    assert rules.expires_at == (ROBOTS_TTL_S if status < 429 else ROBOTS_ERROR_TTL_S)


def test_crawl_delay_is_capped() -> None:
    rules = rules_from_response("http://x.cn", 200, b"User-agent: *\nCrawl-delay: 86400\n", now=0.0)
    assert rules.crawl_delay_s(UA) == MAX_CRAWL_DELAY_S
