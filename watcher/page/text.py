"""Plain text → Article: `.txt` files people paste from web pages, furniture and all."""

from __future__ import annotations

import re
from datetime import date

from watcher.models import Article
from watcher.page.dates import date_from_url, find_head_date
from watcher.page.furniture import clean_lines, find_outlet, is_furniture, split_lines

# Title, date and outlet are looked for in the head of the text only.
HEAD_LINES = 30
MAX_TITLE_CHARS = 50

_CJK = re.compile(r"[\u4e00-\u9fff]")
# 一、…, （二）…, 3. …: section headings and outline items, not titles.
_ENUMERATED = re.compile(
    r"^(?:[一二三四五六七八九十]+[、.．]|[(（][一二三四五六七八九十\d]+[)）]|\d+[、.．])"
)
_SENTENCE_ENDS = ("。", "！", "？", "。”", "！”", "？”")
_NOT_TITLE_ENDS = ("。", "！", "？", "!", "?", "；", ";", "：", ":", "，", ",", "…")


def article_from_text(text: str, url: str, published: date | None = None) -> Article:
    """Title, date, outlet and cleaned main text of a pasted article."""
    lines = split_lines(text)
    head = lines[:HEAD_LINES]
    if published is None:
        published = find_head_date(head) or date_from_url(url)
    outlet = find_outlet("\n".join(head))
    title_index = find_title_index(lines)
    if title_index is None:
        title, body = "", lines
    else:
        title, body = lines[title_index], lines[title_index + 1 :]
    return Article(
        url=url,
        text="\n".join(clean_lines(body)),
        title=title,
        published=published,
        outlet=outlet,
    )


def find_title_index(lines: list[str]) -> int | None:
    """Index of the title: the last title-like line before the first paragraph.

    Everything above the title (breadcrumbs, an e-paper's list of the page's headlines, a
    teaser site's table of contents) is not the article. A text that starts with a paragraph
    has no title.
    """
    candidates: list[int] = []
    for index, line in enumerate(lines[:HEAD_LINES]):
        if is_furniture(line):
            continue
        if is_paragraph(line):
            return candidates[-1] if candidates else None
        if is_title_like(line):
            candidates.append(index)
    return candidates[0] if candidates else None


def is_paragraph(line: str) -> bool:
    """A line of running text: long, or a finished sentence."""
    return len(line) > MAX_TITLE_CHARS or line.endswith(_SENTENCE_ENDS)


def is_title_like(line: str) -> bool:
    """A short line of Chinese that reads as a headline, not a label, an outline item or a sentence."""
    return (
        len(_CJK.findall(line)) >= 4
        and len(line) <= MAX_TITLE_CHARS
        and not line.endswith(_NOT_TITLE_ENDS)
        and not _ENUMERATED.match(line)
    )
