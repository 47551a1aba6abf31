"""Article links from RSS/Atom feeds and sitemaps."""

from __future__ import annotations

import io
import logging
import re
import zlib
from urllib.parse import urlsplit
from xml.etree import ElementTree

import feedparser

from watcher.discover.links import _LISTING_NAME, Link, _scheme_ok, _squash
from watcher.fetch.urls import canonicalize

logger = logging.getLogger(__name__)


# --- feeds and sitemaps --------------------------------------------------------------------------


def feed_links(body: bytes, base_url: str) -> list[Link]:
    """The entries of an RSS or Atom feed, relative links resolved against the feed's URL."""
    parsed = feedparser.parse(io.BytesIO(body), response_headers={"content-location": base_url})
    if parsed.bozo and not parsed.entries:
        logger.warning("%s: not a feed (%s)", base_url, parsed.get("bozo_exception"))
    links: dict[str, str] = {}
    for entry in parsed.entries:
        alternates = [x.get("href") for x in entry.get("links", []) if x.get("href")]
        href = entry.get("link") or (alternates[0] if alternates else None)
        if href and _scheme_ok(href.strip()):
            links.setdefault(canonicalize(href.strip(), base_url), _squash(entry.get("title", "")))
    return [Link(url, title) for url, title in links.items()]


_MAX_SITEMAP_BYTES = 50 * 1024 * 1024  # the sitemaps protocol's own limit, uncompressed
_LOC = re.compile(r"<loc>\s*(?:<!\[CDATA\[)?\s*(.*?)\s*(?:\]\]>)?\s*</loc>", re.DOTALL | re.IGNORECASE)


def sitemap_links(body: bytes, base_url: str) -> tuple[list[Link], list[str]]:
    """A sitemap's page URLs (listing and section pages left out) and the sitemaps it nests.

    Reads <urlset> and <sitemapindex> (gzipped or not; <news:title> becomes the title), plain-text
    sitemaps (one URL a line) and, when the XML is broken, whatever <loc> elements it holds.
    """
    body = _gunzip(body)
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        text = body.decode("utf-8", "replace")
        locs = _LOC.findall(text) if "<" in text else [line.strip() for line in text.splitlines()]
        nested = "sitemapindex" in text[:1000].lower()
        return _sitemap_entries([(loc, "") for loc in locs if loc], base_url, nested)
    entries = []
    for child in root:
        loc = title = ""
        for element in child.iter():
            tag = element.tag.rsplit("}", 1)[-1]
            if tag == "loc" and not loc:
                loc = (element.text or "").strip()
            elif tag == "title":
                title = _squash(element.text or "")
        if loc:
            entries.append((loc, title))
    return _sitemap_entries(entries, base_url, root.tag.rsplit("}", 1)[-1] == "sitemapindex")


def _gunzip(body: bytes) -> bytes:
    """A gzipped sitemap's content (at most 50 MB of it); other bodies as they are."""
    if body[:2] != b"\x1f\x8b":
        return body
    try:
        return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(body, _MAX_SITEMAP_BYTES)
    except zlib.error as exc:
        logger.warning("sitemap: broken gzip data (%s)", exc)
        return b""


def _is_listing(url: str) -> bool:
    """Whether a URL names a section or listing page (…/, index.html, node_2.htm) rather than a page."""
    path = urlsplit(url).path
    return path.endswith("/") or bool(_LISTING_NAME.match(path.rsplit("/", 1)[-1]))


def _sitemap_entries(
    entries: list[tuple[str, str]], base_url: str, nested: bool
) -> tuple[list[Link], list[str]]:
    """(page links, nested sitemaps) from (loc, title) pairs; listing pages are not articles."""
    urls: dict[str, str] = {}
    for loc, title in entries:
        if _scheme_ok(loc) and (nested or not _is_listing(loc)):
            urls.setdefault(canonicalize(loc, base_url), title)
    return ([], list(urls)) if nested else ([Link(url, title) for url, title in urls.items()], [])
