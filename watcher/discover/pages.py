"""Which listing pages to read next: pagination and e-paper 版面 indexes."""

from __future__ import annotations

import logging
import re
from urllib.parse import parse_qsl, urlsplit

from selectolax.lexbor import LexborHTMLParser

from watcher.config import SourceSpec
from watcher.discover.links import _collect, _href, _selected_links
from watcher.fetch.urls import canonicalize

logger = logging.getLogger(__name__)


# --- pagination ----------------------------------------------------------------------------------

# TRS WCM pages write their pager with JavaScript: createPageHTML(pages, current (0-based), "index", "html")
_JS_PAGER = re.compile(
    r"createPageHTML\(\s*['\"]?(\d+)['\"]?\s*,\s*['\"]?(\d+)['\"]?\s*,\s*['\"](\w+)['\"]\s*,\s*['\"](\w+)['\"]"
)
_NEXT_WORDS = frozenset({"下一页", "下页", "后页", "后一页", "下一頁", "下頁", "next", "nextpage"})
_ARROWS = "<>‹›«»＞〉》→ \u00a0"
_PAGE_PARAMS = ("page", "p", "pageno", "pagenum", "pageindex", "pn", "curpage", "currentpage")
_NUMBERED_NAME = re.compile(r"^(\w+?)(?:_(\d+))?\.(s?html?)$")


def next_pages(html: str, base_url: str, spec: SourceSpec, page_no: int) -> list[str]:
    """The listing page to read after page `page_no` (1 = the start page), or [] when done.

    `next_selector` and `page_pattern` decide when given; otherwise a rel=next or 下一页 link, a
    createPageHTML pager, or a link to the next numbered page (index_N.html, page=N) on the page.
    """
    if page_no >= spec.max_listing_pages:
        return []
    tree = LexborHTMLParser(html)
    if spec.next_selector:
        links = _collect(_selected_links(tree, spec.next_selector), base_url, None)
        return _others([link.url for link in links], base_url)
    if spec.page_pattern:
        return [canonicalize(spec.page_pattern.format(n=page_no, page=page_no + 1), base_url)]
    found = _next_link(tree, base_url)
    if found is None:
        found = _js_pager(html, base_url)
    if found is None:
        found = _numbered_link(tree, base_url)
    return _others(found or [], base_url)


def _others(urls: list[str], base_url: str) -> list[str]:
    """The URLs, each once, without the page itself (the last page often links to itself)."""
    here = canonicalize(base_url, base_url)
    return [url for url in dict.fromkeys(urls) if url != here]


def _next_link(tree: LexborHTMLParser, base_url: str) -> list[str] | None:
    """A link marked rel=next or reading 下一页 / 下页 / > …; None if the page has none."""
    for node in tree.css("a[href], link[rel=next]"):
        href = _href(node)
        if href is None:
            continue
        rel = (node.attributes.get("rel") or "").lower().split()
        text = "".join(node.text().split()).strip(_ARROWS).lower()
        if "next" in rel or text in _NEXT_WORDS or (not text and node.text().strip() in (">", "›", "＞")):
            return [canonicalize(href, base_url)]
    return None


def _js_pager(html: str, base_url: str) -> list[str] | None:
    """createPageHTML(pages, current, "index", "html"): the next page, [] on the last; None without one."""
    m = _JS_PAGER.search(html)
    if m is None:
        return None
    pages, current, stem, extension = int(m.group(1)), int(m.group(2)), m.group(3), m.group(4)
    if current + 1 >= pages:
        return []
    return [canonicalize(f"{stem}_{current + 1}.{extension}", base_url)]


def _numbered_link(tree: LexborHTMLParser, base_url: str) -> list[str] | None:
    """A link on the page to the next numbered page: index.html → index_1.html, index_1 → index_2,
    page=3 → page=4 (no page= → page=2). E-paper node_N pages are 版面, not pages of a list."""
    name = urlsplit(base_url).path.rsplit("/", 1)[-1] or "index.html"
    m = _NUMBERED_NAME.match(name)
    want_name = f"{m.group(1)}_{int(m.group(2) or 0) + 1}." if m and m.group(1) != "node" else None
    param, value = _page_param(base_url)
    want_value = value + 1 if param else 2
    directory = base_url.split("?", 1)[0].rsplit("/", 1)[0] + "/"
    for node in tree.css("a[href]"):
        href = _href(node)
        if href is None or not ((want_name and want_name in href) or "=" in href):
            continue  # (canonicalising every link of a page would cost milliseconds)
        url = canonicalize(href, base_url)
        if want_name and url.startswith(directory) and "?" not in url:
            rest = url[len(directory) :]
            if "/" not in rest and rest.startswith(want_name):
                return [url]
        link_param, link_value = _page_param(url)
        if link_param and param in (None, link_param) and link_value == want_value:
            return [url]
    return None


def _page_param(url: str) -> tuple[str | None, int]:
    """The page-number query parameter of a URL and its value (page=3 → ("page", 3))."""
    for key, value in parse_qsl(urlsplit(url).query):
        if key.lower() in _PAGE_PARAMS and value.isdigit():
            return key.lower(), int(value)
    return None, 0


# --- e-paper -------------------------------------------------------------------------------------

_PAGE_INDEX = re.compile(r"/(?:node_[a-z]?\d+|col[a-z]?\d+)\.s?html?$", re.IGNORECASE)


def epaper_page_indexes(html: str, base_url: str) -> list[str]:
    """The other 版面 index pages of the issue a 版面 page belongs to (node_3.htm …), in page order.

    Only pages in the same directory (the same issue) count: 上一期 and 往期 links lead elsewhere.
    """
    tree = LexborHTMLParser(html)
    directory = canonicalize(base_url, base_url).rsplit("/", 1)[0] + "/"
    found: list[str] = []
    for node in tree.css("a[href]"):
        href = _href(node)
        path = "/" + (href or "").split("#", 1)[0].split("?", 1)[0]
        if href is None or not (_PAGE_INDEX.search(path) or node.attributes.get("id") == "pageLink"):
            continue
        url = canonicalize(href, base_url)
        if url.startswith(directory) and url[len(directory) :] and "/" not in url[len(directory) :]:
            found.append(url)
    return _others(found, base_url)


# --- an e-paper's front page -----------------------------------------------------------------------

_REFRESH_URL = re.compile(r"""^\s*\d*\s*[;,]?\s*url\s*=\s*['"]?([^'"\s]+)""", re.IGNORECASE)
_JS_LOCATION = re.compile(
    r"""(?:window|self|top|document)\.location(?:\.href)?\s*=\s*['"]([^'"]+)['"]"""
    r"""|(?<![\w.])location\.href\s*=\s*['"]([^'"]+)['"]"""
    r"""|location\.(?:replace|assign)\(\s*['"]([^'"]+)['"]\s*\)"""
)
# Links from a paper's home page to today's issue: 今日报纸, 进入电子版, 第A01版：要闻, 01版 …
_EDITION_TEXT = re.compile(
    r"今日(?:报纸|版面|电子报|数字报)|(?:进入|阅读|浏览)(?:今日|本期|当期)?(?:电子版|数字报|电子报|版面|报纸)"
    r"|^(?:第\s*)?[A-Za-z]?\d{1,3}\s*版"
)
_OTHER_ISSUE = re.compile(r"上一期|下一期|往期|过刊|历史|前一期|后一期")


def front_page_targets(html: str, base_url: str) -> list[str]:
    """Where an e-paper's front page leads: its meta refresh or script redirect, else its links to
    today's 版面 (text like 今日报纸, 进入电子版, 第A01版, or a node_N.htm link not to another issue).

    Read on start URLs (and where they redirect), so that a home page with no date in its URL leads to
    the current issue's 版面 indexes, whether it only redirects or shows the first 版面 itself.
    """
    tree = LexborHTMLParser(html)
    redirect = _redirect_target(tree)
    if redirect is not None:
        return _others([canonicalize(redirect, base_url)], base_url)
    named: list[str] = []  # 今日报纸, 第A01版 …
    shaped: list[str] = []  # node_2.htm behind a picture or a 版面 name
    for node in tree.css("a[href]"):
        href = _href(node)
        if href is None:
            continue
        text = "".join(node.text().split())
        path = "/" + href.split("#", 1)[0].split("?", 1)[0]
        if _OTHER_ISSUE.search(text):
            continue
        if _EDITION_TEXT.search(text):
            named.append(canonicalize(href, base_url))
        elif _PAGE_INDEX.search(path):
            shaped.append(canonicalize(href, base_url))
    found = named + shaped
    if not found:
        return []
    issue = found[0].rsplit("/", 1)[0]  # today's: not the other days of a calendar beside it
    return _others([url for url in found if url.rsplit("/", 1)[0] == issue], base_url)


def _redirect_target(tree: LexborHTMLParser) -> str | None:
    """The URL a page sends the browser on to: <meta http-equiv=refresh>, or location = … in a script."""
    for meta in tree.css("meta[http-equiv]"):
        if (meta.attributes.get("http-equiv") or "").strip().lower() == "refresh":
            m = _REFRESH_URL.match(meta.attributes.get("content") or "")
            if m:
                return m.group(1)
    for script in tree.css("script"):
        m = _JS_LOCATION.search(script.text())
        if m:
            return next(g for g in m.groups() if g)
    return None
