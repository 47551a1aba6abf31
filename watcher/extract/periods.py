"""Time expressions in a sentence → periods, deadlines and dates resolved against the publication date.

今年1—10月 (published 2022-11-30) → period 2022-01/2022-10
上半年 → 2023-01/2023-06        十四五 → 2021/2025       截至2024年底 → 2024
到2026年 → deadline 2026        3年内 (published 2024) → deadline 2027
今年7月9日 → date 2022-07-09    与2022年相比 → a comparison, not the period
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from watcher.extract.numbers import parse_chinese

_M = r"(?:1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九])"
_TIME = re.compile(
    # every time expression starts with one of these, and not inside a number: checking it first skips a
    # position at once
    r"(?<![0-9.])(?=[截力争到至“\"十一二三四五六七八九两近过这多历今去上前明本下首第全昨当0-9])"
    r"(?P<prefix>截至|截止到|截止|力争到|力争在|争取到|到|至)?\s*(?:"
    r"(?P<fyp>[“\"]?十[一二三四五六]五[”\"]?)(?P<fyp_tail>期间|时期|以来|末|前[两二三四]年)?"
    r"|(?P<y1>(?:19|20)\d\d)\s*[—–\-~至到]\s*(?P<y2>(?:19|20)\d\d)\s*年"
    r"|(?P<n>\d{1,2}|[一二三四五六七八九十])\s*年内"
    r"|(?P<span>(?:过去|近)(?P<sn>[两二三四五六七八九十])年(?:来|间|里)?|(?P<sn2>[两二三四五六七八九十])年来)"
    r"|(?P<vague>近年来|近年|这些年|多年来|历年)"
    r"|(?:(?P<y>(?:19|20)\d\d)\s*年|(?P<rel>今年|去年|上年|前年|明年|本年|过去一年|上一年))(?P<sub>\s*(?:"
    r"(?P<half>上半年|下半年)|(?P<q>前三季度|前两季度|首三季|首季|[一1][至—\-~到][二三2-3]季度|第?[一二三四1-4]季度)"
    r"|前(?P<nm>\d{1,2}|[一二两三四五六七八九十]{1,2})个月"
    rf"|(?P<m1>{_M})\s*[—–\-~至到]\s*(?P<m2>{_M})\s*月份?(?P<mtail>末|底)?"
    rf"|(?P<m>{_M})\s*月份?(?:\s*(?P<d>[0-3]?\d)\s*日)?(?P<mend>末|底)?"
    r"|(?P<yend>年底|年末|底|末)|(?P<full>全年)))?"
    r"|(?P<half2>上半年|下半年)|(?P<q2>前三季度|前两季度|首三季|首季|[一1][至—\-~到][二三2-3]季度|第?[一二三四1-4]季度)"
    r"|前(?P<nm2>\d{1,2}|[一二两三四五六七八九十]{1,2})个月"
    r"|(?P<day>昨日|昨天|今日|今天|前日|上月|本月|上个月|当月)"
    rf"|(?P<m12>{_M})\s*[—–\-~至]\s*(?P<m22>{_M})\s*月份?"
    rf"|(?P<mm>{_M})\s*月份?(?:(?P<dd>[0-3]?\d)\s*日)?(?P<mmend>末|底)?"
    r"|(?P<full2>全年)"
    r")"
)
_CLAUSE_START = '，,；;：:。 “"在'
_CHANGE_VERBS = ("增加", "增长", "提高", "提升", "上升", "扩大", "跃升", "下降", "减少", "降低", "发展")
_COMPARE_BEFORE = ("与", "比", "较", "同", "和", "跟", "同比")
_COMPARE_AFTER = ("相比", "同期", "比较", "水平", "相较")
_PLAN_NAME_AFTER = re.compile(r"[”\"]?(?:规划|发展规划|时期规划|规划纲要|计划)")
_FIVE_YEAR_START = {
    "十一五": 2006,
    "十二五": 2011,
    "十三五": 2016,
    "十四五": 2021,
    "十五五": 2026,
    "十六五": 2031,
}


@dataclass(init=False, slots=True)  # __init__ by hand: native once compiled, 20× faster
class TimeRef:
    """One time expression found in a sentence."""

    start: int
    end: int
    period: str | None = None  # what a value after it covers
    deadline: str | None = None  # 到2026年, 3年内: a target's deadline
    date: str | None = None  # a day or month, for milestones
    comparison: bool = False  # 与2022年相比: the base of a comparison, not the period
    vague: bool = False  # 近年来: no period at all
    in_plan: bool = False  # inside a target or forecast clause (预计全年…): not the period of actuals
    plan_period: str | None = None  # what the expression means in a target or forecast (全年 → this year)

    def __init__(
        self,
        start: int,
        end: int,
        period: str | None = None,
        deadline: str | None = None,
        date: str | None = None,
        comparison: bool = False,
        vague: bool = False,
        in_plan: bool = False,
        plan_period: str | None = None,
    ) -> None:
        self.start = start
        self.end = end
        self.period = period
        self.deadline = deadline
        self.date = date
        self.comparison = comparison
        self.vague = vague
        self.in_plan = in_plan
        self.plan_period = plan_period


def _int(text: str | None) -> int | None:
    if text is None:
        return None
    if text.isdigit():
        return int(text)
    value = parse_chinese(text)
    return int(value) if value is not None else None


def _months(year: int, first: int, last: int) -> str:
    if first == 1 and last == 12:
        return str(year)
    if first == last:
        return f"{year}-{first:02d}"
    return f"{year}-{first:02d}/{year}-{last:02d}"


def _year_of(
    m: re.Match[str], published: date | None, *, last_month: int | None = None, day: int | None = None
) -> int | None:
    """The year a match means: written, relative (今年, 去年) or implied by the publication date."""
    if m.group("y"):
        return int(m.group("y"))
    rel = m.group("rel")
    if published is None:
        return None
    if rel:
        return (
            published.year
            + {
                "今年": 0,
                "本年": 0,
                "去年": -1,
                "上年": -1,
                "过去一年": -1,
                "上一年": -1,
                "前年": -2,
                "明年": 1,
            }[rel]
        )
    # No year written: the latest such period that is not after the publication date.
    if last_month is not None and (last_month, day or 1) > (published.month, published.day):
        return published.year - 1
    return published.year


def _is_comparison(sentence: str, start: int, end: int) -> bool:
    before = sentence[max(0, start - 2) : start]
    after = sentence[end : end + 3]
    return before.endswith(_COMPARE_BEFORE) or after.startswith(_COMPARE_AFTER)


def _five_year_plan(m: re.Match[str], sentence: str) -> TimeRef | None:
    name = m.group("fyp").strip('“”"')
    if _PLAN_NAME_AFTER.match(sentence, m.end("fyp")) and not m.group("fyp_tail"):
        return None  # “十四五”规划: the plan's name, not a period
    first = _FIVE_YEAR_START[name]
    tail = m.group("fyp_tail") or ""
    if tail.startswith("前"):
        period = f"{first}/{first + (_int(tail[1]) or 1) - 1}"
    elif tail == "末":
        period = str(first + 4)
    else:
        period = f"{first}/{first + 4}"
    return TimeRef(m.start(), m.end(), period=period, deadline=str(first + 4))


def _span(m: re.Match[str], published: date | None) -> TimeRef:
    """过去五年, 五年来, 近三年: the years up to the last full one (a 2021 report's 五年来 is 2016/2020)."""
    years = _int(m.group("sn") or m.group("sn2")) or 1
    if published is None:
        return TimeRef(m.start(), m.end(), vague=True)
    last = published.year - 1
    return TimeRef(m.start(), m.end(), period=f"{last - years + 1}/{last}")


def _dated(m: re.Match[str], published: date | None) -> TimeRef:
    """Expressions with a year or a relative year (2023年…, 今年…, 去年11月)."""
    start, end = m.start(), m.end()
    if m.group("m1"):
        first, last = _int(m.group("m1")) or 1, _int(m.group("m2")) or 12
        year = _year_of(m, published, last_month=last)
        return TimeRef(start, end, period=_months(year, first, last) if year else None)
    if m.group("m"):
        month, day = _int(m.group("m")) or 1, _int(m.group("d"))
        year = _year_of(m, published, last_month=month, day=day)
        if year is None:
            return TimeRef(start, end)
        if day:
            return TimeRef(start, end, date=f"{year}-{month:02d}-{day:02d}")
        return TimeRef(start, end, period=f"{year}-{month:02d}", date=f"{year}-{month:02d}")
    year = _year_of(m, published)
    if year is None:
        return TimeRef(start, end)
    if m.group("nm"):
        return TimeRef(start, end, period=_months(year, 1, _int(m.group("nm")) or 1))
    if m.group("half") or m.group("half2"):
        half = m.group("half") or m.group("half2")
        return TimeRef(start, end, period=_months(year, 1, 6) if half == "上半年" else _months(year, 7, 12))
    q = m.group("q") or m.group("q2")
    if q:
        return TimeRef(start, end, period=_quarter(year, q))
    return TimeRef(start, end, period=str(year), date=str(year))


def _quarter_months(q: str) -> tuple[int, int]:
    if q in ("前三季度", "首三季") or (q[-3:-2] in "三3" and q[1:2] in "至—-~到"):
        return 1, 9
    if q in ("前两季度",) or (q[-3:-2] in "二2" and q[1:2] in "至—-~到"):
        return 1, 6
    if q == "首季":
        return 1, 3
    n = _int(q.strip("第季度")) or 1
    return 3 * n - 2, 3 * n


def _quarter(year: int, q: str) -> str:
    return _months(year, *_quarter_months(q))


def _undated(m: re.Match[str], published: date | None) -> TimeRef:
    """Expressions without a year (1—10月, 上半年, 7月9日): the publication year, or the one before."""
    start, end = m.start(), m.end()
    if published is None:
        return TimeRef(start, end)
    if m.group("m12"):
        first, last = _int(m.group("m12")) or 1, _int(m.group("m22")) or 12
        year = published.year - 1 if last > published.month else published.year
        return TimeRef(start, end, period=_months(year, first, last))
    if m.group("mm"):
        month, day = _int(m.group("mm")) or 1, _int(m.group("dd"))
        year = published.year - 1 if (month, day or 1) > (published.month, published.day) else published.year
        if day:
            return TimeRef(start, end, date=f"{year}-{month:02d}-{day:02d}")
        return TimeRef(start, end, period=f"{year}-{month:02d}", date=f"{year}-{month:02d}")
    if m.group("full2"):  # 全年 of results is a year that has ended (in a bulletin of March, the last); in a
        this = str(published.year)  # plan, this year
        return TimeRef(
            start, end, period=str(published.year - 1) if published.month <= 6 else this, plan_period=this
        )
    if m.group("day"):
        return _day_word(start, end, m.group("day"), published)
    if m.group("nm2"):
        last = _int(m.group("nm2")) or 1
        year = published.year - 1 if last > published.month else published.year
        return TimeRef(start, end, period=_months(year, 1, last))
    half, q = m.group("half2"), m.group("q2")
    first, last = ((1, 6) if half == "上半年" else (7, 12)) if half else _quarter_months(q or "一季度")
    year = published.year - 1 if last > published.month else published.year
    if q and last - first == 2 and first < published.month <= last:
        year = published.year  # 一季度…集中开工 in February: the quarter under way
    return TimeRef(start, end, period=_months(year, first, last))


def _day_word(start: int, end: int, word: str, published: date) -> TimeRef:
    """昨日, 上月 …: relative to the publication date."""
    if word in ("上月", "上个月"):
        year, month = (
            (published.year, published.month - 1) if published.month > 1 else (published.year - 1, 12)
        )
        return TimeRef(start, end, period=f"{year}-{month:02d}", date=f"{year}-{month:02d}")
    if word in ("本月", "当月"):
        ym = f"{published.year}-{published.month:02d}"
        return TimeRef(start, end, period=ym, date=ym)
    day = published - timedelta(days={"昨日": 1, "昨天": 1, "前日": 2}.get(word, 0))
    return TimeRef(start, end, date=day.isoformat())


def find_times(sentence: str, published: date | None) -> list[TimeRef]:
    """Every time expression of a (normalised) sentence, in order."""
    refs: list[TimeRef] = []
    for m in _TIME.finditer(sentence):
        if not m.group().strip() or m.group() == m.group("prefix"):
            continue
        ref = _classify(m, sentence, published)
        if ref is not None:
            refs.append(ref)
    return refs


def iter_times(text: str, published: date | None) -> Iterator[TimeRef]:
    """The time expressions of `find_times`, one at a time: a caller that wants the first of a kind
    (the frame's period in a document's first lines) stops reading there."""
    for m in _TIME.finditer(text):
        if not m.group().strip() or m.group() == m.group("prefix"):
            continue
        ref = _classify(m, text, published)
        if ref is not None:
            yield ref


def _classify(m: re.Match[str], sentence: str, published: date | None) -> TimeRef | None:
    start, end = m.start(), m.end()
    prefix = m.group("prefix") or ""
    if m.group("fyp"):
        return _five_year_plan(m, sentence)
    if m.group("vague"):
        return TimeRef(start, end, vague=True)
    if m.group("span"):
        if start > 0 and sentence[start - 1] not in _CLAUSE_START:
            return None  # 增幅创两年来新高: a record, not the period of what follows
        return _span(m, published)
    if m.group("y1"):
        return TimeRef(start, end, period=f"{m.group('y1')}/{m.group('y2')}")
    if m.group("n"):
        years = _int(m.group("n")) or 1
        return TimeRef(start, end, deadline=str(published.year + years) if published else None)
    if m.group("day") == "当月" and sentence[start - 1 : start] == "月":
        return None  # 5月当月: the month just named
    if _is_comparison(sentence, start + len(prefix), end):
        return TimeRef(start, end, comparison=True)
    ref = _dated(m, published) if (m.group("y") or m.group("rel")) else _undated(m, published)
    if _is_since_long_ago(sentence, end, ref, published):
        return TimeRef(start, end, vague=True)  # 2016年一季度以来 in 2018: a span up to now, not that quarter
    if prefix in ("到", "至") and sentence[max(0, start - 2) : start].endswith(_CHANGE_VERBS):
        return ref  # 从2015年的A增加到2020年的B: where a change ended, not a deadline
    if prefix in ("到", "至", "力争到", "力争在", "争取到") and ref.period and m.group("y"):
        return TimeRef(start, end, period=ref.period, deadline=ref.period[:4])
    return ref


def _is_since_long_ago(sentence: str, end: int, ref: TimeRef, published: date | None) -> bool:
    if not sentence.startswith("以来", end) or ref.period is None or published is None:
        return False
    return int(ref.period[:4]) < published.year - 1


def end_year(period: str) -> str:
    """The year a period ends in: 2021/2025 → 2025, 2023-01/2023-06 → 2023, 2024 → 2024."""
    return period.rsplit("/", 1)[-1][:4]


def resolve_period(expression: str, published: date | None) -> str | None:
    """The period of the first time expression in `expression` (a convenience for callers and tests)."""
    for ref in find_times(expression, published):
        if ref.period or ref.deadline:
            return ref.period or ref.deadline
    return None
