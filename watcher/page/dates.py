"""Publication dates as pages write them: labels, date lines, meta values and URLs.

Simplified and traditional spellings are both accepted (发布时间 / 發布時間).
"""

from __future__ import annotations

import re
from datetime import date

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
    """The first date followed by its weekday (2022 年 11 月 30 日 星期三), as e-papers print it."""
    for match in _WEEKDAY_DATE.finditer(text):
        found = to_date(*match.groups())
        if found:
            return found
    return None


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
