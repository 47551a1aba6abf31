"""One-off HTTP GETs for `watcher extract URL` (the crawler's polite fetcher builds on the same client)."""

from __future__ import annotations

import httpx

from watcher import __version__
from watcher.errors import FetchError
from watcher.models import Page

USER_AGENT = f"watcher/{__version__} (indicator tracker; +https://example.invalid/watcher)"
MAX_BODY_BYTES = 10 * 1024 * 1024


def fetch_page(url: str, timeout_s: float = 20.0) -> Page:
    """GET one URL; raise FetchError naming the URL and the cause."""
    try:
        with (
            httpx.Client(
                timeout=timeout_s, follow_redirects=True, max_redirects=5, headers={"User-Agent": USER_AGENT}
            ) as client,
            client.stream("GET", url) as resp,
        ):
            if resp.status_code >= 400:
                raise FetchError(f"{url}: HTTP {resp.status_code}")
            body = bytearray()
            for chunk in resp.iter_bytes():
                body += chunk
                if len(body) > MAX_BODY_BYTES:
                    raise FetchError(f"{url}: body larger than {MAX_BODY_BYTES} bytes")
            return Page(url=str(resp.url), body=bytes(body), content_type=resp.headers.get("content-type"))
    except httpx.HTTPError as exc:
        raise FetchError(f"{url}: {type(exc).__name__}: {exc}") from exc
