"""Which discovery a listing's stored validators were taken under.

A listing answered 304 says "nothing new" only for the discovery that read it last time. When a
source's discovery settings change (start URLs, selectors, patterns, pages, feeds) or discovery itself
does (DISCOVERY_VERSION), the stored validators must not hide the listing: they are kept under a key
that names the fingerprint, so a new fingerprint finds none and reads every listing again.
"""

from __future__ import annotations

import hashlib
import json

from watcher.config import SourceSpec

# Raise when discovery finds different links on the same page than before (a release that does).
DISCOVERY_VERSION = 2
_DISCOVERY_FIELDS = (
    "start_urls",
    "days_back",
    "article_selector",
    "article_pattern",
    "next_selector",
    "page_pattern",
    "max_listing_pages",
    "feeds",
    "sitemaps",
)


def discovery_fingerprint(spec: SourceSpec) -> str:
    """A short hash of how a source's listings are read (its discovery settings and the code's version)."""
    settings = {name: getattr(spec, name) for name in _DISCOVERY_FIELDS}
    text = json.dumps([DISCOVERY_VERSION, settings], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def listing_state_key(url: str, fingerprint: str) -> str:
    """Where a listing's validators are kept: its URL and the discovery fingerprint, as a fragment
    (never part of a canonical URL, so no page's own state shares the key)."""
    return f"{url}#discovery={fingerprint}"
