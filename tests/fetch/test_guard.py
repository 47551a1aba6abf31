"""The SSRF guard: a crawl reaches its sources' own hosts and what `fetch.allow_hosts` names, and no other
address that is not public. Two real servers, on 127.0.0.1 (the source) and 127.0.0.2 (an "intranet"
host the source's pages point at): the second must never receive a request."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.server import FixtureServer, redirect
from tests.test_tracking import LEXICON, PAGE
from watcher.app import build_app
from watcher.config import FetchSettings, Settings
from watcher.errors import RefusedAddressError
from watcher.fetch.client import Fetcher
from watcher.fetch.guard import AddressGuard, GuardedResolver, is_public


@pytest.fixture
def source() -> Iterator[FixtureServer]:
    with FixtureServer() as server:
        yield server


@pytest.fixture
def intranet() -> Iterator[FixtureServer]:
    with FixtureServer(address="127.0.0.2") as server:
        server.set_file(
            "/news/content/post_2000003.html",
            PAGE.format(title="内部", published="2024-09-01", outlet="x", paragraphs="").encode(),
        )
        yield server


def article(title: str) -> bytes:
    text = "<p>一季度，全市地区生产总值增长4.2%。</p>" * 3
    return PAGE.format(title=title, published="2024-09-01", outlet="江门日报", paragraphs=text).encode()


def listing(source: FixtureServer, links: list[str]) -> None:
    items = "".join(
        f'<li><a href="{link}">全市重点项目建设推进情况通报之{n}</a><span>2024-09-0{n + 1}</span></li>'
        for n, link in enumerate(links)
    )
    source.set_file("/news/index.html", f"<html><body><ul class='list'>{items}</ul></body></html>".encode())


def crawl(tmp_path: Path, source: FixtureServer, **fetch: object) -> list[str]:
    settings = Settings.model_validate(
        {
            "database_url": f"sqlite:///{tmp_path / 'w.db'}",
            "storage_dir": str(tmp_path),
            "lexicon_dir": str(LEXICON),
            "sources": [{"name": "新闻", "start_urls": [source.url("/news/index.html")]}],
            "fetch": {"retries": 0, "politeness": {"min_delay_s": 0}, **fetch},
        }
    )
    app = build_app(settings, clock=lambda: datetime(2024, 10, 1, tzinfo=UTC))
    try:
        asyncio.run(app.crawl(settings.sources))
        return sorted(a.url for a in app.store.articles())
    finally:
        app.close()


def test_links_and_redirects_to_another_private_host_are_not_followed(tmp_path, source, intranet, caplog):
    secret = intranet.url("/news/content/post_2000003.html")
    source.set_file("/news/content/post_2000001.html", article("一季度经济运行"))
    source.route("/news/content/post_2000002.html", redirect(secret))
    links = [
        "content/post_2000001.html",
        "content/post_2000002.html",
        secret,
        intranet.url("/news/content/post_2000004.html"),
    ]
    listing(source, links)
    caplog.set_level(logging.WARNING, logger="watcher")

    stored = crawl(tmp_path, source)

    assert intranet.requests == [], "the intranet host received a request"
    assert stored == [source.url("/news/content/post_2000001.html")]
    refusals = [r for r in caplog.records if r.getMessage().startswith("refused 127.0.0.2")]
    assert len(refusals) == 1, "logged once per host"


def test_allow_hosts_lets_a_crawl_reach_a_named_private_host(tmp_path, source, intranet):
    listing(source, [intranet.url("/news/content/post_2000003.html")])
    crawl(tmp_path, source, allow_hosts=["127.0.0.2"])
    assert [r.path for r in intranet.requests if r.path != "/robots.txt"] == [
        "/news/content/post_2000003.html"
    ]


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.0.0.8",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "255.255.255.255",
        "::1",
        "fe80::1",
        "fc00::1",
        "ff02::1",
        "::ffff:10.0.0.1",
    ],
)
def test_non_public_addresses(address: str) -> None:
    assert not is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["1.1.1.1", "120.24.1.1", "2400:3200::1"])
def test_public_addresses(address: str) -> None:
    assert is_public(ipaddress.ip_address(address))


def test_networks_and_hosts_in_the_allow_list() -> None:
    guard = AddressGuard(["10.1.0.0/16", "intranet.example", "http://127.0.0.3:8080/x"])
    assert guard.is_allowed("a.example", ipaddress.ip_address("10.1.2.3"))
    assert not guard.is_allowed("a.example", ipaddress.ip_address("10.2.0.1"))
    assert guard.is_allowed("intranet.example") and guard.is_allowed("127.0.0.3")


def test_a_fetcher_refuses_a_private_address_unless_allowed(source) -> None:
    source.set_file("/p.html", article("x"))

    async def fetch(settings: FetchSettings) -> None:
        async with Fetcher(settings) as fetcher:
            await fetcher.fetch(source.url("/p.html"))

    with pytest.raises(
        RefusedAddressError, match=r"127\.0\.0\.1 resolves to 127\.0\.0\.1, not a public address"
    ):
        asyncio.run(fetch(FetchSettings()))
    assert source.requests == []
    asyncio.run(fetch(FetchSettings(allow_hosts=["127.0.0.0/8"], politeness={"respect_robots": False})))
    assert [r.path for r in source.requests] == ["/p.html"]


def test_the_resolver_refuses_a_name_rebound_to_a_private_address_at_connect_time() -> None:
    """DNS rebinding: `check` saw a public address, the connection's own lookup gets a private one."""
    guard = AddressGuard()
    resolver = GuardedResolver(guard)

    async def lookups() -> list[str]:
        with pytest.raises(OSError, match=r"localhost resolves to 127\.0\.0\.1, not a public address"):
            await resolver.resolve("localhost", 80)
        guard.allow("localhost")
        found = await resolver.resolve("localhost", 80)
        await resolver.close()
        return [r["host"] for r in found]

    assert "127.0.0.1" in asyncio.run(lookups())
