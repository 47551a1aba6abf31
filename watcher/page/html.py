"""HTML → Article without site-specific selectors.

    parse (lexbor) → meta tags, title, attachments → drop nav/header/footer/aside and link lists
        → score text blocks → render the best one to lines → drop furniture lines

The main text is the block with the most Chinese prose and the fewest links: every paragraph
(`<p>`, or a `<div>`/`<td>` holding text itself) credits its container fully and the container's
parent by half, as readability does; the top few are then discounted by their link density.
"""

from __future__ import annotations

import logging
import re
from datetime import date
from urllib.parse import urljoin

from selectolax.lexbor import LexborHTMLParser, LexborNode

from watcher.models import Article
from watcher.page.dates import (
    TODAY,
    date_from_metas,
    date_from_page,
    date_from_scripts,
    find_block_date,
    is_article_text,
    text_start,
    title_position,
)
from watcher.page.furniture import clean_lines, find_outlet, split_lines
from watcher.page.titles import find_title, headline_block, squash

logger = logging.getLogger(__name__)

_NOT_TEXT_TAGS = ["script", "style", "noscript", "template"]
_FURNITURE_TAGS = ["nav", "header", "footer", "aside", "select", "button", "textarea", "iframe", "svg"]
# ASP.NET pages wrap the whole page in one <form>: only forms with little text (search boxes) go.
_MIN_FORM_WEIGHT = 30
_BLOCK_TAGS = frozenset(
    {
        *("p", "div", "br", "hr", "li", "ul", "ol", "dl", "dt", "dd", "blockquote", "pre", "center"),
        *("table", "tbody", "thead", "tr", "td", "th", "caption", "form", "address"),
        *("section", "article", "main", "figure", "figcaption", "h1", "h2", "h3", "h4", "h5", "h6"),
    }
)
_LINK_LIST_TAGS = frozenset({"ul", "ol", "dl", "table", "div"})
_MAX_LINK_DENSITY = 0.5
_TOP_BLOCKS = 5
_MIN_PARAGRAPH_CJK = 8
_OUTLET_META = ("contentsource", "source", "article:source")
# Links to documents: .pdf, .doc(x), .xls(x), .wps, .et, .ofd, .zip, .rar, .7z (a query string may follow).
_ATTACHMENT_HREF = re.compile(r"\.(?:pdf|docx?|xlsx?|wps|et|ofd|zip|rar|7z)(?:[?#]|$)", re.IGNORECASE)
_ATTACHMENT_ANYWHERE = re.compile(r"\.(?:pdf|docx?|xlsx?|wps|et|ofd|zip|rar|7z)\b", re.IGNORECASE)
_SEARCH_WINDOW = 3000
_DATE_ELEMENTS = (
    "time, [itemprop=datePublished i], [class*=date i], [id*=date i], [class*=time i], [id*=time i]"
)
_MAX_DATE_ELEMENT_CHARS = 40
_MIN_HEADLINE_LINK_CHARS = 6


def parse_article(html: str, url: str = "", content_selector: str | None = None) -> Article:
    """Title, publication date, outlet, main text and attachment links of an article page."""
    tree = LexborHTMLParser(html)
    tree.strip_tags(_NOT_TEXT_TAGS, recursive=True)
    metas = _meta_values(tree)
    published = date_from_metas(metas) or date_from_scripts(html)
    title, headline = find_title(tree, metas, published is None)
    outlet = _outlet_from_meta(metas)
    # The page text and the headline's block, read before the tree loses its <header>s.
    page_text = ""
    if (published is None or outlet is None) and tree.body is not None:
        page_text = tree.body.text(separator="\n")
    # The headline's block is read later, when needed, unless the tree is about to lose it.
    early_block = ""
    if published is None and headline is not None and _is_in_furniture(headline):
        early_block = headline_block(headline)
    attachments = _find_attachments(tree, html, url)
    container = _find_container(tree, content_selector)
    lines = clean_lines(_drop_head(_render_lines(container), title)) if container is not None else []
    if published is None and page_text:
        node = headline

        def read_block() -> str:
            return early_block or (headline_block(node) if node is not None else "")

        published = date_from_page(page_text, read_block, title, lines, url)
        if published is None and is_article_text(lines):
            published = _date_from_elements(tree, page_text[: text_start(page_text, lines)])
    if outlet is None and page_text:
        anchor = title_position(page_text, title)
        outlet = find_outlet(page_text[anchor : anchor + _SEARCH_WINDOW] if anchor >= 0 else page_text)
    return Article(
        url=url,
        text="\n".join(lines),
        title=title,
        published=published,
        outlet=outlet,
        attachments=attachments,
    )


def _meta_values(tree: LexborHTMLParser) -> dict[str, str]:
    """Content of <meta> tags by lower-cased name, property or itemprop; the first one wins."""
    values: dict[str, str] = {}
    for node in tree.css("meta[content]"):
        attrs = node.attributes
        key = attrs.get("name") or attrs.get("property") or attrs.get("itemprop")
        content = attrs.get("content")
        if key and content and content.strip():
            values.setdefault(key.strip().lower(), content.strip())
    return values


def _find_attachments(tree: LexborHTMLParser, html: str, url: str) -> tuple[str, ...]:
    if not _ATTACHMENT_ANYWHERE.search(html):  # most pages have none: skip visiting every link
        return ()
    found: dict[str, None] = {}
    for node in tree.css("a[href]"):
        href = (node.attributes.get("href") or "").strip()
        if _ATTACHMENT_HREF.search(href):
            found.setdefault(urljoin(url, href) if url else href, None)
    return tuple(found)


def _find_container(tree: LexborHTMLParser, content_selector: str | None) -> LexborNode | None:
    tree.strip_tags(_FURNITURE_TAGS, recursive=True)
    for form in tree.css("form"):
        if _text_weight(form.text()) < _MIN_FORM_WEIGHT:
            form.decompose()
    if content_selector:
        node = tree.css_first(content_selector)
        if node is not None:
            return node
        logger.warning(
            "content selector %r matches nothing; finding the text automatically", content_selector
        )
    return _best_block(tree) or tree.body


def _best_block(tree: LexborHTMLParser) -> LexborNode | None:
    """The block with the most paragraph text, discounted by its link density."""
    scores: dict[int, float] = {}
    nodes: dict[int, LexborNode] = {}

    def credit(node: LexborNode | None, weight: float) -> None:
        if node is not None and node.tag not in ("html", "-document"):
            key = node.mem_id
            scores[key] = scores.get(key, 0.0) + weight
            nodes[key] = node

    paragraphs: dict[int, tuple[LexborNode, list[str]]] = {}  # <p> texts by parent
    for paragraph in tree.css("p"):
        parent = paragraph.parent
        if parent is not None:
            paragraphs.setdefault(parent.mem_id, (parent, []))[1].append(paragraph.text())
    for parent, texts in paragraphs.values():
        weight = _text_weight("".join(texts))
        if weight:
            credit(parent, weight)
            credit(parent.parent, weight / 2)
    for holder in _text_holders(tree):
        weight = _text_weight(holder.text(deep=False))
        if weight:
            credit(holder, weight)
            credit(holder.parent, weight / 2)
    best, best_score = None, 0.0
    for key in sorted(scores, key=scores.__getitem__, reverse=True)[:_TOP_BLOCKS]:
        if scores[key] <= best_score:  # discounting only lowers a score: none of the rest can win
            break
        score = scores[key] * (1.0 - _link_density(nodes[key]))
        if score > best_score:
            best, best_score = nodes[key], score
    return best


def _text_holders(tree: LexborHTMLParser) -> list[LexborNode]:
    """Blocks holding text themselves: <div>/<td> text, and whatever holds <br>-separated lines."""
    holders = {node.mem_id: node for node in tree.css("div, td")}
    for br in tree.css("br"):
        parent = br.parent
        if parent is not None and parent.tag != "p":
            holders.setdefault(parent.mem_id, parent)
    return list(holders.values())


def _text_weight(text: str) -> float:
    """How much a paragraph counts: its Chinese characters, more when it reads as prose.

    Characters from U+0800 to U+FFFF (Chinese and its punctuation) take three bytes in UTF-8,
    ASCII one: the byte count gives their number without a regex.
    """
    wide = (len(text.encode()) - len(text)) // 2
    if wide < _MIN_PARAGRAPH_CJK:
        return 0.0
    return wide + 2.0 * (text.count("，") + text.count("。") + text.count("；"))


def _link_density(node: LexborNode) -> float:
    total = len(node.text(strip=True))
    if not total:
        return 1.0
    return min(sum(len(link.text(strip=True)) for link in node.css("a")) / total, 1.0)


def _render_lines(container: LexborNode) -> list[str]:
    """The container's text, one line per paragraph (<p>, <div>, <br>, table cells …)."""
    _drop_link_lists(container)
    parts: list[str] = []
    for node in container.traverse(include_text=True):
        tag = node.tag
        if tag == "-text":
            previous = node.prev
            if previous is not None and previous.tag in _BLOCK_TAGS:
                parts.append("\n")
            parts.append(node.text_content or "")
        elif tag in _BLOCK_TAGS:
            parts.append("\n")
    return split_lines("".join(parts))


def _drop_link_lists(container: LexborNode) -> None:
    """Remove lists, tables and divs inside the container that are mostly links (related articles)."""
    stop = container.mem_id
    stats: dict[int, tuple[LexborNode, int, int]] = {}  # block → (node, links, link characters)
    for link in container.css("a"):
        size = len(link.text(strip=True))
        node = link.parent
        while node is not None and node.mem_id != stop:
            if node.tag in _LINK_LIST_TAGS:
                _, links, chars = stats.get(node.mem_id, (node, 0, 0))
                stats[node.mem_id] = (node, links + 1, chars + size)
            node = node.parent
    doomed = {
        key
        for key, (node, links, chars) in stats.items()
        if links >= 3 and chars > _MAX_LINK_DENSITY * len(node.text(strip=True))
    }
    for key in doomed:
        node = stats[key][0]
        if not _has_ancestor_in(node, doomed, stop):  # the outermost goes, and its subtree with it
            node.decompose()


def _has_ancestor_in(node: LexborNode, keys: set[int], stop: int) -> bool:
    parent = node.parent
    while parent is not None and parent.mem_id != stop:
        if parent.mem_id in keys:
            return True
        parent = parent.parent
    return False


def _drop_head(lines: list[str], title: str, within: int = 8) -> list[str]:
    """Lines after the title when the title is among the first few (kickers and breadcrumbs go too)."""
    if title:
        for index, line in enumerate(lines[:within]):
            if line == title:
                return lines[index + 1 :]
    return lines


def _is_in_furniture(node: LexborNode) -> bool:
    """Whether a node is inside what _find_container removes (<header>, <nav>, <form> …)."""
    parent = node.parent
    while parent is not None:
        if parent.tag in _FURNITURE_TAGS or parent.tag == "form":
            return True
        parent = parent.parent
    return False


def _date_from_elements(tree: LexborHTMLParser, head: str) -> date | None:
    """A date in an element named for it (<time>, class="date") above the text, not in a list.

    The last resort: an e-paper's date cell without its weekday, a date span above the headline.
    Elements in lists, or beside a link that reads as a headline, are other articles' dates.
    """
    for node in tree.css(_DATE_ELEMENTS):
        attrs = node.attributes
        value = (attrs.get("datetime") or attrs.get("content") or "").strip()
        if not value:  # the element's text, which must stand above the article's
            value = node.text().strip()
            if value not in head:
                continue
        if len(value) > _MAX_DATE_ELEMENT_CHARS or _is_in_list(node) or _is_today(node):
            continue
        if found := find_block_date(value):
            return found
    return None


def _is_today(node: LexborNode) -> bool:
    """A header's clock: 今天是 2025年12月5日 星期五."""
    parent = node.parent
    return TODAY.search((parent if parent is not None else node).text()[:_MAX_DATE_ELEMENT_CHARS]) is not None


def _is_in_list(node: LexborNode) -> bool:
    parent = node.parent
    for _ in range(3):
        if parent is None:
            return False
        if parent.tag in ("li", "ul", "ol", "dl", "dd"):
            return True
        if any(len(link.text(strip=True)) >= _MIN_HEADLINE_LINK_CHARS for link in parent.css("a")):
            return True
        parent = parent.parent
    return False


def _outlet_from_meta(metas: dict[str, str]) -> str | None:
    for key in _OUTLET_META:
        if value := squash(metas.get(key, "")):
            return value
    return None
