"""Publication dates as pages write them: labels, date lines, meta values and URLs.

Simplified and traditional spellings are both accepted (发布时间 / 發布時間).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone

# 2023-08-21, 2023/8/21, 2023.08.21, 2022年11月30日, 2022 年 11 月 30 日
_DATE = r"((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})(?!\d)"
DATE_RE = re.compile(_DATE)

# A label right before a date, not glued to a preceding Chinese word (报名时间 is not a publication
# date). Looked for behind each date found, which is much faster than scanning for labels.
_LABEL_BEFORE = re.compile(
    r"(?<![\u4e00-\u9fff])"
    r"(?:[发發][布佈](?:[时時][间間]|日期)|[发發]表[时時][间間]|[时時][间間]|日期)"
    r"\s*[:：]\s*$"
)
_LABEL_REACH = 20  # characters looked at before a date
_TODAY_REACH = 8
TODAY = re.compile(r"今[天日]\s*(?:是|[:：])")  # 今天是, 今日：, not 今日报纸
# A line that starts with a date: the date line of an e-paper page (2022 年 11 月 30 日 星期三).
_LEADING_DATE = re.compile(r"^\s*" + _DATE)
_WEEKDAY_DATE = re.compile(_DATE + r"\s*日?\s*星期")
# A line that is only a date and time: the dated entries of related-article lists.
DATE_ONLY_LINE = re.compile(r"^\s*[(（]?" + _DATE + r"\s*日?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?\s*[)）]?\s*$")

_URL_DATES: tuple[re.Pattern[str], ...] = (
    re.compile(r"/((?:19|20)\d{2})-(\d{1,2})/(\d{1,2})/"),  # e-paper: /2022-11/30/
    re.compile(r"/t((?:19|20)\d{2})(\d{2})(\d{2})_\d+"),  # TRS CMS: /t20230821_2893479.html
    re.compile(r"/((?:19|20)\d{2})(\d{2})/(\d{2})/"),  # /202211/30/
    re.compile(r"/((?:19|20)\d{2})/(\d{1,2})/(\d{1,2})/"),  # /2022/11/30/
    re.compile(r"/((?:19|20)\d{2})(\d{2})(\d{2})/"),  # /20221130/
    re.compile(r"[/_-]((?:19|20)\d{2})-(\d{2})-(\d{2})[/_.-]"),  # /2022-11-30.html
)


def to_date(year: str, month: str, day: str) -> date | None:
    """A date from matched digits, or None for an impossible one (2023-02-30, month 13)."""
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


def parse_date(text: str) -> date | None:
    """The first valid date written anywhere in text."""
    for match in DATE_RE.finditer(text):
        found = to_date(*match.groups())
        if found:
            return found
    return None


def find_labelled_date(text: str) -> date | None:
    """The first date after a label such as 发布时间：, 时间:, 日期："""
    for match in DATE_RE.finditer(text):
        before = text[max(match.start() - _LABEL_REACH, 0) : match.start()]
        if _LABEL_BEFORE.search(before) and (found := to_date(*match.groups())):
            return found
    return None


def find_weekday_date(text: str) -> date | None:
    """The first date followed by its weekday (2022 年 11 月 30 日 星期三), as e-papers print it.

    Not a site header's clock (今天是 2025年12月5日 星期五), which is the day the page was saved.
    """
    for match in _WEEKDAY_DATE.finditer(text):
        found = to_date(*match.groups())
        if found and not is_today_widget(text, match.start()):
            return found
    return None


def is_today_widget(text: str, start: int) -> bool:
    """Whether the date at start is introduced as today's (今天是, 今日：), a header widget's."""
    return TODAY.search(text[max(start - _TODAY_REACH, 0) : start]) is not None


def find_head_date(lines: list[str]) -> date | None:
    """The publication date from the first lines of a text: a labelled date, else a leading one."""
    found = find_labelled_date("\n".join(lines))
    if found:
        return found
    for line in lines:
        match = _LEADING_DATE.match(line)
        if match and (found := to_date(*match.groups())):
            return found
    return None


def date_from_url(url: str) -> date | None:
    """The date many CMSs write into article URLs (/2022-11/30/, /t20230821_123.html)."""
    for pattern in _URL_DATES:
        match = pattern.search(url)
        if match and (found := to_date(*match.groups())):
            return found
    return None


# A date whose year stands apart from its month and day, as pages that style each part write it:
# <span>2019</span><span>09/07</span> reads "2019 09/07". Only looked for near the headline.
_SPLIT_DATE = re.compile(r"((?:19|20)\d{2})\s+(\d{1,2})\s*[-/.]\s*(\d{1,2})(?!\d)")
# Meta names (lower-cased) that carry the publication date, most trusted first.
DATE_META_KEYS = (
    "article:published_time",
    "publishdate",
    "pubdate",
    "publish_date",
    "publishtime",
    "pubtime",
    "apub:time",
    "datepublished",
    "og:release_date",
    "published_time",
    "article:published",
    "dc.date.issued",
    "dcterms.issued",
    "dc.date",
    "firstpublishedtime",
    "weibo: article:create_at",
)
_JSON_LD_DATE = re.compile(r'"datePublished"\s*:\s*"\s*((?:19|20)\d{2})-(\d{1,2})-(\d{1,2})')
_WECHAT_TIME = re.compile(r"\bvar ct\s*=\s*[\"'](1\d{9})[\"']")
_BEIJING = timezone(timedelta(hours=8))


def date_from_metas(metas: dict[str, str]) -> date | None:
    """The publication date a page's metas give: the first of DATE_META_KEYS that holds a valid one."""
    for key in DATE_META_KEYS:
        value = metas.get(key)
        if value and (found := parse_date(value) or _compact_date(value)):
            return found
    return None


def date_from_scripts(html: str) -> date | None:
    """The date a page's scripts hold: JSON-LD datePublished, a WeChat article's `var ct` (Beijing time)."""
    if '"datePublished"' in html and (match := _JSON_LD_DATE.search(html)):
        return to_date(*match.groups())
    if "var ct" in html and (match := _WECHAT_TIME.search(html)):
        return datetime.fromtimestamp(int(match.group(1)), _BEIJING).date()
    return None


def find_block_date(text: str) -> date | None:
    """The date of a short block around a headline: a labelled one, else the first, else a split one."""
    flat = " ".join(text.split())
    return find_labelled_date(flat) or parse_date(flat) or _split_date(flat)


def _split_date(text: str) -> date | None:
    for match in _SPLIT_DATE.finditer(text):
        if found := to_date(*match.groups()):
            return found
    return None


def _compact_date(value: str) -> date | None:
    """20250305 or 20250305103000, as some metas write the date."""
    digits = value.strip()
    if len(digits) in (8, 12, 14) and digits.isdigit() and digits[:2] in ("19", "20"):
        return to_date(digits[:4], digits[4:6], digits[6:8])
    return None


_REGION_CHARS = 600  # between the headline and the text: info bars, widgets, subtitles
_TAIL_CHARS = 200  # after the text: the info bar some sites put at the bottom
_LINE_KEY_CHARS = 12
_MIN_KEY_LINE_CHARS = 20
_MIN_HEADLINE_CHARS = 6


def date_from_page(
    page_text: str, head_block: Callable[[], str], title: str, lines: list[str], url: str
) -> date | None:
    """The publication date a page's text gives, around its headline and its article text.

    page_text is the page's text, one text node a line; lines the article's lines as read; head_block
    reads the text of the headline's block (only when needed: it costs a walk up the page). In order:
    the lines between the headline and the text (a labelled date, else any, else one split in parts),
    the short lines that open the text, the headline's own block (a date above it), a labelled date
    right after the text, the URL, an e-paper's date line or a labelled date above the text. Dates of
    lists beside or below the article, and copyright years, are never reached; on a page whose text
    has no sentence (a listing), only labelled dates are read.
    """
    start = text_start(page_text, lines)
    if start < 0:  # the text is not found: only a labelled date near the title, as before
        anchor = page_text.find(title) if title else -1
        window = page_text[anchor:] if anchor >= 0 else page_text
        return find_labelled_date(window[:3000]) or date_from_url(url) or find_weekday_date(window)
    head = page_text[:start]
    title_at = title_position(head, title, last=True)
    region = head[title_at + len(title) :][:_REGION_CHARS] if title_at >= 0 else ""
    if is_article_text(lines):
        found = find_block_date(region) or _date_atop_text(lines)
        found = found or find_block_date(head_block())
    else:  # a listing or a page of links: its unlabelled dates are its entries'
        found = find_labelled_date(region)
    if found:
        return found
    end = _line_position(page_text, lines[-1:], start)
    if end >= 0:
        end = page_text.find("\n", end)
        found = _date_after_text(page_text[end : end + _TAIL_CHARS]) if end >= 0 else None
    return found or date_from_url(url) or find_weekday_date(head) or find_labelled_date(head)


def is_article_text(lines: list[str], within: int = 10) -> bool:
    """Whether the text read is an article's: it has a sentence among its first lines."""
    return any(_is_sentence(line) for line in lines[:within])


def _date_after_text(tail: str) -> date | None:
    """A labelled date on the lines right after the text, before anything that reads as a headline.

    An info bar below the article is read; the dates of a list of other articles below it are not.
    """
    read = ""
    for line in tail.split("\n"):
        read += line + "\n"
        if found := find_labelled_date(read):
            return found
        if len(line.strip()) >= _MIN_HEADLINE_CHARS and ":" not in line and "：" not in line:
            return None
    return None


def _date_atop_text(lines: list[str], within: int = 4) -> date | None:
    """A date on the short lines that open the text, before its first sentence (an info bar read as text)."""
    for line in lines[:within]:
        if _is_sentence(line):
            break
        if found := find_block_date(line):
            return found
    return None


def _is_sentence(line: str) -> bool:
    return len(line) >= _MIN_KEY_LINE_CHARS and ("，" in line or "。" in line or "," in line)


def text_start(page_text: str, lines: list[str]) -> int:
    """Where the article's text starts in the page's text, or -1."""
    return _line_position(page_text, lines[:3], 0)


def _line_position(page_text: str, lines: list[str], start: int) -> int:
    """Where the first of the lines that says something of its own is on the page, or -1.

    A line's longest unbroken run is looked for (the page text breaks where the line has spaces),
    and a line of twenty characters at least, as shorter ones (文号, 日期) also stand in tables above.
    """
    if not lines:
        return -1
    line = next((line for line in lines if len(line) >= _MIN_KEY_LINE_CHARS), lines[0])
    return page_text.find(max(line.split(), key=len)[:_LINE_KEY_CHARS], start)


def title_position(text: str, title: str, *, last: bool = False, prefix_chars: int = 8) -> int:
    """Where the title is written in text (its first or, with `last`, its last place; its start at
    worst), or -1."""
    if not title:
        return -1
    find = text.rfind if last else text.find
    position = find(title)
    if position < 0 and len(title) > prefix_chars:
        position = find(title[:prefix_chars])
    return position
