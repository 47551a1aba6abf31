"""Getting bytes: HTTP fetching and decoding to text.

    client.py     Fetcher.fetch(url) → FetchResult: politeness, conditional GET, retries, limits
    robots.py     robots.txt per origin (Protego), cached
    pacing.py     per-host spacing and concurrency, backoff, Retry-After
    transport.py  the HTTP/1.1 implementation under httpx (aiohttp by default)
    urls.py       canonicalize, host_of
    decode.py     bytes → text for Chinese pages

The names below are re-exported lazily, so that `watcher.fetch.decode` alone does not import httpx
and aiohttp.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from watcher.fetch.client import Fetcher, FetchResult, FetchStats, Validators
    from watcher.fetch.decode import decode_body
    from watcher.fetch.pacing import HostPacer
    from watcher.fetch.transport import make_transport
    from watcher.fetch.urls import canonicalize, host_of

_EXPORTS = {
    "Fetcher": "client",
    "FetchResult": "client",
    "FetchStats": "client",
    "Validators": "client",
    "HostPacer": "pacing",
    "make_transport": "transport",
    "canonicalize": "urls",
    "host_of": "urls",
    "decode_body": "decode",
}

__all__ = [
    "FetchResult",
    "FetchStats",
    "Fetcher",
    "HostPacer",
    "Validators",
    "canonicalize",
    "decode_body",
    "host_of",
    "make_transport",
]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
