"""The headline of an article page, from its metas, its <title> and its headline elements.

Metas (ArticleTitle, og:title …) are checked against the page's headline elements: an og:title cut
short by an unescaped quote, or carrying a site suffix (-EDN 电子技术设计), gives way to the element
that it starts or that starts it. The <title> names the headline among site and column names
(标题_栏目_江门市人民政府门户网站); elements it repeats win, but not a column name (工作动态) that the
page also uses as a link or meta. Headlines that are links (a list of other articles' headlines at
the top of the page, the logo) are never the article's.
"""

from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser, LexborNode

HEADLINE_SELECTOR = "h1, h2, h3, [class*=title i], [id*=title i]"
_TITLE_META = ("articletitle", "og:title", "twitter:title")
# 标题_江门市人民政府门户网站, 标题 | 江门新闻网, 标题 - 南方网, 标题--时政--人民网
SITE_SEPARATOR = re.compile(r"\s*(?:_|\||｜|\s[-–—]\s|-{2,}|(?<=[\u4e00-\u9fff])-(?=[\u4e00-\u9fff]))\s*")
# How the name of a site ends: 江门市人民政府门户网站, 江门日报数字报, 台山侨报, 台山市融媒体中心 …
SITE_NAME = re.compile(
    r"(?:[网網]站|门户|門戶|新[闻聞][网網]|[数數]字[报報]|[电電]子[报報]|[日晚早侨僑商时時周週][报報]|人民政府|政府[网網]"
    r"|客[户戶]端|官[网網]|[频頻]道|融媒[体體](?:中心)?)$"
)
# What may stand between a headline and the site name after it: -EDN 电子技术设计, _新华网, ｜
_SUFFIX_START = frozenset("-_|｜–—·")
# Where an og:title written with unescaped quotes is cut: content="江门"十条措施"…" reads 江门.
_QUOTES = frozenset("\"“”'‘’「『《")
_MIN_CHARS, _MAX_CHARS = 4, 100
_MAX_COLUMN_CHARS = 8  # column names are short: 工作动态, 江门要闻, 政策解读


def find_title(
    tree: LexborHTMLParser, metas: dict[str, str], need_element: bool = True
) -> tuple[str, LexborNode | None]:
    """The headline, and the element that shows it on the page (None when no element does).

    When the element is not needed (the page's date is known) and a meta title needs no checking,
    the page's headline elements are not read.
    """
    if not need_element and (trusted := _trusted_meta_title(tree, metas)):
        return trusted, None
    heads = headline_elements(tree)
    columns = _column_names(metas)
    title = _title_from_meta(metas, heads)
    if not title:
        title = _title_from_page(tree, heads, columns)
    return title, next((node for text, node in heads if text == title), None)


def headline_elements(tree: LexborHTMLParser) -> list[tuple[str, LexborNode]]:
    """Headline-like elements of headline length that are not links, with their text, in page order."""
    found: list[tuple[str, LexborNode]] = []
    for node in tree.css(HEADLINE_SELECTOR):
        text = squash(node.text())
        if _MIN_CHARS <= len(text) <= _MAX_CHARS and not _is_link(node, text):
            found.append((text, node))
    return found


def headline_part(parts: list[str]) -> str:
    """The headline among the parts of a <title>: the first that is not a site's name."""
    parts = [part for part in parts if part]
    headlines = [part for part in parts if len(part) >= _MIN_CHARS and not SITE_NAME.search(part)]
    if headlines:
        return headlines[0]
    return max(parts, key=len) if parts else ""


def squash(text: str) -> str:
    return " ".join(text.split())


def _trusted_meta_title(tree: LexborHTMLParser, metas: dict[str, str]) -> str:
    """A meta title that can be taken without the page's elements: a CMS's ArticleTitle, or an
    og:title without separators that is not a site's name nor cut where the <title> goes on with a quote.
    """
    article_title = squash(metas.get("articletitle", ""))
    if article_title:
        return headline_part(SITE_SEPARATOR.split(article_title))
    for key in _TITLE_META[1:]:
        value = squash(metas.get(key, ""))
        if not value or value == metas.get("og:site_name"):
            continue
        if any(char in _SUFFIX_START for char in value) or SITE_NAME.search(value):
            return ""
        title_node = tree.css_first("title")
        page_title = squash(title_node.text()) if title_node is not None else ""
        if page_title.startswith(value) and page_title[len(value) : len(value) + 1] in _QUOTES:
            return ""
        return value
    return ""


def _title_from_meta(metas: dict[str, str], heads: list[tuple[str, LexborNode]]) -> str:
    site = metas.get("og:site_name")
    for key in _TITLE_META:
        value = squash(metas.get(key, ""))
        if not value or value == site:
            continue
        texts = [text for text, _ in heads]
        if value in texts:
            return value
        for text in texts:  # the element the meta repeats with a site suffix: 标题-EDN 电子技术设计
            if value.startswith(text) and value[len(text)] in _SUFFIX_START:
                return text
        for text in texts:  # the element the meta starts, cut short where a quote was not escaped
            if text.startswith(value) and text[len(value)] in _QUOTES:
                return text
        return headline_part(SITE_SEPARATOR.split(value))
    return ""


def _title_from_page(tree: LexborHTMLParser, heads: list[tuple[str, LexborNode]], columns: set[str]) -> str:
    """The headline element the <title> repeats, else the first h1, else the <title>'s headline part."""
    title_node = tree.css_first("title")
    page_title = squash(title_node.text()) if title_node is not None else ""
    parts = [part for part in SITE_SEPARATOR.split(page_title) if part]
    headline = headline_part(parts)
    not_headlines = {part for part in parts if part != headline} | columns
    title = _pick_headline(heads, page_title, headline, not_headlines)
    if title == headline and len(headline) <= _MAX_COLUMN_CHARS and _is_link_text(tree, headline):
        # the column's name, which the menu or breadcrumbs link to
        title = _pick_headline(heads, page_title, headline, not_headlines | {headline})
    if title != headline and "".join(title.split()) == "".join(headline.split()):
        return headline  # <h1>主题<br>副题</h1>: the <title> writes the break as a space
    return title


def _pick_headline(
    heads: list[tuple[str, LexborNode]], page_title: str, headline: str, not_headlines: set[str]
) -> str:
    best = first_h1 = longest = ""
    for text, node in heads:
        if text in not_headlines or SITE_NAME.search(text):
            continue
        if node.tag == "h1" and not first_h1:
            first_h1 = text
        if text in page_title and len(text) > len(best):
            best = text
        if len(text) > len(longest):
            longest = text
    if best or first_h1:
        return best or first_h1
    if headline and headline not in not_headlines and not SITE_NAME.search(headline):
        return headline
    if len(longest) > _MAX_COLUMN_CHARS or not headline:
        return longest
    return headline  # a section's name (最新发布) is no headline: the page's column is said better


def _column_names(metas: dict[str, str]) -> set[str]:
    return {value for key in ("columnname", "columntype") if (value := squash(metas.get(key, "")))}


def _is_link(node: LexborNode, text: str) -> bool:
    """A headline that is a link, inside one, or whose text is all one link's: another article's."""
    if node.tag == "a" or (node.parent is not None and node.parent.tag == "a"):
        return True
    link = node.css_first("a")
    return link is not None and squash(link.text()) == text


def _is_link_text(tree: LexborHTMLParser, text: str) -> bool:
    return bool(text) and any(squash(link.text()) == text for link in tree.css("a"))


def headline_block(node: LexborNode, max_chars: int = 300, max_link_share: float = 0.3) -> str:
    """The text of the small block around a headline (the headline with its date and source line).

    Ancestors are climbed while they stay short and not made of links: the block that also holds
    the article is too long, and a list of other headlines (with their dates) beside the headline is
    mostly links; neither is reached.
    """
    text = node.text(separator="\n")
    parent = node.parent
    for _ in range(3):
        if parent is None or parent.tag in ("body", "html"):
            break
        wider = parent.text(separator="\n")
        if len(wider) > max_chars:
            break
        link_chars = sum(len(link.text(strip=True)) for link in parent.css("a"))
        if link_chars > max_link_share * len("".join(wider.split())):
            break
        text, parent = wider, parent.parent
    return text
