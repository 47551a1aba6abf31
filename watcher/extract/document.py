"""The document frame: what a whole text is about, decided before its sentences are read.

Real documents state their period once. A work report delivered in February reviews the year before;
a release titled 前三季度 or 1—2月 gives its period in the title or the first lines; a bulletin's 全年
is its own year; a key-project plan's figures are for its plan year. The frame holds that genre,
reference period and kind; each section heading refines it, and a sentence inherits it unless it
says otherwise:

    2018年佛山市政府工作报告 (published 2018-01-16)   → work report, period 2017, actual
    2022年清城区国民经济和社会发展统计公报           → bulletin, period 2022 (全年 → 2022)
    广东茂名前三季度完成投资近500亿 (2014-11-03)     → news, period 2014-01/2014-09 (今年 → the same)
    一、2024年计划执行情况 / 二、2025年计划草案     → sections: results for 2024, then targets for 2025

The genre and section cues are lexicon words (`config/lexicon/documents.toml`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from watcher.extract.lexicon import Lexicon
from watcher.extract.periods import TimeRef, find_times, iter_times

HEAD_CHARS = 400  # the first lines of the text that frame it, with the title
HEADING_CHARS = 30  # a heading is a short line

_ENUMERATED = re.compile(
    r"\s*(?:[一二三四五六七八九十]+[、.．]|[(（][一二三四五六七八九十]+[)）]|\d{1,2}[、.．]\D|第[一二三四五六七八九十]+部分)"
)
_NOT_IN_HEADING = "。，,；;：:!?！？"
_THIS_YEAR = ("今年", "本年", "今年以来", "今年来")


@dataclass(init=False, slots=True)  # __init__ by hand: native once compiled, 20× faster
class Frame:
    """A document's or a section's genre, reference period and the kind of its unmarked figures."""

    genre: str  # work_report, bulletin, plan or news
    period: str | None  # what a figure that states no period of its own covers
    kind: str  # actual, or target under a plan heading

    def __init__(self, genre: str, period: str | None, kind: str = "actual") -> None:
        self.genre = genre
        self.period = period
        self.kind = kind


def genre_of(head: str, lex: Lexicon) -> str:
    """The first genre whose cue the title or first lines contain; news when none does."""
    for genre, cues in lex.genre_cues:
        if any(cue in head for cue in cues):
            return genre
    return "news"


def read_frame(title: str, text: str, published: date | None, lex: Lexicon) -> Frame:
    """The frame of a normalised title and text."""
    head = text[:HEAD_CHARS]
    genre = genre_of(title + "\n" + head, lex)
    period = None
    if genre == "work_report" and published is not None and published.month <= 3:
        period = str(published.year - 1)  # delivered early in the year: a review of the year before
    if period is None:
        latest = None if genre in ("plan", "work_report") or published is None else published.year
        period = first_period(title, published, latest) or first_period(head, published, latest)
    if period is None and genre == "news":
        period = event_day(title + "\n" + head, published)  # 4月4日，…大会闭幕: the figures are that day's
    return Frame(genre, period)


def _is_frame_time(t: TimeRef) -> bool:
    """A period a document can be about: not a comparison base, a vague span or a deadline (到2026年)."""
    return t.period is not None and not t.comparison and not t.vague and t.deadline != t.period


def first_period(text: str, published: date | None, latest: int | None = None) -> str | None:
    """The first period `text` names, not one starting after the year `latest` (news: 2022年建成投产后…
    in a 2020 report is a plan, not what the report is about)."""
    for t in iter_times(text, published):
        if _is_frame_time(t) and (latest is None or int((t.period or "0")[:4]) <= latest):
            return t.period
    return None


def event_day(text: str, published: date | None) -> str | None:
    """The day a news report's event happened, when it names one (3月28日上午, …集中开工)."""
    for t in iter_times(text, published):
        if t.date and len(t.date) == 10 and not t.comparison:
            return t.date
    return None


def is_heading(sentence: str, lex: Lexicon) -> bool:
    """一、2024年工作回顾, （二）主要目标, 2017年工作回顾: a short line without sentence punctuation that is
    enumerated or names a section."""
    if len(sentence) > HEADING_CHARS or any(c in sentence for c in _NOT_IN_HEADING):
        return False
    if _ENUMERATED.match(sentence):
        return True
    return any(cue in sentence for cue in lex.review_section_cues + lex.plan_section_cues)


def refine(section: Frame, heading: str, published: date | None, lex: Lexicon) -> Frame:
    """The frame of the paragraphs under a heading: its period and kind where it says them, else the
    enclosing section's. Review words win over plan words (2024年计划执行情况 reports results)."""
    times = [t for t in find_times(heading, published) if _is_frame_time(t)]
    kind = section.kind
    if any(cue in heading for cue in lex.review_section_cues):
        kind = "actual"
    elif any(cue in heading for cue in lex.plan_section_cues):
        kind = "target"
    period = times[-1].period if times else section.period
    if not times and kind != section.kind:
        period = None  # 三、主要目标: targets, by no period of the review before it
    return Frame(section.genre, period, kind)


def in_frame(times: list[TimeRef], sentence: str, frame: Frame) -> list[TimeRef]:
    """Time words that mean the frame's period: 今年 in a release about 1—9月 is 1—9月; a bulletin's
    全年 is its year."""
    period = frame.period
    if period is None:
        return times
    year = period[:4]
    partial = len(period) > 4 and period.startswith(year + "-") and period[-7:-3] == year
    whole_year = len(period) == 4 and frame.genre == "bulletin"
    if not (partial or whole_year):
        return times
    for t in times:
        word = sentence[t.start : t.end]
        if (partial and word in _THIS_YEAR and t.period == year) or (whole_year and word == "全年"):
            t.period = period
    return times
