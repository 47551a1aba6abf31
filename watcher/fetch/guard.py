"""Where the crawler may go: no request to an address inside the network it runs in (SSRF).

    AddressGuard(allowed=…).check(url)        raise RefusedAddressError, or return
    guard_for(specs, settings) → AddressGuard  a crawl's guard: its sources' own hosts, plus fetch.allow_hosts

A listing on a public site may link or redirect anywhere: to 169.254.169.254 (cloud metadata), to
127.0.0.1, to an intranet host. Before each hop (the first request, every redirect, robots.txt) the
host is resolved, and the request is refused when any of its addresses is loopback, private, link-local,
reserved, multicast, unspecified or otherwise not globally routable — unless the host is allowed:

- the hosts of the sources' own start URLs, feeds and sitemaps (the operator named them), and
- `fetch.allow_hosts`: host names, addresses, or networks in CIDR form (10.1.0.0/16).

A refused host is logged once (a warning), then refused quietly. A host that does not resolve is left to
the request itself, which fails with a ConnectError. The aiohttp transport resolves through
`GuardedResolver`, which checks the addresses again at connect time (a name rebound to a private address
between the check and the connection is refused there).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import threading
from collections.abc import Iterable
from functools import lru_cache
from urllib.parse import urlsplit

from aiohttp import ThreadedResolver
from aiohttp.abc import AbstractResolver, ResolveResult

from watcher.config import FetchSettings, SourceSpec
from watcher.errors import RefusedAddressError

logger = logging.getLogger(__name__)

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def is_public(address: Address) -> bool:
    """Globally routable unicast: not loopback, private, link-local, reserved, multicast or unspecified."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    special = (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_reserved
        or address.is_multicast
        or address.is_unspecified
    )
    return address.is_global and not special


def _hostname(url: str) -> str:
    return (urlsplit(url).hostname or "").lower().rstrip(".")


@lru_cache(maxsize=1024)  # asked before every request: a host name's failed parse is an exception each time
def _literal(host: str) -> Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


class AddressGuard:
    """Refuses requests to non-public addresses, except to the allowed hosts and networks."""

    def __init__(self, allowed: Iterable[str] = ()) -> None:
        self.hosts: set[str] = set()
        self.networks: list[Network] = []
        for entry in allowed:
            self.allow(entry)
        self._refused: set[str] = set()
        self._lock = threading.Lock()

    def allow(self, entry: str) -> None:
        """A host name, an address, a network (CIDR) or a URL whose host to allow."""
        entry = entry.strip()
        if "://" in entry:
            entry = _hostname(entry)
        try:
            self.networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            self.hosts.add(entry.lower().rstrip("."))

    def is_allowed(self, host: str, address: Address | None = None) -> bool:
        if host in self.hosts:
            return True
        address = address or _literal(host.strip("[]"))
        return address is not None and any(address in net for net in self.networks)

    async def check(self, url: str) -> None:
        """Raise RefusedAddressError when `url`'s host is not public and not allowed."""
        host = _hostname(url)
        if not host or host in self.hosts:
            return
        self.refuse(url, host, await _resolve(host, urlsplit(url).port))

    def refuse(self, url: str, host: str, addresses: list[Address]) -> None:
        """Raise RefusedAddressError when one of the addresses `host` resolved to is not allowed."""
        if host in self.hosts:
            return
        bad = [a for a in addresses if not is_public(a) and not self.is_allowed(host, a)]
        if not bad:
            return
        with self._lock:
            first = host not in self._refused
            self._refused.add(host)
        if first:
            logger.warning(
                "refused %s: %s is not a public address (allow it with fetch.allow_hosts)",
                host,
                bad[0],
                extra={"host": host, "url": url},
            )
        raise RefusedAddressError(url, f"refused: {host} resolves to {bad[0]}, not a public address")


async def _resolve(host: str, port: int | None) -> list[Address]:
    literal = _literal(host.strip("[]"))
    if literal is not None:
        return [literal]
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port or 80, type=socket.SOCK_STREAM)
    except OSError:
        return []  # does not resolve: the request fails on its own, with a ConnectError
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


class GuardedResolver(AbstractResolver):
    """aiohttp's resolver, checked again at connect time: a name that resolved to a public address for
    `check` but to a private one a moment later (DNS rebinding) is refused before the connection."""

    def __init__(self, guard: AddressGuard) -> None:
        self._guard = guard
        self._inner: ThreadedResolver | None = None  # made on the event loop, at first use

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self._inner = self._inner or ThreadedResolver()
        found = await self._inner.resolve(host, port, family)
        addresses = [ipaddress.ip_address(r["host"].split("%")[0]) for r in found]
        try:
            self._guard.refuse(f"http://{host}:{port}/", host.lower().rstrip("."), addresses)
        except RefusedAddressError as exc:
            raise OSError(exc.cause) from exc  # aiohttp reports it as a failed connection
        return found

    async def close(self) -> None:
        if self._inner is not None:
            await self._inner.close()


def guard_for(specs: Iterable[SourceSpec], settings: FetchSettings) -> AddressGuard:
    """The guard of a crawl of `specs`: their own hosts and `fetch.allow_hosts` may be private."""
    guard = AddressGuard(settings.allow_hosts)
    for spec in specs:
        for url in [*spec.start_urls, *spec.feeds, *spec.sitemaps]:
            guard.allow(_hostname(url))
    return guard
