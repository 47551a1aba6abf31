"""Listing pages → article links: by selector, by URL pattern or automatically; pagination, feeds.

    expand_start_urls(spec, today)             {date:%Y-%m/%d} templates → one URL per day, newest first
    article_links(html, base_url, spec)        a listing page → [Link] in page order
    next_pages(html, base_url, spec, page_no)  a listing page → the listing page to read after it
    epaper_page_indexes(html, base_url)        an e-paper's 版面 page → the issue's other 版面 pages
    front_page_targets(html, base_url)         an e-paper's home page → today's 版面 (redirect or links)
    discovery_fingerprint(spec)                what a listing's stored validators were read under
    feed_links(body, base_url)                 RSS 2.0 / Atom → [Link]
    sitemap_links(body, base_url)              sitemap → ([Link], nested sitemaps)

Automatic discovery (no `article_selector`): a link is an article when its URL looks like one
(`is_article_url`: /content/post_1771340.html, t20230817_856008.html, content_664964.htm …) and its
text like a headline (mostly Chinese, 6–60 characters, no menu word). Of those, only the links in the
page's main list are kept: the list block (ul, ol, dl, table, or a div holding several) with the most
of them, dated items counting double, where blocks inside navigation, headers, footers and sidebars
(by tag, class or id) lose to any other. Sibling blocks just like the winner (a list split into
several <ul>) join it.

A link whose URL looks like nothing in particular (/news/a88001.html) is an article too when its
text reads as a headline and a date stands beside it in its list item (portal and aggregator lists).

With `article_selector` the selected links are taken as they are (`article_pattern` still filters
them); with `article_pattern` alone, every link whose absolute URL matches it.
"""

from watcher.discover.feeds import feed_links, sitemap_links
from watcher.discover.fingerprint import DISCOVERY_VERSION, discovery_fingerprint, listing_state_key
from watcher.discover.links import (
    Link,
    article_links,
    check_selectors,
    expand_start_urls,
    is_article_url,
    is_headline,
)
from watcher.discover.pages import epaper_page_indexes, front_page_targets, next_pages

__all__ = [
    "DISCOVERY_VERSION",
    "Link",
    "article_links",
    "check_selectors",
    "discovery_fingerprint",
    "epaper_page_indexes",
    "expand_start_urls",
    "feed_links",
    "front_page_targets",
    "is_article_url",
    "is_headline",
    "listing_state_key",
    "next_pages",
    "sitemap_links",
]
