"""Listing pages → article links: start URLs, what an article URL and a headline look like, the list block."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from selectolax.lexbor import LexborHTMLParser, LexborNode

from watcher.config import SourceSpec
from watcher.fetch.urls import canonicalize

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Link:
    """An article URL (absolute, canonical) and the text it was linked with."""

    url: str
    title: str


# --- start URLs -------------------------------------------------------------------------------------

_DATE_FIELD = re.compile(r"\{date:([^{}]+)\}")


def expand_start_urls(spec: SourceSpec, today: date) -> list[str]:
    """Start URLs with {date:FORMAT} filled in for today and the days before it (days_back in all)."""
    urls: dict[str, None] = {}
    for template in spec.start_urls:
        if not _DATE_FIELD.search(template):
            urls.setdefault(template, None)
            continue
        for back in range(spec.days_back):
            day = today - timedelta(days=back)
            urls.setdefault(_DATE_FIELD.sub(lambda m, d=day: d.strftime(m.group(1)), template), None)
    return list(urls)


# --- what an article URL and a headline look like --------------------------------------------------

_ARTICLE_PATH = re.compile(
    r"""
      /content/post_\d+\.s?html?$                       # 政府网站集约化平台: content/post_1771340.html
    | /t(?:19|20)\d{6}_\d+\.s?html?$                    # TRS WCM: t20230817_856008.html
    | /t\d{5,}\.s?html?$                                # t856008.html
    | /content_\d+\.s?html?$                            # Founder e-paper: content_664964.htm
    | /art/\d{4}/\d{1,2}/\d{1,2}/art_\d+_\d+\.s?html?$  # Hanweb: art/2023/8/21/art_123_456.html
    | /info/\d+/\d+\.s?html?$                           # VSB: info/1041/31887.htm
    | /(?:19|20)\d\d-?[01]\d/[0-3]?\d/[^/]+\.s?html?$   # dated: 2023-08/21/c_1129814.htm, 202308/21/…
    | /(?:19|20)\d\d[01]\d/[^/]*\d{4,}[^/]*\.s?html?$   # 202308/t20230821_1.html, 202308/abc12345.shtml
    | /(?:19|20)\d\d/[01]?\d/[0-3]?\d/[^/]*\d[^/]*$     # 2023/08/21/news-12345
    | /(?:19|20)\d\d[01]\d[0-3]\d/(?:[^/]+/)?[^/]+\.s?html?$  # 20250124/4a7d51…/c.html
    | /(?:articles?|details?|news|contents?|shows?|view)/\d{4,}(?:\.s?html?)?$  # article/123456
    | /doc-[a-z0-9]{8,}\.s?html?$                       # doc-ikqxyz12345.shtml
    """,
    re.VERBOSE | re.IGNORECASE,
)
# show.asp?id=123, detail.aspx?newsid=5, view.jsp?articleId=9
_ARTICLE_QUERY = re.compile(r"(?:show|detail|view|content|article|info|news)\w*\.\w+$", re.IGNORECASE)
_ID_PARAM = re.compile(
    r"(?:^|&)(?:id|aid|articleid|newsid|infoid|contentid|docid|itemid)=\d+(?:&|$)", re.IGNORECASE
)
# Listing and section pages: index.html, index_2.html, node_2.htm, list_3.html, default.aspx …
_LISTING_NAME = re.compile(r"^(?:index|default|node|list|more|home|main)(?:[_-]\w+)?\.\w+$", re.IGNORECASE)


def _scheme_ok(url: str) -> bool:
    """Whether a URL is http(s) or relative (javascript:, mailto:, tel:, data: … are not)."""
    colon = url.find(":")
    if colon <= 0:
        return True
    head = url[:colon]
    return "/" in head or "?" in head or head.lower() in ("http", "https")


def is_article_url(url: str) -> bool:
    """Whether a URL (absolute or relative) is shaped like an article's on Chinese CMS and news sites."""
    url = url.strip()
    if not _scheme_ok(url):
        return False
    path, _, query = url.split("#", 1)[0].partition("?")
    name = path[path.rfind("/") + 1 :]
    if not name or _LISTING_NAME.match(name):
        return False
    if _ARTICLE_PATH.search(path if path[:1] == "/" else "/" + path):
        return True
    return bool(query and _ID_PARAM.search(query) and _ARTICLE_QUERY.search(name))


# Menu and toolbar words: a link text that is little else is not a headline (【打印本页】【关闭窗口】).
_MENU_WORD = re.compile(
    r"首页|[上下]一?[页篇版期]|[尾末]页|更多|返回(?:顶部)?|打印(?:本页)?|关闭(?:窗口)?|分享到?|收藏|登录|注册"
    r"|网站地图|联系我们|版面导航|往期回顾|无障碍浏览"
)
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_MIN_HEADLINE, _MAX_HEADLINE, _MIN_HEADLINE_CJK = 6, 60, 4


_LATIN_RUN = re.compile(r"[A-Za-z0-9.,%％\-—–]+")


def is_headline(text: str) -> bool:
    """Whether a link text reads as a headline: 6–60 characters, mostly Chinese, not menu words."""
    text = "".join(text.split())
    units = _LATIN_RUN.sub("x", text)  # GDP, 5.2%: one unit each, as a reader counts them
    if not _MIN_HEADLINE <= len(text) <= _MAX_HEADLINE or 2 * len(_CJK.findall(units)) < len(units):
        return False
    return len(_CJK.findall(_MENU_WORD.sub("", text))) >= _MIN_HEADLINE_CJK


def _squash(text: str) -> str:
    return " ".join(text.split())


def _link_title(node: LexborNode) -> str:
    """The link's text, or its title attribute when the text is cut short (…) or missing."""
    text = _squash(node.text())
    title = _squash(node.attributes.get("title") or "")
    cut = text.rstrip(".…")
    if title and (not text or (cut != text and title.startswith(cut) and len(title) > len(cut))):
        return title
    return text


def _href(node: LexborNode) -> str | None:
    href = (node.attrs.get("href") or "").strip()
    if not href or href[0] == "#" or not _scheme_ok(href):
        return None  # javascript:, mailto:, tel:, data: …
    return href


# --- article links -------------------------------------------------------------------------------


def article_links(html: str, base_url: str, spec: SourceSpec) -> list[Link]:
    """Article links of a listing page: canonical absolute URLs, each once, in page order."""
    tree = LexborHTMLParser(html)
    pattern = re.compile(spec.article_pattern) if spec.article_pattern else None
    if spec.article_selector:
        if nodes := _selected_links(tree, spec.article_selector):
            return _collect(nodes, base_url, pattern)
        logger.warning("article selector %r matches nothing on %s", spec.article_selector, base_url)
    if pattern is not None:
        return _collect(tree.css("a[href]"), base_url, pattern)
    return _automatic_links(tree, base_url)


def _selected_links(tree: LexborHTMLParser, selector: str) -> list[LexborNode]:
    """The links a selector picks: the <a> elements it matches and those inside what it matches."""
    return [a for node in tree.css(selector) for a in ([node] if node.tag == "a" else node.css("a[href]"))]


def _collect(nodes: Iterable[LexborNode], base_url: str, pattern: re.Pattern[str] | None) -> list[Link]:
    """Links of the given <a> nodes (matching `pattern`), each URL once with its first non-empty text."""
    titles: dict[str, str] = {}
    for node in nodes:
        href = _href(node)
        if href is None:
            continue
        url = canonicalize(href, base_url)
        if pattern is not None and not pattern.search(url):
            continue
        if not titles.get(url):
            titles[url] = _link_title(node)
    return [Link(url, title) for url, title in titles.items()]


_LIST_TAGS = frozenset({"ul", "ol", "dl", "table"})
_GROUP_TAGS = frozenset({"div", "section", "article", "main", "form", "center", "body"})
_FURNITURE_TAGS = frozenset({"nav", "header", "footer", "aside"})
_FURNITURE_NAME = re.compile(
    r"(?:^|[\s_-])(?:nav|navbar|menu|header|footer|foot|bottom|side|sidebar|aside|hot|rank|ranking"
    r"|friend\w*|yqlj|crumbs?|breadcrumb|location|share|copyright|banner)(?:$|[\s_-]|\d)",
    re.IGNORECASE,
)
_DATE_NEAR = re.compile(r"(?:19|20)\d\d\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}|(?<!\d)[01]?\d-[0-3]\d(?!\d)")
_MAX_CLIMB = 12


@dataclass(slots=True)
class _Block:
    node: LexborNode
    furniture: bool  # in navigation, a header, footer or sidebar
    score: int = 0  # its candidate links, dated ones counting double


def _automatic_links(tree: LexborHTMLParser, base_url: str) -> list[Link]:
    candidates: list[tuple[LexborNode, str, str]] = []  # (link, href, title)
    for node in tree.css("a[href]"):
        href = _href(node)
        if href is None:
            continue
        shaped = is_article_url(href)
        if not (shaped or _is_page_name(href)):
            continue
        title = _link_title(node)
        if is_headline(title) and (shaped or _is_dated_item(node, title)):
            candidates.append((node, href, title))
    if not candidates:
        return []
    blocks: dict[int, _Block] = {}
    block_of: list[int] = []
    for block, item in _blocks_and_items([node for node, _, _ in candidates]):
        entry = blocks.get(block.mem_id)
        if entry is None:
            entry = blocks[block.mem_id] = _Block(block, _is_furniture(block))
        entry.score += 2 if _DATE_NEAR.search(item.text()) else 1
        block_of.append(block.mem_id)
    chosen = _main_blocks(blocks)
    links: dict[str, str] = {}
    for (_, href, title), key in zip(candidates, block_of, strict=True):
        if key in chosen:
            links.setdefault(canonicalize(href, base_url), title)
    return [Link(url, title) for url, title in links.items()]


def _is_page_name(href: str) -> bool:
    """Whether a link may lead to a page of its own (a88001.html, ?id=7) rather than a section or a file."""
    path = href.split("#", 1)[0]
    path, _, query = path.partition("?")
    name = path[path.rfind("/") + 1 :]
    if not name:
        return bool(query)
    if _LISTING_NAME.match(name):
        return False
    dot = name.rfind(".")
    return dot < 0 or name[dot + 1 :].lower() in _PAGE_EXTENSIONS


_PAGE_EXTENSIONS = frozenset({"html", "htm", "shtml", "shtm", "xhtml", "php", "asp", "aspx", "jsp", "do"})
# 11月20日, 3小时前, 昨天 10:30 — what a portal or aggregator writes beside a headline, besides a full date
_DATE_SHORT = re.compile(
    r"[01]?\d\s*月\s*[0-3]?\d\s*日|\d+\s*(?:分钟|小时)前|(?:昨天|前天|今天)\s*\d{1,2}:\d\d"
)
_MAX_ITEM_LINKS = 3  # a list item: its headline, perhaps a column link and a 详情 link
_MAX_ITEM_EXTRA_CHARS = 240  # a list item's summary and date besides its headline


def _is_dated_item(link: LexborNode, title: str) -> bool:
    """Whether a headline link stands in a dated list item (a date beside it, within a few levels up):
    portal and aggregator lists whose article URLs look like nothing in particular (/news/a88001.html)."""
    node = link.parent
    for _ in range(3):
        if node is None or node.tag in ("body", "html"):
            return False
        text = node.text()
        if len(text) > len(title) + _MAX_ITEM_EXTRA_CHARS or len(node.css("a")) > _MAX_ITEM_LINKS:
            return False
        beside = text.replace(title, "")
        if _DATE_NEAR.search(beside) or _DATE_SHORT.search(beside):
            return True
        node = node.parent
    return False


def _blocks_and_items(links: list[LexborNode]) -> list[tuple[LexborNode, LexborNode]]:
    """For each link, the list block holding it and the block's child (the list item) it sits in.

    A block is the nearest ul, ol, dl or table above the link, or the nearest div (section …) that
    holds another candidate link as well: a group of links rather than a wrapper around one.
    """
    chains: list[list[tuple[LexborNode, LexborNode]]] = []  # (ancestor, its child on the way up)
    counts: dict[int, int] = {}
    for link in links:
        chain: list[tuple[LexborNode, LexborNode]] = []
        item, node = link, link.parent
        while node is not None and node.tag != "html" and len(chain) < _MAX_CLIMB:
            chain.append((node, item))
            counts[node.mem_id] = counts.get(node.mem_id, 0) + 1
            item, node = node, node.parent
        chains.append(chain)
    found = []
    for link, chain in zip(links, chains, strict=True):
        pick = next(
            (
                (node, item)
                for node, item in chain
                if node.tag in _LIST_TAGS or (node.tag in _GROUP_TAGS and counts[node.mem_id] >= 2)
            ),
            chain[-1] if chain else (link, link),
        )
        found.append(pick)
    return found


def _is_furniture(node: LexborNode | None) -> bool:
    """Whether a block is, or sits inside, navigation, a header, footer or sidebar."""
    while node is not None and node.tag not in ("body", "html"):
        attrs = node.attributes
        name = f"{attrs.get('class') or ''} {attrs.get('id') or ''}"
        if node.tag in _FURNITURE_TAGS or (name.strip() and _FURNITURE_NAME.search(name)):
            return True
        node = node.parent
    return False


def _main_blocks(blocks: dict[int, _Block]) -> set[int]:
    """The best-scoring block that is not furniture (else the best), with its look-alike siblings."""
    pool = [b for b in blocks.values() if not b.furniture] or list(blocks.values())
    best = max(pool, key=lambda b: b.score)  # the first of equals: max keeps page order
    chosen = {best.node.mem_id}
    parent = best.node.parent
    if parent is not None:
        shape = (best.node.tag, best.node.attributes.get("class"))
        for key, block in blocks.items():
            node = block.node
            if (
                node.parent is not None
                and node.parent.mem_id == parent.mem_id
                and (node.tag, node.attributes.get("class")) == shape
            ):
                chosen.add(key)
    return chosen


def check_selectors(spec: SourceSpec) -> list[str]:
    """Problems with a source's CSS selectors, one line each (for `watcher check-config`)."""
    problems = []
    probe = LexborHTMLParser("<html><body><p><a href='x'>x</a></p></body></html>")
    for field in ("article_selector", "next_selector", "content_selector"):
        selector = getattr(spec, field)
        if selector is None:
            continue
        try:
            probe.css(selector)
        except Exception as exc:  # selectolax raises plain exceptions for bad selectors
            problems.append(f"{field}: not a CSS selector: {selector!r} ({exc})")
    return problems
